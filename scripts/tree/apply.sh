#!/bin/bash
# Rebuild the series branch of $SRC: the pristine base plus one commit per
# file of patches/. Refuses while $SRC holds work that patches/ lacks,
# unless GMEM_FORCE=1 (make apply FORCE=1) (which throws that work away).
. "$(dirname "$0")/../lib.sh"

"$TOP/scripts/tree/base.sh" || exit 1
if [ "${GMEM_FORCE:-0}" != 1 ] && ! "$TOP/scripts/tree/status.sh" >"$BUILD/status.out" 2>&1; then
	cat "$BUILD/status.out" >&2
	die "refusing to apply: $SRC holds work that patches/ lacks; 'make export' it, or 'make apply FORCE=1' to throw it away"
fi

git -C "$SRC" config user.name >/dev/null || git -C "$SRC" config user.name "guest_memfd series"
git -C "$SRC" config user.email >/dev/null || git -C "$SRC" config user.email "series@localhost"
git -C "$SRC" am --abort >/dev/null 2>&1
git -C "$SRC" checkout -q -f -B series base
git -C "$SRC" clean -q -fdx
for p in $(series_files); do
	if ! git -C "$SRC" am -q --committer-date-is-author-date "$p" >"$BUILD/am.log" 2>&1; then
		sed -n 1,15p "$BUILD/am.log" >&2
		git -C "$SRC" am --abort >/dev/null 2>&1
		die "patches/$(basename "$p") does not apply onto $PKG $VERSION; fix it in $SRC (the patches before it are applied), commit, and 'make export'"
	fi
done
git -C "$SRC" update-ref "$SYNCED" HEAD
patches_hash >"$HASHFILE"
echo "applied $(series_files | wc -l) patches onto $PKG $VERSION"
