/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fewer LPM rules for the same answers (ORTC: Draves, King, Venkatachary,
 * Zill, "Constructing Optimal IP Routing Tables", INFOCOM 1999).
 *
 * rte_lpm_add() scans every rule of the same depth already added, so a
 * build costs the square of the rules per depth: for a real-size database
 * (about 500,000 IPv4 prefixes, half of them /24) that is seconds. An MMDB
 * is a partition of the address space, and a CSV may be too; with longest
 * prefix match, far fewer rules give the same function of the address.
 *
 * 1. Build a binary trie of the prefixes (longest prefix wins; of equal
 *    prefixes the later one), unknown being the value 0 (an LPM miss).
 * 2. Bottom-up: every node gets one child per side (a missing child is a
 *    leaf with the value inherited from above); a leaf's set is its value;
 *    an inner node's set is the intersection of its children's sets if not
 *    empty, else their union.
 * 3. Top-down: a node whose set holds the value it inherits needs no rule;
 *    otherwise it gets a rule with a value of its set, which its children
 *    inherit.
 * Every leaf ends with its own value whatever values are picked in (3), so
 * the answers are exact; keeping at most SETK values per set only costs
 * optimality, not correctness (the sets of ASNs could grow large).
 */
#include <string.h>

#include "dc_mem.h"
#include "dc_geo_priv.h"

#define SETK 6

typedef unsigned __int128 u128;

struct tnode {
	uint32_t child[2]; /* 0: none (the root, node 0, is nobody's child) */
	uint32_t set[SETK];
	uint8_t nset;
	uint8_t has;       /* a prefix ends here; its value in set[0] until step 2 */
};

struct trie {
	struct tnode *n;
	uint32_t used, cap;
	unsigned width;
	/* output */
	struct dc_geo_src *out;
};

static uint32_t
node_new(struct trie *t)
{
	if (t->used == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->n = dc_realloc(t->n, (size_t)t->cap * sizeof(*t->n));
	}
	memset(&t->n[t->used], 0, sizeof(t->n[0]));
	return t->used++;
}

static void
insert(struct trie *t, u128 ip, unsigned len, uint32_t key)
{
	uint32_t n = 0;

	for (unsigned d = 0; d < len; d++) {
		unsigned b = (unsigned)(ip >> (127 - d)) & 1;

		if (t->n[n].child[b] == 0) {
			uint32_t c = node_new(t);

			t->n[n].child[b] = c;
		}
		n = t->n[n].child[b];
	}
	t->n[n].has = 1;
	t->n[n].set[0] = key;
}

static int
set_has(const struct tnode *x, uint32_t v)
{
	for (unsigned i = 0; i < x->nset; i++)
		if (x->set[i] == v)
			return 1;
	return 0;
}

/* n's set from its children's (sorted arrays): intersection, else union. */
static void
combine(struct tnode *n, const struct tnode *a, const struct tnode *b)
{
	unsigned i = 0, j = 0, k = 0;

	while (i < a->nset && j < b->nset) {
		if (a->set[i] == b->set[j]) {
			n->set[k++] = a->set[i];
			i++;
			j++;
		} else if (a->set[i] < b->set[j]) {
			i++;
		} else {
			j++;
		}
	}
	if (k > 0) {
		n->nset = (uint8_t)k;
		return;
	}
	i = j = 0;
	while (k < SETK && (i < a->nset || j < b->nset)) {
		if (j == b->nset || (i < a->nset && a->set[i] < b->set[j]))
			n->set[k++] = a->set[i++];
		else
			n->set[k++] = b->set[j++];
	}
	n->nset = (uint8_t)k;
}

/* Step 2 for the subtree of @n, @inh the value from above. */
static void
settle(struct trie *t, uint32_t n, uint32_t inh)
{
	uint32_t c[2];

	if (t->n[n].has)
		inh = t->n[n].set[0];
	c[0] = t->n[n].child[0];
	c[1] = t->n[n].child[1];
	if (c[0] == 0 && c[1] == 0) {
		t->n[n].set[0] = inh;
		t->n[n].nset = 1;
		return;
	}
	for (int s = 0; s < 2; s++) {
		if (c[s] != 0) {
			settle(t, c[s], inh);
		} else {
			c[s] = node_new(t);
			t->n[c[s]].set[0] = inh;
			t->n[c[s]].nset = 1;
			t->n[n].child[s] = c[s];
		}
	}
	combine(&t->n[n], &t->n[c[0]], &t->n[c[1]]);
}

static void
emit(struct trie *t, u128 prefix, unsigned len, uint32_t key)
{
	if (t->width == 32) {
		dc_geo_src_add4(t->out, (uint32_t)(prefix >> 96), len, key);
	} else {
		uint8_t ip[16];

		for (int i = 15; i >= 0; i--) {
			ip[i] = (uint8_t)prefix;
			prefix >>= 8;
		}
		dc_geo_src_add6(t->out, ip, len, key);
	}
}

/* Step 3 for the subtree of @n at @depth, @inh the value ruling above. */
static void
assign(struct trie *t, uint32_t n, unsigned depth, u128 prefix, uint32_t inh)
{
	uint32_t x = inh;

	if (!set_has(&t->n[n], inh)) {
		x = t->n[n].set[0];
		emit(t, prefix, depth, x);
	}
	for (unsigned s = 0; s < 2; s++) {
		uint32_t c = t->n[n].child[s];

		if (c != 0)
			assign(t, c, depth + 1, prefix | ((u128)s << (127 - depth)), x);
	}
}

/* Minimise one family's list of @s into @out. */
static void
minimize(struct dc_geo_src *s, struct dc_geo_src *out, unsigned width)
{
	struct trie t = { .width = width, .out = out };

	node_new(&t);
	if (width == 32) {
		for (uint32_t i = 0; i < s->n4; i++)
			insert(&t, (u128)s->p4[i].ip << 96, s->p4[i].len, s->p4[i].key);
	} else {
		for (uint32_t i = 0; i < s->n6; i++) {
			u128 ip = 0;

			for (int b = 0; b < 16; b++)
				ip = ip << 8 | s->p6[i].ip[b];
			insert(&t, ip, s->p6[i].len, s->p6[i].key);
		}
	}
	settle(&t, 0, 0);
	assign(&t, 0, 0, 0, 0); /* above the root: a miss, i.e. unknown */
	dc_free(t.n);
}

void
dc_geo_minimize(struct dc_geo_src *s)
{
	struct dc_geo_src m;

	memset(&m, 0, sizeof(m));
	if (s->n4 > 0)
		minimize(s, &m, 32);
	if (s->n6 > 0)
		minimize(s, &m, 128);
	dc_free(s->p4);
	dc_free(s->p6);
	s->p4 = m.p4;
	s->n4 = m.n4;
	s->cap4 = m.cap4;
	s->p6 = m.p6;
	s->n6 = m.n6;
	s->cap6 = m.cap6;
}
