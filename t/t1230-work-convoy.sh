#!/bin/sh
test_description='sling and done with convoys: the hook names the convoy, done closes a completed convoy, status shows progress'
. ./test-lib.sh

test_expect_success 'setup: two beads in a convoy, a third outside it' '
	test_create_repo repo && cd repo &&
	gt create --id gt-a "Fix the login" >/dev/null &&
	gt create --id gt-b "Write the notes" >/dev/null &&
	gt create --id gt-c "Loose end" >/dev/null &&
	gt convoy create --id gt-cv-1 "Login release" gt-a gt-b >/dev/null
'

test_expect_success 'sling records the bead'"'"'s convoy on the hook' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-a rig/polecats/nux >/dev/null &&
	gt hook --json rig/polecats/nux >hook &&
	test_grep "\"convoy\":\"gt-cv-1\"" hook &&
	GT_ACTOR=mayor gt sling gt-c rig/polecats/max >/dev/null &&
	gt hook --json rig/polecats/max >hook &&
	test_grep "\"convoy\":null" hook
'

test_expect_success 'status shows the open convoy and its progress' '
	cd repo &&
	gt status >out &&
	test_grep "^Open convoys (1):$" out &&
	test_grep "^  gt-cv-1 0/2 Login release$" out &&
	gt status --json >json &&
	jq -c ".convoys" json >convoys &&
	echo "[{\"id\":\"gt-cv-1\",\"title\":\"Login release\",\"status\":\"open\",\"done\":0,\"total\":2}]" >expect &&
	test_cmp expect convoys
'

test_expect_success 'done of the first bead leaves the convoy open' '
	cd repo &&
	GT_ACTOR=rig/polecats/nux gt done >out &&
	echo "gt-a: completed" >expect &&
	test_cmp expect out &&
	gt convoy status --json gt-cv-1 >st &&
	jq -r ".status, .done" st >got &&
	printf "open\n1\n" >expect &&
	test_cmp expect got
'

test_expect_success 'escalating the last bead does not complete the convoy' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-b rig/polecats/nux >/dev/null &&
	GT_ACTOR=rig/polecats/nux gt done --status escalated --reason stuck >out &&
	test_grep -v "closed convoy" out &&
	gt convoy status --json gt-cv-1 >st &&
	test "$(jq -r .status st)" = open
'

test_expect_success 'done of the last bead closes the convoy and says so' '
	cd repo &&
	GT_ACTOR=mayor gt sling gt-b rig/polecats/nux >/dev/null &&
	GT_ACTOR=rig/polecats/nux gt done >out &&
	printf "gt-b: completed\nclosed convoy gt-cv-1\n" >expect &&
	test_cmp expect out &&
	gt convoy status --json gt-cv-1 >st &&
	test "$(jq -r .status st)" = closed &&
	gt status >out &&
	test_grep "^Open convoys (0):$" out
'

test_done
