/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counting rules, one edge case at a time, on hand-built frames. Every
 * expected value is written out here from the rules in docs/COUNTERS.md,
 * not computed by the parser.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dc_counters.h"
#include "dc_tset.h"
#include "dc_parse.h"
#include "dc_test.h"
#include "dc_mem.h"

/* A frame under construction. */
struct fb {
	uint8_t b[2048];
	uint32_t len;
};

static void
put8(struct fb *f, uint8_t v)
{
	f->b[f->len++] = v;
}

/* @p n bytes of value @p v. */
static void
fill(struct fb *f, uint8_t v, unsigned n)
{
	while (n--)
		put8(f, v);
}

static void
put16(struct fb *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct fb *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
eth(struct fb *f, uint16_t et)
{
	memset(f, 0, sizeof(*f));
	f->len = 12;
	put16(f, et);
}

static void
vlan(struct fb *f, uint16_t next_et)
{
	put16(f, 0x0064); /* TCI: VLAN 100 */
	put16(f, next_et);
}

/* IPv4 header: ihl words, total length tl, fragment word frag. */
static void
ipv4(struct fb *f, uint8_t ihl, uint16_t tl, uint16_t id, uint16_t frag, uint8_t proto,
     uint32_t dst)
{
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, 0);
	put16(f, tl);
	put16(f, id);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x01020304);
	put32(f, dst);
	for (int i = 5; i < ihl; i++)
		put32(f, 0x01010101); /* NOP options */
}

static void
ipv6(struct fb *f, uint16_t plen, uint8_t nh)
{
	put32(f, 0x60000000);
	put16(f, plen);
	put8(f, nh);
	put8(f, 64);
	for (int i = 0; i < 8; i++)
		put32(f, 0x20010db8 + (uint32_t)i);
}

static void
tcp(struct fb *f, uint16_t dport, uint32_t seq, uint8_t flags)
{
	put16(f, 40000);
	put16(f, dport);
	put32(f, seq);
	put32(f, 0);
	put8(f, 0x50);
	put8(f, flags);
	put16(f, 1024);
	put16(f, 0);
	put16(f, 0);
}

static void
udp(struct fb *f, uint16_t dport, uint16_t len)
{
	put16(f, 5353);
	put16(f, dport);
	put16(f, len);
	put16(f, 0);
}

static struct dc_pkt
parse(const struct fb *f)
{
	struct dc_pkt p;

	dc_parse(f->b, f->len, &p);
	return p;
}

static void
t_short_ethernet(void)
{
	struct fb f;

	eth(&f, 0x0800);
	for (uint32_t len = 0; len < 14; len++) {
		struct dc_pkt p;

		dc_parse(f.b, len, &p);
		CHECK_EQ(p.l3, DC_L3_MALFORMED);
	}
}

static void
t_non_ip(void)
{
	struct fb f;
	struct dc_pkt p;

	eth(&f, 0x0806); /* ARP */
	for (int i = 0; i < 28; i++)
		put8(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_NONIP);
	/* Ethernet header alone with an IPv4 ethertype and nothing after. */
	eth(&f, 0x88CC);
	CHECK_EQ(parse(&f).l3, DC_L3_NONIP);
}

static void
t_vlan(void)
{
	struct fb f;
	struct dc_pkt p;

	/* One 802.1Q tag. */
	eth(&f, 0x8100);
	vlan(&f, 0x0800);
	ipv4(&f, 5, 40, 1, 0, 6, 0xC6120001);
	tcp(&f, 23, 5, DC_TCP_SYN);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_IPV4);
	CHECK_EQ(p.vlans, 1);
	CHECK_EQ(p.dport, 23);
	/* QinQ: 802.1ad outer, 802.1Q inner. */
	eth(&f, 0x88A8);
	vlan(&f, 0x8100);
	vlan(&f, 0x86DD);
	ipv6(&f, 8, 17);
	udp(&f, 53, 8);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_IPV6);
	CHECK_EQ(p.vlans, 2);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.dport, 53);
	/* A third tag is past the two the rules skip: non-IP. */
	eth(&f, 0x8100);
	vlan(&f, 0x8100);
	vlan(&f, 0x8100);
	vlan(&f, 0x0800);
	ipv4(&f, 5, 40, 1, 0, 6, 1);
	tcp(&f, 23, 5, DC_TCP_SYN);
	CHECK_EQ(parse(&f).l3, DC_L3_NONIP);
	/* A tag cut short: malformed. */
	eth(&f, 0x8100);
	put16(&f, 0x0064);
	put8(&f, 0x08);
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* A tag exactly present, then nothing: ethertype IPv4 with no header. */
	eth(&f, 0x8100);
	vlan(&f, 0x0800);
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
}

static void
t_ipv4_malformed(void)
{
	struct fb f;

	/* Fewer than 20 bytes. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 20, 0, 0, 6, 1);
	f.len -= 1;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* Version 6 under ethertype IPv4. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 40, 0, 0, 6, 1);
	tcp(&f, 80, 1, DC_TCP_SYN);
	f.b[14] = 0x65;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* IHL 4. */
	f.b[14] = 0x44;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* IHL 15 (60 bytes) with only 40 present. */
	f.b[14] = 0x4F;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* Total length 19 < IHL*4 = 20. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 19, 0, 0, 6, 1);
	tcp(&f, 80, 1, DC_TCP_SYN);
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* Total length 20 == IHL*4: well formed, TCP header outside the packet. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 20, 0, 0, 6, 1);
	tcp(&f, 80, 1, DC_TCP_SYN);
	CHECK_EQ(parse(&f).l3, DC_L3_IPV4);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
}

static void
t_ipv4_options_and_padding(void)
{
	struct fb f;
	struct dc_pkt p;

	/* IHL 7: TCP starts after 28 bytes of IP header. */
	eth(&f, 0x0800);
	ipv4(&f, 7, 48, 7, 0, 6, 0xC6120009);
	tcp(&f, 6379, 0xC6120009, DC_TCP_SYN);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_IPV4);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.dport, 6379);
	CHECK_EQ(p.seq, 0xC6120009);
	CHECK_EQ(p.dst4, 0xC6120009);
	/* Ethernet padding after a 40-byte packet (frame of 60): not an error. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 40, 7, 0, 6, 1);
	tcp(&f, 22, 1, DC_TCP_SYN | DC_TCP_ACK);
	while (f.len < 60)
		put8(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.pl_len, 0); /* 20 + 20 bytes: no payload, the padding is none */
	CHECK_EQ(p.ip_tlen, 40);
	CHECK_EQ(p.tcp_flags, DC_TCP_SYN | DC_TCP_ACK);
}

/* The TCP/UDP payload (pl_off, pl_len): from the end of a valid L4 header
 * to the IP packet's end, whichever of its stated length and the captured
 * bytes ends first; none for a TCP data offset under 5 or past the end. */
static void
t_payload(void)
{
	struct fb f;
	struct dc_pkt p;

	/* TCP, 20-byte header, 6 bytes of data, then 8 bytes of padding. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 46, 1, 0, 6, 0xC6120001);
	tcp(&f, 80, 1, DC_TCP_SYN);
	fill(&f, 'a', 6);
	fill(&f, 0, 8);
	p = parse(&f);
	CHECK_EQ(p.pl_off, 54);
	CHECK_EQ(p.pl_len, 6);
	/* IPv4 options (ihl 7) and a VLAN tag move it. */
	eth(&f, 0x8100);
	vlan(&f, 0x0800);
	ipv4(&f, 7, 8 + 28 + 10, 1, 0, 17, 0xC6120001);
	udp(&f, 53, 18);
	fill(&f, 'q', 10);
	p = parse(&f);
	CHECK_EQ(p.pl_off, 14 + 4 + 28 + 8);
	CHECK_EQ(p.pl_len, 10);
	/* Captured bytes end first: the payload ends with them. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 20 + 8 + 100, 1, 0, 17, 0xC6120001);
	udp(&f, 123, 108);
	fill(&f, 0x17, 30);
	p = parse(&f);
	CHECK_EQ(p.pl_off, 42);
	CHECK_EQ(p.pl_len, 30);
	CHECK_EQ(p.ip_tlen, 20 + 8 + 100); /* as the header states it */
	/* A TCP data offset past the packet's end, and one under 5: none. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 44, 1, 0, 6, 0xC6120001);
	tcp(&f, 80, 1, DC_TCP_SYN);
	f.b[14 + 20 + 12] = 0x60; /* 24 bytes of header in a 24-byte segment */
	fill(&f, 0, 4);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.pl_len, 0);
	f.b[14 + 20 + 12] = 0xF0; /* 60 bytes: past the end */
	p = parse(&f);
	CHECK_EQ(p.pl_len, 0);
	f.b[14 + 20 + 12] = 0x40; /* 16 bytes: invalid */
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.pl_len, 0);
	/* IPv6, UDP with 12 bytes of data. */
	eth(&f, 0x86DD);
	ipv6(&f, 8 + 12, 17);
	udp(&f, 5060, 20);
	fill(&f, 'O', 12);
	p = parse(&f);
	CHECK_EQ(p.pl_off, 14 + 40 + 8);
	CHECK_EQ(p.pl_len, 12);
	CHECK_EQ(p.ip_tlen, 40 + 8 + 12);
	/* ICMP carries none (for the signatures: TCP and UDP only). */
	eth(&f, 0x0800);
	ipv4(&f, 5, 20 + 8 + 16, 1, 0, 1, 0xC6120001);
	put32(&f, 0x08000000);
	put32(&f, 0);
	fill(&f, 1, 16);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_ICMP);
	CHECK_EQ(p.pl_len, 0);
}

static void
t_l4_truncated(void)
{
	struct fb f;

	/* TCP: 19 of 20 header bytes captured. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 40, 0, 0, 6, 1);
	tcp(&f, 23, 1, DC_TCP_SYN);
	f.len -= 1;
	CHECK_EQ(parse(&f).l3, DC_L3_IPV4);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* TCP: all captured, but total length ends inside the header. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 39, 0, 0, 6, 1);
	tcp(&f, 23, 1, DC_TCP_SYN);
	put8(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* UDP: exactly 8 bytes is whole; 7 is not. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 28, 0, 0, 17, 1);
	udp(&f, 123, 8);
	CHECK_EQ(parse(&f).l4, DC_L4_PORTS);
	CHECK_EQ(parse(&f).dport, 123);
	f.len -= 1;
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* Other protocols have no L4 rule. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 20, 0, 0, 47, 1);
	CHECK_EQ(parse(&f).l4, DC_L4_OTHER);
	CHECK_EQ(parse(&f).proto, 47);
}

static void
t_fragments(void)
{
	struct fb f;
	struct dc_pkt p;

	/* First fragment (MF, offset 0) keeps its ports. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 40, 0, 0x2000, 6, 1);
	tcp(&f, 445, 1, DC_TCP_SYN);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.dport, 445);
	/* Non-first fragment: no ports, even with a TCP-looking payload. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 40, 0, 0x0001, 6, 1);
	tcp(&f, 445, 1, DC_TCP_SYN);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_IPV4);
	CHECK_EQ(p.l4, DC_L4_FRAG);
	CHECK_EQ(p.proto, 6);
	/* Non-first fragment with DF/MF bits set and a short body: still a fragment. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 24, 0, 0x2000 | 0x00B9, 17, 1);
	put32(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_FRAG);
}

static void
t_ipv6(void)
{
	struct fb f;
	struct dc_pkt p;

	/* Fewer than 40 bytes. */
	eth(&f, 0x86DD);
	ipv6(&f, 0, 59);
	f.len -= 1;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* Version 4 under ethertype IPv6. */
	eth(&f, 0x86DD);
	ipv6(&f, 0, 59);
	f.b[14] = 0x40;
	CHECK_EQ(parse(&f).l3, DC_L3_MALFORMED);
	/* TCP SYN-ACK. */
	eth(&f, 0x86DD);
	ipv6(&f, 20, 6);
	tcp(&f, 22, 9, DC_TCP_SYN | DC_TCP_ACK);
	p = parse(&f);
	CHECK_EQ(p.l3, DC_L3_IPV6);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.proto, 6);
	CHECK_EQ(p.dport, 22);
	/* Payload length too small for the TCP header. */
	eth(&f, 0x86DD);
	ipv6(&f, 19, 6);
	tcp(&f, 22, 9, DC_TCP_SYN);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* Hop-by-hop (8 bytes), routing (16 bytes), dest options, then UDP. */
	eth(&f, 0x86DD);
	ipv6(&f, 8 + 16 + 8 + 8, 0);
	put8(&f, 43); put8(&f, 0); put16(&f, 0); put32(&f, 0);
	put8(&f, 60); put8(&f, 1); put16(&f, 0); put32(&f, 0); put32(&f, 0); put32(&f, 0);
	put8(&f, 17); put8(&f, 0); put16(&f, 0); put32(&f, 0);
	udp(&f, 1900, 8);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.proto, 17);
	CHECK_EQ(p.dport, 1900);
	/* Extension chain past the data: walk stops, proto is where it stopped. */
	eth(&f, 0x86DD);
	ipv6(&f, 8, 0);
	put8(&f, 43); put8(&f, 0); put16(&f, 0); put32(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_TRUNC);
	CHECK_EQ(p.proto, 43);
	/* Routing header claims 16 bytes, only 8 present. */
	eth(&f, 0x86DD);
	ipv6(&f, 8, 43);
	put8(&f, 6); put8(&f, 1); put16(&f, 0); put32(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_TRUNC);
	CHECK_EQ(p.proto, 43);
	/* Fragment header, offset 0: walk on to TCP. */
	eth(&f, 0x86DD);
	ipv6(&f, 8 + 20, 44);
	put8(&f, 6); put8(&f, 0); put16(&f, 0x0001); put32(&f, 77);
	tcp(&f, 80, 1, DC_TCP_SYN);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_PORTS);
	CHECK_EQ(p.dport, 80);
	/* Fragment header, offset > 0: a fragment of UDP, no ports. */
	eth(&f, 0x86DD);
	ipv6(&f, 8 + 8, 44);
	put8(&f, 17); put8(&f, 0); put16(&f, 0x00A8); put32(&f, 77);
	udp(&f, 53, 8);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_FRAG);
	CHECK_EQ(p.proto, 17);
	/* ICMPv6. */
	eth(&f, 0x86DD);
	ipv6(&f, 8, 58);
	put32(&f, 0x80000000);
	put32(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_ICMP);
	CHECK_EQ(p.icmp_type, 128);
	CHECK_EQ(p.proto, 58);
}

/*
 * ICMP: IPv4 protocol 1 and IPv6 next header 58 give their type and code
 * when the first 4 bytes (type, code, checksum) lie within the IP packet;
 * fewer is l4-truncated; the other family's number is just a protocol; a
 * non-first fragment has no type.
 */
static void
t_icmp(void)
{
	struct fb f;
	struct dc_pkt p;

	/* IPv4 echo request, 8 bytes */
	eth(&f, 0x0800);
	ipv4(&f, 5, 28, 0, 0, 1, 1);
	put32(&f, 0x08000000);
	put32(&f, 0x12345678);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_ICMP);
	CHECK_EQ(p.icmp_type, 8);
	CHECK_EQ(p.icmp_code, 0);
	CHECK_EQ(p.l4_off, 34);
	/* unreachable, code 3, exactly 4 bytes */
	eth(&f, 0x0800);
	ipv4(&f, 5, 24, 0, 0, 1, 1);
	put32(&f, 0x0303ffff);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_ICMP);
	CHECK_EQ(p.icmp_type, 3);
	CHECK_EQ(p.icmp_code, 3);
	/* 3 bytes captured: truncated */
	f.len -= 1;
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* 4 bytes captured but total length says 3 */
	eth(&f, 0x0800);
	ipv4(&f, 5, 23, 0, 0, 1, 1);
	put32(&f, 0x0b000000);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
	/* non-first fragment of ICMP: a fragment, no type */
	eth(&f, 0x0800);
	ipv4(&f, 5, 28, 0, 0x0010, 1, 1);
	put32(&f, 0x08000000);
	put32(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_FRAG);
	/* protocol 58 in IPv4 is not ICMP */
	eth(&f, 0x0800);
	ipv4(&f, 5, 28, 0, 0, 58, 1);
	put32(&f, 0x80000000);
	put32(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_OTHER);
	/* next header 1 in IPv6 is not ICMPv6 */
	eth(&f, 0x86DD);
	ipv6(&f, 8, 1);
	put32(&f, 0x08000000);
	put32(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_OTHER);
	/* ICMPv6 neighbour solicitation after a hop-by-hop header */
	eth(&f, 0x86DD);
	ipv6(&f, 16, 0);
	put8(&f, 58);
	for (int i = 0; i < 7; i++)
		put8(&f, 0);
	put32(&f, 0x87000000);
	put32(&f, 0);
	p = parse(&f);
	CHECK_EQ(p.l4, DC_L4_ICMP);
	CHECK_EQ(p.icmp_type, 135);
	CHECK_EQ(p.l4_off, 14 + 40 + 8);
	/* ICMPv6 with 2 bytes */
	eth(&f, 0x86DD);
	ipv6(&f, 2, 58);
	put8(&f, 128);
	put8(&f, 0);
	CHECK_EQ(parse(&f).l4, DC_L4_TRUNC);
}

/* The per-type counters: IPv4 and ICMPv6 apart, truncated ones in neither. */
static void
t_icmp_count(void)
{
	static struct fb f[5];
	struct dc_counters *c = dc_calloc(1, sizeof(*c));
	struct dc_burst_ctx *ctx = dc_calloc(1, sizeof(*ctx));
	const uint8_t *frames[5];
	uint32_t lens[5];
	unsigned n = 0;

	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 0, 0, 1, 1); put32(&f[n], 0x08000000); put32(&f[n], 0); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 0, 0, 1, 2); put32(&f[n], 0x08000000); put32(&f[n], 0); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 0, 0, 1, 3); put32(&f[n], 0x0b010000); put32(&f[n], 0); n++;
	eth(&f[n], 0x86DD); ipv6(&f[n], 8, 58); put32(&f[n], 0x08000000); put32(&f[n], 0); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 23, 0, 0, 1, 4); put32(&f[n], 0x08000000); n++;
	for (unsigned i = 0; i < n; i++) {
		frames[i] = f[i].b;
		lens[i] = f[i].len;
	}
	dc_counters_reset(c, 0, 60);
	dc_counters_burst(c, ctx, frames, lens, lens, n);
	CHECK_EQ(c->icmp_type[8], 2);
	CHECK_EQ(c->icmp_type[11], 1);
	CHECK_EQ(c->icmp6_type[8], 1);
	CHECK_EQ(c->proto[1], 4);
	CHECK_EQ(c->proto[58], 1);
	CHECK_EQ(c->c[DC_CNT_L4_TRUNCATED], 1);
	for (unsigned t = 0; t < 256; t++) {
		CHECK(t == 8 || t == 11 || c->icmp_type[t] == 0);
		CHECK(t == 8 || c->icmp6_type[t] == 0);
	}
	dc_free(c);
	dc_free(ctx);
}

/* Counting a burst: every counter against values written out by hand. */
static void
t_count_burst(void)
{
	static struct fb f[8];
	struct dc_counters *c = dc_calloc(1, sizeof(*c));
	struct dc_burst_ctx *ctx = dc_calloc(1, sizeof(*ctx));
	const uint8_t *frames[8];
	uint32_t lens[8];
	unsigned n = 0, total = 0;

	/* 0: Mirai SYN to 23 (seq == dst). */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 1000, 0, 6, 0xC6120101); tcp(&f[n], 23, 0xC6120101, DC_TCP_SYN); n++;
	/* 1: ZMap SYN to 80. */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 54321, 0, 6, 0xC6120102); tcp(&f[n], 80, 7, DC_TCP_SYN); n++;
	/* 2: Masscan SYN to 445: id = (dst ^ dport ^ seq) & 0xFFFF = (0x0103 ^ 0x01BD ^ 0x5678). */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 0x0103 ^ 0x01BD ^ 0x5678, 0, 6, 0xC6120103); tcp(&f[n], 445, 0x12345678, DC_TCP_SYN); n++;
	/* 3: backscatter SYN-ACK with seq == dst: not a fingerprint (ACK set). */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 54321, 0, 6, 0xC6120104); tcp(&f[n], 23, 0xC6120104, DC_TCP_SYN | DC_TCP_ACK); n++;
	/* 4: UDP 53. */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 1, 0, 17, 0xC6120105); udp(&f[n], 53, 8); n++;
	/* 5: non-first fragment. */
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 1, 0x0010, 17, 0xC6120105); udp(&f[n], 53, 8); n++;
	/* 6: ARP. */
	eth(&f[n], 0x0806); for (int i = 0; i < 28; i++) put8(&f[n], 0); n++;
	/* 7: IPv6 SYN to 23 with seq == low bits: fingerprints are IPv4 only. */
	eth(&f[n], 0x86DD); ipv6(&f[n], 20, 6); tcp(&f[n], 23, 0x20010db8, DC_TCP_SYN); n++;
	for (unsigned i = 0; i < n; i++) {
		frames[i] = f[i].b;
		lens[i] = f[i].len;
		total += f[i].len;
	}
	dc_counters_burst(c, ctx, frames, lens, lens, n);
	CHECK_EQ(c->c[DC_CNT_PACKETS], 8);
	CHECK_EQ(c->c[DC_CNT_BYTES], total);
	CHECK_EQ(c->c[DC_CNT_NON_IP], 1);
	CHECK_EQ(c->c[DC_CNT_MALFORMED], 0);
	CHECK_EQ(c->c[DC_CNT_IPV4], 6);
	CHECK_EQ(c->c[DC_CNT_IPV6], 1);
	CHECK_EQ(c->c[DC_CNT_FRAGMENTS], 1);
	CHECK_EQ(c->c[DC_CNT_L4_TRUNCATED], 0);
	CHECK_EQ(c->c[DC_CNT_TCP_SYN], 4);
	CHECK_EQ(c->c[DC_CNT_TCP_SYNACK], 1);
	CHECK_EQ(c->c[DC_CNT_MIRAI], 1);
	CHECK_EQ(c->c[DC_CNT_ZMAP], 1);
	CHECK_EQ(c->c[DC_CNT_MASSCAN], 1);
	CHECK_EQ(c->proto[6], 5);
	CHECK_EQ(c->proto[17], 2);
	CHECK_EQ(c->tcp_dport[23], 3);
	CHECK_EQ(c->tcp_dport[80], 1);
	CHECK_EQ(c->tcp_dport[445], 1);
	CHECK_EQ(c->udp_dport[53], 1);
	dc_free(c);
	dc_free(ctx);
}

/*
 * One source's value through the worker's table path (dc_tset_burst): the
 * hot slot, the cold record, the port set, the carries. Source 1.2.3.4 (the
 * ipv4() helper's) sends, in this order, TCP to 23, 23, 80, 81, 82, 83, 84,
 * 85, 86 (8 distinct), then 87 (a ninth: "more"), UDP to 53, one ICMP echo,
 * one GRE packet, a Mirai SYN, a ZMap SYN and a Masscan SYN. Every expected
 * value below is counted by hand from that list.
 */
/* The fingerprints' per-burst sums (16 results at a time) for bursts of
 * every length from 1 to 70 and some up to DC_FP_BURST_MAX, the flagged
 * packets at random places, after a full burst of flagged packets left
 * every result byte set (the bytes past a shorter burst must not count). */
static void
t_fp_sums(void)
{
	static struct fb all3, plain;
	static const uint8_t *frames[DC_FP_BURST_MAX];
	static uint32_t lens[DC_FP_BURST_MAX];
	struct dc_counters *c = dc_calloc(1, sizeof(*c));
	struct dc_burst_ctx *ctx = dc_calloc(1, sizeof(*ctx));
	uint64_t r = 5, want = 0;
	unsigned bad = 0;

	/* Mirai (seq == dst), ZMap (id 54321) and Masscan (id == (dst ^ dport ^
	 * seq) & 0xFFFF == dport) at once */
	eth(&all3, 0x0800); ipv4(&all3, 5, 40, 54321, 0, 6, 0xC6120109); tcp(&all3, 54321, 0xC6120109, DC_TCP_SYN);
	eth(&plain, 0x0800); ipv4(&plain, 5, 28, 1, 0, 17, 0xC6120105); udp(&plain, 53, 8);
	for (unsigned i = 0; i < DC_FP_BURST_MAX; i++) {
		frames[i] = all3.b;
		lens[i] = all3.len;
	}
	dc_counters_burst(c, ctx, frames, lens, lens, DC_FP_BURST_MAX);
	CHECK_EQ(c->c[DC_CNT_MIRAI], DC_FP_BURST_MAX);
	CHECK_EQ(c->c[DC_CNT_ZMAP], DC_FP_BURST_MAX);
	CHECK_EQ(c->c[DC_CNT_MASSCAN], DC_FP_BURST_MAX);
	want = DC_FP_BURST_MAX;
	for (unsigned n = 1; n <= 70 + 16; n++) {
		unsigned len = n <= 70 ? n : 71 + (unsigned)(dc_test_rnd(&r) % (DC_FP_BURST_MAX - 71));
		unsigned k = 0;

		for (unsigned i = 0; i < len; i++) {
			int f = dc_test_rnd(&r) % 4 == 0;

			frames[i] = f ? all3.b : plain.b;
			lens[i] = f ? all3.len : plain.len;
			k += (unsigned)f;
		}
		dc_counters_burst(c, ctx, frames, lens, lens, len);
		want += k;
		bad += c->c[DC_CNT_MIRAI] != want || c->c[DC_CNT_ZMAP] != want ||
		       c->c[DC_CNT_MASSCAN] != want;
	}
	CHECK_EQ(bad, 0);
	dc_free(c);
	dc_free(ctx);
}

static void
t_source_value(void)
{
	static struct fb f[20];
	static const uint16_t tports[] = {23, 23, 80, 81, 82, 83, 84, 85, 86, 87};
	struct dc_counters *c = dc_calloc(1, sizeof(*c));
	struct dc_burst_ctx *ctx = dc_calloc(1, sizeof(*ctx));
	struct dc_tset_ctx *tc = dc_calloc(1, sizeof(*tc));
	struct dc_tset ts = {0};
	const uint8_t *frames[20];
	uint32_t lens[20], secs[20], total = 0;
	unsigned n = 0, i;
	void *smem = aligned_alloc(64, (dc_table_mem_size(64 * dc_src_slots_per_key(64), DC_SRC_SLOT) + 63) & ~(size_t)63);
	void *dmem = aligned_alloc(64, (dc_table_mem_size(dc_table_slots_for(64), DC_DST_SLOT) + 63) & ~(size_t)63);
	const struct dc_src_slot *s;
	struct dc_addr_key key;
	struct dc_src_val v;

	ts.src = dc_table_init_n(smem, 64, 64 * dc_src_slots_per_key(64), DC_ADDR_KEY_LEN, DC_SRC_SLOT, 7);
	ts.src_cold = aligned_alloc(64, 64 * sizeof(struct dc_src_cold));
	memset(ts.src_cold, 0x5A, 64 * sizeof(struct dc_src_cold)); /* garbage: written at insert */
	ts.dst = dc_table_init(dmem, 64, sizeof(struct dc_addr_key), DC_DST_SLOT, 7);
	CHECK(ts.src != NULL && ts.dst != NULL);
	for (i = 0; i < DC_ARRAY_SIZE(tports); i++, n++) {
		eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 1, 0, 6, 0xC6120101); tcp(&f[n], tports[i], 5, DC_TCP_SYN);
	}
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 1, 0, 17, 0xC6120102); udp(&f[n], 53, 8); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 28, 1, 0, 1, 0xC6120102); put32(&f[n], 0x08000000); put32(&f[n], 0); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 24, 1, 0, 47, 0xC6120102); put32(&f[n], 0); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 1000, 0, 6, 0xC6120101); tcp(&f[n], 23, 0xC6120101, DC_TCP_SYN); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 54321, 0, 6, 0xC6120102); tcp(&f[n], 80, 7, DC_TCP_SYN); n++;
	eth(&f[n], 0x0800); ipv4(&f[n], 5, 40, 0x0103 ^ 0x01BD ^ 0x5678, 0, 6, 0xC6120103); tcp(&f[n], 445, 0x12345678, DC_TCP_SYN); n++;
	for (i = 0; i < n; i++) {
		frames[i] = f[i].b;
		lens[i] = f[i].len;
		secs[i] = 1000 + i;
		total += f[i].len;
	}
	dc_counters_burst(c, ctx, frames, lens, lens, n);
	dc_tset_burst(&ts, tc, ctx, frames, lens, secs, n, c);
	CHECK_EQ(ts.src->used, 1);
	CHECK_EQ(ts.src_ncold, 1);
	CHECK_EQ(ts.dst->used, 3);
	CHECK_EQ(ts.full[DC_TFULL_SRC], 0);
	s = (const struct dc_src_slot *)dc_table_nth(ts.src, 0);
	dc_src_expand(s, &ts.src_cold[s->cold], &key, &v);
	CHECK_EQ(key.family, 4);
	CHECK(memcmp(key.addr, "\x01\x02\x03\x04", 4) == 0);
	CHECK_EQ(v.packets, 16);
	CHECK_EQ(v.bytes, total);
	CHECK_EQ(v.tcp, 13);
	CHECK_EQ(v.udp, 1);
	CHECK_EQ(v.icmp, 1);
	CHECK_EQ(v.other, 1);
	CHECK_EQ(v.mirai, 1);
	CHECK_EQ(v.zmap, 1);
	CHECK_EQ(v.masscan, 1);
	CHECK_EQ(v.first, 1000);
	CHECK_EQ(v.last, 1000 + n - 1);
	CHECK_EQ(v.nports, 8);
	CHECK_EQ(v.more, 1);
	for (i = 0; i < 8; i++)
		CHECK_EQ(v.ports[i], tports[i + 1]); /* 23 once, then 80..86 */
	CHECK_EQ(v.ports[0], 23);

	/* Carries: counters one short of wrapping, then one more packet each. */
	{
		struct dc_src_slot *w = (struct dc_src_slot *)dc_table_nth(ts.src, 0);
		struct dc_src_cold *cold = &ts.src_cold[w->cold];
		unsigned k[] = {0, DC_ARRAY_SIZE(tports) + 2, DC_ARRAY_SIZE(tports) + 3};
		uint64_t bytes3;

		w->tcp = UINT32_MAX;
		w->mirai = UINT32_MAX;
		cold->other = UINT32_MAX;
		w->bytes = UINT32_MAX - 10; /* the bytes' low word wraps too */
		frames[0] = f[k[0]].b; lens[0] = f[k[0]].len;  /* TCP 23 */
		frames[1] = f[k[1]].b; lens[1] = f[k[1]].len;  /* GRE */
		frames[2] = f[k[2]].b; lens[2] = f[k[2]].len;  /* Mirai SYN */
		secs[0] = secs[1] = secs[2] = 999; /* earlier than last: last stays */
		bytes3 = (uint64_t)lens[0] + lens[1] + lens[2];
		dc_counters_burst(c, ctx, frames, lens, lens, 3);
		dc_tset_burst(&ts, tc, ctx, frames, lens, secs, 3, c);
		dc_src_expand(w, cold, &key, &v);
		CHECK_EQ(v.bytes, UINT32_MAX - 10 + bytes3);
		CHECK_EQ(v.tcp, (1ull << 32) + 1);     /* 0xFFFFFFFF + 2 TCP packets */
		CHECK_EQ(v.mirai, 1ull << 32);
		CHECK_EQ(v.other, 1ull << 32);
		CHECK_EQ(v.packets, v.tcp + 1 + 1 + v.other);
		CHECK_EQ(v.last, 1000 + n - 1);
		CHECK_EQ(v.first, 1000);
	}
	dc_tset_clear(&ts);
	CHECK_EQ(ts.src->used, 0);
	CHECK_EQ(ts.src_ncold, 0);
	free(ts.src_cold);
	free(smem);
	free(dmem);
	dc_free(tc);
	dc_free(c);
	dc_free(ctx);
}

/* Random bytes never crash the parser, and whatever it says stays in bounds. */
static void
t_fuzz(void)
{
	static uint8_t buf[256];
	uint64_t s = 42;

	for (int it = 0; it < 200000; it++) {
		struct dc_pkt p;
		uint32_t len;

		for (unsigned i = 0; i < sizeof(buf); i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (uint8_t)(s >> 56);
		}
		/* Bias towards IP ethertypes so deep paths are reached. */
		buf[12] = (it & 1) ? 0x08 : 0x86;
		buf[13] = (it & 1) ? 0x00 : 0xDD;
		buf[14] = (uint8_t)((it & 1) ? 0x45 : 0x60);
		len = (uint32_t)(s >> 20) % sizeof(buf);
		dc_parse(buf, len, &p);
		CHECK(p.l3 <= DC_L3_IPV6);
		if (p.l4 == DC_L4_PORTS)
			CHECK(p.l4_off + (p.proto == 6 ? 20u : 8u) <= len);
		if (p.l4 == DC_L4_ICMP)
			CHECK(p.l4_off + 4u <= len && p.proto == (p.l3 == DC_L3_IPV4 ? 1 : 58));
	}
}

/* dc_parse()'s inline fast path against dc_parse_full() on frames made to
 * sit on its edges: IPv4 with and without options, every total length from
 * 0 to 100 and random ones, captures cut anywhere from 0 to 100 bytes, TCP
 * data offsets 0 to 15, UDP, ICMP and other protocols, fragments, tags:
 * the same struct, byte for byte (both zero it first). Each class must be
 * reached, so the comparison covers the fast path's every exit. */
static void
t_fast_full(void)
{
	static const uint8_t protos[] = {6, 17, 1, 47, 58, 0};
	unsigned bad = 0, l4seen[DC_L4_ICMP + 1] = {0}, l3seen[DC_L3_IPV6 + 1] = {0}, pl = 0;
	uint64_t s = 77;

	for (int it = 0; it < 400000; it++) {
		uint8_t f[160];
		struct dc_pkt a, b;
		uint32_t caplen, tl;
		unsigned r = (unsigned)dc_test_rnd(&s);

		for (unsigned i = 0; i < sizeof(f); i++)
			f[i] = (uint8_t)dc_test_rnd(&s);
		f[12] = 0x08;
		f[13] = 0x00;
		if (r % 50 == 0) { /* a tag: the full parser's */
			f[12] = 0x81;
			f[13] = 0x00;
			f[16] = 0x08;
			f[17] = 0x00;
		} else if (r % 50 == 1) {
			f[13] = 0x06; /* ARP */
		} else if (r % 50 == 2) {
			f[12] = 0x86; /* IPv6 */
			f[13] = 0xDD;
			f[14] = 0x60;
		}
		if (r % 50 != 2)
			f[14] = (r >> 8) % 8 == 0 ? (uint8_t)(0x40 | (dc_test_rnd(&s) & 15)) : 0x45;
		tl = (r >> 11) % 4 == 0 ? (uint32_t)(dc_test_rnd(&s) & 0xFFFF) : (uint32_t)((r >> 13) % 101);
		f[16] = (uint8_t)(tl >> 8);
		f[17] = (uint8_t)tl;
		if ((r >> 20) % 4 != 0) { /* mostly not a fragment */
			f[20] &= 0xE0;
			f[21] = 0;
		}
		f[23] = (r >> 22) % 8 < 6 ? protos[(r >> 22) % 8] : (uint8_t)dc_test_rnd(&s);
		caplen = (r >> 25) % 4 == 0 ? (uint32_t)(dc_test_rnd(&s) % sizeof(f)) : (uint32_t)(dc_test_rnd(&s) % 101);
		dc_parse(f, caplen, &a);
		dc_parse_full(f, caplen, &b);
		bad += memcmp(&a, &b, sizeof(a)) != 0;
		l3seen[a.l3]++;
		if (a.l3 >= DC_L3_IPV4)
			l4seen[a.l4]++;
		pl += a.pl_len != 0;
	}
	CHECK_EQ(bad, 0);
	for (unsigned i = 0; i <= DC_L3_IPV6; i++)
		CHECK(l3seen[i] > 100);
	for (unsigned i = 0; i <= DC_L4_ICMP; i++)
		CHECK(l4seen[i] > 100);
	CHECK(pl > 1000);
}

/* dc_addr_format() writes what inet_ntop() writes: IPv4 (formatted by
 * hand) at every byte value in every position and at random, IPv6. */
static void
t_addr_format(void)
{
	unsigned bad = 0;
	uint64_t r = 17;

	for (unsigned i = 0; i < 20000; i++) {
		struct dc_addr_key k;
		char got[64], want[64];

		memset(&k, 0, sizeof(k));
		k.family = i % 5 == 4 ? 6 : 4;
		for (unsigned b = 0; b < 16; b++)
			k.addr[b] = (uint8_t)dc_test_rnd(&r);
		if (i < 1024) /* each byte value in each position, the rest zero or 255 */
			for (unsigned b = 0; b < 4; b++)
				k.addr[b] = b == i / 256 ? (uint8_t)i : (i & 1) ? 255 : 0;
		if (k.family == 6 && i % 3 == 0)
			memset(k.addr + 2, 0, 10); /* a zero run to compress */
		dc_addr_format(&k, got, sizeof(got));
		inet_ntop(k.family == 4 ? AF_INET : AF_INET6, k.addr, want, sizeof(want));
		bad += strcmp(got, want) != 0;
	}
	CHECK_EQ(bad, 0);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"frame shorter than Ethernet", t_short_ethernet},
		{"non-IP ethertypes", t_non_ip},
		{"VLAN, QinQ, third tag, cut tag", t_vlan},
		{"IPv4 malformed, one rule at a time", t_ipv4_malformed},
		{"IPv4 options and Ethernet padding", t_ipv4_options_and_padding},
		{"TCP/UDP payload bounds", t_payload},
		{"TCP/UDP truncated", t_l4_truncated},
		{"IPv4 fragments", t_fragments},
		{"IPv6 and extension headers", t_ipv6},
		{"ICMP and ICMPv6 types", t_icmp},
		{"ICMP type counters", t_icmp_count},
		{"burst counting", t_count_burst},
		{"fingerprint sums, every burst length", t_fp_sums},
		{"one source's value in the worker's table", t_source_value},
		{"addresses formatted as inet_ntop() does", t_addr_format},
		{"random frames", t_fuzz},
		{"the inline fast path as the full parser", t_fast_full},
	};

	return dc_test_run("parse", cases, DC_ARRAY_SIZE(cases));
}
