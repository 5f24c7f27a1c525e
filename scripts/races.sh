#!/bin/bash
# The third boot of make check: the tests of tests/two-cpus.txt, whose threads
# race each other, in a test guest with two vCPUs, so that they run in
# parallel for real.
. "$(dirname "$0")/lib.sh"

list=$(sed 's/#.*//' "$TOP/tests/two-cpus.txt" | awk 'NF { print $1 }')
for t in $list; do
	[ -x "$KSFT/$t" ] || die "selftest $t did not build (see $BUILD/log/selftests.log)"
done
QEMU_SMP=2 exec "$TOP/scripts/boot.sh" races "${TEST_TIMEOUT:-300}" $list
