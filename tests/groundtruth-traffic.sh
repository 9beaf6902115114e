#!/bin/sh
# SPDX-License-Identifier: MIT
# Ground truth for vexp-traffic: the kernel, not our code, decides what happens
# to the frames, and the engine must report it.  Two namespaces over a veth
# pair (198.18.0.0/15, the benchmarking range); nftables drops exactly every
# Nth or a random share in the receiving namespace; tc tbf limits the rate;
# ping measures the same path; netem where the kernel has it.  The
# namespaces are removed on every exit.  Exit 77 = skipped (not root, tools
# missing).  Usage: groundtruth-traffic.sh PATH/TO/vexp-traffic
# VEXP_GT_PARTS: which of the numbered checks below run (default all; e.g. 3 for tbf);
# GT_DATAPLANE: see groundtruth-lib.sh.
set -u
BIN=${1:?usage: groundtruth-traffic.sh PATH/TO/vexp-traffic}
BIN=$(realpath "$BIN")
PARTS=${VEXP_GT_PARTS:-1 2 3 4 5 6}

# gt_setup, pass, fail, in_range, calc, field, tbf_throughput
. "$(dirname "$0")/groundtruth-lib.sh"
gt_setup vexp-t-gt vxgt /tmp/vexp-gt

# the engine in the tester's namespace (for run NAME ARGS...)
engine() {
    timeout 300 ip netns exec "$T" "$BIN" run --json \
        --agent-cmd "ip netns exec $D $BIN agent" --dut "$DA" --tester "$TA" \
        --warmup-s 0.05 --straggler-s 0.5 $(gt_dp_args) "$@"
}

# ---- 1. exactly every Nth frame dropped by nftables in the receiving namespace ----
case " $PARTS " in *" 1 "*)
N=50
gt_exact_nth "" $N
# the forwarding setup (--reflect): dropped on the way in, counted on the way back
gt_drop_every "$D" 17000 $N
run exact-reflect --test fixed --rate-fps 20000 --frame-size 128 --trial-s 2 --reflect
loss=$(field "$OUT/exact-reflect" result in loss_pct)
want=$(calc "100 / $N")
if [ -n "$loss" ] && in_range "$loss" "$(calc "$want - 0.02")" "$(calc "$want + 0.02")" &&
    grep -q '"setup":"forwarding"' "$OUT/exact-reflect"; then
    pass "every ${N}th frame dropped, forwarding setup: measured loss $loss % (injected $want %)"
else
    fail "every ${N}th frame dropped, forwarding setup: measured loss '${loss}' % (injected $want %, +-0.02)"
fi
gt_drop_del
;;
esac

# ---- 2. a random share dropped by nftables, over >= 10^6 frames ----
case " $PARTS " in *" 2 "*)
K=30 # per mille
for dir in in out; do
    if [ $dir = in ]; then ns=$D; port=17000; else ns=$T; port=17001; fi
    gt_drop_rule "$ns" "$port" "numgen random mod 1000 < $K"
    run random-$dir --test fixed --rate-fps 200000 --frame-size 64 --trial-s 6.5 --direction $dir
    loss=$(field "$OUT/random-$dir" result $dir loss_pct)
    tx=$(field "$OUT/random-$dir" result $dir tx)
    want=$(calc "$K / 10")
    if [ -z "$tx" ] || ! in_range "$tx" 1000000 1e12; then
        fail "random drop, $dir: only '$tx' frames sent (need >= 10^6)"
    elif [ -n "$loss" ] && in_range "$loss" "$(calc "$want - 0.2")" "$(calc "$want + 0.2")"; then
        pass "random drop, $dir: measured loss $loss % of $tx frames (injected $want %)"
    else
        fail "random drop, $dir: measured loss '${loss}' % of $tx frames (injected $want %, +-0.2)"
    fi
    gt_drop_del
done
;;
esac

# ---- 3. tc tbf rate R: RFC 2544 throughput within +-3 % of R ----
case " $PARTS " in *" 3 "*)
R=100 # Mbit/s
gt_tbf $R
for size in 1518 512; do
    for dir in in out; do tbf_throughput "" $R $size $dir; done
done
gt_tbf_del
;;
esac

# ---- 4. idle rtt consistent with ping on the same veth ----
case " $PARTS " in *" 4 "*)
run rtt --test rtt --frame-size 64 --probes 200 --rtt-interval-ms 5 --rtt-sequences 2
p50=$(sed -n 's/.*"type":"result".*"rtt_us":{[^}]*"p50":\([0-9.]*\).*/\1/p' "$OUT/rtt" | head -1)
if command -v ping >/dev/null 2>&1; then
    ping_avg=$(ip netns exec "$T" ping -n -q -c 100 -i 0.01 -s 18 "$DA" 2>/dev/null |
        sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    if [ -z "$ping_avg" ]; then
        fail "ping $DA gave no figure"
    else
        ping_us=$(calc "$ping_avg * 1000")
        # Same unit and order of magnitude: our reflector is a user-space
        # process, ping's is the kernel, so ours may be somewhat slower,
        # never faster than a fifth nor more than 1 ms slower.
        if [ -n "$p50" ] && in_range "$p50" "$(calc "$ping_us / 5")" "$(calc "$ping_us + 1000")"; then
            pass "rtt p50 $p50 us vs ping avg $ping_us us"
        else
            fail "rtt p50 '$p50' us inconsistent with ping avg $ping_us us"
        fi
        # latency under a light load, both directions, same bounds: in, the DUT echoes
        # the tester's tagged frames; out, the tester echoes the DUT's (on AF_XDP from
        # its UMEM: an echo that kept the request's partial UDP checksum was dropped by
        # the DUT's stack, and every latency out figure was "no-echo")
        for dir in in out; do
            run "lat-$dir" --test latency --frame-size 512 --direction $dir --rate-fps 2000 \
                --trial-s 1 --latency-repetitions 1
            lp50=$(field "$OUT/lat-$dir" result $dir p50)
            if [ -n "$lp50" ] && grep '"type":"result"' "$OUT/lat-$dir" | grep -q '"valid":true' &&
                in_range "$lp50" "$(calc "$ping_us / 5")" "$(calc "$ping_us + 1000")"; then
                pass "latency $dir at 2000 fps: p50 $lp50 us vs ping avg $ping_us us"
            else
                fail "latency $dir at 2000 fps: p50 '$lp50' us (ping avg $ping_us us): $(grep '"type":"result"' "$OUT/lat-$dir")"
            fi
        done
    fi
else
    echo "SKIP: ping (iputils-ping) not installed; rtt p50 $p50 us not compared"
fi
;;
esac

# ---- 5. netem delay, duplication and reordering, where the kernel has sch_netem ----
case " $PARTS " in *" 5 "*)
if ip netns exec "$D" tc qdisc add dev "$VD" root netem delay 5ms 2>/dev/null; then
    run netem-delay --test rtt --frame-size 64 --probes 100 --rtt-interval-ms 5 --rtt-sequences 1
    p50=$(sed -n 's/.*"type":"result".*"rtt_us":{[^}]*"p50":\([0-9.]*\).*/\1/p' "$OUT/netem-delay" | head -1)
    if [ -n "$p50" ] && in_range "$p50" 5000 8000; then
        pass "netem delay 5 ms: rtt p50 $p50 us"
    else
        fail "netem delay 5 ms: rtt p50 '$p50' us (want 5000..8000)"
    fi
    ip netns exec "$D" tc qdisc change dev "$VD" root netem duplicate 5%
    ip netns exec "$T" tc qdisc add dev "$VT" root netem duplicate 5%
    run netem-dup --test fixed --rate-fps 20000 --frame-size 64 --trial-s 2 --direction in
    dup=$(field "$OUT/netem-dup" result in duplicated)
    tx=$(field "$OUT/netem-dup" result in tx)
    lost=$(field "$OUT/netem-dup" result in lost)
    share=$(calc "100 * ${dup:-0} / (${tx:-1})")
    if in_range "$share" 4 6 && [ "${lost:-1}" = 0 ]; then
        pass "netem duplicate 5 %: $share % duplicated, none counted lost"
    else
        fail "netem duplicate 5 %: '$share' % duplicated, lost '$lost'"
    fi
    ip netns exec "$T" tc qdisc del dev "$VT" root
    # reordering: a quarter of the frames skip a 2 ms delay; reordered, never lost
    ip netns exec "$D" tc qdisc change dev "$VD" root netem delay 2ms reorder 25% 50%
    ip netns exec "$T" tc qdisc add dev "$VT" root netem delay 2ms reorder 25% 50%
    run netem-reorder --test fixed --rate-fps 20000 --frame-size 64 --trial-s 2 --direction in
    reord=$(field "$OUT/netem-reorder" result in reordered)
    lost=$(field "$OUT/netem-reorder" result in lost)
    if [ "${reord:-0}" -gt 0 ] && [ "${lost:-1}" = 0 ]; then
        pass "netem reorder: $reord frames reordered, none counted lost"
    else
        fail "netem reorder: reordered '$reord', lost '$lost' (want > 0 and 0)"
    fi
    ip netns exec "$T" tc qdisc del dev "$VT" root
    ip netns exec "$D" tc qdisc del dev "$VD" root
else
    echo "SKIP: netem delay/reorder/duplicate checks: this kernel has no sch_netem"
fi
;;
esac

# ---- 6. the agent's peak RSS at 1518-byte max rate stays under 16 MiB ----
case " $PARTS " in *" 6 "*)
if [ -x /usr/bin/time ]; then
    run rss --test fixed --rate-fps max --frame-size 1518 --direction in,out --trial-s 2 \
        --agent-cmd "ip netns exec $D /usr/bin/time -v -o $OUT/rss.txt $BIN agent"
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/rss.txt" 2>/dev/null)
    if [ -n "$kb" ] && in_range "$kb" 1 16383; then
        pass "agent peak RSS at 1518 B max rate: $kb KiB (< 16384)"
    else
        fail "agent peak RSS at 1518 B max rate: '$kb' KiB (want < 16384)"
    fi
else
    echo "SKIP: /usr/bin/time (package time) not installed; agent RSS not measured"
fi
;;
esac

gt_finish "ground-truth"
