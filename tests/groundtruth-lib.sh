# SPDX-License-Identifier: MIT
# Shared by the ground-truth scripts (sourced, POSIX sh).  The caller defines
# run NAME ARGS... (the engine with --json, output in $OUT/NAME) and sets OUT.

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# in_range VALUE LO HI
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }

# field FILE TYPE DIRECTION KEY: first numeric KEY of a TYPE line for DIRECTION
field() {
    grep "\"type\":\"$2\"" "$1" | grep "\"direction\":\"$3\"" | head -1 |
        sed -n "s/.*\"$4\":\([-0-9.e+]*\).*/\1/p"
}

# tbf_throughput LABEL R SIZE DIR: with tbf at R Mbit/s on the path, the RFC
# 2544 throughput at SIZE bytes in DIR must be a valid figure within +-3 % of
# R.  A CPU stall of more than ~12 ms on a shared machine (tbf's queue is
# latency 10 ms + burst) makes tbf itself drop frames below its rate, and the
# zero-loss search then lands low: a figure below gets one more attempt (both
# are printed); one above, a flagged one, or low twice fails.
tbf_throughput() {
    local label=$1 R=$2 size=$3 dir=$4 exp_fps attempt f mbps fps trials valid
    # tbf counts the frame without its FCS: R / (8 (F - 4)) frames/s
    exp_fps=$(calc "$R * 1000000 / (8 * ($size - 4))")
    for attempt in 1 2; do
        f="$OUT/tbf-$size-$dir-$attempt"
        run "tbf-$size-$dir-$attempt" --test throughput --frame-size "$size" --direction "$dir" \
            --trial-s 2 --search-trial-s 0.5 --resolution-pct 0.5 --goals ndr
        mbps=$(field "$f" result "$dir" mbps_l2)
        fps=$(field "$f" result "$dir" fps)
        trials=$(grep -c "\"type\":\"trial\".*\"direction\":\"$dir\"" "$f")
        # the engine's own verdict: a flagged figure (generator-limited) is no match
        valid=$(grep '"type":"result"' "$f" | grep -c '"valid":true')
        if [ "$valid" -eq 1 ] && [ -n "$mbps" ] && in_range "$mbps" "$(calc "$R * 0.97")" "$(calc "$R * 1.03")"; then
            pass "${label}tbf $R Mbit/s, $size B, $dir: throughput $mbps Mb/s L2, $fps fps (tbf admits $exp_fps fps), $trials trials, attempt $attempt"
            return 0
        fi
        if [ "$attempt" -eq 1 ] && [ -n "$mbps" ] && in_range "$mbps" 0 "$(calc "$R * 0.97")"; then
            echo "note: ${label}tbf $R Mbit/s, $size B, $dir: $mbps Mb/s L2 on attempt 1 (below; tbf dropped under a CPU stall?), once more"
            continue
        fi
        break
    done
    fail "${label}tbf $R Mbit/s, $size B, $dir: throughput '$mbps' Mb/s L2 (want $R +-3 %), $fps fps, valid results $valid, attempt $attempt"
}
