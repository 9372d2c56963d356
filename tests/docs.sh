#!/bin/sh
# docs.sh - the command examples of the docs run as shown. A block in
# docs/planning.md whose first line is "$ ewc ..." is run from a folder
# that holds the shipped regions and example jobs; each output line the
# block shows must be a line of what the command prints (standard output
# and error together). "..." stands for lines left out; "$ echo $?" shows
# the exit status of the command before it. Run by `make check`.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$(cd "$top_builddir/src" && pwd)/ewc"
test_name=docs; . "$top_srcdir/tests/lib.sh"

W="$T/work"
mkdir -p "$W"
ln -s "$(cd "$top_srcdir" && pwd)/regions" "$W/regions"
ln -s "$(cd "$top_srcdir" && pwd)/examples" "$W/examples"

# run_shown: run $cmd, then check that every line of $T/want is printed
run_shown() {
	[ -n "$cmd" ] || return 0
	n=$((n + 1))
	case $cmd in
	'echo $?') printf '%s\n' "$last" > "$T/got" ;;
	*) (cd "$W" && eval "\"\$EWC\" ${cmd#ewc }") > "$T/got" 2>&1; last=$? ;;
	esac
	: > "$T/miss"
	while IFS= read -r line; do
		grep -Fxq -- "$line" "$T/got" || printf '%s\n' "$line" >> "$T/miss"
	done < "$T/want"
	if [ -s "$T/miss" ]; then
		{ echo "shown but not printed:"; cat "$T/miss"; echo "printed:"; cat "$T/got"; } > "$T/diff"
		no "$doc: $cmd" "$T/diff"
	else
		ok "$doc: $(printf '%s' "$cmd" | head -1)"
	fi
	cmd=
}

# check_doc FILE: every "$ ewc" block of FILE
check_doc() {
	doc=$1
	awk '
		/^```/ && !inb { inb = 1; first = 1; skip = ($0 != "```"); next }
		/^```$/ && inb { if (run) print "END"; inb = 0; run = 0; next }
		inb && !skip {
			if (first) { first = 0; if ($0 !~ /^\$ ewc /) { skip = 1; next } run = 1 }
			if (cont) { print "CMD+" $0; cont = ($0 ~ /\\$/); next }
			if ($0 ~ /^\$ /) { print "CMD " substr($0, 3); cont = ($0 ~ /\\$/); next }
			if ($0 == "...") next
			print "OUT " $0
		}' "$doc" > "$T/blocks"
	n=0
	cmd=
	last=0
	: > "$T/want"
	while IFS= read -r l; do
		case $l in
		"CMD+"*) cmd="$cmd
${l#CMD+}" ;;
		"CMD "*) run_shown; cmd=${l#CMD }; : > "$T/want" ;;
		"OUT "*) printf '%s\n' "${l#OUT }" >> "$T/want" ;;
		END) run_shown ;;
		esac
	done < "$T/blocks"
	if [ "$n" -gt 0 ]; then ok "$doc: $n commands run"; else no "$doc: no commands found"; fi
}

check_doc "$top_srcdir/docs/planning.md"
tally
