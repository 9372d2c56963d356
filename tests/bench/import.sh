#!/bin/sh
# import.sh - how long the importers take on large files. Usage (from the
# build folder): tests/bench/import.sh [RUNS]
# Generates a SkyPilot vms.csv of 200,000 rows (every region of the shipped
# hubs mapped, 5 accelerator types of which 3 are in the catalog), a Carbon
# Aware SDK file of 100,000 samples over 10 locations and a Google CFE CSV of
# 10,000 rows, and imports each into the shipped hubs. Prints the median,
# min and max wall time and the peak RSS of each over RUNS runs (default 5).
set -eu
top_srcdir=${top_srcdir:-.}
EWC=${EWC:-./src/ewc}
RUNS=${1:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-import.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$top_srcdir/tests/bench/measure.sh"
R="--regions $top_srcdir/regions"
ids=$(sed -n 's/.*<region id="\([^"]*\)".*/\1/p' "$top_srcdir/regions/hubs.xml")
{ echo external,region; for r in $ids; do echo "ext-$r,$r"; done; } > "$T/map.csv"
awk -v ids="$ids" 'BEGIN {
	n = split(ids, id, "\n"); split("A100 H800 910B A10G L4", acc, " ")
	print "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice"
	for (i = 0; i < 200000; i++)
		printf "vm-%d,%s,%d,96,1152,%.2f,ext-%s,,%.2f\n", i, acc[i % 5 + 1], 2 ^ (i % 4),
		       10 + (i % 97), id[i % n + 1], 3 + (i % 31)
}' > "$T/vms.csv"
awk -v ids="$ids" 'BEGIN {
	n = split(ids, id, "\n")
	printf "{\"Date\":\"2026-11-22T00:00:00Z\",\"Emissions\":["
	for (i = 0; i < 100000; i++)
		printf "%s{\"Location\":\"ext-%s\",\"Time\":\"2026-%02d-%02dT%02d:%02d:00Z\",\"Rating\":%d,\"Duration\":\"00:05:00\"}",
		       i ? "," : "", id[i % n + 1], 11, 1 + int(i / 10 / 288) % 28, int(i / 10 / 12) % 24, (i / 10 % 12) * 5, 100 + i % 700
	print "]}"
}' > "$T/casdk.json"
awk -v ids="$ids" 'BEGIN {
	n = split(ids, id, "\n")
	print "Google Cloud Region,Location,Google CFE,Grid carbon intensity (gCO2eq / kWh)"
	for (i = 0; i < 10000; i++)
		printf "%s,\"City %d, Country\",0.%02d,%d\n", i < n ? "ext-" id[i + 1] : "zone-" i, i, i % 100, 50 + i % 600
}' > "$T/cfe.csv"
measure "skypilot: 200,000 rows" regions import --from skypilot "$T/vms.csv" --map "$T/map.csv" \
	$R --currency-rate 7.2 --output "$T/o.xml"
measure "casdk: 100,000 samples" regions import --from casdk "$T/casdk.json" --map "$T/map.csv" \
	$R --output "$T/o.xml"
measure "google-cfe: 10,000 rows" regions import --from google-cfe "$T/cfe.csv" --map "$T/map.csv" \
	$R --output "$T/o.xml"
