/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Prometheus text exposition (format 0.0.4) of a darkcap statistics
 * snapshot: the one naming scheme shared by `darkcap-stat dump --prom` and
 * darkcap-exporter (docs/STATS.md lists every family).
 *
 * A struct dc_prom collects samples family by family, in any order, and
 * renders each family once, with one # HELP and one # TYPE line. Plain C and
 * libc, like libdarkcap-stats.
 */
#ifndef DC_PROM_H
#define DC_PROM_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "dc_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Destination ports exported on their own by default (TCP and UDP);
 * every other port is summed into port="other". */
#define DC_PROM_DEFAULT_PORTS \
	"22,23,53,80,123,161,443,445,1433,1900,2323,3389,5060,5555,5900,6379,8080,8443,37215,52869"

/** Bytes of a port set: one bit per port 0..65535. */
#define DC_PROM_PORT_SET_BYTES 8192

/** What dc_prom_snapshot() exports beyond the fixed families. */
struct dc_prom_opts {
	uint8_t ports[DC_PROM_PORT_SET_BYTES]; /**< ports with series of their own */
	int countries;                         /**< per-country families (opt-in) */
};

enum dc_prom_type {
	DC_PROM_GAUGE,
	DC_PROM_COUNTER,
};

struct dc_prom;

/**
 * Parse a comma-separated port list ("22,23,80" or "" for none) into
 * @p o->ports.
 *
 * @return
 *   0, or -1 with a one-line message in @p err.
 */
int dc_prom_parse_ports(struct dc_prom_opts *o, const char *list, char *err, size_t errlen);

/**
 * A new, empty collection.
 *
 * @param filter
 *   If not NULL, only families whose name matches it are kept.
 * @return
 *   NULL when out of memory.
 */
struct dc_prom *dc_prom_new(const regex_t *filter);

void dc_prom_free(struct dc_prom *p);

/**
 * Add one sample to family @p family (created on first use with @p type
 * and @p help; a later call with another type is dropped).
 *
 * @param nlabels
 *   Label pairs that follow: name (const char *), value (const char *);
 *   values are escaped here.
 */
void dc_prom_u64(struct dc_prom *p, const char *family, enum dc_prom_type type,
		 const char *help, uint64_t value, unsigned nlabels, ...);

/** Same with a floating-point value (seconds). */
void dc_prom_f64(struct dc_prom *p, const char *family, enum dc_prom_type type,
		 const char *help, double value, unsigned nlabels, ...);

/**
 * Add every darkcap_* family of a snapshot (not darkcap_up): the header's
 * build info, start and interval times, the snapshot's age, and the
 * metrics the segment has, named as docs/STATS.md says. Metrics the segment
 * lacks are simply absent.
 */
void dc_prom_snapshot(struct dc_prom *p, const struct dc_stats_reader *r, const void *snap,
		      const struct dc_prom_opts *o, uint64_t now_ns);

/** darkcap_up: 1 when the segment is live and a snapshot was read. */
void dc_prom_up(struct dc_prom *p, int up);

/**
 * The exposition text, NUL-terminated, to free() (its length in @p len).
 *
 * @return
 *   NULL when out of memory.
 */
char *dc_prom_render(struct dc_prom *p, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* DC_PROM_H */
