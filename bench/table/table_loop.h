/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measured loop over a dc_table and its driver, included by
 * table_bench.c once per table implementation: TB_PREFIX is dc_table
 * (lib/table).
 */
#define TB_CAT2(a, b) a##_##b
#define TB_CAT(a, b) TB_CAT2(a, b)
#define TB(x) TB_CAT(TB_PREFIX, x)

/* Hash the next burst's keys (at most BURST of the @p left from @p k) as the
 * worker does, together (dc_hash_nh_burst()); @p nb_out: how many. */
#define TB_HASH(t, k, left, out, nb_out)                                      \
	do {                                                                  \
		(nb_out) = (left) < BURST ? (unsigned)(left) : BURST;         \
		dc_hash_nh_burst((k), sizeof(struct key16), sizeof(struct key16), \
				 (t)->nh, (nb_out), (out));                   \
	} while (0)

/* ... and prefetch their home slots all at once (the first burst's). */
#define TB_HASH_PF(t, k, left, out)                                           \
	do {                                                                  \
		unsigned nb_;                                                 \
		TB_HASH(t, k, left, out, nb_);                                \
		for (unsigned x_ = 0; x_ < nb_; x_++)                         \
			TB(prefetch)((t), (out)[x_]);                         \
	} while (0)

/* Count packet @p i in slot @p s (NULL: refused). */
#define TB_COUNT(s, i)                                                        \
	do {                                                                  \
		if (likely((s) != NULL)) {                                    \
			struct ctr *v_ = (struct ctr *)((s) + sizeof(struct key16)); \
			v_->packets++;                                        \
			v_->bytes += PKT_LEN(i);                              \
		} else {                                                      \
			ref++;                                                \
		}                                                             \
	} while (0)

/* New keys of mask @p f get the next record of the cold array (written
 * whole with streaming stores, in insertion order: sequential, as the
 * worker's dc_src_cold_stream()), its index kept in the slot. */
#define TB_COLD(f)                                                            \
	do {                                                                  \
		for (uint64_t f_ = (f); f_; f_ &= f_ - 1) {                   \
			unsigned x_ = (unsigned)__builtin_ctzll(f_);          \
			struct ctr *v_ = (struct ctr *)(sl[x_] + sizeof(struct key16)); \
			uint32_t ci_;                                         \
			if (sl[x_] == NULL)                                   \
				continue;                                     \
			ci_ = (uint32_t)(*ncold)++;                           \
			memcpy(v_ + 1, &ci_, sizeof(ci_));                    \
			tb_stream64(&cold[ci_], i + x_);                      \
		}                                                             \
	} while (0)

/*
 * One pass over a stream; returns TSC cycles. Software-pipelined as the
 * worker does it: the next burst's keys are hashed before this burst is
 * looked up, and their home slots prefetched during this burst's round one
 * (dc_table_find_burst_ahead()), so a burst's cache misses are in flight
 * while the previous burst is worked on. --prefetch at-once: all of the
 * next burst's home slots prefetched before this burst's round one (the
 * pipeline before 2026-11-27), for comparison.
 */
static uint64_t
TB(bench_pass)(struct TB_PREFIX *t, struct rec64 *cold, uint64_t *ncold, const struct key16 *st,
	       uint64_t n, uint64_t *refused)
{
	uint64_t t0, ref = 0, hh[2][BURST];
	unsigned c = 0, j;

	t0 = rte_rdtsc_precise();
	TB_HASH_PF(t, st, n, hh[0]);
	for (uint64_t i = 0; i < n; i += BURST, c ^= 1) {
		const struct key16 *k = st + i;
		unsigned m = n - i < BURST ? (unsigned)(n - i) : BURST, nn;
		uint64_t *h = hh[c], *hn = hh[c ^ 1], later, fresh;
		uint8_t *sl[BURST];

		if (opt.pf_at_once) {
			TB_HASH_PF(t, k + BURST, n > i + BURST ? n - i - BURST : 0, hn);
			nn = 0;
		} else {
			TB_HASH(t, k + BURST, n > i + BURST ? n - i - BURST : 0, hn, nn);
		}
		later = TB(find_burst_ahead)(t, k, sizeof(*k), h, m, sl, &fresh, sizeof(struct key16),
					     hn, nn);
		if (cold)
			TB_COLD(fresh);
		for (j = 0; j < m; j++)
			if (!((later >> j) & 1))
				TB_COUNT(sl[j], i + j);
		TB(find_burst_rest)(t, k, sizeof(*k), h, later, sl, &fresh, sizeof(struct key16));
		if (cold)
			TB_COLD(fresh & later);
		for (; later; later &= later - 1) {
			j = (unsigned)__builtin_ctzll(later);
			TB_COUNT(sl[j], i + j);
		}
	}
	*refused = ref;
	return rte_rdtsc_precise() - t0;
}

/*
 * The memory floor of the source layout: the same pipeline, hash and home
 * slot over the same memory, but the packet's counters are added to its home
 * slot blindly (no compare, no probing, no insert): what one random cache
 * line per packet costs on this machine. Not a table (keys collide); it only
 * bounds what any one-line-per-packet table can reach here.
 */
static uint64_t
TB(floor_pass)(struct TB_PREFIX *t, const struct key16 *st, uint64_t n)
{
	uint64_t t0, hh[2][BURST];
	unsigned c = 0, j;

	t0 = rte_rdtsc_precise();
	TB_HASH_PF(t, st, n, hh[0]);
	for (uint64_t i = 0; i < n; i += BURST, c ^= 1) {
		const struct key16 *k = st + i;
		unsigned m = n - i < BURST ? (unsigned)(n - i) : BURST, nn;
		uint64_t *h = hh[c], *hn = hh[c ^ 1];

		if (opt.pf_at_once) {
			TB_HASH_PF(t, k + BURST, n > i + BURST ? n - i - BURST : 0, hn);
			nn = 0;
		} else {
			TB_HASH(t, k + BURST, n > i + BURST ? n - i - BURST : 0, hn, nn);
		}
		for (j = 0; j < m; j++) {
			struct ctr *v = (struct ctr *)(TB(slot)(t, TB(home)(t, h[j])) +
						      sizeof(struct key16));

			if (j < nn)
				TB(prefetch)(t, hn[j]);
			v->packets++;
			v->bytes += PKT_LEN(i + j);
		}
		for (; j < nn; j++)
			TB(prefetch)(t, hn[j]);
	}
	return rte_rdtsc_precise() - t0;
}

static void
TB(floor_run)(uint64_t n, const struct key16 *const st[NB_PASS], struct result *r)
{
	uint64_t g = n * dc_src_slots_per_key(n);
	size_t sz = TB(mem_size)(g, 64) + n * sizeof(struct rec64) + 64;
	void *mem = rte_zmalloc_socket("table_bench", sz, 64, (int)rte_socket_id());
	struct TB_PREFIX *t = NULL;

	if (mem == NULL) {
		fprintf(stderr, "rte_zmalloc_socket(%zu) failed: not enough DPDK memory (-m)?\n", sz);
		exit(1);
	}
	memset(mem, 0, sz);
	for (unsigned rep = round_lo, tries = 0; rep < round_hi; rep += rep_done(r, rep, &tries)) {
		t = TB(init_n)(mem, n, g, sizeof(struct key16), 64, opt.seed + rep);
		for (int p = 0; p < NB_PASS; p++) {
			struct dc_bench_meter m0;

			dc_bench_meter_start(&m0, 1);
			pass_done(&m0, r, p, rep, TB(floor_pass)(t, st[p], opt.packets));
		}
	}
	r->ran = 1;
	rte_free(mem);
}

/* All repetitions of both passes with one slot size. */
static void
TB(bench_run)(uint32_t slot_size, int with_cold, uint64_t n,
	      const struct key16 *const st[NB_PASS], struct result *r)
{
	uint64_t g = with_cold ? n * dc_src_slots_per_key(n) : TB(slots_for)(n);
	size_t sz = TB(mem_size)(g, slot_size) + (with_cold ? n * sizeof(struct rec64) + 64 : 0);
	void *mem = rte_zmalloc_socket("table_bench", sz, 64, (int)rte_socket_id());
	struct TB_PREFIX *t = NULL;
	struct rec64 *cold = NULL;

	if (mem == NULL) {
		fprintf(stderr, "rte_zmalloc_socket(%zu) failed: not enough DPDK memory (-m)?\n", sz);
		exit(1);
	}
	dc_bench_note_page(mem);
	memset(mem, 0, sz); /* fault every page in before timing */
	if (with_cold)
		cold = (struct rec64 *)(((uintptr_t)mem + TB(mem_size)(g, slot_size) + 63) & ~(uintptr_t)63);
	for (unsigned rep = round_lo, tries = 0; rep < round_hi; rep += rep_done(r, rep, &tries)) {
		uint64_t ncold = 0;

		t = TB(init_n)(mem, n, g, sizeof(struct key16), slot_size, opt.seed + rep);
		if (t == NULL) {
			fprintf(stderr, "table init: %s\n", strerror(errno));
			exit(1);
		}
		for (int p = 0; p < NB_PASS; p++) {
			struct dc_bench_meter m0;
			uint64_t refused, c;

			dc_bench_meter_start(&m0, 1);
			c = TB(bench_pass)(t, cold, &ncold, st[p], opt.packets, &refused);
			pass_done(&m0, r, p, rep, c);
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

#undef TB_COUNT
#undef TB_HASH_PF
#undef TB_HASH
#undef TB
#undef TB_CAT
#undef TB_CAT2
