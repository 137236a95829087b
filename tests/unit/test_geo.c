/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/geo against libmaxminddb itself, on random databases.
 *
 * Random prefix sets (nested prefixes, IPv4 /8../32, IPv6 /16../128, equal
 * prefixes with other values, ranges that are not CIDR blocks) are written
 * twice: as .mmdb files by tests/unit/geo_mkdb.pl (MaxMind::DB::Writer, in
 * the GeoLite2-Country, free country_code and GeoLite2-ASN layouts, ip_version
 * 4 and ip_version 6 with IPv4 aliasing), and as CSV files. Then:
 *  - the MMDB build answers, on 1,000,000 random IPv4 and 1,000,000 random
 *    IPv6 addresses (most inside some prefix), exactly what
 *    MMDB_lookup_sockaddr() answers on the same file: country code and ASN;
 *    also on IPv4-mapped, ::/96, 6to4 and Teredo addresses;
 *  - the CSV build answers the same as the MMDB build;
 *  - the tables (codes, ASNs, organisation names) are the generated ones;
 *  - bad inputs (missing file, truncated or corrupt MMDB, a database of the
 *    other kind, bad CSV lines, empty files) give NULL and a one-line
 *    message, never a crash.
 *
 * The MMDB writer lets the last insert win over what it covers; the CSV
 * build is longest-prefix-match with the later of equal prefixes winning.
 * Writing prefixes to the MMDB shortest first (file order among equal
 * lengths) makes both the same function of the address.
 *
 * Runs without hugepages: EAL with --no-huge -m 512.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "dc_err.h"
#include "dc_geo.h"
#include "dc_test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define N_LOOKUP 1000000u
#define N_ALIAS 200000u
#define N_CODES 40
#define N_ASNS 300

typedef unsigned __int128 u128;


static u128
rnd128(uint64_t *s)
{
	u128 hi = dc_test_rnd(s);

	return hi << 64 | dc_test_rnd(s);
}

/* An IPv6 address (or prefix) in the hextet @h. */
static u128
in_hextet(uint16_t h, uint64_t *s)
{
	return (u128)h << 112 | (rnd128(s) >> 16);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- files ------------------------------------------------------------------- */

static char g_dir[64];
static const char *g_script;
static const char *g_perl = "perl";
static char g_files[64][128];
static unsigned g_nfiles;

static const char *
tmp_path(const char *name)
{
	if (g_nfiles == NELEM(g_files)) {
		fprintf(stderr, "too many temporary files\n");
		exit(1);
	}
	snprintf(g_files[g_nfiles], sizeof(g_files[0]), "%s/%s", g_dir, name);
	return g_files[g_nfiles++];
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write\n", path);
		exit(1);
	}
}

static void *
read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *p;

	if (f == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL || fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return p;
}

static int
run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- random databases ---------------------------------------------------------- */

/* One line of a database: a CIDR prefix, or a range that may not be one. */
struct entry {
	int v6;
	u128 first, last;  /* IPv4 in the low 32 bits */
	unsigned len;      /* prefix length; 0 for a range */
	uint32_t val;      /* country: 1..N_CODES (0 '-'); AS: ASN (0 '-') */
	int reg_only;      /* country: only registered_country (iso layout) */
};

struct dbgen {
	struct entry *e;
	unsigned n, cap;
};

static char g_codes[N_CODES + 1][3];
static uint32_t g_asns[N_ASNS];

/* Organisation name of an ASN (commas and quotes now and then). */
static void
org_of(uint32_t asn, char *buf, size_t size)
{
	switch (asn % 4) {
	case 0:
		snprintf(buf, size, "Org %u", asn);
		break;
	case 1:
		snprintf(buf, size, "Net %u, Inc.", asn);
		break;
	case 2:
		snprintf(buf, size, "The \"%u\" Company", asn);
		break;
	default:
		snprintf(buf, size, "AS%u-NET", asn);
		break;
	}
}

static void
init_values(uint64_t *s)
{
	for (unsigned i = 1; i <= N_CODES; i++) {
		for (;;) {
			unsigned j;

			g_codes[i][0] = (char)('A' + dc_test_rnd(s) % 26);
			g_codes[i][1] = (char)('A' + dc_test_rnd(s) % 26);
			for (j = 1; j < i; j++)
				if (memcmp(g_codes[j], g_codes[i], 2) == 0)
					break;
			if (j == i)
				break;
		}
	}
	for (unsigned i = 0; i < N_ASNS; i++)
		g_asns[i] = 1 + (uint32_t)(dc_test_rnd(s) % (i < N_ASNS / 2 ? 65535 : 4200000000u));
}

static u128
mask_of(unsigned width, unsigned len)
{
	if (len == 0)
		return 0;
	return (~(u128)0 << (128 - len)) >> (128 - width);
}

static void
add_entry(struct dbgen *d, const struct entry *e)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->e = realloc(d->e, d->cap * sizeof(*d->e));
		if (d->e == NULL)
			exit(1);
	}
	d->e[d->n++] = *e;
}

/* A first IPv6 hextet outside ::/16 (IPv4, IPv4-mapped), 2001::/16 (Teredo)
 * and 2002::/16 (6to4): the writer refuses inserts into its aliases. */
static uint16_t
v6_hextet(uint64_t *s)
{
	uint16_t h;

	if (dc_test_rnd(s) % 4 != 0)
		return (uint16_t)(0x2400 + dc_test_rnd(s) % 0x100);
	do
		h = (uint16_t)dc_test_rnd(s);
	while (h == 0 || h == 0x2001 || h == 0x2002);
	return h;
}

static uint32_t
gen_value(uint64_t *s, int asn, int *reg_only, int iso)
{
	uint64_t r = dc_test_rnd(s) % 100;

	*reg_only = 0;
	if (r < 3)
		return 0;
	if (asn)
		return g_asns[dc_test_rnd(s) % N_ASNS];
	if (iso && r < 8)
		*reg_only = 1;
	return 1 + (uint32_t)(dc_test_rnd(s) % N_CODES);
}

/*
 * @n entries of one family: fresh prefixes, prefixes nested in earlier
 * ones, equal prefixes with another value, and ranges.
 */
static void
gen_family(struct dbgen *d, uint64_t *s, int v6, unsigned n, int asn, int iso)
{
	unsigned width = v6 ? 128 : 32, minlen = v6 ? 16 : 8;
	unsigned start = d->n;

	for (unsigned i = 0; i < n; i++) {
		struct entry e = { .v6 = v6 };
		uint64_t r = dc_test_rnd(s) % 100;
		unsigned have = d->n - start;

		e.val = gen_value(s, asn, &e.reg_only, iso);
		if (r < 40 && have > 0) {
			/* nested in an earlier prefix */
			const struct entry *p = &d->e[start + dc_test_rnd(s) % have];

			if (p->len == 0 || p->len >= width)
				goto fresh;
			e.len = p->len + 1 + (unsigned)(dc_test_rnd(s) % (width - p->len < 12 ? width - p->len : 12));
			e.first = (p->first | (rnd128(s) & ~mask_of(width, p->len))) & mask_of(width, e.len);
		} else if (r < 45 && have > 0) {
			/* an equal prefix again */
			const struct entry *p = &d->e[start + dc_test_rnd(s) % have];

			if (p->len == 0)
				goto fresh;
			e.len = p->len;
			e.first = p->first;
		} else if (r < 55) {
			/* a range, usually not a CIDR block */
			unsigned bits = (unsigned)(dc_test_rnd(s) % (v6 ? 90 : 22));
			u128 span = rnd128(s) & (((u128)1 << bits) - 1);

			if (v6)
				e.first = in_hextet(v6_hextet(s), s);
			else
				e.first = dc_test_rnd(s) & 0xFFFFFFFFu;
			/* stay within the first hextet (IPv6) or the space (IPv4) */
			if (v6 ? ((e.first + span) >> 112 != e.first >> 112 || e.first + span < e.first)
			       : e.first + span > 0xFFFFFFFFu)
				span = 0;
			e.last = e.first + span;
			add_entry(d, &e);
			continue;
		} else {
fresh:
			e.len = minlen + (unsigned)(dc_test_rnd(s) % (width - minlen + 1));
			if (v6)
				e.first = in_hextet(v6_hextet(s), s) & mask_of(128, e.len);
			else
				e.first = dc_test_rnd(s) & mask_of(32, e.len);
		}
		e.last = e.first | (~mask_of(width, e.len) & mask_of(width, width));
		add_entry(d, &e);
	}
}

/* ---- writing the databases -------------------------------------------------------- */

static void
addr_str(int v6, u128 a, char *buf, size_t size)
{
	uint8_t b[16];

	if (!v6) {
		uint32_t x = (uint32_t)a;

		snprintf(buf, size, "%u.%u.%u.%u", x >> 24, x >> 16 & 0xFF, x >> 8 & 0xFF, x & 0xFF);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)a;
		a >>= 8;
	}
	inet_ntop(AF_INET6, b, buf, (socklen_t)size);
}

struct spec_line {
	int v6;
	u128 first;
	unsigned len;
	unsigned seq;
	const struct entry *e;
};

static int
cmp_spec(const void *a, const void *b)
{
	const struct spec_line *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Split [first, last] into CIDR blocks (plain bit-by-bit version). */
static unsigned
split_range(int v6, u128 first, u128 last, struct spec_line *out, unsigned seq, const struct entry *e)
{
	unsigned width = v6 ? 128 : 32, n = 0;

	for (;;) {
		unsigned k = 0;

		/* grow the block while aligned and inside the range */
		while (k < width - 1 && (first & (((u128)1 << (k + 1)) - 1)) == 0 &&
		       first + (((u128)1 << (k + 1)) - 1) <= last)
			k++;
		out[n++] = (struct spec_line){ .v6 = v6, .first = first, .len = width - k, .seq = seq, .e = e };
		if (first + (((u128)1 << k) - 1) == last)
			return n;
		first += (u128)1 << k;
	}
}

/* The spec for geo_mkdb.pl: every prefix, shortest first. */
static void
write_spec(const struct dbgen *d, const char *path, int asn)
{
	struct spec_line *l = malloc(((size_t)d->n * 260 + 1) * sizeof(*l));
	unsigned n = 0;
	FILE *f = fopen(path, "w");

	if (l == NULL || f == NULL)
		exit(1);
	for (unsigned i = 0; i < d->n; i++) {
		const struct entry *e = &d->e[i];

		if (e->len)
			l[n++] = (struct spec_line){ .v6 = e->v6, .first = e->first, .len = e->len, .seq = i, .e = e };
		else
			n += split_range(e->v6, e->first, e->last, l + n, i, e);
	}
	qsort(l, n, sizeof(*l), cmp_spec);
	for (unsigned i = 0; i < n; i++) {
		const struct entry *e = l[i].e;
		char a[64], org[80];

		addr_str(l[i].v6, l[i].first, a, sizeof(a));
		if (asn) {
			org_of(e->val, org, sizeof(org));
			if (e->val)
				fprintf(f, "%s/%u\t%u\t%s\n", a, l[i].len, e->val, org);
			else
				fprintf(f, "%s/%u\t-\tNo number\n", a, l[i].len);
		} else if (e->val == 0) {
			fprintf(f, "%s/%u\t-\n", a, l[i].len);
		} else {
			fprintf(f, "%s/%u\t%s%s\n", a, l[i].len, e->reg_only ? "r:" : "", g_codes[e->val]);
		}
	}
	fclose(f);
	free(l);
}

/* A CSV field, quoted when it needs it (and now and then when not). */
static void
csv_field(FILE *f, const char *s, uint64_t *rs)
{
	if (strpbrk(s, ",\"") == NULL && dc_test_rnd(rs) % 4 != 0) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The same database as CSV ranges, in generation order. */
static void
write_csv(const struct dbgen *d, const char *path, int asn, uint64_t *rs)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		exit(1);
	fprintf(f, "# test_geo %s database\n", asn ? "AS" : "country");
	fputs(asn ? "first,last,asn,org\n" : "ip_range_start,ip_range_end,country_code\r\n", f);
	for (unsigned i = 0; i < d->n; i++) {
		const struct entry *e = &d->e[i];
		char a[64], b[64], org[80];

		addr_str(e->v6, e->first, a, sizeof(a));
		addr_str(e->v6, e->last, b, sizeof(b));
		if (i % 97 == 0)
			fputs("\n# a comment\n", f);
		fprintf(f, "%s,%s,", a, b);
		if (asn) {
			fprintf(f, dc_test_rnd(rs) % 2 ? "AS%u," : "%u,", e->val);
			org_of(e->val, org, sizeof(org));
			csv_field(f, e->val ? org : "", rs);
		} else if (e->val) {
			char c[3] = { g_codes[e->val][0], g_codes[e->val][1], 0 };

			if (dc_test_rnd(rs) % 5 == 0)
				c[0] = (char)(c[0] - 'A' + 'a');
			fputs(c, f);
		}
		fputs(dc_test_rnd(rs) % 8 == 0 ? "\r\n" : "\n", f);
	}
	fclose(f);
}

static int
mkdb(const char *layout, int ip_version, int record_size, const char *spec, const char *out)
{
	char v[8], rs[8];
	char *argv[] = { (char *)g_perl, (char *)g_script, "--layout", (char *)layout, "--ip-version", v,
			 "--record-size", rs, (char *)spec, (char *)out, NULL };

	snprintf(v, sizeof(v), "%d", ip_version);
	snprintf(rs, sizeof(rs), "%d", record_size);
	if (run(argv) != 0) {
		fprintf(stderr, "geo_mkdb.pl --layout %s --ip-version %d %s %s failed\n", layout,
			ip_version, spec, out);
		return -1;
	}
	return 0;
}

/* ---- addresses ---------------------------------------------------------------------- */

/* Mostly inside some entry of @d (of the family), else anywhere. */
static u128
gen_addr(const struct dbgen *d, int v6, uint64_t *s)
{
	unsigned tries = 0;

	if (dc_test_rnd(s) % 100 < 85 && d->n > 0) {
		for (;;) {
			const struct entry *e = &d->e[dc_test_rnd(s) % d->n];
			u128 span;

			if (e->v6 != v6) {
				if (++tries < 64)
					continue;
				break;
			}
			span = e->last - e->first;
			if (span == ~(u128)0)
				return rnd128(s);
			return e->first + rnd128(s) % (span + 1);
		}
	}
	if (!v6)
		return dc_test_rnd(s) & 0xFFFFFFFFu;
	return in_hextet(v6_hextet(s), s);
}

struct addrs {
	uint32_t *v4;          /* host order */
	uint8_t (*v6)[16];
	unsigned n4, n6;
};

static void
to_bytes(u128 a, uint8_t b[16])
{
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)a;
		a >>= 8;
	}
}

/* Addresses from two databases' entries (the country's and the AS's). */
static void
gen_addrs(struct addrs *a, const struct dbgen *d1, const struct dbgen *d2, unsigned n4,
	  unsigned n6, uint64_t *s)
{
	a->n4 = n4;
	a->n6 = n6;
	a->v4 = malloc(n4 * sizeof(*a->v4) + 1);
	a->v6 = malloc(n6 * sizeof(*a->v6) + 1);
	if (a->v4 == NULL || a->v6 == NULL)
		exit(1);
	for (unsigned i = 0; i < n4; i++)
		a->v4[i] = (uint32_t)gen_addr(i & 1 ? d2 : d1, 0, s);
	for (unsigned i = 0; i < n6; i++)
		to_bytes(gen_addr(i & 1 ? d2 : d1, 1, s), a->v6[i]);
}

/* IPv6 forms of (mostly known) IPv4 addresses: ::a.b.c.d, ::ffff:a.b.c.d,
 * 6to4 2002:ab:cd::, Teredo 2001:0:ab:cd:: (server address). */
static void
gen_alias_addrs(struct addrs *a, const struct dbgen *d1, const struct dbgen *d2, unsigned n,
		uint64_t *s)
{
	a->n4 = 0;
	a->n6 = n;
	a->v4 = malloc(1);
	a->v6 = malloc(n * sizeof(*a->v6));
	if (a->v4 == NULL || a->v6 == NULL)
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		uint32_t v4 = (uint32_t)gen_addr(i & 1 ? d2 : d1, 0, s);
		u128 x;

		switch (dc_test_rnd(s) % 4) {
		case 0:
			x = v4;
			break;
		case 1:
			x = (u128)0xFFFF << 32 | v4;
			break;
		case 2:
			x = (u128)0x2002 << 112 | (u128)v4 << 80 | (rnd128(s) & (((u128)1 << 80) - 1));
			break;
		default:
			x = (u128)0x2001 << 112 | (u128)v4 << 64 | dc_test_rnd(s);
			break;
		}
		to_bytes(x, a->v6[i]);
	}
}

static void
free_addrs(struct addrs *a)
{
	free(a->v4);
	free(a->v6);
}

/* ---- libmaxminddb as the reference --------------------------------------------------- */

static MMDB_s *
ref_open(const char *path)
{
	MMDB_s *m;
	int st;

	if (path == NULL)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		exit(1);
	st = MMDB_open(path, MMDB_MODE_MMAP, m);
	if (st != MMDB_SUCCESS) {
		fprintf(stderr, "%s: %s\n", path, MMDB_strerror(st));
		exit(1);
	}
	return m;
}

static void
ref_close(MMDB_s *m)
{
	if (m) {
		MMDB_close(m);
		free(m);
	}
}

/* Country key ('A' << 8 | 'B', 0 unknown) or ASN of an address. */
static uint32_t
ref_lookup(MMDB_s *m, int asn, const struct sockaddr *sa)
{
	static const char *const paths[4][3] = {
		{ "country", "iso_code", NULL },
		{ "registered_country", "iso_code", NULL },
		{ "country_code", NULL, NULL },
		{ "autonomous_system_number", NULL, NULL },
	};
	MMDB_lookup_result_s r;
	MMDB_entry_data_s ed;
	int err = 0;

	if (m == NULL)
		return 0;
	r = MMDB_lookup_sockaddr(m, sa, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return 0;
	if (asn) {
		if (MMDB_aget_value(&r.entry, &ed, paths[3]) != MMDB_SUCCESS || !ed.has_data)
			return 0;
		return ed.uint32;
	}
	for (int p = 0; p < 3; p++) {
		if (MMDB_aget_value(&r.entry, &ed, paths[p]) != MMDB_SUCCESS || !ed.has_data)
			continue;
		if (ed.data_size != 2)
			return 0xFFFFFFFF;
		return (uint32_t)(ed.utf8_string[0] & ~0x20) << 8 | (uint32_t)(ed.utf8_string[1] & ~0x20);
	}
	return 0;
}

static uint32_t
geo_country_key(const struct dc_geo *g, uint16_t idx)
{
	const char *c = dc_geo_country_code(g, idx);

	return c ? (uint32_t)c[0] << 8 | (uint32_t)c[1] : 0;
}

struct answers {
	uint16_t *c4, *c6;
	uint32_t *a4, *a6;
};

static void
answers_alloc(struct answers *r, const struct addrs *a)
{
	r->c4 = malloc(a->n4 * sizeof(uint16_t) + 1);
	r->a4 = malloc(a->n4 * sizeof(uint32_t) + 1);
	r->c6 = malloc(a->n6 * sizeof(uint16_t) + 1);
	r->a6 = malloc(a->n6 * sizeof(uint32_t) + 1);
	if (!r->c4 || !r->a4 || !r->c6 || !r->a6)
		exit(1);
}

static void
answers_free(struct answers *r)
{
	free(r->c4);
	free(r->a4);
	free(r->c6);
	free(r->a6);
}

/* dc_geo over all addresses, in bursts of various sizes. */
static void
geo_answers(const struct dc_geo *g, const struct addrs *a, struct answers *r)
{
	static const unsigned bursts[] = { 512, 1, 32, 7, 700 };
	unsigned b = 0;

	for (unsigned i = 0; i < a->n4;) {
		unsigned m = bursts[b++ % NELEM(bursts)];

		if (m > a->n4 - i)
			m = a->n4 - i;
		dc_geo_lookup4(g, a->v4 + i, m, r->c4 + i, r->a4 + i);
		i += m;
	}
	for (unsigned i = 0; i < a->n6;) {
		unsigned m = bursts[b++ % NELEM(bursts)];

		if (m > a->n6 - i)
			m = a->n6 - i;
		dc_geo_lookup6(g, (const uint8_t (*)[16])a->v6 + i, m, r->c6 + i, r->a6 + i);
		i += m;
	}
}

/* Translate answers to keys / ASNs, to compare two builds. */
static uint32_t
key_c(const struct dc_geo *g, uint16_t idx)
{
	return geo_country_key(g, idx);
}

static int g_mismatch_shown;

static void
mismatch(const char *what, int v6, const void *addr, uint32_t got, uint32_t want)
{
	char buf[64];

	if (g_mismatch_shown++ >= 10)
		return;
	if (v6) {
		inet_ntop(AF_INET6, addr, buf, sizeof(buf));
	} else {
		uint32_t x = *(const uint32_t *)addr;

		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", x >> 24, x >> 16 & 0xFF, x >> 8 & 0xFF, x & 0xFF);
	}
	fprintf(stderr, "  %s %s: dc_geo %#x, expected %#x\n", what, buf, got, want);
}

/*
 * Compare dc_geo's answers with libmaxminddb's on the files.
 */
static void
check_against_mmdb(const char *label, const struct dc_geo *g, const char *cpath,
		   const char *apath, const struct addrs *a, struct answers *r, double min_known)
{
	MMDB_s *mc = ref_open(cpath), *ma = ref_open(apath);
	unsigned bad_c = 0, bad_a = 0, known = 0;

	geo_answers(g, a, r);
	for (unsigned i = 0; i < a->n4; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(a->v4[i]) };
		uint32_t c = ref_lookup(mc, 0, (struct sockaddr *)&sin);
		uint32_t s = ref_lookup(ma, 1, (struct sockaddr *)&sin);

		known += c != 0;
		if (key_c(g, r->c4[i]) != c) {
			bad_c++;
			mismatch("country", 0, &a->v4[i], key_c(g, r->c4[i]), c);
		}
		if (dc_geo_asn(g, r->a4[i]) != s) {
			bad_a++;
			mismatch("asn", 0, &a->v4[i], dc_geo_asn(g, r->a4[i]), s);
		}
	}
	for (unsigned i = 0; i < a->n6; i++) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
		uint32_t c, s;

		memcpy(&sin6.sin6_addr, a->v6[i], 16);
		c = ref_lookup(mc, 0, (struct sockaddr *)&sin6);
		s = ref_lookup(ma, 1, (struct sockaddr *)&sin6);
		known += c != 0;
		if (key_c(g, r->c6[i]) != c) {
			bad_c++;
			mismatch("country", 1, a->v6[i], key_c(g, r->c6[i]), c);
		}
		if (dc_geo_asn(g, r->a6[i]) != s) {
			bad_a++;
			mismatch("asn", 1, a->v6[i], dc_geo_asn(g, r->a6[i]), s);
		}
	}
	CHECK_EQ(bad_c, 0);
	CHECK_EQ(bad_a, 0);
	/* the addresses did hit the databases */
	CHECK(known >= min_known * (a->n4 + a->n6));
	printf("  %s: %u IPv4 + %u IPv6 addresses (%u with a country) = libmaxminddb\n", label, a->n4,
	       a->n6, known);
	ref_close(mc);
	ref_close(ma);
}

/* Replace indexes by values: country keys and ASNs (to outlive @g). */
static void
answers_to_values(const struct dc_geo *g, const struct addrs *a, struct answers *r)
{
	for (unsigned i = 0; i < a->n4; i++) {
		r->c4[i] = (uint16_t)geo_country_key(g, r->c4[i]);
		r->a4[i] = dc_geo_asn(g, r->a4[i]);
	}
	for (unsigned i = 0; i < a->n6; i++) {
		r->c6[i] = (uint16_t)geo_country_key(g, r->c6[i]);
		r->a6[i] = dc_geo_asn(g, r->a6[i]);
	}
}

/* @g answers @ref (values, from answers_to_values()) on every address. */
static void
check_same(const char *label, const struct dc_geo *g, const struct answers *ref,
	   const struct addrs *a)
{
	struct answers r;
	unsigned bad = 0;

	answers_alloc(&r, a);
	geo_answers(g, a, &r);
	answers_to_values(g, a, &r);
	for (unsigned i = 0; i < a->n4; i++) {
		if (r.c4[i] != ref->c4[i]) {
			bad++;
			mismatch("csv country", 0, &a->v4[i], r.c4[i], ref->c4[i]);
		}
		if (r.a4[i] != ref->a4[i]) {
			bad++;
			mismatch("csv asn", 0, &a->v4[i], r.a4[i], ref->a4[i]);
		}
	}
	for (unsigned i = 0; i < a->n6; i++) {
		if (r.c6[i] != ref->c6[i]) {
			bad++;
			mismatch("csv country", 1, a->v6[i], r.c6[i], ref->c6[i]);
		}
		if (r.a6[i] != ref->a6[i]) {
			bad++;
			mismatch("csv asn", 1, a->v6[i], r.a6[i], ref->a6[i]);
		}
	}
	CHECK_EQ(bad, 0);
	printf("  %s: CSV build = MMDB build on %u addresses\n", label, a->n4 + a->n6);
	answers_free(&r);
}

/*
 * Rough lookup speed, country database only: dc_geo in bursts of 512 against
 * MMDB_lookup_sockaddr() alone (no decoding), same addresses.
 */
static void
bench_country(const struct dc_geo *g, const char *cpath, const struct addrs *a)
{
	MMDB_s *m = ref_open(cpath);
	uint16_t out[DC_GEO_BURST];
	volatile uint32_t sink = 0;
	double t, g4, g6, m4, m6;
	int err;

	t = now();
	for (unsigned i = 0; i < a->n4; i += DC_GEO_BURST) {
		unsigned n = a->n4 - i < DC_GEO_BURST ? a->n4 - i : DC_GEO_BURST;

		dc_geo_lookup4(g, a->v4 + i, n, out, NULL);
		sink += out[0];
	}
	g4 = now() - t;
	t = now();
	for (unsigned i = 0; i < a->n6; i += DC_GEO_BURST) {
		unsigned n = a->n6 - i < DC_GEO_BURST ? a->n6 - i : DC_GEO_BURST;

		dc_geo_lookup6(g, (const uint8_t (*)[16])a->v6 + i, n, out, NULL);
		sink += out[0];
	}
	g6 = now() - t;
	t = now();
	for (unsigned i = 0; i < a->n4; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(a->v4[i]) };

		sink += MMDB_lookup_sockaddr(m, (struct sockaddr *)&sin, &err).entry.offset;
	}
	m4 = now() - t;
	t = now();
	for (unsigned i = 0; i < a->n6; i++) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		memcpy(&sin6.sin6_addr, a->v6[i], 16);
		sink += MMDB_lookup_sockaddr(m, (struct sockaddr *)&sin6, &err).entry.offset;
	}
	m6 = now() - t;
	printf("  speed, country only: IPv4 dc_geo %.1f ns/address, MMDB_lookup_sockaddr %.1f ns/address; "
	       "IPv6 dc_geo %.1f, MMDB_lookup_sockaddr %.1f\n",
	       g4 * 1e9 / a->n4, m4 * 1e9 / a->n4, g6 * 1e9 / a->n6, m6 * 1e9 / a->n6);
	ref_close(m);
}

/* Codes sorted and from the generated pool; ASNs sorted with their orgs. */
static void
check_tables(const struct dc_geo *g, int has_country, int has_asn)
{
	uint16_t nc = dc_geo_country_count(g);
	uint32_t na = dc_geo_asn_count(g);

	CHECK(dc_geo_country_code(g, 0) == NULL);
	CHECK(dc_geo_country_code(g, nc) == NULL);
	CHECK(dc_geo_asn_org(g, 0) == NULL);
	CHECK(dc_geo_asn_org(g, na) == NULL);
	CHECK_EQ(dc_geo_asn(g, 0), 0);
	CHECK_EQ(dc_geo_asn(g, na), 0);
	CHECK(has_country ? nc > 1 : nc == 1);
	CHECK(has_asn ? na > 1 : na == 1);
	for (uint16_t i = 1; i < nc; i++) {
		const char *c = dc_geo_country_code(g, i);
		int in_pool = 0;

		CHECK(c != NULL && strlen(c) == 2);
		if (i > 1)
			CHECK(strcmp(dc_geo_country_code(g, i - 1), c) < 0);
		for (unsigned j = 1; j <= N_CODES; j++)
			in_pool |= strcmp(g_codes[j], c) == 0;
		CHECK(in_pool);
		CHECK_EQ(dc_geo_country_index(g, c), i);
	}
	for (uint32_t i = 1; i < na; i++) {
		char org[80];
		const char *o = dc_geo_asn_org(g, i);

		if (i > 1)
			CHECK(dc_geo_asn(g, i - 1) < dc_geo_asn(g, i));
		CHECK_EQ(dc_geo_asn_index(g, dc_geo_asn(g, i)), i);
		org_of(dc_geo_asn(g, i), org, sizeof(org));
		CHECK(o != NULL && strcmp(o, org) == 0);
	}
	CHECK_EQ(dc_geo_asn_index(g, 0), 0);
	CHECK_EQ(dc_geo_country_index(g, "??"), 0);
}

static void
print_info(const char *label, const struct dc_geo *g)
{
	struct dc_geo_info in;
	const struct dc_geo_db_info *d[2];

	dc_geo_info(g, &in);
	d[0] = &in.country;
	d[1] = &in.asn;
	printf("  %s: %u countries, %u ASNs, LPMs %.1f MiB, built in %.3f s\n", label, in.countries,
	       in.asns, (double)(in.country.lpm_bytes + in.asn.lpm_bytes) / 1048576.0,
	       in.build_seconds);
	for (int k = 0; k < 2; k++)
		printf("    %s: %s ip_version %u, %u records, prefixes %u + %u -> rules %u + %u, %u IPv4 aliases\n",
		       k ? "AS" : "country", d[k]->is_mmdb ? "mmdb" : "csv", d[k]->ip_version,
		       d[k]->records, d[k]->prefixes4, d[k]->prefixes6, d[k]->rules4, d[k]->rules6,
		       d[k]->v4_aliases);
}

/* ---- the test cases ---------------------------------------------------------------------- */

static struct dbgen g_c4, g_a4, g_c6, g_a6; /* country / AS, IPv4-only / dual */
static const char *g_c4_mmdb, *g_a4_mmdb, *g_c6_mmdb, *g_a6_mmdb;
static const char *g_c4_csv, *g_a4_csv, *g_c6_csv, *g_a6_csv;
static int g_have_dbs;

static void
make_databases(void)
{
	uint64_t s = 20221110;

	init_values(&s);
	gen_family(&g_c4, &s, 0, 4000, 0, 1);
	gen_family(&g_a4, &s, 0, 4000, 1, 0);
	gen_family(&g_c6, &s, 0, 3000, 0, 0);
	gen_family(&g_c6, &s, 1, 3000, 0, 0);
	gen_family(&g_a6, &s, 0, 3000, 1, 0);
	gen_family(&g_a6, &s, 1, 3000, 1, 0);

	write_spec(&g_c4, tmp_path("c4.spec"), 0);
	write_spec(&g_a4, tmp_path("a4.spec"), 1);
	write_spec(&g_c6, tmp_path("c6.spec"), 0);
	write_spec(&g_a6, tmp_path("a6.spec"), 1);
	g_c4_mmdb = tmp_path("c4.mmdb");
	g_a4_mmdb = tmp_path("a4.mmdb");
	g_c6_mmdb = tmp_path("c6.mmdb");
	g_a6_mmdb = tmp_path("a6.mmdb");
	if (mkdb("iso", 4, 24, g_files[0], g_c4_mmdb) < 0 || mkdb("asn", 4, 28, g_files[1], g_a4_mmdb) < 0 ||
	    mkdb("flat", 6, 28, g_files[2], g_c6_mmdb) < 0 || mkdb("asn", 6, 32, g_files[3], g_a6_mmdb) < 0) {
		CHECK(0);
		return;
	}
	g_c4_csv = tmp_path("c4.csv");
	g_a4_csv = tmp_path("a4.csv");
	g_c6_csv = tmp_path("c6.csv");
	g_a6_csv = tmp_path("a6.csv");
	write_csv(&g_c4, g_c4_csv, 0, &s);
	write_csv(&g_a4, g_a4_csv, 1, &s);
	write_csv(&g_c6, g_c6_csv, 0, &s);
	write_csv(&g_a6, g_a6_csv, 1, &s);
	g_have_dbs = 1;
}

/* ip_version 4 files, GeoLite2-Country layout + ASN. */
static void
test_ipv4_databases(void)
{
	uint64_t s = 4;
	struct addrs a;
	struct answers r;
	struct dc_geo *g, *gc;
	struct dc_geo_info in;

	if (!g_have_dbs)
		return;
	gen_addrs(&a, &g_c4, &g_a4, N_LOOKUP, 1000, &s);
	answers_alloc(&r, &a);
	g = dc_geo_load(g_c4_mmdb, g_a4_mmdb, -1);
	CHECK(g != NULL);
	if (g == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		goto out;
	}
	print_info("ipv4 mmdb", g);
	dc_geo_info(g, &in);
	CHECK_EQ(in.country.ip_version, 4);
	CHECK_EQ(in.country.prefixes6, 0);
	CHECK_EQ(in.country.v4_aliases, 0);
	check_tables(g, 1, 1);
	/* IPv6 in an IPv4-only file: libmaxminddb errors, dc_geo says unknown */
	check_against_mmdb("ipv4 mmdb", g, g_c4_mmdb, g_a4_mmdb, &a, &r, 0.5);
	answers_to_values(g, &a, &r);
	dc_geo_free(g);
	gc = dc_geo_load(g_c4_csv, g_a4_csv, -1);
	CHECK(gc != NULL);
	if (gc == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
	} else {
		print_info("ipv4 csv", gc);
		check_tables(gc, 1, 1);
		check_same("ipv4 csv", gc, &r, &a);
		dc_geo_free(gc);
	}
out:
	answers_free(&r);
	free_addrs(&a);
}

/* ip_version 6 files with IPv4 aliases, country_code layout + ASN. */
static void
test_ipv6_databases(void)
{
	uint64_t s = 6;
	struct addrs a, al;
	struct answers r, ral;
	struct dc_geo *g, *gc;
	struct dc_geo_info in;

	if (!g_have_dbs)
		return;
	gen_addrs(&a, &g_c6, &g_a6, N_LOOKUP, N_LOOKUP, &s);
	gen_alias_addrs(&al, &g_c6, &g_a6, N_ALIAS, &s);
	answers_alloc(&r, &a);
	answers_alloc(&ral, &al);
	g = dc_geo_load(g_c6_mmdb, g_a6_mmdb, -1);
	CHECK(g != NULL);
	if (g == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		goto out;
	}
	print_info("ipv6 mmdb", g);
	dc_geo_info(g, &in);
	CHECK_EQ(in.country.ip_version, 6);
	CHECK_EQ(in.asn.ip_version, 6);
	/* ::/96, ::ffff:0:0/96, 2001::/32, 2002::/16 */
	CHECK_EQ(in.country.v4_aliases, 4);
	CHECK_EQ(in.asn.v4_aliases, 4);
	CHECK(in.country.prefixes4 > 0 && in.country.prefixes6 > 0);
	check_tables(g, 1, 1);
	check_against_mmdb("ipv6 mmdb", g, g_c6_mmdb, g_a6_mmdb, &a, &r, 0.5);
	check_against_mmdb("ipv6 mmdb, IPv4 in IPv6", g, g_c6_mmdb, g_a6_mmdb, &al, &ral, 0.5);
	bench_country(g, g_c6_mmdb, &a);
	answers_to_values(g, &a, &r);
	dc_geo_free(g);
	gc = dc_geo_load(g_c6_csv, g_a6_csv, -1);
	CHECK(gc != NULL);
	if (gc == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
	} else {
		print_info("ipv6 csv", gc);
		check_tables(gc, 1, 1);
		check_same("ipv6 csv", gc, &r, &a);
		dc_geo_free(gc);
	}
out:
	answers_free(&r);
	answers_free(&ral);
	free_addrs(&a);
	free_addrs(&al);
}

/* One database of each IP version together, and each kind alone. */
static void
test_mixed(void)
{
	uint64_t s = 46;
	struct addrs a, al;
	struct answers r, ral;
	struct dc_geo *g;

	if (!g_have_dbs)
		return;
	gen_addrs(&a, &g_c4, &g_a6, 100000, 100000, &s);
	gen_alias_addrs(&al, &g_c6, &g_a6, 20000, &s);
	answers_alloc(&r, &a);
	answers_alloc(&ral, &al);

	g = dc_geo_load(g_c4_mmdb, g_a6_mmdb, -1);
	CHECK(g != NULL);
	if (g) {
		check_against_mmdb("v4 country + v6 AS", g, g_c4_mmdb, g_a6_mmdb, &a, &r, 0.25);
		check_against_mmdb("v4 country + v6 AS, IPv4 in IPv6", g, g_c4_mmdb, g_a6_mmdb, &al, &ral, 0);
		dc_geo_free(g);
	}
	g = dc_geo_load(NULL, g_a6_mmdb, -1);
	CHECK(g != NULL);
	if (g) {
		check_tables(g, 0, 1);
		check_against_mmdb("AS only", g, NULL, g_a6_mmdb, &a, &r, 0);
		dc_geo_free(g);
	}
	g = dc_geo_load(g_c6_mmdb, NULL, -1);
	CHECK(g != NULL);
	if (g) {
		check_tables(g, 1, 0);
		check_against_mmdb("country only", g, g_c6_mmdb, NULL, &al, &ral, 0.5);
		/* NULL outputs skip a kind */
		dc_geo_lookup4(g, a.v4, 100, NULL, NULL);
		dc_geo_lookup6(g, (const uint8_t (*)[16])a.v6, 100, r.c6, NULL);
		dc_geo_free(g);
	}
	answers_free(&r);
	answers_free(&ral);
	free_addrs(&a);
	free_addrs(&al);
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

static uint32_t
v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}

static uint32_t
asn4(const struct dc_geo *g, const char *ip)
{
	uint32_t a = v4(ip), idx;

	dc_geo_lookup4(g, &a, 1, NULL, &idx);
	return dc_geo_asn(g, idx);
}

static uint32_t
asn6(const struct dc_geo *g, const char *ip)
{
	uint8_t a[1][16];
	uint32_t idx;

	if (inet_pton(AF_INET6, ip, a[0]) != 1)
		abort();
	dc_geo_lookup6(g, (const uint8_t (*)[16])a, 1, NULL, &idx);
	return dc_geo_asn(g, idx);
}

static const char *
country4(const struct dc_geo *g, const char *ip)
{
	uint32_t a = v4(ip);
	uint16_t idx;

	dc_geo_lookup4(g, &a, 1, &idx, NULL);
	return dc_geo_country_code(g, idx);
}

/* CSV rules by hand: header, comments, quoting, AS prefix, whole-space
 * ranges, non-CIDR ranges, later-equal-wins, empty code = unknown. */
static void
test_csv_rules(void)
{
	static const char asn_csv[] =
		"# an AS database\n"
		"first,last,asn,org\n"
		"\n"
		"0.0.0.0,255.255.255.255,1,\"Everything, \"\"Inc\"\"\"\n"
		"  10.0.0.0 , 10.0.0.255 ,AS64500,Ten\n"
		"10.0.0.5,10.0.0.5,as64501,\r\n"
		"10.0.1.3,10.0.2.200,64502,Range\n"
		"::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,2,All six\n"
		"2400::,2400::ffff,3\n"
		"10.0.0.0,10.0.0.255,64503,\"Later\"\n"
		"10.9.0.0,10.9.0.255,AS0,none\n";
	static const char country_csv[] =
		"1.0.0.0,1.255.255.255,us\n"
		"1.2.0.0,1.2.255.255,\n"
		"1.2.3.0,1.2.3.0,FR\n";
	const char *ap = tmp_path("rules_asn.csv"), *cp = tmp_path("rules_country.csv");
	struct dc_geo *g, *g2;

	write_file(ap, asn_csv, sizeof(asn_csv) - 1);
	write_file(cp, country_csv, sizeof(country_csv) - 1);
	g = dc_geo_load(cp, ap, -1);
	CHECK(g != NULL);
	if (g == NULL) {
		fprintf(stderr, "  %s\n", dc_strerror());
		return;
	}
	CHECK_EQ(asn4(g, "8.8.8.8"), 1);
	CHECK_EQ(asn4(g, "0.0.0.0"), 1);
	CHECK_EQ(asn4(g, "255.255.255.255"), 1);
	CHECK_EQ(asn4(g, "10.0.0.4"), 64503);
	CHECK_EQ(asn4(g, "10.0.0.5"), 64501);
	CHECK_EQ(asn4(g, "10.0.1.2"), 1);
	CHECK_EQ(asn4(g, "10.0.1.3"), 64502);
	CHECK_EQ(asn4(g, "10.0.2.200"), 64502);
	CHECK_EQ(asn4(g, "10.0.2.201"), 1);
	CHECK_EQ(asn4(g, "10.9.0.1"), 0);
	CHECK_EQ(asn6(g, "::1"), 2);
	CHECK_EQ(asn6(g, "ffff::1"), 2);
	CHECK_EQ(asn6(g, "2400::1"), 3);
	CHECK_EQ(asn6(g, "2400::1:0"), 2);
	/* no IPv4 aliasing for CSV: an IPv4-mapped address is plain IPv6 */
	CHECK_EQ(asn6(g, "::ffff:10.0.0.5"), 2);
	CHECK(streq(dc_geo_asn_org(g, dc_geo_asn_index(g, 1)), "Everything, \"Inc\""));
	CHECK(streq(dc_geo_asn_org(g, dc_geo_asn_index(g, 64501)), ""));
	CHECK(streq(dc_geo_asn_org(g, dc_geo_asn_index(g, 2)), "All six"));
	CHECK(streq(dc_geo_asn_org(g, dc_geo_asn_index(g, 3)), ""));
	CHECK(streq(dc_geo_asn_org(g, dc_geo_asn_index(g, 64503)), "Later"));
	/* 64500 was overwritten everywhere: no address answers it, not in the table */
	CHECK_EQ(dc_geo_asn_index(g, 64500), 0);
	CHECK_EQ(dc_geo_asn_count(g), 7); /* 0, 1, 2, 3, 64501..64503 */
	CHECK(streq(country4(g, "1.1.1.1"), "US"));
	CHECK(country4(g, "1.2.2.2") == NULL);
	CHECK(streq(country4(g, "1.2.3.0"), "FR"));
	CHECK(country4(g, "1.2.3.1") == NULL);
	CHECK(country4(g, "2.0.0.0") == NULL);
	CHECK_EQ(dc_geo_country_count(g), 3);
	CHECK_EQ(dc_geo_country_index(g, "fr"), 1);
	CHECK_EQ(dc_geo_country_index(g, "US"), 2);

	/* a second instance next to the first: its LPMs have their own names */
	g2 = dc_geo_load(cp, NULL, -1);
	CHECK(g2 != NULL);
	if (g2) {
		CHECK(streq(country4(g2, "1.1.1.1"), "US"));
		CHECK_EQ(asn4(g2, "8.8.8.8"), 0);
		dc_geo_free(g2);
	}
	CHECK(streq(country4(g, "1.1.1.1"), "US"));
	dc_geo_free(g);
	dc_geo_free(NULL);
}

/* dc_geo_load(...) fails with errno @err and a message containing @want. */
static void
expect_fail(const char *cpath, const char *apath, int err, const char *want)
{
	struct dc_geo *g;

	errno = 0;
	g = dc_geo_load(cpath, apath, -1);
	CHECK(g == NULL);
	if (g != NULL) {
		fprintf(stderr, "  expected a failure (%s)\n", want);
		dc_geo_free(g);
		return;
	}
	if (err)
		CHECK_EQ(errno, err);
	CHECK(strstr(dc_strerror(), want) != NULL);
	CHECK(strchr(dc_strerror(), '\n') == NULL);
	if (strstr(dc_strerror(), want) == NULL)
		fprintf(stderr, "  message \"%s\", expected \"%s\"\n", dc_strerror(), want);
}

static void
test_errors(void)
{
	static const struct {
		int asn;
		const char *line;
		const char *want;
	} bad[] = {
		{ 0, "1.2.3.4,1.2.3.300,US", ":3: bad last address \"1.2.3.300\"" },
		{ 0, "1.2.3.4,::1,US", ":3: first and last address are of different IP versions" },
		{ 0, "1.2.3.9,1.2.3.4,US", ":3: first address after last address" },
		{ 0, "1.2.3.4,1.2.3.5,USA", ":3: country code \"USA\" is not two letters" },
		{ 0, "1.2.3.4,1.2.3.5,U1", ":3: country code \"U1\" is not two letters" },
		{ 0, "1.2.3.4,1.2.3.5", ":3: 2 fields, expected 3" },
		{ 0, "1.2.3.4,1.2.3.5,US,x", ":3: 4 fields, expected 3" },
		{ 0, "foo,1.2.3.4,US", ":3: bad first address \"foo\"" },
		{ 1, "1.2.3.4,1.2.3.5,ASx,foo", ":3: bad AS number \"ASx\"" },
		{ 1, "1.2.3.4,1.2.3.5,99999999999,foo", ":3: bad AS number" },
		{ 1, "1.2.3.4,1.2.3.5,,foo", ":3: bad AS number \"\"" },
		{ 1, "1.2.3.4,1.2.3.5,1,\"unterminated", ":3: unterminated quote" },
		{ 1, "1.2.3.4,1.2.3.5,1,\"a\"b", ":3: text after a closing quote" },
		{ 1, "1.2.3.4,1.2.3.5,1,a,b", ":3: too many fields" },
		{ 1, "1.2.3.4,1.2.3.5,1,a\"b", ":3: quote inside an unquoted field" },
	};
	const char *p = tmp_path("bad.csv");
	char buf[256], path_msg[160];

	expect_fail(NULL, NULL, EINVAL, "no country or AS database given");
	expect_fail("/nonexistent/geo/country.mmdb", NULL, ENOENT,
		    "/nonexistent/geo/country.mmdb: No such file or directory");
	expect_fail(NULL, "/nonexistent/geo/asn.csv", ENOENT, "/nonexistent/geo/asn.csv: No such file");
	expect_fail(g_dir, NULL, EISDIR, "is a directory");

	for (unsigned i = 0; i < NELEM(bad); i++) {
		snprintf(buf, sizeof(buf), "first,last,value\n%s\n%s\n1.0.0.0,1.0.0.255,%s\n",
			 bad[i].asn ? "2.0.0.0,2.0.0.255,5" : "2.0.0.0,2.0.0.255,DE", bad[i].line,
			 bad[i].asn ? "6" : "FR");
		write_file(p, buf, strlen(buf));
		snprintf(path_msg, sizeof(path_msg), "%s%s", p, bad[i].want);
		if (bad[i].asn)
			expect_fail(NULL, p, EINVAL, path_msg);
		else
			expect_fail(p, NULL, EINVAL, path_msg);
	}
	/* empty files */
	write_file(p, "", 0);
	expect_fail(p, NULL, EINVAL, "empty database");
	write_file(p, "# nothing\nfirst,last,country\n\n", 30);
	expect_fail(p, NULL, EINVAL, "empty database");
	write_file(p, "1.0.0.0,1.0.0.255,\n", 19);
	expect_fail(p, NULL, EINVAL, "empty database");
	/* binary garbage without the MMDB marker */
	write_file(p, "\x01\x02\x00\x03garbage", 11);
	expect_fail(p, NULL, EINVAL, "neither a MaxMind DB");
	/* a good country file with a bad AS file: nothing leaks, NULL */
	write_file(p, "1.0.0.0,1.0.0.255,XX\n", 21);
	expect_fail(p, p, EINVAL, ":1: bad AS number \"XX\"");

	if (!g_have_dbs)
		return;
	/* databases of the other kind */
	snprintf(path_msg, sizeof(path_msg),
		 "%s: not a country database: records have neither country.iso_code nor country_code",
		 g_a6_mmdb);
	expect_fail(g_a6_mmdb, NULL, EINVAL, path_msg);
	snprintf(path_msg, sizeof(path_msg), "%s: not an AS database: records have no autonomous_system_number",
		 g_c4_mmdb);
	expect_fail(NULL, g_c4_mmdb, EINVAL, path_msg);
	expect_fail(g_c6_mmdb, g_c6_mmdb, EINVAL, "not an AS database");
	expect_fail(NULL, g_c6_csv, EINVAL, "bad AS number");

	/* broken MMDB files */
	{
		size_t len;
		uint8_t *db = read_whole(g_c6_mmdb, &len);
		const char *q = tmp_path("broken.mmdb");
		MMDB_s m;
		size_t tree;
		uint64_t s = 99;
		unsigned failed = 0;

		/* truncated: the metadata is gone */
		write_file(q, db, len / 2);
		expect_fail(q, NULL, EINVAL, "neither a MaxMind DB (no metadata marker)");
		/* the metadata marker with garbage after it */
		memcpy(buf, "garbage", 7);
		memcpy(buf + 7, "\xab\xcd\xefMaxMind.com", 14);
		memcpy(buf + 21, "\x01\x02\x03", 3);
		write_file(q, buf, 24);
		snprintf(path_msg, sizeof(path_msg), "%s: ", q);
		expect_fail(q, NULL, EINVAL, path_msg);
		CHECK(strstr(dc_strerror(), "MaxMind DB") != NULL || strstr(dc_strerror(), "metadata") != NULL ||
		      strstr(dc_strerror(), "data") != NULL);
		/* a search tree of all ones */
		if (MMDB_open(g_c6_mmdb, MMDB_MODE_MMAP, &m) != MMDB_SUCCESS) {
			CHECK(0);
			free(db);
			return;
		}
		tree = (size_t)m.metadata.node_count * m.full_record_byte_size;
		MMDB_close(&m);
		{
			uint8_t *c = malloc(len);

			memcpy(c, db, len);
			memset(c, 0xFF, tree);
			write_file(q, c, len);
			expect_fail(q, NULL, EINVAL, "corrupt search tree");
			/* nodes pointing back at the root: a loop, not a tree */
			memcpy(c, db, len);
			memset(c, 0, tree);
			write_file(q, c, len);
			expect_fail(q, NULL, EINVAL, "corrupt search tree");
			/* random damage anywhere: a database or a message, never a crash */
			for (unsigned it = 0; it < 40; it++) {
				struct dc_geo *g;

				memcpy(c, db, len);
				for (unsigned k = 0; k < 1 + it % 8; k++) {
					size_t at = it % 2 ? dc_test_rnd(&s) % tree : tree + dc_test_rnd(&s) % (len - tree);

					c[at] = (uint8_t)dc_test_rnd(&s);
				}
				write_file(q, c, len);
				g = dc_geo_load(q, NULL, -1);
				if (g == NULL) {
					failed++;
					CHECK(strlen(dc_strerror()) > 0 && strchr(dc_strerror(), '\n') == NULL);
				}
				dc_geo_free(g);
			}
			printf("  random damage: %u of 40 damaged files refused\n", failed);
			free(c);
		}
		free(db);
	}
}

static void
remove_files(void)
{
	for (unsigned i = 0; i < g_nfiles; i++)
		unlink(g_files[i]);
	rmdir(g_dir);
}

int
main(int argc, char **argv)
{
	static const struct dc_test_case tc[] = {
		{ "ipv4 databases: mmdb = libmaxminddb, csv = mmdb", test_ipv4_databases },
		{ "ipv6 databases with IPv4 aliases: mmdb = libmaxminddb, csv = mmdb", test_ipv6_databases },
		{ "mixed versions, one kind alone", test_mixed },
		{ "csv rules", test_csv_rules },
		{ "errors", test_errors },
	};
	char prefix[64];
	char *eal[] = { "test_geo", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix",
			prefix, "--log-level", "lib.eal:warning", "-l", "0" };
	char *probe[] = { "perl", "-MMaxMind::DB::Writer::Tree", "-e", "1", NULL };
	int rc;

	/* test_geo [geo_mkdb.pl [perl]] */
	g_script = argc > 1 ? argv[1] : DC_SRCDIR "/tests/unit/geo_mkdb.pl";
	if (argc > 2)
		g_perl = probe[0] = argv[2];
	if (access(g_script, R_OK) != 0) {
		fprintf(stderr, "test_geo: %s: %s\n", g_script, strerror(errno));
		return 1;
	}
	if (run(probe) != 0) {
		printf("SKIP test_geo: perl with MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl) not found\n");
		return 77;
	}
	/* before rte_eal_init: refused, not a crash */
	CHECK(dc_geo_load("/dev/null", NULL, -1) == NULL);
	CHECK(strstr(dc_strerror(), "EAL is not initialised") != NULL);

	snprintf(prefix, sizeof(prefix), "test_geo_%d", (int)getpid());
	if (rte_eal_init((int)NELEM(eal), eal) < 0) {
		fprintf(stderr, "test_geo: rte_eal_init failed\n");
		return 1;
	}
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_geo.XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		fprintf(stderr, "test_geo: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	{
		double t0 = now();

		make_databases();
		printf("  databases written in %.2f s\n", now() - t0);
	}
	rc = dc_test_run("geo", tc, NELEM(tc));
	remove_files();
	free(g_c4.e);
	free(g_a4.e);
	free(g_c6.e);
	free(g_a6.e);
	rte_eal_cleanup();
	return rc;
}
