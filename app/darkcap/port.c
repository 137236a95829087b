/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: one mempool per port on the port's socket, N RX queues spread by
 * RSS, promiscuous mode, and the choice of clock (port timestamps or wall)
 * and input kind (finite file or live) from the NIC profile and the device.
 */
#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"
#include "dc_sbuf.h"

/* A net_pcap port reading files without infinite_rx ends. */
static bool
port_input_is_finite(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da;

	if (strcmp(info->driver_name, "net_pcap") != 0 || info->device == NULL)
		return false;
	da = rte_dev_devargs(info->device);
	if (da == NULL || da->args == NULL)
		return false;
	return strstr(da->args, "rx_pcap=") != NULL && strstr(da->args, "infinite_rx=1") == NULL;
}

/*
 * Ports whose RX timestamps are Unix time. net_pcap always stamps each mbuf
 * with the capture's own time (without announcing the offload); other PMDs
 * that offer the offload stamp with their own clock.
 */
static bool
port_has_timestamps(const struct rte_eth_dev_info *info)
{
	return strcmp(info->driver_name, "net_pcap") == 0 ||
	       (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
}

static uint64_t
rss_fields(uint32_t rss)
{
	switch (rss) {
	case DC_RSS_IP:
		return RTE_ETH_RSS_IP;
	case DC_RSS_IP_TCP_UDP:
		return RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
	default:
		return 0;
	}
}

static int
port_init(struct dc_engine *eng, struct dc_port *p, unsigned want_rxq)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	const struct dc_nic_profile *prof;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	uint16_t nb_rxd, nb_txd = 512, q, nb_txq;
	unsigned nb_mbufs;
	int ret, sock;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		return dc_err(-ret, "port %u: cannot read device info: %s", p->port_id,
			      rte_strerror(-ret));
	rte_eth_dev_get_name_by_port(p->port_id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	prof = dc_config_profile_for(&eng->cfg, info.driver_name);
	snprintf(p->profile, sizeof(p->profile), "%s", prof ? prof->name : "built-in");
	dc_nic_settings_resolve(&eng->cfg, prof, &p->set);

	if (p->set.input == DC_INPUT_AUTO)
		p->set.input = port_input_is_finite(&info) ? DC_INPUT_FINITE : DC_INPUT_LIVE;
	p->finite = p->set.input == DC_INPUT_FINITE;
	if (p->set.timestamps == DC_TS_AUTO)
		p->set.timestamps = (p->finite && port_has_timestamps(&info)) ? DC_TS_PORT : DC_TS_WALL;
	if (p->set.timestamps == DC_TS_PORT && !port_has_timestamps(&info))
		return dc_err(ENOTSUP, "[%u] %s: timestamps = port but driver %s offers no RX timestamps",
			      p->port_id, p->name, info.driver_name);
	p->ts_port = p->set.timestamps == DC_TS_PORT;
	/* net_pcap stamps microseconds since the epoch (libpcap's default
	 * precision); the RX timestamp offload is nanoseconds by definition. */
	p->ts_div = strcmp(info.driver_name, "net_pcap") == 0 ? 1000000 : 1000000000;

	p->nb_rxq = (uint16_t)RTE_MIN(want_rxq, (unsigned)info.max_rx_queues);
	if (p->nb_rxq == 0)
		return dc_err(ENOTSUP, "[%u] %s: device has no RX queue", p->port_id, p->name);
	nb_txq = info.max_tx_queues > 0 ? 1 : 0;

	memset(&conf, 0, sizeof(conf));
	if (p->nb_rxq > 1 && p->set.rss != DC_RSS_NONE) {
		uint64_t hf = rss_fields(p->set.rss) & info.flow_type_rss_offloads;

		if (hf == 0) {
			DC_LOG(WARNING, port, "[%u] %s: device supports none of the RSS fields asked (rss = %s); queues get no RSS spread",
			       p->port_id, p->name, dc_config_enum_name("rss", p->set.rss));
		} else {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
		}
	}
	if (p->ts_port && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;

	ret = rte_eth_dev_configure(p->port_id, p->nb_rxq, nb_txq, &conf);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: configure with %u RX queues failed: %s", p->port_id,
			      p->name, p->nb_rxq, rte_strerror(-ret));
	nb_rxd = (uint16_t)RTE_MIN(p->set.rx_desc, 65535u);
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: descriptor counts rejected: %s", p->port_id, p->name,
			      rte_strerror(-ret));

	sock = rte_eth_dev_socket_id(p->port_id);
	p->socket = (uint16_t)(sock < 0 ? 0 : sock);
	nb_mbufs = RTE_MAX(p->set.mbufs_per_queue * p->nb_rxq, nb_rxd * p->nb_rxq + 1024u);
	snprintf(pool_name, sizeof(pool_name), "dc_mbuf_p%u", p->port_id);
	p->pool = rte_pktmbuf_pool_create(pool_name, nb_mbufs, eng->cfg.mempool_cache, 0,
					  (uint16_t)eng->cfg.mbuf_size, p->socket);
	if (p->pool == NULL)
		return dc_err(rte_errno, "[%u] %s: cannot create a mempool of %u mbufs: %s (mbufs_per_queue, memory -m)",
			      p->port_id, p->name, nb_mbufs, rte_strerror(rte_errno));

	for (q = 0; q < p->nb_rxq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;

		rxc.offloads = conf.rxmode.offloads;
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, p->socket, &rxc, p->pool);
		if (ret != 0)
			return dc_err(-ret, "[%u] %s: RX queue %u setup failed: %s (the PMD's log line above says why; net_pcap infinite_rx holds the whole file: raise mbuf_size and mbufs_per_queue)",
				      p->port_id, p->name, q, rte_strerror(-ret));
	}
	if (nb_txq) {
		ret = rte_eth_tx_queue_setup(p->port_id, 0, nb_txd, p->socket, NULL);
		if (ret != 0)
			return dc_err(-ret, "[%u] %s: TX queue setup failed: %s", p->port_id,
				      p->name, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		return dc_err(-ret, "[%u] %s: start failed: %s", p->port_id, p->name,
			      rte_strerror(-ret));
	p->started = true;
	if (p->set.promisc == DC_ON) {
		ret = rte_eth_promiscuous_enable(p->port_id);
		if (ret != 0 && ret != -ENOTSUP)
			DC_LOG(WARNING, port, "[%u] %s: cannot enable promiscuous mode: %s",
			       p->port_id, p->name, rte_strerror(-ret));
	}
	rte_eth_stats_reset(p->port_id);
	DC_LOG(INFO, port, "[%u] %s: driver %s, profile %s, %u RX queues x %u descriptors, burst %u, %u mbufs, socket %u, input %s, clock %s, rss %s",
	       p->port_id, p->name, p->driver, p->profile, p->nb_rxq, nb_rxd, p->set.burst,
	       nb_mbufs, p->socket, p->finite ? "finite" : "live", p->ts_port ? "port" : "wall",
	       conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? dc_config_enum_name("rss", p->set.rss) : "off");
	return 0;
}

/*
 * `read`: the file is darkcap's one port, read by a worker itself (lib/
 * pcapfile): finite, stamped with the capture's own time, one queue.
 */
static int
port_file_init(struct dc_engine *eng)
{
	struct dc_port *p = &eng->ports[0];
	const char *path = eng->cfg.read, *first, *base;
	unsigned nf;

	p->file = dc_pcapfile_open(path, 0);
	if (p->file == NULL)
		return -1;
	first = dc_pcapfile_path(p->file);
	base = strrchr(first, '/');
	nf = dc_pcapfile_count(p->file);
	eng->nb_ports = 1;
	p->port_id = 0;
	p->nb_rxq = 1;
	p->finite = true;
	p->ts_port = true;
	p->ts_div = 1;
	/* the first file's name, "+N" for the files after it */
	if (strcmp(path, "-") == 0)
		snprintf(p->name, sizeof(p->name), "stdin");
	else if (nf > 1)
		snprintf(p->name, sizeof(p->name), "%.48s+%u", base ? base + 1 : first, nf - 1);
	else
		snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : first);
	snprintf(p->driver, sizeof(p->driver), "pcap file");
	snprintf(p->profile, sizeof(p->profile), "built-in");
	dc_nic_settings_resolve(&eng->cfg, NULL, &p->set);
	p->set.input = DC_INPUT_FINITE;
	p->set.timestamps = DC_TS_PORT;
	DC_LOG(INFO, port, "[0] %s: %u file%s read by darkcap in turn (%s time stamps), burst %u, input finite, clock port",
	       path, nf, nf > 1 ? "s" : "", dc_pcapfile_nanosecond(p->file) ? "nanosecond" : "microsecond",
	       p->set.burst);
	return 0;
}

int
dc_ports_init(struct dc_engine *eng)
{
	uint16_t pid;
	unsigned want;
	bool need_ts = false;

	eng->nb_ports = 0;
	if (eng->cfg.read) {
		if (rte_eth_dev_count_avail() != 0)
			return dc_err(EINVAL, "read %s and %u ethdev ports (--vdev, -a) together: give one or the other",
				      eng->cfg.read, rte_eth_dev_count_avail());
		return port_file_init(eng);
	}
	RTE_ETH_FOREACH_DEV(pid) {
		if (eng->nb_ports == DC_MAX_PORTS)
			return dc_err(E2BIG, "more than %u ports", DC_MAX_PORTS);
		eng->ports[eng->nb_ports++].port_id = pid;
	}
	if (eng->nb_ports == 0)
		return dc_err(ENODEV, "no ethdev port: EAL probed none (a device that failed to probe is named in the EAL lines above); bind a NIC to vfio-pci and allow it with -a, add a virtual device with --vdev (e.g. net_pcap0,rx_pcap=file.pcap), or read a capture file with --read FILE");

	/* The RX timestamp field must be registered before ports start. */
	eng->ts_dynfield = -1;
	for (unsigned i = 0; i < eng->nb_ports; i++) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(eng->ports[i].port_id, &info) == 0 &&
		    port_has_timestamps(&info))
			need_ts = true;
	}
	if (need_ts && rte_mbuf_dyn_rx_timestamp_register(&eng->ts_dynfield, &eng->ts_dynflag) != 0)
		return dc_err(rte_errno, "cannot register the mbuf RX timestamp field: %s",
			      rte_strerror(rte_errno));

	want = eng->cfg.rx_queues ? eng->cfg.rx_queues : eng->nb_workers;
	for (unsigned i = 0; i < eng->nb_ports; i++)
		if (port_init(eng, &eng->ports[i], want) != 0)
			return -1;
	return 0;
}

void
dc_ports_stop(struct dc_engine *eng)
{
	for (unsigned i = 0; i < eng->nb_ports; i++) {
		int ret;

		if (eng->ports[i].file) {
			dc_pcapfile_close(eng->ports[i].file);
			eng->ports[i].file = NULL;
			continue;
		}
		ret = eng->ports[i].started ? rte_eth_dev_stop(eng->ports[i].port_id) : 0;

		if (ret != 0)
			DC_LOG(WARNING, port, "[%u] stop failed: %s", eng->ports[i].port_id,
			       rte_strerror(-ret));
		rte_eth_dev_close(eng->ports[i].port_id);
	}
}

void
dc_port_stats(struct dc_engine *eng, unsigned i, struct dc_port_counts *out)
{
	struct dc_port *p = &eng->ports[i];
	struct rte_eth_stats st;
	uint64_t cur[4];
	bool reset = false;

	if (p->file) {
		/* the records handed out; a damaged or truncated end is one error */
		out->received = dc_pcapfile_records(p->file);
		out->missed = out->no_mbuf = 0;
		out->errors = dc_pcapfile_error(p->file) != NULL;
		return;
	}
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(p->port_id, &st);
	cur[0] = st.ipackets;
	cur[1] = st.imissed;
	cur[2] = st.ierrors;
	cur[3] = st.rx_nombuf;
	for (unsigned k = 0; k < 4; k++) {
		if (cur[k] < p->st_last[k]) {
			p->st_base[k] += p->st_last[k];
			reset = true;
		}
		p->st_last[k] = cur[k];
	}
	if (reset)
		DC_LOG(NOTICE, port, "[%u] %s: the driver reset its counters (a peer that reconnected, a restart): carrying %" PRIu64 " frames received before",
		       p->port_id, p->name, p->st_base[0]);
	out->received = p->st_base[0] + cur[0];
	out->missed = p->st_base[1] + cur[1];
	out->errors = p->st_base[2] + cur[2];
	out->no_mbuf = p->st_base[3] + cur[3];
}

void
dc_port_stats_json(struct dc_engine *eng, struct dc_sbuf *sb)
{
	dc_sbuf_lit(sb, ",\"ports\":[");
	for (unsigned i = 0; i < eng->nb_ports; i++) {
		const struct dc_port *p = &eng->ports[i];
		struct dc_port_counts pc;

		dc_port_stats(eng, i, &pc);
		dc_sbuf_str_u64(sb, i ? ",{\"port\":" : "{\"port\":", p->port_id);
		dc_sbuf_lit(sb, ",\"name\":");
		dc_sbuf_json_str(sb, p->name);
		dc_sbuf_str_u64(sb, ",\"received\":", pc.received);
		dc_sbuf_str_u64(sb, ",\"missed\":", pc.missed);
		dc_sbuf_str_u64(sb, ",\"errors\":", pc.errors);
		dc_sbuf_str_u64(sb, ",\"no_mbuf\":", pc.no_mbuf);
		dc_sbuf_lit(sb, "}");
	}
	dc_sbuf_lit(sb, "]");
}
