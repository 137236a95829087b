/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig: the rules parser, the port grouping, the Hyperscan compile with
 * its on-disk cache, and the per-payload scan.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs/hs.h>

#include "dc_common.h"
#include "dc_err.h"
#include "dc_mem.h"
#include "dc_sig.h"

/* A rules file larger than this is refused (a mistake, not a rule set). */
#define RULES_FILE_MAX (16u << 20)
/* A cache file larger than this is ignored and rebuilt. */
#define CACHE_FILE_MAX (1u << 30)
/* Values quoted in error messages are cut to this many characters. */
#define QUOTE_MAX 64
#define NB_PORTS 65536u

/* Protocol classes of the grouped layout: a packet of another protocol
 * than TCP and UDP is matched by the rules of protocol any only. */
enum { CL_TCP, CL_UDP, CL_OTHER, NB_CL };
static const char *const cl_name[NB_CL] = {"tcp", "udp", "other-protocol"};

/* One protocol class, as the scan reads it. */
struct sig_class {
	const uint8_t *map;          /* [65536] port -> group (0: no rule applies); NULL: no rule */
	hs_database_t *const *hs;    /* [0] NULL, [g] group g's database */
	int filter;                  /* fallen back: ports checked per match */
};

/* One compiled database: which rules it holds. */
struct sig_group {
	unsigned cls;                /* CL_*; NB_CL for the one database of DC_SIG_ONE_DB */
	unsigned n;                  /* rules */
	unsigned *idx;               /* [n] rule indexes, ascending (= Hyperscan ids) */
	unsigned slot;               /* its database: hsv[slot] */
};

struct dc_sig_db {
	/* what dc_sig_scan() reads, first */
	struct sig_class cls[NB_CL];
	hs_database_t *one;           /* DC_SIG_ONE_DB: the database; else NULL */
	struct dc_sig_rule *rules;    /* [n], file order; rule index = Hyperscan id */
	unsigned n;
	/* the rest */
	unsigned flags;               /* DC_SIG_ONE_DB or 0 */
	unsigned ndb;
	struct sig_group *grp;        /* [ndb], by class then group number */
	hs_database_t **hsv;          /* [ndb + NB_CL]: per class a NULL, then its groups' */
	uint8_t *map[NB_CL];
	hs_scratch_t *proto_scratch;  /* cloned by dc_sig_scratch_new() */
	int from_cache;
	uint64_t key;
	char hash[17];
	char note[768];               /* "" = nothing to report */
};

struct dc_sig_scratch {
	hs_scratch_t *hs;
};

/* ---- Hyperscan allocator --------------------------------------------- */

/*
 * Hyperscan wants database memory aligned to 8 bytes (it returns HS_BAD_ALIGN
 * otherwise) and aligns scratch itself; jemalloc returns 16-byte aligned
 * blocks for every size class of 16 bytes or more and 8 for the 8-byte
 * class, which is all Hyperscan asks of an allocator ("suitably aligned for
 * the largest representable data type").
 */
static void *
hs_dc_alloc(size_t size)
{
	return dc_malloc(size);
}

static void
hs_dc_free(void *p)
{
	dc_free(p);
}

static pthread_once_t hs_alloc_once = PTHREAD_ONCE_INIT;
static hs_error_t hs_alloc_err;

static void
hs_alloc_init(void)
{
	hs_alloc_err = hs_set_allocator(hs_dc_alloc, hs_dc_free);
}

static const char *
hs_errname(hs_error_t e)
{
	switch (e) {
	case HS_SUCCESS: return "success";
	case HS_INVALID: return "invalid parameter";
	case HS_NOMEM: return "out of memory";
	case HS_SCAN_TERMINATED: return "scan terminated";
	case HS_COMPILER_ERROR: return "compiler error";
	case HS_DB_VERSION_ERROR: return "database built by another Hyperscan version";
	case HS_DB_PLATFORM_ERROR: return "database built for another platform";
	case HS_DB_MODE_ERROR: return "database of another mode";
	case HS_BAD_ALIGN: return "bad alignment";
	case HS_BAD_ALLOC: return "allocator returned misaligned memory";
	case HS_SCRATCH_IN_USE: return "scratch in use";
	case HS_ARCH_ERROR: return "CPU lacks SSSE3";
	case HS_INSUFFICIENT_SPACE: return "insufficient space";
	default: return "unknown error";
	}
}

/* ---- hashing (FNV-1a, 64 bits) ---------------------------------------- */

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static uint64_t
fnv64(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

/* Integers are hashed as little-endian bytes so the key is the same on any host. */
static uint64_t
fnv64_u64(uint64_t h, uint64_t v)
{
	uint8_t b[8];

	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fnv64(h, b, sizeof(b));
}

/* ---- the rules parser ------------------------------------------------- */

struct parse {
	const char *file;
	unsigned line;
	struct dc_sig_rule *rules;
	unsigned n, cap;
};

/* Copy @p len bytes of @p s into @p buf as a printable, shortened quote. */
static const char *
quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == QUOTE_MAX) {
			o += (size_t)snprintf(buf + o, size - o, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* Fail with "FILE:LINE: " + @p fmt, whose one %s is @p a quoted (NULL: ""). */
static int
perr(const struct parse *p, const char *fmt, const char *a, size_t alen)
{
	char q[QUOTE_MAX * 4 + 8];
	char msg[384];

	quote(q, sizeof(q), a ? a : "", a ? alen : 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(msg, sizeof(msg), fmt, q);
#pragma GCC diagnostic pop
	return dc_err(EINVAL, "%s:%u: %s", p->file, p->line, msg);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Next whitespace-separated field of [*s, end): its start and length. */
static int
next_field(const char **s, const char *end, const char **f, size_t *flen)
{
	const char *c = *s;

	while (c < end && is_space(*c))
		c++;
	if (c == end)
		return -1;
	*f = c;
	while (c < end && !is_space(*c))
		c++;
	*flen = (size_t)(c - *f);
	*s = c;
	return 0;
}

static int
parse_u32(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

static int
parse_tag(const struct parse *p, const char *what, const char *s, size_t len, char *dst,
	  size_t size)
{
	char fmt[96];

	if (len >= size) {
		snprintf(fmt, sizeof(fmt), "%s too long: '%%s' (at most %zu characters)", what,
			 size - 1);
		return perr(p, fmt, s, len);
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-')) {
			snprintf(fmt, sizeof(fmt), "bad %s '%%s' (allowed: A-Z a-z 0-9 . _ -)", what);
			return perr(p, fmt, s, len);
		}
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	const uint16_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

static int
parse_ports(const struct parse *p, const char *s, size_t len, struct dc_sig_rule *r)
{
	uint16_t (*rg)[2];
	size_t cap = 1, n = 0;

	if (len == 3 && memcmp(s, "any", 3) == 0) {
		r->nranges = 0;
		r->ranges = NULL;
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		cap += s[i] == ',';
	rg = dc_malloc(cap * sizeof(*rg));
	for (const char *e, *c = s; c <= s + len; c = e + 1) {
		const char *dash;
		uint64_t a, b;

		e = memchr(c, ',', (size_t)(s + len - c));
		if (e == NULL)
			e = s + len;
		dash = memchr(c, '-', (size_t)(e - c));
		if (dash == NULL) {
			if (parse_u32(c, (size_t)(e - c), 65535, &a) < 0)
				goto out_bad_port;
			b = a;
		} else {
			if (parse_u32(c, (size_t)(dash - c), 65535, &a) < 0 ||
			    parse_u32(dash + 1, (size_t)(e - dash - 1), 65535, &b) < 0)
				goto out_bad_port;
			if (a > b) {
				dc_free(rg);
				return perr(p, "bad port range '%s' (first port above last)", c,
					    (size_t)(e - c));
			}
		}
		rg[n][0] = (uint16_t)a;
		rg[n][1] = (uint16_t)b;
		n++;
		continue;
out_bad_port:
		dc_free(rg);
		if (e == c)
			return perr(p, "empty port in '%s'", s, len);
		return perr(p, "bad port '%s' (expected 0 .. 65535 or a range a-b)", c,
			    (size_t)(e - c));
	}
	/* Sort, then merge overlapping and adjacent ranges. */
	qsort(rg, n, sizeof(*rg), cmp_range);
	size_t m = 0;

	for (size_t i = 1; i < n; i++) {
		if ((uint32_t)rg[i][0] <= (uint32_t)rg[m][1] + 1) {
			if (rg[i][1] > rg[m][1])
				rg[m][1] = rg[i][1];
		} else {
			m++;
			rg[m][0] = rg[i][0];
			rg[m][1] = rg[i][1];
		}
	}
	r->nranges = (uint16_t)(m + 1); /* at most 32768 disjoint ranges */
	r->ranges = rg;
	return 0;
}

static int
parse_pattern(const struct parse *p, const char *s, const char *end, struct dc_sig_rule *r)
{
	const char *close = NULL;

	if (*s != '/')
		return perr(p, "pattern must be written /regex/flags, got '%s'", s,
			    (size_t)(end - s));
	for (const char *c = end - 1; c > s; c--) {
		if (*c == '/') {
			close = c;
			break;
		}
	}
	if (close == NULL)
		return perr(p, "missing closing '/' in '%s'", s, (size_t)(end - s));
	if (close == s + 1)
		return perr(p, "empty pattern%s", NULL, 0);
	r->flags = 0;
	for (const char *c = close + 1; c < end; c++) {
		switch (*c) {
		case 'i': r->flags |= DC_SIG_F_CASELESS; break;
		case 's': r->flags |= DC_SIG_F_DOTALL; break;
		case 'm': r->flags |= DC_SIG_F_MULTILINE; break;
		case 'a': r->flags |= DC_SIG_F_ANCHORED; break;
		default:
			return perr(p, "unknown flag '%s' (expected i, s, m or a)", c, 1);
		}
	}
	r->expr = dc_malloc((size_t)(close - s));
	memcpy(r->expr, s + 1, (size_t)(close - s - 1));
	r->expr[close - s - 1] = '\0';
	return 0;
}

static void
rule_clear(struct dc_sig_rule *r)
{
	dc_free(r->ranges);
	dc_free(r->expr);
	dc_free(r->file);
	memset(r, 0, sizeof(*r));
}

/* One line [s, end), without its newline. */
static int
parse_line(struct parse *p, const char *s, const char *end)
{
	static const char *const names[] = {"id", "name", "family", "proto", "ports", "pattern"};
	struct dc_sig_rule r;
	const char *f[5];
	size_t flen[5];
	uint64_t id;

	while (end > s && (end[-1] == '\r' || is_space(end[-1])))
		end--;
	while (s < end && is_space(*s))
		s++;
	if (s == end || *s == '#')
		return 0;
	if (memchr(s, '\0', (size_t)(end - s)) != NULL)
		return perr(p, "NUL byte in line%s", NULL, 0);
	for (unsigned i = 0; i < 5; i++) {
		if (next_field(&s, end, &f[i], &flen[i]) < 0)
			return perr(p, "missing field '%s' (expected: id name family proto ports /regex/flags)",
				    names[i], strlen(names[i]));
	}
	while (s < end && is_space(*s))
		s++;
	if (s == end)
		return perr(p, "missing field '%s' (expected: id name family proto ports /regex/flags)",
			    names[5], strlen(names[5]));

	if (parse_u32(f[0], flen[0], UINT32_MAX, &id) < 0 || id == 0)
		return perr(p, "bad id '%s' (expected 1 .. 4294967295)", f[0], flen[0]);
	for (unsigned i = 0; i < p->n; i++) {
		if (p->rules[i].id == id)
			return dc_err(EINVAL, "%s:%u: duplicate id %u (first at %s:%u)", p->file,
				      p->line, (unsigned)id, p->rules[i].file, p->rules[i].line);
	}
	if (p->n == DC_SIG_MAX)
		return dc_err(E2BIG, "%s:%u: more than %u rules", p->file, p->line, DC_SIG_MAX);

	memset(&r, 0, sizeof(r));
	r.id = (uint32_t)id;
	r.line = p->line;
	if (parse_tag(p, "name", f[1], flen[1], r.name, sizeof(r.name)) < 0 ||
	    parse_tag(p, "family", f[2], flen[2], r.family, sizeof(r.family)) < 0)
		return -1;
	if (flen[3] == 3 && memcmp(f[3], "tcp", 3) == 0)
		r.proto = 6;
	else if (flen[3] == 3 && memcmp(f[3], "udp", 3) == 0)
		r.proto = 17;
	else if (flen[3] == 3 && memcmp(f[3], "any", 3) == 0)
		r.proto = 0;
	else
		return perr(p, "unknown proto '%s' (expected tcp, udp or any)", f[3], flen[3]);
	if (parse_ports(p, f[4], flen[4], &r) < 0)
		return -1;
	if (parse_pattern(p, s, end, &r) < 0) {
		rule_clear(&r);
		return -1;
	}
	r.file = dc_strdup(p->file);
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->rules = dc_realloc(p->rules, p->cap * sizeof(*p->rules));
	}
	p->rules[p->n++] = r;
	return 0;
}

static int
read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dc_err(errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return dc_err(err, "%s: cannot stat: %s", path, strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return dc_err(EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > RULES_FILE_MAX) {
		close(fd);
		return dc_err(EFBIG, "%s: file too large (%lld bytes, at most %u)", path,
			      (long long)st.st_size, RULES_FILE_MAX);
	}
	*buf = dc_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : EIO;
			close(fd);
			dc_free(*buf);
			return dc_err(err, "%s: cannot read: %s", path,
				      r < 0 ? strerror(err) : "file shrank while read");
		}
		got += (size_t)r;
	}
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

static int
parse_file(struct parse *p, const char *path)
{
	char *buf = NULL, *s, *end;
	size_t len = 0;
	int ret = 0;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	p->file = path;
	p->line = 0;
	end = buf + len;
	for (s = buf; s < end && ret == 0;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));

		if (nl == NULL)
			nl = end;
		p->line++;
		ret = parse_line(p, s, nl);
		s = nl + 1;
	}
	dc_free(buf);
	return ret;
}

