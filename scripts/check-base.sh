#!/bin/bash
# make check-base: the same test run on the unpatched base, in a worktree of
# its own (build/base-tree, build/obj-base), to confirm that every test of
# the regression set passes without the series.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" || exit 1
"$TOP/scripts/base.sh" || exit 1
wt=$BUILD/base-tree
if [ ! -d "$wt" ]; then
	git -C "$SRC" worktree prune
	git -C "$SRC" worktree add -q --detach "$wt" base || die "cannot make a worktree in $wt"
fi
# The series's own options do not exist in the base.
export ALLOW_ABSENT=1
export SRC=$wt OBJ=$BUILD/obj-base KSFT=$BUILD/selftests-base HDR=$BUILD/headers-base
"$TOP/scripts/build.sh" || exit 1
RESULTS_NAME=base exec "$TOP/scripts/run-tests.sh"
