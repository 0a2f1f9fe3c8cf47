/*
 * gastown's own start-up floor: what every gt command pays before its
 * work, libgit2 started as lib/startup.c does it (no CA bundle parse),
 * the repository opened and gastown's configuration read. The bench
 * prints gt's per-process times beside it and beside libgit2's floor.
 */
#include "repo.h"

int main(void)
{
	gt_repo *repo;
	if (gt_repo_open(&repo, NULL) < 0)
		return 1;
	gt_repo_free(repo);
	return 0;
}
