/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HyperLogLog estimates against exact counts, with the same key hashing the
 * control core uses, and the growable control map against a reference.
 */
#include <math.h>
#include <string.h>

#include "dc_cmap.h"
#include "dc_common.h"
#include "dc_hll.h"
#include "dc_test.h"
#include "dc_table.h"

static uint64_t rs = 88172645463325252ull;

static uint64_t
rnd64(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

struct key24 {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[7];
};

static uint64_t
key_hash(const struct key24 *k)
{
	return dc_hash_nh(k, sizeof(*k), dc_hash_fixed_nh);
}

/* Over many trials and sizes: relative error within 4 standard errors each
 * time, and the root-mean-square error near the theoretical 0.81 %. */
static void
t_hll_accuracy(void)
{
	static const uint64_t sizes[] = {10, 1000, 20000, 40000, 61099, 100000, 400000};
	static struct dc_hll h;
	double sq = 0;
	int trials = 0;

	for (size_t s = 0; s < DC_ARRAY_SIZE(sizes); s++) {
		for (int t = 0; t < 12; t++) {
			struct key24 k;
			double e;

			dc_hll_reset(&h);
			memset(&k, 0, sizeof(k));
			k.family = 4;
			/* IPv4-like keys: random 32-bit addresses, distinct by construction. */
			uint32_t base = (uint32_t)rnd64();
			for (uint64_t i = 0; i < sizes[s]; i++) {
				uint32_t a = base + (uint32_t)i * 2654435761u;

				memcpy(k.addr, &a, 4);
				dc_hll_add(&h, key_hash(&k));
				if (i % 3 == 0) /* duplicates change nothing */
					dc_hll_add(&h, key_hash(&k));
			}
			e = ((double)dc_hll_estimate(&h) - (double)sizes[s]) / (double)sizes[s];
			if (sizes[s] >= 1000) {
				CHECK(fabs(e) < 4 * 0.0081);
				sq += e * e;
				trials++;
			} else {
				/* Small sets: within one of the truth. */
				CHECK(fabs(e) * (double)sizes[s] <= 1.0);
			}
		}
	}
	printf("hll: rms relative error %.3f %% over %d trials\n", 100 * sqrt(sq / trials), trials);
	CHECK(sqrt(sq / trials) < 0.0125);
	dc_hll_reset(&h);
	CHECK_EQ(dc_hll_estimate(&h), 0);
}

static void
t_hll_merge(void)
{
	static struct dc_hll a, b, u;
	struct key24 k;

	dc_hll_reset(&a);
	dc_hll_reset(&b);
	dc_hll_reset(&u);
	memset(&k, 0, sizeof(k));
	k.family = 6;
	for (int i = 0; i < 50000; i++) {
		uint64_t v = rnd64();

		memcpy(k.addr, &v, 8);
		dc_hll_add(i % 2 ? &a : &b, key_hash(&k));
		dc_hll_add(&u, key_hash(&k));
	}
	dc_hll_merge(&a, &b);
	CHECK(memcmp(&a, &u, sizeof(a)) == 0);
}

static void
t_cmap(void)
{
	struct dc_cmap m;
	static uint64_t ref[300000];
	int is_new;

	dc_cmap_init(&m, 24, 32, 7);
	CHECK_EQ(dc_cmap_count(&m), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 300000; i++) {
			struct key24 k;
			uint64_t *v;

			memset(&k, 0, sizeof(k));
			memcpy(k.addr, &i, sizeof(i));
			k.family = 4;
			v = (uint64_t *)(dc_cmap_upsert(&m, &k, &is_new) + 24);
			CHECK_EQ(is_new, round == 0);
			*v += (uint64_t)i;
			ref[i] += (uint64_t)i;
		}
		CHECK_EQ(dc_cmap_count(&m), 300000);
	}
	for (uint64_t s = 0; s < dc_table_capacity(m.t); s++) {
		int i;

		if (!dc_table_slot_used(m.t, s))
			continue;
		memcpy(&i, dc_table_slot(m.t, s), sizeof(i));
		CHECK_EQ(*(uint64_t *)(dc_table_slot(m.t, s) + 24), ref[i]);
	}
	dc_cmap_clear(&m);
	CHECK_EQ(dc_cmap_count(&m), 0);
	dc_cmap_free(&m);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"HyperLogLog accuracy", t_hll_accuracy},
		{"HyperLogLog merge is a union", t_hll_merge},
		{"control map grows and keeps every entry", t_cmap},
	};

	return dc_test_run("sketch", cases, DC_ARRAY_SIZE(cases));
}
