/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the statistics segment reader on arbitrary bytes.
 *
 * The input becomes a file (a memfd, reached as /proc/self/fd/N, or a
 * temporary file); dc_stats_open() must either refuse it with a one-line
 * message naming the path (-EINVAL or -EPROTO), or accept it, and then
 * everything a collector does must be safe: the header copy, every metric's
 * strings, labels of every element index (small dimensions; the first and
 * last ones of big ones), find, a read into a buffer of exactly
 * dc_stats_snap_size() bytes, every value, liveness. A broken property
 * aborts (a crash for libFuzzer); memory errors are AddressSanitizer's.
 *
 * Built and run by run_fuzz.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dc_stats.h"

static int fd = -1;
static char path[256];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_stats_reader: property broken: %s (message '%s')\n", what,
		dc_stats_strerror());
	abort();
}

static void
setup(void)
{
	fd = memfd_create("dc_stats_fuzz", MFD_CLOEXEC);
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, R_OK) == 0)
			return;
		close(fd);
	}
	{
		const char *t = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/dc_stats_fuzz.%ld", t && *t ? t : "/tmp", (long)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(path);
			abort();
		}
	}
}

static void
put(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);

		if (w <= 0)
			abort();
		done += (size_t)w;
	}
}

static void
message_ok(void)
{
	const char *m = dc_stats_strerror();

	if (m == NULL || m[0] == '\0')
		fail("empty message");
	for (const char *c = m; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			fail("message not one printable line");
	if (strstr(m, path) == NULL)
		fail("message does not name the path");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_stats_reader *r = NULL;
	struct dc_stats_hdr h;
	volatile uint64_t sink = 0;
	unsigned n, tries = 0;
	size_t ss;
	char lb[96];
	void *buf;
	int rc;

	if (fd < 0)
		setup();
	put(data, size);
	rc = dc_stats_open(path, &r);
	if (rc != 0) {
		if (r != NULL)
			fail("failed open left a reader");
		if (rc != -EINVAL && rc != -EPROTO)
			fail("open error other than EINVAL or EPROTO");
		message_ok();
		return 0;
	}
	dc_stats_header(r, &h);
	if (memchr(h.version, '\0', sizeof(h.version)) == NULL)
		fail("version not terminated");
	sink += strlen(h.version);
	ss = dc_stats_snap_size(r);
	if (ss < sizeof(struct dc_stats_snap) || ss > size)
		fail("snapshot size");
	n = dc_stats_n_metrics(r);
	buf = malloc(ss);
	rc = dc_stats_read(r, buf, &tries);
	if (rc != 0) {
		if (rc != -EINVAL && rc != -EBUSY)
			fail("read error other than EINVAL or EBUSY");
		message_ok();
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dc_stats_metric *m = dc_stats_metric(r, i);
		int f;

		if (m == NULL)
			fail("listed metric is NULL");
		if (memchr(m->name, '\0', sizeof(m->name)) == NULL)
			fail("name not terminated");
		if (m->n_dims > 2 || m->elem_size != (m->kind == DC_STATS_ADDR  ? 16u
						  : m->kind == DC_STATS_STR ? DC_STATS_STR_SIZE
									     : 8u) ||
		    m->value_off + (uint64_t)m->n_elem * m->elem_size > ss)
			fail("descriptor accepted with values outside the snapshot");
		sink += strlen(dc_stats_str(r, m->help)) + strlen(dc_stats_str(r, m->unit));
		for (unsigned k = 0; k < m->n_dims; k++) {
			uint32_t ds = m->dim_size[k];

			sink += strlen(dc_stats_str(r, m->dim_name[k]));
			for (uint32_t j = 0; j < ds; j++) {
				if (ds > 1024 && j == 64)
					j = ds - 64;
				sink += strlen(dc_stats_label(r, m, k, j, lb, sizeof(lb)));
			}
			dc_stats_label(r, m, k, ds, lb, sizeof(lb));
			dc_stats_label(r, m, k, UINT32_MAX, lb, sizeof(lb));
			dc_stats_label(r, m, k, ds - 1, lb, 1);
		}
		dc_stats_label(r, m, 2, 0, lb, sizeof(lb));
		f = dc_stats_find(r, m->scope, m->name);
		if (f < 0 || f > (int)i)
			fail("find does not find a listed metric");
		if (rc != 0)
			continue;
		for (uint32_t e = 0; e < m->n_elem; e++) {
			if (m->n_elem > 4096 && e == 2048)
				e = m->n_elem - 2048;
			if (m->kind == DC_STATS_ADDR)
				sink += strlen(dc_stats_addr_name(dc_stats_addr(buf, m, e), lb, sizeof(lb)));
			else if (m->kind == DC_STATS_CC)
				sink += strlen(dc_stats_cc_name(dc_stats_u64(buf, m, e), lb));
			else
				sink += dc_stats_u64(buf, m, e);
		}
	}
	if (dc_stats_metric(r, n) != NULL)
		fail("metric past the end");
	{
		struct timespec ts;
		uint64_t age;

		clock_gettime(CLOCK_REALTIME, &ts);
		if (dc_stats_liveness(r, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, &age) >
		    DC_STATS_IS_GONE)
			fail("liveness value");
		dc_stats_liveness(r, 0, NULL);
		dc_stats_liveness(r, UINT64_MAX, NULL);
	}
	(void)sink;
	free(buf);
	dc_stats_close(r);
	return 0;
}
