#!/bin/sh
# Run the guest_memfd stress test N times for S seconds each; stop at the
# first failure.  A run that overruns by 60 s is taken as stalled: its
# threads' kernel stacks and the VMs' fault counters are dumped twice, a
# second apart, and it is killed.  Usage: stress-loop.sh N S
n=${1:-20} s=${2:-45} i=0
dump() {
	for round in 1 2; do
		echo "# stalled stress run, sample $round"
		for t in /proc/$1/task/*; do
			echo "# thread $(basename "$t"): $(cut -d' ' -f3 "$t/stat") wchan=$(cat "$t/wchan")"
			sed 's/^/#   /' "$t/stack"
		done
		for d in /sys/kernel/debug/kvm/*-*/; do
			[ -d "$d" ] || continue
			echo "# kvm $(basename "$d"): $(for f in pf_taken pf_fixed pf_spurious pf_emulate exits halt_exits; do printf '%s=%s ' $f "$(cat "$d/$f" 2>/dev/null)"; done)"
		done
		[ $round = 1 ] && sleep 1
	done
}
while [ $i -lt $n ]; do
	i=$((i + 1))
	t0=$(date +%s)
	./x86_64/guest_memfd_stress_test -t "$s" >/tmp/stress.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		if [ $(($(date +%s) - t0)) -gt $((s + 60)) ]; then
			dump $pid
			kill -KILL $pid
			tail -n 30 /tmp/stress.out
			echo "stress run $i/$n: STALLED (no end $((s + 60))s after start)"
			exit 1
		fi
	done
	wait $pid
	rc=$?
	echo "stress run $i/$n: exit $rc after $(($(date +%s) - t0))s"
	[ $rc = 0 ] || { tail -n 30 /tmp/stress.out; exit 1; }
done
echo "stress loop: $n runs of ${s}s passed"
