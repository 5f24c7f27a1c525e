#!/bin/bash
# make check: build the patched kernel and its KVM selftests, boot it and run
# the tests (see run-tests.sh); then, unless GMEM_TESTS picks tests, boot it with
# two vCPUs for the tests that race (races.sh), and once more for the
# reliability run (see reliability.sh), which counts as one more test.
. "$(dirname "$0")/../lib.sh"

res=$BUILD/results
tree=$res/make-check.ktap
rm -f "$tree" "$res"/{check,races,races-huge-off,reliability}.rc
# One KTAP tree of the whole run in $tree: each boot's KTAP (and the
# reliability run's) as a subtest, indented, under a result line of its own
# whose status is the boot's (boot.sh leaves it in NAME.rc).
# Usage: ktap_tree NAME...
ktap_tree() {
	local i=0 name st
	{
		echo "KTAP version 1"
		echo "# make check of $(git -C "$TOP" describe --always --dirty 2>/dev/null), kernel $(cat "$OBJ/include/config/kernel.release" 2>/dev/null)"
		echo "1..$#"
		for name in "$@"; do
			i=$((i + 1)) st=$(cat "$res/$name.rc" 2>/dev/null || echo 1)
			if [ -s "$res/$name.ktap" ]; then
				sed 's/^/    /' "$res/$name.ktap"
			else
				echo "    # no KTAP output from $name: see $res/$name.log"
			fi
			if [ "$st" = 0 ]; then echo "ok $i $name"; else echo "not ok $i $name"; fi
		done
	} >"$tree"
}

"$TOP/scripts/build/ensure.sh" || exit 1
"$TOP/scripts/build/build.sh" || exit 1
if [ -n "${GMEM_TESTS:-}" ]; then
	"$TOP/scripts/test/run-tests.sh"
	rc=$?
	ktap_tree "${GMEM_RESULTS_NAME:-check}"
	exit $rc
fi

summary=$("$TOP/scripts/test/run-tests.sh")
rc=$?
echo "$summary"
read -r pass _ fail _ skip _ <<<"$(tail -n 1 <<<"$summary")"
[[ "$pass$fail$skip" =~ ^[0-9]+$ ]] || { pass=0 fail=1 skip=0; }
races=$("$TOP/scripts/test/races.sh") || rc=1
echo "$races"
read -r p _ f _ s _ <<<"$(tail -n 1 <<<"$races")"
if [[ "$p$f$s" =~ ^[0-9]+$ ]]; then
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
else
	fail=$((fail + 1))
fi
if "$TOP/scripts/test/reliability.sh"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAILED: reliability run (fault injection, leak checks); see $BUILD/results/reliability.ktap" >&2
	rc=1
fi
ktap_tree check races races-huge-off reliability
echo "# KTAP of the whole run: $tree" >&2
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
