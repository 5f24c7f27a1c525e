#!/bin/bash
# Check the packages of `make deb` (scripts/build/deb.sh) in a fresh Debian 12
# root: debootstrap bookworm (minbase, with gcc, libc6-dev and make) into
# $DEB_ROOT, install linux-image, linux-headers and linux-libc-dev there with
# dpkg -i, and build the reference VMM (vmm/) against the root's system
# headers, i.e. our linux-libc-dev. Needs root (debootstrap, chroot).
#
#   GMEM_DEB_MIRROR=URL   the Debian mirror (default: the one apt uses here)
. "$(dirname "$0")/../lib.sh"

DEB_OUT=${GMEM_DEB_OUT:-$BUILD/deb}
DEB_ROOT=${GMEM_DEB_ROOT:-$BUILD/deb-root}
# debootstrap keeps the packages it downloads here, for the next fresh root.
DEB_CACHE=${GMEM_DEB_CACHE:-$BUILD/dl/debootstrap}

[ "$(id -u)" = 0 ] || die "run as root: debootstrap and chroot need it"
"$TOP/scripts/build/deps.sh" debootstrap || exit 1

# Our three packages, as scripts/build/deb.sh left them: one version each.
pkgs=$(find "$DEB_OUT" -maxdepth 1 ! -name '*-dbg_*' \( -name 'linux-image-*.deb' \
	-o -name 'linux-headers-*.deb' -o -name 'linux-libc-dev_*.deb' \) 2>/dev/null | sort)
[ "$(echo "$pkgs" | grep -c .)" = 3 ] ||
	die "expected linux-image, linux-headers and linux-libc-dev in $DEB_OUT; run 'make deb' first"
image=$(echo "$pkgs" | grep /linux-image-)
krel=$(dpkg-deb -f "$image" Package)
krel=${krel#linux-image-}

# The mirror apt uses for bookworm: deb822 .sources paragraphs or one-line
# .list entries.
mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.sources)
			awk 'BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; suites = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
					if ($i ~ /^Suites:/) suites = " " $i " "
				}
				if (uri != "" && suites ~ /[ \t]bookworm[ \t]/) print uri
			}' "$f" ;;
		*)
			sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' "$f" ;;
		esac
	done | head -n 1
}
DEB_MIRROR=${GMEM_DEB_MIRROR:-$(mirror)}
[ -n "$DEB_MIRROR" ] || die "no bookworm mirror in /etc/apt/sources.list*; set GMEM_DEB_MIRROR"

# Whatever happens, nothing stays mounted in the root.
cleanup() {
	if mountpoint -q "$DEB_ROOT/proc"; then
		umount "$DEB_ROOT/proc" || umount -l "$DEB_ROOT/proc"
	fi
}
trap cleanup EXIT INT TERM

make_root() {
	cleanup
	rm -rf "$DEB_ROOT"
	mkdir -p "$DEB_CACHE"
	# libelf1: objtool, shipped in linux-headers, links against it, and
	# bindeb-pkg's linux-headers declares no dependencies.
	debootstrap --variant=minbase --include=gcc,libc6-dev,make,libelf1 \
		--cache-dir="$DEB_CACHE" bookworm "$DEB_ROOT" "$DEB_MIRROR"
}
t0=$(date +%s)
step deb-debootstrap make_root
t_root=$(($(date +%s) - t0))
mount -t proc proc "$DEB_ROOT/proc" || die "cannot mount /proc in $DEB_ROOT"

in_root() { chroot "$DEB_ROOT" "$@"; }

# dpkg -i: linux-libc-dev replaces Debian's, which libc6-dev pulled in.
install_pkgs() {
	rm -rf "$DEB_ROOT/tmp/deb"
	mkdir -p "$DEB_ROOT/tmp/deb"
	cp $pkgs "$DEB_ROOT/tmp/deb/"
	in_root sh -c 'dpkg -i /tmp/deb/*.deb'
}
t0=$(date +%s)
step deb-install install_pkgs
t_install=$(($(date +%s) - t0))
in_root dpkg-query -W -f='${Package} ${Version} ${Status}\n' \
	"linux-image-$krel" "linux-headers-$krel" linux-libc-dev >"$BUILD/log/deb-installed.txt" ||
	die "dpkg-query failed in $DEB_ROOT"
grep -v ' install ok installed$' "$BUILD/log/deb-installed.txt" >&2 &&
	die "a package is not fully installed in $DEB_ROOT (see above)"
for f in "lib/modules/$krel/kernel/arch/x86/kvm/kvm.ko" \
	"lib/modules/$krel/kernel/arch/x86/kvm/kvm-amd.ko" \
	"lib/modules/$krel/kernel/arch/x86/kvm/kvm-intel.ko" \
	"lib/modules/$krel/modules.dep" "boot/vmlinuz-$krel"; do
	[ -f "$DEB_ROOT/$f" ] || die "$f is missing from $DEB_ROOT"
done
grep -q '^kernel/arch/x86/kvm/kvm-amd.ko:.* kernel/arch/x86/kvm/kvm.ko' \
	"$DEB_ROOT/lib/modules/$krel/modules.dep" ||
	die "modules.dep in $DEB_ROOT does not make kvm-amd depend on kvm"

# Every definition vmm/compat.h would supply must come from the system
# headers already, so nothing of compat.h is used: the build below is
# against our uapi, not the VMM's fallbacks.
probe() {
	echo '#include <linux/kvm.h>'
	echo '#include <asm/kvm.h>'
	sed -n 's/^#ifndef \(KVM_[A-Z0-9_]*\)$/\1/p' "$TOP/vmm/compat.h" | while read -r m; do
		printf '#ifndef %s\n#error "%s is missing from the system headers"\n#endif\n' "$m" "$m"
	done
	echo 'int main(void) { struct kvm_create_guest_memfd gmem = { 0 }; return (int)gmem.flags; }'
}
build_vmm() {
	rm -rf "$DEB_ROOT/tmp/vmm" "$DEB_ROOT/tmp/out"
	cp -r "$TOP/vmm" "$DEB_ROOT/tmp/vmm"
	rm -rf "$DEB_ROOT/tmp/vmm/build"
	probe >"$DEB_ROOT/tmp/probe.c"
	in_root gcc -Wall -Werror -o /tmp/probe /tmp/probe.c &&
		in_root /tmp/probe &&
		in_root make -C /tmp/vmm O=/tmp/out
}
step deb-vmm build_vmm
[ -x "$DEB_ROOT/tmp/out/gmem-vmm" ] || die "no gmem-vmm in $DEB_ROOT/tmp/out"
# -MMD leaves system headers out of the VMM's .d files; ask gcc directly.
in_root sh -c 'cd /tmp/vmm && gcc -std=gnu11 -M vm.c' | grep -q '/usr/include/linux/kvm.h' ||
	die "the VMM does not read /usr/include/linux/kvm.h in $DEB_ROOT"

# linux-headers: an out-of-tree module that uses the series' kvm_host.h
# builds against /lib/modules/$krel/build.
build_module() {
	rm -rf "$DEB_ROOT/tmp/kmod"
	mkdir -p "$DEB_ROOT/tmp/kmod"
	cat >"$DEB_ROOT/tmp/kmod/gmem_probe.c" <<-'EOF'
	#include <linux/module.h>
	#include <linux/kvm_host.h>

	static int __init gmem_probe_init(void)
	{
		BUILD_BUG_ON(KVM_MEM_GUEST_MEMFD != (1UL << 2));
		return 0;
	}
	module_init(gmem_probe_init);
	MODULE_LICENSE("GPL");
	EOF
	echo 'obj-m := gmem_probe.o' >"$DEB_ROOT/tmp/kmod/Makefile"
	in_root make -C "/lib/modules/$krel/build" M=/tmp/kmod modules
}
step deb-kmod build_module
[ "$(modinfo -F vermagic "$DEB_ROOT/tmp/kmod/gmem_probe.ko" | cut -d' ' -f1)" = "$krel" ] ||
	die "the out-of-tree module built in $DEB_ROOT is not for $krel"

echo "installed in $DEB_ROOT:"
sed 's/^/  /' "$BUILD/log/deb-installed.txt"
echo "vmm/ built in the root against its /usr/include (our linux-libc-dev);" \
	"every fallback of vmm/compat.h came from the system headers;" \
	"an out-of-tree module built against linux-headers-$krel"
echo "times: debootstrap ${t_root}s, dpkg -i ${t_install}s"
