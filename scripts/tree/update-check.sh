#!/bin/bash
# Whether Debian's mirror (the apt sources of this machine) has a newer
# $PKG than base.pin, and if so whether the series applies to it with zero
# fuzz and zero offset, patch by patch (GNU patch -F0, as make hygiene).
# The verdict goes to stdout and to $BUILD/update-check.txt, whose first
# line make status prints as a notice.  apt's package lists are fetched into
# $BUILD/apt-lists, so the machine's own apt state is left alone.
# Exit status: 0 up to date or the series applies, 1 it does not, 2 the
# mirror could not be asked.
. "$(dirname "$0")/../lib.sh"

out=$BUILD/update-check.txt
lists=$BUILD/apt-lists
mkdir -p "$lists/partial" "$BUILD/log" "$BUILD/dl"
apt_opts=(-o "Dir::State::Lists=$lists" -o Debug::NoLocking=1
	  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")

if ! apt-get -q "${apt_opts[@]}" update >"$BUILD/log/update-check-apt.log" 2>&1; then
	echo "error: cannot fetch the package lists (see $BUILD/log/update-check-apt.log)" >&2
	exit 2
fi
newest=
for v in $(apt-cache "${apt_opts[@]}" madison "$PKG" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'); do
	if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then
		newest=$v
	fi
done
[ -n "$newest" ] || { echo "error: the mirror has no $PKG" >&2; exit 2; }

if ! dpkg --compare-versions "$newest" gt "$VERSION"; then
	echo "$PKG: the pin $VERSION is the newest on the mirror ($(date -u +%F))" | tee "$out"
	exit 0
fi

note "the mirror has $PKG $newest, newer than the pin $VERSION; applying the series to it"
deb=$BUILD/dl/${PKG}_${newest}_all.deb
if [ ! -f "$deb" ]; then
	(cd "$BUILD/dl" && apt-get -q "${apt_opts[@]}" download "$PKG=$newest") \
		>>"$BUILD/log/update-check-apt.log" 2>&1 ||
		{ echo "error: cannot download $PKG=$newest" >&2; exit 2; }
fi
tmp=$(mktemp -d "$BUILD/update-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/deb" || die "cannot unpack $deb"
tarball=$(ls "$tmp"/deb/usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
[ -f "$tarball" ] || die "$deb holds no linux-source tarball"
mkdir "$tmp/tree"
tar -xJf "$tarball" -C "$tmp/tree" --strip-components=1 || die "cannot unpack $tarball"

n=0
rc=0
for p in $(series_files); do
	n=$((n + 1))
	res=$(cd "$tmp/tree" && patch -p1 -F0 -f <"$p" 2>&1)
	if [ $? != 0 ] || ! patch_output_clean "$res"; then
		echo "$res" | grep -E 'offset|fuzz|FAILED|malformed' | head -n 5 | sed 's/^/    /'
		verdict="does not apply: $(basename "$p") is the first patch that fails"
		rc=1
		break
	fi
done
[ $rc = 0 ] && verdict="applies with zero fuzz and offset ($n patches)"
{
	echo "$PKG: the mirror has $newest, newer than the pin $VERSION; the series $verdict ($(date -u +%F))"
	echo "To bump: see base.pin."
} | tee "$out"
exit $rc
