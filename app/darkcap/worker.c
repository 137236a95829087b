/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers: the hot path. Each worker polls its (port, queue) list, runs the
 * data path over whole bursts into its open interval block, and hands the
 * block to the control core when the interval ends. Per packet it touches
 * only its own memory: no allocation, no lock, no atomic, no system call.
 *
 * Hand-over: two single-producer/single-consumer rings per worker. `full`
 * carries closed blocks to the control core; `free` brings them back zeroed.
 * After enqueueing a block the worker stores (release) its watermark, the
 * start of its new open interval: the control core knows every interval
 * before the minimum watermark of all workers is complete.
 *
 * When no free block is back in time: a live input extends the open block
 * over the next interval (marked "extended", counted in stalls), so the
 * worker never waits; a finite input (a file) waits, since waiting loses
 * nothing there and keeps every interval exact.
 */
#include <errno.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"

/* Bytes of a multi-segment frame copied for parsing (all headers fit). */
#define DC_LINBUF 1024
/* Multi-segment frames of a burst that get a linear copy when their first
 * segment lacks bytes (only with mbufs smaller than the default's 2048-byte
 * data room, or a sig_payload_max above ~1000); later ones are parsed from
 * their first segment. */
#define DC_LIN_FRAMES 32

uint64_t
dc_wall_ns(const struct dc_engine *eng, uint64_t tsc)
{
	uint64_t d = tsc - eng->base_tsc;

	return eng->base_ns + d / eng->tsc_hz * 1000000000ull +
	       (d % eng->tsc_hz) * 1000000000ull / eng->tsc_hz;
}

/* TSC at which Unix time @sec is reached. */
static uint64_t
tsc_at(const struct dc_engine *eng, uint64_t sec)
{
	uint64_t ns = sec * 1000000000ull;

	if (ns <= eng->base_ns)
		return eng->base_tsc;
	ns -= eng->base_ns;
	return eng->base_tsc + ns / 1000000000ull * eng->tsc_hz +
	       (ns % 1000000000ull) * eng->tsc_hz / 1000000000ull;
}

static inline uint64_t
interval_of(const struct dc_worker *w, uint64_t sec)
{
	return sec - sec % w->interval;
}

/* Finite input only: the control core has not returned a block yet. Say so
 * (it then polls without sleeping) and spin. */
static inline void
worker_wait(struct dc_worker *w)
{
	if (!w->waiting)
		__atomic_store_n(&w->waiting, 1, __ATOMIC_RELAXED);
	w->waits++;
	rte_pause();
}

/*
 * A cleared block or table set from @ring. On a live input, NULL when none is
 * back yet (the caller extends the open one: never wait); on a finite input,
 * wait for it.
 */
static inline void *
worker_take(struct dc_worker *w, struct rte_ring *ring)
{
	void *obj = NULL;
	uint64_t t0 = 0;

	while (rte_ring_sc_dequeue(ring, &obj) != 0) {
		if (!w->finite || dc_quit > 1)
			return NULL;
		if (t0 == 0)
			t0 = rte_rdtsc();
		worker_wait(w);
	}
	if (t0)
		w->wait_cycles += rte_rdtsc() - t0;
	__atomic_store_n(&w->waiting, 0, __ATOMIC_RELAXED);
	return obj;
}

/* A set taken back: on a finite input the control core left it to us to
 * clear (its lines are still in this core's cache), timed for the exit log. */
static inline void
worker_clean(struct dc_worker *w, struct dc_tset *ns)
{
	uint64_t t0;

	if (ns == NULL || !ns->dirty)
		return;
	t0 = rte_rdtsc();
	dc_tset_clear(ns);
	w->clear_cycles += rte_rdtsc() - t0;
}

/*
 * Table sizes on a finite input (table_autosize): a set's source,
 * destination and flowtuple tables use as much of their memory as the
 * interval before needed, twice that, at least DC_AUTOSIZE_MIN keys; an
 * interval that brings more keys than that goes on in the next set, four
 * times larger (worker_grow()), which the control core merges with the
 * first. The keys of a small interval then stay in the caches instead of
 * each landing on a line of tables sized for a /8 (docs/PERFORMANCE.md,
 * "Offline peers"), and no key is refused that the whole table would have
 * taken: a set is handed over at 3/4 of its effective size.
 */
#define DC_AUTOSIZE_MIN 4096

static uint64_t
autosize_keys(uint64_t want)
{
	return want <= DC_AUTOSIZE_MIN ? DC_AUTOSIZE_MIN : rte_align64pow2(want);
}

/* The keys the open interval has put in its sets so far, table by table. */
static void
worker_demand(const struct dc_worker *w, uint64_t d[3])
{
	const struct dc_table *t[3] = {w->tcur->src, w->tcur->dst, w->tcur->flow};

	for (unsigned i = 0; i < 3; i++)
		d[i] = w->demand[i] + (t[i] ? t[i]->used : 0);
}

/* Size the empty set @p ns for the interval after the open one. */
static void
worker_autosize(struct dc_worker *w, struct dc_tset *ns)
{
	uint64_t d[3];

	worker_demand(w, d);
	dc_tset_resize(ns, autosize_keys(2 * d[0]), autosize_keys(2 * d[1]), autosize_keys(2 * d[2]));
	memset(w->demand, 0, sizeof(w->demand));
}

/* Finite input, table_autosize: the open set is near its effective size;
 * hand it over (the interval goes on) and go on in the next one, larger.
 * A set not back (only when quitting) leaves the open one in use: a key it
 * cannot take is counted in table_full, as with any full table. */
static void
worker_grow(struct dc_worker *w)
{
	struct dc_tset *ns = worker_take(w, w->tfree);
	const struct dc_table *t[3] = {w->tcur->src, w->tcur->dst, w->tcur->flow};
	uint64_t want[3], d[3];

	if (ns == NULL)
		return;
	worker_clean(w, ns);
	worker_demand(w, d);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t four = t[i] ? 4 * t[i]->max_entries : 0;

		want[i] = autosize_keys(four > 2 * d[i] ? four : 2 * d[i]);
		w->demand[i] = d[i];
	}
	dc_tset_resize(ns, want[0], want[1], want[2]);
	ns->start = w->tcur->start;
	ns->end = w->tcur->end;
	w->tcur->flags |= DC_TSET_CONTINUED;
	dc_tset_seal(w->tcur);
	/* Cannot fail: the ring holds every set of this worker. The table
	 * watermark stays: the interval is not over. */
	rte_ring_sp_enqueue(w->tfull, w->tcur);
	w->tcur = ns;
	w->grows++;
}

/* Close the open block (and table set) and open the interval at @start. */
static void
worker_rotate(struct dc_worker *w, uint64_t start)
{
	struct dc_counters *nb;
	struct dc_tset *ns;

	if (unlikely(!w->started)) {
		w->cur->start = w->tcur->start = start;
		w->cur->end = w->tcur->end = start + w->interval;
		w->started = true;
		__atomic_store_n(&w->twatermark, start, __ATOMIC_RELEASE);
		__atomic_store_n(&w->watermark, start, __ATOMIC_RELEASE);
		return;
	}
	ns = worker_take(w, w->tfree);
	worker_clean(w, ns);
	if (ns == NULL) {
		w->tcur->end = start + w->interval;
		w->tcur->flags |= DC_CNTF_EXTENDED;
		w->tstalls++;
	} else {
		if (w->autosize)
			worker_autosize(w, ns);
		/* Cannot fail: the ring holds every set of this worker. */
		dc_tset_seal(w->tcur);
		rte_ring_sp_enqueue(w->tfull, w->tcur);
		ns->start = start;
		ns->end = start + w->interval;
		w->tcur = ns;
		__atomic_store_n(&w->twatermark, start, __ATOMIC_RELEASE);
	}
	nb = worker_take(w, w->free);
	if (nb == NULL) {
		w->cur->end = start + w->interval;
		w->cur->flags |= DC_CNTF_EXTENDED;
		w->stalls++;
	} else {
		rte_ring_sp_enqueue(w->full, w->cur);
		nb->start = start;
		nb->end = start + w->interval;
		w->cur = nb;
		__atomic_store_n(&w->watermark, start, __ATOMIC_RELEASE);
	}
}

static inline void
count_range(struct dc_worker *w, const uint8_t *const *frames, const uint32_t *lens,
	    const uint32_t *caplens, const uint32_t *secs, unsigned from, unsigned to)
{
	if (to <= from)
		return;
	if (unlikely(w->autosize) && dc_tset_headroom(w->tcur) < to - from)
		worker_grow(w);
	dc_counters_burst(w->cur, w->ctx, frames + from, lens + from, caplens + from, to - from);
	dc_tset_burst(w->tcur, w->tctx, w->ctx, frames + from, lens + from, secs + from, to - from,
		      w->cur);
}

/* A packet without its own time stamp (secs[]): it belongs to the open interval. */
#define DC_NO_TS UINT32_MAX

/*
 * Count a burst of frames (@p secs: each packet's time, port clock; ignored
 * on the wall clock). Port clock: split the burst where packets cross into
 * a later interval.
 */
static void
worker_frames(struct dc_worker *w, const uint8_t *const *frames, const uint32_t *lens,
	      const uint32_t *caplens, uint32_t *secs, unsigned n)
{
	unsigned i, from = 0;

	w->packets += n;
	/* The databases for this burst: one load, replaced only between bursts. */
	w->tctx->geo = __atomic_load_n(&dc_eng.geo, __ATOMIC_ACQUIRE);
	w->tctx->sig = __atomic_load_n(&dc_eng.sig, __ATOMIC_ACQUIRE);
	if (w->tctx->sig)
		w->tctx->sig_scratch = w->tctx->sig->scratch[w->id];
	if (!w->ts_port) {
		uint32_t now = (uint32_t)w->now_sec;

		for (i = 0; i < n; i++)
			secs[i] = now;
		count_range(w, frames, lens, caplens, secs, 0, n);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t sec = secs[i];

		if (unlikely(sec == DC_NO_TS)) {
			secs[i] = (uint32_t)w->cur->start;
			continue;
		}
		if (unlikely(sec >= w->cur->end)) {
			count_range(w, frames, lens, caplens, secs, from, i);
			from = i;
			worker_rotate(w, sec - sec % w->interval);
		} else if (unlikely(sec < w->cur->start)) {
			w->cur->c[DC_CNT_LATE]++;
		}
	}
	count_range(w, frames, lens, caplens, secs, from, n);
}

static void
worker_burst(struct dc_worker *w, struct rte_mbuf **pkts, unsigned n)
{
	const uint8_t *frames[DC_FP_BURST_MAX];
	uint32_t lens[DC_FP_BURST_MAX], caplens[DC_FP_BURST_MAX], secs[DC_FP_BURST_MAX];
	unsigned i, lin = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		frames[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		lens[i] = m->pkt_len;
		caplens[i] = m->data_len;
		if (unlikely(m->nb_segs > 1) && lin < DC_LIN_FRAMES && m->data_len < RTE_MIN(m->pkt_len, w->linlen)) {
			/* Headers (and the payload bytes signatures scan) may span
			 * segments: parse a linear copy of what the first one lacks. */
			uint32_t len = RTE_MIN(m->pkt_len, w->linlen);
			uint8_t *dst = w->linbuf + lin * w->linlen;
			const uint8_t *src = rte_pktmbuf_read(m, 0, len, dst);

			if (src != NULL) {
				frames[i] = src;
				caplens[i] = len;
			}
			lin++;
		}
	}
	/* Port clock: the PMD's time stamp, when the mbuf has one (one test
	 * per burst: live ports run on the wall clock). */
	if (w->ts_port)
		for (i = 0; i < n; i++)
			secs[i] = likely(pkts[i]->ol_flags & w->ts_dynflag)
					  ? (uint32_t)(*RTE_MBUF_DYNFIELD(pkts[i], w->ts_dynfield,
									  const uint64_t *) /
						       w->ts_div)
					  : DC_NO_TS;
	worker_frames(w, frames, lens, caplens, secs, n);
}

/*
 * A burst of the file of `read` (lib/pcapfile): the frames point into the
 * reader's buffer, each with the capture's own time, bytes as captured. 0
 * when the file has ended (its end, or a damaged record: the port's error).
 */
static unsigned
worker_file_burst(struct dc_worker *w, struct dc_rxq *q)
{
	const uint8_t *frames[DC_FP_BURST_MAX];
	uint32_t caplens[DC_FP_BURST_MAX], secs[DC_FP_BURST_MAX];
	unsigned n = dc_pcapfile_next(q->file, q->burst, frames, caplens, secs);
	uint64_t t0;

	if (n == 0)
		return 0;
	/* the data path's cycles, as for a port: the read is the receive */
	t0 = rte_rdtsc();
	worker_frames(w, frames, caplens, caplens, secs, n);
	w->burst_cycles += rte_rdtsc() - t0;
	return n;
}

/*
 * Wall clock, once per poll loop: a TSC compare. At least once a second
 * (and at each interval end) refresh the current second, used as the time
 * of the packets, and open the interval that holds it if the open one ended.
 */
static inline void
worker_wall_tick(struct dc_worker *w, uint64_t tsc)
{
	uint64_t sec;

	if (likely(tsc < w->deadline_tsc))
		return;
	sec = dc_wall_ns(&dc_eng, tsc) / 1000000000ull;
	w->now_sec = sec;
	if (!w->started || sec >= w->cur->end)
		worker_rotate(w, interval_of(w, sec));
	w->deadline_tsc = RTE_MIN(tsc_at(&dc_eng, w->cur->end), tsc + dc_eng.tsc_hz);
}

/* Poll every queue once; return the number of queues still active. */
static unsigned
worker_poll(struct dc_worker *w, struct rte_mbuf **pkts, uint64_t *got)
{
	unsigned k, active = 0;

	for (k = 0; k < w->nb_q; k++) {
		struct dc_rxq *q = &w->q[k];
		uint64_t t0;
		uint16_t n;

		if (q->done)
			continue;
		active++;
		if (q->file) {
			n = (uint16_t)worker_file_burst(w, q);
			if (n == 0)
				q->done = true; /* its end, or a damaged record */
			*got += n;
			continue;
		}
		n = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, q->burst);
		if (n == 0) {
			if (q->finite) {
				uint64_t now = rte_rdtsc();

				if (q->idle_since == 0)
					q->idle_since = now;
				else if (now - q->idle_since > q->idle_exit_tsc)
					q->done = true;
			}
			continue;
		}
		q->idle_since = 0;
		*got += n;
		t0 = rte_rdtsc();
		worker_burst(w, pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
		w->burst_cycles += rte_rdtsc() - t0;
	}
	return active;
}

int
dc_worker_main(void *arg)
{
	struct dc_worker *w = arg;
	struct rte_mbuf *pkts[DC_FP_BURST_MAX];
	uint64_t got;

	DC_LOG(INFO, worker, "worker %u on lcore %u: %u queues, clock %s, input %s", w->id,
	       rte_lcore_id(), w->nb_q, w->ts_port ? "port" : "wall",
	       w->finite ? "finite" : "live");
	/* Finite input: the first set starts small (worker_autosize()). */
	w->autosize = w->finite && dc_eng.cfg.table_autosize != DC_OFF;
	if (w->autosize)
		dc_tset_resize(w->tcur, DC_AUTOSIZE_MIN, DC_AUTOSIZE_MIN, DC_AUTOSIZE_MIN);
	if (!w->ts_port) {
		w->deadline_tsc = 0; /* opens the current interval on the first tick */
		worker_wall_tick(w, rte_rdtsc());
	}
	if (dc_eng.rcu) {
		rte_rcu_qsbr_thread_register(dc_eng.rcu, w->lcore);
		rte_rcu_qsbr_thread_online(dc_eng.rcu, w->lcore);
	}
	while (!dc_quit) {
		got = 0;
		if (dc_eng.rcu) /* no geo pointer held across this point */
			rte_rcu_qsbr_quiescent(dc_eng.rcu, w->lcore);
		if (worker_poll(w, pkts, &got) == 0)
			break; /* every finite input has ended */
		if (!w->ts_port)
			worker_wall_tick(w, rte_rdtsc());
	}
	/*
	 * Stop: take what the queues hold, then hand over the last block. A live
	 * port keeps receiving, so the drain is bounded: enough passes to empty
	 * every descriptor ring once.
	 */
	if (dc_quit) {
		unsigned pass = 0;

		do {
			got = 0;
			for (unsigned k = 0; k < w->nb_q; k++)
				w->q[k].idle_since = 0;
			worker_poll(w, pkts, &got);
		} while (got != 0 && dc_quit < 2 && ++pass < w->drain_passes);
	}
	if (w->started || w->cur->c[DC_CNT_PACKETS]) {
		if (!w->started) { /* packets without timestamps only */
			uint64_t sec = dc_wall_ns(&dc_eng, rte_rdtsc()) / 1000000000ull;

			w->cur->start = w->tcur->start = interval_of(w, sec);
			w->cur->end = w->tcur->end = w->cur->start + w->interval;
		}
		dc_tset_seal(w->tcur);
		rte_ring_sp_enqueue(w->tfull, w->tcur);
		rte_ring_sp_enqueue(w->full, w->cur);
		w->cur = NULL;
		w->tcur = NULL;
	}
	if (dc_eng.rcu) {
		rte_rcu_qsbr_thread_offline(dc_eng.rcu, w->lcore);
		rte_rcu_qsbr_thread_unregister(dc_eng.rcu, w->lcore);
	}
	__atomic_store_n(&w->twatermark, UINT64_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&w->watermark, UINT64_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	DC_LOG(INFO, worker, "worker %u: %lu packets, %lu counter stalls, %lu table stalls, %lu waits (%.3f s)",
	       w->id, (unsigned long)w->packets, (unsigned long)w->stalls,
	       (unsigned long)w->tstalls, (unsigned long)w->waits,
	       (double)w->wait_cycles / (double)rte_get_tsc_hz());
	if (w->autosize)
		DC_LOG(INFO, worker, "worker %u: tables sized to the intervals, %lu table sets grown within an interval",
		       w->id, (unsigned long)w->grows);
	/* Data path cost: from the burst's arrival to its mbufs freed, less
	 * any wait for the control core; the receive call is not included. */
	if (w->packets)
		DC_LOG(INFO, worker, "worker %u: data path %.1f TSC cycles per packet (burst work, waits excluded; %.1f of them clearing table sets)",
		       w->id, (double)(w->burst_cycles - w->wait_cycles) / (double)w->packets,
		       (double)w->clear_cycles / (double)w->packets);
	return 0;
}

size_t
tset_bytes(const struct dc_config *cfg)
{
	return dc_tset_bytes(cfg->sources_max, cfg->destinations_max, cfg->flowtuples_max,
			     cfg->geo_asn != NULL) +
	       dc_tset_tel_bytes(&cfg->telescope) +
	       (dc_sig_on(cfg) ? dc_tset_sig_bytes(cfg->sig_table_max) : 0);
}

static struct dc_table *
table_create(uint64_t max, uint64_t slots, uint32_t key_len, uint32_t slot, unsigned sock)
{
	size_t sz = dc_table_mem_size(slots, slot);
	void *mem = rte_malloc_socket("dc_table", sz, RTE_CACHE_LINE_SIZE, (int)sock);

	if (mem == NULL)
		return NULL;
	return dc_table_init_n(mem, max, slots, key_len, slot, dc_eng.hash_seed);
}

static struct dc_tset *
tset_create(struct dc_engine *eng, unsigned sock)
{
	struct dc_tset *ts = rte_zmalloc_socket("dc_tset", sizeof(*ts), RTE_CACHE_LINE_SIZE, (int)sock);

	if (ts == NULL)
		return NULL;
	ts->src = table_create(eng->cfg.sources_max, eng->cfg.sources_max * dc_src_slots_per_key(eng->cfg.sources_max),
			       DC_ADDR_KEY_LEN, DC_SRC_SLOT, sock);
	ts->src_cold = rte_malloc_socket("dc_src_cold", eng->cfg.sources_max * sizeof(struct dc_src_cold),
					 RTE_CACHE_LINE_SIZE, (int)sock);
	ts->dst = table_create(eng->cfg.destinations_max, dc_table_slots_for(eng->cfg.destinations_max),
			       sizeof(struct dc_addr_key), DC_DST_SLOT, sock);
	if (eng->cfg.flowtuples_max)
		ts->flow = table_create(eng->cfg.flowtuples_max, dc_table_slots_for(eng->cfg.flowtuples_max),
					sizeof(struct dc_flow_key), DC_FLOW_SLOT, sock);
	if (eng->cfg.geo_asn)
		ts->as = table_create(DC_AS_MAX, dc_table_slots_for(DC_AS_MAX), sizeof(uint64_t),
				      DC_AS_SLOT, sock);
	if (eng->sig)
		ts->sig = table_create(eng->cfg.sig_table_max, dc_table_slots_for(eng->cfg.sig_table_max),
				       sizeof(struct dc_sig_key), DC_SIG_SLOT, sock);
	if (eng->cfg.telescope.n) {
		ts->tel = &eng->cfg.telescope;
		ts->dst_bits = rte_zmalloc_socket("dc_dst_bits", dc_tset_tel_bytes(ts->tel),
						  RTE_CACHE_LINE_SIZE, (int)sock);
	}
	if (ts->src == NULL || ts->src_cold == NULL || ts->dst == NULL ||
	    (eng->cfg.flowtuples_max && ts->flow == NULL) || (eng->cfg.geo_asn && ts->as == NULL) ||
	    (eng->sig && ts->sig == NULL) || (ts->tel && ts->dst_bits == NULL))
		return NULL;
	return ts;
}

static struct dc_worker *
worker_create(struct dc_engine *eng, unsigned id, unsigned lcore)
{
	unsigned sock = rte_lcore_to_socket_id(lcore);
	unsigned nblk = eng->cfg.blocks, b;
	char name[RTE_RING_NAMESIZE];
	struct dc_worker *w;

	w = rte_zmalloc_socket("dc_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, (int)sock);
	if (w == NULL)
		return dc_err_ptr(ENOMEM, "worker %u: cannot allocate its state", id);
	w->id = id;
	w->lcore = lcore;
	w->interval = eng->cfg.interval;
	w->drain_passes = 1;
	w->ctx = rte_zmalloc_socket("dc_burst", sizeof(*w->ctx), RTE_CACHE_LINE_SIZE, (int)sock);
	/* Enough for every header, plus the bytes of payload signatures scan. */
	w->linlen = DC_LINBUF + (eng->sig ? eng->cfg.sig_payload_max : 0);
	w->linbuf = rte_zmalloc_socket("dc_lin", DC_LIN_FRAMES * (size_t)w->linlen, RTE_CACHE_LINE_SIZE, (int)sock);
	snprintf(name, sizeof(name), "dc_full_%u", id);
	w->full = rte_ring_create(name, rte_align32pow2(nblk + 1), (int)sock,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dc_free_%u", id);
	w->free = rte_ring_create(name, rte_align32pow2(nblk + 1), (int)sock,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->ctx == NULL || w->linbuf == NULL || w->full == NULL || w->free == NULL)
		return dc_err_ptr(ENOMEM, "worker %u: cannot allocate its rings and scratch (memory -m?)", id);
	w->tctx = rte_zmalloc_socket("dc_tctx", sizeof(*w->tctx), RTE_CACHE_LINE_SIZE, (int)sock);

	snprintf(name, sizeof(name), "dc_tfull_%u", id);
	w->tfull = rte_ring_create(name, rte_align32pow2(eng->cfg.table_sets + 1), (int)sock,
				   RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dc_tfree_%u", id);
	w->tfree = rte_ring_create(name, rte_align32pow2(eng->cfg.table_sets + 1), (int)sock,
				   RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->tctx == NULL || w->tfull == NULL || w->tfree == NULL)
		return dc_err_ptr(ENOMEM, "worker %u: cannot allocate its table rings and scratch (memory -m?)", id);
	for (b = 0; b < eng->cfg.table_sets; b++) {
		struct dc_tset *ts = tset_create(eng, sock);

		if (ts == NULL)
			return dc_err_ptr(ENOMEM, "worker %u: cannot allocate table set %u: %zu MiB (lower sources_max, destinations_max, flowtuples_max, sig_table_max, table_sets; or raise memory -m / hugepages)",
					  id, b, tset_bytes(&eng->cfg) >> 20);
		if (b == 0)
			w->tcur = ts;
		else
			rte_ring_sp_enqueue(w->tfree, ts);
	}
	for (b = 0; b < nblk; b++) {
		struct dc_counters *blk = rte_zmalloc_socket("dc_block", sizeof(*blk),
							     RTE_CACHE_LINE_SIZE, (int)sock);

		if (blk == NULL)
			return dc_err_ptr(ENOMEM, "worker %u: cannot allocate %u interval blocks of %zu bytes (lower blocks, or raise memory -m)",
					  id, nblk, sizeof(*blk));
		if (b == 0)
			w->cur = blk;
		else
			rte_ring_sp_enqueue(w->free, blk);
	}
	return w;
}

int
dc_workers_init(struct dc_engine *eng)
{
	unsigned lcore;

	/* Workers, one per worker lcore (cfg.workers caps it). */
	eng->nb_workers = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (eng->cfg.workers && eng->nb_workers == eng->cfg.workers)
			break;
		eng->workers[eng->nb_workers] = worker_create(eng, eng->nb_workers, lcore);
		if (eng->workers[eng->nb_workers] == NULL)
			return -1;
		eng->nb_workers++;
	}
	if (eng->nb_workers == 0)
		return dc_err(EINVAL, "no worker lcore: give EAL at least two lcores (e.g. -l 0-1); the main lcore is the control core");
	if (eng->cfg.workers && eng->nb_workers < eng->cfg.workers)
		return dc_err(EINVAL, "workers = %u but EAL gave only %u worker lcores (-l/--lcores)",
			      eng->cfg.workers, eng->nb_workers);
	return 0;
}

int
dc_workers_assign(struct dc_engine *eng)
{
	unsigned n = 0, i, used;

	for (i = 0; i < eng->nb_ports; i++) {
		const struct dc_port *p = &eng->ports[i];

		for (uint16_t q = 0; q < p->nb_rxq; q++, n++) {
			struct dc_worker *w = eng->workers[n % eng->nb_workers];
			struct dc_rxq *rq;

			if (w->nb_q == DC_MAX_WORKER_QUEUES)
				return dc_err(E2BIG, "worker %u: more than %u queues", w->id,
					      DC_MAX_WORKER_QUEUES);
			rq = &w->q[w->nb_q++];
			rq->port_id = p->port_id;
			rq->queue_id = q;
			rq->file = p->file;
			rq->burst = (uint16_t)p->set.burst;
			rq->finite = p->finite;
			rq->idle_exit_tsc = eng->tsc_hz / 1000 * p->set.idle_exit_ms;
			rq->ts_port = p->ts_port;
			rq->ts_div = p->ts_div;
			/* Passes of this worker's queues that empty a full ring. */
			w->drain_passes = RTE_MAX(w->drain_passes,
						  p->set.rx_desc / p->set.burst + 2);
		}
	}
	used = RTE_MIN(n, eng->nb_workers);
	for (i = 0; i < used; i++) {
		struct dc_worker *w = eng->workers[i];

		w->ts_port = w->q[0].ts_port;
		w->ts_div = w->q[0].ts_div;
		/* Worker-local copies: the hot path reads only its own lines. */
		w->ts_dynfield = eng->ts_dynfield;
		w->ts_dynflag = eng->ts_dynflag;
		w->finite = true;
		for (unsigned k = 0; k < w->nb_q; k++) {
			if (w->q[k].ts_port != w->ts_port || w->q[k].ts_div != w->ts_div)
				return dc_err(EINVAL, "worker %u polls ports with different clocks (timestamps = port and wall): set timestamps for every port alike",
					      w->id);
			w->finite &= w->q[k].finite;
		}
	}
	if (used < eng->nb_workers && eng->nb_ports == 1 && eng->ports[0].file)
		DC_LOG(WARNING, worker, "a file of read is read by one worker: %u workers stay idle",
		       eng->nb_workers - used);
	else if (used < eng->nb_workers)
		DC_LOG(WARNING, worker, "%u RX queues for %u workers: %u workers stay idle (raise rx_queues or add ports)",
		       n, eng->nb_workers, eng->nb_workers - used);
	eng->nb_workers = used;
	return 0;
}
