/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dc_table against an independent reference, on random operation sequences.
 *
 * The reference is a sorted array of the test's keys (a "pool") with, for
 * each key, whether it is in the table and its update count, the insertion
 * order, and a model of the documented placement rule: per group, how many
 * slots are used. Keys are never removed, so a new key goes to the first
 * free slot of the first group of its probe window (home .. home +
 * DC_TABLE_MAX_PROBE - 1, wrapping) that has one (groups fill in slot
 * order), and is refused when there is none or when max_entries keys are in.
 * Every expected value (found / inserted / refused, is_new, counts, value
 * bytes, used, per-group occupancy, the set of keys seen when iterating by
 * slot, the keys in insertion order) comes from that reference. The only
 * thing taken from the table is the home group of a key (its public hash),
 * which is itself checked against the hash written out again (NH).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dc_table.h"
#include "dc_test.h"

#define MAX_KEY 48
#define BURST 32

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void *
table_mem(uint64_t max_entries, uint32_t slot_size, size_t *size)
{
	size_t sz = dc_table_mem_size(dc_table_groups_for(max_entries), slot_size);
	void *m;

	sz = (sz + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
	m = aligned_alloc(64, sz);
	if (m == NULL) {
		fprintf(stderr, "out of memory (%zu bytes)\n", sz);
		exit(1);
	}
	memset(m, 0xA5, sz); /* garbage: init must not rely on zeroed memory */
	if (size)
		*size = sz;
	return m;
}

/* ---- the reference ---------------------------------------------------- */

struct ref {
	uint32_t key_len;
	uint32_t n;          /* keys in the pool, sorted, distinct */
	uint8_t *keys;       /* n * key_len */
	uint64_t *home;      /* home group of each key in the table under test */
	uint8_t *present;
	uint64_t *count;
	/* placement model */
	uint64_t nb_groups;
	uint64_t max_entries;
	uint64_t used;
	uint8_t *fill;       /* used slots per group */
	uint32_t *order;     /* pool index of each key in the table, in insertion order */
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

/* Index of @key in the pool, or -1. */
static int64_t
ref_find(const struct ref *r, const uint8_t *key)
{
	const uint8_t *p;

	g_cmp_len = r->key_len;
	p = bsearch(key, r->keys, r->n, r->key_len, cmp_key);
	return p ? (int64_t)((size_t)(p - r->keys) / r->key_len) : -1;
}

/* One random key of one of several shapes. */
static void
gen_key(uint8_t *k, uint32_t len, uint64_t *s, const uint8_t *prev)
{
	uint64_t x = rnd(s);

	switch (x % 8) {
	case 0: /* IPv4-mapped IPv6 address, the real per-source key */
		memset(k, 0, len);
		k[10] = 0xFF;
		k[11] = 0xFF;
		x = rnd(s);
		memcpy(k + 12, &x, 4);
		break;
	case 1: /* a neighbour of the previous key: one bit flipped */
		if (prev) {
			memcpy(k, prev, len);
			x = rnd(s);
			k[(x >> 8) % len] ^= (uint8_t)(1u << (x & 7));
			break;
		}
		/* fall through */
	default:
		for (uint32_t i = 0; i < len; i += 8) {
			x = rnd(s);
			memcpy(k + i, &x, 8);
		}
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
 * A pool of about @n keys. With @homes (nb_homes entries), only keys whose
 * home group in @t is one of them are kept, to fill probe windows on purpose.
 */
static void
ref_init(struct ref *r, const struct dc_table *t, uint32_t n, uint64_t *s, const uint64_t *homes,
	 unsigned nb_homes)
{
	uint8_t k[MAX_KEY];
	uint32_t got = 0;

	memset(r, 0, sizeof(*r));
	r->key_len = t->key_len;
	r->keys = malloc((size_t)n * r->key_len);
	if (r->keys == NULL)
		exit(1);
	if (n > 0) { /* the all-zero key is a key like any other */
		memset(r->keys, 0, r->key_len);
		if (nb_homes == 0)
			got = 1;
	}
	while (got < n) {
		gen_key(k, r->key_len, s, got ? ref_key(r, got - 1) : NULL);
		if (nb_homes) {
			uint64_t h = dc_table_home(t, dc_table_hash(t, k));
			unsigned j;

			for (j = 0; j < nb_homes && homes[j] != h; j++)
				;
			if (j == nb_homes)
				continue;
		}
		memcpy(r->keys + (size_t)got * r->key_len, k, r->key_len);
		got++;
	}
	r->n = n;
	ref_sort(r);
	r->home = calloc(r->n + 1, sizeof(*r->home));
	r->present = calloc(r->n + 1, 1);
	r->count = calloc(r->n + 1, sizeof(*r->count));
	r->nb_groups = dc_table_groups_for(t->max_entries);
	r->max_entries = t->max_entries;
	r->fill = calloc(r->nb_groups, 1);
	r->order = calloc(r->n + 1, sizeof(*r->order));
	if (!r->home || !r->present || !r->count || !r->fill || !r->order)
		exit(1);
	for (uint32_t i = 0; i < r->n; i++)
		r->home[i] = dc_table_home(t, dc_table_hash(t, ref_key(r, i)));
}

static void
ref_free(struct ref *r)
{
	free(r->keys);
	free(r->home);
	free(r->present);
	free(r->count);
	free(r->fill);
	free(r->order);
}

static uint64_t
window(const struct ref *r)
{
	return r->nb_groups < DC_TABLE_MAX_PROBE ? r->nb_groups : DC_TABLE_MAX_PROBE;
}

/* Group where a new key with @home goes, or UINT64_MAX if it is refused. */
static uint64_t
ref_place(const struct ref *r, uint64_t home)
{
	if (r->used >= r->max_entries)
		return UINT64_MAX;
	for (uint64_t p = 0; p < window(r); p++) {
		uint64_t g = (home + p) & (r->nb_groups - 1);

		if (r->fill[g] < DC_TABLE_GROUP)
			return g;
	}
	return UINT64_MAX;
}

static void
ref_clear(struct ref *r)
{
	memset(r->present, 0, r->n);
	memset(r->count, 0, r->n * sizeof(*r->count));
	memset(r->fill, 0, r->nb_groups);
	r->used = 0;
}

/* Value bytes 8.. of key @i after @count updates (bytes 0..7 hold the count). */
static uint8_t
pattern(uint32_t i, uint64_t count, uint32_t j)
{
	return (uint8_t)(i * 131u + count * 7u + j);
}

static void
value_write(const struct dc_table *t, uint8_t *slot, uint32_t i, uint64_t count)
{
	uint8_t *v = slot + t->key_len;

	memcpy(v, &count, 8);
	for (uint32_t j = 8; j < t->slot_size - t->key_len; j++)
		v[j] = pattern(i, count, j);
}

static int
value_ok(const struct dc_table *t, const uint8_t *slot, uint32_t i, uint64_t count)
{
	const uint8_t *v = slot + t->key_len;
	uint64_t c;

	memcpy(&c, v, 8);
	if (c != count)
		return 0;
	for (uint32_t j = 8; j < t->slot_size - t->key_len; j++)
		if (v[j] != pattern(i, count, j))
			return 0;
	return 1;
}

static int
value_zero(const struct dc_table *t, const uint8_t *slot)
{
	for (uint32_t j = t->key_len; j < t->slot_size; j++)
		if (slot[j] != 0)
			return 0;
	return 1;
}

static uint64_t
slot_index(const struct dc_table *t, const uint8_t *slot)
{
	return (uint64_t)(slot - dc_table_slot(t, 0)) / t->slot_size;
}

/* ---- checks against the reference ------------------------------------- */

/* Upsert key @i of the pool (hash @h already computed, maybe prefetched). */
static void
do_upsert(struct dc_table *t, struct ref *r, uint32_t i, uint64_t h)
{
	const uint8_t *key = ref_key(r, i);
	int is_new = -1;
	uint8_t *s = dc_table_upsert(t, key, h, &is_new);

	if (r->present[i]) {
		CHECK(s != NULL);
		CHECK_EQ(is_new, 0);
		if (s == NULL)
			return;
		CHECK(memcmp(s, key, r->key_len) == 0);
		CHECK(value_ok(t, s, i, r->count[i]));
	} else {
		uint64_t g = ref_place(r, r->home[i]);

		if (g == UINT64_MAX) {
			CHECK(s == NULL);
			return;
		}
		CHECK(s != NULL);
		CHECK_EQ(is_new, 1);
		if (s == NULL)
			return;
		CHECK(memcmp(s, key, r->key_len) == 0);
		CHECK(value_zero(t, s));
		/* the group's first free slot: where dc_table_prefetch_slot() looked */
		CHECK_EQ(slot_index(t, s), g * DC_TABLE_GROUP + r->fill[g]);
		r->fill[g]++;
		r->order[r->used++] = i;
		r->present[i] = 1;
	}
	r->count[i]++;
	value_write(t, s, i, r->count[i]);
}

static void
do_lookup(const struct dc_table *t, const struct ref *r, uint32_t i)
{
	const uint8_t *key = ref_key(r, i);
	uint8_t *s = dc_table_lookup(t, key, dc_table_hash(t, key));

	if (!r->present[i]) {
		CHECK(s == NULL);
		return;
	}
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(memcmp(s, key, r->key_len) == 0);
	CHECK(value_ok(t, s, i, r->count[i]));
}

/*
 * Retire: walk every slot by index; the keys and values seen must be exactly
 * the reference's, each slot in its key's probe window, each group holding
 * as many keys as the model says. Walk the keys in insertion order
 * (dc_table_nth): the reference's order. Then clear and check the table is
 * empty.
 */
static void
retire(struct dc_table *t, struct ref *r)
{
	uint8_t *seen = calloc(r->n + 1, 1);
	uint64_t *fill = calloc(r->nb_groups, sizeof(*fill));
	uint64_t nseen = 0, i, g;

	if (!seen || !fill)
		exit(1);
	CHECK_EQ(dc_table_capacity(t), r->nb_groups * DC_TABLE_GROUP);
	for (i = 0; i < dc_table_capacity(t); i++) {
		const uint8_t *s;
		int64_t k;

		if (!dc_table_slot_used(t, i))
			continue;
		s = dc_table_slot(t, i);
		k = ref_find(r, s);
		CHECK(k >= 0);
		if (k < 0)
			continue;
		CHECK(r->present[k]);
		CHECK(!seen[k]);
		seen[k] = 1;
		nseen++;
		CHECK(value_ok(t, s, (uint32_t)k, r->count[k]));
		g = i / DC_TABLE_GROUP;
		CHECK(((g - r->home[k]) & (r->nb_groups - 1)) < window(r));
		fill[g]++;
	}
	CHECK_EQ(nseen, r->used);
	for (g = 0; g < r->nb_groups; g++)
		CHECK_EQ(fill[g], r->fill[g]);
	free(seen);
	free(fill);
	CHECK_EQ(t->used, r->used);
	for (i = 0; i < r->used && i < t->used; i++) {
		const uint8_t *s = dc_table_nth(t, i);

		CHECK(memcmp(s, ref_key(r, r->order[i]), r->key_len) == 0);
		CHECK(value_ok(t, s, r->order[i], r->count[r->order[i]]));
	}

	dc_table_clear(t);
	ref_clear(r);
	CHECK_EQ(t->used, 0);
	for (i = 0; i < dc_table_capacity(t); i++)
		if (dc_table_slot_used(t, i)) {
			CHECK(!dc_table_slot_used(t, i));
			break;
		}
	for (i = 0; i < r->n && i < 64; i++)
		do_lookup(t, r, (uint32_t)i);
}

struct scenario {
	uint32_t key_len, slot_size;
	uint64_t max_entries;
	uint32_t pool;        /* keys drawn from */
	uint32_t ops;
	uint32_t retire_every; /* on average, in ops */
	const uint64_t *homes; /* restrict keys to these home groups (window-full) */
	unsigned nb_homes;
};

/*
 * Random bursts of upserts (through the staged API: hash all, prefetch all,
 * prefetch_slot all, upsert all) and lookups of present and absent keys,
 * with occasional retire+clear. A tenth of the pool is never upserted.
 */
static void
run_random(const struct scenario *sc, uint64_t seed)
{
	size_t sz;
	void *mem = table_mem(sc->max_entries, sc->slot_size, &sz);
	struct dc_table *t = dc_table_init(mem, sc->max_entries, sc->key_len, sc->slot_size, seed);
	uint64_t s = seed * 0x2545F4914F6CDD1Dull + sc->key_len * 1000 + sc->slot_size;
	struct ref r;
	uint32_t upsertable, done = 0;
	int before = dc_test_failures;

	CHECK(t == mem);
	if (t == NULL) {
		free(mem);
		return;
	}
	CHECK((uint8_t *)dc_table_slot(t, dc_table_capacity(t) - 1) + sc->slot_size <=
	      (uint8_t *)mem + sz);
	ref_init(&r, t, sc->pool, &s, sc->homes, sc->nb_homes);
	upsertable = r.n - r.n / 10;
	while (done < sc->ops) {
		uint32_t n = 1 + (uint32_t)(rnd(&s) % BURST), idx[BURST], j;
		uint64_t h[BURST], x = rnd(&s);

		if (x % 100 < 70) { /* a burst of upserts */
			for (j = 0; j < n; j++) {
				/* recently used keys again, now and then */
				idx[j] = (j > 0 && rnd(&s) % 4 == 0) ? idx[rnd(&s) % j]
								     : (uint32_t)(rnd(&s) % upsertable);
				h[j] = dc_table_hash(t, ref_key(&r, idx[j]));
			}
			for (j = 0; j < n; j++)
				dc_table_prefetch(t, h[j]);
			for (j = 0; j < n; j++)
				dc_table_prefetch_slot(t, h[j]);
			for (j = 0; j < n; j++)
				do_upsert(t, &r, idx[j], h[j]);
		} else { /* lookups, present or absent */
			for (j = 0; j < n; j++)
				do_lookup(t, &r, (uint32_t)(rnd(&s) % r.n));
		}
		CHECK_EQ(t->used, r.used);
		CHECK(t->used <= sc->max_entries);
		done += n;
		if (sc->retire_every && rnd(&s) % sc->retire_every < n)
			retire(t, &r);
		if (dc_test_failures != before) {
			fprintf(stderr, "  (key %u, slot %u, max_entries %lu, seed %lu, after %u ops)\n",
				sc->key_len, sc->slot_size, (unsigned long)sc->max_entries,
				(unsigned long)seed, done);
			break;
		}
	}
	retire(t, &r);
	ref_free(&r);
	free(mem);
}

static const uint64_t seeds[] = {0, 1, 42, 0xDEADBEEFCAFEF00Dull};
static const uint32_t key_lens[] = {16, 48};
static const uint32_t slot_sizes[] = {32, 64, 128};

static void
for_all_layouts(struct scenario sc)
{
	for (unsigned a = 0; a < DC_ARRAY_SIZE(key_lens); a++)
		for (unsigned b = 0; b < DC_ARRAY_SIZE(slot_sizes); b++) {
			if (key_lens[a] > slot_sizes[b] || slot_sizes[b] - key_lens[a] < 8)
				continue; /* no room for the test's 8-byte count */
			sc.key_len = key_lens[a];
			sc.slot_size = slot_sizes[b];
			for (unsigned c = 0; c < DC_ARRAY_SIZE(seeds); c++)
				run_random(&sc, seeds[c]);
		}
}

/* ---- test cases -------------------------------------------------------- */

static void
t_random_roomy(void)
{
	/* Never full: every new key goes in. */
	for_all_layouts((struct scenario){.max_entries = 20000, .pool = 3000, .ops = 40000,
					  .retire_every = 15000});
}

static void
t_random_max_entries(void)
{
	/* 4500 upsertable keys for 4000 entries: refusals once full. */
	for_all_layouts((struct scenario){.max_entries = 4000, .pool = 5000, .ops = 60000,
					  .retire_every = 20000});
}

static void
t_random_tiny(void)
{
	/* 1 group (max 1, 7), 4 groups (max 30): windows shorter than MAX_PROBE. */
	static const uint64_t maxes[] = {1, 7, 30, 100};

	for (unsigned i = 0; i < DC_ARRAY_SIZE(maxes); i++)
		for_all_layouts((struct scenario){.max_entries = maxes[i], .pool = 200,
						  .ops = 5000, .retire_every = 1500});
}

static void
t_random_window_full(void)
{
	/*
	 * max_entries 1000 (128 groups), keys only from five home groups, one at
	 * the end of the table so that its window wraps: the windows fill up
	 * long before 1000 keys are in.
	 */
	static const uint64_t homes[] = {0, 1, 2, 9, 127};
	uint64_t g = dc_table_groups_for(1000);

	CHECK_EQ(g, 128);
	for_all_layouts((struct scenario){.max_entries = 1000, .pool = 1500, .ops = 20000,
					  .retire_every = 8000, .homes = homes,
					  .nb_homes = DC_ARRAY_SIZE(homes)});
}

/* The probe-window-full case, step by step with hand-derived expectations. */
static void
t_window_full_crafted(void)
{
	const uint32_t kl = 16, ss = 64;
	void *mem = table_mem(1000, ss, NULL);
	struct dc_table *t = dc_table_init(mem, 1000, kl, ss, 7);
	enum { N5 = DC_TABLE_GROUP * DC_TABLE_MAX_PROBE + 1 };
	static uint8_t k5[N5][16]; /* home 5: 256 fit in groups 5..20 */
	uint8_t k21[16], k20[16], k[16];
	uint64_t s = 99;
	unsigned n5 = 0, have21 = 0, have20 = 0;
	int is_new;
	uint8_t *p;

	CHECK(t != NULL);
	if (t == NULL) {
		free(mem);
		return;
	}
	CHECK_EQ(t->nb_groups, 128);
	while (n5 < N5 || !have21 || !have20) {
		uint64_t x = rnd(&s), y = rnd(&s), home;

		memcpy(k, &x, 8);
		memcpy(k + 8, &y, 8);
		home = dc_table_home(t, dc_table_hash(t, k));
		if (home == 5 && n5 < N5)
			memcpy(k5[n5++], k, 16);
		else if (home == 21 && !have21)
			memcpy(k21, k, 16), have21 = 1;
		else if (home == 20 && !have20)
			memcpy(k20, k, 16), have20 = 1;
	}
	/* 256 keys with home 5 fill groups 5..20, in order. */
	for (unsigned i = 0; i < N5 - 1; i++) {
		p = dc_table_upsert(t, k5[i], dc_table_hash(t, k5[i]), &is_new);
		CHECK(p != NULL);
		CHECK_EQ(is_new, 1);
		if (p)
			CHECK_EQ(slot_index(t, p) / DC_TABLE_GROUP, 5 + i / DC_TABLE_GROUP);
	}
	CHECK_EQ(t->used, 256);
	/* The 257th is refused although the table is far from max_entries. */
	p = dc_table_upsert(t, k5[N5 - 1], dc_table_hash(t, k5[N5 - 1]), &is_new);
	CHECK(p == NULL);
	CHECK_EQ(t->used, 256);
	CHECK(dc_table_lookup(t, k5[N5 - 1], dc_table_hash(t, k5[N5 - 1])) == NULL);
	/* Existing keys still update. */
	for (unsigned i = 0; i < N5 - 1; i++) {
		p = dc_table_upsert(t, k5[i], dc_table_hash(t, k5[i]), &is_new);
		CHECK(p != NULL);
		CHECK_EQ(is_new, 0);
		if (p)
			CHECK(memcmp(p, k5[i], 16) == 0);
	}
	/* Home 21 is outside the full window: group 21. */
	p = dc_table_upsert(t, k21, dc_table_hash(t, k21), &is_new);
	CHECK(p != NULL);
	CHECK_EQ(is_new, 1);
	if (p)
		CHECK_EQ(slot_index(t, p) / DC_TABLE_GROUP, 21);
	/* Home 20 is full, but its window goes on to 21 (1 used), so group 21. */
	p = dc_table_upsert(t, k20, dc_table_hash(t, k20), &is_new);
	CHECK(p != NULL);
	CHECK_EQ(is_new, 1);
	if (p)
		CHECK_EQ(slot_index(t, p) / DC_TABLE_GROUP, 21);
	CHECK_EQ(t->used, 258);
	/* Still refused. */
	CHECK(dc_table_upsert(t, k5[N5 - 1], dc_table_hash(t, k5[N5 - 1]), &is_new) == NULL);
	CHECK_EQ(t->used, 258);
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
			uint8_t *p = dc_table_upsert(t, k[i], dc_table_hash(t, k[i]), &is_new);

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
			}
			CHECK(t->used <= max);
		}
	CHECK_EQ(t->used, max);
	for (unsigned i = 0; i < 150; i++)
		CHECK((dc_table_lookup(t, k[i], dc_table_hash(t, k[i])) != NULL) == (i < max));
	for (unsigned i = 0; i < max; i++) /* insertion order */
		CHECK(memcmp(dc_table_nth(t, i), k[i], 16) == 0);
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
		{10, 12, 64},  /* key not a multiple of 8 */
		{10, 16, 36},  /* slot not a multiple of 8 */
		{10, 48, 32},  /* key longer than the slot */
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
	/* more slots than a 32-bit slot index (insertion order) can name */
	errno = 0;
	CHECK(dc_table_init(mem, 1ull << 40, 16, 64, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* Boundary cases that are valid. */
	CHECK(dc_table_init(mem, 10, 16, 16, 1) != NULL);
	CHECK(dc_table_init(mem, 100, 8, 128, 1) != NULL);
	free(mem);
}

static void
t_groups_for(void)
{
	static const uint64_t ns[] = {1, 2, 11, 12, 13, 16, 100, 1000, 4096, 12288, 12289,
				      1000000, 16000000};

	for (unsigned i = 0; i < DC_ARRAY_SIZE(ns); i++) {
		uint64_t n = ns[i], g = dc_table_groups_for(n);

		CHECK(g >= 1);
		CHECK((g & (g - 1)) == 0);
		/* load factor at most 3/4 */
		CHECK(4 * n <= 3 * g * DC_TABLE_GROUP);
		/* and not needlessly large: half the groups would not do */
		CHECK(g == 1 || 4 * n > 3 * (g / 2) * DC_TABLE_GROUP - 4);
		CHECK(dc_table_mem_size(g, 64) >= g * DC_TABLE_GROUP * (64 + 1));
	}
}

/* The hash written out again: splitmix64 words from the seed, NH over the
 * key's 32-bit word pairs, MurmurHash3's fmix64. */
static uint64_t
nh_ref(uint64_t seed, const uint8_t *p, size_t n)
{
	uint32_t w[12];
	uint64_t acc = n, x;

	for (int i = 0; i < 12; i++) {
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		w[i] = (uint32_t)(z ^ (z >> 31));
	}
	for (size_t i = 0; i < n; i += 8) {
		uint32_t lo = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		uint32_t hi = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 | (uint32_t)p[i + 6] << 16 | (uint32_t)p[i + 7] << 24;

		acc += (uint64_t)(uint32_t)(lo + w[i / 4]) * (uint32_t)(hi + w[i / 4 + 1]);
	}
	x = acc;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Keys that share a home group under one seed are scattered under another:
 * the seed matters (it would not for a linear hash such as CRC). */
static void
t_hash_keyed(void)
{
	uint8_t k0[16] = {0}, k[16] = {0};
	void *ma = table_mem(100000, 32, NULL), *mb = table_mem(100000, 32, NULL);
	struct dc_table *a = dc_table_init(ma, 100000, 16, 32, 1);
	struct dc_table *b = dc_table_init(mb, 100000, 16, 32, 2);
	unsigned same_a = 0, same_both = 0;

	for (uint32_t v = 1; v < (1u << 22); v++) {
		memcpy(k + 12, &v, 4);
		if (dc_table_home(a, dc_table_hash(a, k)) != dc_table_home(a, dc_table_hash(a, k0)))
			continue;
		same_a++;
		same_both += dc_table_home(b, dc_table_hash(b, k)) == dc_table_home(b, dc_table_hash(b, k0));
	}
	printf("keys sharing key 0's group: %u under seed 1, %u of those under seed 2 too\n",
	       same_a, same_both);
	CHECK(same_a > 100);
	CHECK(same_both * 20 < same_a);
	free(ma);
	free(mb);
}

static void
t_hash(void)
{
	uint8_t k[48];
	uint64_t s = 5;

	for (unsigned i = 0; i < DC_ARRAY_SIZE(seeds); i++) {
		void *mem = table_mem(1000, 64, NULL);
		struct dc_table *t = dc_table_init(mem, 1000, 16, 64, seeds[i]);
		void *mem48 = table_mem(1000, 64, NULL);
		struct dc_table *t48 = dc_table_init(mem48, 1000, 48, 64, seeds[i]);

		CHECK(t != NULL && t48 != NULL);
		if (t == NULL || t48 == NULL) {
			free(mem);
			free(mem48);
			continue;
		}
		for (unsigned j = 0; j < 1000; j++) {
			uint64_t h;

			gen_key(k, 48, &s, NULL);
			h = dc_table_hash(t, k);
			CHECK_EQ(h, nh_ref(seeds[i], k, 16));
			CHECK_EQ(dc_table_hash(t, k), h); /* deterministic */
			CHECK_EQ(dc_table_home(t, h), (h >> 32) & (t->nb_groups - 1));
			CHECK(dc_table_tag(h) & 0x80); /* never the empty tag */
			CHECK_EQ(dc_table_hash(t48, k), nh_ref(seeds[i], k, 48));
		}
		free(mem);
		free(mem48);
	}
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"init rejects bad sizes (EINVAL)", t_init_einval},
		{"groups_for: power of two, load <= 3/4", t_groups_for},
		{"hash is keyed NH from the seed", t_hash},
		{"the seed decides which keys collide", t_hash_keyed},
		{"max_entries, explicit", t_max_entries_explicit},
		{"probe window full, explicit", t_window_full_crafted},
		{"random ops, never full", t_random_roomy},
		{"random ops, max_entries reached", t_random_max_entries},
		{"random ops, tiny tables", t_random_tiny},
		{"random ops, probe windows full", t_random_window_full},
	};

	return dc_test_run("table", cases, DC_ARRAY_SIZE(cases));
}
