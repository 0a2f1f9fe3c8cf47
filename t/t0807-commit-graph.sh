#!/bin/sh
test_description='merges and imports that move many refs add a commit-graph layer'
. ./test-lib.sh

GT_TEST_RACY_MS=0 && export GT_TEST_RACY_MS
GT_TEST_GRAPH_EVERY=20 && export GT_TEST_GRAPH_EVERY

# graph_layers <repo>: how many layers its commit-graph chain has
graph_layers() {
	chain=$1/.git/objects/info/commit-graphs/commit-graph-chain
	if test -f "$chain"; then wc -l <"$chain"; else echo 0; fi
}
moved() { cut -d" " -f1 "$1/.git/gastown/graph"; }

test_expect_success 'setup: 30 beads' '
	git init -q --bare hub.git && (cd hub.git && gt init -q --bare) &&
	for i in $(seq 1 30); do echo "{\"id\":\"bd-$i\",\"title\":\"Bead $i\"}"; done >beads.jsonl
'

test_expect_success 'an import past the bound writes a commit-graph' '
	git init -q a && git -C a remote add origin ../hub.git &&
	(cd a && gt init -q --prefix bd && gt import -q ../beads.jsonl) &&
	test "$(graph_layers a)" = 1 &&
	test "$(moved a)" = 0 &&
	git -C a commit-graph verify --no-progress &&
	(cd a && gt sync -q)
'

test_expect_success 'a first sync past the bound writes one too' '
	git init -q b && git -C b remote add origin ../hub.git &&
	(cd b && gt init -q --prefix bd && gt sync -q) &&
	test "$(graph_layers b)" = 1 && test "$(moved b)" = 0 &&
	git -C b commit-graph verify --no-progress
'

test_expect_success 'below the bound the moved refs are counted, then a layer is added' '
	(cd a && for i in 1 2 3 4 5 6 7 8 9 10; do gt update bd-$i -p 1 >/dev/null || return 1; done &&
	 gt sync -q) &&
	(cd b && gt sync -q) &&
	test "$(moved b)" = 10 &&
	cp b/.git/objects/info/commit-graphs/commit-graph-chain chain-before &&
	(cd a && for i in 11 12 13 14 15 16 17 18 19 20; do gt update bd-$i -p 1 >/dev/null || return 1; done &&
	 gt sync -q) &&
	(cd b && gt sync -q) &&
	test "$(moved b)" = 0 &&
	! cmp -s chain-before b/.git/objects/info/commit-graphs/commit-graph-chain &&
	git -C b commit-graph verify --no-progress
'

test_expect_success 'core.commitGraph=false: no graph is written' '
	git init -q c && git -C c remote add origin ../hub.git &&
	git -C c config core.commitGraph false &&
	(cd c && gt init -q --prefix bd && gt sync -q) &&
	test "$(graph_layers c)" = 0 &&
	test ! -e c/.git/objects/info/commit-graph
'

test_expect_success 'a graph that cannot be written does not fail the merge' '
	git init -q d && git -C d remote add origin ../hub.git &&
	(cd d && gt init -q --prefix bd) &&
	mkdir -p d/.git/objects/info && : >d/.git/objects/info/commit-graphs &&
	(cd d && gt sync -q) 2>err &&
	test_grep "warning: git could not add to the commit-graph" err &&
	git -C d for-each-ref refs/gastown/beads/ >refs && test_line_count = 30 refs &&
	test "$(moved d)" = 0
'

test_expect_success 'another writer holding the chain lock: no write, no message, the count kept' '
	git init -q e && git -C e remote add origin ../hub.git &&
	(cd e && gt init -q --prefix bd) &&
	lock=e/.git/objects/info/commit-graphs/commit-graph-chain.lock &&
	mkdir -p e/.git/objects/info/commit-graphs && : >"$lock" &&
	(cd e && gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(graph_layers e)" = 0 && test "$(moved e)" = 30 &&
	rm "$lock" &&
	(cd a && gt update bd-1 -p 2 >/dev/null && gt sync -q) &&
	(cd e && gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(graph_layers e)" = 1 && test "$(moved e)" = 0
'

test_expect_success 'a chain lock left by a writer that died: git fails on it and gt says so' '
	lock=e/.git/objects/info/commit-graphs/commit-graph-chain.lock &&
	: >"$lock" && touch -d "@$(($(date +%s) - 3600))" "$lock" &&
	(cd a && for i in $(seq 1 20); do gt update bd-$i -p 3 >/dev/null || return 1; done &&
	 gt sync -q) &&
	(cd e && gt sync -q) 2>err &&
	test_grep "warning: git could not add to the commit-graph" err &&
	test "$(moved e)" = 0 &&
	rm "$lock"
'

# wait_graph <repo>: until the write in the background has ended (10 s at most)
wait_graph() {
	pid=$(cut -d" " -f2 "$1/.git/gastown/graph") && n=0 &&
	while test "$pid" -gt 0 && kill -0 "$pid" 2>/dev/null && test $n -lt 100; do
		sleep 0.1; n=$((n + 1))
	done &&
	! kill -0 "$pid" 2>/dev/null
}

test_expect_success 'gc.autoDetach (git'"'"'s default): the layer is added in the background' '
	git init -q f && git -C f remote add origin ../hub.git &&
	git -C f config gc.autoDetach true &&
	(cd f && gt init -q --prefix bd && gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(cut -d" " -f1 f/.git/gastown/graph)" = 0 &&
	test "$(cut -d" " -f2 f/.git/gastown/graph)" -gt 0 &&
	wait_graph f &&
	test "$(graph_layers f)" = 1 &&
	git -C f commit-graph verify --no-progress &&
	test_must_be_empty f/.git/gastown/graph.log &&
	(cd f && gt merge -q) 2>err &&
	test_must_be_empty err &&
	test ! -e f/.git/gastown/graph.log
'

test_expect_success 'a write in the background that fails: the next merge shows what git said' '
	git init -q g && git -C g remote add origin ../hub.git &&
	git -C g config gc.autoDetach true &&
	(cd g && gt init -q --prefix bd) &&
	mkdir -p g/.git/objects/info && : >g/.git/objects/info/commit-graphs &&
	(cd g && gt sync -q) 2>err &&
	test_must_be_empty err &&
	git -C g for-each-ref refs/gastown/beads/ >refs && test_line_count = 30 refs &&
	wait_graph g &&
	test -s g/.git/gastown/graph.log &&
	(cd g && gt merge -q) 2>err &&
	test_grep "warning: git could not add to the commit-graph in the background" err &&
	test ! -e g/.git/gastown/graph.log &&
	(cd g && gt merge -q) 2>err &&
	test_must_be_empty err
'

# The record names the writer by its process id; ids are reused, so one
# alive after ten minutes (the log made when the writer started is that
# old) is another process, and the writes go on.
test_expect_success 'a writer still running is waited for; an id reused by another process is not' '
	sleep 120 & other=$! &&
	test_when_finished "kill $other" &&
	echo "25 $other" >f/.git/gastown/graph && : >f/.git/gastown/graph.log &&
	cp f/.git/objects/info/commit-graphs/commit-graph-chain chain-before &&
	(cd a && for i in 1 2 3 4 5; do gt update bd-$i -p 0 >/dev/null || return 1; done && gt sync -q) &&
	(cd f && gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(cat f/.git/gastown/graph)" = "30 $other" &&
	test_cmp chain-before f/.git/objects/info/commit-graphs/commit-graph-chain &&
	touch -d "@$(($(date +%s) - 3600))" f/.git/gastown/graph.log &&
	(cd a && for i in 1 2 3 4 5; do gt update bd-$i -p 1 >/dev/null || return 1; done && gt sync -q) &&
	(cd f && gt sync -q) 2>err &&
	test_must_be_empty err &&
	test "$(moved f)" = 0 && test "$(cut -d" " -f2 f/.git/gastown/graph)" != "$other" &&
	wait_graph f &&
	! cmp -s chain-before f/.git/objects/info/commit-graphs/commit-graph-chain &&
	git -C f commit-graph verify --no-progress
'

test_done
