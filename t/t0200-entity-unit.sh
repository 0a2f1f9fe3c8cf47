#!/bin/sh
test_description='entity core unit tests (t/unit/test-entity.c)'
. ./test-lib.sh

git init -q repo || exit 1
test_unit_program test-entity "$TRASH_DIRECTORY/repo/.git"

test_expect_success 'fsck-style check of the unit repository: every ref is a commit' '
	git -C repo for-each-ref --format="%(objecttype)" refs/gastown/ >types &&
	test_grep -v blob types &&
	test_line_count -gt 0 types
'

test_done
