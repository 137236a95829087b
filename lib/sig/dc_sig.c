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
#include "dc_sbuf.h"
#include "dc_sig.h"
#include "sig_fast.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Port ranges of equal group a class's port map has at most for the scan to
 * use the ranges (a few cache lines, hot) instead of the map (64 KiB, one of
 * its lines per port: cold in a worker's data path). */
#define SIG_RANGES_MAX 32

struct sig_fastg;

/* One protocol class, as the scan reads it. */
struct sig_class {
	uint8_t nranges;             /* 1 .. SIG_RANGES_MAX: the ranges below give the
					group; 0: the map does */
	uint8_t rgrp[SIG_RANGES_MAX];    /* group of each range (0: no rule applies) */
	/* first port of each range, ascending, [0] = 0, XOR 0x8000 (for signed
	 * 16-bit compares); past nranges 0xffff ^ 0x8000, the largest, with the
	 * last range's group and block (so port 65535 counting them lands on
	 * the same answer) */
	uint16_t rstart[SIG_RANGES_MAX] __attribute__((aligned(16)));
	const struct sig_fastg *rfast[SIG_RANGES_MAX]; /* fast[rgrp[i]], read with the
							  ranges (no dependent miss) */
	const uint8_t *map;          /* [65536] port -> group (0: no rule applies); NULL: no rule */
	hs_database_t *const *hs;    /* [0] NULL, [g] group g's database */
	const uint8_t *stop;         /* [g] matches after which group g's scan can stop:
					every rule of it found (or out full) */
	int filter;                  /* fallen back: ports checked per match */
	const struct sig_fastg *const *fast; /* [g] group g's programs, or NULL:
						Hyperscan scans it */
};

/* A group whose every rule darkcap's matcher takes (sig_fast.h): one
 * block, this header then copies of its programs, so that a scan touches
 * a few adjacent cache lines. The anchored programs come first, each run
 * at the payload's first byte; the floating ones are scanned as one set. */
struct sig_fastg {
	unsigned n, na;                   /* programs; anchored ones */
	uint16_t idx[DC_SIG_PKT_MATCHES]; /* rule indexes: anchored, floating */
	const struct sig_prog *prog[DC_SIG_PKT_MATCHES]; /* in this block */
	struct sig_fset fs;               /* prog[na .. n) */
};

/* One compiled database: which rules it holds. */
struct sig_group {
	unsigned cls;                /* CL_*; NB_CL for the one database of DC_SIG_ONE_DB */
	unsigned n;                  /* rules */
	unsigned *idx;               /* [n] rule indexes, ascending (= Hyperscan ids) */
	unsigned slot;               /* its database: hsv[slot] */
	unsigned num;                /* its number in its class (1 ..; the port map's value) */
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
	uint8_t *stop[NB_CL];         /* per class: [g] (see sig_class.stop) */
	struct sig_prog **prog;       /* [n] each rule's program (darkcap's matcher), or NULL */
	const char **why;             /* [n] why a rule has no program (static strings) */
	struct sig_fastg **fastg[NB_CL]; /* per class: [g] (see sig_class.fast) */
	unsigned nfast;               /* rules with a program */
	unsigned nfastg;              /* groups scanned without Hyperscan */
	hs_scratch_t *proto_scratch;  /* cloned by dc_sig_scratch_new() */
	int from_cache;
	uint64_t key;
	char hash[17];
	struct dc_sbuf note;          /* what to report, notes joined by "; " (len 0: nothing) */
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

/* Hyperscan's flags for a rule's i, s and m. */
static unsigned
hs_flags_of(const struct dc_sig_rule *r)
{
	return ((r->flags & DC_SIG_F_CASELESS) ? HS_FLAG_CASELESS : 0) |
	       ((r->flags & DC_SIG_F_DOTALL) ? HS_FLAG_DOTALL : 0) |
	       ((r->flags & DC_SIG_F_MULTILINE) ? HS_FLAG_MULTILINE : 0);
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
	r->depth = 0;
	const char *c = close + 1;
	for (; c < end && !is_space(*c); c++) {
		switch (*c) {
		case 'i': r->flags |= DC_SIG_F_CASELESS; break;
		case 's': r->flags |= DC_SIG_F_DOTALL; break;
		case 'm': r->flags |= DC_SIG_F_MULTILINE; break;
		case 'a': r->flags |= DC_SIG_F_ANCHORED; break;
		default:
			return perr(p, "unknown flag '%s' (expected i, s, m or a)", c, 1);
		}
	}
	/* Options after the flags: depth=N. */
	for (;;) {
		const char *o;
		size_t olen;
		uint64_t v;

		if (next_field(&c, end, &o, &olen) < 0)
			break;
		if (olen > 6 && memcmp(o, "depth=", 6) == 0) {
			if (r->depth != 0)
				return perr(p, "depth given twice ('%s')", o, olen);
			if (parse_u32(o + 6, olen - 6, 65535, &v) < 0 || v == 0)
				return perr(p, "bad depth '%s' (expected depth=1 .. depth=65535)", o, olen);
			r->depth = (uint32_t)v;
		} else {
			return perr(p, "unknown option '%s' after the pattern (expected depth=N)", o,
				    olen);
		}
	}
	r->expr = dc_malloc((size_t)(close - s));
	memcpy(r->expr, s + 1, (size_t)(close - s - 1));
	r->expr[close - s - 1] = '\0';
	if (r->flags & DC_SIG_F_ANCHORED) {
		/* Flag a is compiled as \A(?:regex): check the regex alone first,
		 * or an unbalanced one could close the wrapper's group and mean
		 * something else ("a)|(b" would become "\A(?:a)|(b)"). */
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;

		if (hs_expression_info(r->expr, hs_flags_of(r), &info, &cerr) != HS_SUCCESS) {
			dc_err(EINVAL, "%s:%u: rule %u: %s", p->file, p->line, r->id,
			       cerr ? cerr->message : "refused by Hyperscan");
			hs_free_compile_error(cerr);
			return -1;
		}
		dc_free(info);
	}
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

/* ---- port groups ------------------------------------------------------- */

static void
note_add(struct dc_sig_db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note_add(struct dc_sig_db *db, const char *fmt, ...)
{
	va_list ap;

	if (db->note.len != 0)
		dc_sbuf_lit(&db->note, "; ");
	va_start(ap, fmt);
	dc_sbuf_vprintf(&db->note, fmt, ap);
	va_end(ap);
}

static int
in_class(const struct dc_sig_rule *r, unsigned cl)
{
	if (r->proto == 0)
		return 1;
	return (cl == CL_TCP && r->proto == 6) || (cl == CL_UDP && r->proto == 17);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The grouping under way: the distinct rule sets of one class. */
struct grouping {
	unsigned words;               /* 64-bit words of a rule set */
	unsigned n;                   /* sets found */
	uint64_t *sets;               /* [DC_SIG_GROUPS_MAX][words] */
	uint64_t hash[DC_SIG_GROUPS_MAX];
};

/* Group number (1 ..) of rule set @p cur, added when new; 0 when empty;
 * -1 when it would be group DC_SIG_GROUPS_MAX + 1. */
static int
group_of(struct grouping *g, const uint64_t *cur)
{
	uint64_t h = FNV64_OFFSET, any = 0;

	for (unsigned w = 0; w < g->words; w++) {
		any |= cur[w];
		h = fnv64_u64(h, cur[w]);
	}
	if (any == 0)
		return 0;
	for (unsigned i = 0; i < g->n; i++) {
		if (g->hash[i] == h &&
		    memcmp(&g->sets[(size_t)i * g->words], cur, g->words * sizeof(*cur)) == 0)
			return (int)i + 1;
	}
	if (g->n == DC_SIG_GROUPS_MAX)
		return -1;
	memcpy(&g->sets[(size_t)g->n * g->words], cur, g->words * sizeof(*cur));
	g->hash[g->n] = h;
	return (int)++g->n;
}

/*
 * Sweep the ports of a class upwards: each rule of the class toggles
 * its bit where one of its ranges starts and past where it ends, so between
 * two such ports the set of rules that apply is constant. @p map gets each
 * port's group number (@p any_only: 1 for every port some rule applies to).
 * Returns -1 when there would be more than DC_SIG_GROUPS_MAX groups.
 */
static int
sweep(const uint64_t *ev, size_t nev, struct grouping *g, uint8_t *map, int any_only)
{
	uint64_t *cur = dc_calloc(g->words, sizeof(*cur));
	uint32_t pos = 0;
	size_t i = 0;
	int ret = 0;

	while (pos < NB_PORTS) {
		uint32_t next;
		int grp;

		for (; i < nev && (uint32_t)(ev[i] >> 32) == pos; i++) {
			uint32_t r = (uint32_t)ev[i];

			cur[r / 64] ^= 1ull << (r % 64);
		}
		next = i < nev ? (uint32_t)(ev[i] >> 32) : NB_PORTS;
		if (next > NB_PORTS)
			next = NB_PORTS;
		if (any_only) {
			uint64_t any = 0;

			for (unsigned w = 0; w < g->words; w++)
				any |= cur[w];
			grp = any != 0;
		} else {
			grp = group_of(g, cur);
			if (grp < 0) {
				ret = -1;
				break;
			}
		}
		memset(map + pos, grp, next - pos);
		pos = next;
	}
	dc_free(cur);
	return ret;
}

/*
 * Group the rules of every class by destination port (the grouped layout),
 * or put them all in one group (DC_SIG_ONE_DB): db->grp, db->ndb, db->map[],
 * db->hsv's size and each class's view but its databases.
 */
static void
group_rules(struct dc_sig_db *db)
{
	struct grouping g;
	unsigned cap = 0;

	memset(&g, 0, sizeof(g));
	if (db->flags & DC_SIG_ONE_DB) {
		db->ndb = 1;
		db->grp = dc_calloc(1, sizeof(*db->grp));
		db->grp[0].cls = NB_CL;
		db->grp[0].n = db->n;
		db->grp[0].idx = dc_malloc(db->n * sizeof(unsigned));
		for (unsigned i = 0; i < db->n; i++)
			db->grp[0].idx[i] = i;
		db->grp[0].slot = 0;
		db->hsv = dc_calloc(1, sizeof(*db->hsv));
		return;
	}
	g.words = (db->n + 63) / 64;
	g.sets = dc_malloc((size_t)DC_SIG_GROUPS_MAX * g.words * sizeof(uint64_t));
	for (unsigned cl = 0; cl < NB_CL; cl++) {
		uint64_t *ev;
		size_t nev = 0;
		unsigned nr = 0, ng;
		int fallback;

		for (unsigned i = 0; i < db->n; i++) {
			if (in_class(&db->rules[i], cl)) {
				nev += db->rules[i].nranges ? 2u * db->rules[i].nranges : 1;
				nr++;
			}
		}
		if (nr == 0)
			continue;
		ev = dc_malloc(nev * sizeof(*ev));
		nev = 0;
		for (unsigned i = 0; i < db->n; i++) {
			const struct dc_sig_rule *r = &db->rules[i];

			if (!in_class(r, cl))
				continue;
			if (r->nranges == 0)
				ev[nev++] = i; /* port 0 on, never off */
			for (unsigned k = 0; k < r->nranges; k++) {
				ev[nev++] = (uint64_t)r->ranges[k][0] << 32 | i;
				ev[nev++] = ((uint64_t)r->ranges[k][1] + 1) << 32 | i;
			}
		}
		qsort(ev, nev, sizeof(*ev), cmp_u64);
		db->map[cl] = dc_malloc(NB_PORTS);
		g.n = 0;
		fallback = sweep(ev, nev, &g, db->map[cl], 0) < 0;
		if (fallback) {
			note_add(db, "%s rules need more than %u port groups: one %s database, ports checked per match",
				 cl_name[cl], DC_SIG_GROUPS_MAX, cl_name[cl]);
			sweep(ev, nev, &g, db->map[cl], 1);
			memset(g.sets, 0, g.words * sizeof(uint64_t));
			for (unsigned i = 0; i < db->n; i++)
				if (in_class(&db->rules[i], cl))
					g.sets[i / 64] |= 1ull << (i % 64);
			g.n = 1;
		}
		dc_free(ev);
		ng = g.n;
		if (db->ndb + ng > cap) {
			cap = db->ndb + ng + 8;
			db->grp = dc_realloc(db->grp, cap * sizeof(*db->grp));
		}
		for (unsigned k = 0; k < ng; k++) {
			struct sig_group *sg = &db->grp[db->ndb + k];
			const uint64_t *set = &g.sets[(size_t)k * g.words];

			memset(sg, 0, sizeof(*sg));
			sg->cls = cl;
			sg->idx = dc_malloc(nr * sizeof(unsigned));
			for (unsigned i = 0; i < db->n; i++)
				if (set[i / 64] >> (i % 64) & 1)
					sg->idx[sg->n++] = i;
			/* slot: the classes before, each with its leading NULL, then this one's */
			sg->slot = db->ndb + k + cl + 1;
			sg->num = k + 1;
		}
		db->cls[cl].filter = fallback;
		db->ndb += ng;
	}
	dc_free(g.sets);
	/* Every class gets its NULL slot, even one without rules (tidy slot numbers). */
	db->hsv = dc_calloc(db->ndb + NB_CL, sizeof(*db->hsv));
}

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* Group @p sg's programs (every rule has one) packed after the group's
 * header in one block (sig_fastg). */
static struct sig_fastg *
fastg_pack(const struct dc_sig_db *db, const struct sig_group *sg)
{
	size_t sz = ALIGN8(sizeof(struct sig_fastg)), at = sz;
	struct sig_fastg *f;

	for (unsigned k = 0; k < sg->n; k++)
		sz += ALIGN8(db->prog[sg->idx[k]]->size);
	f = dc_calloc(1, sz);
	f->n = sg->n;
	for (int fl = 0; fl < 2; fl++) {
		for (unsigned k = 0; k < sg->n; k++) {
			const struct sig_prog *pr = db->prog[sg->idx[k]];
			unsigned at_k = fl ? f->na + f->fs.n : f->na;

			if (pr->floating != fl)
				continue;
			f->prog[at_k] = sig_prog_copy(pr, (char *)f + at);
			f->idx[at_k] = (uint16_t)sg->idx[k];
			at += ALIGN8(pr->size);
			if (fl)
				f->fs.n++;
			else
				f->na++;
		}
	}
	sig_fset_build(&f->fs, f->prog + f->na, f->fs.n);
	return f;
}

/*
 * darkcap's matcher (sig_fast.h): a program for every rule it takes, and
 * per class the groups whose every rule has one (and that fit one scan's
 * output whole, so that the same rules are reported as Hyperscan would):
 * those are scanned without Hyperscan. Not in DC_SIG_ONE_DB, DC_SIG_NO_FAST
 * or a fallen-back class.
 */
static void
bind_fast(struct dc_sig_db *db)
{
	if (db->flags & (DC_SIG_ONE_DB | DC_SIG_NO_FAST))
		return;
	db->prog = dc_calloc(db->n, sizeof(*db->prog));
	db->why = dc_calloc(db->n, sizeof(*db->why));
	for (unsigned i = 0; i < db->n; i++) {
		const struct dc_sig_rule *r = &db->rules[i];

		db->prog[i] = sig_prog_build(r->expr, r->flags, r->depth, &db->why[i]);
		db->nfast += db->prog[i] != NULL;
	}
	for (unsigned cl = 0; cl < NB_CL; cl++) {
		if (db->cls[cl].filter || db->map[cl] == NULL) /* fallen back, or no rule */
			continue;
		db->fastg[cl] = dc_calloc(db->ndb + 1, sizeof(*db->fastg[cl]));
		for (unsigned i = 0; i < db->ndb; i++) {
			const struct sig_group *sg = &db->grp[i];
			unsigned k;

			if (sg->cls != cl)
				continue;
			if (sg->n > DC_SIG_PKT_MATCHES)
				continue;
			for (k = 0; k < sg->n && db->prog[sg->idx[k]] != NULL; k++)
				;
			if (k < sg->n)
				continue;
			db->fastg[cl][sg->num] = fastg_pack(db, sg);
			db->nfastg++;
		}
		db->cls[cl].fast = (const struct sig_fastg *const *)db->fastg[cl];
	}
}

/* The class's port map as at most SIG_RANGES_MAX ranges, when it has so few
 * (the default set: 19 for UDP, 9 for TCP); else nranges stays 0. */
static void
bind_ranges(struct sig_class *k)
{
	unsigned n = 0;

	k->nranges = 0;
	if (k->map == NULL)
		return;
	for (uint32_t port = 0; port < NB_PORTS; port++) {
		if (port != 0 && k->map[port] == k->map[port - 1])
			continue;
		if (n == SIG_RANGES_MAX)
			return;
		k->rstart[n] = (uint16_t)(port ^ 0x8000);
		k->rgrp[n] = k->map[port];
		n++;
	}
	k->nranges = (uint8_t)n;
	for (unsigned i = n; i < SIG_RANGES_MAX; i++) {
		k->rstart[i] = 0xffff ^ 0x8000;
		k->rgrp[i] = k->rgrp[n - 1];
	}
}

/* The range of @p port in the class's ranges: the last one starting at or
 * before it, i.e. the number of starts at or below it, minus one (the
 * padding past nranges counts only for port 65535, and repeats the last
 * range). SSE2: four compares of eight starts, no branch, no dependent load. */
static inline unsigned
ranges_index(const struct sig_class *k, uint16_t port)
{
	unsigned le = 0;
#ifdef __SSE2__
	const __m128i p = _mm_set1_epi16((short)(port ^ 0x8000));

	for (unsigned i = 0; i < SIG_RANGES_MAX; i += 8) {
		__m128i s = _mm_load_si128((const __m128i *)(k->rstart + i));

		/* two mask bits per start above the port */
		le += 8 - (unsigned)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpgt_epi16(s, p))) / 2;
	}
#else
	for (unsigned i = 0; i < SIG_RANGES_MAX; i++)
		le += (int16_t)k->rstart[i] <= (int16_t)(port ^ 0x8000);
#endif
	return le - 1;
}

/* Point each class's view at its databases, once they are compiled or loaded. */
static void
bind_classes(struct dc_sig_db *db)
{
	if (db->flags & DC_SIG_ONE_DB) {
		db->one = db->hsv[0];
		return;
	}
	for (unsigned i = 0; i < db->ndb; i++) {
		unsigned cl = db->grp[i].cls;

		if (db->cls[cl].hs == NULL)
			db->cls[cl].hs = &db->hsv[db->grp[i].slot - 1];
	}
	for (unsigned cl = 0; cl < NB_CL; cl++) {
		unsigned ng = 0;

		for (unsigned i = 0; i < db->ndb; i++)
			ng += db->grp[i].cls == cl;
		dc_free(db->stop[cl]);
		db->stop[cl] = dc_calloc(ng + 1, 1);
		for (unsigned i = 0; i < db->ndb; i++) {
			if (db->grp[i].cls != cl)
				continue;
			/* Every rule of a group applies to its packets: once each has
			 * matched (SINGLEMATCH: once per scan), nothing is left to find.
			 * A fallen-back class's rules may not apply: scan to the end. */
			db->stop[cl][db->grp[i].num] = (uint8_t)(db->cls[cl].filter || db->grp[i].n > DC_SIG_PKT_MATCHES
							      ? DC_SIG_PKT_MATCHES : db->grp[i].n);
		}
		db->cls[cl].stop = db->stop[cl];
		db->cls[cl].map = db->map[cl];
		bind_ranges(&db->cls[cl]);
	}
	bind_fast(db);
	for (unsigned cl = 0; cl < NB_CL; cl++)
		for (unsigned i = 0; db->cls[cl].nranges != 0 && i < SIG_RANGES_MAX; i++)
			db->cls[cl].rfast[i] = db->cls[cl].fast != NULL && db->cls[cl].rgrp[i] != 0
						       ? db->cls[cl].fast[db->cls[cl].rgrp[i]]
						       : NULL;
}

/* ---- compile and cache ------------------------------------------------- */

/* What Hyperscan compiles for each rule. */
struct compile_in {
	char **exprs;
	unsigned *flags;
	hs_expr_ext_t *ext;           /* depth=N as max_offset; flags 0 = none */
};

static void
compile_in_free(struct compile_in *in, unsigned n)
{
	if (in->exprs != NULL) {
		for (unsigned i = 0; i < n; i++)
			dc_free(in->exprs[i]);
	}
	dc_free(in->exprs);
	dc_free(in->flags);
	dc_free(in->ext);
}

static void
compile_in_build(struct compile_in *in, const struct dc_sig_rule *rules, unsigned n)
{
	in->exprs = dc_calloc(n, sizeof(*in->exprs));
	in->flags = dc_calloc(n, sizeof(*in->flags));
	in->ext = dc_calloc(n, sizeof(*in->ext));
	for (unsigned i = 0; i < n; i++) {
		const struct dc_sig_rule *r = &rules[i];
		const unsigned f = HS_FLAG_SINGLEMATCH;

		if (r->flags & DC_SIG_F_ANCHORED) {
			/* \A rather than ^: 'm' must not let the anchor move to a line start. */
			size_t len = strlen(r->expr) + sizeof("\\A(?:)");

			in->exprs[i] = dc_malloc(len);
			snprintf(in->exprs[i], len, "\\A(?:%s)", r->expr);
		} else {
			in->exprs[i] = dc_strdup(r->expr);
		}
		in->flags[i] = f | hs_flags_of(r);
		if (r->depth != 0) {
			in->ext[i].flags = HS_EXT_FLAG_MAX_OFFSET;
			in->ext[i].max_offset = r->depth;
		}
	}
}

/*
 * The cache key: everything that shapes the compiled databases, and nothing
 * else. Ids, names and families are applied after the match; protocols and
 * ports decide the grouping, so they are in the key of the grouped layout
 * (not of DC_SIG_ONE_DB, where they are applied after the match too).
 */
static uint64_t
cache_key(const struct dc_sig_db *db, const struct compile_in *in, const hs_platform_info_t *plat)
{
	static const char tag[] = "darkcap-sig-cache-3";
	const char *ver = hs_version();
	int grouped = !(db->flags & DC_SIG_ONE_DB);
	uint64_t h = FNV64_OFFSET;

	h = fnv64(h, tag, sizeof(tag));
	h = fnv64(h, ver, strlen(ver) + 1);
	h = fnv64_u64(h, plat->tune);
	h = fnv64_u64(h, plat->cpu_features);
	h = fnv64_u64(h, HS_MODE_BLOCK);
	h = fnv64_u64(h, grouped);
	h = fnv64_u64(h, DC_SIG_GROUPS_MAX);
	h = fnv64_u64(h, db->n);
	for (unsigned i = 0; i < db->n; i++) {
		const struct dc_sig_rule *r = &db->rules[i];
		size_t len = strlen(in->exprs[i]);

		h = fnv64_u64(h, i);
		h = fnv64_u64(h, in->flags[i]);
		h = fnv64_u64(h, in->ext[i].flags);
		h = fnv64_u64(h, in->ext[i].max_offset);
		h = fnv64_u64(h, len);
		h = fnv64(h, in->exprs[i], len);
		if (!grouped)
			continue;
		h = fnv64_u64(h, r->proto);
		h = fnv64_u64(h, r->nranges);
		for (unsigned k = 0; k < r->nranges; k++)
			h = fnv64_u64(h, (uint64_t)r->ranges[k][0] << 16 | r->ranges[k][1]);
	}
	return h;
}

/*
 * Cache file: this header, then per database an entry and
 * hs_serialize_database()'s bytes, in the order of db->grp. Host byte order
 * (the key covers the platform, so a file never moves between hosts
 * unnoticed). The checksums guard against a truncated or damaged file,
 * which Hyperscan alone might accept.
 */
struct cache_hdr {
	char magic[8];   /* cache_magic */
	uint64_t key;
	uint32_t nrules;
	uint32_t ndb;    /* databases that follow */
	uint32_t layout; /* 0 grouped, 1 one database */
	uint32_t reserved;
	uint64_t len;    /* bytes after this header */
};

struct cache_ent {
	uint32_t nrules; /* rules compiled into the database */
	uint32_t cls;    /* 0 tcp, 1 udp, 2 other protocols, 3 every protocol (one database) */
	uint64_t len;    /* serialized bytes that follow */
	uint64_t sum;    /* FNV-1a 64 of those bytes */
};

static const char cache_magic[8] = {'D', 'C', 'S', 'I', 'G', 'H', 'S', '2'};

static char *
cache_path(const char *dir, const char *hash)
{
	size_t len = strlen(dir) + sizeof("/rules-.hsdb") + 16;
	char *path = dc_malloc(len);

	snprintf(path, len, "%s/rules-%s.hsdb", dir, hash);
	return path;
}

static void
free_dbs(struct dc_sig_db *db)
{
	for (unsigned i = 0; i < db->ndb; i++) {
		hs_free_database(db->hsv[db->grp[i].slot]);
		db->hsv[db->grp[i].slot] = NULL;
	}
}

/* One database's entry at @p p (@p left bytes to the file's end) into
 * db->hsv; NULL, or why not. */
static const char *
cache_read_one(struct dc_sig_db *db, unsigned i, const char **p, uint64_t *left, char *why,
	       size_t wlen)
{
	const struct sig_group *sg = &db->grp[i];
	struct cache_ent ent;
	char *info = NULL;
	hs_error_t e;

	if (*left < sizeof(ent))
		return "truncated";
	memcpy(&ent, *p, sizeof(ent));
	*p += sizeof(ent);
	*left -= sizeof(ent);
	if (ent.nrules != sg->n || ent.cls != sg->cls)
		return "rules per database mismatch";
	if (ent.len > *left)
		return "truncated";
	if (fnv64(FNV64_OFFSET, *p, (size_t)ent.len) != ent.sum)
		return "checksum mismatch";
	e = hs_serialized_database_info(*p, (size_t)ent.len, &info);
	if (e != HS_SUCCESS) {
		snprintf(why, wlen, "hs_serialized_database_info: %s", hs_errname(e));
		return why;
	}
	if (strstr(info, "Mode: BLOCK") == NULL) {
		dc_free(info);
		return "not a block-mode database";
	}
	dc_free(info);
	e = hs_deserialize_database(*p, (size_t)ent.len, &db->hsv[sg->slot]);
	if (e != HS_SUCCESS) {
		db->hsv[sg->slot] = NULL;
		snprintf(why, wlen, "hs_deserialize_database: %s", hs_errname(e));
		return why;
	}
	*p += ent.len;
	*left -= ent.len;
	return NULL;
}

/* Try the cache file: 0 with every database in db->hsv, -1 (and maybe a
 * note) when it cannot be used. */
static int
cache_read(struct dc_sig_db *db, const char *path)
{
	struct cache_hdr h;
	struct stat st;
	char *buf = NULL;
	const char *why = NULL, *p;
	char hs_why[96];
	unsigned bad = 0;
	uint64_t left;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Missing (file or directory): nothing to say; writing it may fail later. */
		if (errno != ENOENT && errno != ENOTDIR)
			note_add(db, "cache %s unreadable (%s); recompiled", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		why = "not a regular file";
		goto out_close;
	}
	if ((uint64_t)st.st_size < sizeof(h) || (uint64_t)st.st_size > CACHE_FILE_MAX) {
		why = "bad size";
		goto out_close;
	}
	buf = dc_malloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			why = r < 0 ? strerror(errno) : "short read";
			goto out_close;
		}
		got += (size_t)r;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, cache_magic, sizeof(h.magic)) != 0)
		why = "not a darkcap signature cache";
	else if (h.key != db->key)
		why = "key mismatch";
	else if (h.nrules != db->n || h.ndb != db->ndb ||
		 h.layout != ((db->flags & DC_SIG_ONE_DB) ? 1u : 0u))
		why = "rule or database count mismatch";
	else if (h.len != got - sizeof(h))
		why = "truncated";
	if (why != NULL)
		goto out_close;
	p = buf + sizeof(h);
	left = h.len;
	for (unsigned i = 0; i < db->ndb && why == NULL; i++) {
		why = cache_read_one(db, i, &p, &left, hs_why, sizeof(hs_why));
		bad = i + 1;
	}
	if (why == NULL && left != 0)
		why = "trailing bytes";
out_close:
	close(fd);
	dc_free(buf);
	if (why == NULL)
		return 0;
	free_dbs(db);
	if (bad != 0 && db->ndb > 1 && strcmp(why, "trailing bytes") != 0)
		note_add(db, "cache %s invalid (database %u of %u: %s); recompiled", path, bad,
			 db->ndb, why);
	else
		note_add(db, "cache %s invalid (%s); recompiled", path, why);
	return -1;
}

/* mkdir -p @p dir with mode 0755. */
static int
mkdir_p(const char *dir)
{
	char *d = dc_strdup(dir);
	struct stat st;
	int err = 0;

	for (char *c = d + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;

		*c = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			err = errno;
			break;
		}
		*c = saved;
		if (saved == '\0')
			break;
	}
	if (err == 0 && stat(dir, &st) < 0)
		err = errno;
	else if (err == 0 && !S_ISDIR(st.st_mode))
		err = ENOTDIR;
	dc_free(d);
	errno = err;
	return err ? -1 : 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write the cache atomically (temporary file, then rename); a note on failure. */
static void
cache_write(struct dc_sig_db *db, const char *dir, const char *path)
{
	struct cache_hdr h;
	char **bytes, *tmp = NULL;
	size_t *len, tlen;
	hs_error_t e;
	int fd, err = 0;

	if (mkdir_p(dir) < 0) {
		note_add(db, "cache %s not written: cannot create %s: %s", path, dir,
			 strerror(errno));
		return;
	}
	bytes = dc_calloc(db->ndb, sizeof(*bytes));
	len = dc_calloc(db->ndb, sizeof(*len));
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, cache_magic, sizeof(h.magic));
	h.key = db->key;
	h.nrules = db->n;
	h.ndb = db->ndb;
	h.layout = (db->flags & DC_SIG_ONE_DB) ? 1 : 0;
	for (unsigned i = 0; i < db->ndb; i++) {
		e = hs_serialize_database(db->hsv[db->grp[i].slot], &bytes[i], &len[i]);
		if (e != HS_SUCCESS) {
			bytes[i] = NULL;
			note_add(db, "cache %s not written: hs_serialize_database: %s", path,
				 hs_errname(e));
			goto out_free;
		}
		h.len += sizeof(struct cache_ent) + len[i];
	}

	tlen = strlen(dir) + sizeof("/.rules-.hsdb.XXXXXX") + 16;
	tmp = dc_malloc(tlen);
	snprintf(tmp, tlen, "%s/.rules-%s.hsdb.XXXXXX", dir, db->hash);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		goto out_note;
	}
	if (fchmod(fd, 0644) < 0 || write_all(fd, &h, sizeof(h)) < 0) {
		err = errno;
		close(fd);
		goto out_unlink;
	}
	for (unsigned i = 0; i < db->ndb; i++) {
		struct cache_ent ent = {
			.nrules = db->grp[i].n,
			.cls = db->grp[i].cls,
			.len = len[i],
			.sum = fnv64(FNV64_OFFSET, bytes[i], len[i]),
		};

		if (write_all(fd, &ent, sizeof(ent)) < 0 || write_all(fd, bytes[i], len[i]) < 0) {
			err = errno;
			close(fd);
			goto out_unlink;
		}
	}
	if (fsync(fd) < 0) {
		err = errno;
		close(fd);
		goto out_unlink;
	}
	if (close(fd) < 0) {
		err = errno;
		goto out_unlink;
	}
	if (rename(tmp, path) < 0) {
		err = errno;
		goto out_unlink;
	}
	goto out_free;

out_unlink:
	unlink(tmp);
out_note:
	note_add(db, "cache %s not written: %s", path, strerror(err));
out_free:
	for (unsigned i = 0; i < db->ndb; i++)
		dc_free(bytes[i]);
	dc_free(bytes);
	dc_free(len);
	dc_free(tmp);
}

/* Compile every group's database into db->hsv. */
static int
compile(struct dc_sig_db *db, const struct compile_in *in, const hs_platform_info_t *plat)
{
	const char **exprs = dc_malloc(db->n * sizeof(*exprs));
	unsigned *flags = dc_malloc(db->n * sizeof(*flags));
	const hs_expr_ext_t **ext = dc_malloc(db->n * sizeof(*ext));
	hs_compile_error_t *cerr = NULL;
	const struct sig_group *sg = NULL;
	hs_error_t e = HS_SUCCESS;

	for (unsigned i = 0; i < db->ndb; i++) {
		sg = &db->grp[i];
		for (unsigned k = 0; k < sg->n; k++) {
			exprs[k] = in->exprs[sg->idx[k]];
			flags[k] = in->flags[sg->idx[k]];
			ext[k] = in->ext[sg->idx[k]].flags ? &in->ext[sg->idx[k]] : NULL;
		}
		e = hs_compile_ext_multi(exprs, flags, sg->idx, ext, sg->n, HS_MODE_BLOCK, plat,
					 &db->hsv[sg->slot], &cerr);
		if (e != HS_SUCCESS) {
			db->hsv[sg->slot] = NULL;
			break;
		}
	}
	dc_free(exprs);
	dc_free(flags);
	dc_free(ext);
	if (e == HS_SUCCESS)
		return 0;
	free_dbs(db);
	if (cerr == NULL)
		return dc_err(EINVAL, "hs_compile_ext_multi: %s", hs_errname(e));
	if (cerr->expression >= 0 && (unsigned)cerr->expression < sg->n) {
		const struct dc_sig_rule *r = &db->rules[sg->idx[cerr->expression]];

		dc_err(EINVAL, "%s:%u: rule %u: %s", r->file, r->line, r->id, cerr->message);
	} else {
		dc_err(EINVAL, "hs_compile_ext_multi: %s", cerr->message);
	}
	hs_free_compile_error(cerr);
	return -1;
}

/* The prototype scratch, grown to serve every database; -1 with the error. */
static hs_error_t
alloc_scratch(struct dc_sig_db *db)
{
	hs_error_t e = HS_SUCCESS;

	for (unsigned i = 0; i < db->ndb && e == HS_SUCCESS; i++)
		e = hs_alloc_scratch(db->hsv[db->grp[i].slot], &db->proto_scratch);
	if (e != HS_SUCCESS) {
		hs_free_scratch(db->proto_scratch);
		db->proto_scratch = NULL;
	}
	return e;
}

/* ---- public API -------------------------------------------------------- */

struct dc_sig_db *
dc_sig_load(const char *const *files, unsigned nfiles, const char *cache_dir)
{
	return dc_sig_load_opts(files, nfiles, cache_dir, 0);
}

struct dc_sig_db *
dc_sig_load_opts(const char *const *files, unsigned nfiles, const char *cache_dir,
		 unsigned flags)
{
	struct parse p;
	struct compile_in in;
	hs_platform_info_t plat;
	struct dc_sig_db *db;
	char *path = NULL;
	hs_error_t e;

	if (files == NULL || nfiles == 0)
		return dc_err_ptr(EINVAL, "dc_sig_load: no rules file given");
	if (flags & ~(unsigned)(DC_SIG_ONE_DB | DC_SIG_NO_FAST))
		return dc_err_ptr(EINVAL, "dc_sig_load_opts: unknown flags 0x%x", flags);
	pthread_once(&hs_alloc_once, hs_alloc_init);
	if (hs_alloc_err != HS_SUCCESS)
		return dc_err_ptr(EINVAL, "hs_set_allocator: %s", hs_errname(hs_alloc_err));
	e = hs_valid_platform();
	if (e != HS_SUCCESS)
		return dc_err_ptr(ENOTSUP, "Hyperscan cannot run on this CPU: %s", hs_errname(e));
	e = hs_populate_platform(&plat);
	if (e != HS_SUCCESS)
		return dc_err_ptr(EINVAL, "hs_populate_platform: %s", hs_errname(e));

	memset(&p, 0, sizeof(p));
	for (unsigned i = 0; i < nfiles; i++) {
		if (parse_file(&p, files[i]) < 0)
			goto out_free_rules;
	}
	if (p.n == 0) {
		if (nfiles == 1)
			dc_err(EINVAL, "%s: no rules", files[0]);
		else
			dc_err(EINVAL, "%s (and %u more files): no rules in any file", files[0],
			       nfiles - 1);
		goto out_free_rules;
	}

	db = dc_calloc(1, sizeof(*db));
	db->n = p.n;
	db->rules = p.rules;
	db->flags = flags;
	group_rules(db);
	compile_in_build(&in, db->rules, db->n);
	db->key = cache_key(db, &in, &plat);
	snprintf(db->hash, sizeof(db->hash), "%016llx", (unsigned long long)db->key);

	if (cache_dir != NULL) {
		path = cache_path(cache_dir, db->hash);
		/* The prototype scratch is also the last check of cached databases. */
		if (cache_read(db, path) == 0) {
			e = alloc_scratch(db);
			if (e == HS_SUCCESS) {
				db->from_cache = 1;
			} else {
				note_add(db, "cache %s invalid (hs_alloc_scratch: %s); recompiled",
					 path, hs_errname(e));
				free_dbs(db);
			}
		}
	}
	if (!db->from_cache) {
		if (compile(db, &in, &plat) < 0)
			goto out_free_db;
		if (cache_dir != NULL)
			cache_write(db, cache_dir, path);
		e = alloc_scratch(db);
		if (e != HS_SUCCESS) {
			dc_err(ENOMEM, "hs_alloc_scratch: %s", hs_errname(e));
			goto out_free_db;
		}
	}
	bind_classes(db);
	compile_in_free(&in, db->n);
	dc_free(path);
	return db;

out_free_db:
	compile_in_free(&in, db->n);
	dc_free(path);
	dc_sig_free(db);
	return NULL;
out_free_rules:
	for (unsigned i = 0; i < p.n; i++)
		rule_clear(&p.rules[i]);
	dc_free(p.rules);
	return NULL;
}

void
dc_sig_free(struct dc_sig_db *db)
{
	if (db == NULL)
		return;
	hs_free_scratch(db->proto_scratch);
	if (db->hsv != NULL)
		free_dbs(db);
	dc_free(db->hsv);
	for (unsigned i = 0; i < db->ndb; i++)
		dc_free(db->grp[i].idx);
	dc_free(db->grp);
	for (unsigned cl = 0; cl < NB_CL; cl++) {
		dc_free(db->map[cl]);
		dc_free(db->stop[cl]);
		if (db->fastg[cl] != NULL) {
			for (unsigned g = 0; g <= db->ndb; g++)
				dc_free(db->fastg[cl][g]);
			dc_free(db->fastg[cl]);
		}
	}
	if (db->prog != NULL) {
		for (unsigned i = 0; i < db->n; i++)
			sig_prog_free(db->prog[i]);
		dc_free(db->prog);
	}
	dc_free(db->why);
	for (unsigned i = 0; i < db->n; i++)
		rule_clear(&db->rules[i]);
	dc_free(db->rules);
	dc_sbuf_free(&db->note);
	dc_free(db);
}

unsigned
dc_sig_count(const struct dc_sig_db *db)
{
	return db->n;
}

unsigned
dc_sig_db_count(const struct dc_sig_db *db)
{
	return db->ndb;
}

unsigned
dc_sig_rule_groups(const struct dc_sig_db *db, unsigned idx, unsigned *fast)
{
	unsigned n = 0, nf = 0;

	for (unsigned i = 0; i < db->ndb; i++) {
		const struct sig_group *sg = &db->grp[i];
		unsigned k;

		for (k = 0; k < sg->n && sg->idx[k] != idx; k++)
			;
		if (k == sg->n)
			continue;
		n++;
		if (sg->cls < NB_CL && db->fastg[sg->cls] != NULL)
			nf += db->fastg[sg->cls][sg->num] != NULL;
	}
	if (fast != NULL)
		*fast = nf;
	return n;
}

const char *
dc_sig_fast_why(const struct dc_sig_db *db, unsigned idx)
{
	if (idx >= db->n)
		return "no such rule";
	if (db->prog == NULL)
		return "darkcap's matcher off";
	return db->prog[idx] != NULL ? NULL : db->why[idx];
}

int
dc_sig_fast_floating(const struct dc_sig_db *db, unsigned idx)
{
	return db->prog != NULL && idx < db->n && db->prog[idx] != NULL && db->prog[idx]->floating;
}

unsigned
dc_sig_floating_count(const struct dc_sig_db *db)
{
	unsigned n = 0;

	for (unsigned i = 0; db->prog != NULL && i < db->n; i++)
		n += db->prog[i] != NULL && db->prog[i]->floating;
	return n;
}

unsigned
dc_sig_fast_count(const struct dc_sig_db *db, unsigned *groups)
{
	if (groups != NULL)
		*groups = db->nfastg;
	return db->nfast;
}

const struct dc_sig_rule *
dc_sig_rule(const struct dc_sig_db *db, unsigned idx)
{
	return idx < db->n ? &db->rules[idx] : NULL;
}

int
dc_sig_from_cache(const struct dc_sig_db *db)
{
	return db->from_cache;
}

const char *
dc_sig_hash(const struct dc_sig_db *db)
{
	return db->hash;
}

const char *
dc_sig_cache_note(const struct dc_sig_db *db)
{
	return db->note.len != 0 ? db->note.buf : NULL;
}

struct dc_sig_scratch *
dc_sig_scratch_new(const struct dc_sig_db *db)
{
	struct dc_sig_scratch *s;
	hs_error_t e;

	s = dc_calloc(1, sizeof(*s));
	e = hs_clone_scratch(db->proto_scratch, &s->hs);
	if (e != HS_SUCCESS) {
		dc_free(s);
		return dc_err_ptr(ENOMEM, "hs_clone_scratch: %s", hs_errname(e));
	}
	return s;
}

void
dc_sig_scratch_free(struct dc_sig_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	dc_free(s);
}

struct scan_ctx {
	const struct dc_sig_rule *rules;
	unsigned nrules;
	uint16_t *out;
	unsigned n;
	unsigned stop;               /* matches after which the scan stops */
	uint16_t dport;
	uint8_t proto;
};

static int
port_in(const struct dc_sig_rule *r, uint16_t port)
{
	unsigned lo = 0, hi = r->nranges;

	if (hi == 0)
		return 1;
	/* Sorted, disjoint ranges: the last one starting at or below port. */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (r->ranges[mid][0] <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && port <= r->ranges[lo - 1][1];
}

/* Grouped: every rule of the database applies to the packet. */
static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *arg)
{
	struct scan_ctx *c = arg;

	if (unlikely(id >= c->nrules))
		return 0;
	c->out[c->n++] = (uint16_t)id;
	return c->n >= c->stop; /* every rule of the group found, or out full: stop */
}

/* One database (or a protocol fallen back): the rule's filter first. */
static int
on_match_filter(unsigned int id, unsigned long long from, unsigned long long to,
		unsigned int flags, void *arg)
{
	struct scan_ctx *c = arg;
	const struct dc_sig_rule *r;

	if (unlikely(id >= c->nrules))
		return 0;
	r = &c->rules[id];
	if (r->proto != 0 && r->proto != c->proto)
		return 0;
	if (!port_in(r, c->dport))
		return 0;
	c->out[c->n++] = (uint16_t)id;
	return c->n >= c->stop; /* out full (c->stop is DC_SIG_PKT_MATCHES here): stop */
}

/* The group of (@p proto, @p dport) in the grouped layout (0: none), its
 * class in @p kp and its programs in @p fp (NULL: Hyperscan). */
static inline unsigned
group_of_port(const struct dc_sig_db *db, uint8_t proto, uint16_t dport,
	      const struct sig_class **kp, const struct sig_fastg **fp)
{
	const struct sig_class *k = &db->cls[proto == 6 ? CL_TCP : proto == 17 ? CL_UDP : CL_OTHER];
	unsigned g;

	*kp = k;
	if (k->nranges != 0) {
		unsigned i = ranges_index(k, dport);

		*fp = k->rfast[i];
		return k->rgrp[i];
	}
	g = k->map != NULL ? k->map[dport] : 0;
	*fp = g != 0 && k->fast != NULL ? k->fast[g] : NULL;
	return g;
}

unsigned
dc_sig_scan(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto, uint16_t dport,
	    const uint8_t *payload, uint32_t len, uint16_t *out)
{
	match_event_handler cb = on_match;
	const hs_database_t *hs;
	struct scan_ctx c;

	if (len == 0)
		return 0;
	if (db->one == NULL) {
		const struct sig_class *k;
		const struct sig_fastg *f;
		unsigned g = group_of_port(db, proto, dport, &k, &f);

		if (g == 0)
			return 0; /* no rule of this protocol names this port */
		if (f != NULL) {
			unsigned n = 0, i;

			for (i = 0; i < f->na; i++) {
				int r = sig_prog_anchored(f->prog[i], payload, len);

				if (unlikely(r < 0))
					break; /* gave up: Hyperscan answers */
				if (r)
					out[n++] = f->idx[i];
			}
			if (likely(i == f->na)) {
				int32_t h = f->fs.n != 0 ? sig_fset_scan(&f->fs, payload, len) : 0;

				if (likely(h >= 0)) {
					for (uint32_t b = (uint32_t)h; b != 0; b &= b - 1)
						out[n++] = f->idx[f->na + (unsigned)__builtin_ctz(b)];
					return n;
				}
			}
		}
		hs = k->hs[g];
		c.stop = k->stop[g];
		if (k->filter)
			cb = on_match_filter;
	} else {
		hs = db->one;
		c.stop = DC_SIG_PKT_MATCHES;
		cb = on_match_filter;
	}
	c.rules = db->rules;
	c.nrules = db->n;
	c.out = out;
	c.n = 0;
	c.dport = dport;
	c.proto = proto;
	/* HS_SCAN_TERMINATED (out full) and errors both leave what was found. */
	hs_scan(hs, (const char *)payload, len, 0, s->hs, cb, &c);
	return c.n;
}
