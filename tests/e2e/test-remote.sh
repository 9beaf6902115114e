#!/bin/bash
# SPDX-License-Identifier: MIT
# End to end beyond one machine, all on this one (tests/e2e/remote-env.sh):
# namespace vxr holds a bridge br0 (198.18.0.1/15), an sshd on 127.0.0.1 and a
# private libvirtd; namespace vxr-t a "tester host" with an sshd on 198.18.0.3.
# vexp runs inside vxr, so no traffic leaves the namespaces.
#   ssh       a two-cell matrix through qemu+ssh://root@127.0.0.1/system with
#             keyfile= and the host key in a known_hosts file written here:
#             results name the hypervisor and its host
#   two       qemu:///embed and qemu+libssh:// to the private libvirtd: cells
#             run on both, side by side, every cell stored once
#   failover  one URI unreachable: its cells run on the other, exit 0 and a
#             warning; both unreachable: exit 3 with libvirt's error; the
#             bridge missing on the remote hypervisor: exit 3 naming both
#   hvdeath   the remote libvirtd and its QEMU killed mid-cell: the cell is
#             recorded as interrupted and runs again on the other hypervisor
#   tester    [network] tester = ssh://root@198.18.0.3: the engine is pushed
#             there, a fixed and a throughput test run through it
#   addrinuse a guest's address already answers on the bridge: the cell is not
#             booted, the run is left resumable (exit 3); --resume runs it
#   sigkill   vexp killed with SIGKILL mid-cell: the remote libvirtd destroys
#             the transient autodestroy domain once the connection drops, and
#             nothing named vexp-* stays there, running or defined
# Usage: test-remote.sh BUILD_DIR [case...]   (root; exit 77 = skipped)
set -u
BUILD=${1:?build dir}
shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VEXP="$BUILD/orchestrator/vexp"
IMAGE_DIR=${VEXP_IMAGE_DIR:-/var/lib/vexp/image}
CASES=${*:-"ssh two failover hvdeath tester addrinuse"}
NS=vxr
pass=0
fail=0

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 77; fi
for t in sshd ssh-keygen libvirtd virtlogd virsh sqlite3; do
    command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "SKIP: no $t"; exit 77; }
done
if [ ! -f "$IMAGE_DIR/manifest" ]; then
    echo "building the default guest image into $IMAGE_DIR"
    "$VEXP" image build -o "$IMAGE_DIR" || { echo "FAIL: image build"; exit 1; }
fi

WORK=$(mktemp -d /tmp/vexp-e2e-remote.XXXXXX)
export VEXP_STATE_DIR="$WORK/state"
# shellcheck source=tests/e2e/remote-env.sh
. "$SRC/tests/e2e/remote-env.sh"
cleanup() {
    [ -n "${KEEP:-}" ] || remote_env_down "$NS"
    pkill -f "qemu-system.*$WORK" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }
q() { sqlite3 "$STORE" "$1"; }
vexp_in() { ip netns exec "$NS" "$VEXP" "$@"; }

remote_env_up "$NS" || { echo "FAIL: remote_env_up"; exit 1; }
remote_env_tester_up "$NS" || { echo "FAIL: remote_env_tester_up"; exit 1; }
# the libvirtd's own logs show what a failed domain start said
LVLOG="$REMOTE_ENV_DIR/libvirt/log"

mk_matrix() { # name uris nics [extra [network] lines...]
    local name=$1 uris=$2 nics=$3
    shift 3
    cat >"$WORK/$name.conf" <<EOF
[experiment]
name = $name
uri = $uris
accel = tcg
repetitions = 1

[domain]
template = $SRC/examples/templates/tiny-guest.xml
memory_mib = 256
vcpus = 1

[matrix]
nic = $nics

[traffic]
tests = throughput
frame_sizes = 1518
directions = in
trial_s = 1
wait_s = 0.5
line_rate_mbps = 1000
resolution_pct = 20

[network]
mode = bridge
bridge = br0
tester_address = $REMOTE_ENV_BRIDGE_ADDR
EOF
    for l in "$@"; do echo "$l" >>"$WORK/$name.conf"; done
}

show_logs() { # run log
    tail -25 "$1"
    tail -5 "$LVLOG"/qemu/*.log 2>/dev/null | tail -20
}

case_ssh() {
    STORE="$WORK/ssh.db"
    mk_matrix ssh "$REMOTE_ENV_URI_SSH" "virtio, e1000"
    rm -f "$REMOTE_ENV_DIR"/libvirt/lib/qemu/vexp-*.log # only this run's consoles count
    # the harness's ssh wrapper (command=) runs ssh inside the test's namespace: a
    # local command in the URI, which vexp refuses unless told
    vexp_in run "$WORK/ssh.conf" --store "$STORE" --allow-insecure-uri >"$WORK/ssh.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "ssh: a two-cell run over qemu+ssh:// exits 0" ||
        { ko "ssh: run exit $rc"; show_logs "$WORK/ssh.log"; return; }
    # the remote QEMU wrote the serial consoles into libvirt's own state dir
    # there (its filesystem is not ours: vexp's state dir need not exist on it)
    ls "$REMOTE_ENV_DIR"/libvirt/lib/qemu/vexp-*.log >/dev/null 2>&1 &&
        ok "ssh: consoles in the hypervisor's /var/lib/libvirt/qemu" ||
        ko "ssh: no console file in the hypervisor's /var/lib/libvirt/qemu"
    n=$(q "SELECT count(*) FROM cell WHERE status = 'complete' AND hypervisor LIKE 'qemu+ssh://root@127.0.0.1/system%' AND host <> ''")
    [ "$n" -eq 2 ] && ok "ssh: both cells stored with the qemu+ssh hypervisor and its host" ||
        { ko "ssh: cells with the remote hypervisor: $n"; q "SELECT label, status, hypervisor, host FROM cell"; }
    n=$(q "SELECT count(*) FROM result WHERE metric = 'throughput_fps' AND mean > 0")
    [ "$n" -eq 2 ] && ok "ssh: two throughput figures measured" || ko "ssh: throughput figures: $n"
    grep -q "hypervisor 1: qemu+ssh://root@127.0.0.1" "$WORK/ssh.log" &&
        ok "ssh: the run names the hypervisor" || { ko "ssh: hypervisor not named"; head "$WORK/ssh.log"; }
    # the remote side cleaned up: no domain left on the private libvirtd
    left=$(nsenter -t "$REMOTE_ENV_LIBVIRTD_PID" -m -n virsh -q -c qemu:///system list --all --name | tr -d '[:space:]')
    [ -z "$left" ] && ok "ssh: no domain left on the remote libvirtd" || ko "ssh: domains left: $left"
}

case_two() {
    STORE="$WORK/two.db"
    mk_matrix two "qemu:///embed, $REMOTE_ENV_URI_LIBSSH" "virtio, e1000, rtl8139, vmxnet3"
    vexp_in run "$WORK/two.conf" --store "$STORE" >"$WORK/two.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "two: a run over two hypervisors exits 0" ||
        { ko "two: run exit $rc"; show_logs "$WORK/two.log"; return; }
    n=$(q "SELECT count(DISTINCT cell_index) || ' ' || count(*) FROM cell WHERE status = 'complete'")
    [ "$n" = "4 4" ] && ok "two: four cells, each stored once" ||
        { ko "two: complete cells (distinct, rows): $n"; q "SELECT cell_index, label, status, hypervisor FROM cell"; }
    n=$(q "SELECT count(*) FROM (SELECT c.cell_index FROM result r JOIN cell c ON c.id = r.cell_id WHERE r.metric = 'throughput_fps' GROUP BY c.cell_index HAVING count(*) = 1)")
    [ "$n" -eq 4 ] && ok "two: one throughput figure per cell" || ko "two: cells with exactly one figure: $n"
    embed=$(q "SELECT count(*) FROM cell WHERE hypervisor LIKE 'qemu:///embed%'")
    remote=$(q "SELECT count(*) FROM cell WHERE hypervisor LIKE 'qemu+libssh://%'")
    if [ "$embed" -ge 1 ] && [ "$remote" -ge 1 ]; then
        ok "two: cells on both hypervisors (embed $embed, libssh $remote)"
    else
        ko "two: cells per hypervisor: embed $embed, libssh $remote"
    fi
    # side by side: some cell of one hypervisor overlaps some cell of the other
    n=$(q "SELECT count(*) FROM cell a JOIN cell b ON a.hypervisor LIKE 'qemu:///embed%' AND b.hypervisor NOT LIKE 'qemu:///embed%' AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
    [ "$n" -ge 1 ] && ok "two: the hypervisors ran cells at the same time" || ko "two: no overlap between hypervisors"
    # each hypervisor one cell at a time: no two cells of one hypervisor overlap
    n=$(q "SELECT count(*) FROM cell a JOIN cell b ON a.hypervisor = b.hypervisor AND a.id < b.id AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
    [ "$n" -eq 0 ] && ok "two: one cell at a time per hypervisor" || ko "two: $n overlapping cells on one hypervisor"
    "$VEXP" results --store "$STORE" >"$WORK/two-results.txt" 2>&1
    grep -q "^hypervisors: 2" "$WORK/two-results.txt" && ok "two: results show two hypervisors" ||
        { ko "two: results"; head -20 "$WORK/two-results.txt"; }
}

case_failover() {
    local dead1 dead2
    dead1="qemu+libssh://root@127.0.0.1:1/system?keyfile=$REMOTE_ENV_KEY&known_hosts=$REMOTE_ENV_KNOWN_HOSTS&known_hosts_verify=normal&sshauth=privkey"
    dead2="qemu+libssh://root@127.0.0.1:3/system?keyfile=$REMOTE_ENV_KEY&known_hosts=$REMOTE_ENV_KNOWN_HOSTS&known_hosts_verify=normal&sshauth=privkey"
    STORE="$WORK/failover.db"
    mk_matrix failover "$dead1, qemu:///embed" "virtio, e1000"
    vexp_in run "$WORK/failover.conf" --store "$STORE" >"$WORK/failover.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "failover: one URI unreachable, run exits 0" ||
        { ko "failover: exit $rc"; show_logs "$WORK/failover.log"; return; }
    grep -q "^vexp: warning: .*127.0.0.1:1" "$WORK/failover.log" &&
        ok "failover: a warning names the unreachable hypervisor" ||
        { ko "failover: no warning"; head -20 "$WORK/failover.log"; }
    n=$(q "SELECT count(*) FROM cell WHERE status = 'complete' AND hypervisor LIKE 'qemu:///embed%'")
    [ "$n" -eq 2 ] && ok "failover: both cells ran on the reachable one" || ko "failover: complete cells on embed: $n"

    STORE="$WORK/failover2.db"
    mk_matrix failover2 "$dead1, $dead2" "virtio, e1000"
    vexp_in run "$WORK/failover2.conf" --store "$STORE" >"$WORK/failover2.log" 2>&1
    rc=$?
    [ $rc -eq 3 ] && ok "failover: both unreachable, exit 3" || { ko "failover: both unreachable exit $rc"; }
    grep -qi "connect\|refused" "$WORK/failover2.log" && ok "failover: libvirt's error shown" ||
        { ko "failover: no libvirt error"; cat "$WORK/failover2.log"; }

    # the bridge is missing on the (only, remote) hypervisor: libvirt's
    # interface driver there says so before anything boots
    STORE="$WORK/failover3.db"
    mk_matrix failover3 "$REMOTE_ENV_URI_LIBSSH" "virtio"
    sed -i 's/^bridge = br0$/bridge = br-none/' "$WORK/failover3.conf"
    vexp_in run "$WORK/failover3.conf" --store "$STORE" >"$WORK/failover3.log" 2>&1
    rc=$?
    [ $rc -eq 3 ] && grep -q "failover3.conf:[0-9][0-9]*: bridge 'br-none' does not exist on hypervisor 'qemu+libssh://" "$WORK/failover3.log" &&
        ok "failover: a bridge missing on the remote hypervisor, exit 3 naming the matrix line, bridge and hypervisor" ||
        { ko "failover: missing remote bridge exit $rc"; cat "$WORK/failover3.log"; }
}

case_hvdeath() {
    STORE="$WORK/hvdeath.db"
    # the remote hypervisor is listed first and takes the first cell
    mk_matrix hvdeath "$REMOTE_ENV_URI_LIBSSH, qemu:///embed" "virtio, e1000"
    sed -i -e 's/^trial_s = .*/trial_s = 3/' "$WORK/hvdeath.conf"
    vexp_in run "$WORK/hvdeath.conf" --store "$STORE" >"$WORK/hvdeath.log" 2>&1 &
    pid=$!
    # wait until the remote hypervisor's cell has a trial, then kill that "host"
    local i=0 n=0
    while [ $i -lt 900 ]; do
        n=$(q "SELECT count(*) FROM trial t JOIN cell c ON c.id = t.cell_id WHERE c.hypervisor LIKE 'qemu+libssh://%'" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge 1 ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.2
        i=$((i + 1))
    done
    if [ "${n:-0}" -lt 1 ]; then
        ko "hvdeath: no trial on the remote hypervisor"; kill -INT $pid; wait $pid; show_logs "$WORK/hvdeath.log"; return
    fi
    # the "host" dies: its libvirtd and its QEMU (the embedded driver's QEMU,
    # in the same namespace, has our work dir on its command line)
    kill -9 "$REMOTE_ENV_LIBVIRTD_PID"
    for p in $(ip netns pids "$NS"); do
        cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")
        case "$cmd" in *"$WORK"*) ;; *qemu-system*) kill -9 "$p" ;; esac
    done
    wait $pid
    rc=$?
    [ $rc -eq 0 ] && ok "hvdeath: run exits 0 after losing a hypervisor" ||
        { ko "hvdeath: exit $rc"; show_logs "$WORK/hvdeath.log"; }
    grep -q "warning: hypervisor .*lost\|warning: .*qemu+libssh.*" "$WORK/hvdeath.log" &&
        ok "hvdeath: the loss is reported" || { ko "hvdeath: no warning"; tail -20 "$WORK/hvdeath.log"; }
    n=$(q "SELECT count(DISTINCT cell_index) FROM cell WHERE status = 'complete'")
    [ "$n" -eq 2 ] && ok "hvdeath: both cells complete" ||
        { ko "hvdeath: complete cells: $n"; q "SELECT cell_index, attempt, status, reason, hypervisor FROM cell"; }
    n=$(q "SELECT count(*) FROM cell WHERE status = 'interrupted' AND hypervisor LIKE 'qemu+libssh://%'")
    [ "$n" -eq 1 ] && ok "hvdeath: the lost attempt is recorded as interrupted" || ko "hvdeath: interrupted attempts: $n"
    n=$(q "SELECT count(*) FROM cell c WHERE status = 'complete' AND hypervisor LIKE 'qemu:///embed%' AND EXISTS (SELECT 1 FROM cell i WHERE i.cell_index = c.cell_index AND i.status = 'interrupted')")
    [ "$n" -eq 1 ] && ok "hvdeath: the cell ran again on the other hypervisor" || ko "hvdeath: requeued cells: $n"
}

case_tester() {
    STORE="$WORK/tester.db"
    mk_matrix tester "qemu:///embed" "virtio" \
        "tester = $REMOTE_ENV_TESTER_URI" \
        "tester_identity = $REMOTE_ENV_KEY" \
        "tester_host_key = $REMOTE_ENV_TESTER_KNOWN_HOSTS"
    sed -i -e "s/^tester_address = .*/tester_address = $REMOTE_ENV_TESTER_ADDR/" \
        -e 's/^tests = .*/tests = fixed, throughput\nrate_mbps = 20/' \
        -e 's/^directions = .*/directions = in, out/' "$WORK/tester.conf"
    vexp_in run "$WORK/tester.conf" --store "$STORE" >"$WORK/tester.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "tester: a run with the tester over SSH exits 0" ||
        { ko "tester: exit $rc"; show_logs "$WORK/tester.log"; return; }
    grep -q "tester ssh://root@$REMOTE_ENV_TESTER_ADDR" "$WORK/tester.log" &&
        ok "tester: the run names the remote tester" || { ko "tester: not named"; head -20 "$WORK/tester.log"; }
    for d in in out; do
        # 20 Mb/s of 1518-byte frames: 1646.9 frames/s offered
        v=$(q "SELECT printf('%.1f %.1f', max(CASE WHEN metric = 'offered_fps' THEN mean END), max(CASE WHEN metric = 'rx_fps' THEN mean END)) FROM result WHERE test = 'fixed' AND direction = '$d'")
        if awk -v v="$v" 'BEGIN { split(v, a, " "); exit !(a[1] > 1600 && a[1] < 1700 && a[2] > 0.9 * a[1]) }'; then
            ok "tester: fixed $d offered/received $v frames/s"
        else
            ko "tester: fixed $d offered/received '$v'"
        fi
        v=$(q "SELECT mean FROM result WHERE test = 'throughput' AND direction = '$d' AND metric = 'throughput_fps'")
        awk -v v="${v:-0}" 'BEGIN { exit !(v > 0) }' && ok "tester: throughput $d $v frames/s" ||
            ko "tester: throughput $d '$v'"
    done
    left=$(ip netns exec "$REMOTE_ENV_TESTER_NS" sh -c 'ls -d /tmp/vexp-push.* 2>/dev/null')
    [ -z "$left" ] && ok "tester: the pushed engine was removed" || ko "tester: left on the tester: $left"
}

case_addrinuse() {
    STORE="$WORK/addrinuse.db"
    # something already holds the first guest's address on the bridge (here a
    # second address of br0 itself, so the SYN is refused): the cell must not
    # boot and let another host answer in the guest's place.  It is not the
    # NIC's fault: the run is left resumable (exit 3), and once the address is
    # free --resume runs the cell
    mk_matrix addrinuse "qemu:///embed" "virtio"
    ip -n "$NS" addr add 198.18.0.10/15 dev br0
    vexp_in run "$WORK/addrinuse.conf" --store "$STORE" >"$WORK/addrinuse.log" 2>&1
    rc=$?
    ip -n "$NS" addr del 198.18.0.10/15 dev br0
    [ $rc -eq 3 ] && ok "addrinuse: the run exits 3" || { ko "addrinuse: exit $rc"; show_logs "$WORK/addrinuse.log"; }
    grep -q -- "--resume" "$WORK/addrinuse.log" && ok "addrinuse: the run says how to resume" || ko "addrinuse: no resume hint"
    [ "$(q "SELECT status FROM run")" = interrupted ] && ok "addrinuse: the run is resumable" || ko "addrinuse: run $(q "SELECT status FROM run")"
    r=$(q "SELECT reason FROM cell WHERE status = 'interrupted'")
    case "$r" in
    *"198.18.0.10 already answers"*) ok "addrinuse: the cell was left, naming the address" ;;
    *) ko "addrinuse: reason '$r'" ;;
    esac
    n=$(q "SELECT count(*) FROM trial")
    [ "$n" -eq 0 ] && ok "addrinuse: no trial measured" || ko "addrinuse: $n trials"
    vexp_in run "$WORK/addrinuse.conf" --store "$STORE" --resume >"$WORK/addrinuse2.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "addrinuse: --resume once the address is free exits 0" || { ko "addrinuse: resume exit $rc"; show_logs "$WORK/addrinuse2.log"; }
    [ "$(q "SELECT status FROM cell WHERE cell_index = 0 ORDER BY id DESC LIMIT 1")" = complete ] &&
        ok "addrinuse: the cell completed on resume" || ko "addrinuse: cell not complete"
}

case_sigkill() {
    STORE="$WORK/sigkill.db"
    mk_matrix sigkill "$REMOTE_ENV_URI_LIBSSH" "virtio"
    sed -i -e 's/^trial_s = .*/trial_s = 3/' "$WORK/sigkill.conf"
    vexp_in run "$WORK/sigkill.conf" --store "$STORE" >"$WORK/sigkill.log" 2>&1 &
    pid=$!
    local i=0 n=0
    while [ $i -lt 900 ]; do
        n=$(q "SELECT count(*) FROM trial" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge 1 ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.2
        i=$((i + 1))
    done
    if [ "${n:-0}" -lt 1 ]; then
        ko "sigkill: no trial on the remote hypervisor"; kill -INT $pid; wait $pid; show_logs "$WORK/sigkill.log"; return
    fi
    doms() { ip netns exec "$NS" virsh -c "$REMOTE_ENV_URI_LIBSSH" list --all --name 2>&1 | grep '^vexp-'; }
    echo "sigkill: on the remote before the kill: $(doms | tr '\n' ' ')"
    [ -n "$(doms)" ] && ok "sigkill: a domain runs there mid-cell" || ko "sigkill: no domain seen mid-cell"
    kill -9 $pid
    wait $pid 2>/dev/null
    i=0
    while [ $i -lt 150 ] && [ -n "$(doms)" ]; do sleep 0.2; i=$((i + 1)); done
    left=$(doms)
    echo "sigkill: on the remote $((i / 5)) s after SIGKILL: '${left}'"
    [ -z "$left" ] && ok "sigkill: nothing left on the remote hypervisor (running or defined)" ||
        ko "sigkill: left on the remote: $left"
    vexp_in doctor --clean --uri "$REMOTE_ENV_URI_LIBSSH" >"$WORK/clean.log" 2>&1
    rc=$?
    cat "$WORK/clean.log"
    [ $rc -eq 0 ] && grep -q "domains of dead runs removed on .*: 0" "$WORK/clean.log" &&
        ok "sigkill: doctor --clean finds nothing to remove" || ko "sigkill: doctor --clean exit $rc"
}

for c in $CASES; do
    echo "== $c"
    t0=$SECONDS
    "case_$c"
    echo "== $c: $((SECONDS - t0)) s"
done
echo "remote e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
