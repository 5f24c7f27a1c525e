// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke check of the booted kernel: print its version and the KVM
 * capabilities that the guest_memfd series adds, on /dev/kvm and on a VM.
 * The numbers are upstream's (shared/abi.md), so that this builds against
 * any set of headers, the unpatched base's included.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

static const struct {
	const char *name;
	int cap;
} caps[] = {
	{ "KVM_CAP_USER_MEMORY2", 231 },
	{ "KVM_CAP_MEMORY_FAULT_INFO", 232 },
	{ "KVM_CAP_MEMORY_ATTRIBUTES", 233 },
	{ "KVM_CAP_GUEST_MEMFD", 234 },
	{ "KVM_CAP_VM_TYPES", 235 },
	{ "KVM_CAP_PRE_FAULT_MEMORY", 236 },
	{ "KVM_CAP_GUEST_MEMFD_FLAGS", 244 },
};

int main(void)
{
	struct utsname u;
	int kvm, vm;
	unsigned int i;

	uname(&u);
	printf("kernel: %s %s\n", u.release, u.version);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0) {
		perror("open /dev/kvm");
		return 1;
	}
	printf("KVM_GET_API_VERSION: %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return 1;
	}
	printf("%-28s %8s %8s\n", "capability", "/dev/kvm", "VM");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		printf("%-28s %8d %8d\n", caps[i].name,
		       ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap),
		       ioctl(vm, KVM_CHECK_EXTENSION, caps[i].cap));
	return 0;
}
