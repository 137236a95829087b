/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_cmap.h"
#include "dc_mem.h"

void
dc_cmap_init(struct dc_cmap *m, uint32_t key_len, uint32_t slot_size, uint64_t seed)
{
	m->t = NULL;
	m->key_len = key_len;
	m->slot_size = slot_size;
	m->seed = seed;
	m->appended = 0;
}

static struct dc_table *
cmap_alloc(const struct dc_cmap *m, uint64_t entries)
{
	size_t sz = dc_table_mem_size(dc_table_slots_for(entries), m->slot_size);

	return dc_table_init(dc_malloc(sz), entries, m->key_len, m->slot_size, m->seed);
}

/* dc_table_find() with the key lengths the engine's maps use made constant,
 * so their compares are unrolled. */
static inline uint8_t *
cmap_find(struct dc_table *t, const void *key, uint64_t h, int *is_new)
{
	switch (t->key_len) {
	case 4:
		return dc_table_find(t, key, h, 1, is_new, 4);
	case 8:
		return dc_table_find(t, key, h, 1, is_new, 8);
	case 24:
		return dc_table_find(t, key, h, 1, is_new, 24);
	case 48:
		return dc_table_find(t, key, h, 1, is_new, 48);
	default:
		return dc_table_find(t, key, h, 1, is_new, t->key_len);
	}
}

/* Copy every entry of @from into @to; 0 if @to refused one. As the
 * upserts: keys hashed DC_CMAP_BURST at a time, their new home slots
 * prefetched before they are written, and the next burst's old slots
 * prefetched meanwhile (a grown table is many times the cache: slot by
 * slot, each entry waited for two cache misses). */
static int
cmap_move(const struct dc_table *from, struct dc_table *to)
{
	const void *k[DC_CMAP_BURST];
	uint64_t h[DC_CMAP_BURST];
	int is_new;

	for (uint64_t i = 0; i < from->used; i += DC_CMAP_BURST) {
		unsigned n = from->used - i < DC_CMAP_BURST ? (unsigned)(from->used - i) : DC_CMAP_BURST;
		uint64_t next = i + n, end = next + DC_CMAP_BURST < from->used ? next + DC_CMAP_BURST : from->used;

		for (unsigned j = 0; j < n; j++)
			k[j] = dc_table_nth(from, i + j);
		for (uint64_t j = next; j < end; j++)
			__builtin_prefetch(dc_table_nth(from, j), 0);
		dc_hash_nh_burst_ptr(k, to->key_len, to->nh, n, h);
		for (unsigned j = 0; j < n; j++)
			dc_table_prefetch(to, h[j]);
		for (unsigned j = 0; j < n; j++) {
			uint8_t *d = cmap_find(to, k[j], h[j], &is_new);

			if (d == NULL)
				return 0;
			memcpy(d, k[j], from->slot_size);
		}
	}
	return 1;
}

/* Move every entry into a new table of @p entries (more if a probe window
 * overflows), placed by hash. */
static void
cmap_rehash(struct dc_cmap *m, uint64_t entries)
{
	m->appended = 0;
	for (;;) {
		struct dc_table *nt = cmap_alloc(m, entries);

		if (cmap_move(m->t, nt)) {
			dc_free(m->t);
			m->t = nt;
			return;
		}
		dc_free(nt);
		entries *= 2;
	}
}

/* Double the capacity and move over. */
static void
cmap_grow(struct dc_cmap *m)
{
	cmap_rehash(m, m->t->max_entries * 2);
}

/* An appended map's entries placed by hash (same capacity), so it can be
 * searched. */
static void
cmap_place(struct dc_cmap *m)
{
	cmap_rehash(m, m->t->max_entries);
}

uint8_t *
dc_cmap_append(struct dc_cmap *m, uint64_t n)
{
	struct dc_table *t = m->t;
	uint64_t first;

	if (t == NULL)
		t = m->t = cmap_alloc(m, n > 1024 ? n : 1024);
	if (t->used > 0 && !m->appended) {
		/* a caller's bug: the slots after the entries are not free */
		fprintf(stderr, "darkcap: dc_cmap_append() to a map whose entries were placed by hash\n");
		abort();
	}
	if (t->used + n > t->max_entries) {
		/* the entries stay in slots 0 .. used - 1 of a larger table */
		uint64_t entries = t->max_entries;
		struct dc_table *nt;

		while (entries < t->used + n)
			entries *= 2;
		nt = cmap_alloc(m, entries);
		memcpy(dc_table_slot(nt, 0), dc_table_slot(t, 0), t->used * (size_t)m->slot_size);
		nt->used = t->used;
		for (uint64_t k = 0; k < nt->used; k++)
			nt->order[k] = (uint32_t)k;
		dc_free(t);
		t = m->t = nt;
	}
	first = t->used;
	for (uint64_t k = 0; k < n; k++)
		t->order[first + k] = (uint32_t)(first + k);
	t->used += n;
	m->appended = 1;
	return dc_table_slot(t, first);
}

uint8_t *
dc_cmap_upsert(struct dc_cmap *m, const void *key, int *is_new)
{
	uint8_t *s;

	if (m->t == NULL)
		m->t = cmap_alloc(m, 1024);
	if (unlikely(m->appended))
		cmap_place(m);
	while ((s = cmap_find(m->t, key, dc_table_hash(m->t, key), is_new)) == NULL)
		cmap_grow(m);
	return s;
}

void
dc_cmap_upsert_burst(struct dc_cmap *m, const void *const *keys, unsigned n, uint8_t **out,
		     uint64_t *fresh)
{
	uint64_t h[DC_CMAP_BURST], nw = 0;
	int is_new;
	unsigned i, j;

	if (n == 0) {
		if (fresh)
			*fresh = 0;
		return;
	}
	if (m->t == NULL)
		m->t = cmap_alloc(m, 1024);
	if (unlikely(m->appended))
		cmap_place(m);
	/* Room for all of them first: growing moves the slots found so far. */
	while (m->t->used + n > m->t->max_entries)
		cmap_grow(m);
	/* The NH words come from the seed alone: a grown table hashes alike. */
	dc_hash_nh_burst_ptr(keys, m->key_len, m->t->nh, n, h);
	for (i = 0; i < n; i++)
		dc_table_prefetch(m->t, h[i]);
	for (i = 0; i < n; i++) {
		uint8_t *s = cmap_find(m->t, keys[i], h[i], &is_new);

		if (unlikely(s == NULL)) {
			/* A probe window overflowed: grow, find the earlier ones again. */
			cmap_grow(m);
			for (j = 0; j < i; j++)
				out[j] = cmap_find(m->t, keys[j], h[j], &is_new);
			i--;
			continue;
		}
		out[i] = s;
		nw |= (uint64_t)is_new << i;
	}
	if (fresh)
		*fresh = nw;
}

void
dc_cmap_clear(struct dc_cmap *m)
{
	if (m->t && m->appended) {
		/* the entries are the first slots: one run to zero */
		memset(dc_table_slot(m->t, 0), 0, m->t->used * (size_t)m->slot_size);
		m->t->used = 0;
		m->appended = 0;
	} else if (m->t) {
		dc_table_clear(m->t);
	}
}

void
dc_cmap_free(struct dc_cmap *m)
{
	dc_free(m->t);
	m->t = NULL;
	m->appended = 0;
}
