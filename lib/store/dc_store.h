/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The embedded store: completed intervals written to SQLite
 * (dc_store_schema.sql, docs/STORE.md) by a thread of their own, off the
 * control core, one transaction per interval, WAL mode. Per local day (a
 * configured time zone) it keeps the port, country, AS and fingerprint
 * aggregates and the distinct-source sets and sketches.
 *
 * Never blocks its caller: dc_store_put() queues; past @c queue_max queued
 * intervals, up to as many again are "delayed" (queued beyond the bound,
 * counted), and past that an interval is dropped, counted and logged.
 * No DPDK dependency.
 */
#ifndef DC_STORE_H
#define DC_STORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Newest schema this library writes and reads. */
#define DC_STORE_SCHEMA_VERSION 3

struct dc_store_opts {
	const char *path;        /**< database file */
	const char *sensor;      /**< name stored in meta */
	const char *timezone;    /**< IANA zone ("UTC", "Asia/Tokyo") for days */
	uint32_t interval_s;
	uint32_t queue_max;      /**< intervals queued before "delayed" */
	uint64_t exact_max;      /**< distinct sources a day counted exactly, then HLL */
	uint32_t top_asns;       /**< ASes kept per day (by packets) */
	uint32_t delay_ms;       /**< testing aid: the writer sleeps this long per interval */
	uint32_t checkpoint_s;   /**< write the open day's sketches this often (0 = day end, exit) */
	const char *version;     /**< darkcap's version (meta) */
	/** Where log lines go (level: DC_STORE_LOG_*); NULL = stderr. */
	void (*log)(int level, const char *line);
};

enum { DC_STORE_LOG_ERR = 3, DC_STORE_LOG_WARNING = 4, DC_STORE_LOG_NOTICE = 5 };

/** One source of an interval (merged over the workers). */
struct dc_store_src {
	uint8_t addr[16];
	uint8_t family;          /**< 4 or 6 */
	uint8_t nports;          /**< distinct destination ports in ports[] */
	uint8_t more;            /**< a ninth one was seen */
	uint8_t pad;
	uint16_t country;        /**< dc_cc_index() (0 unknown) */
	uint16_t ports[8];
	uint32_t asn;
	uint32_t first, last;    /**< Unix seconds */
	uint64_t packets;
	uint64_t mirai, zmap, masscan;
};

/** One AS of an interval. */
struct dc_store_as {
	uint32_t asn;
	uint64_t packets, mirai;
	char org[48];
};

/** Counters of an interval, as in its JSON record. */
enum dc_store_cnt {
	DC_ST_PACKETS, DC_ST_BYTES, DC_ST_NON_IP, DC_ST_MALFORMED, DC_ST_IPV4, DC_ST_IPV6,
	DC_ST_FRAGMENTS, DC_ST_L4_TRUNCATED, DC_ST_TCP_SYN, DC_ST_TCP_SYNACK, DC_ST_LATE,
	DC_ST_TCP, DC_ST_UDP, DC_ST_ICMP, DC_ST_OTHER, DC_ST_MIRAI, DC_ST_ZMAP, DC_ST_MASSCAN,
	DC_ST_UNIQUE_SOURCES, DC_ST_UNIQUE_DESTINATIONS, DC_ST_TABLE_FULL, DC_ST__MAX
};

/** Per-country counters of an interval. */
enum { DC_STC_PACKETS, DC_STC_BYTES, DC_STC_MIRAI, DC_STC_ZMAP, DC_STC_MASSCAN, DC_STC__MAX };
#define DC_STORE_CC 677

/** A completed interval handed to the store (dc_store_iv_new(); the store
 * owns and frees it once put). */
struct dc_store_iv {
	uint64_t start, end;
	uint64_t c[DC_ST__MAX];
	uint64_t cc[DC_STORE_CC][DC_STC__MAX];
	uint32_t n_tcp, n_udp;     /**< used entries of tcp[] / udp[] */
	uint16_t *tcp_port, *udp_port;
	uint64_t *tcp_pk, *udp_pk;
	uint64_t icmp_type[2][256]; /**< packets per ICMP type: [0] IPv4, [1] ICMPv6 */
	uint64_t n_src;
	struct dc_store_src *src;
	uint32_t n_as;
	struct dc_store_as *as;
	/* Payload signatures (docs/SIGNATURES.md), all zero/NULL when off;
	 * filled with dc_store_iv_sigs(). */
	uint32_t n_sig, n_sig_port, n_sig_cc;
	uint64_t n_sig_src;
	struct dc_store_sig *sig;          /**< one per signature with packets */
	struct dc_store_sig_port *sig_port; /**< every (signature, proto, port) with packets */
	struct dc_store_sig_cc *sig_cc;    /**< every (signature, country) with packets */
	struct dc_store_sig_src *sig_src;  /**< every (signature, source) seen */
	struct dc_store_iv *next;  /**< queue link (the store's) */
};

/** A signature's packets in an interval. */
struct dc_store_sig {
	uint32_t id;
	char name[48];
	char family[32];
	uint64_t packets;          /**< packets that matched (exact) */
	uint64_t sources;          /**< distinct sources that sent them (the interval's) */
};

/** Packets of a signature to one destination port. */
struct dc_store_sig_port {
	uint32_t id;
	uint8_t proto;             /**< 6 or 17 */
	uint16_t port;
	uint64_t packets;
};

/** Packets and distinct sources of a signature from one source country. */
struct dc_store_sig_cc {
	uint32_t id;
	uint16_t country;          /**< dc_cc_index() (0 = unknown) */
	uint64_t packets;
	uint64_t sources;
};

/** One source that sent a signature's packets in the interval. */
struct dc_store_sig_src {
	uint32_t id;
	uint8_t family;            /**< 4 or 6 */
	uint8_t addr[16];
	uint16_t country;
	uint64_t packets;
};

/** Give @p iv room for the given numbers of signature entries (zeroed;
 * out of memory is fatal, dc_mem.h). Freed with the interval. */
void dc_store_iv_sigs(struct dc_store_iv *iv, uint32_t n_sig, uint32_t n_sig_port,
		     uint32_t n_sig_cc, uint64_t n_sig_src);

/** Allocate an interval with room for the given numbers of entries
 * (zeroed). NULL when out of memory. */
struct dc_store_iv *dc_store_iv_new(uint32_t n_tcp, uint32_t n_udp, uint64_t n_src, uint32_t n_as);

/** Free an interval that was not put. */
void dc_store_iv_free(struct dc_store_iv *iv);

struct dc_store;

/**
 * Open (create, or migrate) the database and start the writer thread.
 *
 * @return
 *   0, or -1 with a one-line message (dc_err convention: the path, the
 *   problem; e.g. a newer schema version, not a database, cannot create).
 */
int dc_store_open(const struct dc_store_opts *o, struct dc_store **out);

/**
 * Hand over an interval. With @p wait 0 (a live capture) it never blocks:
 * returns 0 queued, 1 queued as delayed, -1 dropped (counted and logged;
 * @p iv freed). With @p wait 1 (a finite input: nothing is lost by waiting)
 * it waits while queue_max intervals are queued, then queues.
 */
int dc_store_put(struct dc_store *s, struct dc_store_iv *iv, int wait);

/** Counters of the store (any thread). */
struct dc_store_counts {
	uint64_t queued;         /**< waiting now */
	uint64_t written;        /**< intervals committed */
	uint64_t delayed;        /**< intervals queued past queue_max */
	uint64_t dropped;        /**< intervals never written */
	uint64_t errors;         /**< failed transactions (interval then dropped) */
};
void dc_store_counts(struct dc_store *s, struct dc_store_counts *c);

/** Wait until every queued interval is written (or dropped on error). */
void dc_store_flush(struct dc_store *s);

/** Write everything queued, close the open day (its rows say complete = 0
 * unless the capture covered it), stop the thread, close the database. */
void dc_store_close(struct dc_store *s);

/** Local day ("YYYY-MM-DD") of Unix time @p t in the store's zone. */
void dc_store_day(const struct dc_store *s, uint64_t t, char out[11]);

#ifdef __cplusplus
}
#endif

#endif /* DC_STORE_H */
