#ifndef GT_FORMULA_H
#define GT_FORMULA_H

#include <cJSON.h>
#include "entity.h"
#include "parse-options.h"
#include "repo.h"

/*
 * Formulas: workflow templates, INI files read with inih (the format is
 * Documentation/gastown-formula.txt):
 *
 *   [formula]        name, description, version, type
 *   [var "<name>"]   description, default, required, allowed, pattern
 *   [step "<id>"]    title, description, needs, type, priority, labels,
 *                    assignee, acceptance
 *
 * Every problem found while reading or checking a formula is appended to
 * a problem list as one line "<origin>:<line>: <message>", so that
 * `gt formula validate` names them all; the functions then return
 * GT_EINVALID with the first problem as the last error.
 *
 * Formulas are found by name in, in this order:
 *   1. the repository's formula folder  <work tree>/.gastown/formulas/
 *   2. the user's                       $XDG_CONFIG_HOME/gastown/formulas/
 *                                       (~/.config/gastown/formulas/)
 *   3. the shared ledger                refs/gastown/formulas/<name>
 * as the file <name>.formula.ini (1, 2) or the formula entity (3).
 *
 * Cooking resolves the variables and checks the step graph: the result,
 * a protomolecule, is a JSON object
 *
 *   {"id", "formula", "version", "type", "description", "source",
 *    "vars": {name: value}, "steps": [{"id", "title", "description",
 *    "needs": [...], "type", "priority", "labels": [...], "assignee",
 *    "acceptance"}]}
 *
 * (members absent when a step does not set them), stored for reuse as
 * the entity refs/gastown/protos/<id>.
 */

extern const gt_entity_type gt_formula_type; /* refs/gastown/formulas/<name> */
extern const gt_entity_type gt_proto_type;   /* refs/gastown/protos/<id> */

#define GT_FORMULA_SUFFIX ".formula.ini"

typedef struct gt_formula gt_formula;

/*
 * Parse text (a whole INI file) read from origin (a path, or
 * "ledger:<name>", used in the problem lines). *out receives the
 * formula even when there are problems (NULL only on out of memory);
 * the caller frees it. Problems of syntax (malformed lines, lines over
 * the 198 bytes inih reads, unknown sections and keys, bad values,
 * duplicate steps and variables) are appended to problems. Returns 0 or
 * GT_EINVALID.
 */
int gt_formula_parse(gt_formula **out, gt_strlist *problems, const char *origin,
		     const char *text);
void gt_formula_free(gt_formula *f);

/*
 * Check a parsed formula: a name, at least one step, every need names a
 * step other than itself, no cycle (named with its path "a -> b -> a"),
 * every {{var}} used is declared, defaults within their allowed values
 * and pattern. Problems appended; 0 or GT_EINVALID.
 */
int gt_formula_check(const gt_formula *f, gt_strlist *problems);

/*
 * Resolve the variables from vars ("name=value" strings, as given to
 * --var): every name must be declared, every value within its allowed
 * set and pattern, every required variable must have a value (given or
 * default). *out (may be NULL) receives {name: value} for every
 * declared variable (an optional one without value is ""). Problems
 * appended; 0 or GT_EINVALID.
 */
int gt_formula_resolve(cJSON **out, const gt_formula *f, const gt_strlist *vars,
		       gt_strlist *problems);

/* The formula as JSON (unresolved: {{var}} kept), for `gt formula show`. */
cJSON *gt_formula_to_json(const gt_formula *f);

/* Its name ("" when it has none) and origin. */
const char *gt_formula_name(const gt_formula *f);
const char *gt_formula_origin(const gt_formula *f);

/*
 * Cook: check f, resolve vars, substitute {{var}} in every title,
 * description, assignee, label and acceptance; *out receives the
 * protomolecule (without "id"; caller cJSON_Delete()s it). Problems
 * appended; 0 or GT_EINVALID.
 */
int gt_formula_cook(cJSON **out, const gt_formula *f, const gt_strlist *vars,
		    gt_strlist *problems);

/* Where a formula was found. */
typedef enum gt_formula_place {
	GT_FORMULA_REPO,
	GT_FORMULA_USER,
	GT_FORMULA_LEDGER,
	GT_FORMULA_PATH,   /* given as a path */
} gt_formula_place;
const char *gt_formula_place_name(gt_formula_place p); /* repo, user, ledger, path */

/*
 * The folder of place (repo, user) in repo, or NULL when there is none
 * (a bare repository has no work tree). Caller frees.
 */
char *gt_formula_dir(gt_repo *repo, gt_formula_place place);

/*
 * Load a formula by name along the search path, or from a file when
 * name contains '/' or ends in ".ini". *text_out (may be NULL) receives
 * the INI text, *place_out (may be NULL) where it was found. Parse
 * problems are appended; GT_ENOTFOUND when no place has it (the message
 * says where it looked), GT_EINVALID for a bad name or bad formula.
 */
int gt_formula_load(gt_formula **out, char **text_out, gt_formula_place *place_out,
		    gt_repo *repo, const char *name, gt_strlist *problems);

/* One formula of the search path, as listed. */
typedef struct gt_formula_entry {
	char *name;
	char *origin;            /* the file, or "refs/gastown/formulas/<name>" */
	gt_formula_place place;
	int shadowed;            /* an earlier place has the same name */
} gt_formula_entry;

/*
 * Every formula of the search path, in place order then name order;
 * *out (free with gt_formula_entries_free) and *n receive them.
 */
int gt_formula_list(gt_formula_entry **out, size_t *n, gt_repo *repo);
void gt_formula_entries_free(gt_formula_entry *v, size_t n);

/*
 * Publish the formula text under its name in the shared ledger
 * (refs/gastown/formulas/<name>): it must parse and check without a
 * problem. *changed is 0 when the ledger already had that text.
 */
int gt_formula_publish(int *changed, gt_repo *repo, const char *text,
		       const char *origin, gt_strlist *problems);

/*
 * Store a protomolecule (consumed) in the ledger as
 * refs/gastown/protos/<id>, id "<formula>-<first 8 hex digits of the
 * hash of its content>", so cooking the same formula with the same
 * values again finds the same proto and writes nothing. *id_out (caller
 * frees) receives the id; the proto gains "id", "cooked_at" and
 * "cooked_by" on its first cooking.
 */
int gt_proto_store(char **id_out, gt_repo *repo, cJSON *proto);

/* Read a stored proto; GT_ENOTFOUND when there is none. */
int gt_proto_read(cJSON **out, gt_repo *repo, const char *id);

/*
 * What pour and wisp take: the stored proto named what (then vars must be
 * empty), else the formula named what (see gt_formula_load) cooked with
 * vars. *out receives the protomolecule (caller frees). Problems
 * appended; GT_ENOTFOUND, GT_EINVALID.
 */
int gt_formula_prepare(cJSON **out, gt_repo *repo, const char *what,
		       const gt_strlist *vars, gt_strlist *problems);

/*
 * Sort problems[from..] of the file origin by line, stably; those
 * without a line of origin (another origin, the file as a whole) first.
 */
void gt_formula_sort_problems(gt_strlist *problems, size_t from, const char *origin);

/* Substitute {{name}} in s with vars' values (unknown names kept). */
char *gt_formula_expand(const char *s, const cJSON *vars);

#endif
