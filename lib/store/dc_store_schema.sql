-- SPDX-License-Identifier: BSD-3-Clause
-- darkcap's embedded store, schema version 3 (docs/STORE.md).
-- Version 2 added day_icmp_types, version 3 the payload signature tables
-- (interval_signatures, day_signatures, day_sig_ports, day_sig_countries);
-- an older store is migrated on open (its earlier days have no rows in
-- the tables added since).
-- One database per sensor. Days are local days in the store's time zone
-- (meta 'timezone', default UTC): 'YYYY-MM-DD'. Counts are exact unless a
-- row says estimated = 1 (distinct sources past the store's exact bound,
-- then HyperLogLog). Sketches are HyperLogLog registers (precision in meta
-- 'hll_precision', one byte per register, hash = docs/STORE.md) so that
-- distinct sources merge across sensors by taking the register maximum.

CREATE TABLE IF NOT EXISTS meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
-- keys: schema_version, sensor, timezone, interval_s, hll_precision,
--       created_utc, darkcap_version, migrated_from (the version a
--       migrated store had, and when: '1 2026-11-26T18:00:00Z')

-- One row per interval record (the interval JSON's totals).
CREATE TABLE IF NOT EXISTS intervals (
	start INTEGER PRIMARY KEY,     -- Unix seconds
	end INTEGER NOT NULL,
	day TEXT NOT NULL,             -- local day of start
	packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
	non_ip INTEGER NOT NULL, malformed INTEGER NOT NULL,
	ipv4 INTEGER NOT NULL, ipv6 INTEGER NOT NULL,
	fragments INTEGER NOT NULL, l4_truncated INTEGER NOT NULL,
	tcp_syn INTEGER NOT NULL, tcp_synack INTEGER NOT NULL, late INTEGER NOT NULL,
	tcp INTEGER NOT NULL, udp INTEGER NOT NULL, icmp INTEGER NOT NULL, other INTEGER NOT NULL,
	mirai INTEGER NOT NULL, zmap INTEGER NOT NULL, masscan INTEGER NOT NULL,
	unique_sources INTEGER NOT NULL, unique_destinations INTEGER NOT NULL,
	table_full INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS intervals_day ON intervals (day);

-- Per day, per destination port: proto 'tcp' or 'udp' with the port, and
-- 'icmp' with port -1 (every ICMP and ICMPv6 packet: the report counts ICMP
-- as one "port").
CREATE TABLE IF NOT EXISTS day_ports (
	day TEXT NOT NULL,
	proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp', 'icmp')),
	port INTEGER NOT NULL,
	packets INTEGER NOT NULL,
	PRIMARY KEY (day, proto, port)
) WITHOUT ROWID;

-- Per day, per ICMP type: family 4 (IPv4 protocol 1) or 6 (ICMPv6, IPv6
-- next header 58); packets whose ICMP type, code and checksum were present.
CREATE TABLE IF NOT EXISTS day_icmp_types (
	day TEXT NOT NULL,
	family INTEGER NOT NULL CHECK (family IN (4, 6)),
	type INTEGER NOT NULL CHECK (type BETWEEN 0 AND 255),
	packets INTEGER NOT NULL,
	PRIMARY KEY (day, family, type)
) WITHOUT ROWID;

-- Per day, per source country ('??' unknown): packets and distinct sources,
-- overall and per fingerprint.
CREATE TABLE IF NOT EXISTS day_countries (
	day TEXT NOT NULL,
	country TEXT NOT NULL,
	packets INTEGER NOT NULL, bytes INTEGER NOT NULL, sources INTEGER NOT NULL,
	mirai INTEGER NOT NULL, mirai_sources INTEGER NOT NULL,
	zmap INTEGER NOT NULL, zmap_sources INTEGER NOT NULL,
	masscan INTEGER NOT NULL, masscan_sources INTEGER NOT NULL,
	estimated INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (day, country)
) WITHOUT ROWID;

-- Per day: the same over all countries (distinct sources are not the sum of
-- the countries' when a source changed country in a database reload).
CREATE TABLE IF NOT EXISTS day_totals (
	day TEXT PRIMARY KEY,
	packets INTEGER NOT NULL, bytes INTEGER NOT NULL, sources INTEGER NOT NULL,
	mirai INTEGER NOT NULL, mirai_sources INTEGER NOT NULL,
	zmap INTEGER NOT NULL, zmap_sources INTEGER NOT NULL,
	masscan INTEGER NOT NULL, masscan_sources INTEGER NOT NULL,
	estimated INTEGER NOT NULL DEFAULT 0,
	complete INTEGER NOT NULL DEFAULT 1   -- 0: the capture did not cover the whole day
) WITHOUT ROWID;

-- Per day, the top ASes by packets (at most the store's asn limit).
CREATE TABLE IF NOT EXISTS day_asns (
	day TEXT NOT NULL,
	asn INTEGER NOT NULL,
	org TEXT NOT NULL DEFAULT '',
	packets INTEGER NOT NULL, sources INTEGER NOT NULL,
	mirai INTEGER NOT NULL, mirai_sources INTEGER NOT NULL,
	PRIMARY KEY (day, asn)
) WITHOUT ROWID;

-- Per day, every source that hit a fingerprint (for notification lists).
CREATE TABLE IF NOT EXISTS day_fp_sources (
	day TEXT NOT NULL,
	addr TEXT NOT NULL,            -- dotted quad / RFC 5952
	country TEXT NOT NULL, asn INTEGER NOT NULL,
	packets INTEGER NOT NULL,
	mirai INTEGER NOT NULL, zmap INTEGER NOT NULL, masscan INTEGER NOT NULL,
	first INTEGER NOT NULL, last INTEGER NOT NULL,   -- Unix seconds
	ports TEXT NOT NULL,           -- distinct destination ports, space-separated, at most 8, then '+'
	PRIMARY KEY (day, addr)
) WITHOUT ROWID;

-- Per day, per country ('*' = all), per kind ('all', 'mirai', 'zmap',
-- 'masscan', and 'sig:ID' for the sources of payload signature ID):
-- HyperLogLog registers of the distinct sources.
CREATE TABLE IF NOT EXISTS day_sketches (
	day TEXT NOT NULL,
	country TEXT NOT NULL,
	kind TEXT NOT NULL,
	registers BLOB NOT NULL,
	PRIMARY KEY (day, country, kind)
) WITHOUT ROWID;

-- Payload signatures (docs/SIGNATURES.md; version 3). Rows only for
-- signatures with packets; sig_id is the rule's id.

-- Per interval, per signature: the time series.
CREATE TABLE IF NOT EXISTS interval_signatures (
	start INTEGER NOT NULL,        -- intervals.start
	sig_id INTEGER NOT NULL,
	packets INTEGER NOT NULL,      -- packets that matched (exact)
	sources INTEGER NOT NULL,      -- distinct sources that sent them, in the interval
	PRIMARY KEY (start, sig_id)
) WITHOUT ROWID;

-- Per day, per signature: packets, and distinct sources over the day
-- (exact unless estimated = 1; sketches: day_sketches kind 'sig:ID').
CREATE TABLE IF NOT EXISTS day_signatures (
	day TEXT NOT NULL,
	sig_id INTEGER NOT NULL,
	name TEXT NOT NULL,            -- the rule's name and family, as last seen that day
	family TEXT NOT NULL,
	packets INTEGER NOT NULL,
	sources INTEGER NOT NULL,
	estimated INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (day, sig_id)
) WITHOUT ROWID;

-- Per day, per signature, per TCP/UDP destination port: packets.
CREATE TABLE IF NOT EXISTS day_sig_ports (
	day TEXT NOT NULL,
	sig_id INTEGER NOT NULL,
	proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
	port INTEGER NOT NULL,
	packets INTEGER NOT NULL,
	PRIMARY KEY (day, sig_id, proto, port)
) WITHOUT ROWID;

-- Per day, per signature, per source country ('??' unknown): packets and
-- distinct sources over the day.
CREATE TABLE IF NOT EXISTS day_sig_countries (
	day TEXT NOT NULL,
	sig_id INTEGER NOT NULL,
	country TEXT NOT NULL,
	packets INTEGER NOT NULL,
	sources INTEGER NOT NULL,
	estimated INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (day, sig_id, country)
) WITHOUT ROWID;
