#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole test suite: installs what is missing, builds with -Werror,
# runs unit, ground-truth and end-to-end tests, then the unit tests again
# under ASan+UBSan and under valgrind, then the fuzzers for a few minutes.
# Needs root (namespaces, QEMU under libvirt).
set -eu
cd "$(dirname "$0")/.."
VEXP_SETUP_TEST=1 VEXP_BUILDDIR=build-ci VEXP_MESON_ARGS="-Dwerror=true -De2e=enabled" \
    ./scripts/setup.sh
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
        -Db_lundef=false -De2e=disabled
fi
ninja -C build-asan

# the end-to-end tests boot the default guest image: build it once
if [ ! -f "${VEXP_IMAGE_DIR:-/var/lib/vexp/image}/manifest" ]; then
    ./build-ci/orchestrator/vexp image build -o "${VEXP_IMAGE_DIR:-/var/lib/vexp/image}"
fi

status=0
meson test -C build-ci --print-errorlogs --num-processes 1 || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --suite unit --num-processes 1 || status=1
# and under valgrind (uninitialised reads), where it is installed; not suite 'text'
# (scripts that only read the sources: under valgrind they check the shell, whose exit
# leaks)
if command -v valgrind >/dev/null; then
    meson test -C build-ci --setup valgrind --print-errorlogs --suite unit --no-suite text \
        --num-processes 1 || status=1
fi
# the parsers and the store readers under libFuzzer, a minute each
if command -v clang >/dev/null; then
    ./scripts/fuzz.sh || status=1
fi
exit $status
