#!/bin/sh
# seed.sh SRCDIR TARGET DIR - fill DIR with the seed inputs of a fuzz target:
# the test fixtures of its format and its regression inputs
# (fuzz/regress/TARGET: every crash found, kept so it stays fixed).
set -eu
src=$1; t=$2; dir=$3
mkdir -p "$dir"
case $t in
regions) set -- "$src"/regions/hubs.xml "$src"/tests/cli/*/hubs.xml "$src"/tests/cli/planning/mid.xml ;;
catalog) set -- "$src"/regions/gpus.xml "$src"/tests/cli/*/gpus.xml ;;
jobs | place) set -- "$src"/examples/jobs.csv "$src"/tests/cli/*/jobs.csv ;;
map) set -- "$src"/tests/cli/feeds/*-map.csv ;;
cfe) set -- "$src"/tests/cli/feeds/cfe.csv "$src"/tests/cli/feeds/bad.csv ;;
casdk) set -- "$src"/tests/cli/feeds/casdk.json "$src"/tests/cli/feeds/bad.json ;;
em) set -- "$src"/tests/cli/feeds/em.json ;;
skypilot) set -- "$src"/tests/cli/feeds/vms.csv ;;
ewcxml) set -- "$src"/tests/cli/feeds/inventory.xml "$src"/tests/cli/feeds/hubs.xml ;;
*) echo "seed.sh: no target $t" >&2; exit 2 ;;
esac
for f in "$@" "$src"/fuzz/regress/"$t"/*; do
	[ -f "$f" ] || continue
	# one file per distinct input, named by its content
	cp "$f" "$dir/seed-$(cksum < "$f" | cut -d' ' -f1)"
done
