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

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/** Signature counter slots a block has: one per distinct signature id a
 * run has loaded (reloads keep an id's slot), DC_SIG_MAX of lib/sig. */
#define DC_SIG_SLOTS 1024

/** Country indexes a block counts (dc_cc_index(): 0 = unknown, 1..676 = AA..ZZ). */
#define DC_CC_MAX 677

/** Per-country counters of a block. */
enum dc_cc { DC_CC_PACKETS = 0, DC_CC_BYTES, DC_CC_MIRAI, DC_CC_ZMAP, DC_CC_MASSCAN, DC_CC__MAX };

/*
 * Port counters are merged, cleared and printed by chunks of DC_CHUNK_PORTS
 * ports that a packet has touched: one cache line of counters, so a scan's
 * scattered ports cost the control core a line each, not 8 (2026-11-27: on a
 * 1-minute interval of ~3,500 scanning packets most 64-port chunks were
 * touched, 400 KiB merged and cleared per protocol).
 */
#define DC_CHUNK_SHIFT 3
#define DC_CHUNK_PORTS (1u << DC_CHUNK_SHIFT)
#define DC_TOUCH_WORDS (65536u / DC_CHUNK_PORTS / 64u)

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
	/* Payload signatures (docs/SIGNATURES.md); zero when they are off. */
	uint64_t sig_payload;     /**< IP packets with a non-empty TCP/UDP payload */
	uint64_t sig_bytes;       /**< payload bytes scanned (each at most sig_payload_max) */
	uint64_t sig_matched;     /**< packets that matched at least one signature */
	uint64_t sig[DC_SIG_SLOTS]; /**< packets per signature counter slot (see dc_sig_view) */
	/* Bit b of word w: ports [DC_CHUNK_PORTS * (64w + b), +DC_CHUNK_PORTS)
	 * may be non-zero, so the control core merges, clears and prints only
	 * chunks that were used. */
	uint64_t tcp_touch[DC_TOUCH_WORDS];
	uint64_t udp_touch[DC_TOUCH_WORDS];
	uint64_t tcp_dport[65536] DC_CACHE_ALIGNED;
	uint64_t udp_dport[65536] DC_CACHE_ALIGNED;
};

/** Mark the chunk of @p port used in @p touch. */
static inline void
dc_port_touch(uint64_t *touch, uint16_t port)
{
	touch[port >> (DC_CHUNK_SHIFT + 6)] |= 1ull << ((port >> DC_CHUNK_SHIFT) & 63);
}

/** Run the statement that follows with @p chunk, the first port of every
 * used chunk (DC_CHUNK_PORTS ports), in port order. */
#define DC_FOREACH_CHUNK(touch, chunk)                                             \
	for (unsigned _w = 0; _w < DC_TOUCH_WORDS; _w++)                            \
		for (uint64_t _m = (touch)[_w]; _m; _m &= _m - 1)                   \
			for (unsigned chunk = (_w * 64 + (unsigned)__builtin_ctzll(_m)) << DC_CHUNK_SHIFT, \
				      _once = 1; _once; _once = 0)

/** Per-burst scratch of the data path, one per worker (never shared). */
struct dc_burst_ctx {
	struct dc_fp_burst fp;
	struct dc_pkt pkt[DC_FP_BURST_MAX];
	uint8_t fpres[DC_FP_BURST_MAX];
};

/*
 * The data path's stages (dc_counters_burst(), then dc_tset_burst()), in the
 * order a worker runs them. The burst functions call DC_STAGE_MARK(stage)
 * right after each stage's work (a table stage runs in several pieces, each
 * followed by its mark). The mark is empty in the engine; a file that
 * defines DC_STAGE_MARK before including this header gets it in its own
 * copies of the inline drivers, dc_counters_burst_stages() and
 * dc_tset_burst_stages(), which is how bench/stages times each stage of the
 * engine's own code.
 */
enum dc_stage {
	DC_STAGE_PARSE,     /**< dc_parse() of every frame, fingerprint fields laid out */
	DC_STAGE_FP,        /**< fingerprints over the burst, summed */
	DC_STAGE_COUNT,     /**< the block's counters */
	DC_STAGE_KEYS,      /**< source, destination and flowtuple keys of the IP packets */
	DC_STAGE_GEO,       /**< country and AS lookups of new sources (with a database) */
	DC_STAGE_SRC,       /**< source table: hash, prefetch, find or insert, update, per-country counters */
	DC_STAGE_DST,       /**< destination table: hash, prefetch, find or insert, count */
	DC_STAGE_FLOW,      /**< flowtuple table: the same */
	DC_STAGE_SIG,       /**< payload signatures (with rules loaded) */
	DC_STAGE__MAX
};

#ifndef DC_STAGE_MARK
#define DC_STAGE_MARK(stage) ((void)0)
#endif

/* The first four bytes of a dc_pkt as one word, in memory order. */
static inline uint32_t
dc_pkt_head(uint8_t l3, uint8_t l4, uint8_t proto, uint8_t tcp_flags)
{
	const uint8_t b[4] = {l3, l4, proto, tcp_flags};
	uint32_t w;

	memcpy(&w, b, sizeof(w));
	return w;
}

/* UINT32_MAX when the fingerprints apply to @p p (IPv4, TCP with its whole
 * header, SYN without ACK), else 0: the four fields are the struct's first
 * four bytes, tested as one word against constants the compiler folds. */
static inline uint32_t
dc_fp_eligible(const struct dc_pkt *p)
{
	uint32_t w;

	_Static_assert(offsetof(struct dc_pkt, l3) == 0 && offsetof(struct dc_pkt, l4) == 1 &&
			       offsetof(struct dc_pkt, proto) == 2 &&
			       offsetof(struct dc_pkt, tcp_flags) == 3,
		       "dc_pkt's first four bytes");
	memcpy(&w, p, sizeof(w));
	return (w & dc_pkt_head(0xFF, 0xFF, 0xFF, DC_TCP_SYN | DC_TCP_ACK)) ==
			       dc_pkt_head(DC_L3_IPV4, DC_L4_PORTS, 6, DC_TCP_SYN)
		       ? UINT32_MAX
		       : 0;
}

/** Stage 1 of dc_counters_burst(): parse every frame into ctx->pkt and lay
 * the fingerprint fields out in ctx->fp; returns the frames' bytes. With
 * @p c, the line of each TCP/UDP packet's destination-port counter in @p c
 * is prefetched for stage 3 (the port arrays are 1 MiB: a random port is a
 * cache miss; stages bench, 1M sources: the counters stage from 36-40 to 12
 * cycles per packet). */
static DC_ALWAYS_INLINE uint64_t
dc_counters_parse(struct dc_counters *c, struct dc_burst_ctx *ctx, const uint8_t *const *frames,
		  const uint32_t *lens, const uint32_t *caplens, unsigned n)
{
	struct dc_fp_burst *fb = &ctx->fp;
	uint64_t bytes = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct dc_pkt *p = &ctx->pkt[i];

		if (i + 2 < n)
			__builtin_prefetch(frames[i + 2]);
		dc_parse(frames[i], caplens[i], p);
		bytes += lens[i];
		fb->elig[i] = dc_fp_eligible(p);
		fb->seq[i] = p->seq;
		fb->dst[i] = p->dst4;
		fb->ipid[i] = p->ip_id;
		fb->dport[i] = p->dport;
		/* The port counter stage 3 adds to: a line of a 512 KiB array,
		 * asked for now, a parse of the burst before it is needed. */
		if (c != NULL && p->l4 == DC_L4_PORTS)
			__builtin_prefetch(p->proto == 6 ? &c->tcp_dport[p->dport]
							 : &c->udp_dport[p->dport], 1);
	}
	return bytes;
}

/** Stage 2: the fingerprints over the whole burst into ctx->fpres, their
 * packets added to @p c. */
static DC_ALWAYS_INLINE void
dc_counters_fp(struct dc_counters *c, struct dc_burst_ctx *ctx, unsigned n)
{
	uint64_t mirai = 0, zmap = 0, masscan = 0;
	unsigned i;

	if (dc_fp_eval(&ctx->fp, n, ctx->fpres) != 0) {
#if defined(__SSE2__)
		/* 16 results at a time: each flag moved to its byte's top bit,
		 * the bytes' top bits gathered and counted (the bytes past n hold
		 * an earlier burst's results: masked off) */
		_Static_assert(DC_FP_MIRAI == 1 && DC_FP_ZMAP == 2 && DC_FP_MASSCAN == 4,
			       "fingerprint flags in bits 0, 1, 2");
		_Static_assert(DC_FP_BURST_MAX % 16 == 0, "whole 16-byte loads");
		for (i = 0; i < n; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)&ctx->fpres[i]);
			uint32_t m = n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1;

			mirai += (uint64_t)__builtin_popcount((uint32_t)_mm_movemask_epi8(_mm_slli_epi16(v, 7)) & m);
			zmap += (uint64_t)__builtin_popcount((uint32_t)_mm_movemask_epi8(_mm_slli_epi16(v, 6)) & m);
			masscan += (uint64_t)__builtin_popcount((uint32_t)_mm_movemask_epi8(_mm_slli_epi16(v, 5)) & m);
		}
#else
		for (i = 0; i < n; i++) {
			mirai += ctx->fpres[i] & DC_FP_MIRAI;
			zmap += (ctx->fpres[i] >> 1) & 1;
			masscan += (ctx->fpres[i] >> 2) & 1;
		}
#endif
	}
	c->c[DC_CNT_MIRAI] += mirai;
	c->c[DC_CNT_ZMAP] += zmap;
	c->c[DC_CNT_MASSCAN] += masscan;
}

/** Stage 3: count the parsed burst into @p c (@p bytes from stage 1). */
static DC_ALWAYS_INLINE void
dc_counters_count(struct dc_counters *c, const struct dc_burst_ctx *ctx, unsigned n,
		  uint64_t bytes)
{
	uint64_t l3[4] = {0, 0, 0, 0}, frag = 0, trunc = 0, syn = 0, synack = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct dc_pkt *p = &ctx->pkt[i];

		l3[p->l3]++;
		if (p->l3 < DC_L3_IPV4)
			continue;
		c->proto[p->proto]++;
		switch (p->l4) {
		case DC_L4_PORTS:
			if (p->proto == 6) {
				c->tcp_dport[p->dport]++;
				dc_port_touch(c->tcp_touch, p->dport);
				syn += (p->tcp_flags & (DC_TCP_SYN | DC_TCP_ACK)) == DC_TCP_SYN;
				synack += (p->tcp_flags & (DC_TCP_SYN | DC_TCP_ACK)) ==
					  (DC_TCP_SYN | DC_TCP_ACK);
			} else {
				c->udp_dport[p->dport]++;
				dc_port_touch(c->udp_touch, p->dport);
			}
			break;
		case DC_L4_ICMP:
			/* proto is 1 for IPv4 and 58 for IPv6 here */
			if (p->l3 == DC_L3_IPV4)
				c->icmp_type[p->icmp_type]++;
			else
				c->icmp6_type[p->icmp_type]++;
			break;
		case DC_L4_TRUNC:
			trunc++;
			break;
		case DC_L4_FRAG:
			frag++;
			break;
		default:
			break;
		}
	}
	c->c[DC_CNT_PACKETS] += n;
	c->c[DC_CNT_BYTES] += bytes;
	c->c[DC_CNT_MALFORMED] += l3[DC_L3_MALFORMED];
	c->c[DC_CNT_NON_IP] += l3[DC_L3_NONIP];
	c->c[DC_CNT_IPV4] += l3[DC_L3_IPV4];
	c->c[DC_CNT_IPV6] += l3[DC_L3_IPV6];
	c->c[DC_CNT_FRAGMENTS] += frag;
	c->c[DC_CNT_L4_TRUNCATED] += trunc;
	c->c[DC_CNT_TCP_SYN] += syn;
	c->c[DC_CNT_TCP_SYNACK] += synack;
}

/** dc_counters_burst() itself: its stages in order, each followed by its
 * DC_STAGE_MARK. */
static DC_ALWAYS_INLINE void
dc_counters_burst_stages(struct dc_counters *c, struct dc_burst_ctx *ctx,
			 const uint8_t *const *frames, const uint32_t *lens,
			 const uint32_t *caplens, unsigned n)
{
	uint64_t bytes = dc_counters_parse(c, ctx, frames, lens, caplens, n);

	DC_STAGE_MARK(DC_STAGE_PARSE);
	dc_counters_fp(c, ctx, n);
	DC_STAGE_MARK(DC_STAGE_FP);
	dc_counters_count(c, ctx, n, bytes);
	DC_STAGE_MARK(DC_STAGE_COUNT);
}

/**
 * The data path for one burst: parse every frame, evaluate the
 * fingerprints over the whole burst, and count into @p c
 * (dc_counters_burst_stages()).
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
