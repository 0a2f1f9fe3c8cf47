#!/bin/sh
test_description='gt fsck: every problem of the ledger is listed'
. "$(dirname "$0")/test-lib.sh"

# craft <parent or ""> <op.json text> <bead.json text>: write an entity
# commit by hand, author and time taken from the operation (needs jq).
craft() {
	op=$(printf "%s" "$2" | git hash-object -w --stdin) &&
	snap=$(printf "%s" "$3" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $op $snap | git mktree) &&
	actor=$(printf "%s" "$2" | jq -r .actor) &&
	secs=$(( $(printf "%s" "$2" | jq -r .time) / 1000 )) &&
	GIT_AUTHOR_NAME=$actor GIT_AUTHOR_EMAIL=$actor GIT_AUTHOR_DATE="@$secs +0000" \
	GIT_COMMITTER_NAME=$actor GIT_COMMITTER_EMAIL=$actor GIT_COMMITTER_DATE="@$secs +0000" \
	git commit-tree ${1:+-p $1} -m "crafted" $tree
}

# The snapshot of a ref with one member changed (jq filter).
snapshot_with() {
	git cat-file -p "$1:bead.json" | jq -c "$2"
}

test_expect_success 'setup: a ledger with some history' '
	git init -q repo && cd repo &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt create --id gt-b -l bug "Beta" >/dev/null &&
	gt create --parent gt-a "Child" >/dev/null &&
	gt comment gt-a "a comment" &&
	gt update gt-b --title "Beta two" --add-label=urgent &&
	gt dep add gt-b gt-a &&
	gt close gt-a.1 &&
	gt reopen gt-a.1 &&
	git for-each-ref refs/gastown >../refs.before
'

test_expect_success 'a clean ledger passes' '
	cd repo &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^0 problems, 0 warnings in 3 refs (8 commits)$" err
'

test_expect_success '-q prints nothing' '
	cd repo &&
	gt fsck -q >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'an empty ledger passes' '
	git init -q empty && cd empty &&
	gt fsck 2>err &&
	test_grep "^0 problems, 0 warnings in 0 refs (0 commits)$" err
'

test_expect_success 'a bead ref pointing to a blob' '
	cd repo &&
	blob=$(echo "not a bead" | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-blob $blob &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-blob" &&
	test_expect_code 1 gt fsck >out 2>err &&
	echo "refs/gastown/beads/gt-blob: points to a blob, not a commit" >expect &&
	test_cmp expect out &&
	test_grep "^1 problem, 0 warnings in 4 refs" err &&
	test_expect_code 1 gt fsck -q >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'a bead ref pointing to a tree' '
	cd repo &&
	tree=$(git rev-parse refs/gastown/beads/gt-a^{tree}) &&
	git update-ref refs/gastown/beads/gt-tree $tree &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-tree" &&
	test_expect_code 1 gt fsck >out &&
	echo "refs/gastown/beads/gt-tree: points to a tree, not a commit" >expect &&
	test_cmp expect out
'

test_expect_success 'a bead ref pointing to a missing object' '
	cd repo &&
	echo 1234567890123456789012345678901234567890 >.git/refs/gastown/beads/gt-ghost &&
	test_when_finished "rm -f .git/refs/gastown/beads/gt-ghost" &&
	test_expect_code 1 gt fsck >out &&
	echo "refs/gastown/beads/gt-ghost: points to missing object 1234567890123456789012345678901234567890" >expect &&
	test_cmp expect out
'

test_expect_success 'an unreadable ref file' '
	cd repo &&
	echo garbage >.git/refs/gastown/beads/gt-junk &&
	test_when_finished "rm -f .git/refs/gastown/beads/gt-junk" &&
	test_expect_code 1 gt fsck >out &&
	test_grep "^refs/gastown/beads/gt-junk: cannot read the ref: " out &&
	test_line_count = 1 out
'

test_expect_success 'a symbolic ref and an invalid id' '
	cd repo &&
	git symbolic-ref refs/gastown/beads/gt-sym refs/gastown/beads/gt-a &&
	git update-ref refs/gastown/beads/a/b $(git rev-parse refs/gastown/beads/gt-a) &&
	test_when_finished "git symbolic-ref -d refs/gastown/beads/gt-sym && git update-ref -d refs/gastown/beads/a/b" &&
	test_expect_code 1 gt fsck >out &&
	cat >expect <<-\EOF &&
	refs/gastown/beads/a/b: invalid bead id '"'"'a/b'"'"'
	refs/gastown/beads/gt-sym: is a symbolic ref (to refs/gastown/beads/gt-a), not a commit
	EOF
	test_cmp expect out
'

test_expect_success JQ 'a commit whose op.json is garbage' '
	cd repo &&
	junk=$(printf "{\"type\": oops" | git hash-object -w --stdin) &&
	snap=$(git rev-parse refs/gastown/beads/gt-b:bead.json) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $junk $snap | git mktree) &&
	c=$(git commit-tree -p refs/gastown/beads/gt-b -m garbage $tree) &&
	git update-ref refs/gastown/beads/gt-garbage $c &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-garbage" &&
	test_expect_code 1 gt fsck >out &&
	echo "refs/gastown/beads/gt-garbage: commit $c: op.json is not valid JSON" >expect &&
	test_cmp expect out
'

test_expect_success JQ 'invalid UTF-8, a non-object, a missing file, an extra file' '
	cd repo &&
	bad=$(printf "{\"title\":\"\377\"}" | git hash-object -w --stdin) &&
	arr=$(printf "[1,2]" | git hash-object -w --stdin) &&
	op=$(git rev-parse refs/gastown/beads/gt-b:op.json) &&
	t1=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $op $bad | git mktree) &&
	t2=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $arr $bad | git mktree) &&
	t3=$(printf "100644 blob %s\tbead.json\n100644 blob %s\tREADME\n" $bad $bad | git mktree) &&
	c1=$(git commit-tree -m one $t1) && c2=$(git commit-tree -m two $t2) && c3=$(git commit-tree -m three $t3) &&
	git update-ref refs/gastown/beads/gt-u1 $c1 &&
	git update-ref refs/gastown/beads/gt-u2 $c2 &&
	git update-ref refs/gastown/beads/gt-u3 $c3 &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-u1 && git update-ref -d refs/gastown/beads/gt-u2 && git update-ref -d refs/gastown/beads/gt-u3" &&
	test_expect_code 1 gt fsck >out &&
	test_grep "^refs/gastown/beads/gt-u1: commit $c1: bead.json is not valid UTF-8$" out &&
	test_grep "^refs/gastown/beads/gt-u2: commit $c2: op.json is not a JSON object$" out &&
	test_grep "^refs/gastown/beads/gt-u3: commit $c3: unexpected entry .README. in its tree$" out &&
	test_grep "^refs/gastown/beads/gt-u3: commit $c3: no op.json in its tree$" out
'

test_expect_success JQ 'a snapshot that differs from the replay' '
	cd repo &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	clock=$(git cat-file -p $tip:op.json | jq .clock) &&
	c=$(craft $tip "{\"type\":\"bead.update\",\"clock\":$((clock + 1)),\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"title\",\"value\":\"Set by the op\"}]}" \
		"$(snapshot_with $tip ".title = \"Not what the op says\"")") &&
	git update-ref refs/gastown/beads/gt-b $c $tip &&
	test_when_finished "git update-ref refs/gastown/beads/gt-b $tip" &&
	test_expect_code 1 gt fsck >out &&
	echo "refs/gastown/beads/gt-b: commit $c: bead.json differs from the replay of its operations (member '"'"'title'"'"')" >expect &&
	test_cmp expect out
'

test_expect_success JQ 'a correct crafted commit passes (the craft helper is sound)' '
	cd repo &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	clock=$(git cat-file -p $tip:op.json | jq .clock) &&
	c=$(craft $tip "{\"type\":\"bead.update\",\"clock\":$((clock + 1)),\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"title\",\"value\":\"Set by the op\"}]}" \
		"$(snapshot_with $tip ".title = \"Set by the op\"")") &&
	git update-ref refs/gastown/beads/gt-b $c $tip &&
	test_when_finished "git update-ref refs/gastown/beads/gt-b $tip" &&
	gt fsck
'

test_expect_success JQ 'a clock that goes backwards' '
	cd repo &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	clock=$(git cat-file -p $tip:op.json | jq .clock) &&
	c=$(craft $tip "{\"type\":\"bead.update\",\"clock\":1,\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"notes\",\"value\":\"late\"}]}" \
		"$(snapshot_with $tip ".notes = \"late\"")") &&
	git update-ref refs/gastown/beads/gt-b $c $tip &&
	test_when_finished "git update-ref refs/gastown/beads/gt-b $tip" &&
	test_expect_code 1 gt fsck >out &&
	echo "refs/gastown/beads/gt-b: commit $c: clock is 1, expected $((clock + 1)) (one more than its parents'"'"' highest)" >expect &&
	test_cmp expect out
'

test_expect_success JQ 'a first operation whose clock is not 1, and missing members' '
	cd repo &&
	c=$(craft "" "{\"type\":\"bead.create\",\"clock\":7,\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"title\",\"value\":\"T\"}]}" "{\"title\":\"T\"}") &&
	git update-ref refs/gastown/beads/gt-c7 $c &&
	op=$(printf "{\"changes\":[]}" | git hash-object -w --stdin) &&
	snap=$(printf "{}" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $op $snap | git mktree) &&
	m=$(git commit-tree -m members $tree) &&
	git update-ref refs/gastown/beads/gt-m $m &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-c7 && git update-ref -d refs/gastown/beads/gt-m" &&
	test_expect_code 1 gt fsck >out &&
	test_grep "^refs/gastown/beads/gt-c7: commit $c: clock is 7, expected 1 (a first operation)$" out &&
	test_grep "^refs/gastown/beads/gt-m: commit $m: the operation has no type$" out &&
	test_grep "^refs/gastown/beads/gt-m: commit $m: the operation has no valid clock" out &&
	test_grep "^refs/gastown/beads/gt-m: commit $m: the operation has no valid time$" out &&
	test_grep "^refs/gastown/beads/gt-m: commit $m: the operation has no actor$" out
'

test_expect_success JQ 'an author who is not the actor, a time that is not the op time' '
	cd repo &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	clock=$(git cat-file -p $tip:op.json | jq .clock) &&
	op="{\"type\":\"bead.update\",\"clock\":$((clock + 1)),\"time\":1800000000000,\"actor\":\"mayor\",\"changes\":[]}" &&
	opb=$(printf "%s" "$op" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $opb $(git rev-parse $tip:bead.json) | git mktree) &&
	c=$(GIT_AUTHOR_NAME=impostor GIT_AUTHOR_DATE="@1800000005 +0000" git commit-tree -p $tip -m x $tree) &&
	git update-ref refs/gastown/beads/gt-b $c $tip &&
	test_when_finished "git update-ref refs/gastown/beads/gt-b $tip" &&
	test_expect_code 1 gt fsck >out &&
	cat >expect <<-EOF &&
	refs/gastown/beads/gt-b: commit $c: author '"'"'impostor'"'"' is not the operation'"'"'s actor '"'"'mayor'"'"'
	refs/gastown/beads/gt-b: commit $c: commit time 1800000005 is not the operation'"'"'s time 1800000000000 ms
	EOF
	test_cmp expect out
'

test_expect_success JQ 'a chain with a parent that is not an entity commit' '
	cd repo &&
	test_commit_tree=$(git mktree </dev/null) &&
	code=$(git commit-tree -m "ordinary code" $test_commit_tree) &&
	c=$(craft $code "{\"type\":\"bead.create\",\"clock\":1,\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"title\",\"value\":\"T\"}]}" "{\"title\":\"T\"}") &&
	git update-ref refs/gastown/beads/gt-grafted $c &&
	git update-ref refs/gastown/beads/gt-code $code &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-grafted && git update-ref -d refs/gastown/beads/gt-code" &&
	test_expect_code 1 gt fsck >out &&
	cat >expect <<-EOF &&
	refs/gastown/beads/gt-code: points to commit $code, which is not an entity commit (no op.json in its tree)
	refs/gastown/beads/gt-grafted: commit $c: parent $code is not an entity commit (no op.json in its tree)
	EOF
	test_cmp expect out
'

test_expect_success 'the config ref and unknown refs' '
	cd repo &&
	blob=$(printf "[core]\n\tprefix = gt\n" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tconfig\n" $blob | git mktree) &&
	git update-ref refs/gastown/config $(git commit-tree -m config $tree) &&
	git update-ref refs/gastown/other/x $(git rev-parse refs/gastown/beads/gt-a) &&
	test_when_finished "git update-ref -d refs/gastown/config && git update-ref -d refs/gastown/other/x" &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^warning: refs/gastown/other/x: no known entity type keeps refs here; not checked$" err &&
	test_grep "^0 problems, 1 warning in 4 refs" err
'

test_expect_success 'a damaged config ref is a problem that stops the check' '
	cd repo &&
	git update-ref refs/gastown/config $(git rev-parse refs/gastown/beads/gt-a) &&
	test_when_finished "git update-ref -d refs/gastown/config" &&
	test_expect_code 1 gt fsck >out 2>err &&
	test_grep "refs/gastown/config has no config blob" out &&
	test_line_count = 1 out &&
	test_grep "^error: cannot check the rest of the ledger until this is repaired$" err
'

# config_ref <text>: point refs/gastown/config at a commit whose blob "config" is <text>
config_ref() {
	blob=$(printf "$1" | git hash-object -w --stdin) &&
	git update-ref refs/gastown/config \
		$(git commit-tree -m config $(printf "100644 blob %s\tconfig\n" $blob | git mktree))
}

test_expect_success 'the shared config is judged as it is loaded: indented lines are entries' '
	cd repo &&
	test_when_finished "git update-ref -d refs/gastown/config" &&
	config_ref "[core]\n\ttitleLimit = 80\n" &&
	gt fsck >out &&
	test_must_be_empty out &&
	config_ref "[core]\n\ttitleLimit = 80\n[broken\n" &&
	test_expect_code 1 gt fsck >out 2>err &&
	test_grep "bad config line 3 in refs/gastown/config" out &&
	config_ref "[core]\n\ttitleLimit = 80\000\n" &&
	test_expect_code 1 gt fsck >out 2>err &&
	test_grep "refs/gastown/config holds a NUL byte (see .git show refs/gastown/config:config.)" out &&
	test_expect_code 3 gt list 2>err &&
	test_grep "^fatal: refs/gastown/config holds a NUL byte" err
'

test_expect_success 'a stale lock file is a warning; --repair removes it' '
	cd repo &&
	touch .git/refs/gastown/beads/gt-a.lock &&
	test_when_finished "rm -f .git/refs/gastown/beads/gt-a.lock" &&
	gt fsck 2>err &&
	test_grep -v "lock" err &&
	touch -d "-1 hour" .git/refs/gastown/beads/gt-a.lock &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^warning: refs/gastown/beads/gt-a: stale lock file ([0-9]*s old; the next writer removes it)$" err &&
	gt fsck --repair 2>err &&
	test_grep "^repaired: refs/gastown/beads/gt-a: removed a stale lock file$" err &&
	! test -e .git/refs/gastown/beads/gt-a.lock
'

test_expect_success 'a transaction journal of a dead process is a problem; --repair rolls it forward' '
	cd repo &&
	"$GT_UNIT_DIR/test-writer" txn "ok" gt-a gt-b &&
	GT_TEST_CRASH_AFTER_JOURNAL=1 test_expect_code 137 "$GT_UNIT_DIR/test-writer" txn "both or none" gt-a gt-b &&
	ls .git/gastown/txn >journals &&
	test_line_count = 1 journals &&
	test_expect_code 1 gt fsck >out &&
	test_grep "/gastown/txn/[0-9]*-[0-9]*: transaction of dead process [0-9]* not rolled forward (refs/gastown/beads/gt-a, refs/gastown/beads/gt-b); .gt fsck --repair. or the next write completes it$" out &&
	test_line_count = 1 out &&
	gt fsck --repair >out 2>err &&
	test_must_be_empty out &&
	test_grep "^repaired: .*/gastown/txn: rolled 1 transaction journal forward$" err &&
	git cat-file -p refs/gastown/beads/gt-a:bead.json | jq -r ".comments[-1].text" >a &&
	git cat-file -p refs/gastown/beads/gt-b:bead.json | jq -r ".comments[-1].text" >b &&
	echo "both or none" >expect &&
	test_cmp expect a && test_cmp expect b &&
	gt fsck
'

test_expect_success JQ 'several problems at once are all listed' '
	cd repo &&
	blob=$(echo "not a bead" | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-blob $blob &&
	git update-ref refs/gastown/beads/gt-tree $(git rev-parse refs/gastown/beads/gt-a^{tree}) &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	clock=$(git cat-file -p $tip:op.json | jq .clock) &&
	c1=$(craft $tip "{\"type\":\"bead.update\",\"clock\":1,\"time\":1800000000000,\"actor\":\"tester\",\"changes\":[{\"set\":\"notes\",\"value\":\"x\"}]}" "$(snapshot_with $tip ".notes = \"x\"")") &&
	c2=$(craft $c1 "{\"type\":\"bead.update\",\"clock\":5,\"time\":1800000001000,\"actor\":\"tester\",\"changes\":[{\"set\":\"notes\",\"value\":\"y\"}]}" "$(snapshot_with $tip ".notes = \"z\"")") &&
	git update-ref refs/gastown/beads/gt-b $c2 $tip &&
	test_when_finished "git update-ref refs/gastown/beads/gt-b $tip && git update-ref -d refs/gastown/beads/gt-blob && git update-ref -d refs/gastown/beads/gt-tree" &&
	test_expect_code 1 gt fsck >out 2>err &&
	test_grep "^refs/gastown/beads/gt-b: commit $c1: clock is 1, expected $((clock + 1))" out &&
	test_grep "^refs/gastown/beads/gt-b: commit $c2: clock is 5, expected 2 (one more than its parents'"'"' highest)$" out &&
	test_grep "^refs/gastown/beads/gt-b: commit $c2: bead.json differs from the replay" out &&
	test_grep "^refs/gastown/beads/gt-blob: points to a blob, not a commit$" out &&
	test_grep "^refs/gastown/beads/gt-tree: points to a tree, not a commit$" out &&
	test_line_count = 5 out &&
	test_grep "^5 problems, 0 warnings in 5 refs (14 commits)$" err
'

test_expect_success 'the repairs left the ledger as it was' '
	cd repo &&
	gt fsck &&
	git for-each-ref refs/gastown >refs.after &&
	grep -v "gt-[ab]$" ../refs.before >expect &&
	grep -v "gt-[ab]$" refs.after >actual &&
	test_cmp expect actual
'

# --- commands given damaged beads: one clear line, never a crash -----------

test_expect_success JQ 'setup damaged beads' '
	cd repo &&
	blob=$(echo "not a bead" | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-blob $blob &&
	junk=$(printf "{oops" | git hash-object -w --stdin) &&
	snap=$(git rev-parse refs/gastown/beads/gt-a:bead.json) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $junk $snap | git mktree) &&
	git update-ref refs/gastown/beads/gt-garbage $(git commit-tree -m garbage $tree) &&
	git update-ref refs/gastown/beads/gt-tree $(git rev-parse refs/gastown/beads/gt-a^{tree})
'

test_expect_success 'gt show of damaged beads: one error line each' '
	cd repo &&
	test_expect_code 128 gt show gt-blob 2>err &&
	echo "error: refs/gastown/beads/gt-blob: points to a blob, not a commit" >expect &&
	test_cmp expect err &&
	test_expect_code 128 gt show gt-tree 2>err &&
	test_grep "^error: refs/gastown/beads/gt-tree: points to a tree, not a commit$" err &&
	test_line_count = 1 err &&
	test_expect_code 128 gt show gt-garbage 2>err &&
	test_grep "^error: malformed JSON in refs/gastown/beads/gt-garbage:op.json$" err &&
	test_line_count = 1 err &&
	test_expect_code 128 gt show --json gt-a gt-blob >out 2>err &&
	test_line_count = 1 out &&
	test_line_count = 1 err
'

test_expect_success 'writes to damaged beads fail with one line and change nothing' '
	cd repo &&
	git for-each-ref refs/gastown >before &&
	test_expect_code 128 gt comment gt-blob "hello" 2>err &&
	echo "fatal: refs/gastown/beads/gt-blob: points to a blob, not a commit" >expect &&
	test_cmp expect err &&
	test_expect_code 128 gt update gt-garbage --title "New" 2>err &&
	test_grep "^fatal: malformed JSON in refs/gastown/beads/gt-garbage:op.json$" err &&
	test_line_count = 1 err &&
	test_expect_code 128 gt close gt-tree 2>err &&
	test_grep "^error: refs/gastown/beads/gt-tree: points to a tree, not a commit$" err &&
	test_line_count = 1 err &&
	test_must_fail gt dep add gt-a gt-blob 2>err &&
	test_grep "gt-blob: points to a blob, not a commit" err &&
	test_line_count = 1 err &&
	test_must_fail gt create --id gt-blob "Over the damage" 2>err &&
	test_grep "already exists" err &&
	git for-each-ref refs/gastown >after &&
	test_cmp before after
'

test_expect_success 'gt create refuses a damaged parent or dependency' '
	cd repo &&
	git for-each-ref refs/gastown >before &&
	git for-each-ref --format="%(refname)" refs/gastown >names.before &&
	test_when_finished "git for-each-ref --format=\"%(refname)\" refs/gastown >names.after &&
		comm -13 names.before names.after | xargs -r -n1 git update-ref -d" &&
	test_must_fail gt create --parent gt-blob "Child of damage" 2>err &&
	test_grep "gt-blob: points to a blob, not a commit" err &&
	test_must_fail gt create --deps gt-garbage "Depends on damage" 2>err &&
	test_grep "malformed JSON" err &&
	git for-each-ref refs/gastown >after &&
	test_cmp before after
'

test_expect_success 'gt log and gt fsck go on past the damage' '
	cd repo &&
	gt log >out 2>err &&
	test_grep "bead.create gt-a " out &&
	test_grep "warning: refs/gastown/beads/gt-blob" err &&
	test_expect_code 1 gt fsck >out &&
	test_grep "^refs/gastown/beads/gt-blob: " out &&
	test_grep "^refs/gastown/beads/gt-garbage: " out &&
	test_grep "^refs/gastown/beads/gt-tree: " out
'

test_expect_success 'usage' '
	cd repo &&
	test_expect_code 129 gt fsck extra 2>err &&
	test_grep "unexpected argument .extra." err &&
	test_expect_code 129 gt fsck --frobnicate 2>err &&
	test_grep "usage: gt fsck" err
'

test_done
