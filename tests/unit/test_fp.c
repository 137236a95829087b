/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fingerprint kernels: scalar and AVX2 against the formulas of DOMAIN.md,
 * written again here, on random bursts of every length, with lanes forced
 * to match each fingerprint (and several at once).
 */
#include <string.h>

#include "dc_common.h"
#include "dc_fp.h"
#include "dc_test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* The formulas, from network-order header words. */
static uint8_t
reference(uint32_t elig, uint32_t seq, uint32_t dst, uint16_t ipid, uint16_t dport)
{
	uint8_t r = 0;

	if (!elig)
		return 0;
	if (seq == dst)
		r |= DC_FP_MIRAI;
	if (ipid == 54321)
		r |= DC_FP_ZMAP;
	if (ipid == (uint16_t)((dst & 0xFFFF) ^ dport ^ (seq & 0xFFFF)))
		r |= DC_FP_MASSCAN;
	return r;
}

static void
fill(struct dc_fp_burst *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned kind = rnd() % 8;

		b->elig[i] = (rnd() % 4) ? UINT32_MAX : 0;
		b->seq[i] = rnd();
		b->dst[i] = 0xC6120000u | (rnd() & 0x1FFFF);
		b->ipid[i] = rnd() & 0xFFFF;
		b->dport[i] = rnd() & 0xFFFF;
		if (kind == 1 || kind == 4)
			b->seq[i] = b->dst[i];
		if (kind == 2 || kind == 5)
			b->ipid[i] = 54321;
		if (kind == 3 || kind == 4)
			b->ipid[i] = (b->dst[i] ^ b->dport[i] ^ b->seq[i]) & 0xFFFF;
		if (kind == 6) { /* all three at once */
			b->seq[i] = b->dst[i];
			b->dport[i] = (54321 ^ b->dst[i] ^ b->seq[i]) & 0xFFFF;
			b->ipid[i] = 54321;
		}
	}
}

static struct dc_fp_burst burst;

static void
t_scalar_vs_formula(void)
{
	uint8_t out[DC_FP_BURST_MAX];
	unsigned seen[8] = {0};

	for (int it = 0; it < 2000; it++) {
		unsigned n = rnd() % (DC_FP_BURST_MAX + 1), hits = 0, got;

		fill(&burst, n);
		got = dc_fp_eval_scalar(&burst, n, out);
		for (unsigned i = 0; i < n; i++) {
			uint8_t want = reference(burst.elig[i], burst.seq[i], burst.dst[i],
						 (uint16_t)burst.ipid[i], (uint16_t)burst.dport[i]);
			CHECK_EQ(out[i], want);
			hits += want != 0;
			seen[want]++;
		}
		CHECK_EQ(got, hits);
	}
	/* The generator above reached every combination that matters. */
	CHECK(seen[DC_FP_MIRAI] > 0);
	CHECK(seen[DC_FP_ZMAP] > 0);
	CHECK(seen[DC_FP_MASSCAN] > 0);
	CHECK(seen[DC_FP_MIRAI | DC_FP_MASSCAN] > 0);
	CHECK(seen[DC_FP_MIRAI | DC_FP_ZMAP | DC_FP_MASSCAN] > 0);
}

static void
t_avx2_vs_scalar(void)
{
	uint8_t a[DC_FP_BURST_MAX + 8], s[DC_FP_BURST_MAX + 8];

	if (!dc_fp_cpu_has_avx2()) {
		printf("skip: no AVX2 on this CPU\n");
		return;
	}
	for (int it = 0; it < 5000; it++) {
		unsigned n = it < DC_FP_BURST_MAX + 1 ? (unsigned)it : rnd() % (DC_FP_BURST_MAX + 1);
		unsigned ha, hs;

		fill(&burst, n);
		memset(a, 0xEE, sizeof(a));
		memset(s, 0xEE, sizeof(s));
		ha = dc_fp_eval_avx2(&burst, n, a);
		hs = dc_fp_eval_scalar(&burst, n, s);
		CHECK_EQ(ha, hs);
		CHECK(memcmp(a, s, n) == 0);
		CHECK_EQ(a[n], 0xEE); /* nothing written past n */
	}
}

static void
t_select(void)
{
	CHECK_EQ(dc_fp_select(DC_FP_SCALAR), 0);
	CHECK(strcmp(dc_fp_impl_name(), "scalar") == 0);
	if (dc_fp_cpu_has_avx2()) {
		CHECK_EQ(dc_fp_select(DC_FP_AVX2), 0);
		CHECK(strcmp(dc_fp_impl_name(), "avx2") == 0);
	} else {
		CHECK(dc_fp_select(DC_FP_AVX2) == -1);
	}
	CHECK_EQ(dc_fp_select(DC_FP_AUTO), 0);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"scalar against the formulas", t_scalar_vs_formula},
		{"AVX2 against scalar, every burst length", t_avx2_vs_scalar},
		{"kernel selection", t_select},
	};

	return dc_test_run("fingerprint", cases, DC_ARRAY_SIZE(cases));
}
