/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Payload signatures as the workers use them (struct dc_sig_view): lib/sig's
 * compiled rules, one Hyperscan scratch per worker, and each rule's counter
 * slot. A signature id keeps its slot for the whole run, so a reload that
 * adds, drops or renames rules never mixes one signature's counts with
 * another's. The slot registry is written by the control core only (at
 * start-up and when a reload is swapped in).
 */
#include <errno.h>
#include <string.h>

#include <rte_lcore.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_log.h"
#include "dc_mem.h"

static struct {
	uint32_t id;
	char name[DC_SIG_NAME_MAX];
	char family[DC_SIG_FAMILY_MAX];
} reg[DC_SIG_SLOTS];
static unsigned reg_used;

bool
dc_sig_on(const struct dc_config *cfg)
{
	return cfg->signatures == NULL || strcmp(cfg->signatures, "off") != 0;
}

/* Slot of signature @p id, taken when new; -1 when every slot is taken. */
static int
slot_of(uint32_t id)
{
	for (unsigned i = 0; i < reg_used; i++)
		if (reg[i].id == id)
			return (int)i;
	if (reg_used == DC_SIG_SLOTS)
		return -1;
	reg[reg_used].id = id;
	return (int)reg_used++;
}

struct dc_sig_view *
dc_sig_view_load(const struct dc_config *cfg, unsigned nb_workers)
{
	char *list = dc_strdup(cfg->signatures ? cfg->signatures
					       : dc_shipped_path(DC_DATADIR "/rules/default.rules",
								 DC_SRCDIR "/lib/sig/rules/default.rules"));
	const char *files[64];
	unsigned nfiles = 0, i;
	struct dc_sig_view *v;
	struct dc_sig_db *db;
	char *save = NULL, *f;

	for (f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		while (*f == ' ')
			f++;
		if (*f == '\0')
			continue;
		if (nfiles == DC_ARRAY_SIZE(files)) {
			dc_free(list);
			return dc_err_ptr(EINVAL, "signatures: more than %zu rules files",
					  DC_ARRAY_SIZE(files));
		}
		files[nfiles++] = f;
	}
	if (nfiles == 0) {
		dc_free(list);
		return dc_err_ptr(EINVAL, "signatures: no rules file named (give files, or off)");
	}
	db = dc_sig_load(files, nfiles,
			 cfg->sig_cache_dir && strcmp(cfg->sig_cache_dir, "off") != 0 ? cfg->sig_cache_dir
										  : NULL);
	dc_free(list);
	if (db == NULL)
		return NULL;
	v = dc_calloc(1, sizeof(*v));
	v->db = db;
	v->nrules = dc_sig_count(db);
	v->payload_max = cfg->sig_payload_max;
	v->slot = dc_calloc(v->nrules ? v->nrules : 1, sizeof(v->slot[0]));
	v->nb_scratch = nb_workers ? nb_workers : 1;
	v->scratch = dc_calloc(v->nb_scratch, sizeof(v->scratch[0]));
	for (i = 0; i < v->nb_scratch; i++)
		if ((v->scratch[i] = dc_sig_scratch_new(db)) == NULL) {
			dc_sig_view_free(v);
			return NULL;
		}
	return v;
}

/* Give every rule of @p v its slot and the registry its names (control core).
 * All or nothing: a refused set takes no slot (the ids it registered before
 * the one that did not fit are given back). */
int
dc_sig_view_bind(struct dc_sig_view *v)
{
	const unsigned used0 = reg_used;
	unsigned i;

	for (i = 0; i < v->nrules; i++) {
		const struct dc_sig_rule *r = dc_sig_rule(v->db, i);
		int s = slot_of(r->id);

		if (s < 0) {
			reg_used = used0;
			return dc_err(ENOSPC, "signatures: rule %u (%s:%u) would be the %u-th distinct "
				      "signature id of this run; at most %u (restart darkcap to reset)",
				      r->id, r->file, r->line, DC_SIG_SLOTS + 1, DC_SIG_SLOTS);
		}
		v->slot[i] = (uint16_t)s;
	}
	for (i = 0; i < v->nrules; i++) {
		const struct dc_sig_rule *r = dc_sig_rule(v->db, i);

		snprintf(reg[v->slot[i]].name, sizeof(reg[0].name), "%s", r->name);
		snprintf(reg[v->slot[i]].family, sizeof(reg[0].family), "%s", r->family);
	}
	return 0;
}

void
dc_sig_view_free(struct dc_sig_view *v)
{
	if (v == NULL)
		return;
	for (unsigned i = 0; v->scratch && i < v->nb_scratch; i++)
		dc_sig_scratch_free(v->scratch[i]);
	dc_free(v->scratch);
	dc_free(v->slot);
	dc_sig_free(v->db);
	dc_free(v);
}

const char *
dc_sig_slot_name(unsigned slot, uint32_t *id, const char **family)
{
	if (slot >= reg_used)
		return NULL;
	*id = reg[slot].id;
	*family = reg[slot].family;
	return reg[slot].name;
}

unsigned
dc_sig_slots_used(void)
{
	return reg_used;
}
