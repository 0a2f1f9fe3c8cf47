/*
 * Unit tests of lib/startup.c: libgit2 starts without parsing its CA
 * bundle, and the bundle can still be loaded when asked. Prints TAP.
 * argv[1] is "mbedtls" when the libgit2 in use parses a bundle at start.
 */
#include "startup.h"
#include "error.h"
#include "tap.h"

#include <git2.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int mbedtls = argc > 1 && !strcmp(argv[1], "mbedtls");
	const char *certs;

	gt_startup_libgit2();
	gt_startup_libgit2();
	certs = gt_startup_deferred_certs();
	if (mbedtls) {
		ok(certs != NULL, "start-up deferred the CA bundle libgit2 asked for");
		ok(certs && access(certs, R_OK) == 0, "the deferred bundle is a readable file (%s)",
		   certs ? certs : "none");
	} else {
		ok(certs == NULL, "without mbedTLS nothing is deferred");
	}
	ok(gt_startup_load_tls_certs() == 0, "the deferred bundle loads when asked (%s)",
	   gt_error_last());
	ok(gt_startup_load_tls_certs() == 0, "loading twice is harmless");
	ok(git_libgit2_features() & GIT_FEATURE_THREADS, "libgit2 answers after start-up");
	git_libgit2_shutdown();
	return tap_done();
}
