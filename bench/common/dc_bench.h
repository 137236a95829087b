/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the benchmarks share (bench/stages, bench/sig, bench/table,
 * bench/sender): fatal errors and aligned memory, seeded random numbers
 * and Zipf ranks, a pcap read whole into memory, the darkcap-gen run,
 * synthetic geo databases, the on-CPU meter around a timed pass, medians,
 * and the parsing of their common options.
 *
 * Errors: a benchmark has nothing to recover, so the functions that can
 * fail end the program with dc_bench_die() (exit status 1) or, for a bad
 * option, with a message and exit status 2. The exception is
 * dc_bench_parse_u64(), which follows dc_err.h (-1 and dc_strerror()) for
 * callers that report bad options themselves.
 *
 * Engine state as worker.c sets it up (table set, checksums, distinct
 * keys) is in dc_bench_tset.h.
 */
#ifndef DC_BENCH_H
#define DC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- program name, EAL, fatal errors, memory ------------------------------ */

/**
 * rte_eal_init() for a benchmark run as `<prog> <EAL args> -- <its options>`,
 * and dc_bench_set_prog(@p prog). On failure the program ends with
 * "<prog>: rte_eal_init: <reason>" and exit status 1.
 *
 * @param prog
 *   the program's name (a string that outlives every call here).
 * @param argc
 *   main()'s.
 * @param argv
 *   main()'s; argv[n] (the new argv[0]) becomes @p prog.
 * @return
 *   n, the arguments EAL took: the benchmark's own are argv + n.
 */
int dc_bench_eal_init(const char *prog, int argc, char **argv);

/**
 * Name the program: the prefix of dc_bench_die() messages and of the
 * temporary directory.
 *
 * @param prog
 *   e.g. "darkcap-stages-bench" (a string that outlives every call here).
 */
void dc_bench_set_prog(const char *prog);

/**
 * End the program: stdout flushed, then "<prog>: <message>" on stderr,
 * exit status 1.
 *
 * @param fmt
 *   printf format of the message (no trailing newline).
 */
void dc_bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/**
 * Memory at a 64-byte boundary (like mbuf data), for free().
 *
 * @param n
 *   bytes (0 gives 64).
 * @return
 *   The memory; on failure the program ends (dc_bench_die()).
 */
void *dc_bench_malloc(size_t n);

/**
 * realloc() or end the program.
 *
 * @param p
 *   memory from malloc()/realloc(), or NULL.
 * @param n
 *   new size in bytes.
 * @return
 *   The memory (no alignment beyond malloc()'s).
 */
void *dc_bench_realloc(void *p, size_t n);

/* ---- random numbers -------------------------------------------------------- */

#define DC_BENCH_GOLDEN 0x9E3779B97F4A7C15ull /**< 2^64 / golden ratio */

/**
 * A 64-bit mix (SplitMix64's step and finaliser): hash of one word.
 *
 * @param z
 *   the word.
 * @return
 *   Its mix.
 */
static inline uint64_t
dc_bench_mix64(uint64_t z)
{
	z += DC_BENCH_GOLDEN;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/**
 * The next number of a seeded sequence: the state advances, then is mixed.
 *
 * @param s
 *   the sequence's state (any seed).
 * @return
 *   64 random bits.
 */
static inline uint64_t
dc_bench_rnd(uint64_t *s)
{
	*s += DC_BENCH_GOLDEN;
	return dc_bench_mix64(*s);
}

/**
 * A uniform double in [0, 1) from dc_bench_rnd().
 *
 * @param s
 *   the sequence's state.
 * @return
 *   53 random bits as a double in [0, 1).
 */
static inline double
dc_bench_rnd01(uint64_t *s)
{
	return (double)(dc_bench_rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

/**
 * A bijection on 32 bits, keyed: N distinct inputs give N distinct outputs
 * (addresses from ranks).
 *
 * @param x
 *   the input.
 * @param k
 *   the key.
 * @return
 *   Its image.
 */
static inline uint32_t
dc_bench_perm32(uint32_t x, uint32_t k)
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

/**
 * Zipf(s) on 1..n, sampled by rejection-inversion (Hoermann and Derflinger
 * 1996): O(1) per sample, no table.
 */
struct dc_bench_zipf {
	double s, n, hx1, hn, thr;
};

/**
 * Set up a Zipf(s) sampler.
 *
 * @param z
 *   the sampler.
 * @param s
 *   the exponent (> 0, not 1).
 * @param n
 *   the largest rank.
 */
void dc_bench_zipf_init(struct dc_bench_zipf *z, double s, uint64_t n);

/**
 * One rank.
 *
 * @param z
 *   a sampler from dc_bench_zipf_init().
 * @param rs
 *   the state of the dc_bench_rnd() sequence it draws from.
 * @return
 *   A rank in 1..n (1 the most frequent).
 */
uint64_t dc_bench_zipf_rank(const struct dc_bench_zipf *z, uint64_t *rs);

/**
 * Hash of @p n bytes, a word at a time (dc_bench_mix64()); the length of a
 * last partial word is mixed in.
 *
 * @param p
 *   the bytes.
 * @param n
 *   their count.
 * @param h
 *   the starting value (a seed, or a previous hash to chain).
 * @return
 *   The hash.
 */
uint64_t dc_bench_hash(const void *p, size_t n, uint64_t h);

/**
 * Distinct values (LSD radix sort, 16 bits a round).
 *
 * @param v
 *   the values; sorted in place.
 * @param n
 *   their count.
 * @return
 *   How many distinct values @p v holds.
 */
uint64_t dc_bench_count_distinct(uint64_t *v, uint64_t n);

/* ---- frames in memory ------------------------------------------------------ */

/** Frames held in memory, each at a 64-byte boundary (like mbuf data). */
struct dc_bench_frames {
	uint8_t *buf;          /**< all the frames (free()) */
	const uint8_t **frame; /**< frame i, in buf */
	uint32_t *len;         /**< wire length of frame i */
	uint32_t *caplen;      /**< bytes held of frame i */
	uint64_t n;            /**< frames */
	size_t bytes;          /**< size of buf */
};

/**
 * Read a classic pcap file (either byte order, micro- or nanoseconds;
 * Ethernet) whole into memory, in file order. pcapng is not read.
 *
 * @param path
 *   the file.
 * @param f
 *   filled (overwritten); dc_bench_frames_free() frees it.
 *
 * On failure (no such file, not a classic Ethernet pcap, a cut record,
 * no frame at all) the program ends.
 */
void dc_bench_pcap_load(const char *path, struct dc_bench_frames *f);

/**
 * Free what dc_bench_pcap_load() (or a caller, with dc_bench_malloc())
 * put in @p f, and zero it.
 *
 * @param f
 *   the frames.
 */
void dc_bench_frames_free(struct dc_bench_frames *f);

/* ---- temporary files, the generator, synthetic geo databases ----------------- */

/**
 * A path in this run's temporary directory (/tmp/<prog>.XXXXXX, made on
 * the first call and removed at exit).
 *
 * @param name
 *   the file's name.
 * @param out
 *   where the path is written.
 * @param len
 *   size of @p out.
 * @return
 *   @p out.
 */
char *dc_bench_tmp_path(const char *name, char *out, size_t len);

/**
 * Run darkcap-gen (or any program) and wait for it.
 *
 * @param gen
 *   the program's path.
 * @param args
 *   its arguments after argv[0], NULL-terminated (at most 14).
 * @param out
 *   NULL: its stdout is ours; else its stdout is read into @p out (up to
 *   @p len - 1 bytes, NUL-terminated; the rest is drained).
 * @param len
 *   size of @p out.
 * @return
 *   Its exit status; 127 when it could not be run or did not exit.
 */
int dc_bench_gen_run(const char *gen, const char *const *args, char *out, size_t len);

/**
 * A geo database for dc_geo_view_load(): @p given, or a synthetic one
 * written as CSV ranges into the temporary directory (lib/geo compiles
 * them into the same LPM tables as an MMDB).
 *
 * Synthetic: IPv4 1.0.0.0 - 223.255.255.255 from /12 roots (/8 when
 * @p quick), IPv6 2400:: - 2aff:: (where darkcap-gen's IPv6 sources are)
 * from /16 roots; each prefix is kept whole with probability `keep`, else
 * split in two, down to /24 (IPv4) or /32 (IPv6; /24 when @p quick); one
 * prefix in 8 is left out (unrouted). AS database: IPv4 keep 0.3 (about
 * 180,000 prefixes, most of them /20 to /24 like BGP's), 40,000 AS
 * numbers, half the prefixes owned by 400 of them. Country database: IPv4
 * keep 0.5, 250 codes. IPv6 keep 0.5 (about 15,000 prefixes each). Quick:
 * keep 0.7 (a few thousand prefixes, a fast build).
 *
 * @param given
 *   a database path, or NULL for a synthetic one.
 * @param asn
 *   1: an AS database; 0: a country database.
 * @param quick
 *   the small synthetic database.
 * @param seed
 *   seed of the synthetic database.
 * @param verbose
 *   say on stdout how many prefixes the synthetic database has.
 * @param buf
 *   where the synthetic database's path is written.
 * @param len
 *   size of @p buf.
 * @return
 *   @p given, or @p buf.
 */
const char *dc_bench_geo_csv(const char *given, int asn, int quick, uint64_t seed, int verbose,
			     char *buf, size_t len);

/* ---- timed passes ---------------------------------------------------------- */

/**
 * Around a timed pass: the TSC and this thread's CPU time (the TSC counts
 * the time another process had the core; the CPU time does not), and
 * optionally its page faults and involuntary context switches.
 */
struct dc_bench_meter {
	uint64_t tsc0;
	struct timespec cpu0;
	struct rusage ru0;
	int rusage; /**< getrusage() read too */
};

/** What dc_bench_meter_stop() measured besides the on-CPU share. */
struct dc_bench_usage {
	double cpu_s;    /**< this thread's CPU time, seconds */
	uint64_t faults; /**< page faults (minor and major); with rusage only */
	uint64_t invcsw; /**< involuntary context switches; with rusage only */
};

/**
 * Start a meter (the TSC last).
 *
 * @param m
 *   the meter.
 * @param rusage
 *   also count page faults and context switches (a getrusage() call at
 *   either end, outside the TSC interval).
 */
void dc_bench_meter_start(struct dc_bench_meter *m, int rusage);

/**
 * Stop a meter (the TSC first).
 *
 * @param m
 *   a started meter.
 * @param u
 *   NULL, or where the CPU time (and with rusage the faults and context
 *   switches) since dc_bench_meter_start() are written.
 * @return
 *   The share of the wall time since dc_bench_meter_start() that this
 *   thread was on the CPU.
 */
double dc_bench_meter_stop(const struct dc_bench_meter *m, struct dc_bench_usage *u);

/**
 * After a repetition (round): move on, or run it again because a pass was
 * taken off the CPU, at most @p retry times.
 *
 * @param ok
 *   every pass of the repetition was on the CPU long enough.
 * @param tries
 *   reruns of this repetition so far (0 at its first run); reset when it
 *   returns 1.
 * @param retry
 *   reruns allowed per repetition.
 * @param retries
 *   counts the reruns.
 * @return
 *   1: the repetition is kept, go to the next; 0: run it again.
 */
int dc_bench_retry(int ok, unsigned *tries, unsigned retry, uint64_t *retries);

/** Most values dc_bench_median() takes. */
#define DC_BENCH_MEDIAN_MAX 64

/**
 * Median.
 *
 * @param v
 *   the values (not changed).
 * @param n
 *   their count, 1..DC_BENCH_MEDIAN_MAX.
 * @return
 *   The median (the mean of the middle two when @p n is even).
 */
double dc_bench_median(const double *v, unsigned n);

/**
 * Smallest value.
 *
 * @param v
 *   the values.
 * @param n
 *   their count (at least 1).
 * @return
 *   The smallest.
 */
double dc_bench_min(const double *v, unsigned n);

/**
 * The rest of a Markdown table cell of values, one a repetition (round):
 * " v1, v2, ... |" with one decimal, on stdout.
 *
 * @param v
 *   the values.
 * @param n
 *   their count.
 */
void dc_bench_md_values(const double *v, unsigned n);

/* ---- the machine ------------------------------------------------------------- */

/**
 * The CPU's model name from /proc/cpuinfo ("unknown" without one).
 *
 * @param out
 *   where it is written.
 * @param len
 *   size of @p out.
 */
void dc_bench_cpu_name(char *out, size_t len);

/**
 * Without hugepages, DPDK's heap is one anonymous mapping faulted in on
 * first touch: touch all of it once so that no timed pass takes page
 * faults. Needs EAL.
 */
void dc_bench_prefault_heap(void);

/**
 * Note the page size under DPDK memory @p p (the smallest one noted is
 * what the benchmarks print). Needs EAL.
 *
 * @param p
 *   memory from DPDK's allocator.
 */
void dc_bench_note_page(const void *p);

/**
 * @return
 *   The smallest page size dc_bench_note_page() saw (bytes; 0: none).
 */
uint64_t dc_bench_page_min(void);

/* ---- options ------------------------------------------------------------------ */

/** Key distributions of --dist. */
enum { DC_BENCH_UNIFORM, DC_BENCH_ZIPF };

/**
 * A count option: a number (decimal, 0x hex or 0 octal) with an optional
 * suffix k or K (10^3), m (10^6) or M (2^20). A bad one ends the program
 * with "bad <what>: <s>" and exit status 2.
 *
 * @param s
 *   the option's value.
 * @param what
 *   the option's name, e.g. "--packets".
 * @return
 *   The count.
 */
uint64_t dc_bench_parse_count(const char *s, const char *what);

/**
 * dc_bench_parse_count() in a range: out of it, "<what>: <lo>..<hi>" and
 * exit status 2.
 *
 * @param s
 *   the option's value.
 * @param what
 *   the option's name.
 * @param lo
 *   the smallest allowed.
 * @param hi
 *   the largest allowed.
 * @return
 *   The count.
 */
uint64_t dc_bench_parse_count_in(const char *s, const char *what, uint64_t lo, uint64_t hi);

/**
 * A comma-separated list of counts (--keys N,N,...), each in [@p lo, @p hi].
 *
 * @param arg
 *   the option's value.
 * @param v
 *   where the counts go.
 * @param max
 *   room in @p v (later ones are ignored).
 * @param what
 *   the option's name.
 * @param lo
 *   the smallest allowed.
 * @param hi
 *   the largest allowed.
 * @return
 *   How many counts @p v now holds.
 */
unsigned dc_bench_parse_counts(const char *arg, uint64_t *v, unsigned max, const char *what,
			       uint64_t lo, uint64_t hi);

/**
 * --dist: a comma-separated list of "uniform" and "zipf" (at most two).
 * Anything else ends the program with exit status 2.
 *
 * @param arg
 *   the option's value.
 * @param dist
 *   where the DC_BENCH_UNIFORM / DC_BENCH_ZIPF values go.
 * @return
 *   How many @p dist now holds.
 */
unsigned dc_bench_parse_dist(const char *arg, int dist[2]);

/**
 * --zipf-s: a Zipf exponent, > 0 and not 1, else exit status 2.
 *
 * @param arg
 *   the option's value.
 * @return
 *   The exponent.
 */
double dc_bench_parse_zipf_s(const char *arg);

/**
 * A distribution's name as the tables print it: "uniform" or "zipf s=S".
 *
 * @param dist
 *   DC_BENCH_UNIFORM or DC_BENCH_ZIPF.
 * @param s
 *   the Zipf exponent.
 * @return
 *   A static string (the Zipf one is overwritten by the next call).
 */
const char *dc_bench_dist_name(int dist, double s);

/**
 * An integer option in a range, strictly: no sign, no suffix, nothing
 * after the number.
 *
 * @param name
 *   the option's name without "--", for the message.
 * @param s
 *   the option's value.
 * @param base
 *   as strtoull()'s (0: decimal, 0x hex or 0 octal; 10: decimal only).
 * @param min
 *   the smallest allowed.
 * @param max
 *   the largest allowed.
 * @param out
 *   the value, when it is good.
 * @return
 *   0, or -1 with dc_strerror() saying what is wrong
 *   ("--NAME 'S': expected an integer from MIN to MAX").
 */
int dc_bench_parse_u64(const char *name, const char *s, int base, uint64_t min, uint64_t max,
		       uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DC_BENCH_H */
