#!/bin/bash
# Build Debian packages of the patched kernel (make deb): linux-image,
# linux-headers and linux-libc-dev, with `make bindeb-pkg`, from Debian's
# own 6.1 config trimmed to a KVM host (config/deb-host-modules.txt) plus
# config/deb.config, config/kvm-modules.config and config/series.config.
# The packages go to $DEB_OUT (build/deb); scripts/test/deb-check.sh installs
# them into a fresh Debian 12 root.
#
#   GMEM_DEB_CONFIG_ONLY=1  derive and check the config, print its size, stop
#
# Not part of CI: a cold build takes about 33 minutes here (see README).
. "$(dirname "$0")/../lib.sh"

DEB_OBJ=$(realpath -m "${GMEM_DEB_OBJ:-$BUILD/obj-deb}")
DEB_OUT=${GMEM_DEB_OUT:-$BUILD/deb}
DEBIAN_CONFIG=${GMEM_DEBIAN_CONFIG:-/usr/src/linux-config-6.1/config.amd64_none_amd64.xz}
MODLIST=$TOP/config/deb-host-modules.txt
FRAGMENTS="$TOP/config/deb.config $TOP/config/kvm-modules.config $TOP/config/series.config"
# What bindeb-pkg needs besides the harness's own packages (scripts/build/deps.sh):
# dpkg-buildpackage and friends, fakeroot (KBUILD_PKG_ROOTCMD), and
# Debian's configs.
DEB_PKGS="dpkg-dev fakeroot linux-config-6.1"

# Package names and versions: the kernel release is 6.1.N-gmem, so that it
# is never taken for one of Debian's (6.1.0-N-amd64); the package version is
# the pinned Debian version plus the series version, so that it sorts just
# above the base it was made from (6.1.192-2 < 6.1.192-2+gmem1).
series_v=$(sed -n 's/^Subject: \[PATCH v\([0-9]*\) .*/\1/p' "$COVER" 2>/dev/null)
LOCALVERSION=-gmem
PKGVERSION=$VERSION+gmem${series_v:-0}

base_rev >/dev/null || die "no kernel tree in $SRC; run 'make apply' first"

mkdir -p "$BUILD/log"
"$TOP/scripts/build/deps.sh" $DEB_PKGS || exit 1
[ -r "$DEBIAN_CONFIG" ] || die "no Debian config at $DEBIAN_CONFIG (package linux-config-6.1)"

kmake() {
	make -C "$SRC" O="$DEB_OBJ" CC="ccache gcc" HOSTCC="ccache gcc" -j"$NPROC" \
		LOCALVERSION="$LOCALVERSION" "$@"
}

# Debian's config, then localmodconfig with our module list, then the
# fragments; each requested option is checked, as scripts/build/config.sh does.
derive_config() {
	local tmp=$DEB_OBJ/.cfg
	rm -rf "$tmp"
	mkdir -p "$tmp"
	xzcat "$DEBIAN_CONFIG" >"$tmp/.config" || return
	make -C "$SRC" O="$tmp" olddefconfig || return
	cp "$tmp/.config" "$tmp/config.debian"
	# localmodconfig reads lsmod output: the first word of each line.
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$MODLIST" >"$tmp/modules"
	yes '' | make -C "$SRC" O="$tmp" LSMOD="$tmp/modules" localmodconfig || return
	cat $FRAGMENTS >>"$tmp/.config"
	make -C "$SRC" O="$tmp" olddefconfig || return

	config_landed "$tmp/.config" $FRAGMENTS || { echo "requested options did not land"; return 1; }
	if ! cmp -s "$tmp/.config" "$DEB_OBJ/.config"; then
		cp "$tmp/.config" "$DEB_OBJ/.config"
		echo "config updated"
	fi
}

# Options built in and as modules, for the derived config and the others.
count_opts() {
	printf '%5d =y %5d =m  %s\n' "$(grep -c '=y$' "$2")" "$(grep -c '=m$' "$2")" "$1"
}

t_start=$(date +%s)
step deb-config derive_config
t_config=$(($(date +%s) - t_start))
{
	echo "options (built in, modules):"
	count_opts "Debian's full amd64 config" "$DEB_OBJ/.cfg/config.debian"
	count_opts "derived config ($DEB_OBJ/.config)" "$DEB_OBJ/.config"
	[ -f "$OBJ/.config" ] && count_opts "test kernel ($OBJ/.config)" "$OBJ/.config"
} >&2
[ "${GMEM_DEB_CONFIG_ONLY:-0}" = 1 ] && exit 0

# bindeb-pkg writes the packages (and .buildinfo, .changes) next to the
# build directory, i.e. into $BUILD; they are moved into $DEB_OUT.
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
rm -f "$(dirname "$DEB_OBJ")"/linux-*_"${PKGVERSION}"_"$arch".* \
	"$(dirname "$DEB_OBJ")"/linux-upstream_"${PKGVERSION}"_"$arch".*
t0=$(date +%s)
step deb-build kmake KDEB_PKGVERSION="$PKGVERSION" KDEB_CHANGELOG_DIST=bookworm bindeb-pkg
t_build=$(($(date +%s) - t0))
krel=$(cat "$DEB_OBJ/include/config/kernel.release")

rm -rf "$DEB_OUT"
mkdir -p "$DEB_OUT"
mv "$(dirname "$DEB_OBJ")"/linux-*_"${PKGVERSION}"_"$arch".deb "$DEB_OUT/" ||
	die "bindeb-pkg made no packages in $(dirname "$DEB_OBJ")"
mv "$(dirname "$DEB_OBJ")"/linux-upstream_"${PKGVERSION}"_"$arch".{buildinfo,changes} "$DEB_OUT/" 2>/dev/null

# The checks that need no root: the new uapi in linux-libc-dev, KVM as
# modules in linux-image.
libc=$DEB_OUT/linux-libc-dev_${PKGVERSION}_$arch.deb
image=$DEB_OUT/linux-image-${krel}_${PKGVERSION}_$arch.deb
headers=$DEB_OUT/linux-headers-${krel}_${PKGVERSION}_$arch.deb
for f in "$libc" "$image" "$headers"; do
	[ -f "$f" ] || die "missing package $(basename "$f")"
done
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$libc" "$x"
grep -q 'define KVM_CREATE_GUEST_MEMFD' "$x/usr/include/linux/kvm.h" ||
	die "$(basename "$libc"): usr/include/linux/kvm.h lacks KVM_CREATE_GUEST_MEMFD"
grep -q 'define KVM_X86_SW_PROTECTED_VM' "$x/usr/include/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/asm/kvm.h" ||
	die "$(basename "$libc"): asm/kvm.h lacks KVM_X86_SW_PROTECTED_VM"
dpkg-deb -c "$image" >"$x/image.list"
for m in kvm kvm-amd kvm-intel; do
	grep -q "/lib/modules/$krel/kernel/arch/x86/kvm/$m.ko\$" "$x/image.list" ||
		die "$(basename "$image") lacks $m.ko"
done

echo "packages in $DEB_OUT (kernel release $krel, version $PKGVERSION):"
(cd "$DEB_OUT" && ls -l --block-size=K -- *.deb | awk '{ printf "  %8s  %s\n", $5, $9 }')
echo "times: config ${t_config}s, build and packaging ${t_build}s; logs in $BUILD/log/deb-*.log"
