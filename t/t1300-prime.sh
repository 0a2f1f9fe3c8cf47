#!/bin/sh
test_description='gt prime: identity, role instructions, hooked work, handoff, unread mail'
. ./test-lib.sh

nux=gastown/polecats/nux

test_expect_success 'setup: a polecat with work, a handoff and mail' '
	git init -q repo && cd repo &&
	gt agent add --runtime claude $nux &&
	gt create --id gt-a "Fix login timeout" -d "The TTL is in seconds." >/dev/null &&
	GT_ACTOR=mayor gt sling gt-a $nux >/dev/null &&
	GT_ACTOR=$nux gt handoff -s "Context full" -m "Fix written." --next "run the tests" >/dev/null &&
	GT_ACTOR=mayor gt mail send $nux -s "Hurry" -m "The release is tomorrow." >/dev/null
'

test_expect_success 'prime prints identity, instructions, hook, handoff and unread mail' '
	cd repo &&
	GT_ACTOR=$nux gt prime >out &&
	test_grep "^# gastown: you are $nux (polecat)$" out &&
	test_grep "^You are \*\*$nux\*\*, a polecat of rig \*\*gastown\*\*" out &&
	test_grep "^## Your hook$" out &&
	test_grep "^gt-a \[hooked\] Fix login timeout$" out &&
	test_grep "^The TTL is in seconds.$" out &&
	test_grep "^## Handoff from $nux at .*: Context full$" out &&
	test_grep "^- run the tests$" out &&
	test_grep "^## Unread mail (3)$" out &&
	test_grep "^- msg-[0-9a-f]* .* from mayor: Hurry$" out &&
	! grep -q "{{" out
'

test_expect_success 'prime --json holds everything' '
	cd repo &&
	GT_ACTOR=$nux gt prime --json >json &&
	jq -c "keys" json >out &&
	echo "[\"actor\",\"agent\",\"bead\",\"handoff\",\"hook\",\"instructions\",\"rig\",\"role\",\"template\",\"unread\",\"unread_count\"]" >expect &&
	test_cmp expect out &&
	jq -r "[.actor, .role, .rig, .agent.runtime, .hook.bead, .bead.description, .handoff.subject, .unread_count, .unread[0].subject] | join(\"|\")" json >out &&
	echo "$nux|polecat|gastown|claude|gt-a|The TTL is in seconds.|Context full|3|Hurry" >expect &&
	test_cmp expect out &&
	jq -r .template json >out &&
	echo "$SRC_DIR/templates/roles/polecat.md" >expect &&
	test_cmp expect out
'

test_expect_success 'prime reads only: nothing changes' '
	cd repo &&
	git for-each-ref refs/gastown/ >before &&
	GT_ACTOR=$nux gt prime >/dev/null &&
	git for-each-ref refs/gastown/ >after &&
	test_cmp before after
'

test_expect_success 'an empty hook and no mail say so; every role has a template' '
	cd repo &&
	for a in mayor deacon gastown/witness gastown/refinery gastown/crew/max; do
		GT_ACTOR=$a gt prime >out &&
		test_grep "^Nothing on your hook.$" out &&
		test_grep "^None.$" out &&
		GT_ACTOR=$a gt prime --json | jq -r .template >tpl &&
		! grep -q default.md tpl || return 1
	done &&
	GT_ACTOR=ann gt prime --json | jq -r "[.role, (.template | sub(\".*/\"; \"\")), (.rig // \"-\")] | join(\" \")" >out &&
	echo "default default.md -" >expect &&
	test_cmp expect out
'

test_expect_success '--role chooses other instructions; an unknown role falls back to default' '
	cd repo &&
	GT_ACTOR=$nux gt prime --role crew >out &&
	test_grep "^# gastown: you are $nux (crew)$" out &&
	test_grep "a crew member of rig" out &&
	GT_ACTOR=$nux gt prime --role auditor >out &&
	test_grep "^You are \*\*$nux\*\* (auditor)" out
'

test_expect_success 'templates are overridable: the repository, the environment, the config' '
	cd repo &&
	mkdir -p .git/gastown/roles &&
	echo "Local polecat rules for {{actor}} in {{rig}}." >.git/gastown/roles/polecat.md &&
	GT_ACTOR=$nux gt prime >out &&
	test_grep "^Local polecat rules for $nux in gastown.$" out &&
	mkdir -p ../tpl/roles &&
	echo "Env default for {{actor}} as {{role}}." >../tpl/roles/default.md &&
	GT_TEMPLATE_DIR=$TRASH_DIRECTORY/tpl GT_ACTOR=ann gt prime >out &&
	test_grep "^Env default for ann as default.$" out &&
	mkdir -p docs && echo "Configured: {{role}}" >docs/polecat.md &&
	gt config set roles.polecat docs/polecat.md &&
	GT_ACTOR=$nux gt prime >out &&
	test_grep "^Configured: polecat$" out &&
	GT_ACTOR=$nux gt prime --json | jq -r .template >out &&
	echo "$TRASH_DIRECTORY/repo/docs/polecat.md" >expect &&
	test_cmp expect out &&
	gt config set roles.polecat docs/missing.md &&
	test_expect_code 128 env GT_ACTOR=$nux gt prime 2>err &&
	test_grep "cannot read .*docs/missing.md (the template of polecat: roles.polecat)" err &&
	printf "bad \\377 bytes\\n" >docs/bad.md &&
	gt config set roles.polecat docs/bad.md &&
	test_expect_code 3 env GT_ACTOR=$nux gt prime 2>err &&
	test_grep "^fatal: .*docs/bad.md: a template must be UTF-8 text$" err &&
	gt config unset roles.polecat
'

test_expect_success 'more than 20 unread messages: the count and a pointer to the rest' '
	cd repo &&
	for i in $(seq 1 25); do echo "{\"to\":\"ann\",\"subject\":\"m$i\"}"; done | gt mail send --stdin >/dev/null &&
	GT_ACTOR=ann gt prime >out &&
	test_grep "^## Unread mail (25)$" out &&
	grep -c "^- msg-" out >count && echo 20 >expect && test_cmp expect count &&
	test_grep "^- ... and 5 more: gt mail inbox --unread$" out &&
	GT_ACTOR=ann gt prime --json | jq -r "[.unread_count, (.unread | length), .unread[0].subject] | join(\" \")" >out &&
	echo "25 20 m25" >expect && test_cmp expect out
'

test_expect_success 'prime errors' '
	cd repo &&
	test_expect_code 3 gt prime --role "Bad Role" 2>err &&
	test_grep "invalid role '"'"'Bad Role'"'"' (lower-case letters, digits, '"'"'-'"'"', '"'"'_'"'"')" err &&
	gt agent add --role night_shift owl &&
	GT_ACTOR=owl gt prime >out &&
	test_grep "night_shift" out &&
	test_expect_code 3 env GT_ACTOR="a//b" gt prime 2>err &&
	test_grep "the acting identity '"'"'a//b'"'"' is not a valid actor address (set GT_ACTOR)" err &&
	test_expect_code 129 gt prime mayor 2>err &&
	test_grep "prime takes no arguments" err
'

test_done
