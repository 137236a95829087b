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
/* The control core merges these by the count that follows the key. */
_Static_assert(offsetof(struct dc_dst_slot, packets) == sizeof(struct dc_addr_key), "count after key");
_Static_assert(offsetof(struct dc_flow_slot, packets) == sizeof(struct dc_flow_key), "count after key");

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Hash packet k's keys and prefetch their home slots. */
static inline void
tset_prefetch(const struct dc_tset *ts, struct dc_tset_ctx *tc, unsigned k)
{
	tc->sh[k] = dc_hash_nh(&tc->skey[k], DC_ADDR_KEY_LEN, ts->src->nh);
	tc->dh[k] = dc_hash_nh(&tc->dkey[k], sizeof(struct dc_addr_key), ts->dst->nh);
	dc_table_prefetch(ts->src, tc->sh[k]);
	dc_table_prefetch(ts->dst, tc->dh[k]);
	if (ts->flow) {
		tc->fh[k] = dc_hash_nh(&tc->fkey[k], sizeof(struct dc_flow_key), ts->flow->nh);
		dc_table_prefetch(ts->flow, tc->fh[k]);
	}
}

/* Add 1 to a 32-bit low word; a wrap carries into the cold record. */
#define SRC_INC(ts, s, field, word)                                                 \
	do {                                                                        \
		if (unlikely(++(s)->field == 0))                                    \
			(ts)->src_cold[(s)->cold].hi[word]++;                       \
	} while (0)

static inline void
src_port(struct dc_tset *ts, struct dc_src_slot *s, uint16_t port)
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

/* Count IP packet k in its source slot @p s (NULL: the table refused it). */
static inline void
src_count(struct dc_tset *ts, const struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
	  const uint32_t *lens, const uint32_t *secs, unsigned k, uint8_t *slot, int fresh)
{
	struct dc_src_slot *s = (struct dc_src_slot *)slot;
	unsigned j = tc->idx[k];
	const struct dc_pkt *p = &bc->pkt[j];
	uint8_t fp = bc->fpres[j];

	if (unlikely(s == NULL)) {
		ts->full[DC_TFULL_SRC]++;
		return;
	}
	if (fresh) {
		/* A new source: its cold record, whole, the next in line. */
		uint32_t ci = (uint32_t)ts->src_ncold++;

		s->cold = ci;
		ts->src_cold[ci] = (struct dc_src_cold){
			.first = secs[j],
			.country = tc->geo ? tc->cc[k] : 0,
			.asn = tc->geo ? tc->as[k] : 0,
		};
	}
	if (secs[j] > s->last)
		s->last = secs[j];
	s->bytes += lens[j];
	if (fp & DC_FP_MIRAI)
		SRC_INC(ts, s, mirai, DC_SRC_HI_MIRAI);
	if (unlikely(fp & (DC_FP_ZMAP | DC_FP_MASSCAN))) {
		if (fp & DC_FP_ZMAP)
			SRC_INC(ts, s, zmap, DC_SRC_HI_ZMAP);
		if (fp & DC_FP_MASSCAN)
			SRC_INC(ts, s, masscan, DC_SRC_HI_MASSCAN);
	}
	if (p->proto == 6) {
		SRC_INC(ts, s, tcp, DC_SRC_HI_TCP);
	} else if (p->proto == 17) {
		SRC_INC(ts, s, udp, DC_SRC_HI_UDP);
	} else if (p->proto == 1 || p->proto == 58) {
		SRC_INC(ts, s, icmp, DC_SRC_HI_ICMP);
	} else {
		struct dc_src_cold *c = &ts->src_cold[s->cold];

		if (unlikely(++c->other == 0))
			c->hi[DC_SRC_HI_OTHER]++;
	}
	if (p->l4 == DC_L4_PORTS)
		src_port(ts, s, p->dport);
}

static inline void
dst_count(struct dc_tset *ts, uint8_t *slot)
{
	if (likely(slot != NULL))
		((struct dc_dst_slot *)slot)->packets++;
	else
		ts->full[DC_TFULL_DST]++;
}

static inline void
flow_count(struct dc_tset *ts, uint8_t *slot)
{
	if (likely(slot != NULL))
		((struct dc_flow_slot *)slot)->packets++;
	else
		ts->full[DC_TFULL_FLOW]++;
}

void
dc_tset_burst(struct dc_tset *ts, struct dc_tset_ctx *tc, const struct dc_burst_ctx *bc,
	      const uint8_t *const *frames, const uint32_t *lens, const uint32_t *secs,
	      unsigned n, struct dc_counters *c)
{
	struct dc_table *st = ts->src, *dt = ts->dst, *ft = ts->flow;
	unsigned i, k, m = 0, n4 = 0, n6 = 0;
	int is_new;

	/* Stage 1: keys of the IP packets. */
	for (i = 0; i < n; i++) {
		const struct dc_pkt *p = &bc->pkt[i];
		const uint8_t *ip = frames[i] + p->l3_off;
		struct dc_addr_key *s = &tc->skey[m], *d = &tc->dkey[m];

		if (p->l3 < DC_L3_IPV4)
			continue;
		tc->idx[m] = (uint16_t)i;
		memset(s, 0, sizeof(*s));
		memset(d, 0, sizeof(*d));
		if (p->l3 == DC_L3_IPV4) {
			memcpy(s->addr, ip + 12, 4);
			memcpy(d->addr, ip + 16, 4);
			s->family = d->family = 4;
			tc->v4[n4] = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 |
				     (uint32_t)ip[14] << 8 | ip[15];
			tc->v4k[n4++] = (uint16_t)m;
		} else {
			memcpy(s->addr, ip + 8, 16);
			memcpy(d->addr, ip + 24, 16);
			s->family = d->family = 6;
			memcpy(tc->v6[n6], ip + 8, 16);
			tc->v6k[n6++] = (uint16_t)m;
		}
		if (ft) {
			struct dc_flow_key *f = &tc->fkey[m];

			memset(f, 0, sizeof(*f));
			memcpy(f->src, s->addr, 16);
			memcpy(f->dst, d->addr, 16);
			f->family = s->family;
			f->proto = p->proto;
			f->ttl = p->ttl;
			f->ip_len = p->l3 == DC_L3_IPV4 ? rd16(ip + 2) : (uint16_t)(rd16(ip + 4) + 40);
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
	/* Source countries, in bulk, from the database the worker holds. */
	if (tc->geo) {
		const struct dc_geo_view *gv = tc->geo;

		dc_geo_lookup4(gv->g, tc->v4, n4, tc->cc4, tc->as4);
		dc_geo_lookup6(gv->g, (const uint8_t (*)[16])tc->v6, n6, tc->cc6, tc->as6);
		for (k = 0; k < n4; k++) {
			tc->cc[tc->v4k[k]] = tc->cc4[k] < gv->nb_cc ? gv->cc[tc->cc4[k]] : 0;
			tc->as[tc->v4k[k]] = tc->as4[k] < gv->nb_as ? gv->asn[tc->as4[k]] : 0;
		}
		for (k = 0; k < n6; k++) {
			tc->cc[tc->v6k[k]] = tc->cc6[k] < gv->nb_cc ? gv->cc[tc->cc6[k]] : 0;
			tc->as[tc->v6k[k]] = tc->as6[k] < gv->nb_as ? gv->asn[tc->as6[k]] : 0;
		}
		for (k = 0; k < m; k++) {
			unsigned j = tc->idx[k];
			uint64_t *cc = c->cc[tc->cc[k]];
			uint8_t fp = bc->fpres[j];

			cc[DC_CC_PACKETS]++;
			cc[DC_CC_BYTES] += lens[j];
			cc[DC_CC_MIRAI] += fp & DC_FP_MIRAI;
			cc[DC_CC_ZMAP] += (fp >> 1) & 1;
			cc[DC_CC_MASSCAN] += (fp >> 2) & 1;
			if (ts->as) {
				/* Few ASes per interval: the table stays in cache. */
				uint64_t key = tc->as[k];
				struct dc_as_slot *a = (struct dc_as_slot *)dc_table_find(
					ts->as, &key, dc_hash_nh(&key, sizeof(key), ts->as->nh), 1,
					&is_new, sizeof(key));

				if (likely(a != NULL)) {
					a->packets++;
					a->bytes += lens[j];
					a->mirai += fp & DC_FP_MIRAI;
					a->zmap += (fp >> 1) & 1;
					a->masscan += (fp >> 2) & 1;
				} else {
					ts->full[DC_TFULL_AS]++;
				}
			}
		}
	}
	/*
	 * Stage 2: the tables, in chunks of DC_TSET_CHUNK, software-pipelined:
	 * a chunk's keys are hashed and their home slots prefetched one chunk
	 * ahead of their lookup, so the cache misses of a chunk are in flight
	 * while the one before is worked on.
	 */
	for (k = 0; k < m && k < DC_TSET_CHUNK; k++)
		tset_prefetch(ts, tc, k);
	for (unsigned c0 = 0; c0 < m; c0 += DC_TSET_CHUNK) {
		unsigned cn = m - c0 < DC_TSET_CHUNK ? m - c0 : DC_TSET_CHUNK;
		uint64_t slater, dlater, flater = 0, sfresh, dfresh, ffresh;

		for (k = c0 + DC_TSET_CHUNK; k < m && k < c0 + 2 * DC_TSET_CHUNK; k++)
			tset_prefetch(ts, tc, k);
		slater = dc_table_find_burst(st, &tc->skey[c0], sizeof(tc->skey[0]), &tc->sh[c0], cn,
					     tc->ss, &sfresh, DC_ADDR_KEY_LEN);
		dlater = dc_table_find_burst(dt, &tc->dkey[c0], sizeof(tc->dkey[0]), &tc->dh[c0], cn,
					     tc->ds, &dfresh, sizeof(struct dc_addr_key));
		if (ft)
			flater = dc_table_find_burst(ft, &tc->fkey[c0], sizeof(tc->fkey[0]), &tc->fh[c0],
						     cn, tc->fs, &ffresh, sizeof(struct dc_flow_key));
		/* The settled ones while the others' next slots arrive ... */
		for (k = 0; k < cn; k++) {
			if (!((slater >> k) & 1))
				src_count(ts, tc, bc, lens, secs, c0 + k, tc->ss[k], (sfresh >> k) & 1);
			if (!((dlater >> k) & 1))
				dst_count(ts, tc->ds[k]);
			if (ft && !((flater >> k) & 1))
				flow_count(ts, tc->fs[k]);
		}
		/* ... then those. */
		if (slater) {
			dc_table_find_burst_rest(st, &tc->skey[c0], sizeof(tc->skey[0]), &tc->sh[c0],
						 slater, tc->ss, &sfresh, DC_ADDR_KEY_LEN);
			for (; slater; slater &= slater - 1) {
				k = (unsigned)__builtin_ctzll(slater);
				src_count(ts, tc, bc, lens, secs, c0 + k, tc->ss[k], (sfresh >> k) & 1);
			}
		}
		if (dlater) {
			dc_table_find_burst_rest(dt, &tc->dkey[c0], sizeof(tc->dkey[0]), &tc->dh[c0],
						 dlater, tc->ds, &dfresh, sizeof(struct dc_addr_key));
			for (; dlater; dlater &= dlater - 1)
				dst_count(ts, tc->ds[__builtin_ctzll(dlater)]);
		}
		if (flater) {
			dc_table_find_burst_rest(ft, &tc->fkey[c0], sizeof(tc->fkey[0]), &tc->fh[c0],
						 flater, tc->fs, &ffresh, sizeof(struct dc_flow_key));
			for (; flater; flater &= flater - 1)
				flow_count(ts, tc->fs[__builtin_ctzll(flater)]);
		}
	}
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
	v->bytes = s->bytes;
	v->first = c->first;
	v->last = s->last;
	v->nports = (uint8_t)n;
	v->more = (s->nports & DC_SRC_MORE) != 0;
	for (i = 0; i < n; i++)
		v->ports[i] = i == 0 ? s->port0 : i < DC_SRC_HOT_PORTS ? s->port12[i - 1]
								  : c->ports[i - DC_SRC_HOT_PORTS];
	v->country = c->country;
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
	memset(ts->full, 0, sizeof(ts->full));
	ts->flags = 0;
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
	if (inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, buf, size) == NULL)
		snprintf(buf, size, "?");
}
