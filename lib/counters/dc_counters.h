/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One interval's counters, the per-burst data path that fills them, and the
 * JSON record they become. docs/COUNTERS.md defines every counter.
 *
 * A worker owns its blocks outright (no atomics, no sharing): it counts into
 * one block per interval and hands full blocks to the control core, which
 * merges them with dc_counters_merge() and writes the record.
 */
#ifndef DC_COUNTERS_H
#define DC_COUNTERS_H

#include <stdint.h>

#include "dc_common.h"
#include "dc_fp.h"
#include "dc_parse.h"
#include "dc_sbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The scalar counters: one X-macro list generates the enum, the JSON keys
 * and the descriptions (VPP foreach_* style). Fingerprint counters are
 * written inside the "fingerprints" object under their short name.
 */
#define DC_FOREACH_COUNTER(_)                                                        \
	_(PACKETS, "packets", "frames the ports delivered")                          \
	_(BYTES, "bytes", "sum of the delivered frames' lengths")                    \
	_(NON_IP, "non_ip", "frames whose ethertype after <= 2 VLAN tags is not IP") \
	_(MALFORMED, "malformed", "frames with a broken L2 or IP header")            \
	_(IPV4, "ipv4", "well-formed IPv4 packets")                                  \
	_(IPV6, "ipv6", "well-formed IPv6 packets")                                  \
	_(FRAGMENTS, "fragments", "non-first IP fragments")                          \
	_(L4_TRUNCATED, "l4_truncated", "TCP/UDP or IPv6 extension header cut short") \
	_(TCP_SYN, "tcp_syn", "TCP SYN set, ACK clear")                              \
	_(TCP_SYNACK, "tcp_synack", "TCP SYN and ACK set")                           \
	_(MIRAI, "mirai", "Mirai: seq == destination address")                       \
	_(ZMAP, "zmap", "ZMap: IP ID == 54321")                                      \
	_(MASSCAN, "masscan", "Masscan: IP ID == (dst ^ dport ^ seq) & 0xFFFF")      \
	_(LATE, "late", "packets timestamped before their worker's open interval")

enum dc_counter {
#define DC_CNT_ENUM(e, key, desc) DC_CNT_##e,
	DC_FOREACH_COUNTER(DC_CNT_ENUM)
#undef DC_CNT_ENUM
	DC_CNT__MAX
};

/** JSON key of each scalar counter. */
extern const char *const dc_counter_keys[DC_CNT__MAX];
/** One-line definition of each scalar counter. */
extern const char *const dc_counter_desc[DC_CNT__MAX];

/** The block covers more than one interval (the control core was late). */
#define DC_CNTF_EXTENDED 0x1

/** Country indexes a block counts (dc_cc_index(): 0 = unknown, 1..676 = AA..ZZ). */
#define DC_CC_MAX 677

/** Per-country counters of a block. */
enum dc_cc { DC_CC_PACKETS = 0, DC_CC_BYTES, DC_CC_MIRAI, DC_CC_ZMAP, DC_CC_MASSCAN, DC_CC__MAX };

/** One interval's counts. About 1 MiB: allocate, never put on a stack. */
struct dc_counters {
	uint64_t start;  /**< interval start, Unix seconds */
	uint64_t end;    /**< interval end (exclusive), Unix seconds */
	uint32_t flags;  /**< DC_CNTF_* */
	uint32_t nsrc;   /**< blocks merged into this one (control side) */
	uint64_t c[DC_CNT__MAX] DC_CACHE_ALIGNED;
	uint64_t proto[256] DC_CACHE_ALIGNED;
	uint64_t cc[DC_CC_MAX][DC_CC__MAX]; /**< per source country (with a geo database) */
	uint64_t icmp_type[256];  /**< IPv4 ICMP (protocol 1) packets per type */
	uint64_t icmp6_type[256]; /**< ICMPv6 (IPv6 next header 58) packets per type */
	/* Bit b of word w: ports [64 * (64w + b), +64) may be non-zero, so the
	 * control core merges, clears and prints only chunks that were used. */
	uint64_t tcp_touch[16];
	uint64_t udp_touch[16];
	uint64_t tcp_dport[65536] DC_CACHE_ALIGNED;
	uint64_t udp_dport[65536] DC_CACHE_ALIGNED;
};

/** Mark the 64-port chunk of @p port used in @p touch. */
static inline void
dc_port_touch(uint64_t *touch, uint16_t port)
{
	touch[port >> 12] |= 1ull << ((port >> 6) & 63);
}

/** Call @p fn(ctx, first_port) for every used 64-port chunk. */
#define DC_FOREACH_CHUNK(touch, chunk)                                             \
	for (unsigned _w = 0; _w < 16; _w++)                                        \
		for (uint64_t _m = (touch)[_w]; _m; _m &= _m - 1)                   \
			for (unsigned chunk = (_w * 64 + (unsigned)__builtin_ctzll(_m)) * 64, \
				      _once = 1; _once; _once = 0)

/** Per-burst scratch of the data path, one per worker (never shared). */
struct dc_burst_ctx {
	struct dc_fp_burst fp;
	struct dc_pkt pkt[DC_FP_BURST_MAX];
	uint8_t fpres[DC_FP_BURST_MAX];
};

/**
 * The data path for one burst: parse every frame, evaluate the
 * fingerprints over the whole burst, and count into @p c.
 *
 * @param c
 *   The worker's open block.
 * @param ctx
 *   The worker's scratch.
 * @param frames
 *   Pointer to each frame's first byte.
 * @param lens
 *   Each frame's delivered length (counted in bytes).
 * @param caplens
 *   Bytes readable at each frame (== lens unless the frame was split).
 * @param n
 *   Frames, at most DC_FP_BURST_MAX.
 */
void dc_counters_burst(struct dc_counters *c, struct dc_burst_ctx *ctx,
		       const uint8_t *const *frames, const uint32_t *lens,
		       const uint32_t *caplens, unsigned n);

/** Zero the counts of @p c and set its interval (touches only used chunks). */
void dc_counters_reset(struct dc_counters *c, uint64_t start, uint64_t end);

/** Add @p src into @p dst; the interval becomes the union of both. */
void dc_counters_merge(struct dc_counters *dst, const struct dc_counters *src);

/**
 * Append the record's counter keys as JSON members (no enclosing braces):
 * start, end, the scalars, proto, tcp_dst_ports, udp_dst_ports, icmp_types,
 * icmp6_types, fingerprints.
 */
void dc_counters_json(const struct dc_counters *c, struct dc_sbuf *sb);

#ifdef __cplusplus
}
#endif

#endif /* DC_COUNTERS_H */
