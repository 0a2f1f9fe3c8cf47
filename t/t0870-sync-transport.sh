#!/bin/sh
test_description='gt sync runs git fetch and git push in a side repository of four refs'
. ./test-lib.sh

# the no-op fast path is asserted: no ref file counts as just changed
GT_TEST_RACY_MS=0 && export GT_TEST_RACY_MS

side=.git/gastown/transport.git

test_path_is_missing() { ! test -e "$1" || { echo >&2 "$1 exists"; return 1; }; }

# the hub's ledger equals a's own and a's remote-tracking copy of it
tracking_is_hub() {
	git -C hub.git rev-parse refs/gastown/ledger >expect &&
	git -C "$1" rev-parse refs/remotes/origin/gastown/ledger >actual &&
	test_cmp expect actual &&
	git -C "$1" rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
}

test_expect_success 'setup: a bare remote and two clones' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done
'

test_expect_success 'the first sync creates the side repository, safe and empty' '
	(cd a && gt create --id bd-1 "One" >/dev/null && gt sync -q) &&
	test -f a/$side/HEAD && test -d a/$side/refs && test -d a/$side/objects &&
	find a/$side/objects -mindepth 1 >found && test_must_be_empty found &&
	echo "ref: refs/heads/gastown-transport" >expect && test_cmp expect a/$side/HEAD &&
	GIT_DIR=a/$side git rev-parse --git-dir >actual &&
	echo a/$side >expect && test_cmp expect actual &&
	for kv in "gc.auto 0" "maintenance.auto false" "fetch.writeCommitGraph false" \
		  "core.logAllRefUpdates false" "include.path ../../config"; do
		set -- $kv &&
		git config -f a/$side/config "$1" >actual &&
		echo "$2" >expect && test_cmp expect actual || return 1
	done &&
	# the include comes first, so what follows it wins over the main config
	head -n 6 a/$side/config | grep -n "^\[include\]" >line &&
	test_grep "^5:" line &&
	# the main repository config applies in it: the remote is known there
	GIT_DIR=a/$side git config remote.origin.url >actual &&
	echo ../hub.git >expect && test_cmp expect actual &&
	tracking_is_hub a
'

test_expect_success 'the side holds the four refs at the main values after a sync' '
	(cd a && test_commit_file c0) &&
	c=$(git -C a rev-parse HEAD) &&
	git -C a notes --ref=gastown add -m "{\"bead\":\"bd-1\"}" $c &&
	(cd a && gt sync -q) &&
	git -C hub.git rev-parse refs/notes/gastown >expect &&
	git -C a rev-parse refs/remotes/origin/notes/gastown >actual &&
	test_cmp expect actual &&
	for r in refs/gastown/ledger refs/remotes/origin/gastown/ledger \
		 refs/notes/gastown refs/remotes/origin/notes/gastown; do
		git -C a rev-parse $r >expect &&
		cat a/$side/$r >actual && test_cmp expect actual || return 1
	done &&
	test_path_is_missing a/$side/packed-refs
'

test_expect_success 'no ls-remote after a push: one upload-pack for the sync, one for the next no-op' '
	cat >count-upload <<-\EOF &&
	#!/bin/sh
	echo upload >>"$COUNT_LOG"
	exec git-upload-pack "$@"
	EOF
	cat >count-receive <<-\EOF &&
	#!/bin/sh
	echo receive >>"$COUNT_LOG"
	exec git-receive-pack "$@"
	EOF
	chmod +x count-upload count-receive &&
	git -C a config remote.origin.uploadpack "$PWD/count-upload" &&
	git -C a config remote.origin.receivepack "$PWD/count-receive" &&
	test_when_finished "git -C a config --unset remote.origin.uploadpack;
		git -C a config --unset remote.origin.receivepack" &&
	COUNT_LOG=$PWD/count.log && export COUNT_LOG &&
	(cd a && gt create --id bd-2 "Two" >/dev/null && gt sync -q) &&
	printf "upload\nreceive\n" >expect && test_cmp expect count.log &&
	tracking_is_hub a &&
	: >count.log &&
	(cd a && gt sync) >out &&
	echo upload >expect && test_cmp expect count.log &&
	printf "sync origin: up to date\n" >expect && test_cmp expect out
'

test_expect_success 'git gc --prune=now inside the side cannot touch the main store' '
	find a/.git/objects -type f | sort >before &&
	test_expect_code 128 env GIT_DIR=a/$side git gc --prune=now 2>err &&
	test_grep "bad object refs/gastown/ledger" err &&
	find a/.git/objects -type f | sort >after &&
	test_cmp before after &&
	git -C a fsck --no-dangling 2>err && test_must_be_empty err &&
	(cd b && gt create --id bd-3 "Three" >/dev/null && gt sync -q) &&
	(cd a && gt create --id bd-4 "Four" >/dev/null && gt sync -q) &&
	(cd a && gt show bd-3 --json) >out && test_grep "\"Three\"" out &&
	find a/$side/objects -mindepth 1 >found && test_must_be_empty found &&
	tracking_is_hub a
'

test_expect_success 'git maintenance runs in the main repository after a sync, as after git fetch' '
	git -C a config gc.autoPackLimit 1 &&
	git -C a config gc.autoDetach false &&
	test_when_finished "git -C a config --unset gc.autoPackLimit; git -C a config --unset gc.autoDetach" &&
	(cd b && gt create --id bd-60 "Sixty" >/dev/null && gt sync -q) &&
	ls a/.git/objects/pack/*.pack >packs && test "$(wc -l <packs)" -gt 1 &&
	(cd a && GIT_TRACE=$TRASH_DIRECTORY/trace-maint gt sync -q) &&
	grep "built-in: git maintenance run --auto --quiet" trace-maint &&
	ls a/.git/objects/pack/*.pack >packs && test_line_count = 1 packs &&
	git -C a fsck --no-dangling 2>err && test_must_be_empty err &&
	(cd a && gt show bd-60 --json) >out && test_grep "\"Sixty\"" out &&
	find a/$side/objects -mindepth 1 >found && test_must_be_empty found
'

test_expect_success 'a sync with nothing to do runs no maintenance' '
	# the first sees the refs gc packed; the second has nothing to do
	(cd a && gt sync -q && GIT_TRACE=$TRASH_DIRECTORY/trace-noop gt sync -q) &&
	! grep "maintenance" trace-noop
'

test_expect_success 'a removed side repository is created again' '
	rm -rf a/$side &&
	(cd b && gt create --id bd-5 "Five" >/dev/null && gt sync -q) &&
	(cd a && gt sync -q) &&
	test -f a/$side/config &&
	(cd a && gt show bd-5 --json) >out && test_grep "\"Five\"" out &&
	tracking_is_hub a
'

test_expect_success 'a damaged or stale-locked side ref is replaced' '
	echo garbage >a/$side/refs/gastown/ledger &&
	: >a/$side/refs/remotes/origin/gastown/ledger.lock &&
	(cd b && gt create --id bd-6 "Six" >/dev/null && gt sync -q) &&
	(cd a && gt create --id bd-7 "Seven" >/dev/null && gt sync -q) &&
	git -C a rev-parse refs/gastown/ledger >expect &&
	test_cmp expect a/$side/refs/gastown/ledger &&
	tracking_is_hub a
'

test_expect_success 'a pre-push hook runs for the push, with the refs on its input' '
	cat >a/.git/hooks/pre-push <<-\EOF &&
	#!/bin/sh
	echo "$1 $2" >"$HOOK_LOG"
	cat >>"$HOOK_LOG"
	git rev-parse --show-toplevel >>"$HOOK_LOG"
	EOF
	chmod +x a/.git/hooks/pre-push &&
	test_when_finished "rm -f a/.git/hooks/pre-push" &&
	HOOK_LOG=$PWD/hook.log && export HOOK_LOG &&
	old=$(git -C hub.git rev-parse refs/gastown/ledger) &&
	(cd a && gt create --id bd-8 "Eight" >/dev/null && gt sync -q) &&
	new=$(git -C a rev-parse refs/gastown/ledger) &&
	{
		echo "origin ../hub.git" &&
		echo "refs/gastown/ledger $new refs/gastown/ledger $old" &&
		(cd a && pwd)
	} >expect &&
	test_cmp expect hook.log
'

test_expect_success 'a pre-push hook that says no stops the push' '
	printf "#!/bin/sh\necho no pushing >&2\nexit 1\n" >a/.git/hooks/pre-push &&
	chmod +x a/.git/hooks/pre-push &&
	test_when_finished "rm -f a/.git/hooks/pre-push" &&
	git -C hub.git rev-parse refs/gastown/ledger >expect &&
	(cd a && gt create --id bd-9 "Nine" >/dev/null &&
	 test_expect_code 128 gt sync -q 2>../err) &&
	test_grep "^no pushing$" err &&
	test_grep "^error: git push origin failed (exit 1)$" err &&
	git -C hub.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
'

test_expect_success 'core.hooksPath set by the user is honoured instead' '
	mkdir myhooks &&
	printf "#!/bin/sh\necho mine >\"\$HOOK_LOG\"\n" >myhooks/pre-push &&
	printf "#!/bin/sh\necho default >\"\$HOOK_LOG\"\n" >a/.git/hooks/pre-push &&
	chmod +x myhooks/pre-push a/.git/hooks/pre-push &&
	test_when_finished "rm -f a/.git/hooks/pre-push; git -C a config --unset core.hooksPath" &&
	git -C a config core.hooksPath "$PWD/myhooks" &&
	(cd a && gt sync -q) &&
	echo mine >expect && test_cmp expect hook.log &&
	tracking_is_hub a
'

test_expect_success 'remote.<name>.uploadpack and receivepack of the main config are used' '
	git -C b config remote.origin.uploadpack "$PWD/count-upload" &&
	git -C b config remote.origin.receivepack "$PWD/count-receive" &&
	test_when_finished "git -C b config --unset remote.origin.uploadpack;
		git -C b config --unset remote.origin.receivepack" &&
	: >count.log &&
	(cd b && gt create --id bd-10 "Ten" >/dev/null && gt sync -q) &&
	printf "upload\nreceive\n" >expect && test_cmp expect count.log &&
	tracking_is_hub b
'

test_expect_success 'relative remote paths resolve from the work tree, in a linked worktree too' '
	git -C a worktree add -q --detach ../aw 2>/dev/null &&
	# ../hub.git from aw is the same hub as from a
	(cd b && gt create --id bd-11 "Eleven" >/dev/null && gt sync -q) &&
	(cd aw/ && mkdir -p sub && cd sub && gt sync -q) &&
	(cd a && gt show bd-11 --json) >out && test_grep "\"Eleven\"" out &&
	test_path_is_missing aw/.git/gastown &&
	tracking_is_hub a
'

test_expect_success 'concurrent syncs from several worktrees all succeed' '
	for w in 1 2 3; do
		git -C a worktree add -q --detach ../w$w 2>/dev/null || return 1
	done &&
	for round in 1 2 3; do
		(cd b && gt create --id bd-b$round "From b $round" >/dev/null && gt sync -q) &&
		for w in 1 2 3; do
			(cd w$w && gt create --id bd-w$w-$round "w$w $round" >/dev/null &&
			 gt sync -q >../sync-$w.out 2>&1; echo $? >../sync-$w.rc) &
		done &&
		wait &&
		for w in 1 2 3; do
			echo 0 >expect && test_cmp expect sync-$w.rc ||
				{ cat sync-$w.out; return 1; }
		done || return 1
	done &&
	(cd w1 && gt sync -q) &&
	tracking_is_hub a &&
	(cd b && gt sync -q) &&
	(cd b && gt list --all --json) | wc -l >nb &&
	(cd a && gt list --all --json) | wc -l >na &&
	test_cmp na nb &&
	(cd a && gt list --all --json) >all &&
	test_grep "\"w3 3\"" all && test_grep "\"From b 3\"" all
'

test_expect_success 'gt sync inside a git hook, with GIT_DIR and GIT_INDEX_FILE set' '
	cat >a/.git/hooks/post-commit.local <<-\EOF &&
	#!/bin/sh
	env | grep "^GIT_DIR=\|^GIT_INDEX_FILE=" | sed "s/=.*//" | sort >"$HOOK_LOG.env"
	gt sync -q >"$HOOK_LOG" 2>&1
	echo "exit $?" >>"$HOOK_LOG"
	EOF
	chmod +x a/.git/hooks/post-commit.local &&
	test_when_finished "rm -f a/.git/hooks/post-commit.local" &&
	(cd b && gt create --id bd-12 "Twelve" >/dev/null && gt sync -q) &&
	(cd a && gt create --id bd-13 "Thirteen" >/dev/null &&
	 GIT_DIR=.git && export GIT_DIR && test_commit_file "c1") &&
	printf "GIT_DIR\nGIT_INDEX_FILE\n" >expect && test_cmp expect hook.log.env &&
	echo "exit 0" >expect && test_cmp expect hook.log &&
	(cd a && gt show bd-12 --json) >out && test_grep "\"Twelve\"" out &&
	tracking_is_hub a
'

test_expect_success 'gt sync with GIT_DIR, an index and a prefix in the environment' '
	(cd b && gt create --id bd-14 "Fourteen" >/dev/null && gt sync -q) &&
	(cd a && GIT_DIR=$PWD/.git GIT_INDEX_FILE=$PWD/nowhere GIT_PREFIX=sub/ \
		GIT_NAMESPACE=elsewhere gt sync -q) &&
	(cd a && gt show bd-14 --json) >out && test_grep "\"Fourteen\"" out &&
	tracking_is_hub a
'

test_expect_success 'a plain git fetch in the main repository and gt merge still work' '
	(cd a && gt remote-setup origin >/dev/null) &&
	(cd b && gt create --id bd-15 "Fifteen" >/dev/null && gt sync -q) &&
	git -C a fetch -q origin &&
	git -C hub.git rev-parse refs/gastown/ledger >expect &&
	git -C a rev-parse refs/remotes/origin/gastown/ledger >actual &&
	test_cmp expect actual &&
	(cd a && gt merge -q origin) &&
	(cd a && gt show bd-15 --json) >out && test_grep "\"Fifteen\"" out
'

# sync_while_locked <timeout> <id>: with a's side lock held by another
# process (its pid in $holder) and core.lockTimeoutSeconds=<timeout>, b
# publishes bead <id> and a's sync fails with exit 5 after <timeout> s
sync_while_locked() {
	(cd a && gt config set core.lockTimeoutSeconds $1) &&
	rm -f locked &&
	{ flock -o a/$side/gt-sync.lock sh -c "echo \$\$ >sleeper; touch locked; exec sleep 30" & } &&
	holder=$! &&
	while ! test -f locked; do sleep 0.1; done &&
	(cd b && gt create --id $2 "$2" >/dev/null && gt sync -q) &&
	start=$(date +%s) &&
	(cd a && test_expect_code 5 gt sync -q 2>../err) &&
	test $(($(date +%s) - start)) -ge $1 &&
	test_grep "^error: .*/a/$side/gt-sync.lock stays locked by another gt sync; try again, or raise core.lockTimeoutSeconds ($1 s)$" err
}
stop_holder() {
	kill $holder 2>/dev/null; kill $(cat sleeper) 2>/dev/null
	(cd a && gt config unset core.lockTimeoutSeconds)
}

test_expect_success 'a sync holding the side lock makes another wait, then fail with exit 5' '
	test_when_finished "cd \"$TRASH_DIRECTORY\" && stop_holder" &&
	sync_while_locked 1 bd-16 &&
	# kill -9 of the holder leaves no stale lock
	kill -9 $holder && { wait $holder 2>/dev/null || :; } &&
	(cd a && gt sync -q) &&
	(cd a && gt show bd-16 --json) >out && test_grep "\"bd-16\"" out
'

test_expect_success 'core.lockTimeoutSeconds 0 fails at once' '
	test_when_finished "cd \"$TRASH_DIRECTORY\" && stop_holder" &&
	sync_while_locked 0 bd-17
'

test_expect_success 'a path given as the remote is refused before anything is written' '
	(cd a && test_expect_code 3 gt sync ../hub.git 2>../err) &&
	test_grep "^error: .../hub.git. makes no valid ref name refs/remotes/../hub.git/gastown/ledger; sync with a remote added by .git remote add.$" err &&
	(cd a && test_expect_code 3 gt sync "x/../../../../y" 2>../err) &&
	test_grep "^error: .x/../../../../y. makes no valid ref name" err &&
	test_path_is_missing a/.git/gastown/y && test_path_is_missing y
'

test_expect_success 'a shallow repository syncs in place, without a side repository' '
	git init -q code && (cd code && test_commit_file one && test_commit_file two) &&
	git clone -q --depth 1 "file://$PWD/code" shallow &&
	test -f shallow/.git/shallow &&
	git -C shallow remote set-url origin ../hub.git &&
	(cd shallow && gt init -q --prefix bd && gt sync -q) &&
	(cd shallow && gt show bd-15 --json) >out && test_grep "\"Fifteen\"" out &&
	test_path_is_missing shallow/$side &&
	(cd shallow && gt create --id bd-18 "Eighteen" >/dev/null &&
	 GIT_TRACE=$TRASH_DIRECTORY/trace-shallow gt sync -q) &&
	# git fetch runs its own maintenance in place; gt adds none
	grep "built-in: git maintenance run --auto" trace-shallow >maint &&
	test_line_count = 1 maint &&
	git -C hub.git rev-parse refs/gastown/ledger >expect &&
	git -C shallow rev-parse refs/remotes/origin/gastown/ledger >actual &&
	test_cmp expect actual
'

test_done
