// SPDX-License-Identifier: GPL-2.0
/*
 * ram_bench: guest_memfd as all of an ordinary VM's RAM (a default VM whose
 * memory is a host-mappable guest_memfd, GUEST_MEMFD_FLAG_MMAP and
 * GUEST_MEMFD_FLAG_INIT_SHARED), against the anonymous memory it replaces.
 *
 *  1. Guest first-touch fault-in of a guest_memfd-only memslot against the
 *     same memslot backed by anonymous memory.
 *  2. KVM_PRE_FAULT_MEMORY of 1 GiB of a guest_memfd-only memslot, then the
 *     guest touching every page, against the guest touching it cold; and
 *     the pre-fault call's own cost.
 *  3. fallocate() of a guest_memfd range that has an mbind() policy (bind
 *     to the local node) against one that has none.
 *
 * Each figure is the median of several runs, printed with its spread (the
 * interquartile range, and the minimum and maximum), in the summary lines
 * too; runs of the two kinds alternate which goes first.  With arguments, only the parts they number
 * run (ram_bench 1 3).  Exits 0 on success, 4 (SKIP) if KVM lacks what a
 * part measures, 1 on any error.  The summary lines are bench.h's.
 */
#include "bench.h"
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/falloc.h>
#include <linux/mempolicy.h>

#define CODE_SIZE	(64 * KiB)
#define MAPPABLE	(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

/* Part 1: two memslots of FAULT_SIZE, one per kind. */
#define FAULT_GPA	GiB
#define FAULT_SIZE	(64 * MiB)
#define FAULT_REPS	7
#define FAULT_TARGET	1.0

/* Part 2: one memslot of 1 GiB. */
#define PF_GPA		(2 * GiB)
#define PF_SIZE		GiB
#define PF_REPS		3
#define PF_TARGET	5.0

/* Part 3: fallocate() of MPOL_SIZE, with and without a policy. */
#define MPOL_SIZE	(256 * MiB)
#define MPOL_REPS	7
#define MPOL_TARGET	1.1

/* The metrics of the summary (bench.h), each decided on the median. */
static const struct metric ram_metrics[] = {
	{ "fault_gmem_only_vs_anon", "pages/s", TARGET(">=", FAULT_TARGET),
	  STAT_MEDIAN },
	/* the cold guest's time over the pre-faulted one's */
	{ "prefault_guest_speedup", "ms", TARGET(">=", PF_TARGET),
	  STAT_MEDIAN, true },
	{ "prefault_call_1g", "ms", TARGET("~", 0), STAT_MEDIAN },
	{ "fallocate_mbind_vs_none", "ms", TARGET("<=", MPOL_TARGET),
	  STAT_MEDIAN },
	{ NULL }
};



static int create_default_vm(void)
{
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);

	if (vm < 0)
		die_errno("KVM_CREATE_VM(KVM_X86_DEFAULT_VM)");
	return vm;
}

static int gmem_create(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd args = { .size = size, .flags = flags };
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		die_errno("KVM_CREATE_GUEST_MEMFD(%s, flags %#llx)",
			  size_str(size), (unsigned long long)flags);
	return fd;
}

static void gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len)
{
	int r;

	do
		r = fallocate(fd, mode, offset, len);
	while (r < 0 && errno == EINTR);
	if (r)
		die_errno("fallocate(mode %#x, %s at %s)", mode, size_str(len),
			  size_str(offset));
}

static void punch(int fd, uint64_t offset, uint64_t len)
{
	gmem_fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset,
		       len);
}

static void set_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size,
		     void *hva, int gmem_fd)
{
	set_region(vm, slot, gpa, size, hva, gmem_fd, 0);
}

static void *map(uint64_t size, int fd)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED,
		       fd, 0);

	if (p == MAP_FAILED)
		die_errno("mmap(%s)", size_str(size));
	return p;
}

struct guest {
	int vm;
	struct vcpu vcpu;
	uint8_t *code;
};

static void guest_create(struct guest *g)
{
	g->vm = create_default_vm();
	g->code = map(CODE_SIZE, -1);
	memcpy(g->code + CODE_GPA, guest_code, sizeof(guest_code));
	set_slot(g->vm, 0, 0, CODE_SIZE, g->code, -1);
	vcpu_create(&g->vcpu, g->vm);
}

static void guest_destroy(struct guest *g)
{
	vcpu_destroy(&g->vcpu);
	close(g->vm);
	munmap(g->code, CODE_SIZE);
}

static void require_cap(long cap, long want, const char *name)
{
	long r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0)
		die_errno("KVM_CHECK_EXTENSION(%s)", name);
	if ((r & want) != want)
		skip("/dev/kvm: %s is %#lx, without %#lx", name, r, want);
}

static const char *const fault_kind[2] = { "guest_memfd-only", "anonymous" };

/* 1. First touch of a guest_memfd-only memslot against an anonymous one. */
static void bench_fault(void)
{
	uint64_t pages = FAULT_SIZE / PAGE, t[2][FAULT_REPS];
	uint64_t start[2] = { FAULT_GPA, FAULT_GPA + 2 * FAULT_SIZE };
	struct stats rate[2];
	double ratio;
	struct guest g;
	uint8_t *anon;
	int rep, i, k, fd;

	printf("== 1. guest first-touch fault-in: guest_memfd-only memslot vs anonymous memslot, %s each, default VM\n",
	       size_str(FAULT_SIZE));
	guest_create(&g);
	fd = gmem_create(g.vm, FAULT_SIZE, MAPPABLE);
	anon = map(FAULT_SIZE, -1);
	/* userspace_addr 0: the guest_memfd-only memslot has no host mapping. */
	set_slot(g.vm, 1, start[0], FAULT_SIZE, NULL, fd);
	set_slot(g.vm, 2, start[1], FAULT_SIZE, anon, -1);
	printf("the guest writes one word per 4KiB page: %llu pages per run, given back untimed after each run (punch-hole / MADV_DONTNEED); %d runs per kind after a warm-up round\n",
	       (unsigned long long)pages, FAULT_REPS);

	for (rep = -1; rep < FAULT_REPS; rep++) {
		for (i = 0; i < 2; i++) {
			uint64_t ns;

			k = rep < 0 ? i : i ^ (rep & 1);
			ns = vcpu_touch(&g.vcpu, start[k], start[k] + FAULT_SIZE);
			if (k == 0)
				punch(fd, 0, FAULT_SIZE);
			else if (madvise(anon, FAULT_SIZE, MADV_DONTNEED))
				die_errno("madvise(MADV_DONTNEED)");
			if (rep >= 0)
				t[k][rep] = ns;
		}
	}
	close(fd);
	munmap(anon, FAULT_SIZE);
	guest_destroy(&g);

	for (k = 0; k < 2; k++) {
		char what[64];

		snprintf(what, sizeof(what), "%s (ns/page):", fault_kind[k]);
		for (rep = 0; rep < FAULT_REPS; rep++)
			t[k][rep] /= pages;
		/* each run's pages per second */
		rate[k] = stats_recip(spread(what, t[k], FAULT_REPS, 1,
					     "ns/page"), NSEC);
	}
	ratio = add_result("fault_gmem_only_vs_anon", &rate[0], &rate[1], 0, 2);
	printf("ratio guest_memfd-only / anonymous (pages/s, medians): %.2f  target >= %.1f: %s\n",
	       ratio, FAULT_TARGET, verdict(ratio >= FAULT_TARGET));
}

/* Pre-faults [gpa, gpa + size) whole; returns the ns it took. */
static uint64_t pre_fault(struct vcpu *v, uint64_t gpa, uint64_t size)
{
	struct kvm_pre_fault_memory r = { .gpa = gpa, .size = size };
	uint64_t t0 = now_ns();

	while (r.size)
		if (ioctl(v->fd, KVM_PRE_FAULT_MEMORY, &r) && errno != EINTR)
			die_errno("KVM_PRE_FAULT_MEMORY([%#llx, +%#llx))",
				  (unsigned long long)r.gpa,
				  (unsigned long long)r.size);
	return now_ns() - t0;
}

/* 2. The guest's time on 1 GiB, pre-faulted or cold. */
static void bench_prefault(void)
{
	uint64_t cold[PF_REPS], warm[PF_REPS], call[PF_REPS];
	struct stats ms[3];
	struct guest g;
	double ratio;
	int rep, i, fd;

	require_cap(KVM_CAP_PRE_FAULT_MEMORY, 1, "KVM_CAP_PRE_FAULT_MEMORY");
	printf("== 2. KVM_PRE_FAULT_MEMORY: the guest touching every page of %s of a guest_memfd-only memslot, pre-faulted first or cold\n",
	       size_str(PF_SIZE));
	guest_create(&g);
	fd = gmem_create(g.vm, PF_SIZE, MAPPABLE);
	set_slot(g.vm, 1, PF_GPA, PF_SIZE, NULL, fd);
	printf("each run starts from an empty file (punch-hole, untimed), so both kinds allocate every page: the pre-fault call in the one, the guest's faults in the other; %d runs per kind\n",
	       PF_REPS);

	for (rep = 0; rep < PF_REPS; rep++) {
		for (i = 0; i < 2; i++) {
			bool warm_run = i ^ (rep & 1);

			if (warm_run) {
				call[rep] = pre_fault(&g.vcpu, PF_GPA, PF_SIZE);
				warm[rep] = vcpu_touch(&g.vcpu, PF_GPA,
						       PF_GPA + PF_SIZE);
			} else {
				cold[rep] = vcpu_touch(&g.vcpu, PF_GPA,
						       PF_GPA + PF_SIZE);
			}
			punch(fd, 0, PF_SIZE);
		}
	}
	close(fd);
	guest_destroy(&g);

	ms[0] = spread("guest, cold (ms):", cold, PF_REPS, 1e6, "ms");
	ms[1] = spread("guest, pre-faulted (ms):", warm, PF_REPS, 1e6, "ms");
	ms[2] = spread("KVM_PRE_FAULT_MEMORY (ms):", call, PF_REPS, 1e6, "ms");
	printf("context: pre-fault call + pre-faulted guest against the cold guest: %.2f\n",
	       (ms[1].median + ms[2].median) / ms[0].median);
	ratio = add_result("prefault_guest_speedup", &ms[1], &ms[0], 1, 1);
	printf("ratio cold / pre-faulted (guest time, medians): %.1f  target >= %.1f: %s\n",
	       ratio, PF_TARGET, verdict(ratio >= PF_TARGET));
	add_result("prefault_call_1g", &ms[2], NULL, 1, 0);
}

/* The node this thread runs on. */
static int local_node(void)
{
	unsigned int cpu, node;

	if (syscall(SYS_getcpu, &cpu, &node, NULL))
		die_errno("getcpu");
	return node;
}

/* 3. fallocate() under an mbind() policy against fallocate() without one. */
static void bench_mbind(void)
{
	uint64_t t[2][MPOL_REPS], t0;
	struct stats ms[2];
	unsigned long mask;
	int vm, fd[2], rep, i, k, node;
	double ratio;
	void *p;

	printf("== 3. fallocate() of %s: a range with an mbind() policy (MPOL_BIND to the local node) vs a range without one\n",
	       size_str(MPOL_SIZE));
	node = local_node();
	mask = 1ul << node;
	vm = create_default_vm();
	for (k = 0; k < 2; k++)
		fd[k] = gmem_create(vm, MPOL_SIZE, MAPPABLE);
	p = map(MPOL_SIZE, fd[0]);
	if (syscall(SYS_mbind, p, MPOL_SIZE, MPOL_BIND, &mask, 64, 0))
		die_errno("mbind(MPOL_BIND, node %d)", node);
	munmap(p, MPOL_SIZE);
	printf("the policy stays with the file after munmap(); node %d; each run punches its file empty afterwards (untimed); %d runs per kind\n",
	       node, MPOL_REPS);

	for (rep = -1; rep < MPOL_REPS; rep++) {
		for (i = 0; i < 2; i++) {
			k = rep < 0 ? i : i ^ (rep & 1);
			t0 = now_ns();
			gmem_fallocate(fd[k], FALLOC_FL_KEEP_SIZE, 0, MPOL_SIZE);
			if (rep >= 0)
				t[k][rep] = now_ns() - t0;
			punch(fd[k], 0, MPOL_SIZE);
		}
	}
	for (k = 0; k < 2; k++)
		close(fd[k]);
	close(vm);

	ms[0] = spread("with a policy (ms):", t[0], MPOL_REPS, 1e6, "ms");
	ms[1] = spread("without (ms):", t[1], MPOL_REPS, 1e6, "ms");
	ratio = add_result("fallocate_mbind_vs_none", &ms[0], &ms[1], 1, 3);
	printf("ratio with / without (time, medians): %.3f  target <= %.1f: %s\n",
	       ratio, MPOL_TARGET, verdict(ratio <= MPOL_TARGET));
}

int main(int argc, char *argv[])
{
	static void (*const parts[])(void) = {
		bench_fault, bench_prefault, bench_mbind,
	};
	const int nr_parts = sizeof(parts) / sizeof(parts[0]);
	uint64_t t0 = now_ns();
	bool run[8] = { false };

	parse_parts(argc, argv, nr_parts, run);

	bench_start("ram_bench", ram_metrics);
	require_sw_protected_vm();
	require_cap(KVM_CAP_GUEST_MEMFD_FLAGS, MAPPABLE,
		    "KVM_CAP_GUEST_MEMFD_FLAGS");

	return run_parts(parts, run, nr_parts, t0);
}
