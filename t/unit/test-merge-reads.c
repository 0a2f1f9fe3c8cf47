/*
 * Driver for t0805-merge-diff.sh: a merge and its preparation read
 * objects without libgit2's hash check (gt_odb_verify_reads), and turn
 * it back on when done, so that the rest of the process reads checked.
 *   test-merge-reads <repo> <id>   id: a loose object that does not
 *                                  hash to its name
 * Prints TAP.
 */
#include "error.h"
#include "merge.h"
#include "repo.h"
#include "tap.h"

#include <stdio.h>

/* Is id refused, read through a fresh handle (no cache of earlier reads)? */
static int refused(const char *path, const git_oid *id)
{
	git_repository *git = NULL;
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int opened = git_repository_open(&git, path) == 0 && git_repository_odb(&odb, git) == 0;
	int read = opened && git_odb_read(&obj, odb, id) == 0;
	git_odb_object_free(obj);
	git_odb_free(odb);
	git_repository_free(git);
	return opened && !read;
}

int main(int argc, char **argv)
{
	gt_repo *repo = NULL;
	git_oid id;

	if (argc != 3 || git_oid_fromstr(&id, argv[2]) < 0 || gt_repo_open(&repo, argv[1]) < 0) {
		ok(0, "open the repository: %s", argc == 3 ? gt_error_last() : "usage");
		return tap_done();
	}
	ok(refused(argv[1], &id), "an object that does not hash to its name is refused");
	gt_odb_verify_reads(0);
	ok(!refused(argv[1], &id), "it reads with the check off (the test sees the switch)");
	gt_odb_verify_reads(1);

	gt_merge_prep prep;
	gt_merge_prepare(&prep, repo);
	gt_merge_prep_release(&prep);
	ok(refused(argv[1], &id), "refused again after a merge's preparation");

	int r = gt_merge_ledger(NULL, repo, NULL, NULL);
	ok(r == 0, "a merge of the local refs%s%s", r ? ": " : "", r ? gt_error_last() : "");
	ok(refused(argv[1], &id), "refused again after the merge");
	gt_repo_free(repo);
	return tap_done();
}
