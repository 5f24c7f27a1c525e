# Common settings for the harness scripts; sourced, not run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${GMEM_BUILD:-$TOP/build}
SRC=${GMEM_SRC:-$BUILD/linux}	# git tree: pristine base + one commit per patch
OBJ=${GMEM_OBJ:-$BUILD/obj}		# out-of-tree kernel build
KSFT=${GMEM_KSFT:-$BUILD/selftests}	# KVM selftests build output
HDR=${GMEM_HDR:-$BUILD/headers}	# uapi headers installed from $SRC
# Relative directories are taken from where the harness was started; the
# kernel's make changes directory, so they are made absolute once, here.
BUILD=$(realpath -m "$BUILD") SRC=$(realpath -m "$SRC") OBJ=$(realpath -m "$OBJ")
KSFT=$(realpath -m "$KSFT") HDR=$(realpath -m "$HDR")
PATCHES=$TOP/patches
COVER=$PATCHES/0000-cover-letter.patch
NPROC=$(nproc)

# ccache (default ~/.cache/ccache) outlives clones: make its hashes independent
# of where the clone is, so that a fresh clone reuses earlier compilations.
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${GMEM_CCACHE_SIZE:-12G}

# shellcheck source=../base.pin
. "$TOP/base.pin"

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo ">>> $*" >&2
}

# step NAME CMD...: run a long step, print its name and how long it took.
# Its output goes to $BUILD/log/NAME.log; the log's tail is shown on failure.
step() {
	local name=$1 t0 rc
	shift
	mkdir -p "$BUILD/log"
	t0=$(date +%s)
	printf '>>> %-28s ' "$name" >&2
	"$@" >"$BUILD/log/$name.log" 2>&1
	rc=$?
	printf '%4ss %s\n' $(($(date +%s) - t0)) "$([ $rc = 0 ] && echo ok || echo FAILED)" >&2
	if [ $rc != 0 ]; then
		tail -n 40 "$BUILD/log/$name.log" >&2
		echo "error: step '$name' failed (exit $rc); full log: $BUILD/log/$name.log" >&2
		exit $rc
	fi
}

# The pristine base commit is made with fixed identities and dates, so that
# its hash is the same on every machine for one pin.
base_commit_env() {
	export GIT_AUTHOR_NAME="Debian kernel team" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org"
	export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
	export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
}

base_rev() {
	git -C "$SRC" rev-parse -q --verify refs/tags/base 2>/dev/null
}

# The series files in patches/, in order (the cover letter is not one).
# patch_output_clean OUTPUT: whether GNU patch's OUTPUT reports no offset,
# fuzz, failed hunk or malformed patch (its own words, not file names: a
# file may be called *fuzz*).
patch_output_clean() {
	! echo "$1" | grep -qE '\(offset -?[0-9]+ lines?\)|with fuzz [0-9]|FAILED|malformed'
}

series_files() {
	ls "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-cover-letter\.patch$'
}

# refs/series/synced marks the commit that matched patches/ at the last
# apply or export.
SYNCED=refs/series/synced

# A hash of the series files, recorded in $SRC at each apply and export so
# that a change of patches/ (a pull, a checkout) is noticed.
patches_hash() {
	cat $(series_files) </dev/null 2>/dev/null | sha256sum | cut -d' ' -f1
}
HASHFILE=$SRC/.git/series.hash

# base_worktree: print the path of a worktree of $SRC at tag base (made on
# first use, moved to the base after a bump of base.pin), for the builds of
# the unpatched kernel (make check-base, the base comparison of make bench).
base_worktree() {
	local wt=$BUILD/base-tree
	if [ ! -d "$wt" ]; then
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$wt" base >&2 || die "cannot make a worktree in $wt"
	fi
	git -C "$wt" checkout -q -f --detach base || die "cannot check out the base in $wt"
	echo "$wt"
}

# The KVM selftests' own config fragment (upstream's convention): what the
# tests need of the kernel, kept by the series itself in $1 (default $SRC).
ksft_config() {
	echo "${1:-$SRC}/tools/testing/selftests/kvm/config"
}

# merge_fragments FRAGMENT...: one fragment on stdout in which a later
# fragment's value of an option replaces an earlier one's, as make's own
# config merging does (kvm-modules.config turns the selftests' KVM=y to m).
merge_fragments() {
	awk '/^CONFIG_[A-Za-z0-9_]+=/ { o = $0; sub(/=.*/, "", o) }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set$/ { o = $2 }
	     o != "" { if (!(o in v)) order[n++] = o; v[o] = $0; o = "" }
	     END { for (i = 0; i < n; i++) print v[order[i]] }' "$@"
}

# config_landed CONFIG FRAGMENT...: check that each option the fragments ask
# for is so in CONFIG (after olddefconfig); name each one that is not and
# return 1.  GMEM_ALLOW_ABSENT=1 lets pass an option this tree's Kconfig lacks.
config_landed() {
	local cfg=$1 f line opt want got bad=0
	shift
	for f in "$@"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) opt=${line%%=*}; want=$line ;;
			"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want=$line ;;
			*) continue ;;
			esac
			if [ "$want" = "# $opt is not set" ]; then
				grep -q "^$opt=" "$cfg" || continue
			else
				grep -qxF "$want" "$cfg" && continue
			fi
			if [ "${GMEM_ALLOW_ABSENT:-0}" = 1 ] && ! grep -qE "^$opt=|^# $opt is not set" "$cfg" &&
				! grep -rqE "^(menu)?config ${opt#CONFIG_}\$" --include='Kconfig*' "$SRC"; then
				continue
			fi
			got=$(grep -E "^$opt=|^# $opt is not set" "$cfg" || echo "absent (dependencies not met, or unknown to this tree)")
			echo "config: $(basename "$f"): asked '$want', got '$got'" >&2
			bad=1
		done <"$f"
	done
	return $bad
}
