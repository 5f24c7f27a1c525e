#!/bin/bash
# The third boot of make check: the tests of tests/two-cpus.txt, whose threads
# race each other, in a test guest with two vCPUs, so that they run in
# parallel for real.  Then a fourth boot, with huge guest_memfd folios off
# (kvm.gmem_huge_pages=N), for the tests of tests/huge-off.txt: the stress
# test races on files of 4 KiB folios too, and the huge-page test checks
# that nothing is mapped at 2 MiB.  One summary line for both.
. "$(dirname "$0")/../lib.sh"

list=$(sed 's/#.*//' "$TOP/tests/two-cpus.txt" | awk 'NF { print $1 }')
off=$(sed 's/#.*//' "$TOP/tests/huge-off.txt" | awk 'NF { print $1 }')
for t in $list $off; do
	[ -x "$KSFT/$t" ] || die "selftest $t did not build (see $BUILD/log/selftests.log)"
done

rc=0 pass=0 fail=0 skip=0
boot() {
	local out p f s
	out=$("$TOP/scripts/boot/boot.sh" "$@") || rc=1
	sed '$d' <<<"$out"
	read -r p _ f _ s _ <<<"$(tail -n 1 <<<"$out")"
	if [[ "$p$f$s" =~ ^[0-9]+$ ]]; then
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	else
		tail -n 1 <<<"$out"
		fail=$((fail + 1)) rc=1
	fi
}
GMEM_QEMU_SMP=2 boot races "${GMEM_TEST_TIMEOUT:-300}" $list
GMEM_QEMU_SMP=2 GMEM_KERNEL_CMDLINE="kvm.gmem_huge_pages=N" \
	boot races-huge-off "${GMEM_TEST_TIMEOUT:-300}" $off
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
