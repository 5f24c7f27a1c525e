#!/bin/bash
# Write $OBJ/.config: a base config plus the fragments named in $GMEM_FRAGMENTS
# (default: the test kernel's: config/harness.config, config/kvm.config, the
# series' tools/testing/selftests/kvm/config and config/debug.config; a later
# fragment's value of an option wins), then check that each requested option
# landed. The .config is only replaced when its content changes.
#
# The base is allnoconfig plus config/guest.config (a QEMU guest with an
# initramfs and a serial console, nothing more: a third of defconfig's
# objects, 13 min cold instead of 17 to 42), or with GMEM_KCONFIG_BASE=defconfig
# x86_64 defconfig (make hygiene's builds).
. "$(dirname "$0")/../lib.sh"

frags=${GMEM_FRAGMENTS:-$TOP/config/harness.config $TOP/config/kvm.config $(ksft_config) $TOP/config/debug.config}
for f in $frags; do
	[ -f "$f" ] || die "config fragment $f is missing"
done
mkdir -p "$OBJ"
tmp=$(mktemp -d "$OBJ/.cfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# One fragment, later values replacing earlier ones.
merge_fragments $frags >"$tmp/fragments.config"

mk() { make -s -C "$SRC" O="$tmp" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "make $* failed"; }; }
case ${GMEM_KCONFIG_BASE:-minimal} in
defconfig)
	mk defconfig
	cat "$tmp/fragments.config" >>"$tmp/.config"
	;;
minimal)
	# allnoconfig takes the fragments' values first and sets everything
	# else it may to n, so that choices (64-bit, say) see the fragments.
	# It runs without EXPERT, which the debug fragment turns on: what
	# EXPERT merely unhides (BASE_FULL, VM_EVENT_COUNTERS, ZONE_DMA, ...)
	# keeps its default, as with defconfig and in Debian's kernels, instead
	# of allnoconfig's n. The fragments then go on top again, for EXPERT
	# and what depends on it (KVM_WERROR).
	merge_fragments "$TOP/config/guest.config" "$tmp/fragments.config" >"$tmp/all.config"
	cp "$tmp/all.config" "$tmp/fragments.config"
	grep -v '^CONFIG_EXPERT=' "$tmp/fragments.config" >"$tmp/all.config"
	mk ARCH=x86_64 KCONFIG_ALLCONFIG="$tmp/all.config" allnoconfig
	cat "$tmp/fragments.config" >>"$tmp/.config"
	;;
*)
	die "GMEM_KCONFIG_BASE is '$GMEM_KCONFIG_BASE'; it is 'defconfig' or 'minimal'"
	;;
esac
mk olddefconfig

config_landed "$tmp/.config" "$tmp/fragments.config" || die "requested kernel options did not land (see above); fix the fragment or the series"

if ! cmp -s "$tmp/.config" "$OBJ/.config"; then
	cp "$tmp/.config" "$OBJ/.config"
	note "kernel config updated"
fi
