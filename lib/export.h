#ifndef GT_EXPORT_H
#define GT_EXPORT_H

#include <stddef.h>
#include "repo.h"

/*
 * gt export: beads as beads JSONL, one compact JSON object per line:
 * each bead's snapshot with every member in its stored order, so that
 * gt import of the output gives back the same beads (an import/export
 * round trip keeps every member of every line; see import.h for what
 * happens to numbers).
 *
 * Which beads: every bead in id order (bytewise), or the ids given, in
 * the order given. Deleted beads (snapshot member "tombstone": true)
 * are left out unless all is set; naming a deleted bead without all is
 * an error (GT_ENOTFOUND). Snapshots come from the listing index
 * (index.h), which reads only what changed since its cache was built.
 * A bead whose snapshot cannot be read fails the whole export
 * (GT_ECORRUPT, naming it): a backup must not silently miss a bead.
 */

typedef struct gt_export_opts {
	int all;                 /* include deleted beads */
	const char *const *ids;  /* these beads only, in this order; NULL: all */
	size_t nr_ids;
} gt_export_opts;
#define GT_EXPORT_OPTS_INIT { 0, NULL, 0 }

/*
 * Receives one line (the compact JSON, without its newline; json[len]
 * is '\0'). A nonzero return stops the export, and gt_export() returns
 * it.
 */
typedef int (*gt_export_cb)(const char *json, size_t len, void *payload);

/*
 * Call cb for each bead to export. count (may be NULL) receives the
 * number of lines. With ids, every id is checked before the first line:
 * GT_EINVALID for a malformed id, GT_ENOTFOUND for an unknown or
 * (without all) deleted bead. GT_ECORRUPT for a damaged bead, GT_ERROR
 * for libgit2 failures. opts may be NULL.
 */
int gt_export(size_t *count, gt_repo *repo, const gt_export_opts *opts,
	      gt_export_cb cb, void *payload);

/*
 * The same, written to the file at path atomically: the lines go to a
 * temporary file next to it, which is synced and renamed over path only
 * when everything was written; on any error path is left as it was. A
 * new file gets mode 0666 less the umask, an existing one keeps its
 * mode.
 */
int gt_export_to_file(size_t *count, gt_repo *repo, const gt_export_opts *opts,
		      const char *path);

#endif
