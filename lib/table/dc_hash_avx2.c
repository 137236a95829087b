/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dc_hash_nh() of four keys at a time with AVX2 (built with -mavx2, called
 * only after a run-time CPU check, see dc_hash_nh_burst()). The same
 * function bit for bit: NH's 32 x 32 -> 64-bit products are vpmuludq, the
 * finaliser's 64-bit multiplies are made of three of them. Keys at a
 * stride (the workers' bursts) or by pointer (the control core's merges).
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dc_table.h"

void dc_hash_nh_burst_avx2(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
			   unsigned n, uint64_t *out);
void dc_hash_nh_burst_ptr_avx2(const void *const *keys, uint32_t len, const uint32_t *nh,
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

/* Word @p w (8 bytes, unaligned) of four keys. */
static inline __m256i
word4(const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d, uint32_t w)
{
	uint64_t x[4];

	memcpy(&x[0], a + 8 * w, 8);
	memcpy(&x[1], b + 8 * w, 8);
	memcpy(&x[2], c + 8 * w, 8);
	memcpy(&x[3], d + 8 * w, 8);
	return _mm256_set_epi64x((long long)x[3], (long long)x[2], (long long)x[1], (long long)x[0]);
}

/* What every four keys share: the secret words broadcast, the constants. */
struct nh4 {
	uint32_t len, nw;
	__m256i tail, c1, c1h, c2, c2h;
	__m256i nhv[DC_TABLE_MAX_KEY / 8];
};

static inline void
nh4_init(struct nh4 *z, uint32_t len, const uint32_t *nh)
{
	z->len = len;
	z->nw = (len + 7) / 8;
	z->tail = _mm256_set1_epi64x((long long)dc_key_tail_mask(len));
	z->c1 = _mm256_set1_epi64x((long long)0xff51afd7ed558ccdull);
	z->c1h = _mm256_srli_epi64(z->c1, 32);
	z->c2 = _mm256_set1_epi64x((long long)0xc4ceb9fe1a85ec53ull);
	z->c2h = _mm256_srli_epi64(z->c2, 32);
	for (uint32_t w = 0; w < z->nw; w++)
		z->nhv[w] = _mm256_set1_epi64x((long long)((uint64_t)nh[2 * w + 1] << 32 | nh[2 * w]));
}

/* The hashes of keys @p a .. @p d into out[0 .. 4). */
static inline void
nh4_hash(const struct nh4 *z, const uint8_t *a, const uint8_t *b, const uint8_t *c,
	 const uint8_t *d, uint64_t *out)
{
	__m256i acc = _mm256_set1_epi64x(z->len), x;
	const uint32_t nw = z->nw;

	/* (lo + nh[2w]) and (hi + nh[2w + 1]), each mod 2^32, multiplied */
	for (uint32_t w = 0; w + 1 < nw; w++) {
		x = _mm256_add_epi32(word4(a, b, c, d, w), z->nhv[w]);
		acc = _mm256_add_epi64(acc, _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
	}
	x = _mm256_and_si256(word4(a, b, c, d, nw - 1), z->tail); /* the last word, masked */
	x = _mm256_add_epi32(x, z->nhv[nw - 1]);
	acc = _mm256_add_epi64(acc, _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
	acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
	acc = mul64(acc, z->c1, z->c1h);
	acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
	acc = mul64(acc, z->c2, z->c2h);
	acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 33));
	_mm256_storeu_si256((__m256i *)out, acc);
}

void
dc_hash_nh_burst_avx2(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
		      unsigned n, uint64_t *out)
{
	const uint8_t *k = keys;
	struct nh4 z;
	unsigned i = 0;

	nh4_init(&z, len, nh);
	for (; i + 4 <= n; i += 4, k += 4 * stride)
		nh4_hash(&z, k, k + stride, k + 2 * stride, k + 3 * stride, out + i);
	for (; i < n; i++, k += stride)
		out[i] = dc_hash_nh(k, len, nh);
}

void
dc_hash_nh_burst_ptr_avx2(const void *const *keys, uint32_t len, const uint32_t *nh, unsigned n,
			  uint64_t *out)
{
	const uint8_t *const *k = (const uint8_t *const *)keys;
	struct nh4 z;
	unsigned i = 0;

	nh4_init(&z, len, nh);
	for (; i + 4 <= n; i += 4)
		nh4_hash(&z, k[i], k[i + 1], k[i + 2], k[i + 3], out + i);
	for (; i < n; i++)
		out[i] = dc_hash_nh(k[i], len, nh);
}
