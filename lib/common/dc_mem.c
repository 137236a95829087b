/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "dc_mem.h"

static size_t dc_mem_bytes;

static void
dc_mem_oom(size_t size)
{
	fprintf(stderr, "darkcap: out of memory allocating %zu bytes\n", size);
	fflush(stderr);
	abort();
}

void *
dc_malloc(size_t size)
{
	void *p = mallocx(size ? size : 1, 0);

	if (p == NULL)
		dc_mem_oom(size);
	__atomic_fetch_add(&dc_mem_bytes, sallocx(p, 0), __ATOMIC_RELAXED);
	return p;
}

void *
dc_calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		dc_mem_oom(SIZE_MAX);
	p = mallocx((n * size) != 0 ? n * size : 1, MALLOCX_ZERO);
	if (p == NULL)
		dc_mem_oom(n * size);
	__atomic_fetch_add(&dc_mem_bytes, sallocx(p, 0), __ATOMIC_RELAXED);
	return p;
}

void *
dc_realloc(void *p, size_t size)
{
	size_t old;

	if (p == NULL)
		return dc_malloc(size);
	old = sallocx(p, 0);
	p = rallocx(p, size ? size : 1, 0);
	if (p == NULL)
		dc_mem_oom(size);
	__atomic_fetch_sub(&dc_mem_bytes, old, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dc_mem_bytes, sallocx(p, 0), __ATOMIC_RELAXED);
	return p;
}

void
dc_free(void *p)
{
	if (p == NULL)
		return;
	__atomic_fetch_sub(&dc_mem_bytes, sallocx(p, 0), __ATOMIC_RELAXED);
	dallocx(p, 0);
}

char *
dc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = dc_malloc(n);

	memcpy(d, s, n);
	return d;
}

size_t
dc_mem_used(void)
{
	return __atomic_load_n(&dc_mem_bytes, __ATOMIC_RELAXED);
}

const char *
dc_mem_allocator_version(void)
{
	const char *v = "unknown";
	size_t sz = sizeof(v);

	if (mallctl("version", &v, &sz, NULL, 0) != 0)
		return "unknown";
	return v;
}
