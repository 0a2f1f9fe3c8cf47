#!/bin/sh
test_description='gt note: attribution notes in refs/notes/gastown'
. ./test-lib.sh

HOOKW="$GT_UNIT_DIR/test-hook-write"

note_of() { git notes --ref=gastown show "$1"; }

test_expect_success 'setup: a repository without the post-commit hook' '
	git init -q repo && cd repo && gt init -q &&
	rm -f .git/hooks/post-commit &&
	gt create --id gt-a "Alpha" >/dev/null &&
	gt create --id gt-b "Beta" >/dev/null &&
	gt convoy create --id gt-cv-1 "Convoy" gt-a >/dev/null &&
	test_commit_file "one" && test_commit_file "two"
'

test_expect_success 'note --bead writes one JSON line with every key' '
	cd repo &&
	gt note --bead gt-b --actor mayor --session s-17 HEAD &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-b\",\"actor\":\"mayor\",\"session\":\"s-17\",\"convoy\":null}" >expect &&
	test_cmp expect out &&
	git log -1 --format="%an %ae" refs/notes/gastown >out &&
	echo "mayor mayor" >expect && test_cmp expect out
'

test_expect_success 'defaults: the acting actor, GT_SESSION, the convoy tracking the bead' '
	cd repo &&
	GT_SESSION=claude-42 gt note --bead gt-a HEAD~1 &&
	note_of HEAD~1 >out &&
	echo "{\"bead\":\"gt-a\",\"actor\":\"tester\",\"session\":\"claude-42\",\"convoy\":\"gt-cv-1\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'the same attribution twice is one line; lines stay sorted' '
	cd repo &&
	git rev-parse refs/notes/gastown >before &&
	gt note -v --bead gt-b --actor mayor --session s-17 >out &&
	echo "already there: {\"bead\":\"gt-b\",\"actor\":\"mayor\",\"session\":\"s-17\",\"convoy\":null}" >expect &&
	test_cmp expect out &&
	git rev-parse refs/notes/gastown >after &&
	test_cmp before after &&
	gt note --bead gt-a --actor deacon &&
	note_of HEAD >out &&
	cat >expect <<-\EOF &&
	{"bead":"gt-a","actor":"deacon","session":null,"convoy":"gt-cv-1"}
	{"bead":"gt-b","actor":"mayor","session":"s-17","convoy":null}
	EOF
	test_cmp expect out
'

test_expect_success 'git log --notes=gastown shows the attribution' '
	cd repo &&
	git log -1 --notes=gastown --format="%s%n%N" HEAD >out &&
	cat >expect <<-\EOF &&
	two
	{"bead":"gt-a","actor":"deacon","session":null,"convoy":"gt-cv-1"}
	{"bead":"gt-b","actor":"mayor","session":"s-17","convoy":null}

	EOF
	test_cmp expect out &&
	git log --notes=gastown HEAD~1 >out &&
	test_grep "^Notes (gastown):$" out &&
	test_grep "^    {\"bead\":\"gt-a\",\"actor\":\"tester\"" out
'

test_expect_success 'without --bead: the Bead: trailer, then the hooked bead' '
	cd repo &&
	test_commit_file "three

Bead: gt-b" &&
	gt note --actor mayor &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-b\",\"actor\":\"mayor\",\"session\":null,\"convoy\":null}" >expect &&
	test_cmp expect out &&
	test_commit_file "four" &&
	"$HOOKW" gastown/polecats/nux gt-a gt-cv-9 &&
	GT_ACTOR=gastown/polecats/nux gt note &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-a\",\"actor\":\"gastown/polecats/nux\",\"session\":null,\"convoy\":\"gt-cv-9\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'note --auto: the hooked bead, its convoy, GT_SESSION' '
	cd repo &&
	test_commit_file "five" &&
	GT_ACTOR=gastown/polecats/nux GT_SESSION=tmux-3 gt note --auto HEAD >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	note_of HEAD >out &&
	echo "{\"bead\":\"gt-a\",\"actor\":\"gastown/polecats/nux\",\"session\":\"tmux-3\",\"convoy\":\"gt-cv-9\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'note --auto writes nothing, silently, when nothing is hooked' '
	cd repo &&
	test_commit_file "six" &&
	git rev-parse refs/notes/gastown >before &&
	GT_ACTOR=nobody gt note --auto >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	"$HOOKW" gastown/polecats/nux &&
	GT_ACTOR=gastown/polecats/nux gt note --auto >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	GT_ACTOR="not/../valid" gt note --auto >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	test_commit_file "seven

Bead: gt-b" &&
	GT_ACTOR=nobody gt note --auto &&
	git rev-parse refs/notes/gastown >after &&
	test_cmp before after &&
	test_must_fail git notes --ref=gastown show HEAD 2>/dev/null
'

test_expect_success 'note errors' '
	cd repo &&
	git rev-parse refs/notes/gastown >before &&
	test_expect_code 2 gt note --actor nobody HEAD~1 2>err &&
	test_grep "no bead to attribute HEAD~1 to: give --bead <id> (it has no Bead: trailer and nothing is on nobody.s hook)" err &&
	test_expect_code 2 gt note --bead gt-zz 2>err &&
	test_grep "no such bead: gt-zz" err &&
	test_expect_code 3 gt note --bead "bad id" 2>err &&
	test_grep "invalid bead id .bad id." err &&
	test_expect_code 2 gt note --bead gt-a --convoy gt-cv-nope 2>err &&
	test_grep "no such convoy: gt-cv-nope" err &&
	test_expect_code 2 gt note --bead gt-a nosuchrev 2>err &&
	test_grep "no such commit: nosuchrev" err &&
	test_expect_code 2 gt note --bead gt-a HEAD^{tree} 2>err &&
	test_grep "HEAD^{tree} is not a commit" err &&
	test_expect_code 3 gt note --bead gt-a --actor "a//b" 2>err &&
	test_grep "invalid actor .a//b." err &&
	test_expect_code 3 gt note --bead gt-a --session "$(printf "a\nb")" 2>err &&
	test_grep "the session must be one line of 1 to 200 bytes of UTF-8" err &&
	test_expect_code 129 gt note --auto --bead gt-a 2>err &&
	test_grep "\-\-auto takes the bead from the hook" err &&
	test_expect_code 129 gt note HEAD HEAD~1 2>err &&
	test_grep "give at most one <commit>" err &&
	git rev-parse refs/notes/gastown >after &&
	test_cmp before after
'

test_expect_success 'note waits for a locked notes ref only briefly' '
	cd repo &&
	>.git/refs/notes/gastown.lock &&
	test_when_finished "rm -f .git/refs/notes/gastown.lock" &&
	start=$(date +%s) &&
	test_expect_code 5 gt note --bead gt-a --actor locked 2>err &&
	test $(($(date +%s) - start)) -lt 8 &&
	test_grep "refs/notes/gastown" err
'

test_expect_success 'a lost race re-reads the notes: no attribution is lost' '
	cd repo &&
	test_commit_file "race" &&
	for i in 1 2 3 4 5 6; do
		gt note --bead gt-a --actor "racer$i" & :
	done &&
	wait &&
	note_of HEAD >out &&
	test_line_count = 6 out
'

test_expect_success 'gt sync merges the notes of two clones as a union of lines' '
	git init -q --bare hub.git &&
	git clone -q repo c1 && git -C c1 remote set-url origin ../hub.git &&
	(cd c1 && gt init -q && gt create --id gt-a "Alpha" >/dev/null &&
	 git push -q origin HEAD:refs/heads/master &&
	 gt sync >/dev/null) &&
	git clone -q hub.git c2 && (cd c2 && gt init -q && gt sync >/dev/null) &&
	(cd c1 && gt note --bead gt-a --actor one HEAD) &&
	(cd c2 && gt note --bead gt-a --actor two HEAD) &&
	(cd c1 && gt sync >/dev/null) && (cd c2 && gt sync >/dev/null) &&
	(cd c1 && gt sync >/dev/null) &&
	git -C c1 notes --ref=gastown show HEAD >n1 &&
	git -C c2 notes --ref=gastown show HEAD >n2 &&
	test_cmp n1 n2 &&
	test_grep "\"actor\":\"one\"" n1 &&
	test_grep "\"actor\":\"two\"" n1 &&
	sort -u n1 | test_cmp - n1
'

test_done
