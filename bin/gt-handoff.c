/* gt handoff: leave a machine-readable record for the next session, mailed and hooked. */
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt handoff [<actor>] -s <subject> (-m <message> | -F <file>) [--state <text>]",
	"           [--done <item>]... [--blocker <item>]... [--next <item>]... [--json]",
	NULL
};

int main(int argc, const char **argv)
{
	const char *subject = NULL, *message = NULL, *file = NULL, *state = NULL;
	gt_strlist done = GT_STRLIST_INIT, blockers = GT_STRLIST_INIT, next = GT_STRLIST_INIT;
	gt_strbuf text = GT_STRBUF_INIT;
	cJSON *record = NULL;
	gt_repo *repo;
	int json = 0, r;
	struct gt_option opts[] = {
		GT_OPT_STRING('s', "subject", &subject, "subject", "one line: what this handoff is about"),
		GT_OPT_STRING('m', "message", &message, "message", "what was done and what matters, in prose"),
		GT_OPT_STRING('F', "file", &file, "file", "take the message from a file (- for stdin)"),
		GT_OPT_STRING(0, "state", &state, "text", "the current state of the work"),
		GT_OPT_LIST(0, "done", &done, "item", "a thing done (repeat)"),
		GT_OPT_LIST(0, "blocker", &blockers, "item", "a blocker (repeat)"),
		GT_OPT_LIST(0, "next", &next, "item", "a next step (repeat)"),
		GT_OPT_BOOL(0, "json", &json, "print the record as JSON"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc > 1)
		gt_usage_error(usage, opts, "give at most one actor address");
	if (!subject || (!message && !file))
		gt_usage_error(usage, opts, "a handoff needs -s <subject> and -m <message> or -F <file>");
	if (message && file)
		gt_usage_error(usage, opts, "-m and -F cannot be used together");
	if (file) {
		if (gt_strbuf_read_text_arg(&text, file) < 0)
			gt_die("cannot read %s", file);
		message = text.buf;
	}
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	struct gt_handoff h = { argc ? argv[0] : NULL, subject, message, state, &done,
				&blockers, &next };
	if ((r = gt_work_handoff(&record, repo, &h)) < 0)
		gt_die_code(r);
	if (json) {
		char *out = gt_json_print(record);
		puts(out);
		free(out);
	} else {
		printf("handed off to %s", gt_json_str(record, "to"));
		if (gt_json_str(record, "bead"))
			printf(" with %s", gt_json_str(record, "bead"));
		putchar('\n');
	}
	cJSON_Delete(record);
	gt_strlist_clear(&done);
	gt_strlist_clear(&blockers);
	gt_strlist_clear(&next);
	gt_strbuf_release(&text);
	gt_repo_free(repo);
	return 0;
}
