// SPDX-License-Identifier: GPL-2.0
/*
 * attrs_bench: measure KVM_SET_MEMORY_ATTRIBUTES, which keeps the
 * attributes of a VM by range (a maple tree of gfn ranges).
 *
 *  1. The cost of one call on a range without memslots, for 2 MiB, 1 GiB
 *     and 64 GiB: a range-based store must not grow with the range size.
 *  2. The kernel memory that tracking a uniformly private 64 GiB VM costs.
 *  3. The cost of a guest page fault with 1 and with 10,000 attribute
 *     ranges: every fault of a SW-protected VM looks its gfn up.
 *
 * Only raw ioctls on /dev/kvm.  Exits 0 on success, 4 (SKIP) if KVM lacks
 * KVM_X86_SW_PROTECTED_VM, 1 on any error.  The numbers that older headers
 * lack are upstream's (shared/abi.md).  Missing a target is reported, not
 * an error.  The last lines sum up each metric, with the spread of its
 * repetitions, or say why it was not measured (bench.h's summary lines).
 */

/*
 * /proc files are read with plain read() into a static buffer (bench.h's
 * read_proc() and procbuf, of this size here): stdio would malloc, and a
 * heap that grows changes this process's VMA tree, whose nodes come from
 * the maple_node cache that part 2 counts.
 */
#define PROCBUF_SIZE	(512 * KiB)

#include "bench.h"

/* Part 1: one range, far from anything, set and cleared. */
#define SET_BASE	TiB
#define SET_ITERS	200
#define SET_TARGET	4.0

/* Part 2: N VMs, each [0, 64 GiB) private. */
#define MEM_VMS		64
#define MEM_SIZE	(64 * GiB)
#define MEM_TARGET	65536

/* Part 3: a guest writing one word per page of its memslot. */
#define TOUCH_START	(2 * MiB)
#define PRIV_BASE	(4 * GiB)	/* above any memslot we create */
#define PRIV_SIZE	(4 * GiB)
#define NR_RANGES	10000
#define REPS		3
#define CAL_SLOT	(4 * MiB)
#define CAL_MID		(3 * MiB)
#define MIN_SLOT	(4 * MiB)
#define MAX_SLOT	(256 * MiB)
/* Time for all timed fault runs, so that TCG gets through in ~60 s. */
#define FAULT_BUDGET	(24 * NSEC)

/*
 * The metrics of the summary (bench.h), in the order measured, and the
 * statistic each is decided on.  The fault cost has no target, only an
 * expectation: a lookup in a tree of 10k ranges costs about what one in a
 * tree of one range does.  The memory per VM is one measurement over
 * MEM_VMS VMs.
 */
static const struct metric attrs_metrics[] = {
	{ "attrs_64g_vs_2m", "ns", TARGET("<=", SET_TARGET), STAT_MEDIAN },
	{ "attrs_bytes_per_vm", "B", TARGET("<=", MEM_TARGET), STAT_SINGLE },
	{ "fault_10k_vs_1_range", "ns/page", "~1", STAT_MEDIAN },
	{ NULL }
};

/* 1. Cost of one call, by range size, with no memslot to zap. */
static void bench_set(void)
{
	static const uint64_t sizes[] = { 2 * MiB, GiB, 64 * GiB };
	uint64_t t[SET_ITERS], t0;
	struct stats st[3];
	double ratio;
	int vm, i, s;

	printf("== 1. KVM_SET_MEMORY_ATTRIBUTES on an unmapped range\n");
	printf("VM without memslots, range at GPA %#llx, %d iterations: set PRIVATE (timed), set shared (untimed)\n",
	       (unsigned long long)SET_BASE, SET_ITERS);
	vm = create_vm();
	for (s = 0; s < 3; s++) {
		/* An untimed round first, so that no size pays for warm-up. */
		set_attrs(vm, SET_BASE, sizes[s], PRIVATE);
		set_attrs(vm, SET_BASE, sizes[s], 0);
		for (i = 0; i < SET_ITERS; i++) {
			t0 = now_ns();
			set_attrs(vm, SET_BASE, sizes[s], PRIVATE);
			t[i] = now_ns() - t0;
			set_attrs(vm, SET_BASE, sizes[s], 0);
		}
		st[s] = stats_of(t, SET_ITERS, 1);
		printf("set PRIVATE %-6s median %8.0f ns  min %8.0f ns  IQR %.0f-%.0f ns\n",
		       size_str(sizes[s]), st[s].median, st[s].min, st[s].q1,
		       st[s].q3);
	}
	close(vm);
	ratio = add_result("attrs_64g_vs_2m", &st[2], &st[0], 0, 2);
	printf("ratio 64GiB / 2MiB (medians): %.2f  target <= %.0f: %s\n",
	       ratio, SET_TARGET, verdict(ratio <= SET_TARGET));
}

/* The maple_node line of /proc/slabinfo; -1 if there is none. */
static int read_maple_nodes(long long *objs, long long *objsize)
{
	char *p, *nl;

	if (read_proc("/proc/slabinfo") < 0)
		return -1;
	for (p = procbuf; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		/* name active_objs num_objs objsize ... */
		if (!strncmp(p, "maple_node ", 11))
			return sscanf(p + 11, "%lld %*d %lld", objs,
				      objsize) == 2 ? 0 : -1;
		if (!*nl)
			break;
	}
	return -1;
}

struct meminfo {
	long long memfree, slab, sunreclaim;	/* kB */
};

static long long meminfo_field(const char *name)
{
	size_t len = strlen(name);
	char *p;

	for (p = procbuf; (p = strstr(p, name)); p += len)
		if (p == procbuf || p[-1] == '\n')
			return strtoll(p + len, NULL, 10);
	die("/proc/meminfo has no %s line", name);
}

static void read_meminfo(struct meminfo *m)
{
	if (read_proc("/proc/meminfo") < 0)
		die_errno("reading /proc/meminfo");
	m->memfree = meminfo_field("MemFree:");
	m->slab = meminfo_field("Slab:");
	m->sunreclaim = meminfo_field("SUnreclaim:");
}

/* 2. Memory that tracking a uniformly private 64 GiB VM costs. */
static void bench_memory(void)
{
	long long objs0 = 0, objs1 = 0, size0 = 0, size1 = 0, delta, per_vm;
	struct meminfo m0, m1;
	int vms[MEM_VMS], i, slabinfo;
	struct stats one;

	printf("== 2. kernel memory to track [0, %s) PRIVATE\n",
	       size_str(MEM_SIZE));
	printf("%d SW-protected VMs without vCPUs or memslots, each set PRIVATE with one call\n",
	       MEM_VMS);
	for (i = 0; i < MEM_VMS; i++)
		vms[i] = create_vm();
	/* Let RCU free what part 1 and earlier frees left pending. */
	usleep(200000);

	/* No output, mmap or munmap from here to the second reading. */
	slabinfo = !read_maple_nodes(&objs0, &size0);
	read_meminfo(&m0);
	for (i = 0; i < MEM_VMS; i++)
		set_attrs(vms[i], 0, MEM_SIZE, PRIVATE);
	if (slabinfo && read_maple_nodes(&objs1, &size1))
		die_errno("reading maple_node from /proc/slabinfo again");
	read_meminfo(&m1);

	if (slabinfo) {
		delta = objs1 - objs0;
		printf("source: /proc/slabinfo maple_node: objsize %lld, active_objs %lld -> %lld (%+lld)\n",
		       size1, objs0, objs1, delta);
		delta *= size1;
	} else {
		delta = (m1.sunreclaim - m0.sunreclaim) * 1024;
		printf("source: /proc/meminfo SUnreclaim (no maple_node in /proc/slabinfo): %lld kB -> %lld kB\n",
		       m0.sunreclaim, m1.sunreclaim);
	}
	per_vm = delta / MEM_VMS;
	if (per_vm < 0) {
		printf("bytes per VM: %lld is negative (frees elsewhere in the window), clamped to 0\n",
		       per_vm);
		per_vm = 0;
	}
	one = stats_one(per_vm);
	add_result("attrs_bytes_per_vm", &one, NULL, 0, 0);
	printf("bytes per VM: %lld  target <= %d: %s\n", per_vm, MEM_TARGET,
	       verdict(per_vm <= MEM_TARGET));
	printf("context, /proc/meminfo deltas over all %d VMs: MemFree %+lld kB, Slab %+lld kB, SUnreclaim %+lld kB\n",
	       MEM_VMS, m1.memfree - m0.memfree, m1.slab - m0.slab,
	       m1.sunreclaim - m0.sunreclaim);
	for (i = 0; i < MEM_VMS; i++)
		close(vms[i]);
}

/* 3. The guest: guest_code (bench.h) in slot 0, which is all its memory. */
struct guest {
	int vm;
	struct vcpu vcpu;
	uint8_t *mem;
	uint64_t mem_size;
};

static void guest_create(struct guest *g, uint64_t mem_size)
{
	struct kvm_userspace_memory_region region = { 0 };

	g->vm = create_vm();
	g->mem_size = mem_size;
	g->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->mem == MAP_FAILED)
		die_errno("mmap(%s of guest memory)", size_str(mem_size));
	/* One KVM fault per 4 KiB page; fails harmlessly without THP. */
	madvise(g->mem, mem_size, MADV_NOHUGEPAGE);

	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)g->mem;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &region))
		die_errno("KVM_SET_USER_MEMORY_REGION(slot 0, [0, %s))",
			  size_str(mem_size));

	vcpu_create(&g->vcpu, g->vm);
}

static void guest_destroy(struct guest *g)
{
	vcpu_destroy(&g->vcpu);
	close(g->vm);
	munmap(g->mem, g->mem_size);
}

/* Attribute ranges above the memslot; returns the ns the calls took. */
static uint64_t guest_set_ranges(struct guest *g, int many)
{
	uint64_t t0 = now_ns();
	int i;

	if (!many)
		set_attrs(g->vm, PRIV_BASE, PRIV_SIZE, PRIVATE);
	for (i = 0; many && i < NR_RANGES; i++)
		set_attrs(g->vm, PRIV_BASE + 2ULL * i * PAGE, PAGE, PRIVATE);
	return now_ns() - t0;
}

/*
 * Populate the host side and load the code, so that the timed run
 * measures KVM's own faults rather than the host's page allocator.
 * Returns the ns it took.
 */
static uint64_t guest_prefault(struct guest *g)
{
	uint64_t t0 = now_ns();

	memset(g->mem, 0, g->mem_size);
	memcpy(g->mem + CODE_GPA, guest_code, sizeof(guest_code));
	return now_ns() - t0;
}

static const char *const case_name[2] = { "1 range", "10k ranges" };

/* 3. Fault cost with 1 and with NR_RANGES attribute ranges. */
static void bench_faults(void)
{
	uint64_t ns_page[2][REPS], setup[REPS], med_setup, slot, pages;
	uint64_t cal_setup, cal_pre, cal_run, cost, budget;
	struct stats st[2];
	struct guest g;
	double ratio;
	int rep, c;

	printf("== 3. guest page faults with 1 and with %d attribute ranges\n",
	       NR_RANGES);
	printf("SW-protected VM, 1 vCPU, slot 0 at GPA 0 (anonymous memory, prefaulted on the host); the guest writes one word to each page from %s up\n",
	       size_str(TOUCH_START));
	printf("1 range: PRIVATE [%s, +%s); %dk ranges: every other 4KiB page PRIVATE from %s, one call each; the guest's pages stay shared\n",
	       size_str(PRIV_BASE), size_str(PRIV_SIZE), NR_RANGES / 1000,
	       size_str(PRIV_BASE));

	/*
	 * Calibrate on the bigger tree, whose setup also costs time; time
	 * the second half of the pages only, as the first run of a vCPU
	 * pays for more than its faults.
	 */
	guest_create(&g, CAL_SLOT);
	cal_setup = guest_set_ranges(&g, 1);
	cal_pre = guest_prefault(&g);
	vcpu_touch(&g.vcpu, TOUCH_START, CAL_MID);
	cal_run = vcpu_touch(&g.vcpu, CAL_MID, CAL_SLOT);
	guest_destroy(&g);
	cost = cal_pre / (CAL_SLOT / PAGE) +
	       cal_run / ((CAL_SLOT - CAL_MID) / PAGE);
	budget = REPS * cal_setup < FAULT_BUDGET ?
		 FAULT_BUDGET - REPS * cal_setup : 0;
	for (slot = MAX_SLOT; slot > MIN_SLOT; slot /= 2)
		if (2 * REPS * (slot / PAGE) * cost <= budget)
			break;
	pages = (slot - TOUCH_START) / PAGE;
	printf("calibration: %s slot: %llu ns/page faulted, %llu ns/page prefaulted, %d calls %llu ms\n",
	       size_str(CAL_SLOT),
	       (unsigned long long)(cal_run / ((CAL_SLOT - CAL_MID) / PAGE)),
	       (unsigned long long)(cal_pre / (CAL_SLOT / PAGE)),
	       NR_RANGES, (unsigned long long)(cal_setup / 1000000));
	printf("slot %s: %llu pages touched per run, %d runs per case, cases alternating\n",
	       size_str(slot), (unsigned long long)pages, REPS);

	for (rep = 0; rep < REPS; rep++) {
		for (c = 0; c < 2; c++) {
			uint64_t t;

			guest_create(&g, slot);
			t = guest_set_ranges(&g, c);
			if (c)
				setup[rep] = t;
			guest_prefault(&g);
			t = vcpu_touch(&g.vcpu, TOUCH_START, slot);
			guest_destroy(&g);
			ns_page[c][rep] = t / pages;
			printf("run %d %-10s: %llu ns/page (%llu ms)\n", rep + 1,
			       case_name[c],
			       (unsigned long long)ns_page[c][rep],
			       (unsigned long long)(t / 1000000));
		}
	}
	for (c = 0; c < 2; c++) {
		st[c] = stats_of(ns_page[c], REPS, 1);
		printf("fault %-10s: median %.0f ns/page  min %.0f ns/page  IQR %.0f-%.0f ns/page\n",
		       case_name[c], st[c].median, st[c].min, st[c].q1,
		       st[c].q3);
	}
	med_setup = median(setup, REPS);
	printf("setting up %d ranges: median %llu ms, %llu ns per call\n",
	       NR_RANGES, (unsigned long long)(med_setup / 1000000),
	       (unsigned long long)(med_setup / NR_RANGES));
	ratio = add_result("fault_10k_vs_1_range", &st[1], &st[0], 0, 2);
	printf("ratio 10k ranges / 1 range (medians): %.2f  expected close to 1: info\n",
	       ratio);
}

int main(void)
{
	uint64_t t0 = now_ns();

	bench_start("attrs_bench", attrs_metrics);
	require_sw_protected_vm();
	require_private_attrs();

	bench_set();
	bench_memory();
	bench_faults();
	print_targets();
	print_results();
	printf("total %.1f s\n", (now_ns() - t0) / (double)NSEC);
	return 0;
}