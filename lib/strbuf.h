#ifndef GT_STRBUF_H
#define GT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable string with git's strbuf invariants: buf is never NULL and
 * always NUL-terminated; len excludes the terminator. Initialise with
 * GT_STRBUF_INIT. Allocation failure aborts (there is no sane recovery
 * in a short-lived command, and checking every append hides the logic).
 */
typedef struct gt_strbuf {
	size_t alloc;
	size_t len;
	char *buf;
} gt_strbuf;

extern char gt_strbuf_empty[];
#define GT_STRBUF_INIT { 0, 0, gt_strbuf_empty }

void gt_strbuf_grow(gt_strbuf *sb, size_t extra);
void gt_strbuf_add(gt_strbuf *sb, const void *data, size_t len);
void gt_strbuf_adds(gt_strbuf *sb, const char *s);
void gt_strbuf_addch(gt_strbuf *sb, int c);
void gt_strbuf_addf(gt_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gt_strbuf_vaddf(gt_strbuf *sb, const char *fmt, va_list ap);
void gt_strbuf_reset(gt_strbuf *sb);
void gt_strbuf_setlen(gt_strbuf *sb, size_t len);
/* Hand the buffer over to the caller (free() it); sb is reset. */
char *gt_strbuf_detach(gt_strbuf *sb);
void gt_strbuf_release(gt_strbuf *sb);
/* Read a whole file or stream; returns 0 or -1 with errno set. */
int gt_strbuf_read_file(gt_strbuf *sb, const char *path);
int gt_strbuf_read_fd(gt_strbuf *sb, int fd);
/* Write all of buf, through short writes and EINTR; 0 or -1 with errno set. */
int gt_write_all(int fd, const void *buf, size_t len);
/*
 * Read the text of a -F <file> option: the file, or standard input when
 * path is "-", without its trailing newlines. Returns 0 or -1 (errno).
 */
int gt_strbuf_read_text_arg(gt_strbuf *sb, const char *path);

/* Allocation helpers that abort on failure. */
void *gt_xmalloc(size_t n);
void *gt_xcalloc(size_t n, size_t size);
void *gt_xrealloc(void *p, size_t n);
char *gt_xstrdup(const char *s);
char *gt_xstrndup(const char *s, size_t n);

#endif
