#!/bin/bash
# make check: build the patched kernel and its KVM selftests, boot it and run
# the tests (see run-tests.sh); then, unless TESTS picks tests, boot it again
# for the reliability run (see reliability.sh), which counts as one more test.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
[ -n "${TESTS:-}" ] && exec "$TOP/scripts/run-tests.sh"

summary=$("$TOP/scripts/run-tests.sh")
rc=$?
echo "$summary"
read -r pass _ fail _ skip _ <<<"$(tail -n 1 <<<"$summary")"
[[ "$pass$fail$skip" =~ ^[0-9]+$ ]] || { pass=0 fail=1 skip=0; }
if "$TOP/scripts/reliability.sh"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAILED: reliability run (fault injection, leak checks); see $BUILD/results/reliability.ktap" >&2
	rc=1
fi
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
