#!/bin/sh
test_description='gt sync: one id given to two beads on two clones'
. ./test-lib.sh

tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/; }
same_state() {
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	(cd a && gt export) >export-a && (cd b && gt export) >export-b &&
	test_cmp export-a export-b
}

test_expect_success 'setup: a bare remote, two clones, a shared parent' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done &&
	(cd a && gt create --id bd-p "Epic" >/dev/null && gt sync -q) &&
	(cd b && gt sync -q && gt show bd-p >/dev/null)
'

test_expect_success 'the same id on both clones: both beads survive, the younger is renamed' '
	(cd a && GT_TEST_NOW=1800000000 gt create --id bd-x "Made on a" >/dev/null && gt sync -q) &&
	(cd b && GT_TEST_NOW=1800000100 gt create --id bd-x "Made on b" >/dev/null && gt sync) >out &&
	grep "^renamed bd-x -> bd-x-[0-9a-z]\{4\} (another bead had the same id)$" out &&
	new=$(sed -n "s/^renamed bd-x -> \(bd-x-[0-9a-z]*\) .*/\1/p" out) &&
	(cd a && gt sync -v) >out-a &&
	grep "^new      $new$" out-a && echo "$new" >new-id &&
	same_state &&
	(cd a && gt show --json bd-x) | jq -r .title >t && echo "Made on a" >expect && test_cmp expect t &&
	(cd a && gt show --json "$new") | jq -r "[.id, .title, (.aliases | join(\",\"))] | @tsv" >t &&
	printf "%s\tMade on b\tbd-x\n" "$new" >expect && test_cmp expect t
'

test_expect_success 'the renamed bead keeps its whole history and passes fsck' '
	new=$(cat new-id) &&
	git -C a log --format=%s "refs/gastown/beads/$new" >log &&
	test_line_count = 2 log &&
	head -n 1 log | grep "^rename: $new" &&
	(cd a && gt fsck) && (cd b && gt fsck)
'

test_expect_success 'children <parent>.<n> made on both clones, with a dependency on b' '
	(cd a && GT_TEST_NOW=1800001000 gt create --parent bd-p "Step by a" >id-a) &&
	(cd b && GT_TEST_NOW=1800002000 gt create --parent bd-p "Step by b" >id-b &&
	 gt create --id bd-user "Needs b step" >/dev/null &&
	 gt dep add bd-user bd-p.1) &&
	test "$(cat a/id-a)" = bd-p.1 && test "$(cat b/id-b)" = bd-p.1 &&
	(cd a && gt sync -q) && (cd b && gt sync) >out &&
	grep "^renamed bd-p.1 -> bd-p.1-[0-9a-z]\{4\} " out &&
	(cd a && gt sync -q) && (cd b && gt sync -q) &&
	same_state
'

test_expect_success 'the dependency written beside the renamed child follows it' '
	new=$(cd a && gt list --json --parent bd-p | jq -r "select(.title == \"Step by b\") | .id") &&
	case "$new" in bd-p.1-*) ;; *) false ;; esac &&
	(cd a && gt dep list bd-user) >deps &&
	echo "blocks $new" >expect && test_cmp expect deps &&
	(cd a && gt show --json bd-p.1) | jq -r .title >t && echo "Step by a" >expect && test_cmp expect t &&
	(cd a && gt show --json "$new") | jq -r "[.parent, (.dependencies[] | select(.type == \"parent-child\") | .issue_id)] | @tsv" >t &&
	printf "bd-p\t%s\n" "$new" >expect && test_cmp expect t
'

test_expect_success 'a third clone reaches the same state' '
	git init -q c3 && git -C c3 remote add origin ../hub.git &&
	(cd c3 && gt init -q && gt sync -q && gt export) >export-c &&
	(cd a && gt export) >export-a && test_cmp export-a export-c
'

test_done
