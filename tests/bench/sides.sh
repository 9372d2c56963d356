#!/bin/sh
# sides.sh - side rows at scale: policies, the frontier's points and a
# binding move cap on 10,000 jobs of the shortage generator's national
# family. Usage (from the build folder): tests/bench/sides.sh [RUNS]
# Environment: SIZE (default 10000), LIMIT (place's --time-limit, default 5).
# For each command: the median, min and max wall time over RUNS runs
# (default 3), the peak RSS, and the worst gap of any run (the frontier:
# of any point); "no plan" counts the runs that found none.
set -eu
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
RUNS=${1:-3}
SIZE=${SIZE:-10000}
LIMIT=${LIMIT:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-sides.XXXXXX")
trap 'rm -rf "$T"' EXIT

# run LABEL ARGS...: ewc ARGS --format json, RUNS times
run() {
	label=$1; shift
	i=0
	: > "$T/times"
	: > "$T/gaps"
	while [ "$i" -lt "$RUNS" ]; do
		rm -f "$T/out.json"
		/usr/bin/time -f "%e %M" -o "$T/one" "$EWC" "$@" --format json --output "$T/out.json" \
			> /dev/null 2>&1 || true
		tail -n 1 "$T/one" >> "$T/times"
		python3 - "$T/out.json" >> "$T/gaps" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("none"); sys.exit()
if "points" in d:
    print(len(d["points"]), max(p["gap"] for p in d["points"]))
elif "totals" in d:
    print(1, d["totals"]["gap"])
else:
    print(1, d["gap"])
PY
		i=$((i + 1))
	done
	sort -n "$T/times" | awk -v l="$label" -v g="$T/gaps" '{ t[NR] = $1; if ($2 > r) r = $2 }
		END { while ((getline line < g) > 0) { split(line, f, " ")
			if (f[1] == "none") none++; else { if (f[2] > w) w = f[2]; if (n == "" || f[1] < n) n = f[1] } }
		      printf "%-40s median %6.2f s  min %6.2f  max %6.2f  %4.0f MB  worst gap %.4f %%", l,
		      t[int((NR + 1) / 2)], t[1], t[NR], r / 1024, 100 * w
		      if (n != "" && n > 1) printf "  points >= %d", n
		      if (none) printf "  no plan %d", none
		      printf "\n" }'
}

for cd in 1.3 0.8; do
	python3 "$top_srcdir/tests/bench/shortage.py" gen national "$SIZE" 1 "$cd" "$T/i" > /dev/null
	R="--regions $T/i --jobs $T/i/jobs.csv"
	"$EWC" place $R --mode cost --format json --output "$T/free.json" --time-limit "$LIMIT" \
		> /dev/null 2>&1 || true
	kg=$(python3 -c "import json; print(int(json.load(open('$T/free.json'))['totals']['carbon_kg']))")
	share=$(python3 -c "import json; print(round(json.load(open('$T/free.json'))['totals']['green_share'], 3))")
	green=$(python3 -c "print(round($share + 0.02, 3))")
	echo "national $SIZE jobs, capacity/demand $cd (free plan, --mode cost: $kg kg, green share $share)"
	run "place --carbon-budget (free - 4 %)" place $R --mode cost --time-limit "$LIMIT" \
		--carbon-budget "$(python3 -c "print(int($kg * 0.96))")"
	run "place --carbon-budget (free - 8 %)" place $R --mode cost --time-limit "$LIMIT" \
		--carbon-budget "$(python3 -c "print(int($kg * 0.92))")"
	run "place --max-region-share 0.2" place $R --mode cost --time-limit "$LIMIT" \
		--max-region-share 0.2
	run "place --min-green-share (free + 0.02)" place $R --mode cost --time-limit "$LIMIT" \
		--min-green-share "$green"
	run "frontier --points 11 --gap 0.001" frontier $R --points 11 --gap 0.001 \
		--time-limit "$LIMIT"
	rm -rf "$T/i"
done
