#!/bin/sh
# SPDX-License-Identifier: MIT
# Engine speed and memory : on a veth pair between two
# namespaces, 64-byte frames at the maximum rate for SECONDS (default 10), all
# in one run:
#  - the tester alone (`vexp-traffic send`/`count`, one tester thread on CPU 0):
#    frames/s it sends while the peer drops them at its XDP hook, and frames/s
#    it counts while an AF_XDP source on CPU 1 feeds it (AF_XDP counts in its XDP
#    program, and, as information, on its socket in user space), on AF_XDP and
#    on sockets; beside what `iperf3 -u -b 0 -l 18` and `nuttcp -u -l18 -R10g`
#    send and receive on the same pair; target: AF_XDP >= 2x the better of the
#    two, sending and counting;
#  - end to end (`vexp-traffic run` against the socket agent) on both data
#    planes, as information: there the agent, standing for the DUT, may limit.
# Then the agent's peak RSS at 1518-byte max rate (/usr/bin/time -v), target
# < 16 MiB.  The last line, FIGURES, has every figure as key=value.
# Needs root.  Usage: [BENCH_PIN=1] [BENCH_RPS=1] bench/engine.sh [PATH/TO/vexp-traffic] [SECONDS]
set -eu
BIN=$(realpath "${1:-build/traffic/vexp-traffic}")
S=${2:-10}
[ "$(id -u)" = 0 ] || { echo "bench/engine.sh: needs root (namespaces)" >&2; exit 2; }
for tool in iperf3 nuttcp awk; do
    command -v $tool >/dev/null 2>&1 || { echo "bench/engine.sh: '$tool' missing" >&2; exit 2; }
done

T=vexp-t-bench$$-tst
D=vexp-t-bench$$-dut
VT=vxbn$$a
VD=vxbn$$b
TA=198.18.0.1
DA=198.18.0.2
OUT=$(mktemp -d /tmp/vexp-bench.XXXXXX)

cleanup() {
    # only what runs inside our own namespaces (servers left by a failure)
    for ns in "$T" "$D"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$T"
ip netns add "$D"
ip link add "$VT" type veth peer name "$VD"
# no qdisc on the tester's side: AF_XDP would bypass it, and --tester-dataplane
# auto would fall back to sockets
ip link set "$VT" netns "$T"
ip link set "$VD" netns "$D"
ip -n "$T" addr add "$TA/24" dev "$VT"
ip -n "$D" addr add "$DA/24" dev "$VD"
for ns in "$T" "$D"; do ip -n "$ns" link set lo up; done
ip -n "$T" link set "$VT" up
ip -n "$D" link set "$VD" up
ip netns exec "$T" ping -c 1 -W 1 "$DA" >/dev/null 2>&1 || true
# BENCH_RPS=1: the receiving veth's protocol processing (IP/UDP, socket
# queueing) goes to CPU 1 by RPS instead of running on the sender's core,
# for every tool alike; on veth it otherwise runs in the sender's softirq
if [ "${BENCH_RPS:-0}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    ip netns exec "$D" sh -c "echo 2 > /sys/class/net/$VD/queues/rx-0/rps_cpus"
fi

# BENCH_PIN=1: sender on CPU 0, receiver on CPU 1, the same for every tool
# (the study pinned too).  Default: not pinned, the tools' plain invocations.
PT=""
PD=""
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    PT="taskset -c 0"
    PD="taskset -c 1"
fi

calc() { awk "BEGIN { printf \"%.0f\", $* }"; }
jnum() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
CPU0=""
CPU1=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    CPU0="--tester-cpus 0"
    CPU1="--tester-cpus 1"
fi

# --- the tester alone, sending: the peer drops at its XDP hook ---
alone_send() { # DATAPLANE -> prints frames/s
    timeout $((S + 30)) ip netns exec "$D" "$BIN" count --addr "$DA" --port 17000 --drop \
        --seconds $((S + 3)) >/dev/null &
    dpid=$!
    sleep 1
    timeout $((S + 30)) ip netns exec "$T" "$BIN" send --src "$TA" --dst "$DA" --seconds "$S" \
        --tester-dataplane "$1" $CPU0 >"$OUT/send-$1" 2>"$OUT/send-$1.err" || true
    wait $dpid || true
    jnum fps "$OUT/send-$1"
}
# --- the tester alone, counting: an AF_XDP source in the peer namespace feeds it ---
alone_count() { # DATAPLANE [COUNT_IN] -> prints "counted/s source/s rx source_tx"
    timeout $((S + 30)) ip netns exec "$T" "$BIN" count --addr "$TA" --port 17001 \
        --seconds $((S + 3)) --tester-dataplane "$1" --count-in "${2:-xdp}" $CPU0 \
        >"$OUT/count-$1" 2>"$OUT/count-$1.err" &
    cpid=$!
    sleep 1
    timeout $((S + 30)) ip netns exec "$D" "$BIN" send --src "$DA" --dst "$TA" --src-port 17000 \
        --dst-port 17001 --seconds "$S" --tester-dataplane xdp $CPU1 >"$OUT/src-$1" 2>&1 || true
    wait $cpid || true
    echo "$(jnum fps "$OUT/count-$1") $(jnum fps "$OUT/src-$1") $(jnum rx "$OUT/count-$1") $(jnum tx "$OUT/src-$1")"
}
a_xs=$(alone_send xdp)
a_ss=$(alone_send socket)
set -- $(alone_count xdp)
a_xc=${1:-0} a_xsrc=${2:-0} a_xrx=${3:-0} a_xtx=${4:-0}
set -- $(alone_count socket)
a_sc=${1:-0} a_ssrc=${2:-0}
# the AF_XDP socket counting in user space (before the XDP program counted), as information
set -- $(alone_count xdp socket)
a_xsc=${1:-0} a_xssrc=${2:-0}

# --- vexp-traffic: one fixed trial as fast as the generator goes, with one
# sender, then (when there are cores for it) with two ---
vexp() { # SENDERS DATAPLANE -> sets v_s v_r
    timeout $((S + 60)) $PT ip netns exec "$T" "$BIN" run --json --tester-dataplane "$2" \
        --agent-cmd "$PD ip netns exec $D $BIN agent" \
        --dut "$DA" --tester "$TA" --test fixed --rate-fps max --frame-size 64 --direction in \
        --trial-s "$S" --straggler-s 1 --senders "$1" >"$OUT/vexp"
    line=$(grep '"type":"trial"' "$OUT/vexp")
    v_tx=$(echo "$line" | sed 's/.*"tx":\([0-9]*\).*/\1/')
    v_rx=$(echo "$line" | sed 's/.*"rx":\([0-9]*\).*/\1/')
    v_el=$(echo "$line" | sed 's/.*"elapsed_s":\([0-9.]*\).*/\1/')
    v_s=$(calc "$v_tx / $v_el")
    v_r=$(calc "$v_rx / $v_el")
}
vexp 1 socket
v1_s=$v_s
v1_r=$v_r
vexp 1 xdp
vx_s=$v_s
vx_r=$v_r
v2_s=-
v2_r=0
if [ -z "$PT" ] && [ "$(nproc)" -ge 2 ]; then
    vexp 2 socket
    v2_s=$v_s
    v2_r=$v_r
fi
v_r=$((v1_r > v2_r ? v1_r : v2_r))
v_r=$((v_r > vx_r ? v_r : vx_r))

# --- iperf3 -u -b 0 -l 18 ---
$PD ip netns exec "$D" iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
sleep 0.5
$PT ip netns exec "$T" iperf3 -c "$DA" -p 5299 -u -b 0 -l 18 -t "$S" -J >"$OUT/iperf3" || true
wait || true
# the top-level "end" object (one tab deep); intervals have "end" keys too
endsec=$(awk '/^\t"end":/ { on = 1 } on' "$OUT/iperf3")
i_pk=$(echo "$endsec" | grep -m1 '"packets"' | tr -dc 0-9)
i_lost=$(echo "$endsec" | grep -m1 '"lost_packets"' | tr -dc 0-9)
i_sec=$(echo "$endsec" | grep -m1 '"seconds"' | sed 's/[^0-9.]//g')
i_s=$(calc "${i_pk:-0} / ${i_sec:-1}")
i_r=$(calc "(${i_pk:-0} - ${i_lost:-0}) / ${i_sec:-1}")

# --- nuttcp -u -l18 -R10g (one-shot server) ---
$PD ip netns exec "$D" nuttcp -1 -P 5300 >/dev/null 2>&1
sleep 0.5
$PT ip netns exec "$T" nuttcp -u -l18 -R10g -T"$S" -P 5300 "$DA" >"$OUT/nuttcp" 2>&1 || true
n_drop=$(sed -n 's|.* \([0-9][0-9]*\) / \([0-9][0-9]*\) drop/pkt.*|\1|p' "$OUT/nuttcp")
n_pk=$(sed -n 's|.* \([0-9][0-9]*\) / \([0-9][0-9]*\) drop/pkt.*|\2|p' "$OUT/nuttcp")
n_sec=$(sed -n 's|.*MB / *\([0-9.]*\) sec.*|\1|p' "$OUT/nuttcp")
n_s=$(calc "${n_pk:-0} / ${n_sec:-1}")
n_r=$(calc "(${n_pk:-0} - ${n_drop:-0}) / ${n_sec:-1}")

[ "$i_r" -ge 0 ] 2>/dev/null || i_r=0
[ "$n_r" -ge 0 ] 2>/dev/null || n_r=0
best=$((i_r > n_r ? i_r : n_r))
[ "$i_s" -ge 0 ] 2>/dev/null || i_s=0
[ "$n_s" -ge 0 ] 2>/dev/null || n_s=0
best_s=$((i_s > n_s ? i_s : n_s))
echo "veth pair between two namespaces, 64-byte frames, maximum rate, ${S} s each"
echo "the tester alone${CPU0:+ (one thread on CPU 0; the AF_XDP source on CPU 1)}:"
printf '%-22s %14s %14s\n' "" "sent frames/s" "counted frames/s"
printf '%-22s %14s %14s\n' "vexp-traffic AF_XDP" "${a_xs:-0}" "$a_xc"
printf '%-22s %14s %14s\n' "vexp-traffic sockets" "${a_ss:-0}" "$a_sc"
printf '%-22s %14s %14s\n' "  AF_XDP, counted in user space" "" "$a_xsc"
echo "  (AF_XDP count: $a_xrx of the source's $a_xtx frames, source at $a_xsrc/s; sockets' source at $a_ssrc/s;"
echo "   counted in user space: source at $a_xssrc/s)"
echo "  sent:    AF_XDP / iperf3 = $(ratio "${a_xs:-0}" "$i_s"), / nuttcp = $(ratio "${a_xs:-0}" "$n_s"), / best = $(ratio "${a_xs:-0}" "$best_s") (target >= 2.00: $(awk -v r="$(ratio "${a_xs:-0}" "$best_s")" 'BEGIN { print (r >= 2 ? "met" : "NOT met") }'))"
echo "  counted: AF_XDP / iperf3 = $(ratio "$a_xc" "$i_r"), / nuttcp = $(ratio "$a_xc" "$n_r"), / best = $(ratio "$a_xc" "$best") (target >= 2.00: $(awk -v r="$(ratio "$a_xc" "$best")" 'BEGIN { print (r >= 2 ? "met" : "NOT met") }'))"
echo "end to end, against the socket agent:"
printf '%-22s %14s %14s\n' "" "sent frames/s" "recv frames/s"
printf '%-22s %14s %14s\n' "vexp-traffic sockets" "$v1_s" "$v1_r"
printf '%-22s %14s %14s\n' "vexp-traffic AF_XDP" "$vx_s" "$vx_r"
[ "$v2_s" = - ] || printf '%-22s %14s %14s\n' "  sockets --senders 2" "$v2_s" "$v2_r"
printf '%-22s %14s %14s\n' "iperf3 -u" "$i_s" "$i_r"
printf '%-22s %14s %14s\n' "nuttcp -u" "$n_s" "$n_r"
ratio=$(awk -v a="$v_r" -v b="$best" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "vexp-traffic best: $v_r received frames/s"
echo "received ratio vexp/iperf3 = $(awk -v a="$v_r" -v b="$i_r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')," \
    "vexp/nuttcp = $(awk -v a="$v_r" -v b="$n_r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')," \
    "vexp/best = $ratio (target >= 2.00:" \
    "$(awk -v r="$ratio" 'BEGIN { print (r >= 2 ? "met" : "NOT met") }'))"

echo "FIGURES alone_xdp_send=${a_xs:-0} alone_sock_send=${a_ss:-0} alone_xdp_count=$a_xc" \
    "alone_sock_count=$a_sc alone_xdp_count_user=$a_xsc e2e_sock_sent=$v1_s e2e_sock_recv=$v1_r e2e_xdp_sent=$vx_s" \
    "e2e_xdp_recv=$vx_r iperf3_sent=$i_s iperf3_recv=$i_r nuttcp_sent=$n_s nuttcp_recv=$n_r" \
    "send_ratio=$(ratio "${a_xs:-0}" "$best_s") count_ratio=$(ratio "$a_xc" "$best")"

# --- agent peak RSS at 1518 B, max rate, both directions ---
if [ -x /usr/bin/time ]; then
    timeout 120 ip netns exec "$T" "$BIN" run --json \
        --agent-cmd "ip netns exec $D /usr/bin/time -v -o $OUT/rss $BIN agent" \
        --dut "$DA" --tester "$TA" --test fixed --rate-fps max --frame-size 1518 \
        --direction in,out --trial-s 3 --straggler-s 0.5 >/dev/null
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/rss")
    echo "agent peak RSS at 1518 B max rate: ${kb} KiB (target < 16384 KiB:" \
        "$(awk -v k="${kb:-999999}" 'BEGIN { print (k < 16384 ? "met" : "NOT met") }'))"
fi
