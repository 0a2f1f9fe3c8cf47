#!/bin/sh
test_description='gt mol wisp, squash, burn: molecules kept local, never pushed'
. ./test-lib.sh

unset XDG_CONFIG_HOME
F=.gastown/formulas

test_expect_success 'setup: a bare remote, two clones, a formula' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix gt) || return 1
	done &&
	cd a &&
	mkdir -p $F &&
	cat >$F/patrol.formula.ini <<-\INI
	[formula]
	name = patrol
	[var "rig"]
	default = town
	[step "look"]
	title = Look around {{rig}}
	[step "report"]
	title = Report on {{rig}}
	needs = look
	INI
'

test_expect_success JQ 'wisp: the molecule under refs/gastown-local/, every bead ephemeral' '
	cd a &&
	W=$(gt mol wisp patrol) &&
	echo $W >../wisp &&
	test_grep "^gt-wisp-[0-9a-z]\{4,\}$" ../wisp &&
	git for-each-ref --format="%(refname)" refs/gastown-local/ >refs &&
	printf "refs/gastown-local/beads/%s\n" $W $W.1 $W.2 >expect &&
	test_cmp expect refs &&
	git for-each-ref "refs/gastown/beads/" >shared &&
	test_must_be_empty shared &&
	gt show --json $W $W.1 $W.2 | jq -c "[.id, .ephemeral, .issue_type]" >out &&
	cat >expect <<-EOF &&
	["$W",true,"molecule"]
	["$W.1",true,"task"]
	["$W.2",true,"task"]
	EOF
	test_cmp expect out
'

test_expect_success 'gt ready, gt list and gt show see the wisp steps (--no-wisps: not)' '
	cd a &&
	W=$(cat ../wisp) &&
	gt create --id gt-shared "Shared work" >/dev/null &&
	gt ready --format "%(id)" >out &&
	printf "gt-shared\n$W.1\n" >expect &&
	test_cmp expect out &&
	gt ready --no-wisps --format "%(id)" >out &&
	echo gt-shared >expect &&
	test_cmp expect out &&
	gt list --format "%(id)" >out &&
	printf "gt-shared\n$W\n$W.1\n$W.2\n" >expect &&
	test_cmp expect out &&
	gt list --no-wisps --format "%(id)" >out &&
	echo gt-shared >expect &&
	test_cmp expect out &&
	gt ready -n 1 --format "%(id)" >out &&
	echo gt-shared >expect &&
	test_cmp expect out &&
	gt show $W.1 >out &&
	test_grep "^$W.1: Look around town$" out
'

test_expect_success 'wisp steps close, update and take comments like beads, in gt ready order' '
	cd a &&
	W=$(cat ../wisp) &&
	gt comment $W.1 "looked" &&
	gt close $W.1 >/dev/null &&
	gt ready --format "%(id)" >out &&
	printf "gt-shared\n$W.2\n" >expect &&
	test_cmp expect out &&
	gt mol next $W | cut -f1 >out &&
	echo $W.2 >expect &&
	test_cmp expect out &&
	git log --format=%s refs/gastown-local/beads/$W.1 >log &&
	test_grep "^bead.close: $W.1" log &&
	gt fsck
'

test_expect_success 'a wisp never reaches the remote: gt sync pushes the shared ledger only' '
	cd a &&
	W=$(cat ../wisp) &&
	gt sync >/dev/null &&
	git -C ../hub.git for-each-ref --format="%(refname)" >refs &&
	echo refs/gastown/ledger >expect &&
	test_cmp expect refs &&
	git -C ../hub.git ls-tree -r --name-only refs/gastown/ledger >paths &&
	grep "beads:gt-shared$" paths &&
	! grep wisp paths &&
	for r in $W $W.1 $W.2; do
		tip=$(git rev-parse refs/gastown-local/beads/$r) &&
		test_must_fail git -C ../hub.git cat-file -e $tip || return 1
	done &&
	cd ../b &&
	gt sync >/dev/null &&
	git for-each-ref --format="%(refname)" >refs &&
	! grep gastown-local refs &&
	test_expect_code 2 gt show $W 2>err &&
	test_grep "no such bead: $W" err &&
	gt ready --format "%(id)" >out &&
	echo gt-shared >expect &&
	test_cmp expect out
'

test_expect_success JQ 'protos and published formulas travel with the ledger; the other clone pours them' '
	cd a &&
	P=$(gt cook --var rig=hq patrol) &&
	gt formula publish patrol >/dev/null &&
	gt sync >/dev/null &&
	cd ../b &&
	gt sync >/dev/null &&
	gt formula list >out &&
	echo "patrol	ledger	refs/gastown/formulas/patrol" >expect &&
	test_cmp expect out &&
	M=$(gt mol pour $P) &&
	gt show --json $M.1 | jq -r .title >out &&
	echo "Look around hq" >expect &&
	test_cmp expect out &&
	W=$(gt mol wisp --var rig=b patrol) &&
	gt show --json $W.2 | jq -r .title >out &&
	echo "Report on b" >expect &&
	test_cmp expect out &&
	gt mol burn $W &&
	gt fsck
'

test_expect_success 'squashing a poured molecule and burning a non-wisp are refused' '
	cd a &&
	M=$(gt mol pour patrol) &&
	git for-each-ref >before &&
	test_expect_code 4 gt mol squash $M 2>err &&
	echo "fatal: $M is a poured molecule: it keeps its history in the ledger, only a wisp is squashed (close its steps instead)" >expect &&
	test_cmp expect err &&
	test_expect_code 4 gt mol burn $M 2>err &&
	echo "fatal: $M is not a wisp: only a wisp is burnt (a poured molecule is shared history)" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt mol burn gt-shared 2>err &&
	echo "fatal: gt-shared is not a molecule (its issue_type is task)" >expect &&
	test_cmp expect err &&
	test_expect_code 2 gt mol squash gt-nosuch 2>err &&
	echo "fatal: no such bead: gt-nosuch" >expect &&
	test_cmp expect err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success JQ 'squash: a closed digest in the shared ledger, the wisp gone, the bead detached' '
	cd a &&
	gt create --id gt-task "A task" >/dev/null &&
	W=$(gt mol wisp --var rig=gastown --attach gt-task patrol) &&
	gt show --json gt-task | jq -r .molecule >out &&
	echo $W >expect &&
	test_cmp expect out &&
	gt close $W.1 >/dev/null &&
	D=$(gt mol squash --summary "patrolled; all quiet" $W) &&
	git for-each-ref "refs/gastown-local/beads/$W*" >refs &&
	test_must_be_empty refs &&
	gt show --json $D >digest &&
	jq -c "[.status, .issue_type, .title, .description, .squashed_from, .attached_to, .digest.done, .digest.total, [.digest.steps[].status]]" digest >out &&
	echo "[\"closed\",\"digest\",\"Digest: patrol\",\"patrolled; all quiet\",\"$W\",\"gt-task\",1,2,[\"closed\",\"open\"]]" >expect &&
	test_cmp expect out &&
	gt show --json gt-task | jq -r ".molecule // \"none\"" >out &&
	echo none >expect &&
	test_cmp expect out &&
	test_expect_code 2 gt mol status $W 2>err &&
	test_grep "no such bead: $W" err &&
	W2=$(gt mol wisp patrol) &&
	D2=$(gt mol squash $W2) &&
	gt show --json $D2 | jq -r .description >out &&
	echo "Wisp $W2: 0 of 2 steps done." >expect &&
	test_cmp expect out &&
	gt sync >/dev/null &&
	git -C ../hub.git ls-tree -r --name-only refs/gastown/ledger >paths &&
	grep "beads:$D$" paths &&
	gt fsck
'

test_expect_success JQ 'a squash stopped after its digest: run again, it ends as one squash would' '
	cd a &&
	W=$(gt mol wisp patrol) &&
	gt close $W.1 >/dev/null &&
	test_expect_code 137 env GT_TEST_SQUASH_CRASH=1 gt mol squash $W &&
	gt show --json $W | jq -r .squashed >out &&
	echo true >expect && test_cmp expect out &&
	git update-ref -d refs/gastown-local/beads/$W.1 &&
	D=$(gt mol squash $W) &&
	git for-each-ref "refs/gastown-local/beads/$W*" >refs &&
	test_must_be_empty refs &&
	gt export | jq -r "select(.squashed_from == \"$W\") | .id" >digests &&
	echo $D >expect && test_cmp expect digests &&
	gt show --json $D | jq -c "[.digest.done, .digest.total]" >out &&
	echo "[1,2]" >expect && test_cmp expect out
'

test_expect_success JQ 'burn: the wisp gone without a record (no new shared ref); its bead can take another molecule' '
	cd a &&
	W=$(gt mol wisp --attach gt-task patrol) &&
	git for-each-ref --format="%(refname)" refs/gastown/ >before &&
	gt mol burn $W &&
	git for-each-ref "refs/gastown-local/beads/$W*" >refs &&
	test_must_be_empty refs &&
	git for-each-ref --format="%(refname)" refs/gastown/ >after &&
	test_cmp before after &&
	git log -1 --format=%s refs/gastown/beads/gt-task >msg &&
	test_grep "^bead.detach: gt-task" msg &&
	gt show --json gt-task | jq -r ".molecule // \"none\"" >out &&
	echo none >expect &&
	test_cmp expect out &&
	gt mol pour --attach gt-task patrol >/dev/null &&
	test_expect_code 2 gt mol burn $W 2>err &&
	test_grep "no such bead: $W" err
'

test_expect_success 'mol list names wisps and poured molecules' '
	cd a &&
	W=$(gt mol wisp patrol) &&
	gt mol list >out &&
	test_grep "^$W	wisp	0/2	patrol$" out &&
	test_grep "	poured	0/2	patrol$" out
'

test_done
