#!/bin/bash
# Build the test kernel (out of tree, with ccache), install its uapi headers
# and build its KVM selftests against them.  --kernel-only: the kernel and
# the headers, not the selftests (the bench kernel, in its own $OBJ).
. "$(dirname "$0")/../lib.sh"

base_rev >/dev/null || die "no kernel tree in $SRC; run 'make apply' first"
kmake() { make -C "$SRC" O="$OBJ" CC="ccache gcc" HOSTCC="ccache gcc" -j"$NPROC" "$@"; }

step config "$TOP/scripts/build/config.sh"
step kernel kmake bzImage
step headers kmake headers_install INSTALL_HDR_PATH="$HDR"
[ "${1:-}" = --kernel-only ] && exit 0

kvm=$SRC/tools/testing/selftests/kvm
# -k: a test that does not build is reported by check.sh, not fatal here
# (two tests of the Debian base do not build; see tests/excluded.txt).
# The selftests' Makefile tracks no header dependencies, so stale objects
# would survive a change of a header; start afresh (ccache makes it cheap).
ksft_make() {
	rm -rf "$KSFT"
	make -k -C "$kvm" -j"$NPROC" OUTPUT="$KSFT" INSTALL_HDR_PATH="$HDR" \
		KHDR_INCLUDES="-isystem $HDR/include" CC="ccache gcc" || true
}
step selftests ksft_make
# The list of x86_64 test programs, as the selftests Makefile has it.
make -s --no-print-directory -C "$kvm" -f Makefile -f "$TOP/scripts/build/print-tests.mk" \
	OUTPUT="$KSFT" INSTALL_HDR_PATH="$HDR" print-tests >"$KSFT/tests.list" ||
	die "cannot list the KVM selftests"
