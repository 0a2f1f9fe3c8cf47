#!/bin/sh
test_description='gt config: layers, get, set, unset, list'
. "$(dirname "$0")/test-lib.sh"

# The trash directory lives inside the gastown source repository: never let
# a command run outside a test repository find that one.
GIT_CEILING_DIRECTORIES=$TEST_DIRECTORY
export GIT_CEILING_DIRECTORIES

REPO_CONFIG=$TRASH_DIRECTORY/repo/.git/gastown/config
USER_CONFIG=$HOME/.config/gastown/config

test_expect_success 'setup' '
	git init -q repo &&
	(cd repo && gt init -q)
'

test_expect_success 'get prints the built-in defaults' '
	(
		cd repo &&
		gt config get core.titleLimit >../out &&
		gt config get core.staleLockSeconds >>../out &&
		gt config get core.prefix >>../out
	) &&
	printf "500\n10\ngt\n" >expect &&
	test_cmp expect out
'

test_expect_success 'keys are case-insensitive' '
	(cd repo && gt config get CORE.TITLELIMIT >../out) &&
	echo 500 >expect &&
	test_cmp expect out
'

test_expect_success 'get of an unset key exits 1 and prints nothing' '
	(cd repo && test_expect_code 1 gt config get no.such >../out 2>../err) &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'a bad key is rejected by get, set and unset' '
	(
		cd repo &&
		for k in core "" .prefix core. a.b.c a_b.c core.1x "core.a b" "co re.x" \
			 abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx.y; do
			test_expect_code 3 gt config get "$k" >../out 2>../err &&
			test_must_be_empty ../out &&
			test_grep "^fatal: invalid key .*: use <section>.<name> with letters, digits and .-. (the name starts with a letter)$" ../err &&
			test_expect_code 3 gt config set "$k" v 2>../err &&
			test_grep "^fatal: invalid key" ../err &&
			test_expect_code 3 gt config unset "$k" 2>../err &&
			test_grep "^fatal: invalid key" ../err || return 1
		done
	) &&
	printf "[core]\nprefix = gt\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set writes the repository file by default' '
	(
		cd repo &&
		gt config set tracker.url https://example.com/x >../out 2>../err &&
		gt config get tracker.url >../actual
	) &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	echo https://example.com/x >expect &&
	test_cmp expect actual &&
	printf "[core]\nprefix = gt\n[tracker]\nurl = https://example.com/x\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set --repo replaces a value in place' '
	(cd repo && gt config set --repo tracker.url https://example.com/y) &&
	printf "[core]\nprefix = gt\n[tracker]\nurl = https://example.com/y\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set of the same value leaves the file alone' '
	cp "$REPO_CONFIG" before &&
	touch -d "2000-01-01" "$REPO_CONFIG" &&
	(cd repo && gt config set tracker.url https://example.com/y) &&
	test_cmp before "$REPO_CONFIG" &&
	test "$(stat -c %Y "$REPO_CONFIG")" = "$(date -d 2000-01-01 +%s)"
'

test_expect_success 'values may hold = : ; # and inner spaces' '
	(
		cd repo &&
		gt config set x.a "a = b: c;d #e f" &&
		gt config get x.a >../out
	) &&
	echo "a = b: c;d #e f" >expect &&
	test_cmp expect out
'

test_expect_success 'a value that begins with - follows --' '
	(
		cd repo &&
		gt config set x.neg -- -5 &&
		gt config get x.neg >../out
	) &&
	echo -5 >expect &&
	test_cmp expect out
'

test_expect_success 'set rejects values that would not read back' '
	cp "$REPO_CONFIG" before &&
	(
		cd repo &&
		test_expect_code 3 gt config set x.nl "$(printf "a\nb")" 2>../err &&
		test_grep "^fatal: value for x.nl contains a newline: config values are one line$" ../err &&
		test_expect_code 3 gt config set x.cr "$(printf "a\rb")" 2>../err &&
		test_grep "^fatal: value for x.cr contains a newline" ../err &&
		test_expect_code 3 gt config set x.ws " a" 2>../err &&
		test_grep "^fatal: value for x.ws begins or ends with whitespace: remove it$" ../err &&
		test_expect_code 3 gt config set x.ws "a	" 2>../err &&
		test_grep "^fatal: value for x.ws begins or ends with whitespace" ../err &&
		test_expect_code 3 gt config set x.c "a ;b" 2>../err &&
		test_grep "^fatal: value for x.c contains .*which starts a comment: remove the space before .;.$" ../err &&
		long=$(printf "%0200d" 0) &&
		test_expect_code 3 gt config set x.long "$long" 2>../err &&
		test_grep "^fatal: value for x.long is too long: a config line holds at most 197 bytes$" ../err
	) &&
	test_cmp before "$REPO_CONFIG"
'

test_expect_success 'set checks the values of the keys gastown knows' '
	cp "$REPO_CONFIG" before &&
	(
		cd repo &&
		test_expect_code 3 gt config set core.prefix GT 2>../err &&
		test_grep "^fatal: invalid prefix .GT.: use 1-16 characters of a-z and 0-9" ../err &&
		test_expect_code 3 gt config set core.titleLimit 0 2>../err &&
		test_grep "^fatal: invalid core.titleLimit .0.: use a positive number$" ../err &&
		test_expect_code 3 gt config set core.titlelimit many 2>../err &&
		test_grep "^fatal: invalid core.titleLimit .many.: use a positive number$" ../err &&
		test_expect_code 3 gt config set core.staleLockSeconds -- -1 2>../err &&
		test_grep "^fatal: invalid core.staleLockSeconds .-1.: use a positive number of seconds$" ../err &&
		test_expect_code 3 gt config set --user core.staleLockSeconds 0 2>../err &&
		test_grep "^fatal: invalid core.staleLockSeconds .0.: use a positive number of seconds$" ../err &&
		test_expect_code 3 gt config set --shared user.actor "<x>" 2>../err &&
		test_grep "^fatal: invalid actor .<x>.: use a non-empty name without .<. or .>.$" ../err &&
		test_expect_code 3 gt config set --user user.actor "" 2>../err &&
		test_grep "^fatal: invalid actor ..: use a non-empty name" ../err &&
		gt config set core.titleLimit 80 &&
		gt config set core.staleLockSeconds 1 &&
		test "$(gt config get core.titlelimit)" = 80 &&
		gt config unset core.titleLimit &&
		gt config unset core.staleLockSeconds
	) &&
	test_cmp before "$REPO_CONFIG" &&
	! test -e "$USER_CONFIG"
'

test_expect_success 'unset removes the key and nothing else' '
	(
		cd repo &&
		gt config unset x.a &&
		gt config unset x.neg &&
		test_expect_code 1 gt config get x.a
	) &&
	printf "[core]\nprefix = gt\n[tracker]\nurl = https://example.com/y\n[x]\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'unset of a missing key fails' '
	cp "$REPO_CONFIG" before &&
	(
		cd repo &&
		test_expect_code 2 gt config unset x.nothing 2>../err &&
		test_grep "^fatal: x.nothing is not set in $REPO_CONFIG$" ../err &&
		test_expect_code 2 gt config unset --user x.nothing 2>../err &&
		test_grep "^fatal: x.nothing is not set in $USER_CONFIG$" ../err &&
		test_expect_code 2 gt config unset --shared x.nothing 2>../err &&
		test_grep "^fatal: x.nothing is not set in refs/gastown/config$" ../err &&
		test_expect_code 2 gt config unset core.titlelimit 2>../err &&
		test_grep "^fatal: core.titlelimit is not set in $REPO_CONFIG$" ../err
	) &&
	test_cmp before "$REPO_CONFIG" &&
	! test -e "$USER_CONFIG" &&
	test_expect_code 1 git -C repo rev-parse -q --verify refs/gastown/config
'

test_expect_success 'set keeps comments, blank lines and other sections' '
	cat >"$REPO_CONFIG" <<-\EOF &&
	# gastown settings for this clone
	; edited by hand

	[Core]
	# the id prefix
	prefix = gt   ; inline comment
	titleLimit: 90

	; next section
	[tracker]
	url = https://example.com/y
	EOF
	(
		cd repo &&
		gt config set core.prefix ab &&
		gt config set core.staleLockSeconds 3 &&
		gt config set tracker.user me &&
		gt config set newsec.key v &&
		gt config unset core.titlelimit
	) &&
	cat >expect <<-\EOF &&
	# gastown settings for this clone
	; edited by hand

	[Core]
	# the id prefix
	prefix = ab
	staleLockSeconds = 3

	; next section
	[tracker]
	url = https://example.com/y
	user = me
	[newsec]
	key = v
	EOF
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set adds a final newline before appending' '
	printf "[a]\nx = 1" >"$REPO_CONFIG" &&
	(cd repo && gt config set a.y 2 && gt config set b.z 3) &&
	printf "[a]\nx = 1\ny = 2\n[b]\nz = 3\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set replaces a repeated key once and unset removes every copy' '
	printf "[a]\nx = 1\n[b]\ny = 0\n[a]\nx = 2\n" >"$REPO_CONFIG" &&
	(cd repo && gt config set a.x 3) &&
	printf "[a]\nx = 3\n[b]\ny = 0\n[a]\n" >expect &&
	test_cmp expect "$REPO_CONFIG" &&
	printf "[a]\nx = 1\n[b]\ny = 0\n[a]\nx = 2\n" >"$REPO_CONFIG" &&
	(cd repo && gt config unset a.x) &&
	printf "[a]\n[b]\ny = 0\n[a]\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'indented entries, as git writes them, are read and edited in place' '
	printf "[a]\n\tx = 1\n\ty = 2\n  # note\n[b]\n\tz = 3\n" >"$REPO_CONFIG" &&
	(
		cd repo &&
		gt config get a.y >../out &&
		gt config set a.x 5 &&
		gt config set a.w 4 &&
		gt config unset b.z &&
		gt config get a.x >>../out
	) &&
	printf "2\n5\n" >expect &&
	test_cmp expect out &&
	printf "[a]\n\tx = 5\n\ty = 2\n\tw = 4\n  # note\n[b]\n" >expect &&
	test_cmp expect "$REPO_CONFIG"
'

test_expect_success 'set keeps the mode of the file and writes through a symlink' '
	printf "[core]\nprefix = gt\n" >real-config &&
	chmod 600 real-config &&
	rm "$REPO_CONFIG" &&
	ln -s "$TRASH_DIRECTORY/real-config" "$REPO_CONFIG" &&
	(cd repo && gt config set a.b c) &&
	test -L "$REPO_CONFIG" &&
	test "$(stat -c %a real-config)" = 600 &&
	printf "[core]\nprefix = gt\n[a]\nb = c\n" >expect &&
	test_cmp expect real-config &&
	rm "$REPO_CONFIG" &&
	cp real-config "$REPO_CONFIG"
'

test_expect_success 'set waits for a lock, then fails' '
	test_when_finished "rm -f \"$REPO_CONFIG.lock\"" &&
	cp "$REPO_CONFIG" before &&
	: >"$REPO_CONFIG.lock" &&
	(cd repo && test_expect_code 5 gt config set a.b d 2>../err) &&
	test_grep "^fatal: cannot lock $REPO_CONFIG.lock: another gt is writing it; if none is running, remove the lock file$" err &&
	test_cmp before "$REPO_CONFIG"
'

test_expect_success 'a bad line in a config file is reported' '
	test_when_finished "cp before \"$REPO_CONFIG\"" &&
	cp "$REPO_CONFIG" before &&
	printf "[core]\nthis is not a setting\n" >"$REPO_CONFIG" &&
	(cd repo && test_expect_code 3 gt config get core.prefix 2>../err) &&
	test_grep "^fatal: bad config line 2 in $REPO_CONFIG: fix or remove that line$" err
'

test_expect_success NOT_ROOT 'an unreadable config file is reported' '
	test_when_finished "chmod 644 \"$REPO_CONFIG\"" &&
	chmod 0 "$REPO_CONFIG" &&
	(cd repo && test_expect_code 128 gt config list 2>../err) &&
	test_grep "^fatal: cannot read $REPO_CONFIG: Permission denied$" err
'

test_expect_success 'set --user writes ~/.config/gastown/config' '
	(
		cd repo &&
		gt config set --user core.titleLimit 100 &&
		gt config get core.titlelimit >../out
	) &&
	echo 100 >expect &&
	test_cmp expect out &&
	printf "[core]\ntitleLimit = 100\n" >expect &&
	test_cmp expect "$USER_CONFIG"
'

test_expect_success 'set --user honours XDG_CONFIG_HOME' '
	(
		cd repo &&
		XDG_CONFIG_HOME=$TRASH_DIRECTORY/xdg &&
		export XDG_CONFIG_HOME &&
		unset GT_ACTOR &&
		gt config set --user user.actor xdg-user &&
		gt config list --show-origin >../out
	) &&
	printf "[user]\nactor = xdg-user\n" >expect &&
	test_cmp expect xdg/gastown/config &&
	test_grep "^file:$TRASH_DIRECTORY/xdg/gastown/config	user.actor=xdg-user$" out
'

test_expect_success 'set --user needs HOME or XDG_CONFIG_HOME' '
	(
		cd repo &&
		unset HOME XDG_CONFIG_HOME &&
		test_expect_code 128 gt config set --user a.b c 2>../err
	) &&
	test_grep "^fatal: cannot find your config file: set HOME or XDG_CONFIG_HOME$" err
'

test_expect_success 'the repository file wins over the user file' '
	(
		cd repo &&
		gt config set --repo core.titleLimit 200 &&
		gt config get core.titleLimit >../out &&
		gt config unset --repo core.titleLimit &&
		gt config get core.titleLimit >>../out
	) &&
	printf "200\n100\n" >expect &&
	test_cmp expect out
'

test_expect_success 'set --shared commits to refs/gastown/config' '
	(
		cd repo &&
		GT_ACTOR=mayor gt config set --shared core.prefix sh &&
		gt config set --shared tracker.kind jira
	) &&
	git -C repo show refs/gastown/config:config >actual &&
	printf "[core]\nprefix = sh\n[tracker]\nkind = jira\n" >expect &&
	test_cmp expect actual &&
	git -C repo ls-tree --name-only refs/gastown/config >actual &&
	echo config >expect &&
	test_cmp expect actual &&
	git -C repo log --format="%an <%ae>|%s|%P" refs/gastown/config >log &&
	first=$(git -C repo rev-parse refs/gastown/config~1) &&
	cat >expect <<-EOF &&
	tester <tester>|config.set: tracker.kind|$first
	mayor <mayor>|config.set: core.prefix|
	EOF
	test_cmp expect log
'

test_expect_success 'set --shared of the same value writes no commit' '
	git -C repo rev-parse refs/gastown/config >before &&
	(cd repo && gt config set --shared tracker.kind jira) &&
	git -C repo rev-parse refs/gastown/config >after &&
	test_cmp before after
'

test_expect_success 'layers: shared < user < repo < environment' '
	(
		cd repo &&
		unset GT_ACTOR &&
		gt config set --shared user.actor shared-actor &&
		gt config get user.actor >../out &&
		gt config set --user user.actor user-actor &&
		gt config get user.actor >>../out &&
		gt config set user.actor repo-actor &&
		gt config get user.actor >>../out &&
		GT_ACTOR=env-actor gt config get user.actor >>../out &&
		gt config get tracker.kind >>../out &&
		gt config get core.prefix >>../out &&
		GT_PREFIX=envp gt config get core.prefix >>../out &&
		gt config unset core.prefix &&
		gt config get core.prefix >>../out &&
		gt config set core.prefix gt
	) &&
	cat >expect <<-\EOF &&
	shared-actor
	user-actor
	repo-actor
	env-actor
	jira
	gt
	envp
	sh
	EOF
	test_cmp expect out
'

test_expect_success 'unset --shared removes a key with a new commit' '
	git -C repo rev-parse refs/gastown/config >before &&
	(
		cd repo &&
		gt config unset --shared tracker.kind &&
		test_expect_code 1 gt config get tracker.kind
	) &&
	git -C repo rev-parse refs/gastown/config~1 >parent &&
	test_cmp before parent &&
	git -C repo log -1 --format=%s refs/gastown/config >actual &&
	echo "config.unset: tracker.kind" >expect &&
	test_cmp expect actual
'

test_expect_success 'list prints the effective values sorted by key' '
	(cd repo && gt config list >../out) &&
	cat >expect <<-\EOF &&
	a.b=c
	core.prefix=gt
	core.stalelockseconds=10
	core.titlelimit=100
	user.actor=tester
	EOF
	test_cmp expect out
'

test_expect_success 'list --show-origin names the layer of each value' '
	(cd repo && GT_ACTOR= GT_PREFIX=envp gt config list --show-origin >../out) &&
	cat >expect <<-EOF &&
	file:$REPO_CONFIG	a.b=c
	env:GT_PREFIX	core.prefix=envp
	default	core.stalelockseconds=10
	file:$USER_CONFIG	core.titlelimit=100
	file:$REPO_CONFIG	user.actor=repo-actor
	EOF
	test_cmp expect out &&
	(cd repo && gt config unset user.actor && unset GT_ACTOR &&
	 gt config list --show-origin >../out) &&
	test_grep "^file:$USER_CONFIG	user.actor=user-actor$" out &&
	(cd repo && gt config unset --user user.actor && unset GT_ACTOR &&
	 gt config list --show-origin >../out) &&
	test_grep "^ref:refs/gastown/config	user.actor=shared-actor$" out
'

test_expect_success 'a damaged shared config is reported' '
	git init -q damaged &&
	(
		cd damaged &&
		blob=$(printf "[core]\nno value here\n" | git hash-object -w --stdin) &&
		tree=$(printf "100644 blob %s\tconfig\n" "$blob" | git mktree) &&
		commit=$(git commit-tree -m bad "$tree") &&
		git update-ref refs/gastown/config "$commit" &&
		test_expect_code 3 gt config get core.prefix 2>../err &&
		test_grep "^fatal: bad config line 2 in refs/gastown/config (see .git show refs/gastown/config:config.)$" ../err &&
		other=$(printf "x\n" | git hash-object -w --stdin) &&
		tree=$(printf "100644 blob %s\tnotconfig\n" "$other" | git mktree) &&
		commit=$(git commit-tree -m bad "$tree") &&
		git update-ref refs/gastown/config "$commit" &&
		test_expect_code 128 gt config list 2>../err &&
		test_grep "^fatal: refs/gastown/config has no config blob$" ../err &&
		git update-ref refs/gastown/config "$blob" &&
		test_expect_code 128 gt config get a.b 2>../err &&
		test_grep "^fatal: refs/gastown/config does not point to a commit$" ../err
	)
'

test_expect_success 'concurrent set --shared loses no update' '
	(
		cd repo &&
		for w in 1 2 3; do
			(
				for i in 1 2 3 4 5 6; do
					gt config set --shared "race.w$w-$i" v || exit 1
				done
			) &
		done &&
		wait &&
		gt config list >../out
	) &&
	grep "^race\." out >race &&
	test_line_count = 18 race
'

test_expect_success 'set and unset need a repository, except --user' '
	mkdir -p outside &&
	(
		cd outside &&
		test_expect_code 2 gt config set a.b c 2>../err &&
		test_grep "^fatal: not a git repository (run .git init. first)$" ../err &&
		test_expect_code 2 gt config set --shared a.b c 2>../err &&
		test_grep "^fatal: not a git repository" ../err &&
		test_expect_code 2 gt config unset --repo a.b 2>../err &&
		test_grep "^fatal: not a git repository" ../err &&
		gt config set --user outside.key yes
	) &&
	grep "^key = yes$" "$USER_CONFIG"
'

test_expect_success 'get and list work outside a repository' '
	(
		cd outside &&
		gt config get outside.key >../out &&
		gt config get core.prefix >>../out &&
		test_expect_code 1 gt config get a.b &&
		gt config list --show-origin >../list
	) &&
	printf "yes\ngt\n" >expect &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	default	core.prefix=gt
	default	core.stalelockseconds=10
	file:$USER_CONFIG	core.titlelimit=100
	env:GT_ACTOR	user.actor=tester
	file:$USER_CONFIG	outside.key=yes
	EOF
	sort -t "	" -k2 expect >expect.sorted &&
	test_cmp expect.sorted list
'

test_expect_success 'usage errors exit 129' '
	(
		cd repo &&
		test_expect_code 129 gt config 2>../err &&
		test_grep "^usage error: missing subcommand: get, set, unset or list$" ../err &&
		test_grep "^usage: gt config get <key>$" ../err &&
		test_expect_code 129 gt config frob 2>../err &&
		test_grep "^usage error: unknown subcommand .frob.: use get, set, unset or list$" ../err &&
		test_expect_code 129 gt config --user set a.b c 2>../err &&
		test_grep "^usage error: unknown option .--user.$" ../err &&
		test_expect_code 129 gt config get 2>../err &&
		test_grep "^usage error: missing <key>$" ../err &&
		test_expect_code 129 gt config get a.b c 2>../err &&
		test_grep "^usage error: too many arguments$" ../err &&
		test_expect_code 129 gt config get --repo a.b 2>../err &&
		test_grep "^usage error: unknown option .--repo.$" ../err &&
		test_expect_code 129 gt config set a.b 2>../err &&
		test_grep "^usage error: missing <value>$" ../err &&
		test_expect_code 129 gt config set 2>../err &&
		test_grep "^usage error: missing <key>$" ../err &&
		test_expect_code 129 gt config set a.b c d 2>../err &&
		test_grep "^usage error: too many arguments$" ../err &&
		test_expect_code 129 gt config set --user --shared a.b c 2>../err &&
		test_grep "^usage error: options .--repo., .--user. and .--shared. cannot be used together$" ../err &&
		test_expect_code 129 gt config unset --repo --user a.b 2>../err &&
		test_grep "cannot be used together$" ../err &&
		test_expect_code 129 gt config unset 2>../err &&
		test_grep "^usage error: missing <key>$" ../err &&
		test_expect_code 129 gt config unset a.b c 2>../err &&
		test_grep "^usage error: too many arguments$" ../err &&
		test_expect_code 129 gt config list extra 2>../err &&
		test_grep "^usage error: too many arguments$" ../err &&
		test_expect_code 129 gt config list --show 2>../err &&
		test_grep "^usage error: unknown option .--show.$" ../err &&
		test_expect_code 129 gt config -h >../out &&
		test_grep "^usage: gt config get <key>$" ../out &&
		test_grep "^   or: gt config list \[--show-origin\]$" ../out &&
		test_expect_code 129 gt config set -h >../out &&
		test_grep "^    --shared" ../out
	)
'

test_expect_success 'git gt config runs the same command' '
	(cd repo && git gt config get core.prefix >../out) &&
	echo gt >expect &&
	test_cmp expect out
'

test_done
