/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration: defaults, file and command-line values, one-line errors,
 * NIC profiles and their precedence. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dc_common.h"
#include "dc_config.h"
#include "dc_err.h"
#include "dc_test.h"

static char tmpdir[] = "/tmp/dc_test_config_XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* The message names what is wrong and is a single line. */
static void
check_err(const char *must_contain)
{
	const char *m = dc_strerror();

	CHECK(strstr(m, must_contain) != NULL);
	CHECK(strchr(m, '\n') == NULL);
	if (strstr(m, must_contain) == NULL)
		fprintf(stderr, "  message was: %s\n", m);
}

static void
t_defaults(void)
{
	struct dc_config c;
	struct dc_nic_settings s;

	dc_config_defaults(&c);
	CHECK_EQ(c.interval, 60);
	CHECK(strcmp(c.output, "darkcap.jsonl") == 0);
	CHECK_EQ(c.workers, 0);
	CHECK_EQ(c.blocks, 8);
	dc_nic_settings_resolve(&c, NULL, &s);
	CHECK_EQ(s.rx_desc, 1024);
	CHECK_EQ(s.burst, 32);
	CHECK_EQ(s.rss, DC_RSS_IP_TCP_UDP);
	CHECK_EQ(s.promisc, DC_ON);
	CHECK_EQ(s.idle_exit_ms, 200);
	dc_config_free(&c);
}

static void
t_file_and_errors(void)
{
	struct dc_config c;
	const char *p;

	dc_config_defaults(&c);
	p = write_file("ok.conf", "# comment\n\ninterval = 300   # five minutes\noutput = /tmp/x.jsonl\nrss = ip\nburst=64\n");
	CHECK_EQ(dc_config_load(&c, p), 0);
	CHECK_EQ(c.interval, 300);
	CHECK(strcmp(c.output, "/tmp/x.jsonl") == 0);
	CHECK_EQ(c.nic_set.rss, DC_RSS_IP);
	CHECK_EQ(c.nic_set.burst, 64);

	p = write_file("badkey.conf", "interval = 60\nintreval = 5\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("badkey.conf:2: unknown key 'intreval'");
	p = write_file("badval.conf", "interval = 0\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("interval = '0'");
	p = write_file("badnum.conf", "burst = 12abc\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("burst = '12abc'");
	p = write_file("big.conf", "burst = 100000\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("from 1 to 512");
	p = write_file("enum.conf", "timestamps = gps\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("expected one of auto, wall, port");
	p = write_file("noeq.conf", "interval 60\n");
	CHECK_EQ(dc_config_load(&c, p), -1);
	check_err("noeq.conf:1: expected 'key = value'");
	CHECK_EQ(dc_config_load(&c, "/nonexistent/darkcap.conf"), -1);
	CHECK_EQ(errno, ENOENT);
	check_err("/nonexistent/darkcap.conf: cannot open");
	/* Command-line form: dashes for underscores. */
	CHECK_EQ(dc_config_set(&c, "rx-queues", "4", "command line"), 0);
	CHECK_EQ(c.rx_queues, 4);
	CHECK_EQ(dc_config_set(&c, "bogus", "4", "command line"), -1);
	check_err("command line: unknown key 'bogus'");
	dc_config_free(&c);
}

static void
t_profiles(void)
{
	struct dc_config c;
	const struct dc_nic_profile *pr;
	struct dc_nic_settings s;

	char dir[600];

	dc_config_defaults(&c);
	snprintf(dir, sizeof(dir), "%s/prof", tmpdir);
	mkdir(dir, 0755);
	write_file("prof/ixgbe.conf", "driver = net_ixgbe, net_ixgbe_vf\nrx_desc = 4096\nburst = 64\nrss = ip\n");
	write_file("prof/default.conf", "driver = *\nrx_desc = 512\n");
	write_file("prof/README", "not a profile: ignored\n");
	CHECK_EQ(dc_config_set(&c, "drivers_cfg_dir", dir, "test"), 0);
	CHECK_EQ(dc_config_load_profiles(&c), 0);
	CHECK_EQ(c.nb_profiles, 2);
	pr = dc_config_profile_for(&c, "net_ixgbe_vf");
	CHECK(pr != NULL && strcmp(pr->name, "ixgbe") == 0);
	pr = dc_config_profile_for(&c, "net_foo");
	CHECK(pr != NULL && strcmp(pr->name, "default") == 0);
	/* Precedence: command line over profile over built-in. */
	pr = dc_config_profile_for(&c, "net_ixgbe");
	dc_nic_settings_resolve(&c, pr, &s);
	CHECK_EQ(s.rx_desc, 4096);
	CHECK_EQ(s.burst, 64);
	CHECK_EQ(s.mbufs_per_queue, 4096); /* built-in */
	CHECK_EQ(dc_config_set(&c, "burst", "16", "command line"), 0);
	dc_nic_settings_resolve(&c, pr, &s);
	CHECK_EQ(s.burst, 16);
	/* Forcing a profile by name. */
	CHECK_EQ(dc_config_set(&c, "nic", "ixgbe", "command line"), 0);
	pr = dc_config_profile_for(&c, "net_pcap");
	CHECK(pr != NULL && strcmp(pr->name, "ixgbe") == 0);
	CHECK_EQ(dc_config_set(&c, "nic", "e1000", "command line"), 0);
	CHECK(dc_config_profile_for(&c, "net_pcap") == NULL);
	dc_config_free(&c);
	/* A profile with a key that only the main config has. */
	{
		struct dc_nic_profile np;
		const char *p = write_file("bad.prof", "driver = net_x\ninterval = 5\n");

		CHECK_EQ(dc_nic_profile_load(&np, p), -1);
		check_err("unknown key 'interval' in a NIC profile");
		p = write_file("nodrv.prof", "rx_desc = 512\n");
		CHECK_EQ(dc_nic_profile_load(&np, p), -1);
		check_err("missing 'driver = ...'");
	}
}

/* The shipped drivers-cfg/ loads cleanly and covers the families. */
static void
t_shipped_profiles(void)
{
	static const char *const fams[] = {"ixgbe", "i40e", "ice", "mlx5", "pcap", "memif",
					   "af_packet", "ring", "null", "default"};
	struct dc_config c;

	dc_config_defaults(&c);
	CHECK_EQ(dc_config_set(&c, "drivers_cfg_dir", DC_SRCDIR "/drivers-cfg", "test"), 0);
	CHECK_EQ(dc_config_load_profiles(&c), 0);
	if (c.nb_profiles == 0)
		fprintf(stderr, "  %s\n", dc_strerror());
	for (size_t i = 0; i < DC_ARRAY_SIZE(fams); i++) {
		CHECK_EQ(dc_config_set(&c, "nic", fams[i], "test"), 0);
		CHECK(dc_config_profile_for(&c, "x") != NULL);
	}
	CHECK_EQ(dc_config_set(&c, "nic", "auto", "test"), 0);
	{
		static const char *const by_driver[][2] = {
			{"net_ixgbe", "ixgbe"}, {"net_i40e", "i40e"}, {"net_ice", "ice"},
			{"mlx5_pci", "mlx5"}, {"net_pcap", "pcap"}, {"net_memif", "memif"},
			{"net_null", "null"}, {"net_unknown", "default"},
		};

		for (size_t i = 0; i < DC_ARRAY_SIZE(by_driver); i++) {
			const struct dc_nic_profile *pr = dc_config_profile_for(&c, by_driver[i][0]);

			CHECK(pr != NULL && strcmp(pr->name, by_driver[i][1]) == 0);
		}
	}
	/* net_pcap reads its file inside the receive call: its end is the
	 * first empty polls, not 200 ms of them; the command line still rules */
	{
		struct dc_nic_settings s;

		dc_nic_settings_resolve(&c, dc_config_profile_for(&c, "net_pcap"), &s);
		CHECK_EQ(s.idle_exit_ms, 2);
		dc_nic_settings_resolve(&c, dc_config_profile_for(&c, "net_memif"), &s);
		CHECK_EQ(s.idle_exit_ms, 200);
		CHECK_EQ(dc_config_set(&c, "idle-exit-ms", "50", "command line"), 0);
		dc_nic_settings_resolve(&c, dc_config_profile_for(&c, "net_pcap"), &s);
		CHECK_EQ(s.idle_exit_ms, 50);
	}
	dc_config_free(&c);
}

/* The telescope's prefixes: parsing, refusals, bit numbering (against an
 * independent count of each prefix's size), the address of a bit. */
static void
t_telescope(void)
{
	struct dc_config c;
	struct dc_telescope t;
	char buf[256];
	uint32_t bit;

	dc_config_defaults(&c);
	CHECK_EQ(c.telescope.n, 0);
	CHECK_EQ(dc_config_set(&c, "telescope", " 198.18.0.0/15 , 203.0.113.0/24,10.1.2.3/32",
			       "command line"), 0);
	CHECK_EQ(c.telescope.n, 3);
	CHECK_EQ(c.telescope.addrs, 131072 + 256 + 1);
	CHECK_EQ(dc_telescope_words(&c.telescope), (131072 + 256 + 1 + 63) / 64);
	dc_telescope_format(&c.telescope, buf, sizeof(buf));
	CHECK(strcmp(buf, "198.18.0.0/15,203.0.113.0/24,10.1.2.3/32") == 0);
	/* first, last and outside addresses of each prefix */
	CHECK(dc_telescope_bit(&c.telescope, 0xC6120000u, &bit) && bit == 0);
	CHECK(dc_telescope_bit(&c.telescope, 0xC613FFFFu, &bit) && bit == 131071);
	CHECK(!dc_telescope_bit(&c.telescope, 0xC6140000u, &bit));
	CHECK(!dc_telescope_bit(&c.telescope, 0xC611FFFFu, &bit));
	CHECK(dc_telescope_bit(&c.telescope, 0xCB007100u, &bit) && bit == 131072);
	CHECK(dc_telescope_bit(&c.telescope, 0xCB0071FFu, &bit) && bit == 131072 + 255);
	CHECK(dc_telescope_bit(&c.telescope, 0x0A010203u, &bit) && bit == 131072 + 256);
	CHECK(!dc_telescope_bit(&c.telescope, 0x0A010204u, &bit));
	/* every address of each prefix: bit = the prefix's first bit (the sizes
	 * of the prefixes before it) + the offset in it; neighbours outside */
	{
		static const struct { uint32_t net, size, first; } pf[] = {
			{0xC6120000u, 131072, 0}, {0xCB007100u, 256, 131072}, {0x0A010203u, 1, 131328},
		};
		unsigned bad = 0;

		for (unsigned i = 0; i < DC_ARRAY_SIZE(pf); i++) {
			for (uint32_t o = 0; o < pf[i].size; o++)
				bad += !dc_telescope_bit(&c.telescope, pf[i].net + o, &bit) ||
				       bit != pf[i].first + o;
			bad += dc_telescope_bit(&c.telescope, pf[i].net - 1, &bit) != 0;
			bad += dc_telescope_bit(&c.telescope, pf[i].net + pf[i].size, &bit) != 0;
		}
		CHECK_EQ(bad, 0);
	}
	/* "off" clears it; the dump shows it */
	CHECK_EQ(dc_config_set(&c, "telescope", "off", "command line"), 0);
	CHECK_EQ(c.telescope.n, 0);
	/* refusals leave the value as it was, one line naming the problem */
	CHECK_EQ(dc_telescope_parse(&t, "0.0.0.0/6", "x"), 0);
	CHECK_EQ(t.addrs, 1ull << 26);
	CHECK_EQ(dc_config_set(&c, "telescope", "192.0.2.0/24", "command line"), 0);
	CHECK(dc_config_set(&c, "telescope", "192.0.2.0/33", "f.conf:3") != 0);
	check_err("f.conf:3: telescope: '192.0.2.0/33' is not an IPv4 prefix");
	CHECK(dc_config_set(&c, "telescope", "192.0.2.0/24,", "command line") != 0);
	check_err("telescope: '' is not an IPv4 prefix");
	CHECK(dc_config_set(&c, "telescope", "192.0.2.128/24", "command line") != 0);
	check_err("'192.0.2.128/24' has host bits set (192.0.2.0/24?)");
	CHECK(dc_config_set(&c, "telescope", "192.0.0.0/16,192.0.2.0/24", "command line") != 0);
	check_err("192.0.2.0/24 overlaps 192.0.0.0/16");
	CHECK(dc_config_set(&c, "telescope", "0.0.0.0/5", "command line") != 0);
	check_err("134217728 addresses in all; at most 67108864");
	buf[0] = '\0';
	for (unsigned i = 0; i < DC_TELESCOPE_MAX + 1; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s10.0.%u.0/24", i ? "," : "", i);
	CHECK(dc_config_set(&c, "telescope", buf, "command line") != 0);
	check_err("more than 16 prefixes");
	CHECK_EQ(c.telescope.n, 1);
	CHECK_EQ(c.telescope.net[0], 0xC0000200u);
	dc_config_free(&c);
}

int
main(void)
{
	static const struct dc_test_case cases[] = {
		{"defaults", t_defaults},
		{"file values and one-line errors", t_file_and_errors},
		{"NIC profiles and precedence", t_profiles},
		{"shipped drivers-cfg profiles", t_shipped_profiles},
		{"telescope prefixes", t_telescope},
	};
	int ret;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	ret = dc_test_run("config", cases, DC_ARRAY_SIZE(cases));
	return ret;
}
