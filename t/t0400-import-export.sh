#!/bin/sh
test_description='gt import and gt export: beads JSONL in and out'
. ./test-lib.sh

# The refs of the ledger with their values, and its loose ref files.
ledger_state() {
	git for-each-ref refs/gastown &&
	(cd .git && find refs/gastown -type f 2>/dev/null | sort)
}

# Normalised lines (keys sorted, lines sorted) for comparing JSONL.
normalise() { jq -cS . "$@" | sort; }

# check_refused <exit code> <message> <import args>...: the import fails
# with that code and message, and leaves every ref as it was.
check_refused() {
	code=$1 msg=$2 &&
	shift 2 &&
	ledger_state >before &&
	test_expect_code "$code" gt import "$@" 2>err &&
	echo "fatal: $msg" >expect &&
	test_cmp expect err &&
	ledger_state >after &&
	test_cmp before after
}

# gt fsck checks that every snapshot is the replay of its operations
test -x "$GT_BIN_DIR/gt-fsck" && test_set_prereq FSCK

test_expect_success 'setup' '
	git init -q repo
'

# --- the real files --------------------------------------------------------

for f in beads-issues gastown-issues gastown-backup-issues; do
	test_expect_success TESTDATA,JQ "$f.jsonl imports completely and exports every field" '
		testdata $f.jsonl &&
		n=$(wc -l <$f.jsonl) &&
		git init -q r-$f && cd r-$f &&
		gt import ../$f.jsonl 2>err &&
		echo "imported $n beads ($n new, 0 updated, 0 unchanged)" >expect &&
		test_cmp expect err &&
		git for-each-ref refs/gastown/beads >refs &&
		test_line_count = $n refs &&
		gt export >out &&
		test_line_count = $n out &&
		normalise ../$f.jsonl >expect &&
		normalise out >actual &&
		test_cmp expect actual
	'

	test_expect_success TESTDATA,JQ "$f.jsonl: members keep their order; re-import is a no-op" '
		cd r-$f &&
		jq -c . ../$f.jsonl | sort >expect &&
		gt export | jq -c . | sort >actual &&
		test_cmp expect actual &&
		n=$(wc -l <../$f.jsonl) &&
		ledger_state >before &&
		gt import ../$f.jsonl 2>err &&
		echo "imported $n beads (0 new, 0 updated, $n unchanged)" >expect &&
		test_cmp expect err &&
		ledger_state >after &&
		test_cmp before after
	'
done

test_expect_success TESTDATA 'the objects land in one pack: no loose objects' '
	cd r-beads-issues &&
	git count-objects -v >counts &&
	test_grep "^count: 0$" counts &&
	test_grep "^packs: 1$" counts &&
	test_grep "^in-pack: 2816$" counts &&
	git for-each-ref --format="%(refname)" refs/gastown/beads >refs &&
	! grep -v "^refs/gastown/beads/" refs &&
	test -z "$(cd .git && find refs/gastown -type f 2>/dev/null)" &&
	test_grep "^# pack-refs with:.* sorted" .git/packed-refs
'

test_expect_success TESTDATA,JQ 'each bead is one commit with a bead.import op setting every member' '
	cd r-gastown-issues &&
	id=$(head -n 1 ../gastown-issues.jsonl | jq -r .id) &&
	git rev-list --count refs/gastown/beads/$id >count &&
	echo 1 >expect &&
	test_cmp expect count &&
	git log -1 --format="%an|%s" refs/gastown/beads/$id >out &&
	title=$(head -n 1 ../gastown-issues.jsonl | jq -r .title) &&
	echo "tester|bead.import: $id $title" >expect &&
	test_cmp expect out &&
	git cat-file -p refs/gastown/beads/$id:op.json >op &&
	jq -r ".type, .clock, .actor" op >out &&
	printf "bead.import\n1\ntester\n" >expect &&
	test_cmp expect out &&
	jq -c "[.changes[] | .set]" op >out &&
	head -n 1 ../gastown-issues.jsonl | jq -c "keys_unsorted" >expect &&
	test_cmp expect out &&
	git cat-file -p refs/gastown/beads/$id:bead.json | jq -cS . >out &&
	head -n 1 ../gastown-issues.jsonl | jq -cS . >expect &&
	test_cmp expect out
'

test_expect_success TESTDATA,FSCK 'gt fsck finds the imported ledger sound' '
	cd r-beads-issues &&
	gt fsck >out 2>&1 &&
	test_grep "^0 problems" out
'

# --- into a ledger that has beads ----------------------------------------------

test_expect_success JQ 'import into a repository that has beads: new, updated, unchanged' '
	cd repo &&
	gt create --id gt-one "One" >/dev/null &&
	gt create --id gt-two "Two" >/dev/null &&
	gt create --id gt-three "Three" >/dev/null &&
	gt export >start &&
	test_line_count = 3 start &&
	jq -c "if .id == \"gt-two\" then .title = \"TWO\" | del(.created_by) | .extra = [1, {\"a\": null}] else . end" start >file &&
	printf "%s\n" "{\"id\":\"gt-new\",\"title\":\"Brand new\",\"estimate\":7.5}" >>file &&
	tip_one=$(git rev-parse refs/gastown/beads/gt-one) &&
	gt import --ids file >ids 2>err &&
	echo "imported 4 beads (1 new, 1 updated, 2 unchanged)" >expect &&
	test_cmp expect err &&
	printf "gt-two\ngt-new\n" >expect &&
	test_cmp expect ids &&
	test "$(git rev-parse refs/gastown/beads/gt-one)" = "$tip_one" &&
	normalise file >expect &&
	gt export | normalise >actual &&
	test_cmp expect actual
'

test_expect_success JQ 'an update is one bead.import op on top: set what differs, unset what vanished' '
	cd repo &&
	git log --format=%s refs/gastown/beads/gt-two >log &&
	printf "bead.import: gt-two TWO\nbead.create: gt-two Two\n" >expect &&
	test_cmp expect log &&
	git cat-file -p refs/gastown/beads/gt-two:op.json >op &&
	jq -c "[.type, .clock, .changes]" op >out &&
	echo "[\"bead.import\",2,[{\"set\":\"title\",\"value\":\"TWO\"},{\"set\":\"extra\",\"value\":[1,{\"a\":null}]},{\"unset\":\"created_by\"}]]" >expect &&
	test_cmp expect out
'

test_expect_success 'updated loose refs move into packed-refs' '
	cd repo &&
	test -f .git/refs/gastown/beads/gt-one &&
	! test -f .git/refs/gastown/beads/gt-two &&
	test_grep " refs/gastown/beads/gt-two$" .git/packed-refs &&
	test "$(git rev-parse refs/gastown/beads/gt-two)" = \
	     "$(sed -n "s| refs/gastown/beads/gt-two$||p" .git/packed-refs)"
'

test_expect_success 'gt update after an import builds on the imported commit' '
	cd repo &&
	before=$(git rev-parse refs/gastown/beads/gt-two) &&
	gt update gt-two --set note=x &&
	test "$(git rev-parse refs/gastown/beads/gt-two^)" = "$before" &&
	gt import file 2>err &&
	echo "imported 4 beads (0 new, 1 updated, 3 unchanged)" >expect &&
	test_cmp expect err &&
	git cat-file -p refs/gastown/beads/gt-two:op.json |
	jq -c ".clock, [.changes[] | select(.unset)]" >out &&
	printf "4\n[{\"unset\":\"note\"}]\n" >expect &&
	test_cmp expect out &&
	gt export gt-two >out &&
	grep "\"gt-two\"" file >expect &&
	test_cmp expect out
'

test_expect_success 'a deleted bead: left out of export, kept with --all, restored by its line' '
	cd repo &&
	printf "{\"id\":\"gt-dead\",\"title\":\"Gone\",\"tombstone\":true}\n" >dead &&
	gt import -q dead &&
	gt export >out &&
	! grep gt-dead out &&
	gt export --all >out &&
	test_grep "^{\"id\":\"gt-dead\",\"title\":\"Gone\",\"tombstone\":true}$" out &&
	test_line_count = 5 out &&
	test_expect_code 2 gt export gt-dead 2>err &&
	echo "fatal: bead gt-dead was deleted" >expect &&
	test_cmp expect err &&
	gt export --all gt-dead >out &&
	test_line_count = 1 out &&
	printf "{\"id\":\"gt-dead\",\"title\":\"Back\"}\n" | gt import -q - &&
	gt export gt-dead >out &&
	echo "{\"id\":\"gt-dead\",\"title\":\"Back\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'standard input, blank lines and CRLF line ends' '
	cd repo &&
	printf "\n{\"id\":\"gt-in1\",\"title\":\"a\"}\r\n   \n{\"id\":\"gt-in2\",\"title\":\"b\"}" |
	gt import --ids - >ids 2>err &&
	printf "gt-in1\ngt-in2\n" >expect &&
	test_cmp expect ids &&
	echo "imported 2 beads (2 new, 0 updated, 0 unchanged)" >expect &&
	test_cmp expect err
'

test_expect_success 'an empty file imports nothing, and says so' '
	cd repo &&
	: >empty &&
	ledger_state >before &&
	gt import empty 2>err &&
	echo "imported 0 beads (0 new, 0 updated, 0 unchanged)" >expect &&
	test_cmp expect err &&
	ledger_state >after &&
	test_cmp before after
'

test_expect_success '-q prints nothing; --progress shows the count on standard error' '
	cd repo &&
	printf "{\"id\":\"gt-p%d\",\"title\":\"p\"}\n" 1 2 3 >three &&
	gt import -q three >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	printf "{\"id\":\"gt-p%d\",\"title\":\"q\"}\n" 1 2 3 >three &&
	gt import --progress three >out 2>err &&
	test_must_be_empty out &&
	tr "\r" "\n" <err >lines &&
	test_grep "^importing: 3/3 beads$" lines &&
	test_grep "^imported 3 beads (0 new, 3 updated, 0 unchanged)$" lines &&
	gt import three 2>err &&
	! grep importing: err
'

test_expect_success '--create-only refuses when any id exists, writing nothing' '
	cd repo &&
	printf "{\"id\":\"gt-fresh\",\"title\":\"f\"}\n{\"id\":\"gt-one\",\"title\":\"x\"}\n" >some &&
	check_refused 4 "bead gt-one already exists (some line 2)" --create-only some &&
	printf "{\"id\":\"gt-fresh\",\"title\":\"f\"}\n" >fresh &&
	gt import --create-only fresh 2>err &&
	test_grep "(1 new, 0 updated, 0 unchanged)" err
'

# --- errors: each names the line, and nothing is written ---------------------------

test_expect_success 'malformed JSON on line N' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"ok\"}\n\n{\"id\":\"gt-e2\",\"title\":\n" >bad &&
	check_refused 3 "malformed JSON in bad line 3" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"ok\"} trailing\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: trailing data" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"x\",\"title\":\"y\"}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: member '\''title'\'' given twice" bad
'

test_expect_success 'invalid UTF-8, NUL bytes and \u0000' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"ok\"}\n{\"id\":\"gt-e2\",\"title\":\"\377\"}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 2: invalid UTF-8" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"\300\257\"}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: invalid UTF-8" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"a\000b\"}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: NUL byte" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"a\\\\u0000b\"}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: \\u0000 in a string is not supported" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"a\\\\\\\\u0000b\"}\n" >ok &&
	gt import -q ok &&
	gt export gt-e1 | jq -r .title >out &&
	echo "a\\u0000b" >expect &&
	test_cmp expect out
'

test_expect_success 'numbers that cJSON would change are refused, not rounded' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"n\":9007199254740993}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: a number beyond 2^53-1 cannot be stored exactly" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"n\":[-9007199254740992]}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: a number beyond 2^53-1 cannot be stored exactly" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"n\":{\"x\":9007199254740991}}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: a number of more than 15 significant digits cannot be stored exactly" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"n\":0.30000000000000004}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: a number of more than 15 significant digits cannot be stored exactly" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"n\":1e999}\n" >bad &&
	check_refused 3 "malformed JSON in bad line 1: a number beyond 2^53-1 cannot be stored exactly" bad &&
	printf "{\"id\":\"gt-num\",\"title\":\"t\",\"n\":999999999999999,\"o\":-900719925474099,\"p\":3.14159265358979,\"m\":-0.125,\"k\":[1.5e-7]}\n" >ok &&
	gt import -q ok &&
	gt export gt-num >out &&
	normalise ok >expect &&
	normalise out >actual &&
	test_cmp expect actual
'

test_expect_success 'a line that is not an object' '
	cd repo &&
	printf "[1,2]\n" >bad &&
	check_refused 3 "not a JSON object in bad line 1" bad
'

test_expect_success 'missing id, and invalid ids' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"ok\"}\n{\"title\":\"no id\"}\n" >bad &&
	check_refused 3 "missing id in bad line 2" bad &&
	printf "{\"id\":\"../x\",\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id '\''../x'\'' in bad line 1" bad &&
	printf "{\"id\":\"a b\",\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id '\''a b'\'' in bad line 1" bad &&
	printf "{\"id\":\"x.lock\",\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id '\''x.lock'\'' in bad line 1" bad &&
	printf "{\"id\":\"\",\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id '\'''\'' in bad line 1" bad &&
	printf "{\"id\":\"a\\\\nb\",\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id '\''a?b'\'' in bad line 1" bad &&
	printf "{\"id\":7,\"title\":\"t\"}\n" >bad &&
	check_refused 3 "invalid bead id (not a string) in bad line 1" bad
'

test_expect_success 'a duplicate id names both lines' '
	cd repo &&
	printf "{\"id\":\"gt-d%s\",\"title\":\"t\"}\n" 1 2 3 2 1 >bad &&
	check_refused 3 "duplicate id '\''gt-d2'\'' in bad lines 2 and 4" bad
'

test_expect_success 'what the bead validator refuses, with the line' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"priority\":9}\n" >bad &&
	check_refused 3 "invalid bead in bad line 1: priority must be an integer from 0 to 4" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"\"}\n" >bad &&
	check_refused 3 "invalid bead in bad line 1: title must be a non-empty string" bad &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\",\"dependencies\":[{\"depends_on_id\":\"external:x\",\"type\":\"blocks\"}]}\n" >bad &&
	check_refused 3 "invalid bead in bad line 1: invalid bead id '\''external:x'\'' in dependency" bad
'

test_expect_success 'dangling and external dependencies are accepted' '
	cd repo &&
	printf "{\"id\":\"gt-dep\",\"title\":\"t\",\"dependencies\":[{\"depends_on_id\":\"gt-nowhere\",\"type\":\"blocks\"},{\"depends_on_id\":\"external:beads:bd-1\",\"type\":\"blocks\"}]}\n" >deps &&
	gt import -q deps &&
	gt export gt-dep >out &&
	test_cmp deps out
'

test_expect_success 'a file that cannot be read' '
	cd repo &&
	check_refused 2 "cannot read nowhere.jsonl: No such file or directory" nowhere.jsonl &&
	mkdir adir &&
	check_refused 128 "cannot read adir: Is a directory" adir
'

test_expect_success NOT_ROOT 'a file without read permission' '
	cd repo &&
	printf "{\"id\":\"gt-e1\",\"title\":\"t\"}\n" >secret &&
	chmod 000 secret &&
	test_when_finished "chmod 644 secret" &&
	check_refused 128 "cannot read secret: Permission denied" secret
'

test_expect_success 'usage errors' '
	cd repo &&
	test_expect_code 129 gt import 2>err &&
	test_grep "which file" err &&
	test_expect_code 129 gt import a b 2>err &&
	test_grep "too many arguments" err
'

# --- locks ------------------------------------------------------------------------

test_expect_success 'a packed-refs.lock held by another process: wait, then fail' '
	cd repo &&
	printf "[core]\n\tstaleLockSeconds = 1\n" >.git/gastown/config &&
	test_when_finished "rm -f .git/gastown/config .git/packed-refs.lock" &&
	: >.git/packed-refs.lock &&
	touch -d "+1 hour" .git/packed-refs.lock &&
	printf "{\"id\":\"gt-lk\",\"title\":\"t\"}\n" >lk &&
	ledger_state >before &&
	test_expect_code 5 gt import lk 2>err &&
	test_grep "packed-refs stays locked by another process" err &&
	ledger_state >after &&
	test_cmp before after
'

test_expect_success 'the stale lock of a crashed process is broken' '
	cd repo &&
	printf "[core]\n\tstaleLockSeconds = 1\n" >.git/gastown/config &&
	test_when_finished "rm -f .git/gastown/config" &&
	: >.git/packed-refs.lock &&
	touch -d "-1 hour" .git/packed-refs.lock &&
	gt import lk 2>err &&
	test_grep "(1 new, 0 updated, 0 unchanged)" err &&
	! test -e .git/packed-refs.lock &&
	gt create --id gt-loose "loose" >/dev/null &&
	: >.git/refs/gastown/beads/gt-loose.lock &&
	touch -d "-1 hour" .git/refs/gastown/beads/gt-loose.lock &&
	printf "{\"id\":\"gt-loose\",\"title\":\"packed now\"}\n" >loose &&
	gt import loose 2>err &&
	test_grep "(0 new, 1 updated, 0 unchanged)" err &&
	! test -e .git/refs/gastown/beads/gt-loose.lock &&
	! test -e .git/refs/gastown/beads/gt-loose
'

test_expect_success JQ 'imports racing with updates lose nothing' '
	cd repo &&
	printf "{\"id\":\"gt-race\",\"title\":\"v%s\"}\n" 0 >r0 &&
	printf "{\"id\":\"gt-race\",\"title\":\"v%s\"}\n" 1 >r1 &&
	gt import -q r0 &&
	{
		(
			i=0
			while test $i -lt 20; do
				gt update gt-race --set n=$i 2>>../upd.err || echo $i >>../upd.failed
				i=$((i + 1))
			done
		) &
	} &&
	for i in 1 2 3 4 5 6; do
		gt import -q r$((i % 2)) 2>>../imp.err || echo $i >>../imp.failed
	done &&
	wait &&
	! test -e ../upd.failed &&
	! test -e ../imp.failed &&
	test_must_be_empty ../upd.err &&
	test_must_be_empty ../imp.err &&
	git log --format=%s refs/gastown/beads/gt-race >log &&
	grep -c "^bead.update" log >count &&
	echo 20 >expect &&
	test_cmp expect count &&
	grep -c "^bead.import" log >count &&
	echo 7 >expect &&
	test_cmp expect count
'

test_expect_success FSCK 'gt fsck finds the updated and raced beads sound' '
	cd repo &&
	gt fsck >out 2>&1 &&
	test_grep "^0 problems" out
'

# --- a large generated file ---------------------------------------------------------

test_expect_success JQ 'a generated 10,000-line file imports, re-imports and exports' '
	git init -q big && cd big &&
	awk "BEGIN { for (i = 1; i <= 10000; i++)
		printf \"{\\\"id\\\":\\\"bn-%05d\\\",\\\"title\\\":\\\"Bead %d\\\",\\\"priority\\\":%d,\\\"status\\\":\\\"open\\\",\\\"labels\\\":[\\\"l%d\\\"]}\\n\", i, i, i % 5, i % 7 }" >big.jsonl &&
	test_line_count = 10000 big.jsonl &&
	gt import big.jsonl 2>err &&
	test_grep "imported 10000 beads (10000 new, 0 updated, 0 unchanged)" err &&
	git for-each-ref refs/gastown/beads >refs &&
	test_line_count = 10000 refs &&
	git count-objects -v >counts &&
	test_grep "^count: 0$" counts &&
	test_grep "^packs: 1$" counts &&
	gt export >out &&
	test_cmp big.jsonl out &&
	gt import big.jsonl 2>err &&
	test_grep "(0 new, 0 updated, 10000 unchanged)" err
'

# --- export -------------------------------------------------------------------------

test_expect_success 'export: id order, or the ids given in their order' '
	cd repo &&
	gt export >all &&
	jq -r .id all >ids &&
	LC_ALL=C sort ids >sorted &&
	test_cmp sorted ids &&
	gt export gt-two gt-one >out &&
	jq -r .id out >ids &&
	printf "gt-two\ngt-one\n" >expect &&
	test_cmp expect ids
'

test_expect_success 'export errors: unknown and invalid ids, nothing printed' '
	cd repo &&
	test_expect_code 2 gt export gt-one gt-nope >out 2>err &&
	test_must_be_empty out &&
	echo "fatal: no such bead: gt-nope" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt export "a b" >out 2>err &&
	echo "fatal: invalid bead id '\''a b'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'export -o writes the file atomically' '
	cd repo &&
	gt export >expect &&
	gt export -o exported >out &&
	test_must_be_empty out &&
	test_cmp expect exported &&
	echo previous >kept &&
	test_expect_code 2 gt export -o kept gt-nope &&
	echo previous >expect &&
	test_cmp expect kept &&
	! ls kept.tmp-* 2>/dev/null &&
	test_expect_code 128 gt export -o nodir/x 2>err &&
	test_grep "cannot create a temporary file next to nodir/x" err
'

test_expect_success 'export of an empty ledger prints nothing' '
	git init -q empty-repo && cd empty-repo &&
	gt export >out &&
	test_must_be_empty out
'

test_done
