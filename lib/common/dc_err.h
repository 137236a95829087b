/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * darkcap's one error convention.
 *
 * Functions returning a pointer return NULL on failure; functions returning
 * int return 0 on success and -1 on failure; burst functions return counts.
 * On failure `errno` holds the reason and dc_strerror() a one-line message
 * naming the problem (the file, the key, the value), ready to print as is.
 * dc_err() / dc_err_ptr() set both and return the failure value, in the
 * manner of libbpf_err().
 */
#ifndef DC_ERR_H
#define DC_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Record a failure: set errno and this thread's message.
 *
 * @param err
 *   errno value (positive).
 * @param fmt
 *   printf format of the one-line message (no trailing newline).
 * @return
 *   -1, to be returned by the caller.
 */
int dc_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Same as dc_err() for functions that return a pointer.
 *
 * @return
 *   NULL, to be returned by the caller.
 */
void *dc_err_ptr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * The message of this thread's last failure recorded with dc_err().
 *
 * @return
 *   A string owned by the library, valid until the next dc_err() call on
 *   this thread; never NULL.
 */
const char *dc_strerror(void);

#ifdef __cplusplus
}
#endif

#endif /* DC_ERR_H */
