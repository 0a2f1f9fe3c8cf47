#ifndef GT_LEDGER_H
#define GT_LEDGER_H

#include <git2.h>
#include <stddef.h>
#include "repo.h"

/*
 * The published ledger: one ref, refs/gastown/ledger, that carries every
 * shared entity to and from remotes, so that the wire costs what changed
 * rather than what exists (git advertises and compares one ref, not one
 * per bead).
 *
 * A ledger commit's tree maps every shared ref under refs/gastown/
 * (entities, refs/gastown/config; never the ledger itself, never
 * refs/gastown-local/) to its tip, as a gitlink (mode 160000) at
 *
 *   <xx>/<name>      e.g. 3f/beads:bn-a1b2
 *
 * where <name> is the ref name without "refs/gastown/" as one entry
 * name, '/' written ':' (no ref name holds one), and <xx> the first two
 * hex digits of the SHA-1 of the blob holding that relative name
 * ("beads/bn-a1b2"): 256 shards, so that a change rewrites one small
 * tree per changed entity, not one tree listing them all. Older
 * versions wrote the name as directories (3f/beads/bn-a1b2), one more
 * tree an entry for every walk to read and every change to write;
 * readers take both, and gt_ledger_write moves an entry it changes to
 * this layout (see gastown(7) for what it saved).
 *
 * Git does not follow gitlinks, so the entity commits are made reachable
 * (for push, fetch and gc) through parents: the first parent is the
 * previous ledger commit (absent in the first); the other parents are the
 * tips that changed since that previous ledger (and the remote ledger
 * being merged), or, when there are more than GT_LEDGER_MAX_PARENTS of
 * them, "carrier" commits (empty tree, message "ledger: carry"): a chain
 * of carriers, each with up to GT_LEDGER_CARRY_PARENTS parents, the
 * previous carrier and tips (see carry() in ledger.c for why). So the whole history of every
 * entity is reachable from the ledger ref alone, and a push sends exactly
 * the objects that are new since the remote's ledger.
 *
 * A ledger never loses an entry: an entity whose local ref is missing
 * keeps its last published tip.
 */

/*
 * A shard holds its entries flat up to this many; past it, it is split
 * 16 ways by the third hex digit of the names' hashes:
 *
 *   <xx>/<y>/<name>   e.g. 3f/a/beads:bn-a1b2
 *
 * so that a change rewrites small trees however large the ledger grows
 * (at 100k entities a flat shard is ~400 entries, 20 KB). The parts'
 * one-hex-digit names are no carried ref's first component. Entries are
 * never dropped, so a split shard stays split. Readers take either
 * form of any shard; gt writes a shard split once it outgrows the bound.
 *
 * The bound is where a change costs less split than flat. A flat
 * shard's tree is ~37 bytes an entry, of object ids that do not
 * compress, and every pack, index and check handles it whole; a split
 * one adds a tree of 16 parts (~450 bytes) and one more object. At 10k
 * entities (~40 a shard; measured with the bound at 16, which splits
 * all but a few of them as 32 does), 22 paired rounds of 110 changes both ways
 * took a median of 216 ms split against 228 flat, with packs of ~130 KB
 * against ~178 KB; a clone's first sync took ~90 ms more (~790 ms).
 */
#define GT_LEDGER_SHARD_MAX 32

#define GT_LEDGER_MAX_PARENTS 256
/* Parents of a carrier, the previous carrier's included (see carry()). */
#define GT_LEDGER_CARRY_PARENTS 16
#define GT_LEDGER_CARRY_MESSAGE "ledger: carry\n"

typedef struct gt_ledger_entry {
	char *refname;   /* "refs/gastown/beads/bn-a1b2" */
	git_oid tip;
} gt_ledger_entry;

/* A list of entries sorted by refname (bytewise), each name once. */
typedef struct gt_ledger_map {
	gt_ledger_entry *items;
	size_t nr, alloc;
} gt_ledger_map;

#define GT_LEDGER_MAP_INIT { NULL, 0, 0 }

void gt_ledger_map_release(gt_ledger_map *m);
/* Append (refname is copied); call gt_ledger_map_sort after appending. */
void gt_ledger_map_add(gt_ledger_map *m, const char *refname, const git_oid *tip);
void gt_ledger_map_sort(gt_ledger_map *m);
/* The entry for refname, or NULL (binary search). */
const gt_ledger_entry *gt_ledger_map_find(const gt_ledger_map *m, const char *refname);

/* Whether refname belongs in the ledger (shared, not the ledger itself). */
int gt_ledger_carries(const char *refname);

/* The tree path of refname in a flat shard ("3f/beads:bn-a1b2"); caller frees. */
char *gt_ledger_path(const char *refname);
/* ... and in a split one ("3f/a/beads:bn-a1b2"); caller frees. */
char *gt_ledger_split_path(const char *refname);

/*
 * Read the entries of a ledger commit into out (appended, then sorted).
 * GT_ECORRUPT when the commit's tree is not a ledger tree: an entry that
 * is not a gitlink, a path whose shard does not match its name, a name
 * that is not a carried ref.
 */
int gt_ledger_read(gt_ledger_map *out, gt_repo *repo, const git_oid *commit);

/* gt_ledger_diff: check every entry read from b (it came from elsewhere) */
#define GT_LEDGER_CHECK 1

/*
 * The entries in which ledger commit b differs from ledger commit a (a
 * NULL: every entry of b; b NULL: every entry of a): for each ref whose
 * tip differs, or that one side lacks, out_a gets a's entry (when a has
 * one; out_a may be NULL) and out_b b's (when b has one); both sorted.
 * Shards and subtrees with one id on both sides are not read, so the
 * cost is what differs, not the size of the ledgers. With
 * GT_LEDGER_CHECK, the entries read from b are checked as by
 * gt_ledger_read (GT_ECORRUPT); entries of a are trusted: a must be a
 * ledger this repository wrote or checked before, and so must every
 * subtree b shares with it.
 */
int gt_ledger_diff(gt_ledger_map *out_a, gt_ledger_map *out_b, gt_repo *repo,
		   const git_oid *a, const git_oid *b, unsigned flags);

/*
 * The tip the ledger tree gives refname: 1 (into *out), 0 when it has no
 * entry for it, < 0 on a read error. One shard read, not the ledger.
 */
int gt_ledger_lookup(git_oid *out, const git_tree *tree, const char *refname);

/*
 * The number of entries of a ledger commit, as its message ("ledger: N
 * refs") says; GT_ENOTFOUND when the message says none.
 */
int gt_ledger_count(size_t *out, gt_repo *repo, const git_oid *commit);

/*
 * The current local state, sorted: the ref of every entity of a known
 * type, and refs/gastown/config. (Refs of types this version does not
 * know are carried from remotes, never published from here.)
 */
int gt_ledger_local(gt_ledger_map *out, gt_repo *repo);

/*
 * Whether the ledger commit descendant has ancestor (another ledger
 * commit) in its history through ledger commits alone: its first two
 * parents that are ledger commits (a previous ledger, a merged remote
 * one), never the entity tips and carriers beside them, and no commit
 * older than ancestor (a ledger commit is never older than its parents).
 * So the question costs the ledgers between the two, not every entity
 * history (git_graph_descendant_of walks those: 70-95 ms at 10k beads).
 * 1 yes, 0 no (also when either is not a readable commit).
 */
int gt_ledger_descends(gt_repo *repo, const git_oid *descendant, const git_oid *ancestor);

/*
 * Write a ledger commit whose tree is the tree of base (NULL: an empty
 * one) with the entries of changes (sorted: refs whose tip base lacks
 * or has at another commit) set, so that only the shards they fall in
 * are written. parents[0..np) come first (the previous ledger, a merged
 * remote one), then every tip of changes. message is the commit
 * message. *out receives the commit.
 */
int gt_ledger_write(git_oid *out, gt_repo *repo, const gt_ledger_map *changes,
		    const git_oid *base, const git_oid *parents, size_t np, const char *message);

#endif
