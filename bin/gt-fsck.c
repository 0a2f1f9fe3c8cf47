/* gt fsck: check the ledger for damage, listing every problem found. */
#include "error.h"
#include "fsck.h"
#include "parse-options.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>

static const char *const usage[] = {
	"gt fsck [--repair] [-q]",
	NULL
};

static int print_report(gt_fsck_severity sev, const char *where, const char *message,
			void *payload)
{
	int quiet = *(int *)payload;
	if (quiet)
		return 0;
	switch (sev) {
	case GT_FSCK_PROBLEM:
		printf("%s: %s\n", where, message);
		break;
	case GT_FSCK_WARNING:
		fflush(stdout);
		fprintf(stderr, "warning: %s: %s\n", where, message);
		break;
	case GT_FSCK_REPAIRED:
		fflush(stdout);
		fprintf(stderr, "repaired: %s: %s\n", where, message);
		break;
	}
	return 0;
}

int main(int argc, const char **argv)
{
	gt_fsck_options opts = GT_FSCK_OPTIONS_INIT;
	gt_fsck_stats stats;
	int quiet = 0, r;
	gt_repo *repo;
	struct gt_option options[] = {
		GT_OPT_BOOL(0, "repair", &opts.repair,
			    "roll forward journals of dead writers and remove stale lock files"),
		GT_OPT_BOOL('q', "quiet", &quiet, "print nothing; the exit code tells"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc)
		gt_usage_error(usage, options, "unexpected argument '%s'", argv[0]);
	if ((r = gt_repo_open(&repo, NULL)) < 0) {
		if (r != GT_ECORRUPT && r != GT_EINVALID)
			gt_die_code(r);
		/* damaged configuration (the shared config ref): a problem,
		 * and nothing else can be checked until it is repaired */
		if (!quiet) {
			printf("%s\n", gt_error_last());
			fflush(stdout);
			gt_err("cannot check the rest of the ledger until this is repaired");
		}
		return GT_EXIT_NO;
	}
	r = gt_fsck_run(&stats, repo, &opts, print_report, &quiet);
	gt_repo_free(repo);
	if (r < 0)
		gt_die_code(r);
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the output");
	if (!quiet)
		fprintf(stderr, "%zu problem%s, %zu warning%s in %zu ref%s (%zu commit%s)\n",
			stats.problems, stats.problems == 1 ? "" : "s",
			stats.warnings, stats.warnings == 1 ? "" : "s",
			stats.refs, stats.refs == 1 ? "" : "s",
			stats.commits, stats.commits == 1 ? "" : "s");
	return stats.problems ? GT_EXIT_NO : 0;
}
