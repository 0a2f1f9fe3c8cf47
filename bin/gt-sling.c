/* gt sling: put a bead on an actor's hook, with the bead and a mail, at once. */
#include "error.h"
#include "parse-options.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt sling [--force] [-m <message>] <bead> <actor>",
	NULL
};

int main(int argc, const char **argv)
{
	int force = 0, r;
	const char *message = NULL;
	char *mail = NULL;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_BOOL('f', "force", &force, "move a bead hooked elsewhere; replace what the hook holds"),
		GT_OPT_STRING('m', "message", &message, "text", "more words for the mail to the actor"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc != 2)
		gt_usage_error(usage, opts, "give the bead and the actor");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	struct gt_sling s = { argv[0], argv[1], force, message };
	if ((r = gt_work_sling(&mail, repo, &s)) < 0)
		gt_die_code(r);
	printf("slung %s to %s (mail %s)\n", argv[0], argv[1], mail);
	free(mail);
	gt_repo_free(repo);
	return 0;
}
