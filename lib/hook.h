#ifndef GT_HOOK_H
#define GT_HOOK_H

#include <cJSON.h>
#include "entity.h"
#include "repo.h"

/*
 * Hooks: the work pinned to one actor, "work on your hook means execute
 * now". One entity per actor under refs/gastown/hooks/<id>, the id the
 * actor's address encoded by gt_actor_to_id(). The snapshot:
 *
 *   {"actor":    "<address>",
 *    "bead":     "<bead id>",      absent when the hook is empty
 *    "slung_by": "<address>",      who put it there
 *    "slung_at": "<RFC 3339>",
 *    "convoy":   "<convoy id>",    optional: the convoy the bead is part of
 *    "handoff":  {...}}            optional: the handoff record to resume
 *
 * Members this version does not know are kept, as for every entity.
 * lib/work.h writes hooks (sling, unsling, done, handoff) together with
 * the beads and mailboxes they concern, in one transaction each.
 */

extern const gt_entity_type gt_hook_type;

/*
 * Read actor's hook snapshot (caller cJSON_Delete()s it). GT_ENOTFOUND
 * when the actor never had a hook; an empty hook is a snapshot without
 * "bead". GT_EINVALID for an invalid address.
 */
int gt_hook_read(cJSON **out, gt_repo *repo, const char *actor);

#endif
