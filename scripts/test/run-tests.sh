#!/bin/bash
# Boot the built kernel and run every x86_64 KVM selftest of the tree (the
# series' own included) except those tests/excluded.txt leaves out and those
# tests/two-cpus.txt keeps for the two-vCPU guest (races.sh).
# GMEM_TESTS="a b" (make check TESTS="a b") runs just those.
. "$(dirname "$0")/../lib.sh"

excluded=$(sed 's/#.*//' "$TOP/tests/excluded.txt" "$TOP/tests/two-cpus.txt" | awk 'NF { print $1 }')
if [ -n "${GMEM_TESTS:-}" ]; then
	list=$GMEM_TESTS
else
	list=$(grep -vxF -f <(echo "$excluded") "$KSFT/tests.list")
fi
[ -n "$list" ] || die "no test to run"
for t in $list; do
	[ -x "$KSFT/$t" ] || die "selftest $t did not build (see $BUILD/log/selftests.log); fix it, or list it in tests/excluded.txt with the reason"
done
exec "$TOP/scripts/boot/boot.sh" "${GMEM_RESULTS_NAME:-check}" "${GMEM_TEST_TIMEOUT:-300}" $list
