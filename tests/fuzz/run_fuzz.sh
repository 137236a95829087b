#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run_fuzz.sh SRCROOT WORKDIR: build fuzz_stats_reader (libFuzzer, with
# AddressSanitizer and UndefinedBehaviorSanitizer) and a seed corpus written
# through the writer API, then fuzz the statistics segment reader for
# FUZZ_RUNS inputs or FUZZ_SECONDS seconds, whichever comes first.
# Exit 77 (skipped) without clang or its libFuzzer runtime; 1 on any crash,
# leak, sanitizer report or broken property.
#
# Environment: CLANG (compiler), FUZZ_RUNS (default 3000000), FUZZ_SECONDS
# (default 25), FUZZ_SEED (default 1; 0 for a random one).
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SRCROOT WORKDIR" >&2
	exit 2
fi
src=$1
work=$2
runs=${FUZZ_RUNS:-3000000}
secs=${FUZZ_SECONDS:-25}
seed=${FUZZ_SEED:-1}

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14 clang-15 clang-16 clang-17 clang-18; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "SKIP: no clang (install clang and libclang-rt-dev)"
	exit 77
fi

mkdir -p "$work" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" 2>"$work/probe.log"; then
	echo "SKIP: $cc has no libFuzzer runtime (libclang-rt-dev):"
	head -5 "$work/probe.log"
	exit 77
fi

libsrc=("$src"/lib/stats/*.c)
common=(-g -O1 -D_GNU_SOURCE -I"$src/lib/stats" -fno-sanitize-recover=all -fno-omit-frame-pointer)
echo "building with $cc ($("$cc" --version | head -1))"
"$cc" "${common[@]}" -fsanitize=fuzzer,address,undefined "$src/tests/fuzz/fuzz_stats_reader.c" \
	"${libsrc[@]}" -o "$work/fuzz_stats_reader" || exit 1
"$cc" "${common[@]}" -fsanitize=address,undefined "$src/tests/fuzz/stats_seed_writer.c" \
	"${libsrc[@]}" -o "$work/stats_seed_writer" || exit 1

rm -rf "$work/seeds" "$work/corpus" "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
mkdir -p "$work/seeds" "$work/corpus" || exit 1
export ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$work/stats_seed_writer" "$work/seeds" || { echo "FAIL: seed writer"; exit 1; }
echo "seeds: $(ls "$work/seeds" | wc -l) files, $(du -sb "$work/seeds" | cut -f1) bytes"

echo "fuzzing: at most $runs runs or $secs s (seed $seed)"
"$work/fuzz_stats_reader" -runs="$runs" -max_total_time="$secs" -seed="$seed" -max_len=16384 \
	-timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/" \
	"$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1
rc=$?
grep -E '^(INFO: seed|#[0-9]+[[:space:]]+(INITED|DONE))|^Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
	"$work/fuzz.log"
if [ $rc -ne 0 ] || ! grep -q '^Done [0-9]* runs' "$work/fuzz.log"; then
	echo "FAIL: fuzz_stats_reader exit $rc; the end of $work/fuzz.log:"
	tail -60 "$work/fuzz.log"
	ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null
	exit 1
fi
echo "PASS"
exit 0
