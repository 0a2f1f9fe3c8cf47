/* gt status: agents and their hooks, ready work, open convoys, unread mail. */
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "status.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt status [--json] [--ready <n>]",
	NULL
};

static const char *or(const cJSON *o, const char *key, const char *def)
{
	const char *s = gt_json_str(o, key);
	return s ? s : def;
}

int main(int argc, const char **argv)
{
	int json = 0, r;
	long nready = 10;
	cJSON *s = NULL;
	const cJSON *a;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "one JSON object"),
		GT_OPT_INT(0, "ready", &nready, "n", "list at most n ready beads (default 10)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc)
		gt_usage_error(usage, opts, "status takes no arguments");
	if (nready < 0)
		gt_usage_error(usage, opts, "--ready takes a number of beads, 0 or more");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_status_build(&s, repo, (size_t)nready)) < 0)
		gt_die_code(r);
	if (json) {
		char *text = gt_json_print(s);
		puts(text);
		free(text);
		goto done;
	}
	const cJSON *agents = cJSON_GetObjectItemCaseSensitive(s, "agents");
	printf("Agents (%d, %ld with work hooked):\n", cJSON_GetArraySize(agents),
	       gt_json_long(s, "hooked", 0));
	if (!cJSON_GetArraySize(agents))
		printf("  none (gt agent add <actor>)\n");
	cJSON_ArrayForEach(a, agents) {
		printf("  %-28s %-9s %-8s ", or(a, "actor", "?"), or(a, "role", "-"),
		       or(a, "state", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "registered"))
				      ? "-" : "(unregistered)"));
		if (gt_json_str(a, "bead"))
			printf("%s [%s] %s", gt_json_str(a, "bead"), or(a, "status", "?"), or(a, "title", ""));
		else
			printf("-");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "handoff")))
			printf(" (handoff)");
		if (gt_json_long(a, "unread", 0))
			printf("  %ld unread", gt_json_long(a, "unread", 0));
		putchar('\n');
	}
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(s, "ready");
	long count = gt_json_long(ready, "count", 0);
	printf("\nReady work (%ld):\n", count);
	if (!count)
		printf("  none\n");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(ready, "beads"))
		printf("  %s P%ld %s\n", or(a, "id", "?"), gt_json_long(a, "priority", 2), or(a, "title", ""));
	long shown = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ready, "beads"));
	if (count > shown)
		printf("  ... and %ld more: gt ready\n", count - shown);
	const cJSON *convoys = cJSON_GetObjectItemCaseSensitive(s, "convoys");
	printf("\nOpen convoys (%d):\n", cJSON_GetArraySize(convoys));
	if (!cJSON_GetArraySize(convoys))
		printf("  none\n");
	cJSON_ArrayForEach(a, convoys)
		printf("  %s %ld/%ld %s\n", or(a, "id", "?"), gt_json_long(a, "done", 0),
		       gt_json_long(a, "total", 0), or(a, "title", ""));
	printf("\nUnread mail: %ld\n", gt_json_long(s, "unread", 0));
done:
	cJSON_Delete(s);
	gt_repo_free(repo);
	return 0;
}
