/* gt merge: merge the ledger and notes that a fetch brought. */
#include "error.h"
#include "parse-options.h"
#include "refs.h"
#include "remote.h"
#include "repo.h"
#include "strbuf.h"
#include "sync.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt merge [<options>] [<remote>...]",
	NULL
};

int main(int argc, const char **argv)
{
	int quiet = 0, verbose = 0, worst = 0, r;
	gt_sync_printer printer = { 0, 0, 0 };
	gt_merge_opts mopts = { gt_sync_print_event, NULL, &printer, NULL };
	gt_strlist remotes = GT_STRLIST_INIT;
	gt_repo *repo;
	struct gt_option options[] = {
		GT_OPT_BOOL('q', "quiet", &quiet, "print only renames and errors"),
		GT_OPT_BOOL('v', "verbose", &verbose, "print every ref that changed"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	printer.verbose = verbose;
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (argc) {
		for (int i = 0; i < argc; i++)
			gt_strlist_push(&remotes, argv[i]);
	} else if ((r = gt_remote_list(&remotes, repo)) < 0) {
		gt_die_code(r);
	}
	for (size_t i = 0; i < remotes.nr; i++) {
		gt_merge_stats stats;
		r = gt_sync_merge_remote(&stats, repo, remotes.items[i], &mopts);
		if (r < 0) {
			gt_err("%s: %s", remotes.items[i], gt_error_last());
			if (gt_exit_code_for(r) > worst)
				worst = gt_exit_code_for(r);
			continue;
		}
		if (!quiet) {
			gt_strbuf what = GT_STRBUF_INIT;
			gt_strbuf_addf(&what, "merge %s", remotes.items[i]);
			gt_sync_print_summary(what.buf, &stats);
			gt_strbuf_release(&what);
		}
	}
	if (!remotes.nr && (r = gt_merge_ledger(NULL, repo, NULL, NULL)) < 0) {
		gt_err("%s", gt_error_last());
		worst = gt_exit_code_for(r);
	}
	gt_strlist_clear(&remotes);
	gt_repo_free(repo);
	return worst;
}
