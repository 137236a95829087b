/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A fixed-capacity, single-writer hash table for the workers' per-core
 * state (sources, destinations, flowtuples) and the control core's merges.
 *
 * Layout: one array of fixed-size slots, each a key followed by its value;
 * no separate metadata. A key's home slot comes from its hash (multiply-
 * shift range reduction, so any slot count works); linear probing from
 * there, at most DC_TABLE_MAX_PROBE slots, into DC_TABLE_MAX_PROBE spare
 * slots past the last home (no wrap-around). A slot whose key bytes are all
 * zero is empty; the all-zero key itself lives in one extra slot at the end.
 * The table holds at most half as many keys as it has home slots, so most
 * keys sit in their home slot and a lookup reads ONE cache line: the one
 * dc_table_prefetch() fetched a stage earlier. With a slot of 64 bytes or a
 * multiple (and the slot array 64-byte aligned), a slot's first 64 bytes
 * are one cache line: callers keep the fields every packet updates there.
 *
 * Keys of any length up to DC_TABLE_MAX_KEY. When key_len is not a multiple
 * of 8, the bytes after the key up to the next multiple of 8 belong to the
 * value in a slot (they are masked off in compares and hashing), and the
 * caller's key buffers must be readable (any content) up to that multiple.
 *
 * Hashing: NH (the UMAC universal hash: sums of products of key words plus
 * secret random words) then a 64-bit finaliser. The secret is drawn at
 * start-up, and NH is not linear, so which keys share a slot run cannot be
 * worked out offline: a scanner cannot aim its sources at one place
 * (PERF-NOTES §4.5).
 *
 * Batch use per burst, each stage over the whole burst so that the cache
 * misses of a burst overlap instead of queueing: dc_table_hash() and
 * dc_table_prefetch() every key, then dc_table_upsert() every key.
 *
 * Values: a new key's slot is all zero except the key (slots are zeroed by
 * init and clear, never by the insert, so an insert writes only the key).
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Slots probed from a key's home slot at most. */
#define DC_TABLE_MAX_PROBE 256
/** Longest key (bytes): NH has one secret word per 4 key bytes. */
#define DC_TABLE_MAX_KEY 48
/** Home slots per key accepted (the load factor is at most 1/2). */
#define DC_TABLE_SLOTS_PER_KEY 2

/** Table header; the slots and the insertion order follow in the same memory. */
struct dc_table {
	uint64_t nb_slots;     /**< home slots */
	uint64_t max_entries;  /**< keys accepted at most (<= nb_slots / DC_TABLE_SLOTS_PER_KEY) */
	uint64_t used;         /**< keys in the table */
	uint32_t key_len;      /**< key bytes */
	uint32_t slot_size;    /**< bytes per slot: key then value, multiple of 8 */
	uint32_t zero_used;    /**< the all-zero key is in (its slot is the last) */
	uint32_t nh[DC_TABLE_MAX_KEY / 4]; /**< secret NH key words */
	uint8_t *slots;        /**< nb_slots + DC_TABLE_MAX_PROBE + 1 slots */
	uint32_t *order;       /**< slot index of each key, in insertion order (used entries) */
	uint64_t alloc_slots;  /**< home slots the memory holds (nb_slots at init; dc_table_resize()) */
	uint64_t alloc_entries; /**< keys the order array holds (max_entries at init) */
} DC_CACHE_ALIGNED;

/**
 * Home slots for @p max_entries keys (DC_TABLE_SLOTS_PER_KEY each): the
 * default, a load factor of at most 1/2. More slots per key (see
 * dc_table_init_n()) put more keys in their home slot: at most 1/2 loaded,
 * 75 % of the keys are in their home slot; at most 1/3, 83 %.
 */
uint64_t dc_table_slots_for(uint64_t max_entries);

/**
 * Bytes of memory a table needs.
 *
 * @param nb_slots
 *   From dc_table_slots_for().
 * @param slot_size
 *   Bytes per slot (key + value), a multiple of 8.
 */
size_t dc_table_mem_size(uint64_t nb_slots, uint32_t slot_size);

/**
 * Lay a table out in @p mem (64-byte aligned, dc_table_mem_size() bytes of
 * dc_table_slots_for(@p max_entries) slots) and empty it.
 *
 * @param mem
 *   The memory; the returned table lives at its start.
 * @param max_entries
 *   Keys accepted at most.
 * @param key_len
 *   Key bytes (1 .. DC_TABLE_MAX_KEY, at most slot_size rounded down to 8).
 * @param slot_size
 *   Bytes per slot (multiple of 8).
 * @param seed
 *   Hash seed (random per run; the same for tables whose hashes are shared).
 * @return
 *   The table, or NULL (errno EINVAL) for bad sizes.
 */
struct dc_table *dc_table_init(void *mem, uint64_t max_entries, uint32_t key_len,
			       uint32_t slot_size, uint64_t seed);

/**
 * dc_table_init() with @p nb_slots home slots (at least
 * dc_table_slots_for(@p max_entries), at most 2^32 - 2^16; the memory is
 * dc_table_mem_size(@p nb_slots, @p slot_size) bytes).
 */
struct dc_table *dc_table_init_n(void *mem, uint64_t max_entries, uint64_t nb_slots,
				 uint32_t key_len, uint32_t slot_size, uint64_t seed);

/** Empty the table: zeroes the used slots (O(used)), or every slot when the
 * table is well filled. */
void dc_table_clear(struct dc_table *t);

/**
 * Use @p nb_slots home slots and hold @p max_entries keys at most, in the
 * memory the table was laid out in: an empty table's effective size, so
 * that a table allocated for its largest load keeps a light one's keys
 * close together (in the caches) instead of spread over all its memory.
 * The slots beyond the effective ones stay zero (a table is only ever
 * filled and cleared at one size), so any size up to the laid-out one can
 * follow. Home slots change with the size: only for an empty table.
 *
 * @return
 *   0, or -EINVAL when the table is not empty, @p nb_slots is more than the
 *   memory holds or fewer than dc_table_slots_for(@p max_entries), or
 *   @p max_entries is 0 or more than the table was laid out for.
 */
int dc_table_resize(struct dc_table *t, uint64_t max_entries, uint64_t nb_slots);

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

/** Mask of the last 8-byte word of a @p len -byte key. */
static inline uint64_t
dc_key_tail_mask(uint32_t len)
{
	return len % 8 ? (1ull << (8 * (len % 8))) - 1 : ~0ull;
}

/** Word @p w of a key: 8 bytes, little-endian, masked when it is the last. */
static inline uint64_t
dc_key_word(const void *key, uint32_t len, uint32_t w)
{
	uint64_t x;

	memcpy(&x, (const uint8_t *)key + 8 * w, 8);
	return 8 * w + 8 > len ? x & dc_key_tail_mask(len) : x;
}

/**
 * Compare the key in a slot, @p s, with key @p k (both @p key_len bytes,
 * readable up to key_len rounded up to 8): returns non-zero when they
 * differ, and sets @p occ non-zero when the slot holds a key (any of its
 * key bytes non-zero). 16 bytes at a time with SSE2: every caller passes a
 * constant length, so the chunks unroll (a 48-byte flowtuple key is three
 * loads per side instead of six, and one test instead of six).
 */
static DC_ALWAYS_INLINE uint64_t
dc_key_differs(const uint8_t *s, const uint8_t *k, uint32_t key_len, uint64_t *occ)
{
#if defined(__SSE2__)
	const __m128i z = _mm_setzero_si128();
	__m128i d = z, o = z, x, y;
	uint32_t off = 0;

	for (; off + 16 <= key_len; off += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + off));
		y = _mm_loadu_si128((const __m128i *)(const void *)(k + off));
		d = _mm_or_si128(d, _mm_xor_si128(x, y));
		o = _mm_or_si128(o, x);
	}
	if (off < key_len) {
		const uint32_t rem = key_len - off;
		__m128i m;

		if (rem > 8) { /* 16 bytes readable: key_len rounds up to off + 16 */
			x = _mm_loadu_si128((const __m128i *)(const void *)(s + off));
			y = _mm_loadu_si128((const __m128i *)(const void *)(k + off));
			m = _mm_set_epi64x((long long)dc_key_tail_mask(rem - 8), -1);
		} else {
			x = _mm_loadl_epi64((const __m128i *)(const void *)(s + off));
			y = _mm_loadl_epi64((const __m128i *)(const void *)(k + off));
			m = _mm_set_epi64x(0, (long long)dc_key_tail_mask(rem));
		}
		x = _mm_and_si128(x, m);
		d = _mm_or_si128(d, _mm_xor_si128(x, _mm_and_si128(y, m)));
		o = _mm_or_si128(o, x);
	}
	*occ = _mm_movemask_epi8(_mm_cmpeq_epi8(o, z)) != 0xFFFF;
	return _mm_movemask_epi8(_mm_cmpeq_epi8(d, z)) != 0xFFFF;
#else
	uint64_t diff = 0, any = 0;

	for (uint32_t w = 0; 8 * w < key_len; w++) {
		uint64_t x = dc_key_word(s, key_len, w);

		diff |= x ^ dc_key_word(k, key_len, w);
		any |= x;
	}
	*occ = any != 0;
	return diff != 0;
#endif
}

/**
 * NH hash of a @p len -byte key (at most DC_TABLE_MAX_KEY; read up to len
 * rounded up to 8, bytes past @p len ignored) under the secret words @p nh,
 * finalised.
 */
static inline uint64_t
dc_hash_nh(const void *key, uint32_t len, const uint32_t *nh)
{
	uint64_t acc = len;
	uint32_t w;

	for (w = 0; 8 * w < len; w++) {
		uint64_t x = dc_key_word(key, len, w);

		acc += (uint64_t)(uint32_t)((uint32_t)x + nh[2 * w]) *
		       (uint32_t)((uint32_t)(x >> 32) + nh[2 * w + 1]);
	}
	return dc_hash_fmix64(acc);
}

/**
 * dc_hash_nh() of a 24-byte key given as its three words (the key's bytes
 * 8 w .. 8 w + 7 read little-endian), the same value: for a caller that
 * builds the key in registers, so that the hash does not load the words
 * back from stores still in flight (a load spanning several narrower
 * stores cannot be forwarded from them and waits for them to retire).
 */
static inline uint64_t
dc_hash_nh24(uint64_t w0, uint64_t w1, uint64_t w2, const uint32_t *nh)
{
	uint64_t acc = 24;

	acc += (uint64_t)(uint32_t)((uint32_t)w0 + nh[0]) * (uint32_t)((uint32_t)(w0 >> 32) + nh[1]);
	acc += (uint64_t)(uint32_t)((uint32_t)w1 + nh[2]) * (uint32_t)((uint32_t)(w1 >> 32) + nh[3]);
	acc += (uint64_t)(uint32_t)((uint32_t)w2 + nh[4]) * (uint32_t)((uint32_t)(w2 >> 32) + nh[5]);
	return dc_hash_fmix64(acc);
}

/**
 * dc_hash_nh() of @p n keys: key i at @p keys + i * @p stride (each readable
 * up to @p len rounded up to 8), its hash into @p out[i]. The same values
 * as dc_hash_nh(), computed four keys at a time with AVX2 when the CPU has
 * it (checked once), one at a time otherwise.
 */
void dc_hash_nh_burst(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
		      unsigned n, uint64_t *out);

/** dc_hash_nh_burst() of @p n keys given by pointer (@p keys[i]). */
void dc_hash_nh_burst_ptr(const void *const *keys, uint32_t len, const uint32_t *nh, unsigned n,
			  uint64_t *out);

/** Which dc_hash_nh_burst() runs here: "avx2" or "scalar". */
const char *dc_hash_nh_kernel(void);

/** Fixed NH words, for hashes that must agree across runs (sketches). */
extern const uint32_t dc_hash_fixed_nh[DC_TABLE_MAX_KEY / 4];

/** Hash of a key (the home slot comes from its high half). */
static inline uint64_t
dc_table_hash(const struct dc_table *t, const void *key)
{
	return dc_hash_nh(key, t->key_len, t->nh);
}

/** Home slot of hash @p h: the high 32 bits scaled to nb_slots. */
static inline uint64_t
dc_table_home(const struct dc_table *t, uint64_t h)
{
	return ((h >> 32) * t->nb_slots) >> 32;
}

/** Slot @p i's memory (key first). */
static inline uint8_t *
dc_table_slot(const struct dc_table *t, uint64_t i)
{
	return t->slots + i * t->slot_size;
}

/** Index of the slot that holds the all-zero key. */
static inline uint64_t
dc_table_zero_index(const struct dc_table *t)
{
	return t->nb_slots + DC_TABLE_MAX_PROBE;
}

/**
 * Stage 1 of a burst: prefetch (for writing) the first cache line of the
 * home slot of hash @p h: where the key most likely is or will be.
 */
static inline void
dc_table_prefetch(const struct dc_table *t, uint64_t h)
{
	__builtin_prefetch(dc_table_slot(t, dc_table_home(t, h)), 1);
}

/** Bit j set when byte j of @p b (0 or 1 each; 64 readable) is 1, j < @p n
 * (at most 64): a burst's per-key flags gathered 16 at a time. */
static DC_ALWAYS_INLINE uint64_t
dc_table_flags_mask(const uint8_t *b, unsigned n)
{
	uint64_t m = 0;

#if defined(__SSE2__)
	for (unsigned i = 0; i < n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));

		m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_sub_epi8(_mm_setzero_si128(), v)) << i;
	}
#else
	for (unsigned i = 0; i < n; i++)
		m |= (uint64_t)b[i] << i;
#endif
	return n >= 64 ? m : m & ((1ull << n) - 1);
}

/** The slow paths of dc_table_find(): the all-zero key, a full table. */
uint8_t *dc_table_zero_key(struct dc_table *t, int insert, int *is_new);

/**
 * Find @p key, or insert it (when @p insert), with a key length the
 * compiler can see: callers that pass a constant get the compare and copy
 * unrolled. The generic entry points below call it with t->key_len.
 */
static DC_ALWAYS_INLINE uint8_t *dc_table_find_from(struct dc_table *t, const void *key,
						     uint64_t i, uint32_t p, int insert,
						     int *is_new, uint32_t key_len);

/* dc_table_find() from probe @p p of @p key's window (its home slot + p):
 * the all-zero key goes to its own slot. */
static DC_ALWAYS_INLINE uint8_t *
dc_table_find_at(struct dc_table *t, const void *key, uint64_t h, uint32_t p, int insert,
		 int *is_new, uint32_t key_len)
{
	uint64_t any = 0;

	for (uint32_t w = 0; 8 * w < key_len; w++)
		any |= dc_key_word(key, key_len, w);
	*is_new = 0;
	if (unlikely(any == 0))
		return dc_table_zero_key(t, insert, is_new);
	return dc_table_find_from(t, key, dc_table_home(t, h) + p, p, insert, is_new, key_len);
}

static DC_ALWAYS_INLINE uint8_t *
dc_table_find(struct dc_table *t, const void *key, uint64_t h, int insert, int *is_new,
	      uint32_t key_len)
{
	return dc_table_find_at(t, key, h, 0, insert, is_new, key_len);
}

/* Continue dc_table_find() from slot @p i (probe @p p of the window). */
static DC_ALWAYS_INLINE uint8_t *
dc_table_find_from(struct dc_table *t, const void *key, uint64_t i, uint32_t p, int insert,
		   int *is_new, uint32_t key_len)
{
	uint8_t *s = dc_table_slot(t, i);

	for (; p < DC_TABLE_MAX_PROBE; p++, i++, s += t->slot_size) {
		uint64_t occ, diff = dc_key_differs(s, (const uint8_t *)key, key_len, &occ);

		if (diff == 0)
			return s;
		if (occ == 0) {
			/* Keys are never removed: an empty slot ends the search. */
			if (!insert || unlikely(t->used >= t->max_entries))
				return NULL;
			memcpy(s, key, key_len);
			t->order[t->used++] = (uint32_t)i;
			*is_new = 1;
			return s;
		}
	}
	return NULL;
}

/**
 * Find or insert a burst of @p n keys (at most 64), round one of two: the
 * keys whose home slot holds them or is empty are settled now; the others
 * (about a quarter at the highest load) get the next slot prefetched and
 * are left to dc_table_find_burst_rest(). Between the two calls the caller
 * updates the values of the settled keys, which hides the latency of those
 * prefetches instead of stalling on each dependent miss. The home slots must
 * have been prefetched (dc_table_prefetch()) a stage earlier: by
 * dc_table_find_burst_ahead() for the burst before, or by the caller.
 *
 * @param keys
 *   Key j at keys + j * key_stride.
 * @param h
 *   Their hashes.
 * @param slots
 *   Out: the slot of each settled key, NULL when refused (table full).
 * @param fresh
 *   Out: bit j set when key j was inserted.
 * @return
 *   Bit j set when key j is left for round two (slots[j] not set).
 */
static DC_ALWAYS_INLINE uint64_t dc_table_find_burst_ahead(struct dc_table *t, const void *keys,
							   size_t key_stride, const uint64_t *h,
							   unsigned n, uint8_t **slots,
							   uint64_t *fresh, uint32_t key_len,
							   const uint64_t *next_h, unsigned next_n);

static DC_ALWAYS_INLINE uint64_t
dc_table_find_burst(struct dc_table *t, const void *keys, size_t key_stride, const uint64_t *h,
		    unsigned n, uint8_t **slots, uint64_t *fresh, uint32_t key_len)
{
	return dc_table_find_burst_ahead(t, keys, key_stride, h, n, slots, fresh, key_len, NULL, 0);
}

/**
 * dc_table_find_burst(), prefetching as it goes the home slots of the next
 * burst's hashes @p next_h (@p next_n of them): one after each key of this
 * burst, the rest (when @p next_n > @p n) at the end. Spread over the work
 * of the burst before, the next burst's cache misses keep the core's miss
 * buffers busy all along; issued all at once they overflow them and the
 * core stalls until they drain (bench/table, 1M keys uniform: 45-50 cycles
 * per packet against 64-68, docs/PERFORMANCE.md). It is
 * dc_table_find_burst_then() with @p t as the next table.
 */
static DC_ALWAYS_INLINE uint64_t dc_table_find_burst_then(
	struct dc_table *t, const void *keys, size_t key_stride, const uint64_t *h, unsigned n,
	uint8_t **slots, uint64_t *fresh, uint32_t key_len, const struct dc_table *next_t,
	const uint64_t *next_h, unsigned next_n);

static DC_ALWAYS_INLINE uint64_t
dc_table_find_burst_ahead(struct dc_table *t, const void *keys, size_t key_stride,
			  const uint64_t *h, unsigned n, uint8_t **slots, uint64_t *fresh,
			  uint32_t key_len, const uint64_t *next_h, unsigned next_n)
{
	return dc_table_find_burst_then(t, keys, key_stride, h, n, slots, fresh, key_len, t, next_h,
					next_n);
}

/**
 * dc_table_find_burst_ahead() whose spread prefetches are the home slots
 * of @p next_h in another table, @p next_t: a worker's tables take turns,
 * each one's round one asking for the next one's lines.
 */
static DC_ALWAYS_INLINE uint64_t
dc_table_find_burst_then(struct dc_table *t, const void *keys, size_t key_stride,
			 const uint64_t *h, unsigned n, uint8_t **slots, uint64_t *fresh,
			 uint32_t key_len, const struct dc_table *next_t, const uint64_t *next_h,
			 unsigned next_n)
{
	/* Read once: the stores below through byte pointers may alias them. */
	uint8_t *const base = t->slots;
	const uint64_t nb_slots = t->nb_slots;
	const size_t slot_size = t->slot_size;
	uint8_t *const nbase = next_t->slots;
	const uint64_t nnb_slots = next_t->nb_slots;
	const size_t nslot_size = next_t->slot_size;
	uint64_t empty, nf = 0, later;
	/* per key: left for round two / home empty (0 or 1), gathered below */
	uint8_t lf[64] = {0}, ef[64] = {0};
	unsigned j;

	/* No branch on the data here: a mispredicted branch per displaced key
	 * would cost as much as the probe. */
	for (j = 0; j < n; j++) {
		const uint8_t *key = (const uint8_t *)keys + j * key_stride;
		uint8_t *s = base + (((h[j] >> 32) * nb_slots) >> 32) * slot_size;
		uint64_t occ, diff;

		if (j < next_n)
			__builtin_prefetch(nbase + (((next_h[j] >> 32) * nnb_slots) >> 32) * nslot_size,
					   1);
		diff = dc_key_differs(s, key, key_len, &occ);
		slots[j] = s;
		/* Left for round two: the home holds another key. An occupied
		 * slot never holds the all-zero key, so a zero key is never a
		 * hit here: it goes the slow way (as an empty home or a
		 * displaced key), which checks it. */
		lf[j] = (uint8_t)((diff != 0) & (occ != 0));
		ef[j] = (uint8_t)(occ == 0);
	}
	later = dc_table_flags_mask(lf, n);
	empty = dc_table_flags_mask(ef, n);
	for (; j < next_n; j++)
		__builtin_prefetch(nbase + (((next_h[j] >> 32) * nnb_slots) >> 32) * nslot_size, 1);
	for (uint64_t m = later; m; m &= m - 1)
		__builtin_prefetch(slots[__builtin_ctzll(m)] + slot_size, 1);
	/* Inserts into empty homes, in order (an earlier one may take a later
	 * key's home: dc_table_find_from() then probes on). */
	while (empty) {
		int is_new;

		j = (unsigned)__builtin_ctzll(empty);
		empty &= empty - 1;
		slots[j] = dc_table_find_at(t, (const uint8_t *)keys + j * key_stride, h[j], 0, 1,
					    &is_new, key_len);
		nf |= (uint64_t)is_new << j;
	}
	*fresh = nf;
	return later;
}

/**
 * Round two of dc_table_find_burst(): settle the keys of mask @p later.
 * Bits of keys inserted now are or-ed into @p fresh.
 */
static DC_ALWAYS_INLINE void
dc_table_find_burst_rest(struct dc_table *t, const void *keys, size_t key_stride,
			 const uint64_t *h, uint64_t later, uint8_t **slots, uint64_t *fresh,
			 uint32_t key_len)
{
	while (later) {
		unsigned j = (unsigned)__builtin_ctzll(later);
		int is_new;

		later &= later - 1;
		slots[j] = dc_table_find_at(t, (const uint8_t *)keys + j * key_stride, h[j], 1, 1,
					    &is_new, key_len);
		*fresh |= (uint64_t)is_new << j;
	}
}

/**
 * Find @p key, or insert it with a zeroed value.
 *
 * @param t
 *   The table.
 * @param key
 *   key_len bytes (readable up to key_len rounded up to 8).
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

/** Slots in the table's array, for iteration by index (0 .. capacity - 1). */
static inline uint64_t
dc_table_capacity(const struct dc_table *t)
{
	return t->nb_slots + DC_TABLE_MAX_PROBE + 1;
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
	const uint8_t *s = dc_table_slot(t, i);
	uint64_t occ = 0;

	if (i == dc_table_zero_index(t))
		return (int)t->zero_used;
	for (uint32_t w = 0; 8 * w < t->key_len; w++)
		occ |= dc_key_word(s, t->key_len, w);
	return occ != 0;
}

#ifdef __cplusplus
}
#endif

#endif /* DC_TABLE_H */
