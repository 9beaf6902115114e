#!/bin/bash
# SPDX-License-Identifier: MIT
# --resume at the figure level, on the bare-host cell (nic = host: the engine between two
# namespaces vexp makes; no VM, no traffic outside them):
#   1. SIGKILL mid-cell once a few figures are stored; --resume measures only the missing
#      figures (no trial of a stored one in the new attempt), the cell ends complete with
#      every figure once and its results over every repetition
#   2. a kill after the last figure, before the summary: --resume starts no agent and
#      derives the results from the stored figures
#   3. --retry-failed runs a finished run's failed cell again from its stored figures
#   4. the estimate of render and run calibrated by this host's earlier complete cells
# Needs root (namespaces).  Usage: test-resume.sh VEXP
set -u
VEXP=${1:?vexp binary}
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and ip netns"
    exit 77
fi
WORK=$(mktemp -d /tmp/vexp-resume.XXXXXX)
export VEXP_STATE_DIR="$WORK/state"
STORE="$WORK/r.db"
pass=0
fail=0
pid=

cleanup() {
    # the killed vexp's namespaces (a --resume that ran removed them already)
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null
        for ns in "vexp-$pid-h" "vexp-$pid"; do
            ip netns list | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns"
        done
        rm -f "/run/vexp/vexp-$pid.pid" "/run/vexp/vexp-$pid-h.pid"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }
q() { sqlite3 "$STORE" "$1"; }

# fixed-rate trials: one short trial per figure, 6 frame sizes x 2 repetitions = 12 units
cat >"$WORK/host.conf" <<EOF
[experiment]
name = resume
store = r.db
repetitions = 2
[matrix]
nic = host
[traffic]
tests = fixed
rate_mbps = 1
frame_sizes = 64, 128, 256, 512, 1024, 1518
directions = in
trial_s = 0.5
wait_s = 0.1
EOF
UNITS=12
METRICS=3 # offered_fps, rx_fps, loss_pct

# ---- 1. SIGKILL mid-cell ----
"$VEXP" run "$WORK/host.conf" --store "$STORE" >"$WORK/run1.log" 2>&1 &
pid=$!
n=0
for _ in $(seq 600); do
    n=$(sqlite3 "$STORE" "SELECT count(*) FROM measure" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 4 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
if [ "${n:-0}" -lt 4 ] || [ "${n:-0}" -ge $UNITS ]; then
    ko "kill mid-cell: $n figure(s) stored when killed (want 4..$((UNITS - 1)))"
    tail -5 "$WORK/run1.log"
fi
before=$(q "SELECT count(*) FROM measure WHERE cell_id = 1")
q "SELECT test || '|' || direction || '|' || frame_size || '|' || repetition FROM measure WHERE cell_id = 1" >"$WORK/kept"
echo "killed after $before figure(s), $(q "SELECT count(*) FROM trial") trial(s)"
[ "$(q "SELECT status FROM cell WHERE id = 1")" = running ] && ok "killed cell left running" ||
    ko "killed cell: $(q "SELECT status FROM cell WHERE id = 1")"
[ "$(q "SELECT count(*) FROM result")" -eq 0 ] && ok "no summary before the resume" ||
    ko "results before the resume"

"$VEXP" run "$WORK/host.conf" --store "$STORE" --resume >"$WORK/run2.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--resume exits 0" || { ko "--resume exit $rc"; tail -10 "$WORK/run2.log"; }
grep -q "cell 0 nic=host: $before figure(s) kept from the earlier attempt, $((UNITS - before)) unit(s) to measure" "$WORK/run2.log" &&
    ok "--resume says it keeps $before figure(s)" || { ko "no 'kept' line"; grep -v '^\[' "$WORK/run2.log"; }
ip netns list | grep -q "^vexp-$pid" && ko "the killed run's namespaces are left" ||
    ok "the killed run's namespaces removed"
last=$(q "SELECT max(id) FROM cell WHERE cell_index = 0")
[ "$last" -eq 2 ] && ok "one new attempt" || ko "latest attempt is cell $last"
[ "$(q "SELECT status FROM cell WHERE id = $last")" = complete ] && ok "cell complete" ||
    ko "cell: $(q "SELECT status || ' ' || coalesce(reason, '') FROM cell WHERE id = $last")"
[ "$(q "SELECT status FROM run WHERE id = 1")" = complete ] && [ "$(q "SELECT count(*) FROM run")" -eq 1 ] &&
    ok "run 1 complete, no second run" || ko "run: $(q "SELECT id, status FROM run")"
# not measured again: no trial of a stored figure in the new attempt, one in the old
again=0
while IFS='|' read -r test dir fs rep; do
    t2=$(q "SELECT count(*) FROM trial WHERE cell_id = $last AND test = '$test' AND direction = '$dir' AND frame_size = $fs AND repetition = $rep")
    t1=$(q "SELECT count(*) FROM trial WHERE cell_id = 1 AND test = '$test' AND direction = '$dir' AND frame_size = $fs AND repetition = $rep")
    by=$(q "SELECT measured_by FROM measure WHERE cell_id = $last AND test = '$test' AND direction = '$dir' AND frame_size = $fs AND repetition = $rep")
    if [ "$t2" -ne 0 ] || [ "$t1" -ne 1 ] || [ "$by" != 1 ]; then
        again=$((again + 1))
        echo "  $test $dir $fs B rep $rep: trials before $t1, after $t2, measured by '$by'"
    fi
done <"$WORK/kept"
[ $again -eq 0 ] && ok "the $before figure(s) stored before the kill were not measured again" ||
    ko "$again stored figure(s) measured again"
# the missing ones measured once, by the new attempt
t2=$(q "SELECT count(*) FROM trial WHERE cell_id = $last")
[ "$t2" -eq $((UNITS - before)) ] && ok "the new attempt ran $t2 trial(s), one per missing figure" ||
    ko "the new attempt ran $t2 trial(s), want $((UNITS - before))"
[ "$(q "SELECT count(*) FROM measure WHERE cell_id = $last AND measured_by = $last")" -eq $((UNITS - before)) ] &&
    ok "the missing figures measured by the new attempt" || ko "measured_by of the new figures"
# every figure once in the complete cell
nm=$(q "SELECT count(*) || ' ' || count(DISTINCT test || direction || frame_size || '/' || repetition) FROM measure WHERE cell_id = $last")
[ "$nm" = "$UNITS $UNITS" ] && ok "every figure present once ($UNITS)" || ko "figures (all, distinct): $nm"
# each over both repetitions, but for a repetition whose trial was not valid (a tester
# starved of CPU on a loaded host gives no figure: then n = 1 there)
nr=$(q "SELECT count(*) FROM result WHERE cell_id = $last AND n = 2 - (SELECT count(*) FROM trial t JOIN cell c ON c.id = t.cell_id WHERE c.run_id = 1 AND t.valid = 0 AND t.frame_size = result.frame_size)")
[ "$nr" -eq $((UNITS / 2 * METRICS)) ] && ok "$nr result rows, each over both repetitions" ||
    { ko "result rows with n = 2: $nr"; q "SELECT frame_size, metric, n FROM result"; }
# the results as the readers see them
"$VEXP" results --store "$STORE" --format csv >"$WORK/results.csv" 2>&1 &&
    [ "$(grep -c ',fixed,' "$WORK/results.csv")" -ge $((UNITS / 2)) ] &&
    ok "vexp results shows the resumed cell" || { ko "vexp results"; head -5 "$WORK/results.csv"; }
# the trials of the cell as the readers see them: one per figure, across the two attempts
trials=$("$VEXP" results --store "$STORE" --trials 2>/dev/null | grep -cE '^ *[0-9]+ +[0-9]+ .*(pass|fail|not valid)')
[ "$trials" -eq $UNITS ] && ok "results --trials: $trials, one per figure across both attempts" ||
    ko "results --trials shows $trials trial(s), want $UNITS"

# ---- 2. a kill between the last figure and the summary ----
q "DELETE FROM result WHERE cell_id = $last; UPDATE cell SET status = 'running', finished_at = NULL WHERE id = $last; UPDATE run SET status = 'interrupted' WHERE id = 1"
ntrials=$(q "SELECT count(*) FROM trial")
"$VEXP" run "$WORK/host.conf" --store "$STORE" --resume >"$WORK/run3.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "summary-only --resume exits 0" || { ko "summary-only --resume exit $rc"; tail -5 "$WORK/run3.log"; }
grep -q "starting the agent" "$WORK/run3.log" && ko "the agent started with nothing to measure" ||
    ok "nothing to measure: no agent started"
[ "$(q "SELECT count(*) FROM trial")" -eq "$ntrials" ] && ok "no new trial" || ko "new trials"
last=$(q "SELECT max(id) FROM cell WHERE cell_index = 0")
# each over both repetitions, but for a repetition whose trial was not valid (a tester
# starved of CPU on a loaded host gives no figure: then n = 1 there)
nr=$(q "SELECT count(*) FROM result WHERE cell_id = $last AND n = 2 - (SELECT count(*) FROM trial t JOIN cell c ON c.id = t.cell_id WHERE c.run_id = 1 AND t.valid = 0 AND t.frame_size = result.frame_size)")
[ "$nr" -eq $((UNITS / 2 * METRICS)) ] && ok "results derived from the stored figures ($nr)" ||
    ko "results after the summary-only resume: $nr"
by=$(q "SELECT group_concat(DISTINCT measured_by) FROM measure WHERE cell_id = $last ORDER BY 1")
[ "$by" = "1,2" ] || [ "$by" = "2,1" ] && ok "the third attempt names the attempts that measured" ||
    ko "measured_by in the third attempt: $by"

# ---- 3. --retry-failed: a finished run whose cell failed (here: marked so by hand, as a
# guest whose NIC stalled leaves it) runs that cell again from its stored figures ----
"$VEXP" run "$WORK/host.conf" --store "$STORE" --resume >"$WORK/run4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && ok "--resume of a finished run refused (exit 2)" || ko "--resume of a finished run: exit $rc"
q "UPDATE cell SET status = 'failed', reason = 'the guest''s NIC stopped sending' WHERE id = $last; UPDATE run SET status = 'complete' WHERE id = 1"
ntrials=$(q "SELECT count(*) FROM trial")
"$VEXP" run "$WORK/host.conf" --store "$STORE" --retry-failed >"$WORK/run5.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--retry-failed exits 0" || { ko "--retry-failed exit $rc"; tail -5 "$WORK/run5.log"; }
[ "$(q "SELECT count(*) FROM run")" -eq 1 ] && ok "--retry-failed: no second run" || ko "--retry-failed made a run"
[ "$(q "SELECT status FROM cell WHERE cell_index = 0 ORDER BY id DESC LIMIT 1")" = complete ] &&
    ok "--retry-failed: the cell complete" || ko "--retry-failed: cell not complete"
[ "$(q "SELECT count(*) FROM cell WHERE status = 'failed' AND reason LIKE '%NIC stopped%'")" -eq 1 ] &&
    ok "--retry-failed: the failure stays recorded" || ko "--retry-failed: failure gone"
[ "$(q "SELECT count(*) FROM trial")" -eq "$ntrials" ] && ok "--retry-failed: stored figures not measured again" ||
    ko "--retry-failed: new trials"

# ---- 4. the estimate calibrated by the earlier cells of this host: a fresh store, one
# complete run, then render and run say the typical figure is scaled by its measured/model ----
STORE2="$WORK/c.db"
secs() { awk '{ s = 0; t = $0; while (match(t, /^[0-9]+[dhms]/)) { v = substr(t, 1, RLENGTH - 1); u = substr(t, RLENGTH, 1); s += v * (u == "d" ? 86400 : u == "h" ? 3600 : u == "m" ? 60 : 1); t = substr(t, RLENGTH + 1) } print s }'; }
"$VEXP" run "$WORK/host.conf" --store "$STORE2" >"$WORK/run6.log" 2>&1 || ko "calibration run: exit $?"
grep -q "typically .*not calibrated: no earlier cell here" "$WORK/run6.log" &&
    ok "a fresh store: the estimate says it is not calibrated" || { ko "fresh store estimate line"; grep estimated "$WORK/run6.log"; }
"$VEXP" render "$WORK/host.conf" --store "$STORE2" >"$WORK/render.txt" 2>/dev/null
model=$(sed -n 's/^#   per host cell: .*(typically \([0-9dhms]*\)) wall$/\1/p' "$WORK/render.txt" | secs)
wall=$(sqlite3 "$STORE2" "SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM cell WHERE id = 1")
factor=$(sed -n 's/^#   typical calibrated on this host: 1 cell(s) by earlier cells with their label, 0 by earlier cells of their kind; x\([0-9.]*\) .. x[0-9.]* per cell.*/\1/p' "$WORK/render.txt")
if [ -n "$factor" ] && awk -v f="$factor" -v w="$wall" -v m="$model" 'BEGIN { r = w / m; exit !(m > 0 && f > r * 0.9 && f < r * 1.1) }'; then
    ok "render: calibrated by the earlier cell, x$factor = measured ${wall%.*} s / model $model s"
else
    ko "render calibration: factor '$factor', cell ${wall} s, model '$model' s"; grep '^#   ' "$WORK/render.txt"
fi
"$VEXP" run "$WORK/host.conf" --store "$STORE2" >"$WORK/run7.log" 2>&1 || ko "second calibration run: exit $?"
grep -q "typically .*calibrated by this host's earlier cells" "$WORK/run7.log" &&
    ok "the second run's estimate is calibrated" || { ko "second run estimate line"; grep estimated "$WORK/run7.log"; }
# another host's runs are not this host's
sqlite3 "$STORE2" "UPDATE run SET host = 'elsewhere'"
"$VEXP" render "$WORK/host.conf" --store "$STORE2" 2>/dev/null | grep -q "typical not calibrated" &&
    ok "runs of another host do not calibrate" || ko "another host's runs calibrated the estimate"

echo "$pass passed, $fail failed"
# (no exit: a shell under valgrind leaks what exit leaves parsed)
[ $fail -eq 0 ]
