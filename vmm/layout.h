/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What gmem-vmm and its guest agree on: the guest physical memory map and
 * the way the guest reports to the VMM.  Included by the VMM, the guest and
 * the guest's linker script (which sees only the numbers).
 *
 * Guest physical memory is two regions:
 *
 *   [0, LOW_SIZE)           the low region: mailboxes, GDT, page tables,
 *                           guest code and stacks.  Shared for the whole
 *                           life of the VM.
 *   [DATA_GPA, RAM size)    the data region.  Each vCPU owns one part of it.
 *
 * What backs them depends on the RAM mode (enum ram_mode):
 *
 *   RAM_CONVERT  a KVM_X86_SW_PROTECTED_VM.  The low region is a plain
 *                memslot on a memfd; the vCPUs' parts of the data region
 *                are two memslots backed by one guest_memfd (private side,
 *                at non-zero offsets) and a memfd (shared side), and each
 *                vCPU converts halves of its part back and forth.
 *   RAM_GMEM     a KVM_X86_DEFAULT_VM whose whole RAM is one host-mappable
 *                guest_memfd, the low region at offset 0 and the data region
 *                after it, each bound by a guest_memfd-only memslot.  All of
 *                it is shared; each vCPU exchanges data with the VMM in its
 *                part, without conversions.
 *
 * The guest runs in 64-bit mode on identity page tables made of 2 MiB pages
 * that the VMM writes before the first KVM_RUN.
 */
#ifndef GMEM_VMM_LAYOUT_H
#define GMEM_VMM_LAYOUT_H

#define GUEST_PAGE_SIZE		0x1000
#define MAILBOX_GPA		0x1000	/* struct guest_mailbox[MAX_VCPUS] */
#define GDT_GPA			0x2000
#define PML4_GPA		0x3000
#define PDPT_GPA		0x4000
#define PD_GPA			0x5000	/* one page directory per GiB of RAM */
#define GUEST_CODE_GPA		0x50000	/* the payload, entry point first */
#define GUEST_CODE_END		0x100000
#define STACKS_GPA		0x100000
#define STACK_SIZE		0x4000
#define LOW_SIZE		0x200000
#define DATA_GPA		LOW_SIZE

#define MAX_VCPUS		64	/* STACKS_GPA + 64 stacks == LOW_SIZE */
#define MAX_RAM_GIB		64	/* PD_GPA + 64 directories < code */

/* The guest writes one byte, an enum guest_event, to this I/O port. */
#define REPORT_PORT		0x500

#ifndef __ASSEMBLER__
#include <stdint.h>

/* How guest RAM is backed, and what the guest does with it. */
enum ram_mode {
	RAM_CONVERT,	/* guest_memfd + memfd, converted by the guest */
	RAM_GMEM,	/* one host-mappable guest_memfd, all shared */
};

/*
 * Events, in the order each vCPU reports them: START once, then SHARED
 * and PRIVATE once per round, then DONE.  FAIL can come at any time.
 * RAM_GMEM has no PRIVATE: there, START says that the vCPU's part holds
 * what the VMM wrote into it before the run, and SHARED that all of the
 * part holds the vCPU's data of the round.
 */
enum guest_event {
	EV_START = 1,	/* my part is private and holds round 0's data */
	EV_SHARED,	/* half of it is shared now, with my shared data in it */
	EV_PRIVATE,	/* that half is private again, with new private data */
	EV_DONE,	/* all rounds passed */
	EV_FAIL,	/* a check failed; the mailbox says which */
};

/* Which check failed (guest_mailbox.check) on EV_FAIL. */
enum guest_check {
	CHECK_HYPERCALL = 1,	/* KVM_HC_MAP_GPA_RANGE returned got != 0 */
	CHECK_PRIVATE,		/* private data did not survive */
	CHECK_ZERO,		/* a freshly converted page was not zero */
	CHECK_HOST,		/* the host's write to shared memory is not seen */
	CHECK_OWN,		/* the guest's own write did not read back */
};

/* One per vCPU at MAILBOX_GPA, written by the guest before it reports. */
struct guest_mailbox {
	uint64_t round;
	uint64_t check;
	uint64_t gpa;
	uint64_t want;
	uint64_t got;
	uint64_t pad[3];
};

/* Who wrote a word of data memory, for pattern(). */
enum pattern_kind {
	KIND_PRIVATE = 1,	/* the guest, in private memory */
	KIND_SHARED_GUEST,	/* the guest, in shared memory */
	KIND_SHARED_HOST,	/* the VMM, in shared memory */
};

/*
 * The value of the 64-bit word at @gpa written by @kind in @round: unique
 * per word, writer and round (gpa < 2^40, round < 2^16), and never zero.
 */
static inline uint64_t pattern(enum pattern_kind kind, uint64_t round,
			       uint64_t gpa)
{
	return (uint64_t)kind << 56 | (round & 0xffff) << 40 | gpa;
}

#define MAX_ROUNDS		0xffff
#endif /* __ASSEMBLER__ */

#endif /* GMEM_VMM_LAYOUT_H */
