// SPDX-License-Identifier: GPL-2.0
/*
 * The guest_memfd uAPI in small wrappers; see kvm-gmem.h for the list.
 * Numbers and structures come from <linux/kvm.h>, or from compat.h where
 * the installed headers predate guest_memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>

#include "kvm-gmem.h"

/*
 * Ask @fd for each capability in @needs and name on stderr every one it
 * lacks (with the bits it does report, if any).  Ask /dev/kvm for what
 * must hold before a VM exists, and the VM itself for what depends on its
 * type: KVM_CAP_MEMORY_ATTRIBUTES and KVM_CAP_GUEST_MEMFD_FLAGS, say, give
 * different answers for a KVM_X86_DEFAULT_VM and a KVM_X86_SW_PROTECTED_VM.
 * Returns whether nothing is missing.
 */
bool kvm_check_caps(int fd, const struct kvm_cap_need *needs,
		    size_t nr_needs)
{
	const struct kvm_cap_need *need;
	bool missing = false;
	int r;

	for (need = needs; need < needs + nr_needs; need++) {
		r = ioctl(fd, KVM_CHECK_EXTENSION, need->cap);
		if (r >= 0 && ((uint64_t)r & need->mask) == need->mask)
			continue;
		if (r > 0)
			fprintf(stderr, "error: this kernel lacks %s (%s; it "
				"reports 0x%x)\n", need->name, need->what, r);
		else
			fprintf(stderr, "error: this kernel lacks %s (%s)\n",
				need->name, need->what);
		missing = true;
	}
	return !missing;
}

/*
 * A new guest_memfd of @size bytes (page aligned) for the VM: returns its
 * fd.  Without flags, its memory is private and the host cannot map it.
 * GUEST_MEMFD_FLAG_MMAP lets the VMM mmap() it (MAP_SHARED only), and
 * GUEST_MEMFD_FLAG_INIT_SHARED makes its memory shared from the start, for
 * a VM without private memory; KVM_CAP_GUEST_MEMFD_FLAGS on the VM says
 * which flags it takes.  The file's size never changes.
 */
int kvm_create_gmem(int vm_fd, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd gmem = {
		.size = size,
		.flags = flags,
	};

	return ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &gmem);
}

/*
 * Create @slot.  With a guest_memfd, it binds [gmem_offset, gmem_offset +
 * size) of the file to the memslot: the offset need not be 0, and one file
 * can back several memslots, as long as their ranges of it do not overlap
 * (EEXIST).  Such a memslot can later only be deleted (size 0).
 *
 * Private accesses are served from the guest_memfd, shared ones from
 * userspace_addr; if the file was made with GUEST_MEMFD_FLAG_MMAP, every
 * access is served from the file and userspace_addr serves only KVM's own
 * accesses to guest memory (it may be the VMM's mapping of the same file).
 */
int kvm_set_memslot2(int vm_fd, const struct kvm_slot *slot)
{
	bool gmem = slot->gmem_fd >= 0;
	struct kvm_userspace_memory_region2 region = {
		.slot = slot->slot,
		.flags = gmem ? KVM_MEM_GUEST_MEMFD : 0,
		.guest_phys_addr = slot->gpa,
		.memory_size = slot->size,
		.userspace_addr = (uintptr_t)slot->hva,
		.guest_memfd_offset = gmem ? slot->gmem_offset : 0,
		.guest_memfd = gmem ? slot->gmem_fd : 0,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &region);
}

/*
 * Set the attributes of [@gpa, @gpa + @size), memslots or not: 0 is
 * shared, KVM_MEMORY_ATTRIBUTE_PRIVATE private.  KVM has zapped the old
 * mappings of the range when it returns.  A signal can interrupt it (EINTR)
 * on a large range; running it again is safe.
 */
int kvm_set_attributes(int vm_fd, uint64_t gpa, uint64_t size,
		       uint64_t attributes)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = attributes,
	};
	int r;

	do
		r = ioctl(vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &attrs);
	while (r && errno == EINTR);
	return r;
}

static int punch(int fd, uint64_t offset, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 offset, len);
}

/*
 * Convert [@gpa, @gpa + @size) to private or shared without ever holding a
 * page twice: a page is held on the side its attribute names, and only
 * there.
 *
 *   private -> shared: set the attributes, then punch the range out of
 *                      the guest_memfd;
 *   shared -> private: set the attributes, then punch it out of the shared
 *                      memory (the memfd behind userspace_addr; anonymous
 *                      memory would take madvise(MADV_DONTNEED) instead).
 *
 * The attributes change first, so KVM has zapped the guest's mappings of
 * the old side before it is freed.  The side the range moves to is filled
 * on the guest's first access, with zeros: data does not survive a
 * conversion.  The caller keeps the vCPU that asked stopped meanwhile, so
 * that nothing faults the freed side back in.
 *
 * A memslot's range of its files need not start at offset 0, and two
 * memslots on one file need not be in the file in gpa order: the range is
 * punched piece by piece, each at its offset in the memslot that holds it
 * (@slots, of which those without a guest_memfd are skipped).  Returns 0,
 * or -1 with errno set and *@failed naming the call that failed.
 */
int kvm_convert(int vm_fd, const struct kvm_slot *slots, size_t nr_slots,
		uint64_t gpa, uint64_t size, bool private, const char **failed)
{
	const struct kvm_slot *s;
	uint64_t start, end, off;
	int fd;

	if (kvm_set_attributes(vm_fd, gpa, size,
			       private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0)) {
		*failed = "KVM_SET_MEMORY_ATTRIBUTES";
		return -1;
	}
	for (s = slots; s < slots + nr_slots; s++) {
		if (s->gmem_fd < 0 || gpa >= s->gpa + s->size ||
		    gpa + size <= s->gpa)
			continue;
		start = gpa > s->gpa ? gpa : s->gpa;
		end = gpa + size < s->gpa + s->size ? gpa + size :
						      s->gpa + s->size;
		off = start - s->gpa;
		if (private) {
			fd = s->shared_fd;
			off += s->shared_offset;
		} else {
			fd = s->gmem_fd;
			off += s->gmem_offset;
		}
		if (fd >= 0 && punch(fd, off, end - start)) {
			*failed = private ? "punching the shared memory" :
					    "punching the guest_memfd";
			return -1;
		}
	}
	return 0;
}

/*
 * Run the vCPU once and sort out how KVM_RUN ended.  A failure around
 * guest memory comes with run->exit_reason KVM_EXIT_MEMORY_FAULT and
 * run->memory_fault describing the access:
 *
 *   EFAULT      the access cannot be served by the kind of memory it asks
 *               for (a private access outside any guest_memfd memslot, a
 *               race with a memslot change): fix the attributes or the
 *               memslots and run again, which retries the access;
 *   ENOMEM      the guest_memfd could not allocate the page (no memory,
 *               or its memory cgroup's limit): running again retries, once
 *               memory was freed or the limit raised;
 *   EHWPOISON   the page has a hardware memory error: its contents are
 *               lost, and every access to it fails the same way.
 *
 * KVM_CAP_MEMORY_FAULT_INFO says that KVM reports these.  Any other
 * failure is KVM_RUN_FAILED, with errno set.
 */
enum kvm_run_result kvm_run_vcpu(int vcpu_fd, struct kvm_run *run,
				 struct kvm_fault *fault)
{
	struct memory_fault_exit exit;
	int err;

	/*
	 * KVM does not read exit_reason on entry.  Clearing it tells a
	 * failure that describes no access apart from one that does: else
	 * an earlier KVM_EXIT_MEMORY_FAULT would still be there.
	 */
	run->exit_reason = KVM_EXIT_UNKNOWN;
	if (!ioctl(vcpu_fd, KVM_RUN, 0))
		return KVM_RUN_EXITED;
	err = errno;

	*fault = (struct kvm_fault){ 0 };
	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		exit = run_memory_fault(run);
		fault->known = true;
		fault->private = exit.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE;
		fault->gpa = exit.gpa;
		fault->size = exit.size;
	}

	errno = err;
	switch (err) {
	case EINTR:
		return KVM_RUN_AGAIN;
	case EFAULT:
		return fault->known ? KVM_RUN_MEMORY_FAULT : KVM_RUN_FAILED;
	case ENOMEM:
		return KVM_RUN_NO_MEMORY;
	case EHWPOISON:
		return KVM_RUN_HWPOISON;
	default:
		return KVM_RUN_FAILED;
	}
}
