#!/bin/sh
test_description='the listing index: keyed by ref tips, never stale, rebuilt when damaged'
. ./test-lib.sh

TI=$GT_UNIT_DIR/test-index

write_bead() {
	snap=$(printf "%s" "$2" | git hash-object -w --stdin) &&
	op=$(echo "{\"type\":\"bead.create\",\"clock\":1,\"time\":0,\"actor\":\"tester\",\"changes\":[]}" |
		git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tbead.json\n100644 blob %s\top.json\n" "$snap" "$op" | git mktree) &&
	git commit-tree -m "bead.create: $1" "$tree"
}

# stats: what the next load does, as "refs=.. reused=.. read=.. dropped=.. rewritten=.."
stats() {
	"$TI" stats >full &&
	sed -e "s/ cached=[0-9]*//" -e "s/ valid=[01]//" -e "s/ fast=[01]//" \
	    -e "s/ entries=.*//" full
}

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	for i in 1 2 3 4 5; do
		gt create --id gt-$i -p $((i % 5)) "Bead $i" >/dev/null || return 1
	done &&
	gt list >../list.orig
'

test_expect_success 'the cache lives in the common git directory' '
	cd repo &&
	test -f .git/gastown/beads.idx &&
	head -c 8 .git/gastown/beads.idx | tr "\000" "@" >magic &&
	echo "GTINDEX@" | tr -d "\n" >expect &&
	test_cmp expect magic
'

test_expect_success 'a warm load reads nothing and writes nothing' '
	cd repo &&
	stats >actual &&
	echo "refs=5 reused=5 read=0 dropped=0 rewritten=0" >expect &&
	test_cmp expect actual &&
	test_grep "valid=1" full
'

test_expect_success 'a new bead is read alone' '
	cd repo &&
	gt create --id gt-6 "Bead 6" >/dev/null &&
	stats >actual &&
	echo "refs=6 reused=5 read=1 dropped=0 rewritten=1" >expect &&
	test_cmp expect actual &&
	stats >actual &&
	echo "refs=6 reused=6 read=0 dropped=0 rewritten=0" >expect &&
	test_cmp expect actual
'

test_expect_success 'a ref moved by git update-ref shows at once' '
	cd repo &&
	c=$(write_bead gt-2 "{\"id\":\"gt-2\",\"title\":\"Moved by git\",\"status\":\"open\",\"priority\":0}") &&
	git update-ref refs/gastown/beads/gt-2 "$c" &&
	gt list --format="%(id) %(title)" >actual &&
	test_grep "^gt-2 Moved by git$" actual &&
	stats >actual &&
	echo "refs=6 reused=6 read=0 dropped=0 rewritten=0" >expect &&
	test_cmp expect actual
'

test_expect_success 'the stats of the load that saw the move' '
	cd repo &&
	c=$(write_bead gt-2 "{\"id\":\"gt-2\",\"title\":\"Moved again\",\"status\":\"open\"}") &&
	git update-ref refs/gastown/beads/gt-2 "$c" &&
	stats >actual &&
	echo "refs=6 reused=5 read=1 dropped=0 rewritten=1" >expect &&
	test_cmp expect actual
'

test_expect_success 'a ref deleted with git update-ref -d disappears' '
	cd repo &&
	git update-ref -d refs/gastown/beads/gt-3 &&
	gt list --format="%(id)" >actual &&
	test_grep -v "^gt-3$" actual &&
	test_line_count = 5 actual &&
	gt update -s closed gt-4 &&
	git update-ref -d refs/gastown/beads/gt-5 &&
	stats >actual &&
	echo "refs=4 reused=3 read=1 dropped=1 rewritten=1" >expect &&
	test_cmp expect actual
'

test_expect_success 'a missing cache is rebuilt' '
	cd repo &&
	gt list --all >expect &&
	rm .git/gastown/beads.idx &&
	gt list --all >actual &&
	test_cmp expect actual &&
	test -f .git/gastown/beads.idx &&
	stats >actual &&
	echo "refs=4 reused=4 read=0 dropped=0 rewritten=0" >expect &&
	test_cmp expect actual
'

test_expect_success 'a missing gastown directory is made again' '
	cd repo &&
	gt list --all >expect &&
	mv .git/gastown .git/gastown.saved &&
	test_when_finished "rm -rf .git/gastown && mv .git/gastown.saved .git/gastown" &&
	gt list --all >actual &&
	test_cmp expect actual &&
	test -f .git/gastown/beads.idx
'

for damage in garbage empty truncated header-only version byte-order size oid-size \
	text-out-of-bounds unsorted; do
	test_expect_success "a damaged cache ($damage) is rebuilt silently" '
		cd repo &&
		gt list --all --json >expect &&
		idx=.git/gastown/beads.idx &&
		size=$(wc -c <$idx) &&
		case $damage in
		garbage) head -c 5000 /dev/urandom >$idx ;;
		empty) : >$idx ;;
		truncated) head -c $((size - 100)) $idx >tmp && mv tmp $idx ;;
		header-only) head -c 64 $idx >tmp && mv tmp $idx ;;
		version) printf "\\377" | dd of=$idx bs=1 seek=8 conv=notrunc 2>/dev/null ;;
		byte-order) printf "\\377" | dd of=$idx bs=1 seek=12 conv=notrunc 2>/dev/null ;;
		size) printf "\\377" | dd of=$idx bs=1 seek=36 conv=notrunc 2>/dev/null ;;
		oid-size) printf "\\040" | dd of=$idx bs=1 seek=16 conv=notrunc 2>/dev/null ;;
		text-out-of-bounds)
			# the first record: its text offset far past the end
			printf "\\377\\377\\377" | dd of=$idx bs=1 seek=$((64 + 40 + 4)) conv=notrunc 2>/dev/null ;;
		unsorted)
			# the first id made to sort after the second: "gt-1" -> "gt-z"
			off=$(grep -abo "gt-1" $idx | head -n 1 | cut -d: -f1) &&
			printf "gt-z" | dd of=$idx bs=1 seek=$off conv=notrunc 2>/dev/null ;;
		esac &&
		gt list --all --json >actual 2>err &&
		test_cmp expect actual &&
		test_must_be_empty err &&
		"$TI" stats >full &&
		test_grep "valid=1 rewritten=0" full
	'
done

test_expect_success 'a leftover temporary file does not matter' '
	cd repo &&
	echo junk >.git/gastown/beads.idx.tmp-1 &&
	test_when_finished "rm -f .git/gastown/beads.idx.tmp-1" &&
	gt list --all >actual &&
	test_line_count = 4 actual
'

test_expect_success 'a bead changed from another worktree shows at once' '
	cd repo &&
	git commit -q --allow-empty -m base &&
	git worktree add -q ../wt &&
	(cd ../wt && gt create --id gt-wt "Made in a worktree" >/dev/null &&
	 gt update -p 0 gt-1) &&
	gt list --format="%(id) %(priority) %(title)" >actual &&
	test_grep "^gt-wt 2 Made in a worktree$" actual &&
	test_grep "^gt-1 0 Bead 1$" actual &&
	wtgit=$(cd ../wt && git rev-parse --git-dir) &&
	test "$wtgit" != .git &&
	test ! -e "$wtgit/gastown"
'

test_expect_success 'a worktree lists from the same cache' '
	cd wt &&
	gt list >actual &&
	(cd ../repo && gt list) >expect &&
	test_cmp expect actual &&
	(cd ../repo && "$TI" stats) >full &&
	test_grep "read=0 .*rewritten=0" full
'

test_expect_success 'packed refs: the same beads, through the files reader' '
	cd repo &&
	gt list --all --json >expect &&
	git pack-refs --all &&
	find .git/refs -path "*gastown*" -type f >loose &&
	test_must_be_empty loose &&
	gt list --all --json >actual &&
	test_cmp expect actual &&
	"$TI" stats >full &&
	test_grep "refs=5 .*read=0 .*fast=1" full
'

test_expect_success 'a loose ref wins over its packed value' '
	cd repo &&
	gt update --title "Loose again" gt-1 &&
	test -f .git/refs/gastown/beads/gt-1 &&
	gt list --format="%(id) %(title)" >actual &&
	test_grep "^gt-1 Loose again$" actual
'

test_expect_success 'a ref deleted from packed-refs disappears' '
	cd repo &&
	git update-ref -d refs/gastown/beads/gt-2 &&
	gt list --all --format="%(id)" >actual &&
	test_grep -v "^gt-2$" actual
'

test_expect_success 'the files reader and libgit2 list the same refs' '
	cd repo &&
	gt create --id gt-a0 "loose" >/dev/null &&
	gt create --id gt-zz "loose too" >/dev/null &&
	mkdir -p .git/refs/gastown/beads/sub &&
	git rev-parse refs/gastown/beads/gt-1 >.git/refs/gastown/beads/sub/gt-s &&
	"$TI" refs >fast &&
	"$TI" refs --libgit2 >slow &&
	test_cmp slow fast &&
	test_line_count = 7 fast &&
	test_grep " sub/gt-s$" fast &&
	rm .git/refs/gastown/beads/sub/gt-s
'

test_expect_success 'symbolic refs and lock files are not beads' '
	cd repo &&
	echo "ref: refs/gastown/beads/gt-1" >.git/refs/gastown/beads/gt-sym &&
	git rev-parse refs/gastown/beads/gt-1 >.git/refs/gastown/beads/gt-new.lock &&
	"$TI" refs >fast &&
	"$TI" refs --libgit2 >slow &&
	test_cmp slow fast &&
	test_grep -v "gt-sym" fast &&
	test_grep -v "gt-new" fast &&
	rm .git/refs/gastown/beads/gt-sym .git/refs/gastown/beads/gt-new.lock
'

test_expect_success 'packed-refs with bead refs out of order goes through libgit2' '
	cd repo &&
	git pack-refs --all &&
	gt list --all --json >expect &&
	cp .git/packed-refs packed.saved &&
	test_when_finished "cp packed.saved .git/packed-refs" &&
	{
		echo "# pack-refs with: peeled" &&
		grep -v "^#" packed.saved | sort -r -k 2
	} >.git/packed-refs &&
	gt list --all --json >actual &&
	test_cmp expect actual &&
	"$TI" stats >full &&
	test_grep "fast=0" full
'

test_expect_success 'packed-refs out of the order it claims goes through libgit2' '
	cd repo &&
	git pack-refs --all &&
	gt list --all --json >expect &&
	cp .git/packed-refs packed.saved &&
	test_when_finished "cp packed.saved .git/packed-refs" &&
	{
		head -n 1 packed.saved &&
		grep -v "^#" packed.saved | sort -r -k 2
	} >.git/packed-refs &&
	test_grep "sorted" .git/packed-refs &&
	gt list --all --json >actual &&
	test_cmp expect actual &&
	"$TI" stats >full &&
	test_grep "fast=0" full &&
	"$TI" refs >fast &&
	"$TI" refs --libgit2 >slow &&
	test_cmp slow fast
'

test_expect_success 'packed-refs without the sorted trait but in order is read directly' '
	cd repo &&
	git pack-refs --all &&
	gt list --all --json >expect &&
	cp .git/packed-refs packed.saved &&
	test_when_finished "cp packed.saved .git/packed-refs" &&
	{
		echo "# pack-refs with: peeled" &&
		grep -v "^#" packed.saved
	} >.git/packed-refs &&
	gt list --all --json >actual &&
	test_cmp expect actual &&
	"$TI" stats >full &&
	test_grep "fast=1" full
'

test_expect_success 'packed-refs with peeled tags and other refs around the beads' '
	cd repo &&
	git tag -a -m "a tag" v1 &&
	git update-ref refs/gastown/hooks/zz "$(git rev-parse HEAD)" &&
	git update-ref refs/gastown/agents/aa "$(git rev-parse HEAD)" &&
	git pack-refs --all &&
	"$TI" refs >fast &&
	"$TI" refs --libgit2 >slow &&
	test_cmp slow fast &&
	"$TI" stats >full &&
	test_grep "fast=1" full
'

test_expect_success 'a damaged bead is re-read on every load but the cache is not rewritten' '
	cd repo &&
	blob=$(echo junk | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-bad "$blob" &&
	gt list >/dev/null 2>&1 &&
	"$TI" stats >full &&
	test_grep "read=1 .*rewritten=0 .*damaged=1" full &&
	"$TI" dump >dump &&
	test_grep "^damaged gt-bad refs/gastown/beads/gt-bad: points to a blob, not a commit$" dump &&
	git update-ref -d refs/gastown/beads/gt-bad &&
	"$TI" stats >full &&
	test_grep "dropped=1 .*rewritten=1 .*damaged=0" full
'

test_expect_success 'the index keeps the fields listings need' '
	cd repo &&
	c=$(write_bead gt-f "{\"id\":\"gt-f\",\"title\":\"T\",\"status\":\"open\",\"priority\":3,\"issue_type\":\"bug\",\"assignee\":\"al\",\"parent\":\"gt-1\",\"created_at\":\"2026-01-02T03:04:05Z\",\"updated_at\":\"2026-01-02T03:04:06.5Z\",\"closed_at\":\"x\",\"labels\":[\"l1\",7,\"l2\"],\"dependencies\":[{\"depends_on_id\":\"gt-1\",\"type\":\"blocks\"},{\"depends_on_id\":\"gt-2\"},{\"type\":\"blocks\"}]}") &&
	git update-ref refs/gastown/beads/gt-f "$c" &&
	"$TI" dump >dump &&
	grep "^gt-f " dump | sed "s/ json=.*//" >actual &&
	echo "gt-f status=open priority=3 type=bug assignee=al parent=gt-1 created_at=2026-01-02T03:04:05Z updated_at=2026-01-02T03:04:06.5Z closed_at=x created_ms=1767323045000 updated_ms=1767323046500 title=T labels=l1,l2 deps=blocks:gt-1,(null):gt-2" >expect &&
	test_cmp expect actual &&
	test_grep -v "FIND-MISMATCH" dump
'

test_expect_success 'without the cache (--no-cache) the index is the same' '
	cd repo &&
	"$TI" dump >expect &&
	"$TI" dump --no-cache >actual &&
	test_cmp expect actual &&
	"$TI" dump --libgit2 >actual &&
	test_cmp expect actual
'

test_expect_success 'concurrent loads after a change all succeed and agree' '
	cd repo &&
	gt list --all --json >expect &&
	rm .git/gastown/beads.idx &&
	for i in 1 2 3 4 5 6; do
		gt list --all --json >out.$i &
	done &&
	wait &&
	for i in 1 2 3 4 5 6; do
		test_cmp expect out.$i || return 1
	done &&
	"$TI" stats >full &&
	test_grep "valid=1 rewritten=0" full &&
	ls .git/gastown >files &&
	test_grep -v "tmp" files
'

test_expect_success 'a cache that cannot be written is not an error (kept in memory)' '
	cd repo &&
	gt list --all --json >expect &&
	mv .git/gastown .git/gastown.saved &&
	test_when_finished "rm -f .git/gastown && mv .git/gastown.saved .git/gastown" &&
	echo "not a directory" >.git/gastown &&
	gt list --all --json >actual 2>err &&
	test_cmp expect actual &&
	test_must_be_empty err &&
	"$TI" stats >full &&
	test_grep "valid=0 rewritten=0" full
'

test_expect_success NOT_ROOT 'a cache that cannot be written is not an error' '
	cd repo &&
	gt list --all >expect &&
	rm .git/gastown/beads.idx &&
	chmod a-w .git/gastown &&
	test_when_finished "chmod u+w .git/gastown" &&
	gt list --all >actual 2>err &&
	test_cmp expect actual &&
	test_must_be_empty err
'

test_expect_success 'a bead deleted by a tombstone leaves the list' '
	cd repo &&
	c=$(write_bead gt-4 "{\"id\":\"gt-4\",\"title\":\"gone\",\"status\":\"closed\",\"tombstone\":true}") &&
	git update-ref refs/gastown/beads/gt-4 "$c" &&
	gt list --all --format="%(id)" >actual &&
	test_grep -v "^gt-4$" actual &&
	"$TI" stats >full &&
	test_grep "rewritten=0" full
'

test_expect_success TESTDATA 'the real ledger: a warm load reads no snapshot' '
	git init -q real && cd real &&
	testdata beads-issues.jsonl &&
	gt import -q beads-issues.jsonl &&
	gt list --all --json >expect &&
	"$TI" stats >full &&
	test_grep "refs=704 .*read=0 .*rewritten=0" full &&
	rm .git/gastown/beads.idx &&
	gt list --all --json >actual &&
	test_cmp expect actual
'

test_done
