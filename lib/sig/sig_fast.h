/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig internal: darkcap's own matcher. A rule written in a plain subset
 * of Hyperscan's syntax (bytes, classes, '.', groups, alternation,
 * quantifiers) compiles into a small program run by a backtracking matcher
 * that checks fixed runs of bytes a word at a time. An anchored rule is run
 * once, at the payload's first byte; an unanchored ("floating") one at every
 * offset whose first two bytes a match can start with, found 32 or 16
 * offsets at a time by a nibble-table filter. It answers exactly as Hyperscan does for
 * that rule, or gives up (a step or stack budget, never on the default
 * rules) and the caller scans with Hyperscan. docs/SIGNATURES.md, "Rules
 * decided without Hyperscan".
 */
#ifndef DC_SIG_FAST_H
#define DC_SIG_FAST_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dc_common.h"
#include "dc_sig.h"

/** Pending alternatives the matcher keeps at most before it gives up. */
#define SIG_STACK_MAX 64
/** Operations the matcher runs per payload at most before it gives up (a
 * floating rule: over all its start offsets, each offset counting one). */
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

/** Start filters a floating program has at most. */
#define SIG_SUB_MAX 8

/** A floating program's start filter: a match may start with a byte of
 * @c first followed by a byte of @c second (every byte when a match can end
 * after one byte). Together a program's filters admit every start of a
 * match (first bytes with the same second bytes share one filter). */
struct sig_sub {
	struct bset first, second;
};

/* Operations of a program. */
enum { OP_SET, OP_SEQ, OP_SPLIT, OP_JMP, OP_RUN, OP_MATCH };

struct op {
	uint8_t type;
	uint8_t n;      /* OP_SEQ: bytes; OP_RUN: how its end is found (RUN_*);
			   OP_SPLIT: bit 0 (1), x (y) can match with no more bytes */
	uint16_t set;   /* OP_SET, OP_RUN: byte set; OP_SEQ: 1 when one word
			   and its checks decide it (n <= 8); OP_SPLIT: x's guard,
			   the bytes x can go on with */
	uint32_t x;     /* OP_SPLIT: preferred next; OP_JMP: next; OP_SEQ: first word;
			   OP_RUN: most bytes (REP_INF: no bound) */
	uint32_t y;     /* OP_SPLIT: the other; OP_SEQ: first check; OP_RUN: 1 when no
			   shorter run can lead to a match (what follows cannot start
			   with a byte of the run's set): no backtracking into it */
	uint32_t ny;    /* OP_SEQ: checks; OP_RUN with kind RUN_BUT1: the one byte
			   outside the set; OP_SPLIT: y's guard */
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
	unsigned nsets;        /* byte sets: the pattern's, then each split's two guards */
	int straight;          /* only byte runs, then the match: no backtracking */
	int floating;          /* not anchored: run at every offset the filter passes */
	unsigned nsub;         /* floating: its start filters (1 .. SIG_SUB_MAX) */
	uint64_t pm, pv;       /* floating: a match's first 8 bytes w (those in
				  the payload) have (w & pm) == pv */
	struct sig_fset *one;  /* floating: the set of this program alone */
	size_t size;           /* bytes of the program, header included (one block) */
	struct op *ops;
	uint64_t *mask, *val;  /* per run, its bytes a word at a time */
	struct chk *chk;
	struct bset *sets;
	/* last: only read when the program's set is built, so that a run
	 * reads the header's first line only */
	struct sig_sub sub[SIG_SUB_MAX];
};

/**
 * Floating programs scanned together (at most DC_SIG_PKT_MATCHES): one pass
 * over the payload, 16 or 32 offsets at a time, looks up each offset's byte
 * and the next in nibble tables that hold 8 bucket bits (a byte passes for
 * a bucket when both its nibbles have the bit): an offset runs the programs
 * of the buckets that both of its bytes pass, as Hyperscan's Teddy finds
 * literals. Each bucket holds start filters (struct sig_sub) of one or more
 * programs; with 8 programs or fewer, a program's filters get buckets of
 * their own while there are buckets to spare. The tables admit a superset
 * of each program's first two bytes, and an offset's first 8 bytes are
 * checked against the program's before it runs: the answers are exact.
 */
struct sig_fset {
	uint8_t sh[4][16];  /* offset 0 low, high nibble; offset 1 low, high */
	uint16_t bucket[8]; /* programs (bit k: prog[k]) in each bucket */
	unsigned n;
	int simd;           /* SIG_SIMD_*: how the offsets are filtered (the best the
			       CPU has; the tests set each) */
	const struct sig_prog *prog[DC_SIG_PKT_MATCHES];
};

/* sig_fset.simd */
enum { SIG_SIMD_NONE, /* offset by offset */
       SIG_SIMD_SSSE3, /* 16 at a time */
       SIG_SIMD_AVX2 /* 32 at a time */ };

/** Fill @p fs with floating programs @p progs[0 .. n) (n <= 16). */
void sig_fset_build(struct sig_fset *fs, const struct sig_prog *const *progs, unsigned n);

/**
 * Scan a payload with a set of floating programs (each with its depth).
 *
 * @return
 *   Bit k set when prog[k] matches, or -1 when the matcher gave up (the
 *   answer must then come from Hyperscan).
 */
int32_t sig_fset_scan(const struct sig_fset *fs, const uint8_t *s, uint32_t len);

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

/* The @p k (1 .. 7, at most @p room) bytes at @p s as a word, the bytes
 * past them zero or whatever follows; @p room bytes from s, @p back before
 * it, are the payload's. */
static DC_ALWAYS_INLINE uint64_t
sig_word_tail(const uint8_t *s, uint32_t room, uint32_t back, unsigned k)
{
	uint64_t x = 0;

	if (room >= 8) {
		memcpy(&x, s, 8); /* bytes past the k are masked out */
	} else if (room + back >= 8) {
		/* the payload's last 8 bytes, shifted so that s[0] comes first */
		memcpy(&x, s + room - 8, 8);
		x >>= 8 * (8 - room);
	} else {
		for (unsigned b = 0; b < k; b++)
			x |= (uint64_t)s[b] << (8 * b);
	}
	return x;
}

/* The first r < @p most with s[r] == @p c, or @p most when none; @p room
 * (>= most) bytes from @p s are the payload's, @p back before it. 16
 * bytes at a time; the last block read inside the payload (past most, or
 * ending at its end), else byte by byte. */
static DC_ALWAYS_INLINE uint32_t
sig_find_byte(const uint8_t *s, uint32_t most, uint32_t room, uint32_t back, uint8_t c)
{
	uint32_t r = 0;
#ifdef __SSE2__
	const __m128i v = _mm_set1_epi8((char)c);
	uint32_t m;

	for (; r + 16 <= most; r += 16) {
		m = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + r)), v));
		if (m != 0)
			return r + (uint32_t)__builtin_ctz(m);
	}
	if (r == most)
		return most;
	if (room - r >= 16) {
		m = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + r)), v));
	} else if (room + back >= 16) {
		/* the payload's last 16 bytes; s[r] is byte r + 16 - room of them */
		m = (uint32_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + room - 16)), v)) >>
		    (r + 16 - room);
	} else {
		for (; r < most; r++)
			if (s[r] == c)
				return r;
		return most;
	}
	m &= (1u << (most - r)) - 1; /* most - r < 16 */
	return m != 0 ? r + (uint32_t)__builtin_ctz(m) : most;
#else
	for (; r < most; r++)
		if (s[r] == c)
			return r;
	return most;
#endif
}

/* The @p o->n bytes at @p s (@p room bytes of payload from there, at least
 * o->n; @p back before it) against run @p o: 8 bytes at a time, masked. */
static DC_ALWAYS_INLINE int
sig_seq_ok(const struct sig_prog *p, const struct op *o, const uint8_t *s, uint32_t room,
	   uint32_t back)
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
		uint64_t x = sig_word_tail(s + 8 * w, room - 8 * w, back + 8 * w, n % 8);

		if ((x & m[w]) != v[w])
			return 0;
	}
	for (uint32_t c = o->y; c < o->y + o->ny; c++)
		if (!bset_has(&p->sets[p->chk[c].set], s[p->chk[c].off]))
			return 0;
	return 1;
}

/*
 * Run a program at the first byte of @p s (@p len bytes, at least its
 * minlen, the depth already applied), counting its operations in @p steps.
 * 1: a prefix of s is in the pattern's language; 0: none is; -1: gave up.
 */
static DC_ALWAYS_INLINE int
sig_prog_at(const struct sig_prog *p, const uint8_t *s, uint32_t len, unsigned *stepsp)
{
	/* A pending alternative: resume at pc, from pos; for a run (cnt >= 0),
	 * its next shorter length first. */
	struct {
		uint32_t pc, pos;
		int32_t cnt;
	} st[SIG_STACK_MAX];
	unsigned sp = 0, steps = *stepsp;
	uint32_t pc = 0, pos = 0;
	int ret;

	if (p->straight) {
		/* A fixed layout: the length is checked (minlen), each run in turn. */
		for (const struct op *o = p->ops; o->type == OP_SEQ; o++) {
			if (!sig_seq_ok(p, o, s + pos, len - pos, pos))
				return 0;
			pos += o->n;
		}
		return 1;
	}
	for (;;) {
		const struct op *o = &p->ops[pc];

		if (unlikely(++steps > SIG_STEPS_MAX)) {
			ret = -1;
			goto out;
		}
		switch (o->type) {
		case OP_SEQ:
			if (len - pos < o->n)
				goto fail;
			if (o->set) { /* one word, and its checks */
				uint64_t x = sig_word_tail(s + pos, len - pos, pos, o->n);

				if ((x & p->mask[o->x]) != p->val[o->x])
					goto fail;
				for (uint32_t c = o->y; c < o->y + o->ny; c++)
					if (!bset_has(&p->sets[p->chk[c].set], s[pos + p->chk[c].off]))
						goto fail;
			} else if (!sig_seq_ok(p, o, s + pos, len - pos, pos)) {
				goto fail;
			}
			pos += o->n;
			pc++;
			continue;
		case OP_SPLIT: {
			/* a branch whose guard the next byte fails cannot match */
			int gx = pos < len ? bset_has(&p->sets[o->set], s[pos]) : o->n & 1;
			int gy = pos < len ? bset_has(&p->sets[o->ny], s[pos]) : o->n >> 1;

			if (gx && gy) {
				if (unlikely(sp == SIG_STACK_MAX))
					return -1;
				st[sp].pc = o->y;
				st[sp].pos = pos;
				st[sp].cnt = -1;
				sp++;
				pc = o->x;
			} else if (gx) {
				pc = o->x;
			} else if (gy) {
				pc = o->y;
			} else {
				goto fail;
			}
			continue;
		}
		case OP_JMP:
			pc = o->x;
			continue;
		case OP_RUN: {
			uint32_t r = 0, most = o->x == REP_INF ? len - pos : SIG_MIN(o->x, len - pos);

			if (o->n == RUN_ANY) {
				r = most;
			} else if (o->n == RUN_BUT1) {
				r = sig_find_byte(s + pos, most, len - pos, pos, (uint8_t)o->ny);
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
			ret = 1;
			goto out;
		}
fail:
		if (sp == 0) {
			ret = 0;
			goto out;
		}
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
out:
	*stepsp = steps;
	return ret;
}


/**
 * Run a program over a payload (sig_prog_anchored(): one known anchored,
 * as a port group's anchored programs are).
 *
 * @return
 *   1 when the rule matches (anchored: a match starting at byte 0; floating:
 *   at any byte; either ending within @p len bytes and the depth), 0 when it
 *   does not, -1 when the matcher gave up (the answer must then come from
 *   Hyperscan).
 */
static DC_ALWAYS_INLINE int
sig_prog_anchored(const struct sig_prog *p, const uint8_t *s, uint32_t len)
{
	unsigned steps = 0;

	if (p->depth != 0 && len > p->depth)
		len = p->depth;
	if (len < p->minlen)
		return 0;
	return sig_prog_at(p, s, len, &steps);
}

static DC_ALWAYS_INLINE int
sig_prog_run(const struct sig_prog *p, const uint8_t *s, uint32_t len)
{
	if (p->floating) { /* its set of one applies the depth */
		int32_t r = sig_fset_scan(p->one, s, len);

		return r < 0 ? -1 : (int)(r & 1);
	}
	return sig_prog_anchored(p, s, len);
}

#endif /* DC_SIG_FAST_H */
