#!/bin/sh
# completion.sh - the bash completion completes subcommands, options (from
# each command's help), option values, region ids and GPU types.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
test_name=completion; . "$top_srcdir/tests/lib.sh"
if ! command -v bash > /dev/null; then
	echo "(no bash: skipped)"
	tally
	exit 77
fi
S="$top_srcdir/tests/cli/small"
EWC="$(cd "$top_builddir/src" && pwd)/ewc"
# complete WORDS...: what the completion offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ewc; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$top_srcdir/src/cli/ewc.bash" "$@" | sort | tr '\n' ' '
}
check() { # NAME WANT WORDS...
	name=$1 want=$2
	shift 2
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && ok "$name" || { echo "got: $got" > "$T/got"; no "$name (want: $want)" "$T/got"; }
}
check "subcommands" "rebalance regions " "$EWC" re
check "regions subcommands" "list " "$EWC" regions l
check "--format values" "csv " "$EWC" place --format c
check "--mode values" "balanced " "$EWC" place --mode b
check "options from the command's help" "--carbon-basis --carbon-budget --carbon-price " "$EWC" place --carbon
check "region ids for --set" "east1. " "$EWC" whatif --regions "$S/gpus.xml" --regions "$S/hubs.xml" --set e
check "GPU types for --type" "X2 " "$EWC" regions list --regions "$S/gpus.xml" --regions "$S/hubs.xml" --type X
tally
