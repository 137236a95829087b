/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The anchored matcher (sig_fast.h): most darknet payload rules are fixed
 * binary or text headers at the payload's first byte (DNS, NTP, NetBIOS,
 * SNMP, SIP, SSDP, memcached, CLDAP). Hyperscan needs some 400 instructions
 * per call whatever the rule; such a rule is decided here by comparing the
 * payload's first bytes with a mask and value a word at a time.
 *
 * The subset (anything else stays with Hyperscan):
 *   - anchored: the pattern starts with ^ or \A (each top-level branch), or
 *     the rule has flag a; no ^ (or \A) anywhere else; with flag m, \A only;
 *   - bytes (flag i folds ASCII letters), \xHH and \x{HH}, \n \r \t \f \e \a,
 *     escaped punctuation, classes [...] / [^...] with ranges and \d \D \w
 *     \W \s \S, '.' (any byte but \n; any byte with flag s);
 *   - groups (?:...) and (...), alternation, the quantifiers ? * + {n}
 *     {n,} {n,m} and their lazy forms (a match's existence does not depend
 *     on greediness);
 *   - not: $, \b, \B, \z, \Z, \G, lookarounds, back references, (?flags),
 *     possessive quantifiers, POSIX [:classes:], \Q...\E, \p, \h, \v, \R,
 *     octal and named escapes; a star over a group that can match nothing.
 * A rule matches when some prefix of the payload (capped at its depth) is in
 * the pattern's language, which is what Hyperscan reports for an anchored
 * pattern in block mode. The matcher backtracks over a small program (byte
 * runs, splits, jumps, a greedy run of one class) and gives up after
 * SIG_STEPS_MAX steps or SIG_STACK_MAX pending alternatives, leaving the
 * answer to Hyperscan: exact either way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

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
		if (!anchored && !(p->flags & DC_SIG_F_ANCHORED))
			return px_fail(p, "not anchored at the payload's first byte");
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
	unsigned nsets = 0;
	struct sig_prog *pr;
	size_t sz;
	char *mem;

	for (i = 0; i < g->n; i++) {
		if (g->ops[i].type == OP_SPLIT) {
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
	     nchk * sizeof(struct chk) + (size_t)g->px->ns * sizeof(struct bset) + 64;
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
	pr->size = (size_t)((char *)(pr->sets + nsets) - (char *)pr);
	return pr;
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
	root = px_alt(p, 1);
	if (root >= 0 && p->s != p->end)
		root = px_fail(p, "has an unbalanced ')'");
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
	return c;
}
