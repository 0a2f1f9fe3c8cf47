#ifndef GT_TXN_H
#define GT_TXN_H

#include <git2.h>
#include "repo.h"

/*
 * Moving several refs all or nothing.
 *
 * libgit2's ref transaction locks every ref, then renames the lock files
 * into place one by one: a crash half way through leaves some refs moved
 * and stale lock files on the others. So before committing we write a
 * journal ($GIT_COMMON_DIR/gastown/txn/<pid>-<n>) naming every ref with
 * its old and new commit (all objects are already written). The next
 * writer (and gt fsck) finds journals of dead processes and rolls them
 * forward: every ref still at its old value, or locked by the dead
 * process, is moved to its new value. The journal is removed last.
 */

typedef struct gt_ref_update {
	const char *refname;
	git_oid old;     /* zero: the ref must not exist */
	git_oid new_id;
	const char *message;
} gt_ref_update;

/*
 * Move the refs if each still has its old value. Returns GT_ECONFLICT when
 * one moved (nothing changed then), GT_ELOCKED when a ref stays locked.
 */
int gt_txn_commit(gt_repo *repo, const gt_ref_update *updates, size_t n);

/*
 * Roll forward the journals left by dead processes and remove stale
 * lock files they left. Returns the number of journals recovered (>= 0)
 * or a negative error code.
 */
int gt_txn_recover(gt_repo *repo);

/*
 * Remove refname's lock file if it is older than the configured
 * core.staleLockSeconds and no live journal names it. Returns 1 when
 * removed, 0 when not stale.
 */
int gt_txn_break_stale_lock(gt_repo *repo, const char *refname);

#endif
