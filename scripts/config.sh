#!/bin/bash
# Write $OBJ/.config: allnoconfig plus config/guest.config (a QEMU guest with
# an initramfs and a serial console, nothing more) and the fragments named in
# $FRAGMENTS (default: the test kernel's, config/{harness,kvm,series,debug}),
# then check that each requested option landed. The .config is only replaced
# when its content changes.
. "$(dirname "$0")/lib.sh"

frags="$TOP/config/guest.config ${FRAGMENTS:-$TOP/config/harness.config $TOP/config/kvm.config $TOP/config/series.config $TOP/config/debug.config}"
mkdir -p "$OBJ"
tmp=$(mktemp -d "$OBJ/.cfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mk() { make -s -C "$SRC" O="$tmp" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "make $* failed"; }; }
# allnoconfig takes the fragments' values first and sets everything else it
# may to n, so that choices (64-bit, say) are made with the fragments known.
cat $frags >"$tmp/all.config"
mk ARCH=x86_64 KCONFIG_ALLCONFIG="$tmp/all.config" allnoconfig
mk olddefconfig

config_landed "$tmp/.config" $frags || die "requested kernel options did not land (see above); fix the fragment or the series"

if ! cmp -s "$tmp/.config" "$OBJ/.config"; then
	cp "$tmp/.config" "$OBJ/.config"
	note "kernel config updated"
fi
