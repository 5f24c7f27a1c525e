/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest_memfd uAPI, one small wrapper per step a VMM takes, kept apart
 * from the rest of gmem-vmm (its threads, rounds, accounting and output):
 * this file and kvm-gmem.c are the part to copy into a VMM.
 *
 * In the order a VMM uses them:
 *
 *   kvm_check_caps()       ask KVM for every capability it relies on
 *   kvm_create_gmem()      KVM_CREATE_GUEST_MEMFD
 *   kvm_set_memslot2()     KVM_SET_USER_MEMORY_REGION2, with or without a
 *                          guest_memfd behind the memslot
 *   kvm_set_attributes()   KVM_SET_MEMORY_ATTRIBUTES
 *   kvm_convert()          a conversion that never holds a page twice
 *   kvm_run_vcpu()         KVM_RUN, its failures around guest memory
 *                          sorted out and the faulting access decoded
 *
 * They print nothing (but kvm_check_caps(), which names what is missing)
 * and leave the decision to the caller: each returns what the system call
 * returned, -1 with errno set on failure.
 */
#ifndef GMEM_VMM_KVM_GMEM_H
#define GMEM_VMM_KVM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/* A capability the VMM needs: KVM_CHECK_EXTENSION must report all of mask. */
struct kvm_cap_need {
	int cap;
	uint64_t mask;
	const char *name;	/* e.g. "KVM_CAP_GUEST_MEMFD" */
	const char *what;	/* what the VMM needs it for */
};

bool kvm_check_caps(int fd, const struct kvm_cap_need *needs,
		    size_t nr_needs);

int kvm_create_gmem(int vm_fd, uint64_t size, uint64_t flags);

/*
 * A memslot, as the VMM remembers it: KVM_SET_USER_MEMORY_REGION2 takes
 * the first five fields, and the VMM needs the file offsets again to free
 * the memory of a range that changes sides (kvm_convert()).
 */
struct kvm_slot {
	uint32_t slot;
	uint64_t gpa;
	uint64_t size;
	/* userspace_addr: shared memory, or only KVM's own accesses */
	void *hva;
	/* KVM_MEM_GUEST_MEMFD if not -1: where gpa lies in which guest_memfd */
	int gmem_fd;
	uint64_t gmem_offset;
	/* The file mapped at hva (a memfd), for punching; -1 if none. */
	int shared_fd;
	uint64_t shared_offset;
};

int kvm_set_memslot2(int vm_fd, const struct kvm_slot *slot);
int kvm_set_attributes(int vm_fd, uint64_t gpa, uint64_t size,
		       uint64_t attributes);
int kvm_convert(int vm_fd, const struct kvm_slot *slots, size_t nr_slots,
		uint64_t gpa, uint64_t size, bool private, const char **failed);

/* The access that KVM_RUN failed on, from run->memory_fault. */
struct kvm_fault {
	bool known;		/* KVM described it: the fields below are set */
	bool private;		/* KVM_MEMORY_EXIT_FLAG_PRIVATE */
	uint64_t gpa;
	uint64_t size;
};

/* How KVM_RUN ended; errno says why for the failures. */
enum kvm_run_result {
	KVM_RUN_EXITED,		/* 0: handle run->exit_reason */
	KVM_RUN_AGAIN,		/* EINTR: a signal; run again */
	KVM_RUN_MEMORY_FAULT,	/* EFAULT + KVM_EXIT_MEMORY_FAULT */
	KVM_RUN_NO_MEMORY,	/* ENOMEM */
	KVM_RUN_HWPOISON,	/* EHWPOISON */
	KVM_RUN_FAILED,		/* anything else */
};

enum kvm_run_result kvm_run_vcpu(int vcpu_fd, struct kvm_run *run,
				 struct kvm_fault *fault);

#endif /* GMEM_VMM_KVM_GMEM_H */
