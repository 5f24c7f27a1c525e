#!/bin/bash
# make run: build the patched kernel, boot it and run the smoke check.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/ensure.sh" || exit 1
"$TOP/scripts/build.sh" || exit 1
mkdir -p "$BUILD/tools"
step tools gcc -O2 -Wall -static -isystem "$HDR/include" -o "$BUILD/tools/kvm-caps" "$TOP/tools/kvm-caps.c"
"$TOP/scripts/boot.sh" run 60 kvm-caps
rc=$?
sed -n '/^# running kvm-caps/,/^# kvm-caps: exit/p' "$BUILD/results/run.ktap" | sed 's/^# //'
exit $rc
