/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-table-bench: TSC cycles per packet of the per-source table update
 * (key -> find or insert -> packets++, bytes += len), dc_table against DPDK
 * rte_hash, on pre-generated key streams.
 *
 *   darkcap-table-bench <EAL args> -- [--packets N] [--repeat R] [--keys N,N,..]
 *       [--dist uniform,zipf] [--zipf-s S] [--seed S] [--rte bulk|hash|both]
 *       [--rte-entries 2n|n] [--no-rte] [--no-floor] [--retry K] [--quick] [--verbose]
 *
 * Keys are 16-byte IPv4-mapped IPv6 source addresses (::ffff:a.b.c.d), N
 * distinct per configuration. A stream is P keys copied into memory before
 * timing (16 B each), drawn from the N keys uniformly or Zipf(s) by rank
 * (rejection-inversion sampling; rank 1 the most frequent; ranks map to
 * random addresses). Each repetition: an empty table, pass 1 over stream A
 * ("insert": the table starts empty, so most inserts happen here), pass 2
 * over a second stream B from the same keys and distribution ("steady").
 * Reported: the median over the repetitions of cycles / packet for each
 * pass; "keys seen" is the number of distinct keys in the table after both
 * passes (a Zipf stream does not reach every one of the N keys).
 *
 * ours: dc_table, max_entries N, as the worker runs it: bursts of 32,
 *   software-pipelined (the next burst's keys hashed together before this
 *   burst's lookup, their home slots prefetched one per key during this
 *   burst's round one, dc_table_find_burst_ahead()), the settled keys
 *   counted, round two, the rest counted. Two layouts: "source layout", the
 *   worker's source table (dc_src_slots_per_key() home slots per key, 64 B
 *   slot: key and hot counters in one cache line, plus a 64 B cold record
 *   written whole with streaming stores, in insertion order, for each new
 *   key), and "64 B slot",
 *   the default table (2 home slots per key, no cold record). Memory from
 *   rte_zmalloc_socket.
 * memory floor: the same pipeline over the source layout's memory, adding
 *   each packet to its home slot blindly (no compare, probe or insert): what
 *   one random cache line per packet costs here (--no-floor skips it).
 * rte_hash: same keys; entries 2N by default (load 1/2, like our default
 *   table), or N (--rte-entries n, rte_hash rounds it up).
 *   Burst of 32: rte_hash_lookup_bulk (variant "bulk") or rte_hash_crc of all
 *   + rte_hash_lookup_with_hash_bulk (variant "hash"); prefetch the values of
 *   the hits; rte_hash_add_key[_with_hash] for the misses; the values (112 B,
 *   zeroed before each repetition, untimed) in an array indexed by position.
 *   Both variants are run; the table shows the better one per row.
 *
 * Each timed pass also records this thread's CPU time: on a shared machine
 * the TSC counts the time another process had the core. A repetition where a
 * pass was on the CPU less than 97% of its wall time is run again (up to
 * --retry times, default 10); the output gives the lowest share kept.
 */
#include <errno.h>
#include <getopt.h>
#include <emmintrin.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dc_bench.h"
#include "dc_table.h"
#include "dc_tset.h" /* dc_src_slots_per_key(): the engine's source table */

#define BURST 32
#define MAX_CONF 16

struct key16 {
	uint64_t w[2];
};

/* The per-packet update: the first 16 bytes of the value. */
struct ctr {
	uint64_t packets;
	uint64_t bytes;
};

/* The cold record of a key in the engine's source layout (first seen,
 * country, AS, rare counters), appended at insert. */
struct rec64 {
	uint64_t first;
	uint8_t rest[56];
};

/* A cold record written whole with streaming stores (no read for
 * ownership), as the worker writes its sources' (dc_src_cold_stream()). */
static inline void
tb_stream64(struct rec64 *r, uint64_t first)
{
	__m128i *d = (__m128i *)r;
	const __m128i z = _mm_setzero_si128();

	_mm_stream_si128(d, _mm_set_epi64x(0, (long long)first));
	_mm_stream_si128(d + 1, z);
	_mm_stream_si128(d + 2, z);
	_mm_stream_si128(d + 3, z);
}

/* rte_hash side value, the size of the real per-source value. */
struct val112 {
	struct ctr c;
	uint8_t rest[96];
};

/* Packet length: a function of the packet's index, same for everyone. */
#define PKT_LEN(i) (64u + ((uint32_t)(i) & 511u))

enum {
	IMPL_OURS_SRC,
	IMPL_OURS64,
	IMPL_FLOOR,
	IMPL_RTE_BULK,
	IMPL_RTE_HASH,
	NB_IMPL
};
static const char *const impl_name[NB_IMPL] = {
	"ours-src", "ours-64B", "floor", "rte-bulk", "rte-hash",
};
enum { PASS_INSERT, PASS_STEADY, NB_PASS };
static const char *const pass_name[NB_PASS] = {"insert", "steady"};

static struct {
	uint64_t packets;
	unsigned repeat;
	uint64_t keys[MAX_CONF];
	unsigned nb_keys;
	int dist[2];
	unsigned nb_dist;
	double zipf_s;
	uint64_t seed;
	int rte_bulk, rte_hash;
	int rte_entries_n;
	int no_floor;
	int pf_at_once; /* --prefetch at-once: the next burst's homes all before this burst */
	int verbose;
	unsigned retry;
	double min_oncpu;
} opt = {
	.packets = 32ull << 20,
	.repeat = 3,
	.keys = {10000, 1000000, 16000000},
	.nb_keys = 3,
	.dist = {DC_BENCH_UNIFORM, DC_BENCH_ZIPF},
	.nb_dist = 2,
	.zipf_s = 1.1,
	.seed = 0x6461726b636170ull,
	.rte_bulk = 1,
	.rte_hash = 1,
	.retry = 10,
	.min_oncpu = 0.97,
};

/* ---- key streams -------------------------------------------------------- */

static void
gen_keys(struct key16 *keys, uint64_t n, uint64_t seed)
{
	uint32_t k = (uint32_t)(seed ^ (seed >> 32));

	for (uint64_t i = 0; i < n; i++) {
		uint32_t a = dc_bench_perm32((uint32_t)i, k);

		keys[i].w[0] = 0;
		/* bytes 8..15: 00 00 ff ff a b c d (network order) */
		keys[i].w[1] = 0xFFFF0000ull | (uint64_t)__builtin_bswap32(a) << 32;
	}
}

/* Ranks drawn uniformly or Zipf(s) (rank 1 the most frequent). The random
 * sequence starts a step before @p seed: its first number is
 * dc_bench_mix64(seed). */
static void
gen_stream(struct key16 *st, uint64_t p, const struct key16 *keys, uint64_t n, int dist,
	   uint64_t seed)
{
	uint64_t rs = seed - DC_BENCH_GOLDEN;
	struct dc_bench_zipf z;

	if (dist == DC_BENCH_ZIPF)
		dc_bench_zipf_init(&z, opt.zipf_s, n);
	for (uint64_t i = 0; i < p; i++) {
		uint64_t r = dist == DC_BENCH_ZIPF ? dc_bench_zipf_rank(&z, &rs) - 1
						    : dc_bench_rnd(&rs) % n;

		st[i] = keys[r];
	}
}

/* ---- the measured loop for rte_hash (dc_table's is in table_loop.h) ---- */

static uint64_t
pass_rte(const struct rte_hash *hs, struct val112 *vals, uint64_t nvals, uint32_t hseed,
	 int with_hash, const struct key16 *st, uint64_t n, uint64_t *refused)
{
	uint64_t t0, ref = 0, oob = 0;

	t0 = rte_rdtsc_precise();
	for (uint64_t i = 0; i < n; i += BURST) {
		const struct key16 *k = st + i;
		unsigned m = n - i < BURST ? (unsigned)(n - i) : BURST, j;
		const void *kp[BURST];
		hash_sig_t sig[BURST];
		int32_t pos[BURST];

		for (j = 0; j < m; j++)
			kp[j] = &k[j];
		if (with_hash) {
			for (j = 0; j < m; j++)
				sig[j] = rte_hash_crc(kp[j], sizeof(struct key16), hseed);
			rte_hash_lookup_with_hash_bulk(hs, kp, sig, m, pos);
		} else {
			rte_hash_lookup_bulk(hs, kp, m, pos);
		}
		for (j = 0; j < m; j++)
			if (pos[j] >= 0)
				rte_prefetch0(&vals[pos[j]]);
		for (j = 0; j < m; j++) {
			int32_t p = pos[j];

			if (unlikely(p < 0)) {
				p = with_hash ? rte_hash_add_key_with_hash(hs, kp[j], sig[j])
					      : rte_hash_add_key(hs, kp[j]);
				if (p < 0) {
					ref++;
					continue;
				}
			}
			if (unlikely((uint64_t)p >= nvals)) {
				oob++;
				continue;
			}
			vals[p].c.packets++;
			vals[p].c.bytes += PKT_LEN(i + j);
		}
	}
	if (oob) {
		fprintf(stderr, "rte_hash returned %" PRIu64 " positions past the value array\n",
			oob);
		exit(1);
	}
	*refused = ref;
	return rte_rdtsc_precise() - t0;
}

/* ---- one configuration ------------------------------------------------- */

struct result {
	double cyc[NB_PASS][16];   /* cycles / packet, per repetition */
	double oncpu[NB_PASS][16]; /* share of the pass's wall time on the CPU */
	double cpucyc[NB_PASS][16]; /* thread CPU time as TSC cycles / packet */
	uint64_t refused, distinct, pkts_sum, faults, invcsw, retries;
	int ran;
};

/*
 * After a timed pass (meter from dc_bench_meter_start(m, 1)): its TSC
 * cycles per packet, the share of its wall time on the CPU, its CPU time as
 * TSC cycles per packet, page faults and involuntary context switches.
 */
static void
pass_done(const struct dc_bench_meter *m, struct result *r, int pass, unsigned rep,
	  uint64_t cycles)
{
	struct dc_bench_usage u;

	r->oncpu[pass][rep] = dc_bench_meter_stop(m, &u);
	r->cyc[pass][rep] = (double)cycles / (double)opt.packets;
	r->cpucyc[pass][rep] = u.cpu_s * (double)rte_get_tsc_hz() / (double)opt.packets;
	r->faults += u.faults;
	r->invcsw += u.invcsw;
}

/*
 * The repetitions a run function does: [round_lo, round_hi). main() runs
 * them a round at a time, every implementation once per round in a rotated
 * order, so that each round's implementations are measured back to back
 * (see paired()).
 */
static unsigned round_lo, round_hi;

/*
 * A repetition is done when every pass ran at least opt.min_oncpu of its
 * wall time on the CPU, or after opt.retry reruns: returns 1 to move on, 0
 * to run it again.
 */
static int
rep_done(struct result *r, unsigned rep, unsigned *tries)
{
	int ok = 1;

	for (int p = 0; p < NB_PASS; p++)
		ok &= r->oncpu[p][rep] >= opt.min_oncpu;
	return dc_bench_retry(ok, tries, opt.retry, &r->retries);
}

#define TB_PREFIX dc_table
#include "table_loop.h"
#undef TB_PREFIX

static void
run_rte(uint64_t n, const struct key16 *const st[NB_PASS], struct result *rb, struct result *rh)
{
	static unsigned seq;
	char name[RTE_HASH_NAMESIZE];
	uint64_t entries = opt.rte_entries_n ? n : 2 * n;
	uint32_t hseed = (uint32_t)opt.seed;
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = (uint32_t)entries,
		.key_len = sizeof(struct key16),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = hseed,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = 0, /* single writer, no locks: like ours */
	};
	struct rte_hash *hs;
	struct val112 *vals;
	size_t vsz = n * sizeof(*vals);

	snprintf(name, sizeof(name), "bench%u", seq++);
	hs = rte_hash_create(&hp);
	if (hs == NULL) {
		fprintf(stderr, "rte_hash_create(%" PRIu64 " entries): %s\n", entries,
			rte_strerror(rte_errno));
		exit(1);
	}
	vals = rte_zmalloc_socket("bench_vals", vsz, 64, (int)rte_socket_id());
	if (vals == NULL) {
		fprintf(stderr, "rte_zmalloc_socket(%zu) failed: not enough DPDK memory (-m)?\n",
			vsz);
		exit(1);
	}
	dc_bench_note_page(vals);
	for (int v = 0; v < 2; v++) {
		struct result *r = v ? rh : rb;

		if (!(v ? opt.rte_hash : opt.rte_bulk))
			continue;
		for (unsigned rep = round_lo, tries = 0; rep < round_hi; rep += rep_done(r, rep, &tries)) {
			rte_hash_reset(hs);
			memset(vals, 0, vsz);
			for (int p = 0; p < NB_PASS; p++) {
				struct dc_bench_meter m0;
				uint64_t refused, c;

				dc_bench_meter_start(&m0, 1);
				c = pass_rte(hs, vals, n, hseed, v, st[p], opt.packets, &refused);
				pass_done(&m0, r, p, rep, c);
				r->refused += refused;
			}
		}
		r->distinct = (uint64_t)rte_hash_count(hs);
		r->pkts_sum = 0;
		for (uint64_t i = 0; i < n; i++)
			r->pkts_sum += vals[i].c.packets;
		r->ran = 1;
	}
	rte_free(vals);
	rte_hash_free(hs);
}

/* ---- setup and output -------------------------------------------------- */

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [--packets N] [--repeat R] [--keys N,N,...]\n"
	       "         [--dist uniform,zipf] [--zipf-s S] [--seed S] [--rte bulk|hash|both]\n"
	       "         [--rte-entries 2n|n] [--no-rte] [--no-floor] [--prefetch ahead|at-once]\n"
	       "         [--retry K] [--quick] [--verbose]\n",
	       prog);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"packets", required_argument, NULL, 'p'},
		{"repeat", required_argument, NULL, 'r'},
		{"keys", required_argument, NULL, 'k'},
		{"dist", required_argument, NULL, 'd'},
		{"zipf-s", required_argument, NULL, 'z'},
		{"seed", required_argument, NULL, 's'},
		{"rte", required_argument, NULL, 'R'},
		{"rte-entries", required_argument, NULL, 'E'},
		{"no-rte", no_argument, NULL, 'N'},
		{"no-floor", no_argument, NULL, 'F'},
		{"prefetch", required_argument, NULL, 'P'},
		{"quick", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"retry", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.packets = dc_bench_parse_count(optarg, "--packets");
			break;
		case 'r':
			opt.repeat = (unsigned)dc_bench_parse_count_in(optarg, "--repeat", 1, 15);
			break;
		case 'k':
			opt.nb_keys = dc_bench_parse_counts(optarg, opt.keys, MAX_CONF, "--keys", 1,
							    UINT32_MAX / 2);
			break;
		case 'd':
			opt.nb_dist = dc_bench_parse_dist(optarg, opt.dist);
			break;
		case 'z':
			opt.zipf_s = dc_bench_parse_zipf_s(optarg);
			break;
		case 's':
			opt.seed = dc_bench_parse_count(optarg, "--seed");
			break;
		case 'R':
			opt.rte_bulk = strcmp(optarg, "hash") != 0;
			opt.rte_hash = strcmp(optarg, "bulk") != 0;
			break;
		case 'E':
			opt.rte_entries_n = strcmp(optarg, "n") == 0;
			break;
		case 'N':
			opt.rte_bulk = opt.rte_hash = 0;
			break;
		case 'F':
			opt.no_floor = 1;
			break;
		case 'P':
			if (strcmp(optarg, "ahead") == 0) {
				opt.pf_at_once = 0;
			} else if (strcmp(optarg, "at-once") == 0) {
				opt.pf_at_once = 1;
			} else {
				fprintf(stderr, "--prefetch: \"%s\" is neither ahead nor at-once\n", optarg);
				exit(2);
			}
			break;
		case 'q':
			opt.packets = 100000;
			opt.keys[0] = 10000;
			opt.nb_keys = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'T':
			opt.retry = (unsigned)dc_bench_parse_count(optarg, "--retry");
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			exit(2);
		}
	}
	if (optind < argc || opt.packets == 0 || opt.nb_keys == 0 || opt.nb_dist == 0) {
		usage(argv[0]);
		exit(2);
	}
}

static void
print_verbose(uint64_t nk, int dist, const struct result *r)
{
	for (int i = 0; i < NB_IMPL; i++) {
		if (!r[i].ran || i == IMPL_FLOOR)
			continue;
		printf("# %" PRIu64 " %s %-16s", nk, dc_bench_dist_name(dist, opt.zipf_s),
		       impl_name[i]);
		for (int p = 0; p < NB_PASS; p++) {
			printf(" %s:", pass_name[p]);
			for (unsigned rep = 0; rep < opt.repeat; rep++)
				printf(" %.1f", r[i].cyc[p][rep]);
		}
		printf("  on-CPU");
		for (int p = 0; p < NB_PASS; p++)
			for (unsigned rep = 0; rep < opt.repeat; rep++)
				printf(" %.0f%%", 100 * r[i].oncpu[p][rep]);
		printf("  faults %" PRIu64 " invcsw %" PRIu64 " retried %" PRIu64 "\n", r[i].faults,
		       r[i].invcsw, r[i].retries);
	}
	fflush(stdout);
}

/* The work done must be the same for every implementation. */
static int
check_same_work(const struct result *r)
{
	for (int i = 0; i < NB_IMPL; i++) {
		if (!r[i].ran || i == IMPL_FLOOR)
			continue;
		if (r[i].distinct != r[IMPL_OURS_SRC].distinct || r[i].refused ||
		    r[i].pkts_sum != NB_PASS * opt.packets) {
			fprintf(stderr,
				"check failed: %s: %" PRIu64 " distinct keys (ours-src %" PRIu64
				"), %" PRIu64 " refused, %" PRIu64 " packets counted of %" PRIu64 "\n",
				impl_name[i], r[i].distinct, r[IMPL_OURS_SRC].distinct, r[i].refused,
				r[i].pkts_sum, NB_PASS * opt.packets);
			return -1;
		}
	}
	return 0;
}

static int use_cpu_time; /* tables from thread CPU time instead of the TSC */

static double
med(const struct result *r, int impl, int pass)
{
	if (!r[impl].ran)
		return 0;
	return dc_bench_median(use_cpu_time ? r[impl].cpucyc[pass] : r[impl].cyc[pass],
			       opt.repeat);
}

/* Cycles per packet of implementation @p impl in repetition @p rep; for
 * IMPL_RTE_BULK, the better of rte_hash's two variants in that repetition. */
static double
rep_cyc(const struct result *r, int impl, int pass, unsigned rep)
{
	double a, b;

	a = r[impl].ran ? (use_cpu_time ? r[impl].cpucyc : r[impl].cyc)[pass][rep] : 0;
	if (impl != IMPL_RTE_BULK)
		return a;
	b = r[IMPL_RTE_HASH].ran ? (use_cpu_time ? r[IMPL_RTE_HASH].cpucyc
						  : r[IMPL_RTE_HASH].cyc)[pass][rep]
				 : 0;
	return a && (!b || a <= b) ? a : b;
}

/* Median over the rounds of @p a's cycles over @p b's in the same round (the
 * implementations of a round run back to back: steadier on a shared machine
 * than the ratio of the medians). */
static double
paired(const struct result *r, int a, int b, int pass)
{
	double q[16];

	for (unsigned rep = 0; rep < opt.repeat; rep++) {
		double y = rep_cyc(r, b, pass, rep);

		q[rep] = y > 0 ? rep_cyc(r, a, pass, rep) / y : 0;
	}
	return dc_bench_median(q, opt.repeat);
}

static void
print_table(struct result res[][2][NB_IMPL], double tsc_hz, int cpu_time)
{
	use_cpu_time = cpu_time;
	if (cpu_time)
		printf("\nThe same from this thread's CPU time (x TSC Hz), which leaves out the time "
		       "other processes had the core:\n");
	else
		printf("\nTSC cycles per packet, median of %u rounds (a round runs every "
		       "implementation once, back to back, the order rotated). rte_hash: the better of "
		       "lookup_bulk (b) and rte_hash_crc + lookup_with_hash_bulk (h). Ratios are "
		       "paired: the median over the rounds of each round's own ratio (rte_hash: the "
		       "better variant of that round).\n",
		       opt.repeat);
	printf("| distinct keys | distribution | pass | keys seen | ours, source layout | ours, 64 B slot "
	       "| rte_hash | ours(src)/rte_hash | Mpps at ours(src) | memory floor | ours(src)/floor |%s\n",
	       "");
	printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (unsigned ki = 0; ki < opt.nb_keys; ki++)
		for (unsigned di = 0; di < opt.nb_dist; di++)
			for (int p = 0; p < NB_PASS; p++) {
				const struct result *r = res[ki][di];
				double o128 = med(r, IMPL_OURS_SRC, p), o64 = med(r, IMPL_OURS64, p);
				double rb = med(r, IMPL_RTE_BULK, p), rh = med(r, IMPL_RTE_HASH, p);
				double rt = rb && (!rh || rb <= rh) ? rb : rh;
				char rts[32] = "-", ratio[16] = "-";

				if (rt > 0) {
					snprintf(rts, sizeof(rts), "%.1f (%c)", rt, rt == rb ? 'b' : 'h');
					snprintf(ratio, sizeof(ratio), "%.2f",
						 paired(r, IMPL_OURS_SRC, IMPL_RTE_BULK, p));
				}
				printf("| %" PRIu64 " | %s | %s | %" PRIu64
				       " | %.1f | %.1f | %s | %s | %.1f |",
				       opt.keys[ki], dc_bench_dist_name(opt.dist[di], opt.zipf_s),
				       pass_name[p], r[IMPL_OURS_SRC].distinct, o128, o64, rts, ratio,
				       tsc_hz / o128 / 1e6);
				if (r[IMPL_FLOOR].ran) {
					double fl = med(r, IMPL_FLOOR, p);

					printf(" %.1f | %.2f |", fl,
					       paired(r, IMPL_OURS_SRC, IMPL_FLOOR, p));
				} else {
					printf(" - | - |");
				}
				printf("\n");
			}
}

int
main(int argc, char **argv)
{
	static struct result res[MAX_CONF][2][NB_IMPL];
	double tsc_hz, min_oncpu = 1;
	uint64_t total_retries = 0;
	char cpu[128];
	int n;

	n = dc_bench_eal_init("darkcap-table-bench", argc, argv);
	argc -= n;
	argv += n;
	parse_args(argc, argv);
	if (!rte_eal_has_hugepages())
		dc_bench_prefault_heap();

	tsc_hz = (double)rte_get_tsc_hz();
	dc_bench_cpu_name(cpu, sizeof(cpu));
	printf("darkcap-table-bench: %s, TSC %.0f Hz, lcore %u, hugepages %s\n", cpu, tsc_hz,
	       rte_lcore_id(), rte_eal_has_hugepages() ? "yes" : "no (--no-huge)");
	printf("packets per pass %" PRIu64 ", repetitions %u (median shown), burst %d, key 16 B, "
	       "rte_hash entries %s, ours' prefetches %s\n",
	       opt.packets, opt.repeat, BURST,
	       opt.rte_entries_n ? "N" : "2N (load 1/2)",
	       opt.pf_at_once ? "at once (next burst's homes before this burst)"
			      : "ahead (next burst's homes during this burst's round one)");
	fflush(stdout);

	for (unsigned ki = 0; ki < opt.nb_keys; ki++) {
		uint64_t nk = opt.keys[ki];
		struct key16 *keys = malloc(nk * sizeof(*keys));
		struct key16 *st[NB_PASS];

		for (int p = 0; p < NB_PASS; p++)
			st[p] = malloc(opt.packets * sizeof(struct key16));
		if (!keys || !st[0] || !st[1]) {
			fprintf(stderr, "out of memory for the key streams\n");
			return 1;
		}
		gen_keys(keys, nk, opt.seed);
		for (unsigned di = 0; di < opt.nb_dist; di++) {
			struct result *r = res[ki][di];
			const struct key16 *const cst[NB_PASS] = {st[0], st[1]};

			for (int p = 0; p < NB_PASS; p++)
				gen_stream(st[p], opt.packets, keys, nk, opt.dist[di],
					   opt.seed * 31 + nk * 7 + (uint64_t)di * 3 + (uint64_t)p);
			if (opt.verbose) {
				uint64_t top = 0;

				for (uint64_t i = 0; i < opt.packets; i++)
					top += memcmp(&st[0][i], &keys[0], sizeof(keys[0])) == 0;
				printf("# %" PRIu64 " keys %s: most frequent key %.3f%% of packets\n", nk,
				       dc_bench_dist_name(opt.dist[di], opt.zipf_s),
				       100.0 * (double)top / (double)opt.packets);
			}
			/* A round at a time, each implementation once, the order rotated:
			 * the paired ratios compare measurements taken back to back. */
			for (unsigned round = 0; round < opt.repeat; round++) {
				round_lo = round;
				round_hi = round + 1;
				for (unsigned k = 0; k < 4; k++) {
					switch ((k + round) % 4) {
					case 0:
						dc_table_bench_run(64, 1, nk, cst, &r[IMPL_OURS_SRC]);
						break;
					case 1:
						dc_table_bench_run(64, 0, nk, cst, &r[IMPL_OURS64]);
						break;
					case 2:
						if (!opt.no_floor)
							dc_table_floor_run(nk, cst, &r[IMPL_FLOOR]);
						break;
					default:
						if (opt.rte_bulk || opt.rte_hash)
							run_rte(nk, cst, &r[IMPL_RTE_BULK],
								&r[IMPL_RTE_HASH]);
						break;
					}
				}
			}
			if (check_same_work(r) != 0)
				return 1;
			for (int i = 0; i < NB_IMPL; i++)
				total_retries += r[i].retries;
			for (int i = 0; i < NB_IMPL; i++)
				for (int p = 0; r[i].ran && p < NB_PASS; p++)
					for (unsigned rep = 0; rep < opt.repeat; rep++)
						if (r[i].oncpu[p][rep] < min_oncpu)
							min_oncpu = r[i].oncpu[p][rep];
			if (opt.verbose)
				print_verbose(nk, opt.dist[di], r);
		}
		free(keys);
		free(st[0]);
		free(st[1]);
	}

	print_table(res, tsc_hz, 0);
	if (min_oncpu < opt.min_oncpu)
		print_table(res, tsc_hz, 1);
	printf("\nCPU %s, TSC %.0f Hz, hugepages %s (smallest page under the tables: %" PRIu64
	       " kB)\n",
	       cpu, tsc_hz, rte_eal_has_hugepages() ? "yes" : "no", dc_bench_page_min() >> 10);
	printf("lowest on-CPU share of a kept timed pass: %.1f%%%s (repetitions rerun when a pass "
	       "was below %.0f%%: %" PRIu64 ")\n",
	       100 * min_oncpu,
	       min_oncpu < opt.min_oncpu ? " WARNING: the core was shared with other processes, "
					   "the TSC cycles include their time"
					 : "",
	       100 * opt.min_oncpu, total_retries);
	use_cpu_time = 0;
	if (opt.rte_bulk && opt.rte_hash) {
		printf("rte_hash variants, median TSC cycles/packet b / h:");
		for (unsigned ki = 0; ki < opt.nb_keys; ki++)
			for (unsigned di = 0; di < opt.nb_dist; di++)
				for (int p = 0; p < NB_PASS; p++)
					printf("%s %" PRIu64 "/%s/%s %.1f / %.1f", ki + di + p ? ";" : "",
					       opt.keys[ki],
					       opt.dist[di] == DC_BENCH_ZIPF ? "zipf" : "uniform",
					       pass_name[p], med(res[ki][di], IMPL_RTE_BULK, p),
					       med(res[ki][di], IMPL_RTE_HASH, p));
		printf("\n");
	}
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
