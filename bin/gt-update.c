/* gt update: change any field of a bead. */
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
	"gt update [<options>] <id>",
	NULL
};

static char *split_assignment(const char *arg, const char **value)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		gt_usage_die("expected <field>=<value>, not '%s'", arg);
	*value = eq + 1;
	return gt_xstrndup(arg, (size_t)(eq - arg));
}

int main(int argc, const char **argv)
{
	const char *title = NULL, *desc = NULL, *type = NULL, *prio = NULL,
		   *assignee = NULL, *status = NULL, *parent = NULL;
	gt_strlist add = GT_STRLIST_INIT, rm = GT_STRLIST_INIT,
		   sets = GT_STRLIST_INIT, jsets = GT_STRLIST_INIT, unsets = GT_STRLIST_INIT;
	gt_repo *repo;
	int r, changed = 0, verbose = 0;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "title", &title, "title", "new title"),
		GT_OPT_STRING('d', "description", &desc, "text", "new description"),
		GT_OPT_STRING('t', "type", &type, "type", "new issue type"),
		GT_OPT_STRING('p', "priority", &prio, "0-4", "new priority"),
		GT_OPT_STRING('a', "assignee", &assignee, "actor", "new assignee (empty: none)"),
		GT_OPT_STRING('s', "status", &status, "status", "new status"),
		GT_OPT_STRING(0, "parent", &parent, "id", "new parent member (empty: none)"),
		GT_OPT_LIST(0, "add-label", &add, "label", "add a label (repeatable)"),
		GT_OPT_LIST(0, "remove-label", &rm, "label", "remove a label (repeatable)"),
		GT_OPT_LIST(0, "set", &sets, "field=text", "set any field to a string (repeatable)"),
		GT_OPT_LIST(0, "set-json", &jsets, "field=json", "set any field to a JSON value (repeatable)"),
		GT_OPT_LIST(0, "unset", &unsets, "field", "remove a field (repeatable)"),
		GT_OPT_BOOL('v', "verbose", &verbose, "say whether anything changed"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc != 1)
		gt_usage_error(usage, opts, argc ? "give one id" : "which bead? give its id");

	cJSON *set = cJSON_CreateObject();
	if (title)
		cJSON_AddStringToObject(set, "title", title);
	if (desc)
		cJSON_AddStringToObject(set, "description", desc);
	if (type)
		cJSON_AddStringToObject(set, "issue_type", type);
	if (status)
		cJSON_AddStringToObject(set, "status", status);
	if (assignee)
		gt_json_put(set, "assignee", *assignee ? cJSON_CreateString(assignee) : cJSON_CreateNull());
	if (parent)
		gt_json_put(set, "parent", *parent ? cJSON_CreateString(parent) : cJSON_CreateNull());
	if (prio) {
		char *end;
		const char *p = (*prio == 'P' || *prio == 'p') ? prio + 1 : prio;
		long n = strtol(p, &end, 10);
		if (!*p || *end || n < 0 || n > 4)
			gt_usage_error(usage, opts, "priority must be 0-4 (or P0-P4), not '%s'", prio);
		cJSON_AddNumberToObject(set, "priority", (double)n);
	}
	for (size_t i = 0; i < sets.nr; i++) {
		const char *value;
		char *key = split_assignment(sets.items[i], &value);
		gt_json_put(set, key, cJSON_CreateString(value));
		free(key);
	}
	for (size_t i = 0; i < jsets.nr; i++) {
		const char *value;
		char *key = split_assignment(jsets.items[i], &value);
		cJSON *v = gt_json_parse(value, strlen(value), "--set-json");
		if (!v)
			gt_die_code(gt_error_last_code());
		gt_json_put(set, key, v);
		free(key);
	}
	for (size_t i = 0; i < unsets.nr; i++)
		gt_json_put(set, unsets.items[i], cJSON_CreateNull());
	if (!set->child && !add.nr && !rm.nr)
		gt_usage_error(usage, opts, "nothing to change: give at least one field option");

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	struct gt_bead_update u = { set, &add, &rm, NULL };
	if ((r = gt_bead_update(&changed, repo, argv[0], &u)) < 0)
		gt_die_code(r);
	if (verbose)
		printf("%s %s\n", changed ? "updated" : "no change to", argv[0]);
	cJSON_Delete(set);
	gt_strlist_clear(&add);
	gt_strlist_clear(&rm);
	gt_strlist_clear(&sets);
	gt_strlist_clear(&jsets);
	gt_strlist_clear(&unsets);
	gt_repo_free(repo);
	return 0;
}
