#!/bin/bash
# Write $OBJ/.config: x86_64 defconfig plus the fragments named in $FRAGMENTS
# (default: every config/*.config), then check that each requested option
# landed. The .config is only replaced when its content changes.
. "$(dirname "$0")/lib.sh"

frags=${FRAGMENTS:-$TOP/config/harness.config $TOP/config/kvm.config $TOP/config/series.config $TOP/config/debug.config}
mkdir -p "$OBJ"
tmp=$(mktemp -d "$OBJ/.cfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mk() { make -s -C "$SRC" O="$tmp" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "make $* failed"; }; }
mk defconfig
cat $frags >>"$tmp/.config"
mk olddefconfig

config_landed "$tmp/.config" $frags || die "requested kernel options did not land after olddefconfig (see above); fix the fragment or the series"

if ! cmp -s "$tmp/.config" "$OBJ/.config"; then
	cp "$tmp/.config" "$OBJ/.config"
	note "kernel config updated"
fi
