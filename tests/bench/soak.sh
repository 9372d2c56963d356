#!/bin/sh
# soak.sh - many nights on one state database, with writers at the same
# time. Usage (from the build folder): tests/bench/soak.sh [JOBS] [NIGHTS]
# (make bench-soak: 100,000 running jobs, 30 nights; LIMIT=S the solver's
# seconds a rebalancing, default 30).
#
# A state of JOBS running jobs (tests/bench/gen.py, tightness 1.3, as of
# 2026-11-20) is committed. Then, night after night, the power prices move
# (a feed would bring them: each night's descriptors differ) and
# `rebalance --commit` runs while, at the same moment, two `place --commit`
# writers each add a small list of new jobs and `jobs finish` ends one
# job. The nights are a day apart (--now). Printed: runs landed, runs
# refused with a message (a rebalancing whose running set changed under it,
# a plan the capacity ledger refuses), lost updates (a writer that said it
# landed whose jobs are not in the database: must be 0), overbooked pools
# (GPUs running in a pool beyond its free count: must be 0), the database's
# growth per night, and the slowest run.
set -u
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
N=${1:-100000}
NIGHTS=${2:-30}
LIMIT=${LIMIT:-30}   # seconds for each rebalancing's solver
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-soak.XXXXXX")
trap 'rm -rf "$T"' EXIT
python3 "$top_srcdir/tests/bench/gen.py" "$N" 1 1.3 "$T" > /dev/null
DB="$T/state.db"
sed 's/<regions>/<regions as-of="2026-11-19T00:00:00Z">/' "$T/regions.xml" > "$T/r0.xml"
/usr/bin/time -f "%e" -o "$T/t0" "$EWC" place --regions "$T/gpus.xml" --regions "$T/r0.xml" \
	--jobs "$T/jobs.csv" --commit --db "$DB" --now 2026-11-20T00:00:00Z --format csv \
	--time-limit 60 > /dev/null 2> "$T/err0"
running=$(sqlite3 "$DB" "SELECT count(*) FROM placements p JOIN jobs j ON j.id = p.job WHERE j.finished_at IS NULL")
echo "state: $running running jobs, committed in $(tail -n 1 "$T/t0") s, $(($(wc -c < "$DB") / 1024)) KB"
landed=0 refused=0 retried=0 lost=0 slowest=0 slowest_what=
size0=$(wc -c < "$DB")
night=1
while [ "$night" -le "$NIGHTS" ]; do
	day=$(printf '2026-%02d-%02d' $((11 + (20 + night - 1) / 30)) $((1 + (20 + night - 1) % 30)))
	now="${day}T02:00:00Z"
	# the night's prices: every power price moves by up to +-10 %, as a
	# feed would have them
	awk -v s="$night" 'BEGIN { srand(s) } /<power / { match($0, /price="[0-9.]+"/)
		p = substr($0, RSTART + 7, RLENGTH - 8) * (0.9 + 0.2 * rand())
		$0 = substr($0, 1, RSTART - 1) "price=\"" sprintf("%.4f", p) "\"" substr($0, RSTART + RLENGTH) }
		{ print }' "$T/r0.xml" > "$T/night.xml"
	for w in 1 2; do
		printf 'id,kind,gpu_type,gpus,hours,origin,data_gb\nsoak-%s-%s-a,train,A100,2,48,beijing,0\nsoak-%s-%s-b,train,910B,1,24,shanghai,0\n' \
			"$night" "$w" "$night" "$w" > "$T/w$w.csv"
	done
	victim=$(sqlite3 "$DB" "SELECT p.job FROM placements p JOIN jobs j ON j.id = p.job WHERE j.finished_at IS NULL ORDER BY p.rowid LIMIT 1 OFFSET $night")
	( /usr/bin/time -f "%e" -o "$T/tr" "$EWC" rebalance --regions "$T/gpus.xml" --regions "$T/night.xml" \
		--db "$DB" --now "$now" --commit --format csv --time-limit "$LIMIT" > /dev/null 2> "$T/er"
	  echo $? > "$T/rr" ) &
	for w in 1 2; do
		( /usr/bin/time -f "%e" -o "$T/tw$w" "$EWC" place --regions "$T/gpus.xml" --regions "$T/night.xml" \
			--jobs "$T/w$w.csv" --commit --db "$DB" --now "$now" --format csv > /dev/null 2> "$T/ew$w"
		  echo $? > "$T/rw$w" ) &
	done
	( "$EWC" jobs finish "$victim" --db "$DB" --now "$now" > /dev/null 2> "$T/ef"; echo $? > "$T/rf" ) &
	wait
	for x in r w1 w2; do
		rc=$(cat "$T/r$x")
		t=$(tail -n 1 "$T/t$x")
		if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
			landed=$((landed + 1))
			case $x in w*)
				for id in $(tail -n +2 "$T/$x.csv" | cut -d, -f1); do
					[ "$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE id = '$id'")" = 1 ] ||
						lost=$((lost + 1))
				done ;;
			esac
		elif [ "$rc" = 1 ] && [ -s "$T/e$x" ]; then
			refused=$((refused + 1))
			sed -n 's/.*\(state changed\|capacity\|already running\|locked\).*/\1/p' "$T/e$x" | head -1 >> "$T/why"
		else
			echo "night $night $x: exit $rc"; cat "$T/e$x"
		fi
		if awk -v a="$t" -v b="$slowest" 'BEGIN { exit !(a > b) }'; then
			slowest=$t slowest_what="night $night $x"
		fi
	done
	# a rebalancing refused because the writers changed the running set is
	# planned again, as an operator's retry would
	if [ "$(cat "$T/rr")" = 1 ] && grep -q "state changed" "$T/er"; then
		"$EWC" rebalance --regions "$T/gpus.xml" --regions "$T/night.xml" --db "$DB" --now "$now" \
			--commit --format csv --time-limit "$LIMIT" > /dev/null 2> "$T/er2"
		rc=$?
		if [ $rc = 0 ] || [ $rc = 3 ]; then retried=$((retried + 1)); else
			echo "night $night retry: exit $rc"; cat "$T/er2"; fi
	fi
	night=$((night + 1))
done
# the audit: no pool holds more than the descriptors let free as of their
# figures (r0.xml, before any of the runs)
sqlite3 -separator ' ' "$DB" "SELECT p.region, p.gpu_type, sum(p.gpus) FROM placements p JOIN jobs j ON j.id = p.job WHERE j.finished_at IS NULL GROUP BY p.region, p.gpu_type" > "$T/held"
over=$(python3 - "$T/r0.xml" "$T/held" <<'PY'
import sys, xml.etree.ElementTree as ET
free = {}
for r in ET.parse(sys.argv[1]).getroot():
    for g in r.findall("gpu"):
        free[r.get("id"), g.get("type")] = int(g.get("free"))
n = 0
for line in open(sys.argv[2]):
    reg, typ, held = line.split()
    if int(held) > free.get((reg, typ), 0):
        n += 1
print(n)
PY
)
echo "integrity: $(sqlite3 "$DB" 'PRAGMA integrity_check')"
echo "runs landed $landed, refused with a message $refused ($(sort "$T/why" 2> /dev/null | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%s:%s", sep, n, $0; sep = ", " }')), lost updates $lost, overbooked pools $over; refused rebalancings that landed when run again: $retried"
echo "database growth per night: $((($(wc -c < "$DB") - size0) / NIGHTS / 1024)) KB; slowest run: $slowest s ($slowest_what)"
