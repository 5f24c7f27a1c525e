#!/bin/bash
# Write $OBJ/.config: x86_64 defconfig plus the fragments named in $FRAGMENTS
# (default: every config/*.config), then check that each requested option
# landed. The .config is only replaced when its content changes.
. "$(dirname "$0")/lib.sh"

frags=${FRAGMENTS:-$TOP/config/harness.config $TOP/config/kvm.config $TOP/config/series.config $TOP/config/debug.config}
mkdir -p "$OBJ"
tmp=$(mktemp -d "$OBJ/.cfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mk() { make -s -C "$SRC" O="$tmp" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "make $* failed"; }; }
mk defconfig
cat $frags >>"$tmp/.config"
mk olddefconfig

bad=0
for f in $frags; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want=$line ;;
		*) continue ;;
		esac
		if [ "$want" = "# $opt is not set" ]; then
			grep -q "^$opt=" "$tmp/.config" || continue
		else
			grep -qxF "$want" "$tmp/.config" && continue
		fi
		if [ "${ALLOW_ABSENT:-0}" = 1 ] && ! grep -qE "^$opt=|^# $opt is not set" "$tmp/.config" &&
			! grep -rqE "^(menu)?config ${opt#CONFIG_}\$" --include='Kconfig*' "$SRC"; then
			continue
		fi
		got=$(grep -E "^$opt=|^# $opt is not set" "$tmp/.config" || echo "absent (dependencies not met, or unknown to this tree)")
		echo "config: $(basename "$f"): asked '$want', got '$got'" >&2
		bad=1
	done <"$f"
done
[ $bad = 0 ] || die "requested kernel options did not land after olddefconfig (see above); fix the fragment or the series"

if ! cmp -s "$tmp/.config" "$OBJ/.config"; then
	cp "$tmp/.config" "$OBJ/.config"
	note "kernel config updated"
fi
