/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The telescope's own IPv4 address space: up to DC_TELESCOPE_MAX prefixes,
 * numbered one after the other so that every address in them has a bit
 * index (the first prefix's addresses 0 .. 2^(32-len) - 1, the next after
 * them). The workers keep the interval's distinct destinations in them as a
 * bitmap indexed by it (docs/TABLES.md, "Destinations in the telescope"):
 * the address is the index, no hash, no probe, and the bitmap of a /15 is
 * 16 KiB.
 */
#ifndef DC_TELESCOPE_H
#define DC_TELESCOPE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Prefixes a telescope may have. */
#define DC_TELESCOPE_MAX 16
/** Addresses a telescope may have in all (a /6: 8 MiB of bitmap per table set). */
#define DC_TELESCOPE_ADDRS_MAX (1ull << 26)

struct dc_telescope {
	uint32_t n;                       /**< prefixes; 0 = none configured */
	uint32_t net[DC_TELESCOPE_MAX];   /**< network address, host order */
	uint32_t mask[DC_TELESCOPE_MAX];  /**< netmask, host order */
	uint8_t len[DC_TELESCOPE_MAX];    /**< prefix length */
	uint32_t base[DC_TELESCOPE_MAX];  /**< bit index of the prefix's first address */
	uint64_t addrs;                   /**< addresses in all */
};

/**
 * Parse a comma-separated list of IPv4 prefixes ("198.18.0.0/15,
 * 203.0.113.0/24"; spaces around commas allowed) into @p t, or "off" for
 * none. Refused, with a one-line dc_strerror() naming @p where and the
 * prefix: anything but a.b.c.d/len, host bits set, overlapping prefixes,
 * more than DC_TELESCOPE_MAX prefixes or DC_TELESCOPE_ADDRS_MAX addresses.
 *
 * @return
 *   0, or -1 with errno EINVAL (@p t untouched).
 */
int dc_telescope_parse(struct dc_telescope *t, const char *text, const char *where);

/** Format @p t as dc_telescope_parse() reads it ("off" for none). */
void dc_telescope_format(const struct dc_telescope *t, char *buf, unsigned size);

/** 64-bit words of the bitmap over @p t's addresses. */
static inline uint64_t
dc_telescope_words(const struct dc_telescope *t)
{
	return (t->addrs + 63) / 64;
}

/**
 * The bit index of IPv4 address @p a (host order) in @p t.
 *
 * @return
 *   1 with *@p bit set when @p a is in one of the prefixes, else 0.
 */
static inline int
dc_telescope_bit(const struct dc_telescope *t, uint32_t a, uint32_t *bit)
{
	for (uint32_t i = 0; i < t->n; i++)
		if ((a & t->mask[i]) == t->net[i]) {
			*bit = t->base[i] + (a - t->net[i]);
			return 1;
		}
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* DC_TELESCOPE_H */
