/* gt prime: what an agent's session starts from. */
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "prime.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MAIL 20

static const char *const usage[] = {
	"gt prime [--role <role>] [--json]",
	NULL
};

static const char *or(const cJSON *o, const char *key, const char *def)
{
	const char *s = gt_json_str(o, key);
	return s ? s : def;
}

static void print_list(const cJSON *h, const char *key, const char *title)
{
	const cJSON *e;
	if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h, key)))
		return;
	printf("%s:\n", title);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h, key))
		if (cJSON_IsString(e))
			printf("- %s\n", e->valuestring);
}

static void print_text(const cJSON *p)
{
	const cJSON *hook = cJSON_GetObjectItemCaseSensitive(p, "hook");
	const cJSON *bead = cJSON_GetObjectItemCaseSensitive(p, "bead");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(p, "handoff");
	const cJSON *m;
	const char *instr = or(p, "instructions", "");

	printf("# gastown: you are %s (%s)\n\n", or(p, "actor", "?"), or(p, "role", "?"));
	fputs(instr, stdout);
	if (*instr && instr[strlen(instr) - 1] != '\n')
		putchar('\n');

	printf("\n## Your hook\n\n");
	if (gt_json_str(hook, "bead")) {
		printf("%s [%s] %s\n", gt_json_str(hook, "bead"), or(hook, "status", "not in the ledger"),
		       or(hook, "title", ""));
		printf("slung by %s at %s\n", or(hook, "slung_by", "?"), or(hook, "slung_at", "?"));
		if (gt_json_str(bead, "description"))
			printf("\n%s\n", gt_json_str(bead, "description"));
		if (gt_json_str(bead, "acceptance_criteria"))
			printf("\nAcceptance criteria:\n%s\n", gt_json_str(bead, "acceptance_criteria"));
		printf("\nThis is your work: do it now, then 'gt done'.\n");
	} else {
		printf("Nothing on your hook.\n");
	}

	if (cJSON_IsObject(h)) {
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(h, "git");
		printf("\n## Handoff from %s at %s: %s\n\n", or(h, "from", "?"), or(h, "created_at", "?"),
		       or(h, "subject", ""));
		if (*or(h, "message", ""))
			printf("%s\n", gt_json_str(h, "message"));
		if (gt_json_str(h, "state"))
			printf("State: %s\n", gt_json_str(h, "state"));
		print_list(h, "done", "Done");
		print_list(h, "blockers", "Blockers");
		print_list(h, "next", "Next");
		if (cJSON_IsObject(g))
			printf("Worktree %s: branch %s, %s, %ld unpushed\n", or(g, "worktree", "?"),
			       or(g, "branch", "(detached)"),
			       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "dirty")) ? "dirty" : "clean",
			       (long)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "unpushed")));
	}

	long n = gt_json_long(p, "unread_count", 0);
	printf("\n## Unread mail (%ld)\n\n", n);
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(p, "unread"))
		printf("- %s %s from %s: %s\n", or(m, "id", "?"), or(m, "sent_at", "?"),
		       or(m, "from", "?"), or(m, "subject", ""));
	long shown = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "unread"));
	if (n > shown)
		printf("- ... and %ld more: gt mail inbox --unread\n", n - shown);
	if (n)
		printf("\nRead them with 'gt mail read <id>'.\n");
	else
		printf("None.\n");
}

int main(int argc, const char **argv)
{
	const char *role = NULL;
	int json = 0, r;
	cJSON *p = NULL;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "role", &role, "role", "use this role's instructions"),
		GT_OPT_BOOL(0, "json", &json, "one JSON object with everything"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc)
		gt_usage_error(usage, opts, "prime takes no arguments (it primes the acting identity, GT_ACTOR)");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_prime_build(&p, repo, role, MAX_MAIL)) < 0)
		gt_die_code(r);
	if (json) {
		char *text = gt_json_print(p);
		puts(text);
		free(text);
	} else {
		print_text(p);
	}
	cJSON_Delete(p);
	gt_repo_free(repo);
	return 0;
}
