#!/bin/sh
test_description='ledger shards past their bound are written split, read either way, checked'
. ./test-lib.sh

GT_TEST_RACY_MS=0 && export GT_TEST_RACY_MS

# ledger_entries <repo> <ledger>: "<tip> <ref>" of every entry, sorted
ledger_entries() {
	git -C "$1" ls-tree -r "$2" |
		awk '{ p = $4; sub(/^[0-9a-f][0-9a-f]\/([0-9a-f]\/)?/, "", p); gsub(/:/, "/", p); print $3, "refs/gastown/" p }' |
		sort -k2
}
local_refs() {
	git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/ |
		grep -v ' refs/gastown/ledger$' | sort -k2
}
ledger_is_local() {
	ledger_entries "$1" refs/gastown/ledger >entries &&
	local_refs "$1" >refs && test_cmp refs entries
}
# split_paths <repo>: the ledger paths in split shards ("<xx>/<y>/...")
split_paths() {
	git -C "$1" ls-tree -r --name-only refs/gastown/ledger | grep "^[0-9a-f][0-9a-f]/[0-9a-f]/" || :
}

# crafted_ledger <ledger> <update-index args>...: on b, a commit on top
# of <ledger> whose tree is <ledger>'s changed by one git update-index
crafted_ledger() {
	base=$1 && shift &&
	idx=$TRASH_DIRECTORY/idx-crafted && rm -f "$idx" &&
	GIT_INDEX_FILE=$idx git -C b read-tree "$base" &&
	GIT_INDEX_FILE=$idx git -C b update-index "$@" &&
	tree=$(GIT_INDEX_FILE=$idx git -C b write-tree) &&
	git -C b commit-tree -p "$base" -m "ledger: 302 refs" "$tree"
}

test_expect_success 'setup: a hub with the pre-receive hook; 300 beads under the default bound' '
	git init -q --bare hub.git && (cd hub.git && gt init -q --bare) &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done &&
	for i in $(seq 1 300); do echo "{\"id\":\"bd-$i\",\"title\":\"Bead $i\"}"; done >beads.jsonl &&
	(cd a && gt import -q ../beads.jsonl && gt sync -q) &&
	split_paths a >split && test_must_be_empty split &&
	ledger_is_local a
'

test_expect_success 'past the bound, a shard that changes is written split; the rest stay flat' '
	GT_TEST_LEDGER_SHARD_MAX=2 && export GT_TEST_LEDGER_SHARD_MAX &&
	(cd a && for i in 1 2 3 4 5 6 7 8; do gt update bd-$i --title "Split $i" >/dev/null || return 1; done &&
		gt sync -q) &&
	split_paths a >split && test -s split &&
	git -C a ls-tree -r --name-only refs/gastown/ledger | grep -v "^[0-9a-f][0-9a-f]/[0-9a-f]/" >flat &&
	test -s flat &&
	ledger_is_local a && (cd a && gt fsck) >fsck 2>&1 && test_grep "^0 problems" fsck &&
	test "$(git -C hub.git rev-parse refs/gastown/ledger)" = "$(git -C a rev-parse refs/gastown/ledger)"
'

test_expect_success 'a first sync from a ledger with split shards; changes both ways' '
	(cd b && gt sync -q) && ledger_is_local b &&
	(cd b && gt show bd-3 --json) >three && test_grep "Split 3" three &&
	(cd a && gt update bd-100 --title "From a" >/dev/null && gt create --id bd-301 "New on a" >/dev/null &&
		gt sync -q) &&
	(cd b && gt update bd-200 --title "From b" >/dev/null && gt update bd-100 --add-label b >/dev/null &&
		gt sync -q) &&
	(cd a && gt sync -q) &&
	ledger_is_local a && ledger_is_local b &&
	test "$(git -C a rev-parse refs/gastown/ledger)" = "$(git -C b rev-parse refs/gastown/ledger)" &&
	(cd a && gt show bd-100 --json) >hundred &&
	test_grep "From a" hundred && test_grep "\"b\"" hundred
'

test_expect_success 'every shard written under a small bound from the start: a new clone reads it' '
	git init -q c && git -C c remote add origin ../hub.git &&
	(cd c && gt init -q --prefix bd && GT_TEST_LEDGER_SHARD_MAX=0 gt sync -q) &&
	ledger_is_local c &&
	(cd c && gt update bd-250 --title "From c" >/dev/null && GT_TEST_LEDGER_SHARD_MAX=0 gt sync -q) &&
	(cd a && gt sync -q) && (cd a && gt show bd-250 --json) >c250 && test_grep "From c" c250 &&
	ledger_is_local a
'

test_expect_success 'an entry in the wrong part of a split shard is refused, by merge and by the hub' '
	(cd b && gt sync -q) &&
	ledger=$(git -C b rev-parse refs/gastown/ledger) &&
	path=$(split_paths b | head -n 1) &&
	shard=${path%%/*} && rest=${path#??/} && part=${rest%%/*} &&
	other=$(printf "%x" $(( (0x$part + 1) % 16 ))) &&
	tip=$(git -C b rev-parse "$ledger:$path") &&
	bad=$(crafted_ledger $ledger --force-remove "$path" \
		--add --cacheinfo "160000,$tip,$shard/$other/${rest#?/}") &&
	! git -C b rev-parse -q --verify "$bad:$path" &&
	git -C b update-ref refs/remotes/origin/gastown/ledger $bad &&
	(cd b && test_expect_code 3 gt merge origin 2>../err) &&
	test_grep "is not a ledger entry" err &&
	git -C b update-ref refs/remotes/origin/gastown/ledger $ledger &&
	test_must_fail git -C b push -q origin $bad:refs/gastown/ledger 2>err &&
	test_grep "is not a ledger entry" err &&
	test "$(git -C hub.git rev-parse refs/gastown/ledger)" = "$ledger"
'

test_expect_success 'a shard both split and flat is refused' '
	ledger=$(git -C b rev-parse refs/gastown/ledger) &&
	path=$(split_paths b | head -n 1) &&
	shard=${path%%/*} &&
	tip=$(git -C b rev-parse refs/gastown/beads/bd-1) &&
	bad=$(crafted_ledger $ledger --add --cacheinfo "160000,$tip,$shard/config") &&
	git -C b update-ref refs/remotes/origin/gastown/ledger $bad &&
	(cd b && test_expect_code 3 gt merge origin 2>../err) &&
	test_grep "shard $shard is split and flat at once" err &&
	git -C b update-ref refs/remotes/origin/gastown/ledger $ledger
'

test_expect_success 'a ref named like a shard part (one hex digit) is not carried' '
	tip=$(git -C a rev-parse refs/gastown/beads/bd-1) &&
	git -C a update-ref refs/gastown/a/bd-1 $tip &&
	(cd a && gt update bd-9 --title "Nine" >/dev/null && gt merge -q) &&
	git -C a ls-tree -r --name-only refs/gastown/ledger >names &&
	test_grep "beads:bd-9$" names &&
	test_grep -v "a[:/]bd-1$" names &&
	git -C a update-ref -d refs/gastown/a/bd-1
'

# path_of <repo> <bead>: the ledger path of its entry, as the ledger holds it
path_of() {
	git -C "$1" ls-tree -r --name-only refs/gastown/ledger | grep "[/:]$2\$"
}

test_expect_success 'a ledger of the older layout (the ref name as directories) is read; a change moves its entry' '
	(cd a && gt config set --shared tracker.url https://example.com/first && gt sync -q) &&
	(cd b && gt sync -q) &&
	ledger=$(git -C a rev-parse refs/gastown/ledger) &&
	idx=$TRASH_DIRECTORY/idx-older && rm -f "$idx" &&
	git -C a ls-tree -r $ledger | tr : / | GIT_INDEX_FILE=$idx git -C a update-index --add --index-info &&
	tree=$(GIT_INDEX_FILE=$idx git -C a write-tree) &&
	older=$(git -C a log -1 --format=%B $ledger | git -C a commit-tree -p $ledger $tree) &&
	git -C a ls-tree -r --name-only $older >names && test_grep "^../beads/bd-" names &&
	test_grep "^../[0-9a-f]/beads/bd-" names && test_grep -v : names &&
	git -C a push -q origin $older:refs/gastown/ledger &&
	(cd b && gt sync -q) && ledger_is_local b &&
	split=$(path_of b bd-3) && flat=$(git -C b ls-tree -r --name-only $older | grep -v "^../[0-9a-f]/" | head -n 1) &&
	case $split in ??/?/beads/bd-3) ;; *) false ;; esac &&
	id=${flat##*/} && test -n "$id" &&
	(cd b && gt update bd-3 --title "Moved 3" >/dev/null && gt update $id --title "Moved flat" >/dev/null &&
		gt config set --shared tracker.url https://example.com/older && gt sync -q) &&
	test "$(path_of b config)" = "$(git -C b ls-tree -r --name-only $older | grep "/config$")" &&
	test "$(git -C b rev-parse "refs/gastown/ledger:$(path_of b config)")" = \
		"$(git -C b rev-parse refs/gastown/config)" &&
	ledger_is_local b &&
	test "$(path_of b bd-3)" = "${split%/beads/bd-3}/beads:bd-3" &&
	test "$(path_of b $id)" = "${flat%/beads/$id}/beads:$id" &&
	test "$(path_of b bd-4)" = "$(git -C b ls-tree -r --name-only $older | grep "/bd-4$")" &&
	(cd b && gt fsck) >fsck 2>&1 && test_grep "^0 problems" fsck &&
	(cd a && gt sync -q) && ledger_is_local a &&
	test "$(git -C a rev-parse refs/gastown/ledger)" = "$(git -C hub.git rev-parse refs/gastown/ledger)" &&
	(cd a && gt show bd-3 --json) >three && test_grep "Moved 3" three &&
	(cd a && gt config get tracker.url) >url && echo https://example.com/older >expect &&
	test_cmp expect url
'

test_done
