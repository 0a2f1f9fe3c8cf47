#ifndef GT_STATUS_H
#define GT_STATUS_H

#include <cJSON.h>
#include "repo.h"

/*
 * The overview of a town (gt status): every actor gastown knows (a
 * registered agent, or an address with a hook or a mailbox) with what
 * is on its hook and its unread mail; the ready work; totals. As one
 * JSON object (caller deletes):
 *
 *   {"actor":   the acting identity,
 *    "agents":  [{"actor", "registered" (bool), "role", "rig", "state",
 *                 "session", "bead", "title", "status", "slung_by",
 *                 "slung_at", "handoff" (bool), "unread"}, ...]  by address,
 *    "ready":   {"count", "beads": [{"id", "title", "priority"}, ...]}
 *                 (at most max_ready, in gt ready's order),
 *    "convoys": [{"id", "title", "status", "done", "total"}, ...]  the open
 *                 convoys, by id,
 *    "hooked":  how many actors have work on their hook,
 *    "unread":  unread messages in all mailboxes}
 *
 * Keys are always present, null where absent. Damaged beads are left out
 * of the ready work (gt fsck reports them).
 */
int gt_status_build(cJSON **out, gt_repo *repo, size_t max_ready);

#endif
