#!/bin/sh
# SPDX-License-Identifier: MIT
# The engine's demo: an RFC 2544 throughput search (then latency) between two
# network namespaces over a veth pair whose DUT side is limited by
# `tc tbf rate 100mbit`, so the answer is known: ~100 Mb/s.  Namespaces are
# removed on exit.  Needs root.  Usage: bench/demo.sh [PATH/TO/vexp-traffic] [run options...]
set -eu
BIN=$(realpath "${1:-build/traffic/vexp-traffic}")
[ $# -gt 0 ] && shift
[ "$(id -u)" = 0 ] || { echo "bench/demo.sh: needs root (network namespaces)" >&2; exit 2; }
T=vexp-t-demo$$-tst
D=vexp-t-demo$$-dut
cleanup() {
    ip netns del "$T" 2>/dev/null || true
    ip netns del "$D" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
ip netns add "$T"
ip netns add "$D"
ip link add vxdemo$$a type veth peer name vxdemo$$b
ip link set vxdemo$$a netns "$T"
ip link set vxdemo$$b netns "$D"
ip -n "$T" addr add 198.18.0.1/24 dev vxdemo$$a
ip -n "$D" addr add 198.18.0.2/24 dev vxdemo$$b
ip -n "$T" link set vxdemo$$a up
ip -n "$D" link set vxdemo$$b up
ip netns exec "$T" tc qdisc add dev vxdemo$$a root tbf rate 100mbit burst 16kb latency 10ms
ip netns exec "$D" tc qdisc add dev vxdemo$$b root tbf rate 100mbit burst 16kb latency 10ms
echo "demo: both veth ends limited to 100 Mbit/s by tc tbf; the search should find ~100 Mb/s L2"
ip netns exec "$T" "$BIN" run --agent-cmd "ip netns exec $D $BIN agent" \
    --dut 198.18.0.2 --tester 198.18.0.1 --test throughput,latency,rtt \
    --frame-size 1518,512 --direction in,out --trial-s 3 --search-trial-s 0.5 \
    --latency-repetitions 2 --rtt-sequences 3 --straggler-s 0.5 "$@"
