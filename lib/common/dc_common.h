/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Small helpers shared by every darkcap library: branch hints and array size.
 */
#ifndef DC_COMMON_H
#define DC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define DC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DC_CACHE_LINE 64
#define DC_CACHE_ALIGNED __attribute__((aligned(DC_CACHE_LINE)))
#define DC_ALWAYS_INLINE inline __attribute__((always_inline))

#endif /* DC_COMMON_H */
