#!/bin/sh
test_description='the post-commit hook: installed by gt init, chained, in worktrees'
. ./test-lib.sh

HOOKW="$GT_UNIT_DIR/test-hook-write"

# commit <message>: a commit of a new change
commit() {
	echo "$1" >>file && git add file && git commit -q -m "$1"
}

note_of() { git notes --ref=gastown show "$1"; }

test_expect_success 'gt init installs hooks/post-commit, byte for byte' '
	git init -q repo && cd repo &&
	gt init >out &&
	test_grep "^installed the post-commit hook in $TRASH_DIRECTORY/repo/.git/hooks/post-commit$" out &&
	test_cmp "$SRC_DIR/hooks/post-commit" .git/hooks/post-commit &&
	test -x .git/hooks/post-commit
'

test_expect_success 'gt init twice changes nothing' '
	cd repo &&
	ls -l --time-style=+%s.%N .git/hooks >before &&
	gt init >out &&
	test_grep "nothing changed" out &&
	test_grep -v "hook" out &&
	ls -l --time-style=+%s.%N .git/hooks >after &&
	test_cmp before after
'

test_expect_success 'a commit with hooked work gets its note; without, none' '
	cd repo &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt convoy create --id gt-cv-1 "Convoy" gt-a >/dev/null &&
	commit "unhooked" 2>err &&
	test_must_be_empty err &&
	test_must_fail git notes --ref=gastown show HEAD 2>/dev/null &&
	"$HOOKW" gastown/polecats/nux gt-a &&
	GT_ACTOR=gastown/polecats/nux GT_SESSION=sess-1 commit "hooked" 2>err &&
	test_must_be_empty err &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-a\",\"actor\":\"gastown/polecats/nux\",\"session\":\"sess-1\",\"convoy\":\"gt-cv-1\"}" >expect &&
	test_cmp expect out &&
	git log -1 --notes=gastown >out &&
	test_grep "^Notes (gastown):$" out &&
	gt trail gt-a >out &&
	test_line_count = 1 out &&
	test_grep " hooked$" out
'

test_expect_success 'an amend is a new commit: it gets its own note' '
	cd repo &&
	GT_ACTOR=gastown/polecats/nux git commit -q --amend -m "hooked, amended" &&
	note_of HEAD >out &&
	test_grep "\"bead\":\"gt-a\"" out &&
	gt trail gt-a >out &&
	test_line_count = 1 out &&
	test_grep " hooked, amended$" out &&
	gt trail --unreachable gt-a >out &&
	test_line_count = 2 out
'

test_expect_success 'a user post-commit hook is kept and still runs' '
	git init -q own && cd own &&
	cat >.git/hooks/post-commit <<-\EOF &&
	#!/bin/sh
	echo "user hook ran: $*" >>"$(git rev-parse --git-common-dir)/../user-hook.log"
	exit 3
	EOF
	chmod +x .git/hooks/post-commit &&
	cp .git/hooks/post-commit mine &&
	gt init >out &&
	test_grep "^moved your post-commit hook to $TRASH_DIRECTORY/own/.git/hooks/post-commit.local; gastown.s hook runs it$" out &&
	test_grep "^installed the post-commit hook in " out &&
	test_cmp mine .git/hooks/post-commit.local &&
	test -x .git/hooks/post-commit.local &&
	test_cmp "$SRC_DIR/hooks/post-commit" .git/hooks/post-commit &&
	gt create --id gt-o "Own" >/dev/null &&
	"$HOOKW" tester gt-o &&
	commit "with both hooks" &&
	echo "user hook ran: " >expect &&
	test_cmp expect user-hook.log &&
	note_of HEAD >out &&
	test_grep "\"bead\":\"gt-o\"" out &&
	ls -l --time-style=+%s.%N .git/hooks >before &&
	gt init >out &&
	test_grep "nothing changed" out &&
	ls -l --time-style=+%s.%N .git/hooks >after &&
	test_cmp before after
'

test_expect_success 'the hook exits with the user hook status, and the commit stands' '
	cd own &&
	sh .git/hooks/post-commit; echo $? >status &&
	echo 3 >expect && test_cmp expect status &&
	git rev-parse HEAD >/dev/null
'

test_expect_success 'a foreign hook beside a post-commit.local: refused, nothing changes' '
	git init -q both && cd both &&
	printf "#!/bin/sh\necho one\n" >.git/hooks/post-commit &&
	printf "#!/bin/sh\necho two\n" >.git/hooks/post-commit.local &&
	chmod +x .git/hooks/post-commit .git/hooks/post-commit.local &&
	cp .git/hooks/post-commit one && cp .git/hooks/post-commit.local two &&
	test_expect_code 4 gt init 2>err &&
	echo "fatal: $TRASH_DIRECTORY/both/.git/hooks/post-commit is not gastown'"'"'s and $TRASH_DIRECTORY/both/.git/hooks/post-commit.local exists too: merge them into $TRASH_DIRECTORY/both/.git/hooks/post-commit.local, remove $TRASH_DIRECTORY/both/.git/hooks/post-commit and run '"'"'gt init'"'"' again" >expect &&
	test_cmp expect err &&
	test_cmp one .git/hooks/post-commit &&
	test_cmp two .git/hooks/post-commit.local &&
	! test -e .git/gastown
'

test_expect_success 'a hook that cannot be written (a lock left over): your hook stays where it was' '
	git init -q locked && cd locked &&
	printf "#!/bin/sh\necho mine\n" >.git/hooks/post-commit &&
	chmod +x .git/hooks/post-commit &&
	cp .git/hooks/post-commit mine &&
	: >.git/hooks/post-commit.lock &&
	test_expect_code 5 gt init 2>err &&
	test_grep "^fatal: $TRASH_DIRECTORY/locked/.git/hooks/post-commit is locked by another process (remove $TRASH_DIRECTORY/locked/.git/hooks/post-commit.lock if no gt command is running)$" err &&
	test_cmp mine .git/hooks/post-commit &&
	! test -e .git/hooks/post-commit.local
'

test_expect_success 'an older gastown hook is brought up to date' '
	cd repo &&
	printf "#!/bin/sh\n# gastown post-commit hook (an old one)\nexit 0\n" >.git/hooks/post-commit &&
	gt init >out &&
	test_grep "^updated the post-commit hook in $TRASH_DIRECTORY/repo/.git/hooks/post-commit$" out &&
	test_cmp "$SRC_DIR/hooks/post-commit" .git/hooks/post-commit
'

test_expect_success 'in a git worktree: the shared hook notes the worktree commit' '
	cd repo &&
	gt create --id gt-w "Worktree work" >/dev/null &&
	"$HOOKW" gastown/polecats/slit gt-w &&
	git worktree add -q ../wt -b feature &&
	cd ../wt &&
	GT_ACTOR=gastown/polecats/slit commit "in the worktree" &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-w\",\"actor\":\"gastown/polecats/slit\",\"session\":null,\"convoy\":null}" >expect &&
	test_cmp expect out &&
	git log -1 --notes=gastown --format=%N >out &&
	test_grep "\"bead\":\"gt-w\"" out &&
	cd ../repo &&
	gt trail gt-w >out &&
	test_line_count = 1 out &&
	test_grep " gastown/polecats/slit in the worktree$" out
'

test_expect_success 'in a worktree with a user hook: both run' '
	cd own &&
	git worktree add -q ../own-wt -b side &&
	cd ../own-wt &&
	commit "worktree commit" &&
	test_line_count = 3 ../own/user-hook.log &&
	note_of HEAD >out &&
	test_grep "\"bead\":\"gt-o\"" out
'

test_expect_success 'the hook never fails the commit: gt broken, gt missing' '
	cd own &&
	mkdir -p ../fakebin &&
	printf "#!/bin/sh\necho broken >&2\nexit 128\n" >../fakebin/gt &&
	chmod +x ../fakebin/gt &&
	PATH="$TRASH_DIRECTORY/fakebin:$PATH" commit "gt broken" 2>err &&
	test_grep "broken" err &&
	test_line_count = 4 user-hook.log &&
	git log -1 --format=%s >out && echo "gt broken" >expect && test_cmp expect out &&
	mkdir -p ../bare-path &&
	for t in git sh cat env dirname; do ln -sf "$(command -v $t)" ../bare-path/$t || return 1; done &&
	PATH="$TRASH_DIRECTORY/bare-path" commit "no gt at all" 2>err &&
	test_must_be_empty err &&
	test_line_count = 5 user-hook.log &&
	test_must_fail git notes --ref=gastown show HEAD 2>/dev/null
'

test_expect_success 'the hook never hangs: a locked notes ref costs at most seconds' '
	cd own &&
	>.git/refs/notes/gastown.lock &&
	test_when_finished "rm -f .git/refs/notes/gastown.lock" &&
	start=$(date +%s) &&
	commit "notes locked" 2>err &&
	test $(($(date +%s) - start)) -lt 8 &&
	test_grep "refs/notes/gastown" err &&
	git log -1 --format=%s >out && echo "notes locked" >expect && test_cmp expect out
'

test_expect_success 'the hook never recurses: inside itself it only runs the user hook' '
	cd own &&
	GT_IN_POST_COMMIT=1 commit "nested" &&
	test_must_fail git notes --ref=gastown show HEAD 2>/dev/null &&
	test_line_count = 7 user-hook.log
'

test_expect_success 'core.hooksPath: no hook installed, a warning says what to do' '
	git init -q hp && cd hp &&
	git config core.hooksPath .husky &&
	gt init >out 2>err &&
	echo "warning: core.hooksPath is set (.husky): install the post-commit hook there yourself (see hooks/README.md)" >expect &&
	test_cmp expect err &&
	! test -e .git/hooks/post-commit && ! test -e .husky &&
	gt init -q >out 2>err &&
	test_must_be_empty err
'

test_expect_success 'gt init --bare installs no post-commit hook' '
	git init -q --bare server.git &&
	(cd server.git && gt init --bare >../out) &&
	! test -e server.git/hooks/post-commit &&
	test_grep "pre-receive" out
'

test_done
