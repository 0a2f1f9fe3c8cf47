#include "json.h"
#include "error.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

int gt_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf, *end = s + len;
	while (s < end) {
		unsigned c = *s;
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			s++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1; cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2; cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3; cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - s) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += n + 1;
	}
	return 1;
}

cJSON *gt_json_parse(const char *buf, size_t len, const char *what)
{
	const char *end = NULL;
	cJSON *v;

	if (!gt_utf8_valid(buf, len)) {
		gt_error_set(GT_EINVALID, "invalid UTF-8 in %s", what);
		return NULL;
	}
	v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!v) {
		gt_error_set(GT_EINVALID, "malformed JSON in %s", what);
		return NULL;
	}
	while (end && end < buf + len && (*end == ' ' || *end == '\t' ||
					 *end == '\r' || *end == '\n' || !*end))
		end++;
	if (end && end < buf + len) {
		cJSON_Delete(v);
		gt_error_set(GT_EINVALID, "malformed JSON in %s: trailing data", what);
		return NULL;
	}
	return v;
}

char *gt_json_print(const cJSON *v)
{
	char *p = cJSON_PrintUnformatted(v);
	if (!p) {
		gt_error_set(GT_ERROR, "cannot print JSON (out of memory)");
		return NULL;
	}
	char *r = gt_xstrdup(p);
	cJSON_free(p);
	return r;
}

const char *gt_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

long gt_json_long(const cJSON *obj, const char *key, long def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) ? (long)v->valuedouble : def;
}

void gt_json_put(cJSON *obj, const char *key, cJSON *value)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
	else
		cJSON_AddItemToObject(obj, key, value);
}

void gt_json_put_str(cJSON *obj, const char *key, const char *s)
{
	gt_json_put(obj, key, cJSON_CreateString(s));
}

int gt_json_equal(const cJSON *a, const cJSON *b)
{
	return cJSON_Compare(a, b, 1);
}
