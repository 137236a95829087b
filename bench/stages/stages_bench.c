/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-stages-bench: TSC cycles per packet of each stage of a worker's
 * in-process data path (everything after rte_eth_rx_burst and before
 * rte_pktmbuf_free_bulk), on real generated frames held in memory, at
 * realistic source counts, with every feature on (fingerprints, the three
 * tables, country and AS databases).
 *
 *   darkcap-stages-bench <EAL args> -- [--keys N,N,..] [--packets N] [--repeat R]
 *       [--dist uniform,zipf] [--zipf-s S] [--burst B] [--pcap FILE | --gen PATH]
 *       [--gen-packets N] [--geo-country FILE] [--geo-asn FILE] [--no-geo]
 *       [--timer precise|lfence|both] [--seed S] [--retry K] [--quick] [--verbose]
 *
 * Frames: a pcap (--pcap), or one written by darkcap-gen --many-sources
 * (--gen, default the build's). All of it is read into memory, then for each
 * source count N a stream of P packets (--packets; default 4M, or more if
 * needed for N IP packets) is laid out in memory before timing, one copy of a frame per
 * packet, each at a 64-byte boundary (like mbuf data): packet i is generated
 * frame i mod G, except that each IP packet takes the next source of the
 * stream's source sequence, and the next generated frame of that source's
 * family (IPv4 or IPv6), with its source address rewritten (IPv4 header
 * checksum recomputed; L4 checksums, which the engine never reads, left).
 * Source sequences: "uniform", each of the N sources P_ip / N times
 * (+-1) in random order, so exactly N distinct sources per pass; "zipf",
 * ranks drawn from Zipf(s) over N (a few sources send most packets; fewer
 * than N are seen). Source r is an IPv6 source with the generated frames'
 * IPv6 share; its address is a bijection of r (IPv4: first octet 1..223 but
 * 10 and 127; IPv6: in 2400:: - 2aff::, like the generator's).
 *
 * Engine state, as a worker has it: one table set sized as worker.c's
 * tset_create() sizes it from the config, with sources_max = N,
 * destinations_max and flowtuples_max = the distinct destinations and
 * flowtuples of the stream (counted before timing from the engine's own
 * keys); the per-AS table; a counter block; the per-burst scratch; the
 * geo view built by the engine's own dc_geo_view_load() (app/darkcap/geo.c)
 * from a country and an AS database (--geo-country/--geo-asn: .mmdb or CSV;
 * by default the bench writes synthetic CSV databases, see README.md).
 *
 * Each repetition runs these variants, in an order rotated per repetition,
 * each from the same state (tables and block cleared), each with pass 1
 * "insert" over the stream and pass 2 "steady" (the same stream again):
 *   whole path: per burst, rte_rdtsc_precise() around the worker's per-burst
 *     work: the times of the burst (wall clock: the current second), the
 *     geo pointer load, dc_counters_burst() and dc_tset_burst() (the library
 *     functions the worker calls, in its order);
 *   stages: the same burst work through the engine's inline drivers
 *     dc_counters_burst_stages() and dc_tset_burst_stages() (what those two
 *     functions are), compiled here with DC_STAGE_MARK() reading the TSC
 *     after each stage's piece: the cycles since the previous mark go to that
 *     stage. Twice (--timer): with rte_rdtsc_precise() (MFENCE, then RDTSC),
 *     and with LFENCE then RDTSC, which waits for the stage's instructions
 *     but not for its stores to drain or its prefetches to land, and so
 *     disturbs the pipelining much less. The cost of a mark (measured at
 *     start: mean of back-to-back marks) is subtracted from each piece.
 * All variants must leave identical tables and counters (checked, first
 * repetition, by a checksum of the counter block and every table's memory).
 *
 * Reported, per timer: per stage, the median over the repetitions of
 * cycles / packet; the sum of the stages; the whole path (median); Mpps per
 * core at the whole path. Each timed pass also records this thread's CPU
 * time: a repetition with a pass under 97% of its wall time on the CPU is
 * run again (up to --retry times); the lowest on-CPU share kept is printed
 * per row.
 */

/* The stage marks, in this file's instances of the engine's inline drivers. */
#include <stdint.h>
static inline void stage_mark(unsigned s);
#define DC_STAGE_MARK(s) stage_mark(s)

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "darkcap.h" /* dc_geo_view_load(): the workers' geo view */
#include "dc_counters.h"
#include "dc_err.h"
#include "dc_fp.h"
#include "dc_geo.h"
#include "dc_parse.h"
#include "dc_table.h"
#include "dc_tset.h"

#ifndef DC_GEN_DEFAULT
#define DC_GEN_DEFAULT "darkcap-gen"
#endif

#define MAX_CONF 8
#define MAX_REP 15
#define ST_SETUP DC_STAGE__MAX /* the burst's times and geo pointer */
#define NB_BUCKET (DC_STAGE__MAX + 1)
enum { DIST_UNIFORM, DIST_ZIPF };
enum { PASS_INSERT, PASS_STEADY, NB_PASS };
/*
 * DC_STAGES_REF (bench/stages/compare_split.sh): a third variant, "ref", the
 * whole path through ref_dc_counters_burst() and ref_dc_tset_burst(), the
 * functions of another revision linked in under those names, to compare
 * that revision's hot path with this one's in the same run.
 */
#ifdef DC_STAGES_REF
enum { VAR_WHOLE, VAR_PRECISE, VAR_LFENCE, VAR_REF, NB_VAR };
void ref_dc_counters_burst(struct dc_counters *c, struct dc_burst_ctx *ctx,
			   const uint8_t *const *frames, const uint32_t *lens,
			   const uint32_t *caplens, unsigned n);
void ref_dc_tset_burst(struct dc_tset *ts, struct dc_tset_ctx *tctx,
		       const struct dc_burst_ctx *bctx, const uint8_t *const *frames,
		       const uint32_t *lens, const uint32_t *secs, unsigned n,
		       struct dc_counters *c);
#else
enum { VAR_WHOLE, VAR_PRECISE, VAR_LFENCE, NB_VAR };
#endif
static const char *const var_name[] = {"whole", "stages (precise)", "stages (lfence)", "ref"};
/* The two ways of timing the stages (variants VAR_PRECISE + t). */
enum { TM_PRECISE, TM_LFENCE, NB_TM };
static const char *const pass_name[NB_PASS] = {"insert", "steady"};
static const char *const bucket_name[NB_BUCKET] = {
	[DC_STAGE_PARSE] = "parse",
	[DC_STAGE_FP] = "fingerprints",
	[DC_STAGE_COUNT] = "counters",
	[DC_STAGE_KEYS] = "keys",
	[DC_STAGE_GEO] = "geo lookup",
	[DC_STAGE_GEO_COUNT] = "geo counts",
	[DC_STAGE_SIG] = "signatures",
	[DC_STAGE_SRC] = "sources",
	[DC_STAGE_DST] = "destinations",
	[DC_STAGE_FLOW] = "flowtuples",
	[ST_SETUP] = "burst set-up",
};

static struct {
	uint64_t keys[MAX_CONF];
	unsigned nb_keys;
	int dist[2];
	unsigned nb_dist;
	double zipf_s;
	uint64_t packets; /* 0: default per key count */
	uint64_t gen_packets;
	unsigned repeat;
	unsigned burst;
	unsigned retry;
	double min_oncpu;
	const char *pcap;
	const char *gen;
	const char *geo_country;
	const char *geo_asn;
	int no_geo;
	int timers; /* bit t: run the stages timed with TM_* t */
	int quick;
	int verbose;
	uint64_t seed;
} opt = {
	.keys = {1000000, 16000000},
	.nb_keys = 2,
	.dist = {DIST_UNIFORM, DIST_ZIPF},
	.nb_dist = 2,
	.zipf_s = 1.1,
	.gen_packets = 1000000,
	.repeat = 5,
	.burst = 32,
	.retry = 10,
	.min_oncpu = 0.97,
	.gen = DC_GEN_DEFAULT,
	.timers = 1 << TM_PRECISE | 1 << TM_LFENCE,
	.seed = 0x6461726b636170ull,
};

/* ---- stage marks -------------------------------------------------------- */

static uint64_t mark_last;
static uint64_t mark_acc[NB_BUCKET];
static uint64_t mark_n[NB_BUCKET];

/* How a mark reads the TSC (--timer): TM_PRECISE, rte_rdtsc_precise(),
 * MFENCE then RDTSC: every earlier load and store done; TM_LFENCE, LFENCE
 * then RDTSC: every earlier instruction done, but stores may still drain and
 * prefetches are still in flight. */
static int timer_lfence;

static inline void
stage_mark(unsigned s)
{
	uint64_t t;

	if (timer_lfence) {
		rte_rmb();
		t = rte_rdtsc();
	} else {
		t = rte_rdtsc_precise();
	}

	mark_acc[s] += t - mark_last;
	mark_n[s]++;
	mark_last = t;
}

/*
 * Cycles one mark adds to the piece before it: the mean of back-to-back
 * marks (the mean, not the median: this VM's TSC advances in steps of 26
 * cycles, so single deltas are 26 or 52, and only their mean is the cost),
 * over runs of 256, the lowest of 1000 runs (the undisturbed cost).
 */
static double
mark_overhead(int lfence)
{
	double best = 1e30;

	timer_lfence = lfence;
	for (int run = 0; run < 1001; run++) {
		uint64_t t0;

		mark_last = rte_rdtsc_precise();
		t0 = mark_last;
		for (int i = 0; i < 256; i++)
			stage_mark(0);
		if (run > 0) /* the first one warms up */
			best = RTE_MIN(best, (double)(mark_last - t0) / 256);
	}
	memset(mark_acc, 0, sizeof(mark_acc));
	memset(mark_n, 0, sizeof(mark_n));
	return best;
}

/* ---- random numbers ----------------------------------------------------- */

static uint64_t
mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t
rnd(uint64_t *s)
{
	*s += 0x9E3779B97F4A7C15ull;
	return mix64(*s);
}

static double
rnd01(uint64_t *s)
{
	return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* A bijection on 32 bits. */
static uint32_t
perm32(uint32_t x, uint32_t k)
{
	x ^= k;
	x *= 0x9E3779B1u;
	x ^= x >> 15;
	x *= 0x85EBCA77u;
	x ^= x >> 13;
	x += k;
	x *= 0xC2B2AE3Du;
	x ^= x >> 16;
	return x;
}

/* Zipf(s) on 1..n by rejection-inversion (Hoermann and Derflinger 1996), as
 * in bench/table. */
struct zipf {
	double s, n, hx1, hn, thr;
};

static double
helper1(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double
helper2(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

static double
zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);

	return helper2((1 - z->s) * lx) * lx;
}

static double
zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double
zipf_Hinv(const struct zipf *z, double y)
{
	double t = y * (1 - z->s);

	if (t < -1)
		t = -1;
	return exp(helper1(t) * y);
}

static void
zipf_init(struct zipf *z, double s, uint64_t n)
{
	z->s = s;
	z->n = (double)n;
	z->hx1 = zipf_H(z, 1.5) - 1;
	z->hn = zipf_H(z, z->n + 0.5);
	z->thr = 2 - zipf_Hinv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
}

static uint64_t
zipf_rank(const struct zipf *z, uint64_t *rs) /* 1..n */
{
	for (;;) {
		double u = z->hn + rnd01(rs) * (z->hx1 - z->hn);
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

/* ---- frames ------------------------------------------------------------- */

struct frames {
	uint8_t *buf;     /* each frame at a 64-byte boundary */
	uint64_t *off;
	uint32_t *len;    /* wire length */
	uint32_t *caplen; /* bytes held */
	uint64_t n;
	size_t bytes;
};

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("darkcap-stages-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n ? n : 64) != 0)
		die("out of memory (%zu bytes)", n);
	return p;
}

static uint32_t
rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Classic pcap (microsecond or nanosecond, either byte order), Ethernet. */
static void
load_pcap(const char *path, struct frames *f)
{
	FILE *fp = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	size_t cap = 0;
	uint64_t ncap = 0;
	uint32_t magic;
	int swap;

	if (fp == NULL)
		die("%s: %s", path, strerror(errno));
	if (fread(gh, 1, 24, fp) != 24)
		die("%s: not a pcap file (too short)", path);
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = 1;
	else
		die("%s: not a classic pcap file (pcapng is not read)", path);
	if ((rd32(gh + 20, swap) & 0x0fffffff) != 1)
		die("%s: link type %u, not Ethernet", path, rd32(gh + 20, swap));
	memset(f, 0, sizeof(*f));
	while (fread(rh, 1, 16, fp) == 16) {
		uint32_t cl = rd32(rh + 8, swap), ol = rd32(rh + 12, swap);
		size_t need = (cl + 63) & ~(size_t)63;

		if (cl > 262144)
			die("%s: record %" PRIu64 " of %u bytes", path, f->n, cl);
		if (f->n == ncap) {
			ncap = ncap ? 2 * ncap : 65536;
			f->off = realloc(f->off, ncap * sizeof(*f->off));
			f->len = realloc(f->len, ncap * sizeof(*f->len));
			f->caplen = realloc(f->caplen, ncap * sizeof(*f->caplen));
			if (!f->off || !f->len || !f->caplen)
				die("out of memory reading %s", path);
		}
		if (f->bytes + need > cap) {
			cap = cap ? 2 * cap : (64u << 20);
			f->buf = realloc(f->buf, cap);
			if (f->buf == NULL)
				die("out of memory reading %s", path);
		}
		if (cl && fread(f->buf + f->bytes, 1, cl, fp) != cl)
			die("%s: truncated record", path);
		f->off[f->n] = f->bytes;
		f->len[f->n] = ol < cl ? cl : ol;
		f->caplen[f->n] = cl;
		f->bytes += need ? need : 64;
		f->n++;
	}
	fclose(fp);
	if (f->n == 0)
		die("%s: no frames", path);
	/* realloc does not keep 64-byte alignment: move into aligned memory. */
	{
		uint8_t *b = xmalloc(f->bytes);

		memcpy(b, f->buf, f->bytes);
		free(f->buf);
		f->buf = b;
	}
}

static char tmpdir[64];

static void
cleanup_tmp(void)
{
	char cmd[128];

	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		tmpdir[0] = '\0';
	}
}

static const char *
tmp_path(const char *name)
{
	static char p[8][128];
	static unsigned k;

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/dc_stages.XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			die("mkdtemp: %s", strerror(errno));
		atexit(cleanup_tmp);
	}
	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static const char *
generate_pcap(uint64_t packets)
{
	const char *out = tmp_path("gen.pcap");
	char np[32], sd[32];
	pid_t pid;
	int st;

	snprintf(np, sizeof(np), "%" PRIu64, packets);
	snprintf(sd, sizeof(sd), "%" PRIu64, opt.seed & 0xffffffff);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execl(opt.gen, opt.gen, "--out", out, "--truth", "/dev/null", "--packets", np,
		      "--many-sources", "--seed", sd, (char *)NULL);
		fprintf(stderr, "darkcap-stages-bench: %s: %s (give --gen PATH or --pcap FILE)\n",
			opt.gen, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s failed", opt.gen);
	return out;
}

/* ---- synthetic geo databases ---------------------------------------------- */

static void
ip4_str(uint32_t a, char *b)
{
	sprintf(b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/*
 * Synthetic databases as CSV ranges (lib/geo reads them like MMDBs, into the
 * same LPM tables). Each /12 of 1.0.0.0 - 223.255.255.255 (IPv4) and each
 * /16 of 2400:: - 2aff:: (IPv6, where the generator's sources are) is split
 * at random into aligned prefixes: a block is kept whole with probability
 * `keep`, else halved, down to /24 (IPv4) or /32 (IPv6); 1 in 8 prefixes is
 * left out (unrouted). AS database: IPv4 keep 0.3, about 180,000 IPv4
 * prefixes, most of them /20 to /24 like BGP's; 40,000 AS numbers, half the
 * prefixes owned by 400 of them. Country database: IPv4 keep 0.5, 250 codes.
 * IPv6 keep 0.5 (about 15,000 prefixes each). --quick: /8 roots, keep 0.7,
 * IPv6 down to /24 (a few thousand prefixes, a fast build).
 */
struct geo_csv {
	FILE *f;
	int asn, v6;
	double keep;
	unsigned maxlen;
	uint64_t rs;
	unsigned rows;
};

static void
geo_row(struct geo_csv *g, uint64_t first, uint64_t last)
{
	uint64_t r = rnd(&g->rs);
	char x[64], y[64];

	if (r % 8 == 0)
		return; /* unrouted */
	if (g->v6) { /* first and last: the top 40 bits */
		sprintf(x, "%x:%x:%x00::", (unsigned)(first >> 24), (unsigned)(first >> 8) & 0xffff,
			(unsigned)first & 0xff);
		sprintf(y, "%x:%x:%xff:ffff:ffff:ffff:ffff:ffff", (unsigned)(last >> 24),
			(unsigned)(last >> 8) & 0xffff, (unsigned)last & 0xff);
	} else {
		ip4_str((uint32_t)first, x);
		ip4_str((uint32_t)last, y);
	}
	if (g->asn) {
		uint32_t u = (uint32_t)(r >> 24) % 40000;
		uint32_t n = (r >> 20) & 1 ? u % 400 : u;

		fprintf(g->f, "%s,%s,%u,AS%u Networks\n", x, y, 1000 + n, 1000 + n);
	} else {
		unsigned c = (unsigned)(r >> 24) % 250;

		fprintf(g->f, "%s,%s,%c%c\n", x, y, 'A' + c / 26 % 26, 'A' + c % 26);
	}
	g->rows++;
}

/* Prefix [first, first + 2^(bits - len)) of a @p bits-bit space. */
static void
geo_split(struct geo_csv *g, uint64_t first, unsigned len, unsigned bits)
{
	if (len >= g->maxlen || rnd01(&g->rs) < g->keep) {
		geo_row(g, first, first + (1ull << (bits - len)) - 1);
		return;
	}
	geo_split(g, first, len + 1, bits);
	geo_split(g, first + (1ull << (bits - len - 1)), len + 1, bits);
}

static void
write_geo_csv(const char *path, int asn, int quick)
{
	struct geo_csv g = {
		.f = fopen(path, "w"),
		.asn = asn,
		.keep = quick ? 0.7 : asn ? 0.3 : 0.5,
		.rs = opt.seed ^ (asn ? 0xA5A5 : 0x5A5A),
	};
	unsigned root = quick ? 8 : 12;

	if (g.f == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(g.f, asn ? "# first,last,asn,org\n" : "# first,last,code\n");
	g.maxlen = 24;
	for (uint64_t a = 1ull << 24; a < 224ull << 24; a += 1ull << (32 - root))
		geo_split(&g, a, root, 32);
	/* IPv6 in units of the top 40 bits: 0x2400000000 .. 0x2affffffff */
	g.v6 = 1;
	g.maxlen = quick ? 24 : 32;
	g.keep = quick ? 0.7 : 0.5;
	for (uint64_t h = 0x2400ull << 24; h < 0x2b00ull << 24; h += 1ull << 24)
		geo_split(&g, h, 16, 40);
	if (fclose(g.f) != 0)
		die("%s: write failed", path);
	if (opt.verbose)
		printf("# synthetic %s database: %u prefixes\n", asn ? "AS" : "country", g.rows);
}

/* ---- the stream ----------------------------------------------------------- */

struct gen_info {
	uint8_t *kind;   /* per generated frame: 0 not IP, 4, 6 */
	uint16_t *l3off;
	uint64_t *list4, *list6;
	uint64_t n4, n6, nip;
};

struct stream {
	struct frames f;              /* P frames */
	const uint8_t **frame;
	uint64_t ip_packets;
	uint64_t distinct_src;        /* seen in the stream (sequence) */
	uint64_t distinct_dst, distinct_flow;
	double top_share;             /* packets of the most frequent source */
};

static void
classify(const struct frames *g, struct gen_info *gi)
{
	struct dc_pkt p;

	memset(gi, 0, sizeof(*gi));
	gi->kind = xmalloc(g->n);
	gi->l3off = xmalloc(g->n * sizeof(uint16_t));
	gi->list4 = xmalloc(g->n * sizeof(uint64_t));
	gi->list6 = xmalloc(g->n * sizeof(uint64_t));
	for (uint64_t i = 0; i < g->n; i++) {
		dc_parse(g->buf + g->off[i], g->caplen[i], &p);
		gi->kind[i] = p.l3 == DC_L3_IPV4 ? 4 : p.l3 == DC_L3_IPV6 ? 6 : 0;
		gi->l3off[i] = p.l3_off;
		if (p.l3 == DC_L3_IPV4)
			gi->list4[gi->n4++] = i;
		else if (p.l3 == DC_L3_IPV6)
			gi->list6[gi->n6++] = i;
	}
	gi->nip = gi->n4 + gi->n6;
	if (gi->nip == 0)
		die("no IP frames in the input");
}

/* IP packets among the first @p packets of a stream (generated frames cycled). */
static uint64_t
ip_count(const struct frames *g, const struct gen_info *gi, uint64_t packets)
{
	uint64_t n = packets / g->n * gi->nip;

	for (uint64_t i = 0; i < packets % g->n; i++)
		n += gi->kind[i] != 0;
	return n;
}

/* IPv4 source of rank r: a bijection of [0, 221 * 2^24) by cycle walking,
 * first octets 1..223 but 10 and 127. */
static uint32_t
src4_of(uint64_t r, uint32_t key)
{
	static uint8_t oct[221];
	const uint32_t M = 221u << 24;
	uint32_t x = (uint32_t)r;

	if (oct[0] == 0)
		for (unsigned o = 1, k = 0; o <= 223; o++)
			if (o != 10 && o != 127)
				oct[k++] = (uint8_t)o;
	do
		x = perm32(x, key);
	while (x >= M);
	return (uint32_t)oct[x >> 24] << 24 | (x & 0xffffff);
}

static int
is_v6(uint64_t r, double share6)
{
	return share6 > 0 && (double)(mix64(r ^ 0x7636) >> 11) * (1.0 / 9007199254740992.0) < share6;
}

static void
ip4_csum(uint8_t *ip)
{
	unsigned ihl = (ip[0] & 15u) * 4, i;
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (i = 0; i + 1 < ihl; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
}

/* LSD radix sort of 64-bit values; returns the number of distinct ones. */
static uint64_t
count_distinct(uint64_t *v, uint64_t n)
{
	uint64_t *t = xmalloc(n * sizeof(*v)), d = 0;

	for (int sh = 0; sh < 64; sh += 16) {
		static uint64_t cnt[65536];

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

static uint64_t
hash_bytes(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;

		memcpy(&w, b + i, n - i < 8 ? n - i : 8);
		h = mix64(h ^ w);
	}
	return h;
}

static void
build_stream(struct stream *s, const struct frames *g, const struct gen_info *gi, uint64_t nk,
	     int dist, uint64_t packets)
{
	double share6 = (double)gi->n6 / (double)gi->nip;
	uint32_t key4 = (uint32_t)mix64(opt.seed ^ 0x44);
	uint64_t *rank, nip = 0, c4 = 0, c6 = 0, top = 0;
	uint64_t rs = mix64(opt.seed ^ nk ^ (uint64_t)dist << 40);
	size_t bytes = 0;
	struct frames *f = &s->f;

	memset(s, 0, sizeof(*s));
	for (uint64_t i = 0; i < packets; i++)
		nip += gi->kind[i % g->n] != 0;
	s->ip_packets = nip;
	/* the source sequence */
	rank = xmalloc((nip ? nip : 1) * sizeof(*rank));
	if (dist == DIST_UNIFORM) {
		for (uint64_t i = 0; i < nip; i++)
			rank[i] = i % nk;
		for (uint64_t i = nip; i > 1; i--) { /* Fisher-Yates */
			uint64_t j = rnd(&rs) % i, t = rank[i - 1];

			rank[i - 1] = rank[j];
			rank[j] = t;
		}
	} else {
		struct zipf z;

		zipf_init(&z, opt.zipf_s, nk);
		for (uint64_t i = 0; i < nip; i++)
			rank[i] = zipf_rank(&z, &rs) - 1;
	}
	/* frames: which generated frame each packet copies */
	f->n = packets;
	f->off = xmalloc(packets * sizeof(*f->off));
	f->len = xmalloc(packets * sizeof(*f->len));
	f->caplen = xmalloc(packets * sizeof(*f->caplen));
	s->frame = xmalloc(packets * sizeof(*s->frame));
	{
		uint64_t k = 0;

		for (uint64_t i = 0; i < packets; i++) {
			uint64_t j = i % g->n;

			if (gi->kind[j]) {
				uint64_t r = rank[k++];

				if (is_v6(r, share6))
					j = gi->list6[c6++ % gi->n6];
				else
					j = gi->list4[c4++ % gi->n4];
			}
			f->off[i] = j; /* generated frame index for now */
			bytes += (g->caplen[j] + 63) & ~(size_t)63;
		}
	}
	f->bytes = bytes;
	f->buf = xmalloc(bytes);
	for (uint64_t i = 0, o = 0, k = 0; i < packets; i++) {
		uint64_t j = f->off[i];
		uint8_t *dst = f->buf + o;

		memcpy(dst, g->buf + g->off[j], g->caplen[j]);
		f->len[i] = g->len[j];
		f->caplen[i] = g->caplen[j];
		f->off[i] = o;
		s->frame[i] = dst;
		if (gi->kind[j]) {
			uint64_t r = rank[k++];
			uint8_t *ip = dst + gi->l3off[j];

			if (gi->kind[j] == 4) {
				uint32_t a = src4_of(r, key4);

				ip[12] = (uint8_t)(a >> 24);
				ip[13] = (uint8_t)(a >> 16);
				ip[14] = (uint8_t)(a >> 8);
				ip[15] = (uint8_t)a;
				ip4_csum(ip);
			} else {
				uint32_t p = perm32((uint32_t)r, key4 ^ 0x66);
				uint64_t lo = mix64(r ^ 0x6666);

				/* 2400:: - 2aff:: (where the generator puts them) */
				uint16_t hi16 = (uint16_t)(0x2400 + mix64(r ^ 0x2400) % 0x700);

				ip[8] = (uint8_t)(hi16 >> 8);
				ip[9] = (uint8_t)hi16;
				ip[10] = (uint8_t)(p >> 24);
				ip[11] = (uint8_t)(p >> 16);
				ip[12] = (uint8_t)(p >> 8);
				ip[13] = (uint8_t)p;
				memcpy(ip + 14, &lo, 8);
				lo = mix64(lo);
				memcpy(ip + 22, &lo, 2);
			}
		}
		o += (g->caplen[j] + 63) & ~(size_t)63;
	}
	/* distinct sources of the sequence, and the most frequent one */
	{
		uint64_t best = 0, run = 0;

		s->distinct_src = count_distinct(rank, nip);
		for (uint64_t i = 0; i < nip; i++) {
			run = i && rank[i] == rank[i - 1] ? run + 1 : 1;
			if (run > best)
				best = run;
		}
		top = best;
	}
	s->top_share = nip ? (double)top / (double)nip : 0;
	free(rank);
}

/* Distinct destinations and flowtuples: the engine's own keys (the parse
 * and keys stages, untimed), hashed, sorted. */
static void
count_keys(struct stream *s, struct dc_burst_ctx *bc, struct dc_tset_ctx *tc,
	   const struct dc_tset *ts)
{
	uint64_t *dh = xmalloc((s->ip_packets + 1) * sizeof(uint64_t));
	uint64_t *fh = xmalloc((s->ip_packets + 1) * sizeof(uint64_t)), k = 0;

	for (uint64_t i = 0; i < s->f.n; i += opt.burst) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)opt.burst, s->f.n - i), n4, n6, m;

		dc_counters_parse(bc, s->frame + i, s->f.len + i, s->f.caplen + i, n);
		m = dc_tset_keys(ts, tc, bc, s->frame + i, n, &n4, &n6);
		for (unsigned j = 0; j < m; j++, k++) {
			dh[k] = hash_bytes(&tc->dkey[j], sizeof(tc->dkey[j]), 1);
			fh[k] = hash_bytes(&tc->fkey[j], sizeof(tc->fkey[j]), 2);
		}
	}
	if (k != s->ip_packets)
		die("internal: %" PRIu64 " IP packets keyed, %" PRIu64 " expected", k,
		    s->ip_packets);
	s->distinct_dst = count_distinct(dh, k);
	s->distinct_flow = count_distinct(fh, k);
	free(dh);
	free(fh);
}

static void
free_stream(struct stream *s)
{
	free(s->f.buf);
	free(s->f.off);
	free(s->f.len);
	free(s->f.caplen);
	free(s->frame);
	memset(s, 0, sizeof(*s));
}

/* ---- engine state, as worker.c sets it up -------------------------------- */

static uint64_t hash_seed;
static uint64_t page_sz_seen;

static void
note_page_size(const void *p)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(p);

	if (msl && (page_sz_seen == 0 || msl->page_sz < page_sz_seen))
		page_sz_seen = msl->page_sz;
}

/* worker.c table_create() */
static struct dc_table *
table_create(uint64_t max, uint64_t slots, uint32_t key_len, uint32_t slot, unsigned sock)
{
	size_t sz = dc_table_mem_size(slots, slot);
	void *mem = rte_malloc_socket("dc_table", sz, RTE_CACHE_LINE_SIZE, (int)sock);

	if (mem == NULL)
		return NULL;
	note_page_size(mem);
	return dc_table_init_n(mem, max, slots, key_len, slot, hash_seed);
}

/* worker.c tset_create() and tset_bytes() */
static size_t
tset_size(const struct dc_config *cfg)
{
	return dc_tset_bytes(cfg->sources_max, cfg->destinations_max, cfg->flowtuples_max,
			     cfg->geo_asn != NULL);
}

static struct dc_tset *
tset_create(const struct dc_config *cfg, unsigned sock)
{
	struct dc_tset *ts = rte_zmalloc_socket("dc_tset", sizeof(*ts), RTE_CACHE_LINE_SIZE, (int)sock);

	if (ts == NULL)
		return NULL;
	ts->src = table_create(cfg->sources_max,
			       (uint64_t)cfg->sources_max * dc_src_slots_per_key(cfg->sources_max),
			       DC_ADDR_KEY_LEN, DC_SRC_SLOT, sock);
	ts->src_cold = rte_malloc_socket("dc_src_cold", cfg->sources_max * sizeof(struct dc_src_cold),
					 RTE_CACHE_LINE_SIZE, (int)sock);
	ts->dst = table_create(cfg->destinations_max, dc_table_slots_for(cfg->destinations_max),
			       sizeof(struct dc_addr_key), DC_DST_SLOT, sock);
	if (cfg->flowtuples_max)
		ts->flow = table_create(cfg->flowtuples_max, dc_table_slots_for(cfg->flowtuples_max),
					sizeof(struct dc_flow_key), DC_FLOW_SLOT, sock);
	if (cfg->geo_asn)
		ts->as = table_create(DC_AS_MAX, dc_table_slots_for(DC_AS_MAX), sizeof(uint64_t),
				      DC_AS_SLOT, sock);
	if (ts->src == NULL || ts->src_cold == NULL || ts->dst == NULL ||
	    (cfg->flowtuples_max && ts->flow == NULL) || (cfg->geo_asn && ts->as == NULL))
		return NULL;
	return ts;
}

static void
tset_free(struct dc_tset *ts)
{
	if (ts == NULL)
		return;
	rte_free(ts->src);
	rte_free(ts->src_cold);
	rte_free(ts->dst);
	rte_free(ts->flow);
	rte_free(ts->as);
	rte_free(ts);
}

static uint64_t
table_sum(const struct dc_table *t, uint64_t h)
{
	if (t == NULL)
		return h;
	h = hash_bytes(t->slots, dc_table_capacity(t) * t->slot_size, h);
	h = hash_bytes(t->order, t->used * sizeof(t->order[0]), h);
	return mix64(h ^ t->used ^ (uint64_t)t->zero_used << 40);
}

/* Checksum of everything the data path writes. */
static uint64_t
state_sum(const struct dc_tset *ts, const struct dc_counters *c)
{
	uint64_t h = hash_bytes(c, sizeof(*c), 3);

	h = table_sum(ts->src, h);
	h = hash_bytes(ts->src_cold, ts->src_ncold * sizeof(ts->src_cold[0]), h ^ ts->src_ncold);
	h = table_sum(ts->dst, h);
	h = table_sum(ts->flow, h);
	h = table_sum(ts->as, h);
	return hash_bytes(ts->full, sizeof(ts->full), h);
}

/* ---- timed passes ----------------------------------------------------------- */

struct meter {
	uint64_t tsc0;
	struct timespec cpu0;
};

static void
meter_start(struct meter *m)
{
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &m->cpu0);
	m->tsc0 = rte_rdtsc_precise();
}

/* Share of the wall time this thread was on the CPU. */
static double
meter_stop(const struct meter *m)
{
	uint64_t tsc = rte_rdtsc_precise() - m->tsc0;
	struct timespec cpu;
	double cpu_s;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	cpu_s = (double)(cpu.tv_sec - m->cpu0.tv_sec) + (double)(cpu.tv_nsec - m->cpu0.tv_nsec) * 1e-9;
	return cpu_s * (double)rte_get_tsc_hz() / (double)tsc;
}

struct engine {
	struct dc_counters *c;
	struct dc_burst_ctx *ctx;
	struct dc_tset_ctx *tctx;
	struct dc_tset *ts;
	const struct dc_geo_view *geo;
};

/* The times of a burst's packets: the wall clock's current second, as a
 * worker on a NIC has it; advances once per 2^20 packets (about a second at
 * 1 Mpps). */
#define T0 1648771200u /* 2022-04-01 */

/* Whole path: returns the cycles of the bursts, summed. */
#define PASS_WHOLE(name, counters_burst, tset_burst)                                       \
	static uint64_t name(struct engine *e, const struct stream *s)                     \
	{                                                                                  \
		const struct dc_geo_view *const *geop = &e->geo;                           \
		uint32_t secs[DC_FP_BURST_MAX];                                            \
		uint64_t sum = 0;                                                          \
                                                                                           \
		for (uint64_t i = 0; i < s->f.n; i += opt.burst) {                         \
			unsigned n = (unsigned)RTE_MIN((uint64_t)opt.burst, s->f.n - i);   \
			uint32_t now = T0 + (uint32_t)(i >> 20);                           \
			uint64_t t0 = rte_rdtsc_precise();                                 \
                                                                                           \
			e->tctx->geo = __atomic_load_n(geop, __ATOMIC_ACQUIRE);            \
			for (unsigned k = 0; k < n; k++)                                   \
				secs[k] = now;                                             \
			counters_burst(e->c, e->ctx, s->frame + i, s->f.len + i,           \
				       s->f.caplen + i, n);                                \
			tset_burst(e->ts, e->tctx, e->ctx, s->frame + i, s->f.len + i,     \
				   secs, n, e->c);                                         \
			sum += rte_rdtsc_precise() - t0;                                   \
		}                                                                          \
		return sum;                                                                \
	}
PASS_WHOLE(pass_whole, dc_counters_burst, dc_tset_burst)
#ifdef DC_STAGES_REF
PASS_WHOLE(pass_ref, ref_dc_counters_burst, ref_dc_tset_burst)
#endif

/* Stages: the same work through the inline drivers with their marks;
 * returns the cycles of the bursts (first to last mark), summed. */
static uint64_t
pass_stages(struct engine *e, const struct stream *s)
{
	const struct dc_geo_view *const *geop = &e->geo;
	uint32_t secs[DC_FP_BURST_MAX];
	uint64_t sum = 0;

	for (uint64_t i = 0; i < s->f.n; i += opt.burst) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)opt.burst, s->f.n - i);
		uint32_t now = T0 + (uint32_t)(i >> 20);
		uint64_t t0 = rte_rdtsc_precise();

		mark_last = t0;
		e->tctx->geo = __atomic_load_n(geop, __ATOMIC_ACQUIRE);
		for (unsigned k = 0; k < n; k++)
			secs[k] = now;
		stage_mark(ST_SETUP);
		dc_counters_burst_stages(e->c, e->ctx, s->frame + i, s->f.len + i, s->f.caplen + i,
					 n);
		dc_tset_burst_stages(e->ts, e->tctx, e->ctx, s->frame + i, s->f.len + i, secs, n,
				     e->c);
		sum += mark_last - t0;
	}
	return sum;
}

struct result {
	double whole[NB_PASS][MAX_REP];           /* cycles / packet */
	double ref[NB_PASS][MAX_REP];             /* DC_STAGES_REF */
	double wpass[NB_PASS][MAX_REP];           /* whole path, the pass's TSC / packets */
	double staged[NB_TM][NB_PASS][MAX_REP];   /* first to last mark, marks subtracted */
	double stage[NB_TM][NB_PASS][NB_BUCKET][MAX_REP]; /* per stage, marks subtracted */
	double oncpu[NB_VAR][NB_PASS][MAX_REP];
	uint64_t retries;
	uint64_t src_used, dst_used, flow_used, as_used, full[DC_TFULL__MAX];
	uint64_t ncold;
	uint64_t packets, ip_packets, distinct_src, distinct_dst, distinct_flow;
	double top_share;
	size_t tset_bytes, frame_bytes;
};

static double mark_ovh[NB_TM];

static int
var_runs(int v)
{
	return v == VAR_PRECISE || v == VAR_LFENCE ? (opt.timers >> (v - VAR_PRECISE)) & 1 : 1;
}

static void
reset_state(struct engine *e)
{
	dc_tset_clear(e->ts);
	memset(e->c, 0, sizeof(*e->c));
}

static void
run_config(struct engine *e, const struct stream *s, struct result *r)
{
	double pk = (double)s->f.n;

	for (unsigned rep = 0, tries = 0; rep < opt.repeat;) {
		uint64_t sum[NB_VAR];
		int ok = 1;

		/* rotate which variant runs first */
		for (int vi = 0; vi < NB_VAR; vi++) {
			int v = (int)((vi + rep + tries) % NB_VAR);
			int tm = v - VAR_PRECISE;

			if (!var_runs(v))
				continue;
			timer_lfence = v == VAR_LFENCE;
			reset_state(e);
			for (int p = 0; p < NB_PASS; p++) {
				struct meter m;
				uint64_t cyc;

				memset(mark_acc, 0, sizeof(mark_acc));
				memset(mark_n, 0, sizeof(mark_n));
				meter_start(&m);
#ifdef DC_STAGES_REF
				if (v == VAR_REF)
					cyc = pass_ref(e, s);
				else
#endif
					cyc = v == VAR_WHOLE ? pass_whole(e, s) : pass_stages(e, s);
				r->oncpu[v][p][rep] = meter_stop(&m);
				if (v == VAR_WHOLE)
					r->wpass[p][rep] = (double)(rte_rdtsc_precise() - m.tsc0) / pk;
				ok &= r->oncpu[v][p][rep] >= opt.min_oncpu;
				if (v == VAR_WHOLE) {
					r->whole[p][rep] = (double)cyc / pk;
				} else if (v != VAR_PRECISE && v != VAR_LFENCE) {
					r->ref[p][rep] = (double)cyc / pk;
				} else {
					uint64_t nm = 0;

					for (int b = 0; b < NB_BUCKET; b++) {
						r->stage[tm][p][b][rep] = ((double)mark_acc[b] -
									   (double)mark_n[b] * mark_ovh[tm]) / pk;
						nm += mark_n[b];
					}
					r->staged[tm][p][rep] = ((double)cyc - (double)nm * mark_ovh[tm]) / pk;
				}
			}
			if (rep == 0 && tries == 0) {
				sum[v] = state_sum(e->ts, e->c);
				if (v == VAR_WHOLE) {
					r->src_used = e->ts->src->used;
					r->dst_used = e->ts->dst->used;
					r->flow_used = e->ts->flow ? e->ts->flow->used : 0;
					r->as_used = e->ts->as ? e->ts->as->used : 0;
					r->ncold = e->ts->src_ncold;
					memcpy(r->full, e->ts->full, sizeof(r->full));
					if (e->c->c[DC_CNT_PACKETS] != NB_PASS * s->f.n)
						die("check failed: %" PRIu64 " packets counted of %" PRIu64,
						    e->c->c[DC_CNT_PACKETS], (uint64_t)(NB_PASS * s->f.n));
				}
			}
		}
		for (int v = 1; rep == 0 && tries == 0 && v < NB_VAR; v++)
			if (var_runs(v) && sum[v] != sum[VAR_WHOLE])
				die("check failed: %s left other tables or counters than "
				    "dc_counters_burst() + dc_tset_burst() (checksums %016" PRIx64
				    " / %016" PRIx64 ")",
				    v != VAR_PRECISE && v != VAR_LFENCE ? "the reference revision"
									: "the staged drivers",
				    sum[v], sum[VAR_WHOLE]);
		if (opt.verbose) {
			printf("#   rep %u%s: cycles/packet insert / steady: whole %.1f / %.1f (pass "
			       "%.1f / %.1f)",
			       rep, ok ? "" : " (rerun)", r->whole[0][rep], r->whole[1][rep],
			       r->wpass[0][rep], r->wpass[1][rep]);
			for (int tm = 0; tm < NB_TM; tm++)
				if ((opt.timers >> tm) & 1)
					printf(", %s %.1f / %.1f", var_name[VAR_PRECISE + tm],
					       r->staged[tm][0][rep], r->staged[tm][1][rep]);
			if (NB_VAR > VAR_LFENCE + 1)
				printf(", ref %.1f / %.1f", r->ref[0][rep], r->ref[1][rep]);
			printf("; on-CPU");
			for (int v = 0; v < NB_VAR; v++)
				if (var_runs(v))
					printf(" %.0f%% %.0f%%", 100 * r->oncpu[v][0][rep],
					       100 * r->oncpu[v][1][rep]);
			printf("\n");
			fflush(stdout);
		}
		if (ok || tries >= opt.retry) {
			rep++;
			tries = 0;
		} else {
			tries++;
			r->retries++;
		}
	}
}

/* ---- output ----------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned n)
{
	double t[MAX_REP];

	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double
min_of(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static const char *
dist_name(int d)
{
	static char b[32];

	if (d == DIST_UNIFORM)
		return "uniform";
	snprintf(b, sizeof(b), "zipf s=%.2f", opt.zipf_s);
	return b;
}

static const int col_order[] = {ST_SETUP, DC_STAGE_PARSE, DC_STAGE_FP, DC_STAGE_COUNT,
				DC_STAGE_KEYS, DC_STAGE_GEO, DC_STAGE_GEO_COUNT, DC_STAGE_SRC,
				DC_STAGE_DST, DC_STAGE_FLOW};

static void
print_table(struct result res[][2], double tsc_hz, int tm)
{
	printf("\nTSC cycles per packet, median of %u repetitions; burst %u; stages timed with "
	       "%s, the cost of a mark (%.1f cycles) subtracted from each piece.\n",
	       opt.repeat, opt.burst,
	       tm == TM_LFENCE ? "LFENCE + RDTSC (--timer lfence)" : "rte_rdtsc_precise() (MFENCE + RDTSC)",
	       mark_ovh[tm]);
	printf("| distinct sources | distribution | pass | sources seen |");
	for (unsigned i = 0; i < DC_ARRAY_SIZE(col_order); i++)
		printf(" %s |", bucket_name[col_order[i]]);
	printf(" sum of stages | whole path | Mpps per core (whole path) | on-CPU (lowest) |\n|");
	for (unsigned i = 0; i < 4 + DC_ARRAY_SIZE(col_order) + 4; i++)
		printf("---|");
	printf("\n");
	for (unsigned ki = 0; ki < opt.nb_keys; ki++)
		for (unsigned di = 0; di < opt.nb_dist; di++)
			for (int p = 0; p < NB_PASS; p++) {
				const struct result *r = &res[ki][di];
				double w = median(r->whole[p], opt.repeat), sum = 0, lo = 1;

				printf("| %" PRIu64 " | %s | %s | %" PRIu64 " |", opt.keys[ki],
				       dist_name(opt.dist[di]), pass_name[p], r->src_used);
				for (unsigned i = 0; i < DC_ARRAY_SIZE(col_order); i++) {
					double v = median(r->stage[tm][p][col_order[i]], opt.repeat);

					sum += v;
					printf(" %.1f |", v);
				}
				for (int v = 0; v < NB_VAR; v++)
					if (var_runs(v))
						lo = RTE_MIN(lo, min_of(r->oncpu[v][p], opt.repeat));
				printf(" %.1f | %.1f | %.1f | %.1f%% |\n", sum, w, tsc_hz / w / 1e6,
				       100 * lo);
			}
}

static void
print_ref(struct result res[][2])
{
	if (NB_VAR <= VAR_LFENCE + 1)
		return;
	printf("\nWhole path, this build against the reference revision, same run (variants "
	       "rotated per repetition), median TSC cycles per packet:\n");
	printf("| distinct sources | distribution | pass | whole path, this build | whole path, "
	       "reference | this / reference | per repetition, this build | per repetition, "
	       "reference |\n|---|---|---|---|---|---|---|---|\n");
	for (unsigned ki = 0; ki < opt.nb_keys; ki++)
		for (unsigned di = 0; di < opt.nb_dist; di++)
			for (int p = 0; p < NB_PASS; p++) {
				const struct result *r = &res[ki][di];
				double w = median(r->whole[p], opt.repeat), f = median(r->ref[p], opt.repeat);

				printf("| %" PRIu64 " | %s | %s | %.1f | %.1f | %.3f |", opt.keys[ki],
				       dist_name(opt.dist[di]), pass_name[p], w, f, w / f);
				for (int v = 0; v < 2; v++) {
					for (unsigned i = 0; i < opt.repeat; i++)
						printf("%s%.1f", i ? ", " : " ", v ? r->ref[p][i] : r->whole[p][i]);
					printf(" |");
				}
				printf("\n");
			}
}

/* ---- options ------------------------------------------------------------------ */

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [--keys N,N,...] [--packets N] [--repeat R]\n"
	       "         [--dist uniform,zipf] [--zipf-s S] [--burst B] [--pcap FILE | --gen PATH]\n"
	       "         [--gen-packets N] [--geo-country FILE] [--geo-asn FILE] [--no-geo]\n"
	       "         [--timer precise|lfence|both] [--seed S] [--retry K] [--quick] [--verbose]\n",
	       prog);
}

static uint64_t
parse_u64(const char *s, const char *what)
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

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"keys", required_argument, NULL, 'k'},
		{"packets", required_argument, NULL, 'p'},
		{"repeat", required_argument, NULL, 'r'},
		{"dist", required_argument, NULL, 'd'},
		{"zipf-s", required_argument, NULL, 'z'},
		{"burst", required_argument, NULL, 'b'},
		{"pcap", required_argument, NULL, 'P'},
		{"gen", required_argument, NULL, 'G'},
		{"gen-packets", required_argument, NULL, 'g'},
		{"geo-country", required_argument, NULL, 'C'},
		{"geo-asn", required_argument, NULL, 'A'},
		{"no-geo", no_argument, NULL, 'N'},
		{"timer", required_argument, NULL, 't'},
		{"seed", required_argument, NULL, 's'},
		{"retry", required_argument, NULL, 'T'},
		{"quick", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, keys_set = 0, packets_set = 0, gen_set = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *tok, *save, buf[256];

		switch (c) {
		case 'k':
			snprintf(buf, sizeof(buf), "%s", optarg);
			opt.nb_keys = 0;
			for (tok = strtok_r(buf, ",", &save); tok && opt.nb_keys < MAX_CONF;
			     tok = strtok_r(NULL, ",", &save))
				opt.keys[opt.nb_keys++] = parse_u64(tok, "--keys");
			keys_set = 1;
			break;
		case 'p':
			opt.packets = parse_u64(optarg, "--packets");
			packets_set = 1;
			break;
		case 'r':
			opt.repeat = (unsigned)parse_u64(optarg, "--repeat");
			if (opt.repeat < 1 || opt.repeat > MAX_REP) {
				fprintf(stderr, "--repeat: 1..%d\n", MAX_REP);
				exit(2);
			}
			break;
		case 'd':
			snprintf(buf, sizeof(buf), "%s", optarg);
			opt.nb_dist = 0;
			for (tok = strtok_r(buf, ",", &save); tok && opt.nb_dist < 2;
			     tok = strtok_r(NULL, ",", &save)) {
				if (strcmp(tok, "uniform") == 0)
					opt.dist[opt.nb_dist++] = DIST_UNIFORM;
				else if (strcmp(tok, "zipf") == 0)
					opt.dist[opt.nb_dist++] = DIST_ZIPF;
				else {
					fprintf(stderr, "--dist: uniform, zipf\n");
					exit(2);
				}
			}
			break;
		case 'z':
			opt.zipf_s = atof(optarg);
			if (!(opt.zipf_s > 0) || opt.zipf_s == 1.0) {
				fprintf(stderr, "--zipf-s: > 0 and not 1\n");
				exit(2);
			}
			break;
		case 'b':
			opt.burst = (unsigned)parse_u64(optarg, "--burst");
			if (opt.burst < 1 || opt.burst > DC_FP_BURST_MAX) {
				fprintf(stderr, "--burst: 1..%d\n", DC_FP_BURST_MAX);
				exit(2);
			}
			break;
		case 'P':
			opt.pcap = optarg;
			break;
		case 'G':
			opt.gen = optarg;
			break;
		case 'g':
			opt.gen_packets = parse_u64(optarg, "--gen-packets");
			gen_set = 1;
			break;
		case 'C':
			opt.geo_country = optarg;
			break;
		case 'A':
			opt.geo_asn = optarg;
			break;
		case 'N':
			opt.no_geo = 1;
			break;
		case 't':
			if (strcmp(optarg, "precise") == 0)
				opt.timers = 1 << TM_PRECISE;
			else if (strcmp(optarg, "lfence") == 0)
				opt.timers = 1 << TM_LFENCE;
			else if (strcmp(optarg, "both") == 0)
				opt.timers = 1 << TM_PRECISE | 1 << TM_LFENCE;
			else {
				fprintf(stderr, "--timer: precise, lfence, both\n");
				exit(2);
			}
			break;
		case 's':
			opt.seed = parse_u64(optarg, "--seed");
			break;
		case 'T':
			opt.retry = (unsigned)parse_u64(optarg, "--retry");
			break;
		case 'q':
			opt.quick = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			exit(2);
		}
	}
	if (opt.quick) {
		if (!keys_set) {
			opt.keys[0] = 10000;
			opt.nb_keys = 1;
		}
		if (!packets_set)
			opt.packets = 40000;
		if (!gen_set)
			opt.gen_packets = 20000;
		opt.repeat = opt.repeat > 3 ? 3 : opt.repeat;
		opt.retry = opt.retry > 2 ? 2 : opt.retry;
	}
	if (optind < argc || opt.nb_keys == 0 || opt.nb_dist == 0 || opt.gen_packets == 0 ||
	    (packets_set && opt.packets == 0)) {
		usage(argv[0]);
		exit(2);
	}
	for (unsigned i = 0; i < opt.nb_keys; i++)
		if (opt.keys[i] == 0 || opt.keys[i] > (221ull << 24)) {
			fprintf(stderr, "--keys: 1..%llu\n", 221ull << 24);
			exit(2);
		}
}

static void
cpu_name(char *out, size_t len)
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

/* Without hugepages, DPDK's heap is faulted in on first touch: touch it. */
static void
prefault_heap(void)
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

int
main(int argc, char **argv)
{
	static struct result res[MAX_CONF][2];
	struct dc_config cfg;
	struct frames gen;
	struct gen_info gi;
	struct engine e;
	double tsc_hz, lo = 1;
	unsigned sock;
	char cpu[128];
	const char *pcap;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	argv[0] = "darkcap-stages-bench";
	parse_args(argc, argv);
	sock = rte_socket_id();
	tsc_hz = (double)rte_get_tsc_hz();
	cpu_name(cpu, sizeof(cpu));
	hash_seed = mix64(opt.seed ^ 0x7ab1e);
	if (dc_fp_select(DC_FP_AUTO) != 0)
		die("fingerprint kernel: %s", dc_strerror());

	/* frames */
	if (opt.pcap) {
		pcap = opt.pcap;
	} else {
		uint64_t most = opt.packets ? opt.packets : 4000000;

		for (unsigned i = 0; i < opt.nb_keys; i++)
			most = RTE_MAX(most, opt.keys[i]);
		pcap = generate_pcap(RTE_MIN(opt.gen_packets, most));
	}
	load_pcap(pcap, &gen);
	classify(&gen, &gi);

	/* geo, as the engine loads it (dc_geo_view_load) */
	dc_config_defaults(&cfg);
	memset(&e, 0, sizeof(e));
	if (!opt.no_geo) {
		char *cpath = (char *)opt.geo_country, *apath = (char *)opt.geo_asn;
		double t = (double)rte_rdtsc();
		struct dc_geo_view *gv;

		if (cpath == NULL) {
			cpath = (char *)tmp_path("country.csv");
			write_geo_csv(cpath, 0, opt.quick);
		}
		if (apath == NULL) {
			apath = (char *)tmp_path("asn.csv");
			write_geo_csv(apath, 1, opt.quick);
		}
		cfg.geo_country = cpath;
		cfg.geo_asn = apath;
		gv = dc_geo_view_load(&cfg);
		if (gv == NULL)
			die("geo: %s", dc_strerror());
		e.geo = gv;
		printf("geo: %u countries from %s%s, %u ASes from %s%s (loaded in %.1f s)\n",
		       gv->nb_cc - 1u, opt.geo_country ? "" : "synthetic ",
		       opt.geo_country ? opt.geo_country : "CSV", gv->nb_as - 1u,
		       opt.geo_asn ? "" : "synthetic ", opt.geo_asn ? opt.geo_asn : "CSV",
		       ((double)rte_rdtsc() - t) / tsc_hz);
	}
	e.c = rte_zmalloc_socket("dc_block", sizeof(*e.c), RTE_CACHE_LINE_SIZE, (int)sock);
	e.ctx = rte_zmalloc_socket("dc_burst", sizeof(*e.ctx), RTE_CACHE_LINE_SIZE, (int)sock);
	e.tctx = rte_zmalloc_socket("dc_tctx", sizeof(*e.tctx), RTE_CACHE_LINE_SIZE, (int)sock);
	if (e.c == NULL || e.ctx == NULL || e.tctx == NULL)
		die("out of DPDK memory for the block and scratch");

	mark_ovh[TM_PRECISE] = mark_overhead(0);
	mark_ovh[TM_LFENCE] = mark_overhead(1);
	printf("darkcap-stages-bench: %s, TSC %.0f Hz, lcore %u, hugepages %s, fingerprints %s\n",
	       cpu, tsc_hz, rte_lcore_id(), rte_eal_has_hugepages() ? "yes" : "no (--no-huge)",
	       dc_fp_impl_name());
	printf("frames: %" PRIu64 " from %s (%" PRIu64 " IPv4, %" PRIu64 " IPv6, %" PRIu64
	       " other), burst %u, repetitions %u, one mark %.1f cycles (precise) / %.1f (lfence)\n",
	       gen.n, opt.pcap ? opt.pcap : "darkcap-gen --many-sources", gi.n4, gi.n6,
	       gen.n - gi.nip, opt.burst, opt.repeat, mark_ovh[TM_PRECISE], mark_ovh[TM_LFENCE]);
	fflush(stdout);

	for (unsigned ki = 0; ki < opt.nb_keys; ki++) {
		uint64_t nk = opt.keys[ki];
		uint64_t packets = opt.packets;

		if (packets == 0) { /* every source at least once: P_ip >= N */
			packets = 4000000;
			while (ip_count(&gen, &gi, packets) < nk)
				packets += nk - ip_count(&gen, &gi, packets);
		}
		for (unsigned di = 0; di < opt.nb_dist; di++) {
			struct result *r = &res[ki][di];
			struct stream s;
			struct dc_config tc = cfg;

			build_stream(&s, &gen, &gi, nk, opt.dist[di], packets);
			/* sizes: worker.c's, from a config of the distinct counts */
			tc.sources_max = 1;
			tc.destinations_max = 1;
			tc.flowtuples_max = 1;
			e.ts = tset_create(&tc, sock); /* a tiny one: the keys stage only */
			if (e.ts == NULL)
				die("out of DPDK memory");
			count_keys(&s, e.ctx, e.tctx, e.ts);
			tset_free(e.ts);
			tc.sources_max = (uint32_t)nk;
			tc.destinations_max = (uint32_t)RTE_MAX(s.distinct_dst, (uint64_t)1);
			tc.flowtuples_max = (uint32_t)RTE_MAX(s.distinct_flow, (uint64_t)1);
			if (opt.no_geo)
				tc.geo_asn = NULL;
			e.ts = tset_create(&tc, sock);
			if (e.ts == NULL)
				die("cannot allocate the table set: %zu MiB (raise -m / hugepages)",
				    tset_size(&tc) >> 20);
			if (!rte_eal_has_hugepages())
				prefault_heap();
			r->packets = s.f.n;
			r->ip_packets = s.ip_packets;
			r->distinct_src = s.distinct_src;
			r->distinct_dst = s.distinct_dst;
			r->distinct_flow = s.distinct_flow;
			r->top_share = s.top_share;
			r->tset_bytes = tset_size(&tc);
			r->frame_bytes = s.f.bytes;
			printf("# %" PRIu64 " sources, %s: %" PRIu64 " packets per pass (%" PRIu64
			       " IP, %.0f MiB of frames), %" PRIu64 " sources (most frequent %.2f%% of "
			       "IP packets), %" PRIu64 " destinations, %" PRIu64
			       " flowtuples; tables %zu MiB (sources_max %u, %" PRIu64
			       " home slots per source, destinations_max %u, flowtuples_max %u)\n",
			       nk, dist_name(opt.dist[di]), s.f.n, s.ip_packets,
			       (double)s.f.bytes / 1048576.0, s.distinct_src, 100 * s.top_share,
			       s.distinct_dst, s.distinct_flow, r->tset_bytes >> 20, tc.sources_max,
			       dc_src_slots_per_key(tc.sources_max), tc.destinations_max,
			       tc.flowtuples_max);
			fflush(stdout);
			run_config(&e, &s, r);
			if (r->src_used != s.distinct_src || r->full[DC_TFULL_SRC] ||
			    r->full[DC_TFULL_DST] || r->full[DC_TFULL_FLOW] || r->full[DC_TFULL_AS] ||
			    r->dst_used != s.distinct_dst || r->flow_used != s.distinct_flow)
				die("check failed: tables hold %" PRIu64 " sources (%" PRIu64
				    " expected), %" PRIu64 " destinations (%" PRIu64 "), %" PRIu64
				    " flowtuples (%" PRIu64 "); refused %" PRIu64 "/%" PRIu64 "/%" PRIu64
				    "/%" PRIu64,
				    r->src_used, s.distinct_src, r->dst_used, s.distinct_dst,
				    r->flow_used, s.distinct_flow, r->full[0], r->full[1], r->full[2],
				    r->full[3]);
			printf("#   checks passed: staged and whole path left identical state; %" PRIu64
			       " sources, %" PRIu64 " ASes in the tables, nothing refused; "
			       "repetitions rerun: %" PRIu64 "\n",
			       r->src_used, r->as_used, r->retries);
			for (int v = 0; v < NB_VAR; v++)
				for (int p = 0; var_runs(v) && p < NB_PASS; p++)
					lo = RTE_MIN(lo, min_of(r->oncpu[v][p], opt.repeat));
			tset_free(e.ts);
			e.ts = NULL;
			free_stream(&s);
		}
	}

	for (int tm = 0; tm < NB_TM; tm++)
		if ((opt.timers >> tm) & 1)
			print_table(res, tsc_hz, tm);
	print_ref(res);
	printf("\nCPU %s, TSC %.0f Hz, hugepages %s (smallest page under the tables: %" PRIu64
	       " kB)\n",
	       cpu, tsc_hz, rte_eal_has_hugepages() ? "yes" : "no", page_sz_seen >> 10);
	printf("lowest on-CPU share of a kept timed pass: %.1f%%%s\n", 100 * lo,
	       lo < opt.min_oncpu ? " WARNING: the core was shared with other processes, the "
				    "TSC cycles include their time"
				  : "");
	fflush(stdout);
	if (e.geo)
		dc_geo_view_free((struct dc_geo_view *)e.geo);
	rte_free(e.c);
	rte_free(e.ctx);
	rte_free(e.tctx);
	free(gi.kind);
	free(gi.l3off);
	free(gi.list4);
	free(gi.list6);
	free(gen.buf);
	free(gen.off);
	free(gen.len);
	free(gen.caplen);
	rte_eal_cleanup();
	return 0;
}
