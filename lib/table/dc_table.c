/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "dc_err.h"
#include "dc_table.h"

const uint32_t dc_hash_fixed_nh[DC_TABLE_MAX_KEY / 4] = {
	0x243F6A88u, 0x85A308D3u, 0x13198A2Eu, 0x03707344u, 0xA4093822u, 0x299F31D0u,
	0x082EFA98u, 0xEC4E6C89u, 0x452821E6u, 0x38D01377u, 0xBE5466CFu, 0x34E90C6Cu,
};

void dc_hash_nh_burst_avx2(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
			   unsigned n, uint64_t *out);
void dc_hash_nh_burst_ptr_avx2(const void *const *keys, uint32_t len, const uint32_t *nh,
			       unsigned n, uint64_t *out);

static void
hash_nh_burst_scalar(const void *keys, size_t stride, uint32_t len, const uint32_t *nh,
		     unsigned n, uint64_t *out)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = dc_hash_nh((const uint8_t *)keys + i * stride, len, nh);
}

typedef void (*hash_burst_fn)(const void *, size_t, uint32_t, const uint32_t *, unsigned,
			      uint64_t *);

static hash_burst_fn
hash_burst_pick(void)
{
	static hash_burst_fn fn;
	hash_burst_fn f = __atomic_load_n(&fn, __ATOMIC_RELAXED);

	if (f == NULL) { /* every thread that gets here stores the same value */
		f = __builtin_cpu_supports("avx2") ? dc_hash_nh_burst_avx2 : hash_nh_burst_scalar;
		__atomic_store_n(&fn, f, __ATOMIC_RELAXED);
	}
	return f;
}

void
dc_hash_nh_burst(const void *keys, size_t stride, uint32_t len, const uint32_t *nh, unsigned n,
		 uint64_t *out)
{
	hash_burst_pick()(keys, stride, len, nh, n, out);
}

void
dc_hash_nh_burst_ptr(const void *const *keys, uint32_t len, const uint32_t *nh, unsigned n,
		     uint64_t *out)
{
	if (hash_burst_pick() == dc_hash_nh_burst_avx2) {
		dc_hash_nh_burst_ptr_avx2(keys, len, nh, n, out);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = dc_hash_nh(keys[i], len, nh);
}

const char *
dc_hash_nh_kernel(void)
{
	return hash_burst_pick() == dc_hash_nh_burst_avx2 ? "avx2" : "scalar";
}

uint64_t
dc_table_slots_for(uint64_t max_entries)
{
	return max_entries ? max_entries * DC_TABLE_SLOTS_PER_KEY : DC_TABLE_SLOTS_PER_KEY;
}

static size_t
hdr_size(void)
{
	return (sizeof(struct dc_table) + 63) & ~(size_t)63;
}

static uint64_t
order_len(uint64_t nb_slots)
{
	/* max_entries <= nb_slots / DC_TABLE_SLOTS_PER_KEY, plus the zero key */
	return nb_slots / DC_TABLE_SLOTS_PER_KEY + 1;
}

size_t
dc_table_mem_size(uint64_t nb_slots, uint32_t slot_size)
{
	/* header, slots (homes, probe spill, the zero key), insertion order */
	return hdr_size() + (nb_slots + DC_TABLE_MAX_PROBE + 1) * slot_size +
	       order_len(nb_slots) * sizeof(uint32_t);
}

struct dc_table *
dc_table_init(void *mem, uint64_t max_entries, uint32_t key_len, uint32_t slot_size,
	      uint64_t seed)
{
	return dc_table_init_n(mem, max_entries, dc_table_slots_for(max_entries), key_len,
			       slot_size, seed);
}

struct dc_table *
dc_table_init_n(void *mem, uint64_t max_entries, uint64_t n, uint32_t key_len,
		uint32_t slot_size, uint64_t seed)
{
	struct dc_table *t = mem;

	if (mem == NULL || key_len == 0 || slot_size == 0 || slot_size % 8 ||
	    (key_len + 7) / 8 * 8 > slot_size || key_len > DC_TABLE_MAX_KEY || max_entries == 0 ||
	    max_entries > (1ull << 31) || n < dc_table_slots_for(max_entries) ||
	    n > (1ull << 32) - (1ull << 16))
		return dc_err_ptr(EINVAL, "table: bad sizes (key %u, slot %u, entries %lu, slots %lu)",
				  key_len, slot_size, (unsigned long)max_entries, (unsigned long)n);
	memset(t, 0, sizeof(*t));
	t->nb_slots = n;
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
	t->slots = (uint8_t *)mem + hdr_size();
	t->order = (uint32_t *)(t->slots + dc_table_capacity(t) * slot_size);
	t->alloc_slots = n;
	t->alloc_entries = max_entries;
	memset(t->slots, 0, dc_table_capacity(t) * slot_size);
	return t;
}

int
dc_table_resize(struct dc_table *t, uint64_t max_entries, uint64_t nb_slots)
{
	if (t->used != 0 || t->zero_used || max_entries == 0 || max_entries > t->alloc_entries ||
	    nb_slots > t->alloc_slots || nb_slots < dc_table_slots_for(max_entries))
		return -EINVAL;
	/* the order array stays where init put it (after the laid-out slots) */
	t->nb_slots = nb_slots;
	t->max_entries = max_entries;
	return 0;
}

void
dc_table_clear(struct dc_table *t)
{
	uint64_t cap = dc_table_capacity(t);

	/* Slot by slot up to a third of the slots: a used slot is a random line
	 * (about 14 cycles each on a finite input's worker, against 5-6 per
	 * line for a memset of the whole array), and a file's tables sized to
	 * their intervals (table_autosize) run at up to 3/8 of their slots
	 * (the clear's share of the worker's data path 19-21 cycles per packet
	 * with a third, 23-27 with an eighth, docs/PERFORMANCE.md). */
	if (t->used < cap / 3) {
		/* The engine's slot sizes (64 and 32 bytes) as constants: stores
		 * the compiler inlines, not a library call per slot (a finite
		 * input's worker clears ~6,000 slots an interval). */
		for (uint64_t k = 0; k < t->used; k++) {
			uint8_t *s = dc_table_slot(t, t->order[k]);

			if (t->slot_size == 64)
				memset(s, 0, 64);
			else if (t->slot_size == 32)
				memset(s, 0, 32);
			else
				memset(s, 0, t->slot_size);
		}
	} else {
		memset(t->slots, 0, cap * t->slot_size);
	}
	t->used = 0;
	t->zero_used = 0;
}

uint8_t *
dc_table_zero_key(struct dc_table *t, int insert, int *is_new)
{
	uint64_t i = dc_table_zero_index(t);

	*is_new = 0;
	if (t->zero_used)
		return dc_table_slot(t, i);
	if (!insert || t->used >= t->max_entries)
		return NULL;
	t->zero_used = 1;
	t->order[t->used++] = (uint32_t)i;
	*is_new = 1;
	return dc_table_slot(t, i);
}

uint8_t *
dc_table_upsert(struct dc_table *t, const void *key, uint64_t h, int *is_new)
{
	return dc_table_find(t, key, h, 1, is_new, t->key_len);
}

uint8_t *
dc_table_lookup(const struct dc_table *t, const void *key, uint64_t h)
{
	int is_new;

	return dc_table_find((struct dc_table *)t, key, h, 0, &is_new, t->key_len);
}
