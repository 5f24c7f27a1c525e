/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GMEM_VMM_H
#define GMEM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm-gmem.h"
#include "layout.h"

#define KiB			((uint64_t)1024)
#define MiB			(1024 * KiB)
#define GiB			(1024 * MiB)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/*
 * The exit status of gmem-vmm: how the run ended.  A run that fails stops at
 * its first failure, whose status is the run's.  4 is left out: kselftest
 * and this project's test harness read it as "skipped".
 */
enum vmm_status {
	STATUS_PASS = 0,
	STATUS_FAIL = 1,	/* a check, setup, a capability, KVM_RUN otherwise */
	STATUS_USAGE = 2,
	STATUS_MEMORY_FAULT = 3, /* a KVM_EXIT_MEMORY_FAULT it could not fix */
	STATUS_NO_MEMORY = 5,	/* KVM_RUN: ENOMEM */
	STATUS_HWPOISON = 6,	/* KVM_RUN: EHWPOISON */
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;

	/* The part of the data region that this vCPU converts. */
	uint64_t base;

	/* Where the guest is: its last report and its round. */
	enum guest_event last;
	unsigned int round;
	/* The range it shared last and has not made private again. */
	uint64_t shared_gpa, shared_size;
	/* The gpa of the last KVM_EXIT_MEMORY_FAULT, if it was the last exit. */
	bool faulted;
	uint64_t fault_gpa;

	/* Counters, read by the rendezvous and at the end. */
	uint64_t converted;	/* bytes since the last rendezvous */
	unsigned long to_shared, to_private, implicit;
};

struct vm {
	enum ram_mode mode;
	int kvm_fd;
	int fd;
	/*
	 * RAM_CONVERT: three files, each mapped apart.  RAM_GMEM: gmem_fd is
	 * all of RAM, low_fd and shared_fd are -1, and low and shared point
	 * into the one mapping of gmem_fd, at offsets 0 and DATA_GPA.
	 */
	int low_fd;		/* memfd of the low region */
	int shared_fd;		/* memfd: the shared side of the data region */
	int gmem_fd;		/* guest_memfd: its private side */
	uint8_t *low;		/* host view of the low region */
	uint8_t *shared;	/* host view of the data region's shared side */
	uint64_t gmem_size;	/* of the guest_memfd */
	/* The memslots, in gpa order, for conversions to find file offsets. */
	struct kvm_slot slots[3];
	unsigned int nr_slots;
	uint64_t ram_size;
	uint64_t data_size;
	uint64_t part_size;	/* each vCPU's part of the data region */
	unsigned int rounds;
	unsigned int nr_vcpus;
	struct vcpu *vcpus;
	size_t run_size;	/* of each vCPU's struct kvm_run mapping */

	/*
	 * All vCPUs meet at each report but DONE and FAIL, so that the last
	 * one to arrive sees a quiet guest when it takes the accounting.  A
	 * failure breaks the meeting for good.
	 */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int arrived;
	unsigned int generation;
	bool failed;
	enum vmm_status status;	/* of the first failure */
	char failure[256];
	uint64_t peak_data;	/* the most gmem + shared bytes seen */

	/*
	 * RAM_GMEM: the VMM's anonymous + shmem memory (smaps_rollup) before
	 * guest RAM existed, and the most it grew by since.
	 */
	uint64_t vmm_base;
	uint64_t peak_growth;
};

/* Print an error and exit with STATUS_FAIL. */
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);

void vm_create(struct vm *vm, enum ram_mode mode, uint64_t ram_size,
	       unsigned int nr_vcpus, unsigned int rounds);
void vm_destroy(struct vm *vm);
bool vm_range_is_data(const struct vm *vm, uint64_t gpa, uint64_t size);
bool vm_convert(struct vm *vm, uint64_t gpa, uint64_t size, bool private);
uint64_t *vm_shared_hva(const struct vm *vm, uint64_t gpa);
bool vm_check_guest_data(struct vm *vm);
void vm_inject_hwpoison(struct vm *vm, uint64_t gpa);
bool vm_rendezvous(struct vm *vm, enum guest_event event, unsigned int round);
void __attribute__((format(printf, 3, 4)))
vm_fail(struct vm *vm, enum vmm_status status, const char *fmt, ...);

void vcpus_create(struct vm *vm);
void vcpus_run(struct vm *vm);
void vcpus_destroy(struct vm *vm);

#endif /* GMEM_VMM_H */
