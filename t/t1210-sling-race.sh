#!/bin/sh
test_description='gt sling: concurrent slings, and crashes at any instant, leave all or nothing'
. ./test-lib.sh

# "whole" when the bead, the hook and the mailbox all say the bead is on
# actor's hook; "none" when none of them does; anything else is "torn"
assignment() {
	bead=$1 actor=$2
	b=$(gt show --json "$bead" | jq -r "[.status, (.assignee // \"-\")] | join(\" \")") &&
	h=$(gt hook --json "$actor" | jq -r ".bead // \"-\"") &&
	m=$(gt mail inbox --json "$actor" | jq -r "select(.kind == \"sling\" and .bead == \"$bead\") | .id" | wc -l) &&
	if test "$b" = "hooked $actor" && test "$h" = "$bead" && test "$m" = 1
	then
		echo whole
	elif test "$b" = "open -" && test "$h" = "-" && test "$m" = 0
	then
		echo none
	else
		echo "torn: bead '$b' hook '$h' mails $m"
	fi
}

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		gt create --id gt-r$i "Race $i" >/dev/null || return 1
	done &&
	gt create --id gt-many "Many" >/dev/null
'

test_expect_success 'two slings of one bead to two actors at once: exactly one wins' '
	cd repo &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		(gt sling gt-r$i gastown/polecats/a$i >/dev/null 2>err-a$i; echo $? >rc-a$i) &
		(gt sling gt-r$i gastown/polecats/b$i >/dev/null 2>err-b$i; echo $? >rc-b$i) &
		wait &&
		rcs=$(cat rc-a$i rc-b$i | sort | tr "\n" " ") &&
		test "$rcs" = "0 4 " || { echo "round $i: exit codes $rcs"; return 1; } &&
		if test $(cat rc-a$i) = 0; then win=a$i lose=b$i; else win=b$i lose=a$i; fi &&
		test_grep "bead gt-r$i is already hooked by gastown/polecats/$win" err-$lose &&
		test "$(assignment gt-r$i gastown/polecats/$win)" = whole &&
		test_expect_code 1 gt hook gastown/polecats/$lose >/dev/null &&
		gt mail inbox gastown/polecats/$lose >out && test_must_be_empty out || return 1
	done &&
	gt fsck
'

test_expect_success 'six slings of one bead at once: one wins, five are refused' '
	cd repo &&
	for k in 1 2 3 4 5 6; do
		(gt sling gt-many gastown/crew/c$k >/dev/null 2>&1; echo $? >rc-c$k) &
	done &&
	wait &&
	cat rc-c1 rc-c2 rc-c3 rc-c4 rc-c5 rc-c6 | sort | uniq -c | sed "s/^ *//" >out &&
	printf "1 0\n5 4\n" >expect &&
	test_cmp expect out &&
	winner=$(gt show --json gt-many | jq -r .assignee) &&
	test "$(assignment gt-many $winner)" = whole &&
	for k in 1 2 3 4 5 6; do
		test gastown/crew/c$k = $winner && continue
		test_expect_code 1 gt hook gastown/crew/c$k >/dev/null || return 1
	done
'

test_expect_success 'a crash after the journal is rolled forward: the whole assignment' '
	cd repo &&
	gt create --id gt-crash "Crash" >/dev/null &&
	test_expect_code 137 env GT_TEST_CRASH_AFTER_JOURNAL=1 gt sling gt-crash gastown/polecats/cr &&
	test_expect_code 1 gt fsck >out 2>&1 &&
	test_grep "transaction of dead process [0-9]* not rolled forward (refs/gastown/beads/gt-crash, refs/gastown/hooks/gastown%2Fpolecats%2Fcr, refs/gastown/mail/gastown%2Fpolecats%2Fcr)" out &&
	gt fsck --repair >/dev/null &&
	gt fsck &&
	test "$(assignment gt-crash gastown/polecats/cr)" = whole
'

test_expect_success 'kill -9 at random instants of a sling: all of it or none of it' '
	cd repo &&
	whole=0 none=0 &&
	for i in $(seq 1 25); do
		gt create --id gt-k$i "Kill $i" >/dev/null &&
		gt sling gt-k$i gastown/polecats/k$i >/dev/null 2>&1 &
		pid=$! &&
		sleep 0.0$(( (i * 7) % 10 ))$(( i % 10 )) &&
		kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
		gt fsck --repair >fsck.out 2>&1 &&
		gt fsck >fsck.out 2>&1 || { cat fsck.out; return 1; }
		state=$(assignment gt-k$i gastown/polecats/k$i) &&
		case "$state" in
		whole) whole=$((whole + 1)) ;;
		none) none=$((none + 1)) ;;
		*) echo "gt-k$i: $state"; return 1 ;;
		esac
	done &&
	echo "# $whole whole, $none none" &&
	test $((whole + none)) = 25
'

test_done
