/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A worker's table set as worker.c sets it up (tset_create(),
 * table_create(), tset_bytes()), for the benchmarks that time the
 * engine's data path in process (bench/stages, bench/sig): its allocation
 * and sizes, a checksum of what the data path wrote, and the distinct keys
 * of a stream by the engine's own parse and keys stages.
 *
 * Failures end the program (dc_bench_die()) except where a function says
 * it returns NULL.
 */
#ifndef DC_BENCH_TSET_H
#define DC_BENCH_TSET_H

#include <stddef.h>
#include <stdint.h>

#include "dc_bench.h"
#include "dc_config.h"
#include "dc_counters.h"
#include "dc_table.h"
#include "dc_tset.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The packets' time in the timed passes (2022-04-01): the wall clock's
 * current second, as a worker on a NIC has it, advanced once per 2^20
 * packets (about a second at 1 Mpps).
 */
#define DC_BENCH_T0 1648771200u

/**
 * A worker's per-burst state besides its table set (worker_create()): the
 * counter block, the burst scratch and the table set's scratch, zeroed, in
 * DPDK memory on @p socket. On failure the program ends.
 *
 * @param c
 *   the counter block.
 * @param ctx
 *   the burst scratch.
 * @param tctx
 *   the table set's scratch.
 * @param socket
 *   NUMA socket of the memory.
 */
void dc_bench_scratch_new(struct dc_counters **c, struct dc_burst_ctx **ctx,
			  struct dc_tset_ctx **tctx, int socket);

/**
 * Free what dc_bench_scratch_new() allocated.
 *
 * @param c
 *   the counter block, or NULL.
 * @param ctx
 *   the burst scratch, or NULL.
 * @param tctx
 *   the table set's scratch, or NULL.
 */
void dc_bench_scratch_free(struct dc_counters *c, struct dc_burst_ctx *ctx,
			   struct dc_tset_ctx *tctx);

/**
 * worker.c's table_create(): a table in DPDK memory on @p socket (its page
 * size noted with dc_bench_note_page()).
 *
 * @param max
 *   most keys.
 * @param slots
 *   home slots.
 * @param key_len
 *   key bytes.
 * @param slot
 *   slot bytes.
 * @param hash_seed
 *   the table's hash seed.
 * @param socket
 *   NUMA socket of the memory.
 * @return
 *   The table (rte_free()), or NULL when DPDK memory ran out.
 */
struct dc_table *dc_bench_table_create(uint64_t max, uint64_t slots, uint32_t key_len,
				       uint32_t slot, uint64_t hash_seed, int socket);

/**
 * worker.c's tset_create() for a configuration, without the signature
 * table: sources (with their cold records), destinations, flowtuples
 * (when flowtuples_max) and ASes (when geo_asn).
 *
 * @param cfg
 *   the sizes.
 * @param hash_seed
 *   the tables' hash seed.
 * @param socket
 *   NUMA socket of the memory.
 * @return
 *   The table set (dc_bench_tset_free()), or NULL when DPDK memory ran out
 *   (nothing left allocated).
 */
struct dc_tset *dc_bench_tset_create(const struct dc_config *cfg, uint64_t hash_seed, int socket);

/**
 * Free a table set from dc_bench_tset_create() (not its signature table).
 *
 * @param ts
 *   the table set, or NULL.
 */
void dc_bench_tset_free(struct dc_tset *ts);

/**
 * worker.c's tset_bytes(): the memory of dc_bench_tset_create(@p cfg).
 *
 * @param cfg
 *   the sizes.
 * @return
 *   Bytes.
 */
size_t dc_bench_tset_size(const struct dc_config *cfg);

/** Distinct destinations in @p ts: its destination table's keys plus, with a
 * telescope, the bits set in its bitmap. */
uint64_t dc_bench_tset_destinations(const struct dc_tset *ts);

/**
 * Checksum of a table: its slots, its insertion order, its counts.
 *
 * @param t
 *   the table, or NULL (then @p h is returned).
 * @param h
 *   the checksum so far.
 * @return
 *   The checksum.
 */
uint64_t dc_bench_table_sum(const struct dc_table *t, uint64_t h);

/**
 * Checksum of a table set's source (and cold records), destination,
 * flowtuple and AS tables; not the signature table, not the refusals.
 *
 * @param ts
 *   the table set.
 * @param h
 *   the checksum so far.
 * @return
 *   The checksum.
 */
uint64_t dc_bench_tset_sum(const struct dc_tset *ts, uint64_t h);

/**
 * Distinct sources, destinations and flowtuples of frames @p f, from the
 * engine's own keys (its parse and keys stages, untimed, bursts of
 * @p burst), hashed and counted. A table set is needed for the keys stage
 * (a tiny one will do: it looks at ts->flow only).
 *
 * @param f
 *   the frames.
 * @param burst
 *   packets per burst.
 * @param bc
 *   burst scratch.
 * @param tc
 *   table-set scratch.
 * @param ts
 *   a table set.
 * @param nip
 *   the IP packets of @p f: every one must get keys, else the program ends.
 * @param src
 *   distinct sources; NULL: not counted.
 * @param dst
 *   distinct destinations.
 * @param flow
 *   distinct flowtuples.
 */
void dc_bench_count_keys(const struct dc_bench_frames *f, unsigned burst, struct dc_burst_ctx *bc,
			 struct dc_tset_ctx *tc, struct dc_tset *ts, uint64_t nip,
			 uint64_t *src, uint64_t *dst, uint64_t *flow);

#ifdef __cplusplus
}
#endif

#endif /* DC_BENCH_TSET_H */
