#ifndef GT_AGENT_H
#define GT_AGENT_H

#include <cJSON.h>
#include "entity.h"
#include "repo.h"

/*
 * Agents: identities with stable addresses (see actor.h), one entity per
 * actor under refs/gastown/agents/<id>, the id the address encoded by
 * gt_actor_to_id(). The snapshot:
 *
 *   {"actor":      "<address>",
 *    "role":       "mayor|deacon|witness|refinery|polecat|crew|<other>",
 *    "rig":        "<rig>",          absent for town-level actors
 *    "runtime":    "<runtime>",      absent until given ("claude", "codex")
 *    "state":      "idle|running|stuck|stopped|dead",
 *    "session":    "<session id>",   absent until the first start
 *    "session_started_at": "<RFC 3339>",
 *    "sessions":   [{"id","started_at"}, ...]   every start, appended
 *    "created_at", "updated_at", "created_by"}
 *
 * The identity (the address) never changes; a runtime session id is
 * separate from it and changes at every start (gt_agent_start). Removal
 * is a tombstone ({"tombstone": true}), so that it syncs; adding the
 * address again revives the record.
 */

extern const gt_entity_type gt_agent_type;

/* A state an agent may be put in (the list above). */
int gt_agent_state_valid(const char *state);

struct gt_agent_add {
	const char *actor;    /* the address (required) */
	const char *role;     /* NULL: the role the address implies */
	const char *runtime;  /* may be NULL */
};

/*
 * Register an agent. GT_EINVALID for an invalid address, a missing role
 * (an address that implies none and no role given) or a role that
 * contradicts the address; GT_EEXISTS when it is registered already.
 */
int gt_agent_add(gt_repo *repo, const struct gt_agent_add *a);

/*
 * Read the record of actor (caller cJSON_Delete()s it). GT_ENOTFOUND
 * when it is not registered or was removed; GT_EINVALID for an invalid
 * address.
 */
int gt_agent_read(cJSON **out, gt_repo *repo, const char *actor);

/*
 * Every registered (not removed) agent's snapshot, sorted by address,
 * in *out (a JSON array the caller deletes).
 */
int gt_agent_list(cJSON **out, gt_repo *repo);

/* Remove (tombstone). GT_ENOTFOUND when not registered. */
int gt_agent_rm(gt_repo *repo, const char *actor);

/*
 * A new session: session (NULL: a new id "<runtime or ses>-<base36 time>-<hex>")
 * becomes current, state becomes running, and the start is appended to
 * "sessions". *session_out (caller frees, may be NULL) gets the id.
 */
int gt_agent_start(char **session_out, gt_repo *repo, const char *actor,
		   const char *session);

/* Set the state (and runtime when not NULL). GT_EINVALID for a bad state. */
int gt_agent_set(gt_repo *repo, const char *actor, const char *state,
		 const char *runtime);

/* A role or runtime name: [a-z][a-z0-9_-]{0,31}. Returns 1 or 0. */
int gt_agent_name_valid(const char *s);

#endif
