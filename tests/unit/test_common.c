/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/common's string buffer: the numbers and strings the records are made
 * of, appended without printf, against what printf writes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dc_common.h"
#include "dc_sbuf.h"
#include "dc_test.h"

/* Every power of ten and its neighbours, the extremes, and random values of
 * every magnitude: dc_sbuf_u64() and dc_sbuf_json_kv() write what
 * "%" PRIu64 writes, appended after earlier text (the buffer grows). */
static void
t_numbers(void)
{
	struct dc_sbuf sb = {0};
	char want[8192]; /* 150 members of at most 27 bytes */
	size_t wl = 0;
	uint64_t vals[400], r = 3;
	unsigned n = 0, bad = 0;

	vals[n++] = 0;
	vals[n++] = UINT64_MAX;
	vals[n++] = UINT64_MAX - 1;
	for (uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
		vals[n++] = p - 1;
		vals[n++] = p;
		vals[n++] = p + 1;
	}
	while (n < DC_ARRAY_SIZE(vals))
		vals[n++] = dc_test_rnd(&r) >> (dc_test_rnd(&r) % 64);
	for (unsigned i = 0; i < n; i++) {
		char one[64];

		dc_sbuf_reset(&sb);
		dc_sbuf_str(&sb, "x=");
		dc_sbuf_u64(&sb, vals[i]);
		snprintf(one, sizeof(one), "x=%" PRIu64, vals[i]);
		bad += strcmp(sb.buf, one) != 0 || sb.len != strlen(one);
	}
	CHECK_EQ(bad, 0);
	/* one long buffer: growth keeps what was appended */
	dc_sbuf_reset(&sb);
	for (unsigned i = 0; i < 150; i++) {
		dc_sbuf_json_kv(&sb, i > 0, i, vals[i]);
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s\"%u\":%" PRIu64,
				       i ? "," : "", i, vals[i]);
	}
	CHECK_EQ(sb.len, wl);
	CHECK(strcmp(sb.buf, want) == 0);
	/* dc_sbuf_str_u64(): a member's text and its number, as printf writes
	 * them, the buffer growing from empty */
	dc_sbuf_free(&sb);
	wl = 0;
	for (unsigned i = 0; i < 150; i++) {
		const char *k = i % 3 == 0 ? ",\"packets\":" : i % 3 == 1 ? "" : "{\"asn\":";

		dc_sbuf_str_u64(&sb, k, vals[i]);
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s%" PRIu64, k, vals[i]);
	}
	CHECK_EQ(sb.len, wl);
	CHECK(strcmp(sb.buf, want) == 0);
	/* dc_sbuf_member_u64(): ,"key":number */
	dc_sbuf_reset(&sb);
	wl = 0;
	for (unsigned i = 0; i < 150; i++) {
		const char *k = i % 2 ? "tcp_syn" : "unique_sources";

		dc_sbuf_member_u64(&sb, k, vals[i]);
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, ",\"%s\":%" PRIu64, k, vals[i]);
	}
	CHECK_EQ(sb.len, wl);
	CHECK(strcmp(sb.buf, want) == 0);
	dc_sbuf_free(&sb);
}

/* A JSON string literal by the rules, one byte at a time: the reference
 * dc_sbuf_json_str() (which appends runs of plain bytes at once) must match. */
static size_t
json_ref(const char *s, char *out)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)sprintf(out + n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

/* Strings with escapes at the start, the end, in runs and alone, empty, and
 * random bytes (1..255) of random lengths, appended after earlier text. */
static void
t_json_str(void)
{
	static const char *const fixed[] = {
		"", "plain", "\"", "\\", "a\"b", "\"start", "end\\", "\"\"\\\\",
		"tab\there", "\x01\x1f\x7f", "Gamma \"G\" Networks", "caf\xc3\xa9",
	};
	struct dc_sbuf sb = {0};
	char want[4096], one[600];
	uint64_t r = 11;
	unsigned bad = 0;

	for (unsigned i = 0; i < DC_ARRAY_SIZE(fixed) + 500; i++) {
		char rnd[100];
		const char *s = rnd;
		size_t wl;

		if (i < DC_ARRAY_SIZE(fixed)) {
			s = fixed[i];
		} else {
			size_t len = dc_test_rnd(&r) % sizeof(rnd);

			for (size_t b = 0; b < len; b++)
				rnd[b] = (char)(1 + dc_test_rnd(&r) % 255);
			rnd[len] = '\0';
		}
		dc_sbuf_reset(&sb);
		dc_sbuf_str(&sb, "x:");
		dc_sbuf_json_str(&sb, s);
		wl = json_ref(s, one);
		snprintf(want, sizeof(want), "x:%s", one);
		bad += sb.len != wl + 2 || strcmp(sb.buf, want) != 0;
	}
	CHECK_EQ(bad, 0);
	dc_sbuf_free(&sb);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"numbers and strings as printf writes them", t_numbers},
		{"JSON strings escaped as the rules say", t_json_str},
	};

	return dc_test_run("common", cases, DC_ARRAY_SIZE(cases));
}
