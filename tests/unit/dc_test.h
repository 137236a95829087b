/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal unit-test harness: TEST_CASE functions run by dc_test_run(); each
 * CHECK failure prints file:line and the expression, and the program exits
 * non-zero if any failed. Exit 77 means "skipped" to meson.
 */
#ifndef DC_TEST_H
#define DC_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int dc_test_failures;
static int dc_test_checks;

/** Deterministic pseudo-random 64-bit values (splitmix64) from state @p s. */
static inline uint64_t
dc_test_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/** Non-zero when the @p n bytes at @p p are all zero. */
static inline int
dc_test_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

#define CHECK(cond)                                                                  \
	do {                                                                         \
		dc_test_checks++;                                                    \
		if (!(cond)) {                                                       \
			dc_test_failures++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
		}                                                                    \
	} while (0)

#define CHECK_EQ(a, b)                                                               \
	do {                                                                         \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                     \
		dc_test_checks++;                                                    \
		if (_a != _b) {                                                      \
			dc_test_failures++;                                          \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);                  \
		}                                                                    \
	} while (0)

struct dc_test_case {
	const char *name;
	void (*fn)(void);
};

static inline int
dc_test_run(const char *suite, const struct dc_test_case *tc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int before = dc_test_failures;

		tc[i].fn();
		printf("%s %s: %s\n", dc_test_failures == before ? "ok  " : "FAIL", suite, tc[i].name);
	}
	printf("%s: %d checks, %d failed\n", suite, dc_test_checks, dc_test_failures);
	return dc_test_failures ? 1 : 0;
}

#endif /* DC_TEST_H */
