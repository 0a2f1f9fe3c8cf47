#ifndef GT_RECEIVE_H
#define GT_RECEIVE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include "repo.h"

/*
 * The server's check of a push (gt receive-check, run by the pre-receive
 * hook): one ref update old -> new at a time, every problem reported
 * through a callback. Refs outside refs/gastown/ and refs/gastown-local/
 * are not looked at. See Documentation/gt-receive-check.txt for every
 * check and message.
 *
 * The objects of the push may still be in git's quarantine directory:
 * the repository must be opened from the environment (gt_repo_open does).
 */

/* Operations dated further ahead of the server's clock are refused. */
#define GT_RECEIVE_MAX_AHEAD_MS (24LL * 60 * 60 * 1000)
/* Problems reported per pushed ref; at the next one its check stops. */
#define GT_RECEIVE_MAX_PROBLEMS 20

/* One line of git's pre-receive input. */
typedef struct gt_receive_update {
	git_oid old;       /* zero: the ref is created */
	git_oid new_id;    /* zero: the ref is deleted */
	char *refname;     /* owned; gt_receive_update_release frees it */
} gt_receive_update;

/*
 * Parse "<old> <new> <refname>" (no line end) into *out; libgit2 need not
 * be initialised yet. Returns 0, or
 * GT_EINVALID (nothing allocated) when the line is not of that form.
 */
int gt_receive_parse(gt_receive_update *out, const char *line);
void gt_receive_update_release(gt_receive_update *u);

/*
 * Receives one problem of the pushed ref refname: entry is the ledger
 * entry concerned (a ref name) or NULL when the problem is the pushed
 * ref's own; message is one line, lowercase, no full stop.
 */
typedef void (*gt_receive_problem_cb)(const char *refname, const char *entry,
				      const char *message, void *payload);

/*
 * Check the update u. now_ms is the server's clock (operations more
 * than GT_RECEIVE_MAX_AHEAD_MS ahead of it are refused). Every problem
 * goes to cb; past GT_RECEIVE_MAX_PROBLEMS, cb gets "too many problems;
 * the check stopped here" and the check of the ref ends. *problems
 * (may be NULL) receives how many problems were reported (0: the update
 * may go through). Returns 0; the check never fails on its own: what it
 * cannot read is a problem of the push.
 */
int gt_receive_check(size_t *problems, gt_repo *repo, const gt_receive_update *u,
		     int64_t now_ms, gt_receive_problem_cb cb, void *payload);

#endif
