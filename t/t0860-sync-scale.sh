#!/bin/sh
test_description='gt sync at some size: a first sync writes packed refs, later syncs cost the change'
. ./test-lib.sh

tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/; }
same_state() {
	tips "$1" >tips-1 && tips "$2" >tips-2 && test_cmp tips-1 tips-2 &&
	(cd "$1" && gt export) >export-1 && (cd "$2" && gt export) >export-2 &&
	test_cmp export-1 export-2
}

test_expect_success 'setup: 400 beads published from a, an empty clone b' '
	"$TEST_DIRECTORY/../bench/gen-beads.sh" 400 bn >beads.jsonl &&
	git init -q --bare hub.git &&
	for c in a b c; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bn) || return 1
	done &&
	(cd a && gt import -q ../beads.jsonl && gt sync -q)
'

test_expect_success 'a first sync of 400 refs writes them packed, not one file each' '
	(cd b && gt sync) >out &&
	printf "sync origin: 400 new, 0 updated, 0 merged, 0 renamed\n" >expect &&
	test_cmp expect out &&
	git -C b for-each-ref refs/gastown/beads/ >refs &&
	test_line_count = 400 refs &&
	! test -e b/.git/packed-refs.lock &&
	mkdir -p b/.git/refs/gastown/beads &&
	find b/.git/refs/gastown/beads -type f >loose &&
	test_must_be_empty loose &&
	grep -c " refs/gastown/beads/" b/.git/packed-refs >count &&
	echo 400 >expect && test_cmp expect count &&
	same_state a b &&
	(cd b && gt fsck -q)
'

test_expect_success 'a first sync beside a bead written here keeps it, and merges its id' '
	(cd c && gt create --id bn-00001 "Here first") >/dev/null &&
	(cd c && gt sync) >out &&
	test_grep "sync origin: 400 new, 0 updated, 0 merged, 1 renamed" out &&
	test_grep "renamed bn-00001 -> bn-00001-" out &&
	git -C c for-each-ref refs/gastown/beads/ >refs &&
	test_line_count = 401 refs &&
	(cd a && gt sync -q) && (cd b && gt sync -q) &&
	same_state a c && same_state b c
'

test_done
