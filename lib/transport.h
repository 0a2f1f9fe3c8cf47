#ifndef GT_TRANSPORT_H
#define GT_TRANSPORT_H

#include <git2.h>
#include <sys/types.h>
#include "repo.h"
#include "strbuf.h"

/*
 * Where gt sync's git fetch and git push run: a side repository,
 * $GIT_COMMON_DIR/gastown/transport.git, that holds only the four refs
 * that travel (refs/gastown/ledger, refs/notes/gastown and their
 * remote-tracking refs) and no objects of its own.
 *
 * Why: git walks every local ref on a fetch (fetch-pack marks the commit
 * of each complete, and the connectivity check runs rev-list --not
 * --all) and lists them all for a push. The main repository holds one
 * ref per entity, 10k-100k of them; the ledger alone reaches every one.
 * Run in the side repository, git sees four refs.
 *
 *   - Every git command run there gets GIT_DIR=<side> and
 *     GIT_OBJECT_DIRECTORY=$GIT_COMMON_DIR/objects: objects go to and
 *     come from the main store. The side's own objects/ directory stays
 *     empty, so a git gc run in it by hand cannot prune the main store.
 *   - Its config includes the main repository's config first (remotes,
 *     url.*.insteadOf, credential helpers, core.sshCommand, uploadpack
 *     and receivepack apply as they do there), then turns off what must
 *     not run against the main store from a repository that sees four
 *     refs: automatic gc and maintenance, commit-graph writes on fetch,
 *     reflogs. gc.auto=0 and maintenance.auto=false are also given on
 *     the command line.
 *   - Hooks: core.hooksPath is the main repository's hooks directory
 *     unless the user's git config sets core.hooksPath, so a pre-push
 *     hook runs for sync's push as for a plain git push.
 *   - git runs with -C <work tree> as in the main repository, so relative
 *     remote paths resolve the same.
 *
 * A shallow main repository has no side repository: git runs in the
 * main repository as it always did (the side would lack the shallow
 * boundary).
 *
 * Concurrency: the side is shared by every worktree; a flock(2) on
 * <side>/gt-sync.lock is held from setting its refs to copying the result
 * back, so two syncs never see each other's refs. The kernel drops the
 * lock with its holder, even on kill -9: there is no stale lock.
 */
typedef struct gt_transport gt_transport;

/*
 * Take the transport for remote: create the side repository when
 * missing, lock it (waiting up to core.lockTimeoutSeconds, by default
 * core.staleLockSeconds + 5) and set its four refs to the main
 * repository's values (removing those the main repository lacks).
 * *out is the caller's, to release with gt_transport_free. GT_ELOCKED
 * when another sync keeps the lock, GT_EINVALID when remote makes no
 * valid ref name (a path or URL), GT_ERROR when a file cannot be written.
 */
int gt_transport_open(gt_transport **out, gt_repo *repo, const char *remote);

/* Unlock and free (NULL is fine). */
void gt_transport_free(gt_transport *t);

/* The side repository's path (NULL when git runs in the main repository). */
const char *gt_transport_side(const gt_transport *t);

/*
 * Run "git args..." in the transport's repository (see above; no more
 * than 24 args). *out, when given, receives standard output. Returns
 * git's exit status, or GT_ERROR when it could not run.
 */
int gt_transport_git(gt_strbuf *out, gt_transport *t, const char *const *args);

/*
 * The same, calling meanwhile(payload) once git has started and before
 * waiting for it: work that needs nothing git will bring is done while
 * git runs, on the other core. Standard output, when wanted, is read
 * after meanwhile returns (keep what git prints small).
 */
int gt_transport_git_meanwhile(gt_strbuf *out, gt_transport *t, const char *const *args,
			       void (*meanwhile)(void *), void *payload);

/*
 * After a fetch: copy the side's remote-tracking refs of the remote into
 * the main repository (a no-op when git ran there). A tracking ref the
 * side lacks after the fetch (git fetch --prune dropped it: the remote
 * has no such ref) goes from the main repository too.
 */
int gt_transport_store_fetched(gt_transport *t);

/*
 * After git reported the push of local_ref (one of the two that travel)
 * to its namesake on the remote as done: the remote holds what was
 * pushed, the value local_ref had when the transport was opened; set the
 * main repository's tracking ref to it.
 */
int gt_transport_store_pushed(gt_transport *t, const char *local_ref);

/*
 * Run "git -C <work tree> args..." in the main repository, with the
 * actor as the identity of any commit git makes, as
 * gt_transport_git does.
 */
int gt_git_run(gt_strbuf *out, gt_repo *repo, const char *const *args);

/*
 * The same in the background, as git gc --auto detaches: git's output
 * goes to the file log (truncated first). 0 once git has started, with
 * its process id in *pid; its exit is never waited for.
 */
int gt_git_run_detached(pid_t *pid, gt_repo *repo, const char *const *args, const char *log);

#endif
