#!/bin/sh
test_description='pre-receive: the server rejects pushes that would damage the ledger

A bare repository set up with "gt init --bare" receives the ledger from
clones that use gt sync (accepted) and from a hostile clone that pushes
objects crafted with plain git (each rejected, ref by ref, with the
refs of the server left as they were).'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-receive.sh"

# --- gt init --bare ---------------------------------------------------------

test_expect_success 'setup: no automatic gc after each push and fetch (speed)' '
	git config --global receive.autogc false &&
	git config --global gc.auto 0 &&
	git config --global maintenance.auto false
'

test_expect_success 'init --bare installs the pre-receive hook' '
	git init -q --bare server.git &&
	(cd server.git && gt init --bare >../out) &&
	cat >expect <<-EOF &&
	Initialized gastown in $TRASH_DIRECTORY/server.git/gastown
	prefix: gt
	actor: tester
	installed the pre-receive hook in $TRASH_DIRECTORY/server.git/hooks/pre-receive
	EOF
	test_cmp expect out &&
	test_cmp "$SRC_DIR/hooks/pre-receive" server.git/hooks/pre-receive &&
	test -x server.git/hooks/pre-receive
'

test_expect_success 'init --bare again changes nothing' '
	(cd server.git && gt init --bare >../out) &&
	test_grep "nothing changed$" out &&
	test_grep -v "hook" out
'

test_expect_success 'init --bare updates an older gastown hook' '
	printf "#!/bin/sh\n# gastown pre-receive hook (an old one)\nexit 0\n" \
		>server.git/hooks/pre-receive &&
	(cd server.git && gt init --bare >../out) &&
	test_grep "^updated the pre-receive hook in $TRASH_DIRECTORY/server.git/hooks/pre-receive$" out &&
	test_cmp "$SRC_DIR/hooks/pre-receive" server.git/hooks/pre-receive
'

test_expect_success 'init --bare never replaces a hook of your own' '
	git init -q --bare own.git &&
	printf "#!/bin/sh\necho mine\n" >own.git/hooks/pre-receive &&
	cp own.git/hooks/pre-receive mine &&
	(cd own.git && test_expect_code 4 gt init --bare >../out 2>../err) &&
	echo "fatal: $TRASH_DIRECTORY/own.git/hooks/pre-receive exists and is not gastown'"'"'s: rename it to pre-receive.local (gastown'"'"'s hook runs it after its own check) and run '"'"'gt init --bare'"'"' again" >expect &&
	test_cmp expect err &&
	test_must_be_empty out &&
	test_cmp mine own.git/hooks/pre-receive &&
	! test -e own.git/gastown &&
	mv own.git/hooks/pre-receive own.git/hooks/pre-receive.local &&
	(cd own.git && gt init -q --bare) &&
	test_cmp "$SRC_DIR/hooks/pre-receive" own.git/hooks/pre-receive &&
	test_cmp mine own.git/hooks/pre-receive.local
'

test_expect_success 'init --bare wants a bare repository and git'"'"'s hooks directory' '
	git init -q worktree &&
	(cd worktree && test_expect_code 4 gt init --bare 2>../err) &&
	echo "fatal: --bare is for a server'"'"'s bare repository, and this one has a working tree: run '"'"'gt init'"'"' without --bare" >expect &&
	test_cmp expect err &&
	! test -e worktree/.git/gastown &&
	! test -e worktree/.git/hooks/pre-receive &&
	git init -q --bare elsewhere.git &&
	git -C elsewhere.git config core.hooksPath /srv/hooks &&
	(cd elsewhere.git && test_expect_code 4 gt init --bare 2>../err) &&
	echo "fatal: core.hooksPath is set (/srv/hooks): install the pre-receive hook there yourself (see hooks/README.md)" >expect &&
	test_cmp expect err &&
	! test -e elsewhere.git/hooks/pre-receive
'

# --- pushes from gt sync ----------------------------------------------------

test_expect_success 'gt sync pushes a ledger: accepted' '
	git init -q alice && cd alice &&
	git remote add origin ../server.git && gt init -q &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt update gt-a --title "Alpha two" &&
	gt create --id gt-b -l bug "Beta" >/dev/null &&
	gt sync >out 2>err &&
	test_grep "^pushed to origin$" out &&
	git rev-parse refs/gastown/ledger >expect &&
	git -C ../server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
'

test_expect_success 'a second sync with changes, and a merge from another clone: accepted' '
	git init -q bob && cd bob &&
	git remote add origin ../server.git && gt init -q &&
	gt sync -q &&
	gt comment gt-a "from bob" &&
	gt create --id gt-c "Gamma" >/dev/null &&
	gt sync -q &&
	cd ../alice &&
	gt update gt-b --add-label urgent &&
	gt config set --shared core.titleLimit 90 &&
	gt sync -q &&
	git rev-parse refs/gastown/ledger >expect &&
	git -C ../server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual &&
	gt show --json gt-a gt-c >/dev/null &&
	cd ../bob && gt sync -q && gt show --json gt-b | grep urgent
'

test_expect_success 'two beads given one id: the older keeps it, the push is accepted' '
	(cd bob && GT_TEST_NOW=1700000000 gt create --id gt-x "Older" >/dev/null) &&
	(cd alice && GT_TEST_NOW=1700000500 gt create --id gt-x "Younger" >/dev/null &&
	 gt sync -q) &&
	younger=$(git -C server.git rev-parse "refs/gastown/ledger:$(lpath beads/gt-x)") &&
	(cd bob && gt sync -q) &&
	older=$(git -C server.git rev-parse "refs/gastown/ledger:$(lpath beads/gt-x)") &&
	test $older = $(git -C bob rev-parse refs/gastown/beads/gt-x) &&
	test_must_fail git -C server.git merge-base $younger $older &&
	git -C server.git ls-tree -r refs/gastown/ledger >tree &&
	test_grep "/beads:gt-x-[0-9a-z]*\$" tree &&
	(cd alice && gt sync -q && gt show gt-x | grep Older)
'

# --- pushes crafted with plain git --------------------------------------------

test_expect_success 'setup: a hostile clone' '
	PA=$(lpath beads/gt-a) && PB=$(lpath beads/gt-b) && PC=$(lpath config) &&
	git init -q evil && cd evil &&
	git remote add origin ../server.git &&
	fetch_ledger &&
	test -n "$A" && test -n "$B" && test $KA -gt 1
'

test_expect_success JQ 'a sound ledger made by hand is accepted' '
	cd evil &&
	c=$(retitle $A $((KA + 1)) 1700000000000 "By hand") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	git push -q origin $new:refs/gastown/ledger &&
	test "$(git -C ../server.git rev-parse refs/gastown/ledger)" = $new &&
	fetch_ledger
'

test_expect_success 'a blob as the ledger' '
	cd evil &&
	blob=$(echo "not a ledger" | git hash-object -w --stdin) &&
	push_rejected +$blob:refs/gastown/ledger &&
	said "refs/gastown/ledger: points to a blob, not a commit"
'

test_expect_success 'a ledger entry that is not a gitlink' '
	cd evil &&
	blob=$(echo "not a commit" | git hash-object -w --stdin) &&
	new=$(ledger_with $L 100644 $blob $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: not a ledger: $new: '"'"'$PA'"'"' is not a ledger entry"
'

test_expect_success 'a ledger tree nested deeper than any ref name' '
	cd evil &&
	deep=ab$(printf "/nested-%03d" $(seq 1 120))/gt-x &&
	new=$(ledger_with $L 160000 $(git rev-parse $L^{commit}) $deep) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: not a ledger: $new: a tree in shard ab is too deep for a ledger"
'

test_expect_success JQ 'invalid JSON in bead.json' '
	cd evil &&
	c=$(craft $A 1700000001000 "$(op bead.update $((KA + 1)) 1700000001000)" "{\"title\": oops") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: bead.json is not valid JSON"
'

test_expect_success JQ 'a snapshot that differs from the replay' '
	cd evil &&
	c=$(craft $A 1700000001000 \
		"$(op bead.update $((KA + 1)) 1700000001000 "{\"set\":\"title\",\"value\":\"Said\"}")" \
		"$(git cat-file -p $A:bead.json | jq -c ".title = \"Done\"")") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: bead.json differs from the replay of its operations (member '"'"'title'"'"')"
'

test_expect_success JQ 'a broken chain: a parent without op.json' '
	cd evil &&
	snap=$(git rev-parse $B:bead.json) &&
	p=$(git commit-tree -p $B -m "no op" $(printf "100644 blob %s\tbead.json\n" $snap | git mktree)) &&
	c=$(retitle $p $((KB + 2)) 1700000002000 "On a broken chain") &&
	new=$(ledger_with $L 160000 $c $PB) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: commit $p: no op.json in its tree"
'

test_expect_success JQ 'a clock that goes backwards, a clock that jumps' '
	cd evil &&
	c=$(retitle $A 1 1700000003000 "Back in time") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: clock is 1, expected $((KA + 1)) (one more than its parents'"'"' highest)" \
		"refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: bead.json differs from the replay of its operations (member '"'"'title'"'"')" &&
	c=$(retitle $A 1000000 1700000003000 "Far ahead") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: clock is 1000000, expected $((KA + 1)) (one more than its parents'"'"' highest)"
'

test_expect_success JQ 'an operation dated more than a day ahead of the server' '
	cd evil &&
	c=$(retitle $A $((KA + 1)) 4102444800000 "From 2100") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	GT_TEST_NOW=2000000000 && export GT_TEST_NOW &&
	push_rejected $new:refs/gastown/ledger &&
	unset GT_TEST_NOW &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: commit $c: operation time 2100-01-01T00:00:00Z is more than a day ahead of the server'"'"'s clock (2033-05-18T03:33:20Z)" &&
	c=$(retitle $A $((KA + 1)) $(( ($(date +%s) + 82800) * 1000 )) "Tomorrow, nearly") &&
	new=$(ledger_with $L 160000 $c $PA) &&
	git push -q origin $new:refs/gastown/ledger &&
	fetch_ledger
'

test_expect_success 'a rewritten ledger history (forced push)' '
	cd evil &&
	new=$(git commit-tree -m "ledger: rewritten" $L^{tree}) &&
	push_rejected +$new:refs/gastown/ledger &&
	said "refs/gastown/ledger: history rewritten: $new does not descend from $L (the ledger only moves forward: fetch and merge with '"'"'gt sync'"'"', do not force the push)" &&
	push_rejected +$L^:refs/gastown/ledger &&
	said "refs/gastown/ledger: history rewritten: $(git rev-parse $L^) does not descend from $L (the ledger only moves forward: fetch and merge with '"'"'gt sync'"'"', do not force the push)"
'

test_expect_success 'a deleted ledger' '
	cd evil &&
	push_rejected :refs/gastown/ledger &&
	said "refs/gastown/ledger: deleting the ledger is not allowed" &&
	test_grep "^ ! \[remote rejected\] refs/gastown/ledger (pre-receive hook declined)$" ../err
'

test_expect_success 'an entity dropped from the ledger' '
	cd evil &&
	new=$(ledger_with $L - - $PB) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-b: dropped from the ledger (entities are never removed: a deletion is a tombstone operation)"
'

test_expect_success JQ 'a rewritten entity history' '
	cd evil &&
	sibling=$(retitle $A^ $KA 1700000004000 "Another past") &&
	new=$(ledger_with $L 160000 $sibling $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $sibling does not descend from $A" &&
	stranger=$(craft "" 1700000004000 "$(op bead.create 1 1700000004000 "{\"set\":\"title\",\"value\":\"T\"}")" "{\"title\":\"T\"}") &&
	new=$(ledger_with $L 160000 $stranger $PA) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $stranger does not descend from $A"
'

# suffix <commit>: the name suffix gt sync gives an entity whose first
# commit that is when it loses its id (4 base36 digits of its bytes)
suffix() {
	for i in 0 1 2 3; do
		b=$(printf "%d" "0x$(printf "%s" "$1" | cut -c$((2 * i + 1))-$((2 * i + 2)))") &&
		printf "%s" "$(printf "0123456789abcdefghijklmnopqrstuvwxyz" | cut -c$((b % 36 + 1)))" ||
		return 1
	done
}

# takeover <root time s> <name for gt-a's history>: $new, a ledger where
# a new bead ($stranger), first written at that time, holds gt-a, and
# gt-a's history goes on under that name (a rename commit, as gt sync
# writes them)
takeover() {
	stranger=$(craft "" $(($1 * 1000)) "$(op bead.create 1 $(($1 * 1000)) "{\"set\":\"title\",\"value\":\"Mine\"}")" "{\"title\":\"Mine\"}") &&
	t=$(git log -1 --format=%ct $A) &&
	moved=$(craft $A $((t * 1000)) "$(op rename $((KA + 1)) $((t * 1000)) "{\"set\":\"id\",\"value\":\"$2\"},{\"add\":\"aliases\",\"value\":\"gt-a\"}")" \
		"$(git cat-file -p $A:bead.json | jq -c ".id = \"$2\" | .aliases = [\"gt-a\"]")") &&
	new=$(ledger_with $L 160000 $stranger $PA 160000 $moved $(lpath beads/$2))
}

test_expect_success JQ 'a push that mimics a rename to take over an id' '
	cd evil &&
	root=$(git rev-list --max-parents=0 $A) &&
	rt=$(git log -1 --format=%ct $root) &&
	name=gt-a-$(suffix $root) &&
	# a younger bead never takes the id: sync renames the younger one
	takeover $((rt + 100)) $name &&
	push_rejected $new:refs/gastown/ledger &&
	test_grep "^refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $stranger does not descend from $A\$" ../said &&
	# an older one, but the old history under a name sync would not give
	takeover $((rt - 100)) gt-a-evil &&
	push_rejected $new:refs/gastown/ledger &&
	test_grep "^refs/gastown/ledger: refs/gastown/beads/gt-a: history rewritten: $stranger does not descend from $A\$" ../said
'

test_expect_success 'a shared config without a config blob, or with a bad line' '
	cd evil &&
	cfg=$(git rev-parse "$L:$PC") &&
	blob=$(echo "hello" | git hash-object -w --stdin) &&
	c=$(git commit-tree -p $cfg -m config $(printf "100644 blob %s\tREADME\n" $blob | git mktree)) &&
	new=$(ledger_with $L 160000 $c $PC) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/config: not a commit holding a blob '"'"'config'"'"'" &&
	blob=$(printf "[core]\ntitleLimit = 80\n[broken\n" | git hash-object -w --stdin) &&
	c=$(git commit-tree -p $cfg -m config $(printf "100644 blob %s\tconfig\n" $blob | git mktree)) &&
	new=$(ledger_with $L 160000 $c $PC) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/config: bad config line 3" &&
	blob=$(printf "[core]\ntitleLimit = 80\000\n" | git hash-object -w --stdin) &&
	c=$(git commit-tree -p $cfg -m config $(printf "100644 blob %s\tconfig\n" $blob | git mktree)) &&
	new=$(ledger_with $L 160000 $c $PC) &&
	push_rejected $new:refs/gastown/ledger &&
	said "refs/gastown/ledger: refs/gastown/config: the config blob holds a NUL byte"
'

test_expect_success 'the check stops after 20 problems' '
	cd evil &&
	mkdir ../names &&
	i=1 &&
	while test $i -le 25; do
		printf "beads/gt-m%d" $i >../names/$i && i=$((i + 1)) || return 1
	done &&
	(cd ../names && git hash-object --stdin-paths) <<-\EOF >../hashes &&
	1
	2
	3
	4
	5
	6
	7
	8
	9
	10
	11
	12
	13
	14
	15
	16
	17
	18
	19
	20
	21
	22
	23
	24
	25
	EOF
	i=1 &&
	while read -r h; do
		printf "160000 %040d\t%s/beads/gt-m%d\n" $i ${h%${h#??}} $i && i=$((i + 1)) || return 1
	done <../hashes >../index-info &&
	GIT_INDEX_FILE=../idx git read-tree $L &&
	GIT_INDEX_FILE=../idx git update-index --index-info <../index-info &&
	new=$(git commit-tree -p $L -m "ledger: crafted" $(GIT_INDEX_FILE=../idx git write-tree)) &&
	push_rejected $new:refs/gastown/ledger &&
	test_line_count = 21 ../said &&
	test "$(grep -c "^refs/gastown/ledger: refs/gastown/beads/gt-m[0-9]*: points to missing object 00000000000000000000000000000000000000[0-9][0-9]$" ../said)" = 20 &&
	test "$(tail -n 1 ../said)" = "refs/gastown/ledger: too many problems; the check stopped here"
'

test_expect_success JQ 'gt sync says when the server refused its push' '
	git init -q carol && cd carol &&
	git remote add origin ../server.git && gt init -q &&
	gt sync -q &&
	tip=$(git rev-parse refs/gastown/beads/gt-b) &&
	k=$(git cat-file -p $tip:op.json | jq .clock) &&
	c=$(craft $tip 1700000005000 \
		"$(op bead.update $((k + 1)) 1700000005000 "{\"set\":\"title\",\"value\":\"Said\"}")" \
		"$(git cat-file -p $tip:bead.json | jq -c ".title = \"Done\"")") &&
	git update-ref refs/gastown/beads/gt-b $c &&
	git -C ../server.git for-each-ref >../refs.before &&
	test_expect_code 4 gt sync >out 2>err &&
	git -C ../server.git for-each-ref >../refs.after &&
	test_cmp ../refs.before ../refs.after &&
	test_grep "^remote: refs/gastown/ledger: refs/gastown/beads/gt-b: commit $c: bead.json differs from the replay of its operations (member .title.)" err &&
	test_grep "^error: the remote refused the push (see its message above)$" err
'

# --- refs pushed directly -----------------------------------------------------

test_expect_success 'local refs are never published' '
	cd evil &&
	push_rejected $A:refs/gastown-local/x &&
	said "refs/gastown-local/x: local refs are never published"
'

test_expect_success JQ 'entity refs pushed directly: checked the same way' '
	cd evil &&
	git push -q origin $A:refs/gastown/beads/gt-a &&
	bad=$(craft $A 1700000001000 "$(op bead.update $((KA + 1)) 1700000001000)" "{\"title\": oops") &&
	push_rejected $bad:refs/gastown/beads/gt-a &&
	said "refs/gastown/beads/gt-a: commit $bad: bead.json is not valid JSON" &&
	push_rejected +$A^:refs/gastown/beads/gt-a &&
	said "refs/gastown/beads/gt-a: history rewritten: $(git rev-parse $A^) does not descend from $A" &&
	push_rejected :refs/gastown/beads/gt-a &&
	said "refs/gastown/beads/gt-a: deleting a ref of the ledger is not allowed (a deletion is a tombstone operation)" &&
	push_rejected $A:refs/gastown/beads/_x &&
	said "refs/gastown/beads/_x: invalid bead id '"'"'_x'"'"'" &&
	blob=$(echo "config" | git hash-object -w --stdin) &&
	push_rejected $blob:refs/gastown/widgets/w1 &&
	said "refs/gastown/widgets/w1: points to a blob, not a commit" &&
	git push -q origin $A:refs/gastown/widgets/w1
'

test_expect_success 'other refs pass untouched, but not beside a rejected ref' '
	cd evil &&
	git push -q origin $A:refs/heads/topic &&
	push_rejected $B:refs/heads/other :refs/gastown/ledger &&
	said "refs/gastown/ledger: deleting the ledger is not allowed" &&
	test_expect_code 1 git -C ../server.git rev-parse -q --verify refs/heads/other
'

# --- the hook script ------------------------------------------------------------

test_expect_success 'a pre-receive.local runs after the check, with the same input' '
	cat >server.git/hooks/pre-receive.local <<-\EOF &&
	#!/bin/sh
	cat >>local-input
	grep -q " refs/heads/blocked$" local-input || exit 0
	echo "local: refs/heads/blocked is blocked"
	exit 1
	EOF
	chmod +x server.git/hooks/pre-receive.local &&
	cd evil &&
	git push -q origin $A:refs/heads/allowed &&
	echo "$Z $A refs/heads/allowed" >expect &&
	test_cmp expect ../server.git/local-input &&
	push_rejected $A:refs/heads/blocked &&
	said "local: refs/heads/blocked is blocked" &&
	rm ../server.git/local-input &&
	push_rejected :refs/gastown/ledger &&
	said "refs/gastown/ledger: deleting the ledger is not allowed" &&
	! test -e ../server.git/local-input
'

test_expect_success 'the hook finds gt-receive-check without gt, and fails without either' '
	mkdir only none &&
	ln -s "$GT_BIN_DIR/gt-receive-check" only/gt-receive-check &&
	rm server.git/hooks/pre-receive.local &&
	echo "$Z $A refs/gastown-local/y" >input &&
	(
		cd server.git &&
		GIT_DIR=. PATH="$TRASH_DIRECTORY/only" && export GIT_DIR PATH &&
		test_expect_code 1 /bin/sh hooks/pre-receive <../input 2>../err
	) &&
	echo "refs/gastown-local/y: local refs are never published" >expect &&
	test_cmp expect err &&
	(
		cd server.git &&
		GIT_DIR=. PATH="$TRASH_DIRECTORY/none" && export GIT_DIR PATH &&
		test_expect_code 1 /bin/sh hooks/pre-receive <../input 2>../err
	) &&
	echo "gastown: gt is not installed here: cannot check the push" >expect &&
	test_cmp expect err
'

# --- gt receive-check by hand ---------------------------------------------------

test_expect_success 'receive-check: input and usage errors' '
	cd server.git &&
	gt receive-check </dev/null &&
	echo "not a line" | test_expect_code 128 gt receive-check 2>../err &&
	echo "fatal: bad input line 1: expected '"'"'<old> <new> <refname>'"'"' (the input of a pre-receive hook)" >../expect &&
	test_cmp ../expect ../err &&
	test_expect_code 129 gt receive-check refs/gastown/ledger 2>../err &&
	test_grep "^usage error: unexpected argument .refs/gastown/ledger. (the refs are read from standard input)$" ../err &&
	test_expect_code 129 gt receive-check -h >../out &&
	test_grep "^usage: gt receive-check <pre-receive-input$" ../out &&
	mkdir ../nowhere && cd ../nowhere &&
	echo "$Z $Z refs/heads/x" | test_expect_code 2 gt receive-check 2>../err &&
	echo "fatal: not a git repository (run '"'"'git init'"'"' first)" >../expect &&
	test_cmp ../expect ../err
'

test_expect_success 'receive-check: a line whose object ids are not hex' '
	cd server.git &&
	echo "g111111111111111111111111111111111111111 $Z refs/gastown/ledger" |
		test_expect_code 128 gt receive-check 2>../err &&
	echo "fatal: bad input line 1: expected '"'"'<old> <new> <refname>'"'"' (the input of a pre-receive hook)" >../expect &&
	test_cmp ../expect ../err &&
	printf "%s\n" "$Z $Z refs/heads/x" "$Z ${Z%?}x refs/heads/y" |
		test_expect_code 128 gt receive-check 2>../err &&
	sed -e "s/line 1/line 2/" ../expect >../expect2 &&
	test_cmp ../expect2 ../err
'

test_expect_success 'after all this, the clones sync and find no damage' '
	(cd alice && gt sync -q && gt fsck) &&
	(cd bob && gt sync -q && gt fsck) &&
	git -C alice rev-parse refs/gastown/ledger >expect &&
	git -C server.git rev-parse refs/gastown/ledger >actual &&
	test_cmp expect actual
'

test_done
