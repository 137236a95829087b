/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-stats-load: a busy statistics reader. Reads snapshots of a
 * darkcap segment back to back for a given time and checks, on every one, an
 * invariant that spans counters the engine publishes separately:
 *   packets == ipv4 + ipv6 + non_ip + malformed
 * for the totals and the last interval (docs/COUNTERS.md). Prints reads,
 * busy tries and violations (a violation would be a torn snapshot).
 *
 *   darkcap-stats-load PATH SECONDS
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dc_stats.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const char *const keys[] = {"packets", "ipv4", "ipv6", "non_ip", "malformed"};
	const struct dc_stats_metric *m[2][5];
	struct dc_stats_reader *r;
	uint64_t reads = 0, busy = 0, bad = 0, retries = 0;
	double end;
	void *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: darkcap-stats-load PATH SECONDS\n");
		return 1;
	}
	end = now() + atof(argv[2]);
	while (dc_stats_open(argv[1], &r) != 0) {
		if (now() > end) {
			fprintf(stderr, "darkcap-stats-load: %s\n", dc_stats_strerror());
			return 1;
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 5; k++) {
			int i = dc_stats_find(r, s ? DC_STATS_INTERVAL : DC_STATS_TOTAL, keys[k]);

			if (i < 0) {
				fprintf(stderr, "darkcap-stats-load: %s: no metric %s\n", argv[1], keys[k]);
				return 1;
			}
			m[s][k] = dc_stats_metric(r, (unsigned)i);
		}
	buf = aligned_alloc(64, (dc_stats_snap_size(r) + 63) & ~(size_t)63);
	while (now() < end) {
		unsigned t;
		int rc = dc_stats_read(r, buf, &t);

		retries += t;
		if (rc == -EBUSY) {
			busy++;
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "darkcap-stats-load: %s\n", dc_stats_strerror());
			return 1;
		}
		reads++;
		for (int s = 0; s < 2; s++) {
			uint64_t sum = 0;

			for (int k = 1; k < 5; k++)
				sum += dc_stats_u64(buf, m[s][k], 0);
			bad += sum != dc_stats_u64(buf, m[s][0], 0);
		}
	}
	printf("reads %" PRIu64 " busy %" PRIu64 " retries %" PRIu64 " violations %" PRIu64 "\n", reads,
	       busy, retries, bad);
	free(buf);
	dc_stats_close(r);
	return bad ? 2 : 0;
}
