/*
 * Driver for t0210-refs.sh: lib/refs.c against git itself.
 *   test-refs read <ref>...          print "<oid> <ref>" or "missing <ref>"
 *   test-refs list <prefix>          print the ref names with that prefix
 *   test-refs update <ref> <old> <new>...   one transaction (old 0{40}: create)
 *   test-refs update-packed <ref> <old> <new>...   the same in one packed-refs
 *       rewrite; prints "moved <ref>" or "kept <ref> <current value>" for each
 *   (update-packed reads "<ref> <old> <new>" lines from stdin when given none)
 */
#include "error.h"
#include "refs.h"
#include "repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	gt_repo *repo;
	int r = 0;
	if (argc < 2 || (argc < 3 && strcmp(argv[1], "update-packed"))) {
		fprintf(stderr, "usage: test-refs read|list|update|update-packed ...\n");
		return 2;
	}
	if (gt_repo_open(&repo, NULL) < 0) {
		fprintf(stderr, "error: %s\n", gt_error_last());
		return 2;
	}
	if (!strcmp(argv[1], "read")) {
		for (int i = 2; i < argc; i++) {
			git_oid id;
			r = gt_refs_read(&id, gt_repo_git(repo), argv[i]);
			if (r == 0)
				printf("%s %s\n", git_oid_tostr_s(&id), argv[i]);
			else if (r == GT_ENOTFOUND)
				printf("missing %s\n", argv[i]);
			else
				printf("error %s: %s\n", argv[i], gt_error_last());
		}
		r = 0;
	} else if (!strcmp(argv[1], "list")) {
		gt_strlist names = GT_STRLIST_INIT;
		r = gt_refs_list_prefix(&names, gt_repo_git(repo), argv[2]);
		for (size_t i = 0; i < names.nr; i++)
			printf("%s\n", names.items[i]);
		gt_strlist_clear(&names);
	} else if (!strcmp(argv[1], "update") && (argc - 2) % 3 == 0) {
		size_t n = (size_t)(argc - 2) / 3;
		gt_ref_update u[16];
		for (size_t i = 0; i < n && i < 16; i++) {
			u[i].refname = argv[2 + 3 * i];
			git_oid_fromstr(&u[i].old, argv[3 + 3 * i]);
			git_oid_fromstr(&u[i].new_id, argv[4 + 3 * i]);
		}
		r = gt_refs_update(repo, u, n < 16 ? n : 16);
	} else if (!strcmp(argv[1], "update-packed")) {
		gt_strlist words = GT_STRLIST_INIT;
		char line[1024];
		for (int i = 2; i < argc; i++)
			gt_strlist_push(&words, argv[i]);
		if (argc == 2)
			while (fgets(line, sizeof(line), stdin))
				for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n"))
					gt_strlist_push(&words, w);
		size_t n = words.nr / 3;
		gt_ref_update *u = calloc(n + 1, sizeof(*u));
		unsigned char *done = calloc(n + 1, 1);
		for (size_t i = 0; i < n; i++) {
			u[i].refname = words.items[3 * i];
			git_oid_fromstr(&u[i].old, words.items[3 * i + 1]);
			git_oid_fromstr(&u[i].new_id, words.items[3 * i + 2]);
		}
		r = gt_refs_update_packed(repo, u, n, done);
		for (size_t i = 0; i < n; i++)
			if (done[i])
				printf("moved %s\n", u[i].refname);
			else
				printf("kept %s %s\n", u[i].refname, git_oid_tostr_s(&u[i].old));
		free(u);
		free(done);
		gt_strlist_clear(&words);
	} else {
		fprintf(stderr, "usage: test-refs read|list|update|update-packed ...\n");
		r = -1;
	}
	if (r < 0)
		fprintf(stderr, "error %d: %s\n", r, gt_error_last());
	gt_repo_free(repo);
	git_libgit2_shutdown();
	return r < 0 ? -r : 0;
}
