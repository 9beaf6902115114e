#!/bin/bash
# SPDX-License-Identifier: MIT
# Orchestration targets, measured, not asserted by unit tests:
#   - from `vexp run` to the first trial under TCG: < 30 s per domain
#   - overhead between two trials: < 100 ms (gap between trials minus the
#     trial's own sending time, warm-up and straggler wait)
#   - orchestrator peak RSS < 64 MiB for a 100-cell matrix
# Usage: bench/orchestrator.sh [BUILD_DIR] [RUN_CELLS]   (root; boots RUN_CELLS domains)
# The 100-cell RSS figure is `vexp render` over 100 cells (everything a run
# holds for its matrix) plus the peak RSS of a real run of RUN_CELLS cells:
# a run keeps one cell's state at a time, so its peak does not grow with cells.
set -eu
BUILD=${1:-build}
RUN_CELLS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
VEXP="$BUILD/orchestrator/vexp"
W=$(mktemp -d /tmp/vexp-bench-orch.XXXXXX)
trap 'rm -rf "$W"' EXIT
export VEXP_STATE_DIR="$W/state"

mems=$(seq -s ', ' 256 8 448)   # 25 values x 4 NIC models = 100 cells
cat >"$W/m100.conf" <<EOF
[experiment]
name = bench100
[domain]
template = $SRC/examples/templates/tiny-guest.xml
vcpu_pin = 1
emulator_pin = 0
[matrix]
nic = virtio, e1000, rtl8139, vmxnet3
memory_mib = $mems
[traffic]
tests = throughput
frame_sizes = 64
directions = in
trial_s = 0.5
EOF
# vexp's own peak (VmHWM): /usr/bin/time would add the QEMU it runs to list NIC
# models and to check KVM
VEXP_PRINT_PEAK_RSS=1 "$VEXP" render "$W/m100.conf" >"$W/render.out" 2>"$W/render.time"
cells=$(grep -c '^# cell' "$W/render.out")
rss_render=$(sed -n 's/^vexp: peak RSS \([0-9]*\) KiB/\1/p' "$W/render.time")

nics=$(echo "virtio e1000 rtl8139 vmxnet3" | cut -d' ' -f1-"$RUN_CELLS" | sed 's/ /, /g')
cat >"$W/run.conf" <<EOF
[experiment]
name = benchrun
repetitions = 1
[domain]
template = $SRC/examples/templates/tiny-guest.xml
vcpu_pin = 1
emulator_pin = 0
[matrix]
nic = $nics
[traffic]
tests = throughput, rtt
frame_sizes = 64, 1518
directions = in, out
trial_s = 0.5
wait_s = 0.5
resolution_pct = 10
EOF
VEXP_PRINT_PEAK_RSS=1 "$VEXP" run "$W/run.conf" --store "$W/run.db" >"$W/run.out" 2>"$W/run.time" || true
rss_run=$(sed -n 's/^vexp: peak RSS \([0-9]*\) KiB/\1/p' "$W/run.time")

# warm-up 0.1 s (the engine's default) and the straggler wait are part of a trial
read -r first_max first_avg <<<"$(sqlite3 -separator ' ' "$W/run.db" "
  SELECT printf('%.1f', max(t)), printf('%.1f', avg(t)) FROM (
    SELECT (julianday(min(tr.recorded_at)) - julianday(c.started_at)) * 86400 AS t
    FROM cell c JOIN trial tr ON tr.cell_id = c.id GROUP BY c.id)")"
read -r gap_med gap_p90 n_gaps <<<"$(sqlite3 -separator ' ' "$W/run.db" "
  WITH t AS (SELECT cell_id, recorded_at, duration_s, test,
               lag(recorded_at) OVER (PARTITION BY cell_id ORDER BY id) AS prev
             FROM trial),
       g AS (SELECT ((julianday(recorded_at) - julianday(prev)) * 86400
                     - duration_s - 0.1 - 0.5) * 1000 AS ms
             FROM t WHERE prev IS NOT NULL AND test = 'throughput')
  SELECT printf('%.0f', (SELECT ms FROM g ORDER BY ms LIMIT 1 OFFSET (SELECT count(*) FROM g) / 2)),
         printf('%.0f', (SELECT ms FROM g ORDER BY ms LIMIT 1 OFFSET (SELECT count(*) FROM g) * 9 / 10)),
         (SELECT count(*) FROM g)")"

echo "vexp render, $cells cells:            peak RSS $((rss_render / 1024)) MiB (target < 64 MiB)"
echo "vexp run, $RUN_CELLS domain cells:          peak RSS $((rss_run / 1024)) MiB (the embedded libvirt driver and libssh included; QEMU not)"
echo "cell start -> first trial recorded:  max ${first_max} s, mean ${first_avg} s (target < 30 s; includes boot, SSH, push and the first 0.5 s trial)"
echo "overhead between throughput trials:  median ${gap_med} ms, p90 ${gap_p90} ms over ${n_gaps} gaps (target < 100 ms)"
