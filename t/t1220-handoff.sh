#!/bin/sh
test_description='gt handoff and gt resume, from a real git worktree'
. ./test-lib.sh

nux=gastown/polecats/nux
max=gastown/crew/max

test_expect_success 'setup: a repository with an upstream, a worker in its own worktree' '
	git init -q --bare hub.git &&
	git init -q repo && cd repo &&
	git remote add origin ../hub.git &&
	echo one >file && git add file && git commit -q -m "first" &&
	git push -q origin HEAD:refs/heads/main 2>/dev/null &&
	git worktree add -q -b polecat-nux ../nux-wt &&
	printf "%s\n" out expect actual record mail body json json2 err >.git/info/exclude &&
	cd ../nux-wt &&
	git branch -q --set-upstream-to=origin/main &&
	echo two >>file && git commit -q -am "token TTL in minutes" &&
	echo three >>file && git commit -q -am "retry on 401" &&
	echo dirty >>file && echo new >untracked.txt &&
	gt create --id gt-a "Fix login timeout" -d "The TTL is in seconds." >/dev/null &&
	GT_ACTOR=mayor gt sling gt-a $nux >/dev/null &&
	GT_ACTOR=$nux gt agent add $nux 2>/dev/null || gt agent add $nux &&
	gt agent start --session claude-s1 $nux >/dev/null
'

test_expect_success 'handoff records the work, the state and the worktree; mails and hooks it' '
	cd nux-wt &&
	GT_ACTOR=$nux gt handoff -s "Context full, halfway" -m "Found the TTL bug; fix is in." \
		--state "two commits, tests not run" --done "found the TTL unit bug" \
		--blocker "staging is down" --next "run the auth tests" --next "push and open an MR" \
		--json >record &&
	jq -c "[.subject, .message, .state, .done, .blockers, .next, .from, .to, .session, .bead]" record >out &&
	echo "[\"Context full, halfway\",\"Found the TTL bug; fix is in.\",\"two commits, tests not run\",[\"found the TTL unit bug\"],[\"staging is down\"],[\"run the auth tests\",\"push and open an MR\"],\"$nux\",\"$nux\",\"claude-s1\",\"gt-a\"]" >expect &&
	test_cmp expect out &&
	jq -c ".git | [.worktree, .branch, .dirty, .changed, .untracked, .upstream, .ahead, .behind, [.unpushed[].subject]]" record >out &&
	echo "[\"$TRASH_DIRECTORY/nux-wt\",\"polecat-nux\",true,1,1,\"origin/main\",2,0,[\"retry on 401\",\"token TTL in minutes\"]]" >expect &&
	test_cmp expect out &&
	jq -r ".git.head" record >out &&
	git rev-parse HEAD >expect &&
	test_cmp expect out &&
	gt hook --json $nux | jq -c "[.bead, .handoff.subject]" >out &&
	echo "[\"gt-a\",\"Context full, halfway\"]" >expect &&
	test_cmp expect out &&
	gt mail inbox --json $nux | sed -n 1p >mail &&
	jq -r "[.kind, .subject, .handoff.git.branch, .bead] | join(\" \")" mail >out &&
	echo "handoff Context full, halfway polecat-nux gt-a" >expect &&
	test_cmp expect out &&
	jq -r .body mail >body &&
	test_grep "^State: two commits, tests not run$" body &&
	test_grep "^- run the auth tests$" body &&
	test_grep "^Worktree: .*nux-wt (branch polecat-nux, dirty, 2 unpushed vs origin/main)$" body &&
	git log -1 --format="%an %s" "refs/gastown/hooks/gastown%2Fpolecats%2Fnux" >out &&
	echo "$nux hook.handoff: gastown%2Fpolecats%2Fnux" >expect &&
	test_cmp expect out &&
	gt fsck
'

test_expect_success 'resume, in a new process, prints the hooked work and the handoff' '
	cd nux-wt &&
	GT_ACTOR=$nux gt resume >out &&
	test_grep "^Hooked: gt-a \[hooked\] Fix login timeout$" out &&
	test_grep "^    The TTL is in seconds.$" out &&
	test_grep "^Handoff from $nux at .*: Context full, halfway$" out &&
	test_grep "^Blockers:$" out &&
	test_grep "^  - staging is down$" out &&
	test_grep "^  branch polecat-nux, head [0-9a-f]\{12\}, dirty (1 changed, 1 untracked)$" out &&
	test_grep "^  upstream origin/main: 2 ahead, 0 behind$" out &&
	test_grep "^  unpushed [0-9a-f]\{12\} retry on 401$" out &&
	GT_ACTOR=$nux gt resume --json >json &&
	jq -c "[.actor, .hook.bead, .bead.title, .handoff.next]" json >out &&
	echo "[\"$nux\",\"gt-a\",\"Fix login timeout\",[\"run the auth tests\",\"push and open an MR\"]]" >expect &&
	test_cmp expect out &&
	(cd ../repo && gt resume --json $nux) >json2 &&
	test_cmp json json2
'

test_expect_success 'a later handoff replaces the hooked one; done clears it' '
	cd nux-wt &&
	GT_ACTOR=$nux gt handoff -s "Second" -m "More." >/dev/null &&
	gt hook --json $nux | jq -r .handoff.subject >out &&
	echo Second >expect && test_cmp expect out &&
	gt mail inbox $nux | grep -c "Second\|Context full" >out &&
	echo 2 >expect && test_cmp expect out &&
	GT_ACTOR=$nux gt done >/dev/null &&
	test_expect_code 1 env GT_ACTOR=$nux gt resume >out &&
	echo "$nux: nothing to resume (no work hooked, no handoff)" >expect &&
	test_cmp expect out &&
	gt hook --json $nux | jq -e ".handoff == null"
'

test_expect_success 'a handoff with nothing hooked still hooks the record' '
	cd nux-wt &&
	GT_ACTOR=$nux gt handoff -s "Notes only" -m "Nothing hooked." --json | jq -e ".bead == null" &&
	GT_ACTOR=$nux gt resume >out &&
	test_grep "^Hooked: nothing$" out &&
	test_grep "^Handoff from .*: Notes only$" out &&
	test_expect_code 1 gt hook $nux
'

test_expect_success 'handoff to another actor moves the hooked bead with the record' '
	cd nux-wt &&
	gt create --id gt-b "Second task" >/dev/null &&
	GT_ACTOR=mayor gt sling gt-b $nux >/dev/null &&
	GT_ACTOR=$nux gt handoff $max -s "Yours now" -m "I am out of context." >out &&
	echo "handed off to $max with gt-b" >expect && test_cmp expect out &&
	gt show --json gt-b | jq -r "[.status, .assignee] | join(\" \")" >out &&
	echo "hooked $max" >expect && test_cmp expect out &&
	gt hook --json $max | jq -r "[.bead, .slung_by, .handoff.subject, .handoff.from] | join(\" \")" >out &&
	echo "gt-b $nux Yours now $nux" >expect && test_cmp expect out &&
	test_expect_code 1 gt hook $nux &&
	gt hook --json $nux | jq -e ".handoff == null" &&
	gt mail inbox --json $max | jq -r "[.kind, .from] | join(\" \")" >out &&
	echo "handoff $nux" >expect && test_cmp expect out &&
	gt fsck
'

test_expect_success 'handoff refuses a recipient whose hook holds other work' '
	cd nux-wt &&
	gt create --id gt-c "Third" >/dev/null &&
	GT_ACTOR=mayor gt sling gt-c $nux >/dev/null &&
	git for-each-ref refs/gastown/ >before &&
	test_expect_code 4 env GT_ACTOR=$nux gt handoff $max -s x -m y 2>err &&
	test_grep "$max'"'"'s hook already holds gt-b (gt unsling $max first)" err &&
	git for-each-ref refs/gastown/ >after &&
	test_cmp before after
'

test_expect_success 'handoff from a bare repository records no git state' '
	git clone -q --bare repo bare.git &&
	(cd bare.git && GT_ACTOR=deacon gt handoff -s "From the server" -m "patrol notes" --json) >out &&
	jq -e ".git == null" out
'

test_expect_success 'handoff from a detached HEAD, no upstream' '
	git -C nux-wt stash -q -u &&
	git -C nux-wt checkout -q --detach HEAD~1 &&
	(cd nux-wt && GT_ACTOR=gastown/crew/ann gt handoff -s d -m d --json) >out &&
	jq -c ".git | [.branch, .upstream, .ahead, .dirty, .unpushed]" out >actual &&
	echo "[null,null,null,false,[]]" >expect &&
	test_cmp expect actual
'

test_expect_success 'handoff errors' '
	cd nux-wt &&
	test_expect_code 129 gt handoff -m x 2>err &&
	test_grep "a handoff needs -s <subject> and -m <message> or -F <file>" err &&
	test_expect_code 129 gt handoff -s x 2>err &&
	test_grep "a handoff needs -s <subject>" err &&
	test_expect_code 129 gt handoff -s x -m y -F z 2>err &&
	test_grep "\-m and -F cannot be used together" err &&
	test_expect_code 129 gt handoff a b -s x -m y 2>err &&
	test_grep "give at most one actor address" err &&
	test_expect_code 3 gt handoff -s "" -m y 2>err &&
	test_grep "the subject must be one non-empty line" err &&
	test_expect_code 3 gt handoff "a//b" -s x -m y 2>err &&
	test_grep "invalid actor address" err &&
	test_expect_code 3 gt handoff -s x -m "$(printf "\377")" 2>err &&
	test_grep "the message must be valid UTF-8" err &&
	test_expect_code 128 gt handoff -s x -F missing 2>err &&
	test_grep "cannot read missing" err &&
	test_expect_code 129 gt resume a b 2>err &&
	test_grep "give at most one actor address" err &&
	test_expect_code 129 gt hook a b 2>err &&
	test_grep "give at most one actor address" err
'

test_done
