#!/bin/sh
test_description='make demo: the guided tour of README runs to its end'
. ./test-lib.sh

test_expect_success 'the demo runs and removes its repository' '
	TMPDIR=$TRASH_DIRECTORY GT_DEMO_BIN=$GT_BIN_DIR "$SRC_DIR/contrib/demo.sh" >out 2>err &&
	test_grep "^# Done. (The repository .* is removed.)$" out &&
	! ls -d "$TRASH_DIRECTORY"/gastown-demo.* 2>/dev/null
'

test_expect_success 'it syncs through a bare hub and merges what both clones changed' '
	test_grep "^sync origin: " out &&
	test_grep "gastown merge: " out
'

test_expect_success 'its working day ends with the convoy closed by the last polecat' '
	test_grep "scripted-agent\[gastown/polecats/max\]: closed convoy " out &&
	test_grep "closed 2/2 Health check release$" out &&
	test_grep "\"bead\":\"[a-z0-9-]*\",\"actor\":\"gastown/polecats/nux\"" out
'

test_done
