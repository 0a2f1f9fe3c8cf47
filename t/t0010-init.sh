#!/bin/sh
test_description='gt init: the gastown directory, its config and the remotes'
. "$(dirname "$0")/test-lib.sh"

# The trash directory lives inside the gastown source repository: never let
# a command run outside a test repository find that one.
GIT_CEILING_DIRECTORIES=$TEST_DIRECTORY
export GIT_CEILING_DIRECTORIES

# libgit2 1.5 leaks pcre2 match data each time a regex fails to match
# (libgit2/libgit2#6382, fixed in 1.6); git_remote_add_fetch meets it.
printf "leak:libpcre2-8.so\n" >"$TRASH_DIRECTORY/lsan.supp"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TRASH_DIRECTORY/lsan.supp"
export LSAN_OPTIONS

test_expect_success 'init outside a repository fails with one line' '
	mkdir outside &&
	(
		cd outside &&
		test_expect_code 2 gt init 2>../err >../out
	) &&
	test_must_be_empty out &&
	echo "fatal: not a git repository (run '\''git init'\'' first)" >expect &&
	test_cmp expect err &&
	test_line_count = 0 out
'

test_expect_success 'init creates the gastown directory and its config' '
	git init -q repo &&
	(cd repo && gt init >../out) &&
	test -d repo/.git/gastown &&
	printf "[core]\nprefix = gt\n" >expect &&
	test_cmp expect repo/.git/gastown/config &&
	cat >expect <<-EOF &&
	Initialized gastown in $TRASH_DIRECTORY/repo/.git/gastown
	prefix: gt
	actor: tester
	installed the post-commit hook in $TRASH_DIRECTORY/repo/.git/hooks/post-commit
	EOF
	test_cmp expect out
'

test_expect_success 'init twice changes nothing and says so' '
	cp repo/.git/gastown/config config.before &&
	cp repo/.git/config git-config.before &&
	(cd repo && gt init >../out) &&
	test_cmp config.before repo/.git/gastown/config &&
	test_cmp git-config.before repo/.git/config &&
	test_grep "^gastown is already initialized in .*/repo/.git/gastown: nothing changed$" out
'

test_expect_success 'init -q prints nothing' '
	git init -q quiet &&
	(cd quiet && gt init -q >../out 2>../err) &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test -f quiet/.git/gastown/config &&
	(cd quiet && gt init --quiet >../out) &&
	test_must_be_empty out
'

test_expect_success 'init --prefix sets the prefix, a later init keeps it' '
	git init -q prefixed &&
	(
		cd prefixed &&
		gt init -q --prefix bd &&
		test "$(gt config get core.prefix)" = bd &&
		gt init >../out &&
		test "$(gt config get core.prefix)" = bd &&
		gt init --prefix=x-1_y >>../out &&
		test "$(gt config get core.prefix)" = x-1_y
	) &&
	test_grep "nothing changed" out &&
	test_grep "^Reinitialized gastown in " out &&
	test_grep "^prefix: x-1_y$" out &&
	test "$(grep -c prefix prefixed/.git/gastown/config)" = 1
'

test_expect_success 'init accepts prefixes of 1 to 16 characters' '
	git init -q goodprefix &&
	(
		cd goodprefix &&
		for p in a 0x a-b a_b abcdefghijklmnop 9z9; do
			gt init -q --prefix "$p" &&
			test "$(gt config get core.prefix)" = "$p" || return 1
		done
	)
'

test_expect_success 'init rejects a bad prefix and changes nothing' '
	git init -q badprefix &&
	(
		cd badprefix &&
		for p in "" Bad -ab ab- _ab "a b" abcdefghijklmnopq a.b "a/b" "ü"; do
			test_expect_code 3 gt init --prefix "$p" 2>../err &&
			test_grep "^fatal: invalid prefix .*: use 1-16 characters of a-z and 0-9, with .-. or ._. only inside$" ../err &&
			! test -e .git/gastown || return 1
		done
	)
'

test_expect_success 'init keeps a prefix inherited from the shared config' '
	git init -q inherit &&
	(
		cd inherit &&
		gt config set --shared core.prefix sh &&
		gt init -q &&
		test "$(gt config get core.prefix)" = sh &&
		! grep prefix .git/gastown/config 2>/dev/null
	)
'

test_expect_success 'init does not write a prefix taken from GT_PREFIX' '
	git init -q envprefix &&
	(
		cd envprefix &&
		GT_PREFIX=zz gt init >../out &&
		printf "[core]\nprefix = gt\n" >../expect &&
		test_cmp ../expect .git/gastown/config
	) &&
	test_grep "^prefix: zz$" out
'

test_expect_success 'init --actor records user.actor' '
	git init -q actor &&
	(
		cd actor &&
		gt init -q --actor mayor &&
		printf "[core]\nprefix = gt\n[user]\nactor = mayor\n" >../expect &&
		test_cmp ../expect .git/gastown/config &&
		(unset GT_ACTOR && gt config get user.actor >../out) &&
		gt init -q --actor rig/witness &&
		test "$(grep -c actor .git/gastown/config)" = 1
	) &&
	echo mayor >expect &&
	test_cmp expect out
'

test_expect_success 'init rejects a bad actor' '
	(
		cd actor &&
		test_expect_code 3 gt init --actor "a <b>" 2>../err &&
		test_grep "^fatal: invalid actor .a <b>.: use a non-empty name without .<. or .>.$" ../err &&
		test_expect_code 3 gt init --actor "" 2>../err &&
		test_grep "^fatal: invalid actor" ../err &&
		test_expect_code 3 gt init --actor "$(printf "a\nb")" 2>../err &&
		test_grep "^fatal: value for user.actor contains a newline" ../err &&
		grep "^actor = rig/witness$" .git/gastown/config
	)
'

test_expect_success 'init rejects arguments and unknown options' '
	(
		cd repo &&
		test_expect_code 129 gt init extra 2>../err &&
		test_grep "^usage error: unexpected argument .extra.$" ../err &&
		test_grep "^usage: gt init" ../err &&
		test_expect_code 129 gt init --frobnicate 2>../err &&
		test_grep "^usage error: unknown option .--frobnicate.$" ../err &&
		test_expect_code 129 gt init --prefix 2>../err &&
		test_grep "^usage error: option .--prefix. requires a value$" ../err &&
		test_expect_code 129 gt init -h >../out &&
		test_grep "^usage: gt init \[--bare\] \[--prefix <prefix>\] \[--actor <name>\] \[-q\]$" ../out
	)
'

test_expect_success 'init keeps comments and other keys of the config file' '
	git init -q comments &&
	mkdir comments/.git/gastown &&
	cat >comments/.git/gastown/config <<-\EOF &&
	# my settings
	[core]
	; the limit
	titleLimit = 80
	EOF
	(cd comments && gt init -q --prefix cm) &&
	cat >expect <<-\EOF &&
	# my settings
	[core]
	; the limit
	titleLimit = 80
	prefix = cm
	EOF
	test_cmp expect comments/.git/gastown/config
'

test_expect_success 'init from a linked worktree uses the common directory' '
	git init -q main &&
	(
		cd main &&
		git commit -q --allow-empty -m initial &&
		git worktree add -q ../wt
	) &&
	(cd wt && gt init -q --prefix wt) &&
	test -f main/.git/gastown/config &&
	! test -e main/.git/worktrees/wt/gastown &&
	(cd main && test "$(gt config get core.prefix)" = wt)
'

test_expect_success 'setup remotes' '
	git init -q --bare server.git &&
	git init -q --bare other.git &&
	git init -q clone &&
	(
		cd clone &&
		git remote add origin ../server.git &&
		git remote add other ../other.git
	)
'

test_expect_success 'init adds the fetch refspecs to every remote' '
	(cd clone && gt init >../out) &&
	test_grep "^remote origin: added fetch refspecs for the ledger and notes$" out &&
	test_grep "^remote other: added fetch refspecs for the ledger and notes$" out &&
	for r in origin other; do
		git -C clone config --get-all remote.$r.fetch >actual &&
		cat >expect <<-EOF &&
		+refs/heads/*:refs/remotes/$r/*
		+refs/gastown/ledger*:refs/remotes/$r/gastown/ledger*
		+refs/notes/gastown*:refs/remotes/$r/notes/gastown*
		EOF
		test_cmp expect actual || return 1
	done
'

test_expect_success 'init adds no push refspecs' '
	test_expect_code 1 git -C clone config --get-all remote.origin.push &&
	test_expect_code 1 git -C clone config --get-all remote.other.push
'

test_expect_success 'init does not add a refspec twice' '
	cp clone/.git/config git-config.before &&
	(cd clone && gt init >../out) &&
	test_cmp git-config.before clone/.git/config &&
	test_grep "nothing changed" out
'

test_expect_success 'init gives a remote added later its refspecs' '
	git init -q --bare late.git &&
	git -C clone remote add late ../late.git &&
	(cd clone && gt init >../out) &&
	test_grep "^Reinitialized gastown in " out &&
	test_grep "^remote late: added" out &&
	test_grep -v "^remote origin:" out &&
	git -C clone config --get-all remote.late.fetch >actual &&
	test_line_count = 3 actual
'

test_expect_success 'plain git fetch succeeds while the remote has no ledger' '
	git -C clone fetch origin 2>err &&
	git -C clone fetch --all 2>err &&
	test_expect_code 1 git -C clone rev-parse -q --verify refs/remotes/origin/gastown/ledger
'

test_expect_success 'plain git fetch brings the ledger and notes into remote-tracking refs' '
	git init -q pusher &&
	(
		cd pusher &&
		git commit -q --allow-empty -m ledger &&
		git push -q ../server.git HEAD:refs/gastown/ledger HEAD:refs/notes/gastown
	) &&
	git -C clone fetch -q origin &&
	git -C pusher rev-parse HEAD >expect &&
	git -C clone rev-parse refs/remotes/origin/gastown/ledger >actual &&
	test_cmp expect actual &&
	git -C clone rev-parse refs/remotes/origin/notes/gastown >actual &&
	test_cmp expect actual &&
	test_expect_code 1 git -C clone rev-parse -q --verify refs/gastown/ledger
'

test_done
