/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "dc_common.h"
#include "dc_parse.h"

#define ETH_HLEN 14
#define ET_IPV4 0x0800
#define ET_IPV6 0x86DD
#define ET_VLAN 0x8100
#define ET_QINQ 0x88A8

static inline uint16_t
be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* TCP, UDP or ICMP header at @off, IP packet ending at @end; @icmp is the
 * ICMP protocol number of the IP version (1 for IPv4, 58 for IPv6). */
static inline void
parse_l4(const uint8_t *f, uint32_t off, uint32_t end, uint8_t icmp, struct dc_pkt *p)
{
	uint32_t hlen; /* TCP/UDP header bytes: 8 for UDP, TCP data offset x 4 (0: invalid) */

	if (p->proto == icmp) {
		/* type, code, checksum: the part common to every ICMP message */
		if (off + 4 > end) {
			p->l4 = DC_L4_TRUNC;
			return;
		}
		p->l4 = DC_L4_ICMP;
		p->l4_off = (uint16_t)off;
		p->icmp_type = f[off];
		p->icmp_code = f[off + 1];
		return;
	}
	if (p->proto == 6) {
		if (off + 20 > end) {
			p->l4 = DC_L4_TRUNC;
			return;
		}
		p->seq = be32(f + off + 4);
		p->tcp_flags = f[off + 13];
		hlen = (f[off + 12] >> 4) * 4u;
		if (hlen < 20)
			hlen = 0; /* no valid header length: no payload */
	} else if (p->proto == 17) {
		if (off + 8 > end) {
			p->l4 = DC_L4_TRUNC;
			return;
		}
		hlen = 8;
	} else {
		p->l4 = DC_L4_OTHER;
		return;
	}
	p->l4 = DC_L4_PORTS;
	p->l4_off = (uint16_t)off;
	p->sport = be16(f + off);
	p->dport = be16(f + off + 2);
	/* The payload: what follows a valid header, up to the packet's end. */
	off += hlen;
	if (hlen != 0 && off < end && off <= UINT16_MAX) {
		p->pl_off = (uint16_t)off;
		p->pl_len = (uint16_t)(end - off);
	}
}

static inline void
parse_ipv4(const uint8_t *f, uint32_t off, uint32_t caplen, struct dc_pkt *p)
{
	const uint8_t *ip = f + off;
	uint32_t rem = caplen - off, hl, tl, end;

	if (rem < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0xF) < 5)
		return; /* malformed */
	hl = (ip[0] & 0xFu) * 4;
	tl = be16(ip + 2);
	if (hl > rem || tl < hl)
		return; /* malformed */
	end = off + (tl < rem ? tl : rem);
	p->l3 = DC_L3_IPV4;
	p->l3_off = (uint16_t)off;
	p->ip_tlen = (uint16_t)tl;
	p->proto = ip[9];
	p->ttl = ip[8];
	p->ip_id = be16(ip + 4);
	p->dst4 = be32(ip + 16);
	if (be16(ip + 6) & 0x1FFF) {
		p->l4 = DC_L4_FRAG;
		return;
	}
	parse_l4(f, off + hl, end, 1, p);
}

static inline void
parse_ipv6(const uint8_t *f, uint32_t off, uint32_t caplen, struct dc_pkt *p)
{
	const uint8_t *ip = f + off;
	uint32_t rem = caplen - off, end, pos;
	uint8_t nh;

	if (rem < 40 || (ip[0] >> 4) != 6)
		return; /* malformed */
	end = off + 40 + be16(ip + 4);
	if (end > caplen)
		end = caplen;
	p->l3 = DC_L3_IPV6;
	p->l3_off = (uint16_t)off;
	p->ip_tlen = (uint16_t)(be16(ip + 4) + 40);
	p->ttl = ip[7];
	nh = ip[6];
	pos = off + 40;
	/* Each extension header is at least 8 bytes, so the walk ends. */
	for (;;) {
		p->proto = nh;
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60)
			break;
		if (pos + 8 > end) {
			p->l4 = DC_L4_TRUNC;
			return;
		}
		if (nh == 44) {
			nh = f[pos];
			if (be16(f + pos + 2) >> 3) {
				p->proto = nh;
				p->l4 = DC_L4_FRAG;
				return;
			}
			pos += 8;
		} else {
			uint32_t len = ((uint32_t)f[pos + 1] + 1) * 8;

			if (pos + len > end) {
				p->l4 = DC_L4_TRUNC;
				return;
			}
			nh = f[pos];
			pos += len;
		}
	}
	parse_l4(f, pos, end, 58, p);
}

void
dc_parse_full(const uint8_t *frame, uint32_t caplen, struct dc_pkt *p)
{
	uint32_t off = ETH_HLEN;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	p->l3 = DC_L3_MALFORMED;
	if (unlikely(caplen < ETH_HLEN))
		return;
	et = be16(frame + 12);
	while ((et == ET_VLAN || et == ET_QINQ) && p->vlans < 2) {
		if (off + 4 > caplen)
			return; /* tag cut short: malformed */
		et = be16(frame + off + 2);
		off += 4;
		p->vlans++;
	}
	if (likely(et == ET_IPV4))
		parse_ipv4(frame, off, caplen, p);
	else if (et == ET_IPV6)
		parse_ipv6(frame, off, caplen, p);
	else
		p->l3 = DC_L3_NONIP;
}
