/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/store without the engine: reads intervals as text on stdin and hands
 * them to the store, so test_store.py can fill a store with known values
 * and compare its rows with what it computes on its own.
 *
 *   open PATH TZ EXACT_MAX CHECKPOINT_S    dc_store_open() (sensor "driver")
 *   iv START END PACKETS                   begin an interval
 *   src ADDR CC PACKETS                    a source of the interval
 *   sig ID NAME FAMILY PACKETS SOURCES     a signature of the interval
 *   port ID tcp|udp PORT PACKETS           a (signature, port)
 *   cc ID CC PACKETS SOURCES               a (signature, country)
 *   ssrc ID ADDR CC PACKETS                a (signature, source)
 *   put                                    dc_store_put() the interval (wait)
 *   flush                                  dc_store_flush()
 *   crash                                  flush, then _exit(0) without closing
 *   close                                  dc_store_close()
 *
 * CC is two letters or "??". Log lines go to stderr as "store: LINE".
 * Exit 0, or 1 with a line on stderr.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dc_err.h"
#include "dc_mem.h"
#include "dc_store.h"
#include "dc_tset.h"

#define MAXN 4096

/* What the current interval has so far. */
struct pending {
	uint64_t start, end, packets;
	uint32_t n_src, n_sig, n_port, n_cc, n_ssrc;
	struct dc_store_src src[MAXN];
	struct dc_store_sig sig[MAXN];
	struct dc_store_sig_port port[MAXN];
	struct dc_store_sig_cc cc[MAXN];
	struct dc_store_sig_src ssrc[MAXN];
};

static void
log_line(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "store: %s\n", line);
}

static int
parse_addr(const char *s, uint8_t addr[16], uint8_t *family)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

static uint16_t
cc_of(const char *s)
{
	return strcmp(s, "??") == 0 ? 0 : dc_cc_index(s);
}

static struct dc_store_iv *
build(const struct pending *p)
{
	struct dc_store_iv *iv = dc_store_iv_new(0, 0, p->n_src, 0);

	iv->start = p->start;
	iv->end = p->end;
	iv->c[DC_ST_PACKETS] = p->packets;
	iv->c[DC_ST_UNIQUE_SOURCES] = p->n_src;
	memcpy(iv->src, p->src, p->n_src * sizeof(p->src[0]));
	for (uint32_t i = 0; i < p->n_src; i++)
		iv->cc[p->src[i].country][DC_STC_PACKETS] += p->src[i].packets;
	if (p->n_sig || p->n_ssrc || p->n_port || p->n_cc) {
		dc_store_iv_sigs(iv, p->n_sig, p->n_port, p->n_cc, p->n_ssrc);
		memcpy(iv->sig, p->sig, p->n_sig * sizeof(p->sig[0]));
		memcpy(iv->sig_port, p->port, p->n_port * sizeof(p->port[0]));
		memcpy(iv->sig_cc, p->cc, p->n_cc * sizeof(p->cc[0]));
		memcpy(iv->sig_src, p->ssrc, p->n_ssrc * sizeof(p->ssrc[0]));
	}
	return iv;
}

static int
die(unsigned line, const char *what)
{
	fprintf(stderr, "store_driver: line %u: %s\n", line, what);
	return 1;
}

int
main(void)
{
	static struct pending p;
	struct dc_store *st = NULL;
	char buf[1024], a[256], b[256];
	unsigned line = 0;

	while (fgets(buf, sizeof(buf), stdin)) {
		unsigned long long x, y, z;
		unsigned long id;

		line++;
		if (sscanf(buf, "open %255s %255s %llu %llu", a, b, &x, &y) == 4) {
			struct dc_store_opts o = {
				.path = a, .sensor = "driver", .timezone = b, .interval_s = 60, .queue_max = 4,
				.exact_max = x, .top_asns = 10, .checkpoint_s = (uint32_t)y, .version = "test",
				.log = log_line,
			};

			if (dc_store_open(&o, &st) != 0)
				return die(line, dc_strerror());
		} else if (sscanf(buf, "iv %llu %llu %llu", &x, &y, &z) == 3) {
			memset(&p, 0, sizeof(p));
			p.start = x;
			p.end = y;
			p.packets = z;
		} else if (sscanf(buf, "src %255s %255s %llu", a, b, &x) == 3 && p.n_src < MAXN) {
			struct dc_store_src *s = &p.src[p.n_src++];

			if (parse_addr(a, s->addr, &s->family) != 0)
				return die(line, "bad address");
			s->country = cc_of(b);
			s->packets = x;
			s->first = (uint32_t)p.start;
			s->last = (uint32_t)p.start;
		} else if (sscanf(buf, "sig %lu %255s %255s %llu %llu", &id, a, b, &x, &y) == 5 && p.n_sig < MAXN) {
			struct dc_store_sig *s = &p.sig[p.n_sig++];

			s->id = (uint32_t)id;
			snprintf(s->name, sizeof(s->name), "%.47s", a);
			snprintf(s->family, sizeof(s->family), "%.31s", b);
			s->packets = x;
			s->sources = y;
		} else if (sscanf(buf, "port %lu %255s %llu %llu", &id, a, &x, &y) == 4 && p.n_port < MAXN) {
			struct dc_store_sig_port *s = &p.port[p.n_port++];

			s->id = (uint32_t)id;
			s->proto = strcmp(a, "tcp") == 0 ? 6 : 17;
			s->port = (uint16_t)x;
			s->packets = y;
		} else if (sscanf(buf, "cc %lu %255s %llu %llu", &id, a, &x, &y) == 4 && p.n_cc < MAXN) {
			struct dc_store_sig_cc *s = &p.cc[p.n_cc++];

			s->id = (uint32_t)id;
			s->country = cc_of(a);
			s->packets = x;
			s->sources = y;
		} else if (sscanf(buf, "ssrc %lu %255s %255s %llu", &id, a, b, &x) == 4 && p.n_ssrc < MAXN) {
			struct dc_store_sig_src *s = &p.ssrc[p.n_ssrc++];

			s->id = (uint32_t)id;
			if (parse_addr(a, s->addr, &s->family) != 0)
				return die(line, "bad address");
			s->country = cc_of(b);
			s->packets = x;
		} else if (strncmp(buf, "put", 3) == 0 && st) {
			if (dc_store_put(st, build(&p), 1) < 0)
				return die(line, "interval dropped");
		} else if (strncmp(buf, "flush", 5) == 0 && st) {
			dc_store_flush(st);
		} else if (strncmp(buf, "crash", 5) == 0 && st) {
			dc_store_flush(st);
			fflush(stderr);
			_exit(0);
		} else if (strncmp(buf, "close", 5) == 0 && st) {
			dc_store_close(st);
			st = NULL;
		} else if (buf[0] != '\n' && buf[0] != '#') {
			return die(line, "cannot parse (or too many entries, or no store open)");
		}
	}
	if (st)
		dc_store_close(st);
	return 0;
}
