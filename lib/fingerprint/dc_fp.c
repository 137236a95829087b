/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "dc_err.h"
#include "dc_fp.h"

typedef unsigned (*dc_fp_fn)(const struct dc_fp_burst *, unsigned, uint8_t *);

static dc_fp_fn dc_fp_kernel = dc_fp_eval_scalar;

unsigned
dc_fp_eval_scalar_range(const struct dc_fp_burst *b, unsigned from, unsigned to, uint8_t *out)
{
	unsigned i, hits = 0;

	for (i = from; i < to; i++) {
		uint8_t r = 0;

		if (b->elig[i]) {
			r |= (b->seq[i] == b->dst[i]) ? DC_FP_MIRAI : 0;
			r |= (b->ipid[i] == DC_FP_ZMAP_IPID) ? DC_FP_ZMAP : 0;
			r |= (b->ipid[i] == ((b->dst[i] ^ b->dport[i] ^ b->seq[i]) & 0xFFFF)) ?
				DC_FP_MASSCAN : 0;
		}
		out[i] = r;
		hits += r != 0;
	}
	return hits;
}

unsigned
dc_fp_eval_scalar(const struct dc_fp_burst *b, unsigned n, uint8_t *out)
{
	return dc_fp_eval_scalar_range(b, 0, n, out);
}

int
dc_fp_cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

int
dc_fp_select(enum dc_fp_impl impl)
{
	switch (impl) {
	case DC_FP_SCALAR:
		dc_fp_kernel = dc_fp_eval_scalar;
		return 0;
	case DC_FP_AVX2:
		if (!dc_fp_cpu_has_avx2())
			return dc_err(ENOTSUP, "fingerprint kernel avx2 requested but this CPU has no AVX2");
		dc_fp_kernel = dc_fp_eval_avx2;
		return 0;
	case DC_FP_AUTO:
	default:
		dc_fp_kernel = dc_fp_cpu_has_avx2() ? dc_fp_eval_avx2 : dc_fp_eval_scalar;
		return 0;
	}
}

const char *
dc_fp_impl_name(void)
{
	return dc_fp_kernel == dc_fp_eval_avx2 ? "avx2" : "scalar";
}

unsigned
dc_fp_eval(const struct dc_fp_burst *b, unsigned n, uint8_t *out)
{
	return dc_fp_kernel(b, n, out);
}
