#!/bin/sh
# Runs in the test guest: the guest_memfd fuzzer with failslab and
# fail_page_alloc aimed at it (5% of its slab and page allocations fail,
# from 3 s in, after its setup), then a kmemleak scan.  Not wired into a
# make target yet (issue 5); by hand, from the repo:
#   cp tools/fuzz_failslab.sh build/tools/
#   KERNEL_CMDLINE=kmemleak=on scripts/boot.sh explore 400 \
#       fuzz_failslab.sh x86_64/guest_memfd_fuzz_test
d=/sys/kernel/debug
for f in failslab fail_page_alloc; do
	echo 5 > $d/$f/probability
	echo 1 > $d/$f/interval
	echo -1 > $d/$f/times
	echo 1 > $d/$f/verbose
	echo Y > $d/$f/task-filter
	echo N > $d/$f/ignore-gfp-wait
done
echo N > $d/fail_page_alloc/ignore-gfp-highmem
./x86_64/guest_memfd_fuzz_test -t 40 -s 0x1234 &
pid=$!
sleep 3
echo 1 > /proc/$pid/make-it-fail
wait $pid
rc=$?
echo "fuzzer exit $rc"
dmesg | grep -c "FAULT_INJECTION: forcing" ; dmesg | grep -A2 "FAULT_INJECTION" | head -5
for f in failslab fail_page_alloc; do echo 0 > $d/$f/probability; done
if [ -e $d/kmemleak ]; then
	echo clear > $d/kmemleak
	echo scan > $d/kmemleak; sleep 5; echo scan > $d/kmemleak
	leaks=$(wc -l < $d/kmemleak)
	echo "kmemleak report lines: $leaks"
	head -40 $d/kmemleak
	[ "$leaks" = 0 ] || rc=1
fi
exit $rc
