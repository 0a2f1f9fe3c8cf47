#!/bin/sh
test_description='formula unit tests (t/unit/test-formula.c)'
. ./test-lib.sh

test_unit_program test-formula

test_done
