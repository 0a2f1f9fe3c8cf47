#include "log.h"
#include "error.h"
#include "json.h"
#include "registry.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- a set of commit ids (visited commits of one walk) ------------------ */

struct oidset {
	git_oid *slots;
	unsigned char *used;
	size_t cap, nr;
};

static size_t oid_hash(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

/* Add id; returns 1 when it was new, 0 when already there. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	if (2 * (s->nr + 1) > s->cap) {
		struct oidset grown = { NULL, NULL, s->cap ? 2 * s->cap : 64, 0 };
		grown.slots = gt_xcalloc(grown.cap, sizeof(*grown.slots));
		grown.used = gt_xcalloc(grown.cap, 1);
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				oidset_add(&grown, &s->slots[i]);
		free(s->slots);
		free(s->used);
		*s = grown;
	}
	size_t i = oid_hash(id) & (s->cap - 1);
	for (; s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 0;
	s->used[i] = 1;
	s->slots[i] = *id;
	s->nr++;
	return 1;
}

static void oidset_clear(struct oidset *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

/* --- collected events ----------------------------------------------------- */

struct entity_ref {
	char *refname;
	const gt_entity_type *type;
	const char *id; /* points into refname */
	git_oid tip;
};

struct event {
	git_oid commit;
	git_oid op_blob;
	size_t ref;      /* index into the entity refs */
	char *op_type;
	char *actor;
	char *summary;
	uint64_t clock;
	int64_t time_ms;
};

struct walk_ctx {
	gt_repo *repo;
	const gt_log_options *opts;
	gt_log_warn_cb warn;
	void *payload;
	struct entity_ref *refs;
	size_t nr_refs, alloc_refs;
	struct event *events;
	size_t nr_events, alloc_events;
};

static void warnf(struct walk_ctx *ctx, const char *refname, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warnf(struct walk_ctx *ctx, const char *refname, const char *fmt, ...)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	va_list ap;
	if (!ctx->warn)
		return;
	va_start(ap, fmt);
	gt_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ctx->warn(refname, sb.buf, ctx->payload);
	gt_strbuf_release(&sb);
}

static void event_release(struct event *ev)
{
	free(ev->op_type);
	free(ev->actor);
	free(ev->summary);
}

/* Newest first: time, clock, commit id, ref name, all descending. */
static int event_cmp(const void *va, const void *vb, void *vrefs)
{
	const struct event *a = va, *b = vb;
	const struct entity_ref *refs = vrefs;
	int c;
	if (a->time_ms != b->time_ms)
		return a->time_ms > b->time_ms ? -1 : 1;
	if (a->clock != b->clock)
		return a->clock > b->clock ? -1 : 1;
	if ((c = git_oid_cmp(&a->commit, &b->commit)))
		return -c;
	return -strcmp(refs[a->ref].refname, refs[b->ref].refname);
}

static void sort_events(struct event *ev, size_t n, struct entity_ref *refs)
{
	if (n > 1)
		qsort_r(ev, n, sizeof(*ev), event_cmp, refs);
}

static int id_wanted(const gt_log_options *opts, const char *id)
{
	if (!opts->ids || !opts->ids->nr)
		return 1;
	for (size_t i = 0; i < opts->ids->nr; i++)
		if (!strcmp(opts->ids->items[i], id))
			return 1;
	return 0;
}

/* --- listing the entity refs ------------------------------------------- */

static int collect_refs(struct walk_ctx *ctx, const char *glob)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int r;

	if ((r = git_reference_iterator_glob_new(&it, gt_repo_git(ctx->repo), glob)) < 0)
		return gt_error_git(r, "cannot list %s", glob);
	while ((r = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const gt_entity_type *type;
		if (gt_registry_ref_kind(name, &type) != GT_REF_ENTITY ||
		    !id_wanted(ctx->opts, name + strlen(type->ref_prefix))) {
			git_reference_free(ref);
			continue;
		}
		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
			warnf(ctx, name, "is a symbolic ref, not an entity");
			git_reference_free(ref);
			continue;
		}
		if (ctx->nr_refs == ctx->alloc_refs) {
			ctx->alloc_refs = ctx->alloc_refs ? 2 * ctx->alloc_refs : 64;
			ctx->refs = gt_xrealloc(ctx->refs, ctx->alloc_refs * sizeof(*ctx->refs));
		}
		struct entity_ref *e = &ctx->refs[ctx->nr_refs++];
		e->refname = gt_xstrdup(name);
		e->type = type;
		e->id = e->refname + strlen(type->ref_prefix);
		e->tip = *git_reference_target(ref);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (r != GIT_ITEROVER)
		return gt_error_git(r, "cannot list %s", glob);
	return 0;
}

/* --- walking one entity ------------------------------------------------- */

/* The subject line after "<op type>: <id> ", without control characters. */
static char *summary_of(const git_commit *commit, const char *op_type,
			const char *id)
{
	const char *s = git_commit_summary((git_commit *)commit);
	gt_strbuf sb = GT_STRBUF_INIT;
	if (!s)
		s = "";
	if (op_type) {
		size_t n = strlen(op_type), m = strlen(id);
		if (!strncmp(s, op_type, n) && s[n] == ':' && s[n + 1] == ' ' &&
		    !strncmp(s + n + 2, id, m) && (!s[n + 2 + m] || s[n + 2 + m] == ' '))
			s += n + 2 + m + (s[n + 2 + m] == ' ');
	}
	for (; *s; s++)
		gt_strbuf_addch(&sb, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
	return gt_strbuf_detach(&sb);
}

static void add_event(struct walk_ctx *ctx, struct event *ev)
{
	if (ctx->nr_events == ctx->alloc_events) {
		ctx->alloc_events = ctx->alloc_events ? 2 * ctx->alloc_events : 256;
		ctx->events = gt_xrealloc(ctx->events, ctx->alloc_events * sizeof(*ctx->events));
	}
	ctx->events[ctx->nr_events++] = *ev;
}

/*
 * Read one commit of the chain into an event. Returns 1 when the event
 * was collected, 0 when it was skipped (filtered, or a damaged operation
 * that was reported), -1 when the commit is not an entity commit at all
 * (its parents are not followed).
 */
static int read_event(struct walk_ctx *ctx, size_t ref, const git_commit *commit)
{
	const struct entity_ref *er = &ctx->refs[ref];
	const git_oid *cid = git_commit_id(commit);
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	cJSON *op = NULL;
	struct event ev;
	char snap[64];
	int r = 0;

	memset(&ev, 0, sizeof(ev));
	snprintf(snap, sizeof(snap), "%s.json", er->type->name);
	if (git_commit_tree(&tree, commit) < 0) {
		warnf(ctx, er->refname, "commit %s has no tree; skipped", git_oid_tostr_s(cid));
		return -1;
	}
	const git_tree_entry *te = git_tree_entry_byname(tree, GT_OP_FILE);
	if (!te && !git_tree_entry_byname(tree, snap)) {
		warnf(ctx, er->refname, "commit %s is not an entity commit (no %s); "
		      "its history is skipped", git_oid_tostr_s(cid), GT_OP_FILE);
		r = -1;
		goto out;
	}
	if (!te || git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, gt_repo_git(ctx->repo), git_tree_entry_id(te)) < 0) {
		warnf(ctx, er->refname, "commit %s has no readable %s; skipped",
		      git_oid_tostr_s(cid), GT_OP_FILE);
		goto out;
	}
	op = gt_json_parse(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			   GT_OP_FILE);
	if (!op || !cJSON_IsObject(op)) {
		warnf(ctx, er->refname, "commit %s: %s; skipped", git_oid_tostr_s(cid),
		      op ? "op.json is not a JSON object" : gt_error_last());
		goto out;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(op, "time");
	ev.time_ms = cJSON_IsNumber(t) ? (int64_t)t->valuedouble
				       : (int64_t)git_commit_time(commit) * 1000;
	if (ctx->opts->since_ms >= 0 && ev.time_ms < ctx->opts->since_ms)
		goto out;
	const char *actor = gt_json_str(op, "actor");
	if (!actor) {
		const git_signature *sig = git_commit_author(commit);
		actor = sig && sig->name ? sig->name : "";
	}
	if (ctx->opts->actor && strcmp(ctx->opts->actor, actor))
		goto out;
	const char *type = gt_json_str(op, "type");
	const cJSON *clock = cJSON_GetObjectItemCaseSensitive(op, "clock");
	ev.commit = *cid;
	ev.op_blob = *git_tree_entry_id(te);
	ev.ref = ref;
	ev.op_type = gt_xstrdup(type ? type : "unknown");
	ev.actor = gt_xstrdup(actor);
	ev.summary = summary_of(commit, type, er->id);
	ev.clock = cJSON_IsNumber(clock) && clock->valuedouble > 0
		   ? (uint64_t)clock->valuedouble : 0;
	add_event(ctx, &ev);
	r = 1;
out:
	cJSON_Delete(op);
	git_blob_free(blob);
	git_tree_free(tree);
	return r;
}

static void walk_entity(struct walk_ctx *ctx, size_t ref)
{
	const struct entity_ref *er = &ctx->refs[ref];
	git_repository *git = gt_repo_git(ctx->repo);
	struct oidset seen = { NULL, NULL, 0, 0 };
	git_oid *stack = NULL;
	size_t nr = 0, alloc = 0, first = ctx->nr_events;
	git_object *obj = NULL;

	if (git_object_lookup(&obj, git, &er->tip, GIT_OBJECT_ANY) < 0) {
		warnf(ctx, er->refname, "points to missing object %s; skipped",
		      git_oid_tostr_s(&er->tip));
		return;
	}
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		warnf(ctx, er->refname, "points to a %s, not a commit; skipped",
		      git_object_type2string(git_object_type(obj)));
		git_object_free(obj);
		return;
	}
	git_object_free(obj);

	/* depth first from the tip; the order is restored by sorting */
	stack = gt_xmalloc(sizeof(*stack) * (alloc = 16));
	stack[nr++] = er->tip;
	oidset_add(&seen, &er->tip);
	while (nr) {
		git_oid id = stack[--nr];
		git_commit *commit = NULL;
		if (git_commit_lookup(&commit, git, &id) < 0) {
			warnf(ctx, er->refname, "cannot read commit %s; its history is skipped",
			      git_oid_tostr_s(&id));
			continue;
		}
		int64_t t = (int64_t)git_commit_time(commit);
		if (ctx->opts->since_ms >= 0 && t * 1000 + 999 < ctx->opts->since_ms) {
			git_commit_free(commit);
			continue; /* older than --since, and so are its ancestors */
		}
		if (read_event(ctx, ref, commit) >= 0) {
			unsigned np = git_commit_parentcount(commit);
			for (unsigned i = 0; i < np; i++) {
				const git_oid *p = git_commit_parent_id(commit, i);
				if (!oidset_add(&seen, p))
					continue;
				if (nr == alloc)
					stack = gt_xrealloc(stack, sizeof(*stack) * (alloc *= 2));
				stack[nr++] = *p;
			}
		}
		git_commit_free(commit);
	}
	free(stack);
	oidset_clear(&seen);

	/* with a limit, only the newest events of each entity can be shown */
	size_t n = ctx->nr_events - first;
	if (ctx->opts->limit && n > ctx->opts->limit) {
		sort_events(ctx->events + first, n, ctx->refs);
		for (size_t i = first + ctx->opts->limit; i < ctx->nr_events; i++)
			event_release(&ctx->events[i]);
		ctx->nr_events = first + ctx->opts->limit;
	}
}

/* --- delivering ------------------------------------------------------------ */

static cJSON *load_op(gt_repo *repo, const git_oid *blob_id)
{
	git_blob *blob = NULL;
	cJSON *op = NULL;
	if (git_blob_lookup(&blob, gt_repo_git(repo), blob_id) == 0)
		op = gt_json_parse(git_blob_rawcontent(blob),
				   (size_t)git_blob_rawsize(blob), GT_OP_FILE);
	git_blob_free(blob);
	return op;
}

int gt_log_walk(gt_repo *repo, const gt_log_options *opts,
		gt_log_event_cb cb, gt_log_warn_cb warn, void *payload)
{
	static const gt_log_options defaults = GT_LOG_OPTIONS_INIT;
	struct walk_ctx ctx;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.repo = repo;
	ctx.opts = opts ? opts : &defaults;
	ctx.warn = warn;
	ctx.payload = payload;
	if ((r = collect_refs(&ctx, GT_REF_ROOT "*")) < 0 ||
	    (r = collect_refs(&ctx, GT_LOCAL_REF_ROOT "*")) < 0)
		goto out;
	for (size_t i = 0; i < ctx.nr_refs; i++)
		walk_entity(&ctx, i);
	sort_events(ctx.events, ctx.nr_events, ctx.refs);

	size_t n = ctx.nr_events;
	if (ctx.opts->limit && n > ctx.opts->limit)
		n = ctx.opts->limit;
	for (size_t i = 0; i < n; i++) {
		const struct event *e = &ctx.events[i];
		const struct entity_ref *er = &ctx.refs[e->ref];
		cJSON *op = ctx.opts->want_op ? load_op(repo, &e->op_blob) : NULL;
		gt_log_event ev = {
			e->commit, er->refname, er->type, er->id, e->op_type,
			e->actor, e->clock, e->time_ms, e->summary, op
		};
		r = cb(&ev, payload);
		cJSON_Delete(op);
		if (r)
			goto out;
	}
	r = 0;
out:
	for (size_t i = 0; i < ctx.nr_events; i++)
		event_release(&ctx.events[i]);
	free(ctx.events);
	for (size_t i = 0; i < ctx.nr_refs; i++)
		free(ctx.refs[i].refname);
	free(ctx.refs);
	return r;
}

cJSON *gt_log_event_json(const gt_log_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	char oid[GIT_OID_HEXSZ + 1], time[40];

	git_oid_tostr(oid, sizeof(oid), &ev->commit);
	gt_format_time(time, sizeof(time), ev->time_ms);
	cJSON_AddStringToObject(o, "commit", oid);
	cJSON_AddStringToObject(o, "ref", ev->refname);
	cJSON_AddStringToObject(o, "entity", ev->type->name);
	cJSON_AddStringToObject(o, "id", ev->id);
	cJSON_AddStringToObject(o, "type", ev->op_type);
	cJSON_AddNumberToObject(o, "clock", (double)ev->clock);
	cJSON_AddStringToObject(o, "time", time);
	cJSON_AddStringToObject(o, "actor", ev->actor);
	cJSON_AddItemToObject(o, "op", ev->op ? cJSON_Duplicate(ev->op, 1)
					      : cJSON_CreateNull());
	return o;
}
