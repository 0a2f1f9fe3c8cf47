#!/bin/sh
test_description='gt convoy status, stuck beads, closing by itself, other rigs, two clones'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo && cd repo && gt init -q &&
	for b in a b c; do gt create --id gt-$b "Bead $b" >/dev/null || return 1; done &&
	gt convoy create --id gt-cv-r "Release" gt-a gt-b gt-c >/dev/null
'

test_expect_success 'a convoy of three beads closes when the third closes, not before' '
	cd repo &&
	gt close gt-a >out &&
	echo "closed gt-a" >expect && test_cmp expect out &&
	test "$(git cat-file -p refs/gastown/convoys/gt-cv-r:convoy.json | jq -r .status)" = open &&
	gt close gt-b >out &&
	echo "closed gt-b" >expect && test_cmp expect out &&
	test "$(git cat-file -p refs/gastown/convoys/gt-cv-r:convoy.json | jq -r .status)" = open &&
	gt convoy status gt-cv-r >out &&
	test_grep "^progress: 2/3 closed$" out &&
	GT_ACTOR=polecat gt close gt-c >out &&
	printf "closed gt-c\nclosed convoy gt-cv-r\n" >expect && test_cmp expect out &&
	git cat-file -p refs/gastown/convoys/gt-cv-r:convoy.json |
		jq -c "[.status, .close_reason]" >out &&
	echo "[\"closed\",\"all beads closed\"]" >expect && test_cmp expect out &&
	git log -1 --format="%an %s" refs/gastown/convoys/gt-cv-r >out &&
	echo "polecat convoy.close: gt-cv-r Release" >expect && test_cmp expect out &&
	gt convoy status gt-cv-r >out &&
	test_grep "^gt-cv-r: Release (closed)$" out &&
	test_grep "^progress: 3/3 closed$" out &&
	test_grep "^closed: all beads closed$" out
'

test_expect_success 'reopening a bead leaves the convoy closed; reopening the convoy arms it again' '
	cd repo &&
	gt reopen gt-b >/dev/null &&
	test "$(git cat-file -p refs/gastown/convoys/gt-cv-r:convoy.json | jq -r .status)" = closed &&
	gt convoy status --json gt-cv-r | jq -c "[.status, .done, .total, .complete]" >out &&
	echo "[\"closed\",2,3,false]" >expect && test_cmp expect out &&
	gt convoy reopen gt-cv-r >/dev/null &&
	gt close gt-b >out &&
	printf "closed gt-b\nclosed convoy gt-cv-r\n" >expect && test_cmp expect out
'

test_expect_success 'closing a bead of no convoy, or of an empty convoy, closes no convoy' '
	cd repo &&
	gt create --id gt-lone "Lone" >/dev/null &&
	gt convoy create --id gt-cv-empty "Empty" >/dev/null &&
	gt close gt-lone >out &&
	echo "closed gt-lone" >expect && test_cmp expect out &&
	test "$(git cat-file -p refs/gastown/convoys/gt-cv-empty:convoy.json | jq -r .status)" = open
'

test_expect_success 'a bead in two convoys closes both when it completes both' '
	cd repo &&
	gt create --id gt-x "X" >/dev/null && gt create --id gt-y "Y" >/dev/null &&
	gt convoy create --id gt-cv-p "P" gt-x >/dev/null &&
	gt convoy create --id gt-cv-q "Q" gt-x gt-y >/dev/null &&
	gt close gt-x >out &&
	printf "closed gt-x\nclosed convoy gt-cv-p\n" >expect && test_cmp expect out &&
	gt close gt-y >out &&
	printf "closed gt-y\nclosed convoy gt-cv-q\n" >expect && test_cmp expect out
'

test_expect_success 'status: counts by status, stuck beads and why' '
	git init -q st && cd st && gt init -q &&
	export GT_TEST_NOW=1800000000 &&
	gt create --id gt-open "Open" >/dev/null &&
	gt create --id gt-blk "Blocked status" >/dev/null && gt update gt-blk -s blocked &&
	gt create --id gt-dep "Blocked by a dependency" --deps gt-open >/dev/null &&
	gt create --id gt-hk "Hooked" -a gastown/polecats/nux >/dev/null &&
	gt update gt-hk -s hooked &&
	gt create --id gt-ip "In progress" >/dev/null && gt update gt-ip -s in_progress &&
	gt create --id gt-done "Done" >/dev/null && gt close gt-done >/dev/null &&
	gt convoy create --id gt-cv-s "Stuck" gt-open gt-blk gt-dep gt-hk gt-ip gt-done \
		external:other:ot-1 >/dev/null &&
	GT_TEST_NOW=1800000600 gt convoy status --json gt-cv-s >out &&
	jq -c "[.done, .total, .complete, .counts, .stuck]" out >got &&
	echo "[1,7,false,{\"open\":2,\"blocked\":1,\"hooked\":1,\"in_progress\":1,\"closed\":1,\"unknown\":1},[\"gt-blk\",\"gt-dep\"]]" >expect &&
	test_cmp expect got &&
	jq -c ".beads[] | [.id, .rig, .status, .stuck]" out >got &&
	cat >expect <<-\EOF &&
	["gt-open",null,"open",null]
	["gt-blk",null,"blocked","blocked"]
	["gt-dep",null,"open","blocked"]
	["gt-hk",null,"hooked",null]
	["gt-ip",null,"in_progress",null]
	["gt-done",null,"closed",null]
	["external:other:ot-1","other","unknown",null]
	EOF
	test_cmp expect got &&
	jq -c "keys_unsorted" out >got &&
	echo "[\"id\",\"title\",\"status\",\"done\",\"total\",\"complete\",\"counts\",\"beads\",\"stuck\",\"created_at\",\"updated_at\",\"closed_at\",\"close_reason\"]" >expect &&
	test_cmp expect got &&
	jq -c ".beads[0] | keys_unsorted" out >got &&
	echo "[\"id\",\"rig\",\"status\",\"title\",\"assignee\",\"updated_at\",\"stuck\"]" >expect &&
	test_cmp expect got
'

test_expect_success 'status: hooked and in_progress beads idle too long are stale' '
	cd st &&
	export GT_TEST_NOW=1800003600 &&
	gt convoy status --json gt-cv-s | jq -c .stuck >got &&
	echo "[\"gt-blk\",\"gt-dep\",\"gt-hk\",\"gt-ip\"]" >expect && test_cmp expect got &&
	gt convoy status --json --stuck-after 7200 gt-cv-s | jq -c .stuck >got &&
	echo "[\"gt-blk\",\"gt-dep\"]" >expect && test_cmp expect got &&
	gt config set convoy.stuckSeconds 60 &&
	GT_TEST_NOW=1800000100 gt convoy status --json gt-cv-s | jq -c .stuck >got &&
	echo "[\"gt-blk\",\"gt-dep\",\"gt-hk\",\"gt-ip\"]" >expect && test_cmp expect got &&
	gt update gt-hk -d "still on it" &&
	GT_TEST_NOW=1800003650 gt convoy status --json gt-cv-s | jq -c .stuck >got &&
	echo "[\"gt-blk\",\"gt-dep\",\"gt-ip\"]" >expect && test_cmp expect got &&
	gt config set convoy.stuckSeconds soon &&
	test_expect_code 3 gt convoy status gt-cv-s 2>err &&
	test_grep "convoy.stuckseconds\|convoy.stuckSeconds" err &&
	gt config unset convoy.stuckSeconds
'

test_expect_success 'status for people names the stuck beads' '
	cd st &&
	GT_TEST_NOW=1800009000 gt convoy status gt-cv-s >out &&
	test_grep "^gt-cv-s: Stuck (open)$" out &&
	test_grep "^progress: 1/7 closed$" out &&
	test_grep "^by status: open 2 blocked 1 hooked 1 in_progress 1 closed 1 unknown 1$" out &&
	test_grep "^  gt-hk  *hooked  *Hooked @gastown/polecats/nux  STUCK: stale$" out &&
	test_grep "^  gt-dep  *open  *Blocked by a dependency  STUCK: blocked$" out
'

test_expect_success 'status of a missing bead; errors' '
	cd st &&
	gt convoy create --id gt-cv-m "Missing" gt-open >/dev/null &&
	git update-ref -d refs/gastown/beads/gt-open &&
	gt convoy status --json gt-cv-m | jq -c "[.counts, .stuck, .beads[0].title]" >got &&
	echo "[{\"missing\":1},[\"gt-open\"],null]" >expect && test_cmp expect got &&
	test_expect_code 2 gt convoy status gt-cv-nope 2>err &&
	test_grep "no such convoy: gt-cv-nope" err &&
	test_expect_code 3 gt convoy status "bad id" 2>err &&
	test_grep "invalid convoy id .bad id." err
'

test_expect_success 'beads of another rig: read through rigs.<project>' '
	git init -q other && (cd other && gt init -q --prefix ot &&
		gt create --id ot-1 "Other rig" >/dev/null) &&
	git init -q main && cd main && gt init -q &&
	gt create --id gt-1 "Here" >/dev/null &&
	gt convoy create --id gt-cv-x "Cross" gt-1 external:other:ot-1 >/dev/null &&
	gt close gt-1 >out &&
	echo "closed gt-1" >expect && test_cmp expect out &&
	gt convoy status --json gt-cv-x | jq -c ".beads[1] | [.rig, .status]" >got &&
	echo "[\"other\",\"unknown\"]" >expect && test_cmp expect got &&
	gt config set rigs.other ../other &&
	gt convoy status --json gt-cv-x | jq -c ".beads[1] | [.rig, .status, .title]" >got &&
	echo "[\"other\",\"open\",\"Other rig\"]" >expect && test_cmp expect got &&
	(cd ../other && gt close ot-1 >/dev/null) &&
	test "$(gt convoy list --json | jq -r "select(.id == \"gt-cv-x\") | .done")" = 2 &&
	gt convoy check >out &&
	echo "closed gt-cv-x" >expect && test_cmp expect out &&
	gt convoy check >out &&
	test_must_be_empty out
'

test_expect_success 'check closes convoys completed without gt close (gt update)' '
	cd repo &&
	gt create --id gt-u "U" >/dev/null &&
	gt convoy create --id gt-cv-u "U" gt-u >/dev/null &&
	gt update gt-u -s closed &&
	test "$(git cat-file -p refs/gastown/convoys/gt-cv-u:convoy.json | jq -r .status)" = open &&
	gt convoy status gt-cv-u >out &&
	test_grep "^progress: 1/1 closed (complete)$" out &&
	gt convoy check >out &&
	echo "closed gt-cv-u" >expect && test_cmp expect out
'

test_expect_success 'beads closed at the same moment: the convoy closes, exactly once' '
	git init -q race && cd race && gt init -q &&
	for i in 1 2 3 4 5 6; do gt create --id gt-r$i "R$i" >/dev/null || return 1; done &&
	gt convoy create --id gt-cv-race "Race" gt-r1 gt-r2 gt-r3 gt-r4 gt-r5 gt-r6 >/dev/null &&
	for i in 1 2 3 4 5 6; do
		gt close gt-r$i >out.$i & :
	done &&
	wait &&
	cat out.* | grep "^closed convoy" >closes &&
	echo "closed convoy gt-cv-race" >expect && test_cmp expect closes &&
	git log --format=%s refs/gastown/convoys/gt-cv-race >log &&
	test "$(grep -c "^convoy.close:" log)" = 1 &&
	gt fsck >/dev/null
'

test_expect_success 'concurrent adds to one convoy: every bead is kept' '
	cd race &&
	for i in 1 2 3 4 5 6; do gt create --id gt-p$i "P$i" >/dev/null || return 1; done &&
	gt convoy create --id gt-cv-par "Parallel" >/dev/null &&
	for i in 1 2 3 4 5 6; do
		gt convoy add gt-cv-par gt-p$i & :
	done &&
	wait &&
	git cat-file -p refs/gastown/convoys/gt-cv-par:convoy.json | jq -c ".beads | sort" >got &&
	echo "[\"gt-p1\",\"gt-p2\",\"gt-p3\",\"gt-p4\",\"gt-p5\",\"gt-p6\"]" >expect &&
	test_cmp expect got
'

test_expect_success 'the membership cache follows refs moved by plain git; damage is rebuilt' '
	git init -q cache && cd cache && gt init -q &&
	gt create --id gt-1 "One" >/dev/null && gt create --id gt-2 "Two" >/dev/null &&
	gt create --id gt-3 "Three" >/dev/null &&
	gt convoy create --id gt-cv-c "Cached" gt-1 >/dev/null &&
	before=$(git rev-parse refs/gastown/convoys/gt-cv-c) &&
	gt convoy add gt-cv-c gt-2 &&
	gt close gt-3 >/dev/null &&
	test_grep "^[0-9a-f]* gt-cv-c o gt-1 gt-2$" .git/gastown/convoys.idx &&
	git update-ref refs/gastown/convoys/gt-cv-c $before &&
	gt close gt-1 >out &&
	printf "closed gt-1\nclosed convoy gt-cv-c\n" >expect && test_cmp expect out &&
	gt convoy check >out && test_must_be_empty out &&
	test_grep "^$(git rev-parse refs/gastown/convoys/gt-cv-c) gt-cv-c c gt-1$" .git/gastown/convoys.idx &&
	gt convoy create --id gt-cv-d "Damaged" gt-2 >/dev/null &&
	echo "garbage" >.git/gastown/convoys.idx &&
	gt close gt-2 >out &&
	printf "closed gt-2\nclosed convoy gt-cv-d\n" >expect && test_cmp expect out &&
	head -n 1 .git/gastown/convoys.idx >got &&
	echo "gastown-convoys 1" >expect && test_cmp expect got &&
	rm .git/gastown/convoys.idx &&
	gt convoy check >out &&
	test_must_be_empty out
'

test_expect_success 'membership edited on two clones merges as a union' '
	git init -q --bare hub.git &&
	git init -q c1 && git -C c1 remote add origin ../hub.git &&
	(cd c1 && gt init -q && gt create --id gt-1 "One" >/dev/null &&
	 gt create --id gt-2 "Two" >/dev/null && gt create --id gt-3 "Three" >/dev/null &&
	 gt convoy create --id gt-cv-m "Merge" gt-1 gt-2 >/dev/null && gt sync >/dev/null) &&
	git init -q c2 && git -C c2 remote add origin ../hub.git &&
	(cd c2 && gt init -q && gt sync >/dev/null) &&
	(cd c1 && gt convoy add gt-cv-m gt-3 && gt sync >/dev/null) &&
	(cd c2 && gt convoy remove gt-cv-m gt-1 && gt sync >/dev/null) &&
	(cd c1 && gt sync >/dev/null) &&
	for c in c1 c2; do
		git -C $c cat-file -p refs/gastown/convoys/gt-cv-m:convoy.json | jq -c .beads >$c.beads ||
		return 1
	done &&
	echo "[\"gt-2\",\"gt-3\"]" >expect &&
	test_cmp expect c1.beads && test_cmp expect c2.beads &&
	test "$(git -C c1 rev-parse refs/gastown/convoys/gt-cv-m)" = \
		"$(git -C c2 rev-parse refs/gastown/convoys/gt-cv-m)" &&
	(cd c1 && gt fsck >/dev/null)
'

test_done
