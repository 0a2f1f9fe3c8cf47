#ifndef GT_BULK_H
#define GT_BULK_H

#include <git2.h>
#include <zlib.h>
#include <stddef.h>
#include "repo.h"

/*
 * Many new objects written as one pack instead of one loose file each
 * (import writes five objects a bead; a merge writes the ledger's
 * changed shards and any merge commits). Loose files cost a create, a
 * link and an unlink each here, and every later reader (git push's
 * pack-objects reads each object it sends three times) opens them
 * again; a pack is three files and is read through one mapping.
 *
 * gt_bulk_open makes a second handle of the repository (b->repo) whose
 * object writes go to memory; reads fall through to the repository.
 * Refs read and written through it are the repository's. Nothing
 * written through it exists on disk until gt_bulk_flush, which must
 * come before any ref points at those objects. Write with git_odb_write
 * (trees and commits through libgit2 do): libgit2's blob functions open
 * a write stream, which the handle does not serve.
 */
typedef struct gt_bulk {
	gt_repo *repo;            /* the handle: use it for every object */
	git_odb_backend *mempack; /* owned by the handle's odb */
	git_oid *commits;         /* added since the last flush */
	size_t nr, alloc;
	git_oid *written;         /* objects written and not yet compressed */
	size_t nwritten, written_alloc;
	char *loose_dir;          /* gt_bulk_take_loose: "<objects>/", once known */
	git_oid *taken;           /* copied from loose files since the last flush */
	size_t ntaken, taken_alloc;
	z_stream *inflater;       /* gt_bulk_take_loose: one stream, reset per object */
	git_buf pack;             /* the flush's pack so far, without its trailer */
	struct gt_bulk_entry *entries; /* what pack holds, sorted by id */
	size_t nentries, entries_alloc;
	struct libdeflate_compressor *deflater; /* serves every object */
} gt_bulk;

int gt_bulk_open(gt_bulk *b, gt_repo *repo);
void gt_bulk_close(gt_bulk *b);

/*
 * Name a commit whose tree the next flush packs (import: so the pack
 * builder sees paths and pairs like objects for deltas).
 */
void gt_bulk_add_commit(gt_bulk *b, const git_oid *commit);

/*
 * Add to the next flush a copy of the loose objects of the history from
 * start: each commit that is a loose file, its tree and their entries
 * that are loose, then its parents, stopping at a commit in stop (nstop
 * of them) and at one that is not loose (start itself may be packed:
 * its parents are still looked at). For what sync is about to push: git
 * push's pack-objects reads a loose object three times, inflating it and
 * deflating it again, and copies a packed one as it is.
 *
 * Once the flush's pack is on disk, the loose files taken are removed,
 * as git prune-packed would remove them: every later git process that
 * looks objects up (the next fetch's index-pack, the push's
 * pack-objects) lists the loose directories it looks in, and until git
 * gc runs (6,700 loose objects by default) each sync would leave four
 * more a changed bead. Only ever a speed-up: an object that cannot be
 * read, or a loose file that does not hash to its name, is left for git
 * push to read as it would have, and stays.
 */
void gt_bulk_take_loose(gt_bulk *b, gt_repo *main, const git_oid *start,
			const git_oid *stop, size_t nstop);

/*
 * Compress now, into the next flush's pack, every object written since
 * the last flush: work the flush would do, done when it costs nothing
 * (sync does it while git fetch runs). Not for a bulk given commits
 * (gt_bulk_add_commit), whose flush builds its pack with deltas.
 */
int gt_bulk_compress(gt_bulk *b);

/*
 * Write, as one pack with its index in main's object directory, synced
 * to disk: the commits added and their trees when any were added,
 * otherwise every object written through the handle since the last
 * flush. Then memory is emptied. Nothing written: nothing to do.
 */
int gt_bulk_flush(gt_bulk *b, gt_repo *main);

/* Flush, then start afresh (which also drops libgit2's object cache). */
int gt_bulk_cycle(gt_bulk *b, gt_repo *main);

#endif
