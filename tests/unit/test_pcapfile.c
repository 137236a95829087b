/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcap file reader (lib/pcapfile): files written here byte by byte from
 * the format's definition, in both byte orders and time stamp precisions,
 * read back in bursts through a buffer small enough to be refilled many
 * times; damaged, truncated and foreign files give their one-line errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dc_err.h"
#include "dc_pcapfile.h"
#include "dc_test.h"

static char dir[] = "/tmp/dc_pcapfile_XXXXXX";

/* A growing byte buffer. */
struct bytes {
	uint8_t *b;
	size_t n, cap;
};

static void
put(struct bytes *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		o->cap = (o->n + n) * 2;
		o->b = realloc(o->b, o->cap);
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
put32(struct bytes *o, uint32_t v, int big)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(o, b, 4);
}

static void
put16(struct bytes *o, uint16_t v, int big)
{
	uint8_t b[2] = {(uint8_t)(big ? v >> 8 : v), (uint8_t)(big ? v : v >> 8)};

	put(o, b, 2);
}

static void
file_header(struct bytes *o, uint32_t magic, int big, uint16_t major, uint32_t linktype)
{
	put32(o, magic, big);
	put16(o, major, big);
	put16(o, 4, big);
	put32(o, 0, big);
	put32(o, 0, big);
	put32(o, 65535, big);
	put32(o, linktype, big);
}

/* Record i: its captured length and bytes follow from i alone. */
static uint32_t
rec_len(unsigned i)
{
	if (i % 97 == 5)
		return DC_PCAPFILE_MAX_CAPLEN; /* the largest accepted */
	if (i % 31 == 3)
		return 0;
	return 14 + (uint32_t)((i * 7919u) % 1500u);
}

static uint8_t
rec_byte(unsigned i, uint32_t k)
{
	return (uint8_t)(i * 131u + k * 7u + 1u);
}

static void
record(struct bytes *o, unsigned i, int big)
{
	uint32_t len = rec_len(i);

	put32(o, 1648771200u + i / 10, big); /* 2022-04-01, ten records a second */
	put32(o, i % 1000, big);
	put32(o, len, big);
	put32(o, len + 4, big); /* on the wire: longer (not read) */
	for (uint32_t k = 0; k < len; k++) {
		uint8_t b = rec_byte(i, k);

		put(o, &b, 1);
	}
}

static const char *
write_file(const char *name, const struct bytes *o)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || (o->n && fwrite(o->b, 1, o->n, fp) != o->n) || fclose(fp) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	return path;
}

/* Read every record in bursts of @p burst; check each against record i.
 * Returns the records read. */
static unsigned
read_all(struct dc_pcapfile *f, unsigned burst)
{
	const uint8_t *fr[64];
	uint32_t cl[64], sec[64];
	unsigned i = 0, n, bad = 0;

	while ((n = dc_pcapfile_next(f, burst, fr, cl, sec)) > 0) {
		CHECK(n <= burst);
		for (unsigned k = 0; k < n; k++, i++) {
			uint32_t len = rec_len(i);

			if (cl[k] != len || sec[k] != 1648771200u + i / 10) {
				bad++;
				continue;
			}
			for (uint32_t b = 0; b < len; b++)
				if (fr[k][b] != rec_byte(i, b)) {
					bad++;
					break;
				}
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dc_pcapfile_next(f, burst, fr, cl, sec), 0); /* stays ended */
	return i;
}

static void
t_both_orders_and_precisions(void)
{
	static const struct {
		uint32_t magic;
		int big;
	} kinds[] = {{0xa1b2c3d4u, 0}, {0xa1b2c3d4u, 1}, {0xa1b23c4du, 0}, {0xa1b23c4du, 1}};
	const unsigned nrec = 3000;

	for (unsigned v = 0; v < 4; v++) {
		struct bytes o = {0};
		struct dc_pcapfile *f;
		const char *path;

		file_header(&o, kinds[v].magic, kinds[v].big, 2, 1);
		for (unsigned i = 0; i < nrec; i++)
			record(&o, i, kinds[v].big);
		path = write_file("ok.pcap", &o);
		/* the smallest buffer: about 30 refills, records across each edge */
		f = dc_pcapfile_open(path, 1);
		CHECK(f != NULL);
		if (f == NULL) {
			fprintf(stderr, "%s\n", dc_strerror());
			continue;
		}
		CHECK_EQ(dc_pcapfile_nanosecond(f), kinds[v].magic == 0xa1b23c4du);
		CHECK_EQ(read_all(f, 1 + v * 13), nrec);
		CHECK_EQ(dc_pcapfile_records(f), nrec);
		CHECK(dc_pcapfile_error(f) == NULL);
		dc_pcapfile_close(f);
		free(o.b);
	}
}

/* A file cut at @p cut bytes, or with record @p bad_rec's length damaged. */
static void
t_truncated_and_damaged(void)
{
	struct bytes o = {0};
	size_t at[200];
	const unsigned nrec = 200;

	file_header(&o, 0xa1b2c3d4u, 0, 2, 1);
	for (unsigned i = 0; i < nrec; i++) {
		at[i] = o.n;
		record(&o, i, 0);
	}
	/* cut inside record 150's header, inside its data, and after the last */
	{
		static const struct {
			unsigned rec, into;
			const char *msg;
		} cuts[] = {
			{150, 7, "inside the header of record 151"},
			{150, 16 + 3, "inside record 151"},
			{0, 0, NULL},
		};

		for (unsigned c = 0; c < 3; c++) {
			struct bytes cut = o;
			struct dc_pcapfile *f;
			const char *err;

			if (cuts[c].msg)
				cut.n = at[cuts[c].rec] + cuts[c].into;
			f = dc_pcapfile_open(write_file("cut.pcap", &cut), 0);
			CHECK(f != NULL);
			if (f == NULL)
				continue;
			CHECK_EQ(read_all(f, 32), cuts[c].msg ? cuts[c].rec : nrec);
			err = dc_pcapfile_error(f);
			if (cuts[c].msg) {
				CHECK(err != NULL && strstr(err, cuts[c].msg) != NULL && strstr(err, "truncated") != NULL);
				if (err)
					printf("  %s\n", err);
			} else {
				CHECK(err == NULL);
			}
			dc_pcapfile_close(f);
		}
	}
	/* record 120 claims more than the largest captured length */
	{
		struct bytes bad = {0};
		struct dc_pcapfile *f;
		const char *err;

		put(&bad, o.b, o.n);
		bad.b[at[120] + 8] = 0xff;
		bad.b[at[120] + 11] = 0x7f;
		f = dc_pcapfile_open(write_file("bad.pcap", &bad), 0);
		CHECK(f != NULL);
		if (f != NULL) {
			CHECK_EQ(read_all(f, 64), 120);
			err = dc_pcapfile_error(f);
			CHECK(err != NULL && strstr(err, "record 121 at byte") != NULL &&
			      strstr(err, "damaged") != NULL);
			if (err)
				printf("  %s\n", err);
			dc_pcapfile_close(f);
		}
		free(bad.b);
	}
	free(o.b);
}

static void
expect_open_error(const char *name, const struct bytes *o, const char *want)
{
	const char *path = write_file(name, o);
	struct dc_pcapfile *f = dc_pcapfile_open(path, 0);

	CHECK(f == NULL);
	if (f != NULL) {
		dc_pcapfile_close(f);
		return;
	}
	CHECK(strstr(dc_strerror(), want) != NULL && strstr(dc_strerror(), path) != NULL);
	printf("  %s\n", dc_strerror());
}

static void
t_foreign_files(void)
{
	static const uint8_t pcapng[] = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
					 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	struct bytes o = {0};

	expect_open_error("empty.pcap", &o, "empty");
	put(&o, pcapng, sizeof(pcapng));
	expect_open_error("ng.pcap", &o, "pcapng");
	o.n = 0;
	put(&o, gz, sizeof(gz));
	expect_open_error("gz.pcap", &o, "gzip");
	o.n = 0;
	put(&o, "hello, this is not a capture file", 33);
	expect_open_error("text.pcap", &o, "not a pcap file");
	o.n = 0;
	file_header(&o, 0xa1b2c3d4u, 0, 2, 1);
	o.n = 20;
	expect_open_error("short.pcap", &o, "too short");
	o.n = 0;
	file_header(&o, 0xa1b2c3d4u, 0, 2, 113);
	expect_open_error("sll.pcap", &o, "link type 113 (Linux cooked (SLL))");
	o.n = 0;
	file_header(&o, 0xa1b2c3d4u, 1, 3, 1);
	expect_open_error("v3.pcap", &o, "version 3");
	CHECK(dc_pcapfile_open("/nonexistent/x.pcap", 0) == NULL);
	CHECK(strstr(dc_strerror(), "/nonexistent/x.pcap: cannot open") != NULL);
	free(o.b);
}

/* Records [from, to) in a file of its own, in byte order @p big. */
static char *
part(const char *name, unsigned from, unsigned to, uint32_t magic, int big)
{
	struct bytes o = {0};
	char *path;

	file_header(&o, magic, big, 2, 1);
	for (unsigned i = from; i < to; i++)
		record(&o, i, big);
	path = strdup(write_file(name, &o));
	free(o.b);
	return path;
}

/* A list of files read as one input: records continue across them (each
 * file in its own byte order and precision); a file cut short in the middle
 * ends the input naming it and its own record number; a bad file anywhere
 * in the list is refused at open. */
static void
t_list(void)
{
	char *a = part("a.pcap", 0, 1000, 0xa1b2c3d4u, 0), *b = part("b.pcap", 1000, 2000, 0xa1b23c4du, 1),
	     *c = part("c.pcap", 2000, 3000, 0xa1b2c3d4u, 0), list[1024];
	struct dc_pcapfile *f;

	snprintf(list, sizeof(list), "%s,%s,%s", a, b, c);
	f = dc_pcapfile_open(list, 1);
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK_EQ(dc_pcapfile_count(f), 3);
		CHECK_EQ(read_all(f, 32), 3000);
		CHECK(dc_pcapfile_error(f) == NULL);
		CHECK(strcmp(dc_pcapfile_path(f), a) == 0);
		dc_pcapfile_close(f);
	}
	/* b cut inside its record 501 (global 1500) */
	{
		struct bytes o = {0};
		size_t at = 0;
		const char *err;

		file_header(&o, 0xa1b2c3d4u, 0, 2, 1);
		for (unsigned i = 1000; i < 2000; i++) {
			if (i == 1500)
				at = o.n;
			record(&o, i, 0);
		}
		o.n = at + 20;
		free(b);
		b = strdup(write_file("b.pcap", &o));
		free(o.b);
		f = dc_pcapfile_open(list, 0);
		CHECK(f != NULL);
		if (f != NULL) {
			CHECK_EQ(read_all(f, 32), 1500);
			err = dc_pcapfile_error(f);
			CHECK(err != NULL && strstr(err, b) != NULL &&
			      strstr(err, "inside record 501 (byte") != NULL);
			if (err)
				printf("  %s\n", err);
			dc_pcapfile_close(f);
		}
	}
	/* c not a capture: refused at open, named */
	{
		struct bytes o = {0};

		put(&o, "not a capture at all, just text", 31);
		free(c);
		c = strdup(write_file("c.pcap", &o));
		free(o.b);
		CHECK(dc_pcapfile_open(list, 0) == NULL);
		CHECK(strstr(dc_strerror(), c) != NULL && strstr(dc_strerror(), "not a pcap file") != NULL);
		printf("  %s\n", dc_strerror());
	}
	snprintf(list, sizeof(list), "%s,-", a);
	CHECK(dc_pcapfile_open(list, 0) == NULL);
	CHECK(strstr(dc_strerror(), "standard input (-) is read alone") != NULL);
	snprintf(list, sizeof(list), "%s,,%s", a, b);
	CHECK(dc_pcapfile_open(list, 0) == NULL);
	CHECK(strstr(dc_strerror(), "an empty file name") != NULL);
	free(a);
	free(b);
	free(c);
}

/* Standard input from a pipe fed in small writes: short reads everywhere. */
static void
t_pipe(void)
{
	struct bytes o = {0};
	const unsigned nrec = 500;
	int pfd[2], saved = dup(STDIN_FILENO), status = 0;
	struct dc_pcapfile *f;
	pid_t pid;

	file_header(&o, 0xa1b2c3d4u, 0, 2, 1);
	for (unsigned i = 0; i < nrec; i++)
		record(&o, i, 0);
	if (pipe(pfd) != 0 || saved < 0) {
		CHECK(0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		for (size_t off = 0; off < o.n;) {
			size_t k = o.n - off < 3001 ? o.n - off : 3001;
			ssize_t w = write(pfd[1], o.b + off, k);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(pfd[1]);
	dup2(pfd[0], STDIN_FILENO);
	close(pfd[0]);
	f = dc_pcapfile_open("-", 0);
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK_EQ(read_all(f, 32), nrec);
		CHECK(dc_pcapfile_error(f) == NULL);
		dc_pcapfile_close(f);
	}
	dup2(saved, STDIN_FILENO);
	close(saved);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(o.b);
}

int
main(void)
{
	static const struct dc_test_case tc[] = {
		{"both byte orders and precisions, many refills", t_both_orders_and_precisions},
		{"truncated and damaged files", t_truncated_and_damaged},
		{"foreign files", t_foreign_files},
		{"standard input from a pipe", t_pipe},
		{"a list of files read as one", t_list},
	};
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = dc_test_run("pcapfile", tc, sizeof(tc) / sizeof(tc[0]));
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return rc;
}
