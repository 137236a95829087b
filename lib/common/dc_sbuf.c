/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dc_mem.h"
#include "dc_sbuf.h"

static void
dc_sbuf_reserve(struct dc_sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need <= sb->cap)
		return;
	sb->cap = sb->cap ? sb->cap : 256;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->buf = dc_realloc(sb->buf, sb->cap);
}

void
dc_sbuf_vprintf(struct dc_sbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	/* Format straight into the free space; again only when it was short. */
	dc_sbuf_reserve(sb, 128);
	va_copy(aq, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, aq);
	va_end(aq);
	if (n <= 0) {
		sb->buf[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		dc_sbuf_reserve(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	}
	sb->len += (size_t)n;
}

/* Decimal digits of @p v at the end of @p end (no NUL); returns the first. */
static char *
u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void
dc_sbuf_json_kv(struct dc_sbuf *sb, int comma, uint64_t key, uint64_t val)
{
	char buf[48], *e = buf + sizeof(buf), *p = u64_digits(val, e);

	*--p = ':';
	*--p = '"';
	p = u64_digits(key, p);
	*--p = '"';
	if (comma)
		*--p = ',';
	dc_sbuf_add(sb, p, (size_t)(e - p));
}

void
dc_sbuf_u64(struct dc_sbuf *sb, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *p = u64_digits(v, e);

	dc_sbuf_add(sb, p, (size_t)(e - p));
}

void
dc_sbuf_str(struct dc_sbuf *sb, const char *s)
{
	dc_sbuf_add(sb, s, strlen(s));
}

void
dc_sbuf_str_u64(struct dc_sbuf *sb, const char *s, uint64_t v)
{
	dc_sbuf_str(sb, s);
	dc_sbuf_u64(sb, v);
}

void
dc_sbuf_member_u64(struct dc_sbuf *sb, const char *key, uint64_t v)
{
	dc_sbuf_lit(sb, ",\"");
	dc_sbuf_str(sb, key);
	dc_sbuf_str_u64(sb, "\":", v);
}

void
dc_sbuf_printf(struct dc_sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dc_sbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

void
dc_sbuf_add(struct dc_sbuf *sb, const char *s, size_t n)
{
	dc_sbuf_reserve(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
dc_sbuf_json_str(struct dc_sbuf *sb, const char *s)
{
	dc_sbuf_lit(sb, "\"");
	while (*s) {
		size_t run = 0;
		unsigned char ch;

		/* the longest run of bytes that need no escape, in one append */
		while ((ch = (unsigned char)s[run]) != 0 && ch != '"' && ch != '\\' && ch >= 0x20)
			run++;
		if (run) {
			dc_sbuf_add(sb, s, run);
			s += run;
			continue;
		}
		if (ch == '"' || ch == '\\')
			dc_sbuf_printf(sb, "\\%c", ch);
		else
			dc_sbuf_printf(sb, "\\u%04x", ch);
		s++;
	}
	dc_sbuf_lit(sb, "\"");
}

void
dc_sbuf_reset(struct dc_sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void
dc_sbuf_free(struct dc_sbuf *sb)
{
	dc_free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}
