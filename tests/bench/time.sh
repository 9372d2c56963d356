#!/bin/sh
# time.sh - the planning-over-time table of docs/performance.md: ewc place
# --horizon 168 on lists of tests/bench/gen_time.py (a week, tight eastern
# capacity, tariffs, hourly grid factors, maintenance), each plan checked
# against its inputs by tests/bench/time_check.py, beside CBC on the
# time-indexed model ewc writes (--write-lp) of the smaller lists.
#
# Run from the build tree (make bench-time). Environment:
#   BENCH_DIR  where the instances go (default: a fresh temporary folder)
#   RUNS       runs of ewc per list, for the median time (3)
#   SPECS      "jobs:tightness:limit ..." (default below)
#   CBC_MAX    the largest list CBC is given (default 300 jobs; "0": none)
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
ewc=src/ewc
runs=${RUNS:-3}
dir=${BENCH_DIR:-$(mktemp -d)}
specs=${SPECS:-"60:1.0:2 300:1.0:2 1000:1.0:2 1000:1.5:2 10000:1.0:10"}
cbc_max=${CBC_MAX:-300}
start=2026-12-07T00:00:00+08:00
[ -x "$ewc" ] || { echo "time.sh: run it from the build tree after make" >&2; exit 1; }
command -v cbc > /dev/null || cbc_max=0

echo "instances in $dir; $runs runs each; a week of 168 hourly slots from $start"
printf '%6s %5s %4s | %9s %9s | %14s %14s %8s | %6s %6s %6s | %s\n' jobs tight lim \
	priority bound objective lower_bound "gap%" "med s" "max s" MB "check; cbc"
for spec in $specs; do
	n=${spec%%:*}; rest=${spec#*:}; tight=${rest%%:*}; lim=${rest#*:}
	inst=$dir/$n-$tight
	python3 "$srcdir/tests/bench/gen_time.py" "$n" 1 "$tight" "$inst" || exit 1
	: > "$inst/times"
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f "%e %M" -o "$inst/t" "$ewc" place --regions "$inst" \
			--jobs "$inst/jobs.csv" --horizon 168 --start "$start" --format json \
			--time-limit "$lim" > "$inst/plan.json"
		tail -1 "$inst/t" >> "$inst/times"
		i=$((i + 1))
	done
	check=$(python3 "$srcdir/tests/bench/time_check.py" "$inst" "$inst/plan.json" | head -1 | cut -c1-2)
	med=$(cut -d' ' -f1 "$inst/times" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
	max=$(cut -d' ' -f1 "$inst/times" | sort -n | tail -1)
	mb=$(cut -d' ' -f2 "$inst/times" | sort -n | tail -1)
	cbcs=-
	if [ "$n" -le "$cbc_max" ]; then
		"$ewc" place --regions "$inst" --jobs "$inst/jobs.csv" --horizon 168 --start "$start" \
			--time-limit "$lim" --write-lp "$inst/m.lp" > /dev/null
		sec=$(awk -v m="$med" 'BEGIN { s = 10 * m; if (s < 30) s = 30; printf "%d", s }')
		cbc "$inst/m.lp" sec "$sec" solve solu "$inst/cbc.sol" > "$inst/cbc.log" 2>&1
		cbcs=$(head -1 "$inst/cbc.sol" | sed 's/ - objective value / /; s/  */ /g' | cut -c1-40)
		cbcs="$cbcs (${sec} s, phase 2 at ewc's phase-1 priority)"
	fi
	jq -r --arg n "$n" --arg t "$tight" --arg l "$lim" --arg med "$med" --arg max "$max" \
		--arg mb "$mb" --arg check "$check" --arg cbc "$cbcs" \
		'.totals | [$n, $t, $l, .priority_placed, .priority_bound, .objective, .lower_bound,
		 100 * .gap, ($med | tonumber), ($max | tonumber), (($mb | tonumber) / 1024), $check, $cbc] |
		 "\(.[0]|tostring) \(.[1]) \(.[2]) | \(.[3]) \(.[4]) | \(.[5]|floor) \(.[6]|floor) \(.[7]*100|floor/100) | \(.[8]) \(.[9]) \(.[10]|floor) | \(.[11]); \(.[12])"' \
		"$inst/plan.json"
done
