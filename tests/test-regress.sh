#!/bin/bash
# SPDX-License-Identifier: MIT
# vexp regress as a CI gate: every refusal with its exact message and exit
# status, baselines by tag, verdicts recorded, JSON and JUnit (validated with
# xmllint against tests/data/junit/junit.xsd).  A store made by vexp itself,
# rows added with the sqlite3 shell.  No root, no QEMU.
set -u
VEXP=${1:?path to vexp}
SRC=${VEXP_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
W=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
pass=0 fail=0
for t in sqlite3 xmllint python3; do
    command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
check() { # expected_rc description cmd...
    local want=$1 what=$2
    shift 2
    ${VEXP_WRAPPER:-} "$@" >"$W/out" 2>"$W/err"
    local rc=$?
    if [ $rc -eq "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what: exit $rc, expected $want"; cat "$W/out" "$W/err"; fi
}
same() { # description file expected-text
    if [ "$(cat "$2")" = "$3" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); printf 'FAIL: %s:\n--- got\n%s\n--- expected\n%s\n' "$1" "$(cat "$2")" "$3"; fi
}
has() { # description file pattern
    if grep -q -- "$3" "$2"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $1: $2 lacks '$3':"; cat "$2"; fi
}
q() { sqlite3 "$DB" "$1"; }

DB="$W/gate.db"
: >"$DB"
check 0 "results --migrate gives an empty file the schema" "$VEXP" results --migrate --store "$DB"
T="'2025-01-31T12:00:00.000Z'"
# run(id, trial_s, frame sizes of its results): runs 1, 2, 4, 5, 6 alike; run 3
# changed every config key; run 4 changed e1000's; run 5 another trial length
run() { # id trial_s branch
    echo "INSERT INTO run (id, name, started_at, finished_at, status, matrix_text, matrix_hash,
          vexp_version, accel, line_rate_mbps, trial_s, resolution_pct, repetitions, method,
          goals) VALUES ($1, 'ci', $T, $T, 'complete', 'm', 'h', '0.1.0', 'tcg', 1000, $2, 1, 3,
          'mlrsearch', 'ndr:0,pdr:0.5');
          INSERT INTO run_tag VALUES ($1, 'branch', '$3'), ($1, 'commit', 'c$1');"
}
cell() { # run index config_id label
    echo "INSERT INTO cell (id, run_id, config_id, cell_index, label, status, started_at)
          VALUES ($1$2, $1, $3, $2, '$4', 'complete', $T);"
}
fig() { # run index mean stddev [metric]
    echo "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, mean,
          stddev, cov_pct, bimodal) VALUES ($1$2, 'throughput', 'in', 64, '${5:-throughput_fps}',
          'frames/s', 3, $3, $4, 100.0 * $4 / $3, 0);"
}
{
    echo "INSERT INTO config (id, key, nic, created_at) VALUES (1, 'k-virtio', 'virtio', $T),
          (2, 'k-e1000', 'e1000', $T), (3, 'k-virtio-2', 'virtio', $T),
          (4, 'k-e1000-2', 'e1000', $T);"
    run 1 1 main; cell 1 0 1 nic=virtio; cell 1 1 2 nic=e1000
    fig 1 0 1000 10; fig 1 1 2000 20; fig 1 0 50 1 rtt_p50_us
    run 2 1 main; cell 2 0 1 nic=virtio; cell 2 1 2 nic=e1000
    fig 2 0 1000 10; fig 2 1 1000 10; fig 2 0 50 1 rtt_p50_us
    run 3 1 feature; cell 3 0 3 nic=virtio; cell 3 1 4 nic=e1000
    fig 3 0 1000 10; fig 3 1 2000 20
    run 4 1 feature; cell 4 0 1 nic=virtio; cell 4 1 4 nic=e1000
    fig 4 0 1000 10; fig 4 1 2000 20; fig 4 0 50 1 rtt_p50_us
    run 5 2 feature; cell 5 0 1 nic=virtio; cell 5 1 2 nic=e1000
    fig 5 0 1000 10; fig 5 1 2000 20; fig 5 0 50 1 rtt_p50_us
    run 6 1 main; cell 6 0 1 nic=virtio; cell 6 1 2 nic=e1000
    fig 6 0 1000 10; fig 6 1 2000 20; fig 6 0 50 1 rtt_p50_us
} | sqlite3 "$DB" || { echo "FAIL: sqlite3 fixture"; exit 1; }

R="$VEXP regress --store $DB"
# 1. filters name what the runs have
check 2 "unknown metric" $R --baseline 1 --candidate 2 --metrics latency_us,throughput_pfs
same "unknown metric message" "$W/err" "vexp regress: --metrics: 'latency_us' is not a metric of run 1 or run 2; valid: rtt_p50_us, throughput_fps"
check 2 "typo in a metric" $R --baseline 1 --candidate 2 --metrics throughput_fps,throughput_pfs
same "typo message" "$W/err" "vexp regress: --metrics: 'throughput_pfs' is not a metric of run 1 or run 2; valid: rtt_p50_us, throughput_fps"
check 2 "unknown test" $R --baseline 1 --candidate 2 --tests latency
same "unknown test message" "$W/err" "vexp regress: --tests: 'latency' is not a test of run 1 or run 2; valid: throughput"
check 2 "unknown direction" $R --baseline 1 --candidate 2 --directions sideways
same "unknown direction message" "$W/err" "vexp regress: --directions: 'sideways' is not a direction of run 1 or run 2; valid: in"
check 2 "unknown frame size" $R --baseline 1 --candidate 2 --frame-sizes 64,65
same "unknown frame size message" "$W/err" "vexp regress: --frame-sizes: '65' is not a frame size of run 1 or run 2; valid: 64"
check 2 "empty metric" $R --baseline 1 --candidate 2 --metrics throughput_fps,
same "empty metric message" "$W/err" "vexp regress: --metrics 'throughput_fps,': an empty metric"
# 2. nothing matched
check 2 "zero matched" $R --baseline 1 --candidate 3
same "zero matched message" "$W/err" "vexp regress: no figure of run 1 matched one of run 3 (3 only in the baseline, 2 only in the candidate): config keys, tests, directions, frame sizes or metrics differ, so nothing was compared"
check 2 "compare refuses zero matched too" "$VEXP" compare 1 3 --store "$DB"
# 3. too few matched: e1000's config key changed in run 4
check 1 "too few matched" $R --baseline 1 --candidate 4
has "too few matched names the share" "$W/out" "^UNMATCHED: 2 of 3 baseline figure(s) of the cells both runs have matched (66.7 %), below --min-matched 100 %; without a match in run 4:"
has "too few matched lists the figure" "$W/out" "^  cell 'nic=e1000' throughput in 64 B throughput_fps (config k-e1000)"
check 0 "--min-matched 60 lets it pass" $R --baseline 1 --candidate 4 --min-matched 60
check 2 "--min-matched out of range" $R --baseline 1 --candidate 4 --min-matched 101
same "--min-matched message" "$W/err" "vexp regress: --min-matched 101: expected 0..100 (%)"
# 4. settings that differ
check 2 "different trial length" $R --baseline 1 --candidate 5
same "different settings message" "$W/err" "vexp regress: run 1 and run 5 were measured with different settings:
  trial_s: 1 in run 1, 2 in run 5
their figures are not comparable (--allow-different-settings compares them anyway, with a warning)"
check 0 "--allow-different-settings" $R --baseline 1 --candidate 5 --allow-different-settings
has "it warns" "$W/out" "^warning: --allow-different-settings: trial_s is 1 in run 1 and 2 in run 5"
# 5. formats
check 2 "bad format" $R --baseline 1 --candidate 2 --format xml
same "bad format message" "$W/err" "vexp regress: --format 'xml': expected text, json or junit"
check 1 "regression, text" $R --baseline 1 --candidate 2
has "text: the worse row" "$W/out" "nic=e1000.*throughput_fps.*-50.00%.*worse"
has "text: cv column" "$W/out" "1.0%"
has "text: mdc explained" "$W/out" "^mdc: minimum detectable change"
has "text: verdict" "$W/out" "^REGRESSION: 1 figure(s) significantly worse than run 1"
check 1 "regression, junit" $R --baseline 1 --candidate 2 --format junit
cp "$W/out" "$W/junit.xml"
if xmllint --noout --schema "$SRC/tests/data/junit/junit.xsd" "$W/junit.xml" 2>"$W/xmllint"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: junit does not validate"; cat "$W/xmllint"; fi
has "junit: a failure with the numbers" "$W/junit.xml" '<failure type="regression" message="throughput_fps -50.00 %: 2000 -&gt; 1000 frames/s (n 3 -&gt; 3)'
check 1 "regression, json" $R --baseline 1 --candidate 4 --format json
python3 - "$W/out" <<'PY' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: json"; cat "$W/out"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "fail" and d["too_few_matched"], d
f = [x for x in d["figures"] if x["verdict"] == "only-a"][0]
assert f["cell"] == "nic=e1000" and f["baseline"]["mean"] == 2000 and f["candidate"] is None, f
m = [x for x in d["figures"] if x["verdict"] == "same"][0]
assert m["change_pct"] == 0 and m["p"] == 1 and m["baseline"]["cov_pct"] == 1, m
PY
check 2 "--output needs json or junit" $R --baseline 1 --candidate 2 --output "$W/x"
check 1 "junit to a file, text to stdout" $R --baseline 1 --candidate 2 --format junit -o "$W/j2.xml"
has "file written" "$W/j2.xml" "<testsuites"
has "text beside it" "$W/out" "^REGRESSION"
# 6. baselines by tag, verdicts recorded
check 2 "no baseline for a tag" $R --baseline tag:branch=release --candidate 2
same "no baseline message" "$W/err" "vexp regress: --baseline tag:branch=release: no complete run tagged branch=release before run 2 in store '$DB' passed its gate or was marked with 'vexp baseline set RUN'"
check 2 "run 1 never judged is no baseline by itself" $R --baseline tag:branch=main --candidate 2
check 1 "baseline find: none yet" "$VEXP" baseline find tag:branch=main --store "$DB"
check 0 "baseline set" "$VEXP" baseline set 1 --store "$DB"
same "baseline set message" "$W/out" "run 1 marked as a baseline"
check 1 "tag baseline: run 1, run 2 fails" $R --baseline tag:branch=main --candidate 2
same "gate recorded as fail" <(q "SELECT run_id, baseline_id, verdict, matched, worse FROM gate ORDER BY id DESC LIMIT 1") "2|1|fail|3|1"
check 0 "baseline find skips the failed run" "$VEXP" baseline find tag:branch=main --store "$DB"
same "baseline find prints 1" "$W/out" "1"
check 0 "run 6 passes against run 1" $R --baseline tag:branch=main --candidate 6
same "gate recorded as pass" <(q "SELECT run_id, baseline_id, verdict FROM gate ORDER BY id DESC LIMIT 1") "6|1|pass"
check 0 "run 6 is the baseline now" "$VEXP" baseline find tag:branch=main --store "$DB"
same "baseline find prints 6" "$W/out" "6"
check 0 "baseline unset" "$VEXP" baseline unset 1 --store "$DB"
check 2 "baseline unset again" "$VEXP" baseline unset 1 --store "$DB"
same "unset message" "$W/err" "vexp: run 1 is not marked as a baseline in store '$DB'"
q "UPDATE run SET status = 'failed' WHERE id = 5"
check 2 "baseline set: not complete" "$VEXP" baseline set 5 --store "$DB"
same "not complete message" "$W/err" "vexp: run 5 is 'failed', not 'complete': only a complete run can be a baseline"
check 2 "--baseline garbage" $R --baseline main
same "--baseline garbage message" "$W/err" "vexp regress: --baseline 'main': expected a run id or tag:KEY=VALUE"
# 7. vexp run --tag is checked before anything
check 2 "run: bad tag" "$VEXP" run "$W/none.conf" --tag nokey
same "bad tag message" "$W/err" "vexp: tag 'nokey': expected KEY=VALUE with a KEY of 1 to 64 letters, digits, '_', '.' or '-'"
check 2 "run: a key twice" "$VEXP" run "$W/none.conf" --tag a=1 --tag a=2
same "key twice message" "$W/err" "vexp: tag 'a=2': the key 'a' is given twice"

echo "test-regress: $pass passed, $fail failed"
[ $fail -eq 0 ]
