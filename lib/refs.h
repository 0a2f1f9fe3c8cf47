#ifndef GT_REFS_H
#define GT_REFS_H

#include <git2.h>
#include "parse-options.h"
#include "repo.h"

/*
 * Reading and moving refs in git's files backend, as git itself does:
 * a loose file $GIT_COMMON_DIR/<ref>, else a line of packed-refs found by
 * binary search in the mapped file; updates through <ref>.lock files
 * created exclusively, then renamed into place.
 *
 * Why not libgit2's refdb: libgit2 1.5 parses the whole packed-refs file
 * into a sorted cache on the first lookup of a ref that is not loose
 * (and a new ref never is): at 100k packed bead refs that is ~100 ms in
 * every process, against microseconds here. The on-disk protocol is
 * git's, so git, libgit2 and gt all see and respect each other's locks.
 */

/*
 * The object a ref points to. GT_ENOTFOUND when there is no such ref,
 * GT_ECORRUPT when its file holds something that is not an object id
 * (a symbolic ref is followed through libgit2).
 */
int gt_refs_read(git_oid *out, git_repository *repo, const char *refname);

/*
 * Append to out every ref name that starts with prefix (loose and
 * packed, each once, sorted).
 */
int gt_refs_list_prefix(gt_strlist *out, git_repository *repo, const char *prefix);

typedef struct gt_ref_update {
	const char *refname;
	git_oid old;     /* zero: the ref must not exist */
	git_oid new_id;
} gt_ref_update;

/*
 * Lock every ref (in name order, so two writers cannot deadlock), check
 * that each still has its old value, then move them all. With more than
 * one ref, a journal naming every ref and its lock file is written first
 * (see txn.h) so that a crash between two renames is rolled forward.
 * Returns GT_ECONFLICT when a ref moved (nothing changed), GT_ELOCKED
 * when a ref is locked by someone else (the message names it).
 */
int gt_refs_update(gt_repo *repo, const gt_ref_update *updates, size_t n);

/* $GIT_COMMON_DIR/<refname>.lock (caller frees). */
char *gt_refs_lock_path(gt_repo *repo, const char *refname);

#endif
