#!/bin/bash
# make bench: build the patched kernel, boot it and run bench/attrs_bench,
# the KVM_SET_MEMORY_ATTRIBUTES benchmark; print its output and keep it in
# $BUILD/results/bench.txt.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
mkdir -p "$BUILD/tools" "$BUILD/results"
step bench-tool gcc -O2 -Wall -static -isystem "$HDR/include" \
	-o "$BUILD/tools/attrs_bench" "$TOP/bench/attrs_bench.c"
# No stale figures from an earlier run if this one never gets to run it.
rm -f "$BUILD/results/bench.ktap" "$BUILD/results/bench.txt"
"$TOP/scripts/boot.sh" bench 300 attrs_bench
rc=$?
sed -n '/^# running attrs_bench$/,/^# attrs_bench: exit/p' "$BUILD/results/bench.ktap" 2>/dev/null |
	sed 's/^# //' | tee "$BUILD/results/bench.txt"
[ -s "$BUILD/results/bench.txt" ] || echo "error: attrs_bench printed nothing; see $BUILD/results/bench.log" >&2
exit $rc
