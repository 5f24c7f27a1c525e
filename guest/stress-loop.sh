#!/bin/sh
# Run the guest_memfd stress test N times for S seconds each; stop at the
# first failure.  A run that overruns by 60 s is taken as stalled: its
# threads' kernel stacks and the VMs' fault counters are dumped twice, a
# second apart, with a second of KVM's tracepoints, and it is killed.
# Usage: stress-loop.sh N S [trace]
n=${1:-20} s=${2:-45} i=0 trace=${3:-}
# The host symbol at or below the address $1 (hex, no 0x), from kallsyms.
host_symbol() {
	awk -v r="$1" '{ if (length($1) == length(r) && $1 <= r && $1 > best) { best = $1; line = $0 } }
		END { print "#   " line }' /proc/kallsyms
}
# dump_threads (guest/dump.sh, packed as /dump.sh).
. /dump.sh
dump() {
	dump_threads "stalled stress run" "$1"
	t=/sys/kernel/tracing
	[ -d $t/events/kvm ] || return
	# With "trace": KVM's events up to the first exit from a guest RIP in
	# the upper half (the trigger set up below stopped the trace there).
	if [ -n "$trace" ]; then
		echo "# tracing_on=$(cat $t/tracing_on); the trace up to the trigger: $(grep -vc '^#' $t/trace) events, the last 400"
		grep -v '^#' $t/trace | tail -n 400 | sed 's/^/#   /'
		echo '!traceoff if guest_rip > 0xffff800000000000' >$t/events/kvm/kvm_exit/trigger 2>/dev/null
	fi
	# A second of what the vCPUs exit for now.
	for e in kvm_exit kvm_entry kvm_page_fault kvm_mmio kvm_emulate_insn kvm_inj_exception kvm_userspace_exit; do
		echo 1 >$t/events/kvm/$e/enable
	done
	echo >$t/trace
	echo 1 >$t/tracing_on
	sleep 1
	echo 0 >$t/tracing_on
	echo "# a second of the stall: $(grep -vc '^#' $t/trace) events, the first 40, then counts"
	grep -v '^#' $t/trace | head -n 40 | sed 's/^/#   /'
	grep -v '^#' $t/trace | grep -o ' [a-z_]*: ' | sort | uniq -c | sed 's/^/#   /'
	rip=$(grep -v '^#' $t/trace | grep -o 'kvm_exit: .* rip 0xffff[0-9a-f]*' | head -n 1 | sed 's/.*rip 0x//')
	if [ -n "$rip" ]; then
		echo "# an upper-half guest RIP, $rip; the host symbol at or below it:"
		host_symbol "$rip"
	fi
}
# With "trace": trace KVM's exits, entries, faults, exits to userspace and
# injected events throughout, in a ring buffer that stops at the first exit
# from a guest RIP in the upper (kernel) half: the selftest guests run in
# the lower half, so what led there is kept for the dump.  (It slows exits
# down: 20 runs with it on never stalled.)
t=/sys/kernel/tracing
[ -d $t/events ] || mount -t tracefs nodev $t 2>/dev/null
if [ -n "$trace" ] && [ -d $t/events/kvm ]; then
	echo 32768 >$t/buffer_size_kb
	for e in kvm_exit kvm_entry kvm_page_fault kvm_mmio kvm_pio kvm_userspace_exit kvm_inj_exception kvm_inj_virq kvm_emulate_insn kvm_set_irq kvm_fpu; do
		[ -e $t/events/kvm/$e/enable ] && echo 1 >$t/events/kvm/$e/enable
	done
	echo 'traceoff if guest_rip > 0xffff800000000000' >$t/events/kvm/kvm_exit/trigger ||
		echo "# cannot set a traceoff trigger on kvm_exit"
	echo 1 >$t/tracing_on
fi
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
	if [ $rc != 0 ]; then
		tail -n 30 /tmp/stress.out
		# The test's watchdog prints the registers of a vCPU stuck in
		# KVM_RUN: name the host symbol of an upper-half RIP.
		rip=$(grep -o 'rip 0xffff[0-9a-f]*' /tmp/stress.out | head -n 1 | sed 's/rip 0x//')
		if [ -n "$rip" ]; then
			echo "# host symbol at or below the vCPU's RIP $rip:"
			host_symbol "$rip"
		fi
		exit 1
	fi
done
echo "stress loop: $n runs of ${s}s passed"
