#ifndef GT_BEAD_H
#define GT_BEAD_H

#include <cJSON.h>
#include "entity.h"
#include "parse-options.h"
#include "repo.h"

/*
 * Beads: work items, stored through the entity core under
 * refs/gastown/beads/<id>, with snapshots in the beads JSONL dialect
 * (id, title, description, status, priority, issue_type, assignee,
 * labels, dependencies [{issue_id, depends_on_id, type, created_at,
 * created_by}], comments [{id, author, text, created_at}], parent,
 * created_at, updated_at, closed_at, close_reason, ... and any other
 * member, kept as it is).
 */

extern const gt_entity_type gt_bead_type;

/*
 * Wisps: beads kept local only, under refs/gastown-local/beads/<id>
 * (never in the published ledger, so never pushed by sync and never in
 * another clone). Their commits are bead commits (bead.json snapshots);
 * only the ref root differs. The bead functions below that take an
 * existing id (read, update, close, reopen, comment, dep) act on the wisp
 * when no shared bead has that id.
 */
#define GT_WISP_REF_PREFIX "refs/gastown-local/beads/"
/* Every wisp id holds this: "<prefix>-wisp-<base36>[.<n>]" (see molecule.h). */
#define GT_WISP_ID_MARK "-wisp-"
extern const gt_entity_type gt_wisp_type;

/* 1 when id names a wisp (and no shared bead has that id); ids without
 * GT_WISP_ID_MARK are never wisps. */
int gt_bead_is_wisp(gt_repo *repo, const char *id);

#define GT_BEAD_DEFAULT_PRIORITY 2
#define GT_BEAD_DEFAULT_TYPE "task"
#define GT_BEAD_MAX_LABEL 200
#define GT_BEAD_MAX_TEXT (1024 * 1024) /* description, design, comments */

/* Statuses a user may set (beads' set plus gastown's hooked/pinned). */
int gt_bead_status_valid(const char *status);
/* Blocking dependency types: blocks, conditional-blocks, waits-for. */
int gt_bead_dep_blocks(const char *dep_type);
/* Types that are not work and never ready (message, molecule, ...). */
/*
 * The operation by which sync makes a bead follow a renamed one
 * ("bead.follow"): every dependency on old_id in snapshot moved to
 * new_id, and the parent too when it is old_id. The caller owns it.
 */
cJSON *gt_bead_follow_op(const cJSON *snapshot, const char *old_id, const char *new_id);

int gt_bead_type_is_work(const char *issue_type);
/* A dependency type: 1-64 letters, digits, '-' or '_'. */
int gt_bead_dep_type_valid(const char *type);
/*
 * A dependency target: a bead id, or beads' cross-project link
 * "external:<project>:<id>" (never in this ledger, so it never blocks).
 */
int gt_bead_dep_target_valid(const char *target);
/* A bead id: an entity id without '%'. */
int gt_bead_id_valid(const char *id);

/*
 * Check the user-settable members of fields (a JSON object): title
 * (non-empty, one line, at most core.titleLimit bytes), priority (integer
 * 0-4), status, issue_type, labels (strings), dependencies (objects with
 * depends_on_id and type), text members within GT_BEAD_MAX_TEXT. Returns
 * GT_EINVALID naming the member. partial: title may be absent (updates).
 */
int gt_bead_validate(gt_repo *repo, const cJSON *fields, int partial);

/*
 * Create a bead from fields (a JSON object; not consumed). The id is
 * fields.id when present (it must not exist), "<parent>.<n>" when
 * fields.parent is set, or a new hash id "<prefix>-<base36>". Missing
 * members get defaults (status open, priority 2, type task, created_at,
 * updated_at, created_by = actor). A parent adds a parent-child
 * dependency. Each depends_on_id must name an existing bead unless
 * allow_dangling. *id_out (caller frees) receives the id.
 */
int gt_bead_create(char **id_out, gt_repo *repo, const cJSON *fields,
		   int allow_dangling);

/*
 * Create every bead of records (a JSON array of objects) in one
 * transaction: all or none. Records may name each other (as parent or
 * dependency) by given id. The new ids are appended to ids_out in order.
 */
int gt_bead_create_many(gt_strlist *ids_out, gt_repo *repo, const cJSON *records,
			int allow_dangling);

/*
 * The same with options: type is gt_bead_type (NULL) or gt_wisp_type;
 * extra[0..nextra) are further writes made in the same transaction
 * (their results are filled in; they must name other refs).
 */
struct gt_bead_create_opts {
	const gt_entity_type *type;
	int allow_dangling;
	gt_entity_write *extra;
	size_t nextra;
};
int gt_bead_create_many_opts(gt_strlist *ids_out, gt_repo *repo, const cJSON *records,
			     const struct gt_bead_create_opts *opts);

/*
 * Change a bead: set every member of set (null unsets it), add and
 * remove labels. Status changes keep closed_at/close_reason coherent.
 * Returns GT_ENOTFOUND for an unknown id; *changed tells whether a
 * commit was written (an update that changes nothing writes none).
 */
struct gt_bead_update {
	const cJSON *set;          /* may be NULL */
	const gt_strlist *add_labels;
	const gt_strlist *remove_labels;
	const char *op_type;       /* "bead.update" when NULL */
};
int gt_bead_update(int *changed, gt_repo *repo, const char *id,
		   const struct gt_bead_update *u);

/* Close (reason may be NULL) or reopen. GT_EREFUSED when already so. */
int gt_bead_close(gt_repo *repo, const char *id, const char *reason);
int gt_bead_reopen(gt_repo *repo, const char *id);

/* Append a comment by the actor. */
int gt_bead_comment(gt_repo *repo, const char *id, const char *text);
/*
 * Add to op the changes that append a comment (text, by actor, at now)
 * to the bead id whose state is current: for commands that comment as
 * part of a larger operation (gt done).
 */
void gt_bead_op_comment(cJSON *op, const cJSON *current, const char *id,
			const char *actor, const char *text, const char *now);

/*
 * Add a dependency id --type--> depends_on. Refuses (GT_ECYCLE, naming
 * the cycle "a -> b -> a") a blocking edge that closes a cycle of
 * blocking and parent-child edges, an unknown target (GT_ENOTFOUND) and
 * a self-dependency (GT_EINVALID).
 */
int gt_bead_dep_add(gt_repo *repo, const char *id, const char *depends_on,
		    const char *type);
/* Remove it; GT_ENOTFOUND when there is no such dependency. */
int gt_bead_dep_remove(gt_repo *repo, const char *id, const char *depends_on,
		       const char *type);

/* Read the snapshot of a bead (caller cJSON_Delete()s it). */
int gt_bead_read(cJSON **out, gt_repo *repo, const char *id);

/* A new hash id for title: "<prefix>-<base36>", as short as is free. */
int gt_bead_new_id(char **out, gt_repo *repo, const char *title);

#endif
