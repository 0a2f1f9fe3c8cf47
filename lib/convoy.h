#ifndef GT_CONVOY_H
#define GT_CONVOY_H

#include <cJSON.h>
#include <stdint.h>
#include "entity.h"
#include "parse-options.h"
#include "repo.h"

/*
 * Convoys: durable groups of beads tracked together toward one goal.
 * One entity per convoy under refs/gastown/convoys/<id>, the id a hash
 * id "<prefix>-cv-<base36>" (or one given). The snapshot:
 *
 *   {"id":         "<id>",
 *    "title":      "<name>",
 *    "status":     "open" | "closed",
 *    "beads":      ["<bead id>" | "external:<project>:<bead id>", ...],
 *    "created_at", "created_by", "updated_at",
 *    "closed_at", "close_reason"}          while closed
 *
 * "beads" is a set: members join with add and leave with remove
 * changes, so membership edited on two clones merges as a union of the
 * edits. Members of the form "external:<project>:<id>" are beads of
 * another rig: their state is read from the repository that the
 * configuration key rigs.<project> names (a path; relative to the top of
 * the working tree, or to the git directory of a bare repository); with
 * no such key their status is "unknown".
 *
 * A member is done when its bead is closed. A convoy is complete when
 * it has at least one member and every member is done; an open convoy
 * that becomes complete when one of its beads closes closes itself
 * (gt_convoy_after_close). Reopening a bead never reopens a convoy that
 * closed; gt_convoy_reopen does, and the convoy then closes itself again
 * at the next close of one of its beads that leaves it complete.
 */

extern const gt_entity_type gt_convoy_type;

#define GT_CONVOY_ID_INFIX "-cv"
#define GT_CONVOY_STUCK_DEFAULT 3600 /* convoy.stuckSeconds */

/* A convoy id: as a bead id (letters, digits, '.', '_', '-'). */
int gt_convoy_id_valid(const char *id);

/*
 * Create a convoy named title tracking beads (may be NULL or empty).
 * id: the id to give it (NULL: a new hash id); it must not exist
 * (GT_EEXISTS). Each member must be an existing bead (GT_ENOTFOUND) or
 * an external reference (GT_EINVALID when malformed); repeats count
 * once. *id_out (caller frees) receives the id.
 */
int gt_convoy_create(char **id_out, gt_repo *repo, const char *title,
		     const char *id, const gt_strlist *beads);

/*
 * Add members to an open convoy (GT_EREFUSED when closed: reopen it
 * first), or remove them (GT_ENOTFOUND naming a bead it does not
 * track; nothing changes then). Members already there are not added
 * again; *changed (may be NULL) tells whether a commit was written.
 */
int gt_convoy_add(int *changed, gt_repo *repo, const char *id,
		  const gt_strlist *beads);
int gt_convoy_remove(gt_repo *repo, const char *id, const gt_strlist *beads);

/*
 * Close (reason may be NULL) or reopen a convoy. GT_EREFUSED when it is
 * already closed, or not closed.
 */
int gt_convoy_close(gt_repo *repo, const char *id, const char *reason);
int gt_convoy_reopen(gt_repo *repo, const char *id);

/* The snapshot of a convoy (caller cJSON_Delete()s it); GT_ENOTFOUND. */
int gt_convoy_read(cJSON **out, gt_repo *repo, const char *id);

/*
 * Every convoy (all_ = 0: open ones only), sorted by id, each as the
 * object {"id","title","status","done","total","beads","created_at",
 * "created_by","updated_at","closed_at","close_reason"} with every key
 * present (null when unset). *out is a cJSON array the caller deletes.
 */
int gt_convoy_list(cJSON **out, gt_repo *repo, int all_);

/*
 * The progress of one convoy, as the object
 *
 *   {"id","title","status","done","total","complete",
 *    "counts": {"<status>": n, ...},
 *    "beads": [{"id","rig","status","title","assignee","updated_at",
 *               "stuck"}, ...],
 *    "stuck": ["<member>", ...]}
 *
 * "status" of a member is its bead's status, "missing" when the bead is
 * not in its ledger (never created, or deleted), "unknown" for an
 * external bead whose rig is not configured or cannot be read. "stuck"
 * is null or the reason the member is stuck:
 *
 *   "blocked"   its status is blocked, or it is open and blocked by an
 *               open dependency (see gt-blocked(1))
 *   "stale"     hooked or in_progress and not updated for stuck_after
 *               seconds (stuck_after < 0: convoy.stuckSeconds, default
 *               GT_CONVOY_STUCK_DEFAULT)
 *   "missing"   the bead is not in its ledger
 *
 * *out is the caller's.
 */
int gt_convoy_status(cJSON **out, gt_repo *repo, const char *id,
		     long stuck_after);

/*
 * Call after bead_id was closed: close every open convoy that tracks it
 * and is now complete (each with its own compare-and-swap, deciding from
 * the convoy's state at that moment), reason "all beads closed". The id
 * of every convoy closed is appended to closed_out (may be NULL).
 * Returns 0 or the first error (the convoys closed before it stay so).
 */
int gt_convoy_after_close(gt_repo *repo, const char *bead_id,
			  gt_strlist *closed_out);

/*
 * Close every open convoy that is complete (after a sync brought closes
 * made elsewhere, or a crash between a close and its convoy's); the ids
 * closed are appended to closed_out (may be NULL).
 */
int gt_convoy_check(gt_repo *repo, gt_strlist *closed_out);

/* Append to out the open convoys that track bead_id, sorted by id. */
int gt_convoy_of_bead(gt_strlist *out, gt_repo *repo, const char *bead_id);

#endif
