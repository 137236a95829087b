/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Log types per component, registered with DPDK's log system as
 * user.darkcap.<component>. Messages are one line; the macros add the
 * component prefix and the newline.
 */
#ifndef DC_LOG_H
#define DC_LOG_H

#include <rte_log.h>

extern int dc_logtype_main;
extern int dc_logtype_port;
extern int dc_logtype_worker;
extern int dc_logtype_ctrl;
extern int dc_logtype_config;
extern int dc_logtype_sig;

#define DC_LOG(level, type, fmt, ...) \
	rte_log(RTE_LOG_##level, dc_logtype_##type, "darkcap: " fmt "\n", ##__VA_ARGS__)

#endif /* DC_LOG_H */
