/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measured loop over a dc_table and its driver, included by
 * table_bench.c once per table implementation: TB_PREFIX is dc_table
 * (lib/table).
 */
#define TB_CAT2(a, b) a##_##b
#define TB_CAT(a, b) TB_CAT2(a, b)
#define TB(x) TB_CAT(TB_PREFIX, x)

/* One pass over a stream; returns TSC cycles. */
static uint64_t
TB(bench_pass)(struct TB_PREFIX *t, const struct key16 *st, uint64_t n, uint64_t *refused)
{
	uint64_t t0, ref = 0;

	t0 = rte_rdtsc_precise();
	for (uint64_t i = 0; i < n; i += BURST) {
		const struct key16 *k = st + i;
		unsigned m = n - i < BURST ? (unsigned)(n - i) : BURST, j;
		uint64_t h[BURST];

		for (j = 0; j < m; j++)
			h[j] = TB(hash)(t, &k[j]);
		for (j = 0; j < m; j++)
			TB(prefetch)(t, h[j]);
		for (j = 0; j < m; j++)
			TB(prefetch_slot)(t, h[j]);
		for (j = 0; j < m; j++) {
			int is_new;
			uint8_t *s = TB(upsert)(t, &k[j], h[j], &is_new);

			if (likely(s != NULL)) {
				struct ctr *v = (struct ctr *)(s + sizeof(struct key16));

				v->packets++;
				v->bytes += PKT_LEN(i + j);
			} else {
				ref++;
			}
		}
	}
	*refused = ref;
	return rte_rdtsc_precise() - t0;
}

/* All repetitions of both passes with one slot size. */
static void
TB(bench_run)(uint32_t slot_size, uint32_t hot_len, uint64_t n,
	      const struct key16 *const st[NB_PASS], struct result *r)
{
	uint64_t g = TB(groups_for)(n);
	size_t sz = TB(mem_size)(g, slot_size);
	void *mem = rte_zmalloc_socket("table_bench", sz, 64, (int)rte_socket_id());
	struct TB_PREFIX *t = NULL;

	if (mem == NULL) {
		fprintf(stderr, "rte_zmalloc_socket(%zu) failed: not enough DPDK memory (-m)?\n", sz);
		exit(1);
	}
	note_page_size(mem);
	memset(mem, 0, sz); /* fault every page in before timing */
	for (unsigned rep = 0, tries = 0; rep < opt.repeat; rep += rep_done(r, rep, &tries)) {
		t = TB(init)(mem, n, sizeof(struct key16), slot_size, opt.seed + rep);
		if (t == NULL) {
			fprintf(stderr, "table init: %s\n", strerror(errno));
			exit(1);
		}
		for (int p = 0; p < NB_PASS; p++) {
			struct meter m0;
			uint64_t refused, c;

			meter_start(&m0);
			c = TB(bench_pass)(t, st[p], opt.packets, &refused);
			meter_stop(&m0, r, p, rep, c);
			r->refused += refused;
		}
	}
	/* what the last repetition left: distinct keys and the sum of packets */
	r->distinct = t->used;
	r->pkts_sum = 0;
	for (uint64_t i = 0; i < TB(capacity)(t); i++)
		if (TB(slot_used)(t, i))
			r->pkts_sum += ((struct ctr *)(TB(slot)(t, i) + sizeof(struct key16)))->packets;
	r->ran = 1;
	rte_free(mem);
}

#undef TB
#undef TB_CAT
#undef TB_CAT2
