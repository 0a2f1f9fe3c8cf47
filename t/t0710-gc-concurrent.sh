#!/bin/sh
test_description='gt writes and syncs while git gc runs in the same repositories'
. "$(dirname "$0")/test-lib.sh"

# What git gc does, as gc --auto does it in the background after a fetch,
# a push or gt sync: pack the objects, remove the loose ones it packed and
# the fan-out directories left empty (prune-packed), pack the refs and
# remove their loose files and empty directories (pack-refs --prune).
# Over and over, in the repositories given, until stop-gc exists (or five
# minutes have passed, should a test fail before it says stop). A round
# of git that fails (a lock gt holds) is fine: git gc fails so too.
gc_loop() {
	end=$(($(date +%s) + 300))
	while ! test -f stop-gc && test "$(date +%s)" -lt "$end"; do
		for repo in "$@"; do
			git -C "$repo" repack -dq
			git -C "$repo" prune-packed
			git -C "$repo" pack-refs --all --prune
		done
		echo >>gc-rounds
	done >gc-out 2>&1
}

start_gc() {
	rm -f stop-gc gc-rounds && gc_loop "$@" &
	gc_pid=$!
}

# stop_gc <at least>: stop the loop; it must have gone round that often
# while the writes ran, or the test showed nothing.
stop_gc() {
	touch stop-gc && wait $gc_pid &&
	rounds=$(wc -l <gc-rounds) &&
	say "# $rounds rounds of git gc meanwhile" &&
	test "$rounds" -ge "$1"
}

# Before lib/repo.c retried, 2 in 300 gt create failed beside this loop:
# a write that made objects/ab/ and met its removal before renaming its
# file into it ("failed to rename lockfile ... No such file or
# directory"). These counts make such a regression fail most runs; a
# correct build never fails them.
# (A multiple of 6: one write of each kind in every six.)
writes=300
test -n "$GT_TEST_SANITIZE" && writes=102

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	gt init -q --prefix gc && git commit -q --allow-empty -m code &&
	for i in 1 2 3 4 5; do gt create --id gc-$i "early $i" >/dev/null || return 1; done
'

test_expect_success JQ "$writes writes of every kind while git gc runs: none fails, none is lost" '
	cd repo &&
	start_gc . &&
	: >errors && i=0 && fails=0 &&
	while test $i -lt $writes; do
		i=$((i + 1))
		case $((i % 6)) in
		0) gt comment gc-1 "comment $i" ;;
		1) gt update gc-2 --add-label "l$i" ;;
		2) gt config set --shared "test.key$((i % 4))" "v$i" ;;
		3) gt note HEAD --bead gc-3 --session "s$i" ;;
		*) gt create "bead $i" ;;
		esac >/dev/null 2>>errors || fails=$((fails + 1))
	done &&
	stop_gc 3 &&
	say "# $fails of $writes writes failed" &&
	test_must_be_empty errors &&
	gt fsck >/dev/null &&
	test "$(gt list --all --format="%(id)" | wc -l)" = $((5 + writes * 2 / 6)) &&
	test "$(gt show gc-1 --json | jq ".comments | length")" = $((writes / 6)) &&
	test "$(git notes --ref=gastown show HEAD | wc -l)" = $((writes / 6))
'

# sync_rounds <n>: each clone creates a bead, comments and syncs, n times;
# what fails goes to errors, with the clone and the round
sync_rounds() {
	: >errors && round=0 &&
	while test $round -lt "$1"; do
		round=$((round + 1))
		for c in repo other; do
			(cd $c && gt create "$c $round" && gt comment gc-1 "$c $round" &&
			 gt sync -q) >/dev/null 2>>errors ||
			echo "$c, round $round failed (exit $?)" >>errors
		done
	done
}

# both_same <beads>: after a last sync each, both clones export the same,
# with that many beads from sync_rounds
both_same() {
	(cd repo && gt sync -q && gt export) >export-repo &&
	(cd other && gt sync -q && gt export) >export-other &&
	(cd repo && gt sync -q && gt export) >export-repo &&
	test_cmp export-repo export-other &&
	test "$(jq -r "select(.title | test(\"^(repo|other) \")) | .id" export-repo | wc -l)" = "$1" &&
	(cd repo && gt fsck >/dev/null) && (cd other && gt fsck >/dev/null)
}

test_expect_success JQ 'syncs while git gc runs in both clones: none fails, both end the same' '
	git init -q --bare hub.git &&
	git -C repo remote add origin ../hub.git &&
	(cd repo && gt remote-setup -q origin && gt sync -q) &&
	git init -q other && git -C other remote add origin ../hub.git &&
	(cd other && gt init -q --prefix gc && gt sync -q) &&
	start_gc repo other &&
	sync_rounds 15 &&
	stop_gc 3 &&
	test_must_be_empty errors &&
	both_same 30
'

# git pack-refs --prune locks each loose ref it removes, for an instant; a
# sync that merges into such a ref waits for it rather than failing
# (before, 1 in 15 syncs of the test above failed on a loaded machine:
# "cannot update refs/gastown/beads/gc-1: ...gc-1.lock exists", exit 5).
# The lock is taken between the merge's reading and its writing, and
# released 0.3 s later.
test_expect_success JQ 'a ref locked for an instant, as pack-refs --prune locks it, is waited for' '
	(cd repo && gt update gc-2 --title "moved while locked" && gt sync -q) &&
	git -C other rev-parse -q --verify refs/gastown/beads/gc-2 >/dev/null &&
	lock="$PWD/other/.git/refs/gastown/beads/gc-2.lock" &&
	(cd other &&
	 GT_TEST_MERGE_MEANWHILE="mkdir -p \"${lock%/*}\"; : >\"$lock\"; (sleep 0.3; rm \"$lock\") &" \
		gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(cd other && gt show gc-2 --json | jq -r .title)" = "moved while locked" &&
	! test -e "$lock"
'

# git's own race, not gt's: receive-pack moves what it received from its
# quarantine directory into objects/ab/, which prune-packed may remove
# between git's mkdir and rename; the push then fails on the server
# ("unable to write file ./objects/ab/..."). gt sync reports the refusal
# (exit 4), keeps every change, and the next sync pushes it.
test_expect_success JQ 'syncs while git gc runs in the hub: a push the hub fails is refused, nothing is lost' '
	start_gc hub.git &&
	sync_rounds 10 &&
	stop_gc 3 &&
	if test -s errors; then
		say "# $(grep -c "round .* failed" errors) syncs refused by the hub" &&
		! grep -v -e "^error: unable to write file \./objects/" \
			-e "^error: failed to push some refs" -e "^error: the remote refused the push" \
			-e "^error: remote unpack failed" -e "^ ! \[remote rejected\]" \
			-e "round .* failed (exit 4)\$" errors
	fi &&
	both_same 50
'

test_done
