#!/bin/sh
# shortage.sh - the shortage table of docs/performance.md: ewc place on the
# hard families of tests/bench/shortage.py, each plan checked against the
# inputs by that script's own model, beside CBC on the same model.
#
# Run from the build tree (make bench-shortage). Environment:
#   BENCH_DIR  where the instances go (default: a fresh temporary folder)
#   RUNS       runs of ewc per instance, for the median time (3)
#   SPECS      "family:jobs:ratio[:limit] ..." (default below: the table of
#              docs/performance.md)
#   LIMIT      ewc's --time-limit in seconds where a spec names none (3)
#   CBC        "no" to skip CBC; else it runs when `cbc` is installed, given
#              CBC_SEC seconds a phase (default: 10 x ewc's median time, at
#              least 30), on lists of at most 20,000 jobs
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
ewc=src/ewc
runs=${RUNS:-3}
limit=${LIMIT:-3}
dir=${BENCH_DIR:-$(mktemp -d)}
specs=${SPECS:-"national:300:0.9 national:500:0.8 national:1000:1.05 national:2000:1.3
national:1000:0.6 scarce:1000:1.0 bigjobs:300:0.9 equal:1000:0.8 wideprio:1000:0.9
national:10000:1.3 national:10000:0.8 national:100000:1.3:15 national:100000:0.8:15"}
[ -x "$ewc" ] || { echo "shortage.sh: run it from the build tree after make" >&2; exit 1; }
use_cbc=no
[ "${CBC:-yes}" != no ] && command -v cbc > /dev/null && use_cbc=yes

echo "instances in $dir; $runs runs each; time limit $limit s unless a spec names one; cbc: $use_cbc"
printf '%-9s %7s %5s | %10s %10s %8s | %14s %14s %8s | %7s %7s %6s | %s\n' \
	family jobs ratio priority bound "p-gap%" objective lower_bound "gap%" "med s" "max s" MB \
	"cbc: priority (bound) objective, s"
for spec in $specs; do
	fam=${spec%%:*}; rest=${spec#*:}; n=${rest%%:*}; ratio=${rest#*:}
	lim=$limit
	case $ratio in *:*) lim=${ratio#*:}; ratio=${ratio%%:*} ;; esac
	inst=$dir/$fam-$n-$ratio
	python3 "$srcdir/tests/bench/shortage.py" gen "$fam" "$n" 1 "$ratio" "$inst" || exit 1
	: > "$inst/times"
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f '%e %M' -o "$inst/time.$i" "$ewc" place --regions "$inst" \
			--jobs "$inst/jobs.csv" --time-limit "$lim" --format json \
			--output "$inst/plan.json" 2> "$inst/err"
		rc=$?
		[ $rc -le 3 ] || { cat "$inst/err"; exit 1; }
		tail -1 "$inst/time.$i" >> "$inst/times"
		i=$((i + 1))
	done
	med=$(sort -n "$inst/times" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
	max=$(sort -n "$inst/times" | tail -1 | cut -d' ' -f1)
	mb=$(awk '$2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$inst/times")
	cbcs=
	rm -f "$inst/cbc.json"
	if [ "$use_cbc" = yes ] && [ "$n" -le 20000 ]; then
		sec=${CBC_SEC:-$(awk -v t="$med" 'BEGIN { s = 10 * t; print s < 30 ? 30 : int(s + 0.5) }')}
		python3 "$srcdir/tests/bench/shortage.py" cbc "$inst" "$sec" > /dev/null || exit 1
	fi
	python3 "$srcdir/tests/bench/shortage.py" check "$inst" "$inst/plan.json" > "$inst/check.json" ||
		exit 1
	python3 - "$inst/check.json" "$fam" "$n" "$ratio" "$med" "$max" "$mb" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
fam, n, ratio, med, mx, mb = sys.argv[2:]
pb = c["reported_priority_bound"]
pgap = 100 * (pb - c["priority"]) / max(1, pb) if pb is not None else float("nan")
gap = 100 * (c["gap"] or 0)
cb = c.get("cbc")
cs = ""
if cb:
    b = cb["priority_bound"]
    cs = "%.10g (%s%s) %s, lb %s, %.0f s" % (
        cb["priority"], "%.10g" % b if b is not None else "?",
        ", proven" if cb["priority_proven"] else "",
        "%.10g" % cb["objective"] if cb.get("phase2_integer", True) else "no plan in phase 2",
        "%.10g" % cb["lower_bound"] if cb["lower_bound"] is not None else "?", cb["seconds"])
    if cb["priority"] == c["priority"] and cb["objective"] > 0 and cb.get("phase2_integer", True):
        cs += "; ewc objective %+.3f%%" % (100 * (c["objective"] - cb["objective"]) / cb["objective"])
    if "gap_to_cbc_bound" in c:
        cs += "; ewc to CBC's bound %.3f%%" % (100 * c["gap_to_cbc_bound"])
ok = "" if c["feasible"] and not c["problems"] else "  PROBLEM: " + "; ".join(c["problems"])
print("%-9s %7s %5s | %10.10g %10.10g %8.3f | %14.1f %14.1f %8.3f | %7s %7s %6s | %s%s" %
      (fam, n, ratio, c["priority"], pb if pb is not None else float("nan"), pgap,
       c["objective"], c["lower_bound"] or 0, gap, med, mx, mb, cs, ok))
EOF
done
