#ifndef GT_ENTITY_H
#define GT_ENTITY_H

#include <cJSON.h>
#include <git2.h>
#include <stdint.h>
#include "repo.h"

/*
 * The entity core: every entity (bead, hook, mailbox, convoy, agent) is a
 * chain of commits under one ref. Each commit's tree holds
 *
 *   op.json       the operation: {"type","clock","time","actor","changes":[...]}
 *   <name>.json   the full snapshot after it (a cache of the replay)
 *
 * An operation is a list of field-level changes, applied in order:
 *
 *   {"set":"title","value":"New"}         single value, last writer wins
 *   {"unset":"assignee"}                   remove a field
 *   {"add":"labels","value":"bug"}         set element (replaces a match)
 *   {"add":"dependencies","value":{...},"match":{"type":"blocks","depends_on_id":"x"}}
 *   {"remove":"labels","match":"bug"}      remove matching set elements
 *   {"append":"comments","value":{...}}    lists that only accumulate
 *   {"tombstone":true}                     deletion, as an operation
 *
 * A string match equals a string element; an object match matches an
 * element whose members include all of the match's members. Changes
 * of a kind this version does not know are kept in op.json and skipped
 * on replay; snapshot members it does not know are kept as they are.
 *
 * Ordering: each operation carries a Lamport clock, one more than the
 * highest clock among its parents. The state of any commit is the replay
 * of every operation in its ancestry in (clock, time, actor, commit id)
 * order, so it depends only on the set of operations: merging is a union.
 */

typedef struct gt_entity_type {
	const char *name;       /* "bead": snapshot "bead.json", ops "bead.*" */
	const char *ref_prefix; /* "refs/gastown/beads/" */
	/*
	 * Optional: add to op the changes, beyond the generic ones, that
	 * renaming an entity from old_id to new_id needs (a bead rewrites
	 * the issue_id of its own dependencies). snapshot is the state.
	 */
	void (*rename)(cJSON *op, const cJSON *snapshot, const char *old_id,
		       const char *new_id);
	/*
	 * Nonzero when the id names the entity itself (an actor's hook,
	 * mailbox, agent record): two histories of one id that share no
	 * root (the first mail to an actor sent on two clones) are one
	 * entity and merge, instead of being told apart and renamed as two
	 * beads that were given one id are.
	 */
	int keyed;
} gt_entity_type;

#define GT_OP_FILE "op.json"
#define GT_TOMBSTONE_KEY "tombstone"

/* --- operations --------------------------------------------------------- */

/* A new operation {"type": type, "changes": []}. */
cJSON *gt_op_new(const char *type);
/* The changes below take ownership of value and match. */
void gt_op_set(cJSON *op, const char *field, cJSON *value);
void gt_op_set_str(cJSON *op, const char *field, const char *s);
void gt_op_unset(cJSON *op, const char *field);
void gt_op_add(cJSON *op, const char *field, cJSON *value, cJSON *match);
void gt_op_remove(cJSON *op, const char *field, cJSON *match);
void gt_op_append(cJSON *op, const char *field, cJSON *value);
void gt_op_tombstone(cJSON *op);
/* Number of changes in op. */
int gt_op_change_count(const cJSON *op);

/*
 * Apply op's changes to snapshot in place. Unknown change kinds are
 * skipped. Returns 0, or GT_EINVALID when op is not an operation.
 */
int gt_op_apply(cJSON *snapshot, const cJSON *op);

/* --- reading ------------------------------------------------------------ */

typedef struct gt_entity {
	char *id;
	char *refname;
	git_oid tip;       /* the commit the ref points to */
	cJSON *snapshot;   /* the state after the tip */
	cJSON *op;         /* the tip's operation */
	uint64_t clock;    /* the tip's Lamport clock */
} gt_entity;

/* Full ref name of an entity ("refs/gastown/beads/<id>"); caller frees. */
char *gt_entity_refname(const gt_entity_type *type, const char *id);

/*
 * Read the current state of an entity. GT_ENOTFOUND when the ref does not
 * exist, GT_ECORRUPT when it points at something that is not an entity
 * commit (a blob, a tree without the snapshot, JSON that does not parse).
 */
int gt_entity_read(gt_entity **out, gt_repo *repo, const gt_entity_type *type,
		   const char *id);
/* The same for a given commit. */
int gt_entity_read_commit(gt_entity **out, gt_repo *repo,
			  const gt_entity_type *type, const git_oid *commit);
void gt_entity_free(gt_entity *e);

/* Read only the snapshot blob of a commit (the fast path for listings). */
int gt_entity_read_snapshot(cJSON **out, git_repository *git,
			    const gt_entity_type *type, const git_oid *commit,
			    const char *what);

/*
 * Recompute the snapshot of commit from its operations alone (the check
 * that fsck makes, and the heart of merging): replay every operation in
 * the commit's ancestry in (clock, time, actor, commit id) order on an
 * empty object.
 */
int gt_entity_replay(cJSON **out, gt_repo *repo, const git_oid *commit);
/* The same over the union of the ancestries of heads[0..n). */
int gt_entity_replay_heads(cJSON **out, gt_repo *repo, const git_oid *heads, size_t n);

/* Call cb for every entity ref of type (id, tip); stops on nonzero. */
typedef int (*gt_entity_ref_cb)(const char *refname, const char *id,
				const git_oid *tip, void *payload);
int gt_entity_foreach_ref(gt_repo *repo, const gt_entity_type *type,
			  gt_entity_ref_cb cb, void *payload);

/* --- writing ------------------------------------------------------------ */

/*
 * Builds the operation to apply given the current state (NULL when the
 * entity does not exist yet). Called again after a lost race, with the
 * new state, so it must decide from current alone. Set *op_out to NULL
 * for "nothing to change". A negative return aborts the whole write.
 */
typedef int (*gt_entity_build_cb)(cJSON **op_out, const cJSON *current,
				  const char *id, void *payload);

enum {
	GT_WRITE_CREATE = 1 << 0, /* the entity must not exist (GT_EEXISTS) */
	GT_WRITE_UPSERT = 1 << 1, /* create it or update it */
	/* default: the entity must exist (GT_ENOTFOUND) */
};

typedef struct gt_entity_write {
	const gt_entity_type *type;
	const char *id;
	unsigned flags;
	gt_entity_build_cb build;
	void *payload;
	/* results */
	int changed;        /* 1 when a commit was written */
	git_oid new_tip;
	uint64_t clock;
} gt_entity_write;

/*
 * Apply the writes as one transaction: every ref moves or none does.
 * Compare-and-swap: the refs move only if they still point where they
 * were read; otherwise everything is re-read and rebuilt (the callbacks
 * run again), up to a bound. A crash at any instant leaves each ref on a
 * complete commit; a crash in the middle of a multi-ref commit is rolled
 * forward by the next writer (see txn.h).
 */
int gt_entity_write_many(gt_repo *repo, gt_entity_write *writes, size_t n);
int gt_entity_write_one(gt_repo *repo, gt_entity_write *w);

/*
 * Lower-level pieces for bulk writers (import) that build many commits
 * without moving refs one by one.
 *
 * gt_entity_stamp_op: the operation as stored, with clock, time (ms) and
 * actor first; consumes op and returns the stamped copy.
 * gt_entity_commit: write the blobs, tree and commit of one operation
 * (parent NULL for the first) with snapshot as the state after it;
 * *message (caller frees) receives the commit message.
 */
cJSON *gt_entity_stamp_op(cJSON *op, uint64_t clock, int64_t time_ms,
			  const char *actor);
int gt_entity_commit(git_oid *out, char **message, gt_repo *repo,
		     const gt_entity_type *type, const char *id,
		     const git_oid *parent, const cJSON *op,
		     const cJSON *snapshot);

/*
 * Commits made by sync rather than by an actor: their author is
 * GT_MERGE_ACTOR and every field derives from their inputs, so that
 * every clone that makes the same merge or rename writes the same commit.
 *
 * gt_entity_commit_merge: a merge of heads[0..n) (n >= 2): parents in
 * object id order, the snapshot their joint replay, the operation
 * {"type":"merge"} with no changes, clock one more than the highest
 * head's, time the latest head's. No ref moves.
 *
 * gt_entity_commit_op_on: op (consumed) as a new commit on tip, stamped
 * with clock + 1 and tip's own time, snapshot tip's state after op.
 */
#define GT_MERGE_ACTOR "gastown"

/*
 * Whether actor may author operations: GT_MERGE_ACTOR is reserved for
 * the commits sync derives (servers refuse any other by that name).
 * Returns 0, or GT_EINVALID saying so.
 */
int gt_entity_check_actor(const char *actor);
int gt_entity_commit_merge(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			   const char *id, const git_oid *heads, size_t n);
int gt_entity_commit_op_on(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			   const char *id, const git_oid *tip, cJSON *op);
/*
 * The ids of the commits the two above would make, computed without
 * writing anything (how a server checks that a commit by GT_MERGE_ACTOR
 * is the one its inputs give). Same parameters and returns.
 */
int gt_entity_hash_merge(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			 const char *id, const git_oid *heads, size_t n);
int gt_entity_hash_op_on(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			 const char *id, const git_oid *tip, cJSON *op);

/*
 * The operation that renames an entity whose state is snapshot from
 * old_id to new_id (sync's answer to two entities given one id): "id"
 * set to new_id when the snapshot has one, old_id added to "aliases",
 * then the type's own rename changes. The caller owns the result.
 */
cJSON *gt_entity_rename_op(const gt_entity_type *type, const cJSON *snapshot,
			   const char *old_id, const char *new_id);

/*
 * A new hash id "<prefix>-<base36>" for an entity of type: a hash of
 * seed_text (a title), the actor, the time and values unique to the
 * process, four base-36 digits when that id is free, one more digit per
 * collision (up to twelve). *out is malloc()ed. GT_EEXISTS when all are
 * taken.
 */
int gt_entity_new_id(char **out, gt_repo *repo, const gt_entity_type *type,
		     const char *prefix, const char *seed_text);

/* Valid entity id: [A-Za-z0-9][A-Za-z0-9._-]*, no "..", no ".lock" end, <= 200. */
int gt_entity_id_valid(const char *id);

#endif
