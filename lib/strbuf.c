#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char gt_strbuf_empty[1];

static void out_of_memory(void)
{
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *gt_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *gt_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *gt_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *gt_xstrdup(const char *s)
{
	return gt_xstrndup(s, strlen(s));
}

char *gt_xstrndup(const char *s, size_t n)
{
	char *p = gt_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void gt_strbuf_grow(gt_strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return;
	size_t alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < need)
		alloc = alloc * 3 / 2 + 16;
	if (sb->alloc == 0) {
		sb->buf = gt_xmalloc(alloc);
		sb->buf[0] = '\0';
	} else {
		sb->buf = gt_xrealloc(sb->buf, alloc);
	}
	sb->alloc = alloc;
}

void gt_strbuf_add(gt_strbuf *sb, const void *data, size_t len)
{
	gt_strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	gt_strbuf_setlen(sb, sb->len + len);
}

void gt_strbuf_adds(gt_strbuf *sb, const char *s)
{
	gt_strbuf_add(sb, s, strlen(s));
}

void gt_strbuf_addch(gt_strbuf *sb, int c)
{
	gt_strbuf_grow(sb, 1);
	sb->buf[sb->len] = (char)c;
	gt_strbuf_setlen(sb, sb->len + 1);
}

void gt_strbuf_vaddf(gt_strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	gt_strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void gt_strbuf_addf(gt_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gt_strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void gt_strbuf_setlen(gt_strbuf *sb, size_t len)
{
	if (sb->alloc == 0)
		return; /* len must stay 0 on the shared empty buffer */
	sb->len = len;
	sb->buf[len] = '\0';
}

void gt_strbuf_reset(gt_strbuf *sb)
{
	gt_strbuf_setlen(sb, 0);
}

char *gt_strbuf_detach(gt_strbuf *sb)
{
	char *r = sb->alloc ? sb->buf : gt_xstrdup("");
	sb->alloc = sb->len = 0;
	sb->buf = gt_strbuf_empty;
	return r;
}

void gt_strbuf_release(gt_strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb->alloc = sb->len = 0;
	sb->buf = gt_strbuf_empty;
}

int gt_strbuf_read_fd(gt_strbuf *sb, int fd)
{
	for (;;) {
		gt_strbuf_grow(sb, 65536);
		ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		gt_strbuf_setlen(sb, sb->len + (size_t)n);
	}
}

int gt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int gt_strbuf_read_file(gt_strbuf *sb, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = gt_strbuf_read_fd(sb, fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int gt_strbuf_read_text_arg(gt_strbuf *sb, const char *path)
{
	int r = (path[0] == '-' && !path[1]) ? gt_strbuf_read_fd(sb, 0)
					     : gt_strbuf_read_file(sb, path);
	if (r < 0)
		return r;
	while (sb->len && sb->buf[sb->len - 1] == '\n')
		gt_strbuf_setlen(sb, sb->len - 1);
	return 0;
}
