/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/*
 * Allocations of DC_MEM_HUGE bytes or more (the control core's growing maps
 * and day sets, tens of MiB) are aligned to 2 MiB and asked to be backed
 * by transparent huge pages, before anything touches them: faulting such a
 * map in 4 KiB pages cost about 10 us a page on a KVM guest, and growing
 * the day set to 500k sources stalled the control core for 130 ms (the
 * worker waiting meanwhile on a file). Where the kernel gives huge pages
 * only on request (transparent_hugepage/enabled = madvise, Debian's
 * default) this is what asks; with "never" it does nothing.
 */
#define DC_MEM_HUGE (4u << 20)
#define DC_MEM_HUGE_ALIGN (2u << 20)

static void *
mem_alloc(size_t size, int flags)
{
	void *p;

	if (size < DC_MEM_HUGE)
		return mallocx(size, flags);
	p = mallocx(size, flags | MALLOCX_ALIGN(DC_MEM_HUGE_ALIGN));
	if (p != NULL)
		(void)madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void *
dc_malloc(size_t size)
{
	void *p = mem_alloc(size ? size : 1, 0);

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
	p = mem_alloc((n * size) != 0 ? n * size : 1, MALLOCX_ZERO);
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
