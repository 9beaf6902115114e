#!/bin/sh
# SPDX-License-Identifier: MIT
# Renders a vexp report in headless Chromium and writes a PNG to look at.
#   tests/report-screenshot.sh BUILD_DIR [REPORT_DIR]
# Without REPORT_DIR a synthetic report (tests/test-report --demo) is made.
# Needs Debian's chromium (apt-get install -y chromium); skips (77) without it.
# Prints the PNG's path; VEXP_SCREENSHOT=FILE chooses it, VEXP_REPORT_COMPARE=1
# makes the synthetic report compare two runs.
set -eu
build=${1:?usage: report-screenshot.sh BUILD_DIR [REPORT_DIR]}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "report-screenshot: chromium not installed (apt-get install -y chromium); skipped" >&2
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 2 ]; then
    report=$(cd "$2" && pwd)
else
    report=$work/report
    if [ "${VEXP_REPORT_COMPARE:-0}" = 1 ]; then
        "$build/tests/test-report" --demo "$report" --compare
    else
        "$build/tests/test-report" --demo "$report"
    fi
fi
[ -f "$report/index.html" ] || { echo "report-screenshot: no $report/index.html" >&2; exit 1; }
png=${VEXP_SCREENSHOT:-$(pwd)/report-screenshot.png}
# no network, no profile of the user's, no GPU; the page needs none of them
timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars \
    --screenshot="$png" --window-size=1400,3000 "file://$report/index.html" \
    >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
[ -s "$png" ] || { echo "report-screenshot: chromium wrote no PNG" >&2; exit 1; }
echo "$png"
