#!/bin/sh
# fuzz-regress.sh - every fuzz target's seeds and regression inputs
# (fuzz/regress/TARGET: each crash the fuzzers found) through the same code
# as the harnesses, once each: in CI's ASan+UBSan build a crash that came
# back fails here.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
test_name=fuzz-regress; . "$top_srcdir/tests/lib.sh"
for t in regions catalog jobs map cfe casdk em skypilot ewcxml place; do
	sh "$top_srcdir/fuzz/seed.sh" "$top_srcdir" "$t" "$T/$t"
	n=$(ls "$T/$t" | wc -l)
	if "$top_builddir/tests/fuzz_regress" "$t" "$T/$t"/* > "$T/out" 2>&1; then
		ok "$t: $n inputs"
	else no "$t" "$T/out"; fi
done
tally
