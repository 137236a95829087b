/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig internal: the anchored matcher. A rule whose regex can only match
 * at the payload's first byte, written in a plain subset of Hyperscan's
 * syntax (bytes, classes, '.', groups, alternation, quantifiers), compiles
 * into a small program run by a backtracking matcher that checks fixed runs
 * of bytes a word at a time. It answers exactly as Hyperscan does for that
 * rule, or gives up (a step or stack budget, never on the default rules) and
 * the caller scans with Hyperscan. docs/SIGNATURES.md, "Anchored rules".
 */
#ifndef DC_SIG_FAST_H
#define DC_SIG_FAST_H

#include <stdint.h>
#include <string.h>

#include "dc_common.h"

/** Pending alternatives the matcher keeps at most before it gives up. */
#define SIG_STACK_MAX 64
/** Operations the matcher runs per payload at most before it gives up. */
#define SIG_STEPS_MAX 8192
/** Unbounded repetition (OP_RUN). */
#define REP_INF 0xffffffffu
#define SIG_MIN(a, b) ((a) < (b) ? (a) : (b))

/** 256-bit byte set. */
struct bset {
	uint64_t w[4];
};

static inline int
bset_has(const struct bset *b, unsigned c)
{
	return (int)((b->w[c >> 6] >> (c & 63)) & 1);
}

/* Operations of a program. */
enum { OP_SET, OP_SEQ, OP_SPLIT, OP_JMP, OP_RUN, OP_MATCH };

struct op {
	uint8_t type;
	uint8_t n;      /* OP_SEQ: bytes; OP_RUN: how its end is found (RUN_*) */
	uint16_t set;   /* OP_SET, OP_RUN: byte set */
	uint32_t x;     /* OP_SPLIT: preferred next; OP_JMP: next; OP_SEQ: first word;
			   OP_RUN: most bytes (REP_INF: no bound) */
	uint32_t y;     /* OP_SPLIT: the other; OP_SEQ: first check; OP_RUN: 1 when no
			   shorter run can lead to a match (what follows cannot start
			   with a byte of the run's set): no backtracking into it */
	uint32_t ny;    /* OP_SEQ: checks; OP_RUN with kind RUN_BUT1: the one byte
			   outside the set */
};

/* OP_RUN kinds (struct op n): how the run's end is found. */
enum { RUN_SET, /* a lookup per byte */
       RUN_ANY, /* every byte: the run is as long as it may be */
       RUN_BUT1 /* every byte but one: memchr() */ };

/* A byte of a run that its mask and value do not decide alone. */
struct chk {
	uint8_t off;
	uint16_t set;
};

/** A compiled anchored rule (read-only once built). */
struct sig_prog {
	uint32_t depth;
	uint32_t minlen;       /* shortest match */
	unsigned nops;
	int straight;          /* only byte runs, then the match: no backtracking */
	size_t size;           /* bytes of the program, header included (one block) */
	struct op *ops;
	uint64_t *mask, *val;  /* per run, its bytes a word at a time */
	struct chk *chk;
	struct bset *sets;
};

/**
 * Build the program of a regex as the rules file gives it.
 *
 * @param expr
 *   The regex (no slashes), as written.
 * @param flags
 *   DC_SIG_F_* of the rule.
 * @param depth
 *   The rule's depth=N (0: none): a match must end within N bytes.
 * @param why
 *   Set, when the rule is not one the matcher takes, to a short reason
 *   ("not anchored", "uses '$'", ...) for the log and the tests.
 * @return
 *   The program, or NULL when the rule stays with Hyperscan (not an error).
 */
struct sig_prog *sig_prog_build(const char *expr, unsigned flags, uint32_t depth,
				const char **why);

/** Free a program (NULL is fine). */
void sig_prog_free(struct sig_prog *p);

/**
 * Copy program @p p into @p dst (p->size bytes, 8-byte aligned), where it
 * works as the original: for packing a port group's programs into one
 * block. The copy is not freed on its own (it lives in @p dst).
 */
const struct sig_prog *sig_prog_copy(const struct sig_prog *p, void *dst);

/* The @p o->n bytes at @p s (@p room bytes of payload from there, at least
 * o->n) against run @p o: 8 bytes at a time, masked. */
static DC_ALWAYS_INLINE int
sig_seq_ok(const struct sig_prog *p, const struct op *o, const uint8_t *s, uint32_t room)
{
	const uint64_t *m = p->mask + o->x, *v = p->val + o->x;
	unsigned n = o->n, w;

	for (w = 0; 8 * w + 8 <= n; w++) {
		uint64_t x;

		memcpy(&x, s + 8 * w, 8);
		if ((x & m[w]) != v[w])
			return 0;
	}
	if (n % 8) {
		uint64_t x = 0;

		if (8 * w + 8 <= room) {
			memcpy(&x, s + 8 * w, 8); /* bytes past the run are masked out */
		} else {
			for (unsigned b = 0; b < n % 8; b++)
				x |= (uint64_t)s[8 * w + b] << (8 * b);
		}
		if ((x & m[w]) != v[w])
			return 0;
	}
	for (uint32_t c = o->y; c < o->y + o->ny; c++)
		if (!bset_has(&p->sets[p->chk[c].set], s[p->chk[c].off]))
			return 0;
	return 1;
}

/**
 * Run a program over a payload.
 *
 * @return
 *   1 when the rule matches (a match starting at byte 0 and ending within
 *   @p len bytes and the depth), 0 when it does not, -1 when the matcher gave
 *   up (the answer must then come from Hyperscan).
 */
static DC_ALWAYS_INLINE int
sig_prog_run(const struct sig_prog *p, const uint8_t *s, uint32_t len)
{
	/* A pending alternative: resume at pc, from pos; for a run (cnt >= 0),
	 * its next shorter length first. */
	struct {
		uint32_t pc, pos;
		int32_t cnt;
	} st[SIG_STACK_MAX];
	unsigned sp = 0, steps = 0;
	uint32_t pc = 0, pos = 0;

	if (p->depth != 0 && len > p->depth)
		len = p->depth;
	if (len < p->minlen)
		return 0;
	if (p->straight) {
		/* A fixed layout: the length is checked (minlen), each run in turn. */
		for (const struct op *o = p->ops; o->type == OP_SEQ; o++) {
			if (!sig_seq_ok(p, o, s + pos, len - pos))
				return 0;
			pos += o->n;
		}
		return 1;
	}
	for (;;) {
		const struct op *o = &p->ops[pc];

		if (unlikely(++steps > SIG_STEPS_MAX))
			return -1;
		switch (o->type) {
		case OP_SEQ:
			if (len - pos < o->n || !sig_seq_ok(p, o, s + pos, len - pos))
				goto fail;
			pos += o->n;
			pc++;
			continue;
		case OP_SPLIT:
			if (unlikely(sp == SIG_STACK_MAX))
				return -1;
			st[sp].pc = o->y;
			st[sp].pos = pos;
			st[sp].cnt = -1;
			sp++;
			pc = o->x;
			continue;
		case OP_JMP:
			pc = o->x;
			continue;
		case OP_RUN: {
			uint32_t r = 0, most = o->x == REP_INF ? len - pos : SIG_MIN(o->x, len - pos);

			if (o->n == RUN_ANY) {
				r = most;
			} else if (o->n == RUN_BUT1) {
				const uint8_t *e = (const uint8_t *)memchr(s + pos, (int)o->ny, most);

				r = e != NULL ? (uint32_t)(e - (s + pos)) : most;
			} else {
				const struct bset *b = &p->sets[o->set];

				while (r < most && bset_has(b, s[pos + r]))
					r++;
			}
			if (r > 0 && !o->y) {
				if (unlikely(sp == SIG_STACK_MAX))
					return -1;
				st[sp].pc = pc + 1;
				st[sp].pos = pos;
				st[sp].cnt = (int32_t)r - 1;
				sp++;
			}
			pos += r;
			pc++;
			continue;
		}
		default: /* OP_MATCH */
			return 1;
		}
fail:
		if (sp == 0)
			return 0;
		pc = st[sp - 1].pc;
		pos = st[sp - 1].pos;
		if (st[sp - 1].cnt >= 0) {
			pos += (uint32_t)st[sp - 1].cnt;
			if (st[sp - 1].cnt-- == 0)
				sp--;
		} else {
			sp--;
		}
	}
}

#endif /* DC_SIG_FAST_H */
