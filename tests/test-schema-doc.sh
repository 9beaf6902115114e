#!/bin/bash
# SPDX-License-Identifier: MIT
# store/SCHEMA.md's metric table names exactly the metrics vexp run writes:
# the names passed to add_sample() in orchestrator/run/record.c (STORE_METRIC_*
# resolved through store/store.h; goal_metric(goal, "x") is throughput_<goal>_x,
# latency_metric(goal, "x") latency_<goal>_x).
set -u
SRC=${VEXP_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# record.c with calls continued over lines joined into one
sed ':a;N;$!ba;s/,\n */, /g' "$SRC/orchestrator/run/record.c" >"$W/record.c"
# written: one name per line
{
    grep -o 'add_sample(st->record, r, [A-Z0-9_]*' "$W/record.c" | sed 's/.*, //' |
        while read -r m; do
            sed -n "s/^#define $m \"\([a-z0-9_]*\)\".*/\1/p" "$SRC/store/store.h"
        done
    grep -o 'add_sample(st->record, r, "[a-z0-9_]*"' "$W/record.c" | sed 's/.*, "//; s/"$//'
    grep -o 'add_sample(st->record, r, goal_metric(r->goal, "[a-z0-9_]*")' \
        "$W/record.c" | sed 's/.*, "//; s/")$//; s/^/throughput_<goal>_/'
    grep -o 'add_sample(st->record, r, latency_metric(r->goal, "[a-z0-9_]*")' \
        "$W/record.c" | sed 's/.*, "//; s/")$//; s/^/latency_<goal>_/'
} >"$W/all"
sort -u "$W/all" >"$W/written"
# every call resolved to a name (a new form of call must be taught here)
calls=$(grep -o 'add_sample(st->record' "$W/record.c" | wc -l)
if [ "$calls" -ne "$(wc -l <"$W/all")" ]; then
    echo "FAIL: $calls add_sample() calls in record.c, $(wc -l <"$W/all") metric names resolved"
    exit 1
fi
# documented: the first column of the metric table (between "Metrics (" and the rule)
sed -n '/^Metrics (direction used by/,/^These are exactly/p' "$SRC/store/SCHEMA.md" |
    grep '^| `' | cut -d'|' -f2 | grep -o '`[a-z0-9_<>]*`' | tr -d '`' | sort -u >"$W/documented"
if [ ! -s "$W/written" ] || [ ! -s "$W/documented" ]; then
    echo "FAIL: no metrics found (written $(wc -l <"$W/written"), documented $(wc -l <"$W/documented"))"
    exit 1
fi
# (no exit on success: a shell run under valgrind leaks what an exit leaves parsed;
# the last command's status is the script's, as in test-cli.sh)
status=0
diff "$W/documented" "$W/written" >"$W/diff" || status=1
[ $status -eq 0 ] && echo "SCHEMA.md documents the $(wc -l <"$W/written") metric names vexp run writes"
[ $status -eq 0 ] || { echo "FAIL: SCHEMA.md's metrics (<) and the written ones (>) differ:"; cat "$W/diff"; }
[ $status -eq 0 ]
