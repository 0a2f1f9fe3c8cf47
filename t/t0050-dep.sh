#!/bin/sh
test_description='gt dep add, rm, list, tree'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	for x in a b c d; do gt create --id gt-$x "Bead $x" >/dev/null || return 1; done
'

test_expect_success 'add: blocks by default; list shows the edges' '
	cd repo &&
	gt dep add gt-a gt-b &&
	gt dep add --type related gt-a gt-c &&
	gt dep list gt-a >out &&
	printf "blocks gt-b\nrelated gt-c\n" >expect &&
	test_cmp expect out &&
	gt dep list --type related gt-a >out &&
	echo "related gt-c" >expect && test_cmp expect out &&
	gt dep list --json gt-a | jq -r "[.issue_id, .depends_on_id, .type, .created_by]|@tsv" >out &&
	printf "gt-a\tgt-b\tblocks\ttester\ngt-a\tgt-c\trelated\ttester\n" >expect &&
	test_cmp expect out
'

test_expect_success 'adding the same edge twice changes nothing' '
	cd repo &&
	git rev-parse refs/gastown/beads/gt-a >before &&
	gt dep add gt-a gt-b &&
	git rev-parse refs/gastown/beads/gt-a >after &&
	test_cmp before after
'

test_expect_success 'a cycle of blocking edges is refused with the cycle named' '
	cd repo &&
	gt dep add gt-b gt-c &&
	git for-each-ref >before &&
	test_expect_code 4 gt dep add gt-c gt-a 2>err &&
	test_grep "dependency cycle: gt-c -> gt-a -> gt-b -> gt-c" err &&
	test_line_count = 1 err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'non-blocking edges may form a loop' '
	cd repo &&
	gt dep add --type related gt-c gt-a
'

test_expect_success 'parent-child edges count for cycles' '
	cd repo &&
	gt create "child" --parent gt-d >id &&
	test_expect_code 4 gt dep add gt-d "$(cat id)" 2>err &&
	test_grep "dependency cycle: gt-d -> gt-d.1 -> gt-d" err
'

test_expect_success 'tree shows what a bead depends on, recursively' '
	cd repo &&
	gt close gt-c >/dev/null &&
	gt dep tree gt-a >out &&
	cat >expect <<-\EOF &&
	gt-a [open] Bead a
	    blocks gt-b [open] Bead b
	        blocks gt-c [closed] Bead c
	            related gt-a [open] Bead a (cycle)
	    related gt-c [closed] Bead c
	        related gt-a [open] Bead a (cycle)
	EOF
	test_cmp expect out &&
	gt dep tree --max-depth 1 gt-a >out &&
	test_line_count = 3 out
'

test_expect_success 'rm removes an edge; removing a missing edge is an error' '
	cd repo &&
	gt dep rm gt-a gt-c &&
	gt dep list gt-a >out &&
	echo "blocks gt-b" >expect && test_cmp expect out &&
	test_expect_code 2 gt dep rm gt-a gt-c 2>err &&
	test_grep "gt-a has no dependency on gt-c" err &&
	test_expect_code 2 gt dep rm --type related gt-a gt-b 2>err &&
	test_grep "gt-a has no related dependency on gt-b" err
'

test_expect_success 'dep errors' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 3 gt dep add gt-a gt-a 2>err &&
	test_grep "a bead cannot depend on itself" err &&
	test_expect_code 2 gt dep add gt-a gt-zz 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 2 gt dep add gt-zz gt-a 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt dep add gt-a "../x" 2>err &&
	test_grep "invalid bead id" err &&
	test_expect_code 3 gt dep add --type "a b" gt-a gt-b 2>err &&
	test_grep "invalid dependency type" err &&
	test_expect_code 129 gt dep 2>err &&
	test_grep "which subcommand" err &&
	test_expect_code 129 gt dep frob gt-a 2>err &&
	test_grep "unknown subcommand .frob." err &&
	test_expect_code 129 gt dep add gt-a 2>err &&
	test_grep "add needs <id> and <depends-on>" err &&
	test_expect_code 129 gt dep tree --json gt-a 2>err &&
	test_grep "json goes with list" err &&
	test_expect_code 2 gt dep list gt-zz 2>err &&
	test_grep "no such bead: gt-zz" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_done
