#!/bin/sh
test_description='the note line and Bead: trailers (t/unit/test-notes.c)'
. ./test-lib.sh

test_unit_program test-notes

test_done
