/* SPDX-License-Identifier: BSD-3-Clause */
/* PRIVATE PROTOTYPE COPY of lib/table/dc_table.c (see proto_table.h). */
#include <errno.h>
#include <emmintrin.h>

#include "dc_err.h"
#include "proto_table.h"

uint64_t
dcp_table_groups_for(uint64_t max_entries)
{
	uint64_t slots = max_entries + max_entries / 3 + 1, g = 1;

	while (g * DCP_TABLE_GROUP < slots)
		g <<= 1;
	return g;
}

static size_t
hdr_size(void)
{
	return (sizeof(struct dcp_table) + 63) & ~(size_t)63;
}

size_t
dcp_table_mem_size(uint64_t nb_groups, uint32_t slot_size)
{
	return hdr_size() + nb_groups * DCP_TABLE_GROUP + nb_groups * DCP_TABLE_GROUP * slot_size;
}

struct dcp_table *
dcp_table_init(void *mem, uint64_t max_entries, uint32_t key_len, uint32_t slot_size,
	      uint64_t seed)
{
	struct dcp_table *t = mem;
	uint64_t g = dcp_table_groups_for(max_entries);

	if (mem == NULL || key_len == 0 || key_len % 8 || slot_size % 8 || key_len > slot_size ||
	    max_entries == 0)
		return dc_err_ptr(EINVAL, "table: bad sizes (key %u, slot %u, entries %lu)", key_len,
				  slot_size, (unsigned long)max_entries);
	memset(t, 0, sizeof(*t));
	t->nb_groups = g;
	t->group_mask = g - 1;
	t->max_entries = max_entries;
	t->key_len = key_len;
	t->slot_size = slot_size;
	t->seed[0] = (uint32_t)seed;
	t->seed[1] = (uint32_t)(seed >> 32) ^ 0x5BD1E995u;
	t->tags = (uint8_t *)mem + hdr_size();
	t->slots = t->tags + g * DCP_TABLE_GROUP;
	dcp_table_clear(t);
	return t;
}

void
dcp_table_clear(struct dcp_table *t)
{
	memset(t->tags, 0, t->nb_groups * DCP_TABLE_GROUP);
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
probe(const struct dcp_table *t, const void *key, uint64_t h, uint64_t *free_slot)
{
	const __m128i want = _mm_set1_epi8((char)dcp_table_tag(h));
	const __m128i zero = _mm_setzero_si128();
	uint64_t g = dcp_table_home(t, h), p;

	*free_slot = UINT64_MAX;
	for (p = 0; p < DCP_TABLE_MAX_PROBE && p < t->nb_groups; p++, g = (g + 1) & t->group_mask) {
		__m128i tags = _mm_loadu_si128((const __m128i *)(t->tags + g * DCP_TABLE_GROUP));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, want));
		unsigned e;

		while (m) {
			uint64_t i = g * DCP_TABLE_GROUP + (unsigned)__builtin_ctz(m);

			if (key_eq(dcp_table_slot(t, i), key, t->key_len))
				return i;
			m &= m - 1;
		}
		/* Keys are never removed, so an empty slot ends the search. */
		e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, zero));
		if (e) {
			*free_slot = g * DCP_TABLE_GROUP + (unsigned)__builtin_ctz(e);
			return UINT64_MAX;
		}
	}
	return UINT64_MAX;
}

void
dcp_table_prefetch_slot(const struct dcp_table *t, uint64_t h)
{
	uint64_t g = dcp_table_home(t, h);
	__m128i tags = _mm_loadu_si128((const __m128i *)(t->tags + g * DCP_TABLE_GROUP));
	unsigned m = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(tags, _mm_set1_epi8((char)dcp_table_tag(h))));

	if (m == 0)
		m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(tags, _mm_setzero_si128()));
	if (m) {
		const uint8_t *s = dcp_table_slot(t, g * DCP_TABLE_GROUP + (unsigned)__builtin_ctz(m));

		__builtin_prefetch(s, 1);
		if (t->slot_size > 64)
			__builtin_prefetch(s + 64, 1);
	}
}

uint8_t *
dcp_table_upsert(struct dcp_table *t, const void *key, uint64_t h, int *is_new)
{
	uint64_t fr, i = probe(t, key, h, &fr);
	uint8_t *s;

	*is_new = 0;
	if (likely(i != UINT64_MAX))
		return dcp_table_slot(t, i);
	if (fr == UINT64_MAX || t->used >= t->max_entries)
		return NULL;
	t->tags[fr] = dcp_table_tag(h);
	t->used++;
	s = dcp_table_slot(t, fr);
	memcpy(s, key, t->key_len);
	memset(s + t->key_len, 0, t->slot_size - t->key_len);
	*is_new = 1;
	return s;
}

uint8_t *
dcp_table_lookup(const struct dcp_table *t, const void *key, uint64_t h)
{
	uint64_t fr, i = probe(t, key, h, &fr);

	return i != UINT64_MAX ? dcp_table_slot(t, i) : NULL;
}
