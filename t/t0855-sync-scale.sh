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

# fetched <trace2 perf file>: the objects the fetch's upload-pack sent
fetched() {
	grep "fetch/upload-pack/pack-objects\|write_pack_file/wrote" "$1" >/dev/null &&
	awk -F"|" '/write_pack_file\/wrote:/ { sub(/.*wrote:/, "", $NF); print $NF + 0; exit }' "$1"
}

test_expect_success 'after local work, a fetch brings the change, not the ledger again' '
	# a fresh hub whose ledger is as old as the imported entities
	git init -q --bare hub2.git &&
	for c in e d; do
		git init -q $c && git -C $c remote add origin ../hub2.git &&
		(cd $c && gt init -q --prefix bn) || return 1
	done &&
	(cd e && gt import -q ../beads.jsonl && gt sync -q) &&
	(cd d && gt sync -q) &&
	(cd e && for i in 1 2 3 4 5; do
		gt-update $(printf "bn-%05x" $i) --set round=1 || return 1
	done && gt sync -q) &&
	# local commits, newer than anything the remote has, then entity
	# commits as old as the ledger: offered first, the remote would
	# take one as common and send the whole ledger again
	(cd d && for i in $(seq 101 120); do
		gt-update $(printf "bn-%05x" $i) --set round=1 >/dev/null || return 1
	done) &&
	(cd d && GIT_TRACE2_PERF="$TRASH_DIRECTORY/trace" gt sync) >out &&
	test_grep "sync origin: 0 new, 5 updated, 0 merged, 0 renamed" out &&
	n=$(fetched trace) && echo "fetched $n objects" &&
	test "$n" -gt 0 && test "$n" -lt 100 &&
	(cd e && gt sync -q) && same_state e d
'

test_expect_success 'more than 256 tips go through a chain of carriers of 16; clones and the hook take it' '
	git init -q --bare hub3.git &&
	(cd hub3.git && gt init -q --bare) &&
	for c in f g; do
		git init -q $c && git -C $c remote add origin ../hub3.git &&
		(cd $c && gt init -q --prefix bn) || return 1
	done &&
	(cd f && gt import -q ../beads.jsonl && gt sync -q) &&
	# the ledger has one carrier; it holds the previous one and tips:
	# 16 in the first, 15 in each next one, what is left in the last
	git -C f rev-list --parents -n 1 refs/gastown/ledger >parents &&
	test "$(wc -w <parents)" = 2 &&
	top=$(cut -d" " -f2 parents) &&
	test "$(git -C f log -1 --format=%s $top)" = "ledger: carry" &&
	git -C f rev-list --parents -n 1 $top >top-parents &&
	second=$(cut -d" " -f2 top-parents) &&
	test "$(git -C f log -1 --format=%s $second)" = "ledger: carry" &&
	test "$(wc -w <top-parents)" = $((1 + 1 + (400 - 16) % 15)) &&
	git -C f log --format="%s %p" $top >carriers &&
	grep "^ledger: carry " carriers >only && test_line_count = $((1 + (400 - 16 + 14) / 15)) only &&
	awk "NF > 2 + 16 { print; bad = 1 } END { exit bad }" only &&
	(cd g && gt sync -q) &&
	git -C g for-each-ref refs/gastown/beads/ >refs &&
	test_line_count = 400 refs &&
	same_state f g &&
	git -C hub3.git fsck --no-dangling 2>err && ! grep -v "^notice" err
'

test_done
