#!/bin/sh
test_description='nothing lost: concurrent writers, crashes, a full disk, a read-only repository, bad input'
. "$(dirname "$0")/test-lib.sh"

# The multi-ref crash uses the test hook of lib/txn.c: with
# GT_TEST_CRASH_AFTER_JOURNAL set, gt_txn_commit() calls _exit(137) right
# after the journal is written, every ref locked and none moved yet.
# t/unit/test-writer writes such a transaction (and loops of writes).
WRITER="$GT_UNIT_DIR/test-writer"

# A private mount namespace in which we may mount: as root "unshare -m",
# otherwise a user namespace "unshare -rm" when the kernel allows it.
if unshare -m true 2>/dev/null; then
	UNSHARE="unshare -m"
elif unshare -rm true 2>/dev/null; then
	UNSHARE="unshare -rm"
fi
mkdir -p probe-mnt
if test -n "$UNSHARE" &&
   $UNSHARE sh -c 'mount -t tmpfs -o size=64k tmpfs probe-mnt &&
		   mount --bind probe-mnt probe-mnt && mount -o remount,bind,ro probe-mnt' 2>/dev/null
then
	test_set_prereq MOUNT_NS
fi
rmdir probe-mnt

# Comments per writer in (a): 8 writers x 50 = 400 comments. Under the
# sanitizers (make sanitize) every process start costs ~0.2 s, so fewer:
# that run is about memory errors, this one about lost updates.
per_writer=50
test -n "$GT_TEST_SANITIZE" && per_writer=10

# A random number 0-255.
random_byte() { od -An -N1 -tu1 /dev/urandom | tr -d " "; }

# Every ref of the ledger with its value, and the loose ref files.
ledger_state() {
	git for-each-ref refs/gastown refs/gastown-local &&
	(cd .git && find refs/gastown -type f 2>/dev/null | sort)
}

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt create --id gt-b "Beta" >/dev/null &&
	gt comment gt-a "an early comment"
'

# --- (a) many writers at once ------------------------------------------------

test_expect_success JQ "8 writers at once, $((8 * per_writer)) comments on 5 beads: every one is there" '
	cd repo &&
	for b in 0 1 2 3 4; do
		gt create --id gt-c$b "Contended $b" >/dev/null || return 1
	done &&
	for p in 1 2 3 4 5 6 7 8; do
		(
			i=0
			while test $i -lt $per_writer; do
				gt comment gt-c$((i % 5)) "p$p-$i" 2>>../writer.err ||
					echo "p$p-$i" >>../failed
				i=$((i + 1))
			done
		) &
	done &&
	wait &&
	test_must_be_empty ../writer.err &&
	! test -e ../failed &&
	for b in 0 1 2 3 4; do
		git cat-file -p refs/gastown/beads/gt-c$b:bead.json | jq ".comments|length" || return 1
	done >counts &&
	n=$((8 * per_writer / 5)) &&
	printf "$n\n$n\n$n\n$n\n$n\n" >expect &&
	test_cmp expect counts &&
	for b in 0 1 2 3 4; do
		git cat-file -p refs/gastown/beads/gt-c$b:bead.json | jq -r ".comments[].text" || return 1
	done | sort >texts &&
	for p in 1 2 3 4 5 6 7 8; do
		i=0
		while test $i -lt $per_writer; do
			echo "p$p-$i"
			i=$((i + 1))
		done
	done | sort >expect &&
	test_cmp expect texts
'

test_expect_success JQ 'after the race every comment has its own number and the ledger is clean' '
	cd repo &&
	for b in 0 1 2 3 4; do
		git cat-file -p refs/gastown/beads/gt-c$b:bead.json |
		jq -c "[.comments[].id] == [range(1; $((8 * per_writer / 5 + 1)))]" || return 1
	done | sort -u >ids &&
	echo true >expect &&
	test_cmp expect ids &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^0 problems, 0 warnings in 7 refs" err
'

# --- (b) writers killed at random moments -------------------------------------

test_expect_success 'stale locks: a short core.staleLockSeconds' '
	git init -q killed && cd killed &&
	gt create --id gt-a "Alpha" >/dev/null &&
	mkdir -p .git/gastown &&
	printf "[core]\n\tstaleLockSeconds = 1\n" >>.git/gastown/config
'

test_expect_success 'a writer killed at random moments never leaves a ref on an incomplete commit' '
	cd killed &&
	round=0 &&
	while test $round -lt 40; do
		ms=$((30 + $(random_byte) * 100 / 256)) || return 1
		"$WRITER" loop k$round 2000 2>/dev/null &
		pid=$!
		sleep $(printf "0.%03d" $ms)
		kill -9 $pid
		wait $pid
		test $? = 137 || { echo "the writer was not killed"; return 1; }
		gt fsck -q || { gt fsck; echo "damage after round $round"; return 1; }
		round=$((round + 1))
	done &&
	git for-each-ref refs/gastown/beads/k* >killed &&
	test_line_count -gt 0 killed
'

test_expect_success 'the next writer gets past the lock files of killed writers' '
	cd killed &&
	: a lock file as a killed writer leaves it, whatever the rounds left &&
	touch .git/refs/gastown/beads/gt-a.lock .git/refs/gastown/beads/gt-new.lock &&
	(cd .git/refs/gastown/beads && ls *.lock) >locks &&
	while read lock; do
		id=${lock%.lock}
		if git rev-parse -q --verify refs/gastown/beads/$id >/dev/null; then
			gt comment $id "written after the crash" || return 1
		else
			gt create --id $id "Created after the crash" >/dev/null || return 1
		fi
	done <locks &&
	find .git/refs/gastown -name "*.lock" >left &&
	test_must_be_empty left &&
	gt show --json gt-a >a.json &&
	test_grep "written after the crash" a.json &&
	gt show gt-new >/dev/null &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep -v "stale lock" err
'

# --- (c) a full disk ---------------------------------------------------------

test_expect_success MOUNT_NS 'a full disk: the write fails with one line, the ledger is intact' '
	mkdir disk &&
	cat >disk.sh <<-\EOF &&
	mount -t tmpfs -o size=512k tmpfs disk || exit 1
	git init -q disk/repo && cd disk/repo || exit 1
	gt create --id gt-a "Alpha" >/dev/null && gt comment gt-a "before the disk filled" &&
	gt create --id gt-b "Beta" >/dev/null || exit 1
	git for-each-ref refs/gastown >../../refs.before
	gt show --json gt-a gt-b >../../show.before || exit 1
	dd if=/dev/zero of=../filler bs=4k 2>/dev/null
	gt create --id gt-c "Gamma" >../../create.out 2>../../create.err
	echo $? >../../create.status
	gt comment gt-a "when the disk is full" 2>../../comment.err
	echo $? >../../comment.status
	git for-each-ref refs/gastown >../../refs.full
	gt show --json gt-a gt-b >../../show.full
	gt fsck >../../fsck.full 2>&1
	echo $? >../../fsck.status
	rm ../filler
	gt comment gt-a "after some space was freed" 2>../../after.err
	echo $? >../../after.status
	gt fsck -q
	echo $? >../../fsck-after.status
	EOF
	$UNSHARE sh disk.sh &&
	echo 128 >expect &&
	test_cmp expect create.status &&
	test_cmp expect comment.status &&
	test_must_be_empty create.out &&
	test_line_count = 1 create.err &&
	test_grep "^fatal: .*No space left on device$" create.err &&
	test_line_count = 1 comment.err &&
	test_grep "^fatal: .*No space left on device$" comment.err &&
	test_cmp refs.before refs.full &&
	test_cmp show.before show.full &&
	echo 0 >expect &&
	test_cmp expect fsck.status &&
	test_grep "^0 problems" fsck.full &&
	test_cmp expect after.status &&
	test_must_be_empty after.err &&
	test_cmp expect fsck-after.status
'

test_expect_success 'a file size limit (ulimit -f): the write fails with one line, the ledger is intact' '
	cd repo &&
	ledger_state >before &&
	gt show --json gt-a gt-b >show.before &&
	: random hex, as large as one argument may be, compresses to 50 KB &&
	head -c 60000 /dev/urandom | od -An -tx1 | tr -d " \n" | head -c 100000 >big &&
	(
		trap "" XFSZ
		ulimit -f 16 &&
		gt create -d "$(cat big)" "Too big for the disk"
	) >out 2>err
	test $? = 128 &&
	test_must_be_empty out &&
	test_line_count = 1 err &&
	test_grep "^fatal: cannot write object" err &&
	ledger_state >after &&
	test_cmp before after &&
	gt show --json gt-a gt-b >show.after &&
	test_cmp show.before show.after &&
	gt fsck -q
'

test_expect_success 'the error of a file size limit names the cause' '
	cd repo &&
	(
		trap "" XFSZ
		ulimit -f 16 &&
		gt create -d "$(cat big)" "Too big for the disk"
	) 2>err
	test_grep "File too large" err
'

# --- (d) a read-only repository ----------------------------------------------

test_expect_success MOUNT_NS 'a read-only repository: an error, nothing changed' '
	cd repo &&
	ledger_state >../ro.before &&
	cd .. &&
	cat >ro.sh <<-\EOF &&
	mount --bind repo repo && mount -o remount,bind,ro repo || exit 1
	cd repo
	gt create --id gt-ro "Read-only" >../ro-create.out 2>../ro-create.err
	echo $? >../ro-create.status
	gt comment gt-a "on a read-only disk" 2>../ro-comment.err
	echo $? >../ro-comment.status
	gt fsck --repair >../ro-fsck.out 2>&1
	echo $? >../ro-fsck.status
	EOF
	$UNSHARE sh ro.sh &&
	echo 128 >expect &&
	test_cmp expect ro-create.status &&
	test_cmp expect ro-comment.status &&
	test_must_be_empty ro-create.out &&
	test_line_count = 1 ro-create.err &&
	test_grep "^fatal: .*Read-only file system$" ro-create.err &&
	test_line_count = 1 ro-comment.err &&
	test_grep "^fatal: .*Read-only file system$" ro-comment.err &&
	echo 0 >expect &&
	test_cmp expect ro-fsck.status &&
	cd repo &&
	ledger_state >../ro.after &&
	test_cmp ../ro.before ../ro.after
'

test_expect_success MOUNT_NS 'read-only refs (objects writable): an error, nothing changed' '
	cd repo &&
	ledger_state >../ro.before &&
	cat >../ro-refs.sh <<-\EOF &&
	mount --bind .git/refs .git/refs && mount -o remount,bind,ro .git/refs || exit 1
	gt comment gt-a "refs are read-only" 2>../ro-refs.err
	echo $? >../ro-refs.status
	EOF
	$UNSHARE sh ../ro-refs.sh &&
	echo 128 >expect &&
	test_cmp expect ../ro-refs.status &&
	test_line_count = 1 ../ro-refs.err &&
	test_grep "^fatal: cannot update refs/gastown/beads/gt-a: .*Read-only file system$" ../ro-refs.err &&
	ledger_state >../ro.after &&
	test_cmp ../ro.before ../ro.after &&
	gt fsck -q
'

test_expect_success NOT_ROOT 'a repository without write permission: an error, nothing changed' '
	cd repo &&
	ledger_state >../ro.before &&
	chmod -R a-w .git &&
	test_when_finished "chmod -R u+w .git" &&
	test_expect_code 128 gt comment gt-a "no permission" 2>err &&
	test_line_count = 1 err &&
	test_grep "Permission denied" err &&
	ledger_state >../ro.after &&
	test_cmp ../ro.before ../ro.after
'

# --- (e) a crash in the middle of a multi-ref transaction ---------------------

test_expect_success JQ 'a crash after the journal: refs locked, none moved, fsck reports it' '
	cd repo &&
	gt create --id gt-x "X" >/dev/null &&
	gt create --id gt-y "Y" >/dev/null &&
	git for-each-ref refs/gastown >refs.before &&
	GT_TEST_CRASH_AFTER_JOURNAL=1 test_expect_code 137 "$WRITER" txn "all or nothing" gt-x gt-y &&
	git for-each-ref refs/gastown >refs.during &&
	test_cmp refs.before refs.during &&
	test -e .git/refs/gastown/beads/gt-x.lock &&
	test -e .git/refs/gastown/beads/gt-y.lock &&
	ls .git/gastown/txn >journals &&
	test_line_count = 1 journals &&
	test_expect_code 1 gt fsck >out &&
	test_grep "transaction of dead process [0-9]* not rolled forward (refs/gastown/beads/gt-x, refs/gastown/beads/gt-y)" out
'

test_expect_success JQ 'the next writer, on another bead, rolls it forward' '
	cd repo &&
	gt comment gt-b "an unrelated write" &&
	for b in gt-x gt-y; do
		git cat-file -p refs/gastown/beads/$b:bead.json | jq -r ".comments[].text" || return 1
	done >texts &&
	printf "all or nothing\nall or nothing\n" >expect &&
	test_cmp expect texts &&
	ls .git/gastown/txn >journals &&
	test_must_be_empty journals &&
	! test -e .git/refs/gastown/beads/gt-x.lock &&
	! test -e .git/refs/gastown/beads/gt-y.lock &&
	gt fsck
'

test_expect_success JQ 'a crashed transaction and a writer of the same bead: both changes land, in order' '
	cd repo &&
	GT_TEST_CRASH_AFTER_JOURNAL=1 test_expect_code 137 "$WRITER" txn "second txn" gt-x gt-y &&
	gt comment gt-x "after the crash" &&
	git cat-file -p refs/gastown/beads/gt-x:bead.json | jq -r ".comments[].text" >texts &&
	printf "all or nothing\nsecond txn\nafter the crash\n" >expect &&
	test_cmp expect texts &&
	git cat-file -p refs/gastown/beads/gt-y:bead.json | jq -r ".comments[].text" >texts &&
	printf "all or nothing\nsecond txn\n" >expect &&
	test_cmp expect texts &&
	gt fsck
'

test_expect_success JQ 'without the crash, a transaction moves every ref' '
	cd repo &&
	"$WRITER" txn "plain" gt-a gt-x gt-y &&
	for b in gt-a gt-x gt-y; do
		git cat-file -p refs/gastown/beads/$b:bead.json | jq -r ".comments[-1].text" || return 1
	done >texts &&
	printf "plain\nplain\nplain\n" >expect &&
	test_cmp expect texts &&
	gt fsck
'

# --- (f) bad input -----------------------------------------------------------

# run_with_id <command> <id>: one gt command given a (bad) bead id.
run_with_id() {
	case $1 in
	show|close|reopen) gt $1 -- "$2" ;;
	comment) gt comment -- "$2" "text" ;;
	update) gt update --title T -- "$2" ;;
	create) gt create --id="$2" "T" ;;
	dep) gt dep add -- "$2" gt-a ;;
	log) gt log --id="$2" ;;
	esac
}

test_expect_success 'bad ids: one line, exit 3, nothing changed' '
	cd repo &&
	ledger_state >before &&
	ls -a .. >dir.before &&
	tab=$(printf "a\tb") && esc=$(printf "a\033b") &&
	for id in "../x" "a b" "x.lock" "" "a/b" "-x" "a..b" ".hidden" "refs/heads/main" "$tab" "$esc"; do
		for cmd in show comment create log; do
			run_with_id $cmd "$id" >out 2>err
			status=$?
			test $status = 3 || { echo "$cmd [$id]: exit $status, not 3"; cat err; return 1; }
			test_line_count = 1 err || { echo "$cmd [$id]"; return 1; }
			test_grep "invalid" err || return 1
		done
	done &&
	for id in "../x" "x.lock" "" "refs/heads/main"; do
		for cmd in update close reopen dep; do
			run_with_id $cmd "$id" >out 2>err
			status=$?
			test $status = 3 || { echo "$cmd [$id]: exit $status, not 3"; cat err; return 1; }
			test_line_count = 1 err || { echo "$cmd [$id]"; return 1; }
			test_grep "invalid" err || return 1
		done
	done &&
	ledger_state >after &&
	test_cmp before after &&
	ls -a .. >dir.after &&
	test_cmp dir.before dir.after &&
	gt fsck -q
'

test_expect_success 'a valid entity id that is not a bead id: refused by bead commands' '
	cd repo &&
	test_expect_code 3 gt show "x%" 2>err &&
	test_grep "invalid bead id" err &&
	gt log --id="x%" >out &&
	test_must_be_empty out
'

test_expect_success 'an id with a newline still gets a one-line error' '
	cd repo &&
	test_expect_code 3 gt show "$(printf "a\nb")" 2>err &&
	test_line_count = 1 err
'

test_expect_success 'unknown ids: exit 2, nothing changed' '
	cd repo &&
	ledger_state >../before &&
	test_expect_code 2 gt show gt-nope 2>err &&
	test_grep "^error: no such bead: gt-nope$" err &&
	test_expect_code 2 gt comment gt-nope "text" 2>err &&
	test_grep "^fatal: no such bead: gt-nope$" err &&
	test_expect_code 2 gt update gt-nope --title T 2>err &&
	test_grep "no such bead: gt-nope$" err &&
	test_expect_code 2 gt close gt-nope 2>err &&
	test_grep "no such bead: gt-nope$" err &&
	test_expect_code 2 gt dep add gt-a gt-nope 2>err &&
	test_grep "no such bead: gt-nope" err &&
	test_expect_code 2 gt create --parent gt-nope "Orphan" 2>err &&
	test_grep "no such bead: gt-nope (parent)$" err &&
	test_line_count = 1 err &&
	ledger_state >../after &&
	test_cmp ../before ../after
'

test_expect_success 'an existing id: exit 4, nothing changed' '
	cd repo &&
	ledger_state >../before &&
	test_expect_code 4 gt create --id gt-a "Again" 2>err &&
	test_grep "^fatal: bead gt-a already exists$" err &&
	ledger_state >../after &&
	test_cmp ../before ../after
'

# A lock that will not turn stale for an hour: core.lockTimeoutSeconds
# bounds the wait on its own, and the error names the lock, not a race.
test_expect_success 'core.lockTimeoutSeconds bounds the wait for a fresh lock' '
	cd repo &&
	mkdir -p .git/gastown &&
	printf "[core]\n\tstaleLockSeconds = 3600\n\tlockTimeoutSeconds = 1\n" >.git/gastown/config &&
	test_when_finished "rm -f .git/gastown/config .git/refs/gastown/beads/gt-b.lock" &&
	ledger_state >../before &&
	touch .git/refs/gastown/beads/gt-b.lock &&
	start=$(date +%s) &&
	test_expect_code 5 gt comment gt-b "blocked" 2>err &&
	test $(( $(date +%s) - start )) -lt 10 &&
	test_line_count = 1 err &&
	test_grep "^fatal: refs/gastown/beads/gt-b stays locked by another process" err &&
	rm .git/refs/gastown/beads/gt-b.lock &&
	ledger_state >../after &&
	test_cmp ../before ../after
'

test_expect_success 'an invalid core.lockTimeoutSeconds is refused' '
	cd repo &&
	test_expect_code 3 gt config set core.lockTimeoutSeconds soon 2>err &&
	test_grep "^fatal: invalid core.lockTimeoutSeconds .soon.: use a number of seconds (0: do not wait)$" err
'

# The holder touches its lock every 0.2 s, so with core.staleLockSeconds
# at 2 it never looks stale and the writer must give up.
test_expect_success 'a ref held locked by a live writer: exit 5 after the wait, nothing changed' '
	cd repo &&
	mkdir -p .git/gastown &&
	printf "[core]\n\tstaleLockSeconds = 2\n" >.git/gastown/config &&
	test_when_finished "rm -f .git/gastown/config" &&
	ledger_state >../before || return 1
	(
		i=0
		while test $i -lt 40; do
			touch .git/refs/gastown/beads/gt-b.lock
			sleep 0.2
			i=$((i + 1))
		done
		rm -f .git/refs/gastown/beads/gt-b.lock
	) &
	holder=$! &&
	test_when_finished "kill $holder 2>/dev/null; wait $holder; rm -f .git/refs/gastown/beads/gt-b.lock" &&
	sleep 0.3 &&
	test_expect_code 5 gt comment gt-b "blocked" 2>err &&
	test_line_count = 1 err &&
	test_grep "^fatal: refs/gastown/beads/gt-b stays locked by another process" err &&
	kill $holder && wait $holder
	rm -f .git/refs/gastown/beads/gt-b.lock &&
	ledger_state >../after &&
	test_cmp ../before ../after
'

test_expect_success 'at the end the whole ledger is clean' '
	cd repo &&
	gt fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^0 problems, 0 warnings" err
'

test_done
