#!/bin/sh
# SPDX-License-Identifier: MIT
# Renders vexp reports in headless Chromium to PNG and checks their SVG charts.
#   tests/report-screenshot.sh BUILD_DIR [OUT_DIR]
# Makes two synthetic 8-cell reports with tests/test-report --demo (one run, and two runs
# compared), checks every SVG (test-report --check-svg: each series drawn, nothing outside
# the plot area, whiskers within their clamps) and renders each index.html and one chart
# to PNG in OUT_DIR (default: a temporary directory, removed).  Needs Debian's chromium
# (apt-get install -y chromium); without it the SVG check still runs and the test skips
# (77) after it.  VEXP_SCREENSHOT_KEEP=DIR keeps the reports and PNGs in DIR.
# VEXP_REPORT_DIR=DIR (a report of a real run, `vexp report -o DIR`): check and render
# that one instead, e.g. for docs/example-report:
#   VEXP_REPORT_DIR=docs/example-report tests/report-screenshot.sh build docs/example-report
set -eu
build=${1:?usage: report-screenshot.sh BUILD_DIR [OUT_DIR]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${2:-${VEXP_SCREENSHOT_KEEP:-$work/out}}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -n "${VEXP_REPORT_DIR:-}" ]; then
    cp -r "$VEXP_REPORT_DIR" "$work/single"
    "$build/tests/test-report" --check-svg "$work/single"
else
    "$build/tests/test-report" --demo "$work/single"
    "$build/tests/test-report" --demo "$work/compare" --compare
    for r in single compare; do
        "$build/tests/test-report" --check-svg "$work/$r"
    done
fi

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "report-screenshot: chromium not installed (apt-get install -y chromium); PNGs skipped" >&2
    exit 77
fi
# no network, no profile of the user's, no GPU; the page needs none of them
shot() { # shot URL PNG WIDTH HEIGHT
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$work/profile" --hide-scrollbars \
        --screenshot="$2" --window-size="$3,$4" "$1" >"$work/chromium.log" 2>&1 ||
        { cat "$work/chromium.log" >&2; exit 1; }
    [ -s "$2" ] || { echo "report-screenshot: chromium wrote no $2" >&2; exit 1; }
    # a PNG, and not a blank one: more than a few hundred bytes of compressed pixels
    [ "$(head -c 8 "$2" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
        { echo "report-screenshot: $2 is not a PNG" >&2; exit 1; }
    [ "$(wc -c <"$2")" -gt 20000 ] || { echo "report-screenshot: $2 looks blank" >&2; exit 1; }
    echo "$2"
}
shot "file://$work/single/index.html" "$out/index.png" 1280 3600
for c in throughput-ndr-fps throughput-pdr-fps throughput-fps latency; do
    [ -f "$work/single/$c.svg" ] && shot "file://$work/single/$c.svg" "$out/$c.png" 1100 600
done
if [ -d "$work/compare" ]; then
    shot "file://$work/compare/index.html" "$out/compare.png" 1280 3600
    shot "file://$work/compare/throughput-pdr-fps.svg" "$out/compare-pdr-fps.png" 1100 640
fi
if [ -n "${VEXP_SCREENSHOT_KEEP:-}" ]; then
    cp -r "$work/single" "$out/report-single"
    cp -r "$work/compare" "$out/report-compare"
fi
