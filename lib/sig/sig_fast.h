/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sig internal: the anchored matcher. A rule whose regex can only match
 * at the payload's first byte, written in a plain subset of Hyperscan's
 * syntax (bytes, classes, '.', groups, alternation, quantifiers), compiles
 * into a small program run by a backtracking matcher that checks fixed runs
 * of bytes a word at a time. It answers exactly as Hyperscan does for that
 * rule, or gives up (a step or stack budget, never on the default rules) and
 * the caller scans with Hyperscan. docs/SIGNATURES.md, "Anchored rules".
 */
#ifndef DC_SIG_FAST_H
#define DC_SIG_FAST_H

#include <stdint.h>

/** A compiled anchored rule (read-only once built). */
struct sig_prog;

/**
 * Build the program of a regex as the rules file gives it.
 *
 * @param expr
 *   The regex (no slashes), as written.
 * @param flags
 *   DC_SIG_F_* of the rule.
 * @param depth
 *   The rule's depth=N (0: none): a match must end within N bytes.
 * @param why
 *   Set, when the rule is not one the matcher takes, to a short reason
 *   ("not anchored", "uses '$'", ...) for the log and the tests.
 * @return
 *   The program, or NULL when the rule stays with Hyperscan (not an error).
 */
struct sig_prog *sig_prog_build(const char *expr, unsigned flags, uint32_t depth,
				const char **why);

/** Free a program (NULL is fine). */
void sig_prog_free(struct sig_prog *p);

/**
 * Run a program over a payload.
 *
 * @return
 *   1 when the rule matches (a match starting at byte 0 and ending within
 *   @p len bytes and the depth), 0 when it does not, -1 when the matcher gave
 *   up (the answer must then come from Hyperscan).
 */
int sig_prog_run(const struct sig_prog *p, const uint8_t *s, uint32_t len);

#endif /* DC_SIG_FAST_H */
