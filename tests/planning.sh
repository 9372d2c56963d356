#!/bin/sh
# planning.sh - the planner's tools from the command line, on the hubs of
# tests/check_planning.c (tests/cli/planning), every figure by hand:
# policies through options and a policy file, shadow prices checked by a
# what-if with one more GPU, the frontier and its report.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
P="$top_srcdir/tests/cli/planning"
test_name=planning; . "$top_srcdir/tests/lib.sh"
R="--regions $P/gpus.xml --regions $P/hubs.xml"
J="--jobs $P/jobs.csv"

# plan FILE ROW: the PLAN column of a row of a place table ("cost (CNY)")
plan() { awk -v r="$2" 'index($0, r) == 1 { print $(NF - 2); exit }' "$1"; }

# --- policies ---------------------------------------------------------------
# all on coal costs 2843.75 and emits 126 kg; 100 kg moves J1 to hydro
"$EWC" place $R $J --mode cost --carbon-budget 100 > "$T/b.txt" 2> "$T/err"
if [ $? -eq 0 ] && [ "$(plan "$T/b.txt" "cost (CNY)")" = 2,951.25 ] &&
	grep -q "^  carbon budget         100.0 kg; the plan emits 95.0 kg$" "$T/b.txt"; then
	ok "carbon budget 100 kg: 2951.25 CNY, 95 kg"
else no "carbon budget 100 kg" "$T/b.txt"; fi
"$EWC" place $R $J --mode cost --carbon-budget 10 > "$T/out" 2> "$T/err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/out" ] &&
	grep -q "policy cannot hold.*carbon budget of 10 kg (the greenest plan emits 17.5 kg)" "$T/err"; then
	ok "carbon budget 10 kg: exit 1, named, with the least carbon possible"
else no "carbon budget 10 kg: rc $rc" "$T/err"; fi
"$EWC" place $R $J --mode cost --min-green-share 0.45 > "$T/out" 2>&1
if grep -q "minimum green share   45.0%; the plan's energy is 50.0% green" "$T/out" &&
	grep -q "^cost (CNY) *3,058.75" "$T/out"; then
	ok "green share 0.45: J2 to hydro, 3058.75 CNY, 50% green"
else no "green share 0.45" "$T/out"; fi
"$EWC" place $R $J --mode cost --policy "$P/policy.xml" --format csv > "$T/s.csv" 2> "$T/err"
if [ "$(awk -F, 'NR > 1 { c += $9; print $4 | "sort" } END { close("sort"); print c }' "$T/s.csv" | tr '\n' ' ')" = \
	"coal east hydro 3060 " ]; then
	ok "policy file, region share 0.5: one job per region, 3060 CNY"
else no "policy file, region share 0.5" "$T/s.csv"; fi
"$EWC" place $R $J --mode cost --policy "$P/policy.xml" --max-region-share 0.3 > /dev/null 2> "$T/err"
if [ $? -eq 1 ] && grep -q "maximum region share of 0.3" "$T/err"; then
	ok "an option overrides the file; 0.3 cannot hold and says so"
else no "region share 0.3" "$T/err"; fi
printf '<policy carbon-budget-kg="lots" colour="red"/>\n' > "$T/bad.xml"
"$EWC" place $R $J --policy "$T/bad.xml" > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && grep -q "bad.xml:1: policy@colour: unknown attribute" "$T/err" &&
	grep -q "bad.xml:1: policy@carbon-budget-kg: must be a number >= 0, got \"lots\"" "$T/err" &&
	[ ! -s "$T/out" ]; then
	ok "a bad policy file: file, line and attribute named"
else no "bad policy file" "$T/err"; fi
printf '<?xml version="1.0"?>\n<!DOCTYPE policy [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<policy carbon-budget-kg="&x;"/>\n' > "$T/xxe.xml"
"$EWC" place $R $J --policy "$T/xxe.xml" > /dev/null 2> "$T/err"
if [ $? -eq 1 ] && grep -q "xxe.xml:[0-9]*: " "$T/err" && ! grep -q "root:" "$T/err"; then
	ok "a policy file with an external entity is refused"
else no "policy XXE" "$T/err"; fi
for bad in "--carbon-budget -1" "--min-green-share 1.5" "--max-region-share 0" "--carbon-budget nan"; do
	# shellcheck disable=SC2086
	"$EWC" place $R $J $bad > /dev/null 2> "$T/err"
	if [ $? -eq 2 ]; then ok "usage error: $bad"; else no "usage error: $bad" "$T/err"; fi
done

# --- shadow prices, checked by a what-if with one more GPU ------------------
sed 's/free="16" price="8"/free="2" price="8"/' "$P/hubs.xml" > "$T/hubs2.xml"
R2="--regions $P/gpus.xml --regions $T/hubs2.xml"
"$EWC" place $R2 $J --mode cost --gap 0 --show-duals > "$T/d.txt" 2>&1
if grep -Eq "^  capacity coal +A100 +2/2 +53.75 CNY  GPU$" "$T/d.txt"; then
	ok "--show-duals: one more coal GPU is worth 53.75 CNY"
else no "--show-duals" "$T/d.txt"; fi
"$EWC" whatif $R2 $J --mode cost --gap 0 --set coal.A100.free=+1 > "$T/w.txt" 2> "$T/err" &&
"$EWC" whatif $R2 $J --mode cost --gap 0 --set coal.A100.free=+1 --format csv > "$T/w.csv" 2>> "$T/err"
if [ "$(awk 'index($0, "objective (CNY)") == 1 { print $NF }' "$T/w.txt")" = -53.75 ] &&
	[ "$(sed -n 2p "$T/w.csv")" = "J3,hydro,A100,coal,A100,-53.75,15.5" ]; then
	ok "whatif +1 coal GPU: the objective falls by the shadow price, J3 moves"
else no "whatif +1 GPU" "$T/w.txt"; fi
"$EWC" whatif $R2 $J --set 'hydro.power.price=*2' --set '*.A100.free=+3' > "$T/w.txt" 2> "$T/err"
if [ $? -eq 0 ] && grep -q "^What if hydro.power.price=\*2, \*.A100.free=+3:" "$T/w.txt" &&
	grep -q "^1 job changes place:" "$T/w.txt"; then
	ok "whatif table: the settings and the jobs that move"
else no "whatif table" "$T/w.txt"; fi
"$EWC" whatif $R2 $J --set coal.A100.free=-3 > /dev/null 2> "$T/err"
if [ $? -eq 1 ] && grep -q 'setting "coal.A100.free=-3": free of coal would be -1; it must be >= 0 and whole' "$T/err"; then
	ok "whatif: a setting out of range is named"
else no "whatif bad setting" "$T/err"; fi
"$EWC" whatif $R2 $J > /dev/null 2>&1
if [ $? -eq 2 ]; then ok "whatif without --set: usage"; else no "whatif without --set"; fi

# --- the frontier -------------------------------------------------------------
RM="$R --regions $P/mid.xml"
"$EWC" frontier $RM $J --points 9 --gap 0 --format csv --report "$T/f.html" > "$T/f.csv" 2> "$T/err"
rc=$?
"$EWC" place $RM $J --mode cost --gap 0 > "$T/c.txt" 2>/dev/null
"$EWC" place $RM $J --mode carbon --gap 0 > "$T/g.txt" 2>/dev/null
ends="$(plan "$T/c.txt" "cost (CNY)") $(plan "$T/c.txt" "carbon (kg") $(plan "$T/g.txt" "cost (CNY)") $(plan "$T/g.txt" "carbon (kg")"
if [ $rc -eq 0 ] && [ "$ends" = "2,843.75 126.0 3,220.00 17.5" ] &&
	awk -F, 'NR == 2 { ok = ($2 == 2843.75 && $3 == 126) }
		END { ok = ok && ($2 == 3220 && $3 == 17.5); exit !ok }' "$T/f.csv"; then
	ok "frontier ends: --mode cost (2843.75, 126) and --mode carbon (3220, 17.5)"
else no "frontier ends: $ends" "$T/f.csv"; fi
if awk -F, 'NR > 2 && !($2 > c && $3 < k && $5 >= 2234) { bad = 1 } NR > 1 { c = $2; k = $3 }
	END { exit bad || NR < 5 }' "$T/f.csv"; then
	ok "frontier monotone: cost up, carbon down, at >= 2234 CNY/t"
else no "frontier monotone" "$T/f.csv"; fi
# the knee is where all three jobs sit on mid: 3027.5 CNY, 43.75 kg
if [ "$(awk -F, '$13 == 1 { print $2, $3 }' "$T/f.csv")" = "3027.5 43.75" ]; then
	ok "knee: everything on mid, 3027.5 CNY and 43.75 kg"
else no "knee" "$T/f.csv"; fi
# xmllint's HTML parser knows no SVG: it reads the tree, ignoring the noise
x() { xmllint --html --xpath "$1" "$T/f.html" 2>/dev/null; }
if [ "$(x 'count(//svg[@id="chart-frontier"]//circle)')" = 9 ] &&
	[ "$(x 'count(//circle[contains(@class,"knee")])')" = 1 ] &&
	[ "$(x 'string(//circle[contains(@class,"knee")]/@data-cost)')" = 3027.50 ] &&
	[ "$(x 'count(//*[@id="knee-label"])')" = 1 ] &&
	[ "$(x 'count(//script|//link|//img|//*[@src]|//*[@href])')" = 0 ]; then
	ok "frontier report: the curve, 9 dots, one knee at 3027.50, nothing external"
else no "frontier report"; fi
"$EWC" frontier $RM $J --points 3 --report "$T/nodir/f.html" > /dev/null 2> "$T/err"
if [ $? -eq 1 ] && [ ! -e "$T/nodir" ] && "$EWC" frontier $RM $J --points 1 > /dev/null 2>&1; [ $? -eq 2 ]; then
	ok "frontier: an unwritable report fails; --points 1 is a usage error"
else no "frontier errors" "$T/err"; fi
for c in frontier whatif; do
	if "$EWC" help $c | grep -q "^usage: ewc $c"; then ok "help $c"; else no "help $c"; fi
done
tally
