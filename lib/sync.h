#ifndef GT_SYNC_H
#define GT_SYNC_H

#include "merge.h"
#include "repo.h"

/*
 * Sync with a git remote: fetch the published ledger and the notes,
 * merge, push, and start again when the remote moved meanwhile.
 *
 * The transport is the git command itself (git fetch, git push), run on
 * the repository: it honours the user's ssh config, credential helpers,
 * insteadOf rules and proxies exactly as `git push` does, which
 * libgit2's own transports do not. What travels:
 *
 *   refs/gastown/ledger  ->  refs/remotes/<remote>/gastown/ledger (fetch)
 *   refs/notes/gastown   ->  refs/remotes/<remote>/notes/gastown  (fetch)
 *   refs/gastown/ledger  ->  refs/gastown/ledger                  (push)
 *   refs/notes/gastown   ->  refs/notes/gastown                   (push)
 *
 * Nothing is ever forced into the remote or into our own refs; fetched
 * state only ever lands in remote-tracking refs and is merged from there.
 */

/* refs/remotes/<remote>/gastown/ledger and .../notes/gastown (caller frees). */
char *gt_sync_tracking_ledger(const char *remote);
char *gt_sync_tracking_notes(const char *remote);

/*
 * The remote to use when none is named: "origin" if there is one, else
 * the only remote. GT_ENOTFOUND (with a message saying how to add one)
 * when there is none, GT_EINVALID when there are several and no origin.
 */
int gt_sync_default_remote(char **out, gt_repo *repo);

/*
 * Merge what the last fetch from remote brought: the ledger
 * (gt_merge_ledger) and the notes (a union of lines, as git's
 * cat_sort_uniq strategy). Refs missing on the remote are fine.
 */
int gt_sync_merge_remote(gt_merge_stats *stats, gt_repo *repo, const char *remote,
			 const gt_merge_opts *opts);

typedef struct gt_sync_opts {
	gt_merge_opts merge;
	int quiet;          /* git runs with --quiet */
	int push;           /* 0: fetch and merge only */
	unsigned attempts;  /* pushes rejected because the remote moved; 0: 10 */
} gt_sync_opts;

typedef struct gt_sync_stats {
	gt_merge_stats merge;  /* summed over attempts */
	int pushed;            /* the ledger or the notes were pushed */
	unsigned attempts;
} gt_sync_stats;

/*
 * fetch, merge, push; again while the push is rejected because the
 * remote moved. GT_ERROR when git fails (its own messages went to
 * stderr), GT_EREFUSED when the remote refuses the push for another
 * reason (a pre-receive hook), GT_ECONFLICT after too many attempts.
 */
int gt_sync(gt_sync_stats *stats, gt_repo *repo, const char *remote,
	    const gt_sync_opts *opts);

/*
 * Printing for gt sync and gt merge: each change on standard output
 * (renames always: they change an id people use; the rest when
 * verbose), progress on standard error when asked.
 */
typedef struct gt_sync_printer {
	int verbose;
	int progress;
	long last_ms;   /* when progress was last shown */
} gt_sync_printer;

void gt_sync_print_event(gt_merge_event ev, const char *refname, const char *detail,
			 void *printer);
void gt_sync_print_progress(size_t done, size_t total, void *printer);
/* "<what>: 3 new, 2 updated, 1 merged, 1 renamed" (and "up to date"). */
void gt_sync_print_summary(const char *what, const gt_merge_stats *s);

#endif
