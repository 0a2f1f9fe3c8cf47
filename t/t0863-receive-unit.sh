#!/bin/sh
test_description='the push check, library level (t/unit/test-receive.c)'
. ./test-lib.sh

git init -q --bare repo.git || exit 1
test_unit_program test-receive "$TRASH_DIRECTORY/repo.git"

test_done
