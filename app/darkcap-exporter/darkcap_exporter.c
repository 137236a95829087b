/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-exporter: serves darkcap's shared-memory statistics segment to
 * Prometheus (GET /metrics), one consistent snapshot per scrape, named as
 * dc_prom.c names it (docs/STATS.md).
 *
 * The segment is opened lazily and re-opened when the path names another
 * instance (darkcap restarted) or reappears; a missing segment is not an
 * error, only darkcap_up 0. libmicrohttpd runs one internal thread, so
 * scrapes are serialized; the main thread waits for SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dc_prom.h"
#include "dc_stats.h"

#define PROG "darkcap-exporter"
#define DEFAULT_LISTEN "127.0.0.1:9477"

struct exporter {
	const char *path;
	struct dc_prom_opts opts;
	pthread_mutex_t lock;
	struct dc_stats_reader *r;
	void *snap;                 /* snapshot buffer of r */
	uint64_t instance;          /* last instance opened (0: none yet) */
	uint64_t read_retries, scrape_errors, restarts_seen;
	char last[512];             /* last state logged */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [options]\n"
		"\n"
		"Serves darkcap's shared-memory statistics to Prometheus at http://ADDR:PORT/metrics\n"
		"(docs/STATS.md lists every metric family).\n"
		"\n"
		"Options:\n"
		"  -p, --path P         the segment (default $DARKCAP_STATS, else " DC_STATS_DEFAULT_PATH ")\n"
		"  -l, --listen A:P     address and port to listen on (default " DEFAULT_LISTEN ";\n"
		"                       0.0.0.0:9477 or [::]:9477 for every address)\n"
		"  --ports LIST         TCP/UDP destination ports exported with a label of their own,\n"
		"                       comma-separated; all others are summed into port=\"other\"\n"
		"                       (default " DC_PROM_DEFAULT_PORTS ")\n"
		"  --countries          also export per-country families (countries with traffic)\n"
		"  -h, --help           this text\n");
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
	exit(1);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: " PROG " [--path P] [--listen ADDR:PORT] [--ports LIST] [--countries] (--help: more)\n",
	      stderr);
	exit(1);
}

/* Log a change of state once (not once per scrape). */
static void __attribute__((format(printf, 2, 3)))
note(struct exporter *e, const char *fmt, ...)
{
	char msg[sizeof(e->last)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, e->last) == 0)
		return;
	snprintf(e->last, sizeof(e->last), "%s", msg);
	fprintf(stderr, PROG ": %s\n", msg);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
close_reader(struct exporter *e)
{
	dc_stats_close(e->r);
	free(e->snap);
	e->r = NULL;
	e->snap = NULL;
}

static void
open_reader(struct exporter *e)
{
	struct dc_stats_hdr h;
	int rc;

	rc = dc_stats_open(e->path, &e->r);
	if (rc != 0) {
		if (rc != -ENOENT)
			e->scrape_errors++;
		note(e, "%s", dc_stats_strerror());
		return;
	}
	e->snap = malloc(dc_stats_snap_size(e->r));
	if (e->snap == NULL) {
		dc_stats_close(e->r);
		e->r = NULL;
		e->scrape_errors++;
		note(e, "%s: out of memory", e->path);
		return;
	}
	dc_stats_header(e->r, &h);
	if (e->instance && h.instance_id != e->instance) {
		e->restarts_seen++;
		fprintf(stderr, PROG ": %s: darkcap restarted (pid %u, instance 0x%016" PRIx64 ")\n",
			e->path, h.writer_pid, h.instance_id);
	}
	e->instance = h.instance_id;
}

/* One scrape: the exposition text (malloc'd) or NULL. */
static char *
scrape(struct exporter *e, size_t *len)
{
	struct dc_prom *p = dc_prom_new(NULL);
	uint64_t now = now_ns();
	unsigned retries = 0;
	int up = 0;
	char *text;

	if (p == NULL)
		return NULL;
	if (e->r) {
		enum dc_stats_live l = dc_stats_liveness(e->r, now, NULL);

		if (l == DC_STATS_IS_REPLACED || l == DC_STATS_IS_GONE)
			close_reader(e);
	}
	if (e->r == NULL)
		open_reader(e);
	if (e->r) {
		enum dc_stats_live l = dc_stats_liveness(e->r, now, NULL);
		int rc = dc_stats_read(e->r, e->snap, &retries);

		e->read_retries += retries;
		if (rc != 0) {
			e->scrape_errors++;
			note(e, "%s", dc_stats_strerror());
			if (rc == -EINVAL)
				close_reader(e);
		} else if (l == DC_STATS_IS_LIVE) {
			struct dc_stats_hdr h;

			dc_stats_header(e->r, &h);
			note(e, "%s: darkcap live (pid %u)", e->path, h.writer_pid);
			up = 1;
			dc_prom_up(p, 1);
			dc_prom_snapshot(p, e->r, e->snap, &e->opts, now);
		} else {
			note(e, "%s: darkcap %s", e->path, dc_stats_live_name(l));
		}
	}
	if (!up)
		dc_prom_up(p, 0);
	dc_prom_u64(p, "darkcap_exporter_read_retries_total", DC_PROM_COUNTER,
		    "Snapshot reads that raced a publish and were retried", e->read_retries, 0);
	dc_prom_u64(p, "darkcap_exporter_scrape_errors_total", DC_PROM_COUNTER,
		    "Scrapes that found the segment unreadable or corrupt (a missing segment is not an error)",
		    e->scrape_errors, 0);
	dc_prom_u64(p, "darkcap_exporter_restarts_seen_total", DC_PROM_COUNTER,
		    "Times the segment was found to belong to a new darkcap instance",
		    e->restarts_seen, 0);
	text = dc_prom_render(p, len);
	dc_prom_free(p);
	return text;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *ctype, char *body, size_t len,
      int must_free)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body,
					       must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "Not found: darkcap-exporter serves /metrics\n";
	static char not_allowed[] = "Method not allowed: GET or HEAD\n";
	static char failed[] = "darkcap-exporter: out of memory\n";
	struct exporter *e = cls;
	char *body;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     strlen(not_allowed), 0);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found), 0);
	pthread_mutex_lock(&e->lock);
	body = scrape(e, &len);
	pthread_mutex_unlock(&e->lock);
	if (body == NULL)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), 0);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, 1);
}

/* A listening socket on ADDR:PORT ("127.0.0.1:9477", "[::1]:9477"). */
static int
listen_on(const char *spec)
{
	struct addrinfo hints = {0}, *ai;
	char host[256];
	const char *port, *colon = strrchr(spec, ':');
	size_t hl;
	int fd, rc, one = 1;

	if (colon == NULL || colon[1] == '\0')
		die_usage("--listen: '%s': want ADDR:PORT, e.g. " DEFAULT_LISTEN " or [::1]:9477", spec);
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		die_usage("--listen: '%s': want ADDR:PORT, e.g. " DEFAULT_LISTEN " or [::1]:9477", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	for (const char *s = port; *s; s++)
		if (*s < '0' || *s > '9' || s - port > 5)
			die_usage("--listen: bad port '%s' (want 1..65535)", port);
	if (atoi(port) < 1 || atoi(port) > 65535)
		die_usage("--listen: bad port '%s' (want 1..65535)", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		die("cannot listen on %s:%s: %s", host, port, gai_strerror(rc));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
		int err = errno;

		freeaddrinfo(ai);
		die("cannot listen on %s:%s: %s", host, port, strerror(err));
	}
	freeaddrinfo(ai);
	return fd;
}

int
main(int argc, char **argv)
{
	enum { OPT_PORTS = 256, OPT_COUNTRIES };
	static const struct option opts[] = {
		{"path", required_argument, NULL, 'p'},
		{"listen", required_argument, NULL, 'l'},
		{"ports", required_argument, NULL, OPT_PORTS},
		{"countries", no_argument, NULL, OPT_COUNTRIES},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen_spec = DEFAULT_LISTEN, *ports = DC_PROM_DEFAULT_PORTS;
	struct MHD_Daemon *d;
	struct exporter *e;
	sigset_t set;
	char err[256];
	int o, fd, sig = 0;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		die("out of memory");
	pthread_mutex_init(&e->lock, NULL);
	e->path = getenv("DARKCAP_STATS");
	if (e->path == NULL || *e->path == '\0')
		e->path = DC_STATS_DEFAULT_PATH;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":p:l:h", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			e->path = optarg;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case OPT_PORTS:
			ports = optarg;
			break;
		case OPT_COUNTRIES:
			e->opts.countries = 1;
			break;
		case 'h':
			usage(stdout);
			free(e);
			return 0;
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (*e->path == '\0')
		die_usage("--path: empty");
	if (dc_prom_parse_ports(&e->opts, ports, err, sizeof(err)) != 0)
		die_usage("%s", err);
	fd = listen_on(listen_spec);

	/* signals to the main thread only: block them before MHD's thread */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     handle, e, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (d == NULL) {
		close(fd);
		die("cannot listen on %s: the HTTP server did not start", listen_spec);
	}
	fprintf(stderr, PROG ": serving http://%s/metrics from %s\n", listen_spec, e->path);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, PROG ": %s, stopping\n", strsignal(sig));
	MHD_stop_daemon(d); /* closes the listening socket too */
	close_reader(e);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return 0;
}
