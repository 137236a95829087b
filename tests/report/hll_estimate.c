/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sketch's HyperLogLog as a command, for checking darkcap-report's
 * Python port against it:
 *
 *   hll_estimate regs FILE...    dc_hll_estimate() of each FILE (16384
 *                                register bytes), one number a line
 *   hll_estimate hashes FILE OUT dc_hll_add() of each 64-bit little-endian
 *                                hash in FILE; writes the registers to OUT
 *                                and prints the estimate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_hll.h"

static int
read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	*buf = malloc((size_t)n + 1);
	if (*buf == NULL)
		goto out_close;
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
		goto out_free;
	*len = (size_t)n;
	fclose(f);
	return 0;
out_free:
	free(*buf);
out_close:
	fclose(f);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct dc_hll h;
	unsigned char *buf;
	size_t len;

	if (argc >= 3 && strcmp(argv[1], "regs") == 0) {
		for (int i = 2; i < argc; i++) {
			if (read_file(argv[i], &buf, &len) != 0 || len != DC_HLL_M) {
				fprintf(stderr, "hll_estimate: %s: not %u register bytes\n", argv[i], DC_HLL_M);
				return 1;
			}
			memcpy(h.reg, buf, DC_HLL_M);
			free(buf);
			printf("%llu\n", (unsigned long long)dc_hll_estimate(&h));
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "hashes") == 0) {
		FILE *out;

		if (read_file(argv[2], &buf, &len) != 0 || len % 8 != 0) {
			fprintf(stderr, "hll_estimate: %s: not a list of 64-bit hashes\n", argv[2]);
			return 1;
		}
		dc_hll_reset(&h);
		for (size_t i = 0; i < len; i += 8) {
			uint64_t x = 0;

			for (int b = 7; b >= 0; b--)
				x = x << 8 | buf[i + (size_t)b];
			dc_hll_add(&h, x);
		}
		free(buf);
		out = fopen(argv[3], "wb");
		if (out == NULL || fwrite(h.reg, 1, DC_HLL_M, out) != DC_HLL_M) {
			fprintf(stderr, "hll_estimate: %s: cannot write\n", argv[3]);
			return 1;
		}
		fclose(out);
		printf("%llu\n", (unsigned long long)dc_hll_estimate(&h));
		return 0;
	}
	fprintf(stderr, "usage: hll_estimate regs FILE... | hashes FILE OUT\n");
	return 2;
}
