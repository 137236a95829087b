/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A growable string buffer on the control plane's allocator, for building
 * output lines (JSON records, summaries) before writing them in one call.
 */
#ifndef DC_SBUF_H
#define DC_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dc_sbuf {
	char *buf;   /**< NUL-terminated contents (NULL until the first append) */
	size_t len;  /**< bytes used, without the NUL */
	size_t cap;  /**< bytes allocated */
};

/** Append printf-formatted text (grows as needed; OOM is fatal). */
void dc_sbuf_printf(struct dc_sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** dc_sbuf_printf() with a va_list. */
void dc_sbuf_vprintf(struct dc_sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** Append @p n bytes of @p s. */
void dc_sbuf_add(struct dc_sbuf *sb, const char *s, size_t n);
/** Append the string literal @p lit, its length counted by the compiler
 * (a length written by hand once dropped a record's closing bracket). */
#define dc_sbuf_lit(sb, lit) dc_sbuf_add((sb), "" lit "", sizeof(lit) - 1)
/** Append the JSON member "key":val (a comma first when @p comma), both
 * numbers in decimal: the sparse maps' members, without printf. */
void dc_sbuf_json_kv(struct dc_sbuf *sb, int comma, uint64_t key, uint64_t val);
/** Append the C string @p s as it is. */
void dc_sbuf_str(struct dc_sbuf *sb, const char *s);
/** Append the C string @p s, then @p v in decimal: a JSON member such as
 * ",\"packets\":" and its number, without printf (the control core writes
 * a record per interval; its ~90 printf calls cost it about 11 us of
 * ~480, docs/PERFORMANCE.md "Offline peers"). */
void dc_sbuf_str_u64(struct dc_sbuf *sb, const char *s, uint64_t v);
/** Append the JSON member ,"@p key":@p v (a key known only at run time). */
void dc_sbuf_member_u64(struct dc_sbuf *sb, const char *key, uint64_t v);
/** Append @p v in decimal (what "%" PRIu64 prints, without printf: the
 * records' long lists of numbers). */
void dc_sbuf_u64(struct dc_sbuf *sb, uint64_t v);
/** Append @p s as a JSON string literal, quotes included, escaped. */
void dc_sbuf_json_str(struct dc_sbuf *sb, const char *s);
/** Empty the buffer, keeping its memory. */
void dc_sbuf_reset(struct dc_sbuf *sb);
/** Free the buffer's memory. */
void dc_sbuf_free(struct dc_sbuf *sb);

#ifdef __cplusplus
}
#endif

#endif /* DC_SBUF_H */
