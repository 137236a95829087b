/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core: takes the workers' closed interval blocks, merges the
 * blocks of one interval, and writes the interval's JSON record once every
 * worker has moved past it. Runs on the main lcore; never touches a
 * worker's open block.
 *
 * Records come out in time order and contiguous: an interval in which no
 * worker saw a packet between two that did gets a record of zeros, so a
 * missing line always means the engine was not running.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>
#include <rte_rcu_qsbr.h>
#include <pthread.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"
#include "dc_mem.h"
#include "dc_cmap.h"
#include "dc_hll.h"
#include "dc_sbuf.h"
#include "dc_store.h"

/* Longest run of empty intervals written as zero records (about 7 days at
 * 60 s); a longer hole (a clock jump in a capture) is logged instead. */
#define DC_MAX_ZERO_RUN 10080

/* One open interval: the merged counters and the merged tables. */
struct pend {
	struct dc_counters *c;
	struct dc_cmap src;         /* struct dc_src_rec */
	struct dc_cmap dst;         /* struct dc_dst_slot */
	struct dc_cmap flow;        /* struct dc_flow_slot */
	struct dc_cmap as;          /* struct dc_as_slot */
	struct dc_cmap sig;         /* struct dc_sig_slot */
	uint64_t *dst_bits;         /* with a telescope: the workers' destination bitmaps OR-ed */
	uint64_t dst_words;
	uint64_t start;
	uint64_t tables_end;        /* end of what the tables cover (0: no set yet) */
	uint64_t full[DC_TFULL__MAX];
	/* With ctl.count_only: the worker tables' own counts of destinations
	 * and flowtuples (dst and flow stay empty) */
	uint64_t ndst, nflow;
	bool has_counters;
	/* A set of this interval came with DC_TSET_CONTINUED (a finite input's
	 * tables grown mid-interval): its sets share keys, so destinations and
	 * flowtuples are merged key by key, not counted per set. */
	bool split;
};

/* Distinct sources of one UTC day: exact sets up to day_exact_max, then
 * HyperLogLog sketches. Index 0 = all, 1..3 = mirai, zmap, masscan. */
#define DAY_KINDS 4
struct day {
	uint64_t day;               /* Unix day number (start / 86400); UINT64_MAX = none */
	/* One set for the four kinds: each source once, with the kinds it
	 * counts for, so a source costs one lookup an interval whatever its
	 * kinds; in two maps, IPv4 sources by their 4 bytes (8-byte slots: a
	 * day of 300k sources is 4.5 MiB, in cache more often than not) and
	 * the others by their whole key (struct day_slot6). A kind past
	 * day_exact_max leaves `exact`; the maps are freed once no kind is
	 * left in them. */
	struct dc_cmap set[2];      /* [0] IPv4: struct day_slot4; [1] IPv6: struct day_slot6 */
	uint64_t count[DAY_KINDS];  /* distinct sources of each exact kind */
	unsigned exact;             /* bit k: kind k still counted in the set */
	/* A kind's sketch takes sources only once the kind has left `exact`,
	 * starting with every source the set holds for it (day_sketch_from_set():
	 * a sketch does not depend on the order or repeats of its keys, so it is
	 * the one it would be had it taken every source as it came) */
	struct dc_hll hll[DAY_KINDS];
};

struct day_slot4 {
	uint8_t addr[4];
	uint32_t kinds;             /* bit k: counted in count[k] */
};

struct day_slot6 {
	struct dc_addr_key key;
	uint32_t kinds;
	uint32_t pad;
};

#define DAY_ALL ((1u << DAY_KINDS) - 1)

/* One signature's counts in an interval; its ports and countries are
 * sigsum.port[port0 .. port0 + nport) and sigsum.cc[cc0 .. cc0 + ncc), each
 * sorted by packets (descending), then (proto, port) / country code. */
struct sig_one {
	uint16_t slot;
	uint64_t packets, sources;
	uint64_t port0, nport, cc0, ncc;
	uint64_t ent0, nent;        /* its (source, port) entries in sigsum.ent */
};
struct sig_port {
	uint8_t proto;
	uint16_t port;
	uint64_t packets;
};
struct sig_cc {
	uint16_t cc;
	uint64_t packets, sources;
};
struct sigsum {
	unsigned n;
	struct sig_one one[DC_SIG_SLOTS];
	const struct dc_sig_slot **ent; /* merged entries, by (slot, source, proto, port) */
	struct sig_port *port;
	struct sig_cc *cc;
	uint64_t ent_cap, nport, port_cap, ncc, cc_cap;
	uint64_t cc_pk[DC_CC_MAX], cc_src[DC_CC_MAX]; /* per-signature scratch */
};

struct ctl {
	struct dc_engine *eng;
	int fd;
	struct pend **pend;         /* open intervals, sorted by start */
	unsigned npend;
	unsigned cap;               /* entries pend can hold */
	struct pend *spare[8];      /* reused entries, maps kept */
	unsigned nspare;
	struct dc_counters *zero;
	struct dc_counters *total;  /* everything since start */
	uint64_t next_start;        /* start the next record must have; 0 = none yet */
	uint64_t records;
	uint64_t busy_tsc;          /* TSC cycles of passes that found work */
	/* One worker and no records directory: an interval's destinations
	 * and flowtuples are one worker table set's keys (a worker hands over
	 * one set per interval, unless a finite input's tables grew within it:
	 * pend.split), so their counts are taken as they are; only the records
	 * files read the keys themselves. */
	bool count_only;
	struct day day;
	struct dc_sbuf sb;
	const struct dc_src_rec **top; /* scratch for the top sources */
	uint64_t top_cap;
	struct sigsum sig;          /* the interval's signature summary */
};

static const char *const day_kind_keys[DAY_KINDS] = {
	"unique_sources", "mirai_unique_sources", "zmap_unique_sources", "masscan_unique_sources",
};

static struct pend *
pend_new(struct ctl *c, uint64_t start)
{
	struct pend *p = c->nspare ? c->spare[--c->nspare] : NULL;
	uint64_t seed = c->eng->hash_seed ^ 0xC0FFEE;

	if (p == NULL) {
		p = dc_calloc(1, sizeof(*p));
		p->c = dc_calloc(1, sizeof(*p->c));
		dc_cmap_init(&p->src, sizeof(struct dc_addr_key), sizeof(struct dc_src_rec), seed);
		dc_cmap_init(&p->dst, sizeof(struct dc_addr_key), DC_DST_SLOT, seed);
		dc_cmap_init(&p->flow, sizeof(struct dc_flow_key), DC_FLOW_SLOT, seed);
		dc_cmap_init(&p->as, sizeof(uint64_t), DC_AS_SLOT, seed);
		dc_cmap_init(&p->sig, sizeof(struct dc_sig_key), DC_SIG_SLOT, seed);
	}
	dc_counters_reset(p->c, 0, 0);
	dc_cmap_clear(&p->src);
	dc_cmap_clear(&p->dst);
	dc_cmap_clear(&p->flow);
	dc_cmap_clear(&p->as);
	dc_cmap_clear(&p->sig);
	if (c->eng->cfg.telescope.n) {
		p->dst_words = dc_telescope_words(&c->eng->cfg.telescope);
		if (p->dst_bits == NULL)
			p->dst_bits = dc_calloc(p->dst_words, sizeof(uint64_t));
		else
			memset(p->dst_bits, 0, p->dst_words * sizeof(uint64_t));
	}
	p->start = start;
	p->tables_end = 0;
	memset(p->full, 0, sizeof(p->full));
	p->ndst = p->nflow = 0;
	p->has_counters = false;
	p->split = false;
	return p;
}

static void
pend_free(struct pend *p)
{
	if (p == NULL)
		return;
	dc_cmap_free(&p->src);
	dc_cmap_free(&p->dst);
	dc_cmap_free(&p->flow);
	dc_cmap_free(&p->as);
	dc_cmap_free(&p->sig);
	dc_free(p->dst_bits);
	dc_free(p->c);
	dc_free(p);
}

static void
pend_put(struct ctl *c, struct pend *p)
{
	if (c->nspare < DC_ARRAY_SIZE(c->spare))
		c->spare[c->nspare++] = p;
	else
		pend_free(p);
}

/* The open interval starting at @start, created when missing. */
static struct pend *
pend_get(struct ctl *c, uint64_t start)
{
	unsigned i;

	for (i = 0; i < c->npend && c->pend[i]->start < start; i++)
		;
	if (i == c->npend || c->pend[i]->start != start) {
		memmove(&c->pend[i + 1], &c->pend[i], (c->npend - i) * sizeof(c->pend[0]));
		c->pend[i] = pend_new(c, start);
		c->npend++;
	}
	return c->pend[i];
}

/* Merge one worker block into the open interval with the same start. */
static void
ctl_merge(struct ctl *c, const struct dc_counters *blk)
{
	struct pend *p = pend_get(c, blk->start);

	dc_counters_merge(p->c, blk);
	p->has_counters = true;
}

/*
 * Merges go MERGE_BURST keys at a time (dc_cmap_upsert_burst(): hashed
 * together, their slots prefetched), and the worker's slots of the next
 * burst are prefetched while this one is merged: the worker wrote them on
 * another core, so each is a cache line to fetch from there or from memory.
 */
#define MERGE_BURST 32

/* Keys of the burst starting at key @p i of @p used. */
static inline unsigned
merge_n(uint64_t used, uint64_t i)
{
	return used - i < MERGE_BURST ? (unsigned)(used - i) : MERGE_BURST;
}

/* The slots of keys [@p i, @p i + @p n) of worker table @p t into @p s;
 * the next burst's prefetched. */
static inline void
merge_gather(const struct dc_table *t, uint64_t i, unsigned n, const uint8_t **s)
{
	uint64_t next = i + n, end = next + MERGE_BURST < t->used ? next + MERGE_BURST : t->used;

	for (unsigned k = 0; k < n; k++)
		s[k] = dc_table_nth(t, i + k);
	for (uint64_t k = next; k < end; k++)
		__builtin_prefetch(dc_table_nth(t, k), 0);
}

/* Merge a table whose value is one packet count right after the key. */
static void
merge_packets(struct dc_cmap *m, const struct dc_table *t)
{
	const uint8_t *s[MERGE_BURST];
	uint8_t *d[MERGE_BURST];
	const uint32_t kl = t->key_len;

	for (uint64_t i = 0; i < t->used; i += MERGE_BURST) {
		unsigned n = merge_n(t->used, i);

		merge_gather(t, i, n, s);
		dc_cmap_upsert_burst(m, (const void *const *)s, n, d, NULL);
		for (unsigned k = 0; k < n; k++)
			*(uint64_t *)(void *)(d[k] + kl) += *(const uint64_t *)(const void *)(s[k] + kl);
	}
}

/* Merge a worker's source table (slots and cold records, expanded) into
 * @p m, each source's counts into the per-AS map @p as (NULL: no AS
 * database) and under its country in @p cc (NULL: no geo database): the
 * worker counts per country and per AS only the packets its source table
 * refused; every other packet is in its source's counts, and a source's
 * country and AS are those of its slot in this set, as the worker would
 * have counted them. */
static void
merge_sources(struct dc_cmap *m, struct dc_cmap *as, uint64_t (*cc)[DC_CC__MAX],
	      const struct dc_tset *ts)
{
	uint64_t akey[MERGE_BURST];
	const struct dc_table *t = ts->src;
	const uint8_t *s[MERGE_BURST];
	const void *kp[MERGE_BURST];
	uint8_t *d[MERGE_BURST];
	struct dc_addr_key key[MERGE_BURST];
	struct dc_src_val v[MERGE_BURST];
	uint64_t fresh;

	/* The interval's first set (its only one with one worker): its sources
	 * are distinct and the map is empty, so they are appended in order,
	 * not hashed and probed for (dc_cmap_append(); placed by hash only if
	 * another set comes for this interval). */
	struct dc_src_rec *app = dc_cmap_count(m) == 0 && t->used
					 ? (struct dc_src_rec *)(void *)dc_cmap_append(m, t->used)
					 : NULL;

	_Static_assert(sizeof(struct dc_src_rec) == sizeof(struct dc_addr_key) + sizeof(struct dc_src_val),
		       "a source record is its key and value");
	for (uint64_t i = 0; i < t->used; i += MERGE_BURST) {
		unsigned n = merge_n(t->used, i);

		merge_gather(t, i, n, s);
		if (app != NULL) {
			for (unsigned k = 0; k < n; k++) {
				const struct dc_src_slot *x = (const struct dc_src_slot *)(const void *)s[k];
				struct dc_src_rec *r = &app[i + k];

				dc_src_expand(x, &ts->src_cold[x->cold], &r->key, &r->v);
				v[k] = r->v;
			}
		} else {
			for (unsigned k = 0; k < n; k++) {
				const struct dc_src_slot *x = (const struct dc_src_slot *)(const void *)s[k];

				dc_src_expand(x, &ts->src_cold[x->cold], &key[k], &v[k]);
				kp[k] = &key[k];
			}
			dc_cmap_upsert_burst(m, kp, n, d, &fresh);
			/* a source new to the interval's map takes the worker's value
			 * as it is (a merge into a zeroed value is a copy: a worker's
			 * source has packets, and its ports are distinct) */
			for (unsigned k = 0; k < n; k++)
				if ((fresh >> k) & 1)
					((struct dc_src_rec *)(void *)d[k])->v = v[k];
				else
					dc_src_val_merge(&((struct dc_src_rec *)(void *)d[k])->v, &v[k]);
		}
		for (unsigned k = 0; cc != NULL && k < n; k++) {
			uint64_t *y = cc[v[k].country < DC_CC_MAX ? v[k].country : 0];

			y[DC_CC_PACKETS] += v[k].packets;
			y[DC_CC_BYTES] += v[k].bytes;
			y[DC_CC_MIRAI] += v[k].mirai;
			y[DC_CC_ZMAP] += v[k].zmap;
			y[DC_CC_MASSCAN] += v[k].masscan;
		}
		if (as == NULL)
			continue;
		/* Per AS: each source's counts under its AS (the worker's AS
		 * table holds only the packets its source table refused). */
		for (unsigned k = 0; k < n; k++) {
			akey[k] = v[k].asn;
			kp[k] = &akey[k];
		}
		dc_cmap_upsert_burst(as, kp, n, d, NULL);
		for (unsigned k = 0; k < n; k++) {
			struct dc_as_slot *y = (struct dc_as_slot *)(void *)d[k];

			y->packets += v[k].packets;
			y->bytes += v[k].bytes;
			y->mirai += v[k].mirai;
			y->zmap += v[k].zmap;
			y->masscan += v[k].masscan;
		}
	}
}

/* Distinct destinations of an interval: the destination table's keys and,
 * with a telescope, the bits set (an address is in one or the other). */
static uint64_t
pend_destinations(const struct pend *p)
{
	uint64_t n = dc_cmap_count(&p->dst) + p->ndst;

	for (uint64_t i = 0; p->dst_bits && i < p->dst_words; i++)
		n += (uint64_t)__builtin_popcountll(p->dst_bits[i]);
	return n;
}

/* Distinct flowtuples of an interval. */
static uint64_t
pend_flowtuples(const struct pend *p)
{
	return dc_cmap_count(&p->flow) + p->nflow;
}

/* Merge one worker table set into the open interval where it starts. */
static void
ctl_merge_tables(struct ctl *c, const struct dc_tset *ts)
{
	struct pend *p = pend_get(c, ts->start);
	const uint8_t *s[MERGE_BURST];
	uint8_t *d[MERGE_BURST];
	uint64_t i, fresh;

	if (ts->end > p->tables_end)
		p->tables_end = ts->end;
	for (i = 0; i < DC_TFULL__MAX; i++)
		p->full[i] += ts->full[i];
	if (ts->flags & DC_TSET_CONTINUED)
		p->split = true;
	if (ts->src)
		merge_sources(&p->src, ts->as ? &p->as : NULL, c->eng->geo ? p->c->cc : NULL, ts);
	if (c->count_only && !p->split)
		p->ndst += ts->dst->used;
	else
		merge_packets(&p->dst, ts->dst);
	for (i = 0; ts->tel && i < p->dst_words; i++)
		p->dst_bits[i] |= ts->dst_bits[i];
	if (ts->flow && c->count_only && !p->split)
		p->nflow += ts->flow->used;
	else if (ts->flow)
		merge_packets(&p->flow, ts->flow);
	for (i = 0; ts->as && i < ts->as->used; i += MERGE_BURST) {
		unsigned n = merge_n(ts->as->used, i);

		merge_gather(ts->as, i, n, s);
		dc_cmap_upsert_burst(&p->as, (const void *const *)s, n, d, NULL);
		for (unsigned k = 0; k < n; k++) {
			const struct dc_as_slot *x = (const struct dc_as_slot *)(const void *)s[k];
			struct dc_as_slot *y = (struct dc_as_slot *)(void *)d[k];

			y->packets += x->packets;
			y->bytes += x->bytes;
			y->mirai += x->mirai;
			y->zmap += x->zmap;
			y->masscan += x->masscan;
		}
	}
	for (i = 0; ts->sig && i < ts->sig->used; i += MERGE_BURST) {
		unsigned n = merge_n(ts->sig->used, i);

		merge_gather(ts->sig, i, n, s);
		dc_cmap_upsert_burst(&p->sig, (const void *const *)s, n, d, &fresh);
		for (unsigned k = 0; k < n; k++) {
			const struct dc_sig_slot *x = (const struct dc_sig_slot *)(const void *)s[k];
			struct dc_sig_slot *y = (struct dc_sig_slot *)(void *)d[k];

			if ((fresh >> k) & 1)
				y->country = x->country;
			y->packets += x->packets;
		}
	}
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
ctl_summary(const struct dc_counters *a, uint64_t sources)
{
	char when[32];
	time_t t = (time_t)a->start;
	struct tm tm;
	unsigned best[3] = {0, 0, 0}, i, k;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	DC_FOREACH_CHUNK(a->tcp_touch, chunk)
		for (i = chunk ? chunk : 1; i < chunk + DC_CHUNK_PORTS; i++)
			for (k = 0; k < 3; k++)
				if (a->tcp_dport[i] > a->tcp_dport[best[k]]) {
					memmove(&best[k + 1], &best[k], (2 - k) * sizeof(best[0]));
					best[k] = i;
					break;
				}
	printf("%s UTC  %8" PRIu64 " pkts  syn %7" PRIu64 "  mirai %6" PRIu64 "  zmap %5" PRIu64
	       "  masscan %5" PRIu64 "  v6 %5" PRIu64 "  malformed %4" PRIu64 "  sources %6" PRIu64 "  top tcp:",
	       when, a->c[DC_CNT_PACKETS], a->c[DC_CNT_TCP_SYN], a->c[DC_CNT_MIRAI],
	       a->c[DC_CNT_ZMAP], a->c[DC_CNT_MASSCAN], a->c[DC_CNT_IPV6],
	       a->c[DC_CNT_MALFORMED], sources);
	for (k = 0; k < 3; k++)
		if (a->tcp_dport[best[k]])
			printf(" %u(%" PRIu64 ")", best[k], a->tcp_dport[best[k]]);
	printf("\n");
	fflush(stdout);
}

static int
src_order(const void *pa, const void *pb)
{
	const struct dc_src_rec *a = *(const struct dc_src_rec *const *)pa;
	const struct dc_src_rec *b = *(const struct dc_src_rec *const *)pb;

	if (a->v.packets != b->v.packets)
		return a->v.packets > b->v.packets ? -1 : 1;
	if (a->v.bytes != b->v.bytes)
		return a->v.bytes > b->v.bytes ? -1 : 1;
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.addr, b->key.addr, 16);
}

/* Sift heap entry @p i down: the heap keeps its worst source (last in
 * src_order) at the root. */
static void
top_sift(const struct dc_src_rec **h, uint64_t n, uint64_t i)
{
	for (;;) {
		uint64_t l = 2 * i + 1, w = i;
		const struct dc_src_rec *x;

		if (l < n && src_order(&h[l], &h[w]) > 0)
			w = l;
		if (l + 1 < n && src_order(&h[l + 1], &h[w]) > 0)
			w = l + 1;
		if (w == i)
			return;
		x = h[i];
		h[i] = h[w];
		h[w] = x;
		i = w;
	}
}

/*
 * The first @p lim sources of @p t in src_order (a total order: the same
 * ones, in the same order, as sorting them all) into c->top; returns how
 * many. A heap of the best @p lim so far: each source costs one compare
 * with the worst of them unless it displaces it, instead of a sort of
 * every source of the interval.
 */
static uint64_t
top_select(struct ctl *c, const struct dc_table *t, uint64_t lim)
{
	uint64_t n = 0, cap = lim < t->used ? lim : t->used;

	if (c->top_cap < cap) {
		c->top_cap = cap;
		c->top = dc_realloc(c->top, c->top_cap * sizeof(c->top[0]));
	}
	for (uint64_t i = 0; i < t->used; i++) {
		const struct dc_src_rec *s = (const struct dc_src_rec *)(const void *)dc_table_nth(t, i);

		if (n < cap) {
			c->top[n++] = s;
			if (n == cap)
				for (uint64_t k = n / 2; k-- > 0;)
					top_sift(c->top, n, k);
		} else if (src_order(&s, &c->top[0]) < 0) {
			c->top[0] = s;
			top_sift(c->top, n, 0);
		}
	}
	qsort(c->top, n, sizeof(c->top[0]), src_order);
	return n;
}

static void
json_top_sources(struct ctl *c, const struct pend *p)
{
	const struct dc_table *t = p->src.t;
	uint64_t n = 0, i, lim = c->eng->cfg.top_sources;
	char addr[64];

	dc_sbuf_lit(&c->sb, ",\"top_sources\":[");
	dc_statpub_top_sources_count(c->eng->stats, 0);
	if (t == NULL || lim == 0) {
		dc_sbuf_lit(&c->sb, "]");
		return;
	}
	n = top_select(c, t, lim);
	dc_statpub_top_sources_count(c->eng->stats, n < lim ? n : lim);
	for (i = 0; i < n && i < lim; i++) {
		const struct dc_src_rec *s = c->top[i];

		dc_statpub_top_source(c->eng->stats, (uint32_t)i, s);
		/* a hundred of these per record: appended, not printf'ed (the
		 * control core's time per 1-minute record of a file) */
		dc_addr_format(&s->key, addr, sizeof(addr));
		dc_sbuf_str(&c->sb, i ? ",{\"addr\":\"" : "{\"addr\":\"");
		dc_sbuf_str(&c->sb, addr);
		{
			static const char *const member[] = {"\",\"packets\":", ",\"bytes\":",
							     ",\"mirai\":", ",\"zmap\":",
							     ",\"masscan\":", ",\"dst_ports\":"};
			const uint64_t val[] = {s->v.packets, s->v.bytes, s->v.mirai,
						s->v.zmap, s->v.masscan, s->v.nports};

			for (unsigned k = 0; k < DC_ARRAY_SIZE(member); k++) {
				dc_sbuf_str(&c->sb, member[k]);
				dc_sbuf_u64(&c->sb, val[k]);
			}
		}
		dc_sbuf_str(&c->sb, s->v.more ? ",\"dst_ports_more\":true" : ",\"dst_ports_more\":false");
		if (c->eng->geo) {
			char buf[3];
			const char *cc = dc_cc_code(s->v.country, buf);

			dc_sbuf_str(&c->sb, ",\"country\":\"");
			dc_sbuf_str(&c->sb, cc ? cc : "unknown");
			dc_sbuf_str(&c->sb, "\",\"asn\":");
			dc_sbuf_u64(&c->sb, s->v.asn);
		}
		dc_sbuf_lit(&c->sb, "}");
	}
	dc_sbuf_lit(&c->sb, "]");
}

/* Per source country: counters from the workers' per-packet lookups,
 * distinct sources from the merged source map. */
static void
json_countries(struct ctl *c, const struct dc_counters *a, const struct pend *p)
{
	static uint64_t srcs[DC_CC_MAX], msrcs[DC_CC_MAX], zsrcs[DC_CC_MAX], ssrcs[DC_CC_MAX];
	const struct dc_table *t = p ? p->src.t : NULL;
	const char *sep = "";
	char buf[3];

	memset(srcs, 0, sizeof(srcs));
	memset(msrcs, 0, sizeof(msrcs));
	memset(zsrcs, 0, sizeof(zsrcs));
	memset(ssrcs, 0, sizeof(ssrcs));
	for (uint64_t i = 0; t && i < t->used; i++) {
		const struct dc_src_rec *s = (const struct dc_src_rec *)dc_table_nth(t, i);
		unsigned cc = s->v.country < DC_CC_MAX ? s->v.country : 0;

		srcs[cc]++;
		msrcs[cc] += s->v.mirai != 0;
		zsrcs[cc] += s->v.zmap != 0;
		ssrcs[cc] += s->v.masscan != 0;
	}
	dc_statpub_country_sources(c->eng->stats, srcs, msrcs, zsrcs, ssrcs);
	dc_sbuf_lit(&c->sb, ",\"countries\":{");
	for (unsigned i = 0; i < DC_CC_MAX; i++) {
		const uint64_t *v = a->cc[i];
		const char *code;

		if (v[DC_CC_PACKETS] == 0 && srcs[i] == 0)
			continue;
		code = dc_cc_code((uint16_t)i, buf);
		dc_sbuf_str(&c->sb, sep);
		dc_sbuf_lit(&c->sb, "\"");
		dc_sbuf_str(&c->sb, code ? code : "unknown");
		dc_sbuf_str_u64(&c->sb, "\":{\"packets\":", v[DC_CC_PACKETS]);
		dc_sbuf_str_u64(&c->sb, ",\"bytes\":", v[DC_CC_BYTES]);
		dc_sbuf_str_u64(&c->sb, ",\"sources\":", srcs[i]);
		dc_sbuf_str_u64(&c->sb, ",\"mirai\":", v[DC_CC_MIRAI]);
		dc_sbuf_str_u64(&c->sb, ",\"mirai_sources\":", msrcs[i]);
		dc_sbuf_str_u64(&c->sb, ",\"zmap\":", v[DC_CC_ZMAP]);
		dc_sbuf_str_u64(&c->sb, ",\"zmap_sources\":", zsrcs[i]);
		dc_sbuf_str_u64(&c->sb, ",\"masscan\":", v[DC_CC_MASSCAN]);
		dc_sbuf_str_u64(&c->sb, ",\"masscan_sources\":", ssrcs[i]);
		dc_sbuf_lit(&c->sb, "}");
		sep = ",";
	}
	dc_sbuf_lit(&c->sb, "}");
}

static int
as_order(const void *pa, const void *pb)
{
	const struct dc_as_slot *a = *(const struct dc_as_slot *const *)pa;
	const struct dc_as_slot *b = *(const struct dc_as_slot *const *)pb;

	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* Top ASes by packets (per-packet counts), with distinct and Mirai sources
 * from the merged source table. */
static void
json_asns(struct ctl *c, const struct pend *p)
{
	const struct dc_table *at = p ? p->as.t : NULL, *st = p ? p->src.t : NULL;
	const struct dc_as_slot **v;
	uint64_t n = at ? at->used : 0, i, lim = c->eng->cfg.top_asns;
	struct dc_cmap srcs; /* AS index -> distinct sources, Mirai sources */
	int is_new;

	dc_sbuf_lit(&c->sb, ",\"asns\":[");
	dc_statpub_top_asns_count(c->eng->stats, n < lim ? n : lim);
	if (n == 0 || lim == 0) {
		dc_sbuf_lit(&c->sb, "]");
		return;
	}
	dc_cmap_init(&srcs, sizeof(uint64_t), 40, 1);
	for (i = 0; st && i < st->used; i++) {
		const struct dc_src_rec *s = (const struct dc_src_rec *)dc_table_nth(st, i);
		uint64_t key = s->v.asn;
		uint64_t *cnt = (uint64_t *)(dc_cmap_upsert(&srcs, &key, &is_new) + 8);

		cnt[0]++;
		cnt[1] += s->v.mirai != 0;
		cnt[2] += s->v.zmap != 0;
		cnt[3] += s->v.masscan != 0;
	}
	v = dc_malloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = (const struct dc_as_slot *)dc_table_nth(at, i);
	qsort(v, n, sizeof(*v), as_order);
	for (i = 0; i < n && i < lim; i++) {
		const struct dc_geo_view *gv = c->eng->geo;
		uint32_t ai = dc_geo_asn_index(gv->g, (uint32_t)v[i]->key);
		const char *org = ai ? dc_geo_asn_org(gv->g, ai) : NULL;
		uint64_t key = v[i]->key;
		const uint64_t *cnt = (const uint64_t *)(dc_cmap_upsert(&srcs, &key, &is_new) + 8);

		dc_statpub_top_as(c->eng->stats, (uint32_t)i, v[i], cnt[0], cnt[1]);
		dc_sbuf_str_u64(&c->sb, i ? ",{\"asn\":" : "{\"asn\":", (uint32_t)v[i]->key);
		dc_sbuf_lit(&c->sb, ",\"org\":");
		dc_sbuf_json_str(&c->sb, org ? org : "");
		dc_sbuf_str_u64(&c->sb, ",\"packets\":", v[i]->packets);
		dc_sbuf_str_u64(&c->sb, ",\"bytes\":", v[i]->bytes);
		dc_sbuf_str_u64(&c->sb, ",\"sources\":", cnt[0]);
		dc_sbuf_str_u64(&c->sb, ",\"mirai\":", v[i]->mirai);
		dc_sbuf_str_u64(&c->sb, ",\"mirai_sources\":", cnt[1]);
		dc_sbuf_str_u64(&c->sb, ",\"zmap\":", v[i]->zmap);
		dc_sbuf_str_u64(&c->sb, ",\"zmap_sources\":", cnt[2]);
		dc_sbuf_str_u64(&c->sb, ",\"masscan\":", v[i]->masscan);
		dc_sbuf_str_u64(&c->sb, ",\"masscan_sources\":", cnt[3]);
		dc_sbuf_lit(&c->sb, "}");
	}
	dc_free(v);
	dc_cmap_free(&srcs);
	dc_sbuf_lit(&c->sb, "]");
}

/* Kind @p kind leaves the exact set: its sketch takes every source the set
 * holds for it (keyed and hashed as day_add() hashes them). */
static void
day_sketch_from_set(struct day *dy, unsigned kind)
{
	for (unsigned f = 0; f < 2; f++) {
		const struct dc_table *t = dy->set[f].t;

		for (uint64_t i = 0; t && i < t->used; i++) {
			const uint8_t *e = dc_table_nth(t, i);
			struct dc_addr_key key;
			uint32_t kinds;

			if (f == 0) {
				const struct day_slot4 *x = (const struct day_slot4 *)(const void *)e;

				memset(&key, 0, sizeof(key));
				memcpy(key.addr, x->addr, 4);
				key.family = 4;
				kinds = x->kinds;
			} else {
				const struct day_slot6 *x = (const struct day_slot6 *)(const void *)e;

				key = x->key;
				kinds = x->kinds;
			}
			if ((kinds >> kind) & 1)
				dc_hll_add(&dy->hll[kind], dc_hash_nh(&key, sizeof(key), dc_hash_fixed_nh));
		}
	}
}

/* Add an interval's sources to the day's distinct set and sketches. */
static void
day_add(struct ctl *c, const struct pend *p)
{
	struct day *dy = &c->day;
	const struct dc_table *t = p->src.t;
	const void *kp[MERGE_BURST], *sub[2][MERGE_BURST];
	uint8_t *d[MERGE_BURST];
	uint64_t h[MERGE_BURST];
	unsigned want[2][MERGE_BURST];
	static const uint32_t kinds_at[2] = {offsetof(struct day_slot4, kinds),
					     offsetof(struct day_slot6, kinds)};

	for (uint64_t i = 0; t && i < t->used; i += MERGE_BURST) {
		unsigned n = merge_n(t->used, i), m[2] = {0, 0};
		const struct dc_src_rec *s[MERGE_BURST];

		for (unsigned k = 0; k < n; k++) {
			s[k] = (const struct dc_src_rec *)(const void *)dc_table_nth(t, i + k);
			kp[k] = &s[k]->key;
		}
		/* the sketches of the kinds no longer exact (none while the
		 * day's sources are few: no hash then) */
		if (dy->exact != DAY_ALL)
			dc_hash_nh_burst_ptr(kp, sizeof(s[0]->key), dc_hash_fixed_nh, n, h);
		for (unsigned k = 0; k < n; k++) {
			const struct dc_src_val *v = &s[k]->v;
			unsigned kinds = 1u | (v->mirai != 0) << 1 | (v->zmap != 0) << 2 |
					 (v->masscan != 0) << 3;

			for (unsigned kind = 0; kind < DAY_KINDS; kind++)
				if (((kinds & ~dy->exact) >> kind) & 1)
					dc_hll_add(&dy->hll[kind], h[k]);
			if (kinds & dy->exact) {
				/* an IPv4 map key is the address's 4 bytes */
				unsigned v6 = s[k]->key.family != 4;

				sub[v6][m[v6]] = kp[k];
				want[v6][m[v6]++] = kinds & dy->exact;
			}
		}
		for (unsigned f = 0; f < 2; f++) {
			if (m[f] == 0)
				continue;
			dc_cmap_upsert_burst(&dy->set[f], sub[f], m[f], d, NULL);
			for (unsigned k = 0; k < m[f]; k++) {
				uint32_t *e = (uint32_t *)(void *)(d[k] + kinds_at[f]);
				unsigned fresh = want[f][k] & ~*e;

				*e |= fresh;
				for (unsigned kind = 0; kind < DAY_KINDS; kind++)
					dy->count[kind] += (fresh >> kind) & 1;
			}
		}
		for (unsigned kind = 0; kind < DAY_KINDS; kind++)
			if (((dy->exact >> kind) & 1) && dy->count[kind] > c->eng->cfg.day_exact_max) {
				/* Past the memory bound: the sketch alone from here
				 * on (the set took at most a burst more than the
				 * bound of this kind), starting from the set's. */
				day_sketch_from_set(dy, kind);
				dy->exact &= ~(1u << kind);
			}
		if (dy->exact == 0) {
			dc_cmap_free(&dy->set[0]);
			dc_cmap_free(&dy->set[1]);
		}
	}
}

/* Append the day's object and start a new day. */
static void
day_close(struct ctl *c, bool partial)
{
	struct day *d = &c->day;
	time_t t = (time_t)(d->day * 86400);
	bool est = false;
	struct tm tm;
	char date[16];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	dc_sbuf_printf(&c->sb, ",\"day\":{\"date\":\"%s\"", date);
	for (unsigned k = 0; k < DAY_KINDS; k++) {
		bool exact = (d->exact >> k) & 1;
		uint64_t v = exact ? d->count[k] : dc_hll_estimate(&d->hll[k]);

		est |= !exact;
		dc_sbuf_member_u64(&c->sb, day_kind_keys[k], v);
	}
	dc_sbuf_printf(&c->sb, ",\"estimated\":%s%s}", est ? "true" : "false",
		       partial ? ",\"partial\":true" : "");
	dc_cmap_clear(&d->set[0]);
	dc_cmap_clear(&d->set[1]);
	for (unsigned k = 0; k < DAY_KINDS; k++) {
		dc_hll_reset(&d->hll[k]);
		d->count[k] = 0;
	}
	d->exact = DAY_ALL;
	d->day = UINT64_MAX;
}

/* Write one gzip CSV file atomically (temporary name, then rename). */
static int
records_write(struct ctl *c, const struct pend *p, bool flows)
{
	const struct dc_cmap *m = flows ? &p->flow : &p->src;
	const char *dir = c->eng->cfg.records_dir;
	char path[4096], tmp[4200], stamp[32], a[64], b[64];
	time_t t = (time_t)p->start;
	uint64_t i, cap;
	struct tm tm;
	gzFile gz;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(path, sizeof(path), "%s/%s.%s.csv.gz", dir, stamp, flows ? "flowtuples" : "sources");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	gz = gzopen(tmp, "wb1");
	if (gz == NULL)
		return dc_err(errno ? errno : EIO, "records_dir %s: cannot create %s: %s", dir, tmp,
			      strerror(errno));
	if (flows)
		gzprintf(gz, "src,dst,sport,dport,proto,ttl,tcp_flags,ip_len,packets\n");
	else
		gzprintf(gz, "addr,packets,bytes,first_seen,last_seen,mirai,zmap,masscan,tcp,udp,icmp,other,dst_ports,dst_ports_more\n");
	cap = m->t ? m->t->used : 0;
	for (i = 0; i < cap; i++) {
		if (flows) {
			const struct dc_flow_slot *f = (const struct dc_flow_slot *)dc_table_nth(m->t, i);
			struct dc_addr_key k = {.family = f->key.family};

			memcpy(k.addr, f->key.src, 16);
			dc_addr_format(&k, a, sizeof(a));
			memcpy(k.addr, f->key.dst, 16);
			dc_addr_format(&k, b, sizeof(b));
			gzprintf(gz, "%s,%s,%u,%u,%u,%u,%u,%u,%" PRIu64 "\n", a, b, f->key.sport,
				 f->key.dport, f->key.proto, f->key.ttl, f->key.tcp_flags, f->key.ip_len,
				 f->packets);
		} else {
			const struct dc_src_rec *s = (const struct dc_src_rec *)dc_table_nth(m->t, i);

			dc_addr_format(&s->key, a, sizeof(a));
			gzprintf(gz, "%s,%" PRIu64 ",%" PRIu64 ",%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
				 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%u\n", a,
				 s->v.packets, s->v.bytes, s->v.first, s->v.last, s->v.mirai, s->v.zmap,
				 s->v.masscan, s->v.tcp, s->v.udp, s->v.icmp, s->v.other, s->v.nports,
				 s->v.more);
		}
	}
	if (gzclose(gz) != Z_OK)
		return dc_err(EIO, "records_dir %s: write to %s failed", dir, tmp);
	if (rename(tmp, path) != 0)
		return dc_err(errno, "records_dir %s: rename %s: %s", dir, tmp, strerror(errno));
	return 0;
}

/* Payload signatures: the interval's summary from the exact per-signature
 * packets of @a and the merged (signature, source, port) entries of @p. */
static int
sig_ent_order(const void *pa, const void *pb)
{
	const struct dc_sig_key *a = &(*(const struct dc_sig_slot *const *)pa)->key;
	const struct dc_sig_key *b = &(*(const struct dc_sig_slot *const *)pb)->key;
	int d;

	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((d = memcmp(a->addr, b->addr, 16)) != 0)
		return d;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->dport < b->dport ? -1 : a->dport > b->dport;
}

static int
sig_port_key(const void *pa, const void *pb)
{
	const struct sig_port *a = pa, *b = pb;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int
sig_port_rank(const void *pa, const void *pb)
{
	const struct sig_port *a = pa, *b = pb;

	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return sig_port_key(pa, pb);
}

static const char *
cc_text(uint16_t cc, char buf[3])
{
	const char *code = dc_cc_code(cc, buf);

	return code ? code : "unknown";
}

static int
sig_cc_rank(const void *pa, const void *pb)
{
	const struct sig_cc *a = pa, *b = pb;
	char x[3], y[3];

	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return strcmp(cc_text(a->cc, x), cc_text(b->cc, y));
}

#define GROW(arr, cap, need)                                                        \
	do {                                                                        \
		if ((need) > (cap)) {                                               \
			(cap) = (need) > 2 * (cap) ? (need) : 2 * (cap);            \
			(arr) = dc_realloc((arr), (cap) * sizeof(*(arr)));          \
		}                                                                   \
	} while (0)

/* Entry @p k of a signature's sorted entries (from @p k0) starts a source's
 * run: the first, or another address than the entry before. */
static inline bool
sig_new_source(const struct sigsum *S, uint64_t k, uint64_t k0)
{
	return k == k0 || S->ent[k]->key.family != S->ent[k - 1]->key.family ||
	       memcmp(S->ent[k]->key.addr, S->ent[k - 1]->key.addr, 16) != 0;
}

static void
sig_summarize(struct ctl *c, const struct dc_counters *a, const struct pend *p)
{
	struct sigsum *S = &c->sig;
	const struct dc_table *t = p ? p->sig.t : NULL;
	uint64_t n = t ? t->used : 0, i, e = 0;
	unsigned slots = dc_sig_slots_used();

	S->n = 0;
	S->nport = S->ncc = 0;
	GROW(S->ent, S->ent_cap, n ? n : 1);
	GROW(S->port, S->port_cap, n ? n : 1);
	GROW(S->cc, S->cc_cap, n ? n : 1);
	for (i = 0; i < n; i++)
		S->ent[i] = (const struct dc_sig_slot *)dc_table_nth(t, i);
	qsort(S->ent, n, sizeof(S->ent[0]), sig_ent_order);
	for (unsigned slot = 0; slot < slots; slot++) {
		struct sig_one *o = &S->one[S->n];
		uint64_t e0 = e, k, nsrc = 0;
		uint16_t touched[DC_CC_MAX], cc = 0;
		unsigned nt = 0;

		while (e < n && S->ent[e]->key.slot == slot)
			e++;
		if (a->sig[slot] == 0 && e == e0)
			continue;
		memset(o, 0, sizeof(*o));
		o->slot = (uint16_t)slot;
		o->packets = a->sig[slot];
		o->ent0 = e0;
		o->nent = e - e0;
		/* Ports: every entry's, merged by (proto, port), then ranked. */
		o->port0 = S->nport;
		for (k = e0; k < e; k++)
			S->port[S->nport + k - e0] = (struct sig_port){
				.proto = S->ent[k]->key.proto, .port = S->ent[k]->key.dport,
				.packets = S->ent[k]->packets};
		qsort(&S->port[o->port0], e - e0, sizeof(S->port[0]), sig_port_key);
		for (k = 0; k < e - e0; k++) {
			struct sig_port *x = &S->port[o->port0 + k];

			if (o->nport && sig_port_key(&S->port[o->port0 + o->nport - 1], x) == 0)
				S->port[o->port0 + o->nport - 1].packets += x->packets;
			else
				S->port[o->port0 + o->nport++] = *x;
		}
		qsort(&S->port[o->port0], o->nport, sizeof(S->port[0]), sig_port_rank);
		S->nport += o->nport;
		/* Sources (runs of one address), each with the country of its
		 * first entry (they differ only across a geo reload). */
		for (k = e0; k < e; k++) {
			const struct dc_sig_slot *x = S->ent[k];
			bool first = sig_new_source(S, k, e0);

			if (first)
				cc = x->country < DC_CC_MAX ? x->country : 0;
			if (S->cc_pk[cc] == 0 && S->cc_src[cc] == 0)
				touched[nt++] = cc;
			S->cc_pk[cc] += x->packets;
			S->cc_src[cc] += first;
			nsrc += first;
		}
		o->sources = nsrc;
		o->cc0 = S->ncc;
		for (unsigned j = 0; j < nt; j++) {
			uint16_t t_cc = touched[j];

			S->cc[S->ncc++] = (struct sig_cc){.cc = t_cc, .packets = S->cc_pk[t_cc],
							  .sources = S->cc_src[t_cc]};
			S->cc_pk[t_cc] = S->cc_src[t_cc] = 0;
		}
		o->ncc = S->ncc - o->cc0;
		qsort(&S->cc[o->cc0], o->ncc, sizeof(S->cc[0]), sig_cc_rank);
		S->n++;
	}
}

static void
json_signatures(struct ctl *c, const struct dc_counters *a)
{
	const struct sigsum *S = &c->sig;
	uint64_t lim = c->eng->cfg.sig_top;
	char buf[3];

	dc_sbuf_lit(&c->sb, ",\"signatures\":{");
	for (unsigned i = 0; i < S->n; i++) {
		const struct sig_one *o = &S->one[i];
		const char *fam, *name;
		uint32_t id;

		name = dc_sig_slot_name(o->slot, &id, &fam);
		dc_sbuf_str_u64(&c->sb, i ? ",\"" : "\"", id);
		dc_sbuf_lit(&c->sb, "\":{\"name\":");
		dc_sbuf_json_str(&c->sb, name);
		dc_sbuf_lit(&c->sb, ",\"family\":");
		dc_sbuf_json_str(&c->sb, fam);
		dc_sbuf_str_u64(&c->sb, ",\"packets\":", o->packets);
		dc_sbuf_str_u64(&c->sb, ",\"sources\":", o->sources);
		dc_sbuf_lit(&c->sb, ",\"ports\":[");
		for (uint64_t k = 0; k < o->nport && k < lim; k++) {
			const struct sig_port *x = &S->port[o->port0 + k];

			dc_sbuf_str(&c->sb, k ? ",{\"proto\":\"" : "{\"proto\":\"");
			dc_sbuf_str(&c->sb, x->proto == 6 ? "tcp" : "udp");
			dc_sbuf_str_u64(&c->sb, "\",\"port\":", x->port);
			dc_sbuf_str_u64(&c->sb, ",\"packets\":", x->packets);
			dc_sbuf_lit(&c->sb, "}");
		}
		dc_sbuf_lit(&c->sb, "],\"countries\":[");
		for (uint64_t k = 0; k < o->ncc && k < lim; k++) {
			const struct sig_cc *x = &S->cc[o->cc0 + k];

			dc_sbuf_str(&c->sb, k ? ",{\"country\":\"" : "{\"country\":\"");
			dc_sbuf_str(&c->sb, cc_text(x->cc, buf));
			dc_sbuf_str_u64(&c->sb, "\",\"packets\":", x->packets);
			dc_sbuf_str_u64(&c->sb, ",\"sources\":", x->sources);
			dc_sbuf_lit(&c->sb, "}");
		}
		dc_sbuf_lit(&c->sb, "]}");
	}
	dc_sbuf_str_u64(&c->sb, "},\"signature_scan\":{\"rules\":", c->eng->sig ? c->eng->sig->nrules : 0);
	dc_sbuf_str_u64(&c->sb, ",\"payload_packets\":", a->sig_payload);
	dc_sbuf_str_u64(&c->sb, ",\"scanned_bytes\":", a->sig_bytes);
	dc_sbuf_str_u64(&c->sb, ",\"matched_packets\":", a->sig_matched);
	dc_sbuf_lit(&c->sb, "}");
}

/* The interval's signatures for the statistics segment: every signature the
 * run knows, with 0 when it has no packets, so that the segment shows a
 * rename at once and every series from 0. From the summary ctl_write() made
 * of the same interval. */
static void
stats_signatures(struct ctl *c, const struct dc_counters *a)
{
	const struct sigsum *S = &c->sig;
	struct dc_statpub_sig v[DC_SIG_SLOTS];
	unsigned nv = dc_sig_slots_used(), k = 0;

	for (unsigned slot = 0; slot < nv; slot++) {
		v[slot].name = dc_sig_slot_name(slot, &v[slot].id, &v[slot].family);
		v[slot].packets = v[slot].sources = 0;
		if (k < S->n && S->one[k].slot == slot) {
			v[slot].packets = S->one[k].packets;
			v[slot].sources = S->one[k].sources;
			k++;
		}
	}
	dc_statpub_signatures(c->eng->stats, v, nv, a->sig_payload, a->sig_bytes, a->sig_matched,
			      c->eng->sig ? c->eng->sig->nrules : 0);
}

/* The interval's signature rows for the store (full lists), from the summary
 * ctl_write() made of the same interval. */
static void
store_signatures(struct ctl *c, struct dc_store_iv *iv)
{
	const struct sigsum *S = &c->sig;
	uint64_t np = 0, ncc = 0, nsrc = 0, i, k;

	for (i = 0; i < S->n; i++) {
		np += S->one[i].nport;
		ncc += S->one[i].ncc;
		nsrc += S->one[i].sources;
	}
	if (S->n == 0)
		return;
	dc_store_iv_sigs(iv, S->n, (uint32_t)np, (uint32_t)ncc, nsrc);
	np = ncc = nsrc = 0;
	for (i = 0; i < S->n; i++) {
		const struct sig_one *o = &S->one[i];
		struct dc_store_sig *x = &iv->sig[i];
		const char *fam, *name = dc_sig_slot_name(o->slot, &x->id, &fam);

		snprintf(x->name, sizeof(x->name), "%s", name);
		snprintf(x->family, sizeof(x->family), "%s", fam);
		x->packets = o->packets;
		x->sources = o->sources;
		for (k = 0; k < o->nport; k++)
			iv->sig_port[np++] = (struct dc_store_sig_port){
				.id = x->id, .proto = S->port[o->port0 + k].proto,
				.port = S->port[o->port0 + k].port,
				.packets = S->port[o->port0 + k].packets};
		for (k = 0; k < o->ncc; k++)
			iv->sig_cc[ncc++] = (struct dc_store_sig_cc){
				.id = x->id, .country = S->cc[o->cc0 + k].cc,
				.packets = S->cc[o->cc0 + k].packets,
				.sources = S->cc[o->cc0 + k].sources};
		for (k = o->ent0; k < o->ent0 + o->nent; k++) {
			const struct dc_sig_slot *e = S->ent[k];
			struct dc_store_sig_src *d;

			if (!sig_new_source(S, k, o->ent0)) {
				iv->sig_src[nsrc - 1].packets += e->packets;
				continue;
			}
			d = &iv->sig_src[nsrc++];
			d->id = x->id;
			d->family = e->key.family;
			memcpy(d->addr, e->key.addr, 16);
			d->country = e->country;
			d->packets = e->packets;
		}
	}
	iv->n_sig = S->n;
	iv->n_sig_port = (uint32_t)np;
	iv->n_sig_cc = (uint32_t)ncc;
	iv->n_sig_src = nsrc;
}

/* Write one record: counters @a, tables of @p (NULL for a filled hole). */
static int
ctl_write(struct ctl *c, const struct dc_counters *a, const struct pend *p, bool last)
{
	struct dc_engine *eng = c->eng;
	uint64_t day = a->start / 86400;

	dc_sbuf_reset(&c->sb);
	dc_sbuf_lit(&c->sb, "{");
	dc_counters_json(a, &c->sb);
	dc_sbuf_str_u64(&c->sb, ",\"unique_sources\":", p ? dc_cmap_count(&p->src) : 0);
	dc_sbuf_str_u64(&c->sb, ",\"unique_destinations\":", p ? pend_destinations(p) : 0);
	if (eng->cfg.flowtuples_max)
		dc_sbuf_str_u64(&c->sb, ",\"unique_flowtuples\":", p ? pend_flowtuples(p) : 0);
	if (p && p->tables_end && p->tables_end != a->end)
		dc_sbuf_str_u64(&c->sb, ",\"tables_end\":", p->tables_end);
	dc_sbuf_str_u64(&c->sb, ",\"table_full\":{\"sources\":", p ? p->full[DC_TFULL_SRC] : 0);
	dc_sbuf_str_u64(&c->sb, ",\"destinations\":", p ? p->full[DC_TFULL_DST] : 0);
	dc_sbuf_str_u64(&c->sb, ",\"flowtuples\":", p ? p->full[DC_TFULL_FLOW] : 0);
	dc_sbuf_str_u64(&c->sb, ",\"asns\":", p ? p->full[DC_TFULL_AS] : 0);
	if (eng->sig)
		dc_sbuf_str_u64(&c->sb, ",\"signatures\":", p ? p->full[DC_TFULL_SIG] : 0);
	dc_sbuf_lit(&c->sb, "}");
	if (eng->geo)
		json_countries(c, a, p);
	if (eng->cfg.geo_asn)
		json_asns(c, p);
	if (p)
		json_top_sources(c, p);
	else
		dc_sbuf_lit(&c->sb, ",\"top_sources\":[]");
	if (eng->sig) {
		sig_summarize(c, a, p);
		json_signatures(c, a);
	}
	dc_port_stats_json(eng, &c->sb);
	dc_sbuf_str_u64(&c->sb, ",\"workers\":", a->nsrc);

	/* Distinct sources per UTC day. */
	if (c->day.day != UINT64_MAX && c->day.day != day)
		day_close(c, true); /* a hole skipped the day's end */
	if (p && p->src.t && p->src.t->used) {
		c->day.day = day;
		day_add(c, p);
	}
	if (c->day.day != UINT64_MAX && (a->end % 86400 == 0 || last))
		day_close(c, a->end % 86400 != 0);
	dc_sbuf_lit(&c->sb, "}\n");

	if (p && eng->cfg.records_dir && p->tables_end &&
	    (records_write(c, p, false) != 0 ||
	     (eng->cfg.flowtuples_max && records_write(c, p, true) != 0)))
		return -1;
	if (write_all(c->fd, c->sb.buf, c->sb.len) != 0)
		return dc_err(errno, "%s: write failed: %s", eng->cfg.output, strerror(errno));
	c->records++;
	if (eng->cfg.summary == DC_ON)
		ctl_summary(a, p ? dc_cmap_count(&p->src) : 0);
	return 0;
}

/* Hand a completed interval to the store's writer thread (off this core's
 * critical work: a copy, then a queue). */
static void
ctl_store(struct ctl *c, const struct dc_counters *a, const struct pend *p)
{
	struct dc_engine *eng = c->eng;
	const struct dc_table *st = p->src.t, *at = p->as.t;
	uint32_t nt = 0, nu = 0, k;
	uint64_t ip = 0;
	struct dc_store_iv *iv;

	DC_FOREACH_CHUNK(a->tcp_touch, chunk)
		for (k = 0; k < DC_CHUNK_PORTS; k++)
			nt += a->tcp_dport[chunk + k] != 0;
	DC_FOREACH_CHUNK(a->udp_touch, chunk)
		for (k = 0; k < DC_CHUNK_PORTS; k++)
			nu += a->udp_dport[chunk + k] != 0;
	iv = dc_store_iv_new(nt, nu, st ? st->used : 0, at ? (uint32_t)at->used : 0);
	iv->start = a->start;
	iv->end = a->end;
	{
		static const struct { int st, cnt; } map[] = {
			{DC_ST_PACKETS, DC_CNT_PACKETS}, {DC_ST_BYTES, DC_CNT_BYTES},
			{DC_ST_NON_IP, DC_CNT_NON_IP}, {DC_ST_MALFORMED, DC_CNT_MALFORMED},
			{DC_ST_IPV4, DC_CNT_IPV4}, {DC_ST_IPV6, DC_CNT_IPV6},
			{DC_ST_FRAGMENTS, DC_CNT_FRAGMENTS}, {DC_ST_L4_TRUNCATED, DC_CNT_L4_TRUNCATED},
			{DC_ST_TCP_SYN, DC_CNT_TCP_SYN}, {DC_ST_TCP_SYNACK, DC_CNT_TCP_SYNACK},
			{DC_ST_LATE, DC_CNT_LATE}, {DC_ST_MIRAI, DC_CNT_MIRAI}, {DC_ST_ZMAP, DC_CNT_ZMAP},
			{DC_ST_MASSCAN, DC_CNT_MASSCAN},
		};

		for (k = 0; k < DC_ARRAY_SIZE(map); k++)
			iv->c[map[k].st] = a->c[map[k].cnt];
	}
	for (k = 0; k < 256; k++)
		ip += a->proto[k];
	iv->c[DC_ST_TCP] = a->proto[6];
	iv->c[DC_ST_UDP] = a->proto[17];
	iv->c[DC_ST_ICMP] = a->proto[1] + a->proto[58];
	iv->c[DC_ST_OTHER] = ip - iv->c[DC_ST_TCP] - iv->c[DC_ST_UDP] - iv->c[DC_ST_ICMP];
	iv->c[DC_ST_UNIQUE_SOURCES] = dc_cmap_count(&p->src);
	iv->c[DC_ST_UNIQUE_DESTINATIONS] = pend_destinations(p);
	/* Packets refused by a full table; not the signature table's refusals,
	 * which count matches (JSON table_full.signatures), not packets. */
	for (k = 0; k < DC_TFULL__MAX; k++)
		if (k != DC_TFULL_SIG)
			iv->c[DC_ST_TABLE_FULL] += p->full[k];
	_Static_assert(DC_STORE_CC == DC_CC_MAX && (int)DC_STC__MAX == (int)DC_CC__MAX, "same country counters");
	memcpy(iv->cc, a->cc, sizeof(iv->cc));
	memcpy(iv->icmp_type[0], a->icmp_type, sizeof(iv->icmp_type[0]));
	memcpy(iv->icmp_type[1], a->icmp6_type, sizeof(iv->icmp_type[1]));
	nt = nu = 0;
	DC_FOREACH_CHUNK(a->tcp_touch, chunk)
		for (k = 0; k < DC_CHUNK_PORTS; k++)
			if (a->tcp_dport[chunk + k]) {
				iv->tcp_port[nt] = (uint16_t)(chunk + k);
				iv->tcp_pk[nt++] = a->tcp_dport[chunk + k];
			}
	DC_FOREACH_CHUNK(a->udp_touch, chunk)
		for (k = 0; k < DC_CHUNK_PORTS; k++)
			if (a->udp_dport[chunk + k]) {
				iv->udp_port[nu] = (uint16_t)(chunk + k);
				iv->udp_pk[nu++] = a->udp_dport[chunk + k];
			}
	for (uint64_t i = 0; st && i < st->used; i++) {
		const struct dc_src_rec *r = (const struct dc_src_rec *)dc_table_nth(st, i);
		struct dc_store_src *x = &iv->src[i];

		memcpy(x->addr, r->key.addr, 16);
		x->family = r->key.family;
		x->country = r->v.country;
		x->asn = r->v.asn;
		x->first = r->v.first;
		x->last = r->v.last;
		x->packets = r->v.packets;
		x->mirai = r->v.mirai;
		x->zmap = r->v.zmap;
		x->masscan = r->v.masscan;
		x->nports = r->v.nports;
		x->more = r->v.more;
		memcpy(x->ports, r->v.ports, sizeof(x->ports));
	}
	if (eng->sig)
		store_signatures(c, iv);
	for (uint64_t i = 0; at && i < at->used; i++) {
		const struct dc_as_slot *as = (const struct dc_as_slot *)dc_table_nth(at, i);
		struct dc_store_as *x = &iv->as[i];
		const char *org = NULL;

		x->asn = (uint32_t)as->key;
		x->packets = as->packets;
		x->mirai = as->mirai;
		if (eng->geo && as->key) {
			uint32_t ai = dc_geo_asn_index(eng->geo->g, (uint32_t)as->key);

			org = ai ? dc_geo_asn_org(eng->geo->g, ai) : NULL;
		}
		snprintf(x->org, sizeof(x->org), "%s", org ? org : "");
	}
	{
		/* A file is not going anywhere: wait for the store rather than
		 * drop (as the workers wait for blocks on finite inputs). */
		int finite = eng->nb_workers > 0;

		for (unsigned w = 0; w < eng->nb_workers; w++)
			finite &= eng->workers[w]->finite;
		dc_store_put(eng->store, iv, finite);
	}
}

/* Write the record of @p, preceded by zero records for any hole before it. */
static int
ctl_emit(struct ctl *c, struct pend *p, bool last)
{
	uint64_t iv = c->eng->cfg.interval;
	struct dc_counters *a = p->c;

	if (!p->has_counters) {
		/* Tables only (their counters were in an extended block). */
		a->start = p->start;
		a->end = p->start + iv;
	}
	if (c->next_start && a->start > c->next_start) {
		uint64_t holes = (a->start - c->next_start) / iv;

		if (holes > DC_MAX_ZERO_RUN) {
			DC_LOG(WARNING, ctrl, "no packet for %" PRIu64 " intervals (%" PRIu64 " to %" PRIu64 "): hole not written as zero records",
			       holes, c->next_start, a->start);
		} else {
			for (uint64_t s = c->next_start; s < a->start; s += iv) {
				dc_counters_reset(c->zero, s, s + iv);
				if (ctl_write(c, c->zero, NULL, false) != 0)
					return -1;
			}
		}
	}
	if (ctl_write(c, a, p, last) != 0)
		return -1;
	dc_counters_merge(c->total, a);
	/* ctl_write() summarised this interval's signatures (c->sig): the
	 * segment and the store take them from there. */
	if (c->eng->stats) {
		const uint64_t uniq[3] = {dc_cmap_count(&p->src), pend_destinations(p),
					  pend_flowtuples(p)};

		if (c->eng->sig)
			stats_signatures(c, a);
		dc_statpub_publish(c->eng, a, c->total, uniq, p->full, last);
	}
	if (c->eng->store)
		ctl_store(c, a, p);
	if (a->end > c->next_start)
		c->next_start = a->end;
	return 0;
}

/* One pass: drain the workers' rings, write every interval all workers
 * have passed. Returns the number of blocks and table sets taken plus
 * records written (0: nothing to do), or -1 on a write error. */
static int
ctl_pass(struct ctl *c, bool final)
{
	struct dc_engine *eng = c->eng;
	uint64_t minwm = UINT64_MAX, wm[RTE_MAX_LCORE], tw[RTE_MAX_LCORE];
	unsigned i, taken = 0;
	struct dc_counters *blk;
	struct dc_tset *ts;

	/* Watermarks first: every block and table set before a watermark is
	 * then in its ring. */
	for (i = 0; i < eng->nb_workers; i++) {
		tw[i] = __atomic_load_n(&eng->workers[i]->twatermark, __ATOMIC_ACQUIRE);
		wm[i] = __atomic_load_n(&eng->workers[i]->watermark, __ATOMIC_ACQUIRE);
		if (wm[i] < minwm)
			minwm = wm[i];
		if (tw[i] < minwm)
			minwm = tw[i];
	}
	for (i = 0; i < eng->nb_workers; i++) {
		struct dc_worker *w = eng->workers[i];

		/*
		 * Table sets are taken as they come, unless max_pending intervals
		 * are open and this worker is ahead of the slowest: then only its
		 * sets of intervals that can be written now are taken, and it
		 * keeps the others (and extends or waits) until the slowest
		 * catches up.
		 * So open intervals never exceed max_pending plus what the
		 * slowest workers hold (c->cap).
		 */
		bool tahead = c->npend >= eng->cfg.max_pending && tw[i] > minwm;

		while (rte_ring_dequeue_bulk_start(w->tfull, (void **)&ts, 1, NULL) == 1) {
			if (tahead && ts->start >= minwm) {
				rte_ring_dequeue_finish(w->tfull, 0);
				break;
			}
			rte_ring_dequeue_finish(w->tfull, 1);
			ctl_merge_tables(c, ts);
			dc_statpub_table_fill(eng->stats, i, ts);
			/* A worker reading a file waits for this set anyway: it
			 * clears it itself, its own lines still in its cache (here
			 * each would be a line to take from its core). A live
			 * worker never spends its time on that. */
			if (w->finite)
				ts->dirty = 1;
			else
				dc_tset_clear(ts);
			rte_ring_sp_enqueue(w->tfree, ts);
			taken++;
			if (eng->cfg.ctl_delay_ms)
				rte_delay_us_sleep(eng->cfg.ctl_delay_ms * 1000u);
		}
		/*
		 * Too many open intervals: from a worker ahead of the slowest,
		 * take only the blocks of intervals that can be written now; its
		 * later blocks wait in its ring and hold it back.
		 */
		bool ahead = c->npend >= eng->cfg.max_pending && wm[i] > minwm;

		while (rte_ring_dequeue_bulk_start(w->full, (void **)&blk, 1, NULL) == 1) {
			if (ahead && blk->start >= minwm) {
				rte_ring_dequeue_finish(w->full, 0);
				break;
			}
			rte_ring_dequeue_finish(w->full, 1);
			ctl_merge(c, blk);
			dc_counters_reset(blk, 0, 0);
			rte_ring_sp_enqueue(w->free, blk);
			taken++;
		}
	}
	while (c->npend && c->pend[0]->start < minwm) {
		struct pend *p = c->pend[0];

		c->npend--;
		memmove(&c->pend[0], &c->pend[1], c->npend * sizeof(c->pend[0]));
		if (ctl_emit(c, p, final && c->npend == 0) != 0)
			return -1;
		pend_put(c, p);
		taken++;
	}
	return (int)taken;
}

/*
 * Reload (SIGHUP): the geo databases and the signature rules in use are
 * rebuilt by a thread of their own (seconds for real databases; rules come
 * from the compiled cache or are compiled), swapped in with one pointer
 * store each, and the old ones freed once every worker has passed a
 * quiescent state (RCU), so no worker can still hold them. A part whose new
 * files are bad keeps the one in use and logs one line; the other part is
 * still swapped.
 */
struct reload {
	pthread_t thread;
	bool running;
	struct dc_geo_view *built;  /* result, or NULL with msg */
	struct dc_sig_view *sbuilt; /* same for the signatures */
	char msg[512], smsg[512];
	int done;                   /* set by the builder thread */
	struct dc_geo_view *retired; /* waiting for the workers */
	struct dc_sig_view *sretired;
	uint64_t token;
};

static void *
reload_thread(void *arg)
{
	struct reload *r = arg;

	if (dc_eng.geo) {
		r->built = dc_geo_view_load(&dc_eng.cfg);
		if (r->built == NULL)
			snprintf(r->msg, sizeof(r->msg), "%s", dc_strerror());
	}
	if (dc_eng.sig) {
		r->sbuilt = dc_sig_view_load(&dc_eng.cfg, dc_eng.sig->nb_scratch);
		if (r->sbuilt == NULL)
			snprintf(r->smsg, sizeof(r->smsg), "%s", dc_strerror());
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
reload_poll(struct dc_engine *eng, struct reload *r)
{
	bool swapped = false;

	if ((r->retired || r->sretired) && rte_rcu_qsbr_check(eng->rcu, r->token, false) == 1) {
		dc_geo_view_free(r->retired);
		dc_sig_view_free(r->sretired);
		r->retired = NULL;
		r->sretired = NULL;
	}
	if (!r->running && dc_reload && r->retired == NULL && r->sretired == NULL) {
		dc_reload = 0;
		r->done = 0;
		r->msg[0] = r->smsg[0] = '\0';
		if (pthread_create(&r->thread, NULL, reload_thread, r) == 0)
			r->running = true;
		else
			DC_LOG(ERR, ctrl, "reload: cannot start the builder thread");
	}
	if (!r->running || !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		return;
	pthread_join(r->thread, NULL);
	r->running = false;
	if (eng->geo && r->built == NULL) {
		DC_LOG(ERR, ctrl, "geo reload failed, keeping the databases in use: %s", r->msg);
	} else if (r->built) {
		r->retired = eng->geo;
		__atomic_store_n(&eng->geo, r->built, __ATOMIC_RELEASE);
		DC_LOG(NOTICE, ctrl, "geo reloaded: %u countries, %u ASes", r->built->nb_cc - 1u,
		       r->built->nb_as - 1u);
		r->built = NULL;
		swapped = true;
	}
	if (r->sbuilt && dc_sig_view_bind(r->sbuilt) != 0) {
		snprintf(r->smsg, sizeof(r->smsg), "%s", dc_strerror());
		dc_sig_view_free(r->sbuilt);
		r->sbuilt = NULL;
	}
	if (eng->sig && r->sbuilt == NULL) {
		DC_LOG(ERR, sig, "signature reload failed, keeping the rules in use: %s", r->smsg);
	} else if (r->sbuilt) {
		if (dc_sig_cache_note(r->sbuilt->db))
			DC_LOG(WARNING, sig, "%s", dc_sig_cache_note(r->sbuilt->db));
		r->sretired = eng->sig;
		__atomic_store_n(&eng->sig, r->sbuilt, __ATOMIC_RELEASE);
		{
			unsigned fg = 0, fr = dc_sig_fast_count(r->sbuilt->db, &fg);

			DC_LOG(NOTICE, sig,
			       "signatures reloaded: %u rules in %u databases (hash %s, %s); %u rules taken by darkcap's matcher (%u floating), %u port groups decided without Hyperscan",
			       r->sbuilt->nrules, dc_sig_db_count(r->sbuilt->db), dc_sig_hash(r->sbuilt->db),
			       dc_sig_from_cache(r->sbuilt->db) ? "from the cache" : "compiled", fr,
			       dc_sig_floating_count(r->sbuilt->db), fg);
		}
		r->sbuilt = NULL;
		swapped = true;
	}
	if (swapped)
		r->token = rte_rcu_qsbr_start(eng->rcu);
}

/* A worker on a finite input is waiting for a block or table set. */
static bool
workers_waiting(const struct dc_engine *eng)
{
	for (unsigned i = 0; i < eng->nb_workers; i++)
		if (__atomic_load_n(&eng->workers[i]->waiting, __ATOMIC_RELAXED))
			return true;
	return false;
}

static bool
workers_done(const struct dc_engine *eng)
{
	for (unsigned i = 0; i < eng->nb_workers; i++)
		if (!__atomic_load_n(&eng->workers[i]->done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* End of run: NIC counters against what was counted. */
static int
ctl_account(struct ctl *c)
{
	struct dc_engine *eng = c->eng;
	uint64_t rx = 0, missed = 0, errs = 0, nombuf = 0, counted = c->total->c[DC_CNT_PACKETS];
	bool finite = true;

	for (unsigned i = 0; i < eng->nb_ports; i++) {
		struct dc_port_counts st;

		dc_port_stats(eng, i, &st);
		DC_LOG(INFO, ctrl, "[%u] %s: received %" PRIu64 ", missed %" PRIu64 ", errors %" PRIu64 ", no_mbuf %" PRIu64,
		       eng->ports[i].port_id, eng->ports[i].name, st.received, st.missed, st.errors,
		       st.no_mbuf);
		rx += st.received;
		missed += st.missed;
		errs += st.errors;
		nombuf += st.no_mbuf;
		finite &= eng->ports[i].finite;
	}
	if (counted == rx) {
		DC_LOG(NOTICE, ctrl, "accounting: ports delivered %" PRIu64 " frames, intervals count %" PRIu64 " packets in %" PRIu64 " records: exact (NIC missed %" PRIu64 ", errors %" PRIu64 ", no_mbuf %" PRIu64 ")",
		       rx, counted, c->records, missed, errs, nombuf);
		/* A file read by darkcap that ended at a damaged or truncated
		 * record: everything before it is counted and written; the run
		 * still fails, naming the file and the record. */
		for (unsigned i = 0; i < eng->nb_ports; i++) {
			const char *why = eng->ports[i].file ? dc_pcapfile_error(eng->ports[i].file) : NULL;

			if (why != NULL)
				return dc_err(EIO, "%s (the records before it are counted and written)", why);
		}
		return 0;
	}
	DC_LOG(ERR, ctrl, "accounting: ports delivered %" PRIu64 " frames but intervals count %" PRIu64 " packets: MISMATCH",
	       rx, counted);
	return finite ? dc_err(EPROTO, "accounting mismatch: %" PRIu64 " delivered, %" PRIu64 " counted", rx, counted) : 0;
}

static void
store_log(int level, const char *line)
{
	if (level <= DC_STORE_LOG_ERR)
		DC_LOG(ERR, ctrl, "%s", line);
	else if (level == DC_STORE_LOG_WARNING)
		DC_LOG(WARNING, ctrl, "%s", line);
	else
		DC_LOG(NOTICE, ctrl, "%s", line);
}

int
dc_control_open(struct dc_engine *eng)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;

	if (eng->cfg.records_dir && access(eng->cfg.records_dir, W_OK | X_OK) != 0)
		return dc_err(errno, "records_dir %s: not a writable directory: %s",
			      eng->cfg.records_dir, strerror(errno));
	if (eng->cfg.truncate == DC_ON)
		flags |= O_TRUNC;
	eng->out_fd = open(eng->cfg.output, flags, 0644);
	if (eng->out_fd < 0)
		return dc_err(errno, "output %s: cannot open: %s", eng->cfg.output, strerror(errno));
	if (dc_statpub_open(eng) != 0) {
		close(eng->out_fd);
		eng->out_fd = -1;
		return -1;
	}
	if (eng->cfg.store_path) {
		struct dc_store_opts so = {
			.path = eng->cfg.store_path, .sensor = eng->cfg.store_sensor,
			.timezone = eng->cfg.store_timezone, .interval_s = eng->cfg.interval,
			.queue_max = eng->cfg.store_queue, .exact_max = eng->cfg.day_exact_max,
			.top_asns = eng->cfg.top_asns ? eng->cfg.top_asns : 10,
			.delay_ms = eng->cfg.store_delay_ms, .checkpoint_s = eng->cfg.store_checkpoint,
			.version = DC_VERSION, .log = store_log,
		};

		if (dc_store_open(&so, &eng->store) != 0) {
			dc_statpub_close(eng);
			close(eng->out_fd);
			eng->out_fd = -1;
			return -1;
		}
	}
	return 0;
}

int
dc_control_run(struct dc_engine *eng)
{
	struct ctl c;
	struct reload rl;
	uint64_t stats_tsc = 0, start_tsc;
	bool finite = false;
	int ret = 0, n;

	memset(&c, 0, sizeof(c));
	memset(&rl, 0, sizeof(rl));
	c.eng = eng;
	c.fd = eng->out_fd;
	c.cap = eng->cfg.max_pending + eng->nb_workers * (eng->cfg.blocks + eng->cfg.table_sets) + 1;
	c.pend = dc_calloc(c.cap, sizeof(*c.pend));
	c.zero = dc_calloc(1, sizeof(*c.zero));
	c.total = dc_calloc(1, sizeof(*c.total));
	c.day.day = UINT64_MAX;
	c.day.exact = DAY_ALL;
	c.count_only = eng->nb_workers == 1 && eng->cfg.records_dir == NULL;
	dc_cmap_init(&c.day.set[0], 4, sizeof(struct day_slot4), eng->hash_seed ^ 0xDA7);
	dc_cmap_init(&c.day.set[1], sizeof(struct dc_addr_key), sizeof(struct day_slot6),
		     eng->hash_seed ^ 0xDA7);

	for (unsigned i = 0; i < eng->nb_workers; i++)
		finite |= eng->workers[i]->finite;
	start_tsc = rte_rdtsc();
	for (;;) {
		bool done = workers_done(eng);
		uint64_t t0 = rte_rdtsc();

		n = ctl_pass(&c, done);
		if (n > 0)
			c.busy_tsc += rte_rdtsc() - t0;
		if (n < 0) {
			ret = -1;
			dc_quit = 2;
			break;
		}
		if (done && n == 0 && c.npend == 0)
			break;
		if (eng->rcu)
			reload_poll(eng, &rl);
		dc_statpub_beat(eng);
		if (rte_get_timer_cycles() >= stats_tsc) {
			/* Some NICs (ixgbe) keep 32-bit hardware counters that wrap
			 * within minutes at line rate unless read: read every second. */
			for (unsigned i = 0; i < eng->nb_ports; i++) {
				struct dc_port_counts st;

				dc_port_stats(eng, i, &st);
			}
			stats_tsc = rte_get_timer_cycles() + rte_get_timer_hz();
		}
		/* Idle: sleep a millisecond on live inputs (an interval is at
		 * least a second); keep polling while a worker reads a file, as
		 * it fills an interval's tables in well under a millisecond and
		 * then waits for the set this core returns. */
		if (n == 0 && !done && !finite && !workers_waiting(eng))
			rte_delay_us_sleep(1000);
		else if (n == 0 && done)
			rte_delay_us_sleep(10);
		else if (n == 0)
			rte_pause();
	}
	rte_eal_mp_wait_lcore();
	if (rl.running) {
		pthread_join(rl.thread, NULL);
		dc_geo_view_free(rl.built);
		dc_sig_view_free(rl.sbuilt);
	}
	dc_geo_view_free(rl.retired); /* workers have stopped */
	dc_sig_view_free(rl.sretired);
	if (ret == 0)
		ret = ctl_account(&c);
	close(c.fd);
	eng->out_fd = -1;
	if (eng->store)
		dc_store_flush(eng->store); /* every queued interval written */
	dc_statpub_close(eng); /* STOPPED: the last snapshot is final */
	if (eng->store) {
		dc_store_close(eng->store); /* the open day closed */
		eng->store = NULL;
	}
	DC_LOG(NOTICE, ctrl, "wrote %" PRIu64 " interval records to %s", c.records, eng->cfg.output);
	if (c.records)
		DC_LOG(INFO, ctrl, "control core: busy %.1f %% of the run, %.1f us per interval record",
		       100.0 * (double)c.busy_tsc / (double)(rte_rdtsc() - start_tsc),
		       (double)c.busy_tsc * 1e6 / (double)rte_get_tsc_hz() / (double)c.records);
	for (unsigned i = 0; i < c.npend; i++)
		pend_free(c.pend[i]);
	dc_free(c.pend);
	while (c.nspare)
		pend_free(c.spare[--c.nspare]);
	dc_cmap_free(&c.day.set[0]);
	dc_cmap_free(&c.day.set[1]);
	dc_free(c.top);
	dc_free(c.sig.ent);
	dc_free(c.sig.port);
	dc_free(c.sig.cc);
	dc_free(c.zero);
	dc_free(c.total);
	dc_sbuf_free(&c.sb);
	return ret;
}
