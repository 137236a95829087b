/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core: takes the workers' closed interval blocks, merges the
 * blocks of one interval, and writes the interval's JSON record once every
 * worker has moved past it. Runs on the main lcore; never touches a
 * worker's open block.
 *
 * Records come out in time order and contiguous: an interval in which no
 * worker saw a packet between two that did gets a record of zeros, so a
 * missing line always means the engine was not running.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"
#include "dc_mem.h"
#include "dc_sbuf.h"

/* Longest run of empty intervals written as zero records (about 7 days at
 * 60 s); a longer hole (a clock jump in a capture) is logged instead. */
#define DC_MAX_ZERO_RUN 10080

struct ctl {
	struct dc_engine *eng;
	int fd;
	struct dc_counters **pend;  /* open intervals, sorted by start */
	unsigned npend;
	struct dc_counters *spare;  /* reused aggregates */
	struct dc_counters *zero;
	struct dc_counters *total;  /* everything since start */
	uint64_t next_start;        /* start the next record must have; 0 = none yet */
	uint64_t records;
	struct dc_sbuf sb;
};

static struct dc_counters *
agg_new(struct ctl *c)
{
	struct dc_counters *a = c->spare;

	if (a) {
		c->spare = NULL;
	} else {
		a = dc_malloc(sizeof(*a));
	}
	memset(a, 0, sizeof(*a));
	return a;
}

static void
agg_put(struct ctl *c, struct dc_counters *a)
{
	if (c->spare == NULL)
		c->spare = a;
	else
		dc_free(a);
}

/* Merge one worker block into the open interval with the same start. */
static void
ctl_merge(struct ctl *c, const struct dc_counters *blk)
{
	unsigned i;

	for (i = 0; i < c->npend && c->pend[i]->start < blk->start; i++)
		;
	if (i == c->npend || c->pend[i]->start != blk->start) {
		memmove(&c->pend[i + 1], &c->pend[i], (c->npend - i) * sizeof(c->pend[0]));
		c->pend[i] = agg_new(c);
		c->npend++;
	}
	dc_counters_merge(c->pend[i], blk);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
ctl_summary(const struct dc_counters *a)
{
	char when[32];
	time_t t = (time_t)a->start;
	struct tm tm;
	unsigned best[3] = {0, 0, 0}, i, k;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	for (i = 1; i < 65536; i++)
		for (k = 0; k < 3; k++)
			if (a->tcp_dport[i] > a->tcp_dport[best[k]]) {
				memmove(&best[k + 1], &best[k], (2 - k) * sizeof(best[0]));
				best[k] = i;
				break;
			}
	printf("%s UTC  %8" PRIu64 " pkts  syn %7" PRIu64 "  mirai %6" PRIu64 "  zmap %5" PRIu64
	       "  masscan %5" PRIu64 "  v6 %5" PRIu64 "  malformed %4" PRIu64 "  top tcp:",
	       when, a->c[DC_CNT_PACKETS], a->c[DC_CNT_TCP_SYN], a->c[DC_CNT_MIRAI],
	       a->c[DC_CNT_ZMAP], a->c[DC_CNT_MASSCAN], a->c[DC_CNT_IPV6],
	       a->c[DC_CNT_MALFORMED]);
	for (k = 0; k < 3; k++)
		if (a->tcp_dport[best[k]])
			printf(" %u(%" PRIu64 ")", best[k], a->tcp_dport[best[k]]);
	printf("\n");
	fflush(stdout);
}

static int
ctl_write(struct ctl *c, const struct dc_counters *a)
{
	struct dc_engine *eng = c->eng;

	dc_sbuf_reset(&c->sb);
	dc_sbuf_add(&c->sb, "{", 1);
	dc_counters_json(a, &c->sb);
	dc_port_stats_json(eng, &c->sb);
	dc_sbuf_printf(&c->sb, ",\"workers\":%u}\n", a->nsrc);
	if (write_all(c->fd, c->sb.buf, c->sb.len) != 0)
		return dc_err(errno, "%s: write failed: %s", eng->cfg.output, strerror(errno));
	c->records++;
	if (eng->cfg.summary == DC_ON)
		ctl_summary(a);
	return 0;
}

/* Write the record of @a, preceded by zero records for any hole before it. */
static int
ctl_emit(struct ctl *c, struct dc_counters *a)
{
	uint64_t iv = c->eng->cfg.interval;

	if (c->next_start && a->start > c->next_start) {
		uint64_t holes = (a->start - c->next_start) / iv;

		if (holes > DC_MAX_ZERO_RUN) {
			DC_LOG(WARNING, ctrl, "no packet for %" PRIu64 " intervals (%" PRIu64 " to %" PRIu64 "): hole not written as zero records",
			       holes, c->next_start, a->start);
		} else {
			for (uint64_t s = c->next_start; s < a->start; s += iv) {
				dc_counters_reset(c->zero, s, s + iv);
				if (ctl_write(c, c->zero) != 0)
					return -1;
			}
		}
	}
	if (ctl_write(c, a) != 0)
		return -1;
	dc_counters_merge(c->total, a);
	if (a->end > c->next_start)
		c->next_start = a->end;
	return 0;
}

/* One pass: drain the workers' rings, write every interval all workers
 * have passed. Returns the number of blocks taken, or -1 on a write error. */
static int
ctl_pass(struct ctl *c)
{
	struct dc_engine *eng = c->eng;
	uint64_t minwm = UINT64_MAX, wm[RTE_MAX_LCORE];
	unsigned i, taken = 0;
	struct dc_counters *blk;

	/* Watermarks first: every block before a watermark is then in its ring. */
	for (i = 0; i < eng->nb_workers; i++) {
		wm[i] = __atomic_load_n(&eng->workers[i]->watermark, __ATOMIC_ACQUIRE);
		if (wm[i] < minwm)
			minwm = wm[i];
	}
	for (i = 0; i < eng->nb_workers; i++) {
		struct dc_worker *w = eng->workers[i];

		/* Too many open intervals: only the slowest workers may add. */
		if (c->npend >= eng->cfg.max_pending && wm[i] > minwm)
			continue;
		while (rte_ring_sc_dequeue(w->full, (void **)&blk) == 0) {
			ctl_merge(c, blk);
			memset(blk, 0, sizeof(*blk));
			rte_ring_sp_enqueue(w->free, blk);
			taken++;
		}
	}
	while (c->npend && c->pend[0]->start < minwm) {
		struct dc_counters *a = c->pend[0];

		c->npend--;
		memmove(&c->pend[0], &c->pend[1], c->npend * sizeof(c->pend[0]));
		if (ctl_emit(c, a) != 0)
			return -1;
		agg_put(c, a);
	}
	return (int)taken;
}

static bool
workers_done(const struct dc_engine *eng)
{
	for (unsigned i = 0; i < eng->nb_workers; i++)
		if (!__atomic_load_n(&eng->workers[i]->done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* End of run: NIC counters against what was counted. */
static int
ctl_account(struct ctl *c)
{
	struct dc_engine *eng = c->eng;
	uint64_t rx = 0, missed = 0, errs = 0, nombuf = 0, counted = c->total->c[DC_CNT_PACKETS];
	bool finite = true;

	for (unsigned i = 0; i < eng->nb_ports; i++) {
		struct rte_eth_stats st;

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(eng->ports[i].port_id, &st);
		DC_LOG(INFO, ctrl, "[%u] %s: received %" PRIu64 ", missed %" PRIu64 ", errors %" PRIu64 ", no_mbuf %" PRIu64,
		       eng->ports[i].port_id, eng->ports[i].name, st.ipackets, st.imissed, st.ierrors,
		       st.rx_nombuf);
		rx += st.ipackets;
		missed += st.imissed;
		errs += st.ierrors;
		nombuf += st.rx_nombuf;
		finite &= eng->ports[i].finite;
	}
	if (counted == rx) {
		DC_LOG(NOTICE, ctrl, "accounting: ports delivered %" PRIu64 " frames, intervals count %" PRIu64 " packets in %" PRIu64 " records: exact (NIC missed %" PRIu64 ", errors %" PRIu64 ", no_mbuf %" PRIu64 ")",
		       rx, counted, c->records, missed, errs, nombuf);
		return 0;
	}
	DC_LOG(ERR, ctrl, "accounting: ports delivered %" PRIu64 " frames but intervals count %" PRIu64 " packets: MISMATCH",
	       rx, counted);
	return finite ? dc_err(EPROTO, "accounting mismatch: %" PRIu64 " delivered, %" PRIu64 " counted", rx, counted) : 0;
}

int
dc_control_open(struct dc_engine *eng)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;

	if (eng->cfg.truncate == DC_ON)
		flags |= O_TRUNC;
	eng->out_fd = open(eng->cfg.output, flags, 0644);
	if (eng->out_fd < 0)
		return dc_err(errno, "output %s: cannot open: %s", eng->cfg.output, strerror(errno));
	return 0;
}

int
dc_control_run(struct dc_engine *eng)
{
	struct ctl c;
	int ret = 0, n;

	memset(&c, 0, sizeof(c));
	c.eng = eng;
	c.fd = eng->out_fd;
	c.pend = dc_calloc(eng->cfg.max_pending + (size_t)eng->nb_workers * eng->cfg.blocks + 1,
			   sizeof(*c.pend));
	c.zero = dc_malloc(sizeof(*c.zero));
	c.total = dc_calloc(1, sizeof(*c.total));

	for (;;) {
		bool done = workers_done(eng);

		n = ctl_pass(&c);
		if (n < 0) {
			ret = -1;
			dc_quit = 2;
			break;
		}
		if (done && n == 0 && c.npend == 0)
			break;
		if (n == 0)
			rte_delay_us_sleep(done ? 10 : 1000);
	}
	rte_eal_mp_wait_lcore();
	if (ret == 0)
		ret = ctl_account(&c);
	close(c.fd);
	eng->out_fd = -1;
	DC_LOG(NOTICE, ctrl, "wrote %" PRIu64 " interval records to %s", c.records, eng->cfg.output);
	for (unsigned i = 0; i < c.npend; i++)
		dc_free(c.pend[i]);
	dc_free(c.pend);
	dc_free(c.spare);
	dc_free(c.zero);
	dc_free(c.total);
	dc_sbuf_free(&c.sb);
	return ret;
}
