#!/bin/bash
# Make $SRC: the pinned Debian linux-source package unpacked into a git tree
# whose first commit (tagged "base") is the pristine source.
# With GMEM_BUMP=1 (make base BUMP=1), skip the checksum and print the tarball's sha256 for base.pin.
. "$(dirname "$0")/../lib.sh"

want="$PKG $VERSION"
rebase=0
if base_rev >/dev/null; then
	have=$(git -C "$SRC" log -1 --format=%s base | sed -n 's/^Base: //p')
	[ "$have" = "$want" ] && exit 0
	# A bumped pin: make the new base beside the old one in the same
	# repository (its worktrees stay valid), then have the series applied
	# onto it.  Not while the tree holds work that patches/ lacks.
	if [ "${GMEM_FORCE:-0}" != 1 ] && ! "$TOP/scripts/tree/status.sh" >/dev/null 2>&1; then
		"$TOP/scripts/tree/status.sh" >&2
		die "$SRC was made from '$have' but base.pin asks for '$want', and the tree holds work that patches/ lacks; 'make export' it first (or FORCE=1 to throw it away)"
	fi
	note "base.pin moved from '$have' to '$want': the series will be applied onto the new base"
	rebase=1
elif [ -e "$SRC" ]; then
	die "$SRC exists but is not a tree made by 'make base'; move it away or run 'make clean-tree'"
fi

dl=$BUILD/dl
deb=$dl/${PKG}_${VERSION}_all.deb
mkdir -p "$dl"
if [ ! -f "$deb" ]; then
	note "downloading $PKG=$VERSION"
	(cd "$dl" && apt-get download -q "$PKG=$VERSION" >"$dl/apt.log" 2>&1) ||
	(cd "$dl" && apt-get update -qq >/dev/null 2>&1 && apt-get download -q "$PKG=$VERSION" >"$dl/apt.log" 2>&1) ||
		die "pinned base $PKG=$VERSION cannot be downloaded (no longer in the archive?); pick a version from 'apt-cache policy $PKG', set VERSION in base.pin, run 'make base BUMP=1' and copy the sha256 it prints into base.pin"
fi

tmp=$(mktemp -d "$BUILD/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/deb" || die "cannot unpack $deb; delete it and retry"
tarball=$(ls "$tmp"/deb/usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
[ -f "$tarball" ] || die "$deb holds no linux-source tarball"
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ "${GMEM_BUMP:-0}" = 1 ]; then
	echo "TARBALL_SHA256=$sum"
elif [ "$sum" != "$TARBALL_SHA256" ]; then
	die "tarball of $PKG=$VERSION has sha256 $sum, base.pin says $TARBALL_SHA256; if the pin was bumped on purpose, update TARBALL_SHA256"
fi

note "unpacking $PKG $VERSION into $SRC"
mkdir -p "$tmp/tree"
tar -xJf "$tarball" -C "$tmp/tree" --strip-components=1 || die "cannot unpack $tarball"
rm -rf "$tmp/deb"

base_commit_env
git -C "$tmp/tree" init -q -b base-only
git -C "$tmp/tree" config core.autocrlf false
git -C "$tmp/tree" add -f -A
git -C "$tmp/tree" commit -q -m "Base: $want" -m "Pristine source of Debian's $PKG $VERSION, tarball sha256 $sum."
git -C "$tmp/tree" tag base
# Debian's top-level .gitignore ignores every file but debian/, so new files
# of a patch would be invisible to git; drop that stanza from the working
# copy only, and keep the base commit as the tarball has it.
git -C "$tmp/tree" update-index --skip-worktree .gitignore
sed -i -e '\|^/\*$|d' -e '\|^!/debian/$|d' "$tmp/tree/.gitignore"
if [ $rebase = 1 ]; then
	# Move tag base to the new commit only: apply.sh, which ensure.sh runs
	# when the recorded hash is gone, rebuilds the series branch on it from
	# the old one, so that files the bump leaves as they were keep their
	# mtimes.
	git -C "$SRC" fetch -q -f "$tmp/tree" refs/tags/base:refs/tags/base ||
		die "cannot fetch the new base into $SRC"
	rm -f "$HASHFILE"
	note "base commit $(base_rev); run 'make apply' (make build does it) to put the series on it"
	exit 0
fi
git -C "$tmp/tree" checkout -q -b series
git -C "$tmp/tree" branch -q -D base-only
mv "$tmp/tree" "$SRC"
note "base commit $(base_rev)"
