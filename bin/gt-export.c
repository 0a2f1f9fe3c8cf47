/* gt export: write beads as beads JSONL. */
#include "error.h"
#include "export.h"
#include "parse-options.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt export [--all] [-o <file>] [<id>...]",
	NULL
};

static int print_line(const char *json, size_t len, void *payload)
{
	(void)payload;
	if (fwrite(json, 1, len, stdout) != len || putchar('\n') == EOF)
		return GT_ERROR;
	return 0;
}

int main(int argc, const char **argv)
{
	const char *output = NULL;
	int all = 0;
	gt_export_opts opts = GT_EXPORT_OPTS_INIT;
	gt_repo *repo;
	int r;
	struct gt_option options[] = {
		GT_OPT_BOOL(0, "all", &all, "include deleted beads"),
		GT_OPT_STRING('o', "output", &output, "file",
			      "write to <file> (atomically) instead of standard output"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (output && !*output)
		gt_usage_error(usage, options, "-o needs a file name");
	opts.all = all;
	if (argc) {
		opts.ids = argv;
		opts.nr_ids = (size_t)argc;
	}

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (output)
		r = gt_export_to_file(NULL, repo, &opts, output);
	else
		r = gt_export(NULL, repo, &opts, print_line, NULL);
	gt_repo_free(repo);
	if (r == GT_ERROR && !output && ferror(stdout))
		gt_die("cannot write to standard output");
	if (r < 0)
		gt_die_code(r);
	if (fflush(stdout) != 0 || ferror(stdout))
		gt_die("cannot write to standard output");
	return 0;
}
