#ifndef GT_TXN_H
#define GT_TXN_H

#include <git2.h>
#include "refs.h"
#include "repo.h"

/*
 * Crash safety of multi-ref updates (gt_refs_update in refs.h).
 *
 * The refs are moved by renaming their lock files into place one by one,
 * so a crash half way through would leave some refs moved and stale lock
 * files on the others. Before the first rename a journal
 * ($GIT_COMMON_DIR/gastown/txn/<pid>-<n>) names every ref with its old
 * and new commit and its lock file (inode and time); all objects are
 * already written. The next writer (and gt fsck) finds journals of dead
 * processes and rolls them forward: the dead process's own lock files
 * are removed and every ref still at its old value is moved to its new
 * one. The journal is removed last.
 */

/*
 * Write the journal of a transaction whose lock files are held; *path
 * (caller frees) receives its path. With GT_TEST_CRASH_AFTER_JOURNAL set
 * in the environment the process then dies (_exit(137)) as if killed:
 * the tests' way to crash between the journal and the renames.
 */
int gt_txn_journal_write(char **path, gt_repo *repo, const gt_ref_update *updates,
			 size_t n);

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
