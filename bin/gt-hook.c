/* gt hook: what is on an actor's hook. */
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

static const char *or(const cJSON *o, const char *key, const char *def)
{
	const char *s = gt_json_str(o, key);
	return s ? s : def;
}

static const char *const usage[] = {
	"gt hook [--json] [<actor>]",
	NULL
};

int main(int argc, const char **argv)
{
	int json = 0, empty = 1, r;
	gt_repo *repo;
	cJSON *v = NULL;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "one JSON object, every key present"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	const char *actor = gt_open_for_actor(&repo, argc, argv, usage, opts);
	if ((r = gt_work_hook_view(&v, &empty, repo, actor)) < 0)
		gt_die_code(r);
	if (json) {
		char *text = gt_json_print(v);
		puts(text);
		free(text);
	} else if (empty) {
		printf("%s: nothing on the hook\n", actor);
	} else {
		printf("%s: %s [%s] %s\n", actor, gt_json_str(v, "bead"),
		       or(v, "status", "not in the ledger"), or(v, "title", ""));
		printf("  slung by %s at %s\n", or(v, "slung_by", "?"), or(v, "slung_at", "?"));
		if (gt_json_str(v, "convoy"))
			printf("  convoy: %s\n", gt_json_str(v, "convoy"));
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(v, "handoff");
		if (cJSON_IsObject(h))
			printf("  handoff: %s (from %s at %s; gt resume shows it)\n",
			       or(h, "subject", ""), or(h, "from", "?"), or(h, "created_at", "?"));
	}
	cJSON_Delete(v);
	gt_repo_free(repo);
	return empty ? GT_EXIT_NO : 0;
}
