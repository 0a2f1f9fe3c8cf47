#include "fsck.h"
#include "ledger.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "registry.h"
#include "strbuf.h"
#include "txn.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct fsck_ctx {
	gt_repo *repo;
	gt_fsck_stats *stats;
	gt_fsck_report_cb cb;
	void *payload;
	int stop;   /* the callback's nonzero return */
};

static void report(struct fsck_ctx *ctx, gt_fsck_severity sev, const char *where,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct fsck_ctx *ctx, gt_fsck_severity sev, const char *where,
		   const char *fmt, ...)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	va_list ap;

	if (ctx->stop)
		return;
	if (sev == GT_FSCK_PROBLEM)
		ctx->stats->problems++;
	else if (sev == GT_FSCK_WARNING)
		ctx->stats->warnings++;
	else
		ctx->stats->repaired++;
	va_start(ap, fmt);
	gt_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (ctx->cb)
		ctx->stop = ctx->cb(sev, where, sb.buf, ctx->payload);
	gt_strbuf_release(&sb);
}

static int process_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* --- commits of a chain, by id -------------------------------------------- */

enum {
	N_EXPANDED = 1 << 0,  /* its parents were pushed */
	N_ENTITY = 1 << 1,    /* an entity commit (op.json or snapshot in its tree) */
	N_MISSING = 1 << 2,   /* the object cannot be read as a commit */
	N_DONE = 1 << 3,      /* checked */
	N_TAINTED = 1 << 4,   /* its operations cannot all be read: no replay */
	N_CLOCK = 1 << 5,     /* clock holds a valid Lamport clock */
};

struct node {
	git_oid oid;
	unsigned flags;
	uint64_t clock;    /* its operation's clock */
	uint64_t maxanc;   /* the highest clock in its ancestry, itself included */
};

struct nodemap {
	struct node *slots;
	size_t cap, nr;
};

static size_t oid_hash(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

static struct node *map_find(struct nodemap *m, const git_oid *id)
{
	if (!m->cap)
		return NULL;
	for (size_t i = oid_hash(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (git_oid_is_zero(&m->slots[i].oid))
			return NULL;
		if (git_oid_equal(&m->slots[i].oid, id))
			return &m->slots[i];
	}
}

/* The node of id, added when new. Pointers die at the next map_add. */
static struct node *map_add(struct nodemap *m, const git_oid *id)
{
	struct node *n = map_find(m, id);
	if (n)
		return n;
	if (2 * (m->nr + 1) > m->cap) {
		struct nodemap grown = { NULL, m->cap ? 2 * m->cap : 64, 0 };
		grown.slots = gt_xcalloc(grown.cap, sizeof(*grown.slots));
		for (size_t i = 0; i < m->cap; i++)
			if (!git_oid_is_zero(&m->slots[i].oid))
				*map_add(&grown, &m->slots[i].oid) = m->slots[i];
		free(m->slots);
		*m = grown;
	}
	size_t i = oid_hash(id) & (m->cap - 1);
	while (!git_oid_is_zero(&m->slots[i].oid))
		i = (i + 1) & (m->cap - 1);
	m->slots[i].oid = *id;
	m->nr++;
	return &m->slots[i];
}

/* --- one entity chain ------------------------------------------------------ */

struct chain {
	struct fsck_ctx *ctx;
	const gt_entity_type *type;
	const char *refname;
	char snapshot_name[64];
	struct nodemap map;
	git_oid prev;        /* the last commit checked, and its replayed state */
	cJSON *prev_state;
};

/*
 * Is id an entity commit? An unreadable commit, or one whose tree holds
 * neither op.json nor the snapshot, is not part of the chain: its
 * ancestry is not walked.
 */
static unsigned classify(struct chain *ch, const git_oid *id)
{
	git_repository *git = gt_repo_git(ch->ctx->repo);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	unsigned flags = N_MISSING;

	if (git_commit_lookup(&c, git, id) < 0)
		return flags;
	flags = 0;
	if (git_commit_tree(&tree, c) == 0 &&
	    (git_tree_entry_byname(tree, GT_OP_FILE) ||
	     git_tree_entry_byname(tree, ch->snapshot_name)))
		flags = N_ENTITY;
	else if (!tree)
		flags = N_ENTITY; /* a commit of ours whose tree is lost */
	git_tree_free(tree);
	git_commit_free(c);
	return flags;
}

/* Parse a JSON object blob of commit cid; reports and returns -1 if bad. */
static int read_json_entry(cJSON **out, struct chain *ch, const char *cid,
			   const git_tree *tree, const char *name)
{
	const git_tree_entry *te = git_tree_entry_byname(tree, name);
	git_blob *blob = NULL;
	int r = -1;

	*out = NULL;
	if (!te) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: no %s in its tree",
		       cid, name);
		return -1;
	}
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s is a %s, not a blob",
		       cid, name, git_object_type2string(git_tree_entry_type(te)));
		return -1;
	}
	if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB)
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s has mode %06o, not 100644",
		       cid, name, (unsigned)git_tree_entry_filemode(te));
	if (git_blob_lookup(&blob, gt_repo_git(ch->ctx->repo), git_tree_entry_id(te)) < 0) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s blob %s is missing",
		       cid, name, git_oid_tostr_s(git_tree_entry_id(te)));
		return -1;
	}
	const char *buf = git_blob_rawcontent(blob);
	size_t len = (size_t)git_blob_rawsize(blob);
	if (!gt_utf8_valid(buf, len)) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s is not valid UTF-8",
		       cid, name);
	} else if (!(*out = gt_json_parse(buf, len, name))) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s is not valid JSON",
		       cid, name);
	} else if (!cJSON_IsObject(*out)) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: %s is not a JSON object",
		       cid, name);
		cJSON_Delete(*out);
		*out = NULL;
	} else {
		r = 0;
	}
	git_blob_free(blob);
	return r;
}

/* The first top-level member where a and b differ, or NULL. */
static const char *first_difference(const cJSON *a, const cJSON *b)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, a) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, m->string);
		if (!o || !gt_json_equal(m, o))
			return m->string;
	}
	cJSON_ArrayForEach(m, b)
		if (!cJSON_GetObjectItemCaseSensitive(a, m->string))
			return m->string;
	return NULL;
}

/* Check the operation's members; returns 1 when its clock is usable. */
static int check_op(struct chain *ch, const char *cid, const cJSON *op,
		    uint64_t *clock)
{
	const cJSON *v;
	int ok = 1;

	v = cJSON_GetObjectItemCaseSensitive(op, "type");
	if (!cJSON_IsString(v) || !*v->valuestring)
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "commit %s: the operation has no type", cid);
	v = cJSON_GetObjectItemCaseSensitive(op, "clock");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "commit %s: the operation has no valid clock (an integer >= 1)", cid);
		ok = 0;
	} else {
		*clock = (uint64_t)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(op, "time");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "commit %s: the operation has no valid time", cid);
	v = cJSON_GetObjectItemCaseSensitive(op, "actor");
	if (!cJSON_IsString(v) || !*v->valuestring)
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "commit %s: the operation has no actor", cid);
	return ok;
}

/* Check one entity commit; every parent has been checked already. */
static void check_commit(struct chain *ch, const git_oid *id)
{
	git_repository *git = gt_repo_git(ch->ctx->repo);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	cJSON *op = NULL, *snapshot = NULL, *state = NULL;
	char cid[GIT_OID_HEXSZ + 1];
	unsigned flags = N_DONE | N_ENTITY;
	uint64_t clock = 0, parent_max = 0, maxanc = 0;
	int parents_ok = 1, tainted = 0;

	git_oid_tostr(cid, sizeof(cid), id);
	ch->ctx->stats->commits++;
	if (git_commit_lookup(&c, git, id) < 0) {
		/* classify() read it a moment ago */
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s cannot be read", cid);
		tainted = 1;
		goto out;
	}

	/* parents: all checked before this commit */
	unsigned np = git_commit_parentcount(c);
	for (unsigned i = 0; i < np; i++) {
		const git_oid *pid = git_commit_parent_id(c, i);
		struct node *p = map_find(&ch->map, pid);
		if (!p || (p->flags & N_MISSING)) {
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: parent %s is missing", cid, git_oid_tostr_s(pid));
			tainted = 1;
			parents_ok = 0;
			continue;
		}
		if (!(p->flags & N_ENTITY)) {
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: parent %s is not an entity commit (no %s in its tree)",
			       cid, git_oid_tostr_s(pid), GT_OP_FILE);
			tainted = 1;
			parents_ok = 0;
			continue;
		}
		if (p->flags & N_TAINTED)
			tainted = 1;
		if (!(p->flags & N_CLOCK))
			parents_ok = 0;
		if (p->clock > parent_max)
			parent_max = p->clock;
		if (p->maxanc > maxanc)
			maxanc = p->maxanc;
	}

	/* the tree: exactly op.json and the snapshot, as blobs */
	if (git_commit_tree(&tree, c) < 0) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: its tree %s is missing",
		       cid, git_oid_tostr_s(git_commit_tree_id(c)));
		tainted = 1;
		goto out;
	}
	for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(tree, i));
		if (strcmp(name, GT_OP_FILE) && strcmp(name, ch->snapshot_name))
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: unexpected entry '%s' in its tree", cid, name);
	}
	if (read_json_entry(&op, ch, cid, tree, GT_OP_FILE) < 0)
		tainted = 1;
	read_json_entry(&snapshot, ch, cid, tree, ch->snapshot_name);

	if (op) {
		if (check_op(ch, cid, op, &clock)) {
			flags |= N_CLOCK;
			if (parents_ok && clock != parent_max + 1) {
				if (np)
					report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
					       "commit %s: clock is %llu, expected %llu "
					       "(one more than its parents' highest)", cid,
					       (unsigned long long)clock,
					       (unsigned long long)parent_max + 1);
				else
					report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
					       "commit %s: clock is %llu, expected 1 (a first operation)",
					       cid, (unsigned long long)clock);
			}
		}
		const char *actor = gt_json_str(op, "actor");
		const git_signature *author = git_commit_author(c);
		if (actor && (!author || !author->name || strcmp(author->name, actor)))
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: author '%s' is not the operation's actor '%s'", cid,
			       author && author->name ? author->name : "", actor);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(op, "time");
		if (cJSON_IsNumber(t) && t->valuedouble >= 0 && author &&
		    (int64_t)author->when.time != (int64_t)(t->valuedouble / 1000))
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: commit time %lld is not the operation's time %.0f ms",
			       cid, (long long)author->when.time, t->valuedouble);
		if (!gt_op_change_count(op) &&
		    cJSON_GetObjectItemCaseSensitive(op, "changes") &&
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(op, "changes"))) {
			report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
			       "commit %s: the operation's changes are not a list", cid);
			tainted = 1;
		}
	}
	if (clock > maxanc)
		maxanc = clock;

	/*
	 * The snapshot must equal the replay. When this commit's only parent
	 * is the commit checked just before and its clock is above every
	 * clock in its ancestry, the replay is the parent's replay plus this
	 * operation; otherwise replay the whole ancestry.
	 */
	if (tainted)
		goto out;
	if (np == 1 && ch->prev_state && git_oid_equal(&ch->prev, git_commit_parent_id(c, 0)) &&
	    (flags & N_CLOCK) && clock > map_find(&ch->map, &ch->prev)->maxanc) {
		state = cJSON_Duplicate(ch->prev_state, 1);
		if (gt_op_apply(state, op) < 0) {
			cJSON_Delete(state);
			state = NULL;
		}
	} else if (gt_entity_replay(&state, ch->ctx->repo, id) < 0) {
		state = NULL;
	}
	if (!state) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "commit %s: cannot replay: %s",
		       cid, gt_error_last());
		tainted = 1;
		goto out;
	}
	if (snapshot && !gt_json_equal(snapshot, state)) {
		const char *m = first_difference(snapshot, state);
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "commit %s: %s differs from the replay of its operations%s%s%s", cid,
		       ch->snapshot_name, m ? " (member '" : "", m ? m : "", m ? "')" : "");
	}
	cJSON_Delete(ch->prev_state);
	ch->prev_state = state;
	ch->prev = *id;
	state = NULL;
out:
	{
		struct node *n = map_find(&ch->map, id);
		n->flags |= flags | (tainted ? N_TAINTED : 0);
		n->clock = clock;
		n->maxanc = maxanc;
	}
	cJSON_Delete(state);
	cJSON_Delete(op);
	cJSON_Delete(snapshot);
	git_tree_free(tree);
	git_commit_free(c);
}

struct frame {
	git_oid id;
	int expanded;
};

/*
 * Walk the chain from the tip, parents before children (an iterative
 * depth-first post-order), checking each entity commit. Commits that
 * are not entity commits end the walk on their branch.
 */
static void check_chain(struct chain *ch, const git_oid *tip)
{
	git_repository *git = gt_repo_git(ch->ctx->repo);
	struct frame *stack = NULL;
	size_t nr = 0, alloc = 0;
	git_object *obj = NULL;
	struct node *n;

	if (git_object_lookup(&obj, git, tip, GIT_OBJECT_ANY) < 0) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "points to missing object %s",
		       git_oid_tostr_s(tip));
		return;
	}
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname, "points to a %s, not a commit",
		       git_object_type2string(git_object_type(obj)));
		git_object_free(obj);
		return;
	}
	git_object_free(obj);
	n = map_add(&ch->map, tip);
	n->flags = classify(ch, tip);
	if (!(n->flags & N_ENTITY)) {
		report(ch->ctx, GT_FSCK_PROBLEM, ch->refname,
		       "points to commit %s, which is not an entity commit (no %s in its tree)",
		       git_oid_tostr_s(tip), GT_OP_FILE);
		return;
	}

	stack = gt_xmalloc((alloc = 64) * sizeof(*stack));
	stack[nr].id = *tip;
	stack[nr++].expanded = 0;
	while (nr && !ch->ctx->stop) {
		struct frame *f = &stack[nr - 1];
		git_oid id = f->id;
		n = map_find(&ch->map, &id);
		if (f->expanded) {
			nr--;
			if (!(n->flags & N_DONE))
				check_commit(ch, &id);
			continue;
		}
		if (n->flags & N_EXPANDED) {
			nr--; /* reached again through another child */
			continue;
		}
		f->expanded = 1;
		n->flags |= N_EXPANDED;
		git_commit *c = NULL;
		if (git_commit_lookup(&c, git, &id) < 0)
			continue;
		for (unsigned i = git_commit_parentcount(c); i-- > 0;) {
			const git_oid *pid = git_commit_parent_id(c, i);
			struct node *p = map_find(&ch->map, pid);
			if (p && (p->flags & N_EXPANDED))
				continue;
			if (!p) {
				unsigned flags = classify(ch, pid);
				p = map_add(&ch->map, pid);
				p->flags = flags;
			}
			if (!(p->flags & N_ENTITY))
				continue; /* reported by the child */
			if (nr == alloc)
				stack = gt_xrealloc(stack, (alloc *= 2) * sizeof(*stack));
			stack[nr].id = *pid;
			stack[nr++].expanded = 0;
		}
		git_commit_free(c);
	}
	free(stack);
}

int gt_fsck_entity(gt_fsck_stats *stats, gt_repo *repo, const gt_entity_type *type,
		   const char *refname, const git_oid *tip,
		   gt_fsck_report_cb cb, void *payload)
{
	gt_fsck_stats local = { 0, 0, 0, 0, 0 };
	struct fsck_ctx ctx = { repo, stats ? stats : &local, cb, payload, 0 };
	struct chain ch;

	memset(&ch, 0, sizeof(ch));
	ch.ctx = &ctx;
	ch.type = type;
	ch.refname = refname;
	snprintf(ch.snapshot_name, sizeof(ch.snapshot_name), "%s.json", type->name);
	check_chain(&ch, tip);
	cJSON_Delete(ch.prev_state);
	free(ch.map.slots);
	return ctx.stop;
}

/* --- the special refs ---------------------------------------------------- */

static void check_config(struct fsck_ctx *ctx, const char *refname, const git_oid *tip)
{
	git_repository *git = gt_repo_git(ctx->repo);
	git_object *obj = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;

	if (git_object_lookup(&obj, git, tip, GIT_OBJECT_ANY) < 0) {
		report(ctx, GT_FSCK_PROBLEM, refname, "points to missing object %s",
		       git_oid_tostr_s(tip));
		return;
	}
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		report(ctx, GT_FSCK_PROBLEM, refname, "points to a %s, not a commit",
		       git_object_type2string(git_object_type(obj)));
		goto out;
	}
	const git_tree_entry *te;
	if (git_commit_tree(&tree, (git_commit *)obj) < 0 ||
	    !(te = git_tree_entry_byname(tree, "config")) ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0) {
		report(ctx, GT_FSCK_PROBLEM, refname, "has no readable config blob in its tree");
		goto out;
	}
	int line = gt_config_text_check(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	if (line < 0)
		report(ctx, GT_FSCK_PROBLEM, refname, "the config blob holds a NUL byte");
	else if (line)
		report(ctx, GT_FSCK_PROBLEM, refname, "bad config line %d", line);
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_object_free(obj);
}

static void check_commit_ref(struct fsck_ctx *ctx, const char *refname, const git_oid *tip)
{
	git_object *obj = NULL;
	if (git_object_lookup(&obj, gt_repo_git(ctx->repo), tip, GIT_OBJECT_ANY) < 0)
		report(ctx, GT_FSCK_PROBLEM, refname, "points to missing object %s",
		       git_oid_tostr_s(tip));
	else if (git_object_type(obj) != GIT_OBJECT_COMMIT)
		report(ctx, GT_FSCK_PROBLEM, refname, "points to a %s, not a commit",
		       git_object_type2string(git_object_type(obj)));
	git_object_free(obj);
}

/*
 * The published ledger (and remote-tracking copies of it): a commit
 * whose tree is a ledger tree, every entry of which leads to a commit.
 */
static void check_ledger(struct fsck_ctx *ctx, const char *refname, const git_oid *tip)
{
	gt_ledger_map map = GT_LEDGER_MAP_INIT;
	size_t before = ctx->stats->problems;

	check_commit_ref(ctx, refname, tip);
	if (ctx->stats->problems != before)
		return;
	if (gt_ledger_read(&map, ctx->repo, tip) < 0) {
		report(ctx, GT_FSCK_PROBLEM, refname, "%s", gt_error_last());
	} else {
		for (size_t i = 0; i < map.nr; i++) {
			git_commit *c = NULL;
			if (git_commit_lookup(&c, gt_repo_git(ctx->repo), &map.items[i].tip) < 0)
				report(ctx, GT_FSCK_PROBLEM, refname, "%s: no commit %s",
				       map.items[i].refname, git_oid_tostr_s(&map.items[i].tip));
			git_commit_free(c);
		}
	}
	gt_ledger_map_release(&map);
}

/* --- refs ------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_refs(struct fsck_ctx *ctx, const char *glob, gt_strlist *names)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int r;

	if ((r = git_reference_iterator_glob_new(&it, gt_repo_git(ctx->repo), glob)) < 0) {
		gt_error_git(r, "cannot list the refs");
		report(ctx, GT_FSCK_PROBLEM, glob, "%s", gt_error_last());
		return;
	}
	while ((r = git_reference_next(&ref, it)) == 0) {
		gt_strlist_push(names, git_reference_name(ref));
		git_reference_free(ref);
	}
	if (r != GIT_ITEROVER) {
		gt_error_git(r, "cannot list the refs");
		report(ctx, GT_FSCK_PROBLEM, glob, "%s", gt_error_last());
	}
	git_reference_iterator_free(it);
}

static void check_ref(struct fsck_ctx *ctx, const char *refname)
{
	git_reference *ref = NULL;
	const gt_entity_type *type;
	gt_ref_kind kind = gt_registry_ref_kind(refname, &type);
	int r;

	if (kind == GT_REF_UNKNOWN) {
		report(ctx, GT_FSCK_WARNING, refname,
		       "no known entity type keeps refs here; not checked");
		return;
	}
	ctx->stats->refs++;
	if ((r = git_reference_lookup(&ref, gt_repo_git(ctx->repo), refname)) < 0) {
		gt_error_git(r, "cannot read the ref");
		report(ctx, GT_FSCK_PROBLEM, refname, "%s", gt_error_last());
		return;
	}
	if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
		report(ctx, GT_FSCK_PROBLEM, refname, "is a symbolic ref (to %s), not a commit",
		       git_reference_symbolic_target(ref));
		goto out;
	}
	const git_oid *tip = git_reference_target(ref);
	switch (kind) {
	case GT_REF_ENTITY: {
		const char *id = refname + strlen(type->ref_prefix);
		if (!gt_entity_id_valid(id))
			report(ctx, GT_FSCK_PROBLEM, refname, "invalid %s id '%s'", type->name, id);
		gt_fsck_stats *s = ctx->stats;
		gt_fsck_report_cb cb = ctx->cb;
		ctx->stop = gt_fsck_entity(s, ctx->repo, type, refname, tip, cb, ctx->payload);
		break;
	}
	case GT_REF_CONFIG:
		check_config(ctx, refname, tip);
		break;
	case GT_REF_LEDGER:
		check_ledger(ctx, refname, tip);
		break;
	default:
		check_commit_ref(ctx, refname, tip);
		break;
	}
out:
	git_reference_free(ref);
}

/* --- the files: journals, lock files, unreadable loose refs ------------------ */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static void check_journals(struct fsck_ctx *ctx, int repair)
{
	gt_strbuf dir = GT_STRBUF_INIT;
	DIR *d;
	struct dirent *de;

	gt_strbuf_addf(&dir, "%s/txn", gt_repo_gastown_dir(ctx->repo));
	if (repair) {
		int r = gt_txn_recover(ctx->repo);
		if (r < 0)
			report(ctx, GT_FSCK_PROBLEM, dir.buf, "cannot roll journals forward: %s",
			       gt_error_last());
		else if (r > 0)
			report(ctx, GT_FSCK_REPAIRED, dir.buf,
			       "rolled %d transaction journal%s forward", r, r == 1 ? "" : "s");
	}
	if (!(d = opendir(dir.buf))) {
		if (errno != ENOENT)
			report(ctx, GT_FSCK_PROBLEM, dir.buf, "cannot read the directory: %s",
			       strerror(errno));
		gt_strbuf_release(&dir);
		return;
	}
	while ((de = readdir(d)) && !ctx->stop) {
		gt_strbuf path = GT_STRBUF_INIT, text = GT_STRBUF_INIT;
		if (de->d_name[0] == '.')
			continue;
		gt_strbuf_addf(&path, "%s/%s", dir.buf, de->d_name);
		long pid = strtol(de->d_name, NULL, 10);
		if (ends_with(de->d_name, ".tmp")) {
			if (process_alive(pid)) {
				/* being written */
			} else if (repair && unlink(path.buf) == 0) {
				report(ctx, GT_FSCK_REPAIRED, path.buf,
				       "removed the unfinished journal of dead process %ld", pid);
			} else {
				report(ctx, GT_FSCK_WARNING, path.buf,
				       "unfinished journal of dead process %ld (never used; "
				       "'gt fsck --repair' removes it)", pid);
			}
		} else if (gt_strbuf_read_file(&text, path.buf) < 0) {
			if (errno != ENOENT) /* else: rolled forward meanwhile */
				report(ctx, GT_FSCK_PROBLEM, path.buf, "cannot read the journal: %s",
				       strerror(errno));
		} else {
			cJSON *j = cJSON_ParseWithLength(text.buf, text.len), *e;
			if (!cJSON_IsObject(j)) {
				report(ctx, GT_FSCK_PROBLEM, path.buf,
				       "damaged transaction journal (not a JSON object)");
			} else if (!process_alive(gt_json_long(j, "pid", 0))) {
				gt_strbuf refs = GT_STRBUF_INIT;
				cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "refs")) {
					const char *ref = gt_json_str(e, "ref");
					gt_strbuf_addf(&refs, "%s%s", refs.len ? ", " : "",
						       ref ? ref : "?");
				}
				report(ctx, GT_FSCK_PROBLEM, path.buf,
				       "transaction of dead process %ld not rolled forward (%s); "
				       "'gt fsck --repair' or the next write completes it",
				       gt_json_long(j, "pid", 0), refs.buf);
				gt_strbuf_release(&refs);
			}
			cJSON_Delete(j);
		}
		gt_strbuf_release(&text);
		gt_strbuf_release(&path);
	}
	closedir(d);
	gt_strbuf_release(&dir);
}

/* Walk a loose ref directory: stale lock files and unreadable ref files. */
static void scan_ref_dir(struct fsck_ctx *ctx, gt_strbuf *path, size_t root_len,
			 long stale_s, int repair)
{
	DIR *d = opendir(path->buf);
	struct dirent *de;
	size_t len = path->len;

	if (!d)
		return; /* no loose refs here (or all packed) */
	while ((de = readdir(d)) && !ctx->stop) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		gt_strbuf_setlen(path, len);
		gt_strbuf_addf(path, "/%s", de->d_name);
		if (lstat(path->buf, &st) < 0)
			continue;
		const char *refname = path->buf + root_len;
		if (S_ISDIR(st.st_mode)) {
			scan_ref_dir(ctx, path, root_len, stale_s, repair);
		} else if (ends_with(de->d_name, ".lock")) {
			char *ref = gt_xstrndup(refname, strlen(refname) - 5);
			long age = (long)(time(NULL) - st.st_mtime);
			if (age < stale_s) {
				/* a writer at work */
			} else if (repair && gt_txn_break_stale_lock(ctx->repo, ref) > 0) {
				report(ctx, GT_FSCK_REPAIRED, ref, "removed a stale lock file");
			} else {
				report(ctx, GT_FSCK_WARNING, ref,
				       "stale lock file (%lds old; the next writer removes it)", age);
			}
			free(ref);
		} else {
			git_reference *r = NULL;
			int e = git_reference_lookup(&r, gt_repo_git(ctx->repo), refname);
			if (e < 0) {
				gt_error_git(e, "cannot read the ref");
				report(ctx, GT_FSCK_PROBLEM, refname, "%s", gt_error_last());
			}
			git_reference_free(r);
		}
	}
	gt_strbuf_setlen(path, len);
	closedir(d);
}

static void check_files(struct fsck_ctx *ctx, int repair)
{
	static const char *const roots[] = { "refs/gastown", "refs/gastown-local" };
	const char *common = git_repository_commondir(gt_repo_git(ctx->repo));
	long stale_s;

	if (gt_config_get_int(&stale_s, gt_repo_config(ctx->repo), "core.staleLockSeconds", 10) < 0)
		stale_s = 10;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		gt_strbuf path = GT_STRBUF_INIT;
		gt_strbuf_adds(&path, common);
		if (path.len && path.buf[path.len - 1] != '/')
			gt_strbuf_addch(&path, '/');
		size_t root_len = path.len;
		gt_strbuf_adds(&path, roots[i]);
		scan_ref_dir(ctx, &path, root_len, stale_s, repair);
		gt_strbuf_release(&path);
	}
}

int gt_fsck_run(gt_fsck_stats *stats, gt_repo *repo, const gt_fsck_options *opts,
		gt_fsck_report_cb cb, void *payload)
{
	gt_fsck_stats local;
	struct fsck_ctx ctx = { repo, stats ? stats : &local, cb, payload, 0 };
	gt_strlist names = GT_STRLIST_INIT;
	int repair = opts && opts->repair;

	memset(ctx.stats, 0, sizeof(*ctx.stats));
	/* journals first: --repair rolls them forward before refs are read */
	check_journals(&ctx, repair);
	check_files(&ctx, repair);
	list_refs(&ctx, GT_REF_ROOT "*", &names);
	list_refs(&ctx, GT_LOCAL_REF_ROOT "*", &names);
	if (names.nr > 1)
		if (names.nr > 1) /* qsort(NULL, 0) is undefined */
			qsort(names.items, names.nr, sizeof(*names.items), cmp_str);
	for (size_t i = 0; i < names.nr && !ctx.stop; i++)
		check_ref(&ctx, names.items[i]);
	gt_strlist_clear(&names);
	return ctx.stop;
}
