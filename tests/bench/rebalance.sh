#!/bin/sh
# rebalance.sh - how long `ewc rebalance` takes on a large running state.
# Usage: tests/bench/rebalance.sh [JOBS] [RUNS]   (from the build folder)
# The generated instance (tests/bench/gen.py, tightness 1.3) is placed and
# committed; then the power price of the first three regions rises by
# 0.4 CNY/kWh and the rebalancing runs RUNS times without a cap, with a cap
# that does not bind and with one that does (100 moves). Prints the median,
# min and max wall time and the peak RSS of each.
set -eu
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
N=${1:-10000}
RUNS=${2:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-rebalance.XXXXXX")
trap 'rm -rf "$T"' EXIT
python3 "$top_srcdir/tests/bench/gen.py" "$N" 1 1.3 "$T" > /dev/null
mkdir "$T/now"
cp "$T/gpus.xml" "$T/now/"
awk '/<power / && n < 3 { n++; match($0, /price="[0-9.]+"/)
	p = substr($0, RSTART + 7, RLENGTH - 8) + 0.4
	$0 = substr($0, 1, RSTART - 1) "price=\"" p "\"" substr($0, RSTART + RLENGTH) } { print }' \
	"$T/regions.xml" > "$T/now/regions.xml"
"$EWC" place --regions "$T/gpus.xml" --regions "$T/regions.xml" --jobs "$T/jobs.csv" \
	--commit --db "$T/state.db" --now 2026-11-20T00:00:00Z --format csv > /dev/null 2>&1 || true
running=$("$EWC" jobs list --running --db "$T/state.db" --format csv | tail -n +2 | wc -l)
echo "running jobs: $running"
measure() {
	label=$1; shift
	i=0
	: > "$T/times"
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$T/one" "$EWC" rebalance --regions "$T/now" \
			--db "$T/state.db" --now 2026-11-20T12:00:00Z --format csv "$@" > "$T/moves.csv"
		cat "$T/one" >> "$T/times"
		i=$((i + 1))
	done
	moves=$(($(wc -l < "$T/moves.csv") - 1))
	sort -n "$T/times" | awk -v l="$label" -v m="$moves" '{ t[NR] = $1; if ($2 > r) r = $2 }
		END { printf "%-22s moves %5d  median %7.2f s  min %7.2f  max %7.2f  peak RSS %4.0f MB\n",
		      l, m, t[int((NR + 1) / 2)], t[1], t[NR], r / 1024 }'
}
measure "no cap"
measure "cap 100000 (loose)" --max-moves 100000
measure "cap 100 (binding)" --max-moves 100
