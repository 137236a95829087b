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

uint64_t
dc_hll_estimate(const struct dc_hll *h)
{
	const double m = DC_HLL_M, alpha = 0.7213 / (1.0 + 1.079 / m);
	double sum = 0, e;
	uint32_t zeros = 0;

	for (uint32_t i = 0; i < DC_HLL_M; i++) {
		sum += ldexp(1.0, -h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros); /* linear counting for small sets */
	return (uint64_t)(e + 0.5);
}
