#!/bin/sh
# scale.sh - the solver benchmark of docs/performance.md: ewc_place() on
# three generated instances, and coinor-cbc on the same direct model.
#
# Run from the build tree (make bench-scale). Environment:
#   BENCH_DIR  where the instances go (default: a fresh temporary folder)
#   RUNS       runs per instance for the median (5)
#   GAP        the relative gap asked of ewc and of CBC (1e-4, the default)
#   CBC        "no" to skip CBC; otherwise it runs when `cbc` is installed
#   CBC_SEC    CBC's time limit per instance in seconds (900)
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
bench=tests/bench/bench_scale
ewc=src/ewc
runs=${RUNS:-5}
gap=${GAP:-0.0001}
cbc_sec=${CBC_SEC:-900}
dir=${BENCH_DIR:-$(mktemp -d)}
[ -x "$bench" ] && [ -x "$ewc" ] || { echo "scale.sh: run it from the build tree after make" >&2; exit 1; }
command -v python3 > /dev/null || { echo "scale.sh: needs python3 for tests/bench/gen.py" >&2; exit 1; }
use_cbc=no
[ "${CBC:-yes}" != no ] && command -v cbc > /dev/null && use_cbc=yes

echo "instances in $dir; $runs runs each; gap $gap; cbc: $use_cbc"
# jobs seed tightness
for spec in "10000 1 1.3" "100000 2 1.3" "1000 3 1.05"; do
	set -- $spec
	inst=$dir/n$1-s$2-t$3
	python3 "$srcdir/tests/bench/gen.py" "$1" "$2" "$3" "$inst" || exit 1
	line=$("$bench" "$inst" "$inst/jobs.csv" "$runs" auto "$gap" 300) || exit 1
	echo "ewc: tightness $3, $line"
	[ "$use_cbc" = yes ] || continue
	"$ewc" place --regions "$inst" --jobs "$inst/jobs.csv" --gap "$gap" \
		--write-lp "$inst/model.lp" --format json --output "$inst/plan.json"
	[ -s "$inst/model.lp" ] || { echo "scale.sh: no LP model written" >&2; exit 1; }
	(cd "$inst" && cbc model.lp sec "$cbc_sec" ratio "$gap" solve > cbc.log 2>&1)
	cobj=$(sed -n 's/^Objective value: *//p' "$inst/cbc.log" | tail -1)
	cwall=$(sed -n 's/.*(Wallclock seconds): *//p' "$inst/cbc.log" | tail -1)
	cstat=$(sed -n 's/^Result - //p' "$inst/cbc.log" | tail -1)
	eobj=$(echo "$line" | sed -n 's/.*objective \([0-9.]*\).*/\1/p')
	etime=$(echo "$line" | sed -n 's/.*place median \([0-9.]*\) s.*/\1/p')
	echo "cbc: tightness $3, jobs $1  $cstat  objective $cobj  wall $cwall s" |
		awk -v e="$eobj" -v c="$cobj" -v et="$etime" -v ct="$cwall" '{
			printf "%s  ewc/cbc objective %+.4f%%  cbc/ewc time %.1fx\n", $0,
			       c ? 100 * (e - c) / c : 0, et ? ct / et : 0 }'
done
