#!/bin/sh
test_description='gt sling, gt hook, gt unsling, gt done'
. ./test-lib.sh

nux=gastown/polecats/nux
max=gastown/crew/max
hook_nux="refs/gastown/hooks/gastown%2Fpolecats%2Fnux"
mail_nux="refs/gastown/mail/gastown%2Fpolecats%2Fnux"

# the bead's status and assignee
bead_state() { gt show --json "$1" | jq -r "[.status, (.assignee // \"-\")] | join(\" \")"; }

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	gt create --id gt-a "Fix login timeout" -d "The TTL is in seconds." >/dev/null &&
	gt create --id gt-b "Second task" >/dev/null &&
	gt create --id gt-c "Closed task" >/dev/null && gt close gt-c &&
	gt create --id gt-d "Third task" >/dev/null
'

test_expect_success 'an empty hook: gt hook exits 1; --json has every key, null' '
	cd repo &&
	test_expect_code 1 gt hook $nux >out &&
	echo "$nux: nothing on the hook" >expect &&
	test_cmp expect out &&
	test_expect_code 1 gt hook --json $nux >out &&
	echo "{\"actor\":\"$nux\",\"bead\":null,\"title\":null,\"status\":null,\"slung_by\":null,\"slung_at\":null,\"convoy\":null,\"handoff\":null}" >expect &&
	test_cmp expect out
'

test_expect_success 'sling: the bead, the hook and a mail change in one commit each, by the slinger' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-a $nux >out &&
	test_grep "^slung gt-a to $nux (mail msg-[0-9a-f]*)$" out &&
	bead_state gt-a >out &&
	echo "hooked $nux" >expect && test_cmp expect out &&
	gt hook --json $nux | jq -r "[.bead, .title, .status, .slung_by] | join(\" \")" >out &&
	echo "gt-a Fix login timeout hooked mayor" >expect && test_cmp expect out &&
	gt mail inbox --json $nux | jq -r "[.kind, .bead, .from, .subject] | join(\" \")" >out &&
	echo "sling gt-a mayor Sling: gt-a Fix login timeout" >expect && test_cmp expect out &&
	for ref in refs/gastown/beads/gt-a $hook_nux $mail_nux; do
		git log -1 --format=%an $ref || return 1
	done >out &&
	printf "mayor\nmayor\nmayor\n" >expect && test_cmp expect out &&
	git log -1 --format=%s $hook_nux >out &&
	echo "hook.sling: gastown%2Fpolecats%2Fnux" >expect && test_cmp expect out &&
	gt fsck
'

test_expect_success 'gt hook shows the work; the default actor is you' '
	cd repo &&
	GT_ACTOR=$nux gt hook >out &&
	test_grep "^$nux: gt-a \[hooked\] Fix login timeout$" out &&
	test_grep "^  slung by mayor at " out
'

test_expect_success 'sling refuses a closed bead, a bead hooked elsewhere, a full hook' '
	cd repo &&
	git for-each-ref refs/gastown/ >before &&
	test_expect_code 4 gt sling gt-c $max 2>err &&
	test_grep "bead gt-c is closed (reopen it first)" err &&
	test_expect_code 4 gt sling gt-a $max 2>err &&
	test_grep "bead gt-a is already hooked by $nux (use --force to move it)" err &&
	test_expect_code 4 gt sling gt-a $nux 2>err &&
	test_grep "bead gt-a is already on $nux'"'"'s hook" err &&
	test_expect_code 4 gt sling gt-b $nux 2>err &&
	test_grep "$nux'"'"'s hook already holds gt-a (gt unsling $nux first, or --force)" err &&
	test_expect_code 2 gt sling gt-zz $nux 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt sling gt-b "a//b" 2>err &&
	test_grep "invalid actor address '"'"'a//b'"'"'" err &&
	test_expect_code 3 gt sling "bad id" $nux 2>err &&
	test_grep "invalid bead id '"'"'bad id'"'"'" err &&
	test_expect_code 129 gt sling gt-b 2>err &&
	test_grep "give the bead and the actor" err &&
	git for-each-ref refs/gastown/ >after &&
	test_cmp before after
'

test_expect_success 'sling --force moves a bead from another hook' '
	cd repo &&
	GT_ACTOR=mayor gt sling --force -m "nux is stuck" gt-a $max &&
	bead_state gt-a >out &&
	echo "hooked $max" >expect && test_cmp expect out &&
	test_expect_code 1 gt hook $nux &&
	gt hook --json $max | jq -r .bead >out &&
	echo gt-a >expect && test_cmp expect out &&
	gt mail inbox --json $max | jq -r .body >out &&
	test_grep "^nux is stuck$" out &&
	gt fsck
'

test_expect_success 'sling --force replaces the bead on a hook; the displaced bead reopens' '
	cd repo &&
	GT_ACTOR=mayor gt sling --force gt-b $max &&
	bead_state gt-b >out &&
	echo "hooked $max" >expect && test_cmp expect out &&
	bead_state gt-a >out &&
	echo "open -" >expect && test_cmp expect out &&
	gt fsck
'

test_expect_success 'unsling takes the work back and tells the actor' '
	cd repo &&
	GT_ACTOR=mayor gt unsling $max >out &&
	echo "unslung gt-b from $max" >expect && test_cmp expect out &&
	test_expect_code 1 gt hook $max &&
	bead_state gt-b >out &&
	echo "open -" >expect && test_cmp expect out &&
	gt mail inbox --json $max | sed -n 1p | jq -r "[.kind, .subject] | join(\" \")" >out &&
	echo "unsling Unslung: gt-b Second task" >expect && test_cmp expect out &&
	test_expect_code 4 gt unsling $max 2>err &&
	test_grep "nothing on $max'"'"'s hook" err &&
	test_expect_code 129 gt unsling a b 2>err &&
	test_grep "give at most one actor address" err
'

test_expect_success 'unsling of your own hook sends no mail' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-b $max &&
	git rev-parse refs/gastown/mail/gastown%2Fcrew%2Fmax >before &&
	GT_ACTOR=$max gt unsling &&
	git rev-parse refs/gastown/mail/gastown%2Fcrew%2Fmax >after &&
	test_cmp before after
'

test_expect_success 'done (completed) closes the bead, empties the hook, mails the slinger' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-a $nux &&
	GT_ACTOR=$nux gt done --reason "TTL fixed" >out &&
	echo "gt-a: completed" >expect && test_cmp expect out &&
	gt show --json gt-a | jq -r "[.status, .close_reason, .assignee] | join(\" \")" >out &&
	echo "closed TTL fixed $nux" >expect && test_cmp expect out &&
	test_expect_code 1 gt hook $nux &&
	gt mail inbox --json mayor | jq -r "[.kind, .bead, .status, .from, .subject] | join(\" \")" >out &&
	echo "done gt-a completed $nux Done: gt-a Fix login timeout" >expect && test_cmp expect out &&
	git log -1 --format="%an %s" refs/gastown/beads/gt-a >out &&
	echo "$nux bead.done: gt-a Fix login timeout" >expect && test_cmp expect out &&
	gt fsck
'

test_expect_success 'done without a reason closes as completed' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-d $nux &&
	GT_ACTOR=$nux gt done &&
	gt show --json gt-d | jq -r "[.status, .close_reason] | join(\" \")" >out &&
	echo "closed completed" >expect && test_cmp expect out
'

test_expect_success 'done --status escalated leaves the bead open, labelled, with a comment' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-b $nux &&
	GT_ACTOR=$nux gt done --status escalated --reason "needs a schema change" >out &&
	echo "gt-b: escalated" >expect && test_cmp expect out &&
	gt show --json gt-b | jq -c "[.status, .assignee, .labels, .comments[-1].text, .comments[-1].author]" >out &&
	echo "[\"open\",null,[\"escalated\"],\"escalated by $nux: needs a schema change\",\"$nux\"]" >expect &&
	test_cmp expect out &&
	gt mail inbox --json mayor | sed -n 1p | jq -r "[.status, .subject, .body] | join(\"|\")" >out &&
	printf "escalated|Escalated: gt-b Second task|%s finished gt-b: escalated.\n\nneeds a schema change\n" $nux >expect &&
	test_cmp expect out
'

test_expect_success 'done --status deferred gives status deferred' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-b $nux &&
	GT_ACTOR=$nux gt done --status deferred &&
	gt show --json gt-b | jq -r "[.status, (.assignee // \"-\"), .comments[-1].text] | join(\" \")" >out &&
	echo "deferred - deferred by $nux" >expect && test_cmp expect out &&
	test_expect_code 1 gt hook $nux &&
	gt fsck
'

test_expect_success 'done of work you slung yourself sends no mail' '
	cd repo &&
	gt reopen gt-d &&
	GT_ACTOR=$nux gt sling gt-d $nux &&
	git rev-parse refs/gastown/mail/gastown%2Fpolecats%2Fnux >before &&
	GT_ACTOR=$nux gt done &&
	git rev-parse refs/gastown/mail/gastown%2Fpolecats%2Fnux >after &&
	test_cmp before after
'

test_expect_success 'done errors' '
	cd repo &&
	test_expect_code 4 env GT_ACTOR=$nux gt done 2>err &&
	test_grep "nothing on $nux'"'"'s hook" err &&
	test_expect_code 129 gt done --status finished 2>err &&
	test_grep "unknown status '"'"'finished'"'"': use completed, escalated or deferred" err &&
	test_expect_code 129 gt done gt-a 2>err &&
	test_grep "done takes no arguments (it finishes your own hook)" err &&
	GT_ACTOR=mayor gt sling gt-b $nux &&
	test_expect_code 3 env GT_ACTOR=$nux gt done --reason "" 2>err &&
	test_grep "the reason must be non-empty valid UTF-8" err &&
	GT_ACTOR=$nux gt hook >/dev/null
'

test_expect_success 'done when the bead was deleted meanwhile still releases the hook' '
	cd repo &&
	git update-ref refs/gastown/beads/gt-b-saved refs/gastown/beads/gt-b &&
	git update-ref -d refs/gastown/beads/gt-b &&
	GT_ACTOR=$nux gt done &&
	test_expect_code 1 gt hook $nux
'

test_done
