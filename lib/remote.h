#ifndef GT_REMOTE_H
#define GT_REMOTE_H

#include "parse-options.h"
#include "repo.h"

/*
 * Git remotes and the refspecs that carry the ledger.
 *
 * A remote gets fetch refspecs (patterns ending in '*', so that a plain
 * `git fetch` does not fail while the remote has no ledger yet):
 *   +refs/gastown/ledger*:refs/remotes/<remote>/gastown/ledger*
 *   +refs/notes/gastown*:refs/remotes/<remote>/notes/gastown*
 * and no push refspec: one would change what a plain `git push` does.
 */

/* Append the name of every configured remote to out. */
int gt_remote_list(gt_strlist *out, gt_repo *repo);

/*
 * Give remote the ledger fetch refspecs it lacks; *added counts those
 * added (0 when it had them all).
 */
int gt_remote_add_ledger_refspecs(int *added, gt_repo *repo, const char *remote);

#endif
