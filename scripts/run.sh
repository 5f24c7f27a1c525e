#!/bin/bash
# make run: build the patched kernel and the reference VMM (vmm/, against the
# series' uapi headers), boot the kernel under QEMU and run the VMM with its
# defaults; exit 0 when it passes.  VMM_ARGS passes options to it.
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
"$TOP/scripts/boot.sh" run 600 kvm-caps $prog
rc=$?
sed -n '/^# running /,/^# [^ ]*: exit/p' "$BUILD/results/run.ktap" | sed 's/^# //'
exit $rc
