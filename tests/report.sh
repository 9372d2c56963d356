#!/bin/sh
# report.sh - the rebalancing report in a real browser. Builds two nights of
# the hand-computed fixture (tests/check_rebalance.c), writes the report,
# renders it in headless Chromium and checks the DOM the browser built:
# every chart is an SVG element laid out at its size, bars are as long as
# their numbers say, the headline and the move table carry the hand-computed
# figures. Takes a screenshot (tests/report.png) and prints it to PDF.
# Skipped (77) without Chromium unless EWC_REQUIRE_BROWSER=1.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
EWC="$top_builddir/src/ewc"
RB="$top_srcdir/tests/cli/rebalance"
RG="--regions $top_srcdir/tests/cli/small/gpus.xml"
BROWSER=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$BROWSER" ]; then
	if [ "${EWC_REQUIRE_BROWSER:-0}" = 1 ]; then
		echo "FAIL: no chromium (apt-get install chromium)"; exit 1
	fi
	echo "SKIP: no chromium (apt-get install chromium)"; exit 77
fi
EWC_VALGRIND= # not this test: see tests/lib.sh
test_name=report; . "$top_srcdir/tests/lib.sh"

DB="$T/state.db"
"$EWC" place $RG --regions "$RB/night0.xml" --jobs "$RB/jobs.csv" --commit --db "$DB" \
	--now 2026-11-22T00:00:00Z > /dev/null 2>&1 &&
"$EWC" rebalance --db "$DB" $RG --regions "$RB/night1.xml" --now 2026-11-22T10:00:00Z \
	--commit > /dev/null 2>&1 &&
"$EWC" rebalance --db "$DB" $RG --regions "$RB/night2.xml" --now 2026-11-23T10:00:00Z \
	--commit --report "$T/report.html" > /dev/null 2> "$T/err" &&
	ok "two nights recorded, report written" || no "two nights recorded, report written" "$T/err"

browse() {
	timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--disable-background-networking --disable-extensions --no-first-run \
		--user-data-dir="$T/profile" --hide-scrollbars "$@" 2> "$T/browser.err"
}

# The harness loads the report in a frame and writes what the browser made
# of it into its own page, which --dump-dom prints.
cat > "$T/harness.html" <<'HTML'
<!doctype html>
<html><body><pre id="out">harness did not run</pre>
<iframe id="f" src="report.html" width="1200" height="3000"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, w = this.contentWindow, out = [];
  function all(s) { return Array.prototype.slice.call(d.querySelectorAll(s)); }
  ['chart-cost-region', 'chart-carbon-region', 'chart-gpus-region', 'chart-gpus-zone',
   'chart-flow', 'chart-trend-cost', 'chart-trend-carbon'].forEach(function (id) {
    var e = d.getElementById(id);
    out.push('chart ' + id + ' ' + (e instanceof w.SVGSVGElement) + ' ' +
             Math.round(e ? e.getBoundingClientRect().width : 0) + ' ' +
             (e ? e.querySelectorAll('rect, path, circle').length > 0 : false));
  });
  all('#chart-cost-region rect.bar').forEach(function (r) {
    out.push('cost-bar ' + r.getAttribute('data-label') + ' ' + r.getAttribute('data-value') +
             ' ' + Math.round(r.getBBox().width));
  });
  all('#chart-flow path.flow').forEach(function (p) {
    out.push('flow ' + p.getAttribute('data-from') + ' ' + p.getAttribute('data-to') + ' ' +
             p.getAttribute('data-value'));
  });
  ['kpi-cost', 'kpi-moves', 'kpi-saving', 'kpi-cumulative', 'kpi-vs-previous'].forEach(function (id) {
    var k = d.getElementById(id);
    out.push(id + ' ' + k.getAttribute('data-value') + ' ' +
             k.querySelector('.value').textContent.trim());
  });
  all('#moves tbody tr').forEach(function (tr) {
    out.push('move ' + Array.prototype.map.call(tr.cells, function (c) {
      return c.textContent.trim(); }).join(' | '));
  });
  out.push('trend ' + all('#chart-trend-cost circle').map(function (c) {
    return c.getAttribute('data-run'); }).join(' '));
  out.push('external ' + all('script, link, img, [src]').length);
  ['kpi-carbon-avoided', 'kpi-vs-previous'].forEach(function (id) {
    var k = d.getElementById(id);
    out.push('sense ' + id + ' ' + k.querySelector('.label').textContent.trim() + ' | ' +
             k.querySelector('.value').textContent.trim() + ' | ' +
             k.querySelector('.value').getAttribute('class'));
  });
  out.push('ages ' + all('#ages tbody tr').map(function (tr) {
    return tr.getAttribute('data-region') || tr.getAttribute('data-feed'); }).join(' '));
  // every label inside its chart: each text's box within its SVG's viewBox
  var clipped = [];
  all('svg').forEach(function (svg) {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (!vb || !vb.width)
      return;
    Array.prototype.forEach.call(svg.querySelectorAll('text'), function (t) {
      // the box as drawn: through the text's own transform (a rotated
      // axis label), into the SVG's user space
      var b0 = t.getBBox(), m = svg.getCTM().inverse().multiply(t.getCTM()), xs = [], ys = [];
      [[b0.x, b0.y], [b0.x + b0.width, b0.y], [b0.x, b0.y + b0.height],
       [b0.x + b0.width, b0.y + b0.height]].forEach(function (c) {
        var p = svg.createSVGPoint();
        p.x = c[0]; p.y = c[1];
        p = p.matrixTransform(m);
        xs.push(p.x); ys.push(p.y);
      });
      var b = { x: Math.min.apply(null, xs), y: Math.min.apply(null, ys) };
      b.width = Math.max.apply(null, xs) - b.x;
      b.height = Math.max.apply(null, ys) - b.y;
      if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.width > vb.x + vb.width + 0.5 ||
          b.y + b.height > vb.y + vb.height + 0.5)
        clipped.push((svg.id || 'svg') + ':"' + t.textContent + '"');
    });
  });
  out.push('clipped ' + (clipped.length ? clipped.join(' ') : 'none'));
  document.getElementById('out').textContent = out.join('\n');
});
</script></body></html>
HTML
browse --allow-file-access-from-files --virtual-time-budget=10000 \
	--dump-dom "file://$T/harness.html" > "$T/dom.html"
sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom.html" | sed 's/<[^>]*>//g; s/&gt;/>/g; s/&lt;/</g; s/&amp;/\&/g' > "$T/got"

# Night 2, by hand (see test_three_nights): A, 66 h left on west1, moves
# back east: 264 GPU-hours at 5.25 plus 100 GB at 0.1 = 1396 CNY, migration
# 40; B is past its hours and left out. Staying would cost 264 * 8.144 =
# 2150.016, so the saving is 2150.016 - 1436 = 714.016. The previous run
# (night 1) ran at 1765.82 CNY a day (A west: (2936.84 - 5) / 90 h, B east:
# 41 an hour, one-time transfers aside); now A alone runs at 21 an hour,
# 504 a day: -1261.82 CNY a day. The two rebalancings saved 711.16 (night
# 1, test_moves_by_hand) + 714.02 = 1425.18 CNY. Carbon goes up: 264 * (0.12 - 0.24) = -31.68
# kg avoided, cheaper power outweighing it at 100 CNY/t. The cost bar of east1, the only region with a
# cost, is the full 380 px; west1, left empty, has none.
cat > "$T/want" <<'WANT'
chart chart-cost-region true 680 true
chart chart-carbon-region true 680 true
chart chart-gpus-region true 680 true
chart chart-gpus-zone true 680 true
chart chart-flow true 680 true
chart chart-trend-cost true 680 true
chart chart-trend-carbon true 680 true
cost-bar east1 1436.00 380
cost-bar west1 0.00 0
flow east east 264.00
kpi-cost 1436.00 1,436.00 CNY
kpi-moves 1.00 1
kpi-saving 714.02 714.02 CNY
kpi-cumulative 1425.18 1,425.18 CNY
kpi-vs-previous -1261.82 -1,261.82 CNY/day
move A | west1 (west, A100) | east1 (east, A100) | 4 | 66.0 | 40.00 | 714.02 | -31.7 | east1 A100 price 10.00 -> 5.00 CNY/GPU-h
trend 1 2 3
external 0
sense kpi-carbon-avoided more carbon than everyone staying | 31.7 kg | value bad
sense kpi-vs-previous cost a day, change since the previous run | -1,261.82 CNY/day | value good
ages east1 west1
clipped none
WANT
if cmp -s "$T/want" "$T/got"; then
	ok "the DOM Chromium built: charts, bars, headline, moves, trend, no label outside its chart"
else
	diff "$T/want" "$T/got" > "$T/diff"
	no "the DOM Chromium built" "$T/diff"
	sed 's/^/    browser: /' "$T/browser.err" | tail -5
fi

# The frontier report too: every label inside its chart
"$EWC" frontier $RG --regions "$top_srcdir/tests/cli/small/hubs.xml" \
	--jobs "$top_srcdir/tests/cli/small/jobs.csv" --points 5 --report "$T/frontier.html" > /dev/null 2>&1
cat > "$T/clip.html" <<'HTML'
<!doctype html>
<html><body><pre id="out">harness did not run</pre>
<iframe id="f" src="frontier.html" width="1200" height="3000"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, clipped = [], n = 0;
  Array.prototype.forEach.call(d.querySelectorAll('svg'), function (svg) {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (!vb || !vb.width)
      return;
    Array.prototype.forEach.call(svg.querySelectorAll('text'), function (t) {
      // the box as drawn: through the text's own transform (a rotated
      // axis label), into the SVG's user space
      var b0 = t.getBBox(), m = svg.getCTM().inverse().multiply(t.getCTM()), xs = [], ys = [];
      [[b0.x, b0.y], [b0.x + b0.width, b0.y], [b0.x, b0.y + b0.height],
       [b0.x + b0.width, b0.y + b0.height]].forEach(function (c) {
        var p = svg.createSVGPoint();
        p.x = c[0]; p.y = c[1];
        p = p.matrixTransform(m);
        xs.push(p.x); ys.push(p.y);
      });
      var b = { x: Math.min.apply(null, xs), y: Math.min.apply(null, ys) };
      b.width = Math.max.apply(null, xs) - b.x;
      b.height = Math.max.apply(null, ys) - b.y;
      n++;
      if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.width > vb.x + vb.width + 0.5 ||
          b.y + b.height > vb.y + vb.height + 0.5)
        clipped.push((svg.id || 'svg') + ':"' + t.textContent + '"');
    });
  });
  document.getElementById('out').textContent =
    'labels ' + (n > 0) + ' clipped ' + (clipped.length ? clipped.join(' ') : 'none');
});
</script></body></html>
HTML
browse --allow-file-access-from-files --virtual-time-budget=10000 \
	--dump-dom "file://$T/clip.html" > "$T/dom2.html"
got=$(grep -o '<pre id="out">[^<]*</pre>' "$T/dom2.html" | sed 's/<[^>]*>//g; s/&amp;/\&/g')
[ "$got" = "labels true clipped none" ] && ok "frontier report: every label inside its chart" ||
	{ echo "$got" > "$T/clip.out"; no "frontier report labels" "$T/clip.out"; }

# The report of a plan over time (tests/cli/time: two jobs of all 8 GPUs
# that the valley takes one after the other): a chart per region, every
# label inside, the hand-computed starts in the table
TM="$top_srcdir/tests/cli/time"
"$EWC" place --regions "$TM/gpus.xml" --regions "$TM/gd.xml" --jobs "$TM/jobs.csv" \
	--horizon 24 --start 2026-12-07T08:00:00+08:00 --report "$T/time.html" > /dev/null 2>&1
sed 's/src="frontier.html"/src="time.html"/; s|document.getElementById(.out.).textContent =|var rows = Array.prototype.map.call(d.querySelectorAll("#jobs tr"), function (tr) { return Array.prototype.map.call(tr.cells, function (c) { return c.textContent.trim(); }).slice(0, 6).join(" \| "); }); var ch = d.getElementById("chart-occupancy-gd"); document.getElementById("out").textContent = "chart " + (ch \&\& ch.querySelectorAll("polygon.area-used").length) + "\\n" + rows.join("\\n") + "\\n" +|' \
	"$T/clip.html" > "$T/clip-time.html"
browse --allow-file-access-from-files --virtual-time-budget=10000 \
	--dump-dom "file://$T/clip-time.html" > "$T/dom3.html"
sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom3.html" | sed 's/<[^>]*>//g; s/&amp;/\&/g' > "$T/time.got"
cat > "$T/time.want" <<'EOF2'
chart 1
job | region | type | GPUs | start | end
a | gd | A100 | 8 | 2026-12-08 04:00 | 2026-12-08 08:00
b | gd | A100 | 8 | 2026-12-08 00:00 | 2026-12-08 04:00
labels true clipped none
EOF2
diff "$T/time.want" "$T/time.got" > "$T/time.diff" && ok "time report: chart, starts, every label inside" ||
	no "time report" "$T/time.diff"

shot="$top_builddir/tests/report.png"
rm -f "$shot"
browse --window-size=1200,3200 --screenshot="$shot" "file://$T/report.html" > /dev/null
size=$(wc -c < "$shot" 2> /dev/null || echo 0)
[ "$size" -gt 20000 ] && ok "screenshot $shot ($size bytes)" || no "screenshot ($size bytes)" "$T/browser.err"
browse --print-to-pdf="$T/report.pdf" --no-pdf-header-footer "file://$T/report.html" > /dev/null
head -c 5 "$T/report.pdf" 2> /dev/null | grep -q '%PDF-' && ok "prints to PDF" || no "prints to PDF" "$T/browser.err"

tally
