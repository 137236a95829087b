/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The one allocator wrapper for control-plane memory, backed by jemalloc
 * (mallocx/dallocx). Out of memory is fatal: the wrapper logs one line and
 * aborts, so callers never test for NULL (the Redis zmalloc policy).
 * Packet-path memory never comes from here: workers use memory sized at
 * start-up from DPDK's allocator on their own socket.
 */
#ifndef DC_MEM_H
#define DC_MEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Allocate @p size bytes (never NULL). */
void *dc_malloc(size_t size);
/** Allocate @p n * @p size zeroed bytes (never NULL; overflow is fatal). */
void *dc_calloc(size_t n, size_t size);
/** Resize @p p to @p size bytes (never NULL). @p p may be NULL. */
void *dc_realloc(void *p, size_t size);
/** Free memory from this wrapper; NULL is ignored. */
void dc_free(void *p);
/** Duplicate a string (never NULL). */
char *dc_strdup(const char *s);
/** Bytes currently allocated through the wrapper. */
size_t dc_mem_used(void);
/** jemalloc's version string, e.g. "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c". */
const char *dc_mem_allocator_version(void);

#ifdef __cplusplus
}
#endif

#endif /* DC_MEM_H */
