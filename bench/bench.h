/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks of bench/ share: the KVM uAPI numbers that older
 * headers lack (upstream's, shared/abi.md), error exits, timing, sizes,
 * the SW-protected VM and its attributes, a /proc reader, a vCPU running a
 * tiny hand-assembled guest, and the summary lines that end each program.
 *
 * Everything is static and marked unused (or static inline), so that a
 * program that does not use something builds without -Wall warnings.
 * A program may define PROCBUF_SIZE before including this file.
 */
#ifndef BENCH_H
#define BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The guest_memfd uAPI where the headers lack it: the VMM's fallbacks. */
#include "../vmm/compat.h"

#define PRIVATE		KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define TiB		(1ULL << 40)
#define PAGE		(4 * KiB)
#define NSEC		1000000000ULL

/* Where the guest's code sits (in a memslot of the program's own). */
#define CODE_GPA	0x1000ULL

#define UNUSED		__attribute__((unused))

static UNUSED int kvm_fd;

/* Why the program stopped early: the reason of its not-run summary lines. */
static char stop_reason[256];

/*
 * Prints "<prefix><message>", then " failed: errno <e> (...)" if @e >= 0,
 * keeps that line (cut to fit) in stop_reason and exits with @code.
 */
static void __attribute__((noreturn, format(printf, 4, 0)))
vstop(int code, const char *prefix, int e, const char *fmt, va_list ap)
{
	va_list aq;
	size_t len;

	va_copy(aq, ap);
	len = snprintf(stop_reason, sizeof(stop_reason), "%s", prefix);
	vsnprintf(stop_reason + len, sizeof(stop_reason) - len, fmt, aq);
	va_end(aq);
	printf("%s", prefix);
	vprintf(fmt, ap);
	if (e >= 0) {
		len = strlen(stop_reason);
		snprintf(stop_reason + len, sizeof(stop_reason) - len,
			 " failed: errno %d (%s)", e, strerror(e));
		printf(" failed: errno %d (%s)", e, strerror(e));
	}
	printf("\n");
	exit(code);
}

static UNUSED void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstop(1, "error: ", -1, fmt, ap);
}

/* Like die(), for a failed call: adds errno as it was on entry. */
static UNUSED void __attribute__((noreturn, format(printf, 1, 2)))
die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vstop(1, "error: ", e, fmt, ap);
}

/* Exits 4 (SKIP): KVM lacks what the program measures. */
static UNUSED void __attribute__((noreturn, format(printf, 1, 2)))
skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstop(4, "SKIP: ", -1, fmt, ap);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v, so that v[0] is the minimum afterwards. */
static inline uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The quartiles of @v, sorted (median() sorts): the nearest-rank values at a
 * quarter and three quarters.  Their difference, the interquartile range,
 * is the spread printed beside a median.
 */
static UNUSED void quartiles(const uint64_t *v, int n, uint64_t *q1,
			     uint64_t *q3)
{
	*q1 = v[(n - 1) / 4];
	*q3 = v[(3 * (n - 1) + 3) / 4];
}

/*
 * The figures of a metric's repetitions, in its unit: their number, minimum,
 * quartiles (median() and quartiles()) and maximum.  n 1 is a figure
 * measured once, which has no spread; n 0 a figure that was not measured at
 * all but is given (a size to compare with).
 */
struct stats {
	int n;
	double min, q1, median, q3, max;
};

/* The figures of the @n repetitions @v (sorted here), each divided by @div. */
static UNUSED struct stats stats_of(uint64_t *v, int n, double div)
{
	uint64_t med = median(v, n), q1, q3;

	quartiles(v, n, &q1, &q3);
	return (struct stats){
		.n = n, .min = v[0] / div, .q1 = q1 / div, .median = med / div,
		.q3 = q3 / div, .max = v[n - 1] / div,
	};
}

/* A figure measured once. */
static UNUSED struct stats stats_one(double v)
{
	return (struct stats){
		.n = 1, .min = v, .q1 = v, .median = v, .q3 = v, .max = v,
	};
}

/* A figure given, not measured (n 0). */
static UNUSED struct stats stats_given(double v)
{
	struct stats s = stats_one(v);

	s.n = 0;
	return s;
}

/*
 * @k / x for every figure x of @s, e.g. ns per run into pages per second:
 * the order reverses, so the minimum comes from the maximum.  Exact for the
 * quartiles, and for the median of an odd number of repetitions.
 */
static UNUSED struct stats stats_recip(struct stats s, double k)
{
	return (struct stats){
		.n = s.n, .min = k / s.max, .q1 = k / s.q3,
		.median = k / s.median, .q3 = k / s.q1, .max = k / s.min,
	};
}

/*
 * Print @what: the median of @v (sorted here), with the interquartile range,
 * the minimum and maximum and the number of runs, each divided by @div and
 * in @unit.  Returns those figures (divided).
 */
static UNUSED struct stats spread(const char *what, uint64_t *v, int n,
				  double div, const char *unit)
{
	struct stats s = stats_of(v, n, div);

	printf("%-30s median %.2f %s  (IQR %.2f-%.2f, min %.2f, max %.2f, %d runs)\n",
	       what, s.median, unit, s.q1, s.q3, s.min, s.max, n);
	return s;
}

static UNUSED const char *size_str(uint64_t bytes)
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

/*
 * The summary: a program ends with one line per metric of its table,
 *	result <metric> <value> <unit> <reference> <ratio> <target> <stat>
 *	       <n> <min> <q1> <median> <q3>
 *	       <ref-n> <ref-min> <ref-q1> <ref-median> <ref-q3>
 * all on one line, the fields separated by single spaces, none empty or with
 * a space in it, "-" where there is no figure, for scripts to split
 * (scripts/report/bench-report.py):
 *  - <stat> is the statistic of the metric's repetitions that its verdict
 *    is decided on, declared in the program's table of metrics before
 *    anything runs: "median", "max" (the worst repetition), or "single" for
 *    a figure measured once.
 *  - <value> is that statistic of what was measured, in <unit>; <n> is the
 *    number of repetitions, <min> their minimum, <q1> to <q3> their
 *    interquartile range and <median> their median.  A figure measured once
 *    has n 1 and no spread: "-" for the four.
 *  - <reference> is the same statistic of the figure of the same run that
 *    the value is compared with, in the same unit, and <ref-n> to <ref-q3>
 *    describe its repetitions as above; a reference that is given rather
 *    than measured (the size that was allocated) has "-" for all five.
 *    <ratio> is value / reference, or reference / value for a metric that
 *    is a speed-up (its table says so).  A metric without an in-run
 *    reference has "-" for the reference, the ratio and the five.
 *  - <target> is "<=X" or ">=X", which the ratio (or, without one, the
 *    value) meets or misses; "~X" for a figure to watch, not to meet; or
 *    "base<=X" for a metric whose reference is the same metric measured on
 *    the unpatched base kernel, in another boot: the report takes the ratio
 *    of the two (bench-report.py --base).
 * The verdicts are "met", "MISSED", "info" (nothing to meet: "~X", or
 * "base<=X" without the base kernel's figure) and "not-run", in the
 * programs' own lines as in the report.  A metric that was not measured
 * (the program skipped, or died before it got there) has "-" for every
 * figure, its <stat> as declared, and the reason after the last field, up
 * to the end of the line:
 *	result <metric> - <unit> - - <target> <stat> - - - - - - - - - - not-run: <reason>
 * bench_start() sets an atexit() handler that prints the summary of a
 * program that exits before printing it, so that no metric goes missing.
 */
enum statistic { STAT_MEDIAN = 1, STAT_MAX, STAT_SINGLE };

static const char *const stat_name[] = {
	[STAT_MEDIAN] = "median", [STAT_MAX] = "max", [STAT_SINGLE] = "single",
};

struct metric {
	const char *name, *unit, *target;
	enum statistic stat;
	/* The ratio is reference / value: how many times as fast. */
	bool speedup;
};

struct result {
	struct stats value, ref;
	double ratio;
	int decimals, ratio_decimals;
	bool measured, has_ref;
};

#define MAX_METRICS	16
/* The ratio of a metric that has no in-run reference. */
#define NO_REF		NAN

/* A target from a #define: TARGET("<=", SET_TARGET) is "<=4.0". */
#define TARGET_STR(x)	#x
#define TARGET(op, x)	op TARGET_STR(x)

static const struct metric *metrics;
static struct result results[MAX_METRICS];
static int nr_metrics;
static bool results_printed;

/* The figure of @s that @stat decides on. */
static double stat_value(const struct stats *s, enum statistic stat)
{
	return stat == STAT_MAX ? s->max : s->median;
}

/*
 * Records the metric @name: @value, and the in-run reference @ref that it
 * is compared with unless that is NULL, in the metric's unit, printed with
 * @decimals.  The ratio is taken on the metric's statistic and printed with
 * @ratio_decimals.  Returns the ratio as printed, so that the program's own
 * verdict is the report's; NO_REF without a reference (or with one of 0).
 */
static UNUSED double add_result(const char *name, const struct stats *value,
				const struct stats *ref, int decimals,
				int ratio_decimals)
{
	const struct metric *m;
	struct result *r;
	double v, rv;
	char buf[64];
	int i;

	for (i = 0; i < nr_metrics; i++)
		if (!strcmp(metrics[i].name, name))
			break;
	if (i == nr_metrics)
		die("no metric %s in the table given to bench_start()", name);
	m = &metrics[i];
	if (m->stat == STAT_SINGLE && (value->n != 1 || (ref && ref->n > 1)))
		die("metric %s is a single measurement, given %d repetitions",
		    name, value->n);
	r = &results[i];
	*r = (struct result){
		.value = *value, .ratio = NO_REF, .decimals = decimals,
		.ratio_decimals = ratio_decimals, .measured = true,
		.has_ref = ref != NULL,
	};
	if (!ref)
		return NO_REF;
	r->ref = *ref;
	v = stat_value(value, m->stat);
	rv = stat_value(ref, m->stat);
	if ((m->speedup ? v : rv) == 0)
		return NO_REF;
	snprintf(buf, sizeof(buf), "%.*f", ratio_decimals,
		 m->speedup ? rv / v : v / rv);
	r->ratio = strtod(buf, NULL);
	return r->ratio;
}

/* How many targets were checked, and missed, by verdict(). */
static int nr_targets, nr_missed;

/* "met" or "MISSED", counting the target for print_targets(). */
static UNUSED const char *verdict(bool met)
{
	nr_targets++;
	if (!met)
		nr_missed++;
	return met ? "met" : "MISSED";
}

static UNUSED void print_targets(void)
{
	printf("targets: %d met, %d MISSED\n", nr_targets - nr_missed,
	       nr_missed);
}

/*
 * Which of @nr_parts parts to run: those numbered on the command line
 * (prog 2 3), or all of them.  Exits 2 on a bad number.
 */
static UNUSED void parse_parts(int argc, char *argv[], int nr_parts,
			       bool *run)
{
	int i;

	for (i = 0; i < nr_parts; i++)
		run[i] = argc == 1;
	for (i = 1; i < argc; i++) {
		int n = atoi(argv[i]);

		if (n < 1 || n > nr_parts) {
			fprintf(stderr, "usage: %s [PART...] (parts 1 to %d)\n",
				argv[0], nr_parts);
			exit(2);
		}
		run[n - 1] = true;
	}
}

static UNUSED void print_results(void);

/*
 * Runs the parts that parse_parts() chose, then prints the targets, the
 * summary lines and the time since @t0; the program's return value.
 */
static UNUSED int run_parts(void (*const parts[])(void), const bool *run,
			    int nr_parts, uint64_t t0)
{
	int i;

	for (i = 0; i < nr_parts; i++)
		if (run[i])
			parts[i]();
	print_targets();
	print_results();
	printf("total %.1f s\n", (now_ns() - t0) / (double)NSEC);
	return 0;
}

/* " <n> <min> <q1> <median> <q3>" of @s; "-" for what it does not have. */
static void print_stats(const struct stats *s, int decimals)
{
	if (!s || s->n < 1) {
		printf(" - - - - -");
		return;
	}
	if (s->n == 1) {
		printf(" 1 - - - -");
		return;
	}
	printf(" %d %.*f %.*f %.*f %.*f", s->n, decimals, s->min, decimals,
	       s->q1, decimals, s->median, decimals, s->q3);
}

static UNUSED void print_results(void)
{
	char *nl;
	int i;

	results_printed = true;
	while ((nl = strchr(stop_reason, '\n')))
		*nl = ' ';
	for (i = 0; i < nr_metrics; i++) {
		const struct metric *m = &metrics[i];
		const struct result *r = &results[i];

		if (!r->measured) {
			printf("result %s - %s - - %s %s - - - - - - - - - - not-run: %s\n",
			       m->name, m->unit, m->target, stat_name[m->stat],
			       *stop_reason ? stop_reason : "not measured");
			continue;
		}
		printf("result %s %.*f %s", m->name, r->decimals,
		       stat_value(&r->value, m->stat), m->unit);
		if (r->has_ref)
			printf(" %.*f", r->decimals,
			       stat_value(&r->ref, m->stat));
		else
			printf(" -");
		if (isnan(r->ratio))
			printf(" -");
		else
			printf(" %.*f", r->ratio_decimals, r->ratio);
		printf(" %s %s", m->target, stat_name[m->stat]);
		print_stats(&r->value, r->decimals);
		print_stats(r->has_ref ? &r->ref : NULL, r->decimals);
		printf("\n");
	}
}

static void print_results_at_exit(void)
{
	if (!results_printed)
		print_results();
}

/*
 * Prints "<name> on <release> <version>" and opens /dev/kvm into kvm_fd.
 * @table lists the metrics of the summary, in the order printed, each with
 * its statistic, and ends with { NULL }.  Errors and results come out in
 * order, whatever stdout is.
 */
static UNUSED void bench_start(const char *name, const struct metric *table)
{
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (metrics = table; metrics[nr_metrics].name; nr_metrics++) {
		if (nr_metrics == MAX_METRICS)
			die("more than %d metrics", MAX_METRICS);
		if (!metrics[nr_metrics].stat)
			die("metric %s declares no statistic",
			    metrics[nr_metrics].name);
	}
	atexit(print_results_at_exit);
	uname(&u);
	printf("%s on %s %s\n", name, u.release, u.version);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die_errno("open(/dev/kvm)");
}

/* Exits 4 (SKIP) if KVM lacks KVM_X86_SW_PROTECTED_VM. */
static UNUSED void require_sw_protected_vm(void)
{
	int types = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);

	if (types < 0)
		die_errno("KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES)");
	if (!(types & (1 << KVM_X86_SW_PROTECTED_VM)))
		skip("/dev/kvm lacks KVM_X86_SW_PROTECTED_VM (KVM_CAP_VM_TYPES = %#x)",
		     types);
}

/* An error if KVM_CAP_MEMORY_ATTRIBUTES lacks PRIVATE. */
static UNUSED void require_private_attrs(void)
{
	int attrs = ioctl(kvm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_MEMORY_ATTRIBUTES);

	if (attrs < 0)
		die_errno("KVM_CHECK_EXTENSION(KVM_CAP_MEMORY_ATTRIBUTES)");
	if (!(attrs & PRIVATE))
		die("KVM_CAP_MEMORY_ATTRIBUTES is %#x, without KVM_MEMORY_ATTRIBUTE_PRIVATE",
		    attrs);
}

/* SKIP without KVM_CAP_GUEST_MEMFD; an error without private attributes. */
static UNUSED void require_private_gmem(void)
{
	int gmem = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);

	if (gmem < 0)
		die_errno("KVM_CHECK_EXTENSION(KVM_CAP_GUEST_MEMFD)");
	if (gmem != 1)
		skip("/dev/kvm lacks KVM_CAP_GUEST_MEMFD (%d)", gmem);
	require_private_attrs();
}

static UNUSED int create_vm(void)
{
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);

	if (vm < 0)
		die_errno("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)");
	return vm;
}

static UNUSED void set_attrs(int vm, uint64_t gpa, uint64_t size,
			     uint64_t attrs)
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

/*
 * A memslot of @vm; bound to the guest_memfd @gmem_fd from @gmem_offset on
 * unless @gmem_fd is -1.
 */
static UNUSED void set_region(int vm, uint32_t slot, uint64_t gpa, uint64_t size,
			      void *hva, int gmem_fd, uint64_t gmem_offset)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = slot,
		.flags = gmem_fd >= 0 ? KVM_MEM_GUEST_MEMFD : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
		.guest_memfd_offset = gmem_fd >= 0 ? gmem_offset : 0,
		.guest_memfd = gmem_fd >= 0 ? gmem_fd : 0,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region))
		die_errno("KVM_SET_USER_MEMORY_REGION2(slot %u, [%#llx, +%s), guest_memfd offset %#llx)",
			  slot, (unsigned long long)gpa, size_str(size),
			  (unsigned long long)gmem_offset);
}

/* /proc and /sys files, read whole with plain read() into procbuf. */
#ifndef PROCBUF_SIZE
#define PROCBUF_SIZE	(64 * KiB)
#endif

static UNUSED char procbuf[PROCBUF_SIZE];

/* 0, or -1 if @path cannot be opened or read; procbuf ends with a NUL. */
static UNUSED int read_proc(const char *path)
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

/*
 * The guest: 32-bit protected mode, paging off, running from CODE_GPA
 *	1:	mov	[ebx], eax
 *		add	ebx, 0x1000
 *		cmp	ebx, ecx
 *		jb	1b
 *		hlt
 */
static UNUSED const uint8_t guest_code[] = {
	0x89, 0x03,
	0x81, 0xc3, 0x00, 0x10, 0x00, 0x00,
	0x39, 0xcb,
	0x72, 0xf4,
	0xf4,
};

/* The guest's one vCPU, with its kvm_run mapped. */
struct vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

static UNUSED void flat_segment(struct kvm_segment *seg, int selector,
				int type)
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

/* vCPU 0 of @vm, in flat 32-bit protected mode with paging off. */
static UNUSED void vcpu_create(struct vcpu *v, int vm)
{
	struct kvm_sregs sregs;
	int size;

	v->fd = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (v->fd < 0)
		die_errno("KVM_CREATE_VCPU");
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		die_errno("KVM_GET_VCPU_MMAP_SIZE (got %d)", size);
	v->run_size = size;
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		die_errno("mmap(vCPU kvm_run)");

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
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
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		die_errno("KVM_SET_SREGS");
}

static UNUSED void vcpu_destroy(struct vcpu *v)
{
	munmap(v->run, v->run_size);
	close(v->fd);
}

/*
 * Runs guest_code (at CODE_GPA) to write a word to each page of
 * [start, end); returns the ns KVM_RUN took.
 */
static UNUSED uint64_t vcpu_touch(struct vcpu *v, uint64_t start,
				  uint64_t end)
{
	struct kvm_regs regs = {
		.rip = CODE_GPA,
		.rflags = 2,
		.rax = 0x5a5a5a5a,
		.rbx = start,
		.rcx = end,
	};
	const __u64 *fault = (const __u64 *)&v->run->hw;
	uint64_t t0, t;
	int r, e;

	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		die_errno("KVM_SET_REGS");
	t0 = now_ns();
	do
		r = ioctl(v->fd, KVM_RUN, 0);
	while (r < 0 && errno == EINTR);
	t = now_ns() - t0;
	if (r < 0) {
		e = errno;
		/* memory_fault is { flags, gpa, size } at the union's start */
		if (v->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
			printf("KVM_EXIT_MEMORY_FAULT: flags %#llx gpa %#llx size %#llx\n",
			       (unsigned long long)fault[0],
			       (unsigned long long)fault[1],
			       (unsigned long long)fault[2]);
		errno = e;
		die_errno("KVM_RUN");
	}
	if (v->run->exit_reason != KVM_EXIT_HLT)
		die("KVM_RUN: exit reason %u (data %#llx), expected KVM_EXIT_HLT (%d)",
		    v->run->exit_reason, (unsigned long long)fault[0],
		    KVM_EXIT_HLT);
	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		die_errno("KVM_GET_REGS");
	if (regs.rbx != end)
		die("the guest halted with ebx %#llx, expected %#llx",
		    (unsigned long long)regs.rbx, (unsigned long long)end);
	return t;
}

#endif /* BENCH_H */
