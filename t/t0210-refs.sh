#!/bin/sh
test_description='lib/refs.c reads and moves refs as git does (loose, packed, locks)'
. ./test-lib.sh

REFS="$GT_UNIT_DIR/test-refs"
Z=0000000000000000000000000000000000000000

test_expect_success 'setup: many refs, packed, with prefixes that nest' '
	git init -q repo && cd repo &&
	git commit -q --allow-empty -m one && c1=$(git rev-parse HEAD) &&
	git commit -q --allow-empty -m two && c2=$(git rev-parse HEAD) &&
	echo $c1 >../c1 && echo $c2 >../c2 &&
	for i in $(seq 1 300); do
		printf "create refs/gastown/beads/gt-%03d %s\n" $i $c1
	done >in &&
	for n in gt-a gt-a.1 gt-a.2 gt-a.10 gt-a.1.1 gt-ab gt-b; do
		printf "create refs/gastown/beads/%s %s\n" $n $c1
	done >>in &&
	git update-ref --stdin <in &&
	git tag -a -m annotated v1 $c1 &&
	git pack-refs --all &&
	head -1 .git/packed-refs >header &&
	test_grep sorted header &&
	git update-ref refs/gastown/beads/gt-150 $c2 &&
	git update-ref refs/gastown/beads/gt-zzz $c2
'

test_expect_success 'read agrees with git for every ref, packed or loose' '
	cd repo &&
	git for-each-ref --format="%(objectname) %(refname)" >expect &&
	"$REFS" read $(cut -d" " -f2 expect) >actual &&
	test_cmp expect actual
'

test_expect_success 'missing refs: between, before and after the packed ones' '
	cd repo &&
	"$REFS" read refs/gastown/beads/gt-0 refs/gastown/beads/gt-a.3 refs/gastown/beads/gt-a. \
		refs/gastown/beads/gt-9999 refs/a refs/zzzz refs/gastown/beads >actual &&
	cat >expect <<-\EOF &&
	missing refs/gastown/beads/gt-0
	missing refs/gastown/beads/gt-a.3
	missing refs/gastown/beads/gt-a.
	missing refs/gastown/beads/gt-9999
	missing refs/a
	missing refs/zzzz
	missing refs/gastown/beads
	EOF
	test_cmp expect actual
'

test_expect_success 'list by prefix: direct children only, loose and packed once each' '
	cd repo &&
	"$REFS" list refs/gastown/beads/gt-a. >actual &&
	printf "refs/gastown/beads/gt-a.%s\n" 1 1.1 10 2 >expect &&
	test_cmp expect actual &&
	"$REFS" list refs/gastown/beads/gt-15 >actual &&
	git for-each-ref --format="%(refname)" "refs/gastown/beads/gt-15*" >expect &&
	test_cmp expect actual
'

test_expect_success 'a packed-refs file that is not sorted is still read right' '
	cd repo &&
	cp .git/packed-refs ../packed.orig &&
	{ echo "# pack-refs with: peeled fully-peeled" && sed 1d ../packed.orig | sort -r -k2; } >.git/packed-refs &&
	git for-each-ref --format="%(objectname) %(refname)" >expect &&
	"$REFS" read $(cut -d" " -f2 expect) >actual &&
	cp ../packed.orig .git/packed-refs &&
	test_cmp expect actual
'

test_expect_success 'update: create, compare-and-swap, conflict' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	"$REFS" update refs/gastown/beads/new $Z $c1 &&
	git rev-parse refs/gastown/beads/new >actual && echo $c1 >expect && test_cmp expect actual &&
	test_expect_code 6 "$REFS" update refs/gastown/beads/new $Z $c2 &&
	test_expect_code 6 "$REFS" update refs/gastown/beads/gt-001 $c2 $c1 &&
	"$REFS" update refs/gastown/beads/gt-001 $c1 $c2 &&
	git rev-parse refs/gastown/beads/gt-001 >actual && echo $c2 >expect && test_cmp expect actual &&
	git fsck --no-dangling
'

test_expect_success 'update: several refs all or nothing; a held lock is refused' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	git for-each-ref >before &&
	test_expect_code 6 "$REFS" update refs/gastown/beads/gt-002 $c1 $c2 refs/gastown/beads/gt-003 $c2 $c1 &&
	git for-each-ref >after && test_cmp before after &&
	touch .git/refs/gastown/beads/gt-004.lock &&
	test_expect_code 8 "$REFS" update refs/gastown/beads/gt-002 $c1 $c2 refs/gastown/beads/gt-004 $c1 $c2 2>err &&
	test_grep "cannot update refs/gastown/beads/gt-004: .*gt-004.lock exists (another git or gt is writing it; if none is running, remove that file)$" err &&
	rm .git/refs/gastown/beads/gt-004.lock &&
	git for-each-ref >after && test_cmp before after &&
	! ls .git/refs/gastown/beads/*.lock 2>/dev/null &&
	"$REFS" update refs/gastown/beads/gt-002 $c1 $c2 refs/gastown/beads/gt-004 $c1 $c2 &&
	"$REFS" read refs/gastown/beads/gt-002 refs/gastown/beads/gt-004 >actual &&
	printf "%s refs/gastown/beads/gt-002\n%s refs/gastown/beads/gt-004\n" $c2 $c2 >expect &&
	test_cmp expect actual &&
	! ls .git/gastown/txn/* 2>/dev/null
'

test_expect_success 'git sees our lock: git update-ref fails while we hold it' '
	cd repo && c1=$(cat ../c1) &&
	: >.git/refs/gastown/beads/gt-005.lock &&
	test_must_fail git update-ref refs/gastown/beads/gt-005 $c1 2>err &&
	test_grep "gt-005.lock" err &&
	rm .git/refs/gastown/beads/gt-005.lock
'

test_expect_success 'a loose ref holding garbage is reported, not guessed' '
	cd repo &&
	echo nonsense >.git/refs/gastown/beads/bad &&
	"$REFS" read refs/gastown/beads/bad >actual &&
	test_grep "^error refs/gastown/beads/bad: refs/gastown/beads/bad: not an object id" actual &&
	rm .git/refs/gastown/beads/bad
'

test_done
