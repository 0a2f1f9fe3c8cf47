#ifndef GT_GITHOOK_H
#define GT_GITHOOK_H

#include "repo.h"
#include "strbuf.h"

/*
 * The git hooks that gt init installs (the scripts of hooks/, built in
 * byte for byte so that an installed gt needs no source tree):
 *
 *   post-commit   in a repository with a working tree: attribution
 *                 notes (gt note --auto HEAD)
 *   pre-receive   in a server's bare repository (gt init --bare): the
 *                 ledger check (gt receive-check)
 *
 * They go to $GIT_COMMON_DIR/hooks/, shared by every worktree. A hook is
 * never replaced when it is not gastown's (its second line names the
 * hook as gastown's): ours runs it as <name>.local. For post-commit,
 * gt init moves a hook of the user's to post-commit.local itself; for
 * pre-receive it refuses and asks (a server's policy is the
 * administrator's to move).
 *
 * Installation is in two steps so that a command can check everything
 * before it changes anything: gt_githook_plan, then gt_githook_apply.
 */

typedef enum gt_githook_state {
	GT_GITHOOK_MISSING,  /* no hook there */
	GT_GITHOOK_OLD,      /* gastown's, another version */
	GT_GITHOOK_CURRENT,  /* gastown's, this version */
	GT_GITHOOK_FOREIGN,  /* someone else's: to move to <name>.local */
	GT_GITHOOK_SKIPPED,  /* not installed: see warning */
} gt_githook_state;

typedef struct gt_githook_plan {
	const char *name;      /* "post-commit", "pre-receive" */
	char *path;            /* $GIT_COMMON_DIR/hooks/<name> */
	gt_githook_state state;
	char *warning;         /* SKIPPED: why, for the user (one line) */
} gt_githook_plan;
#define GT_GITHOOK_PLAN_INIT { NULL, NULL, GT_GITHOOK_MISSING, NULL }

/*
 * Look at what is installed for name and decide what to do. Returns
 * GT_EINVALID for an unknown name, and GT_EREFUSED (nothing changes):
 *   pre-receive: in a repository with a working tree; when
 *     core.hooksPath is set; when the hook is someone else's;
 *   post-commit: when a hook of someone else's is there and so is
 *     post-commit.local.
 * post-commit is SKIPPED (with a warning) when core.hooksPath is set, and
 * in a bare repository (where nobody commits).
 */
int gt_githook_plan_make(gt_githook_plan *plan, gt_repo *repo, const char *name);

/*
 * Carry the plan out: move a foreign hook to <name>.local, write ours
 * (mode 755, through a lock file renamed into place). Appends one line
 * per change to report ("installed the post-commit hook in <path>",
 * "updated ...", "moved your post-commit hook to <path>.local; ..."),
 * and sets *changed (may be NULL) to 1 when something changed.
 */
int gt_githook_apply(int *changed, gt_strbuf *report, const gt_githook_plan *plan);

void gt_githook_plan_release(gt_githook_plan *plan);

/* The built-in script of name, or NULL. */
const char *gt_githook_script(const char *name);

#endif
