/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the benchmarks share (dc_bench.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "dc_bench.h"
#include "dc_err.h"

static const char *prog = "darkcap-bench";

void
dc_bench_set_prog(const char *name)
{
	prog = name;
}

int
dc_bench_eal_init(const char *name, int argc, char **argv)
{
	int n;

	dc_bench_set_prog(name);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "%s: rte_eal_init: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
	argv[n] = (char *)(uintptr_t)name;
	return n;
}

void
dc_bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
dc_bench_malloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n ? n : 64) != 0)
		dc_bench_die("out of memory (%zu bytes)", n);
	return p;
}

void *
dc_bench_realloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		dc_bench_die("out of memory (%zu bytes)", n);
	return p;
}

/* ---- Zipf ranks, hashes ----------------------------------------------------- */

static double
helper1(double x) /* log1p(x) / x */
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double
helper2(double x) /* expm1(x) / x */
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

static double
zipf_H(const struct dc_bench_zipf *z, double x) /* integral of t^-s from 1 to x */
{
	double lx = log(x);

	return helper2((1 - z->s) * lx) * lx;
}

static double
zipf_h(const struct dc_bench_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double
zipf_Hinv(const struct dc_bench_zipf *z, double y)
{
	double t = y * (1 - z->s);

	if (t < -1)
		t = -1;
	return exp(helper1(t) * y);
}

void
dc_bench_zipf_init(struct dc_bench_zipf *z, double s, uint64_t n)
{
	z->s = s;
	z->n = (double)n;
	z->hx1 = zipf_H(z, 1.5) - 1;
	z->hn = zipf_H(z, z->n + 0.5);
	z->thr = 2 - zipf_Hinv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
}

uint64_t
dc_bench_zipf_rank(const struct dc_bench_zipf *z, uint64_t *rs)
{
	for (;;) {
		double u = z->hn + dc_bench_rnd01(rs) * (z->hx1 - z->hn);
		double x = zipf_Hinv(z, u);
		double k = floor(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->thr || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
			return (uint64_t)k;
	}
}

uint64_t
dc_bench_hash(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = dc_bench_mix64(h ^ w);
	}
	if (i < n) {
		uint64_t w = 0;

		memcpy(&w, b + i, n - i);
		h = dc_bench_mix64(h ^ w ^ (uint64_t)(n - i) << 56);
	}
	return h;
}

uint64_t
dc_bench_count_distinct(uint64_t *v, uint64_t n)
{
	static uint64_t cnt[65536];
	uint64_t *t = dc_bench_malloc(n * sizeof(*v)), d = 0;

	for (int sh = 0; sh < 64; sh += 16) {
		memset(cnt, 0, sizeof(cnt));
		for (uint64_t i = 0; i < n; i++)
			cnt[(v[i] >> sh) & 0xffff]++;
		for (uint64_t i = 0, s = 0; i < 65536; i++) {
			uint64_t c = cnt[i];

			cnt[i] = s;
			s += c;
		}
		for (uint64_t i = 0; i < n; i++)
			t[cnt[(v[i] >> sh) & 0xffff]++] = v[i];
		memcpy(v, t, n * sizeof(*v));
	}
	free(t);
	for (uint64_t i = 0; i < n; i++)
		d += i == 0 || v[i] != v[i - 1];
	return d;
}

/* ---- frames ------------------------------------------------------------------ */

static uint32_t
rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

void
dc_bench_pcap_load(const char *path, struct dc_bench_frames *f)
{
	FILE *fp = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	uint64_t *off = NULL, cap_n = 0;
	size_t used = 0, cap = 0;
	uint8_t *buf = NULL;
	uint32_t magic;
	int swap;

	if (fp == NULL)
		dc_bench_die("%s: %s", path, strerror(errno));
	if (fread(gh, 1, sizeof(gh), fp) != sizeof(gh))
		dc_bench_die("%s: not a pcap file (shorter than its header)", path);
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = 1;
	else
		dc_bench_die("%s: not a classic pcap file (magic %08x; pcapng is not read)", path,
			     magic);
	if ((rd32(gh + 20, swap) & 0x0fffffff) != 1)
		dc_bench_die("%s: link type %u, not Ethernet", path,
			     rd32(gh + 20, swap) & 0x0fffffff);
	memset(f, 0, sizeof(*f));
	while (fread(rh, 1, sizeof(rh), fp) == sizeof(rh)) {
		uint32_t cl = rd32(rh + 8, swap), wl = rd32(rh + 12, swap);
		size_t room = ((size_t)cl + 63) & ~(size_t)63;

		if (cl > 262144)
			dc_bench_die("%s: record %" PRIu64 " holds %u bytes", path, f->n, cl);
		if (f->n == cap_n) {
			cap_n = cap_n ? 2 * cap_n : 65536;
			off = dc_bench_realloc(off, cap_n * sizeof(*off));
			f->len = dc_bench_realloc(f->len, cap_n * sizeof(*f->len));
			f->caplen = dc_bench_realloc(f->caplen, cap_n * sizeof(*f->caplen));
		}
		if (used + room + 64 > cap) {
			cap = cap ? 2 * cap : (16u << 20);
			buf = dc_bench_realloc(buf, cap);
		}
		if (cl && fread(buf + used, 1, cl, fp) != cl)
			dc_bench_die("%s: record %" PRIu64 " cut short", path, f->n);
		off[f->n] = used;
		f->caplen[f->n] = cl;
		f->len[f->n] = wl < cl ? cl : wl;
		used += room ? room : 64;
		f->n++;
	}
	fclose(fp);
	if (f->n == 0)
		dc_bench_die("%s: no frames", path);
	/* realloc() keeps no 64-byte alignment: into aligned memory. */
	f->buf = dc_bench_malloc(used);
	f->bytes = used;
	memcpy(f->buf, buf, used);
	free(buf);
	f->frame = dc_bench_malloc(f->n * sizeof(*f->frame));
	for (uint64_t i = 0; i < f->n; i++)
		f->frame[i] = f->buf + off[i];
	free(off);
}

void
dc_bench_frames_free(struct dc_bench_frames *f)
{
	free(f->buf);
	free((void *)f->frame);
	free(f->len);
	free(f->caplen);
	memset(f, 0, sizeof(*f));
}

/* ---- temporary files, the generator ---------------------------------------- */

static char tmpdir[128];

static void
cleanup_tmp(void)
{
	char cmd[160];

	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: could not remove %s\n", prog, tmpdir);
	tmpdir[0] = '\0';
}

char *
dc_bench_tmp_path(const char *name, char *out, size_t len)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", prog);
		if (mkdtemp(tmpdir) == NULL)
			dc_bench_die("mkdtemp: %s", strerror(errno));
		atexit(cleanup_tmp);
	}
	snprintf(out, len, "%s/%s", tmpdir, name);
	return out;
}

int
dc_bench_gen_run(const char *gen, const char *const *args, char *out, size_t len)
{
	const char *argv[16];
	int fd[2] = {-1, -1}, st;
	unsigned na = 0;
	pid_t pid;

	argv[na++] = gen;
	while (*args && na < RTE_DIM(argv) - 1)
		argv[na++] = *args++;
	argv[na] = NULL;
	if (out && pipe(fd) != 0)
		dc_bench_die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		dc_bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (out) {
			dup2(fd[1], 1);
			close(fd[0]);
			close(fd[1]);
		}
		execv(gen, (char *const *)argv);
		fprintf(stderr, "%s: %s: %s (give --gen PATH or --pcap FILE)\n", prog, gen,
			strerror(errno));
		_exit(127);
	}
	if (out) {
		size_t got = 0;
		ssize_t r;

		close(fd[1]);
		while (got + 1 < len && (r = read(fd[0], out + got, len - 1 - got)) > 0)
			got += (size_t)r;
		out[got] = '\0';
		while (read(fd[0], &st, sizeof(st)) > 0) /* drain the rest */
			;
		close(fd[0]);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 127;
	return WEXITSTATUS(st);
}

/* ---- synthetic geo databases ------------------------------------------------- */

struct geo_csv {
	FILE *f;
	int asn;
	int v6;
	double keep;
	unsigned maxlen;
	uint64_t rs;
	uint64_t rows;
};

static void
geo_row(struct geo_csv *g, uint64_t first, uint64_t last)
{
	uint64_t r = dc_bench_rnd(&g->rs);
	char a[64], b[64];

	if ((r & 7) == 0)
		return; /* unrouted */
	if (g->v6) { /* first and last: the address's top 40 bits */
		snprintf(a, sizeof(a), "%x:%x:%x00::", (unsigned)(first >> 24),
			 (unsigned)(first >> 8) & 0xffff, (unsigned)first & 0xff);
		snprintf(b, sizeof(b), "%x:%x:%xff:ffff:ffff:ffff:ffff:ffff",
			 (unsigned)(last >> 24), (unsigned)(last >> 8) & 0xffff,
			 (unsigned)last & 0xff);
	} else {
		snprintf(a, sizeof(a), "%u.%u.%u.%u", (unsigned)(first >> 24) & 255,
			 (unsigned)(first >> 16) & 255, (unsigned)(first >> 8) & 255,
			 (unsigned)first & 255);
		snprintf(b, sizeof(b), "%u.%u.%u.%u", (unsigned)(last >> 24) & 255,
			 (unsigned)(last >> 16) & 255, (unsigned)(last >> 8) & 255,
			 (unsigned)last & 255);
	}
	if (g->asn) {
		uint32_t n = (uint32_t)(r >> 24) % 40000;

		if ((r >> 20) & 1)
			n %= 400;
		fprintf(g->f, "%s,%s,%u,AS%u Networks\n", a, b, 1000 + n, 1000 + n);
	} else {
		unsigned c = (unsigned)(r >> 24) % 250;

		fprintf(g->f, "%s,%s,%c%c\n", a, b, 'A' + c / 26, 'A' + c % 26);
	}
	g->rows++;
}

/* Prefix [first, first + 2^(bits - len)) of a @p bits-bit space. */
static void
geo_split(struct geo_csv *g, uint64_t first, unsigned len, unsigned bits)
{
	if (len >= g->maxlen || dc_bench_rnd01(&g->rs) < g->keep) {
		geo_row(g, first, first + (1ull << (bits - len)) - 1);
		return;
	}
	geo_split(g, first, len + 1, bits);
	geo_split(g, first + (1ull << (bits - len - 1)), len + 1, bits);
}

const char *
dc_bench_geo_csv(const char *given, int asn, int quick, uint64_t seed, int verbose, char *buf,
		 size_t len)
{
	struct geo_csv g = {
		.asn = asn,
		.keep = quick ? 0.7 : asn ? 0.3 : 0.5,
		.maxlen = 24,
		.rs = seed ^ (asn ? 0xa5a5u : 0x5a5au),
	};
	unsigned root = quick ? 8 : 12;
	const char *path;

	if (given != NULL)
		return given;
	path = dc_bench_tmp_path(asn ? "asn.csv" : "country.csv", buf, len);
	g.f = fopen(path, "w");
	if (g.f == NULL)
		dc_bench_die("%s: %s", path, strerror(errno));
	fprintf(g.f, asn ? "# first,last,asn,org\n" : "# first,last,code\n");
	for (uint64_t a = 1ull << 24; a < 224ull << 24; a += 1ull << (32 - root))
		geo_split(&g, a, root, 32);
	/* IPv6 in units of the top 40 bits: 0x2400000000 .. 0x2affffffff */
	g.v6 = 1;
	g.keep = quick ? 0.7 : 0.5;
	g.maxlen = quick ? 24 : 32;
	for (uint64_t h = 0x2400ull << 24; h < 0x2b00ull << 24; h += 1ull << 24)
		geo_split(&g, h, 16, 40);
	if (fclose(g.f) != 0)
		dc_bench_die("%s: write failed", path);
	if (verbose)
		printf("# synthetic %s database: %" PRIu64 " prefixes\n", asn ? "AS" : "country",
		       g.rows);
	return path;
}

/* ---- timed passes ------------------------------------------------------------ */

void
dc_bench_meter_start(struct dc_bench_meter *m, int rusage)
{
	m->rusage = rusage;
	if (rusage)
		getrusage(RUSAGE_THREAD, &m->ru0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &m->cpu0);
	m->tsc0 = rte_rdtsc_precise();
}

double
dc_bench_meter_stop(const struct dc_bench_meter *m, struct dc_bench_usage *u)
{
	uint64_t tsc = rte_rdtsc_precise() - m->tsc0;
	struct timespec now;
	struct rusage ru;
	double cpu;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	cpu = (double)(now.tv_sec - m->cpu0.tv_sec) +
	      (double)(now.tv_nsec - m->cpu0.tv_nsec) * 1e-9;
	if (u != NULL) {
		memset(u, 0, sizeof(*u));
		u->cpu_s = cpu;
		if (m->rusage && getrusage(RUSAGE_THREAD, &ru) == 0) {
			u->faults = (uint64_t)(ru.ru_minflt - m->ru0.ru_minflt + ru.ru_majflt -
					       m->ru0.ru_majflt);
			u->invcsw = (uint64_t)(ru.ru_nivcsw - m->ru0.ru_nivcsw);
		}
	}
	return cpu * (double)rte_get_tsc_hz() / (double)tsc;
}

int
dc_bench_retry(int ok, unsigned *tries, unsigned retry, uint64_t *retries)
{
	if (ok || *tries >= retry) {
		*tries = 0;
		return 1;
	}
	++*tries;
	++*retries;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
dc_bench_median(const double *v, unsigned n)
{
	double t[DC_BENCH_MEDIAN_MAX];

	if (n == 0 || n > DC_BENCH_MEDIAN_MAX)
		dc_bench_die("internal: median of %u values", n);
	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

double
dc_bench_min(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

void
dc_bench_md_values(const double *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : " ", v[i]);
	printf(" |");
}

/* ---- the machine --------------------------------------------------------------- */

void
dc_bench_cpu_name(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c) {
			c += 2;
			c[strcspn(c, "\n")] = '\0';
			snprintf(out, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

void
dc_bench_prefault_heap(void)
{
	struct rte_malloc_socket_stats st;
	void *p;
	size_t sz;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) != 0)
		return;
	sz = st.greatest_free_size > (64u << 20) ? st.greatest_free_size - (32u << 20) : 0;
	if (sz == 0 || (p = rte_malloc("prefault", sz, 64)) == NULL)
		return;
	memset(p, 0, sz);
	rte_free(p);
}

static uint64_t page_min;

void
dc_bench_note_page(const void *p)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(p);

	if (msl && (page_min == 0 || msl->page_sz < page_min))
		page_min = msl->page_sz;
}

uint64_t
dc_bench_page_min(void)
{
	return page_min;
}

/* ---- options ------------------------------------------------------------------- */

uint64_t
dc_bench_parse_count(const char *s, const char *what)
{
	char *end;
	double mult = 1;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end == 'k' || *end == 'K')
		mult = 1e3, end++;
	else if (*end == 'M')
		mult = 1 << 20, end++;
	else if (*end == 'm')
		mult = 1e6, end++;
	if (errno || end == s || *end) {
		fprintf(stderr, "bad %s: %s\n", what, s);
		exit(2);
	}
	return (uint64_t)(v * mult);
}

uint64_t
dc_bench_parse_count_in(const char *s, const char *what, uint64_t lo, uint64_t hi)
{
	uint64_t v = dc_bench_parse_count(s, what);

	if (v < lo || v > hi) {
		fprintf(stderr, "%s: %" PRIu64 "..%" PRIu64 "\n", what, lo, hi);
		exit(2);
	}
	return v;
}

unsigned
dc_bench_parse_counts(const char *arg, uint64_t *v, unsigned max, const char *what, uint64_t lo,
		      uint64_t hi)
{
	char buf[256], *tok, *save;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
		v[n++] = dc_bench_parse_count_in(tok, what, lo, hi);
	return n;
}

unsigned
dc_bench_parse_dist(const char *arg, int dist[2])
{
	char buf[256], *tok, *save;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok && n < 2; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "uniform") == 0) {
			dist[n++] = DC_BENCH_UNIFORM;
		} else if (strcmp(tok, "zipf") == 0) {
			dist[n++] = DC_BENCH_ZIPF;
		} else {
			fprintf(stderr, "--dist: uniform, zipf\n");
			exit(2);
		}
	}
	return n;
}

double
dc_bench_parse_zipf_s(const char *arg)
{
	double s = atof(arg);

	if (!(s > 0) || s == 1.0) {
		fprintf(stderr, "--zipf-s: > 0 and not 1\n");
		exit(2);
	}
	return s;
}

const char *
dc_bench_dist_name(int dist, double s)
{
	static char b[32];

	if (dist == DC_BENCH_UNIFORM)
		return "uniform";
	snprintf(b, sizeof(b), "zipf s=%.2f", s);
	return b;
}

int
dc_bench_parse_u64(const char *name, const char *s, int base, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return dc_err(EINVAL, "--%s '%s': expected an integer from %" PRIu64 " to %" PRIu64,
			      name, s, min, max);
	*out = v;
	return 0;
}
