/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The ABI of darkcap's shared-memory statistics segment: everything a
 * collector needs to read it, with no other header than <stdint.h>.
 * docs/STATS.md explains it with examples.
 *
 * The segment is a file on tmpfs (default /dev/shm/darkcap.stats), created
 * whole under a temporary name and renamed into place, of a fixed size; it
 * holds only offsets (from the segment's start), never pointers. Layout:
 *
 *   struct dc_stats_hdr           4096 bytes at offset 0
 *   struct dc_stats_metric[]      the descriptor table (hdr.metric_off)
 *   strings                       NUL-terminated, referenced by offset
 *                                 into the string area (hdr.str_off)
 *   snapshot 0, snapshot 1        each a struct dc_stats_snap, then the
 *                                 values (hdr.snap_off[i], hdr.snap_size)
 *
 * One writer (darkcap's control core). Each publish fills the snapshot that
 * is not current: seq made odd, values written, seq made even (release),
 * then hdr.current set to it (release) and the heartbeat advanced. A reader
 * loads hdr.current (acquire), then that snapshot's seq (acquire); an odd
 * seq or a seq that changed while it copied the values means it raced two
 * publishes: it retries (a bounded number of times). A writer that dies
 * mid-publish leaves hdr.current on the last complete snapshot and the
 * heartbeat stale.
 *
 * Versioning: a reader refuses a different magic, endianness or ABI major,
 * or an incompat_flags bit it does not know; it ignores compat_flags bits,
 * metric types, kinds, scopes and dimension kinds it does not know (it skips
 * those metrics). Minor versions only append: header fields behind
 * hdr_size, enum values, metrics. Every offset and size read from the file
 * must be checked against the file's size before use.
 *
 * Minor 1 added text values (DC_STATS_STR) and rows keyed by another
 * metric (DC_STATS_DIM_KEY): a table whose rows are given to ids as they
 * appear (payload signatures), with the ids and their names in the same
 * snapshot as the counts, so a reader never pairs a name with another row's
 * values.
 */
#ifndef DC_STATS_ABI_H
#define DC_STATS_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_STATS_MAGIC "DCSTATS"          /**< 8 bytes with the NUL */
#define DC_STATS_ENDIAN 0x01020304u       /**< as written by the writer */
#define DC_STATS_ABI_MAJOR 1
#define DC_STATS_ABI_MINOR 1
#define DC_STATS_DEFAULT_PATH "/dev/shm/darkcap.stats"

/** hdr.state */
enum dc_stats_state {
	DC_STATS_STARTING = 1, /**< created, nothing published yet */
	DC_STATS_LIVE = 2,     /**< publishing */
	DC_STATS_STOPPED = 3,  /**< the writer exited cleanly (last snapshot final) */
};

/** metric.type */
enum dc_stats_type {
	DC_STATS_COUNTER = 1,  /**< only grows while the writer lives */
	DC_STATS_GAUGE = 2,    /**< a value at the snapshot's time */
};

/** metric.kind: how one element is stored. */
enum dc_stats_kind {
	DC_STATS_U64 = 1,      /**< uint64_t, 8 bytes */
	DC_STATS_ADDR = 2,     /**< IP address, 16 bytes: IPv6, or IPv4 as ::ffff:a.b.c.d */
	DC_STATS_CC = 3,       /**< uint64_t country index: 0 unknown, 1 + 26 * (A - 'A') + (B - 'A') for AB */
	DC_STATS_STR = 4,      /**< text, DC_STATS_STR_SIZE bytes, NUL-padded (since minor 1) */
};

/** Bytes of a DC_STATS_STR element; the text is at most this minus 1
 * bytes (a reader terminates its copy at the last byte whatever the file says). */
#define DC_STATS_STR_SIZE 64

/** metric.scope: what time the values cover. */
enum dc_stats_scope {
	DC_STATS_TOTAL = 1,    /**< since the writer started (counters) */
	DC_STATS_INTERVAL = 2, /**< the last completed interval (snap.interval_start..end) */
	DC_STATS_NOW = 3,      /**< the state when the snapshot was written */
};

/** metric.dim_kind[]: where an element's label value comes from. */
enum dc_stats_dim_kind {
	DC_STATS_DIM_INDEX = 1, /**< the element's index itself (a port, a rank, a worker id) */
	DC_STATS_DIM_DICT = 2,  /**< dim_size strings, one after the other, at dim_dict[] */
	DC_STATS_DIM_CC = 3,    /**< the index as a country code (0 = "unknown"), as DC_STATS_CC */
	/**
	 * Rows keyed by another metric of the same snapshot (since minor 1):
	 * dim_dict[] is the index, in the descriptor table, of a 1-dimension
	 * U64 or STR metric of dim_size elements (itself without a KEY
	 * dimension); element i of it is the label of row i (a U64 in decimal,
	 * or the text). A row whose key is 0 (or "") is unused.
	 */
	DC_STATS_DIM_KEY = 4,
};

/** Segment header: one 4 KiB page at offset 0. */
struct dc_stats_hdr {
	char magic[8];                /**< DC_STATS_MAGIC */
	uint32_t endian;              /**< DC_STATS_ENDIAN */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t hdr_size;            /**< bytes of the header a reader may read (>= this struct) */
	uint32_t state;               /**< enum dc_stats_state (atomic) */
	uint64_t incompat_flags;      /**< unknown bit: refuse */
	uint64_t compat_flags;        /**< unknown bit: ignore */
	uint64_t segment_size;        /**< bytes of the file */
	uint64_t instance_id;         /**< random per writer start */
	uint64_t start_time_ns;       /**< writer start, CLOCK_REALTIME */
	uint64_t heartbeat_ns;        /**< last sign of life, CLOCK_REALTIME (atomic) */
	uint64_t heartbeat_period_ns; /**< the writer beats at least this often */
	uint32_t writer_pid;
	uint32_t interval_s;          /**< the engine's interval length */
	uint32_t n_workers;
	uint32_t n_ports;
	uint64_t metric_off;          /**< descriptor table */
	uint32_t n_metric;
	uint32_t metric_size;         /**< bytes per descriptor (>= sizeof(struct dc_stats_metric)) */
	uint64_t str_off;             /**< string area */
	uint64_t str_size;
	uint64_t snap_off[2];         /**< the two snapshots */
	uint64_t snap_size;           /**< bytes of each, header included */
	uint64_t current;             /**< index (0/1) of the newest complete snapshot (atomic) */
	uint64_t publishes;           /**< snapshots published so far (atomic) */
	char version[64];             /**< the writer's version string */
	uint8_t reserved[4096 - 232]; /**< zero */
};

/** One metric: a name, and where its values are in every snapshot. */
struct dc_stats_metric {
	char name[64];                /**< NUL-terminated, [a-z0-9_] */
	uint16_t type;                /**< enum dc_stats_type */
	uint16_t kind;                /**< enum dc_stats_kind */
	uint16_t scope;               /**< enum dc_stats_scope */
	uint16_t n_dims;              /**< 0 (one value), 1 or 2 */
	uint32_t n_elem;              /**< elements: the product of dim_size[0..n_dims-1] */
	uint32_t elem_size;           /**< bytes per element: 8, 16 for DC_STATS_ADDR, DC_STATS_STR_SIZE for DC_STATS_STR */
	uint64_t value_off;           /**< from the snapshot's start; element i at value_off + i * elem_size */
	uint32_t help;                /**< string offset: one line of help */
	uint32_t unit;                /**< string offset: "packets", "bytes", "seconds", "sources", "" */
	uint32_t dim_name[2];         /**< string offsets: label names ("port", "country", ...) */
	uint32_t dim_size[2];
	uint16_t dim_kind[2];         /**< enum dc_stats_dim_kind */
	uint32_t dim_dict[2];         /**< DC_STATS_DIM_DICT: string offset of the first label;
				       DC_STATS_DIM_KEY: descriptor index of the key metric */
	uint32_t flags;               /**< zero */
};

/** A snapshot's header; the values follow. Element (i, j) of a 2-dim
 * metric is element i * dim_size[1] + j. */
struct dc_stats_snap {
	uint64_t seq;                 /**< even: stable; odd: being written (atomic) */
	uint64_t publish;             /**< hdr.publishes when this one was written */
	uint64_t time_ns;             /**< when it was written, CLOCK_REALTIME */
	uint64_t interval_start;      /**< last completed interval, Unix seconds (0: none yet) */
	uint64_t interval_end;
	uint64_t intervals;           /**< interval records written so far */
	uint64_t reserved[2];
};

_Static_assert(sizeof(struct dc_stats_hdr) == 4096, "header is one page");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, endian) == 8, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, abi_major) == 12, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, hdr_size) == 16, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, state) == 20, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, incompat_flags) == 24, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, compat_flags) == 32, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, segment_size) == 40, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, instance_id) == 48, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, start_time_ns) == 56, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, heartbeat_ns) == 64, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, heartbeat_period_ns) == 72, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, writer_pid) == 80, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, interval_s) == 84, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, n_workers) == 88, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, n_ports) == 92, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, metric_off) == 96, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, n_metric) == 104, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, metric_size) == 108, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, str_off) == 112, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, str_size) == 120, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, snap_off) == 128, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, snap_size) == 144, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, current) == 152, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, publishes) == 160, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, version) == 168, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_hdr, reserved) == 232, "ABI");
_Static_assert(sizeof(struct dc_stats_metric) == 128, "descriptor is 128 bytes");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, type) == 64, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, kind) == 66, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, scope) == 68, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, n_dims) == 70, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, n_elem) == 72, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, elem_size) == 76, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, value_off) == 80, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, help) == 88, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, unit) == 92, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, dim_name) == 96, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, dim_size) == 104, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, dim_kind) == 112, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, dim_dict) == 116, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_metric, flags) == 124, "ABI");
_Static_assert(sizeof(struct dc_stats_snap) == 64, "snapshot header is 64 bytes");
_Static_assert(DC_STATS_STR_SIZE % 8 == 0, "text elements keep values 8-byte aligned");
_Static_assert(__builtin_offsetof(struct dc_stats_snap, publish) == 8, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_snap, time_ns) == 16, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_snap, interval_start) == 24, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_snap, interval_end) == 32, "ABI");
_Static_assert(__builtin_offsetof(struct dc_stats_snap, intervals) == 40, "ABI");

#ifdef __cplusplus
}
#endif

#endif /* DC_STATS_ABI_H */
