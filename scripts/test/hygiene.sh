#!/bin/bash
# Patch hygiene, for each commit base..HEAD of $SRC in order (FROM=N: from
# patch N on):
#  - its file in patches/ applies onto its parent with zero fuzz and offset;
#  - scripts/checkpatch.pl reports no error (warnings are printed);
#  - the kernel's KVM, mm and fs objects build with KVM built in and with
#    KVM, KVM_AMD and KVM_INTEL as modules.
# Runs in a worktree of its own, so that build/linux and its build stay as
# they are.
. "$(dirname "$0")/../lib.sh"

base=$(base_rev) || die "no kernel tree in $SRC; run 'make apply' first"
"$TOP/scripts/tree/status.sh" >/dev/null ||
	die "build/linux holds unexported work; 'make export' first, hygiene checks the files in patches/"
commits=$(git -C "$SRC" rev-list --reverse "$base..HEAD")
files=($(series_files))
[ "${#files[@]}" = "$(echo "$commits" | grep -c .)" ] ||
	die "build/linux does not hold patches/ (run 'make apply')"

hy=$BUILD/hygiene
wt=$hy/tree
if [ ! -d "$wt" ]; then
	git -C "$SRC" worktree prune
	git -C "$SRC" worktree add -q --detach "$wt" "$base" || die "cannot make a worktree in $wt"
fi
fr=$TOP/config
# The patch's own selftests config (ksft_config): the options the series has
# added up to that patch; kvm-modules.config comes after it to turn KVM=y to m.
declare -A frags=(
	[builtin]="$fr/harness.config $fr/kvm.config $(ksft_config "$wt") $fr/werror.config"
	[modules]="$fr/harness.config $(ksft_config "$wt") $fr/kvm-modules.config $fr/werror.config"
)
TARGETS="arch/x86/kvm/ mm/ fs/"

# GMEM_FROM=N (make hygiene FROM=N) starts at patch N (the patches before it were checked already).
from=${GMEM_FROM:-1}
fail=0 i=0 checked=0
for c in $commits; do
	p=${files[$i]}
	i=$((i + 1))
	name=$(basename "$p")
	[ "$i" -ge "$from" ] || continue
	checked=$((checked + 1))
	echo "=== $name"
	git -C "$wt" checkout -q -f --detach "$c^" || die "cannot check out $c^"
	out=$(cd "$wt" && patch -p1 -F0 -f --dry-run <"$p" 2>&1)
	if [ $? != 0 ] || ! patch_output_clean "$out"; then
		echo "$out" | sed 's/^/    /'
		echo "FAIL $name: does not apply with zero fuzz and offset"
		fail=1
	fi
	git -C "$wt" checkout -q -f --detach "$c"
	# /usr/bin first: checkpatch runs spdxcheck.py, which needs Debian's python3-ply.
	cp=$(cd "$wt" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --no-summary --show-types --terse "$p" 2>&1)
	[ -n "$cp" ] && echo "$cp" | sed 's/^/    /'
	if echo "$cp" | grep -q ': ERROR:'; then
		echo "FAIL $name: checkpatch errors"
		fail=1
	fi
	for kind in builtin modules; do
		o=$hy/obj-$kind
		# On defconfig, as a distribution builds: mm/ and fs/ with
		# most of their options on, not just what the test guest needs.
		GMEM_SRC=$wt GMEM_OBJ=$o GMEM_FRAGMENTS="${frags[$kind]}" GMEM_KCONFIG_BASE=defconfig \
			"$TOP/scripts/build/config.sh" ||
			die "cannot configure the $kind build at $name"
		log=$hy/$kind-$(printf %04d $i).log
		if make -C "$wt" O="$o" CC="ccache gcc" -j"$NPROC" $TARGETS >"$log" 2>&1; then
			echo "ok   $name: KVM=$kind build"
		else
			grep -E 'error|Error' "$log" | head -n 10 | sed 's/^/    /'
			echo "FAIL $name: KVM=$kind build of $TARGETS (log: $log)"
			fail=1
		fi
	done
done
echo "hygiene: $checked patches checked (from $from), $([ $fail = 0 ] && echo "all clean" || echo "FAILURES above")"
exit $fail
