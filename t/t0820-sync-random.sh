#!/bin/sh
test_description='gt sync: three clones, random concurrent operations, random sync orders'
. ./test-lib.sh

# Sizes: small here; make torture sets more (GT_RANDOM_ROUNDS, GT_RANDOM_OPS)
# and other seeds (GT_RANDOM_SEED).
ROUNDS=${GT_RANDOM_ROUNDS:-6}
OPS=${GT_RANDOM_OPS:-5}
# The default seed is one whose run gives ids to two beads on two clones
# (renames), checked below, so that make test always exercises them.
SEED=${GT_RANDOM_SEED:-12}
say "# seed $SEED, $ROUNDS rounds of $OPS operations per clone"

# A linear congruential generator, so that a seed replays the same run.
seed=$SEED
rand() { # rand <n>: sets R to 0..n-1
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	R=$(( (seed / 65536) % $1 ))
}

# pick_bead <clone>: sets B to a random bead id of that clone (or empty)
pick_bead() {
	(cd "$1" && gt list --all --format="%(id)") >ids
	n=$(wc -l <ids)
	B=
	test "$n" -gt 0 || return 0
	rand "$n"
	B=$(sed -n "$((R + 1))p" ids)
}

n_op=0
# one random operation on clone $1; what it must leave behind goes to
# expected-titles and expected-comments (unique texts)
random_op() {
	c=$1
	n_op=$((n_op + 1))
	tag="$c-$n_op"
	rand 9
	case $R in
	0|1)
		B=$(cd $c && gt create "title $tag" -p $((n_op % 5))) &&
		echo "title $tag" >>expected-titles ;;
	2)
		# often under the shared epic: children <parent>.<n> collide
		rand 2
		if test $R = 0; then B=rnd-epic; else pick_bead $c; fi
		test -n "$B" || return 0
		B=$(cd $c && gt create --parent "$B" "title $tag") &&
		echo "title $tag" >>expected-titles ;;
	3)
		pick_bead $c
		test -n "$B" || return 0
		rand 5
		(cd $c && gt update "$B" -p $R --assignee "$c") ;;
	4)
		pick_bead $c
		test -n "$B" || return 0
		rand 3
		(cd $c && gt update "$B" --add-label "l$R" --remove-label "l$(( (R + 1) % 3 ))") ;;
	5)
		pick_bead $c; x=$B; pick_bead $c; y=$B
		test -n "$x" && test "$x" != "$y" || return 0
		# a cycle is refused (exit 4): fine
		st=0; (cd $c && gt dep add "$x" "$y") 2>dep-err || st=$?
		test $st = 0 || test $st = 4 || { cat dep-err >&2; false; } ;;
	6)
		pick_bead $c
		test -n "$B" || return 0
		# closing a closed bead fails: then it is reopened
		(cd $c && { gt close "$B" --reason "$tag" 2>/dev/null || gt reopen "$B"; } >/dev/null) ;;
	*)
		pick_bead $c
		test -n "$B" || return 0
		(cd $c && gt comment "$B" "comment $tag") &&
		echo "comment $tag" >>expected-comments ;;
	esac 2>op-err || { echo >&2 "operation $tag (kind $R) on ${B:-nothing} failed: $(cat op-err)"; return 1; }
	# the commit this operation made (or the tip it left) must survive
	test -z "$B" || git -C $c rev-parse "refs/gastown/beads/$B" >>expected-commits
}

sync_all_random() {
	rand 6
	case $R in
	0) order="a b c" ;; 1) order="a c b" ;; 2) order="b a c" ;;
	3) order="b c a" ;; 4) order="c a b" ;; *) order="c b a" ;;
	esac
	for c in $order; do
		(cd $c && gt sync -q) || return 1
	done
}

test_expect_success 'setup: a bare remote, three clones' '
	git init -q --bare hub.git &&
	for c in a b c; do
		git init -q $c && git -C $c remote add origin ../hub.git &&
		(cd $c && gt init -q --prefix rnd) || return 1
	done &&
	(cd a && gt create --id rnd-epic "title epic" >/dev/null && gt sync -q) &&
	(cd b && gt sync -q) && (cd c && gt sync -q) &&
	echo "title epic" >expected-titles && : >expected-comments && : >expected-commits
'

round=0
while test $round -lt "$ROUNDS"; do
	round=$((round + 1))
	test_expect_success "round $round: operations on every clone, then syncs in a random order" '
		for c in a b c; do
			i=0
			while test $i -lt $OPS; do
				i=$((i + 1))
				random_op $c || { echo >&2 "operation failed on $c"; return 1; }
			done
		done &&
		# some clones sync twice, some not at all this round
		rand 2 && if test $R = 0; then sync_all_random; else
			rand 3 && c=$(echo a b c | cut -d" " -f$((R + 1))) && (cd $c && gt sync -q)
		fi
	'
done

test_expect_success 'after a last round of syncs every clone is identical' '
	for c in a b c a b; do (cd $c && gt sync -q) || return 1; done &&
	for c in a b c; do
		git -C $c for-each-ref --format="%(objectname) %(refname)" refs/gastown/ >tips-$c &&
		(cd $c && gt export) >export-$c || return 1
	done &&
	test_cmp tips-a tips-b && test_cmp tips-a tips-c &&
	test_cmp export-a export-b && test_cmp export-a export-c
'

test_expect_success 'every bead made anywhere is there' '
	jq -r .title export-a | sort >titles &&
	sort expected-titles >expect &&
	comm -23 expect titles >missing &&
	test_must_be_empty missing &&
	renamed=$(jq -r "select(.aliases) | .id" export-a | wc -l) &&
	say "# $(wc -l <titles) beads, $renamed renamed after an id collision" &&
	{ test -n "$GT_RANDOM_SEED" || test "$renamed" -gt 0; }
'

test_expect_success 'every comment made anywhere is there' '
	jq -r ".comments[]?.text" export-a | sort >comments &&
	sort expected-comments >expect &&
	test_cmp expect comments
'

test_expect_success 'every operation made anywhere is in the history; fsck is clean' '
	for c in a b c; do (cd $c && gt fsck >/dev/null) || return 1; done &&
	git -C a rev-list refs/gastown/ledger | sort >reachable &&
	sort -u expected-commits >expect &&
	comm -23 expect reachable >lost &&
	test_must_be_empty lost &&
	git -C hub.git fsck --no-dangling 2>err && ! grep -v "^notice" err
'

test_done
