#ifndef GT_USAGE_H
#define GT_USAGE_H

/*
 * Reporting for commands (bin/ only; the library never exits or prints).
 * Exit codes follow git: die() exits 128, usage errors 129, and 1 is the
 * documented "no" of a command (nothing found, problems listed).
 */

#define GT_EXIT_NO 1
#define GT_EXIT_FATAL 128
#define GT_EXIT_USAGE 129

/* The command name used as the prefix of messages ("gt-create"). */
void gt_set_program_name(const char *argv0);
const char *gt_program_name(void);

/* "fatal: <msg>" on stderr, exit 128. */
void gt_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* "fatal: <last library error>" on stderr, exit 128. */
void gt_die_last(void) __attribute__((noreturn));
/* "error: <msg>" on stderr; returns -1. */
int gt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warning: <msg>" on stderr. */
void gt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "usage error: <msg>" on stderr, exit 129. */
void gt_usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * Exit code for a library error code: 128 for most, with the codes a
 * user meets often mapped as documented in Documentation/gastown.txt.
 */
int gt_exit_code_for(int gt_code);

/* Print the last library error as "fatal: ..." and exit with its code. */
void gt_die_code(int gt_code) __attribute__((noreturn));

#endif
