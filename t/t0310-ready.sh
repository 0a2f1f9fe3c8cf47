#!/bin/sh
test_description='gt ready and gt blocked: the readiness rules'
. ./test-lib.sh

T0=1767225600 # 2026-01-01T00:00:00Z

# One clock for every command: beads made in a row have the same
# creation time, so that ready lists them by priority, then by id.
GT_TEST_NOW=$T0
export GT_TEST_NOW

at() {
	t=$1 && shift &&
	GT_TEST_NOW=$((T0 + t)) "$@"
}

# write_bead <id> <snapshot>: a bead commit made with git alone, for
# states gt itself refuses to make (cycles, dangling edges, tombstones)
write_bead() {
	snap=$(printf "%s" "$2" | git hash-object -w --stdin) &&
	op=$(echo "{\"type\":\"bead.create\",\"clock\":1,\"time\":0,\"actor\":\"tester\",\"changes\":[]}" |
		git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tbead.json\n100644 blob %s\top.json\n" "$snap" "$op" | git mktree) &&
	commit=$(git commit-tree -m "bead.create: $1" "$tree") &&
	git update-ref "refs/gastown/beads/$1" "$commit"
}

# bead <id> <status> [<json members>]: a snapshot with the usual members
bead() {
	write_bead "$1" "{\"id\":\"$1\",\"title\":\"$1\",\"status\":\"$2\",\"priority\":2,\"issue_type\":\"task\"${3:+,$3}}"
}

dep() {
	echo "{\"issue_id\":\"x\",\"depends_on_id\":\"$1\",\"type\":\"$2\"}"
}

ready_ids() {
	gt ready --format="%(id)" >"$1"
}

blocked_ids() {
	gt blocked --format="%(id)" >"$1"
}

test_expect_success 'a bead with no dependencies is ready' '
	git init -q r1 && cd r1 &&
	gt create --id gt-a "A" >/dev/null &&
	gt ready >actual &&
	echo "gt-a [P2] [task] open - A" >expect &&
	test_cmp expect actual &&
	gt blocked >actual &&
	test_must_be_empty actual
'

for type in blocks conditional-blocks waits-for; do
	test_expect_success "$type: the dependent is blocked until the blocker closes" '
		git init -q "r-$type" && cd "r-$type" &&
		gt create --id gt-blocker "Blocker" >/dev/null &&
		gt create --id gt-dep --deps "$type:gt-blocker" "Dependent" >/dev/null &&
		ready_ids actual &&
		echo gt-blocker >expect &&
		test_cmp expect actual &&
		gt blocked >actual &&
		echo "gt-dep [P2] [task] open - Dependent (blocked by gt-blocker)" >expect &&
		test_cmp expect actual &&
		gt close gt-blocker &&
		ready_ids actual &&
		echo gt-dep >expect &&
		test_cmp expect actual &&
		gt blocked >actual &&
		test_must_be_empty actual
	'
done

test_expect_success 'other dependency types do not block' '
	git init -q r2 && cd r2 &&
	gt create --id gt-a "A" >/dev/null &&
	gt create --id gt-b --deps related:gt-a --deps discovered-from:gt-a "B" >/dev/null &&
	gt create --id gt-c --deps parent-child:gt-a "C" >/dev/null &&
	ready_ids actual &&
	printf "gt-a\ngt-b\ngt-c\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a blocker that is in progress (not closed) still blocks' '
	git init -q r3 && cd r3 &&
	gt create --id gt-a "A" >/dev/null &&
	gt create --id gt-b --deps gt-a "B" >/dev/null &&
	gt update -s in_progress gt-a &&
	ready_ids actual &&
	test_must_be_empty actual &&
	blocked_ids actual &&
	echo gt-b >expect &&
	test_cmp expect actual
'

test_expect_success 'setup a tree: blocking passes from parents to children' '
	git init -q tree && cd tree &&
	gt create --id gt-x "Blocker" >/dev/null &&
	gt create --id gt-e -t epic --deps gt-x "Epic" >/dev/null &&
	gt create --parent gt-e "Child" >/dev/null &&
	gt create --parent gt-e.1 "Grandchild" >/dev/null &&
	gt create --id gt-f -t epic "Free epic" >/dev/null &&
	gt create --parent gt-f "Free child" >/dev/null
'

test_expect_success 'children and grandchildren of a blocked bead are blocked' '
	cd tree &&
	ready_ids actual &&
	printf "gt-f\ngt-f.1\ngt-x\n" >expect &&
	test_cmp expect actual &&
	gt blocked >actual &&
	cat >expect <<-\EOF &&
	gt-e [P2] [epic] open - Epic (blocked by gt-x)
	gt-e.1 [P2] [task] open - Child (blocked by parent gt-e)
	gt-e.1.1 [P2] [task] open - Grandchild (blocked by parent gt-e.1)
	EOF
	test_cmp expect actual
'

test_expect_success JQ 'gt blocked --json: blocked_by and blocked_by_parents' '
	cd tree &&
	gt blocked --json | jq -c "[.id, .blocked_by, .blocked_by_parents]" >actual &&
	cat >expect <<-\EOF &&
	["gt-e",["gt-x"],[]]
	["gt-e.1",[],["gt-e"]]
	["gt-e.1.1",[],["gt-e.1"]]
	EOF
	test_cmp expect actual &&
	gt blocked --json | jq -c "del(.blocked_by, .blocked_by_parents)" >actual &&
	for id in gt-e gt-e.1 gt-e.1.1; do gt show --json $id || return 1; done >expect &&
	test_cmp expect actual
'

test_expect_success 'gt blocked --format: %(blocked_by) and %(blocked_by_parents)' '
	cd tree &&
	gt blocked --format="%(id):%(blocked_by):%(blocked_by_parents)" >actual &&
	cat >expect <<-\EOF &&
	gt-e:gt-x:
	gt-e.1::gt-e
	gt-e.1.1::gt-e.1
	EOF
	test_cmp expect actual
'

test_expect_success 'closing the blocker unblocks the whole tree' '
	cd tree &&
	gt close gt-x &&
	ready_ids actual &&
	printf "gt-e\ngt-e.1\ngt-e.1.1\ngt-f\ngt-f.1\n" >expect &&
	test_cmp expect actual &&
	gt reopen gt-x
'

test_expect_success 'the parent member alone passes blocking too' '
	cd tree &&
	bead gt-p1 open "\"parent\":\"gt-e\"" &&
	blocked_ids actual &&
	test_grep "^gt-p1$" actual &&
	gt blocked --format="%(id) %(blocked_by_parents)" >actual &&
	test_grep "^gt-p1 gt-e$" actual
'

test_expect_success 'a closed bead is never blocked and passes nothing on' '
	cd tree &&
	gt close gt-e.1 &&
	blocked_ids actual &&
	printf "gt-e\ngt-p1\n" >expect &&
	test_cmp expect actual &&
	ready_ids actual &&
	test_grep "^gt-e.1.1$" actual &&
	gt reopen gt-e.1
'

test_expect_success 'a bead blocked both ways lists every cause' '
	cd tree &&
	gt create --id gt-y "Other blocker" >/dev/null &&
	gt dep add gt-e.1 gt-y &&
	gt blocked >actual &&
	test_grep "^gt-e.1 \[P2\] \[task\] open - Child (blocked by gt-y, parent gt-e)$" actual
'

test_expect_success 'types that are not work are never ready' '
	git init -q types && cd types &&
	for t in message molecule gate agent role rig merge-request convoy; do
		gt create --id "gt-$t" -t "$t" "$t" >/dev/null || return 1
	done &&
	for t in task bug feature epic chore; do
		gt create --id "gt-$t" -t "$t" "$t" >/dev/null || return 1
	done &&
	ready_ids out &&
	LC_ALL=C sort out >actual &&
	printf "gt-bug\ngt-chore\ngt-epic\ngt-feature\ngt-task\n" >expect &&
	test_cmp expect actual &&
	blocked_ids actual &&
	test_must_be_empty actual
'

test_expect_success 'only open beads are ready' '
	git init -q statuses && cd statuses &&
	for s in open in_progress blocked hooked pinned deferred closed; do
		bead "gt-$s" "$s" || return 1
	done &&
	ready_ids actual &&
	echo gt-open >expect &&
	test_cmp expect actual
'

test_expect_success 'a dependency on a bead not in the ledger does not block' '
	git init -q dangling && cd dangling &&
	bead gt-a open "\"dependencies\":[$(dep gt-nowhere blocks)]" &&
	gt create --id gt-gone "Gone" >/dev/null &&
	gt create --id gt-b --deps gt-gone "B" >/dev/null &&
	git update-ref -d refs/gastown/beads/gt-gone &&
	ready_ids actual &&
	printf "gt-b\ngt-a\n" >expect &&
	test_cmp expect actual &&
	blocked_ids actual &&
	test_must_be_empty actual
'

test_expect_success 'a deleted (tombstoned) blocker does not block' '
	cd dangling &&
	bead gt-t open "\"tombstone\":true" &&
	bead gt-c open "\"dependencies\":[$(dep gt-t blocks)]" &&
	ready_ids actual &&
	test_grep "^gt-c$" actual
'

test_expect_success 'a damaged blocker does not block' '
	cd dangling &&
	blob=$(echo junk | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-bad "$blob" &&
	bead gt-d open "\"dependencies\":[$(dep gt-bad blocks)]" &&
	ready_ids actual 2>err &&
	test_grep "^gt-d$" actual &&
	test_grep "^warning: skipping damaged bead: refs/gastown/beads/gt-bad: points to a blob, not a commit" err
'

test_expect_success 'cycles: blocking cycles block both, parent cycles end' '
	git init -q cycles && cd cycles &&
	bead gt-a open "\"dependencies\":[$(dep gt-b blocks)]" &&
	bead gt-b open "\"dependencies\":[$(dep gt-a blocks)]" &&
	bead gt-p open "\"parent\":\"gt-q\"" &&
	bead gt-q open "\"parent\":\"gt-p\"" &&
	bead gt-s open "\"parent\":\"gt-s\",\"dependencies\":[$(dep gt-s parent-child)]" &&
	ready_ids actual &&
	printf "gt-p\ngt-q\ngt-s\n" >expect &&
	test_cmp expect actual &&
	blocked_ids actual &&
	printf "gt-a\ngt-b\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'cycles: a parent cycle with a blocked member is blocked all round' '
	cd cycles &&
	bead gt-m open "\"parent\":\"gt-n\",\"dependencies\":[$(dep gt-a blocks)]" &&
	bead gt-n open "\"parent\":\"gt-o\"" &&
	bead gt-o open "\"dependencies\":[$(dep gt-m parent-child)]" &&
	bead gt-o1 open "\"parent\":\"gt-o\"" &&
	gt blocked --format="%(id) %(blocked_by) %(blocked_by_parents)" >actual &&
	cat >expect <<-\EOF &&
	gt-a gt-b 
	gt-b gt-a 
	gt-m gt-a gt-n
	gt-n  gt-o
	gt-o  gt-m
	gt-o1  gt-o
	EOF
	test_cmp expect actual
'

test_expect_success 'setup ordering' '
	git init -q order && cd order &&
	at 30 gt create --id gt-late-p1 -p 1 "late P1" &&
	at 10 gt create --id gt-early-p1 -p 1 "early P1" &&
	at 10 gt create --id gt-early-p1b -p 1 "early P1, same second" &&
	at 5 gt create --id gt-p3 -p 3 -a alice "P3" &&
	at 1 gt create --id gt-p0 -p 0 -t bug -l urgent "P0" &&
	at 2 gt create --id gt-msg -p 0 -t message "message"
'

test_expect_success 'gt ready sorts by priority, then creation time, then id' '
	cd order &&
	gt ready >actual &&
	cat >expect <<-\EOF &&
	gt-p0 [P0] [bug] open - P0
	gt-early-p1 [P1] [task] open - early P1
	gt-early-p1b [P1] [task] open - early P1, same second
	gt-late-p1 [P1] [task] open - late P1
	gt-p3 [P3] [task] open @alice - P3
	EOF
	test_cmp expect actual
'

test_expect_success 'gt ready filters and --limit' '
	cd order &&
	gt ready --assignee alice --format="%(id)" >actual &&
	echo gt-p3 >expect &&
	test_cmp expect actual &&
	gt ready --type bug,epic --format="%(id)" >actual &&
	echo gt-p0 >expect &&
	test_cmp expect actual &&
	gt ready --label urgent --format="%(id)" >actual &&
	test_cmp expect actual &&
	gt ready --limit 2 --format="%(id)" >actual &&
	printf "gt-p0\ngt-early-p1\n" >expect &&
	test_cmp expect actual &&
	gt ready --type message >actual &&
	test_must_be_empty actual
'

test_expect_success JQ 'gt ready --json and -z' '
	cd order &&
	gt ready --json --limit 1 >actual &&
	gt show --json gt-p0 >expect &&
	test_cmp expect actual &&
	gt ready -z --format="%(id)" --limit 2 >actual &&
	printf "gt-p0\000gt-early-p1\000" >expect &&
	test_cmp expect actual
'

test_expect_success 'gt blocked filters and -z' '
	cd tree &&
	gt blocked -z --format="%(id)" --type epic >actual &&
	printf "gt-e\000" >expect &&
	test_cmp expect actual &&
	gt blocked --limit 1 --format="%(id)" >actual &&
	echo gt-e >expect &&
	test_cmp expect actual &&
	gt blocked --assignee nobody >actual &&
	test_must_be_empty actual
'

for cmd in ready blocked; do
	test_expect_success "gt $cmd: usage errors" '
		cd order &&
		test_expect_code 129 gt $cmd --json --format="%(id)" 2>err &&
		test_grep "^usage error: --json and --format cannot be used together$" err &&
		test_expect_code 129 gt $cmd extra 2>err &&
		test_grep "^usage error: unexpected argument .extra.$" err &&
		test_expect_code 129 gt $cmd --limit -2 2>err &&
		test_grep "^usage error: --limit must not be negative$" err &&
		test_expect_code 129 gt $cmd --format="%(" 2>err &&
		test_grep "^usage error: unterminated format atom .%(.$" err &&
		test_expect_code 129 gt $cmd --status open 2>err &&
		test_grep "^usage error: unknown option .--status.$" err &&
		test_expect_code 129 gt $cmd -h >out &&
		test_grep "^usage: gt $cmd" out
	'

	test_expect_success "gt $cmd: an empty ledger, and outside a repository" '
		git init -q "empty-$cmd" && cd "empty-$cmd" &&
		gt $cmd >actual &&
		test_must_be_empty actual &&
		cd .. && mkdir "nogit-$cmd" && cd "nogit-$cmd" &&
		GIT_CEILING_DIRECTORIES=$PWD/.. test_expect_code 2 gt $cmd 2>err &&
		test_grep "^fatal: not a git repository (run .git init. first)$" err
	'
done

# An oracle written in jq from the rules of gastown(7), for the real data.
cat >"$TRASH_DIRECTORY/oracle.jq" <<\EOF
def blocking: . == "blocks" or . == "conditional-blocks" or . == "waits-for";
def work: (. // "task") as $t |
	["message", "molecule", "gate", "agent", "role", "rig", "merge-request", "convoy"] |
	index([$t]) | not;
[.[] | select(.tombstone != true)] as $live
| (reduce $live[] as $b ({}; .[$b.id] = $b)) as $by
| def open_blocker($id): $by[$id] != null and $by[$id].status != "closed";
  def parents: [(.parent // empty),
	(.dependencies[]? | select(.type == "parent-child") | .depends_on_id)] |
	map(select(. != "" and $by[.] != null)) | unique;
  ([$live[] | select(.status != "closed")
    | select([.dependencies[]? | select(.type | blocking)
	| select(open_blocker(.depends_on_id))] | length > 0)
    | {key: .id, value: true}] | from_entries) as $direct
| {set: $direct, changed: true}
| until(.changed | not;
	.set as $s
	| [$live[] | select(.status != "closed") | select($s[.id] | not)
	   | select(any(parents[]; $s[.] == true)) | {key: .id, value: true}] as $new
	| {set: ($s + ($new | from_entries)), changed: ($new | length > 0)})
| .set as $blocked
| if $mode == "blocked" then $blocked | keys[]
  else $live[] | select(.status == "open" and (.issue_type | work) and ($blocked[.id] | not)) | .id
  end
EOF

for data in gastown-issues.jsonl beads-issues.jsonl; do
	test_expect_success TESTDATA,JQ "the real ledger $data: ready and blocked agree with the rules" '
		git init -q "real-$data" && cd "real-$data" &&
		testdata "$data" &&
		gt import -q "$data" &&
		gt list --all --json >ledger &&
		jq -s -r --arg mode blocked -f ../oracle.jq ledger | LC_ALL=C sort >expect &&
		blocked_ids out &&
		LC_ALL=C sort out >actual &&
		test_cmp expect actual &&
		jq -s -r --arg mode ready -f ../oracle.jq ledger | LC_ALL=C sort >expect &&
		ready_ids out &&
		LC_ALL=C sort out >actual &&
		test_cmp expect actual &&
		test_line_count -gt 0 actual
	'
done

test_done
