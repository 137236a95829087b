/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A worker's table set for one interval: per-source, per-destination and
 * per-flowtuple tables (lib/table), filled by dc_tset_burst() from the
 * burst the counters were just taken from. docs/TABLES.md defines every
 * value.
 *
 * Keys carry the address family, so an IPv4 source and an IPv6 source are
 * never the same key whatever their bits.
 */
#ifndef DC_TSET_H
#define DC_TSET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dc_counters.h"
#include "dc_geo.h"
#include "dc_sig.h"
#include "dc_table.h"
#include "dc_telescope.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Distinct destination ports a source value keeps exactly. */
#define DC_SRC_PORTS 8

/** Address key: 16 address bytes (IPv4 in the first 4), family 4 or 6. */
struct dc_addr_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[7];
};

/** Bytes of an address key the tables compare: the address and the family. */
#define DC_ADDR_KEY_LEN 17
/** dc_src_slot.nports: set when a ninth distinct port was seen. */
#define DC_SRC_MORE 0x80
/** Ports a source slot keeps in its hot line; the rest are in the cold record. */
#define DC_SRC_HOT_PORTS 3

/**
 * A worker's per-source slot: one cache line with everything a typical
 * packet updates. The key is its first DC_ADDR_KEY_LEN bytes (the table
 * compares those only). What a packet rarely touches (first seen, AS,
 * ports past the third, "other" protocols, the high words of the 32-bit
 * counters) is in the source's cold record, written whole when the source
 * is inserted, in insertion order: a sequential write, not a second random
 * cache line. Every count is exact to 64 bits: a 32-bit counter that wraps
 * carries into its high word in the cold record.
 *
 * The country is here, looked up once when the source is inserted: the
 * control core counts the source's packets under it when it merges the set,
 * without a database lookup or a per-packet count (docs/GEO.md, "One lookup
 * per source").
 */
struct dc_src_slot {
	uint8_t addr[16];
	uint8_t family;        /**< 4 or 6: the key ends here */
	uint8_t nports;        /**< distinct TCP/UDP destination ports kept (<= 8) | DC_SRC_MORE */
	uint16_t port0;        /**< first distinct port */
	uint32_t cold;         /**< index of the cold record */
	uint32_t bytes;        /**< low word */
	uint32_t last;         /**< last packet's time, Unix seconds */
	uint32_t tcp, udp, icmp; /**< low words (ICMP = protocols 1 and 58) */
	uint32_t mirai, zmap, masscan; /**< low words */
	uint16_t port12[2];    /**< second and third distinct ports */
	uint16_t country;      /**< dc_cc_index() of the country (0 = unknown or no database) */
	uint16_t pad;
};

/** Counters whose high words are in the cold record. */
enum { DC_SRC_HI_TCP, DC_SRC_HI_UDP, DC_SRC_HI_ICMP, DC_SRC_HI_OTHER, DC_SRC_HI_MIRAI,
       DC_SRC_HI_ZMAP, DC_SRC_HI_MASSCAN, DC_SRC_HI_BYTES, DC_SRC_HI__MAX };

/** A source's cold record (see dc_src_slot). */
struct dc_src_cold {
	uint32_t first;        /**< first packet's time, Unix seconds */
	uint16_t pad0;
	uint16_t ports[5];     /**< fourth to eighth distinct ports */
	uint32_t asn;          /**< AS number (0 = unknown or no database) */
	uint32_t other;        /**< packets of other IP protocols, low word */
	uint32_t hi[DC_SRC_HI__MAX]; /**< high words of the 32-bit counters */
	uint32_t pad[2];
};

/** A source's values as the control core keeps them (64-bit, merged). */
struct dc_src_val {
	uint64_t packets;
	uint64_t bytes;
	uint64_t mirai, zmap, masscan;
	uint64_t tcp, udp, icmp, other; /**< protocol mix (ICMP = 1 and 58) */
	uint32_t first;        /**< first packet's time, Unix seconds */
	uint32_t last;         /**< last packet's time */
	uint8_t nports;        /**< distinct TCP/UDP destination ports kept (<= 8) */
	uint8_t more;          /**< 1 when a ninth distinct port was seen */
	uint16_t ports[DC_SRC_PORTS];
	uint16_t country;      /**< dc_cc_index() of the country (0 = unknown) */
	uint32_t asn;          /**< AS number (0 = unknown) */
};

/** A source record of the control core's merged tables. */
struct dc_src_rec {
	struct dc_addr_key key; /**< address and family, padding zero */
	struct dc_src_val v;
};

/** Per-destination slot. */
struct dc_dst_slot {
	struct dc_addr_key key;
	uint64_t packets;
};

/** CAIDA flowtuple key. */
struct dc_flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;        /**< host order; 0 when ports are not counted */
	uint16_t dport;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tcp_flags;     /**< 0 unless TCP with a whole header */
	uint8_t family;
	uint16_t ip_len;       /**< IPv4 total length / IPv6 payload length + 40, as in the header */
	uint8_t pad[6];
};

struct dc_flow_slot {
	struct dc_flow_key key;
	uint64_t packets;
};

#define DC_SRC_SLOT 64
#define DC_SRC_COLD 64
/** Sources up to which a worker's source table gets 4 home slots per key. */
#define DC_SRC_SLOTS4_MAX (2ull << 20)
/** Sources up to which a worker's source table gets 3 home slots per key. */
#define DC_SRC_SLOTS3_MAX (8ull << 20)

/**
 * Home slots per source in a worker's source table of @p max_entries keys.
 * Up to DC_SRC_SLOTS4_MAX: 4 (load at most 1/4: 88 % of sources can be in
 * their home slot, against 85 % at 1/3), up to DC_SRC_SLOTS3_MAX: 3; above:
 * 2 (load 1/2), as the smaller footprint then matters more than the
 * displaced keys (each a dependent second miss). Measured (bench/table,
 * docs/PERFORMANCE.md): at 1M keys 4 slots 0.02-0.10 of rte_hash's cycles
 * below 3 in every one of 5 alternated pairs of runs; 3 slots ahead of 2
 * at 1M and 4M keys, even at 8M, behind at 16M (uniform 93 vs 79,
 * heavy-tailed 50 vs 34 cycles).
 */
static inline uint64_t
dc_src_slots_per_key(uint64_t max_entries)
{
	return max_entries <= DC_SRC_SLOTS4_MAX ? 4 : max_entries <= DC_SRC_SLOTS3_MAX ? 3 : 2;
}
#define DC_DST_SLOT 32
#define DC_FLOW_SLOT 64

/*
 * Country and AS identities that do not depend on the database loaded, so
 * counts taken before and after a reload add up: a country is its two
 * letters as a number (dc_cc_index), an AS its number.
 */
static inline uint16_t
dc_cc_index(const char *code)
{
	if (code == NULL || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2])
		return 0;
	return (uint16_t)(1 + (code[0] - 'A') * 26 + (code[1] - 'A'));
}

/** The two letters of a dc_cc_index() (NULL for 0). */
static inline const char *
dc_cc_code(uint16_t idx, char buf[3])
{
	if (idx == 0 || idx > 26 * 26)
		return NULL;
	buf[0] = (char)('A' + (idx - 1) / 26);
	buf[1] = (char)('A' + (idx - 1) % 26);
	buf[2] = '\0';
	return buf;
}

/** A loaded database as the workers use it: lib/geo indexes mapped to the
 * stable identities above. Replaced whole on reload. */
struct dc_geo_view {
	struct dc_geo *g;
	uint32_t nb_cc;
	uint32_t nb_as;
	uint16_t *cc;          /**< lib/geo country index -> dc_cc_index() */
	uint32_t *asn;         /**< lib/geo AS index -> AS number */
};

/**
 * Payload signatures as the workers use them: lib/sig's compiled rules, the
 * counter slot of each rule (stable across reloads: a signature id keeps
 * its slot for the whole run, so counts taken before and after a reload
 * add up), and one scratch per worker. Replaced whole on reload (RCU).
 */
struct dc_sig_view {
	struct dc_sig_db *db;
	uint32_t nrules;
	uint32_t payload_max;  /**< bytes of a payload scanned */
	uint16_t *slot;        /**< rule index -> counter slot (< DC_SIG_SLOTS) */
	unsigned nb_scratch;
	struct dc_sig_scratch **scratch; /**< by worker id */
};

/** Per-worker key of the signature table: which signature a source sent to
 * which destination port. */
struct dc_sig_key {
	uint8_t addr[16];      /**< source address (IPv4 in the first 4 bytes) */
	uint16_t slot;         /**< signature counter slot */
	uint16_t dport;        /**< destination port, host order */
	uint8_t family;        /**< 4 or 6 */
	uint8_t proto;         /**< 6 or 17 */
	uint8_t pad[2];
};

/* dc_tset_sig() builds the key's last word in a register */
_Static_assert(sizeof(struct dc_sig_key) == 24 && offsetof(struct dc_sig_key, slot) == 16 &&
		       offsetof(struct dc_sig_key, dport) == 18 &&
		       offsetof(struct dc_sig_key, family) == 20 &&
		       offsetof(struct dc_sig_key, proto) == 21,
	       "struct dc_sig_key's layout");

struct dc_sig_slot {
	struct dc_sig_key key;
	uint64_t packets;
	uint16_t country;      /**< the source's dc_cc_index() (0 = unknown) */
	uint8_t pad[6];
};

#define DC_SIG_SLOT 40

/** Which table refused a new key. */
enum dc_tfull { DC_TFULL_SRC = 0, DC_TFULL_DST, DC_TFULL_FLOW, DC_TFULL_AS, DC_TFULL_SIG, DC_TFULL__MAX };

/** Per-AS key and counts (with an AS database). */
struct dc_as_slot {
	uint64_t key;          /**< AS number */
	uint64_t packets, bytes, mirai, zmap, masscan;
};

#define DC_AS_SLOT 48
/** Distinct ASes a worker's AS table holds per interval. */
#define DC_AS_MAX 65536

/**
 * Bytes of one worker table set (sources with their cold records,
 * destinations, flowtuples when @p flowtuples_max, ASes when @p with_asn),
 * as the engine allocates them: the one sizing rule for the worker and
 * the benchmarks.
 */
static inline size_t
dc_tset_bytes(uint64_t sources_max, uint64_t destinations_max, uint64_t flowtuples_max,
	      int with_asn)
{
	size_t n = dc_table_mem_size(sources_max * dc_src_slots_per_key(sources_max), DC_SRC_SLOT) +
		   sources_max * sizeof(struct dc_src_cold) +
		   dc_table_mem_size(dc_table_slots_for(destinations_max), DC_DST_SLOT);

	if (flowtuples_max)
		n += dc_table_mem_size(dc_table_slots_for(flowtuples_max), DC_FLOW_SLOT);
	if (with_asn)
		n += dc_table_mem_size(dc_table_slots_for(DC_AS_MAX), DC_AS_SLOT);
	return n;
}

/** Bytes of a table set's bitmap of telescope destinations (0 without). */
static inline size_t
dc_tset_tel_bytes(const struct dc_telescope *tel)
{
	return tel && tel->n ? dc_telescope_words(tel) * sizeof(uint64_t) : 0;
}

/** Bytes of a worker's signature table of @p sig_max entries (part of the
 * table set when signatures are on). */
static inline size_t
dc_tset_sig_bytes(uint64_t sig_max)
{
	return dc_table_mem_size(dc_table_slots_for(sig_max), DC_SIG_SLOT);
}

/** The tables of one worker for one interval (or more, when extended). */
struct dc_tset {
	uint64_t start;            /**< first interval covered */
	uint64_t end;              /**< end of the last interval covered */
	uint32_t flags;            /**< DC_CNTF_EXTENDED, DC_TSET_CONTINUED */
	uint32_t dirty;            /**< handed back uncleared: its worker clears it (dc_tset_clear()) */
	struct dc_table *src;
	struct dc_src_cold *src_cold; /**< cold records, src->max_entries of them */
	uint64_t src_ncold;        /**< cold records in use */
	struct dc_table *dst;
	struct dc_table *flow;     /**< NULL when flowtuples are off */
	struct dc_table *as;       /**< NULL without an AS database */
	struct dc_table *sig;      /**< struct dc_sig_slot; NULL when signatures are off */
	uint64_t full[DC_TFULL__MAX]; /**< packets whose new key did not fit */
	/** The telescope's IPv4 prefixes (configuration `telescope`), or NULL:
	 * a destination in them sets its bit in dst_bits instead of going to
	 * the destination table, which then holds only the others. */
	const struct dc_telescope *tel;
	uint64_t *dst_bits;        /**< with tel: dc_telescope_words() words */
};

/** dc_tset.flags: the interval goes on in the worker's next set (a finite
 * input's set that filled past its effective size: dc_tset_resize()); the
 * control core merges every set of such an interval key by key. */
#define DC_TSET_CONTINUED 0x100

/** Packets whose table slots are looked up together (dc_table_find_burst()). */
#define DC_TSET_CHUNK 32

/** Signature matches a burst gathers before recording them (more: recorded
 * in several rounds). */
#define DC_TSET_SIG_REC 128

/** Per-burst scratch for the tables (one per worker). */
struct dc_tset_ctx {
	uint16_t idx[DC_FP_BURST_MAX];
	/** Destination keys in dkey: the IP packets' (dkey[k] is packet k's)
	 * without a telescope, else only those outside it (in packet order). */
	unsigned md;
	struct dc_addr_key skey[DC_FP_BURST_MAX];
	struct dc_addr_key dkey[DC_FP_BURST_MAX];
	struct dc_flow_key fkey[DC_FP_BURST_MAX];
	uint64_t sh[DC_FP_BURST_MAX], dh[DC_FP_BURST_MAX], fh[DC_FP_BURST_MAX];
	uint8_t *ss[DC_TSET_CHUNK], *ds[DC_TSET_CHUNK], *fs[DC_TSET_CHUNK]; /**< slots of a chunk */
	/* the sources a chunk looks up in lib/geo (new ones, refused ones) */
	uint32_t v4[DC_TSET_CHUNK];          /**< IPv4 sources, host order */
	uint8_t v6[DC_TSET_CHUNK][16];       /**< IPv6 sources */
	uint16_t v4k[DC_TSET_CHUNK], v6k[DC_TSET_CHUNK]; /**< their index among the IP packets */
	uint16_t cc4[DC_TSET_CHUNK], cc6[DC_TSET_CHUNK];
	uint32_t as4[DC_TSET_CHUNK], as6[DC_TSET_CHUNK];
	uint16_t cc[DC_FP_BURST_MAX];        /**< country of each IP packet's source */
	uint64_t as[DC_FP_BURST_MAX];        /**< AS number of a looked-up source: its per-AS key */
	const struct dc_geo_view *geo;       /**< databases in use this burst, or NULL */
	const struct dc_sig_view *sig;       /**< signatures in use this burst, or NULL */
	struct dc_sig_scratch *sig_scratch;  /**< this worker's scratch of sig */
	uint16_t sig_hit[DC_SIG_PKT_MATCHES];
	/* the IP packets with a TCP/UDP payload (np of them), listed by the
	 * keys stage for the signature stage */
	unsigned np;
	uint16_t pk[DC_FP_BURST_MAX];
	/* signature matches of the burst, recorded after its scans */
	struct dc_sig_key sig_key[DC_TSET_SIG_REC];
	uint64_t sig_hash[DC_TSET_SIG_REC];
	uint16_t sig_cc[DC_TSET_SIG_REC];
};

/*
 * The stages of dc_tset_burst(), in the order dc_tset_burst_stages() runs
 * them (enum dc_stage): keys, then the three tables chunk by chunk (with
 * the country and AS lookups of a chunk's new sources), then the
 * signatures. Each table's work is its own functions (hash and prefetch,
 * round one, round two, update), so it can be timed on its own; the order
 * across tables keeps every table's cache misses of a chunk in flight
 * together.
 */

/** Keys stage: the source, destination and flowtuple keys of the IP packets
 * of the burst (ctx->idx maps them back; with a telescope, a destination in
 * it sets its bit here and gets no key: tc->md), and with signatures the
 * list of those with a payload (tc->pk, tc->np). Returns the number of IP
 * packets. */
static DC_ALWAYS_INLINE unsigned
dc_tset_keys(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
	     const uint8_t *const *frames, unsigned n)
{
	const struct dc_table *ft = ts->flow;
	const struct dc_telescope *tel = ts->tel;
	const int sig = tc->sig != NULL;
	unsigned i, m = 0, md = 0, np = 0;

	for (i = 0; i < n; i++) {
		const struct dc_pkt *p = &bc->pkt[i];
		const uint8_t *ip = frames[i] + p->l3_off;
		struct dc_addr_key *s = &tc->skey[m], *d = &tc->dkey[md];
		uint32_t bit;

		if (p->l3 < DC_L3_IPV4)
			continue;
		tc->idx[m] = (uint16_t)i;
		if (sig) { /* the signature stage's list, without a branch on the data */
			tc->pk[np] = (uint16_t)m;
			np += p->pl_len != 0;
		}
		/* d is written even for a destination with a bit and no key: the
		 * flowtuple key copies it, and a branch around it measured 7
		 * instructions per packet more without a telescope (callgrind) */
		memset(s, 0, sizeof(*s));
		memset(d, 0, sizeof(*d));
		md++;
		if (p->l3 == DC_L3_IPV4) {
			memcpy(s->addr, ip + 12, 4);
			memcpy(d->addr, ip + 16, 4);
			s->family = d->family = 4;
			if (tel && dc_telescope_bit(tel, p->dst4, &bit)) {
				ts->dst_bits[bit >> 6] |= 1ull << (bit & 63);
				md--; /* no key: the next packet's overwrites it */
			}
		} else {
			memcpy(s->addr, ip + 8, 16);
			memcpy(d->addr, ip + 24, 16);
			s->family = d->family = 6;
		}
		if (ft) {
			struct dc_flow_key *f = &tc->fkey[m];

			memset(f, 0, sizeof(*f));
			memcpy(f->src, s->addr, 16);
			memcpy(f->dst, d->addr, 16);
			f->family = s->family;
			f->proto = p->proto;
			f->ttl = p->ttl;
			f->ip_len = p->ip_tlen;
			if (p->l4 == DC_L4_PORTS) {
				f->sport = p->sport;
				f->dport = p->dport;
				if (p->proto == 6)
					f->tcp_flags = p->tcp_flags;
			} else if (p->l4 == DC_L4_ICMP) {
				/* CAIDA's convention: ICMP type and code in the ports */
				f->sport = p->icmp_type;
				f->dport = p->icmp_code;
			}
		}
		m++;
	}
	tc->md = md;
	tc->np = np;
	return m;
}

/* An IPv4 key's address in host byte order, as lib/geo takes it. */
static inline uint32_t
dc_addr_v4(const struct dc_addr_key *a)
{
	return (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
	       (uint32_t)a->addr[2] << 8 | a->addr[3];
}

/** Geo stage (tc->geo set): the country and AS of the sources of the IP
 * packets [@p c0, @p c0 + 64) whose bit is set in @p want (a chunk's new
 * sources, and the packets the source table refused), in bulk from the
 * database the worker holds, into tc->cc and tc->as. */
static DC_ALWAYS_INLINE void
dc_tset_geo_lookup(struct dc_tset_ctx *tc, unsigned c0, uint64_t want)
{
	const struct dc_geo_view *gv = tc->geo;
	unsigned k, n4 = 0, n6 = 0;

	for (; want; want &= want - 1) {
		unsigned j = c0 + (unsigned)__builtin_ctzll(want);
		const struct dc_addr_key *a = &tc->skey[j];

		if (a->family == 4) {
			tc->v4[n4] = dc_addr_v4(a);
			tc->v4k[n4++] = (uint16_t)j;
		} else {
			memcpy(tc->v6[n6], a->addr, 16);
			tc->v6k[n6++] = (uint16_t)j;
		}
	}
	if (n4)
		dc_geo_lookup4(gv->g, tc->v4, n4, tc->cc4, tc->as4);
	if (n6)
		dc_geo_lookup6(gv->g, (const uint8_t (*)[16])tc->v6, n6, tc->cc6, tc->as6);
	for (k = 0; k < n4; k++) {
		tc->cc[tc->v4k[k]] = tc->cc4[k] < gv->nb_cc ? gv->cc[tc->cc4[k]] : 0;
		tc->as[tc->v4k[k]] = tc->as4[k] < gv->nb_as ? gv->asn[tc->as4[k]] : 0;
	}
	for (k = 0; k < n6; k++) {
		tc->cc[tc->v6k[k]] = tc->cc6[k] < gv->nb_cc ? gv->cc[tc->cc6[k]] : 0;
		tc->as[tc->v6k[k]] = tc->as6[k] < gv->nb_as ? gv->asn[tc->as6[k]] : 0;
	}
}

/* Count a packet of @p len bytes and fingerprints @p fp under country @p cc
 * (block @p c). */
static DC_ALWAYS_INLINE void
dc_tset_cc_count(struct dc_counters *c, uint16_t cc, uint32_t len, uint8_t fp)
{
	uint64_t *v = c->cc[cc];

	v[DC_CC_PACKETS]++;
	v[DC_CC_BYTES] += len;
	v[DC_CC_MIRAI] += fp & DC_FP_MIRAI;
	v[DC_CC_ZMAP] += (fp >> 1) & 1;
	v[DC_CC_MASSCAN] += (fp >> 2) & 1;
}

/*
 * A packet the source table refused (tc->geo set): counted under its own
 * country (tc->cc[k], looked up) and in the worker's per-AS table, which
 * holds only such packets: the control core counts every other packet's AS
 * from the source records (docs/GEO.md, "One lookup per source").
 */
static inline void
dc_tset_geo_refused(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned k, uint32_t len,
		    uint8_t fp, struct dc_counters *c)
{
	struct dc_as_slot *a;
	int is_new;

	dc_tset_cc_count(c, tc->cc[k], len, fp);
	if (ts->as == NULL)
		return;
	a = (struct dc_as_slot *)dc_table_find(ts->as, &tc->as[k],
					       dc_hash_nh(&tc->as[k], sizeof(tc->as[0]), ts->as->nh),
					       1, &is_new, sizeof(tc->as[0]));
	if (unlikely(a == NULL)) {
		ts->full[DC_TFULL_AS]++;
		return;
	}
	a->packets++;
	a->bytes += len;
	a->mirai += fp & DC_FP_MIRAI;
	a->zmap += (fp >> 1) & 1;
	a->masscan += (fp >> 2) & 1;
}

/* Record the signature matches gathered in tc->sig_key[0 .. n): their keys
 * were hashed and their home slots prefetched when found, scans ago. */
static inline void
dc_tset_sig_record(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned n)
{
	int is_new;

	for (unsigned h = 0; h < n; h++) {
		struct dc_sig_slot *e = (struct dc_sig_slot *)dc_table_find(
			ts->sig, &tc->sig_key[h], tc->sig_hash[h], 1, &is_new, sizeof(struct dc_sig_key));

		if (unlikely(e == NULL)) {
			ts->full[DC_TFULL_SIG]++;
			continue;
		}
		if (is_new)
			e->country = tc->sig_cc[h];
		e->packets++;
	}
}

/**
 * Signature stage (tc->sig set): scan the payload of every IP packet that
 * has one (the keys stage's list, tc->pk: packets without payload cost
 * nothing here); count the packet under each signature it matches (block
 * @p c) and its (signature, source, port) in the signature table. The
 * payload is scanned over its first sig_payload_max bytes. The table updates are
 * gathered, their slots prefetched, and done after the burst's scans, so
 * their cache misses overlap the scans. Runs after the source table (the
 * source's country, tc->cc, goes with the entry).
 */
static DC_ALWAYS_INLINE void
dc_tset_sig(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
	    const uint8_t *const *frames, struct dc_counters *c)
{
	const struct dc_sig_view *sv = tc->sig;
	const uint32_t cap = sv->payload_max;
	unsigned h, q, nrec = 0;
	uint64_t bytes = 0;

	c->sig_payload += tc->np;
	for (q = 0; q < tc->np; q++) {
		unsigned k = tc->pk[q], j = tc->idx[k];
		const struct dc_pkt *p = &bc->pkt[j];
		uint32_t len = p->pl_len < cap ? p->pl_len : cap, nh;
		uint64_t a0, a1, kw2;

		bytes += len;
		nh = dc_sig_scan(sv->db, tc->sig_scratch, p->proto, p->dport, frames[j] + p->pl_off,
				 len, tc->sig_hit);
		if (nh == 0)
			continue;
		c->sig_matched++;
		if (nrec + nh > DC_TSET_SIG_REC) {
			dc_tset_sig_record(ts, tc, nrec);
			nrec = 0;
		}
		/* the key's words in registers: stored whole, hashed from the
		 * registers (dc_hash_nh24(): no load waits on narrow stores) */
		memcpy(&a0, tc->skey[k].addr, 8);
		memcpy(&a1, tc->skey[k].addr + 8, 8);
		kw2 = (uint64_t)p->dport << 16 | (uint64_t)tc->skey[k].family << 32 |
		      (uint64_t)p->proto << 40;
		for (h = 0; h < nh; h++) {
			struct dc_sig_key *key = &tc->sig_key[nrec];
			uint16_t slot = sv->slot[tc->sig_hit[h]];
			uint64_t w2 = kw2 | slot;

			c->sig[slot]++;
			memcpy(key->addr, &a0, 8);
			memcpy(key->addr + 8, &a1, 8);
			memcpy((uint8_t *)key + 16, &w2, 8);
			tc->sig_hash[nrec] = dc_hash_nh24(a0, a1, w2, ts->sig->nh);
			tc->sig_cc[nrec] = tc->geo ? tc->cc[k] : 0;
			dc_table_prefetch(ts->sig, tc->sig_hash[nrec]);
			nrec++;
		}
	}
	c->sig_bytes += bytes;
	dc_tset_sig_record(ts, tc, nrec);
}

/* Add 1 to a 32-bit low word; a wrap carries into the cold record. */
#define DC_SRC_INC(ts, s, field, word)                                              \
	do {                                                                        \
		if (unlikely(++(s)->field == 0))                                    \
			(ts)->src_cold[(s)->cold].hi[word]++;                       \
	} while (0)

static inline void
dc_tset_src_port(struct dc_tset *ts, struct dc_src_slot *s, uint16_t port)
{
	unsigned n = s->nports, i;
	struct dc_src_cold *c;

	if (n & DC_SRC_MORE)
		return; /* at least nine: nothing more to learn */
	if ((n > 0 && s->port0 == port) || (n > 1 && s->port12[0] == port) ||
	    (n > 2 && s->port12[1] == port))
		return;
	if (n < DC_SRC_HOT_PORTS) {
		if (n == 0)
			s->port0 = port;
		else
			s->port12[n - 1] = port;
		s->nports++;
		return;
	}
	c = &ts->src_cold[s->cold];
	for (i = DC_SRC_HOT_PORTS; i < n; i++)
		if (c->ports[i - DC_SRC_HOT_PORTS] == port)
			return;
	if (n < DC_SRC_PORTS) {
		c->ports[n - DC_SRC_HOT_PORTS] = port;
		s->nports++;
	} else {
		s->nports |= DC_SRC_MORE;
	}
}

/*
 * Write a new source's cold record (the rest zero) with streaming stores:
 * the whole line goes to memory without being read first (an ordinary store
 * reads the line in for ownership, one more memory transfer per new source,
 * and at millions of sources nearly every packet of the insert pass brings
 * one: bench/table at 16M keys, 0.32-0.38 of rte_hash's cycles against
 * 0.39-0.48 in the same alternated runs, docs/PERFORMANCE.md). The worker
 * rarely reads a cold record again (ports past the third, other protocols,
 * carries), and its own later loads see these stores in program order. The
 * control core may read them only after dc_tset_seal().
 */
static inline void
dc_src_cold_stream(struct dc_src_cold *d, uint32_t first, uint32_t asn)
{
#if defined(__SSE2__)
	__m128i *o = (__m128i *)d;
	const __m128i z = _mm_setzero_si128();

	_Static_assert(offsetof(struct dc_src_cold, first) == 0 &&
			       offsetof(struct dc_src_cold, asn) == 16,
		       "cold record layout as streamed");
	_mm_stream_si128(o, _mm_set_epi32(0, 0, 0, (int)first));
	_mm_stream_si128(o + 1, _mm_set_epi32(0, 0, 0, (int)asn));
	_mm_stream_si128(o + 2, z);
	_mm_stream_si128(o + 3, z);
#else
	*d = (struct dc_src_cold){.first = first, .asn = asn};
#endif
}

/**
 * Make the stores of the worker that filled @p ts visible to other cores
 * before it hands the set over: the cold records are written with streaming
 * stores, which x86's release semantics (plain stores, as in rte_ring's
 * single-producer enqueue) do not order; an SFENCE does.
 */
static inline void
dc_tset_seal(struct dc_tset *ts)
{
	(void)ts;
#if defined(__SSE2__)
	_mm_sfence();
#endif
}

/* Count IP packet k in its source slot @p slot (NULL: the table refused
 * it: counted under its country in block @p c, and its AS, when tc->geo).
 * A new source (@p fresh) takes the country and AS looked up for it. A
 * counted packet's country counters are not touched here: the control core
 * adds each source's counts under the country in its slot when it merges
 * the set (docs/GEO.md, "One lookup per source"). */
static inline void
dc_tset_src_count(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
		  const uint32_t *lens, const uint32_t *secs, unsigned k, uint8_t *slot,
		  int fresh, struct dc_counters *c)
{
	struct dc_src_slot *s = (struct dc_src_slot *)slot;
	unsigned j = tc->idx[k];
	const struct dc_pkt *p = &bc->pkt[j];
	uint8_t fp = bc->fpres[j];
	uint32_t b;

	if (unlikely(s == NULL)) {
		ts->full[DC_TFULL_SRC]++;
		if (tc->geo)
			dc_tset_geo_refused(ts, tc, k, lens[j], fp, c);
		return;
	}
	if (fresh) {
		/* A new source: its country, and its cold record, whole, the next in line. */
		uint32_t ci = (uint32_t)ts->src_ncold++;

		s->cold = ci;
		s->country = tc->geo ? tc->cc[k] : 0;
		dc_src_cold_stream(&ts->src_cold[ci], secs[j], tc->geo ? (uint32_t)tc->as[k] : 0);
	}
	if (tc->geo && tc->sig)
		tc->cc[k] = s->country; /* the signature stage's only */
	if (secs[j] > s->last)
		s->last = secs[j];
	b = s->bytes + lens[j];
	if (unlikely(b < s->bytes))
		ts->src_cold[s->cold].hi[DC_SRC_HI_BYTES]++;
	s->bytes = b;
	if (fp & DC_FP_MIRAI)
		DC_SRC_INC(ts, s, mirai, DC_SRC_HI_MIRAI);
	if (unlikely(fp & (DC_FP_ZMAP | DC_FP_MASSCAN))) {
		if (fp & DC_FP_ZMAP)
			DC_SRC_INC(ts, s, zmap, DC_SRC_HI_ZMAP);
		if (fp & DC_FP_MASSCAN)
			DC_SRC_INC(ts, s, masscan, DC_SRC_HI_MASSCAN);
	}
	if (p->proto == 6) {
		DC_SRC_INC(ts, s, tcp, DC_SRC_HI_TCP);
	} else if (p->proto == 17) {
		DC_SRC_INC(ts, s, udp, DC_SRC_HI_UDP);
	} else if (p->proto == 1 || p->proto == 58) {
		DC_SRC_INC(ts, s, icmp, DC_SRC_HI_ICMP);
	} else {
		struct dc_src_cold *cold = &ts->src_cold[s->cold];

		if (unlikely(++cold->other == 0))
			cold->hi[DC_SRC_HI_OTHER]++;
	}
	if (p->l4 == DC_L4_PORTS)
		dc_tset_src_port(ts, s, p->dport);
}

/* Count a packet in the slot of a table whose value is a packet count right
 * after the key (destinations, flowtuples: dc_tset.c asserts the layout);
 * NULL (refused) in ts->full[@p full]. */
static DC_ALWAYS_INLINE void
dc_tset_pkt_count(struct dc_tset *ts, uint8_t *slot, uint32_t key_len, enum dc_tfull full)
{
	if (likely(slot != NULL))
		(*(uint64_t *)(void *)(slot + key_len))++;
	else
		ts->full[full]++;
}

/* Hash keys [@p from, @p to) of one table (key k at @p keys + k * @p stride,
 * its hash in @p h[k]), and prefetch their home slots when @p pf (the first
 * chunk's: the others' are prefetched by the round ones before, see
 * dc_tset_burst_stages()). */
static DC_ALWAYS_INLINE void
dc_tset_hash(const struct dc_table *t, const void *keys, size_t stride, uint32_t key_len,
	     uint64_t *h, unsigned from, unsigned to, int pf)
{
	dc_hash_nh_burst((const uint8_t *)keys + from * stride, stride, key_len, t->nh, to - from,
			 &h[from]);
	for (unsigned k = from; pf && k < to; k++)
		dc_table_prefetch(t, h[k]);
}

/** Source table (piece 1, the hashes: dc_tset_hash()), piece 2: look up the
 * chunk [@p c0, @p c0 + @p cn) (round one), prefetching on the way the home
 * slots of hashes @p next_h (@p nn of them) in table @p next_t, and the geo
 * lines of the new IPv4 sources; returns the keys left for round two (the
 * inserts in @p fresh). */
static DC_ALWAYS_INLINE uint64_t
dc_tset_src_find(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned c0, unsigned cn,
		 const struct dc_table *next_t, const uint64_t *next_h, unsigned nn,
		 uint64_t *fresh)
{
	uint64_t later = dc_table_find_burst_then(ts->src, &tc->skey[c0], sizeof(tc->skey[0]),
						  &tc->sh[c0], cn, tc->ss, fresh, DC_ADDR_KEY_LEN,
						  next_t, next_h, nn);

	/* The sources new so far get their geo lookup after the other tables'
	 * rounds (dc_tset_src_update()): ask for its lines now. */
	if (tc->geo)
		for (uint64_t f = *fresh; f; f &= f - 1) {
			const struct dc_addr_key *a = &tc->skey[c0 + __builtin_ctzll(f)];

			if (a->family == 4)
				dc_geo_prefetch4(tc->geo->g, dc_addr_v4(a));
		}
	return later;
}

/** Source table, piece 3: round two for the keys of @p later (their inserts
 * added to @p fresh). */
static DC_ALWAYS_INLINE void
dc_tset_src_rest(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned c0, uint64_t later,
		 uint64_t *fresh)
{
	dc_table_find_burst_rest(ts->src, &tc->skey[c0], sizeof(tc->skey[0]), &tc->sh[c0], later,
				 tc->ss, fresh, DC_ADDR_KEY_LEN);
}

/** Source table, piece 4: the chunk's updates in packet order, once every
 * slot is known; before them (tc->geo set) the geo stage for the new
 * sources (@p fresh) and the refused packets, the only lookups: a known
 * source's country is in its slot. */
static DC_ALWAYS_INLINE void
dc_tset_src_update(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
		   const uint32_t *lens, const uint32_t *secs, unsigned c0, unsigned cn,
		   uint64_t fresh, struct dc_counters *c)
{
	unsigned k;

	if (tc->geo) {
		uint64_t want = fresh;

		for (k = 0; k < cn; k++)
			want |= (uint64_t)(tc->ss[k] == NULL) << k;
		if (want) {
			dc_tset_geo_lookup(tc, c0, want);
			DC_STAGE_MARK(DC_STAGE_GEO);
		}
	}
	for (k = 0; k < cn; k++)
		dc_tset_src_count(ts, tc, bc, lens, secs, c0 + k, tc->ss[k], (fresh >> k) & 1, c);
}

/*
 * Destinations and flowtuples, pieces 2 and 3 (as for sources): tables whose
 * value is a packet count (dc_tset_pkt_count()). Round one of the chunk
 * [@p c0, @p c0 + @p cn) of @p keys (@p h their hashes), prefetching the
 * home slots of @p next_h (@p nn) in @p next_t on the way, and the settled
 * keys counted; returns the keys left for round two.
 */
static DC_ALWAYS_INLINE uint64_t
dc_tset_pkt_find(struct dc_tset *ts, struct dc_table *t, const void *keys, size_t stride,
		 uint32_t key_len, const uint64_t *h, uint8_t **slots, enum dc_tfull full,
		 unsigned c0, unsigned cn, const struct dc_table *next_t, const uint64_t *next_h,
		 unsigned nn)
{
	uint64_t fresh, later = dc_table_find_burst_then(t, (const uint8_t *)keys + c0 * stride,
							 stride, &h[c0], cn, slots, &fresh,
							 key_len, next_t, next_h, nn);

	for (unsigned k = 0; k < cn; k++)
		if (!((later >> k) & 1))
			dc_tset_pkt_count(ts, slots[k], key_len, full);
	return later;
}

/* Round two for the keys of @p later, and their counts. */
static DC_ALWAYS_INLINE void
dc_tset_pkt_rest(struct dc_tset *ts, struct dc_table *t, const void *keys, size_t stride,
		 uint32_t key_len, const uint64_t *h, uint8_t **slots, enum dc_tfull full,
		 unsigned c0, uint64_t later)
{
	uint64_t fresh = 0;

	dc_table_find_burst_rest(t, (const uint8_t *)keys + c0 * stride, stride, &h[c0], later,
				 slots, &fresh, key_len);
	for (; later; later &= later - 1)
		dc_tset_pkt_count(ts, slots[__builtin_ctzll(later)], key_len, full);
}

/* The destination table's round one over dkey [@p c0, @p c0 + @p cn) and
 * its round two (dc_tset_pkt_find(), dc_tset_pkt_rest()). */
static DC_ALWAYS_INLINE uint64_t
dc_tset_dst_find(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned c0, unsigned cn,
		 const struct dc_table *next_t, const uint64_t *next_h, unsigned nn)
{
	return dc_tset_pkt_find(ts, ts->dst, tc->dkey, sizeof(tc->dkey[0]),
				sizeof(struct dc_addr_key), tc->dh, tc->ds, DC_TFULL_DST, c0, cn,
				next_t, next_h, nn);
}

static DC_ALWAYS_INLINE void
dc_tset_dst_rest(struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned c0, uint64_t later)
{
	dc_tset_pkt_rest(ts, ts->dst, tc->dkey, sizeof(tc->dkey[0]), sizeof(struct dc_addr_key),
			 tc->dh, tc->ds, DC_TFULL_DST, c0, later);
}

/** Hash IP packets [@p from, @p to) for every table (and prefetch the home
 * slots of sources and destinations when @p pf; the flowtuples' are asked
 * for during the sources' round one). Destinations only when they are in
 * the chunks' pipeline (no telescope: dc_tset_dst_apart() otherwise). */
static DC_ALWAYS_INLINE void
dc_tset_hash_stages(const struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned from, unsigned to,
		    int pf)
{
	dc_tset_hash(ts->src, tc->skey, sizeof(tc->skey[0]), DC_ADDR_KEY_LEN, tc->sh, from, to, pf);
	DC_STAGE_MARK(DC_STAGE_SRC);
	if (ts->tel == NULL) {
		dc_tset_hash(ts->dst, tc->dkey, sizeof(tc->dkey[0]), sizeof(struct dc_addr_key),
			     tc->dh, from, to, pf);
		DC_STAGE_MARK(DC_STAGE_DST);
	}
	if (ts->flow) {
		dc_tset_hash(ts->flow, tc->fkey, sizeof(tc->fkey[0]), sizeof(struct dc_flow_key),
			     tc->fh, from, to, 0);
		DC_STAGE_MARK(DC_STAGE_FLOW);
	}
}

/**
 * Destinations with a telescope: the few keys outside it (tc->md: IPv6,
 * other IPv4 addresses), hashed and their home slots prefetched before the
 * chunks of the other tables (dc_tset_burst_stages()), looked up on their
 * own after them, a chunk at a time.
 */
static DC_ALWAYS_INLINE void
dc_tset_dst_apart(struct dc_tset *ts, struct dc_tset_ctx *tc)
{
	for (unsigned c0 = 0; c0 < tc->md; c0 += DC_TSET_CHUNK) {
		unsigned cn = tc->md - c0 < DC_TSET_CHUNK ? tc->md - c0 : DC_TSET_CHUNK;
		uint64_t later;

		later = dc_tset_dst_find(ts, tc, c0, cn, ts->dst, tc->dh, 0);
		if (later)
			dc_tset_dst_rest(ts, tc, c0, later);
	}
}

/**
 * dc_tset_burst() itself: its stages in order, each piece followed by its
 * DC_STAGE_MARK. The tables work in chunks of DC_TSET_CHUNK IP packets,
 * software-pipelined: a chunk's keys are hashed one chunk ahead of their
 * lookup, and every table's round one asks, a prefetch per key looked up
 * (dc_table_find_burst_then()), for lines the next round one will read:
 * the sources' round one for the chunk's flowtuple slots, the
 * destinations' for the next chunk's source slots, the flowtuples' for the
 * next chunk's destination slots (the first chunk's source and destination
 * slots are prefetched with its hashes; without flowtuples, the sources'
 * and destinations' round ones each ask for their own next chunk). So the misses are spread over the
 * work instead of issued together: 96 at once overflow the core's miss
 * buffers (stages bench, 1M sources uniform: whole path 0.86-0.95 of the
 * three tables' slots all prefetched with the hashes, docs/PERFORMANCE.md).
 * Within a chunk, every table's round one (which also prefetches the next
 * slot of the keys it leaves) comes before any table's round two.
 * With a telescope the destinations are not in this pipeline (most have no
 * key: dc_tset_keys() set their bits): the flowtuples' round one asks for
 * the next chunk's source slots, and the rest of the destinations are
 * looked up after the chunks (dc_tset_dst_apart()).
 */
static DC_ALWAYS_INLINE void
dc_tset_burst_stages(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
		     const uint8_t *const *frames, const uint32_t *lens, const uint32_t *secs,
		     unsigned n, struct dc_counters *c)
{
	unsigned m = dc_tset_keys(ts, tc, bc, frames, n);
	/* destinations in the chunks' pipeline (dkey[k] is packet k's) */
	const int dp = ts->tel == NULL;

	DC_STAGE_MARK(DC_STAGE_KEYS);
	if (!dp && tc->md) {
		/* the destinations outside the telescope: their lines arrive
		 * during the chunks, dc_tset_dst_apart() reads them after */
		dc_tset_hash(ts->dst, tc->dkey, sizeof(tc->dkey[0]), sizeof(struct dc_addr_key),
			     tc->dh, 0, tc->md, 1);
		DC_STAGE_MARK(DC_STAGE_DST);
	}
	dc_tset_hash_stages(ts, tc, 0, m < DC_TSET_CHUNK ? m : DC_TSET_CHUNK, 1);
	for (unsigned c0 = 0; c0 < m; c0 += DC_TSET_CHUNK) {
		unsigned cn = m - c0 < DC_TSET_CHUNK ? m - c0 : DC_TSET_CHUNK;
		/* the next chunk's packets: hashed now, prefetched by the round ones */
		unsigned nn = m - c0 - cn < DC_TSET_CHUNK ? m - c0 - cn : DC_TSET_CHUNK;
		uint64_t slater, dlater = 0, flater = 0, sfresh;

		if (nn)
			dc_tset_hash_stages(ts, tc, c0 + cn, c0 + cn + nn, 0);
		/* Round one (destinations and flowtuples count their settled keys)
		 * while the others' next slots arrive ... */
		slater = dc_tset_src_find(ts, tc, c0, cn, ts->flow ? ts->flow : ts->src,
					  ts->flow ? &tc->fh[c0] : &tc->sh[c0 + cn], ts->flow ? cn : nn,
					  &sfresh);
		DC_STAGE_MARK(DC_STAGE_SRC);
		if (dp) {
			dlater = dc_tset_dst_find(ts, tc, c0, cn, ts->flow ? ts->src : ts->dst,
						  ts->flow ? &tc->sh[c0 + cn] : &tc->dh[c0 + cn], nn);
			DC_STAGE_MARK(DC_STAGE_DST);
		}
		if (ts->flow) {
			flater = dc_tset_pkt_find(ts, ts->flow, tc->fkey, sizeof(tc->fkey[0]),
						  sizeof(struct dc_flow_key), tc->fh, tc->fs,
						  DC_TFULL_FLOW, c0, cn, dp ? ts->dst : ts->src,
						  dp ? &tc->dh[c0 + cn] : &tc->sh[c0 + cn], nn);
			DC_STAGE_MARK(DC_STAGE_FLOW);
		}
		/* ... then those. */
		if (slater) {
			dc_tset_src_rest(ts, tc, c0, slater, &sfresh);
			DC_STAGE_MARK(DC_STAGE_SRC);
		}
		if (dlater) {
			dc_tset_dst_rest(ts, tc, c0, dlater);
			DC_STAGE_MARK(DC_STAGE_DST);
		}
		if (flater) {
			dc_tset_pkt_rest(ts, ts->flow, tc->fkey, sizeof(tc->fkey[0]),
					 sizeof(struct dc_flow_key), tc->fh, tc->fs, DC_TFULL_FLOW, c0,
					 flater);
			DC_STAGE_MARK(DC_STAGE_FLOW);
		}
		/* The sources' updates last: their slots are all in by now. */
		dc_tset_src_update(ts, tc, bc, lens, secs, c0, cn, sfresh, c);
		DC_STAGE_MARK(DC_STAGE_SRC);
	}
	if (!dp && tc->md) {
		dc_tset_dst_apart(ts, tc);
		DC_STAGE_MARK(DC_STAGE_DST);
	}
	if (tc->sig) {
		dc_tset_sig(ts, tc, bc, frames, c);
		DC_STAGE_MARK(DC_STAGE_SIG);
	}
}

/**
 * Update the tables with a burst already parsed by dc_counters_burst()
 * (its ctx->pkt and ctx->fpres are read).
 *
 * @param ts
 *   The worker's open table set.
 * @param tctx
 *   Scratch.
 * @param bctx
 *   The burst context dc_counters_burst() filled for the same frames.
 * @param frames
 *   The frames (as given to dc_counters_burst()).
 * @param lens
 *   Delivered lengths.
 * @param secs
 *   Each packet's time in Unix seconds.
 * @param n
 *   Frames.
 * @param c
 *   The open counter block: per-country counters, when tctx->geo is set.
 *
 * It is dc_tset_burst_stages().
 */
void dc_tset_burst(struct dc_tset *ts, struct dc_tset_ctx *tctx,
		   const struct dc_burst_ctx *bctx, const uint8_t *const *frames,
		   const uint32_t *lens, const uint32_t *secs, unsigned n,
		   struct dc_counters *c);

/** Add port @p port to a merged source value's small exact set. */
static inline void
dc_src_add_port(struct dc_src_val *v, uint16_t port)
{
	unsigned i;

	for (i = 0; i < v->nports; i++)
		if (v->ports[i] == port)
			return;
	if (v->nports < DC_SRC_PORTS)
		v->ports[v->nports++] = port;
	else
		v->more = 1;
}

/** A worker's source slot and its cold record as 64-bit values. */
void dc_src_expand(const struct dc_src_slot *s, const struct dc_src_cold *c,
		   struct dc_addr_key *key, struct dc_src_val *v);

/** Merge source value @p b into @p a (sums, min/max times, port union). */
void dc_src_val_merge(struct dc_src_val *a, const struct dc_src_val *b);

/** Empty a table set for reuse (the control core; on a finite input, its
 * worker, for a set the control core handed back dirty). */
void dc_tset_clear(struct dc_tset *ts);

/**
 * Give an empty set's source, destination and flowtuple tables effective
 * sizes of @p src_max, @p dst_max and @p flow_max keys (dc_table_resize():
 * each clamped to what its memory holds, at its home slots per key), so
 * that an interval's few keys stay close together in the caches. The
 * signature and AS tables keep their size.
 */
void dc_tset_resize(struct dc_tset *ts, uint64_t src_max, uint64_t dst_max, uint64_t flow_max);

/** Keys the source, destination and flowtuple tables of @p ts may still
 * take before one of them passes 3/4 of its effective size (UINT64_MAX
 * when none is smaller than its memory allows: nothing to grow into). */
static inline uint64_t
dc_tset_headroom(const struct dc_tset *ts)
{
	const struct dc_table *t[3] = {ts->src, ts->dst, ts->flow};
	uint64_t room = UINT64_MAX;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t lim;

		if (t[i] == NULL || t[i]->max_entries == t[i]->alloc_entries)
			continue;
		lim = t[i]->max_entries / 4 * 3;
		room = t[i]->used >= lim ? 0 : (lim - t[i]->used < room ? lim - t[i]->used : room);
	}
	return room;
}

/** Format an address key as text (dotted quad / RFC 5952). */
void dc_addr_format(const struct dc_addr_key *k, char *buf, unsigned size);

#ifdef __cplusplus
}
#endif

#endif /* DC_TSET_H */
