// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-vmm: a small reference VMM for guest_memfd.  By default
 * (--ram=convert) it runs a KVM_X86_SW_PROTECTED_VM guest whose data memory
 * is a guest_memfd (the private side) plus a memfd (the shared side), lets
 * the guest convert it back and forth with KVM_HC_MAP_GPA_RANGE, and shows
 * that the host holds one copy of guest memory throughout.  With
 * --ram=gmem it runs a KVM_X86_DEFAULT_VM whose whole RAM is one
 * guest_memfd that the VMM maps, and shows the same.  See README.md.
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
	"  -h, --help         print this help and exit\n"
	"\n"
	"Exit status: 0 on PASS; 1 on FAIL or when the kernel lacks a capability\n"
	"that the mode needs; 2 on bad usage.\n";

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void __attribute__((noreturn)) usage_hint(void)
{
	fputs("Try 'gmem-vmm --help'.\n", stderr);
	exit(2);
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

static void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "ram", required_argument, NULL, 'M' },
		{ "mem", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
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
	printf("gmem-vmm: %u vCPU%s, each owning %" PRIu64 " KiB of data and "
	       "converting half of it per round; %u round%s\n", vm->nr_vcpus,
	       plural(vm->nr_vcpus), vm->part_size / KiB, vm->rounds,
	       plural(vm->rounds));
}

static bool print_gmem_verdict(const struct vm *vm, double seconds)
{
	if (vm->failed) {
		printf("FAIL: %s\n", vm->failure);
		return false;
	}
	printf("PASS: %u round%s on %u vCPU%s in %.1f s: all data checks held, "
	       "the VMM read back through its mapping what the guest wrote, "
	       "and the host held guest RAM once: at most %" PRIu64 " KiB in "
	       "the guest_memfd for %" PRIu64 " KiB of RAM, while the VMM's "
	       "anonymous + shmem memory grew by at most %" PRIu64 " KiB\n",
	       vm->rounds, plural(vm->rounds), vm->nr_vcpus,
	       plural(vm->nr_vcpus), seconds, vm->peak_data / KiB,
	       vm->ram_size / KiB, vm->peak_growth / KiB);
	return true;
}

/* The conversion counts, and the verdict; returns whether it passed. */
static bool print_verdict(const struct vm *vm, double seconds)
{
	unsigned long to_shared = 0, to_private = 0, implicit = 0;
	unsigned int i;

	if (vm->mode == RAM_GMEM)
		return print_gmem_verdict(vm, seconds);

	for (i = 0; i < vm->nr_vcpus; i++) {
		to_shared += vm->vcpus[i].to_shared;
		to_private += vm->vcpus[i].to_private;
		implicit += vm->vcpus[i].implicit;
	}
	printf("conversions: %lu to private and %lu to shared by "
	       "KVM_HC_MAP_GPA_RANGE, %lu implicit on KVM_EXIT_MEMORY_FAULT\n",
	       to_private, to_shared, implicit);
	if (vm->failed) {
		printf("FAIL: %s\n", vm->failure);
		return false;
	}
	printf("PASS: %u round%s on %u vCPU%s in %.1f s: all data checks held, "
	       "and the host held one copy of guest data (at most %" PRIu64
	       " KiB in guest_memfd + memfd for %" PRIu64 " KiB in use)\n",
	       vm->rounds, plural(vm->rounds), vm->nr_vcpus,
	       plural(vm->nr_vcpus), seconds, vm->peak_data / KiB,
	       vm->part_size * vm->nr_vcpus / KiB);
	return true;
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
	bool passed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv, &opts);

	vm_create(&vm, opts.mode, opts.mem_mib * MiB, opts.nr_vcpus,
		  opts.rounds);
	vcpus_create(&vm);
	print_setup(&vm);

	clock_gettime(CLOCK_MONOTONIC, &start);
	vcpus_run(&vm);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (vm.mode == RAM_GMEM && !vm.failed)
		vm_check_guest_data(&vm);
	passed = print_verdict(&vm, end.tv_sec - start.tv_sec +
				    (end.tv_nsec - start.tv_nsec) / 1e9);

	vcpus_destroy(&vm);
	vm_destroy(&vm);
	return passed ? 0 : 1;
}
