/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A growable map for the control core: lib/table on control-plane memory
 * (dc_mem), doubled and rehashed when full. Never used on the packet path.
 */
#ifndef DC_CMAP_H
#define DC_CMAP_H

#include <stdint.h>

#include "dc_table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dc_cmap {
	struct dc_table *t;    /**< NULL until the first insert */
	uint32_t key_len;
	uint32_t slot_size;
	uint64_t seed;
	/** The entries were appended (dc_cmap_append()): in slots 0 .. count - 1,
	 * not where their hashes point; the next upsert places them. */
	int appended;
};

/** Set up an empty map (allocates nothing yet). */
void dc_cmap_init(struct dc_cmap *m, uint32_t key_len, uint32_t slot_size, uint64_t seed);
/** Find or insert @p key (value zeroed when new); never fails (OOM is fatal). */
uint8_t *dc_cmap_upsert(struct dc_cmap *m, const void *key, int *is_new);
/** Keys dc_cmap_upsert_burst() takes at most. */
#define DC_CMAP_BURST 64

/**
 * dc_cmap_upsert() of @p n keys (at most DC_CMAP_BURST) together: hashed
 * four at a time (dc_hash_nh_burst_ptr()), their home slots prefetched, then
 * found or inserted in order, so that their cache misses overlap instead of
 * queueing one per key. The same results as @p n calls of dc_cmap_upsert()
 * in order (a key given twice gets the same slot, new the first time only).
 *
 * @param keys
 *   Key i at keys[i] (readable up to the key length rounded up to 8).
 * @param out
 *   Slot i, valid until the map's next upsert (growing moves the slots).
 * @param fresh
 *   Bit i set when key i was inserted (NULL: not wanted).
 */
void dc_cmap_upsert_burst(struct dc_cmap *m, const void *const *keys, unsigned n, uint8_t **out,
			  uint64_t *fresh);

/**
 * Room for @p n new entries, to be written by the caller (key, then value;
 * the slots are zero), in the map's slots after its entries, in order (so
 * dc_table_nth() and dc_cmap_count() see them as usual): for keys known to
 * be distinct, absent from the map and never all zero, such as one worker
 * table's keys going into an empty map (app/darkcap/control.c: with one
 * worker, an interval's sources are one table set's). The map must be empty
 * or appended to only so far. Nothing is hashed or probed: the entries are
 * placed by hash, once, by the map's next dc_cmap_upsert() or
 * dc_cmap_upsert_burst(), if any. Grows as needed (OOM is fatal).
 *
 * @return
 *   The first of the @p n slots (slot_size bytes apart), valid until the
 *   map's next append or upsert.
 */
uint8_t *dc_cmap_append(struct dc_cmap *m, uint64_t n);

/** Entries in the map. */
static inline uint64_t
dc_cmap_count(const struct dc_cmap *m)
{
	return m->t ? m->t->used : 0;
}
/** Empty the map, keeping its memory. */
void dc_cmap_clear(struct dc_cmap *m);
/** Free the map's memory. */
void dc_cmap_free(struct dc_cmap *m);

#ifdef __cplusplus
}
#endif

#endif /* DC_CMAP_H */
