/* gt remote-setup: make a remote carry the ledger and the notes. */
#include "error.h"
#include "parse-options.h"
#include "remote.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>
#include <string.h>

static const char *const usage[] = {
	"gt remote-setup [<options>] <remote>...",
	"gt remote-setup [<options>] --all",
	NULL
};

int main(int argc, const char **argv)
{
	int all = 0, quiet = 0, worst = 0, r;
	gt_strlist remotes = GT_STRLIST_INIT, known = GT_STRLIST_INIT;
	gt_repo *repo;
	struct gt_option options[] = {
		GT_OPT_BOOL(0, "all", &all, "set up every remote"),
		GT_OPT_BOOL('q', "quiet", &quiet, "print nothing"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (!all && !argc)
		gt_usage_error(usage, options, "which remote? name one, or give --all");
	if (all && argc)
		gt_usage_error(usage, options, "give remotes or --all, not both");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_remote_list(&known, repo)) < 0)
		gt_die_code(r);
	if (all)
		for (size_t i = 0; i < known.nr; i++)
			gt_strlist_push(&remotes, known.items[i]);
	for (int i = 0; i < argc; i++)
		gt_strlist_push(&remotes, argv[i]);
	for (size_t i = 0; i < remotes.nr; i++) {
		int added = 0, exists = 0;
		for (size_t j = 0; j < known.nr; j++)
			exists |= !strcmp(known.items[j], remotes.items[i]);
		if (!exists) {
			gt_err("no such remote: %s (add it with 'git remote add %s <url>')",
			       remotes.items[i], remotes.items[i]);
			worst = worst > 2 ? worst : 2;
			continue;
		}
		if ((r = gt_remote_add_ledger_refspecs(&added, repo, remotes.items[i])) < 0) {
			gt_err("%s", gt_error_last());
			worst = gt_exit_code_for(r) > worst ? gt_exit_code_for(r) : worst;
			continue;
		}
		if (!quiet)
			printf(added ? "remote %s: now carries the ledger and notes\n"
				     : "remote %s: already carries the ledger and notes\n",
			       remotes.items[i]);
	}
	gt_strlist_clear(&remotes);
	gt_strlist_clear(&known);
	gt_repo_free(repo);
	return worst;
}
