#include "describe.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void field(gt_strbuf *out, const char *label, const char *value)
{
	if (value && *value)
		gt_strbuf_addf(out, "%-10s %s\n", label, value);
}

static void indented(gt_strbuf *out, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		gt_strbuf_addf(out, "    %.*s\n", (int)n, text);
		text += n;
		if (*text)
			text++;
	}
}

/* Members shown in their own place; the rest are listed as "other". */
static const char *const shown[] = {
	"id", "title", "status", "priority", "issue_type", "assignee", "owner",
	"labels", "parent", "created_at", "created_by", "updated_at",
	"closed_at", "close_reason", "dependencies", "description", "design",
	"acceptance_criteria", "notes", "comments", NULL
};

static int is_shown(const char *name)
{
	for (const char *const *s = shown; *s; s++)
		if (!strcmp(*s, name))
			return 1;
	return 0;
}

void gt_describe_bead(gt_strbuf *out, const cJSON *b)
{
	const cJSON *v;
	char num[32];

	gt_strbuf_addf(out, "%s: %s\n", gt_json_str(b, "id"),
		       gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
	field(out, "Status:", gt_json_str(b, "status"));
	v = cJSON_GetObjectItemCaseSensitive(b, "priority");
	if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "P%d", v->valueint);
		field(out, "Priority:", num);
	}
	field(out, "Type:", gt_json_str(b, "issue_type"));
	field(out, "Assignee:", gt_json_str(b, "assignee"));
	field(out, "Owner:", gt_json_str(b, "owner"));
	field(out, "Parent:", gt_json_str(b, "parent"));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "labels")) > 0) {
		gt_strbuf l = GT_STRBUF_INIT;
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(b, "labels"))
			if (cJSON_IsString(v))
				gt_strbuf_addf(&l, "%s%s", l.len ? ", " : "", v->valuestring);
		field(out, "Labels:", l.buf);
		gt_strbuf_release(&l);
	}
	field(out, "Created:", gt_json_str(b, "created_at"));
	field(out, "By:", gt_json_str(b, "created_by"));
	field(out, "Updated:", gt_json_str(b, "updated_at"));
	field(out, "Closed:", gt_json_str(b, "closed_at"));
	field(out, "Reason:", gt_json_str(b, "close_reason"));
	for (const cJSON *m = b->child; m; m = m->next) {
		if (is_shown(m->string) || cJSON_IsNull(m) ||
		    (cJSON_IsString(m) && !*m->valuestring))
			continue;
		char *text = cJSON_IsString(m) ? NULL : gt_json_print(m);
		gt_strbuf label = GT_STRBUF_INIT;
		gt_strbuf_addf(&label, "%s:", m->string);
		field(out, label.buf, text ? text : m->valuestring);
		gt_strbuf_release(&label);
		free(text);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "dependencies")) > 0) {
		gt_strbuf_adds(out, "\nDepends on:\n");
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(b, "dependencies"))
			gt_strbuf_addf(out, "    %s %s\n", gt_json_str(v, "type"),
				       gt_json_str(v, "depends_on_id"));
	}
	static const char *const texts[][2] = {
		{ "description", "Description" }, { "design", "Design" },
		{ "acceptance_criteria", "Acceptance criteria" }, { "notes", "Notes" },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = gt_json_str(b, texts[i][0]);
		if (t && *t) {
			gt_strbuf_addf(out, "\n%s:\n", texts[i][1]);
			indented(out, t);
		}
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "comments")) > 0) {
		gt_strbuf_adds(out, "\nComments:\n");
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(b, "comments")) {
			const char *text = gt_json_str(v, "text");
			gt_strbuf_addf(out, "  %s %s:\n", gt_json_str(v, "created_at"),
				       gt_json_str(v, "author"));
			indented(out, text ? text : "");
		}
	}
}
