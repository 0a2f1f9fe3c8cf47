/*
 * The start-up floor every libgit2 program pays: initialise libgit2 and
 * open the repository, nothing else. The bench prints gt's per-process
 * times beside it.
 */
#include <git2.h>

int main(void)
{
	git_repository *repo;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, ".", 0, NULL) < 0)
		return 1;
	git_repository_free(repo);
	git_libgit2_shutdown();
	return 0;
}
