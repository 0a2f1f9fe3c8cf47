#ifndef GT_LOG_H
#define GT_LOG_H

#include <cJSON.h>
#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include "entity.h"
#include "parse-options.h"
#include "repo.h"

/*
 * The event feed: the union of every entity's history. Each commit of
 * an entity chain is one event (one operation by one actor). Events are
 * delivered newest first, ordered by operation time, then Lamport clock,
 * then commit id (all descending), then ref name.
 *
 * Everything is read in-process; a damaged ref or commit is reported
 * through the warning callback and skipped, and the walk goes on.
 */

typedef struct gt_log_event {
	git_oid commit;
	const char *refname;          /* "refs/gastown/beads/gt-4kq2" */
	const gt_entity_type *type;   /* the entity type */
	const char *id;               /* the entity id ("gt-4kq2") */
	const char *op_type;          /* "bead.create" */
	const char *actor;
	uint64_t clock;
	int64_t time_ms;              /* the operation's time */
	const char *summary;          /* the commit subject after "<op>: <id> " */
	const cJSON *op;              /* the whole op.json; NULL unless want_op */
} gt_log_event;

typedef struct gt_log_options {
	int64_t since_ms;         /* only events at or after this time; -1: all */
	const char *actor;        /* only events by this actor; NULL: all */
	const gt_strlist *ids;    /* only these entity ids; NULL or empty: all */
	size_t limit;             /* at most this many events; 0: no limit */
	int want_op;              /* parse op.json for each delivered event */
} gt_log_options;

#define GT_LOG_OPTIONS_INIT { -1, NULL, NULL, 0, 0 }

/* Receives each event in order; a nonzero return stops the walk. */
typedef int (*gt_log_event_cb)(const gt_log_event *ev, void *payload);
/* Receives a one-line description of damage that was skipped. */
typedef void (*gt_log_warn_cb)(const char *refname, const char *message,
			       void *payload);

/*
 * Walk every entity ref under refs/gastown/ and refs/gastown-local/
 * whose type is registered (see registry.h), collect the events that
 * pass the filters, sort them and call cb for each. The walk of an
 * entity stops at commits older than since_ms (commit times are
 * operation times; with clocks skewed between machines an older
 * ancestor of an old commit may be missed, as with git log --since).
 * warn may be NULL. The event's strings and op live only during cb.
 *
 * Returns 0, cb's nonzero return when it stopped the walk, or a
 * negative GT_E* code when the refs cannot be listed at all.
 */
int gt_log_walk(gt_repo *repo, const gt_log_options *opts,
		gt_log_event_cb cb, gt_log_warn_cb warn, void *payload);

/*
 * The event as one JSON object with every key present:
 * {"commit","ref","entity","id","type","clock","time","actor","op"};
 * time is RFC 3339 UTC, op the whole op.json (null when not loaded).
 * The caller cJSON_Delete()s it.
 */
cJSON *gt_log_event_json(const gt_log_event *ev);

#endif
