/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <string.h>

#include "dc_hll.h"

void
dc_hll_reset(struct dc_hll *h)
{
	memset(h->reg, 0, sizeof(h->reg));
}

void
dc_hll_add(struct dc_hll *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - DC_HLL_P));
	uint64_t w = hash << DC_HLL_P | (1ull << (DC_HLL_P - 1)); /* guard bit bounds the rank */
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);

	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

void
dc_hll_merge(struct dc_hll *a, const struct dc_hll *b)
{
	for (uint32_t i = 0; i < DC_HLL_M; i++)
		if (b->reg[i] > a->reg[i])
			a->reg[i] = b->reg[i];
}

/*
 * Estimation after O. Ertl, "New cardinality estimation algorithms for
 * HyperLogLog sketches" (2017), the "improved" estimator: no empirical bias
 * tables, no switch to linear counting, unbiased over the whole range.
 */
static double
ertl_sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double
ertl_tau(double x)
{
	double y = 1, z = 1 - x, zp;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

uint64_t
dc_hll_estimate(const struct dc_hll *h)
{
	enum { Q = 64 - DC_HLL_P };
	const double m = DC_HLL_M;
	uint32_t cnt[Q + 2] = {0};
	double z;
	int k;

	for (uint32_t i = 0; i < DC_HLL_M; i++)
		cnt[h->reg[i]]++;
	if (cnt[0] == DC_HLL_M)
		return 0;
	z = m * ertl_tau(1 - cnt[Q + 1] / m);
	for (k = Q; k >= 1; k--)
		z = 0.5 * (z + cnt[k]);
	z += m * ertl_sigma(cnt[0] / m);
	z = m * m / (2 * log(2)) / z + 0.5;
	/* saturated registers (about 2^60 items) would overflow the cast */
	return z >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)z;
}
