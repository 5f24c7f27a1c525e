#!/bin/bash
# Boot the built kernel under QEMU (TCG, -cpu max: emulated AMD SVM with
# nested paging) with an initramfs that runs the given programs, print KTAP
# results and the summary line; exit non-zero on any failure.
# Usage: boot.sh NAME TIMEOUT PROGRAM...   (NAME names the result files)
. "$(dirname "$0")/lib.sh"

name=$1 timeout=$2
shift 2
res=$BUILD/results
mkdir -p "$res"
img=$BUILD/initramfs-$name.cpio.gz
"$TOP/scripts/initramfs.sh" "$img" "$timeout" "$@" || exit 1

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing; run 'make deps'"
log=$res/$name.log
ktap=$res/$name.ktap
# Whole-run limit: boot, plus every program running into its own timeout.
limit=$((${BOOT_TIMEOUT:-240} + ($# * (timeout + 5))))
note "booting $(basename "$OBJ")/bzImage under QEMU/TCG; $# programs, ${timeout}s each; log: $log"
t0=$(date +%s)
timeout -s KILL "$limit" qemu-system-x86_64 -accel tcg -cpu max -smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-4G}" \
	-nodefaults -display none -no-reboot -serial stdio -monitor none \
	-kernel "$OBJ/arch/x86/boot/bzImage" -initrd "$img" \
	-append "console=ttyS0 loglevel=1 panic=-1 ${KERNEL_CMDLINE:-}" \
	</dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" |
	grep --line-buffered -E '^(not )?ok [0-9]+ |^# running ' >&2
qrc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - t0))

sed -n '/^KTAP version 1$/,$p' "$log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' >"$ktap"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ktap" | head -n 1)
pass=$(grep -cE '^ok [0-9]+ ' "$ktap" | head -n 1)
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$ktap")
fail=$(grep -cE '^not ok [0-9]+ ' "$ktap")
pass=$((pass - skip))
why=
if [ "$qrc" = 137 ]; then
	why="the guest did not power off within ${limit}s (a hung test or kernel); see $log"
elif [ -z "$plan" ]; then
	why="the guest never started the test runner (kernel panic or boot failure?); see $log"
elif [ $((pass + skip + fail)) -lt "$plan" ]; then
	why="the guest stopped after $((pass + skip + fail)) of $plan results (kernel panic?); see $log"
fi
if grep -qE 'Kernel panic|BUG: |WARNING: ' "$log" && [ "$fail" = 0 ] && [ -z "$why" ]; then
	why="a kernel splat reached the console; see $log"
fi
[ -n "$why" ] && { fail=$((fail + 1)); echo "error: $why" >&2; }
grep -E '^not ok ' "$ktap" | sed 's/^/FAILED: /' >&2
echo "# ran in ${elapsed}s; KTAP: $ktap" >&2
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
