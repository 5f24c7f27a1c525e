// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-vmm: a small reference VMM for guest_memfd.  By default
 * (--ram=convert) it runs a KVM_X86_SW_PROTECTED_VM guest whose data memory
 * is a guest_memfd (the private side) plus a memfd (the shared side), lets
 * the guest convert it back and forth with KVM_HC_MAP_GPA_RANGE, and shows
 * that the host holds one copy of guest memory throughout.  With
 * --ram=gmem it runs a KVM_X86_DEFAULT_VM whose whole RAM is one
 * guest_memfd that the VMM maps, and shows the same.  The exit status says
 * how the run ended (enum vmm_status); --inject=hwpoison shows the ending
 * of a memory error in guest RAM.  See README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

struct options {
	enum ram_mode mode;
	unsigned long mem_mib;
	unsigned long nr_vcpus;
	unsigned long rounds;
	bool hwpoison;
};

static const char *const ram_modes[] = {
	[RAM_CONVERT] = "convert",
	[RAM_GMEM] = "gmem",
};

#define MIN_MEM_MIB	4
#define MAX_MEM_MIB	(MAX_RAM_GIB * 1024)

static const char usage[] =
	"Usage: gmem-vmm [OPTION]...\n"
	"Run a guest whose RAM is guest_memfd and show that the host holds it once.\n"
	"\n"
	"--ram=convert (the default): a KVM_X86_SW_PROTECTED_VM whose RAM is a\n"
	"guest_memfd (private) plus a memfd (shared).  In every round, each vCPU\n"
	"converts half of its part of RAM from private to shared and back with\n"
	"KVM_HC_MAP_GPA_RANGE, checking the data on both sides; the VMM frees the\n"
	"side that a range leaves and prints the host memory it holds after each\n"
	"step.\n"
	"\n"
	"--ram=gmem: a KVM_X86_DEFAULT_VM whose whole RAM is one guest_memfd made\n"
	"with GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED, which the VMM\n"
	"maps and writes the guest into.  Nothing is converted: in every round,\n"
	"each vCPU writes its part of RAM, and the VMM checks it through its\n"
	"mapping and writes its own data there for the guest to check; the VMM\n"
	"prints the guest_memfd's memory and its own anonymous and shmem memory\n"
	"after each step.\n"
	"\n"
	"  -M, --ram=MODE     convert or gmem, as above (default %s)\n"
	"  -m, --mem=MIB      guest RAM in MiB, %d to %d (default %lu)\n"
	"  -c, --vcpus=N      vCPUs, one thread each, 1 to %d (default %lu)\n"
	"  -r, --rounds=N     rounds, 1 to %d (default %lu)\n"
	"      --inject=hwpoison\n"
	"                     with --ram=gmem: before the run, give one page of\n"
	"                     vCPU 0's part a memory error (MADV_HWPOISON, as\n"
	"                     root); the guest's access to it ends the run with\n"
	"                     exit status 6\n"
	"  -h, --help         print this help and exit\n"
	"\n"
	"Exit status:\n"
	"  0  PASS\n"
	"  1  FAIL: a check failed, a setup step failed, the kernel lacks a\n"
	"     capability that the mode needs, or KVM_RUN failed otherwise\n"
	"  2  bad usage\n"
	"  3  KVM_RUN failed with EFAULT and KVM_EXIT_MEMORY_FAULT, and the VMM\n"
	"     could not fix the attributes or memslots for the access\n"
	"  5  KVM_RUN failed with ENOMEM: no host memory for guest memory\n"
	"  6  KVM_RUN failed with EHWPOISON: guest memory with a memory error\n";

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(STATUS_FAIL);
}

static void __attribute__((noreturn)) usage_hint(void)
{
	fputs("Try 'gmem-vmm --help'.\n", stderr);
	exit(STATUS_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gmem-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	usage_hint();
}

static unsigned long parse_number(const char *opt, const char *arg,
				  unsigned long min, unsigned long max)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || val < min || val > max)
		usage_error("%s wants a number from %lu to %lu, not '%s'", opt,
			    min, max, arg);
	return val;
}

static enum ram_mode parse_ram_mode(const char *arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ram_modes); i++)
		if (!strcmp(arg, ram_modes[i]))
			return i;
	usage_error("--ram wants convert or gmem, not '%s'", arg);
}

/* --inject=WHAT: what goes wrong on purpose; only hwpoison for now. */
static bool parse_inject(const char *arg)
{
	if (strcmp(arg, "hwpoison"))
		usage_error("--inject wants hwpoison, not '%s'", arg);
	return true;
}

static void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "ram", required_argument, NULL, 'M' },
		{ "mem", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "inject", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "M:m:c:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'M':
			opts->mode = parse_ram_mode(optarg);
			break;
		case 'm':
			opts->mem_mib = parse_number("--mem", optarg,
						     MIN_MEM_MIB, MAX_MEM_MIB);
			break;
		case 'c':
			opts->nr_vcpus = parse_number("--vcpus", optarg, 1,
						      MAX_VCPUS);
			break;
		case 'r':
			opts->rounds = parse_number("--rounds", optarg, 1,
						    MAX_ROUNDS);
			break;
		case 'I':
			opts->hwpoison = parse_inject(optarg);
			break;
		case 'h':
			printf(usage, ram_modes[opts->mode], MIN_MEM_MIB,
			       MAX_MEM_MIB, opts->mem_mib,
			       MAX_VCPUS, opts->nr_vcpus, MAX_ROUNDS,
			       opts->rounds);
			exit(0);
		default:	/* getopt_long() said what is wrong */
			usage_hint();
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	/* Only the VMM's mapping of a guest_memfd can be poisoned at will. */
	if (opts->hwpoison && opts->mode != RAM_GMEM)
		usage_error("--inject=hwpoison needs --ram=gmem");
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

static void print_setup(const struct vm *vm)
{
	if (vm->mode == RAM_GMEM) {
		printf("gmem-vmm: KVM_X86_DEFAULT_VM with %" PRIu64 " MiB of RAM, "
		       "all of it one guest_memfd (GUEST_MEMFD_FLAG_MMAP | "
		       "GUEST_MEMFD_FLAG_INIT_SHARED) mapped MAP_SHARED by the "
		       "VMM: %d MiB low region + %" PRIu64 " MiB data, each a "
		       "guest_memfd-only memslot\n", vm->ram_size / MiB,
		       LOW_SIZE / (int)MiB, vm->data_size / MiB);
		printf("gmem-vmm: %u vCPU%s, each owning %" PRIu64 " KiB of data "
		       "that it and the VMM write in turn, no conversions; %u "
		       "round%s\n", vm->nr_vcpus, plural(vm->nr_vcpus),
		       vm->part_size / KiB, vm->rounds, plural(vm->rounds));
		return;
	}
	printf("gmem-vmm: KVM_X86_SW_PROTECTED_VM with %" PRIu64 " MiB of RAM: "
	       "%d MiB low region (always shared) + %" PRIu64 " MiB data "
	       "(guest_memfd + memfd)\n", vm->ram_size / MiB, LOW_SIZE / (int)MiB,
	       vm->data_size / MiB);
	printf("gmem-vmm: data memslots %u (gpa 0x%" PRIx64 ", %" PRIu64
	       " KiB) and %u (gpa 0x%" PRIx64 ", %" PRIu64 " KiB) bind one "
	       "%" PRIu64 " KiB guest_memfd at offsets 0x%" PRIx64 " and 0x%"
	       PRIx64 "\n", vm->slots[1].slot, vm->slots[1].gpa,
	       vm->slots[1].size / KiB, vm->slots[2].slot, vm->slots[2].gpa,
	       vm->slots[2].size / KiB, vm->gmem_size / KiB,
	       vm->slots[1].gmem_offset, vm->slots[2].gmem_offset);
	printf("gmem-vmm: %u vCPU%s, each owning %" PRIu64 " KiB of data and "
	       "converting half of it per round; %u round%s\n", vm->nr_vcpus,
	       plural(vm->nr_vcpus), vm->part_size / KiB, vm->rounds,
	       plural(vm->rounds));
}

static void print_failure(const struct vm *vm)
{
	printf("FAIL: %s (exit status %d)\n", vm->failure, vm->status);
}

static void print_gmem_verdict(const struct vm *vm, double seconds)
{
	if (vm->failed) {
		print_failure(vm);
		return;
	}
	printf("PASS: %u round%s on %u vCPU%s in %.1f s: all data checks held, "
	       "the VMM read back through its mapping what the guest wrote, "
	       "and the host held guest RAM once: at most %" PRIu64 " KiB in "
	       "the guest_memfd for %" PRIu64 " KiB of RAM, while the VMM's "
	       "anonymous + shmem memory grew by at most %" PRIu64 " KiB\n",
	       vm->rounds, plural(vm->rounds), vm->nr_vcpus,
	       plural(vm->nr_vcpus), seconds, vm->peak_data / KiB,
	       vm->ram_size / KiB, vm->peak_growth / KiB);
}

/* The conversion counts, and the verdict. */
static void print_verdict(const struct vm *vm, double seconds)
{
	unsigned long to_shared = 0, to_private = 0, implicit = 0;
	unsigned int i;

	if (vm->mode == RAM_GMEM) {
		print_gmem_verdict(vm, seconds);
		return;
	}

	for (i = 0; i < vm->nr_vcpus; i++) {
		to_shared += vm->vcpus[i].to_shared;
		to_private += vm->vcpus[i].to_private;
		implicit += vm->vcpus[i].implicit;
	}
	printf("conversions: %lu to private and %lu to shared by "
	       "KVM_HC_MAP_GPA_RANGE, %lu implicit on KVM_EXIT_MEMORY_FAULT\n",
	       to_private, to_shared, implicit);
	if (vm->failed) {
		print_failure(vm);
		return;
	}
	printf("PASS: %u round%s on %u vCPU%s in %.1f s: all data checks held, "
	       "and the host held one copy of guest data (at most %" PRIu64
	       " KiB in guest_memfd + memfd for %" PRIu64 " KiB in use)\n",
	       vm->rounds, plural(vm->rounds), vm->nr_vcpus,
	       plural(vm->nr_vcpus), seconds, vm->peak_data / KiB,
	       vm->part_size * vm->nr_vcpus / KiB);
}

int main(int argc, char **argv)
{
	struct options opts = {
		.mode = RAM_CONVERT,
		.mem_mib = 64,
		.nr_vcpus = 2,
		.rounds = 4,
	};
	struct timespec start, end;
	struct vm vm = { 0 };
	uint64_t poison_gpa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv, &opts);

	vm_create(&vm, opts.mode, opts.mem_mib * MiB, opts.nr_vcpus,
		  opts.rounds);
	vcpus_create(&vm);
	print_setup(&vm);
	if (opts.hwpoison) {
		/* In the middle of vCPU 0's part, which it reads at START. */
		poison_gpa = DATA_GPA + vm.part_size / 2;
		vm_inject_hwpoison(&vm, poison_gpa);
		printf("gmem-vmm: gave the page at gpa 0x%" PRIx64 " a memory "
		       "error (MADV_HWPOISON); vCPU 0's access to it is to end "
		       "the run with exit status %d\n", poison_gpa,
		       STATUS_HWPOISON);
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	vcpus_run(&vm);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (vm.mode == RAM_GMEM && !vm.failed)
		vm_check_guest_data(&vm);
	print_verdict(&vm, end.tv_sec - start.tv_sec +
			   (end.tv_nsec - start.tv_nsec) / 1e9);

	vcpus_destroy(&vm);
	vm_destroy(&vm);
	return vm.failed ? vm.status : STATUS_PASS;
}
