#!/bin/sh
test_description='gt sync, gt merge, gt remote-setup: two clones and a bare remote'
. ./test-lib.sh

# the no-op fast path is asserted: no ref file counts as just changed
GT_TEST_RACY_MS=0 && export GT_TEST_RACY_MS

# tips of every ref under refs/gastown/ (the ledger included)
tips() { git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/gastown/; }

# both clones hold exactly the same ledger and the same export
same_state() {
	tips a >tips-a && tips b >tips-b && test_cmp tips-a tips-b &&
	(cd a && gt export) >export-a && (cd b && gt export) >export-b &&
	test_cmp export-a export-b
}

test_expect_success 'setup: a bare remote and two clones' '
	git init -q --bare hub.git &&
	for c in a b; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix bd) || return 1
	done
'

test_expect_success 'no remote: the message says how to add one' '
	git init -q lonely && cd lonely && gt init -q &&
	test_expect_code 2 gt sync 2>err &&
	test_grep "no remote to sync with; add one with .git remote add origin <url>. then .gt remote-setup origin." err
'

test_expect_success 'several remotes and no origin: name one' '
	git init -q two && cd two && gt init -q &&
	git remote add x ../hub.git && git remote add y ../hub.git &&
	test_expect_code 3 gt sync 2>err &&
	test_grep "several remotes and none is .origin." err
'

test_expect_success 'the first sync publishes one ledger ref' '
	(cd a && gt create --id bd-1 "First" && gt create --id bd-2 "Second" -l x) >/dev/null &&
	(cd a && gt sync) >out &&
	printf "sync origin: up to date\npushed to origin\n" >expect &&
	test_cmp expect out &&
	git -C hub.git for-each-ref --format="%(refname)" >refs &&
	echo refs/gastown/ledger >expect && test_cmp expect refs &&
	git -C hub.git ls-tree -r --name-only refs/gastown/ledger >paths &&
	test_line_count = 2 paths &&
	grep -q "^[0-9a-f][0-9a-f]/beads:bd-1$" paths &&
	test "$(git -C hub.git ls-tree -r refs/gastown/ledger | cut -c1-6 | sort -u)" = 160000
'

test_expect_success 'the remote holds every object of the chains (git fsck)' '
	git -C hub.git fsck --no-dangling 2>err &&
	! grep -v "^notice" err
'

test_expect_success 'the other clone gets every bead' '
	(cd b && gt sync -v) >out &&
	printf "new      bd-1\nnew      bd-2\nsync origin: 2 new, 0 updated, 0 merged, 0 renamed\n" >expect &&
	test_cmp expect out &&
	same_state
'

test_expect_success 'a sync with nothing new pushes nothing' '
	(cd b && gt sync) >out &&
	echo "sync origin: up to date" >expect && test_cmp expect out
'

test_expect_success 'changes on one side move the other forward' '
	(cd a && gt update bd-1 -p 0 && gt sync -q) &&
	(cd b && gt sync -v) >out &&
	test_grep "^updated  bd-1$" out &&
	same_state
'

test_expect_success 'concurrent changes to different fields merge' '
	(cd a && gt update bd-1 --title "First, renamed" && gt sync -q) &&
	(cd b && gt update bd-1 --assignee bob && gt sync -v) >out &&
	test_grep "^merged   bd-1$" out &&
	(cd a && gt sync -q) &&
	same_state &&
	(cd a && gt show --json bd-1) | jq -r "[.title, .assignee, .priority] | @tsv" >got &&
	printf "First, renamed\tbob\t0\n" >expect && test_cmp expect got
'

test_expect_success 'the merge commit has two parents and is written by gastown' '
	git -C a cat-file -p refs/gastown/beads/bd-1 >c &&
	test "$(grep -c ^parent c)" = 2 &&
	test_grep "^author gastown <gastown>" c &&
	git -C a show refs/gastown/beads/bd-1:op.json | jq -r .type >type &&
	echo merge >expect && test_cmp expect type &&
	(cd a && gt fsck)
'

test_expect_success 'two clones merging the same heads write the same commit' '
	(cd a && gt comment bd-2 "from a" && gt sync -q) &&
	(cd b && gt comment bd-2 "from b") &&
	git -C b fetch -q origin &&
	cp -R b b2 &&
	(cd b && gt merge -q) && (cd b2 && gt merge -q) &&
	test "$(git -C b rev-parse refs/gastown/beads/bd-2)" = \
	     "$(git -C b2 rev-parse refs/gastown/beads/bd-2)" &&
	rm -rf b2 &&
	(cd b && gt sync -q) && (cd a && gt sync -q) && same_state &&
	(cd a && gt show --json bd-2) | jq -r ".comments[].text" | sort >texts &&
	printf "from a\nfrom b\n" >expect && test_cmp expect texts
'

test_expect_success 'the same field on both sides: the later operation wins everywhere' '
	(cd a && GT_TEST_NOW=1900000000 gt update bd-2 --title "A title" && gt sync -q) &&
	(cd b && GT_TEST_NOW=1900000001 gt update bd-2 --title "B title" && gt sync -q) &&
	(cd a && gt sync -q) && same_state &&
	(cd a && gt show --json bd-2) | jq -r .title >t &&
	echo "B title" >expect && test_cmp expect t
'

test_expect_success 'labels: adds and removes from both sides' '
	(cd a && gt update bd-2 --add-label a1 --remove-label x && gt sync -q) &&
	(cd b && gt update bd-2 --add-label b1 && gt sync -q) &&
	(cd a && gt sync -q) && same_state &&
	(cd b && gt show --json bd-2) | jq -r ".labels | sort | join(\",\")" >l &&
	echo "a1,b1" >expect && test_cmp expect l
'

test_expect_success 'close on one side, comment on the other' '
	(cd a && gt close bd-1 --reason done && gt sync -q) &&
	(cd b && gt comment bd-1 "late note" && gt sync -q) &&
	(cd a && gt sync -q) && same_state &&
	(cd b && gt show --json bd-1) | jq -r "[.status, (.comments | length)] | @tsv" >s &&
	printf "closed\t1\n" >expect && test_cmp expect s
'

test_expect_success 'members and operation types this version does not know survive' '
	cat >future.jsonl <<-\EOF &&
	{"id":"bd-9","title":"From the future","status":"open","wisp_color":"teal"}
	EOF
	(cd a && gt import -q ../future.jsonl && gt sync -q) &&
	(cd b && gt sync -q && gt update bd-9 -p 1 && gt sync -q) &&
	(cd a && gt update bd-9 --assignee ann && gt sync -q) && (cd b && gt sync -q) &&
	same_state &&
	(cd b && gt show --json bd-9) | jq -r .wisp_color >c &&
	echo teal >expect && test_cmp expect c
'

test_expect_success 'the remote moved before our push: fetch, merge, push again' '
	(cd b && gt update bd-2 -p 3) &&
	(cd a && gt update bd-2 -p 4 &&
	 GT_TEST_BEFORE_PUSH="cd ../b && gt sync -q" gt sync) >out &&
	test_grep "pushed to origin" out &&
	(cd b && gt sync -q) && same_state
'

test_expect_success 'the ledger is pushed as a compare-and-swap on the merged remote value' '
	(cd a && gt update bd-2 -p 2 >/dev/null) &&
	theirs=$(git -C a rev-parse refs/remotes/origin/gastown/ledger) &&
	(cd a && GIT_TRACE=$TRASH_DIRECTORY/trace-lease gt sync -q) &&
	grep "push.*--force-with-lease=refs/gastown/ledger:$theirs" trace-lease &&
	test "$(git -C hub.git rev-parse refs/gastown/ledger)" = "$(git -C a rev-parse refs/gastown/ledger)" &&
	git -C hub.git merge-base --is-ancestor $theirs refs/gastown/ledger
'

test_expect_success 'the push makes no delta search, unless the git config sets pack.window' '
	(cd a && gt update bd-2 -p 3 >/dev/null &&
	 GIT_TRACE2_EVENT=$TRASH_DIRECTORY/ev-window GIT_TRACE2_CONFIG_PARAMS=pack.window \
		gt sync -q) &&
	grep "\"cmd_name\",.*\"name\":\"push\"" ev-window &&
	grep "\"param\":\"pack.window\",\"value\":\"0\"" ev-window &&
	git -C a config pack.window 7 &&
	test_when_finished "git -C a config --unset pack.window" &&
	(cd a && gt update bd-2 -p 2 >/dev/null &&
	 GIT_TRACE2_EVENT=$TRASH_DIRECTORY/ev-window7 GIT_TRACE2_CONFIG_PARAMS=pack.window \
		gt sync -q) &&
	grep "\"param\":\"pack.window\",\"value\":\"7\"" ev-window7 &&
	! grep "\"param\":\"pack.window\",\"value\":\"0\"" ev-window7 &&
	test "$(git -C hub.git rev-parse refs/gastown/ledger)" = "$(git -C a rev-parse refs/gastown/ledger)" &&
	git -C hub.git fsck --no-dangling
'

test_expect_success 'a remote that denies non-fast-forwards takes the ledger' '
	git -C hub.git config receive.denyNonFastForwards true &&
	test_when_finished "git -C hub.git config --unset receive.denyNonFastForwards" &&
	(cd a && gt update bd-2 -p 1 >/dev/null && gt sync -q) &&
	(cd b && gt sync -q) && same_state
'

test_expect_success 'a remote that lost its ledger (a new server at the same URL) gets it again' '
	git init -q --bare hub2.git &&
	git -C a remote set-url origin ../hub2.git &&
	test_when_finished "git -C a remote set-url origin ../hub.git" &&
	(cd a && gt sync) >out &&
	test_grep "pushed to origin" out &&
	test "$(git -C hub2.git rev-parse refs/gastown/ledger)" = "$(git -C a rev-parse refs/gastown/ledger)"
'

test_expect_success 'plain git fetch, then gt merge' '
	(cd a && gt create --id bd-20 "Fetched by git" >/dev/null && gt sync -q) &&
	git -C b fetch -q origin &&
	git -C b rev-parse --verify -q refs/remotes/origin/gastown/ledger >/dev/null &&
	(cd b && gt merge -v) >out &&
	test_grep "^new      bd-20$" out &&
	test_grep "^merge origin: 1 new" out &&
	(cd b && gt show bd-20 >/dev/null)
'

test_expect_success 'git clone + gt init + gt sync gets the whole ledger' '
	git clone -q hub.git cloned 2>/dev/null && (cd cloned && gt init -q && gt sync -q) &&
	(cd a && gt sync -q && gt export) >export-a &&
	(cd cloned && gt export) >export-c && test_cmp export-a export-c
'

test_expect_success 'gt init configures the remote so that plain git fetch carries the ledger' '
	git -C cloned config --get-all remote.origin.fetch >specs &&
	test_grep "^+refs/gastown/ledger\*:refs/remotes/origin/gastown/ledger\*$" specs &&
	test_grep "^+refs/notes/gastown\*:refs/remotes/origin/notes/gastown\*$" specs
'

test_expect_success 'file:// remotes' '
	git init -q d && cd d && gt init -q &&
	git remote add origin "file://$TRASH_DIRECTORY/hub.git" &&
	gt sync -q && gt show bd-20 >/dev/null
'

test_expect_success 'git daemon on 127.0.0.1 (git://), both ways' '
	port=$(( 20000 + $$ % 20000 )) &&
	git daemon --export-all --enable=receive-pack --base-path="$TRASH_DIRECTORY" \
		--listen=127.0.0.1 --port=$port --reuseaddr --detach \
		--pid-file="$TRASH_DIRECTORY/daemon.pid" "$TRASH_DIRECTORY" &&
	test_when_finished "kill \$(cat \"$TRASH_DIRECTORY/daemon.pid\") 2>/dev/null" &&
	git init -q g && cd g && gt init -q &&
	git remote add origin git://127.0.0.1:$port/hub.git &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		git ls-remote origin >/dev/null 2>&1 && break; sleep 0.2
	done &&
	gt sync -q && gt show bd-20 >/dev/null &&
	gt create --id bd-30 "Over git://" >/dev/null && gt sync -q &&
	cd ../a && gt sync -q && gt show bd-30 >/dev/null
'

test_expect_success 'notes merge as a union of lines; unpushed notes survive a fetch' '
	git -C a commit -q --allow-empty -m code &&
	git -C a push -q origin HEAD:refs/heads/main &&
	git -C b fetch -q origin refs/heads/main:refs/heads/main &&
	c=$(git -C a rev-parse HEAD) &&
	git -C a notes --ref=gastown add -m "{\"bead\":\"bd-1\",\"by\":\"a\"}" $c &&
	(cd a && gt sync -q) &&
	git -C b notes --ref=gastown add -m "{\"bead\":\"bd-1\",\"by\":\"b\"}" $c &&
	(cd b && gt sync -q) && (cd a && gt sync -q) &&
	git -C a notes --ref=gastown show $c >na &&
	git -C b notes --ref=gastown show $c >nb &&
	test_cmp na nb && test_line_count = 2 na &&
	test_grep "\"by\":\"a\"" na && test_grep "\"by\":\"b\"" na
'

test_expect_success 'a ledger that is not one is refused; nothing changes' '
	git init -q --bare bad.git &&
	blob=$(echo hi | git -C bad.git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tjunk\n" $blob | git -C bad.git mktree) &&
	commit=$(git -C bad.git commit-tree -m x $tree) &&
	git -C bad.git update-ref refs/gastown/ledger $commit &&
	cd b && git remote add bad ../bad.git &&
	tips . >before &&
	test_expect_code 3 gt sync bad 2>err &&
	test_grep "is not a ledger entry" err &&
	tips . >after && test_cmp before after
'

test_expect_success 'an unreachable remote: git says why, exit 128' '
	cd b && git remote add gone ../no-such.git &&
	test_expect_code 128 gt sync gone 2>err &&
	test_grep "git fetch gone failed" err
'

test_expect_success 'remote-setup: adds the refspecs once; errors' '
	cd b && git remote add later ../hub.git &&
	gt remote-setup later >out &&
	echo "remote later: now carries the ledger and notes" >expect && test_cmp expect out &&
	gt remote-setup later >out &&
	echo "remote later: already carries the ledger and notes" >expect && test_cmp expect out &&
	test_expect_code 2 gt remote-setup nowhere 2>err &&
	test_grep "no such remote: nowhere" err &&
	test_expect_code 129 gt remote-setup 2>err &&
	test_grep "which remote" err &&
	test_expect_code 129 gt remote-setup --all later &&
	test_expect_code 129 gt sync x y &&
	test_expect_code 129 gt merge --bogus
'

test_expect_success 'a sync after a sync with nothing new runs no fetch' '
	(cd a && gt sync -q && gt sync -q) &&
	(cd a && GIT_TRACE=$TRASH_DIRECTORY/trace gt sync) >out &&
	echo "sync origin: up to date" >expect && test_cmp expect out &&
	grep -q "ls-remote" trace && ! grep -q "fetch" trace
'

test_expect_success 'but a ref moved by plain git since is published' '
	(cd a && gt sync -q && gt sync -q) &&
	tip=$(git -C a rev-parse refs/gastown/beads/bd-20) &&
	(cd a && gt update bd-20 -p 1) &&
	new=$(git -C a rev-parse refs/gastown/beads/bd-20) &&
	git -C a update-ref refs/gastown/beads/bd-20 $tip &&
	(cd a && gt sync -q) &&
	git -C a update-ref refs/gastown/beads/bd-20 $new $tip &&
	(cd a && gt sync) >out && test_grep "pushed to origin" out &&
	(cd b && gt sync -q && gt show --json bd-20) | jq -r .priority >p &&
	echo 1 >expect && test_cmp expect p
'

test_expect_success 'and so is a change made on the remote' '
	(cd a && gt sync -q && gt sync -q) &&
	(cd b && gt update bd-20 -p 3 && gt sync -q) &&
	(cd a && gt sync -v) >out && test_grep "^updated  bd-20$" out
'

test_expect_success 'a merge of more refs than the open files limit' '
	i=0 && while test $i -lt 150; do
		echo "{\"id\":\"bd-many$i\",\"title\":\"many $i\"}"; i=$((i + 1))
	done >many.jsonl &&
	(cd a && gt import -q ../many.jsonl && gt sync -q) &&
	git init -q f && cd f && gt init -q && git remote add origin ../hub.git &&
	(ulimit -n 48 && gt sync -q) &&
	gt list --all | grep -c "many " >n && echo 150 >expect && test_cmp expect n
'

test_expect_success 'gt merge with nothing fetched is up to date' '
	git init -q e && cd e && gt init -q && git remote add origin ../hub.git &&
	gt merge >out && echo "merge origin: up to date" >expect && test_cmp expect out
'

test_done
