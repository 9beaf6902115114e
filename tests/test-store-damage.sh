#!/bin/bash
# SPDX-License-Identifier: MIT
# Damaged, foreign and old stores: each gets its exit status and message, and
# the read-only commands leave the file byte for byte as it was.
set -u
VEXP=${1:?path to vexp}
command -v sqlite3 >/dev/null || { echo "sqlite3 (the CLI) not installed"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# case: expected_rc message_pattern file command-args...
case_() {
    local want=$1 pat=$2 f=$3
    shift 3
    local before after rc
    before=$(sha256sum "$f" | cut -d' ' -f1)
    ${VEXP_WRAPPER:-} "$VEXP" "$@" --store "$f" >"$W/out" 2>"$W/err"
    rc=$?
    after=$(sha256sum "$f" | cut -d' ' -f1)
    echo "$(basename "$f") $*: exit $rc: $(head -c 300 "$W/err")"
    [ "$rc" -eq "$want" ] && ok || bad "$f $*: exit $rc, expected $want"
    grep -q -- "$pat" "$W/err" "$W/out" && ok || bad "$f $*: output lacks '$pat'"
    [ "$before" = "$after" ] && ok || bad "$f $*: the file changed"
    [ ! -s "$f-wal" ] && ok || bad "$f $*: wrote to the -wal file"
}

# a real store: --migrate is the one read command that writes
: >"$W/good.db"
"$VEXP" results --migrate --store "$W/good.db" 2>"$W/err" && ok || bad "migrate: $(cat "$W/err")"
v=$(sqlite3 "$W/good.db" 'PRAGMA user_version')
[ "$v" -ge 4 ] && ok || bad "migrated store has user_version $v"
case_ 2 "no such run\|no run\|not found\|has no runs" "$W/good.db" results
case_ 0 "integrity ok" "$W/good.db" results --check

: >"$W/empty.db"
case_ 2 "is not a vexp store: empty file" "$W/empty.db" results
[ ! -s "$W/empty.db" ] && ok || bad "empty file was written to"
case_ 2 "is not a vexp store: empty file" "$W/empty.db" compare 1 2
case_ 2 "is not a vexp store: empty file" "$W/empty.db" report -o "$W/r"

sqlite3 "$W/foreign.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1)'
case_ 2 "not a vexp store (user_version 0 and 1 tables)" "$W/foreign.db" results
[ "$(sqlite3 "$W/foreign.db" 'PRAGMA journal_mode')" = delete ] && ok ||
    bad "foreign file was switched to WAL"
# vexp run opens for writing: still refused before WAL
printf '[matrix]\nnic = host\n' >"$W/m.conf"
case_ 2 "not a vexp store (user_version 0 and 1 tables)" "$W/foreign.db" run "$W/m.conf"
[ "$(sqlite3 "$W/foreign.db" 'PRAGMA journal_mode')" = delete ] && ok ||
    bad "vexp run switched a foreign file to WAL"

head -c 8192 /dev/urandom >"$W/noise.db"
case_ 2 "file is not a database" "$W/noise.db" results
printf 'just text\n' >"$W/text.db"
case_ 2 "file is not a database" "$W/text.db" results
case_ 2 "file is not a database" "$W/text.db" run "$W/m.conf"

cp "$W/good.db" "$W/negative.db"
sqlite3 "$W/negative.db" 'PRAGMA user_version = -3'
case_ 2 "schema version (user_version) -3 is negative" "$W/negative.db" results
case_ 2 "schema version (user_version) -3 is negative" "$W/negative.db" run "$W/m.conf"

cp "$W/good.db" "$W/old.db"
sqlite3 "$W/old.db" 'PRAGMA user_version = 1'
case_ 2 "has schema version 1 and this vexp reads version" "$W/old.db" results
grep -q "vexp results --migrate" "$W/err" && ok || bad "old store: no hint which command migrates"
case_ 2 "has schema version 1 and this vexp reads version" "$W/old.db" compare 1 2

cp "$W/good.db" "$W/new.db"
sqlite3 "$W/new.db" 'PRAGMA user_version = 99'
case_ 2 "newer than this vexp" "$W/new.db" results
case_ 2 "newer than this vexp" "$W/new.db" run "$W/m.conf"

# damaged pages: a store with rows, then its index pages overwritten
cp "$W/good.db" "$W/damaged.db"
sqlite3 "$W/damaged.db" "PRAGMA journal_mode = DELETE;
  INSERT INTO run (name, started_at, status, matrix_text, matrix_hash, vexp_version)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
  SELECT 'r' || i, '2026-01-01', 'complete', printf('%.500c', 'x'), 'h' || i, '0' FROM n;" >/dev/null
page=$(sqlite3 "$W/damaged.db" "SELECT rootpage FROM sqlite_schema WHERE name = 'run_matrix_hash'")
psize=$(sqlite3 "$W/damaged.db" 'PRAGMA page_size')
printf '\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
    dd of="$W/damaged.db" bs=1 seek=$(((page - 1) * psize)) conv=notrunc status=none
case_ 1 "is damaged" "$W/damaged.db" results --check
case_ 2 "is damaged\|malformed" "$W/damaged.db" run "$W/m.conf"

# read-only media: a WAL store on a read-only bind mount is still read
if command -v unshare >/dev/null && [ "$(id -u)" = 0 ]; then
    mkdir "$W/ro" && cp "$W/good.db" "$W/ro/s.db" && rm -f "$W/good.db-wal" "$W/good.db-shm"
    unshare -m sh -c "mount --bind -o ro '$W/ro' '$W/ro' && mount -o remount,bind,ro '$W/ro' &&
        '$VEXP' results --check --store '$W/ro/s.db'" >"$W/out" 2>"$W/err"
    rc=$?
    echo "read-only media: exit $rc: $(cat "$W/out" "$W/err")"
    [ $rc -eq 0 ] && grep -q "integrity ok" "$W/out" && ok || bad "read-only media: exit $rc"
fi
echo "store damage: $pass passed, $fail failed"
[ $fail -eq 0 ]
