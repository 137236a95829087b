/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_err.h"
#include "dc_telescope.h"

static void
fmt_prefix(uint32_t net, unsigned len, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 0xff, (net >> 8) & 0xff,
		 net & 0xff, len);
}

/* One "a.b.c.d/len" of @p s[0 .. n). */
static int
parse_one(const char *s, size_t n, uint32_t *net, unsigned *len)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	unsigned long l;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash == NULL || !isdigit((unsigned char)slash[1]))
		return -1;
	*slash = '\0';
	l = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || l > 32 || inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*net = ntohl(a.s_addr);
	*len = (unsigned)l;
	return 0;
}

int
dc_telescope_parse(struct dc_telescope *out, const char *text, const char *where)
{
	struct dc_telescope t;
	const char *s = text;
	char a[24], b[24];

	memset(&t, 0, sizeof(t));
	if (strcmp(text, "off") == 0) {
		*out = t;
		return 0;
	}
	for (;;) {
		size_t n;
		uint32_t net, mask;
		unsigned len;

		while (isspace((unsigned char)*s))
			s++;
		n = strcspn(s, ",");
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (parse_one(s, n, &net, &len) != 0)
			return dc_err(EINVAL, "%s: telescope: '%.*s' is not an IPv4 prefix (a.b.c.d/len, comma-separated)",
				      where, (int)(n ? n : strcspn(s, ",")), s);
		mask = len ? ~0u << (32 - len) : 0;
		if (net & ~mask) {
			fmt_prefix(net & mask, len, a, sizeof(a));
			return dc_err(EINVAL, "%s: telescope: '%.*s' has host bits set (%s?)", where,
				      (int)n, s, a);
		}
		if (t.n == DC_TELESCOPE_MAX)
			return dc_err(EINVAL, "%s: telescope: more than %u prefixes", where,
				      DC_TELESCOPE_MAX);
		for (uint32_t i = 0; i < t.n; i++)
			if (((net ^ t.net[i]) & mask & t.mask[i]) == 0) {
				fmt_prefix(net, len, a, sizeof(a));
				fmt_prefix(t.net[i], t.len[i], b, sizeof(b));
				return dc_err(EINVAL, "%s: telescope: %s overlaps %s", where, a, b);
			}
		t.net[t.n] = net;
		t.mask[t.n] = mask;
		t.len[t.n] = (uint8_t)len;
		t.base[t.n] = (uint32_t)t.addrs;
		t.addrs += 1ull << (32 - len);
		t.n++;
		if (t.addrs > DC_TELESCOPE_ADDRS_MAX)
			return dc_err(EINVAL, "%s: telescope: %llu addresses in all; at most %llu (a /6)",
				      where, (unsigned long long)t.addrs,
				      (unsigned long long)DC_TELESCOPE_ADDRS_MAX);
		s += strcspn(s, ",");
		if (*s == '\0')
			break;
		s++;
	}
	*out = t;
	return 0;
}

void
dc_telescope_format(const struct dc_telescope *t, char *buf, unsigned size)
{
	size_t o = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (t->n == 0) {
		snprintf(buf, size, "off");
		return;
	}
	for (uint32_t i = 0; i < t->n && o + 1 < size; i++) {
		char p[24];

		fmt_prefix(t->net[i], t->len[i], p, sizeof(p));
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "", p);
	}
}
