#!/bin/bash
# make bench: build the production kernel, boot it once and run the
# benchmarks of bench/: attrs_bench (KVM_SET_MEMORY_ATTRIBUTES), gmem_bench
# and ram_bench (guest_memfd), huge_bench (2 MiB guest_memfd folios and
# mappings) and base_bench (what every VM pays, guest_memfd or not), the
# last also on the unpatched base's kernel; print their output and keep it
# in $BUILD/results/bench.txt (the base's in bench-base.txt), then the table
# of their results (scripts/report/bench-report.py).
#
# BENCH_KERNEL=production (the default): the test kernel's config without its
# debug options (config/debug.config: KASAN, lockdep, DEBUG_VM, kmemleak,
# fault injection), as a distribution would ship it, built in $BUILD/obj-bench.
# BENCH_KERNEL=debug: the test kernel itself ($BUILD/obj), no base run.
# BENCH_BASE=0: no base run.  (Knobs reach this script as GMEM_<NAME>.)
. "$(dirname "$0")/../lib.sh"

# base_bench first, as on the base kernel: run after the others (1 GiB
# allocated and freed, 2 MiB folios split) it measured MADV_DONTNEED under a
# running vCPU 1.6x slower than first in a fresh boot of the same kernel.
benches="base_bench attrs_bench gmem_bench ram_bench huge_bench"

"$TOP/scripts/build/ensure.sh" || exit 1
BENCH_KERNEL=${GMEM_BENCH_KERNEL:-production}
case $BENCH_KERNEL in
production)
	# From the test kernel's base config (minimal by default: a third of
	# defconfig's objects, none of them a driver the guest would load),
	# for two kernels (patched, base).
	OBJ=$BUILD/obj-bench
	FRAGMENTS="$TOP/config/harness.config $TOP/config/kvm.config $(ksft_config)"
	GMEM_OBJ=$OBJ GMEM_FRAGMENTS=$FRAGMENTS "$TOP/scripts/build/build.sh" --kernel-only || exit 1
	export GMEM_OBJ=$OBJ
	;;
debug)
	"$TOP/scripts/build/build.sh" --kernel-only || exit 1
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
rm -f "$BUILD/results/bench-base.ktap" "$BUILD/results/bench-base.txt"
# The benchmarks' own lines of boot NAME, from the first '# running' to the
# last '# PROG: exit' (the KTAP result lines between them are left out).
bench_lines() {
	awk '/^# running /{on = 1}
		on && /^# /{line[n++] = substr($0, 3); if ($0 ~ /^# [^ ]+: exit /) last = n}
		END{for (i = 0; i < last; i++) print line[i]}' \
		"$BUILD/results/$1.ktap" 2>/dev/null
}
# The base comparison (production kernel only; BENCH_BASE=0 leaves it out):
# base_bench, which needs nothing the series adds, on the unpatched base's
# kernel built with the same config (the series' own options are absent
# there) in $BUILD/obj-base-bench, booted first, then on the patched one
# with the other benchmarks.  The report puts the two side by side.
base_opt=()
if [ "$BENCH_KERNEL" = production ] && [ "${GMEM_BENCH_BASE:-1}" = 1 ]; then
	wt=$(base_worktree) || exit 1
	GMEM_SRC=$wt GMEM_OBJ=$BUILD/obj-base-bench GMEM_HDR=$BUILD/headers-base GMEM_FRAGMENTS=$FRAGMENTS GMEM_ALLOW_ABSENT=1 \
		"$TOP/scripts/build/build.sh" --kernel-only || exit 1
	note "base kernel: $BUILD/obj-base-bench"
	GMEM_OBJ=$BUILD/obj-base-bench "$TOP/scripts/boot/boot.sh" bench-base 600 base_bench || rc_base=1
	bench_lines bench-base | { echo "bench kernel: unpatched base, $BENCH_KERNEL config (obj-base-bench)"; cat; } \
		>"$BUILD/results/bench-base.txt"
	base_opt=(--base "$BUILD/results/bench-base.txt")
fi
# gmem_bench alone takes about 3 minutes under TCG on a busy machine.
"$TOP/scripts/boot/boot.sh" bench 600 $benches
rc=$?
[ "${rc_base:-0}" = 0 ] || rc=1
bench_lines bench >"$BUILD/results/bench.raw"
# Which kernel the figures are from heads the output.
[ -s "$BUILD/results/bench.raw" ] && echo "bench kernel: $BENCH_KERNEL config ($(basename "$OBJ"))" | cat - "$BUILD/results/bench.raw" | tee "$BUILD/results/bench.txt"
rm -f "$BUILD/results/bench.raw"
[ -s "$BUILD/results/bench.txt" ] || echo "error: the benchmarks printed nothing; see $BUILD/results/bench.log" >&2
# One table of every metric, kept as bench.csv, bench.md (for README) and
# bench.png in $BUILD/results/bench/; a run without output leaves none there.
"$TOP/scripts/report/bench-report.py" "${base_opt[@]}" "$BUILD/results/bench.txt" || [ "$rc" != 0 ] || rc=1
exit $rc
