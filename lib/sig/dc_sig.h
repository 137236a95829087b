/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Payload signatures: rules files compiled into Hyperscan block-mode
 * databases, one per group of destination ports to which the same rules
 * apply (per protocol), or into one database of every rule
 * (DC_SIG_ONE_DB); cached on disk keyed by the rules' hash, and scanned one
 * payload at a time by the workers, each with its own scratch.
 *
 * Rules file: one rule per line; '#' starts a comment line; blank lines are
 * skipped. Six whitespace-separated fields, the last being the rest of the
 * line:
 *
 *     # id   name          family      proto  ports       /regex/flags
 *     1001   sip-options   sip-scan    udp    5060,5061   /^OPTIONS\s+sip:/i
 *
 *   id      decimal 1 .. 4294967295, unique across every file loaded
 *   name    [A-Za-z0-9._-], 1 .. DC_SIG_NAME_MAX - 1 characters
 *   family  same alphabet, 1 .. DC_SIG_FAMILY_MAX - 1 characters
 *   proto   tcp | udp | any
 *   ports   any | comma-separated destination ports and ranges (80,8000-8100)
 *   regex   Hyperscan (PCRE subset) between slashes; after the closing slash
 *           zero or more flags: i (caseless), s (dot matches newline),
 *           m (multi-line ^ and $), a (anchored at the payload's first byte)
 *   options after the flags, whitespace-separated, at most once each:
 *           depth=N  a match counts only when it ends within the payload's
 *                    first N bytes (1 .. 65535; Hyperscan's max_offset)
 *
 * docs/SIGNATURES.md documents the format and the default rule set.
 *
 * Errors follow dc_err.h: NULL / -1 with a one-line message naming the file
 * and line ("rules/x.rules:12: ...") and, for a pattern Hyperscan refuses,
 * Hyperscan's own message.
 *
 * Memory: Hyperscan's allocators are darkcap's (dc_mem.h), set once by the
 * first dc_sig_load(). dc_sig_scan() never allocates and takes no lock.
 */
#ifndef DC_SIG_H
#define DC_SIG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Rules one database holds at most. */
#define DC_SIG_MAX 1024
/** Bytes of a rule name, with the terminating NUL. */
#define DC_SIG_NAME_MAX 48
/** Bytes of a family tag, with the terminating NUL. */
#define DC_SIG_FAMILY_MAX 32
/** Signatures one packet is counted under at most (the first found). */
#define DC_SIG_PKT_MATCHES 16

/** dc_sig_rule.flags */
#define DC_SIG_F_CASELESS 0x1 /**< i */
#define DC_SIG_F_DOTALL 0x2   /**< s */
#define DC_SIG_F_MULTILINE 0x4 /**< m */
#define DC_SIG_F_ANCHORED 0x8 /**< a */

/** One rule as parsed. */
struct dc_sig_rule {
	uint32_t id;
	uint8_t proto;          /**< 6 (tcp), 17 (udp) or 0 (any) */
	uint8_t flags;          /**< DC_SIG_F_* */
	uint16_t nranges;       /**< port ranges; 0 = any port */
	uint16_t (*ranges)[2];  /**< [first, last] destination port ranges, sorted */
	char name[DC_SIG_NAME_MAX];
	char family[DC_SIG_FAMILY_MAX];
	char *expr;             /**< the regular expression as written (no slashes) */
	uint32_t depth;         /**< depth=N: a match must end within N bytes; 0 = anywhere */
	char *file;             /**< where the rule was read */
	unsigned line;
};

/**
 * dc_sig_load_opts() flag: one Hyperscan database of every rule, the
 * protocol and port filter applied to each match in the callback (the
 * layout before port groups; for comparison). Without it (the default),
 * rules are grouped: per protocol, the destination ports to which the same
 * set of rules applies share one database of exactly those rules, and a
 * payload to a port no rule of its protocol names is not scanned at all
 * (docs/SIGNATURES.md, "Port groups").
 */
#define DC_SIG_ONE_DB 0x1

/**
 * dc_sig_load_opts() flag: every group is scanned by Hyperscan, none by
 * darkcap's matcher (for comparison and tests). Without it, a port group
 * whose every rule is written in the matcher's subset (anchored at the
 * payload's first byte or floating; docs/SIGNATURES.md, "Rules decided
 * without Hyperscan") is decided by darkcap's own matcher, with the same
 * answers, and Hyperscan only scans it when that matcher gives up.
 */
#define DC_SIG_NO_FAST 0x2

/** Port groups one protocol may have (a port -> group map of bytes); with
 * more, that protocol falls back to one database with the port filter in
 * the callback, and dc_sig_cache_note() says so. */
#define DC_SIG_GROUPS_MAX 255

/** A compiled rule set (read-only once loaded; shared by every worker). */
struct dc_sig_db;
/** Hyperscan scratch space: one per worker, never shared. */
struct dc_sig_scratch;

/**
 * Read @p nfiles rules files, compile them grouped by protocol and port
 * (dc_sig_load_opts() with flags 0) and allocate nothing per worker yet.
 *
 * @param files
 *   Rules files, in order (rule ids must be unique across all of them).
 * @param nfiles
 *   At least 1.
 * @param cache_dir
 *   Directory for the compiled database's cache (created if missing), or
 *   NULL for no cache. A cache file that is missing, stale or unreadable is
 *   rebuilt; a cache that cannot be written is not an error. Either is
 *   reported by dc_sig_cache_note() for the caller to log (the library
 *   prints nothing).
 * @return
 *   The database, or NULL (dc_strerror(): "FILE:LINE: problem").
 */
struct dc_sig_db *dc_sig_load(const char *const *files, unsigned nfiles, const char *cache_dir);

/**
 * dc_sig_load() with options.
 *
 * @param files
 *   Rules files, in order.
 * @param nfiles
 *   At least 1.
 * @param cache_dir
 *   As for dc_sig_load(); the layouts have distinct cache keys.
 * @param flags
 *   0 (port groups), DC_SIG_ONE_DB, DC_SIG_NO_FAST.
 * @return
 *   The database, or NULL (dc_strerror()). dc_sig_scan() gives the same
 *   matches in either layout.
 */
struct dc_sig_db *dc_sig_load_opts(const char *const *files, unsigned nfiles,
				   const char *cache_dir, unsigned flags);

/** Free a database (NULL is fine). No scratch of it may be in use. */
void dc_sig_free(struct dc_sig_db *db);

/** Rules in the database. */
unsigned dc_sig_count(const struct dc_sig_db *db);

/** Rule @p idx (0 .. dc_sig_count() - 1), in file order. */
const struct dc_sig_rule *dc_sig_rule(const struct dc_sig_db *db, unsigned idx);

/**
 * Hyperscan databases the rule set was compiled into: 1 with DC_SIG_ONE_DB;
 * grouped, one per (protocol, port group), a protocol that fell back
 * counting 1 (for the caller's log line).
 */
unsigned dc_sig_db_count(const struct dc_sig_db *db);

/**
 * Rules darkcap's matcher takes (a program each), and in @p groups (if
 * not NULL) the port groups it scans without Hyperscan (every rule of the
 * group taken): for the caller's log line. 0 with DC_SIG_ONE_DB or
 * DC_SIG_NO_FAST.
 */
unsigned dc_sig_fast_count(const struct dc_sig_db *db, unsigned *groups);

/**
 * Why rule @p idx has no program of darkcap's matcher (for the log and
 * for operators writing rules), or NULL when it has one. E.g. "uses ^ or $
 * past the start", "anchors some top-level branches and not others",
 * "darkcap's matcher off" (DC_SIG_ONE_DB, DC_SIG_NO_FAST). A rule with a program is
 * still scanned by Hyperscan when another rule of its port group has none.
 */
const char *dc_sig_fast_why(const struct dc_sig_db *db, unsigned idx);

/**
 * Port groups that hold rule @p idx (each protocol class it applies to
 * counts its groups; 1 for the one database of DC_SIG_ONE_DB), and in
 * @p fast (if not NULL) how many of them darkcap's matcher decides:
 * all of them, the rule never costs a Hyperscan call; none, it always does.
 */
unsigned dc_sig_rule_groups(const struct dc_sig_db *db, unsigned idx, unsigned *fast);

/**
 * 1 when rule @p idx has a floating program (no anchor: darkcap's matcher
 * tries it at every offset its start filter passes), 0 when its program is
 * anchored or it has none.
 */
int dc_sig_fast_floating(const struct dc_sig_db *db, unsigned idx);

/** Rules with a floating program (for the caller's log line). */
unsigned dc_sig_floating_count(const struct dc_sig_db *db);

/** 1 when the compiled databases came from the cache file, 0 when compiled. */
int dc_sig_from_cache(const struct dc_sig_db *db);

/** The rules' hash as 16 hex digits (the cache key; for logs). */
const char *dc_sig_hash(const struct dc_sig_db *db);

/**
 * What the load could not do as intended, for the caller to log (the
 * library prints nothing): the cache could not be used or written, or a
 * protocol needed more than DC_SIG_GROUPS_MAX port groups.
 *
 * @param db
 *   The database.
 * @return
 *   NULL when there is nothing to say (the cache was used, or missing and
 *   written, or not asked for; every protocol grouped); otherwise a
 *   one-line note owned by @p db, e.g. "cache /x/rules-<hash>.hsdb not
 *   written: Permission denied", "cache /x/rules-<hash>.hsdb invalid
 *   (checksum mismatch); recompiled" or "udp rules need 300 port groups
 *   (at most 255): one udp database, ports checked per match" (notes
 *   joined with "; "). Never an error: the database works.
 */
const char *dc_sig_cache_note(const struct dc_sig_db *db);

/** A scratch for @p db (control plane; NULL with dc_strerror() on failure). */
struct dc_sig_scratch *dc_sig_scratch_new(const struct dc_sig_db *db);

/** Free a scratch (NULL is fine). */
void dc_sig_scratch_free(struct dc_sig_scratch *s);

/**
 * Scan one payload.
 *
 * @param db
 *   The database.
 * @param s
 *   A scratch of @p db, used by this thread alone.
 * @param proto
 *   IP protocol of the packet (6 or 17; another value is matched by rules
 *   of protocol any only): rules of another protocol do not match.
 * @param dport
 *   Destination port, host order: rules whose ports do not include it do
 *   not match.
 * @param payload
 *   The L4 payload's first byte.
 * @param len
 *   Bytes to scan (the caller bounds it); 0 matches nothing.
 * @param out
 *   Indexes (dc_sig_rule()) of the rules that matched, each once, at most
 *   DC_SIG_PKT_MATCHES (the first found, in Hyperscan's report order: by
 *   match end; for a group darkcap's matcher decides, which has at most
 *   DC_SIG_PKT_MATCHES rules, so the same set: its anchored rules in rule
 *   order, then its floating ones in rule order).
 * @return
 *   Number of entries written to @p out. 0 without calling Hyperscan when
 *   no rule applies to (@p proto, @p dport) (grouped layout).
 */
unsigned dc_sig_scan(const struct dc_sig_db *db, struct dc_sig_scratch *s, uint8_t proto,
		     uint16_t dport, const uint8_t *payload, uint32_t len, uint16_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DC_SIG_H */
