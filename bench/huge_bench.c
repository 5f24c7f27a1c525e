// SPDX-License-Identifier: GPL-2.0
/*
 * huge_bench: 2 MiB guest_memfd folios, and the 2 MiB nested page table
 * entries KVM maps them with, against 4 KiB folios of the same kind of file,
 * in one boot.  Every guest is a KVM_X86_SW_PROTECTED_VM whose memory under
 * test is one guest_memfd created without GUEST_MEMFD_FLAG_MMAP (the files
 * that get huge folios), all of it PRIVATE, bound at a 2 MiB-aligned GPA
 * from file offset 0, its shared backing (never used) 2 MiB-aligned too, so
 * that nothing but the folio size stops a 2 MiB mapping.
 *
 *  1. Guest first touch of 1 GiB: the guest writes one word per 4 KiB page;
 *     the time of its KVM_RUN, and the VM's pages_2m statistic afterwards.
 *  2. fallocate() of 1 GiB of a new file.
 *  3. Converting one 4 KiB page of a 2 MiB range that the guest has mapped
 *     private to shared, as a VMM does it: KVM_SET_MEMORY_ATTRIBUTES
 *     (attributes 0) of the page, then a punch-hole of it in the guest_memfd
 *     (which splits a 2 MiB folio first).  The mean over 64 conversions,
 *     each in a range of its own.
 *  4. The kernel memory that tracks and maps 1 GiB, from part 1's runs:
 *     KVM's page tables (/proc/meminfo SecPageTables) and the page cache's
 *     xarray nodes (the radix_tree_node slab, active_objs * objsize).
 *
 * The two modes.  "huge": the file as the kernel makes it.  "4K": the
 * module parameter kvm.gmem_huge_pages is read-only and KVM is built in, so
 * the 4 KiB case is made per file instead: a 2 MiB range gets a huge folio
 * only while nothing in it is allocated, so before anything is timed each
 * 2 MiB range of the file gets its first 4 KiB page allocated, and every
 * later allocation in the range is a 4 KiB folio.  Fallocating that page
 * alone would give the empty range a 2 MiB folio, so it is done in two
 * calls per range: fallocate the first 4 KiB (a 2 MiB folio), then punch
 * the other 511 pages (which splits the folio and frees them).  That 1/512
 * of the memory is allocated outside the timed part in the 4K mode; each
 * run prints how many 2 MiB folios the file holds, and pages_2m, which show
 * whether the mode is what it says.  A kernel whose gmem_huge_pages reads N
 * (or has no such parameter) has no huge mode: the program exits 4 (SKIP).
 *
 * Runs of the two modes alternate which goes first.  Each figure is the
 * median of its runs, printed with the interquartile range, minimum,
 * maximum and number of runs; each verdict compares the two medians, as
 * printed before the runs.  Counts: part 1, 3 runs per mode (part 4 reuses
 * them; run alone, part 4 does one per mode); part 2, 5 per mode after an
 * untimed 64 MiB round of each; part 3, 3 runs per mode of 64 timed
 * conversions, after one untimed conversion in each run.  Under TCG the
 * 4K mode's touches of 1 GiB dominate (some 100-400 us per 4 KiB fault,
 * 30-100 s per run): about 3-4 minutes in all on the production bench
 * kernel, longer on the debug one.  One mode's memory at a time: at most
 * 1 GiB of guest_memfd plus 2 MiB, freed (files closed, VM destroyed)
 * before the next run.
 *
 * With arguments, only the parts they number run (huge_bench 1 3).  Exits 0
 * on success, 4 (SKIP) if KVM lacks what is measured, 1 on any error.  The
 * summary lines are bench.h's, every metric decided on the median of its
 * runs; the memory figures of part 4 and the 2 MiB mapping count of part 1
 * are figures to watch ("~"), not targets.
 */

/*
 * /proc/slabinfo is read whole into bench.h's procbuf: give it room for a
 * kernel with many caches.
 */
#define PROCBUF_SIZE	(512 * KiB)

#include "bench.h"
#include <linux/falloc.h>

#define HUGE_PARAM	"/sys/module/kvm/parameters/gmem_huge_pages"
#define HUGE_SIZE	(2 * MiB)

/*
 * Every guest: slot 0 at GPA 0 holds the code (bench.h's guest_code), and
 * its last page is where a new vCPU's first, untimed run writes; the memory
 * under test is slot 1 at TEST_GPA (below 4 GiB for the 32-bit guest).
 */
#define CODE_SIZE	(64 * KiB)
#define SCRATCH_GPA	(CODE_SIZE - PAGE)
#define TEST_SLOT	1
#define TEST_GPA	GiB

/* Part 1 (and 4). */
#define TOUCH_SIZE	GiB
#define TOUCH_REPS	3
#define TOUCH_TARGET	5.0

/* Part 2. */
#define FALLOC_SIZE	GiB
#define FALLOC_WARMUP	(64 * MiB)
#define FALLOC_REPS	5
#define FALLOC_TARGET	1.5

/*
 * Part 3: CONV_RANGES + 1 ranges of 2 MiB, the first one's conversion
 * untimed; the page converted in each is CONV_OFFSET into it.
 */
#define CONV_RANGES	64
#define CONV_REPS	3
#define CONV_OFFSET	(HUGE_SIZE / 2 + 5 * PAGE)
#define CONV_TARGET	2.0

/* Deferred frees (RCU) of the run before get this long before a reading. */
#define SETTLE_US	500000

enum { MODE_HUGE, MODE_4K, NR_MODES };

static const char *const mode_name[NR_MODES] = { "huge", "4K" };

/*
 * The metrics of the summary (bench.h), in the order measured.  The huge
 * mode is the value, the 4K mode the reference; the two timings of 1 GiB
 * are speed-ups (4K / huge).
 */
static const struct metric huge_metrics[] = {
	{ "huge_first_touch_1g", "ms", TARGET(">=", TOUCH_TARGET),
	  STAT_MEDIAN, true },
	/* TOUCH_SIZE / HUGE_SIZE: every 2 MiB range mapped huge */
	{ "huge_pages_2m_1g", "SPTEs", "~512", STAT_MEDIAN },
	{ "huge_fallocate_1g", "ms", TARGET(">=", FALLOC_TARGET), STAT_MEDIAN,
	  true },
	{ "huge_convert_4k", "us", TARGET("<=", CONV_TARGET), STAT_MEDIAN },
	{ "huge_secpagetables_1g", "kB", TARGET("~", 0), STAT_MEDIAN },
	{ "huge_radix_nodes_1g", "kB", TARGET("~", 0), STAT_MEDIAN },
	{ NULL }
};


static void require_huge_folios(void)
{
	if (read_proc(HUGE_PARAM) < 0)
		skip("%s is missing: this kernel has no huge guest_memfd folios",
		     HUGE_PARAM);
	if (procbuf[0] == 'N')
		skip("huge guest_memfd folios are off in this kernel (%s reads N): no huge mode to measure",
		     HUGE_PARAM);
	if (procbuf[0] != 'Y')
		die("%s reads '%.8s', expected Y or N", HUGE_PARAM, procbuf);
	printf("%s: Y (huge folios on)\n", HUGE_PARAM);
}

/* /proc readings: a few vmstat counters and the radix_tree_node slab. */
struct kmem {
	long long secpt_kb, file_huge_kb;
	long long radix_active, radix_num, radix_size;
	bool radix;
};

/* Whether /proc/sys/vm/stat_refresh could be used (it needs root). */
static bool stat_refresh_ok = true;

static long long meminfo_kb(const char *name)
{
	size_t len = strlen(name);
	const char *p = procbuf;

	while (p && *p) {
		if (!strncmp(p, name, len))
			return strtoll(p + len, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	die("/proc/meminfo has no %s line", name);
}

static bool read_radix_nodes(struct kmem *k)
{
	static const char name[] = "radix_tree_node ";
	const char *p = procbuf;

	if (read_proc("/proc/slabinfo") < 0)
		return false;
	while (p && *p) {
		/* name active_objs num_objs objsize ... */
		if (!strncmp(p, name, sizeof(name) - 1))
			return sscanf(p + sizeof(name) - 1, "%lld %lld %lld",
				      &k->radix_active, &k->radix_num,
				      &k->radix_size) == 3;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void read_kmem(struct kmem *k)
{
	/*
	 * Reading stat_refresh folds every CPU's pending vmstat deltas into
	 * the global counters, which otherwise lag by up to a threshold of
	 * pages per CPU and zone: as much as the huge mode's whole figure.
	 */
	if (stat_refresh_ok && read_proc("/proc/sys/vm/stat_refresh") < 0) {
		printf("note: /proc/sys/vm/stat_refresh cannot be read (errno %d): SecPageTables and FileHugePages may lag by the per-CPU vmstat deltas\n",
		       errno);
		stat_refresh_ok = false;
	}
	if (read_proc("/proc/meminfo") < 0)
		die_errno("reading /proc/meminfo");
	k->secpt_kb = meminfo_kb("SecPageTables:");
	k->file_huge_kb = meminfo_kb("FileHugePages:");
	k->radix = read_radix_nodes(k);
}

/* The 2 MiB page cache folios that came between @a and @b. */
static long long huge_folios(const struct kmem *a, const struct kmem *b)
{
	return (b->file_huge_kb - a->file_huge_kb) / (long long)(HUGE_SIZE / KiB);
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off,
		      const char *what)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("reading %s", what);
		if (n == 0)
			die("reading %s: %zu bytes short", what, len);
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
}

/*
 * The guest: code in slot 0, the memory under test in TEST_SLOT, bound to
 * a guest_memfd of @size, and the VM's binary statistics (KVM_GET_STATS_FD)
 * to read the counts of 4 KiB and 2 MiB leaf page table entries from.
 */
struct guest {
	int vm;
	struct vcpu vcpu;
	uint8_t *code;
	int gmem;
	uint64_t size;
	void *shared_map;	/* HUGE_SIZE longer than @size, for alignment */
	int stats_fd;
	uint64_t pages_4k_at, pages_2m_at;	/* offsets in stats_fd */
};

static void stats_open(struct guest *g)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t desc_size;
	char *descs;
	uint32_t i;

	g->stats_fd = ioctl(g->vm, KVM_GET_STATS_FD, NULL);
	if (g->stats_fd < 0)
		die_errno("KVM_GET_STATS_FD(VM)");
	pread_all(g->stats_fd, &h, sizeof(h), 0, "the VM's stats header");
	desc_size = sizeof(*d) + h.name_size;
	descs = malloc(desc_size * h.num_desc);
	if (!descs)
		die("out of memory for %u stats descriptors", h.num_desc);
	pread_all(g->stats_fd, descs, desc_size * h.num_desc, h.desc_offset,
		  "the VM's stats descriptors");

	g->pages_4k_at = g->pages_2m_at = 0;
	for (i = 0; i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * desc_size);
		d->name[h.name_size - 1] = '\0';
		if (!strcmp(d->name, "pages_4k"))
			g->pages_4k_at = h.data_offset + d->offset;
		else if (!strcmp(d->name, "pages_2m"))
			g->pages_2m_at = h.data_offset + d->offset;
	}
	free(descs);
	if (!g->pages_4k_at || !g->pages_2m_at)
		die("the VM's binary stats lack pages_4k or pages_2m");
}

static uint64_t stat_read(struct guest *g, uint64_t at)
{
	uint64_t v;

	pread_all(g->stats_fd, &v, sizeof(v), at, "a VM stat");
	return v;
}

static int gmem_create(int vm, uint64_t size)
{
	/* No GUEST_MEMFD_FLAG_MMAP: the kind of file that gets huge folios. */
	struct kvm_create_guest_memfd args = { .size = size, .flags = 0 };
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		die_errno("KVM_CREATE_GUEST_MEMFD(%s)", size_str(size));
	return fd;
}

static void gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len)
{
	int r;

	/* Both keep what they did when a signal interrupts them. */
	do
		r = fallocate(fd, mode, offset, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die_errno("fallocate(guest_memfd, mode %#x, [%#llx, +%#llx))",
			  mode, (unsigned long long)offset,
			  (unsigned long long)len);
}

static void gmem_allocate(int fd, uint64_t offset, uint64_t len)
{
	gmem_fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, len);
}

static void gmem_punch(int fd, uint64_t offset, uint64_t len)
{
	gmem_fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset,
		       len);
}

/*
 * The 4K mode (see the top of the file): leave the first 4 KiB page of
 * every 2 MiB range of the file allocated, as a 4 KiB folio, and the rest
 * of the range empty.
 */
static void make_small(int fd, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += HUGE_SIZE) {
		gmem_allocate(fd, off, PAGE);
		gmem_punch(fd, off + PAGE, HUGE_SIZE - PAGE);
	}
}

static void *map_anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap(%s anonymous)", size_str(size));
	return p;
}

/* All of it PRIVATE, the file prepared for @mode; nothing timed. */
static void guest_create(struct guest *g, uint64_t size, int mode)
{
	uintptr_t hva;

	g->vm = create_vm();
	g->code = map_anon(CODE_SIZE);
	memcpy(g->code + CODE_GPA, guest_code, sizeof(guest_code));
	set_region(g->vm, 0, 0, CODE_SIZE, g->code, -1, 0);
	vcpu_create(&g->vcpu, g->vm);
	stats_open(g);

	/*
	 * x86 maps a gfn with 2 MiB only where the memslot's userspace_addr
	 * is aligned like its GPA, even for private memory.
	 */
	g->size = size;
	g->gmem = gmem_create(g->vm, size);
	g->shared_map = map_anon(size + HUGE_SIZE);
	hva = ((uintptr_t)g->shared_map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	set_region(g->vm, TEST_SLOT, TEST_GPA, size, (void *)hva, g->gmem, 0);
	set_attrs(g->vm, TEST_GPA, size, PRIVATE);
	if (mode == MODE_4K)
		make_small(g->gmem, size);

	/* A vCPU's first KVM_RUN costs more than its faults: untimed. */
	vcpu_touch(&g->vcpu, SCRATCH_GPA, SCRATCH_GPA + PAGE);
}

/* Gives all of the guest's memory back: the stats fd holds the VM too. */
static void guest_destroy(struct guest *g)
{
	close(g->stats_fd);
	vcpu_destroy(&g->vcpu);
	close(g->gmem);
	close(g->vm);
	munmap(g->shared_map, g->size + HUGE_SIZE);
	munmap(g->code, CODE_SIZE);
}

/* One first touch of TOUCH_SIZE, with the readings around it. */
struct touch_run {
	uint64_t ns, pages_2m, pages_4k;
	long long huge_folios;
	long long secpt_kb, radix_bytes;	/* deltas */
	bool radix;
};

static struct touch_run touch_runs[NR_MODES][TOUCH_REPS];
static int nr_touch_runs[NR_MODES];

static void touch_round(int mode, int rep)
{
	struct touch_run *r = &touch_runs[mode][rep];
	struct kmem k0, k1;
	struct guest g;

	usleep(SETTLE_US);
	read_kmem(&k0);
	guest_create(&g, TOUCH_SIZE, mode);
	r->ns = vcpu_touch(&g.vcpu, TEST_GPA, TEST_GPA + TOUCH_SIZE);
	r->pages_2m = stat_read(&g, g.pages_2m_at);
	r->pages_4k = stat_read(&g, g.pages_4k_at);
	read_kmem(&k1);
	guest_destroy(&g);

	r->huge_folios = huge_folios(&k0, &k1);
	r->secpt_kb = k1.secpt_kb - k0.secpt_kb;
	r->radix = k0.radix && k1.radix;
	r->radix_bytes = r->radix ? (k1.radix_active - k0.radix_active) *
				    k1.radix_size : 0;
	printf("run %d %-4s: guest %.0f ms (%.2f us/page); pages_2m %llu, pages_4k %llu; 2MiB folios %lld; SecPageTables %+lld kB",
	       rep + 1, mode_name[mode], r->ns / 1e6, r->ns / 1e3 / (TOUCH_SIZE / PAGE),
	       (unsigned long long)r->pages_2m,
	       (unsigned long long)r->pages_4k, r->huge_folios, r->secpt_kb);
	if (r->radix)
		printf(", radix_tree_node %+lld objs (%+.1f kB)\n",
		       k1.radix_active - k0.radix_active,
		       r->radix_bytes / 1024.0);
	else
		printf(", radix_tree_node not in /proc/slabinfo\n");
	nr_touch_runs[mode] = rep + 1;
}

static void print_touch_setup(void)
{
	printf("SW-protected VM, 1 vCPU; slot %d: [%#llx, +%s) bound to a new guest_memfd (no GUEST_MEMFD_FLAG_MMAP) from offset 0, shared backing 2MiB-aligned (unused), all PRIVATE\n",
	       TEST_SLOT, (unsigned long long)TEST_GPA, size_str(TOUCH_SIZE));
	printf("4K mode: before the run, each 2MiB range gets its first 4KiB page allocated (fallocate 4KiB, then punch the other 511 pages of the 2MiB folio that gives), so the rest of it comes as 4KiB folios; those %llu pages (1/512) are outside the timed part\n",
	       (unsigned long long)(TOUCH_SIZE / HUGE_SIZE));
	printf("each run: a new VM and file, the guest writes one word per 4KiB page (%llu pages), then the VM and file go; pages_2m/pages_4k from the VM's binary stats after the touch\n",
	       (unsigned long long)(TOUCH_SIZE / PAGE));
}

/* 1. First touch of 1 GiB, with 2 MiB folios and with 4 KiB ones. */
static void bench_touch(void)
{
	uint64_t t[NR_MODES][TOUCH_REPS], p2m[NR_MODES][TOUCH_REPS];
	struct stats ms[NR_MODES], huge_p2m;
	double ratio;
	int rep, i, k;

	printf("== 1. guest first touch of %s of private memory: 2MiB folios (huge) vs 4KiB folios (4K)\n",
	       size_str(TOUCH_SIZE));
	print_touch_setup();
	printf("%d runs per mode, alternating which goes first; verdict: median 4K time / median huge time, target >= %.1f\n",
	       TOUCH_REPS, TOUCH_TARGET);

	for (rep = 0; rep < TOUCH_REPS; rep++)
		for (i = 0; i < NR_MODES; i++)
			touch_round(i ^ (rep & 1), rep);

	for (k = 0; k < NR_MODES; k++) {
		char what[64];

		for (rep = 0; rep < TOUCH_REPS; rep++) {
			t[k][rep] = touch_runs[k][rep].ns;
			p2m[k][rep] = touch_runs[k][rep].pages_2m;
		}
		snprintf(what, sizeof(what), "%s, guest time (ms):",
			 mode_name[k]);
		ms[k] = spread(what, t[k], TOUCH_REPS, 1e6, "ms");
	}
	/* stats_of() sorts: [0] is the minimum, the last the maximum */
	huge_p2m = stats_of(p2m[MODE_HUGE], TOUCH_REPS, 1);
	median(p2m[MODE_4K], TOUCH_REPS);
	printf("pages_2m after the touch (of %llu 2MiB ranges): huge %llu-%llu, 4K %llu-%llu (min-max over the runs)\n",
	       (unsigned long long)(TOUCH_SIZE / HUGE_SIZE),
	       (unsigned long long)p2m[MODE_HUGE][0],
	       (unsigned long long)p2m[MODE_HUGE][TOUCH_REPS - 1],
	       (unsigned long long)p2m[MODE_4K][0],
	       (unsigned long long)p2m[MODE_4K][TOUCH_REPS - 1]);
	if (p2m[MODE_HUGE][0] < TOUCH_SIZE / HUGE_SIZE)
		printf("note: a huge run mapped fewer than %llu 2MiB pages: see its count of 2MiB folios (a failed 2MiB allocation falls back to 4KiB folios)\n",
		       (unsigned long long)(TOUCH_SIZE / HUGE_SIZE));
	if (p2m[MODE_4K][TOUCH_REPS - 1])
		printf("note: a 4K run has 2MiB mappings: the 4K mode was not all 4KiB\n");

	ratio = add_result("huge_first_touch_1g", &ms[MODE_HUGE], &ms[MODE_4K],
			   1, 1);
	printf("ratio 4K / huge (guest time, medians): %.1f  target >= %.1f: %s\n",
	       ratio, TOUCH_TARGET, verdict(ratio >= TOUCH_TARGET));
	add_result("huge_pages_2m_1g", &huge_p2m, NULL, 0, 0);
}

/* Returns the ns fallocate() of all of a new file of @size took. */
static uint64_t time_fallocate(int vm, int mode, uint64_t size,
			       long long *folios)
{
	int fd = gmem_create(vm, size);
	struct kmem k0, k1;
	uint64_t t0, t;

	if (mode == MODE_4K)
		make_small(fd, size);
	read_kmem(&k0);
	t0 = now_ns();
	gmem_allocate(fd, 0, size);
	t = now_ns() - t0;
	read_kmem(&k1);
	close(fd);
	*folios = huge_folios(&k0, &k1);
	return t;
}

/* 2. fallocate() of 1 GiB. */
static void bench_fallocate(void)
{
	uint64_t t[NR_MODES][FALLOC_REPS];
	struct stats ms[NR_MODES];
	long long folios;
	double ratio;
	int vm, rep, i, k;

	printf("== 2. fallocate() of %s of a new guest_memfd: huge vs 4K\n",
	       size_str(FALLOC_SIZE));
	printf("each run: a new file (no GUEST_MEMFD_FLAG_MMAP), one fallocate(KEEP_SIZE) over all of it (timed), closed; 4K mode: the first 4KiB of each 2MiB range allocated before (untimed, as in part 1), so the timed call allocates the other 511/512\n");
	printf("%d runs per mode, alternating which goes first, after an untimed %s round of each; verdict: median 4K time / median huge time, target >= %.1f\n",
	       FALLOC_REPS, size_str(FALLOC_WARMUP), FALLOC_TARGET);

	vm = create_vm();
	for (k = 0; k < NR_MODES; k++)
		time_fallocate(vm, k, FALLOC_WARMUP, &folios);
	for (rep = 0; rep < FALLOC_REPS; rep++) {
		for (i = 0; i < NR_MODES; i++) {
			k = i ^ (rep & 1);
			t[k][rep] = time_fallocate(vm, k, FALLOC_SIZE, &folios);
			printf("run %d %-4s: %.1f ms (%.0f MiB/s); 2MiB folios allocated %lld\n",
			       rep + 1, mode_name[k], t[k][rep] / 1e6,
			       (double)FALLOC_SIZE / MiB * NSEC / t[k][rep],
			       folios);
		}
	}
	close(vm);

	for (k = 0; k < NR_MODES; k++) {
		char what[64];

		snprintf(what, sizeof(what), "%s, fallocate (ms):",
			 mode_name[k]);
		ms[k] = spread(what, t[k], FALLOC_REPS, 1e6, "ms");
	}
	ratio = add_result("huge_fallocate_1g", &ms[MODE_HUGE], &ms[MODE_4K],
			   1, 2);
	printf("ratio 4K / huge (fallocate time, medians): %.2f  target >= %.1f: %s\n",
	       ratio, FALLOC_TARGET, verdict(ratio >= FALLOC_TARGET));
}

/* The ns of each timed conversion of one run, and its two steps. */
struct conv_run {
	uint64_t total[CONV_RANGES];
	uint64_t attrs_sum, punch_sum;
};

/*
 * One run: a guest with CONV_RANGES + 1 ranges of 2 MiB, all private and
 * touched by the guest, then one page of each converted to shared.  Returns
 * the mean ns of a timed conversion.
 */
static uint64_t conv_round(int mode, int rep, struct conv_run *c)
{
	uint64_t size = (CONV_RANGES + 1) * HUGE_SIZE, sum = 0, t0, t1, t2;
	uint64_t touch, p2m_before, p2m_after;
	struct guest g;
	int i;

	guest_create(&g, size, mode);
	touch = vcpu_touch(&g.vcpu, TEST_GPA, TEST_GPA + size);
	p2m_before = stat_read(&g, g.pages_2m_at);

	c->attrs_sum = c->punch_sum = 0;
	for (i = 0; i <= CONV_RANGES; i++) {
		uint64_t off = i * HUGE_SIZE + CONV_OFFSET;

		t0 = now_ns();
		set_attrs(g.vm, TEST_GPA + off, PAGE, 0);
		t1 = now_ns();
		gmem_punch(g.gmem, off, PAGE);
		t2 = now_ns();
		/* The first conversion of the VM: a warm-up, untimed. */
		if (!i)
			continue;
		c->total[i - 1] = t2 - t0;
		c->attrs_sum += t1 - t0;
		c->punch_sum += t2 - t1;
		sum += t2 - t0;
	}
	p2m_after = stat_read(&g, g.pages_2m_at);
	guest_destroy(&g);

	printf("run %d %-4s: setup touch %.0f ms; pages_2m %llu before, %llu after; conversion mean %.1f us (attributes %.1f + punch %.1f)\n",
	       rep + 1, mode_name[mode], touch / 1e6,
	       (unsigned long long)p2m_before, (unsigned long long)p2m_after,
	       sum / 1e3 / CONV_RANGES, c->attrs_sum / 1e3 / CONV_RANGES,
	       c->punch_sum / 1e3 / CONV_RANGES);
	return sum / CONV_RANGES;
}

/* 3. Converting one 4 KiB page of a mapped private 2 MiB range. */
static void bench_convert(void)
{
	static struct conv_run runs[NR_MODES][CONV_REPS];
	static uint64_t pooled[NR_MODES][CONV_REPS * CONV_RANGES];
	uint64_t mean[NR_MODES][CONV_REPS];
	uint64_t attrs[CONV_REPS], punch[CONV_REPS];
	struct stats us[NR_MODES];
	double ratio;
	int rep, i, k;

	printf("== 3. converting one 4KiB page of a private 2MiB range that the guest has mapped to shared: huge vs 4K\n");
	printf("each run: a new VM and file of %d 2MiB ranges at GPA %#llx, all PRIVATE (4K mode prepared as in part 1), every page touched by the guest (untimed); then in each range the page at +%#llx: KVM_SET_MEMORY_ATTRIBUTES(0) of it, then punch-hole of it in the guest_memfd (with huge, this splits the 2MiB folio), timed together\n",
	       CONV_RANGES + 1, (unsigned long long)TEST_GPA,
	       (unsigned long long)CONV_OFFSET);
	printf("the first range's conversion is a warm-up (untimed); a run's figure is the mean of its %d timed conversions; %d runs per mode, alternating which goes first; verdict: median huge / median 4K of the run means, target <= %.1f\n",
	       CONV_RANGES, CONV_REPS, CONV_TARGET);

	for (rep = 0; rep < CONV_REPS; rep++) {
		for (i = 0; i < NR_MODES; i++) {
			k = i ^ (rep & 1);
			mean[k][rep] = conv_round(k, rep, &runs[k][rep]);
			memcpy(pooled[k] + rep * CONV_RANGES,
			       runs[k][rep].total, sizeof(runs[k][rep].total));
		}
	}

	for (k = 0; k < NR_MODES; k++) {
		char what[64];

		snprintf(what, sizeof(what), "%s, conversion (us):",
			 mode_name[k]);
		us[k] = spread(what, mean[k], CONV_REPS, 1e3, "us");
	}
	for (k = 0; k < NR_MODES; k++) {
		for (rep = 0; rep < CONV_REPS; rep++) {
			attrs[rep] = runs[k][rep].attrs_sum / CONV_RANGES;
			punch[rep] = runs[k][rep].punch_sum / CONV_RANGES;
		}
		printf("context: %-4s medians of the run means: attributes %.1f us, punch %.1f us; all %d conversions pooled: median %.1f us\n",
		       mode_name[k], median(attrs, CONV_REPS) / 1e3,
		       median(punch, CONV_REPS) / 1e3, CONV_REPS * CONV_RANGES,
		       median(pooled[k], CONV_REPS * CONV_RANGES) / 1e3);
	}
	ratio = add_result("huge_convert_4k", &us[MODE_HUGE], &us[MODE_4K], 1, 2);
	printf("ratio huge / 4K (conversion time, medians of the run means): %.2f  target <= %.1f: %s\n",
	       ratio, CONV_TARGET, verdict(ratio <= CONV_TARGET));
}

/* A delta as a median-able figure: a negative one (frees elsewhere) is 0. */
static uint64_t clamp(long long v, bool *clamped)
{
	if (v >= 0)
		return v;
	*clamped = true;
	return 0;
}

/* 4. Kernel memory to track and map 1 GiB, from part 1's runs. */
static void bench_kmem(void)
{
	uint64_t secpt[NR_MODES][TOUCH_REPS], radix[NR_MODES][TOUCH_REPS];
	struct stats kb_secpt[NR_MODES], kb_radix[NR_MODES];
	bool clamped = false, have_radix = true;
	int n, rep, k;

	printf("== 4. kernel memory to track and map %s of private memory: KVM's page tables (SecPageTables) and the page cache's xarray nodes (radix_tree_node slab)\n",
	       size_str(TOUCH_SIZE));
	printf("each figure: the reading after the guest touched all of it minus the one before the VM and the file were created (%d ms after the run before); vmstat counters folded first (/proc/sys/vm/stat_refresh); slab bytes = active_objs * objsize\n",
	       SETTLE_US / 1000);
	if (!nr_touch_runs[MODE_HUGE] || !nr_touch_runs[MODE_4K]) {
		printf("part 1 did not run: one run per mode here, huge first (its figures as in part 1)\n");
		print_touch_setup();
		for (k = 0; k < NR_MODES; k++)
			touch_round(k, 0);
	} else {
		printf("from part 1's runs\n");
	}
	n = nr_touch_runs[MODE_HUGE] < nr_touch_runs[MODE_4K] ?
	    nr_touch_runs[MODE_HUGE] : nr_touch_runs[MODE_4K];

	for (k = 0; k < NR_MODES; k++) {
		char what[64];

		for (rep = 0; rep < n; rep++) {
			const struct touch_run *r = &touch_runs[k][rep];

			secpt[k][rep] = clamp(r->secpt_kb, &clamped);
			radix[k][rep] = clamp(r->radix_bytes, &clamped);
			have_radix &= r->radix;
		}
		snprintf(what, sizeof(what), "%s, SecPageTables (kB):",
			 mode_name[k]);
		kb_secpt[k] = spread(what, secpt[k], n, 1, "kB");
		if (!have_radix)
			continue;
		snprintf(what, sizeof(what), "%s, radix_tree_node (kB):",
			 mode_name[k]);
		kb_radix[k] = spread(what, radix[k], n, KiB, "kB");
	}
	if (clamped)
		printf("note: a negative delta (memory freed elsewhere in the window) was counted as 0\n");
	printf("for scale: 4KiB mappings of %s take %llu last-level page-table pages (%llu kB), 2MiB mappings none; a page cache of 4KiB entries over it takes at least %llu xarray leaf nodes, of 2MiB entries none\n",
	       size_str(TOUCH_SIZE),
	       (unsigned long long)(TOUCH_SIZE / HUGE_SIZE),
	       (unsigned long long)(TOUCH_SIZE / HUGE_SIZE * PAGE / KiB),
	       (unsigned long long)(TOUCH_SIZE / PAGE / 64));
	printf("ratio huge / 4K (medians, figures, no target: info): SecPageTables %.3f",
	       add_result("huge_secpagetables_1g", &kb_secpt[MODE_HUGE],
			  &kb_secpt[MODE_4K], 0, 3));
	if (!have_radix) {
		printf("; radix_tree_node: not measured (no radix_tree_node line in /proc/slabinfo: not root, or no CONFIG_SLUB_DEBUG)\n");
		return;
	}
	printf(", radix_tree_node %.3f\n",
	       add_result("huge_radix_nodes_1g", &kb_radix[MODE_HUGE],
			  &kb_radix[MODE_4K], 1, 3));
}

/* Runs every part, or those whose numbers are given (huge_bench 1 3). */
int main(int argc, char *argv[])
{
	static void (*const parts[])(void) = {
		bench_touch, bench_fallocate, bench_convert, bench_kmem,
	};
	const int nr_parts = sizeof(parts) / sizeof(parts[0]);
	uint64_t t0 = now_ns();
	bool run[8] = { false };

	parse_parts(argc, argv, nr_parts, run);

	bench_start("huge_bench", huge_metrics);
	require_sw_protected_vm();
	require_private_gmem();
	require_huge_folios();

	return run_parts(parts, run, nr_parts, t0);
}
