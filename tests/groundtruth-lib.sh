# SPDX-License-Identifier: MIT
# Shared by the ground-truth scripts (sourced, POSIX sh).  The caller calls
# gt_setup first and defines engine ARGS...: `vexp-traffic run --json` with its
# transport and addresses, then ARGS.

failures=0
GTR= # the router namespace, with GT_DATAPLANE=xdp only

# gt_setup NS IF OUT: skip (77) unless root with ip, nft, tc, awk and timeout; then
# namespaces T=NS<pid>-tst and D=NS<pid>-dut joined by the veth pair VT=IF<pid>a,
# VD=IF<pid>b, addresses TA=198.18.0.1 (tester) and DA=198.18.0.2 (DUT), /24; a
# fresh OUT=$(mktemp -d OUT.XXXXXX).  With GT_DATAPLANE=xdp the pair is cut by a
# router namespace GTR=NS<pid>-rtr (VT-VRT=IF<pid>c, VRD=IF<pid>d-VD, same addresses,
# proxy ARP): see gt_tbf.  All of it is removed on every exit (KEEP_OUT=1 keeps OUT).
gt_setup() {
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

    T=$1$$-tst
    D=$1$$-dut
    VT=$2$$a
    VD=$2$$b
    TA=198.18.0.1
    DA=198.18.0.2
    OUT=$(mktemp -d "$3.XXXXXX")
    trap gt_cleanup EXIT
    trap 'exit 130' INT TERM HUP

    set -e
    ip netns add "$T"
    ip netns add "$D"
    if [ "${GT_DATAPLANE:-}" = xdp ]; then
        gt_setup_router "$1$$-rtr" "$2$$c" "$2$$d"
    else
        ip link add "$VT" type veth peer name "$VD"
    fi
    ip link set "$VT" netns "$T"
    ip link set "$VD" netns "$D"
    ip -n "$T" addr add "$TA/24" dev "$VT"
    ip -n "$D" addr add "$DA/24" dev "$VD"
    ip -n "$T" link set lo up
    ip -n "$D" link set lo up
    ip -n "$T" link set "$VT" up
    ip -n "$D" link set "$VD" up
    set +e
}

# gt_setup_router NS IFT IFD (for gt_setup): namespace GTR=NS forwarding between
# VRT=IFT (peer VT, still in the root namespace) and VRD=IFD (peer VD).  The tester and
# the DUT keep their /24 and ask each other's MAC; the router answers for the other side
# (proxy ARP, at once: proxy_delay 0), so neither knows it is there.  Its own addresses
# are /32s, for its ARP requests only.
gt_setup_router() {
    GTR=$1
    VRT=$2
    VRD=$3
    ip netns add "$GTR"
    ip -n "$GTR" link set lo up
    ip link add "$VT" type veth peer name "$VRT"
    ip link add "$VD" type veth peer name "$VRD"
    ip link set "$VRT" netns "$GTR"
    ip link set "$VRD" netns "$GTR"
    ip -n "$GTR" addr add 198.18.0.253/32 dev "$VRT"
    ip -n "$GTR" addr add 198.18.0.254/32 dev "$VRD"
    ip -n "$GTR" link set "$VRT" up
    ip -n "$GTR" link set "$VRD" up
    ip -n "$GTR" route add "$TA/32" dev "$VRT"
    ip -n "$GTR" route add "$DA/32" dev "$VRD"
    ip netns exec "$GTR" sysctl -q -w net.ipv4.ip_forward=1 \
        "net.ipv4.conf.$VRT.proxy_arp=1" "net.ipv4.conf.$VRD.proxy_arp=1" \
        "net.ipv4.neigh.$VRT.proxy_delay=0" "net.ipv4.neigh.$VRD.proxy_delay=0" >/dev/null
}

# run NAME ARGS...: the caller's engine with ARGS; output in $OUT/NAME, errors in
# $OUT/NAME.err and, when it fails, on stdout
run() {
    name=$1
    shift
    engine "$@" >"$OUT/$name" 2>"$OUT/$name.err"
    rc=$?
    if [ $rc != 0 ]; then
        echo "engine failed ($rc) for $name:"
        cat "$OUT/$name.err"
    fi
    return $rc
}

# GT_DATAPLANE=xdp|socket|auto: the engine's --tester-dataplane (unset: socket; auto
# would receive on AF_XDP, past the tester namespace's nftables rules).
# AF_XDP receives before netfilter and sends past the qdisc, so with xdp the drops and
# shapers on the tester's own side move: a drop for frames to the tester goes to the DUT
# device's netdev egress hook (the sending socket is not told, as with a drop on the
# wire), tbf both ways to a router namespace between the two (gt_tbf).  Same rules,
# same bounds.
gt_dp_args() {
    echo "--tester-dataplane ${GT_DATAPLANE:-socket}"
}

# gt_drop_rule NS PORT RULE: nftables drops UDP frames to PORT matching RULE (e.g.
# "numgen inc mod 50 == 0") in the receiving namespace NS's prerouting hook, or, with
# GT_DATAPLANE=xdp and NS the tester's, at the DUT device's egress (until gt_drop_del)
gt_drop_rule() {
    if [ "${GT_DATAPLANE:-}" = xdp ] && [ "$1" = "$T" ]; then
        ip netns exec "$D" nft -f - <<NFT
add table netdev vexpgt
add chain netdev vexpgt eg { type filter hook egress device "$VD" priority -300; }
add rule netdev vexpgt eg udp dport $2 $3 drop
NFT
        gt_drop_ns=$D
        gt_drop_family=netdev
    else
        ip netns exec "$1" nft -f - <<NFT
add table ip vexpgt
add chain ip vexpgt pre { type filter hook prerouting priority -300; }
add rule ip vexpgt pre udp dport $2 $3 drop
NFT
        gt_drop_ns=$1
        gt_drop_family=ip
    fi
}
gt_drop_del() { ip netns exec "$gt_drop_ns" nft delete table $gt_drop_family vexpgt; }

# gt_drop_every NS PORT N: exactly every Nth UDP frame to PORT dropped (gt_drop_rule)
gt_drop_every() { gt_drop_rule "$1" "$2" "numgen inc mod $3 == 0"; }

# gt_tbf R: tc tbf at R Mbit/s both ways (gt_tbf_del removes it): on sockets on each
# sender's own veth egress.  With GT_DATAPLANE=xdp on the router's two egresses: AF_XDP
# frames skip the tester's qdisc, and a tbf behind an ifb on the DUT's ingress held
# them back instead (measured: the tester sent 512 B frames no faster than the shaper,
# tbf dropped none, the search saw no loss).  On the router's egress tbf drops the
# excess (measured: 106 k frames/s sent, 24.7 k/s through, the rest dropped by tbf).
gt_tbf() {
    if [ "${GT_DATAPLANE:-}" = xdp ]; then
        ip netns exec "$GTR" tc qdisc add dev "$VRD" root tbf rate "${1}mbit" burst 16kb latency 10ms
        ip netns exec "$GTR" tc qdisc add dev "$VRT" root tbf rate "${1}mbit" burst 16kb latency 10ms
    else
        ip netns exec "$T" tc qdisc add dev "$VT" root tbf rate "${1}mbit" burst 16kb latency 10ms
        ip netns exec "$D" tc qdisc add dev "$VD" root tbf rate "${1}mbit" burst 16kb latency 10ms
    fi
}
gt_tbf_del() {
    if [ "${GT_DATAPLANE:-}" = xdp ]; then
        ip netns exec "$GTR" tc qdisc del dev "$VRD" root
        ip netns exec "$GTR" tc qdisc del dev "$VRT" root
    else
        ip netns exec "$T" tc qdisc del dev "$VT" root
        ip netns exec "$D" tc qdisc del dev "$VD" root
    fi
}

# gt_exact_nth LABEL N: every Nth frame dropped in the receiving namespace, both
# directions: the engine must measure 100/N % loss, +-0.02 points
gt_exact_nth() {
    for dir in in out; do
        if [ $dir = in ]; then ns=$D; port=17000; else ns=$T; port=17001; fi
        gt_drop_every "$ns" "$port" "$2"
        run "exact-$dir" --test fixed --rate-fps 50000 --frame-size 64 --trial-s 2 --direction $dir
        loss=$(field "$OUT/exact-$dir" result $dir loss_pct)
        tx=$(field "$OUT/exact-$dir" result $dir tx)
        want=$(calc "100 / $2")
        if [ -n "$loss" ] && in_range "$loss" "$(calc "$want - 0.02")" "$(calc "$want + 0.02")"; then
            pass "${1}every ${2}th frame dropped, $dir: measured loss $loss % of $tx frames (injected $want %)"
        else
            fail "${1}every ${2}th frame dropped, $dir: measured loss '${loss}' % of $tx frames (injected $want %, +-0.02)"
        fi
        gt_drop_del
    done
}

# gt_check_plane: every trial of the engine outputs in OUT ran on the data plane asked
# (GT_DATAPLANE, unset: socket; auto is not checked), so that a check can never pass
# on the other plane unseen
gt_check_plane() {
    local want=${GT_DATAPLANE:-socket} n other
    [ "$want" != auto ] || return 0
    n=$(cat "$OUT"/* | grep '"type":"trial"' | grep -c "\"tester_dataplane\":\"$want\"")
    other=$(cat "$OUT"/* | grep '"type":"trial"' | grep -v "\"tester_dataplane\":\"$want\"" |
        grep -c .)
    if [ "$n" -gt 0 ] && [ "$other" -eq 0 ]; then
        pass "all $n trials ran on the tester data plane asked ($want)"
    else
        fail "tester data plane: $n trials on $want, $other on another or not saying"
    fi
}

# gt_finish WHAT: the verdict; on a failure every engine output, exit 1
gt_finish() {
    gt_check_plane
    if [ $failures -gt 0 ]; then
        echo "$failures ground-truth check(s) failed; engine output:"
        for f in "$OUT"/*; do
            echo "--- $f"
            cat "$f"
        done
        exit 1
    fi
    echo "all $1 checks passed"
    exit 0
}

gt_cleanup() {
    ip netns del "$T" 2>/dev/null
    ip netns del "$D" 2>/dev/null
    [ -z "${GTR:-}" ] || ip netns del "$GTR" 2>/dev/null
    [ -n "${KEEP_OUT:-}" ] || rm -rf "$OUT"
}
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
