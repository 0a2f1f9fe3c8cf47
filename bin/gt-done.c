/* gt done: finish the work on your hook. */
#include "convoy.h"
#include "error.h"
#include "parse-options.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt done [--status completed|escalated|deferred] [--reason <text>]",
	NULL
};

int main(int argc, const char **argv)
{
	const char *status = "completed", *reason = NULL;
	char *bead = NULL, *convoy = NULL;
	gt_repo *repo;
	int r, st;
	struct gt_option opts[] = {
		GT_OPT_STRING(0, "status", &status, "status", "completed (the default: closes the bead), escalated or deferred"),
		GT_OPT_STRING(0, "reason", &reason, "text", "why: the close reason, or the comment on the bead"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc)
		gt_usage_error(usage, opts, "done takes no arguments (it finishes your own hook)");
	if ((st = gt_work_done_status_parse(status)) < 0)
		gt_usage_error(usage, opts, "unknown status '%s': use completed, escalated or deferred",
			       status);
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_work_done(&bead, &convoy, repo, (enum gt_done_status)st, reason)) < 0)
		gt_die_code(r);
	printf("%s: %s\n", bead, status);
	if (st == GT_DONE_COMPLETED) {
		/* the convoys this completes close too, as with gt close */
		gt_strlist closed = GT_STRLIST_INIT;
		r = gt_convoy_after_close(repo, bead, &closed);
		for (size_t i = 0; i < closed.nr; i++)
			printf("closed convoy %s\n", closed.items[i]);
		gt_strlist_clear(&closed);
		if (r < 0)
			gt_die_code(r);
	}
	free(bead);
	free(convoy);
	gt_repo_free(repo);
	return 0;
}
