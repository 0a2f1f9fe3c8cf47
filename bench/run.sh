#!/bin/bash
# make bench: gastown's speed and size beside plain git doing the same work.
#
#   bench/run.sh [N...]      (default: 10000 100000)
#
# For each ledger size N it prints: the import rate (beside git
# fast-import writing the same commits and refs), per-process time of
# gt create and gt update (beside the libgit2 start-up floor, gt's own
# floor -- libgit2 started as lib/startup.c does it, the repository and
# configuration opened -- and plain git hash-object + update-ref), gt
# list and gt ready (beside git for-each-ref over the same refs), and disk used (beside git gc).
# Figures are medians over repeated runs on a warm cache.
set -e
export LC_ALL=C TZ=UTC GT_ACTOR=bench
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export PATH="$top/bin:$PATH" GT_EXEC_PATH="$top/bin"
sizes=${*:-10000 100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/gt-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cc -O2 -o "$work/floor" "$here/floor.c" $(pkg-config --cflags --libs libgit2)
cc -O2 -I"$top/lib" $(pkg-config --cflags libgit2 libcjson inih) -o "$work/gt-floor" \
	"$here/gt-floor.c" "$top/build/libgastown.a" $(pkg-config --libs libgit2 libcjson inih)

. "$here/lib.sh"

# per_process_ms <count> <command...>: mean wall time per run, in ms
per_process_ms() {
	local count=$1; shift
	local t0 t1 i
	t0=$(now_ns)
	for i in $(seq "$count"); do "$@" "$i" >/dev/null 2>&1; done
	t1=$(now_ns)
	awk -v d=$((t1 - t0)) -v c="$count" 'BEGIN { printf "%.2f", d / c / 1e6 }'
}

row() { printf '  %-34s %12s   %-28s %12s\n' "$@"; }

# a git fast-import stream making the same commits (bead.json + op.json)
fast_import_stream() {
	awk '{
		id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id)
		printf "commit refs/gastown/beads/%s\ncommitter bench <bench> 1767225600 +0000\ndata 12\nbead.import\n", id
		printf "M 100644 inline bead.json\ndata %d\n%s\n", length($0), $0
		printf "M 100644 inline op.json\ndata %d\n%s\n\n", length($0), $0
	}' "$1"
}

for n in $sizes; do
	echo "== $n beads"
	"$here/gen-beads.sh" "$n" bn >"$work/beads.jsonl"

	rm -rf "$work/repo" "$work/plain"
	git init -q "$work/repo" && (cd "$work/repo" && gt init -q --prefix bn)
	git init -q "$work/plain"

	t0=$(now_ns); (cd "$work/repo" && gt import -q "$work/beads.jsonl"); t1=$(now_ns)
	gt_rate=$(awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (d / 1e9) }')
	fast_import_stream "$work/beads.jsonl" >"$work/fi.stream"
	t0=$(now_ns); (cd "$work/plain" && git fast-import --quiet <"$work/fi.stream" && git pack-refs --all); t1=$(now_ns)
	git_rate=$(awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (d / 1e9) }')
	row "gt import (beads/s)" "$gt_rate" "git fast-import (beads/s)" "$git_rate"

	cd "$work/repo"
	gt list >/dev/null # build the listing cache once
	fe=$(median_ms 15 git for-each-ref '--format=%(objectname) %(refname)' refs/gastown/beads/)
	row "gt list (ms)" "$(median_ms 15 gt list)" "git for-each-ref (ms)" "$fe"
	row "gt list --json (ms)" "$(median_ms 15 gt list --json)" "" ""
	row "gt ready (ms)" "$(median_ms 15 gt ready)" "git for-each-ref (ms)" "$fe"

	floor_one() { "$work/floor"; }
	gt_floor_one() { "$work/gt-floor"; }
	# the plumbing programs, as hooks and scripts call them (the gt
	# dispatcher adds one exec of a small program, ~0.5 ms)
	create_one() { gt-create "bench bead $1"; }
	update_one() { gt-update bn-00001 --set "bench_n=$1"; }
	floor=$(per_process_ms 100 floor_one)
	gt_floor=$(per_process_ms 100 gt_floor_one)
	row "gt start-up floor (ms/process)" "$gt_floor" "libgit2 floor (ms/process)" "$floor"
	row "gt create (ms/process)" "$(per_process_ms 100 create_one)" \
		"libgit2 floor (ms/process)" "$floor"
	row "gt update (ms/process)" "$(per_process_ms 100 update_one)" \
		"libgit2 floor (ms/process)" "$floor"
	plain_write() {
		blob=$(echo "{\"n\":$1}" | git hash-object -w --stdin) &&
		git update-ref "refs/plain/x$1" "$(echo "$blob" | git commit-tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904)"
	}
	row "" "" "git hash-object+commit-tree+update-ref" "$(per_process_ms 100 plain_write)"
	row "gt list after 200 writes (ms)" "$(median_ms 15 gt list)" "git for-each-ref (ms)" \
		"$(median_ms 15 git for-each-ref '--format=%(objectname) %(refname)' refs/gastown/beads/)"

	disk=$(du -sk "$work/repo/.git" | cut -f1)
	cp -a "$work/repo" "$work/gc" && git -C "$work/gc" gc -q --prune=now
	gcdisk=$(du -sk "$work/gc/.git" | cut -f1); rm -rf "$work/gc"
	row "disk (KiB)" "$disk" "after git gc (KiB)" "$gcdisk"
	cd "$top"
done
