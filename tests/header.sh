#!/bin/sh
# header.sh - ewc.h compiles alone, as strict C11 (and as C++ where a C++
# compiler is present), with every warning an error.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
test_name=header; . "$top_srcdir/tests/lib.sh"
cat > "$T/h.c" <<'C'
#include <ewc.h>
int main(void)
{
	ewc_job j = EWC_JOB_INIT;
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_placement p = EWC_PLACEMENT_INIT;
	ewc_totals t = EWC_TOTALS_INIT;
	ewc_assignment a = EWC_ASSIGNMENT_INIT;
	ewc_option op = EWC_OPTION_INIT;
	ewc_region_info r = EWC_REGION_INFO_INIT;
	ewc_comparison c = EWC_COMPARISON_INIT;
	ewc_import_options io = EWC_IMPORT_OPTIONS_INIT;
	(void)io;
	(void)j; (void)o; (void)p; (void)t; (void)a; (void)op; (void)r; (void)c;
	return EWC_VERSION_NUM == 0;
}
C
if $CC -std=c11 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/src/include" -c "$T/h.c" -o "$T/h.o" 2> "$T/err"; then
	pass=$((pass + 1)); echo "ok: ewc.h as C11 -pedantic -Werror"
else
	fail=$((fail + 1)); echo "FAIL: ewc.h as C11"; cat "$T/err"
fi
if command -v c++ > /dev/null 2>&1; then
	if c++ -std=c++11 -Wall -Wextra -Werror -I"$top_srcdir/src/include" -x c++ -c "$T/h.c" -o "$T/hpp.o" 2> "$T/err"; then
		pass=$((pass + 1)); echo "ok: ewc.h as C++11"
	else
		fail=$((fail + 1)); echo "FAIL: ewc.h as C++11"; cat "$T/err"
	fi
fi
tally
