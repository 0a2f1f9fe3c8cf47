/* gt cook: resolve a formula's variables into a protomolecule stored in the ledger. */
#include "error.h"
#include "formula.h"
#include "json.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt cook [--var <name>=<value>]... [--json] <formula>",
	NULL
};

int main(int argc, const char **argv)
{
	gt_strlist vars = GT_STRLIST_INIT, problems = GT_STRLIST_INIT;
	gt_formula *f = NULL;
	gt_repo *repo = NULL;
	cJSON *proto = NULL, *stored = NULL;
	char *id = NULL;
	int json = 0, r;
	struct gt_option opts[] = {
		GT_OPT_LIST(0, "var", &vars, "name=value", "the value of a variable (repeatable)"),
		GT_OPT_BOOL(0, "json", &json, "print the protomolecule as one JSON object"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc != 1)
		gt_usage_error(usage, opts, "give one formula (a name or a file)");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_formula_load(&f, NULL, NULL, repo, argv[0], &problems)) < 0 ||
	    (r = gt_formula_cook(&proto, f, &vars, &problems)) < 0 ||
	    (r = gt_proto_store(&id, repo, proto)) < 0 ||
	    (r = gt_proto_read(&stored, repo, id)) < 0)
		gt_die_code(r);
	if (json) {
		char *text = gt_json_print(stored);
		printf("%s\n", text);
		free(text);
	} else {
		printf("%s\n", id);
	}
	cJSON_Delete(stored);
	free(id);
	gt_formula_free(f);
	gt_repo_free(repo);
	gt_strlist_clear(&vars);
	gt_strlist_clear(&problems);
	return 0;
}
