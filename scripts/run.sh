#!/bin/bash
# make run: build the patched kernel and the reference VMM (vmm/, against the
# series' uapi headers), boot the kernel under QEMU and run the VMM twice:
# with its defaults (--ram=convert), then with --ram=gmem (all of a default
# VM's RAM in one host-mappable guest_memfd); exit 0 when both pass.
# VMM_ARGS passes options to both runs (the second adds --ram=gmem after them).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
mkdir -p "$BUILD/tools"
step tools gcc -O2 -Wall -static -isystem "$HDR/include" -o "$BUILD/tools/kvm-caps" "$TOP/tools/kvm-caps.c"
step vmm make -C "$TOP/vmm" O="$BUILD/tools" HDR="$HDR/include"
prog=gmem-vmm
if [ -n "${VMM_ARGS:-}" ]; then
	printf '#!/bin/sh\nexec ./gmem-vmm %s\n' "$VMM_ARGS" >"$BUILD/tools/gmem-vmm-args.sh"
	chmod +x "$BUILD/tools/gmem-vmm-args.sh"
	prog="gmem-vmm-args.sh" EXTRA=gmem-vmm
	export EXTRA
fi
# The second run, --ram=gmem, through a wrapper; gmem-vmm itself is packed
# as a program above or, with VMM_ARGS, as EXTRA.
printf '#!/bin/sh\nexec ./gmem-vmm %s --ram=gmem\n' "${VMM_ARGS:-}" >"$BUILD/tools/gmem-vmm-gmem.sh"
chmod +x "$BUILD/tools/gmem-vmm-gmem.sh"
"$TOP/scripts/boot.sh" run 600 kvm-caps $prog gmem-vmm-gmem.sh
rc=$?
sed -n '/^# running /,/^# [^ ]*: exit/p' "$BUILD/results/run.ktap" | sed 's/^# //'
exit $rc
