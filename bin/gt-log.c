/* gt log: the event feed, every operation on every entity, newest first. */
#include "actor.h"
#include "entity.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "parse-options.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt log [--since=<time>] [--actor=<actor>] [--id=<id>...] [--limit=<n>] [--json] [-z]",
	NULL
};

struct print_ctx {
	int json;
	char term;
};

static int print_event(const gt_log_event *ev, void *payload)
{
	struct print_ctx *p = payload;
	if (p->json) {
		cJSON *o = gt_log_event_json(ev);
		char *text = gt_json_print(o);
		cJSON_Delete(o);
		if (!text)
			return gt_error_last_code() ? gt_error_last_code() : GT_ERROR;
		fputs(text, stdout);
		free(text);
	} else {
		char time[40];
		gt_format_time(time, sizeof(time), ev->time_ms);
		/* an actor's hook, mailbox or agent record: its address */
		char *name = gt_actor_id_display(ev->id);
		printf("%s %s %s %s", time, ev->actor, ev->op_type, name);
		free(name);
		if (*ev->summary)
			printf(" %s", ev->summary);
	}
	putchar(p->term);
	return 0;
}

static void print_warning(const char *refname, const char *message, void *payload)
{
	(void)payload;
	gt_warn("%s: %s", refname, message);
}

int main(int argc, const char **argv)
{
	const char *since = NULL, *actor = NULL;
	gt_strlist ids = GT_STRLIST_INIT;
	long limit = 0;
	int json = 0, nul = 0, r;
	gt_log_options opts = GT_LOG_OPTIONS_INIT;
	struct print_ctx pc;
	gt_repo *repo;
	struct gt_option options[] = {
		GT_OPT_STRING(0, "since", &since, "time", "only events at or after <time> (RFC 3339, YYYY-MM-DD or epoch seconds)"),
		GT_OPT_STRING(0, "actor", &actor, "actor", "only events by <actor>"),
		GT_OPT_LIST(0, "id", &ids, "id", "only events of the entity <id> (repeatable)"),
		GT_OPT_INT('n', "limit", &limit, "n", "show at most <n> events"),
		GT_OPT_BOOL(0, "json", &json, "one JSON object per event"),
		GT_OPT_BOOL('z', NULL, &nul, "terminate records with NUL instead of newline"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc)
		gt_usage_error(usage, options, "unexpected argument '%s'", argv[0]);
	if (limit < 0)
		gt_usage_error(usage, options, "--limit must be a positive number, not %ld", limit);
	if (since && (opts.since_ms = gt_parse_time(since)) < 0)
		gt_usage_error(usage, options,
			       "invalid time '%s' for --since (RFC 3339, YYYY-MM-DD or epoch seconds)",
			       since);
	if (actor && !*actor)
		gt_usage_error(usage, options, "--actor needs a name");
	for (size_t i = 0; i < ids.nr; i++)
		if (!gt_entity_id_valid(ids.items[i]))
			gt_die_code(gt_error_set(GT_EINVALID, "invalid entity id '%s'",
						 ids.items[i]));

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	opts.actor = actor;
	opts.ids = &ids;
	opts.limit = (size_t)limit;
	opts.want_op = json;
	pc.json = json;
	pc.term = nul ? '\0' : '\n';
	r = gt_log_walk(repo, &opts, print_event, print_warning, &pc);
	gt_repo_free(repo);
	gt_strlist_clear(&ids);
	if (r < 0)
		gt_die_code(r);
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the output");
	return 0;
}
