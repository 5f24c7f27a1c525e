// SPDX-License-Identifier: GPL-2.0
/*
 * base_bench: what the series costs a VM that does not use guest_memfd.
 * Only Linux 6.1's own KVM uAPI (KVM_CREATE_VM of type 0,
 * KVM_SET_USER_MEMORY_REGION, anonymous memory), so that the same binary
 * runs on the unpatched base kernel.
 *
 *  1. The guest's first touch of fresh anonymous memory: ns per 4 KiB page.
 *  2. KVM_SET_USER_MEMORY_REGION: creating 512 memslots, then deleting
 *     them, in a VM whose vCPU has run: us per call, the mean of a batch.
 *  3. MMU notifier invalidations: MADV_DONTNEED of 2 MiB of guest memory
 *     that the guest has mapped, while a vCPU thread runs the guest over
 *     that memory in a loop (us per call), and the guest's progress
 *     meanwhile (ns per page it touches, the discarded pages refaulted).
 *
 * No figure has an in-run reference: the reference of each is this
 * program's run on the base kernel, in another boot, which
 * scripts/report/bench-report.py --base joins by metric name (target "base<=X":
 * the patched kernel's figure at most X times the base kernel's).  Each is
 * the median of its repetitions, printed with its spread.
 *
 * With arguments, only the parts they number run (base_bench 1 3).  Exits 0
 * on success, 4 (SKIP) if KVM lacks what a part needs, 1 on any error.
 */
#include "bench.h"
#include <pthread.h>
#include <stdatomic.h>

/*
 * Every guest: slot 0 at GPA 0 holds the code (bench.h's guest_code), its
 * last page is where a new vCPU's first, untimed run writes; the memory
 * under test is at TEST_GPA (below 4 GiB for the 32-bit guest).
 */
#define CODE_SIZE	(64 * KiB)
#define SCRATCH_GPA	(CODE_SIZE - PAGE)
#define TEST_SLOT	1
#define TEST_GPA	GiB

/* Every metric: at most 5% above the base kernel's figure. */
#define BASE_TARGET	1.05

/* Part 1: one memslot of FAULT_SIZE, faulted in afresh by every run. */
#define FAULT_SIZE	(32 * MiB)
#define FAULT_REPS	15

/* Part 2: NR_SLOTS memslots of SLOT_SIZE from TEST_SLOT and TEST_GPA on. */
#define NR_SLOTS	512
#define SLOT_SIZE	(2 * MiB)
#define SLOT_ROUNDS	21

/*
 * Part 3: the guest loops over NOTIFY_SIZE; each call discards the next
 * NOTIFY_CHUNK of it, once the guest has mapped all of it again.
 */
#define NOTIFY_SIZE	(8 * MiB)
#define NOTIFY_CHUNK	(2 * MiB)
#define NOTIFY_ROUNDS	10
#define NOTIFY_CALLS	16
/* How often the main thread looks at the guest's progress. */
#define NOTIFY_POLL_US	200

/* The metrics of the summary (bench.h), each decided on the median. */
static const struct metric base_metrics[] = {
	{ "shared_fault_anon", "ns/page", TARGET("base<=", BASE_TARGET),
	  STAT_MEDIAN },
	{ "memslot_create_512", "us", TARGET("base<=", BASE_TARGET),
	  STAT_MEDIAN },
	{ "memslot_delete_512", "us", TARGET("base<=", BASE_TARGET),
	  STAT_MEDIAN },
	{ "notifier_dontneed_2m", "us", TARGET("base<=", BASE_TARGET),
	  STAT_MEDIAN },
	{ "notifier_guest_progress", "ns/page", TARGET("base<=", BASE_TARGET),
	  STAT_MEDIAN },
	{ NULL }
};

/* A memslot through the old ioctl; @size 0 deletes it. */
static void set_user_region(int vm, uint32_t slot, uint64_t gpa,
			    uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die_errno("KVM_SET_USER_MEMORY_REGION(slot %u, [%#llx, +%s))",
			  slot, (unsigned long long)gpa,
			  size ? size_str(size) : "0");
}

/* Anonymous memory that faults in 4 KiB pages, whatever THP's mode. */
static uint8_t *anon_map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap(%s anonymous)", size_str(size));
	/* Fails harmlessly on a kernel without THP. */
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

static void discard(void *p, uint64_t size)
{
	if (madvise(p, size, MADV_DONTNEED))
		die_errno("madvise(%s, MADV_DONTNEED)", size_str(size));
}

/* A default VM, its code in slot 0, with a vCPU that has run once. */
struct guest {
	int vm;
	struct vcpu vcpu;
	uint8_t *code;
};

static void guest_create(struct guest *g)
{
	g->vm = ioctl(kvm_fd, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	if (g->vm < 0)
		die_errno("KVM_CREATE_VM(0)");
	g->code = anon_map(CODE_SIZE);
	memcpy(g->code + CODE_GPA, guest_code, sizeof(guest_code));
	set_user_region(g->vm, 0, 0, CODE_SIZE, g->code);
	vcpu_create(&g->vcpu, g->vm);
	/* A vCPU's first KVM_RUN costs more than its faults: untimed. */
	vcpu_touch(&g->vcpu, SCRATCH_GPA, SCRATCH_GPA + PAGE);
}

static void guest_destroy(struct guest *g)
{
	vcpu_destroy(&g->vcpu);
	close(g->vm);
	munmap(g->code, CODE_SIZE);
}

/* The line a program prints beside each figure: its verdict is the report's. */
static void print_figure(const char *what, const struct stats *s,
			 const char *unit)
{
	printf("%s: median %.1f %s (min %.1f, IQR %.1f-%.1f, %d runs); target base<=%.2f: info until compared with the base kernel's run\n",
	       what, s->median, unit, s->min, s->q1, s->q3, s->n, BASE_TARGET);
}

/* 1. The guest's first touch of fresh anonymous memory. */
static void bench_fault(void)
{
	uint64_t pages = FAULT_SIZE / PAGE, t[FAULT_REPS], ns;
	struct guest g;
	struct stats st;
	uint8_t *mem;
	int rep;

	printf("== 1. guest first touch of %s of fresh anonymous memory, default VM\n",
	       size_str(FAULT_SIZE));
	printf("slot %d: [%#llx, +%s), anonymous, MADV_NOHUGEPAGE (4KiB faults); the guest writes one word per page: %llu pages per run, given back untimed after each (MADV_DONTNEED); %d runs after a warm-up run\n",
	       TEST_SLOT, (unsigned long long)TEST_GPA, size_str(FAULT_SIZE),
	       (unsigned long long)pages, FAULT_REPS);
	guest_create(&g);
	mem = anon_map(FAULT_SIZE);
	set_user_region(g.vm, TEST_SLOT, TEST_GPA, FAULT_SIZE, mem);
	for (rep = -1; rep < FAULT_REPS; rep++) {
		ns = vcpu_touch(&g.vcpu, TEST_GPA, TEST_GPA + FAULT_SIZE);
		discard(mem, FAULT_SIZE);
		if (rep < 0) {
			printf("warm-up: %llu ns/page\n",
			       (unsigned long long)(ns / pages));
			continue;
		}
		t[rep] = ns / pages;
		printf("run %d: %llu ns/page (%llu ms)\n", rep + 1,
		       (unsigned long long)t[rep],
		       (unsigned long long)(ns / 1000000));
	}
	guest_destroy(&g);
	munmap(mem, FAULT_SIZE);

	st = stats_of(t, FAULT_REPS, 1);
	print_figure("shared fault-in", &st, "ns/page");
	add_result("shared_fault_anon", &st, NULL, 0, 0);
}

/* 2. Creating and deleting NR_SLOTS memslots, in batches. */
static void bench_memslots(void)
{
	uint64_t create[SLOT_ROUNDS], delete[SLOT_ROUNDS], t0, t1, t2;
	int nr = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	struct stats st[2];
	struct guest g;
	uint8_t *mem;
	int rep, i;

	if (nr < TEST_SLOT + NR_SLOTS)
		skip("KVM_CAP_NR_MEMSLOTS is %d, fewer than the %d memslots part 2 needs",
		     nr, TEST_SLOT + NR_SLOTS);
	printf("== 2. KVM_SET_USER_MEMORY_REGION: %d memslots created, then deleted, in a default VM whose vCPU has run\n",
	       NR_SLOTS);
	printf("slots %d-%d: %s each of anonymous memory (never touched) from GPA %#llx; a figure: the time of a batch of %d calls / %d; %d rounds after a warm-up round\n",
	       TEST_SLOT, TEST_SLOT + NR_SLOTS - 1, size_str(SLOT_SIZE),
	       (unsigned long long)TEST_GPA, NR_SLOTS, NR_SLOTS, SLOT_ROUNDS);
	guest_create(&g);
	mem = anon_map((uint64_t)NR_SLOTS * SLOT_SIZE);
	for (rep = -1; rep < SLOT_ROUNDS; rep++) {
		t0 = now_ns();
		for (i = 0; i < NR_SLOTS; i++)
			set_user_region(g.vm, TEST_SLOT + i,
					TEST_GPA + i * SLOT_SIZE, SLOT_SIZE,
					mem + i * SLOT_SIZE);
		t1 = now_ns();
		for (i = 0; i < NR_SLOTS; i++)
			set_user_region(g.vm, TEST_SLOT + i,
					TEST_GPA + i * SLOT_SIZE, 0, NULL);
		t2 = now_ns();
		if (rep < 0)
			continue;
		create[rep] = (t1 - t0) / NR_SLOTS;
		delete[rep] = (t2 - t1) / NR_SLOTS;
	}
	guest_destroy(&g);
	munmap(mem, (uint64_t)NR_SLOTS * SLOT_SIZE);

	st[0] = stats_of(create, SLOT_ROUNDS, 1e3);
	st[1] = stats_of(delete, SLOT_ROUNDS, 1e3);
	print_figure("create, per call", &st[0], "us");
	print_figure("delete, per call", &st[1], "us");
	add_result("memslot_create_512", &st[0], NULL, 1, 0);
	add_result("memslot_delete_512", &st[1], NULL, 1, 0);
}

/* Part 3's vCPU thread: passes over the memory until told to stop. */
struct notify_run {
	struct vcpu *vcpu;
	atomic_bool stop;
	atomic_ulong passes;
};

static void *notify_vcpu_thread(void *arg)
{
	struct notify_run *r = arg;

	while (!atomic_load(&r->stop)) {
		vcpu_touch(r->vcpu, TEST_GPA, TEST_GPA + NOTIFY_SIZE);
		atomic_fetch_add(&r->passes, 1);
	}
	return NULL;
}

/*
 * Waits until the guest has finished @n passes, of which the last began
 * after anything done before the call; returns that count.
 */
static unsigned long notify_wait(struct notify_run *r, unsigned long n)
{
	unsigned long p;

	while ((p = atomic_load(&r->passes)) < n)
		usleep(NOTIFY_POLL_US);
	return p;
}

/*
 * 3. MADV_DONTNEED of guest memory that the guest has mapped, while the
 * guest runs over it.  Each call fires KVM's MMU notifier, which zaps the
 * range and makes the guest's faults on it retry while it runs; the guest
 * faults the chunk in again before the next call, so that every call
 * discards a chunk that is all mapped.
 */
static void bench_notifier(void)
{
	static uint64_t calls[NOTIFY_ROUNDS * NOTIFY_CALLS];
	uint64_t progress[NOTIFY_ROUNDS], pages_per_pass = NOTIFY_SIZE / PAGE;
	unsigned long p0, last;
	struct notify_run r = { 0 };
	uint64_t t0, t;
	struct stats st[2];
	struct guest g;
	pthread_t vcpu;
	int rep, i, n = 0, e;
	uint8_t *mem, *chunk;

	printf("== 3. MMU notifier invalidations: MADV_DONTNEED of %s of guest memory while a vCPU runs over it\n",
	       size_str(NOTIFY_CHUNK));
	printf("slot %d: [%#llx, +%s), anonymous, MADV_NOHUGEPAGE; a vCPU thread runs the guest over all of it in a loop (one KVM_RUN a pass)\n",
	       TEST_SLOT, (unsigned long long)TEST_GPA, size_str(NOTIFY_SIZE));
	printf("each call (timed): MADV_DONTNEED of the next %s, once the guest has made a whole pass since the call before (all of it mapped again); %d rounds of %d calls\n",
	       size_str(NOTIFY_CHUNK), NOTIFY_ROUNDS, NOTIFY_CALLS);
	printf("the guest's progress in a round: its time / the pages its passes touched (the calls, and the faults that map each chunk again, slow it)\n");
	guest_create(&g);
	mem = anon_map(NOTIFY_SIZE);
	set_user_region(g.vm, TEST_SLOT, TEST_GPA, NOTIFY_SIZE, mem);
	r.vcpu = &g.vcpu;
	e = pthread_create(&vcpu, NULL, notify_vcpu_thread, &r);
	if (e) {
		errno = e;
		die_errno("pthread_create");
	}
	/* The first pass maps it all (and pays a new thread's first KVM_RUN). */
	last = notify_wait(&r, 1);

	for (rep = 0; rep < NOTIFY_ROUNDS; rep++) {
		p0 = last;
		t0 = now_ns();
		for (i = 0; i < NOTIFY_CALLS; i++) {
			chunk = mem + (n % (NOTIFY_SIZE / NOTIFY_CHUNK)) *
				      NOTIFY_CHUNK;
			last = notify_wait(&r, last + 2);
			t = now_ns();
			discard(chunk, NOTIFY_CHUNK);
			calls[n++] = now_ns() - t;
			last = atomic_load(&r.passes);
		}
		last = notify_wait(&r, last + 2);
		t = now_ns() - t0;
		progress[rep] = t / ((last - p0) * pages_per_pass);
		printf("round %d: %d calls, median %.1f us; the guest: %lu passes in %.0f ms, %llu ns/page\n",
		       rep + 1, NOTIFY_CALLS,
		       stats_of(calls + n - NOTIFY_CALLS, NOTIFY_CALLS, 1e3).median,
		       last - p0, t / 1e6, (unsigned long long)progress[rep]);
	}
	atomic_store(&r.stop, true);
	pthread_join(vcpu, NULL);
	guest_destroy(&g);
	munmap(mem, NOTIFY_SIZE);

	st[0] = stats_of(calls, n, 1e3);
	st[1] = stats_of(progress, NOTIFY_ROUNDS, 1);
	print_figure("MADV_DONTNEED of 2MiB, all calls", &st[0], "us");
	print_figure("the guest's progress", &st[1], "ns/page");
	add_result("notifier_dontneed_2m", &st[0], NULL, 1, 0);
	add_result("notifier_guest_progress", &st[1], NULL, 0, 0);
}

/* Runs every part, or those whose numbers are given (base_bench 1 3). */
int main(int argc, char *argv[])
{
	static void (*const parts[])(void) = {
		bench_fault, bench_memslots, bench_notifier,
	};
	const int nr_parts = sizeof(parts) / sizeof(parts[0]);
	uint64_t t0 = now_ns();
	bool run[8] = { false };
	int i;

	parse_parts(argc, argv, nr_parts, run);

	bench_start("base_bench", base_metrics);
	for (i = 0; i < nr_parts; i++)
		if (run[i])
			parts[i]();
	print_results();
	printf("total %.1f s\n", (now_ns() - t0) / (double)NSEC);
	return 0;
}
