/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a CSV of address ranges into prefixes.
 *
 *   country: first,last,code        (code: two letters, or empty = unknown)
 *   AS:      first,last,asn[,org]   (asn: 123 or AS123; org may be quoted)
 *
 * first and last are both IPv4 or both IPv6, inclusive, first <= last.
 * Blank lines and lines starting with '#' are skipped; the first other line
 * is a header, and skipped, when its first field is not an address. Each
 * range becomes the fewest CIDR prefixes covering exactly it, in file order
 * (the LPM build keeps the later of two equal prefixes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dc_err.h"
#include "dc_geo_priv.h"

#define MAX_FIELDS 4

typedef unsigned __int128 u128;

struct field {
	char *s;    /* NUL-terminated (in place) */
	size_t len;
};

struct addr {
	int v6;
	u128 a;     /* IPv4 in the low 32 bits */
};

/*
 * Split @line (NUL-terminated, modified in place) at commas; a field may be
 * double-quoted, "" inside quotes standing for one quote. Returns the number
 * of fields, or -1 with @why set.
 */
static int
split(char *line, struct field *f, const char **why)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *out;

		while (*p == ' ' || *p == '\t')
			p++;
		if (n == MAX_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		out = p;
		f[n].s = out;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0') {
					*why = "unterminated quote";
					return -1;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				*out++ = *p++;
			}
			p++; /* closing quote */
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0') {
				*why = "text after a closing quote";
				return -1;
			}
		} else {
			while (*p != ',' && *p != '\0') {
				if (*p == '"') {
					*why = "quote inside an unquoted field";
					return -1;
				}
				p++;
			}
			out = p;
			while (out > f[n].s && (out[-1] == ' ' || out[-1] == '\t'))
				out--;
		}
		f[n].len = (size_t)(out - f[n].s);
		n++;
		if (*p == '\0') {
			*out = '\0';
			return n;
		}
		p++; /* comma */
		*out = '\0';
	}
}

static int
parse_addr(const struct field *f, struct addr *a)
{
	uint8_t b[16];

	if (f->len == 0 || f->len >= 64)
		return -1;
	if (inet_pton(AF_INET, f->s, b) == 1) {
		a->v6 = 0;
		a->a = (u128)b[0] << 24 | (u128)b[1] << 16 | (u128)b[2] << 8 | b[3];
		return 0;
	}
	if (inet_pton(AF_INET6, f->s, b) == 1) {
		a->v6 = 1;
		a->a = 0;
		for (int i = 0; i < 16; i++)
			a->a = a->a << 8 | b[i];
		return 0;
	}
	return -1;
}

static int
parse_asn(const struct field *f, uint32_t *asn)
{
	const char *p = f->s;
	uint64_t v = 0;

	if ((p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's'))
		p += 2;
	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*asn = (uint32_t)v;
	return 0;
}

static unsigned
clz128(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;

	if (hi)
		return (unsigned)__builtin_clzll(hi);
	if (lo)
		return 64 + (unsigned)__builtin_clzll(lo);
	return 128;
}

static unsigned
ctz128(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;

	if (lo)
		return (unsigned)__builtin_ctzll(lo);
	if (hi)
		return 64 + (unsigned)__builtin_ctzll(hi);
	return 128;
}

/*
 * Add [first, last] as the fewest prefixes: from first on, each time the
 * largest aligned block that stays within last. Blocks are at most half the
 * space (no depth 0 in the LPMs).
 */
static void
add_range(struct dc_geo_src *s, int v6, u128 first, u128 last, uint32_t key)
{
	unsigned width = v6 ? 128 : 32;

	for (;;) {
		u128 span = last - first; /* block size - 1 at most */
		unsigned k, kspan;

		/* largest k with 2^k - 1 <= span */
		kspan = span + 1 == 0 ? 128 : 127 - clz128(span + 1);
		k = ctz128(first);
		if (k > kspan)
			k = kspan;
		if (k > width - 1)
			k = width - 1;
		if (v6) {
			uint8_t ip[16];
			u128 x = first;

			for (int i = 15; i >= 0; i--) {
				ip[i] = (uint8_t)x;
				x >>= 8;
			}
			dc_geo_src_add6(s, ip, width - k, key);
		} else {
			dc_geo_src_add4(s, (uint32_t)first, width - k, key);
		}
		if (first + (((u128)1 << k) - 1) == last)
			return;
		first += (u128)1 << k;
	}
}

int
dc_geo_read_csv(struct dc_geo_src *s, char *buf, size_t len)
{
	char *p = buf, *end = buf + len;
	unsigned line_no = 0;
	int seen_content = 0;
	char q[64];

	if (memchr(buf, '\0', len) != NULL)
		return dc_err(EINVAL, "%s: neither a MaxMind DB (no metadata marker) nor a text CSV (binary data)",
			      s->path);
	buf[len] = '\0';
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = p, *t;
		struct field f[MAX_FIELDS];
		struct addr a, b;
		const char *why = NULL;
		uint32_t key = 0;
		int n;

		if (nl) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p = end;
		}
		line_no++;
		t = line + strlen(line);
		while (t > line && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
			*--t = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		n = split(line, f, &why);
		if (n < 0)
			return dc_err(EINVAL, "%s:%u: %s", s->path, line_no, why);
		if (parse_addr(&f[0], &a) < 0) {
			if (!seen_content) {
				seen_content = 1; /* a header */
				continue;
			}
			return dc_err(EINVAL, "%s:%u: bad first address %s", s->path, line_no,
				      dc_geo_quote(q, sizeof(q), f[0].s, f[0].len));
		}
		seen_content = 1;
		if (s->kind == DC_GEO_COUNTRY && n != 3)
			return dc_err(EINVAL, "%s:%u: %d fields, expected 3 (first,last,country_code)",
				      s->path, line_no, n);
		if (s->kind == DC_GEO_ASN && n != 3 && n != 4)
			return dc_err(EINVAL, "%s:%u: %d fields, expected 3 or 4 (first,last,asn[,org])",
				      s->path, line_no, n);
		if (parse_addr(&f[1], &b) < 0)
			return dc_err(EINVAL, "%s:%u: bad last address %s", s->path, line_no,
				      dc_geo_quote(q, sizeof(q), f[1].s, f[1].len));
		if (a.v6 != b.v6)
			return dc_err(EINVAL, "%s:%u: first and last address are of different IP versions",
				      s->path, line_no);
		if (a.a > b.a)
			return dc_err(EINVAL, "%s:%u: first address after last address", s->path, line_no);
		if (s->kind == DC_GEO_COUNTRY) {
			if (f[2].len != 0 && dc_geo_country_key(f[2].s, f[2].len, &key) < 0)
				return dc_err(EINVAL, "%s:%u: country code %s is not two letters", s->path,
					      line_no, dc_geo_quote(q, sizeof(q), f[2].s, f[2].len));
		} else {
			if (parse_asn(&f[2], &key) < 0)
				return dc_err(EINVAL, "%s:%u: bad AS number %s", s->path, line_no,
					      dc_geo_quote(q, sizeof(q), f[2].s, f[2].len));
			if (n == 4 && key != 0)
				dc_geo_src_org(s, key, f[3].s, f[3].len);
		}
		s->records++;
		add_range(s, a.v6, a.a, b.a, key);
	}
	return 0;
}
