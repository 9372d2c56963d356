#!/bin/sh
# reliability.sh - unlucky and hostile files around a run: inputs that are
# FIFOs or devices (each with a timeout here, so that a hang fails the
# test), outputs that are devices, FIFOs or symlinks, and runs that record
# in the database but whose outputs cannot be written: nothing is recorded.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
test_name=reliability; . "$top_srcdir/tests/lib.sh"
S="$top_srcdir/tests/cli/small"
SR="--regions $S/gpus.xml --regions $S/hubs.xml"
RB="$top_srcdir/tests/cli/rebalance"

# refused NAME WANT CMD...: CMD exits 1 within 10 s with WANT in its message
refused() {
	name=$1 want=$2
	shift 2
	timeout 10 "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q -- "$want" "$T/err"; then ok "$name: refused, named"
	else no "$name: rc $rc (124: it hung)" "$T/err"; fi
}

# --- inputs: a regular file, or refused before anything is read -------------
mkfifo "$T/jobs.csv" "$T/one.xml"
mkdir "$T/regions"
cp "$S/gpus.xml" "$S/hubs.xml" "$T/regions/"
mkfifo "$T/regions/late.xml"
refused "--jobs FIFO" "jobs.csv: not a regular file (a FIFO)" \
	"$EWC" place $SR --jobs "$T/jobs.csv"
refused "a FIFO *.xml in a --regions folder" "late.xml: not a regular file (a FIFO)" \
	"$EWC" place --regions "$T/regions" --jobs "$S/jobs.csv"
refused "regions validate on a FIFO" "one.xml: not a regular file (a FIFO)" \
	"$EWC" regions validate "$S/gpus.xml" "$T/one.xml"
refused "--policy FIFO" "one.xml: not a regular file (a FIFO)" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --policy "$T/one.xml"
refused "--jobs /dev/zero" "/dev/zero: not a regular file (a character device)" \
	"$EWC" place $SR --jobs /dev/zero
mkdir "$T/empty"
refused "a --regions folder with no *.xml" "folder has no \*.xml files" \
	"$EWC" regions validate "$T/empty"

# --- outputs: a regular file or a new one; a symlink is written through ------
mkfifo "$T/out.fifo"
refused "--output FIFO" "out.fifo is a FIFO; an output must be a regular file" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --output "$T/out.fifo"
[ -p "$T/out.fifo" ] && ok "the FIFO is still a FIFO" || no "the FIFO was replaced"
if [ "$(id -u)" = 0 ] && mknod "$T/full" c 1 7 2> /dev/null; then
	dev="$T/full"
else
	dev=/dev/full
fi
refused "--output a device" "is a character device; an output must be a regular file" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --output "$dev"
[ -c "$dev" ] && ok "the device is still a device" || no "the device was replaced"
refused "--report a folder" "is a folder; an output must be a regular file" \
	"$EWC" frontier $SR --jobs "$S/jobs.csv" --points 3 --report "$T/regions"
echo old > "$T/target.json"
ln -s target.json "$T/link.json"
"$EWC" place $SR --jobs "$S/jobs.csv" --format json --output "$T/link.json" > /dev/null 2>&1
if [ -L "$T/link.json" ] && grep -q '"format": "ewc.plan/1"' "$T/target.json"; then
	ok "a symlinked output is written through: the link stays, its target has the plan"
else no "symlinked output" "$T/target.json"; fi
ln -s nowhere.json "$T/dangling.json"
refused "--output a dangling symlink" "dangling.json is a symlink to nothing" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --output "$T/dangling.json"
cp "$S/jobs.csv" "$T/j.csv"
refused "--output names the job list" "is the file --jobs reads" \
	"$EWC" place $SR --jobs "$T/j.csv" --output "$T/j.csv"
cmp -s "$T/j.csv" "$S/jobs.csv" && ok "the job list is untouched" || no "the job list was overwritten"

# --- a run records last: an output that cannot be written records nothing ---
DB="$T/state.db"
refused "place --commit --output into a missing folder" "no folder" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --commit --db "$DB" --output "$T/no/such/p.json"
[ -e "$DB" ] && no "place --commit made a database" || ok "place --commit with a bad output: no database"
RG="--regions $S/gpus.xml"
"$EWC" place $RG --regions "$RB/night0.xml" --jobs "$RB/jobs.csv" --commit --db "$DB" \
	--now 2026-11-22T00:00:00Z > /dev/null 2>&1 || no "night 0 commit"
runs() { sqlite3 "$DB" "SELECT count(*) FROM runs"; }
moves() { sqlite3 "$DB" "SELECT count(*) FROM moves"; }
before="$(runs) $(moves)"
refused "rebalance --commit --report into a missing folder" "no folder" \
	"$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" --now 2026-11-22T10:00:00Z \
	--commit --report "$T/no/such/r.html"
[ "$(runs) $(moves)" = "$before" ] && ok "rebalance with a bad report: no run, no move recorded" ||
	no "rebalance with a bad report recorded $(runs) runs, $(moves) moves (was $before)"
timeout 20 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" --now 2026-11-22T10:00:00Z \
	--commit --report "$T/r.html" --output "$T/r.txt" > /dev/null 2> "$T/err"
if [ $? -eq 0 ] && [ "$(runs) $(moves)" = "2 1" ] && grep -q "<svg" "$T/r.html" &&
	grep -q "^A " "$T/r.txt" && [ "$(ls "$T" | grep -c '\.XXXXXX\|r\.html\.\|r\.txt\.')" -eq 0 ]; then
	ok "rebalance --commit with a report and an output: one run, one move, both files, no temporary left"
else no "rebalance --commit with outputs" "$T/err"; fi

tally
