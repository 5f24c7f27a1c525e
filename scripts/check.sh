#!/bin/bash
# make check: build the patched kernel and its KVM selftests, boot it and run
# the tests (see run-tests.sh).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
exec "$TOP/scripts/run-tests.sh"
