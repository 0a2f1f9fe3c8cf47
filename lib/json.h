#ifndef GT_JSON_H
#define GT_JSON_H

#include <cJSON.h>
#include <stddef.h>

/*
 * Small helpers over cJSON. Everything returned as char * is malloc()ed
 * by us (never by cJSON's allocator) and freed with free().
 */

/*
 * Parse one JSON value from buf[0..len). Rejects invalid UTF-8 and
 * trailing garbage. Returns NULL with the error recorded (GT_EINVALID),
 * naming what, e.g. "malformed JSON in --stdin line 3".
 */
cJSON *gt_json_parse(const char *buf, size_t len, const char *what);

/* Compact text of a value (malloc()ed). */
char *gt_json_print(const cJSON *v);

/* 1 when buf[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int gt_utf8_valid(const char *buf, size_t len);

/* A string member or NULL (NULL, missing or not a string). */
const char *gt_json_str(const cJSON *obj, const char *key);
/* A number member as long; def when missing or not a number. */
long gt_json_long(const cJSON *obj, const char *key, long def);

/* Replace (or add) obj[key] = value; takes ownership of value. */
void gt_json_put(cJSON *obj, const char *key, cJSON *value);
void gt_json_put_str(cJSON *obj, const char *key, const char *s);

/* Deep equality that ignores the order of object members. */
int gt_json_equal(const cJSON *a, const cJSON *b);

#endif
