/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The writer side of the statistics segment: one writer (darkcap's control
 * core), double-buffered snapshots with a sequence count (dc_stats_abi.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dc_stats.h"
#include "dc_stats_priv.h"

struct wmetric {
	struct dc_stats_def d;
	char *name, *help, *unit, *dim_name[2];
	char **dict[2];
	int key[2];            /* DC_STATS_DIM_KEY: index of the key metric */
};

struct dc_stats_writer {
	struct wmetric *m;
	unsigned n, cap;
	uint8_t *seg;          /* the mapped segment */
	uint64_t size;
	struct dc_stats_hdr *hdr;
	uint8_t *stage;        /* private snapshot being filled */
	char *path;
};

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

struct dc_stats_writer *
dc_stats_writer_new(void)
{
	struct dc_stats_writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		dc_stats_seterr(ENOMEM, "stats: out of memory");
	return w;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct dc_stats_metric *)0)->name))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* A key metric for a DC_STATS_DIM_KEY dimension of @size rows. */
static int
key_ok(const struct dc_stats_writer *w, int key, uint32_t size)
{
	const struct wmetric *k;

	if (key < 0 || (unsigned)key >= w->n)
		return 0;
	k = &w->m[key];
	return k->d.n_dims == 1 && k->d.dim_size[0] == size && k->d.dim_kind[0] != DC_STATS_DIM_KEY &&
	       (k->d.kind == DC_STATS_U64 || k->d.kind == DC_STATS_STR);
}

int
dc_stats_writer_add(struct dc_stats_writer *w, const struct dc_stats_def *d)
{
	return dc_stats_writer_add_keyed(w, d, NULL);
}

int
dc_stats_writer_add_keyed(struct dc_stats_writer *w, const struct dc_stats_def *d,
			  const int key[2])
{
	struct wmetric *m;
	uint64_t n = 1;

	if (d->name == NULL || !valid_name(d->name) || d->n_dims > 2 || d->type < DC_STATS_COUNTER ||
	    d->type > DC_STATS_GAUGE || d->kind < DC_STATS_U64 || d->kind > DC_STATS_STR ||
	    d->scope < DC_STATS_TOTAL || d->scope > DC_STATS_NOW)
		return dc_stats_seterr(EINVAL, "stats: bad metric definition '%s'", d->name ? d->name : "");
	for (unsigned k = 0; k < d->n_dims; k++) {
		if (d->dim_size[k] == 0 || d->dim_kind[k] < DC_STATS_DIM_INDEX ||
		    d->dim_kind[k] > DC_STATS_DIM_KEY || (d->dim_kind[k] == DC_STATS_DIM_DICT && !d->dict[k]))
			return dc_stats_seterr(EINVAL, "stats: metric %s: bad dimension %u", d->name, k);
		if (d->dim_kind[k] == DC_STATS_DIM_KEY && (key == NULL || !key_ok(w, key[k], d->dim_size[k])))
			return dc_stats_seterr(EINVAL, "stats: metric %s: dimension %u: no key metric of %u rows (1 dimension, u64 or str)",
					       d->name, k, d->dim_size[k]);
		n *= d->dim_size[k];
	}
	if (n > (1u << 24))
		return dc_stats_seterr(EINVAL, "stats: metric %s: too many elements", d->name);
	for (unsigned i = 0; i < w->n; i++)
		if (w->m[i].d.scope == d->scope && strcmp(w->m[i].name, d->name) == 0)
			return dc_stats_seterr(EEXIST, "stats: metric %s declared twice", d->name);
	if (w->n == w->cap) {
		unsigned cap = w->cap ? 2 * w->cap : 64;
		struct wmetric *nm = realloc(w->m, cap * sizeof(*nm));

		if (nm == NULL)
			return dc_stats_seterr(ENOMEM, "stats: out of memory");
		w->m = nm;
		w->cap = cap;
	}
	m = &w->m[w->n];
	memset(m, 0, sizeof(*m));
	m->d = *d;
	for (unsigned k = 0; k < 2; k++)
		m->key[k] = k < d->n_dims && d->dim_kind[k] == DC_STATS_DIM_KEY ? key[k] : -1;
	m->name = dup_or_empty(d->name);
	m->help = dup_or_empty(d->help);
	m->unit = dup_or_empty(d->unit);
	for (unsigned k = 0; k < d->n_dims; k++) {
		m->dim_name[k] = dup_or_empty(d->dim_name[k]);
		if (d->dim_kind[k] == DC_STATS_DIM_DICT) {
			m->dict[k] = calloc(d->dim_size[k], sizeof(char *));
			for (uint32_t i = 0; m->dict[k] && i < d->dim_size[k]; i++)
				m->dict[k][i] = dup_or_empty(d->dict[k][i]);
		}
	}
	return (int)w->n++;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
random64(void)
{
	uint64_t x = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &x, sizeof(x)) != (ssize_t)sizeof(x))
		x = now_ns() ^ ((uint64_t)getpid() << 32);
	if (fd >= 0)
		close(fd);
	return x ? x : 1;
}

/* String area under construction. */
struct strs {
	char *b;
	size_t len, cap;
};

static uint32_t
str_add(struct strs *s, const char *v)
{
	size_t n = strlen(v) + 1;
	uint32_t off;

	if (*v == '\0')
		return 0; /* offset 0 is the empty string */
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (s->len + n > cap)
			cap *= 2;
		nb = realloc(s->b, cap);
		if (nb == NULL)
			return UINT32_MAX;
		s->b = nb;
		s->cap = cap;
	}
	off = (uint32_t)s->len;
	memcpy(s->b + s->len, v, n);
	s->len += n;
	return off;
}

#define ALIGN64(x) (((x) + 63) & ~(uint64_t)63)

int
dc_stats_writer_create(struct dc_stats_writer *w, const char *path,
		       const struct dc_stats_writer_info *info)
{
	struct strs st = {0};
	struct dc_stats_metric *desc;
	uint64_t body = sizeof(struct dc_stats_snap), off;
	char *tmp = NULL;
	int fd = -1, rc;
	unsigned i, k;

	desc = calloc(w->n ? w->n : 1, sizeof(*desc));
	if (desc == NULL || str_add(&st, "-") == UINT32_MAX) { /* byte 0: "" */
		rc = dc_stats_seterr(ENOMEM, "stats: out of memory");
		goto out;
	}
	st.b[0] = '\0';
	st.len = 1;
	for (i = 0; i < w->n; i++) {
		const struct wmetric *m = &w->m[i];
		struct dc_stats_metric *d = &desc[i];
		uint64_t n = 1;

		snprintf(d->name, sizeof(d->name), "%s", m->name);
		d->type = m->d.type;
		d->kind = m->d.kind;
		d->scope = m->d.scope;
		d->n_dims = m->d.n_dims;
		d->elem_size = m->d.kind == DC_STATS_ADDR ? 16 : m->d.kind == DC_STATS_STR ? DC_STATS_STR_SIZE : 8;
		d->help = str_add(&st, m->help);
		d->unit = str_add(&st, m->unit);
		for (k = 0; k < m->d.n_dims; k++) {
			d->dim_name[k] = str_add(&st, m->dim_name[k]);
			d->dim_size[k] = m->d.dim_size[k];
			d->dim_kind[k] = m->d.dim_kind[k];
			n *= m->d.dim_size[k];
			if (m->d.dim_kind[k] == DC_STATS_DIM_KEY)
				d->dim_dict[k] = (uint32_t)m->key[k]; /* descriptors are in declaration order */
			if (m->d.dim_kind[k] == DC_STATS_DIM_DICT) {
				/* consecutive strings; an empty label is stored as " " */
				d->dim_dict[k] = (uint32_t)st.len;
				for (uint32_t j = 0; j < m->d.dim_size[k]; j++)
					if (str_add(&st, m->dict[k][j][0] ? m->dict[k][j] : " ") == UINT32_MAX)
						break;
			}
		}
		d->n_elem = (uint32_t)n;
		body = (body + 7) & ~(uint64_t)7;
		d->value_off = body;
		body += n * d->elem_size;
		if (st.len > UINT32_MAX / 2) {
			rc = dc_stats_seterr(E2BIG, "stats: string area too large");
			goto out;
		}
	}
	w->size = 0;
	off = ALIGN64(sizeof(struct dc_stats_hdr));
	{
		uint64_t metric_off = off, str_off, snap0, snap1, snap_size = ALIGN64(body);

		off = ALIGN64(off + (uint64_t)w->n * sizeof(*desc));
		str_off = off;
		off = ALIGN64(off + st.len);
		snap0 = off;
		snap1 = ALIGN64(snap0 + snap_size);
		w->size = ALIGN64(snap1 + snap_size);

		tmp = malloc(strlen(path) + 32);
		w->path = strdup(path);
		w->stage = calloc(1, snap_size);
		if (tmp == NULL || w->path == NULL || w->stage == NULL) {
			rc = dc_stats_seterr(ENOMEM, "stats: out of memory");
			goto out;
		}
		sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
		unlink(tmp);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = dc_stats_seterr(errno, "stats_path %s: cannot create %s: %s", path, tmp,
					     strerror(errno));
			goto out;
		}
		if (ftruncate(fd, (off_t)w->size) != 0) {
			rc = dc_stats_seterr(errno, "stats_path %s: cannot size %s to %llu bytes: %s",
					     path, tmp, (unsigned long long)w->size, strerror(errno));
			goto out;
		}
		w->seg = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (w->seg == MAP_FAILED) {
			w->seg = NULL;
			rc = dc_stats_seterr(errno, "stats_path %s: cannot map %s: %s", path, tmp,
					     strerror(errno));
			goto out;
		}
		/* tmpfs gives zeroed pages; the snapshots start zero and even. */
		w->hdr = (struct dc_stats_hdr *)w->seg;
		memcpy(w->hdr->magic, DC_STATS_MAGIC, sizeof(DC_STATS_MAGIC));
		w->hdr->endian = DC_STATS_ENDIAN;
		w->hdr->abi_major = DC_STATS_ABI_MAJOR;
		w->hdr->abi_minor = DC_STATS_ABI_MINOR;
		w->hdr->hdr_size = sizeof(struct dc_stats_hdr);
		w->hdr->state = DC_STATS_STARTING;
		w->hdr->segment_size = w->size;
		w->hdr->instance_id = random64();
		w->hdr->start_time_ns = now_ns();
		w->hdr->heartbeat_ns = w->hdr->start_time_ns;
		w->hdr->heartbeat_period_ns = info->heartbeat_period_ns;
		w->hdr->writer_pid = (uint32_t)getpid();
		w->hdr->interval_s = info->interval_s;
		w->hdr->n_workers = info->n_workers;
		w->hdr->n_ports = info->n_ports;
		w->hdr->metric_off = metric_off;
		w->hdr->n_metric = w->n;
		w->hdr->metric_size = sizeof(*desc);
		w->hdr->str_off = str_off;
		w->hdr->str_size = st.len;
		w->hdr->snap_off[0] = snap0;
		w->hdr->snap_off[1] = snap1;
		w->hdr->snap_size = snap_size;
		w->hdr->current = 0;
		snprintf(w->hdr->version, sizeof(w->hdr->version), "%s",
			 info->version ? info->version : "");
		memcpy(w->seg + metric_off, desc, (size_t)w->n * sizeof(*desc));
		memcpy(w->seg + str_off, st.b, st.len);
		if (msync(w->seg, w->size, MS_SYNC) != 0 && errno != ENOMEM) {
			/* tmpfs: nothing to flush; other file systems: best effort */
		}
		if (rename(tmp, path) != 0) {
			rc = dc_stats_seterr(errno, "stats_path %s: cannot rename %s into place: %s",
					     path, tmp, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp)
		unlink(tmp);
	if (rc != 0 && w->seg) {
		munmap(w->seg, w->size);
		w->seg = NULL;
		w->hdr = NULL;
	}
	free(tmp);
	free(desc);
	free(st.b);
	return rc;
}

void *
dc_stats_writer_values(struct dc_stats_writer *w, int m)
{
	if (w->hdr == NULL || m < 0 || (unsigned)m >= w->n)
		return NULL;
	return w->stage + ((const struct dc_stats_metric *)(w->seg + w->hdr->metric_off))[m].value_off;
}

void
dc_stats_writer_text(struct dc_stats_writer *w, int m, uint32_t i, const char *s)
{
	const struct dc_stats_metric *d;
	char *v;
	size_t n;

	if (w->hdr == NULL || m < 0 || (unsigned)m >= w->n)
		return;
	d = &((const struct dc_stats_metric *)(w->seg + w->hdr->metric_off))[m];
	if (d->kind != DC_STATS_STR || i >= d->n_elem)
		return;
	v = (char *)w->stage + d->value_off + (size_t)i * DC_STATS_STR_SIZE;
	n = s ? strnlen(s, DC_STATS_STR_SIZE - 1) : 0;
	memcpy(v, s ? s : "", n);
	memset(v + n, 0, DC_STATS_STR_SIZE - n);
}

void
dc_stats_writer_publish(struct dc_stats_writer *w, const struct dc_stats_snap *meta)
{
	struct dc_stats_hdr *h = w->hdr;
	uint64_t next, pub;
	struct dc_stats_snap *s;

	if (h == NULL)
		return;
	next = __atomic_load_n(&h->current, __ATOMIC_RELAXED) ^ 1;
	s = (struct dc_stats_snap *)(w->seg + h->snap_off[next]);
	pub = h->publishes + 1;
	/* seq odd, then the values, then seq even (the seqcount protocol) */
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy((uint8_t *)s + sizeof(*s), w->stage + sizeof(*s), h->snap_size - sizeof(*s));
	s->publish = pub;
	s->time_ns = now_ns();
	s->interval_start = meta ? meta->interval_start : 0;
	s->interval_end = meta ? meta->interval_end : 0;
	s->intervals = meta ? meta->intervals : 0;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&h->current, next, __ATOMIC_RELEASE);
	__atomic_store_n(&h->publishes, pub, __ATOMIC_RELEASE);
	__atomic_store_n(&h->state, DC_STATS_LIVE, __ATOMIC_RELEASE);
	__atomic_store_n(&h->heartbeat_ns, s->time_ns, __ATOMIC_RELEASE);
}

void
dc_stats_writer_heartbeat(struct dc_stats_writer *w)
{
	if (w->hdr)
		__atomic_store_n(&w->hdr->heartbeat_ns, now_ns(), __ATOMIC_RELEASE);
}

uint64_t
dc_stats_writer_size(const struct dc_stats_writer *w)
{
	return w->size;
}

void
dc_stats_writer_close(struct dc_stats_writer *w, int stopped)
{
	if (w == NULL)
		return;
	if (w->hdr) {
		if (stopped) {
			__atomic_store_n(&w->hdr->heartbeat_ns, now_ns(), __ATOMIC_RELEASE);
			__atomic_store_n(&w->hdr->state, DC_STATS_STOPPED, __ATOMIC_RELEASE);
		}
		munmap(w->seg, w->size);
	}
	for (unsigned i = 0; i < w->n; i++) {
		struct wmetric *m = &w->m[i];

		free(m->name);
		free(m->help);
		free(m->unit);
		for (unsigned k = 0; k < 2; k++) {
			free(m->dim_name[k]);
			for (uint32_t j = 0; m->dict[k] && j < m->d.dim_size[k]; j++)
				free(m->dict[k][j]);
			free(m->dict[k]);
		}
	}
	free(w->m);
	free(w->stage);
	free(w->path);
	free(w);
}
