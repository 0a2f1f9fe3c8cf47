#!/bin/sh
test_description='entity core unit tests (t/unit/test-entity.c)'
. ./test-lib.sh

# The unit program prints its own TAP; run it and re-number its results.
git init -q repo || exit 1
"$GT_UNIT_DIR/test-entity" "$TRASH_DIRECTORY/repo/.git" >unit.out 2>unit.err
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

test_expect_success 'fsck-style check of the unit repository: every ref is a commit' '
	git -C repo for-each-ref --format="%(objecttype)" refs/gastown/ >types &&
	test_grep -v blob types &&
	test_line_count -gt 0 types
'

test_done
