#!/bin/sh
# SPDX-License-Identifier: MIT
# Ground truth for vexp-traffic with a remote tester (--tester-cmd): the tester
# side runs in a second agent, as on a tester machine reached over SSH.  Two
# namespaces over a veth pair (198.18.0.0/15); the tester's agent runs in one,
# the DUT's agent in the other, and `vexp-traffic run` itself stays in the root
# namespace: it only talks to both agents over pipes.  The kernel decides the
# frames' fate (nftables drops every Nth, tbf limits the rate, ping measures
# the path) and the engine must report it.  The namespaces are removed on
# every exit.  Exit 77 = skipped (not root, tools missing).
# Usage: groundtruth-remote.sh PATH/TO/vexp-traffic
# GT_DATAPLANE: the tester's agent's data plane, see groundtruth-lib.sh.
set -u
BIN=${1:?usage: groundtruth-remote.sh PATH/TO/vexp-traffic}
BIN=$(realpath "$BIN")

# gt_setup, gt_dp_args, gt_tbf, pass, fail, in_range, calc, field, tbf_throughput
. "$(dirname "$0")/groundtruth-lib.sh"
gt_setup vexp-r-gt vxrg /tmp/vexp-gtr

# the engine in the root namespace (for run NAME ARGS...)
engine() {
    timeout 120 "$BIN" run --json \
        --tester-cmd "ip netns exec $T $BIN agent" \
        --agent-cmd "ip netns exec $D $BIN agent" --dut "$DA" --tester "$TA" \
        --warmup-s 0.05 --straggler-s 0.5 $(gt_dp_args) "$@"
}

# ---- 0. the run process has no address of its own: both agents answered ----
run hello --test fixed --rate-fps 1000 --frame-size 64 --trial-s 0.2 --direction in
if grep -q '"type":"hello"' "$OUT/hello" && grep -q '"type":"tester_hello"' "$OUT/hello"; then
    pass "both agents answered the hello (dut and tester)"
else
    fail "hello lines missing: $(cat "$OUT/hello" "$OUT/hello.err")"
fi

# ---- 1. exactly every Nth frame dropped by nftables in the receiving namespace ----
gt_exact_nth "remote tester, " 50

# ---- 2. --reflect is refused with a clear message (exit 2), nothing run ----
"$BIN" run --tester-cmd "ip netns exec $T $BIN agent" --agent-cmd "ip netns exec $D $BIN agent" \
    --dut "$DA" --tester "$TA" --test fixed --rate-fps 100 --trial-s 0.2 --reflect \
    >"$OUT/reflect" 2>"$OUT/reflect.err"
rc=$?
if [ $rc = 2 ] && grep -q "not supported with a remote tester" "$OUT/reflect.err"; then
    pass "--reflect with --tester-cmd refused: $(cat "$OUT/reflect.err")"
else
    fail "--reflect with --tester-cmd: exit $rc, '$(cat "$OUT/reflect.err")'"
fi

# ---- 3. tc tbf rate R: RFC 2544 throughput within +-3 % of R, both directions ----
R=100 # Mbit/s
size=1518
gt_tbf $R
for dir in in out; do tbf_throughput "remote tester, " $R $size $dir; done
gt_tbf_del

# ---- 4. rtt (tester agent -> DUT agent -> back) and latency (both directions) vs ping ----
run rtt --test rtt --frame-size 64 --probes 200 --rtt-interval-ms 5 --rtt-sequences 2
run latency --test latency --rate-fps 5000 --frame-size 64 --direction in,out --trial-s 1 \
    --latency-repetitions 2
rtt_p50=$(sed -n 's/.*"type":"result".*"rtt_us":{[^}]*"p50":\([0-9.]*\).*/\1/p' "$OUT/rtt" | head -1)
lat_in=$(grep '"direction":"in"' "$OUT/latency" |
    sed -n 's/.*"type":"result".*"rtt_us":{[^}]*"p50":\([0-9.]*\).*/\1/p' | head -1)
lat_out=$(grep '"direction":"out"' "$OUT/latency" |
    sed -n 's/.*"type":"result".*"rtt_us":{[^}]*"p50":\([0-9.]*\).*/\1/p' | head -1)
if command -v ping >/dev/null 2>&1; then
    ping_avg=$(ip netns exec "$T" ping -n -q -c 100 -i 0.01 -s 18 "$DA" 2>/dev/null |
        sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    if [ -z "$ping_avg" ]; then
        fail "ping $DA gave no figure"
    else
        ping_us=$(calc "$ping_avg * 1000")
        # Same bounds as groundtruth-traffic.sh: our reflector is a user-space
        # process, ping's is the kernel: never faster than a fifth of ping,
        # nor more than 1 ms slower.
        for what in "rtt:$rtt_p50" "latency in:$lat_in" "latency out:$lat_out"; do
            name=${what%%:*}
            v=${what#*:}
            if [ -n "$v" ] && in_range "$v" "$(calc "$ping_us / 5")" "$(calc "$ping_us + 1000")"; then
                pass "remote tester, $name p50 $v us vs ping avg $ping_us us"
            else
                fail "remote tester, $name p50 '$v' us inconsistent with ping avg $ping_us us"
            fi
        done
    fi
else
    echo "SKIP: ping (iputils-ping) not installed; rtt p50 $rtt_p50 us not compared"
fi

# ---- 5. the tester's agent ran the data plane asked for, in every trial: gt_finish ----

gt_finish "remote-tester ground-truth"
