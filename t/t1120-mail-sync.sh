#!/bin/sh
test_description='mail, agents and hooks across two clones through a bare remote'
. ./test-lib.sh

tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/; }

test_expect_success 'setup: a bare remote and two clones' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q) || return 1
	done
'

test_expect_success 'the first mail to one actor, sent on both clones, merges into one mailbox' '
	(cd a && GT_ACTOR=mayor gt mail send gastown/witness -s "from a" -m one) >id-a &&
	(cd b && GT_ACTOR=deacon gt mail send gastown/witness -s "from b" -m two) >id-b &&
	(cd a && gt sync) >/dev/null &&
	(cd b && gt sync) >out &&
	! test_grep -q renamed out &&
	(cd a && gt sync) >/dev/null &&
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	(cd a && gt mail inbox gastown/witness) | cut -d" " -f1 | sort >out &&
	sort id-a id-b >expect &&
	test_cmp expect out &&
	git -C a for-each-ref --format="%(refname)" refs/gastown/mail/ >out &&
	echo "refs/gastown/mail/gastown%2Fwitness" >expect &&
	test_cmp expect out &&
	(cd a && gt fsck) && (cd b && gt fsck)
'

test_expect_success 'concurrent sends, reads and archives on two clones lose nothing' '
	(cd a && GT_ACTOR=mayor gt mail send gastown/witness -s "a2" -m x) >id-a2 &&
	(cd b && GT_ACTOR=deacon gt mail send gastown/witness -s "b2" -m y) >id-b2 &&
	(cd a && GT_ACTOR=gastown/witness gt mail read $(cat ../id-a) >/dev/null) &&
	(cd b && GT_ACTOR=gastown/witness gt mail archive $(cat ../id-b)) &&
	(cd a && gt sync && cd ../b && gt sync && cd ../a && gt sync) >/dev/null &&
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	(cd b && gt mail inbox gastown/witness) >out &&
	test_line_count = 3 out &&
	test_grep "^$(cat id-a) - .* mayor: from a$" out &&
	test_grep "^$(cat id-a2) N " out &&
	test_grep "^$(cat id-b2) N " out &&
	(cd a && GT_ACTOR=gastown/witness gt mail read $(cat ../id-b)) >out &&
	test_grep "(archived)" out &&
	(cd a && gt fsck) && (cd b && gt fsck)
'

test_expect_success 'one agent registered on both clones merges; its sessions accumulate' '
	(cd a && gt agent add gastown/polecats/nux && gt agent start --session s-a gastown/polecats/nux) >/dev/null &&
	(cd b && gt agent add --runtime codex gastown/polecats/nux && gt agent start --session s-b gastown/polecats/nux) >/dev/null &&
	(cd a && gt sync && cd ../b && gt sync && cd ../a && gt sync) >/dev/null &&
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	git -C a cat-file blob "refs/gastown/agents/gastown%2Fpolecats%2Fnux:agent.json" |
		jq -r "[.sessions[].id] | sort | join(\" \")" >out &&
	echo "s-a s-b" >expect &&
	test_cmp expect out &&
	(cd a && gt agent list) >out &&
	test_line_count = 1 out
'

test_done
