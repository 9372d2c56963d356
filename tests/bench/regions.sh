#!/bin/sh
# regions.sh - how loading grows with the number of regions. Usage (from
# the build folder): tests/bench/regions.sh [RUNS]
# Writes descriptor files of 25,000, 50,000 and 100,000 regions (one GPU
# type and one link each, 500 sites; 100,000 regions are 19 MB, under the
# 64 MB cap) and times `ewc regions validate` on each: the median, min and
# max wall time and the peak RSS over RUNS runs (default 5). Near-linear
# growth is the claim: twice the regions, about twice the time.
set -eu
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
RUNS=${1:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-regions.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$top_srcdir/tests/bench/measure.sh"
for n in 25000 50000 100000; do
	awk -v n=$n 'BEGIN {
		print "<regions>"
		for (i = 0; i < n; i++)
			printf "<region id=\"r%d\" zone=\"west\"><power price=\"0.3\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.2\"/><gpu type=\"A100\" free=\"8\" price=\"10\"/><link site=\"s%d\" latency-ms=\"2\" price-per-gb=\"0\"/></region>\n", i, i % 500
		print "</regions>"
	}' > "$T/r$n.xml"
	measure "regions validate: $n regions" regions validate "$top_srcdir/regions/gpus.xml" "$T/r$n.xml"
done
