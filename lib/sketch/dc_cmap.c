/* SPDX-License-Identifier: BSD-3-Clause */
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
}

static struct dc_table *
cmap_alloc(const struct dc_cmap *m, uint64_t entries)
{
	size_t sz = dc_table_mem_size(dc_table_slots_for(entries), m->slot_size);

	return dc_table_init(dc_malloc(sz), entries, m->key_len, m->slot_size, m->seed);
}

/* Copy every entry of @from into @to; 0 if @to refused one. */
static int
cmap_move(const struct dc_table *from, struct dc_table *to)
{
	int is_new;

	for (uint64_t i = 0; i < from->used; i++) {
		const uint8_t *s = dc_table_nth(from, i);
		uint8_t *d;

		d = dc_table_upsert(to, s, dc_table_hash(to, s), &is_new);
		if (d == NULL)
			return 0;
		memcpy(d, s, from->slot_size);
	}
	return 1;
}

/* Double the capacity (more if a probe window overflows) and move over. */
static void
cmap_grow(struct dc_cmap *m)
{
	uint64_t entries = m->t->max_entries * 2;

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

uint8_t *
dc_cmap_upsert(struct dc_cmap *m, const void *key, int *is_new)
{
	uint8_t *s;

	if (m->t == NULL)
		m->t = cmap_alloc(m, 1024);
	while ((s = dc_table_upsert(m->t, key, dc_table_hash(m->t, key), is_new)) == NULL)
		cmap_grow(m);
	return s;
}

void
dc_cmap_clear(struct dc_cmap *m)
{
	if (m->t)
		dc_table_clear(m->t);
}

void
dc_cmap_free(struct dc_cmap *m)
{
	dc_free(m->t);
	m->t = NULL;
}
