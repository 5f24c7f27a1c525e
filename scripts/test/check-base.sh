#!/bin/bash
# make check-base: the same test run on the unpatched base, in a worktree of
# its own (build/base-tree, build/obj-base), to confirm that every test of
# the regression set passes without the series.
. "$(dirname "$0")/../lib.sh"

# The series' tree too: its selftests config is the test kernel's.
"$TOP/scripts/build/ensure.sh" || exit 1
wt=$(base_worktree) || exit 1
# The same config as the test kernel's, the series' selftests config
# included; the series' own options do not exist in the base.
export GMEM_ALLOW_ABSENT=1
export GMEM_FRAGMENTS="$TOP/config/harness.config $TOP/config/kvm.config $(ksft_config) $TOP/config/debug.config"
export GMEM_SRC=$wt GMEM_OBJ=$BUILD/obj-base GMEM_KSFT=$BUILD/selftests-base GMEM_HDR=$BUILD/headers-base
"$TOP/scripts/build/build.sh" || exit 1
GMEM_RESULTS_NAME=base exec "$TOP/scripts/test/run-tests.sh"
