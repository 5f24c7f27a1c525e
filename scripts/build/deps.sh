#!/bin/bash
# Install the Debian packages the harness needs, if any is missing; with
# arguments, those packages instead (make deb's, say).
. "$(dirname "$0")/../lib.sh"

PKGS="bc bison busybox-static ccache cpio flex gcc git gnuplot-nox kmod libc6-dev libelf-dev
libssl-dev make perl python3 python3-git python3-ply qemu-system-x86 rsync xz-utils"
[ $# = 0 ] || PKGS=$*

# The test guest runs the race tests on two vCPUs, which needs QEMU 10
# (Debian 12's 7.2 stops two-vCPU TCG guests): it comes from Debian's
# bookworm-backports suite, on the same mirror.
QEMU_MIN=1:10
BACKPORTS=/etc/apt/sources.list.d/gmem-bookworm-backports.list

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

old_qemu() {
	[ $# != 0 ] && return 1
	installed qemu-system-x86 &&
		dpkg --compare-versions "$(dpkg-query -W -f='${Version}' qemu-system-x86)" lt "$QEMU_MIN"
}

missing=
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && ! old_qemu "$@" && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null ||
		die "missing Debian packages:$missing (and QEMU >= $QEMU_MIN from bookworm-backports); run 'apt-get install$missing' as root"
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if [ $# = 0 ] && ! apt-cache policy qemu-system-x86 2>/dev/null | grep -q bookworm-backports; then
	note "adding Debian's bookworm-backports suite for QEMU $QEMU_MIN: $BACKPORTS"
	echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$BACKPORTS" >/dev/null
fi
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if [ -n "$missing" ]; then
	note "installing Debian packages:$missing"
	$SUDO apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1 ||
		{ tail -n 5 "$log" >&2
		  die "could not install Debian packages:$missing (see $log); install them with apt-get and retry"; }
fi
if old_qemu "$@"; then
	note "installing QEMU from bookworm-backports (at least $QEMU_MIN)"
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 >"$log" 2>&1 ||
		{ tail -n 5 "$log" >&2
		  die "could not install qemu-system-x86 from bookworm-backports (see $log)"; }
	old_qemu "$@" && die "qemu-system-x86 from bookworm-backports is older than $QEMU_MIN"
fi
rm -f "$log"
