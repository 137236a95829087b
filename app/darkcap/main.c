/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap [EAL options] -- [options]
 *
 * Life cycle: parse darkcap's options (before EAL, so --help and config
 * errors need no DPDK set-up), rte_eal_init, workers and ports, launch one
 * worker per worker lcore, run the control core on the main lcore until the
 * inputs end or a signal arrives, then stop the ports and clean up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hs/hs.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_version.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_fp.h"
#include "dc_log.h"
#include "dc_mem.h"
#include "dc_table.h"

volatile int dc_quit;
volatile int dc_reload;
struct dc_engine dc_eng;

static void
usage(const char *prog, FILE *f)
{
	fprintf(f,
		"Usage: %s [EAL options] -- [options]\n"
		"\n"
		"Counts darknet traffic per interval from any DPDK port, or a pcap file it\n"
		"reads itself, and appends one JSON record per interval to the output file\n"
		"(docs/OUTPUT.md).\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE      read settings from FILE (key = value lines)\n"
		"  -o, --output FILE      JSON Lines output (default darkcap.jsonl)\n"
		"  -i, --interval SECS    interval length (default 60)\n"
		"  --read FILE            read a pcap file (Ethernet) instead of ports; - = stdin\n"
		"  --KEY VALUE            any configuration key, e.g. --workers 2 --burst 64\n"
		"                         --rx-queues 2 --nic i40e --summary on --truncate on\n"
		"                         --telescope 198.18.0.0/15 (the dark IPv4 prefixes)\n"
		"  --dump-config          print every key with its value and meaning, then exit\n"
		"  -h, --help             this text\n"
		"  -V, --version          versions of darkcap and the libraries it runs on\n"
		"\n"
		"Examples:\n"
		"  %s -l 0-1 --no-huge --no-pci -- --read capture.pcap -o out.jsonl\n"
		"  zcat day.pcap.gz | %s -l 0-1 --no-huge --no-pci -- --read - -o out.jsonl\n"
		"  %s -l 0-1 --no-huge --no-pci --vdev net_pcap0,rx_pcap=capture.pcap -- -o out.jsonl\n"
		"  %s -l 0-4 -a 0000:03:00.0 -- --config /etc/darkcap/darkcap.conf\n",
		prog, prog, prog, prog, prog);
}

static void
version(void)
{
	printf("darkcap %s\n%s\nHyperscan %s\njemalloc %s\nfingerprint kernel: %s\n", DC_VERSION,
	       rte_version(), hs_version(), dc_mem_allocator_version(),
	       dc_fp_cpu_has_avx2() ? "avx2 (scalar also available)" : "scalar");
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		dc_reload = 1;
		return;
	}
	if (dc_quit < 2)
		dc_quit++;
}

static void
default_drivers_cfg_dir(struct dc_config *cfg)
{
	if (cfg->drivers_cfg_dir == NULL)
		cfg->drivers_cfg_dir = dc_strdup(dc_shipped_path(DC_DATADIR "/drivers-cfg",
								 DC_SRCDIR "/drivers-cfg"));
}

/* Option name for a short flag, or NULL. */
static const char *
short_opt(const char *a)
{
	if (strcmp(a, "-c") == 0)
		return "config";
	if (strcmp(a, "-o") == 0)
		return "output";
	if (strcmp(a, "-i") == 0)
		return "interval";
	return NULL;
}

/*
 * darkcap's options: argv[0..argc) after "--". Two passes so the config file
 * comes first and the command line overrides it whatever the order.
 * Returns 0 to run, 1 to exit 0 (help/version/dump), -1 on error.
 */
static int
parse_args(struct dc_config *cfg, int argc, char **argv, int *dump)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < argc; i++) {
			const char *a = argv[i], *name = short_opt(a), *val = NULL;
			char buf[64];

			if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				usage("darkcap", stdout);
				return 1;
			}
			if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
				version();
				return 1;
			}
			if (strcmp(a, "--dump-config") == 0) {
				*dump = 1;
				continue;
			}
			if (name == NULL) {
				const char *eq;

				if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
					return dc_err(EINVAL, "unexpected argument '%s' (options are --key value; see --help)", a);
				name = a + 2;
				eq = strchr(name, '=');
				if (eq) {
					snprintf(buf, sizeof(buf), "%.*s", (int)(eq - name), name);
					name = buf;
					val = eq + 1;
				}
			}
			if (strcmp(name, "config") != 0 && !dc_config_has_key(name))
				return dc_err(EINVAL, "unknown option '%s' (see --help, --dump-config)", a);
			if (val == NULL) {
				if (i + 1 >= argc)
					return dc_err(EINVAL, "option '%s' needs a value", a);
				val = argv[++i];
			}
			if (strcmp(name, "config") == 0) {
				if (pass == 0 && dc_config_load(cfg, val) != 0)
					return -1;
			} else if (pass == 1 && dc_config_set(cfg, name, val, "command line") != 0) {
				return -1;
			}
		}
	}
	return 0;
}

static int
engine_run(struct dc_engine *eng)
{
	struct timespec ts;
	int ret;

	eng->tsc_hz = rte_get_tsc_hz();
	clock_gettime(CLOCK_REALTIME, &ts);
	eng->base_tsc = rte_rdtsc();
	eng->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;

	eng->hash_seed = rte_rand();
	if (dc_fp_select(eng->cfg.fp_impl) != 0)
		return -1;
	if (dc_config_load_profiles(&eng->cfg) != 0)
		return -1;
	if (eng->cfg.geo_country || eng->cfg.geo_asn) {
		eng->geo = dc_geo_view_load(&eng->cfg);
		if (eng->geo == NULL)
			return -1;
		DC_LOG(INFO, main, "geo: %u countries from %s, %u ASes from %s",
		       eng->geo->nb_cc - 1u, eng->cfg.geo_country ? eng->cfg.geo_country : "(none)",
		       eng->geo->nb_as - 1u, eng->cfg.geo_asn ? eng->cfg.geo_asn : "(none)");
	}
	if (dc_sig_on(&eng->cfg)) {
		uint64_t t0 = rte_rdtsc();
		const char *note;

		/* A scratch for every lcore that may become a worker. */
		eng->sig = dc_sig_view_load(&eng->cfg, rte_lcore_count());
		if (eng->sig == NULL || dc_sig_view_bind(eng->sig) != 0)
			return -1;
		note = dc_sig_cache_note(eng->sig->db);
		if (note)
			DC_LOG(WARNING, sig, "%s", note);
		{
			unsigned fg = 0, fr = dc_sig_fast_count(eng->sig->db, &fg);

			DC_LOG(INFO, sig,
			       "signatures: %u rules in %u databases (hash %s), %s in %.0f ms; %u rules taken by darkcap's matcher (%u floating), %u port groups decided without Hyperscan",
			       eng->sig->nrules, dc_sig_db_count(eng->sig->db), dc_sig_hash(eng->sig->db),
			       dc_sig_from_cache(eng->sig->db) ? "from the cache" : "compiled",
			       (double)(rte_rdtsc() - t0) * 1000.0 / (double)eng->tsc_hz, fr,
			       dc_sig_floating_count(eng->sig->db), fg);
			for (unsigned i = 0; i < eng->sig->nrules; i++) {
				const char *why = dc_sig_fast_why(eng->sig->db, i);

				if (why != NULL)
					DC_LOG(DEBUG, sig, "signature %u (%s): scanned by Hyperscan: %s",
					       dc_sig_rule(eng->sig->db, i)->id,
					       dc_sig_rule(eng->sig->db, i)->name, why);
			}
		}
	}
	if (eng->geo || eng->sig) {
		size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

		eng->rcu = rte_zmalloc("dc_rcu", sz, RTE_CACHE_LINE_SIZE);
		if (eng->rcu == NULL || rte_rcu_qsbr_init(eng->rcu, RTE_MAX_LCORE) != 0)
			return dc_err(ENOMEM, "cannot set up RCU for reloads");
	}
	if (dc_workers_init(eng) != 0)
		return -1;
	if (dc_ports_init(eng) != 0)
		return -1;
	if (dc_workers_assign(eng) != 0)
		return -1;
	if (dc_control_open(eng) != 0)
		return -1;
	DC_LOG(INFO, main, "%u workers, %u ports, interval %u s, fingerprints %s, table hashing %s, output %s",
	       eng->nb_workers, eng->nb_ports, eng->cfg.interval, dc_fp_impl_name(),
	       dc_hash_nh_kernel(), eng->cfg.output);
	if (eng->cfg.telescope.n) {
		char tel[DC_TELESCOPE_MAX * 20];

		dc_telescope_format(&eng->cfg.telescope, tel, sizeof(tel));
		DC_LOG(INFO, main, "telescope %s: %llu addresses, their destinations in a %zu KiB bitmap per table set",
		       tel, (unsigned long long)eng->cfg.telescope.addrs,
		       dc_tset_tel_bytes(&eng->cfg.telescope) >> 10);
	}
	for (unsigned i = 0; i < eng->nb_workers; i++) {
		ret = rte_eal_remote_launch(dc_worker_main, eng->workers[i], eng->workers[i]->lcore);
		if (ret != 0) {
			dc_quit = 2;
			rte_eal_mp_wait_lcore();
			return dc_err(-ret, "cannot launch worker %u on lcore %u", i,
				      eng->workers[i]->lcore);
		}
	}
	return dc_control_run(eng);
}

int
main(int argc, char **argv)
{
	struct dc_engine *eng = &dc_eng;
	int sep, dump = 0, ret;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	dc_config_defaults(&eng->cfg);
	ret = sep < argc ? parse_args(&eng->cfg, argc - sep - 1, argv + sep + 1, &dump) : 0;
	if (ret == 0 && sep == argc)
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
				usage(argv[0], stdout);
				ret = 1;
			}
	if (ret != 0) {
		if (ret < 0)
			fprintf(stderr, "darkcap: %s\n", dc_strerror());
		dc_config_free(&eng->cfg);
		return ret < 0 ? 2 : 0;
	}
	default_drivers_cfg_dir(&eng->cfg);
	if (dump) {
		dc_config_dump(&eng->cfg, stdout);
		dc_config_free(&eng->cfg);
		return 0;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	ret = rte_eal_init(sep, argv);
	if (ret < 0) {
		fprintf(stderr, "darkcap: EAL initialisation failed: %s (check the EAL options before '--')\n",
			rte_strerror(rte_errno));
		return 2;
	}
	ret = engine_run(eng);
	if (ret != 0)
		fprintf(stderr, "darkcap: %s\n", dc_strerror());
	if (eng->nb_ports)
		dc_ports_stop(eng);
	dc_geo_view_free(eng->geo);
	dc_sig_view_free(eng->sig);
	dc_config_free(&eng->cfg);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
