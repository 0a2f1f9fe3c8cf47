/* gt sync: fetch, merge and push the ledger and the notes. */
#include "error.h"
#include "parse-options.h"
#include "repo.h"
#include "strbuf.h"
#include "sync.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const usage[] = {
	"gt sync [<options>] [<remote>]",
	NULL
};

int main(int argc, const char **argv)
{
	int quiet = 0, verbose = 0, no_push = 0, progress = -1;
	gt_sync_printer printer = { 0, 0, 0 };
	gt_sync_opts opts = { { gt_sync_print_event, gt_sync_print_progress, &printer, NULL },
			      0, 1, 0 };
	gt_sync_stats stats;
	char *remote = NULL;
	gt_repo *repo;
	int r;
	struct gt_option options[] = {
		GT_OPT_BOOL('q', "quiet", &quiet, "print only renames and errors"),
		GT_OPT_BOOL('v', "verbose", &verbose, "print every ref that changed"),
		GT_OPT_BOOL(0, "no-push", &no_push, "fetch and merge, do not push"),
		GT_OPT_BOOL(0, "progress", &progress,
			    "show progress (default: when standard error is a terminal)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc > 1)
		gt_usage_error(usage, options, "sync with one remote at a time");
	if (progress < 0)
		progress = !quiet && isatty(2);
	printer.verbose = verbose;
	printer.progress = progress;
	opts.quiet = quiet || !progress;
	opts.push = !no_push;
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (argc == 1)
		remote = gt_xstrdup(argv[0]);
	else if ((r = gt_sync_default_remote(&remote, repo)) < 0)
		gt_die_code(r);
	r = gt_sync(&stats, repo, remote, &opts);
	if (r < 0) {
		gt_err("%s", gt_error_last());
	} else if (!quiet) {
		gt_strbuf what = GT_STRBUF_INIT;
		gt_strbuf_addf(&what, "sync %s", remote);
		gt_sync_print_summary(what.buf, &stats.merge);
		if (stats.pushed)
			printf("pushed to %s\n", remote);
		gt_strbuf_release(&what);
	}
	free(remote);
	gt_repo_free(repo);
	return r < 0 ? gt_exit_code_for(r) : 0;
}
