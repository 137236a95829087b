/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libdarkcap-stats: the shared-memory statistics segment, writer and reader.
 *
 * - round trip: metrics of every type, kind, scope and dimension kind (0, 1
 *   and 2 dimensions; INDEX, DICT, CC dimensions; U64, ADDR, CC elements)
 *   written through the writer API and read back: header, every descriptor
 *   field, strings, labels, values, snapshot header; the writer refuses bad
 *   definitions;
 * - torn snapshots: a writer publishing as fast as it can against 4 reader
 *   threads that check, on every snapshot, invariants spanning all of it
 *   (a total equal to the sum of an array, every element a function of the
 *   publish number, the snapshot header agreeing with a value metric);
 * - liveness: STARTING, LIVE, STALE, LIVE again, STOPPED, REPLACED, GONE, and
 *   a writer that died mid-publish (odd seq in either snapshot);
 * - bad files: missing, directory, FIFO, empty, foreign, truncated, every
 *   header and descriptor field corrupted on its own, and random byte flips:
 *   open fails with a one-line message naming the path, or succeeds and
 *   everything the API offers is safe to use;
 * - text values and keyed rows (ABI minor 1): round trip through two
 *   publishes with a rename and a new id, labels from the snapshot, unused
 *   rows, the writer's refusals, corrupt keys and texts, random flips, and
 *   writer/readers racing renames (a name never meets another id's count).
 *
 * DC_STATS_STRESS_SCALE (a number, default 1) scales the stress test; the
 * defaults are smaller under AddressSanitizer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dc_stats.h"
#include "dc_test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- helpers --------------------------------------------------------- */

static char g_dir[512];

static void
tmp_init(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(g_dir, sizeof(g_dir), "%s/dc_stats_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static int
rm_cb(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(p);
}

static void
tmp_fini(void)
{
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tpath(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", g_dir, name);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}


/* The last error message: non-empty, one line, naming @path (if given). */
static int
msg_ok(const char *path)
{
	const char *m = dc_stats_strerror();

	int ctl = 0;

	for (const char *c = m; c && *c; c++)
		ctl |= (unsigned char)*c < 0x20 || *c == 0x7f; /* one printable line */
	if (m == NULL || m[0] == '\0' || ctl || (path && strstr(m, path) == NULL)) {
		fprintf(stderr, "  bad message for %s: '%s'\n", path ? path : "(no path)", m ? m : "(null)");
		return 0;
	}
	return 1;
}

static int
write_file(const char *path, const void *p, size_t n)
{
	ssize_t w = 0;
	int fd;

	unlink(path); /* a new file: faster than truncating one on ext4 */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (n)
		w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static uint8_t *
read_file(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = malloc((size_t)st.st_size);
	if (p && read(fd, p, (size_t)st.st_size) != (ssize_t)st.st_size) {
		free(p);
		p = NULL;
	}
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

/* The country code of index @cc, computed independently of the library. */
static void
cc_expect(uint64_t cc, char *buf)
{
	if (cc == 0 || cc > 26 * 26) {
		strcpy(buf, "unknown");
		return;
	}
	buf[0] = (char)('A' + (cc - 1) / 26);
	buf[1] = (char)('A' + (cc - 1) % 26);
	buf[2] = '\0';
}

static uint64_t
cc_index(const char *ab)
{
	return 1 + 26 * (uint64_t)(ab[0] - 'A') + (uint64_t)(ab[1] - 'A');
}

/*
 * Use everything a reader offers on an open segment, as a collector would:
 * header, every metric's strings and labels, find, a read into a buffer of
 * exactly dc_stats_snap_size() bytes, every value (bounded), liveness.
 * Returns the dc_stats_read() result.
 */
static int
exercise(struct dc_stats_reader *r, const char *path)
{
	struct dc_stats_hdr h;
	unsigned n = dc_stats_n_metrics(r), tries = 0;
	size_t ss = dc_stats_snap_size(r);
	void *buf = malloc(ss ? ss : 1);
	volatile uint64_t sink = 0;
	char lb[80];
	int rc;

	dc_stats_header(r, &h);
	CHECK(memchr(h.version, '\0', sizeof(h.version)) != NULL);
	CHECK(memcmp(h.magic, DC_STATS_MAGIC, sizeof(h.magic)) == 0);
	CHECK(ss >= sizeof(struct dc_stats_snap));
	rc = dc_stats_read(r, buf, &tries);
	if (rc != 0) {
		CHECK(rc == -EINVAL || rc == -EBUSY);
		CHECK(msg_ok(path));
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);
		int f;

		CHECK(m != NULL);
		if (m == NULL)
			continue;
		CHECK(strnlen(m->name, sizeof(m->name)) < sizeof(m->name));
		sink += strlen(dc_stats_str(r, m->help)) + strlen(dc_stats_str(r, m->unit));
		CHECK(m->n_dims <= 2);
		CHECK(m->elem_size == (m->kind == DC_STATS_ADDR ? 16u :
				       m->kind == DC_STATS_STR ? DC_STATS_STR_SIZE : 8u));
		CHECK(m->value_off + (uint64_t)m->n_elem * m->elem_size <= ss);
		for (unsigned k = 0; k < m->n_dims; k++) {
			uint32_t ds = m->dim_size[k];

			sink += strlen(dc_stats_str(r, m->dim_name[k]));
			for (uint32_t j = 0; j < ds && j < 300; j++)
				sink += strlen(dc_stats_label(r, m, k, j, lb, sizeof(lb)));
			sink += strlen(dc_stats_label(r, m, k, ds - 1, lb, sizeof(lb)));
			dc_stats_label(r, m, k, ds, lb, sizeof(lb));
			CHECK(strcmp(lb, "?") == 0);
			dc_stats_label(r, m, k, ds - 1, lb, 2); /* truncated */
			CHECK(strlen(lb) <= 1);
		}
		dc_stats_label(r, m, m->n_dims, 0, lb, sizeof(lb));
		CHECK(strcmp(lb, "?") == 0);
		f = dc_stats_find(r, m->scope, m->name);
		CHECK(f >= 0 && f <= (int)i);
		if (f >= 0) {
			CHECK(strcmp(dc_stats_metric(r, (unsigned)f)->name, m->name) == 0);
			CHECK(dc_stats_metric(r, (unsigned)f)->scope == m->scope);
		}
		if (rc != 0)
			continue;
		for (uint32_t e = 0; e < m->n_elem; e = e < 2048 ? e + 1 : (e == m->n_elem - 1 ? e + 1 : m->n_elem - 1)) {
			if (m->kind == DC_STATS_ADDR)
				sink += strlen(dc_stats_addr_name(dc_stats_addr(buf, m, e), lb, sizeof(lb)));
			else if (m->kind == DC_STATS_STR)
				CHECK(strlen(dc_stats_text(buf, m, e)) < DC_STATS_STR_SIZE);
			else
				sink += dc_stats_u64(buf, m, e);
			sink += (uint64_t)dc_stats_elem_used(r, buf, m, e);
		}
		/* labels of keyed rows come from the snapshot */
		for (unsigned k = 0; k < m->n_dims; k++)
			for (uint32_t j = 0; j < m->dim_size[k] && j < 300; j++) {
				sink += strlen(dc_stats_label_at(r, buf, m, k, j, lb, sizeof(lb)));
				CHECK(strlen(lb) < sizeof(lb));
			}
	}
	CHECK(dc_stats_metric(r, n) == NULL);
	{
		uint64_t age = 1;
		enum dc_stats_live l = dc_stats_liveness(r, now_ns(), &age);

		CHECK(l <= DC_STATS_IS_GONE);
		CHECK(strcmp(dc_stats_live_name(l), "?") != 0);
	}
	(void)sink;
	free(buf);
	return rc;
}

/* ---- a. round trip ---------------------------------------------------- */

static const char *const proto_dict[] = {"tcp", "", "udp", NULL, "icmp"};
static const char *const proto_expect[] = {"tcp", " ", "udp", " ", "icmp"};
static const char *const dir_dict[] = {"in", "out"};
static const char *const ab_dict[] = {"a", "b"};
#define LONG_NAME "abcdefghijklmnopqrstuvwxyz0123456789_abcdefghijklmnopqrstuvwxyz" /* 63 */

static const struct dc_stats_def rt_defs[] = {
	{.name = "packets", .help = "Packets seen", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL},
	{.name = "packets", .help = "Packets in the last interval", .unit = "packets",
	 .type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL},
	{.name = "port_packets", .help = "Packets per port", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 1, .dim_name = {"port"},
	 .dim_size = {4}, .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "proto_bytes", .help = "Bytes per protocol", .unit = "bytes", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL, .n_dims = 1, .dim_name = {"proto"},
	 .dim_size = {5}, .dim_kind = {DC_STATS_DIM_DICT}, .dict = {proto_dict}},
	{.name = "country_sources", .help = "Sources per country", .unit = "sources",
	 .type = DC_STATS_GAUGE, .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1,
	 .dim_name = {"country"}, .dim_size = {677}, .dim_kind = {DC_STATS_DIM_CC}},
	{.name = "top_src", .help = "Top sources", .unit = "", .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_ADDR, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"rank"},
	 .dim_size = {3}, .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "worker_dir_packets", .help = "Packets per worker and direction", .unit = "packets",
	 .type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 2,
	 .dim_name = {"worker", "dir"}, .dim_size = {3, 2},
	 .dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, dir_dict}},
	{.name = "rank_cc", .help = "Country of each top source", .unit = NULL, .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_CC, .scope = DC_STATS_INTERVAL, .n_dims = 2, .dim_name = {"country", "rank"},
	 .dim_size = {3, 2}, .dim_kind = {DC_STATS_DIM_CC, DC_STATS_DIM_INDEX}},
	{.name = "top_addr", .type = DC_STATS_GAUGE, .kind = DC_STATS_ADDR, .scope = DC_STATS_INTERVAL},
	{.name = "last_cc", .help = "Country of the last packet", .unit = "", .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_CC, .scope = DC_STATS_NOW},
	{.name = "ab_cc", .help = "Dictionary by country", .unit = "x", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 2, .dim_name = {"", "cc"},
	 .dim_size = {2, 4}, .dim_kind = {DC_STATS_DIM_DICT, DC_STATS_DIM_CC}, .dict = {ab_dict, NULL}},
	{.name = LONG_NAME, .help = "A name of 63 characters", .unit = "seconds",
	 .type = DC_STATS_GAUGE, .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 1,
	 .dim_name = {"i"}, .dim_size = {1}, .dim_kind = {DC_STATS_DIM_INDEX}},
};

static uint32_t
def_n_elem(const struct dc_stats_def *d)
{
	uint32_t n = 1;

	for (unsigned k = 0; k < d->n_dims; k++)
		n *= d->dim_size[k];
	return n;
}

/* Value of element @j of metric @i in round @p (U64 and CC kinds). */
static uint64_t
rt_u64(unsigned i, uint32_t j, unsigned p, uint16_t kind)
{
	if (kind == DC_STATS_CC)
		return (i * 7u + j + p) % 677u;
	return ((uint64_t)(i + 1) << 40) | ((uint64_t)p << 20) | j;
}

/* Address element: IPv4-mapped for even j, IPv6 for odd j; and its text. */
static void
rt_addr(unsigned i, uint32_t j, unsigned p, uint8_t a[16], char *text)
{
	memset(a, 0, 16);
	if (j % 2 == 0) {
		a[10] = a[11] = 0xff;
		a[12] = 10;
		a[13] = (uint8_t)i;
		a[14] = (uint8_t)p;
		a[15] = (uint8_t)j;
		sprintf(text, "10.%u.%u.%u", i, p, j);
	} else {
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
		a[11] = (uint8_t)i;
		a[13] = (uint8_t)p;
		a[15] = (uint8_t)j;
		sprintf(text, "2001:db8::%x:%x:%x", i, p, j);
	}
}

static void
rt_fill(struct dc_stats_writer *w, const int *idx, unsigned p)
{
	char text[64];

	for (unsigned i = 0; i < ARRAY_SIZE(rt_defs); i++) {
		const struct dc_stats_def *d = &rt_defs[i];
		uint8_t *v = dc_stats_writer_values(w, idx[i]);
		uint32_t n = def_n_elem(d);

		CHECK(v != NULL);
		if (v == NULL)
			continue;
		CHECK(((uintptr_t)v & 7) == 0);
		for (uint32_t j = 0; j < n; j++) {
			if (d->kind == DC_STATS_ADDR)
				rt_addr(i, j, p, v + 16 * (size_t)j, text);
			else
				memcpy(v + 8 * (size_t)j, &(uint64_t){rt_u64(i, j, p, d->kind)}, 8);
		}
	}
}

/* Check every value of a snapshot buffer against round @p (0: all zero). */
static void
rt_check_values(struct dc_stats_reader *r, const void *buf, unsigned p)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(rt_defs); i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);
		const struct dc_stats_def *d = &rt_defs[i];

		for (uint32_t j = 0; m && j < m->n_elem; j++) {
			if (d->kind == DC_STATS_ADDR) {
				uint8_t a[16];
				char text[64], got[64];

				if (p == 0) {
					memset(a, 0, 16);
					strcpy(text, "::");
				} else {
					rt_addr(i, j, p, a, text);
				}
				if (memcmp(dc_stats_addr(buf, m, j), a, 16) != 0)
					bad++;
				dc_stats_addr_name(dc_stats_addr(buf, m, j), got, sizeof(got));
				if (strcmp(got, text) != 0) {
					fprintf(stderr, "  %s[%u]: '%s', expected '%s'\n", m->name, j, got, text);
					bad++;
				}
			} else if (dc_stats_u64(buf, m, j) != (p ? rt_u64(i, j, p, d->kind) : 0)) {
				if (bad < 5)
					fprintf(stderr, "  %s[%u] = %llu, expected %llu\n", m->name, j,
						(unsigned long long)dc_stats_u64(buf, m, j),
						(unsigned long long)(p ? rt_u64(i, j, p, d->kind) : 0));
				bad++;
			}
		}
	}
	CHECK_EQ(bad, 0);
}

static void
rt_check_descriptors(struct dc_stats_reader *r)
{
	uint64_t ss = dc_stats_snap_size(r);
	char lb[80], cc[8];

	CHECK_EQ(dc_stats_n_metrics(r), ARRAY_SIZE(rt_defs));
	for (unsigned i = 0; i < ARRAY_SIZE(rt_defs) && i < dc_stats_n_metrics(r); i++) {
		const struct dc_stats_def *d = &rt_defs[i];
		const struct dc_stats_metric *m = dc_stats_metric(r, i);

		CHECK(strcmp(m->name, d->name) == 0);
		CHECK_EQ(m->type, d->type);
		CHECK_EQ(m->kind, d->kind);
		CHECK_EQ(m->scope, d->scope);
		CHECK_EQ(m->n_dims, d->n_dims);
		CHECK_EQ(m->n_elem, def_n_elem(d));
		CHECK_EQ(m->elem_size, d->kind == DC_STATS_ADDR ? 16 : 8);
		CHECK_EQ(m->flags, 0);
		CHECK(strcmp(dc_stats_str(r, m->help), d->help ? d->help : "") == 0);
		CHECK(strcmp(dc_stats_str(r, m->unit), d->unit ? d->unit : "") == 0);
		CHECK_EQ(m->value_off % 8, 0);
		CHECK(m->value_off >= sizeof(struct dc_stats_snap));
		CHECK(m->value_off + (uint64_t)m->n_elem * m->elem_size <= ss);
		/* no two metrics share a byte */
		for (unsigned o = 0; o < i; o++) {
			const struct dc_stats_metric *q = dc_stats_metric(r, o);

			CHECK(m->value_off >= q->value_off + (uint64_t)q->n_elem * q->elem_size ||
			      q->value_off >= m->value_off + (uint64_t)m->n_elem * m->elem_size);
		}
		for (unsigned k = 0; k < d->n_dims; k++) {
			CHECK(strcmp(dc_stats_str(r, m->dim_name[k]), d->dim_name[k]) == 0);
			CHECK_EQ(m->dim_size[k], d->dim_size[k]);
			CHECK_EQ(m->dim_kind[k], d->dim_kind[k]);
			for (uint32_t j = 0; j < d->dim_size[k]; j++) {
				char want[64];

				dc_stats_label(r, m, k, j, lb, sizeof(lb));
				switch (d->dim_kind[k]) {
				case DC_STATS_DIM_INDEX:
					snprintf(want, sizeof(want), "%u", j);
					break;
				case DC_STATS_DIM_CC:
					cc_expect(j, want);
					break;
				default:
					snprintf(want, sizeof(want), "%s",
						 d->dict[k] == proto_dict ? proto_expect[j] : d->dict[k][j]);
				}
				if (strcmp(lb, want) != 0) {
					fprintf(stderr, "  %s dim %u label %u: '%s', expected '%s'\n", m->name, k, j,
						lb, want);
					CHECK(0);
				}
			}
			/* out of range: "?" */
			CHECK(strcmp(dc_stats_label(r, m, k, d->dim_size[k], lb, sizeof(lb)), "?") == 0);
		}
		for (unsigned k = d->n_dims; k < 2; k++) {
			CHECK_EQ(m->dim_size[k], 0);
			CHECK_EQ(m->dim_kind[k], 0);
			CHECK_EQ(m->dim_name[k], 0);
			CHECK_EQ(m->dim_dict[k], 0);
			CHECK(strcmp(dc_stats_label(r, m, k, 0, lb, sizeof(lb)), "?") == 0);
		}
	}
	/* spot checks, written out */
	{
		const struct dc_stats_metric *cs = dc_stats_metric(r, 4), *pb = dc_stats_metric(r, 3);
		const struct dc_stats_metric *wd = dc_stats_metric(r, 6), *ab = dc_stats_metric(r, 10);

		CHECK(strcmp(dc_stats_label(r, cs, 0, 0, lb, sizeof(lb)), "unknown") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, 1, lb, sizeof(lb)), "AA") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, 26, lb, sizeof(lb)), "AZ") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, 27, lb, sizeof(lb)), "BA") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, (uint32_t)cc_index("JP"), lb, sizeof(lb)), "JP") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, (uint32_t)cc_index("US"), lb, sizeof(lb)), "US") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, 676, lb, sizeof(lb)), "ZZ") == 0);
		CHECK(strcmp(dc_stats_label(r, cs, 0, 677, lb, sizeof(lb)), "?") == 0);
		CHECK(strcmp(dc_stats_label(r, pb, 0, 1, lb, sizeof(lb)), " ") == 0);
		CHECK(strcmp(dc_stats_label(r, pb, 0, 3, lb, sizeof(lb)), " ") == 0);
		CHECK(strcmp(dc_stats_label(r, pb, 0, 4, lb, sizeof(lb)), "icmp") == 0);
		CHECK(strcmp(dc_stats_label(r, pb, 0, 4, lb, 3), "ic") == 0); /* truncated to the buffer */
		CHECK(strcmp(dc_stats_label(r, wd, 0, 2, lb, sizeof(lb)), "2") == 0);
		CHECK(strcmp(dc_stats_label(r, wd, 1, 1, lb, sizeof(lb)), "out") == 0);
		CHECK(strcmp(dc_stats_label(r, ab, 0, 1, lb, sizeof(lb)), "b") == 0);
		CHECK(strcmp(dc_stats_label(r, ab, 1, 0, lb, sizeof(lb)), "unknown") == 0);
		CHECK(strcmp(dc_stats_label(r, ab, 1, 3, lb, sizeof(lb)), "AC") == 0);
		CHECK(strcmp(dc_stats_str(r, ab->dim_name[0]), "") == 0);
		CHECK(strcmp(dc_stats_cc_name(0, cc), "unknown") == 0);
		CHECK(strcmp(dc_stats_cc_name(cc_index("DE"), cc), "DE") == 0);
		CHECK(strcmp(dc_stats_cc_name(677, cc), "unknown") == 0);
		CHECK(strcmp(dc_stats_cc_name(UINT64_MAX, cc), "unknown") == 0);
		CHECK(strcmp(dc_stats_str(r, 0), "") == 0);
		CHECK(strcmp(dc_stats_str(r, UINT32_MAX), "") == 0); /* out of range: "" */
	}
	/* find */
	CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "packets"), 0);
	CHECK_EQ(dc_stats_find(r, DC_STATS_INTERVAL, "packets"), 1);
	CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "packets"), -1);
	CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "country_sources"), 4);
	CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, LONG_NAME), 11);
	CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "packet"), -1);
	CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "packetsx"), -1);
	CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, ""), -1);
	CHECK(dc_stats_metric(r, ARRAY_SIZE(rt_defs)) == NULL);
	CHECK(dc_stats_metric(r, UINT32_MAX) == NULL);
}

static void
t_round_trip(void)
{
	struct dc_stats_writer_info info = {.interval_s = 60, .n_workers = 3, .n_ports = 4,
					    .heartbeat_period_ns = 1000000000ull,
					    .version = "darkcap-test 1.2.3"};
	char path[600], tmp[700];
	int idx[ARRAY_SIZE(rt_defs)];
	struct dc_stats_writer *w = dc_stats_writer_new();
	struct dc_stats_reader *r = NULL;
	struct dc_stats_hdr h;
	struct stat st;
	uint64_t t0, t1;
	void *buf;
	unsigned tries = 99;
	int rc;

	tpath(path, sizeof(path), "rt.stats");
	CHECK(w != NULL);
	if (w == NULL)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(rt_defs); i++) {
		idx[i] = dc_stats_writer_add(w, &rt_defs[i]);
		CHECK_EQ(idx[i], i);
	}
	CHECK(dc_stats_writer_values(w, 0) == NULL); /* before create */
	t0 = now_ns();
	rc = dc_stats_writer_create(w, path, &info);
	t1 = now_ns();
	CHECK_EQ(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "  create: %s\n", dc_stats_strerror());
		dc_stats_writer_close(w, 0);
		return;
	}
	CHECK(dc_stats_writer_values(w, -1) == NULL);
	CHECK(dc_stats_writer_values(w, (int)ARRAY_SIZE(rt_defs)) == NULL);
	CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == dc_stats_writer_size(w));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	CHECK(access(tmp, F_OK) != 0); /* renamed into place */

	rc = dc_stats_open(path, &r);
	CHECK_EQ(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "  open: %s\n", dc_stats_strerror());
		dc_stats_writer_close(w, 0);
		return;
	}
	/* the header */
	dc_stats_header(r, &h);
	CHECK(memcmp(h.magic, "DCSTATS", 8) == 0);
	CHECK_EQ(h.endian, 0x01020304u);
	CHECK_EQ(h.abi_major, DC_STATS_ABI_MAJOR);
	CHECK_EQ(h.abi_minor, DC_STATS_ABI_MINOR);
	CHECK_EQ(h.hdr_size, 4096);
	CHECK_EQ(h.state, DC_STATS_STARTING);
	CHECK_EQ(h.incompat_flags, 0);
	CHECK_EQ(h.compat_flags, 0);
	CHECK_EQ(h.segment_size, (uint64_t)st.st_size);
	CHECK(h.instance_id != 0);
	CHECK(h.start_time_ns >= t0 && h.start_time_ns <= t1);
	CHECK(h.heartbeat_ns >= t0 && h.heartbeat_ns <= t1);
	CHECK_EQ(h.heartbeat_period_ns, 1000000000ull);
	CHECK_EQ(h.writer_pid, (uint32_t)getpid());
	CHECK_EQ(h.interval_s, 60);
	CHECK_EQ(h.n_workers, 3);
	CHECK_EQ(h.n_ports, 4);
	CHECK_EQ(h.n_metric, ARRAY_SIZE(rt_defs));
	CHECK(h.metric_size >= sizeof(struct dc_stats_metric));
	CHECK(h.metric_off >= 4096 && h.metric_off % 8 == 0);
	CHECK(h.str_off >= h.metric_off + (uint64_t)h.n_metric * h.metric_size);
	CHECK(h.snap_off[0] >= h.str_off + h.str_size && h.snap_off[0] % 8 == 0);
	CHECK(h.snap_off[1] >= h.snap_off[0] + h.snap_size && h.snap_off[1] % 8 == 0);
	CHECK(h.snap_off[1] + h.snap_size <= h.segment_size);
	CHECK_EQ(h.snap_size, dc_stats_snap_size(r));
	CHECK_EQ(h.publishes, 0);
	CHECK(h.current <= 1);
	CHECK(strcmp(h.version, "darkcap-test 1.2.3") == 0);
	CHECK_EQ(dc_stats_liveness(r, now_ns(), NULL), DC_STATS_IS_STARTING);
	rt_check_descriptors(r);

	/* before any publish: a zero snapshot */
	buf = malloc(dc_stats_snap_size(r));
	memset(buf, 0xa5, dc_stats_snap_size(r));
	CHECK_EQ(dc_stats_read(r, buf, &tries), 0);
	CHECK_EQ(tries, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->seq, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->publish, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->interval_start, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->intervals, 0);
	rt_check_values(r, buf, 0);

	/* publish 1, with interval fields */
	rt_fill(w, idx, 1);
	{
		struct dc_stats_snap meta = {.interval_start = 1700000000, .interval_end = 1700000060,
					     .intervals = 7, .publish = 999, .seq = 12345};

		t0 = now_ns();
		dc_stats_writer_publish(w, &meta);
		t1 = now_ns();
	}
	dc_stats_header(r, &h);
	CHECK_EQ(h.state, DC_STATS_LIVE);
	CHECK_EQ(h.publishes, 1);
	CHECK(h.heartbeat_ns >= t0 && h.heartbeat_ns <= t1);
	CHECK_EQ(dc_stats_liveness(r, now_ns(), NULL), DC_STATS_IS_LIVE);
	memset(buf, 0xa5, dc_stats_snap_size(r));
	CHECK_EQ(dc_stats_read(r, buf, &tries), 0);
	CHECK_EQ(tries, 0);
	CHECK(dc_stats_snap_of(buf)->seq != 0 && dc_stats_snap_of(buf)->seq % 2 == 0);
	CHECK_EQ(dc_stats_snap_of(buf)->publish, 1);
	CHECK(dc_stats_snap_of(buf)->time_ns >= t0 && dc_stats_snap_of(buf)->time_ns <= t1);
	CHECK_EQ(dc_stats_snap_of(buf)->interval_start, 1700000000);
	CHECK_EQ(dc_stats_snap_of(buf)->interval_end, 1700000060);
	CHECK_EQ(dc_stats_snap_of(buf)->intervals, 7);
	rt_check_values(r, buf, 1);

	/* publish 2 (the other snapshot), no meta */
	rt_fill(w, idx, 2);
	dc_stats_writer_publish(w, NULL);
	dc_stats_header(r, &h);
	CHECK_EQ(h.publishes, 2);
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	CHECK_EQ(dc_stats_snap_of(buf)->publish, 2);
	CHECK_EQ(dc_stats_snap_of(buf)->interval_start, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->interval_end, 0);
	CHECK_EQ(dc_stats_snap_of(buf)->intervals, 0);
	rt_check_values(r, buf, 2);

	/* publish 3 without touching the staging copy: the values persist */
	dc_stats_writer_publish(w, NULL);
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	CHECK_EQ(dc_stats_snap_of(buf)->publish, 3);
	rt_check_values(r, buf, 2);

	/* publish 4 with new values (snapshot 1 again after 2 rounds) */
	rt_fill(w, idx, 4);
	dc_stats_writer_publish(w, NULL);
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	CHECK_EQ(dc_stats_snap_of(buf)->publish, 4);
	rt_check_values(r, buf, 4);

	/* a buffer 8- but not 16-byte aligned (allowed): the same bytes */
	{
		uint8_t *raw = malloc(dc_stats_snap_size(r) + 16);
		uint8_t *b8 = raw + (((uintptr_t)raw % 16) ? 0 : 8);

		CHECK_EQ((uintptr_t)b8 % 16, 8);
		CHECK_EQ(dc_stats_read(r, b8, NULL), 0);
		CHECK(memcmp(b8, buf, dc_stats_snap_size(r)) == 0);
		rt_check_values(r, b8, 4);
		free(raw);
	}

	/* a second reader of the same file sees the same */
	{
		struct dc_stats_reader *r2 = NULL;
		void *b2 = malloc(dc_stats_snap_size(r));

		CHECK_EQ(dc_stats_open(path, &r2), 0);
		if (r2) {
			struct dc_stats_hdr h2;

			dc_stats_header(r2, &h2);
			CHECK_EQ(h2.instance_id, h.instance_id);
			CHECK_EQ(dc_stats_read(r2, b2, NULL), 0);
			CHECK(memcmp(b2, buf, dc_stats_snap_size(r)) == 0);
			CHECK(exercise(r2, path) == 0);
			dc_stats_close(r2);
		}
		free(b2);
	}

	/* addresses */
	{
		uint8_t a[16] = {0};
		char t[64];

		CHECK(strcmp(dc_stats_addr_name(a, t, sizeof(t)), "::") == 0);
		a[10] = a[11] = 0xff;
		a[12] = 192, a[13] = 0, a[14] = 2, a[15] = 1;
		CHECK(strcmp(dc_stats_addr_name(a, t, sizeof(t)), "192.0.2.1") == 0);
		CHECK(strcmp(dc_stats_addr_name(a, t, 4), "?") == 0); /* too small: "?" */
		a[10] = 0xfe;                                          /* not mapped: IPv6 */
		CHECK(strcmp(dc_stats_addr_name(a, t, sizeof(t)), "::feff:c000:201") == 0);
		memset(a, 0, 16);
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8, a[15] = 1;
		CHECK(strcmp(dc_stats_addr_name(a, t, sizeof(t)), "2001:db8::1") == 0);
		memset(a, 0xff, 16);
		CHECK(strcmp(dc_stats_addr_name(a, t, sizeof(t)),
			     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == 0);
	}
	CHECK(strcmp(dc_stats_live_name(DC_STATS_IS_LIVE), "live") == 0);
	CHECK(strcmp(dc_stats_live_name(DC_STATS_IS_STALE), "stale") == 0);
	CHECK(strcmp(dc_stats_live_name(DC_STATS_IS_GONE), "gone") == 0);
	CHECK(strcmp(dc_stats_live_name((enum dc_stats_live)42), "?") == 0);

	free(buf);
	dc_stats_close(r);
	dc_stats_writer_close(w, 1);
	unlink(path);
}

/* The writer refuses bad definitions, with a message; the good ones remain. */
static void
t_writer_rejects(void)
{
	static const char *const dict2[] = {"x", "y"};
	const struct dc_stats_def good = {.name = "ok", .type = DC_STATS_COUNTER, .kind = DC_STATS_U64,
					  .scope = DC_STATS_TOTAL, .n_dims = 1, .dim_name = {"i"},
					  .dim_size = {2}, .dim_kind = {DC_STATS_DIM_INDEX}};
	struct {
		const char *what;
		struct dc_stats_def d;
		int err;
	} bad[] = {
		{"NULL name", good, EINVAL},
		{"empty name", good, EINVAL},
		{"upper case", good, EINVAL},
		{"dash", good, EINVAL},
		{"space", good, EINVAL},
		{"dot", good, EINVAL},
		{"64 characters", good, EINVAL},
		{"duplicate name and scope", good, EEXIST},
		{"3 dims", good, EINVAL},
		{"zero dim size", good, EINVAL},
		{"zero second dim size", good, EINVAL},
		{"DICT without dict", good, EINVAL},
		{"dim kind 0", good, EINVAL},
		{"dim kind 5", good, EINVAL},
		{"KEY without a key metric", good, EINVAL},
		{"type 0", good, EINVAL},
		{"type 3", good, EINVAL},
		{"kind 0", good, EINVAL},
		{"kind 5", good, EINVAL},
		{"scope 0", good, EINVAL},
		{"scope 4", good, EINVAL},
		{"too many elements", good, EINVAL},
	};
	struct dc_stats_writer *w = dc_stats_writer_new();
	struct dc_stats_reader *r = NULL;
	struct dc_stats_writer_info info = {.interval_s = 1};
	char path[600];
	unsigned b = 0;
	int rc;

	bad[b++].d.name = NULL;
	bad[b++].d.name = "";
	bad[b++].d.name = "Packets";
	bad[b++].d.name = "a-b";
	bad[b++].d.name = "a b";
	bad[b++].d.name = "a.b";
	bad[b++].d.name = LONG_NAME "x";
	b++; /* duplicate: good itself */
	bad[b].d.n_dims = 3, bad[b].d.dim_size[1] = 2, bad[b].d.dim_kind[1] = DC_STATS_DIM_INDEX, b++;
	bad[b++].d.dim_size[0] = 0;
	bad[b].d.n_dims = 2, bad[b].d.dim_size[1] = 0, bad[b].d.dim_kind[1] = DC_STATS_DIM_INDEX, b++;
	bad[b++].d.dim_kind[0] = DC_STATS_DIM_DICT;
	bad[b++].d.dim_kind[0] = 0;
	bad[b++].d.dim_kind[0] = 5;
	bad[b++].d.dim_kind[0] = DC_STATS_DIM_KEY;
	bad[b++].d.type = 0;
	bad[b++].d.type = 3;
	bad[b++].d.kind = 0;
	bad[b++].d.kind = 5;
	bad[b++].d.scope = 0;
	bad[b++].d.scope = 4;
	bad[b].d.n_dims = 2, bad[b].d.dim_size[0] = 4097, bad[b].d.dim_size[1] = 4096,
	bad[b].d.dim_kind[1] = DC_STATS_DIM_INDEX, b++;
	CHECK_EQ(b, ARRAY_SIZE(bad));

	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_EQ(dc_stats_writer_add(w, &good), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		rc = dc_stats_writer_add(w, &bad[i].d);
		if (rc != -bad[i].err) {
			fprintf(stderr, "  writer_add(%s) = %d, expected %d\n", bad[i].what, rc, -bad[i].err);
			CHECK(0);
		}
		CHECK(msg_ok(NULL));
	}
	/* these are fine: same name in another scope, a 63-character name, a DICT with its dict,
	 * a dimension size beyond n_dims, and the largest element count */
	{
		struct dc_stats_def d = good;

		d.scope = DC_STATS_NOW;
		CHECK_EQ(dc_stats_writer_add(w, &d), 1);
		d.name = LONG_NAME;
		CHECK_EQ(dc_stats_writer_add(w, &d), 2);
		d = good;
		d.name = "dict";
		d.dim_kind[0] = DC_STATS_DIM_DICT;
		d.dict[0] = dict2;
		CHECK_EQ(dc_stats_writer_add(w, &d), 3);
		d = good;
		d.name = "zero_dims";
		d.n_dims = 0;
		d.dim_size[0] = 0;      /* ignored beyond n_dims */
		d.dim_kind[0] = 99;
		CHECK_EQ(dc_stats_writer_add(w, &d), 4);
	}
	{
		struct dc_stats_writer *w2 = dc_stats_writer_new();
		struct dc_stats_def d = good;

		d.n_dims = 2, d.dim_size[0] = 4096, d.dim_size[1] = 4096, d.dim_kind[1] = DC_STATS_DIM_CC;
		CHECK_EQ(dc_stats_writer_add(w2, &d), 0);
		dc_stats_writer_close(w2, 0); /* never created */
	}
	/* what was refused is not in the segment */
	tpath(path, sizeof(path), "rej.stats");
	CHECK_EQ(dc_stats_writer_create(w, path, &info), 0);
	CHECK_EQ(dc_stats_open(path, &r), 0);
	if (r) {
		CHECK_EQ(dc_stats_n_metrics(r), 5);
		CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "ok"), 0);
		CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "ok"), 1);
		CHECK_EQ(dc_stats_metric(r, 4)->n_dims, 0);
		CHECK_EQ(dc_stats_metric(r, 4)->n_elem, 1);
		CHECK(exercise(r, path) == 0);
		dc_stats_close(r);
	}
	dc_stats_writer_close(w, 1);

	/* creation failures name the path; nothing is left behind */
	{
		char p2[700], tmp[800];
		struct dc_stats_writer *w3 = dc_stats_writer_new();

		CHECK_EQ(dc_stats_writer_add(w3, &good), 0);
		snprintf(p2, sizeof(p2), "%s/no/such/dir.stats", g_dir);
		rc = dc_stats_writer_create(w3, p2, &info);
		CHECK(rc == -ENOENT);
		CHECK(msg_ok(p2));
		CHECK(dc_stats_writer_values(w3, 0) == NULL);
		dc_stats_writer_close(w3, 1);

		/* a directory in the way: rename fails, the temporary file is removed */
		w3 = dc_stats_writer_new();
		CHECK_EQ(dc_stats_writer_add(w3, &good), 0);
		snprintf(p2, sizeof(p2), "%s/adir", g_dir);
		mkdir(p2, 0755);
		rc = dc_stats_writer_create(w3, p2, &info);
		CHECK(rc < 0);
		CHECK(msg_ok(p2));
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", p2, (long)getpid());
		CHECK(access(tmp, F_OK) != 0);
		dc_stats_writer_publish(w3, NULL);   /* harmless after a failed create */
		dc_stats_writer_heartbeat(w3);
		dc_stats_writer_close(w3, 1);
		rmdir(p2);
	}
	/* no metrics at all is a valid segment */
	{
		struct dc_stats_writer *w4 = dc_stats_writer_new();

		tpath(path, sizeof(path), "empty.stats");
		CHECK_EQ(dc_stats_writer_create(w4, path, &info), 0);
		dc_stats_writer_publish(w4, NULL);
		CHECK_EQ(dc_stats_open(path, &r), 0);
		if (r) {
			CHECK_EQ(dc_stats_n_metrics(r), 0);
			CHECK(exercise(r, path) == 0);
			dc_stats_close(r);
		}
		dc_stats_writer_close(w4, 1);
	}
	dc_stats_writer_close(NULL, 1);
}

/* ---- b. torn snapshots ------------------------------------------------ */

/*
 * The writer publishes round n (1, 2, ...) as fast as it can:
 *   seqno = n, arr[j] = elem(n, j), total = sum of arr, tail = n * TAIL_K,
 *   and the snapshot's interval fields n, n + 1, n.
 * seqno is the first metric (the start of the values) and tail the last (the
 * end of the snapshot), so a snapshot torn anywhere breaks an invariant.
 */
#define TAIL_K 1000003ull
#define N_READERS 4

static inline uint64_t
elem(uint64_t n, uint32_t j)
{
	return n * (2 * (uint64_t)j + 1) + j; /* cheap: the writer spends its time publishing */
}

struct stress {
	char path[600];
	uint32_t n_arr;
	int m_seqno, m_total, m_arr, m_tail;
	int stop;                 /* atomic */
	uint64_t reads_done;      /* atomic: successful reads, all readers */
	uint64_t publishes;       /* the writer's */
	struct dc_stats_writer *w;
};

struct reader_stat {
	struct stress *s;
	uint64_t reads, busy, errors, torn, backwards, retries, distinct, max_retries, bad_msg;
	char first_torn[200];
};

static void *
stress_writer(void *arg)
{
	struct stress *s = arg;
	uint64_t *seqno = dc_stats_writer_values(s->w, s->m_seqno);
	uint64_t *total = dc_stats_writer_values(s->w, s->m_total);
	uint64_t *arr = dc_stats_writer_values(s->w, s->m_arr);
	uint64_t *tail = dc_stats_writer_values(s->w, s->m_tail);
	uint64_t n;

	for (n = 1; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); n++) {
		struct dc_stats_snap meta = {.interval_start = n, .interval_end = n + 1, .intervals = n};
		uint64_t sum = 0;

		*seqno = n;
		for (uint32_t j = 0; j < s->n_arr; j++) {
			arr[j] = elem(n, j);
			sum += arr[j];
		}
		*total = sum;
		*tail = n * TAIL_K;
		dc_stats_writer_publish(s->w, &meta);
	}
	s->publishes = n - 1;
	return NULL;
}

static void *
stress_reader(void *arg)
{
	struct reader_stat *st = arg;
	struct stress *s = st->s;
	struct dc_stats_reader *r = NULL;
	const struct dc_stats_metric *mseq, *mtot, *marr, *mtail;
	uint64_t last = 0;
	void *buf;

	if (dc_stats_open(s->path, &r) != 0) {
		st->errors++;
		snprintf(st->first_torn, sizeof(st->first_torn), "open: %s", dc_stats_strerror());
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	mseq = dc_stats_metric(r, (unsigned)s->m_seqno);
	mtot = dc_stats_metric(r, (unsigned)s->m_total);
	marr = dc_stats_metric(r, (unsigned)s->m_arr);
	mtail = dc_stats_metric(r, (unsigned)s->m_tail);
	buf = malloc(dc_stats_snap_size(r));
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		const struct dc_stats_snap *sn = dc_stats_snap_of(buf);
		unsigned tries = 0;
		uint64_t n, sum = 0, bad_elem = UINT64_MAX;
		int rc = dc_stats_read(r, buf, &tries);

		st->retries += tries;
		if (tries > st->max_retries)
			st->max_retries = tries;
		if (rc == -EBUSY) {
			st->busy++;
			/* the message is this thread's, naming the path */
			if (strstr(dc_stats_strerror(), s->path) == NULL)
				st->bad_msg++;
			continue;
		}
		if (rc != 0) {
			st->errors++;
			continue;
		}
		n = dc_stats_u64(buf, mseq, 0);
		for (uint32_t j = 0; j < marr->n_elem; j++) {
			uint64_t v = dc_stats_u64(buf, marr, j);

			sum += v;
			if (v != elem(n, j) && bad_elem == UINT64_MAX)
				bad_elem = j;
		}
		if (n == 0) {
			/* before the first publish: all zero */
			if (sum != 0 || dc_stats_u64(buf, mtot, 0) != 0 || dc_stats_u64(buf, mtail, 0) != 0 ||
			    sn->publish != 0)
				bad_elem = 0;
			else
				bad_elem = UINT64_MAX;
		} else if (sum != dc_stats_u64(buf, mtot, 0) || bad_elem != UINT64_MAX ||
			   dc_stats_u64(buf, mtail, 0) != n * TAIL_K || sn->publish != n ||
			   sn->intervals != n || sn->interval_start != n || sn->interval_end != n + 1 ||
			   (sn->seq & 1)) {
			if (bad_elem == UINT64_MAX)
				bad_elem = 0;
		}
		if (bad_elem != UINT64_MAX) {
			if (st->torn++ == 0)
				snprintf(st->first_torn, sizeof(st->first_torn),
					 "seqno %llu publish %llu seq %llu total %llu sum %llu tail %llu elem %llu",
					 (unsigned long long)n, (unsigned long long)sn->publish,
					 (unsigned long long)sn->seq,
					 (unsigned long long)dc_stats_u64(buf, mtot, 0),
					 (unsigned long long)sum,
					 (unsigned long long)dc_stats_u64(buf, mtail, 0),
					 (unsigned long long)bad_elem);
			continue;
		}
		if (n < last)
			st->backwards++;
		if (n != last)
			st->distinct++;
		last = n;
		st->reads++;
		__atomic_fetch_add(&s->reads_done, 1, __ATOMIC_RELAXED);
	}
	free(buf);
	dc_stats_close(r);
	return NULL;
}

static double
stress_scale(void)
{
	const char *e = getenv("DC_STATS_STRESS_SCALE");
	double v = e ? atof(e) : 1.0;

	return v > 0 ? v : 1.0;
}

/* Run one size: until @target successful reads or @max_s seconds. */
static void
stress_run(const char *name, uint32_t n_arr, uint64_t target, double max_s, uint64_t min_reads)
{
	static const struct dc_stats_writer_info info = {.interval_s = 1, .heartbeat_period_ns = 1000000000ull,
							 .version = "stress"};
	struct stress s = {.n_arr = n_arr};
	struct reader_stat rs[N_READERS];
	pthread_t wt, rt[N_READERS];
	struct dc_stats_def d = {.type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL};
	uint64_t reads = 0, busy = 0, errors = 0, torn = 0, backwards = 0, retries = 0, distinct = 0,
		 max_retries = 0;
	double t0, el;

	snprintf(s.path, sizeof(s.path), "%s/stress_%s.stats", g_dir, name);
	s.w = dc_stats_writer_new();
	d.name = "seqno";
	s.m_seqno = dc_stats_writer_add(s.w, &d);
	d.name = "total";
	s.m_total = dc_stats_writer_add(s.w, &d);
	d.name = "arr";
	d.n_dims = 1;
	d.dim_name[0] = "port";
	d.dim_size[0] = n_arr;
	d.dim_kind[0] = DC_STATS_DIM_INDEX;
	s.m_arr = dc_stats_writer_add(s.w, &d);
	d.name = "tail";
	d.n_dims = 0;
	s.m_tail = dc_stats_writer_add(s.w, &d);
	CHECK(s.m_seqno == 0 && s.m_total == 1 && s.m_arr == 2 && s.m_tail == 3);
	CHECK_EQ(dc_stats_writer_create(s.w, s.path, &info), 0);

	memset(rs, 0, sizeof(rs));
	t0 = mono_s();
	for (int i = 0; i < N_READERS; i++) {
		rs[i].s = &s;
		pthread_create(&rt[i], NULL, stress_reader, &rs[i]);
	}
	pthread_create(&wt, NULL, stress_writer, &s);
	while (__atomic_load_n(&s.reads_done, __ATOMIC_RELAXED) < target && mono_s() - t0 < max_s &&
	       !__atomic_load_n(&s.stop, __ATOMIC_RELAXED))
		sleep_ms(5);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < N_READERS; i++)
		pthread_join(rt[i], NULL);
	pthread_join(wt, NULL);
	el = mono_s() - t0;

	for (int i = 0; i < N_READERS; i++) {
		reads += rs[i].reads;
		busy += rs[i].busy;
		errors += rs[i].errors;
		torn += rs[i].torn;
		backwards += rs[i].backwards;
		errors += rs[i].bad_msg;
		retries += rs[i].retries;
		distinct += rs[i].distinct;
		if (rs[i].max_retries > max_retries)
			max_retries = rs[i].max_retries;
		if (rs[i].first_torn[0])
			fprintf(stderr, "  reader %d: first bad snapshot: %s\n", i, rs[i].first_torn);
	}
	printf("stress %s: %u elements, %llu reads (%llu distinct snapshots seen), %llu publishes, "
	       "torn %llu, busy (EBUSY) %llu, errors %llu, retries %llu (max %llu in one read), %.2f s\n",
	       name, n_arr, (unsigned long long)reads, (unsigned long long)distinct,
	       (unsigned long long)s.publishes, (unsigned long long)torn, (unsigned long long)busy,
	       (unsigned long long)errors, (unsigned long long)retries, (unsigned long long)max_retries, el);
	CHECK_EQ(torn, 0);
	CHECK_EQ(errors, 0);
	CHECK_EQ(backwards, 0);
	CHECK(reads >= min_reads);
	/* EBUSY (DC_STATS_READ_TRIES tries in a row each raced a publish) is allowed and not
	 * counted as a read, but with two snapshots it is rare: a flood means readers keep
	 * meeting the snapshot being written (e.g. a writer that writes the current one) */
	CHECK(busy * 100 <= reads);
	/* the readers really raced the writer */
	CHECK(s.publishes >= 100);
	CHECK(distinct >= 100);
	dc_stats_writer_close(s.w, 1);
	unlink(s.path);
}

static void
t_stress_small(void)
{
	double k = stress_scale();
	uint64_t target = (uint64_t)((UNDER_ASAN ? 2000000 : 2400000) * k);
	uint64_t min = UNDER_ASAN ? target / 4 : (uint64_t)(2000000 * k);

	/* a time cap so a slow machine does not hang the suite; the minimum stays meaningful */
	stress_run("small", 300, target, (UNDER_ASAN ? 10.0 : 20.0) * (k > 1 ? k : 1), min);
}

static void
t_stress_large(void)
{
	double k = stress_scale();
	uint64_t target = (uint64_t)((UNDER_ASAN ? 5000 : 20000) * k);

	stress_run("large", 65536, target, 5.0 * (k > 1 ? k : 1), target / 10);
}

/* ---- c. liveness ------------------------------------------------------ */

static struct dc_stats_writer *
small_writer(int *m_v, int *m_arr)
{
	struct dc_stats_writer *w = dc_stats_writer_new();
	struct dc_stats_def d = {.name = "v", .type = DC_STATS_GAUGE, .kind = DC_STATS_U64,
				 .scope = DC_STATS_NOW};

	*m_v = dc_stats_writer_add(w, &d);
	d.name = "arr";
	d.n_dims = 1;
	d.dim_size[0] = 8;
	d.dim_kind[0] = DC_STATS_DIM_INDEX;
	*m_arr = dc_stats_writer_add(w, &d);
	return w;
}

static void
small_publish(struct dc_stats_writer *w, int m_v, int m_arr, uint64_t p)
{
	uint64_t *v = dc_stats_writer_values(w, m_v), *a = dc_stats_writer_values(w, m_arr);

	*v = p;
	for (unsigned j = 0; j < 8; j++)
		a[j] = p * 10 + j;
	dc_stats_writer_publish(w, NULL);
}

/* The snapshot in @buf is publish @p of small_publish(). */
static int
small_is(struct dc_stats_reader *r, const void *buf, uint64_t p)
{
	const struct dc_stats_metric *v = dc_stats_metric(r, 0), *a = dc_stats_metric(r, 1);

	if (dc_stats_snap_of(buf)->publish != p || dc_stats_u64(buf, v, 0) != p)
		return 0;
	for (unsigned j = 0; j < 8; j++)
		if (dc_stats_u64(buf, a, j) != p * 10 + j)
			return 0;
	return 1;
}

static void
t_liveness(void)
{
	const uint64_t period = 50000000ull; /* 50 ms: 150 ms of slack for a loaded machine */
	struct dc_stats_writer_info info = {.interval_s = 1, .heartbeat_period_ns = period, .version = "live"};
	char path[600];
	struct dc_stats_reader *r1 = NULL, *r2 = NULL;
	struct dc_stats_writer *w1, *w2;
	struct dc_stats_hdr h1, h2;
	int mv, ma;
	uint64_t age = 0, hb;
	void *buf;

	tpath(path, sizeof(path), "live.stats");
	w1 = small_writer(&mv, &ma);
	CHECK_EQ(dc_stats_writer_create(w1, path, &info), 0);
	CHECK_EQ(dc_stats_open(path, &r1), 0);
	if (r1 == NULL) {
		dc_stats_writer_close(w1, 0);
		return;
	}
	buf = malloc(dc_stats_snap_size(r1));

	/* fresh, nothing published: STARTING (a starting writer that stops beating is STALE) */
	dc_stats_header(r1, &h1);
	hb = h1.heartbeat_ns;
	CHECK_EQ(h1.state, DC_STATS_STARTING);
	CHECK_EQ(dc_stats_liveness(r1, hb + period, &age), DC_STATS_IS_STARTING);
	CHECK_EQ(age, period);
	CHECK_EQ(dc_stats_liveness(r1, hb + 4 * period, &age), DC_STATS_IS_STALE);
	CHECK_EQ(age, 4 * period);
	CHECK_EQ(dc_stats_liveness(r1, hb - 5 * period, &age), DC_STATS_IS_STARTING); /* clock behind */
	CHECK_EQ(age, 0);

	/* published: LIVE */
	small_publish(w1, mv, ma, 1);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), &age), DC_STATS_IS_LIVE);
	CHECK(age < 3 * period);
	dc_stats_header(r1, &h1);
	CHECK_EQ(h1.state, DC_STATS_LIVE);
	CHECK_EQ(dc_stats_liveness(r1, h1.heartbeat_ns + 3 * period, NULL), DC_STATS_IS_LIVE);
	CHECK_EQ(dc_stats_liveness(r1, h1.heartbeat_ns + 3 * period + 1, NULL), DC_STATS_IS_STALE);

	/* no heartbeat for more than 3 periods: STALE; a heartbeat: LIVE again */
	sleep_ms(200);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), &age), DC_STATS_IS_STALE);
	CHECK(age >= 200000000ull);
	dc_stats_writer_heartbeat(w1);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), &age), DC_STATS_IS_LIVE);
	CHECK(age < 3 * period);
	small_publish(w1, mv, ma, 2);

	/* clean exit: STOPPED, even much later; the last snapshot stays readable */
	dc_stats_writer_close(w1, 1);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), NULL), DC_STATS_IS_STOPPED);
	CHECK_EQ(dc_stats_liveness(r1, now_ns() + 1000 * period, NULL), DC_STATS_IS_STOPPED);
	dc_stats_header(r1, &h1);
	CHECK_EQ(h1.state, DC_STATS_STOPPED);
	CHECK_EQ(h1.publishes, 2);
	CHECK_EQ(dc_stats_read(r1, buf, NULL), 0);
	CHECK(small_is(r1, buf, 2));
	{
		/* and for a reader that opens it after the writer is gone */
		struct dc_stats_reader *r3 = NULL;

		CHECK_EQ(dc_stats_open(path, &r3), 0);
		if (r3) {
			CHECK_EQ(dc_stats_liveness(r3, now_ns(), NULL), DC_STATS_IS_STOPPED);
			CHECK_EQ(dc_stats_read(r3, buf, NULL), 0);
			CHECK(small_is(r3, buf, 2));
			dc_stats_close(r3);
		}
	}

	/* a new writer at the same path: the old reader sees REPLACED, a new one another instance */
	w2 = small_writer(&mv, &ma);
	CHECK_EQ(dc_stats_writer_create(w2, path, &info), 0);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), NULL), DC_STATS_IS_REPLACED);
	CHECK_EQ(dc_stats_open(path, &r2), 0);
	if (r2) {
		dc_stats_header(r2, &h2);
		CHECK(h2.instance_id != h1.instance_id);
		CHECK_EQ(h2.state, DC_STATS_STARTING);
		CHECK_EQ(dc_stats_liveness(r2, now_ns(), NULL), DC_STATS_IS_STARTING);
		small_publish(w2, mv, ma, 1);
		CHECK_EQ(dc_stats_liveness(r2, now_ns(), NULL), DC_STATS_IS_LIVE);
		CHECK_EQ(dc_stats_read(r2, buf, NULL), 0);
		CHECK(small_is(r2, buf, 1));
	}
	/* the old reader still reads the old segment's last snapshot */
	CHECK_EQ(dc_stats_read(r1, buf, NULL), 0);
	CHECK(small_is(r1, buf, 2));

	/* the path removed: GONE for both */
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(dc_stats_liveness(r1, now_ns(), NULL), DC_STATS_IS_GONE);
	if (r2)
		CHECK_EQ(dc_stats_liveness(r2, now_ns(), NULL), DC_STATS_IS_GONE);
	CHECK_EQ(dc_stats_read(r1, buf, NULL), 0);
	dc_stats_writer_close(w2, 1);
	dc_stats_close(r2);
	dc_stats_close(r1);
	free(buf);
}

/* A writer that died mid-publish: an odd seq left in one of the snapshots. */
static void
t_died_mid_publish(void)
{
	struct dc_stats_writer_info info = {.interval_s = 1, .heartbeat_period_ns = 10000000ull};
	char path[600];
	struct dc_stats_reader *r = NULL;
	struct dc_stats_writer *w;
	struct dc_stats_hdr h;
	struct dc_stats_snap *cur, *other;
	unsigned tries = 0;
	uint64_t size, seq_cur, seq_other;
	uint8_t *map;
	void *buf;
	double t0;
	int fd, mv, ma, rc;

	tpath(path, sizeof(path), "died.stats");
	w = small_writer(&mv, &ma);
	CHECK_EQ(dc_stats_writer_create(w, path, &info), 0);
	size = dc_stats_writer_size(w);
	for (uint64_t p = 1; p <= 3; p++)
		small_publish(w, mv, ma, p);
	dc_stats_writer_close(w, 0); /* dies: no STOPPED */

	CHECK_EQ(dc_stats_open(path, &r), 0);
	if (r == NULL)
		return;
	buf = malloc(dc_stats_snap_size(r));
	dc_stats_header(r, &h);
	CHECK_EQ(h.state, DC_STATS_LIVE);
	CHECK_EQ(h.publishes, 3);
	CHECK(h.current <= 1);
	CHECK_EQ(dc_stats_liveness(r, h.heartbeat_ns + 4 * h.heartbeat_period_ns, NULL), DC_STATS_IS_STALE);

	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	if (fd < 0 || map == MAP_FAILED) {
		dc_stats_close(r);
		free(buf);
		return;
	}
	cur = (struct dc_stats_snap *)(map + h.snap_off[h.current]);
	other = (struct dc_stats_snap *)(map + h.snap_off[h.current ^ 1]);
	seq_cur = cur->seq;
	seq_other = other->seq;
	CHECK(seq_cur % 2 == 0 && seq_cur > 0);
	CHECK(seq_other % 2 == 0 && seq_other > 0);
	CHECK_EQ(cur->publish, 3);
	CHECK_EQ(other->publish, 2);

	/* died while writing the next one: odd seq and half-written values in the other snapshot */
	other->seq = seq_other + 1;
	memset((uint8_t *)other + sizeof(*other), 0xee, h.snap_size / 2 - sizeof(*other));
	other->publish = 4;
	for (int i = 0; i < 1000; i++) {
		rc = dc_stats_read(r, buf, &tries);
		if (rc != 0 || tries != 0 || !small_is(r, buf, 3)) {
			CHECK(0);
			break;
		}
	}

	/* odd seq in the current one (cannot happen with this writer, but a reader must not
	 * take it): EBUSY after its tries, quickly, with a message */
	cur->seq = seq_cur + 1;
	t0 = mono_s();
	rc = dc_stats_read(r, buf, &tries);
	CHECK_EQ(rc, -EBUSY);
	CHECK_EQ(tries, DC_STATS_READ_TRIES);
	CHECK(msg_ok(path));
	CHECK(mono_s() - t0 < 1.0);
	cur->seq = seq_cur;
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	CHECK(small_is(r, buf, 3));

	/* current pointing nowhere: EINVAL (reopen), not a read out of the segment */
	((struct dc_stats_hdr *)map)->current = 2;
	CHECK_EQ(dc_stats_read(r, buf, NULL), -EINVAL);
	CHECK(msg_ok(path));
	((struct dc_stats_hdr *)map)->current = UINT64_MAX;
	CHECK_EQ(dc_stats_read(r, buf, NULL), -EINVAL);
	((struct dc_stats_hdr *)map)->current = h.current ^ 1; /* the broken one */
	CHECK_EQ(dc_stats_read(r, buf, NULL), -EBUSY);
	((struct dc_stats_hdr *)map)->current = h.current;
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	CHECK(small_is(r, buf, 3));

	munmap(map, size);
	close(fd);
	dc_stats_close(r);
	free(buf);
	unlink(path);
}

/* ---- d. bad files ----------------------------------------------------- */

static const char *const d_proto[] = {"tcp", "udp", "icmp"};
static const char *const d_dir[] = {"in", "out"};

static const struct dc_stats_def d_defs[] = {
	{.name = "pkts", .help = "Packets", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL},
	{.name = "port_pkts", .help = "Per port", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL, .n_dims = 1, .dim_name = {"port"},
	 .dim_size = {3}, .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "proto", .help = "Per protocol", .unit = "bytes", .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"proto"},
	 .dim_size = {3}, .dim_kind = {DC_STATS_DIM_DICT}, .dict = {d_proto}},
	{.name = "cc_src", .help = "Per country and rank", .unit = "sources", .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 2, .dim_name = {"country", "rank"},
	 .dim_size = {4, 2}, .dim_kind = {DC_STATS_DIM_CC, DC_STATS_DIM_INDEX}},
	{.name = "top", .help = "Top sources", .type = DC_STATS_GAUGE, .kind = DC_STATS_ADDR,
	 .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"rank"}, .dim_size = {2},
	 .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "last_cc", .help = "Last country", .type = DC_STATS_GAUGE, .kind = DC_STATS_CC,
	 .scope = DC_STATS_TOTAL},
	{.name = "wd", .help = "Per worker and direction", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 2, .dim_name = {"worker", "dir"},
	 .dim_size = {2, 2}, .dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, d_dir}},
};
#define D_N ARRAY_SIZE(d_defs)

/* Write the small valid segment to @path and return its bytes. */
static uint8_t *
d_make(const char *path, size_t *n)
{
	struct dc_stats_writer_info info = {.interval_s = 60, .n_workers = 2, .n_ports = 3,
					    .heartbeat_period_ns = 1000000000ull, .version = "bad-files"};
	struct dc_stats_writer *w;

	w = dc_stats_writer_new();
	for (unsigned i = 0; i < D_N; i++)
		CHECK_EQ(dc_stats_writer_add(w, &d_defs[i]), i);
	CHECK_EQ(dc_stats_writer_create(w, path, &info), 0);
	for (unsigned i = 0; i < D_N; i++) {
		uint8_t *v = dc_stats_writer_values(w, (int)i);
		uint32_t ne = def_n_elem(&d_defs[i]), es = d_defs[i].kind == DC_STATS_ADDR ? 16 : 8;

		for (uint32_t b = 0; v && b < ne * es; b++)
			v[b] = (uint8_t)(i * 16 + b + 1);
	}
	dc_stats_writer_publish(w, NULL);
	dc_stats_writer_close(w, 1);
	return read_file(path, n);
}

/* dc_stats_open() of @path must fail (with @err if non-zero) and say why in one line. */
static int
expect_fail(const char *what, const char *path, int err)
{
	struct dc_stats_reader *r = (struct dc_stats_reader *)1;
	int rc = dc_stats_open(path, &r);
	int ok = rc < 0 && r == NULL && (err == 0 || rc == -err) && msg_ok(path);

	if (!ok) {
		fprintf(stderr, "  %s: open = %d (expected %d), message '%s'\n", what, rc, -err,
			dc_stats_strerror());
		if (rc == 0 && r)
			dc_stats_close(r);
	}
	CHECK(ok);
	return ok;
}

static void
t_bad_paths(void)
{
	char path[600], dir[600];
	uint8_t junk[8192];
	uint64_t seed = 42;
	size_t n;
	uint8_t *valid;

	tpath(path, sizeof(path), "does-not-exist.stats");
	expect_fail("missing file", path, ENOENT);
	tpath(path, sizeof(path), "no-dir/x.stats");
	expect_fail("missing directory", path, ENOENT);
	tpath(dir, sizeof(dir), "a-directory");
	mkdir(dir, 0755);
	expect_fail("directory", dir, EINVAL);
	expect_fail("/dev/null", "/dev/null", EINVAL);
	tpath(path, sizeof(path), "fifo");
	if (mkfifo(path, 0644) == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			/* in a child, so that a reader blocking on the FIFO fails the test, not hangs it */
			struct dc_stats_reader *r = NULL;
			int rc;

			alarm(5);
			rc = dc_stats_open(path, &r);
			_exit(rc == -EINVAL && r == NULL && msg_ok(path) ? 0 : 1);
		} else {
			int status = -1;

			waitpid(pid, &status, 0);
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
				fprintf(stderr, "  FIFO: child status 0x%x (blocked in open?)\n", status);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		unlink(path);
	}
	tpath(path, sizeof(path), "empty.stats");
	write_file(path, "", 0);
	expect_fail("empty file", path, EINVAL);
	tpath(path, sizeof(path), "text.stats");
	{
		char text[6000];

		for (size_t i = 0; i < sizeof(text); i++)
			text[i] = "darkcap stats are not text\n"[i % 27];
		write_file(path, text, sizeof(text));
	}
	expect_fail("text file", path, EINVAL);
	write_file(path, "DCSTATS\n", 8);
	expect_fail("short file with the magic", path, EINVAL);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)dc_test_rnd(&seed);
	tpath(path, sizeof(path), "random.stats");
	write_file(path, junk, sizeof(junk));
	expect_fail("random bytes", path, EINVAL);
	memcpy(junk, "DCSTATS", 8); /* the magic, then random */
	write_file(path, junk, sizeof(junk));
	expect_fail("magic then random bytes", path, 0);
	/* the valid file, but unreadable (not as root: root reads anyway) */
	tpath(path, sizeof(path), "noperm.stats");
	valid = d_make(path, &n);
	CHECK(valid != NULL);
	if (geteuid() != 0 && chmod(path, 0) == 0)
		expect_fail("no permission", path, EACCES);
	/* a symbolic link to a valid file is fine */
	{
		char link[600];
		struct dc_stats_reader *r = NULL;

		chmod(path, 0644);
		tpath(link, sizeof(link), "link.stats");
		CHECK_EQ(symlink(path, link), 0);
		CHECK_EQ(dc_stats_open(link, &r), 0);
		if (r) {
			CHECK_EQ(dc_stats_n_metrics(r), D_N);
			CHECK(exercise(r, link) == 0);
			CHECK_EQ(dc_stats_liveness(r, now_ns(), NULL), DC_STATS_IS_STOPPED);
			dc_stats_close(r);
		}
	}
	free(valid);
}

/* Every truncation length in a sampled set; and the same with segment_size made to agree. */
static void
t_truncated(void)
{
	char path[600], vpath[600];
	size_t n, tested = 0;
	uint8_t *valid, *b;
	struct dc_stats_hdr h;
	size_t *lens, nl = 0;

	tpath(vpath, sizeof(vpath), "valid.stats");
	tpath(path, sizeof(path), "trunc.stats");
	valid = d_make(vpath, &n);
	CHECK(valid != NULL && n > 4096 + 64);
	if (valid == NULL)
		return;
	memcpy(&h, valid, sizeof(h));
	lens = malloc((n / 7 + 64) * sizeof(*lens));
	for (size_t l = 0; l < n; l += 7)
		lens[nl++] = l;
	{
		uint64_t marks[] = {1, 7, 8, 9, 63, 64, 4095, 4096, 4097, h.metric_off + 127,
				    h.metric_off + 128, h.str_off, h.str_off + 1, h.str_off + h.str_size - 1,
				    h.snap_off[0] - 1, h.snap_off[0], h.snap_off[0] + 1, h.snap_off[0] + 64,
				    h.snap_off[0] + h.snap_size, h.snap_off[1] - 1, h.snap_off[1],
				    h.snap_off[1] + 64, h.snap_off[1] + h.snap_size - 8, n - 8, n - 1};

		for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
			if (marks[i] < n)
				lens[nl++] = (size_t)marks[i];
	}
	b = malloc(n);
	for (size_t i = 0; i < nl; i++) {
		size_t l = lens[i];
		char what[80];

		memcpy(b, valid, n);
		write_file(path, b, l);
		snprintf(what, sizeof(what), "truncated to %zu of %zu", l, n);
		expect_fail(what, path, EINVAL);
		tested++;
		if (l >= sizeof(struct dc_stats_hdr)) {
			uint64_t ss = l;

			memcpy(b + offsetof(struct dc_stats_hdr, segment_size), &ss, 8);
			write_file(path, b, l);
			snprintf(what, sizeof(what), "truncated to %zu of %zu, segment_size agreeing", l, n);
			expect_fail(what, path, EINVAL);
			tested++;
		}
	}
	/* longer than it says */
	{
		uint8_t *big = calloc(1, n + 4096);

		memcpy(big, valid, n);
		write_file(path, big, n + 4096);
		expect_fail("longer than segment_size", path, EINVAL);
		free(big);
	}
	printf("truncations: %zu files (file of %zu bytes), all refused\n", tested, n);
	free(b);
	free(lens);
	free(valid);
}

enum { EXP_OK = 1, EXP_FAIL = 2, EXP_ANY = 3 };

struct patch {
	uint64_t off;
	unsigned width; /* 1, 2, 4, 8; or FILL (val is the byte) */
	uint64_t val;
	unsigned fill;  /* bytes to fill with val, when width == 0 */
};

struct corrupt {
	char what[96];
	struct patch p[3];
	unsigned np;
	int expect;     /* EXP_OK, EXP_FAIL, EXP_ANY */
	int err;        /* with EXP_FAIL: the errno, or 0 for -EINVAL or -EPROTO */
	int n_delta;    /* with EXP_OK: metrics listed minus D_N */
	int read_rc;    /* with EXP_OK: what dc_stats_read() returns */
};

static void
apply(uint8_t *b, const struct patch *p)
{
	if (p->width == 0) {
		memset(b + p->off, (int)p->val, p->fill);
		return;
	}
	switch (p->width) {
	case 1: b[p->off] = (uint8_t)p->val; break;
	case 2: { uint16_t v = (uint16_t)p->val; memcpy(b + p->off, &v, 2); break; }
	case 4: { uint32_t v = (uint32_t)p->val; memcpy(b + p->off, &v, 4); break; }
	default: memcpy(b + p->off, &p->val, 8);
	}
}

static uint64_t
getv(const uint8_t *b, uint64_t off, unsigned width)
{
	uint64_t v = 0;

	memcpy(&v, b + off, width); /* little-endian host */
	return v;
}

/* Open a corrupt file and check the outcome; returns 1 if it opened. */
static int
check_corrupt(const struct corrupt *c, const uint8_t *valid, size_t n, const char *path)
{
	uint8_t *b = malloc(n);
	struct dc_stats_reader *r = NULL;
	int rc, opened = 0;

	memcpy(b, valid, n);
	for (unsigned i = 0; i < c->np; i++)
		apply(b, &c->p[i]);
	write_file(path, b, n);
	rc = dc_stats_open(path, &r);
	if (rc == 0) {
		opened = 1;
		CHECK(r != NULL);
		if (c->expect == EXP_FAIL) {
			fprintf(stderr, "  %s: opened, expected a failure\n", c->what);
			CHECK(0);
		}
		if (c->expect == EXP_OK) {
			int want = (int)D_N + c->n_delta, rr;

			if ((int)dc_stats_n_metrics(r) != want) {
				fprintf(stderr, "  %s: %u metrics, expected %d\n", c->what,
					dc_stats_n_metrics(r), want);
				CHECK(0);
			}
			rr = exercise(r, path);
			if (rr != c->read_rc) {
				fprintf(stderr, "  %s: read %d, expected %d\n", c->what, rr, c->read_rc);
				CHECK(0);
			}
		} else {
			exercise(r, path);
		}
		dc_stats_close(r);
	} else {
		CHECK(r == NULL);
		if (c->expect == EXP_OK) {
			fprintf(stderr, "  %s: open failed (%d: %s), expected success\n", c->what, rc,
				dc_stats_strerror());
			CHECK(0);
		} else if (c->expect == EXP_FAIL && c->err && rc != -c->err) {
			fprintf(stderr, "  %s: open = %d, expected %d (%s)\n", c->what, rc, -c->err,
				dc_stats_strerror());
			CHECK(0);
		}
		CHECK(rc == -EINVAL || rc == -EPROTO);
		if (!msg_ok(path))
			fprintf(stderr, "  (%s)\n", c->what);
		CHECK(msg_ok(path));
	}
	free(b);
	return opened;
}

#define HOFF(f) offsetof(struct dc_stats_hdr, f)
#define HW(f) (unsigned)sizeof(((struct dc_stats_hdr *)0)->f)
#define MOFF(i, f) (h.metric_off + (uint64_t)(i) * h.metric_size + offsetof(struct dc_stats_metric, f))
#define MW(f) (unsigned)sizeof(((struct dc_stats_metric *)0)->f)

static void
t_corrupt_fields(void)
{
	char path[600], vpath[600];
	struct corrupt *cs = calloc(200, sizeof(*cs));
	unsigned nc = 0, opened = 0;
	struct dc_stats_hdr h;
	struct dc_stats_metric m0, m1, m2;
	uint8_t *valid;
	size_t n;

	tpath(vpath, sizeof(vpath), "valid2.stats");
	tpath(path, sizeof(path), "corrupt.stats");
	valid = d_make(vpath, &n);
	if (valid == NULL) {
		CHECK(0);
		return;
	}
	memcpy(&h, valid, sizeof(h));
	memcpy(&m0, valid + h.metric_off, sizeof(m0));
	memcpy(&m1, valid + h.metric_off + h.metric_size, sizeof(m1));
	memcpy(&m2, valid + h.metric_off + 2 * h.metric_size, sizeof(m2));
	CHECK_EQ(h.metric_size, sizeof(struct dc_stats_metric));
	CHECK_EQ(h.n_metric, D_N);

#define C1(exp, e, o, w, v, ...)                                                          \
	do {                                                                              \
		struct corrupt *c_ = &cs[nc++];                                           \
		snprintf(c_->what, sizeof(c_->what), __VA_ARGS__);                        \
		c_->p[0] = (struct patch){(o), (w), (uint64_t)(v), 0};                   \
		c_->np = 1;                                                               \
		c_->expect = (exp);                                                       \
		c_->err = (e);                                                            \
	} while (0)
#define LAST (&cs[nc - 1])
#define ADD(o, w, v) (LAST->p[LAST->np++] = (struct patch){(o), (w), (uint64_t)(v), 0})

	/* the header, one field at a time */
	C1(EXP_FAIL, EINVAL, HOFF(magic), 1, 'X', "magic[0]");
	C1(EXP_FAIL, EINVAL, HOFF(magic) + 7, 1, 'X', "magic without its NUL");
	C1(EXP_FAIL, 0, HOFF(endian), 4, 0x04030201u, "endian swapped");
	C1(EXP_FAIL, 0, HOFF(endian), 4, 0, "endian 0");
	C1(EXP_FAIL, EPROTO, HOFF(abi_major), 2, DC_STATS_ABI_MAJOR + 1, "abi_major newer");
	C1(EXP_FAIL, EPROTO, HOFF(abi_major), 2, 0, "abi_major 0");
	C1(EXP_FAIL, EPROTO, HOFF(abi_major), 2, 0xffff, "abi_major 0xffff");
	C1(EXP_OK, 0, HOFF(abi_minor), 2, DC_STATS_ABI_MINOR + 5, "abi_minor newer");
	C1(EXP_FAIL, EPROTO, HOFF(incompat_flags), 8, 1, "incompat_flags bit 0");
	C1(EXP_FAIL, EPROTO, HOFF(incompat_flags), 8, 1ull << 63, "incompat_flags bit 63");
	C1(EXP_OK, 0, HOFF(compat_flags), 8, 0xffffffffffffffffull, "compat_flags all set");
	C1(EXP_FAIL, EINVAL, HOFF(hdr_size), 4, 0, "hdr_size 0");
	C1(EXP_FAIL, EINVAL, HOFF(hdr_size), 4, 4095, "hdr_size 4095");
	C1(EXP_OK, 0, HOFF(hdr_size), 4, 8192, "hdr_size 8192 (a newer minor's)");
	C1(EXP_FAIL, EINVAL, HOFF(segment_size), 8, n + 1, "segment_size + 1");
	C1(EXP_FAIL, EINVAL, HOFF(segment_size), 8, n - 1, "segment_size - 1");
	C1(EXP_FAIL, EINVAL, HOFF(segment_size), 8, 0, "segment_size 0");
	C1(EXP_FAIL, EINVAL, HOFF(segment_size), 8, UINT64_MAX, "segment_size max");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, n, "metric_off at the end");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, n - 64, "metric_off: table past the end");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, UINT64_MAX, "metric_off max");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, UINT64_MAX - 127, "metric_off max - 127");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, h.metric_off + 4, "metric_off misaligned");
	C1(EXP_FAIL, EINVAL, HOFF(metric_off), 8, h.metric_off + 1, "metric_off odd");
	C1(EXP_ANY, 0, HOFF(metric_off), 8, h.metric_off + 8, "metric_off + 8");
	C1(EXP_ANY, 0, HOFF(metric_off), 8, 0, "metric_off 0");
	C1(EXP_FAIL, EINVAL, HOFF(n_metric), 4, D_N + 1, "n_metric + 1");
	C1(EXP_OK, 0, HOFF(n_metric), 4, 0, "n_metric 0");
	LAST->n_delta = -(int)D_N;
	C1(EXP_OK, 0, HOFF(n_metric), 4, D_N - 1, "n_metric - 1");
	LAST->n_delta = -1;
	C1(EXP_FAIL, EINVAL, HOFF(n_metric), 4, (1u << 20) + 1, "n_metric 2^20 + 1");
	C1(EXP_FAIL, EINVAL, HOFF(n_metric), 4, UINT32_MAX, "n_metric max");
	C1(EXP_FAIL, EINVAL, HOFF(metric_size), 4, 0, "metric_size 0");
	C1(EXP_FAIL, EINVAL, HOFF(metric_size), 4, 127, "metric_size 127");
	C1(EXP_FAIL, EINVAL, HOFF(metric_size), 4, 132, "metric_size 132 (misaligned descriptors)");
	C1(EXP_FAIL, EINVAL, HOFF(metric_size), 4, UINT32_MAX, "metric_size max");
	C1(EXP_ANY, 0, HOFF(metric_size), 4, 136, "metric_size 136");
	C1(EXP_FAIL, EINVAL, HOFF(str_off), 8, n, "str_off at the end");
	C1(EXP_FAIL, EINVAL, HOFF(str_off), 8, UINT64_MAX, "str_off max");
	C1(EXP_FAIL, EINVAL, HOFF(str_off), 8, UINT64_MAX - h.str_size + 1, "str_off wrapping");
	C1(EXP_FAIL, EINVAL, HOFF(str_off), 8, n - h.str_size + 1, "str_off: area past the end");
	C1(EXP_ANY, 0, HOFF(str_off), 8, h.str_off + 1, "str_off + 1");
	C1(EXP_FAIL, EINVAL, HOFF(str_size), 8, 0, "str_size 0");
	C1(EXP_FAIL, EINVAL, HOFF(str_size), 8, 1, "str_size 1");
	C1(EXP_FAIL, EINVAL, HOFF(str_size), 8, h.str_size - 1, "str_size - 1 (last string unterminated)");
	C1(EXP_FAIL, EINVAL, HOFF(str_size), 8, n, "str_size = file size");
	C1(EXP_FAIL, EINVAL, HOFF(str_size), 8, UINT64_MAX, "str_size max");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[0]), 8, h.snap_off[0] + 4, "snap_off[0] misaligned");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[0]), 8, n, "snap_off[0] at the end");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[0]), 8, UINT64_MAX - 7, "snap_off[0] max");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[1]), 8, h.snap_off[1] + 8, "snap_off[1] + 8 (past the end)");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[1]), 8, h.snap_off[1] + 1, "snap_off[1] odd");
	C1(EXP_FAIL, EINVAL, HOFF(snap_off[1]), 8, UINT64_MAX - h.snap_size + 1, "snap_off[1] wrapping");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, 0, "snap_size 0");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, 8, "snap_size 8");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, 63, "snap_size 63");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, 64, "snap_size 64 (no room for values)");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, h.snap_size + 4, "snap_size + 4");
	C1(EXP_ANY, 0, HOFF(snap_size), 8, h.snap_size - 8, "snap_size - 8");
	C1(EXP_ANY, 0, HOFF(snap_off[0]), 8, h.snap_off[0] + 8, "snap_off[0] + 8 (not 16-aligned)");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, h.snap_size + 64, "snap_size + 64 (past the end)");
	C1(EXP_FAIL, EINVAL, HOFF(snap_size), 8, UINT64_MAX - 7, "snap_size max");
	C1(EXP_OK, 0, HOFF(version), 0, 'A', "version without NUL");
	LAST->p[0].fill = HW(version);
	C1(EXP_OK, 0, HOFF(version), 0, 'A', "version and reserved without NUL");
	LAST->p[0].fill = HW(version) + HW(reserved);
	C1(EXP_OK, 0, HOFF(current), 8, 2, "current 2");
	LAST->read_rc = -EINVAL;
	C1(EXP_OK, 0, HOFF(current), 8, UINT64_MAX, "current max");
	LAST->read_rc = -EINVAL;
	C1(EXP_OK, 0, HOFF(state), 4, 0, "state 0");
	C1(EXP_OK, 0, HOFF(state), 4, 99, "state 99");
	C1(EXP_OK, 0, HOFF(heartbeat_period_ns), 8, UINT64_MAX, "heartbeat_period max");
	C1(EXP_OK, 0, HOFF(heartbeat_ns), 8, UINT64_MAX, "heartbeat in the future");
	C1(EXP_OK, 0, HOFF(reserved), 0, 0xff, "reserved not zero");
	LAST->p[0].fill = HW(reserved);

	/* descriptors, one field at a time (m0: 0 dims; m1: INDEX; m2: DICT; m3: 2 dims;
	 * m4: ADDR; m6: INDEX x DICT) */
	C1(EXP_FAIL, EINVAL, MOFF(0, name), 0, 'a', "m0 name without NUL");
	LAST->p[0].fill = MW(name);
	C1(EXP_FAIL, EINVAL, MOFF(0, name), 1, 0, "m0 name empty");
	C1(EXP_OK, 0, MOFF(0, name), 1, 'Q', "m0 name with other characters");
	C1(EXP_FAIL, EINVAL, MOFF(0, name) + 1, 1, '\n', "m0 name with a newline, and 3 dims");
	ADD(MOFF(0, n_dims), 2, 3);
	C1(EXP_FAIL, EINVAL, MOFF(2, name) + 2, 1, '\r', "m2 name with a CR, dictionary outside");
	ADD(MOFF(2, dim_dict[0]), 4, UINT32_MAX);
	C1(EXP_FAIL, EINVAL, MOFF(0, value_off), 8, m0.value_off + 4, "m0 value_off misaligned");
	C1(EXP_FAIL, EINVAL, MOFF(0, value_off), 8, 0, "m0 value_off 0 (the seq)");
	C1(EXP_FAIL, EINVAL, MOFF(0, value_off), 8, 56, "m0 value_off 56 (snapshot header)");
	C1(EXP_FAIL, EINVAL, MOFF(0, value_off), 8, h.snap_size, "m0 value_off = snap_size");
	C1(EXP_OK, 0, MOFF(0, value_off), 8, h.snap_size - 8, "m0 value_off = snap_size - 8");
	C1(EXP_FAIL, EINVAL, MOFF(0, value_off), 8, UINT64_MAX - 7, "m0 value_off max");
	C1(EXP_FAIL, EINVAL, MOFF(1, value_off), 8, h.snap_size - 16, "m1 values run past the snapshot");
	C1(EXP_FAIL, EINVAL, MOFF(4, value_off), 8, h.snap_size - 16, "m4 (ADDR) values past the snapshot");
	C1(EXP_FAIL, EINVAL, MOFF(0, elem_size), 4, 16, "m0 elem_size 16");
	C1(EXP_FAIL, EINVAL, MOFF(0, elem_size), 4, 0, "m0 elem_size 0");
	C1(EXP_FAIL, EINVAL, MOFF(4, elem_size), 4, 8, "m4 (ADDR) elem_size 8");
	C1(EXP_FAIL, EINVAL, MOFF(0, n_elem), 4, 0, "m0 n_elem 0");
	C1(EXP_FAIL, EINVAL, MOFF(0, n_elem), 4, 2, "m0 n_elem 2");
	C1(EXP_FAIL, EINVAL, MOFF(1, n_elem), 4, 4, "m1 n_elem + 1");
	C1(EXP_FAIL, EINVAL, MOFF(1, dim_size[0]), 4, 0, "m1 dim_size 0");
	C1(EXP_FAIL, EINVAL, MOFF(1, dim_size[0]), 4, 0, "m1 dim_size 0, n_elem 0");
	ADD(MOFF(1, n_elem), 4, 0);
	C1(EXP_FAIL, EINVAL, MOFF(1, dim_size[0]), 4, UINT32_MAX, "m1 dim_size max, n_elem max");
	ADD(MOFF(1, n_elem), 4, UINT32_MAX);
	C1(EXP_FAIL, EINVAL, MOFF(1, dim_size[0]), 4, 1000, "m1 dim_size 1000, n_elem 1000");
	ADD(MOFF(1, n_elem), 4, 1000);
	C1(EXP_OK, 0, MOFF(1, dim_size[0]), 4, 2, "m1 dim_size 2, n_elem 2");
	ADD(MOFF(1, n_elem), 4, 2);
	C1(EXP_FAIL, EINVAL, MOFF(3, dim_size[0]), 4, 0x10000, "m3 dims 2^16 x 2^16, n_elem 0 (2^32 wraps)");
	ADD(MOFF(3, dim_size[1]), 4, 0x10000);
	ADD(MOFF(3, n_elem), 4, 0);
	C1(EXP_FAIL, EINVAL, MOFF(3, dim_size[0]), 4, 0x10000, "m3 dims 2^16 x (2^16 + 1), n_elem 2^16");
	ADD(MOFF(3, dim_size[1]), 4, 0x10001);
	ADD(MOFF(3, n_elem), 4, 0x10000);
	C1(EXP_FAIL, EINVAL, MOFF(3, dim_size[1]), 4, 0, "m3 second dim_size 0");
	C1(EXP_FAIL, EINVAL, MOFF(1, n_dims), 2, 3, "m1 n_dims 3");
	C1(EXP_FAIL, EINVAL, MOFF(1, n_dims), 2, 0xffff, "m1 n_dims max");
	C1(EXP_FAIL, EINVAL, MOFF(1, n_dims), 2, 2, "m1 n_dims 2 (second dim_size 0)");
	C1(EXP_FAIL, EINVAL, MOFF(0, help), 4, h.str_size, "m0 help = str_size");
	C1(EXP_FAIL, EINVAL, MOFF(0, help), 4, UINT32_MAX, "m0 help max");
	C1(EXP_OK, 0, MOFF(0, help), 4, h.str_size - 1, "m0 help = the last NUL");
	C1(EXP_OK, 0, MOFF(0, help), 4, m0.help + 1, "m0 help inside a string");
	C1(EXP_FAIL, EINVAL, MOFF(0, unit), 4, h.str_size, "m0 unit = str_size");
	C1(EXP_FAIL, EINVAL, MOFF(0, unit), 4, 0x80000000u, "m0 unit 2^31");
	C1(EXP_FAIL, EINVAL, MOFF(1, dim_name[0]), 4, h.str_size + 100, "m1 dim_name past the strings");
	C1(EXP_FAIL, EINVAL, MOFF(3, dim_name[1]), 4, UINT32_MAX, "m3 second dim_name max");
	C1(EXP_FAIL, EINVAL, MOFF(2, dim_dict[0]), 4, 0, "m2 dict 0");
	C1(EXP_FAIL, EINVAL, MOFF(2, dim_dict[0]), 4, h.str_size, "m2 dict = str_size");
	C1(EXP_FAIL, EINVAL, MOFF(2, dim_dict[0]), 4, UINT32_MAX, "m2 dict max");
	C1(EXP_FAIL, EINVAL, MOFF(2, dim_dict[0]), 4, h.str_size - 2, "m2 dict: labels run past the strings");
	C1(EXP_ANY, 0, MOFF(2, dim_dict[0]), 4, m2.dim_dict[0] + 1, "m2 dict + 1");
	C1(EXP_FAIL, EINVAL, MOFF(6, dim_dict[1]), 4, h.str_size - 1, "m6 second dict: last byte");
	C1(EXP_OK, 0, MOFF(0, dim_dict[0]), 4, UINT32_MAX, "m0 dict beyond n_dims (ignored)");
	C1(EXP_OK, 0, MOFF(1, dim_dict[0]), 4, UINT32_MAX, "m1 dict of an INDEX dim (ignored)");
	C1(EXP_OK, 0, MOFF(0, dim_kind[1]), 2, 9, "m0 dim_kind beyond n_dims (ignored)");
	C1(EXP_OK, 0, MOFF(0, flags), 4, 1, "m0 flags 1");
	/* a newer minor's metric: skipped, not listed, the others still are */
	C1(EXP_OK, 0, MOFF(0, type), 2, 99, "m0 type 99 (newer minor)");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(0, type), 2, 0, "m0 type 0");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(4, kind), 2, 5, "m4 kind 5 (newer minor)");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(4, kind), 2, 77, "m4 kind 77, elem_size 32, values anywhere");
	ADD(MOFF(4, elem_size), 4, 32);
	ADD(MOFF(4, value_off), 8, UINT64_MAX);
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(1, scope), 2, 4, "m1 scope 4 (newer minor)");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(2, dim_kind[0]), 2, 5, "m2 dim_kind 5 (newer minor)");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(6, dim_kind[1]), 2, 0, "m6 second dim_kind 0");
	LAST->n_delta = -1;
	C1(EXP_OK, 0, MOFF(3, kind), 2, 50, "m3 and m5 of newer kinds");
	ADD(MOFF(5, type), 2, 50);
	LAST->n_delta = -2;

	for (unsigned i = 0; i < nc; i++)
		opened += (unsigned)check_corrupt(&cs[i], valid, n, path);
	printf("corrupt fields: %u files, %u opened\n", nc, opened);

	/* the skipped metric is not found; the others keep their indices' order */
	{
		struct corrupt c = cs[0];
		struct dc_stats_reader *r = NULL;
		uint8_t *b = malloc(n);

		memcpy(b, valid, n);
		c.p[0] = (struct patch){MOFF(1, kind), 2, 9, 0};
		apply(b, &c.p[0]);
		write_file(path, b, n);
		CHECK_EQ(dc_stats_open(path, &r), 0);
		if (r) {
			CHECK_EQ(dc_stats_n_metrics(r), D_N - 1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_INTERVAL, "port_pkts"), -1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "pkts"), 0);
			CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "proto"), 1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "wd"), (int)D_N - 2);
			dc_stats_close(r);
		}
		free(b);
	}
	(void)m1;
	(void)getv;
	free(cs);
	free(valid);
}

/* Random byte flips over a valid file: open fails cleanly, or everything is safe to use. */
static void
t_random_flips(void)
{
	const char *e = getenv("DC_STATS_FLIP_SEED");
	uint64_t seed = e ? strtoull(e, NULL, 0) : 20240611;
	unsigned iters = 4000, opened = 0, read_ok = 0;
	char path[600], vpath[600];
	struct dc_stats_hdr h;
	uint8_t *valid, *b;
	size_t n;

	tpath(vpath, sizeof(vpath), "valid3.stats");
	tpath(path, sizeof(path), "flip.stats");
	valid = d_make(vpath, &n);
	if (valid == NULL) {
		CHECK(0);
		return;
	}
	memcpy(&h, valid, sizeof(h));
	b = malloc(n);
	for (unsigned it = 0; it < iters; it++) {
		struct dc_stats_reader *r = NULL;
		unsigned flips = 1 + (unsigned)(dc_test_rnd(&seed) % 4);
		int rc;

		memcpy(b, valid, n);
		for (unsigned f = 0; f < flips; f++) {
			uint64_t x = dc_test_rnd(&seed), pos;

			switch (x % 4) {
			case 0: /* the header's used part */
				pos = (x >> 8) % 232;
				break;
			case 1: /* the descriptor table and strings */
				pos = h.metric_off + (x >> 8) % (h.str_off + h.str_size - h.metric_off);
				break;
			case 2: /* anywhere before the snapshots */
				pos = (x >> 8) % h.snap_off[0];
				break;
			default:
				pos = (x >> 8) % n;
			}
			if ((x >> 40) & 1)
				b[pos] ^= (uint8_t)(1u << ((x >> 32) % 8));
			else
				b[pos] = (uint8_t)(x >> 48);
		}
		write_file(path, b, n);
		rc = dc_stats_open(path, &r);
		if (rc == 0) {
			opened++;
			if (exercise(r, path) == 0)
				read_ok++;
			dc_stats_close(r);
		} else {
			CHECK(r == NULL);
			CHECK(rc == -EINVAL || rc == -EPROTO);
			CHECK(msg_ok(path));
		}
	}
	printf("random flips: %u files (seed %llu), %u opened, %u read\n", iters,
	       (unsigned long long)(e ? strtoull(e, NULL, 0) : 20240611), opened, read_ok);
	CHECK(opened > 0 && opened < iters);
	free(b);
	free(valid);
}

/* ---- e. text values and keyed rows (ABI minor 1) ---------------------- */

/*
 * A table whose rows are given to ids as they appear: k_id holds each row's
 * id (0: unused row), the other row metrics are keyed by it; k_tag is a text
 * key of its own (an unkeyed STR list) for k_by_tag.
 */
static const char *const k_fields[] = {"packets", "sources"};
enum { K_ID, K_NAME, K_PKTS, K_FIELDS, K_PLAIN, K_TAG, K_BY_TAG, K_N };
#define K_ROWS 4
#define K_TAGS 3
#define NAME63 "n123456789_123456789_123456789_123456789_123456789_123456789_12" /* 63 */

static const struct dc_stats_def k_defs[K_N] = {
	[K_ID] = {.name = "sig_id", .help = "Id of each row", .type = DC_STATS_GAUGE,
		  .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"row"},
		  .dim_size = {K_ROWS}, .dim_kind = {DC_STATS_DIM_INDEX}},
	[K_NAME] = {.name = "sig_name", .help = "Name of each row", .type = DC_STATS_GAUGE,
		    .kind = DC_STATS_STR, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"signature"},
		    .dim_size = {K_ROWS}, .dim_kind = {DC_STATS_DIM_KEY}},
	[K_PKTS] = {.name = "sig_packets", .help = "Packets per row", .unit = "packets",
		    .type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 1,
		    .dim_name = {"signature"}, .dim_size = {K_ROWS}, .dim_kind = {DC_STATS_DIM_KEY}},
	[K_FIELDS] = {.name = "sig_fields", .help = "Fields per row", .type = DC_STATS_GAUGE,
		      .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL, .n_dims = 2,
		      .dim_name = {"signature", "counter"}, .dim_size = {K_ROWS, 2},
		      .dim_kind = {DC_STATS_DIM_KEY, DC_STATS_DIM_DICT}, .dict = {NULL, k_fields}},
	[K_PLAIN] = {.name = "plain", .help = "A scalar", .type = DC_STATS_COUNTER,
		     .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL},
	[K_TAG] = {.name = "tag", .help = "A text list", .type = DC_STATS_GAUGE, .kind = DC_STATS_STR,
		   .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"i"}, .dim_size = {K_TAGS},
		   .dim_kind = {DC_STATS_DIM_INDEX}},
	[K_BY_TAG] = {.name = "by_tag", .help = "Keyed by text", .type = DC_STATS_GAUGE,
		      .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"tag"},
		      .dim_size = {K_TAGS}, .dim_kind = {DC_STATS_DIM_KEY}},
};
static const int k_keys[K_N] = {[K_NAME] = K_ID, [K_PKTS] = K_ID, [K_FIELDS] = K_ID,
				[K_BY_TAG] = K_TAG};

/* What round p of k_fill() writes: ids and names per row, 0/"" unused. */
struct k_round {
	uint64_t id[K_ROWS];
	const char *name[K_ROWS];
	uint64_t pkts[K_ROWS], f[K_ROWS][2], plain;
	const char *tag[K_TAGS];
	uint64_t by_tag[K_TAGS];
};

static const struct k_round k_rounds[] = {
	{{1001, 1002, 0, 0}, {"sip-options", NAME63 "xyz", NULL, NULL}, {5, 7, 0, 0},
	 {{5, 2}, {7, 3}, {0, 0}, {0, 0}}, 12, {"alpha", "", "gamma"}, {1, 2, 3}},
	/* row 1 renamed, row 2 given to a new id, a tag changed */
	{{1001, 1002, 4000000000ull, 0}, {"sip-options", "renamed", "new-one", NULL}, {9, 8, 4, 0},
	 {{4, 1}, {1, 1}, {4, 4}, {0, 0}}, 21, {"alpha", "beta", "delta"}, {4, 5, 6}},
};

static int
k_declare(struct dc_stats_writer *w)
{
	for (unsigned i = 0; i < K_N; i++) {
		int key[2] = {k_keys[i], k_keys[i]};
		int rc = dc_stats_writer_add_keyed(w, &k_defs[i], key);

		CHECK_EQ(rc, i);
		if (rc != (int)i) {
			fprintf(stderr, "  add %s: %s\n", k_defs[i].name, dc_stats_strerror());
			return -1;
		}
	}
	return 0;
}

static void
k_fill(struct dc_stats_writer *w, const struct k_round *k)
{
	for (unsigned j = 0; j < K_ROWS; j++) {
		((uint64_t *)dc_stats_writer_values(w, K_ID))[j] = k->id[j];
		dc_stats_writer_text(w, K_NAME, j, k->name[j]);
		((uint64_t *)dc_stats_writer_values(w, K_PKTS))[j] = k->pkts[j];
		((uint64_t *)dc_stats_writer_values(w, K_FIELDS))[2 * j] = k->f[j][0];
		((uint64_t *)dc_stats_writer_values(w, K_FIELDS))[2 * j + 1] = k->f[j][1];
	}
	*(uint64_t *)dc_stats_writer_values(w, K_PLAIN) = k->plain;
	for (unsigned j = 0; j < K_TAGS; j++) {
		dc_stats_writer_text(w, K_TAG, j, k->tag[j]);
		((uint64_t *)dc_stats_writer_values(w, K_BY_TAG))[j] = k->by_tag[j];
	}
}

/* Every value and label of a snapshot against round @k, computed here. */
static void
k_check(struct dc_stats_reader *r, const void *buf, const struct k_round *k)
{
	const struct dc_stats_metric *m[K_N];
	char lb[80], want[80];

	CHECK_EQ(dc_stats_n_metrics(r), K_N);
	for (unsigned i = 0; i < K_N; i++)
		if ((m[i] = dc_stats_metric(r, i)) == NULL)
			return;
	for (unsigned j = 0; j < K_ROWS; j++) {
		const char *name = k->name[j] ? k->name[j] : "";
		int used = k->id[j] != 0;

		CHECK_EQ(dc_stats_u64(buf, m[K_ID], j), k->id[j]);
		snprintf(want, sizeof(want), "%.63s", name); /* truncated to 63 bytes */
		CHECK(strcmp(dc_stats_text(buf, m[K_NAME], j), want) == 0);
		CHECK_EQ(dc_stats_u64(buf, m[K_PKTS], j), k->pkts[j]);
		CHECK_EQ(dc_stats_u64(buf, m[K_FIELDS], 2 * j), k->f[j][0]);
		CHECK_EQ(dc_stats_u64(buf, m[K_FIELDS], 2 * j + 1), k->f[j][1]);
		/* the row's label is its id in this snapshot */
		snprintf(want, sizeof(want), "%llu", (unsigned long long)k->id[j]);
		for (unsigned i = K_NAME; i <= K_FIELDS; i++) {
			CHECK(strcmp(dc_stats_label_at(r, buf, m[i], 0, j, lb, sizeof(lb)), want) == 0);
			CHECK_EQ(dc_stats_elem_used(r, buf, m[i], i == K_FIELDS ? 2 * j + 1 : j), used);
		}
		CHECK(strcmp(dc_stats_label_at(r, buf, m[K_FIELDS], 1, j % 2, lb, sizeof(lb)),
			     k_fields[j % 2]) == 0);
		snprintf(want, sizeof(want), "#%u", j); /* without a snapshot */
		CHECK(strcmp(dc_stats_label(r, m[K_PKTS], 0, j, lb, sizeof(lb)), want) == 0);
		/* an INDEX dimension is the same either way */
		snprintf(want, sizeof(want), "%u", j);
		CHECK(strcmp(dc_stats_label_at(r, buf, m[K_ID], 0, j, lb, sizeof(lb)), want) == 0);
		CHECK_EQ(dc_stats_elem_used(r, buf, m[K_ID], j), 1);
	}
	for (unsigned j = 0; j < K_TAGS; j++) {
		const char *tag = k->tag[j] ? k->tag[j] : "";

		CHECK(strcmp(dc_stats_text(buf, m[K_TAG], j), tag) == 0);
		CHECK(strcmp(dc_stats_label_at(r, buf, m[K_BY_TAG], 0, j, lb, sizeof(lb)), tag) == 0);
		CHECK_EQ(dc_stats_u64(buf, m[K_BY_TAG], j), k->by_tag[j]);
		CHECK_EQ(dc_stats_elem_used(r, buf, m[K_BY_TAG], j), tag[0] != '\0');
	}
	CHECK_EQ(dc_stats_u64(buf, m[K_PLAIN], 0), k->plain);
	CHECK_EQ(dc_stats_elem_used(r, buf, m[K_PLAIN], 0), 1);
	CHECK_EQ(dc_stats_elem_used(r, buf, m[K_PLAIN], 1), 0);
	CHECK_EQ(dc_stats_elem_used(r, buf, m[K_PKTS], K_ROWS), 0);
	/* out of range: as dc_stats_label() */
	CHECK(strcmp(dc_stats_label_at(r, buf, m[K_PKTS], 0, K_ROWS, lb, sizeof(lb)), "?") == 0);
	CHECK(strcmp(dc_stats_label_at(r, buf, m[K_PKTS], 1, 0, lb, sizeof(lb)), "?") == 0);
	CHECK(strcmp(dc_stats_label_at(r, buf, m[K_FIELDS], 0, 1, lb, 3), "10") == 0); /* truncated */
}

static uint8_t *
k_make(const char *path, size_t *n, unsigned rounds)
{
	struct dc_stats_writer_info info = {.interval_s = 60, .heartbeat_period_ns = 1000000000ull,
					    .version = "keyed"};
	struct dc_stats_writer *w = dc_stats_writer_new();

	if (w == NULL || k_declare(w) != 0 || dc_stats_writer_create(w, path, &info) != 0) {
		CHECK(0);
		dc_stats_writer_close(w, 0);
		return NULL;
	}
	for (unsigned p = 0; p < rounds; p++) {
		k_fill(w, &k_rounds[p]);
		dc_stats_writer_publish(w, NULL);
	}
	dc_stats_writer_close(w, 1);
	return read_file(path, n);
}

static void
t_keyed_rows(void)
{
	struct dc_stats_writer_info info = {.interval_s = 60, .heartbeat_period_ns = 1000000000ull,
					    .version = "keyed"};
	struct dc_stats_writer *w = dc_stats_writer_new();
	struct dc_stats_reader *r = NULL;
	char path[600];
	void *buf, *old;

	tpath(path, sizeof(path), "keyed.stats");
	CHECK(w != NULL);
	if (w == NULL || k_declare(w) != 0)
		return;
	CHECK_EQ(dc_stats_writer_create(w, path, &info), 0);
	CHECK_EQ(dc_stats_open(path, &r), 0);
	if (r == NULL) {
		fprintf(stderr, "  open: %s\n", dc_stats_strerror());
		dc_stats_writer_close(w, 0);
		return;
	}
	/* descriptors */
	{
		const struct dc_stats_metric *nm = dc_stats_metric(r, K_NAME);
		const struct dc_stats_metric *fm = dc_stats_metric(r, K_FIELDS);
		struct dc_stats_hdr h;

		dc_stats_header(r, &h);
		CHECK_EQ(h.abi_minor, 1);
		CHECK_EQ(nm->kind, DC_STATS_STR);
		CHECK_EQ(nm->elem_size, DC_STATS_STR_SIZE);
		CHECK_EQ(nm->dim_kind[0], DC_STATS_DIM_KEY);
		CHECK_EQ(nm->dim_dict[0], K_ID);
		CHECK_EQ(fm->dim_dict[0], K_ID);
		CHECK_EQ(dc_stats_metric(r, K_BY_TAG)->dim_dict[0], K_TAG);
		CHECK(dc_stats_key_metric(r, nm, 0) == dc_stats_metric(r, K_ID));
		CHECK(dc_stats_key_metric(r, fm, 0) == dc_stats_metric(r, K_ID));
		CHECK(dc_stats_key_metric(r, fm, 1) == NULL);
		CHECK(dc_stats_key_metric(r, nm, 1) == NULL);
		CHECK(dc_stats_key_metric(r, dc_stats_metric(r, K_ID), 0) == NULL);
		CHECK(dc_stats_key_metric(r, dc_stats_metric(r, K_BY_TAG), 0) == dc_stats_metric(r, K_TAG));
		CHECK(exercise(r, path) == 0);
	}
	buf = malloc(dc_stats_snap_size(r));
	old = malloc(dc_stats_snap_size(r));
	/* nothing published: every row unused, texts empty */
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	for (unsigned j = 0; j < K_ROWS; j++) {
		CHECK_EQ(dc_stats_elem_used(r, buf, dc_stats_metric(r, K_PKTS), j), 0);
		CHECK(strcmp(dc_stats_text(buf, dc_stats_metric(r, K_NAME), j), "") == 0);
	}
	/* two rounds: a rename and a new id between them; the first snapshot kept aside keeps its names */
	k_fill(w, &k_rounds[0]);
	dc_stats_writer_publish(w, NULL);
	CHECK_EQ(dc_stats_read(r, old, NULL), 0);
	k_check(r, old, &k_rounds[0]);
	k_fill(w, &k_rounds[1]);
	dc_stats_writer_publish(w, NULL);
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	k_check(r, buf, &k_rounds[1]);
	k_check(r, old, &k_rounds[0]);
	CHECK(exercise(r, path) == 0);
	/* dc_stats_writer_text: truncation, NULL, wrong metric or element (no-ops) */
	{
		const struct dc_stats_metric *nm = dc_stats_metric(r, K_NAME);
		uint64_t id0 = ((uint64_t *)dc_stats_writer_values(w, K_ID))[0];

		dc_stats_writer_text(w, K_NAME, 3, NAME63 NAME63);
		dc_stats_writer_text(w, K_NAME, 2, NULL);
		dc_stats_writer_text(w, K_NAME, K_ROWS, "out of range");
		dc_stats_writer_text(w, K_ID, 0, "not a text metric");
		dc_stats_writer_text(w, -1, 0, "x");
		dc_stats_writer_text(w, K_N, 0, "x");
		dc_stats_writer_publish(w, NULL);
		CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
		CHECK(strcmp(dc_stats_text(buf, nm, 3), NAME63) == 0);
		CHECK(strcmp(dc_stats_text(buf, nm, 2), "") == 0);
		CHECK_EQ(dc_stats_u64(buf, dc_stats_metric(r, K_ID), 0), id0);
		CHECK(strcmp(dc_stats_text(buf, nm, 1), "renamed") == 0);
	}
	/* a text without its NUL in the file: the reader's copy ends at the element's last byte */
	{
		struct dc_stats_hdr h;
		const struct dc_stats_metric *nm = dc_stats_metric(r, K_NAME);
		uint64_t cur;
		int fd = open(path, O_RDWR | O_CLOEXEC);
		uint8_t fill[DC_STATS_STR_SIZE];

		dc_stats_header(r, &h);
		cur = h.current;
		memset(fill, 'A', sizeof(fill));
		CHECK(fd >= 0);
		if (fd >= 0) {
			CHECK(pwrite(fd, fill, sizeof(fill), (off_t)(h.snap_off[cur] + nm->value_off)) ==
			      (ssize_t)sizeof(fill));
			close(fd);
		}
		CHECK_EQ(dc_stats_read_fresh(r, buf, NULL), 0);
		CHECK_EQ(strlen(dc_stats_text(buf, nm, 0)), DC_STATS_STR_SIZE - 1);
		CHECK(strcmp(dc_stats_text(buf, nm, 1), "renamed") == 0);
	}
	free(buf);
	free(old);
	dc_stats_close(r);
	dc_stats_writer_close(w, 1);
	unlink(path);

	/* the writer refuses keys that are not a list of ids */
	{
		static const struct dc_stats_def addr = {.name = "addrs", .type = DC_STATS_GAUGE,
			.kind = DC_STATS_ADDR, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"i"},
			.dim_size = {K_ROWS}, .dim_kind = {DC_STATS_DIM_INDEX}};
		static const struct dc_stats_def three = {.name = "three", .type = DC_STATS_GAUGE,
			.kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"i"},
			.dim_size = {3}, .dim_kind = {DC_STATS_DIM_INDEX}};
		struct dc_stats_def d = k_defs[K_PKTS];
		struct {
			const char *what;
			int key;
		} bad[] = {
			{"negative", -1}, {"not declared yet", K_N + 2}, {"a scalar", K_PLAIN},
			{"a keyed metric", K_PKTS}, {"a 2-dimension metric", K_FIELDS},
			{"ADDR elements", K_N}, {"another length", K_N + 1},
		};
		struct dc_stats_writer *w2 = dc_stats_writer_new();

		CHECK(w2 != NULL && k_declare(w2) == 0);
		CHECK_EQ(dc_stats_writer_add(w2, &addr), K_N);
		CHECK_EQ(dc_stats_writer_add(w2, &three), K_N + 1);
		d.name = "keyed2";
		for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
			int key[2] = {bad[i].key, -1};
			int rc = dc_stats_writer_add_keyed(w2, &d, key);

			if (rc != -EINVAL) {
				fprintf(stderr, "  key %s: add = %d, expected %d\n", bad[i].what, rc, -EINVAL);
				CHECK(0);
			}
			CHECK(msg_ok(NULL));
		}
		CHECK_EQ(dc_stats_writer_add(w2, &d), -EINVAL); /* no keys at all */
		CHECK_EQ(dc_stats_writer_add_keyed(w2, &d, NULL), -EINVAL);
		/* a key on the second dimension; key[] ignored for other dimensions */
		{
			struct dc_stats_def d2 = k_defs[K_FIELDS];
			int key[2] = {-7, K_ID};

			d2.name = "fields2";
			d2.dim_name[0] = "counter", d2.dim_name[1] = "signature";
			d2.dim_size[0] = 2, d2.dim_size[1] = K_ROWS;
			d2.dim_kind[0] = DC_STATS_DIM_DICT, d2.dim_kind[1] = DC_STATS_DIM_KEY;
			d2.dict[0] = k_fields, d2.dict[1] = NULL;
			CHECK_EQ(dc_stats_writer_add_keyed(w2, &d2, key), K_N + 2);
			d2.name = "text_keyed";
			key[1] = K_TAG;
			d2.dim_size[1] = K_TAGS;
			CHECK_EQ(dc_stats_writer_add_keyed(w2, &d2, key), K_N + 3);
		}
		tpath(path, sizeof(path), "keyed2.stats");
		CHECK_EQ(dc_stats_writer_create(w2, path, &info), 0);
		k_fill(w2, &k_rounds[1]);
		dc_stats_writer_publish(w2, NULL);
		CHECK_EQ(dc_stats_open(path, &r), 0);
		if (r) {
			const struct dc_stats_metric *f2 = dc_stats_metric(r, K_N + 2);
			void *b = malloc(dc_stats_snap_size(r));
			char lb[80];

			CHECK_EQ(dc_stats_n_metrics(r), K_N + 4);
			CHECK_EQ(dc_stats_read(r, b, NULL), 0);
			CHECK(strcmp(dc_stats_label_at(r, b, f2, 1, 2, lb, sizeof(lb)), "4000000000") == 0);
			CHECK(strcmp(dc_stats_label_at(r, b, f2, 0, 1, lb, sizeof(lb)), "sources") == 0);
			CHECK_EQ(dc_stats_elem_used(r, b, f2, 0 * K_ROWS + 3), 0);
			CHECK_EQ(dc_stats_elem_used(r, b, f2, 1 * K_ROWS + 2), 1);
			CHECK(strcmp(dc_stats_label_at(r, b, dc_stats_metric(r, K_N + 3), 1, 2, lb, sizeof(lb)),
				     "delta") == 0);
			CHECK(exercise(r, path) == 0);
			free(b);
			dc_stats_close(r);
		}
		dc_stats_writer_close(w2, 1);
		unlink(path);
	}
}

/* Corrupt keys and texts: refused, or skipped like a newer minor's metric. */
static void
t_keyed_corrupt(void)
{
	char path[600], vpath[600];
	struct dc_stats_hdr h;
	struct dc_stats_metric mn;
	uint8_t *valid;
	size_t n;
	struct {
		const char *what;
		unsigned metric;
		size_t off, width;
		uint64_t val;
		int n_listed;    /* -1: open fails with EINVAL */
	} cs[] = {
		{"key index = n_metric", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_N, -1},
		{"key index max", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, UINT32_MAX, -1},
		{"key is a scalar", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_PLAIN, -1},
		{"key is itself", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_PKTS, -1},
		{"key is keyed", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_NAME, -1},
		{"key of 2 dimensions", K_PKTS, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_FIELDS, -1},
		{"key of another length", K_BY_TAG, offsetof(struct dc_stats_metric, dim_dict[0]), 4, K_ID, -1},
		{"second dimension keyed to a dictionary", K_FIELDS, offsetof(struct dc_stats_metric, dim_kind[1]), 2,
		 DC_STATS_DIM_KEY, -1},
		{"text elem_size 8", K_NAME, offsetof(struct dc_stats_metric, elem_size), 4, 8, -1},
		{"text elem_size 128", K_NAME, offsetof(struct dc_stats_metric, elem_size), 4, 128, -1},
		{"text as U64 (elem_size 64)", K_NAME, offsetof(struct dc_stats_metric, kind), 2, DC_STATS_U64, -1},
		{"text values past the snapshot", K_TAG, offsetof(struct dc_stats_metric, value_off), 8, 1ull << 40, -1},
		{"key list of unknown kind: it and its rows skipped", K_ID, offsetof(struct dc_stats_metric, kind), 2, 9,
		 K_N - 4},
		{"text key of unknown kind", K_TAG, offsetof(struct dc_stats_metric, kind), 2, 9, K_N - 2},
		{"keyed text of unknown kind: only it skipped", K_NAME, offsetof(struct dc_stats_metric, kind), 2, 9,
		 K_N - 1},
		{"dimension kind 5 (newer minor)", K_PKTS, offsetof(struct dc_stats_metric, dim_kind[0]), 2, 5, K_N - 1},
	};

	tpath(vpath, sizeof(vpath), "keyed-valid.stats");
	tpath(path, sizeof(path), "keyed-corrupt.stats");
	valid = k_make(vpath, &n, 2);
	if (valid == NULL)
		return;
	memcpy(&h, valid, sizeof(h));
	memcpy(&mn, valid + h.metric_off + K_NAME * h.metric_size, sizeof(mn));
	for (unsigned i = 0; i < ARRAY_SIZE(cs); i++) {
		uint8_t *b = malloc(n);
		struct dc_stats_reader *r = NULL;
		int rc;

		memcpy(b, valid, n);
		memcpy(b + h.metric_off + (uint64_t)cs[i].metric * h.metric_size + cs[i].off, &cs[i].val,
		       cs[i].width);
		write_file(path, b, n);
		rc = dc_stats_open(path, &r);
		if (cs[i].n_listed < 0) {
			if (rc != -EINVAL)
				fprintf(stderr, "  %s: open = %d, expected %d\n", cs[i].what, rc, -EINVAL);
			CHECK(rc == -EINVAL && r == NULL);
			CHECK(msg_ok(path));
		} else {
			if (rc != 0)
				fprintf(stderr, "  %s: open = %d (%s)\n", cs[i].what, rc, dc_stats_strerror());
			CHECK_EQ(rc, 0);
			if (r) {
				CHECK_EQ(dc_stats_n_metrics(r), cs[i].n_listed);
				CHECK(exercise(r, path) == 0);
				CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "plain") >= 0, 1);
			}
		}
		dc_stats_close(r);
		free(b);
	}
	/* the skipped ones are the right ones */
	{
		uint8_t *b = malloc(n);
		struct dc_stats_reader *r = NULL;
		uint16_t k9 = 9;

		memcpy(b, valid, n);
		memcpy(b + h.metric_off + K_ID * h.metric_size + offsetof(struct dc_stats_metric, kind), &k9, 2);
		write_file(path, b, n);
		CHECK_EQ(dc_stats_open(path, &r), 0);
		if (r) {
			CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "sig_id"), -1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "sig_name"), -1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "sig_packets"), -1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_INTERVAL, "sig_fields"), -1);
			CHECK_EQ(dc_stats_find(r, DC_STATS_TOTAL, "plain"), 0);
			CHECK_EQ(dc_stats_find(r, DC_STATS_NOW, "by_tag"), 2);
			dc_stats_close(r);
		}
		free(b);
	}
	/* random byte flips over the keyed file */
	{
		uint64_t seed = 20240912;
		unsigned opened = 0, iters = 2000;
		uint8_t *b = malloc(n);

		for (unsigned it = 0; it < iters; it++) {
			struct dc_stats_reader *r = NULL;
			unsigned flips = 1 + (unsigned)(dc_test_rnd(&seed) % 3);
			int rc;

			memcpy(b, valid, n);
			for (unsigned f = 0; f < flips; f++) {
				uint64_t x = dc_test_rnd(&seed);
				uint64_t pos = x % 2 ? h.metric_off + (x >> 8) % ((uint64_t)K_N * h.metric_size) :
					       (x >> 8) % n;

				b[pos] ^= (uint8_t)(1u << ((x >> 32) % 8));
			}
			write_file(path, b, n);
			rc = dc_stats_open(path, &r);
			if (rc == 0) {
				opened++;
				exercise(r, path);
				dc_stats_close(r);
			} else {
				CHECK(rc == -EINVAL || rc == -EPROTO);
				CHECK(msg_ok(path));
			}
		}
		printf("keyed rows, random flips: %u files, %u opened\n", iters, opened);
		CHECK(opened > 0 && opened < iters);
		free(b);
	}
	(void)mn;
	free(valid);
}

/*
 * Names never meet another row's counts: the writer gives the rows to new
 * ids and renames them at every publish, as fast as it can; readers check
 * on every snapshot that each row's name and count belong to its id of
 * that publish.
 */
#define KS_ROWS 1024

struct kstress {
	char path[600];
	struct dc_stats_writer *w;
	int m_n, m_id, m_name, m_pk;
	int stop;
	uint64_t publishes, reads, bad;
	char first_bad[200];
};

static uint64_t
ks_id(uint64_t n, unsigned j)
{
	return 1 + (n * 7 + j * 13) % 1000003;
}

static void *
ks_writer(void *arg)
{
	struct kstress *s = arg;
	uint64_t n;
	char name[DC_STATS_STR_SIZE];

	for (n = 1; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); n++) {
		*(uint64_t *)dc_stats_writer_values(s->w, s->m_n) = n;
		for (unsigned j = 0; j < KS_ROWS; j++) {
			uint64_t id = ks_id(n, j);

			((uint64_t *)dc_stats_writer_values(s->w, s->m_id))[j] = id;
			snprintf(name, sizeof(name), "sig-%llu-%llu", (unsigned long long)id,
				 (unsigned long long)n);
			dc_stats_writer_text(s->w, s->m_name, j, name);
			((uint64_t *)dc_stats_writer_values(s->w, s->m_pk))[j] = id * 1000 + n % 1000;
		}
		dc_stats_writer_publish(s->w, NULL);
	}
	s->publishes = n - 1;
	return NULL;
}

static void *
ks_reader(void *arg)
{
	struct kstress *s = arg;
	struct dc_stats_reader *r = NULL;
	char want[DC_STATS_STR_SIZE], lb[32];
	void *buf;

	if (dc_stats_open(s->path, &r) != 0) {
		__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	buf = malloc(dc_stats_snap_size(r));
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		const struct dc_stats_metric *mn = dc_stats_metric(r, (unsigned)s->m_n);
		const struct dc_stats_metric *mname = dc_stats_metric(r, (unsigned)s->m_name);
		const struct dc_stats_metric *mpk = dc_stats_metric(r, (unsigned)s->m_pk);
		uint64_t n;

		if (dc_stats_read(r, buf, NULL) != 0)
			continue;
		__atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
		n = dc_stats_u64(buf, mn, 0);
		if (n == 0)
			continue;
		for (unsigned j = 0; j < KS_ROWS; j++) {
			uint64_t id = ks_id(n, j);

			snprintf(want, sizeof(want), "sig-%llu-%llu", (unsigned long long)id,
				 (unsigned long long)n);
			dc_stats_label_at(r, buf, mpk, 0, j, lb, sizeof(lb));
			if (strcmp(dc_stats_text(buf, mname, j), want) != 0 ||
			    dc_stats_u64(buf, mpk, j) != id * 1000 + n % 1000 ||
			    strtoull(lb, NULL, 10) != id) {
				if (__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED) == 1)
					snprintf(s->first_bad, sizeof(s->first_bad),
						 "publish %llu row %u: '%s' %llu, label %s",
						 (unsigned long long)n, j, dc_stats_text(buf, mname, j),
						 (unsigned long long)dc_stats_u64(buf, mpk, j), lb);
				break;
			}
		}
	}
	free(buf);
	dc_stats_close(r);
	return NULL;
}

static void
t_keyed_stress(void)
{
	struct dc_stats_writer_info info = {.interval_s = 1, .heartbeat_period_ns = 1000000000ull};
	struct kstress s = {0};
	pthread_t wt, rt[2];
	double t0 = mono_s(), dur = (UNDER_ASAN ? 0.5 : 0.4) * stress_scale();
	struct dc_stats_def d = {.name = "n", .type = DC_STATS_COUNTER, .kind = DC_STATS_U64,
				 .scope = DC_STATS_TOTAL};
	int key[2] = {1, -1};

	tpath(s.path, sizeof(s.path), "kstress.stats");
	s.w = dc_stats_writer_new();
	s.m_n = dc_stats_writer_add(s.w, &d);
	d = (struct dc_stats_def){.name = "id", .type = DC_STATS_GAUGE, .kind = DC_STATS_U64,
				  .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"row"},
				  .dim_size = {KS_ROWS}, .dim_kind = {DC_STATS_DIM_INDEX}};
	s.m_id = dc_stats_writer_add(s.w, &d);
	d.name = "name", d.kind = DC_STATS_STR, d.dim_kind[0] = DC_STATS_DIM_KEY;
	s.m_name = dc_stats_writer_add_keyed(s.w, &d, key);
	d.name = "pk", d.kind = DC_STATS_U64, d.type = DC_STATS_COUNTER, d.scope = DC_STATS_TOTAL;
	s.m_pk = dc_stats_writer_add_keyed(s.w, &d, key);
	CHECK(s.m_n == 0 && s.m_id == 1 && s.m_name == 2 && s.m_pk == 3);
	if (dc_stats_writer_create(s.w, s.path, &info) != 0) {
		CHECK(0);
		dc_stats_writer_close(s.w, 0);
		return;
	}
	pthread_create(&wt, NULL, ks_writer, &s);
	for (unsigned i = 0; i < 2; i++)
		pthread_create(&rt[i], NULL, ks_reader, &s);
	while (mono_s() - t0 < dur && !__atomic_load_n(&s.bad, __ATOMIC_RELAXED))
		sleep_ms(20);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(wt, NULL);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);
	printf("keyed rows stress: %u rows, %llu publishes, %llu reads, %llu mismatched\n", KS_ROWS,
	       (unsigned long long)s.publishes, (unsigned long long)s.reads,
	       (unsigned long long)s.bad);
	if (s.bad)
		fprintf(stderr, "  first mismatch: %s\n", s.first_bad);
	CHECK_EQ(s.bad, 0);
	CHECK(s.reads >= 10 && s.publishes >= 10); /* a loaded machine publishes few; the checks still hold */
	dc_stats_writer_close(s.w, 1);
	unlink(s.path);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"round trip: header, descriptors, labels, values", t_round_trip},
		{"writer refuses bad definitions", t_writer_rejects},
		{"torn snapshots: small segment", t_stress_small},
		{"torn snapshots: 65536-element array", t_stress_large},
		{"liveness: starting, live, stale, stopped, replaced, gone", t_liveness},
		{"writer died mid-publish", t_died_mid_publish},
		{"bad paths and foreign files", t_bad_paths},
		{"truncated files", t_truncated},
		{"corrupt header and descriptor fields", t_corrupt_fields},
		{"random byte flips", t_random_flips},
		{"text values and keyed rows: round trip, rename, writer refusals", t_keyed_rows},
		{"keyed rows: corrupt keys and texts", t_keyed_corrupt},
		{"keyed rows: names never meet another row's counts", t_keyed_stress},
	};
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tmp_init();
	rc = dc_test_run("stats", cases, ARRAY_SIZE(cases));
	tmp_fini();
	return rc;
}
