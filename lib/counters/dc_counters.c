/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <string.h>

#include "dc_counters.h"

const char *const dc_counter_keys[DC_CNT__MAX] = {
#define DC_CNT_KEY(e, key, desc) [DC_CNT_##e] = key,
	DC_FOREACH_COUNTER(DC_CNT_KEY)
#undef DC_CNT_KEY
};

const char *const dc_counter_desc[DC_CNT__MAX] = {
#define DC_CNT_DESC(e, key, desc) [DC_CNT_##e] = desc,
	DC_FOREACH_COUNTER(DC_CNT_DESC)
#undef DC_CNT_DESC
};

void
dc_counters_burst(struct dc_counters *c, struct dc_burst_ctx *ctx,
		  const uint8_t *const *frames, const uint32_t *lens,
		  const uint32_t *caplens, unsigned n)
{
	dc_counters_burst_stages(c, ctx, frames, lens, caplens, n);
}

static void
ports_zero(uint64_t *ports, uint64_t *touch)
{
	DC_FOREACH_CHUNK(touch, chunk)
		memset(&ports[chunk], 0, DC_CHUNK_PORTS * sizeof(ports[0]));
	memset(touch, 0, DC_TOUCH_WORDS * sizeof(touch[0]));
}

void
dc_counters_reset(struct dc_counters *c, uint64_t start, uint64_t end)
{
	ports_zero(c->tcp_dport, c->tcp_touch);
	ports_zero(c->udp_dport, c->udp_touch);
	memset(c, 0, offsetof(struct dc_counters, tcp_touch));
	c->start = start;
	c->end = end;
}

static void
ports_merge(uint64_t *dst, uint64_t *dtouch, const uint64_t *src, const uint64_t *stouch)
{
	DC_FOREACH_CHUNK(stouch, chunk)
		for (unsigned i = chunk; i < chunk + DC_CHUNK_PORTS; i++)
			dst[i] += src[i];
	for (unsigned w = 0; w < DC_TOUCH_WORDS; w++)
		dtouch[w] |= stouch[w];
}

void
dc_counters_merge(struct dc_counters *dst, const struct dc_counters *src)
{
	unsigned i;

	if (dst->nsrc == 0 || src->start < dst->start)
		dst->start = src->start;
	if (dst->nsrc == 0 || src->end > dst->end)
		dst->end = src->end;
	dst->flags |= src->flags;
	dst->nsrc++;
	for (i = 0; i < DC_CNT__MAX; i++)
		dst->c[i] += src->c[i];
	for (i = 0; i < 256; i++)
		dst->proto[i] += src->proto[i];
	for (i = 0; i < DC_CC_MAX; i++)
		for (unsigned k = 0; k < DC_CC__MAX; k++)
			dst->cc[i][k] += src->cc[i][k];
	for (i = 0; i < 256; i++) {
		dst->icmp_type[i] += src->icmp_type[i];
		dst->icmp6_type[i] += src->icmp6_type[i];
	}
	dst->sig_payload += src->sig_payload;
	dst->sig_bytes += src->sig_bytes;
	if (src->sig_matched) {
		dst->sig_matched += src->sig_matched;
		for (i = 0; i < DC_SIG_SLOTS; i++)
			dst->sig[i] += src->sig[i];
	}
	ports_merge(dst->tcp_dport, dst->tcp_touch, src->tcp_dport, src->tcp_touch);
	ports_merge(dst->udp_dport, dst->udp_touch, src->udp_dport, src->udp_touch);
}

static void
json_sparse(struct dc_sbuf *sb, const char *key, const uint64_t *v, unsigned n)
{
	int comma = 0;
	unsigned i;

	dc_sbuf_lit(sb, ",\"");
	dc_sbuf_str(sb, key);
	dc_sbuf_lit(sb, "\":{");
	for (i = 0; i < n; i++) {
		if (v[i] == 0)
			continue;
		dc_sbuf_json_kv(sb, comma, i, v[i]);
		comma = 1;
	}
	dc_sbuf_lit(sb, "}");
}

static void
json_ports(struct dc_sbuf *sb, const char *key, const uint64_t *v, const uint64_t *touch)
{
	int comma = 0;

	dc_sbuf_lit(sb, ",\"");
	dc_sbuf_str(sb, key);
	dc_sbuf_lit(sb, "\":{");
	DC_FOREACH_CHUNK(touch, chunk)
		for (unsigned i = chunk; i < chunk + DC_CHUNK_PORTS; i++) {
			if (v[i] == 0)
				continue;
			dc_sbuf_json_kv(sb, comma, i, v[i]);
			comma = 1;
		}
	dc_sbuf_lit(sb, "}");
}

void
dc_counters_json(const struct dc_counters *c, struct dc_sbuf *sb)
{
	unsigned i;

	dc_sbuf_str_u64(sb, "\"start\":", c->start);
	dc_sbuf_str_u64(sb, ",\"end\":", c->end);
	for (i = 0; i < DC_CNT__MAX; i++) {
		if (i == DC_CNT_MIRAI || i == DC_CNT_ZMAP || i == DC_CNT_MASSCAN)
			continue;
		dc_sbuf_member_u64(sb, dc_counter_keys[i], c->c[i]);
	}
	json_sparse(sb, "proto", c->proto, 256);
	json_ports(sb, "tcp_dst_ports", c->tcp_dport, c->tcp_touch);
	json_ports(sb, "udp_dst_ports", c->udp_dport, c->udp_touch);
	json_sparse(sb, "icmp_types", c->icmp_type, 256);
	json_sparse(sb, "icmp6_types", c->icmp6_type, 256);
	dc_sbuf_str_u64(sb, ",\"fingerprints\":{\"mirai\":", c->c[DC_CNT_MIRAI]);
	dc_sbuf_str_u64(sb, ",\"zmap\":", c->c[DC_CNT_ZMAP]);
	dc_sbuf_str_u64(sb, ",\"masscan\":", c->c[DC_CNT_MASSCAN]);
	dc_sbuf_lit(sb, "}");
	if (c->flags & DC_CNTF_EXTENDED)
		dc_sbuf_lit(sb, ",\"extended\":true");
}
