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
refused "--db FIFO" "jobs.csv: not a regular file: a database is one" \
	"$EWC" place $SR --jobs "$S/jobs.csv" --db "$T/jobs.csv"
refused "regions import of a FIFO" "one.xml: not a regular file (a FIFO)" \
	"$EWC" regions import --from ewc "$T/one.xml" $SR --output "$T/imported.xml"
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
refused "regions import --output a device" "is a character device; an output must be a regular file" \
	"$EWC" regions import --from ewc "$top_srcdir/examples/inventory.xml" \
	--regions "$top_srcdir/regions" --output "$dev"
cp "$S/jobs.csv" "$T/j.csv"
refused "--output names the job list" "is the file --jobs reads" \
	"$EWC" place $SR --jobs "$T/j.csv" --output "$T/j.csv"
cmp -s "$T/j.csv" "$S/jobs.csv" && ok "the job list is untouched" || no "the job list was overwritten"

# --- figures: none so large that a product of the cost model overflows ------
cat > "$T/huge.xml" <<'XML'
<regions>
  <region id="r1" zone="west">
    <power price="0.3" green-share="0" grid-factor="0.5" pue="1.2"/>
    <gpu type="A100" free="8" price="1e308"/>
    <link site="city" latency-ms="2" price-per-gb="0"/>
  </region>
</regions>
XML
refused "a GPU price of 1e308" "huge.xml:4: gpu@price: must be at most 1e+12 in size" \
	"$EWC" place --regions "$S/gpus.xml" --regions "$T/huge.xml" --jobs "$S/jobs.csv"
printf 'id,kind,gpu_type,gpus,hours,origin\nT,train,A100,8,1e300,city\n' > "$T/long.csv"
refused "hours of 1e300" "long.csv:2: hours: must be a number at most 1e+12 in size" \
	"$EWC" place $SR --jobs "$T/long.csv"
# every figure at its largest: the plan's figures are large, and finite
cat > "$T/maxgpus.xml" <<'XML'
<gpus>
  <gpu type="A100" watts="1e12" perf="1e-6"/>
  <gpu type="X2" watts="1e12" perf="1e6"/>
</gpus>
XML
cat > "$T/max.xml" <<'XML'
<regions>
  <region id="r1" zone="west">
    <power price="1e12" green-share="0" grid-factor="1e12" pue="1e12"/>
    <gpu type="A100" free="1000000000000" price="1e12"/>
    <gpu type="X2" free="1000000000000" price="1e12"/>
    <link site="city" latency-ms="1e12" price-per-gb="1e12"/>
  </region>
</regions>
XML
awk 'BEGIN { print "id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb,priority"
	for (i = 1; i <= 50; i++)
		printf "j%d,%s,X2|A100,1000000,1e12,city,1e12,1e12,1e12\n", i, i % 2 ? "infer" : "train" }' \
	> "$T/max.csv"
bad=0
for f in table csv json; do
	timeout 60 "$EWC" place --regions "$T/maxgpus.xml" --regions "$T/max.xml" --jobs "$T/max.csv" --format $f \
		--carbon-price 1e12 > "$T/plan.$f" 2> "$T/err"
	rc=$?
	if [ $rc -ne 0 ] || grep -qiw "inf\|nan\|infinity" "$T/plan.$f" "$T/err"; then
		bad=1; no "largest figures, $f: rc $rc" "$T/err"
	fi
done
[ $bad -eq 0 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/plan.json" 2> "$T/err" &&
	ok "every figure at its largest: table, CSV and JSON hold no inf or nan, the JSON parses" ||
	no "largest figures" "$T/err"

# --- text from inputs reaches a terminal with its control bytes escaped -----
printf 'id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb\n"a\033[2Jb\007",train,A100,8,100,city,,0\nbig,train,X2,99,10,city,,0\n' > "$T/esc.csv"
bad=
for f in table csv; do
	"$EWC" place $SR --jobs "$T/esc.csv" --format $f > "$T/esc-out.$f" 2> "$T/err"
done
"$EWC" explain $SR --jobs "$T/esc.csv" --job "$(printf 'a\033[2Jb\007')" > "$T/esc.explain" 2>&1
if grep -q "$(printf '\033')" "$T/esc-out.table" "$T/esc.explain" ||
	grep -q "$(printf '\007')" "$T/esc-out.table" "$T/esc.explain"; then
	no "a job id's ESC and BEL reached the table or explain"
elif grep -Fq 'a\x1b[2Jb\x07' "$T/esc-out.table" && grep -Fq 'job a\x1b[2Jb\x07: train' "$T/esc.explain"; then
	ok "a job id's ESC and BEL are shown as \\x1b and \\x07 in the table and explain"
else no "escaped job id" "$T/esc-out.table"; fi
grep -q "$(printf '\033')" "$T/esc-out.csv" && ok "CSV keeps the id's bytes (it is data, quoted)" ||
	no "CSV changed the id" "$T/esc-out.csv"
printf 'id,kind,gpu_type,gpus,hours,origin\n"x\033[31m",train,A100,0,1,city\n' > "$T/esc2.csv"
"$EWC" place $SR --jobs "$T/esc2.csv" > /dev/null 2> "$T/err"
! grep -q "$(printf '\033')" "$T/err" && ok "error messages escape control bytes too" ||
	no "an error message carried ESC" "$T/err"

# --- the database is the capacity ledger, and writers wait for each other ---
# 10 free A100 as of 2026-01-01; four writers at once, each committing one
# job of 4 GPUs, on a fresh database, ten rounds: every run lands whole or
# fails naming the capacity; never "database is locked", never more than 10
# GPUs held, the database intact.
cat > "$T/pool.xml" <<'XML'
<regions as-of="2026-01-01T00:00:00Z">
  <region id="r1" zone="west">
    <power price="0.3" green-share="0" grid-factor="0.5" pue="1.2"/>
    <gpu type="A100" free="10" price="10"/>
    <link site="city" latency-ms="2" price-per-gb="0"/>
  </region>
</regions>
XML
bad=0 landed=0 refused=0
round=0
while [ $round -lt 10 ]; do
	round=$((round + 1))
	db="$T/race$round.db"
	for w in 1 2 3 4; do
		printf 'id,kind,gpu_type,gpus,hours,origin\nw%s,train,A100,4,10,city\n' "$w" > "$T/w$w.csv"
	done
	for w in 1 2 3 4; do
		( "$EWC" place --regions "$S/gpus.xml" --regions "$T/pool.xml" --jobs "$T/w$w.csv" \
			--commit --db "$db" --format csv > /dev/null 2> "$T/w$w.err"; echo $? > "$T/w$w.rc" ) &
	done
	wait
	for w in 1 2 3 4; do
		rc=$(cat "$T/w$w.rc")
		if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then landed=$((landed + 1))
		elif [ "$rc" = 1 ] && grep -q "capacity: r1 A100 had 10 free" "$T/w$w.err"; then
			refused=$((refused + 1))
		else bad=1; { echo "round $round writer $w: rc $rc"; cat "$T/w$w.err"; } >> "$T/race.log"; fi
	done
	held=$(sqlite3 "$db" "SELECT coalesce(sum(gpus), 0) FROM placements")
	ok_db=$(sqlite3 "$db" "PRAGMA integrity_check")
	runs=$(sqlite3 "$db" "SELECT count(*) FROM runs")
	ok_rc=0
	for w in 1 2 3 4; do rc=$(cat "$T/w$w.rc"); [ "$rc" = 0 ] || [ "$rc" = 3 ] && ok_rc=$((ok_rc + 1)); done
	if [ "$held" -gt 10 ] || [ "$ok_db" != ok ] || [ "$runs" -ne "$ok_rc" ]; then
		bad=1; echo "round $round: $held GPUs held, integrity $ok_db, $runs runs for $ok_rc landed" >> "$T/race.log"
	fi
done
if [ $bad -eq 0 ] && [ $landed -ge 20 ]; then
	ok "40 concurrent commits: $landed landed, $refused refused naming the capacity, no pool over its 10 GPUs, integrity ok"
else no "concurrent commits ($landed landed, $refused refused)" "$T/race.log"; fi

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
