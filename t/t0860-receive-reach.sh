#!/bin/sh
test_description='pre-receive: every tip a pushed ledger adds or moves is reachable from it

A ledger commit maps entities to their tips as gitlinks, which git does
not follow: the tips reach a clone only through the ledger commit'"'"'s
parents. A hostile clone pushes ledgers whose entries point at commits
the server has (or receives in the same push) outside that history; each
is rejected and the bare repository is left as it was.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-receive.sh"

test_expect_success 'setup: a server, a clone that syncs, a hostile clone' '
	git config --global receive.autogc false &&
	git config --global gc.auto 0 &&
	git init -q --bare server.git &&
	(cd server.git && gt init -q --bare) &&
	git init -q alice && (
		cd alice && git remote add origin ../server.git && gt init -q &&
		gt create --id gt-a "Alpha" >/dev/null &&
		gt create --id gt-b "Beta" >/dev/null &&
		gt sync -q
	) &&
	PA=$(lpath beads/gt-a) && PB=$(lpath beads/gt-b) && PN=$(lpath beads/gt-new) &&
	git init -q evil && cd evil &&
	git remote add origin ../server.git &&
	fetch_ledger
'

test_expect_success JQ 'a tip pushed in the same push under another ref, not a parent: rejected' '
	cd evil &&
	c=$(retitle $A $((KA + 1)) 1700000000000 "Smuggled") &&
	new=$(LEDGER_BARE=1 ledger_with $L 160000 $c $PA) &&
	push_rejected $c:refs/heads/smuggle $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: tip $c is not reachable from ledger $new: a ledger commit must have every tip it adds or moves among its parents (push what '"'"'gt sync'"'"' writes)" &&
	test_must_fail git -C ../server.git rev-parse -q --verify refs/heads/smuggle
'

test_expect_success JQ 'a tip the server already has, outside the ledger: rejected' '
	cd evil &&
	c=$(retitle $B $((KB + 1)) 1700000001000 "On a branch") &&
	git push -q origin $c:refs/heads/side &&
	git -C ../server.git cat-file -e $c &&
	n=$(craft "" 1700000001000 "$(op bead.create 1 1700000001000 "{\"set\":\"title\",\"value\":\"N\"}")" "{\"title\":\"N\"}") &&
	git push -q origin $n:refs/heads/side2 &&
	new=$(LEDGER_BARE=1 ledger_with $L 160000 $c $PB 160000 $n $PN) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: tip $c is not reachable from ledger $new: a ledger commit must have every tip it adds or moves among its parents (push what '"'"'gt sync'"'"' writes)" \
		"refs/gastown/ledger: refs/gastown/beads/gt-new: tip $n is not reachable from ledger $new: a ledger commit must have every tip it adds or moves among its parents (push what '"'"'gt sync'"'"' writes)"
'

test_expect_success JQ 'only the entries that are not carried are named' '
	cd evil &&
	c=$(retitle $A $((KA + 1)) 1700000002000 "Carried") &&
	d=$(retitle $B $((KB + 1)) 1700000002000 "Not carried") &&
	new=$(LEDGER_BARE=1 LEDGER_PARENTS="-p $c" ledger_with $L 160000 $c $PA 160000 $d $PB) &&
	push_rejected $d:refs/heads/d $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: tip $d is not reachable from ledger $new: a ledger commit must have every tip it adds or moves among its parents (push what '"'"'gt sync'"'"' writes)"
'

test_expect_success 'a missing tip is said to be missing, once' '
	cd evil &&
	new=$(LEDGER_BARE=1 ledger_with $L 160000 1234567890123456789012345678901234567890 $PN) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-new: points to missing object 1234567890123456789012345678901234567890"
'

test_expect_success JQ 'tips carried by a carrier commit: accepted' '
	cd evil &&
	c=$(retitle $A $((KA + 1)) 1700000003000 "Through a carrier") &&
	carrier=$(git commit-tree -p $c -m "ledger: carry" $(git hash-object -t tree -w /dev/null)) &&
	new=$(LEDGER_BARE=1 LEDGER_PARENTS="-p $carrier" ledger_with $L 160000 $c $PA) &&
	git push -q origin $new:refs/gastown/ledger &&
	test "$(git -C ../server.git rev-parse refs/gastown/ledger)" = $new &&
	fetch_ledger
'

test_expect_success JQ 'a tip reached through the history of another parent: accepted' '
	cd evil &&
	c1=$(retitle $B $((KB + 1)) 1700000004000 "First") &&
	c2=$(retitle $c1 $((KB + 2)) 1700000005000 "Second") &&
	new=$(LEDGER_BARE=1 LEDGER_PARENTS="-p $c2" ledger_with $L 160000 $c1 $PB) &&
	git push -q origin $new:refs/gastown/ledger &&
	fetch_ledger &&
	test $B = $c1
'

test_expect_success 'a ledger chain of several commits: each carries its own tips' '
	cd alice &&
	gt sync -q &&
	gt update gt-a --title "Alice one" && gt merge -q &&
	gt update gt-b --title "Alice two" && gt merge -q &&
	test "$(git rev-list --count --first-parent refs/remotes/origin/gastown/ledger..refs/gastown/ledger)" -ge 2 &&
	gt sync -q &&
	git rev-parse refs/gastown/ledger >expect &&
	git -C ../server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
'

test_expect_success 'by hand (no quarantine), the whole ledger is checked and passes' '
	cd server.git &&
	echo "$Z $(git rev-parse refs/gastown/ledger) refs/gastown/ledger" | gt receive-check &&
	(cd ../evil && fetch_ledger && LEDGER_BARE=1 ledger_with $L 160000 $(git -C ../server.git rev-parse refs/heads/side) $PB) >../new &&
	git -C ../evil push -q origin $(cat ../new):refs/heads/unchecked &&
	echo "$(git rev-parse refs/gastown/ledger) $(cat ../new) refs/gastown/ledger" |
		test_expect_code 1 gt receive-check 2>../err &&
	test_grep "^refs/gastown/ledger: refs/gastown/beads/gt-b: tip [0-9a-f]* is not reachable from ledger $(cat ../new): " ../err
'

test_expect_success 'the clones still sync with the server' '
	(cd alice && gt sync -q && gt fsck) &&
	git -C alice rev-parse refs/gastown/ledger >expect &&
	git -C server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
'

test_done
