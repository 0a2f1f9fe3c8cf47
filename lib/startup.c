#include "startup.h"
#include "error.h"

#include <dlfcn.h>
#include <git2.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

static int deferring;       /* set while git_libgit2_init() runs */
static char *deferred_file; /* the bundle it asked to parse */
static int loaded;          /* gt_startup_load_tls_certs() ran */

/*
 * Allocations below this come from the heap, not one mmap each (an
 * import allocates and frees a 1 MiB buffer twice per bead); up to the
 * trim threshold of freed memory is kept in each heap.
 */
#define GT_STARTUP_MMAP_THRESHOLD (4 << 20)
#define GT_STARTUP_TRIM_THRESHOLD (8 << 20)

/* mbedTLS's error for a file that cannot be read */
#define MBEDTLS_ERR_X509_FILE_IO_ERROR (-0x2900)

/*
 * Binds in place of mbedTLS's mbedtls_x509_crt_parse_file (see
 * startup.h); the chain is opaque here, as it is to libgit2's caller.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	int (*real)(void *, const char *);

	if (deferring) {
		free(deferred_file);
		deferred_file = path ? strdup(path) : NULL;
		return 0;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
	if (!real)
		return MBEDTLS_ERR_X509_FILE_IO_ERROR;
	return real(chain, path);
}

void gt_startup_libgit2(void)
{
	static int done;

	if (done)
		return;
#ifdef __GLIBC__
	/*
	 * Parsing the CA bundle used to free one ~200 KiB buffer, which
	 * raised glibc's trim threshold as a side effect. Without it, the
	 * threads of a bulk import handed memory back to the kernel in
	 * small steps: 57k madvise calls, 3 s of system time for 10k
	 * beads. A gt command lives briefly; keep freed memory instead.
	 * (Setting either turns off glibc's own adjustment of both.)
	 */
	mallopt(M_MMAP_THRESHOLD, GT_STARTUP_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, GT_STARTUP_TRIM_THRESHOLD);
#endif
	deferring = 1;
	git_libgit2_init();
	deferring = 0;
	/* every object gt writes refers to objects it has just written
	 * or read: libgit2's existence check of each is redundant work */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	done = 1;
}

int gt_startup_load_tls_certs(void)
{
	if (!deferred_file || loaded)
		return 0;
	int r = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, deferred_file, NULL);
	if (r < 0)
		return gt_error_git(r, "cannot load the CA certificates %s", deferred_file);
	loaded = 1;
	return 0;
}

const char *gt_startup_deferred_certs(void)
{
	return deferred_file;
}
