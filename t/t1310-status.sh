#!/bin/sh
test_description='gt status: agents and their hooks, ready work, convoys, unread mail'
. ./test-lib.sh

test_expect_success 'an empty town' '
	git init -q repo && cd repo &&
	gt status >out &&
	cat >expect <<-\EOT &&
	Agents (0, 0 with work hooked):
	  none (gt agent add <actor>)

	Ready work (0):
	  none

	Open convoys (0):
	  none

	Unread mail: 0
	EOT
	test_cmp expect out &&
	gt status --json >out &&
	echo "{\"actor\":\"tester\",\"agents\":[],\"ready\":{\"count\":0,\"beads\":[]},\"convoys\":[],\"hooked\":0,\"unread\":0}" >expect &&
	test_cmp expect out
'

test_expect_success 'setup: agents, work on hooks, ready beads, mail' '
	cd repo &&
	gt agent add mayor &&
	gt agent add gastown/polecats/nux &&
	gt agent start --session s1 gastown/polecats/nux >/dev/null &&
	gt agent add gastown/crew/max &&
	gt create --id gt-a "Fix login timeout" -p 1 >/dev/null &&
	gt create --id gt-b "Second" -p 0 >/dev/null &&
	gt create --id gt-c "Third" -p 3 >/dev/null &&
	gt create --id gt-d "Blocked" >/dev/null &&
	gt dep add gt-d gt-c &&
	GT_ACTOR=mayor gt sling gt-a gastown/polecats/nux >/dev/null &&
	GT_ACTOR=mayor gt sling gt-c ann >/dev/null &&
	GT_ACTOR=gastown/polecats/nux gt handoff -s "ctx" -m "halfway" >/dev/null &&
	GT_ACTOR=gastown/polecats/nux gt mail send mayor -s "Question" -m "?" >/dev/null
'

test_expect_success 'status lists every actor with its hook and unread mail, and the ready work' '
	cd repo &&
	gt status >out &&
	test_grep "^Agents (4, 2 with work hooked):$" out &&
	test_grep "^  ann  *-  *(unregistered) gt-c \[hooked\] Third  1 unread$" out &&
	test_grep "^  gastown/crew/max  *crew  *idle  *-$" out &&
	test_grep "^  gastown/polecats/nux  *polecat  *running  *gt-a \[hooked\] Fix login timeout (handoff)  2 unread$" out &&
	test_grep "^  mayor  *mayor  *idle  *-  1 unread$" out &&
	test_grep "^Ready work (1):$" out &&
	test_grep "^  gt-b P0 Second$" out &&
	test_grep "^Unread mail: 4$" out
'

test_expect_success 'status --json: every key of every agent' '
	cd repo &&
	gt status --json >json &&
	jq -c ".agents[] | keys" json | sort -u >out &&
	echo "[\"actor\",\"bead\",\"handoff\",\"registered\",\"rig\",\"role\",\"session\",\"slung_at\",\"slung_by\",\"state\",\"status\",\"title\",\"unread\"]" >expect &&
	test_cmp expect out &&
	jq -r ".agents[] | [.actor, .registered, (.role // \"-\"), (.rig // \"-\"), (.state // \"-\"), (.session // \"-\"), (.bead // \"-\"), .unread] | join(\" \")" json >out &&
	cat >expect <<-\EOT &&
	ann false - - - - gt-c 1
	gastown/crew/max true crew gastown idle - - 0
	gastown/polecats/nux true polecat gastown running s1 gt-a 2
	mayor true mayor - idle - - 1
	EOT
	test_cmp expect out &&
	jq -c "[.ready.count, [.ready.beads[].id], .hooked, .unread]" json >out &&
	echo "[1,[\"gt-b\"],2,4]" >expect &&
	test_cmp expect out
'

test_expect_success '--ready limits the list; the rest is counted' '
	cd repo &&
	gt create --id gt-e "Fifth" >/dev/null &&
	gt create --id gt-f "Sixth" >/dev/null &&
	gt status --ready 1 >out &&
	test_grep "^Ready work (3):$" out &&
	test_grep "^  gt-b P0 Second$" out &&
	test_grep "^  ... and 2 more: gt ready$" out &&
	gt status --json --ready 0 | jq -c "[.ready.count, .ready.beads]" >out &&
	echo "[3,[]]" >expect && test_cmp expect out
'

test_expect_success 'status errors' '
	cd repo &&
	test_expect_code 129 gt status x 2>err &&
	test_grep "status takes no arguments" err &&
	test_expect_code 129 gt status --ready -1 2>err &&
	test_grep "\-\-ready takes a number of beads, 0 or more" err
'

test_done
