#!/bin/sh
test_description='gt trail: the code commits of a bead, from notes and trailers'
. ./test-lib.sh


test_expect_success 'setup: notes, trailers, both, on two branches' '
	git init -q repo && cd repo && gt init -q &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt create --id gt-b "Beta" >/dev/null &&
	test_commit_file "noted" &&
	gt note --bead gt-a --actor gastown/polecats/nux --session s1 &&
	git rev-parse HEAD >../c1 &&
	test_commit_file "trailer only

Fixes the timeout.

Bead: gt-a" &&
	git rev-parse HEAD >../c2 &&
	test_commit_file "both

bead: gt-b, gt-a" &&
	gt note --bead gt-a --actor mayor &&
	git rev-parse HEAD >../c3 &&
	git checkout -q -b side &&
	test_commit_file "on a side branch

Bead: gt-a" &&
	git rev-parse HEAD >../c4 &&
	git checkout -q - &&
	test_commit_file "other bead

Bead: gt-b" &&
	test_commit_file "Bead: gt-a in the subject is no trailer"
'

test_expect_success 'trail lists them newest first' '
	cd repo &&
	gt trail gt-a >out &&
	cat >expect <<-EOF &&
	$(cut -c1-12 ../c4) 2027-01-15 A U Thor on a side branch
	$(cut -c1-12 ../c3) 2027-01-15 mayor both
	$(cut -c1-12 ../c2) 2027-01-15 A U Thor trailer only
	$(cut -c1-12 ../c1) 2027-01-15 gastown/polecats/nux noted
	EOF
	test_cmp expect out
'

test_expect_success 'trail --json: every key, the source of each' '
	cd repo &&
	gt trail --json gt-a >out &&
	jq -c "keys_unsorted" out | sort -u >keys &&
	echo "[\"commit\",\"time\",\"author\",\"subject\",\"bead\",\"actor\",\"session\",\"convoy\",\"source\"]" >expect &&
	test_cmp expect keys &&
	jq -c "[.subject, .source, .actor, .session]" out >got &&
	cat >expect <<-\EOF &&
	["on a side branch","trailer",null,null]
	["both","note+trailer","mayor",null]
	["trailer only","trailer",null,null]
	["noted","note","gastown/polecats/nux","s1"]
	EOF
	test_cmp expect got &&
	jq -r "select(.subject == \"noted\") | .commit, .time" out >got &&
	printf "%s\n2027-01-15T08:01:00Z\n" "$(cat ../c1)" >expect &&
	test_cmp expect got
'

test_expect_success 'trail --format and -z' '
	cd repo &&
	gt trail --format="%(source) %(subject)" gt-b >out &&
	printf "trailer other bead\ntrailer both\n" >expect &&
	test_cmp expect out &&
	gt trail -z --format="%(commit)" gt-a | tr "\0" "\n" >out &&
	test_line_count = 4 out
'

test_expect_success 'a bead with no commits lists nothing' '
	cd repo &&
	gt create --id gt-none "None" >/dev/null &&
	gt trail gt-none >out &&
	test_must_be_empty out &&
	gt trail gt-never-created >out &&
	test_must_be_empty out
'

test_expect_success 'a noted commit no ref reaches: shown with --unreachable only' '
	cd repo &&
	git branch -D -q side &&
	test_commit_file "orphan to be" &&
	gt note --bead gt-b --actor mayor &&
	git reset -q --hard HEAD~1 &&
	gt trail --json gt-b | jq -r .subject >out &&
	printf "other bead\nboth\n" >expect &&
	test_cmp expect out &&
	gt trail --unreachable --json gt-b | jq -r .subject >out &&
	printf "orphan to be\nother bead\nboth\n" >expect &&
	test_cmp expect out &&
	gt trail gt-a >out &&
	test_line_count = 3 out &&
	test_grep -v "on a side branch" out &&
	gt trail --unreachable gt-a >out &&
	test_line_count = 3 out
'

test_expect_success 'a note on a commit that is not here is skipped' '
	cd repo &&
	blob=$(echo "{\"bead\":\"gt-b\",\"actor\":\"x\",\"session\":null,\"convoy\":null}" | git hash-object -w --stdin) &&
	git notes --ref=gastown add -f -C $blob 1111111111111111111111111111111111111111 &&
	gt trail --unreachable gt-b >out &&
	test_line_count = 3 out
'

test_expect_success 'trail errors' '
	cd repo &&
	test_expect_code 129 gt trail 2>err &&
	test_grep "give one <bead>" err &&
	test_expect_code 129 gt trail gt-a gt-b 2>err &&
	test_grep "give one <bead>" err &&
	test_expect_code 129 gt trail "bad id" 2>err &&
	test_grep "invalid bead id .bad id." err &&
	test_expect_code 129 gt trail --json --format=x gt-a 2>err &&
	cd .. && mkdir nowhere && cd nowhere &&
	test_expect_code 2 gt trail gt-a 2>err &&
	test_grep "fatal:" err
'

test_expect_success 'a repository with no commits and no notes' '
	git init -q empty && cd empty &&
	gt trail gt-a >out &&
	test_must_be_empty out
'

test_done
