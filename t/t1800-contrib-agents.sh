#!/bin/sh
test_description='the scripted agent runtime and the tmux launcher of contrib/

A real repository, real git worktrees for the agents, and (when tmux is
installed) real tmux sessions on a private server.'
. ./test-lib.sh

AGENT=$SRC_DIR/contrib/agents/scripted-agent
TMUXER=$SRC_DIR/contrib/tmux/gt-tmux
command -v tmux >/dev/null && test_set_prereq TMUX
# a tmux server of this script's own, removed at the end
TMUX_TMPDIR=$TRASH_DIRECTORY/tmux
export TMUX_TMPDIR
mkdir -p "$TMUX_TMPDIR"
unset TMUX

test_expect_success 'setup: a town with two beads slung to two polecats in their worktrees' '
	git init -q town && cd town &&
	test_commit_file init &&
	gt init -q --prefix demo &&
	GT_ACTOR=mayor gt create --id demo-a "Fix the login" >/dev/null &&
	GT_ACTOR=mayor gt create --id demo-b "Write the notes" >/dev/null &&
	gt agent add rig/polecats/nux &&
	gt agent add rig/polecats/max &&
	GT_ACTOR=mayor gt sling demo-a rig/polecats/nux >/dev/null &&
	git worktree add -q ../nux &&
	git worktree add -q ../max
'

test_expect_success 'the agent executes its hook, commits with a trailer and is done' '
	cd nux &&
	GT_ACTOR=rig/polecats/nux "$AGENT" >out &&
	test_grep "working on demo-a: Fix the login" out &&
	test_grep "demo-a: completed" out &&
	git log -1 --format=%B >msg &&
	test_grep "^Bead: demo-a$" msg &&
	test_grep "^demo-a Fix the login$" WORKLOG &&
	gt show --json demo-a >bead &&
	test_grep "\"status\":\"closed\"" bead &&
	test_expect_code 1 gt hook rig/polecats/nux >/dev/null
'

test_expect_success 'its session was recorded and ended, and its commit is in the bead trail' '
	cd town &&
	gt agent show --json rig/polecats/nux >agent &&
	test_grep "\"state\":\"stopped\"" agent &&
	test_grep "\"session\":\"ses-" agent &&
	sess=$(sed -n "s/.*\"session\":\"\([^\"]*\)\".*/\1/p" agent) &&
	git -C ../nux log -1 --notes=gastown --format=%N >note &&
	test_grep "\"session\":\"$sess\"" note &&
	gt trail demo-a >trail &&
	test_line_count = 1 trail &&
	git -C ../nux log -1 --format=%h >head &&
	test_grep "^$(cat head)" trail
'

test_expect_success 'the slinger is told by mail' '
	cd town &&
	GT_ACTOR=mayor gt mail inbox >inbox &&
	test_grep "rig/polecats/nux: Done: demo-a" inbox
'

test_expect_success 'an empty hook: exit 1, nothing committed' '
	cd nux &&
	git rev-parse HEAD >before &&
	test_expect_code 1 env GT_ACTOR=rig/polecats/nux "$AGENT" >out &&
	git rev-parse HEAD >after &&
	test_cmp before after
'

test_expect_success 'a failing work command escalates the bead instead of closing it' '
	cd town &&
	GT_ACTOR=mayor gt sling demo-b rig/polecats/max >/dev/null &&
	cd ../max &&
	GT_AGENT_WORK="exit 3" GT_ACTOR=rig/polecats/max "$AGENT" >out &&
	test_grep "escalated demo-b" out &&
	gt show --json demo-b >bead &&
	test_grep "\"status\":\"open\"" bead &&
	test_grep "\"escalated\"" bead
'

test_expect_success 'the agent refuses to run without an identity or outside a worktree' '
	cd nux &&
	test_must_fail env -u GT_ACTOR "$AGENT" 2>err &&
	test_grep "set GT_ACTOR to the agent" err &&
	mkdir -p "$TRASH_DIRECTORY/nowhere" && cd "$TRASH_DIRECTORY/nowhere" &&
	test_expect_code 128 env GT_ACTOR=x "$AGENT" 2>err &&
	test_grep "run me in the agent.s git worktree" err &&
	test_expect_code 129 "$AGENT" --bogus 2>err &&
	test_grep "unknown option .--bogus." err
'

# wait_closed <bead>...: poll (at most ~30 s) until every bead is closed
wait_closed() {
	local i=0 b
	while test $i -lt 150; do
		for b in "$@"; do
			gt show --json "$b" | grep -q "\"status\":\"closed\"" || break
			b=
		done
		test -z "$b" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

test_expect_success TMUX 'gt-tmux runs two agents in tmux sessions until their work is done' '
	test_when_finished "tmux kill-server 2>/dev/null || :" &&
	cd town &&
	GT_ACTOR=mayor gt create --id demo-c "Tidy the config" >/dev/null &&
	GT_ACTOR=mayor gt create --id demo-d "Bump the version" >/dev/null &&
	GT_ACTOR=mayor gt sling demo-c rig/polecats/nux >/dev/null &&
	GT_ACTOR=mayor gt sling demo-d rig/polecats/max >/dev/null &&
	"$TMUXER" start rig/polecats/nux ../nux "$AGENT --loop --max 1 --interval 0.2" >s1 &&
	"$TMUXER" start rig/polecats/max ../max "$AGENT --loop --max 1 --interval 0.2; sleep 30" >s2 &&
	test_grep "^gt-rig-polecats-nux$" s1 &&
	wait_closed demo-c demo-d &&
	"$TMUXER" list >list &&
	test_grep "^gt-rig-polecats-max rig/polecats/max$" list &&
	test_grep "^demo-d Bump the version$" ../max/WORKLOG &&
	"$TMUXER" stop rig/polecats/max &&
	test_expect_code 128 "$TMUXER" stop rig/polecats/max 2>err &&
	test_grep "rig/polecats/max runs in no session" err
'

test_expect_success TMUX 'gt-tmux: the runtime comes from config; errors are one line' '
	test_when_finished "tmux kill-server 2>/dev/null || :" &&
	cd town &&
	gt agent set --runtime fake rig/polecats/nux &&
	test_expect_code 128 "$TMUXER" start rig/polecats/nux ../nux 2>err &&
	test_grep "no command for runtime .fake.: gt config set runtime.fake" err &&
	gt config set runtime.fake "sleep 30" &&
	"$TMUXER" start rig/polecats/nux ../nux >/dev/null &&
	test_expect_code 128 "$TMUXER" start rig/polecats/nux ../nux 2>err &&
	test_grep "rig/polecats/nux already runs in session gt-rig-polecats-nux" err &&
	test_expect_code 128 "$TMUXER" start rig/polecats/max ../no-such-dir 2>err &&
	test_grep "no such worktree: ../no-such-dir" err &&
	test_expect_code 129 "$TMUXER" bogus 2>err
'

test_done
