# lib.sh - sourced by the shell tests, after they set test_name:
#   test_name=cli; . "$top_srcdir/tests/lib.sh"
# gives a scratch folder $T (removed on exit), ok/no to count checks, and
# tally, the last command of a test: it prints "N passed, M failed" (which
# .ci/run adds up) and fails when any check failed.
T=$(mktemp -d "${TMPDIR:-/tmp}/ewc-$test_name.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# ok NAME: a check that held
ok() { pass=$((pass + 1)); echo "ok: $1"; }

# no NAME [FILE]: a check that failed, with FILE (a log, a diff) shown indented
no() {
	fail=$((fail + 1))
	echo "FAIL: $1"
	if [ -n "${2:-}" ]; then sed 's/^/    /' "$2"; fi
}

# With --enable-valgrind (or make check EWC_VALGRIND=1), every "$EWC" of the test
# runs under valgrind: any memory error or leak exits 9, which no check
# expects, so it fails.
if [ "${EWC_VALGRIND:-}" = 1 ] && [ -n "${EWC:-}" ]; then
	cat > "$T/ewc-valgrind" <<EOF
#!/bin/sh
exec "$top_builddir/libtool" --mode=execute valgrind -q --leak-check=full \\
	--error-exitcode=9 "$EWC" "\$@"
EOF
	chmod +x "$T/ewc-valgrind"
	EWC="$T/ewc-valgrind"
fi

tally() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
