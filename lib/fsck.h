#ifndef GT_FSCK_H
#define GT_FSCK_H

#include <git2.h>
#include <stddef.h>
#include "entity.h"
#include "repo.h"

/*
 * Checking the ledger: every ref under refs/gastown/ and
 * refs/gastown-local/, every commit of every entity chain, the
 * transaction journals and the lock files. Every problem found is
 * reported (the check goes on past damage); nothing is printed.
 *
 * Checks made on each entity ref (see Documentation/gt-fsck.txt):
 *
 *  - the ref is a direct ref to a commit (not a symbolic ref, a blob, a
 *    tree, a tag or a missing object) and its name is a valid entity id;
 *  - every commit of the chain is an entity commit: its tree holds
 *    exactly op.json and <type>.json, both blobs;
 *  - both are valid UTF-8 and parse as JSON objects;
 *  - the operation has a type, a clock (an integer >= 1), a time and
 *    an actor;
 *  - clock = 1 + the highest parent clock (1 for the first commit);
 *  - the commit's author is the operation's actor, and the commit time
 *    is the operation's time (in seconds);
 *  - the snapshot equals the replay of the operations (gt_entity_replay).
 *
 * refs/gastown/config must be a commit holding a parsable "config" blob;
 * refs/gastown/ledger must be a ledger commit (gt_ledger_read) whose
 * every entry is a commit that is present. Other refs under the roots that
 * no registered type claims are warned about, not checked.
 *
 * Transaction journals of dead processes are problems (a multi-ref
 * change not rolled forward); lock files older than core.staleLockSeconds
 * are warnings (they hold no data, and writers break them). With repair,
 * journals are rolled forward (gt_txn_recover) and stale locks removed
 * before the refs are checked.
 */

typedef enum gt_fsck_severity {
	GT_FSCK_PROBLEM,   /* damage: fsck fails */
	GT_FSCK_WARNING,   /* worth knowing, not damage */
	GT_FSCK_REPAIRED,  /* what --repair did */
} gt_fsck_severity;

/*
 * Receives one finding: where (a ref name, or a journal's path) and a
 * one-line message (lowercase, no full stop). A nonzero return stops
 * the check (gt_fsck_run then returns it).
 */
typedef int (*gt_fsck_report_cb)(gt_fsck_severity severity, const char *where,
				 const char *message, void *payload);

typedef struct gt_fsck_options {
	int repair;   /* roll journals forward, remove stale lock files */
} gt_fsck_options;

#define GT_FSCK_OPTIONS_INIT { 0 }

typedef struct gt_fsck_stats {
	size_t refs;      /* refs checked */
	size_t commits;   /* entity commits checked */
	size_t problems;
	size_t warnings;
	size_t repaired;
} gt_fsck_stats;

/*
 * Check everything. stats (may be NULL) receives the counts. Returns 0
 * when the check ran to the end (look at stats->problems), the
 * callback's nonzero value when it stopped the check, or a negative
 * GT_E* code when the check itself could not run.
 */
int gt_fsck_run(gt_fsck_stats *stats, gt_repo *repo, const gt_fsck_options *opts,
		gt_fsck_report_cb cb, void *payload);

/*
 * Check one entity chain as if refname pointed at tip (the tip need not
 * be where the ref is: a pre-receive hook checks a proposed new value).
 * Problems are reported under refname; stats are added to.
 */
int gt_fsck_entity(gt_fsck_stats *stats, gt_repo *repo,
		   const gt_entity_type *type, const char *refname,
		   const git_oid *tip, gt_fsck_report_cb cb, void *payload);

#endif
