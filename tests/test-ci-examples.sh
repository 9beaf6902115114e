#!/bin/bash
# SPDX-License-Identifier: MIT
# The pipelines of examples/ci/ as a runner would execute them, after the
# measurement: the script lines between "vexp-ci: begin" and "vexp-ci: end"
# of each file, with the CI's variables set, against a local store whose runs
# stand for what 'vexp run' measured (the run line itself needs KVM; it is
# replaced by RUN=<id> and the tags it would have stored).  Three pipelines:
# the default branch's first run becomes the baseline, a slower run on it
# fails the gate (exit 1, JUnit validated), a branch's good run passes.
set -u
VEXP=$(readlink -f "${1:?path to vexp}")
SRC=${VEXP_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for t in sqlite3 xmllint; do
    command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

# the lines of one file's block, as the shell would get them
block() { # file
    sed -n '/vexp-ci: begin/,/vexp-ci: end/p' "$1" | grep -v 'vexp-ci:' | grep -v '^ *#' |
        sed 's/^ *- //; s/^ *//; s/sudo -E //g' | grep -v '\$VEXP run '
}

make_store() { # path
    local T="'2025-01-31T12:00:00.000Z'"
    : >"$1"
    "$VEXP" results --migrate --store "$1" >/dev/null 2>&1 # creates the schema
    {
        echo "INSERT INTO config (id, key, nic, created_at) VALUES (1, 'k-host', 'host', $T);"
        for r in 1 2 3; do
            mean=1000
            [ $r = 2 ] && mean=500
            echo "INSERT INTO run (id, name, started_at, finished_at, status, matrix_text,
                  matrix_hash, vexp_version, accel, line_rate_mbps, trial_s, resolution_pct,
                  repetitions, method, goals) VALUES ($r, 'ci', $T, $T, 'complete', 'm', 'h',
                  '0.1.0', 'none', 1000, 1, 1, 3, 'mlrsearch', 'ndr:0,pdr:0.5');
                  INSERT INTO cell (id, run_id, config_id, cell_index, label, status, started_at)
                  VALUES ($r, $r, 1, 0, 'nic=host', 'complete', $T);
                  INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, mean,
                  stddev, ci95_low, ci95_high, cov_pct, bimodal) VALUES ($r, 'throughput', 'in',
                  64, 'throughput_fps', 'frames/s', 3, $mean, 10, $mean - 25, $mean + 25,
                  100.0 * 10 / $mean, 0);"
        done
    } | sqlite3 "$1"
}

pipeline() { # file store run branch expected-status
    local file=$1 store=$2 run=$3 branch=$4 want=$5 dir="$W/job-$RANDOM"
    mkdir -p "$dir"
    # what 'vexp run --tag' would have stored with the run
    sqlite3 "$store" "INSERT INTO run_tag VALUES ($run, 'commit', 'c$run'), ($run, 'branch',
        '$branch'), ($run, 'pipeline', 'p$run');"
    block "$file" >"$dir/script.sh"
    (
        cd "$dir" || exit 99
        export VEXP VEXP_STORE="$store" MATRIX=none.conf RUN=$run
        export CI_COMMIT_SHA=c$run CI_COMMIT_REF_NAME=$branch CI_PIPELINE_ID=p$run
        export CI_DEFAULT_BRANCH=main
        export COMMIT=c$run BRANCH=$branch PIPELINE=p$run DEFAULT_BRANCH=main
        bash -eo pipefail script.sh >out 2>err
    )
    local rc=$?
    [ $rc -eq "$want" ] && ok || { ko "$(basename "$file") run $run on $branch: exit $rc, expected $want"; cat "$dir/out" "$dir/err"; }
    JOB=$dir
}

for f in "$SRC/examples/ci/gitlab-ci.yml" "$SRC/examples/ci/github-actions.yml"; do
    n=$(block "$f" | wc -l)
    [ "$n" -eq 3 ] && ok || { ko "$(basename "$f"): $n script lines after the run, expected 3"; block "$f"; }
    S="$W/$(basename "$f").db"
    make_store "$S"
    pipeline "$f" "$S" 1 main 0
    [ "$(sqlite3 "$S" 'SELECT run_id FROM baseline')" = 1 ] && ok || ko "first run of main is not the baseline"
    [ -s "$JOB/results.csv" ] && [ -f "$JOB/report/index.html" ] && ok || ko "artifacts missing: $(ls "$JOB")"
    pipeline "$f" "$S" 2 main 1
    grep -q "^REGRESSION: 1 figure(s)" "$JOB/out" && ok || ko "no REGRESSION line"
    xmllint --noout --schema "$SRC/tests/data/junit/junit.xsd" "$JOB/junit.xml" 2>/dev/null && ok || ko "junit.xml does not validate"
    grep -q '<failure type="regression"' "$JOB/junit.xml" && ok || ko "junit.xml has no failure"
    [ "$(sqlite3 "$S" 'SELECT verdict FROM gate WHERE run_id = 2')" = fail ] && ok || ko "run 2's verdict not recorded"
    pipeline "$f" "$S" 3 feature 0
    grep -q "^no regression against run 1" "$JOB/out" && ok || ko "run 3 not judged against run 1"
done
echo "test-ci-examples: $pass passed, $fail failed"
[ $fail -eq 0 ]
