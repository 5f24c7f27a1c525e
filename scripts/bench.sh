#!/bin/bash
# make bench: build the patched kernel, boot it once and run the benchmarks
# of bench/: attrs_bench (KVM_SET_MEMORY_ATTRIBUTES), gmem_bench and ram_bench
# (guest_memfd), huge_bench (2 MiB guest_memfd folios and mappings); print
# their output and keep it in $BUILD/results/bench.txt, then the table of
# their results (scripts/bench-report.sh).
#
# BENCH_KERNEL=production (the default): the test kernel's config without its
# debug options (config/debug.config: KASAN, lockdep, DEBUG_VM, kmemleak,
# fault injection), as a distribution would ship it, built in $BUILD/obj-bench.
# BENCH_KERNEL=debug: the test kernel itself ($BUILD/obj).
. "$(dirname "$0")/lib.sh"

benches="attrs_bench gmem_bench ram_bench huge_bench base_bench"

"$TOP/scripts/ensure.sh" || exit 1
case ${BENCH_KERNEL:=production} in
production)
	OBJ=$BUILD/obj-bench
	FRAGMENTS="$TOP/config/harness.config $TOP/config/kvm.config $TOP/config/series.config"
	OBJ=$OBJ FRAGMENTS=$FRAGMENTS "$TOP/scripts/build.sh" --kernel-only || exit 1
	export OBJ
	;;
debug)
	"$TOP/scripts/build.sh" --kernel-only || exit 1
	;;
*)
	die "BENCH_KERNEL is '$BENCH_KERNEL'; it is 'production' or 'debug'"
	;;
esac
note "bench kernel: $BENCH_KERNEL ($OBJ)"
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
	"$BUILD/results/bench.ktap" 2>/dev/null >"$BUILD/results/bench.raw"
# Which kernel the figures are from heads the output.
[ -s "$BUILD/results/bench.raw" ] && echo "bench kernel: $BENCH_KERNEL config ($(basename "$OBJ"))" | cat - "$BUILD/results/bench.raw" | tee "$BUILD/results/bench.txt"
rm -f "$BUILD/results/bench.raw"
[ -s "$BUILD/results/bench.txt" ] || echo "error: the benchmarks printed nothing; see $BUILD/results/bench.log" >&2
# One table of every metric, kept as bench.csv, bench.md (for README) and
# bench.png in $BUILD/results/bench/; a run without output leaves none there.
"$TOP/scripts/bench-report.py" "${base_opt[@]}" "$BUILD/results/bench.txt" || [ "$rc" != 0 ] || rc=1
exit $rc
