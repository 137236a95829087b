/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's table set as worker.c sets it up (dc_bench_tset.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "dc_bench_tset.h"

void
dc_bench_scratch_new(struct dc_counters **c, struct dc_burst_ctx **ctx, struct dc_tset_ctx **tctx,
		     int socket)
{
	*c = rte_zmalloc_socket("dc_block", sizeof(**c), RTE_CACHE_LINE_SIZE, socket);
	*ctx = rte_zmalloc_socket("dc_burst", sizeof(**ctx), RTE_CACHE_LINE_SIZE, socket);
	*tctx = rte_zmalloc_socket("dc_tctx", sizeof(**tctx), RTE_CACHE_LINE_SIZE, socket);
	if (*c == NULL || *ctx == NULL || *tctx == NULL)
		dc_bench_die("out of DPDK memory for the counter block and the burst scratch "
			     "(raise -m)");
}

void
dc_bench_scratch_free(struct dc_counters *c, struct dc_burst_ctx *ctx, struct dc_tset_ctx *tctx)
{
	rte_free(c);
	rte_free(ctx);
	rte_free(tctx);
}

struct dc_table *
dc_bench_table_create(uint64_t max, uint64_t slots, uint32_t key_len, uint32_t slot,
		      uint64_t hash_seed, int socket)
{
	size_t sz = dc_table_mem_size(slots, slot);
	void *mem = rte_malloc_socket("dc_table", sz, RTE_CACHE_LINE_SIZE, socket);

	if (mem == NULL)
		return NULL;
	dc_bench_note_page(mem);
	return dc_table_init_n(mem, max, slots, key_len, slot, hash_seed);
}

struct dc_tset *
dc_bench_tset_create(const struct dc_config *cfg, uint64_t hash_seed, int socket)
{
	struct dc_tset *ts = rte_zmalloc_socket("dc_tset", sizeof(*ts), RTE_CACHE_LINE_SIZE,
						socket);

	if (ts == NULL)
		return NULL;
	ts->src = dc_bench_table_create(cfg->sources_max,
					(uint64_t)cfg->sources_max *
						dc_src_slots_per_key(cfg->sources_max),
					DC_ADDR_KEY_LEN, DC_SRC_SLOT, hash_seed, socket);
	ts->src_cold = rte_malloc_socket("dc_src_cold",
					 cfg->sources_max * sizeof(struct dc_src_cold),
					 RTE_CACHE_LINE_SIZE, socket);
	ts->dst = dc_bench_table_create(cfg->destinations_max,
					dc_table_slots_for(cfg->destinations_max),
					sizeof(struct dc_addr_key), DC_DST_SLOT, hash_seed, socket);
	if (cfg->flowtuples_max)
		ts->flow = dc_bench_table_create(cfg->flowtuples_max,
						 dc_table_slots_for(cfg->flowtuples_max),
						 sizeof(struct dc_flow_key), DC_FLOW_SLOT,
						 hash_seed, socket);
	if (cfg->geo_asn)
		ts->as = dc_bench_table_create(DC_AS_MAX, dc_table_slots_for(DC_AS_MAX),
					       sizeof(uint64_t), DC_AS_SLOT, hash_seed, socket);
	if (cfg->telescope.n) {
		ts->tel = &cfg->telescope;
		ts->dst_bits = rte_zmalloc_socket("dc_dst_bits", dc_tset_tel_bytes(ts->tel),
						  RTE_CACHE_LINE_SIZE, socket);
	}
	if (ts->src == NULL || ts->src_cold == NULL || ts->dst == NULL ||
	    (cfg->flowtuples_max && ts->flow == NULL) || (cfg->geo_asn && ts->as == NULL) ||
	    (ts->tel && ts->dst_bits == NULL)) {
		dc_bench_tset_free(ts);
		return NULL;
	}
	return ts;
}

void
dc_bench_tset_free(struct dc_tset *ts)
{
	if (ts == NULL)
		return;
	rte_free(ts->src);
	rte_free(ts->src_cold);
	rte_free(ts->dst);
	rte_free(ts->flow);
	rte_free(ts->as);
	rte_free(ts->dst_bits);
	rte_free(ts);
}

size_t
dc_bench_tset_size(const struct dc_config *cfg)
{
	return dc_tset_bytes(cfg->sources_max, cfg->destinations_max, cfg->flowtuples_max,
			     cfg->geo_asn != NULL) +
	       dc_tset_tel_bytes(&cfg->telescope);
}

uint64_t
dc_bench_table_sum(const struct dc_table *t, uint64_t h)
{
	if (t == NULL)
		return h;
	h = dc_bench_hash(t->slots, dc_table_capacity(t) * t->slot_size, h);
	h = dc_bench_hash(t->order, t->used * sizeof(t->order[0]), h);
	return dc_bench_mix64(h ^ t->used ^ (uint64_t)t->zero_used << 40);
}

uint64_t
dc_bench_tset_sum(const struct dc_tset *ts, uint64_t h)
{
	h = dc_bench_table_sum(ts->src, h);
	h = dc_bench_hash(ts->src_cold, ts->src_ncold * sizeof(ts->src_cold[0]), h ^ ts->src_ncold);
	h = dc_bench_table_sum(ts->dst, h);
	h = dc_bench_table_sum(ts->flow, h);
	if (ts->tel)
		h = dc_bench_hash(ts->dst_bits, dc_tset_tel_bytes(ts->tel), h);
	return dc_bench_table_sum(ts->as, h);
}

uint64_t
dc_bench_tset_destinations(const struct dc_tset *ts)
{
	uint64_t n = ts->dst->used;

	for (uint64_t i = 0; ts->tel && i < dc_telescope_words(ts->tel); i++)
		n += (uint64_t)__builtin_popcountll(ts->dst_bits[i]);
	return n;
}

void
dc_bench_count_keys(const struct dc_bench_frames *f, unsigned burst, struct dc_burst_ctx *bc,
		    struct dc_tset_ctx *tc, struct dc_tset *ts, uint64_t nip,
		    uint64_t *src, uint64_t *dst, uint64_t *flow)
{
	uint64_t *sk = src ? dc_bench_malloc((f->n + 1) * sizeof(uint64_t)) : NULL;
	uint64_t *dk = dc_bench_malloc((f->n + 1) * sizeof(uint64_t));
	uint64_t *fk = dc_bench_malloc((f->n + 1) * sizeof(uint64_t)), k = 0;

	if (ts->tel)
		dc_bench_die("internal: keys counted with a telescope (every destination needs its key)");

	for (uint64_t i = 0; i < f->n; i += burst) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)burst, f->n - i), m;

		dc_counters_parse(NULL, bc, f->frame + i, f->len + i, f->caplen + i, n);
		m = dc_tset_keys(ts, tc, bc, f->frame + i, n);
		for (unsigned j = 0; j < m; j++, k++) {
			if (sk)
				sk[k] = dc_bench_hash(&tc->skey[j], DC_ADDR_KEY_LEN, 1);
			dk[k] = dc_bench_hash(&tc->dkey[j], sizeof(tc->dkey[j]), 2);
			fk[k] = dc_bench_hash(&tc->fkey[j], sizeof(tc->fkey[j]), 3);
		}
	}
	if (k != nip)
		dc_bench_die("internal: %" PRIu64 " IP packets keyed, %" PRIu64 " expected", k,
			     nip);
	if (src)
		*src = dc_bench_count_distinct(sk, k);
	*dst = dc_bench_count_distinct(dk, k);
	*flow = dc_bench_count_distinct(fk, k);
	free(sk);
	free(dk);
	free(fk);
}
