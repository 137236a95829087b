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
 *   software-pipelined (the next burst's keys hashed and home slots
 *   prefetched before this burst's lookup), dc_table_find_burst() round one,
 *   the settled keys counted, round two, the rest counted. Two layouts:
 *   "source layout", the worker's source table (3 home slots per key, 64 B
 *   slot: key and hot counters in one cache line, plus a 64 B cold record
 *   written whole, in insertion order, for each new key), and "64 B slot",
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
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_prefetch.h>

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
enum { DIST_UNIFORM, DIST_ZIPF };
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
	int verbose;
	unsigned retry;
	double min_oncpu;
} opt = {
	.packets = 32ull << 20,
	.repeat = 3,
	.keys = {10000, 1000000, 16000000},
	.nb_keys = 3,
	.dist = {DIST_UNIFORM, DIST_ZIPF},
	.nb_dist = 2,
	.zipf_s = 1.1,
	.seed = 0x6461726b636170ull,
	.rte_bulk = 1,
	.rte_hash = 1,
	.retry = 10,
	.min_oncpu = 0.97,
};

/* ---- random numbers and key streams ------------------------------------ */

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double
rnd01(uint64_t *s)
{
	return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* A bijection on 32 bits, so N indices give N distinct addresses. */
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

/*
 * Zipf(s) on 1..n by rejection-inversion (Hoermann and Derflinger 1996):
 * O(1) per sample, no table.
 */
struct zipf {
	double s, n, hx1, hn, thr;
};

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
zipf_H(const struct zipf *z, double x) /* integral of t^-s from 1 to x */
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

static void
gen_keys(struct key16 *keys, uint64_t n, uint64_t seed)
{
	uint32_t k = (uint32_t)(seed ^ (seed >> 32));

	for (uint64_t i = 0; i < n; i++) {
		uint32_t a = perm32((uint32_t)i, k);

		keys[i].w[0] = 0;
		/* bytes 8..15: 00 00 ff ff a b c d (network order) */
		keys[i].w[1] = 0xFFFF0000ull | (uint64_t)__builtin_bswap32(a) << 32;
	}
}

static void
gen_stream(struct key16 *st, uint64_t p, const struct key16 *keys, uint64_t n, int dist,
	   uint64_t seed)
{
	uint64_t rs = seed;
	struct zipf z;

	if (dist == DIST_ZIPF)
		zipf_init(&z, opt.zipf_s, n);
	for (uint64_t i = 0; i < p; i++) {
		uint64_t r = dist == DIST_ZIPF ? zipf_rank(&z, &rs) - 1 : rnd(&rs) % n;

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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned n)
{
	double t[16];

	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/*
 * Around each timed pass: TSC (what is reported), this thread's CPU time
 * (TSC time minus CPU time = time the pass was not running: another process
 * had the core), page faults and involuntary context switches.
 */
struct meter {
	uint64_t tsc0;
	struct timespec cpu0;
	struct rusage ru0;
};

static void
meter_start(struct meter *m)
{
	getrusage(RUSAGE_THREAD, &m->ru0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &m->cpu0);
	m->tsc0 = rte_rdtsc_precise();
}

static void
meter_stop(const struct meter *m, struct result *r, int pass, unsigned rep, uint64_t cycles)
{
	uint64_t tsc = rte_rdtsc_precise() - m->tsc0;
	struct timespec cpu;
	struct rusage ru;
	double cpu_s;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	getrusage(RUSAGE_THREAD, &ru);
	cpu_s = (double)(cpu.tv_sec - m->cpu0.tv_sec) + (double)(cpu.tv_nsec - m->cpu0.tv_nsec) * 1e-9;
	r->cyc[pass][rep] = (double)cycles / (double)opt.packets;
	r->oncpu[pass][rep] = cpu_s * (double)rte_get_tsc_hz() / (double)tsc;
	r->cpucyc[pass][rep] = cpu_s * (double)rte_get_tsc_hz() / (double)opt.packets;
	r->faults += (uint64_t)(ru.ru_minflt - m->ru0.ru_minflt + ru.ru_majflt - m->ru0.ru_majflt);
	r->invcsw += (uint64_t)(ru.ru_nivcsw - m->ru0.ru_nivcsw);
}

/*
 * A repetition is done when every pass ran at least opt.min_oncpu of its
 * wall time on the CPU, or after opt.retry tries (then flagged): returns 1 to
 * move on, 0 to run it again.
 */
static int
rep_done(struct result *r, unsigned rep, unsigned *tries)
{
	int ok = 1;

	for (int p = 0; p < NB_PASS; p++)
		ok &= r->oncpu[p][rep] >= opt.min_oncpu;
	if (ok || ++*tries > opt.retry) {
		*tries = 0;
		return 1;
	}
	r->retries++;
	return 0;
}

static uint64_t page_sz_seen;

static void
note_page_size(const void *p)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(p);

	if (msl && (page_sz_seen == 0 || msl->page_sz < page_sz_seen))
		page_sz_seen = msl->page_sz;
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
	note_page_size(vals);
	for (int v = 0; v < 2; v++) {
		struct result *r = v ? rh : rb;

		if (!(v ? opt.rte_hash : opt.rte_bulk))
			continue;
		for (unsigned rep = 0, tries = 0; rep < opt.repeat; rep += rep_done(r, rep, &tries)) {
			rte_hash_reset(hs);
			memset(vals, 0, vsz);
			for (int p = 0; p < NB_PASS; p++) {
				struct meter m0;
				uint64_t refused, c;

				meter_start(&m0);
				c = pass_rte(hs, vals, n, hseed, v, st[p], opt.packets, &refused);
				meter_stop(&m0, r, p, rep, c);
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
	       "         [--rte-entries 2n|n] [--no-rte] [--no-floor] [--retry K] [--quick] [--verbose]\n",
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
		{"quick", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"retry", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *tok, *save, buf[256];

		switch (c) {
		case 'p':
			opt.packets = parse_u64(optarg, "--packets");
			break;
		case 'r':
			opt.repeat = (unsigned)parse_u64(optarg, "--repeat");
			if (opt.repeat < 1 || opt.repeat > 15) {
				fprintf(stderr, "--repeat: 1..15\n");
				exit(2);
			}
			break;
		case 'k':
			snprintf(buf, sizeof(buf), "%s", optarg);
			opt.nb_keys = 0;
			for (tok = strtok_r(buf, ",", &save); tok && opt.nb_keys < MAX_CONF;
			     tok = strtok_r(NULL, ",", &save))
				opt.keys[opt.nb_keys++] = parse_u64(tok, "--keys");
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
		case 's':
			opt.seed = parse_u64(optarg, "--seed");
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
		case 'q':
			opt.packets = 100000;
			opt.keys[0] = 10000;
			opt.nb_keys = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'T':
			opt.retry = (unsigned)parse_u64(optarg, "--retry");
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
	for (unsigned i = 0; i < opt.nb_keys; i++)
		if (opt.keys[i] == 0 || opt.keys[i] > UINT32_MAX / 2) {
			fprintf(stderr, "--keys: 1..%u\n", UINT32_MAX / 2);
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

/*
 * Without hugepages, DPDK's heap is one anonymous mapping faulted in on
 * first touch: touch all of it once so no timed pass takes page faults.
 */
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

static const char *
dist_name(int d)
{
	static char b[32];

	if (d == DIST_UNIFORM)
		return "uniform";
	snprintf(b, sizeof(b), "zipf s=%.2f", opt.zipf_s);
	return b;
}

static void
print_verbose(uint64_t nk, int dist, const struct result *r)
{
	for (int i = 0; i < NB_IMPL; i++) {
		if (!r[i].ran || i == IMPL_FLOOR)
			continue;
		printf("# %" PRIu64 " %s %-16s", nk, dist_name(dist), impl_name[i]);
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
	return median(use_cpu_time ? r[impl].cpucyc[pass] : r[impl].cyc[pass], opt.repeat);
}

static void
print_table(struct result res[][2][NB_IMPL], double tsc_hz, int cpu_time)
{
	use_cpu_time = cpu_time;
	if (cpu_time)
		printf("\nThe same from this thread's CPU time (x TSC Hz), which leaves out the time "
		       "other processes had the core:\n");
	else
		printf("\nTSC cycles per packet, median of %u. rte_hash: the better of lookup_bulk (b) "
		       "and rte_hash_crc + lookup_with_hash_bulk (h).\n",
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
					snprintf(ratio, sizeof(ratio), "%.2f", o128 / rt);
				}
				printf("| %" PRIu64 " | %s | %s | %" PRIu64
				       " | %.1f | %.1f | %s | %s | %.1f |",
				       opt.keys[ki], dist_name(opt.dist[di]), pass_name[p],
				       r[IMPL_OURS_SRC].distinct, o128, o64, rts, ratio,
				       tsc_hz / o128 / 1e6);
				if (r[IMPL_FLOOR].ran) {
					double fl = med(r, IMPL_FLOOR, p);

					printf(" %.1f | %.2f |", fl, o128 / fl);
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

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	argv[0] = "darkcap-table-bench";
	parse_args(argc, argv);
	if (!rte_eal_has_hugepages())
		prefault_heap();

	tsc_hz = (double)rte_get_tsc_hz();
	cpu_name(cpu, sizeof(cpu));
	printf("darkcap-table-bench: %s, TSC %.0f Hz, lcore %u, hugepages %s\n", cpu, tsc_hz,
	       rte_lcore_id(), rte_eal_has_hugepages() ? "yes" : "no (--no-huge)");
	printf("packets per pass %" PRIu64 ", repetitions %u (median shown), burst %d, key 16 B, "
	       "rte_hash entries %s\n",
	       opt.packets, opt.repeat, BURST,
	       opt.rte_entries_n ? "N" : "2N (load 1/2)");
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
				       dist_name(opt.dist[di]), 100.0 * (double)top / (double)opt.packets);
			}
			dc_table_bench_run(64, 1, nk, cst, &r[IMPL_OURS_SRC]);
			dc_table_bench_run(64, 0, nk, cst, &r[IMPL_OURS64]);
			if (!opt.no_floor)
				dc_table_floor_run(nk, cst, &r[IMPL_FLOOR]);
			if (opt.rte_bulk || opt.rte_hash)
				run_rte(nk, cst, &r[IMPL_RTE_BULK], &r[IMPL_RTE_HASH]);
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
	       cpu, tsc_hz, rte_eal_has_hugepages() ? "yes" : "no", page_sz_seen >> 10);
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
					       opt.keys[ki], opt.dist[di] == DIST_ZIPF ? "zipf" : "uniform",
					       pass_name[p], med(res[ki][di], IMPL_RTE_BULK, p),
					       med(res[ki][di], IMPL_RTE_HASH, p));
		printf("\n");
	}
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
