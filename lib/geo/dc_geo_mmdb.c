/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a MaxMind DB into prefixes: walk the search tree with
 * MMDB_read_node() from the root, every (prefix, data record) pair once,
 * decoding each data record once (cache by data-section offset).
 *
 * ip_version 4 files: one walk from the root, 32 bits.
 * ip_version 6 files: the IPv4 subtree is the node reached by 96 left
 * (zero) steps from the root; it is walked as IPv4 (into the IPv4 list).
 * The IPv6 walk then skips every record that points to that same node:
 * ::/96 itself and the writer's aliases (::ffff:0:0/96, 2001::/32,
 * 2002::/16 in MaxMind's writers, which store the alias as a record holding
 * the IPv4 subtree's node number). Each is remembered as an alias prefix so
 * that IPv6 lookups there read the IPv4 table, as libmaxminddb does.
 *
 * A corrupt tree cannot loop forever or blow up: depth is bounded by the
 * address width and node reads by a multiple of node_count.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <maxminddb.h>

#include "dc_err.h"
#include "dc_mem.h"
#include "dc_geo_priv.h"

/* Data records examined before deciding that the file has the wrong layout. */
#define DETECT_RECORDS 16

typedef unsigned __int128 u128;

struct rec_cache {
	uint32_t *off1;  /* data offset + 1; 0 = empty slot */
	uint32_t *key;
	uint32_t cap;    /* power of two */
	uint32_t used;
};

struct walker {
	struct dc_geo_src *s;
	MMDB_s *mmdb;
	struct rec_cache cache;
	uint64_t reads, max_reads;
	uint32_t v4_root;     /* IPv4 subtree's node (ip_version 6) */
	int v4_root_is_node;
	uint32_t decoded;     /* distinct records decoded so far */
	int recognized;       /* one had the expected field */
};

static void
cache_init(struct rec_cache *c)
{
	c->cap = 1024;
	c->used = 0;
	c->off1 = dc_calloc(c->cap, sizeof(*c->off1));
	c->key = dc_calloc(c->cap, sizeof(*c->key));
}

static void
cache_free(struct rec_cache *c)
{
	dc_free(c->off1);
	dc_free(c->key);
}

static inline uint32_t
cache_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* Slot of @off1 (found or empty). */
static uint32_t
cache_slot(const struct rec_cache *c, uint32_t off1)
{
	uint32_t i = cache_hash(off1) & (c->cap - 1);

	while (c->off1[i] != 0 && c->off1[i] != off1)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void
cache_put(struct rec_cache *c, uint32_t off1, uint32_t key)
{
	uint32_t i;

	if ((c->used + 1) * 2 > c->cap) {
		struct rec_cache n = { .cap = c->cap * 2, .used = c->used };

		n.off1 = dc_calloc(n.cap, sizeof(*n.off1));
		n.key = dc_calloc(n.cap, sizeof(*n.key));
		for (uint32_t j = 0; j < c->cap; j++) {
			if (c->off1[j] == 0)
				continue;
			i = cache_slot(&n, c->off1[j]);
			n.off1[i] = c->off1[j];
			n.key[i] = c->key[j];
		}
		cache_free(c);
		*c = n;
	}
	i = cache_slot(c, off1);
	c->off1[i] = off1;
	c->key[i] = key;
	c->used++;
}

/*
 * Value at @path in the record, or has_data false when absent (also when
 * the path runs through something that is not a map). -1 on a corrupt
 * record.
 */
static int
get_value(struct walker *w, uint32_t off, const char *const *path, MMDB_entry_data_s *ed)
{
	MMDB_entry_s e = { .mmdb = w->mmdb, .offset = off };
	int st;

	memset(ed, 0, sizeof(*ed));
	st = MMDB_aget_value(&e, ed, path);
	if (st == MMDB_SUCCESS)
		return 0;
	if (st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		ed->has_data = false;
		return 0;
	}
	return dc_err(EINVAL, "%s: corrupt data record at offset %u: %s", w->s->path, off,
		      MMDB_strerror(st));
}

static int
decode_country(struct walker *w, uint32_t off, uint32_t *key)
{
	static const char *const paths[3][3] = {
		{ "country", "iso_code", NULL },
		{ "registered_country", "iso_code", NULL },
		{ "country_code", NULL, NULL },
	};
	MMDB_entry_data_s ed;
	char q[64];

	*key = 0;
	for (unsigned p = 0; p < 3; p++) {
		if (get_value(w, off, paths[p], &ed) < 0)
			return -1;
		if (!ed.has_data)
			continue;
		w->recognized = 1;
		if (ed.type != MMDB_DATA_TYPE_UTF8_STRING)
			return dc_err(EINVAL, "%s: data record at offset %u: %s is not a string (type %u)",
				      w->s->path, off, p == 2 ? "country_code" : "iso_code", ed.type);
		if (dc_geo_country_key(ed.utf8_string, ed.data_size, key) < 0)
			return dc_err(EINVAL, "%s: data record at offset %u: country code %s is not two letters",
				      w->s->path, off,
				      dc_geo_quote(q, sizeof(q), ed.utf8_string, ed.data_size));
		return 0;
	}
	return 0;
}

static int
decode_asn(struct walker *w, uint32_t off, uint32_t *key)
{
	static const char *const p_num[] = { "autonomous_system_number", NULL };
	static const char *const p_org[] = { "autonomous_system_organization", NULL };
	MMDB_entry_data_s ed;
	uint64_t v;

	*key = 0;
	if (get_value(w, off, p_num, &ed) < 0)
		return -1;
	if (!ed.has_data)
		return 0;
	w->recognized = 1;
	switch (ed.type) {
	case MMDB_DATA_TYPE_UINT16:
		v = ed.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		v = ed.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		v = ed.uint64;
		break;
	case MMDB_DATA_TYPE_INT32:
		v = ed.int32 < 0 ? UINT64_MAX : (uint64_t)ed.int32;
		break;
	default:
		return dc_err(EINVAL, "%s: data record at offset %u: autonomous_system_number is not an integer (type %u)",
			      w->s->path, off, ed.type);
	}
	if (v > UINT32_MAX)
		return dc_err(EINVAL, "%s: data record at offset %u: autonomous_system_number out of range",
			      w->s->path, off);
	*key = (uint32_t)v;
	if (*key == 0)
		return 0;
	if (get_value(w, off, p_org, &ed) < 0)
		return -1;
	if (ed.has_data && ed.type == MMDB_DATA_TYPE_UTF8_STRING)
		dc_geo_src_org(w->s, *key, ed.utf8_string, ed.data_size);
	return 0;
}

static int
layout_error(struct walker *w)
{
	if (w->s->kind == DC_GEO_COUNTRY)
		return dc_err(EINVAL, "%s: not a country database: records have neither country.iso_code nor country_code",
			      w->s->path);
	return dc_err(EINVAL, "%s: not an AS database: records have no autonomous_system_number",
		      w->s->path);
}

/* Value key of the data record at data-section offset @off. */
static int
record_key(struct walker *w, uint32_t off, uint32_t *key)
{
	uint32_t i = cache_slot(&w->cache, off + 1);
	int rc;

	if (w->cache.off1[i] != 0) {
		*key = w->cache.key[i];
		return 0;
	}
	rc = w->s->kind == DC_GEO_COUNTRY ? decode_country(w, off, key) : decode_asn(w, off, key);
	if (rc < 0)
		return -1;
	w->decoded++;
	if (!w->recognized && w->decoded >= DETECT_RECORDS)
		return layout_error(w);
	cache_put(&w->cache, off + 1, *key);
	return 0;
}

static void
u128_to_bytes(u128 v, uint8_t out[16])
{
	for (int i = 15; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int
read_node(struct walker *w, uint32_t node, MMDB_search_node_s *sn)
{
	int st;

	if (++w->reads > w->max_reads)
		return dc_err(EINVAL, "%s: corrupt search tree: nodes reached more than once", w->s->path);
	st = MMDB_read_node(w->mmdb, node, sn);
	if (st != MMDB_SUCCESS)
		return dc_err(EINVAL, "%s: corrupt search tree at node %u: %s", w->s->path, node,
			      MMDB_strerror(st));
	return 0;
}

/*
 * Walk the subtree of @node, which sits at @depth bits below the walk's
 * start, its path being the top @depth bits of @prefix (left-aligned in 128
 * bits). @width is 32 for an IPv4 walk, 128 for IPv6.
 */
static int
walk(struct walker *w, uint32_t node, unsigned depth, u128 prefix, unsigned width)
{
	MMDB_search_node_s sn;

	if (read_node(w, node, &sn) < 0)
		return -1;
	for (unsigned side = 0; side < 2; side++) {
		uint64_t rec = side ? sn.right_record : sn.left_record;
		uint8_t type = side ? sn.right_record_type : sn.left_record_type;
		MMDB_entry_s entry = side ? sn.right_record_entry : sn.left_record_entry;
		unsigned len = depth + 1;
		u128 p = prefix | ((u128)side << (127 - depth));
		uint32_t key;

		switch (type) {
		case MMDB_RECORD_TYPE_EMPTY:
			break;
		case MMDB_RECORD_TYPE_DATA:
			if (record_key(w, entry.offset, &key) < 0)
				return -1;
			if (key == 0)
				break; /* the tree is a partition: a miss says unknown too */
			if (width == 32) {
				dc_geo_src_add4(w->s, (uint32_t)(p >> 96), len, key);
			} else {
				uint8_t ip[16];

				u128_to_bytes(p, ip);
				dc_geo_src_add6(w->s, ip, len, key);
			}
			break;
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			if (width == 128 && w->v4_root_is_node && rec == w->v4_root) {
				struct dc_geo_alias *a;

				if (len > 96)
					return dc_err(EINVAL, "%s: corrupt search tree: IPv4 subtree below /96",
						      w->s->path);
				if (w->s->nalias == DC_GEO_MAX_ALIAS)
					return dc_err(EINVAL, "%s: more than %d IPv6 prefixes alias the IPv4 subtree",
						      w->s->path, DC_GEO_MAX_ALIAS);
				a = &w->s->alias[w->s->nalias++];
				u128_to_bytes(p, a->pfx);
				a->len = (uint8_t)len;
				break;
			}
			if (len >= width)
				return dc_err(EINVAL, "%s: corrupt search tree: deeper than %u bits",
					      w->s->path, width);
			if (walk(w, (uint32_t)rec, len, p, width) < 0)
				return -1;
			break;
		default:
			return dc_err(EINVAL, "%s: corrupt search tree: invalid record in node %u",
				      w->s->path, node);
		}
	}
	return 0;
}

/* ip_version 6: find the IPv4 subtree (96 zero bits down) and walk it. */
static int
walk_ipv4_part(struct walker *w)
{
	uint32_t node = 0;
	MMDB_search_node_s sn;
	uint32_t key;

	for (unsigned d = 0; d < 96; d++) {
		if (read_node(w, node, &sn) < 0)
			return -1;
		switch (sn.left_record_type) {
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			node = (uint32_t)sn.left_record;
			break;
		case MMDB_RECORD_TYPE_DATA:
			/* ::/(d+1) holds data: all of IPv4 has it (the IPv6 walk adds
			 * the prefix itself) */
			if (record_key(w, sn.left_record_entry.offset, &key) < 0)
				return -1;
			if (key != 0)
				dc_geo_src_add4(w->s, 0, 0, key);
			return 0;
		case MMDB_RECORD_TYPE_EMPTY:
			return 0;
		default:
			return dc_err(EINVAL, "%s: corrupt search tree: invalid record in node %u",
				      w->s->path, node);
		}
	}
	w->v4_root = node;
	w->v4_root_is_node = 1;
	return walk(w, node, 0, 0, 32);
}

int
dc_geo_read_mmdb(struct dc_geo_src *s)
{
	MMDB_s mmdb;
	struct walker w = { .s = s, .mmdb = &mmdb };
	int st, rc;

	memset(&mmdb, 0, sizeof(mmdb));
	st = MMDB_open(s->path, MMDB_MODE_MMAP, &mmdb);
	if (st != MMDB_SUCCESS) {
		if (st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR)
			return dc_err(errno ? errno : EIO, "%s: %s (%s)", s->path, MMDB_strerror(st),
				      strerror(errno));
		return dc_err(st == MMDB_OUT_OF_MEMORY_ERROR ? ENOMEM : EINVAL,
			      "%s: bad MaxMind DB: %s", s->path, MMDB_strerror(st));
	}
	s->is_mmdb = 1;
	s->ip_version = mmdb.metadata.ip_version;
	if (s->ip_version != 4 && s->ip_version != 6) {
		MMDB_close(&mmdb);
		return dc_err(EINVAL, "%s: unsupported ip_version %u in metadata", s->path, s->ip_version);
	}
	if (mmdb.metadata.node_count == 0) {
		MMDB_close(&mmdb);
		return dc_err(EINVAL, "%s: empty database: no search tree", s->path);
	}
	cache_init(&w.cache);
	w.max_reads = (uint64_t)mmdb.metadata.node_count * 8 + 256;
	if (s->ip_version == 6)
		rc = walk_ipv4_part(&w);
	else
		rc = 0;
	if (rc == 0)
		rc = walk(&w, 0, 0, 0, s->ip_version == 6 ? 128 : 32);
	if (rc == 0 && !w.recognized)
		rc = w.decoded == 0 ? dc_err(EINVAL, "%s: empty database: no networks", s->path)
				    : layout_error(&w);
	s->records = w.decoded;
	cache_free(&w.cache);
	MMDB_close(&mmdb);
	return rc;
}
