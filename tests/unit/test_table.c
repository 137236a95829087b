/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dc_table against an independent reference, on random operation sequences.
 *
 * The reference is a sorted array of the test's keys (a "pool") with, for
 * each key, whether it is in the table and its update count, the insertion
 * order, and a model of the documented placement rule: an occupancy array
 * over the table's slots. Keys are never removed, so a new non-zero key goes
 * to the first empty slot of its probe window [home, home +
 * DC_TABLE_MAX_PROBE) (no wrap-around: the window runs into the spare slots
 * past the last home), and is refused when there is none or when max_entries
 * keys are in; the all-zero key goes to its own slot (dc_table_zero_index()).
 * Every expected value (found / inserted / refused, is_new, the slot, the
 * burst API's masks, value bytes, used, the keys seen when iterating by slot
 * index, the keys in insertion order) comes from that reference. The only
 * thing taken from the table is the home slot of a key (from its public
 * hash), and the hash is itself checked against NH written out again.
 *
 * Keys go in three ways, in random bursts: dc_table_upsert(); dc_table_find()
 * with the key length a compile-time constant; and the two-round burst API
 * (dc_table_find_burst() then dc_table_find_burst_rest()), whose split of a
 * burst into the two rounds, slots and fresh masks the model predicts too.
 * Tables are laid out by dc_table_init() and dc_table_init_n().
 *
 * Keys are passed from buffers whose bytes after key_len are random garbage
 * (they must be ignored), and the test writes a pattern over every value
 * byte of a slot, including the bytes after the key up to the next multiple
 * of 8 (they belong to the value).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dc_table.h"
#include "dc_test.h"

#define MAX_KEY DC_TABLE_MAX_KEY
#define KBUF (MAX_KEY + 16) /* a key buffer: the key, then garbage */
#define MAX_BURST 64


static void
fill_garbage(uint8_t *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(dc_test_rnd(s) | 1); /* never zero: zero garbage would hide bugs */
}

static uint32_t
round8(uint32_t n)
{
	return (n + 7) / 8 * 8;
}

/* Memory for a table: dc_table_mem_size() bytes (returned in @size), in an
 * allocation filled with garbage (init must not rely on zeroed memory) and
 * followed by at least 64 guard bytes of that garbage. */
static void *
table_mem_n(uint64_t nb_slots, uint32_t slot_size, size_t *size)
{
	size_t sz = dc_table_mem_size(nb_slots, slot_size);
	size_t alloc = (sz + 64 + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
	void *m = aligned_alloc(64, alloc);

	if (m == NULL) {
		fprintf(stderr, "out of memory (%zu bytes)\n", alloc);
		exit(1);
	}
	memset(m, 0xA5, alloc);
	if (size)
		*size = sz;
	return m;
}

static void *
table_mem(uint64_t max_entries, uint32_t slot_size, size_t *size)
{
	return table_mem_n(dc_table_slots_for(max_entries), slot_size, size);
}

/* The guard bytes after dc_table_mem_size() are untouched. */
static int
guard_ok(const void *mem, size_t sz)
{
	size_t alloc = (sz + 64 + 63) & ~(size_t)63;

	for (size_t i = sz; i < alloc; i++)
		if (((const uint8_t *)mem)[i] != 0xA5)
			return 0;
	return 1;
}

#define all_zero dc_test_all_zero

/* ---- constant key lengths ----------------------------------------------- */

/* The key lengths the test uses: dc_table_find() and the burst API are called
 * with them as compile-time constants, as the data path does. */
#define KEY_LENS(X) X(1) X(5) X(8) X(12) X(16) X(17) X(24) X(33) X(40) X(47) X(48)

static uint8_t *
find_const(struct dc_table *t, const void *key, uint64_t h, int insert, int *is_new)
{
	switch (t->key_len) {
#define X(L)                                                                                      \
	case L:                                                                                   \
		return dc_table_find(t, key, h, insert, is_new, L);
		KEY_LENS(X)
#undef X
	}
	fprintf(stderr, "test: no constant key length %u\n", t->key_len);
	abort();
}

/*
 * Round one of a burst: every other call through dc_table_find_burst_ahead()
 * with "next burst" hashes to prefetch (random ones, none, fewer, as many as
 * or more than the burst's keys: prefetching has no effect on the results,
 * and the model below is the same for both entry points).
 */
static uint64_t ahead_calls;

static uint64_t
burst_const(struct dc_table *t, const void *keys, size_t stride, const uint64_t *h, unsigned n,
	    uint8_t **slots, uint64_t *fresh)
{
	static uint64_t calls, rng = 0x9e3779b97f4a7c15ull;
	uint64_t next[MAX_BURST];
	unsigned nn = 0;
	int ahead = (int)(calls++ & 1);

	if (ahead) {
		nn = (unsigned)(ahead_calls++ % (MAX_BURST + 1));
		for (unsigned j = 0; j < nn; j++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			next[j] = rng;
		}
	}
	switch (t->key_len) {
#define X(L)                                                                                      \
	case L:                                                                                   \
		return ahead ? dc_table_find_burst_ahead(t, keys, stride, h, n, slots, fresh, L,   \
							 next, nn)                                \
			     : dc_table_find_burst(t, keys, stride, h, n, slots, fresh, L);
		KEY_LENS(X)
#undef X
	}
	fprintf(stderr, "test: no constant key length %u\n", t->key_len);
	abort();
}

static void
burst_rest_const(struct dc_table *t, const void *keys, size_t stride, const uint64_t *h,
		 uint64_t later, uint8_t **slots, uint64_t *fresh)
{
	switch (t->key_len) {
#define X(L)                                                                                      \
	case L:                                                                                   \
		dc_table_find_burst_rest(t, keys, stride, h, later, slots, fresh, L);             \
		return;
		KEY_LENS(X)
#undef X
	}
	fprintf(stderr, "test: no constant key length %u\n", t->key_len);
	abort();
}

/* ---- the hash written out again ----------------------------------------- */

/* The secret words from the seed: splitmix64, one 32-bit word per output. */
static void
nh_words_ref(uint64_t seed, uint32_t w[MAX_KEY / 4])
{
	for (int i = 0; i < MAX_KEY / 4; i++) {
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		w[i] = (uint32_t)(z ^ (z >> 31));
	}
}

/* NH over 8-byte little-endian words (bytes past @len read as zero), then
 * MurmurHash3's fmix64. */
static uint64_t
nh_ref(const uint32_t *nh, const uint8_t *p, uint32_t len)
{
	uint64_t acc = len, x;

	for (uint32_t w = 0; 8 * w < len; w++) {
		uint32_t lo = 0, hi = 0;

		for (uint32_t b = 0; b < 4; b++) {
			uint32_t i = 8 * w + b;

			lo |= (uint32_t)(i < len ? p[i] : 0) << (8 * b);
			hi |= (uint32_t)(i + 4 < len ? p[i + 4] : 0) << (8 * b);
		}
		acc += (uint64_t)(uint32_t)(lo + nh[2 * w]) * (uint64_t)(uint32_t)(hi + nh[2 * w + 1]);
	}
	x = acc;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* ---- the reference ------------------------------------------------------- */

/* What the random runs went through, printed per test case: evidence that
 * the interesting paths are taken. */
static struct {
	uint64_t inserted, found, refused_full, refused_window, spilled, zero_in;
	uint64_t burst_keys, round_two, burst_dups, lookups_absent, clears;
} st;

static void
stats_print(const char *what)
{
	printf("  %s: %lu inserted (%lu past the last home, %lu zero key), %lu found, refused "
	       "%lu at max_entries + %lu window full; burst keys %lu, round two %lu, twice in a "
	       "burst %lu; absent lookups %lu; clears %lu; round ones with prefetches ahead %lu\n",
	       what, (unsigned long)st.inserted, (unsigned long)st.spilled,
	       (unsigned long)st.zero_in, (unsigned long)st.found, (unsigned long)st.refused_full,
	       (unsigned long)st.refused_window, (unsigned long)st.burst_keys,
	       (unsigned long)st.round_two, (unsigned long)st.burst_dups,
	       (unsigned long)st.lookups_absent, (unsigned long)st.clears,
	       (unsigned long)ahead_calls);
	memset(&st, 0, sizeof(st));
	ahead_calls = 0;
}

#define NONE UINT64_MAX

struct ref {
	uint32_t key_len;
	uint32_t n;          /* keys in the pool, sorted, distinct */
	uint8_t *keys;       /* n * key_len */
	uint64_t *home;      /* home slot of each key in the table under test */
	uint64_t *where;     /* slot of each key in the table, or NONE */
	uint64_t *count;     /* updates of each key since it was inserted */
	int64_t zero;        /* pool index of the all-zero key, or -1 */
	/* placement model */
	uint64_t nb_slots, capacity, zero_index;
	uint64_t max_entries;
	uint64_t used;
	uint32_t *occ;       /* per slot: pool index + 1 of its key, or 0 */
	uint32_t *order;     /* pool index of each key in the table, in insertion order */
	uint64_t *seed;      /* the test's random state (garbage) */
};

static uint32_t g_cmp_len;

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, g_cmp_len);
}

static const uint8_t *
ref_key(const struct ref *r, uint32_t i)
{
	return r->keys + (size_t)i * r->key_len;
}

/* Key @i of the pool copied into @buf, followed by garbage up to KBUF. */
static void
key_buf(const struct ref *r, uint32_t i, uint8_t *buf)
{
	memcpy(buf, ref_key(r, i), r->key_len);
	fill_garbage(buf + r->key_len, KBUF - r->key_len, r->seed);
}

/* One random key of one of several shapes. */
static void
gen_key(uint8_t *k, uint32_t len, uint64_t *s, const uint8_t *prev)
{
	uint64_t x = dc_test_rnd(s);

	memset(k, 0, len);
	switch (x % 8) {
	case 0: /* IPv4-mapped IPv6 address, the real per-source key */
		if (len >= 16) {
			k[10] = 0xFF;
			k[11] = 0xFF;
			x = dc_test_rnd(s);
			memcpy(k + 12, &x, 4);
			if (len > 16)
				k[16] = 4; /* the family byte of the 17-byte key */
			break;
		}
		/* fall through */
	case 1: /* a neighbour of the previous key: one bit flipped */
		if (prev) {
			memcpy(k, prev, len);
			x = dc_test_rnd(s);
			k[(x >> 8) % len] ^= (uint8_t)(1u << (x & 7));
			break;
		}
		/* fall through */
	case 2: /* one non-zero byte, often the last (in a masked tail word) */
		x = dc_test_rnd(s);
		k[x % 2 ? len - 1 : (x >> 8) % len] = (uint8_t)((x >> 16) | 1);
		break;
	default:
		for (uint32_t i = 0; i < len; i++)
			k[i] = (uint8_t)dc_test_rnd(s);
		break;
	}
}

/* Sort the pool and drop duplicates. */
static void
ref_sort(struct ref *r)
{
	uint32_t i, o = 0;

	g_cmp_len = r->key_len;
	qsort(r->keys, r->n, r->key_len, cmp_key);
	for (i = 0; i < r->n; i++) {
		if (o > 0 && memcmp(ref_key(r, o - 1), ref_key(r, i), r->key_len) == 0)
			continue;
		memmove(r->keys + (size_t)o * r->key_len, ref_key(r, i), r->key_len);
		o++;
	}
	r->n = o;
}

/*
 * A pool of about @n keys, the all-zero key among them. With @lo < @hi, only
 * keys whose home slot in @t lies in [lo, hi) or [nb_slots - (hi - lo),
 * nb_slots) are kept (and no zero key), to fill probe windows on purpose: at
 * the start of the table and at its end, where the window runs into the
 * spare slots.
 */
static void
ref_init(struct ref *r, const struct dc_table *t, uint32_t n, uint64_t *s, uint64_t lo,
	 uint64_t hi)
{
	uint8_t k[MAX_KEY], kb[KBUF];
	uint32_t got = 0;
	uint32_t nh[MAX_KEY / 4];

	memset(r, 0, sizeof(*r));
	r->seed = s;
	r->key_len = t->key_len;
	r->keys = malloc((size_t)n * r->key_len);
	if (r->keys == NULL)
		exit(1);
	if (n > 0 && lo >= hi) { /* the all-zero key is a key like any other */
		memset(r->keys, 0, r->key_len);
		got = 1;
	}
	while (got < n) {
		gen_key(k, r->key_len, s, got ? ref_key(r, got - 1) : NULL);
		if (lo < hi) {
			uint64_t h = dc_table_home(t, dc_table_hash(t, k));

			if (all_zero(k, r->key_len) ||
			    !((h >= lo && h < hi) || h >= t->nb_slots - (hi - lo)))
				continue;
		}
		memcpy(r->keys + (size_t)got * r->key_len, k, r->key_len);
		got++;
	}
	r->n = n;
	ref_sort(r);
	r->nb_slots = t->nb_slots; /* checked against what the test asked for */
	r->capacity = r->nb_slots + DC_TABLE_MAX_PROBE + 1;
	r->zero_index = r->nb_slots + DC_TABLE_MAX_PROBE;
	r->max_entries = t->max_entries;
	r->home = calloc(r->n + 1, sizeof(*r->home));
	r->where = calloc(r->n + 1, sizeof(*r->where));
	r->count = calloc(r->n + 1, sizeof(*r->count));
	r->occ = calloc(r->capacity, sizeof(*r->occ));
	r->order = calloc(r->n + 1, sizeof(*r->order));
	if (!r->home || !r->where || !r->count || !r->occ || !r->order)
		exit(1);
	memcpy(nh, t->nh, sizeof(nh));
	r->zero = -1;
	for (uint32_t i = 0; i < r->n; i++) {
		uint64_t h;

		/* the hash ignores the garbage after the key, and is NH */
		key_buf(r, i, kb);
		h = dc_table_hash(t, kb);
		CHECK_EQ(h, nh_ref(nh, ref_key(r, i), r->key_len));
		r->home[i] = dc_table_home(t, h);
		CHECK(r->home[i] < r->nb_slots);
		r->where[i] = NONE;
		if (all_zero(ref_key(r, i), r->key_len))
			r->zero = i;
	}
}

static void
ref_free(struct ref *r)
{
	free(r->keys);
	free(r->home);
	free(r->where);
	free(r->count);
	free(r->occ);
	free(r->order);
}

/* Slot where new key @i goes, or NONE if it is refused. */
static uint64_t
ref_place(const struct ref *r, uint32_t i)
{
	if (r->used >= r->max_entries)
		return NONE;
	if ((int64_t)i == r->zero)
		return r->zero_index;
	for (uint64_t p = 0; p < DC_TABLE_MAX_PROBE; p++)
		if (r->occ[r->home[i] + p] == 0)
			return r->home[i] + p;
	return NONE;
}

/* Find or insert key @i in the model: its slot (NONE: refused), *is_new. */
static uint64_t
ref_upsert(struct ref *r, uint32_t i, int *is_new)
{
	uint64_t at;

	*is_new = 0;
	if (r->where[i] != NONE) {
		st.found++;
		return r->where[i];
	}
	at = ref_place(r, i);
	if (at == NONE) {
		if (r->used >= r->max_entries)
			st.refused_full++;
		else
			st.refused_window++;
		return NONE;
	}
	st.inserted++;
	st.spilled += at >= r->nb_slots && at != r->zero_index;
	st.zero_in += at == r->zero_index;
	r->occ[at] = i + 1;
	r->where[i] = at;
	r->count[i] = 0;
	r->order[r->used++] = i;
	*is_new = 1;
	return at;
}

static void
ref_clear(struct ref *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		r->where[i] = NONE;
	memset(r->count, 0, r->n * sizeof(*r->count));
	memset(r->occ, 0, r->capacity * sizeof(*r->occ));
	r->used = 0;
}

/* Value byte @j (key_len <= j < slot_size) of key @i after @count updates. */
static uint8_t
pattern(uint32_t i, uint64_t count, uint32_t j)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull + count * 0xBF58476D1CE4E5B9ull + j;

	return (uint8_t)(x ^ (x >> 29) ^ (x >> 47));
}

/* Write the value of key @i after @count updates: every byte after the key,
 * the rest of its last 8-byte word included. */
static void
value_write(const struct dc_table *t, uint8_t *slot, uint32_t i, uint64_t count)
{
	for (uint32_t j = t->key_len; j < t->slot_size; j++)
		slot[j] = pattern(i, count, j);
}

static int
value_ok(const struct dc_table *t, const uint8_t *slot, uint32_t i, uint64_t count)
{
	if (count == 0) /* never written since it went in */
		return all_zero(slot + t->key_len, t->slot_size - t->key_len);
	for (uint32_t j = t->key_len; j < t->slot_size; j++)
		if (slot[j] != pattern(i, count, j))
			return 0;
	return 1;
}

static uint64_t
slot_index(const struct dc_table *t, const uint8_t *slot)
{
	return (uint64_t)(slot - dc_table_slot(t, 0)) / t->slot_size;
}

/* The table's answer @s for key @i against the model's slot @at. */
static void
check_slot(const struct dc_table *t, const struct ref *r, uint32_t i, const uint8_t *s,
	   uint64_t at)
{
	if (at == NONE) {
		CHECK(s == NULL);
		return;
	}
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(slot_index(t, s), at);
	CHECK(s == dc_table_slot(t, at));
	CHECK(memcmp(s, ref_key(r, i), r->key_len) == 0);
}

/* ---- operations, checked against the reference --------------------------- */

/* Update the value of key @i in slot @s (the caller's work on a hit). */
static void
touch(const struct dc_table *t, struct ref *r, uint32_t i, uint8_t *s)
{
	CHECK(value_ok(t, s, i, r->count[i]));
	r->count[i]++;
	value_write(t, s, i, r->count[i]);
}

/* Upsert a burst of pool keys @idx, one by one (generic or constant key
 * length), after hashing and prefetching them all. */
static void
do_upserts(struct dc_table *t, struct ref *r, const uint32_t *idx, unsigned n, int constant)
{
	static uint8_t kb[MAX_BURST][KBUF];
	uint64_t h[MAX_BURST];
	unsigned j;

	for (j = 0; j < n; j++) {
		key_buf(r, idx[j], kb[j]);
		h[j] = dc_table_hash(t, kb[j]);
	}
	for (j = 0; j < n; j++)
		dc_table_prefetch(t, h[j]);
	for (j = 0; j < n; j++) {
		int is_new = -1, ref_new;
		uint8_t *s = constant ? find_const(t, kb[j], h[j], 1, &is_new)
				      : dc_table_upsert(t, kb[j], h[j], &is_new);
		uint64_t at = ref_upsert(r, idx[j], &ref_new);

		check_slot(t, r, idx[j], s, at);
		CHECK_EQ(is_new, ref_new);
		if (s != NULL && at != NONE)
			touch(t, r, idx[j], s);
	}
}

/*
 * A burst through dc_table_find_burst() and dc_table_find_burst_rest(), keys
 * at a stride of @stride bytes with garbage between them. The model: round
 * one settles the keys whose home slot holds them (found) or is empty
 * (inserted, in burst order: an earlier key may take a later one's home and
 * that one then probes on); the others (home taken by another key) are left
 * to round two, which settles them in burst order. The all-zero key follows
 * the same rule with the home slot of its hash, though it lives in its own
 * slot. Between the rounds the test updates the settled keys'
 * values, as the data path does.
 */
static void
do_burst(struct dc_table *t, struct ref *r, const uint32_t *idx, unsigned n, size_t stride)
{
	static uint8_t keys[MAX_BURST * (MAX_KEY + 16)];
	uint64_t h[MAX_BURST], want_later = 0, fresh = ~0ull, want_fresh = 0, later;
	uint64_t at[MAX_BURST];
	uint8_t *slots[MAX_BURST];
	unsigned j, k;

	fill_garbage(keys, n * stride, r->seed);
	for (j = 0; j < n; j++) {
		memcpy(keys + j * stride, ref_key(r, idx[j]), r->key_len);
		h[j] = dc_table_hash(t, keys + j * stride);
		CHECK_EQ(dc_table_home(t, h[j]), r->home[idx[j]]);
	}
	for (j = 0; j < n; j++)
		dc_table_prefetch(t, h[j]);
	/* the model of round one: classify on the table as it is now ... */
	for (j = 0; j < n; j++) {
		uint32_t i = idx[j];

		at[j] = NONE;
		/* (the all-zero key is never in its home slot: settled now when
		 * that slot is empty, else later) */
		if (r->occ[r->home[i]] != 0 && r->occ[r->home[i]] != i + 1)
			want_later |= 1ull << j;
	}
	/* ... then settle the others in order */
	for (j = 0; j < n; j++) {
		int is_new;

		if ((want_later >> j) & 1)
			continue;
		at[j] = ref_upsert(r, idx[j], &is_new);
		want_fresh |= (uint64_t)is_new << j;
	}

	st.burst_keys += n;
	st.round_two += (uint64_t)__builtin_popcountll(want_later);
	later = burst_const(t, keys, stride, h, n, slots, &fresh);
	CHECK_EQ(later, want_later);
	CHECK_EQ(fresh, want_fresh);
	for (j = 0; j < n; j++) {
		if ((later >> j) & 1 || (want_later >> j) & 1)
			continue;
		check_slot(t, r, idx[j], slots[j], at[j]);
		if (slots[j] != NULL && at[j] != NONE)
			touch(t, r, idx[j], slots[j]);
	}

	/* round two */
	for (j = 0; j < n; j++) {
		int is_new;

		if (!((want_later >> j) & 1))
			continue;
		at[j] = ref_upsert(r, idx[j], &is_new);
		want_fresh |= (uint64_t)is_new << j;
	}
	if (later != 0)
		burst_rest_const(t, keys, stride, h, later, slots, &fresh);
	CHECK_EQ(fresh, want_fresh);
	for (j = 0; j < n; j++) {
		if (!((later >> j) & 1) || !((want_later >> j) & 1))
			continue;
		check_slot(t, r, idx[j], slots[j], at[j]);
		if (slots[j] != NULL && at[j] != NONE)
			touch(t, r, idx[j], slots[j]);
	}

	/* a key twice in the burst: one slot, inserted at most once */
	for (j = 0; j < n; j++)
		for (k = j + 1; k < n; k++)
			if (idx[j] == idx[k]) {
				st.burst_dups++;
				CHECK(slots[j] == slots[k]);
				CHECK(!((fresh >> j) & 1) || !((fresh >> k) & 1));
				CHECK(!((fresh >> k) & 1)); /* the first one is the new one */
			}
}

/* Look key @i up (generic or constant key length): never inserts. */
static void
do_lookup(struct dc_table *t, const struct ref *r, uint32_t i, int constant)
{
	uint8_t kb[KBUF];
	uint64_t used = t->used;
	uint8_t *s;
	int is_new = -1;

	key_buf(r, i, kb);
	if (constant) {
		s = find_const(t, kb, dc_table_hash(t, kb), 0, &is_new);
		CHECK_EQ(is_new, 0);
	} else {
		s = dc_table_lookup(t, kb, dc_table_hash(t, kb));
	}
	CHECK_EQ(t->used, used);
	st.lookups_absent += r->where[i] == NONE;
	check_slot(t, r, i, s, r->where[i]);
	if (s != NULL && r->where[i] != NONE)
		CHECK(value_ok(t, s, i, r->count[i]));
}

/*
 * Walk every slot by index: exactly the model's slots hold keys, each the
 * model's key with its value, and every empty slot is all zero. Walk the
 * keys in insertion order (dc_table_nth): the model's order.
 */
static void
check_iteration(const struct dc_table *t, const struct ref *r)
{
	uint64_t i, nseen = 0;

	CHECK_EQ(t->used, r->used);
	CHECK_EQ(t->nb_slots, r->nb_slots);
	CHECK_EQ(dc_table_capacity(t), r->capacity);
	CHECK_EQ(dc_table_zero_index(t), r->zero_index);
	for (i = 0; i < dc_table_capacity(t); i++) {
		const uint8_t *s = dc_table_slot(t, i);
		int used = dc_table_slot_used(t, i);

		CHECK_EQ(used != 0, r->occ[i] != 0);
		if (r->occ[i] == 0) {
			CHECK(all_zero(s, t->slot_size));
			continue;
		}
		if (!used)
			continue;
		nseen++;
		CHECK(memcmp(s, ref_key(r, r->occ[i] - 1), r->key_len) == 0);
		CHECK(value_ok(t, s, r->occ[i] - 1, r->count[r->occ[i] - 1]));
	}
	CHECK_EQ(nseen, r->used);
	for (i = 0; i < r->used && i < t->used; i++) {
		const uint8_t *s = dc_table_nth(t, i);
		uint32_t k = r->order[i];

		CHECK(s == dc_table_slot(t, r->where[k]));
		CHECK(memcmp(s, ref_key(r, k), r->key_len) == 0);
	}
}

/* Iterate, clear, and check the table is empty and all zero again. */
static void
retire(struct dc_table *t, struct ref *r)
{
	check_iteration(t, r);
	st.clears++;
	dc_table_clear(t);
	ref_clear(r);
	CHECK_EQ(t->used, 0);
	CHECK(all_zero(dc_table_slot(t, 0), dc_table_capacity(t) * t->slot_size));
	for (uint64_t i = 0; i < dc_table_capacity(t); i++)
		if (dc_table_slot_used(t, i)) {
			CHECK(!dc_table_slot_used(t, i));
			break;
		}
	for (uint32_t i = 0; i < r->n && i < 64; i++)
		do_lookup(t, r, i, i & 1);
}

struct scenario {
	uint32_t key_len, slot_size;
	uint64_t max_entries;
	uint32_t pool;         /* keys drawn from */
	uint32_t ops;
	uint32_t retire_every; /* on average, in ops */
	uint64_t homes;        /* > 0: keys only from the first and last @homes homes */
	uint64_t nb_slots;     /* > 0: dc_table_init_n() with that many home slots */
};

/*
 * Random bursts of upserts (the burst API; one by one generic; one by one
 * with a constant key length) and lookups of present and absent keys, with
 * occasional retire + clear. A tenth of the pool is never upserted.
 */
static void
run_random(const struct scenario *sc, uint64_t seed)
{
	uint64_t nb = sc->nb_slots ? sc->nb_slots : dc_table_slots_for(sc->max_entries);
	size_t sz;
	void *mem = table_mem_n(nb, sc->slot_size, &sz);
	struct dc_table *t =
		sc->nb_slots
			? dc_table_init_n(mem, sc->max_entries, nb, sc->key_len, sc->slot_size, seed)
			: dc_table_init(mem, sc->max_entries, sc->key_len, sc->slot_size, seed);
	uint64_t s = seed * 0x2545F4914F6CDD1Dull + sc->key_len * 1000 + sc->slot_size;
	struct ref r;
	uint32_t upsertable, done = 0;
	int before = dc_test_failures;

	CHECK(t == mem);
	if (t == NULL) {
		free(mem);
		return;
	}
	CHECK_EQ(t->nb_slots, nb);
	CHECK_EQ(t->max_entries, sc->max_entries);
	ref_init(&r, t, sc->pool, &s, 0, sc->homes);
	upsertable = r.n - r.n / 10;
	check_iteration(t, &r); /* empty, though the memory was garbage */
	while (done < sc->ops) {
		uint32_t n = 1 + (uint32_t)(dc_test_rnd(&s) % MAX_BURST), idx[MAX_BURST], j;
		uint64_t x = dc_test_rnd(&s) % 100;

		if (dc_test_rnd(&s) % 8 == 0)
			n = MAX_BURST;
		for (j = 0; j < n; j++) {
			if (x >= 75) /* lookups: any key of the pool */
				idx[j] = (uint32_t)(dc_test_rnd(&s) % r.n);
			else /* recently used keys again, now and then */
				idx[j] = (j > 0 && dc_test_rnd(&s) % 4 == 0)
						 ? idx[dc_test_rnd(&s) % j]
						 : (uint32_t)(dc_test_rnd(&s) % upsertable);
		}
		if (x < 45) {
			do_burst(t, &r, idx, n, round8(sc->key_len) + 8 * (dc_test_rnd(&s) % 3));
		} else if (x < 60) {
			do_upserts(t, &r, idx, n, 0);
		} else if (x < 75) {
			do_upserts(t, &r, idx, n, 1);
		} else {
			for (j = 0; j < n; j++)
				do_lookup(t, &r, idx[j], j & 1);
		}
		CHECK_EQ(t->used, r.used);
		CHECK(t->used <= sc->max_entries);
		done += n;
		if (sc->retire_every && dc_test_rnd(&s) % sc->retire_every < n)
			retire(t, &r);
		if (dc_test_failures != before)
			break;
	}
	if (dc_test_failures == before)
		retire(t, &r);
	CHECK(guard_ok(mem, sz));
	if (dc_test_failures != before)
		fprintf(stderr,
			"  (key %u, slot %u, max_entries %lu, home slots %lu, seed %lu, after %u ops)\n",
			sc->key_len, sc->slot_size, (unsigned long)sc->max_entries, (unsigned long)nb,
			(unsigned long)seed, done);
	ref_free(&r);
	free(mem);
}

static const uint64_t seeds[] = {0, 1, 42, 0xDEADBEEFCAFEF00Dull};

static const struct {
	uint32_t key, slot;
} layouts[] = {
	{1, 8},   {5, 16},   {8, 8},   {12, 32},  {16, 16},  {16, 64},  {17, 24},
	{17, 104}, {24, 128}, {33, 40}, {40, 64}, {47, 48}, {48, 48}, {48, 128},
};

/* Every layout; @nseeds seeds each (rotating through the list). */
static void
for_all_layouts(struct scenario sc, unsigned nseeds)
{
	for (unsigned a = 0; a < DC_ARRAY_SIZE(layouts); a++) {
		if (sc.homes && layouts[a].key < 4)
			continue; /* too few keys with those homes */
		sc.key_len = layouts[a].key;
		sc.slot_size = layouts[a].slot;
		for (unsigned c = 0; c < nseeds; c++)
			run_random(&sc, seeds[(a + c) % DC_ARRAY_SIZE(seeds)]);
	}
}

/* ---- test cases ---------------------------------------------------------- */

static void
t_random_roomy(void)
{
	/* Never full: every new key goes in (1-byte keys: 256 of them at most). */
	for_all_layouts((struct scenario){.max_entries = 5000, .pool = 3000, .ops = 20000,
					  .retire_every = 8000},
			2);
	stats_print("never full");
}

static void
t_random_max_entries(void)
{
	/* About 1800 upsertable keys for 1500 entries: refusals once full. */
	for_all_layouts((struct scenario){.max_entries = 1500, .pool = 2000, .ops = 20000,
					  .retire_every = 12000},
			1);
	/* the same with more home slots than the default, not a multiple of it */
	for_all_layouts((struct scenario){.max_entries = 1500, .pool = 2000, .ops = 20000,
					  .retire_every = 12000,
					  .nb_slots = 3 * 1500 + 7},
			1);
	stats_print("max_entries");
}

static void
t_random_tiny(void)
{
	/* 3 .. 300 home slots: most keys in the spare slots past the last home. */
	static const uint64_t maxes[] = {1, 2, 7, 30, 100};

	for (unsigned i = 0; i < DC_ARRAY_SIZE(maxes); i++)
		for_all_layouts((struct scenario){.max_entries = maxes[i], .pool = 200,
						  .ops = 2000, .retire_every = 700},
				1);
	/* home slots of any number, from the fewest allowed */
	for (unsigned i = 0; i < DC_ARRAY_SIZE(maxes); i++)
		for_all_layouts((struct scenario){.max_entries = maxes[i], .pool = 200,
						  .ops = 1000, .retire_every = 700,
						  .nb_slots = dc_table_slots_for(maxes[i]) + i * 13},
				1);
	stats_print("tiny");
}

static void
t_random_window_full(void)
{
	/*
	 * max_entries 800 (2400 home slots), keys only from homes 0..7 and
	 * 2392..2399: 263 + 263 slots can hold them (the last windows run into
	 * the spare slots), so probe windows overflow long before 800 keys are
	 * in.
	 */
	for_all_layouts((struct scenario){.max_entries = 800, .pool = 900, .ops = 6000,
					  .retire_every = 4000, .homes = 8, .nb_slots = 2400},
			1);
	stats_print("windows full");
}

/* Keys with home slot @home (searched for among random keys). */
static void
keys_with_home(const struct dc_table *t, uint64_t home, uint8_t (*k)[16], unsigned n,
	       uint64_t *s)
{
	unsigned got = 0;

	while (got < n) {
		uint64_t x = dc_test_rnd(s), y = dc_test_rnd(s);

		memcpy(k[got], &x, 8);
		memcpy(k[got] + 8, &y, 8);
		if (dc_table_home(t, dc_table_hash(t, k[got])) == home)
			got++;
	}
}

static uint8_t *
upsert16(struct dc_table *t, const uint8_t *k, int *is_new)
{
	*is_new = -1;
	return dc_table_upsert(t, k, dc_table_hash(t, k), is_new);
}

/* The probe-window-full case, step by step with hand-derived expectations. */
static void
t_window_full_crafted(void)
{
	const uint32_t kl = 16, ss = 32;
	const uint64_t max = 300; /* 900 home slots */
	enum { N = DC_TABLE_MAX_PROBE + 1 };
	static uint8_t k5[N][16], klast[N][16];
	uint8_t k261[1][16], k260[1][16], k4[1][16], zero[16] = {0};
	size_t sz;
	void *mem = table_mem_n(900, ss, &sz);
	struct dc_table *t = dc_table_init_n(mem, max, 900, kl, ss, 7);
	uint64_t s = 99, last;
	int is_new;
	uint8_t *p;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	CHECK_EQ(t->nb_slots, 900);
	last = t->nb_slots - 1;
	keys_with_home(t, 5, k5, N, &s);
	keys_with_home(t, 261, k261, 1, &s);
	keys_with_home(t, 260, k260, 1, &s);
	keys_with_home(t, 4, k4, 1, &s);
	keys_with_home(t, last, klast, N, &s);

	/* 256 keys with home 5 fill slots 5 .. 260, in order. */
	for (unsigned i = 0; i < N - 1; i++) {
		p = upsert16(t, k5[i], &is_new);
		CHECK(p != NULL);
		CHECK_EQ(is_new, 1);
		if (p)
			CHECK_EQ(slot_index(t, p), 5 + i);
	}
	CHECK_EQ(t->used, 256);
	/* The 257th is refused although the table is far from max_entries. */
	p = upsert16(t, k5[N - 1], &is_new);
	CHECK(p == NULL);
	CHECK_EQ(t->used, 256);
	CHECK(dc_table_lookup(t, k5[N - 1], dc_table_hash(t, k5[N - 1])) == NULL);
	/* ... through the burst API too */
	{
		uint64_t h = dc_table_hash(t, k5[N - 1]), fresh = 0, later;
		uint8_t *slot = (uint8_t *)1;

		later = dc_table_find_burst(t, k5[N - 1], 16, &h, 1, &slot, &fresh, 16);
		CHECK_EQ(later, 1);
		dc_table_find_burst_rest(t, k5[N - 1], 16, &h, later, &slot, &fresh, 16);
		CHECK(slot == NULL);
		CHECK_EQ(fresh, 0);
	}
	/* Existing keys still update. */
	for (unsigned i = 0; i < N - 1; i++) {
		p = upsert16(t, k5[i], &is_new);
		CHECK(p != NULL);
		CHECK_EQ(is_new, 0);
		if (p)
			CHECK_EQ(slot_index(t, p), 5 + i);
	}
	/* Home 261 is just past the full window: slot 261. */
	p = upsert16(t, k261[0], &is_new);
	CHECK(p != NULL && is_new == 1);
	if (p)
		CHECK_EQ(slot_index(t, p), 261);
	/* Home 260 is taken, its window goes on: 261 taken, so slot 262. */
	p = upsert16(t, k260[0], &is_new);
	CHECK(p != NULL && is_new == 1);
	if (p)
		CHECK_EQ(slot_index(t, p), 262);
	/* Home 4 is free: slot 4. */
	p = upsert16(t, k4[0], &is_new);
	CHECK(p != NULL && is_new == 1);
	if (p)
		CHECK_EQ(slot_index(t, p), 4);
	CHECK_EQ(t->used, 259);
	/* Still refused; the all-zero key is not in any window: it goes in. */
	CHECK(upsert16(t, k5[N - 1], &is_new) == NULL);
	p = upsert16(t, zero, &is_new);
	CHECK(p != NULL && is_new == 1);
	if (p)
		CHECK_EQ(slot_index(t, p), dc_table_zero_index(t));
	CHECK_EQ(t->used, 260);

	/* The last home's window: the spare slots, no wrap-around to slot 0. */
	dc_table_clear(t);
	CHECK_EQ(t->used, 0);
	for (unsigned i = 0; i < N - 1; i++) {
		p = upsert16(t, klast[i], &is_new);
		CHECK(p != NULL);
		CHECK_EQ(is_new, 1);
		if (p)
			CHECK_EQ(slot_index(t, p), last + i);
	}
	CHECK(slot_index(t, dc_table_nth(t, N - 2)) < dc_table_zero_index(t));
	p = upsert16(t, klast[N - 1], &is_new);
	CHECK(p == NULL);
	CHECK(!dc_table_slot_used(t, 0));
	CHECK(!dc_table_slot_used(t, dc_table_zero_index(t)));
	CHECK_EQ(t->used, 256);
	for (unsigned i = 0; i < N - 1; i++)
		CHECK(dc_table_lookup(t, klast[i], dc_table_hash(t, klast[i])) ==
		      dc_table_slot(t, last + i));
	CHECK(guard_ok(mem, sz));
	free(mem);
}

/* max_entries bounds the keys; refused keys stay absent, others update. */
static void
t_max_entries_explicit(void)
{
	const uint64_t max = 100;
	void *mem = table_mem(max, 32, NULL);
	struct dc_table *t = dc_table_init(mem, max, 16, 32, 3);
	uint8_t k[150][16];
	int is_new;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	for (unsigned i = 0; i < 150; i++) {
		memset(k[i], 0, 16);
		k[i][10] = k[i][11] = 0xFF;
		k[i][12] = 192;
		k[i][13] = 0;
		k[i][14] = 2;
		k[i][15] = (uint8_t)i;
	}
	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < 150; i++) {
			uint8_t *p;

			/* the three ways in, in turn */
			if (i % 3 == 0) {
				p = upsert16(t, k[i], &is_new);
			} else if (i % 3 == 1) {
				p = dc_table_find(t, k[i], dc_table_hash(t, k[i]), 1, &is_new, 16);
			} else {
				uint64_t h = dc_table_hash(t, k[i]), fresh = 0, later;

				later = dc_table_find_burst(t, k[i], 16, &h, 1, &p, &fresh, 16);
				if (later)
					dc_table_find_burst_rest(t, k[i], 16, &h, later, &p, &fresh, 16);
				is_new = (int)fresh;
			}
			if (i < max) {
				CHECK(p != NULL);
				CHECK_EQ(is_new, round == 0);
				if (p) {
					uint64_t c;

					memcpy(&c, p + 16, 8);
					CHECK_EQ(c, round);
					c++;
					memcpy(p + 16, &c, 8);
				}
			} else {
				CHECK(p == NULL);
				CHECK_EQ(is_new, 0);
			}
			CHECK(t->used <= max);
		}
	CHECK_EQ(t->used, max);
	for (unsigned i = 0; i < 150; i++)
		CHECK((dc_table_lookup(t, k[i], dc_table_hash(t, k[i])) != NULL) == (i < max));
	for (unsigned i = 0; i < max && i < t->used; i++) /* insertion order */
		CHECK(memcmp(dc_table_nth(t, i), k[i], 16) == 0);
	free(mem);
}

/* The all-zero key: its own slot, counted in used and max_entries, in the
 * insertion order and the iteration, whatever the garbage after it. */
static void
t_zero_key(void)
{
	const uint32_t kl = 17, ss = 40;
	void *mem = table_mem(3, ss, NULL);
	struct dc_table *t = dc_table_init(mem, 3, kl, ss, 11);
	uint8_t z[3][24], k[3][24];
	uint64_t s = 5, zi, h;
	uint8_t *p, *slot;
	int is_new;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	zi = dc_table_zero_index(t);
	CHECK_EQ(zi, dc_table_capacity(t) - 1);
	CHECK_EQ(zi, t->nb_slots + DC_TABLE_MAX_PROBE);
	for (int i = 0; i < 3; i++) { /* the zero key, garbage after it */
		memset(z[i], 0, kl);
		fill_garbage(z[i] + kl, sizeof(z[i]) - kl, &s);
		gen_key(k[i], kl, &s, NULL);
		k[i][0] |= 1;
		fill_garbage(k[i] + kl, sizeof(k[i]) - kl, &s);
	}
	CHECK_EQ(dc_table_hash(t, z[0]), dc_table_hash(t, z[1]));
	CHECK(dc_table_lookup(t, z[0], dc_table_hash(t, z[0])) == NULL);
	CHECK(!dc_table_slot_used(t, zi));
	CHECK_EQ(t->used, 0);

	p = upsert16(t, k[0], &is_new); /* any key length: the table's */
	CHECK(p != NULL && is_new == 1);
	p = dc_table_find(t, z[0], dc_table_hash(t, z[0]), 1, &is_new, 17);
	CHECK(p != NULL);
	CHECK_EQ(is_new, 1);
	CHECK(p == dc_table_slot(t, zi));
	CHECK_EQ(t->used, 2);
	CHECK(dc_table_slot_used(t, zi));
	CHECK(dc_table_nth(t, 1) == p);
	if (p) {
		CHECK(all_zero(p, ss));
		memset(p + kl, 0x5C, ss - kl); /* a value */
	}
	/* found again: generic, constant, burst, lookup */
	CHECK(dc_table_upsert(t, z[1], dc_table_hash(t, z[1]), &is_new) == p);
	CHECK_EQ(is_new, 0);
	CHECK(dc_table_lookup(t, z[2], dc_table_hash(t, z[2])) == p);
	h = dc_table_hash(t, z[2]);
	{
		uint64_t fresh = 0, later = dc_table_find_burst(t, z[2], 24, &h, 1, &slot, &fresh, 17);

		if (later)
			dc_table_find_burst_rest(t, z[2], 24, &h, later, &slot, &fresh, 17);
		CHECK(slot == p);
		CHECK_EQ(fresh, 0);
	}
	if (p) {
		CHECK_EQ(p[kl], 0x5C);
		CHECK_EQ(p[ss - 1], 0x5C);
	}
	CHECK_EQ(t->used, 2);
	/* the iteration sees both keys, the zero key in the last slot */
	{
		unsigned seen = 0;

		for (uint64_t i = 0; i < dc_table_capacity(t); i++)
			seen += dc_table_slot_used(t, i) != 0;
		CHECK_EQ(seen, 2);
	}
	/* it counts toward max_entries: one more key, then full */
	CHECK(upsert16(t, k[1], &is_new) != NULL);
	CHECK_EQ(t->used, 3);
	CHECK(upsert16(t, k[2], &is_new) == NULL);
	CHECK(dc_table_upsert(t, z[0], dc_table_hash(t, z[0]), &is_new) == p); /* still updates */

	/* cleared: gone, its value zeroed when it comes back */
	dc_table_clear(t);
	CHECK(!dc_table_slot_used(t, zi));
	CHECK(dc_table_lookup(t, z[0], dc_table_hash(t, z[0])) == NULL);
	CHECK(all_zero(dc_table_slot(t, zi), ss));
	/* full of other keys: the zero key is refused, by every way in */
	for (int i = 0; i < 3; i++)
		CHECK(upsert16(t, k[i], &is_new) != NULL);
	CHECK(dc_table_upsert(t, z[0], dc_table_hash(t, z[0]), &is_new) == NULL);
	CHECK(dc_table_find(t, z[1], dc_table_hash(t, z[1]), 1, &is_new, 17) == NULL);
	{
		uint64_t fresh = 0, later = dc_table_find_burst(t, z[2], 24, &h, 1, &slot, &fresh, 17);

		if (later)
			dc_table_find_burst_rest(t, z[2], 24, &h, later, &slot, &fresh, 17);
		CHECK(slot == NULL);
		CHECK_EQ(fresh, 0);
	}
	CHECK(!dc_table_slot_used(t, zi));
	CHECK_EQ(t->used, 3);
	/* cleared again and the zero key first, through a burst: the home slot
	 * of its hash is empty, so round one settles it */
	dc_table_clear(t);
	{
		uint64_t fresh = 0, later = dc_table_find_burst(t, z[2], 24, &h, 1, &slot, &fresh, 17);

		CHECK_EQ(later, 0);
		if (later)
			dc_table_find_burst_rest(t, z[2], 24, &h, later, &slot, &fresh, 17);
		CHECK(slot == dc_table_slot(t, zi));
		CHECK_EQ(fresh, 1);
		CHECK(slot != NULL && all_zero(slot, ss));
	}
	CHECK(dc_table_nth(t, 0) == dc_table_slot(t, zi));
	CHECK_EQ(t->used, 1);
	free(mem);
}

/* A 17-byte key (the real source key): the 7 bytes after it, in the caller's
 * buffer and in the slot, are not part of it. */
static void
t_key_tail(void)
{
	const uint32_t kl = 17, ss = 104;
	void *mem = table_mem(1000, ss, NULL);
	struct dc_table *t = dc_table_init(mem, 1000, kl, ss, 0xC0FFEE);
	uint8_t a[24], b[24], c[24];
	uint64_t s = 17, h;
	int is_new;
	uint8_t *p;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	for (int round = 0; round < 200; round++) {
		for (uint32_t i = 0; i < kl; i++)
			a[i] = (uint8_t)dc_test_rnd(&s);
		fill_garbage(a + kl, 7, &s);
		memcpy(b, a, kl);
		fill_garbage(b + kl, 7, &s);
		memcpy(c, a, kl);
		c[16] ^= 0x01; /* another key, differing in its last byte only */
		fill_garbage(c + kl, 7, &s);
		h = dc_table_hash(t, a);
		CHECK_EQ(h, dc_table_hash(t, b));
		CHECK_EQ(h, nh_ref(t->nh, a, kl));
		CHECK(dc_table_hash(t, c) != h);
		p = dc_table_upsert(t, a, h, &is_new);
		CHECK(p != NULL);
		if (p == NULL)
			break;
		CHECK_EQ(is_new, 1);
		CHECK(all_zero(p + kl, ss - kl)); /* the key bytes only were written */
		memset(p + kl, 0xFF, ss - kl);    /* the value, over the tail word too */
		CHECK(dc_table_lookup(t, b, h) == p);
		CHECK(dc_table_find(t, b, h, 1, &is_new, 17) == p);
		CHECK_EQ(is_new, 0);
		CHECK(dc_table_slot_used(t, slot_index(t, p)));
		CHECK(dc_table_lookup(t, c, dc_table_hash(t, c)) == NULL);
	}
	CHECK_EQ(t->used, 200);
	/* only garbage after an all-zero key: the zero key */
	memset(a, 0, kl);
	fill_garbage(a + kl, 7, &s);
	p = dc_table_upsert(t, a, dc_table_hash(t, a), &is_new);
	CHECK(p == dc_table_slot(t, dc_table_zero_index(t)));
	CHECK_EQ(is_new, 1);
	free(mem);
}

/* Values: zero when a key goes in, kept, zero again after a clear. */
/* dc_table_resize(): an empty table's effective size, down to a few keys
 * and back up to all its memory, rounds of fill, lookup and clear at each
 * (the zero key among them: its slot follows the size); the memory past
 * the effective slots stays zero; a non-empty table, too many slots or
 * keys, too few slots per key are refused. */
static void
t_resize(void)
{
	const uint32_t kl = 16, ss = 64;
	const uint64_t max = 5000;
	static const uint64_t sizes[] = {16, 100, 5000, 700, 4096, 1, 5000};
	void *mem = table_mem(max, ss, NULL);
	struct dc_table *t = dc_table_init(mem, max, kl, ss, 21);
	uint8_t k[KBUF];
	uint64_t r = 4;
	unsigned bad = 0;
	int is_new;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	CHECK_EQ(t->alloc_slots, dc_table_slots_for(max));
	CHECK_EQ(t->alloc_entries, max);
	for (unsigned z = 0; z < DC_ARRAY_SIZE(sizes); z++) {
		uint64_t e = sizes[z], n = 0;

		CHECK_EQ(dc_table_resize(t, e, dc_table_slots_for(e)), 0);
		CHECK_EQ(t->nb_slots, dc_table_slots_for(e));
		CHECK_EQ(t->max_entries, e);
		/* fill to its new size, the zero key first */
		memset(k, 0, sizeof(k));
		bad += dc_table_upsert(t, k, dc_table_hash(t, k), &is_new) !=
		       dc_table_slot(t, dc_table_zero_index(t));
		n++;
		while (n < e) {
			uint8_t *sl;

			for (uint32_t b = 0; b < kl; b++)
				k[b] = (uint8_t)dc_test_rnd(&r);
			sl = dc_table_upsert(t, k, dc_table_hash(t, k), &is_new);
			if (sl != NULL && is_new) {
				memset(sl + kl, 0x5A, ss - kl);
				n++;
			}
		}
		CHECK_EQ(t->used, e);
		for (uint64_t i = 0; i < t->used; i++) {
			const uint8_t *sl = dc_table_nth(t, i);

			bad += dc_table_lookup(t, sl, dc_table_hash(t, sl)) != sl;
			bad += sl >= dc_table_slot(t, dc_table_capacity(t));
		}
		/* a new key is refused past the effective size */
		for (uint32_t b = 0; b < kl; b++)
			k[b] = (uint8_t)dc_test_rnd(&r);
		bad += dc_table_upsert(t, k, dc_table_hash(t, k), &is_new) != NULL;
		CHECK_EQ(dc_table_resize(t, e, dc_table_slots_for(e)), -EINVAL); /* not empty */
		dc_table_clear(t);
		/* the whole memory, not only the effective slots, is zero again */
		CHECK(all_zero(dc_table_slot(t, 0), (dc_table_slots_for(max) + DC_TABLE_MAX_PROBE + 1) * ss));
	}
	CHECK_EQ(dc_table_resize(t, max + 1, dc_table_slots_for(max)), -EINVAL);
	CHECK_EQ(dc_table_resize(t, max, dc_table_slots_for(max) + 1), -EINVAL);
	CHECK_EQ(dc_table_resize(t, 100, 199), -EINVAL);
	CHECK_EQ(dc_table_resize(t, 0, 16), -EINVAL);
	CHECK_EQ(bad, 0);
	free(mem);
}

static void
t_values(void)
{
	const uint32_t kl = 16, ss = 64;
	const uint64_t max = 200;
	void *mem = table_mem(max, ss, NULL);
	struct dc_table *t = dc_table_init(mem, max, kl, ss, 12);
	static uint8_t k[200][16];
	uint64_t s = 3;
	int is_new;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	for (unsigned i = 0; i < max; i++) {
		gen_key(k[i], kl, &s, NULL);
		k[i][0] = (uint8_t)i; /* distinct */
		k[i][1] = 1 + (uint8_t)(i >> 8);
	}
	/* round 0: a few keys (a clear of the used slots), then all of them (a
	 * clear of the whole array, maybe) */
	for (int round = 0; round < 3; round++) {
		unsigned n = round == 0 ? 20 : (unsigned)max;

		for (unsigned i = 0; i < n; i++) {
			uint8_t *p = upsert16(t, k[i], &is_new);

			CHECK(p != NULL);
			if (p == NULL)
				continue;
			CHECK_EQ(is_new, 1);
			CHECK(all_zero(p + kl, ss - kl));
			memset(p + kl, (int)(i + 1), ss - kl);
		}
		CHECK_EQ(t->used, n);
		for (unsigned i = 0; i < n; i++) {
			uint8_t *p = dc_table_lookup(t, k[i], dc_table_hash(t, k[i]));

			CHECK(p != NULL);
			if (p == NULL)
				continue;
			CHECK(memcmp(p, k[i], kl) == 0);
			CHECK_EQ(p[kl], i + 1);
			CHECK_EQ(p[ss - 1], i + 1);
		}
		dc_table_clear(t);
		CHECK_EQ(t->used, 0);
		for (unsigned i = 0; i < max; i++)
			CHECK(dc_table_lookup(t, k[i], dc_table_hash(t, k[i])) == NULL);
		CHECK(all_zero(dc_table_slot(t, 0), dc_table_capacity(t) * ss));
	}
	free(mem);
}

static void
t_init_einval(void)
{
	static const struct {
		uint64_t max;
		uint32_t key, slot;
	} bad[] = {
		{0, 16, 64},   /* no entries */
		{10, 0, 64},   /* empty key */
		{10, 49, 64},  /* key longer than DC_TABLE_MAX_KEY */
		{10, 64, 64},  /* key longer than DC_TABLE_MAX_KEY */
		{10, 16, 36},  /* slot not a multiple of 8 */
		{10, 16, 20},  /* slot not a multiple of 8 */
		{10, 48, 40},  /* key longer than the slot */
		{10, 17, 16},  /* key rounded up to 8 (24) longer than the slot */
		{10, 1, 0},    /* no slot */
		{10, 16, 0},   /* no slot */
	};
	void *mem = table_mem(100, 128, NULL);

	for (unsigned i = 0; i < DC_ARRAY_SIZE(bad); i++) {
		errno = 0;
		CHECK(dc_table_init(mem, bad[i].max, bad[i].key, bad[i].slot, 1) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	errno = 0;
	CHECK(dc_table_init(NULL, 10, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* dc_table_init_n(): fewer home slots than dc_table_slots_for(), or more
	 * than 2^32 - 2^16 (refused before the memory is touched) */
	errno = 0;
	CHECK(dc_table_init_n(mem, 10, dc_table_slots_for(10) - 1, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init_n(mem, 10, 0, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init_n(mem, 10, (1ull << 32) - (1ull << 16) + 1, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init_n(mem, 10, 1ull << 40, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init_n(mem, 0, 100, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init_n(mem, 10, 100, 17, 16, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* so many entries that their home slots would be more than that */
	errno = 0;
	CHECK(dc_table_init(mem, 1ull << 31, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(dc_table_init(mem, 1ull << 40, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* Boundary cases that are valid. */
	CHECK(dc_table_init_n(mem, 10, dc_table_slots_for(10), 16, 64, 1) != NULL);
	CHECK(dc_table_init_n(mem, 10, dc_table_slots_for(10) + 1, 16, 64, 1) != NULL);
	CHECK(dc_table_init(mem, 10, 17, 24, 1) != NULL);
	CHECK(dc_table_init(mem, 10, 48, 48, 1) != NULL);
	CHECK(dc_table_init(mem, 10, 1, 8, 1) != NULL);
	CHECK(dc_table_init(mem, 1, 16, 16, 1) != NULL);
	CHECK(dc_table_init(mem, 100, 8, 128, 1) != NULL);
	free(mem);
}

/* Sizes: home slots per key, and the memory holds the slots and the order. */
static void
t_sizes(void)
{
	static const uint64_t ns[] = {1, 2, 3, 7, 100, 1000, 4096, 12289};
	static const uint32_t ss[] = {8, 24, 64, 104};
	uint64_t s = 77;

	for (unsigned v = 0; v < 2 * DC_ARRAY_SIZE(ns); v++) {
		/* dc_table_init(), then dc_table_init_n() with more home slots */
		unsigned i = v / 2, more = v % 2;
		uint64_t n = ns[i], nb = dc_table_slots_for(n);

		CHECK_EQ(nb, DC_TABLE_SLOTS_PER_KEY * n);
		if (more)
			nb = 2 * nb + 3;
		for (unsigned j = 0; j < DC_ARRAY_SIZE(ss); j++) {
			size_t sz;
			void *mem = table_mem_n(nb, ss[j], &sz);
			uint32_t kl = ss[j] < 24 ? ss[j] : 17;
			struct dc_table *t =
				more ? dc_table_init_n(mem, n, nb, kl, ss[j], n * 31 + j)
				     : dc_table_init(mem, n, kl, ss[j], n * 31 + j);
			const uint8_t *end = (const uint8_t *)mem + sz;
			uint8_t k[KBUF];
			int is_new;

			CHECK(t == mem);
			if (t == NULL) {
				free(mem);
				continue;
			}
			CHECK(sz >= dc_table_capacity(t) * ss[j]);
			CHECK_EQ(t->nb_slots, nb);
			CHECK_EQ(t->max_entries, n);
			CHECK(2 * t->max_entries <= t->nb_slots); /* load at most 1/2 */
			CHECK_EQ(t->used, 0);
			CHECK_EQ(dc_table_capacity(t), nb + DC_TABLE_MAX_PROBE + 1);
			/* the slots and the order fit the memory, after the header */
			CHECK(dc_table_slot(t, 0) >= (uint8_t *)mem + sizeof(struct dc_table));
			CHECK((uintptr_t)dc_table_slot(t, 0) % 64 == 0);
			CHECK(dc_table_slot(t, dc_table_capacity(t) - 1) + ss[j] <= end);
			CHECK((const uint8_t *)t->order >= dc_table_slot(t, dc_table_capacity(t)) ||
			      (const uint8_t *)(t->order + n) <= dc_table_slot(t, 0));
			CHECK((const uint8_t *)(t->order + n) <= end);
			CHECK((uintptr_t)t->order % sizeof(uint32_t) == 0);
			/* empty, whatever the memory held */
			for (uint64_t x = 0; x < dc_table_capacity(t); x++)
				if (dc_table_slot_used(t, x)) {
					CHECK(!dc_table_slot_used(t, x));
					break;
				}
			CHECK(all_zero(dc_table_slot(t, 0), dc_table_capacity(t) * ss[j]));
			/* fill it up to max_entries (the zero key among them), write every value */
			memset(k, 0, sizeof(k));
			for (uint64_t x = 0; t->used < n && x < 100 * n; x++) {
				uint8_t *p;

				if (x > 0)
					for (uint32_t b = 0; b < kl; b++)
						k[b] = (uint8_t)dc_test_rnd(&s);
				p = dc_table_upsert(t, k, dc_table_hash(t, k), &is_new);
				if (p)
					memset(p + kl, 0x3C, ss[j] - kl);
			}
			CHECK_EQ(t->used, n);
			CHECK(dc_table_slot_used(t, dc_table_zero_index(t)));
			CHECK(guard_ok(mem, sz));
			dc_table_clear(t);
			CHECK(all_zero(dc_table_slot(t, 0), dc_table_capacity(t) * ss[j]));
			CHECK(guard_ok(mem, sz));
			free(mem);
		}
	}
}

/* The hash: keyed NH from the seed, the home slot from its high half. */
static void
t_hash(void)
{
	uint8_t k[KBUF], k2[KBUF];
	uint64_t s = 5;

	for (unsigned i = 0; i < DC_ARRAY_SIZE(seeds); i++) {
		uint32_t w[MAX_KEY / 4];

		nh_words_ref(seeds[i], w);
		for (uint32_t len = 1; len <= MAX_KEY; len++) {
			uint32_t slot = round8(len);
			uint64_t max = 100 + 37 * len;
			void *mem = table_mem(max, slot, NULL);
			struct dc_table *t = dc_table_init(mem, max, len, slot, seeds[i]);

			CHECK(t != NULL);
			if (t == NULL) {
				free(mem);
				continue;
			}
			CHECK_EQ(t->key_len, len);
			CHECK(memcmp(t->nh, w, sizeof(w)) == 0); /* the secret from the seed */
			for (unsigned j = 0; j < 100; j++) {
				uint64_t h;

				gen_key(k, len, &s, NULL);
				fill_garbage(k + len, KBUF - len, &s);
				memcpy(k2, k, len);
				fill_garbage(k2 + len, KBUF - len, &s);
				h = dc_table_hash(t, k);
				CHECK_EQ(h, nh_ref(w, k, len));
				CHECK_EQ(dc_table_hash(t, k2), h); /* the garbage is ignored */
				CHECK_EQ(dc_hash_nh(k2, len, dc_hash_fixed_nh),
					 nh_ref(dc_hash_fixed_nh, k, len));
				if (len == 24) { /* the three-word form, from the key's words */
					uint64_t w0, w1, w2;

					memcpy(&w0, k, 8);
					memcpy(&w1, k + 8, 8);
					memcpy(&w2, k + 16, 8);
					CHECK_EQ(dc_hash_nh24(w0, w1, w2, t->nh), nh_ref(w, k, len));
				}
				CHECK_EQ(dc_table_home(t, h), ((h >> 32) * t->nb_slots) >> 32);
				CHECK(dc_table_home(t, h) < t->nb_slots);
			}
			free(mem);
		}
	}
}

/* dc_hash_nh_burst() and dc_hash_nh_burst_ptr() (AVX2 four keys at a time
 * when the CPU has it, then the tail one by one) give the reference NH of every key: every key length,
 * strides from packed to padded, burst lengths around multiples of 4, the
 * bytes between keys random (only the key's own are hashed). */
static void
t_hash_burst(void)
{
	static const unsigned ns[] = {0, 1, 3, 4, 5, 7, 8, 31, 32, 33, 64, 67};
	uint64_t s = 11, out[68], ref;
	uint32_t w[MAX_KEY / 4];

	printf("  (hash burst kernel: %s)\n", dc_hash_nh_kernel());
	nh_words_ref(seeds[0], w);
	for (uint32_t len = 1; len <= MAX_KEY; len++) {
		const size_t strides[] = {round8(len), round8(len) + 8, 24, 48, 64, 72};

		for (unsigned si = 0; si < DC_ARRAY_SIZE(strides); si++) {
			size_t stride = strides[si];
			uint8_t *buf;

			if (stride < round8(len))
				continue;
			buf = malloc(stride * 68 + 16);
			if (buf == NULL) {
				CHECK(buf != NULL);
				return;
			}
			for (unsigned ni = 0; ni < DC_ARRAY_SIZE(ns); ni++) {
				unsigned n = ns[ni], bad = 0;

				fill_garbage(buf, stride * 68 + 16, &s);
				for (unsigned i = 0; i < 68; i++)
					out[i] = 0x5A5A5A5A5A5A5A5Aull;
				dc_hash_nh_burst(buf, stride, len, w, n, out);
				for (unsigned i = 0; i < n; i++) {
					ref = nh_ref(w, buf + i * stride, len);
					bad += out[i] != ref;
				}
				CHECK_EQ(bad, 0);
				CHECK_EQ(out[n], 0x5A5A5A5A5A5A5A5Aull); /* nothing past n */
				if (bad)
					printf("  len %u stride %zu n %u: %u wrong\n", len, stride, n, bad);
				/* by pointer: the same keys in a shuffled order */
				const void *kp[68];
				unsigned perm[68];

				for (unsigned i = 0; i < n; i++)
					perm[i] = i;
				for (unsigned i = n; i > 1; i--) {
					unsigned j = (unsigned)(dc_test_rnd(&s) % i), x = perm[i - 1];

					perm[i - 1] = perm[j];
					perm[j] = x;
				}
				for (unsigned i = 0; i < n; i++)
					kp[i] = buf + perm[i] * stride;
				for (unsigned i = 0; i < 68; i++)
					out[i] = 0x5A5A5A5A5A5A5A5Aull;
				dc_hash_nh_burst_ptr(kp, len, w, n, out);
				bad = 0;
				for (unsigned i = 0; i < n; i++)
					bad += out[i] != nh_ref(w, kp[i], len);
				CHECK_EQ(bad, 0);
				CHECK_EQ(out[n], 0x5A5A5A5A5A5A5A5Aull);
				if (bad)
					printf("  by pointer: len %u stride %zu n %u: %u wrong\n", len, stride,
					       n, bad);
			}
			free(buf);
		}
	}
}

/* Different seeds: different homes for most keys, and keys that share a
 * home under one seed are scattered under another (NH is keyed). */
static void
t_hash_keyed(void)
{
	const uint64_t max = 100; /* 300 home slots */
	void *ma = table_mem(max, 16, NULL), *mb = table_mem(max, 16, NULL);
	void *mc = table_mem(100000, 16, NULL), *md = table_mem(100000, 16, NULL);
	struct dc_table *a = dc_table_init(ma, max, 16, 16, 1);
	struct dc_table *b = dc_table_init(mb, max, 16, 16, 2);
	struct dc_table *c = dc_table_init(mc, 100000, 16, 16, 42);
	struct dc_table *d = dc_table_init(md, 100000, 16, 16, 43);
	uint8_t k0[16] = {0}, k[16] = {0};
	unsigned same_a = 0, same_both = 0, same_cd = 0;
	uint64_t a0, b0;

	CHECK(a && b && c && d);
	if (!a || !b || !c || !d)
		goto out;
	k0[15] = 1;
	a0 = dc_table_home(a, dc_table_hash(a, k0));
	b0 = dc_table_home(b, dc_table_hash(b, k0));
	k[10] = k[11] = 0xFF;
	for (uint32_t v = 2; v < 200000; v++) {
		memcpy(k + 12, &v, 4);
		if (dc_table_home(c, dc_table_hash(c, k)) == dc_table_home(d, dc_table_hash(d, k)))
			same_cd++;
		if (dc_table_home(a, dc_table_hash(a, k)) != a0)
			continue;
		same_a++;
		same_both += dc_table_home(b, dc_table_hash(b, k)) == b0;
	}
	printf("keys sharing a key's home: %u under seed 1, %u of those under seed 2 too; "
	       "same home under seeds 42 and 43: %u of 199998\n",
	       same_a, same_both, same_cd);
	CHECK(same_a > 300);
	CHECK(same_both * 20 < same_a);
	CHECK(same_cd < 100); /* 300000 home slots: about 1 expected */
out:
	free(ma);
	free(mb);
	free(mc);
	free(md);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"init rejects bad sizes (EINVAL)", t_init_einval},
		{"sizes: slots per key, memory bounds", t_sizes},
		{"hash is keyed NH from the seed", t_hash},
		{"hash of a burst (AVX2 or scalar) equals NH", t_hash_burst},
		{"the seed decides which keys collide", t_hash_keyed},
		{"17-byte keys: bytes after the key ignored", t_key_tail},
		{"values zeroed on insert and clear", t_values},
		{"effective size of an empty table, down and up", t_resize},
		{"the all-zero key", t_zero_key},
		{"max_entries, explicit", t_max_entries_explicit},
		{"probe window full, explicit", t_window_full_crafted},
		{"random ops, never full", t_random_roomy},
		{"random ops, max_entries reached", t_random_max_entries},
		{"random ops, tiny tables", t_random_tiny},
		{"random ops, probe windows full", t_random_window_full},
	};

	return dc_test_run("table", cases, DC_ARRAY_SIZE(cases));
}
