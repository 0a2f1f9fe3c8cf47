/* gt create: create beads from options or from JSON objects on stdin. */
#include "bead.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt create [<options>] <title>",
	"gt create --stdin [-z]",
	NULL
};

static long parse_priority(const char *s)
{
	char *end;
	if (s[0] == 'P' || s[0] == 'p')
		s++;
	long p = strtol(s, &end, 10);
	if (!*s || *end || p < 0 || p > 4)
		gt_usage_die("priority must be 0-4 (or P0-P4), not '%s'", s);
	return p;
}

/* "blocks:gt-1,gt-2" or "gt-1" (blocks) -> dependency objects */
static void add_deps(cJSON *deps, const char *spec)
{
	char *copy = gt_xstrdup(spec), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		const char *type = "blocks", *target = item;
		if (colon) {
			*colon = '\0';
			type = item;
			target = colon + 1;
		}
		if (!*type || !*target)
			gt_usage_die("--deps expects <type>:<id>, not '%s'", spec);
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "depends_on_id", target);
		cJSON_AddStringToObject(d, "type", type);
		cJSON_AddItemToArray(deps, d);
	}
	free(copy);
}

/* Read every JSON object from stdin (one per line, or NUL-separated). */
static cJSON *read_stdin_objects(int nul)
{
	gt_strbuf in = GT_STRBUF_INIT;
	cJSON *all = cJSON_CreateArray();
	size_t start = 0, line = 0;

	if (gt_strbuf_read_fd(&in, 0) < 0)
		gt_die("cannot read standard input");
	while (start < in.len) {
		char sep = nul ? '\0' : '\n';
		char *end = memchr(in.buf + start, sep, in.len - start);
		size_t len = end ? (size_t)(end - (in.buf + start)) : in.len - start;
		char what[64];
		line++;
		if (strspn(in.buf + start, " \t\r") < len) {
			snprintf(what, sizeof(what), "--stdin record %zu", line);
			cJSON *v = gt_json_parse(in.buf + start, len, what);
			if (!v)
				gt_die_code(gt_error_last_code());
			if (!cJSON_IsObject(v))
				gt_die_code(gt_error_set(GT_EINVALID, "%s is not a JSON object", what));
			cJSON_AddItemToArray(all, v);
		}
		start += len + 1;
	}
	gt_strbuf_release(&in);
	return all;
}

int main(int argc, const char **argv)
{
	const char *desc = NULL, *type = NULL, *prio = NULL, *parent = NULL,
		   *assignee = NULL, *title = NULL, *id = NULL;
	gt_strlist labels = GT_STRLIST_INIT, deps = GT_STRLIST_INIT;
	int from_stdin = 0, nul = 0;
	gt_repo *repo;
	int r;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "title", &title, "title", "the title (or the first argument)"),
		GT_OPT_STRING('d', "description", &desc, "text", "the description"),
		GT_OPT_STRING('t', "type", &type, "type", "issue type (task, bug, feature, epic, ...)"),
		GT_OPT_STRING('p', "priority", &prio, "0-4", "priority, 0 highest (default 2)"),
		GT_OPT_LIST('l', "label", &labels, "label", "add a label (repeatable)"),
		GT_OPT_STRING(0, "parent", &parent, "id", "create the child <id>.<n>"),
		GT_OPT_STRING('a', "assignee", &assignee, "actor", "assign it"),
		GT_OPT_LIST(0, "deps", &deps, "type:id", "depend on a bead (repeatable; type blocks if omitted)"),
		GT_OPT_STRING(0, "id", &id, "id", "use this id instead of a new one"),
		GT_OPT_BOOL(0, "stdin", &from_stdin, "create one bead per JSON object on stdin"),
		GT_OPT_BOOL('z', NULL, &nul, "with --stdin: records are NUL-separated"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (from_stdin) {
		if (argc || title || desc || type || prio || parent || assignee || id ||
		    labels.nr || deps.nr)
			gt_usage_error(usage, opts, "--stdin takes no title and no field options");
	} else {
		if (nul)
			gt_usage_error(usage, opts, "-z needs --stdin");
		if (argc > 1)
			gt_usage_error(usage, opts, "too many arguments (quote the title)");
		if (argc == 1 && title)
			gt_usage_error(usage, opts, "give the title once");
		if (argc == 1)
			title = argv[0];
		if (!title)
			gt_usage_error(usage, opts, "a title is required");
	}

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);

	cJSON *records;
	if (from_stdin) {
		records = read_stdin_objects(nul);
	} else {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "title", title);
		if (desc)
			cJSON_AddStringToObject(f, "description", desc);
		if (type)
			cJSON_AddStringToObject(f, "issue_type", type);
		if (prio)
			cJSON_AddNumberToObject(f, "priority", (double)parse_priority(prio));
		if (assignee)
			cJSON_AddStringToObject(f, "assignee", assignee);
		if (parent)
			cJSON_AddStringToObject(f, "parent", parent);
		if (id)
			cJSON_AddStringToObject(f, "id", id);
		if (labels.nr) {
			cJSON *l = cJSON_AddArrayToObject(f, "labels");
			for (size_t i = 0; i < labels.nr; i++)
				cJSON_AddItemToArray(l, cJSON_CreateString(labels.items[i]));
		}
		if (deps.nr) {
			cJSON *d = cJSON_AddArrayToObject(f, "dependencies");
			for (size_t i = 0; i < deps.nr; i++)
				add_deps(d, deps.items[i]);
		}
		records = cJSON_CreateArray();
		cJSON_AddItemToArray(records, f);
	}

	/* every bead or none: one transaction */
	gt_strlist ids = GT_STRLIST_INIT;
	if ((r = gt_bead_create_many(&ids, repo, records, 0)) < 0)
		gt_die_code(r);
	for (size_t i = 0; i < ids.nr; i++)
		printf("%s\n", ids.items[i]);
	gt_strlist_clear(&ids);
	cJSON_Delete(records);
	gt_strlist_clear(&labels);
	gt_strlist_clear(&deps);
	gt_repo_free(repo);
	return 0;
}
