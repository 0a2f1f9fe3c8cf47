/* gt import: import beads JSONL. */
#include "error.h"
#include "import.h"
#include "parse-options.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"gt import [<options>] <file>",
	"gt import [<options>] -",
	NULL
};

struct ctx {
	int progress;           /* show progress */
	int ids;                /* print ids */
	struct timespec last;   /* the last progress shown */
};

static void show_progress(size_t done, size_t total, void *payload)
{
	struct ctx *p = payload;
	struct timespec now;
	if (!p->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* at most ten updates a second, and always the last */
	if (done != total && now.tv_sec == p->last.tv_sec &&
	    now.tv_nsec - p->last.tv_nsec < 100000000L)
		return;
	p->last = now;
	fprintf(stderr, "\rimporting: %zu/%zu beads", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static void print_id(const char *id, gt_import_status status, void *payload)
{
	struct ctx *c = payload;
	if (c->ids && status != GT_IMPORT_UNCHANGED)
		printf("%s\n", id);
}

int main(int argc, const char **argv)
{
	int quiet = 0, ids = 0, create_only = 0, progress = -1;
	gt_import_opts opts = GT_IMPORT_OPTS_INIT;
	gt_import_stats stats;
	struct ctx ctx = { 0, 0, { 0, 0 } };
	gt_repo *repo;
	int r;
	struct gt_option options[] = {
		GT_OPT_BOOL('q', "quiet", &quiet, "print no summary and no progress"),
		GT_OPT_BOOL(0, "ids", &ids, "print the id of every bead created or changed"),
		GT_OPT_BOOL(0, "create-only", &create_only,
			    "refuse to import (nothing is written) if any id exists"),
		GT_OPT_BOOL(0, "progress", &progress,
			    "show progress (default: when standard error is a terminal)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc != 1)
		gt_usage_error(usage, options, argc ? "too many arguments" :
			       "which file? (give '-' for standard input)");
	if (progress < 0)
		progress = !quiet && isatty(2);
	ctx.progress = progress;
	ctx.ids = ids;
	opts.create_only = create_only;
	opts.progress = show_progress;
	opts.each = print_id;
	opts.payload = &ctx;

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	r = gt_import_file(&stats, repo, argv[0], &opts);
	gt_repo_free(repo);
	if (r < 0) {
		if (ctx.progress && ctx.last.tv_sec)
			fputc('\n', stderr);
		gt_die_code(r);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		gt_die("cannot write to standard output");
	if (!quiet)
		fprintf(stderr, "imported %zu bead%s (%zu new, %zu updated, %zu unchanged)\n",
			stats.total, stats.total == 1 ? "" : "s", stats.created,
			stats.updated, stats.unchanged);
	return 0;
}
