/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Header parsing by darkcap's counting rules (docs/COUNTERS.md).
 *
 * dc_parse() classifies one frame: Ethernet with up to two VLAN tags, then
 * IPv4 or IPv6 (extension headers walked), then the TCP or UDP header. It
 * reads only the bytes given, never past @p caplen, and never fails: a frame
 * that breaks a rule is classified as malformed, non-IP or L4-truncated.
 * No DPDK dependency, so the rules are unit-tested on plain byte arrays.
 */
#ifndef DC_PARSE_H
#define DC_PARSE_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Layer-3 class of a frame. */
enum dc_l3 {
	DC_L3_MALFORMED = 0, /**< broken L2 header, or IP header breaking the rules */
	DC_L3_NONIP,         /**< ethertype other than IPv4/IPv6 after <= 2 VLAN tags */
	DC_L3_IPV4,          /**< well-formed IPv4 header */
	DC_L3_IPV6,          /**< well-formed IPv6 header */
};

/** Layer-4 outcome of a well-formed IP packet. */
enum dc_l4 {
	DC_L4_OTHER = 0, /**< protocol other than TCP/UDP: nothing further */
	DC_L4_PORTS,     /**< whole TCP (20 B) or UDP (8 B) header present: ports valid */
	DC_L4_TRUNC,     /**< TCP/UDP/ICMP header, or an IPv6 extension header, cut short */
	DC_L4_FRAG,      /**< non-first fragment: no L4 header */
	DC_L4_ICMP,      /**< ICMP (IPv4 protocol 1) or ICMPv6 (IPv6 58): type and code valid */
};

#define DC_TCP_FIN 0x01
#define DC_TCP_SYN 0x02
#define DC_TCP_RST 0x04
#define DC_TCP_PSH 0x08
#define DC_TCP_ACK 0x10

/** What dc_parse() found in one frame. Fields beyond l3 are valid as stated. */
struct dc_pkt {
	uint8_t l3;        /**< enum dc_l3 */
	uint8_t l4;        /**< enum dc_l4 (IP only) */
	uint8_t proto;     /**< IPv4 protocol / IPv6 final next header (IP only) */
	uint8_t tcp_flags; /**< TCP flags byte (TCP with DC_L4_PORTS only) */
	uint8_t ttl;       /**< IPv4 TTL / IPv6 hop limit (IP only) */
	uint8_t vlans;     /**< VLAN tags skipped (0..2) */
	uint8_t icmp_type; /**< ICMP / ICMPv6 type (DC_L4_ICMP only) */
	uint8_t icmp_code; /**< ICMP / ICMPv6 code (DC_L4_ICMP only) */
	uint16_t l3_off;   /**< offset of the IP header in the frame (IP only) */
	uint16_t l4_off;   /**< offset of the L4 header (DC_L4_PORTS only) */
	uint16_t pl_off;   /**< offset of the TCP/UDP payload in the frame (pl_len > 0 only) */
	uint16_t pl_len;   /**< TCP/UDP payload bytes up to the IP packet's end (its stated
			        length or the captured bytes, whichever ends first: Ethernet
			        padding is not payload); 0 when none: not DC_L4_PORTS, a TCP
			        data offset under 5 or past the end, or a payload starting
			        past the frame's first 64 KiB */
	uint16_t sport;    /**< source port, host order (DC_L4_PORTS) */
	uint16_t dport;    /**< destination port, host order (DC_L4_PORTS) */
	uint16_t ip_id;    /**< IPv4 identification, host order (IPv4 only) */
	uint16_t ip_tlen;  /**< IP length as the header states it: IPv4 total length, IPv6
			        payload length + 40 (mod 65536), however much of the packet
			        was captured (IP only; the flowtuple's IP length) */
	uint32_t seq;      /**< TCP sequence number, host order (TCP, DC_L4_PORTS) */
	uint32_t dst4;     /**< IPv4 destination, host order (IPv4 only) */
};

/**
 * dc_parse() for every frame: Ethernet with up to two VLAN tags, IPv4 or
 * IPv6 (extension headers walked), every class of the rules. dc_parse()
 * takes the common case itself and calls this for the rest; the two give
 * the same result for every frame (tests/unit/test_parse.c compares them).
 */
void dc_parse_full(const uint8_t *frame, uint32_t caplen, struct dc_pkt *p);

/* Network byte order, from any alignment. */
static inline uint16_t
dc_parse_be16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t
dc_parse_be32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return __builtin_bswap32(v);
}

/**
 * Classify one frame by the counting rules.
 *
 * Inline for the frames a darknet sees nearly all of (Ethernet without a
 * tag, IPv4 without options, a whole TCP, UDP or ICMP header, or a
 * fragment):
 * fewer tests than the full parser's walk, and no call (callgrind,
 * bench/profile/callgrind.sh: the parse from 90 to ~55 instructions per
 * packet). Everything else, including any frame the fast path would have to
 * classify as broken, goes to dc_parse_full(), which starts over.
 *
 * @param frame
 *   First byte of the Ethernet header.
 * @param caplen
 *   Bytes available at @p frame (the frame as delivered).
 * @param p
 *   Filled with the result; never left partly stale: l3 is always set and
 *   the fields valid for that class are set.
 */
static inline void
dc_parse(const uint8_t *frame, uint32_t caplen, struct dc_pkt *p)
{
	const uint8_t *ip = frame + 14;
	uint32_t tl, end, hlen;
	uint8_t proto;

	/* ethertype 0x0800, version 4 with a 20-byte header, all captured */
	if (caplen < 34 || frame[12] != 0x08 || frame[13] != 0x00 || ip[0] != 0x45)
		goto full;
	tl = dc_parse_be16(ip + 2);
	if (tl < 20)
		goto full; /* malformed */
	end = 14 + (tl < caplen - 14 ? tl : caplen - 14);
	proto = ip[9];
	memset(p, 0, sizeof(*p));
	p->l3 = DC_L3_IPV4;
	p->proto = proto;
	p->ttl = ip[8];
	p->l3_off = 14;
	p->ip_tlen = (uint16_t)tl;
	p->ip_id = dc_parse_be16(ip + 4);
	p->dst4 = dc_parse_be32(ip + 16);
	if (dc_parse_be16(ip + 6) & 0x1FFF) {
		p->l4 = DC_L4_FRAG;
		return;
	}
	if (proto == 6 && end >= 54) {
		p->seq = dc_parse_be32(frame + 38);
		p->tcp_flags = frame[47];
		hlen = (frame[46] >> 4) * 4u;
		if (hlen < 20)
			hlen = 0; /* no valid header length: no payload */
	} else if (proto == 17 && end >= 42) {
		hlen = 8;
	} else if (proto == 1 && end >= 38) {
		p->l4 = DC_L4_ICMP;
		p->l4_off = 34;
		p->icmp_type = frame[34];
		p->icmp_code = frame[35];
		return;
	} else {
		goto full; /* other protocols, a cut TCP, UDP or ICMP header */
	}
	p->l4 = DC_L4_PORTS;
	p->l4_off = 34;
	p->sport = dc_parse_be16(frame + 34);
	p->dport = dc_parse_be16(frame + 36);
	if (hlen != 0 && 34 + hlen < end) {
		p->pl_off = (uint16_t)(34 + hlen);
		p->pl_len = (uint16_t)(end - 34 - hlen);
	}
	return;
full:
	dc_parse_full(frame, caplen, p);
}

#ifdef __cplusplus
}
#endif

#endif /* DC_PARSE_H */
