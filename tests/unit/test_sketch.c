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

#define all_zero dc_test_all_zero

/* dc_cmap_append(): entries written in order into an empty map (growing it
 * several times), seen in that order by dc_table_nth(); then upserts, one
 * at a time or in bursts, find every appended key with its value and insert
 * the new ones (the map placed by hash on the way: every key then found by
 * dc_table_lookup()); a clear empties it for appends again. */
static void
t_cmap_append(void)
{
	static uint64_t val[20000];
	struct dc_cmap m;
	uint64_t r = 9;

	dc_cmap_init(&m, 24, 40, 11);
	for (int round = 0; round < 3; round++) {
		unsigned n = 0, bad = 0;
		int is_new;

		CHECK_EQ(dc_cmap_count(&m), 0);
		while (n < 15000) {
			unsigned chunk = 1 + (unsigned)(dc_test_rnd(&r) % 700);
			uint8_t *sl;

			if (chunk > 15000 - n)
				chunk = 15000 - n;
			sl = dc_cmap_append(&m, chunk);
			for (unsigned k = 0; k < chunk; k++, n++) {
				struct key24 key;

				memset(&key, 0, sizeof(key));
				memcpy(key.addr, &n, sizeof(n));
				key.addr[8] = (uint8_t)round;
				key.family = 4;
				bad += !all_zero(sl + k * 40, 40);
				memcpy(sl + k * 40, &key, sizeof(key));
				val[n] = dc_test_rnd(&r);
				memcpy(sl + k * 40 + 24, &val[n], 8);
			}
		}
		CHECK_EQ(bad, 0);
		CHECK_EQ(dc_cmap_count(&m), 15000);
		for (unsigned i = 0; i < 15000; i++) {
			unsigned got;

			memcpy(&got, dc_table_nth(m.t, i), sizeof(got));
			bad += got != i;
		}
		CHECK_EQ(bad, 0);
		/* upserts: the first 10,000 appended keys (found, values kept) and
		 * 10,000 new ones, one at a time in round 0, in bursts after */
		for (unsigned i = 0; i < 20000; i += 32) {
			struct key24 key[32];
			const void *kp[32];
			uint8_t *out[32];
			uint64_t fresh = 0;
			unsigned nb = 20000 - i < 32 ? 20000 - i : 32;

			for (unsigned k = 0; k < nb; k++) {
				unsigned id = i + k < 10000 ? i + k : 15000 + (i + k - 10000);

				memset(&key[k], 0, sizeof(key[k]));
				memcpy(key[k].addr, &id, sizeof(id));
				key[k].addr[8] = (uint8_t)round;
				key[k].family = 4;
				kp[k] = &key[k];
			}
			if (round == 0) {
				for (unsigned k = 0; k < nb; k++) {
					out[k] = dc_cmap_upsert(&m, kp[k], &is_new);
					fresh |= (uint64_t)is_new << k;
				}
			} else {
				dc_cmap_upsert_burst(&m, kp, nb, out, &fresh);
			}
			for (unsigned k = 0; k < nb; k++) {
				unsigned id = i + k < 10000 ? i + k : 15000 + (i + k - 10000);
				uint64_t v;

				memcpy(&v, out[k] + 24, 8);
				if (id < 15000)
					bad += ((fresh >> k) & 1) || v != val[id];
				else
					bad += !((fresh >> k) & 1) || v != 0;
			}
		}
		CHECK_EQ(bad, 0);
		CHECK_EQ(m.appended, 0);
		CHECK_EQ(dc_cmap_count(&m), 25000);
		for (unsigned id = 0; id < 15000; id++) {
			struct key24 key;
			const uint8_t *sl;
			uint64_t v;

			memset(&key, 0, sizeof(key));
			memcpy(key.addr, &id, sizeof(id));
			key.addr[8] = (uint8_t)round;
			key.family = 4;
			sl = dc_table_lookup(m.t, &key, dc_table_hash(m.t, &key));
			if (sl == NULL) {
				bad++;
				continue;
			}
			memcpy(&v, sl + 24, 8);
			bad += v != val[id];
		}
		CHECK_EQ(bad, 0);
		dc_cmap_clear(&m);
		CHECK(all_zero(dc_table_slot(m.t, 0), dc_table_capacity(m.t) * 40));
		/* a clear of an appended map: its run of slots zeroed */
		dc_cmap_append(&m, 3);
		memset(dc_table_slot(m.t, 0), 0xAB, 3 * 40);
		dc_cmap_clear(&m);
		CHECK_EQ(dc_cmap_count(&m), 0);
		CHECK(all_zero(dc_table_slot(m.t, 0), dc_table_capacity(m.t) * 40));
	}
	dc_cmap_free(&m);
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

/*
 * dc_cmap_upsert_burst() against a model: keys drawn from a universe small
 * enough that bursts repeat keys (within a burst and across), every key
 * length the engine uses and an odd one (compared and hashed up to its
 * length only: the bytes after it are random in every buffer), bursts of 0
 * to 64 keys, the map growing from empty. Each slot must be the key's, the
 * fresh mask must flag exactly each key's first appearance, and every
 * value must be the model's sum.
 */
static void
t_cmap_burst(void)
{
	static const uint32_t lens[] = {8, 24, 48, 20};
	enum { U = 20000, BURSTS = 4000 };
	static uint8_t ukey[U][48];
	static uint64_t ref[U];
	static uint8_t seen[U];
	uint64_t r = 5;

	for (unsigned li = 0; li < DC_ARRAY_SIZE(lens); li++) {
		const uint32_t len = lens[li], slot = (len + 7) / 8 * 8 + 8;
		uint8_t buf[DC_CMAP_BURST][64];
		const void *kp[DC_CMAP_BURST];
		uint8_t *out[DC_CMAP_BURST];
		unsigned idx[DC_CMAP_BURST], bad_slot = 0, bad_fresh = 0, distinct = 0;
		struct dc_cmap m;

		dc_cmap_init(&m, len, slot, 9 + li);
		memset(ref, 0, sizeof(ref));
		memset(seen, 0, sizeof(seen));
		for (unsigned u = 0; u < U; u++) {
			for (unsigned b = 0; b < 48; b++)
				ukey[u][b] = (uint8_t)dc_test_rnd(&r);
			ukey[u][0] |= 1; /* never the all-zero key */
		}
		for (unsigned b = 0; b < BURSTS; b++) {
			unsigned n = (unsigned)(dc_test_rnd(&r) % (DC_CMAP_BURST + 1));
			uint64_t fresh = ~0ull, want = 0;

			for (unsigned k = 0; k < n; k++) {
				/* a quarter of the keys from the first 64: repeats in a burst */
				unsigned u = (unsigned)(dc_test_rnd(&r) % (k % 4 ? U : 64));

				idx[k] = u;
				for (unsigned x = 0; x < sizeof(buf[k]); x++)
					buf[k][x] = (uint8_t)dc_test_rnd(&r);
				memcpy(buf[k], ukey[u], len);
				kp[k] = buf[k];
				if (!seen[u]) {
					seen[u] = 1;
					distinct++;
					want |= 1ull << k;
				}
			}
			dc_cmap_upsert_burst(&m, kp, n, out, &fresh);
			bad_fresh += fresh != want;
			for (unsigned k = 0; k < n; k++) {
				uint64_t *v = (uint64_t *)(void *)(out[k] + (len + 7) / 8 * 8);

				bad_slot += memcmp(out[k], ukey[idx[k]], len) != 0;
				*v += idx[k] + 1;
				ref[idx[k]] += idx[k] + 1;
			}
		}
		CHECK_EQ(bad_slot, 0);
		CHECK_EQ(bad_fresh, 0);
		CHECK_EQ(dc_cmap_count(&m), distinct);
		for (unsigned u = 0, bad = 0; u < U; u++) {
			int is_new;
			uint8_t *sl = dc_cmap_upsert(&m, ukey[u], &is_new);

			bad += is_new != !seen[u] ||
			       *(uint64_t *)(void *)(sl + (len + 7) / 8 * 8) != ref[u];
			if (u == U - 1)
				CHECK_EQ(bad, 0);
		}
		dc_cmap_free(&m);
	}
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"HyperLogLog accuracy", t_hll_accuracy},
		{"HyperLogLog merge is a union", t_hll_merge},
		{"control map grows and keeps every entry", t_cmap},
		{"control map appends, then placed by hash at the first upsert", t_cmap_append},
		{"control map bursts: the same slots, fresh flags and sums as a model", t_cmap_burst},
	};

	return dc_test_run("sketch", cases, DC_ARRAY_SIZE(cases));
}
