/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/geo: loading (file type by content), the code and ASN tables, the
 * LPM build sized from the enumerated prefixes, and the bulk lookups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "dc_common.h"
#include "dc_err.h"
#include "dc_mem.h"
#include "dc_geo.h"
#include "dc_geo_priv.h"

/* The MaxMind DB metadata marker, in the last 128 KiB of the file. */
static const char mmdb_marker[] = "\xab\xcd\xefMaxMind.com";
#define MMDB_METADATA_MAX (128 * 1024)

#define LPM4_MAX_NEXT_HOP ((1u << 24) - 1)
#define LPM6_MAX_NEXT_HOP ((1u << 21) - 1)

/* One database kind compiled: its LPMs and IPv4 aliases. */
struct geo_db {
	struct rte_lpm *lpm4;       /* NULL: no IPv4 prefix */
	struct rte_lpm6 *lpm6;      /* NULL: no IPv6 prefix */
	unsigned nalias;
	uint64_t alias_first[4];    /* first bytes an alias can start with */
	struct dc_geo_alias alias[DC_GEO_MAX_ALIAS];
};

struct dc_geo {
	struct geo_db db[2];        /* DC_GEO_COUNTRY, DC_GEO_ASN */
	uint16_t ncountry;          /* including 0 */
	char (*codes)[3];           /* [ncountry], codes[0] = "" */
	uint32_t nasn;              /* including 0 */
	uint32_t *asns;             /* [nasn], sorted, asns[0] = 0 */
	uint32_t *org_off;          /* [nasn] into orgs */
	char *orgs;
	struct dc_geo_info info;
};

static uint32_t geo_instances; /* names LPMs uniquely across reloads */

/* ---- helpers shared with the readers ----------------------------------- */

void
dc_geo_src_add4(struct dc_geo_src *s, uint32_t ip, unsigned len, uint32_t key)
{
	if (len == 0) {
		dc_geo_src_add4(s, 0, 1, key);
		dc_geo_src_add4(s, 0x80000000u, 1, key);
		return;
	}
	if (s->n4 == s->cap4) {
		s->cap4 = s->cap4 ? s->cap4 * 2 : 1024;
		s->p4 = dc_realloc(s->p4, (size_t)s->cap4 * sizeof(*s->p4));
	}
	s->p4[s->n4++] = (struct dc_geo_pfx4){ .ip = ip, .key = key, .len = (uint8_t)len };
}

void
dc_geo_src_add6(struct dc_geo_src *s, const uint8_t ip[16], unsigned len, uint32_t key)
{
	struct dc_geo_pfx6 *p;

	if (len == 0) {
		uint8_t half[16] = { 0x80 };

		dc_geo_src_add6(s, (const uint8_t[16]){ 0 }, 1, key);
		dc_geo_src_add6(s, half, 1, key);
		return;
	}
	if (s->n6 == s->cap6) {
		s->cap6 = s->cap6 ? s->cap6 * 2 : 1024;
		s->p6 = dc_realloc(s->p6, (size_t)s->cap6 * sizeof(*s->p6));
	}
	p = &s->p6[s->n6++];
	memcpy(p->ip, ip, 16);
	p->key = key;
	p->len = (uint8_t)len;
}

void
dc_geo_src_org(struct dc_geo_src *s, uint32_t asn, const char *org, size_t len)
{
	const char *nul = memchr(org, '\0', len);

	if (nul)
		len = (size_t)(nul - org);
	if (s->norgs == s->cap_orgs) {
		s->cap_orgs = s->cap_orgs ? s->cap_orgs * 2 : 256;
		s->orgs = dc_realloc(s->orgs, (size_t)s->cap_orgs * sizeof(*s->orgs));
	}
	while (s->pool_len + len + 1 > s->pool_cap) {
		s->pool_cap = s->pool_cap ? s->pool_cap * 2 : 4096;
		s->pool = dc_realloc(s->pool, s->pool_cap);
	}
	memcpy(s->pool + s->pool_len, org, len);
	s->pool[s->pool_len + len] = '\0';
	s->orgs[s->norgs++] = (struct dc_geo_org){ .asn = asn, .off = (uint32_t)s->pool_len };
	s->pool_len += len + 1;
}

int
dc_geo_country_key(const char *code, size_t len, uint32_t *key)
{
	char c[2];

	if (len != 2)
		return -1;
	for (int i = 0; i < 2; i++) {
		c[i] = code[i];
		if (c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 'a' + 'A');
		if (c[i] < 'A' || c[i] > 'Z')
			return -1;
	}
	*key = (uint32_t)c[0] << 8 | (uint32_t)c[1];
	return 0;
}

const char *
dc_geo_quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	if (size < 8)
		return "";
	buf[o++] = '"';
	for (size_t i = 0; i < len && o + 5 < size; i++) {
		if (i == 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void
src_free(struct dc_geo_src *s)
{
	dc_free(s->p4);
	dc_free(s->p6);
	dc_free(s->orgs);
	dc_free(s->pool);
	memset(s, 0, sizeof(*s));
}

/* ---- reading one file --------------------------------------------------- */

static int
read_source(struct dc_geo_src *s)
{
	FILE *f = fopen(s->path, "rb");
	struct stat st;
	size_t tail, size;
	char *buf;
	int rc;

	if (f == NULL)
		return dc_err(errno, "%s: %s", s->path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		rc = errno;
		fclose(f);
		return dc_err(rc, "%s: %s", s->path, strerror(rc));
	}
	if (S_ISDIR(st.st_mode)) {
		fclose(f);
		return dc_err(EISDIR, "%s: is a directory", s->path);
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(f);
		return dc_err(EINVAL, "%s: not a regular file", s->path);
	}
	size = (size_t)st.st_size;
	tail = size < MMDB_METADATA_MAX ? size : MMDB_METADATA_MAX;
	buf = dc_malloc(size + 1);
	if (fseek(f, (long)(size - tail), SEEK_SET) != 0 || fread(buf, 1, tail, f) != tail) {
		rc = ferror(f) ? errno : EIO;
		fclose(f);
		dc_free(buf);
		return dc_err(rc, "%s: read error: %s", s->path, strerror(rc));
	}
	if (memmem(buf, tail, mmdb_marker, sizeof(mmdb_marker) - 1) != NULL) {
		fclose(f);
		dc_free(buf);
		return dc_geo_read_mmdb(s);
	}
	/* not an MMDB: read it all as text */
	if (size > tail) {
		if (fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, size, f) != size) {
			rc = ferror(f) ? errno : EIO;
			fclose(f);
			dc_free(buf);
			return dc_err(rc, "%s: read error: %s", s->path, strerror(rc));
		}
	}
	fclose(f);
	rc = dc_geo_read_csv(s, buf, size);
	dc_free(buf);
	return rc;
}

/* ---- tables --------------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The country table: every code used, sorted, after index 0. */
static void
build_countries(struct dc_geo *g, const struct dc_geo_src *s, uint16_t *key_to_idx)
{
	uint32_t n = 1;

	/* key_to_idx[key] = 1 marks a code in use, then becomes its index */
	for (uint32_t i = 0; i < s->n4; i++)
		key_to_idx[s->p4[i].key] = 1;
	for (uint32_t i = 0; i < s->n6; i++)
		key_to_idx[s->p6[i].key] = 1;
	key_to_idx[0] = 0;
	for (uint32_t k = 1; k < 65536; k++)
		if (key_to_idx[k])
			n++;
	g->ncountry = (uint16_t)n;
	g->codes = dc_calloc(n, sizeof(*g->codes));
	n = 1;
	for (uint32_t k = 1; k < 65536; k++) {
		if (!key_to_idx[k])
			continue;
		g->codes[n][0] = (char)(k >> 8);
		g->codes[n][1] = (char)(k & 0xFF);
		key_to_idx[k] = (uint16_t)n++;
	}
}

/* The AS table: every ASN used, sorted, after index 0; the first org seen. */
static void
build_asns(struct dc_geo *g, const struct dc_geo_src *s)
{
	uint32_t total = s->n4 + s->n6 + 1, n = 0;
	uint32_t *a = dc_malloc((size_t)total * sizeof(*a));
	size_t pool = 1;
	char **first;

	a[n++] = 0;
	for (uint32_t i = 0; i < s->n4; i++)
		a[n++] = s->p4[i].key;
	for (uint32_t i = 0; i < s->n6; i++)
		a[n++] = s->p6[i].key;
	qsort(a, n, sizeof(*a), cmp_u32);
	total = 0;
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || a[i] != a[i - 1])
			a[total++] = a[i];
	g->nasn = total;
	g->asns = dc_realloc(a, (size_t)total * sizeof(*a));
	g->org_off = dc_calloc(total, sizeof(*g->org_off));

	/* first org per ASN, in input order */
	first = dc_calloc(total, sizeof(*first));
	for (uint32_t i = 0; i < s->norgs; i++) {
		uint32_t idx = dc_geo_asn_index(g, s->orgs[i].asn);

		if (idx != 0 && first[idx] == NULL && s->pool[s->orgs[i].off] != '\0') {
			first[idx] = s->pool + s->orgs[i].off;
			pool += strlen(first[idx]) + 1;
		}
	}
	g->orgs = dc_malloc(pool);
	g->orgs[0] = '\0';
	pool = 1;
	for (uint32_t i = 1; i < total; i++) {
		size_t l;

		if (first[i] == NULL)
			continue;
		l = strlen(first[i]);
		memcpy(g->orgs + pool, first[i], l + 1);
		g->org_off[i] = (uint32_t)pool;
		pool += l + 1;
	}
	dc_free(first);
	g->info.table_bytes += (size_t)total * 8 + pool;
}

/* ---- LPMs ------------------------------------------------------------------ */

/* tbl8 groups an rte_lpm needs: one per distinct /24 with a longer prefix. */
static uint32_t
tbl8_count4(const struct dc_geo_src *s)
{
	uint32_t *k = dc_malloc(((size_t)s->n4 + 1) * sizeof(*k));
	uint32_t n = 0, groups = 0;

	for (uint32_t i = 0; i < s->n4; i++)
		if (s->p4[i].len > 24)
			k[n++] = s->p4[i].ip >> 8;
	qsort(k, n, sizeof(*k), cmp_u32);
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || k[i] != k[i - 1])
			groups++;
	dc_free(k);
	return groups;
}

struct pfx6_sort {
	uint8_t ip[16];
	uint8_t len;
};

static int
cmp_pfx6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * tbl8 groups an rte_lpm6 needs: its tbl24 covers 24 bits, then one group
 * per byte; a prefix of length L needs the group of its first b bits for
 * every b = 24, 32, ... below L. Count the distinct (b, first b bits).
 */
static uint32_t
tbl8_count6(const struct dc_geo_src *s)
{
	struct pfx6_sort *v = dc_malloc(((size_t)s->n6 + 1) * sizeof(*v));
	uint32_t n = 0, groups = 0;

	for (uint32_t i = 0; i < s->n6; i++) {
		if (s->p6[i].len <= 24)
			continue;
		memcpy(v[n].ip, s->p6[i].ip, 16);
		v[n].len = s->p6[i].len;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_pfx6);
	for (unsigned b = 24; b < 128; b += 8) {
		const uint8_t *last = NULL;

		for (uint32_t i = 0; i < n; i++) {
			if (v[i].len <= b)
				continue;
			if (last == NULL || memcmp(last, v[i].ip, b / 8) != 0)
				groups++;
			last = v[i].ip;
		}
	}
	dc_free(v);
	return groups;
}

/* DPDK heap bytes in use, over all sockets. */
static size_t
dpdk_heap_used(void)
{
	size_t used = 0;

	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			used += st.heap_allocsz_bytes;
	}
	return used;
}

static uint32_t
key_index(const struct dc_geo *g, const uint16_t *country_idx, enum dc_geo_kind kind, uint32_t key)
{
	return kind == DC_GEO_COUNTRY ? country_idx[key] : dc_geo_asn_index(g, key);
}

static int
build_lpms(struct dc_geo *g, struct geo_db *d, const struct dc_geo_src *s,
	   const uint16_t *country_idx, int socket, struct dc_geo_db_info *info)
{
	uint32_t id = __atomic_fetch_add(&geo_instances, 1, __ATOMIC_RELAXED);
	char name[RTE_LPM_NAMESIZE];
	char kc = s->kind == DC_GEO_COUNTRY ? 'c' : 'a';
	size_t heap0 = dpdk_heap_used();
	int rc;

	if (s->n4 > 0) {
		struct rte_lpm_config cfg = { .max_rules = s->n4, .number_tbl8s = tbl8_count4(s) };

		info->tbl8_4 = cfg.number_tbl8s;
		if (cfg.number_tbl8s == 0)
			cfg.number_tbl8s = 1;
		snprintf(name, sizeof(name), "dcg%u%c4", id, kc);
		d->lpm4 = rte_lpm_create(name, socket, &cfg);
		if (d->lpm4 == NULL)
			return dc_err(rte_errno ? rte_errno : ENOMEM,
				      "%s: rte_lpm_create(%u rules, %u tbl8 groups) on socket %d: %s",
				      s->path, cfg.max_rules, cfg.number_tbl8s, socket,
				      rte_strerror(rte_errno));
		for (uint32_t i = 0; i < s->n4; i++) {
			const struct dc_geo_pfx4 *p = &s->p4[i];
			uint32_t nh = key_index(g, country_idx, s->kind, p->key);

			if (nh > LPM4_MAX_NEXT_HOP)
				return dc_err(E2BIG, "%s: more than %u distinct values", s->path,
					      LPM4_MAX_NEXT_HOP);
			rc = rte_lpm_add(d->lpm4, p->ip, p->len, nh);
			if (rc < 0)
				return dc_err(-rc, "%s: rte_lpm_add(%u.%u.%u.%u/%u): %s", s->path,
					      p->ip >> 24, p->ip >> 16 & 0xFF, p->ip >> 8 & 0xFF,
					      p->ip & 0xFF, p->len, rte_strerror(-rc));
		}
		info->rules4 = s->n4;
	}
	if (s->n6 > 0) {
		struct rte_lpm6_config cfg = { .max_rules = s->n6, .number_tbl8s = tbl8_count6(s) };

		info->tbl8_6 = cfg.number_tbl8s;
		if (cfg.number_tbl8s == 0)
			cfg.number_tbl8s = 1;
		snprintf(name, sizeof(name), "dcg%u%c6", id, kc);
		d->lpm6 = rte_lpm6_create(name, socket, &cfg);
		if (d->lpm6 == NULL)
			return dc_err(rte_errno ? rte_errno : ENOMEM,
				      "%s: rte_lpm6_create(%u rules, %u tbl8 groups) on socket %d: %s",
				      s->path, cfg.max_rules, cfg.number_tbl8s, socket,
				      rte_strerror(rte_errno));
		for (uint32_t i = 0; i < s->n6; i++) {
			const struct dc_geo_pfx6 *p = &s->p6[i];
			uint32_t nh = key_index(g, country_idx, s->kind, p->key);

			if (nh > LPM6_MAX_NEXT_HOP)
				return dc_err(E2BIG, "%s: more than %u distinct values", s->path,
					      LPM6_MAX_NEXT_HOP);
			rc = rte_lpm6_add(d->lpm6, p->ip, p->len, nh);
			if (rc < 0)
				return dc_err(-rc, "%s: rte_lpm6_add(/%u): %s", s->path, p->len,
					      rte_strerror(-rc));
		}
		info->rules6 = s->n6;
	}
	d->nalias = s->nalias;
	memcpy(d->alias, s->alias, sizeof(d->alias));
	for (unsigned i = 0; i < d->nalias; i++) {
		unsigned len = d->alias[i].len, lo = d->alias[i].pfx[0], hi = lo;

		if (len < 8) /* every first byte under the prefix */
			hi = lo | (0xFFu >> len);
		for (unsigned b = lo; b <= hi; b++)
			d->alias_first[b >> 6] |= 1ull << (b & 63);
	}
	info->v4_aliases = s->nalias;
	info->lpm_bytes = dpdk_heap_used() - heap0;
	return 0;
}

/* ---- load / free -------------------------------------------------------------- */

/* Some prefix has a known value. */
static int
has_value(const struct dc_geo_src *s)
{
	for (uint32_t i = 0; i < s->n4; i++)
		if (s->p4[i].key != 0)
			return 1;
	for (uint32_t i = 0; i < s->n6; i++)
		if (s->p6[i].key != 0)
			return 1;
	return 0;
}

static int
load_one(struct dc_geo *g, struct dc_geo_src *s, enum dc_geo_kind kind, const char *path,
	 int socket)
{
	struct dc_geo_db_info *info = kind == DC_GEO_COUNTRY ? &g->info.country : &g->info.asn;
	uint16_t *country_idx = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->path = path;
	if (read_source(s) < 0)
		return -1;
	info->loaded = 1;
	info->is_mmdb = s->is_mmdb;
	info->ip_version = s->ip_version;
	info->records = s->records;
	if (!has_value(s))
		return dc_err(EINVAL, "%s: empty database: no network with a %s", path,
			      kind == DC_GEO_COUNTRY ? "country code" : "AS number");
	info->prefixes4 = s->n4;
	info->prefixes6 = s->n6;
	dc_geo_minimize(s);
	if (kind == DC_GEO_COUNTRY) {
		country_idx = dc_calloc(65536, sizeof(*country_idx));
		build_countries(g, s, country_idx);
		g->info.table_bytes += (size_t)g->ncountry * sizeof(*g->codes);
	} else {
		build_asns(g, s);
	}
	rc = build_lpms(g, &g->db[kind], s, country_idx, socket, info);
	dc_free(country_idx);
	return rc;
}

struct dc_geo *
dc_geo_load(const char *country_path, const char *asn_path, int socket)
{
	struct dc_geo *g;
	struct dc_geo_src s;
	struct timespec t0, t1;

	if (country_path == NULL && asn_path == NULL)
		return dc_err_ptr(EINVAL, "geo: no country or AS database given");
	if (rte_lcore_count() == 0)
		return dc_err_ptr(EINVAL, "geo: DPDK EAL is not initialised");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g = dc_calloc(1, sizeof(*g));
	for (int k = 0; k < 2; k++) {
		const char *path = k == DC_GEO_COUNTRY ? country_path : asn_path;
		int rc;

		if (path == NULL)
			continue;
		rc = load_one(g, &s, (enum dc_geo_kind)k, path, socket);
		src_free(&s);
		if (rc < 0) {
			int e = errno;

			dc_geo_free(g);
			errno = e;
			return NULL;
		}
	}
	if (g->codes == NULL) { /* no country database: index 0 only */
		g->ncountry = 1;
		g->codes = dc_calloc(1, sizeof(*g->codes));
	}
	if (g->asns == NULL) { /* no AS database: index 0 only */
		g->nasn = 1;
		g->asns = dc_calloc(1, sizeof(*g->asns));
		g->org_off = dc_calloc(1, sizeof(*g->org_off));
		g->orgs = dc_calloc(1, 1);
	}
	g->info.countries = g->ncountry - 1u;
	g->info.asns = g->nasn - 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	g->info.build_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	return g;
}

void
dc_geo_free(struct dc_geo *g)
{
	if (g == NULL)
		return;
	for (int k = 0; k < 2; k++) {
		rte_lpm_free(g->db[k].lpm4);
		rte_lpm6_free(g->db[k].lpm6);
	}
	dc_free(g->codes);
	dc_free(g->asns);
	dc_free(g->org_off);
	dc_free(g->orgs);
	dc_free(g);
}

/* ---- lookups -------------------------------------------------------------------- */

/* The 32 bits of @a from bit @bit on (bit <= 96). */
static inline uint32_t
bits32_at(const uint8_t *a, unsigned bit)
{
	unsigned byte = bit >> 3, sh = bit & 7;
	uint64_t w = 0;

	for (unsigned k = 0; k < 5; k++)
		w = w << 8 | (byte + k < 16 ? a[byte + k] : 0);
	return (uint32_t)(w >> (8 - sh));
}

static inline int
alias_match(const struct dc_geo_alias *al, const uint8_t *a)
{
	unsigned full = al->len >> 3, rest = al->len & 7;

	if (memcmp(al->pfx, a, full) != 0)
		return 0;
	return rest == 0 || ((al->pfx[full] ^ a[full]) & (0xFF00u >> rest)) == 0;
}

/* IPv4 answer of an IPv6 address under one of @d's aliases, or -1. */
static inline int64_t
alias_lookup(const struct geo_db *d, const uint8_t *a)
{
	if (!(d->alias_first[a[0] >> 6] >> (a[0] & 63) & 1))
		return -1;
	for (unsigned i = 0; i < d->nalias; i++) {
		uint32_t nh;

		if (!alias_match(&d->alias[i], a))
			continue;
		if (d->lpm4 == NULL || rte_lpm_lookup(d->lpm4, bits32_at(a, d->alias[i].len), &nh) != 0)
			return 0;
		return nh;
	}
	return -1;
}

/* For a caller that knows a stage ahead which address it will look up (the
 * worker, a new source during its table round): the misses then overlap
 * other work, which a prefetch pass just before the lookup (below) cannot. */
void
dc_geo_prefetch4(const struct dc_geo *g, uint32_t ip)
{
	for (unsigned k = 0; k < DC_ARRAY_SIZE(g->db); k++)
		if (g->db[k].lpm4 != NULL)
			__builtin_prefetch(&g->db[k].lpm4->tbl24[ip >> 8], 0);
}

/*
 * No software prefetch of tbl24 in here: the bulk lookup's loads are
 * independent, the core overlaps their misses by itself, and a prefetch pass
 * measured slower (about 9 against 14 ns per address on a real country
 * database).
 */
void
dc_geo_lookup4(const struct dc_geo *g, const uint32_t *ips, unsigned n, uint16_t *country,
	       uint32_t *asn_idx)
{
	const struct rte_lpm *lc = country ? g->db[DC_GEO_COUNTRY].lpm4 : NULL;
	const struct rte_lpm *la = asn_idx ? g->db[DC_GEO_ASN].lpm4 : NULL;
	uint32_t nh[DC_GEO_BURST];

	while (n > 0) {
		unsigned m = n < DC_GEO_BURST ? n : DC_GEO_BURST;

		if (country) {
			if (lc) {
				rte_lpm_lookup_bulk(lc, ips, nh, m);
				for (unsigned i = 0; i < m; i++)
					country[i] = (nh[i] & RTE_LPM_LOOKUP_SUCCESS) ? (uint16_t)nh[i] : 0;
			} else {
				memset(country, 0, m * sizeof(*country));
			}
			country += m;
		}
		if (asn_idx) {
			if (la) {
				rte_lpm_lookup_bulk(la, ips, asn_idx, m);
				for (unsigned i = 0; i < m; i++)
					asn_idx[i] = (asn_idx[i] & RTE_LPM_LOOKUP_SUCCESS)
							     ? asn_idx[i] & 0x00FFFFFF
							     : 0;
			} else {
				memset(asn_idx, 0, m * sizeof(*asn_idx));
			}
			asn_idx += m;
		}
		ips += m;
		n -= m;
	}
}

/* One kind over a chunk of IPv6 addresses into @out (int32: -1 = miss -> 0). */
static inline void
lookup6_db(const struct geo_db *d, const uint8_t (*ips)[16], unsigned m, int32_t *out)
{
	if (d->lpm6) {
		rte_lpm6_lookup_bulk_func(d->lpm6, (uint8_t (*)[16])(uintptr_t)ips, out, m);
		for (unsigned i = 0; i < m; i++)
			if (out[i] < 0)
				out[i] = 0;
	} else {
		memset(out, 0, m * sizeof(*out));
	}
	if (d->nalias) {
		for (unsigned i = 0; i < m; i++) {
			int64_t v = alias_lookup(d, ips[i]);

			if (v >= 0)
				out[i] = (int32_t)v;
		}
	}
}

void
dc_geo_lookup6(const struct dc_geo *g, const uint8_t (*ips)[16], unsigned n, uint16_t *country,
	       uint32_t *asn_idx)
{
	int32_t nh[DC_GEO_BURST];

	while (n > 0) {
		unsigned m = n < DC_GEO_BURST ? n : DC_GEO_BURST;

		if (country) {
			lookup6_db(&g->db[DC_GEO_COUNTRY], ips, m, nh);
			for (unsigned i = 0; i < m; i++)
				country[i] = (uint16_t)nh[i];
			country += m;
		}
		if (asn_idx) {
			lookup6_db(&g->db[DC_GEO_ASN], ips, m, (int32_t *)asn_idx);
			asn_idx += m;
		}
		ips += m;
		n -= m;
	}
}

/* ---- tables ------------------------------------------------------------------------ */

uint16_t
dc_geo_country_count(const struct dc_geo *g)
{
	return g->ncountry;
}

const char *
dc_geo_country_code(const struct dc_geo *g, uint16_t idx)
{
	if (idx == 0 || idx >= g->ncountry)
		return NULL;
	return g->codes[idx];
}

uint16_t
dc_geo_country_index(const struct dc_geo *g, const char *code)
{
	uint32_t key;
	char c[3];
	unsigned lo = 1, hi = g->ncountry;

	if (code == NULL || dc_geo_country_key(code, strlen(code), &key) < 0)
		return 0;
	c[0] = (char)(key >> 8);
	c[1] = (char)(key & 0xFF);
	c[2] = '\0';
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int r = memcmp(g->codes[mid], c, 2);

		if (r == 0)
			return (uint16_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

uint32_t
dc_geo_asn_count(const struct dc_geo *g)
{
	return g->nasn;
}

uint32_t
dc_geo_asn(const struct dc_geo *g, uint32_t idx)
{
	return idx < g->nasn ? g->asns[idx] : 0;
}

const char *
dc_geo_asn_org(const struct dc_geo *g, uint32_t idx)
{
	if (idx == 0 || idx >= g->nasn)
		return NULL;
	return g->orgs + g->org_off[idx];
}

uint32_t
dc_geo_asn_index(const struct dc_geo *g, uint32_t asn)
{
	uint32_t lo = 1, hi = g->nasn;

	if (asn == 0)
		return 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (g->asns[mid] == asn)
			return mid;
		if (g->asns[mid] < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
dc_geo_info(const struct dc_geo *g, struct dc_geo_info *info)
{
	*info = g->info;
}
