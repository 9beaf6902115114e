#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of tests/e2e/remote-env.sh: bring the remote libvirt host and the
# tester host up, check both URI forms and the tester's sshd from inside the
# namespace, bring everything down and check nothing is left.  Needs root,
# openssh-server, libvirt-daemon(-driver-qemu), libvirt-clients (virsh is
# used only here, as a check).  Exit 0 = all checks passed.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/remote-env.sh
. "$SRC/tests/e2e/remote-env.sh"

NAME=vxr-st$$
pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
if [ ! -x /usr/sbin/sshd ] || ! command -v virsh >/dev/null; then
    echo "SKIP: openssh-server or virsh missing (scripts/setup.sh with VEXP_SETUP_TEST=1)"; exit 77
fi

trap 'remote_env_down "$NAME"' EXIT
trap 'exit 130' INT TERM

root_links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
dir=$(_remote_env_dir "$NAME")

in_ns() { timeout 120 ip netns exec "$NAME" "$@"; }

if remote_env_up "$NAME"; then ok "remote_env_up"; else ko "remote_env_up"; exit 1; fi
if remote_env_tester_up "$NAME"; then ok "remote_env_tester_up"; else ko "remote_env_tester_up"; exit 1; fi
pids="$(cat "$dir"/*.pid 2>/dev/null | tr '\n' ' ')"

for var in REMOTE_ENV_DIR REMOTE_ENV_KEY REMOTE_ENV_KNOWN_HOSTS REMOTE_ENV_URI_SSH \
    REMOTE_ENV_URI_LIBSSH REMOTE_ENV_TESTER_ADDR REMOTE_ENV_TESTER_KNOWN_HOSTS \
    REMOTE_ENV_TESTER_HOSTKEY_PUB; do
    [ -n "${!var:-}" ] || ko "$var not exported"
done

out=$(in_ns virsh -c "$REMOTE_ENV_URI_LIBSSH" version 2>&1)
if echo "$out" | grep -q "Running hypervisor: QEMU"; then ok "qemu+libssh:// URI: virsh version"; else ko "qemu+libssh://: $out"; fi
out=$(in_ns virsh -c "$REMOTE_ENV_URI_SSH" version 2>&1)
if echo "$out" | grep -q "Running hypervisor: QEMU"; then ok "qemu+ssh:// URI (command= wrapper): virsh version"; else ko "qemu+ssh://: $out"; fi
out=$(in_ns virsh -q -c "$REMOTE_ENV_URI_LIBSSH" net-list --all --name 2>&1)
if [ -z "$(echo "$out" | tr -d '[:space:]')" ]; then ok "no libvirt network defined"; else ko "libvirt networks: $out"; fi

# host keys are really verified: a known_hosts with another key must fail
ssh-keygen -q -t ed25519 -N '' -f "$dir/selftest-other" &&
    awk '{ print "127.0.0.1", $1, $2 }' "$dir/selftest-other.pub" >"$dir/selftest-kh-wrong"
wrong="qemu+libssh://root@127.0.0.1/system?keyfile=$REMOTE_ENV_KEY&known_hosts=$dir/selftest-kh-wrong&known_hosts_verify=normal&sshauth=privkey"
out=$(in_ns virsh -c "$wrong" version 2>&1)
if echo "$out" | grep -q "HOST KEY VERIFICATION FAILED"; then ok "libssh refuses a wrong host key"; else ko "wrong host key: $out"; fi
if ! in_ns ssh -F none -i "$REMOTE_ENV_KEY" -o UserKnownHostsFile="$dir/selftest-kh-wrong" \
    -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes root@127.0.0.1 true 2>/dev/null; then ok "ssh refuses a wrong host key"; else ko "ssh accepted a wrong host key"; fi
if ! in_ns ssh -F none -o PubkeyAuthentication=no -o UserKnownHostsFile="$REMOTE_ENV_KNOWN_HOSTS" \
    -o BatchMode=yes root@127.0.0.1 true 2>/dev/null; then ok "no login without the key"; else ko "login without a key"; fi

out=$(in_ns ssh -F none -i "$REMOTE_ENV_KEY" -o UserKnownHostsFile="$REMOTE_ENV_TESTER_KNOWN_HOSTS" \
    -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
    "root@$REMOTE_ENV_TESTER_ADDR" 'ip -o -4 addr show' 2>&1)
if echo "$out" | grep -q "inet $REMOTE_ENV_TESTER_ADDR/15"; then ok "tester sshd at $REMOTE_ENV_TESTER_ADDR"; else ko "tester ssh: $out"; fi
if out=$(in_ns ssh -F none -i "$REMOTE_ENV_KEY" -o UserKnownHostsFile="$REMOTE_ENV_KNOWN_HOSTS" \
    -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
    "root@$REMOTE_ENV_TESTER_ADDR" true 2>&1); then ok "REMOTE_ENV_KNOWN_HOSTS also holds the tester"; else ko "combined known_hosts: $out"; fi

# nothing in the root namespaces
root_links_now=$(ip -o link show | awk -F': ' '{print $2}' | sort)
if [ "$root_links_now" = "$root_links_before" ]; then ok "no link added in the root namespace"; else ko "root links changed"; fi
if mount | grep -qE 'vexp-remote|on /etc/libvirt|on /run/libvirt|on /var/(lib|log|cache)/libvirt'; then
    ko "mounts visible in the root mount namespace"
else
    ok "no mount in the root mount namespace"
fi

remote_env_down "$NAME"
rc=$?
if [ $rc -eq 0 ]; then ok "remote_env_down"; else ko "remote_env_down exit $rc"; fi
left=""
for ns in "$NAME" "$NAME-t"; do [ -e "/run/netns/$ns" ] && left="$left netns:$ns"; done
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left pid:$p"; done
[ -e "$dir" ] && left="$left $dir"
mount | grep -qE 'vexp-remote|on /etc/libvirt|on /var/(lib|log|cache)/libvirt' && left="$left mounts"
if [ -z "$left" ]; then ok "nothing left after down"; else ko "left after down:$left"; fi
if remote_env_down "$NAME"; then ok "remote_env_down again (idempotent)"; else ko "second remote_env_down"; fi

echo "remote-env selftest: $pass passed, $fail failed"
[ $fail -eq 0 ]
