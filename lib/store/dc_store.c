/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's writer thread: SQLite, WAL, one transaction per interval.
 * Per local day it keeps in memory what cannot be added up in SQL: the set
 * of distinct sources (exact up to exact_max, HyperLogLog sketches always),
 * the fingerprint sources and the ASes, and the same for payload signatures
 * per (signature) and (signature, country); additive counters go to the
 * database as UPSERT increments, so a restart in the middle of a day adds
 * to what the day already has.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dc_cmap.h"
#include "dc_err.h"
#include "dc_hll.h"
#include "dc_mem.h"
#include "dc_store.h"
#include "dc_store_schema.h" /* dc_store_schema_sql: dc_store_schema.sql */
#include "dc_table.h"
#include "dc_tset.h" /* dc_addr_key, dc_cc_code/dc_cc_index, dc_addr_format */

enum { K_ALL, K_MIRAI, K_ZMAP, K_MASSCAN, K__MAX };
static const char *const kind_name[K__MAX] = {"all", "mirai", "zmap", "masscan"};
#define ALLCC DC_STORE_CC /* index of the all-countries sketches */

/* A source of the day: key = address key (24 bytes, as the engine's). */
struct day_src {
	struct dc_addr_key key;
	uint8_t kinds;       /* bit k: counted in kind k */
	uint8_t fp;          /* hit a fingerprint: has a record in fps */
	uint16_t country;
	uint32_t asn;
};

/* A fingerprint source of the day. */
struct day_fp {
	struct dc_addr_key key;
	uint16_t country;
	uint8_t nports, more, dirty;
	uint16_t ports[8];
	uint32_t asn, first, last;
	uint64_t packets, mirai, zmap, masscan;
};

struct day_as {
	uint64_t asn;
	uint64_t packets, mirai, sources, mirai_sources;
	char org[48];
};

/* A (signature, source) pair of the day, while the signature sets are
 * exact. Key: the first 24 bytes. */
struct sig_pair {
	uint32_t id;
	uint8_t family;
	uint8_t pad[3];
	uint8_t addr[16];
	uint64_t hash;       /* of the address key, as the day's source sketches */
	uint16_t country;    /* of the pair's first interval of the day */
	uint8_t pad2[6];
};
#define SIG_PAIR_KEY 24

/* A distinct set of the day: one per signature (key: the id) and one per
 * (signature, country) (key: id << 16 | country). */
struct sig_set {
	uint64_t key;
	uint64_t sources;    /* exact distinct count, while exact */
	struct dc_hll *hll;  /* once estimated (or restored) */
	uint64_t *list;      /* scratch of day_sketches() */
	uint32_t nl;
	struct dc_hll *tmp;  /* scratch of day_sketches() */
};
#define SIG_ALLCC 0xffffu /* country of a signature's own set */
#define SIG_KEY(id, cc) ((uint64_t)(id) << 16 | (cc))

struct day {
	char name[11];           /* "" = none open */
	uint64_t last_end;
	struct dc_cmap srcs;     /* struct day_src */
	struct dc_cmap fps;      /* struct day_fp */
	struct dc_cmap ases;     /* struct day_as */
	uint64_t cnt[DC_STORE_CC + 1][K__MAX]; /* exact distinct sources */
	struct dc_hll *hll[DC_STORE_CC + 1][K__MAX];
	uint8_t touched[DC_STORE_CC + 1];
	int estimated;           /* past exact_max, or restored after a restart */
	int from_start;          /* this run entered the day at its start */
	uint64_t sketch_at;      /* end of the interval its sketches were last written after */
	struct dc_cmap sig_pairs; /* struct sig_pair, while sig_estimated is 0 */
	struct dc_cmap sig_sets; /* struct sig_set */
	int sig_estimated;       /* past exact_max pairs, or restored after a restart */
};

struct dc_store {
	struct dc_store_opts o;
	char *path;
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dc_store_iv *head, *tail;
	uint64_t nq;
	int stop;
	struct dc_store_counts cnt; /* under lock */
	struct day day;
};

/* One log line through the caller's logger (opts.log), else stderr. */
static void
slog(const struct dc_store *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
slog(const struct dc_store *s, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (s->o.log)
		s->o.log(level, buf);
	else
		fprintf(stderr, "darkcap: %s\n", buf);
}

/* ---- intervals ---------------------------------------------------------- */

struct dc_store_iv *
dc_store_iv_new(uint32_t n_tcp, uint32_t n_udp, uint64_t n_src, uint32_t n_as)
{
	struct dc_store_iv *iv = dc_calloc(1, sizeof(*iv));

	iv->tcp_port = dc_calloc(n_tcp ? n_tcp : 1, sizeof(uint16_t));
	iv->udp_port = dc_calloc(n_udp ? n_udp : 1, sizeof(uint16_t));
	iv->tcp_pk = dc_calloc(n_tcp ? n_tcp : 1, sizeof(uint64_t));
	iv->udp_pk = dc_calloc(n_udp ? n_udp : 1, sizeof(uint64_t));
	iv->src = dc_calloc(n_src ? n_src : 1, sizeof(*iv->src));
	iv->as = dc_calloc(n_as ? n_as : 1, sizeof(*iv->as));
	iv->n_tcp = n_tcp;
	iv->n_udp = n_udp;
	iv->n_src = n_src;
	iv->n_as = n_as;
	return iv;
}

void
dc_store_iv_sigs(struct dc_store_iv *iv, uint32_t n_sig, uint32_t n_sig_port, uint32_t n_sig_cc,
		 uint64_t n_sig_src)
{
	/* a second call replaces the first one's arrays */
	dc_free(iv->sig);
	dc_free(iv->sig_port);
	dc_free(iv->sig_cc);
	dc_free(iv->sig_src);
	iv->sig = dc_calloc(n_sig ? n_sig : 1, sizeof(*iv->sig));
	iv->sig_port = dc_calloc(n_sig_port ? n_sig_port : 1, sizeof(*iv->sig_port));
	iv->sig_cc = dc_calloc(n_sig_cc ? n_sig_cc : 1, sizeof(*iv->sig_cc));
	iv->sig_src = dc_calloc(n_sig_src ? n_sig_src : 1, sizeof(*iv->sig_src));
	iv->n_sig = n_sig;
	iv->n_sig_port = n_sig_port;
	iv->n_sig_cc = n_sig_cc;
	iv->n_sig_src = n_sig_src;
}

void
dc_store_iv_free(struct dc_store_iv *iv)
{
	if (iv == NULL)
		return;
	dc_free(iv->sig);
	dc_free(iv->sig_port);
	dc_free(iv->sig_cc);
	dc_free(iv->sig_src);
	dc_free(iv->tcp_port);
	dc_free(iv->udp_port);
	dc_free(iv->tcp_pk);
	dc_free(iv->udp_pk);
	dc_free(iv->src);
	dc_free(iv->as);
	dc_free(iv);
}

/* ---- SQL helpers -------------------------------------------------------- */

static int
exec(struct dc_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = dc_err(EIO, "store %s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));

		sqlite3_free(msg);
		return r;
	}
	return 0;
}

/* Prepare, bind (format chars: i = int64, t = text, b = blob + length),
 * step to done, finalize. */
static int
run(struct dc_store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, k = 1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dc_err(EIO, "store %s: %s", s->path, sqlite3_errmsg(s->db));
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++, k++) {
		if (*f == 'i') {
			sqlite3_bind_int64(st, k, (sqlite3_int64)va_arg(ap, uint64_t));
		} else if (*f == 't') {
			sqlite3_bind_text(st, k, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		} else {
			const void *p = va_arg(ap, const void *);
			int n = va_arg(ap, int);

			sqlite3_bind_blob(st, k, p, n, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dc_err(EIO, "store %s: %s", s->path, sqlite3_errmsg(s->db));
	return 0;
}

/* The store's country label: the two letters, "??" for unknown. */
static const char *
cc_label(uint16_t cc, char out[3])
{
	const char *c = dc_cc_code(cc, out);

	return c ? c : "??";
}

/* ---- days --------------------------------------------------------------- */

void
dc_store_day(const struct dc_store *s, uint64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	(void)s; /* the zone is the process's TZ, set at open */
	localtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void
day_reset(struct dc_store *s)
{
	struct day *d = &s->day;

	dc_cmap_clear(&d->srcs);
	dc_cmap_clear(&d->fps);
	dc_cmap_clear(&d->ases);
	memset(d->cnt, 0, sizeof(d->cnt));
	memset(d->touched, 0, sizeof(d->touched));
	for (unsigned c = 0; c <= DC_STORE_CC; c++)
		for (unsigned k = 0; k < K__MAX; k++)
			if (d->hll[c][k])
				dc_hll_reset(d->hll[c][k]);
	d->estimated = 0;
	d->name[0] = '\0';
	d->last_end = 0;
	for (uint64_t i = 0; d->sig_sets.t && i < d->sig_sets.t->used; i++)
		dc_free(((struct sig_set *)dc_table_nth(d->sig_sets.t, i))->hll);
	dc_cmap_clear(&d->sig_sets);
	dc_cmap_clear(&d->sig_pairs);
	d->sig_estimated = 0;
}

static struct dc_hll *
hll(struct day *d, unsigned c, unsigned k)
{
	if (d->hll[c][k] == NULL) {
		d->hll[c][k] = dc_malloc(sizeof(struct dc_hll));
		dc_hll_reset(d->hll[c][k]);
	}
	return d->hll[c][k];
}

static uint64_t
distinct(const struct day *d, unsigned c, unsigned k)
{
	if (!d->estimated)
		return d->cnt[c][k];
	return d->hll[c][k] ? dc_hll_estimate(d->hll[c][k]) : 0;
}

/* Add a stored sketch (registers, or a list of hashes) to @p h. */
static void
hll_absorb(struct dc_hll *h, const uint8_t *b, int n)
{
	if (n == DC_HLL_M) {
		struct dc_hll tmp;

		memcpy(tmp.reg, b, DC_HLL_M);
		dc_hll_merge(h, &tmp);
		return;
	}
	for (int i = 0; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, b + i, 8);
		dc_hll_add(h, x);
	}
}

/* ---- payload signatures: the day's distinct sets ------------------------ */

/* The set of signature @p id in country @p cc (SIG_ALLCC: all countries).
 * The pointer is valid until the next sig_set() call. */
static struct sig_set *
sig_set(struct day *d, uint32_t id, unsigned cc)
{
	uint64_t key = SIG_KEY(id, cc);
	int is_new;
	struct sig_set *v = (struct sig_set *)dc_cmap_upsert(&d->sig_sets, &key, &is_new);

	v->key = key;
	return v;
}

static struct dc_hll *
sig_hll(struct sig_set *v)
{
	if (v->hll == NULL) {
		v->hll = dc_malloc(sizeof(struct dc_hll));
		dc_hll_reset(v->hll);
	}
	return v->hll;
}

static uint64_t
sig_distinct(const struct day *d, const struct sig_set *v)
{
	if (!d->sig_estimated)
		return v->sources;
	return v->hll ? dc_hll_estimate(v->hll) : 0;
}

/* Past exact_max (signature, source) pairs: the sets become sketches. */
static void
sig_go_estimated(struct dc_store *s)
{
	struct day *d = &s->day;

	for (uint64_t i = 0; d->sig_pairs.t && i < d->sig_pairs.t->used; i++) {
		const struct sig_pair *p = (const struct sig_pair *)dc_table_nth(d->sig_pairs.t, i);

		dc_hll_add(sig_hll(sig_set(d, p->id, SIG_ALLCC)), p->hash);
		dc_hll_add(sig_hll(sig_set(d, p->id, p->country)), p->hash);
	}
	dc_cmap_free(&d->sig_pairs);
	d->sig_estimated = 1;
	slog(s, DC_STORE_LOG_NOTICE, "%s: day %s passed %lu distinct (signature, source) pairs: signature source counts estimated from here on",
	     s->path, d->name, (unsigned long)s->o.exact_max);
}

/* An interval's (signature, source) pairs into the day's sets. */
static void
sig_sources(struct dc_store *s, const struct dc_store_iv *iv)
{
	struct day *d = &s->day;
	int is_new;

	for (uint64_t i = 0; i < iv->n_sig_src; i++) {
		const struct dc_store_sig_src *x = &iv->sig_src[i];
		unsigned cc = x->country < DC_STORE_CC ? x->country : 0;
		struct dc_addr_key key;
		uint64_t h;

		memset(&key, 0, sizeof(key));
		memcpy(key.addr, x->addr, 16);
		key.family = x->family;
		h = dc_hash_nh(&key, sizeof(key), dc_hash_fixed_nh);
		if (!d->sig_estimated && dc_cmap_count(&d->sig_pairs) >= s->o.exact_max)
			sig_go_estimated(s);
		if (!d->sig_estimated) {
			struct sig_pair k, *p;

			memset(&k, 0, sizeof(k));
			k.id = x->id;
			k.family = x->family;
			memcpy(k.addr, x->addr, 16);
			p = (struct sig_pair *)dc_cmap_upsert(&d->sig_pairs, &k, &is_new);
			if (!is_new)
				continue;
			memcpy(p, &k, SIG_PAIR_KEY);
			p->hash = h;
			p->country = (uint16_t)cc;
			sig_set(d, x->id, SIG_ALLCC)->sources++;
			sig_set(d, x->id, cc)->sources++;
		} else {
			dc_hll_add(sig_hll(sig_set(d, x->id, SIG_ALLCC)), h);
			dc_hll_add(sig_hll(sig_set(d, x->id, cc)), h);
		}
	}
}

/* Write the signature sketches of the open day (day_sketches, kind
 * 'sig:ID', country '*' for the signature's own set): a list of hashes
 * while a set is small and exact, the registers otherwise. */
static int
sig_sketches(struct dc_store *s)
{
	struct day *d = &s->day;
	struct dc_table *t = d->sig_sets.t;
	int rc = 0;

	if (t == NULL)
		return 0;
	if (!d->sig_estimated) {
		for (uint64_t i = 0; i < t->used; i++) {
			struct sig_set *v = (struct sig_set *)dc_table_nth(t, i);

			v->nl = 0;
			if (v->sources == 0)
				continue;
			if (v->sources < DC_HLL_M / 8) {
				v->list = dc_malloc(v->sources * 8);
			} else {
				v->tmp = dc_malloc(sizeof(struct dc_hll));
				dc_hll_reset(v->tmp);
			}
		}
		for (uint64_t i = 0; d->sig_pairs.t && i < d->sig_pairs.t->used; i++) {
			const struct sig_pair *p = (const struct sig_pair *)dc_table_nth(d->sig_pairs.t, i);
			unsigned cc[2] = {SIG_ALLCC, p->country};

			for (unsigned j = 0; j < 2; j++) {
				uint64_t key = SIG_KEY(p->id, cc[j]);
				struct sig_set *v = (struct sig_set *)dc_table_lookup(t, &key, dc_table_hash(t, &key));

				if (v && v->list && v->nl < v->sources)
					v->list[v->nl++] = p->hash;
				else if (v && v->tmp)
					dc_hll_add(v->tmp, p->hash);
			}
		}
	}
	for (uint64_t i = 0; i < t->used && rc == 0; i++) {
		struct sig_set *v = (struct sig_set *)dc_table_nth(t, i);
		unsigned cc = (unsigned)(v->key & 0xffff);
		char kind[24], buf[3];
		const char *ccs = cc == SIG_ALLCC ? "*" : cc_label((uint16_t)cc, buf);
		const void *blob = NULL;
		int n = 0;

		snprintf(kind, sizeof(kind), "sig:%u", (unsigned)(v->key >> 16));
		if (v->list) {
			blob = v->list;
			n = (int)(v->nl * 8);
		} else if (v->tmp) {
			blob = v->tmp->reg;
			n = (int)DC_HLL_M;
		} else if (d->sig_estimated && v->hll) {
			blob = v->hll->reg;
			n = (int)DC_HLL_M;
		}
		if (blob)
			rc = run(s, "INSERT OR REPLACE INTO day_sketches VALUES (?, ?, ?, ?)", "tttb", d->name, ccs,
				 kind, blob, n);
	}
	for (uint64_t i = 0; i < t->used; i++) {
		struct sig_set *v = (struct sig_set *)dc_table_nth(t, i);

		dc_free(v->list);
		dc_free(v->tmp);
		v->list = NULL;
		v->tmp = NULL;
	}
	return rc;
}

/* An interval's signature rows; the day's sets already hold its sources. */
static int
write_sig_rows(struct dc_store *s, const struct dc_store_iv *iv)
{
	struct day *d = &s->day;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < iv->n_sig; i++) {
		const struct dc_store_sig *x = &iv->sig[i];
		char name[sizeof(x->name) + 1], family[sizeof(x->family) + 1];

		if (x->packets == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(x->name), x->name);
		snprintf(family, sizeof(family), "%.*s", (int)sizeof(x->family), x->family);
		rc = run(s, "INSERT OR REPLACE INTO interval_signatures VALUES (?, ?, ?, ?)", "iiii", iv->start,
			 (uint64_t)x->id, x->packets, x->sources);
		if (rc == 0)
			rc = run(s, "INSERT INTO day_signatures VALUES (?,?,?,?,?,?,?) ON CONFLICT (day, sig_id) "
				 "DO UPDATE SET name = excluded.name, family = excluded.family, "
				 "packets = packets + excluded.packets, sources = excluded.sources, "
				 "estimated = excluded.estimated", "tittiii", d->name, (uint64_t)x->id, name, family,
				 x->packets, sig_distinct(d, sig_set(d, x->id, SIG_ALLCC)), (uint64_t)d->sig_estimated);
	}
	for (uint32_t i = 0; rc == 0 && i < iv->n_sig_port; i++) {
		const struct dc_store_sig_port *x = &iv->sig_port[i];
		const char *proto = x->proto == 6 ? "tcp" : x->proto == 17 ? "udp" : NULL;

		if (proto == NULL || x->packets == 0)
			continue;
		rc = run(s, "INSERT INTO day_sig_ports VALUES (?, ?, ?, ?, ?) ON CONFLICT (day, sig_id, proto, port) "
			 "DO UPDATE SET packets = packets + excluded.packets", "titii", d->name, (uint64_t)x->id, proto,
			 (uint64_t)x->port, x->packets);
	}
	for (uint32_t i = 0; rc == 0 && i < iv->n_sig_cc; i++) {
		const struct dc_store_sig_cc *x = &iv->sig_cc[i];
		unsigned cc = x->country < DC_STORE_CC ? x->country : 0;
		char ccs[3];

		if (x->packets == 0)
			continue;
		rc = run(s, "INSERT INTO day_sig_countries VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, sig_id, country) "
			 "DO UPDATE SET packets = packets + excluded.packets, sources = excluded.sources, "
			 "estimated = excluded.estimated", "titiii", d->name, (uint64_t)x->id,
			 cc_label((uint16_t)cc, ccs), x->packets, sig_distinct(d, sig_set(d, x->id, cc)),
			 (uint64_t)d->sig_estimated);
	}
	return rc;
}

/* A day that already has rows (darkcap restarted within it): additive
 * counters go on adding in SQL; the distinct sets start again from the
 * sketches written so far, so the day's distinct counts become estimates
 * (the signature sets likewise, when the day has signature rows). */
static int
day_restore(struct dc_store *s)
{
	struct day *d = &s->day;
	sqlite3_stmt *st;
	int found = 0, sig_found = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT country, kind, registers FROM day_sketches WHERE day = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return dc_err(EIO, "store %s: %s", s->path, sqlite3_errmsg(s->db));
	sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cc = (const char *)sqlite3_column_text(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const uint8_t *b = sqlite3_column_blob(st, 2);
		int n = sqlite3_column_bytes(st, 2);
		unsigned c = ALLCC, k;

		if (cc && strcmp(cc, "*") != 0)
			c = dc_cc_index(cc); /* "??" is 0, unknown */
		if (kind && strncmp(kind, "sig:", 4) == 0) {
			char *end;
			unsigned long long id = strtoull(kind + 4, &end, 10);

			if (end == kind + 4 || *end || id > UINT32_MAX || c > ALLCC || b == NULL)
				continue;
			hll_absorb(sig_hll(sig_set(d, (uint32_t)id, c == ALLCC ? SIG_ALLCC : c)), b, n);
			sig_found = 1;
			continue;
		}
		for (k = 0; k < K__MAX && kind && strcmp(kind, kind_name[k]); k++)
			;
		if (c > ALLCC || k == K__MAX || b == NULL)
			continue;
		hll_absorb(hll(d, c, k), b, n);
		found = 1;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM day_signatures WHERE day = ? LIMIT 1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
		sig_found |= sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (sig_found) {
		d->sig_estimated = 1;
		slog(s, DC_STORE_LOG_NOTICE, "%s: day %s already has signature data (a restart): its signature distinct sources are estimated from here on",
		     s->path, d->name);
	}
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM day_totals WHERE day = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
		found |= sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (found) {
		d->estimated = 1;
		slog(s, DC_STORE_LOG_NOTICE, "%s: day %s already has data (a restart): its distinct sources are estimated from here on",
		       s->path, d->name);
	}
	return 0;
}

/* Write the sketches of the open day: a list of hashes while a set is
 * small and exact, the registers otherwise. */
static int
day_sketches(struct dc_store *s)
{
	struct day *d = &s->day;
	uint64_t *lists[DC_STORE_CC + 1][K__MAX];
	uint32_t nl[DC_STORE_CC + 1][K__MAX];
	int rc = 0;

	memset(nl, 0, sizeof(nl));
	memset(lists, 0, sizeof(lists));
	if (!d->estimated) {
		for (uint64_t i = 0; d->srcs.t && i < d->srcs.t->used; i++) {
			const struct day_src *v = (const struct day_src *)dc_table_nth(d->srcs.t, i);
			uint64_t h = dc_hash_nh(&v->key, sizeof(v->key), dc_hash_fixed_nh);

			for (unsigned k = 0; k < K__MAX; k++) {
				if (!(v->kinds & (1u << k)))
					continue;
				for (unsigned c = v->country; ; c = ALLCC) {
					if (d->cnt[c][k] < DC_HLL_M / 8) {
						if (lists[c][k] == NULL)
							lists[c][k] = dc_malloc(d->cnt[c][k] * 8);
						lists[c][k][nl[c][k]++] = h;
					}
					if (c == ALLCC)
						break;
				}
			}
		}
	}
	for (unsigned c = 0; c <= ALLCC && rc == 0; c++) {
		char buf[3];
		const char *ccs = c == ALLCC ? "*" : cc_label((uint16_t)c, buf);

		for (unsigned k = 0; k < K__MAX && rc == 0; k++) {
			if (lists[c][k])
				rc = run(s, "INSERT OR REPLACE INTO day_sketches VALUES (?, ?, ?, ?)", "tttb",
					 d->name, ccs, kind_name[k], lists[c][k], (int)(nl[c][k] * 8));
			else if (d->hll[c][k] && (d->estimated || d->cnt[c][k]))
				rc = run(s, "INSERT OR REPLACE INTO day_sketches VALUES (?, ?, ?, ?)", "tttb",
					 d->name, ccs, kind_name[k], d->hll[c][k]->reg, (int)DC_HLL_M);
			dc_free(lists[c][k]);
		}
	}
	if (rc == 0)
		rc = sig_sketches(s);
	return rc;
}

/* ---- one interval ------------------------------------------------------- */

static void
fmt_ports(const struct day_fp *f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < f->nports && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%u", i ? " " : "", f->ports[i]);
	if (f->more && n < size)
		snprintf(buf + n, size - n, "%s+", n ? " " : "");
}

static void
fp_add_port(struct day_fp *f, uint16_t port)
{
	for (unsigned i = 0; i < f->nports; i++)
		if (f->ports[i] == port)
			return;
	if (f->nports < 8)
		f->ports[f->nports++] = port;
	else
		f->more = 1;
}

static int
write_day_rows(struct dc_store *s, const struct dc_store_iv *iv)
{
	struct day *d = &s->day;
	char ccs[3], addr[64], ports[64];
	int rc = 0;

	/* countries touched by this interval: packets added, distinct set */
	for (unsigned c = 0; c < DC_STORE_CC && rc == 0; c++) {
		const uint64_t *v = iv->cc[c];

		if (!d->touched[c] && v[DC_STC_PACKETS] == 0)
			continue;
		rc = run(s, "INSERT INTO day_countries VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
			 "ON CONFLICT (day, country) DO UPDATE SET packets = packets + excluded.packets, "
			 "bytes = bytes + excluded.bytes, sources = excluded.sources, mirai = mirai + excluded.mirai, "
			 "mirai_sources = excluded.mirai_sources, zmap = zmap + excluded.zmap, "
			 "zmap_sources = excluded.zmap_sources, masscan = masscan + excluded.masscan, "
			 "masscan_sources = excluded.masscan_sources, estimated = excluded.estimated",
			 "ttiiiiiiiiii", d->name, cc_label((uint16_t)c, ccs), v[DC_STC_PACKETS], v[DC_STC_BYTES],
			 distinct(d, c, K_ALL), v[DC_STC_MIRAI], distinct(d, c, K_MIRAI), v[DC_STC_ZMAP],
			 distinct(d, c, K_ZMAP), v[DC_STC_MASSCAN], distinct(d, c, K_MASSCAN),
			 (uint64_t)d->estimated);
		d->touched[c] = 0;
	}
	if (rc == 0)
		rc = run(s, "INSERT INTO day_totals VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
			 "ON CONFLICT (day) DO UPDATE SET packets = packets + excluded.packets, "
			 "bytes = bytes + excluded.bytes, sources = excluded.sources, mirai = mirai + excluded.mirai, "
			 "mirai_sources = excluded.mirai_sources, zmap = zmap + excluded.zmap, "
			 "zmap_sources = excluded.zmap_sources, masscan = masscan + excluded.masscan, "
			 "masscan_sources = excluded.masscan_sources, estimated = excluded.estimated, "
			 "complete = excluded.complete",
			 "tiiiiiiiiiii", d->name, iv->c[DC_ST_PACKETS], iv->c[DC_ST_BYTES],
			 distinct(d, ALLCC, K_ALL), iv->c[DC_ST_MIRAI], distinct(d, ALLCC, K_MIRAI),
			 iv->c[DC_ST_ZMAP], distinct(d, ALLCC, K_ZMAP), iv->c[DC_ST_MASSCAN],
			 distinct(d, ALLCC, K_MASSCAN), (uint64_t)d->estimated, (uint64_t)0);
	/* fingerprint sources changed by this interval */
	for (uint64_t i = 0; rc == 0 && d->fps.t && i < d->fps.t->used; i++) {
		struct day_fp *f = (struct day_fp *)dc_table_nth(d->fps.t, i);

		if (!f->dirty)
			continue;
		f->dirty = 0;
		dc_addr_format(&f->key, addr, sizeof(addr));
		fmt_ports(f, ports, sizeof(ports));
		rc = run(s, "INSERT OR REPLACE INTO day_fp_sources VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			 "tttiiiiiiit", d->name, addr, cc_label(f->country, ccs), (uint64_t)f->asn, f->packets, f->mirai,
			 f->zmap, f->masscan, (uint64_t)f->first, (uint64_t)f->last, ports);
	}
	/* the day's top ASes, rewritten */
	if (rc == 0 && d->ases.t && d->ases.t->used) {
		uint64_t n = d->ases.t->used, lim = s->o.top_asns;
		const struct day_as **v = dc_malloc(n * sizeof(*v));

		for (uint64_t i = 0; i < n; i++)
			v[i] = (const struct day_as *)dc_table_nth(d->ases.t, i);
		/* partial selection sort: lim is small */
		for (uint64_t i = 0; i < n && i < lim; i++)
			for (uint64_t j = i + 1; j < n; j++)
				if (v[j]->packets > v[i]->packets ||
				    (v[j]->packets == v[i]->packets && v[j]->asn < v[i]->asn)) {
					const struct day_as *t = v[i];

					v[i] = v[j];
					v[j] = t;
				}
		rc = run(s, "DELETE FROM day_asns WHERE day = ?", "t", d->name);
		for (uint64_t i = 0; rc == 0 && i < n && i < lim; i++)
			if (v[i]->asn) /* 0: no AS known (no AS database) */
				rc = run(s, "INSERT INTO day_asns VALUES (?,?,?,?,?,?,?)", "titiiii", d->name,
				 v[i]->asn, v[i]->org, v[i]->packets, v[i]->sources, v[i]->mirai,
				 v[i]->mirai_sources);
		dc_free(v);
	}
	return rc;
}

static int
put_interval(struct dc_store *s, const struct dc_store_iv *iv)
{
	struct day *d = &s->day;
	char day[11];
	int rc, is_new;

	dc_store_day(s, iv->start, day);
	if (exec(s, "BEGIN") != 0)
		return -1;
	if (strcmp(day, d->name) != 0) {
		/* the day before is over: its sketches; complete if this run
		 * covered it from its start */
		if (d->name[0] && (day_sketches(s) != 0 ||
				run(s, "UPDATE day_totals SET complete = ? WHERE day = ?", "it",
				    (uint64_t)d->from_start, d->name) != 0))
			goto fail;
		day_reset(s);
		memcpy(d->name, day, sizeof(day));
		d->sketch_at = iv->start;
		{
			char before[11];

			/* the day is covered from its start when its first
			 * interval starts at local midnight */
			dc_store_day(s, iv->start - 1, before);
			d->from_start = strcmp(before, day) != 0;
		}
		if (day_restore(s) != 0)
			goto fail;
	}
	d->last_end = iv->end;
	rc = run(s, "INSERT OR REPLACE INTO intervals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		 "iitiiiiiiiiiiiiiiiiiiiii", iv->start, iv->end, day, iv->c[DC_ST_PACKETS],
		 iv->c[DC_ST_BYTES], iv->c[DC_ST_NON_IP], iv->c[DC_ST_MALFORMED], iv->c[DC_ST_IPV4],
		 iv->c[DC_ST_IPV6], iv->c[DC_ST_FRAGMENTS], iv->c[DC_ST_L4_TRUNCATED],
		 iv->c[DC_ST_TCP_SYN], iv->c[DC_ST_TCP_SYNACK], iv->c[DC_ST_LATE], iv->c[DC_ST_TCP],
		 iv->c[DC_ST_UDP], iv->c[DC_ST_ICMP], iv->c[DC_ST_OTHER], iv->c[DC_ST_MIRAI],
		 iv->c[DC_ST_ZMAP], iv->c[DC_ST_MASSCAN], iv->c[DC_ST_UNIQUE_SOURCES],
		 iv->c[DC_ST_UNIQUE_DESTINATIONS], iv->c[DC_ST_TABLE_FULL]);
	for (uint32_t i = 0; rc == 0 && i < iv->n_tcp; i++)
		rc = run(s, "INSERT INTO day_ports VALUES (?, 'tcp', ?, ?) ON CONFLICT (day, proto, port) "
			 "DO UPDATE SET packets = packets + excluded.packets", "tii", day,
			 (uint64_t)iv->tcp_port[i], iv->tcp_pk[i]);
	for (uint32_t i = 0; rc == 0 && i < iv->n_udp; i++)
		rc = run(s, "INSERT INTO day_ports VALUES (?, 'udp', ?, ?) ON CONFLICT (day, proto, port) "
			 "DO UPDATE SET packets = packets + excluded.packets", "tii", day,
			 (uint64_t)iv->udp_port[i], iv->udp_pk[i]);
	for (unsigned f = 0; rc == 0 && f < 2; f++)
		for (unsigned t = 0; rc == 0 && t < 256; t++)
			if (iv->icmp_type[f][t])
				rc = run(s, "INSERT INTO day_icmp_types VALUES (?, ?, ?, ?) ON CONFLICT "
					 "(day, family, type) DO UPDATE SET packets = packets + excluded.packets",
					 "tiii", day, (uint64_t)(f ? 6 : 4), (uint64_t)t, iv->icmp_type[f][t]);
	if (rc == 0 && iv->c[DC_ST_ICMP])
		rc = run(s, "INSERT INTO day_ports VALUES (?, 'icmp', -1, ?) ON CONFLICT (day, proto, port) "
			 "DO UPDATE SET packets = packets + excluded.packets", "ti", day, iv->c[DC_ST_ICMP]);
	if (rc != 0)
		goto fail;
	/* ASes: per-packet counts */
	for (uint32_t i = 0; i < iv->n_as; i++) {
		uint64_t key = iv->as[i].asn;
		struct day_as *a = (struct day_as *)dc_cmap_upsert(&d->ases, &key, &is_new);

		a->asn = key;
		a->packets += iv->as[i].packets;
		a->mirai += iv->as[i].mirai;
		if (iv->as[i].org[0])
			snprintf(a->org, sizeof(a->org), "%s", iv->as[i].org);
	}
	/* sources: the day's distinct sets, fingerprint records */
	for (uint64_t i = 0; i < iv->n_src; i++) {
		const struct dc_store_src *x = &iv->src[i];
		struct dc_addr_key key;
		struct day_src *v;
		uint8_t kinds = 1u << K_ALL;
		uint64_t h;
		unsigned c;

		memset(&key, 0, sizeof(key));
		memcpy(key.addr, x->addr, 16);
		key.family = x->family;
		kinds |= (x->mirai ? 1u << K_MIRAI : 0) | (x->zmap ? 1u << K_ZMAP : 0) |
			 (x->masscan ? 1u << K_MASSCAN : 0);
		h = dc_hash_nh(&key, sizeof(key), dc_hash_fixed_nh);
		if (!d->estimated && dc_cmap_count(&d->srcs) >= s->o.exact_max) {
			d->estimated = 1;
			slog(s, DC_STORE_LOG_NOTICE, "%s: day %s passed %lu distinct sources: counts estimated from here on",
			       s->path, d->name, (unsigned long)s->o.exact_max);
			dc_cmap_free(&d->srcs);
		}
		v = NULL;
		if (!d->estimated) {
			v = (struct day_src *)dc_cmap_upsert(&d->srcs, &key, &is_new);
			if (is_new) {
				v->key = key;
				v->country = x->country < DC_STORE_CC ? x->country : 0;
				v->asn = x->asn;
			}
		}
		c = v ? v->country : (x->country < DC_STORE_CC ? x->country : 0);
		for (unsigned k = 0; k < K__MAX; k++) {
			if (!(kinds & (1u << k)))
				continue;
			dc_hll_add(hll(d, c, k), h);
			dc_hll_add(hll(d, ALLCC, k), h);
			if (v && !(v->kinds & (1u << k))) {
				v->kinds |= (uint8_t)(1u << k);
				d->cnt[c][k]++;
				d->cnt[ALLCC][k]++;
				if (k == K_ALL || k == K_MIRAI) {
					uint64_t ak = v->asn;
					struct day_as *a = (struct day_as *)dc_cmap_upsert(&d->ases, &ak, &is_new);

					a->asn = ak;
					if (k == K_ALL)
						a->sources++;
					else
						a->mirai_sources++;
				}
			}
		}
		d->touched[c] = 1;
		if (kinds != (1u << K_ALL)) {
			struct day_fp *f = (struct day_fp *)dc_cmap_upsert(&d->fps, &key, &is_new);

			if (is_new) {
				f->key = key;
				f->country = (uint16_t)c;
				f->asn = x->asn;
				f->first = x->first;
			}
			if (x->first < f->first)
				f->first = x->first;
			if (x->last > f->last)
				f->last = x->last;
			f->packets += x->packets;
			f->mirai += x->mirai;
			f->zmap += x->zmap;
			f->masscan += x->masscan;
			for (unsigned p = 0; p < x->nports; p++)
				fp_add_port(f, x->ports[p]);
			f->more |= x->more;
			f->dirty = 1;
		}
	}
	sig_sources(s, iv);
	if (write_day_rows(s, iv) != 0 || write_sig_rows(s, iv) != 0)
		goto fail;
	/* checkpoint: a crash then loses at most checkpoint_s of the day's sets */
	if (s->o.checkpoint_s && iv->end >= d->sketch_at + s->o.checkpoint_s) {
		if (day_sketches(s) != 0)
			goto fail;
		d->sketch_at = iv->end;
	}
	if (exec(s, "COMMIT") != 0)
		goto fail;
	return 0;
fail:
	slog(s, DC_STORE_LOG_ERR, "%s", dc_strerror());
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- the thread and the queue ------------------------------------------- */

static void *
writer(void *arg)
{
	struct dc_store *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct dc_store_iv *iv;
		int rc;

		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->head == NULL)
			break;
		iv = s->head;
		pthread_mutex_unlock(&s->lock);
		if (s->o.delay_ms)
			usleep(s->o.delay_ms * 1000u);
		rc = put_interval(s, iv);
		pthread_mutex_lock(&s->lock);
		s->head = iv->next;
		if (s->head == NULL)
			s->tail = NULL;
		s->nq--;
		pthread_cond_broadcast(&s->cond);
		if (rc == 0) {
			s->cnt.written++;
		} else {
			s->cnt.errors++;
			s->cnt.dropped++;
		}
		pthread_mutex_unlock(&s->lock);
		dc_store_iv_free(iv);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int
dc_store_put(struct dc_store *s, struct dc_store_iv *iv, int wait)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	while (wait && s->nq >= s->o.queue_max)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->nq >= 2ull * s->o.queue_max) {
		s->cnt.dropped++;
		pthread_mutex_unlock(&s->lock);
		slog(s, DC_STORE_LOG_WARNING, "%s: writer %lu intervals behind: interval %lu dropped (store_dropped counts it)",
		       s->path, (unsigned long)s->nq, (unsigned long)iv->start);
		dc_store_iv_free(iv);
		return -1;
	}
	if (s->nq >= s->o.queue_max) {
		s->cnt.delayed++;
		rc = 1;
	}
	iv->next = NULL;
	if (s->tail)
		s->tail->next = iv;
	else
		s->head = iv;
	s->tail = iv;
	s->nq++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
dc_store_flush(struct dc_store *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->nq)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void
dc_store_counts(struct dc_store *s, struct dc_store_counts *c)
{
	pthread_mutex_lock(&s->lock);
	*c = s->cnt;
	c->queued = s->nq;
	pthread_mutex_unlock(&s->lock);
}

/* ---- open, schema, close ------------------------------------------------ */

static int
schema(struct dc_store *s)
{
	sqlite3_stmt *st;
	long have = 0;
	char v[32];

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			have = strtol((const char *)sqlite3_column_text(st, 0), NULL, 10);
		sqlite3_finalize(st);
	}
	if (have > DC_STORE_SCHEMA_VERSION)
		return dc_err(EPROTO, "store %s: schema version %ld is newer than this darkcap's %d",
			      s->path, have, DC_STORE_SCHEMA_VERSION);
	if (have >= 1) {
		/* the same zone, or days would not line up */
		if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'timezone'", -1, &st,
				       NULL) == SQLITE_OK) {
			int same = sqlite3_step(st) == SQLITE_ROW &&
				   strcmp((const char *)sqlite3_column_text(st, 0), s->o.timezone) == 0;

			sqlite3_finalize(st);
			if (!same)
				return dc_err(EINVAL, "store %s: written with another time zone than store_timezone = %s",
					      s->path, s->o.timezone);
		}
		if (have == DC_STORE_SCHEMA_VERSION)
			return 0;
	}
	/*
	 * Every step is additive, so the schema script (CREATE ... IF NOT
	 * EXISTS) takes any older version to the newest in one transaction:
	 * 0 (new file) -> everything; 1 -> 2 adds day_icmp_types; 2 -> 3 adds
	 * the signature tables (a version-1 store gets both steps at once).
	 */
	if (exec(s, "BEGIN") != 0 || exec(s, dc_store_schema_sql) != 0)
		return -1;
	snprintf(v, sizeof(v), "%d", DC_STORE_SCHEMA_VERSION);
	if (have >= 1) {
		char from[32];

		snprintf(from, sizeof(from), "%ld", have);
		if (run(s, "INSERT OR REPLACE INTO meta VALUES ('migrated_from', ? || ' ' || "
			   "strftime('%Y-%m-%dT%H:%M:%SZ','now'))", "t", from) ||
		    run(s, "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", "t", v) ||
		    exec(s, "COMMIT") != 0)
			return -1;
		slog(s, DC_STORE_LOG_NOTICE, "store %s: schema migrated from version %ld to %d", s->path,
		     have, DC_STORE_SCHEMA_VERSION);
		return 0;
	}
	if (run(s, "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", "t", v) ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('sensor', ?)", "t", s->o.sensor) ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('timezone', ?)", "t", s->o.timezone) ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('hll_precision', ?)", "t", "14") ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('darkcap_version', ?)", "t", s->o.version) ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('interval_s', ?)", "i", (uint64_t)s->o.interval_s) ||
	    run(s, "INSERT OR REPLACE INTO meta VALUES ('created_utc', strftime('%Y-%m-%dT%H:%M:%SZ','now'))", "") ||
	    exec(s, "COMMIT") != 0)
		return -1;
	return 0;
}

int
dc_store_open(const struct dc_store_opts *o, struct dc_store **out)
{
	struct dc_store *s = dc_calloc(1, sizeof(*s));
	sqlite3_stmt *st;
	char *msg = NULL;

	*out = NULL;
	s->o = *o;
	s->path = dc_strdup(o->path);
	{
		/* tzset() falls back to UTC without a word for a zone it does
		 * not know: check that the zone exists first */
		char zf[512];

		snprintf(zf, sizeof(zf), "/usr/share/zoneinfo/%s", o->timezone);
		if (strcmp(o->timezone, "UTC") != 0 &&
		    (strstr(o->timezone, "..") || access(zf, R_OK) != 0)) {
			dc_free(s->path);
			dc_free(s);
			return dc_err(EINVAL, "store_timezone %s: unknown time zone (no %s; e.g. UTC, Asia/Tokyo)",
				      o->timezone, zf);
		}
	}
	if (setenv("TZ", o->timezone, 1) != 0) {
		dc_free(s->path);
		dc_free(s);
		return dc_err(EINVAL, "store_timezone %s: cannot set", o->timezone);
	}
	tzset();
	if (sqlite3_open_v2(o->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		dc_err(EIO, "store %s: cannot open: %s", o->path, s->db ? sqlite3_errmsg(s->db) : "no memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* a file that is not a database fails on its first read */
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		dc_err(EINVAL, "store %s: not a darkcap store (%s)", o->path, sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK) {
		dc_err(EIO, "store %s: %s", o->path, msg ? msg : "cannot set WAL mode");
		sqlite3_free(msg);
		goto fail;
	}
	if (schema(s) != 0)
		goto fail;
	dc_cmap_init(&s->day.srcs, sizeof(struct dc_addr_key), sizeof(struct day_src), 0x5702E);
	dc_cmap_init(&s->day.fps, sizeof(struct dc_addr_key), sizeof(struct day_fp), 0x5702F);
	dc_cmap_init(&s->day.ases, 8, sizeof(struct day_as), 0x57030);
	dc_cmap_init(&s->day.sig_pairs, SIG_PAIR_KEY, sizeof(struct sig_pair), 0x57031);
	dc_cmap_init(&s->day.sig_sets, 8, sizeof(struct sig_set), 0x57032);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, writer, s) != 0) {
		dc_err(EAGAIN, "store %s: cannot start its thread", o->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->db)
		sqlite3_close(s->db);
	dc_free(s->path);
	dc_free(s);
	return -1;
}

void
dc_store_close(struct dc_store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->day.name[0]) {
		/* the open day: its sketches; complete only if it was covered */
		char end[11];

		dc_store_day(s, s->day.last_end, end);
		if (exec(s, "BEGIN") == 0 && day_sketches(s) == 0 &&
		    run(s, "UPDATE day_totals SET complete = ? WHERE day = ?", "it",
			(uint64_t)(s->day.from_start && strcmp(end, s->day.name) != 0), s->day.name) == 0)
			exec(s, "COMMIT");
		else
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	slog(s, DC_STORE_LOG_NOTICE, "%s: %lu intervals written, %lu delayed, %lu dropped", s->path,
	       (unsigned long)s->cnt.written, (unsigned long)s->cnt.delayed, (unsigned long)s->cnt.dropped);
	sqlite3_close(s->db);
	dc_cmap_free(&s->day.srcs);
	dc_cmap_free(&s->day.fps);
	dc_cmap_free(&s->day.ases);
	for (uint64_t i = 0; s->day.sig_sets.t && i < s->day.sig_sets.t->used; i++)
		dc_free(((struct sig_set *)dc_table_nth(s->day.sig_sets.t, i))->hll);
	dc_cmap_free(&s->day.sig_sets);
	dc_cmap_free(&s->day.sig_pairs);
	for (unsigned c = 0; c <= DC_STORE_CC; c++)
		for (unsigned k = 0; k < K__MAX; k++)
			dc_free(s->day.hll[c][k]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	dc_free(s->path);
	dc_free(s);
}
