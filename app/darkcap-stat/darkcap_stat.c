/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-stat [--path P] CMD: read darkcap's shared-memory statistics
 * segment (docs/STATS.md). Links libdarkcap-stats only: no DPDK, no
 * privileges beyond reading the file.
 *
 * Every metric is found by name and scope through the reader API; a metric
 * the segment lacks (no geo database, an older writer) leaves its column or
 * line out, or gives a one-line error for a command that needs it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dc_prom.h"
#include "dc_stats.h"

#define PROG "darkcap-stat"

/* Metrics with a dimension longer than this (ports, protocols, countries,
 * ranks) have their zero elements left out of dump unless --all. */
#define DUMP_SMALL 8

static const char *stats_path;
static int fail_code = 1;           /* exit status of an error: 2 for check */
static volatile sig_atomic_t quit;

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--path P] CMD [options]\n"
		"\n"
		"Reads darkcap's shared-memory statistics segment (docs/STATS.md).\n"
		"The path is --path, else $DARKCAP_STATS, else " DC_STATS_DEFAULT_PATH ".\n"
		"\n"
		"Commands:\n"
		"  info                          the segment's header and the writer's liveness\n"
		"  list [REGEX]                  one line per metric (scope/name matching REGEX)\n"
		"  dump [--all] [REGEX]          every element of one snapshot, \"scope/name{label=value} value\";\n"
		"                                zeros left out of metrics with a dimension over %d unless --all\n"
		"  dump --json [--all] [REGEX]   the same as one JSON object\n"
		"  dump --prom [--ports LIST] [--countries] [REGEX]\n"
		"                                Prometheus text format, named as darkcap-exporter names it\n"
		"                                (REGEX matches family names)\n"
		"  watch [-i SECS] [-n COUNT] [-l LINES] [REGEX]\n"
		"                                look every SECS (1) and, at each new snapshot, print the\n"
		"                                LINES (20) highest per-second rates of the counters since\n"
		"                                start; stop after COUNT reports\n"
		"  top ports|countries|sources|asns|signatures [-n N] [--interval|--total]\n"
		"                                the biggest ones of the last interval (default) or since start\n"
		"  check [--max-age SECS] [--max-drop-ratio R]\n"
		"                                one line and exit 0 OK, 1 WARNING, 2 CRITICAL (Nagios, systemd)\n"
		"\n"
		"  -p, --path P                  the segment (also accepted after CMD)\n"
		"  -h, --help                    this text\n",
		DUMP_SMALL);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(fail_code);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: " PROG " [--path P] info|list|dump|watch|top|check [options] (--help: all of them)\n",
	      stderr);
	exit(fail_code);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* UTC ISO 8601, "2024-05-01T10:00:00Z". */
static const char *
iso_time(uint64_t sec, char *buf, size_t size)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%" PRIu64, sec);
	return buf;
}

static const char *
scope_name(unsigned s)
{
	return s == DC_STATS_TOTAL ? "total" : s == DC_STATS_INTERVAL ? "interval" : "now";
}

static const char *
type_name(unsigned t)
{
	return t == DC_STATS_COUNTER ? "counter" : "gauge";
}

static const char *
kind_name(unsigned k)
{
	return k == DC_STATS_ADDR ? "addr" : k == DC_STATS_CC ? "cc" : k == DC_STATS_STR ? "str" : "u64";
}

static const char *
dim_kind_name(unsigned k)
{
	return k == DC_STATS_DIM_DICT ? "dict" : k == DC_STATS_DIM_CC ? "cc" :
	       k == DC_STATS_DIM_KEY ? "key" : "index";
}

static const char *
state_name(uint32_t s)
{
	switch (s) {
	case DC_STATS_STARTING: return "starting";
	case DC_STATS_LIVE: return "live";
	case DC_STATS_STOPPED: return "stopped";
	}
	return "unknown";
}

static struct dc_stats_reader *
open_or_die(void)
{
	struct dc_stats_reader *r;

	if (dc_stats_open(stats_path, &r) != 0)
		die("%s", dc_stats_strerror());
	return r;
}

/* A snapshot buffer (malloc: aligned for uint64_t). */
static void *
read_or_die(struct dc_stats_reader *r, void *buf)
{
	if (buf == NULL && (buf = malloc(dc_stats_snap_size(r))) == NULL)
		die("out of memory");
	if (dc_stats_read(r, buf, NULL) != 0)
		die("%s", dc_stats_strerror());
	return buf;
}

static regex_t *
compile_or_die(const char *re, regex_t *buf)
{
	int rc;

	if (re == NULL)
		return NULL;
	rc = regcomp(buf, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];

		regerror(rc, buf, msg, sizeof(msg));
		die_usage("bad regular expression '%s': %s", re, msg);
	}
	return buf;
}

static int
metric_matches(const struct dc_stats_metric *m, const regex_t *re)
{
	char full[96];

	if (re == NULL)
		return 1;
	snprintf(full, sizeof(full), "%s/%s", scope_name(m->scope), m->name);
	return regexec(re, full, 0, NULL, 0) == 0;
}

/* Coordinates of element @i along each dimension. */
static void
elem_coords(const struct dc_stats_metric *m, uint32_t i, uint32_t c[2])
{
	c[0] = m->n_dims == 2 ? i / m->dim_size[1] : i;
	c[1] = m->n_dims == 2 ? i % m->dim_size[1] : 0;
}

/* "{port=23}" / "{country=CN,field=packets}" / "{signature=1001}" / "" (keyed
 * rows: the key in snapshot @snap) */
static const char *
text_labels(const struct dc_stats_reader *r, const void *snap, const struct dc_stats_metric *m,
	    uint32_t i, char *buf, size_t size)
{
	uint32_t c[2];
	char lv[128];
	size_t n = 0;

	buf[0] = '\0';
	elem_coords(m, i, c);
	for (unsigned k = 0; k < m->n_dims && n < size; k++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", k ? "," : "{",
				      dc_stats_str(r, m->dim_name[k]),
				      dc_stats_label_at(r, snap, m, k, c[k], lv, sizeof(lv)));
	if (m->n_dims && n < size)
		snprintf(buf + n, size - n, "}");
	return buf;
}

static int
elem_is_zero(const void *snap, const struct dc_stats_metric *m, uint32_t i)
{
	if (m->kind == DC_STATS_ADDR) {
		const uint8_t *a = dc_stats_addr(snap, m, i);

		for (unsigned k = 0; k < 16; k++)
			if (a[k])
				return 0;
		return 1;
	}
	if (m->kind == DC_STATS_STR)
		return dc_stats_text(snap, m, i)[0] == '\0';
	return dc_stats_u64(snap, m, i) == 0;
}

static const char *
elem_value(const void *snap, const struct dc_stats_metric *m, uint32_t i, char *buf, size_t size)
{
	char cc[8];

	if (m->kind == DC_STATS_ADDR)
		return dc_stats_addr_name(dc_stats_addr(snap, m, i), buf, size);
	if (m->kind == DC_STATS_CC) {
		snprintf(buf, size, "%s", dc_stats_cc_name(dc_stats_u64(snap, m, i), cc));
		return buf;
	}
	if (m->kind == DC_STATS_STR) {
		/* one printable word: control characters and spaces as '?' */
		snprintf(buf, size, "%s", dc_stats_text(snap, m, i));
		for (char *c = buf; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f)
				*c = '?';
		return buf[0] ? buf : "\"\"";
	}
	snprintf(buf, size, "%" PRIu64, dc_stats_u64(snap, m, i));
	return buf;
}

/* An element dump shows: never one of an unused keyed row; zeros of large
 * metrics only with --all. */
static int
show_elem(const struct dc_stats_reader *r, const void *snap, const struct dc_stats_metric *m,
	  uint32_t i, int all)
{
	int large = 0;

	if (!dc_stats_elem_used(r, snap, m, i))
		return 0;
	for (unsigned k = 0; k < m->n_dims; k++)
		large |= m->dim_size[k] > DUMP_SMALL;
	return all || !large || !elem_is_zero(snap, m, i);
}

/* Index of label @name in dictionary dimension @dim, or -1. */
static int
field_index(const struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned dim,
	    const char *name)
{
	char buf[128];

	if (m == NULL || dim >= m->n_dims || m->dim_kind[dim] != DC_STATS_DIM_DICT)
		return -1;
	for (uint32_t j = 0; j < m->dim_size[dim]; j++)
		if (strcmp(dc_stats_label(r, m, dim, j, buf, sizeof(buf)), name) == 0)
			return (int)j;
	return -1;
}

static const struct dc_stats_metric *
find_metric(const struct dc_stats_reader *r, unsigned scope, const char *name)
{
	int i = dc_stats_find(r, scope, name);

	return i < 0 ? NULL : dc_stats_metric(r, (unsigned)i);
}

/* ---- command line ---------------------------------------------------- */

enum {
	OPT_JSON = 256, OPT_PROM, OPT_ALL, OPT_PORTS, OPT_COUNTRIES, OPT_INTERVAL, OPT_TOTAL,
	OPT_MAX_AGE, OPT_MAX_DROP,
};

static const struct option cmd_opts[] = {
	{"path", required_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{"json", no_argument, NULL, OPT_JSON},
	{"prom", no_argument, NULL, OPT_PROM},
	{"all", no_argument, NULL, OPT_ALL},
	{"ports", required_argument, NULL, OPT_PORTS},
	{"countries", no_argument, NULL, OPT_COUNTRIES},
	{"interval", no_argument, NULL, OPT_INTERVAL},
	{"total", no_argument, NULL, OPT_TOTAL},
	{"max-age", required_argument, NULL, OPT_MAX_AGE},
	{"max-drop-ratio", required_argument, NULL, OPT_MAX_DROP},
	{NULL, 0, NULL, 0},
};

struct cmdline {
	int json, prom, all, countries, scope;
	const char *ports;
	double interval_s, max_age, max_drop;
	long count, lines;
	int have_i, have_n, have_l, have_max_age;
	char *pos[4];                /* positional arguments */
	int npos;
};

static double
parse_double(const char *opt, const char *s, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min)
		die_usage("%s: invalid value '%s' (want a number >= %g)", opt, s, min);
	return v;
}

static long
parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die_usage("%s: invalid value '%s' (want %ld..%ld)", opt, s, min, max);
	return v;
}

/* Options of one command; @allowed lists the ones it takes (short letters
 * and long-option codes). */
static void
parse_cmd(int argc, char **argv, const char *cmd, const int *allowed, int maxpos,
	  struct cmdline *c)
{
	int o;

	memset(c, 0, sizeof(*c));
	c->scope = DC_STATS_INTERVAL;
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":p:hi:n:l:", cmd_opts, NULL)) != -1) {
		int ok = o == 'p' || o == 'h' || o == '?' || o == ':';

		for (const int *a = allowed; *a && !ok; a++)
			ok = *a == o;
		if (!ok)
			die_usage("%s: option '%s' does not apply", cmd, argv[optind - 1]);
		switch (o) {
		case 'p':
			stats_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'i':
			c->interval_s = parse_double("-i", optarg, 0.01);
			c->have_i = 1;
			break;
		case 'n':
			c->count = parse_long("-n", optarg, 1, 1000000000);
			c->have_n = 1;
			break;
		case 'l':
			c->lines = parse_long("-l", optarg, 1, 1000000);
			c->have_l = 1;
			break;
		case OPT_JSON:
			c->json = 1;
			break;
		case OPT_PROM:
			c->prom = 1;
			break;
		case OPT_ALL:
			c->all = 1;
			break;
		case OPT_PORTS:
			c->ports = optarg;
			break;
		case OPT_COUNTRIES:
			c->countries = 1;
			break;
		case OPT_INTERVAL:
			c->scope = DC_STATS_INTERVAL;
			break;
		case OPT_TOTAL:
			c->scope = DC_STATS_TOTAL;
			break;
		case OPT_MAX_AGE:
			c->max_age = parse_double("--max-age", optarg, 0);
			c->have_max_age = 1;
			break;
		case OPT_MAX_DROP:
			c->max_drop = parse_double("--max-drop-ratio", optarg, 0);
			break;
		case ':':
			die_usage("%s: option '%s' needs a value", cmd, argv[optind - 1]);
		default:
			die_usage("%s: unknown option '%s'", cmd, argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		if (c->npos >= maxpos)
			die_usage("%s: unexpected argument '%s'", cmd, argv[optind]);
		c->pos[c->npos++] = argv[optind];
	}
}

/* ---- info ------------------------------------------------------------ */

static int
cmd_info(int argc, char **argv)
{
	static const int allowed[] = {0};
	struct dc_stats_reader *r;
	struct dc_stats_hdr h;
	struct cmdline c;
	const struct dc_stats_snap *s;
	enum dc_stats_live l;
	uint64_t now, age, up;
	char t1[40], t2[40];
	void *snap;

	parse_cmd(argc, argv, "info", allowed, 0, &c);
	r = open_or_die();
	snap = read_or_die(r, NULL);
	s = dc_stats_snap_of(snap);
	now = now_ns();
	l = dc_stats_liveness(r, now, &age);
	dc_stats_header(r, &h);
	up = now > h.start_time_ns ? (now - h.start_time_ns) / 1000000000ull : 0;
	printf("path           %s\n", stats_path);
	printf("abi            %u.%u\n", h.abi_major, h.abi_minor);
	printf("version        %.*s\n", (int)sizeof(h.version), h.version);
	printf("pid            %u\n", h.writer_pid);
	printf("instance       0x%016" PRIx64 "\n", h.instance_id);
	printf("state          %s (judged %s)\n", state_name(h.state), dc_stats_live_name(l));
	printf("started        %s (%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " ago)\n",
	       iso_time(h.start_time_ns / 1000000000ull, t1, sizeof(t1)), up / 86400,
	       up / 3600 % 24, up / 60 % 60, up % 60);
	printf("heartbeat      %.3f s ago (every %.3f s)\n", (double)age / 1e9,
	       (double)h.heartbeat_period_ns / 1e9);
	printf("interval       %u s\n", h.interval_s);
	printf("workers        %u\n", h.n_workers);
	printf("ports          %u\n", h.n_ports);
	printf("publishes      %" PRIu64 "\n", h.publishes);
	printf("segment        %" PRIu64 " bytes, %u metrics\n", h.segment_size,
	       dc_stats_n_metrics(r));
	if (s->publish)
		printf("snapshot       %" PRIu64 " at %s (%.3f s ago)\n", s->publish,
		       iso_time(s->time_ns / 1000000000ull, t1, sizeof(t1)),
		       now > s->time_ns ? (double)(now - s->time_ns) / 1e9 : 0.0);
	else
		printf("snapshot       none yet\n");
	if (s->interval_start)
		printf("last interval  %s .. %s (%" PRIu64 " intervals so far)\n",
		       iso_time(s->interval_start, t1, sizeof(t1)),
		       iso_time(s->interval_end, t2, sizeof(t2)), s->intervals);
	else
		printf("last interval  none yet\n");
	free(snap);
	dc_stats_close(r);
	return 0;
}

/* ---- list ------------------------------------------------------------ */

static int
cmd_list(int argc, char **argv)
{
	static const int allowed[] = {0};
	struct dc_stats_reader *r;
	struct cmdline c;
	regex_t reb, *re;

	parse_cmd(argc, argv, "list", allowed, 1, &c);
	re = compile_or_die(c.npos ? c.pos[0] : NULL, &reb);
	r = open_or_die();
	for (unsigned i = 0; i < dc_stats_n_metrics(r); i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);
		char full[96], dims[160];
		const char *unit = dc_stats_str(r, m->unit);
		size_t n = 0;

		if (!metric_matches(m, re))
			continue;
		snprintf(full, sizeof(full), "%s/%s", scope_name(m->scope), m->name);
		dims[0] = '\0';
		for (unsigned k = 0; k < m->n_dims; k++)
			n += (size_t)snprintf(dims + n, sizeof(dims) - n, "%s%s[%u]", k ? "," : "",
					      dc_stats_str(r, m->dim_name[k]), m->dim_size[k]);
		printf("%-36s %-7s %-4s %-12s %-24s %s\n", full, type_name(m->type),
		       kind_name(m->kind), *unit ? unit : "-", n ? dims : "-",
		       dc_stats_str(r, m->help));
	}
	if (re)
		regfree(re);
	dc_stats_close(r);
	return 0;
}

/* ---- dump ------------------------------------------------------------ */

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
json_value(const void *snap, const struct dc_stats_metric *m, uint32_t i)
{
	char buf[64];

	if (m->kind == DC_STATS_U64)
		printf("%" PRIu64, dc_stats_u64(snap, m, i));
	else if (m->kind == DC_STATS_STR)
		json_str(dc_stats_text(snap, m, i));
	else
		json_str(elem_value(snap, m, i, buf, sizeof(buf)));
}

static void
dump_json(const struct dc_stats_reader *r, const void *snap, const regex_t *re, int all)
{
	const struct dc_stats_snap *s = dc_stats_snap_of(snap);
	struct dc_stats_hdr h;
	enum dc_stats_live l;
	char version[sizeof(h.version) + 1];
	int first = 1;

	l = dc_stats_liveness(r, now_ns(), NULL);
	dc_stats_header(r, &h);
	snprintf(version, sizeof(version), "%.*s", (int)sizeof(h.version), h.version);
	printf("{\"path\":");
	json_str(stats_path);
	printf(",\"abi\":\"%u.%u\",\"version\":", h.abi_major, h.abi_minor);
	json_str(version);
	printf(",\"pid\":%u,\"instance_id\":\"0x%016" PRIx64 "\",\"state\":\"%s\",\"liveness\":\"%s\""
	       ",\"start_time_ns\":%" PRIu64 ",\"heartbeat_ns\":%" PRIu64
	       ",\"heartbeat_period_ns\":%" PRIu64 ",\"interval_s\":%u,\"workers\":%u,\"ports\":%u"
	       ",\"publishes\":%" PRIu64,
	       h.writer_pid, h.instance_id, state_name(h.state), dc_stats_live_name(l),
	       h.start_time_ns, h.heartbeat_ns, h.heartbeat_period_ns, h.interval_s, h.n_workers,
	       h.n_ports, h.publishes);
	printf(",\"snapshot\":{\"publish\":%" PRIu64 ",\"time_ns\":%" PRIu64
	       ",\"interval_start\":%" PRIu64 ",\"interval_end\":%" PRIu64 ",\"intervals\":%" PRIu64 "}",
	       s->publish, s->time_ns, s->interval_start, s->interval_end, s->intervals);
	printf(",\"metrics\":{");
	for (unsigned i = 0; i < dc_stats_n_metrics(r); i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);
		int efirst = 1;

		if (!metric_matches(m, re))
			continue;
		printf("%s\n\"%s/%s\":{\"type\":\"%s\",\"kind\":\"%s\",\"unit\":", first ? "" : ",",
		       scope_name(m->scope), m->name, type_name(m->type), kind_name(m->kind));
		first = 0;
		json_str(dc_stats_str(r, m->unit));
		printf(",\"help\":");
		json_str(dc_stats_str(r, m->help));
		printf(",\"dims\":[");
		for (unsigned k = 0; k < m->n_dims; k++) {
			printf("%s{\"name\":", k ? "," : "");
			json_str(dc_stats_str(r, m->dim_name[k]));
			printf(",\"size\":%u,\"kind\":\"%s\"", m->dim_size[k],
			       dim_kind_name(m->dim_kind[k]));
			if (dc_stats_key_metric(r, m, k))
				printf(",\"key\":\"%s/%s\"",
				       scope_name(dc_stats_key_metric(r, m, k)->scope),
				       dc_stats_key_metric(r, m, k)->name);
			putchar('}');
		}
		printf("]");
		if (m->n_dims == 0) {
			printf(",\"value\":");
			json_value(snap, m, 0);
			printf("}");
			continue;
		}
		printf(",\"values\":[");
		for (uint32_t e = 0; e < m->n_elem; e++) {
			uint32_t c[2];
			char lv[128];

			if (!show_elem(r, snap, m, e, all))
				continue;
			elem_coords(m, e, c);
			printf("%s{\"labels\":{", efirst ? "" : ",");
			efirst = 0;
			for (unsigned k = 0; k < m->n_dims; k++) {
				if (k)
					putchar(',');
				json_str(dc_stats_str(r, m->dim_name[k]));
				putchar(':');
				json_str(dc_stats_label_at(r, snap, m, k, c[k], lv, sizeof(lv)));
			}
			printf("},\"value\":");
			json_value(snap, m, e);
			putchar('}');
		}
		printf("]}");
	}
	printf("}}\n");
}

static void
dump_text(const struct dc_stats_reader *r, const void *snap, const regex_t *re, int all)
{
	const struct dc_stats_snap *s = dc_stats_snap_of(snap);
	char t1[40], t2[40], t3[40];

	printf("# %s: snapshot %" PRIu64 " at %s, last interval %s .. %s\n", stats_path, s->publish,
	       iso_time(s->time_ns / 1000000000ull, t1, sizeof(t1)),
	       s->interval_start ? iso_time(s->interval_start, t2, sizeof(t2)) : "none",
	       s->interval_start ? iso_time(s->interval_end, t3, sizeof(t3)) : "none");
	for (unsigned i = 0; i < dc_stats_n_metrics(r); i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);

		if (!metric_matches(m, re))
			continue;
		for (uint32_t e = 0; e < m->n_elem; e++) {
			char labels[320], v[64];

			if (!show_elem(r, snap, m, e, all))
				continue;
			printf("%s/%s%s %s\n", scope_name(m->scope), m->name,
			       text_labels(r, snap, m, e, labels, sizeof(labels)),
			       elem_value(snap, m, e, v, sizeof(v)));
		}
	}
}

static int
dump_prom(const struct dc_stats_reader *r, const void *snap, const regex_t *re,
	  const struct cmdline *c)
{
	struct dc_prom_opts *o = calloc(1, sizeof(*o));
	uint64_t now = now_ns();
	struct dc_prom *p;
	char err[256], *text;
	size_t len;
	int up;

	if (o == NULL || (p = dc_prom_new(re)) == NULL)
		die("out of memory");
	if (dc_prom_parse_ports(o, c->ports ? c->ports : DC_PROM_DEFAULT_PORTS, err, sizeof(err)))
		die_usage("%s", err);
	o->countries = c->countries;
	up = dc_stats_liveness(r, now, NULL) == DC_STATS_IS_LIVE;
	dc_prom_up(p, up);
	if (up)
		dc_prom_snapshot(p, r, snap, o, now);
	text = dc_prom_render(p, &len);
	if (text == NULL)
		die("out of memory");
	fwrite(text, 1, len, stdout);
	free(text);
	dc_prom_free(p);
	free(o);
	return 0;
}

static int
cmd_dump(int argc, char **argv)
{
	static const int allowed[] = {OPT_JSON, OPT_PROM, OPT_ALL, OPT_PORTS, OPT_COUNTRIES, 0};
	struct dc_stats_reader *r;
	struct cmdline c;
	regex_t reb, *re;
	void *snap;

	parse_cmd(argc, argv, "dump", allowed, 1, &c);
	if (c.json && c.prom)
		die_usage("dump: --json and --prom exclude each other");
	if ((c.ports || c.countries) && !c.prom)
		die_usage("dump: --ports and --countries go with --prom");
	if (c.all && c.prom)
		die_usage("dump: --all does not go with --prom");
	re = compile_or_die(c.npos ? c.pos[0] : NULL, &reb);
	r = open_or_die();
	snap = read_or_die(r, NULL);
	if (c.prom)
		dump_prom(r, snap, re, &c);
	else if (c.json)
		dump_json(r, snap, re, c.all);
	else
		dump_text(r, snap, re, c.all);
	free(snap);
	if (re)
		regfree(re);
	dc_stats_close(r);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write the output: %s", strerror(errno));
	return 0;
}

/* ---- watch ----------------------------------------------------------- */

struct rate {
	double rate;
	unsigned m;
	uint32_t e;
};

static int
rate_cmp(const void *a, const void *b)
{
	const struct rate *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->m != y->m)
		return x->m < y->m ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Sleep @secs unless a signal asks to quit. */
static void
nap(double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - floor(secs)) * 1e9)};

	while (!quit && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
say_writer(const char *what, const struct dc_stats_reader *r)
{
	struct dc_stats_hdr h;

	dc_stats_header(r, &h);
	printf("-- %s: pid %u, instance 0x%016" PRIx64 ", started %.0f s ago; rates start over\n",
	       what, h.writer_pid, h.instance_id,
	       (double)(now_ns() - h.start_time_ns) / 1e9);
	fflush(stdout);
}

static int
cmd_watch(int argc, char **argv)
{
	static const int allowed[] = {'i', 'n', 'l', 0};
	struct dc_stats_reader *r;
	struct rate *rates = NULL;
	size_t nrates, cap = 0;
	void *prev = NULL, *cur = NULL;
	struct cmdline c;
	regex_t reb, *re;
	enum dc_stats_live shown = DC_STATS_IS_LIVE; /* liveness last announced */
	long done = 0;
	int gone = 0;

	parse_cmd(argc, argv, "watch", allowed, 1, &c);
	re = compile_or_die(c.npos ? c.pos[0] : NULL, &reb);
	if (!c.have_i)
		c.interval_s = 1;
	if (!c.have_l)
		c.lines = 20;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r = open_or_die();
	prev = read_or_die(r, NULL);
	cur = read_or_die(r, NULL);
	while (!quit && (!c.have_n || done < c.count)) {
		const struct dc_stats_snap *ps, *cs;
		enum dc_stats_live l;
		char t1[40];
		double dt;

		nap(c.interval_s);
		if (quit)
			break;
		l = r ? dc_stats_liveness(r, now_ns(), NULL) : DC_STATS_IS_GONE;
		if (l == DC_STATS_IS_REPLACED || l == DC_STATS_IS_GONE) {
			struct dc_stats_reader *nr;

			if (dc_stats_open(stats_path, &nr) != 0) {
				if (!gone)
					printf("-- %s; waiting for darkcap\n", dc_stats_strerror());
				fflush(stdout);
				gone = 1;
				continue;
			}
			dc_stats_close(r);
			r = nr;
			gone = 0;
			free(prev);
			free(cur);
			prev = read_or_die(r, NULL);
			cur = read_or_die(r, NULL);
			say_writer("darkcap restarted", r);
			shown = DC_STATS_IS_LIVE;
			continue;
		}
		if (l != shown) {
			printf("-- darkcap %s\n", dc_stats_live_name(l));
			fflush(stdout);
			shown = l;
		}
		if (dc_stats_read(r, cur, NULL) != 0)
			die("%s", dc_stats_strerror());
		ps = dc_stats_snap_of(prev);
		cs = dc_stats_snap_of(cur);
		if (cs->publish == ps->publish)
			continue; /* nothing new yet: darkcap publishes once per interval */
		done++;
		dt = (double)(cs->time_ns - ps->time_ns) / 1e9;
		if (dt <= 0)
			dt = 1e-9;
		nrates = 0;
		for (unsigned i = 0; i < dc_stats_n_metrics(r); i++) {
			const struct dc_stats_metric *m = dc_stats_metric(r, i);

			int keyed = dc_stats_key_metric(r, m, 0) || dc_stats_key_metric(r, m, 1);

			if (m->scope != DC_STATS_TOTAL || m->type != DC_STATS_COUNTER ||
			    m->kind != DC_STATS_U64 || !metric_matches(m, re))
				continue;
			for (uint32_t e = 0; e < m->n_elem; e++) {
				uint64_t a = dc_stats_u64(prev, m, e), b = dc_stats_u64(cur, m, e);
				char l1[320], l2[320];

				if (b <= a)
					continue;
				/* a keyed row given to another key is another series */
				if (keyed && (!dc_stats_elem_used(r, cur, m, e) ||
					      strcmp(text_labels(r, prev, m, e, l1, sizeof(l1)),
						     text_labels(r, cur, m, e, l2, sizeof(l2))) != 0))
					continue;
				if (nrates == cap) {
					size_t ncap = cap ? 2 * cap : 256;
					struct rate *nr = realloc(rates, ncap * sizeof(*nr));

					if (nr == NULL)
						die("out of memory");
					rates = nr;
					cap = ncap;
				}
				rates[nrates++] = (struct rate){(double)(b - a) / dt, i, e};
			}
		}
		qsort(rates, nrates, sizeof(*rates), rate_cmp);
		printf("%s  over %.3f s (snapshots %" PRIu64 "..%" PRIu64 "), %zu counters moving\n",
		       iso_time(cs->time_ns / 1000000000ull, t1, sizeof(t1)), dt, ps->publish,
		       cs->publish, nrates);
		for (size_t k = 0; k < nrates && k < (size_t)c.lines; k++) {
			const struct dc_stats_metric *m = dc_stats_metric(r, rates[k].m);
			char labels[320];

			printf("%16.1f/s  total/%s%s\n", rates[k].rate, m->name,
			       text_labels(r, cur, m, rates[k].e, labels, sizeof(labels)));
		}
		putchar('\n');
		fflush(stdout);
		{
			void *t = prev;

			prev = cur;
			cur = t;
		}
	}
	free(rates);
	free(prev);
	free(cur);
	if (re)
		regfree(re);
	dc_stats_close(r);
	return 0;
}

/* ---- top ------------------------------------------------------------- */

struct row {
	uint64_t key;     /* sort key (descending) */
	uint32_t idx;     /* tie-break (ascending), and what the row is */
	uint32_t aux;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	if (x->aux != y->aux)
		return x->aux < y->aux ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const struct dc_stats_metric *
need_metric(const struct dc_stats_reader *r, unsigned scope, const char *name, unsigned n_dims,
	    const char *why)
{
	const struct dc_stats_metric *m = find_metric(r, scope, name);

	if (m == NULL)
		die("%s: no metric %s/%s%s", stats_path, scope_name(scope), name, why);
	if (m->n_dims != n_dims || m->kind != DC_STATS_U64)
		die("%s: metric %s/%s has an unexpected shape (%u dimensions, kind %s)", stats_path,
		    scope_name(scope), name, m->n_dims, kind_name(m->kind));
	return m;
}

static void
top_ports(const struct dc_stats_reader *r, const void *snap, const struct cmdline *c, long n)
{
	static const char *const names[2] = {"tcp_dst_port_packets", "udp_dst_port_packets"};
	const struct dc_stats_metric *m[2], *pk = find_metric(r, c->scope, "packets");
	struct row *rows = NULL;
	size_t nr = 0;

	for (unsigned k = 0; k < 2; k++) {
		m[k] = need_metric(r, c->scope, names[k], 1, "");
		rows = realloc(rows, (nr + m[k]->n_elem) * sizeof(*rows));
		if (rows == NULL)
			die("out of memory");
		for (uint32_t i = 0; i < m[k]->n_elem; i++) {
			uint64_t v = dc_stats_u64(snap, m[k], i);

			if (v)
				rows[nr++] = (struct row){v, i, k};
		}
	}
	qsort(rows, nr, sizeof(*rows), row_cmp);
	printf("%4s  %-10s %14s %7s\n", "rank", "port", "packets", "share");
	for (size_t i = 0; i < nr && i < (size_t)n; i++) {
		uint64_t all = pk && pk->n_dims == 0 ? dc_stats_u64(snap, pk, 0) : 0;
		char lbl[32], share[16] = "-";

		snprintf(lbl, sizeof(lbl), "%s/%u", rows[i].aux ? "udp" : "tcp", rows[i].idx);
		if (all)
			snprintf(share, sizeof(share), "%.1f%%", 100.0 * (double)rows[i].key / (double)all);
		printf("%4zu  %-10s %14" PRIu64 " %7s\n", i + 1, lbl, rows[i].key, share);
	}
	free(rows);
}

static void
top_countries(const struct dc_stats_reader *r, const void *snap, const struct cmdline *c, long n)
{
	const struct dc_stats_metric *m, *src = NULL;
	struct row *rows;
	size_t nr = 0;
	char buf[128];
	int kp;

	m = need_metric(r, c->scope, "countries", 2, " (darkcap runs without a country database?)");
	kp = field_index(r, m, 1, "packets");
	if (kp < 0 || m->dim_kind[0] != DC_STATS_DIM_CC)
		die("%s: metric %s/countries has no packets field", stats_path, scope_name(c->scope));
	if (c->scope == DC_STATS_INTERVAL) {
		src = find_metric(r, DC_STATS_INTERVAL, "country_sources");
		if (src && (src->n_dims != 2 || src->dim_size[0] != m->dim_size[0] ||
			    src->dim_kind[1] != DC_STATS_DIM_DICT || src->kind != DC_STATS_U64))
			src = NULL;
	}
	rows = calloc(m->dim_size[0], sizeof(*rows));
	if (rows == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < m->dim_size[0]; i++) {
		uint64_t v = dc_stats_u64(snap, m, i * m->dim_size[1] + (uint32_t)kp);

		if (v)
			rows[nr++] = (struct row){v, i, 0};
	}
	qsort(rows, nr, sizeof(*rows), row_cmp);
	printf("%4s  %-8s", "rank", "country");
	for (uint32_t j = 0; j < m->dim_size[1]; j++)
		printf(" %14s", dc_stats_label(r, m, 1, j, buf, sizeof(buf)));
	for (uint32_t j = 0; src && j < src->dim_size[1]; j++)
		printf(" %14s", dc_stats_label(r, src, 1, j, buf, sizeof(buf)));
	putchar('\n');
	for (size_t i = 0; i < nr && i < (size_t)n; i++) {
		uint32_t cc = rows[i].idx;

		printf("%4zu  %-8s", i + 1, dc_stats_label(r, m, 0, cc, buf, sizeof(buf)));
		for (uint32_t j = 0; j < m->dim_size[1]; j++)
			printf(" %14" PRIu64, dc_stats_u64(snap, m, cc * m->dim_size[1] + j));
		for (uint32_t j = 0; src && j < src->dim_size[1]; j++)
			printf(" %14" PRIu64, dc_stats_u64(snap, src, cc * src->dim_size[1] + j));
		putchar('\n');
	}
	free(rows);
}

/* top sources / top asns: the rows of a ranked table of the last interval,
 * every field of its dictionary as a column. */
static void
top_ranked(const struct dc_stats_reader *r, const void *snap, const struct cmdline *c, long n,
	   const char *what)
{
	char name[64], count_name[64], buf[128];
	const struct dc_stats_metric *m, *cnt, *addr = NULL, *cty = NULL;
	uint32_t rows, nf;
	int is_src = strcmp(what, "sources") == 0;

	if (c->scope != DC_STATS_INTERVAL)
		die("top %s: only for the last interval (darkcap ranks %s per interval)", what, what);
	snprintf(name, sizeof(name), "top_%s", what);
	snprintf(count_name, sizeof(count_name), "top_%s_count", what);
	m = need_metric(r, DC_STATS_INTERVAL, name, 2,
			is_src ? "" : " (darkcap runs without an AS database?)");
	if (m->dim_kind[1] != DC_STATS_DIM_DICT)
		die("%s: metric interval/%s has no field dictionary", stats_path, name);
	nf = m->dim_size[1];
	rows = m->dim_size[0];
	cnt = find_metric(r, DC_STATS_INTERVAL, count_name);
	if (cnt && cnt->n_dims == 0 && dc_stats_u64(snap, cnt, 0) < rows)
		rows = (uint32_t)dc_stats_u64(snap, cnt, 0);
	if (is_src) {
		snprintf(name, sizeof(name), "top_sources_addr");
		addr = find_metric(r, DC_STATS_INTERVAL, name);
		if (addr && (addr->kind != DC_STATS_ADDR || addr->n_dims != 1 ||
			     addr->dim_size[0] != m->dim_size[0]))
			addr = NULL;
		cty = find_metric(r, DC_STATS_INTERVAL, "top_sources_country");
		if (cty && (cty->kind != DC_STATS_CC || cty->n_dims != 1 ||
			    cty->dim_size[0] != m->dim_size[0]))
			cty = NULL;
	}
	printf("%4s", "rank");
	if (addr)
		printf("  %-39s", "address");
	if (cty)
		printf(" %-8s", "country");
	for (uint32_t j = 0; j < nf; j++)
		printf(" %*s", (int)(strlen(dc_stats_label(r, m, 1, j, buf, sizeof(buf))) > 10 ?
				     strlen(buf) : 10), buf);
	putchar('\n');
	for (uint32_t i = 0; i < rows && i < (uint32_t)n; i++) {
		printf("%4u", i + 1);
		if (addr)
			printf("  %-39s", dc_stats_addr_name(dc_stats_addr(snap, addr, i), buf, sizeof(buf)));
		if (cty) {
			char cc[8];

			printf(" %-8s", dc_stats_cc_name(dc_stats_u64(snap, cty, i), cc));
		}
		for (uint32_t j = 0; j < nf; j++) {
			int w = (int)strlen(dc_stats_label(r, m, 1, j, buf, sizeof(buf)));

			printf(" %*" PRIu64, w > 10 ? w : 10, dc_stats_u64(snap, m, i * nf + j));
		}
		putchar('\n');
	}
}

struct sigrow {
	uint64_t packets, id;
	uint32_t row;
};

static int
sigrow_cmp(const void *a, const void *b)
{
	const struct sigrow *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* A text list of @n rows (signature_name, signature_family), or NULL. */
static const struct dc_stats_metric *
text_rows(const struct dc_stats_reader *r, const char *name, uint32_t n)
{
	const struct dc_stats_metric *m = find_metric(r, DC_STATS_NOW, name);

	return m && m->kind == DC_STATS_STR && m->n_dims == 1 && m->dim_size[0] == n ? m : NULL;
}

/* top signatures: the signatures with most packets, with their id, name,
 * family (and sources, for the last interval), all from one snapshot. */
static void
top_signatures(const struct dc_stats_reader *r, const void *snap, const struct cmdline *c, long n)
{
	const struct dc_stats_metric *pk, *key, *nm, *fm, *src = NULL;
	struct sigrow *rows;
	size_t nr = 0;
	int wn = 4, wf = 6;
	uint32_t size;
	char buf[128];

	pk = need_metric(r, c->scope, "signature_packets", 1, " (darkcap runs without payload signatures?)");
	key = dc_stats_key_metric(r, pk, 0);
	if (key == NULL)
		die("%s: metric %s/signature_packets has no signature ids", stats_path, scope_name(c->scope));
	size = pk->dim_size[0];
	nm = text_rows(r, "signature_name", size);
	fm = text_rows(r, "signature_family", size);
	if (c->scope == DC_STATS_INTERVAL) {
		src = find_metric(r, DC_STATS_INTERVAL, "signature_sources");
		if (src && (src->n_dims != 1 || src->dim_size[0] != size || src->kind != DC_STATS_U64))
			src = NULL;
	}
	rows = calloc(size, sizeof(*rows));
	if (rows == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < size; i++) {
		uint64_t v = dc_stats_u64(snap, pk, i);

		if (v == 0 || !dc_stats_elem_used(r, snap, pk, i))
			continue;
		rows[nr++] = (struct sigrow){v, key->kind == DC_STATS_U64 ? dc_stats_u64(snap, key, i) : 0, i};
	}
	qsort(rows, nr, sizeof(*rows), sigrow_cmp);
	for (size_t i = 0; i < nr && i < (size_t)n; i++) {
		if (nm && (int)strlen(dc_stats_text(snap, nm, rows[i].row)) > wn)
			wn = (int)strlen(dc_stats_text(snap, nm, rows[i].row));
		if (fm && (int)strlen(dc_stats_text(snap, fm, rows[i].row)) > wf)
			wf = (int)strlen(dc_stats_text(snap, fm, rows[i].row));
	}
	printf("%4s  %10s", "rank", "id");
	if (nm)
		printf("  %-*s", wn, "name");
	if (fm)
		printf("  %-*s", wf, "family");
	printf(" %14s", "packets");
	if (src)
		printf(" %10s", "sources");
	putchar('\n');
	for (size_t i = 0; i < nr && i < (size_t)n; i++) {
		uint32_t row = rows[i].row;

		printf("%4zu  %10s", i + 1, dc_stats_label_at(r, snap, pk, 0, row, buf, sizeof(buf)));
		if (nm)
			printf("  %-*s", wn, elem_value(snap, nm, row, buf, sizeof(buf)));
		if (fm)
			printf("  %-*s", wf, elem_value(snap, fm, row, buf, sizeof(buf)));
		printf(" %14" PRIu64, rows[i].packets);
		if (src)
			printf(" %10" PRIu64, dc_stats_u64(snap, src, row));
		putchar('\n');
	}
	free(rows);
}

static int
cmd_top(int argc, char **argv)
{
	static const int allowed[] = {'n', OPT_INTERVAL, OPT_TOTAL, 0};
	struct dc_stats_reader *r;
	struct cmdline c;
	const char *what;
	void *snap;

	parse_cmd(argc, argv, "top", allowed, 1, &c);
	if (c.npos == 0)
		die_usage("top: say what: ports, countries, sources, asns or signatures");
	what = c.pos[0];
	if (strcmp(what, "ports") && strcmp(what, "countries") && strcmp(what, "sources") &&
	    strcmp(what, "asns") && strcmp(what, "signatures"))
		die_usage("top: unknown table '%s' (want ports, countries, sources, asns or signatures)",
			  what);
	r = open_or_die();
	snap = read_or_die(r, NULL);
	if (!c.have_n)
		c.count = 10;
	if (strcmp(what, "ports") == 0)
		top_ports(r, snap, &c, c.count);
	else if (strcmp(what, "countries") == 0)
		top_countries(r, snap, &c, c.count);
	else if (strcmp(what, "signatures") == 0)
		top_signatures(r, snap, &c, c.count);
	else
		top_ranked(r, snap, &c, c.count, what);
	free(snap);
	dc_stats_close(r);
	return 0;
}

/* ---- check ----------------------------------------------------------- */

static int __attribute__((format(printf, 2, 3)))
verdict(int code, const char *fmt, ...)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL"};
	va_list ap;

	printf("%s: ", names[code]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return code;
}

static int
cmd_check(int argc, char **argv)
{
	static const int allowed[] = {OPT_MAX_AGE, OPT_MAX_DROP, 0};
	const struct dc_stats_metric *port;
	struct dc_stats_reader *r;
	struct dc_stats_hdr h;
	struct cmdline c;
	enum dc_stats_live l;
	uint64_t now, age, received = 0, dropped = 0, missed = 0, no_mbuf = 0, packets = 0;
	double max_age, ratio;
	void *snap;
	int rc;

	fail_code = 2;
	parse_cmd(argc, argv, "check", allowed, 0, &c);
	if (dc_stats_open(stats_path, &r) != 0)
		return verdict(2, "%s", dc_stats_strerror());
	now = now_ns();
	l = dc_stats_liveness(r, now, &age);
	if (l == DC_STATS_IS_REPLACED || l == DC_STATS_IS_GONE) {
		/* raced a restart: look once more */
		dc_stats_close(r);
		if (dc_stats_open(stats_path, &r) != 0)
			return verdict(2, "%s", dc_stats_strerror());
		now = now_ns();
		l = dc_stats_liveness(r, now, &age);
	}
	dc_stats_header(r, &h);
	max_age = c.have_max_age ? c.max_age :
		  3.0 * (double)(h.heartbeat_period_ns ? h.heartbeat_period_ns : 1000000000ull) / 1e9;
	if ((snap = malloc(dc_stats_snap_size(r))) == NULL) {
		dc_stats_close(r);
		return verdict(2, "out of memory");
	}
	if (l == DC_STATS_IS_STOPPED) {
		rc = verdict(2, "darkcap stopped (pid %u exited cleanly %.1f s ago) | age=%.3fs;;%.3f",
			     h.writer_pid, (double)age / 1e9, (double)age / 1e9, max_age);
		goto out;
	}
	if ((double)age / 1e9 > max_age) {
		rc = verdict(2, "darkcap stale: heartbeat %.3f s ago (max-age %.3f s; pid %u hung or dead) "
			     "| age=%.3fs;;%.3f",
			     (double)age / 1e9, max_age, h.writer_pid, (double)age / 1e9, max_age);
		goto out;
	}
	if (l == DC_STATS_IS_REPLACED || l == DC_STATS_IS_GONE) {
		rc = verdict(2, "%s: darkcap restarting (%s)", stats_path, dc_stats_live_name(l));
		goto out;
	}
	if (dc_stats_read(r, snap, NULL) != 0) {
		rc = verdict(2, "%s", dc_stats_strerror());
		goto out;
	}
	if (h.state == DC_STATS_STARTING) {
		rc = verdict(1, "darkcap starting (pid %u, nothing published yet) | age=%.3fs;;%.3f",
			     h.writer_pid, (double)age / 1e9, max_age);
		goto out;
	}
	{
		const struct dc_stats_metric *pk = find_metric(r, DC_STATS_TOTAL, "packets");

		if (pk && pk->n_dims == 0 && pk->kind == DC_STATS_U64)
			packets = dc_stats_u64(snap, pk, 0);
	}
	port = find_metric(r, DC_STATS_TOTAL, "port");
	if (port && port->n_dims == 2 && port->kind == DC_STATS_U64) {
		int fr = field_index(r, port, 1, "received"), fm = field_index(r, port, 1, "missed");
		int fn = field_index(r, port, 1, "no_mbuf");
		uint32_t nf = port->dim_size[1];

		for (uint32_t i = 0; i < port->dim_size[0]; i++) {
			if (fr >= 0)
				received += dc_stats_u64(snap, port, i * nf + (uint32_t)fr);
			if (fm >= 0)
				missed += dc_stats_u64(snap, port, i * nf + (uint32_t)fm);
			if (fn >= 0)
				no_mbuf += dc_stats_u64(snap, port, i * nf + (uint32_t)fn);
		}
	} else {
		port = NULL;
	}
	dropped = missed + no_mbuf;
	ratio = received ? (double)dropped / (double)received : dropped ? INFINITY : 0.0;
	if (port && ratio > c.max_drop) {
		rc = verdict(1, "NIC drops %" PRIu64 " of %" PRIu64 " received (ratio %.6f > %g): "
			     "missed %" PRIu64 ", no_mbuf %" PRIu64 " since start "
			     "| age=%.3fs;;%.3f received=%" PRIu64 "c dropped=%" PRIu64 "c",
			     dropped, received, ratio, c.max_drop, missed, no_mbuf, (double)age / 1e9,
			     max_age, received, dropped);
		goto out;
	}
	rc = verdict(0, "darkcap live, pid %u, heartbeat %.3f s ago, %" PRIu64 " packets, "
		     "%s%" PRIu64 " NIC drops of %" PRIu64 " received since start "
		     "| age=%.3fs;;%.3f packets=%" PRIu64 "c dropped=%" PRIu64 "c",
		     h.writer_pid, (double)age / 1e9, packets, port ? "" : "no NIC counters, ",
		     dropped, received, (double)age / 1e9, max_age, packets, dropped);
out:
	free(snap);
	dc_stats_close(r);
	return rc;
}

/* ---- main ------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"path", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"info", cmd_info}, {"list", cmd_list}, {"dump", cmd_dump}, {"watch", cmd_watch},
		{"top", cmd_top}, {"check", cmd_check},
	};
	const char *cmd;
	int o;

	stats_path = getenv("DARKCAP_STATS");
	if (stats_path == NULL || *stats_path == '\0')
		stats_path = DC_STATS_DEFAULT_PATH;
	/* a check's usage errors are CRITICAL too */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "check") == 0)
			fail_code = 2;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			stats_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die_usage("no command (info, list, dump, watch, top or check)");
	cmd = argv[optind];
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	die_usage("unknown command '%s' (want info, list, dump, watch, top or check)", cmd);
}
