// SPDX-License-Identifier: GPL-2.0
/*
 * The VM: capabilities, memory, the guest image, conversions between shared
 * and private memory, and the host memory accounting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/kvm_para.h>

#include "vmm.h"

#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITE		(1ULL << 1)
#define PTE_LARGE		(1ULL << 7)
#define LARGE_PAGE_SIZE		(2 * MiB)

/* Flat 64-bit code and data; the selectors are in vcpu.c. */
static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffULL,	/* 0x08: code, L=1, present, DPL 0 */
	0x00cf93000000ffffULL,	/* 0x10: data, read/write, 4 GiB */
};

_Static_assert(PD_GPA + MAX_RAM_GIB * GUEST_PAGE_SIZE <= GUEST_CODE_GPA,
	       "the page directories must fit below the guest code");
_Static_assert(STACKS_GPA + MAX_VCPUS * STACK_SIZE <= LOW_SIZE,
	       "the stacks must fit in the low region");

extern const uint8_t guest_image[], guest_image_end[];

static const struct kvm_need {
	int cap;
	int mask;		/* bits the capability must report */
	const char *name;
	const char *what;
} kvm_needs[] = {
	{ KVM_CAP_GUEST_MEMFD, 1, "KVM_CAP_GUEST_MEMFD", "guest_memfd" },
	{ KVM_CAP_USER_MEMORY2, 1, "KVM_CAP_USER_MEMORY2",
	  "KVM_SET_USER_MEMORY_REGION2" },
	{ KVM_CAP_MEMORY_ATTRIBUTES, KVM_MEMORY_ATTRIBUTE_PRIVATE,
	  "KVM_CAP_MEMORY_ATTRIBUTES", "the PRIVATE memory attribute" },
	{ KVM_CAP_VM_TYPES, 1 << KVM_X86_SW_PROTECTED_VM, "KVM_CAP_VM_TYPES",
	  "KVM_X86_SW_PROTECTED_VM; needs CONFIG_KVM_SW_PROTECTED_VM and TDP" },
	{ KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_MAP_GPA_RANGE,
	  "KVM_CAP_EXIT_HYPERCALL", "exits on KVM_HC_MAP_GPA_RANGE" },
};

/* Report every missing capability, then give up. */
static void kvm_check_caps(int kvm_fd)
{
	const struct kvm_need *need;
	bool missing = false;
	int r;

	for (need = kvm_needs; need < kvm_needs + ARRAY_SIZE(kvm_needs); need++) {
		r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, need->cap);
		if (r >= 0 && (r & need->mask) == need->mask)
			continue;
		fprintf(stderr, "error: this kernel lacks %s (%s)\n",
			need->name, need->what);
		missing = true;
	}
	if (missing)
		die("boot a kernel with the guest_memfd series");
}

static void *memfd_map(const char *name, uint64_t size, int *fd)
{
	void *hva;

	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(*fd, size))
		die("ftruncate(%s, %" PRIu64 " MiB): %s", name, size / MiB,
		    strerror(errno));
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (hva == MAP_FAILED)
		die("mmap(%s): %s", name, strerror(errno));
	return hva;
}

/* A memslot at @gpa; private memory from @gmem_fd if it is not -1. */
static void vm_set_memslot(struct vm *vm, uint32_t slot, uint64_t gpa,
			   uint64_t size, void *hva, int gmem_fd)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = slot,
		.flags = gmem_fd < 0 ? 0 : KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
		.guest_memfd_offset = 0,
		.guest_memfd = gmem_fd < 0 ? 0 : gmem_fd,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION2, &region))
		die("KVM_SET_USER_MEMORY_REGION2 (slot %u, gpa 0x%" PRIx64
		    ", %" PRIu64 " MiB): %s", slot, gpa, size / MiB,
		    strerror(errno));
}

static void vm_add_memory(struct vm *vm)
{
	struct kvm_create_guest_memfd gmem = { .size = vm->data_size };

	vm->low = memfd_map("gmem-vmm-low", LOW_SIZE, &vm->low_fd);
	vm_set_memslot(vm, 0, 0, LOW_SIZE, vm->low, -1);

	vm->shared = memfd_map("gmem-vmm-shared", vm->data_size,
			       &vm->shared_fd);
	vm->gmem_fd = ioctl(vm->fd, KVM_CREATE_GUEST_MEMFD, &gmem);
	if (vm->gmem_fd < 0)
		die("KVM_CREATE_GUEST_MEMFD (%" PRIu64 " MiB): %s",
		    vm->data_size / MiB, strerror(errno));
	vm_set_memslot(vm, 1, DATA_GPA, vm->data_size, vm->shared,
		       vm->gmem_fd);
}

static void *vm_low_hva(const struct vm *vm, uint64_t gpa)
{
	return vm->low + gpa;
}

/* Identity map all RAM with 2 MiB pages: one page directory per GiB. */
static void vm_write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_low_hva(vm, PML4_GPA);
	uint64_t *pdpt = vm_low_hva(vm, PDPT_GPA);
	uint64_t *pd = vm_low_hva(vm, PD_GPA);
	uint64_t i;

	pml4[0] = PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < DIV_ROUND_UP(vm->ram_size, GiB); i++)
		pdpt[i] = (PD_GPA + i * GUEST_PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < DIV_ROUND_UP(vm->ram_size, LARGE_PAGE_SIZE); i++)
		pd[i] = i * LARGE_PAGE_SIZE | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
}

static void vm_load_guest(struct vm *vm)
{
	size_t size = guest_image_end - guest_image;

	if (size > GUEST_CODE_END - GUEST_CODE_GPA)
		die("the guest image (%zu bytes) does not fit at 0x%x-0x%x",
		    size, GUEST_CODE_GPA, GUEST_CODE_END);
	memcpy(vm_low_hva(vm, GUEST_CODE_GPA), guest_image, size);
	memcpy(vm_low_hva(vm, GDT_GPA), gdt, sizeof(gdt));
	vm_write_page_tables(vm);
}

void vm_create(struct vm *vm, uint64_t ram_size, unsigned int nr_vcpus,
	       unsigned int rounds)
{
	struct kvm_enable_cap hypercall_exit = {
		.cap = KVM_CAP_EXIT_HYPERCALL,
		.args[0] = 1 << KVM_HC_MAP_GPA_RANGE,
	};
	int version;

	vm->ram_size = ram_size;
	vm->data_size = ram_size - LOW_SIZE;
	vm->part_size = (vm->data_size / nr_vcpus) & ~(2 * GUEST_PAGE_SIZE - 1);
	vm->nr_vcpus = nr_vcpus;
	vm->rounds = rounds;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("cannot open /dev/kvm: %s", strerror(errno));
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		die("KVM API version %d, expected %d", version, KVM_API_VERSION);
	kvm_check_caps(vm->kvm_fd);

	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm->fd < 0)
		die("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM): %s", strerror(errno));
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &hypercall_exit))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL): %s", strerror(errno));
	vm_add_memory(vm);
	vm_load_guest(vm);
}

void vm_destroy(struct vm *vm)
{
	munmap(vm->shared, vm->data_size);
	munmap(vm->low, LOW_SIZE);
	close(vm->gmem_fd);
	close(vm->shared_fd);
	close(vm->low_fd);
	close(vm->fd);
	close(vm->kvm_fd);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
}

bool vm_range_is_data(const struct vm *vm, uint64_t gpa, uint64_t size)
{
	return !(gpa % GUEST_PAGE_SIZE) && !(size % GUEST_PAGE_SIZE) &&
	       size && gpa >= DATA_GPA && gpa - DATA_GPA <= vm->data_size &&
	       size <= vm->data_size - (gpa - DATA_GPA);
}

uint64_t *vm_shared_hva(const struct vm *vm, uint64_t gpa)
{
	return (uint64_t *)(vm->shared + (gpa - DATA_GPA));
}

/* Record the first failure and wake every vCPU waiting for the others. */
static void __vm_vfail(struct vm *vm, const char *fmt, va_list ap)
{
	if (vm->failed)
		return;
	vsnprintf(vm->failure, sizeof(vm->failure), fmt, ap);
	fprintf(stderr, "error: %s\n", vm->failure);
	vm->failed = true;
	pthread_cond_broadcast(&vm->cond);
}

/* vm_fail() for a caller that holds vm->lock. */
static void __attribute__((format(printf, 2, 3)))
__vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	__vm_vfail(vm, fmt, ap);
	va_end(ap);
}

void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&vm->lock);
	__vm_vfail(vm, fmt, ap);
	pthread_mutex_unlock(&vm->lock);
	va_end(ap);
}

/*
 * The memory discipline: a page of the data region is held once, on the
 * side its attribute names.  Going private, the guest's page moves to the
 * guest_memfd (allocated at the first private access) and the memfd page
 * of the shared side is punched out; going shared, the guest_memfd page is
 * punched out and the memfd page comes back at the first shared access.
 * Either way the data does not survive a conversion and the guest finds
 * zeros.  The attributes change first, so that KVM has zapped the old
 * mappings when the old side is freed, and the vCPU that asked is stopped
 * meanwhile, so nothing refills the freed side.
 */
bool vm_convert(struct vm *vm, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int fd = private ? vm->shared_fd : vm->gmem_fd;
	int r;

	do
		r = ioctl(vm->fd, KVM_SET_MEMORY_ATTRIBUTES, &attrs);
	while (r && errno == EINTR);
	if (r) {
		vm_fail(vm, "KVM_SET_MEMORY_ATTRIBUTES(gpa 0x%" PRIx64 ", %" PRIu64
			" KiB, %s): %s", gpa, size / KiB,
			private ? "private" : "shared", strerror(errno));
		return false;
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      gpa - DATA_GPA, size)) {
		vm_fail(vm, "punching gpa 0x%" PRIx64 " (%" PRIu64 " KiB) out of the %s: %s",
			gpa, size / KiB, private ? "shared memfd" : "guest_memfd",
			strerror(errno));
		return false;
	}
	return true;
}

/* The memory a file holds, whatever its size. */
static bool file_bytes(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st))
		return false;
	*bytes = (uint64_t)st.st_blocks * 512;
	return true;
}

static void vm_print_accounting_header(const struct vm *vm)
{
	printf("host memory in KiB: gmem = guest_memfd, shared = data memfd, "
	       "low = low region memfd (st_blocks)\n"
	       "one copy: gmem + shared <= %" PRIu64 " KiB of data in use, "
	       "total <= %" PRIu64 " KiB of RAM\n",
	       vm->part_size * vm->nr_vcpus / KiB, vm->ram_size / KiB);
	printf("%5s  %-7s  %10s  %10s  %10s  %6s  %10s  %s\n", "round", "phase",
	       "converted", "gmem", "shared", "low", "total", "one copy");
}

/*
 * Print a line of accounting.  Runs for the last vCPU to reach a rendezvous,
 * with vm->lock held and every other vCPU waiting for it.
 */
static void vm_account(struct vm *vm, enum guest_event event,
		       unsigned int round)
{
	uint64_t in_use = vm->part_size * vm->nr_vcpus;
	uint64_t gmem, shared, low, total, converted = 0;
	unsigned int i;
	bool once;

	for (i = 0; i < vm->nr_vcpus; i++) {
		converted += vm->vcpus[i].converted;
		vm->vcpus[i].converted = 0;
	}
	if (!file_bytes(vm->gmem_fd, &gmem) ||
	    !file_bytes(vm->shared_fd, &shared) ||
	    !file_bytes(vm->low_fd, &low)) {
		__vm_fail(vm, "fstat: %s", strerror(errno));
		return;
	}
	total = gmem + shared + low;
	once = gmem + shared <= in_use && total <= vm->ram_size;
	if (gmem + shared > vm->peak_data)
		vm->peak_data = gmem + shared;

	if (event == EV_START)
		vm_print_accounting_header(vm);
	printf("%5u  %-7s  %10" PRIu64 "  %10" PRIu64 "  %10" PRIu64 "  %6" PRIu64
	       "  %10" PRIu64 "  %s\n", round,
	       event == EV_SHARED ? "shared" : "private", converted / KiB,
	       gmem / KiB, shared / KiB, low / KiB, total / KiB,
	       once ? "yes" : "NO");
	if (!once)
		__vm_fail(vm, "round %u: the host holds %" PRIu64 " KiB of guest "
			  "data, more than the %" PRIu64 " KiB in use: pages "
			  "are held twice", round, (gmem + shared) / KiB,
			  in_use / KiB);
}

/*
 * Wait until every vCPU has made the same report; the last one to arrive
 * takes the accounting.  Returns false if the VM failed meanwhile.
 */
bool vm_rendezvous(struct vm *vm, enum guest_event event, unsigned int round)
{
	unsigned int generation;
	bool ok;

	pthread_mutex_lock(&vm->lock);
	generation = vm->generation;
	if (++vm->arrived == vm->nr_vcpus) {
		vm_account(vm, event, round);
		vm->arrived = 0;
		vm->generation++;
		pthread_cond_broadcast(&vm->cond);
	}
	while (vm->generation == generation && !vm->failed)
		pthread_cond_wait(&vm->cond, &vm->lock);
	ok = !vm->failed;
	pthread_mutex_unlock(&vm->lock);
	return ok;
}
