/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dc_hash_nh() of four keys at a time with AVX2 (built with -mavx2, called
 * only after a run-time CPU check, see dc_hash_nh_burst()). The same
 * function bit for bit: NH's 32 x 32 -> 64-bit products are vpmuludq, the
 * finaliser's 64-bit multiplies are made of three of them.
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dc_table.h"

void dc_hash_nh_burst_avx2(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
			   unsigned n, uint64_t *out);

/* Low 64 bits of a * b in each lane; b_hi = b >> 32 (a constant here). */
static inline __m256i
mul64(__m256i a, __m256i b, __m256i b_hi)
{
	__m256i lolo = _mm256_mul_epu32(a, b);
	__m256i hilo = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
	__m256i lohi = _mm256_mul_epu32(a, b_hi);

	return _mm256_add_epi64(lolo, _mm256_slli_epi64(_mm256_add_epi64(hilo, lohi), 32));
}

/* Word @p w (8 bytes, unaligned) of the keys at @p k0 .. @p k0 + 3 strides. */
static inline __m256i
word4(const uint8_t *k0, size_t stride, uint32_t w)
{
	const uint8_t *p = k0 + 8 * w;
	uint64_t a, b, c, d;

	memcpy(&a, p, 8);
	memcpy(&b, p + stride, 8);
	memcpy(&c, p + 2 * stride, 8);
	memcpy(&d, p + 3 * stride, 8);
	return _mm256_set_epi64x((long long)d, (long long)c, (long long)b, (long long)a);
}

void
dc_hash_nh_burst_avx2(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
		      unsigned n, uint64_t *out)
{
	const uint8_t *k = keys;
	const uint32_t nw = (len + 7) / 8;
	const __m256i tail = _mm256_set1_epi64x((long long)dc_key_tail_mask(len));
	const __m256i c1 = _mm256_set1_epi64x((long long)0xff51afd7ed558ccdull);
	const __m256i c1h = _mm256_srli_epi64(c1, 32);
	const __m256i c2 = _mm256_set1_epi64x((long long)0xc4ceb9fe1a85ec53ull);
	const __m256i c2h = _mm256_srli_epi64(c2, 32);
	__m256i nhv[DC_TABLE_MAX_KEY / 8];
	unsigned i = 0;

	for (uint32_t w = 0; w < nw; w++)
		nhv[w] = _mm256_set1_epi64x((long long)((uint64_t)nh[2 * w + 1] << 32 | nh[2 * w]));
	for (; i + 4 <= n; i += 4, k += 4 * stride) {
		__m256i acc = _mm256_set1_epi64x(len), x;

		/* (lo + nh[2w]) and (hi + nh[2w + 1]), each mod 2^32, multiplied */
		for (uint32_t w = 0; w + 1 < nw; w++) {
			x = _mm256_add_epi32(word4(k, stride, w), nhv[w]);
			acc = _mm256_add_epi64(acc, _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
		}
		x = _mm256_and_si256(word4(k, stride, nw - 1), tail); /* the last word, masked */
		x = _mm256_add_epi32(x, nhv[nw - 1]);
		acc = _mm256_add_epi64(acc, _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
		acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
		acc = mul64(acc, c1, c1h);
		acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
		acc = mul64(acc, c2, c2h);
		acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
		_mm256_storeu_si256((__m256i *)(out + i), acc);
	}
	for (; i < n; i++, k += stride)
		out[i] = dc_hash_nh(k, len, nh);
}
