// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: each starts in 64-bit mode at the guest's entry point and runs in
 * a thread of its own, which handles every way its KVM_RUN ends: the
 * conversions its guest asks for (RAM_CONVERT only), the guest's reports
 * and the rendezvous with the others, and the failures of KVM_RUN on guest
 * memory (vcpu_step()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "vmm.h"

#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_MP		(1ULL << 1)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_NE		(1ULL << 5)
#define X86_CR0_WP		(1ULL << 16)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)
#define X86_EFER_LME		(1ULL << 8)
#define X86_EFER_LMA		(1ULL << 10)

/* The selectors of the GDT in vm.c. */
#define GDT_CODE		0x08
#define GDT_DATA		0x10

_Static_assert(MAX_VCPUS * sizeof(struct guest_mailbox) <= GUEST_PAGE_SIZE,
	       "the mailboxes must fit in their page");

static struct kvm_cpuid2 *kvm_get_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid;
	unsigned int nent;

	for (nent = 64;; nent *= 2) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("out of memory");
		cpuid->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return cpuid;
		free(cpuid);
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
}

/* Flat segments, paging on the VMM's page tables, 64-bit code. */
static void vcpu_set_long_mode(struct vcpu *vcpu)
{
	struct kvm_segment code = {
		.limit = 0xffffffff,
		.selector = GDT_CODE,
		.type = 0xb,	/* execute/read, accessed */
		.present = 1,
		.s = 1,
		.l = 1,
		.g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;

	data.selector = GDT_DATA;
	data.type = 0x3;	/* read/write, accessed */
	data.l = 0;
	data.db = 1;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS: %s", strerror(errno));
}

/* Enter the guest at _start with guest_main()'s arguments. */
static void vcpu_set_entry(struct vcpu *vcpu)
{
	struct kvm_regs regs = {
		.rip = GUEST_CODE_GPA,
		.rsp = STACKS_GPA + (vcpu->id + 1) * STACK_SIZE,
		.rflags = 0x2,
		.rdi = vcpu->base,
		.rsi = vcpu->vm->part_size,
		.rdx = vcpu->vm->rounds,
		.rcx = MAILBOX_GPA + vcpu->id * sizeof(struct guest_mailbox),
		.r8 = vcpu->vm->mode,
	};

	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS: %s", strerror(errno));
}

static void vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id,
			struct kvm_cpuid2 *cpuid)
{
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->base = DATA_GPA + id * vm->part_size;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		die("KVM_CREATE_VCPU(%u): %s", id, strerror(errno));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		die("mmap(vCPU %u): %s", id, strerror(errno));
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	vcpu_set_long_mode(vcpu);
	vcpu_set_entry(vcpu);
}

void vcpus_create(struct vm *vm)
{
	struct kvm_cpuid2 *cpuid = kvm_get_supported_cpuid(vm->kvm_fd);
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	unsigned int i;

	if (run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = run_size;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		die("out of memory");
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_create(vm, &vm->vcpus[i], i, cpuid);
	free(cpuid);
}

static bool __attribute__((format(printf, 3, 0)))
vcpu_vstop(struct vcpu *vcpu, enum vmm_status status, const char *fmt,
	   va_list ap)
{
	char msg[200];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	vm_fail(vcpu->vm, status, "vCPU %u: %s", vcpu->id, msg);
	return false;
}

/*
 * Fail the VM on behalf of @vcpu, the run to end with @status; returns
 * false, to stop the vCPU.
 */
static bool __attribute__((format(printf, 3, 4)))
vcpu_stop(struct vcpu *vcpu, enum vmm_status status, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = vcpu_vstop(vcpu, status, fmt, ap);
	va_end(ap);
	return r;
}

/* vcpu_stop() for a failed check: STATUS_FAIL. */
#define vcpu_fail(vcpu, ...)	vcpu_stop(vcpu, STATUS_FAIL, __VA_ARGS__)

static bool vcpu_owns(const struct vcpu *vcpu, uint64_t gpa, uint64_t size)
{
	return vm_range_is_data(vcpu->vm, gpa, size) && gpa >= vcpu->base &&
	       gpa + size <= vcpu->base + vcpu->vm->part_size;
}

static bool vcpu_convert(struct vcpu *vcpu, uint64_t gpa, uint64_t size,
			 bool private)
{
	if (!vm_convert(vcpu->vm, gpa, size, private))
		return false;
	vcpu->converted += size;
	vcpu->shared_gpa = private ? 0 : gpa;
	vcpu->shared_size = private ? 0 : size;
	return true;
}

/* KVM_HC_MAP_GPA_RANGE: convert, if the range is in this vCPU's part. */
static bool handle_hypercall(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t gpa = run->hypercall.args[0];
	uint64_t npages = run->hypercall.args[1];
	bool private = run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED;
	uint64_t size = npages * GUEST_PAGE_SIZE;

	/* RAM_GMEM does not enable the exit: KVM handles every hypercall. */
	if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE ||
	    vcpu->vm->mode == RAM_GMEM)
		return vcpu_fail(vcpu, "unexpected hypercall %llu",
				 (unsigned long long)run->hypercall.nr);
	if (npages > UINT64_MAX / GUEST_PAGE_SIZE ||
	    !vcpu_owns(vcpu, gpa, size)) {
		run->hypercall.ret = -KVM_EINVAL;
		return true;
	}
	if (private)
		vcpu->to_private++;
	else
		vcpu->to_shared++;
	run->hypercall.ret = 0;
	return vcpu_convert(vcpu, gpa, size, private);
}

/*
 * KVM_RUN failed with EFAULT and KVM_EXIT_MEMORY_FAULT: the access could
 * not be served by the kind of memory it asked for.  Fix the attributes or
 * the memslots, and run again: here, convert the page to the kind the
 * access wanted.  On KVM_X86_SW_PROTECTED_VM the kind of an access follows
 * the attributes, so this happens only when no memory of that kind exists;
 * converting to what the page already is cannot help, and a second fault
 * on the same page means exactly that.  In RAM_GMEM there is nothing to
 * convert: all of RAM is guest_memfd and shared.
 */
static bool handle_memory_fault(struct vcpu *vcpu,
				const struct kvm_fault *fault)
{
	const char *kind = fault->private ? "private" : "shared";
	uint64_t gpa = fault->gpa, size = fault->size;

	if (vcpu->vm->mode == RAM_GMEM)
		return vcpu_stop(vcpu, STATUS_MEMORY_FAULT, "KVM_EXIT_MEMORY_FAULT"
				 " on %s gpa 0x%" PRIx64 " (%" PRIu64 " bytes): "
				 "the guest_memfd could not serve it", kind,
				 gpa, size);
	if (vcpu->faulted && vcpu->fault_gpa == gpa)
		return vcpu_stop(vcpu, STATUS_MEMORY_FAULT, "KVM_EXIT_MEMORY_FAULT"
				 " again on %s gpa 0x%" PRIx64 " after converting"
				 " it", kind, gpa);
	if (!vcpu_owns(vcpu, gpa, size))
		return vcpu_stop(vcpu, STATUS_MEMORY_FAULT, "KVM_EXIT_MEMORY_FAULT"
				 " on %s gpa 0x%" PRIx64 " (%" PRIu64 " bytes), "
				 "not in its part", kind, gpa, size);
	vcpu->faulted = true;
	vcpu->fault_gpa = gpa;
	vcpu->implicit++;
	return vcpu_convert(vcpu, gpa, size, fault->private);
}

/*
 * KVM_RUN failed with ENOMEM: the host has no memory for the guest's
 * access, most likely a guest_memfd page beyond its memory cgroup's limit
 * (guest_memfd allocations fail rather than invoke the OOM killer).  Run
 * again, and KVM retries the access: a VMM could free memory or raise the
 * limit first.  This one stops.
 */
static bool handle_no_memory(struct vcpu *vcpu, const struct kvm_fault *fault)
{
	if (!fault->known)
		return vcpu_stop(vcpu, STATUS_NO_MEMORY, "KVM_RUN: ENOMEM, no "
				 "access described: the host is out of memory");
	return vcpu_stop(vcpu, STATUS_NO_MEMORY, "KVM_RUN: ENOMEM on the "
			 "guest's %s access to gpa 0x%" PRIx64 ": the guest_memfd"
			 " could not allocate its page (at its memory cgroup's "
			 "limit?)", fault->private ? "private" : "shared",
			 fault->gpa);
}

/*
 * KVM_RUN failed with EHWPOISON: the guest's page has a hardware memory
 * error.  What it held is lost, and every access to it fails this way.  A
 * real VMM would inject a machine check into the guest (on x86, with
 * KVM_X86_SET_MCE) so that its kernel can retire the page or kill what
 * used it, and run the vCPU again; punching the page out of the guest_memfd
 * would give the gpa a new, zeroed page.  gmem-vmm stops.
 */
static bool handle_hwpoison(struct vcpu *vcpu, const struct kvm_fault *fault)
{
	if (!fault->known)
		return vcpu_stop(vcpu, STATUS_HWPOISON, "KVM_RUN: EHWPOISON, no "
				 "access described: a page of guest memory has "
				 "a hardware memory error");
	return vcpu_stop(vcpu, STATUS_HWPOISON, "KVM_RUN: EHWPOISON on the "
			 "guest's %s access to gpa 0x%" PRIx64 ": that page of "
			 "guest memory has a hardware memory error, and what it "
			 "held is lost", fault->private ? "private" : "shared",
			 fault->gpa);
}

/*
 * The guest wrote its shared data into [@start, @start + @size): check it
 * from the host's side, then, if @reply, overwrite it with the host's for
 * the guest to find.
 */
static bool host_check_shared(struct vcpu *vcpu, uint64_t start,
			      uint64_t size, bool reply)
{
	volatile uint64_t *hva;
	uint64_t gpa, want;

	for (gpa = start; gpa < start + size; gpa += 8) {
		hva = vm_shared_hva(vcpu->vm, gpa);
		want = pattern(KIND_SHARED_GUEST, vcpu->round, gpa);
		if (*hva != want)
			return vcpu_fail(vcpu, "round %u: the host reads 0x%" PRIx64
					 " at shared gpa 0x%" PRIx64 ", the guest "
					 "wrote 0x%" PRIx64, vcpu->round, *hva,
					 gpa, want);
		if (reply)
			*hva = pattern(KIND_SHARED_HOST, vcpu->round, gpa);
	}
	return true;
}

/*
 * SHARED: in RAM_CONVERT, the range the guest shared holds its data; in
 * RAM_GMEM, its whole part does, and the VMM leaves the last round's data
 * there, to check it again after the run.
 */
static bool host_exchange(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (vm->mode == RAM_GMEM)
		return host_check_shared(vcpu, vcpu->base, vm->part_size,
					 vcpu->round < vm->rounds);
	if (!vcpu->shared_size)
		return vcpu_fail(vcpu, "round %u: shared data reported, but no "
				 "range is shared", vcpu->round);
	return host_check_shared(vcpu, vcpu->shared_gpa, vcpu->shared_size,
				 true);
}

static bool report_guest_failure(struct vcpu *vcpu)
{
	static const char *const checks[] = {
		[CHECK_PRIVATE] = "its private data",
		[CHECK_ZERO] = "zeros after a conversion",
		[CHECK_HOST] = "the host's shared data",
		[CHECK_OWN] = "its own data",
	};
	volatile struct guest_mailbox *mb;
	uint64_t check;

	mb = (volatile struct guest_mailbox *)(vcpu->vm->low + MAILBOX_GPA);
	mb += vcpu->id;
	check = mb->check;
	if (check == CHECK_HYPERCALL)
		return vcpu_fail(vcpu, "round %" PRIu64 ": KVM_HC_MAP_GPA_RANGE "
				 "on gpa 0x%" PRIx64 " returned %" PRId64,
				 mb->round, mb->gpa, (int64_t)mb->got);
	return vcpu_fail(vcpu, "round %" PRIu64 ": the guest reads 0x%" PRIx64
			 " at gpa 0x%" PRIx64 ", expected 0x%" PRIx64 " (%s)",
			 mb->round, mb->got, mb->gpa, mb->want,
			 check < ARRAY_SIZE(checks) && checks[check] ?
			 checks[check] : "unknown check");
}

/* A round ends with PRIVATE; in RAM_GMEM, which has none, with SHARED. */
static bool event_is_expected(const struct vcpu *vcpu, unsigned int event)
{
	bool gmem = vcpu->vm->mode == RAM_GMEM;
	bool between_rounds = vcpu->last == EV_START ||
			      vcpu->last == (gmem ? EV_SHARED : EV_PRIVATE);

	switch (event) {
	case EV_START:
		return !vcpu->last;
	case EV_SHARED:
		return between_rounds && vcpu->round < vcpu->vm->rounds;
	case EV_PRIVATE:
		return !gmem && vcpu->last == EV_SHARED;
	case EV_DONE:
		return between_rounds && vcpu->round == vcpu->vm->rounds;
	default:
		return false;
	}
}

/* Returns false when the vCPU is to stop: done, failed, or the VM failed. */
static bool handle_report(struct vcpu *vcpu, unsigned int event)
{
	if (event == EV_FAIL)
		return report_guest_failure(vcpu);
	if (!event_is_expected(vcpu, event))
		return vcpu_fail(vcpu, "unexpected report %u after %u in round %u",
				 event, vcpu->last, vcpu->round);
	vcpu->last = event;
	if (event == EV_DONE)
		return false;
	if (event == EV_SHARED) {
		vcpu->round++;
		if (!host_exchange(vcpu))
			return false;
	}
	return vm_rendezvous(vcpu->vm, event, vcpu->round);
}

static bool handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != REPORT_PORT ||
	    run->io.size != 1 || run->io.count != 1)
		return vcpu_fail(vcpu, "unexpected I/O: %s port 0x%x, %u x %u bytes",
				 run->io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from",
				 run->io.port, run->io.count, run->io.size);
	return handle_report(vcpu, *data);
}

static const char *exit_reason_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_HLT:
		return "hlt";
	case KVM_EXIT_MMIO:
		return "MMIO: an access outside RAM";
	case KVM_EXIT_SHUTDOWN:
		return "shutdown: a triple fault";
	case KVM_EXIT_FAIL_ENTRY:
		return "VM entry failed";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM internal error";
	default:
		return "unexpected";
	}
}

static bool handle_unexpected_exit(struct vcpu *vcpu)
{
	uint32_t reason = vcpu->run->exit_reason;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		return vcpu_fail(vcpu, "exit reason %u (%s)", reason,
				 exit_reason_name(reason));
	return vcpu_fail(vcpu, "exit reason %u (%s) at rip 0x%llx", reason,
			 exit_reason_name(reason), (unsigned long long)regs.rip);
}

static bool handle_exit(struct vcpu *vcpu)
{
	switch (vcpu->run->exit_reason) {
	case KVM_EXIT_HYPERCALL:
		return handle_hypercall(vcpu);
	case KVM_EXIT_IO:
		return handle_io(vcpu);
	default:
		return handle_unexpected_exit(vcpu);
	}
}

/*
 * Run to the next exit or failure and handle it; false when the vCPU is to
 * stop.  Every outcome of KVM_RUN has its branch: see kvm_run_vcpu().
 */
static bool vcpu_step(struct vcpu *vcpu)
{
	enum kvm_run_result result;
	struct kvm_fault fault;
	int err;

	result = kvm_run_vcpu(vcpu->fd, vcpu->run, &fault);
	err = errno;
	if (result != KVM_RUN_MEMORY_FAULT)
		vcpu->faulted = false;

	switch (result) {
	case KVM_RUN_EXITED:
		return handle_exit(vcpu);
	case KVM_RUN_AGAIN:
		return true;
	case KVM_RUN_MEMORY_FAULT:
		return handle_memory_fault(vcpu, &fault);
	case KVM_RUN_NO_MEMORY:
		return handle_no_memory(vcpu, &fault);
	case KVM_RUN_HWPOISON:
		return handle_hwpoison(vcpu, &fault);
	case KVM_RUN_FAILED:
	default:
		return vcpu_fail(vcpu, "KVM_RUN: %s", strerror(err));
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	while (vcpu_step(vcpu))
		;
	return NULL;
}

void vcpus_run(struct vm *vm)
{
	unsigned int i;
	int r;

	for (i = 0; i < vm->nr_vcpus; i++) {
		r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				   &vm->vcpus[i]);
		if (r)
			die("pthread_create: %s", strerror(r));
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
}

void vcpus_destroy(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i].run, vm->run_size);
		close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
}
