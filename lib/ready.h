#ifndef GT_READY_H
#define GT_READY_H

#include <stddef.h>
#include "index.h"

/*
 * Readiness of beads, computed over a gt_index.
 *
 * A bead is BLOCKED when it is not closed and
 *   - it has a dependency of a blocking type (blocks, conditional-blocks,
 *     waits-for; see gt_bead_dep_blocks) on a bead that exists in the
 *     ledger and is not closed, or
 *   - one of its parents (the "parent" member, or the target of a
 *     parent-child dependency) is blocked: blocking passes from a parent
 *     to its children, transitively.
 * A dependency on an id that is not in the ledger (never created, deleted
 * by a tombstone, or damaged) does not block: a dangling edge must not
 * stall work forever; `gt fsck` reports it. A closed bead is never
 * blocked, and so passes nothing to its children.
 *
 * A bead is READY when its status is "open", its issue_type is work
 * (gt_bead_type_is_work: not message, molecule, gate, agent, role, rig,
 * merge-request or convoy; a missing type is a task), and it is not
 * blocked.
 *
 * The computation is linear: direct blocking is decided per bead, then
 * passed down the parent -> child edges breadth first from every
 * directly blocked bead, each bead visited once, so cycles (a bead its
 * own ancestor, blocking cycles brought in by import or merge) end and
 * the result does not depend on the order of the beads.
 */

typedef struct gt_ready gt_ready;

/*
 * Compute readiness for every entry of ix. out receives the result
 * (caller frees with gt_ready_free); it refers to ix, which must outlive
 * it. Returns 0 (there are no failures but out of memory, which aborts).
 */
int gt_ready_compute(gt_ready **out, const gt_index *ix);

/* Free a result; NULL is fine. */
void gt_ready_free(gt_ready *r);

/* Entry i (as gt_index_at) is blocked / ready: 1 or 0. */
int gt_ready_is_blocked(const gt_ready *r, size_t i);
int gt_ready_is_ready(const gt_ready *r, size_t i);

/*
 * What blocks entry i: ids of its direct blockers (existing, not closed,
 * through a blocking dependency) and ids of its blocked parents, each
 * list in dependency order without repeats. The strings belong to the
 * index; the arrays to the caller (gt_ready_blockers_clear).
 */
typedef struct gt_ready_blockers {
	const char **ids;
	size_t nids;
	const char **parents;
	size_t nparents;
} gt_ready_blockers;
#define GT_READY_BLOCKERS_INIT { NULL, 0, NULL, 0 }

void gt_ready_get_blockers(gt_ready_blockers *out, const gt_ready *r, size_t i);
void gt_ready_blockers_clear(gt_ready_blockers *b);

#endif
