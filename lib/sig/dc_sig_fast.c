/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap's own matcher (sig_fast.h). Most darknet payload rules are fixed
 * binary or text headers at the payload's first byte (DNS, NTP, NetBIOS,
 * SNMP, SIP, SSDP, memcached, CLDAP), the rest a literal or two anywhere in
 * it (exploit paths, downloader commands, an XML element). Hyperscan needs
 * some 400 instructions per call whatever the rule; such a rule is decided
 * here by comparing the payload's bytes with a mask and value a word at a
 * time, at the first byte or, unanchored, at the offsets a nibble-table
 * filter (32 or 16 bytes at a time) says a match can start.
 *
 * The subset (anything else stays with Hyperscan):
 *   - anchored: the pattern starts with ^ or \A (each top-level branch), or
 *     the rule has flag a; or floating: no top-level branch starts with
 *     either (and the pattern cannot match the empty string); no ^ (or \A)
 *     anywhere else; with flag m, \A only;
 *   - bytes (flag i folds ASCII letters), \xHH and \x{HH}, \n \r \t \f \e \a,
 *     escaped punctuation, classes [...] / [^...] with ranges and \d \D \w
 *     \W \s \S, '.' (any byte but \n; any byte with flag s);
 *   - groups (?:...) and (...), alternation, the quantifiers ? * + {n}
 *     {n,} {n,m} and their lazy forms (a match's existence does not depend
 *     on greediness);
 *   - not: $, \b, \B, \z, \Z, \G, lookarounds, back references, (?flags),
 *     possessive quantifiers, POSIX [:classes:], \Q...\E, \p, \h, \v, \R,
 *     octal and named escapes; a star over a group that can match nothing.
 * An anchored rule matches when some prefix of the payload (capped at its
 * depth) is in the pattern's language, a floating one when some substring
 * of it is, which is what Hyperscan reports in block mode. The matcher
 * backtracks over a small program (byte runs, splits, jumps, a greedy run
 * of one class) and gives up after SIG_STEPS_MAX steps or SIG_STACK_MAX
 * pending alternatives, leaving the answer to Hyperscan: exact either way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "dc_common.h"
#include "dc_mem.h"
#include "dc_sig.h"
#include "sig_fast.h"

#define NODE_MAX 1024      /* parse nodes per rule */
#define SET_MAX 512        /* byte sets per rule */
#define OP_MAX 2048        /* program operations per rule */
#define SEQ_MAX 64         /* bytes one run operation checks */
#define NEST_MAX 32        /* group nesting */

/* ---- byte sets ------------------------------------------------------------ */

static inline void
bset_add(struct bset *b, unsigned c)
{
	b->w[c >> 6] |= 1ull << (c & 63);
}

static void
bset_range(struct bset *b, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi; c++)
		bset_add(b, c);
}

static void
bset_fold(struct bset *b)
{
	for (unsigned c = 'A'; c <= 'Z'; c++) {
		if (bset_has(b, c) || bset_has(b, c + 32)) {
			bset_add(b, c);
			bset_add(b, c + 32);
		}
	}
}

static void
bset_not(struct bset *b)
{
	for (int i = 0; i < 4; i++)
		b->w[i] = ~b->w[i];
}

/* \d \w \s and their complements, as Hyperscan (PCRE) defines them without
 * UCP: \s is tab, LF, VT, FF, CR and space. */
static void
bset_escape_class(struct bset *b, char e)
{
	struct bset t = {{0}};

	switch (e | 0x20) {
	case 'd':
		bset_range(&t, '0', '9');
		break;
	case 'w':
		bset_range(&t, '0', '9');
		bset_range(&t, 'A', 'Z');
		bset_range(&t, 'a', 'z');
		bset_add(&t, '_');
		break;
	default: /* s */
		bset_range(&t, 9, 13);
		bset_add(&t, ' ');
		break;
	}
	if (e >= 'A' && e <= 'Z')
		bset_not(&t);
	for (int i = 0; i < 4; i++)
		b->w[i] |= t.w[i];
}

/* ---- parser ------------------------------------------------------------- */

enum { N_SET, N_EMPTY, N_CAT, N_ALT, N_REP };

struct node {
	uint8_t type;
	uint16_t set;    /* N_SET */
	int kid;         /* first child (N_CAT, N_ALT, N_REP), -1 none */
	int next;        /* next sibling, -1 none */
	uint32_t min, max; /* N_REP; max REP_INF: unbounded */
};

struct px {
	const char *s, *end;
	unsigned flags;
	const char *why;
	int nn, ns;
	int nest;
	int anchor;      /* top-level branches: -1 none yet, 1 anchored, 0 floating */
	struct node nodes[NODE_MAX];
	struct bset sets[SET_MAX];
};

static int
px_fail(struct px *p, const char *why)
{
	if (p->why == NULL)
		p->why = why;
	return -1;
}

static int
px_node(struct px *p, uint8_t type)
{
	if (p->nn == NODE_MAX)
		return px_fail(p, "too long");
	struct node *n = &p->nodes[p->nn];

	memset(n, 0, sizeof(*n));
	n->type = type;
	n->kid = n->next = -1;
	return p->nn++;
}

static int
px_set(struct px *p, const struct bset *b)
{
	int n;

	if (p->ns == SET_MAX)
		return px_fail(p, "too long");
	p->sets[p->ns] = *b;
	n = px_node(p, N_SET);
	if (n >= 0)
		p->nodes[n].set = (uint16_t)p->ns++;
	return n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* \x: \xH, \xHH or \x{H...} (at most 0xff); p->s is past the 'x'. */
static int
px_hex(struct px *p)
{
	unsigned v = 0, nd = 0;

	if (p->s < p->end && *p->s == '{') {
		p->s++;
		while (p->s < p->end && hexval(*p->s) >= 0 && nd < 8) {
			v = v * 16 + (unsigned)hexval(*p->s++);
			nd++;
		}
		if (nd == 0 || p->s >= p->end || *p->s != '}' || v > 0xff)
			return px_fail(p, "uses a \\x{...} it cannot take");
		p->s++;
		return (int)v;
	}
	while (nd < 2 && p->s < p->end && hexval(*p->s) >= 0) {
		v = v * 16 + (unsigned)hexval(*p->s++);
		nd++;
	}
	if (nd == 0)
		return px_fail(p, "uses \\x without digits");
	return (int)v;
}

/*
 * One escaped character after '\' (p->s past the backslash): a byte value
 * (0 .. 255), or -2 when it is a class (\d \D \w \W \s \S, added to @p cls),
 * or -1 when the matcher does not take it.
 */
static int
px_escape(struct px *p, struct bset *cls)
{
	char e;

	if (p->s >= p->end)
		return px_fail(p, "ends with a backslash");
	e = *p->s++;
	switch (e) {
	case 'x': return px_hex(p);
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'f': return '\f';
	case 'e': return 0x1b;
	case 'a': return 0x07;
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		bset_escape_class(cls, e);
		return -2;
	default:
		break;
	}
	if ((e >= '0' && e <= '9') || ((e | 0x20) >= 'a' && (e | 0x20) <= 'z'))
		return px_fail(p, "uses an escape it cannot take (\\b, \\z, \\p, back reference, ...)");
	return (unsigned char)e;
}

static int
px_class(struct px *p)
{
	struct bset b = {{0}};
	int neg = 0, first = 1;

	p->s++; /* '[' */
	if (p->s < p->end && *p->s == '^') {
		neg = 1;
		p->s++;
	}
	for (;;) {
		int lo, hi;

		if (p->s >= p->end)
			return px_fail(p, "has an unclosed class");
		if (*p->s == ']' && !first) {
			p->s++;
			break;
		}
		first = 0;
		if (*p->s == '[' && p->s + 1 < p->end &&
		    (p->s[1] == ':' || p->s[1] == '.' || p->s[1] == '='))
			return px_fail(p, "uses a POSIX class");
		if (*p->s == '\\') {
			p->s++;
			lo = px_escape(p, &b);
			if (lo == -1)
				return -1;
			if (lo == -2)
				continue;
		} else {
			lo = (unsigned char)*p->s++;
		}
		if (p->s + 1 < p->end && *p->s == '-' && p->s[1] != ']') {
			p->s++;
			if (*p->s == '\\') {
				struct bset t = {{0}};

				p->s++;
				hi = px_escape(p, &t);
				if (hi == -2)
					return px_fail(p, "has a range ending in a class");
				if (hi < 0)
					return -1;
			} else {
				hi = (unsigned char)*p->s++;
			}
			if (hi < lo)
				return px_fail(p, "has a reversed range");
			bset_range(&b, (unsigned)lo, (unsigned)hi);
		} else {
			bset_add(&b, (unsigned)lo);
		}
	}
	if (p->flags & DC_SIG_F_CASELESS)
		bset_fold(&b);
	if (neg)
		bset_not(&b);
	return px_set(p, &b);
}

static int px_alt(struct px *p, int top);

/* An unsigned decimal of a quantifier, or -1. */
static long
px_num(struct px *p)
{
	long v = 0;
	int nd = 0;

	while (p->s < p->end && *p->s >= '0' && *p->s <= '9' && nd < 6) {
		v = v * 10 + (*p->s++ - '0');
		nd++;
	}
	return nd ? v : -1;
}

static int
px_atom(struct px *p)
{
	struct bset b = {{0}};
	char c = *p->s;
	int n, v;

	switch (c) {
	case '(':
		if (++p->nest > NEST_MAX)
			return px_fail(p, "nests groups too deeply");
		p->s++;
		if (p->s < p->end && *p->s == '?') {
			if (p->s + 1 >= p->end || p->s[1] != ':')
				return px_fail(p, "uses a (?...) construct other than (?:");
			p->s += 2;
		}
		n = px_alt(p, 0);
		if (n < 0)
			return -1;
		if (p->s >= p->end || *p->s != ')')
			return px_fail(p, "has an unbalanced group");
		p->s++;
		p->nest--;
		return n;
	case '[':
		return px_class(p);
	case '.':
		p->s++;
		bset_range(&b, 0, 255);
		if (!(p->flags & DC_SIG_F_DOTALL))
			b.w[0] &= ~(1ull << '\n');
		return px_set(p, &b);
	case '^':
	case '$':
		return px_fail(p, "uses ^ or $ past the start");
	case '*':
	case '+':
	case '?':
	case '{':
		return px_fail(p, "has a quantifier with nothing to repeat, or a literal '{'");
	case '\\':
		p->s++;
		if (p->s < p->end && *p->s == 'A')
			return px_fail(p, "uses \\A past the start");
		v = px_escape(p, &b);
		if (v == -1)
			return -1;
		if (v == -2)
			return px_set(p, &b);
		break;
	default:
		p->s++;
		v = (unsigned char)c;
		break;
	}
	bset_add(&b, (unsigned)v);
	if (p->flags & DC_SIG_F_CASELESS)
		bset_fold(&b);
	return px_set(p, &b);
}

static int
px_piece(struct px *p)
{
	int a = px_atom(p), r;
	uint32_t min, max;

	if (a < 0 || p->s >= p->end)
		return a;
	switch (*p->s) {
	case '*': min = 0; max = REP_INF; p->s++; break;
	case '+': min = 1; max = REP_INF; p->s++; break;
	case '?': min = 0; max = 1; p->s++; break;
	case '{': {
		long lo, hi;

		p->s++;
		lo = px_num(p);
		if (lo < 0)
			return px_fail(p, "has a literal '{'");
		hi = lo;
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			hi = px_num(p);
			if (hi < 0)
				hi = (long)REP_INF;
		}
		if (p->s >= p->end || *p->s != '}' || hi < lo)
			return px_fail(p, "has a quantifier it cannot take");
		p->s++;
		min = (uint32_t)lo;
		max = (uint32_t)hi;
		break;
	}
	default:
		return a;
	}
	if (p->s < p->end && *p->s == '?')
		p->s++; /* lazy: the same language */
	if (p->s < p->end && (*p->s == '+' || *p->s == '*' || *p->s == '?' || *p->s == '{'))
		return px_fail(p, "has a possessive or doubled quantifier");
	r = px_node(p, N_REP);
	if (r < 0)
		return -1;
	p->nodes[r].kid = a;
	p->nodes[r].min = min;
	p->nodes[r].max = max;
	return r;
}

/* A branch: pieces up to '|', ')' or the end. At the top, the branch must
 * start with the anchor (unless the rule has flag a). */
static int
px_cat(struct px *p, int top)
{
	int cat = px_node(p, N_CAT), last = -1;

	if (cat < 0)
		return -1;
	if (top) {
		int anchored = 0;

		if (p->s < p->end && *p->s == '^') {
			if (p->flags & DC_SIG_F_MULTILINE)
				return px_fail(p, "uses ^ with flag m");
			p->s++;
			anchored = 1;
		} else if (p->s + 1 < p->end && p->s[0] == '\\' && p->s[1] == 'A') {
			p->s += 2;
			anchored = 1;
		}
		if (p->flags & DC_SIG_F_ANCHORED)
			anchored = 1;
		if (p->anchor >= 0 && p->anchor != anchored)
			return px_fail(p, "anchors some top-level branches and not others");
		p->anchor = anchored;
	}
	while (p->s < p->end && *p->s != '|' && *p->s != ')') {
		int k = px_piece(p);

		if (k < 0)
			return -1;
		if (last < 0)
			p->nodes[cat].kid = k;
		else
			p->nodes[last].next = k;
		last = k;
	}
	if (last < 0)
		p->nodes[cat].type = N_EMPTY;
	return cat;
}

static int
px_alt(struct px *p, int top)
{
	int first = px_cat(p, top), last = first, alt;

	if (first < 0 || p->s >= p->end || *p->s != '|')
		return first;
	alt = px_node(p, N_ALT);
	if (alt < 0)
		return -1;
	p->nodes[alt].kid = first;
	while (p->s < p->end && *p->s == '|') {
		int k;

		p->s++;
		k = px_cat(p, top);
		if (k < 0)
			return -1;
		p->nodes[last].next = k;
		last = k;
	}
	return alt;
}

static int
nullable(const struct px *p, int n)
{
	const struct node *x = &p->nodes[n];
	int k;

	switch (x->type) {
	case N_SET: return 0;
	case N_EMPTY: return 1;
	case N_REP: return x->min == 0 || nullable(p, x->kid);
	case N_CAT:
		for (k = x->kid; k >= 0; k = p->nodes[k].next)
			if (!nullable(p, k))
				return 0;
		return 1;
	default: /* N_ALT */
		for (k = x->kid; k >= 0; k = p->nodes[k].next)
			if (nullable(p, k))
				return 1;
		return 0;
	}
}

/* Shortest match length (saturating), for the length test before a run. */
static uint32_t
minlen(const struct px *p, int n)
{
	const struct node *x = &p->nodes[n];
	uint64_t v;
	int k;

	switch (x->type) {
	case N_SET: return 1;
	case N_EMPTY: return 0;
	case N_REP:
		v = (uint64_t)x->min * minlen(p, x->kid);
		return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
	case N_CAT:
		v = 0;
		for (k = x->kid; k >= 0; k = p->nodes[k].next)
			v += minlen(p, k);
		return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
	default: /* N_ALT */
		v = 0xffffffffu;
		for (k = x->kid; k >= 0; k = p->nodes[k].next)
			v = SIG_MIN(v, (uint64_t)minlen(p, k));
		return (uint32_t)v;
	}
}

/* ---- program ------------------------------------------------------------ */


struct cg {
	struct px *px;
	struct op ops[OP_MAX];
	unsigned n;
	const char *why;
};

static int
cg_op(struct cg *g, uint8_t type, uint32_t x, uint32_t y)
{
	if (g->n == OP_MAX) {
		g->why = "too long once its repetitions are written out";
		return -1;
	}
	g->ops[g->n] = (struct op){.type = type, .x = x, .y = y};
	return (int)g->n++;
}

static int
cg_emit(struct cg *g, int n)
{
	const struct node *x = &g->px->nodes[n];
	int k, o;

	switch (x->type) {
	case N_SET:
		o = cg_op(g, OP_SET, 0, 0);
		if (o >= 0)
			g->ops[o].set = x->set;
		return o < 0 ? -1 : 0;
	case N_EMPTY:
		return 0;
	case N_CAT:
		for (k = x->kid; k >= 0; k = g->px->nodes[k].next)
			if (cg_emit(g, k) < 0)
				return -1;
		return 0;
	case N_ALT: {
		uint32_t jmps = REP_INF; /* the branches' jumps to the end, chained through x */

		for (k = x->kid; k >= 0; k = g->px->nodes[k].next) {
			int split = -1;

			if (g->px->nodes[k].next >= 0) {
				split = cg_op(g, OP_SPLIT, 0, 0);
				if (split < 0)
					return -1;
				g->ops[split].x = g->n;
			}
			if (cg_emit(g, k) < 0)
				return -1;
			if (split >= 0) {
				o = cg_op(g, OP_JMP, jmps, 0);
				if (o < 0)
					return -1;
				jmps = (uint32_t)o;
				g->ops[split].y = g->n;
			}
		}
		while (jmps != REP_INF) {
			uint32_t next = g->ops[jmps].x;

			g->ops[jmps].x = g->n;
			jmps = next;
		}
		return 0;
	}
	default: { /* N_REP */
		const struct node *kid = &g->px->nodes[x->kid];
		uint32_t splits = REP_INF; /* the optional copies' exits, chained through y */

		for (uint32_t i = 0; i < x->min; i++)
			if (cg_emit(g, x->kid) < 0)
				return -1;
		if (x->max == x->min)
			return 0;
		if (kid->type == N_SET) {
			/* A run of one class: greedy, its shorter lengths tried on
			 * backtracking without a pending alternative each. */
			o = cg_op(g, OP_RUN, x->max == REP_INF ? REP_INF : x->max - x->min, 0);
			if (o >= 0)
				g->ops[o].set = kid->set;
			return o < 0 ? -1 : 0;
		}
		if (x->max == REP_INF) {
			unsigned top = g->n;

			if (nullable(g->px, x->kid)) {
				g->why = "repeats without bound a group that can match nothing";
				return -1;
			}
			o = cg_op(g, OP_SPLIT, g->n + 1, 0);
			if (o < 0 || cg_emit(g, x->kid) < 0 || cg_op(g, OP_JMP, top, 0) < 0)
				return -1;
			g->ops[o].y = g->n;
			return 0;
		}
		for (uint32_t i = x->min; i < x->max; i++) {
			o = cg_op(g, OP_SPLIT, g->n + 1, splits);
			if (o < 0 || cg_emit(g, x->kid) < 0)
				return -1;
			splits = (uint32_t)o;
		}
		while (splits != REP_INF) {
			uint32_t next = g->ops[splits].y;

			g->ops[splits].y = g->n;
			splits = next;
		}
		return 0;
	}
	}
}

/* The smallest mask/value pair whose matches include every byte of @p b:
 * exact when the set is all the bytes that agree on the mask's bits. */
static void
mask_of(const struct bset *b, uint8_t *mask, uint8_t *val, int *exact)
{
	unsigned and_ = 0xff, or_ = 0, n = 0;

	for (unsigned c = 0; c < 256; c++) {
		if (bset_has(b, c)) {
			and_ &= c;
			or_ |= c;
			n++;
		}
	}
	if (n == 0) { /* the empty set: a byte never matches */
		*mask = 0;
		*val = 0;
		*exact = 0;
		return;
	}
	*mask = (uint8_t)~(and_ ^ or_);
	*val = (uint8_t)(and_ & *mask);
	*exact = n == 1u << (8 - __builtin_popcount(*mask));
}

/* Runs of byte ops that no jump enters become one SEQ; the program is
 * written into one allocation. */
static struct sig_prog *
cg_finish(struct cg *g, uint32_t depth, uint32_t ml)
{
	uint8_t target[OP_MAX + 1] = {0};
	uint32_t map[OP_MAX + 1];
	unsigned nops = 0, nw = 0, nchk = 0, i;
	uint16_t setmap[SET_MAX];
	unsigned nsets = 0, nsplit = 0;
	struct sig_prog *pr;
	size_t sz;
	char *mem;

	for (i = 0; i < g->n; i++) {
		if (g->ops[i].type == OP_SPLIT) {
			nsplit++;
			target[g->ops[i].x] = 1;
			target[g->ops[i].y] = 1;
		} else if (g->ops[i].type == OP_JMP) {
			target[g->ops[i].x] = 1;
		}
	}
	/* sizes first */
	for (i = 0; i < g->n;) {
		if (g->ops[i].type == OP_SET) {
			unsigned j = i + 1;

			while (j < g->n && g->ops[j].type == OP_SET && !target[j] && j - i < SEQ_MAX)
				j++;
			nw += (j - i + 7) / 8;
			nchk += j - i;
			i = j;
		} else {
			i++;
		}
		nops++;
	}
	nops++; /* OP_MATCH */
	sz = sizeof(*pr) + nops * sizeof(struct op) + 2 * nw * sizeof(uint64_t) +
	     nchk * sizeof(struct chk) + ((size_t)g->px->ns + 2 * nsplit) * sizeof(struct bset) +
	     sizeof(struct sig_fset) + 64;
	mem = dc_calloc(1, sz);
	pr = (struct sig_prog *)mem;
	pr->ops = (struct op *)(pr + 1);
	pr->mask = (uint64_t *)(pr->ops + nops);
	pr->val = pr->mask + nw;
	pr->chk = (struct chk *)(pr->val + nw);
	pr->sets = (struct bset *)(((uintptr_t)(pr->chk + nchk) + 7) & ~(uintptr_t)7);
	pr->depth = depth;
	pr->minlen = ml;
	memset(setmap, 0xff, sizeof(setmap));

	nw = nchk = nops = 0;
	for (i = 0; i < g->n;) {
		struct op *o = &pr->ops[nops];

		map[i] = nops;
		if (g->ops[i].type == OP_SET) {
			unsigned j = i, k;
			uint8_t m[SEQ_MAX + 8] = {0}, v[SEQ_MAX + 8] = {0};

			o->type = OP_SEQ;
			o->x = nw;
			o->y = nchk;
			do {
				const struct op *s = &g->ops[j];
				int exact;

				k = j - i;
				mask_of(&g->px->sets[s->set], &m[k], &v[k], &exact);
				if (!exact) {
					if (setmap[s->set] == 0xffff)
						setmap[s->set] = (uint16_t)nsets++;
					pr->chk[nchk++] = (struct chk){.off = (uint8_t)k,
								       .set = setmap[s->set]};
				}
				j++;
			} while (j < g->n && g->ops[j].type == OP_SET && !target[j] &&
				 j - i < SEQ_MAX);
			o->n = (uint8_t)(j - i);
			o->ny = nchk - o->y;
			o->set = o->n <= 8; /* one masked word (and its checks) decides it */
			for (k = 0; k < (j - i + 7) / 8; k++, nw++) {
				memcpy(&pr->mask[nw], m + 8 * k, 8);
				memcpy(&pr->val[nw], v + 8 * k, 8);
			}
			for (k = i + 1; k < j; k++)
				map[k] = nops; /* not a target: never looked up */
			i = j;
		} else {
			*o = g->ops[i];
			if (o->type == OP_RUN) {
				const struct bset *rs = &g->px->sets[o->set];

				/* What follows the run (always the next operation) is
				 * the end, or a byte none of the run's: then a shorter
				 * run leaves a byte of the run's set where that byte
				 * must be, and cannot match; no backtracking into it. */
				o->y = 0;
				if (i + 1 == g->n) {
					o->y = 1;
				} else if (g->ops[i + 1].type == OP_SET) {
					const struct bset *ns = &g->px->sets[g->ops[i + 1].set];

					o->y = ((rs->w[0] & ns->w[0]) | (rs->w[1] & ns->w[1]) |
						(rs->w[2] & ns->w[2]) | (rs->w[3] & ns->w[3])) == 0;
				}
				/* how its end is found: by the bytes outside its set */
				{
					unsigned out = 0, last = 0;

					for (unsigned c = 0; c < 256; c++) {
						if (!bset_has(rs, c)) {
							out++;
							last = c;
						}
					}
					o->n = out == 0 ? RUN_ANY : out == 1 ? RUN_BUT1 : RUN_SET;
					o->ny = last;
				}
				if (setmap[o->set] == 0xffff)
					setmap[o->set] = (uint16_t)nsets++;
				o->set = setmap[o->set];
			}
			i++;
		}
		nops++;
	}
	map[g->n] = nops;
	pr->ops[nops].type = OP_MATCH;
	pr->nops = nops + 1;
	pr->straight = 1;
	for (i = 0; i < nops; i++)
		pr->straight &= pr->ops[i].type == OP_SEQ;
	for (i = 0; i < pr->nops; i++) {
		struct op *o = &pr->ops[i];

		if (o->type == OP_SPLIT) {
			o->x = map[o->x];
			o->y = map[o->y];
		} else if (o->type == OP_JMP) {
			o->x = map[o->x];
		}
	}
	for (unsigned s = 0; s < (unsigned)g->px->ns; s++)
		if (setmap[s] != 0xffff)
			pr->sets[setmap[s]] = g->px->sets[s];
	pr->nsets = nsets; /* the splits' guards follow (split_guards()) */
	pr->one = (struct sig_fset *)(((uintptr_t)(pr->sets + nsets + 2 * nsplit) + 7) & ~(uintptr_t)7);
	pr->size = (size_t)((char *)(pr->one + 1) - (char *)pr);
	return pr;
}

/* ---- floating programs ----------------------------------------------------- */

/* Byte @p j of run @p o as a set: what its mask and value admit, less what
 * its check (if any) excludes. */
static void
seq_byte_set(const struct sig_prog *p, const struct op *o, unsigned j, struct bset *out)
{
	uint8_t m = ((const uint8_t *)(p->mask + o->x))[j], v = ((const uint8_t *)(p->val + o->x))[j];
	struct bset b = {{0}};

	for (unsigned c = 0; c < 256; c++)
		if ((c & m) == v)
			bset_add(&b, c);
	for (uint32_t c = o->y; c < o->y + o->ny; c++)
		if (p->chk[c].off == j)
			for (int w = 0; w < 4; w++)
				b.w[w] &= p->sets[p->chk[c].set].w[w];
	for (int w = 0; w < 4; w++)
		out->w[w] |= b.w[w];
}

/* Offsets from a match's start that float_setup() describes. */
#define FOLLOW_N 8

/* Add to f[k .. FOLLOW_N) the bytes a match can have at those offsets from
 * operation @p pc on, having consumed @p k bytes: a superset (a run may
 * stop anywhere; both continuations of a split are followed; an offset a
 * match can end before admits every byte). */
static void
follow(const struct sig_prog *p, uint32_t pc, unsigned k, struct bset *f, uint8_t *seen)
{
	const struct op *o;

	if (k >= FOLLOW_N || seen[FOLLOW_N * pc + k])
		return;
	seen[FOLLOW_N * pc + k] = 1;
	o = &p->ops[pc];
	switch (o->type) {
	case OP_SEQ:
		for (unsigned j = 0; j < o->n && k + j < FOLLOW_N; j++)
			seq_byte_set(p, o, j, &f[k + j]);
		follow(p, pc + 1, k + o->n, f, seen);
		break;
	case OP_SPLIT:
		follow(p, o->x, k, f, seen);
		follow(p, o->y, k, f, seen);
		break;
	case OP_JMP:
		follow(p, o->x, k, f, seen);
		break;
	case OP_RUN: {
		uint32_t most = SIG_MIN(o->x, FOLLOW_N - k);

		for (unsigned q = k; q < k + most; q++)
			for (int w = 0; w < 4; w++)
				f[q].w[w] |= p->sets[o->set].w[w];
		for (unsigned r = 0; r <= most; r++)
			follow(p, pc + 1, k + r, f, seen);
		break;
	}
	default: /* OP_MATCH */
		for (unsigned q = k; q < FOLLOW_N; q++)
			bset_range(&f[q], 0, 255);
		break;
	}
}

/* Bucket bit @p bit in the nibble tables @p lo, @p hi for every byte of @p b. */
static void
nibble_add(const struct bset *b, uint8_t bit, uint8_t lo[16], uint8_t hi[16])
{
	for (unsigned c = 0; c < 256; c++) {
		if (bset_has(b, c)) {
			lo[c & 15] |= bit;
			hi[c >> 4] |= bit;
		}
	}
}

static void
bset_or(struct bset *a, const struct bset *b)
{
	for (int w = 0; w < 4; w++)
		a->w[w] |= b->w[w];
}

static int
bset_eq(const struct bset *a, const struct bset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void
sig_fset_build(struct sig_fset *fs, const struct sig_prog *const *progs, unsigned n)
{
	unsigned nb = 0, spare;

	memset(fs, 0, sizeof(*fs));
	fs->n = n;
	fs->simd = SIG_SIMD_NONE;
#ifdef __SSSE3__
	fs->simd = SIG_SIMD_SSSE3;
#endif
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx2"))
		fs->simd = SIG_SIMD_AVX2;
#endif
	/* buckets beyond one per program, for programs with several filters */
	spare = n < 8 ? 8 - n : 0;
	for (unsigned k = 0; k < n; k++) {
		const struct sig_prog *p = progs[k];
		unsigned own = 1;

		fs->prog[k] = p;
		if (n <= 8 && p->nsub > 1) {
			own = SIG_MIN(p->nsub, 1 + spare);
			spare -= own - 1;
		}
		for (unsigned q = 0; q < p->nsub; q++) {
			/* filters past the program's share of buckets share its last */
			unsigned b = n <= 8 ? nb + SIG_MIN(q, own - 1) : k % 8;
			uint8_t bit = (uint8_t)(1u << b);

			fs->bucket[b] |= (uint16_t)(1u << k);
			nibble_add(&p->sub[q].first, bit, fs->sh[0], fs->sh[1]);
			nibble_add(&p->sub[q].second, bit, fs->sh[2], fs->sh[3]);
		}
		nb += own;
	}
}

/*
 * The start filters of floating program @p pr: which bytes a match can
 * start with and, for each, which can follow it. The program read as an
 * NFA whose states are (operation, byte within a run of bytes) and (run of
 * one class); a run's bound is ignored (a superset). First bytes with the
 * same followers share a filter; past SIG_SUB_MAX, the last filters merge.
 */
#define NFA_J (SEQ_MAX + 1) /* states per operation: each byte of a run, and its end */

struct nfa {
	const struct sig_prog *p;
	uint8_t *seen;    /* [nops * NFA_J] */
	uint32_t *cons;   /* states that consume a byte */
	unsigned ncons;
	int accept;       /* the match operation was reached */
};

static void
nfa_add(struct nfa *a, uint32_t pc, unsigned j)
{
	const struct op *o = &a->p->ops[pc];

	if (a->seen[pc * NFA_J + j])
		return;
	a->seen[pc * NFA_J + j] = 1;
	switch (o->type) {
	case OP_SEQ:
		if (j < o->n)
			a->cons[a->ncons++] = pc * NFA_J + j;
		else
			nfa_add(a, pc + 1, 0);
		break;
	case OP_SPLIT:
		nfa_add(a, o->x, 0);
		nfa_add(a, o->y, 0);
		break;
	case OP_JMP:
		nfa_add(a, o->x, 0);
		break;
	case OP_RUN:
		a->cons[a->ncons++] = pc * NFA_J;
		nfa_add(a, pc + 1, 0);
		break;
	default: /* OP_MATCH */
		a->accept = 1;
		break;
	}
}

static void
nfa_reset(struct nfa *a)
{
	memset(a->seen, 0, (size_t)a->p->nops * NFA_J);
	a->ncons = 0;
	a->accept = 0;
}

/* The bytes consuming state @p st takes. */
static void
nfa_set(const struct sig_prog *p, uint32_t st, struct bset *out)
{
	const struct op *o = &p->ops[st / NFA_J];

	memset(out, 0, sizeof(*out));
	if (o->type == OP_RUN)
		*out = p->sets[o->set];
	else
		seq_byte_set(p, o, st % NFA_J, out);
}

/* Where consuming state @p st goes on a byte it takes. */
static void
nfa_next(struct nfa *a, uint32_t st)
{
	uint32_t pc = st / NFA_J;

	if (a->p->ops[pc].type == OP_RUN)
		nfa_add(a, pc, 0); /* more of the run, or what follows it */
	else
		nfa_add(a, pc, st % NFA_J + 1);
}

/*
 * Each split's guards: the bytes with which each of its two continuations
 * can go on (every byte when it can reach the match without one, which
 * also lets it be taken at the payload's end: op n bits 0 and 1). A branch
 * whose guard the next byte fails cannot match, so the matcher neither takes
 * nor keeps it: an alternation whose branches start differently (BER
 * lengths, wget|curl) runs without backtracking.
 */
static void
split_guards(struct sig_prog *pr)
{
	const size_t cap = (size_t)pr->nops * NFA_J;
	struct nfa a = {pr, dc_calloc(cap, 1), dc_calloc(cap, sizeof(uint32_t)), 0, 0};

	for (uint32_t pc = 0; pc < pr->nops; pc++) {
		struct op *o = &pr->ops[pc];

		if (o->type != OP_SPLIT)
			continue;
		o->n = 0;
		for (int b = 0; b < 2; b++) {
			struct bset *g = &pr->sets[pr->nsets];

			nfa_reset(&a);
			nfa_add(&a, b ? o->y : o->x, 0);
			memset(g, 0, sizeof(*g));
			if (a.accept) {
				bset_range(g, 0, 255);
				o->n |= (uint8_t)(1u << b);
			} else {
				for (unsigned t = 0; t < a.ncons; t++) {
					struct bset e;

					nfa_set(pr, a.cons[t], &e);
					bset_or(g, &e);
				}
			}
			if (b)
				o->ny = pr->nsets++;
			else
				o->set = (uint16_t)pr->nsets++;
		}
	}
	dc_free(a.cons);
	dc_free(a.seen);
}

static void
float_subs(struct sig_prog *pr)
{
	const size_t cap = (size_t)pr->nops * NFA_J;
	struct nfa a = {pr, dc_calloc(cap, 1), dc_calloc(cap, sizeof(uint32_t)), 0, 0};
	uint32_t *start = dc_calloc(cap, sizeof(uint32_t));
	struct bset *sset = dc_calloc(cap, sizeof(struct bset));
	struct bset follow1;
	unsigned nstart;

	nfa_add(&a, 0, 0);
	nstart = a.ncons;
	memcpy(start, a.cons, nstart * sizeof(*start));
	for (unsigned t = 0; t < nstart; t++)
		nfa_set(pr, start[t], &sset[t]);
	pr->nsub = 0;
	for (unsigned c = 0; c < 256; c++) {
		unsigned q;

		nfa_reset(&a);
		for (unsigned t = 0; t < nstart; t++)
			if (bset_has(&sset[t], c))
				nfa_next(&a, start[t]);
		if (a.ncons == 0 && !a.accept)
			continue; /* no match starts with c */
		memset(&follow1, 0, sizeof(follow1));
		if (a.accept) {
			bset_range(&follow1, 0, 255);
		} else {
			for (unsigned t = 0; t < a.ncons; t++) {
				struct bset b;

				nfa_set(pr, a.cons[t], &b);
				bset_or(&follow1, &b);
			}
		}
		for (q = 0; q < pr->nsub && !bset_eq(&pr->sub[q].second, &follow1); q++)
			;
		if (q == pr->nsub) {
			if (pr->nsub < SIG_SUB_MAX) {
				memset(&pr->sub[q], 0, sizeof(pr->sub[q]));
				pr->sub[q].second = follow1;
				pr->nsub++;
			} else {
				q = SIG_SUB_MAX - 1;
				bset_or(&pr->sub[q].second, &follow1);
			}
		}
		bset_add(&pr->sub[q].first, c);
	}
	dc_free(sset);
	dc_free(start);
	dc_free(a.cons);
	dc_free(a.seen);
}

/* A floating program's filters: its start filters, the bits its first 8
 * bytes have in common (pm, pv), its set of one. */
static void
float_setup(struct sig_prog *pr)
{
	uint8_t *seen = dc_calloc(FOLLOW_N * (size_t)pr->nops, 1);
	struct bset f[FOLLOW_N];
	const struct sig_prog *self = pr;
	uint8_t m[FOLLOW_N], v[FOLLOW_N];

	memset(f, 0, sizeof(f));
	follow(pr, 0, 0, f, seen);
	dc_free(seen);
	for (unsigned q = 0; q < FOLLOW_N; q++) {
		int exact;

		mask_of(&f[q], &m[q], &v[q], &exact);
	}
	memcpy(&pr->pm, m, 8);
	memcpy(&pr->pv, v, 8);
	pr->floating = 1;
	float_subs(pr);
	sig_fset_build(pr->one, &self, 1);
}

/* A scan of a set in progress. */
struct fscan {
	uint32_t cap[DC_SIG_PKT_MATCHES];  /* payload bytes each program sees (depth) */
	uint32_t last[DC_SIG_PKT_MATCHES]; /* the last offset its match fits at */
	uint32_t alive;                    /* programs not yet matched that fit */
	uint32_t hit;                      /* programs matched */
	uint32_t lastmax;
	unsigned steps, budget;
};

/* Offset @p o passed the filter for buckets @p bits: run their programs
 * still without a match whose first 8 bytes agree. 0, or -1 when the
 * budget is spent. */
static DC_ALWAYS_INLINE int
fset_try(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len, uint32_t o,
	 unsigned bits)
{
	uint32_t rules = 0;

	for (; bits != 0; bits &= bits - 1)
		rules |= fs->bucket[__builtin_ctz(bits)];
	rules &= f->alive;
	for (; rules != 0; rules &= rules - 1) {
		unsigned k = (unsigned)__builtin_ctz(rules);
		int r;

		if (o > f->last[k])
			continue;
		if (o + 8 <= len) { /* the first 8 bytes against the program's prefix */
			uint64_t w;

			memcpy(&w, s + o, 8);
			if ((w & fs->prog[k]->pm) != fs->prog[k]->pv)
				continue;
		}
		r = sig_prog_at(fs->prog[k], s + o, f->cap[k] - o, &f->steps);
		if (r < 0 || unlikely(++f->steps > f->budget))
			return -1;
		if (r) {
			f->hit |= 1u << k;
			f->alive &= ~(1u << k);
		}
	}
	return 0;
}

/* The candidates of one block: bit j of @p m, offset at + j, buckets cb[j]. */
static DC_ALWAYS_INLINE int
fset_block(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len, uint32_t at,
	   uint32_t m, const uint8_t *cb)
{
	for (; m != 0; m &= m - 1) {
		unsigned j = (unsigned)__builtin_ctz(m);

		if (fset_try(fs, f, s, len, at + j, cb[j]) < 0)
			return -1;
	}
	return 0;
}

/*
 * The block loop: @p w (32 with AVX2, 16 with SSSE3) offsets at a time
 * while their bytes and the byte after the last lie in the payload, then
 * the rest (at most one block) from a zero-padded copy: offsets past
 * lastmax are masked out, and the pad after the payload's last byte is only
 * read as the second byte of the last offset, where only a one-byte match
 * fits, whose program passes every second byte. @p bits gives a block's
 * candidates (bit j: offset j passed some bucket) and each offset's buckets
 * in cb[j]; inlined with it into each instruction set's function.
 */
typedef uint32_t (*fset_bits_fn)(const uint8_t *s, const uint8_t (*sh)[16], uint8_t *cb);

static DC_ALWAYS_INLINE int
fset_blocks(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len,
	    const uint32_t w, fset_bits_fn bits)
{
	uint32_t i = 0, end = len > w ? SIG_MIN(len - w, f->lastmax + 1) : 0;
	uint8_t cb[32], pad[64];
	uint32_t m;

	for (; i < end; i += w) { /* i + w + 1 <= len, i <= lastmax */
		m = bits(s + i, fs->sh, cb);
		if (likely(m == 0))
			continue;
		if (fset_block(fs, f, s, len, i, m, cb) < 0)
			return -1;
		if (f->alive == 0)
			return 0;
	}
	if (i > f->lastmax)
		return 0;
	memset(pad, 0, sizeof(pad));
	memcpy(pad, s + i, len - i); /* at most w bytes */
	m = bits(pad, fs->sh, cb);
	if (f->lastmax - i < w - 1)
		m &= (2u << (f->lastmax - i)) - 1;
	return fset_block(fs, f, s, len, i, m, cb);
}

#ifdef __SSSE3__
/* Per byte, the buckets both it and the next byte pass. */
static DC_ALWAYS_INLINE uint32_t
nibble_bits16(const uint8_t *s, const uint8_t (*sh)[16], uint8_t *cb)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i x = _mm_loadu_si128((const __m128i *)s), y = _mm_loadu_si128((const __m128i *)(s + 1));
	__m128i c = _mm_and_si128(
		_mm_and_si128(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)sh[0]), _mm_and_si128(x, nib)),
			      _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)sh[1]),
					       _mm_and_si128(_mm_srli_epi16(x, 4), nib))),
		_mm_and_si128(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)sh[2]), _mm_and_si128(y, nib)),
			      _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)sh[3]),
					       _mm_and_si128(_mm_srli_epi16(y, 4), nib))));

	_mm_storeu_si128((__m128i *)cb, c);
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_setzero_si128())) ^ 0xffff;
}

static int
fset_blocks16(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len)
{
	return fset_blocks(fs, f, s, len, 16, nibble_bits16);
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static inline uint32_t
nibble_bits32(const uint8_t *s, const uint8_t (*sh)[16], uint8_t *cb)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i x = _mm256_loadu_si256((const __m256i *)s);
	__m256i y = _mm256_loadu_si256((const __m256i *)(s + 1));
	__m256i l0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sh[0]));
	__m256i h0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sh[1]));
	__m256i l1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sh[2]));
	__m256i h1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sh[3]));
	__m256i c = _mm256_and_si256(
		_mm256_and_si256(_mm256_shuffle_epi8(l0, _mm256_and_si256(x, nib)),
				 _mm256_shuffle_epi8(h0, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib))),
		_mm256_and_si256(_mm256_shuffle_epi8(l1, _mm256_and_si256(y, nib)),
				 _mm256_shuffle_epi8(h1, _mm256_and_si256(_mm256_srli_epi16(y, 4), nib))));

	_mm256_storeu_si256((__m256i *)cb, c);
	return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, _mm256_setzero_si256()));
}

/* 32 offsets at a time (AVX2; the CPU's checked in sig_fset_build()). */
__attribute__((target("avx2"))) static int
fset_blocks32(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len)
{
	return fset_blocks(fs, f, s, len, 32, nibble_bits32);
}
#endif

/* Without SIMD: offset by offset. */
static int
fset_bytes(const struct sig_fset *fs, struct fscan *f, const uint8_t *s, uint32_t len)
{
	for (uint32_t i = 0; i <= f->lastmax && f->alive != 0; i++) {
		unsigned bits = fs->sh[0][s[i] & 15] & fs->sh[1][s[i] >> 4];

		if (i + 1 < len) /* else (the pad above) every one-byte match's second byte passes */
			bits &= fs->sh[2][s[i + 1] & 15] & fs->sh[3][s[i + 1] >> 4];
		if (bits != 0 && fset_try(fs, f, s, len, i, bits) < 0)
			return -1;
	}
	return 0;
}

int32_t
sig_fset_scan(const struct sig_fset *fs, const uint8_t *s, uint32_t len)
{
	struct fscan f;

	f.alive = f.hit = f.lastmax = 0;
	f.steps = 0;
	f.budget = SIG_STEPS_MAX * fs->n;
	for (unsigned k = 0; k < fs->n; k++) {
		const struct sig_prog *p = fs->prog[k];
		uint32_t l = p->depth != 0 && len > p->depth ? p->depth : len;

		if (l < p->minlen)
			continue;
		f.cap[k] = l;
		f.last[k] = l - p->minlen;
		f.lastmax = f.last[k] > f.lastmax ? f.last[k] : f.lastmax;
		f.alive |= 1u << k;
	}
	if (f.alive == 0)
		return 0;
#if defined(__x86_64__) && defined(__GNUC__)
	if (fs->simd == SIG_SIMD_AVX2)
		return fset_blocks32(fs, &f, s, len) < 0 ? -1 : (int32_t)f.hit;
#endif
#ifdef __SSSE3__
	if (fs->simd == SIG_SIMD_SSSE3)
		return fset_blocks16(fs, &f, s, len) < 0 ? -1 : (int32_t)f.hit;
#endif
	return fset_bytes(fs, &f, s, len) < 0 ? -1 : (int32_t)f.hit;
}

struct sig_prog *
sig_prog_build(const char *expr, unsigned flags, uint32_t depth, const char **why)
{
	struct px *p = dc_calloc(1, sizeof(*p));
	struct cg *g = NULL;
	struct sig_prog *pr = NULL;
	int root;

	*why = NULL;
	p->s = expr;
	p->end = expr + strlen(expr);
	p->flags = flags;
	p->anchor = -1;
	root = px_alt(p, 1);
	if (root >= 0 && p->s != p->end)
		root = px_fail(p, "has an unbalanced ')'");
	if (root >= 0 && p->anchor == 0 && nullable(p, root))
		root = px_fail(p, "can match the empty string");
	if (root < 0) {
		*why = p->why;
		goto out;
	}
	g = dc_calloc(1, sizeof(*g));
	g->px = p;
	if (cg_emit(g, root) < 0) {
		*why = g->why;
		goto out;
	}
	pr = cg_finish(g, depth, minlen(p, root));
	split_guards(pr);
	if (p->anchor == 0)
		float_setup(pr);
out:
	dc_free(g);
	dc_free(p);
	return pr;
}

void
sig_prog_free(struct sig_prog *p)
{
	dc_free(p);
}

const struct sig_prog *
sig_prog_copy(const struct sig_prog *p, void *dst)
{
	struct sig_prog *c = dst;
	const char *base = (const char *)p;
	char *to = dst;

	memcpy(c, p, p->size);
	c->ops = (struct op *)(to + ((const char *)p->ops - base));
	c->mask = (uint64_t *)(to + ((const char *)p->mask - base));
	c->val = (uint64_t *)(to + ((const char *)p->val - base));
	c->chk = (struct chk *)(to + ((const char *)p->chk - base));
	c->sets = (struct bset *)(to + ((const char *)p->sets - base));
	c->one = (struct sig_fset *)(to + ((const char *)p->one - base));
	c->one->prog[0] = c;
	return c;
}
