#!/bin/bash
# Pack the test initramfs: busybox, /init, run.conf, and the programs (from
# $KSFT or $BUILD/tools) with the shared libraries they need.
# Usage: [GMEM_EXTRA="PROGRAM..."] initramfs.sh OUT.cpio.gz TIMEOUT TEST...
# The TESTs are run in order; the GMEM_EXTRA programs are only packed, for the
# tests to run.
. "$(dirname "$0")/../lib.sh"

out=$1 timeout=$2
shift 2
gen=$OBJ/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen is missing; build the kernel first"
bb=$(command -v busybox) || die "busybox is missing; run 'make deps'"
file "$bb" | grep -q 'statically linked' || die "$bb is not static; install busybox-static ('make deps')"

# One staging directory per image, so that two boots can be packed at once.
stage=$BUILD/initramfs.d/$(basename "$out" .cpio.gz)
rm -rf "$stage"
mkdir -p "$stage/tests/x86_64"
list=$stage/cpio.list
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /lib /lib64 /tests /tests/x86_64; do
		echo "dir $d 755 0 0"
	done
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "file /bin/busybox $bb 755 0 0"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || echo "slink /bin/$a busybox 777 0 0"
	done
	echo "file /init $TOP/guest/init.sh 755 0 0"
	printf 'TIMEOUT=%s\nTESTS="%s"\n' "$timeout" "$*" >"$stage/run.conf"
	echo "file /run.conf $stage/run.conf 644 0 0"
	echo "file /splat.ere $TOP/guest/splat.ere 644 0 0"
	echo "file /dump.sh $TOP/guest/dump.sh 644 0 0"
} >"$list"

# Test programs, stripped, and the libraries they load.
libs=
for t in "$@" ${GMEM_EXTRA:-}; do
	src=$KSFT/$t
	[ -f "$src" ] || src=$BUILD/tools/$t
	[ -f "$src" ] || die "test program $t was not built"
	case $t in */*) d=$(dirname "$t") && mkdir -p "$stage/tests/$d" ;; esac
	strip --strip-debug -o "$stage/tests/$t" "$src" 2>/dev/null || cp "$src" "$stage/tests/$t"
	echo "file /tests/$t $stage/tests/$t 755 0 0" >>"$list"
	libs="$libs $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true)"
done
# glibc loads libgcc_s at run time for pthread_cancel(); ldd does not list it.
gcc_s=/lib/x86_64-linux-gnu/libgcc_s.so.1
[ -f "$gcc_s" ] && libs="$libs $gcc_s"
libs=$(echo "$libs" | tr ' ' '\n' | sort -u | grep .)
for d in $(for l in $libs; do dirname "$l"; done | sort -u); do
	case $d in /lib|/lib64) ;; *) echo "dir $d 755 0 0" ;; esac
done >>"$list"
for l in $libs; do
	echo "file $l $(readlink -f "$l") 755 0 0"
done >>"$list"
"$gen" "$list" | gzip -1 >"$out" || die "cannot pack the initramfs"
