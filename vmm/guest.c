// SPDX-License-Identifier: GPL-2.0
/*
 * The gmem-vmm guest: freestanding 64-bit code, one copy run by every vCPU
 * on its own part of the data region.  The VMM enters _start in long mode
 * with paging on, the stack set and the System V argument registers
 * holding guest_main()'s arguments: the part (base gpa and size, a multiple
 * of two pages), the number of rounds, the vCPU's mailbox and the RAM mode.
 *
 * RAM_CONVERT: each round converts one half of the part to shared and back
 * to private with KVM_HC_MAP_GPA_RANGE, checking on the way that
 * - private data survives the conversion of the other half;
 * - memory reads as zeros right after each conversion, as the VMM freed
 *   the side the range left (guest_memfd hole, discarded memfd page);
 * - the VMM sees what the guest writes to shared memory and vice versa.
 *
 * RAM_GMEM: all memory is shared and nothing is converted.  The guest
 * checks what the VMM wrote into its part before the run; in each round it
 * writes its own data into the part, checks it, and, but in the last round,
 * checks the data the VMM then writes over it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm_para.h>

#include "layout.h"

__asm__(".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".previous\n");

struct guest {
	volatile struct guest_mailbox *mb;
	uint64_t round;
	bool amd;	/* vmmcall rather than vmcall */
};

static void report(enum guest_event event)
{
	__asm__ volatile("outb %b0, %w1"
			 : : "a"(event), "Nd"(REPORT_PORT) : "memory");
}

static void __attribute__((noreturn))
fail(struct guest *g, enum guest_check check, uint64_t gpa, uint64_t want,
     uint64_t got)
{
	g->mb->round = g->round;
	g->mb->check = check;
	g->mb->gpa = gpa;
	g->mb->want = want;
	g->mb->got = got;
	report(EV_FAIL);
	/* The VMM does not run a vCPU that failed again. */
	for (;;)
		__asm__ volatile("hlt");
}

/* AMD's hypercall instruction is vmmcall, Intel's vmcall: ask CPUID. */
static bool cpu_is_amd(void)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;

	__asm__ volatile("cpuid"
			 : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	/* "AuthenticAMD" or "HygonGenuine" */
	return ebx == 0x68747541 || ebx == 0x6f677948;
}

static uint64_t hypercall3(struct guest *g, uint64_t nr, uint64_t a0,
			   uint64_t a1, uint64_t a2)
{
	uint64_t ret;

	if (g->amd)
		__asm__ volatile("vmmcall"
				 : "=a"(ret)
				 : "a"(nr), "b"(a0), "c"(a1), "d"(a2)
				 : "memory");
	else
		__asm__ volatile("vmcall"
				 : "=a"(ret)
				 : "a"(nr), "b"(a0), "c"(a1), "d"(a2)
				 : "memory");
	return ret;
}

static void map_gpa_range(struct guest *g, uint64_t gpa, uint64_t size,
			  bool private)
{
	uint64_t attrs = private ? KVM_MAP_GPA_RANGE_ENCRYPTED :
				   KVM_MAP_GPA_RANGE_DECRYPTED;
	uint64_t ret;

	ret = hypercall3(g, KVM_HC_MAP_GPA_RANGE, gpa, size / GUEST_PAGE_SIZE,
			 attrs | KVM_MAP_GPA_RANGE_PAGE_SZ_4K);
	if (ret)
		fail(g, CHECK_HYPERCALL, gpa, 0, ret);
}

static void fill(uint64_t gpa, uint64_t size, enum pattern_kind kind,
		 uint64_t round)
{
	uint64_t a;

	for (a = gpa; a < gpa + size; a += 8)
		*(volatile uint64_t *)a = pattern(kind, round, a);
}

/* @kind 0: the range must read as zeros. */
static void check(struct guest *g, enum guest_check what, uint64_t gpa,
		  uint64_t size, enum pattern_kind kind, uint64_t round)
{
	uint64_t a, val, want;

	for (a = gpa; a < gpa + size; a += 8) {
		val = *(volatile uint64_t *)a;
		want = kind ? pattern(kind, round, a) : 0;
		if (val != want)
			fail(g, what, a, want, val);
	}
}

/*
 * RAM_GMEM: the VMM reads and writes the part through its mapping of the
 * guest_memfd, the same memory the guest sees.  It leaves the guest's data
 * of the last round in place, to check it once the vCPUs have stopped.
 */
static void guest_gmem(struct guest *g, uint64_t base, uint64_t size,
		       uint64_t rounds)
{
	check(g, CHECK_HOST, base, size, KIND_SHARED_HOST, 0);
	report(EV_START);

	for (g->round = 1; g->round <= rounds; g->round++) {
		fill(base, size, KIND_SHARED_GUEST, g->round);
		check(g, CHECK_OWN, base, size, KIND_SHARED_GUEST, g->round);
		report(EV_SHARED);
		if (g->round < rounds)
			check(g, CHECK_HOST, base, size, KIND_SHARED_HOST,
			      g->round);
	}
	report(EV_DONE);
}

void guest_main(uint64_t base, uint64_t size, uint64_t rounds,
		volatile struct guest_mailbox *mb, uint64_t mode)
{
	struct guest g = { .mb = mb, .amd = cpu_is_amd() };
	uint64_t half = size / 2;
	/* The round whose private data each half holds. */
	uint64_t written[2] = { 0, 0 };

	if (mode == RAM_GMEM) {
		guest_gmem(&g, base, size, rounds);
		return;
	}

	map_gpa_range(&g, base, size, true);
	check(&g, CHECK_ZERO, base, size, 0, 0);
	fill(base, size, KIND_PRIVATE, 0);
	report(EV_START);

	for (g.round = 1; g.round <= rounds; g.round++) {
		unsigned int h = (g.round - 1) & 1, o = !h;
		uint64_t chunk = base + h * half, other = base + o * half;

		check(&g, CHECK_PRIVATE, chunk, half, KIND_PRIVATE, written[h]);

		map_gpa_range(&g, chunk, half, false);
		check(&g, CHECK_ZERO, chunk, half, 0, 0);
		fill(chunk, half, KIND_SHARED_GUEST, g.round);
		report(EV_SHARED);
		check(&g, CHECK_HOST, chunk, half, KIND_SHARED_HOST, g.round);
		check(&g, CHECK_PRIVATE, other, half, KIND_PRIVATE, written[o]);

		map_gpa_range(&g, chunk, half, true);
		check(&g, CHECK_ZERO, chunk, half, 0, 0);
		fill(chunk, half, KIND_PRIVATE, g.round);
		written[h] = g.round;
		report(EV_PRIVATE);
	}
	report(EV_DONE);
}
