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
 * an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES		235
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM		1
#endif
#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};
#define KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#endif
#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT		39
#endif

#define PRIVATE		KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define TiB		(1ULL << 40)
#define PAGE		(4 * KiB)
#define NSEC		1000000000ULL

/* Part 1: one range, far from anything, set and cleared. */
#define SET_BASE	TiB
#define SET_ITERS	200
#define SET_TARGET	4.0

/* Part 2: N VMs, each [0, 64 GiB) private. */
#define MEM_VMS		64
#define MEM_SIZE	(64 * GiB)
#define MEM_TARGET	65536

/* Part 3: a guest writing one word per page of its memslot. */
#define CODE_GPA	0x1000ULL
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

static int kvm_fd;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	printf("error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/* Like die(), for a failed call: adds errno as it was on entry. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	printf("error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" failed: errno %d (%s)\n", e, strerror(e));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v, so that v[0] is the minimum afterwards. */
static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *size_str(uint64_t bytes)
{
	static char buf[4][32];
	static int i;
	char *s = buf[i++ % 4];

	if (bytes >= GiB && !(bytes % GiB))
		snprintf(s, sizeof(buf[0]), "%lluGiB",
			 (unsigned long long)(bytes / GiB));
	else if (bytes >= MiB && !(bytes % MiB))
		snprintf(s, sizeof(buf[0]), "%lluMiB",
			 (unsigned long long)(bytes / MiB));
	else
		snprintf(s, sizeof(buf[0]), "%lluKiB",
			 (unsigned long long)(bytes / KiB));
	return s;
}

static int create_vm(void)
{
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);

	if (vm < 0)
		die_errno("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)");
	return vm;
}

static void set_attrs(int vm, uint64_t gpa, uint64_t size, uint64_t attrs)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = size,
		.attributes = attrs,
	};
	int r;

	/* EINTR leaves a retryable state (abi.md); just try again. */
	do
		r = ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die_errno("KVM_SET_MEMORY_ATTRIBUTES([%#llx, +%#llx), %#llx)",
			  (unsigned long long)gpa, (unsigned long long)size,
			  (unsigned long long)attrs);
}

/* 1. Cost of one call, by range size, with no memslot to zap. */
static void bench_set(void)
{
	static const uint64_t sizes[] = { 2 * MiB, GiB, 64 * GiB };
	uint64_t t[SET_ITERS], med[3], t0;
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
		med[s] = median(t, SET_ITERS);
		printf("set PRIVATE %-6s median %8llu ns  min %8llu ns\n",
		       size_str(sizes[s]), (unsigned long long)med[s],
		       (unsigned long long)t[0]);
	}
	close(vm);
	ratio = (double)med[2] / (double)med[0];
	printf("ratio 64GiB / 2MiB (medians): %.2f  target <= %.0f: %s\n",
	       ratio, SET_TARGET, ratio <= SET_TARGET ? "met" : "NOT MET");
}

/*
 * /proc files are read with plain read() into a static buffer: stdio
 * would malloc, and a heap that grows changes this process's VMA tree,
 * whose nodes come from the maple_node cache that part 2 counts.
 */
static char procbuf[512 * KiB];

static int read_proc(const char *path)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < sizeof(procbuf) - 1) {
		n = read(fd, procbuf + len, sizeof(procbuf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	procbuf[len] = '\0';
	close(fd);
	return n < 0 ? -1 : 0;
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
	printf("bytes per VM: %lld  target <= %d: %s\n", per_vm, MEM_TARGET,
	       per_vm <= MEM_TARGET ? "met" : "NOT MET");
	printf("context, /proc/meminfo deltas over all %d VMs: MemFree %+lld kB, Slab %+lld kB, SUnreclaim %+lld kB\n",
	       MEM_VMS, m1.memfree - m0.memfree, m1.slab - m0.slab,
	       m1.sunreclaim - m0.sunreclaim);
	for (i = 0; i < MEM_VMS; i++)
		close(vms[i]);
}

/*
 * 3. The guest: 32-bit protected mode, paging off, running from CODE_GPA
 *	1:	mov	[ebx], eax
 *		add	ebx, 0x1000
 *		cmp	ebx, ecx
 *		jb	1b
 *		hlt
 */
static const uint8_t guest_code[] = {
	0x89, 0x03,
	0x81, 0xc3, 0x00, 0x10, 0x00, 0x00,
	0x39, 0xcb,
	0x72, 0xf4,
	0xf4,
};

struct guest {
	int vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
};

static void flat_segment(struct kvm_segment *seg, int selector, int type)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->selector = selector;
	seg->type = type;
	seg->present = 1;
	seg->s = 1;
	seg->db = 1;
	seg->g = 1;
}

static void guest_create(struct guest *g, uint64_t mem_size)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	int size;

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

	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	if (g->vcpu < 0)
		die_errno("KVM_CREATE_VCPU");
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		die_errno("KVM_GET_VCPU_MMAP_SIZE (got %d)", size);
	g->run_size = size;
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		die_errno("mmap(vCPU kvm_run)");

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		die_errno("KVM_GET_SREGS");
	flat_segment(&sregs.cs, 8, 11);
	flat_segment(&sregs.ds, 16, 3);
	sregs.es = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.cr0 = 1;		/* PE, and paging off: GVA == GPA */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		die_errno("KVM_SET_SREGS");
}

static void guest_destroy(struct guest *g)
{
	munmap(g->run, g->run_size);
	close(g->vcpu);
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

/* Touch [start, end) from the guest; returns the ns KVM_RUN took. */
static uint64_t guest_run(struct guest *g, uint64_t start, uint64_t end)
{
	struct kvm_regs regs = {
		.rip = CODE_GPA,
		.rflags = 2,
		.rax = 0x5a5a5a5a,
		.rbx = start,
		.rcx = end,
	};
	const __u64 *fault = (const __u64 *)&g->run->hw;
	uint64_t t0, t;
	int r, e;

	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		die_errno("KVM_SET_REGS");
	t0 = now_ns();
	do
		r = ioctl(g->vcpu, KVM_RUN, 0);
	while (r < 0 && errno == EINTR);
	t = now_ns() - t0;
	if (r < 0) {
		e = errno;
		/* memory_fault is { flags, gpa, size } at the union's start */
		if (g->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
			printf("KVM_EXIT_MEMORY_FAULT: flags %#llx gpa %#llx size %#llx\n",
			       (unsigned long long)fault[0],
			       (unsigned long long)fault[1],
			       (unsigned long long)fault[2]);
		errno = e;
		die_errno("KVM_RUN");
	}
	if (g->run->exit_reason != KVM_EXIT_HLT)
		die("KVM_RUN: exit reason %u (data %#llx), expected KVM_EXIT_HLT (%d)",
		    g->run->exit_reason, (unsigned long long)fault[0],
		    KVM_EXIT_HLT);
	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		die_errno("KVM_GET_REGS");
	if (regs.rbx != end)
		die("the guest halted with ebx %#llx, expected %#llx",
		    (unsigned long long)regs.rbx, (unsigned long long)end);
	return t;
}

static const char *const case_name[2] = { "1 range", "10k ranges" };

/* 3. Fault cost with 1 and with NR_RANGES attribute ranges. */
static void bench_faults(void)
{
	uint64_t ns_page[2][REPS], setup[REPS], med[2], med_setup, slot, pages;
	uint64_t cal_setup, cal_pre, cal_run, cost, budget;
	struct guest g;
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
	guest_run(&g, TOUCH_START, CAL_MID);
	cal_run = guest_run(&g, CAL_MID, CAL_SLOT);
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
			t = guest_run(&g, TOUCH_START, slot);
			guest_destroy(&g);
			ns_page[c][rep] = t / pages;
			printf("run %d %-10s: %llu ns/page (%llu ms)\n", rep + 1,
			       case_name[c],
			       (unsigned long long)ns_page[c][rep],
			       (unsigned long long)(t / 1000000));
		}
	}
	for (c = 0; c < 2; c++) {
		med[c] = median(ns_page[c], REPS);
		printf("fault %-10s: median %llu ns/page  min %llu ns/page\n",
		       case_name[c], (unsigned long long)med[c],
		       (unsigned long long)ns_page[c][0]);
	}
	med_setup = median(setup, REPS);
	printf("setting up %d ranges: median %llu ms, %llu ns per call\n",
	       NR_RANGES, (unsigned long long)(med_setup / 1000000),
	       (unsigned long long)(med_setup / NR_RANGES));
	printf("ratio 10k ranges / 1 range (medians): %.2f  expected close to 1\n",
	       (double)med[1] / (double)med[0]);
}

int main(void)
{
	uint64_t t0 = now_ns();
	struct utsname u;
	int types, attrs;

	/* Errors and results in order, whatever stdout is. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	printf("attrs_bench on %s %s\n", u.release, u.version);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die_errno("open(/dev/kvm)");
	types = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	if (types < 0)
		die_errno("KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES)");
	if (!(types & (1 << KVM_X86_SW_PROTECTED_VM))) {
		printf("SKIP: /dev/kvm lacks KVM_X86_SW_PROTECTED_VM (KVM_CAP_VM_TYPES = %#x)\n",
		       types);
		return 4;
	}
	attrs = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES);
	if (attrs < 0)
		die_errno("KVM_CHECK_EXTENSION(KVM_CAP_MEMORY_ATTRIBUTES)");
	if (!(attrs & PRIVATE))
		die("KVM_CAP_MEMORY_ATTRIBUTES is %#x, without KVM_MEMORY_ATTRIBUTE_PRIVATE",
		    attrs);

	bench_set();
	bench_memory();
	bench_faults();
	printf("total %.1f s\n", (now_ns() - t0) / (double)NSEC);
	return 0;
}
