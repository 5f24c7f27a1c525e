#!/bin/bash
# make reliability (and the second boot of make check): boot the test kernel
# with kmemleak=on and run guest/reliability-run.sh in it: the guest_memfd stress
# test and fuzzer with failslab and fail_page_alloc aimed at them, then the
# checks that nothing is left (pages charged, guest_memfd pages, kmemleak
# reports, splats).  GMEM_STRESS_SECONDS, GMEM_FUZZ_SECONDS and GMEM_FAIL_PERCENT change the
# run (60, 30, 2).  The figures are kept in $BUILD/results/reliability.txt.
. "$(dirname "$0")/../lib.sh"

stress=${GMEM_STRESS_SECONDS:-60} fuzz=${GMEM_FUZZ_SECONDS:-30} percent=${GMEM_FAIL_PERCENT:-2}
progs="x86_64/guest_memfd_stress_test x86_64/guest_memfd_fuzz_test"
for p in $progs; do
	[ -x "$KSFT/$p" ] || die "$p did not build; run 'make build'"
done
mkdir -p "$BUILD/tools" "$BUILD/results"
cp "$TOP/guest/reliability-run.sh" "$BUILD/tools/reliability-run.sh"
printf '#!/bin/sh\nexec ./reliability-run.sh %s %s %s\n' "$stress" "$fuzz" "$percent" \
	>"$BUILD/tools/reliability-args.sh"
chmod +x "$BUILD/tools/reliability-run.sh" "$BUILD/tools/reliability-args.sh"

opts=$(grep -E '^CONFIG_(KASAN|PROVE_LOCKING|DEBUG_VM|DEBUG_KMEMLEAK|FAILSLAB|FAIL_PAGE_ALLOC|KVM_WERROR|MEMCG|DEBUG_LIST|PROVE_RCU)=y' \
	"$OBJ/.config" | sed 's/^CONFIG_//; s/=y$//' | tr '\n' ' ')
note "reliability run: stress ${stress}s, fuzz ${fuzz}s, ${percent}% of allocations failing; kernel debug options: $opts"
rm -f "$BUILD/results/reliability.txt"
GMEM_EXTRA="$progs reliability-run.sh" GMEM_KERNEL_CMDLINE="kmemleak=on ${GMEM_KERNEL_CMDLINE:-}" \
	"$TOP/scripts/boot/boot.sh" reliability $((stress + fuzz + 300)) reliability-args.sh
rc=$?
{
	echo "kernel debug options (.config): $opts"
	sed -n '/^# == reliability figures ==/,/^# kernel splats/p' "$BUILD/results/reliability.ktap" |
		sed 's/^# //'
} | tee "$BUILD/results/reliability.txt"
exit $rc
