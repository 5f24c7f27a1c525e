#!/bin/bash
# Boot the built kernel under QEMU (TCG, -cpu max: emulated AMD SVM with
# nested paging) with an initramfs that runs the given programs, print KTAP
# results and the summary line; exit non-zero on any failure.
# Usage: boot.sh NAME TIMEOUT PROGRAM...   (NAME names the result files)
. "$(dirname "$0")/../lib.sh"

name=$1 timeout=$2
shift 2
res=$BUILD/results
mkdir -p "$res"
img=$BUILD/initramfs-$name.cpio.gz
"$TOP/scripts/boot/initramfs.sh" "$img" "$timeout" "$@" || exit 1

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing; run 'make deps'"
log=$res/$name.log
ktap=$res/$name.ktap
# Whole-run limit: boot, plus every program running into its own timeout.
# The guest kills a test at its timeout and gives up 30 s later; if the
# console stays silent well past that (a test's own output is block
# buffered, so silence during a test is normal), the guest itself is hung.
limit=$((${GMEM_BOOT_TIMEOUT:-300} + ($# * (timeout + 5))))
silence=$((timeout + 180))
note "booting $(basename "$OBJ")/bzImage under QEMU/TCG; $# programs, ${timeout}s each; log: $log"
raw=$log.raw
# A monitor socket, to record the vCPUs' state if the guest hangs; in a
# directory of its own under /tmp, as a unix socket's path is limited to
# 107 bytes.
mondir=$(mktemp -d "${TMPDIR:-/tmp}/gmem-qemu.XXXXXX") || die "cannot make a directory for QEMU's monitor"
mon=$mondir/monitor hang=$log.hang
trap 'rm -rf "$mondir"' EXIT
rm -f "$raw" "$res/$name.rc" "$hang"
t0=$(date +%s)
# no_timer_check: a guest slowed down by a loaded host (TCG) can fail the
# IO-APIC timer check and panic in setup_IO_APIC() (seen with a nice'd QEMU
# beside a kernel build).
# la57=off: with 5-level paging, 6.1 can take a KASAN "wild-memory-access"
# splat in an interrupt that arrives while identify_cpu() has the boot CPU's
# feature bits cleared (seen at random early in boot under TCG).
# Two NUMA nodes by default (GMEM_QEMU_NUMA=1: one), the guest's memory split
# evenly between them and every vCPU on node 0, so that tests of NUMA
# placement (guest_memfd_numa_test) have a second node to place memory on.
smp=${GMEM_QEMU_SMP:-1} mem=${GMEM_QEMU_MEM:-4G} nodes=${GMEM_QEMU_NUMA:-2}
case $mem in
*G) mem_mb=$((${mem%G} * 1024)) ;;
*M) mem_mb=${mem%M} ;;
*) die "GMEM_QEMU_MEM=$mem: give it in M or G" ;;
esac
numa=()
if [ "$nodes" -gt 1 ]; then
	for ((n = 0; n < nodes; n++)); do
		cpus=
		[ $n = 0 ] && cpus=",cpus=0-$((smp - 1))"
		numa+=(-object "memory-backend-ram,id=ram$n,size=$((mem_mb / nodes))M"
		       -numa "node,nodeid=$n,memdev=ram$n$cpus")
	done
	mem=$((mem_mb / nodes * nodes))M
fi
qemu-system-x86_64 -accel tcg -cpu max,la57=off -smp "$smp" -m "$mem" "${numa[@]}" \
	-nodefaults -display none -no-reboot -serial "file:$raw" \
	-monitor "unix:$mon,server=on,wait=off" \
	-kernel "$OBJ/arch/x86/boot/bzImage" -initrd "$img" \
	-append "console=ttyS0 loglevel=1 panic=-1 no_timer_check ${GMEM_KERNEL_CMDLINE:-}" \
	</dev/null >"$log.qemu" 2>&1 &
qpid=$!
trap 'kill -KILL $qpid 2>/dev/null; rm -rf "$mondir"' EXIT
shown=0 why= last=$t0 size=0
while kill -0 $qpid 2>/dev/null; do
	sleep 2
	now=$(date +%s)
	new=$(stat -c %s "$raw" 2>/dev/null || echo 0)
	[ "$new" != "$size" ] && size=$new last=$now
	# Show progress: the results and the test being started.
	lines=$(wc -l <"$raw" 2>/dev/null || echo 0)
	if [ "$lines" -gt "$shown" ]; then
		sed -n "$((shown + 1)),${lines}p" "$raw" | tr -d '\r' |
			grep -E '^(not )?ok [0-9]+ |^# running ' >&2
		shown=$lines
	fi
	if [ $((now - t0)) -gt "$limit" ]; then
		why="the guest did not power off within ${limit}s; see $log"
	elif [ $((now - last)) -gt "$silence" ]; then
		why="the guest hung: its console was silent for ${silence}s after '$(tr -d '\r' <"$raw" | grep '^# running ' | tail -n 1 | cut -c3-)'; see $log"
	fi
	if [ -n "$why" ]; then
		# Where each vCPU is, twice, a second apart: a loop or a halt.
		{
			python3 "$TOP/scripts/boot/hmp.py" "$mon" "info cpus" \
				"info registers -a" "x/6i \$pc"
			sleep 1
			python3 "$TOP/scripts/boot/hmp.py" "$mon" "info registers -a"
		} >"$hang" 2>&1 && why="$why; the vCPUs' registers: $hang"
		kill -KILL $qpid 2>/dev/null
		break
	fi
done
wait $qpid 2>/dev/null
tr -d '\r' <"$raw" >"$log"
rm -f "$raw"
elapsed=$(($(date +%s) - t0))

sed -n '/^KTAP version 1$/,$p' "$log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' >"$ktap"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ktap" | head -n 1)
pass=$(grep -cE '^ok [0-9]+ ' "$ktap" | head -n 1)
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$ktap")
fail=$(grep -cE '^not ok [0-9]+ ' "$ktap")
pass=$((pass - skip))
if [ -n "$why" ]; then
	:
elif [ -z "$plan" ]; then
	why="the guest never started the test runner (kernel panic or boot failure?); see $log"
elif [ $((pass + skip + fail)) -lt "$plan" ]; then
	why="the guest stopped after $((pass + skip + fail)) of $plan results (kernel panic?); see $log"
fi
# A splat on the console outside the tests' own output ('# ' lines) and the
# KTAP results, by the guest's definition (guest/splat.ere).
if grep -vE '^(# |ok |not ok |KTAP |1\.\.)' "$log" | grep -qE "$(paste -s -d '|' "$TOP/guest/splat.ere")" &&
	[ "$fail" = 0 ] && [ -z "$why" ]; then
	why="a kernel splat reached the console; see $log"
fi
[ -n "$why" ] && { fail=$((fail + 1)); echo "error: $why" >&2; echo "# error: $why" >>"$ktap"; }
# The boot's verdict beside its KTAP, for make check's KTAP tree.
[ "$fail" = 0 ]; echo $? >"$res/$name.rc"
grep -E '^not ok ' "$ktap" | sed 's/^/FAILED: /' >&2
echo "# ran in ${elapsed}s; KTAP: $ktap" >&2
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
