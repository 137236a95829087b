/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/geo internals: one database source being read (MMDB or CSV) into a
 * flat list of prefixes with their value keys, before the tables and LPMs
 * are built from it (dc_geo.c).
 *
 * Value keys: a country is its two uppercase letters as ('A' << 8 | 'B'),
 * an AS is its number; 0 is unknown for both.
 */
#ifndef DC_GEO_PRIV_H
#define DC_GEO_PRIV_H

#include <stddef.h>
#include <stdint.h>

enum dc_geo_kind { DC_GEO_COUNTRY = 0, DC_GEO_ASN = 1 };

/* IPv6 prefixes an ip_version 6 MMDB maps onto its IPv4 subtree. */
#define DC_GEO_MAX_ALIAS 8

struct dc_geo_pfx4 {
	uint32_t ip;   /* host order, bits past len zero */
	uint32_t key;
	uint8_t len;   /* 1..32 */
};

struct dc_geo_pfx6 {
	uint8_t ip[16];
	uint32_t key;
	uint8_t len;   /* 1..128 */
};

struct dc_geo_alias {
	uint8_t pfx[16];
	uint8_t len;   /* the IPv4 address is the 32 bits from bit len on */
};

struct dc_geo_org {
	uint32_t asn;
	uint32_t off;  /* into dc_geo_src.pool, NUL-terminated */
};

struct dc_geo_src {
	enum dc_geo_kind kind;
	const char *path;
	int is_mmdb;
	uint32_t ip_version;  /* MMDB metadata; 0 for CSV */
	uint32_t records;     /* distinct MMDB data records / CSV data lines */
	struct dc_geo_pfx4 *p4;
	uint32_t n4, cap4;
	struct dc_geo_pfx6 *p6;
	uint32_t n6, cap6;
	struct dc_geo_org *orgs;
	uint32_t norgs, cap_orgs;
	char *pool;
	size_t pool_len, pool_cap;
	struct dc_geo_alias alias[DC_GEO_MAX_ALIAS];
	unsigned nalias;
};

/* Append a prefix (bits past len must be zero). len 0 is stored as the two
 * halves /1, as the LPMs have no depth 0. */
void dc_geo_src_add4(struct dc_geo_src *s, uint32_t ip, unsigned len, uint32_t key);
void dc_geo_src_add6(struct dc_geo_src *s, const uint8_t ip[16], unsigned len, uint32_t key);
/* Remember an organisation name for an ASN (the first one per ASN is kept
 * by the table build). */
void dc_geo_src_org(struct dc_geo_src *s, uint32_t asn, const char *org, size_t len);

/* Country key of a two-letter code (either case): 0 with *key set, or -1
 * when @p len is not 2 or the characters are not ASCII letters. */
int dc_geo_country_key(const char *code, size_t len, uint32_t *key);

/* Quote at most 40 bytes of @p s for a message, non-printables as '?'. */
const char *dc_geo_quote(char *buf, size_t size, const char *s, size_t len);

/* Replace @p s's prefix lists by fewer prefixes giving the same longest
 * prefix match answers (dc_geo_min.c). */
void dc_geo_minimize(struct dc_geo_src *s);

/* Read an MMDB file into @p s. 0 or -1 (dc_err set). */
int dc_geo_read_mmdb(struct dc_geo_src *s);

/* Parse a CSV held in @p buf (@p len bytes, buf[len] writable; modified in
 * place) into @p s. 0 or -1 (dc_err set). */
int dc_geo_read_csv(struct dc_geo_src *s, char *buf, size_t len);

#endif /* DC_GEO_PRIV_H */
