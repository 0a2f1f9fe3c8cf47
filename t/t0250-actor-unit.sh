#!/bin/sh
test_description='actor addresses and their ref encoding (t/unit/test-actor.c)'
. ./test-lib.sh

test_unit_program test-actor

test_done
