/* gt dep: add, remove, list and show the tree of dependencies. */
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
	"gt dep add [--type <type>] <id> <depends-on>",
	"gt dep rm [--type <type>] <id> <depends-on>",
	"gt dep list [--json] <id>",
	"gt dep tree [--max-depth <n>] <id>",
	NULL
};

static void print_tree(gt_repo *repo, const char *id, const char *edge, int depth,
		       long max_depth, gt_strlist *path)
{
	cJSON *b = NULL;
	const cJSON *d;
	int r;

	for (int i = 0; i < depth; i++)
		fputs("    ", stdout);
	if (edge)
		printf("%s ", edge);
	if ((r = gt_bead_read(&b, repo, id)) < 0) {
		printf("%s (%s)\n", id, r == GT_ENOTFOUND ? "not in the ledger" : "unreadable");
		return;
	}
	printf("%s [%s] %s", id, gt_json_str(b, "status") ? gt_json_str(b, "status") : "?",
	       gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
	for (size_t i = 0; i < path->nr; i++)
		if (!strcmp(path->items[i], id)) {
			printf(" (cycle)\n");
			cJSON_Delete(b);
			return;
		}
	putchar('\n');
	if (max_depth >= 0 && depth >= max_depth) {
		cJSON_Delete(b);
		return;
	}
	gt_strlist_push(path, id);
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
		const char *t = gt_json_str(d, "depends_on_id");
		if (t)
			print_tree(repo, t, gt_json_str(d, "type"), depth + 1, max_depth, path);
	}
	free(path->items[--path->nr]);
	cJSON_Delete(b);
}

int main(int argc, const char **argv)
{
	const char *type = NULL;
	long max_depth = -1;
	int json = 0, r;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_STRING('t', "type", &type, "type",
			      "dependency type (blocks, parent-child, related, ...; add: default blocks)"),
		GT_OPT_BOOL(0, "json", &json, "list: one JSON object per dependency"),
		GT_OPT_INT(0, "max-depth", &max_depth, "n", "tree: stop at this depth"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which subcommand? add, rm, list or tree");
	const char *sub = argv[0];
	int two = !strcmp(sub, "add") || !strcmp(sub, "rm") || !strcmp(sub, "remove");
	int one = !strcmp(sub, "list") || !strcmp(sub, "tree");
	if (!one && !two)
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	if (argc != (two ? 3 : 2))
		gt_usage_error(usage, opts, two ? "%s needs <id> and <depends-on>" : "%s needs one <id>", sub);
	if (json && strcmp(sub, "list"))
		gt_usage_error(usage, opts, "--json goes with list");
	if (max_depth != -1 && strcmp(sub, "tree"))
		gt_usage_error(usage, opts, "--max-depth goes with tree");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);

	if (!strcmp(sub, "add")) {
		r = gt_bead_dep_add(repo, argv[1], argv[2], type ? type : "blocks");
	} else if (two) {
		r = gt_bead_dep_remove(repo, argv[1], argv[2], type);
	} else if (!strcmp(sub, "list")) {
		cJSON *b;
		const cJSON *d;
		if ((r = gt_bead_read(&b, repo, argv[1])) == 0) {
			cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
				if (type && strcmp(type, gt_json_str(d, "type") ? gt_json_str(d, "type") : ""))
					continue;
				if (json) {
					char *text = gt_json_print(d);
					printf("%s\n", text);
					free(text);
				} else {
					printf("%s %s\n", gt_json_str(d, "type"), gt_json_str(d, "depends_on_id"));
				}
			}
			cJSON_Delete(b);
		}
	} else {
		cJSON *b;
		if ((r = gt_bead_read(&b, repo, argv[1])) == 0) {
			gt_strlist path = GT_STRLIST_INIT;
			cJSON_Delete(b);
			print_tree(repo, argv[1], NULL, 0, max_depth, &path);
			gt_strlist_clear(&path);
		}
	}
	if (r < 0)
		gt_die_code(r);
	gt_repo_free(repo);
	return 0;
}
