#!/bin/bash
# The server's check of a push (gt receive-check in the pre-receive hook),
# beside the same push with no hook.
#
#   bench/receive.sh [N...]      (default: 10000)
#
# For each ledger size N: a clone of N beads (gt import) syncs into a bare
# repository set up with "gt init --bare"; then, BENCH_ROUNDS (default 5)
# times, 110 beads change (one gt update each) and gt sync pushes them.
# Printed, as medians: the time of gt-receive-check itself inside the hook
# (on the real quarantine), and the whole gt sync with the hook and with
# an empty hook in its place. The check must cost what changed: the
# figures should not grow with N.
set -e
export LC_ALL=C TZ=UTC GT_ACTOR=bench USER=bench
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export PATH="$top/bin:$PATH" GT_EXEC_PATH="$top/bin"
sizes=${*:-10000}
rounds=${BENCH_ROUNDS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/gt-bench-receive.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$here/lib.sh" # now_ns
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for n in $sizes; do
	rm -rf "$work/a" "$work/remote.git"
	"$here/gen-beads.sh" "$n" bn >"$work/beads.jsonl"
	git init -q --bare "$work/remote.git"
	(cd "$work/remote.git" && gt init -q --bare)
	git init -q "$work/a"
	for r in "$work/a" "$work/remote.git"; do
		git -C "$r" config gc.auto 0
		git -C "$r" config receive.autogc false
		git -C "$r" config maintenance.auto false
	done
	git -C "$work/a" remote add origin "$work/remote.git"
	(cd "$work/a" && gt init -q --prefix bn && gt import "$work/beads.jsonl" >/dev/null)
	t0=$(now_ns); (cd "$work/a" && gt sync -q origin); t1=$(now_ns)
	first=$(( (t1 - t0) / 1000000 ))
	# the hook, timing the check on the push's own quarantine
	cat >"$work/remote.git/hooks/pre-receive" <<-HOOK
	#!/bin/sh
	t0=\$(date +%s%N)
	gt-receive-check; rc=\$?
	echo \$(( (\$(date +%s%N) - t0) / 1000000 )) >>"$work/check.log"
	exit \$rc
	HOOK
	# one untimed round first: the first push after the first sync is
	# slow for reasons of its own (gt sync's), not the check's
	for round in $(seq 0 "$rounds"); do
		test "$round" != 1 || { : >"$work/check.log"; : >"$work/on.log"; : >"$work/off.log"; }
		# fresh beads each time, the order of the two turned every round:
		# the first change of a bead still in the import's pack costs the
		# push more (at 100k) than a second change does, hook or no hook
		modes="on off"
		test $((round % 2)) = 0 || modes="off on"
		for mode in $modes; do
			k=$((2 * round + 1)) && test $mode = on || k=$((2 * round + 2))
			for i in $(seq 1 110); do
				(cd "$work/a" && gt-update "$(printf 'bn-%05x' $(( (i * 37 + k * 4099) % n + 1 )))" \
					--set "bench_n=$mode$round")
			done
			hook=$work/remote.git/hooks/pre-receive
			test $mode = on || { mv "$hook" "$hook.off"; printf '#!/bin/sh\nexit 0\n' >"$hook"; chmod +x "$hook"; }
			t0=$(now_ns); (cd "$work/a" && gt sync -q origin); t1=$(now_ns)
			test $mode = on || mv "$hook.off" "$hook"
			echo $(( (t1 - t0) / 1000000 )) >>"$work/$mode.log"
		done
	done
	echo "N=$n (first sync with the hook: $first ms, the whole ledger checked)"
	printf '  %-52s %6s ms\n' "gt-receive-check in the hook, 110 beads changed" "$(median <"$work/check.log")" \
		"gt sync pushing 110 changed beads, hook" "$(median <"$work/on.log")" \
		"gt sync pushing 110 changed beads, no hook" "$(median <"$work/off.log")"
done
