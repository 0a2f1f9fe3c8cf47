/* gt unsling: take the work off an actor's hook. */
#include "error.h"
#include "parse-options.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt unsling [<actor>]",
	NULL
};

int main(int argc, const char **argv)
{
	char *bead = NULL;
	gt_repo *repo;
	int r;
	struct gt_option opts[] = {
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	const char *actor = gt_open_for_actor(&repo, argc, argv, usage, opts);
	if ((r = gt_work_unsling(&bead, repo, actor)) < 0)
		gt_die_code(r);
	printf("unslung %s from %s\n", bead, actor);
	free(bead);
	gt_repo_free(repo);
	return 0;
}
