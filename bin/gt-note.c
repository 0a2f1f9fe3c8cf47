/* gt note: attribute a code commit to a bead (a note in refs/notes/gastown). */
#include "error.h"
#include "notes.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt note [<commit>] [--bead <id>] [--actor <actor>] [--session <id>] [--convoy <id>]",
	"gt note --auto [<commit>]",
	NULL
};

int main(int argc, const char **argv)
{
	const char *bead = NULL, *actor = NULL, *session = NULL, *convoy = NULL;
	int automatic = 0, verbose = 0, added = 0, r;
	struct gt_option opts[] = {
		GT_OPT_STRING('b', "bead", &bead, "id",
			      "the bead (default: the Bead: trailer, else the hooked bead)"),
		GT_OPT_STRING(0, "actor", &actor, "actor", "who (default: the acting actor)"),
		GT_OPT_STRING(0, "session", &session, "id", "the runtime session (default: GT_SESSION)"),
		GT_OPT_STRING(0, "convoy", &convoy, "id",
			      "the convoy (default: the hook's, else one tracking the bead)"),
		GT_OPT_BOOL(0, "auto", &automatic,
			    "only when work is hooked: the hooked bead (the post-commit hook)"),
		GT_OPT_BOOL('v', "verbose", &verbose, "print the line written"),
		GT_OPT_END(),
	};
	gt_note_attr given = { NULL, NULL, NULL, NULL };
	char *line = NULL;
	gt_repo *repo;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc > 1)
		gt_usage_error(usage, opts, "give at most one <commit>");
	if (automatic && (bead || actor || session || convoy))
		gt_usage_error(usage, opts, "--auto takes the bead from the hook and the actor "
			       "and session from the environment: give no --bead, --actor, "
			       "--session or --convoy");
	given.bead = bead;
	given.actor = actor;
	given.session = session;
	given.convoy = convoy;
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	r = gt_notes_attribute(&added, &line, repo, argc ? argv[0] : NULL,
			       automatic ? NULL : &given, automatic);
	if (r < 0)
		gt_die_code(r);
	if (verbose && line)
		printf("%s%s\n", added ? "" : "already there: ", line);
	free(line);
	gt_repo_free(repo);
	return 0;
}
