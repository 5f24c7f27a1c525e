# shellcheck shell=sh
# Sourced by the guest's /init and by stress-loop.sh (packed as /dump.sh).
#
# dump_threads WHAT PID...: what each thread of the processes is doing,
# twice a second apart (a thread that runs a loop shows up in both with
# changing counters; a blocked one sits in the same kernel stack), with
# KVM's fault and exit counters of each VM.
dump_threads() {
	local what round pid th d
	what=$1
	shift
	for round in 1 2; do
		echo "# $what, sample $round:"
		for pid in "$@"; do
			for th in /proc/"$pid"/task/*; do
				[ -d "$th" ] || continue
				echo "# thread $(basename "$th"): $(cut -d' ' -f3 "$th/stat" 2>/dev/null) wchan=$(cat "$th/wchan" 2>/dev/null)"
				sed 's/^/#   /' "$th/stack" 2>/dev/null
			done
		done
		for d in /sys/kernel/debug/kvm/*-*/; do
			[ -d "$d" ] || continue
			echo "# kvm $(basename "$d"): $(for f in pf_taken pf_fixed pf_spurious pf_emulate pf_guest exits halt_exits; do printf '%s=%s ' $f "$(cat "$d/$f" 2>/dev/null)"; done)"
		done
		[ $round = 1 ] && sleep 1
	done
}
