# guest_memfd for Linux 6.1: the patch series and its harness.
# See README.md. Everything is built under build/ (ignored by git).

SHELL := /bin/bash
S := scripts

# Knobs.  Given on make's command line (make check TESTS=x86_64/foo), a
# knob reaches the scripts as GMEM_<NAME>; the scripts read GMEM_* variables
# only, so that a TESTS, SRC, OUT or EXTRA of the user's own environment
# changes nothing.  GMEM_<NAME> in the environment works too.  make help
# lists them from the #knob lines below: name, default, what.
#knob TESTS           (all)          make check: run just these selftests (x86_64/foo_test ...)
#knob TEST_TIMEOUT    300            seconds a test may run in the guest
#knob FROM            1              make hygiene: start at patch N
#knob FORCE           0              make apply/base: 1 throws away work that patches/ lacks
#knob BUMP            0              make base: 1 prints the sha256 of a new pin's tarball
#knob BENCH_KERNEL    production     make bench: production (build/obj-bench) or debug (the test kernel)
#knob BENCH_BASE      1              make bench: 0 leaves out the unpatched base's kernel
#knob VMM_ARGS        (none)         make run: options for gmem-vmm
#knob STRESS_SECONDS  60             make reliability: stress test seconds
#knob FUZZ_SECONDS    30             make reliability: fuzzer seconds
#knob FAIL_PERCENT    2              make reliability: percent of failing allocations
#knob KCONFIG_BASE    minimal        test kernel config base: minimal (allnoconfig + config/guest.config) or defconfig
#knob QEMU_SMP        1              vCPUs of the test guest (the racing tests' boots use 2)
#knob QEMU_MEM        4G             memory of the test guest
#knob QEMU_NUMA       2              NUMA nodes of the test guest
#knob KERNEL_CMDLINE  (none)         extra kernel command line of the test guest
#knob BOOT_TIMEOUT    300            seconds a guest may take to boot, on top of its tests
#knob CCACHE_SIZE     12G            ccache's size limit
#knob BUILD           build          where everything is built
#knob DEB_OBJ         build/obj-deb  make deb: build directory
#knob DEB_OUT         build/deb      make deb/deb-check: the packages
#knob DEB_ROOT        build/deb-root make deb-check: the Debian root
#knob DEB_CACHE       build/dl/debootstrap  make deb-check: debootstrap's package cache
#knob DEB_MIRROR      (apt's)        make deb-check: the Debian mirror
#knob DEB_CONFIG_ONLY 0              make deb: 1 stops after the config
#knob DEBIAN_CONFIG   /usr/src/linux-config-6.1/config.amd64_none_amd64.xz  make deb: Debian's config
# Set by the scripts for each other (GMEM_ only): SRC, OBJ, KSFT, HDR (the
# tree and build directories), FRAGMENTS, ALLOW_ABSENT, EXTRA, EXPORT_DIR,
# RESULTS_NAME.
KNOBS := $(shell sed -n 's/^\#knob \([A-Z_]*\) .*/\1/p' $(firstword $(MAKEFILE_LIST)))
$(foreach k,$(KNOBS),$(if $(filter command line,$(origin $(k))),$(eval export GMEM_$(k) := $$($(k)))))
# Not on to the kernel's own make, which the scripts run.
MAKEOVERRIDES :=

.PHONY: all help deps base apply export status update-check build run bench check races reliability check-base hygiene deb deb-check clean clean-tree
all: check

help:		## list the targets and the knobs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14
	@echo; echo "knobs (make TARGET NAME=value, or GMEM_NAME=value in the environment; default, what):"
	@sed -n 's/^#knob /  /p' $(firstword $(MAKEFILE_LIST))

deps:		## install the Debian packages the harness needs
	@$(S)/build/deps.sh
base: deps	## unpack the pinned base into build/linux (BUMP=1 prints a new sha256)
	@$(S)/tree/base.sh
apply: deps	## rebuild build/linux as base + patches/ (refuses to drop work; FORCE=1 does)
	@$(S)/tree/apply.sh
export:		## write build/linux's commits back into patches/
	@$(S)/tree/export.sh
status:		## list work in build/linux that patches/ lacks; non-zero if any
	@$(S)/tree/status.sh
update-check:	## does Debian's mirror have a newer linux-source-6.1 than base.pin, and does the series apply to it with zero fuzz?
	@$(S)/tree/update-check.sh
build:		## build the test kernel and its KVM selftests
	@$(S)/build/ensure.sh && $(S)/build/build.sh
run:		## build the patched kernel, boot it under QEMU, run the smoke check
	@$(S)/test/run.sh
bench:		## build a production kernel (build/obj-bench), boot it, run bench/attrs_bench, gmem_bench, ram_bench, huge_bench and base_bench (also on the unpatched base, build/obj-base-bench); table, CSV, PNG in build/results/bench/ (BENCH_KERNEL=debug: on the test kernel)
	@$(S)/test/bench.sh
check:		## build, boot and run the tests, the racing ones on two vCPUs, then the reliability run (TESTS="x86_64/foo": just those tests)
	@$(S)/test/check.sh
races:		## the tests of tests/two-cpus.txt in a test guest with two vCPUs
	@$(S)/build/ensure.sh && $(S)/build/build.sh && $(S)/test/races.sh
reliability:	## stress + fuzz under failslab/fail_page_alloc, then leak checks (STRESS_SECONDS, FUZZ_SECONDS, FAIL_PERCENT)
	@$(S)/build/ensure.sh && $(S)/build/build.sh && $(S)/test/reliability.sh
check-base:	## the same tests on the unpatched base (build/base-tree, build/obj-base)
	@$(S)/test/check-base.sh
hygiene:	## per patch: zero-fuzz apply, checkpatch, KVM/mm/fs build with KVM=y and =m (FROM=N: from patch N)
	@$(S)/build/ensure.sh && $(S)/test/hygiene.sh
deb:		## Debian packages of the patched kernel (image, headers, libc-dev) in build/deb; not in CI (33 min cold)
	@$(S)/build/ensure.sh && $(S)/build/deb.sh
deb-check:	## install build/deb into a fresh debootstrapped Debian 12 root and build vmm/ there (needs root)
	@$(S)/test/deb-check.sh
clean:		## drop build products but keep build/linux and its work
	rm -rf build/obj build/obj-* build/selftests* build/headers* build/initramfs* build/results build/log build/deb build/deb-root
clean-tree:	## drop build/linux (refuses while it holds unexported work)
	@$(S)/tree/status.sh >/dev/null || { $(S)/tree/status.sh; echo "error: refusing to delete build/linux: it holds unexported work" >&2; exit 1; }
	rm -rf build/linux
