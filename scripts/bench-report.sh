#!/bin/bash
# The last step of make bench: the benchmarks' summary lines (bench/bench.h)
#	result <metric> <value> <unit> <reference> <ratio> <target> [not-run: <reason>]
# as one table on stdout and, in $BUILD/results/bench/, bench.csv, bench.md
# (the table for README, with the date and the machine) and bench.png (the
# ratios against their targets, drawn by gnuplot).
# Usage: bench-report.sh [FILE]   (default: $BUILD/results/bench.txt; the
# console's bench.ktap works too)
#
# The verdict of a metric comes from the printed figures: a target "<=X" or
# ">=X" is met or MISSED by the ratio, or by the value if the metric has no
# in-run reference; "~X" is info (a figure to watch, not a target); not-run
# if there is no value.  A program that printed no summary at all (killed,
# older build, the guest stopped) gets one not-run row under its own name.
# The date is that of FILE (when the run wrote it); the machine is the host
# the report runs on, so run it where the benchmarks ran.
#
# Exits 0 when the CSV and the Markdown are written, whatever the verdicts:
# the figures are the product, not a pass or fail.  Without gnuplot there is
# no PNG, which a warning at the end says; still exit 0, as the figures are
# all there and a missing plotter should not fail a 4-minute run after the
# fact.  A plot that gnuplot fails to draw is an error (exit 1).
. "$(dirname "$0")/lib.sh"

in=${1:-$BUILD/results/bench.txt}
out=$BUILD/results/bench
csv=$out/bench.csv md=$out/bench.md png=$out/bench.png
mkdir -p "$out" || exit 1
# Nothing of an earlier run may be taken for this one's.
rm -f "$csv" "$md" "$png"
[ -s "$in" ] || die "$in is missing or empty: no benchmark output to report (see $BUILD/results/bench.log)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
rows=$tmp/rows.tsv

# One row per metric, tab-separated:
#	metric value unit reference ratio target verdict note
# and "kernel <release>" on the first line.
awk -v OFS='\t' '
function num(s) {
	return s ~ /^-?[0-9]+(\.[0-9]+)?$/
}
function verdict(value, ratio, target,	x, op, lim) {
	if (value == "-")
		return "not-run"
	x = ratio != "-" ? ratio : value
	op = substr(target, 1, 2)
	lim = substr(target, 3)
	if (!num(x) || !num(lim))
		return "info"
	if (op == "<=")
		return x + 0 <= lim + 0 ? "met" : "MISSED"
	if (op == ">=")
		return x + 0 >= lim + 0 ? "met" : "MISSED"
	return "info"
}
{ sub(/\r$/, ""); sub(/^# /, "") }
$1 == "running" && NF == 2 { prog = $2; progs[np++] = prog; next }
$1 == prog && $2 == "on" && kernel == "" { kernel = $3 }
/^(SKIP|error): / && prog != "" && why[prog] == "" { why[prog] = $0 }
$1 == prog ":" && $2 == "exit" { rc[prog] = $3 }
$1 != "result" { next }
NF == 7 || (NF >= 8 && $8 == "not-run:") {
	note = ""
	if (NF >= 8) {
		note = $0
		for (i = 1; i <= 8; i++)
			sub(/^[^ ]+ +/, "", note)
		gsub(/\t/, " ", note)
	}
	row[nr++] = $2 OFS $3 OFS $4 OFS $5 OFS $6 OFS $7 OFS \
		    verdict($3, $6, $7) OFS note
	seen[prog]++
	next
}
{ printf "warning: %s:%d: not a summary line, ignored: %s\n", FILENAME, FNR, $0 >"/dev/stderr" }
END {
	print "kernel", kernel == "" ? "unknown" : kernel
	for (i = 0; i < nr; i++)
		print row[i]
	# A program without any summary line: say what became of it.
	for (i = 0; i < np; i++) {
		p = progs[i]
		if (seen[p])
			continue
		if (!(p in rc))
			note = "did not finish (killed, or the guest stopped; see bench.log)"
		else if (rc[p] == 137)
			note = "killed (exit 137: its timeout or the OOM killer)"
		else if (rc[p] == 0)
			note = "exit 0 but no result lines (a build from before the summary?)"
		else
			note = "exit " rc[p] ", no result lines"
		if (why[p] != "")
			note = why[p] " (" note ")"
		print p " (all)", "-", "-", "-", "-", "-", "not-run", note
	}
}' "$in" >"$rows" || exit 1

kernel=$(sed -n '1s/^kernel\t//p' "$rows")
sed -i 1d "$rows"
[ -s "$rows" ] || die "$in has no result lines and no benchmark in it: nothing to report"

date=$(date -r "$in" +%F)
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
ram=$(awk '$1 == "MemTotal:" { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
# boot.sh's defaults; make bench passes its environment on to both.
guest="QEMU/TCG guest (${QEMU_SMP:-1} vCPU, ${QEMU_MEM:-4G})"
machine="$NPROC cores, $ram GiB RAM, ${cpu:-unknown CPU}; $guest, kernel $kernel"

# CSV (RFC 4180 quoting; the machine has commas); the note says why a
# metric was not run.
awk -F '\t' -v date="$date" -v machine="$machine" '
function q(s) {
	if (s !~ /[",]/)
		return s
	gsub(/"/, "\"\"", s)
	return "\"" s "\""
}
BEGIN { print "metric,value,unit,reference,ratio,target,verdict,date,machine,note" }
{
	line = ""
	for (i = 1; i <= 7; i++)
		line = line q($i) ","
	print line q(date) "," q(machine) "," q($8)
}' "$rows" >"$csv" || exit 1

# Markdown, to paste into README.
{
	echo "Latest run: $date, \`make bench\` on $machine."
	echo
	echo "| metric | value | unit | in-run reference | ratio | target | verdict |"
	echo "|---|---|---|---|---|---|---|"
	awk -F '\t' '{
		for (i = 1; i <= 8; i++)
			gsub(/\|/, "\\|", $i)
		v = $7 == "not-run" && $8 != "" ? $7 ": " $8 : $7
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, v
	}' "$rows"
} >"$md" || exit 1

# The table on stdout: aligned columns, the reasons of not-run rows below.
echo "make bench, $date: $machine"
awk -F '\t' '
{
	for (i = 1; i <= 7; i++) {
		cell[NR, i] = $i
		if (length($i) > w[i])
			w[i] = length($i)
	}
	note[NR] = $8
	count[$7]++
}
END {
	split("metric value unit reference ratio target verdict", h, " ")
	for (i = 1; i <= 7; i++) {
		cell[0, i] = h[i]
		if (length(h[i]) > w[i])
			w[i] = length(h[i])
	}
	for (r = 0; r <= NR; r++) {
		line = ""
		for (i = 1; i <= 7; i++) {
			# numbers to the right, words to the left
			f = i == 2 || i == 4 || i == 5 ? "%" w[i] "s" : "%-" w[i] "s"
			line = line sprintf(f, cell[r, i]) (i < 7 ? "  " : "")
		}
		sub(/ +$/, "", line)
		print line
	}
	printf "%d met, %d MISSED, %d info, %d not-run\n", count["met"],
	       count["MISSED"], count["info"], count["not-run"]
	for (r = 1; r <= NR; r++)
		if (cell[r, 7] == "not-run")
			printf "not-run: %s: %s\n", cell[r, 1], note[r]
}' "$rows"

# The plot: one horizontal bar per metric, its ratio to the in-run
# reference, coloured by verdict, with its target limit as a black tick and
# the figures written to the right.  Log scale when the figures span more
# than 20x.  A row without a ratio gets its figures as text only.
plot() {
	local data=$tmp/plot.tsv gp=$tmp/plot.gp n scale xlo xhi xlabel=ratio

	n=$(wc -l <"$rows")
	awk -F '\t' -v OFS='\t' '
	function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?$/ }
	{
		ratio = num($5) ? $5 : "NaN"
		lim = substr($6, 3)
		lim = num(lim) && $5 != "-" ? lim : "NaN"
		colour = $7 == "met" ? "0x3a9a4a" : $7 == "MISSED" ? "0xd03a2a" : "0x7a8a9a"
		if ($7 == "not-run")
			text = "not run: " $8
		else if ($5 == "-")
			text = $2 " " $3 ", no in-run reference; target " $6 ": " $7
		else
			text = $5 "  (target " $6 ": " $7 ")"
		if (length(text) > 64)
			text = substr(text, 1, 61) "..."
		gsub(/"/, "'\''", text)
		print NR, $1, ratio, lim, colour, text
	}' "$rows" >"$data"
	# The x range: a decade or a margin around every ratio and limit, and
	# around 1 (the reference).
	read -r scale xlo xhi < <(awk -F '\t' '
	BEGIN { min = max = 1 }
	{
		for (i = 3; i <= 4; i++)
			if ($i != "NaN" && $i > 0) {
				if ($i < min) min = $i
				if ($i > max) max = $i
			}
	}
	END {
		if (max / min > 20)
			print "log", 10 ^ int(log(min) / log(10) - (min < 1)), \
			      10 ^ int(log(max) / log(10) + 1)
		else
			print "lin", 0, max * 1.15
	}' "$data")

	{
		echo "set terminal pngcairo size 1400,$((170 + 40 * n)) font 'Sans,11' noenhanced"
		echo "set output '$png'"
		echo "set datafile separator tab"
		printf 'set title "make bench, %s: ratio to the in-run reference, with the target\\n%s"\n' \
			"$date" "${machine//\"/\'}"
		echo "set lmargin 26"
		echo "set rmargin at screen 0.6"
		echo "set yrange [$n + 0.6 : 0.4]"
		echo "set ytics nomirror scale 0"
		echo "set x2range [0 : 1]"
		echo "unset x2tics"
		echo "set xrange [$xlo : $xhi]"
		if [ "$scale" = log ]; then
			echo "set logscale x"
			echo "set format x '%g'"
			xlabel="ratio (log scale)"
		fi
		echo "set xlabel '$xlabel'"
		echo "set grid xtics lc rgb '#dddddd'"
		echo "set style fill solid 0.85 noborder"
		echo "set key at graph 0.5, screen 0.01 center bottom horizontal width 2"
		echo "set bmargin 6"
		# the reference: ratio 1
		echo "set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#888888'"
		echo "plot '$data' using ($xlo):1:($xlo):3:(\$1 - 0.35):(\$1 + 0.35):5 with boxxyerror lc rgb variable notitle, \\"
		echo "     '' using 4:(\$1 - 0.45):(0):(0.9) with vectors nohead lw 3 lc rgb 'black' title 'target limit', \\"
		echo "     '' using (1):1:6:ytic(2) with labels left offset char 1, 0 notitle axes x2y1, \\"
		echo "     keyentry with boxes lc rgb '#3a9a4a' title 'met', \\"
		echo "     keyentry with boxes lc rgb '#d03a2a' title 'MISSED', \\"
		echo "     keyentry with boxes lc rgb '#7a8a9a' title 'info (no target to meet)'"
	} >"$gp"
	gnuplot "$gp" 2>"$tmp/gnuplot.err"
}

status=0
note "wrote $csv"
note "wrote $md"
if ! command -v gnuplot >/dev/null; then
	echo "warning: gnuplot is not installed: no plot ($png); install the Debian package gnuplot-nox (make deps)" >&2
elif plot; then
	note "wrote $png"
else
	cat "$tmp/gnuplot.err" >&2
	echo "error: gnuplot failed to draw $png" >&2
	rm -f "$png"
	status=1
fi
exit $status
