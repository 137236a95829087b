/* SPDX-License-Identifier: BSD-3-Clause */
/* Built with -mavx2; reached only through dc_fp_select() after a CPU check. */
#include <immintrin.h>
#include <string.h>

#include "dc_fp.h"

/* spread[m] has byte k = 1 when bit k of the 8-lane mask m is set. */
static uint64_t spread[256];

__attribute__((constructor)) static void
spread_init(void)
{
	unsigned m, k;

	for (m = 0; m < 256; m++)
		for (k = 0; k < 8; k++)
			if (m & (1u << k))
				spread[m] |= (uint64_t)1 << (8 * k);
}

unsigned
dc_fp_eval_avx2(const struct dc_fp_burst *b, unsigned n, uint8_t *out)
{
	const __m256i zmap = _mm256_set1_epi32(DC_FP_ZMAP_IPID);
	const __m256i low16 = _mm256_set1_epi32(0xFFFF);
	unsigned i, hits = 0;

	for (i = 0; i + 8 <= n; i += 8) {
		__m256i elig = _mm256_load_si256((const __m256i *)&b->elig[i]);
		__m256i seq = _mm256_load_si256((const __m256i *)&b->seq[i]);
		__m256i dst = _mm256_load_si256((const __m256i *)&b->dst[i]);
		__m256i ipid = _mm256_load_si256((const __m256i *)&b->ipid[i]);
		__m256i dport = _mm256_load_si256((const __m256i *)&b->dport[i]);
		__m256i ms = _mm256_and_si256(low16,
				_mm256_xor_si256(_mm256_xor_si256(dst, dport), seq));
		unsigned mm = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(
				_mm256_and_si256(elig, _mm256_cmpeq_epi32(seq, dst))));
		unsigned mz = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(
				_mm256_and_si256(elig, _mm256_cmpeq_epi32(ipid, zmap))));
		unsigned mc = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(
				_mm256_and_si256(elig, _mm256_cmpeq_epi32(ipid, ms))));
		/* DC_FP_MIRAI, _ZMAP, _MASSCAN are bits 0, 1, 2 of each byte. */
		uint64_t r = spread[mm] | spread[mz] << 1 | spread[mc] << 2;

		hits += (unsigned)__builtin_popcount(mm | mz | mc);
		memcpy(out + i, &r, sizeof(r));
	}
	return hits + dc_fp_eval_scalar_range(b, i, n, out);
}
