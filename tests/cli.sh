#!/bin/sh
# cli.sh - the ewc command's behaviour: outputs, messages and exit codes.
# Run by `make check` (top_srcdir and top_builddir set), or by hand from
# the build directory.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
S="$top_srcdir/tests/cli/small"
R="--regions $S/gpus.xml --regions $S/hubs.xml"
HUBS="$top_srcdir/regions"
EX="$top_srcdir/examples/jobs.csv"
test_name=cli; . "$top_srcdir/tests/lib.sh"


# run NAME WANT_EXIT CMD...: run, keep stdout in $T/out and stderr in $T/err
run() {
	name=$1; want=$2; shift 2
	"$@" > "$T/out" 2> "$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else no "$name: exit $got, want $want" "$T/err"; fi
}

# same FILE NAME: $T/out must equal FILE
same() {
	if cmp -s "$1" "$T/out"; then ok "$2"; else diff "$1" "$T/out" > "$T/diff"; no "$2" "$T/diff"; fi
}

# err_is TEXT NAME: stderr must be exactly TEXT
err_is() {
	printf '%s\n' "$1" > "$T/want"
	if cmp -s "$T/want" "$T/err"; then ok "$2"; else diff "$T/want" "$T/err" > "$T/diff"; no "$2" "$T/diff"; fi
}

# --- version and help ---------------------------------------------------
run "version" 0 "$EWC" --version
printf 'ewc 0.1.0 (libewc 0.1.0)\n' > "$T/want"; same "$T/want" "version text"
run "no command is a usage error" 2 "$EWC"
run "help place" 0 "$EWC" help place
grep -q -- '--write-lp FILE' "$T/out" && ok "help place names --write-lp" || no "help place names --write-lp"
run "help for an unknown command" 2 "$EWC" help frobnicate
err_is "ewc: no such command: frobnicate
ewc: try 'ewc help'" "unknown command message"

# --- place: the hand-computed plan -------------------------------------------
run "place, every job placed" 0 "$EWC" place $R --jobs "$S/jobs.csv"
same "$S/place.txt" "place table"
run "place csv with an unplaced job" 3 "$EWC" place $R --jobs "$S/jobs-unplaced.csv" --format csv
same "$S/place-unplaced.csv" "place csv"
run "place, decomposition" 0 "$EWC" place $R --jobs "$S/jobs.csv" --solver decompose
same "$S/place.txt" "decomposition: the same hand-computed plan"
[ -s "$T/err" ] && no "no progress when stderr is not a terminal" "$T/err" || ok "no progress when stderr is not a terminal"
if command -v script > /dev/null; then
	# a terminal on stderr: the solve's progress is shown, then erased
	script -qec "$EWC place $R --jobs $S/jobs.csv --solver decompose --format csv" /dev/null > "$T/tty" 2>&1
	grep -Eq 'ewc: (priority|prices|polish) +best .* bound .* gap ' "$T/tty" && ok "progress on a terminal" || no "progress on a terminal" "$T/tty"
fi
# --- place over a horizon: the valley, hand-computed (tests/check_time.c) -----
TM="$top_srcdir/tests/cli/time"
RT="--regions $TM/gpus.xml --regions $TM/gd.xml"
run "place over 24 hours" 0 "$EWC" place $RT --jobs "$TM/jobs.csv" --horizon 24 \
	--start 2026-12-07T08:00:00+08:00
same "$TM/place.txt" "place over time: table with starts, waits and the split"
run "place over 24 hours, csv" 0 "$EWC" place $RT --jobs "$TM/jobs.csv" --horizon 24 \
	--start 2026-12-07T08:00:00+08:00 --format csv
same "$TM/place.csv" "place over time: csv with start, end and baseline_start"
run "--start without --horizon" 2 "$EWC" place $RT --jobs "$TM/jobs.csv" \
	--start 2026-12-07T08:00:00+08:00
err_is "ewc: --start needs --horizon HOURS
ewc: try 'ewc help place'" "--start without --horizon message"
run "--start off the hour" 2 "$EWC" place $RT --jobs "$TM/jobs.csv" --horizon 24 \
	--start 2026-12-07T08:30:00+08:00
# committed over a horizon: each job at its planned start, holding its slots
run "--horizon with --commit" 0 "$EWC" place $RT --jobs "$TM/jobs.csv" --horizon 24 --commit \
	--db "$T/h.db" --start 2026-12-07T08:00:00+08:00 --format csv
err_is "ewc: recorded as run 1 in $T/h.db: 2 jobs placed at their planned starts" \
	"--horizon with --commit: what was recorded"
[ "$(sqlite3 "$T/h.db" "SELECT group_concat(job || ' ' || started_at || ' ' || hours, ', ') FROM (SELECT * FROM placements ORDER BY job)")" = \
  "a 2026-12-07T20:00:00Z 4.0, b 2026-12-07T16:00:00Z 4.0" ] &&
	ok "--horizon with --commit: planned starts recorded" || no "--horizon with --commit: planned starts recorded"
# the valley is taken from 00:00 to 08:00: a third job takes the cheapest
# hours left, 19:00-23:00 at the flat price (320 + 16 kWh x 1.00 = 336 CNY)
printf 'id,kind,gpu_type,gpus,hours,origin\nc,train,A100,8,4,sz\n' > "$T/c.csv"
run "a plan over the committed one" 0 "$EWC" place $RT --jobs "$T/c.csv" --horizon 24 \
	--start 2026-12-07T08:00:00+08:00 --db "$T/h.db" --commit --format csv
grep -q '^c,train,sz,gd,east,A100,8,4,336,.*,2026-12-07T19:00:00+08:00,2026-12-07T23:00:00+08:00,' "$T/out" &&
	ok "a plan over the committed one keeps off its slots" || no "a plan over the committed one keeps off its slots" "$T/out"
# b finished early: the nightly run moves c, not started yet, into the
# freed valley: 336 - (320 + 16 x 0.38) = 9.92 CNY saved, no migration,
# and --max-moves (running jobs) does not hold it back
"$EWC" jobs finish b --db "$T/h.db" --now 2026-12-07T09:00:00Z 2> /dev/null
# the previous run's snapshot holds the figures as given, not net of the
# ledger: nothing changed but a job finishing
run "rebalance over a horizon, table" 0 "$EWC" rebalance $RT --db "$T/h.db" \
	--now 2026-12-07T09:00:00Z --horizon 24
grep -q '^No region figure changed since the previous run\.$' "$T/out" &&
	ok "rebalance: the snapshot of a plan made on the ledger holds the figures as given" ||
	no "rebalance: the snapshot of a plan made on the ledger holds the figures as given" "$T/out"
run "rebalance over a horizon" 0 "$EWC" rebalance $RT --db "$T/h.db" --now 2026-12-07T09:00:00Z \
	--horizon 24 --max-moves 0 --format csv --commit
printf '%s\n' "job,kind,gpus,from_region,from_type,to_region,to_type,hours_left,migration_cny,cost_stay_cny,cost_to_cny,saving_cny,carbon_avoided_kg,waiting,from_start,to_start" \
	"c,train,8,gd,A100,gd,A100,4,0,336,326.08,9.92000000000002,0,yes,2026-12-07T11:00:00Z,2026-12-07T16:00:00Z" > "$T/want"
cmp -s "$T/want" "$T/out" && ok "rebalance over a horizon: c moves into the valley" || { diff "$T/want" "$T/out" > "$T/diff"; no "rebalance over a horizon: c moves into the valley" "$T/diff"; }
err_is "ewc: recorded as run 3 in $T/h.db: 0 jobs moved, 1 not started yet given another place or slot" \
	"rebalance over a horizon: what was recorded"
[ "$(sqlite3 "$T/h.db" "SELECT started_at FROM placements WHERE job = 'c'")" = 2026-12-07T16:00:00Z ] &&
	ok "rebalance over a horizon: the new planned start recorded" || no "rebalance over a horizon: the new planned start recorded"
run "rebalance without --horizon" 0 "$EWC" rebalance $RT --db "$T/h.db" --now 2026-12-07T09:00:00Z
grep -q '^Left out: c: planned to start at 2026-12-07T16:00:00Z: it keeps its place and slot (rebalance --horizon moves it in time)$' "$T/out" &&
	ok "rebalance without --horizon leaves jobs not started alone" || no "rebalance without --horizon leaves jobs not started alone" "$T/out"
run "rebalance --start" 2 "$EWC" rebalance $RT --db "$T/h.db" --horizon 24 --start 2026-12-07T08:00:00+08:00
run "--report without --horizon" 2 "$EWC" place $RT --jobs "$TM/jobs.csv" --report "$T/r.html"
run "--horizon past a leap year" 2 "$EWC" place $RT --jobs "$TM/jobs.csv" --horizon 9000
# a long horizon over many regions is refused before its arrays are made
awk 'BEGIN { print "<regions>"; for (i = 0; i < 1200; i++) printf "<region id=\"r%d\" zone=\"west\"><power price=\"1\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.2\"/><gpu type=\"A100\" free=\"8\" price=\"10\"/><link site=\"sz\" latency-ms=\"30\" price-per-gb=\"0\"/></region>\n", i; print "</regions>" }' > "$T/many.xml"
run "a year over 1,200 regions" 1 "$EWC" place --regions "$TM/gpus.xml" --regions "$T/many.xml" \
	--jobs "$TM/jobs.csv" --horizon 8784 --start 2026-12-07T00:00:00Z
err_is "ewc: the 8784-hour horizon over 1200 regions and 1 GPU type is more than 10000000 pool-hours: plan a shorter horizon or on fewer regions" \
	"a year over 1,200 regions: refused, naming the horizon and the regions"

run "bad solver" 2 "$EWC" place $R --jobs "$S/jobs.csv" --solver simplex
err_is "ewc: --solver: use auto, direct or decompose, not \"simplex\"
ewc: try 'ewc help place'" "bad solver message"
run "explain T" 0 "$EWC" explain $R --jobs "$S/jobs.csv" --job T
same "$S/explain.txt" "explain table"
# for programs: the same options as JSON and CSV (T: 8 A100 west1 chosen, X2 excluded)
run "explain T as JSON" 0 "$EWC" explain $R --jobs "$S/jobs.csv" --job T --format json
[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["format"], d["chosen"]["region"], d["chosen"]["gpus"], len(d["options"]), [o["reason"] for o in d["options"] if not o["eligible"] and o["has_type"]])' "$T/out")" = \
	"ewc.explain/1 west1 8 4 ['capacity: 4 free X2, needs 8']" ] &&
	ok "explain JSON: format, choice, every option, the reason" || no "explain JSON" "$T/out"
run "explain T as CSV" 0 "$EWC" explain $R --jobs "$S/jobs.csv" --job T --format csv
[ "$(sed -n 2p "$T/out" | cut -d, -f1-10)" = "T,west1,west,A100,1,1,0,20,8,100" ] &&
	ok "explain CSV: the chosen option first" || no "explain CSV" "$T/out"
run "regions list as JSON" 0 "$EWC" regions list --format json $R
[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["regions"][1]; print(d["format"], r["id"], r["gpus"][1]["type"], r["gpus"][1]["free"])' "$T/out")" = \
	"ewc.regions/1 west1 X2 4" ] && ok "regions list JSON" || no "regions list JSON" "$T/out"
run "regions list --type X2" 0 "$EWC" regions list --type X2 $R
[ "$(awk 'NR > 1 { print $1 }' "$T/out")" = west1 ] && ok "regions list --type: only the regions with X2" ||
	no "regions list --type" "$T/out"
run "regions list --site city --slo 5" 0 "$EWC" regions list --site city --slo 5 --format csv $R
[ "$(awk -F, 'NR > 1 { print $1 }' "$T/out" | sort -u)" = east1 ] &&
	ok "regions list --site --slo: only east1 is within 5 ms of city" || no "regions list --slo" "$T/out"
run "regions list --slo without --site" 2 "$EWC" regions list --slo 5 $R
run "regions list as CSV" 0 "$EWC" regions list --format csv $R
[ "$(grep -c '^west1,' "$T/out")" = 2 ] && ok "regions list CSV: a row per region and type" ||
	no "regions list CSV" "$T/out"
run "explain a job that is not there" 1 "$EWC" explain $R --jobs "$S/jobs.csv" --job nope
err_is "ewc: $S/jobs.csv: no job with id \"nope\"" "explain: missing job message"

# --- both carbon bases: far buys green power on a dirtier grid -----------------
# 8 A100 x 10 h at 400 W, PUE 1.25: 40 kWh. near: 20 kg on both bases;
# far: 24 kg location-based, 2.4 kg market-based.
cat > "$T/basis.xml" <<'XML'
<regions>
  <region id="near" zone="east">
    <power price="0.5" green-share="0" grid-factor="0.5" pue="1.25"/>
    <gpu type="A100" free="8" price="10"/>
    <link site="city" latency-ms="2" price-per-gb="0"/>
  </region>
  <region id="far" zone="west">
    <power price="0.5" green-share="0.9" grid-factor="0.6" pue="1.25"/>
    <gpu type="A100" free="8" price="10"/>
    <link site="city" latency-ms="30" price-per-gb="0"/>
  </region>
</regions>
XML
printf 'id,kind,gpu_type,gpus,hours,origin\nJ,train,A100,8,10,city\n' > "$T/basis.csv"
B="--regions $S/gpus.xml --regions $T/basis.xml --jobs $T/basis.csv --mode carbon"
run "carbon mode, market basis" 0 "$EWC" place $B
grep -qx 'Carbon: 17.6 kg CO2 avoided market-based (88.0%), 4.0 kg added location-based (20.0%).' "$T/out" &&
	ok "both bases in the summary" || no "both bases in the summary" "$T/out"
grep -qx 'The bases disagree: market-based -88.0%, location-based +20.0%: the saving rests on contracted green power.' "$T/out" &&
	ok "the disagreement in words" || no "the disagreement in words" "$T/out"
run "carbon mode, location basis" 0 "$EWC" place $B --carbon-basis location --format json
{ grep -q '^  "format": "ewc.plan/1",$' "$T/out" && grep -q '^  "carbon_basis": "location",$' "$T/out" &&
  grep -q '"region": "near"' "$T/out" && grep -q '^    "objective": 20.0,$' "$T/out"; } &&
	ok "location basis keeps the job near, and says so" || no "location basis keeps the job near" "$T/out"
run "bad carbon basis" 2 "$EWC" place $B --carbon-basis grid
err_is "ewc: --carbon-basis: unknown carbon basis \"grid\": use market or location
ewc: try 'ewc help place'" "bad carbon basis message"

# --- docs/formats.md: every field its plan example names is in a real plan ----
# keys_of HEADING: the JSON keys of the example under that section
keys_of() {
	awk -v h="$1" '/^## / { s = index($0, h) == 4 } s && /^```json$/ { b = 1; next }
		b && /^```$/ { b = 0; s = 0 } b' "$top_srcdir/docs/formats.md" |
		grep -o '"[a-z_]*":' | sort -u > "$T/keys"
}
run "plan json for the formats page" 3 "$EWC" place $R --jobs "$S/jobs-unplaced.csv" --format json
keys_of "Plan"
missing=
while read -r k; do grep -q "$k" "$T/out" || missing="$missing $k"; done < "$T/keys"
[ -s "$T/keys" ] && [ -z "$missing" ] && ok "formats.md: every plan field is written" ||
	no "formats.md names fields a plan lacks:$missing" "$T/out"
run "frontier json for the formats page" 0 "$EWC" frontier $R --jobs "$S/jobs.csv" --points 5 --format json
keys_of "Frontier"
missing=
while read -r k; do grep -q "$k" "$T/out" || missing="$missing $k"; done < "$T/keys"
[ -s "$T/keys" ] && [ -z "$missing" ] && ok "formats.md: every frontier field is written" ||
	no "formats.md names fields a frontier lacks:$missing" "$T/out"

# --- golden tables: one number format, headers in capitals, singular and plural ---
run "regions list table" 0 "$EWC" regions list $R
same "$S/regions-list.txt" "regions list table"
run "frontier table" 0 "$EWC" frontier $R --jobs "$S/jobs.csv" --points 3
same "$S/frontier.txt" "frontier table, with the points left out and why"
run "whatif table" 0 "$EWC" whatif $R --jobs "$S/jobs.csv" --set west1.A100.price=+1
same "$S/whatif.txt" "whatif table: 800 CNY more, no job changes place"

# --- frontier --point K: that point's plan, as place gives it, and recorded --------
run "frontier --point 1 is the cost plan" 0 "$EWC" frontier $R --jobs "$S/jobs.csv" --points 3 --point 1 --format csv
cp "$T/out" "$T/point1.csv"
run "place --mode cost" 0 "$EWC" place $R --jobs "$S/jobs.csv" --mode cost --format csv
cmp -s "$T/out" "$T/point1.csv" && ok "frontier --point 1 gives the --mode cost plan, in place's CSV" ||
	no "frontier --point 1" "$T/point1.csv"
run "frontier --point 9 of 3" 1 "$EWC" frontier $R --jobs "$S/jobs.csv" --points 3 --point 9
run "frontier --commit without --point" 2 "$EWC" frontier $R --jobs "$S/jobs.csv" --commit --db "$T/fp.db"
run "frontier --point 1 --commit" 0 "$EWC" frontier $R --jobs "$S/jobs.csv" --points 3 --point 1 \
	--commit --db "$T/fp.db" --now 2026-11-22T06:00:00Z
[ "$(sqlite3 "$T/fp.db" 'SELECT count(*) FROM placements')" = 2 ] &&
	ok "frontier --point --commit records the point's plan" || no "frontier commit"

# --- whatif adds a GPU type a region does not list, priced, and says so ------------
run "whatif adds X2 to east1" 0 "$EWC" whatif $R --jobs "$S/jobs.csv" \
	--set east1.X2.free=+8 --set east1.X2.price=9
grep -qx "Added: east1 gets X2 (8 free at 9.00 CNY/GPU-h)." "$T/out" &&
	ok "whatif says which type it added" || no "whatif added" "$T/out"
run "whatif: a type added without a price" 1 "$EWC" whatif $R --jobs "$S/jobs.csv" --set east1.X2.free=+8
grep -q 'east1 gets X2 GPUs, with no price: set it too (east1.X2.price=CNY per GPU-hour)' "$T/err" &&
	ok "whatif: no pool without a price" || no "whatif unpriced" "$T/err"

# --- with --format json, the errors are JSON too -------------------------------
printf 'id,kind,gpu_type,gpus,hours,origin\nA,train,A100,0,10,city\nB,train,A1000,8,-1,city\n' > "$T/bad-json.csv"
"$EWC" place $R --jobs "$T/bad-json.csv" --format json > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["format"], d["code"], d["exit"], [(m["line"], m["field"]) for m in d["messages"]])' "$T/err")" = \
	"ewc.messages/1 input 1 [(2, 'gpus'), (3, 'gpu_type'), (3, 'hours')]" ] &&
	ok "--format json: every input problem as JSON on stderr, with line and field" ||
	no "JSON errors: rc $rc" "$T/err"
"$EWC" place $R --jobs "$S/jobs.csv" --format json --solver simplex > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 2 ] && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["code"], d["exit"], d["messages"][0]["message"])' "$T/err")" = \
	'usage 2 --solver: use auto, direct or decompose, not "simplex"' ] &&
	ok "--format json: a usage error as JSON, exit 2" || no "JSON usage error: rc $rc" "$T/err"

# --- bad input: exact messages, exit 1, nothing written ------------------------
run "bad jobs" 1 "$EWC" place $R --jobs "$S/jobs-bad.csv"
err_is "ewc: $S/jobs-bad.csv:3: gpus: must be an integer > 0, got \"four\"
ewc: $S/jobs-bad.csv:4: kind: must be train or infer, got \"serve\"" "bad jobs messages"
[ -s "$T/out" ] && no "bad jobs wrote to stdout" || ok "bad jobs wrote nothing"
run "bad regions" 1 "$EWC" place --regions "$S/gpus.xml" --regions "$S/bad-regions.xml" --jobs "$S/jobs.csv"
err_is "ewc: $S/bad-regions.xml:4: gpu@free: must be an integer from 0 to 1e+12, got \"-3\"" "bad regions message"
run "missing jobs file" 1 "$EWC" place $R --jobs "$T/none.csv"
err_is "ewc: $T/none.csv: cannot open: No such file or directory" "missing jobs message"

# --- usage errors: exit 2 ------------------------------------------------------
run "unknown option" 2 "$EWC" place $R --jobs "$S/jobs.csv" --frob
err_is "ewc: unknown option --frob
ewc: try 'ewc help place'" "unknown option message"
run "bad mode" 2 "$EWC" place $R --jobs "$S/jobs.csv" --mode greedy
run "bad format" 2 "$EWC" place $R --jobs "$S/jobs.csv" --format xml
run "no --jobs" 2 "$EWC" place $R
run "negative gap" 2 "$EWC" place $R --jobs "$S/jobs.csv" --gap -1
run "carbon price outside balanced mode" 2 "$EWC" place $R --jobs "$S/jobs.csv" --mode cost --carbon-price 50
run "option without its value" 2 "$EWC" place $R --jobs

# --- outputs are whole or absent -------------------------------------------------
run "json to a file" 0 "$EWC" place $R --jobs "$S/jobs.csv" --format json --output "$T/plan.json"
[ -s "$T/out" ] && no "--output also wrote to stdout" || ok "--output leaves stdout empty"
grep -q '"objective_unit": "CNY"' "$T/plan.json" && ok "json file written" || no "json file written"
cp "$T/plan.json" "$T/before.json"
run "failed run keeps the old output" 1 "$EWC" place $R --jobs "$S/jobs-bad.csv" --output "$T/plan.json"
cmp -s "$T/plan.json" "$T/before.json" && ok "old output intact" || no "old output intact"
run "output into a missing folder" 1 "$EWC" place $R --jobs "$S/jobs.csv" --output "$T/no/such/plan.txt"
ls "$T" | grep -q 'plan.json.' && no "temporary file left behind" || ok "no temporary file left behind"

# --- the LP model solves to the plan's objective ----------------------------------
run "write-lp" 0 "$EWC" place $R --jobs "$S/jobs.csv" --format csv --write-lp "$T/m.lp"
if command -v glpsol > /dev/null 2>&1; then
	glpsol --lp "$T/m.lp" -o "$T/sol.txt" > /dev/null 2>&1
	lp=$(awk '/^Objective:/ { print $4 }' "$T/sol.txt")
	plan=$(awk -F, 'NR > 1 { s += $14 } END { printf "%.6f", s }' "$T/out")
	if awk -v a="$lp" -v b="$plan" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d < 1e-6 * (b > 1 ? b : 1)) }'; then
		ok "glpsol on the LP file: objective $lp = plan $plan"
	else
		no "glpsol on the LP file: objective '$lp', plan $plan" "$T/sol.txt"
	fi
else
	no "glpsol is not installed (apt-get install glpk-utils)"
fi

# --- state: place --commit and ewc jobs ------------------------------------------
DB="$T/state.db"
run "place without --commit writes nothing" 0 env EWC_DB="$DB" "$EWC" place $R --jobs "$S/jobs.csv"
[ -e "$DB" ] && no "no database without --commit" || ok "no database without --commit"
run "--db without --commit reads feed data, from a database that exists" 1 \
	"$EWC" place $R --jobs "$S/jobs.csv" --db "$DB"
err_is "ewc: $DB: no such database (ewc place --commit or ewc regions sync makes it)" \
	"--db without --commit message"
run "bad --now" 2 "$EWC" place $R --jobs "$S/jobs.csv" --commit --db "$DB" --now 2026-02-30T00:00:00Z
err_is "ewc: --now: want a UTC time like 2026-11-22T06:00:00Z, got \"2026-02-30T00:00:00Z\"
ewc: try 'ewc help place'" "bad --now message"
run "place --commit" 0 "$EWC" place $R --jobs "$S/jobs.csv" --commit --db "$DB" --now 2026-11-22T06:00:00Z
same "$S/place.txt" "the committed plan is the same report"
err_is "ewc: recorded as run 1 in $DB: 2 jobs started" "commit message"
run "place --db on a state with no feed data" 0 "$EWC" place $R --jobs "$S/jobs.csv" --db "$DB" \
	--now 2026-11-22T07:00:00Z
err_is "ewc: warning: the database holds no feed data (ewc regions sync stores it): planning on the descriptors' figures as given" \
	"--db with no feed data: said once"
# the ledger: descriptors as of before the commit do not know of T and I
sed 's/<regions>/<regions as-of="2026-11-21T00:00:00Z">/' "$S/hubs.xml" > "$T/hubs-old.xml"
run "place --db on descriptors older than the runs" 0 "$EWC" place --regions "$S/gpus.xml" \
	--regions "$T/hubs-old.xml" --jobs "$S/jobs.csv" --db "$DB" --now 2026-11-22T07:00:00Z
grep -q "^Capacity ledger: 12 GPUs held by runs committed after the regions' figures were taken are not counted as free.$" "$T/out" &&
	ok "the ledger takes T's 8 and I's 4 GPUs off, and says so" || no "ledger line" "$T/out"
run "jobs list" 0 env EWC_DB="$DB" "$EWC" jobs list --format csv
printf '%s\n' "job,kind,state,region,gpu_type,gpus,hours,origin,started_at,finished_at" \
	"T,train,running,west1,A100,8,100,city,2026-11-22T06:00:00Z," \
	"I,infer,running,east1,A100,4,10,city,2026-11-22T06:00:00Z," > "$T/want"
same "$T/want" "jobs list: both running where the plan put them"
run "jobs list table" 0 "$EWC" jobs list --db "$DB"
printf '%s\n' \
	"JOB                      KIND  STATE    REGION                    GPUS   TYPE           HOURS    SINCE" \
	"T                        train running  west1                        8 x A100             100 h  2026-11-22T06:00:00Z" \
	"I                        infer running  east1                        4 x A100              10 h  2026-11-22T06:00:00Z" > "$T/want"
same "$T/want" "jobs list table"
run "jobs list as JSON" 0 "$EWC" jobs list --db "$DB" --format json
[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["format"], [(j["job"], j["state"], j["region"], j["gpus"]) for j in d["jobs"]])' "$T/out")" = \
	"ewc.jobs/1 [('T', 'running', 'west1', 8), ('I', 'running', 'east1', 4)]" ] &&
	ok "jobs list JSON" || no "jobs list JSON" "$T/out"
run "the same jobs again" 1 "$EWC" place $R --jobs "$S/jobs.csv" --commit --db "$DB"
err_is "ewc: $DB: job \"T\" is already running (since 2026-11-22T06:00:00Z); finish or remove it first" \
	"a running job is not placed twice"
run "jobs finish" 0 "$EWC" jobs finish T --db "$DB" --now 2026-11-26T10:00:00Z
run "jobs finish again" 1 "$EWC" jobs finish T --db "$DB"
err_is "ewc: $DB: no job \"T\" that is still running" "finish message"
run "jobs remove" 0 "$EWC" jobs remove I --db "$DB"
run "jobs list after" 0 "$EWC" jobs list --db "$DB" --format csv
printf '%s\n' "job,kind,state,region,gpu_type,gpus,hours,origin,started_at,finished_at" \
	"T,train,finished,,A100|X2,8,100,city,,2026-11-26T10:00:00Z" > "$T/want"
same "$T/want" "jobs list: T finished, I gone"
run "jobs: no such database" 1 "$EWC" jobs list --db "$T/none.db"
err_is "ewc: $T/none.db: no such database (ewc place --commit or ewc regions sync makes it)" "missing database message"
printf 'not a database at all, just text that someone named ewc.db\n' > "$T/junk.db"
cp "$T/junk.db" "$T/junk.orig"
run "a file that is not a database" 1 "$EWC" place $R --jobs "$S/jobs.csv" --commit --db "$T/junk.db"
err_is "ewc: $T/junk.db: not an ewc database (not SQLite, or damaged); left untouched" "junk database message"
cmp -s "$T/junk.db" "$T/junk.orig" && ok "junk database untouched" || no "junk database untouched"
[ -s "$T/out" ] && no "no report of an unrecorded plan" "$T/out" || ok "no report of an unrecorded plan"
run "jobs: unknown subcommand" 2 "$EWC" jobs show --db "$DB"

# --- metrics: an OpenMetrics file of what the run did, written before the commit
MDB="$T/metrics.db"
run "place --commit --metrics" 0 "$EWC" place $R --jobs "$S/jobs.csv" --commit --db "$MDB" \
	--now 2026-11-22T06:00:00Z --metrics "$T/place.prom"
if grep -q '^ewc_jobs_placed{run="place"} 2$' "$T/place.prom" &&
	grep -q '^ewc_gpus_used{region="west1",gpu_type="A100"} 8$' "$T/place.prom" &&
	grep -q '^ewc_gpus_used{region="east1",gpu_type="A100"} 4$' "$T/place.prom" &&
	grep -q '^ewc_plan_carbon_grams{run="place",basis="location"} ' "$T/place.prom" &&
	[ "$(tail -n 1 "$T/place.prom")" = "# EOF" ]; then
	ok "metrics: jobs placed, GPUs per region and type, both carbon bases, # EOF"
else no "metrics file" "$T/place.prom"; fi
if command -v promtool > /dev/null; then
	promtool check metrics < "$T/place.prom" > "$T/lint" 2>&1 &&
		ok "promtool check metrics: the place metrics pass" || no "promtool" "$T/lint"
elif [ "${EWC_REQUIRE_PROMTOOL:-0}" = 1 ]; then
	no "promtool is needed to check the metrics format"
fi
run "place --commit --metrics into a missing folder" 1 "$EWC" place $R --jobs "$S/jobs-unplaced.csv" \
	--commit --db "$MDB" --metrics "$T/no/such/m.prom"
[ "$(sqlite3 "$MDB" 'SELECT count(*) FROM runs')" = 1 ] && ok "metrics that cannot be written: nothing recorded" ||
	no "a run was recorded"

# --- rebalance: the nights of tests/check_rebalance.c, by the command line ------------
RB="$top_srcdir/tests/cli/rebalance"
RG="--regions $S/gpus.xml"
DB="$T/nights.db"
run "rebalance: no such database" 1 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml"
err_is "ewc: $DB: no such database (ewc place --commit or ewc regions sync makes it)" "rebalance: missing database message"
[ -e "$DB" ] && no "rebalance made no database" || ok "rebalance made no database"
run "rebalance: bad --margin" 2 "$EWC" rebalance --db "$DB" --margin -1
run "rebalance: bad --max-moves" 2 "$EWC" rebalance --db "$DB" --max-moves 1.5
err_is "ewc: --max-moves: want a whole number >= 0, got 1.5
ewc: try 'ewc help rebalance'" "rebalance: --max-moves message"
run "night 0: place --commit, both jobs east" 0 "$EWC" place $RG --regions "$RB/night0.xml" \
	--jobs "$RB/jobs.csv" --commit --db "$DB" --now 2026-11-22T00:00:00Z --format csv
[ "$(awk -F, 'NR > 1 { print $1 $4 }' "$T/out" | tr '\n' ' ')" = "Aeast1 Beast1 " ] &&
	ok "night 0: A and B east" || no "night 0: A and B east" "$T/out"
cp "$DB" "$T/night0.db"
run "night 1, not recorded" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z
same "$RB/night1.txt" "night 1: A moves west, B stays (hand-computed)"
run "night 1 metrics" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z --metrics "$T/night1.prom"
grep -q '^ewc_rebalance_moves 1$' "$T/night1.prom" &&
	grep -q '^ewc_gpus_used{region="west1",gpu_type="A100"} 4$' "$T/night1.prom" &&
	ok "rebalance metrics: one move, A's 4 GPUs in west1" || no "rebalance metrics" "$T/night1.prom"
if command -v promtool > /dev/null; then
	promtool check metrics < "$T/night1.prom" > "$T/lint" 2>&1 &&
		ok "promtool check metrics: the rebalance metrics pass" || no "promtool" "$T/lint"
fi
cmp -s "$DB" "$T/night0.db" && ok "without --commit nothing is written" || no "without --commit nothing is written"
run "night 1, csv" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z --format csv
printf '%s\n' "job,kind,gpus,from_region,from_type,to_region,to_type,hours_left,migration_cny,cost_stay_cny,cost_to_cny,saving_cny,carbon_avoided_kg" \
	"A,train,4,east1,A100,west1,A100,90,42,3690,2936.84,711.16,43.2" > "$T/want"
same "$T/want" "night 1 csv: the move and its figures"
run "night 1, margin 20" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z --margin 20 --format json
grep -q '"moved": 0,' "$T/out" && grep -q '"moves": \[\]' "$T/out" && ok "margin 20: nothing moves" ||
	no "margin 20: nothing moves" "$T/out"
run "night 1, --max-moves 0" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z --max-moves 0 --format json
grep -q '"moved": 0,' "$T/out" && ok "--max-moves 0: nothing moves" || no "--max-moves 0: nothing moves" "$T/out"
run "night 1 --commit" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" \
	--now 2026-11-22T10:00:00Z --commit --format json
err_is "ewc: recorded as run 2 in $DB: 1 job moved" "night 1: commit message"
grep -q '"run": 2,' "$T/out" && ok "night 1 json names its run" || no "night 1 json names its run" "$T/out"
run "night 2 --commit" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night2.xml" \
	--now 2026-11-23T10:00:00Z --commit --format csv
[ "$(awk -F, 'NR > 1 { print $1, $4, $6, $8 }' "$T/out")" = "A west1 east1 66" ] &&
	ok "night 2: A back east with 66 h left" || no "night 2: A back east with 66 h left" "$T/out"
run "night 3 --commit, with the report" 0 "$EWC" rebalance --db "$DB" $RG --regions "$RB/night2.xml" \
	--now 2026-11-24T10:00:00Z --commit --report "$T/night3.html"
grep -q '^No job gains enough from moving: everything stays.$' "$T/out" && ok "night 3: nothing moves" ||
	no "night 3: nothing moves" "$T/out"
# like with like: nothing moved and no figure changed since night 2, so the
# running set costs what it cost then: 21 CNY an hour for A's 4 east GPUs
grep -qx 'Since the previous run, #3 (rebalance, 2026-11-23T10:00:00Z): 0.00 CNY and 0.0 kg a day.' "$T/out" &&
	grep -qx 'Running set: 504.00 CNY and 23.0 kg CO2 a day.' "$T/out" &&
	grep -qx 'No region figure changed since the previous run.' "$T/out" &&
	ok "night 3 compares with night 2: no figure changed, no change, at 504 CNY a day" ||
	no "night 3 compares with night 2" "$T/out"
grep -q '^Left out: B: past its planned 12 h on A100' "$T/out" && ok "B, past its hours, is left out" ||
	no "B, past its hours, is left out" "$T/out"
run "jobs list after three nights" 0 "$EWC" jobs list --db "$DB" --format csv --running
printf '%s\n' "job,kind,state,region,gpu_type,gpus,hours,origin,started_at,finished_at" \
	"A,train,running,east1,A100,4,66,city,2026-11-23T10:00:00Z," \
	"B,train,running,east1,A100,4,12,city,2026-11-22T00:00:00Z," > "$T/want"
same "$T/want" "three nights: A restarted east on night 2"
if command -v xmllint > /dev/null; then
	# the report parses as HTML and its trend has the four runs, oldest first
	runs=$(xmllint --html --xpath '//*[@id="chart-trend-cost"]//*[@data-run]/@data-run' "$T/night3.html" 2>/dev/null | tr -dc '0-9 ')
	[ "$(echo $runs)" = "1 2 3 4" ] && ok "report: trend of the four runs" || no "report: trend of the four runs: '$runs'"
	n=$(xmllint --html --xpath 'count(//script|//link|//img|//*[@src])' "$T/night3.html" 2>/dev/null)
	[ "$n" = "0" ] && ok "report: nothing external" || no "report: nothing external ($n)"
else
	no "xmllint is not installed (apt-get install libxml2-utils)"
fi
# a job named like markup stays text in the report
printf '%s\n' "id,kind,gpu_type,gpus,hours,origin,data_gb,checkpoint_gb" \
	'"<script>alert(1)</script>&x",train,A100,4,100,city,100,200' > "$T/hostile.csv"
"$EWC" place $RG --regions "$RB/night0.xml" --jobs "$T/hostile.csv" --commit --db "$T/hostile.db" \
	--now 2026-11-22T00:00:00Z > /dev/null 2>&1
run "report of a job named like markup" 0 "$EWC" rebalance --db "$T/hostile.db" $RG \
	--regions "$RB/night1.xml" --now 2026-11-22T10:00:00Z --report "$T/hostile.html"
grep -q '<td>&lt;script&gt;alert(1)&lt;/script&gt;&amp;x</td>' "$T/hostile.html" && ! grep -q '<script' "$T/hostile.html" &&
	ok "report escapes the job's name" || no "report escapes the job's name"
printf 'not a database at all\n' > "$T/junk.db"; cp "$T/junk.db" "$T/junk.orig"
run "rebalance on a file that is not a database" 1 "$EWC" rebalance --db "$T/junk.db" $RG \
	--regions "$RB/night2.xml" --commit
err_is "ewc: $T/junk.db: not an ewc database (not SQLite, or damaged); left untouched" "rebalance: junk database message"
cmp -s "$T/junk.db" "$T/junk.orig" && ok "rebalance: junk database untouched" || no "rebalance: junk database untouched"
# a damaged ewc database: a b-tree page overwritten
cp "$T/night0.db" "$T/damaged.db"
printf '%4096s' '' | tr ' ' 'Z' | dd of="$T/damaged.db" bs=4096 seek=2 conv=notrunc 2> /dev/null
cp "$T/damaged.db" "$T/damaged.orig"
run "rebalance on a damaged database" 1 "$EWC" rebalance --db "$T/damaged.db" $RG \
	--regions "$RB/night2.xml" --commit
grep -q "^ewc: $T/damaged.db: the database is damaged (.*); left untouched: restore it from a backup\$" "$T/err" &&
	ok "damaged database message" || no "damaged database message" "$T/err"
cmp -s "$T/damaged.db" "$T/damaged.orig" && [ ! -e "$T/damaged.db-wal" ] && ok "damaged database untouched" ||
	no "damaged database untouched"

# --- regions -------------------------------------------------------------------
run "regions validate (shipped)" 0 "$EWC" regions validate "$HUBS"
printf 'ok: 10 regions, 6 GPU types, 60 links\n' > "$T/want"; same "$T/want" "shipped regions counted"
run "regions list (shipped)" 0 "$EWC" regions list "$HUBS"
[ "$(wc -l < "$T/out")" -eq 11 ] && ok "list: header + 10 regions" || no "list: header + 10 regions" "$T/out"
run "regions validate (bad)" 1 "$EWC" regions validate "$S/gpus.xml" "$S/bad-regions.xml"
run "regions from EWC_REGIONS" 0 env EWC_REGIONS="$HUBS" "$EWC" regions validate
run "regions: unknown subcommand" 2 "$EWC" regions show

# --- the shipped hubs and example jobs: training west, strict SLOs east ------------
run "place the example" 0 "$EWC" place --regions "$HUBS" --jobs "$EX" --format csv
# columns: job,kind,origin,region,zone,...; sovereign-finetune is pinned east
bad=$(awk -F, 'NR > 1 && $2 == "train" && $1 != "sovereign-finetune" && $5 != "west" { print $1 }' "$T/out")
[ -z "$bad" ] && ok "training lands west" || no "training not west: $bad"
bad=$(awk -F, 'NR > 1 && ($1 == "chat-shanghai" || $1 == "search-guangzhou" || $1 == "assistant-chengdu") && $5 != "east" { print $1 }' "$T/out")
[ -z "$bad" ] && ok "5 ms SLO inference stays east" || no "strict-SLO inference not east: $bad"
awk -F, 'NR > 1 && $1 == "sovereign-finetune" { exit !($4 == "hebei-zhangjiakou") }' "$T/out" && ok "pin kept" || no "pin kept"
run "example, table" 0 "$EWC" place --regions "$HUBS" --jobs "$EX"
grep -q '^Cost: .* CNY less than keeping jobs near their origin' "$T/out" && ok "report states the saving" || no "report states the saving" "$T/out"
grep -q '^Training: 7 of 8 placed jobs in the west' "$T/out" && ok "report counts training in the west" || no "report counts training in the west" "$T/out"

tally
