#!/bin/sh
test_description='gt comment'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	gt create --id gt-a "Alpha" >/dev/null
'

test_expect_success 'comments accumulate with author, time and a number' '
	cd repo &&
	gt comment gt-a "first" &&
	GT_ACTOR=mayor gt comment gt-a "second
with two lines" &&
	gt show --json gt-a | jq -c "[.comments[] | [.id, .author, .text]]" >out &&
	printf "%s\n" "[[1,\"tester\",\"first\"],[2,\"mayor\",\"second\\nwith two lines\"]]" >expect &&
	test_cmp expect out &&
	git log -1 --format=%an refs/gastown/beads/gt-a >out &&
	echo mayor >expect && test_cmp expect out
'

test_expect_success 'comment text from a file or stdin' '
	cd repo &&
	echo "from a file" >note &&
	gt comment gt-a -F note &&
	echo "from stdin" | gt comment gt-a -F - &&
	gt show --json gt-a | jq -r ".comments[2].text, .comments[3].text" >out &&
	printf "from a file\nfrom stdin\n" >expect &&
	test_cmp expect out
'

test_expect_success 'show prints the comments' '
	cd repo &&
	gt show gt-a >out &&
	test_grep "^Comments:" out &&
	test_grep "^    with two lines$" out
'

test_expect_success 'comment errors' '
	cd repo &&
	git rev-parse refs/gastown/beads/gt-a >before &&
	test_expect_code 2 gt comment gt-zz "x" 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt comment gt-a "" 2>err &&
	test_grep "empty comment" err &&
	test_expect_code 3 gt comment gt-a "$(printf "bad \377")" 2>err &&
	test_grep "a comment must be valid UTF-8" err &&
	test_expect_code 128 gt comment gt-a -F nonexistent 2>err &&
	test_grep "cannot read nonexistent" err &&
	test_expect_code 129 gt comment gt-a 2>err &&
	test_grep "give the id and the text" err &&
	test_expect_code 129 gt comment gt-a -F note extra 2>err &&
	test_grep "give the id only with -F" err &&
	git rev-parse refs/gastown/beads/gt-a >after &&
	test_cmp before after
'

test_expect_success 'a huge comment over 1 MiB is refused' '
	cd repo &&
	head -c 1100000 /dev/zero | tr "\0" x >big &&
	test_expect_code 3 gt comment gt-a -F big 2>err &&
	test_grep "at most 1048576 bytes" err
'

test_done
