/* gt close: close beads. */
#include "bead.h"
#include "convoy.h"
#include "error.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>

static const char *const usage[] = {
	"gt close [--reason <text>] <id>...",
	NULL
};

int main(int argc, const char **argv)
{
	const char *reason = NULL;
	int worst = 0, r;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_STRING('r', "reason", &reason, "text", "why it is closed"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which bead? give at least one id");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	for (int i = 0; i < argc; i++) {
		if ((r = gt_bead_close(repo, argv[i], reason)) < 0) {
			gt_err("%s", gt_error_last());
			if (gt_exit_code_for(r) > worst)
				worst = gt_exit_code_for(r);
			continue;
		}
		printf("closed %s\n", argv[i]);
		/* the convoys this close completes close too */
		gt_strlist convoys = GT_STRLIST_INIT;
		r = gt_convoy_after_close(repo, argv[i], &convoys);
		for (size_t j = 0; j < convoys.nr; j++)
			printf("closed convoy %s\n", convoys.items[j]);
		gt_strlist_clear(&convoys);
		if (r < 0) {
			gt_err("%s", gt_error_last());
			if (gt_exit_code_for(r) > worst)
				worst = gt_exit_code_for(r);
		}
	}
	gt_repo_free(repo);
	return worst;
}
