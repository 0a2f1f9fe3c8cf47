#!/bin/sh
test_description='gt log: the event feed of every entity, newest first'
. "$(dirname "$0")/test-lib.sh"

# Each event at its own fixed time (GT_TEST_NOW is in seconds).
at() { t=$1; shift; GT_TEST_NOW=$t "$@"; }

test_expect_success 'setup: five events on two beads by two actors' '
	git init -q repo && cd repo &&
	at 1700000000 gt create --id gt-a "Alpha" >/dev/null &&
	GT_ACTOR=mayor at 1700000100 gt create --id gt-b "Beta" >/dev/null &&
	at 1700000200 gt comment gt-a "first comment" &&
	GT_ACTOR=mayor at 1700000300 gt update gt-b --title "Beta two" &&
	at 1700000400 gt close gt-a &&
	cat >../expect.all <<-\EOF
	2023-11-14T22:20:00Z tester bead.close gt-a Alpha
	2023-11-14T22:18:20Z mayor bead.update gt-b Beta two
	2023-11-14T22:16:40Z tester bead.comment gt-a Alpha
	2023-11-14T22:15:00Z mayor bead.create gt-b Beta
	2023-11-14T22:13:20Z tester bead.create gt-a Alpha
	EOF
'

test_expect_success 'an empty ledger has an empty feed' '
	git init -q empty && cd empty &&
	gt log >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'every operation, newest first, one line each' '
	cd repo &&
	gt log >out 2>err &&
	test_cmp ../expect.all out &&
	test_must_be_empty err
'

test_expect_success 'git gt log is the same command' '
	cd repo &&
	git gt log >out &&
	test_cmp ../expect.all out
'

test_expect_success JQ 'order: time, then clock, then commit id, all descending' '
	cd repo &&
	for id in gt-t1 gt-t2 gt-t3; do
		at 1700000500 gt create --id $id "Same time" >/dev/null || return 1
	done &&
	at 1700000600 gt comment gt-t1 "clock 2" &&
	at 1700000700 gt comment gt-t1 "clock 3" &&
	at 1700000700 gt comment gt-t2 "clock 2 at the same time" &&
	gt log --json >json &&
	test_line_count = 11 json &&
	jq -s "[.[] | [.op.time, .clock, .commit]] | . == (sort | reverse)" json >ok &&
	echo true >expect &&
	test_cmp expect ok
'

test_expect_success JQ 'equal times: the higher clock first' '
	cd repo &&
	jq -r "select(.op.time == 1700000700000) | .id + \" \" + (.clock|tostring)" json >same &&
	printf "gt-t1 3\ngt-t2 2\n" >expect &&
	test_cmp expect same
'

test_expect_success JQ 'equal times and clocks: the higher commit id first' '
	cd repo &&
	jq -r "select(.type == \"bead.create\" and .op.time == 1700000500001) | .commit" json >ids &&
	test_line_count = 3 ids &&
	sort -r ids >sorted &&
	test_cmp sorted ids
'

test_expect_success 'clean up the same-time beads' '
	cd repo &&
	for id in gt-t1 gt-t2 gt-t3; do
		git update-ref -d refs/gastown/beads/$id || return 1
	done &&
	gt log >out &&
	test_cmp ../expect.all out
'

test_expect_success '--since takes RFC 3339, a date or epoch seconds' '
	cd repo &&
	head -3 ../expect.all >expect &&
	gt log --since=2023-11-14T22:16:40Z >out &&
	test_cmp expect out &&
	gt log --since 1700000200 >out &&
	test_cmp expect out &&
	gt log --since=2023-11-14T23:16:40+01:00 >out &&
	test_cmp expect out &&
	gt log --since=2023-11-14 >out &&
	test_cmp ../expect.all out &&
	gt log --since=2023-11-15 >out &&
	test_must_be_empty out
'

test_expect_success '--since with a bad time is a usage error' '
	cd repo &&
	test_expect_code 129 gt log --since=yesterday 2>err &&
	test_grep "invalid time .yesterday. for --since" err &&
	test_expect_code 129 gt log --since= 2>err &&
	test_grep "invalid time" err
'

test_expect_success '--actor keeps the events of one actor' '
	cd repo &&
	grep " mayor " ../expect.all >expect &&
	gt log --actor=mayor >out &&
	test_cmp expect out &&
	gt log --actor=nobody >out &&
	test_must_be_empty out &&
	test_expect_code 129 gt log --actor= 2>err &&
	test_grep "actor needs a name" err
'

test_expect_success '--id keeps the events of some entities' '
	cd repo &&
	grep " gt-a " ../expect.all >expect &&
	gt log --id=gt-a >out &&
	test_cmp expect out &&
	gt log --id gt-a --id=gt-b >out &&
	test_cmp ../expect.all out &&
	gt log --id=gt-zzz >out &&
	test_must_be_empty out
'

test_expect_success '--id with an invalid id fails with exit code 3' '
	cd repo &&
	test_expect_code 3 gt log --id=../x 2>err &&
	test_grep "^fatal: invalid entity id .\.\./x.$" err &&
	test_line_count = 1 err &&
	test_expect_code 3 gt log --id= 2>err &&
	test_grep "invalid entity id" err
'

test_expect_success '--limit shows the newest events' '
	cd repo &&
	head -2 ../expect.all >expect &&
	gt log --limit=2 >out &&
	test_cmp expect out &&
	head -1 ../expect.all >expect &&
	gt log -n 1 >out &&
	test_cmp expect out &&
	gt log --limit=0 >out &&
	test_cmp ../expect.all out &&
	gt log --limit=99 >out &&
	test_cmp ../expect.all out
'

test_expect_success '--limit must be a number >= 0' '
	cd repo &&
	test_expect_code 129 gt log --limit=-1 2>err &&
	test_grep "limit must be a positive number" err &&
	test_expect_code 129 gt log --limit=many 2>err &&
	test_grep "usage" err
'

test_expect_success 'filters combine' '
	cd repo &&
	sed -n "1p;3p" ../expect.all >expect &&
	gt log --actor=tester --id=gt-a --id=gt-b --since=1700000100 >out &&
	test_cmp expect out &&
	head -1 expect >first &&
	gt log --actor=tester --id=gt-a --since=1700000100 --limit=1 >out &&
	test_cmp first out
'

test_expect_success JQ '--json: one object per line with every key' '
	cd repo &&
	gt log --json >json &&
	test_line_count = 5 json &&
	jq -c "keys" json | sort -u >keys &&
	echo "[\"actor\",\"clock\",\"commit\",\"entity\",\"id\",\"op\",\"ref\",\"time\",\"type\"]" >expect &&
	test_cmp expect keys
'

test_expect_success JQ '--json fields agree with the commits' '
	cd repo &&
	gt log --json --limit=1 >json &&
	jq -r ".commit" json >commit &&
	git rev-parse refs/gastown/beads/gt-a >expect &&
	test_cmp expect commit &&
	jq -r "[.ref, .entity, .id, .type, (.clock|tostring), .time, .actor] | join(\" \")" json >fields &&
	echo "refs/gastown/beads/gt-a bead gt-a bead.close 3 2023-11-14T22:20:00Z tester" >expect &&
	test_cmp expect fields &&
	jq -S .op json >op &&
	git cat-file -p refs/gastown/beads/gt-a:op.json | jq -S . >expect &&
	test_cmp expect op
'

test_expect_success JQ '--json op is the whole op.json of each commit' '
	cd repo &&
	gt log --json >json &&
	jq -r ".commit" json >commits &&
	while read c; do
		git cat-file -p $c:op.json | jq -cS . || return 1
	done <commits >expect &&
	jq -cS .op json >ops &&
	test_cmp expect ops &&
	jq -r "select(.type == .op.type and .clock == .op.clock and .actor == .op.actor) | .commit" json >agree &&
	test_cmp commits agree
'

test_expect_success '-z ends records with NUL' '
	cd repo &&
	gt log -z >out &&
	tr "\000" "\n" <out >lines &&
	test_cmp ../expect.all lines &&
	tr -cd "\000" <out | wc -c | tr -d " " >nuls &&
	echo 5 >expect &&
	test_cmp expect nuls &&
	tr -cd "\n" <out | wc -c | tr -d " " >newlines &&
	echo 0 >expect &&
	test_cmp expect newlines
'

test_expect_success JQ '-z with --json' '
	cd repo &&
	gt log --json -z >out &&
	tr "\000" "\n" <out >lines &&
	gt log --json >expect &&
	test_cmp expect lines
'

test_expect_success 'a ref to a blob is warned about and skipped' '
	cd repo &&
	blob=$(echo junk | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-blob $blob &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-blob" &&
	gt log >out 2>err &&
	test_cmp ../expect.all out &&
	test_grep "^warning: refs/gastown/beads/gt-blob: points to a blob, not a commit; skipped$" err &&
	test_line_count = 1 err
'

test_expect_success 'a damaged operation is warned about, the rest of the chain is shown' '
	cd repo &&
	gt create --id gt-d "Damaged" >/dev/null &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-d" &&
	gt comment gt-d "will be damaged" &&
	gt comment gt-d "after the damage" &&
	bad=$(git rev-parse refs/gastown/beads/gt-d~1) &&
	junk=$(printf "{not json" | git hash-object -w --stdin) &&
	snap=$(git rev-parse $bad:bead.json) &&
	tree=$(printf "100644 blob %s\tbead.json\n100644 blob %s\top.json\n" $snap $junk | git mktree) &&
	newbad=$(git commit-tree -p $bad~1 -m damaged $tree) &&
	tip_tree=$(git rev-parse refs/gastown/beads/gt-d^{tree}) &&
	tip=$(git commit-tree -p $newbad -m "bead.comment: gt-d Damaged" $tip_tree) &&
	git update-ref refs/gastown/beads/gt-d $tip &&
	gt log --id=gt-d >out 2>err &&
	test_grep "warning: refs/gastown/beads/gt-d: commit $newbad: malformed JSON in op.json; skipped" err &&
	test_line_count = 1 err &&
	test_line_count = 2 out &&
	test_grep "bead.create gt-d" out &&
	test_grep "bead.comment gt-d" out
'

test_expect_success 'the history of a commit that is not an entity commit is not walked' '
	cd repo &&
	git commit -q --allow-empty -m "code, not a bead" &&
	code=$(git rev-parse HEAD) &&
	tree=$(git rev-parse refs/gastown/beads/gt-b^{tree}) &&
	c=$(git commit-tree -p $code -m "bead.create: gt-p Planted" $tree) &&
	git update-ref refs/gastown/beads/gt-p $c &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-p" &&
	gt log --id=gt-p >out 2>err &&
	test_grep "commit $code is not an entity commit (no op.json); its history is skipped" err &&
	test_line_count = 1 out
'

test_expect_success 'unexpected arguments are usage errors' '
	cd repo &&
	test_expect_code 129 gt log gt-a 2>err &&
	test_grep "unexpected argument .gt-a." err &&
	test_expect_code 129 gt log -h >out &&
	test_grep "^usage: gt log" out
'

test_expect_success 'outside a repository' '
	mkdir nowhere && cd nowhere &&
	GIT_CEILING_DIRECTORIES="$TRASH_DIRECTORY" test_expect_code 2 gt log 2>err &&
	test_grep "not a git repository" err
'

test_expect_success 'the feed names an actor'"'"'s hook and mailbox by address; --json keeps the ref id' '
	git init -q actors && cd actors &&
	gt create --id gt-x "Work" >/dev/null &&
	GT_ACTOR=mayor gt sling gt-x gastown/polecats/nux >/dev/null &&
	gt log >out &&
	test_grep "^[^ ]* mayor hook.sling gastown/polecats/nux$" out &&
	test_grep "^[^ ]* mayor mail.send gastown/polecats/nux$" out &&
	gt log --json >json &&
	test_grep "\"id\":\"gastown%2Fpolecats%2Fnux\"" json
'

test_done
