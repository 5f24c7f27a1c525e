// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_bench: measure guest_memfd (KVM_CREATE_GUEST_MEMFD) against the
 * anonymous memory it replaces, on a KVM_X86_SW_PROTECTED_VM.
 *
 *  1. Fault-in throughput of fresh private pages (guest_memfd) against
 *     fresh shared pages (anonymous userspace_addr) of the same memslot.
 *  2. The cost of punching one page, and of converting one page between
 *     private and shared, with the file bound through 1 and 512 memslots;
 *     and of punching one mapped page and allocating it again, within
 *     those rounds and back to back.
 *  3. fallocate of 512 MiB of guest_memfd against memset of 512 MiB of
 *     fresh anonymous memory; the guest_memfd private-only (2 MiB folios)
 *     and host-mappable (4 KiB folios).
 *  4. Punching a hole over all of 512 MiB gives every page back (MemFree,
 *     with the free pages on per-CPU lists).
 *  5. The host footprint of a guest converted all private and back, with
 *     the VMM discarding the side it no longer uses.
 *  6. The latency of private faults while other threads fallocate() and
 *     punch holes in other ranges of the same guest_memfd.
 *
 * With arguments, only the parts they number run (gmem_bench 2 3).
 * Only raw ioctls on /dev/kvm, and fallocate/madvise/mincore on the memory.
 * Exits 0 on success, 4 (SKIP) if KVM lacks KVM_X86_SW_PROTECTED_VM or
 * KVM_CAP_GUEST_MEMFD, 1 on any error.  The numbers that older headers lack
 * are upstream's (shared/abi.md).  Missing a target is reported, not an
 * error.  The last lines sum up each metric, with the spread of its
 * repetitions, or say why it was not measured (bench.h's summary lines).
 */
#include "bench.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/falloc.h>

/*
 * Every guest: slot 0 at GPA 0 holds the code; the memory under test is at
 * TEST_GPA, below 4 GiB for the 32-bit guest, in slots from TEST_SLOT on.
 */
#define CODE_SIZE	(64 * KiB)
#define TEST_GPA	GiB
#define TEST_SLOT	1

/* Part 1: a memslot of 2 * FAULT_SIZE, its first half private. */
#define FAULT_SIZE	(16 * MiB)
#define FAULT_REPS	7
#define FAULT_TARGET	1.0

/* Part 2: NR_PARTS parts of PART_SIZE; the page sits in part 255. */
#define NR_PARTS	512
#define PART_SIZE	(2 * MiB)
#define ONE_OFFSET	(255 * PART_SIZE + 7 * PAGE)
#define ONE_ITERS	101
#define ONE_TARGET	1.2
/*
 * Punch one mapped page and allocate it again: upstream 6.12 took 13.6 us on
 * a production kernel under QEMU TCG (a figure to compare with, measured on
 * another run of this kind of machine, not a target).
 */
#define REALLOC_UPSTREAM 13.6
/*
 * The same back to back: pre-fault the page (KVM_PRE_FAULT_MEMORY), punch
 * and allocate it again, nothing else between rounds.
 */
#define HOT_ITERS	1001

/* Parts 3 and 4. */
#define BULK_SIZE	(512 * MiB)
#define BULK_WARMUP	(32 * MiB)
#define BULK_REPS	5
/* fallocate at least 10 times as fast as memset (upstream 6.12: 14.6). */
#define BULK_TARGET	0.1
#define GIVE_BACK_TARGET 0.01

/* Part 5: the guest's size G. */
#define CONV_SIZE	(256 * MiB)
#define CONV_TARGET	1.02

/*
 * Part 6: one guest_memfd of LAT_FILE_SIZE; R1 at offset 0 is bound at
 * TEST_GPA and touched by the guest, LAT_BATCH pages per KVM_RUN; R2 is
 * fallocated and R3 punched by two host threads, neither bound.  Peak:
 * R1 + R2 + R3 = 608 MiB of guest_memfd.
 */
#define LAT_R1_SIZE	(32 * MiB)
#define LAT_R2_SIZE	(512 * MiB)
#define LAT_R3_SIZE	(64 * MiB)
#define LAT_R1_OFFSET	0ULL
#define LAT_R2_OFFSET	(LAT_R1_OFFSET + LAT_R1_SIZE)
#define LAT_R3_OFFSET	(LAT_R2_OFFSET + LAT_R2_SIZE)
#define LAT_FILE_SIZE	(LAT_R3_OFFSET + LAT_R3_SIZE)
#define LAT_BATCH	16
#define LAT_BATCHES	(LAT_R1_SIZE / PAGE / LAT_BATCH)
#define LAT_PUNCH_SIZE	(2 * MiB)
/* The vCPU thread sleeps this long before each batch (untimed). */
#define LAT_THINK_US	1000
/* The helpers run at this nice, the vCPU thread at the program's. */
#define LAT_HELPER_NICE	19
/* The helpers are in their loops this long before the vCPU starts. */
#define LAT_SETTLE_US	20000
/* A run stops after this many seconds, whatever it has done. */
#define LAT_LIMIT_S	10
/* Rounds of a baseline and a loaded run: B L, then L B. */
#define LAT_ROUNDS	2
/* Slot 0's page that each new vCPU thread's first, untimed KVM_RUN writes. */
#define LAT_SCRATCH_GPA	(CODE_SIZE - PAGE)
#define LAT_TARGET	2.0

/* Deferred frees (RCU, per-CPU lists) get this long before a reading. */
#define SETTLE_US	500000

static double mib(double bytes)
{
	return bytes / MiB;
}

/*
 * The metrics of the summary (bench.h), in the order measured, and the
 * statistic each is decided on: the median of the runs, but the worst
 * batch of part 6 (a stall of a few batches is what it looks for) and the
 * single measurements of parts 4 and 5 (part 5's figure is its worst
 * stage), whose references are the sizes allocated.
 */
static const struct metric gmem_metrics[] = {
	{ "fault_private_vs_shared", "pages/s", TARGET(">=", FAULT_TARGET),
	  STAT_MEDIAN },
	{ "punch_512_vs_1", "ns", TARGET("<=", ONE_TARGET), STAT_MEDIAN },
	{ "to_shared_512_vs_1", "ns", TARGET("<=", ONE_TARGET), STAT_MEDIAN },
	{ "to_private_512_vs_1", "ns", TARGET("<=", ONE_TARGET), STAT_MEDIAN },
	{ "punch_realloc_4k", "us", TARGET("~", REALLOC_UPSTREAM),
	  STAT_MEDIAN },
	{ "punch_realloc_4k_hot", "us", TARGET("~", REALLOC_UPSTREAM),
	  STAT_MEDIAN },
	{ "fallocate_vs_memset", "ms", TARGET("<=", BULK_TARGET), STAT_MEDIAN },
	{ "fallocate_4k_vs_memset", "ms", TARGET("<=", BULK_TARGET),
	  STAT_MEDIAN },
	{ "punch_gives_back", "kB", TARGET("<=", GIVE_BACK_TARGET),
	  STAT_SINGLE },
	{ "convert_footprint", "MiB", TARGET("<=", CONV_TARGET), STAT_SINGLE },
	{ "convert_footprint_sys", "MiB", TARGET("<=", CONV_TARGET),
	  STAT_SINGLE },
	{ "fault_latency_under_fallocate", "us", TARGET("<=", LAT_TARGET),
	  STAT_MAX },
	{ NULL }
};


/*
 * A snapshot of /proc/meminfo (kB), with the free pages parked on per-CPU
 * lists (/proc/zoneinfo "count:"), which MemFree does not include.
 */
#define MAX_FIELDS	96

struct meminfo {
	int n;
	char name[MAX_FIELDS][24];
	long long kb[MAX_FIELDS];
	long long pcp;
};

static long long mi(const struct meminfo *m, const char *name)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->name[i], name))
			return m->kb[i];
	die("/proc/meminfo has no %s line", name);
}

/* Free memory: MemFree and the free pages on per-CPU lists (kB). */
static long long free_kb(const struct meminfo *m)
{
	return mi(m, "MemFree") + m->pcp;
}

/* Waits SETTLE_US first, so that frees still in flight have landed. */
static void read_meminfo(struct meminfo *m)
{
	char *p, *colon;

	usleep(SETTLE_US);
	if (read_proc("/proc/meminfo") < 0)
		die_errno("reading /proc/meminfo");
	m->n = 0;
	for (p = procbuf; *p && m->n < MAX_FIELDS; p = strchrnul(p, '\n')) {
		if (*p == '\n')
			p++;
		colon = strchr(p, ':');
		if (!colon || colon - p >= (long)sizeof(m->name[0]))
			break;
		snprintf(m->name[m->n], sizeof(m->name[0]), "%.*s",
			 (int)(colon - p), p);
		m->kb[m->n++] = strtoll(colon + 1, NULL, 10);
	}
	m->pcp = 0;
	if (read_proc("/proc/zoneinfo") < 0)
		die_errno("reading /proc/zoneinfo");
	for (p = procbuf; (p = strstr(p, " count: ")); p += 8)
		m->pcp += strtoll(p + 8, NULL, 10) * (PAGE / KiB);
}

/* Prints the fields that changed by 1 MiB or more from @a to @b. */
static void print_changes(const char *what, const struct meminfo *a,
			  const struct meminfo *b)
{
	long long d;
	int i;

	printf("%s:", what);
	for (i = 0; i < a->n && i < b->n; i++) {
		d = b->kb[i] - a->kb[i];
		/* MemFree is the figure itself; MemAvailable derives from it. */
		if (strcmp(a->name[i], b->name[i]) ||
		    !strcmp(a->name[i], "MemFree") ||
		    !strcmp(a->name[i], "MemAvailable"))
			continue;
		if (d >= 1024 || d <= -1024)
			printf(" %s %+lld", a->name[i], d);
	}
	printf(" per-CPU-free-lists %+lld (kB)\n", b->pcp - a->pcp);
}

static int gmem_create_flags(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd args = { .size = size, .flags = flags };
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		die_errno("KVM_CREATE_GUEST_MEMFD(%s, flags %#llx)",
			  size_str(size), (unsigned long long)flags);
	return fd;
}

static int gmem_create(int vm, uint64_t size)
{
	return gmem_create_flags(vm, size, 0);
}

static void gmem_allocate(int fd, uint64_t offset, uint64_t len)
{
	int r;

	/* Allocation is interruptible and keeps what it did (abi.md). */
	do
		r = fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die_errno("fallocate(guest_memfd, [%#llx, +%#llx))",
			  (unsigned long long)offset, (unsigned long long)len);
}

static void gmem_punch(int fd, uint64_t offset, uint64_t len)
{
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset,
		      len) < 0)
		die_errno("fallocate(guest_memfd, PUNCH_HOLE [%#llx, +%#llx))",
			  (unsigned long long)offset, (unsigned long long)len);
}

/* Bytes the file has allocated, as fstat reports them. */
static uint64_t gmem_blocks_bytes(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die_errno("fstat(guest_memfd)");
	return (uint64_t)st.st_blocks * 512;
}

static void *anon_map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap(%s anonymous)", size_str(size));
	return p;
}

static void anon_discard(void *p, uint64_t size)
{
	if (madvise(p, size, MADV_DONTNEED))
		die_errno("madvise(%s, MADV_DONTNEED)", size_str(size));
}

/* Resident bytes of [p, p + size), a page-aligned anonymous mapping. */
static uint64_t anon_resident(void *p, uint64_t size)
{
	static unsigned char vec[CONV_SIZE / PAGE];
	uint64_t i, n = 0;

	if (size > sizeof(vec) * PAGE)
		die("anon_resident: %s is too big", size_str(size));
	if (mincore(p, size, vec))
		die_errno("mincore(%s)", size_str(size));
	for (i = 0; i < size / PAGE; i++)
		n += vec[i] & 1;
	return n * PAGE;
}

/* The guest: guest_code (bench.h) in slot 0, from GPA 0. */
struct guest {
	int vm;
	struct vcpu vcpu;
	uint8_t *code;
};

/*
 * The memory under test: a guest_memfd of @size and anonymous memory of
 * @size for the shared side, bound at TEST_GPA through @nr_slots memslots
 * of equal size, slot i to its own part of both.
 */
struct region {
	int gmem;
	uint8_t *shared;
	uint64_t size;
	int nr_slots;
};

static void guest_create(struct guest *g)
{
	g->vm = create_vm();
	g->code = anon_map(CODE_SIZE);
	memcpy(g->code + CODE_GPA, guest_code, sizeof(guest_code));
	set_region(g->vm, 0, 0, CODE_SIZE, g->code, -1, 0);

	vcpu_create(&g->vcpu, g->vm);
}

/* The VM goes once its guest_memfds are closed too (region_destroy()). */
static void guest_destroy(struct guest *g)
{
	vcpu_destroy(&g->vcpu);
	close(g->vm);
	munmap(g->code, CODE_SIZE);
}

/* Returns the ns that binding the memslots took. */
static uint64_t region_create(struct guest *g, struct region *r,
			      uint64_t size, int nr_slots)
{
	uint64_t part = size / nr_slots, t0;
	int i;

	r->size = size;
	r->nr_slots = nr_slots;
	r->gmem = gmem_create(g->vm, size);
	r->shared = anon_map(size);
	t0 = now_ns();
	for (i = 0; i < nr_slots; i++)
		set_region(g->vm, TEST_SLOT + i, TEST_GPA + i * part, part,
			   r->shared + i * part, r->gmem, i * part);
	return now_ns() - t0;
}

static void region_destroy(struct region *r)
{
	close(r->gmem);
	munmap(r->shared, r->size);
}

/* THP's "enabled" line, e.g. "always [madvise] never", and its mode. */
static void thp_mode(char *line, size_t len, char *mode, size_t mode_len)
{
	char *open, *close;

	if (read_proc("/sys/kernel/mm/transparent_hugepage/enabled") < 0) {
		snprintf(line, len, "(no /sys/kernel/mm/transparent_hugepage)");
		snprintf(mode, mode_len, "none");
		return;
	}
	procbuf[strcspn(procbuf, "\n")] = '\0';
	snprintf(line, len, "%.120s", procbuf);
	open = strchr(procbuf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (close)
		snprintf(mode, mode_len, "%.*s", (int)(close - open - 1),
			 open + 1);
	else
		snprintf(mode, mode_len, "unknown");
}

static const char *const kind_name[2] = { "private", "shared" };

/* 1. Fresh private against fresh shared pages, in one memslot. */
static void bench_fault(void)
{
	uint64_t pages = FAULT_SIZE / PAGE, t[2][FAULT_REPS];
	uint64_t paired[FAULT_REPS];
	uint64_t start[2] = { TEST_GPA, TEST_GPA + FAULT_SIZE };
	struct stats rate[2];
	double ratio;
	char thp[256], mode[32];
	struct region r;
	struct guest g;
	int rep, i, k;

	printf("== 1. fault-in throughput: fresh private pages vs fresh shared pages of one memslot\n");
	thp_mode(thp, sizeof(thp), mode, sizeof(mode));
	printf("THP enabled: %s (mode %s); the anonymous memory is not madvised, so its faults are 4KiB like the private ones\n",
	       thp, mode);
	guest_create(&g);
	region_create(&g, &r, 2 * FAULT_SIZE, 1);
	set_attrs(g.vm, TEST_GPA, FAULT_SIZE, PRIVATE);
	printf("slot %d: [%#llx, +%s) bound to guest_memfd [0, %s) and anonymous userspace_addr; first %s PRIVATE (guest_memfd), second %s shared (anonymous)\n",
	       TEST_SLOT, (unsigned long long)TEST_GPA, size_str(r.size),
	       size_str(r.size), size_str(FAULT_SIZE), size_str(FAULT_SIZE));
	printf("the guest writes one word per 4KiB page of one half: %llu pages per run; each run's pages are given back untimed afterwards (punch-hole / MADV_DONTNEED), so every run faults in fresh pages\n",
	       (unsigned long long)pages);
	printf("%d runs per kind, alternating which goes first, after one untimed warm-up round\n",
	       FAULT_REPS);

	for (rep = -1; rep < FAULT_REPS; rep++) {
		for (i = 0; i < 2; i++) {
			uint64_t ns;

			/* private first in even rounds, shared first in odd */
			k = rep < 0 ? i : i ^ (rep & 1);
			ns = vcpu_touch(&g.vcpu, start[k],
					start[k] + FAULT_SIZE);
			if (k == 0)
				gmem_punch(r.gmem, 0, FAULT_SIZE);
			else
				anon_discard(r.shared + FAULT_SIZE, FAULT_SIZE);
			if (rep < 0) {
				printf("warm-up %-7s: %llu ns/page\n",
				       kind_name[k],
				       (unsigned long long)(ns / pages));
				continue;
			}
			t[k][rep] = ns;
			printf("run %d %-7s: %llu ns/page (%llu ms)\n", rep + 1,
			       kind_name[k], (unsigned long long)(ns / pages),
			       (unsigned long long)(ns / 1000000));
		}
	}
	region_destroy(&r);
	guest_destroy(&g);

	/* Each round's two runs are back to back: their ratio, in ppm. */
	for (rep = 0; rep < FAULT_REPS; rep++)
		paired[rep] = t[1][rep] * 1000000 / t[0][rep];
	/* Each run's pages per second: the quick runs are the high rates. */
	for (k = 0; k < 2; k++) {
		rate[k] = stats_recip(stats_of(t[k], FAULT_REPS, 1),
				      pages * (double)NSEC);
		printf("%-7s: median %.0f pages/s (%.0f ns/page)  best %.0f pages/s  IQR %.0f-%.0f pages/s\n",
		       kind_name[k], rate[k].median, NSEC / rate[k].median,
		       rate[k].max, rate[k].q1, rate[k].q3);
	}
	printf("context: median of the %d per-round ratios private / shared (pages/s): %.2f\n",
	       FAULT_REPS, median(paired, FAULT_REPS) / 1e6);
	ratio = add_result("fault_private_vs_shared", &rate[0], &rate[1], 0, 2);
	printf("ratio private / shared (pages/s, medians): %.2f  target >= %.1f: %s\n",
	       ratio, FAULT_TARGET, verdict(ratio >= FAULT_TARGET));
}

/*
 * The timed operations of part 2; the last one, punch and allocate again, is
 * not compared between the two cases.
 */
enum { OP_PUNCH, OP_TO_SHARED, OP_TO_PRIVATE, NR_CMP_OPS,
       OP_REALLOC = NR_CMP_OPS, NR_OPS };

static const char *const op_name[NR_OPS] = {
	"punch 4KiB", "convert to shared", "convert to private",
	"punch + reallocate",
};
static const char *const op_metric[NR_CMP_OPS] = {
	"punch_512_vs_1", "to_shared_512_vs_1", "to_private_512_vs_1",
};

/*
 * One round on one page that the guest has mapped, for each operation:
 * allocate (untimed), map private, punch (timed) and allocate again (timed
 * with the punch as OP_REALLOC); map private again, set shared (timed); map
 * shared, set private (timed).
 */
static void one_page_round(struct guest *g, struct region *r, uint64_t ns[NR_OPS])
{
	uint64_t gpa = TEST_GPA + ONE_OFFSET, t0, t1;

	gmem_allocate(r->gmem, ONE_OFFSET, PAGE);
	vcpu_touch(&g->vcpu, gpa, gpa + PAGE);
	t0 = now_ns();
	gmem_punch(r->gmem, ONE_OFFSET, PAGE);
	t1 = now_ns();
	gmem_allocate(r->gmem, ONE_OFFSET, PAGE);
	ns[OP_PUNCH] = t1 - t0;
	ns[OP_REALLOC] = now_ns() - t0;

	vcpu_touch(&g->vcpu, gpa, gpa + PAGE);
	t0 = now_ns();
	set_attrs(g->vm, gpa, PAGE, 0);
	ns[OP_TO_SHARED] = now_ns() - t0;

	vcpu_touch(&g->vcpu, gpa, gpa + PAGE);
	t0 = now_ns();
	set_attrs(g->vm, gpa, PAGE, PRIVATE);
	ns[OP_TO_PRIVATE] = now_ns() - t0;
}

/*
 * The page's punch and reallocation back to back, HOT_ITERS rounds on @g's
 * 1-memslot file: KVM_PRE_FAULT_MEMORY maps it private (untimed), punch
 * (@ns[0]) and allocate it again (@ns[1]: both).  The rounds above run the
 * guest and convert the page in between, which leaves the host's caches
 * (and TCG's) cold for the timed calls; these show the calls themselves.
 * False, with a message, if KVM lacks KVM_CAP_PRE_FAULT_MEMORY.
 */
static bool bench_one_page_hot(struct guest *g, struct region *r,
			       uint64_t ns[2][HOT_ITERS])
{
	uint64_t gpa = TEST_GPA + ONE_OFFSET, t0, t1;
	int i;

	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY) <= 0) {
		printf("back to back: not measured, KVM lacks KVM_CAP_PRE_FAULT_MEMORY\n");
		return false;
	}
	printf("back to back, 1 memslot: %d rounds of KVM_PRE_FAULT_MEMORY of the page (untimed), punch (timed) and fallocate it again (timed with the punch)\n",
	       HOT_ITERS);
	for (i = -1; i < HOT_ITERS; i++) {
		struct kvm_pre_fault_memory pf = { .gpa = gpa, .size = PAGE };

		while (pf.size)
			if (ioctl(g->vcpu.fd, KVM_PRE_FAULT_MEMORY, &pf) &&
			    errno != EINTR)
				die_errno("KVM_PRE_FAULT_MEMORY(%#llx, 4KiB)",
					  (unsigned long long)gpa);
		t0 = now_ns();
		gmem_punch(r->gmem, ONE_OFFSET, PAGE);
		t1 = now_ns();
		gmem_allocate(r->gmem, ONE_OFFSET, PAGE);
		if (i < 0)
			continue;
		ns[0][i] = t1 - t0;
		ns[1][i] = now_ns() - t0;
	}
	return true;
}

/* 2. One page, with the file bound through 1 and through 512 memslots. */
static void bench_one_page(void)
{
	static uint64_t t[2][NR_OPS][ONE_ITERS], hot[2][HOT_ITERS];
	static const int slots[2] = { 1, NR_PARTS };
	uint64_t ns[NR_OPS], bind;
	struct stats st[2];
	struct guest g[2];
	struct region r[2];
	double ratio;
	int c, i, op, n;
	bool hot_ok;

	printf("== 2. punching and converting one 4KiB page: guest_memfd bound through 1 vs %d memslots\n",
	       NR_PARTS);
	printf("two SW-protected VMs, each with a %s guest_memfd and %s of anonymous memory at GPA %#llx, all PRIVATE:\n",
	       size_str((uint64_t)NR_PARTS * PART_SIZE),
	       size_str((uint64_t)NR_PARTS * PART_SIZE),
	       (unsigned long long)TEST_GPA);
	for (c = 0; c < 2; c++) {
		guest_create(&g[c]);
		bind = region_create(&g[c], &r[c], (uint64_t)NR_PARTS * PART_SIZE,
				     slots[c]);
		set_attrs(g[c].vm, TEST_GPA, r[c].size, PRIVATE);
		printf("  %3d memslot%s of %s, each binding its own part of the file (bound in %llu ms)\n",
		       slots[c], slots[c] > 1 ? "s" : " ",
		       size_str(r[c].size / slots[c]),
		       (unsigned long long)(bind / 1000000));
	}
	printf("the page: file offset %#llx, GPA %#llx (memslot %d of %d); the guest maps it before each timed call\n",
	       (unsigned long long)ONE_OFFSET,
	       (unsigned long long)(TEST_GPA + ONE_OFFSET),
	       (int)(ONE_OFFSET / PART_SIZE) + 1, NR_PARTS);
	printf("each round: fallocate the page (untimed), guest maps it private, punch (timed) and fallocate it again (timed with the punch: punch + reallocate); guest maps it private, set shared (timed); guest maps it shared, set private (timed)\n");
	printf("%d rounds per case, cases alternating, after one untimed round each\n",
	       ONE_ITERS);

	for (c = 0; c < 2; c++)
		one_page_round(&g[c], &r[c], ns);
	for (i = 0; i < ONE_ITERS; i++) {
		for (n = 0; n < 2; n++) {
			c = n ^ (i & 1);
			one_page_round(&g[c], &r[c], ns);
			for (op = 0; op < NR_OPS; op++)
				t[c][op][i] = ns[op];
		}
	}
	hot_ok = bench_one_page_hot(&g[0], &r[0], hot);
	for (c = 0; c < 2; c++) {
		region_destroy(&r[c]);
		guest_destroy(&g[c]);
	}

	for (op = 0; op < NR_OPS; op++) {
		for (c = 0; c < 2; c++) {
			st[c] = stats_of(t[c][op], ONE_ITERS, 1);
			printf("%-18s %3d memslot%s: median %8.0f ns  min %8.0f ns  IQR %.0f ns (%.0f..%.0f)  n %d\n",
			       op_name[op], slots[c], c ? "s" : " ",
			       st[c].median, st[c].min, st[c].q3 - st[c].q1,
			       st[c].q1, st[c].q3, ONE_ITERS);
		}
		if (op == OP_REALLOC) {
			struct stats us = stats_of(t[0][op], ONE_ITERS, 1e3);

			printf("%-18s   1 memslot : median %.1f us; upstream 6.12 took %.1f us on another run of this kind of machine (a figure to compare with, not a target: info)\n",
			       op_name[op], us.median, REALLOC_UPSTREAM);
			add_result("punch_realloc_4k", &us, NULL, 1, 2);
			continue;
		}
		ratio = add_result(op_metric[op], &st[1], &st[0], 0, 2);
		printf("%-18s ratio %d / 1 memslots (medians): %.2f  target <= %.1f: %s\n",
		       op_name[op], NR_PARTS, ratio, ONE_TARGET,
		       verdict(ratio <= ONE_TARGET));
	}
	if (hot_ok) {
		struct stats punch = stats_of(hot[0], HOT_ITERS, 1e3);
		struct stats us = stats_of(hot[1], HOT_ITERS, 1e3);

		printf("back to back, 1 memslot : punch median %.1f us (min %.1f, IQR %.1f..%.1f); punch + reallocate median %.1f us (min %.1f, IQR %.1f..%.1f), n %d (info)\n",
		       punch.median, punch.min, punch.q1, punch.q3, us.median,
		       us.min, us.q1, us.q3, HOT_ITERS);
		add_result("punch_realloc_4k_hot", &us, NULL, 1, 2);
	}
}

/*
 * Returns the ns fallocate took on a new file of @vm with @flags; the file is
 * gone afterwards.
 */
static uint64_t time_fallocate(int vm, uint64_t size, uint64_t flags)
{
	int fd = gmem_create_flags(vm, size, flags);
	uint64_t t0, t;

	t0 = now_ns();
	gmem_allocate(fd, 0, size);
	t = now_ns() - t0;
	close(fd);
	return t;
}

/* Returns the ns memset took on fresh memory; the memory is gone afterwards. */
static uint64_t time_memset(uint64_t size)
{
	uint8_t *p = anon_map(size);
	uint64_t t0, t;

	t0 = now_ns();
	memset(p, 1, size);
	t = now_ns() - t0;
	if (p[size - 1] != 1)
		die("memset did not write");
	munmap(p, size);
	return t;
}

/*
 * The kinds of part 3: a private-only guest_memfd of the SW-protected VM
 * (2 MiB folios where they fit, unless kvm.gmem_huge_pages=N), a
 * host-mappable one of a default VM (4 KiB folios, always), and memset.
 */
enum { BULK_PRIVATE, BULK_MAPPABLE, BULK_MEMSET, NR_BULK };

static const char *const bulk_name[NR_BULK] = {
	"fallocate private-only", "fallocate host-mappable", "memset",
};
static const char *const bulk_metric[BULK_MEMSET] = {
	"fallocate_vs_memset", "fallocate_4k_vs_memset",
};

static uint64_t time_bulk(int kind, const int vm[2], uint64_t size)
{
	if (kind == BULK_MEMSET)
		return time_memset(size);
	return time_fallocate(vm[kind], size,
			      kind == BULK_MAPPABLE ? GUEST_MEMFD_FLAG_MMAP : 0);
}

/* 3. Allocating a guest_memfd against faulting in anonymous memory. */
static void bench_bulk(void)
{
	uint64_t t[NR_BULK][BULK_REPS];
	struct stats ms[NR_BULK];
	int vm[2], rep, i, k, nr = 0;
	int kinds[NR_BULK];
	double ratio;
	long flags;

	printf("== 3. fallocate of %s of guest_memfd vs memset of %s of fresh anonymous memory\n",
	       size_str(BULK_SIZE), size_str(BULK_SIZE));
	vm[BULK_PRIVATE] = create_vm();
	kinds[nr++] = BULK_PRIVATE;
	vm[BULK_MAPPABLE] = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm[BULK_MAPPABLE] < 0)
		die_errno("KVM_CREATE_VM(0)");
	flags = ioctl(vm[BULK_MAPPABLE], KVM_CHECK_EXTENSION,
		      KVM_CAP_GUEST_MEMFD_FLAGS);
	if (flags > 0 && (flags & GUEST_MEMFD_FLAG_MMAP))
		kinds[nr++] = BULK_MAPPABLE;
	else
		printf("host-mappable: not measured, a default VM's KVM_CAP_GUEST_MEMFD_FLAGS lacks GUEST_MEMFD_FLAG_MMAP\n");
	kinds[nr++] = BULK_MEMSET;
	printf("fallocate: a new guest_memfd of %s, one fallocate(KEEP_SIZE) over all of it (timed), closed; private-only: of the SW-protected VM, flags 0 (2MiB folios where they fit); host-mappable: of a default VM, GUEST_MEMFD_FLAG_MMAP (4KiB folios); memset: a new anonymous mmap (not madvised), memset over all of it (timed), munmapped\n",
	       size_str(BULK_SIZE));
	printf("%d runs each, the order rotating, after an untimed %s warm-up of each\n",
	       BULK_REPS, size_str(BULK_WARMUP));
	for (i = 0; i < nr; i++)
		time_bulk(kinds[i], vm, BULK_WARMUP);
	for (rep = 0; rep < BULK_REPS; rep++) {
		for (i = 0; i < nr; i++) {
			k = kinds[(i + rep) % nr];
			t[k][rep] = time_bulk(k, vm, BULK_SIZE);
			printf("run %d %-23s: %llu ms (%.0f MiB/s)\n", rep + 1,
			       bulk_name[k],
			       (unsigned long long)(t[k][rep] / 1000000),
			       mib(BULK_SIZE) * NSEC / t[k][rep]);
		}
	}
	close(vm[BULK_PRIVATE]);
	close(vm[BULK_MAPPABLE]);
	for (i = 0; i < nr; i++) {
		k = kinds[i];
		ms[k] = stats_of(t[k], BULK_REPS, 1e6);
		printf("%-23s: median %.1f ms (%.0f MiB/s, %.0f ns per 4KiB page)  min %.1f ms  IQR %.1f ms (%.1f..%.1f)  n %d\n",
		       bulk_name[k], ms[k].median,
		       mib(BULK_SIZE) * 1e3 / ms[k].median,
		       ms[k].median * 1e6 / (BULK_SIZE / PAGE), ms[k].min,
		       ms[k].q3 - ms[k].q1, ms[k].q1, ms[k].q3, BULK_REPS);
	}
	for (i = 0; i < nr; i++) {
		k = kinds[i];
		if (k == BULK_MEMSET)
			continue;
		ratio = add_result(bulk_metric[k], &ms[k], &ms[BULK_MEMSET], 1, 3);
		printf("ratio %s / memset (time, medians): %.3f (fallocate %.1fx as fast)  target <= %.1f: %s\n",
		       bulk_name[k], ratio, ms[BULK_MEMSET].median / ms[k].median,
		       BULK_TARGET, verdict(ratio <= BULK_TARGET));
	}
}

/* 4. Punching all of a file gives its memory back. */
static void bench_give_back(void)
{
	long long alloc_kb = BULK_SIZE / KiB, f0, f1, f2, gap;
	struct meminfo m0, m1, m2;
	struct stats back, alloc;
	uint64_t blocks;
	double ratio;
	int vm, fd;

	printf("== 4. punching all of %s of guest_memfd gives every page back\n",
	       size_str(BULK_SIZE));
	printf("/proc/meminfo and /proc/zoneinfo, read %d ms after each step: before fallocate (empty file), after fallocate of all of it, after one punch-hole over all of it\n",
	       SETTLE_US / 1000);
	printf("compared: free memory = MemFree + the free pages on per-CPU lists, which MemFree leaves out and which swing by tens of MiB here\n");
	vm = create_vm();
	fd = gmem_create(vm, BULK_SIZE);
	read_meminfo(&m0);
	gmem_allocate(fd, 0, BULK_SIZE);
	read_meminfo(&m1);
	blocks = gmem_blocks_bytes(fd);
	gmem_punch(fd, 0, BULK_SIZE);
	read_meminfo(&m2);
	close(fd);
	close(vm);

	f0 = free_kb(&m0);
	f1 = free_kb(&m1);
	f2 = free_kb(&m2);
	gap = f2 - f0;
	printf("MemFree: before %lld kB, after fallocate %lld kB (%+lld kB), after punch %lld kB (%+lld kB)\n",
	       mi(&m0, "MemFree"), mi(&m1, "MemFree"),
	       mi(&m1, "MemFree") - mi(&m0, "MemFree"), mi(&m2, "MemFree"),
	       mi(&m2, "MemFree") - mi(&m1, "MemFree"));
	printf("free pages on per-CPU lists (/proc/zoneinfo, not in MemFree): %lld kB, %lld kB, %lld kB\n",
	       m0.pcp, m1.pcp, m2.pcp);
	print_changes("other changes over fallocate", &m0, &m1);
	print_changes("other changes over punch", &m1, &m2);
	printf("fstat st_blocks * 512 after fallocate: %llu bytes (%llu allocated)\n",
	       (unsigned long long)blocks, (unsigned long long)BULK_SIZE);
	printf("free = MemFree + per-CPU lists: before %lld kB, after fallocate %lld kB (%+lld kB), after punch %lld kB (%+lld kB)\n",
	       f0, f1, f1 - f0, f2, f2 - f1);
	back = stats_one(gap < 0 ? -gap : gap);
	alloc = stats_given(alloc_kb);
	ratio = add_result("punch_gives_back", &back, &alloc, 0, 4);
	printf("free after punch - free before fallocate: %+lld kB (Slab %+lld kB over the same span), %.4f of the %lld kB allocated  target within %.2f: %s\n",
	       gap, mi(&m2, "Slab") - mi(&m0, "Slab"), ratio, alloc_kb,
	       GIVE_BACK_TARGET, verdict(ratio <= GIVE_BACK_TARGET));
}

/* 5. The footprint of a guest converted all private, then all shared. */
struct stage {
	uint64_t blocks, unevictable, anon;	/* bytes */
	double footprint, sys;			/* in G */
	long long slab;				/* kB */
};

/*
 * guest_memfd's folios are unevictable and nothing else in the test guest
 * is, so the Unevictable delta counts them even where st_blocks does not.
 */
static void conv_measure(struct stage *s, const char *what, struct region *r,
			 const struct meminfo *base)
{
	long long unev;
	struct meminfo m;

	read_meminfo(&m);
	unev = mi(&m, "Unevictable") - mi(base, "Unevictable");
	s->blocks = gmem_blocks_bytes(r->gmem);
	s->unevictable = unev > 0 ? unev * KiB : 0;
	s->anon = anon_resident(r->shared, r->size);
	s->footprint = (s->anon + (s->blocks > s->unevictable ? s->blocks :
				   s->unevictable)) / (double)r->size;
	s->sys = ((free_kb(base) - free_kb(&m)) * (double)KiB) / r->size;
	s->slab = mi(&m, "Slab") - mi(base, "Slab");
	printf("%s\n  guest_memfd: st_blocks %.1f MiB, Unevictable %+.1f MiB; shared resident %.1f MiB; footprint %.1f MiB (%.3f G); system %+.1f MiB (%.3f G)\n",
	       what, mib(s->blocks), unev / 1024.0, mib(s->anon),
	       s->footprint * mib(r->size), s->footprint,
	       s->sys * mib(r->size), s->sys);
	print_changes("  system changes", base, &m);
}

static void bench_convert(void)
{
	uint64_t end = TEST_GPA + CONV_SIZE, pages = CONV_SIZE / PAGE, t;
	double worst = 0, worst_sys = 0, ratio;
	struct stats fp, fp_sys, size;
	long long worst_slab = 0;
	struct stage st[5];
	struct meminfo base;
	struct region r;
	struct guest g;
	bool blind = true;
	int i;

	printf("== 5. footprint of a %s guest converted all private and back, the VMM discarding the unused side\n",
	       size_str(CONV_SIZE));
	printf("memslot %d: [%#llx, +%s), anonymous shared backing (not madvised) + guest_memfd of %s; the guest writes one word per page\n",
	       TEST_SLOT, (unsigned long long)TEST_GPA, size_str(CONV_SIZE),
	       size_str(CONV_SIZE));
	printf("footprint = guest_memfd bytes (the larger of fstat st_blocks * 512 and the Unevictable delta) + resident bytes of the shared backing (mincore)\n");
	printf("system (cross-check) = MemTotal - MemFree - free pages on per-CPU lists, from before the first touch; every reading %d ms after the step\n",
	       SETTLE_US / 1000);
	guest_create(&g);
	region_create(&g, &r, CONV_SIZE, 1);
	read_meminfo(&base);

	t = vcpu_touch(&g.vcpu, TEST_GPA, end);
	conv_measure(&st[0], "all shared, touched by the guest:", &r, &base);
	printf("  (%llu shared pages faulted in %llu ms)\n",
	       (unsigned long long)pages, (unsigned long long)(t / 1000000));

	set_attrs(g.vm, TEST_GPA, CONV_SIZE, PRIVATE);
	anon_discard(r.shared, CONV_SIZE);
	conv_measure(&st[1], "set PRIVATE, shared backing MADV_DONTNEED:", &r, &base);

	t = vcpu_touch(&g.vcpu, TEST_GPA, end);
	conv_measure(&st[2], "all private, touched by the guest:", &r, &base);
	printf("  (%llu private pages faulted in %llu ms)\n",
	       (unsigned long long)pages, (unsigned long long)(t / 1000000));

	set_attrs(g.vm, TEST_GPA, CONV_SIZE, 0);
	gmem_punch(r.gmem, 0, CONV_SIZE);
	conv_measure(&st[3], "set shared, guest_memfd punched:", &r, &base);

	t = vcpu_touch(&g.vcpu, TEST_GPA, end);
	conv_measure(&st[4], "all shared again, touched by the guest:", &r, &base);
	printf("  (%llu shared pages faulted in %llu ms)\n",
	       (unsigned long long)pages, (unsigned long long)(t / 1000000));

	region_destroy(&r);
	guest_destroy(&g);

	for (i = 0; i < 5; i++) {
		worst = st[i].footprint > worst ? st[i].footprint : worst;
		if (st[i].sys > worst_sys) {
			worst_sys = st[i].sys;
			worst_slab = st[i].slab;
		}
		if (st[i].blocks)
			blind = false;
	}
	if (blind)
		printf("note: st_blocks stayed 0 at every stage, all %s private included: guest_memfd does not account its pages in i_blocks, so fstat cannot tell a VMM what a guest_memfd holds\n",
		       size_str(CONV_SIZE));
	fp = stats_one(worst * mib(CONV_SIZE));
	fp_sys = stats_one(worst_sys * mib(CONV_SIZE));
	size = stats_given(mib(CONV_SIZE));
	ratio = add_result("convert_footprint", &fp, &size, 1, 3);
	printf("footprint, worst stage: %.3f G (%.1f MiB)  target <= %.2f G: %s\n",
	       ratio, fp.median, CONV_TARGET, verdict(ratio <= CONV_TARGET));
	ratio = add_result("convert_footprint_sys", &fp_sys, &size, 1, 3);
	printf("system view, worst stage: %.3f G (%.1f MiB, Slab %+.1f MiB of it)  cross-check, target <= %.2f G: %s\n",
	       ratio, fp_sys.median, worst_slab / 1024.0, CONV_TARGET,
	       verdict(ratio <= CONV_TARGET));
}

/*
 * 6. Private faults while other ranges of the same file are fallocated and
 * punched.
 *
 * A punch takes the file's invalidate_lock for write.  Were private faults
 * to take it shared, like a fallocate() that holds it shared for the whole
 * call, a punch queued behind a long fallocate() would stall every new
 * fault of the file until that fallocate() ended, as the rwsem queues new
 * readers behind a waiting writer.  The series' faults take no such lock,
 * so faults on R1 should not notice what happens in R2 and R3.
 *
 * A sample: guest_code (bench.h) writes one word per page of [ebx, ecx)
 * and halts, so the vCPU thread runs it once per batch of LAT_BATCH fresh
 * pages of R1 (vcpu_touch()), and the latency of a batch is the host's
 * CLOCK_MONOTONIC time of that KVM_RUN, entry to HLT exit: LAT_BATCH
 * first-touch private faults, each allocating a guest_memfd page.
 *
 * A baseline run has nothing else going on.  A loaded run has two more
 * host threads: one fallocate()s all of R2 in one call (if that ever ends,
 * it punches R2 and starts again; a signal ends the call when the run
 * does); the other punches R3, pre-allocated, LAT_PUNCH_SIZE at a time in
 * a loop, fallocating each chunk back right after so that every punch
 * frees pages.  Both are in their loops before the vCPU starts.
 *
 * The test guest has one CPU for the three threads.  So that a loaded
 * sample measures waiting on the file rather than the helpers' share of
 * the CPU, the helpers run at nice LAT_HELPER_NICE and the vCPU thread
 * sleeps LAT_THINK_US before each batch, in both kinds of run: the
 * helpers run in those gaps, or while a fault is blocked, which is what is
 * measured; CFS may still give them a tick of a long batch now and then.
 *
 * Every run touches all of R1 in fresh pages (R1 is punched, untimed,
 * after each run), after an untimed warm-up run that also maps KVM's page
 * tables over R1.  The runs go baseline, loaded, then loaded, baseline;
 * each kind's two runs are pooled.  The verdict, chosen before any run, is
 * loaded max / baseline max, where a stall of a few batches shows and a
 * median would hide it.  A run stops after LAT_LIMIT_S seconds, which a
 * kernel that stalls faults for whole fallocate() calls reaches.
 */
struct lat_run {
	struct vcpu *vcpu;
	int gmem;
	/* the vCPU thread: stops before its next batch once vcpu_stop is set */
	atomic_bool vcpu_stop;
	uint64_t ns[LAT_BATCHES];
	int n;
	/* the helpers of a loaded run */
	pthread_t fallocate_thread, punch_thread;
	atomic_bool helpers_stop, fallocate_started, punch_started;
	atomic_bool fallocate_exited;
	/* each written by its own thread, read once it is joined */
	unsigned long fallocates, fallocates_done, punches;
	uint64_t punch_max_ns;
};

/* Only there so that SIGUSR1 ends a fallocate() with EINTR. */
static void lat_signal(int sig)
{
	(void)sig;
}

/* A helper gives the CPU to the vCPU thread whenever that can run. */
static void lat_helper_nice(void)
{
	if (setpriority(PRIO_PROCESS, gettid(), LAT_HELPER_NICE))
		die_errno("setpriority(nice %d)", LAT_HELPER_NICE);
}

static void *lat_fallocate_thread(void *arg)
{
	struct lat_run *r = arg;

	lat_helper_nice();
	while (!atomic_load(&r->helpers_stop)) {
		r->fallocates++;
		atomic_store(&r->fallocate_started, true);
		if (fallocate(r->gmem, FALLOC_FL_KEEP_SIZE, LAT_R2_OFFSET,
			      LAT_R2_SIZE) < 0) {
			if (errno != EINTR)
				die_errno("fallocate(guest_memfd, R2 [%#llx, +%s))",
					  (unsigned long long)LAT_R2_OFFSET,
					  size_str(LAT_R2_SIZE));
			continue;
		}
		r->fallocates_done++;
		if (!atomic_load(&r->helpers_stop))
			gmem_punch(r->gmem, LAT_R2_OFFSET, LAT_R2_SIZE);
	}
	atomic_store(&r->fallocate_exited, true);
	return NULL;
}

static void *lat_punch_thread(void *arg)
{
	struct lat_run *r = arg;
	uint64_t offset = 0, t0, t;

	lat_helper_nice();
	atomic_store(&r->punch_started, true);
	while (!atomic_load(&r->helpers_stop)) {
		t0 = now_ns();
		gmem_punch(r->gmem, LAT_R3_OFFSET + offset, LAT_PUNCH_SIZE);
		t = now_ns() - t0;
		if (t > r->punch_max_ns)
			r->punch_max_ns = t;
		r->punches++;
		gmem_allocate(r->gmem, LAT_R3_OFFSET + offset, LAT_PUNCH_SIZE);
		offset = (offset + LAT_PUNCH_SIZE) % LAT_R3_SIZE;
	}
	return NULL;
}

static void *lat_vcpu_thread(void *arg)
{
	const struct timespec think = { .tv_nsec = LAT_THINK_US * 1000 };
	struct lat_run *r = arg;
	uint64_t gpa = TEST_GPA + LAT_R1_OFFSET;
	int i;

	/*
	 * The first KVM_RUN from a new thread waits for an RCU grace period,
	 * as the vCPU's pid changes: untimed, on a page of slot 0.
	 */
	vcpu_touch(r->vcpu, LAT_SCRATCH_GPA, LAT_SCRATCH_GPA + PAGE);
	for (i = 0; i < (int)LAT_BATCHES && !atomic_load(&r->vcpu_stop); i++) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &think, NULL);
		r->ns[i] = vcpu_touch(r->vcpu, gpa, gpa + LAT_BATCH * PAGE);
		gpa += LAT_BATCH * PAGE;
	}
	r->n = i;
	return NULL;
}

static pthread_t lat_thread(void *(*fn)(void *), struct lat_run *r)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, fn, r);

	if (e) {
		errno = e;
		die_errno("pthread_create");
	}
	return t;
}

static void lat_start_helpers(struct lat_run *r)
{
	atomic_store(&r->helpers_stop, false);
	atomic_store(&r->fallocate_started, false);
	atomic_store(&r->punch_started, false);
	atomic_store(&r->fallocate_exited, false);
	r->fallocates = r->fallocates_done = r->punches = 0;
	r->punch_max_ns = 0;
	r->fallocate_thread = lat_thread(lat_fallocate_thread, r);
	r->punch_thread = lat_thread(lat_punch_thread, r);
	while (!atomic_load(&r->fallocate_started) ||
	       !atomic_load(&r->punch_started))
		usleep(1000);
	usleep(LAT_SETTLE_US);
}

static void lat_stop_helpers(struct lat_run *r)
{
	atomic_store(&r->helpers_stop, true);
	/* Again and again, in case one lands just before the call. */
	while (!atomic_load(&r->fallocate_exited)) {
		pthread_kill(r->fallocate_thread, SIGUSR1);
		usleep(10000);
	}
	pthread_join(r->fallocate_thread, NULL);
	pthread_join(r->punch_thread, NULL);
}

/* The figures of @n samples (ns), which are sorted in place. */
struct lat_stats {
	int n;
	uint64_t min, median, p99, max;
};

static void lat_stats(struct lat_stats *s, uint64_t *v, int n)
{
	if (n < 1)
		die("no batch of private faults completed");
	s->n = n;
	s->median = median(v, n);
	s->min = v[0];
	s->max = v[n - 1];
	/* nearest rank: the sample that 99% of them are at or below */
	s->p99 = v[(99 * n + 99) / 100 - 1];
}

static void lat_print(const char *what, const struct lat_stats *s)
{
	printf("%s: %d batches, min %llu us, median %llu us, p99 %llu us, max %llu us\n",
	       what, s->n, (unsigned long long)(s->min / 1000),
	       (unsigned long long)(s->median / 1000),
	       (unsigned long long)(s->p99 / 1000),
	       (unsigned long long)(s->max / 1000));
}

/*
 * One run: the vCPU thread touches R1, with the helpers going if @loaded.
 * Leaves its samples in r->ns and r->n, and R1 punched, R2 empty and R3
 * allocated, as before the run.
 */
static void lat_run(struct lat_run *r, bool loaded, const char *what)
{
	uint64_t sorted[LAT_BATCHES], t0, t;
	struct timespec deadline;
	struct lat_stats s;
	bool cut = false;
	pthread_t vcpu;
	int e, i, worst = 0;

	if (loaded)
		lat_start_helpers(r);
	atomic_store(&r->vcpu_stop, false);
	t0 = now_ns();
	vcpu = lat_thread(lat_vcpu_thread, r);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LAT_LIMIT_S;
	e = pthread_clockjoin_np(vcpu, NULL, CLOCK_MONOTONIC, &deadline);
	if (e == ETIMEDOUT) {
		cut = true;
		atomic_store(&r->vcpu_stop, true);
	} else if (e) {
		errno = e;
		die_errno("pthread_clockjoin_np(vCPU thread)");
	}
	/* A fault that waits on the helpers completes once they stop. */
	if (loaded)
		lat_stop_helpers(r);
	if (cut)
		pthread_join(vcpu, NULL);
	t = now_ns() - t0;

	for (i = 0; i < r->n; i++)
		if (r->ns[i] > r->ns[worst])
			worst = i;
	memcpy(sorted, r->ns, r->n * sizeof(r->ns[0]));
	lat_stats(&s, sorted, r->n);
	lat_print(what, &s);
	printf("  the slowest was batch %d of %d; the run took %.1f s%s\n",
	       worst + 1, r->n, t / (double)NSEC,
	       cut ? ", stopped at its time limit" : "");
	if (loaded)
		printf("  helpers: fallocate() of R2 %lu started, %lu finished; %lu punches of R3 of %s each, the slowest %.1f ms (wall clock, at nice %d)\n",
		       r->fallocates, r->fallocates_done, r->punches,
		       size_str(LAT_PUNCH_SIZE), r->punch_max_ns / 1e6,
		       LAT_HELPER_NICE);

	gmem_punch(r->gmem, LAT_R1_OFFSET, LAT_R1_SIZE);
	if (loaded) {
		gmem_punch(r->gmem, LAT_R2_OFFSET, LAT_R2_SIZE);
		gmem_allocate(r->gmem, LAT_R3_OFFSET, LAT_R3_SIZE);
	}
}

static void bench_fault_latency(void)
{
	static uint64_t pool[2][LAT_ROUNDS * LAT_BATCHES];
	static struct lat_run r;
	struct sigaction sa = { .sa_handler = lat_signal }, old_sa;
	const char *const kind[2] = { "baseline", "loaded" };
	int n[2] = { 0, 0 }, round, i, k;
	struct lat_stats s[2];
	struct stats us[2];
	struct guest g;
	uint8_t *shared;
	char what[64];
	double ratio;

	printf("== 6. private fault latency while other ranges of the same guest_memfd are fallocated and punched\n");
	printf("one guest_memfd of %s: R1 [%#llx, +%s) bound at GPA %#llx, PRIVATE; R2 [%#llx, +%s) and R3 [%#llx, +%s) not bound\n",
	       size_str(LAT_FILE_SIZE), (unsigned long long)LAT_R1_OFFSET,
	       size_str(LAT_R1_SIZE), (unsigned long long)TEST_GPA,
	       (unsigned long long)LAT_R2_OFFSET, size_str(LAT_R2_SIZE),
	       (unsigned long long)LAT_R3_OFFSET, size_str(LAT_R3_SIZE));
	printf("a sample: one KVM_RUN (host CLOCK_MONOTONIC) in which the guest first-touches %d fresh private pages of R1; %llu batches cover R1; the vCPU thread sleeps %d us before each batch\n",
	       LAT_BATCH, (unsigned long long)LAT_BATCHES, LAT_THINK_US);
	printf("loaded: one thread fallocates all of R2 in one call (punch and again if it ends), one punches %s of R3 at a time and fallocates it back, in a loop; both at nice %d\n",
	       size_str(LAT_PUNCH_SIZE), LAT_HELPER_NICE);
	printf("an untimed warm-up run, then %d rounds (baseline, loaded; then loaded, baseline), pooled per kind; each run punched afterwards (untimed) and stopped after %d s\n",
	       LAT_ROUNDS, LAT_LIMIT_S);

	guest_create(&g);
	r.vcpu = &g.vcpu;
	r.gmem = gmem_create(g.vm, LAT_FILE_SIZE);
	shared = anon_map(LAT_R1_SIZE);
	set_region(g.vm, TEST_SLOT, TEST_GPA, LAT_R1_SIZE, shared, r.gmem,
		   LAT_R1_OFFSET);
	set_attrs(g.vm, TEST_GPA, LAT_R1_SIZE, PRIVATE);
	gmem_allocate(r.gmem, LAT_R3_OFFSET, LAT_R3_SIZE);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, &old_sa))
		die_errno("sigaction(SIGUSR1)");

	lat_run(&r, false, "warm-up (not counted)");
	for (round = 0; round < LAT_ROUNDS; round++) {
		for (i = 0; i < 2; i++) {
			k = i ^ (round & 1);
			snprintf(what, sizeof(what), "round %d %s", round + 1,
				 kind[k]);
			lat_run(&r, k, what);
			memcpy(pool[k] + n[k], r.ns, r.n * sizeof(r.ns[0]));
			n[k] += r.n;
		}
	}

	sigaction(SIGUSR1, &old_sa, NULL);
	gmem_punch(r.gmem, 0, LAT_FILE_SIZE);
	close(r.gmem);
	munmap(shared, LAT_R1_SIZE);
	guest_destroy(&g);

	for (k = 0; k < 2; k++) {
		lat_stats(&s[k], pool[k], n[k]);
		us[k] = stats_of(pool[k], n[k], 1e3);
		snprintf(what, sizeof(what), "%-8s (%d runs)", kind[k],
			 LAT_ROUNDS);
		lat_print(what, &s[k]);
	}
	printf("context: ratio loaded / baseline of the median %.2f, of the p99 %.2f\n",
	       (double)s[1].median / (double)s[0].median,
	       (double)s[1].p99 / (double)s[0].p99);
	ratio = add_result("fault_latency_under_fallocate", &us[1], &us[0], 0,
			   2);
	printf("ratio loaded / baseline (max batch latency): %.2f  target <= %.1f: %s\n",
	       ratio, LAT_TARGET, verdict(ratio <= LAT_TARGET));
}

/* Runs every part, or those whose numbers are given (gmem_bench 2 3). */
int main(int argc, char *argv[])
{
	static void (*const parts[])(void) = {
		bench_fault, bench_one_page, bench_bulk, bench_give_back,
		bench_convert, bench_fault_latency,
	};
	const int nr_parts = sizeof(parts) / sizeof(parts[0]);
	uint64_t t0 = now_ns();
	bool run[16] = { false };

	parse_parts(argc, argv, nr_parts, run);

	bench_start("gmem_bench", gmem_metrics);
	require_sw_protected_vm();
	require_private_gmem();

	return run_parts(parts, run, nr_parts, t0);
}
