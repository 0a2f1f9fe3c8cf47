#ifndef GT_ERROR_H
#define GT_ERROR_H

/*
 * Error codes and the per-thread last error message.
 *
 * Library functions return 0 on success or one of the negative codes
 * below, and record a one-line message (lowercase, no full stop) that
 * commands print with gt_error_last().
 */

enum {
	GT_OK = 0,
	GT_ERROR = -1,      /* generic failure (I/O, libgit2, out of memory) */
	GT_ENOTFOUND = -3,  /* no such entity, ref, key or file */
	GT_EEXISTS = -4,    /* the entity or ref already exists */
	GT_EINVALID = -5,   /* bad input: malformed JSON, bad id, out of range */
	GT_ECONFLICT = -6,  /* lost a compare-and-swap race (internal: retried) */
	GT_ECYCLE = -7,     /* the change would create a dependency cycle */
	GT_ELOCKED = -8,    /* a ref stays locked by another process */
	GT_ECORRUPT = -9,   /* stored data is damaged (not a commit, bad JSON) */
	GT_EREFUSED = -10,  /* the change is not allowed in the current state */
};

/* Record a message (printf format) with a code; returns the code. */
int gt_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Record the last libgit2 error, prefixed by a short context such as
 * "cannot read refs/gastown/beads/gt-1". Returns GT_ERROR, or
 * GT_ENOTFOUND / GT_EEXISTS / GT_ELOCKED / GT_ECONFLICT when the libgit2
 * code says so.
 */
int gt_error_git(int git_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record GT_ERROR with strerror(errno) appended. */
int gt_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message recorded in this thread ("" when none). */
const char *gt_error_last(void);

/* The code of the last recorded error (0 when none). */
int gt_error_last_code(void);

void gt_error_clear(void);

/* internal: record a formatted message (with ": suffix" when given) */
#include <stdarg.h>
void gt_error__record(int code, const char *suffix, const char *fmt, va_list ap);

#endif
