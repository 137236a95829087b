/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dc_tset.h"

_Static_assert(sizeof(struct dc_addr_key) == 24, "address key is 24 bytes");
_Static_assert(sizeof(struct dc_src_slot) == DC_SRC_SLOT, "source slot is one cache line");
_Static_assert(sizeof(struct dc_src_cold) == DC_SRC_COLD, "cold record is one cache line");
_Static_assert(offsetof(struct dc_src_slot, family) == DC_ADDR_KEY_LEN - 1, "key is address + family");
_Static_assert(offsetof(struct dc_addr_key, family) == DC_ADDR_KEY_LEN - 1, "key is address + family");
_Static_assert(sizeof(struct dc_dst_slot) <= DC_DST_SLOT, "destination slot fits");
_Static_assert(sizeof(struct dc_flow_key) == 48, "flow key is 48 bytes");
_Static_assert(sizeof(struct dc_flow_slot) <= DC_FLOW_SLOT, "flow slot fits");
_Static_assert(sizeof(struct dc_as_slot) <= DC_AS_SLOT, "AS slot fits");
_Static_assert(sizeof(struct dc_sig_key) == 24, "signature key is 24 bytes");
_Static_assert(sizeof(struct dc_sig_slot) == DC_SIG_SLOT, "signature slot size");
_Static_assert(DC_SIG_SLOTS == DC_SIG_MAX, "a counter slot for every rule a database can hold");
/* The worker counts in these (dc_tset_pkt_count()) and the control core merges
 * them by the count that follows the key. */
_Static_assert(offsetof(struct dc_dst_slot, packets) == sizeof(struct dc_addr_key), "count after key");
_Static_assert(offsetof(struct dc_flow_slot, packets) == sizeof(struct dc_flow_key), "count after key");

void
dc_tset_burst(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
	      const uint8_t *const *frames, const uint32_t *lens, const uint32_t *secs,
	      unsigned n, struct dc_counters *c)
{
	dc_tset_burst_stages(ts, tc, bc, frames, lens, secs, n, c);
}

void
dc_src_expand(const struct dc_src_slot *s, const struct dc_src_cold *c, struct dc_addr_key *key,
	      struct dc_src_val *v)
{
	unsigned i, n = s->nports & ~DC_SRC_MORE;

	memset(key, 0, sizeof(*key));
	memcpy(key->addr, s->addr, 16);
	key->family = s->family;
	memset(v, 0, sizeof(*v));
	v->tcp = (uint64_t)c->hi[DC_SRC_HI_TCP] << 32 | s->tcp;
	v->udp = (uint64_t)c->hi[DC_SRC_HI_UDP] << 32 | s->udp;
	v->icmp = (uint64_t)c->hi[DC_SRC_HI_ICMP] << 32 | s->icmp;
	v->other = (uint64_t)c->hi[DC_SRC_HI_OTHER] << 32 | c->other;
	v->mirai = (uint64_t)c->hi[DC_SRC_HI_MIRAI] << 32 | s->mirai;
	v->zmap = (uint64_t)c->hi[DC_SRC_HI_ZMAP] << 32 | s->zmap;
	v->masscan = (uint64_t)c->hi[DC_SRC_HI_MASSCAN] << 32 | s->masscan;
	v->packets = v->tcp + v->udp + v->icmp + v->other;
	v->bytes = (uint64_t)c->hi[DC_SRC_HI_BYTES] << 32 | s->bytes;
	v->first = c->first;
	v->last = s->last;
	v->nports = (uint8_t)n;
	v->more = (s->nports & DC_SRC_MORE) != 0;
	for (i = 0; i < n; i++)
		v->ports[i] = i == 0 ? s->port0 : i < DC_SRC_HOT_PORTS ? s->port12[i - 1]
								  : c->ports[i - DC_SRC_HOT_PORTS];
	v->country = s->country;
	v->asn = c->asn;
}

void
dc_tset_clear(struct dc_tset *ts)
{
	dc_table_clear(ts->src);
	ts->src_ncold = 0;
	dc_table_clear(ts->dst);
	if (ts->flow)
		dc_table_clear(ts->flow);
	if (ts->as)
		dc_table_clear(ts->as);
	if (ts->sig)
		dc_table_clear(ts->sig);
	if (ts->tel)
		memset(ts->dst_bits, 0, dc_telescope_words(ts->tel) * sizeof(uint64_t));
	memset(ts->full, 0, sizeof(ts->full));
	ts->flags = 0;
	ts->dirty = 0;
}

/* An empty table's effective size of @p max keys, clamped to its memory,
 * at the home slots per key it was laid out with. */
static void
table_resize(struct dc_table *t, uint64_t max)
{
	uint64_t per = t->alloc_slots / t->alloc_entries;

	if (max > t->alloc_entries)
		max = t->alloc_entries;
	if (max == 0)
		max = 1;
	/* cannot fail: empty, within its memory, per >= DC_TABLE_SLOTS_PER_KEY */
	(void)dc_table_resize(t, max, max == t->alloc_entries ? t->alloc_slots : max * per);
}

void
dc_tset_resize(struct dc_tset *ts, uint64_t src_max, uint64_t dst_max, uint64_t flow_max)
{
	table_resize(ts->src, src_max);
	table_resize(ts->dst, dst_max);
	if (ts->flow)
		table_resize(ts->flow, flow_max);
}

void
dc_src_val_merge(struct dc_src_val *a, const struct dc_src_val *b)
{
	unsigned i;

	if (a->packets == 0) {
		a->country = b->country;
		a->asn = b->asn;
	}
	if (a->packets == 0 || b->first < a->first)
		a->first = b->first;
	if (b->last > a->last)
		a->last = b->last;
	a->packets += b->packets;
	a->bytes += b->bytes;
	a->mirai += b->mirai;
	a->zmap += b->zmap;
	a->masscan += b->masscan;
	a->tcp += b->tcp;
	a->udp += b->udp;
	a->icmp += b->icmp;
	a->other += b->other;
	for (i = 0; i < b->nports; i++)
		dc_src_add_port(a, b->ports[i]);
	a->more |= b->more;
}

void
dc_addr_format(const struct dc_addr_key *k, char *buf, unsigned size)
{
	/* IPv4 by hand: glibc's inet_ntop() formats it with sprintf(), and
	 * the records print hundreds of addresses an interval (the top
	 * sources; with records_dir, two per flowtuple) */
	if (k->family == 4 && size >= INET_ADDRSTRLEN) {
		char *p = buf;

		for (unsigned i = 0; i < 4; i++) {
			unsigned b = k->addr[i];

			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, buf, size) == NULL)
		snprintf(buf, size, "?");
}
