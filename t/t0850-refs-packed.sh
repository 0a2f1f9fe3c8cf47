#!/bin/sh
test_description='many refs moved by one packed-refs rewrite: compare-and-swap, locks, git agrees'
. ./test-lib.sh

REFS="$GT_UNIT_DIR/test-refs"
Z=0000000000000000000000000000000000000000

# keep_fresh <file>: touch it five times a second for 12 s, in the
# background (a lock its holder is still using); stop_fresh ends that
keep_fresh() {
	(for i in $(seq 60); do touch "$1"; sleep 0.2; done) &
	toucher=$!
}
stop_fresh() { kill $toucher 2>/dev/null; wait $toucher 2>/dev/null; :; }

# lock_config <line>...: gt's own settings here, lines of [core] (gt reads
# them from .git/gastown/config, not from git's configuration)
lock_config() {
	mkdir -p .git/gastown && { echo "[core]"; printf "\t%s\n" "$@"; } >.git/gastown/config
}

# in_background <out> <command...>: run it in the background, its output
# in <out>, its pid in $bg
in_background() {
	out=$1; shift
	"$@" >"$out" &
	bg=$!
}

# wait_packed <oid> <ref>: until packed-refs says so (at most 10 s)
wait_packed() {
	for i in $(seq 100); do
		grep -q "^$1 $2\$" .git/packed-refs && return 0
		sleep 0.1
	done
	echo >&2 "packed-refs never got $2 at $1"; return 1
}

test_expect_success 'setup: packed refs, a peeled tag, a loose ref' '
	git init -q repo && cd repo &&
	git commit -q --allow-empty -m one && c1=$(git rev-parse HEAD) &&
	git commit -q --allow-empty -m two && c2=$(git rev-parse HEAD) &&
	git commit -q --allow-empty -m three && c3=$(git rev-parse HEAD) &&
	echo $c1 >../c1 && echo $c2 >../c2 && echo $c3 >../c3 &&
	for i in $(seq 1 20); do
		printf "create refs/gastown/beads/gt-%03d %s\n" $i $c1
	done | git update-ref --stdin &&
	git tag -a -m annotated v1 $c1 &&
	git pack-refs --all &&
	git update-ref refs/gastown/beads/gt-loose $c1 &&
	test -f .git/refs/gastown/beads/gt-loose
'

test_expect_success 'create many refs at once: packed, sorted, nothing loose, git agrees' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	for i in $(seq 1 500); do
		printf "refs/gastown/beads/new-%04d %s %s\n" $i $Z $c2
	done >in &&
	"$REFS" update-packed <in >out &&
	test_line_count = 500 out &&
	! grep -v "^moved " out &&
	! test -e .git/refs/gastown/beads/new-0001 &&
	! test -e .git/packed-refs.lock &&
	head -1 .git/packed-refs >header &&
	test_grep "^# pack-refs with:.* sorted" header &&
	git for-each-ref --format="%(refname)" "refs/gastown/beads/new-*" >names &&
	test_line_count = 500 names &&
	test "$(git rev-parse refs/gastown/beads/new-0250)" = $c2 &&
	test "$(git rev-parse refs/gastown/beads/gt-007)" = $c1 &&
	test "$(git rev-parse v1^{commit})" = $c1 &&
	grep "^\^$c1" .git/packed-refs &&
	git fsck --no-dangling
'

test_expect_success 'an update of a loose ref packs it and removes its file' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	"$REFS" update-packed refs/gastown/beads/gt-loose $c1 $c2 \
		refs/gastown/beads/gt-001 $c1 $c2 >out &&
	cat >expect <<-EOF &&
	moved refs/gastown/beads/gt-loose
	moved refs/gastown/beads/gt-001
	EOF
	test_cmp expect out &&
	! test -e .git/refs/gastown/beads/gt-loose &&
	! test -e .git/refs/gastown/beads/gt-loose.lock &&
	grep "^$c2 refs/gastown/beads/gt-loose$" .git/packed-refs &&
	test "$(git rev-parse refs/gastown/beads/gt-loose)" = $c2
'

test_expect_success 'a packed-refs without "sorted" that names a ref twice: every copy is replaced' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	cp .git/packed-refs ../packed.saved &&
	test_when_finished "cp ../packed.saved .git/packed-refs" &&
	{ echo "# pack-refs with: peeled" &&
	  grep -v "^#" ../packed.saved &&
	  echo "$c1 refs/gastown/beads/gt-dup" &&
	  echo "$c1 refs/gastown/beads/gt-dup"; } >.git/packed-refs &&
	"$REFS" update-packed refs/gastown/beads/gt-dup $c1 $c2 >out &&
	echo "moved refs/gastown/beads/gt-dup" >expect &&
	test_cmp expect out &&
	grep " refs/gastown/beads/gt-dup$" .git/packed-refs >lines &&
	echo "$c2 refs/gastown/beads/gt-dup" >expect &&
	test_cmp expect lines &&
	test "$(git rev-parse refs/gastown/beads/gt-dup)" = $c2
'

test_expect_success 'a ref that moved: conflict, nothing written, its value reported' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) && c3=$(cat ../c3) &&
	cp .git/packed-refs before &&
	test_expect_code 6 "$REFS" update-packed refs/gastown/beads/gt-002 $c1 $c3 \
		refs/gastown/beads/gt-001 $c1 $c3 refs/gastown/beads/new-0001 $Z $c3 >out &&
	cat >expect <<-EOF &&
	kept refs/gastown/beads/gt-002 $c1
	kept refs/gastown/beads/gt-001 $c2
	kept refs/gastown/beads/new-0001 $c2
	EOF
	test_cmp expect out &&
	test_cmp before .git/packed-refs &&
	! test -e .git/packed-refs.lock
'

test_expect_success 'a ref to delete-or-create that vanished counts as moved' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	test_expect_code 6 "$REFS" update-packed refs/gastown/beads/never $c1 $c3 >out &&
	echo "kept refs/gastown/beads/never $Z" >expect &&
	test_cmp expect out &&
	test_must_fail git rev-parse -q --verify refs/gastown/beads/never
'

test_expect_success 'a ref named twice is refused' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	test_expect_code 5 "$REFS" update-packed refs/gastown/beads/gt-003 $c1 $c3 \
		refs/gastown/beads/gt-003 $c1 $c3 2>err &&
	test_grep "refs/gastown/beads/gt-003 is updated twice" err
'

test_expect_success 'a symbolic ref is refused, not followed' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	git symbolic-ref refs/gastown/beads/sym refs/gastown/beads/gt-004 &&
	test_when_finished "git symbolic-ref -d refs/gastown/beads/sym" &&
	test_expect_code 9 "$REFS" update-packed refs/gastown/beads/sym $c1 $c3 2>err &&
	test_grep "refs/gastown/beads/sym is not a commit id (a symbolic ref)" err &&
	! test -e .git/packed-refs.lock &&
	test "$(git rev-parse refs/gastown/beads/gt-004)" = $c1
'

test_expect_success 'packed-refs held by another process: waited for, then refused' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	lock_config "staleLockSeconds = 1" &&
	test_when_finished "rm -f .git/gastown/config; rm -f .git/packed-refs.lock" &&
	: >.git/packed-refs.lock &&
	keep_fresh .git/packed-refs.lock &&
	test_expect_code 8 "$REFS" update-packed refs/gastown/beads/gt-005 $c1 $c3 2>err &&
	stop_fresh &&
	test_grep "packed-refs stays locked by another process (remove .*packed-refs.lock if no gt or git command is running)" err &&
	test "$(git rev-parse refs/gastown/beads/gt-005)" = $c1
'

# As for one ref (t0700): a lock that will not turn stale for an hour
test_expect_success 'core.lockTimeoutSeconds bounds the wait for packed-refs.lock' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	lock_config "staleLockSeconds = 3600" "lockTimeoutSeconds = 1" &&
	test_when_finished "rm -f .git/gastown/config .git/packed-refs.lock" &&
	: >.git/packed-refs.lock &&
	start=$(date +%s) &&
	test_expect_code 8 "$REFS" update-packed refs/gastown/beads/gt-005 $c1 $c3 2>err &&
	test $(($(date +%s) - start)) -lt 30 &&
	test_grep "packed-refs stays locked by another process" err &&
	test "$(git rev-parse refs/gastown/beads/gt-005)" = $c1
'

test_expect_success 'a stale packed-refs.lock (a crashed process) is broken' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	lock_config "staleLockSeconds = 1" &&
	test_when_finished "rm -f .git/gastown/config" &&
	: >.git/packed-refs.lock &&
	touch -d "@$(($(date +%s) - 60))" .git/packed-refs.lock &&
	"$REFS" update-packed refs/gastown/beads/gt-005 $c1 $c3 >out &&
	echo "moved refs/gastown/beads/gt-005" >expect &&
	test_cmp expect out &&
	! test -e .git/packed-refs.lock &&
	test "$(git rev-parse refs/gastown/beads/gt-005)" = $c3
'

test_expect_success 'the lock of a loose ref, held: waited for, then refused' '
	cd repo && c1=$(cat ../c1) && c3=$(cat ../c3) &&
	mkdir -p .git/refs/gastown/beads && echo $c1 >.git/refs/gastown/beads/gt-006 &&
	test -f .git/refs/gastown/beads/gt-006 &&
	lock_config "staleLockSeconds = 1" &&
	test_when_finished "rm -f .git/gastown/config; rm -f .git/refs/gastown/beads/gt-006.lock" &&
	: >.git/refs/gastown/beads/gt-006.lock &&
	keep_fresh .git/refs/gastown/beads/gt-006.lock &&
	test_expect_code 8 "$REFS" update-packed refs/gastown/beads/gt-006 $c1 $c3 2>err &&
	stop_fresh &&
	test_grep "refs/gastown/beads/gt-006 stays locked by another process" err &&
	! test -e .git/packed-refs.lock &&
	test "$(git rev-parse refs/gastown/beads/gt-006)" = $c1
'

test_expect_success 'a writer that read the old value and wrote a loose ref after us wins' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) && c3=$(cat ../c3) &&
	# gt-008 and gt-009 are packed only; a writer holds gt-009.lock and
	# writes its loose value once we have rewritten packed-refs
	! test -e .git/refs/gastown/beads/gt-009 &&
	: >.git/refs/gastown/beads/gt-009.lock &&
	in_background out "$REFS" update-packed refs/gastown/beads/gt-008 $c1 $c3 \
		refs/gastown/beads/gt-009 $c1 $c3 &&
	ours=$bg &&
	wait_packed $c3 refs/gastown/beads/gt-009 &&
	echo $c2 >.git/refs/gastown/beads/gt-009.lock &&
	mv .git/refs/gastown/beads/gt-009.lock .git/refs/gastown/beads/gt-009 &&
	test_expect_code 6 wait $ours &&
	cat >expect <<-EOF &&
	moved refs/gastown/beads/gt-008
	kept refs/gastown/beads/gt-009 $c2
	EOF
	test_cmp expect out &&
	test "$(git rev-parse refs/gastown/beads/gt-008)" = $c3 &&
	test "$(git rev-parse refs/gastown/beads/gt-009)" = $c2
'

test_expect_success 'a writer after us that built on our value is no conflict' '
	cd repo && c1=$(cat ../c1) && c2=$(cat ../c2) &&
	! test -e .git/refs/gastown/beads/gt-010 &&
	: >.git/refs/gastown/beads/gt-010.lock &&
	in_background out "$REFS" update-packed refs/gastown/beads/gt-010 $c1 $c2 &&
	ours=$bg &&
	wait_packed $c2 refs/gastown/beads/gt-010 &&
	c4=$(git commit-tree -p $c2 -m four $(git rev-parse $c2^{tree})) &&
	echo $c4 >.git/refs/gastown/beads/gt-010.lock &&
	mv .git/refs/gastown/beads/gt-010.lock .git/refs/gastown/beads/gt-010 &&
	wait $ours &&
	echo "moved refs/gastown/beads/gt-010" >expect &&
	test_cmp expect out &&
	test "$(git rev-parse refs/gastown/beads/gt-010)" = $c4
'

test_done
