#!/bin/bash
# Export the commits base..HEAD of $SRC into patches/ as format-patch files,
# and regenerate the generated half of the cover letter (below its first
# "---" line). Deterministic: exporting an unchanged tree changes no file.
# With GMEM_EXPORT_DIR=dir, write into dir instead (used by status.sh).
. "$(dirname "$0")/../lib.sh"

base=$(base_rev) || die "no kernel tree in $SRC; run 'make apply' first"
git -C "$SRC" merge-base --is-ancestor "$base" HEAD ||
	die "the series branch of $SRC is not on tag base (base.pin was bumped); run 'make apply' first"
out=${GMEM_EXPORT_DIR:-$PATCHES}
gitdir=$(git -C "$SRC" rev-parse --git-dir)
case $gitdir in /*) ;; *) gitdir=$SRC/$gitdir ;; esac
if [ -d "$gitdir/rebase-merge" ] || [ -d "$gitdir/rebase-apply" ]; then
	die "a rebase or git am is in progress in $SRC; finish it (git rebase --continue) or abort it first"
fi
git -C "$SRC" symbolic-ref -q HEAD >/dev/null ||
	die "$SRC has a detached HEAD; check out the series branch first"
[ -f "$COVER" ] || die "$COVER is missing; it holds the cover letter's text"
[ -z "${GMEM_EXPORT_DIR:-}" ] && [ -n "$(git -C "$SRC" status --porcelain)" ] &&
	die "$SRC has uncommitted edits; commit them (git -C $SRC commit) and export again"

subj=$(sed -n 's/^Subject: //p' "$COVER" | head -n 1)
ver=$(echo "$subj" | sed -n 's/^\[PATCH \(v[0-9]*\) .*/\1/p')
title=$(echo "$subj" | sed 's/^\[[^]]*\] *//')
[ -n "$ver" ] || die "cover letter subject '$subj' lacks '[PATCH vN 00/NN]'"
n=$(git -C "$SRC" rev-list --count "$base..HEAD")
nn=$(printf '%02d' "$n")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$n" -gt 0 ]; then
	git -C "$SRC" -c diff.noprefix=false -c format.signOff=false format-patch -q -o "$tmp" \
		--zero-commit --no-signature --abbrev=12 --no-renames \
		--numbered --subject-prefix="PATCH $ver" "$base..HEAD" ||
		die "git format-patch failed"
fi

# The cover letter: its header and text as written, the rest generated.
{
	sed -n '1,/^---$/p' "$COVER" |
		sed "s|^Subject: .*|Subject: [PATCH $ver 00/$nn] $title|"
	echo
	if [ "$n" -gt 0 ]; then
		git -C "$SRC" shortlog "$base..HEAD"
		git -C "$SRC" diff --stat=76 --summary "$base" HEAD
		echo
	fi
	echo "base-commit: $base"
	echo "base-package: $PKG $VERSION"
} >"$tmp/0000-cover-letter.patch"

mkdir -p "$out"
if [ -z "${GMEM_EXPORT_DIR:-}" ]; then
	# Drop series files that the tree no longer has, then copy changed ones.
	for f in $(series_files); do
		[ -f "$tmp/$(basename "$f")" ] || { rm -f "$f"; echo "removed $(basename "$f")"; }
	done
fi
for f in "$tmp"/*.patch; do
	cmp -s "$f" "$out/$(basename "$f")" && continue
	cp "$f" "$out/"
	[ -z "${GMEM_EXPORT_DIR:-}" ] && echo "wrote $(basename "$f")"
done
[ -z "${GMEM_EXPORT_DIR:-}" ] && git -C "$SRC" update-ref "$SYNCED" HEAD && patches_hash >"$HASHFILE"
exit 0
