#!/bin/sh
# SPDX-License-Identifier: MIT
# Ground truth for the throughput search (RFC 9971 MLRsearch): the kernel
# decides what the path does, and the search's NDR and PDR must say it.
#   1. A router namespace between tester and DUT shapes with tc tbf to R and
#      nftables drops a random 0.2 % before the receiver (a virtual NIC that
#      loses a little at every rate): PDR (loss goal 0.5 %) lands on R within
#      +-3 % in every repetition; NDR is honest (below R, or none found).
#   2. Direction out with the DUT's sender under a CPU quota (a cgroup that
#      gives the agent 20 % of a CPU): no figure lies below the forwarding rate
#      of a loss-free full-length trial of the same search by more than the
#      goal width (the DUT's own sending is the measurement).
# 198.18.0.0/15 only; namespaces and the cgroup are removed on every exit.
# GT_DATAPLANE: the tester's data plane (groundtruth-lib.sh).
# Exit 77 = skipped.  Usage: groundtruth-search.sh PATH/TO/vexp-traffic
set -u
BIN=${1:?usage: groundtruth-search.sh PATH/TO/vexp-traffic}
BIN=$(realpath "$BIN")
REPS=${VEXP_GT_REPS:-3}
PARTS=${VEXP_GT_PARTS:-1 2} # which of the checks below run

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root for network namespaces"
    exit 77
fi
for tool in ip nft tc awk timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: '$tool' is not installed"
        exit 77
    fi
done

T=vexp-s-gt$$-tst
R=vexp-s-gt$$-rtr
D=vexp-s-gt$$-dut
TA=198.18.0.1
DA=198.18.1.2
OUT=$(mktemp -d /tmp/vexp-gts.XXXXXX)
CG=/sys/fs/cgroup/cpu/vexp-gts$$

cleanup() {
    for ns in "$T" "$R" "$D"; do ip netns del "$ns" 2>/dev/null; done
    if [ -d "$CG" ]; then
        # move anything left back to the root group before removing ours
        while read -r pid; do echo "$pid" >/sys/fs/cgroup/cpu/cgroup.procs; done \
            <"$CG/cgroup.procs" 2>/dev/null
        rmdir "$CG" 2>/dev/null
    fi
    [ -n "${KEEP_OUT:-}" ] || rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

set -e
for ns in "$T" "$R" "$D"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip link add vxs$$t type veth peer name vxs$$r1
ip link add vxs$$d type veth peer name vxs$$r2
ip link set vxs$$t netns "$T"
ip link set vxs$$r1 netns "$R"
ip link set vxs$$r2 netns "$R"
ip link set vxs$$d netns "$D"
ip -n "$T" addr add "$TA/24" dev vxs$$t
ip -n "$R" addr add 198.18.0.254/24 dev vxs$$r1
ip -n "$R" addr add 198.18.1.254/24 dev vxs$$r2
ip -n "$D" addr add "$DA/24" dev vxs$$d
for l in "$T vxs$$t" "$R vxs$$r1" "$R vxs$$r2" "$D vxs$$d"; do
    set -- $l
    ip -n "$1" link set "$2" up
done
ip -n "$T" route add 198.18.1.0/24 via 198.18.0.254
ip -n "$D" route add 198.18.0.0/24 via 198.18.1.254
ip netns exec "$R" sysctl -q -w net.ipv4.ip_forward=1
set +e

# pass, fail, in_range, calc, field, run
. "$(dirname "$0")/groundtruth-lib.sh"

# the engine for the lib's run NAME ARGS...: $AGENT_PREFIX runs before the agent (the
# capped case puts it in a cgroup)
AGENT_PREFIX=
engine() {
    timeout 900 ip netns exec "$T" "$BIN" run --json \
        --agent-cmd "$AGENT_PREFIX ip netns exec $D $BIN agent" --dut "$DA" --tester "$TA" \
        --warmup-s 0.05 --straggler-s 0.3 $(gt_dp_args) "$@"
}

# goal_fps FILE DIR GOAL REP: the figure of one goal and repetition ("" when missing),
# and its validity in $valid
goal_line() {
    grep '"type":"result"' "$1" | grep "\"direction\":\"$2\"" | grep "\"goal\":\"$3\"" |
        grep "\"repetition\":$4,"
}

# ---- 1. tbf at RATE on the router plus 0.2 % random drop before the receiver ----
case " $PARTS " in *" 1 "*)
RATE=40 # Mbit/s
SIZE=1024
K=2 # per mille
# tbf counts the frame without its FCS: RATE / (8 (F - 4)) frames/s
exp_fps=$(calc "$RATE * 1000000 / (8 * ($SIZE - 4))")
ip netns exec "$R" tc qdisc add dev vxs$$r2 root tbf rate ${RATE}mbit burst 16kb latency 20ms
ip netns exec "$R" tc qdisc add dev vxs$$r1 root tbf rate ${RATE}mbit burst 16kb latency 20ms
for dir in in out; do
    if [ $dir = in ]; then ns=$D; port=17000; else ns=$T; port=17001; fi
    # AF_XDP receives before the tester's netfilter: its drop moves to the router's
    # prerouting (frames from the DUT, before the tbf instead of after it)
    if [ $dir = out ] && [ "${GT_DATAPLANE:-socket}" != socket ]; then ns=$R; fi
    ip netns exec "$ns" nft -f - <<NFT
add table ip vexpgt
add chain ip vexpgt pre { type filter hook prerouting priority -300; }
add rule ip vexpgt pre udp dport $port numgen random mod 1000 < $K drop
NFT
    start=$(date +%s)
    run "tbf-drop-$dir" --test throughput --frame-size $SIZE --direction $dir \
        --trial-s 2 --search-trial-s 0.5 --resolution-pct 1 --repetitions "$REPS"
    took=$(($(date +%s) - start))
    f="$OUT/tbf-drop-$dir"
    for rep in $(seq 1 "$REPS"); do
        pdr=$(goal_line "$f" $dir pdr "$rep")
        ndr=$(goal_line "$f" $dir ndr "$rep")
        pdr_fps=$(echo "$pdr" | sed -n 's/.*"fps":\([0-9.]*\).*/\1/p')
        ndr_fps=$(echo "$ndr" | sed -n 's/.*"fps":\([0-9.]*\).*/\1/p')
        if echo "$pdr" | grep -q '"valid":true' && [ -n "$pdr_fps" ] &&
            in_range "$pdr_fps" "$(calc "$exp_fps * 0.97")" "$(calc "$exp_fps * 1.03")"; then
            pass "tbf $RATE Mbit/s + $K/1000 dropped, $dir rep $rep: PDR $pdr_fps fps (tbf admits $exp_fps)"
        else
            fail "tbf $RATE Mbit/s + $K/1000 dropped, $dir rep $rep: PDR '$pdr_fps' fps (want $exp_fps +-3 %): $pdr"
        fi
        if [ -n "$ndr_fps" ] && in_range "$ndr_fps" 0 "$(calc "$exp_fps * 0.97")"; then
            pass "tbf + drop, $dir rep $rep: NDR $ndr_fps fps is honest (below the tbf rate; $(echo "$ndr" | sed -n 's/.*"reason":\([^,]*\).*/\1/p'))"
        else
            fail "tbf + drop, $dir rep $rep: NDR '$ndr_fps' fps claims the tbf rate with frames dropped at every rate"
        fi
    done
    echo "note: tbf + drop, $dir: $REPS searches in $took s, $(grep -c '"type":"trial"' "$f") trials"
    ip netns exec "$ns" nft delete table ip vexpgt
done
ip netns exec "$R" tc qdisc del dev vxs$$r2 root
ip netns exec "$R" tc qdisc del dev vxs$$r1 root
;;
esac

# ---- 2. direction out, the DUT's sender under a CPU quota ----
case " $PARTS " in *" 2 "*)
if mkdir "$CG" 2>/dev/null && echo 100000 >"$CG/cpu.cfs_period_us" &&
    echo 20000 >"$CG/cpu.cfs_quota_us"; then
    SIZE=256
    # (ip netns exec remounts /sys, hiding /sys/fs/cgroup: the agent mounts the
    # cpu hierarchy again in its own mount namespace to join the group)
    mkdir -p "$OUT/cgm"
    AGENT_PREFIX="sh -c 'mount -t cgroup -o cpu cgroup $OUT/cgm && echo \$\$ >$OUT/cgm/${CG##*/}/cgroup.procs && exec \"\$0\" \"\$@\"'"
    run capped-out --test throughput --frame-size $SIZE --direction out --line-rate-mbps 1000 \
        --trial-s 2 --search-trial-s 0.5 --resolution-pct 1 --repetitions "$REPS"
    f="$OUT/capped-out"
    for rep in $(seq 1 "$REPS"); do
        # the best loss-free full-length trial of this repetition's search
        best=$(grep '"type":"trial"' "$f" | grep "\"repetition\":$rep," |
            grep '"duration_s":2.000' | grep '"lost":0,' |
            sed -n 's/.*"rx_fps":\([0-9.]*\).*/\1/p' | sort -g | tail -1)
        for goal in ndr pdr; do
            line=$(goal_line "$f" out $goal "$rep")
            fps=$(echo "$line" | sed -n 's/.*"fps":\([0-9.]*\).*/\1/p')
            if [ -z "$fps" ]; then
                fail "capped DUT sender, out rep $rep $goal: no figure"
            elif [ -z "$best" ] || in_range "$fps" "$(calc "$best * 0.99")" 1e12; then
                pass "capped DUT sender, out rep $rep $goal: $fps fps, best loss-free full-length trial ${best:-none} fps"
            else
                fail "capped DUT sender, out rep $rep $goal: $fps fps is more than 1 % below a loss-free full-length trial at $best fps"
            fi
        done
    done
else
    echo "SKIP: no cgroup v1 cpu controller to cap the DUT's sender"
fi
;;
esac

gt_check_plane
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
