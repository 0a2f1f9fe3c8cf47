/*
 * Unit tests of lib/bulk.c's pack writing: objects written through a
 * bulk handle land in one pack and read back the same, trees of any
 * size included (a tree is stored in one or more uncompressed deflate
 * blocks of at most 65535 bytes). t0809 checks the pack with git.
 * Prints TAP.
 */
#include "bulk.h"
#include "error.h"
#include "repo.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

/* A tree of n entries naming blob, written through the bulk's handle. */
static int write_tree(git_oid *out, gt_bulk *b, const git_oid *blob, int n)
{
	git_treebuilder *tb = NULL;
	char name[32];
	int r = git_treebuilder_new(&tb, gt_repo_git(b->repo), NULL);
	for (int i = 0; r == 0 && i < n; i++) {
		snprintf(name, sizeof(name), "entry-%06d", i);
		r = git_treebuilder_insert(NULL, tb, name, blob, GIT_FILEMODE_BLOB);
	}
	if (r == 0)
		r = git_treebuilder_write(out, tb);
	git_treebuilder_free(tb);
	return r;
}

/* Does the object id read back, through a fresh handle, as want_size bytes of type? */
static int reads_back(const char *path, const git_oid *id, git_object_t type, size_t want_size)
{
	git_repository *git = NULL;
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int ok_ = git_repository_open(&git, path) == 0 && git_repository_odb(&odb, git) == 0 &&
		  git_odb_read(&obj, odb, id) == 0 && git_odb_object_type(obj) == type &&
		  git_odb_object_size(obj) == want_size;
	git_odb_object_free(obj);
	git_odb_free(odb);
	git_repository_free(git);
	return ok_;
}

int main(int argc, char **argv)
{
	/* 40 bytes an entry: empty, one entry, one block full, two blocks, four */
	static const int sizes[] = { 0, 1, 1638, 1639, 5000 };
	git_oid blob, trees[sizeof(sizes) / sizeof(*sizes)];
	gt_repo *repo = NULL;
	gt_bulk b;
	int r;

	if (argc != 2 || gt_repo_open(&repo, argv[1]) < 0 || gt_bulk_open(&b, repo) < 0) {
		ok(0, "open the repository: %s", gt_error_last());
		return tap_done();
	}
	git_odb *odb = NULL;
	r = git_repository_odb(&odb, gt_repo_git(b.repo));
	r = r ? r : git_odb_write(&blob, odb, "payload\n", 8, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	for (size_t i = 0; r == 0 && i < sizeof(sizes) / sizeof(*sizes); i++)
		r = write_tree(&trees[i], &b, &blob, sizes[i]);
	const git_error *e = r ? git_error_last() : NULL;
	ok(r == 0, "a blob and trees of 0 to 5,000 entries written to memory%s%s",
	   r ? ": " : "", e ? e->message : r ? "no message from libgit2" : "");
	r = r ? r : gt_bulk_flush(&b, repo);
	ok(r == 0, "flushed as one pack%s%s", r ? ": " : "", r ? gt_error_last() : "");
	gt_bulk_close(&b);
	ok(reads_back(argv[1], &blob, GIT_OBJECT_BLOB, 8), "the blob reads back");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		/* "100644 entry-000000\0" and an id: 40 bytes an entry */
		ok(reads_back(argv[1], &trees[i], GIT_OBJECT_TREE, (size_t)sizes[i] * 40),
		   "the tree of %d entries reads back (%s)", sizes[i], git_oid_tostr_s(&trees[i]));
	}
	gt_repo_free(repo);
	return tap_done();
}
