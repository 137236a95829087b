/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dc_err.h"

static __thread char dc_errmsg[512];

static void
dc_err_vset(int err, const char *fmt, va_list ap)
{
	vsnprintf(dc_errmsg, sizeof(dc_errmsg), fmt, ap);
	errno = err;
}

int
dc_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dc_err_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

void *
dc_err_ptr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dc_err_vset(err, fmt, ap);
	va_end(ap);
	return NULL;
}

const char *
dc_strerror(void)
{
	if (dc_errmsg[0] == '\0')
		return strerror(errno);
	return dc_errmsg;
}
