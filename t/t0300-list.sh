#!/bin/sh
test_description='gt list: filters, sorting, --json, --format, -z'
. ./test-lib.sh

T0=1767225600 # 2026-01-01T00:00:00Z

# at <seconds after T0> <command...>: run with the clock set
at() {
	t=$1 && shift &&
	GT_TEST_NOW=$((T0 + t)) "$@"
}

# join_lines <sep> <file>: the lines of file on one line, each followed by sep
join_lines() {
	tr "\n" "$1" <"$2" && echo
}

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	at 10 gt create --id gt-a -t task -p 1 -l ui -l bug -a alice "Alpha task" &&
	at 5 gt create --id gt-b -t bug -p 0 -l bug "Bravo bug" &&
	at 20 gt create --id gt-c -t feature -p 3 "Charlie feature" &&
	at 21 gt close gt-c &&
	at 1 gt create --id gt-d -t epic -a bob "Delta epic" &&
	at 30 gt create --parent gt-d "Delta child" >child &&
	echo gt-d.1 >expect &&
	test_cmp expect child &&
	at 40 gt create --id gt-e -t message -p 4 "Echo message" &&
	at 41 gt update -s in_progress gt-e
'

test_expect_success 'default: every bead that is not closed, by id, porcelain' '
	cd repo &&
	gt list >actual &&
	cat >expect <<-\EOF &&
	gt-a [P1] [task] open @alice - Alpha task
	gt-b [P0] [bug] open - Bravo bug
	gt-d [P2] [epic] open @bob - Delta epic
	gt-d.1 [P2] [task] open - Delta child
	gt-e [P4] [message] in_progress - Echo message
	EOF
	test_cmp expect actual
'

test_expect_success 'git gt list and gt list agree' '
	cd repo &&
	gt list >expect &&
	git gt list >actual &&
	test_cmp expect actual
'

test_expect_success '--all includes closed beads' '
	cd repo &&
	gt list --all --format="%(id) %(status)" >actual &&
	cat >expect <<-\EOF &&
	gt-a open
	gt-b open
	gt-c closed
	gt-d open
	gt-d.1 open
	gt-e in_progress
	EOF
	test_cmp expect actual
'

test_expect_success '--status: one, a comma list, repeated' '
	cd repo &&
	gt list --status closed --format="%(id)" >actual &&
	echo gt-c >expect &&
	test_cmp expect actual &&
	gt list --status closed,in_progress --format="%(id)" >actual &&
	printf "gt-c\ngt-e\n" >expect &&
	test_cmp expect actual &&
	gt list -s in_progress -s closed --format="%(id)" >actual &&
	test_cmp expect actual &&
	gt list --status pinned >actual &&
	test_must_be_empty actual
'

test_expect_success '--status refuses an unknown status' '
	cd repo &&
	test_expect_code 129 gt list --status bogus 2>err &&
	test_grep "^usage error: unknown status .bogus. (open, in_progress, blocked, hooked, pinned, deferred, closed)$" err
'

test_expect_success '--type: one or several' '
	cd repo &&
	gt list --type bug --format="%(id)" >actual &&
	echo gt-b >expect &&
	test_cmp expect actual &&
	gt list --all --type bug,feature --format="%(id)" >actual &&
	printf "gt-b\ngt-c\n" >expect &&
	test_cmp expect actual &&
	gt list -t task --format="%(id)" >actual &&
	printf "gt-a\ngt-d.1\n" >expect &&
	test_cmp expect actual
'

test_expect_success '--assignee, and empty for unassigned' '
	cd repo &&
	gt list --assignee alice --format="%(id)" >actual &&
	echo gt-a >expect &&
	test_cmp expect actual &&
	gt list --assignee= --format="%(id)" >actual &&
	printf "gt-b\ngt-d.1\ngt-e\n" >expect &&
	test_cmp expect actual &&
	gt list --assignee nobody >actual &&
	test_must_be_empty actual
'

test_expect_success '--label: every label given must be there' '
	cd repo &&
	gt list --label bug --format="%(id)" >actual &&
	printf "gt-a\ngt-b\n" >expect &&
	test_cmp expect actual &&
	gt list --label bug --label ui --format="%(id)" >actual &&
	echo gt-a >expect &&
	test_cmp expect actual &&
	gt list -l ui -l nope >actual &&
	test_must_be_empty actual
'

test_expect_success '--priority takes 0-4 or P0-P4' '
	cd repo &&
	gt list --priority 0 --format="%(id)" >actual &&
	echo gt-b >expect &&
	test_cmp expect actual &&
	gt list -p P2 --format="%(id)" >actual &&
	printf "gt-d\ngt-d.1\n" >expect &&
	test_cmp expect actual
'

test_expect_success '--priority refuses anything else' '
	cd repo &&
	test_expect_code 129 gt list --priority 5 2>err &&
	test_grep "^usage error: priority must be 0-4 (or P0-P4), not .5.$" err &&
	test_expect_code 129 gt list --priority high 2>err &&
	test_grep "^usage error: priority must be 0-4 (or P0-P4), not .high.$" err
'

test_expect_success '--parent lists the children' '
	cd repo &&
	gt list --parent gt-d --format="%(id) %(parent)" >actual &&
	echo "gt-d.1 gt-d" >expect &&
	test_cmp expect actual &&
	gt list --parent gt-a >actual &&
	test_must_be_empty actual
'

test_expect_success 'filters combine' '
	cd repo &&
	gt list --all --label bug --type bug --priority 0 --format="%(id)" >actual &&
	echo gt-b >expect &&
	test_cmp expect actual
'

test_expect_success '--sort by each field, ascending and descending' '
	cd repo &&
	gt list --all --sort=priority --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-b gt-a gt-d gt-d.1 gt-c gt-e " >expect &&
	test_cmp expect actual &&
	gt list --all --sort=-priority --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-e gt-c gt-d gt-d.1 gt-a gt-b " >expect &&
	test_cmp expect actual &&
	gt list --all --sort=created --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-d gt-b gt-a gt-c gt-d.1 gt-e " >expect &&
	test_cmp expect actual &&
	gt list --all --sort=-created --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-e gt-d.1 gt-c gt-a gt-b gt-d " >expect &&
	test_cmp expect actual &&
	gt list --all --sort=updated --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-d gt-b gt-a gt-c gt-d.1 gt-e " >expect &&
	test_cmp expect actual &&
	gt list --all --sort=title --format="%(title)" >out &&
	join_lines "|" out >actual &&
	echo "Alpha task|Bravo bug|Charlie feature|Delta child|Delta epic|Echo message|" >expect &&
	test_cmp expect actual &&
	gt list --all --sort=status --format="%(status) %(id)" >out &&
	join_lines "|" out >actual &&
	echo "closed gt-c|in_progress gt-e|open gt-a|open gt-b|open gt-d|open gt-d.1|" >expect &&
	test_cmp expect actual &&
	gt list --all --sort=-id --format="%(id)" >out &&
	join_lines " " out >actual &&
	echo "gt-e gt-d.1 gt-d gt-c gt-b gt-a " >expect &&
	test_cmp expect actual
'

test_expect_success '--sort refuses an unknown field' '
	cd repo &&
	test_expect_code 129 gt list --sort=size 2>err &&
	test_grep "^usage error: unknown sort key .size. (id, priority, created, updated, title or status, with .-. for descending)$" err
'

test_expect_success '--limit' '
	cd repo &&
	gt list --limit 2 --format="%(id)" >actual &&
	printf "gt-a\ngt-b\n" >expect &&
	test_cmp expect actual &&
	gt list --sort=-priority -n 1 --format="%(id)" >actual &&
	echo gt-e >expect &&
	test_cmp expect actual &&
	gt list --limit 0 >actual &&
	test_line_count = 5 actual &&
	test_expect_code 129 gt list --limit -1 2>err &&
	test_grep "^usage error: --limit must not be negative$" err &&
	test_expect_code 129 gt list --limit many 2>err &&
	test_grep "^usage error: option .--limit. expects an integer, not .many.$" err
'

test_expect_success JQ '--json: the snapshot of each bead, one object per line' '
	cd repo &&
	gt list --all --json >actual &&
	test_line_count = 6 actual &&
	for id in gt-a gt-b gt-c gt-d gt-d.1 gt-e; do
		gt show --json $id || return 1
	done >expect &&
	test_cmp expect actual &&
	jq -r .id actual >ids &&
	printf "gt-a\ngt-b\ngt-c\ngt-d\ngt-d.1\ngt-e\n" >expect &&
	test_cmp expect ids
'

test_expect_success '--format: the atoms' '
	cd repo &&
	gt list --status open --sort=priority --limit 2 \
		--format="%(id)|%(title)|%(status)|%(priority)|%(type)|%(issue_type)|%(assignee)|%(labels)|%(created_at)|%(updated_at)|%(closed_at)|%(parent)" >actual &&
	cat >expect <<-\EOF &&
	gt-b|Bravo bug|open|0|bug|bug||bug|2026-01-01T00:00:05Z|2026-01-01T00:00:05Z||
	gt-a|Alpha task|open|1|task|task|alice|ui,bug|2026-01-01T00:00:10Z|2026-01-01T00:00:10Z||
	EOF
	test_cmp expect actual &&
	gt list --status closed --format="%(closed_at)" >actual &&
	echo 2026-01-01T00:00:21Z >expect &&
	test_cmp expect actual
'

test_expect_success '--format: other members, as strings or compact JSON' '
	cd repo &&
	gt list --type epic --format="%(created_by)|%(no_such_member)|%(dependencies)" >actual &&
	echo "tester||" >expect &&
	test_cmp expect actual &&
	gt list --parent gt-d --format="%(dependencies)" >actual &&
	test_grep "^\[{.*\"depends_on_id\":\"gt-d\".*\"type\":\"parent-child\".*}\]$" actual
'

test_expect_success JQ '--format: %(json) is the --json object' '
	cd repo &&
	gt list --json >expect &&
	gt list --format="%(json)" >actual &&
	test_cmp expect actual
'

test_expect_success '--format: escapes %%, %n, %xHH and %HH' '
	cd repo &&
	gt list --type bug --format="100%%%n%(id)%x09x%41%x00" >actual &&
	printf "100%%\ngt-b\tx\101\000\n" >expect &&
	test_cmp expect actual
'

test_expect_success '--format: malformed formats are usage errors' '
	cd repo &&
	test_expect_code 129 gt list --format="%(id" 2>err &&
	test_grep "^usage error: unterminated format atom .%(id.$" err &&
	test_expect_code 129 gt list --format="%()" 2>err &&
	test_grep "^usage error: empty format atom .%().$" err &&
	test_expect_code 129 gt list --format="%(title:short)" 2>err &&
	test_grep "^usage error: unknown format atom .%(title:short).: atoms take no modifiers$" err &&
	test_expect_code 129 gt list --format="%(a b)" 2>err &&
	test_grep "^usage error: malformed format atom .%(a b).: names are letters, digits, ._. and .-.$" err &&
	test_expect_code 129 gt list --format="%q" 2>err &&
	test_grep "^usage error: unknown format escape .%q. (use .%%. for a literal .%.)$" err &&
	test_expect_code 129 gt list --format="50%" 2>err &&
	test_grep "^usage error: format ends with a lone .%. (use .%%. for a literal .%.)$" err &&
	test_expect_code 129 gt list --format="%xZZ" 2>err &&
	test_grep "^usage error: bad hex escape .%xZZ. in format (use %xHH)$" err
'

test_expect_success '--json and --format are incompatible' '
	cd repo &&
	test_expect_code 129 gt list --json --format="%(id)" 2>err &&
	test_grep "^usage error: --json and --format cannot be used together$" err
'

test_expect_success '-z ends records with NUL' '
	cd repo &&
	gt list -z --type bug,task --format="%(id)" >actual &&
	printf "gt-a\000gt-b\000gt-d.1\000" >expect &&
	test_cmp expect actual &&
	gt list -z --type bug >actual &&
	printf "gt-b [P0] [bug] open - Bravo bug\000" >expect &&
	test_cmp expect actual
'

test_expect_success JQ '-z with --json' '
	cd repo &&
	gt list -z --json --type bug >actual &&
	tr "\000" "\n" <actual >lines &&
	gt list --json --type bug >expect &&
	test_cmp expect lines
'

test_expect_success 'arguments are refused' '
	cd repo &&
	test_expect_code 129 gt list gt-a 2>err &&
	test_grep "^usage error: unexpected argument .gt-a.$" err &&
	test_expect_code 129 gt list --bogus 2>err &&
	test_grep "^usage error: unknown option .--bogus.$" err
'

test_expect_success '-h prints the usage on stdout' '
	test_expect_code 129 gt list -h >out &&
	test_grep "^usage: gt list" out &&
	test_grep "sort=<field>" out
'

test_expect_success 'an empty ledger lists nothing and exits 0' '
	git init -q empty && cd empty &&
	gt list >actual &&
	test_must_be_empty actual &&
	gt list --all --json >actual &&
	test_must_be_empty actual
'

test_expect_success 'outside a repository' '
	mkdir nogit && cd nogit &&
	GIT_CEILING_DIRECTORIES=$PWD/.. test_expect_code 2 gt list 2>err &&
	test_grep "^fatal: not a git repository (run .git init. first)$" err
'

write_bead() {
	snap=$(printf "%s" "$2" | git hash-object -w --stdin) &&
	op=$(echo "{\"type\":\"bead.create\",\"clock\":1,\"time\":0,\"actor\":\"tester\",\"changes\":[]}" |
		git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tbead.json\n100644 blob %s\top.json\n" "$snap" "$op" | git mktree) &&
	commit=$(git commit-tree -m "bead.create: $1" "$tree") &&
	git update-ref "refs/gastown/beads/$1" "$commit"
}

test_expect_success 'a tombstoned bead is never listed' '
	cd repo &&
	write_bead gt-t "{\"id\":\"gt-t\",\"title\":\"gone\",\"status\":\"open\",\"tombstone\":true}" &&
	gt list --all --format="%(id)" >actual &&
	test_grep -v "^gt-t$" actual &&
	test_line_count = 6 actual
'

test_expect_success 'a damaged bead is skipped with a warning; the rest is listed' '
	cd repo &&
	blob=$(echo not a commit | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/gt-x "$blob" &&
	test_when_finished "git update-ref -d refs/gastown/beads/gt-x" &&
	gt list --all --format="%(id)" >actual 2>err &&
	test_line_count = 6 actual &&
	echo "warning: skipping damaged bead: refs/gastown/beads/gt-x: points to a blob, not a commit (see '\''gt fsck'\'')" >expect &&
	test_cmp expect err
'

test_expect_success 'members the index does not keep are read from the snapshot' '
	cd repo &&
	write_bead gt-odd "{\"id\":\"gt-odd\",\"title\":\"Odd\",\"status\":\"open\",\"priority\":\"high\",\"labels\":[\"x\",3],\"estimate\":{\"h\":2},\"flag\":true,\"n\":1.5,\"nil\":null}" &&
	gt list --parent none --format=x >/dev/null &&
	gt list --format="%(id)|%(priority)|%(labels)|%(estimate)|%(flag)|%(n)|%(nil)|%(type)" >actual &&
	grep "^gt-odd" actual >odd &&
	echo "gt-odd||x|{\"h\":2}|true|1.5||" >expect &&
	test_cmp expect odd &&
	gt list --format="%(id)" --type task >actual &&
	test_grep "^gt-odd$" actual &&
	gt list >actual &&
	test_grep "^gt-odd \[P-\] \[task\] open - Odd$" actual
'

test_expect_success 'titles with newlines stay on one porcelain line' '
	cd repo &&
	write_bead gt-nl "{\"id\":\"gt-nl\",\"title\":\"two\nlines\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\"}" &&
	gt list --priority 1 --type task >actual &&
	test_grep "^gt-nl \[P1\] \[task\] open - two lines$" actual
'

test_expect_success TESTDATA,JQ 'the real gastown ledger: every bead, every status' '
	git init -q real && cd real &&
	testdata gastown-issues.jsonl &&
	gt import -q gastown-issues.jsonl &&
	gt list --all --format="%(id)" >ids &&
	jq -r .id gastown-issues.jsonl | LC_ALL=C sort >expect &&
	test_cmp expect ids &&
	gt list --format="%(id) %(status)" >open &&
	jq -r "select(.status != \"closed\") | .id + \" \" + .status" gastown-issues.jsonl |
		LC_ALL=C sort >expect &&
	test_cmp expect open &&
	for s in open closed in_progress hooked pinned; do
		gt list --status $s >out &&
		jq -r "select(.status == \"$s\") | .id" gastown-issues.jsonl >want &&
		test_line_count = $(wc -l <want) out || return 1
	done
'

test_expect_success TESTDATA,JQ 'the real ledger: --json keeps the imported members' '
	cd real &&
	gt list --all --json >all &&
	test_line_count = $(wc -l <gastown-issues.jsonl) all &&
	jq -c "{id, title, status, priority, issue_type, labels}" all | LC_ALL=C sort >actual &&
	jq -c "{id, title, status, priority, issue_type, labels}" gastown-issues.jsonl | LC_ALL=C sort >expect &&
	test_cmp expect actual
'

test_expect_success TESTDATA,JQ 'the real ledger: labels and assignee filters agree with jq' '
	cd real &&
	gt list --all --label gt:message --format="%(id)" >actual &&
	jq -r "select((.labels // []) | index(\"gt:message\")) | .id" gastown-issues.jsonl |
		LC_ALL=C sort >expect &&
	test_cmp expect actual &&
	gt list --all --assignee gastown/witness --format="%(id)" >actual &&
	jq -r "select(.assignee == \"gastown/witness\") | .id" gastown-issues.jsonl |
		LC_ALL=C sort >expect &&
	test_cmp expect actual
'

test_done
