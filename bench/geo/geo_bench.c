/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-geo-bench: TSC cycles per source-address lookup of lib/geo's
 * compiled tables (bulk, 512 per call, as the workers call it) against
 * libmaxminddb's own MMDB_lookup_sockaddr on the same addresses, in the same
 * run; median of the repetitions. Also checks both give the same country.
 *
 *   darkcap-geo-bench <EAL args> -- --db COUNTRY.mmdb [--n N] [--repeat R] [--v6]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "dc_err.h"
#include "dc_geo.h"

static uint64_t rs = 0x2545F4914F6CDD1Dull;

static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *db = NULL;
	unsigned n = 1000000, reps = 5, v6 = 0;
	int ret = rte_eal_init(argc, argv), opt;
	double ours[32], theirs[32];
	uint32_t *ip4;
	uint8_t (*ip6)[16];
	uint16_t *cc;
	struct dc_geo *g;
	MMDB_s mmdb;
	uint64_t mismatches = 0, found = 0;

	if (ret < 0) {
		fprintf(stderr, "darkcap-geo-bench: EAL initialisation failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	static const struct option lo[] = {
		{"db", required_argument, NULL, 'd'}, {"n", required_argument, NULL, 'n'},
		{"repeat", required_argument, NULL, 'r'}, {"v6", no_argument, NULL, '6'}, {0},
	};
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': db = optarg; break;
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': reps = (unsigned)strtoul(optarg, NULL, 10); break;
		case '6': v6 = 1; break;
		default:
			fprintf(stderr, "usage: darkcap-geo-bench <EAL> -- --db FILE [--n N] [--repeat R] [--v6]\n");
			return 2;
		}
	}
	if (db == NULL || n == 0 || reps == 0 || reps > 32) {
		fprintf(stderr, "darkcap-geo-bench: --db is required; --n > 0; --repeat 1..32\n");
		return 2;
	}
	g = dc_geo_load(db, NULL, 0);
	if (g == NULL) {
		fprintf(stderr, "darkcap-geo-bench: %s\n", dc_strerror());
		return 1;
	}
	if (MMDB_open(db, MMDB_MODE_MMAP, &mmdb) != MMDB_SUCCESS) {
		fprintf(stderr, "darkcap-geo-bench: %s: MMDB_open failed\n", db);
		return 1;
	}
	ip4 = malloc(n * sizeof(*ip4));
	ip6 = malloc(n * sizeof(*ip6));
	cc = malloc(n * sizeof(*cc));
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = rnd(), b = rnd();

		ip4[i] = (uint32_t)a;
		memcpy(ip6[i], &a, 8);
		memcpy(ip6[i] + 8, &b, 8);
		ip6[i][0] = (uint8_t)(0x20 | (ip6[i][0] & 0x0F)); /* 2000::/4: allocated space */
	}
	for (unsigned r = 0; r < reps; r++) {
		uint64_t t0 = rte_rdtsc_precise(), t1;

		for (unsigned i = 0; i < n; i += 512) {
			unsigned k = n - i < 512 ? n - i : 512;

			if (v6)
				dc_geo_lookup6(g, (const uint8_t (*)[16])&ip6[i], k, &cc[i], NULL);
			else
				dc_geo_lookup4(g, &ip4[i], k, &cc[i], NULL);
		}
		t1 = rte_rdtsc_precise();
		ours[r] = (double)(t1 - t0) / n;
		t0 = rte_rdtsc_precise();
		for (unsigned i = 0; i < n; i++) {
			struct sockaddr_in s4 = {.sin_family = AF_INET};
			struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
			int merr;
			MMDB_lookup_result_s res;

			if (v6) {
				memcpy(&s6.sin6_addr, ip6[i], 16);
				res = MMDB_lookup_sockaddr(&mmdb, (struct sockaddr *)&s6, &merr);
			} else {
				s4.sin_addr.s_addr = htonl(ip4[i]);
				res = MMDB_lookup_sockaddr(&mmdb, (struct sockaddr *)&s4, &merr);
			}
			if (r == 0) {
				/* Same answer: found by both, or by neither. */
				found += res.found_entry;
				mismatches += (unsigned)res.found_entry != (cc[i] != 0);
			}
		}
		t1 = rte_rdtsc_precise();
		theirs[r] = (double)(t1 - t0) / n;
	}
	qsort(ours, reps, sizeof(double), cmp_double);
	qsort(theirs, reps, sizeof(double), cmp_double);
	printf("darkcap-geo-bench: %s, %u random %s addresses, %u repetitions, TSC %" PRIu64 " Hz\n",
	       db, n, v6 ? "IPv6 (2000::/4)" : "IPv4", reps, rte_get_tsc_hz());
	printf("| lookup | cycles/address (median) |\n|---|---|\n");
	printf("| lib/geo bulk (rte_lpm%s, 512 per call) | %.1f |\n", v6 ? "6" : "", ours[reps / 2]);
	printf("| libmaxminddb MMDB_lookup_sockaddr (no decoding) | %.1f |\n", theirs[reps / 2]);
	printf("| ratio lib/geo / libmaxminddb | %.3f |\n", ours[reps / 2] / theirs[reps / 2]);
	printf("found by libmaxminddb: %" PRIu64 " of %u; found/not-found disagreements: %" PRIu64 "\n",
	       found, n, mismatches);
	MMDB_close(&mmdb);
	dc_geo_free(g);
	free(ip4);
	free(ip6);
	free(cc);
	rte_eal_cleanup();
	return mismatches ? 1 : 0;
}
