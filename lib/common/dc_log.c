/* SPDX-License-Identifier: BSD-3-Clause */
#include "dc_log.h"

RTE_LOG_REGISTER(dc_logtype_main, user.darkcap.main, INFO);
RTE_LOG_REGISTER(dc_logtype_port, user.darkcap.port, INFO);
RTE_LOG_REGISTER(dc_logtype_worker, user.darkcap.worker, INFO);
RTE_LOG_REGISTER(dc_logtype_ctrl, user.darkcap.ctrl, INFO);
RTE_LOG_REGISTER(dc_logtype_config, user.darkcap.config, INFO);
RTE_LOG_REGISTER(dc_logtype_sig, user.darkcap.sig, INFO);
