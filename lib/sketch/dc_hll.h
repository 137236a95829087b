/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * HyperLogLog (Flajolet et al. 2007) with 2^14 one-byte registers and Ertl's
 * improved estimator (2017): standard error about 1.04 / sqrt(16384) = 0.81 %
 * across the whole range. Mergeable (register-wise max), so sketches from
 * several sensors or days combine.
 */
#ifndef DC_HLL_H
#define DC_HLL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_HLL_P 14
#define DC_HLL_M (1u << DC_HLL_P)

struct dc_hll {
	uint8_t reg[DC_HLL_M];
};

/** Empty the sketch. */
void dc_hll_reset(struct dc_hll *h);
/** Add an item by its 64-bit hash (well mixed, e.g. dc_hash_nh() of lib/table). */
void dc_hll_add(struct dc_hll *h, uint64_t hash);
/** Merge @p b into @p a. */
void dc_hll_merge(struct dc_hll *a, const struct dc_hll *b);
/** Estimated number of distinct items added. */
uint64_t dc_hll_estimate(const struct dc_hll *h);
#ifdef __cplusplus
}
#endif

#endif /* DC_HLL_H */
