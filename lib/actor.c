#include "actor.h"
#include "error.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static int id_byte_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Length of the UTF-8 sequence at s (0 when it is not one). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int segment_valid(const char *s, size_t len)
{
	if (len == 0 || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return s[0] != ' ' && s[len - 1] != ' ';
}

int gt_actor_valid(const char *addr)
{
	const unsigned char *p = (const unsigned char *)addr;
	const char *seg = addr;
	size_t len = strlen(addr);

	if (len == 0 || len > GT_ACTOR_MAX)
		return 0;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') ||
	      (p[0] >= '0' && p[0] <= '9')))
		return 0;
	while (*p) {
		size_t n = utf8_len(p);
		if (!n || *p < 0x20 || *p == 0x7f)
			return 0;
		if (*p == '/') {
			if (!segment_valid(seg, (const char *)p - seg))
				return 0;
			seg = (const char *)p + 1;
		}
		p += n;
	}
	return segment_valid(seg, (const char *)p - seg);
}

int gt_actor_to_id(char **out, const char *addr)
{
	static const char hex[] = "0123456789ABCDEF";
	gt_strbuf sb = GT_STRBUF_INIT;

	*out = NULL;
	if (!gt_actor_valid(addr))
		return gt_error_set(GT_EINVALID, "invalid actor address '%s'", addr);
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++) {
		if (id_byte_plain(*p)) {
			gt_strbuf_addch(&sb, *p);
		} else {
			gt_strbuf_addch(&sb, '%');
			gt_strbuf_addch(&sb, hex[*p >> 4]);
			gt_strbuf_addch(&sb, hex[*p & 15]);
		}
	}
	*out = gt_strbuf_detach(&sb);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gt_actor_from_id(char **out, const char *id)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	char *again = NULL;
	int ok;

	*out = NULL;
	for (const char *p = id; *p; p++) {
		if (*p != '%') {
			gt_strbuf_addch(&sb, *p);
			continue;
		}
		int hi = hex_value(p[1]), lo = hi < 0 ? -1 : hex_value(p[2]);
		if (lo < 0)
			goto bad;
		gt_strbuf_addch(&sb, hi * 16 + lo);
		p += 2;
	}
	/* only the canonical encoding of a valid address decodes */
	ok = gt_actor_to_id(&again, sb.buf) == 0 && !strcmp(again, id);
	free(again);
	if (!ok)
		goto bad;
	*out = gt_strbuf_detach(&sb);
	return 0;
bad:
	gt_strbuf_release(&sb);
	return gt_error_set(GT_EINVALID, "'%s' is not an encoded actor address", id);
}

char *gt_actor_id_display(const char *id)
{
	char *addr = NULL;
	if (strchr(id, '%') && gt_actor_from_id(&addr, id) == 0)
		return addr;
	return gt_xstrdup(id);
}

const char *gt_actor_role(const char *addr)
{
	const char *slash = strchr(addr, '/');
	const char *rest;

	if (!slash)
		return !strcmp(addr, "mayor") ? "mayor" :
		       !strcmp(addr, "deacon") ? "deacon" : NULL;
	rest = slash + 1;
	if (!strcmp(rest, "witness"))
		return "witness";
	if (!strcmp(rest, "refinery"))
		return "refinery";
	if (!strncmp(rest, "polecats/", 9) && rest[9] && !strchr(rest + 9, '/'))
		return "polecat";
	if (!strncmp(rest, "crew/", 5) && rest[5] && !strchr(rest + 5, '/'))
		return "crew";
	return NULL;
}

char *gt_actor_rig(const char *addr)
{
	const char *slash = strchr(addr, '/');
	return slash ? gt_xstrndup(addr, slash - addr) : NULL;
}
