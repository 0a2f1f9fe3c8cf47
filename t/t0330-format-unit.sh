#!/bin/sh
test_description='format and listing helpers unit tests (t/unit/test-format.c)'
. ./test-lib.sh

test_unit_program test-format

test_done
