/* gt formula: list, show, validate and publish formulas. */
#include "error.h"
#include "formula.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt formula list [--json]",
	"gt formula show [--json] <formula>",
	"gt formula validate [--var <name>=<value>]... <formula>...",
	"gt formula publish <formula>",
	NULL
};

static int cmd_list(gt_repo *repo, int json)
{
	gt_formula_entry *v = NULL;
	size_t n = 0;
	int r;
	if ((r = gt_formula_list(&v, &n, repo)) < 0)
		gt_die_code(r);
	for (size_t i = 0; i < n; i++) {
		if (json) {
			cJSON *o = cJSON_CreateObject();
			gt_json_put_str(o, "name", v[i].name);
			gt_json_put_str(o, "place", gt_formula_place_name(v[i].place));
			gt_json_put_str(o, "origin", v[i].origin);
			cJSON_AddBoolToObject(o, "shadowed", v[i].shadowed);
			char *text = gt_json_print(o);
			printf("%s\n", text);
			free(text);
			cJSON_Delete(o);
		} else {
			printf("%s\t%s\t%s%s\n", v[i].name, gt_formula_place_name(v[i].place),
			       v[i].origin, v[i].shadowed ? " (shadowed)" : "");
		}
	}
	gt_formula_entries_free(v, n);
	return 0;
}

static void print_problems(const gt_strlist *problems, size_t from)
{
	for (size_t i = from; i < problems->nr; i++)
		printf("%s\n", problems->items[i]);
}

static int cmd_show(gt_repo *repo, const char *name, int json)
{
	gt_strlist problems = GT_STRLIST_INIT;
	gt_formula *f = NULL;
	int r = gt_formula_load(&f, NULL, NULL, repo, name, &problems);
	if (r == 0)
		r = gt_formula_check(f, &problems);
	if (r < 0) {
		gt_formula_free(f);
		gt_die_code(r);
	}
	cJSON *j = gt_formula_to_json(f);
	if (json) {
		char *text = gt_json_print(j);
		printf("%s\n", text);
		free(text);
	} else {
		const cJSON *v, *s;
		printf("formula %s (version %d, %s)\n", gt_json_str(j, "name"),
		       (int)gt_json_long(j, "version", 0),
		       *gt_json_str(j, "type") ? gt_json_str(j, "type") : "workflow");
		printf("source: %s\n", gt_json_str(j, "source"));
		if (*gt_json_str(j, "description"))
			printf("\n%s\n", gt_json_str(j, "description"));
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "vars")))
			printf("\nVariables:\n");
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "vars")) {
			printf("  %s", gt_json_str(v, "name"));
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "required")))
				printf(" (required)");
			if (gt_json_str(v, "default"))
				printf(" [default: %s]", gt_json_str(v, "default"));
			if (*gt_json_str(v, "description"))
				printf(": %s", gt_json_str(v, "description"));
			printf("\n");
		}
		printf("\nSteps:\n");
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(j, "steps")) {
			const cJSON *need;
			printf("  %s: %s", gt_json_str(s, "id"), gt_json_str(s, "title"));
			int k = 0;
			cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(s, "needs"))
				printf("%s%s", k++ ? ", " : " (needs ", need->valuestring);
			printf("%s\n", k ? ")" : "");
		}
	}
	cJSON_Delete(j);
	gt_formula_free(f);
	gt_strlist_clear(&problems);
	return 0;
}

static int cmd_validate(gt_repo *repo, int argc, const char **argv, const gt_strlist *vars)
{
	gt_strlist problems = GT_STRLIST_INIT;
	int worst = 0;
	for (int i = 0; i < argc; i++) {
		gt_formula *f = NULL;
		size_t first = problems.nr;
		int r = gt_formula_load(&f, NULL, NULL, repo, argv[i], &problems);
		if (!f) {
			/* not found, unreadable, a bad name: no formula to check */
			gt_err("%s", gt_error_last());
			int code = gt_exit_code_for(r);
			worst = code > worst ? code : worst;
			continue;
		}
		gt_formula_check(f, &problems);
		if (vars->nr)
			gt_formula_resolve(NULL, f, vars, &problems);
		if (problems.nr > first) {
			gt_formula_sort_problems(&problems, first, gt_formula_origin(f));
			print_problems(&problems, first);
			worst = worst ? worst : GT_EXIT_NO;
		} else {
			printf("%s: ok\n", gt_formula_origin(f));
		}
		gt_formula_free(f);
	}
	gt_strlist_clear(&problems);
	return worst;
}

static int cmd_publish(gt_repo *repo, const char *name)
{
	gt_strlist problems = GT_STRLIST_INIT;
	gt_formula *f = NULL;
	char *text = NULL;
	gt_formula_place place;
	int changed = 0, r;

	r = gt_formula_load(&f, &text, &place, repo, name, &problems);
	if (r == 0 && place == GT_FORMULA_LEDGER)
		r = gt_error_set(GT_EREFUSED, "formula %s is only in the ledger already: nothing to publish",
				 name);
	if (r == 0)
		r = gt_formula_publish(&changed, repo, text, gt_formula_origin(f), &problems);
	if (r < 0) {
		free(text);
		gt_formula_free(f);
		gt_die_code(r);
	}
	printf("%s %s\n", changed ? "published" : "unchanged", gt_formula_name(f));
	free(text);
	gt_formula_free(f);
	gt_strlist_clear(&problems);
	return 0;
}

int main(int argc, const char **argv)
{
	gt_strlist vars = GT_STRLIST_INIT;
	int json = 0, r;
	gt_repo *repo = NULL;
	const char *sub;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "print JSON (list: one object per line)"),
		GT_OPT_LIST(0, "var", &vars, "name=value",
			    "validate: check these values too (repeatable)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which subcommand? list, show, validate or publish");
	sub = argv[0];
	argc--;
	argv++;
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "validate") &&
	    strcmp(sub, "publish"))
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	if (vars.nr && strcmp(sub, "validate"))
		gt_usage_error(usage, opts, "--var goes with validate only (and with gt cook, gt mol pour)");
	if (json && strcmp(sub, "list") && strcmp(sub, "show"))
		gt_usage_error(usage, opts, "--json goes with list and show only");
	if (!strcmp(sub, "list") ? argc != 0 : !strcmp(sub, "validate") ? argc < 1 : argc != 1)
		gt_usage_error(usage, opts, !strcmp(sub, "list") ? "list takes no argument"
								   : "give the formula (a name or a file)");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (!strcmp(sub, "list"))
		r = cmd_list(repo, json);
	else if (!strcmp(sub, "show"))
		r = cmd_show(repo, argv[0], json);
	else if (!strcmp(sub, "validate"))
		r = cmd_validate(repo, argc, argv, &vars);
	else
		r = cmd_publish(repo, argv[0]);
	gt_repo_free(repo);
	gt_strlist_clear(&vars);
	return r;
}
