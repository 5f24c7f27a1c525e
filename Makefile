# guest_memfd for Linux 6.1: the patch series and its harness.
# See README.md. Everything is built under build/ (ignored by git).

SHELL := /bin/bash
S := scripts

.PHONY: all help deps base apply export status update-check build run bench check races reliability check-base hygiene deb deb-check clean clean-tree
all: check

help:		## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

deps:		## install the Debian packages the harness needs
	@$(S)/deps.sh
base: deps	## unpack the pinned base into build/linux (BUMP=1 prints a new sha256)
	@$(S)/base.sh
apply: deps	## rebuild build/linux as base + patches/ (refuses to drop work; FORCE=1 does)
	@$(S)/apply.sh
export:		## write build/linux's commits back into patches/
	@$(S)/export.sh
status:		## list work in build/linux that patches/ lacks; non-zero if any
	@$(S)/status.sh
update-check:	## does Debian's mirror have a newer linux-source-6.1 than base.pin, and does the series apply to it with zero fuzz?
	@$(S)/update-check.sh
build:		## build the test kernel and its KVM selftests
	@$(S)/ensure.sh && $(S)/build.sh
run:		## build the patched kernel, boot it under QEMU, run the smoke check
	@$(S)/run.sh
bench:		## build a production kernel (build/obj-bench), boot it, run bench/attrs_bench, gmem_bench, ram_bench and huge_bench; table, CSV, PNG in build/results/bench/ (BENCH_KERNEL=debug: on the test kernel)
	@$(S)/bench.sh
check:		## build, boot and run the tests, the racing ones on two vCPUs, then the reliability run (TESTS="x86_64/foo": just those tests)
	@$(S)/check.sh
races:		## the tests of tests/two-cpus.txt in a test guest with two vCPUs
	@$(S)/ensure.sh && $(S)/build.sh && $(S)/races.sh
reliability:	## stress + fuzz under failslab/fail_page_alloc, then leak checks (STRESS_SECONDS, FUZZ_SECONDS, FAIL_PERCENT)
	@$(S)/ensure.sh && $(S)/build.sh && $(S)/reliability.sh
check-base:	## the same tests on the unpatched base (build/base-tree, build/obj-base)
	@$(S)/check-base.sh
hygiene:	## per patch: zero-fuzz apply, checkpatch, KVM/mm/fs build with KVM=y and =m (FROM=N: from patch N)
	@$(S)/ensure.sh && $(S)/hygiene.sh
deb:		## Debian packages of the patched kernel (image, headers, libc-dev) in build/deb; not in CI (33 min cold)
	@$(S)/ensure.sh && $(S)/deb.sh
deb-check:	## install build/deb into a fresh debootstrapped Debian 12 root and build vmm/ there (needs root)
	@$(S)/deb-check.sh
clean:		## drop build products but keep build/linux and its work
	rm -rf build/obj build/obj-* build/selftests* build/headers* build/initramfs* build/results build/log build/deb build/deb-root
clean-tree:	## drop build/linux (refuses while it holds unexported work)
	@$(S)/status.sh >/dev/null || { $(S)/status.sh; echo "error: refusing to delete build/linux: it holds unexported work" >&2; exit 1; }
	rm -rf build/linux
