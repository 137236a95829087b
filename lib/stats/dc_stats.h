/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * libdarkcap-stats: write and read darkcap's shared-memory statistics
 * segment (the ABI is dc_stats_abi.h). Plain C and libc: a collector links
 * it without DPDK (pkg-config darkcap-stats).
 *
 * Errors: functions that can fail return 0 or a negative errno value, and
 * leave a one-line message naming the problem (file, field, value) in
 * dc_stats_strerror(), a per-thread buffer.
 */
#ifndef DC_STATS_H
#define DC_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dc_stats_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The message of the last failed call in this thread. */
const char *dc_stats_strerror(void);

/* ---- reading -------------------------------------------------------- */

struct dc_stats_reader;

/** Reads give up after this many tries (each one raced a publish). */
#define DC_STATS_READ_TRIES 64

/**
 * Open and check a segment: magic, endianness, ABI major, incompat flags,
 * sizes, and every offset, size and string of the header, the descriptor
 * table and the dictionaries against the file's size. Metrics of unknown
 * type, kind, scope or dimension kind are skipped (not listed).
 *
 * @return
 *   0, or -ENOENT / -EACCES (cannot open), -EINVAL (not a darkcap stats
 *   file, or a corrupt one), -EPROTO (a different ABI major or an unknown
 *   incompat flag), -ENOMEM.
 */
int dc_stats_open(const char *path, struct dc_stats_reader **out);

/** Unmap and free. */
void dc_stats_close(struct dc_stats_reader *r);

/** A copy of the header as read now (state, heartbeat, current, publishes
 * read atomically). */
void dc_stats_header(const struct dc_stats_reader *r, struct dc_stats_hdr *h);

/** Metrics (known kinds only). */
unsigned dc_stats_n_metrics(const struct dc_stats_reader *r);

/** Descriptor @p i (< dc_stats_n_metrics()). */
const struct dc_stats_metric *dc_stats_metric(const struct dc_stats_reader *r, unsigned i);

/** Index of the metric @p name of @p scope, or -1. */
int dc_stats_find(const struct dc_stats_reader *r, unsigned scope, const char *name);

/** A string of the string area (help, unit, dimension names), "" when the
 * offset is 0. Checked at open. */
const char *dc_stats_str(const struct dc_stats_reader *r, uint32_t off);

/**
 * The label of element @p idx along dimension @p dim of metric @p m, written
 * to @p buf: a dictionary string, the index in decimal, or a country code.
 */
const char *dc_stats_label(const struct dc_stats_reader *r, const struct dc_stats_metric *m,
			   unsigned dim, uint32_t idx, char *buf, size_t size);

/** Bytes of a snapshot (the buffer dc_stats_read() fills). */
size_t dc_stats_snap_size(const struct dc_stats_reader *r);

/**
 * Copy the newest complete snapshot into @p buf (dc_stats_snap_size()
 * bytes, 8-byte aligned): consistent across all its values.
 *
 * When @p buf is the buffer this reader filled last, still holds that
 * snapshot's header, and no publish has happened since (the same snapshot
 * and sequence number are current), the call returns at once without
 * copying: a reader may call it at any rate and pays for a copy only when
 * there is something new. A caller that changes the values in the buffer
 * between calls must call dc_stats_read_fresh() instead.
 *
 * @param retries
 *   If not NULL, gets the number of tries that raced a publish.
 * @return
 *   0, or -EBUSY when DC_STATS_READ_TRIES tries all raced a publish (the
 *   buffer is then not a snapshot), -EINVAL when the segment's header no
 *   longer makes sense (the caller should reopen).
 */
int dc_stats_read(struct dc_stats_reader *r, void *buf, unsigned *retries);

/** dc_stats_read() that always copies. */
int dc_stats_read_fresh(struct dc_stats_reader *r, void *buf, unsigned *retries);

/** The snapshot header of a buffer dc_stats_read() filled. */
static inline const struct dc_stats_snap *
dc_stats_snap_of(const void *buf)
{
	return (const struct dc_stats_snap *)buf;
}

/** Element @p i of a U64 or CC metric in a snapshot buffer. */
static inline uint64_t
dc_stats_u64(const void *buf, const struct dc_stats_metric *m, uint32_t i)
{
	return ((const uint64_t *)((const uint8_t *)buf + m->value_off))[i];
}

/** Element @p i of an ADDR metric (16 bytes). */
static inline const uint8_t *
dc_stats_addr(const void *buf, const struct dc_stats_metric *m, uint32_t i)
{
	return (const uint8_t *)buf + m->value_off + (size_t)i * 16;
}

/** Element @p i of a STR metric: NUL-terminated text (dc_stats_read()
 * terminates every element of its copy). */
static inline const char *
dc_stats_text(const void *buf, const struct dc_stats_metric *m, uint32_t i)
{
	return (const char *)buf + m->value_off + (size_t)i * DC_STATS_STR_SIZE;
}

/**
 * The label of element @p idx along dimension @p dim of metric @p m in the
 * snapshot buffer @p buf: as dc_stats_label(), and for a DC_STATS_DIM_KEY
 * dimension the key of row @p idx in that snapshot (a number in decimal, or
 * the text). dc_stats_label() gives such a row as "#IDX" (no snapshot).
 */
const char *dc_stats_label_at(const struct dc_stats_reader *r, const void *buf,
			      const struct dc_stats_metric *m, unsigned dim, uint32_t idx,
			      char *out, size_t size);

/** The key metric of dimension @p dim of @p m (a DC_STATS_DIM_KEY
 * dimension), or NULL. Checked at open: 1 dimension of dim_size[dim]
 * elements, U64 or STR. */
const struct dc_stats_metric *dc_stats_key_metric(const struct dc_stats_reader *r,
						  const struct dc_stats_metric *m, unsigned dim);

/** 0 when element @p i of @p m lies on an unused row (a DC_STATS_DIM_KEY
 * coordinate whose key is 0 or "" in @p buf), else 1. */
int dc_stats_elem_used(const struct dc_stats_reader *r, const void *buf,
		       const struct dc_stats_metric *m, uint32_t i);

/** Writer liveness, as dc_stats_liveness() judges it. */
enum dc_stats_live {
	DC_STATS_IS_LIVE = 0,      /**< live, heartbeat fresh */
	DC_STATS_IS_STARTING,      /**< created, nothing published yet */
	DC_STATS_IS_STOPPED,       /**< the writer exited cleanly */
	DC_STATS_IS_STALE,         /**< heartbeat older than 3 periods: writer hung or dead */
	DC_STATS_IS_REPLACED,      /**< the path now holds another instance: reopen */
	DC_STATS_IS_GONE,          /**< the path no longer exists */
};

/**
 * Judge the writer: its state, its heartbeat against @p now_ns
 * (CLOCK_REALTIME), and whether the path now names another file or
 * instance (a restarted writer).
 *
 * @param age_ns
 *   If not NULL, gets now_ns - heartbeat_ns.
 */
enum dc_stats_live dc_stats_liveness(const struct dc_stats_reader *r, uint64_t now_ns,
				     uint64_t *age_ns);

/** Short name of a liveness value ("live", "stale", ...). */
const char *dc_stats_live_name(enum dc_stats_live l);

/** Format a DC_STATS_CC value ("JP", "unknown"). */
const char *dc_stats_cc_name(uint64_t cc, char buf[8]);

/** Format a DC_STATS_ADDR value (IPv4-mapped shown as IPv4). */
const char *dc_stats_addr_name(const uint8_t addr[16], char *buf, size_t size);

/* ---- writing (darkcap's control core; tests) ------------------------ */

/** A metric to declare (strings are copied; a metric with a
 * DC_STATS_DIM_KEY dimension is declared with dc_stats_writer_add_keyed()). */
struct dc_stats_def {
	const char *name;
	const char *help;
	const char *unit;
	uint16_t type, kind, scope, n_dims;
	const char *dim_name[2];
	uint32_t dim_size[2];
	uint16_t dim_kind[2];
	const char *const *dict[2];   /**< DC_STATS_DIM_DICT: dim_size strings */
};

struct dc_stats_writer;

/** Start declaring metrics. */
struct dc_stats_writer *dc_stats_writer_new(void);

/**
 * Declare a metric.
 *
 * @return
 *   Its index (for dc_stats_writer_values()), or a negative errno.
 */
int dc_stats_writer_add(struct dc_stats_writer *w, const struct dc_stats_def *d);

/**
 * Declare a metric with DC_STATS_DIM_KEY dimensions: for each such
 * dimension k, @p key[k] is the index dc_stats_writer_add() returned for its
 * key metric (1 dimension of d->dim_size[k] elements, U64 or STR, declared
 * before). Other dimensions ignore @p key[k].
 *
 * @return
 *   Its index, or a negative errno.
 */
int dc_stats_writer_add_keyed(struct dc_stats_writer *w, const struct dc_stats_def *d,
			      const int key[2]);

/** What the header says about the writer. */
struct dc_stats_writer_info {
	uint32_t interval_s, n_workers, n_ports;
	uint64_t heartbeat_period_ns;
	const char *version;
};

/**
 * Lay the segment out, write it whole to @p path.tmp.PID and rename it to
 * @p path (state STARTING, both snapshots zero and valid).
 *
 * @return
 *   0 or a negative errno (message in dc_stats_strerror()).
 */
int dc_stats_writer_create(struct dc_stats_writer *w, const char *path,
			   const struct dc_stats_writer_info *info);

/** The private staging copy of metric @p m's values: fill it, then
 * publish. Element i is at ((uint8_t *)p) + elem_size * i (16 for ADDR,
 * DC_STATS_STR_SIZE for STR, else 8). */
void *dc_stats_writer_values(struct dc_stats_writer *w, int m);

/** Set element @p i of the STR metric @p m in the staging copy to @p s
 * (truncated to DC_STATS_STR_SIZE - 1 bytes, NUL-padded; NULL: ""). */
void dc_stats_writer_text(struct dc_stats_writer *w, int m, uint32_t i, const char *s);

/** Publish the staging values with @p meta's interval fields; state LIVE. */
void dc_stats_writer_publish(struct dc_stats_writer *w, const struct dc_stats_snap *meta);

/** Advance the heartbeat (call at least every heartbeat_period_ns). */
void dc_stats_writer_heartbeat(struct dc_stats_writer *w);

/** Mark the segment STOPPED (when @p stopped) and release it. The file
 * stays for readers to see the final snapshot. */
void dc_stats_writer_close(struct dc_stats_writer *w, int stopped);

/** Bytes of the segment (after create). */
uint64_t dc_stats_writer_size(const struct dc_stats_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* DC_STATS_H */
