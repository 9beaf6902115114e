#!/bin/bash
# SPDX-License-Identifier: MIT
# The vexp command as a user meets it: usage, help, bad input -> exit 2 with
# file:line, read-only commands never create files.  No root, no QEMU.
set -u
VEXP=${1:?path to vexp}
SRC=${VEXP_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
check() { # expected_rc description cmd...
    local want=$1 what=$2
    shift 2
    # VEXP_WRAPPER: meson test --setup valgrind runs each vexp under valgrind
    ${VEXP_WRAPPER:-} "$@" >"$W/out" 2>"$W/err"
    local rc=$?
    if [ $rc -eq "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what: exit $rc, expected $want"; cat "$W/err"; fi
}
grep_err() { # description pattern
    if grep -q -- "$2" "$W/err"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $1: stderr lacks '$2':"; cat "$W/err"; fi
}

check 2 "no command" "$VEXP"
check 0 "--help" "$VEXP" --help
check 0 "--version" "$VEXP" --version
check 2 "unknown command" "$VEXP" bogus
grep_err "unknown command named" "unknown command 'bogus'"
check 2 "prefix is not a command" "$VEXP" res
for c in run render results compare regress report image doctor; do
    check 0 "$c --help" "$VEXP" "$c" --help
done
check 2 "run without matrix" "$VEXP" run
check 2 "run: missing matrix file" "$VEXP" run "$W/nope.conf"
grep_err "missing file named" "nope.conf"
printf '[experiment]\nname = x\nrepetitions = lots\n' >"$W/bad.conf"
check 2 "run: bad number" "$VEXP" run "$W/bad.conf" --store "$W/s.db"
grep_err "file:line named" "bad.conf:3"
grep_err "value quoted" "lots"
[ ! -e "$W/s.db" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: bad matrix created a store"; }
printf '[domain]\ntemplate = %s\n[matrix]\nnic = virtio, e1001\n' "$SRC/examples/templates/tiny-guest.xml" >"$W/nic.conf"
check 2 "render: unknown nic" "$VEXP" render "$W/nic.conf"
grep_err "unknown NIC named" "e1001"
printf '<domain type="qemu"><name>x</name><devices></devices></domain>\n' >"$W/noif.xml"
printf '[domain]\ntemplate = %s\n[matrix]\nnic = virtio\n' "$W/noif.xml" >"$W/noif.conf"
check 2 "render: template without interface" "$VEXP" render "$W/noif.conf"
grep_err "names the template" "noif.xml"
check 0 "render: quickstart" "$VEXP" render "$SRC/examples/quickstart.conf"
# what render checks without booting (no host has CPU 1023; VEXP_NO_KVM=1 takes KVM away)
printf '[domain]\ntemplate = %s\nmemory_mib = 256\nvcpu_pin = 1023\n[matrix]\nnic = virtio\n' \
    "$SRC/examples/templates/tiny-guest.xml" >"$W/pin.conf"
check 2 "render: vcpu_pin on a CPU this host lacks" "$VEXP" render "$W/pin.conf"
grep_err "vcpu_pin finding" "pin.conf:4: vcpu_pin = '1023': CPU 1023 does not exist on this host (online: "
printf '[experiment]\naccel = kvm\n[domain]\ntemplate = %s\n[matrix]\nnic = virtio\n' \
    "$SRC/examples/templates/tiny-guest.xml" >"$W/kvm.conf"
VEXP_NO_KVM=1 check 3 "render: accel = kvm without KVM" "$VEXP" render "$W/kvm.conf"
grep_err "accel = kvm finding" "kvm.conf:2: accel = kvm: KVM does not run guests on this host: VEXP_NO_KVM=1 is set"
check 2 "doctor: missing matrix" "$VEXP" doctor "$W/nope.conf"
check 2 "doctor MATRIX: its finding" "$VEXP" doctor "$W/pin.conf"
if grep -q "^\[MISS\] matrix needs .*pin.conf:4: vcpu_pin = '1023': CPU 1023 does not exist" "$W/out"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: doctor MATRIX lacks the finding:"; cat "$W/out"; fi
check 2 "results: missing store" "$VEXP" results --store "$W/none.db"
[ ! -e "$W/none.db" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: results created a store"; }
check 2 "results: bad format" "$VEXP" results --format xml --store "$W/none.db"
check 2 "results: bad run id" "$VEXP" results --run abc --store "$W/none.db"
check 2 "compare: one run" "$VEXP" compare 1
check 2 "regress: no baseline" "$VEXP" regress
check 2 "run: bad option" "$VEXP" run --frobnicate x.conf
check 2 "image: no verb" "$VEXP" image
# libvirt URIs that switch off security: refused by file:line unless --allow-insecure-uri
insecure() { # uri expected-parameter
    printf '[experiment]\nname = x\nuri = %s\n[domain]\ntemplate = %s\n[network]\n' "$1" \
        "$SRC/examples/templates/tiny-guest.xml" >"$W/insecure.conf"
    printf 'mode = bridge\nbridge = br9\ntester_address = 198.18.0.1\n[matrix]\nnic = virtio\n' \
        >>"$W/insecure.conf"
    check 2 "run: insecure $1" "$VEXP" run "$W/insecure.conf" --store "$W/insecure.db"
    grep_err "insecure uri names file:line and the value" "insecure.conf:3: \[experiment\] uri = '$1'"
    grep_err "insecure uri names the parameter" "$2"
    grep_err "insecure uri names the option" "pass --allow-insecure-uri"
}
insecure 'qemu+ssh://h/system?no_verify=1' "parameter 'no_verify=1'"
insecure 'qemu+ssh://h/system?keyfile=k&Known_Hosts_Verify=ignore' "'known_hosts_verify=ignore'"
insecure 'qemu+ssh://h/system?known_hosts_verify=auto' "'known_hosts_verify=auto'"
insecure 'qemu+ext:///system?command=/tmp/x' "transport 'ext' (runs a local command)"
insecure 'qemu+tls://h/system?no%5Fverify=1' "parameter 'no_verify=1'"
insecure 'qemu+ssh://h/system?command=/tmp/x' "parameter 'command=/tmp/x'"
printf '[network]\nmode = bridge\nbridge = br9\n[matrix]\nnic = host\n' >"$W/br.conf"
check 2 "run: bridge mode not yet" "$VEXP" run "$W/br.conf" --store "$W/br.db"
grep_err "bridge mode names the line" "br.conf:2"
[ ! -e "$W/br.db" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: bridge matrix created a store"; }

# compare/regress across accelerators, results across hypervisors: a store made
# by vexp itself (results --migrate gives an empty file the current schema), rows added with the
# sqlite3 shell.  Configs without a recorded accel take their run's: kvm in runs
# 1 and 3, tcg in run 2; nic = host has none and pairs with anything.
grep_out() { # description pattern
    if grep -q -- "$2" "$W/out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $1: stdout lacks '$2':"; cat "$W/out"; fi
}
no_out() { # description pattern
    if ! grep -q -- "$2" "$W/out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $1: stdout has '$2':"; cat "$W/out"; fi
}
if command -v sqlite3 >/dev/null; then
    DB="$W/accel.db"
    : >"$DB"
    check 2 "results: an empty file is no store" "$VEXP" results --store "$DB"
    grep_err "empty file named" "is not a vexp store: empty file"
    check 0 "results --migrate makes it one" "$VEXP" results --migrate --store "$DB"
    check 2 "results: empty store has no runs" "$VEXP" results --store "$DB"
    T="'2025-01-31T12:00:00.000Z'"
    {
        for r in 1:kvm 2:tcg 3:kvm; do
            echo "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash,
                  vexp_version, accel) VALUES (${r%:*}, 'r${r%:*}', $T, 'complete', '[matrix]',
                  'h', '0.1.0', '${r#*:}');"
        done
        echo "INSERT INTO config (id, key, nic, vhost, queues, created_at) VALUES
              (1, 'k-virtio', 'virtio', 'on', 2, $T), (2, 'k-host', 'host', NULL, NULL, $T);"
        for r in 1 2 3; do
            hv2=hv1
            [ $r = 1 ] && hv2=hv2
            echo "INSERT INTO cell (id, run_id, config_id, cell_index, label, status, hypervisor,
                  host, started_at) VALUES
                  (${r}0, $r, 1, 0, 'nic=virtio vhost=on queues=2', 'complete', 'qemu+ssh://hv1/system', 'hv1', $T),
                  (${r}1, $r, 2, 1, 'nic=host', 'complete', 'qemu+ssh://$hv2/system', '$hv2', $T);"
            for c in 0 1; do
                echo "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n,
                      mean, stddev) VALUES (${r}$c, 'throughput', 'in', 64, 'throughput_fps',
                      'frames/s', 3, 1000, 10);"
            done
            echo "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n,
                  mean, stddev) VALUES (${r}1, 'rtt', 'in', 64, 'rtt_p50_us', 'us', 3, 50, 1);"
            # a search diagnostic: how precise the figure came out, not the DUT's speed
            echo "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n,
                  mean, stddev) VALUES (${r}0, 'throughput', 'in', 64,
                  'throughput_ndr_precision_pct', '%', 3, $((r * 7)), 1);"
        done
    } | sqlite3 "$DB" || { fail=$((fail + 1)); echo "FAIL: sqlite3 fixture"; }
    check 2 "compare: kvm against tcg refused" "$VEXP" compare 1 2 --store "$DB"
    grep_err "refusal names the runs" "run 1 (accel kvm) and run 2 (accel tcg)"
    grep_err "refusal names the option" "--allow-mixed-accel"
    check 2 "regress: kvm against tcg refused" "$VEXP" regress --baseline 1 --candidate 2 --store "$DB"
    grep_err "regress refusal names the option" "--allow-mixed-accel"
    check 0 "compare: --allow-mixed-accel" "$VEXP" compare 1 2 --allow-mixed-accel --store "$DB"
    grep_out "mixed compare warns" "^warning: --allow-mixed-accel: 1 figure(s)"
    grep_out "warning names runs and accels" "(kvm in run 1, tcg in run 2)"
    grep_out "per-pair accel shown" "kvm/tcg"
    grep_out "vhost shown" "vhost"
    check 0 "regress: --allow-mixed-accel" "$VEXP" regress --baseline 1 --candidate 2 \
        --allow-mixed-accel --store "$DB"
    grep_out "regress verdict" "no regression against run 1"
    check 0 "compare: nic = host pairs across accelerators" "$VEXP" compare 1 2 \
        --metrics rtt_p50_us --store "$DB"
    no_out "no mixed warning for host" "^warning"
    grep_out "runs' accelerators still noted" "^note: the runs used different accelerators (kvm vs tcg)"
    check 0 "compare: kvm against kvm" "$VEXP" compare 1 3 --store "$DB"
    no_out "no warning for one accel" "^warning"
    grep_out "compare: the whole cell label, never cut" "^nic=virtio vhost=on queues=2 *kvm"
    no_out "compare: search diagnostics left out" "throughput_ndr_precision_pct"
    grep_out "compare: says it left them out" "1 search diagnostic(s) (precision, trial time, tester ceiling) left out"
    check 0 "compare: --metrics names a diagnostic" "$VEXP" compare 1 3 \
        --metrics throughput_ndr_precision_pct --store "$DB"
    grep_out "compare: the named diagnostic shown, lower is better" "throughput_ndr_precision_pct.*worse"
    check 0 "results: two hypervisors" "$VEXP" results --run 1 --store "$DB"
    grep_out "hypervisor count" "^hypervisors: 2"
    grep_out "cell line names its host" "on host hv2, qemu+ssh://hv2/system"
    check 0 "results: one hypervisor" "$VEXP" results --run 3 --store "$DB"
    no_out "single hypervisor unchanged" "hypervisors:"
    no_out "single hypervisor: no per-cell host" "on host"
    check 0 "results: csv" "$VEXP" results --run 1 --format csv --store "$DB"
    grep_out "csv header" "vhost,queues,hypervisor,hypervisor_host$"
    grep_out "csv row" ",on,2,qemu+ssh://hv1/system,hv1$"
    check 0 "results: json" "$VEXP" results --run 1 --format json --store "$DB"
    grep_out "json cell host" '"hypervisor_host":"hv2"'

    # a tenfold drop seen with 2 repetitions a side (baseline spread 20 %):
    # Welch's test has about one degree of freedom and cannot call it, which
    # regress must say; with 3 it can (runs 4..7, tcg, config 1)
    {
        for r in 4:2:1000:200 5:2:100:0.01 6:3:1000:200 7:3:100:0.01; do
            IFS=: read -r id n mean sd <<EOT
$r
EOT
            echo "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash,
                  vexp_version, accel) VALUES ($id, 'r$id', $T, 'complete', '[matrix]', 'h',
                  '0.1.0', 'tcg');
                  INSERT INTO cell (id, run_id, config_id, cell_index, label, status, started_at)
                  VALUES (${id}0, $id, 1, 0, 'nic=virtio', 'complete', $T);
                  INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, mean,
                  stddev) VALUES (${id}0, 'throughput', 'in', 1518, 'throughput_fps', 'frames/s',
                  $n, $mean, $sd);"
        done
    } | sqlite3 "$DB" || { fail=$((fail + 1)); echo "FAIL: sqlite3 fixture (runs 4..7)"; }
    check 0 "regress: n = 2, a large change not significant" "$VEXP" regress --baseline 4 \
        --candidate 5 --store "$DB"
    grep_out "not significant row shown" "-90.00%.*same\*"
    grep_out "not significant note" "^note: 1 figure(s) marked same\*"
    grep_out "note advises repetitions" "repetitions >= 3"
    check 1 "regress: n = 3, the same change is worse" "$VEXP" regress --baseline 6 \
        --candidate 7 --store "$DB"
    grep_out "worse with n = 3" "-90.00%.*worse"
    no_out "no note with n = 3" "^note: .*same\*"

    # a run still 'running' in the store: orphaned when no process holds its
    # lock (a killed run), running with the owner's pid when one does
    echo "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash,
          vexp_version, accel) VALUES (8, 'r8', $T, 'running', '[matrix]', 'h8', '0.1.0',
          'tcg');" | sqlite3 "$DB"
    check 0 "results --list: a killed run" "$VEXP" results --list --store "$DB"
    grep_out "killed run shown orphaned" "^8 .* orphaned "
    grep_out "orphaned explained" "^orphaned: its process ended.*--resume"
    check 0 "results --run: a killed run" "$VEXP" results --run 8 --store "$DB"
    grep_out "run header orphaned" "^run 8 'r8' (orphaned)"
    LOCK="$(realpath "$DB")-run8.lock"
    echo 4242 >"$LOCK"
    # the holder is the sleep itself (the fd is its own), so killing it lets go
    (exec 9<>"$LOCK" && flock -x 9 && exec sleep 30) </dev/null >/dev/null 2>&1 &
    holder=$!
    i=0
    while [ $i -lt 50 ] && flock -n -s "$LOCK" true; do sleep 0.1; i=$((i + 1)); done
    check 0 "results --list: a live run" "$VEXP" results --list --store "$DB"
    grep_out "live run shown with its pid" "^8 .* running, pid 4242 "
    no_out "no orphan note" "^orphaned:"
    kill $holder 2>/dev/null
    wait $holder 2>/dev/null
    rm -f "$LOCK"
else
    echo "SKIP: compare/regress/results on a store: no sqlite3 shell"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
