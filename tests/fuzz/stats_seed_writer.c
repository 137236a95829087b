/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seed corpus for fuzz_stats_reader: valid segments written through the
 * writer API into the directory given, covering every metric type, kind,
 * scope and dimension kind, published or not, stopped or not.
 */
#include <stdio.h>
#include <string.h>

#include "dc_stats.h"

static const char *const proto[] = {"tcp", "", "udp", "icmp"};
static const char *const dir[] = {"in", "out"};

static const struct dc_stats_def defs[] = {
	{.name = "packets", .help = "Packets seen", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL},
	{.name = "packets", .help = "Packets in the interval", .unit = "packets",
	 .type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL},
	{.name = "port_packets", .help = "Per port", .unit = "packets", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 1, .dim_name = {"port"},
	 .dim_size = {4}, .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "proto_bytes", .help = "Per protocol", .unit = "bytes", .type = DC_STATS_COUNTER,
	 .kind = DC_STATS_U64, .scope = DC_STATS_INTERVAL, .n_dims = 1, .dim_name = {"proto"},
	 .dim_size = {4}, .dim_kind = {DC_STATS_DIM_DICT}, .dict = {proto}},
	{.name = "country_sources", .help = "Per country", .unit = "sources", .type = DC_STATS_GAUGE,
	 .kind = DC_STATS_U64, .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"country"},
	 .dim_size = {40}, .dim_kind = {DC_STATS_DIM_CC}},
	{.name = "top_src", .help = "Top sources", .type = DC_STATS_GAUGE, .kind = DC_STATS_ADDR,
	 .scope = DC_STATS_NOW, .n_dims = 1, .dim_name = {"rank"}, .dim_size = {3},
	 .dim_kind = {DC_STATS_DIM_INDEX}},
	{.name = "worker_dir", .help = "Per worker and direction", .unit = "packets",
	 .type = DC_STATS_COUNTER, .kind = DC_STATS_U64, .scope = DC_STATS_TOTAL, .n_dims = 2,
	 .dim_name = {"worker", "dir"}, .dim_size = {3, 2},
	 .dim_kind = {DC_STATS_DIM_INDEX, DC_STATS_DIM_DICT}, .dict = {NULL, dir}},
	{.name = "rank_cc", .help = "Country per rank", .type = DC_STATS_GAUGE, .kind = DC_STATS_CC,
	 .scope = DC_STATS_INTERVAL, .n_dims = 2, .dim_name = {"country", "rank"}, .dim_size = {3, 2},
	 .dim_kind = {DC_STATS_DIM_CC, DC_STATS_DIM_INDEX}},
	{.name = "top_addr", .type = DC_STATS_GAUGE, .kind = DC_STATS_ADDR, .scope = DC_STATS_INTERVAL},
	{.name = "last_cc", .type = DC_STATS_GAUGE, .kind = DC_STATS_CC, .scope = DC_STATS_NOW},
};

/* Write a segment of defs[first..first+n) to dir/name; publish @pubs times. */
static int
seed(const char *outdir, const char *name, unsigned first, unsigned n, unsigned pubs, int stopped)
{
	struct dc_stats_writer_info info = {.interval_s = 60, .n_workers = 3, .n_ports = 4,
					    .heartbeat_period_ns = 1000000000ull, .version = "seed"};
	struct dc_stats_writer *w = dc_stats_writer_new();
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	for (unsigned i = first; i < first + n; i++)
		if (dc_stats_writer_add(w, &defs[i]) < 0)
			goto err;
	if (dc_stats_writer_create(w, path, &info) != 0)
		goto err;
	for (unsigned p = 1; p <= pubs; p++) {
		struct dc_stats_snap meta = {.interval_start = 1700000000 + 60 * p,
					     .interval_end = 1700000060 + 60 * p, .intervals = p};

		for (unsigned i = 0; i < n; i++) {
			const struct dc_stats_def *d = &defs[first + i];
			uint8_t *v = dc_stats_writer_values(w, (int)i);
			uint32_t ne = 1, es = d->kind == DC_STATS_ADDR ? 16 : 8;

			for (unsigned k = 0; k < d->n_dims; k++)
				ne *= d->dim_size[k];
			for (uint32_t b = 0; b < ne * es; b++)
				v[b] = (uint8_t)(p * 37 + i * 11 + b);
			if (d->kind == DC_STATS_ADDR)
				for (uint32_t e = 0; e < ne; e += 2)
					memcpy(v + 16 * e, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		}
		dc_stats_writer_publish(w, &meta);
	}
	dc_stats_writer_close(w, stopped);
	return 0;
err:
	fprintf(stderr, "stats_seed_writer: %s\n", dc_stats_strerror());
	dc_stats_writer_close(w, 0);
	return 1;
}

int
main(int argc, char **argv)
{
	unsigned all = sizeof(defs) / sizeof(defs[0]);
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: stats_seed_writer DIR\n");
		return 2;
	}
	rc |= seed(argv[1], "full", 0, all, 2, 0);
	rc |= seed(argv[1], "full-unpublished", 0, all, 0, 0);
	rc |= seed(argv[1], "full-stopped", 0, all, 3, 1);
	rc |= seed(argv[1], "empty", 0, 0, 1, 0);
	rc |= seed(argv[1], "one", 0, 1, 1, 0);
	rc |= seed(argv[1], "dims", 2, 6, 1, 0);
	rc |= seed(argv[1], "addr", 5, 1, 1, 1);
	return rc;
}
