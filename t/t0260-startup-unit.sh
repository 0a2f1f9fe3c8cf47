#!/bin/sh
test_description='libgit2 start-up without parsing the CA bundle (t/unit/test-startup.c)'
. ./test-lib.sh

# Debian's libgit2 uses mbedTLS and parses its CA bundle at start-up;
# lib/startup.c binds in place of the parsing function during it.
backend=other
for lib in $(ldd "$GT_UNIT_DIR/test-startup" 2>/dev/null | awk '{ print $1 }'); do
	case "$lib" in libmbedx509*) backend=mbedtls ;; esac
done
test $backend = mbedtls && test_set_prereq MBEDTLS

test_unit_program test-startup $backend

test_expect_success MBEDTLS 'the programs bind the parsing function in place of mbedTLS' '
	nm -D "$GT_BIN_DIR/gt-create" >syms &&
	test_grep " T mbedtls_x509_crt_parse_file" syms
'

test_done
