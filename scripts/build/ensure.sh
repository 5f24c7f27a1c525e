#!/bin/bash
# Make sure $SRC holds the series before a build: apply patches/ when there
# is no tree yet, or when patches/ changed and the tree holds no work of its
# own. A tree with unexported work is built as it is (the edit-build-test
# loop), with a warning.
. "$(dirname "$0")/../lib.sh"

"$TOP/scripts/build/deps.sh" || exit 1
if ! base_rev >/dev/null; then
	exec "$TOP/scripts/tree/apply.sh"
fi
"$TOP/scripts/tree/base.sh" || exit 1
if ! "$TOP/scripts/tree/status.sh" >/dev/null 2>&1; then
	note "warning: building $SRC with work that patches/ lacks ('make status' lists it)"
elif [ "$(cat "$HASHFILE" 2>/dev/null)" != "$(patches_hash)" ]; then
	exec "$TOP/scripts/tree/apply.sh"
fi
exit 0
