#!/bin/bash
# make bench: build the patched kernel, boot it once and run the benchmarks
# of bench/: attrs_bench (KVM_SET_MEMORY_ATTRIBUTES) and gmem_bench
# (guest_memfd); print their output and keep it in $BUILD/results/bench.txt,
# then the table of their results (scripts/bench-report.sh).
. "$(dirname "$0")/lib.sh"

benches="attrs_bench gmem_bench"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
mkdir -p "$BUILD/tools" "$BUILD/results"
for b in $benches; do
	step "bench-tool-$b" gcc -O2 -Wall -static -pthread -isystem "$HDR/include" \
		-o "$BUILD/tools/$b" "$TOP/bench/$b.c"
done
# No stale figures from an earlier run if this one never gets to run them.
rm -f "$BUILD/results/bench.ktap" "$BUILD/results/bench.txt"
# gmem_bench alone takes about 3 minutes under TCG on a busy machine.
"$TOP/scripts/boot.sh" bench 600 $benches
rc=$?
# The benchmarks' own lines, from the first '# running' to the last
# '# NAME: exit' (the KTAP result lines between them are left out).
awk '/^# running /{on = 1}
	on && /^# /{line[n++] = substr($0, 3); if ($0 ~ /^# [^ ]+: exit /) last = n}
	END{for (i = 0; i < last; i++) print line[i]}' \
	"$BUILD/results/bench.ktap" 2>/dev/null | tee "$BUILD/results/bench.txt"
[ -s "$BUILD/results/bench.txt" ] || echo "error: the benchmarks printed nothing; see $BUILD/results/bench.log" >&2
# One table of every metric, kept as bench.csv, bench.md (for README) and
# bench.png in $BUILD/results/bench/; a run without output leaves none there.
"$TOP/scripts/bench-report.sh" "$BUILD/results/bench.txt" || [ "$rc" != 0 ] || rc=1
exit $rc
