/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-send [EAL options] -- --pcap FILE [options]
 *
 * A DPDK traffic sender for benchmarks and functional tests. Every frame of
 * the capture is loaded into mbufs before anything is sent; the frames are
 * dealt round robin over N TX queues in file order (frame i goes to queue
 * i % N, so each queue sends a fixed subset), one worker lcore per queue.
 * A worker sends its frames as refcount clones: per packet it takes one
 * more reference on the loaded mbuf and hands it to the PMD, which drops
 * that reference once the frame is out. The TX loop never reads the file,
 * allocates, copies or makes a system call. A full TX ring is retried
 * (counted), never dropped.
 *
 * The main lcore waits for the link (net_memif: for the client to connect),
 * launches the workers, watches the link and the signals, lingers so the
 * peer can read what is still in the rings, then prints one JSON line on
 * stdout. See bench/sender/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "dc_bench.h"
#include "dc_common.h"
#include "dc_err.h"

RTE_LOG_REGISTER(snd_logtype, user.darkcap.send, INFO);

#define SND_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, snd_logtype, "darkcap-send: " fmt "\n", ##__VA_ARGS__)

#define SND_MAX_BURST 512
#define SND_MAX_QUEUES 64
#define SND_MAX_RATE 1000000000000ull	/* packets per second */
#define SND_SMALL_MAX 2048u	/* longest frame in the small pool */
#define SND_NB_TXD 1024
#define SND_NB_RXD 512

/* Exit statuses: 2 for bad options or input, 1 for run-time failures. */
#define SND_EXIT_USAGE 2
#define SND_EXIT_RUN 1

struct snd_opts {
	const char *pcap;
	uint64_t loops;
	double duration;
	uint64_t rate;
	unsigned txq;
	uint16_t port;
	unsigned burst;
	double wait_link;
	double linger;
};

/* One TX queue: its frames, its worker's counters (written by it alone). */
struct snd_queue {
	uint16_t queue;
	unsigned lcore;
	uint32_t nb_pkts;
	struct rte_mbuf **pkts;	/* this queue's frames, in file order */
	uint64_t rate;		/* packets per second, 0 = unpaced */
	uint64_t sent;
	uint64_t bytes;
	uint64_t retries;
	uint64_t loops;		/* complete passes over its frames */
	uint64_t end_tsc;
	uint64_t progress;	/* packets sent so far, for the main lcore */
} __rte_cache_aligned;

/*
 * The capture's shape and the mbufs it needs. Every frame is one mbuf, never
 * a chain: frames up to `seg` bytes come from the small pool (data room
 * `seg`: the longest frame, at most SND_SMALL_MAX), longer ones from a
 * second pool sized for the longest frame. (Chains would save little, and
 * DPDK 22.11's net_memif TX leaves the chain flag on ring descriptors,
 * merging later frames into one on the receiving side.)
 */
struct snd_file {
	uint64_t frames;
	uint64_t bytes;
	uint32_t maxlen;
	uint32_t seg;		/* data room of the small pool */
	uint64_t nb_long;	/* frames longer than seg */
};

static struct {
	struct snd_opts o;
	struct snd_file f;
	struct snd_queue q[SND_MAX_QUEUES];
	struct rte_mempool *pkt_pool;
	struct rte_mempool *big_pool;
	struct rte_mempool *rx_pool;
	struct rte_mbuf **frames;
	uint64_t start_tsc;
	uint64_t stop_tsc;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	bool started;
	struct rte_eth_stats stats;	/* last snapshot taken with the link up */
} snd;

static int quit;		/* 1: stop sending; 2: stop now, no linger */
static unsigned nb_done;	/* workers finished */

static void
on_signal(int sig)
{
	int q = __atomic_load_n(&quit, __ATOMIC_RELAXED);

	RTE_SET_USED(sig);
	__atomic_store_n(&quit, q < 2 ? q + 1 : 2, __ATOMIC_RELAXED);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: darkcap-send [EAL options] -- --pcap FILE [options]\n"
		"\n"
		"Loads every frame of a pcap into memory, then sends it on one port, one\n"
		"worker lcore per TX queue, and prints one JSON line of counts on stdout.\n"
		"\n"
		"Options:\n"
		"  --pcap FILE          capture to send (Ethernet; required)\n"
		"  --loops N            times the whole file is sent (default 1; 0 = until\n"
		"                       --duration or SIGINT)\n"
		"  --duration SECONDS   stop after this long (default 0 = no limit)\n"
		"  --rate PPS           packets per second over all queues (default 0 = as fast\n"
		"                       as possible), paced with the TSC per queue\n"
		"  --txq N              TX queues, one worker lcore each (default 1); frame i\n"
		"                       goes to queue i %% N\n"
		"  --port ID            ethdev port (default 0)\n"
		"  --burst N            packets per rte_eth_tx_burst (default 32, at most %u)\n"
		"  --wait-link SECONDS  wait this long for the link (memif: the client) at\n"
		"                       start and after a drop (default 30; 0 = do not wait)\n"
		"  --linger SECONDS     keep the port up this long after the last packet so\n"
		"                       the peer can read what is still queued (default 1)\n"
		"  -h, --help           this text\n"
		"\n"
		"Examples:\n"
		"  darkcap-send --no-huge -m 512 --no-pci --lcores 0@0,1@1,2@1 \\\n"
		"      --vdev net_memif0,role=server,socket=/tmp/memif.sock -- \\\n"
		"      --pcap darknet.pcap --txq 2 --loops 10\n"
		"  darkcap-send -l 0-2 -a 0000:03:00.0 -- --pcap darknet.pcap --txq 2 --loops 0 \\\n"
		"      --duration 60 --rate 10000000\n",
		SND_MAX_BURST);
}

static int
parse_secs(const char *name, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > 1e9)
		return dc_err(EINVAL, "--%s '%s': expected seconds (a number >= 0)", name, s);
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (--help), -1 on a bad option. */
static int
parse_args(struct snd_opts *o, int argc, char **argv)
{
	static const struct option long_options[] = {
		{"pcap", required_argument, NULL, 'p'},
		{"loops", required_argument, NULL, 'l'},
		{"duration", required_argument, NULL, 'd'},
		{"rate", required_argument, NULL, 'r'},
		{"txq", required_argument, NULL, 'q'},
		{"port", required_argument, NULL, 'P'},
		{"burst", required_argument, NULL, 'b'},
		{"wait-link", required_argument, NULL, 'w'},
		{"linger", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	o->loops = 1;
	o->txq = 1;
	o->burst = 32;
	o->wait_link = 30;
	o->linger = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		const char *name = optind > 1 && optind - 1 < argc ? argv[optind - 1] : "?";

		switch (c) {
		case 'p':
			o->pcap = optarg;
			break;
		case 'l':
			if (dc_bench_parse_u64("loops", optarg, 10, 0, UINT64_MAX, &o->loops) != 0)
				return -1;
			break;
		case 'd':
			if (parse_secs("duration", optarg, &o->duration) != 0)
				return -1;
			break;
		case 'r':
			if (dc_bench_parse_u64("rate", optarg, 10, 0, SND_MAX_RATE, &o->rate) != 0)
				return -1;
			break;
		case 'q':
			if (dc_bench_parse_u64("txq", optarg, 10, 1, SND_MAX_QUEUES, &v) != 0)
				return -1;
			o->txq = (unsigned)v;
			break;
		case 'P':
			if (dc_bench_parse_u64("port", optarg, 10, 0, RTE_MAX_ETHPORTS - 1,
					       &v) != 0)
				return -1;
			o->port = (uint16_t)v;
			break;
		case 'b':
			if (dc_bench_parse_u64("burst", optarg, 10, 1, SND_MAX_BURST, &v) != 0)
				return -1;
			o->burst = (unsigned)v;
			break;
		case 'w':
			if (parse_secs("wait-link", optarg, &o->wait_link) != 0)
				return -1;
			break;
		case 'L':
			if (parse_secs("linger", optarg, &o->linger) != 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return dc_err(EINVAL, "option '%s' needs a value", name);
		default:
			return dc_err(EINVAL, "unknown option '%s' (see --help)", name);
		}
	}
	if (optind < argc)
		return dc_err(EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
	if (o->pcap == NULL)
		return dc_err(EINVAL, "--pcap FILE is required (see --help)");
	if (o->rate != 0 && o->rate < o->txq)
		return dc_err(EINVAL, "--rate %" PRIu64 " is less than one packet per second per queue (--txq %u)",
			      o->rate, o->txq);
	return 0;
}

static pcap_t *
pcap_open_eth(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	errbuf[0] = '\0';
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		/* libpcap names the file itself when open() failed. */
		if (strncmp(errbuf, path, strlen(path)) == 0)
			return dc_err_ptr(EINVAL, "cannot read pcap %s", errbuf);
		return dc_err_ptr(EINVAL, "%s: cannot read as a pcap: %s", path, errbuf);
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		int dlt = pcap_datalink(pc);

		pcap_close(pc);
		return dc_err_ptr(EINVAL, "%s: link type %d (%s), not Ethernet", path, dlt,
				  pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
	}
	return pc;
}

/*
 * Before EAL: the whole file is read once, so a missing, foreign or
 * truncated file is reported before any DPDK set-up. Counts the frames, the
 * longest one and the mbufs they need.
 */
static int
scan_file(const char *path, struct snd_file *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int ret;

	pc = pcap_open_eth(path);
	if (pc == NULL)
		return -1;
	memset(f, 0, sizeof(*f));
	while ((ret = pcap_next_ex(pc, &h, &data)) == 1) {
		f->frames++;
		f->bytes += h->caplen;
		f->maxlen = RTE_MAX(f->maxlen, h->caplen);
		f->nb_long += h->caplen > SND_SMALL_MAX;
	}
	if (ret == -1) {
		ret = dc_err(EINVAL, "%s: read error after %" PRIu64 " frames: %s", path, f->frames,
			     pcap_geterr(pc));
		pcap_close(pc);
		return ret;
	}
	pcap_close(pc);
	if (f->frames > UINT32_MAX)
		return dc_err(E2BIG, "%s: %" PRIu64 " frames, more than %u", path, f->frames, UINT32_MAX);
	if (f->maxlen + RTE_PKTMBUF_HEADROOM > UINT16_MAX)
		return dc_err(E2BIG, "%s: a frame of %u bytes does not fit one mbuf (at most %u)",
			      path, f->maxlen, UINT16_MAX - RTE_PKTMBUF_HEADROOM);
	f->seg = RTE_MIN(f->maxlen, SND_SMALL_MAX);
	f->seg = RTE_ALIGN_CEIL(RTE_MAX(f->seg, 64u), 64u);
	return 0;
}

static struct rte_mempool *
pool_create(const char *name, uint64_t n, uint32_t room, int socket)
{
	struct rte_mempool *mp;

	if (n == 0)
		return NULL;
	mp = rte_pktmbuf_pool_create(name, (unsigned)n, 0, 0, (uint16_t)(room + RTE_PKTMBUF_HEADROOM),
				     socket);
	if (mp == NULL)
		return dc_err_ptr(ENOMEM, "cannot create a pool of %" PRIu64 " mbufs of %u bytes for %" PRIu64 " frames: %s (give EAL more memory with -m or hugepages)",
				  n, room + RTE_PKTMBUF_HEADROOM, snd.f.frames, rte_strerror(rte_errno));
	return mp;
}

/* After EAL: every frame into one mbuf. */
static int
load_frames(const char *path, int socket)
{
	struct snd_file *f = &snd.f;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	uint64_t n = 0;
	int ret;

	if (f->frames == 0)
		return 0;
	snd.pkt_pool = pool_create("snd_pkts", f->frames - f->nb_long, f->seg, socket);
	if (snd.pkt_pool == NULL && f->frames > f->nb_long)
		return -1;
	snd.big_pool = pool_create("snd_big", f->nb_long, f->maxlen, socket);
	if (snd.big_pool == NULL && f->nb_long > 0)
		return -1;
	snd.frames = rte_zmalloc_socket("snd_frames", sizeof(*snd.frames) * f->frames, 0, socket);
	if (snd.frames == NULL)
		return dc_err(ENOMEM, "cannot allocate %" PRIu64 " frame pointers", f->frames);
	pc = pcap_open_eth(path);
	if (pc == NULL)
		return -1;
	while (n < f->frames && (ret = pcap_next_ex(pc, &h, &data)) == 1) {
		struct rte_mempool *mp = h->caplen > f->seg ? snd.big_pool : snd.pkt_pool;
		struct rte_mbuf *m = h->caplen <= f->maxlen && mp != NULL ? rte_pktmbuf_alloc(mp) : NULL;

		if (m == NULL) {
			pcap_close(pc);
			return dc_err(ENOMEM, "%s: out of mbufs at frame %" PRIu64 " (file changed while loading?)",
				      path, n + 1);
		}
		memcpy(rte_pktmbuf_mtod(m, void *), data, h->caplen);
		m->data_len = (uint16_t)h->caplen;
		m->pkt_len = h->caplen;
		snd.frames[n++] = m;
	}
	pcap_close(pc);
	if (n != f->frames)
		return dc_err(EIO, "%s: %" PRIu64 " frames on the second read, %" PRIu64 " on the first (file changed while loading?)",
			      path, n, f->frames);
	return 0;
}

/* Deal the frames round robin over the queues, in file order. */
static int
deal_frames(void)
{
	unsigned i, nq = snd.o.txq;

	for (i = 0; i < nq; i++) {
		struct snd_queue *q = &snd.q[i];
		uint32_t k;
		int sock = (int)rte_lcore_to_socket_id(q->lcore);

		q->nb_pkts = (uint32_t)(snd.f.frames / nq + (i < snd.f.frames % nq));
		if (q->nb_pkts == 0)
			continue;
		q->pkts = rte_malloc_socket("snd_q", sizeof(*q->pkts) * q->nb_pkts, RTE_CACHE_LINE_SIZE, sock);
		if (q->pkts == NULL)
			return dc_err(ENOMEM, "queue %u: cannot allocate %u frame pointers", i, q->nb_pkts);
		for (k = 0; k < q->nb_pkts; k++)
			q->pkts[k] = snd.frames[(uint64_t)k * nq + i];
	}
	return 0;
}

static int
port_setup(uint16_t port, int socket)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_txconf txc;
	uint16_t nb_txd = SND_NB_TXD, nb_rxd = SND_NB_RXD, nb_rxq, q;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return dc_err(-ret, "port %u: cannot read device info: %s", port, rte_strerror(-ret));
	/*
	 * RX queues as many as TX queues, when the device has any: net_memif
	 * pairs them (the server's RX queues take the client's TX rings, and
	 * the client's RX queues must equal our TX queues). Nothing is read.
	 */
	nb_rxq = (uint16_t)RTE_MIN(snd.o.txq, (unsigned)info.max_rx_queues);
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, nb_rxq, (uint16_t)snd.o.txq, &conf);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: configure with %u TX queues failed: %s", port,
			      snd.port_name, snd.o.txq, rte_strerror(-ret));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: descriptor counts rejected: %s", port, snd.port_name,
			      rte_strerror(-ret));
	if (nb_rxq > 0) {
		snd.rx_pool = rte_pktmbuf_pool_create("snd_rx", nb_rxq * nb_rxd + 512u, 0, 0,
						      RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		if (snd.rx_pool == NULL)
			return dc_err(ENOMEM, "[%u] %s: cannot create the RX pool: %s", port,
				      snd.port_name, rte_strerror(rte_errno));
	}
	for (q = 0; q < nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, snd.rx_pool);
		if (ret != 0)
			return dc_err(-ret, "[%u] %s: RX queue %u setup failed: %s", port,
				      snd.port_name, q, rte_strerror(-ret));
	}
	/* No fast-free offload: the frames are sent with refcount > 1. */
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < snd.o.txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, &txc);
		if (ret != 0)
			return dc_err(-ret, "[%u] %s: TX queue %u setup failed: %s", port,
				      snd.port_name, q, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: start failed: %s", port, snd.port_name, rte_strerror(-ret));
	snd.started = true;
	rte_eth_stats_reset(port);
	return 0;
}

static bool
link_up(uint16_t port)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/* 0 when the link is up, 1 when a signal came first, -1 on time-out. */
static int
wait_link(uint16_t port, double secs)
{
	uint64_t hz = rte_get_tsc_hz(), deadline = rte_get_tsc_cycles() + (uint64_t)(secs * (double)hz);

	if (secs == 0)
		return 0;
	while (!link_up(port)) {
		if (__atomic_load_n(&quit, __ATOMIC_RELAXED))
			return 1;
		if (rte_get_tsc_cycles() >= deadline)
			return dc_err(ETIMEDOUT, "[%u] %s: link still down after %.1f s (--wait-link; net_memif: start the client with the same socket= and as many RX queues as --txq)",
				      port, snd.port_name, secs);
		rte_delay_us_sleep(10 * 1000);
	}
	return 0;
}

static inline bool
must_stop(uint64_t stop_tsc)
{
	return __atomic_load_n(&quit, __ATOMIC_RELAXED) != 0 ||
	       (stop_tsc != UINT64_MAX && rte_get_tsc_cycles() >= stop_tsc);
}

/*
 * The TX loop of one queue: a burst of references to the loaded frames,
 * retried until the ring takes all of it. Counters live in registers and
 * are stored once at the end; only the sent count is also published per
 * burst (a plain store to this queue's own cache line) for the main
 * lcore's check for a queue that makes no progress.
 */
static int
tx_main(void *arg)
{
	struct snd_queue *q = arg;
	struct rte_mbuf *tx[SND_MAX_BURST];
	struct rte_mbuf **pkts = q->pkts;
	const uint16_t port = snd.o.port, qid = q->queue;
	const uint32_t nb = q->nb_pkts, burst = snd.o.burst;
	const uint64_t hz = rte_get_tsc_hz(), start = snd.start_tsc, stop = snd.stop_tsc;
	const uint64_t max_loops = snd.o.loops, rate = q->rate;
	uint64_t sent = 0, bytes = 0, retries = 0, loops = 0;
	uint32_t pos = 0;

	while (nb > 0 && !must_stop(stop)) {
		uint32_t n = RTE_MIN(burst, nb - pos), i;
		uint16_t done;
		uint64_t b = 0;

		if (rate != 0) {
			uint64_t due = (uint64_t)((unsigned __int128)(rte_get_tsc_cycles() - start) * rate / hz);

			if (due <= sent) {
				rte_pause();
				continue;
			}
			n = (uint32_t)RTE_MIN((uint64_t)n, due - sent);
		}
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[pos + i];

			rte_mbuf_refcnt_update(m, 1);
			b += m->pkt_len;
			tx[i] = m;
		}
		done = rte_eth_tx_burst(port, qid, tx, (uint16_t)n);
		while (unlikely(done < n)) {
			retries++;
			if (unlikely(must_stop(stop))) {
				/* Stopped with the ring full: give back what was not sent. */
				for (i = done; i < n; i++) {
					b -= tx[i]->pkt_len;
					rte_mbuf_refcnt_update(tx[i], -1);
				}
				sent += done;
				bytes += b;
				goto out;
			}
			rte_pause();
			done += rte_eth_tx_burst(port, qid, tx + done, (uint16_t)(n - done));
		}
		sent += n;
		bytes += b;
		pos += n;
		__atomic_store_n(&q->progress, sent, __ATOMIC_RELAXED);
		if (pos == nb) {
			pos = 0;
			if (++loops == max_loops)
				break;
		}
	}
out:
	q->sent = sent;
	q->bytes = bytes;
	q->retries = retries;
	q->loops = loops;
	__atomic_store_n(&q->end_tsc, rte_get_tsc_cycles(), __ATOMIC_RELEASE);
	__atomic_fetch_add(&nb_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The port's counters, kept only while the link is up: net_memif forgets
 * its queue counters when the peer disconnects (and sets the link down
 * first, so a snapshot followed by a link check is safe).
 */
static void
stats_snapshot(void)
{
	struct rte_eth_stats st;

	memset(&st, 0, sizeof(st));
	if (rte_eth_stats_get(snd.o.port, &st) != 0)
		return;
	if (snd.o.wait_link == 0 || link_up(snd.o.port))
		snd.stats = st;
}

/*
 * Main lcore while the workers send: watch the link (a peer that went away
 * for longer than --wait-link ends the run) and the signals.
 * Returns 0, or -1 when the link was lost.
 */
static int
supervise(void)
{
	uint64_t hz = rte_get_tsc_hz(), down_since = 0, next_check = 0, next_stall = 0;
	uint64_t seen[SND_MAX_QUEUES] = {0}, stuck_since[SND_MAX_QUEUES];
	bool warned[SND_MAX_QUEUES] = {false};
	int ret = 0;

	for (unsigned i = 0; i < SND_MAX_QUEUES; i++)
		stuck_since[i] = snd.start_tsc;

	while (__atomic_load_n(&nb_done, __ATOMIC_ACQUIRE) < snd.o.txq) {
		uint64_t now = rte_get_tsc_cycles();

		/* A queue the peer never drains: say so once (nothing is lost). */
		if (now >= next_stall) {
			next_stall = now + hz;
			for (unsigned i = 0; i < snd.o.txq; i++) {
				uint64_t p = __atomic_load_n(&snd.q[i].progress, __ATOMIC_RELAXED);

				if (p != seen[i] || snd.q[i].nb_pkts == 0 ||
				    __atomic_load_n(&snd.q[i].end_tsc, __ATOMIC_ACQUIRE) != 0) {
					seen[i] = p;
					stuck_since[i] = now;
				} else if (!warned[i] && now - stuck_since[i] > 5 * hz) {
					warned[i] = true;
					SND_LOG(WARNING, "[%u] %s: queue %u has sent nothing for 5 s: its ring is full and the peer does not read it (net_memif: the client needs as many RX queues as --txq)",
						snd.o.port, snd.port_name, i);
				}
			}
		}

		if (snd.o.wait_link > 0 && now >= next_check) {
			next_check = now + hz / 10;
			if (link_up(snd.o.port)) {
				down_since = 0;
				stats_snapshot();
			} else if (down_since == 0) {
				down_since = now;
				SND_LOG(WARNING, "[%u] %s: link down while sending; waiting up to %.1f s",
					snd.o.port, snd.port_name, snd.o.wait_link);
			} else if (ret == 0 && now - down_since > (uint64_t)(snd.o.wait_link * (double)hz)) {
				ret = dc_err(ENOLINK, "[%u] %s: link down for more than %.1f s while sending (the peer went away)",
					     snd.o.port, snd.port_name, snd.o.wait_link);
				__atomic_store_n(&quit, 2, __ATOMIC_RELAXED);
			}
		}
		rte_delay_us_sleep(5 * 1000);
	}
	return ret;
}

/*
 * After the last packet: keep the port up for --linger seconds, or until
 * the link drops (the peer left), so the peer reads what is still in the
 * rings (net_memif's rings go away with the connection).
 */
static void
linger(uint64_t sent)
{
	uint64_t hz = rte_get_tsc_hz(), now = rte_get_tsc_cycles(), next = now;
	uint64_t end = now + (uint64_t)(snd.o.linger * (double)hz);

	stats_snapshot();
	SND_LOG(INFO, "[%u] %s: sent %" PRIu64 " packets; lingering up to %.1f s or until the link drops",
		snd.o.port, snd.port_name, sent, snd.o.linger);
	while ((now = rte_get_tsc_cycles()) < end && __atomic_load_n(&quit, __ATOMIC_RELAXED) < 2) {
		if (now >= next) {
			next = now + hz / 10;
			if (snd.o.wait_link > 0 && !link_up(snd.o.port))
				break;
			stats_snapshot();
		}
		rte_delay_us_sleep(5 * 1000);
	}
	stats_snapshot();
}

static void
print_json(const struct rte_eth_stats *st)
{
	uint64_t sent = 0, bytes = 0, loops = UINT64_MAX, end = snd.start_tsc;
	double secs;
	unsigned i;

	for (i = 0; i < snd.o.txq; i++) {
		const struct snd_queue *q = &snd.q[i];

		sent += q->sent;
		bytes += q->bytes;
		if (q->nb_pkts > 0)
			loops = RTE_MIN(loops, q->loops);
		end = RTE_MAX(end, q->end_tsc);
	}
	if (loops == UINT64_MAX)
		loops = 0;
	secs = (double)(end - snd.start_tsc) / (double)rte_get_tsc_hz();
	printf("{\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"loops\":%" PRIu64 ",\"seconds\":%.6f,\"mpps\":%.4f,\"queues\":[",
	       sent, bytes, loops, secs, secs > 0 ? (double)sent / secs / 1e6 : 0.0);
	for (i = 0; i < snd.o.txq; i++)
		printf("%s{\"queue\":%u,\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"retries\":%" PRIu64 "}",
		       i ? "," : "", i, snd.q[i].sent, snd.q[i].bytes, snd.q[i].retries);
	printf("],\"port\":{\"opackets\":%" PRIu64 ",\"obytes\":%" PRIu64 ",\"oerrors\":%" PRIu64 "}}\n",
	       st->opackets, st->obytes, st->oerrors);
	fflush(stdout);
}

/* Lcores, port and queues: everything checked before any packet moves. */
static int
check_setup(void)
{
	unsigned lcore, i = 0;

	if (rte_lcore_count() < snd.o.txq + 1)
		return dc_err(EINVAL, "--txq %u needs %u worker lcores plus the main one; EAL gave %u lcores (e.g. -l 0-%u or --lcores)",
			      snd.o.txq, snd.o.txq, rte_lcore_count(), snd.o.txq);
	if (!rte_eth_dev_is_valid_port(snd.o.port))
		return dc_err(ENODEV, "--port %u: no such port (EAL probed %u; add a --vdev or allow a NIC with -a)",
			      snd.o.port, rte_eth_dev_count_avail());
	rte_eth_dev_get_name_by_port(snd.o.port, snd.port_name);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == snd.o.txq)
			break;
		snd.q[i].queue = (uint16_t)i;
		snd.q[i].lcore = lcore;
		i++;
	}
	for (i = 0; i < snd.o.txq; i++)
		snd.q[i].rate = snd.o.rate / snd.o.txq + (i < snd.o.rate % snd.o.txq);
	return 0;
}

/* net_memif's packet buffer size: its bsize= device argument, else 2048. */
static unsigned
memif_bsize(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = info->device ? rte_dev_devargs(info->device) : NULL;
	struct rte_kvargs *kv;
	const char *v;
	unsigned bsize = 2048;

	if (da == NULL || da->args == NULL)
		return bsize;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return bsize;
	v = rte_kvargs_get(kv, "bsize");
	if (v != NULL)
		bsize = (unsigned)strtoul(v, NULL, 0);
	rte_kvargs_free(kv);
	return bsize;
}

static int
check_port(void)
{
	struct rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(snd.o.port, &info);

	if (ret != 0)
		return dc_err(-ret, "port %u: cannot read device info: %s", snd.o.port, rte_strerror(-ret));
	if (snd.o.txq > info.max_tx_queues)
		return dc_err(EINVAL, "--txq %u: port %u (%s, driver %s) has at most %u TX queues",
			      snd.o.txq, snd.o.port, snd.port_name, info.driver_name, info.max_tx_queues);
	if (strcmp(info.driver_name, "net_memif") == 0) {
		unsigned bsize = memif_bsize(&info);

		if (snd.f.maxlen > bsize)
			return dc_err(EINVAL, "[%u] %s: the longest frame is %u bytes but the memif buffers are %u (bsize): a frame split over several descriptors leaves DPDK 22.11's memif merging later frames on the receiving side; give both ends bsize=%u or more",
				      snd.o.port, snd.port_name, snd.f.maxlen, bsize,
				      RTE_ALIGN_CEIL(snd.f.maxlen, 1024u));
	}
	return 0;
}

static int
run(int *exit_code)
{
	uint64_t sent;
	int sock, ret, lost;
	unsigned i;

	*exit_code = SND_EXIT_USAGE;
	if (check_setup() != 0 || check_port() != 0)
		return -1;
	sock = rte_eth_dev_socket_id(snd.o.port);
	if (sock < 0)
		sock = (int)rte_socket_id();
	*exit_code = SND_EXIT_RUN;
	if (load_frames(snd.o.pcap, sock) != 0 || deal_frames() != 0 || port_setup(snd.o.port, sock) != 0)
		return -1;
	SND_LOG(INFO, "[%u] %s: %u TX queues started, %" PRIu64 " frames (%" PRIu64 " bytes, longest %u, %" PRIu64 " longer than %u) loaded; waiting up to %.1f s for the link",
		snd.o.port, snd.port_name, snd.o.txq, snd.f.frames, snd.f.bytes, snd.f.maxlen,
		snd.f.nb_long, snd.f.seg, snd.o.wait_link);
	ret = wait_link(snd.o.port, snd.o.wait_link);
	if (ret < 0)
		return -1;
	snd.start_tsc = rte_get_tsc_cycles();
	snd.stop_tsc = snd.o.duration > 0 ?
		snd.start_tsc + (uint64_t)(snd.o.duration * (double)rte_get_tsc_hz()) : UINT64_MAX;
	if (ret == 0) {
		SND_LOG(INFO, "[%u] %s: link up, sending", snd.o.port, snd.port_name);
		for (i = 0; i < snd.o.txq; i++) {
			ret = rte_eal_remote_launch(tx_main, &snd.q[i], snd.q[i].lcore);
			if (ret != 0) {
				__atomic_store_n(&quit, 2, __ATOMIC_RELAXED);
				rte_eal_mp_wait_lcore();
				return dc_err(-ret, "cannot launch queue %u on lcore %u", i, snd.q[i].lcore);
			}
		}
	} else {
		__atomic_store_n(&nb_done, snd.o.txq, __ATOMIC_RELEASE);
	}
	lost = supervise();
	rte_eal_mp_wait_lcore();
	for (i = 0, sent = 0; i < snd.o.txq; i++)
		sent += snd.q[i].sent;
	if (lost == 0 && sent > 0)
		linger(sent);
	else
		stats_snapshot();
	print_json(&snd.stats);
	for (i = 0; i < snd.o.txq; i++)
		if (snd.q[i].retries)
			SND_LOG(INFO, "queue %u: %" PRIu64 " TX retries (ring full)", i, snd.q[i].retries);
	*exit_code = 0;
	return lost;
}

static void
cleanup(void)
{
	uint64_t i;

	if (snd.started)
		rte_eth_dev_stop(snd.o.port);
	if (snd.port_name[0] != '\0')
		rte_eth_dev_close(snd.o.port);
	for (i = 0; snd.frames != NULL && i < snd.f.frames; i++)
		rte_pktmbuf_free(snd.frames[i]);
	for (i = 0; i < SND_MAX_QUEUES; i++)
		rte_free(snd.q[i].pkts);
	rte_free(snd.frames);
	rte_mempool_free(snd.pkt_pool);
	rte_mempool_free(snd.big_pool);
	rte_mempool_free(snd.rx_pool);
}

int
main(int argc, char **argv)
{
	int sep, ret, code;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		if (strcmp(argv[sep], "-h") == 0 || strcmp(argv[sep], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	/* Our options are argv[sep + 1..]; argv[sep] ("--") stands in for argv[0]. */
	ret = sep < argc ? parse_args(&snd.o, argc - sep, argv + sep) :
			   dc_err(EINVAL, "--pcap FILE is required (usage: darkcap-send [EAL options] -- --pcap FILE [options])");
	if (ret == 0)
		ret = scan_file(snd.o.pcap, &snd.f);
	if (ret != 0) {
		if (ret < 0)
			fprintf(stderr, "darkcap-send: %s\n", dc_strerror());
		return ret < 0 ? SND_EXIT_USAGE : 0;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = rte_eal_init(sep, argv);
	if (ret < 0) {
		fprintf(stderr, "darkcap-send: EAL initialisation failed: %s (check the EAL options before '--')\n",
			rte_strerror(rte_errno));
		return SND_EXIT_USAGE;
	}
	ret = run(&code);
	if (ret != 0) {
		fprintf(stderr, "darkcap-send: %s\n", dc_strerror());
		if (code == 0)
			code = SND_EXIT_RUN;
	}
	cleanup();
	rte_eal_cleanup();
	return code;
}
