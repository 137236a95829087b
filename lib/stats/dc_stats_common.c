/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dc_stats.h"
#include "dc_stats_priv.h"

static __thread char errbuf[512];

int
dc_stats_seterr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -err;
}

const char *
dc_stats_strerror(void)
{
	return errbuf;
}

const char *
dc_stats_cc_name(uint64_t cc, char buf[8])
{
	if (cc == 0 || cc > 26 * 26)
		return "unknown";
	buf[0] = (char)('A' + (cc - 1) / 26);
	buf[1] = (char)('A' + (cc - 1) % 26);
	buf[2] = '\0';
	return buf;
}

const char *
dc_stats_addr_name(const uint8_t addr[16], char *buf, size_t size)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	const char *r;

	if (memcmp(addr, mapped, 12) == 0)
		r = inet_ntop(AF_INET, addr + 12, buf, (socklen_t)size);
	else
		r = inet_ntop(AF_INET6, addr, buf, (socklen_t)size);
	if (r == NULL)
		snprintf(buf, size, "?");
	return buf;
}

const char *
dc_stats_live_name(enum dc_stats_live l)
{
	switch (l) {
	case DC_STATS_IS_LIVE: return "live";
	case DC_STATS_IS_STARTING: return "starting";
	case DC_STATS_IS_STOPPED: return "stopped";
	case DC_STATS_IS_STALE: return "stale";
	case DC_STATS_IS_REPLACED: return "replaced";
	case DC_STATS_IS_GONE: return "gone";
	}
	return "?";
}
