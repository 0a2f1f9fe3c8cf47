#ifndef GT_INDEX_H
#define GT_INDEX_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include "parse-options.h"
#include "repo.h"

/*
 * The listing index: every bead of the ledger with the fields that
 * listing, filtering and readiness need, plus its compact snapshot JSON,
 * loaded without reading a blob or parsing JSON when nothing changed.
 *
 * It is backed by a local cache, $GIT_COMMON_DIR/gastown/beads.idx
 * (shared by every worktree, never synced), whose records are keyed by
 * the tip commit of each bead ref, so the cache can never be stale:
 * every load lists the refs under refs/gastown/beads/ (ids and tips),
 * merge-joins them with the cached records (both sorted by id), reads
 * the snapshot blob only for refs that are new or whose tip moved, drops
 * the records of refs that disappeared, and replaces the cache file
 * atomically (a temporary file renamed over it) only when something
 * changed. A missing, truncated, foreign-version or garbage cache file is
 * rebuilt silently; a cache that cannot be written (read-only
 * repository) is not an error either. The file format is described in
 * lib/index.c and Documentation/gastown-format.txt.
 *
 * Tombstoned beads ("tombstone": true) are not entries: they are never
 * listed and gt_index_find() does not find them. Beads whose ref does not
 * lead to a readable snapshot (not a commit, no bead.json, bad JSON) are
 * not entries either; they are reported apart (gt_index_damaged_*) so
 * that a command can warn about them, and are re-read on every load.
 */

typedef struct gt_index gt_index;

/* A dependency as the index keeps it: (type, depends_on_id). */
typedef struct gt_index_dep {
	const char *type;           /* NULL when the dependency has none */
	const char *depends_on_id;
} gt_index_dep;

/*
 * One bead. Every pointer points into memory owned by the gt_index and
 * stays valid until gt_index_free(). A string member that the snapshot
 * lacks (or holds as something other than a string) is NULL.
 */
typedef struct gt_index_entry {
	const char *id;             /* the ref's id (refs/gastown/beads/<id>) */
	git_oid tip;                /* the commit the ref points to */
	const char *status;
	int priority;               /* -1 when absent or not an integer */
	const char *issue_type;
	const char *assignee;
	const char *parent;         /* the "parent" member */
	const char *created_at;
	const char *updated_at;
	const char *closed_at;
	int64_t created_ms;         /* created_at parsed; INT64_MAX if absent or invalid */
	int64_t updated_ms;         /* updated_at parsed; INT64_MAX if absent or invalid */
	const char *title;
	const char *const *labels;  /* nlabels strings */
	size_t nlabels;
	const gt_index_dep *deps;   /* ndeps dependencies, in snapshot order */
	size_t ndeps;
	const char *json;           /* the compact snapshot, every member */
	size_t json_len;
	const char *error;          /* damaged entries only: what is wrong */
} gt_index_entry;

/* Flags of gt_index_load_ext(). */
enum {
	/* list refs through libgit2's iterator, not the fast files reader */
	GT_INDEX_LIBGIT2_REFS = 1 << 0,
	/* neither read nor write the cache file: read every snapshot */
	GT_INDEX_NO_CACHE = 1 << 1,
	/*
	 * index the wisps (refs/gastown-local/beads/, see bead.h) instead of
	 * the shared beads: few, local, so always read afresh (no cache)
	 */
	GT_INDEX_WISPS = 1 << 2,
};

/* What the last load did (for tests and benchmarks). */
typedef struct gt_index_stats {
	size_t refs;        /* bead refs found */
	size_t cached;      /* valid records found in the cache file */
	size_t reused;      /* records taken from the cache unchanged */
	size_t read;        /* snapshots read from the object database */
	size_t dropped;     /* cached records whose ref is gone */
	int cache_valid;    /* 1 when the cache file existed and was well-formed */
	int rewritten;      /* 1 when the cache file was replaced */
	int fast_refs;      /* 1 when refs were listed by the files reader */
} gt_index_stats;

/*
 * Load the index of repo's beads, bringing the cache up to date.
 * out: receives the index; the caller frees it with gt_index_free().
 * Returns 0, or a negative GT_E* code when the refs cannot be listed
 * (a libgit2 failure, message kept). Damaged beads and any trouble with
 * the cache file are not errors.
 */
int gt_index_load(gt_index **out, gt_repo *repo);

/* The same with GT_INDEX_* flags. */
int gt_index_load_ext(gt_index **out, gt_repo *repo, unsigned flags);

/* Free an index and everything its entries point to; NULL is fine. */
void gt_index_free(gt_index *ix);

/* Number of (live) entries. */
size_t gt_index_count(const gt_index *ix);

/*
 * Entry i (0 <= i < count), in ascending id order (bytewise). The
 * pointer is owned by ix.
 */
const gt_index_entry *gt_index_at(const gt_index *ix, size_t i);

/* The entry with this id, or NULL (binary search; owned by ix). */
const gt_index_entry *gt_index_find(const gt_index *ix, const char *id);

/* Position of an entry of ix (the i of gt_index_at). */
size_t gt_index_pos(const gt_index *ix, const gt_index_entry *e);

/*
 * Damaged beads: refs whose snapshot cannot be read. Only id, tip and
 * error are set. Owned by ix.
 */
size_t gt_index_damaged_count(const gt_index *ix);
const gt_index_entry *gt_index_damaged_at(const gt_index *ix, size_t i);

/* What the load did. */
const gt_index_stats *gt_index_get_stats(const gt_index *ix);

/* Path of the cache file (caller frees). */
char *gt_index_path(const gt_repo *repo);

/* --- helpers over entries ------------------------------------------------ */

/*
 * The parent of a bead: the "parent" member when set, otherwise the
 * target of its first parent-child dependency; NULL when neither.
 */
const char *gt_index_entry_parent(const gt_index_entry *e);

/* 1 when e is a child of id (its parent member or any parent-child dependency). */
int gt_index_entry_has_parent(const gt_index_entry *e, const char *id);

/* 1 when e carries label. */
int gt_index_entry_has_label(const gt_index_entry *e, const char *label);

/* 1 when status is "closed". */
int gt_index_entry_is_closed(const gt_index_entry *e);

/*
 * Which entries to keep. Lists are "any of" (NULL or empty: no
 * constraint), except labels: every one must be present.
 */
typedef struct gt_index_filter {
	const gt_strlist *statuses;  /* any of these statuses */
	int include_closed;          /* without statuses: 0 drops closed beads */
	const gt_strlist *types;     /* any of these issue types ("task" when absent) */
	const char *assignee;        /* exactly this assignee; "" for unassigned */
	const gt_strlist *labels;    /* all of these labels */
	int priority;                /* this priority; -1 for any */
	const char *parent;          /* children of this bead */
	/* and a test of the caller's (NULL: none): 1 to keep entry pos */
	int (*accept)(const gt_index_entry *e, size_t pos, void *payload);
	void *payload;
} gt_index_filter;
#define GT_INDEX_FILTER_INIT { NULL, 0, NULL, NULL, NULL, -1, NULL, NULL, NULL }

/* 1 when e passes f. */
int gt_index_filter_match(const gt_index_filter *f, const gt_index_entry *e);

/* Sort orders. */
typedef enum gt_index_sort_key {
	GT_SORT_ID,
	GT_SORT_PRIORITY,
	GT_SORT_CREATED,
	GT_SORT_UPDATED,
	GT_SORT_TITLE,
	GT_SORT_STATUS,
	GT_SORT_READY,     /* priority, then created_at, then id (as beads' ready) */
} gt_index_sort_key;

typedef struct gt_index_sort {
	gt_index_sort_key key;
	int descending;
} gt_index_sort;

/*
 * Parse a --sort value: id, priority, created, updated, title or status,
 * with a leading '-' for descending. Returns 0 or GT_EINVALID (message
 * names the bad value and the valid ones).
 */
int gt_index_sort_parse(gt_index_sort *out, const char *spec);

/*
 * Sort v[0..n), entries of one index, by s; ties are broken by id,
 * ascending (that is, by their place in the index). Absent values
 * (priority, times, title, status) sort after present ones when
 * ascending.
 */
void gt_index_sort_entries(const gt_index_entry **v, size_t n,
			   const gt_index_sort *s);

/*
 * The entries of ix that pass f, sorted by s, at most limit of them (0:
 * no limit). *out receives the array (caller free()s it; the entries
 * belong to ix). Returns the number of entries.
 */
size_t gt_index_select(const gt_index_entry ***out, const gt_index *ix,
		       const gt_index_filter *f, const gt_index_sort *s,
		       size_t limit);

/*
 * Append the values of a repeatable option whose values may also be
 * comma-separated ("--status open,closed --status pinned") to out, one
 * item each, empty pieces dropped.
 */
void gt_index_split_values(gt_strlist *out, const gt_strlist *values);

/* A priority as options take it: "0".."4" or "P0".."P4"; -1 when not one. */
int gt_index_parse_priority(const char *s);

/* --- semi-private: exposed for tests ------------------------------------ */

/*
 * The bead refs, sorted by id (bytewise), one entry per id. fast: 1 to
 * use the files reader (it falls back to libgit2 by itself when the
 * layout is not one it understands); *used_fast says which was used.
 * Free with gt_index__reflist_clear().
 */
typedef struct gt_index__reflist {
	char **ids;
	git_oid *tips;
	size_t n;
	char *arena;    /* the id strings */
} gt_index__reflist;
int gt_index__list_refs(gt_index__reflist *out, gt_repo *repo, int fast,
			int *used_fast);
void gt_index__reflist_clear(gt_index__reflist *l);

#endif
