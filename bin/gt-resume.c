/* gt resume: the handoff and the hooked work a fresh session starts from. */
#include "bead.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt resume [--json] [<actor>]",
	NULL
};

static const char *or(const cJSON *o, const char *key, const char *def)
{
	const char *s = gt_json_str(o, key);
	return s ? s : def;
}

static void print_indented(const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		printf("    %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void print_list(const cJSON *h, const char *key, const char *title)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(h, key), *e;
	if (!cJSON_GetArraySize(l))
		return;
	printf("%s:\n", title);
	cJSON_ArrayForEach(e, l)
		if (cJSON_IsString(e))
			printf("  - %s\n", e->valuestring);
}

static void print_handoff(const cJSON *h)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(h, "git"), *u;
	printf("Handoff from %s at %s: %s\n", or(h, "from", "?"), or(h, "created_at", "?"),
	       or(h, "subject", ""));
	print_indented(gt_json_str(h, "message"));
	if (gt_json_str(h, "state"))
		printf("State: %s\n", gt_json_str(h, "state"));
	print_list(h, "done", "Done");
	print_list(h, "blockers", "Blockers");
	print_list(h, "next", "Next");
	if (gt_json_str(h, "session"))
		printf("Session: %s\n", gt_json_str(h, "session"));
	if (!cJSON_IsObject(g))
		return;
	printf("Worktree: %s\n", or(g, "worktree", "?"));
	printf("  branch %s, head %.12s, %s (%ld changed, %ld untracked)\n",
	       or(g, "branch", "(detached)"), or(g, "head", "(none)"),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "dirty")) ? "dirty" : "clean",
	       gt_json_long(g, "changed", 0), gt_json_long(g, "untracked", 0));
	if (gt_json_str(g, "upstream"))
		printf("  upstream %s: %ld ahead, %ld behind\n", gt_json_str(g, "upstream"),
		       gt_json_long(g, "ahead", 0), gt_json_long(g, "behind", 0));
	else
		printf("  no upstream\n");
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(g, "unpushed"))
		printf("  unpushed %.12s %s\n", or(u, "id", "?"), or(u, "subject", ""));
}

int main(int argc, const char **argv)
{
	int json = 0, empty = 1, r;
	cJSON *view = NULL, *bead = NULL;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "one JSON object: actor, hook, bead, handoff"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	const char *actor = gt_open_for_actor(&repo, argc, argv, usage, opts);
	if ((r = gt_work_hook_view(&view, &empty, repo, actor)) < 0)
		gt_die_code(r);
	const char *id = gt_json_str(view, "bead");
	if (id && gt_bead_read(&bead, repo, id) < 0)
		bead = NULL;
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(view, "handoff");
	int nothing = empty && !cJSON_IsObject(h);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "actor", actor);
		cJSON_AddItemToObject(o, "hook", cJSON_Duplicate(view, 1));
		cJSON_AddItemToObject(o, "bead", bead ? cJSON_Duplicate(bead, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "handoff", cJSON_IsObject(h) ? cJSON_Duplicate(h, 1)
								 : cJSON_CreateNull());
		char *text = gt_json_print(o);
		puts(text);
		free(text);
		cJSON_Delete(o);
	} else if (nothing) {
		printf("%s: nothing to resume (no work hooked, no handoff)\n", actor);
	} else {
		if (id) {
			printf("Hooked: %s [%s] %s\n", id, or(bead, "status", "not in the ledger"),
			       or(bead, "title", ""));
			printf("  slung by %s at %s\n", or(view, "slung_by", "?"), or(view, "slung_at", "?"));
			print_indented(gt_json_str(bead, "description"));
		} else {
			printf("Hooked: nothing\n");
		}
		if (cJSON_IsObject(h)) {
			putchar('\n');
			print_handoff(h);
		}
	}
	cJSON_Delete(view);
	cJSON_Delete(bead);
	gt_repo_free(repo);
	return nothing ? GT_EXIT_NO : 0;
}
