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
    "$@" >"$W/out" 2>"$W/err"
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
check 2 "results: missing store" "$VEXP" results --store "$W/none.db"
[ ! -e "$W/none.db" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: results created a store"; }
check 2 "results: bad format" "$VEXP" results --format xml --store "$W/none.db"
check 2 "results: bad run id" "$VEXP" results --run abc --store "$W/none.db"
check 2 "compare: one run" "$VEXP" compare 1
check 2 "regress: no baseline" "$VEXP" regress
check 2 "run: bad option" "$VEXP" run --frobnicate x.conf
check 2 "image: no verb" "$VEXP" image
printf '[network]\nmode = bridge\nbridge = br9\n[matrix]\nnic = host\n' >"$W/br.conf"
check 2 "run: bridge mode not yet" "$VEXP" run "$W/br.conf" --store "$W/br.db"
grep_err "bridge mode names the line" "br.conf:2"
[ ! -e "$W/br.db" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: bridge matrix created a store"; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
