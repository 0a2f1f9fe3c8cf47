#ifndef GT_PRIME_H
#define GT_PRIME_H

#include <cJSON.h>
#include "repo.h"

/*
 * Prime: what an agent needs when its session starts, the text a
 * runtime's session-start hook injects: identity and role instructions,
 * the hooked work with its bead, the handoff, unread mail.
 *
 * Role instructions are Markdown templates, "<role>.md", looked up in
 * order:
 *
 *   1. the file the configuration names in roles.<role> (a path; relative
 *      paths are relative to the top of the worktree, or to the git
 *      directory of a bare repository);
 *   2. $GIT_COMMON_DIR/gastown/roles/<role>.md (this repository's own);
 *   3. $GT_TEMPLATE_DIR/roles/<role>.md (the environment);
 *   4. the installed templates (<prefix>/share/gastown/templates/roles),
 *      then those of the source tree the program was built from;
 *
 * and, when none has the role, "default.md" in the same places (3, 4).
 * "{{actor}}", "{{role}}" and "{{rig}}" are replaced.
 */

/*
 * Find and expand the template of role for actor (rig may be NULL).
 * *text and *path (caller frees) get the expanded text and the file.
 * GT_ENOTFOUND when no template, not even default.md, is found;
 * GT_ERROR naming the file when one that is configured cannot be read.
 */
int gt_prime_template(char **text, char **path, gt_repo *repo, const char *role,
		      const char *actor, const char *rig);

/*
 * Everything a session of the acting identity starts from, as one JSON
 * object (caller deletes): {"actor", "role", "rig", "agent" (the record
 * or null), "template" (the file), "instructions" (the expanded text),
 * "hook" (as gt hook --json), "bead" (the hooked bead or null),
 * "handoff" (or null), "unread_count", "unread": [{"id", "from",
 * "subject", "sent_at", "priority", "kind"}, ...] (newest first, at most
 * max_mail)}. role (may be NULL) overrides the agent's role and the one
 * its address implies; without any, the role is "default".
 */
int gt_prime_build(cJSON **out, gt_repo *repo, const char *role, size_t max_mail);

#endif
