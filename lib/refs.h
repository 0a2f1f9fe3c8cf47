#ifndef GT_REFS_H
#define GT_REFS_H

#include <git2.h>
#include <time.h>
#include "parse-options.h"
#include "repo.h"
#include "strbuf.h"

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

/*
 * Call cb for every ref whose name starts with prefix and has no '/'
 * after the prefix's last one, with its value (a loose file's, else its
 * packed-refs line's), each once, in name order. Symbolic refs are
 * left out. One pass over
 * packed-refs and one directory, not a lookup per ref. A nonzero return
 * of cb stops the walk and is returned.
 */
typedef int (*gt_refs_each_cb)(const char *refname, const git_oid *tip, void *payload);
int gt_refs_foreach_prefix(git_repository *repo, const char *prefix, gt_refs_each_cb cb,
			   void *payload);

/*
 * The same, for the loose ref files alone (the refs written since
 * packed-refs was), without reading packed-refs: cheap however many
 * refs are packed.
 */
int gt_refs_foreach_loose(git_repository *repo, const char *prefix, gt_refs_each_cb cb,
			  void *payload);

/*
 * Append the stat data of a ref file or directory at path (inode, size,
 * mtime in ns; "-" when absent) to out: what tells later, without
 * reading it, whether it changed, as git's index tells files. A file
 * changed less than GT_REFS_RACY_MS ago is racy, as git calls index
 * entries so: a rewrite within the same tick of the file system's clock
 * (Linux stamps files from a clock that moves every 1-10 ms), the inode
 * reused, could leave all three alike. It is written as a value no later
 * stat matches. An mtime of whole seconds (a file system that keeps no
 * more) is racy for two seconds.
 */
#define GT_REFS_RACY_MS 20
void gt_refs_stat_line(gt_strbuf *out, const char *path);

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

/*
 * The same compare-and-swap, for many refs at once, by ONE rewrite of
 * packed-refs (the way git's own pack-refs and initial transactions
 * write), instead of one loose file per ref: 10k new refs cost one
 * file of 10k lines rather than 10k files (and no later pack-refs).
 *
 *   1. take packed-refs.lock, then <ref>.lock of every ref of u that
 *      has a loose file (its file must go once the new value is
 *      packed); a lock held by another process is waited for, and
 *      broken when older than core.staleLockSeconds (a crashed one);
 *   2. read packed-refs and the loose files, and check that every ref
 *      still has its old value; if one does not, nothing is written;
 *   3. write the new packed-refs (the other entries verbatim) to the
 *      lock file, fsync it and rename it over packed-refs: the single
 *      atomic step at which every ref takes its new value;
 *   4. remove the loose files of step 1 (until then they show the old,
 *      complete, value) and the locks;
 *   5. look again at the refs that had no loose file: a writer that read
 *      a ref before step 3 and held its lock may have written a loose
 *      file since, which shadows the packed value. Unless that value
 *      descends from ours (it read ours), the ref counts as not moved.
 *
 * done (n flags, may be NULL) receives which refs moved. Returns 0 when
 * all did; GT_ECONFLICT when some ref did not have its old value (those
 * have done[i] = 0 and u[i].old set to their current value, zero when
 * absent; before step 3 none moved, after it only those); GT_ELOCKED
 * when a lock stays taken ("<ref> stays locked by another process").
 * Crash safety: a crash before step 3 changes nothing; a crash in step 4
 * leaves some refs with a loose file at their old, complete, value.
 * Symbolic refs are refused (GT_ECORRUPT).
 */
int gt_refs_update_packed(gt_repo *repo, gt_ref_update *u, size_t n, unsigned char *done);

/*
 * The same, for a caller that took packed-refs' stat line (before,
 * gt_refs_stat_line) before it read the refs: after gets the stat line
 * of the file written when the file rewritten was still that one and
 * all went well (the caller's reading plus these moves is then exactly
 * what is packed), and before otherwise.
 */
int gt_refs_update_packed_stat(gt_repo *repo, gt_ref_update *u, size_t n, unsigned char *done,
			       const char *before, gt_strbuf *after);

/*
 * How long a write waits for a ref another process holds locked before
 * it fails (GT_ELOCKED): core.lockTimeoutSeconds, by default
 * core.staleLockSeconds + 5, long enough for a crashed writer's lock to
 * turn stale and be broken.
 */
long gt_refs_lock_wait_seconds(gt_repo *repo);

/* Seconds since start (CLOCK_MONOTONIC): how long a retry loop has waited. */
double gt_refs_elapsed_s(const struct timespec *start);

/* Sleep a little before retrying a lock: jittered, doubling from 1 ms to ~50 ms. */
void gt_refs_backoff(unsigned attempt);

/* $GIT_COMMON_DIR/<refname>.lock (caller frees). */
char *gt_refs_lock_path(gt_repo *repo, const char *refname);

#endif
