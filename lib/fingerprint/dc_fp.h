/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Scanner fingerprints over a whole burst (DOMAIN.md, docs/COUNTERS.md).
 *
 * For each lane i with elig[i] != 0 (IPv4, TCP, whole header, SYN set and
 * ACK clear, not a non-first fragment), the result byte has:
 * - DC_FP_MIRAI   when seq == destination address,
 * - DC_FP_ZMAP    when IP ID == 54321,
 * - DC_FP_MASSCAN when IP ID == (dst ^ dport ^ seq) & 0xFFFF.
 * Ineligible lanes get 0. All fields are host order; the tests are the same
 * in network order because byte swapping commutes with XOR and equality.
 *
 * Two kernels give identical results: scalar and AVX2 (8 lanes per
 * instruction). dc_fp_eval() uses the best one the CPU has, chosen once.
 */
#ifndef DC_FP_H
#define DC_FP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_FP_MIRAI   0x01
#define DC_FP_ZMAP    0x02
#define DC_FP_MASSCAN 0x04

#define DC_FP_ZMAP_IPID 54321

/** Largest burst the kernels take (a multiple of 8). */
#define DC_FP_BURST_MAX 512

/** Structure of arrays for one burst; lanes past @n are ignored. */
struct dc_fp_burst {
	uint32_t elig[DC_FP_BURST_MAX] __attribute__((aligned(32)));  /**< 0 or ~0 */
	uint32_t seq[DC_FP_BURST_MAX] __attribute__((aligned(32)));
	uint32_t dst[DC_FP_BURST_MAX] __attribute__((aligned(32)));
	uint32_t ipid[DC_FP_BURST_MAX] __attribute__((aligned(32)));  /**< zero-extended */
	uint32_t dport[DC_FP_BURST_MAX] __attribute__((aligned(32))); /**< zero-extended */
};

/** Kernel selection. */
enum dc_fp_impl {
	DC_FP_AUTO = 0, /**< AVX2 when the CPU has it, else scalar */
	DC_FP_SCALAR,
	DC_FP_AVX2,
};

/**
 * Evaluate the fingerprints of lanes [0, n) with the scalar kernel.
 *
 * @param b
 *   The burst's fields.
 * @param n
 *   Lanes to evaluate, at most DC_FP_BURST_MAX.
 * @param out
 *   One result byte per lane.
 * @return
 *   Number of lanes with at least one fingerprint.
 */
unsigned dc_fp_eval_scalar(const struct dc_fp_burst *b, unsigned n, uint8_t *out);

/**
 * Scalar kernel over lanes [from, to): writes out[from..to).
 *
 * @return
 *   Number of those lanes with at least one fingerprint.
 */
unsigned dc_fp_eval_scalar_range(const struct dc_fp_burst *b, unsigned from, unsigned to,
				 uint8_t *out);

/** Same as dc_fp_eval_scalar() with AVX2; call only if dc_fp_cpu_has_avx2(). */
unsigned dc_fp_eval_avx2(const struct dc_fp_burst *b, unsigned n, uint8_t *out);

/** Non-zero when the running CPU supports AVX2. */
int dc_fp_cpu_has_avx2(void);

/**
 * Choose the kernel dc_fp_eval() uses (call once at start-up).
 *
 * @param impl
 *   DC_FP_AUTO, DC_FP_SCALAR or DC_FP_AVX2.
 * @return
 *   0, or -1 with errno ENOTSUP when AVX2 is asked for on a CPU without it.
 */
int dc_fp_select(enum dc_fp_impl impl);

/** Name of the selected kernel: "avx2" or "scalar". */
const char *dc_fp_impl_name(void);

/** Evaluate with the selected kernel (see dc_fp_eval_scalar()). */
unsigned dc_fp_eval(const struct dc_fp_burst *b, unsigned n, uint8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DC_FP_H */
