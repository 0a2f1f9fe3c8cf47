#!/bin/sh
test_description='gt update, gt close, gt reopen'
. ./test-lib.sh

field() { gt show --json "$1" | jq -r "$2"; }

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	gt create --id gt-a "Alpha" -l one -l two >/dev/null &&
	gt create --id gt-b "Beta" >/dev/null
'

test_expect_success 'update fields' '
	cd repo &&
	gt update gt-a --title "Alpha 2" -d "desc" -t bug -p P0 -a gastown/crew/max --status in_progress &&
	gt show --json gt-a | jq -r ".title, .description, .issue_type, .priority, .assignee, .status" >out &&
	printf "Alpha 2\ndesc\nbug\n0\ngastown/crew/max\nin_progress\n" >expect &&
	test_cmp expect out
'

test_expect_success 'each update is one commit with op bead.update and a new clock' '
	cd repo &&
	git log --format=%s refs/gastown/beads/gt-a >log &&
	test_line_count = 2 log &&
	git cat-file -p refs/gastown/beads/gt-a:op.json | jq -r ".type, .clock" >out &&
	printf "bead.update\n2\n" >expect &&
	test_cmp expect out
'

test_expect_success 'an update that changes nothing writes no commit' '
	cd repo &&
	git rev-parse refs/gastown/beads/gt-a >before &&
	gt update -v gt-a --status in_progress >out &&
	echo "no change to gt-a" >expect &&
	test_cmp expect out &&
	git rev-parse refs/gastown/beads/gt-a >after &&
	test_cmp before after
'

test_expect_success 'labels: add and remove' '
	cd repo &&
	gt update gt-a --add-label three --remove-label one --add-label two &&
	field gt-a ".labels|join(\",\")" >out &&
	echo "two,three" >expect &&
	test_cmp expect out
'

test_expect_success 'any field: --set, --set-json, --unset; unknown fields are kept' '
	cd repo &&
	gt update gt-a --set notes="some notes" --set-json estimate=5 --set-json meta="{\"k\":[1,2]}" &&
	field gt-a "[.notes, .estimate, .meta.k[1]]|@csv" >out &&
	echo "\"some notes\",5,2" >expect &&
	test_cmp expect out &&
	gt update gt-a --title "Alpha 3" &&
	field gt-a ".meta.k[0]" >out && echo 1 >expect && test_cmp expect out &&
	gt update gt-a --unset notes -a "" &&
	field gt-a "has(\"notes\"), has(\"assignee\")" >out &&
	printf "false\nfalse\n" >expect &&
	test_cmp expect out
'

test_expect_success 'update errors' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 2 gt update gt-zz --title x 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt update gt-a --status frozen 2>err &&
	test_grep "invalid status .frozen." err &&
	test_expect_code 3 gt update gt-a --title "" 2>err &&
	test_grep "title must be a non-empty string" err &&
	test_expect_code 3 gt update gt-a --set id=gt-b 2>err &&
	test_grep "the id of a bead cannot change" err &&
	test_expect_code 3 gt update gt-a --set-json "x={bad" 2>err &&
	test_grep "malformed JSON in --set-json" err &&
	test_expect_code 3 gt update gt-a --set-json priority=9 2>err &&
	test_grep "priority must be an integer from 0 to 4" err &&
	test_expect_code 3 gt update gt-a --add-label "" 2>err &&
	test_grep "a label must be a non-empty line" err &&
	test_expect_code 3 gt update "../gt-a" --title x 2>err &&
	test_grep "invalid bead id" err &&
	test_expect_code 129 gt update gt-a 2>err &&
	test_grep "nothing to change" err &&
	test_expect_code 129 gt update --title x 2>err &&
	test_grep "give its id" err &&
	test_expect_code 129 gt update gt-a --set novalue 2>err &&
	test_grep "expected <field>=<value>" err &&
	test_expect_code 129 gt update gt-a -p 9 2>err &&
	test_grep "priority must be 0-4" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'changing the parent moves the parent-child dependency' '
	cd repo &&
	gt create --id gt-p1 "P1" >/dev/null && gt create --id gt-p2 "P2" >/dev/null &&
	gt update gt-a --parent gt-p1 &&
	gt dep list --type parent-child gt-a >out &&
	echo "parent-child gt-p1" >expect && test_cmp expect out &&
	gt update gt-a --parent gt-p2 &&
	gt dep list --type parent-child gt-a >out &&
	echo "parent-child gt-p2" >expect && test_cmp expect out &&
	gt update gt-a --parent "" &&
	gt dep list --type parent-child gt-a >out &&
	test_must_be_empty out &&
	field gt-a "has(\"parent\")" >out && echo false >expect && test_cmp expect out
'

test_expect_success 'parent errors: unknown, itself, a cycle; dependencies and comments via their commands' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 2 gt update gt-a --parent gt-zz 2>err &&
	test_grep "no such bead: gt-zz (parent)" err &&
	test_expect_code 3 gt update gt-a --parent gt-a 2>err &&
	test_grep "a bead cannot be its own parent" err &&
	gt dep add gt-p1 gt-a &&
	git for-each-ref >before &&
	test_expect_code 4 gt update gt-a --parent gt-p1 2>err &&
	test_grep "gt-p1 cannot be the parent of gt-a: it depends on it" err &&
	test_expect_code 3 gt update gt-a --set-json "dependencies=[]" 2>err &&
	test_grep "dependencies change with .gt dep add." err &&
	test_expect_code 3 gt update gt-a --set-json "comments=[]" 2>err &&
	test_grep "comments are added with .gt comment." err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'close sets status, closed_at and the reason' '
	cd repo &&
	GT_TEST_NOW=1767225600 gt close gt-b -r "done and dusted" >out &&
	echo "closed gt-b" >expect && test_cmp expect out &&
	gt show --json gt-b | jq -r ".status, .closed_at, .close_reason" >out &&
	printf "closed\n2026-01-01T00:00:00Z\ndone and dusted\n" >expect &&
	test_cmp expect out &&
	git cat-file -p refs/gastown/beads/gt-b:op.json | jq -r .type >out &&
	echo bead.close >expect && test_cmp expect out
'

test_expect_success 'closing a closed bead is refused; several ids go on past errors' '
	cd repo &&
	gt create --id gt-c "Gamma" >/dev/null &&
	test_expect_code 4 gt close gt-b gt-c gt-none >out 2>err &&
	echo "closed gt-c" >expect && test_cmp expect out &&
	test_grep "error: bead gt-b is already closed" err &&
	test_grep "error: no such bead: gt-none" err
'

test_expect_success 'reopen clears closed_at and close_reason' '
	cd repo &&
	gt reopen gt-b >out &&
	echo "reopened gt-b" >expect && test_cmp expect out &&
	gt show --json gt-b | jq -r ".status, has(\"closed_at\"), has(\"close_reason\")" >out &&
	printf "open\nfalse\nfalse\n" >expect &&
	test_cmp expect out &&
	test_expect_code 4 gt reopen gt-b 2>err &&
	test_grep "bead gt-b is not closed" err &&
	test_expect_code 129 gt reopen 2>err &&
	test_grep "give at least one id" err
'

test_expect_success 'update --status closed keeps closed_at coherent too' '
	cd repo &&
	gt update gt-b --status closed &&
	field gt-b "has(\"closed_at\")" >out && echo true >expect && test_cmp expect out &&
	gt update gt-b --status open &&
	field gt-b "has(\"closed_at\")" >out && echo false >expect && test_cmp expect out
'

test_expect_success 'a close reason that is not UTF-8 is refused' '
	cd repo &&
	test_expect_code 3 gt close gt-b -r "$(printf "\377")" 2>err &&
	test_grep "must be valid UTF-8" err
'

test_done
