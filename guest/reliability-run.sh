#!/bin/sh
# Runs in the test guest, booted with kmemleak=on (scripts/test/reliability.sh):
# the guest_memfd stress test and fuzzer with failslab and fail_page_alloc
# aimed at their own calls (task-filter; the tests opt in with -f after their
# setup), each in a memory cgroup of its own.  Afterwards nothing may be
# left: no page charged to the cgroups (guest_memfd, shmem or anonymous), no
# guest_memfd page anywhere (Unevictable back to where it was), no new
# kmemleak report and no kernel splat.  Prints the figures README keeps.
# Usage: reliability-run.sh [STRESS_SECONDS [FUZZ_SECONDS [PERCENT]]]
stress_s=${1:-60} fuzz_s=${2:-30} percent=${3:-2}
dbg=/sys/kernel/debug
cg=/sys/fs/cgroup
times=100000000		# failures allowed; what is left of it counts them
rc=0
pages_left=0

fail() {
	echo "FAIL: $*"
	rc=1
}

meminfo() {
	awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo
}

# Free memory in kB: MemFree and the free pages parked on the per-CPU lists
# (/proc/zoneinfo "count:", in pages), which MemFree leaves out; those lists
# also hold 2 MiB pages, such as a freed huge guest_memfd folio.
free_kb() {
	echo $(($(meminfo MemFree) + $(awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo)))
}

settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
}

inject() {
	for f in failslab fail_page_alloc; do
		[ -d $dbg/$f ] || { fail "no $dbg/$f: the kernel lacks CONFIG_FAILSLAB/CONFIG_FAIL_PAGE_ALLOC"; return; }
		if [ "$1" = on ]; then
			echo 0 >$dbg/$f/verbose
			echo Y >$dbg/$f/task-filter
			echo N >$dbg/$f/ignore-gfp-wait
			echo 1 >$dbg/$f/interval
			echo $times >$dbg/$f/times
			echo "$percent" >$dbg/$f/probability
		else
			echo 0 >$dbg/$f/probability
		fi
	done
	if [ "$1" = on ]; then
		# guest_memfd pages are order-0 highmem-capable user pages.
		echo N >$dbg/fail_page_alloc/ignore-gfp-highmem
		echo 0 >$dbg/fail_page_alloc/min-order
	fi
}

injected() {
	echo $((times - $(cat $dbg/$1/times)))
}

# run NAME CMD...: CMD in the memory cgroup NAME, with failures injected;
# then what the cgroup still has charged once CMD is gone.
run() {
	name=$1
	shift
	mkdir $cg/$name || { fail "cannot make cgroup $name"; return; }
	inject on
	sh -c "echo \$\$ >$cg/$name/cgroup.procs && exec $*" 2>&1 | tee /tmp/$name.out
	r=$?
	inject off
	[ $r = 0 ] || fail "$name: exit $r"
	settle
	for k in anon file shmem unevictable; do
		v=$(awk -v k=$k '$1 == k { print $2 }' $cg/$name/memory.stat)
		echo "$name: cgroup's $k after exit: $v bytes"
		[ "$v" = 0 ] || { fail "$name left $v bytes of $k charged"; pages_left=$((pages_left + v / 4096)); }
	done
	echo "$name: cgroup's slab after exit (caches, not leaks): $(awk '$1 == "slab" { print $2 }' $cg/$name/memory.stat) bytes"
	rmdir $cg/$name
}

set -o pipefail
grep -q " $cg cgroup2 " /proc/mounts || mount -t cgroup2 cgroup2 $cg || fail "cannot mount cgroup2"
echo +memory >$cg/cgroup.subtree_control || fail "no memory controller"
kmemleak=$dbg/kmemleak
if [ -e $kmemleak ] && echo scan >$kmemleak 2>/dev/null; then
	before=$(grep -c 'unreferenced object' $kmemleak)
	echo clear >$kmemleak
else
	fail "kmemleak is off: boot with kmemleak=on (CONFIG_DEBUG_KMEMLEAK)"
	kmemleak=
fi
settle
free0=$(free_kb) unevictable0=$(meminfo Unevictable)

run stress ./x86_64/guest_memfd_stress_test -f -t "$stress_s"
slab_stress=$(injected failslab) page_stress=$(injected fail_page_alloc)
run fuzz ./x86_64/guest_memfd_fuzz_test -f -t "$fuzz_s"
slab_fuzz=$(injected failslab) page_fuzz=$(injected fail_page_alloc)

settle
unevictable_d=$(($(meminfo Unevictable) - unevictable0))
free_d=$(($(free_kb) - free0))
[ $unevictable_d = 0 ] || { fail "Unevictable is ${unevictable_d} kB off its level before the runs"; pages_left=$((pages_left + unevictable_d / 4)); }
# KASAN's quarantine holds on to up to 1/32 of memory in freed objects, so
# free memory comes back to its level only within that.
quarantine=$(($(meminfo MemTotal) / 32))
[ $free_d -gt $((-quarantine)) ] || fail "free memory is ${free_d} kB below its level before the runs (more than KASAN's quarantine, ${quarantine} kB)"
leaks=-
if [ -n "$kmemleak" ]; then
	# An object must stay unreferenced across scans, and be 5 s old.
	sleep 5
	echo scan >$kmemleak
	echo scan >$kmemleak
	leaks=$(grep -c 'unreferenced object' $kmemleak)
	[ "$leaks" = 0 ] || { fail "kmemleak: $leaks new reports"; head -n 60 $kmemleak; }
fi
splats=$(dmesg | grep -cE "$SPLAT")

echo "== reliability figures =="
echo "stress: $(grep -o 'seed [^,]*' /tmp/stress.out | head -n 1), $stress_s s, $percent% of slab and page allocations failing"
sed -e '/^TAP version/d' -n -e 's/^\([A-Za-z][A-Za-z +_-]*[a-z]\)  *\([0-9][0-9]*\)$/  \1: \2/p' /tmp/stress.out
echo "  injected failures: failslab $slab_stress, fail_page_alloc $page_stress"
echo "fuzz: $(grep -o 'seed [^,]*' /tmp/fuzz.out | head -n 1), $fuzz_s s"
sed -n 's/^\([A-Za-z_0-9]*\)  *\([0-9]*\) calls,  *\([0-9]*\) succeeded$/  \1: \2 calls, \3 succeeded/p' /tmp/fuzz.out
echo "  injected failures: failslab $slab_fuzz, fail_page_alloc $page_fuzz"
echo "pages left charged or unevictable: $pages_left"
echo "free memory (MemFree + per-CPU lists) after vs before: ${free_d} kB (allowed: down to -${quarantine} kB, KASAN's quarantine)"
echo "kmemleak: $leaks new reports (${before:--} before the runs)"
echo "kernel splats: $splats"
[ "$splats" = 0 ] || rc=1
exit $rc
