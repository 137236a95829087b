/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's side of the shared-memory statistics segment (lib/stats,
 * docs/STATS.md): the control core declares every metric at start, stages
 * the values of each completed interval and of the totals since start, and
 * publishes them once per interval record; a heartbeat every second between.
 * Workers never touch the segment. With payload signatures on, a table of
 * signature rows (id, name, family, packets, sources) and the scan counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"
#include "dc_mem.h"
#include "dc_stats.h"
#include "dc_store.h"


enum { SC_TOTAL, SC_INTERVAL, SC__MAX };

/*
 * Payload signatures: one row per signature id, given when the id first
 * appears and kept for the run (its total stays with it across reloads);
 * the row's id, name and family are values of the same snapshot as its
 * counts (DC_STATS_STR, DC_STATS_DIM_KEY), so a rename shows at the next
 * publish and a reader never pairs a name with another id's counts.
 */
#define SIG_ROWS 1024         /* DC_SIG_MAX (lib/sig/dc_sig.h): distinct ids over a run */
#define SIG_HASH 2048         /* id -> row, open addressing, a power of 2 above SIG_ROWS */
_Static_assert(SIG_ROWS >= DC_SIG_SLOTS, "a row for every signature counter slot");

enum { SS_PAYLOAD, SS_SCANNED, SS_MATCHED, SS__MAX };

struct sigpub {
	int id, name, family, pk[SC__MAX], src, scan[SS__MAX][SC__MAX], rules, over[SC__MAX]; /* metrics */
	uint32_t rows;                 /* rows given to ids */
	uint32_t staged_rows;          /* rows whose id is in the staging copy */
	bool pending;                  /* counts of an interval not staged yet */
	uint32_t hash_id[SIG_HASH];    /* 0: empty slot */
	uint16_t hash_row[SIG_HASH];
	uint32_t id_of[SIG_ROWS];
	uint64_t total[SIG_ROWS];      /* packets since start */
	uint64_t ipk[SIG_ROWS], isrc[SIG_ROWS]; /* the pending interval */
	char nm[SIG_ROWS][DC_STATS_STR_SIZE], fam[SIG_ROWS][DC_STATS_STR_SIZE];
	uint8_t dirty[SIG_ROWS];       /* name or family not staged yet */
	uint64_t scan_i[SS__MAX], scan_t[SS__MAX], over_i, over_t, rules_now;
};

struct dc_statpub {
	struct dc_stats_writer *w;
	int scalar[SC__MAX][DC_CNT__MAX];
	int proto[SC__MAX], tcp[SC__MAX], udp[SC__MAX], cc[SC__MAX], full[SC__MAX];
	int icmp[SC__MAX], icmp6[SC__MAX];
	int cc_src, uniq[3];
	int top_n, top_addr, top_cc, top;
	int as_n, as;
	int worker, port, intervals, ivs, fill, cap, store, store_q;
	uint32_t ntop, nas;
	uint64_t full_total[DC_TFULL__MAX];
	uint64_t records;
	uint64_t beat_tsc;
	uint64_t pub_tsc;      /* last publish */
	bool staged;           /* staged values not yet published */
	struct dc_stats_snap meta; /* of the staged values */
	/* per scope and protocol: the port chunks (DC_CHUNK_PORTS ports) the staging copy holds */
	uint64_t touch[SC__MAX][2][DC_TOUCH_WORDS];
	struct sigpub *sig;    /* payload signatures, or NULL (off) */
};

static const char *const cc_fields[] = {"packets", "bytes", "mirai", "zmap", "masscan"};
static const char *const cc_src_fields[] = {"sources", "mirai_sources", "zmap_sources",
					    "masscan_sources"};
static const char *const full_names[] = {"sources", "destinations", "flowtuples", "asns", "signatures"};
static const char *const top_fields[] = {"packets", "bytes", "mirai", "zmap", "masscan",
					 "dst_ports", "dst_ports_more", "asn"};
static const char *const as_fields[] = {"asn", "packets", "bytes", "mirai", "zmap", "masscan",
					"sources", "mirai_sources"};
static const char *const worker_fields[] = {"packets", "interval_stalls", "table_stalls"};
static const char *const port_fields[] = {"received", "missed", "errors", "no_mbuf"};
static const char *const fill_tables[] = {"sources", "destinations", "flowtuples", "asns",
					   "signatures"};
static const char *const store_fields[] = {"written", "delayed", "dropped"};

_Static_assert(DC_ARRAY_SIZE(cc_fields) == DC_CC__MAX, "one name per country counter");
_Static_assert(DC_ARRAY_SIZE(full_names) == DC_TFULL__MAX, "one name per table");

static uint64_t *
vals(const struct dc_statpub *sp, int m)
{
	return m >= 0 ? (uint64_t *)dc_stats_writer_values(sp->w, m) : NULL;
}

static int
add(struct dc_statpub *sp, const struct dc_stats_def *d)
{
	int m = dc_stats_writer_add(sp->w, d);

	if (m < 0)
		return dc_err(-m, "%s", dc_stats_strerror());
	return m;
}

/* A metric with scopes TOTAL (counter) and INTERVAL (gauge). */
static int
add2(struct dc_statpub *sp, int out[SC__MAX], struct dc_stats_def d)
{
	d.type = DC_STATS_COUNTER;
	d.scope = DC_STATS_TOTAL;
	if ((out[SC_TOTAL] = add(sp, &d)) < 0)
		return -1;
	d.type = DC_STATS_GAUGE;
	d.scope = DC_STATS_INTERVAL;
	return (out[SC_INTERVAL] = add(sp, &d)) < 0 ? -1 : 0;
}

/* The signature metrics (docs/STATS.md), when signatures are on. */
static int
declare_sigs(struct dc_statpub *sp, struct sigpub *g)
{
	static const char *const sn[SS__MAX] = {"signature_payload_packets", "signature_scanned_bytes",
						"signature_matched_packets"};
	static const char *const su[SS__MAX] = {"packets", "bytes", "packets"};
	static const char *const sh[SS__MAX] = {
		"IP packets with a non-empty TCP/UDP payload, scanned for signatures",
		"payload bytes scanned: min(payload length, sig_payload_max) per packet",
		"payload packets that matched at least one signature"};
	struct dc_stats_def row = {.type = DC_STATS_GAUGE, .scope = DC_STATS_NOW, .n_dims = 1,
				   .dim_name = {"signature"}, .dim_size = {SIG_ROWS},
				   .dim_kind = {DC_STATS_DIM_KEY}};
	int key[2], m;

	if ((g->id = add(sp, &(struct dc_stats_def){
			.name = "signature_id", .help = "signature id of each row (0: row unused; a row is given to an id when it is first reported, for the run)",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_NOW, .kind = DC_STATS_U64,
			.n_dims = 1, .dim_name = {"row"}, .dim_size = {SIG_ROWS},
			.dim_kind = {DC_STATS_DIM_INDEX}})) < 0)
		return -1;
	key[0] = key[1] = g->id;
	row.kind = DC_STATS_STR;
	row.name = "signature_name";
	row.help = "rule name of each signature, as last reported";
	if ((m = dc_stats_writer_add_keyed(sp->w, &row, key)) < 0)
		return dc_err(-m, "%s", dc_stats_strerror());
	g->name = m;
	row.name = "signature_family";
	row.help = "family tag of each signature, as last reported";
	if ((m = dc_stats_writer_add_keyed(sp->w, &row, key)) < 0)
		return dc_err(-m, "%s", dc_stats_strerror());
	g->family = m;
	row.kind = DC_STATS_U64;
	row.unit = "packets";
	row.help = "packets matching each signature (a packet counts under every signature it matches)";
	for (unsigned sc = 0; sc < SC__MAX; sc++) {
		row.name = "signature_packets";
		row.type = sc == SC_TOTAL ? DC_STATS_COUNTER : DC_STATS_GAUGE;
		row.scope = sc == SC_TOTAL ? DC_STATS_TOTAL : DC_STATS_INTERVAL;
		if ((m = dc_stats_writer_add_keyed(sp->w, &row, key)) < 0)
			return dc_err(-m, "%s", dc_stats_strerror());
		g->pk[sc] = m;
	}
	row.name = "signature_sources";
	row.unit = "sources";
	row.help = "distinct source addresses of each signature's packets in the interval";
	row.type = DC_STATS_GAUGE;
	row.scope = DC_STATS_INTERVAL;
	if ((m = dc_stats_writer_add_keyed(sp->w, &row, key)) < 0)
		return dc_err(-m, "%s", dc_stats_strerror());
	g->src = m;
	for (unsigned i = 0; i < SS__MAX; i++)
		if (add2(sp, g->scan[i], (struct dc_stats_def){
				.name = sn[i], .help = sh[i], .unit = su[i], .kind = DC_STATS_U64}) < 0)
			return -1;
	if (add2(sp, g->over, (struct dc_stats_def){
			.name = "signature_overflow_packets",
			.help = "matches of signatures that found no row (more than 1024 distinct ids over the run)",
			.unit = "packets", .kind = DC_STATS_U64}) < 0 ||
	    (g->rules = add(sp, &(struct dc_stats_def){
			.name = "signature_rules", .help = "signature rules loaded", .unit = "rules",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_NOW, .kind = DC_STATS_U64})) < 0)
		return -1;
	return 0;
}

static int
declare(struct dc_statpub *sp, const struct dc_engine *eng, const char **pnames)
{
	unsigned i;

	for (i = 0; i < DC_CNT__MAX; i++) {
		int o[SC__MAX];

		if (add2(sp, o, (struct dc_stats_def){
				.name = dc_counter_keys[i], .help = dc_counter_desc[i],
				.unit = i == DC_CNT_BYTES ? "bytes" : "packets", .kind = DC_STATS_U64}) < 0)
			return -1;
		sp->scalar[SC_TOTAL][i] = o[SC_TOTAL];
		sp->scalar[SC_INTERVAL][i] = o[SC_INTERVAL];
	}
	if (add2(sp, sp->proto, (struct dc_stats_def){
			.name = "proto_packets", .help = "IP packets per protocol number",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"proto"}, .dim_size = {256}, .dim_kind = {DC_STATS_DIM_INDEX}}) < 0 ||
	    add2(sp, sp->icmp, (struct dc_stats_def){
			.name = "icmp_type_packets", .help = "IPv4 ICMP packets per ICMP type",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"type"}, .dim_size = {256}, .dim_kind = {DC_STATS_DIM_INDEX}}) < 0 ||
	    add2(sp, sp->icmp6, (struct dc_stats_def){
			.name = "icmp6_type_packets", .help = "ICMPv6 packets per ICMPv6 type",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"type"}, .dim_size = {256}, .dim_kind = {DC_STATS_DIM_INDEX}}) < 0 ||
	    add2(sp, sp->tcp, (struct dc_stats_def){
			.name = "tcp_dst_port_packets", .help = "TCP packets per destination port",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"port"}, .dim_size = {65536}, .dim_kind = {DC_STATS_DIM_INDEX}}) < 0 ||
	    add2(sp, sp->udp, (struct dc_stats_def){
			.name = "udp_dst_port_packets", .help = "UDP packets per destination port",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"port"}, .dim_size = {65536}, .dim_kind = {DC_STATS_DIM_INDEX}}) < 0 ||
	    add2(sp, sp->full, (struct dc_stats_def){
			.name = "table_full", .help = "IP packets whose new key did not fit a worker's table",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 1,
			.dim_name = {"table"}, .dim_size = {DC_TFULL__MAX},
			.dim_kind = {DC_STATS_DIM_DICT}, .dict = {full_names}}) < 0)
		return -1;
	sp->cc[0] = sp->cc[1] = sp->cc_src = -1;
	if (eng->geo &&
	    (add2(sp, sp->cc, (struct dc_stats_def){
			.name = "countries", .help = "IP packets per source country (docs/GEO.md)",
			.unit = "packets", .kind = DC_STATS_U64, .n_dims = 2,
			.dim_name = {"country", "counter"}, .dim_size = {DC_CC_MAX, DC_CC__MAX},
			.dim_kind = {DC_STATS_DIM_CC, DC_STATS_DIM_DICT}, .dict = {NULL, cc_fields}}) < 0 ||
	     (sp->cc_src = add(sp, &(struct dc_stats_def){
			.name = "country_sources", .help = "distinct sources per source country in the interval",
			.unit = "sources", .type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL,
			.kind = DC_STATS_U64, .n_dims = 2, .dim_name = {"country", "counter"},
			.dim_size = {DC_CC_MAX, DC_ARRAY_SIZE(cc_src_fields)},
			.dim_kind = {DC_STATS_DIM_CC, DC_STATS_DIM_DICT}, .dict = {NULL, cc_src_fields}})) < 0))
		return -1;
	{
		static const char *const un[3] = {"unique_sources", "unique_destinations", "unique_flowtuples"};
		static const char *const uu[3] = {"sources", "destinations", "flowtuples"};
		static const char *const uh[3] = {"distinct source addresses in the interval",
						  "distinct destination addresses in the interval",
						  "distinct flowtuples in the interval"};

		for (i = 0; i < 3; i++)
			if ((sp->uniq[i] = add(sp, &(struct dc_stats_def){
					.name = un[i], .help = uh[i], .unit = uu[i], .type = DC_STATS_GAUGE,
					.scope = DC_STATS_INTERVAL, .kind = DC_STATS_U64})) < 0)
				return -1;
	}
	sp->ntop = eng->cfg.top_sources;
	sp->top_n = sp->top_addr = sp->top_cc = sp->top = -1;
	if (sp->ntop &&
	    ((sp->top_n = add(sp, &(struct dc_stats_def){
			.name = "top_sources_count", .help = "rows of top_sources in use",
			.unit = "sources", .type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL,
			.kind = DC_STATS_U64})) < 0 ||
	     (sp->top_addr = add(sp, &(struct dc_stats_def){
			.name = "top_sources_addr", .help = "address of each top source (by packets)",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL, .kind = DC_STATS_ADDR,
			.n_dims = 1, .dim_name = {"rank"}, .dim_size = {sp->ntop},
			.dim_kind = {DC_STATS_DIM_INDEX}})) < 0 ||
	     (sp->top_cc = add(sp, &(struct dc_stats_def){
			.name = "top_sources_country", .help = "country of each top source",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL, .kind = DC_STATS_CC,
			.n_dims = 1, .dim_name = {"rank"}, .dim_size = {sp->ntop},
			.dim_kind = {DC_STATS_DIM_INDEX}})) < 0 ||
	     (sp->top = add(sp, &(struct dc_stats_def){
			.name = "top_sources", .help = "values of each top source (docs/OUTPUT.md top_sources)",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL, .kind = DC_STATS_U64,
			.n_dims = 2, .dim_name = {"rank", "counter"},
			.dim_size = {sp->ntop, DC_ARRAY_SIZE(top_fields)},
			.dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, top_fields}})) < 0))
		return -1;
	sp->nas = eng->cfg.geo_asn ? eng->cfg.top_asns : 0;
	sp->as_n = sp->as = -1;
	if (sp->nas &&
	    ((sp->as_n = add(sp, &(struct dc_stats_def){
			.name = "top_asns_count", .help = "rows of top_asns in use", .unit = "asns",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL, .kind = DC_STATS_U64})) < 0 ||
	     (sp->as = add(sp, &(struct dc_stats_def){
			.name = "top_asns", .help = "values of each top AS (by packets)",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_INTERVAL, .kind = DC_STATS_U64,
			.n_dims = 2, .dim_name = {"rank", "counter"},
			.dim_size = {sp->nas, DC_ARRAY_SIZE(as_fields)},
			.dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, as_fields}})) < 0))
		return -1;
	if ((sp->worker = add(sp, &(struct dc_stats_def){
			.name = "worker", .help = "per worker: packets received, intervals and table sets extended",
			.unit = "packets", .type = DC_STATS_COUNTER, .scope = DC_STATS_TOTAL,
			.kind = DC_STATS_U64, .n_dims = 2, .dim_name = {"worker", "counter"},
			.dim_size = {eng->nb_workers ? eng->nb_workers : 1, DC_ARRAY_SIZE(worker_fields)},
			.dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, worker_fields}})) < 0 ||
	    (sp->port = add(sp, &(struct dc_stats_def){
			.name = "port", .help = "per port, from the NIC: received, missed (no descriptor), errors, no mbuf",
			.unit = "packets", .type = DC_STATS_COUNTER, .scope = DC_STATS_TOTAL,
			.kind = DC_STATS_U64, .n_dims = 2, .dim_name = {"port", "counter"},
			.dim_size = {eng->nb_ports ? eng->nb_ports : 1, DC_ARRAY_SIZE(port_fields)},
			.dim_kind = {DC_STATS_DIM_DICT, DC_STATS_DIM_DICT}, .dict = {pnames, port_fields}})) < 0 ||
	    (sp->fill = add(sp, &(struct dc_stats_def){
			.name = "table_fill", .help = "keys in each worker's last merged table set (at most table_capacity)",
			.unit = "entries", .type = DC_STATS_GAUGE, .scope = DC_STATS_NOW,
			.kind = DC_STATS_U64, .n_dims = 2, .dim_name = {"worker", "table"},
			.dim_size = {eng->nb_workers ? eng->nb_workers : 1, DC_ARRAY_SIZE(fill_tables)},
			.dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, fill_tables}})) < 0 ||
	    (sp->cap = add(sp, &(struct dc_stats_def){
			.name = "table_capacity", .help = "keys a worker's table holds (sources_max, destinations_max, flowtuples_max, ASes, sig_table_max)",
			.unit = "entries", .type = DC_STATS_GAUGE, .scope = DC_STATS_NOW,
			.kind = DC_STATS_U64, .n_dims = 1, .dim_name = {"table"},
			.dim_size = {DC_ARRAY_SIZE(fill_tables)},
			.dim_kind = {DC_STATS_DIM_DICT}, .dict = {fill_tables}})) < 0 ||
	    (sp->store = add(sp, &(struct dc_stats_def){
			.name = "store", .help = "intervals the store wrote, queued past store_queue (delayed), never wrote (dropped)",
			.unit = "intervals", .type = DC_STATS_COUNTER, .scope = DC_STATS_TOTAL,
			.kind = DC_STATS_U64, .n_dims = 1, .dim_name = {"counter"},
			.dim_size = {DC_ARRAY_SIZE(store_fields)},
			.dim_kind = {DC_STATS_DIM_DICT}, .dict = {store_fields}})) < 0 ||
	    (sp->store_q = add(sp, &(struct dc_stats_def){
			.name = "store_queued", .help = "intervals waiting for the store's writer",
			.unit = "intervals", .type = DC_STATS_GAUGE, .scope = DC_STATS_NOW,
			.kind = DC_STATS_U64})) < 0 ||
	    (sp->intervals = add(sp, &(struct dc_stats_def){
			.name = "intervals", .help = "interval records written", .unit = "records",
			.type = DC_STATS_COUNTER, .scope = DC_STATS_TOTAL, .kind = DC_STATS_U64})) < 0 ||
	    (sp->ivs = add(sp, &(struct dc_stats_def){
			.name = "interval_seconds", .help = "interval length", .unit = "seconds",
			.type = DC_STATS_GAUGE, .scope = DC_STATS_NOW, .kind = DC_STATS_U64})) < 0)
		return -1;
	if (sp->sig && declare_sigs(sp, sp->sig) != 0)
		return -1;
	return 0;
}

int
dc_statpub_open(struct dc_engine *eng)
{
	struct dc_statpub *sp;
	const char *pnames[DC_MAX_PORTS] = {"none"};
	struct dc_stats_writer_info info = {
		.interval_s = eng->cfg.interval,
		.n_workers = eng->nb_workers,
		.n_ports = eng->nb_ports,
		.heartbeat_period_ns = 1000000000ull,
		.version = DC_VERSION,
	};
	int rc;

	eng->stats = NULL;
	if (eng->cfg.stats_path == NULL || strcmp(eng->cfg.stats_path, "off") == 0)
		return 0;
	sp = dc_calloc(1, sizeof(*sp));
	sp->w = dc_stats_writer_new();
	if (sp->w == NULL) {
		dc_free(sp);
		return dc_err(ENOMEM, "stats: out of memory");
	}
	for (unsigned i = 0; i < eng->nb_ports; i++)
		pnames[i] = eng->ports[i].name;
	if (eng->sig)
		sp->sig = dc_calloc(1, sizeof(*sp->sig));
	if (declare(sp, eng, pnames) != 0) {
		dc_stats_writer_close(sp->w, 0);
		dc_free(sp->sig);
		dc_free(sp);
		return -1;
	}
	rc = dc_stats_writer_create(sp->w, eng->cfg.stats_path, &info);
	if (rc != 0) {
		int e = -rc;

		dc_stats_writer_close(sp->w, 0);
		dc_free(sp->sig);
		dc_free(sp);
		return dc_err(e, "%s", dc_stats_strerror());
	}
	{
		uint64_t *c = vals(sp, sp->cap);

		c[0] = eng->cfg.sources_max;
		c[1] = eng->cfg.destinations_max;
		c[2] = eng->cfg.flowtuples_max;
		c[3] = eng->cfg.geo_asn ? DC_AS_MAX : 0;
		c[4] = eng->sig ? eng->cfg.sig_table_max : 0;
	}
	eng->stats = sp;
	DC_LOG(INFO, ctrl, "statistics segment %s: %" PRIu64 " bytes", eng->cfg.stats_path,
	       dc_stats_writer_size(sp->w));
	return 0;
}

void
dc_statpub_top_source(struct dc_statpub *sp, uint32_t rank, const struct dc_src_rec *s)
{
	uint64_t *v, *cc;
	uint8_t *a;

	if (sp == NULL || sp->top < 0 || rank >= sp->ntop)
		return;
	v = vals(sp, sp->top) + (size_t)rank * DC_ARRAY_SIZE(top_fields);
	v[0] = s->v.packets;
	v[1] = s->v.bytes;
	v[2] = s->v.mirai;
	v[3] = s->v.zmap;
	v[4] = s->v.masscan;
	v[5] = s->v.nports;
	v[6] = s->v.more;
	v[7] = s->v.asn;
	cc = vals(sp, sp->top_cc);
	cc[rank] = s->v.country;
	a = (uint8_t *)dc_stats_writer_values(sp->w, sp->top_addr) + (size_t)rank * 16;
	memset(a, 0, 16);
	if (s->key.family == 4) {
		a[10] = a[11] = 0xFF;
		memcpy(a + 12, s->key.addr, 4);
	} else {
		memcpy(a, s->key.addr, 16);
	}
}

void
dc_statpub_top_sources_count(struct dc_statpub *sp, uint64_t n)
{
	if (sp && sp->top_n >= 0)
		vals(sp, sp->top_n)[0] = n < sp->ntop ? n : sp->ntop;
}

void
dc_statpub_country_sources(struct dc_statpub *sp, const uint64_t *srcs, const uint64_t *msrcs,
			   const uint64_t *zsrcs, const uint64_t *ssrcs)
{
	uint64_t *v;

	if (sp == NULL || sp->cc_src < 0)
		return;
	v = vals(sp, sp->cc_src);
	for (unsigned i = 0; i < DC_CC_MAX; i++, v += 4) {
		v[0] = srcs[i];
		v[1] = msrcs[i];
		v[2] = zsrcs[i];
		v[3] = ssrcs[i];
	}
}

void
dc_statpub_top_as(struct dc_statpub *sp, uint32_t rank, const struct dc_as_slot *a,
		  uint64_t sources, uint64_t mirai_sources)
{
	uint64_t *v;

	if (sp == NULL || sp->as < 0 || rank >= sp->nas)
		return;
	v = vals(sp, sp->as) + (size_t)rank * DC_ARRAY_SIZE(as_fields);
	v[0] = a->key;
	v[1] = a->packets;
	v[2] = a->bytes;
	v[3] = a->mirai;
	v[4] = a->zmap;
	v[5] = a->masscan;
	v[6] = sources;
	v[7] = mirai_sources;
}

void
dc_statpub_top_asns_count(struct dc_statpub *sp, uint64_t n)
{
	if (sp && sp->as_n >= 0)
		vals(sp, sp->as_n)[0] = n < sp->nas ? n : sp->nas;
}

/* Copy a port array into the staging copy chunk by chunk: the chunks the
 * source used, and zeros where the previous copy had a chunk it no longer
 * has (the arrays are 512 KiB; a second holds a few dozen chunks). */
static void
stage_ports(uint64_t *dst, uint64_t *dtouch, const uint64_t *src, const uint64_t *stouch)
{
	uint64_t gone[DC_TOUCH_WORDS];

	for (unsigned w = 0; w < DC_TOUCH_WORDS; w++)
		gone[w] = dtouch[w] & ~stouch[w];
	DC_FOREACH_CHUNK(gone, chunk)
		memset(dst + chunk, 0, DC_CHUNK_PORTS * sizeof(*dst));
	DC_FOREACH_CHUNK(stouch, chunk)
		memcpy(dst + chunk, src + chunk, DC_CHUNK_PORTS * sizeof(*dst));
	memcpy(dtouch, stouch, DC_TOUCH_WORDS * sizeof(*dtouch));
}

static void
stage_counters(struct dc_statpub *sp, int sc, const struct dc_counters *a)
{
	for (unsigned i = 0; i < DC_CNT__MAX; i++)
		vals(sp, sp->scalar[sc][i])[0] = a->c[i];
	memcpy(vals(sp, sp->proto[sc]), a->proto, sizeof(a->proto));
	memcpy(vals(sp, sp->icmp[sc]), a->icmp_type, sizeof(a->icmp_type));
	memcpy(vals(sp, sp->icmp6[sc]), a->icmp6_type, sizeof(a->icmp6_type));
	stage_ports(vals(sp, sp->tcp[sc]), sp->touch[sc][0], a->tcp_dport, a->tcp_touch);
	stage_ports(vals(sp, sp->udp[sc]), sp->touch[sc][1], a->udp_dport, a->udp_touch);
	if (sp->cc[sc] >= 0)
		memcpy(vals(sp, sp->cc[sc]), a->cc, sizeof(a->cc));
}

static void
publish_now(struct dc_engine *eng, struct dc_statpub *sp)
{
	uint64_t *v = vals(sp, sp->worker);

	for (unsigned i = 0; i < eng->nb_workers; i++, v += DC_ARRAY_SIZE(worker_fields)) {
		const struct dc_worker *w = eng->workers[i];

		v[0] = w->packets;
		v[1] = w->stalls;
		v[2] = w->tstalls;
	}
	v = vals(sp, sp->port);
	for (unsigned i = 0; i < eng->nb_ports; i++, v += DC_ARRAY_SIZE(port_fields)) {
		struct dc_port_counts st;

		dc_port_stats(eng, i, &st);
		v[0] = st.received;
		v[1] = st.missed;
		v[2] = st.errors;
		v[3] = st.no_mbuf;
	}
	if (eng->store) {
		struct dc_store_counts sc;

		dc_store_counts(eng->store, &sc);
		v = vals(sp, sp->store);
		v[0] = sc.written;
		v[1] = sc.delayed;
		v[2] = sc.dropped;
		vals(sp, sp->store_q)[0] = sc.queued;
	}
	dc_stats_writer_publish(sp->w, &sp->meta);
	sp->staged = false;
	sp->pub_tsc = sp->beat_tsc = rte_get_timer_cycles();
}

/* The row of signature @id, given now if it has none; -1 when every row is
 * taken (or id 0, which no rule has). */
static int
sig_row(struct sigpub *g, uint32_t id)
{
	uint32_t h = (id * 2654435761u) & (SIG_HASH - 1);

	if (id == 0)
		return -1;
	for (;; h = (h + 1) & (SIG_HASH - 1)) {
		if (g->hash_id[h] == id)
			return g->hash_row[h];
		if (g->hash_id[h] == 0)
			break;
	}
	if (g->rows == SIG_ROWS)
		return -1;
	g->hash_id[h] = id;
	g->hash_row[h] = (uint16_t)g->rows;
	g->id_of[g->rows] = id;
	return (int)g->rows++;
}

/* Copy a name into a row (truncated as the segment holds it); true if it changed. */
static bool
sig_text(char dst[DC_STATS_STR_SIZE], const char *src)
{
	char v[DC_STATS_STR_SIZE];

	snprintf(v, sizeof(v), "%s", src ? src : "");
	if (strcmp(dst, v) == 0)
		return false;
	memcpy(dst, v, sizeof(v));
	return true;
}

/*
 * The interval's signature counts, kept aside until dc_statpub_publish() of
 * the same interval stages them with its record (a publish in between, of
 * an earlier deferred interval, does not see them). Any order; entries with
 * 0 packets are welcome: they give the id its row (a series from 0 on) and
 * carry a rename at once.
 */
void
dc_statpub_signatures(struct dc_statpub *sp, const struct dc_statpub_sig *v, unsigned n,
		      uint64_t payload_packets, uint64_t scanned_bytes, uint64_t matched_packets,
		      uint32_t rules)
{
	struct sigpub *g;
	const uint64_t scan[SS__MAX] = {payload_packets, scanned_bytes, matched_packets};

	if (sp == NULL || (g = sp->sig) == NULL)
		return;
	memset(g->ipk, 0, g->rows * sizeof(g->ipk[0]));
	memset(g->isrc, 0, g->rows * sizeof(g->isrc[0]));
	g->over_i = 0;
	for (unsigned i = 0; i < n; i++) {
		int row = sig_row(g, v[i].id);

		if (row < 0) {
			g->over_i += v[i].packets;
			g->over_t += v[i].packets;
			continue;
		}
		g->ipk[row] += v[i].packets;
		g->isrc[row] += v[i].sources;
		g->total[row] += v[i].packets;
		if (sig_text(g->nm[row], v[i].name) | sig_text(g->fam[row], v[i].family))
			g->dirty[row] = 1;
	}
	for (unsigned i = 0; i < SS__MAX; i++) {
		g->scan_i[i] = scan[i];
		g->scan_t[i] += scan[i];
	}
	g->rules_now = rules;
	g->pending = true;
}

/* Stage the signature rows with the interval dc_statpub_publish() stages:
 * the counts dc_statpub_signatures() kept, or zeros for an interval
 * without them. */
static void
stage_sigs(struct dc_statpub *sp, struct sigpub *g)
{
	uint64_t *v;

	if (!g->pending) {
		memset(g->ipk, 0, g->rows * sizeof(g->ipk[0]));
		memset(g->isrc, 0, g->rows * sizeof(g->isrc[0]));
		memset(g->scan_i, 0, sizeof(g->scan_i));
		g->over_i = 0;
	}
	v = vals(sp, g->id);
	for (; g->staged_rows < g->rows; g->staged_rows++)
		v[g->staged_rows] = g->id_of[g->staged_rows];
	for (uint32_t r = 0; r < g->rows; r++) {
		if (!g->dirty[r])
			continue;
		dc_stats_writer_text(sp->w, g->name, r, g->nm[r]);
		dc_stats_writer_text(sp->w, g->family, r, g->fam[r]);
		g->dirty[r] = 0;
	}
	memcpy(vals(sp, g->pk[SC_TOTAL]), g->total, g->rows * sizeof(g->total[0]));
	memcpy(vals(sp, g->pk[SC_INTERVAL]), g->ipk, g->rows * sizeof(g->ipk[0]));
	memcpy(vals(sp, g->src), g->isrc, g->rows * sizeof(g->isrc[0]));
	for (unsigned i = 0; i < SS__MAX; i++) {
		vals(sp, g->scan[i][SC_TOTAL])[0] = g->scan_t[i];
		vals(sp, g->scan[i][SC_INTERVAL])[0] = g->scan_i[i];
	}
	vals(sp, g->over[SC_TOTAL])[0] = g->over_t;
	vals(sp, g->over[SC_INTERVAL])[0] = g->over_i;
	vals(sp, g->rules)[0] = g->rules_now;
	g->pending = false;
}

/*
 * Stage a completed interval and the totals, and publish them: at once, or,
 * when the last publish is under 100 ms old (a replay from a file completes
 * thousands of intervals a second), from dc_statpub_beat() once it is 100 ms
 * old, or at close. A snapshot always holds the newest staged interval.
 */
void
dc_statpub_publish(struct dc_engine *eng, const struct dc_counters *a,
		   const struct dc_counters *total, const uint64_t uniq[3],
		   const uint64_t full[DC_TFULL__MAX], bool last)
{
	struct dc_statpub *sp = eng->stats;

	if (sp == NULL)
		return;
	sp->records++;
	stage_counters(sp, SC_INTERVAL, a);
	stage_counters(sp, SC_TOTAL, total);
	for (unsigned i = 0; i < 3; i++)
		vals(sp, sp->uniq[i])[0] = uniq[i];
	for (unsigned i = 0; i < DC_TFULL__MAX; i++) {
		sp->full_total[i] += full[i];
		vals(sp, sp->full[SC_INTERVAL])[i] = full[i];
		vals(sp, sp->full[SC_TOTAL])[i] = sp->full_total[i];
	}
	vals(sp, sp->intervals)[0] = sp->records;
	vals(sp, sp->ivs)[0] = eng->cfg.interval;
	if (sp->sig)
		stage_sigs(sp, sp->sig);
	sp->meta.interval_start = a->start;
	sp->meta.interval_end = a->end;
	sp->meta.intervals = sp->records;
	sp->staged = true;
	if (last || !sp->pub_tsc || rte_get_timer_cycles() - sp->pub_tsc >= rte_get_timer_hz() / 10)
		publish_now(eng, sp);
}

void
dc_statpub_table_fill(struct dc_statpub *sp, unsigned worker, const struct dc_tset *ts)
{
	uint64_t *v;

	if (sp == NULL || sp->fill < 0)
		return;
	v = vals(sp, sp->fill) + (size_t)worker * DC_ARRAY_SIZE(fill_tables);
	v[0] = ts->src->used;
	v[1] = ts->dst->used;
	v[2] = ts->flow ? ts->flow->used : 0;
	v[3] = ts->as ? ts->as->used : 0;
	v[4] = ts->sig ? ts->sig->used : 0;
}

void
dc_statpub_beat(struct dc_engine *eng)
{
	struct dc_statpub *sp = eng->stats;
	uint64_t now;

	if (sp == NULL)
		return;
	now = rte_get_timer_cycles();
	if (sp->staged && now - sp->pub_tsc >= rte_get_timer_hz() / 10) {
		publish_now(eng, sp);
	} else if (now - sp->beat_tsc >= rte_get_timer_hz() / 2) {
		dc_stats_writer_heartbeat(sp->w);
		sp->beat_tsc = now;
	}
}

void
dc_statpub_close(struct dc_engine *eng)
{
	if (eng->stats == NULL)
		return;
	/* a last snapshot with the final worker, port and store counters */
	publish_now(eng, eng->stats);
	dc_stats_writer_close(eng->stats->w, 1);
	dc_free(eng->stats->sig);
	dc_free(eng->stats);
	eng->stats = NULL;
}
