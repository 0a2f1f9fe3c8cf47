#ifndef GT_MERGE_H
#define GT_MERGE_H

#include <git2.h>
#include <stddef.h>
#include "bulk.h"
#include "repo.h"

/*
 * Merging a remote ledger into the local refs (the heart of gt merge and
 * gt sync). For every ref the remote ledger carries:
 *
 *   - unknown here: the ref is created at the remote tip (new);
 *   - the same tip, or ours descends from theirs: nothing to do;
 *   - theirs descends from ours: the ref moves forward (updated);
 *   - both moved since a common commit: an entity gets a merge commit
 *     (gt_entity_commit_merge: the replay of both sides' operations,
 *     derived only from the two tips, so every clone writes the same
 *     commit); refs/gastown/config and refs of types this version does
 *     not know get a merge commit holding the tree of the side whose tip
 *     is newer (committer time, then object id): last writer wins for
 *     the value as a whole (merged);
 *   - no common commit: two different entities were given the same id
 *     on two clones. The one whose first commit is older (time, then
 *     object id) keeps the id; the other is renamed (renamed) to
 *     "<id>-<suffix>", the suffix the first base36 digits of its first
 *     commit's id (4, or more while that name is taken by yet another
 *     entity), by a rename commit that every clone derives the same way:
 *     its snapshot gets the new id and the old one in "aliases".
 *     Beads whose dependencies or parent name the old id and were
 *     written on the clone that made the renamed bead (their operation
 *     recorded the renamed bead's history as the target) follow it.
 *
 * Refs move together under compare-and-swap; a local writer that moves
 * a ref meanwhile makes the merge start again. Afterwards the local
 * ledger ref (refs/gastown/ledger) is brought up to date: set to the
 * remote ledger when the local state is exactly it, otherwise a new
 * ledger commit with the previous one and the remote one as parents.
 */

typedef enum gt_merge_event {
	GT_MERGE_NEW,
	GT_MERGE_UPDATED,
	GT_MERGE_MERGED,
	GT_MERGE_RENAMED,   /* refname was renamed to detail */
	GT_MERGE_FOLLOWED,  /* refname's reference to an id was rewritten */
} gt_merge_event;

/* Called once per change; detail is the new name for GT_MERGE_RENAMED. */
typedef void (*gt_merge_report_cb)(gt_merge_event ev, const char *refname,
				   const char *detail, void *payload);
/* Called while merging: done of total refs examined. */
typedef void (*gt_merge_progress_cb)(size_t done, size_t total, void *payload);

typedef struct gt_merge_stats {
	size_t new_refs, updated, merged, renamed, followed;
	int ledger_changed;   /* refs/gastown/ledger moved */
} gt_merge_stats;

/*
 * What a sync does while git fetch runs, since it needs nothing the
 * fetch brings (gt_merge_prepare): copy into memory, compressed, the
 * loose objects of the local changes since the published ledger, which
 * the merge would otherwise copy and compress for the push
 * (gt_bulk_take_loose) once the fetch is over.
 */
typedef struct gt_merge_prep {
	/*
	 * Open, until a merge takes it; on the heap, since its object
	 * store's backends point at it.
	 */
	gt_bulk *bulk;
} gt_merge_prep;

/* Only ever a speed-up: any failure leaves p->bulk NULL, and says nothing. */
void gt_merge_prepare(gt_merge_prep *p, gt_repo *repo);
/* Release what no merge took (a zeroed *p is fine). */
void gt_merge_prep_release(gt_merge_prep *p);

typedef struct gt_merge_opts {
	gt_merge_report_cb report;     /* may be NULL */
	gt_merge_progress_cb progress; /* may be NULL */
	void *payload;
	gt_merge_prep *prep;           /* may be NULL: the first attempt starts from it */
} gt_merge_opts;

/*
 * Merge the ledger commit remote (NULL: none, only bring the local
 * ledger ref up to date with the local refs) into the local refs.
 * stats and opts may be NULL. Returns 0 or a GT_E* code (GT_ECORRUPT for
 * a remote ledger that is not one, with nothing changed).
 */
int gt_merge_ledger(gt_merge_stats *stats, gt_repo *repo, const git_oid *remote,
		    const gt_merge_opts *opts);

/*
 * The first commit of the history of tip, following first parents:
 * what tells two entities with the same id apart.
 */
int gt_merge_root(git_oid *out, gt_repo *repo, const git_oid *tip);

/*
 * Negative when the commit a is older than b, by (commit time, object
 * id): of two entities given one id, the one whose first commit is
 * older keeps it.
 */
int gt_merge_cmp_age(gt_repo *repo, const git_oid *a, const git_oid *b);

/*
 * The first n base36 digits of root (out holds n + 1 bytes): the suffix
 * of the name a merge gives a renamed entity whose first commit is root,
 * n from GT_MERGE_SUFFIX_MIN, growing by 2 while the name is taken, up to
 * GT_MERGE_SUFFIX_MAX.
 */
#define GT_MERGE_SUFFIX_MIN 4
#define GT_MERGE_SUFFIX_MAX 16
void gt_merge_rename_suffix(char *out, size_t n, const git_oid *root);

/*
 * Whether renamed is a name that a merge gives the entity at refname
 * whose first commit is root when it loses its id: "<refname>-<suffix>",
 * the suffix 4, 6, ... or 16 base36 digits of root.
 */
int gt_merge_is_rename(const char *renamed, const char *refname, const git_oid *root);

#endif
