// SPDX-License-Identifier: GPL-2.0
/*
 * The VM: the capabilities each mode needs, its memory and memslots, the
 * guest image, conversions between shared and private memory, and the host
 * memory accounting.  In RAM_GMEM, all of guest RAM is one host-mappable
 * guest_memfd and nothing is converted.  The guest_memfd uAPI calls
 * themselves are in kvm-gmem.c.
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

/*
 * Without KVM_CAP_MEMORY_FAULT_INFO, a KVM_RUN that fails on guest memory
 * says nothing of the access, and the VMM cannot tell a fault it can fix
 * from one it cannot.
 */
#define NEED_MEMORY_FAULT_INFO						\
	{ KVM_CAP_MEMORY_FAULT_INFO, 1, "KVM_CAP_MEMORY_FAULT_INFO",	\
	  "KVM_EXIT_MEMORY_FAULT, to tell memory faults apart" }

/* RAM_CONVERT, asked on /dev/kvm before the VM is created. */
static const struct kvm_cap_need kvm_needs_convert[] = {
	{ KVM_CAP_GUEST_MEMFD, 1, "KVM_CAP_GUEST_MEMFD", "guest_memfd" },
	{ KVM_CAP_USER_MEMORY2, 1, "KVM_CAP_USER_MEMORY2",
	  "KVM_SET_USER_MEMORY_REGION2" },
	{ KVM_CAP_MEMORY_ATTRIBUTES, KVM_MEMORY_ATTRIBUTE_PRIVATE,
	  "KVM_CAP_MEMORY_ATTRIBUTES", "the PRIVATE memory attribute" },
	{ KVM_CAP_VM_TYPES, 1 << KVM_X86_SW_PROTECTED_VM, "KVM_CAP_VM_TYPES",
	  "KVM_X86_SW_PROTECTED_VM; needs CONFIG_KVM_SW_PROTECTED_VM and TDP" },
	{ KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_MAP_GPA_RANGE,
	  "KVM_CAP_EXIT_HYPERCALL", "exits on KVM_HC_MAP_GPA_RANGE" },
	NEED_MEMORY_FAULT_INFO,
};

/* RAM_GMEM, asked on the KVM_X86_DEFAULT_VM itself. */
static const struct kvm_cap_need kvm_needs_gmem[] = {
	{ KVM_CAP_USER_MEMORY2, 1, "KVM_CAP_USER_MEMORY2",
	  "KVM_SET_USER_MEMORY_REGION2" },
	{ KVM_CAP_GUEST_MEMFD, 1, "KVM_CAP_GUEST_MEMFD",
	  "guest_memfd memslots on a KVM_X86_DEFAULT_VM" },
	{ KVM_CAP_GUEST_MEMFD_FLAGS,
	  GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	  "KVM_CAP_GUEST_MEMFD_FLAGS",
	  "GUEST_MEMFD_FLAG_MMAP and GUEST_MEMFD_FLAG_INIT_SHARED on a "
	  "KVM_X86_DEFAULT_VM" },
	NEED_MEMORY_FAULT_INFO,
};

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

/*
 * A memslot at @gpa, recorded in vm->slots; if @gmem_fd is not -1, bound
 * to that guest_memfd from @gmem_offset on (which serves its private
 * memory, or all of its memory if the file is host-mappable).  @shared_fd,
 * if not -1, is the memfd mapped at @hva, from @shared_offset on.
 */
static void vm_add_memslot(struct vm *vm, uint64_t gpa, uint64_t size,
			   void *hva, int gmem_fd, uint64_t gmem_offset,
			   int shared_fd, uint64_t shared_offset)
{
	struct kvm_slot *slot;

	if (vm->nr_slots == ARRAY_SIZE(vm->slots))
		die("too many memslots");
	slot = &vm->slots[vm->nr_slots];
	*slot = (struct kvm_slot){
		.slot = vm->nr_slots,
		.gpa = gpa,
		.size = size,
		.hva = hva,
		.gmem_fd = gmem_fd,
		.gmem_offset = gmem_offset,
		.shared_fd = shared_fd,
		.shared_offset = shared_offset,
	};
	if (kvm_set_memslot2(vm->fd, slot))
		die("KVM_SET_USER_MEMORY_REGION2 (slot %u, gpa 0x%" PRIx64
		    ", %" PRIu64 " KiB, guest_memfd offset 0x%" PRIx64 "): %s",
		    slot->slot, gpa, size / KiB, gmem_offset, strerror(errno));
	vm->nr_slots++;
}

/*
 * RAM_CONVERT: the low region is a plain memslot on a memfd.  The data
 * region is two memslots, its lower and upper parts, both bound to one
 * guest_memfd at non-zero offsets and in the other order:
 *
 *   guest_memfd:  [ unused, GMEM_LEAD | upper part | lower part ]
 *
 * A VMM that binds one file through several memslots finds the offset of a
 * gpa through its memslot (kvm_convert() does).  The shared side is one
 * memfd, at the offset of the gpa in the data region.  The split is 2 MiB
 * aligned where the data region allows, and so are the offsets if the
 * memslots' size is, so that KVM can still map 2 MiB of private memory at
 * a time.
 *
 * The memslots cover the vCPUs' parts and no more.  Dividing the data
 * region among the vCPUs can leave a few KiB over at its end: in the
 * guest_memfd they could share a 2 MiB folio with memory in use, which
 * st_blocks would count as held for data not in use.
 */
#define GMEM_LEAD		LARGE_PAGE_SIZE

static void vm_add_memory_convert(struct vm *vm)
{
	uint64_t size = vm->part_size * vm->nr_vcpus;
	uint64_t lower = size / 2 / LARGE_PAGE_SIZE * LARGE_PAGE_SIZE;
	uint64_t upper;

	if (!lower)
		lower = size / 2 / GUEST_PAGE_SIZE * GUEST_PAGE_SIZE;
	upper = size - lower;

	vm->low = memfd_map("gmem-vmm-low", LOW_SIZE, &vm->low_fd);
	vm_add_memslot(vm, 0, LOW_SIZE, vm->low, -1, 0, -1, 0);

	vm->shared = memfd_map("gmem-vmm-shared", vm->data_size,
			       &vm->shared_fd);
	vm->gmem_size = GMEM_LEAD + size;
	vm->gmem_fd = kvm_create_gmem(vm->fd, vm->gmem_size, 0);
	if (vm->gmem_fd < 0)
		die("KVM_CREATE_GUEST_MEMFD (%" PRIu64 " MiB): %s",
		    vm->gmem_size / MiB, strerror(errno));
	vm_add_memslot(vm, DATA_GPA, lower, vm->shared,
		       vm->gmem_fd, GMEM_LEAD + upper, vm->shared_fd, 0);
	vm_add_memslot(vm, DATA_GPA + lower, upper, vm->shared + lower,
		       vm->gmem_fd, GMEM_LEAD, vm->shared_fd, lower);
}

/*
 * RAM_GMEM: all of RAM is one guest_memfd that the VMM maps MAP_SHARED; it
 * writes the guest's image through that mapping.  Each region is a
 * guest_memfd-only memslot on its range of the file (the low region at
 * offset 0, the data region at DATA_GPA), which the guest's accesses reach
 * without the host's page tables.  userspace_addr, which serves only KVM's
 * own accesses to guest memory, is the VMM's mapping of the same range: the
 * same memory again, not a second copy.
 */
static void vm_add_memory_gmem(struct vm *vm)
{
	uint8_t *ram;

	vm->low_fd = -1;
	vm->shared_fd = -1;
	vm->gmem_size = vm->ram_size;
	vm->gmem_fd = kvm_create_gmem(vm->fd, vm->gmem_size,
				      GUEST_MEMFD_FLAG_MMAP |
				      GUEST_MEMFD_FLAG_INIT_SHARED);
	if (vm->gmem_fd < 0)
		die("KVM_CREATE_GUEST_MEMFD (%" PRIu64 " MiB, GUEST_MEMFD_FLAG_MMAP"
		    " | GUEST_MEMFD_FLAG_INIT_SHARED): %s", vm->gmem_size / MiB,
		    strerror(errno));
	ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vm->gmem_fd, 0);
	if (ram == MAP_FAILED)
		die("mmap(guest_memfd, %" PRIu64 " MiB, MAP_SHARED): %s",
		    vm->ram_size / MiB, strerror(errno));
	vm->low = ram;
	vm->shared = ram + DATA_GPA;
	vm_add_memslot(vm, 0, LOW_SIZE, vm->low, vm->gmem_fd, 0, -1, 0);
	vm_add_memslot(vm, DATA_GPA, vm->data_size, vm->shared,
		       vm->gmem_fd, DATA_GPA, -1, 0);
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

/* What the VMM holds itself, in bytes. */
struct vmm_memory {
	uint64_t anon;		/* anonymous memory */
	uint64_t shmem;		/* shmem: tmpfs, memfd, SysV shm */
	uint64_t rss;		/* all of its resident set */
};

/*
 * Read it from /proc/self/smaps_rollup, which counts the pages mapped now,
 * exactly.  Returns false, with errno set, if it cannot.
 */
static bool vmm_memory(struct vmm_memory *mem)
{
	const struct {
		const char *key;
		uint64_t *bytes;
	} keys[] = {
		{ "Anonymous:", &mem->anon },
		{ "Pss_Shmem:", &mem->shmem },
		{ "Rss:", &mem->rss },
	};
	unsigned int found = 0, i;
	unsigned long long kib;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/smaps_rollup", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t len = strlen(keys[i].key);

			if (strncmp(line, keys[i].key, len) ||
			    sscanf(line + len, "%llu kB", &kib) != 1)
				continue;
			*keys[i].bytes = kib * KiB;
			found |= 1U << i;
		}
	}
	fclose(f);
	if (found != (1U << ARRAY_SIZE(keys)) - 1) {
		errno = ENOENT;
		return false;
	}
	return true;
}

/* RAM_GMEM: the VMM's data in each vCPU's part, for the guest to check. */
static void vm_write_host_data(struct vm *vm)
{
	uint64_t end = DATA_GPA + vm->part_size * vm->nr_vcpus;
	uint64_t gpa;

	for (gpa = DATA_GPA; gpa < end; gpa += 8)
		*vm_shared_hva(vm, gpa) = pattern(KIND_SHARED_HOST, 0, gpa);
}

static void vm_create_gmem(struct vm *vm)
{
	struct vmm_memory mem;

	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	if (vm->fd < 0)
		die("KVM_CREATE_VM(KVM_X86_DEFAULT_VM): %s", strerror(errno));
	if (!kvm_check_caps(vm->fd, kvm_needs_gmem, ARRAY_SIZE(kvm_needs_gmem)))
		die("boot a kernel with the guest_memfd series and its "
		    "host-mappable guest_memfd");

	if (!vmm_memory(&mem))
		die("/proc/self/smaps_rollup: %s (it needs "
		    "CONFIG_PROC_PAGE_MONITOR)", strerror(errno));
	vm->vmm_base = mem.anon + mem.shmem;
	vm_add_memory_gmem(vm);
	vm_load_guest(vm);
	vm_write_host_data(vm);
}

static void vm_create_convert(struct vm *vm)
{
	struct kvm_enable_cap hypercall_exit = {
		.cap = KVM_CAP_EXIT_HYPERCALL,
		.args[0] = 1 << KVM_HC_MAP_GPA_RANGE,
	};

	if (!kvm_check_caps(vm->kvm_fd, kvm_needs_convert,
			    ARRAY_SIZE(kvm_needs_convert)))
		die("boot a kernel with the guest_memfd series");

	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm->fd < 0)
		die("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM): %s", strerror(errno));
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &hypercall_exit))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL): %s", strerror(errno));
	vm_add_memory_convert(vm);
	vm_load_guest(vm);
}

void vm_create(struct vm *vm, enum ram_mode mode, uint64_t ram_size,
	       unsigned int nr_vcpus, unsigned int rounds)
{
	int version;

	vm->mode = mode;
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

	if (mode == RAM_GMEM)
		vm_create_gmem(vm);
	else
		vm_create_convert(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->mode == RAM_GMEM) {
		munmap(vm->low, vm->ram_size);
	} else {
		munmap(vm->shared, vm->data_size);
		munmap(vm->low, LOW_SIZE);
		close(vm->shared_fd);
		close(vm->low_fd);
	}
	close(vm->gmem_fd);
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
static void __vm_vfail(struct vm *vm, enum vmm_status status,
		       const char *fmt, va_list ap)
{
	if (vm->failed)
		return;
	vsnprintf(vm->failure, sizeof(vm->failure), fmt, ap);
	fprintf(stderr, "error: %s\n", vm->failure);
	vm->failed = true;
	vm->status = status;
	pthread_cond_broadcast(&vm->cond);
}

/* vm_fail() of a failed check, for a caller that holds vm->lock. */
static void __attribute__((format(printf, 2, 3)))
__vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	__vm_vfail(vm, STATUS_FAIL, fmt, ap);
	va_end(ap);
}

void vm_fail(struct vm *vm, enum vmm_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&vm->lock);
	__vm_vfail(vm, status, fmt, ap);
	pthread_mutex_unlock(&vm->lock);
	va_end(ap);
}

/*
 * Convert a range of the data region, holding each page once (see
 * kvm_convert()): the guest's page moves to the guest_memfd at its first
 * private access, or to the memfd at its first shared access, and the side
 * it left is punched out.
 */
bool vm_convert(struct vm *vm, uint64_t gpa, uint64_t size, bool private)
{
	const char *failed;

	if (!kvm_convert(vm->fd, vm->slots, vm->nr_slots, gpa, size, private,
			 &failed))
		return true;
	vm_fail(vm, STATUS_FAIL, "converting gpa 0x%" PRIx64 " (%" PRIu64
		" KiB) to %s: %s: %s", gpa, size / KiB,
		private ? "private" : "shared", failed, strerror(errno));
	return false;
}

/*
 * RAM_GMEM, before the run: give the page at @gpa a memory error, as the
 * hardware would, with madvise(MADV_HWPOISON) on the VMM's mapping of the
 * guest_memfd (root only; CONFIG_MEMORY_FAILURE).  The page stays in the
 * file, poisoned; KVM zaps it from the guest, the VMM's mapping of it is
 * gone (touching it would be SIGBUS), and the guest's first access to it
 * makes KVM_RUN fail with EHWPOISON.
 */
void vm_inject_hwpoison(struct vm *vm, uint64_t gpa)
{
	if (madvise(vm_shared_hva(vm, gpa), GUEST_PAGE_SIZE, MADV_HWPOISON))
		die("madvise(MADV_HWPOISON) on gpa 0x%" PRIx64 ": %s (it needs "
		    "root and CONFIG_MEMORY_FAILURE)", gpa, strerror(errno));
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

static void vm_print_gmem_header(const struct vm *vm)
{
	uint64_t in_use = vm->part_size * vm->nr_vcpus;

	printf("host memory in KiB: gmem = the guest_memfd, all of RAM "
	       "(st_blocks)\n"
	       "  anon, shmem, rss = the VMM's own anonymous, shmem and resident "
	       "memory (/proc/self/smaps_rollup);\n"
	       "  rss includes the VMM's mapping of the guest_memfd, the same "
	       "pages as gmem\n"
	       "  grown = anon + shmem - the %" PRIu64 " KiB the VMM had before "
	       "guest RAM existed\n"
	       "one copy: %" PRIu64 " KiB of data in use <= gmem <= %" PRIu64
	       " KiB of RAM, and grown < %" PRIu64 " KiB\n",
	       vm->vmm_base / KiB, in_use / KiB, vm->ram_size / KiB,
	       in_use / KiB);
	printf("%5s  %-7s  %10s  %8s  %8s  %8s  %10s  %s\n", "round", "phase",
	       "gmem", "anon", "shmem", "grown", "rss", "one copy");
}

/*
 * RAM_GMEM: the host holds guest RAM once if the guest_memfd holds at least
 * the data the guest and the VMM wrote (so that is where it lives), at most
 * RAM, and the VMM's own anonymous and shmem memory did not grow by as much
 * as that data (a second copy, in a buffer, a MAP_PRIVATE copy-on-write
 * mapping or a memfd, would).  Called with vm->lock held, from a rendezvous
 * or once the vCPUs have stopped.
 */
static void vm_account_gmem(struct vm *vm, enum guest_event event,
			    unsigned int round)
{
	uint64_t in_use = vm->part_size * vm->nr_vcpus;
	uint64_t gmem, own, grown;
	struct vmm_memory mem;
	const char *phase;

	if (!file_bytes(vm->gmem_fd, &gmem)) {
		__vm_fail(vm, "fstat(guest_memfd): %s", strerror(errno));
		return;
	}
	if (!vmm_memory(&mem)) {
		__vm_fail(vm, "/proc/self/smaps_rollup: %s", strerror(errno));
		return;
	}
	own = mem.anon + mem.shmem;
	grown = own > vm->vmm_base ? own - vm->vmm_base : 0;
	if (gmem > vm->peak_data)
		vm->peak_data = gmem;
	if (grown > vm->peak_growth)
		vm->peak_growth = grown;

	if (event == EV_START) {
		vm_print_gmem_header(vm);
		phase = "start";
	} else {
		phase = event == EV_SHARED ? "shared" : "end";
	}
	printf("%5u  %-7s  %10" PRIu64 "  %8" PRIu64 "  %8" PRIu64 "  %8" PRIu64
	       "  %10" PRIu64 "  %s\n", round, phase, gmem / KiB,
	       mem.anon / KiB, mem.shmem / KiB, grown / KiB, mem.rss / KiB,
	       gmem >= in_use && gmem <= vm->ram_size && grown < in_use ?
	       "yes" : "NO");

	if (gmem < in_use)
		__vm_fail(vm, "round %u, %s: the guest_memfd holds %" PRIu64
			  " KiB, less than the %" PRIu64 " KiB of guest data in "
			  "use: guest memory is held elsewhere", round, phase,
			  gmem / KiB, in_use / KiB);
	else if (gmem > vm->ram_size)
		__vm_fail(vm, "round %u, %s: the guest_memfd holds %" PRIu64
			  " KiB, more than the %" PRIu64 " KiB of RAM", round,
			  phase, gmem / KiB, vm->ram_size / KiB);
	else if (grown >= in_use)
		__vm_fail(vm, "round %u, %s: the VMM's anonymous + shmem "
			  "memory grew by %" PRIu64 " KiB, as much as the %" PRIu64
			  " KiB of guest data in use: guest memory is held a "
			  "second time", round, phase, grown / KiB, in_use / KiB);
}

/*
 * RAM_GMEM, once the vCPUs have stopped: every vCPU's part holds, seen
 * through the VMM's mapping of the guest_memfd, what its guest wrote in the
 * last round; then the last line of accounting.  Returns whether it held.
 */
bool vm_check_guest_data(struct vm *vm)
{
	uint64_t end = DATA_GPA + vm->part_size * vm->nr_vcpus;
	uint64_t gpa, want, got;

	for (gpa = DATA_GPA; gpa < end; gpa += 8) {
		got = *(volatile uint64_t *)vm_shared_hva(vm, gpa);
		want = pattern(KIND_SHARED_GUEST, vm->rounds, gpa);
		if (got != want) {
			vm_fail(vm, STATUS_FAIL, "after the run, the VMM reads "
				"0x%" PRIx64 " at gpa 0x%" PRIx64 " (vCPU %" PRIu64
				"'s part), the guest wrote 0x%" PRIx64, got, gpa,
				(gpa - DATA_GPA) / vm->part_size, want);
			return false;
		}
	}
	pthread_mutex_lock(&vm->lock);
	vm_account_gmem(vm, EV_DONE, vm->rounds);
	pthread_mutex_unlock(&vm->lock);
	return !vm->failed;
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

	if (vm->mode == RAM_GMEM) {
		vm_account_gmem(vm, event, round);
		return;
	}

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
