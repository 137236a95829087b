/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * darkcap-rules: check payload signature rules files exactly as darkcap
 * loads them (lib/sig: parse, group by protocol and port, compile with
 * Hyperscan, build darkcap's matcher's programs) without starting the
 * engine, and list every rule with what scans it. For operators editing a
 * rules file before a SIGHUP reload (a bad file would be refused and the old
 * rules kept: this says why first). No DPDK, no hugepages.
 *
 *   darkcap-rules [--quiet] FILE...
 *
 * Exit status: 0 the files load; 1 they do not (one line on stderr naming
 * the file and line, as darkcap would log it); 2 usage.
 * docs/SIGNATURES.md, "Checking rules files".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_err.h"
#include "dc_sig.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: darkcap-rules [--quiet] FILE...\n"
		"Check signature rules files as darkcap loads them and list each rule with\n"
		"the engine that scans it. Exit 0 when they load, 1 when not (the reason on\n"
		"stderr, FILE:LINE: problem), 2 on a usage error.\n"
		"  --quiet   print nothing when the files load\n");
}

static void
print_ports(const struct dc_sig_rule *r)
{
	if (r->nranges == 0) {
		fputs("any", stdout);
		return;
	}
	for (unsigned k = 0; k < r->nranges; k++) {
		if (k)
			putchar(',');
		if (r->ranges[k][0] == r->ranges[k][1])
			printf("%u", r->ranges[k][0]);
		else
			printf("%u-%u", r->ranges[k][0], r->ranges[k][1]);
	}
}

int
main(int argc, char **argv)
{
	const char **files;
	unsigned nfiles = 0, fr, fg;
	struct dc_sig_db *db;
	int quiet = 0;

	files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			free(files);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "darkcap-rules: unknown option '%s' (see --help)\n", argv[i]);
			free(files);
			return 2;
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (nfiles == 0) {
		usage(stderr);
		free(files);
		return 2;
	}
	db = dc_sig_load(files, nfiles, NULL);
	free(files);
	if (db == NULL) {
		fprintf(stderr, "darkcap-rules: %s\n", dc_strerror());
		return 1;
	}
	if (quiet) {
		dc_sig_free(db);
		return 0;
	}
	fr = dc_sig_fast_count(db, &fg);
	printf("%u rules in %u port groups (hash %s); %u rules taken by darkcap's matcher "
	       "(%u floating), %u groups decided without Hyperscan\n",
	       dc_sig_count(db), dc_sig_db_count(db), dc_sig_hash(db), fr, dc_sig_floating_count(db),
	       fg);
	if (dc_sig_cache_note(db) != NULL)
		printf("note: %s\n", dc_sig_cache_note(db));
	printf("id\tname\tfamily\tproto\tports\tscanned by\n");
	for (unsigned i = 0; i < dc_sig_count(db); i++) {
		const struct dc_sig_rule *r = dc_sig_rule(db, i);
		const char *why = dc_sig_fast_why(db, i);
		unsigned nf = 0, ng = dc_sig_rule_groups(db, i, &nf);

		printf("%u\t%s\t%s\t%s\t", r->id, r->name, r->family,
		       r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : "any");
		print_ports(r);
		if (why != NULL)
			printf("\tHyperscan (%s)\n", why);
		else if (nf == ng)
			printf("\tdarkcap's matcher (%s)\n",
			       dc_sig_fast_floating(db, i) ? "floating" : "anchored");
		else if (nf == 0)
			printf("\tHyperscan (its port groups also hold rules the matcher does not "
			       "take)\n");
		else
			printf("\tdarkcap's matcher (%s) in %u of its %u port groups, Hyperscan in "
			       "the others\n", dc_sig_fast_floating(db, i) ? "floating" : "anchored", nf,
			       ng);
	}
	dc_sig_free(db);
	return 0;
}
