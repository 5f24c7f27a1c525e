#!/bin/bash
# Print the work in $SRC that patches/ lacks: uncommitted edits, and commits
# whose export would differ from patches/. Exit 1 when there is any.
. "$(dirname "$0")/../lib.sh"

base_rev >/dev/null || { echo "no kernel tree yet ($SRC): nothing unexported"; exit 0; }
rc=0
dirty=$(git -C "$SRC" status --porcelain)
if [ -n "$dirty" ]; then
	echo "uncommitted edits in $SRC:"
	echo "$dirty" | sed 's/^/  /' | head -n 30
	rc=1
fi
head=$(git -C "$SRC" rev-parse HEAD)
synced=$(git -C "$SRC" rev-parse -q --verify "$SYNCED")
if [ "$head" != "$synced" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	GMEM_EXPORT_DIR=$tmp "$TOP/scripts/tree/export.sh" || exit 1
	norm() { sed -E 's/^Subject: \[PATCH[^]]*\]/Subject: [PATCH]/' "$1"; }
	changed=
	for f in "$tmp"/*.patch; do
		case $f in */0000-cover-letter.patch) continue ;; esac
		g=$PATCHES/$(basename "$f")
		[ -f "$g" ] && [ "$(norm "$f")" = "$(norm "$g")" ] || changed="$changed $(basename "$f")"
	done
	if [ -n "$changed" ]; then
		echo "commits in $SRC that patches/ does not hold (run 'make export'):"
		for f in $changed; do echo "  $f"; done
		rc=1
	else
		git -C "$SRC" update-ref "$SYNCED" HEAD
	fi
fi
[ $rc = 0 ] && echo "nothing unexported: $SRC matches patches/"
# What the last 'make update-check' found, if the mirror had a newer base.
# (A verdict about an older pin than base.pin's is stale: not shown.)
if [ -f "$BUILD/update-check.txt" ] && ! grep -q 'is the newest' "$BUILD/update-check.txt" &&
	grep -qF "the pin $VERSION;" "$BUILD/update-check.txt"; then
	echo "notice: $(head -n 1 "$BUILD/update-check.txt")"
fi
exit $rc
