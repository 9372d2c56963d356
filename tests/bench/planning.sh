#!/bin/sh
# planning.sh - how long the planner's tools take. Usage (from the build
# folder): tests/bench/planning.sh [RUNS]
# On the example jobs and shipped hubs: place, place --show-duals, a
# binding carbon budget, whatif and an 11-point frontier. On a generated
# instance of 10,000 jobs (tests/bench/gen.py 10000 1 1.3): place,
# --show-duals and whatif. Prints the median, min and max wall time and the
# peak RSS of each over RUNS runs (default 5).
set -eu
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
RUNS=${1:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-planning.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$top_srcdir/tests/bench/measure.sh"
R="--regions $top_srcdir/regions --jobs $top_srcdir/examples/jobs.csv"
measure "14 jobs: place" place $R
measure "14 jobs: place --show-duals" place $R --show-duals
measure "14 jobs: place --carbon-budget 200000 (binds)" place $R --carbon-budget 200000
measure "14 jobs: whatif (2 settings)" whatif $R --set ningxia-zhongwei.A100.free=+2000 \
	--set gansu-qingyang.power.price=0.30
measure "14 jobs: frontier --points 11" frontier $R --points 11
python3 "$top_srcdir/tests/bench/gen.py" 10000 1 1.3 "$T" > /dev/null
G="--regions $T/gpus.xml --regions $T/regions.xml --jobs $T/jobs.csv"
measure "10,000 jobs: place" place $G --format csv
measure "10,000 jobs: place --show-duals" place $G --show-duals --format json
measure "10,000 jobs: whatif (*.A100.free=+100)" whatif $G --set '*.A100.free=+100' --format csv
