# measure.sh - sourced by the benchmark scripts, after they set EWC, RUNS
# and a scratch folder T:
# measure LABEL ARGS...: run "$EWC ARGS..." RUNS times and print the
# median, min and max wall time and the peak RSS.
measure() {
	label=$1; shift
	i=0
	: > "$T/times"
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$T/one" "$EWC" "$@" > /dev/null 2>&1 || true
		tail -n 1 "$T/one" >> "$T/times"  # after "exited with non-zero status"
		i=$((i + 1))
	done
	sort -n "$T/times" | awk -v l="$label" '{ t[NR] = $1; if ($2 > r) r = $2 }
		END { printf "%-44s median %7.2f s  min %7.2f  max %7.2f  peak RSS %4.0f MB\n",
		      l, t[int((NR + 1) / 2)], t[1], t[NR], r / 1024 }'
}
