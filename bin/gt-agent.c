/* gt agent: register, list, show and remove agents; record their sessions. */
#include "agent.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt agent add [--role <role>] [--runtime <runtime>] <actor>",
	"gt agent list [--json] [--role <role>] [--rig <rig>]",
	"gt agent show [--json] <actor>",
	"gt agent rm <actor>",
	"gt agent start [--session <id>] <actor>",
	"gt agent stop <actor>",
	"gt agent set [--state <state>] [--runtime <runtime>] <actor>",
	NULL
};

static const char *str_or(const cJSON *o, const char *k, const char *def)
{
	const char *s = gt_json_str(o, k);
	return s ? s : def;
}

/* The record as plumbing JSON: every key present, null where absent. */
static void print_json(const cJSON *a)
{
	static const char *const keys[] = {
		"actor", "role", "rig", "runtime", "state", "session",
		"session_started_at", "created_at", "updated_at", NULL
	};
	cJSON *o = cJSON_CreateObject();
	for (const char *const *k = keys; *k; k++) {
		const char *s = gt_json_str(a, *k);
		cJSON_AddItemToObject(o, *k, s ? cJSON_CreateString(s) : cJSON_CreateNull());
	}
	char *text = gt_json_print(o);
	puts(text);
	free(text);
	cJSON_Delete(o);
}

static void print_show(const cJSON *a)
{
	printf("agent:   %s\n", str_or(a, "actor", "?"));
	printf("role:    %s\n", str_or(a, "role", "-"));
	printf("rig:     %s\n", str_or(a, "rig", "-"));
	printf("runtime: %s\n", str_or(a, "runtime", "-"));
	printf("state:   %s\n", str_or(a, "state", "-"));
	printf("session: %s", str_or(a, "session", "-"));
	if (gt_json_str(a, "session_started_at"))
		printf(" (started %s)", gt_json_str(a, "session_started_at"));
	putchar('\n');
	printf("sessions: %d\n",
	       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "sessions")));
}

int main(int argc, const char **argv)
{
	const char *role = NULL, *runtime = NULL, *rig = NULL, *session = NULL, *state = NULL;
	int json = 0, r = 0;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "role", &role, "role", "add: the role (default: the one the address implies); list: only this role"),
		GT_OPT_STRING(0, "runtime", &runtime, "runtime", "add, set: the runtime (claude, codex, ...)"),
		GT_OPT_STRING(0, "rig", &rig, "rig", "list: only agents of this rig"),
		GT_OPT_STRING(0, "session", &session, "id", "start: the runtime's session id (default: a new one)"),
		GT_OPT_STRING(0, "state", &state, "state", "set: idle, running, stuck, stopped or dead"),
		GT_OPT_BOOL(0, "json", &json, "list, show: JSON, one object per line"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which subcommand? add, list, show, rm, start, stop or set");
	const char *sub = argv[0];
	int is_list = !strcmp(sub, "list");
	if (!is_list && strcmp(sub, "add") && strcmp(sub, "show") && strcmp(sub, "rm") &&
	    strcmp(sub, "start") && strcmp(sub, "stop") && strcmp(sub, "set"))
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	if (argc != (is_list ? 1 : 2))
		gt_usage_error(usage, opts, is_list ? "list takes no arguments"
						    : "%s takes one actor address", sub);
	if ((role && strcmp(sub, "add") && !is_list) || (rig && !is_list) ||
	    (session && strcmp(sub, "start")) || (state && strcmp(sub, "set")) ||
	    (runtime && strcmp(sub, "add") && strcmp(sub, "set")) ||
	    (json && !is_list && strcmp(sub, "show")))
		gt_usage_error(usage, opts, "an option given does not apply to '%s'", sub);
	if (!strcmp(sub, "set") && !state && !runtime)
		gt_usage_error(usage, opts, "set needs --state or --runtime");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);

	const char *actor = argc > 1 ? argv[1] : NULL;
	if (!strcmp(sub, "add")) {
		struct gt_agent_add a = { actor, role, runtime };
		r = gt_agent_add(repo, &a);
	} else if (is_list) {
		cJSON *all = NULL, *a;
		if ((r = gt_agent_list(&all, repo)) == 0) {
			cJSON_ArrayForEach(a, all) {
				const char *ar = gt_json_str(a, "role"), *rg = gt_json_str(a, "rig");
				if (role && !(ar && !strcmp(ar, role)))
					continue;
				if (rig && !(rg && !strcmp(rg, rig)))
					continue;
				if (json)
					print_json(a);
				else
					printf("%-32s %-9s %-8s %s\n", str_or(a, "actor", "?"),
					       str_or(a, "role", "-"), str_or(a, "state", "-"),
					       str_or(a, "session", "-"));
			}
			cJSON_Delete(all);
		}
	} else if (!strcmp(sub, "show")) {
		cJSON *a = NULL;
		if ((r = gt_agent_read(&a, repo, actor)) == 0) {
			if (json)
				print_json(a);
			else
				print_show(a);
			cJSON_Delete(a);
		}
	} else if (!strcmp(sub, "rm")) {
		r = gt_agent_rm(repo, actor);
	} else if (!strcmp(sub, "start")) {
		char *id = NULL;
		if ((r = gt_agent_start(&id, repo, actor, session)) == 0)
			puts(id);
		free(id);
	} else if (!strcmp(sub, "stop")) {
		r = gt_agent_set(repo, actor, "stopped", NULL);
	} else {
		r = gt_agent_set(repo, actor, state, runtime);
	}
	if (r < 0)
		gt_die_code(r);
	gt_repo_free(repo);
	return 0;
}
