#!/bin/sh
test_description='pre-receive: what gt sync pushes through a hooked bare remote is accepted

The scenarios of t0810 (one id given to two beads on two clones, children
made on both, a dependency that follows its renamed bead) and concurrent
edits of one bead (a merge commit by gastown), all through a bare remote
set up with "gt init --bare", whose hook must accept every push.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-receive.sh"

tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/; }
# same_state: both clones and the hub hold one ledger, and the clones the same refs
same_state() {
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	git -C a rev-parse refs/gastown/ledger >expect &&
	git -C hub.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
}
# synced <clone>: gt sync, which must push (nothing refused)
synced() {
	(cd "$1" && gt sync >../sync.out 2>../sync.err) &&
	! grep "remote: " sync.err
}

test_expect_success 'setup: a hooked bare remote, two clones, a shared parent' '
	git config --global receive.autogc false &&
	git init -q --bare hub.git &&
	(cd hub.git && gt init -q --bare) &&
	test -x hub.git/hooks/pre-receive &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done &&
	(cd a && gt create --id bd-p "Epic" >/dev/null) && synced a &&
	synced b && (cd b && gt show bd-p >/dev/null)
'

test_expect_success 'one bead edited on both clones: the merge by gastown is accepted' '
	(cd a && gt update bd-p --title "Epic from a") &&
	(cd b && gt update bd-p -p 0) &&
	synced a && synced b &&
	git -C hub.git log -1 --format="%an %s" "refs/gastown/ledger:$(lpath beads/bd-p)" >log &&
	echo "gastown merge: bd-p Epic from a" >expect &&
	test_cmp expect log &&
	synced a && same_state
'

test_expect_success 'the same id on both clones, the older pushed second: its rename is accepted' '
	(cd b && GT_TEST_NOW=1760000100 gt create --id bd-x "Made on b" >/dev/null) && synced b &&
	(cd a && GT_TEST_NOW=1760000000 gt create --id bd-x "Made on a" >/dev/null) && synced a &&
	grep "^renamed bd-x -> bd-x-[0-9a-z]\{4\} (another bead had the same id)$" sync.out &&
	new=$(sed -n "s/^renamed bd-x -> \(bd-x-[0-9a-z]*\) .*/\1/p" sync.out) &&
	git -C hub.git log -1 --format="%an %s" "refs/gastown/ledger:$(lpath beads/$new)" >log &&
	echo "gastown rename: $new Made on b" >expect &&
	test_cmp expect log &&
	synced b && same_state &&
	(cd b && gt show --json bd-x) | jq -r .title >t && echo "Made on a" >expect && test_cmp expect t
'

test_expect_success 'the same id on both clones, the older pushed first: accepted' '
	(cd a && GT_TEST_NOW=1760000200 gt create --id bd-y "Older, on a" >/dev/null) && synced a &&
	(cd b && GT_TEST_NOW=1760000300 gt create --id bd-y "Younger, on b" >/dev/null) && synced b &&
	grep "^renamed bd-y -> bd-y-[0-9a-z]\{4\} " sync.out &&
	synced a && same_state
'

test_expect_success 'children made on both clones, and a dependency that follows: accepted' '
	(cd a && GT_TEST_NOW=1760001000 gt create --parent bd-p "Step by a" >id-a) &&
	(cd b && GT_TEST_NOW=1760002000 gt create --parent bd-p "Step by b" >id-b &&
	 gt create --id bd-user "Needs b step" >/dev/null &&
	 gt dep add bd-user bd-p.1) &&
	synced a && synced b &&
	grep "^renamed bd-p.1 -> bd-p.1-[0-9a-z]\{4\} " sync.out &&
	git -C hub.git log -1 --format="%an %s" "refs/gastown/ledger:$(lpath beads/bd-user)" >log &&
	echo "gastown bead.follow: bd-user Needs b step" >expect &&
	test_cmp expect log &&
	synced a && synced b && same_state &&
	(cd a && gt fsck) && (cd b && gt fsck)
'

test_expect_success 'a first mail to one actor from both clones: the keyed merge is accepted' '
	(cd a && GT_ACTOR=mayor gt mail send rig/crew/x -s "from a" -m hi >/dev/null) &&
	(cd b && GT_ACTOR=deacon gt mail send rig/crew/x -s "from b" -m hi >/dev/null) &&
	synced a && synced b && synced a &&
	(cd a && GT_ACTOR=rig/crew/x gt mail inbox) >inbox &&
	test_grep "mayor: from a" inbox &&
	test_grep "deacon: from b" inbox &&
	git -C hub.git log -1 --format="%an %s" "refs/gastown/ledger:$(lpath mail/rig%2Fcrew%2Fx)" >log &&
	echo "gastown merge: rig%2Fcrew%2Fx" >expect &&
	test_cmp expect log &&
	same_state
'

test_expect_success 'a third clone reaches the same state, and the whole ledger checks' '
	git init -q c3 && git -C c3 remote add origin ../hub.git &&
	(cd c3 && gt init -q && gt sync -q && gt export) >export-c &&
	(cd a && gt export) >export-a && test_cmp export-a export-c &&
	(cd hub.git && echo "$Z $(git rev-parse refs/gastown/ledger) refs/gastown/ledger" | gt receive-check)
'

test_done
