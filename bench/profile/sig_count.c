/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-sig-count: scan every TCP/UDP payload of a pcap once with
 * dc_sig_scan(), as the engine finds and caps it (dc_parse()'s pl_off and
 * pl_len, at most --payload-max bytes), and print how many were
 * scanned and matched. Run under valgrind's callgrind with
 * --toggle-collect=dc_sig_scan (bench/profile/callgrind.sh --sig), it gives
 * the exact instructions per payload of a rule set: a way to compare two
 * forms of a rule that this machine's noise does not blur.
 *
 *   darkcap-sig-count [--payload-max N] [--one-db | --no-fast] [--port tcp/N|udp/N] RULES... -- PCAP
 *
 * --no-fast: every group scanned by Hyperscan (DC_SIG_NO_FAST), none by
 * darkcap's matcher.
 *
 * The pcap is classic libpcap format (either byte order, microsecond or
 * nanosecond), link type Ethernet. No DPDK.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_err.h"
#include "dc_parse.h"
#include "dc_sig.h"
#include "dc_tset.h"

static uint32_t
rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: darkcap-sig-count [--payload-max N] [--one-db | --no-fast] [--port tcp/N|udp/N] "
			"RULES... -- PCAP\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *rules[64], *pcap = NULL;
	unsigned nrules = 0, flags = 0, want_proto = 0, want_port = 0, filter = 0;
	unsigned long payload_max = 1024;
	uint64_t frames = 0, scanned = 0, bytes = 0, matched = 0, hits = 0;
	uint8_t hdr[24], rec[16], *buf;
	struct dc_sig_db *db;
	struct dc_sig_scratch *s;
	int swap;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--payload-max") == 0 && i + 1 < argc) {
			payload_max = strtoul(argv[++i], &end, 10);
			if (*end || payload_max == 0 || payload_max > 65535) {
				fprintf(stderr, "darkcap-sig-count: --payload-max: 1 .. 65535, not '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--one-db") == 0) {
			flags = DC_SIG_ONE_DB;
		} else if (strcmp(argv[i], "--no-fast") == 0) {
			flags = DC_SIG_NO_FAST;
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			const char *a = argv[++i];

			want_proto = strncmp(a, "tcp/", 4) == 0 ? 6 : strncmp(a, "udp/", 4) == 0 ? 17 : 0;
			want_port = (unsigned)strtoul(a + 4, &end, 10);
			if (want_proto == 0 || *end || a[4] == '\0' || want_port > 65535) {
				fprintf(stderr, "darkcap-sig-count: --port: tcp/N or udp/N, not '%s'\n", a);
				return 2;
			}
			filter = 1;
		} else if (strcmp(argv[i], "--") == 0 && i + 2 == argc) {
			pcap = argv[i + 1];
			break;
		} else if (argv[i][0] == '-' || nrules == 64) {
			usage();
		} else {
			rules[nrules++] = argv[i];
		}
	}
	if (nrules == 0 || pcap == NULL)
		usage();
	db = dc_sig_load_opts(rules, nrules, NULL, flags);
	if (db == NULL) {
		fprintf(stderr, "darkcap-sig-count: %s\n", dc_strerror());
		return 1;
	}
	s = dc_sig_scratch_new(db);
	f = fopen(pcap, "rb");
	if (s == NULL || f == NULL) {
		fprintf(stderr, "darkcap-sig-count: %s: %s\n", pcap, f ? "no scratch" : strerror(errno));
		return 1;
	}
	if (fread(hdr, 1, 24, f) != 24) {
		fprintf(stderr, "darkcap-sig-count: %s: not a pcap file (short header)\n", pcap);
		return 1;
	}
	if (rd32(hdr, 0) == 0xa1b2c3d4u || rd32(hdr, 0) == 0xa1b23c4du)
		swap = 0;
	else if (rd32(hdr, 1) == 0xa1b2c3d4u || rd32(hdr, 1) == 0xa1b23c4du)
		swap = 1;
	else {
		fprintf(stderr, "darkcap-sig-count: %s: not a classic pcap file (magic)\n", pcap);
		return 1;
	}
	if ((rd32(hdr + 20, swap) & 0x0fffffff) != 1) {
		fprintf(stderr, "darkcap-sig-count: %s: link type %u, only Ethernet (1)\n", pcap,
			rd32(hdr + 20, swap) & 0x0fffffff);
		return 1;
	}
	buf = malloc(262144);
	if (buf == NULL) {
		fprintf(stderr, "darkcap-sig-count: out of memory\n");
		return 1;
	}
	while (fread(rec, 1, 16, f) == 16) {
		uint32_t incl = rd32(rec + 8, swap), off, len;
		uint16_t out[DC_SIG_PKT_MATCHES];
		struct dc_pkt p;
		unsigned n;

		if (incl > 262144 || fread(buf, 1, incl, f) != incl) {
			fprintf(stderr, "darkcap-sig-count: %s: truncated record %" PRIu64 "\n", pcap, frames);
			return 1;
		}
		frames++;
		dc_parse(buf, incl, &p);
		if ((p.l3 != DC_L3_IPV4 && p.l3 != DC_L3_IPV6) || p.pl_len == 0)
			continue;
		off = p.pl_off;
		len = p.pl_len;
		if (filter && (p.proto != want_proto || p.dport != want_port))
			continue;
		if (len > payload_max)
			len = (uint32_t)payload_max;
		n = dc_sig_scan(db, s, p.proto, p.dport, buf + off, len, out);
		scanned++;
		bytes += len;
		matched += n != 0;
		hits += n;
	}
	printf("%" PRIu64 " frames, %" PRIu64 " payloads scanned (%" PRIu64 " bytes), %" PRIu64
	       " matched, %" PRIu64 " matches\n", frames, scanned, bytes, matched, hits);
	free(buf);
	fclose(f);
	dc_sig_scratch_free(s);
	dc_sig_free(db);
	return 0;
}
