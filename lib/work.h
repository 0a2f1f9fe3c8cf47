#ifndef GT_WORK_H
#define GT_WORK_H

#include <cJSON.h>
#include "parse-options.h"
#include "repo.h"

/*
 * The working day: sling puts a bead on an actor's hook, done releases
 * it, handoff leaves a record for the next session, unsling takes work
 * back. Each changes the bead, the hook(s) and a mailbox in ONE
 * transaction (gt_entity_write_many): all of it happens or none does,
 * whatever the crash, and a lost race is re-decided on fresh state.
 * The acting identity (gt_repo_actor) is the author of every commit.
 */

struct gt_sling {
	const char *bead;
	const char *actor;    /* whose hook */
	int force;            /* move a bead hooked elsewhere; replace what is on the hook */
	const char *message;  /* more text for the mail, or NULL */
};

/*
 * Sling: the bead gets status "hooked" and assignee actor, actor's hook
 * gets the bead (slung_by the acting identity, slung_at now), and actor
 * gets a mail (kind "sling"). Refuses (GT_EREFUSED) a closed bead, a bead
 * hooked by another actor and a hook that holds another bead, unless
 * force: then the other hook is emptied and the displaced bead goes back
 * to "open". GT_ENOTFOUND for no such bead. *mail_id (may be NULL;
 * caller frees) gets the mail's id.
 */
int gt_work_sling(char **mail_id, gt_repo *repo, const struct gt_sling *s);

/*
 * Unsling: empty actor's hook; its bead, if still hooked by actor, goes
 * back to "open" without assignee. When the acting identity is not
 * actor, actor gets a mail (kind "unsling"). GT_EREFUSED "nothing on
 * <actor>'s hook". *bead (may be NULL; caller frees) gets the bead id.
 */
int gt_work_unsling(char **bead, gt_repo *repo, const char *actor);

enum gt_done_status { GT_DONE_COMPLETED, GT_DONE_ESCALATED, GT_DONE_DEFERRED };
/* "completed", "escalated", "deferred" to the enum; -1 when none. */
int gt_work_done_status_parse(const char *s);

/*
 * Done: the acting identity's hook is emptied and its bead updated:
 * completed closes it (close_reason the reason, or "completed");
 * escalated leaves it open with the label "escalated"; deferred gives it
 * status "deferred"; both of those clear the assignee and comment the
 * reason. Whoever slung it (slung_by, when not the actor) gets a mail
 * (kind "done"). GT_EREFUSED "nothing on <actor>'s hook". *bead (may be
 * NULL; caller frees) gets the bead id, *convoy (may be NULL) the
 * convoy the hook named.
 */
int gt_work_done(char **bead, char **convoy, gt_repo *repo, enum gt_done_status status,
		 const char *reason);

/*
 * The git state of the repository's worktree, as a handoff records it:
 * {"worktree", "branch" (null when detached), "head" (null when unborn),
 *  "dirty" (bool), "changed" (tracked files changed), "untracked",
 *  "upstream" (null when none), "ahead", "behind" (null without
 *  upstream), "unpushed": [{"id", "subject"}, ...] (at most 20, newest
 *  first)}. *out is NULL for a bare repository.
 */
int gt_work_git_state(cJSON **out, gt_repo *repo);

struct gt_handoff {
	const char *to;           /* whose hook and mailbox (NULL: the acting identity) */
	const char *subject;
	const char *message;      /* what was done, in prose */
	const char *state;        /* current state, or NULL */
	const gt_strlist *done;   /* items done (may be NULL) */
	const gt_strlist *blockers;
	const gt_strlist *next;   /* next steps */
};

/*
 * Handoff: build the record {"subject", "message", "state", "done",
 * "blockers", "next", "from", "to", "created_at", "session", "bead",
 * "git"} (session: the sender's agent session; bead: what is on the
 * sender's hook; git: gt_work_git_state), then in one transaction set it
 * as the "handoff" of the recipient's hook and mail it (kind "handoff").
 * Handing off to another actor moves the hooked bead with it: the
 * sender's hook is emptied, the recipient's gets the bead (refused,
 * GT_EREFUSED, when it holds another) and the bead's assignee follows.
 * *record (may be NULL; caller deletes) gets the record.
 */
int gt_work_handoff(cJSON **record, gt_repo *repo, const struct gt_handoff *h);

/*
 * What is on actor's hook, as gt hook --json prints it: every key of
 * {"actor", "bead", "title", "status", "slung_by", "slung_at",
 * "convoy", "handoff"} present, null where absent (title and status
 * from the bead). *empty is 1 when no bead is hooked.
 */
int gt_work_hook_view(cJSON **out, int *empty, gt_repo *repo, const char *actor);

#endif
