#!/bin/bash
# make run: build the patched kernel and the reference VMM (vmm/, against the
# series' uapi headers), boot the kernel under QEMU and run the VMM three
# times: with its defaults (--ram=convert), with --ram=gmem (all of a default
# VM's RAM in one host-mappable guest_memfd), and with --ram=gmem
# --inject=hwpoison, which must end with the VMM's EHWPOISON exit status, 6;
# exit 0 when all three do what they should.
# GMEM_VMM_ARGS (make run VMM_ARGS=...) passes options to every run (the others add theirs after them).
. "$(dirname "$0")/../lib.sh"

"$TOP/scripts/build/ensure.sh" || exit 1
"$TOP/scripts/build/build.sh" || exit 1
mkdir -p "$BUILD/tools"
step tools gcc -O2 -Wall -static -isystem "$HDR/include" -o "$BUILD/tools/kvm-caps" "$TOP/guest/kvm-caps.c"
step vmm make -C "$TOP/vmm" O="$BUILD/tools" HDR="$HDR/include"
prog=gmem-vmm
if [ -n "${GMEM_VMM_ARGS:-}" ]; then
	printf '#!/bin/sh\nexec ./gmem-vmm %s\n' "$GMEM_VMM_ARGS" >"$BUILD/tools/gmem-vmm-args.sh"
	chmod +x "$BUILD/tools/gmem-vmm-args.sh"
	prog="gmem-vmm-args.sh" GMEM_EXTRA=gmem-vmm
	export GMEM_EXTRA
fi
# The second run, --ram=gmem, through a wrapper; gmem-vmm itself is packed
# as a program above or, with GMEM_VMM_ARGS, as GMEM_EXTRA.
printf '#!/bin/sh\nexec ./gmem-vmm %s --ram=gmem\n' "${GMEM_VMM_ARGS:-}" >"$BUILD/tools/gmem-vmm-gmem.sh"
chmod +x "$BUILD/tools/gmem-vmm-gmem.sh"
# The third run gives a page of guest RAM a memory error before the guest
# reads it: it passes only if the VMM exits with its EHWPOISON status.
cat >"$BUILD/tools/gmem-vmm-hwpoison.sh" <<EOF
#!/bin/sh
./gmem-vmm ${GMEM_VMM_ARGS:-} --ram=gmem --inject=hwpoison
rc=\$?
[ \$rc = 6 ] && exit 0
echo "gmem-vmm --ram=gmem --inject=hwpoison: exit status \$rc, expected 6 (EHWPOISON)"
exit 1
EOF
chmod +x "$BUILD/tools/gmem-vmm-hwpoison.sh"
"$TOP/scripts/boot/boot.sh" run 600 kvm-caps $prog gmem-vmm-gmem.sh gmem-vmm-hwpoison.sh
rc=$?
sed -n '/^# running /,/^# [^ ]*: exit/p' "$BUILD/results/run.ktap" | sed 's/^# //'
exit $rc
