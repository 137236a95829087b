/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dc_common.h"
#include "dc_config.h"
#include "dc_err.h"
#include "dc_fp.h"
#include "dc_mem.h"
#include "dc_telescope.h"

enum key_type { K_UINT, K_STR, K_ENUM, K_TELESCOPE };

/* Where a key lives: in struct dc_config, or in its nic_set (also used,
 * relative to a struct dc_nic_settings, by the profile parser). */
#define NIC 1

struct key_def {
	const char *name;
	enum key_type type;
	int nic;             /* NIC setting: also allowed in drivers-cfg profiles */
	size_t off;          /* offset in struct dc_config or struct dc_nic_settings */
	uint32_t min, max;   /* K_UINT bounds */
	const char *const *choices; /* K_ENUM names, index = value; NULL-terminated */
	const char *def;     /* default as text, as documented */
	const char *desc;
};

static const char *const ts_names[] = {"auto", "wall", "port", NULL};
static const char *const input_names[] = {"auto", "live", "finite", NULL};
static const char *const rss_names[] = {"auto", "none", "ip", "ip,tcp,udp", NULL};
static const char *const onoff_names[] = {"auto", "on", "off", NULL};
static const char *const fp_names[] = {"auto", "scalar", "avx2", NULL};

#define CFG(f) offsetof(struct dc_config, f)
#define NICS(f) offsetof(struct dc_nic_settings, f)

static const struct key_def keys[] = {
	{"interval", K_UINT, 0, CFG(interval), 1, 86400, NULL, "60",
	 "interval length in seconds; intervals are aligned to multiples of it since the Unix epoch (UTC)"},
	{"read", K_STR, 0, CFG(read), 0, 0, NULL, "(none)",
	 "a pcap file (Ethernet, classic pcap format) read once by darkcap itself, instead of ethdev ports, "
	 "or several separated by commas, read one after the other as one input (in time order); "
	 "\"-\" reads standard input (e.g. zcat day.pcap.gz | darkcap ... --read -)"},
	{"output", K_STR, 0, CFG(output), 0, 0, NULL, "darkcap.jsonl",
	 "JSON Lines file that receives one record per interval (appended)"},
	{"truncate", K_ENUM, 0, CFG(truncate), 0, 0, onoff_names, "off",
	 "on: empty the output file at start instead of appending"},
	{"summary", K_ENUM, 0, CFG(summary), 0, 0, onoff_names, "off",
	 "on: print a one-line summary of every interval on stdout"},
	{"workers", K_UINT, 0, CFG(workers), 0, 128, NULL, "0",
	 "worker lcores to use; 0 = every lcore but the main one (the control core)"},
	{"rx_queues", K_UINT, 0, CFG(rx_queues), 0, 1024, NULL, "0",
	 "RX queues per port, spread by RSS; 0 = one per worker, capped by the device"},
	{"mempool_cache", K_UINT, 0, CFG(mempool_cache), 0, 512, NULL, "256",
	 "per-lcore mbuf cache of each port's mempool"},
	{"mbuf_size", K_UINT, 0, CFG(mbuf_size), 1024, 65535, NULL, "2176",
	 "mbuf data room in bytes, headroom included; frames longer than it span several mbufs "
	 "(net_pcap infinite_rx needs every frame in one mbuf: 9344 for 9000-byte jumbo frames)"},
	{"blocks", K_UINT, 0, CFG(blocks), 2, 1024, NULL, "8",
	 "interval counter blocks per worker (about 1 MiB each) in flight to the control core"},
	{"max_pending", K_UINT, 0, CFG(max_pending), 2, 100000, NULL, "64",
	 "intervals the control core keeps open while waiting for slower workers"},
	{"sources_max", K_UINT, 0, CFG(sources_max), 16, 1u << 30, NULL, "131072",
	 "distinct sources a worker's table holds per interval (256 bytes each, x table_sets)"},
	{"destinations_max", K_UINT, 0, CFG(destinations_max), 16, 1u << 30, NULL, "131072",
	 "distinct destinations a worker's table holds per interval (64 bytes each, x table_sets)"},
	{"telescope", K_TELESCOPE, 0, CFG(telescope), 0, 0, NULL, "off",
	 "the telescope's own IPv4 prefixes, comma-separated (e.g. 198.18.0.0/15, at most 16, a /6 in all): "
	 "their distinct destinations are kept in a bitmap (a bit per address, 16 KiB for a /15, x table_sets) "
	 "instead of the destination table; other destinations (IPv6, outside them) still go to the table"},
	{"flowtuples_max", K_UINT, 0, CFG(flowtuples_max), 0, 1u << 30, NULL, "262144",
	 "distinct flowtuples a worker's table holds per interval (128 bytes each, x table_sets); 0 turns flowtuples off"},
	{"table_sets", K_UINT, 0, CFG(table_sets), 2, 16, NULL, "2",
	 "table sets per worker: one fills while the control core drains the others"},
	{"table_autosize", K_ENUM, 0, CFG(table_autosize), 0, 0, onoff_names, "on",
	 "finite inputs (files): the tables use as much of their memory as the intervals need, "
	 "growing within an interval (no key is lost), so that few keys stay in the caches; live inputs always use all of it"},
	{"top_sources", K_UINT, 0, CFG(top_sources), 0, 100000, NULL, "100",
	 "sources listed per interval in top_sources (by packets)"},
	{"day_exact_max", K_UINT, 0, CFG(day_exact_max), 0, 1u << 30, NULL, "4000000",
	 "distinct sources per UTC day counted exactly up to this many, then estimated (HyperLogLog)"},
	{"geo_country", K_STR, 0, CFG(geo_country), 0, 0, NULL, "(none)",
	 "country database: MaxMind .mmdb (GeoLite2-Country or top-level country_code layout) or CSV first,last,code; unset = every source's country unknown"},
	{"geo_asn", K_STR, 0, CFG(geo_asn), 0, 0, NULL, "(none)",
	 "AS database: MaxMind .mmdb (GeoLite2-ASN layout) or CSV first,last,asn[,org]; unset = no asns list"},
	{"top_asns", K_UINT, 0, CFG(top_asns), 0, 100000, NULL, "10",
	 "ASes listed per interval in asns (by packets)"},
	{"signatures", K_STR, 0, CFG(signatures), 0, 0, NULL, "(shipped default.rules)",
	 "payload signature rules files, comma-separated (docs/SIGNATURES.md); off = no payload scanning"},
	{"sig_cache_dir", K_STR, 0, CFG(sig_cache_dir), 0, 0, NULL, "/var/cache/darkcap",
	 "directory for the compiled rules (keyed by the rules' hash, so restarts skip compiling); off = always compile"},
	{"sig_payload_max", K_UINT, 0, CFG(sig_payload_max), 1, 65535, NULL, "1024",
	 "bytes of each TCP/UDP payload scanned for signatures (from its first byte)"},
	{"sig_top", K_UINT, 0, CFG(sig_top), 0, 100000, NULL, "10",
	 "destination ports and countries listed per signature per interval (by packets)"},
	{"sig_table_max", K_UINT, 0, CFG(sig_table_max), 16, 1u << 30, NULL, "65536",
	 "distinct (signature, source, port) entries a worker's table holds per interval (80 bytes each, x table_sets)"},
	{"records_dir", K_STR, 0, CFG(records_dir), 0, 0, NULL, "(off)",
	 "directory for per-interval sources and flowtuples files (CSV, gzip); unset = not written"},
	{"stats_path", K_STR, 0, CFG(stats_path), 0, 0, NULL, "/dev/shm/darkcap.stats",
	 "shared-memory statistics segment (docs/STATS.md); one per running darkcap; off = none"},
	{"store_path", K_STR, 0, CFG(store_path), 0, 0, NULL, "(off)",
	 "SQLite database that keeps every interval and the per-day aggregates (docs/STORE.md); unset = no store"},
	{"store_timezone", K_STR, 0, CFG(store_timezone), 0, 0, NULL, "UTC",
	 "IANA time zone whose days the store's per-day rows follow (e.g. Asia/Tokyo)"},
	{"store_sensor", K_STR, 0, CFG(store_sensor), 0, 0, NULL, "darkcap",
	 "this sensor's name in the store (reports merge several sensors' stores)"},
	{"store_queue", K_UINT, 0, CFG(store_queue), 1, 100000, NULL, "64",
	 "intervals queued for the store's writer before they count as delayed (as many again, then dropped)"},
	{"store_checkpoint", K_UINT, 0, CFG(store_checkpoint), 0, 86400, NULL, "3600",
	 "seconds between writes of the open day's distinct-source sketches (a crash loses at most this much of the day's set); 0 = at day end and exit only"},
	{"store_delay_ms", K_UINT, 0, CFG(store_delay_ms), 0, 60000, NULL, "0",
	 "testing aid: the store's writer sleeps this long per interval (a slow disk)"},
	{"ctl_delay_ms", K_UINT, 0, CFG(ctl_delay_ms), 0, 60000, NULL, "0",
	 "testing aid: the control core sleeps this long after merging each table set (a slow control core)"},
	{"fingerprint_kernel", K_ENUM, 0, CFG(fp_impl), 0, 0, fp_names, "auto",
	 "fingerprint kernel: auto (AVX2 when the CPU has it), scalar or avx2"},
	{"nic", K_STR, 0, CFG(nic), 0, 0, NULL, "auto",
	 "NIC profile from drivers_cfg_dir (e.g. ixgbe, i40e, ice, mlx5, pcap); auto = by driver name"},
	{"drivers_cfg_dir", K_STR, 0, CFG(drivers_cfg_dir), 0, 0, NULL, "(installed drivers-cfg)",
	 "directory of NIC profiles <family>.conf"},
	{"rx_desc", K_UINT, NIC, NICS(rx_desc), 32, 65536, NULL, "profile, else 1024",
	 "RX descriptors per queue"},
	{"burst", K_UINT, NIC, NICS(burst), 1, DC_FP_BURST_MAX, NULL, "profile, else 32",
	 "packets per receive call"},
	{"mbufs_per_queue", K_UINT, NIC, NICS(mbufs_per_queue), 64, 16777216, NULL,
	 "profile, else 4096", "mbufs in the mempool per RX queue"},
	{"rss", K_ENUM, NIC, NICS(rss), 0, 0, rss_names, "profile, else ip,tcp,udp",
	 "RSS hash fields: none, ip, or ip,tcp,udp (masked by what the device supports)"},
	{"timestamps", K_ENUM, NIC, NICS(timestamps), 0, 0, ts_names, "profile, else auto",
	 "packet time: port (the PMD's RX timestamp, e.g. a pcap's own time), wall (TSC clock), "
	 "auto (port when the device offers timestamps and the input is finite, else wall)"},
	{"input", K_ENUM, NIC, NICS(input), 0, 0, input_names, "profile, else auto",
	 "finite: the port's input ends (pcap file) and darkcap exits at its end; live: runs until "
	 "signalled; auto: finite for net_pcap with rx_pcap= and no infinite_rx, else live"},
	{"promisc", K_ENUM, NIC, NICS(promisc), 0, 0, onoff_names, "profile, else on",
	 "promiscuous mode"},
	{"idle_exit_ms", K_UINT, NIC, NICS(idle_exit_ms), 1, 3600000, NULL, "profile, else 200",
	 "finite input: a queue that stays empty this long has reached its end"},
};

static const struct key_def *
key_find(const char *name)
{
	char norm[64];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(norm); i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	for (i = 0; i < DC_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, norm) == 0)
			return &keys[i];
	return NULL;
}

int
dc_config_has_key(const char *key)
{
	return key_find(key) != NULL;
}

const char *
dc_config_enum_name(const char *key, uint32_t v)
{
	const struct key_def *k = key_find(key);
	uint32_t i;

	if (k == NULL || k->choices == NULL)
		return "?";
	for (i = 0; k->choices[i]; i++)
		if (i == v)
			return k->choices[i];
	return "?";
}

static int
parse_uint(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	return 0;
}

/* Set @k in @base (struct dc_config or struct dc_nic_settings). */
static int
key_apply(const struct key_def *k, void *base, const char *value, const char *where)
{
	char *field = (char *)base + k->off;
	uint64_t u;
	unsigned i;

	switch (k->type) {
	case K_UINT:
		if (parse_uint(value, &u) != 0 || u < k->min || u > k->max)
			return dc_err(EINVAL, "%s: %s = '%s': expected a whole number from %u to %u",
				      where, k->name, value, k->min, k->max);
		*(uint32_t *)field = (uint32_t)u;
		return 0;
	case K_STR:
		if (*value == '\0')
			return dc_err(EINVAL, "%s: %s: empty value", where, k->name);
		dc_free(*(char **)field);
		*(char **)field = dc_strdup(value);
		return 0;
	case K_TELESCOPE:
		return dc_telescope_parse((struct dc_telescope *)(void *)field, value, where);
	case K_ENUM:
		for (i = 0; k->choices[i]; i++)
			if (strcmp(k->choices[i], value) == 0) {
				*(uint32_t *)field = i;
				return 0;
			}
		{
			char list[128] = "";

			for (i = 0; k->choices[i]; i++) {
				strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, k->choices[i], sizeof(list) - strlen(list) - 1);
			}
			return dc_err(EINVAL, "%s: %s = '%s': expected one of %s", where, k->name,
				      value, list);
		}
	}
	return dc_err(EINVAL, "%s: %s: bad key type", where, k->name);
}

int
dc_config_set(struct dc_config *cfg, const char *key, const char *value, const char *where)
{
	const struct key_def *k = key_find(key);

	if (k == NULL)
		return dc_err(EINVAL, "%s: unknown key '%s'", where, key);
	if (k->nic == NIC && strcmp(value, "auto") == 0 && k->type == K_UINT) {
		*(uint32_t *)((char *)&cfg->nic_set + k->off) = 0;
		return 0;
	}
	return key_apply(k, k->nic == NIC ? (void *)&cfg->nic_set : (void *)cfg, value, where);
}

void
dc_config_defaults(struct dc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 60;
	cfg->output = dc_strdup("darkcap.jsonl");
	cfg->truncate = DC_OFF;
	cfg->summary = DC_OFF;
	cfg->mempool_cache = 256;
	cfg->mbuf_size = 2176;
	cfg->blocks = 8;
	cfg->max_pending = 64;
	cfg->sources_max = 131072;
	cfg->destinations_max = 131072;
	cfg->flowtuples_max = 262144;
	cfg->table_sets = 2;
	cfg->table_autosize = DC_ON;
	cfg->top_sources = 100;
	cfg->top_asns = 10;
	cfg->day_exact_max = 4000000;
	cfg->fp_impl = DC_FP_AUTO;
	cfg->nic = dc_strdup("auto");
	cfg->stats_path = dc_strdup("/dev/shm/darkcap.stats");
	cfg->store_timezone = dc_strdup("UTC");
	cfg->store_sensor = dc_strdup("darkcap");
	cfg->store_queue = 64;
	cfg->store_checkpoint = 3600;
	cfg->sig_cache_dir = dc_strdup("/var/cache/darkcap");
	cfg->sig_payload_max = 1024;
	cfg->sig_top = 10;
	cfg->sig_table_max = 65536;
	cfg->drivers_cfg_dir = NULL; /* chosen by the application */
}

void
dc_config_free(struct dc_config *cfg)
{
	dc_free(cfg->config);
	dc_free(cfg->output);
	dc_free(cfg->read);
	dc_free(cfg->nic);
	dc_free(cfg->drivers_cfg_dir);
	dc_free(cfg->records_dir);
	dc_free(cfg->stats_path);
	dc_free(cfg->store_path);
	dc_free(cfg->store_timezone);
	dc_free(cfg->store_sensor);
	dc_free(cfg->geo_country);
	dc_free(cfg->geo_asn);
	dc_free(cfg->signatures);
	dc_free(cfg->sig_cache_dir);
	dc_free(cfg->profiles);
	memset(cfg, 0, sizeof(*cfg));
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

typedef int (*kv_fn)(void *ctx, const char *key, const char *value, const char *where);

/* Read `key = value` lines; call @fn for each. */
static int
kv_parse_file(const char *path, kv_fn fn, void *ctx)
{
	char line[1024], where[600];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (f == NULL)
		return dc_err(errno, "%s: cannot open: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *hash;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			ret = dc_err(EINVAL, "%s: line longer than %zu bytes", where, sizeof(line) - 2);
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			ret = dc_err(EINVAL, "%s: expected 'key = value', got '%s'", where, s);
			break;
		}
		*eq = '\0';
		ret = fn(ctx, trim(s), trim(eq + 1), where);
		if (ret != 0)
			break;
	}
	if (ret == 0 && ferror(f))
		ret = dc_err(EIO, "%s: read error", path);
	fclose(f);
	return ret;
}

static int
config_kv(void *ctx, const char *key, const char *value, const char *where)
{
	return dc_config_set(ctx, key, value, where);
}

int
dc_config_load(struct dc_config *cfg, const char *path)
{
	if (kv_parse_file(path, config_kv, cfg) != 0)
		return -1;
	dc_free(cfg->config);
	cfg->config = dc_strdup(path);
	return 0;
}

static int
profile_kv(void *ctx, const char *key, const char *value, const char *where)
{
	struct dc_nic_profile *prof = ctx;
	const struct key_def *k;

	if (strcmp(key, "driver") == 0) {
		if (strlen(value) >= sizeof(prof->drivers) || *value == '\0')
			return dc_err(EINVAL, "%s: driver: expected 1 to %zu characters", where,
				      sizeof(prof->drivers) - 1);
		strcpy(prof->drivers, value);
		return 0;
	}
	k = key_find(key);
	if (k == NULL || k->nic != NIC)
		return dc_err(EINVAL, "%s: unknown key '%s' in a NIC profile", where, key);
	return key_apply(k, &prof->s, value, where);
}

int
dc_nic_profile_load(struct dc_nic_profile *prof, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	memset(prof, 0, sizeof(*prof));
	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n >= sizeof(prof->name))
		n = sizeof(prof->name) - 1;
	memcpy(prof->name, base, n);
	if (kv_parse_file(path, profile_kv, prof) != 0)
		return -1;
	if (prof->drivers[0] == '\0')
		return dc_err(EINVAL, "%s: missing 'driver = ...'", path);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dc_nic_profile *)a)->name,
		      ((const struct dc_nic_profile *)b)->name);
}

int
dc_config_load_profiles(struct dc_config *cfg)
{
	const char *dir = cfg->drivers_cfg_dir;
	struct dirent *de;
	char path[4096];
	DIR *d;

	if (dir == NULL)
		return dc_err(EINVAL, "drivers_cfg_dir is not set");
	d = opendir(dir);
	if (d == NULL)
		return dc_err(errno, "drivers_cfg_dir %s: cannot open: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cfg->profiles = dc_realloc(cfg->profiles,
					   (cfg->nb_profiles + 1) * sizeof(*cfg->profiles));
		if (dc_nic_profile_load(&cfg->profiles[cfg->nb_profiles], path) != 0) {
			closedir(d);
			return -1;
		}
		cfg->nb_profiles++;
	}
	closedir(d);
	if (cfg->nb_profiles)
		qsort(cfg->profiles, cfg->nb_profiles, sizeof(*cfg->profiles), name_cmp);
	if (strcmp(cfg->nic, "auto") != 0 && dc_config_profile_for(cfg, "") == NULL)
		return dc_err(ENOENT, "nic = %s: no profile %s/%s.conf", cfg->nic, dir, cfg->nic);
	return 0;
}

static int
driver_listed(const char *list, const char *driver)
{
	size_t n = strlen(driver);
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		const char *s = p;

		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == n && n && strncmp(s, driver, n) == 0)
			return 1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

const struct dc_nic_profile *
dc_config_profile_for(const struct dc_config *cfg, const char *driver_name)
{
	unsigned i;

	if (cfg->nic && strcmp(cfg->nic, "auto") != 0) {
		for (i = 0; i < cfg->nb_profiles; i++)
			if (strcmp(cfg->profiles[i].name, cfg->nic) == 0)
				return &cfg->profiles[i];
		errno = ENOENT;
		return NULL;
	}
	for (i = 0; i < cfg->nb_profiles; i++)
		if (driver_listed(cfg->profiles[i].drivers, driver_name))
			return &cfg->profiles[i];
	for (i = 0; i < cfg->nb_profiles; i++)
		if (strcmp(cfg->profiles[i].drivers, "*") == 0)
			return &cfg->profiles[i];
	errno = ENOENT;
	return NULL;
}

void
dc_nic_settings_resolve(const struct dc_config *cfg, const struct dc_nic_profile *prof,
			struct dc_nic_settings *out)
{
	static const struct dc_nic_settings builtin = {
		.rx_desc = 1024, .burst = 32, .mbufs_per_queue = 4096,
		.rss = DC_RSS_IP_TCP_UDP, .timestamps = DC_TS_AUTO, .input = DC_INPUT_AUTO,
		.promisc = DC_ON, .idle_exit_ms = 200,
	};
	const struct dc_nic_settings *layers[3] = {&cfg->nic_set, prof ? &prof->s : NULL, &builtin};
	size_t f, l;

	/* Every field is a uint32_t where 0 means "not set at this layer". */
	for (f = 0; f < sizeof(*out) / sizeof(uint32_t); f++) {
		uint32_t v = 0;

		for (l = 0; l < 3 && v == 0; l++)
			if (layers[l])
				v = ((const uint32_t *)layers[l])[f];
		((uint32_t *)out)[f] = v;
	}
}

void
dc_config_dump(const struct dc_config *cfg, FILE *f)
{
	size_t i;

	fprintf(f, "# darkcap configuration: every key, its default and meaning.\n"
		   "# Syntax: key = value; '#' starts a comment. Command-line --key value overrides.\n");
	for (i = 0; i < DC_ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		const void *base = k->nic == NIC ? (const void *)&cfg->nic_set : (const void *)cfg;
		const char *field = (const char *)base + k->off;

		fprintf(f, "\n# %s\n# default: %s\n", k->desc, k->def);
		switch (k->type) {
		case K_UINT:
			if (k->nic == NIC && *(const uint32_t *)field == 0)
				fprintf(f, "%s = auto\n", k->name);
			else
				fprintf(f, "%s = %u\n", k->name, *(const uint32_t *)field);
			break;
		case K_STR:
			fprintf(f, "%s%s = %s\n", *(char *const *)field ? "" : "# ", k->name,
				*(char *const *)field ? *(char *const *)field : k->def);
			break;
		case K_ENUM:
			fprintf(f, "%s = %s\n", k->name, k->choices[*(const uint32_t *)field]);
			break;
		case K_TELESCOPE: {
			char buf[DC_TELESCOPE_MAX * 20];

			dc_telescope_format((const struct dc_telescope *)(const void *)field, buf,
					    sizeof(buf));
			fprintf(f, "%s = %s\n", k->name, buf);
			break;
		}
		}
	}
}
