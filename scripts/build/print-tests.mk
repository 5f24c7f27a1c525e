# Added after the KVM selftests Makefile to print its x86_64 test programs.
print-tests:
	@for t in $(TEST_GEN_PROGS_x86_64); do echo "$${t#$(OUTPUT)/}"; done
