/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-sig-bench: what payload signatures (issue #8) cost a worker, in
 * TSC cycles, each figure against its reference measured in the same run.
 *
 *   darkcap-sig-bench <EAL args> -- [--repeat R] [--passes P] [--scan-passes K]
 *       [--burst B] [--pcap FILE | --gen PATH] [--gen-packets N]
 *       [--heavy-share S | --heavy-pcap FILE | --no-heavy] [--rules FILE[,FILE]]
 *       [--payload-max N] [--geo-country FILE] [--geo-asn FILE] [--no-geo]
 *       [--retry K] [--quick] [--verbose]
 *
 * Streams: "mix", the realistic darknet mix, a pcap written by the build's
 * darkcap-gen run with its defaults (or --pcap FILE); "payload-heavy", the
 * generator's mix with a higher share of payload-bearing probes
 * (darkcap-gen --payload-share S, when the generator's usage text offers
 * that option; or --heavy-pcap FILE; skipped, and said so, otherwise). A
 * stream is read whole into memory before anything is timed, each frame at
 * a 64-byte boundary (like mbuf data), in file order.
 *
 * Payload (docs/SIGNATURES.md): for a TCP/UDP packet whose header is whole,
 * the bytes after the UDP header (8 bytes) or the TCP header (data offset *
 * 4; under 5 or past the end: none) up to the IP packet's end (the stated
 * length or the captured bytes, whichever ends first), scanned over their
 * first --payload-max bytes (sig_payload_max, default 1024). The bench
 * computes it itself from the header bytes and the parser's offsets, and
 * scans every payload once, untimed, with dc_sig_scan(): that is the ground
 * truth the engine's counts are checked against.
 *
 * Layouts of the compiled rules: grouped (a Hyperscan database per protocol
 * and group of destination ports: dc_sig_load(), what the engine loads; a
 * group whose every rule is in its subset, anchored or floating, is decided
 * by darkcap's matcher instead) and, with --compare, either the same groups scanned by
 * Hyperscan alone (DC_SIG_NO_FAST, the default) or one database of every
 * rule (dc_sig_load_opts() with DC_SIG_ONE_DB, the protocol and port filter
 * after each match). "one database" below stands for that second layout.
 *
 * 1. Scan alone: dc_sig_scan() over the payload of every payload-bearing
 *    packet of the stream, in stream order, K times (--scan-passes), TSC
 *    read around the whole loop; cycles per payload packet and per scanned
 *    byte. Also over the matched payloads alone and the unmatched ones
 *    alone. Both layouts. Reference: the same loop over every payload
 *    calling a no-op in place of the scan (it reads the payload's first and
 *    last byte).
 * 2. The engine's data path on the stream, as a worker runs it: per burst
 *    of B packets (32), rte_rdtsc_precise() around the worker's per-burst
 *    work (the geo and signature pointer loads, the burst's times,
 *    dc_counters_burst(), dc_tset_burst()), signatures off (tctx->sig NULL,
 *    no signature table: the reference) and on: grouped (the rules loaded
 *    by the engine's own dc_sig_view_load() and dc_sig_view_bind(), a
 *    signature table of sig_table_max entries), one database (the same
 *    rules and slots with DC_SIG_ONE_DB), and nothing scanned (one UDP rule
 *    on port 0: every payload counted, no scan, no match: the stage's
 *    skeleton). Same frames, same table set (sources,
 *    destinations, flowtuples, ASes) sized as worker.c's tset_create() sizes
 *    it from the default configuration (raised to the stream's distinct
 *    keys if it has more), geo on in both (the engine's dc_geo_view_load()
 *    on synthetic country and AS databases, or --geo-country/--geo-asn, or
 *    none with --no-geo). Each variant starts from cleared tables and runs
 *    P passes over the stream (--passes): the first inserts every key, the
 *    others find them all ("repeat"). "Staged" runs of the three on
 *    variants do the same work through the engine's inline drivers
 *    dc_counters_burst_stages() and dc_tset_burst_stages() (the bodies of
 *    the two library functions), compiled here with DC_STAGE_MARK() reading
 *    the TSC (as bench/stages does): the cycles between the marks around
 *    the signature stage (dc_tset_sig()), one mark's cost subtracted, are
 *    the stage's own cost inside the path, per payload-bearing packet.
 *    "Timed" runs of both layouts time each dc_sig_scan() call of the stage
 *    (the bench is linked with -Wl,--wrap=dc_sig_scan): the scan's own cost
 *    inside the path.
 *
 * Rounds (--repeat R): every variant of a group once per round, the order
 * rotated per round; medians over the rounds are reported, and each ratio
 * to off also paired (the median of the rounds' own ratios). A round in
 * which a timed variant was on the CPU less than 97 % of its wall time is
 * run again (up to --retry times).
 *
 * Checks (first round; exit status 1 when one fails): off and on leave
 * identical counter blocks except the signature fields, and identical
 * source, destination, flowtuple and AS tables; both layouts find the same
 * rules in every payload, and their on, staged and timed runs leave
 * identical blocks and tables, the signature table included; nothing
 * scanned counts the same payloads and bytes, no match; the signature
 * variant counts exactly the bench's payload packets, scanned bytes,
 * matched packets and per-signature packets (P times the untimed scan's),
 * holds in its signature table exactly the distinct (signature, source,
 * port) keys of the untimed scan, their packets summing to the matches; a
 * scan variant finds K times what the untimed scan found. With the
 * default rules on a generated stream: the bench's payloads and scan equal
 * the generator's truth file (payload-bearing packets, scanned bytes,
 * matched packets, packets per signature), and every rule the stream
 * exercises (by that truth; without one, 1001-1011) has packets.
 */
/* The signature stage's cycles, in this file's instances of the engine's
 * inline drivers (as bench/stages does for every stage). */
#include <stdint.h>
static inline void stage_mark(unsigned s);
#define DC_STAGE_MARK(s) stage_mark(s)

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "darkcap.h" /* dc_geo_view_load(), dc_sig_view_load(): the workers' views */
#include "dc_bench_tset.h"
#include "dc_counters.h"
#include "dc_err.h"
#include "dc_fp.h"
#include "dc_geo.h"
#include "dc_mem.h"
#include "dc_parse.h"
#include "dc_sig.h"
#include "dc_table.h"
#include "dc_tset.h"

#ifndef DC_GEN_DEFAULT
#define DC_GEN_DEFAULT "darkcap-gen"
#endif
#define RULES_DEFAULT DC_SRCDIR "/lib/sig/rules/default.rules"

#define MAX_REP 15

enum { S_MIX, S_HEAVY, NB_STREAM };
static const char *const stream_name[NB_STREAM] = {"mix", "payload-heavy"};
/* The rules' layouts compared: port groups (dc_sig_load(), the engine's)
 * and one database of every rule (DC_SIG_ONE_DB); and, for the data path,
 * a rule set that applies to no payload of the stream (one UDP rule on port
 * 0): the signature stage with every payload counted and nothing scanned. */
enum { L_GROUPED, L_ONE, L_NOSCAN, NB_L };
static const char *layout_name[NB_L] = {"grouped", "Hyperscan alone", "nothing scanned"};
/* What the second layout is (--compare): the grouped rules scanned by
 * Hyperscan alone (DC_SIG_NO_FAST, the default: what darkcap's matcher
 * saves), or one database of every rule (DC_SIG_ONE_DB). */
static const char *l1 = "Hyperscan alone";
static unsigned l1_flags = DC_SIG_NO_FAST;
/* Scan variants: per layout every payload, the matched ones, the unmatched
 * ones; then the no-op loop. */
enum { SV_ALL, SV_MATCHED, SV_UNMATCHED, SV_ALL1, SV_MATCHED1, SV_UNMATCHED1, SV_EMPTY, NB_SV };
#define SV_LIST(v) ((v) % 3)   /* SV_ALL, SV_MATCHED or SV_UNMATCHED */
#define SV_LAYOUT(v) ((v) / 3) /* L_* (not for SV_EMPTY) */
static const char *const sv_name[NB_SV] = {"every payload", "matched", "unmatched",
					   "every payload", "matched", "unmatched",
					   "reference: loop, no scan"};
/* Data-path variants. */
enum { PV_OFF, PV_ON, PV_ON1, PV_NOSCAN, PV_STAGED, PV_STAGED1, PV_NOSCAN_STAGED, PV_TIMED,
       PV_TIMED1, NB_PV };
static const char *pv_name[NB_PV] = {"off", "on (grouped)", "on (Hyperscan alone)",
				     "on (nothing scanned)", "on (grouped), staged",
				     "on (Hyperscan alone), staged", "on (nothing scanned), staged",
				     "on (grouped), scans timed", "on (Hyperscan alone), scans timed"};
#define PV_IS_STAGED(v) ((v) >= PV_STAGED && (v) <= PV_NOSCAN_STAGED)
#define PV_IS_TIMED(v) ((v) == PV_TIMED || (v) == PV_TIMED1)
/* the view a variant uses (not for PV_OFF) */
#define PV_LAYOUT(v)                                                               \
	(PV_IS_TIMED(v) ? (v) - PV_TIMED : PV_IS_STAGED(v) ? (v) - PV_STAGED : (v) - PV_ON)
enum { PASS_FIRST, PASS_REPEAT, NB_PASS };

static struct {
	unsigned repeat;
	unsigned passes;
	unsigned scan_passes;
	unsigned burst;
	unsigned retry;
	double min_oncpu;
	uint64_t gen_packets; /* 0: the generator's default */
	double heavy_share;
	int no_heavy;
	const char *pcap;
	const char *heavy_pcap;
	const char *gen;
	const char *rules;
	uint32_t payload_max; /* 0: the configuration's default */
	const char *geo_country;
	const char *geo_asn;
	int no_geo;
	int quick;
	int verbose;
	uint64_t seed;
} opt = {
	.repeat = 5,
	.passes = 4,
	.scan_passes = 8,
	.burst = 32,
	.retry = 3,
	.min_oncpu = 0.97,
	.heavy_share = 0.2,
	.gen = DC_GEN_DEFAULT,
	.rules = RULES_DEFAULT,
	.seed = 0x7369676e61747572ull,
};

static int checks_failed;
static int default_rules; /* the rules are the shipped default.rules */

/* ---- the signature stage's marks ----------------------------------------- */

static uint64_t mark_last, mark_sig, mark_sig_n;
static double mark_cost; /* cycles one mark adds to the piece before it */

static inline void
stage_mark(unsigned s)
{
	uint64_t t = rte_rdtsc_precise();

	if (s == DC_STAGE_SIG) {
		mark_sig += t - mark_last;
		mark_sig_n++;
	}
	mark_last = t;
}

/* dc_sig_scan() timed inside the data path: the bench is linked with
 * -Wl,--wrap=dc_sig_scan, so the engine's signature stage (compiled here from
 * dc_tset.h) calls this; it times the call when scan_timing is set. */
static int scan_timing;
static uint64_t scan_cyc, scan_n;

unsigned __real_dc_sig_scan(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto,
			    uint16_t dport, const uint8_t *payload, uint32_t len, uint16_t *out);
unsigned __wrap_dc_sig_scan(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto,
			    uint16_t dport, const uint8_t *payload, uint32_t len, uint16_t *out);

unsigned
__wrap_dc_sig_scan(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto,
		   uint16_t dport, const uint8_t *payload, uint32_t len, uint16_t *out)
{
	uint64_t t0;
	unsigned n;

	if (likely(!scan_timing))
		return __real_dc_sig_scan(db, s, proto, dport, payload, len, out);
	t0 = rte_rdtsc_precise();
	n = __real_dc_sig_scan(db, s, proto, dport, payload, len, out);
	scan_cyc += rte_rdtsc_precise() - t0;
	scan_n++;
	return n;
}

/* The mean of 256 back-to-back marks, the lowest of 200 runs. */
static double
mark_overhead(void)
{
	double best = 1e30;

	for (int run = 0; run < 201; run++) {
		uint64_t t0 = rte_rdtsc_precise();

		mark_last = t0;
		for (int i = 0; i < 256; i++)
			stage_mark(DC_STAGE__MAX);
		if (run > 0)
			best = RTE_MIN(best, (double)(mark_last - t0) / 256);
	}
	return best;
}

static void check_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failed check: said on stdout (with the results) and in the exit status. */
static void
check_fail(const char *fmt, ...)
{
	va_list ap;

	printf("CHECK FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	checks_failed++;
}

/* ---- frames ------------------------------------------------------------- */

/* One stream: its frames in memory, the ground truth of its payloads, and
 * the results. */
struct pay {
	const uint8_t *p;
	uint32_t len;   /* bytes scanned (at most the payload maximum) */
	uint16_t dport;
	uint8_t proto;
	uint8_t nhit;   /* signatures it matched (untimed scan) */
};

/* The generator's ground truth for signatures (its truth file's total
 * line: default rules, payloads scanned over 1024 bytes). */
struct truth {
	int have;                     /* the total line has the signature keys */
	uint64_t payload, bytes, matched;
	unsigned n;
	uint32_t id[DC_SIG_MAX];
	uint64_t packets[DC_SIG_MAX];
};

struct stream {
	int on;                       /* loaded */
	int generated;                /* by darkcap-gen, with its truth file */
	char truth_path[256];
	struct truth tr;
	char what[256];               /* where the frames came from */
	struct dc_bench_frames f;
	uint64_t nip;
	struct pay *pay, *pm, *pu;    /* every payload packet; the matched; the unmatched */
	uint64_t npay, nm, nu;
	uint64_t bytes, bytes_m, bytes_u, payload_bytes; /* scanned; before the cap */
	uint64_t hits[DC_SIG_MAX];    /* packets per rule index (untimed scan) */
	uint64_t nhits;               /* sum of hits */
	uint64_t sig_keys;            /* distinct (signature, source, port, protocol) */
	uint64_t distinct_src, distinct_dst, distinct_flow;
	/* results: cycles per packet (scan: per payload packet of its list) */
	double scan[NB_SV][MAX_REP];
	double path[NB_PV][NB_PASS][MAX_REP];
	double sig_stage[NB_L][NB_PASS][MAX_REP]; /* the signature stage, per payload packet */
	double sig_scan[NB_L][NB_PASS][MAX_REP];  /* dc_sig_scan() in the path, per payload packet */
	double oncpu_min;
	uint64_t retries;
	uint64_t sig_refused;
	uint64_t layout_diff;         /* payloads the two layouts matched differently */
	size_t tset_bytes, sig_bytes;
};

/* A pcap from the generator, with its defaults plus @p extra
 * (NULL-terminated); its truth file as @p name with ".jsonl". */
static const char *
generate(const char *name, const char *const *extra, char *path, size_t plen, char *truth,
	 size_t tlen)
{
	const char *args[12];
	char np[32], tn[64];
	unsigned na = 0;

	dc_bench_tmp_path(name, path, plen);
	snprintf(tn, sizeof(tn), "%s.jsonl", name);
	dc_bench_tmp_path(tn, truth, tlen);
	args[na++] = "--out";
	args[na++] = path;
	args[na++] = "--truth";
	args[na++] = truth;
	if (opt.gen_packets) {
		snprintf(np, sizeof(np), "%" PRIu64, opt.gen_packets);
		args[na++] = "--packets";
		args[na++] = np;
	}
	while (extra && *extra && na < DC_ARRAY_SIZE(args) - 1)
		args[na++] = *extra++;
	args[na] = NULL;
	if (dc_bench_gen_run(opt.gen, args, NULL, 0) != 0)
		dc_bench_die("%s failed", opt.gen);
	return path;
}

/* @p p at an object's '{': past its matching '}' (strings skipped). */
static const char *
json_past_object(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '\0')
				break;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			return p + 1;
		}
	}
	return p;
}

static uint64_t
json_u64_after(const char *from, const char *key)
{
	const char *q = strstr(from, key);

	return q ? strtoull(q + strlen(key), NULL, 10) : UINT64_MAX;
}

/* The total line of a darkcap-gen truth file: its "signatures" (packets
 * per rule id) and "signature_scan" (the in-tree generator always writes
 * them). */
static void
read_truth(const char *path, struct truth *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *total = NULL;
	size_t cap = 0;
	const char *p;

	memset(t, 0, sizeof(*t));
	if (f == NULL)
		dc_bench_die("%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, "{\"total\":true", 13) == 0) {
			free(total);
			total = strdup(line);
			if (total == NULL)
				dc_bench_die("out of memory");
		}
	free(line);
	fclose(f);
	if (total == NULL)
		dc_bench_die("%s: no total line", path);
	p = strstr(total, "\"signatures\":{");
	if (p == NULL || strstr(total, "\"signature_scan\":{") == NULL)
		dc_bench_die("%s: total line: no \"signatures\" or \"signature_scan\" (a darkcap-gen "
			     "without signature truth)", path);
	p += strlen("\"signatures\":{");
	while (*p == '"' && t->n < DC_SIG_MAX) {
		char *e;

		t->id[t->n] = (uint32_t)strtoul(p + 1, &e, 10);
		if (*e != '"' || e[1] != ':' || e[2] != '{')
			dc_bench_die("%s: total line: signatures: unexpected '%.20s'", path, p);
		t->packets[t->n++] = json_u64_after(e, "\"packets\":");
		p = json_past_object(e + 2);
		if (*p == ',')
			p++;
	}
	p = strstr(total, "\"signature_scan\":{");
	t->payload = json_u64_after(p, "\"payload_packets\":");
	t->bytes = json_u64_after(p, "\"scanned_bytes\":");
	t->matched = json_u64_after(p, "\"matched_packets\":");
	t->have = 1;
	free(total);
}

/* ---- payloads: the ground truth ------------------------------------------ */

/*
 * The TCP/UDP payload of a parsed frame by the definition (docs/SIGNATURES.md),
 * from the header bytes themselves: the IP packet ends at its stated length
 * (IPv4 total length, IPv6 payload length + 40) or at the captured bytes,
 * whichever comes first. Returns its length (0: none) and its offset.
 */
static uint32_t
payload_of(const uint8_t *f, uint32_t caplen, const struct dc_pkt *p, uint32_t *off)
{
	const uint8_t *ip = f + p->l3_off;
	uint32_t stated, end, start;

	if ((p->l3 != DC_L3_IPV4 && p->l3 != DC_L3_IPV6) || p->l4 != DC_L4_PORTS ||
	    (p->proto != 6 && p->proto != 17))
		return 0;
	if (p->l3 == DC_L3_IPV4)
		stated = (uint32_t)ip[2] << 8 | ip[3];
	else
		stated = ((uint32_t)ip[4] << 8 | ip[5]) + 40;
	end = p->l3_off + RTE_MIN(stated, caplen - p->l3_off);
	if (p->proto == 17) {
		start = p->l4_off + 8u;
	} else {
		uint32_t doff = (uint32_t)(f[p->l4_off + 12] >> 4) * 4;

		if (doff < 20)
			return 0;
		start = p->l4_off + doff;
	}
	if (start >= end)
		return 0;
	*off = start;
	return end - start;
}

/* Key of the signature table for one match, hashed: (signature slot, source
 * address and family, destination port, protocol). */
static uint64_t
sig_key_hash(const uint8_t *f, const struct dc_pkt *p, uint16_t slot)
{
	uint8_t k[24];

	memset(k, 0, sizeof(k));
	if (p->l3 == DC_L3_IPV4) {
		memcpy(k, f + p->l3_off + 12, 4);
		k[16] = 4;
	} else {
		memcpy(k, f + p->l3_off + 8, 16);
		k[16] = 6;
	}
	k[17] = p->proto;
	memcpy(k + 18, &slot, 2);
	memcpy(k + 20, &p->dport, 2);
	return dc_bench_hash(k, sizeof(k), 0x5167);
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* @p a and @p b (@p n entries each) hold the same rule indexes. */
static int
same_set(const uint16_t *a, const uint16_t *b, unsigned n)
{
	uint16_t x[DC_SIG_PKT_MATCHES], y[DC_SIG_PKT_MATCHES];

	memcpy(x, a, n * sizeof(*x));
	memcpy(y, b, n * sizeof(*y));
	qsort(x, n, sizeof(*x), cmp_u16);
	qsort(y, n, sizeof(*y), cmp_u16);
	return memcmp(x, y, n * sizeof(*x)) == 0;
}

/*
 * Every payload of @p s, scanned once (untimed): the lists of every,
 * matched and unmatched payload packet, the packets per rule, and the
 * distinct signature-table keys the engine should end with; also scanned
 * with the one-database layout @p sv1, which must find the same rules.
 */
static void
scan_truth(struct stream *s, const struct dc_sig_view *sv, const struct dc_sig_view *sv1,
	   uint32_t payload_max)
{
	struct dc_sig_scratch *scr = sv->scratch[0], *scr1 = sv1->scratch[0];
	uint16_t hit[DC_SIG_PKT_MATCHES], hit1[DC_SIG_PKT_MATCHES];
	uint64_t *keys = NULL, nkeys = 0, kcap = 0;
	struct dc_pkt p;

	s->pay = dc_bench_malloc(s->f.n * sizeof(*s->pay));
	s->pm = dc_bench_malloc(s->f.n * sizeof(*s->pm));
	s->pu = dc_bench_malloc(s->f.n * sizeof(*s->pu));
	for (uint64_t i = 0; i < s->f.n; i++) {
		const uint8_t *f = s->f.frame[i];
		uint32_t off = 0, len;
		struct pay *y;
		unsigned nh;

		dc_parse(f, s->f.caplen[i], &p);
		s->nip += p.l3 == DC_L3_IPV4 || p.l3 == DC_L3_IPV6;
		len = payload_of(f, s->f.caplen[i], &p, &off);
		if (len == 0)
			continue;
		s->payload_bytes += len;
		y = &s->pay[s->npay++];
		y->p = f + off;
		y->len = RTE_MIN(len, payload_max);
		y->dport = p.dport;
		y->proto = p.proto;
		s->bytes += y->len;
		nh = dc_sig_scan(sv->db, scr, p.proto, p.dport, y->p, y->len, hit);
		y->nhit = (uint8_t)nh;
		/* The one-database layout: the same rules, as a set (order may differ). */
		if (dc_sig_scan(sv1->db, scr1, p.proto, p.dport, y->p, y->len, hit1) != nh ||
		    !same_set(hit, hit1, nh))
			s->layout_diff++;
		if (nh == 0) {
			s->pu[s->nu++] = *y;
			s->bytes_u += y->len;
			continue;
		}
		s->pm[s->nm++] = *y;
		s->bytes_m += y->len;
		for (unsigned h = 0; h < nh; h++) {
			s->hits[hit[h]]++;
			s->nhits++;
			if (nkeys == kcap) {
				kcap = kcap ? 2 * kcap : 4096;
				keys = dc_bench_realloc(keys, kcap * sizeof(*keys));
			}
			keys[nkeys++] = sig_key_hash(f, &p, sv->slot[hit[h]]);
		}
	}
	s->sig_keys = dc_bench_count_distinct(keys, nkeys);
	free(keys);
}

/* ---- engine state, as worker.c sets it up -------------------------------- */

struct engine {
	struct dc_counters *c;
	struct dc_burst_ctx *ctx;
	struct dc_tset_ctx *tctx;
	struct dc_tset *ts;
	struct dc_table *sigt;        /* the signature table (ts->sig when on) */
	struct dc_geo_view *geo;      /* as dc_eng.geo */
	struct dc_sig_view *sig;      /* the loaded view (port groups, as the engine loads it) */
	struct dc_sig_view *sig1;     /* the same rules and slots, --compare's layout */
	struct dc_sig_view *sig0;     /* a rule that applies to no payload: nothing scanned */
	struct dc_sig_view *sig_now;  /* as dc_eng.sig: the view, or NULL when off */
	uint64_t hash_seed;
};

/* Everything but the signature table and its refusals. */
static uint64_t
tables_sum(const struct dc_tset *ts)
{
	uint64_t h = dc_bench_tset_sum(ts, 1);

	for (int i = 0; i < DC_TFULL__MAX; i++)
		if (i != DC_TFULL_SIG)
			h = dc_bench_mix64(h ^ ts->full[i]);
	return h;
}

/* ---- timed work ------------------------------------------------------------ */

/* One pass of the worker's per-burst work over @p s; returns the bursts'
 * cycles, summed. Staged: the same work through the inline drivers
 * dc_counters_burst_stages() and dc_tset_burst_stages() (what the library
 * functions are), with the marks. */
static uint64_t
path_pass(struct engine *e, const struct stream *s, int staged)
{
	struct dc_geo_view *const *geop = &e->geo;
	struct dc_sig_view *const *sigp = &e->sig_now;
	uint32_t secs[DC_FP_BURST_MAX];
	uint64_t sum = 0;

	for (uint64_t i = 0; i < s->f.n; i += opt.burst) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)opt.burst, s->f.n - i);
		uint32_t now = DC_BENCH_T0 + (uint32_t)(i >> 20);
		uint64_t t0 = rte_rdtsc_precise();

		/* worker_burst(): the views for this burst, one load each */
		e->tctx->geo = __atomic_load_n(geop, __ATOMIC_ACQUIRE);
		e->tctx->sig = __atomic_load_n(sigp, __ATOMIC_ACQUIRE);
		if (e->tctx->sig)
			e->tctx->sig_scratch = e->tctx->sig->scratch[0];
		for (unsigned k = 0; k < n; k++)
			secs[k] = now;
		if (staged) {
			mark_last = rte_rdtsc_precise();
			dc_counters_burst_stages(e->c, e->ctx, s->f.frame + i, s->f.len + i,
						 s->f.caplen + i, n);
			dc_tset_burst_stages(e->ts, e->tctx, e->ctx, s->f.frame + i, s->f.len + i,
					     secs, n, e->c);
		} else {
			dc_counters_burst(e->c, e->ctx, s->f.frame + i, s->f.len + i,
					  s->f.caplen + i, n);
			dc_tset_burst(e->ts, e->tctx, e->ctx, s->f.frame + i, s->f.len + i, secs, n,
				      e->c);
		}
		sum += rte_rdtsc_precise() - t0;
	}
	return sum;
}

/* Data-path variant @p v from cleared state: opt.passes passes; cycles per
 * packet of the first and of the others into @p out; for the staged
 * variant, the signature stage's cycles per payload packet into @p sig. */
static double
path_run(struct engine *e, const struct stream *s, int v, double out[NB_PASS],
	 double sig[NB_PASS])
{
	double cyc[NB_PASS] = {0, 0}, st[NB_PASS] = {0, 0}, oncpu;

	struct dc_bench_meter m;

	scan_timing = PV_IS_TIMED(v);
	e->ts->sig = v != PV_OFF ? e->sigt : NULL;
	e->sig_now = v == PV_OFF ? NULL
		     : PV_LAYOUT(v) == L_ONE ? e->sig1
		     : PV_LAYOUT(v) == L_NOSCAN ? e->sig0 : e->sig;
	dc_tset_clear(e->ts);
	memset(e->c, 0, sizeof(*e->c));
	dc_bench_meter_start(&m, 0);
	for (unsigned p = 0; p < opt.passes; p++) {
		int k = p == 0 ? PASS_FIRST : PASS_REPEAT;

		mark_sig = mark_sig_n = scan_cyc = scan_n = 0;
		cyc[k] += (double)path_pass(e, s, PV_IS_STAGED(v));
		if (PV_IS_TIMED(v))
			st[k] += (double)scan_cyc - (double)scan_n * mark_cost;
		else
			st[k] += (double)mark_sig - (double)mark_sig_n * mark_cost;
	}
	oncpu = dc_bench_meter_stop(&m, NULL);
	scan_timing = 0;
	for (int k = 0; k < NB_PASS; k++) {
		double np = k == PASS_FIRST ? 1 : opt.passes - 1;

		out[k] = np > 0 ? cyc[k] / (np * (double)s->f.n) : 0;
		if (sig)
			sig[k] = np > 0 && s->npay ? st[k] / (np * (double)s->npay) : 0;
	}
	return oncpu;
}

/* In place of dc_sig_scan() in the reference loop: reads the payload's
 * first and last byte. */
static __attribute__((noinline)) unsigned
scan_none(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto, uint16_t dport,
	  const uint8_t *payload, uint32_t len, uint16_t *out)
{
	unsigned r = payload[0] == 0xa5 && payload[len - 1] == 0x5a && proto == 255;

	__asm__ volatile("" : : "r"(db), "r"(s), "r"(dport), "r"(out) : "memory");
	return r;
}

/* Scan variant @p v: K passes over its list; cycles per payload packet
 * into @p out, matches found into @p found. */
static double
scan_run(const struct engine *e, const struct stream *s, int v, double *out, uint64_t *found)
{
	int l = SV_LIST(v);
	const struct pay *y = v == SV_EMPTY ? s->pay
			      : l == SV_MATCHED ? s->pm
			      : l == SV_UNMATCHED ? s->pu : s->pay;
	uint64_t n = v == SV_EMPTY ? s->npay : l == SV_MATCHED ? s->nm : l == SV_UNMATCHED ? s->nu : s->npay;
	const struct dc_sig_view *sv = v != SV_EMPTY && SV_LAYOUT(v) == L_ONE ? e->sig1 : e->sig;
	const struct dc_sig_db *db = sv->db;
	struct dc_sig_scratch *scr = sv->scratch[0];
	uint16_t hit[DC_SIG_PKT_MATCHES];
	uint64_t t0, t, f = 0;
	struct dc_bench_meter m;
	double oncpu;

	dc_bench_meter_start(&m, 0);
	t0 = rte_rdtsc_precise();
	for (unsigned k = 0; k < opt.scan_passes; k++) {
		if (v == SV_EMPTY)
			for (uint64_t i = 0; i < n; i++)
				f += scan_none(db, scr, y[i].proto, y[i].dport, y[i].p, y[i].len, hit);
		else
			for (uint64_t i = 0; i < n; i++)
				f += dc_sig_scan(db, scr, y[i].proto, y[i].dport, y[i].p, y[i].len, hit);
	}
	t = rte_rdtsc_precise() - t0;
	oncpu = dc_bench_meter_stop(&m, NULL);
	*out = n ? (double)t / (double)(n * opt.scan_passes) : 0;
	*found = f;
	return oncpu;
}

/* ---- checks ------------------------------------------------------------------ */

/* The signature variant's counts and table (state after its run) against
 * the untimed scan of the same payloads. */
static void
check_sig(const struct engine *e, const struct stream *s, int sid)
{
	const struct dc_counters *c = e->c;
	const struct dc_sig_view *sv = e->sig;
	const struct dc_table *t = e->sigt;
	uint64_t P = opt.passes, ruled = 0, every = 0, tp = 0;
	const char *nm = stream_name[sid];

	if (c->sig_payload != P * s->npay || c->sig_bytes != P * s->bytes ||
	    c->sig_matched != P * s->nm)
		check_fail("%s: the engine counted %" PRIu64 " payload packets, %" PRIu64
			   " bytes scanned, %" PRIu64 " matched; the bench's payloads give %" PRIu64
			   ", %" PRIu64 ", %" PRIu64,
			   nm, c->sig_payload, c->sig_bytes, c->sig_matched, P * s->npay,
			   P * s->bytes, P * s->nm);
	for (unsigned i = 0; i < sv->nrules; i++) {
		const struct dc_sig_rule *r = dc_sig_rule(sv->db, i);

		if (c->sig[sv->slot[i]] != P * s->hits[i])
			check_fail("%s: signature %u (%s): the engine counted %" PRIu64
				   " packets, the bench's scan %" PRIu64,
				   nm, r->id, r->name, c->sig[sv->slot[i]], P * s->hits[i]);
		ruled += c->sig[sv->slot[i]];
	}
	for (unsigned k = 0; k < DC_SIG_SLOTS; k++)
		every += c->sig[k];
	if (every != ruled)
		check_fail("%s: %" PRIu64 " packets counted under slots no rule has", nm,
			   every - ruled);
	for (uint64_t i = 0; i < t->used; i++) {
		const struct dc_sig_slot *e1 =
			(const struct dc_sig_slot *)(t->slots + (uint64_t)t->order[i] * t->slot_size);

		tp += e1->packets;
	}
	if (e->ts->full[DC_TFULL_SIG] == 0 && t->used != s->sig_keys)
		check_fail("%s: the signature table holds %" PRIu64 " entries; the matches have "
			   "%" PRIu64 " distinct (signature, source, port) keys",
			   nm, t->used, s->sig_keys);
	if (tp + e->ts->full[DC_TFULL_SIG] != P * s->nhits)
		check_fail("%s: the signature table's entries hold %" PRIu64 " packets (%" PRIu64
			   " refused); the matches are %" PRIu64,
			   nm, tp, e->ts->full[DC_TFULL_SIG], P * s->nhits);
}

/* Index of rule @p id in @p sv, or -1. */
static int
rule_index(const struct dc_sig_view *sv, uint32_t id)
{
	for (unsigned i = 0; i < sv->nrules; i++)
		if (dc_sig_rule(sv->db, i)->id == id)
			return (int)i;
	return -1;
}

/*
 * A generated stream with the default rules: the bench's own payloads and
 * scan against the generator's truth (its own payload rules and matches,
 * computed as it builds each frame): payload-bearing packets, scanned bytes
 * (at the generator's 1024), matched packets, packets per signature.
 */
static void
check_truth(const struct engine *e, const struct stream *s, int sid)
{
	const struct dc_sig_view *sv = e->sig;
	const struct truth *t = &s->tr;
	const char *nm = stream_name[sid];

	if (s->npay != t->payload || s->nm != t->matched ||
	    (opt.payload_max == 1024 && s->bytes != t->bytes))
		check_fail("%s: the bench finds %" PRIu64 " payload-bearing packets, %" PRIu64
			   " bytes scanned, %" PRIu64 " matched; the generator's truth says %" PRIu64
			   ", %" PRIu64 ", %" PRIu64,
			   nm, s->npay, s->bytes, s->nm, t->payload, t->bytes, t->matched);
	for (unsigned i = 0; i < sv->nrules; i++) {
		const struct dc_sig_rule *r = dc_sig_rule(sv->db, i);
		uint64_t want = 0;

		for (unsigned k = 0; k < t->n; k++)
			if (t->id[k] == r->id)
				want = t->packets[k];
		if (s->hits[i] != want)
			check_fail("%s: signature %u (%s): the bench's scan finds %" PRIu64
				   " packets, the generator's truth %" PRIu64,
				   nm, r->id, r->name, s->hits[i], want);
	}
	for (unsigned k = 0; k < t->n; k++)
		if (rule_index(sv, t->id[k]) < 0)
			check_fail("%s: the generator's truth has packets for signature %u, which "
				   "is not loaded", nm, t->id[k]);
}

/* With the default rules on a generated stream: every rule the stream
 * exercises (by the generator's truth) has packets in the engine's counts. */
static void
check_exercised(const struct engine *e, const struct stream *s, int sid)
{
	const struct dc_sig_view *sv = e->sig;
	for (unsigned g = 0; g < s->tr.n; g++) {
		uint32_t id = s->tr.id[g];
		int i = rule_index(sv, id);

		if (s->tr.packets[g] == 0)
			continue;
		if (i < 0)
			check_fail("rule %u, which the generator's mix exercises, is not loaded", id);
		else if (e->c->sig[sv->slot[i]] == 0)
			check_fail("%s: signature %u (%s), which the generator's mix exercises, "
				   "has no packets",
				   stream_name[sid], id, dc_sig_rule(sv->db, (unsigned)i)->name);
	}
}

/* Both data-path variants counted the same packets: blocks equal but for
 * the signature fields, the same source/destination/flowtuple/AS tables. */
static void
check_same(const struct dc_counters *off, const struct dc_counters *on, uint64_t off_tables,
	   uint64_t on_tables, uint64_t n, int sid)
{
	struct dc_counters *b = dc_bench_malloc(sizeof(*b));
	const char *nm = stream_name[sid];

	memcpy(b, on, sizeof(*b));
	b->sig_payload = b->sig_bytes = b->sig_matched = 0;
	memset(b->sig, 0, sizeof(b->sig));
	if (off->sig_payload || off->sig_bytes || off->sig_matched)
		check_fail("%s: signatures off, yet the block has signature counts", nm);
	if (memcmp(off, b, sizeof(*b)) != 0)
		check_fail("%s: the counter blocks with signatures off and on differ outside "
			   "the signature fields (packets %" PRIu64 " / %" PRIu64 ")",
			   nm, off->c[DC_CNT_PACKETS], on->c[DC_CNT_PACKETS]);
	if (off_tables != on_tables)
		check_fail("%s: the source, destination, flowtuple or AS tables differ with "
			   "signatures off and on", nm);
	if (off->c[DC_CNT_PACKETS] != opt.passes * n)
		check_fail("%s: %" PRIu64 " packets counted, %" PRIu64 " given", nm,
			   off->c[DC_CNT_PACKETS], opt.passes * n);
	free(b);
}

/* Nothing scanned: the same packets, payloads and bytes as on, no match,
 * the same source/destination/flowtuple/AS tables. */
static void
check_noscan(const struct dc_counters *on, const struct dc_counters *ns, uint64_t on_tables,
	     uint64_t ns_tables, int sid)
{
	struct dc_counters *a = dc_bench_malloc(sizeof(*a)), *b = dc_bench_malloc(sizeof(*b));
	const char *nm = stream_name[sid];
	uint64_t any = 0;

	for (unsigned k = 0; k < DC_SIG_SLOTS; k++)
		any |= ns->sig[k];
	if (ns->sig_payload != on->sig_payload || ns->sig_bytes != on->sig_bytes ||
	    ns->sig_matched != 0 || any != 0)
		check_fail("%s: nothing scanned: %" PRIu64 " payload packets, %" PRIu64 " bytes, %"
			   PRIu64 " matched; on: %" PRIu64 ", %" PRIu64 ", and none should match",
			   nm, ns->sig_payload, ns->sig_bytes, ns->sig_matched, on->sig_payload,
			   on->sig_bytes);
	memcpy(a, on, sizeof(*a));
	memcpy(b, ns, sizeof(*b));
	a->sig_matched = 0;
	memset(a->sig, 0, sizeof(a->sig));
	b->sig_matched = 0;
	memset(b->sig, 0, sizeof(b->sig));
	if (memcmp(a, b, sizeof(*a)) != 0 || on_tables != ns_tables)
		check_fail("%s: nothing scanned left other counters or tables than on", nm);
	free(a);
	free(b);
}

/* ---- rounds ---------------------------------------------------------------- */

static void
run_stream(struct engine *e, struct stream *s, int sid, int exercised)
{
	struct dc_counters *blk[NB_PV] = {NULL};
	uint64_t sums[NB_PV] = {0}, sigsum[NB_PV] = {0}, f;
	double out[NB_PASS], sig[NB_PASS], v;

	s->oncpu_min = 1;
	/* Untimed warm-up: the tables', frames' and scratch's pages faulted in. */
	for (int p = 0; p < NB_PV; p++)
		path_run(e, s, p, out, NULL);
	scan_run(e, s, SV_ALL, &v, &f);
	scan_run(e, s, SV_ALL1, &v, &f);
	if (s->layout_diff)
		check_fail("%s: the grouped and one-database layouts matched %" PRIu64 " payloads "
			   "differently", stream_name[sid], s->layout_diff);

	for (unsigned round = 0, tries = 0; round < opt.repeat;) {
		int first = round == 0 && tries == 0;
		double lo = 1;

		/* 1. the scan alone, and its reference */
		for (unsigned k = 0; k < NB_SV; k++) {
			int sv = (int)((k + round + tries) % NB_SV);
			uint64_t want = SV_LIST(sv) == SV_UNMATCHED ? 0 : s->nhits * opt.scan_passes;

			lo = RTE_MIN(lo, scan_run(e, s, sv, &s->scan[sv][round], &f));
			if (first && sv != SV_EMPTY && f != want)
				check_fail("%s: the %s scan (%s) found %" PRIu64 " matches, the untimed "
					   "scan %" PRIu64,
					   stream_name[sid], sv_name[sv], layout_name[SV_LAYOUT(sv)], f,
					   want);
		}
		/* 2. the data path, signatures off and on */
		for (unsigned k = 0; k < NB_PV; k++) {
			int pv = (int)((k + round + tries) % NB_PV);

			lo = RTE_MIN(lo, path_run(e, s, pv, out, sig));
			for (int p = 0; p < NB_PASS; p++) {
				s->path[pv][p][round] = out[p];
				if (PV_IS_STAGED(pv))
					s->sig_stage[PV_LAYOUT(pv)][p][round] = sig[p];
				if (PV_IS_TIMED(pv))
					s->sig_scan[PV_LAYOUT(pv)][p][round] = sig[p];
			}
			if (!first)
				continue;
			blk[pv] = dc_bench_malloc(sizeof(*blk[pv]));
			memcpy(blk[pv], e->c, sizeof(*e->c));
			sums[pv] = tables_sum(e->ts);
			if (pv != PV_OFF)
				sigsum[pv] = dc_bench_table_sum(e->sigt, 2) ^
					     e->ts->full[DC_TFULL_SIG];
			if (pv == PV_NOSCAN && (e->sigt->used != 0 || e->ts->full[DC_TFULL_SIG] != 0))
				check_fail("%s: %s: the signature table has %" PRIu64 " entries",
					   stream_name[sid], pv_name[pv], (uint64_t)e->sigt->used);
			if (pv == PV_ON) {
				s->sig_refused = e->ts->full[DC_TFULL_SIG];
				check_sig(e, s, sid);
				if (exercised)
					check_exercised(e, s, sid);
			}
		}
		if (first) {
			check_same(blk[PV_OFF], blk[PV_ON], sums[PV_OFF], sums[PV_ON], s->f.n, sid);
			/* every signature variant: the same blocks and tables, the signature
			 * table included */
			for (int pv = PV_ON1; pv < NB_PV; pv++) {
				if (PV_LAYOUT(pv) == L_NOSCAN)
					continue;
				if (memcmp(blk[PV_ON], blk[pv], sizeof(*blk[PV_ON])) == 0 &&
				    sums[PV_ON] == sums[pv] && sigsum[PV_ON] == sigsum[pv])
					continue;
				if (pv == PV_ON1)
					check_fail("%s: the one-database layout left other counters or "
						   "tables than the grouped one", stream_name[sid]);
				else
					check_fail("%s: %s left other counters or tables than %s "
						   "(dc_counters_burst() + dc_tset_burst())",
						   stream_name[sid], pv_name[pv], pv_name[PV_ON]);
			}
			check_noscan(blk[PV_ON], blk[PV_NOSCAN], sums[PV_ON], sums[PV_NOSCAN], sid);
			if (memcmp(blk[PV_NOSCAN], blk[PV_NOSCAN_STAGED], sizeof(*blk[PV_ON])) != 0 ||
			    sums[PV_NOSCAN] != sums[PV_NOSCAN_STAGED])
				check_fail("%s: %s left other counters or tables than %s",
					   stream_name[sid], pv_name[PV_NOSCAN_STAGED],
					   pv_name[PV_NOSCAN]);
			for (int p = 0; p < NB_PV; p++)
				free(blk[p]);
		}
		if (opt.verbose) {
			printf("#   %s round %u%s: scan grouped %.1f (matched %.1f, unmatched %.1f), "
			       "%s %.1f (matched %.1f, unmatched %.1f), loop %.1f; "
			       "path first / repeat:",
			       stream_name[sid], round, lo < opt.min_oncpu ? " (shared core)" : "",
			       s->scan[SV_ALL][round], s->scan[SV_MATCHED][round],
			       s->scan[SV_UNMATCHED][round], l1, s->scan[SV_ALL1][round],
			       s->scan[SV_MATCHED1][round], s->scan[SV_UNMATCHED1][round],
			       s->scan[SV_EMPTY][round]);
			for (int pv = 0; pv < NB_PV; pv++)
				printf(" %s %.1f / %.1f,", pv_name[pv], s->path[pv][0][round],
				       s->path[pv][1][round]);
			printf(" signature stage grouped %.1f / %.1f, %s %.1f / %.1f, "
			       "nothing scanned %.1f / %.1f per payload packet; lowest on-CPU %.1f%%\n",
			       s->sig_stage[L_GROUPED][0][round], s->sig_stage[L_GROUPED][1][round],
			       l1, s->sig_stage[L_ONE][0][round], s->sig_stage[L_ONE][1][round],
			       s->sig_stage[L_NOSCAN][0][round], s->sig_stage[L_NOSCAN][1][round],
			       100 * lo);
			fflush(stdout);
		}
		if (dc_bench_retry(lo >= opt.min_oncpu, &tries, opt.retry, &s->retries)) {
			s->oncpu_min = RTE_MIN(s->oncpu_min, lo);
			round++;
		}
	}
}

/* ---- output ------------------------------------------------------------------ */

static void
print_scan(struct stream *ss)
{
	printf("\n### 1. dc_sig_scan() alone, per payload-bearing packet\n\n");
	printf("TSC cycles, median of %u rounds (variants rotated per round), each round %u passes "
	       "over the list; payloads scanned over their first %u bytes at most. Layouts: "
	       "grouped (a database per protocol and port group, the default: the groups whose "
	       "every rule is in its subset decided by darkcap's matcher, the others by Hyperscan) "
	       "and %s.\n\n",
	       opt.repeat, opt.scan_passes, opt.payload_max,
	       l1_flags == DC_SIG_NO_FAST ? "Hyperscan alone (the same groups, every one scanned by "
					    "Hyperscan: DC_SIG_NO_FAST)"
					  : "one database of every rule (DC_SIG_ONE_DB, the filter "
					    "after each match)");
	printf("| stream | layout | payloads | packets | mean bytes scanned | cycles / packet | "
	       "cycles / byte | scan minus the reference loop, cycles / packet | per round |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (int sid = 0; sid < NB_STREAM; sid++) {
		struct stream *s = &ss[sid];
		double ref;

		if (!s->on)
			continue;
		ref = dc_bench_median(s->scan[SV_EMPTY], opt.repeat);
		for (int v = 0; v < NB_SV; v++) {
			int l = v == SV_EMPTY ? SV_ALL : SV_LIST(v);
			uint64_t n = l == SV_MATCHED ? s->nm : l == SV_UNMATCHED ? s->nu : s->npay;
			uint64_t b = l == SV_MATCHED ? s->bytes_m : l == SV_UNMATCHED ? s->bytes_u : s->bytes;
			double c = dc_bench_median(s->scan[v], opt.repeat);
			double mb = n ? (double)b / (double)n : 0;
			const char *lay = v == SV_EMPTY ? "-" : layout_name[SV_LAYOUT(v)];

			if (n == 0) {
				printf("| %s | %s | %s | 0 | - | - | - | - | - |\n", stream_name[sid], lay,
				       sv_name[v]);
				continue;
			}
			printf("| %s | %s | %s | %" PRIu64 " | %.1f | %.1f | %.2f |", stream_name[sid],
			       lay, sv_name[v], n, mb, c, mb > 0 ? c / mb : 0);
			if (v == SV_EMPTY)
				printf(" - |");
			else
				printf(" %.1f |", c - ref);
			dc_bench_md_values(s->scan[v], opt.repeat);
			printf("\n");
		}
		printf("| %s | grouped / %s | every payload | | | **%.3f** | | | |\n",
		       stream_name[sid], l1,
		       dc_bench_median(s->scan[SV_ALL], opt.repeat) /
			       dc_bench_median(s->scan[SV_ALL1], opt.repeat));
	}
}

/* Median over the rounds of variant @p a's cycles over variant @p b's (the
 * two ran back to back in each round). */
static double
paired(const struct stream *s, int a, int b, int p)
{
	double r[MAX_REP];

	for (unsigned i = 0; i < opt.repeat; i++)
		r[i] = s->path[a][p][i] / s->path[b][p][i];
	return dc_bench_median(r, opt.repeat);
}

static void
print_path(struct stream *ss)
{
	static const char *const pass_name[NB_PASS] = {"first (tables empty)", "repeat (keys in)"};
	static const int rows[] = {PV_OFF, PV_ON, PV_ON1, PV_NOSCAN};

	printf("\n### 2. The data path, signatures off and on\n\n");
	printf("TSC cycles per packet of dc_counters_burst() + dc_tset_burst() and the burst's "
	       "set-up, rte_rdtsc_precise() around each burst of %u; median of %u rounds "
	       "(the variants' order rotated per round); each run %u passes over the stream from "
	       "cleared tables: the first pass, and the %u others. On: the rules grouped (the "
	       "engine's dc_sig_view_load()); %s, same rules and "
	       "slots; and nothing scanned (one UDP rule on port 0: every payload found and "
	       "counted, dc_sig_scan() called, no Hyperscan scan, no match). / off: the ratio of "
	       "the medians; paired: the median over rounds of each round's ratio (the variants "
	       "of a round run back to back: the steadier figure on a shared machine). Signature "
	       "stage: the cycles of dc_tset_sig() "
	       "inside the same path (runs of their own, through the inline drivers with a TSC "
	       "mark after each stage); dc_sig_scan() in the path: the cycles of the stage's "
	       "dc_sig_scan() calls (runs of their own, each call timed through a link-time "
	       "wrapper); one mark's cost, %.1f cycles, subtracted from each; per "
	       "payload-bearing packet.\n\n",
	       opt.burst, opt.repeat, opt.passes, opt.passes - 1,
	       l1_flags == DC_SIG_NO_FAST ? "scanned by Hyperscan alone (DC_SIG_NO_FAST)"
					  : "in one database (DC_SIG_ONE_DB)",
	       mark_cost);
	printf("| stream | pass | variant | cycles / packet | / off | **/ off, paired** | (variant - "
	       "off) per payload packet | signature stage in the path, per payload packet | "
	       "dc_sig_scan() in the path, per payload packet | scan alone, per payload packet | "
	       "per round |\n"
	       "|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (int sid = 0; sid < NB_STREAM; sid++) {
		struct stream *s = &ss[sid];
		double k = s->npay ? (double)s->f.n / (double)s->npay : 0;

		if (!s->on)
			continue;
		for (int p = 0; p < NB_PASS; p++) {
			double off = dc_bench_median(s->path[PV_OFF][p], opt.repeat);

			if (p == PASS_REPEAT && opt.passes < 2)
				continue;
			for (size_t r = 0; r < DC_ARRAY_SIZE(rows); r++) {
				int v = rows[r];
				double c = dc_bench_median(s->path[v][p], opt.repeat);

				printf("| %s | %s | %s | %.1f |", stream_name[sid], pass_name[p],
				       pv_name[v], c);
				if (v == PV_OFF) {
					printf(" - | - | - | - | - | - |");
				} else {
					int l = PV_LAYOUT(v);

					printf(" %.3f | **%.3f** | %.0f | %.0f |", c / off,
					       paired(s, v, PV_OFF, p), (c - off) * k,
					       dc_bench_median(s->sig_stage[l][p], opt.repeat));
					if (l == L_NOSCAN)
						printf(" - | - |");
					else
						printf(" %.0f | %.0f |",
						       dc_bench_median(s->sig_scan[l][p], opt.repeat),
						       dc_bench_median(s->scan[l == L_ONE ? SV_ALL1
											  : SV_ALL],
								       opt.repeat));
				}
				dc_bench_md_values(s->path[v][p], opt.repeat);
				printf("\n");
			}
		}
	}
	printf("\nPayload-bearing packets: ");
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on)
			printf("%s%s %.2f%% of the frames", sid ? ", " : "", stream_name[sid],
			       100.0 * (double)ss[sid].npay / (double)ss[sid].f.n);
	printf(".\n\n");
	for (int sid = 0; sid < NB_STREAM; sid++) {
		struct stream *s = &ss[sid];
		int p = opt.passes > 1 ? PASS_REPEAT : PASS_FIRST;
		double off, r, r1, r0, pg, p1;

		if (!s->on)
			continue;
		off = dc_bench_median(s->path[PV_OFF][p], opt.repeat);
		r = dc_bench_median(s->path[PV_ON][p], opt.repeat) / off;
		r1 = dc_bench_median(s->path[PV_ON1][p], opt.repeat) / off;
		r0 = dc_bench_median(s->path[PV_NOSCAN][p], opt.repeat) / off;
		pg = paired(s, PV_ON, PV_OFF, p);
		p1 = paired(s, PV_ON1, PV_OFF, p);
		printf("%s (%s pass): on / off = grouped %.3f (paired %.3f), %s %.3f "
		       "(paired %.3f), nothing scanned %.3f (paired %.3f); grouped / %s "
		       "paired %.3f; target <= 1.10 (paired): grouped %s, %s %s\n",
		       stream_name[sid], p == PASS_REPEAT ? "repeat" : "first", r, pg, l1, r1, p1, r0,
		       paired(s, PV_NOSCAN, PV_OFF, p), l1, paired(s, PV_ON, PV_ON1, p),
		       pg <= 1.10 ? "met" : "NOT met", l1, p1 <= 1.10 ? "met" : "NOT met");
	}
}

static void
print_sigs(const struct engine *e, struct stream *ss)
{
	const struct dc_sig_view *sv = e->sig;

	printf("\n### 3. Packets per signature, per pass over the stream\n\n");
	printf("The bench's own scan of the payloads; the engine's counts (signatures on) are "
	       "checked equal to %u times these.\n\n|id | name | family |",
	       opt.passes);
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on)
			printf(" %s |", stream_name[sid]);
	printf("\n|---|---|---|");
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on)
			printf("---|");
	printf("\n");
	for (unsigned i = 0; i < sv->nrules; i++) {
		const struct dc_sig_rule *r = dc_sig_rule(sv->db, i);

		printf("| %u | %s | %s |", r->id, r->name, r->family);
		for (int sid = 0; sid < NB_STREAM; sid++)
			if (ss[sid].on)
				printf(" %" PRIu64 " |", ss[sid].hits[i]);
		printf("\n");
	}
	printf("| | matched packets (any signature) | |");
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on)
			printf(" %" PRIu64 " |", ss[sid].nm);
	printf("\n");
}

/* ---- the other views ------------------------------------------------------------ */

/*
 * Rules files @p rules (comma-separated, as the configuration gives them)
 * loaded with @p flags, as a view with a scratch. @p sv not NULL: the same
 * rules as @p sv (checked), with its counter slots; NULL: every rule gets
 * slot 0 (a rule set that must never match).
 */
static struct dc_sig_view *
extra_view(const struct dc_sig_view *sv, const char *rules, unsigned flags, const char *what)
{
	char *list = dc_strdup(rules), *save = NULL, *f;
	const char *files[64];
	struct dc_sig_view *v;
	struct dc_sig_db *db;
	unsigned nfiles = 0;

	for (f = strtok_r(list, ",", &save); f && nfiles < DC_ARRAY_SIZE(files);
	     f = strtok_r(NULL, ",", &save)) {
		while (*f == ' ')
			f++;
		if (*f != '\0')
			files[nfiles++] = f;
	}
	db = nfiles ? dc_sig_load_opts(files, nfiles, NULL, flags) : NULL;
	dc_free(list);
	if (db == NULL)
		dc_bench_die("signatures, %s: %s", what, nfiles ? dc_strerror() : "no rules file");
	v = dc_calloc(1, sizeof(*v));
	v->db = db;
	v->nrules = dc_sig_count(db);
	v->payload_max = opt.payload_max;
	v->slot = dc_calloc(v->nrules, sizeof(v->slot[0]));
	if (sv != NULL) {
		if (v->nrules != sv->nrules)
			dc_bench_die("signatures, %s: %u rules, grouped %u", what, v->nrules,
				     sv->nrules);
		for (unsigned i = 0; i < sv->nrules; i++)
			if (dc_sig_rule(db, i)->id != dc_sig_rule(sv->db, i)->id)
				dc_bench_die("signatures, %s: rule %u is %u, grouped %u", what, i,
				    dc_sig_rule(db, i)->id, dc_sig_rule(sv->db, i)->id);
		memcpy(v->slot, sv->slot, sv->nrules * sizeof(v->slot[0]));
	}
	v->nb_scratch = 1;
	v->scratch = dc_calloc(1, sizeof(v->scratch[0]));
	v->scratch[0] = dc_sig_scratch_new(db);
	if (v->scratch[0] == NULL)
		dc_bench_die("signatures, %s: %s", what, dc_strerror());
	return v;
}

/* ---- options ------------------------------------------------------------------ */

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [options]\n"
	       "  --repeat R          rounds, medians reported (default 5, at most %d)\n"
	       "  --passes P          passes over a stream per data-path run (default 4; the\n"
	       "                      first from empty tables)\n"
	       "  --scan-passes K     passes over the payloads per scan run (default 8)\n"
	       "  --burst B           packets per burst (default 32)\n"
	       "  --pcap FILE         the mix from this capture instead of darkcap-gen's\n"
	       "  --gen PATH          darkcap-gen to run (default the build's)\n"
	       "  --gen-packets N     frames to generate (default: the generator's default)\n"
	       "  --heavy-share S     payload share of the payload-heavy stream (default 0.2;\n"
	       "                      needs darkcap-gen --payload-share)\n"
	       "  --heavy-pcap FILE   the payload-heavy stream from this capture\n"
	       "  --no-heavy          no payload-heavy stream\n"
	       "  --rules FILE[,FILE] rules files (default lib/sig/rules/default.rules)\n"
	       "  --payload-max N     payload bytes scanned (default sig_payload_max, 1024)\n"
	       "  --geo-country FILE  country database (.mmdb or CSV; default synthetic)\n"
	       "  --geo-asn FILE      AS database (default synthetic)\n"
	       "  --no-geo            no geo databases in either variant\n"
	       "  --retry K           reruns of a round taken off the CPU (default 3)\n"
	       "  --seed S            seed of the synthetic databases and hash keys\n"
	       "  --quick             small and short (the smoke test)\n"
	       "  --verbose           every round\n"
	       "  --compare L         the second layout: hyperscan (the same groups, every one\n"
	       "                      scanned by Hyperscan, DC_SIG_NO_FAST; the default) or\n"
	       "                      one-db (one database of every rule, DC_SIG_ONE_DB)\n",
	       prog, MAX_REP);
}

static uint64_t
parse_u64(const char *s, const char *name, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	if (dc_bench_parse_u64(name, s, 0, lo, hi, &v) != 0) {
		fprintf(stderr, "darkcap-sig-bench: %s\n", dc_strerror());
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"repeat", required_argument, NULL, 'r'},
		{"passes", required_argument, NULL, 'p'},
		{"scan-passes", required_argument, NULL, 'k'},
		{"burst", required_argument, NULL, 'b'},
		{"pcap", required_argument, NULL, 'P'},
		{"gen", required_argument, NULL, 'G'},
		{"gen-packets", required_argument, NULL, 'g'},
		{"heavy-share", required_argument, NULL, 'S'},
		{"heavy-pcap", required_argument, NULL, 'H'},
		{"no-heavy", no_argument, NULL, 'n'},
		{"rules", required_argument, NULL, 'R'},
		{"payload-max", required_argument, NULL, 'm'},
		{"geo-country", required_argument, NULL, 'C'},
		{"geo-asn", required_argument, NULL, 'A'},
		{"no-geo", no_argument, NULL, 'N'},
		{"retry", required_argument, NULL, 'T'},
		{"seed", required_argument, NULL, 's'},
		{"quick", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"compare", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, gen_set = 0, passes_set = 0, scan_set = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			opt.repeat = (unsigned)parse_u64(optarg, "repeat", 1, MAX_REP);
			break;
		case 'c':
			if (strcmp(optarg, "hyperscan") == 0) {
				l1 = "Hyperscan alone";
				l1_flags = DC_SIG_NO_FAST;
			} else if (strcmp(optarg, "one-db") == 0) {
				l1 = "one database";
				l1_flags = DC_SIG_ONE_DB;
			} else {
				dc_bench_die("--compare: hyperscan or one-db, not '%s'", optarg);
			}
			layout_name[L_ONE] = l1;
			pv_name[PV_ON1] = l1_flags == DC_SIG_NO_FAST ? "on (Hyperscan alone)"
								     : "on (one database)";
			pv_name[PV_STAGED1] = l1_flags == DC_SIG_NO_FAST ? "on (Hyperscan alone), staged"
									 : "on (one database), staged";
			pv_name[PV_TIMED1] = l1_flags == DC_SIG_NO_FAST
						     ? "on (Hyperscan alone), scans timed"
						     : "on (one database), scans timed";
			break;
		case 'p':
			opt.passes = (unsigned)parse_u64(optarg, "passes", 1, 1000);
			passes_set = 1;
			break;
		case 'k':
			opt.scan_passes = (unsigned)parse_u64(optarg, "scan-passes", 1, 100000);
			scan_set = 1;
			break;
		case 'b':
			opt.burst = (unsigned)parse_u64(optarg, "burst", 1, DC_FP_BURST_MAX);
			break;
		case 'P':
			opt.pcap = optarg;
			break;
		case 'G':
			opt.gen = optarg;
			break;
		case 'g':
			opt.gen_packets = parse_u64(optarg, "gen-packets", 1, 100000000);
			gen_set = 1;
			break;
		case 'S':
			opt.heavy_share = strtod(optarg, &end);
			if (*end || !(opt.heavy_share > 0 && opt.heavy_share <= 1)) {
				fprintf(stderr, "darkcap-sig-bench: --heavy-share: 0 < S <= 1\n");
				exit(2);
			}
			break;
		case 'H':
			opt.heavy_pcap = optarg;
			break;
		case 'n':
			opt.no_heavy = 1;
			break;
		case 'R':
			opt.rules = optarg;
			break;
		case 'm':
			opt.payload_max = (uint32_t)parse_u64(optarg, "payload-max", 1, 65535);
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
		case 'T':
			opt.retry = (unsigned)parse_u64(optarg, "retry", 0, 100);
			break;
		case 's':
			opt.seed = parse_u64(optarg, "seed", 0, UINT64_MAX);
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
	if (optind < argc) {
		usage(argv[0]);
		exit(2);
	}
	if (opt.quick) {
		if (!gen_set)
			opt.gen_packets = 20000;
		if (!passes_set)
			opt.passes = 2;
		if (!scan_set)
			opt.scan_passes = 2;
		opt.repeat = RTE_MIN(opt.repeat, 2u);
		opt.retry = RTE_MIN(opt.retry, 1u);
	}
}

static void
free_stream(struct stream *s)
{
	uint64_t n = s->f.n;

	dc_bench_frames_free(&s->f);
	s->f.n = n; /* in the results */
	free(s->pay);
	free(s->pm);
	free(s->pu);
	s->pay = s->pm = s->pu = NULL;
}

/* Read stream @p sid from @p path, find its payloads and size its tables:
 * worker.c's sizes from the default configuration, raised to the stream's
 * distinct keys when it has more. */
static void
prepare_stream(struct engine *e, struct stream *s, int sid, const char *path,
	       const struct dc_config *cfg, struct dc_config *tc)
{
	struct dc_tset *tiny;

	dc_bench_pcap_load(path, &s->f);
	scan_truth(s, e->sig, e->sig1, e->sig->payload_max);
	if (s->generated)
		read_truth(s->truth_path, &s->tr);
	if (s->tr.have && default_rules)
		check_truth(e, s, sid);
	*tc = *cfg;
	tc->sources_max = tc->destinations_max = tc->flowtuples_max = 1;
	/* the keys stage only looks at ts->flow */
	tiny = dc_bench_tset_create(tc, e->hash_seed, (int)rte_socket_id());
	if (tiny == NULL)
		dc_bench_die("out of DPDK memory");
	dc_bench_count_keys(&s->f, opt.burst, e->ctx, e->tctx, tiny, s->nip, &s->distinct_src,
			    &s->distinct_dst, &s->distinct_flow);
	dc_bench_tset_free(tiny);
	*tc = *cfg;
	tc->sources_max = (uint32_t)RTE_MAX((uint64_t)cfg->sources_max, s->distinct_src);
	tc->destinations_max = (uint32_t)RTE_MAX((uint64_t)cfg->destinations_max, s->distinct_dst);
	if (cfg->flowtuples_max)
		tc->flowtuples_max = (uint32_t)RTE_MAX((uint64_t)cfg->flowtuples_max, s->distinct_flow);
	s->tset_bytes = dc_bench_tset_size(tc);
	s->sig_bytes = dc_tset_sig_bytes(cfg->sig_table_max);
	s->on = 1;
}

static void
print_stream(const struct stream *s, int sid, const struct dc_config *tc)
{
	printf("%s: %s: %" PRIu64 " frames, %" PRIu64 " IP; payload-bearing %" PRIu64
	       " (%.2f%% of frames, %.2f%% of IP), mean payload %.1f bytes, %.1f scanned; "
	       "%" PRIu64 " matched a signature (%.2f%% of payloads), %" PRIu64
	       " matches, %" PRIu64 " distinct (signature, source, port); %" PRIu64
	       " sources, %" PRIu64 " destinations, %" PRIu64 " flowtuples; tables %zu MiB "
	       "(sources_max %u, destinations_max %u, flowtuples_max %u) + signature table %zu MiB "
	       "(sig_table_max %u)%s\n",
	       stream_name[sid], s->what, s->f.n, s->nip, s->npay,
	       100.0 * (double)s->npay / (double)s->f.n,
	       s->nip ? 100.0 * (double)s->npay / (double)s->nip : 0,
	       s->npay ? (double)s->payload_bytes / (double)s->npay : 0,
	       s->npay ? (double)s->bytes / (double)s->npay : 0, s->nm,
	       s->npay ? 100.0 * (double)s->nm / (double)s->npay : 0, s->nhits, s->sig_keys,
	       s->distinct_src, s->distinct_dst, s->distinct_flow, s->tset_bytes >> 20,
	       tc->sources_max, tc->destinations_max, tc->flowtuples_max, s->sig_bytes >> 20,
	       tc->sig_table_max,
	       !s->generated   ? ""
	       : default_rules ? "; payloads, bytes, matches and packets per signature checked "
				 "against the generator's truth"
			       : "; other rules: the generator's truth not compared");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct stream ss[NB_STREAM];
	char cpu[128], path[NB_STREAM][256], gc[256], ga[256], share[32], np[32];
	const char *heavy_note = NULL;
	struct dc_config cfg;
	struct engine e;
	double tsc_hz, t;
	int n;

	n = dc_bench_eal_init("darkcap-sig-bench", argc, argv);
	argc -= n;
	argv += n;
	parse_args(argc, argv);
	default_rules = strcmp(opt.rules, RULES_DEFAULT) == 0;
	tsc_hz = (double)rte_get_tsc_hz();
	dc_bench_cpu_name(cpu, sizeof(cpu));
	if (dc_fp_select(DC_FP_AUTO) != 0)
		dc_bench_die("fingerprint kernel: %s", dc_strerror());
	mark_cost = mark_overhead();

	memset(&e, 0, sizeof(e));
	e.hash_seed = dc_bench_mix64(opt.seed ^ 0x7ab1e);
	dc_config_defaults(&cfg);
	cfg.signatures = dc_strdup(opt.rules);
	dc_free(cfg.sig_cache_dir);
	cfg.sig_cache_dir = dc_strdup("off");
	if (opt.payload_max)
		cfg.sig_payload_max = opt.payload_max;
	opt.payload_max = cfg.sig_payload_max;

	/* the views, as the engine loads them */
	if (!opt.no_geo) {
		cfg.geo_country = dc_strdup(dc_bench_geo_csv(opt.geo_country, 0, opt.quick, opt.seed,
							     opt.verbose, gc, sizeof(gc)));
		cfg.geo_asn = dc_strdup(dc_bench_geo_csv(opt.geo_asn, 1, opt.quick, opt.seed,
							 opt.verbose, ga, sizeof(ga)));
		t = (double)rte_rdtsc();
		e.geo = dc_geo_view_load(&cfg);
		if (e.geo == NULL)
			dc_bench_die("geo: %s", dc_strerror());
		printf("geo: %u countries from %s, %u ASes from %s (loaded in %.1f s)\n",
		       e.geo->nb_cc - 1u, opt.geo_country ? opt.geo_country : "a synthetic CSV",
		       e.geo->nb_as - 1u, opt.geo_asn ? opt.geo_asn : "a synthetic CSV",
		       ((double)rte_rdtsc() - t) / tsc_hz);
	}
	t = (double)rte_rdtsc();
	e.sig = dc_sig_view_load(&cfg, 1);
	if (e.sig == NULL || dc_sig_view_bind(e.sig) != 0)
		dc_bench_die("signatures: %s", dc_strerror());
	printf("signatures: %u rules from %s in %u databases (grouped by protocol and port), "
	       "compiled in %.2f s, payloads scanned over %u bytes at most\n",
	       e.sig->nrules, opt.rules, dc_sig_db_count(e.sig->db),
	       ((double)rte_rdtsc() - t) / tsc_hz, e.sig->payload_max);
	if (dc_sig_cache_note(e.sig->db))
		printf("signatures: %s\n", dc_sig_cache_note(e.sig->db));
	t = (double)rte_rdtsc();
	e.sig1 = extra_view(e.sig, cfg.signatures, l1_flags, l1);
	printf("signatures, %s (%s, for comparison): compiled in %.2f s\n", l1,
	       l1_flags == DC_SIG_NO_FAST ? "DC_SIG_NO_FAST" : "DC_SIG_ONE_DB",
	       ((double)rte_rdtsc() - t) / tsc_hz);
	{
		unsigned fg = 0, fr = dc_sig_fast_count(e.sig->db, &fg);

		printf("signatures, grouped: %u rules taken by darkcap's matcher (%u floating), %u of "
		       "%u groups decided without Hyperscan\n",
		       fr, dc_sig_floating_count(e.sig->db), fg, dc_sig_db_count(e.sig->db));
	}
	{
		char nr[256];
		FILE *fp = fopen(dc_bench_tmp_path("noscan.rules", nr, sizeof(nr)), "w");

		/* UDP port 0 only: no payload of a stream is scanned */
		if (fp == NULL || fprintf(fp, "1 noscan noscan udp 0 /\\A\\xff\\xfe\\xfd\\xfc/\n") < 0 ||
		    fclose(fp) != 0)
			dc_bench_die("%s: cannot write", nr);
		e.sig0 = extra_view(NULL, nr, 0, "nothing scanned");
	}
	dc_bench_scratch_new(&e.c, &e.ctx, &e.tctx, (int)rte_socket_id());
	e.sigt = dc_bench_table_create(cfg.sig_table_max, dc_table_slots_for(cfg.sig_table_max),
				       sizeof(struct dc_sig_key), DC_SIG_SLOT, e.hash_seed,
				       (int)rte_socket_id());
	if (e.sigt == NULL)
		dc_bench_die("out of DPDK memory (raise -m)");

	/* the streams */
	snprintf(np, sizeof(np), "%" PRIu64, opt.gen_packets);
	if (opt.pcap) {
		snprintf(path[S_MIX], sizeof(path[S_MIX]), "%s", opt.pcap);
		snprintf(ss[S_MIX].what, sizeof(ss[S_MIX].what), "%s", opt.pcap);
	} else {
		generate("mix.pcap", NULL, path[S_MIX], sizeof(path[S_MIX]), ss[S_MIX].truth_path,
			 sizeof(ss[S_MIX].truth_path));
		ss[S_MIX].generated = 1;
		snprintf(ss[S_MIX].what, sizeof(ss[S_MIX].what), "darkcap-gen%s%s (default mix)",
			 opt.gen_packets ? " --packets " : "", opt.gen_packets ? np : "");
	}
	path[S_HEAVY][0] = '\0';
	if (opt.heavy_pcap) {
		snprintf(path[S_HEAVY], sizeof(path[S_HEAVY]), "%s", opt.heavy_pcap);
		snprintf(ss[S_HEAVY].what, sizeof(ss[S_HEAVY].what), "%s", opt.heavy_pcap);
	} else if (opt.no_heavy) {
		heavy_note = "not asked for (--no-heavy)";
	} else {
		const char *extra[] = {"--payload-share", share, NULL};

		snprintf(share, sizeof(share), "%g", opt.heavy_share);
		generate("heavy.pcap", extra, path[S_HEAVY], sizeof(path[S_HEAVY]),
			 ss[S_HEAVY].truth_path, sizeof(ss[S_HEAVY].truth_path));
		ss[S_HEAVY].generated = 1;
		snprintf(ss[S_HEAVY].what, sizeof(ss[S_HEAVY].what), "darkcap-gen%s%s --payload-share %s",
			 opt.gen_packets ? " --packets " : "", opt.gen_packets ? np : "", share);
	}

	printf("darkcap-sig-bench: %s, TSC %.0f Hz, lcore %u, hugepages %s, fingerprints %s, "
	       "burst %u, %u rounds\n",
	       cpu, tsc_hz, rte_lcore_id(), rte_eal_has_hugepages() ? "yes" : "no (--no-huge)",
	       dc_fp_impl_name(), opt.burst, opt.repeat);
	fflush(stdout);
	for (int sid = 0; sid < NB_STREAM; sid++) {
		struct dc_config tc;

		if (path[sid][0] == '\0')
			continue;
		prepare_stream(&e, &ss[sid], sid, path[sid], &cfg, &tc);
		e.ts = dc_bench_tset_create(&tc, e.hash_seed, (int)rte_socket_id());
		if (e.ts == NULL)
			dc_bench_die("cannot allocate the table set: %zu MiB (raise -m)",
				     ss[sid].tset_bytes >> 20);
		print_stream(&ss[sid], sid, &tc);
		run_stream(&e, &ss[sid], sid, default_rules && ss[sid].generated);
		dc_bench_tset_free(e.ts);
		e.ts = NULL;
		free_stream(&ss[sid]);
	}
	if (heavy_note)
		printf("payload-heavy: %s\n", heavy_note);

	print_scan(ss);
	print_path(ss);
	print_sigs(&e, ss);
	printf("\nCPU %s, TSC %.0f Hz, hugepages %s; lowest on-CPU share of a kept round: ", cpu,
	       tsc_hz, rte_eal_has_hugepages() ? "yes" : "no");
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on)
			printf("%s%s %.1f%% (%" PRIu64 " rounds rerun)", sid ? ", " : "",
			       stream_name[sid], 100 * ss[sid].oncpu_min, ss[sid].retries);
	printf("\n");
	for (int sid = 0; sid < NB_STREAM; sid++)
		if (ss[sid].on && ss[sid].sig_refused)
			printf("%s: the signature table refused %" PRIu64 " matches (sig_table_max %u)\n",
			       stream_name[sid], ss[sid].sig_refused, cfg.sig_table_max);
	if (checks_failed)
		printf("%d CHECKS FAILED\n", checks_failed);
	else
		printf("checks passed: off and on counted the same packets (blocks equal but for "
		       "the signature fields, same tables); grouped and %s found the same "
		       "rules in every payload and left identical blocks and tables; the engine's "
		       "payload, byte, match and per-signature counts and its signature table equal "
		       "the bench's own scan%s\n",
		       l1, default_rules ? " (itself equal to the generator's truth where it wrote one); "
				       "every rule the generated streams exercise has packets"
				     : "");
	fflush(stdout);

	rte_free(e.sigt);
	dc_bench_scratch_free(e.c, e.ctx, e.tctx);
	dc_sig_view_free(e.sig0);
	dc_sig_view_free(e.sig1);
	dc_sig_view_free(e.sig);
	if (e.geo)
		dc_geo_view_free(e.geo);
	dc_config_free(&cfg);
	rte_eal_cleanup();
	return checks_failed ? 1 : 0;
}
