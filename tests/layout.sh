#!/bin/sh
# layout.sh - the rules the layout stands for, checked on the build itself:
# what outside the library compiles with sees only the public header; only
# solver/ includes <glpk.h>; the command and the tests call only the
# public API (the solver's own test only solver/solver.h); and no two object files of the library or of the command
# call each other in a circle (nm for who defines and who uses a symbol,
# tsort to find a loop).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CC=${CC:-cc}
MAKE=${MAKE:-make}
test_name=layout; . "$top_srcdir/tests/lib.sh"

# var NAME: a variable of the build's Makefile, $(srcdir) made absolute
var() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		$MAKE -s -C "$top_builddir" --no-print-directory --eval 'ewc-print-%: ; @echo $($*)' \
		"ewc-print-$1" | sed "s#\$(srcdir)#$top_srcdir#g"
}

# --- what the command, tests, fuzzers and benchmarks may include -------------
printf '#include "ewc_int.h"\nint main(void) { return 0; }\n' > "$T/int.c"
printf '#include "solver.h"\nint main(void) { return 0; }\n' > "$T/solver.c"
printf '#include "ewc.h"\nint main(void) { return EWC_OK; }\n' > "$T/pub.c"
for v in src_ewc_CPPFLAGS TEST_CPPFLAGS FUZZ_INCLUDES tests_fuzz_regress_CPPFLAGS \
	tests_bench_bench_scale_CPPFLAGS tests_bench_bench_place_one_CPPFLAGS; do
	flags=$(cd "$top_builddir" && var "$v")
	# (run from the build folder: its relative -I paths are relative to it)
	if (cd "$top_builddir" && $CC $flags -c "$T/pub.c" -o "$T/pub.o") 2> "$T/err"; then
		ok "$v: ewc.h is on the path"
	else
		no "$v: ewc.h is on the path" "$T/err"
	fi
	for h in int solver; do
		if (cd "$top_builddir" && $CC $flags -c "$T/$h.c" -o "$T/$h.o") 2> /dev/null; then
			no "$v: an internal header ($h) compiles from outside the library"
		else
			ok "$v: no internal header ($h) on the path"
		fi
	done
done

# --- GLPK stays inside solver/ ------------------------------------------------
glpk=$(grep -rl '#include <glpk.h>' "$top_srcdir/src" "$top_srcdir/tests" "$top_srcdir/fuzz" \
	--include='*.[ch]' 2> /dev/null)
[ -z "$glpk" ] && ok "<glpk.h> is included in solver/ only" || no "<glpk.h> outside solver/: $glpk"

# --- object files: who defines, who uses ---------------------------------------
# The library's PIC objects where libtool made them, else its plain ones.
libobjs=$(ls "$top_builddir"/src/lib/.libs/*.o "$top_builddir"/solver/.libs/*.o 2> /dev/null)
[ -n "$libobjs" ] || libobjs=$(ls "$top_builddir"/src/lib/*.o "$top_builddir"/solver/*.o | grep -v /tests_check_solver-)
cliobjs=$(ls "$top_builddir"/src/cli/*.o)
# the solver's own test (tests/check_solver.c) is below the library: it
# calls the solver's interface, checked on its own below
testobjs=$(ls "$top_builddir"/tests/*.o 2> /dev/null | grep -v '/check_solver-')
solvertestobjs=$(ls "$top_builddir"/tests/check_solver-*.o 2> /dev/null)

# edges OBJS: "user definer" for every symbol one object uses and another defines
edges() {
	for o in "$@"; do
		nm --defined-only "$o" | awk -v f="$(basename "$o" .o)" '$2 ~ /^[TDBR]$/ { print $3, f }'
	done > "$T/defs"
	for o in "$@"; do
		nm -u "$o" | awk -v f="$(basename "$o" .o)" '{ print $2, f }'
	done > "$T/uses"
	awk 'NR == FNR { def[$1] = $2; next } ($1 in def) && def[$1] != $2 { print $2, def[$1] }' \
		"$T/defs" "$T/uses" | sort -u
}
# shellcheck disable=SC2086
for part in lib cli; do
	if [ $part = lib ]; then edges $libobjs > "$T/edges.$part"; else edges $cliobjs > "$T/edges.$part"; fi
	if [ -s "$T/edges.$part" ] && tsort "$T/edges.$part" > /dev/null 2> "$T/loop"; then
		ok "$part: no two files call each other in a circle ($(wc -l < "$T/edges.$part") calls between files)"
	else
		no "$part: files that call each other in a circle" "$T/loop"
	fi
done
# the storage file knows rows: it uses nothing of the plan or the rebalancing
grep -E '^(libewc_la-)?db (libewc_la-)?(plan|rebalance|record|frontier|json)$' "$T/edges.lib" > "$T/db"
[ -s "$T/db" ] && no "db.c calls the planner" "$T/db" || ok "db.c calls neither the plan nor the rebalancing"

# the command and the tests call the public API only
# shellcheck disable=SC2086
nm -u $cliobjs $testobjs 2> /dev/null | awk '$2 ~ /^ewc__/ { print $2 }' | sort -u > "$T/private"
[ -s "$T/private" ] && no "the command or a test calls a library internal" "$T/private" ||
	ok "the command and the tests call only ewc_* functions of ewc.h"
# the solver's test calls the solver through solver/solver.h alone
# shellcheck disable=SC2086
nm -u $solvertestobjs 2> /dev/null | awk '$2 ~ /^ewc__/ { print $2 }' | sort -u |
	while read -r f; do
		grep -q "[^a-z_]$f(" "$top_srcdir/solver/solver.h" || echo "$f"
	done > "$T/solverpriv"
[ -n "$solvertestobjs" ] || no "the solver's test was not built" /dev/null
[ -s "$T/solverpriv" ] && no "the solver's test calls what solver.h does not declare" "$T/solverpriv" ||
	ok "the solver's test calls only what solver/solver.h declares"

tally
