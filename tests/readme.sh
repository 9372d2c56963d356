#!/bin/sh
# readme.sh - every line of README.md's Usage block runs as written, in
# order, from a fresh build: in a scratch folder holding the source tree's
# regions and examples, with the block's own first line putting the built
# ewc on the PATH. Each line must end with status 0 (all placed, or done)
# or 3 (a plan with unplaced jobs); nothing may say "No such file".
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
test_name=readme; . "$top_srcdir/tests/lib.sh"
src=$(cd "$top_srcdir" && pwd)
build=$(cd "$top_builddir" && pwd)
mkdir "$T/tree"
ln -s "$src/regions" "$T/tree/regions"
ln -s "$src/examples" "$T/tree/examples"
# the block, with the first line's $PWD/src meaning the build tree
awk '/^## Usage/ { u = 1 } u && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b' \
	"$src/README.md" > "$T/block"
[ -s "$T/block" ] || { no "README.md has no Usage block"; tally; exit 1; }
n=0
while IFS= read -r line; do
	n=$((n + 1))
	case $line in
	export*) eval "$(printf '%s\n' "$line" | sed "s|\$PWD/src|$build/src|; s|\$PWD/regions|$src/regions|")"
		ok "line $n: $line"; continue ;;
	esac
	cmd=${line%%  #*}
	(cd "$T/tree" && eval "$cmd") > "$T/out" 2> "$T/err"
	rc=$?
	if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && ! grep -q "No such file" "$T/err"; then
		ok "line $n: $cmd"
	else
		no "line $n (exit $rc): $cmd" "$T/err"
	fi
done < "$T/block"
[ $n -ge 15 ] && ok "$n lines run" || no "only $n lines in the Usage block"
tally
