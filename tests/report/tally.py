# SPDX-License-Identifier: BSD-3-Clause
"""The tally the report tests share: check() counts one condition (a failure
prints a FAIL line), note() prints a detail line, summary() prints
"N passed, N failed" and gives the exit status."""

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s" % what)
    return ok


def note(s):
    print("  " + s)


def summary():
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
