/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Country and AS databases compiled for per-packet bulk lookup.
 *
 * dc_geo_load() reads up to two databases, a country one and an AS one,
 * each either a MaxMind DB file (.mmdb) or a CSV of address ranges (the
 * type is decided by content: the MaxMind metadata marker
 * "\xab\xcd\xefMaxMind.com" in the last 128 KiB, not the file name), and
 * compiles each into DPDK longest-prefix-match tables: an rte_lpm for IPv4
 * and an rte_lpm6 for IPv6, whose next hop is an index into a small table
 * (country codes, or ASNs with their organisation names). libmaxminddb is
 * used only while loading; lookups never touch it.
 *
 * Accepted layouts:
 *  - country .mmdb: GeoLite2/GeoIP2-Country (`country.iso_code`, else
 *    `registered_country.iso_code`) or the free layout with a top-level
 *    `country_code` string;
 *  - AS .mmdb: GeoLite2-ASN (`autonomous_system_number`,
 *    `autonomous_system_organization`);
 *  - country CSV: `first,last,code` per line, first and last the inclusive
 *    bounds of a range of IPv4 or IPv6 addresses, code two letters (an empty
 *    code marks the range unknown);
 *  - AS CSV: `first,last,asn[,org]`, asn a number or "AS<number>", org
 *    optionally double-quoted ("" inside quotes is one quote).
 * CSV files may start with a header line and contain blank lines and lines
 * starting with '#'. Ranges are split into CIDR prefixes; an address gets
 * the value of its longest matching prefix, and of two equal prefixes the
 * later one in the file wins. (An MMDB is a partition of the address space,
 * so the same rule gives exactly the file's own answers.)
 *
 * IPv4 inside IPv6 MMDBs: an ip_version 6 file keeps IPv4 under ::/96, and
 * MaxMind's writers alias ::ffff:0:0/96 (IPv4-mapped), 2001::/32 (Teredo:
 * the server's IPv4, bits 32..63) and 2002::/16 (6to4: bits 16..47) to that
 * same subtree. The IPv4 part goes into the IPv4 table once; every IPv6
 * prefix whose subtree is the IPv4 subtree (::/96 itself and each alias,
 * found by walking the tree, whatever the writer) is kept as a redirect, so
 * dc_geo_lookup6() answers for ::a.b.c.d, ::ffff:a.b.c.d, 6to4 and Teredo
 * addresses exactly what MMDB_lookup_sockaddr() answers.
 *
 * Lookups are read-only, lock-free and allocation-free: any number of
 * workers may call them concurrently on one instance. A reload builds a new
 * instance next to the old one (each instance names its LPM tables with a
 * process-wide counter), and frees the old one once no worker uses it.
 *
 * Rules: the prefixes read are first reduced to the fewest LPM rules giving
 * the same answers (ORTC), and the code and ASN tables hold only the values
 * some address can get. Build time is still quadratic in the IPv4 rules of
 * one prefix length (rte_lpm_add() scans them): a real-size country
 * database (500,000 IPv4 + 500,000 IPv6 prefixes) takes about 2.5 s, an AS
 * database (560,000 + 170,000) about 10 s. Load from a thread that may
 * block, not from a packet or interval loop.
 *
 * Memory: every LPM comes from DPDK's allocator on the given socket (each
 * rte_lpm and rte_lpm6 has a 64 MiB first-level table, plus 1 KiB per
 * second-level group; about 200 MiB per real-size database); the code and
 * ASN tables come from dc_mem. Requires rte_eal_init() to have run.
 */
#ifndef DC_GEO_H
#define DC_GEO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most addresses per internal lookup step; any n is accepted. */
#define DC_GEO_BURST 512

struct dc_geo;

/** Where one database came from and what it compiled to. */
struct dc_geo_db_info {
	int loaded;              /**< 0 when no database of this kind was given */
	int is_mmdb;             /**< 1 for a MaxMind DB, 0 for CSV */
	uint32_t ip_version;     /**< MMDB metadata ip_version (4 or 6); 0 for CSV */
	uint32_t records;        /**< distinct data records (MMDB) or data lines (CSV) */
	uint32_t prefixes4;      /**< IPv4 prefixes read (tree leaves, or CIDR blocks of the ranges) */
	uint32_t prefixes6;      /**< IPv6 prefixes read */
	uint32_t rules4;         /**< rte_lpm rules: the fewest found giving the same answers */
	uint32_t rules6;         /**< rte_lpm6 rules */
	uint32_t tbl8_4;         /**< rte_lpm tbl8 groups allocated */
	uint32_t tbl8_6;         /**< rte_lpm6 tbl8 groups allocated */
	uint32_t v4_aliases;     /**< IPv6 prefixes redirected to the IPv4 table */
	size_t lpm_bytes;        /**< estimate of the DPDK memory of both LPMs */
};

/** Summary of an instance, for logs. */
struct dc_geo_info {
	struct dc_geo_db_info country;
	struct dc_geo_db_info asn;
	uint32_t countries;      /**< distinct country codes (index 0 not counted) */
	uint32_t asns;           /**< distinct ASNs (index 0 not counted) */
	size_t table_bytes;      /**< dc_mem bytes of the code, ASN and org tables */
	double build_seconds;    /**< wall time of dc_geo_load() */
};

/**
 * Load and compile the databases.
 *
 * @param country_path
 *   Country database (.mmdb or CSV), or NULL for none.
 * @param asn_path
 *   AS database (.mmdb or CSV), or NULL for none.
 * @param socket
 *   NUMA socket for the LPM tables (SOCKET_ID_ANY, -1, for any).
 * @return
 *   The instance, or NULL with errno and dc_strerror() naming the problem
 *   in one line: a missing or unreadable file, a corrupt MMDB (with
 *   libmaxminddb's reason), a database of the wrong kind ("<path>: not a
 *   country database: ..."), a bad CSV line ("<path>:<line>: ..."), an
 *   empty database, no database given (EINVAL), or DPDK out of memory.
 */
struct dc_geo *dc_geo_load(const char *country_path, const char *asn_path, int socket);

/**
 * Free an instance (its LPM tables and tables). NULL is ignored. No worker
 * may be using it any more.
 */
void dc_geo_free(struct dc_geo *g);

/**
 * Look up a burst of IPv4 addresses.
 *
 * @param g
 *   The instance.
 * @param ips
 *   @p n addresses in host byte order (the rte_lpm convention).
 * @param n
 *   Number of addresses (any; processed DC_GEO_BURST at a time).
 * @param country
 *   Out: country index of each address (0 when unknown or when no country
 *   database is loaded); NULL to skip the country lookup.
 * @param asn_idx
 *   Out: AS index of each address (0 when unknown or no AS database); NULL
 *   to skip the AS lookup.
 */
void dc_geo_lookup4(const struct dc_geo *g, const uint32_t *ips, unsigned n, uint16_t *country,
		    uint32_t *asn_idx);

/**
 * Ask for the first-level entries (rte_lpm's tbl24) that dc_geo_lookup4()
 * will read for @p ip (host byte order), in both databases: for a caller
 * that knows a stage ahead which addresses it will look up (a 64 MiB table:
 * each entry is a cache miss).
 */
void dc_geo_prefetch4(const struct dc_geo *g, uint32_t ip);

/**
 * Look up a burst of IPv6 addresses.
 *
 * Addresses that an ip_version 6 MMDB maps to its IPv4 subtree (::/96 and
 * the writer's aliases, see the file comment) are answered from the IPv4
 * table, as libmaxminddb does.
 *
 * @param g
 *   The instance.
 * @param ips
 *   @p n addresses, 16 bytes each in network byte order.
 * @param n
 *   Number of addresses (any; processed DC_GEO_BURST at a time).
 * @param country
 *   Out: country index per address, as for dc_geo_lookup4(); may be NULL.
 * @param asn_idx
 *   Out: AS index per address, as for dc_geo_lookup4(); may be NULL.
 */
void dc_geo_lookup6(const struct dc_geo *g, const uint8_t (*ips)[16], unsigned n,
		    uint16_t *country, uint32_t *asn_idx);

/**
 * Number of country indexes: the valid indexes are 0 (unknown) to
 * dc_geo_country_count() - 1.
 */
uint16_t dc_geo_country_count(const struct dc_geo *g);

/**
 * Country code of an index.
 *
 * @return
 *   Two uppercase letters (NUL-terminated, owned by @p g, sorted by index),
 *   or NULL for index 0 (unknown) and for indexes out of range.
 */
const char *dc_geo_country_code(const struct dc_geo *g, uint16_t idx);

/**
 * Index of a country code (case-insensitive).
 *
 * @return
 *   The index (>= 1), or 0 when the code is not in the database.
 */
uint16_t dc_geo_country_index(const struct dc_geo *g, const char *code);

/**
 * Number of AS indexes: the valid indexes are 0 (unknown) to
 * dc_geo_asn_count() - 1.
 */
uint32_t dc_geo_asn_count(const struct dc_geo *g);

/**
 * AS number of an index.
 *
 * @return
 *   The ASN (indexes are sorted by ASN), or 0 for index 0 and for indexes
 *   out of range.
 */
uint32_t dc_geo_asn(const struct dc_geo *g, uint32_t idx);

/**
 * Organisation name of an AS index (the first one the database gives for
 * that ASN).
 *
 * @return
 *   The name (owned by @p g; "" when the database has none), or NULL for
 *   index 0 and for indexes out of range.
 */
const char *dc_geo_asn_org(const struct dc_geo *g, uint32_t idx);

/**
 * Index of an AS number.
 *
 * @return
 *   The index (>= 1), or 0 when the ASN is not in the database.
 */
uint32_t dc_geo_asn_index(const struct dc_geo *g, uint32_t asn);

/**
 * Describe an instance: sources, rule counts, memory and build time.
 */
void dc_geo_info(const struct dc_geo *g, struct dc_geo_info *info);

#ifdef __cplusplus
}
#endif

#endif /* DC_GEO_H */
