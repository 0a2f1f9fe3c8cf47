#!/bin/sh
test_description='gt convoy: create, add, remove, list, status, close, reopen'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo && cd repo && gt init -q &&
	for b in a b c d; do gt create --id gt-$b "Bead $b" >/dev/null || return 1; done
'

test_expect_success 'create prints a hash id <prefix>-cv-<base36>' '
	cd repo &&
	GT_ACTOR=mayor gt convoy create "Release 1.2" gt-a gt-b >id &&
	test_line_count = 1 id &&
	grep -E "^gt-cv-[0-9a-z]{4,12}$" id &&
	cv=$(cat id) &&
	git cat-file -p refs/gastown/convoys/$cv:convoy.json |
		jq -c "[.id, .title, .status, .beads, .created_by]" >out &&
	echo "[\"$cv\",\"Release 1.2\",\"open\",[\"gt-a\",\"gt-b\"],\"mayor\"]" >expect &&
	test_cmp expect out &&
	git log --format="%an %s" refs/gastown/convoys/$cv >out &&
	echo "mayor convoy.create: $cv Release 1.2" >expect &&
	test_cmp expect out
'

test_expect_success 'create with --id, with no beads, with repeats' '
	cd repo &&
	gt convoy create --id gt-cv-empty "Nothing yet" >out &&
	echo gt-cv-empty >expect && test_cmp expect out &&
	gt convoy create --id gt-cv-rep "Repeats" gt-a gt-a gt-b gt-a >/dev/null &&
	git cat-file -p refs/gastown/convoys/gt-cv-rep:convoy.json | jq -c .beads >out &&
	echo "[\"gt-a\",\"gt-b\"]" >expect && test_cmp expect out
'

test_expect_success 'create errors write nothing' '
	cd repo &&
	git for-each-ref refs/gastown/convoys/ >before &&
	test_expect_code 4 gt convoy create --id gt-cv-empty "Again" 2>err &&
	test_grep "convoy gt-cv-empty already exists" err &&
	test_expect_code 2 gt convoy create "X" gt-a gt-zz 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt convoy create "X" "external:bad" 2>err &&
	test_grep "invalid bead .external:bad. (a bead id, or external:<project>:<id>" err &&
	test_expect_code 3 gt convoy create "" 2>err &&
	test_grep "title must be a non-empty string" err &&
	test_expect_code 3 gt convoy create "two
lines" 2>err &&
	test_grep "title must be one line" err &&
	test_expect_code 3 gt convoy create --id "bad id" "X" 2>err &&
	test_grep "invalid convoy id .bad id." err &&
	test_expect_code 129 gt convoy create 2>err &&
	test_grep "create needs a <name>" err &&
	git for-each-ref refs/gastown/convoys/ >after &&
	test_cmp before after
'

test_expect_success 'add and remove are set operations' '
	cd repo &&
	gt convoy create --id gt-cv-1 "One" gt-a >/dev/null &&
	gt convoy add gt-cv-1 gt-b gt-c gt-b &&
	git cat-file -p refs/gastown/convoys/gt-cv-1:convoy.json | jq -c .beads >out &&
	echo "[\"gt-a\",\"gt-b\",\"gt-c\"]" >expect && test_cmp expect out &&
	git rev-parse refs/gastown/convoys/gt-cv-1 >before &&
	gt convoy add gt-cv-1 gt-a gt-c &&
	git rev-parse refs/gastown/convoys/gt-cv-1 >after &&
	test_cmp before after &&
	gt convoy remove gt-cv-1 gt-a &&
	gt convoy rm gt-cv-1 gt-c &&
	git cat-file -p refs/gastown/convoys/gt-cv-1:convoy.json | jq -c .beads >out &&
	echo "[\"gt-b\"]" >expect && test_cmp expect out &&
	git cat-file -p refs/gastown/convoys/gt-cv-1:op.json | jq -c .changes[0] >out &&
	echo "{\"remove\":\"beads\",\"match\":\"gt-c\"}" >expect && test_cmp expect out &&
	git log --format=%s refs/gastown/convoys/gt-cv-1 >out &&
	test_line_count = 4 out
'

test_expect_success 'add and remove errors change nothing' '
	cd repo &&
	git rev-parse refs/gastown/convoys/gt-cv-1 >before &&
	test_expect_code 2 gt convoy add gt-cv-nope gt-a 2>err &&
	test_grep "no such convoy: gt-cv-nope" err &&
	test_expect_code 2 gt convoy add gt-cv-1 gt-a gt-zz 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 2 gt convoy remove gt-cv-1 gt-b gt-d 2>err &&
	test_grep "convoy gt-cv-1 does not track gt-d" err &&
	test_expect_code 2 gt convoy remove gt-cv-nope gt-a 2>err &&
	test_grep "no such convoy: gt-cv-nope" err &&
	test_expect_code 129 gt convoy add gt-cv-1 2>err &&
	test_grep "add needs <convoy> and at least one <bead>" err &&
	test_expect_code 129 gt convoy remove gt-cv-1 2>err &&
	test_grep "remove needs <convoy> and at least one <bead>" err &&
	git rev-parse refs/gastown/convoys/gt-cv-1 >after &&
	test_cmp before after
'

test_expect_success 'close and reopen by hand' '
	cd repo &&
	gt convoy create --id gt-cv-2 "Two" gt-d >/dev/null &&
	gt convoy close -r "dropped" gt-cv-2 >out &&
	echo "closed gt-cv-2" >expect && test_cmp expect out &&
	git cat-file -p refs/gastown/convoys/gt-cv-2:convoy.json |
		jq -c "[.status, .close_reason, (.closed_at != null)]" >out &&
	echo "[\"closed\",\"dropped\",true]" >expect && test_cmp expect out &&
	test_expect_code 4 gt convoy close gt-cv-2 2>err &&
	test_grep "convoy gt-cv-2 is already closed" err &&
	test_expect_code 4 gt convoy add gt-cv-2 gt-a 2>err &&
	test_grep "convoy gt-cv-2 is closed: reopen it first (.gt convoy reopen gt-cv-2.)" err &&
	gt convoy reopen gt-cv-2 >out &&
	echo "reopened gt-cv-2" >expect && test_cmp expect out &&
	git cat-file -p refs/gastown/convoys/gt-cv-2:convoy.json |
		jq -c "[.status, .close_reason, .closed_at]" >out &&
	echo "[\"open\",null,null]" >expect && test_cmp expect out &&
	test_expect_code 4 gt convoy reopen gt-cv-2 2>err &&
	test_grep "convoy gt-cv-2 is not closed" err
'

test_expect_success 'close goes on past a convoy that fails, exits with the worst code' '
	cd repo &&
	test_expect_code 2 gt convoy close gt-cv-nope gt-cv-2 >out 2>err &&
	echo "closed gt-cv-2" >expect && test_cmp expect out &&
	test_grep "error: no such convoy: gt-cv-nope" err &&
	gt convoy reopen gt-cv-2 >/dev/null
'

test_expect_success 'list: open convoys by id, --all adds closed ones' '
	cd repo &&
	gt convoy close gt-cv-rep >/dev/null &&
	gt convoy list >out &&
	grep -v "^$(cat id) " out >named &&
	cat >expect <<-\EOF &&
	gt-cv-1 open 0/1 One
	gt-cv-2 open 0/1 Two
	gt-cv-empty open 0/0 Nothing yet
	EOF
	test_cmp expect named &&
	test_line_count = 4 out &&
	gt convoy list --all >out &&
	test_line_count = 5 out &&
	test_grep "^gt-cv-rep closed 0/2 Repeats$" out
'

test_expect_success 'list --json: every key, always; --format; -z' '
	cd repo &&
	gt convoy list --all --json >out &&
	test_line_count = 5 out &&
	jq -c "keys_unsorted" out | sort -u >keys &&
	echo "[\"id\",\"title\",\"status\",\"done\",\"total\",\"beads\",\"created_at\",\"created_by\",\"updated_at\",\"closed_at\",\"close_reason\"]" >expect &&
	test_cmp expect keys &&
	jq -c "select(.id == \"gt-cv-1\") | [.done, .total, .beads, .closed_at]" out >one &&
	echo "[0,1,[\"gt-b\"],null]" >expect && test_cmp expect one &&
	gt convoy list --format="%(id):%(done)/%(total):%(status)" >out &&
	test_grep "^gt-cv-1:0/1:open$" out &&
	gt convoy list -z --format="%(id)" | tr "\0" "\n" >out &&
	test_grep "^gt-cv-empty$" out &&
	test_expect_code 129 gt convoy list --json --format=x 2>err &&
	test_expect_code 129 gt convoy list extra 2>err &&
	test_grep "unexpected argument .extra." err
'

test_expect_success 'options that go with another subcommand are refused' '
	cd repo &&
	test_expect_code 129 gt convoy add --id x gt-cv-1 gt-a 2>err &&
	test_grep "\-\-id goes with create" err &&
	test_expect_code 129 gt convoy reopen -r x gt-cv-1 2>err &&
	test_grep "\-\-reason goes with close" err &&
	test_expect_code 129 gt convoy status --all gt-cv-1 2>err &&
	test_grep "\-\-all, --format and -z go with list" err &&
	test_expect_code 129 gt convoy add --json gt-cv-1 gt-a 2>err &&
	test_grep "\-\-json goes with list and status" err &&
	test_expect_code 129 gt convoy list --stuck-after 5 2>err &&
	test_grep "\-\-stuck-after goes with status" err &&
	test_expect_code 129 gt convoy status --stuck-after -5 gt-cv-1 2>err &&
	test_grep "\-\-stuck-after must not be negative" err &&
	test_expect_code 129 gt convoy 2>err &&
	test_grep "which subcommand?" err &&
	test_expect_code 129 gt convoy frob 2>err &&
	test_grep "unknown subcommand .frob." err &&
	test_expect_code 129 gt convoy status 2>err &&
	test_grep "status needs one <convoy>" err &&
	test_expect_code 129 gt convoy close 2>err &&
	test_grep "close needs at least one <convoy>" err &&
	test_expect_code 129 gt convoy check x 2>err &&
	test_grep "unexpected argument .x." err &&
	test_expect_code 129 gt convoy -h >out &&
	test_grep "gt convoy create" out
'

test_expect_success 'outside a repository' '
	mkdir nowhere && cd nowhere &&
	test_expect_code 2 gt convoy list 2>err &&
	test_grep "fatal:" err
'

test_done
