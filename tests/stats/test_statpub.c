/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's statistics-segment writer (app/darkcap/stats.c), driven the
 * way the control core drives it, without EAL, ports or workers: the
 * payload-signature rows and scan counters read back through
 * libdarkcap-stats and compared with sums this test keeps itself.
 *
 * - rows are given to ids as they appear and kept; the total stays with
 *   the id; the interval values are those of the last call only;
 * - a rename (and a new family) shows at the next publish, with the same
 *   row and total; an entry with 0 packets carries a rename and gives a
 *   row;
 * - an interval without dc_statpub_signatures() publishes zeros for the
 *   interval and keeps the totals;
 * - counts kept for an interval are not in the segment before the publish
 *   of that interval;
 * - more ids than rows: the rest counted in signature_overflow_packets;
 * - with signatures off, no signature metric at all.
 *
 * No EAL: rte_get_timer_hz() is 0, so every dc_statpub_publish() publishes
 * at once (the 100 ms rate limit is out of the picture).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkcap.h"
#include "dc_stats.h"
#include "dc_test.h"

#define ROWS 1024

/* stats.c reads the ports' counters at each publish; this test has none. */
void
dc_port_stats(struct dc_engine *eng, unsigned i, struct dc_port_counts *out)
{
	(void)eng;
	(void)i;
	memset(out, 0, sizeof(*out));
}

struct dc_engine dc_eng;

static char g_path[512];
static struct dc_counters *g_a, *g_total;

/* ---- the model: what the segment must say -------------------------------- */

struct mrow {
	uint32_t id;
	char name[64], family[64];
	uint64_t total, ipk, isrc;
};

struct model {
	struct mrow row[ROWS];
	unsigned rows;
	uint64_t scan_t[3], scan_i[3], over_t, over_i, rules;
};

static struct mrow *
m_row(struct model *m, uint32_t id)
{
	for (unsigned i = 0; i < m->rows; i++)
		if (m->row[i].id == id)
			return &m->row[i];
	if (m->rows == ROWS)
		return NULL;
	m->row[m->rows].id = id;
	return &m->row[m->rows++];
}

/* One interval: the call stats.c gets (@call 1; 2: the caller made it; 0:
 * none), the same applied to the model, and the interval's publish. */
static void
interval(struct dc_engine *eng, struct model *m, const struct dc_statpub_sig *v, unsigned n,
	 uint64_t payload, uint64_t bytes, uint64_t matched, uint32_t rules, int call)
{
	static uint64_t t = 1700000000;
	const uint64_t uniq[3] = {0}, full[DC_TFULL__MAX] = {0};

	for (unsigned i = 0; i < m->rows; i++)
		m->row[i].ipk = m->row[i].isrc = 0;
	m->over_i = 0;
	memset(m->scan_i, 0, sizeof(m->scan_i));
	if (call) {
		const uint64_t s[3] = {payload, bytes, matched};

		if (call == 1) /* 2: the test made the call itself */
			dc_statpub_signatures(eng->stats, v, n, payload, bytes, matched, rules);
		for (unsigned i = 0; i < n; i++) {
			struct mrow *r = m_row(m, v[i].id);

			if (r == NULL) {
				m->over_i += v[i].packets;
				m->over_t += v[i].packets;
				continue;
			}
			r->ipk += v[i].packets;
			r->isrc += v[i].sources;
			r->total += v[i].packets;
			snprintf(r->name, sizeof(r->name), "%.63s", v[i].name ? v[i].name : "");
			snprintf(r->family, sizeof(r->family), "%.63s", v[i].family ? v[i].family : "");
		}
		for (unsigned i = 0; i < 3; i++) {
			m->scan_i[i] = s[i];
			m->scan_t[i] += s[i];
		}
		m->rules = rules;
	}
	g_a->start = t;
	g_a->end = t + 60;
	g_total->start = 1700000000;
	g_total->end = t + 60;
	t += 60;
	dc_statpub_publish(eng, g_a, g_total, uniq, full, false);
}

static const struct dc_stats_metric *
need(struct dc_stats_reader *r, unsigned scope, const char *name)
{
	int i = dc_stats_find(r, scope, name);

	if (i < 0) {
		fprintf(stderr, "  no metric %s (scope %u)\n", name, scope);
		CHECK(0);
		return NULL;
	}
	return dc_stats_metric(r, (unsigned)i);
}

/* Every signature value of the newest snapshot against the model. */
static void
compare(struct dc_stats_reader *r, const struct model *m, const char *when)
{
	const struct dc_stats_metric *id = need(r, DC_STATS_NOW, "signature_id");
	const struct dc_stats_metric *nm = need(r, DC_STATS_NOW, "signature_name");
	const struct dc_stats_metric *fm = need(r, DC_STATS_NOW, "signature_family");
	const struct dc_stats_metric *pt = need(r, DC_STATS_TOTAL, "signature_packets");
	const struct dc_stats_metric *pi = need(r, DC_STATS_INTERVAL, "signature_packets");
	const struct dc_stats_metric *si = need(r, DC_STATS_INTERVAL, "signature_sources");
	static const char *const sn[3] = {"signature_payload_packets", "signature_scanned_bytes",
					  "signature_matched_packets"};
	unsigned bad = 0;
	void *buf;
	char lb[32], want[32];

	if (!id || !nm || !fm || !pt || !pi || !si)
		return;
	buf = malloc(dc_stats_snap_size(r));
	CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
	for (unsigned i = 0; i < ROWS; i++) {
		const struct mrow *w = i < m->rows ? &m->row[i] : &(struct mrow){0};

		snprintf(want, sizeof(want), "%u", w->id);
		dc_stats_label_at(r, buf, pt, 0, i, lb, sizeof(lb));
		if (dc_stats_u64(buf, id, i) != w->id || strcmp(lb, want) != 0 ||
		    strcmp(dc_stats_text(buf, nm, i), w->name) != 0 ||
		    strcmp(dc_stats_text(buf, fm, i), w->family) != 0 ||
		    dc_stats_u64(buf, pt, i) != w->total || dc_stats_u64(buf, pi, i) != w->ipk ||
		    dc_stats_u64(buf, si, i) != w->isrc ||
		    dc_stats_elem_used(r, buf, pt, i) != (w->id != 0)) {
			if (bad++ < 4)
				fprintf(stderr, "  %s: row %u: id %llu (%s) '%s' '%s' total %llu interval %llu sources %llu;"
					" want %u '%s' '%s' %llu %llu %llu\n", when, i,
					(unsigned long long)dc_stats_u64(buf, id, i), lb,
					dc_stats_text(buf, nm, i), dc_stats_text(buf, fm, i),
					(unsigned long long)dc_stats_u64(buf, pt, i),
					(unsigned long long)dc_stats_u64(buf, pi, i),
					(unsigned long long)dc_stats_u64(buf, si, i), w->id, w->name, w->family,
					(unsigned long long)w->total, (unsigned long long)w->ipk,
					(unsigned long long)w->isrc);
		}
	}
	CHECK_EQ(bad, 0);
	for (unsigned i = 0; i < 3; i++) {
		const struct dc_stats_metric *t = need(r, DC_STATS_TOTAL, sn[i]);
		const struct dc_stats_metric *v = need(r, DC_STATS_INTERVAL, sn[i]);

		if (t && v) {
			CHECK_EQ(dc_stats_u64(buf, t, 0), m->scan_t[i]);
			CHECK_EQ(dc_stats_u64(buf, v, 0), m->scan_i[i]);
		}
	}
	{
		const struct dc_stats_metric *ot = need(r, DC_STATS_TOTAL, "signature_overflow_packets");
		const struct dc_stats_metric *oi = need(r, DC_STATS_INTERVAL, "signature_overflow_packets");
		const struct dc_stats_metric *ru = need(r, DC_STATS_NOW, "signature_rules");

		if (ot && oi && ru) {
			CHECK_EQ(dc_stats_u64(buf, ot, 0), m->over_t);
			CHECK_EQ(dc_stats_u64(buf, oi, 0), m->over_i);
			CHECK_EQ(dc_stats_u64(buf, ru, 0), m->rules);
		}
	}
	free(buf);
}

static struct dc_engine *
engine(int sigs)
{
	struct dc_engine *eng = calloc(1, sizeof(*eng));

	eng->cfg.stats_path = g_path;
	eng->cfg.interval = 60;
	eng->sig = sigs ? (struct dc_sig_view *)(uintptr_t)1 : NULL; /* opaque: on */
	return eng;
}

static void
t_rows(void)
{
	struct dc_engine *eng = engine(1);
	struct model *m = calloc(1, sizeof(*m));
	struct dc_stats_reader *r = NULL;

	CHECK_EQ(dc_statpub_open(eng), 0);
	CHECK(eng->stats != NULL);
	CHECK_EQ(dc_stats_open(g_path, &r), 0);
	if (r == NULL || eng->stats == NULL)
		return;
	{
		struct dc_stats_hdr h;

		dc_stats_header(r, &h);
		CHECK_EQ(h.abi_minor, 1);
	}

	/* 1: two signatures */
	{
		const struct dc_statpub_sig v[] = {
			{1001, "sip-options", "sip-scan", 10, 3},
			{2003, "jaws-shell", "mirai-exploit", 5, 1},
		};

		interval(eng, m, v, 2, 100, 5000, 14, 18, 1);
		compare(r, m, "interval 1");
	}
	/* 2: 1001 renamed (name and family), 2003 silent, 1002 new, order changed */
	{
		const struct dc_statpub_sig v[] = {
			{1002, "dns-any", "dns-amp", 7, 7},
			{1001, "sip-options-v2", "sip-scan2", 4, 2},
		};

		interval(eng, m, v, 2, 80, 4000, 11, 19, 1);
		compare(r, m, "interval 2 (rename)");
	}
	/* 3: no call: interval zeros, totals and names kept */
	interval(eng, m, NULL, 0, 0, 0, 0, 0, 0);
	compare(r, m, "interval 3 (no signature call)");
	/* 4: a zero-packet entry renames 2003 and gives 3001 a row; a name of 70 bytes */
	{
		const struct dc_statpub_sig v[] = {
			{2003, "jaws-shell-renamed", "mirai-exploit", 0, 0},
			{3001, "a-rule-name-that-is-much-longer-than-the-sixty-three-bytes-a-row-holds",
			 "fam", 0, 0},
			{1002, "dns-any", "dns-amp", 2, 1},
		};

		interval(eng, m, v, 3, 60, 3000, 2, 19, 1);
		compare(r, m, "interval 4 (zero-packet entries)");
	}
	/* 5: counts kept for an interval are published with it, not with an earlier one */
	{
		const struct dc_statpub_sig v[] = {{1001, "sip-options-v2", "sip-scan2", 9, 4}};
		void *buf = malloc(dc_stats_snap_size(r));
		const struct dc_stats_metric *pi = need(r, DC_STATS_INTERVAL, "signature_packets");

		dc_statpub_signatures(eng->stats, v, 1, 1, 1, 1, 19);
		dc_statpub_beat(eng); /* nothing staged: no publish */
		CHECK_EQ(dc_stats_read(r, buf, NULL), 0);
		if (pi)
			CHECK_EQ(dc_stats_u64(buf, pi, 0), 0); /* interval 4's value of row 0 (1001) */
		free(buf);
		/* published with their own interval */
		interval(eng, m, v, 1, 1, 1, 1, 19, 2);
		compare(r, m, "interval 5");
	}
	/* 6: more ids than rows: 1024 rows, the rest overflow */
	{
		struct dc_statpub_sig *v = calloc(1100, sizeof(*v));
		char (*names)[24] = calloc(1100, sizeof(*names));

		for (unsigned i = 0; i < 1100; i++) {
			snprintf(names[i], sizeof(names[i]), "sig-%u", 5000 + i);
			v[i] = (struct dc_statpub_sig){5000 + i, names[i], "bulk", i + 1, 1};
		}
		interval(eng, m, v, 1100, 1100, 1100 * 64, 1100, 1100, 1);
		compare(r, m, "interval 6 (overflow)");
		CHECK_EQ(m->rows, ROWS);
		CHECK(m->over_i > 0);
		interval(eng, m, v, 1100, 1100, 1100 * 64, 1100, 1100, 1);
		compare(r, m, "interval 7 (overflow again)");
		free(v);
		free(names);
	}
	dc_stats_close(r);
	dc_statpub_close(eng);
	CHECK(eng->stats == NULL);
	CHECK_EQ(dc_stats_open(g_path, &r), 0);
	if (r) {
		compare(r, m, "after close");
		CHECK_EQ(dc_stats_liveness(r, 0, NULL), DC_STATS_IS_STOPPED);
		dc_stats_close(r);
	}
	free(m);
	free(eng);
}

static void
t_off(void)
{
	struct dc_engine *eng = engine(0);
	struct dc_stats_reader *r = NULL;
	const struct dc_statpub_sig v[] = {{1001, "sip-options", "sip-scan", 10, 3}};
	const uint64_t uniq[3] = {0}, full[DC_TFULL__MAX] = {0};

	CHECK_EQ(dc_statpub_open(eng), 0);
	dc_statpub_signatures(eng->stats, v, 1, 1, 1, 1, 1); /* ignored */
	dc_statpub_signatures(NULL, v, 1, 1, 1, 1, 1);
	dc_statpub_publish(eng, g_a, g_total, uniq, full, false);
	CHECK_EQ(dc_stats_open(g_path, &r), 0);
	if (r) {
		for (unsigned i = 0; i < dc_stats_n_metrics(r); i++)
			CHECK(strncmp(dc_stats_metric(r, i)->name, "signature", 9) != 0);
		CHECK(dc_stats_find(r, DC_STATS_TOTAL, "packets") >= 0);
		dc_stats_close(r);
	}
	dc_statpub_close(eng);
	free(eng);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"signature rows: ids, renames, intervals, overflow", t_rows},
		{"signatures off: no signature metric", t_off},
	};
	const char *t = getenv("TMPDIR");
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(g_path, sizeof(g_path), "%s/dc_statpub_test.%ld.stats", t && *t ? t : "/tmp",
		 (long)getpid());
	g_a = calloc(1, sizeof(*g_a));
	g_total = calloc(1, sizeof(*g_total));
	rc = dc_test_run("statpub", cases, sizeof(cases) / sizeof(cases[0]));
	unlink(g_path);
	free(g_a);
	free(g_total);
	return rc;
}
