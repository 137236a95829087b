/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The geo databases as the workers use them (struct dc_geo_view): lib/geo's
 * compiled lookup plus maps from its indexes to identities that survive a
 * reload (country letters, AS numbers).
 */
#include <errno.h>

#include <rte_lcore.h>

#include "darkcap.h"
#include "dc_err.h"
#include "dc_mem.h"

struct dc_geo_view *
dc_geo_view_load(const struct dc_config *cfg)
{
	struct dc_geo_view *v;
	struct dc_geo *g;

	g = dc_geo_load(cfg->geo_country, cfg->geo_asn, (int)rte_socket_id());
	if (g == NULL)
		return NULL;
	v = dc_calloc(1, sizeof(*v));
	v->g = g;
	v->nb_cc = dc_geo_country_count(g);
	v->nb_as = dc_geo_asn_count(g);
	v->cc = dc_calloc(v->nb_cc ? v->nb_cc : 1, sizeof(v->cc[0]));
	v->asn = dc_calloc(v->nb_as ? v->nb_as : 1, sizeof(v->asn[0]));
	for (uint32_t i = 1; i < v->nb_cc; i++)
		v->cc[i] = dc_cc_index(dc_geo_country_code(g, (uint16_t)i));
	for (uint32_t i = 1; i < v->nb_as; i++)
		v->asn[i] = dc_geo_asn(g, i);
	return v;
}

void
dc_geo_view_free(struct dc_geo_view *v)
{
	if (v == NULL)
		return;
	dc_geo_free(v->g);
	dc_free(v->cc);
	dc_free(v->asn);
	dc_free(v);
}
