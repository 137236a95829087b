/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition of a statistics snapshot (dc_prom.h). Metrics
 * are found by name and scope; a metric the segment lacks gives no family,
 * and a metric this file does not know is exported generically when it is
 * small (a scalar, or a dictionary of a few labels), never when it could
 * carry a high-cardinality label (nor keyed rows other than the
 * signatures').
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_prom.h"

/* Generic export limits for metrics this file does not name. */
#define GENERIC_DICT_MAX 64     /* labels of a 1-dimension dictionary */
#define GENERIC_ELEM_MAX 4096   /* elements of a 2-dimension metric */

struct pbuf {
	char *b;
	size_t len, cap;
	int oom;
};

struct fam {
	char *name;
	char *help;
	enum dc_prom_type type;
	int skip;                   /* filtered out */
	struct pbuf lines;
};

struct dc_prom {
	const regex_t *filter;
	struct fam *f;
	unsigned n, cap;
	unsigned last;              /* index of the last family used */
	int oom;
};

static void
pb_add(struct pbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *nb;

		while (b->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(b->b, cap);
		if (nb == NULL) {
			b->oom = 1;
			return;
		}
		b->b = nb;
		b->cap = cap;
	}
	memcpy(b->b + b->len, s, n);
	b->len += n;
	b->b[b->len] = '\0';
}

static void
pb_str(struct pbuf *b, const char *s)
{
	pb_add(b, s, strlen(s));
}

/* A label value: backslash, double quote and newline escaped. */
static void
pb_label_value(struct pbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			pb_add(b, "\\\\", 2);
		else if (*s == '"')
			pb_add(b, "\\\"", 2);
		else if (*s == '\n')
			pb_add(b, "\\n", 2);
		else
			pb_add(b, s, 1);
	}
}

/* A HELP text: backslash and newline escaped. */
static void
pb_help(struct pbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			pb_add(b, "\\\\", 2);
		else if (*s == '\n')
			pb_add(b, "\\n", 2);
		else
			pb_add(b, s, 1);
	}
}

struct dc_prom *
dc_prom_new(const regex_t *filter)
{
	struct dc_prom *p = calloc(1, sizeof(*p));

	if (p)
		p->filter = filter;
	return p;
}

void
dc_prom_free(struct dc_prom *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		free(p->f[i].name);
		free(p->f[i].help);
		free(p->f[i].lines.b);
	}
	free(p->f);
	free(p);
}

static struct fam *
family(struct dc_prom *p, const char *name, enum dc_prom_type type, const char *help)
{
	struct fam *f;

	if (p->last < p->n && strcmp(p->f[p->last].name, name) == 0)
		return &p->f[p->last];
	for (unsigned i = 0; i < p->n; i++)
		if (strcmp(p->f[i].name, name) == 0) {
			p->last = i;
			return &p->f[i];
		}
	if (p->n == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 64;
		struct fam *nf = realloc(p->f, cap * sizeof(*nf));

		if (nf == NULL) {
			p->oom = 1;
			return NULL;
		}
		p->f = nf;
		p->cap = cap;
	}
	f = &p->f[p->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->help = strdup(help && *help ? help : name);
	f->type = type;
	if (f->name == NULL || f->help == NULL) {
		free(f->name);
		free(f->help);
		p->oom = 1;
		return NULL;
	}
	f->skip = p->filter && regexec(p->filter, name, 0, NULL, 0) != 0;
	p->last = p->n++;
	return f;
}

static void
sample(struct dc_prom *p, const char *name, enum dc_prom_type type, const char *help,
       const char *value, unsigned nlabels, va_list ap)
{
	struct fam *f = family(p, name, type, help);

	if (f == NULL || f->skip || f->type != type)
		return;
	pb_str(&f->lines, name);
	for (unsigned i = 0; i < nlabels; i++) {
		const char *ln = va_arg(ap, const char *);
		const char *lv = va_arg(ap, const char *);

		pb_str(&f->lines, i == 0 ? "{" : ",");
		pb_str(&f->lines, ln);
		pb_str(&f->lines, "=\"");
		pb_label_value(&f->lines, lv);
		pb_str(&f->lines, "\"");
	}
	pb_str(&f->lines, nlabels ? "} " : " ");
	pb_str(&f->lines, value);
	pb_str(&f->lines, "\n");
}

void
dc_prom_u64(struct dc_prom *p, const char *family_name, enum dc_prom_type type,
	    const char *help, uint64_t value, unsigned nlabels, ...)
{
	char v[32];
	va_list ap;

	snprintf(v, sizeof(v), "%" PRIu64, value);
	va_start(ap, nlabels);
	sample(p, family_name, type, help, v, nlabels, ap);
	va_end(ap);
}

void
dc_prom_f64(struct dc_prom *p, const char *family_name, enum dc_prom_type type,
	    const char *help, double value, unsigned nlabels, ...)
{
	char v[64];
	va_list ap;

	snprintf(v, sizeof(v), "%.3f", value);
	va_start(ap, nlabels);
	sample(p, family_name, type, help, v, nlabels, ap);
	va_end(ap);
}

char *
dc_prom_render(struct dc_prom *p, size_t *len)
{
	struct pbuf out = {0};

	pb_add(&out, "", 0);
	for (unsigned i = 0; i < p->n; i++) {
		struct fam *f = &p->f[i];

		if (f->skip || f->lines.len == 0)
			continue;
		if (f->lines.oom)
			p->oom = 1;
		pb_str(&out, "# HELP ");
		pb_str(&out, f->name);
		pb_str(&out, " ");
		pb_help(&out, f->help);
		pb_str(&out, "\n# TYPE ");
		pb_str(&out, f->name);
		pb_str(&out, f->type == DC_PROM_COUNTER ? " counter\n" : " gauge\n");
		pb_add(&out, f->lines.b, f->lines.len);
	}
	if (out.oom || p->oom) {
		free(out.b);
		return NULL;
	}
	if (len)
		*len = out.len;
	return out.b;
}

int
dc_prom_parse_ports(struct dc_prom_opts *o, const char *list, char *err, size_t errlen)
{
	const char *s = list;

	memset(o->ports, 0, sizeof(o->ports));
	while (*s) {
		char *end;
		unsigned long v;

		errno = 0;
		if (*s < '0' || *s > '9') {
			snprintf(err, errlen, "--ports: '%s': not a port number at '%s' (want a list like 22,23,80)",
				 list, s);
			return -1;
		}
		v = strtoul(s, &end, 10);
		if (errno || v > 65535 || (*end != ',' && *end != '\0')) {
			snprintf(err, errlen, "--ports: '%s': bad port at '%s' (want 0..65535, comma-separated)",
				 list, s);
			return -1;
		}
		o->ports[v / 8] |= (uint8_t)(1u << (v % 8));
		s = *end == ',' ? end + 1 : end;
		if (*end == ',' && *s == '\0') {
			snprintf(err, errlen, "--ports: '%s': trailing comma", list);
			return -1;
		}
	}
	return 0;
}

void
dc_prom_up(struct dc_prom *p, int up)
{
	dc_prom_u64(p, "darkcap_up", DC_PROM_GAUGE,
		    "1 when darkcap's statistics segment is live and a snapshot was read, else 0 "
		    "(then every other darkcap_ family is absent)",
		    up ? 1 : 0, 0);
}

/* ---- naming ---------------------------------------------------------- */

/* Scalars renamed to say what they count (the rest keep their name). */
static const struct {
	const char *metric, *base;
} scalar_names[] = {
	{"non_ip", "non_ip_packets"},
	{"malformed", "malformed_packets"},
	{"ipv4", "ipv4_packets"},
	{"ipv6", "ipv6_packets"},
	{"fragments", "fragment_packets"},
	{"l4_truncated", "l4_truncated_packets"},
	{"tcp_syn", "tcp_syn_packets"},
	{"tcp_synack", "tcp_synack_packets"},
	{"late", "late_packets"},
};

/* NIC counter fields (metric "port"). */
static const struct {
	const char *field, *base;
} nic_names[] = {
	{"received", "nic_received_packets"},
	{"missed", "nic_missed_packets"},
	{"errors", "nic_errors"},
	{"no_mbuf", "nic_no_mbuf"},
};

static const char *const fingerprints[] = {"mirai", "zmap", "masscan"};

static int
is_total(const struct dc_stats_metric *m)
{
	return m->scope == DC_STATS_TOTAL && m->type == DC_STATS_COUNTER;
}

static enum dc_prom_type
fam_type(const struct dc_stats_metric *m)
{
	return is_total(m) ? DC_PROM_COUNTER : DC_PROM_GAUGE;
}

/* [a-zA-Z0-9_] only: a metric or label name from a dictionary string. */
static void
sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			*s = '_';
}

/* darkcap_BASE_total for counters since start, darkcap_interval_BASE for
 * the last interval's values, darkcap_BASE for the rest. */
static void
fam_name(char *buf, size_t size, const struct dc_stats_metric *m, const char *base)
{
	if (is_total(m))
		snprintf(buf, size, "darkcap_%s_total", base);
	else if (m->scope == DC_STATS_INTERVAL)
		snprintf(buf, size, "darkcap_interval_%s", base);
	else
		snprintf(buf, size, "darkcap_%s", base);
	sanitize(buf);
}

static void
fam_help(char *buf, size_t size, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	 const char *what)
{
	const char *h = dc_stats_str(r, m->help);

	snprintf(buf, size, "%s%s%s%s", *h ? h : m->name, what ? ": " : "", what ? what : "",
		 m->scope == DC_STATS_INTERVAL ? " (last completed interval)" : "");
}

/* "mirai", "mirai_sources" -> "mirai" (and *rest = "" or "sources"). */
static const char *
fingerprint_of(const char *field, const char **rest)
{
	for (unsigned i = 0; i < sizeof(fingerprints) / sizeof(fingerprints[0]); i++) {
		size_t n = strlen(fingerprints[i]);

		if (strncmp(field, fingerprints[i], n) == 0 && (field[n] == '\0' || field[n] == '_')) {
			*rest = field[n] ? field + n + 1 : "";
			return fingerprints[i];
		}
	}
	return NULL;
}

static int
field_index(const struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned dim,
	    const char *name)
{
	char buf[128];

	if (dim >= m->n_dims || m->dim_kind[dim] != DC_STATS_DIM_DICT)
		return -1;
	for (uint32_t j = 0; j < m->dim_size[dim]; j++)
		if (strcmp(dc_stats_label(r, m, dim, j, buf, sizeof(buf)), name) == 0)
			return (int)j;
	return -1;
}

static void
export_scalar(struct dc_prom *p, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	      uint64_t v)
{
	char name[160], help[512];
	const char *base = m->name, *rest;

	if (m->scope == DC_STATS_NOW && strcmp(m->name, "interval_seconds") == 0) {
		dc_prom_u64(p, "darkcap_interval_length_seconds", DC_PROM_GAUGE,
			    "Length of darkcap's intervals", v, 0);
		return;
	}
	if (fingerprint_of(m->name, &rest) && *rest == '\0') {
		fam_name(name, sizeof(name), m, "fingerprint_packets");
		dc_prom_u64(p, name, fam_type(m),
			    is_total(m) ? "IPv4 TCP SYN packets matching a scanner fingerprint, since start" :
			    "IPv4 TCP SYN packets matching a scanner fingerprint, last completed interval",
			    v, 1, "fingerprint", m->name);
		return;
	}
	for (unsigned i = 0; i < sizeof(scalar_names) / sizeof(scalar_names[0]); i++)
		if (strcmp(m->name, scalar_names[i].metric) == 0)
			base = scalar_names[i].base;
	fam_name(name, sizeof(name), m, base);
	fam_help(help, sizeof(help), r, m, NULL);
	dc_prom_u64(p, name, fam_type(m), help, v, 0);
}

/* TCP/UDP destination ports: the chosen ports always (stable series), the
 * others summed into port="other". */
static void
export_ports(struct dc_prom *p, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	     const void *snap, const struct dc_prom_opts *o)
{
	char name[160], help[512], lname[64], lv[16];
	uint64_t other = 0;

	fam_name(name, sizeof(name), m, m->name);
	fam_help(help, sizeof(help), r, m, "listed ports, the others summed in port=\"other\"");
	snprintf(lname, sizeof(lname), "%s", dc_stats_str(r, m->dim_name[0]));
	sanitize(lname);
	for (uint32_t i = 0; i < m->n_elem; i++) {
		uint64_t v = dc_stats_u64(snap, m, i);

		if (i < 65536 && (o->ports[i / 8] & (1u << (i % 8)))) {
			snprintf(lv, sizeof(lv), "%u", i);
			dc_prom_u64(p, name, fam_type(m), help, v, 1, lname, lv);
		} else {
			other += v;
		}
	}
	dc_prom_u64(p, name, fam_type(m), help, other, 1, lname, "other");
}

/* One dimension: every element (nonzero_only: those that are not 0). */
static void
export_dim1(struct dc_prom *p, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	    const void *snap, int nonzero_only)
{
	char name[160], help[512], lname[64], lv[128];

	fam_name(name, sizeof(name), m, m->name);
	fam_help(help, sizeof(help), r, m, NULL);
	snprintf(lname, sizeof(lname), "%s", dc_stats_str(r, m->dim_name[0]));
	sanitize(lname);
	for (uint32_t i = 0; i < m->n_elem; i++) {
		uint64_t v = dc_stats_u64(snap, m, i);

		if (nonzero_only && v == 0)
			continue;
		dc_stats_label(r, m, 0, i, lv, sizeof(lv));
		dc_prom_u64(p, name, fam_type(m), help, v, 1, lname, lv);
	}
}

/* Two dimensions, the second a dictionary of fields: one family per field
 * (PREFIX_FIELD), labelled by the first dimension. */
static void
export_dim2(struct dc_prom *p, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	    const void *snap, const char *prefix)
{
	char name[160], help[512], lname[64], lv[128], field[128], base[256];

	snprintf(lname, sizeof(lname), "%s", dc_stats_str(r, m->dim_name[0]));
	sanitize(lname);
	for (uint32_t j = 0; j < m->dim_size[1]; j++) {
		dc_stats_label(r, m, 1, j, field, sizeof(field));
		base[0] = '\0';
		if (strcmp(prefix, "nic") == 0)
			for (unsigned k = 0; k < sizeof(nic_names) / sizeof(nic_names[0]); k++)
				if (strcmp(field, nic_names[k].field) == 0)
					snprintf(base, sizeof(base), "%s", nic_names[k].base);
		if (base[0] == '\0')
			snprintf(base, sizeof(base), "%s_%s", prefix, field);
		fam_name(name, sizeof(name), m, base);
		fam_help(help, sizeof(help), r, m, field);
		for (uint32_t i = 0; i < m->dim_size[0]; i++) {
			dc_stats_label(r, m, 0, i, lv, sizeof(lv));
			dc_prom_u64(p, name, fam_type(m), help,
				    dc_stats_u64(snap, m, i * m->dim_size[1] + j), 1, lname, lv);
		}
	}
}

/* A dimension that lists different quantities ("counter": packets, bytes,
 * ...), as opposed to instances of one quantity ("table": sources, ...). */
static int
is_counter_dim(const struct dc_stats_reader *r, const struct dc_stats_metric *m, unsigned dim)
{
	const char *n = dc_stats_str(r, m->dim_name[dim]);

	return strcmp(n, "counter") == 0 || strcmp(n, "field") == 0;
}

/* Two dimensions of one quantity: one family, both dimensions as labels
 * (table_fill{worker,table}). */
static void
export_dim2_labels(struct dc_prom *p, const struct dc_stats_reader *r,
		   const struct dc_stats_metric *m, const void *snap)
{
	char name[160], help[512], ln[2][64], lv[2][128];

	fam_name(name, sizeof(name), m, m->name);
	fam_help(help, sizeof(help), r, m, NULL);
	for (unsigned k = 0; k < 2; k++) {
		snprintf(ln[k], sizeof(ln[k]), "%s", dc_stats_str(r, m->dim_name[k]));
		sanitize(ln[k]);
	}
	for (uint32_t i = 0; i < m->dim_size[0]; i++) {
		dc_stats_label(r, m, 0, i, lv[0], sizeof(lv[0]));
		for (uint32_t j = 0; j < m->dim_size[1]; j++) {
			dc_stats_label(r, m, 1, j, lv[1], sizeof(lv[1]));
			dc_prom_u64(p, name, fam_type(m), help,
				    dc_stats_u64(snap, m, i * m->dim_size[1] + j), 2, ln[0], lv[0],
				    ln[1], lv[1]);
		}
	}
}

/* countries (TOTAL) and country_sources (INTERVAL): countries with traffic
 * only; fingerprint fields as a fingerprint label. */
static void
export_countries(struct dc_prom *p, const struct dc_stats_reader *r,
		 const struct dc_stats_metric *m, const void *snap, const char *key)
{
	int kf = field_index(r, m, 1, key);
	uint32_t nf = m->dim_size[1];
	char name[160], help[512], cc[16], field[128], base[256];

	if (kf < 0 || m->dim_kind[0] != DC_STATS_DIM_CC)
		return;
	for (uint32_t c = 0; c < m->dim_size[0]; c++) {
		if (dc_stats_u64(snap, m, c * nf + (uint32_t)kf) == 0)
			continue;
		dc_stats_label(r, m, 0, c, cc, sizeof(cc));
		for (uint32_t j = 0; j < nf; j++) {
			uint64_t v = dc_stats_u64(snap, m, c * nf + j);
			const char *fp, *rest;

			dc_stats_label(r, m, 1, j, field, sizeof(field));
			fp = fingerprint_of(field, &rest);
			if (fp) {
				snprintf(base, sizeof(base), "country_fingerprint_%s",
					 *rest ? rest : "packets");
				fam_name(name, sizeof(name), m, base);
				fam_help(help, sizeof(help), r, m,
					 *rest ? "distinct sources matching a fingerprint" :
					 "packets matching a fingerprint");
				dc_prom_u64(p, name, fam_type(m), help, v, 2, "country", cc,
					    "fingerprint", fp);
			} else {
				snprintf(base, sizeof(base), "country_%s", field);
				fam_name(name, sizeof(name), m, base);
				fam_help(help, sizeof(help), r, m, field);
				dc_prom_u64(p, name, fam_type(m), help, v, 1, "country", cc);
			}
		}
	}
}

/* A text list keyed like @m (signature_name, signature_family), or NULL. */
static const struct dc_stats_metric *
row_texts(const struct dc_stats_reader *r, const struct dc_stats_metric *m, const char *name)
{
	int i = dc_stats_find(r, DC_STATS_NOW, name);
	const struct dc_stats_metric *t = i < 0 ? NULL : dc_stats_metric(r, (unsigned)i);

	return t && t->kind == DC_STATS_STR && t->n_dims == 1 &&
	       dc_stats_key_metric(r, t, 0) == dc_stats_key_metric(r, m, 0) ? t : NULL;
}

/* signature_packets (TOTAL) and signature_sources (INTERVAL): one series per
 * signature row in use, labelled with its id, name and family of the same
 * snapshot (at most 1024 rows, in practice the rules loaded). */
static void
export_signatures(struct dc_prom *p, const struct dc_stats_reader *r,
		  const struct dc_stats_metric *m, const void *snap)
{
	const struct dc_stats_metric *nm = row_texts(r, m, "signature_name");
	const struct dc_stats_metric *fm = row_texts(r, m, "signature_family");
	char name[160], help[512], id[32];

	fam_name(name, sizeof(name), m, m->name);
	fam_help(help, sizeof(help), r, m, NULL);
	for (uint32_t i = 0; i < m->dim_size[0]; i++) {
		if (!dc_stats_elem_used(r, snap, m, i))
			continue;
		dc_stats_label_at(r, snap, m, 0, i, id, sizeof(id));
		dc_prom_u64(p, name, fam_type(m), help, dc_stats_u64(snap, m, i), 3, "id", id,
			    "name", nm ? dc_stats_text(snap, nm, i) : "",
			    "family", fm ? dc_stats_text(snap, fm, i) : "");
	}
}

static void
export_metric(struct dc_prom *p, const struct dc_stats_reader *r, const struct dc_stats_metric *m,
	      const void *snap, const struct dc_prom_opts *o)
{
	/* never per-address or per-rank labels; only plain counts */
	if (m->kind != DC_STATS_U64 || strncmp(m->name, "top_", 4) == 0)
		return;
	/* keyed rows: the signatures'; any other table of them is of unknown size */
	if (dc_stats_key_metric(r, m, 0) || dc_stats_key_metric(r, m, 1)) {
		if (m->n_dims == 1 &&
		    ((is_total(m) && strcmp(m->name, "signature_packets") == 0) ||
		     (m->scope == DC_STATS_INTERVAL && strcmp(m->name, "signature_sources") == 0)))
			export_signatures(p, r, m, snap);
		return;
	}
	if (m->n_dims == 0) {
		export_scalar(p, r, m, dc_stats_u64(snap, m, 0));
		return;
	}
	if (strcmp(m->name, "proto_packets") == 0 || strcmp(m->name, "icmp_type_packets") == 0 ||
	    strcmp(m->name, "icmp6_type_packets") == 0) {
		if (is_total(m))
			export_dim1(p, r, m, snap, 1);
		return;
	}
	if (strcmp(m->name, "tcp_dst_port_packets") == 0 ||
	    strcmp(m->name, "udp_dst_port_packets") == 0) {
		if (is_total(m) && m->n_dims == 1)
			export_ports(p, r, m, snap, o);
		return;
	}
	if (strcmp(m->name, "countries") == 0 || strcmp(m->name, "country_sources") == 0) {
		if (!o->countries || m->n_dims != 2)
			return;
		if (is_total(m) && strcmp(m->name, "countries") == 0)
			export_countries(p, r, m, snap, "packets");
		else if (m->scope == DC_STATS_INTERVAL && strcmp(m->name, "country_sources") == 0)
			export_countries(p, r, m, snap, "sources");
		return;
	}
	if (m->n_dims == 1) {
		if (m->dim_kind[0] == DC_STATS_DIM_DICT && m->dim_size[0] <= GENERIC_DICT_MAX)
			export_dim1(p, r, m, snap, 0);
		return;
	}
	if (m->dim_kind[1] != DC_STATS_DIM_DICT || m->dim_kind[0] == DC_STATS_DIM_CC ||
	    m->n_elem > GENERIC_ELEM_MAX)
		return;
	if (is_counter_dim(r, m, 1))
		export_dim2(p, r, m, snap, strcmp(m->name, "port") == 0 ? "nic" : m->name);
	else
		export_dim2_labels(p, r, m, snap);
}

void
dc_prom_snapshot(struct dc_prom *p, const struct dc_stats_reader *r, const void *snap,
		 const struct dc_prom_opts *o, uint64_t now_ns)
{
	const struct dc_stats_snap *s = dc_stats_snap_of(snap);
	struct dc_stats_hdr h;
	char abi[32], version[sizeof(h.version) + 1];

	dc_stats_header(r, &h);
	snprintf(abi, sizeof(abi), "%u.%u", h.abi_major, h.abi_minor);
	snprintf(version, sizeof(version), "%.*s", (int)sizeof(h.version), h.version);
	dc_prom_u64(p, "darkcap_build_info", DC_PROM_GAUGE,
		    "darkcap's version and the ABI of its statistics segment (always 1)", 1, 2,
		    "version", version, "abi", abi);
	dc_prom_f64(p, "darkcap_start_time_seconds", DC_PROM_GAUGE,
		    "When darkcap started, Unix seconds", (double)h.start_time_ns / 1e9, 0);
	dc_prom_f64(p, "darkcap_snapshot_age_seconds", DC_PROM_GAUGE,
		    "Age of the snapshot read (darkcap publishes once per interval)",
		    now_ns > s->time_ns ? (double)(now_ns - s->time_ns) / 1e9 : 0.0, 0);
	dc_prom_f64(p, "darkcap_heartbeat_age_seconds", DC_PROM_GAUGE,
		    "Time since darkcap's last heartbeat",
		    now_ns > h.heartbeat_ns ? (double)(now_ns - h.heartbeat_ns) / 1e9 : 0.0, 0);
	dc_prom_u64(p, "darkcap_publishes_total", DC_PROM_COUNTER,
		    "Snapshots darkcap has published since start", s->publish, 0);
	dc_prom_u64(p, "darkcap_interval_start_seconds", DC_PROM_GAUGE,
		    "Start of the last completed interval, Unix seconds (0: none yet)",
		    s->interval_start, 0);
	dc_prom_u64(p, "darkcap_interval_end_seconds", DC_PROM_GAUGE,
		    "End (exclusive) of the last completed interval, Unix seconds (0: none yet)",
		    s->interval_end, 0);
	if (dc_stats_find(r, DC_STATS_NOW, "interval_seconds") < 0)
		dc_prom_u64(p, "darkcap_interval_length_seconds", DC_PROM_GAUGE,
			    "Length of darkcap's intervals", h.interval_s, 0);
	for (unsigned i = 0; i < dc_stats_n_metrics(r); i++)
		export_metric(p, r, dc_stats_metric(r, i), snap, o);
}
