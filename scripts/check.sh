#!/bin/bash
# make check: build the patched kernel and its KVM selftests, boot it and run
# the tests (see run-tests.sh); then, unless TESTS picks tests, boot it with
# two vCPUs for the tests that race (races.sh), and once more for the
# reliability run (see reliability.sh), which counts as one more test.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
[ -n "${TESTS:-}" ] && exec "$TOP/scripts/run-tests.sh"

summary=$("$TOP/scripts/run-tests.sh")
rc=$?
echo "$summary"
read -r pass _ fail _ skip _ <<<"$(tail -n 1 <<<"$summary")"
[[ "$pass$fail$skip" =~ ^[0-9]+$ ]] || { pass=0 fail=1 skip=0; }
races=$("$TOP/scripts/races.sh") || rc=1
echo "$races"
read -r p _ f _ s _ <<<"$(tail -n 1 <<<"$races")"
if [[ "$p$f$s" =~ ^[0-9]+$ ]]; then
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
else
	fail=$((fail + 1))
fi
if "$TOP/scripts/reliability.sh"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAILED: reliability run (fault injection, leak checks); see $BUILD/results/reliability.ktap" >&2
	rc=1
fi
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
