#!/bin/sh
test_description='pre-receive: commits by gastown must be the ones sync derives

Sync writes merges, renames and bead.follow commits as the actor
"gastown", derived only from their inputs, and lets an id move to an
unrelated history only when the older of two entities keeps it and the
younger goes on, renamed, at <id>-<suffix>. A hostile clone mimics that
pattern to take over an id, to copy or move another entity'"'"'s history,
or to pass its own changes off as sync'"'"'s; each push is rejected and
the bare repository is left as it was.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-receive.sh"

why_rename="(a rename by gastown derives from the history it renames alone)"

test_expect_success 'setup: a server, alice'"'"'s gt-a and gt-b, a hostile clone' '
	git config --global receive.autogc false &&
	git config --global gc.auto 0 &&
	git init -q --bare server.git &&
	(cd server.git && gt init -q --bare) &&
	git init -q alice && (
		cd alice && git remote add origin ../server.git && gt init -q &&
		GT_TEST_NOW=1700000000 gt create --id gt-a "Alpha" >/dev/null &&
		GT_TEST_NOW=1700000010 gt create --id gt-b "Beta" >/dev/null &&
		gt sync -q
	) &&
	PA=$(lpath beads/gt-a) && PB=$(lpath beads/gt-b) &&
	git init -q evil && cd evil &&
	git remote add origin ../server.git &&
	fetch_ledger &&
	SFX=$(suffix $(root $A)) && test -n "$SFX" &&
	echo "$SFX" >../sfx
'

test_expect_success 'setup: a clone whose older gt-a wins, renaming alice'"'"'s by sync' '
	git init -q mallory && (
		cd mallory && git remote add origin ../server.git && gt init -q &&
		GT_TEST_NOW=1600000000 gt create --id gt-a "Usurper" >/dev/null &&
		git fetch -q origin && gt merge >../out
	) &&
	echo "renamed gt-a -> gt-a-$(cat sfx) (another bead had the same id)" >expect &&
	grep "^renamed" out >actual &&
	test_cmp expect actual &&
	cd evil &&
	git fetch -q ../mallory "+refs/gastown/*:refs/mallory/*" &&
	git log -1 --format="%an %s" refs/mallory/beads/gt-a-$(cat ../sfx) >../log &&
	echo "gastown rename: gt-a-$(cat ../sfx) Alpha" >../expect &&
	test_cmp ../expect ../log
'

test_expect_success 'an id taken over, the old history at the derived name without the rename' '
	cd evil && SFX=$(cat ../sfx) &&
	usurper=$(git rev-parse refs/mallory/beads/gt-a) &&
	moved=$(retitle $A $((KA + 1)) 1700000100000 "Moved by hand") &&
	new=$(ledger_with $L 160000 $usurper $PA 160000 $moved $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $usurper does not descend from $A"
'

test_expect_success JQ 'an id taken over by a younger history, with the rename sync makes' '
	cd evil && SFX=$(cat ../sfx) &&
	rename=$(git rev-parse refs/mallory/beads/gt-a-$SFX) &&
	young=$(craft "" 1700000200000 "$(op bead.create 1 1700000200000 "{\"set\":\"title\",\"value\":\"Young\"}")" "{\"title\":\"Young\"}") &&
	new=$(ledger_with $L 160000 $young $PA 160000 $rename $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $young does not descend from $A, and its first commit is not older (of two entities given one id the older keeps it, the younger is renamed)"
'

test_expect_success 'a history copied under a rename while its id keeps it' '
	cd evil && SFX=$(cat ../sfx) &&
	rename=$(git rev-parse refs/mallory/beads/gt-a-$SFX) &&
	new=$(ledger_with $L 160000 $rename $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a-$SFX: commit $rename: renames $A away from '"'"'gt-a'"'"', but that history is what '"'"'gt-a'"'"' holds (a rename only parts two entities given one id)"
'

# rename_by_hand <name> <time ms>: a rename of A to name by "gastown",
# sound as a chain (clock, snapshot) but made by hand
rename_by_hand() {
	CRAFT_ACTOR=gastown CRAFT_MESSAGE="rename: $1 Alpha" craft $A $2 \
		"{\"type\":\"rename\",\"clock\":$((KA + 1)),\"time\":$2,\"actor\":\"gastown\",\"changes\":[{\"set\":\"id\",\"value\":\"$1\"},{\"add\":\"aliases\",\"value\":\"gt-a\"}]}" \
		"$(git cat-file -p $A:bead.json | jq -c ".id = \"$1\" | .aliases = [\"gt-a\"]")"
}

test_expect_success JQ 'a rename to a name of its own choosing' '
	cd evil &&
	c=$(rename_by_hand gt-a-zzzz 1700000300000) &&
	new=$(ledger_with $L 160000 $c $(lpath beads/gt-a-zzzz)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a-zzzz: commit $c: renames '"'"'gt-a'"'"' to '"'"'gt-a-zzzz'"'"', not to the name sync derives from the first commit of the history it renames ('"'"'gt-a-$(cat ../sfx)'"'"')"
'

test_expect_success JQ 'a rename by hand under the derived name, and a takeover with it' '
	cd evil && SFX=$(cat ../sfx) &&
	c=$(rename_by_hand gt-a-$SFX 1700000300000) &&
	new=$(ledger_with $L 160000 $c $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a-$SFX: commit $c: not the rename of $A that sync makes $why_rename" &&
	usurper=$(git rev-parse refs/mallory/beads/gt-a) &&
	new=$(ledger_with $L 160000 $usurper $PA 160000 $c $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $usurper does not descend from $A" \
		"refs/gastown/ledger: refs/gastown/beads/gt-a-$SFX: commit $c: not the rename of $A that sync makes $why_rename"
'

test_expect_success JQ 'a rename that names no old id' '
	cd evil &&
	c=$(CRAFT_ACTOR=gastown CRAFT_MESSAGE="rename: gt-a-$(cat ../sfx) Alpha" craft $A 1700000350000 \
		"{\"type\":\"rename\",\"clock\":$((KA + 1)),\"time\":1700000350000,\"actor\":\"gastown\",\"changes\":[{\"set\":\"id\",\"value\":\"gt-a-$(cat ../sfx)\"}]}" \
		"$(git cat-file -p $A:bead.json | jq -c ".id = \"gt-a-$(cat ../sfx)\"")") &&
	new=$(ledger_with $L 160000 $c $(lpath beads/gt-a-$(cat ../sfx))) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a-$(cat ../sfx): commit $c: a rename by gastown that names no old id and new id (sync writes them in its aliases and its message)"
'

test_expect_success JQ 'a rename with two parents' '
	cd evil && SFX=$(cat ../sfx) &&
	other=$(retitle $A $((KA + 1)) 1700000400000 "Other") &&
	c=$(CRAFT_PARENTS="-p $other" CRAFT_ACTOR=gastown CRAFT_MESSAGE="rename: gt-a-$SFX Alpha" craft $A 1700000400000 \
		"{\"type\":\"rename\",\"clock\":$((KA + 2)),\"time\":1700000400000,\"actor\":\"gastown\",\"changes\":[{\"set\":\"id\",\"value\":\"gt-a-$SFX\"},{\"add\":\"aliases\",\"value\":\"gt-a\"}]}" \
		"$(git cat-file -p $other:bead.json | jq -c ".id = \"gt-a-$SFX\" | .aliases = [\"gt-a\"]")") &&
	new=$(ledger_with $L 160000 $c $(lpath beads/gt-a-$SFX)) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a-$SFX: commit $c: a rename by gastown has one parent, not 2 (sync makes it on the history it renames)"
'

test_expect_success JQ 'a merge by gastown that is not the one its parents give' '
	cd evil &&
	c1=$(retitle $A $((KA + 1)) 1700000500000 "One") &&
	c2=$(craft $A 1700000501000 "$(op bead.update $((KA + 1)) 1700000501000 "{\"set\":\"priority\",\"value\":1}")" \
		"$(git cat-file -p $A:bead.json | jq -c ".priority = 1")") &&
	m=$(CRAFT_PARENTS="-p $c2" CRAFT_ACTOR=gastown CRAFT_MESSAGE="merge: gt-a One" craft $c1 1700000509000 \
		"{\"type\":\"merge\",\"clock\":$((KA + 2)),\"time\":1700000509000,\"actor\":\"gastown\",\"changes\":[]}" \
		"$(git cat-file -p $A:bead.json | jq -c ".title = \"One\" | .priority = 1")") &&
	new=$(ledger_with $L 160000 $m $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $m: not the merge of its parents that sync makes (a merge by gastown derives from its parents alone)"
'

test_expect_success JQ 'an ordinary change passed off as gastown'"'"'s' '
	cd evil &&
	c=$(CRAFT_ACTOR=gastown craft $B 1700000600000 \
		"{\"type\":\"bead.update\",\"clock\":$((KB + 1)),\"time\":1700000600000,\"actor\":\"gastown\",\"changes\":[{\"set\":\"title\",\"value\":\"Mine\"}]}" \
		"$(git cat-file -p $B:bead.json | jq -c ".title = \"Mine\"")") &&
	new=$(ledger_with $L 160000 $c $PB) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: commit $c: an operation '"'"'bead.update'"'"' by gastown, which makes only merges, renames and bead.follow (the actor is sync'"'"'s own: use another)"
'

test_expect_success JQ 'a bead.follow by gastown that follows no rename' '
	cd evil &&
	c=$(CRAFT_ACTOR=gastown CRAFT_MESSAGE="bead.follow: gt-b Beta" craft $B 1700000700000 \
		"{\"type\":\"bead.follow\",\"clock\":$((KB + 1)),\"time\":1700000700000,\"actor\":\"gastown\",\"changes\":[{\"set\":\"parent\",\"value\":\"gt-a-zzzz\"}]}" \
		"$(git cat-file -p $B:bead.json | jq -c ".parent = \"gt-a-zzzz\"")") &&
	new=$(ledger_with $L 160000 $c $PB) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: commit $c: not the change sync makes to follow a renamed bead (a bead.follow by gastown derives from its parent and the rename alone)"
'

test_expect_success 'entity refs pushed by themselves: no rename without the ledger' '
	cd evil && SFX=$(cat ../sfx) &&
	rename=$(git rev-parse refs/mallory/beads/gt-a-$SFX) &&
	push_rejected $rename:refs/gastown/beads/gt-a-$SFX &&
	said "refs/gastown/beads/gt-a-$SFX: commit $rename: renames '"'"'gt-a'"'"', which the ledger does not hold (the older entity keeps the id)"
'

test_expect_success 'what sync would do is accepted: an older gt-a keeps the id, alice'"'"'s lives on renamed' '
	(cd mallory && gt sync -q) &&
	git -C mallory rev-parse refs/gastown/ledger >expect &&
	git -C server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual &&
	(cd alice && gt sync -q >../out && gt show --json gt-a-$(cat ../sfx)) | jq -r "[.title, (.aliases | join(\",\"))] | @tsv" >t &&
	printf "Alpha\tgt-a\n" >expect && test_cmp expect t &&
	echo "renamed gt-a -> gt-a-$(cat sfx) (another bead had the same id)" >expect &&
	test_cmp expect out &&
	(cd alice && gt fsck)
'

test_done
