#!/bin/bash
# Install the Debian packages the harness needs, if any is missing; with
# arguments, those packages instead (make deb's, say).
. "$(dirname "$0")/lib.sh"

PKGS="bc bison busybox-static ccache cpio flex gcc git gnuplot-nox kmod libc6-dev libelf-dev
libssl-dev make perl python3 python3-git python3-ply qemu-system-x86 rsync xz-utils"
[ $# = 0 ] || PKGS=$*

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null ||
		die "missing Debian packages:$missing; run 'apt-get install$missing' as root"
	SUDO=sudo
fi
note "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
$SUDO apt-get update -qq >/dev/null 2>&1 || true
$SUDO apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1 ||
	{ tail -n 5 "$log" >&2
	  die "could not install Debian packages:$missing (see $log); install them with apt-get and retry"; }
rm -f "$log"
