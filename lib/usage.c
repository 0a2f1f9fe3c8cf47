#include "usage.h"
#include "error.h"
#include "parse-options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program_name = "gt";

void gt_set_program_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	program_name = slash ? slash + 1 : argv0;
}

const char *gt_program_name(void)
{
	return program_name;
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void gt_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("fatal", fmt, ap);
	va_end(ap);
	exit(GT_EXIT_FATAL);
}

void gt_die_last(void)
{
	gt_die("%s", *gt_error_last() ? gt_error_last() : "unknown error");
}

int gt_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error", fmt, ap);
	va_end(ap);
	return -1;
}

void gt_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("warning", fmt, ap);
	va_end(ap);
}

void gt_usage_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("usage error", fmt, ap);
	va_end(ap);
	exit(GT_EXIT_USAGE);
}

int gt_exit_code_for(int gt_code)
{
	switch (gt_code) {
	case GT_ENOTFOUND: return 2;
	case GT_EINVALID: return 3;
	case GT_EEXISTS:
	case GT_EREFUSED:
	case GT_ECYCLE: return 4;
	case GT_ELOCKED:
	case GT_ECONFLICT: return 5;
	default: return GT_EXIT_FATAL;
	}
}

void gt_die_code(int gt_code)
{
	fflush(stdout);
	fprintf(stderr, "fatal: %s\n",
		*gt_error_last() ? gt_error_last() : "unknown error");
	exit(gt_exit_code_for(gt_code));
}
