/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <emmintrin.h>

#include "dc_err.h"
#include "dc_table.h"

const uint32_t dc_hash_fixed_nh[DC_TABLE_MAX_KEY / 4] = {
	0x243F6A88u, 0x85A308D3u, 0x13198A2Eu, 0x03707344u, 0xA4093822u, 0x299F31D0u,
	0x082EFA98u, 0xEC4E6C89u, 0x452821E6u, 0x38D01377u, 0xBE5466CFu, 0x34E90C6Cu,
};

uint64_t
dc_table_groups_for(uint64_t max_entries)
{
	uint64_t slots = max_entries + max_entries / 3 + 1, g = 1;

	while (g * DC_TABLE_GROUP < slots)
		g <<= 1;
	return g;
}

static size_t
hdr_size(void)
{
	return (sizeof(struct dc_table) + 63) & ~(size_t)63;
}

/* Tags rounded up to a cache line, so slots start on one. */
static uint64_t
tags_size(uint64_t nb_groups)
{
	return (nb_groups * DC_TABLE_GROUP + 63) & ~(uint64_t)63;
}

size_t
dc_table_mem_size(uint64_t nb_groups, uint32_t slot_size)
{
	uint64_t slots = nb_groups * DC_TABLE_GROUP;

	/* header, tags, slots, insertion order (at most 3/4 of the slots) */
	return hdr_size() + tags_size(nb_groups) + slots * slot_size +
	       (slots - slots / 4 + 1) * sizeof(uint32_t);
}

struct dc_table *
dc_table_init(void *mem, uint64_t max_entries, uint32_t key_len, uint32_t slot_size,
	      uint64_t seed)
{
	struct dc_table *t = mem;
	uint64_t g;

	if (mem == NULL || key_len == 0 || key_len % 8 || slot_size % 8 || key_len > slot_size ||
	    key_len > DC_TABLE_MAX_KEY || max_entries == 0 || max_entries > (1ull << 34))
		return dc_err_ptr(EINVAL, "table: bad sizes (key %u, slot %u, entries %lu)", key_len,
				  slot_size, (unsigned long)max_entries);
	g = dc_table_groups_for(max_entries);
	memset(t, 0, sizeof(*t));
	t->nb_groups = g;
	t->group_mask = g - 1;
	t->max_entries = max_entries;
	t->key_len = key_len;
	t->slot_size = slot_size;
	for (unsigned i = 0; i < DC_TABLE_MAX_KEY / 4; i++) {
		/* splitmix64: the seed spread into the secret NH words */
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		t->nh[i] = (uint32_t)(z ^ (z >> 31));
	}
	if (max_entries > (g * DC_TABLE_GROUP) - (g * DC_TABLE_GROUP) / 4 || g * DC_TABLE_GROUP > UINT32_MAX)
		return dc_err_ptr(EINVAL, "table: %lu entries is too many", (unsigned long)max_entries);
	t->tags = (uint8_t *)mem + hdr_size();
	t->slots = t->tags + tags_size(g);
	t->order = (uint32_t *)(t->slots + g * DC_TABLE_GROUP * slot_size);
	memset(t->tags, 0, g * DC_TABLE_GROUP);
	dc_table_clear(t);
	return t;
}

void
dc_table_clear(struct dc_table *t)
{
	if (t->used < t->nb_groups) {
		for (uint64_t k = 0; k < t->used; k++)
			t->tags[t->order[k]] = 0;
	} else {
		memset(t->tags, 0, t->nb_groups * DC_TABLE_GROUP);
	}
	t->used = 0;
}

static inline int
key_eq(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	if (len == 16) {
		uint64_t x[2], y[2];

		memcpy(x, a, 16);
		memcpy(y, b, 16);
		return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
	}
	return memcmp(a, b, len) == 0;
}

/* Slot index of @key, or UINT64_MAX; *free_slot gets the first empty slot
 * of the probe window (UINT64_MAX if none). */
static inline uint64_t
probe(const struct dc_table *t, const void *key, uint64_t h, uint64_t *free_slot)
{
	const __m128i want = _mm_set1_epi8((char)dc_table_tag(h));
	const __m128i zero = _mm_setzero_si128();
	uint64_t g = dc_table_home(t, h), p;

	*free_slot = UINT64_MAX;
	for (p = 0; p < DC_TABLE_MAX_PROBE && p < t->nb_groups; p++, g = (g + 1) & t->group_mask) {
		__m128i tags = _mm_loadu_si128((const __m128i *)(t->tags + g * DC_TABLE_GROUP));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, want));
		unsigned e;

		while (m) {
			uint64_t i = g * DC_TABLE_GROUP + (unsigned)__builtin_ctz(m);

			if (key_eq(dc_table_slot(t, i), key, t->key_len))
				return i;
			m &= m - 1;
		}
		/* Keys are never removed, so an empty slot ends the search. */
		e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, zero));
		if (e) {
			*free_slot = g * DC_TABLE_GROUP + (unsigned)__builtin_ctz(e);
			return UINT64_MAX;
		}
	}
	return UINT64_MAX;
}

void
dc_table_prefetch_slot(const struct dc_table *t, uint64_t h)
{
	uint64_t g = dc_table_home(t, h);
	__m128i tags = _mm_loadu_si128((const __m128i *)(t->tags + g * DC_TABLE_GROUP));
	unsigned m = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(tags, _mm_set1_epi8((char)dc_table_tag(h))));

	if (m == 0)
		m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, _mm_setzero_si128()));
	if (m) {
		const uint8_t *s = dc_table_slot(t, g * DC_TABLE_GROUP + (unsigned)__builtin_ctz(m));

		__builtin_prefetch(s, 1);
		if (t->slot_size > 64)
			__builtin_prefetch(s + 64, 1);
	}
}

uint8_t *
dc_table_upsert(struct dc_table *t, const void *key, uint64_t h, int *is_new)
{
	uint64_t fr, i = probe(t, key, h, &fr);
	uint8_t *s;

	*is_new = 0;
	if (likely(i != UINT64_MAX))
		return dc_table_slot(t, i);
	if (fr == UINT64_MAX || t->used >= t->max_entries)
		return NULL;
	t->tags[fr] = dc_table_tag(h);
	t->order[t->used++] = (uint32_t)fr;
	s = dc_table_slot(t, fr);
	memcpy(s, key, t->key_len);
	memset(s + t->key_len, 0, t->slot_size - t->key_len);
	*is_new = 1;
	return s;
}

uint8_t *
dc_table_lookup(const struct dc_table *t, const void *key, uint64_t h)
{
	uint64_t fr, i = probe(t, key, h, &fr);

	return i != UINT64_MAX ? dc_table_slot(t, i) : NULL;
}
