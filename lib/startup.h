#ifndef GT_STARTUP_H
#define GT_STARTUP_H

/*
 * Starting libgit2 cheaply. Debian's libgit2 is built with mbedTLS and a
 * default CA bundle, which git_libgit2_init() parses in full: 5-7 ms of
 * every gt command's ~9 ms start-up, for TLS that gastown never uses
 * (every network transfer goes through the git command, which honours
 * the user's own TLS, ssh and credential configuration).
 *
 * So lib/startup.c defines mbedtls_x509_crt_parse_file(), which the
 * dynamic linker binds libgit2's call to instead of mbedTLS's. While
 * gt_startup_libgit2() runs git_libgit2_init() it only notes the bundle's
 * path and leaves libgit2 with an empty trust store; at any other time it
 * hands over to mbedTLS's own function. An empty store fails closed: a
 * TLS connection opened by libgit2 itself would be refused, never
 * trusted. A module that ever opens https through libgit2 must first
 * call gt_startup_load_tls_certs().
 */

/*
 * Initialise libgit2 once per process (later calls do nothing), and set
 * the allocator for a short-lived process: freed memory is kept rather
 * than handed back to the kernel page by page (glibc's trim threshold).
 */
void gt_startup_libgit2(void);

/*
 * Load the CA bundle whose parsing start-up deferred. Returns 0, or
 * GT_ERROR with libgit2's message. A no-op when nothing was deferred.
 */
int gt_startup_load_tls_certs(void);

/* The deferred bundle's path, or NULL (libgit2 without mbedTLS, say). */
const char *gt_startup_deferred_certs(void);

#endif
