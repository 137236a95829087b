/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap application internals: the objects that carry a packet from a NIC
 * queue to a JSON line.
 *
 *   port (port.c)      ethdev + mempool per port, N RX queues spread by RSS
 *     -> worker (worker.c)   polls its (port, queue) list, parses bursts,
 *                            counts into its own interval block
 *     -> full ring           block handed over when the interval ends
 *     -> control (control.c) merges the workers' blocks of one interval,
 *                            writes the record, returns blocks (free ring)
 */
#ifndef DARKCAP_H
#define DARKCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "dc_config.h"
#include "dc_counters.h"
#include "dc_tset.h"
#include "dc_geo.h"
#include "dc_pcapfile.h"

#define DC_MAX_WORKER_QUEUES 64
#define DC_MAX_PORTS 32

/* Set from signal handlers; read by every loop. */
extern volatile int dc_quit;
extern volatile int dc_reload;

/* One ethdev port as configured, or the file of `read` (file set). */
struct dc_port {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t socket;
	bool finite;          /* input ends (pcap file) */
	bool started;
	bool ts_port;         /* packets carry the PMD's RX timestamp */
	uint64_t ts_div;      /* RX timestamp units per second */
	char name[64];
	char driver[64];
	char profile[64];
	struct dc_nic_settings set;
	struct rte_mempool *pool;
	struct dc_pcapfile *file; /* read by darkcap itself: no ethdev, no mbufs */
	/* NIC counters as read last, and what earlier resets took away
	 * (control core only; see dc_port_stats()) */
	uint64_t st_last[4], st_base[4];
};

/** A port's receive counters, monotonic over the run. */
struct dc_port_counts {
	uint64_t received, missed, errors, no_mbuf;
};

/* One (port, queue) pair polled by a worker. */
struct dc_rxq {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t burst;
	bool finite;
	bool ts_port;
	uint64_t ts_div;
	bool done;            /* finite input reached its end */
	uint64_t idle_since;  /* TSC of the first empty poll in a row, 0 if none */
	uint64_t idle_exit_tsc; /* finite: empty this long (the port's idle_exit_ms) = ended */
	struct dc_pcapfile *file; /* the port is a file read by the worker itself */
};

/* Interval bookkeeping in a worker; see worker.c. */
struct dc_worker {
	/* Read-mostly set-up, then the worker's hot state. */
	unsigned id;
	unsigned lcore;
	unsigned nb_q;
	uint32_t interval;
	bool ts_port;          /* bin by packet timestamps (all queues agree) */
	uint64_t ts_div;       /* timestamp units per second */
	uint64_t ts_dynflag;   /* copy of dc_engine's */
	int ts_dynfield;
	bool finite;           /* all queues finite: wait for blocks rather than extend */
	bool started;
	unsigned drain_passes; /* bound on the stop-time drain */
	uint64_t deadline_tsc; /* wall mode: TSC of the open interval's end */
	struct dc_counters *cur;
	struct dc_tset *tcur;   /* open table set */
	struct dc_burst_ctx *ctx;
	struct dc_tset_ctx *tctx;
	uint8_t *linbuf;       /* headers of multi-segment frames, copied */
	uint32_t linlen;       /* bytes copied per frame at most */
	struct rte_ring *full; /* worker -> control, single producer/consumer */
	struct rte_ring *free; /* control -> worker */
	struct rte_ring *tfull; /* table sets, worker -> control */
	struct rte_ring *tfree; /* table sets, control -> worker (cleared) */
	struct dc_rxq q[DC_MAX_WORKER_QUEUES];
	/* Worker's own statistics (written by it alone, read by control). */
	uint64_t packets;
	uint64_t stalls;       /* intervals extended because no block was free */
	uint64_t tstalls;      /* table sets extended because none was free */
	uint64_t now_sec;      /* wall clock: the current second, per poll loop */
	uint64_t burst_cycles; /* TSC spent on bursts (data path, mbuf free) */
	uint64_t wait_cycles;  /* of which waiting for the control core */
	uint64_t clear_cycles; /* of which clearing table sets (finite input) */
	/* Finite input with table_autosize (worker_autosize()): the keys the
	 * open interval put in its earlier sets (source, destination and
	 * flowtuple tables), and the sets handed over mid-interval to grow. */
	bool autosize;
	uint64_t demand[3];
	uint64_t grows;
	uint64_t waits;        /* finite input: times it waited for a free block */

	/* Published to the control core: own cache line. */
	RTE_MARKER cacheline1 __rte_cache_aligned;
	uint64_t watermark;    /* every interval starting before this has been handed over */
	uint64_t twatermark;   /* same for table sets */
	uint32_t done;         /* the worker has handed over its last block */
	uint32_t waiting;      /* finite input: waiting for a block or table set */
} __rte_cache_aligned;

/* The whole engine. */
struct dc_engine {
	struct dc_config cfg;
	struct dc_port ports[DC_MAX_PORTS];
	unsigned nb_ports;
	struct dc_worker *workers[RTE_MAX_LCORE];
	unsigned nb_workers;
	int ts_dynfield;        /* mbuf dynfield offset of the RX timestamp, or -1 */
	uint64_t ts_dynflag;    /* ol_flags bit set when the timestamp is valid */
	uint64_t tsc_hz;
	uint64_t base_tsc;      /* wall clock: TSC and Unix ns sampled together */
	uint64_t base_ns;
	int out_fd;             /* the JSON Lines output, opened before launch */
	uint64_t hash_seed;     /* table hash seed, random per run */
	struct dc_geo_view *geo; /* databases in use (RCU: replaced on SIGHUP), or NULL */
	struct rte_rcu_qsbr *rcu; /* workers' quiescent states, for reloads */
	struct dc_statpub *stats; /* statistics segment writer, or NULL (control core only) */
	struct dc_store *store;   /* the store's writer, or NULL (control core only) */
	struct dc_sig_view *sig;  /* payload signatures in use (RCU: replaced on SIGHUP), or NULL = off */
};

extern struct dc_engine dc_eng;

/* port.c */
int dc_ports_init(struct dc_engine *eng);
void dc_ports_stop(struct dc_engine *eng);
void dc_port_stats_json(struct dc_engine *eng, struct dc_sbuf *sb);

/**
 * Port @p i's receive counters (ipackets, imissed, ierrors, rx_nombuf),
 * kept monotonic: when a driver resets them (a memif peer that reconnects,
 * a port restart) the values before the reset are carried, so nothing the
 * port delivered drops out of the accounting. Control core only.
 */
void dc_port_stats(struct dc_engine *eng, unsigned i, struct dc_port_counts *out);

/* worker.c */
int dc_workers_init(struct dc_engine *eng);
int dc_worker_main(void *arg);
/* Spread every (port, queue) over the workers, round robin, once the ports
 * are configured. Workers left without a queue are not launched. */
int dc_workers_assign(struct dc_engine *eng);
uint64_t dc_wall_ns(const struct dc_engine *eng, uint64_t tsc);
size_t tset_bytes(const struct dc_config *cfg);

/** A file or directory shipped with darkcap: @p installed when it exists
 * (or neither does: the error then names the installed path), else
 * @p in_source (a build run from the source tree). */
static inline const char *
dc_shipped_path(const char *installed, const char *in_source)
{
	struct stat st;

	if (stat(installed, &st) == 0 || stat(in_source, &st) != 0)
		return installed;
	return in_source;
}

/* sig.c: payload signatures (docs/SIGNATURES.md) */
/** Signatures are on in @p cfg (not "off"). */
bool dc_sig_on(const struct dc_config *cfg);
/** Load the rules of @p cfg for @p nb_workers workers, giving each signature
 * id its counter slot (kept across reloads); NULL with dc_strerror(). */
struct dc_sig_view *dc_sig_view_load(const struct dc_config *cfg, unsigned nb_workers);
void dc_sig_view_free(struct dc_sig_view *v);
/** Give every rule of @p v its counter slot and record the names (control
 * core, before the view is published); -1 when the run is out of slots. */
int dc_sig_view_bind(struct dc_sig_view *v);
/** Signature id, name and family of counter slot @p slot (NULL name: unused). */
const char *dc_sig_slot_name(unsigned slot, uint32_t *id, const char **family);
/** Counter slots in use (highest + 1). */
unsigned dc_sig_slots_used(void);

/* geo.c */
struct dc_geo_view *dc_geo_view_load(const struct dc_config *cfg);
void dc_geo_view_free(struct dc_geo_view *v);

/* stats.c: the statistics segment (control core only) */
struct dc_statpub;
struct dc_src_rec;
struct dc_as_slot;
int dc_statpub_open(struct dc_engine *eng);
void dc_statpub_top_source(struct dc_statpub *sp, uint32_t rank, const struct dc_src_rec *s);
void dc_statpub_top_sources_count(struct dc_statpub *sp, uint64_t n);
void dc_statpub_country_sources(struct dc_statpub *sp, const uint64_t *srcs, const uint64_t *msrcs,
				const uint64_t *zsrcs, const uint64_t *ssrcs);
void dc_statpub_top_as(struct dc_statpub *sp, uint32_t rank, const struct dc_as_slot *a,
		       uint64_t sources, uint64_t mirai_sources);
void dc_statpub_top_asns_count(struct dc_statpub *sp, uint64_t n);
void dc_statpub_publish(struct dc_engine *eng, const struct dc_counters *a,
			const struct dc_counters *total, const uint64_t uniq[3],
			const uint64_t full[DC_TFULL__MAX], bool last);
void dc_statpub_table_fill(struct dc_statpub *sp, unsigned worker, const struct dc_tset *ts);
/** One signature's counts in the interval just merged. */
struct dc_statpub_sig {
	uint32_t id;
	const char *name;
	const char *family;
	uint64_t packets;
	uint64_t sources;
};
/** The interval's signature counts (only signatures with packets, any
 * order) and scan counters; called before dc_statpub_publish() of the same
 * interval, only when signatures are on (eng->sig set at dc_statpub_open). */
void dc_statpub_signatures(struct dc_statpub *sp, const struct dc_statpub_sig *v, unsigned n,
			   uint64_t payload_packets, uint64_t scanned_bytes,
			   uint64_t matched_packets, uint32_t rules);
void dc_statpub_beat(struct dc_engine *eng);
void dc_statpub_close(struct dc_engine *eng);

/* control.c */
int dc_control_open(struct dc_engine *eng);
int dc_control_run(struct dc_engine *eng);

#endif /* DARKCAP_H */
