#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap-report: a periodic darknet report from darkcap stores.

Reads one or more darkcap stores (SQLite, lib/store/dc_store_schema.sql, one
per sensor) and writes, for a period of local days, the report a telescope
operator publishes each quarter (docs/REPORT.md): top destination ports and
source countries with their rank in the previous period, Mirai-type packets
by day and by country, per-country cumulative distinct sources, the
chosen country's Mirai-type source addresses for notifying network operators,
and the payload signature families (overall and per top port).

Output: report.html (self-contained: inline CSS and SVG, no script, no
external resource), report.md and one CSV per table.

Python 3 standard library only.
"""
import argparse
import csv
import datetime as dt
import html
import math
import os
import pathlib
import re
import sqlite3
import struct
import sys
import threading

PROG = "darkcap-report"
VERSION = "@VERSION@"
SUPPORTED_SCHEMA = 3

# HyperLogLog, as in lib/sketch/dc_hll.[ch] and the store's sketch contract.
HLL_P = 14
HLL_M = 1 << HLL_P
HLL_Q = 64 - HLL_P
HLL_SPARSE_MAX = 2048
MASK64 = (1 << 64) - 1

HIGH_RANKS = 10          # section 4: "ranks high" = within the top 10
FP_TABLE_ROWS = 20       # section 5 rows shown in the HTML/Markdown
PORT_FAMILIES = 3        # section 6: families shown per top port
DASH = "\u2014"          # a top port without signature packets


class ReportError(Exception):
    """One line for the user; exit status 1."""


# ---------------------------------------------------------------------------
# HyperLogLog: merge and Ertl's improved estimator (port of dc_hll.c)
# ---------------------------------------------------------------------------

def _ertl_sigma(x):
    if x == 1:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if z == zp:
            return z


def _ertl_tau(x):
    if x == 0 or x == 1:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= (1 - x) * (1 - x) * y
        if z == zp:
            return z / 3


def hll_estimate(reg):
    """dc_hll_estimate() of 16384 one-byte registers (bytes-like)."""
    m = float(HLL_M)
    reg = bytes(reg)
    cnt = [0] * (HLL_Q + 2)
    seen = 0
    for k in range(HLL_Q + 2):          # stop once every register is counted
        cnt[k] = reg.count(k)
        seen += cnt[k]
        if seen == HLL_M:
            break
    if cnt[0] == HLL_M:
        return 0
    z = m * _ertl_tau(1 - cnt[HLL_Q + 1] / m)
    for k in range(HLL_Q, 0, -1):
        z = 0.5 * (z + cnt[k])
    z += m * _ertl_sigma(cnt[0] / m)
    if z == 0:
        return MASK64   # saturated: beyond what 64-bit hashes can count
    v = m * m / (2 * math.log(2)) / z + 0.5
    # (dc_hll_estimate's cast is undefined past 2^64: unreachable with real
    # data, which would need some 2^60 distinct items)
    return int(v) if v < 2.0 ** 64 else MASK64


def hll_add(reg, h):
    """dc_hll_add() on a bytearray of registers."""
    idx = h >> (64 - HLL_P)
    w = ((h << HLL_P) & MASK64) | (1 << (HLL_P - 1))
    rank = 65 - w.bit_length()          # __builtin_clzll(w) + 1
    if rank > reg[idx]:
        reg[idx] = rank


def hll_from_hashes(hashes):
    reg = bytearray(HLL_M)
    for h in hashes:
        hll_add(reg, h)
    return bytes(reg)


_SWAR_HIGH = int.from_bytes(b"\x80" * HLL_M, "little")
_SWAR_ALL = (1 << (8 * HLL_M)) - 1


def hll_max(a, b):
    """Register-wise maximum of two dense sketches (values < 64), computed on
    the whole 16 KiB as one integer: per byte, (a | 0x80) - b keeps its high
    bit exactly when a >= b and never borrows across bytes."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = (((x | _SWAR_HIGH) - y) & _SWAR_HIGH) >> 7
    mask = ge * 0xFF
    return ((x & mask) | (y & (_SWAR_ALL ^ mask))).to_bytes(HLL_M, "little")


_VALID_REGISTERS = bytes(range(HLL_Q + 2))


def parse_sketch(blob):
    """('dense', bytes) or ('sparse', tuple of 64-bit hashes); None if the
    blob follows neither form of the contract."""
    n = len(blob)
    if n == HLL_M:
        b = bytes(blob)
        if b.translate(None, _VALID_REGISTERS):
            return None
        return ("dense", b)
    if n % 8 == 0 and n // 8 < HLL_SPARSE_MAX:
        return ("sparse", struct.unpack("<%dQ" % (n // 8), blob))
    return None


def merge_sketches(blobs):
    """Distinct items in the union of sketches: (count, estimated). All
    sparse: the exact number of distinct hashes; otherwise the estimate of
    the register-wise maximum."""
    hashes = set()
    dense = None
    for b in blobs:
        kind, v = b
        if kind == "sparse":
            hashes.update(v)
        elif dense is None:
            dense = v
        else:
            dense = hll_max(dense, v)
    if dense is None:
        return len(hashes), False
    if hashes:
        dense = hll_max(dense, hll_from_hashes(hashes))
    return hll_estimate(dense), True


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

# ISO 3166-1 alpha-2: English short name, Japanese name (iso-codes, with the
# short forms the Japanese reports use).
_COUNTRIES = """\
AD Andorra|アンドラ;AE United Arab Emirates|アラブ首長国連邦;AF Afghanistan|アフガニスタン
AG Antigua and Barbuda|アンティグア・バーブーダ;AI Anguilla|アングイラ;AL Albania|アルバニア
AM Armenia|アルメニア;AO Angola|アンゴラ;AQ Antarctica|南極大陸;AR Argentina|アルゼンチン
AS American Samoa|米領サモア;AT Austria|オーストリア;AU Australia|オーストラリア;AW Aruba|アルーバ
AX Åland Islands|オーランド諸島;AZ Azerbaijan|アゼルバイジャン;BA Bosnia and Herzegovina|ボスニア・ヘルツェゴビナ
BB Barbados|バルバドス;BD Bangladesh|バングラデシュ;BE Belgium|ベルギー;BF Burkina Faso|ブルキナファソ
BG Bulgaria|ブルガリア;BH Bahrain|バーレーン;BI Burundi|ブルンジ;BJ Benin|ベナン
BL Saint Barthélemy|サンバルテルミー;BM Bermuda|バミューダ;BN Brunei|ブルネイ;BO Bolivia|ボリビア
BQ Bonaire, Sint Eustatius and Saba|ボネール、シント・ユースタティウスおよびサバ;BR Brazil|ブラジル
BS Bahamas|バハマ;BT Bhutan|ブータン;BV Bouvet Island|ブーベ島;BW Botswana|ボツワナ;BY Belarus|ベラルーシ
BZ Belize|ベリーズ;CA Canada|カナダ;CC Cocos (Keeling) Islands|ココス（キーリング）諸島
CD DR Congo|コンゴ民主共和国;CF Central African Republic|中央アフリカ;CG Congo|コンゴ共和国
CH Switzerland|スイス;CI Côte d'Ivoire|コートジボワール;CK Cook Islands|クック諸島;CL Chile|チリ
CM Cameroon|カメルーン;CN China|中国;CO Colombia|コロンビア;CR Costa Rica|コスタリカ;CU Cuba|キューバ
CV Cabo Verde|カーボベルデ;CW Curaçao|キュラソー;CX Christmas Island|クリスマス島;CY Cyprus|キプロス
CZ Czechia|チェコ;DE Germany|ドイツ;DJ Djibouti|ジブチ;DK Denmark|デンマーク;DM Dominica|ドミニカ国
DO Dominican Republic|ドミニカ共和国;DZ Algeria|アルジェリア;EC Ecuador|エクアドル;EE Estonia|エストニア
EG Egypt|エジプト;EH Western Sahara|西サハラ;ER Eritrea|エリトリア;ES Spain|スペイン;ET Ethiopia|エチオピア
FI Finland|フィンランド;FJ Fiji|フィジー;FK Falkland Islands|フォークランド諸島;FM Micronesia|ミクロネシア連邦
FO Faroe Islands|フェロー諸島;FR France|フランス;GA Gabon|ガボン;GB United Kingdom|英国;GD Grenada|グレナダ
GE Georgia|ジョージア;GF French Guiana|仏領ギアナ;GG Guernsey|ガーンジー;GH Ghana|ガーナ;GI Gibraltar|ジブラルタル
GL Greenland|グリーンランド;GM Gambia|ガンビア;GN Guinea|ギニア;GP Guadeloupe|グアドループ
GQ Equatorial Guinea|赤道ギニア;GR Greece|ギリシャ;GS South Georgia and the South Sandwich Islands|サウスジョージア・サウスサンドウィッチ諸島
GT Guatemala|グアテマラ;GU Guam|グアム;GW Guinea-Bissau|ギニアビサウ;GY Guyana|ガイアナ;HK Hong Kong|香港
HM Heard Island and McDonald Islands|ハード島・マクドナルド諸島;HN Honduras|ホンジュラス;HR Croatia|クロアチア
HT Haiti|ハイチ;HU Hungary|ハンガリー;ID Indonesia|インドネシア;IE Ireland|アイルランド;IL Israel|イスラエル
IM Isle of Man|マン島;IN India|インド;IO British Indian Ocean Territory|英領インド洋地域;IQ Iraq|イラク
IR Iran|イラン;IS Iceland|アイスランド;IT Italy|イタリア;JE Jersey|ジャージー;JM Jamaica|ジャマイカ
JO Jordan|ヨルダン;JP Japan|日本;KE Kenya|ケニア;KG Kyrgyzstan|キルギス;KH Cambodia|カンボジア
KI Kiribati|キリバス;KM Comoros|コモロ;KN Saint Kitts and Nevis|セントクリストファー・ネービス
KP North Korea|北朝鮮;KR South Korea|韓国;KW Kuwait|クウェート;KY Cayman Islands|ケイマン諸島
KZ Kazakhstan|カザフスタン;LA Laos|ラオス;LB Lebanon|レバノン;LC Saint Lucia|セントルシア
LI Liechtenstein|リヒテンシュタイン;LK Sri Lanka|スリランカ;LR Liberia|リベリア;LS Lesotho|レソト
LT Lithuania|リトアニア;LU Luxembourg|ルクセンブルク;LV Latvia|ラトビア;LY Libya|リビア;MA Morocco|モロッコ
MC Monaco|モナコ;MD Moldova|モルドバ;ME Montenegro|モンテネグロ;MF Saint Martin|サン・マルタン（仏領）
MG Madagascar|マダガスカル;MH Marshall Islands|マーシャル諸島;MK North Macedonia|北マケドニア;ML Mali|マリ
MM Myanmar|ミャンマー;MN Mongolia|モンゴル;MO Macao|マカオ;MP Northern Mariana Islands|北マリアナ諸島
MQ Martinique|マルティニーク;MR Mauritania|モーリタニア;MS Montserrat|モントセラト;MT Malta|マルタ
MU Mauritius|モーリシャス;MV Maldives|モルディブ;MW Malawi|マラウイ;MX Mexico|メキシコ;MY Malaysia|マレーシア
MZ Mozambique|モザンビーク;NA Namibia|ナミビア;NC New Caledonia|ニューカレドニア;NE Niger|ニジェール
NF Norfolk Island|ノーフォーク島;NG Nigeria|ナイジェリア;NI Nicaragua|ニカラグア;NL Netherlands|オランダ
NO Norway|ノルウェー;NP Nepal|ネパール;NR Nauru|ナウル;NU Niue|ニウエ;NZ New Zealand|ニュージーランド
OM Oman|オマーン;PA Panama|パナマ;PE Peru|ペルー;PF French Polynesia|仏領ポリネシア
PG Papua New Guinea|パプアニューギニア;PH Philippines|フィリピン;PK Pakistan|パキスタン;PL Poland|ポーランド
PM Saint Pierre and Miquelon|サンピエール島・ミクロン島;PN Pitcairn|ピトケアン;PR Puerto Rico|プエルトリコ
PS Palestine|パレスチナ;PT Portugal|ポルトガル;PW Palau|パラオ;PY Paraguay|パラグアイ;QA Qatar|カタール
RE Réunion|レユニオン;RO Romania|ルーマニア;RS Serbia|セルビア;RU Russia|ロシア;RW Rwanda|ルワンダ
SA Saudi Arabia|サウジアラビア;SB Solomon Islands|ソロモン諸島;SC Seychelles|セーシェル;SD Sudan|スーダン
SE Sweden|スウェーデン;SG Singapore|シンガポール;SH Saint Helena|セントヘレナ;SI Slovenia|スロベニア
SJ Svalbard and Jan Mayen|スバールバル諸島およびヤンマイエン島;SK Slovakia|スロバキア;SL Sierra Leone|シエラレオネ
SM San Marino|サンマリノ;SN Senegal|セネガル;SO Somalia|ソマリア;SR Suriname|スリナム;SS South Sudan|南スーダン
ST Sao Tome and Principe|サントメ・プリンシペ;SV El Salvador|エルサルバドル;SX Sint Maarten|シント・マールテン
SY Syria|シリア;SZ Eswatini|エスワティニ;TC Turks and Caicos Islands|タークス・カイコス諸島;TD Chad|チャド
TF French Southern Territories|仏領南方・南極地域;TG Togo|トーゴ;TH Thailand|タイ;TJ Tajikistan|タジキスタン
TK Tokelau|トケラウ;TL Timor-Leste|東ティモール;TM Turkmenistan|トルクメニスタン;TN Tunisia|チュニジア
TO Tonga|トンガ;TR Türkiye|トルコ;TT Trinidad and Tobago|トリニダード・トバゴ;TV Tuvalu|ツバル;TW Taiwan|台湾
TZ Tanzania|タンザニア;UA Ukraine|ウクライナ;UG Uganda|ウガンダ;UM U.S. Minor Outlying Islands|合衆国領有小離島
US United States|米国;UY Uruguay|ウルグアイ;UZ Uzbekistan|ウズベキスタン;VA Holy See|バチカン
VC Saint Vincent and the Grenadines|セントビンセント・グレナディーン;VE Venezuela|ベネズエラ
VG British Virgin Islands|英領ヴァージン諸島;VI U.S. Virgin Islands|米領ヴァージン諸島;VN Vietnam|ベトナム
VU Vanuatu|バヌアツ;WF Wallis and Futuna|ウォリス・フツナ;WS Samoa|サモア;XK Kosovo|コソボ;YE Yemen|イエメン
YT Mayotte|マヨット;ZA South Africa|南アフリカ;ZM Zambia|ザンビア;ZW Zimbabwe|ジンバブエ;EU European Union|欧州連合
AP Asia/Pacific|アジア太平洋地域"""

COUNTRY_NAMES = {}
for _line in _COUNTRIES.splitlines():
    for _item in _line.split(";"):
        _cc, _rest = _item.split(" ", 1)
        _en, _ja = _rest.split("|")
        COUNTRY_NAMES[_cc] = (_en, _ja)

UNKNOWN_CC = "??"

# IANA service names of ports darknets commonly see (TCP and UDP alike).
SERVICES = {
    21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 80: "http",
    110: "pop3", 123: "ntp", 135: "epmap", 137: "netbios-ns", 139: "netbios-ssn",
    143: "imap", 161: "snmp", 389: "ldap", 443: "https", 445: "microsoft-ds",
    587: "submission", 993: "imaps", 995: "pop3s", 1433: "ms-sql-s", 1723: "pptp",
    1900: "ssdp", 2375: "docker", 2376: "docker-s", 3306: "mysql", 3389: "ms-wbt-server", 5060: "sip",
    5432: "postgresql", 5900: "rfb", 6379: "redis", 7547: "cwmp", 8080: "http-alt",
    8443: "pcsync-https",
}

# ---------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------

TEXT = {
    "en": {
        "title": "Darknet observation report",
        "period": "Period",
        "previous": "Previous period",
        "prev_none": "none",
        "sensors": "Sensors",
        "timezone": "Days are local days in",
        "generated": "Generated",
        "contents": "Contents",
        "overview": "Overview",
        "metric": "Metric", "value": "Value",
        "ov_days": "Days with data", "ov_packets": "Packets",
        "ov_sources": "Distinct sources, summed over days",
        "ov_mirai": "Mirai-type packets", "ov_mirai_sources": "Mirai-type distinct sources, summed over days",
        "ov_zmap": "ZMap packets", "ov_masscan": "Masscan packets",
        "ov_unknown": "Packets from sources of unknown country",
        "s1": "Top {n} destination ports",
        "t1": "Table 1: top {n} destination ports",
        "f1": "Figure 1: daily packets to the top {n} destination ports, {period}",
        "f1b": "Packets per destination port, one chart each",
        "s2": "Top {n} source countries",
        "t2": "Table 2: top {n} source countries",
        "f2": "Figure 2: daily packets from the top {n} source countries, {period}",
        "f2b": "Packets per source country, one chart each",
        "s3": "Mirai-type packets",
        "s3_intro": "Mirai-type packets are TCP SYNs whose initial sequence number equals the destination address (the Mirai scanner's trait).",
        "f3": "Figure 3: Mirai-type packets per day",
        "f3b": "Figure 3b: distinct sources of Mirai-type packets per day",
        "f4": "Figure 4: share of Mirai-type source addresses by country (distinct sources summed over days)",
        "t3": "Table 3: countries by Mirai-type packets",
        "f5": "Figure 5: Mirai-type packets per day by source country (top {n})",
        "f6": "Figure 6: Mirai-type packets per day by source country ({country})",
        "s4": "Cumulative source addresses by country: Mirai-type vs all packets",
        "s4_intro": "Per country, the daily numbers of distinct source addresses summed over the period's days (a source active on 10 days counts 10 times), once for Mirai-type packets and once for all packets.",
        "t4": "Table 4: cumulative distinct sources per country, ranked by Mirai-type sources",
        "t4b": "Table 5: countries in the top {k} of one ranking but not of the other",
        "f7": "Figure 7: country ranks by Mirai-type sources (left) and by all sources (right)",
        "only_mirai": "top {k} for Mirai-type sources only",
        "only_all": "top {k} for all sources only",
        "country_ranks": "{name} ranks {a} for Mirai-type sources and {b} for all sources.",
        "not_ranked": "not ranked",
        "s5": "Mirai-type source addresses in {name}",
        "s5_intro": "Every address of {name} that sent Mirai-type packets in the period, for notifying network operators: {n} addresses; the full list is in {file}.",
        "s5_more": "First {k} of {n} rows (by Mirai-type packets); all rows in {file}.",
        "s5_none": "No Mirai-type source address of {name} in the period.",
        "rank": "Rank", "port": "Destination port", "service": "Service", "packets": "Packets",
        "share": "Share", "prev_rank": "Previous period's rank", "prev_rank_q": "Previous quarter's rank",
        "prev_rank_m": "Previous month's rank", "prev_rank_y": "Previous year's rank",
        "country": "Country", "mirai_packets": "Mirai-type packets",
        "mirai_sources": "Mirai-type sources (cumulative)", "all_sources": "All sources (cumulative)",
        "mirai_rank": "Rank (Mirai-type)", "all_rank": "Rank (all)", "which": "Ranks high in",
        "addr": "Address", "asn": "AS", "first": "First seen (UTC)", "last": "Last seen (UTC)",
        "days": "Days", "ports": "Destination ports",
        "date": "Date", "ma7": "7-day average", "daily": "daily", "sources_day": "Distinct sources",
        "y_packets": "packets", "y_sources": "sources",
        "new": "new", "others": "Others", "unknown_country": "Unknown",
        "daily_series": "Daily series",
        "no_data": "no data",
        "est_note": "Values marked ≈ are HyperLogLog estimates (standard error about 0.8 % per day and country).",
        "merge_note": "Distinct sources of several sensors are merged from their HyperLogLog sketches: a source seen by two sensors counts once.",
        "missing_days": "No data on {n} day(s) of the period: {days}.",
        "incomplete_days": "Capture incomplete on {n} day(s): {days}.",
        "sensor_missing": "Sensor {s} has no data on {n} day(s) of the period.",
        "prev_missing": "No data for the previous period ({p}): previous ranks are shown as -.",
        "prev_partial": "The previous period ({p}) has data on {n} of its {k} days: previous ranks count those days.",
        "missing_sketch": "{n} merged day/country value(s) lacked a sensor's sketch: the larger of the available counts is used (a lower bound).",
        "ma_note": "7-day average: the mean of the day and the 6 days before it over the days with data (days before the period are read when the store has them).",
        "rank_note": "Ranks by packets, ties broken by name; previous rank: rank in the previous period ({p}), 'new' when it had no packets then, '-' when that period has no data.",
        "unknown_note": "Sources of unknown country ({pk} packets) are not ranked.",
        "s6": "Payload signatures",
        "s6_intro": "Packets whose payload matched a signature of darkcap's rules (docs/SIGNATURES.md), grouped by the signature's family. A packet that matched several signatures counts under each, so the shares are of all signature matches.",
        "s6_none": "No payload signature data in the period (signature scanning off, or stores written before schema version 3).",
        "t6": "Table 6: payload signature families",
        "t7": "Table 7: top {k} families per top destination port",
        "family": "Family", "signatures": "Signatures", "fam_rank": "Family rank", "port_rank": "Port rank",
        "sig_share": "Share of signature packets", "port_share": "Share of the port's packets",
        "fam_sources": "Sources (cumulative)",
        "sig_sources_note": "Sources: per family, the day's distinct sources (over the family's signatures and the sensors) summed over the days; a source active on 10 days counts 10 times.",
        "sig_port_note": "Per top port of Table 1, the {k} families with the most packets to that port; share = the family's packets to the port / all packets to the port. {dash}: no signature packets to the port.",
        "sig_prev_note": "Previous rank: '-' when the previous period has no signature data.",
        "sig_store_missing": "Sensor {s} has no payload signature tables (store schema version {v}): its packets are not in this section.",
        "by": "by darkcap-report",
    },
    "ja": {
        "title": "インターネット定点観測レポート",
        "period": "観測期間",
        "previous": "比較期間（前期間）",
        "prev_none": "なし",
        "sensors": "センサー",
        "timezone": "日付は次のタイムゾーンの日付です",
        "generated": "作成日時",
        "contents": "目次",
        "overview": "概況",
        "metric": "項目", "value": "値",
        "ov_days": "観測データのある日数", "ov_packets": "パケット数",
        "ov_sources": "送信元アドレスの延べ数（日ごとの異なり数の合計）",
        "ov_mirai": "Mirai 型パケット数", "ov_mirai_sources": "Mirai 型パケットの送信元アドレスの延べ数",
        "ov_zmap": "ZMap のパケット数", "ov_masscan": "Masscan のパケット数",
        "ov_unknown": "送信元地域が不明なパケット数",
        "s1": "宛先ポート番号トップ {n}",
        "t1": "表 1：宛先ポート番号トップ {n}",
        "f1": "図 1：{period} のポート番号宛のパケット観測数トップ {n} の推移",
        "f1b": "宛先ポート別パケット数の推移",
        "s2": "送信元地域トップ {n}",
        "t2": "表 2：送信元地域トップ {n}",
        "f2": "図 2：{period} の送信元地域別トップ {n} ごとのパケット観測数の推移",
        "f2b": "送信元地域別パケット数の推移",
        "s3": "Mirai の特徴をもつパケット（Mirai 型パケット）",
        "s3_intro": "Mirai 型パケット：Mirai の特徴（Initial Sequence Number = Destination IP address）をもつ TCP SYN パケット。",
        "f3": "図 3：Mirai 型のパケット数の推移",
        "f3b": "図 3b：Mirai 型パケットの送信元アドレス数（日ごとの異なり数）の推移",
        "f4": "図 4：Mirai 型のパケットの送信元アドレスの延べ数の割合",
        "t3": "表 3：Mirai 型パケットの送信元地域",
        "f5": "図 5：送信元地域別のパケット数の推移 (TOP{n})",
        "f6": "図 6：送信元地域別のパケット数の推移 ({country})",
        "s4": "送信元アドレスの延べ数の地域別比較（Mirai 型パケットと全パケット）",
        "s4_intro": "地域ごとに、日ごとの送信元アドレスの異なり数を期間中の日について積算した延べ数（10 日間観測されたアドレスは 10 と数える）を、Mirai 型パケットと観測された全パケットについて求めて比較します。",
        "t4": "表 4：地域別の送信元アドレスの延べ数（Mirai 型パケットの順）",
        "t4b": "表 5：一方だけで上位 {k} 位以内の地域",
        "f7": "図 7：送信元アドレスの延べ数による地域の順位（左：Mirai 型パケット、右：全パケット）",
        "only_mirai": "Mirai 型パケットでのみ上位 {k} 位以内",
        "only_all": "全パケットでのみ上位 {k} 位以内",
        "country_ranks": "{name}は、前者では {a} 番目、後者では {b} 番目にランクされました。",
        "not_ranked": "圏外",
        "s5": "{name}の Mirai 型パケットの送信元アドレス",
        "s5_intro": "期間中に Mirai 型パケットを送信した{name}の IP アドレス（ネットワーク管理者への情報提供用）：{n} 件。一覧は {file} にあります。",
        "s5_more": "Mirai 型パケット数の多い順に {k} 件を示します（全 {n} 件は {file}）。",
        "s5_none": "期間中、{name}の Mirai 型パケットの送信元アドレスはありませんでした。",
        "rank": "順位", "port": "宛先ポート番号", "service": "サービス", "packets": "パケット数",
        "share": "割合", "prev_rank": "前期間の順位", "prev_rank_q": "前四半期の順位",
        "prev_rank_m": "前月の順位", "prev_rank_y": "前年の順位",
        "country": "送信元地域", "mirai_packets": "Mirai 型パケット数",
        "mirai_sources": "Mirai 型パケットの送信元アドレスの延べ数", "all_sources": "全パケットの送信元アドレスの延べ数",
        "mirai_rank": "順位（Mirai 型）", "all_rank": "順位（全パケット）", "which": "上位となった方",
        "addr": "IP アドレス", "asn": "AS 番号", "first": "初観測 (UTC)", "last": "最終観測 (UTC)",
        "days": "観測日数", "ports": "宛先ポート番号",
        "date": "日付", "ma7": "7日間平均", "daily": "日ごと", "sources_day": "送信元アドレス数",
        "y_packets": "パケット数", "y_sources": "送信元アドレス数",
        "new": "新規", "others": "その他", "unknown_country": "不明",
        "daily_series": "日ごとの値",
        "no_data": "データなし",
        "est_note": "≈ の付いた値は HyperLogLog による推定値です（日・地域ごとの標準誤差 約 0.8 %）。",
        "merge_note": "複数センサーの送信元アドレス数は HyperLogLog スケッチを統合して求めています（複数のセンサーで観測されたアドレスは 1 と数えます）。",
        "missing_days": "期間中 {n} 日はデータがありません：{days}。",
        "incomplete_days": "{n} 日は観測が 1 日分そろっていません：{days}。",
        "sensor_missing": "センサー {s} は期間中 {n} 日のデータがありません。",
        "prev_missing": "前期間（{p}）のデータがないため、前期間の順位は - としています。",
        "prev_partial": "前期間（{p}）のデータは {k} 日中 {n} 日分のみで、前期間の順位はその日数で求めています。",
        "missing_sketch": "{n} 件の日・地域の値は一部センサーのスケッチがないため、得られた値の最大値（下限）を用いています。",
        "ma_note": "7日間平均：当日と前 6 日のうちデータのある日の平均（期間より前の日もストアにあれば用います）。",
        "rank_note": "順位はパケット数の多い順（同数は名前順）。前期間の順位は {p} における順位で、当時パケットがなければ「新規」、その期間のデータがなければ「-」です。",
        "unknown_note": "送信元地域が不明なパケット（{pk} パケット）は順位に含めていません。",
        "s6": "ペイロードシグネチャ",
        "s6_intro": "ペイロードが darkcap のルール（docs/SIGNATURES.md）のシグネチャに一致したパケットを、シグネチャのファミリー別に集計しました。複数のシグネチャに一致したパケットはそれぞれに数えるため、割合はシグネチャ一致の総数に対するものです。",
        "s6_none": "期間中のペイロードシグネチャのデータはありません（シグネチャ照合が無効、またはスキーマバージョン 3 より前のストア）。",
        "t6": "表 6：ペイロードシグネチャのファミリー",
        "t7": "表 7：上位の宛先ポート番号ごとのファミリー上位 {k}",
        "family": "ファミリー", "signatures": "シグネチャ", "fam_rank": "ファミリー順位", "port_rank": "ポート順位",
        "sig_share": "シグネチャ一致パケットに占める割合", "port_share": "ポート宛パケットに占める割合",
        "fam_sources": "送信元アドレスの延べ数",
        "sig_sources_note": "送信元アドレスの延べ数：ファミリーごとに、日ごとの送信元アドレスの異なり数（ファミリーのシグネチャとセンサーについて統合）を期間中の日について積算した値（10 日間観測されたアドレスは 10 と数える）。",
        "sig_port_note": "表 1 の宛先ポート番号ごとに、そのポート宛のパケット数の多いファミリー {k} 件を示します。割合 = そのファミリーのポート宛パケット数 / ポート宛の全パケット数。{dash}：シグネチャに一致したパケットなし。",
        "sig_prev_note": "前期間の順位：前期間にシグネチャのデータがなければ「-」です。",
        "sig_store_missing": "センサー {s} にはペイロードシグネチャの表がありません（ストアのスキーマバージョン {v}）。その観測はこの節に含まれません。",
        "by": "darkcap-report により作成",
    },
}


def country_name(cc, lang):
    if cc == UNKNOWN_CC:
        return TEXT[lang]["unknown_country"]
    n = COUNTRY_NAMES.get(cc)
    if n is None:
        return cc
    return n[0] if lang == "en" else n[1]


def port_label(key):
    proto, port = key
    if proto == "icmp":
        return "ICMP"
    return "%d/%s" % (port, proto.upper())


def port_service(key):
    proto, port = key
    if proto == "icmp":
        return ""
    return SERVICES.get(port, "")


def port_sort_key(key):
    return (key[0], key[1])


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(s, what):
    if not _DATE_RE.match(s or ""):
        raise ReportError("%s: bad date '%s' (expected YYYY-MM-DD)" % (what, s))
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ReportError("%s: bad date '%s' (no such day)" % (what, s)) from None


def day_range(a, b):
    out = []
    d = a
    while d <= b:
        out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


def _add_months(y, m, k):
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def _month_end(y, m):
    y2, m2 = _add_months(y, m, 1)
    return dt.date(y2, m2, 1) - dt.timedelta(days=1)


def auto_previous(a, b):
    """The previous period: the same number of whole calendar months before
    when the period is whole months (a quarter's previous quarter), else the
    same number of days just before. Returns (from, to, kind) with kind
    'quarter', 'month', 'year', 'months' or 'days'."""
    if a.day == 1 and b == _month_end(b.year, b.month):
        k = (b.year - a.year) * 12 + b.month - a.month + 1
        y, m = _add_months(a.year, a.month, -k)
        pa = dt.date(y, m, 1)
        pb = a - dt.timedelta(days=1)
        kind = "months"
        if k == 1:
            kind = "month"
        elif k == 3 and a.month in (1, 4, 7, 10):
            kind = "quarter"
        elif k == 12 and a.month == 1:
            kind = "year"
        return pa, pb, kind
    n = (b - a).days + 1
    return a - dt.timedelta(days=n), a - dt.timedelta(days=1), "days"


# ---------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------

REQUIRED_TABLES = ("meta", "day_ports", "day_countries", "day_totals", "day_fp_sources", "day_sketches")
SIG_TABLES = ("day_signatures", "day_sig_ports")     # schema version 3


class Store:
    def __init__(self, path):
        self.path = path
        if not os.path.exists(path):
            raise ReportError("%s: no such file" % path)
        if os.path.isdir(path):
            raise ReportError("%s: is a directory, not a darkcap store" % path)
        uri = pathlib.Path(path).resolve().as_uri() + "?mode=ro"
        try:
            self.db = sqlite3.connect(uri, uri=True)
            names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as e:
            raise ReportError("%s: not a darkcap store (%s)" % (path, e)) from None
        if "meta" not in names:
            raise ReportError("%s: not a darkcap store (no meta table)" % path)
        try:
            self.meta = dict(self.db.execute("SELECT key, value FROM meta"))
        except sqlite3.Error as e:
            raise ReportError("%s: not a darkcap store (%s)" % (path, e)) from None
        v = self.meta.get("schema_version")
        if v is None:
            raise ReportError("%s: not a darkcap store (no schema_version in meta)" % path)
        try:
            v = int(v)
        except ValueError:
            raise ReportError("%s: not a darkcap store (schema_version '%s')" % (path, v)) from None
        if v > SUPPORTED_SCHEMA:
            raise ReportError("%s: store schema version %d is newer than this darkcap-report supports (%d): "
                              "update darkcap-report" % (path, v, SUPPORTED_SCHEMA))
        if v < 1:
            raise ReportError("%s: not a darkcap store (schema_version %d)" % (path, v))
        missing = [t for t in REQUIRED_TABLES if t not in names]
        if missing:
            raise ReportError("%s: not a darkcap store (missing table %s)" % (path, ", ".join(missing)))
        p = self.meta.get("hll_precision", str(HLL_P))
        if p != str(HLL_P):
            raise ReportError("%s: HyperLogLog precision %s not supported (only %d)" % (path, p, HLL_P))
        self.schema_version = v
        self.has_sigs = all(t in names for t in SIG_TABLES)
        self.timezone = self.meta.get("timezone", "UTC") or "UTC"
        self.sensor = self.meta.get("sensor") or os.path.splitext(os.path.basename(path))[0]
        self.uri = uri
        self.db.execute("PRAGMA query_only = 1")
        self._tune(self.db)

    @staticmethod
    def _tune(db):
        for pragma in ("PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -131072", "PRAGMA threads = 2"):
            try:
                db.execute(pragma)
            except sqlite3.Error:
                pass

    def q(self, sql, args=()):
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise ReportError("%s: %s" % (self.path, e)) from None

    def totals(self, a, b):
        """{day: row} of day_totals."""
        rows = self.q("SELECT day, packets, sources, mirai, mirai_sources, zmap, masscan, estimated, complete "
                      "FROM day_totals WHERE day BETWEEN ? AND ?", (a, b))
        return {r[0]: r[1:] for r in rows}

    def countries(self, a, b):
        """{(day, cc): (packets, sources, mirai, mirai_sources, estimated)}."""
        rows = self.q("SELECT day, country, packets, sources, mirai, mirai_sources, estimated "
                      "FROM day_countries WHERE day BETWEEN ? AND ?", (a, b))
        return {(r[0], r[1]): r[2:] for r in rows}

    # one integer per (proto, port): GROUP BY sorts integers, not records
    _PORT_KEY = "(CASE proto WHEN 'tcp' THEN 0 WHEN 'udp' THEN 1 ELSE 2 END) * 131072 + port + 1"
    _PROTOS = ("tcp", "udp", "icmp")

    def port_totals(self, a, b):
        """{(proto, port): packets} over days a..b. A big period is read in
        two halves by two threads (SQLite sorts without the GIL)."""
        sql = ("SELECT %s AS k, SUM(packets) FROM day_ports WHERE day BETWEEN ? AND ? GROUP BY k" % self._PORT_KEY)
        da, db_ = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        n = (db_ - da).days + 1
        parts = [(a, b)]
        if n >= 14:
            mid = da + dt.timedelta(days=n // 2)
            parts = [(a, (mid - dt.timedelta(days=1)).isoformat()), (mid.isoformat(), b)]
        results = [None] * len(parts)
        errors = []

        def work(i, lo, hi):
            try:
                c = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
                try:
                    c.execute("PRAGMA query_only = 1")
                    self._tune(c)
                    results[i] = c.execute(sql, (lo, hi)).fetchall()
                finally:
                    c.close()
            except sqlite3.Error as e:
                errors.append(e)
        if len(parts) == 1:
            results[0] = self.q(sql, parts[0])
        else:
            threads = [threading.Thread(target=work, args=(i, lo, hi)) for i, (lo, hi) in enumerate(parts)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise ReportError("%s: %s" % (self.path, errors[0]))
        out = {}
        for rows in results:
            for k, v in rows:
                key = (self._PROTOS[k // 131072], k % 131072 - 1)
                out[key] = out.get(key, 0) + v
        return out

    def port_daily(self, days, key):
        out = {}
        cur = self.db.cursor()
        for d in days:
            r = cur.execute("SELECT packets FROM day_ports WHERE day = ? AND proto = ? AND port = ?",
                            (d, key[0], key[1])).fetchone()
            if r is not None:
                out[d] = r[0]
        return out

    def day_sketches(self, day):
        """{(country, kind): blob} of one day's 'all' and 'mirai' sketches, and
        of its signatures' ('*', 'sig:ID')."""
        rows = self.q("SELECT country, kind, registers FROM day_sketches WHERE day = ? AND "
                      "(kind IN ('all', 'mirai') OR (country = '*' AND kind LIKE 'sig:%'))", (day,))
        return {(r[0], r[1]): r[2] for r in rows}

    def sig_days(self, a, b):
        """[(day, sig_id, name, family, packets, sources, estimated)] of
        day_signatures over days a..b (none before schema version 3)."""
        if not self.has_sigs:
            return []
        return self.q("SELECT day, sig_id, name, family, packets, sources, estimated FROM day_signatures "
                      "WHERE day BETWEEN ? AND ?", (a, b))

    def sig_port_families(self, a, b):
        """{(family, proto, port): packets} of day_sig_ports over days a..b,
        each signature under its family of that day."""
        if not self.has_sigs:
            return {}
        rows = self.q("SELECT s.family, p.proto, p.port, SUM(p.packets) FROM day_sig_ports p "
                      "JOIN day_signatures s ON s.day = p.day AND s.sig_id = p.sig_id "
                      "WHERE p.day BETWEEN ? AND ? GROUP BY s.family, p.proto, p.port", (a, b))
        return {(r[0], r[1], r[2]): r[3] for r in rows}

    def fp_sources(self, a, b, cc):
        """Per address of country cc over days a..b: (addr, 'last asn' of the
        latest row, first, last, packets, mirai, days (comma-separated),
        ports (space-separated, repeated))."""
        return self.q("SELECT addr, MAX(printf('%012d %d', last, asn)), MIN(first), MAX(last), SUM(packets), "
                      "SUM(mirai), group_concat(day), group_concat(ports, ' ') FROM day_fp_sources "
                      "WHERE day BETWEEN ? AND ? AND country = ? GROUP BY addr", (a, b, cc))


# ---------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------

def rank_map(totals, order_key):
    """{item: rank} of the items with a positive total, by total descending,
    ties by order_key."""
    items = sorted((k for k, v in totals.items() if v > 0), key=lambda k: (-totals[k], order_key(k)))
    return {k: i + 1 for i, k in enumerate(items)}, items


def moving_average(values, days, data_days, window=7):
    """values: {day: number} (missing = 0 on a data day); days: the days to
    compute for. Returns {day: mean or None}."""
    out = {}
    for d in days:
        dd = dt.date.fromisoformat(d)
        n = 0
        s = 0
        for i in range(window):
            x = (dd - dt.timedelta(days=i)).isoformat()
            if x in data_days:
                n += 1
                s += values.get(x, 0)
        out[d] = s / n if n else None
    return out


class Model:
    """Everything the report shows, computed from the stores."""

    def __init__(self, stores, a, b, prev, top, country):
        self.stores = stores
        self.a, self.b = a, b
        self.prev = prev                  # (from, to, kind) or None
        self.top = top
        self.country = country
        self.days = day_range(a, b)
        self.multi = len(stores) > 1
        self.notes = []                   # (key, kwargs)
        self.any_estimate = False
        self.missing_sketches = 0
        self._sk_day = None
        self._sk = {}
        win_a = a - dt.timedelta(days=6)
        lo = win_a if prev is None else min(win_a, prev[0])
        lo_s, hi_s = lo.isoformat(), b.isoformat()

        # day_totals and day_countries of every day we need, all stores
        self.st_totals = [s.totals(lo_s, hi_s) for s in stores]
        self.st_countries = [s.countries(lo_s, hi_s) for s in stores]
        self.data_days = set()
        for t in self.st_totals:
            self.data_days.update(t)
        period = set(self.days)
        if not (self.data_days & period):
            raise ReportError("no data between %s and %s in %s"
                              % (a, b, ", ".join(s.path for s in stores)))
        self.missing_days = [d for d in self.days if d not in self.data_days]
        self.incomplete_days = sorted({d for t in self.st_totals for d, r in t.items()
                                       if d in period and r[7] == 0})
        self.sensor_missing = []
        if self.multi:
            for s, t in zip(stores, self.st_totals):
                n = sum(1 for d in self.days if d not in t)
                if n:
                    self.sensor_missing.append((s.sensor, n))

        self.prev_days = day_range(prev[0], prev[1]) if prev else []
        self.prev_has_data = any(d in self.data_days for d in self.prev_days)
        self.ma_days = day_range(win_a, b)

        self._totals()
        self._countries()
        self._ports()
        self._fp_sources()
        self._signatures()

    # -- distinct sources, merged across sensors --------------------------
    def _distinct(self, day, per_store):
        """Distinct sources of a day over several sets: per_store =
        [(store index, sketch key (country, kind), count, estimated)] with a
        positive count (a store may bring several keys: a family's
        signatures). Returns (count, estimated)."""
        if not per_store:
            return 0, False
        if len(per_store) == 1:
            return per_store[0][2], bool(per_store[0][3])
        if day != self._sk_day:
            self._sk_day = day
            self._sk = {}
        blobs = []
        lacking = 0
        for i, key, _n, _e in per_store:
            day_sk = self._sk.get(i)
            if day_sk is None:
                day_sk = self._sk[i] = self.stores[i].day_sketches(day)
            raw = day_sk.get(key)
            if raw is None:
                lacking += 1
                continue
            sk = parse_sketch(raw)
            if sk is None:
                raise ReportError("%s: corrupt sketch for %s %s %s (%d bytes)"
                                  % (self.stores[i].path, day, key[0], key[1], len(raw)))
            blobs.append(sk)
        if lacking:
            self.missing_sketches += 1
            n = max(x[2] for x in per_store)
            if blobs:
                n = max(n, merge_sketches(blobs)[0])
            return n, True
        return merge_sketches(blobs)

    def _totals(self):
        tot = {}
        for t in self.st_totals:
            for d, r in t.items():
                x = tot.setdefault(d, [0, 0, 0, 0])
                x[0] += r[0]
                x[1] += r[2]
                x[2] += r[4]
                x[3] += r[5]
        self.totals = tot   # day -> [packets, mirai, zmap, masscan]
        self.total_packets = sum(tot.get(d, [0])[0] for d in self.days)
        self.total_mirai = sum(tot.get(d, [0, 0])[1] for d in self.days)
        self.total_zmap = sum(tot.get(d, [0, 0, 0])[2] for d in self.days)
        self.total_masscan = sum(tot.get(d, [0, 0, 0, 0])[3] for d in self.days)
        # distinct sources per day ('*'), all and Mirai-type
        self.day_sources = {}
        self.day_mirai_sources = {}
        for d in self.days:
            for kind, col, dst in (("all", 1, self.day_sources), ("mirai", 3, self.day_mirai_sources)):
                per = [(i, ("*", kind), t[d][col], t[d][6]) for i, t in enumerate(self.st_totals)
                       if d in t and t[d][col] > 0]
                if not any(d in t for t in self.st_totals):
                    continue
                n, e = self._distinct(d, per)
                dst[d] = (n, e)
                self.any_estimate |= e
        self.mirai_daily = {d: tot[d][1] for d in tot}
        self.mirai_ma = moving_average(self.mirai_daily, self.days, self.data_days)

    def _countries(self):
        period = set(self.days)
        pk = {}          # (day, cc) -> packets, all days loaded
        mk = {}          # (day, cc) -> mirai packets
        presence = {}    # (day, cc) -> [(store, sources, mirai_sources, est)]
        for i, c in enumerate(self.st_countries):
            for (d, cc), r in c.items():
                pk[(d, cc)] = pk.get((d, cc), 0) + r[0]
                mk[(d, cc)] = mk.get((d, cc), 0) + r[2]
                if d in period:
                    presence.setdefault((d, cc), []).append((i, r[1], r[3], r[4]))
        self.c_packets = {}
        self.c_mirai = {}
        self.c_prev_packets = {}
        prev = set(self.prev_days)
        for (d, cc), v in pk.items():
            if d in period:
                self.c_packets[cc] = self.c_packets.get(cc, 0) + v
                self.c_mirai[cc] = self.c_mirai.get(cc, 0) + mk[(d, cc)]
            if d in prev:
                self.c_prev_packets[cc] = self.c_prev_packets.get(cc, 0) + v
        self.c_daily = pk
        self.c_mirai_daily = mk
        # cumulative distinct sources: sum over days of the daily distinct count
        self.c_cum_sources = {}
        self.c_cum_mirai = {}
        self.c_cum_est = {}
        for (d, cc), lst in sorted(presence.items()):
            n, e = self._distinct(d, [(i, (cc, "all"), s, est) for i, s, _m, est in lst if s > 0])
            m, em = self._distinct(d, [(i, (cc, "mirai"), mm, est) for i, _s, mm, est in lst if mm > 0])
            self.c_cum_sources[cc] = self.c_cum_sources.get(cc, 0) + n
            self.c_cum_mirai[cc] = self.c_cum_mirai.get(cc, 0) + m
            if e or em:
                self.c_cum_est[cc] = True
                self.any_estimate = True
        known = lambda dct: {k: v for k, v in dct.items() if k != UNKNOWN_CC}
        ident = lambda k: k
        self.c_rank, self.c_order = rank_map(known(self.c_packets), ident)
        self.c_prev_rank, _ = rank_map(known(self.c_prev_packets), ident)
        self.cm_rank, self.cm_order = rank_map(known(self.c_mirai), ident)
        self.cum_mirai_rank, self.cum_mirai_order = rank_map(known(self.c_cum_mirai), ident)
        self.cum_all_rank, self.cum_all_order = rank_map(known(self.c_cum_sources), ident)
        self.unknown_packets = self.c_packets.get(UNKNOWN_CC, 0)

    def _ports(self):
        a, b = self.a.isoformat(), self.b.isoformat()
        cur = {}
        prev = {}
        for s in self.stores:
            for k, v in s.port_totals(a, b).items():
                cur[k] = cur.get(k, 0) + v
            if self.prev and self.prev_has_data:
                for k, v in s.port_totals(self.prev[0].isoformat(), self.prev[1].isoformat()).items():
                    prev[k] = prev.get(k, 0) + v
        self.p_totals = cur
        self.p_rank, self.p_order = rank_map(cur, port_sort_key)
        self.p_prev_rank, _ = rank_map(prev, port_sort_key)
        self.p_daily = {}
        for k in self.p_order[:self.top]:
            series = {}
            for s in self.stores:
                for d, v in s.port_daily(self.ma_days, k).items():
                    series[d] = series.get(d, 0) + v
            self.p_daily[k] = series

    def _fp_sources(self):
        a, b = self.a.isoformat(), self.b.isoformat()
        by = {}
        for s in self.stores:
            for addr, asn_key, first, last, packets, mirai, days, ports in s.fp_sources(a, b, self.country):
                lk, asn = asn_key.split(" ")
                toks = set((ports or "").split())
                x = by.get(addr)
                if x is None:
                    by[addr] = {"addr": addr, "asn": int(asn), "asn_key": lk, "first": first, "last": last,
                                "days": set(days.split(",")), "packets": packets, "mirai": mirai,
                                "ports": toks}
                    continue
                x["first"] = min(x["first"], first)
                x["last"] = max(x["last"], last)
                if lk > x["asn_key"]:
                    x["asn"], x["asn_key"] = int(asn), lk
                x["days"].update(days.split(","))
                x["packets"] += packets
                x["mirai"] += mirai
                x["ports"] |= toks
        rows = [x for x in by.values() if x["mirai"] > 0]
        rows.sort(key=lambda x: (-x["mirai"], -x["packets"], x["addr"]))
        self.fp_rows = rows

    def _signatures(self):
        """Section 6: families over the period (packets, cumulative distinct
        sources, previous rank) and the families per (proto, port)."""
        a, b = self.a.isoformat(), self.b.isoformat()
        period = set(self.days)
        prev = set(self.prev_days)
        lo = min(a, self.prev[0].isoformat()) if self.prev else a
        self.sig_lacking = [(s.sensor, s.schema_version) for s in self.stores if not s.has_sigs]
        fam_pk, fam_prev, names, per = {}, {}, {}, {}
        self.sig_prev_has_data = False
        for i, s in enumerate(self.stores):
            for day, sid, name, fam, pk, src, est in s.sig_days(lo, b):
                if day in period:
                    fam_pk[fam] = fam_pk.get(fam, 0) + pk
                    x = names.setdefault(fam, {}).get(sid)
                    if x is None or day >= x[0]:
                        names[fam][sid] = (day, name)
                    if src > 0:
                        per.setdefault((day, fam), []).append((i, sid, src, est))
                if day in prev:
                    fam_prev[fam] = fam_prev.get(fam, 0) + pk
                    self.sig_prev_has_data = True
        self.sig_packets = fam_pk
        self.sig_total = sum(fam_pk.values())
        self.sig_names = {f: [v[sid][1] for sid in sorted(v)] for f, v in names.items()}
        self.sig_sources = {f: 0 for f in fam_pk}
        self.sig_est = {}
        for (day, fam), lst in sorted(per.items()):
            n, e = self._distinct(day, [(i, ("*", "sig:%d" % sid), n, est) for i, sid, n, est in lst])
            self.sig_sources[fam] = self.sig_sources.get(fam, 0) + n
            if e:
                self.sig_est[fam] = True
                self.any_estimate = True
        ident = lambda k: k
        self.sig_rank, self.sig_order = rank_map(fam_pk, ident)
        self.sig_prev_rank, _ = rank_map(fam_prev, ident)
        pf = {}
        for s in self.stores:
            for (fam, proto, port), v in s.sig_port_families(a, b).items():
                x = pf.setdefault((proto, port), {})
                x[fam] = x.get(fam, 0) + v
        self.sig_port_fams = pf

    def sig_prev_rank_of(self, fam):
        if not self.prev or not self.sig_prev_has_data:
            return "-"
        r = self.sig_prev_rank.get(fam)
        return r if r is not None else "new"

    # -- tables (language-independent rows) -------------------------------
    def prev_rank_of(self, rank_dict, item):
        if not self.prev or not self.prev_has_data:
            return "-"
        r = rank_dict.get(item)
        return r if r is not None else "new"

    def series(self, daily, keyfn=None):
        """{day: value} over the period days with data (None on days without)."""
        return [daily.get(d, 0) if d in self.data_days else None for d in self.days]


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------

def fmt_int(n):
    return "{:,}".format(int(n))


def fmt_est(n, est):
    return ("≈" if est else "") + fmt_int(n)


def fmt_pct(x):
    return "%.2f%%" % (100.0 * x)


def fmt_ma(x):
    return "" if x is None else "{:,.1f}".format(x)


def fmt_rank(r, lang):
    if r == "new":
        return TEXT[lang]["new"]
    return str(r)


def fmt_compact(v):
    if v == 0:
        return "0"
    for div, suf in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            x = v / div
            s = ("%.2f" % x).rstrip("0").rstrip(".")
            return s + suf
    if float(v).is_integer():
        return str(int(v))
    return ("%.2f" % v).rstrip("0").rstrip(".")


_DAY_TEXT = {}


def fmt_ts(t):
    """Unix seconds as ISO 8601 UTC."""
    d, sec = divmod(int(t), 86400)
    base = _DAY_TEXT.get(d)
    if base is None:
        base = _DAY_TEXT[d] = (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
    return "%sT%02d:%02d:%02dZ" % (base, sec // 3600, sec % 3600 // 60, sec % 60)


def short_days(days, k=10):
    if len(days) <= k:
        return ", ".join(days)
    return ", ".join(days[:k]) + ", …"


# ---------------------------------------------------------------------------
# Report content (shared by HTML and Markdown)
# ---------------------------------------------------------------------------

class Table:
    def __init__(self, tid, caption, header, rows, align=None, csv_header=None, csv_rows=None, note=None):
        self.tid = tid
        self.caption = caption
        self.header = header
        self.rows = rows
        self.align = align or ["l"] * len(header)
        self.csv_header = csv_header
        self.csv_rows = csv_rows
        self.note = note
        self.hidden = False        # CSV only (e.g. a table without data)


def prev_rank_header(m, T):
    if not m.prev:
        return T["prev_rank"]
    return {"quarter": T["prev_rank_q"], "month": T["prev_rank_m"], "year": T["prev_rank_y"]}.get(
        m.prev[2], T["prev_rank"])


def build_content(m, lang):
    """A list of sections: dict(id, title, blocks) with blocks of
    ('p', text), ('table', Table), ('chart', kind, args), ('notes', [..])."""
    T = TEXT[lang]
    period = "%s – %s" % (m.a, m.b)
    prev_s = "%s – %s" % (m.prev[0], m.prev[1]) if m.prev else T["prev_none"]
    n = m.top
    secs = []
    ma_days = m.days

    # Overview
    sum_sources = sum(v[0] for v in m.day_sources.values())
    sum_msrc = sum(v[0] for v in m.day_mirai_sources.values())
    est_tot = any(v[1] for v in m.day_sources.values()) or any(v[1] for v in m.day_mirai_sources.values())
    ov_rows = [
        ("days", T["ov_days"], "%d / %d" % (len(m.days) - len(m.missing_days), len(m.days)), len(m.days) - len(m.missing_days)),
        ("packets", T["ov_packets"], fmt_int(m.total_packets), m.total_packets),
        ("sources_cumulative", T["ov_sources"], fmt_est(sum_sources, est_tot), sum_sources),
        ("mirai_packets", T["ov_mirai"], "%s (%s)" % (fmt_int(m.total_mirai), fmt_pct(m.total_mirai / m.total_packets if m.total_packets else 0)), m.total_mirai),
        ("mirai_sources_cumulative", T["ov_mirai_sources"], fmt_est(sum_msrc, est_tot), sum_msrc),
        ("zmap_packets", T["ov_zmap"], fmt_int(m.total_zmap), m.total_zmap),
        ("masscan_packets", T["ov_masscan"], fmt_int(m.total_masscan), m.total_masscan),
        ("unknown_country_packets", T["ov_unknown"], fmt_int(m.unknown_packets), m.unknown_packets),
    ]
    ov = Table("overview", T["overview"], [T["metric"], T["value"]], [[r[1], r[2]] for r in ov_rows], ["l", "r"],
               ["metric", "value"], [[r[0], r[3]] for r in ov_rows])
    notes = []
    if m.missing_days:
        notes.append(T["missing_days"].format(n=len(m.missing_days), days=short_days(m.missing_days)))
    if m.incomplete_days:
        notes.append(T["incomplete_days"].format(n=len(m.incomplete_days), days=short_days(m.incomplete_days)))
    for s, k in m.sensor_missing:
        notes.append(T["sensor_missing"].format(s=s, n=k))
    if m.prev and not m.prev_has_data:
        notes.append(T["prev_missing"].format(p=prev_s))
    elif m.prev:
        have = sum(1 for d in m.prev_days if d in m.data_days)
        if have < len(m.prev_days):
            notes.append(T["prev_partial"].format(p=prev_s, n=have, k=len(m.prev_days)))
    if m.multi:
        notes.append(T["merge_note"])
    if m.any_estimate:
        notes.append(T["est_note"])
    if m.missing_sketches:
        notes.append(T["missing_sketch"].format(n=m.missing_sketches))
    notes.append(T["rank_note"].format(p=prev_s))
    notes.append(T["ma_note"])
    secs.append({"id": "overview", "title": T["overview"], "blocks": [("table", ov), ("notes", notes)]})

    prh = prev_rank_header(m, T)

    # 1. ports
    top_ports = m.p_order[:n]
    rows, crow = [], []
    for k in top_ports:
        pr = m.prev_rank_of(m.p_prev_rank, k)
        sh = m.p_totals[k] / m.total_packets if m.total_packets else 0
        svc = port_service(k)
        rows.append([str(m.p_rank[k]), port_label(k), svc, fmt_int(m.p_totals[k]), fmt_pct(sh), fmt_rank(pr, lang)])
        crow.append([m.p_rank[k], port_label(k), k[0], k[1] if k[0] != "icmp" else "", svc, m.p_totals[k],
                     "%.4f" % (100 * sh), pr])
    t1 = Table("top_ports", T["t1"].format(n=n), [T["rank"], T["port"], T["service"], T["packets"], T["share"], prh],
               rows, ["r", "l", "l", "r", "r", "r"],
               ["rank", "port", "proto", "number", "service", "packets", "share_pct", "prev_rank"], crow)
    p_series = []
    for k in top_ports:
        ma = moving_average(m.p_daily[k], ma_days, m.data_days)
        p_series.append({"label": port_label(k), "values": m.series(m.p_daily[k]), "ma": [ma[d] for d in m.days],
                         "raw": m.p_daily[k], "madict": ma})
    t1d = daily_table("top_ports_daily", T["daily_series"] + " (" + T["t1"].format(n=n) + ")", m, p_series, T, "port")
    secs.append({"id": "ports", "title": "1. " + T["s1"].format(n=n), "blocks": [
        ("table", t1),
        ("chart", "lines", {"series": p_series, "title": T["f1"].format(n=n, period=period), "y": T["y_packets"]}),
        ("chart", "multiples", {"series": p_series, "title": T["f1b"], "y": T["y_packets"]}),
        ("table", t1d)]})

    # 2. countries
    top_cc = m.c_order[:n]
    rows, crow = [], []
    for cc in top_cc:
        pr = m.prev_rank_of(m.c_prev_rank, cc)
        sh = m.c_packets[cc] / m.total_packets if m.total_packets else 0
        rows.append([str(m.c_rank[cc]), country_name(cc, lang), cc, fmt_int(m.c_packets[cc]), fmt_pct(sh), fmt_rank(pr, lang)])
        crow.append([m.c_rank[cc], cc, country_name(cc, lang), m.c_packets[cc], "%.4f" % (100 * sh), pr])
    t2 = Table("top_countries", T["t2"].format(n=n),
               [T["rank"], T["country"], "CC", T["packets"], T["share"], prh], rows, ["r", "l", "l", "r", "r", "r"],
               ["rank", "country", "name", "packets", "share_pct", "prev_rank"], crow,
               note=T["unknown_note"].format(pk=fmt_int(m.unknown_packets)) if m.unknown_packets else None)
    c_series = []
    for cc in top_cc:
        daily = {d: m.c_daily.get((d, cc), 0) for d in m.ma_days if (d, cc) in m.c_daily}
        ma = moving_average(daily, ma_days, m.data_days)
        c_series.append({"label": country_name(cc, lang), "key": cc, "values": m.series(daily),
                         "ma": [ma[d] for d in m.days], "raw": daily, "madict": ma})
    t2d = daily_table("top_countries_daily", T["daily_series"] + " (" + T["t2"].format(n=n) + ")", m, c_series, T, "country")
    secs.append({"id": "countries", "title": "2. " + T["s2"].format(n=n), "blocks": [
        ("table", t2),
        ("chart", "lines", {"series": c_series, "title": T["f2"].format(n=n, period=period), "y": T["y_packets"]}),
        ("chart", "multiples", {"series": c_series, "title": T["f2b"], "y": T["y_packets"]}),
        ("table", t2d)]})

    # 3. Mirai
    md_rows, md_csv = [], []
    for d in m.days:
        if d not in m.data_days:
            md_rows.append([d, "", "", ""])
            md_csv.append([d, "", "", "", ""])
            continue
        src, e = m.day_mirai_sources.get(d, (0, False))
        md_rows.append([d, fmt_int(m.mirai_daily.get(d, 0)), fmt_ma(m.mirai_ma[d]), fmt_est(src, e)])
        md_csv.append([d, m.mirai_daily.get(d, 0), "%.2f" % m.mirai_ma[d] if m.mirai_ma[d] is not None else "", src, int(e)])
    t3d = Table("mirai_daily", T["daily_series"] + " (" + T["f3"] + ")", [T["date"], T["mirai_packets"], T["ma7"], T["sources_day"]], md_rows,
                ["l", "r", "r", "r"], ["day", "packets", "ma7", "sources", "estimated"], md_csv)
    mirai_series = [{"label": T["mirai_packets"], "values": m.series(m.mirai_daily), "ma": [m.mirai_ma[d] for d in m.days]}]
    msrc = {d: v[0] for d, v in m.day_mirai_sources.items()}
    msrc_ma = moving_average(msrc, m.days, {d for d in m.day_mirai_sources})
    msrc_series = [{"label": T["sources_day"], "values": [msrc.get(d) for d in m.days],
                    "ma": [msrc_ma[d] for d in m.days]}]
    total_cum_mirai = sum(m.c_cum_mirai.values())
    pie = []
    for cc in sorted(m.c_cum_mirai, key=lambda c: (-m.c_cum_mirai[c], c == UNKNOWN_CC, c)):
        if m.c_cum_mirai[cc] > 0:
            pie.append((country_name(cc, lang), m.c_cum_mirai[cc]))
    rows, crow = [], []
    mirai_countries = [c for c in m.cm_order]
    for cc in mirai_countries[:max(n, 10)]:
        sh = m.c_cum_mirai.get(cc, 0) / total_cum_mirai if total_cum_mirai else 0
        rows.append([str(m.cm_rank[cc]), country_name(cc, lang), cc, fmt_int(m.c_mirai[cc]),
                     fmt_est(m.c_cum_mirai.get(cc, 0), m.c_cum_est.get(cc, False)), fmt_pct(sh)])
    for cc in mirai_countries:
        sh = m.c_cum_mirai.get(cc, 0) / total_cum_mirai if total_cum_mirai else 0
        crow.append([m.cm_rank[cc], cc, country_name(cc, lang), m.c_mirai[cc], m.c_cum_mirai.get(cc, 0),
                     "%.4f" % (100 * sh), int(m.c_cum_est.get(cc, False))])
    t3 = Table("mirai_countries", T["t3"], [T["rank"], T["country"], "CC", T["mirai_packets"], T["mirai_sources"], T["share"]],
               rows, ["r", "l", "l", "r", "r", "r"],
               ["rank", "country", "name", "mirai_packets", "mirai_sources_cum", "sources_share_pct", "estimated"], crow)
    top_m = mirai_countries[:n]
    mc_series = []
    for cc in top_m:
        daily = {d: m.c_mirai_daily.get((d, cc), 0) for d in m.ma_days if (d, cc) in m.c_mirai_daily}
        ma = moving_average(daily, ma_days, m.data_days)
        mc_series.append({"label": country_name(cc, lang), "key": cc, "values": m.series(daily),
                          "ma": [ma[d] for d in m.days], "raw": daily, "madict": ma})
    cdaily = {d: m.c_mirai_daily.get((d, m.country), 0) for d in m.ma_days if (d, m.country) in m.c_mirai_daily}
    cma = moving_average(cdaily, ma_days, m.data_days)
    chosen = {"label": country_name(m.country, lang), "key": m.country, "values": m.series(cdaily),
              "ma": [cma[d] for d in m.days], "raw": cdaily, "madict": cma}
    all_mc = mc_series + ([chosen] if m.country not in top_m else [])
    t3c = daily_table("mirai_countries_daily", T["daily_series"] + " (" + T["f5"].format(n=n) + ")", m, all_mc, T, "country")
    secs.append({"id": "mirai", "title": "3. " + T["s3"], "blocks": [
        ("p", T["s3_intro"]),
        ("chart", "lines", {"series": mirai_series, "title": T["f3"], "y": T["y_packets"], "bars": True}),
        ("chart", "lines", {"series": msrc_series, "title": T["f3b"], "y": T["y_sources"], "bars": True}),
        ("chart", "pie", {"slices": pie, "title": T["f4"], "others": T["others"]}),
        ("table", t3),
        ("chart", "lines", {"series": mc_series, "title": T["f5"].format(n=n), "y": T["y_packets"]}),
        ("chart", "lines", {"series": [chosen], "title": T["f6"].format(country=country_name(m.country, lang)),
                            "y": T["y_packets"], "bars": True}),
        ("table", t3d), ("table", t3c)]})

    # 4. cumulative sources
    nr = T["not_ranked"]
    ccs = [c for c in set(m.c_cum_mirai) | set(m.c_cum_sources) if c != UNKNOWN_CC
           and (m.c_cum_mirai.get(c, 0) > 0 or m.c_cum_sources.get(c, 0) > 0)]
    ccs.sort(key=lambda c: (m.cum_mirai_rank.get(c, 10 ** 9), m.cum_all_rank.get(c, 10 ** 9), c))
    rows, crow = [], []
    show = set(m.cum_mirai_order[:max(20, n)]) | set(m.cum_all_order[:max(20, n)]) | {m.country}
    for cc in ccs:
        est = m.c_cum_est.get(cc, False)
        mr, ar = m.cum_mirai_rank.get(cc), m.cum_all_rank.get(cc)
        if cc in show:
            rows.append([country_name(cc, lang), cc, fmt_est(m.c_cum_mirai.get(cc, 0), est), str(mr) if mr else nr,
                         fmt_est(m.c_cum_sources.get(cc, 0), est), str(ar) if ar else nr])
        crow.append([cc, country_name(cc, lang), m.c_cum_mirai.get(cc, 0), mr or "", m.c_cum_sources.get(cc, 0),
                     ar or "", int(est)])
    t4 = Table("cumulative_sources", T["t4"],
               [T["country"], "CC", T["mirai_sources"], T["mirai_rank"], T["all_sources"], T["all_rank"]],
               rows, ["l", "l", "r", "r", "r", "r"],
               ["country", "name", "mirai_sources_cum", "mirai_rank", "sources_cum", "sources_rank", "estimated"], crow)
    k = HIGH_RANKS
    hm = set(m.cum_mirai_order[:k])
    ha = set(m.cum_all_order[:k])
    diff = [(cc, "mirai") for cc in m.cum_mirai_order[:k] if cc not in ha] + \
           [(cc, "all") for cc in m.cum_all_order[:k] if cc not in hm]
    rows, crow = [], []
    for cc, which in diff:
        mr, ar = m.cum_mirai_rank.get(cc), m.cum_all_rank.get(cc)
        w = T["only_mirai"].format(k=k) if which == "mirai" else T["only_all"].format(k=k)
        rows.append([country_name(cc, lang), cc, str(mr) if mr else nr, str(ar) if ar else nr, w])
        crow.append([cc, country_name(cc, lang), mr or "", ar or "", which])
    t5 = Table("rank_differences", T["t4b"].format(k=k), [T["country"], "CC", T["mirai_rank"], T["all_rank"], T["which"]],
               rows, ["l", "l", "r", "r", "l"], ["country", "name", "mirai_rank", "sources_rank", "top_in"], crow)
    cr_m = m.cum_mirai_rank.get(m.country)
    cr_a = m.cum_all_rank.get(m.country)
    sentence = T["country_ranks"].format(name=country_name(m.country, lang),
                                          a=cr_m if cr_m else nr, b=cr_a if cr_a else nr)
    blocks = [("p", T["s4_intro"]), ("table", t4),
              ("chart", "slope", {"left": m.cum_mirai_order, "right": m.cum_all_order,
                                  "lrank": m.cum_mirai_rank, "rrank": m.cum_all_rank, "focus": m.country,
                                  "title": T["f7"], "lang": lang,
                                  "ltitle": T["mirai_sources"], "rtitle": T["all_sources"]}),
              ("table", t5), ("p", sentence)]
    if any(m.c_cum_est.values()):
        blocks.append(("notes", [T["est_note"]]))
    secs.append({"id": "cumulative", "title": "4. " + T["s4"], "blocks": blocks})

    # 5. chosen country's Mirai sources
    cname = country_name(m.country, lang)
    fname = "mirai_sources_%s.csv" % m.country
    rows, crow = [], []
    port_text = {}
    for x in m.fp_rows:
        key = frozenset(x["ports"])
        ports = port_text.get(key)
        if ports is None:
            nums = sorted(int(t) for t in key if t.isdigit())
            ports = port_text[key] = (" ".join(str(p) for p in nums) + (" +" if "+" in key else "")).strip()
        crow.append([x["addr"], x["asn"], fmt_ts(x["first"]), fmt_ts(x["last"]), len(x["days"]), x["packets"],
                     x["mirai"], ports])
    for r in crow[:FP_TABLE_ROWS]:
        rows.append([r[0], str(r[1]), r[2], r[3], str(r[4]), fmt_int(r[5]), fmt_int(r[6]), r[7]])
    t6 = Table("mirai_sources_" + m.country, cname, [T["addr"], T["asn"], T["first"], T["last"], T["days"],
                                                     T["packets"], T["mirai_packets"], T["ports"]],
               rows, ["l", "r", "l", "l", "r", "r", "r", "w"],
               ["addr", "asn", "first_seen", "last_seen", "days", "packets", "mirai_packets", "ports"], crow)
    if m.fp_rows:
        blocks = [("p", T["s5_intro"].format(name=cname, n=fmt_int(len(m.fp_rows)), file=fname)), ("table", t6)]
        if len(m.fp_rows) > FP_TABLE_ROWS:
            blocks.append(("p", T["s5_more"].format(k=FP_TABLE_ROWS, n=fmt_int(len(m.fp_rows)), file=fname)))
    else:
        blocks = [("p", T["s5_none"].format(name=cname)), ("table", t6)]
    secs.append({"id": "sources", "title": "5. " + T["s5"].format(name=cname), "blocks": blocks})

    # 6. payload signatures
    rows, crow = [], []
    for f in m.sig_order:
        pr = m.sig_prev_rank_of(f)
        sh = m.sig_packets[f] / m.sig_total if m.sig_total else 0
        est = m.sig_est.get(f, False)
        sigs = " ".join(m.sig_names.get(f, []))
        crow.append([m.sig_rank[f], f, sigs, m.sig_packets[f], "%.4f" % (100 * sh), m.sig_sources.get(f, 0),
                     int(est), pr])
        if len(rows) < max(n, 10):
            rows.append([str(m.sig_rank[f]), f, sigs, fmt_int(m.sig_packets[f]), fmt_pct(sh),
                         fmt_est(m.sig_sources.get(f, 0), est), fmt_rank(pr, lang)])
    t7 = Table("signature_families", T["t6"],
               [T["rank"], T["family"], T["signatures"], T["packets"], T["sig_share"], T["fam_sources"], prh],
               rows, ["r", "l", "w", "r", "r", "r", "r"],
               ["rank", "family", "signatures", "packets", "share_pct", "sources_cum", "estimated", "prev_rank"], crow)
    k = PORT_FAMILIES
    rows, crow = [], []
    for key in top_ports:
        fams = sorted(m.sig_port_fams.get(key, {}).items(), key=lambda x: (-x[1], x[0]))
        fams = [x for x in fams if x[1] > 0][:k]
        pt = m.p_totals[key]
        svc = port_service(key)
        base = [str(m.p_rank[key]), port_label(key), svc]
        cbase = [m.p_rank[key], port_label(key), key[0], key[1] if key[0] != "icmp" else ""]
        if not fams:
            rows.append(base + [DASH, DASH, DASH, DASH])
            crow.append(cbase + ["", "", 0, "%.4f" % 0])
        for j, (f, v) in enumerate(fams):
            sh = v / pt if pt else 0
            rows.append(base + [str(j + 1), f, fmt_int(v), fmt_pct(sh)])
            crow.append(cbase + [j + 1, f, v, "%.4f" % (100 * sh)])
    t8 = Table("signature_port_families", T["t7"].format(k=k),
               [T["port_rank"], T["port"], T["service"], T["fam_rank"], T["family"], T["packets"], T["port_share"]],
               rows, ["r", "l", "l", "r", "l", "r", "r"],
               ["port_rank", "port", "proto", "number", "family_rank", "family", "packets", "share_pct"], crow)
    notes = [T["sig_store_missing"].format(s=s_, v=v_) for s_, v_ in m.sig_lacking]
    if m.sig_order:
        blocks = [("p", T["s6_intro"]), ("table", t7), ("table", t8)]
        notes += [T["sig_sources_note"], T["sig_port_note"].format(k=k, dash=DASH), T["sig_prev_note"]]
        if m.sig_est:
            notes.append(T["est_note"])
    else:
        t7.hidden = t8.hidden = True
        blocks = [("p", T["s6_none"]), ("table", t7), ("table", t8)]
    if notes:
        blocks.append(("notes", notes))
    secs.append({"id": "signatures", "title": "6. " + T["s6"], "blocks": blocks})
    return secs


def daily_table(tid, caption, m, series, T, what):
    header = [T["date"]]
    for s in series:
        header += [s["label"], s["label"] + " " + T["ma7"]]
    rows = []
    for i, d in enumerate(m.days):
        r = [d]
        for s in series:
            v = s["values"][i]
            r += ["" if v is None else fmt_int(v), fmt_ma(s["ma"][i])]
        rows.append(r)
    crow = []
    for s in series:
        for i, d in enumerate(m.days):
            v = s["values"][i]
            ma = s["ma"][i]
            crow.append([d, s.get("key", s["label"]), "" if v is None else v, "" if ma is None else "%.2f" % ma])
    return Table(tid, caption, header, rows, ["l"] + ["r"] * (len(header) - 1),
                 ["day", what, "packets", "ma7"], crow)


# ---------------------------------------------------------------------------
# SVG charts
# ---------------------------------------------------------------------------

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#882255", "#999933",
           "#332288", "#44AA99", "#AA4499", "#117733"]
FONT = "font-family=\"system-ui, 'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic', sans-serif\""


def x_(s):
    return html.escape(str(s), quote=True)


def nice_ticks(vmax, n=5):
    if vmax <= 0:
        return [0, 1]
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw))
    step = mag * 10
    for f in (1, 2, 2.5, 5, 10):
        if f * mag >= raw:
            step = f * mag
            break
    k = math.ceil(vmax / step - 1e-9)
    return [i * step for i in range(k + 1)]


def date_ticks(days, plot_w, min_gap=80):
    n = len(days)
    if n == 0:
        return []
    step = plot_w / max(n - 1, 1)
    if n <= 10:
        cand = list(range(n))
    else:
        span = n
        if span <= 45:
            cand = [i for i, d in enumerate(days) if dt.date.fromisoformat(d).weekday() == 0] or [0]
        else:
            cand = [i for i, d in enumerate(days) if d[8:] in ("01", "15")]
            if not cand:
                cand = [0]
    out = []
    last = None
    for i in cand:
        x = i * step
        if last is None or x - last >= min_gap:
            out.append(i)
            last = x
    if len(out) < 2 and n > 1:
        # too few month starts fitted: thin to first-of-month only
        out = [i for i, d in enumerate(days) if d[8:] == "01"] or [0, n - 1]
    return out


def svg_open(w, h, title):
    return ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" '
            'aria-label="%s" %s font-size="12">' % (w, h, w, h, x_(title), FONT),
            '<title>%s</title>' % x_(title),
            '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (w, h)]


def path_of(points):
    """points: list of (x, y) or None; None breaks the line."""
    parts = []
    pen = False
    for p in points:
        if p is None:
            pen = False
            continue
        parts.append("%s%.1f %.1f" % ("L" if pen else "M", p[0], p[1]))
        pen = True
    return " ".join(parts)


def chart_lines(days, series, title, ylabel, T, width=900, height=330, bars=False, compact=False):
    """Daily values (thin line, or bars for a single series) and the 7-day
    average (thick line) of each series, with date axis and legend."""
    ml, mr, mt, mb = 64, 16, 40 if not compact else 34, 44
    pw, ph = width - ml - mr, height - mt - mb
    vals = [v for s in series for v in s["values"] if v is not None] + \
           [v for s in series for v in s["ma"] if v is not None]
    vmax = max(vals) if vals else 0
    ticks = nice_ticks(vmax if vmax > 0 else 1)
    top = ticks[-1] or 1
    n = len(days)
    step = pw / max(n - 1, 1) if not bars else pw / max(n, 1)
    xof = (lambda i: ml + i * step) if not bars else (lambda i: ml + (i + 0.5) * step)
    yof = lambda v: mt + ph - ph * v / top
    out = svg_open(width, height, title)
    # grid and y axis
    for t in ticks:
        y = yof(t)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e3e3"/>' % (ml, y, ml + pw, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end" fill="#444">%s</text>' % (ml - 6, y + 4, fmt_compact(t)))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle" fill="#444">%s</text>'
               % (mt + ph // 2, mt + ph // 2, x_(ylabel)))
    # x axis
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (ml, mt + ph, ml + pw, mt + ph))
    for i in date_ticks(days, pw, min_gap=78 if not compact else 74):
        x = xof(i)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/>' % (x, mt + ph, x, mt + ph + 4))
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#f0f0f0"/>' % (x, mt, x, mt + ph))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>' % (x, mt + ph + 18, days[i]))
    if not vals:
        out.append('<text x="%d" y="%d" text-anchor="middle" fill="#888">%s</text>'
                   % (ml + pw // 2, mt + ph // 2, x_(T["no_data"])))
    for si, s in enumerate(series):
        col = s.get("color") or PALETTE[si % len(PALETTE)]
        if bars:
            bw = max(step * 0.72, 1)
            out.append('<g fill="%s" fill-opacity="0.38">' % col)
            for i, v in enumerate(s["values"]):
                if v is None:
                    continue
                y = yof(v)
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>'
                           % (xof(i) - bw / 2, y, bw, mt + ph - y, days[i], fmt_int(v)))
            out.append('</g>')
        else:
            pts = [None if v is None else (xof(i), yof(v)) for i, v in enumerate(s["values"])]
            out.append('<path d="%s" fill="none" stroke="%s" stroke-width="1.1" stroke-opacity="0.55"/>'
                       % (path_of(pts), col))
        pts = [None if v is None else (xof(i), yof(v)) for i, v in enumerate(s["ma"])]
        out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2.8" stroke-linejoin="round"/>'
                   % (path_of(pts), col if not bars or len(series) > 1 else _darker(col)))
    # legend
    lx = ml
    ly = 16
    if compact and series:
        out.append('<text x="%d" y="%d" fill="#222" font-weight="bold" font-size="14">%s</text>'
                   % (ml, ly + 5, x_(series[0]["label"])))
    elif len(series) > 1 or not bars:
        for si, s in enumerate(series):
            col = s.get("color") or PALETTE[si % len(PALETTE)]
            out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="4"/>' % (lx, ly, lx + 18, ly, col))
            out.append('<text x="%d" y="%d" fill="#222">%s</text>' % (lx + 22, ly + 4, x_(s["label"])))
            lx += 30 + 7.2 * _text_w(s["label"])
    # key: daily vs 7-day average
    kx = width - mr - 230
    if bars:
        col = series[0].get("color") or PALETTE[0] if series else PALETTE[0]
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s" fill-opacity="0.38"/>' % (kx, ly - 6, col))
        out.append('<text x="%d" y="%d" fill="#444">%s</text>' % (kx + 14, ly + 4, x_(T["daily"])))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.8"/>'
                   % (kx + 90, ly, kx + 110, ly, _darker(col) if len(series) == 1 else "#444"))
        out.append('<text x="%d" y="%d" fill="#444">%s</text>' % (kx + 114, ly + 4, x_(T["ma7"])))
    else:
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="1.1" stroke-opacity="0.6"/>'
                   % (kx, ly, kx + 20, ly))
        out.append('<text x="%d" y="%d" fill="#444">%s</text>' % (kx + 24, ly + 4, x_(T["daily"])))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="2.8"/>' % (kx + 90, ly, kx + 110, ly))
        out.append('<text x="%d" y="%d" fill="#444">%s</text>' % (kx + 114, ly + 4, x_(T["ma7"])))
    out.append('</svg>')
    return "\n".join(out)


def _text_w(s):
    """Rough width of a label in average character widths (CJK = 2)."""
    return sum(2 if ord(c) > 0x2e80 else 1 for c in s)


def _darker(col):
    r, g, b = int(col[1:3], 16), int(col[3:5], 16), int(col[5:7], 16)
    return "#%02x%02x%02x" % (int(r * 0.6), int(g * 0.6), int(b * 0.6))


def chart_pie(slices, title, others, width=900, height=330, maxn=10):
    total = sum(v for _l, v in slices)
    shown = slices[:maxn]
    rest = sum(v for _l, v in slices[maxn:])
    if rest > 0:
        shown = shown + [(others, rest)]
    out = svg_open(width, height, title)
    cx, cy, r = 170, height // 2, 140
    if total <= 0:
        out.append('<text x="%d" y="%d" text-anchor="middle" fill="#888">-</text>' % (cx, cy))
        out.append('</svg>')
        return "\n".join(out)
    ang = -math.pi / 2
    for i, (label, v) in enumerate(shown):
        col = "#bbbbbb" if (rest > 0 and i == len(shown) - 1) else PALETTE[i % len(PALETTE)]
        frac = v / total
        tip = '<title>%s: %s (%.1f%%)</title>' % (x_(label), fmt_int(v), 100 * frac)
        if frac >= 0.999999:
            out.append('<circle cx="%d" cy="%d" r="%d" fill="%s" stroke="#fff">%s</circle>' % (cx, cy, r, col, tip))
        else:
            a2 = ang + 2 * math.pi * frac
            x1, y1 = cx + r * math.cos(ang), cy + r * math.sin(ang)
            x2, y2 = cx + r * math.cos(a2), cy + r * math.sin(a2)
            large = 1 if frac > 0.5 else 0
            out.append('<path d="M%d %d L%.2f %.2f A%d %d 0 %d 1 %.2f %.2f Z" fill="%s" stroke="#fff" stroke-width="1">%s</path>'
                       % (cx, cy, x1, y1, r, r, large, x2, y2, col, tip))
            if frac >= 0.04:
                mid = (ang + a2) / 2
                out.append('<text x="%.1f" y="%.1f" text-anchor="middle" fill="#fff" font-weight="bold">%.0f%%</text>'
                           % (cx + 0.68 * r * math.cos(mid), cy + 0.68 * r * math.sin(mid) + 4, 100 * frac))
            ang = a2
    # legend
    lx, ly = 350, max(24, cy - 11 * len(shown))
    for i, (label, v) in enumerate(shown):
        col = "#bbbbbb" if (rest > 0 and i == len(shown) - 1) else PALETTE[i % len(PALETTE)]
        y = ly + i * 22
        out.append('<rect x="%d" y="%d" width="14" height="14" fill="%s"/>' % (lx, y - 11, col))
        out.append('<text x="%d" y="%d" fill="#222">%s</text>' % (lx + 22, y, x_(label)))
        out.append('<text x="%d" y="%d" text-anchor="end" fill="#222">%s</text>' % (lx + 330, y, fmt_int(v)))
        out.append('<text x="%d" y="%d" text-anchor="end" fill="#222">%.1f%%</text>' % (lx + 400, y, 100 * v / total))
    out.append('</svg>')
    return "\n".join(out)


def chart_slope(a, width=900):
    """Ranks by Mirai-type sources (left) against ranks by all sources
    (right); a line joins the two ranks of each country."""
    k = 15
    left, right = a["left"][:k], a["right"][:k]
    lang = a["lang"]
    rows = k
    mt, rowh = 46, 22
    height = mt + rows * rowh + 20
    out = svg_open(width, height, a["title"])
    lx, rx = 300, 600
    out.append('<text x="%d" y="20" text-anchor="end" fill="#222" font-weight="bold">%s</text>' % (lx, x_(a["ltitle"])))
    out.append('<text x="%d" y="20" fill="#222" font-weight="bold">%s</text>' % (rx, x_(a["rtitle"])))
    yof = lambda r: mt + (r - 1) * rowh
    ybot = mt + k * rowh - 6
    for cc in set(left) | set(right):
        lr, rr = a["lrank"].get(cc), a["rrank"].get(cc)
        hi_l = lr is not None and lr <= HIGH_RANKS
        hi_r = rr is not None and rr <= HIGH_RANKS
        focus = cc == a["focus"]
        col = "#D55E00" if focus else ("#0072B2" if hi_l != hi_r else "#9a9a9a")
        wdt = 2.6 if (focus or hi_l != hi_r) else 1.2
        y1 = yof(lr) if lr and lr <= k else ybot
        y2 = yof(rr) if rr and rr <= k else ybot
        dash = ' stroke-dasharray="4 3"' if (not lr or lr > k or not rr or rr > k) else ""
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%.1f"%s/>'
                   % (lx + 8, y1 - 4, rx - 8, y2 - 4, col, wdt, dash))
    for side, lst, ranks, other in (("l", left, a["lrank"], a["rrank"]), ("r", right, a["rrank"], a["lrank"])):
        for cc in lst:
            r = ranks[cc]
            y = yof(r)
            o = other.get(cc)
            weight = ' font-weight="bold"' if cc == a["focus"] else ""
            col = "#D55E00" if cc == a["focus"] else "#222"
            label = "%d. %s" % (r, country_name(cc, lang))
            if side == "l":
                out.append('<text x="%d" y="%d" text-anchor="end" fill="%s"%s>%s</text>' % (lx, y, col, weight, x_(label)))
            else:
                out.append('<text x="%d" y="%d" fill="%s"%s>%s</text>' % (rx, y, col, weight, x_(label)))
            if o is None or o > k:
                hint = "(%s)" % (o if o else "–")
                if side == "l":
                    out.append('<text x="%d" y="%d" fill="#888">%s</text>' % (lx + 14, y, x_(hint)))
                else:
                    out.append('<text x="%d" y="%d" text-anchor="end" fill="#888">%s</text>' % (rx - 14, y, x_(hint)))
    fc = a["focus"]
    if fc not in left[:k] and fc not in right[:k] and (fc in a["lrank"] or fc in a["rrank"]):
        out.append('<text x="%d" y="%d" text-anchor="middle" fill="#D55E00" font-weight="bold">%s: %s / %s</text>'
                   % (width // 2, height - 6, x_(country_name(fc, lang)), a["lrank"].get(fc, "–"), a["rrank"].get(fc, "–")))
    out.append('</svg>')
    return "\n".join(out)


def chart_multiples(days, series, title, ylabel, T):
    return [chart_lines(days, [s], "%s — %s" % (title, s["label"]), ylabel, T, width=440, height=250,
                        bars=True, compact=True) for s in _recolor(series)]


def _recolor(series):
    return [dict(s, color=PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,'Noto Sans CJK JP','Hiragino Sans','Yu Gothic',Meiryo,sans-serif;color:#222;margin:0;background:#f6f7f9;line-height:1.5}
main{max-width:1000px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.3em;margin-top:2em;border-bottom:2px solid #0072B2;padding-bottom:4px}
h3{font-size:1.05em;margin:1.4em 0 .4em;color:#333}
.meta{color:#555;margin:0 0 1em}.meta td{padding:1px 12px 1px 0}
table.t{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}
table.t th,table.t td{border:1px solid #d6d9de;padding:4px 9px}
table.t th{background:#eef2f7;text-align:left}
table.t td{white-space:nowrap}table.t td.w{white-space:normal}
table.t td.r{text-align:right;font-variant-numeric:tabular-nums}
table.t caption{caption-side:top;text-align:left;font-weight:bold;padding:4px 0}
figure{margin:1em 0 1.6em}figcaption{font-size:.92em;color:#333;margin-top:4px}
svg{max-width:100%;height:auto;display:block}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:10px}
details{margin:.6em 0}summary{cursor:pointer;color:#0072B2}
ul.notes{font-size:.9em;color:#444}
nav ol{margin:.2em 0}
.footer{color:#777;font-size:.85em;margin-top:3em}
@media print{body{background:#fff}main{padding:0}details{display:block}}
"""


def html_table(t, limit=None):
    out = ['<table class="t" id="t-%s">' % x_(t.tid)]
    if t.caption:
        out.append("<caption>%s</caption>" % x_(t.caption))
    out.append("<thead><tr>" + "".join("<th>%s</th>" % x_(h) for h in t.header) + "</tr></thead><tbody>")
    for r in t.rows[:limit] if limit else t.rows:
        out.append("<tr>" + "".join('<td class="%s">%s</td>' % (a, x_(c)) for a, c in zip(t.align, r)) + "</tr>")
    out.append("</tbody></table>")
    if t.note:
        out.append('<p class="note">%s</p>' % x_(t.note))
    return "\n".join(out)


def render_html(m, secs, lang):
    T = TEXT[lang]
    period = "%s – %s" % (m.a, m.b)
    out = ['<!DOCTYPE html>', '<html lang="%s">' % lang, "<head>", '<meta charset="utf-8"/>',
           '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
           "<title>%s %s</title>" % (x_(T["title"]), x_(period)), "<style>%s</style>" % CSS, "</head>", "<body>", "<main>"]
    out.append("<h1>%s</h1>" % x_(T["title"]))
    out.append('<table class="meta"><tbody>')
    out.append("<tr><td>%s</td><td>%s</td></tr>" % (x_(T["period"]), x_(period)))
    prev_s = "%s – %s" % (m.prev[0], m.prev[1]) if m.prev else T["prev_none"]
    out.append("<tr><td>%s</td><td>%s</td></tr>" % (x_(T["previous"]), x_(prev_s)))
    out.append("<tr><td>%s</td><td>%s</td></tr>" % (x_(T["sensors"]), x_(", ".join(s.sensor for s in m.stores))))
    out.append("<tr><td>%s</td><td>%s</td></tr>" % (x_(T["timezone"]), x_(m.stores[0].timezone)))
    out.append("<tr><td>%s</td><td>%s</td></tr>" % (x_(T["generated"]),
                                                   dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
    out.append("</tbody></table>")
    out.append("<nav><strong>%s</strong><ol>" % x_(T["contents"]))
    for s in secs:
        out.append('<li><a href="#%s">%s</a></li>' % (s["id"], x_(s["title"])))
    out.append("</ol></nav>")
    for s in secs:
        out.append('<section id="%s">' % s["id"])
        out.append("<h2>%s</h2>" % x_(s["title"]))
        for b in s["blocks"]:
            if b[0] == "p":
                out.append("<p>%s</p>" % x_(b[1]))
            elif b[0] == "notes":
                out.append('<ul class="notes">' + "".join("<li>%s</li>" % x_(x) for x in b[1]) + "</ul>")
            elif b[0] == "table":
                t = b[1]
                if t.hidden:
                    continue
                if t.tid.endswith("_daily"):
                    out.append("<details><summary>%s</summary>" % x_(t.caption))
                    out.append(html_table(t))
                    out.append("</details>")
                else:
                    out.append(html_table(t))
            elif b[0] == "chart":
                kind, a = b[1], b[2]
                if kind == "lines":
                    out.append("<figure>")
                    out.append(chart_lines(m.days, a["series"], a["title"], a["y"], T, bars=a.get("bars", False)))
                    out.append("<figcaption>%s</figcaption></figure>" % x_(a["title"]))
                elif kind == "multiples":
                    out.append("<h3>%s</h3>" % x_(a["title"]))
                    out.append('<div class="grid">')
                    for svg in chart_multiples(m.days, a["series"], a["title"], a["y"], T):
                        out.append("<figure>%s</figure>" % svg)
                    out.append("</div>")
                elif kind == "pie":
                    out.append("<figure>")
                    out.append(chart_pie(a["slices"], a["title"], a["others"]))
                    out.append("<figcaption>%s</figcaption></figure>" % x_(a["title"]))
                elif kind == "slope":
                    out.append("<figure>")
                    out.append(chart_slope(a))
                    out.append("<figcaption>%s</figcaption></figure>" % x_(a["title"]))
        out.append("</section>")
    out.append('<p class="footer">%s %s</p>' % (x_(T["by"]), x_(VERSION if "@" not in VERSION else "")))
    out.append("</main>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def md_cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def md_table(t):
    out = ["<!-- table: %s -->" % t.tid]
    if t.caption:
        out.append("**%s**" % md_cell(t.caption))
        out.append("")
    out.append("| " + " | ".join(md_cell(h) for h in t.header) + " |")
    out.append("|" + "|".join("---:" if a == "r" else "---" for a in t.align) + "|")
    for r in t.rows:
        out.append("| " + " | ".join(md_cell(c) for c in r) + " |")
    if t.note:
        out.append("")
        out.append(t.note)
    out.append("")
    return "\n".join(out)


def render_md(m, secs, lang):
    T = TEXT[lang]
    period = "%s – %s" % (m.a, m.b)
    prev_s = "%s – %s" % (m.prev[0], m.prev[1]) if m.prev else T["prev_none"]
    out = ["# %s" % T["title"], "",
           "- %s: %s" % (T["period"], period),
           "- %s: %s" % (T["previous"], prev_s),
           "- %s: %s" % (T["sensors"], ", ".join(s.sensor for s in m.stores)),
           "- %s: %s" % (T["timezone"], m.stores[0].timezone), ""]
    for s in secs:
        out.append("## %s" % s["title"])
        out.append("")
        for b in s["blocks"]:
            if b[0] == "p":
                out += [b[1], ""]
            elif b[0] == "notes":
                out += ["- " + x for x in b[1]] + [""]
            elif b[0] == "table" and not b[1].hidden:
                out.append(md_table(b[1]))
            elif b[0] == "chart" and b[1] in ("lines", "pie", "slope"):
                out += ["*%s: report.html*" % b[2]["title"], ""]
    return "\n".join(out) + "\n"


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_report(m, lang, outdir, formats):
    secs = build_content(m, lang)
    os.makedirs(outdir, exist_ok=True)
    written = []
    if "csv" in formats:
        for s in secs:
            for b in s["blocks"]:
                if b[0] == "table" and b[1].csv_header:
                    p = os.path.join(outdir, b[1].tid + ".csv")
                    write_csv(p, b[1].csv_header, b[1].csv_rows)
                    written.append(p)
    if "md" in formats:
        p = os.path.join(outdir, "report.md")
        with open(p, "w", encoding="utf-8") as f:
            f.write(render_md(m, secs, lang))
        written.append(p)
    if "html" in formats:
        p = os.path.join(outdir, "report.html")
        with open(p, "w", encoding="utf-8") as f:
            f.write(render_html(m, secs, lang))
        written.append(p)
    return written


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ReportError(message + " (see --help)")


def parse_args(argv):
    p = _Parser(prog=PROG, description="Periodic darknet report (HTML, Markdown, CSV) from darkcap stores.",
                epilog="See docs/REPORT.md.")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="first day (local)")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="last day (local, included)")
    p.add_argument("--previous", default="auto", metavar="auto|none|FROM:TO",
                   help="period for the previous ranks (default auto: previous quarter/month for whole "
                        "calendar months, else the same number of days just before)")
    p.add_argument("--top", type=int, default=5, metavar="N", help="ports and countries to rank (default 5)")
    p.add_argument("--country", default="JP", metavar="CC", help="country of sections 3-5 (default JP)")
    p.add_argument("--lang", default="en", metavar="en|ja", help="language (default en)")
    p.add_argument("--out", default="report", metavar="DIR", help="output directory (default ./report)")
    p.add_argument("--format", default="html,md,csv", metavar="LIST", help="any of html,md,csv (default all)")
    p.add_argument("stores", nargs="+", metavar="STORE.db", help="darkcap store(s), one per sensor")
    return p.parse_args(argv)


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        a = parse_date(args.date_from, "--from")
        b = parse_date(args.date_to, "--to")
        if b < a:
            raise ReportError("--to %s is before --from %s" % (b, a))
        if args.previous == "auto":
            prev = auto_previous(a, b)
        elif args.previous == "none":
            prev = None
        else:
            parts = args.previous.split(":")
            if len(parts) != 2:
                raise ReportError("--previous: expected auto, none or FROM:TO, not '%s'" % args.previous)
            pa = parse_date(parts[0], "--previous")
            pb = parse_date(parts[1], "--previous")
            if pb < pa:
                raise ReportError("--previous: %s is before %s" % (pb, pa))
            prev = (pa, pb, "days")
        if not 1 <= args.top <= 50:
            raise ReportError("--top: must be between 1 and 50")
        if not re.match(r"^[A-Za-z]{2}$", args.country):
            raise ReportError("--country: expected a two-letter country code, not '%s'" % args.country)
        if args.lang not in TEXT:
            raise ReportError("--lang: expected en or ja, not '%s'" % args.lang)
        formats = [f.strip() for f in args.format.split(",") if f.strip()]
        bad = [f for f in formats if f not in ("html", "md", "csv")]
        if bad or not formats:
            raise ReportError("--format: expected a list of html, md, csv, not '%s'" % args.format)
        seen = {}
        stores = []
        for path in args.stores:
            rp = os.path.realpath(path)
            if rp in seen:
                raise ReportError("%s: the same store given twice" % path)
            seen[rp] = True
            stores.append(Store(path))
        tzs = sorted({s.timezone for s in stores})
        if len(tzs) > 1:
            raise ReportError("stores in different time zones (%s): their days cannot be added up" % ", ".join(tzs))
        model = Model(stores, a, b, prev, args.top, args.country.upper())
        write_report(model, args.lang, args.out, formats)
    except ReportError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
