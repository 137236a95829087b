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

#include <stdint.h>

#include "dc_counters.h"
#include "dc_geo.h"
#include "dc_table.h"

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
 * compares those only). What a packet rarely touches (first seen, country,
 * AS, ports past the third, "other" protocols, the high words of the 32-bit
 * counters) is in the source's cold record, written whole when the source
 * is inserted, in insertion order: a sequential write, not a second random
 * cache line. Every count is exact to 64 bits: a 32-bit counter that wraps
 * carries into its high word in the cold record.
 */
struct dc_src_slot {
	uint8_t addr[16];
	uint8_t family;        /**< 4 or 6: the key ends here */
	uint8_t nports;        /**< distinct TCP/UDP destination ports kept (<= 8) | DC_SRC_MORE */
	uint16_t port0;        /**< first distinct port */
	uint32_t cold;         /**< index of the cold record */
	uint64_t bytes;
	uint32_t last;         /**< last packet's time, Unix seconds */
	uint32_t tcp, udp, icmp; /**< low words (ICMP = protocols 1 and 58) */
	uint32_t mirai, zmap, masscan; /**< low words */
	uint16_t port12[2];    /**< second and third distinct ports */
};

/** Counters whose high words are in the cold record. */
enum { DC_SRC_HI_TCP, DC_SRC_HI_UDP, DC_SRC_HI_ICMP, DC_SRC_HI_OTHER, DC_SRC_HI_MIRAI,
       DC_SRC_HI_ZMAP, DC_SRC_HI_MASSCAN, DC_SRC_HI__MAX };

/** A source's cold record (see dc_src_slot). */
struct dc_src_cold {
	uint32_t first;        /**< first packet's time, Unix seconds */
	uint16_t country;      /**< dc_cc_index() of the country (0 = unknown) */
	uint16_t ports[5];     /**< fourth to eighth distinct ports */
	uint32_t asn;          /**< AS number (0 = unknown) */
	uint32_t other;        /**< packets of other IP protocols, low word */
	uint32_t hi[DC_SRC_HI__MAX]; /**< high words of the 32-bit counters */
	uint32_t pad[3];
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
/** Sources up to which a worker's source table gets 3 home slots per key. */
#define DC_SRC_SLOTS3_MAX (8ull << 20)

/**
 * Home slots per source in a worker's source table of @p max_entries keys.
 * Up to DC_SRC_SLOTS3_MAX: 3 (load at most 1/3, 83 % of sources in their
 * home slot, fewer dependent second misses); above it: 2 (load 1/2), as the
 * smaller footprint then matters more than the displaced keys: measured
 * (bench/table, docs/PERFORMANCE.md) 3 slots ahead at 1M and 4M keys, even
 * at 8M, behind at 16M (uniform 93 vs 79, heavy-tailed 50 vs 34 cycles).
 */
static inline uint64_t
dc_src_slots_per_key(uint64_t max_entries)
{
	return max_entries <= DC_SRC_SLOTS3_MAX ? 3 : 2;
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

/** Which table refused a new key. */
enum dc_tfull { DC_TFULL_SRC = 0, DC_TFULL_DST, DC_TFULL_FLOW, DC_TFULL_AS, DC_TFULL__MAX };

/** Per-AS key and counts (with an AS database). */
struct dc_as_slot {
	uint64_t key;          /**< AS number */
	uint64_t packets, bytes, mirai, zmap, masscan;
};

#define DC_AS_SLOT 48
/** Distinct ASes a worker's AS table holds per interval. */
#define DC_AS_MAX 65536

/** The tables of one worker for one interval (or more, when extended). */
struct dc_tset {
	uint64_t start;            /**< first interval covered */
	uint64_t end;              /**< end of the last interval covered */
	uint32_t flags;            /**< DC_CNTF_EXTENDED */
	uint32_t pad;
	struct dc_table *src;
	struct dc_src_cold *src_cold; /**< cold records, src->max_entries of them */
	uint64_t src_ncold;        /**< cold records in use */
	struct dc_table *dst;
	struct dc_table *flow;     /**< NULL when flowtuples are off */
	struct dc_table *as;       /**< NULL without an AS database */
	uint64_t full[DC_TFULL__MAX]; /**< packets whose new key did not fit */
};

/** Packets whose table slots are looked up together (dc_table_find_burst()). */
#define DC_TSET_CHUNK 32

/** Per-burst scratch for the tables (one per worker). */
struct dc_tset_ctx {
	uint16_t idx[DC_FP_BURST_MAX];
	struct dc_addr_key skey[DC_FP_BURST_MAX];
	struct dc_addr_key dkey[DC_FP_BURST_MAX];
	struct dc_flow_key fkey[DC_FP_BURST_MAX];
	uint64_t sh[DC_FP_BURST_MAX], dh[DC_FP_BURST_MAX], fh[DC_FP_BURST_MAX];
	uint8_t *ss[DC_TSET_CHUNK], *ds[DC_TSET_CHUNK], *fs[DC_TSET_CHUNK]; /**< slots of a chunk */
	uint32_t v4[DC_FP_BURST_MAX];        /**< IPv4 sources, host order, for lib/geo */
	uint8_t v6[DC_FP_BURST_MAX][16];     /**< IPv6 sources */
	uint16_t v4k[DC_FP_BURST_MAX], v6k[DC_FP_BURST_MAX]; /**< their index among the IP packets */
	uint16_t cc4[DC_FP_BURST_MAX], cc6[DC_FP_BURST_MAX];
	uint16_t cc[DC_FP_BURST_MAX];        /**< country of each IP packet */
	uint32_t as4[DC_FP_BURST_MAX], as6[DC_FP_BURST_MAX];
	uint32_t as[DC_FP_BURST_MAX];        /**< AS index of each IP packet */
	const struct dc_geo_view *geo;       /**< databases in use this burst, or NULL */
};

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

/** Empty a table set for reuse (control core). */
void dc_tset_clear(struct dc_tset *ts);

/** Format an address key as text (dotted quad / RFC 5952). */
void dc_addr_format(const struct dc_addr_key *k, char *buf, unsigned size);

#ifdef __cplusplus
}
#endif

#endif /* DC_TSET_H */
