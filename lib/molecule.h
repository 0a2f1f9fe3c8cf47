#ifndef GT_MOLECULE_H
#define GT_MOLECULE_H

#include <cJSON.h>
#include "parse-options.h"
#include "repo.h"

/*
 * Molecules: a protomolecule (see formula.h) poured into real beads, a
 * parent bead (issue_type "molecule", members "formula", "proto" when
 * poured from a stored proto, "mol_vars", "attached_to" when attached)
 * and one child bead per step, "<parent>.<n>" in step order (member
 * "mol_step": the step id), with a "blocks" dependency on the child of
 * every step it needs. The parent is not work, so `gt ready` lists the
 * steps, not the molecule.
 *
 * A poured molecule lives in the shared ledger (refs/gastown/beads/).
 * A wisp is the same under refs/gastown-local/beads/ (gt_wisp_type),
 * with "ephemeral": true on every bead and a parent id
 * "<prefix>-wisp-<base36>": never published, never pushed. Squashing a
 * wisp records a closed digest bead in the shared ledger and removes the
 * wisp's refs; burning removes them with no record.
 */

/*
 * Pour proto (not consumed) as one transaction: every bead, and with
 * attach, the member "molecule" of bead attach (which must not have one
 * already: GT_EREFUSED). wisp: 1 for a wisp. *id_out (caller frees)
 * receives the parent's id.
 */
int gt_mol_pour(char **id_out, gt_repo *repo, const cJSON *proto, int wisp,
		const char *attach);

typedef enum gt_mol_state {
	GT_STEP_DONE,      /* closed */
	GT_STEP_READY,     /* open, and every step it needs is closed */
	GT_STEP_ACTIVE,    /* in_progress or hooked */
	GT_STEP_BLOCKED,   /* waiting on a step it needs (or another status) */
} gt_mol_state;
const char *gt_mol_state_name(gt_mol_state s); /* done, ready, active, blocked */

typedef struct gt_mol_step {
	char *id;          /* the bead: "<parent>.<n>" */
	char *step;        /* the formula's step id */
	char *title;
	char *status;
	gt_mol_state state;
	gt_strlist waiting; /* ids of the steps not closed that it needs */
} gt_mol_step;

typedef struct gt_mol {
	char *id;
	int wisp;
	cJSON *bead;       /* the parent's snapshot */
	gt_mol_step *steps;
	size_t nsteps;
	size_t count[4];   /* steps in each state */
} gt_mol;

/*
 * Read molecule id with its steps and their states. GT_ENOTFOUND when
 * there is no such bead, GT_EINVALID when it is not a molecule.
 */
int gt_mol_read(gt_mol **out, gt_repo *repo, const char *id);
void gt_mol_free(gt_mol *m);

/* Ids of every molecule: the poured ones (sorted), then the wisps (sorted). */
int gt_mol_list(gt_strlist *out, gt_repo *repo);

/*
 * Squash wisp id: one transaction writes a closed digest bead in the
 * shared ledger (title "Digest: <title>", issue_type "digest", the
 * summary or a list of the steps as description, "squashed_from": id,
 * "digest": the steps and their statuses) and clears the member
 * "molecule" of the bead it was attached to; then the wisp's refs are
 * removed. GT_EREFUSED for a poured molecule (it keeps its history: no
 * squash). *digest_out (caller frees) receives the digest's id.
 */
int gt_mol_squash(char **digest_out, gt_repo *repo, const char *id, const char *summary);

/* Burn wisp id: detach it, remove its refs. GT_EREFUSED when not a wisp. */
int gt_mol_burn(gt_repo *repo, const char *id);

#endif
