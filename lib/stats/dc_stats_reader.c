/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reader side of the statistics segment. Everything read from the file
 * is checked against the file's size before use: a foreign, truncated or
 * corrupt file gives a one-line error, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "dc_stats.h"
#include "dc_stats_priv.h"

struct dc_stats_reader {
	const uint8_t *seg;
	uint64_t size;
	dev_t dev;
	ino_t ino;
	char *path;
	struct dc_stats_hdr h;     /* the header as checked at open */
	/* Private copies of the descriptor table and the string area, taken
	 * and checked at open: they are immutable for a writer's instance, and
	 * a process that can write the segment cannot change them under us. */
	uint8_t *desc;
	char *str;
	const struct dc_stats_metric **m; /* known metrics (in desc) */
	const struct dc_stats_metric **text; /* the known STR metrics (terminated in each copy) */
	const void *last_buf;      /* the buffer filled last, and with what */
	uint64_t last_idx, last_seq;
	unsigned n, n_text;
};

static int
range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* A NUL-terminated string at string-area offset @off. */
static int
str_ok(const struct dc_stats_reader *r, uint64_t off)
{
	return off < r->h.str_size &&
	       memchr(r->str + off, '\0', r->h.str_size - off) != NULL;
}

/* A metric's name for messages, one printable line (the name is terminated). */
static const char *
msg_name(const struct dc_stats_metric *m, char name[sizeof(m->name)])
{
	for (size_t j = 0; j < sizeof(m->name); j++)
		name[j] = m->name[j] && (m->name[j] < 0x20 || m->name[j] > 0x7e) ? '?' : m->name[j];
	return name;
}

static int
check_metric(struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned i, int *known)
{
	uint64_t n = 1, elem;
	char name[sizeof(m->name)]; /* the name for messages: one printable line */

	*known = 0;
	if (memchr(m->name, '\0', sizeof(m->name)) == NULL || m->name[0] == '\0')
		return dc_stats_seterr(EINVAL, "%s: metric %u: name not terminated", r->path, i);
	msg_name(m, name);
	if (m->n_dims > 2)
		return dc_stats_seterr(EINVAL, "%s: metric %s: %u dimensions", r->path, name, m->n_dims);
	if (!str_ok(r, m->help) || !str_ok(r, m->unit))
		return dc_stats_seterr(EINVAL, "%s: metric %s: help or unit outside the string area",
				       r->path, name);
	for (unsigned k = 0; k < m->n_dims; k++) {
		if (m->dim_size[k] == 0 || !str_ok(r, m->dim_name[k]))
			return dc_stats_seterr(EINVAL, "%s: metric %s: bad dimension %u", r->path,
					       name, k);
		n *= m->dim_size[k];
	}
	if (n != m->n_elem)
		return dc_stats_seterr(EINVAL, "%s: metric %s: %u elements, dimensions say %llu",
				       r->path, name, m->n_elem, (unsigned long long)n);
	if (m->type < DC_STATS_COUNTER || m->type > DC_STATS_GAUGE || m->kind < DC_STATS_U64 ||
	    m->kind > DC_STATS_STR || m->scope < DC_STATS_TOTAL || m->scope > DC_STATS_NOW)
		return 0; /* a newer minor's metric: skip it */
	for (unsigned k = 0; k < m->n_dims; k++)
		if (m->dim_kind[k] < DC_STATS_DIM_INDEX || m->dim_kind[k] > DC_STATS_DIM_KEY)
			return 0;
	elem = m->kind == DC_STATS_ADDR ? 16 : m->kind == DC_STATS_STR ? DC_STATS_STR_SIZE : 8;
	if (m->elem_size != elem || m->value_off % 8 || m->value_off < sizeof(struct dc_stats_snap) ||
	    !range_ok(m->value_off, n * elem, r->h.snap_size))
		return dc_stats_seterr(EINVAL, "%s: metric %s: values outside the snapshot", r->path,
				       name);
	for (unsigned k = 0; k < m->n_dims; k++) {
		if (m->dim_kind[k] != DC_STATS_DIM_DICT)
			continue;
		/* dim_size consecutive strings inside the string area */
		uint64_t off = m->dim_dict[k];

		for (uint32_t j = 0; j < m->dim_size[k]; j++) {
			const char *s;

			if (off == 0 || !str_ok(r, off))
				return dc_stats_seterr(EINVAL, "%s: metric %s: dictionary %u outside the string area",
						       r->path, name, k);
			s = r->str + off;
			off += strlen(s) + 1;
		}
	}
	*known = 1;
	return 0;
}

static const struct dc_stats_metric *
raw_metric(const struct dc_stats_reader *r, uint64_t i)
{
	return (const struct dc_stats_metric *)(r->desc + i * r->h.metric_size);
}

/* The DC_STATS_DIM_KEY dimensions of a known metric: each names a known
 * metric of the right shape (else the file is corrupt), or one this reader
 * skips (then it skips this one too: *known = 0). */
static int
check_keys(struct dc_stats_reader *r, const struct dc_stats_metric *m, const uint8_t *kn,
	   int *known)
{
	char n1[sizeof(m->name)], n2[sizeof(m->name)];

	for (unsigned k = 0; k < m->n_dims; k++) {
		const struct dc_stats_metric *km;

		if (m->dim_kind[k] != DC_STATS_DIM_KEY)
			continue;
		if (m->dim_dict[k] >= r->h.n_metric)
			return dc_stats_seterr(EINVAL, "%s: metric %s: key metric %u of %u", r->path,
					       msg_name(m, n1), m->dim_dict[k], r->h.n_metric);
		if (!kn[m->dim_dict[k]]) {
			*known = 0;
			return 0;
		}
		km = raw_metric(r, m->dim_dict[k]);
		if (km->n_dims != 1 || km->n_elem != m->dim_size[k] || km->dim_kind[0] == DC_STATS_DIM_KEY ||
		    (km->kind != DC_STATS_U64 && km->kind != DC_STATS_STR))
			return dc_stats_seterr(EINVAL, "%s: metric %s: key metric %s is not a list of %u ids",
					       r->path, msg_name(m, n1), msg_name(km, n2), m->dim_size[k]);
	}
	return 0;
}

int
dc_stats_open(const char *path, struct dc_stats_reader **out)
{
	struct dc_stats_reader *r;
	uint8_t *kn = NULL;        /* known metrics, by descriptor index */
	struct stat st;
	int fd, rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return dc_stats_seterr(ENOMEM, "%s: out of memory", path);
	}
	/* O_NONBLOCK: a FIFO at the path must not block the open (refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = dc_stats_seterr(errno, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = dc_stats_seterr(EINVAL, "%s: not a regular file", path);
		close(fd);
		goto fail;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->size = (uint64_t)st.st_size;
	if (r->size < sizeof(struct dc_stats_hdr)) {
		rc = dc_stats_seterr(EINVAL, "%s: not a darkcap stats file (%llu bytes, shorter than its header)",
				     path, (unsigned long long)r->size);
		close(fd);
		goto fail;
	}
	r->seg = mmap(NULL, r->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (r->seg == MAP_FAILED) {
		r->seg = NULL;
		rc = dc_stats_seterr(errno, "%s: cannot map: %s", path, strerror(errno));
		goto fail;
	}
	memcpy(&r->h, r->seg, sizeof(r->h));
	r->h.version[sizeof(r->h.version) - 1] = '\0'; /* a string, whatever the file says */
	if (memcmp(r->h.magic, DC_STATS_MAGIC, sizeof(DC_STATS_MAGIC)) != 0) {
		rc = dc_stats_seterr(EINVAL, "%s: not a darkcap stats file (bad magic)", path);
		goto fail;
	}
	if (r->h.endian != DC_STATS_ENDIAN) {
		rc = dc_stats_seterr(EPROTO, "%s: written with another byte order", path);
		goto fail;
	}
	if (r->h.abi_major != DC_STATS_ABI_MAJOR) {
		rc = dc_stats_seterr(EPROTO, "%s: ABI %u.%u, this reader reads ABI %u.x", path,
				     r->h.abi_major, r->h.abi_minor, DC_STATS_ABI_MAJOR);
		goto fail;
	}
	if (r->h.incompat_flags) {
		rc = dc_stats_seterr(EPROTO, "%s: unknown incompatible features 0x%llx", path,
				     (unsigned long long)r->h.incompat_flags);
		goto fail;
	}
	if (r->h.hdr_size < sizeof(struct dc_stats_hdr) || r->h.segment_size != r->size ||
	    r->h.metric_size < sizeof(struct dc_stats_metric) || r->h.n_metric > (1u << 20) ||
	    r->h.metric_off % 8 || r->h.metric_size % 8 ||
	    !range_ok(r->h.metric_off, (uint64_t)r->h.n_metric * r->h.metric_size, r->size) ||
	    r->h.str_size == 0 || !range_ok(r->h.str_off, r->h.str_size, r->size) ||
	    r->seg[r->h.str_off] != '\0' || r->h.snap_size < sizeof(struct dc_stats_snap) ||
	    r->h.snap_size % 8 || !range_ok(r->h.snap_off[0], r->h.snap_size, r->size) ||
	    !range_ok(r->h.snap_off[1], r->h.snap_size, r->size) || r->h.snap_off[0] % 8 ||
	    r->h.snap_off[1] % 8) {
		rc = dc_stats_seterr(EINVAL, "%s: corrupt header (sizes or offsets outside its %llu bytes)",
				     path, (unsigned long long)r->size);
		goto fail;
	}
	r->m = calloc(r->h.n_metric ? r->h.n_metric : 1, sizeof(*r->m));
	r->desc = malloc((size_t)r->h.n_metric * r->h.metric_size + 1);
	r->str = malloc((size_t)r->h.str_size);
	if (r->m == NULL || r->desc == NULL || r->str == NULL) {
		rc = dc_stats_seterr(ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	memcpy(r->desc, r->seg + r->h.metric_off, (size_t)r->h.n_metric * r->h.metric_size);
	memcpy(r->str, r->seg + r->h.str_off, (size_t)r->h.str_size);
	if (r->str[0] != '\0') {
		rc = dc_stats_seterr(EINVAL, "%s: corrupt string area", path);
		goto fail;
	}
	kn = calloc(r->h.n_metric ? r->h.n_metric : 1, 1);
	r->text = calloc(r->h.n_metric ? r->h.n_metric : 1, sizeof(*r->text));
	if (kn == NULL || r->text == NULL) {
		rc = dc_stats_seterr(ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	for (unsigned i = 0; i < r->h.n_metric; i++) {
		int known;

		rc = check_metric(r, raw_metric(r, i), i, &known);
		if (rc != 0)
			goto fail;
		kn[i] = (uint8_t)known;
	}
	/* keys name metrics of the first pass (which have no key dimension) */
	for (unsigned i = 0; i < r->h.n_metric; i++) {
		int known = kn[i];

		if (known && (rc = check_keys(r, raw_metric(r, i), kn, &known)) != 0)
			goto fail;
		if (!known)
			continue;
		r->m[r->n++] = raw_metric(r, i);
		if (raw_metric(r, i)->kind == DC_STATS_STR)
			r->text[r->n_text++] = raw_metric(r, i);
	}
	free(kn);
	*out = r;
	return 0;
fail:
	free(kn);
	dc_stats_close(r);
	return rc;
}

void
dc_stats_close(struct dc_stats_reader *r)
{
	if (r == NULL)
		return;
	if (r->seg)
		munmap((void *)r->seg, r->size);
	free(r->m);
	free(r->text);
	free(r->desc);
	free(r->str);
	free(r->path);
	free(r);
}

void
dc_stats_header(const struct dc_stats_reader *r, struct dc_stats_hdr *h)
{
	const struct dc_stats_hdr *s = (const struct dc_stats_hdr *)r->seg;

	*h = r->h;
	h->state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	h->heartbeat_ns = __atomic_load_n(&s->heartbeat_ns, __ATOMIC_ACQUIRE);
	h->current = __atomic_load_n(&s->current, __ATOMIC_ACQUIRE);
	h->publishes = __atomic_load_n(&s->publishes, __ATOMIC_ACQUIRE);
}

unsigned
dc_stats_n_metrics(const struct dc_stats_reader *r)
{
	return r->n;
}

const struct dc_stats_metric *
dc_stats_metric(const struct dc_stats_reader *r, unsigned i)
{
	return i < r->n ? r->m[i] : NULL;
}

int
dc_stats_find(const struct dc_stats_reader *r, unsigned scope, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->m[i]->scope == scope && strcmp(r->m[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *
dc_stats_str(const struct dc_stats_reader *r, uint32_t off)
{
	return r->str + (off < r->h.str_size ? off : 0);
}

const char *
dc_stats_label(const struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned dim,
	       uint32_t idx, char *buf, size_t size)
{
	char cc[8];

	if (dim >= m->n_dims || idx >= m->dim_size[dim]) {
		snprintf(buf, size, "?");
		return buf;
	}
	switch (m->dim_kind[dim]) {
	case DC_STATS_DIM_DICT: {
		const char *s = dc_stats_str(r, m->dim_dict[dim]);

		for (uint32_t j = 0; j < idx; j++)
			s += strlen(s) + 1; /* checked at open */
		snprintf(buf, size, "%s", s);
		break;
	}
	case DC_STATS_DIM_CC:
		snprintf(buf, size, "%s", dc_stats_cc_name(idx, cc));
		break;
	case DC_STATS_DIM_KEY:
		snprintf(buf, size, "#%u", idx); /* the key is in a snapshot: dc_stats_label_at() */
		break;
	default:
		snprintf(buf, size, "%u", idx);
	}
	return buf;
}

const struct dc_stats_metric *
dc_stats_key_metric(const struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned dim)
{
	if (dim >= m->n_dims || m->dim_kind[dim] != DC_STATS_DIM_KEY || m->dim_dict[dim] >= r->h.n_metric)
		return NULL;
	return raw_metric(r, m->dim_dict[dim]); /* checked at open */
}

const char *
dc_stats_label_at(const struct dc_stats_reader *r, const void *buf, const struct dc_stats_metric *m,
		  unsigned dim, uint32_t idx, char *out, size_t size)
{
	const struct dc_stats_metric *km = dc_stats_key_metric(r, m, dim);

	if (km == NULL || idx >= m->dim_size[dim])
		return dc_stats_label(r, m, dim, idx, out, size);
	if (km->kind == DC_STATS_STR)
		snprintf(out, size, "%s", dc_stats_text(buf, km, idx));
	else
		snprintf(out, size, "%llu", (unsigned long long)dc_stats_u64(buf, km, idx));
	return out;
}

int
dc_stats_elem_used(const struct dc_stats_reader *r, const void *buf, const struct dc_stats_metric *m,
		   uint32_t i)
{
	uint32_t c[2];

	if (m->n_dims == 0 || i >= m->n_elem)
		return m->n_dims == 0 && i == 0;
	c[0] = m->n_dims == 2 ? i / m->dim_size[1] : i;
	c[1] = m->n_dims == 2 ? i % m->dim_size[1] : 0;
	for (unsigned k = 0; k < m->n_dims; k++) {
		const struct dc_stats_metric *km = dc_stats_key_metric(r, m, k);

		if (km && (km->kind == DC_STATS_STR ? dc_stats_text(buf, km, c[k])[0] == '\0' :
			   dc_stats_u64(buf, km, c[k]) == 0))
			return 0;
	}
	return 1;
}

size_t
dc_stats_snap_size(const struct dc_stats_reader *r)
{
	return (size_t)r->h.snap_size;
}

/*
 * Copy a snapshot without filling the shared caches: the source is
 * prefetched non-temporally and the copy is written with streaming stores,
 * so a reader copying megabytes back to back does not evict the workers'
 * tables from the last-level cache. Falls back to memcpy.
 */
static void
copy_nt(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	if (((uintptr_t)dst % 16) == 0 && ((uintptr_t)src % 16) == 0) {
		__m128i *d = dst;
		const __m128i *s = src;
		size_t i, k = n / 64;

		for (i = 0; i < k; i++, d += 4, s += 4) {
			_mm_prefetch((const char *)(s + 32), _MM_HINT_NTA);
			_mm_stream_si128(d, _mm_load_si128(s));
			_mm_stream_si128(d + 1, _mm_load_si128(s + 1));
			_mm_stream_si128(d + 2, _mm_load_si128(s + 2));
			_mm_stream_si128(d + 3, _mm_load_si128(s + 3));
		}
		_mm_sfence();
		memcpy(d, s, n % 64);
		return;
	}
#endif
	memcpy(dst, src, n);
}

static int
read_snap(struct dc_stats_reader *r, void *buf, unsigned *retries, int fresh)
{
	const struct dc_stats_hdr *h = (const struct dc_stats_hdr *)r->seg;
	unsigned t;

	for (t = 0; t < DC_STATS_READ_TRIES; t++) {
		uint64_t i = __atomic_load_n(&h->current, __ATOMIC_ACQUIRE);
		const struct dc_stats_snap *s;
		uint64_t q1, q2;

		if (i > 1)
			return dc_stats_seterr(EINVAL, "%s: corrupt header (current = %llu)", r->path,
					       (unsigned long long)i);
		s = (const struct dc_stats_snap *)(r->seg + r->h.snap_off[i]);
		q1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (q1 & 1)
			continue;
		if (!fresh && buf == r->last_buf && i == r->last_idx && q1 == r->last_seq &&
		    ((const struct dc_stats_snap *)buf)->seq == q1 &&
		    ((const struct dc_stats_snap *)buf)->publish == s->publish &&
		    ((const struct dc_stats_snap *)buf)->time_ns == s->time_ns) {
			/* Nothing published since this buffer was filled. */
			if (retries)
				*retries = t;
			return 0;
		}
		copy_nt(buf, s, (size_t)r->h.snap_size);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		q2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (q1 != q2)
			continue;
		((struct dc_stats_snap *)buf)->seq = q1;
		/* texts end inside their element, whatever the file holds */
		for (unsigned k = 0; k < r->n_text; k++)
			for (uint32_t e = 0; e < r->text[k]->n_elem; e++)
				((char *)buf)[r->text[k]->value_off + (uint64_t)(e + 1) * DC_STATS_STR_SIZE - 1] = '\0';
		r->last_buf = buf;
		r->last_idx = i;
		r->last_seq = q1;
		if (retries)
			*retries = t;
		return 0;
	}
	r->last_buf = NULL;
	if (retries)
		*retries = t;
	return dc_stats_seterr(EBUSY, "%s: no consistent snapshot after %u tries (writer publishing too fast?)",
			       r->path, DC_STATS_READ_TRIES);
}

int
dc_stats_read(struct dc_stats_reader *r, void *buf, unsigned *retries)
{
	return read_snap(r, buf, retries, 0);
}

int
dc_stats_read_fresh(struct dc_stats_reader *r, void *buf, unsigned *retries)
{
	return read_snap(r, buf, retries, 1);
}

enum dc_stats_live
dc_stats_liveness(const struct dc_stats_reader *r, uint64_t now_ns, uint64_t *age_ns)
{
	const struct dc_stats_hdr *h = (const struct dc_stats_hdr *)r->seg;
	uint64_t hb = __atomic_load_n(&h->heartbeat_ns, __ATOMIC_ACQUIRE);
	uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	uint64_t age = now_ns > hb ? now_ns - hb : 0, period = r->h.heartbeat_period_ns;
	struct stat st;

	if (age_ns)
		*age_ns = age;
	if (stat(r->path, &st) != 0)
		return DC_STATS_IS_GONE;
	if (st.st_ino != r->ino || st.st_dev != r->dev)
		return DC_STATS_IS_REPLACED;
	if (state == DC_STATS_STOPPED)
		return DC_STATS_IS_STOPPED;
	if (age > 3 * (period ? period : 1000000000ull))
		return DC_STATS_IS_STALE;
	if (state == DC_STATS_STARTING)
		return DC_STATS_IS_STARTING;
	return DC_STATS_IS_LIVE;
}
