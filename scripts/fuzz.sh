#!/bin/sh
# SPDX-License-Identifier: MIT
# The four libFuzzer harnesses (matrix, template, control protocol, store
# readers) under ASan+UBSan for a bounded time each, from tests/fuzz/corpus/.
# A crash fails the script; its input is kept in build-fuzz/crashes/ and
# belongs in tests/fuzz/corpus/<fuzzer>/ once fixed.
# VEXP_FUZZ_SECONDS per fuzzer (default 60: four minutes in all).
set -eu
cd "$(dirname "$0")/.."
secs=${VEXP_FUZZ_SECONDS:-60}
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -De2e=disabled
fi
ninja -C build-fuzz tests/fuzz-matrix tests/fuzz-template tests/fuzz-control tests/fuzz-store
mkdir -p build-fuzz/crashes
status=0
for f in matrix template control store; do
    # the checked-in corpus is read only; what libFuzzer adds goes to build-fuzz
    work=build-fuzz/corpus-$f
    mkdir -p "$work"
    extra=
    case $f in
    matrix) extra=tests/data/matrix ;;
    template) extra=tests/data/domains ;;
    esac
    log=build-fuzz/fuzz-$f.log
    # matrix files name templates relative to themselves
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ./build-fuzz/tests/fuzz-$f -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/$f- \
        "$work" tests/fuzz/corpus/$f $extra >"$log" 2>&1; then
        echo "fuzz-$f: $(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') executions in ${secs} s, no crash"
    else
        status=1
        echo "fuzz-$f: FAILED after $(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') executions:"
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20
    fi
done
exit $status
