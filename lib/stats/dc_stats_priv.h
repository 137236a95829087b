/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to libdarkcap-stats. */
#ifndef DC_STATS_PRIV_H
#define DC_STATS_PRIV_H

/** Set this thread's message (printf-style) and return -err. */
int dc_stats_seterr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* DC_STATS_PRIV_H */
