#!/bin/sh
test_description='gt merge reads what differs between two ledgers: still exact, still checked'
. ./test-lib.sh

# the quick paths are asserted below: no ref file counts as just changed
# (racy), however fast the steps follow each other; one test sets it back
GT_TEST_RACY_MS=0 && export GT_TEST_RACY_MS

# ledger_entries <repo> <ledger>: "<tip> <ref>" of every entry, sorted
ledger_entries() {
	git -C "$1" ls-tree -r "$2" |
		awk '{ p = $4; sub(/^[0-9a-f][0-9a-f]\/([0-9a-f]\/)?/, "", p); gsub(/:/, "/", p); print $3, "refs/gastown/" p }' | sort -k2
}
# local_refs <repo>: the same lines for the refs a ledger carries
local_refs() {
	git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/ |
		grep -v ' refs/gastown/ledger$' | sort -k2
}
# the ledger holds exactly the local refs, and its message counts them
ledger_is_local() {
	ledger_entries "$1" refs/gastown/ledger >entries &&
	local_refs "$1" >refs && test_cmp refs entries &&
	echo "ledger: $(wc -l <entries | tr -d " ") refs" >expect &&
	git -C "$1" log -1 --format=%s refs/gastown/ledger >subject &&
	test_cmp expect subject
}
tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/ refs/remotes/; }

test_expect_success 'setup: 40 beads on a, published, merged into b' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done &&
	(cd a && for i in $(seq 1 40); do gt create --id bd-$i "Bead $i" >/dev/null || return 1; done &&
		gt sync -q) &&
	(cd b && gt sync -q) &&
	ledger_is_local a && ledger_is_local b
'

test_expect_success 'changes on both sides: each ledger is exactly its refs' '
	(cd a && gt update bd-1 --title "One from a" && gt create --id bd-41 "New on a" &&
		gt sync -q) >/dev/null &&
	(cd b && gt update bd-2 --title "Two from b" && gt update bd-1 --add-label from-b &&
		gt create --id bd-42 "New on b" && git fetch -q origin && gt merge -q) >/dev/null &&
	ledger_is_local b &&
	(cd b && gt show bd-1 --json) >one &&
	test_grep "One from a" one && test_grep from-b one &&
	(cd b && gt sync -q) && (cd a && gt sync -q) &&
	ledger_is_local a && ledger_is_local b &&
	test "$(git -C a rev-parse refs/gastown/ledger)" = "$(git -C b rev-parse refs/gastown/ledger)"
'

test_expect_success 'a ref deleted here stays published; one the remote moved comes back' '
	(cd b && git update-ref -d refs/gastown/beads/bd-3 && git update-ref -d refs/gastown/beads/bd-4) &&
	(cd a && gt update bd-4 --title "Four moved" >/dev/null && gt sync -q) &&
	(cd b && git fetch -q origin && gt merge -q) &&
	ledger_entries b refs/gastown/ledger >entries &&
	test_grep " refs/gastown/beads/bd-3$" entries &&
	(cd b && gt show bd-4 --json) >four && test_grep "Four moved" four &&
	git -C b update-ref refs/gastown/beads/bd-3 $(grep " refs/gastown/beads/bd-3$" entries | cut -d" " -f1)
'

# damaged <how>: a ledger that descends from the hub's and differs from
# it in one shard, damaged there as <how> says; its id on stdout
damaged() {
	ledger=$(git -C b rev-parse refs/remotes/origin/gastown/ledger) &&
	shard=$(git -C b ls-tree $ledger | head -n 1 | cut -f2) &&
	sub=$(git -C b rev-parse $ledger:$shard) &&
	tip=$(git -C b rev-parse refs/gastown/beads/bd-1) &&
	blob=$(echo junk | git -C b hash-object -w --stdin) &&
	case $1 in
	wrong-shard)
		# a name whose shard is another one
		for n in $(seq 100 400); do
			h=$(printf "beads/bd-x%s" $n | git hash-object --stdin | cut -c1-2)
			test "$h" = "$shard" || break
		done
		extra=$(printf "160000 commit %s\tbeads:bd-x%s\n" $tip $n) ;;
	blob) extra=$(printf "100644 blob %s\tbeads:bd-blob\n" $blob) ;;
	deep)
		t=$(printf "160000 commit %s\tbd-1\n" $tip | git -C b mktree)
		for i in $(seq 1 120); do
			t=$(printf "040000 tree %s\tdeeper-and-deeper-%s\n" $t $i | git -C b mktree) || return 1
		done
		extra=$(printf "040000 tree %s\tnest\n" $t) ;;
	esac &&
	newshard=$( (git -C b ls-tree $sub; echo "$extra") | git -C b mktree) &&
	root=$(git -C b ls-tree $ledger | sed "s/[0-9a-f]\{40\}\t$shard\$/$newshard\t$shard/" |
		git -C b mktree) &&
	git -C b commit-tree -p $ledger -m "ledger: 42 refs" $root
}

for how in wrong-shard blob deep; do
	test_expect_success "a remote ledger damaged in one shard ($how): refused, nothing moves" '
		bad=$(damaged '$how') &&
		git -C b update-ref refs/remotes/origin/gastown/ledger $bad &&
		tips b >before &&
		(cd b && test_expect_code 3 gt merge origin 2>err) &&
		case '$how' in
		deep) test_grep "a tree in shard .. is too deep for a ledger" b/err ;;
		*) test_grep "is not a ledger entry" b/err ;;
		esac &&
		tips b >after && test_cmp before after &&
		git -C b update-ref refs/remotes/origin/gastown/ledger \
			$(git -C hub.git rev-parse refs/gastown/ledger)
	'
done

test_expect_success 'the objects a merge writes go into one pack, not loose files' '
	(cd a && gt update bd-5 --title "Five" && gt update bd-6 --title "Six" && gt sync -q) >/dev/null &&
	(cd b && gt update bd-5 --add-label here >/dev/null && git fetch -q origin) &&
	loose_before=$(git -C b count-objects | cut -d" " -f1) &&
	packs_before=$(ls b/.git/objects/pack/*.pack | wc -l) &&
	(cd b && gt merge -q) &&
	test "$(git -C b count-objects | cut -d" " -f1)" = "$loose_before" &&
	test "$(ls b/.git/objects/pack/*.pack | wc -l)" = "$((packs_before + 1))" &&
	for idx in b/.git/objects/pack/*.idx; do git verify-pack "$idx" || return 1; done &&
	git -C b log -1 --format=%P refs/gastown/beads/bd-5 >parents && test_grep " " parents &&
	{ git -C b fsck --connectivity-only --no-progress 2>&1 | grep -v "^notice" >fsck-out || :; } &&
	test_must_be_empty fsck-out &&
	(cd b && gt fsck) >gfsck 2>&1 && test_grep "^0 problems" gfsck &&
	ledger_is_local b
'

# packs <repo>: its pack files, one a line
packs() { ls "$1"/.git/objects/pack/*.pack | sort; }
# new_pack_ids: the objects of the one pack in "after" but not "before",
# which git finds whole and its index right (offsets, CRCs, checksums)
new_pack_ids() {
	comm -13 before after >new && test_line_count = 1 new &&
	git verify-pack "$(sed "s/pack$/idx/" new)" &&
	git show-index <"$(sed "s/pack$/idx/" new)" | cut -d" " -f2 | sort
}

# loose_file <repo> <id>: where git keeps that object as a loose file
loose_file() { echo "$1/.git/objects/$(echo $2 | cut -c1-2)/$(echo $2 | cut -c3-)"; }

test_expect_success 'a merge packs the loose objects its push sends, none sent before, and removes their files' '
	(cd a && gt sync -q) && (cd b && gt sync -q) &&
	(cd b && gt update bd-7 --title "Seventh" && gt sync -q) >/dev/null &&
	published=$(git -C b rev-parse refs/gastown/beads/bd-7) &&
	(cd b && gt update bd-7 --title "Seventh again" && gt update bd-8 --title "Eighth" &&
		gt update bd-8 --add-label twice) >/dev/null &&
	git -C b rev-list --objects refs/gastown/beads/bd-7 refs/gastown/beads/bd-8 \
		^$published ^refs/remotes/origin/gastown/ledger | cut -c1-40 | sort >sent &&
	test "$(wc -l <sent)" -ge 6 &&
	loose_before=$(git -C b count-objects | cut -d" " -f1) &&
	packs b >before && (cd b && gt sync -q) && packs b >after &&
	new_pack_ids >in-pack &&
	comm -23 sent in-pack >missing && test_must_be_empty missing &&
	! grep $published in-pack &&
	for id in $(cat sent); do
		! test -e "$(loose_file b $id)" && git -C b cat-file -e $id || return 1
	done &&
	test "$(git -C b count-objects | cut -d" " -f1)" = "$((loose_before - $(wc -l <sent)))" &&
	{ git -C hub.git fsck --no-progress 2>&1 | grep -v "^notice" >fsck-out || :; } &&
	test_must_be_empty fsck-out && ledger_is_local b
'

test_expect_success 'a sync copies and compresses its local changes while git fetches' '
	(cd b && gt update bd-9 --title "Ninth" && gt update bd-10 --title "Tenth") >/dev/null &&
	git -C b rev-list --objects refs/gastown/beads/bd-9 refs/gastown/beads/bd-10 \
		^refs/gastown/ledger | cut -c1-40 | sort >sent &&
	test "$(wc -l <sent)" -ge 4 &&
	packs b >before && (cd b && GT_TEST_MERGE_SAY=1 gt sync -q 2>../say) && packs b >after &&
	test_grep "^merge: $(wc -l <sent | tr -d " ") objects made ready while git fetched$" say &&
	new_pack_ids >in-pack &&
	comm -23 sent in-pack >missing && test_must_be_empty missing &&
	(cd b && GT_TEST_MERGE_SAY=1 gt merge -q 2>../say) && test_grep -v "made ready" say &&
	ledger_is_local b
'

test_expect_success 'a loose object that does not hash to its name is not copied' '
	(cd b && gt update bd-11 --title "Eleven") >/dev/null &&
	blob=$(git -C b rev-parse refs/gastown/beads/bd-11:op.json) &&
	file=b/.git/objects/$(echo $blob | cut -c1-2)/$(echo $blob | cut -c3-) &&
	cp "$file" saved-loose &&
	printf "blob 5\0wrong" | perl -MCompress::Zlib -0777 -e "print compress(<STDIN>)" >forged &&
	chmod u+w "$file" && cp forged "$file" &&
	packs b >before && (cd b && gt merge -q) && packs b >after &&
	new_pack_ids >in-pack &&
	commit=$(git -C b rev-parse refs/gastown/beads/bd-11) &&
	wrong=$(printf wrong | git hash-object --stdin) &&
	grep $commit in-pack && ! grep $blob in-pack && ! grep $wrong in-pack &&
	test_cmp forged "$file" && ! test -e "$(loose_file b $commit)" &&
	cp saved-loose "$file" &&
	{ git -C b fsck --no-progress 2>&1 | grep -v "^notice" >fsck-out || :; } &&
	test_must_be_empty fsck-out
'

# A merge reads without libgit2's hash check (as git reads); what reads
# after it must check again.
test_expect_success 'after a merge, gt fsck finds an object that does not hash to its name' '
	(cd b && gt update bd-12 --title "Twelve") >/dev/null &&
	blob=$(git -C b rev-parse refs/gastown/beads/bd-12:bead.json) &&
	file=$(loose_file b $blob) && cp "$file" saved-loose &&
	printf "blob 2\0{}" | perl -MCompress::Zlib -0777 -e "print compress(<STDIN>)" >forged &&
	chmod u+w "$file" && cp forged "$file" &&
	(cd a && gt update bd-13 --title "Thirteen" && gt sync -q) >/dev/null &&
	(cd b && git fetch -q origin && gt merge -q) &&
	(cd b && gt show bd-13) >thirteen && test_grep Thirteen thirteen &&
	(cd b && test_expect_code 1 gt fsck >../out 2>&1) &&
	test_grep "bd-12: commit .*: bead.json blob $blob is missing" out
'

# the same object, in one process: refused before, and after a merge
test_unit_program test-merge-reads "$TRASH_DIRECTORY/b" "$blob"

test_expect_success 'the object put back, gt fsck finds nothing' '
	cp saved-loose "$file" && (cd b && gt fsck -q)
'

test_expect_success "a merged ledger's first parent is the remote's ledger, then ours" '
	(cd a && gt update bd-9 --title "Nine" && gt sync -q) >/dev/null &&
	(cd b && gt update bd-10 --title "Ten") >/dev/null &&
	theirs=$(git -C hub.git rev-parse refs/gastown/ledger) &&
	ours=$(git -C b rev-parse refs/gastown/ledger) &&
	(cd b && gt sync -q) &&
	test "$(git -C b rev-parse refs/gastown/ledger^1)" = "$theirs" &&
	test "$(git -C b rev-parse refs/gastown/ledger^2)" = "$ours" &&
	test "$(git -C hub.git rev-parse refs/gastown/ledger)" = "$(git -C b rev-parse refs/gastown/ledger)"
'

# merge_b: b fetches and merges; what the merge said about reading refs in say
merge_b() {
	(cd b && git fetch -q origin && GT_TEST_MERGE_SAY=1 gt merge -q 2>../say)
}

test_expect_success 'after a merge, the next one reads only the loose refs' '
	(cd b && git pack-refs --all) &&
	merge_b && test_grep "read every ref" say &&
	(cd a && gt update bd-7 --title "Seven" && gt sync -q) >/dev/null &&
	(cd b && gt update bd-8 --title "Eight" >/dev/null) &&
	merge_b && test_grep "read 1 loose refs" say &&
	(cd b && gt show bd-7 --json) >seven && test_grep "Seven" seven &&
	ledger_is_local b
'

test_expect_success 'a ref moved by plain git (loose) is seen by the quick read' '
	tip=$(git -C b rev-parse refs/gastown/beads/bd-9) &&
	(cd b && gt update bd-9 --title "Nine, to be undone" >/dev/null && gt merge -q) &&
	ledger_entries b refs/gastown/ledger >entries &&
	test_grep -v "^$tip refs/gastown/beads/bd-9$" entries &&
	git -C b update-ref refs/gastown/beads/bd-9 $tip &&
	merge_b && test_grep "loose refs" say &&
	ledger_is_local b
'

test_expect_success 'packed-refs rewritten (pack-refs, a deleted ref): every ref is read again' '
	(cd b && git pack-refs --all) &&
	merge_b && test_grep "read every ref" say &&
	merge_b && test_grep "read 0 loose refs" say &&
	(cd b && gt create --id bd-43 "Doomed" >/dev/null && git pack-refs --all && gt merge -q &&
		git update-ref -d refs/gastown/beads/bd-43) &&
	merge_b && test_grep "read every ref" say &&
	ledger_entries b refs/gastown/ledger >entries &&
	test_grep " refs/gastown/beads/bd-43$" entries &&
	git -C b update-ref refs/gastown/beads/bd-43 $(grep " refs/gastown/beads/bd-43$" entries | cut -d" " -f1)
'

test_expect_success 'the record lost or stale: every ref is read' '
	merge_b && test_grep "loose refs" say &&
	rm b/.git/gastown/merged &&
	merge_b && test_grep "read every ref" say &&
	echo junk >b/.git/gastown/merged &&
	merge_b && test_grep "read every ref" say &&
	merge_b && test_grep "loose refs" say
'

test_expect_success 'packed-refs changed just before a merge: the next merge reads every ref' '
	(cd b && git pack-refs --all) && merge_b && merge_b && test_grep "read 0 loose refs" say &&
	(cd b && git pack-refs --all && git fetch -q origin && GT_TEST_RACY_MS=60000 gt merge -q) &&
	merge_b && test_grep "read every ref" say &&
	merge_b && test_grep "read 0 loose refs" say
'

test_expect_success 'too many loose refs: all read, the loose ones folded into packed-refs' '
	(cd b && for i in 10 11 12 13; do gt update bd-$i --title "Loose $i" >/dev/null || return 1; done) &&
	(cd b && git fetch -q origin && GT_TEST_MERGE_LOOSE_MAX=3 GT_TEST_MERGE_SAY=1 gt merge -q 2>../say) &&
	test_grep "read every ref, folding the loose ones" say &&
	! test -e b/.git/refs/gastown/beads/bd-10 &&
	! test -e b/.git/refs/gastown/beads/bd-13 &&
	grep " refs/gastown/beads/bd-10$" b/.git/packed-refs &&
	(cd b && gt show bd-13 --json) >t13 && test_grep "Loose 13" t13 &&
	ledger_is_local b &&
	merge_b && test_grep "read 0 loose refs" say
'

test_expect_success 'packed-refs rewritten by another writer while a merge folds: the next reads every ref' '
	(cd b && for i in 14 15 16 17; do gt update bd-$i --title "Loose $i" >/dev/null || return 1; done) &&
	(cd b && GT_TEST_MERGE_MEANWHILE="git pack-refs --all" GT_TEST_MERGE_LOOSE_MAX=3 \
		GT_TEST_MERGE_SAY=1 gt merge -q 2>../say) &&
	test_grep "read every ref, folding the loose ones" say &&
	(cd b && gt show bd-17 --json) >t17 && test_grep "Loose 17" t17 &&
	ledger_is_local b &&
	merge_b && test_grep "read every ref" say &&
	merge_b && test_grep "read 0 loose refs" say
'

test_expect_success 'many moved refs and a small packed-refs: one rewrite, no loose files, the next merge quick' '
	(cd a && for i in $(seq 1 32); do gt update bd-$i --add-label batch >/dev/null || return 1; done &&
		gt sync -q) &&
	(cd b && git pack-refs --all) && test -s b/.git/packed-refs &&
	merge_b && test_grep "read every ref" say &&
	for i in 1 3 32; do
		! test -e b/.git/refs/gastown/beads/bd-$i &&
		grep "^$(git -C a rev-parse refs/gastown/beads/bd-$i) refs/gastown/beads/bd-$i$" \
			b/.git/packed-refs || return 1
	done &&
	ledger_is_local b &&
	merge_b && test_grep "read 0 loose refs" say
'

test_done
