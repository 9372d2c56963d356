#!/bin/sh
# feeds.sh - ewc regions import on each format's fixture, and ewc regions
# sync against a real HTTP server on 127.0.0.1 (tests/httpd, started and
# stopped here): good responses, a 500 then a 200, a slow response past the
# timeout, a truncated body, bodies over the size cap, malformed JSON and
# CSV, 404, ETag revalidation, a token, and the overlay with its age.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
F=$(cd "$top_srcdir/tests/cli/feeds" && pwd)
test_name=feeds; . "$top_srcdir/tests/lib.sh"
R="--regions $F/gpus.xml --regions $F/hubs.xml"
# a developer's proxy must not see the loopback server (ewc bypasses it,
# but curl-style variables are cleared so that nothing else does either)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy
unset EWC_DB EWC_REGIONS

# --- import -------------------------------------------------------------------
"$EWC" regions import --from skypilot "$F/vms.csv" --map "$F/vms-map.csv" $R \
	--currency-rate 7.2 --output "$T/prices.xml" > "$T/out" 2> "$T/err"
if [ $? -eq 0 ] && grep -q "^skypilot $F/vms.csv: 4 rows used, 3 skipped$" "$T/out" &&
	grep -q "^  set gansu.A100.price=29.493$" "$T/out" &&
	grep -q '^  skipped .*vms.csv:8: region "europe-west4" is not in the map$' "$T/out" &&
	"$EWC" regions validate "$F/gpus.xml" "$T/prices.xml" > /dev/null &&
	grep -q '<gpu type="A100" free="8" price="29.493"/>' "$T/prices.xml" &&
	grep -q "<!-- A100 price was 8: imported from skypilot file $F/vms.csv on " "$T/prices.xml"; then
	ok "import skypilot: report, valid descriptors with the new prices and the old in comments"
else no "import skypilot" "$T/out"; fi

# the new descriptors move the job: per A100 GPU-hour gansu 29.493 + 0.15,
# guizhou 26.424 + 0.175, shanghai 26.424 + 0.3: 2 GPUs x 10 h on guizhou
printf 'id,kind,gpu_type,gpus,hours,origin\nt1,train,A100,2,10,city\n' > "$T/jobs.csv"
"$EWC" place --regions "$F/gpus.xml" --regions "$T/prices.xml" --jobs "$T/jobs.csv" \
	--mode cost --format csv > "$T/p.csv" 2> "$T/err"
if [ "$(awk -F, 'NR == 2 { print $4, $9 }' "$T/p.csv")" = "guizhou 531.98" ]; then
	ok "import skypilot: the job moves to guizhou at 531.98 CNY"
else no "import skypilot: placement" "$T/p.csv"; fi

n=0
for spec in "google-cfe cfe.csv cfe-map.csv 4 1" "casdk casdk.json casdk-map.csv 3 2" \
	"electricitymaps em.json em-map.csv 2 3" "ewc inventory.xml - 3 1"; do
	set -- $spec
	map=; [ "$3" = - ] || map="--map $F/$3"
	"$EWC" regions import --from "$1" "$F/$2" $map $R --output "$T/i.xml" > "$T/out" 2>&1 &&
		grep -q "^$1 $F/$2: $4 rows used, $5 skipped$" "$T/out" &&
		"$EWC" regions validate "$F/gpus.xml" "$T/i.xml" > /dev/null && n=$((n + 1))
done
if [ $n -eq 4 ]; then ok "import google-cfe, casdk, electricitymaps, ewc: rows and valid output"
else no "import: $n of 4 formats" "$T/out"; fi

cp "$F/hubs.xml" "$T/hubs.xml"
"$EWC" regions import --from ewc "$F/inventory.xml" --regions "$F/gpus.xml" \
	--regions "$T/hubs.xml" --output "$T/hubs.xml" > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && cmp -s "$F/hubs.xml" "$T/hubs.xml" &&
	grep -q "hubs.xml: is where region gansu comes from" "$T/err"; then
	ok "import never writes over the descriptors it reads"
else no "import in place" "$T/err"; fi

echo old > "$T/keep.xml"
"$EWC" regions import --from google-cfe "$F/bad.csv" --map "$F/cfe-map.csv" $R \
	--output "$T/keep.xml" > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && [ "$(cat "$T/keep.xml")" = old ] &&
	grep -q "bad.csv:2: expected 4 fields as in the header, got 3" "$T/err"; then
	ok "import of a malformed CSV: named, and the previous output left whole"
else no "import malformed" "$T/err"; fi

"$EWC" regions import --from google-cfe "$F/cfe.csv" $R --output "$T/x.xml" > /dev/null 2> "$T/err"
rc1=$?
"$EWC" regions import --from casdk "$F/casdk.json" --map "$F/casdk-map.csv" $R \
	--window 0 --output "$T/x.xml" > /dev/null 2>> "$T/err"
rc2=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ ! -e "$T/x.xml" ]; then
	ok "import usage errors: no --map, --window 0"
else no "import usage: $rc1 $rc2" "$T/err"; fi

# --- the server -----------------------------------------------------------------
"$top_builddir/tests/httpd" "$F" "$T/port" "$T/http.log" &
httpd=$!
trap 'kill $httpd 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$T/port" 2> /dev/null)
if [ -z "$port" ]; then
	no "the test server did not start"
	tally
	exit 1
fi
U="http://127.0.0.1:$port"
DB="$T/ewc.db"

# feeds NAME PATH FORMAT [ATTRS]...: a feeds file of one feed per argument
# group, as lines "name|path|format|attrs"
feeds() {
	{
		echo "<feeds>"
		for f in "$@"; do
			echo "$f" | awk -F'|' -v u="$U" -v m="$F" '{
				map = ""
				if ($3 == "google-cfe") map = " map=\"" m "/cfe-map.csv\""
				if ($3 == "casdk" || $3 == "casdk-forecast") map = " map=\"" m "/casdk-map.csv\""
				if ($3 == "electricitymaps") map = " map=\"" m "/em-map.csv\""
				if ($3 == "skypilot") map = " map=\"" m "/vms-map.csv\" currency-rate=\"7.2\""
				r = index($4, "retries=") ? "" : " retries=\"2\""
				printf "  <feed name=\"%s\" url=\"%s%s\" format=\"%s\"%s insecure-http=\"loopback\"%s backoff-s=\"0.05\" timeout-s=\"1\" %s/>\n", $1, u, $2, $3, map, r, $4
			}'
		done
		echo "</feeds>"
	} > "$T/feeds.xml"
}
snapshots() { sqlite3 "$DB" "SELECT count(*) FROM feed_snapshots${1:+ WHERE feed = '$1'}"; }
hits() { grep -c "^GET $1\( \|$\)" "$T/http.log"; }
NOW=--now=2026-11-22T06:00:00Z

feeds "cfe|/ok/cfe.csv|google-cfe" "ci|/ok/casdk.json|casdk" "em|/ok/em.json|electricitymaps" \
	"vms|/ok/vms.csv|skypilot" "free|/etag/inventory.xml|ewc"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2> "$T/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c ' updated ' "$T/out")" -eq 5 ] && [ "$(snapshots)" -eq 5 ] &&
	grep -q "^vms  *updated  *http 200, 1 attempt, 4 settings from 4 rows (3 skipped)$" "$T/out"; then
	ok "sync: five good feeds, one snapshot each"
else no "sync good: rc $rc" "$T/out"; cat "$T/err"; fi

# the overlay: vms moves the job to guizhou, free sets gansu's A100 to 3
"$EWC" place $R --jobs "$T/jobs.csv" --mode cost --db "$DB" --format csv \
	--now=2026-11-22T08:00:00Z > "$T/p.csv" 2> "$T/err"
if [ "$(awk -F, 'NR == 2 { print $4, $9 }' "$T/p.csv")" = "guizhou 531.98" ] &&
	grep -q "^ewc: feed vms: 4 settings, fetched 2026-11-22T06:00:00Z, 2.0 h old$" "$T/err" &&
	! grep -q warning "$T/err"; then
	ok "place --db lays the newest snapshots over the regions and prints their age"
else no "place --db overlay" "$T/err"; fi

"$EWC" place $R --jobs "$T/jobs.csv" --mode cost --db "$DB" --format csv \
	--now=2026-11-24T08:00:00Z > /dev/null 2> "$T/err"
rc1=$?
"$EWC" place $R --jobs "$T/jobs.csv" --mode cost --db "$DB" --format csv --max-age 3d \
	--now=2026-11-24T08:00:00Z > /dev/null 2> "$T/err2"
if [ $rc1 -eq 0 ] && grep -q "^ewc: warning: feed cfe: its data is 50.0 h old, older than --max-age 48 h" "$T/err" &&
	! grep -q warning "$T/err2"; then
	ok "data older than --max-age: a warning per feed; --max-age 3d silences it"
else no "max-age" "$T/err"; fi

# rebalance lays them over too: commit the plan, then ask for moves
"$EWC" place $R --jobs "$T/jobs.csv" --mode cost --db "$DB" --commit \
	--now=2026-11-22T08:00:00Z > /dev/null 2>&1
"$EWC" rebalance $R --db "$DB" --now=2026-11-22T09:00:00Z > "$T/out" 2> "$T/err"
if [ $? -eq 0 ] && grep -q "^ewc: feed vms: 4 settings, fetched 2026-11-22T06:00:00Z, 3.0 h old$" "$T/err" &&
	[ "$(sqlite3 "$DB" "SELECT region FROM placements WHERE job = 't1'")" = guizhou ]; then
	ok "rebalance lays the snapshots over the regions too, and place --commit planned on them"
else no "rebalance overlay" "$T/err"; fi

# a forecast feed: eastus's hourly grid factors (0.4 0.2 0.2 0.1 0.1 from
# 2026-12-07T00:00Z) become shanghai's; a job of one A100 (0.5 kWh an
# hour) for 2 h there, on location-based carbon, waits for the 0.1 hours:
# 0.1 kg, where the descriptor's 0.6 would give 0.6 kg
feeds "fc|/ok/casdk-forecast.json|casdk-forecast"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$T/fc.db" $R $NOW > "$T/out" 2> "$T/err"
rc1=$?
printf 'id,kind,gpu_type,gpus,hours,origin,pin\nf1,train,A100,1,2,city,shanghai\n' > "$T/fjobs.csv"
"$EWC" place $R --jobs "$T/fjobs.csv" --db "$T/fc.db" --horizon 6 --start 2026-12-07T00:00:00Z \
	--mode carbon --carbon-basis location --max-age 30d --now=2026-12-07T00:00:00Z \
	--format csv > "$T/p.csv" 2> "$T/err2"
got=$(awk -F, 'NR == 2 { print $4, $13 }' "$T/p.csv")
if [ $rc1 -eq 0 ] && grep -q "^fc  *updated  *http 200, 1 attempt, 1 setting from 4 rows (1 skipped)$" "$T/out" &&
	[ "$got" = "shanghai 0.1" ]; then
	ok "a forecast feed: stored, laid over the regions, and a plan over time waits for its low hours"
else no "forecast feed: rc $rc1, got $got" "$T/out"; cat "$T/err2" >> "$T/out"; fi

# ETag: the second sync asks If-None-Match and keeps the stored copy
feeds "free|/etag/inventory.xml|ewc"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R --now=2026-11-22T07:00:00Z > "$T/out" 2>&1
if [ $? -eq 0 ] && grep -q "^free  *not modified  *http 304" "$T/out" && [ "$(snapshots free)" -eq 1 ] &&
	grep -q "^GET /etag/inventory.xml if-none-match$" "$T/http.log" &&
	[ "$(sqlite3 "$DB" "SELECT checked_at FROM feed_snapshots WHERE feed = 'free'")" = 2026-11-22T07:00:00Z ]; then
	ok "ETag: 304 keeps the snapshot and marks it current"
else no "etag" "$T/out"; fi

# 500 then 200: retried once, stored
feeds "cfe|/flaky/cfe.csv|google-cfe"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2>&1
if [ $? -eq 0 ] && grep -q "^cfe  *updated  *http 200, 2 attempts" "$T/out" &&
	[ "$(hits /flaky/cfe.csv)" -eq 2 ] && [ "$(snapshots cfe)" -eq 2 ]; then
	ok "500 then 200: retried, stored"
else no "flaky" "$T/out"; fi

# each failure (the only feed: every feed failed, exit 5): the reason, the
# previous snapshot kept, nothing stored
failing() { # NAME PATH FORMAT ATTRS EXPECT HITS
	feeds "$1|$2|$3|$4"
	before=$(snapshots)
	"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 5 ] && grep -q "^$1  *FAILED" "$T/out" && grep -q "$5" "$T/out" &&
		[ "$(snapshots)" -eq "$before" ] && [ "$(hits "$2")" -eq "$6" ] &&
		grep -q "ewc: every feed failed (1 of 1): nothing was stored; the previous snapshots stay" "$T/err"; then
		ok "$7"
	else no "$7: rc $rc, hits $(hits "$2")" "$T/out"; fi
}
failing cfe /fail/cfe.csv google-cfe "" "HTTP 503, after 3 attempts" 3 \
	"503 every time: 3 attempts, then failed, cfe's snapshot kept"
grep -q "kept the snapshot fetched 2026-11-22T06:00:00Z" "$T/out" &&
	ok "a failed feed says which snapshot stays" || no "kept snapshot" "$T/out"
failing cfe /missing/cfe.csv google-cfe "" "HTTP 404 (not retried" 1 "404: not retried"
start=$(date +%s)
failing ci /slow/casdk.json casdk 'retries="0"' "Operation timed out" 1 \
	"a response slower than timeout-s: timed out"
bound=4; [ "${EWC_VALGRIND:-}" = 1 ] && bound=20  # valgrind starts slowly
[ $(( $(date +%s) - start )) -lt $bound ] && ok "the timeout bounds the wait" || no "timeout took too long"
failing ci /truncated/casdk.json casdk 'retries="1"' "transfer closed with" 2 \
	"a truncated body: retried, then failed"
failing vms /big/5000 skypilot 'max-bytes="1000"' "larger than max-bytes (1000)" 1 \
	"a body over max-bytes (length announced): refused"
failing vms /bigchunked/5000 skypilot 'max-bytes="1000"' "larger than max-bytes (1000)" 1 \
	"a body over max-bytes (chunked): refused"
failing ci /ok/bad.json casdk "" "not valid casdk: feed ci:2:0: JSON" 1 "malformed JSON: refused"
failing cfe /ok/bad.csv google-cfe "" "not valid google-cfe: feed cfe:2: expected 4 fields" 1 \
	"malformed CSV: refused"
failing em "/ok/vms.csv?as-em" electricitymaps "" "not valid electricitymaps" 1 \
	"a CSV where JSON belongs: refused"
failing free /auth/inventory.xml ewc 'token-env="EWC_TEST_TOKEN" token-header="auth-token"' \
	"the token variable EWC_TEST_TOKEN is not set" 0 "a token variable not set: nothing sent"

# the overlay still gives the data of the last good copies
"$EWC" place $R --jobs "$T/jobs.csv" --mode cost --db "$DB" --format csv \
	--now=2026-11-22T08:00:00Z > "$T/p.csv" 2> "$T/err"
if [ "$(awk -F, 'NR == 2 { print $4, $9 }' "$T/p.csv")" = "guizhou 531.98" ] &&
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM feed_log WHERE status = 'failed'")" -eq 10 ]; then
	ok "after the failures place sees the same data; each failure is in feed_log"
else no "after failures" "$T/err"; fi

# one feed of two failing: exit 4, the other stored
feeds "cfe|/ok/cfe.csv|google-cfe" "ci|/missing/casdk.json|casdk"
before=$(snapshots)
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2> "$T/err"
rc=$?
if [ $rc -eq 4 ] && grep -q "ewc: 1 of 2 feeds failed; their previous snapshots stay" "$T/err" &&
	grep -q "^cfe  *\(updated\|unchanged\)" "$T/out"; then
	ok "one feed of two failing: exit 4, the other one stored"
else no "partial sync: rc $rc" "$T/err"; fi

# a token from the environment: sent, never stored
feeds "free|/auth/inventory.xml|ewc|token-env=\"EWC_TEST_TOKEN\" token-header=\"auth-token\""
EWC_TEST_TOKEN=secret "$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^free  *updated" "$T/out" &&
	grep -q "^GET /auth/inventory.xml auth$" "$T/http.log" &&
	! grep -q secret "$DB"* && ! grep -q secret "$T/out"; then
	ok "a token: sent in its header, not in the database or the output"
else no "token: rc $rc" "$T/out"; fi

# a token never leaves the feed's host: a second server on another port
# (another origin) gets the redirected request without it; a redirect on
# the feed's own host keeps it
"$top_builddir/tests/httpd" "$F" "$T/port2" "$T/http2.log" &
httpd2=$!
trap 'kill $httpd $httpd2 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/port2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port2=$(cat "$T/port2" 2> /dev/null)
feeds "free|/redirect/$port2/auth/inventory.xml|ewc|token-env=\"EWC_TEST_TOKEN\" token-header=\"auth-token\" retries=\"0\""
EWC_TEST_TOKEN=secret "$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "^GET /redirect/$port2/auth/inventory.xml auth$" "$T/http.log" &&
	grep -q "^GET /auth/inventory.xml$" "$T/http2.log" && ! grep -q " auth$" "$T/http2.log"; then
	ok "a redirect to another host (port): the token header is not sent there (HTTP 401)"
else no "cross-origin redirect: rc $rc" "$T/out"; cat "$T/http2.log"; fi
feeds "free|/redirect/$port/auth/inventory.xml|ewc|token-env=\"EWC_TEST_TOKEN\" token-header=\"auth-token\""
EWC_TEST_TOKEN=secret "$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R $NOW > "$T/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "^GET /auth/inventory.xml auth$" "$T/http.log")" -ge 2 ]; then
	ok "a redirect on the feed's own host keeps the token"
else no "same-origin redirect: rc $rc" "$T/out"; fi
kill $httpd2 2> /dev/null
wait $httpd2 2> /dev/null

feeds "cfe|/ok/cfe.csv|google-cfe" "ci|/ok/casdk.json|casdk" "em|/ok/em.json|electricitymaps" \
	"vms|/ok/vms.csv|skypilot" "free|/etag/inventory.xml|ewc"
# the first sync again, for programs, into a new database: one JSON
# document, a feed each
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$T/json.db" $R $NOW --format json > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["format"], len(d["feeds"]), sorted(set(f["status"] for f in d["feeds"])))' "$T/out")" = \
	"ewc.sync/1 5 ['updated']" ] &&
	ok "sync --format json: format ewc.sync/1, five feeds, each with its status" ||
	no "sync json: rc $rc" "$T/out"

# the feeds file: plain http only with insecure-http="loopback" and a loopback host
printf '<feeds>\n<feed name="x" url="http://127.0.0.1:%s/ok/cfe.csv" format="google-cfe" map="%s/cfe-map.csv"/>\n</feeds>\n' "$port" "$F" > "$T/feeds.xml"
lines=$(wc -l < "$T/http.log")
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R > "$T/out" 2> "$T/err"
rc1=$?
printf '<feeds>\n<feed name="x" url="http://example.com/cfe.csv" insecure-http="loopback" format="google-cfe" map="%s/cfe-map.csv"/>\n</feeds>\n' "$F" > "$T/feeds.xml"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R > "$T/out" 2>> "$T/err"
rc2=$?
if [ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] && [ "$(wc -l < "$T/http.log")" -eq "$lines" ] &&
	grep -q "feeds.xml:2: feed@url: must be https://" "$T/err" &&
	grep -q "feeds.xml:2: feed@url: insecure-http=\"loopback\" allows only" "$T/err"; then
	ok "plain http refused (and for other hosts even with insecure-http), nothing fetched"
else no "http refused: $rc1 $rc2" "$T/err"; fi

printf '<feeds>\n<feed name="x" url="https://a.example/x" format="csv" retries="-1" bogus="1"/>\n</feeds>\n' > "$T/feeds.xml"
"$EWC" regions sync --feeds "$T/feeds.xml" --db "$DB" $R > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && grep -q "feed@bogus: unknown attribute" "$T/err" &&
	grep -q "feed@format: must be google-cfe" "$T/err" && grep -q "feed@retries: must be" "$T/err"; then
	ok "a bad feeds file: every problem named with its line"
else no "bad feeds file" "$T/err"; fi

kill $httpd 2> /dev/null
wait $httpd 2> /dev/null
tally
