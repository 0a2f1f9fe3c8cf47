/*
 * gt_error_git, apart from the rest of error.c so that a program using
 * only the error and usage helpers (the gt dispatcher) does not load
 * libgit2 at start: that costs it ~10 ms.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <git2.h>

int gt_error_git(int git_code, const char *fmt, ...)
{
	int saved_errno = errno;
	const git_error *e = git_error_last();
	int code;
	va_list ap;

	switch (git_code) {
	case GIT_ENOTFOUND: code = GT_ENOTFOUND; break;
	case GIT_EEXISTS: code = GT_EEXISTS; break;
	case GIT_ELOCKED: code = GT_ELOCKED; break;
	case GIT_EMODIFIED: code = GT_ECONFLICT; break;
	default: code = GT_ERROR; break;
	}
	va_start(ap, fmt);
	gt_error__record(code, e && e->message ? e->message
		     : saved_errno ? strerror(saved_errno) : "unknown libgit2 error", fmt, ap);
	va_end(ap);
	return code;
}

