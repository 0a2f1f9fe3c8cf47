#!/bin/sh
test_description='gt agent and gt whoami: identities, roles, sessions, tombstones'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo
'

test_expect_success 'add agents of every role; the role and rig come from the address' '
	cd repo &&
	GT_ACTOR=mayor gt agent add mayor &&
	gt agent add deacon &&
	gt agent add gastown/witness &&
	gt agent add gastown/refinery &&
	gt agent add --runtime claude gastown/polecats/nux &&
	gt agent add gastown/crew/max &&
	gt agent add --role overseer overseer &&
	gt agent list --json | jq -r "[.actor, .role, (.rig // \"-\"), (.runtime // \"-\"), .state] | join(\" \")" >out &&
	cat >expect <<-\EOT &&
	deacon deacon - - idle
	gastown/crew/max crew gastown - idle
	gastown/polecats/nux polecat gastown claude idle
	gastown/refinery refinery gastown - idle
	gastown/witness witness gastown - idle
	mayor mayor - - idle
	overseer overseer - - idle
	EOT
	test_cmp expect out
'

test_expect_success 'each agent is an entity under refs/gastown/agents/ with the actor as author' '
	cd repo &&
	git rev-parse --verify -q "refs/gastown/agents/gastown%2Fpolecats%2Fnux" &&
	git log -1 --format="%an %s" refs/gastown/agents/mayor >out &&
	echo "mayor agent.add: mayor" >expect &&
	test_cmp expect out &&
	git log -1 --format=%an "refs/gastown/agents/gastown%2Fwitness" >out &&
	echo tester >expect &&
	test_cmp expect out &&
	gt fsck
'

test_expect_success 'list filters by role and rig' '
	cd repo &&
	gt agent list --rig gastown --role polecat >out &&
	test_line_count = 1 out &&
	test_grep "^gastown/polecats/nux " out &&
	gt agent list --role mayor --json | jq -r .actor >out &&
	echo mayor >expect &&
	test_cmp expect out
'

test_expect_success 'show prints the record; --json has every key' '
	cd repo &&
	gt agent show gastown/polecats/nux >out &&
	test_grep "^role:    polecat$" out &&
	test_grep "^runtime: claude$" out &&
	test_grep "^session: -$" out &&
	gt agent show --json mayor | jq -c "keys" >out &&
	echo "[\"actor\",\"created_at\",\"rig\",\"role\",\"runtime\",\"session\",\"session_started_at\",\"state\",\"updated_at\"]" >expect &&
	test_cmp expect out &&
	gt agent show --json mayor | jq -c "[.rig, .session]" >out &&
	echo "[null,null]" >expect &&
	test_cmp expect out
'

test_expect_success 'start records a new session each time; the identity stays' '
	cd repo &&
	gt agent start gastown/polecats/nux >s1 &&
	gt agent start gastown/polecats/nux >s2 &&
	test_grep "^claude-" s1 &&
	! test_cmp s1 s2 &&
	gt agent start --session tmux:nux@42 gastown/polecats/nux >s3 &&
	echo tmux:nux@42 >expect &&
	test_cmp expect s3 &&
	gt agent show --json gastown/polecats/nux | jq -r "[.actor, .state, .session] | join(\" \")" >out &&
	echo "gastown/polecats/nux running tmux:nux@42" >expect &&
	test_cmp expect out &&
	git cat-file blob "refs/gastown/agents/gastown%2Fpolecats%2Fnux:agent.json" |
		jq -r ".sessions | map(.id) | length" >out &&
	echo 3 >expect &&
	test_cmp expect out
'

test_expect_success 'stop and set change the state and runtime' '
	cd repo &&
	gt agent stop gastown/polecats/nux &&
	gt agent show --json gastown/polecats/nux | jq -r .state >out &&
	echo stopped >expect && test_cmp expect out &&
	gt agent set --state stuck --runtime codex gastown/crew/max &&
	gt agent show --json gastown/crew/max | jq -r "[.state, .runtime] | join(\" \")" >out &&
	echo "stuck codex" >expect && test_cmp expect out &&
	git rev-parse "refs/gastown/agents/gastown%2Fcrew%2Fmax" >before &&
	gt agent set --state stuck gastown/crew/max &&
	git rev-parse "refs/gastown/agents/gastown%2Fcrew%2Fmax" >after &&
	test_cmp before after
'

test_expect_success 'rm is a tombstone; add revives the address' '
	cd repo &&
	gt agent rm gastown/crew/max &&
	test_expect_code 2 gt agent show gastown/crew/max 2>err &&
	test_grep "no such agent: gastown/crew/max" err &&
	! gt agent list | grep -q crew/max &&
	git cat-file blob "refs/gastown/agents/gastown%2Fcrew%2Fmax:agent.json" | jq -e .tombstone &&
	gt agent add gastown/crew/max &&
	gt agent show --json gastown/crew/max | jq -r "[.state, (.runtime // \"-\")] | join(\" \")" >out &&
	echo "idle -" >expect && test_cmp expect out &&
	git log --format=%s "refs/gastown/agents/gastown%2Fcrew%2Fmax" >out &&
	test_grep "^agent.rm: " out &&
	gt fsck
'

test_expect_success 'agent errors' '
	cd repo &&
	test_expect_code 4 gt agent add mayor 2>err &&
	test_grep "agent mayor is already registered" err &&
	test_expect_code 3 gt agent add bob 2>err &&
	test_grep "'"'"'bob'"'"' implies no role: give --role" err &&
	test_expect_code 3 gt agent add --role crew gastown/witness 2>err &&
	test_grep "'"'"'gastown/witness'"'"' is a witness address, not a crew" err &&
	test_expect_code 3 gt agent add --role "Bad Role" bob 2>err &&
	test_grep "invalid role '"'"'Bad Role'"'"'" err &&
	test_expect_code 3 gt agent add --runtime "X" gastown/crew/ann 2>err &&
	test_grep "invalid runtime '"'"'X'"'"'" err &&
	test_expect_code 3 gt agent add "gastown//x" 2>err &&
	test_grep "invalid actor address '"'"'gastown//x'"'"'" err &&
	test_expect_code 2 gt agent show nobody 2>err &&
	test_grep "no such agent: nobody" err &&
	test_expect_code 2 gt agent rm nobody 2>err &&
	test_grep "no such agent: nobody" err &&
	test_expect_code 2 gt agent start nobody 2>err &&
	test_grep "no such agent: nobody" err &&
	test_expect_code 3 gt agent start --session "a b" mayor 2>err &&
	test_grep "invalid session id '"'"'a b'"'"'" err &&
	test_expect_code 3 gt agent set --state sleeping mayor 2>err &&
	test_grep "invalid state '"'"'sleeping'"'"' (idle, running, stuck, stopped or dead)" err &&
	test_expect_code 129 gt agent 2>err &&
	test_grep "which subcommand" err &&
	test_expect_code 129 gt agent frob x 2>err &&
	test_grep "unknown subcommand '"'"'frob'"'"'" err &&
	test_expect_code 129 gt agent show 2>err &&
	test_grep "show takes one actor address" err &&
	test_expect_code 129 gt agent list x 2>err &&
	test_grep "list takes no arguments" err &&
	test_expect_code 129 gt agent rm --session x mayor 2>err &&
	test_grep "does not apply to '"'"'rm'"'"'" err &&
	test_expect_code 129 gt agent set mayor 2>err &&
	test_grep "set needs --state or --runtime" err
'

test_expect_success 'whoami: GT_ACTOR, then config, with the agent record' '
	cd repo &&
	GT_ACTOR=gastown/polecats/nux gt whoami >out &&
	test_grep "^gastown/polecats/nux$" out &&
	test_grep "^from:    env:GT_ACTOR$" out &&
	test_grep "^role:    polecat$" out &&
	GT_ACTOR=gastown/polecats/nux gt whoami --json | jq -r "[.actor, .origin, .agent.role] | join(\" \")" >out &&
	echo "gastown/polecats/nux env:GT_ACTOR polecat" >expect &&
	test_cmp expect out &&
	test_when_finished "gt config unset user.actor" &&
	gt config set user.actor mayor &&
	(unset GT_ACTOR && gt whoami --json) | jq -r "[.actor, .agent.role] | join(\" \")" >out &&
	echo "mayor mayor" >expect &&
	test_cmp expect out &&
	(unset GT_ACTOR && gt whoami) >out &&
	test_grep "^from:    file:.*gastown/config$" out &&
	GT_ACTOR=stranger gt whoami >out &&
	test_grep "not registered (gt agent add stranger)" out &&
	GT_ACTOR=stranger gt whoami --json | jq -e ".agent == null" &&
	test_expect_code 129 gt whoami extra 2>err &&
	test_grep "whoami takes no arguments" err
'

test_done
