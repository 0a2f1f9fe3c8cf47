#!/bin/sh
test_description='gt mail: send, inbox, read, reply, thread, mark-read, archive'
. ./test-lib.sh

nux=gastown/polecats/nux
box_ref="refs/gastown/mail/gastown%2Fpolecats%2Fnux"

test_expect_success 'setup' '
	git init -q repo
'

test_expect_success 'send delivers to the recipient'"'"'s mailbox, authored by the sender' '
	cd repo &&
	GT_ACTOR=mayor gt mail send $nux -s "Pick up gt-1" -m "It is on your hook." >id1 &&
	test_grep "^msg-[0-9a-f]\{12\}$" id1 &&
	GT_ACTOR=mayor gt mail send --priority urgent $nux -s "Second" -m "two" >id2 &&
	git log --format="%an %s" $box_ref >out &&
	printf "mayor mail.send: gastown%%2Fpolecats%%2Fnux\nmayor mail.send: gastown%%2Fpolecats%%2Fnux\n" >expect &&
	test_cmp expect out &&
	git cat-file blob $box_ref:mail.json | jq -r ".actor, (.messages | length)" >out &&
	printf "%s\n2\n" $nux >expect &&
	test_cmp expect out &&
	gt fsck
'

test_expect_success 'inbox lists newest first, N for unread; the default mailbox is yours' '
	cd repo &&
	GT_ACTOR=$nux gt mail inbox >out &&
	test_line_count = 2 out &&
	sed -n 1p out | grep "^$(cat id2) N [0-9T:-]*Z mayor: Second$" &&
	sed -n 2p out | grep "^$(cat id1) N [0-9T:-]*Z mayor: Pick up gt-1$" &&
	gt mail inbox $nux >out2 &&
	test_cmp out out2 &&
	gt mail inbox >out &&
	test_must_be_empty out
'

test_expect_success 'inbox --json: every key, body included' '
	cd repo &&
	gt mail inbox --json $nux | sed -n 2p >one &&
	jq -c "keys" one >out &&
	echo "[\"archived\",\"bead\",\"body\",\"from\",\"handoff\",\"id\",\"kind\",\"priority\",\"read\",\"reply_to\",\"sent_at\",\"status\",\"subject\",\"thread\",\"to\"]" >expect &&
	test_cmp expect out &&
	jq -c "[.from, .to, .subject, .body, .priority, .kind, .read, .reply_to, (.thread == .id)]" one >out &&
	echo "[\"mayor\",\"gastown/polecats/nux\",\"Pick up gt-1\",\"It is on your hook.\",2,\"mail\",false,null,true]" >expect &&
	test_cmp expect out &&
	gt mail inbox --json $nux | sed -n 1p | jq .priority >out &&
	echo 0 >expect && test_cmp expect out
'

test_expect_success 'read prints and marks read; --no-mark does not' '
	cd repo &&
	GT_ACTOR=$nux gt mail read --no-mark $(cat id2) >out &&
	test_grep "^Subject:  Second$" out &&
	GT_ACTOR=$nux gt mail inbox --unread >out &&
	test_line_count = 2 out &&
	GT_ACTOR=$nux gt mail read $(cat id1) >out &&
	test_grep "^message $(cat id1)$" out &&
	test_grep "^From:     mayor$" out &&
	test_grep "^To:       gastown/polecats/nux$" out &&
	test_grep "^It is on your hook.$" out &&
	GT_ACTOR=$nux gt mail inbox --unread >out &&
	test_line_count = 1 out &&
	test_grep "Second" out &&
	GT_ACTOR=$nux gt mail inbox >out &&
	test_grep "^$(cat id1) - " out &&
	git log -1 --format="%an %s" $box_ref >out &&
	echo "gastown/polecats/nux mail.read: gastown%2Fpolecats%2Fnux" >expect &&
	test_cmp expect out
'

test_expect_success 'mark-read and mark-read --unread; nothing to change writes nothing' '
	cd repo &&
	GT_ACTOR=$nux gt mail mark-read $(cat id2) &&
	GT_ACTOR=$nux gt mail inbox --unread >out &&
	test_must_be_empty out &&
	git rev-parse $box_ref >before &&
	GT_ACTOR=$nux gt mail mark-read $(cat id2) $(cat id2) &&
	git rev-parse $box_ref >after &&
	test_cmp before after &&
	GT_ACTOR=$nux gt mail mark-read --unread $(cat id2) &&
	GT_ACTOR=$nux gt mail inbox --unread | cut -d" " -f1 >out &&
	test_cmp id2 out
'

test_expect_success 'reply goes to the sender, joins the thread; thread shows both mailboxes' '
	cd repo &&
	GT_ACTOR=$nux gt mail reply $(cat id1) -m "On it." >id3 &&
	gt mail inbox --json mayor >out &&
	jq -r "[.subject, .reply_to, .thread, .from] | join(\" \")" out >actual &&
	echo "Re: Pick up gt-1 $(cat id1) $(cat id1) $nux" >expect &&
	test_cmp expect actual &&
	GT_ACTOR=mayor gt mail reply $(cat id3) -m "Thanks." >id4 &&
	GT_ACTOR=$nux gt mail inbox --json | jq -r "select(.id == \"$(cat id4)\") | .subject" >out &&
	echo "Re: Pick up gt-1" >expect &&
	test_cmp expect out &&
	GT_ACTOR=mayor gt mail send --reply-to $(cat id4) $nux -s "Also" -m "One more thing" >id5 &&
	GT_ACTOR=$nux gt mail thread --json $(cat id4) | jq -r ".id" >out &&
	cat id1 id3 id4 id5 >expect &&
	test_cmp expect out &&
	GT_ACTOR=mayor gt mail thread $(cat id3) >out &&
	test_grep "^Reply-To: $(cat id1)$" out &&
	grep -c "^message " out >count &&
	echo 4 >expect && test_cmp expect count
'

test_expect_success 'archive takes a message out of the inbox; it stays readable' '
	cd repo &&
	GT_ACTOR=$nux gt mail archive $(cat id1) &&
	GT_ACTOR=$nux gt mail inbox | cut -d" " -f1 >out &&
	! grep -q "$(cat id1)" out &&
	git cat-file blob $box_ref:mail.json | jq -r ".archived[]" >out &&
	test_cmp id1 out &&
	git cat-file blob $box_ref:mail.json | jq -e "[.messages[].id] | index(\"$(cat id1)\") == null" &&
	GT_ACTOR=$nux gt mail read $(cat id1) >out &&
	test_grep "^message $(cat id1) (archived)$" out &&
	test_grep "^It is on your hook.$" out &&
	GT_ACTOR=$nux gt mail read --json $(cat id1) | jq -c "[.archived, .body]" >out &&
	echo "[true,\"It is on your hook.\"]" >expect &&
	test_cmp expect out &&
	GT_ACTOR=$nux gt mail thread --json $(cat id5) | jq -r "select(.archived) | .id" >out &&
	test_cmp id1 out &&
	git rev-parse $box_ref >before &&
	GT_ACTOR=$nux gt mail archive $(cat id1) &&
	git rev-parse $box_ref >after &&
	test_cmp before after &&
	gt fsck
'

test_expect_success 'archive --read archives every read message' '
	cd repo &&
	GT_ACTOR=$nux gt mail read $(cat id4) >/dev/null &&
	GT_ACTOR=$nux gt mail archive --read &&
	GT_ACTOR=$nux gt mail inbox | cut -d" " -f1 >out &&
	cat id5 id2 >expect &&
	test_cmp expect out
'

test_expect_success 'the fast listing reads escapes and unicode as the JSON does' '
	cd repo &&
	GT_ACTOR="gastown/crew/zoë" gt mail send ann -s "Quote \" back\\slash tab	é 😀 \\u0041" -m "a \"quoted\" body ending in a backslash \\" &&
	gt mail send ann -s "after" -m "\\\\\"" &&
	gt mail inbox ann | sed "s/^[^ ]* N [^ ]* //" >out &&
	gt mail inbox --json ann | jq -r "\"\(.from): \(.subject)\"" >expect &&
	test_cmp expect out &&
	test_grep "zoë: Quote \" back.slash" out &&
	test_grep "tester: after$" out
'

test_expect_success 'send --stdin: bulk delivery, one commit per mailbox' '
	cd repo &&
	cat >batch <<-\EOF &&
	{"to":"ann","subject":"b1","body":"x"}
	{"to":"bob","subject":"b2","priority":1}

	{"to":"ann","subject":"b3"}
	EOF
	git rev-list --count refs/gastown/mail/ann >before &&
	gt mail send --stdin <batch >ids &&
	test_line_count = 3 ids &&
	git rev-list --count refs/gastown/mail/ann >after &&
	test $(cat after) = $(($(cat before) + 1)) &&
	gt mail inbox ann | cut -d" " -f5 >out &&
	printf "b3\nb1\nafter\nQuote\n" >expect &&
	test_cmp expect out &&
	gt mail inbox -z bob | tr "\0" "\n" | grep -c "tester: b2" >out &&
	echo 1 >expect && test_cmp expect out
'

test_expect_success 'send --stdin is all or nothing' '
	cd repo &&
	git for-each-ref refs/gastown/mail/ >before &&
	printf "%s\n" "{\"to\":\"ann\",\"subject\":\"ok\"}" "{\"to\":\"bob\",\"subject\":\"\"}" >bad &&
	test_expect_code 3 gt mail send --stdin <bad 2>err &&
	test_grep "the subject must be one non-empty line" err &&
	printf "%s\n" "{\"to\":\"ann\",\"subject\":\"ok\"}" "{\"subject\":\"x\"}" >bad &&
	test_expect_code 3 gt mail send --stdin <bad 2>err &&
	test_grep "stdin line 2: no \"to\"" err &&
	printf "%s\n" "{\"to\":\"ann\"" >bad &&
	test_expect_code 3 gt mail send --stdin <bad 2>err &&
	test_grep "malformed JSON in --stdin line 1" err &&
	git for-each-ref refs/gastown/mail/ >after &&
	test_cmp before after
'

test_expect_success 'body from a file or stdin' '
	cd repo &&
	printf "line one\nline two\n\n" >body &&
	gt mail send ann -s "From a file" -F body >id &&
	gt mail read --mailbox ann --json $(cat id) | jq -r .body >out &&
	printf "line one\nline two\n" >expect &&
	test_cmp expect out &&
	echo piped | gt mail send ann -s "Piped" -F - >id &&
	gt mail read --mailbox ann --json $(cat id) | jq -r .body >out &&
	echo piped >expect && test_cmp expect out
'

test_expect_success 'mail errors' '
	cd repo &&
	git for-each-ref refs/gastown/ >before &&
	test_expect_code 3 gt mail send "a//b" -s x 2>err &&
	test_grep "invalid actor address '"'"'a//b'"'"'" err &&
	test_expect_code 3 gt mail send ann -s "" 2>err &&
	test_grep "the subject must be one non-empty line of at most 200 bytes" err &&
	test_expect_code 3 gt mail send ann -s "$(printf "two\nlines")" 2>err &&
	test_grep "the subject must be one non-empty line" err &&
	test_expect_code 3 gt mail send ann -s x -m "$(printf "bad \377")" 2>err &&
	test_grep "the body must be valid UTF-8 of at most 1048576 bytes" err &&
	test_expect_code 3 gt mail send --priority 9 ann -s x 2>err &&
	test_grep "invalid priority '"'"'9'"'"' (0-4, urgent, high, normal, low, backlog)" err &&
	test_expect_code 2 gt mail send --reply-to msg-000000000000 ann -s x 2>err &&
	test_grep "no such message: msg-000000000000 (--reply-to)" err &&
	test_expect_code 2 gt mail read msg-000000000000 2>err &&
	test_grep "no such message: msg-000000000000 in tester'"'"'s mailbox" err &&
	test_expect_code 2 gt mail reply msg-000000000000 -m x 2>err &&
	test_grep "no such message: msg-000000000000 in tester'"'"'s mailbox" err &&
	test_expect_code 2 gt mail mark-read --mailbox ann msg-000000000000 2>err &&
	test_grep "no such message: msg-000000000000 in ann'"'"'s mailbox" err &&
	test_expect_code 2 gt mail archive --mailbox ann msg-000000000000 2>err &&
	test_grep "no such message: msg-000000000000 in ann'"'"'s mailbox" err &&
	test_expect_code 2 gt mail thread msg-000000000000 2>err &&
	test_grep "no such message" err &&
	test_expect_code 4 env GT_ACTOR=$nux gt mail mark-read $(cat id1) 2>err &&
	test_grep "message $(cat id1) is archived" err &&
	test_expect_code 128 gt mail send ann -s x -F nonexistent 2>err &&
	test_grep "cannot read nonexistent" err &&
	git for-each-ref refs/gastown/ >after &&
	test_cmp before after
'

test_expect_success 'inbox and thread --format expand the record'"'"'s keys; -z ends records with NUL' '
	cd repo &&
	gt mail inbox --format "%(id)|%(read)|%(from)|%(priority)|%(subject)" $nux >out &&
	gt mail inbox --json $nux | jq -r "[.id, .read, .from, .priority, .subject] | map(tostring) | join(\"|\")" >expect &&
	test_cmp expect out &&
	GT_ACTOR=mayor gt mail thread --format "%(subject)" -z $(cat id3) | tr "\0" "\n" >out &&
	printf "Pick up gt-1\nRe: Pick up gt-1\nRe: Pick up gt-1\nAlso\n" >expect &&
	test_cmp expect out &&
	test_expect_code 3 gt mail inbox --format "%(nope" 2>err &&
	test_grep "unterminated format atom" err &&
	test_expect_code 129 gt mail inbox --json --format "%(id)" 2>err &&
	test_grep "\-\-json and --format cannot be used together" err &&
	test_expect_code 129 gt mail thread -z $(cat id3) 2>err &&
	test_grep "thread takes -z with --format only" err &&
	test_expect_code 129 gt mail read --format "%(id)" $(cat id3) 2>err &&
	test_grep "does not apply to '"'"'read'"'"'" err
'

test_expect_success 'mail usage errors' '
	cd repo &&
	test_expect_code 129 gt mail 2>err &&
	test_grep "which subcommand" err &&
	test_expect_code 129 gt mail post 2>err &&
	test_grep "unknown subcommand '"'"'post'"'"'" err &&
	test_expect_code 129 gt mail send ann 2>err &&
	test_grep "send needs the recipient and -s <subject>" err &&
	test_expect_code 129 gt mail reply x 2>err &&
	test_grep "reply needs the message and -m <body> or -F <file>" err &&
	test_expect_code 129 gt mail inbox a b 2>err &&
	test_grep "inbox takes at most one actor address" err &&
	test_expect_code 129 gt mail thread 2>err &&
	test_grep "thread takes one message id" err &&
	test_expect_code 129 gt mail read 2>err &&
	test_grep "read needs message ids" err &&
	test_expect_code 129 gt mail archive 2>err &&
	test_grep "archive needs message ids or --read (not both)" err &&
	test_expect_code 129 gt mail archive --read x 2>err &&
	test_grep "archive needs message ids or --read (not both)" err &&
	test_expect_code 129 gt mail inbox -s x 2>err &&
	test_grep "does not apply to '"'"'inbox'"'"'" err &&
	test_expect_code 129 gt mail inbox --json -z 2>err &&
	test_grep "\-\-json and -z cannot be used together" err &&
	test_expect_code 129 gt mail send ann -s x -m y -F z 2>err &&
	test_grep "\-m and -F cannot be used together" err &&
	test_expect_code 129 gt mail send --stdin ann 2>err &&
	test_grep "\-\-stdin takes no other arguments or options" err
'

test_done
