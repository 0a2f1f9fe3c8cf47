/*
 * gt receive-check: the server's check of a push, run by the
 * pre-receive hook (hooks/pre-receive) in the receiving repository.
 *
 *   gt receive-check <pre-receive input
 *
 * Reads git's pre-receive input ("<old> <new> <refname>" lines) and
 * rejects the push when it would damage the ledger: one line per problem
 * on standard error, "<refname>: <what is wrong>", and exit status 1.
 * The checks are lib/receive.c's; see Documentation/gt-receive-check.txt.
 *
 * The objects of the push are still in git's quarantine directory; git
 * names it in GIT_OBJECT_DIRECTORY (with the repository's own object
 * directory in GIT_ALTERNATE_OBJECT_DIRECTORIES), and libgit2 honours
 * both when the repository is opened from the environment, as
 * gt_repo_open does (t/t0840-pre-receive.sh pushes commits that exist
 * only in the quarantine), so nothing has to be added by hand.
 */
#include "error.h"
#include "parse-options.h"
#include "receive.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt receive-check <pre-receive-input",
	NULL
};

/* "<refname>: [<entry>: ]<message>" on standard error. */
static void print_problem(const char *refname, const char *entry, const char *message,
			  void *payload)
{
	(void)payload;
	if (entry)
		fprintf(stderr, "%s: %s: %s\n", refname, entry, message);
	else
		fprintf(stderr, "%s: %s\n", refname, message);
}

int main(int argc, const char **argv)
{
	gt_receive_update *updates = NULL;
	size_t nr = 0, alloc = 0, rejected = 0;
	gt_repo *repo = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, r;
	int64_t now;
	struct gt_option options[] = {
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc)
		gt_usage_error(usage, options, "unexpected argument '%s' (the refs are read "
			       "from standard input)", argv[0]);

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (nr == alloc)
			updates = gt_xrealloc(updates, (alloc = alloc ? 2 * alloc : 16) *
					      sizeof(*updates));
		if (gt_receive_parse(&updates[nr], line) < 0)
			gt_die("bad input line %d: expected '<old> <new> <refname>' "
			       "(the input of a pre-receive hook)", lineno);
		nr++;
	}
	free(line);

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	now = gt_now_ms();
	for (size_t i = 0; i < nr; i++) {
		size_t problems = 0;
		gt_receive_check(&problems, repo, &updates[i], now, print_problem, NULL);
		if (problems)
			rejected++;
		gt_receive_update_release(&updates[i]);
	}
	free(updates);
	gt_repo_free(repo);
	fflush(stderr);
	return rejected ? GT_EXIT_NO : 0;
}
