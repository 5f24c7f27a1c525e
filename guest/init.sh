#!/bin/sh
# /init of the test initramfs (busybox sh). Runs what /run.conf asks for,
# prints KTAP on the console and powers the guest off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
# POSIX shared memory and named semaphores (sem_open) live in /dev/shm.
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
. /run.conf		# TIMEOUT, TESTS

# What counts as a kernel splat: the one definition, guest/splat.ere (one
# extended regular expression a line), which the host's boot.sh reads too.
SPLAT=$(paste -s -d '|' /splat.ere)
export SPLAT		# for tests that look at the log themselves

n=0
# result OK|FAIL|SKIP NAME [REASON]
result() {
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n $2" ;;
	SKIP) echo "ok $n $2 # SKIP $3" ;;
	*) echo "not ok $n $2${3:+ # $3}" ;;
	esac
}

# Print and clear the kernel log; return 0 if it holds a splat.
check_dmesg() {
	dmesg -c >/tmp/dmesg
	if grep -Eq "$SPLAT" /tmp/dmesg; then
		# From a little before the first splat line: the splat itself,
		# not the start of the boot log, is what must be seen.
		first=$(grep -nE "$SPLAT" /tmp/dmesg | head -n 1 | cut -d: -f1)
		echo "# kernel splat in dmesg (from line $((first > 20 ? first - 20 : 1))):"
		sed -n "$((first > 20 ? first - 20 : 1)),$((first + 150))p" /tmp/dmesg |
			sed 's/^/# dmesg: /'
		return 0
	fi
	return 1
}

# dump_threads (guest/dump.sh, shared with stress-loop.sh).
. /dump.sh

# A test that runs into its timeout: show what each of its threads is doing,
# twice a second apart, then kill it.
dump_stuck() {
	local name p pids=
	name=$(basename "$1" | cut -c1-15)
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "$name" ] && pids="$pids ${p#/proc/}"
	done
	# shellcheck disable=SC2086
	dump_threads "stuck test $1" $pids
}

echo "KTAP version 1"
echo "# kernel $(uname -r) $(cat /proc/version | cut -d' ' -f4-)"
kunit=$(ls -d /sys/kernel/debug/kunit/*/ 2>/dev/null)
set -- $TESTS
echo "1..$(($# + 1 + $(echo "$kunit" | grep -c .)))"

if check_dmesg; then result FAIL boot "kernel splat while booting"; else result OK boot; fi

for d in $kunit; do
	s=$(basename "$d")
	last=$(grep -E '^(not )?ok [0-9]+ ' "$d/results" | tail -n 1)
	sed 's/^/# /' "$d/results"
	case $last in
	"ok "*"# SKIP"*) result SKIP "kunit/$s" ;;
	"ok "*) result OK "kunit/$s" ;;
	*) result FAIL "kunit/$s" ;;
	esac
done

cd /tests || exit 1
for t in "$@"; do
	echo "# running $t"
	start=$(date +%s)
	# The output goes to the console as it comes (prefixed, so that the
	# test's own TAP lines are not taken for results), so that a hang
	# shows how far the test got; /tmp/out keeps a copy.
	rm -f /tmp/fifo && mkfifo /tmp/fifo
	tee /tmp/out </tmp/fifo | sed 's/^/# /' &
	# The test is killed at its timeout, by the clock, after a dump of what
	# its threads were doing.  If it still has not died 30 s later (stuck
	# in the kernel), dump the blocked tasks and the log, and power off.
	"./$t" </dev/null >/tmp/fifo 2>&1 &
	pid=$!
	killed=
	while kill -0 $pid 2>/dev/null; do
		sleep 0.2
		if [ -z "$killed" ] && [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then
			dump_stuck "$t"
			kill -KILL $pid
			killed=1
		fi
		if [ $(($(date +%s) - start)) -ge $((TIMEOUT + 30)) ]; then
			echo w >/proc/sysrq-trigger
			echo l >/proc/sysrq-trigger
			dmesg | tail -n 200 | sed 's/^/# dmesg: /'
			result FAIL "$t" "did not die 30s after SIGKILL at ${TIMEOUT}s; guest stopped"
			poweroff -f
		fi
	done
	wait $pid
	rc=$?
	wait
	took=$(($(date +%s) - start))
	echo "# $t: exit $rc after ${took}s"
	if check_dmesg; then
		result FAIL "$t" "kernel splat"
	elif [ $rc = 0 ]; then
		result OK "$t"
	elif [ $rc = 4 ]; then
		result SKIP "$t" "$(grep -iE 'skip|requirement' /tmp/out | tail -n 1 | sed 's/.*SKIP[ -]*//' | cut -c1-100)"
	elif [ $rc = 137 ] && [ "$took" -ge "$TIMEOUT" ]; then
		result FAIL "$t" "timed out after ${TIMEOUT}s"
	elif [ $rc = 137 ]; then
		result FAIL "$t" "killed by SIGKILL after ${took}s (not the timeout: the OOM killer?)"
	else
		result FAIL "$t" "exit code $rc"
	fi
done
echo "# guest done"
sync
poweroff -f
