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

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "darkcap.h" /* dc_geo_view_load(): the workers' geo view */
#include "dc_bench_tset.h"
#include "dc_counters.h"
#include "dc_err.h"
#include "dc_fp.h"
#include "dc_geo.h"
#include "dc_mem.h"
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
	[DC_STAGE_SRC] = "sources",
	[DC_STAGE_DST] = "destinations",
	[DC_STAGE_FLOW] = "flowtuples",
	[DC_STAGE_SIG] = "signatures",
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
	const char *telescope; /* --telescope: the config's telescope */
	int timers; /* bit t: run the stages timed with TM_* t */
	int quick;
	int verbose;
	uint64_t seed;
} opt = {
	.keys = {1000000, 16000000},
	.nb_keys = 2,
	.dist = {DC_BENCH_UNIFORM, DC_BENCH_ZIPF},
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

/* ---- frames ------------------------------------------------------------- */

static const char *
generate_pcap(uint64_t packets, char *out, size_t len)
{
	char np[32], sd[32];
	const char *args[] = {"--out", dc_bench_tmp_path("gen.pcap", out, len), "--truth",
			      "/dev/null", "--packets", np, "--many-sources", "--seed", sd, NULL};

	snprintf(np, sizeof(np), "%" PRIu64, packets);
	snprintf(sd, sizeof(sd), "%" PRIu64, opt.seed & 0xffffffff);
	if (dc_bench_gen_run(opt.gen, args, NULL, 0) != 0)
		dc_bench_die("%s failed", opt.gen);
	return out;
}

/* ---- the stream ----------------------------------------------------------- */

struct gen_info {
	uint8_t *kind;   /* per generated frame: 0 not IP, 4, 6 */
	uint16_t *l3off;
	uint64_t *list4, *list6;
	uint64_t n4, n6, nip;
};

struct stream {
	struct dc_bench_frames f;     /* P frames */
	uint64_t ip_packets;
	uint64_t distinct_src;        /* seen in the stream (sequence) */
	uint64_t distinct_dst, distinct_flow;
	double top_share;             /* packets of the most frequent source */
};

static void
classify(const struct dc_bench_frames *g, struct gen_info *gi)
{
	struct dc_pkt p;

	memset(gi, 0, sizeof(*gi));
	gi->kind = dc_bench_malloc(g->n);
	gi->l3off = dc_bench_malloc(g->n * sizeof(uint16_t));
	gi->list4 = dc_bench_malloc(g->n * sizeof(uint64_t));
	gi->list6 = dc_bench_malloc(g->n * sizeof(uint64_t));
	for (uint64_t i = 0; i < g->n; i++) {
		dc_parse(g->frame[i], g->caplen[i], &p);
		gi->kind[i] = p.l3 == DC_L3_IPV4 ? 4 : p.l3 == DC_L3_IPV6 ? 6 : 0;
		gi->l3off[i] = p.l3_off;
		if (p.l3 == DC_L3_IPV4)
			gi->list4[gi->n4++] = i;
		else if (p.l3 == DC_L3_IPV6)
			gi->list6[gi->n6++] = i;
	}
	gi->nip = gi->n4 + gi->n6;
	if (gi->nip == 0)
		dc_bench_die("no IP frames in the input");
}

/* IP packets among the first @p packets of a stream (generated frames cycled). */
static uint64_t
ip_count(const struct dc_bench_frames *g, const struct gen_info *gi, uint64_t packets)
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
		x = dc_bench_perm32(x, key);
	while (x >= M);
	return (uint32_t)oct[x >> 24] << 24 | (x & 0xffffff);
}

static int
is_v6(uint64_t r, double share6)
{
	return share6 > 0 &&
	       (double)(dc_bench_mix64(r ^ 0x7636) >> 11) * (1.0 / 9007199254740992.0) < share6;
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

static void
build_stream(struct stream *s, const struct dc_bench_frames *g, const struct gen_info *gi,
	     uint64_t nk, int dist, uint64_t packets)
{
	double share6 = (double)gi->n6 / (double)gi->nip;
	uint32_t key4 = (uint32_t)dc_bench_mix64(opt.seed ^ 0x44);
	uint64_t *rank, *from, nip = 0, c4 = 0, c6 = 0, top = 0;
	uint64_t rs = dc_bench_mix64(opt.seed ^ nk ^ (uint64_t)dist << 40);
	size_t bytes = 0;
	struct dc_bench_frames *f = &s->f;

	memset(s, 0, sizeof(*s));
	for (uint64_t i = 0; i < packets; i++)
		nip += gi->kind[i % g->n] != 0;
	s->ip_packets = nip;
	/* the source sequence */
	rank = dc_bench_malloc((nip ? nip : 1) * sizeof(*rank));
	if (dist == DC_BENCH_UNIFORM) {
		for (uint64_t i = 0; i < nip; i++)
			rank[i] = i % nk;
		for (uint64_t i = nip; i > 1; i--) { /* Fisher-Yates */
			uint64_t j = dc_bench_rnd(&rs) % i, t = rank[i - 1];

			rank[i - 1] = rank[j];
			rank[j] = t;
		}
	} else {
		struct dc_bench_zipf z;

		dc_bench_zipf_init(&z, opt.zipf_s, nk);
		for (uint64_t i = 0; i < nip; i++)
			rank[i] = dc_bench_zipf_rank(&z, &rs) - 1;
	}
	/* frames: which generated frame each packet copies */
	f->n = packets;
	from = dc_bench_malloc(packets * sizeof(*from));
	f->len = dc_bench_malloc(packets * sizeof(*f->len));
	f->caplen = dc_bench_malloc(packets * sizeof(*f->caplen));
	f->frame = dc_bench_malloc(packets * sizeof(*f->frame));
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
			from[i] = j;
			bytes += (g->caplen[j] + 63) & ~(size_t)63;
		}
	}
	f->bytes = bytes;
	f->buf = dc_bench_malloc(bytes);
	for (uint64_t i = 0, o = 0, k = 0; i < packets; i++) {
		uint64_t j = from[i];
		uint8_t *dst = f->buf + o;

		memcpy(dst, g->frame[j], g->caplen[j]);
		f->len[i] = g->len[j];
		f->caplen[i] = g->caplen[j];
		f->frame[i] = dst;
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
				uint32_t p = dc_bench_perm32((uint32_t)r, key4 ^ 0x66);
				uint64_t lo = dc_bench_mix64(r ^ 0x6666);

				/* 2400:: - 2aff:: (where the generator puts them) */
				uint16_t hi16 =
					(uint16_t)(0x2400 + dc_bench_mix64(r ^ 0x2400) % 0x700);

				ip[8] = (uint8_t)(hi16 >> 8);
				ip[9] = (uint8_t)hi16;
				ip[10] = (uint8_t)(p >> 24);
				ip[11] = (uint8_t)(p >> 16);
				ip[12] = (uint8_t)(p >> 8);
				ip[13] = (uint8_t)p;
				memcpy(ip + 14, &lo, 8);
				lo = dc_bench_mix64(lo);
				memcpy(ip + 22, &lo, 2);
			}
		}
		o += (g->caplen[j] + 63) & ~(size_t)63;
	}
	/* distinct sources of the sequence, and the most frequent one */
	{
		uint64_t best = 0, run = 0;

		s->distinct_src = dc_bench_count_distinct(rank, nip);
		for (uint64_t i = 0; i < nip; i++) {
			run = i && rank[i] == rank[i - 1] ? run + 1 : 1;
			if (run > best)
				best = run;
		}
		top = best;
	}
	s->top_share = nip ? (double)top / (double)nip : 0;
	free(rank);
	free(from);
}

/* ---- engine state, as worker.c sets it up -------------------------------- */

static uint64_t hash_seed;

/* Checksum of everything the data path writes. */
static uint64_t
state_sum(const struct dc_tset *ts, const struct dc_counters *c)
{
	uint64_t h = dc_bench_tset_sum(ts, dc_bench_hash(c, sizeof(*c), 3));

	return dc_bench_hash(ts->full, sizeof(ts->full), h);
}

/* ---- timed passes ----------------------------------------------------------- */

struct engine {
	struct dc_counters *c;
	struct dc_burst_ctx *ctx;
	struct dc_tset_ctx *tctx;
	struct dc_tset *ts;
	const struct dc_geo_view *geo;
};

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
			uint32_t now = DC_BENCH_T0 + (uint32_t)(i >> 20);                  \
			uint64_t t0 = rte_rdtsc_precise();                                 \
                                                                                           \
			e->tctx->geo = __atomic_load_n(geop, __ATOMIC_ACQUIRE);            \
			for (unsigned k = 0; k < n; k++)                                   \
				secs[k] = now;                                             \
			counters_burst(e->c, e->ctx, s->f.frame + i, s->f.len + i,         \
				       s->f.caplen + i, n);                                \
			tset_burst(e->ts, e->tctx, e->ctx, s->f.frame + i, s->f.len + i,   \
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
		uint32_t now = DC_BENCH_T0 + (uint32_t)(i >> 20);
		uint64_t t0 = rte_rdtsc_precise();

		mark_last = t0;
		e->tctx->geo = __atomic_load_n(geop, __ATOMIC_ACQUIRE);
		for (unsigned k = 0; k < n; k++)
			secs[k] = now;
		stage_mark(ST_SETUP);
		dc_counters_burst_stages(e->c, e->ctx, s->f.frame + i, s->f.len + i,
					 s->f.caplen + i, n);
		dc_tset_burst_stages(e->ts, e->tctx, e->ctx, s->f.frame + i, s->f.len + i,
				     secs, n, e->c);
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
				struct dc_bench_meter m;
				uint64_t cyc;

				memset(mark_acc, 0, sizeof(mark_acc));
				memset(mark_n, 0, sizeof(mark_n));
				dc_bench_meter_start(&m, 0);
#ifdef DC_STAGES_REF
				if (v == VAR_REF)
					cyc = pass_ref(e, s);
				else
#endif
					cyc = v == VAR_WHOLE ? pass_whole(e, s) : pass_stages(e, s);
				r->oncpu[v][p][rep] = dc_bench_meter_stop(&m, NULL);
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
					r->dst_used = dc_bench_tset_destinations(e->ts);
					r->flow_used = e->ts->flow ? e->ts->flow->used : 0;
					r->as_used = e->ts->as ? e->ts->as->used : 0;
					r->ncold = e->ts->src_ncold;
					memcpy(r->full, e->ts->full, sizeof(r->full));
					if (e->c->c[DC_CNT_PACKETS] != NB_PASS * s->f.n)
						dc_bench_die("check failed: %" PRIu64
							     " packets counted of %" PRIu64,
							     e->c->c[DC_CNT_PACKETS],
							     (uint64_t)(NB_PASS * s->f.n));
				}
			}
		}
		for (int v = 1; rep == 0 && tries == 0 && v < NB_VAR; v++)
			if (var_runs(v) && sum[v] != sum[VAR_WHOLE])
				dc_bench_die("check failed: %s left other tables or counters than "
					     "dc_counters_burst() + dc_tset_burst() (checksums %016"
					     PRIx64 " / %016" PRIx64 ")",
					     v != VAR_PRECISE && v != VAR_LFENCE
						     ? "the reference revision"
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
		rep += (unsigned)dc_bench_retry(ok, &tries, opt.retry, &r->retries);
	}
}

/* ---- output ----------------------------------------------------------------- */

static const int col_order[] = {ST_SETUP, DC_STAGE_PARSE, DC_STAGE_FP, DC_STAGE_COUNT,
				DC_STAGE_KEYS, DC_STAGE_GEO, DC_STAGE_SRC,
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
				double w = dc_bench_median(r->whole[p], opt.repeat), sum = 0, lo = 1;

				printf("| %" PRIu64 " | %s | %s | %" PRIu64 " |", opt.keys[ki],
				       dc_bench_dist_name(opt.dist[di], opt.zipf_s), pass_name[p],
				       r->src_used);
				for (unsigned i = 0; i < DC_ARRAY_SIZE(col_order); i++) {
					const double *st = r->stage[tm][p][col_order[i]];
					double v = dc_bench_median(st, opt.repeat);

					sum += v;
					printf(" %.1f |", v);
				}
				for (int v = 0; v < NB_VAR; v++)
					if (var_runs(v))
						lo = RTE_MIN(lo, dc_bench_min(r->oncpu[v][p],
									      opt.repeat));
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
				double w = dc_bench_median(r->whole[p], opt.repeat);
				double f = dc_bench_median(r->ref[p], opt.repeat);

				printf("| %" PRIu64 " | %s | %s | %.1f | %.1f | %.3f |", opt.keys[ki],
				       dc_bench_dist_name(opt.dist[di], opt.zipf_s), pass_name[p], w, f,
				       w / f);
				dc_bench_md_values(r->whole[p], opt.repeat);
				dc_bench_md_values(r->ref[p], opt.repeat);
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
	       "         [--telescope PREFIXES]\n"
	       "         [--timer precise|lfence|both] [--seed S] [--retry K] [--quick] [--verbose]\n",
	       prog);
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
		{"telescope", required_argument, NULL, 'L'},
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
		switch (c) {
		case 'k':
			opt.nb_keys = dc_bench_parse_counts(optarg, opt.keys, MAX_CONF, "--keys", 1,
							    221ull << 24);
			keys_set = 1;
			break;
		case 'p':
			opt.packets = dc_bench_parse_count(optarg, "--packets");
			packets_set = 1;
			break;
		case 'r':
			opt.repeat = (unsigned)dc_bench_parse_count_in(optarg, "--repeat", 1,
								       MAX_REP);
			break;
		case 'd':
			opt.nb_dist = dc_bench_parse_dist(optarg, opt.dist);
			break;
		case 'z':
			opt.zipf_s = dc_bench_parse_zipf_s(optarg);
			break;
		case 'b':
			opt.burst = (unsigned)dc_bench_parse_count_in(optarg, "--burst", 1,
								      DC_FP_BURST_MAX);
			break;
		case 'P':
			opt.pcap = optarg;
			break;
		case 'G':
			opt.gen = optarg;
			break;
		case 'g':
			opt.gen_packets = dc_bench_parse_count(optarg, "--gen-packets");
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
		case 'L':
			opt.telescope = optarg;
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
			opt.seed = dc_bench_parse_count(optarg, "--seed");
			break;
		case 'T':
			opt.retry = (unsigned)dc_bench_parse_count(optarg, "--retry");
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
}

int
main(int argc, char **argv)
{
	static struct result res[MAX_CONF][2];
	struct dc_config cfg;
	struct dc_bench_frames gen;
	struct gen_info gi;
	struct engine e;
	double tsc_hz, lo = 1;
	unsigned sock;
	char cpu[128], gpath[256];
	const char *pcap;
	int n;

	n = dc_bench_eal_init("darkcap-stages-bench", argc, argv);
	argc -= n;
	argv += n;
	parse_args(argc, argv);
	sock = rte_socket_id();
	tsc_hz = (double)rte_get_tsc_hz();
	dc_bench_cpu_name(cpu, sizeof(cpu));
	hash_seed = dc_bench_mix64(opt.seed ^ 0x7ab1e);
	if (dc_fp_select(DC_FP_AUTO) != 0)
		dc_bench_die("fingerprint kernel: %s", dc_strerror());

	/* frames */
	if (opt.pcap) {
		pcap = opt.pcap;
	} else {
		uint64_t most = opt.packets ? opt.packets : 4000000;

		for (unsigned i = 0; i < opt.nb_keys; i++)
			most = RTE_MAX(most, opt.keys[i]);
		pcap = generate_pcap(RTE_MIN(opt.gen_packets, most), gpath, sizeof(gpath));
	}
	dc_bench_pcap_load(pcap, &gen);
	classify(&gen, &gi);

	/* geo, as the engine loads it (dc_geo_view_load) */
	dc_config_defaults(&cfg);
	if (opt.telescope && dc_telescope_parse(&cfg.telescope, opt.telescope, "--telescope") != 0)
		dc_bench_die("%s", dc_strerror());
	memset(&e, 0, sizeof(e));
	if (!opt.no_geo) {
		double t = (double)rte_rdtsc();
		struct dc_geo_view *gv;
		char cb[256], ab[256];

		cfg.geo_country = dc_strdup(dc_bench_geo_csv(opt.geo_country, 0, opt.quick,
							     opt.seed, opt.verbose, cb, sizeof(cb)));
		cfg.geo_asn = dc_strdup(dc_bench_geo_csv(opt.geo_asn, 1, opt.quick, opt.seed,
							 opt.verbose, ab, sizeof(ab)));
		gv = dc_geo_view_load(&cfg);
		if (gv == NULL)
			dc_bench_die("geo: %s", dc_strerror());
		e.geo = gv;
		printf("geo: %u countries from %s%s, %u ASes from %s%s (loaded in %.1f s)\n",
		       gv->nb_cc - 1u, opt.geo_country ? "" : "synthetic ",
		       opt.geo_country ? opt.geo_country : "CSV", gv->nb_as - 1u,
		       opt.geo_asn ? "" : "synthetic ", opt.geo_asn ? opt.geo_asn : "CSV",
		       ((double)rte_rdtsc() - t) / tsc_hz);
	}
	dc_bench_scratch_new(&e.c, &e.ctx, &e.tctx, (int)sock);

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
			tc.telescope.n = 0; /* every destination keyed, to count them */
			/* a tiny one: the keys stage only */
			e.ts = dc_bench_tset_create(&tc, hash_seed, (int)sock);
			if (e.ts == NULL)
				dc_bench_die("out of DPDK memory");
			dc_bench_count_keys(&s.f, opt.burst, e.ctx, e.tctx, e.ts, s.ip_packets,
					    NULL, &s.distinct_dst, &s.distinct_flow);
			dc_bench_tset_free(e.ts);
			tc.telescope = cfg.telescope;
			tc.sources_max = (uint32_t)nk;
			tc.destinations_max = (uint32_t)RTE_MAX(s.distinct_dst, (uint64_t)1);
			tc.flowtuples_max = (uint32_t)RTE_MAX(s.distinct_flow, (uint64_t)1);
			if (opt.no_geo)
				tc.geo_asn = NULL;
			e.ts = dc_bench_tset_create(&tc, hash_seed, (int)sock);
			if (e.ts == NULL)
				dc_bench_die("cannot allocate the table set: %zu MiB (raise -m / "
					     "hugepages)",
					     dc_bench_tset_size(&tc) >> 20);
			if (!rte_eal_has_hugepages())
				dc_bench_prefault_heap();
			r->packets = s.f.n;
			r->ip_packets = s.ip_packets;
			r->distinct_src = s.distinct_src;
			r->distinct_dst = s.distinct_dst;
			r->distinct_flow = s.distinct_flow;
			r->top_share = s.top_share;
			r->tset_bytes = dc_bench_tset_size(&tc);
			r->frame_bytes = s.f.bytes;
			printf("# %" PRIu64 " sources, %s: %" PRIu64 " packets per pass (%" PRIu64
			       " IP, %.0f MiB of frames), %" PRIu64 " sources (most frequent %.2f%% of "
			       "IP packets), %" PRIu64 " destinations, %" PRIu64
			       " flowtuples; tables %zu MiB (sources_max %u, %" PRIu64
			       " home slots per source, destinations_max %u, flowtuples_max %u)\n",
			       nk, dc_bench_dist_name(opt.dist[di], opt.zipf_s), s.f.n,
			       s.ip_packets, (double)s.f.bytes / 1048576.0, s.distinct_src,
			       100 * s.top_share,
			       s.distinct_dst, s.distinct_flow, r->tset_bytes >> 20, tc.sources_max,
			       dc_src_slots_per_key(tc.sources_max), tc.destinations_max,
			       tc.flowtuples_max);
			if (tc.telescope.n) {
				char tb[DC_TELESCOPE_MAX * 20];

				dc_telescope_format(&tc.telescope, tb, sizeof(tb));
				printf("#   telescope %s: its destinations in a %zu KiB bitmap, the "
				       "others in the destination table\n",
				       tb, dc_tset_tel_bytes(&tc.telescope) >> 10);
			}
			fflush(stdout);
			run_config(&e, &s, r);
			if (r->src_used != s.distinct_src || r->full[DC_TFULL_SRC] ||
			    r->full[DC_TFULL_DST] || r->full[DC_TFULL_FLOW] || r->full[DC_TFULL_AS] ||
			    r->dst_used != s.distinct_dst || r->flow_used != s.distinct_flow)
				dc_bench_die("check failed: tables hold %" PRIu64 " sources (%" PRIu64
					     " expected), %" PRIu64 " destinations (%" PRIu64
					     "), %" PRIu64 " flowtuples (%" PRIu64 "); refused %" PRIu64
					     "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
					     r->src_used, s.distinct_src, r->dst_used,
					     s.distinct_dst, r->flow_used, s.distinct_flow, r->full[0],
					     r->full[1], r->full[2], r->full[3]);
			printf("#   checks passed: staged and whole path left identical state; %" PRIu64
			       " sources, %" PRIu64 " ASes in the tables, nothing refused; "
			       "repetitions rerun: %" PRIu64 "\n",
			       r->src_used, r->as_used, r->retries);
			for (int v = 0; v < NB_VAR; v++)
				for (int p = 0; var_runs(v) && p < NB_PASS; p++)
					lo = RTE_MIN(lo, dc_bench_min(r->oncpu[v][p], opt.repeat));
			dc_bench_tset_free(e.ts);
			e.ts = NULL;
			dc_bench_frames_free(&s.f);
		}
	}

	for (int tm = 0; tm < NB_TM; tm++)
		if ((opt.timers >> tm) & 1)
			print_table(res, tsc_hz, tm);
	print_ref(res);
	printf("\nCPU %s, TSC %.0f Hz, hugepages %s (smallest page under the tables: %" PRIu64
	       " kB)\n",
	       cpu, tsc_hz, rte_eal_has_hugepages() ? "yes" : "no", dc_bench_page_min() >> 10);
	printf("lowest on-CPU share of a kept timed pass: %.1f%%%s\n", 100 * lo,
	       lo < opt.min_oncpu ? " WARNING: the core was shared with other processes, the "
				    "TSC cycles include their time"
				  : "");
	fflush(stdout);
	if (e.geo)
		dc_geo_view_free((struct dc_geo_view *)e.geo);
	dc_bench_scratch_free(e.c, e.ctx, e.tctx);
	free(gi.kind);
	free(gi.l3off);
	free(gi.list4);
	free(gi.list6);
	dc_bench_frames_free(&gen);
	dc_config_free(&cfg);
	rte_eal_cleanup();
	return 0;
}
