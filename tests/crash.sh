#!/bin/sh
# crash.sh - `ewc rebalance --commit` killed with SIGKILL at many points of
# its writes (strace injects the signal on entry to the Nth write or sync
# call), and each time the database must pass PRAGMA integrity_check and
# hold either the whole old state or the whole new one, never a mix.
# Skipped (77) without strace and sqlite3 unless EWC_REQUIRE_STRACE=1.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
HUBS="$top_srcdir/regions"
if ! command -v strace > /dev/null || ! command -v sqlite3 > /dev/null; then
	if [ "${EWC_REQUIRE_STRACE:-0}" = 1 ]; then
		echo "FAIL: needs strace and sqlite3 (apt-get install strace sqlite3)"; exit 1
	fi
	echo "SKIP: needs strace and sqlite3"; exit 77
fi
EWC_VALGRIND= # not this test: see tests/lib.sh
test_name=crash; . "$top_srcdir/tests/lib.sh"

# 1,200 training jobs placed on the shipped hubs; then Inner Mongolia's
# power price more than doubles, so that hundreds of them move west-to-west:
# a commit of many pages.
awk 'BEGIN { print "id,kind,gpu_type,gpus,hours,origin,data_gb,checkpoint_gb"
	split("beijing shanghai guangzhou chengdu", o, " ")
	for (i = 1; i <= 1200; i++)
		printf "job-%04d,train,A100|910B,%d,%d,%s,%d,20\n", i, 1 + i % 4, 100 + i % 300,
		       o[1 + i % 4], 50 * (i % 5) }' > "$T/jobs.csv"
mkdir "$T/night1"
cp "$HUBS/gpus.xml" "$T/night1/"
sed 's/<power price="0.38" green-share="0.58"/<power price="0.90" green-share="0.58"/' \
	"$HUBS/hubs.xml" > "$T/night1/hubs.xml"
cmp -s "$HUBS/hubs.xml" "$T/night1/hubs.xml" && no "the fixture changed no price"
"$EWC" place --regions "$HUBS" --jobs "$T/jobs.csv" --commit --db "$T/old.db" \
	--now 2026-11-20T00:00:00Z > /dev/null 2> "$T/err" || no "place --commit" "$T/err"

REB="rebalance --regions $T/night1 --now 2026-11-21T00:00:00Z --commit --format csv"

# What a state is: runs, moves, snapshots and every placement.
state() {
	sqlite3 "$1" "SELECT count(*) FROM runs; SELECT count(*) FROM moves;
		SELECT count(*) FROM region_snapshots;
		SELECT job, region, gpu_type, hours, started_at, run FROM placements ORDER BY job;" |
		cksum
}
old=$(state "$T/old.db")
cp "$T/old.db" "$T/new.db"
"$EWC" $REB --db "$T/new.db" > "$T/moves.csv" 2> "$T/err" || no "the uninterrupted rebalance" "$T/err"
new=$(state "$T/new.db")
moved=$(($(wc -l < "$T/moves.csv") - 1))
[ "$moved" -gt 100 ] && ok "the uninterrupted run moves $moved jobs" || no "too few moves: $moved"
[ "$old" != "$new" ] && ok "old and new states differ" || no "old and new states differ"

# How many write and sync calls the uninterrupted run makes.
cp "$T/old.db" "$T/count.db"
strace -f -qq -c -o "$T/count.txt" -e trace=pwrite64,fdatasync,fsync "$EWC" $REB \
	--db "$T/count.db" > /dev/null 2>&1
writes=$(awk '$NF == "pwrite64" { print $(NF - 1) }' "$T/count.txt")
syncs=$(awk '$NF == "fdatasync" || $NF == "fsync" { n += $(NF - 1) } END { print n + 0 }' "$T/count.txt")
[ "${writes:-0}" -gt 20 ] && ok "$writes writes and $syncs syncs to kill at" ||
	no "writes counted: '${writes:-}'" "$T/count.txt"

# The kill points: every sync, and 24 writes spread from the first to the last.
points=""
i=1
while [ "$i" -le "$syncs" ]; do points="$points fdatasync,fsync:$i"; i=$((i + 1)); done
k=0
while [ "$k" -le 23 ]; do
	points="$points pwrite64:$((1 + (writes - 1) * k / 23))"
	k=$((k + 1))
done
n_old=0; n_new=0; bad=0
for p in $points; do
	calls=${p%:*}; when=${p#*:}
	cp "$T/old.db" "$T/kill.db"
	rm -f "$T/kill.db-wal" "$T/kill.db-shm"
	strace -f -qq -o /dev/null -e trace="$calls" -e inject="$calls":signal=KILL:when="$when" \
		"$EWC" $REB --db "$T/kill.db" > /dev/null 2>&1
	ic=$(sqlite3 "$T/kill.db" "PRAGMA integrity_check;" 2>&1)
	got=$(state "$T/kill.db")
	if [ "$ic" != "ok" ]; then
		bad=$((bad + 1)); echo "    killed at $calls #$when: integrity_check: $ic"
	elif [ "$got" = "$old" ]; then
		n_old=$((n_old + 1))
	elif [ "$got" = "$new" ]; then
		n_new=$((n_new + 1))
	else
		bad=$((bad + 1)); echo "    killed at $calls #$when: a state that is neither"
	fi
done
[ "$bad" -eq 0 ] && ok "every kill left an intact old or new state ($n_old old, $n_new new)" ||
	no "$bad kills left a damaged or mixed state"
[ "$n_old" -gt 0 ] && [ "$n_new" -gt 0 ] && ok "kills landed both before and after the commit" ||
	no "kills landed on one side only ($n_old old, $n_new new)"
# and ewc carries on from a run killed halfway through its commit: the
# WAL's partial frames are dropped and the same rebalancing is made whole
cp "$T/old.db" "$T/again.db"
strace -f -qq -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=KILL:when=$((writes / 2)) \
	"$EWC" $REB --db "$T/again.db" > /dev/null 2>&1
if [ "$(state "$T/again.db")" = "$old" ]; then
	"$EWC" $REB --db "$T/again.db" > /dev/null 2> "$T/err" || no "rebalance after a kill" "$T/err"
	[ "$(state "$T/again.db")" = "$new" ] && ok "after a kill, the next run reaches the new state" ||
		no "after a kill, the next run reaches the new state"
else
	echo "note: the kill at write $((writes / 2)) came after the commit; nothing to redo"
fi

tally
