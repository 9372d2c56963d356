#!/bin/sh
# hostile.sh - inputs written to hurt: an XXE after /etc/passwd, a billion
# laughs, a 100 MB file of one element, deeply nested elements, XInclude;
# each must end in a clear error within bounded time (timeout) and memory
# (ulimit -v). Then resources: a job list too large for the memory allowed
# is an error, not a kill, and --time-limit holds on a large list.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
EWC_VALGRIND= # ulimit -v and valgrind do not mix; the CLI tests run under it
test_name=hostile; . "$top_srcdir/tests/lib.sh"
CAT="$top_srcdir/regions/gpus.xml"
HUBS="$top_srcdir/regions"
# 1 GB of address space for every hostile document: enough for ewc, far
# short of what an expanded entity or a parsed 100 MB element would need.
# An ASan build reserves terabytes up front: there the bound is time alone,
# and the out-of-memory checks are left to the plain build.
LIMIT=1000000
[ "${EWC_ASAN:-}" = 1 ] && LIMIT=unlimited

# bounded NAME WANT FILE: ewc regions validate on FILE exits 1 within 20 s
# under the memory limit, with WANT in its message and no /etc/passwd line
bounded() {
	( ulimit -v $LIMIT; exec timeout 20 "$EWC" regions validate "$CAT" "$3" ) \
		> "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q -- "$2" "$T/err" && ! grep -q "root:" "$T/out" "$T/err"; then
		ok "$1: refused, named"
	else no "$1: rc $rc" "$T/err"; fi
}

cat > "$T/xxe.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE regions [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<regions><region id="r" zone="west" name="&x;"/></regions>
EOF
bounded "XXE" "xxe.xml:[0-9]*: " "$T/xxe.xml"
if command -v strace > /dev/null; then
	# the program itself, not the libtool wrapper script in the build tree
	"$top_builddir/libtool" --mode=execute strace -e trace=open,openat -o "$T/trace" \
		"$EWC" regions validate "$CAT" "$T/xxe.xml" > /dev/null 2>&1
	if grep -q "xxe.xml" "$T/trace" && ! grep -q "/etc/passwd" "$T/trace"; then
		ok "XXE: /etc/passwd is never opened (strace)"
	else no "XXE: /etc/passwd opened" "$T/trace"; fi
elif [ "${EWC_REQUIRE_STRACE:-0}" = 1 ]; then
	no "XXE: strace is needed to see what is opened"
fi

{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE lolz ['
	echo ' <!ENTITY lol "lol">'
	prev=lol
	for i in 1 2 3 4 5 6 7 8 9; do
		printf ' <!ENTITY lol%s "' $i
		for k in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' $prev; done
		echo '">'
		prev=lol$i
	done
	echo ']>'
	echo '<regions><region id="r" zone="west" name="&lol9;"/></regions>'
} > "$T/laughs.xml"
bounded "billion laughs" "laughs.xml:[0-9]*: " "$T/laughs.xml"

# 100 MB: one element whose attribute is the whole file
{ printf '<regions><region id="'; head -c 104857600 /dev/zero | tr '\0' a; printf '"/></regions>\n'; } \
	> "$T/huge.xml"
bounded "a 100 MB file of one element" "huge.xml: file is 104857635 bytes, larger than the 67108864-byte limit" "$T/huge.xml"
rm -f "$T/huge.xml"

awk 'BEGIN { printf "<regions>"; for (i = 0; i < 100000; i++) printf "<a>";
	for (i = 0; i < 100000; i++) printf "</a>"; print "</regions>" }' > "$T/deep.xml"
bounded "100,000 nested elements" "deep.xml:1: XML: Excessive depth" "$T/deep.xml"

cat > "$T/xinclude.xml" <<'EOF'
<?xml version="1.0"?>
<regions xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="/etc/passwd" parse="text"/>
</regions>
EOF
bounded "XInclude" "xinclude.xml:3: " "$T/xinclude.xml"

# a document in an encoding it is not: the error is ewc's, and libxml2
# prints nothing of its own (the library never prints)
printf '<?xml version="1.0" encoding="EBCDIC-US"?>\n<regions/>\n' > "$T/ebcdic.xml"
"$EWC" regions validate "$CAT" "$T/ebcdic.xml" > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && grep -q "^ewc: .*ebcdic.xml:1: XML:" "$T/err" && ! grep -v "^ewc: " "$T/err" > /dev/null; then
	ok "a wrongly labelled encoding: ewc's message only, nothing printed by libxml2"
else no "encoding" "$T/err"; fi

# the same protections in an import: a DOCTYPE in a free-GPU inventory
"$EWC" regions import --from ewc "$T/xxe.xml" --regions "$HUBS" --output "$T/o.xml" \
	> "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && [ ! -e "$T/o.xml" ] && ! grep -q "root:" "$T/out" "$T/err"; then
	ok "XXE in an import: refused, nothing written"
else no "XXE import" "$T/err"; fi

# --- outputs: a write that fails at the rename leaves the target as it was ---
# (the target is a folder: the temporary file is written, the rename fails)
S="$top_srcdir/tests/cli/small"
SR="--regions $S/gpus.xml --regions $S/hubs.xml"
n=0
for cmd in "place $SR --jobs $S/jobs.csv --format json --output" \
	"frontier $SR --jobs $S/jobs.csv --points 3 --report" \
	"regions import --from ewc $top_srcdir/tests/cli/feeds/inventory.xml --regions $top_srcdir/tests/cli/feeds/gpus.xml --regions $top_srcdir/tests/cli/feeds/hubs.xml --output"; do
	rm -rf "$T/out.d"; mkdir "$T/out.d"; echo keep > "$T/out.d/file"
	"$EWC" $cmd "$T/out.d" > /dev/null 2> "$T/err"
	if [ $? -eq 1 ] && [ "$(cat "$T/out.d/file")" = keep ] && [ "$(ls "$T" | grep -c '^out.d.')" -eq 0 ]; then
		n=$((n + 1))
	else no "${cmd%% *}: a failed rename" "$T/err"; fi
done
[ $n -eq 3 ] && ok "place --output, frontier --report, regions import --output: a failed rename leaves the target and no temporary file"

# --- resources --------------------------------------------------------------
if [ "${EWC_ASAN:-}" = 1 ]; then
	echo "(ASan build: the memory-limit checks run in the plain build)"
	tally
	exit
fi
# 200,000 training jobs on the shipped hubs
awk 'BEGIN { print "id,kind,gpu_type,gpus,hours,origin,data_gb"
	split("beijing shanghai guangzhou chengdu", o, " ")
	for (i = 1; i <= 200000; i++)
		printf "job-%06d,train,A100|910B,%d,%d,%s,%d\n", i, 1 + i % 8, 10 + i % 300,
		       o[1 + i % 4], 10 * (i % 7) }' > "$T/big.csv"
( ulimit -v 250000; exec timeout 120 "$EWC" place --regions "$HUBS" --jobs "$T/big.csv" \
	--format csv ) > /dev/null 2> "$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^ewc: out of memory" "$T/err"; then
	ok "200,000 jobs in 250 MB: exit 1, out of memory (no kill)"
else no "200,000 jobs in 250 MB: rc $rc" "$T/err"; fi
( ulimit -v 400000; exec timeout 120 "$EWC" place --regions "$HUBS" --jobs "$T/big.csv" \
	--format csv --solver direct --time-limit 10 ) > /dev/null 2> "$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^ewc: .*out of memory" "$T/err"; then
	ok "200,000 jobs on the direct model in 400 MB: exit 1, out of memory, said by name"
else no "direct model in 400 MB: rc $rc" "$T/err"; fi

head -n 20001 "$T/big.csv" > "$T/20k.csv"
start=$(date +%s)
"$EWC" place --regions "$HUBS" --jobs "$T/20k.csv" --solver direct --mode carbon \
	--time-limit 2 > "$T/out" 2> "$T/err"
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 0 ] || [ $rc -eq 3 ]; then
	if [ $took -le 12 ] && grep -q "gap [0-9.]*% (stopped at the time limit)" "$T/out"; then
		ok "--time-limit 2 on 20,000 jobs: a plan and its gap in $took s"
	else no "--time-limit 2: $took s" "$T/out"; fi
else no "--time-limit 2: rc $rc" "$T/err"; fi
tally
