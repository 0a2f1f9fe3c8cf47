#!/bin/sh
test_description='the note line and Bead: trailers (t/unit/test-notes.c)'
. ./test-lib.sh

# The unit program prints its own TAP; run it and re-number its results.
"$GT_UNIT_DIR/test-notes" >unit.out 2>unit.err
unit_status=$?
while IFS= read -r line; do
	case "$line" in
	"ok "*) test_expect_success "${line#ok * - }" 'true' ;;
	"not ok "*) test_expect_success "${line#not ok * - }" 'false' ;;
	esac
done <unit.out

test_expect_success 'unit program exits cleanly' '
	cat unit.err >&2 &&
	test "$unit_status" = 0 &&
	test_grep "^1\.\." unit.out
'

test_done
