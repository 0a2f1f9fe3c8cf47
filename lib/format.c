#include "format.h"
#include "error.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum atom {
	A_LITERAL,
	A_ID, A_TITLE, A_STATUS, A_PRIORITY, A_TYPE, A_ASSIGNEE, A_PARENT,
	A_LABELS, A_CREATED_AT, A_UPDATED_AT, A_CLOSED_AT, A_JSON,
	A_MEMBER,
};

static const struct { const char *name; enum atom atom; } builtins[] = {
	{ "id", A_ID }, { "title", A_TITLE }, { "status", A_STATUS },
	{ "priority", A_PRIORITY }, { "type", A_TYPE }, { "issue_type", A_TYPE },
	{ "assignee", A_ASSIGNEE }, { "parent", A_PARENT }, { "labels", A_LABELS },
	{ "created_at", A_CREATED_AT }, { "updated_at", A_UPDATED_AT },
	{ "closed_at", A_CLOSED_AT }, { "json", A_JSON },
};

struct part {
	enum atom atom;
	char *text;        /* the literal bytes, or the member name */
	size_t len;
};

struct gt_format {
	struct part *parts;
	size_t n;
	int needs_member;  /* some atom reads a member outside the index fields */
};

static void add_part(gt_format *f, enum atom atom, const char *text, size_t len)
{
	f->parts = gt_xrealloc(f->parts, (f->n + 1) * sizeof(*f->parts));
	f->parts[f->n].atom = atom;
	f->parts[f->n].text = text ? gt_xstrndup(text, len) : NULL;
	f->parts[f->n].len = len;
	f->n++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void gt_format_free(gt_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->parts[i].text);
	free(f->parts);
	free(f);
}

int gt_format_parse(gt_format **out, const char *fmt)
{
	gt_format *f = gt_xcalloc(1, sizeof(*f));
	gt_strbuf lit = GT_STRBUF_INIT;
	const char *p = fmt;
	int r = 0;

	*out = NULL;
	while (*p) {
		if (*p != '%') {
			gt_strbuf_addch(&lit, *p++);
			continue;
		}
		p++;
		if (*p == '%' || *p == 'n') {
			gt_strbuf_addch(&lit, *p == 'n' ? '\n' : '%');
			p++;
		} else if (*p == 'x' || hexval(*p) >= 0) {
			const char *h = *p == 'x' ? p + 1 : p;
			if (hexval(h[0]) < 0 || hexval(h[1]) < 0) {
				r = gt_error_set(GT_EINVALID,
						 "bad hex escape '%%%.*s' in format (use %%xHH)",
						 (int)strnlen(p, 3), p);
				goto out;
			}
			gt_strbuf_addch(&lit, hexval(h[0]) * 16 + hexval(h[1]));
			p = h + 2;
		} else if (*p == '(') {
			const char *name = p + 1, *close = strchr(name, ')');
			size_t len, i;
			if (!close) {
				r = gt_error_set(GT_EINVALID,
						 "unterminated format atom '%%%s'", p);
				goto out;
			}
			len = (size_t)(close - name);
			if (!len) {
				r = gt_error_set(GT_EINVALID, "empty format atom '%%()'");
				goto out;
			}
			for (i = 0; i < len && name_char(name[i]); i++)
				;
			if (i < len && name[i] == ':') {
				r = gt_error_set(GT_EINVALID,
						 "unknown format atom '%%(%.*s)': atoms take no modifiers",
						 (int)len, name);
				goto out;
			}
			if (i < len) {
				r = gt_error_set(GT_EINVALID,
						 "malformed format atom '%%(%.*s)': names are letters, "
						 "digits, '_' and '-'", (int)len, name);
				goto out;
			}
			if (lit.len) {
				add_part(f, A_LITERAL, lit.buf, lit.len);
				gt_strbuf_reset(&lit);
			}
			enum atom atom = A_MEMBER;
			for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
				if (strlen(builtins[i].name) == len &&
				    !memcmp(builtins[i].name, name, len))
					atom = builtins[i].atom;
			if (atom == A_MEMBER)
				f->needs_member = 1;
			add_part(f, atom, atom == A_MEMBER ? name : NULL,
				 atom == A_MEMBER ? len : 0);
			p = close + 1;
		} else if (!*p) {
			r = gt_error_set(GT_EINVALID,
					 "format ends with a lone '%%' (use '%%%%' for a literal '%%')");
			goto out;
		} else {
			r = gt_error_set(GT_EINVALID,
					 "unknown format escape '%%%c' (use '%%%%' for a literal '%%')",
					 *p);
			goto out;
		}
	}
	if (lit.len)
		add_part(f, A_LITERAL, lit.buf, lit.len);
	*out = f;
	f = NULL;
out:
	gt_strbuf_release(&lit);
	gt_format_free(f);
	return r;
}

/* --- reading an item ---------------------------------------------------- */

static const char *snap_parent(const cJSON *s)
{
	const char *p = gt_json_str(s, "parent");
	const cJSON *d;
	if (p && *p)
		return p;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(s, "dependencies")) {
		const char *type = gt_json_str(d, "type");
		if (type && !strcmp(type, "parent-child"))
			return gt_json_str(d, "depends_on_id");
	}
	return NULL;
}

static const char *item_str(const gt_format_item *it, enum atom atom)
{
	const gt_index_entry *e = it->entry;
	const cJSON *s = it->snapshot;
	switch (atom) {
	case A_ID: return e ? e->id : gt_json_str(s, "id");
	case A_TITLE: return e ? e->title : gt_json_str(s, "title");
	case A_STATUS: return e ? e->status : gt_json_str(s, "status");
	case A_TYPE: return e ? e->issue_type : gt_json_str(s, "issue_type");
	case A_ASSIGNEE: return e ? e->assignee : gt_json_str(s, "assignee");
	case A_PARENT: return e ? gt_index_entry_parent(e) : snap_parent(s);
	case A_CREATED_AT: return e ? e->created_at : gt_json_str(s, "created_at");
	case A_UPDATED_AT: return e ? e->updated_at : gt_json_str(s, "updated_at");
	case A_CLOSED_AT: return e ? e->closed_at : gt_json_str(s, "closed_at");
	default: return NULL;
	}
}

/* Priority, or -1 when absent or not an integer 0.. */
static int item_priority(const gt_format_item *it)
{
	const cJSON *v;
	if (it->entry)
		return it->entry->priority;
	v = cJSON_GetObjectItemCaseSensitive(it->snapshot, "priority");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e9 &&
	    v->valuedouble == (double)(int)v->valuedouble)
		return (int)v->valuedouble;
	return -1;
}

static void add_labels(gt_strbuf *out, const gt_format_item *it)
{
	if (it->entry) {
		for (size_t i = 0; i < it->entry->nlabels; i++) {
			if (i)
				gt_strbuf_addch(out, ',');
			gt_strbuf_adds(out, it->entry->labels[i]);
		}
	} else {
		const cJSON *l;
		int first = 1;
		cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(it->snapshot, "labels")) {
			if (!cJSON_IsString(l))
				continue;
			if (!first)
				gt_strbuf_addch(out, ',');
			gt_strbuf_adds(out, l->valuestring);
			first = 0;
		}
	}
}

/* A member's value as %(member) shows it. */
static void add_member_value(gt_strbuf *out, const cJSON *v)
{
	char *text;
	if (!v || cJSON_IsNull(v))
		return;
	if (cJSON_IsString(v)) {
		gt_strbuf_adds(out, v->valuestring);
		return;
	}
	text = gt_json_print(v);
	if (text)
		gt_strbuf_adds(out, text);
	free(text);
}

static const gt_format_extra *find_extra(const gt_format_item *it,
					 const char *key, size_t len)
{
	for (size_t i = 0; i < it->nextra; i++)
		if (strlen(it->extra[i].key) == len && !memcmp(it->extra[i].key, key, len))
			return &it->extra[i];
	return NULL;
}

/* The snapshot of an item as a cJSON object (parsed from the index if need be). */
static cJSON *item_parse(const gt_format_item *it)
{
	if (!it->entry || !it->entry->json)
		return NULL;
	return cJSON_ParseWithLength(it->entry->json, it->entry->json_len);
}

void gt_format_json(gt_strbuf *out, const gt_format_item *it)
{
	cJSON *obj;
	char *text;

	if (it->entry && !it->nextra) {
		gt_strbuf_add(out, it->entry->json, it->entry->json_len);
		return;
	}
	obj = it->entry ? item_parse(it) : cJSON_Duplicate(it->snapshot, 1);
	if (!obj)
		obj = cJSON_CreateObject();
	for (size_t i = 0; i < it->nextra; i++) {
		cJSON *v = cJSON_Parse(it->extra[i].json);
		gt_json_put(obj, it->extra[i].key, v ? v : cJSON_CreateNull());
	}
	text = gt_json_print(obj);
	if (text)
		gt_strbuf_adds(out, text);
	free(text);
	cJSON_Delete(obj);
}

void gt_format_expand(gt_strbuf *out, const gt_format *f, const gt_format_item *it)
{
	cJSON *parsed = NULL;
	int tried = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct part *p = &f->parts[i];
		const char *s;
		switch (p->atom) {
		case A_LITERAL:
			gt_strbuf_add(out, p->text, p->len);
			break;
		case A_PRIORITY: {
			int prio = item_priority(it);
			if (prio >= 0)
				gt_strbuf_addf(out, "%d", prio);
			break;
		}
		case A_LABELS:
			add_labels(out, it);
			break;
		case A_JSON:
			gt_format_json(out, it);
			break;
		case A_MEMBER: {
			const gt_format_extra *x = find_extra(it, p->text, p->len);
			if (x) {
				gt_strbuf_adds(out, x->text);
				break;
			}
			if (it->snapshot) {
				add_member_value(out, cJSON_GetObjectItemCaseSensitive(it->snapshot, p->text));
				break;
			}
			if (!tried) {
				parsed = item_parse(it);
				tried = 1;
			}
			add_member_value(out, cJSON_GetObjectItemCaseSensitive(parsed, p->text));
			break;
		}
		default:
			if ((s = item_str(it, p->atom)))
				gt_strbuf_adds(out, s);
			break;
		}
	}
	cJSON_Delete(parsed);
}

void gt_format_porcelain(gt_strbuf *out, const gt_format_item *it)
{
	const char *id = item_str(it, A_ID), *type = item_str(it, A_TYPE);
	const char *status = item_str(it, A_STATUS), *title = item_str(it, A_TITLE);
	const char *assignee = item_str(it, A_ASSIGNEE);
	int prio = item_priority(it);
	char p[] = " [P-] [";

	/* built piece by piece: this runs once per line of long listings */
	gt_strbuf_adds(out, id ? id : "-");
	if (prio >= 0 && prio <= 9)
		p[3] = (char)('0' + prio);
	if (prio > 9)
		gt_strbuf_addf(out, " [P%d] [", prio);
	else
		gt_strbuf_add(out, p, sizeof(p) - 1);
	gt_strbuf_adds(out, type ? type : "task");
	gt_strbuf_add(out, "] ", 2);
	gt_strbuf_adds(out, status ? status : "-");
	if (assignee && *assignee) {
		gt_strbuf_add(out, " @", 2);
		gt_strbuf_adds(out, assignee);
	}
	gt_strbuf_add(out, " - ", 3);
	for (const char *t = title ? title : ""; *t;) {
		size_t n = strcspn(t, "\r\n");
		gt_strbuf_add(out, t, n);
		t += n;
		if (*t) {
			gt_strbuf_addch(out, ' ');
			t++;
		}
	}
}

int gt_format_output_init(gt_format_output *o, int json, const char *format,
			  int nul)
{
	o->mode = GT_FORMAT_PORCELAIN;
	o->format = NULL;
	o->terminator = nul ? '\0' : '\n';
	if (json && format)
		return gt_error_set(GT_EINVALID, "--json and --format cannot be used together");
	if (json)
		o->mode = GT_FORMAT_JSON;
	if (format) {
		int r = gt_format_parse(&o->format, format);
		if (r < 0)
			return r;
		o->mode = GT_FORMAT_CUSTOM;
	}
	return 0;
}

void gt_format_output_item(gt_strbuf *out, const gt_format_output *o,
			   const gt_format_item *item)
{
	switch (o->mode) {
	case GT_FORMAT_JSON:
		gt_format_json(out, item);
		break;
	case GT_FORMAT_CUSTOM:
		gt_format_expand(out, o->format, item);
		break;
	default:
		gt_format_porcelain(out, item);
		break;
	}
	gt_strbuf_addch(out, o->terminator);
}

void gt_format_output_release(gt_format_output *o)
{
	gt_format_free(o->format);
	o->format = NULL;
}
