/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_fake_writer: a statistics segment with darkcap's metric names and
 * known values, for testing the readers (darkcap-stat, darkcap-exporter)
 * before and apart from the engine. Uses the writer API of libdarkcap-stats.
 *
 * Values of publish k (1, 2, ...) with --scale s (test_stats.py holds the
 * same table):
 *   scalar NAME, TOTAL    = BASE(NAME) * s * k;  INTERVAL = BASE(NAME) * s
 *   proto_packets, tcp_dst_port_packets, udp_dst_port_packets, countries,
 *   table_full: the same rule on the tables below (country_sources,
 *   unique_*: INTERVAL only, BASE * s)
 *   top_sources, top_asns: the rows below, packets/bytes/mirai/zmap/masscan
 *   times s (the other fields as they are)
 *   worker: packets = 1000 s k / W (remainder on worker 0),
 *   interval_stalls = worker id, table_stalls 0
 *   port: received = 1000 s k / P (remainder on port 0), missed =
 *   --missed * k and no_mbuf = --no-mbuf * k on port 0, errors 0
 *   table_fill (NOW) = the table_fill base * s + worker id; table_capacity
 *   as below
 *   intervals = k; interval_seconds = --interval; the snapshot's interval
 *   is [1699999980 + 60 (k - 1), + 60)
 *   payload signatures (unless --no-sig), 1024 rows keyed by signature_id:
 *   the signatures below get their rows in table order as they first appear
 *   (publish `from`); from then on, INTERVAL packets = packets * s, sources
 *   = sources * s, TOTAL packets = packets * s * (k - from + 1); name and
 *   family are those of publish 1 at k = 1, the renamed ones from k = 2 on;
 *   signature_payload_packets, _scanned_bytes, _matched_packets as the
 *   scalars (bases 500, 32000, 260), signature_overflow_packets 0,
 *   signature_rules 18
 *
 * Modes: publish every --period-ms for ever (default), or --count N
 * publishes (--once: 1; 0: never, the segment stays STARTING) and then only
 * heartbeats; --stop: mark it STOPPED after the publishes and exit. SIGTERM
 * or SIGINT: STOPPED and exit 0. Prints "ready PID" once the first publish
 * (or the creation, with --count 0) is done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dc_stats.h"

#define PROG "stats_fake_writer"
#define N_CC 677
#define IVL_BASE 1699999980ull

static volatile sig_atomic_t quit;

static const struct {
	const char *name, *unit, *help;
	uint64_t base;
} scalars[] = {
	{"packets", "packets", "Frames delivered by the ports", 1000},
	{"bytes", "bytes", "Bytes of those frames", 64000},
	{"non_ip", "packets", "Frames that are not IPv4/IPv6 after up to 2 VLAN tags", 25},
	{"malformed", "packets", "Broken Ethernet/VLAN or IP header", 15},
	{"ipv4", "packets", "Well-formed IPv4 packets", 880},
	{"ipv6", "packets", "Well-formed IPv6 packets", 80},
	{"fragments", "packets", "Non-first fragments", 12},
	{"l4_truncated", "packets", "TCP/UDP header or IPv6 extension header cut short", 8},
	{"tcp_syn", "packets", "TCP SYN set, ACK clear", 600},
	{"tcp_synack", "packets", "TCP SYN and ACK set", 40},
	{"mirai", "packets", "TCP SYN packets with the Mirai fingerprint", 300},
	{"zmap", "packets", "TCP SYN packets with the ZMap fingerprint", 200},
	{"masscan", "packets", "TCP SYN packets with the Masscan fingerprint", 100},
	{"late", "packets", "Packets timestamped before their worker's open interval", 0},
};

struct kv {
	uint32_t k;
	uint64_t v;
};

static const struct kv protos[] = {{6, 700}, {17, 200}, {1, 50}, {58, 10}};
static const struct kv tcp_ports[] = {{23, 300}, {2323, 50}, {22, 100}, {80, 80}, {445, 60},
				      {3389, 40}, {8080, 20}, {12345, 30}, {60000, 20}};
static const struct kv udp_ports[] = {{53, 80}, {123, 40}, {1900, 30}, {5060, 20}, {40000, 30}};

static const char *const country_fields[] = {"packets", "bytes", "mirai", "zmap", "masscan"};
static const char *const csrc_fields[] = {"sources", "mirai_sources", "zmap_sources",
					  "masscan_sources"};
static const struct {
	const char *cc;
	uint64_t v[5], src[4];
} countries[] = {
	{"CN", {400, 25600, 150, 50, 30}, {40, 15, 5, 3}},
	{"US", {300, 19200, 50, 100, 40}, {30, 5, 10, 4}},
	{"JP", {150, 9600, 50, 30, 20}, {15, 5, 3, 2}},
	{"BR", {100, 6400, 50, 20, 10}, {10, 5, 2, 1}},
	{"", {50, 3200, 0, 0, 0}, {5, 0, 0, 0}}, /* unknown */
};

static const char *const table_names[] = {"sources", "destinations", "flowtuples", "asns"};
static const uint64_t table_full_base[] = {0, 0, 5, 1};
static const uint64_t table_fill_base[] = {60, 230, 400, 0};
static const uint64_t table_capacity[] = {1000000, 1000000, 4000000, 0};

static const char *const top_fields[] = {"packets", "bytes", "mirai", "zmap", "masscan",
					 "dst_ports", "dst_ports_more", "asn"};
static const struct {
	const char *addr, *cc;
	uint64_t v[8];
} top_rows[] = {
	{"192.0.2.1", "CN", {100, 6400, 50, 0, 0, 3, 0, 64500}},
	{"192.0.2.2", "US", {90, 5760, 0, 40, 0, 20, 1, 64501}},
	{"2001:db8::1", "JP", {80, 5120, 0, 0, 30, 5, 0, 64502}},
	{"198.51.100.7", "BR", {70, 4480, 10, 0, 0, 1, 0, 0}},
	{"203.0.113.9", "", {60, 3840, 0, 0, 0, 2, 0, 64500}},
};

static const char *const asn_fields[] = {"asn", "packets", "bytes", "mirai", "zmap", "masscan",
					 "sources", "mirai_sources"};
static const uint64_t asn_rows[][8] = {
	{64500, 160, 10240, 50, 0, 0, 2, 1},
	{64501, 90, 5760, 0, 40, 0, 1, 0},
	{64502, 80, 5120, 0, 0, 30, 1, 0},
};

#define SIG_ROWS 1024
static const struct {
	uint32_t id;
	const char *name, *family;     /* at publish 1 */
	const char *name2, *family2;   /* from publish 2 on (a rule reload renamed them) */
	uint64_t packets, sources;
	long from;                     /* first publish with packets */
} sigs[] = {
	{1001, "sip-options", "sip-scan", "sip-options", "sip-scan", 120, 12, 1},
	{2003, "jaws-shell", "mirai-exploit", "jaws-shell-v2", "mirai-exploit", 80, 8, 1},
	{1004, "ntp-monlist", "ntp-amp", "ntp-monlist", "ntp-amplification", 40, 4, 1},
	{2007, "loader-wget", "iot-downloader", "loader-wget", "iot-downloader", 30, 3, 2},
};
static const char *const sig_scalars[] = {"signature_payload_packets", "signature_scanned_bytes",
					  "signature_matched_packets"};
static const uint64_t sig_scalar_base[] = {500, 32000, 260};

static const char *const worker_fields[] = {"packets", "interval_stalls", "table_stalls"};
static const char *const port_fields[] = {"received", "missed", "errors", "no_mbuf"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct opts {
	const char *path;
	unsigned workers, ports, top, interval;
	uint64_t scale, missed, no_mbuf;
	long count;                 /* publishes; -1: for ever */
	unsigned period_ms, heartbeat_ms;
	int stop, geo, asn, sig;
};

/* Metric indexes in the writer, -1 when not declared. */
struct ids {
	int scalar[N(scalars)][2];  /* [TOTAL, INTERVAL] */
	int proto[2], tcp[2], udp[2], countries[2], table_full[2];
	int csrc, uniq[3], top_count, top_addr, top_country, top, asn_count, asns;
	int worker, port, fill, capacity, intervals, interval_seconds;
	int sig_id, sig_name, sig_family, sig_pk[2], sig_src, sig_scalar[3][2], sig_over[2], sig_rules;
};

static void __attribute__((noreturn))
die(const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
	exit(1);
}

static uint32_t
cc_index(const char *cc)
{
	if (cc[0] == '\0')
		return 0;
	return 1 + 26 * (uint32_t)(cc[0] - 'A') + (uint32_t)(cc[1] - 'A');
}

static int
add(struct dc_stats_writer *w, struct dc_stats_def d)
{
	int i = dc_stats_writer_add(w, &d);

	if (i < 0)
		die(dc_stats_strerror());
	return i;
}

static struct dc_stats_def
def(const char *name, unsigned scope, const char *unit, const char *help)
{
	struct dc_stats_def d = {0};

	d.name = name;
	d.help = help;
	d.unit = unit;
	d.kind = DC_STATS_U64;
	d.scope = (uint16_t)scope;
	d.type = scope == DC_STATS_TOTAL ? DC_STATS_COUNTER : DC_STATS_GAUGE;
	return d;
}

static void
dim(struct dc_stats_def *d, const char *name, uint32_t size, unsigned kind,
    const char *const *dict)
{
	unsigned k = d->n_dims++;

	d->dim_name[k] = name;
	d->dim_size[k] = size;
	d->dim_kind[k] = (uint16_t)kind;
	d->dict[k] = dict;
}

static void
declare(struct dc_stats_writer *w, const struct opts *o, struct ids *id,
	const char *const *port_names)
{
	static const unsigned scopes[2] = {DC_STATS_TOTAL, DC_STATS_INTERVAL};
	static const char *const uniq[3] = {"unique_sources", "unique_destinations",
					    "unique_flowtuples"};
	static const char *const uniq_unit[3] = {"sources", "destinations", "flowtuples"};
	struct dc_stats_def d;

	memset(id, -1, sizeof(*id));
	for (unsigned s = 0; s < 2; s++) {
		for (unsigned i = 0; i < N(scalars); i++)
			id->scalar[i][s] = add(w, def(scalars[i].name, scopes[s], scalars[i].unit,
						      scalars[i].help));
		d = def("proto_packets", scopes[s], "packets", "IP packets per protocol number");
		dim(&d, "proto", 256, DC_STATS_DIM_INDEX, NULL);
		id->proto[s] = add(w, d);
		d = def("tcp_dst_port_packets", scopes[s], "packets", "TCP packets per destination port");
		dim(&d, "port", 65536, DC_STATS_DIM_INDEX, NULL);
		id->tcp[s] = add(w, d);
		d = def("udp_dst_port_packets", scopes[s], "packets", "UDP packets per destination port");
		dim(&d, "port", 65536, DC_STATS_DIM_INDEX, NULL);
		id->udp[s] = add(w, d);
		if (o->geo) {
			d = def("countries", scopes[s], "packets", "Per source country");
			dim(&d, "country", N_CC, DC_STATS_DIM_CC, NULL);
			dim(&d, "counter", N(country_fields), DC_STATS_DIM_DICT, country_fields);
			id->countries[s] = add(w, d);
		}
		d = def("table_full", scopes[s], "packets", "Packets whose new key a full table refused");
		dim(&d, "table", N(table_names), DC_STATS_DIM_DICT, table_names);
		id->table_full[s] = add(w, d);
	}
	if (o->geo) {
		d = def("country_sources", DC_STATS_INTERVAL, "sources",
			"Distinct sources per source country");
		dim(&d, "country", N_CC, DC_STATS_DIM_CC, NULL);
		dim(&d, "counter", N(csrc_fields), DC_STATS_DIM_DICT, csrc_fields);
		id->csrc = add(w, d);
	}
	for (unsigned i = 0; i < 3; i++)
		id->uniq[i] = add(w, def(uniq[i], DC_STATS_INTERVAL, uniq_unit[i],
					 "Distinct keys of the last interval, all workers merged"));
	id->top_count = add(w, def("top_sources_count", DC_STATS_INTERVAL, "sources",
				   "Valid rows of top_sources"));
	d = def("top_sources_addr", DC_STATS_INTERVAL, "", "Address of each top source");
	d.kind = DC_STATS_ADDR;
	dim(&d, "rank", o->top, DC_STATS_DIM_INDEX, NULL);
	id->top_addr = add(w, d);
	d = def("top_sources_country", DC_STATS_INTERVAL, "", "Country of each top source");
	d.kind = DC_STATS_CC;
	dim(&d, "rank", o->top, DC_STATS_DIM_INDEX, NULL);
	id->top_country = add(w, d);
	d = def("top_sources", DC_STATS_INTERVAL, "packets", "The sources with most packets");
	dim(&d, "rank", o->top, DC_STATS_DIM_INDEX, NULL);
	dim(&d, "counter", N(top_fields), DC_STATS_DIM_DICT, top_fields);
	id->top = add(w, d);
	if (o->asn) {
		id->asn_count = add(w, def("top_asns_count", DC_STATS_INTERVAL, "asns",
					   "Valid rows of top_asns"));
		d = def("top_asns", DC_STATS_INTERVAL, "packets", "The ASes with most packets");
		dim(&d, "rank", o->top, DC_STATS_DIM_INDEX, NULL);
		dim(&d, "counter", N(asn_fields), DC_STATS_DIM_DICT, asn_fields);
		id->asns = add(w, d);
	}
	d = def("worker", DC_STATS_TOTAL, "packets", "Per worker");
	dim(&d, "worker", o->workers, DC_STATS_DIM_INDEX, NULL);
	dim(&d, "counter", N(worker_fields), DC_STATS_DIM_DICT, worker_fields);
	id->worker = add(w, d);
	d = def("port", DC_STATS_TOTAL, "packets", "NIC counters per port (rte_eth_stats)");
	dim(&d, "port", o->ports, DC_STATS_DIM_DICT, port_names);
	dim(&d, "counter", N(port_fields), DC_STATS_DIM_DICT, port_fields);
	id->port = add(w, d);
	d = def("table_fill", DC_STATS_NOW, "entries", "Keys in each worker's last merged table set");
	dim(&d, "worker", o->workers, DC_STATS_DIM_INDEX, NULL);
	dim(&d, "table", N(table_names), DC_STATS_DIM_DICT, table_names);
	id->fill = add(w, d);
	d = def("table_capacity", DC_STATS_NOW, "entries", "Keys a worker's table holds");
	dim(&d, "table", N(table_names), DC_STATS_DIM_DICT, table_names);
	id->capacity = add(w, d);
	id->intervals = add(w, def("intervals", DC_STATS_TOTAL, "records",
				   "Interval records written"));
	id->interval_seconds = add(w, def("interval_seconds", DC_STATS_NOW, "seconds",
					  "Interval length"));
	if (o->sig) {
		int key[2];

		d = def("signature_id", DC_STATS_NOW, "", "Signature id of each row (0: unused)");
		dim(&d, "row", SIG_ROWS, DC_STATS_DIM_INDEX, NULL);
		id->sig_id = add(w, d);
		key[0] = key[1] = id->sig_id;
		d = def("signature_name", DC_STATS_NOW, "", "Rule name of each signature");
		d.kind = DC_STATS_STR;
		dim(&d, "signature", SIG_ROWS, DC_STATS_DIM_KEY, NULL);
		if ((id->sig_name = dc_stats_writer_add_keyed(w, &d, key)) < 0)
			die(dc_stats_strerror());
		d.name = "signature_family";
		d.help = "Family of each signature";
		if ((id->sig_family = dc_stats_writer_add_keyed(w, &d, key)) < 0)
			die(dc_stats_strerror());
		for (unsigned s = 0; s < 2; s++) {
			d = def("signature_packets", scopes[s], "packets", "Packets matching each signature");
			dim(&d, "signature", SIG_ROWS, DC_STATS_DIM_KEY, NULL);
			if ((id->sig_pk[s] = dc_stats_writer_add_keyed(w, &d, key)) < 0)
				die(dc_stats_strerror());
			for (unsigned i = 0; i < N(sig_scalars); i++)
				id->sig_scalar[i][s] = add(w, def(sig_scalars[i], scopes[s],
								  i == 1 ? "bytes" : "packets",
								  "Payload scan counter"));
			id->sig_over[s] = add(w, def("signature_overflow_packets", scopes[s], "packets",
						     "Matches of signatures without a row"));
		}
		d = def("signature_sources", DC_STATS_INTERVAL, "sources",
			"Distinct sources of each signature's packets");
		dim(&d, "signature", SIG_ROWS, DC_STATS_DIM_KEY, NULL);
		if ((id->sig_src = dc_stats_writer_add_keyed(w, &d, key)) < 0)
			die(dc_stats_strerror());
		id->sig_rules = add(w, def("signature_rules", DC_STATS_NOW, "rules", "Rules loaded"));
	}
}

static uint64_t *
vals(struct dc_stats_writer *w, int m)
{
	return dc_stats_writer_values(w, m);
}

static void
put_kv(struct dc_stats_writer *w, const int m[2], const struct kv *t, size_t n, uint64_t s,
       uint64_t k)
{
	for (size_t i = 0; i < n; i++) {
		vals(w, m[0])[t[i].k] = t[i].v * s * k;
		vals(w, m[1])[t[i].k] = t[i].v * s;
	}
}

static void
fill(struct dc_stats_writer *w, const struct opts *o, const struct ids *id, uint64_t k)
{
	uint64_t s = o->scale, mult[2] = {s * k, s};

	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < N(scalars); i++)
			vals(w, id->scalar[i][t])[0] = scalars[i].base * mult[t];
	put_kv(w, id->proto, protos, N(protos), s, k);
	put_kv(w, id->tcp, tcp_ports, N(tcp_ports), s, k);
	put_kv(w, id->udp, udp_ports, N(udp_ports), s, k);
	for (unsigned t = 0; t < 2; t++) {
		for (unsigned i = 0; i < N(table_names); i++)
			vals(w, id->table_full[t])[i] = table_full_base[i] * mult[t];
		if (id->countries[t] < 0)
			continue;
		for (unsigned c = 0; c < N(countries); c++)
			for (unsigned f = 0; f < N(country_fields); f++)
				vals(w, id->countries[t])[cc_index(countries[c].cc) * N(country_fields) + f] =
					countries[c].v[f] * mult[t];
	}
	if (id->csrc >= 0)
		for (unsigned c = 0; c < N(countries); c++)
			for (unsigned f = 0; f < N(csrc_fields); f++)
				vals(w, id->csrc)[cc_index(countries[c].cc) * N(csrc_fields) + f] =
					countries[c].src[f] * s;
	vals(w, id->uniq[0])[0] = 123 * s;
	vals(w, id->uniq[1])[0] = 456 * s;
	vals(w, id->uniq[2])[0] = 789 * s;
	{
		unsigned rows = o->top < N(top_rows) ? o->top : (unsigned)N(top_rows);
		uint8_t *addr = dc_stats_writer_values(w, id->top_addr);

		vals(w, id->top_count)[0] = rows;
		for (unsigned r = 0; r < rows; r++) {
			uint8_t *a = addr + 16 * r;

			memset(a, 0, 16);
			if (strchr(top_rows[r].addr, ':')) {
				inet_pton(AF_INET6, top_rows[r].addr, a);
			} else {
				a[10] = a[11] = 0xFF;
				inet_pton(AF_INET, top_rows[r].addr, a + 12);
			}
			vals(w, id->top_country)[r] = cc_index(top_rows[r].cc);
			for (unsigned f = 0; f < N(top_fields); f++)
				vals(w, id->top)[r * N(top_fields) + f] =
					top_rows[r].v[f] * (f < 5 ? s : 1);
		}
		if (id->asns >= 0) {
			rows = o->top < N(asn_rows) ? o->top : (unsigned)N(asn_rows);
			vals(w, id->asn_count)[0] = rows;
			for (unsigned r = 0; r < rows; r++)
				for (unsigned f = 0; f < N(asn_fields); f++)
					vals(w, id->asns)[r * N(asn_fields) + f] =
						asn_rows[r][f] * (f >= 1 && f <= 5 ? s : 1);
		}
	}
	for (unsigned i = 0; i < o->workers; i++) {
		uint64_t *v = vals(w, id->worker) + i * N(worker_fields);

		v[0] = 1000 * s * k / o->workers + (i == 0 ? 1000 * s * k % o->workers : 0);
		v[1] = i;
		v[2] = 0;
	}
	for (unsigned i = 0; i < o->ports; i++) {
		uint64_t *v = vals(w, id->port) + i * N(port_fields);

		v[0] = 1000 * s * k / o->ports + (i == 0 ? 1000 * s * k % o->ports : 0);
		v[1] = i == 0 ? o->missed * k : 0;
		v[2] = 0;
		v[3] = i == 0 ? o->no_mbuf * k : 0;
	}
	for (unsigned i = 0; i < o->workers; i++)
		for (unsigned t = 0; t < N(table_names); t++)
			vals(w, id->fill)[i * N(table_names) + t] = table_fill_base[t] * s + i;
	for (unsigned t = 0; t < N(table_names); t++)
		vals(w, id->capacity)[t] = table_capacity[t];
	vals(w, id->intervals)[0] = k;
	vals(w, id->interval_seconds)[0] = o->interval;
	if (id->sig_id >= 0) {
		unsigned row = 0;

		for (unsigned i = 0; i < N(sigs); i++) {
			if ((long)k < sigs[i].from)
				continue;
			vals(w, id->sig_id)[row] = sigs[i].id;
			dc_stats_writer_text(w, id->sig_name, row, k == 1 ? sigs[i].name : sigs[i].name2);
			dc_stats_writer_text(w, id->sig_family, row,
					     k == 1 ? sigs[i].family : sigs[i].family2);
			vals(w, id->sig_pk[0])[row] = sigs[i].packets * s * (k - (uint64_t)sigs[i].from + 1);
			vals(w, id->sig_pk[1])[row] = sigs[i].packets * s;
			vals(w, id->sig_src)[row] = sigs[i].sources * s;
			row++;
		}
		for (unsigned t = 0; t < 2; t++) {
			for (unsigned i = 0; i < N(sig_scalars); i++)
				vals(w, id->sig_scalar[i][t])[0] = sig_scalar_base[i] * mult[t];
			vals(w, id->sig_over[t])[0] = 0;
		}
		vals(w, id->sig_rules)[0] = 18;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
nap_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (!quit && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static unsigned long
num(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, PROG ": %s: invalid value '%s' (want %lu..%lu)\n", opt, s, min, max);
		exit(1);
	}
	return v;
}

int
main(int argc, char **argv)
{
	enum { O_WORKERS = 256, O_PORTS, O_TOP, O_SCALE, O_MISSED, O_NOMBUF, O_COUNT, O_ONCE,
	       O_STOP, O_PERIOD, O_HB, O_NOGEO, O_NOASN, O_INTERVAL, O_NOSIG };
	static const struct option lo[] = {
		{"path", required_argument, NULL, 'p'},
		{"workers", required_argument, NULL, O_WORKERS},
		{"ports", required_argument, NULL, O_PORTS},
		{"top", required_argument, NULL, O_TOP},
		{"scale", required_argument, NULL, O_SCALE},
		{"missed", required_argument, NULL, O_MISSED},
		{"no-mbuf", required_argument, NULL, O_NOMBUF},
		{"count", required_argument, NULL, O_COUNT},
		{"once", no_argument, NULL, O_ONCE},
		{"stop", no_argument, NULL, O_STOP},
		{"period-ms", required_argument, NULL, O_PERIOD},
		{"heartbeat-ms", required_argument, NULL, O_HB},
		{"no-geo", no_argument, NULL, O_NOGEO},
		{"no-asn", no_argument, NULL, O_NOASN},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"no-sig", no_argument, NULL, O_NOSIG},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {NULL, 2, 2, 10, 60, 1, 0, 0, -1, 100, 300, 0, 1, 1, 1};
	struct dc_stats_writer_info info;
	struct dc_stats_writer *w;
	struct ids id;
	char **port_names;
	int c;

	while ((c = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o.path = optarg; break;
		case O_WORKERS: o.workers = (unsigned)num("--workers", optarg, 1, 1024); break;
		case O_PORTS: o.ports = (unsigned)num("--ports", optarg, 1, 64); break;
		case O_TOP: o.top = (unsigned)num("--top", optarg, 1, 10000); break;
		case O_SCALE: o.scale = num("--scale", optarg, 1, 1000000); break;
		case O_MISSED: o.missed = num("--missed", optarg, 0, 1000000); break;
		case O_NOMBUF: o.no_mbuf = num("--no-mbuf", optarg, 0, 1000000); break;
		case O_COUNT: o.count = (long)num("--count", optarg, 0, 1000000000); break;
		case O_ONCE: o.count = 1; break;
		case O_STOP: o.stop = 1; break;
		case O_PERIOD: o.period_ms = (unsigned)num("--period-ms", optarg, 1, 60000); break;
		case O_HB: o.heartbeat_ms = (unsigned)num("--heartbeat-ms", optarg, 1, 600000); break;
		case O_NOGEO: o.geo = 0; break;
		case O_NOASN: o.asn = 0; break;
		case O_INTERVAL: o.interval = (unsigned)num("--interval", optarg, 1, 86400); break;
		case O_NOSIG: o.sig = 0; break;
		default:
			fprintf(stderr, "usage: " PROG " --path P [--once|--count N] [--stop] [--scale S] "
				"[--workers W] [--ports P] [--top N] [--missed M] [--no-mbuf M] "
				"[--period-ms MS] [--heartbeat-ms MS] [--no-geo] [--no-asn] [--no-sig] [--interval S]\n");
			return 1;
		}
	}
	if (o.path == NULL)
		die("--path is required");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	port_names = calloc(o.ports, sizeof(char *));
	if (port_names == NULL)
		die("out of memory");
	for (unsigned i = 0; i < o.ports; i++) {
		port_names[i] = malloc(32);
		if (port_names[i] == NULL)
			die("out of memory");
		snprintf(port_names[i], 32, "0000:03:00.%u", i);
	}
	w = dc_stats_writer_new();
	if (w == NULL)
		die(dc_stats_strerror());
	declare(w, &o, &id, (const char *const *)port_names);
	info = (struct dc_stats_writer_info){o.interval, o.workers, o.ports,
					     (uint64_t)o.heartbeat_ms * 1000000ull, "0.1.0-fake"};
	if (dc_stats_writer_create(w, o.path, &info) != 0)
		die(dc_stats_strerror());
	for (long k = 1; !quit && (o.count < 0 || k <= o.count); k++) {
		struct dc_stats_snap meta = {0};

		fill(w, &o, &id, (uint64_t)k);
		meta.interval_start = IVL_BASE + 60 * (uint64_t)(k - 1);
		meta.interval_end = meta.interval_start + 60;
		meta.intervals = (uint64_t)k;
		dc_stats_writer_publish(w, &meta);
		if (k == 1) {
			printf("ready %ld\n", (long)getpid());
			fflush(stdout);
		}
		if (o.count < 0 || k < o.count)
			nap_ms(o.period_ms);
	}
	if (o.count == 0) {
		printf("ready %ld\n", (long)getpid());
		fflush(stdout);
	}
	while (!quit && !o.stop) {
		nap_ms(o.period_ms);
		dc_stats_writer_heartbeat(w);
	}
	dc_stats_writer_close(w, 1);
	for (unsigned i = 0; i < o.ports; i++)
		free(port_names[i]);
	free(port_names);
	return 0;
}
