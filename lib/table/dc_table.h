/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A fixed-capacity, single-writer hash table for the workers' per-core
 * state (sources, destinations, flowtuples).
 *
 * Layout (Swiss-table style): slots in groups of 16; one tag byte per slot
 * in a separate array (0 = empty, else 0x80 | 7 hash bits), so one SSE2
 * compare tests a whole group's 16 tags at once. A key lives in its slot,
 * followed by the value. Probing walks groups linearly from the hash's
 * home group, at most DC_TABLE_MAX_PROBE groups.
 *
 * Hashing: NH (the UMAC universal hash: sums of products of key words plus
 * secret random words) then a 64-bit finaliser. The secret is drawn at
 * start-up, and NH is not linear, so which keys share a group cannot be
 * worked out offline: a scanner cannot aim its sources at one group
 * (PERF-NOTES §4.5). CRC32-C was tried first and rejected: CRC is linear, so
 * its collisions do not depend on the seed.
 *
 * Batch use per burst, each stage over the whole burst so that the cache
 * misses of a burst overlap instead of queueing: dc_table_hash() every key,
 * dc_table_prefetch() (tags) every hash, dc_table_prefetch_slot() (the slot)
 * every hash, then dc_table_upsert() every key.
 *
 * Full: when @c max_entries keys are in, or no free slot lies within the
 * probe window, a new key is refused (NULL); existing keys keep updating.
 * The caller counts refusals (table_full).
 *
 * The table never allocates: the caller gives it memory of
 * dc_table_mem_size() bytes (DPDK's allocator on the worker's socket for
 * the workers; plain memory in tests). No DPDK dependency.
 */
#ifndef DC_TABLE_H
#define DC_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DC_TABLE_GROUP 16
#define DC_TABLE_MAX_PROBE 16
/** Longest key (bytes): NH has one secret word per 4 key bytes. */
#define DC_TABLE_MAX_KEY 48

/** Table header; the tags and slots follow in the same memory. */
struct dc_table {
	uint64_t nb_groups;    /**< power of two */
	uint64_t group_mask;
	uint64_t max_entries;  /**< keys accepted at most (load bound) */
	uint64_t used;         /**< keys in the table */
	uint32_t key_len;      /**< bytes, multiple of 8 */
	uint32_t slot_size;    /**< bytes per slot: key then value, multiple of 8 */
	uint32_t nh[DC_TABLE_MAX_KEY / 4]; /**< secret NH key words */
	uint8_t *tags;         /**< nb_groups * 16 */
	uint8_t *slots;        /**< nb_groups * 16 * slot_size */
	uint32_t *order;       /**< slot index of each key, in insertion order (used entries) */
} DC_CACHE_ALIGNED;

/**
 * Capacity for @p max_entries keys at a load factor of at most 3/4.
 *
 * @return
 *   Number of groups (a power of two, at least 1).
 */
uint64_t dc_table_groups_for(uint64_t max_entries);

/**
 * Bytes of memory a table needs.
 *
 * @param nb_groups
 *   From dc_table_groups_for().
 * @param slot_size
 *   Bytes per slot (key + value), a multiple of 8.
 */
size_t dc_table_mem_size(uint64_t nb_groups, uint32_t slot_size);

/**
 * Lay a table out in @p mem (64-byte aligned, dc_table_mem_size() bytes) and
 * empty it.
 *
 * @param mem
 *   The memory; the returned table lives at its start.
 * @param max_entries
 *   Keys accepted at most.
 * @param key_len
 *   Key bytes (multiple of 8, at most slot_size).
 * @param slot_size
 *   Bytes per slot (multiple of 8).
 * @param seed
 *   Hash seed (random per run; the same for tables whose hashes are shared).
 * @return
 *   The table, or NULL (errno EINVAL) for bad sizes.
 */
struct dc_table *dc_table_init(void *mem, uint64_t max_entries, uint32_t key_len,
			       uint32_t slot_size, uint64_t seed);

/** Empty the table: clears the used tags only (O(used)), or all tags when
 * the table is well filled. */
void dc_table_clear(struct dc_table *t);

/** MurmurHash3's 64-bit finaliser: every output bit depends on every input bit. */
static inline uint64_t
dc_hash_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/**
 * NH hash of @p len bytes (a multiple of 8, at most DC_TABLE_MAX_KEY) under
 * the secret words @p nh, finalised.
 */
static inline uint64_t
dc_hash_nh(const void *key, uint32_t len, const uint32_t *nh)
{
	const uint8_t *k = (const uint8_t *)key;
	uint64_t acc = len;
	uint32_t i;

	for (i = 0; i < len; i += 8) {
		uint32_t lo, hi;

		memcpy(&lo, k + i, 4);
		memcpy(&hi, k + i + 4, 4);
		acc += (uint64_t)(uint32_t)(lo + nh[i / 4]) * (uint32_t)(hi + nh[i / 4 + 1]);
	}
	return dc_hash_fmix64(acc);
}

/** Fixed NH words, for hashes that must agree across runs (sketches). */
extern const uint32_t dc_hash_fixed_nh[DC_TABLE_MAX_KEY / 4];

/** Hash of a key (home group from the high half, tag from the low bits). */
static inline uint64_t
dc_table_hash(const struct dc_table *t, const void *key)
{
	return dc_hash_nh(key, t->key_len, t->nh);
}

static inline uint64_t
dc_table_home(const struct dc_table *t, uint64_t h)
{
	return (h >> 32) & t->group_mask;
}

/* Tag: 7 low bits of the hash, disjoint from the home group's bits. */
static inline uint8_t
dc_table_tag(uint64_t h)
{
	return (uint8_t)(0x80 | (h & 0x7F));
}

/**
 * Stage 1 of a burst: prefetch the home group's tags for hash @p h.
 */
static inline void
dc_table_prefetch(const struct dc_table *t, uint64_t h)
{
	__builtin_prefetch(t->tags + dc_table_home(t, h) * DC_TABLE_GROUP, 1);
}

/**
 * Stage 2 of a burst (tags now in cache): prefetch the slot the key most
 * likely occupies or will occupy: the first tag match in the home group,
 * else its first empty slot.
 */
void dc_table_prefetch_slot(const struct dc_table *t, uint64_t h);

/** Slot @p i's memory (key first, value at key_len). */
static inline uint8_t *
dc_table_slot(const struct dc_table *t, uint64_t i)
{
	return t->slots + i * t->slot_size;
}

/**
 * Find @p key, or insert it with a zeroed value.
 *
 * @param t
 *   The table.
 * @param key
 *   key_len bytes.
 * @param h
 *   dc_table_hash(t, key).
 * @param is_new
 *   Set to 1 when the key was inserted, else 0.
 * @return
 *   The slot (key then value), or NULL when the key is absent and the table
 *   is full.
 */
uint8_t *dc_table_upsert(struct dc_table *t, const void *key, uint64_t h, int *is_new);

/**
 * Find @p key.
 *
 * @return
 *   The slot, or NULL.
 */
uint8_t *dc_table_lookup(const struct dc_table *t, const void *key, uint64_t h);

/** Slots in the table (nb_groups * 16). */
static inline uint64_t
dc_table_capacity(const struct dc_table *t)
{
	return t->nb_groups * DC_TABLE_GROUP;
}

/**
 * The @p k-th key inserted (0 <= k < used): iterate a table in O(used)
 * instead of O(capacity).
 */
static inline uint8_t *
dc_table_nth(const struct dc_table *t, uint64_t k)
{
	return dc_table_slot(t, t->order[k]);
}

/** Non-zero when slot @p i holds a key (for iteration by index). */
static inline int
dc_table_slot_used(const struct dc_table *t, uint64_t i)
{
	return t->tags[i] != 0;
}

#ifdef __cplusplus
}
#endif

#endif /* DC_TABLE_H */
