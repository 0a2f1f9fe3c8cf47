#!/bin/sh
test_description='gt merge and gt sync in a damaged store: a clear error, nothing written, nothing sent'
. ./test-lib.sh

# state [<repo>]: the refs of a (or repo) and of the hub
state() {
	git -C "${1:-a}" for-each-ref --format='%(objectname) %(refname)' refs/gastown/ &&
	git -C hub.git for-each-ref --format='%(objectname) %(refname)' refs/gastown/
}
# refused <pattern> <gt command...>: in a, it exits 128 saying so, and no ref moved
refused() {
	pattern=$1 && shift &&
	state >before &&
	(cd a && test_expect_code 128 "$@" 2>../err) &&
	test_grep "$pattern" err &&
	state >after && test_cmp before after
}

test_expect_success 'setup: three beads on a, published; b changes one' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done &&
	(cd a && for i in 1 2 3; do gt create --id bd-$i "Bead $i" >/dev/null || return 1; done &&
		gt sync -q) &&
	(cd b && gt sync -q && gt update bd-1 --title "From b" >/dev/null && gt sync -q)
'

test_expect_success 'the local ledger pointing at a blob: exit 128, named, nothing moves' '
	ledger=$(git -C a rev-parse refs/gastown/ledger) &&
	blob=$(echo not-a-ledger | git -C a hash-object -w --stdin) &&
	git -C a update-ref refs/gastown/ledger $blob &&
	refused "ledger $blob is not a readable commit" gt sync &&
	git -C a update-ref refs/gastown/ledger $ledger &&
	(cd a && gt sync -q)
'

test_expect_success 'a shard of the local ledger missing: exit 128, named, nothing moves' '
	(cd b && gt update bd-2 --title "Again from b" >/dev/null && gt sync -q) &&
	ledger=$(git -C a rev-parse refs/gastown/ledger) &&
	git -C a ls-tree $ledger >tree &&
	shard=$(head -n 1 tree | cut -f2) &&
	sed "1s/[0-9a-f]\{40\}/1111111111111111111111111111111111111111/" tree |
		git -C a mktree --missing >damaged-tree &&
	damaged=$(echo "ledger: 3 refs" | git -C a commit-tree $(cat damaged-tree) -p $ledger) &&
	git -C a update-ref refs/gastown/ledger $damaged &&
	refused "$damaged: tree $shard is missing" gt sync &&
	git -C a update-ref refs/gastown/ledger $ledger &&
	(cd a && gt sync -q)
'

test_expect_success 'a bead ref pointing at a missing commit: exit 128, named, not published' '
	missing=2222222222222222222222222222222222222222 &&
	echo $missing >a/.git/refs/gastown/beads/bd-9 &&
	refused "refs/gastown/beads/bd-9 points to $missing, which is missing: bring the object back .* or delete the ref$" gt sync &&
	test_line_count = 1 err &&
	! git -C a ls-tree -r refs/gastown/ledger | grep $missing &&
	rm a/.git/refs/gastown/beads/bd-9 &&
	(cd a && gt sync -q) &&
	test "$(git -C a rev-parse refs/gastown/ledger)" = "$(git -C hub.git rev-parse refs/gastown/ledger)"
'

test_expect_success 'a bead ref pointing at a blob: exit 128, named, not published' '
	blob=$(echo not-a-bead | git -C a hash-object -w --stdin) &&
	echo $blob >a/.git/refs/gastown/beads/bd-8 &&
	refused "refs/gastown/beads/bd-8 points to $blob, a blob, not a commit: point it at .* or delete the ref$" gt merge &&
	rm a/.git/refs/gastown/beads/bd-8 &&
	(cd a && gt merge -q && gt fsck) >fsck 2>&1 &&
	test_grep "^0 problems" fsck
'

test_expect_success 'a commit missing from a bead history a merge walks: exit 128, named, nothing moves' '
	(cd a && gt create --id bd-7 "On a" >/dev/null && gt update bd-7 --title "On a, twice" >/dev/null &&
		gt sync -q) &&
	(cd b && gt create --id bd-7 "On b" >/dev/null && gt update bd-7 --title "On b, twice" >/dev/null) &&
	root=$(git -C b rev-list --max-parents=0 refs/gastown/beads/bd-7) &&
	file=b/.git/objects/$(echo $root | cut -c1-2)/$(echo $root | cut -c3-) &&
	mv "$file" saved-root &&
	state b >before &&
	# the full stack, so that t/lsan.supp can name the leak libgit2 makes here
	(cd b && ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" &&
		test_expect_code 128 gt sync 2>../err) &&
	test_grep "refs/gastown/beads/bd-7: cannot find the merge base: .*$root" err &&
	state b >after && test_cmp before after &&
	mv saved-root "$file" &&
	(cd b && gt sync -q) && (cd a && gt sync -q) &&
	test "$(git -C a rev-parse refs/gastown/ledger)" = "$(git -C b rev-parse refs/gastown/ledger)"
'

test_done
