#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[1024];
static _Thread_local int last_code;

/* Formats into a scratch buffer first: the arguments may be the last
 * message itself (a caller adding context to it). */
void gt_error__record(int code, const char *suffix, const char *fmt, va_list ap)
{
	char buf[sizeof(last_message)];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", suffix);
	/* messages quote user input: keep them one printable line */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	memcpy(last_message, buf, sizeof(buf));
	last_code = code;
}

int gt_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gt_error__record(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int gt_error_errno(const char *fmt, ...)
{
	const char *msg = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	gt_error__record(GT_ERROR, msg, fmt, ap);
	va_end(ap);
	return GT_ERROR;
}

const char *gt_error_last(void)
{
	return last_message;
}

int gt_error_last_code(void)
{
	return last_code;
}

void gt_error_clear(void)
{
	last_message[0] = '\0';
	last_code = 0;
}
