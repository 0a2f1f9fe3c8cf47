/* gt convoy: groups of beads tracked together toward one goal. */
#include "convoy.h"
#include "error.h"
#include "format.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt convoy create [--id <id>] <name> [<bead>...]",
	"gt convoy add <convoy> <bead>...",
	"gt convoy remove <convoy> <bead>...",
	"gt convoy list [--all] [--json | --format=<fmt>] [-z]",
	"gt convoy status [--json] [--stuck-after <seconds>] <convoy>",
	"gt convoy close [--reason <text>] <convoy>...",
	"gt convoy reopen <convoy>...",
	"gt convoy check",
	NULL
};

/* A string member, "-" when it is missing (a damaged or newer snapshot). */
static const char *str(const cJSON *o, const char *key)
{
	const char *s = gt_json_str(o, key);
	return s ? s : "-";
}

static void print_status(const cJSON *st)
{
	const cJSON *m, *b;
	const char *reason = gt_json_str(st, "close_reason");

	printf("%s: %s (%s)\n", str(st, "id"), str(st, "title"), str(st, "status"));
	printf("progress: %ld/%ld closed%s\n", gt_json_long(st, "done", 0),
	       gt_json_long(st, "total", 0),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "complete")) &&
	       strcmp(str(st, "status"), "closed") ? " (complete)" : "");
	if (reason)
		printf("closed: %s\n", reason);
	fputs("by status:", stdout);
	m = cJSON_GetObjectItemCaseSensitive(st, "counts");
	for (const cJSON *c = m ? m->child : NULL; c; c = c->next)
		printf(" %s %d", c->string, (int)c->valuedouble);
	putchar('\n');
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(st, "beads")) {
		const char *title = gt_json_str(b, "title"), *who = gt_json_str(b, "assignee");
		const char *stuck = gt_json_str(b, "stuck");
		printf("  %-12s %-11s %s%s%s%s%s\n", str(b, "id"), str(b, "status"),
		       title ? title : "", who ? " @" : "", who ? who : "",
		       stuck ? "  STUCK: " : "", stuck ? stuck : "");
	}
}

int main(int argc, const char **argv)
{
	const char *id = NULL, *reason = NULL, *format = NULL, *sub;
	long stuck_after = -1;
	int json = 0, all = 0, nul = 0, worst = 0, r = 0;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "id", &id, "id", "create: the id to give the convoy"),
		GT_OPT_STRING('r', "reason", &reason, "text", "close: why it is closed"),
		GT_OPT_BOOL(0, "all", &all, "list: closed convoys too"),
		GT_OPT_BOOL(0, "json", &json, "list, status: print JSON"),
		GT_OPT_STRING(0, "format", &format, "format", "list: print each convoy with this format"),
		GT_OPT_BOOL('z', NULL, &nul, "list: end records with NUL instead of newline"),
		GT_OPT_INT(0, "stuck-after", &stuck_after, "seconds",
			   "status: hooked or in_progress beads idle this long are stuck"),
		GT_OPT_END(),
	};
	gt_format_output out = GT_FORMAT_OUTPUT_INIT;
	gt_strlist beads = GT_STRLIST_INIT, closed = GT_STRLIST_INIT;
	gt_repo *repo;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which subcommand? create, add, remove, list, "
			       "status, close, reopen or check");
	sub = argv[0];
	if (!strcmp(sub, "rm"))
		sub = "remove";
	if (strcmp(sub, "create") && strcmp(sub, "add") && strcmp(sub, "remove") &&
	    strcmp(sub, "list") && strcmp(sub, "status") && strcmp(sub, "close") &&
	    strcmp(sub, "reopen") && strcmp(sub, "check"))
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	if (id && strcmp(sub, "create"))
		gt_usage_error(usage, opts, "--id goes with create");
	if (reason && strcmp(sub, "close"))
		gt_usage_error(usage, opts, "--reason goes with close");
	if ((all || format || nul) && strcmp(sub, "list"))
		gt_usage_error(usage, opts, "--all, --format and -z go with list");
	if (json && strcmp(sub, "list") && strcmp(sub, "status"))
		gt_usage_error(usage, opts, "--json goes with list and status");
	if (stuck_after != -1 && strcmp(sub, "status"))
		gt_usage_error(usage, opts, "--stuck-after goes with status");
	if (stuck_after < -1)
		gt_usage_error(usage, opts, "--stuck-after must not be negative");
	if (!strcmp(sub, "create") && argc < 2)
		gt_usage_error(usage, opts, "create needs a <name>");
	if ((!strcmp(sub, "add") || !strcmp(sub, "remove")) && argc < 3)
		gt_usage_error(usage, opts, "%s needs <convoy> and at least one <bead>", sub);
	if (!strcmp(sub, "status") && argc != 2)
		gt_usage_error(usage, opts, "status needs one <convoy>");
	if ((!strcmp(sub, "close") || !strcmp(sub, "reopen")) && argc < 2)
		gt_usage_error(usage, opts, "%s needs at least one <convoy>", sub);
	if ((!strcmp(sub, "list") || !strcmp(sub, "check")) && argc > 1)
		gt_usage_error(usage, opts, "unexpected argument '%s'", argv[1]);
	if (!strcmp(sub, "list") && gt_format_output_init(&out, json, format, nul) < 0)
		gt_usage_error(usage, opts, "%s", gt_error_last());
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);

	for (int i = 2; i < argc; i++)
		gt_strlist_push(&beads, argv[i]);

	if (!strcmp(sub, "create")) {
		char *new_id = NULL;
		if ((r = gt_convoy_create(&new_id, repo, argv[1], id, &beads)) == 0)
			printf("%s\n", new_id);
		free(new_id);
	} else if (!strcmp(sub, "add")) {
		r = gt_convoy_add(NULL, repo, argv[1], &beads);
	} else if (!strcmp(sub, "remove")) {
		r = gt_convoy_remove(repo, argv[1], &beads);
	} else if (!strcmp(sub, "list")) {
		cJSON *list = NULL;
		const cJSON *c;
		gt_strbuf line = GT_STRBUF_INIT;
		if ((r = gt_convoy_list(&list, repo, all)) == 0) {
			cJSON_ArrayForEach(c, list) {
				gt_strbuf_reset(&line);
				if (out.mode == GT_FORMAT_PORCELAIN) {
					gt_strbuf_addf(&line, "%s %s %ld/%ld %s%c", str(c, "id"),
						       str(c, "status"), gt_json_long(c, "done", 0),
						       gt_json_long(c, "total", 0), str(c, "title"),
						       out.terminator);
				} else {
					gt_format_item item = { NULL, c, NULL, 0 };
					gt_format_output_item(&line, &out, &item);
				}
				fwrite(line.buf, 1, line.len, stdout);
			}
		}
		gt_strbuf_release(&line);
		cJSON_Delete(list);
	} else if (!strcmp(sub, "status")) {
		cJSON *st = NULL;
		if ((r = gt_convoy_status(&st, repo, argv[1], stuck_after)) == 0) {
			if (json) {
				char *text = gt_json_print(st);
				printf("%s\n", text);
				free(text);
			} else {
				print_status(st);
			}
		}
		cJSON_Delete(st);
	} else if (!strcmp(sub, "check")) {
		if ((r = gt_convoy_check(repo, &closed)) == 0)
			for (size_t i = 0; i < closed.nr; i++)
				printf("closed %s\n", closed.items[i]);
	} else {
		/* close, reopen: go on past a convoy that fails */
		for (int i = 1; i < argc; i++) {
			int one = !strcmp(sub, "close") ? gt_convoy_close(repo, argv[i], reason)
							: gt_convoy_reopen(repo, argv[i]);
			if (one < 0) {
				gt_err("%s", gt_error_last());
				if (gt_exit_code_for(one) > worst)
					worst = gt_exit_code_for(one);
				continue;
			}
			printf("%s %s\n", !strcmp(sub, "close") ? "closed" : "reopened", argv[i]);
		}
	}
	if (r < 0)
		gt_die_code(r);
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the output: %s", strerror(errno));
	gt_strlist_clear(&beads);
	gt_strlist_clear(&closed);
	gt_format_output_release(&out);
	gt_repo_free(repo);
	return worst;
}
