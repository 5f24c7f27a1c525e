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
# Rebuilding the branch rewrites every file a patch touches, twice; a file
# whose content ends up as it was must keep its old mtime, or make rebuilds
# everything that includes it (a pin bump or a pull that changes one patch
# would rebuild most of the kernel).  Only for a clean tree: an uncommitted
# edit thrown away by FORCE=1 is a real change.
old=
if old=$(git -C "$SRC" rev-parse -q --verify HEAD) && [ -z "$(git -C "$SRC" status --porcelain)" ]; then
	git -C "$SRC" diff --name-only "$(base_rev)" "$old" >"$BUILD/apply-files.txt"
	(cd "$SRC" && while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\t%s\n' "$(stat -c %Y "$f")" "$f"
	done) <"$BUILD/apply-files.txt" >"$BUILD/apply-mtimes.txt"
else
	old=
fi
git -C "$SRC" checkout -q -f -B series base
git -C "$SRC" clean -q -fdx
for p in $(series_files); do
	if ! git -C "$SRC" am -q --committer-date-is-author-date "$p" >"$BUILD/am.log" 2>&1; then
		sed -n 1,15p "$BUILD/am.log" >&2
		git -C "$SRC" am --abort >/dev/null 2>&1
		die "patches/$(basename "$p") does not apply onto $PKG $VERSION; fix it in $SRC (the patches before it are applied), commit, and 'make export'"
	fi
done
if [ -n "$old" ]; then
	kept=0
	while IFS=$'\t' read -r t f; do
		git -C "$SRC" diff --quiet "$old" HEAD -- "$f" && [ -f "$SRC/$f" ] &&
			touch -m -d "@$t" "$SRC/$f" && kept=$((kept + 1))
	done <"$BUILD/apply-mtimes.txt"
	note "$kept files unchanged by the new series keep their mtimes"
fi
rm -f "$BUILD/apply-files.txt" "$BUILD/apply-mtimes.txt"
git -C "$SRC" update-ref "$SYNCED" HEAD
patches_hash >"$HASHFILE"
echo "applied $(series_files | wc -l) patches onto $PKG $VERSION"
