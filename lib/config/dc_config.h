/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * darkcap's configuration: one table of keys shared by the config file,
 * the command line (--key value) and the NIC profiles in drivers-cfg/.
 *
 * Precedence, lowest first: built-in default, the NIC profile of the
 * port's driver (drivers-cfg/<family>.conf), the config file, the command
 * line. File syntax: `key = value`, `#` comments, blank lines ignored.
 * Every error is one line naming the file, line, key and value.
 */
#ifndef DC_CONFIG_H
#define DC_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "dc_telescope.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dc_ts_src { DC_TS_AUTO = 0, DC_TS_WALL, DC_TS_PORT };
enum dc_input { DC_INPUT_AUTO = 0, DC_INPUT_LIVE, DC_INPUT_FINITE };
enum dc_rss { DC_RSS_AUTO = 0, DC_RSS_NONE, DC_RSS_IP, DC_RSS_IP_TCP_UDP };
enum dc_onoff { DC_ONOFF_AUTO = 0, DC_ON, DC_OFF };

/** Settings a NIC profile may give; 0 (or *_AUTO) means "not set here". */
struct dc_nic_settings {
	uint32_t rx_desc;          /**< RX descriptors per queue */
	uint32_t burst;            /**< packets per rte_eth_rx_burst() */
	uint32_t mbufs_per_queue;  /**< mempool mbufs per RX queue */
	uint32_t rss;              /**< enum dc_rss */
	uint32_t timestamps;       /**< enum dc_ts_src */
	uint32_t input;            /**< enum dc_input */
	uint32_t promisc;          /**< enum dc_onoff */
	uint32_t idle_exit_ms;     /**< finite input: ms of empty polls that mean its end */
};

/** A NIC profile loaded from drivers-cfg/. */
struct dc_nic_profile {
	char name[64];             /**< file name without .conf, e.g. "i40e" */
	char drivers[256];         /**< comma-separated driver names, or "*" */
	struct dc_nic_settings s;
};

/** The whole configuration. Strings are owned (dc_mem). */
struct dc_config {
	char *config;              /**< config file read, or NULL */
	char *output;              /**< JSON Lines output file */
	char *read;                /**< pcap file read without a driver ("-" = stdin), or NULL */
	uint32_t interval;         /**< seconds */
	uint32_t workers;          /**< worker lcores used; 0 = every worker lcore */
	uint32_t rx_queues;        /**< RX queues per port; 0 = one per worker (capped by the device) */
	uint32_t mempool_cache;    /**< per-lcore mempool cache */
	uint32_t mbuf_size;        /**< mbuf data room, headroom included */
	uint32_t blocks;           /**< interval blocks per worker */
	uint32_t max_pending;      /**< intervals the control core holds open */
	uint32_t sources_max;      /**< per-worker source table entries */
	uint32_t destinations_max; /**< per-worker destination table entries */
	uint32_t flowtuples_max;   /**< per-worker flowtuple table entries; 0 = off */
	struct dc_telescope telescope; /**< the telescope's IPv4 prefixes (n 0 = none) */
	uint32_t table_sets;       /**< table sets per worker (2 = double buffer) */
	uint32_t table_autosize;   /**< enum dc_onoff: finite inputs size the tables to the intervals */
	uint32_t top_sources;      /**< top N sources per interval */
	uint32_t day_exact_max;    /**< exact distinct sources per day up to this, then HLL */
	uint32_t ctl_delay_ms;     /**< testing aid: control core sleep per table set */
	char *records_dir;
	char *stats_path;          /**< statistics segment; "off" = none */
	char *store_path;          /**< SQLite store, or NULL */
	char *store_timezone;
	char *store_sensor;
	uint32_t store_queue;
	uint32_t store_delay_ms;
	uint32_t store_checkpoint;
	char *geo_country;         /**< country database path; NULL = none */
	char *geo_asn;             /**< AS database path; NULL = none */
	uint32_t top_asns;         /**< top N ASes per interval */
	char *signatures;          /**< rules files, comma-separated; NULL = the shipped default; "off" = none */
	char *sig_cache_dir;       /**< compiled rules cache directory; "off" = none */
	uint32_t sig_payload_max;  /**< payload bytes scanned per packet */
	uint32_t sig_top;          /**< ports and countries listed per signature */
	uint32_t sig_table_max;    /**< per-worker (signature, source, port) entries per interval */         /**< per-interval source/flowtuple files; NULL = off */
	uint32_t fp_impl;          /**< enum dc_fp_impl */
	uint32_t summary;          /**< enum dc_onoff: per-interval summary on stdout */
	uint32_t truncate;         /**< enum dc_onoff: truncate the output at start */
	char *nic;                 /**< profile name, or "auto" */
	char *drivers_cfg_dir;     /**< where NIC profiles live */
	struct dc_nic_settings nic_set; /**< overrides of the NIC profile */
	struct dc_nic_profile *profiles;
	unsigned nb_profiles;
};

/** Initialise @p cfg with the built-in defaults. */
void dc_config_defaults(struct dc_config *cfg);

/** Free what @p cfg owns. */
void dc_config_free(struct dc_config *cfg);

/**
 * Set one key from text.
 *
 * @param cfg
 *   Configuration to change.
 * @param key
 *   Key name; '-' is accepted for '_' (command-line form).
 * @param value
 *   Value text.
 * @param where
 *   Context for the error message ("file.conf:12" or "command line").
 * @return
 *   0, or -1 with errno and dc_strerror() naming the key and value.
 */
int dc_config_set(struct dc_config *cfg, const char *key, const char *value, const char *where);

/** Non-zero when @p key (or its '-' form) is a configuration key. */
int dc_config_has_key(const char *key);

/**
 * Read a config file.
 *
 * @return
 *   0, or -1 with a one-line dc_strerror().
 */
int dc_config_load(struct dc_config *cfg, const char *path);

/**
 * Load every drivers-cfg/<name>.conf in cfg->drivers_cfg_dir.
 *
 * @return
 *   0, or -1 with a one-line dc_strerror().
 */
int dc_config_load_profiles(struct dc_config *cfg);

/**
 * Parse one NIC profile file.
 *
 * @return
 *   0, or -1 with a one-line dc_strerror().
 */
int dc_nic_profile_load(struct dc_nic_profile *prof, const char *path);

/**
 * The profile for a driver: cfg->nic when it is not "auto", else the first
 * profile listing @p driver_name, else the "*" profile.
 *
 * @return
 *   The profile, or NULL (errno ENOENT) when none matches.
 */
const struct dc_nic_profile *dc_config_profile_for(const struct dc_config *cfg,
						   const char *driver_name);

/**
 * Effective NIC settings: command line / config file over @p prof over
 * built-in defaults. Never leaves a field unset except input/timestamps,
 * which stay AUTO for the caller to decide from the device.
 */
void dc_nic_settings_resolve(const struct dc_config *cfg, const struct dc_nic_profile *prof,
			     struct dc_nic_settings *out);

/** Write every key with its current value and description, as a config file. */
void dc_config_dump(const struct dc_config *cfg, FILE *f);

/** Name of an enum value of a key (for logs), e.g. dc_config_enum_name("rss", 2). */
const char *dc_config_enum_name(const char *key, uint32_t v);

#ifdef __cplusplus
}
#endif

#endif /* DC_CONFIG_H */
