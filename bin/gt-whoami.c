/* gt whoami: the acting identity, and its agent record when there is one. */
#include "agent.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt whoami [--json]",
	NULL
};

int main(int argc, const char **argv)
{
	int json = 0, r;
	gt_repo *repo;
	cJSON *agent = NULL;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "one JSON object: actor, origin, agent"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc)
		gt_usage_error(usage, opts, "whoami takes no arguments");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	const char *actor = gt_repo_actor(repo);
	r = gt_agent_read(&agent, repo, actor);
	if (r < 0 && r != GT_ENOTFOUND && r != GT_EINVALID)
		gt_die_code(r);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "actor", actor);
		cJSON_AddStringToObject(o, "origin", gt_repo_actor_origin(repo));
		cJSON_AddItemToObject(o, "agent", agent ? agent : cJSON_CreateNull());
		agent = NULL;
		char *text = gt_json_print(o);
		puts(text);
		free(text);
		cJSON_Delete(o);
	} else {
		printf("%s\n", actor);
		printf("from:    %s\n", gt_repo_actor_origin(repo));
		if (agent) {
			const char *v;
			printf("role:    %s\n", (v = gt_json_str(agent, "role")) ? v : "-");
			printf("rig:     %s\n", (v = gt_json_str(agent, "rig")) ? v : "-");
			printf("runtime: %s\n", (v = gt_json_str(agent, "runtime")) ? v : "-");
			printf("state:   %s\n", (v = gt_json_str(agent, "state")) ? v : "-");
			printf("session: %s\n", (v = gt_json_str(agent, "session")) ? v : "-");
		} else {
			printf("agent:   not registered (gt agent add %s)\n", actor);
		}
	}
	cJSON_Delete(agent);
	gt_repo_free(repo);
	return 0;
}
