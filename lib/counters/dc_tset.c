/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dc_tset.h"

_Static_assert(sizeof(struct dc_addr_key) == 24, "address key is 24 bytes");
_Static_assert(sizeof(struct dc_src_slot) <= DC_SRC_SLOT, "source slot fits");
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
				struct dc_as_slot *a = (struct dc_as_slot *)dc_table_upsert(
					ts->as, &key, dc_table_hash(ts->as, &key), &is_new);

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
	/* Stage 2: hashes; stage 3: tags; stage 4: slots. */
	for (k = 0; k < m; k++) {
		tc->sh[k] = dc_table_hash(st, &tc->skey[k]);
		tc->dh[k] = dc_table_hash(dt, &tc->dkey[k]);
		dc_table_prefetch(st, tc->sh[k]);
		dc_table_prefetch(dt, tc->dh[k]);
		if (ft) {
			tc->fh[k] = dc_table_hash(ft, &tc->fkey[k]);
			dc_table_prefetch(ft, tc->fh[k]);
		}
	}
	for (k = 0; k < m; k++) {
		dc_table_prefetch_slot(st, tc->sh[k]);
		dc_table_prefetch_slot(dt, tc->dh[k]);
		if (ft)
			dc_table_prefetch_slot(ft, tc->fh[k]);
	}
	/* Stage 5: update. */
	for (k = 0; k < m; k++) {
		unsigned j = tc->idx[k];
		const struct dc_pkt *p = &bc->pkt[j];
		struct dc_src_slot *s = (struct dc_src_slot *)dc_table_upsert(st, &tc->skey[k], tc->sh[k], &is_new);
		struct dc_dst_slot *d = (struct dc_dst_slot *)dc_table_upsert(dt, &tc->dkey[k], tc->dh[k], &is_new);

		if (likely(s != NULL)) {
			struct dc_src_val *v = &s->v;
			uint8_t fp = bc->fpres[j];

			if (v->packets == 0) {
				v->first = secs[j];
				v->country = tc->geo ? tc->cc[k] : 0;
				v->asn = tc->geo ? tc->as[k] : 0;
			}
			v->last = secs[j];
			v->packets++;
			v->bytes += lens[j];
			v->mirai += fp & DC_FP_MIRAI;
			v->zmap += (fp >> 1) & 1;
			v->masscan += (fp >> 2) & 1;
			if (p->proto == 6)
				v->tcp++;
			else if (p->proto == 17)
				v->udp++;
			else if (p->proto == 1 || p->proto == 58)
				v->icmp++;
			else
				v->other++;
			if (p->l4 == DC_L4_PORTS)
				dc_src_add_port(v, p->dport);
		} else {
			ts->full[DC_TFULL_SRC]++;
		}
		if (likely(d != NULL))
			d->packets++;
		else
			ts->full[DC_TFULL_DST]++;
		if (ft) {
			struct dc_flow_slot *f = (struct dc_flow_slot *)dc_table_upsert(ft, &tc->fkey[k], tc->fh[k], &is_new);

			if (likely(f != NULL))
				f->packets++;
			else
				ts->full[DC_TFULL_FLOW]++;
		}
	}
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
