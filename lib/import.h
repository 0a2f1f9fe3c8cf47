#ifndef GT_IMPORT_H
#define GT_IMPORT_H

#include <stddef.h>
#include "repo.h"

/*
 * gt import: beads JSONL (one JSON object per line, the dialect of the
 * beads project's issues.jsonl) into beads.
 *
 * What a line becomes. Every object is one bead whose snapshot is
 * exactly the object: every member is kept, in its order, and no
 * default is added. A new bead gets one commit whose operation has the
 * type "bead.import", clock 1, and a "set" change for each member. When
 * a bead with the id already exists, the import updates it: one
 * "bead.import" operation on top of its chain (clock one more than the
 * tip's) sets the members whose value differs and unsets the members the
 * line no longer has; a bead that is already equal to its line (member
 * order aside) gets no commit. Importing the same file twice therefore
 * changes nothing the second time. Members kept by an update keep their
 * place in the snapshot and new members go to the end. A deleted bead
 * ("tombstone": true) named by a line without that member is restored:
 * the file says what the bead is.
 *
 * Checks, all made before anything is written, so that a bad file
 * imports nothing. Each error names the input and the line:
 *   malformed JSON in <file> line N            (also ": invalid UTF-8",
 *                                                ": NUL byte", ...)
 *   not a JSON object in <file> line N
 *   missing id in <file> line N
 *   invalid bead id '<id>' in <file> line N
 *   duplicate id '<id>' in <file> lines M and N
 *   invalid bead in <file> line N: <what gt_bead_validate() says>
 * Blank lines are skipped (they still count in line numbers). Member
 * names must be unique within a line. Dependencies may name beads that
 * do not exist (dangling, as in a partial export), and a depends_on_id
 * of the form "external:<project>:<id>" (beads' cross-project links) is
 * accepted.
 *
 * Numbers. cJSON keeps every number as an IEEE double and prints it
 * with at most 15 significant digits when that reads back within a
 * relative DBL_EPSILON. So an integer beyond 2^53-1 (9007199254740993
 * would become 9007199254740992), or any number whose 16th or 17th
 * significant digit cJSON would drop (9007199254740991, 0.1 + 0.2 as
 * 0.30000000000000004, pi to 16 digits) would not come back as it
 * went in: a line holding such a number, or one that overflows to
 * infinity, is refused as malformed rather than silently changed.
 * Numbers of up to 15 significant digits within +-(2^53-1) round-trip
 * in value; they are written back in cJSON's form ("1.50" comes back
 * as 1.5, "1e2" as 100, "1.5e-7" as 1.5e-07). The files of the beads
 * and Gas Town projects hold only small integers (0 to 11).
 *
 * How it is written. All objects (blobs, trees, commits) are first
 * built in memory (libgit2's mempack backend on a second handle of the
 * repository, so the caller's handle is never affected) and then
 * written as ONE pack with its index into objects/pack, fsync()ed,
 * without a single loose object. The refs are then moved together by
 * rewriting packed-refs, the way git's own ref transactions and
 * pack-refs do, under git's locks:
 *
 *   1. take <ref>.lock (O_EXCL) for every ref that moves, in name order:
 *      every git, libgit2 and gt writer of that ref now fails to lock it
 *      and retries (gt) or reports the lock (git);
 *   2. take packed-refs.lock, read packed-refs and every loose ref, and
 *      check that each ref still has the value the import was built on
 *      (compare-and-swap: for a new bead, that it still does not exist);
 *   3. write the new packed-refs (old entries kept verbatim) to the lock
 *      file, fsync it and rename it over packed-refs: the single atomic
 *      step at which every new bead appears at once;
 *   4. remove the loose files of updated refs (their new value is now
 *      packed; until then a reader sees the old, complete, value), then
 *      the lock files.
 *
 * A ref that moved between reading and locking (another writer got
 * there first) is re-read and its bead rebuilt on the new state, and the
 * locking is retried; a ref that stays locked is waited for, a lock
 * older than core.staleLockSeconds is broken as a crashed process's.
 *
 * Crash safety: a crash before step 3 leaves every ref as it was (and
 * an unreferenced pack that git gc removes); after step 3 every new bead
 * exists; a crash during step 4 can leave some updated beads at their
 * old, complete, commit: run the import again (it is idempotent). Lock
 * files of a crashed import are broken as stale by the next gt writer
 * after core.staleLockSeconds. No reflog entries are written.
 */

typedef enum gt_import_status {
	GT_IMPORT_NEW,       /* the bead was created */
	GT_IMPORT_UPDATED,   /* an existing bead was changed */
	GT_IMPORT_UNCHANGED, /* it was already equal to its line */
} gt_import_status;

/* Called while building: done of total beads processed so far. */
typedef void (*gt_import_progress_cb)(size_t done, size_t total,
				      void *payload);
/* Called once per bead, in file order, after the refs have moved. */
typedef void (*gt_import_bead_cb)(const char *id, gt_import_status status,
				  void *payload);

typedef struct gt_import_opts {
	int create_only;                /* GT_EEXISTS if any id exists */
	gt_import_progress_cb progress; /* may be NULL */
	gt_import_bead_cb each;         /* may be NULL */
	void *payload;                  /* for both callbacks */
} gt_import_opts;
#define GT_IMPORT_OPTS_INIT { 0, NULL, NULL, NULL }

typedef struct gt_import_stats {
	size_t total;      /* beads (non-blank lines) in the input */
	size_t created;
	size_t updated;
	size_t unchanged;
} gt_import_stats;

/*
 * Import buf[0..len), named name in messages ("<stdin>", a path).
 * stats (may be NULL) receives the counts. opts may be NULL.
 * Returns 0; GT_EINVALID for a bad line (nothing written); GT_EEXISTS
 * with create_only when an id exists; GT_ELOCKED when a ref or
 * packed-refs stays locked; GT_ECONFLICT when other writers keep
 * winning; GT_ERROR for I/O and libgit2 failures.
 */
int gt_import_buffer(gt_import_stats *stats, gt_repo *repo, const char *buf,
		     size_t len, const char *name, const gt_import_opts *opts);

/*
 * Import the file at path ("-": standard input, named "<stdin>").
 * GT_ENOTFOUND when the file does not exist, GT_ERROR when it cannot be
 * read; otherwise as gt_import_buffer().
 */
int gt_import_file(gt_import_stats *stats, gt_repo *repo, const char *path,
		   const gt_import_opts *opts);

#endif
