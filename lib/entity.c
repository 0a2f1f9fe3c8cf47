#include "entity.h"
#include "error.h"
#include "json.h"
#include "strbuf.h"
#include "refs.h"
#include "txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- operations --------------------------------------------------------- */

cJSON *gt_op_new(const char *type)
{
	cJSON *op = cJSON_CreateObject();
	cJSON_AddStringToObject(op, "type", type);
	cJSON_AddItemToObject(op, "changes", cJSON_CreateArray());
	return op;
}

static void add_change(cJSON *op, const char *kind, const char *field,
		       cJSON *value, cJSON *match)
{
	cJSON *c = cJSON_CreateObject();
	if (field)
		cJSON_AddStringToObject(c, kind, field);
	else
		cJSON_AddTrueToObject(c, kind);
	if (value)
		cJSON_AddItemToObject(c, "value", value);
	if (match)
		cJSON_AddItemToObject(c, "match", match);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(op, "changes"), c);
}

void gt_op_set(cJSON *op, const char *field, cJSON *value)
{
	add_change(op, "set", field, value, NULL);
}

void gt_op_set_str(cJSON *op, const char *field, const char *s)
{
	gt_op_set(op, field, cJSON_CreateString(s));
}

void gt_op_unset(cJSON *op, const char *field)
{
	add_change(op, "unset", field, NULL, NULL);
}

void gt_op_add(cJSON *op, const char *field, cJSON *value, cJSON *match)
{
	add_change(op, "add", field, value, match);
}

void gt_op_remove(cJSON *op, const char *field, cJSON *match)
{
	add_change(op, "remove", field, NULL, match);
}

void gt_op_append(cJSON *op, const char *field, cJSON *value)
{
	add_change(op, "append", field, value, NULL);
}

void gt_op_tombstone(cJSON *op)
{
	add_change(op, GT_TOMBSTONE_KEY, NULL, NULL, NULL);
}

int gt_op_change_count(const cJSON *op)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(op, "changes"));
}

/* Does set element elem match m (a string, or an object of members)? */
static int element_matches(const cJSON *elem, const cJSON *m)
{
	if (!cJSON_IsObject(m))
		return cJSON_Compare(elem, m, 1);
	if (!cJSON_IsObject(elem))
		return 0;
	for (const cJSON *mm = m->child; mm; mm = mm->next) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(elem, mm->string);
		if (!v || !cJSON_Compare(v, mm, 1))
			return 0;
	}
	return 1;
}

static cJSON *array_field(cJSON *snapshot, const char *field)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(snapshot, field);
	if (!cJSON_IsArray(arr)) {
		arr = cJSON_CreateArray();
		gt_json_put(snapshot, field, arr);
	}
	return arr;
}

static void remove_matching(cJSON *arr, const cJSON *match)
{
	cJSON *e = arr->child;
	while (e) {
		cJSON *next = e->next;
		if (element_matches(e, match))
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
		e = next;
	}
}

static void apply_change(cJSON *snapshot, const cJSON *c)
{
	const char *field;
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(c, "value");
	const cJSON *match = cJSON_GetObjectItemCaseSensitive(c, "match");

	if ((field = gt_json_str(c, "set"))) {
		if (value)
			gt_json_put(snapshot, field, cJSON_Duplicate(value, 1));
	} else if ((field = gt_json_str(c, "unset"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(snapshot, field);
	} else if ((field = gt_json_str(c, "add"))) {
		if (!value)
			return;
		cJSON *arr = array_field(snapshot, field);
		remove_matching(arr, match ? match : value);
		cJSON_AddItemToArray(arr, cJSON_Duplicate(value, 1));
	} else if ((field = gt_json_str(c, "remove"))) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(snapshot, field);
		if (cJSON_IsArray(arr) && match)
			remove_matching(arr, match);
	} else if ((field = gt_json_str(c, "append"))) {
		if (value)
			cJSON_AddItemToArray(array_field(snapshot, field),
					     cJSON_Duplicate(value, 1));
	} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, GT_TOMBSTONE_KEY))) {
		gt_json_put(snapshot, GT_TOMBSTONE_KEY, cJSON_CreateTrue());
	}
	/* anything else: a change kind from a newer version, kept in op.json */
}

int gt_op_apply(cJSON *snapshot, const cJSON *op)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(op, "changes");
	const cJSON *c;
	if (!cJSON_IsObject(snapshot) || !cJSON_IsObject(op))
		return gt_error_set(GT_EINVALID, "operation is not a JSON object");
	if (!changes)
		return 0; /* a merge or an operation type without changes */
	if (!cJSON_IsArray(changes))
		return gt_error_set(GT_EINVALID, "operation changes are not a list");
	cJSON_ArrayForEach(c, changes)
		if (cJSON_IsObject(c))
			apply_change(snapshot, c);
	return 0;
}

/* --- reading ------------------------------------------------------------ */

int gt_entity_id_valid(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 200)
		return 0;
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
	      (id[0] >= '0' && id[0] <= '9')))
		return 0;
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		      c == '%'))
			return 0;
	}
	if (strstr(id, "..") || (len >= 5 && !strcmp(id + len - 5, ".lock")) ||
	    id[len - 1] == '.')
		return 0;
	return 1;
}

char *gt_entity_refname(const gt_entity_type *type, const char *id)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "%s%s", type->ref_prefix, id);
	return gt_strbuf_detach(&sb);
}

static int read_blob_json(cJSON **out, git_repository *git, const git_tree *tree,
			  const char *name, const char *what)
{
	const git_tree_entry *te = git_tree_entry_byname(tree, name);
	git_blob *blob = NULL;
	gt_strbuf label = GT_STRBUF_INIT;
	int r = 0;

	if (!te || git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0)
		return gt_error_set(GT_ECORRUPT, "%s: no %s in its tree", what, name);
	gt_strbuf_addf(&label, "%s:%s", what, name);
	*out = gt_json_parse(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			     label.buf);
	if (!*out)
		r = gt_error_set(GT_ECORRUPT, "%s", gt_error_last()); /* names label */
	else if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		r = gt_error_set(GT_ECORRUPT, "%s: %s is not a JSON object", what, name);
	}
	gt_strbuf_release(&label);
	git_blob_free(blob);
	return r;
}

static int lookup_commit(git_commit **commit, git_repository *git,
			 const git_oid *id, const char *what)
{
	git_object *obj = NULL;
	if (git_object_lookup(&obj, git, id, GIT_OBJECT_ANY) < 0)
		return gt_error_set(GT_ECORRUPT, "%s: points to missing object %s",
				    what, git_oid_tostr_s(id));
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		int r = gt_error_set(GT_ECORRUPT, "%s: points to a %s, not a commit",
				     what, git_object_type2string(git_object_type(obj)));
		git_object_free(obj);
		return r;
	}
	*commit = (git_commit *)obj;
	return 0;
}

static void snapshot_name(char *buf, size_t size, const gt_entity_type *type)
{
	snprintf(buf, size, "%s.json", type->name);
}

int gt_entity_read_snapshot(cJSON **out, git_repository *git,
			    const gt_entity_type *type, const git_oid *commit_id,
			    const char *what)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char name[64];
	int r;

	if ((r = lookup_commit(&commit, git, commit_id, what)) < 0)
		return r;
	if (git_commit_tree(&tree, commit) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s: commit has no tree", what);
		goto out;
	}
	snapshot_name(name, sizeof(name), type);
	r = read_blob_json(out, git, tree, name, what);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}

static int read_commit_parts(gt_entity *e, git_repository *git,
			     const gt_entity_type *type, const char *what)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char name[64];
	int r;

	if ((r = lookup_commit(&commit, git, &e->tip, what)) < 0)
		return r;
	if (git_commit_tree(&tree, commit) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s: commit has no tree", what);
		goto out;
	}
	snapshot_name(name, sizeof(name), type);
	if ((r = read_blob_json(&e->snapshot, git, tree, name, what)) < 0 ||
	    (r = read_blob_json(&e->op, git, tree, GT_OP_FILE, what)) < 0)
		goto out;
	const cJSON *clock = cJSON_GetObjectItemCaseSensitive(e->op, "clock");
	if (!cJSON_IsNumber(clock) || clock->valuedouble < 1) {
		r = gt_error_set(GT_ECORRUPT, "%s: operation has no valid clock", what);
		goto out;
	}
	e->clock = (uint64_t)clock->valuedouble;
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}

int gt_entity_read_commit(gt_entity **out, gt_repo *repo,
			  const gt_entity_type *type, const git_oid *commit)
{
	gt_entity *e = gt_xcalloc(1, sizeof(*e));
	char what[GIT_OID_HEXSZ + 1];
	git_oid_tostr(what, sizeof(what), commit);
	e->tip = *commit;
	int r = read_commit_parts(e, gt_repo_git(repo), type, what);
	if (r < 0) {
		gt_entity_free(e);
		return r;
	}
	*out = e;
	return 0;
}

int gt_entity_read(gt_entity **out, gt_repo *repo, const gt_entity_type *type,
		   const char *id)
{
	gt_entity *e;
	int r;

	if (!gt_entity_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid %s id '%s'", type->name, id);
	e = gt_xcalloc(1, sizeof(*e));
	e->id = gt_xstrdup(id);
	e->refname = gt_entity_refname(type, id);
	r = gt_refs_read(&e->tip, gt_repo_git(repo), e->refname);
	if (r == GT_ENOTFOUND) {
		r = gt_error_set(GT_ENOTFOUND, "no such %s: %s", type->name, id);
		goto fail;
	} else if (r < 0) {
		goto fail;
	}
	if ((r = read_commit_parts(e, gt_repo_git(repo), type, e->refname)) < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	gt_entity_free(e);
	return r;
}

void gt_entity_free(gt_entity *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->refname);
	cJSON_Delete(e->snapshot);
	cJSON_Delete(e->op);
	free(e);
}

struct replay_op {
	git_oid id;
	cJSON *op;
	double clock, time;
	const char *actor;
};

static int replay_cmp(const void *a, const void *b)
{
	const struct replay_op *x = a, *y = b;
	int c;
	if (x->clock != y->clock)
		return x->clock < y->clock ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((c = strcmp(x->actor, y->actor)))
		return c;
	return git_oid_cmp(&x->id, &y->id);
}

int gt_entity_replay(cJSON **out, gt_repo *repo, const git_oid *commit)
{
	return gt_entity_replay_heads(out, repo, commit, 1);
}

int gt_entity_replay_heads(cJSON **out, gt_repo *repo, const git_oid *heads, size_t n)
{
	git_repository *git = gt_repo_git(repo);
	git_revwalk *walk = NULL;
	struct replay_op *ops = NULL;
	size_t nr = 0, alloc = 0;
	git_oid id;
	int r;

	if ((r = git_revwalk_new(&walk, git)) < 0) {
		r = gt_error_git(r, "cannot walk %s", git_oid_tostr_s(heads));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = git_revwalk_push(walk, &heads[i])) < 0) {
			r = gt_error_git(r, "cannot walk %s", git_oid_tostr_s(&heads[i]));
			goto out;
		}
	while ((r = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		git_tree *tree = NULL;
		cJSON *op = NULL;
		char what[GIT_OID_HEXSZ + 1];
		git_oid_tostr(what, sizeof(what), &id);
		if ((r = lookup_commit(&c, git, &id, what)) < 0)
			goto out;
		if (git_commit_tree(&tree, c) < 0)
			r = gt_error_set(GT_ECORRUPT, "%s: commit has no tree", what);
		else
			r = read_blob_json(&op, git, tree, GT_OP_FILE, what);
		git_tree_free(tree);
		git_commit_free(c);
		if (r < 0)
			goto out;
		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			ops = gt_xrealloc(ops, alloc * sizeof(*ops));
		}
		const char *actor = gt_json_str(op, "actor");
		ops[nr].id = id;
		ops[nr].op = op;
		ops[nr].clock = gt_json_long(op, "clock", 0);
		ops[nr].time = gt_json_long(op, "time", 0);
		ops[nr].actor = actor ? actor : "";
		nr++;
	}
	if (r != GIT_ITEROVER) {
		r = gt_error_git(r, "cannot walk %s", git_oid_tostr_s(heads));
		goto out;
	}
	qsort(ops, nr, sizeof(*ops), replay_cmp);
	cJSON *snapshot = cJSON_CreateObject();
	for (size_t i = 0; i < nr; i++)
		if ((r = gt_op_apply(snapshot, ops[i].op)) < 0) {
			cJSON_Delete(snapshot);
			goto out;
		}
	*out = snapshot;
	r = 0;
out:
	for (size_t i = 0; i < nr; i++)
		cJSON_Delete(ops[i].op);
	free(ops);
	git_revwalk_free(walk);
	return r;
}

int gt_entity_foreach_ref(gt_repo *repo, const gt_entity_type *type,
			  gt_entity_ref_cb cb, void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t plen = strlen(type->ref_prefix);
	gt_strbuf glob = GT_STRBUF_INIT;
	int r;

	gt_strbuf_addf(&glob, "%s*", type->ref_prefix);
	r = git_reference_iterator_glob_new(&it, gt_repo_git(repo), glob.buf);
	gt_strbuf_release(&glob);
	if (r < 0)
		return gt_error_git(r, "cannot list %s", type->ref_prefix);
	while ((r = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *tip = git_reference_target(ref);
		int stop = 0;
		if (tip && !strncmp(name, type->ref_prefix, plen))
			stop = cb(name, name + plen, tip, payload);
		git_reference_free(ref);
		if (stop) {
			git_reference_iterator_free(it);
			return stop;
		}
	}
	git_reference_iterator_free(it);
	if (r != GIT_ITEROVER)
		return gt_error_git(r, "cannot list %s", type->ref_prefix);
	return 0;
}

/* --- writing ------------------------------------------------------------ */

struct prepared {
	char *refname;
	git_oid old;         /* zero when the ref does not exist */
	int exists;
	git_oid new_id;
};

/* The operation as stored: fixed member order, then the builder's rest. */
cJSON *gt_entity_stamp_op(cJSON *op, uint64_t clock, int64_t time_ms, const char *actor)
{
	cJSON *stamped = cJSON_CreateObject();
	const char *type = gt_json_str(op, "type");
	cJSON_AddStringToObject(stamped, "type", type ? type : "unknown");
	cJSON_AddNumberToObject(stamped, "clock", (double)clock);
	cJSON_AddNumberToObject(stamped, "time", (double)time_ms);
	cJSON_AddStringToObject(stamped, "actor", actor);
	while (op->child) {
		cJSON *m = cJSON_DetachItemViaPointer(op, op->child);
		if (!strcmp(m->string, "type") || !strcmp(m->string, "clock") ||
		    !strcmp(m->string, "time") || !strcmp(m->string, "actor"))
			cJSON_Delete(m);
		else
			cJSON_AddItemToObject(stamped, m->string, m);
	}
	cJSON_Delete(op);
	return stamped;
}

/* The commit message: "<op type>: <id> <title, first line, 72 bytes>". */
static char *commit_message(const cJSON *op, const cJSON *snapshot, const char *id)
{
	gt_strbuf msg = GT_STRBUF_INIT;
	const char *title = gt_json_str(snapshot, "title");
	gt_strbuf_addf(&msg, "%s: %s", gt_json_str(op, "type"), id);
	if (title && *title) {
		size_t n = strcspn(title, "\n");
		gt_strbuf_addf(&msg, " %.*s", (int)(n > 72 ? 72 : n), title);
	}
	gt_strbuf_addch(&msg, '\n');
	return gt_strbuf_detach(&msg);
}

/* How build_commit writes: direct below is one of these. */
enum { WRITE_ODB = 0, WRITE_LOOSE = 1, WRITE_NOTHING = 2 /* compute the id only */ };

/*
 * Write one object: straight to the loose object directory (every ordinary
 * write; see gt_repo_write_loose), or through the repository's object
 * database (bulk writers that swap in their own, such as import's
 * in-memory pack).
 */
static int write_object(git_oid *out, gt_repo *repo, int direct, const void *data,
			size_t len, git_object_t type)
{
	git_odb *odb = NULL;
	int r;
	if (direct == WRITE_NOTHING)
		return git_odb_hash(out, data, len, type) < 0
			? gt_error_git(-1, "cannot hash an object") : 0;
	if (direct)
		return gt_repo_write_loose(out, repo, data, len, type);
	if ((r = gt_odb_prepare_writes(gt_repo_git(repo))) < 0)
		return r;
	if ((r = git_repository_odb(&odb, gt_repo_git(repo))) == 0)
		r = git_odb_write(out, odb, data, len, type);
	git_odb_free(odb);
	return r < 0 ? gt_error_git(r, "cannot write object") : 0;
}

static int write_json(git_oid *out, gt_repo *repo, int direct, const cJSON *v)
{
	char *text = gt_json_print(v);
	if (!text)
		return GT_ERROR;
	int r = write_object(out, repo, direct, text, strlen(text), GIT_OBJECT_BLOB);
	free(text);
	return r;
}

/* A tree entry in git's raw format: "100644 <name>\0<20-byte id>". */
static void add_tree_entry(gt_strbuf *tree, const char *name, const git_oid *id)
{
	gt_strbuf_addf(tree, "100644 %s", name);
	gt_strbuf_addch(tree, '\0');
	gt_strbuf_add(tree, id->id, GIT_OID_RAWSZ);
}

/*
 * Write the blobs, tree and commit of one operation, built in git's raw
 * formats; *message (caller frees, may be NULL) gets the commit message.
 */
static int build_commit(git_oid *out, char **message, gt_repo *repo, int direct,
			const gt_entity_type *type, const char *id,
			const git_oid *parents, size_t np, const cJSON *op,
			const cJSON *snapshot)
{
	gt_strbuf tree = GT_STRBUF_INIT, commit = GT_STRBUF_INIT;
	git_oid op_id, snap_id, tree_id;
	char name[64], hex[GIT_OID_HEXSZ + 1];
	char *msg = NULL;
	int r;

	snapshot_name(name, sizeof(name), type);
	const char *actor = gt_json_str(op, "actor");
	if (!actor || !*actor || strpbrk(actor, "<>\n"))
		return gt_error_set(GT_EINVALID, "invalid actor '%s' (no '<', '>' or newline)",
				    actor ? actor : "");
	if ((r = write_json(&op_id, repo, direct, op)) < 0 ||
	    (r = write_json(&snap_id, repo, direct, snapshot)) < 0)
		goto out;
	/* entries in git's order: by name ("<type>.json" vs "op.json") */
	if (strcmp(name, GT_OP_FILE) < 0) {
		add_tree_entry(&tree, name, &snap_id);
		add_tree_entry(&tree, GT_OP_FILE, &op_id);
	} else {
		add_tree_entry(&tree, GT_OP_FILE, &op_id);
		add_tree_entry(&tree, name, &snap_id);
	}
	if ((r = write_object(&tree_id, repo, direct, tree.buf, tree.len, GIT_OBJECT_TREE)) < 0)
		goto out;
	long long secs = (long long)(gt_json_long(op, "time", 0) / 1000);
	gt_strbuf_addf(&commit, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree_id));
	for (size_t i = 0; i < np; i++)
		gt_strbuf_addf(&commit, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &parents[i]));
	gt_strbuf_addf(&commit, "author %s <%s> %lld +0000\n", actor, actor, secs);
	gt_strbuf_addf(&commit, "committer %s <%s> %lld +0000\n\n", actor, actor, secs);
	msg = commit_message(op, snapshot, id);
	gt_strbuf_adds(&commit, msg);
	if ((r = write_object(out, repo, direct, commit.buf, commit.len, GIT_OBJECT_COMMIT)) == 0 &&
	    message) {
		*message = msg;
		msg = NULL;
	}
out:
	free(msg);
	gt_strbuf_release(&tree);
	gt_strbuf_release(&commit);
	return r;
}

int gt_entity_commit(git_oid *out, char **message, gt_repo *repo,
		     const gt_entity_type *type, const char *id,
		     const git_oid *parent, const cJSON *op, const cJSON *snapshot)
{
	return build_commit(out, message, repo, 0, type, id, parent, parent ? 1 : 0,
			    op, snapshot);
}

/* Read, build and write the commit of one write; no ref moves yet. */
static int prepare_one(struct prepared *p, gt_repo *repo, gt_entity_write *w,
		       int64_t now)
{
	git_repository *git = gt_repo_git(repo);
	gt_entity *cur = NULL;
	cJSON *op = NULL, *snapshot = NULL;
	int r;

	w->changed = 0;
	if (!gt_entity_id_valid(w->id))
		return gt_error_set(GT_EINVALID, "invalid %s id '%s'", w->type->name, w->id);
	p->refname = gt_entity_refname(w->type, w->id);
	r = gt_refs_read(&p->old, git, p->refname);
	if (r == GT_ENOTFOUND) {
		if (!(w->flags & (GT_WRITE_CREATE | GT_WRITE_UPSERT)))
			return gt_error_set(GT_ENOTFOUND, "no such %s: %s", w->type->name, w->id);
		memset(&p->old, 0, sizeof(p->old));
		p->exists = 0;
	} else if (r < 0) {
		return r;
	} else {
		if (w->flags & GT_WRITE_CREATE)
			return gt_error_set(GT_EEXISTS, "%s %s already exists", w->type->name, w->id);
		p->exists = 1;
		cur = gt_xcalloc(1, sizeof(*cur));
		cur->tip = p->old;
		if ((r = read_commit_parts(cur, git, w->type, p->refname)) < 0)
			goto out;
	}
	if ((r = w->build(&op, cur ? cur->snapshot : NULL, w->id, w->payload)) < 0)
		goto out;
	if (!op)
		goto out; /* nothing to change */
	w->clock = (cur ? cur->clock : 0) + 1;
	op = gt_entity_stamp_op(op, w->clock, now, gt_repo_actor(repo));
	/* the current state becomes the new one: no copy (a large mailbox) */
	if (cur) {
		snapshot = cur->snapshot;
		cur->snapshot = NULL;
	} else {
		snapshot = cJSON_CreateObject();
	}
	if ((r = gt_op_apply(snapshot, op)) < 0)
		goto out;
	if ((r = build_commit(&p->new_id, NULL, repo, 1, w->type, w->id,
			      cur ? &cur->tip : NULL, cur ? 1 : 0, op, snapshot)) < 0)
		goto out;
	w->changed = 1;
	w->new_tip = p->new_id;
out:
	cJSON_Delete(op);
	cJSON_Delete(snapshot);
	gt_entity_free(cur);
	return r;
}

static void release_prepared(struct prepared *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].refname);
	}
	memset(p, 0, n * sizeof(*p));
}

static void backoff(unsigned attempt)
{
	/* jittered exponential backoff, 0.1 ms doubling up to ~20 ms */
	unsigned cap = attempt < 8 ? 100u << attempt : 20000u;
	struct timespec ts = { 0, (long)(rand() % (cap + 1)) * 1000L };
	nanosleep(&ts, NULL);
}

int gt_entity_check_actor(const char *actor)
{
	if (!strcmp(actor, GT_MERGE_ACTOR))
		return gt_error_set(GT_EINVALID, "the actor name '%s' is reserved for the commits "
				    "sync makes: set GT_ACTOR or user.actor to another", actor);
	return 0;
}

int gt_entity_write_many(gt_repo *repo, gt_entity_write *writes, size_t n)
{
	struct prepared *prep = gt_xcalloc(n, sizeof(*prep));
	gt_ref_update *updates = gt_xcalloc(n, sizeof(*updates));
	struct timespec start;
	long lock_wait_s = gt_refs_lock_wait_seconds(repo);
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	srand((unsigned)getpid() ^ (unsigned)start.tv_nsec);
	if ((r = gt_entity_check_actor(gt_repo_actor(repo))) < 0 ||
	    (r = gt_txn_recover(repo)) < 0)
		goto out;
	for (unsigned attempt = 0;; attempt++) {
		size_t nu = 0;
		int64_t now = gt_now_ms();
		const char *locked = NULL;

		for (size_t i = 0; i < n; i++)
			if ((r = prepare_one(&prep[i], repo, &writes[i], now)) < 0)
				goto out;
		for (size_t i = 0; i < n; i++) {
			if (!writes[i].changed)
				continue;
			updates[nu].refname = prep[i].refname;
			updates[nu].old = prep[i].old;
			updates[nu].new_id = prep[i].new_id;
			nu++;
		}
		/* compare-and-swap; several refs all or nothing */
		r = nu ? gt_refs_update(repo, updates, nu) : 0;
		if (r == GT_ELOCKED) {
			/* name the ref from the message "cannot update <ref>: ..." */
			for (size_t i = 0; i < nu && !locked; i++)
				if (strstr(gt_error_last(), updates[i].refname))
					locked = updates[i].refname;
			if (locked && gt_txn_break_stale_lock(repo, locked) > 0)
				attempt = 0;
			if (gt_refs_elapsed_s(&start) > (double)lock_wait_s) {
				r = gt_error_set(GT_ELOCKED,
						 "%s stays locked by another process "
						 "(remove %s.lock if no gt or git command is running)",
						 locked ? locked : "a ref", locked ? locked : "the ref");
				goto out;
			}
		} else if (r != GT_ECONFLICT) {
			goto out;
		}
		release_prepared(prep, n);
		if (r == GT_ECONFLICT && gt_refs_elapsed_s(&start) > 60) {
			r = gt_error_set(GT_ECONFLICT, "gave up after %u lost races", attempt + 1);
			goto out;
		}
		backoff(attempt);
	}
out:
	release_prepared(prep, n);
	free(prep);
	free(updates);
	return r;
}

int gt_entity_write_one(gt_repo *repo, gt_entity_write *w)
{
	return gt_entity_write_many(repo, w, 1);
}

/* --- merging ------------------------------------------------------------ */

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static int commit_merge(git_oid *out, gt_repo *repo, int direct, const gt_entity_type *type,
			const char *id, const git_oid *heads, size_t n)
{
	git_oid *parents = gt_xcalloc(n ? n : 1, sizeof(*parents));
	cJSON *snapshot = NULL, *op = NULL;
	uint64_t clock = 0;
	int64_t time = 0;
	int r;

	/* parents in object id order: the commit does not depend on who merges */
	memcpy(parents, heads, n * sizeof(*parents));
	qsort(parents, n, sizeof(*parents), cmp_oid);
	for (size_t i = 0; i < n; i++) {
		gt_entity *e = NULL;
		if ((r = gt_entity_read_commit(&e, repo, type, &parents[i])) < 0)
			goto out;
		int64_t t = (int64_t)gt_json_long(e->op, "time", 0);
		if (e->clock > clock)
			clock = e->clock;
		if (t > time)
			time = t;
		gt_entity_free(e);
	}
	if ((r = gt_entity_replay_heads(&snapshot, repo, parents, n)) < 0)
		goto out;
	op = gt_entity_stamp_op(gt_op_new("merge"), clock + 1, time, GT_MERGE_ACTOR);
	r = build_commit(out, NULL, repo, direct, type, id, parents, n, op, snapshot);
out:
	cJSON_Delete(op);
	cJSON_Delete(snapshot);
	free(parents);
	return r;
}

int gt_entity_commit_merge(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			   const char *id, const git_oid *heads, size_t n)
{
	return commit_merge(out, repo, WRITE_ODB, type, id, heads, n);
}

int gt_entity_hash_merge(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			 const char *id, const git_oid *heads, size_t n)
{
	return commit_merge(out, repo, WRITE_NOTHING, type, id, heads, n);
}

static int commit_op_on(git_oid *out, gt_repo *repo, int direct, const gt_entity_type *type,
			const char *id, const git_oid *tip, cJSON *op)
{
	gt_entity *e = NULL;
	cJSON *snapshot = NULL;
	int r;

	if ((r = gt_entity_read_commit(&e, repo, type, tip)) < 0) {
		cJSON_Delete(op);
		return r;
	}
	/* the tip's time, not now: every clone derives the same commit */
	op = gt_entity_stamp_op(op, e->clock + 1, (int64_t)gt_json_long(e->op, "time", 0),
				GT_MERGE_ACTOR);
	snapshot = cJSON_Duplicate(e->snapshot, 1);
	if ((r = gt_op_apply(snapshot, op)) == 0)
		r = build_commit(out, NULL, repo, direct, type, id, tip, 1, op, snapshot);
	cJSON_Delete(snapshot);
	cJSON_Delete(op);
	gt_entity_free(e);
	return r;
}

int gt_entity_commit_op_on(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			   const char *id, const git_oid *tip, cJSON *op)
{
	return commit_op_on(out, repo, WRITE_ODB, type, id, tip, op);
}

int gt_entity_hash_op_on(git_oid *out, gt_repo *repo, const gt_entity_type *type,
			 const char *id, const git_oid *tip, cJSON *op)
{
	return commit_op_on(out, repo, WRITE_NOTHING, type, id, tip, op);
}

cJSON *gt_entity_rename_op(const gt_entity_type *type, const cJSON *snapshot,
			   const char *old_id, const char *new_id)
{
	cJSON *op = gt_op_new("rename");
	if (cJSON_GetObjectItemCaseSensitive(snapshot, "id"))
		gt_op_set_str(op, "id", new_id);
	gt_op_add(op, "aliases", cJSON_CreateString(old_id), NULL);
	if (type->rename)
		type->rename(op, snapshot, old_id, new_id);
	return op;
}

/* --- ids ---------------------------------------------------------------- */

int gt_entity_new_id(char **out, gt_repo *repo, const gt_entity_type *type,
		     const char *prefix, const char *seed_text)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	static unsigned counter;
	gt_strbuf seed = GT_STRBUF_INIT;
	git_oid h;
	char b36[16];
	unsigned long long n = 0;

	/* hash of what is being created, by whom, when: unique enough that
	 * the short form rarely collides, and growing when it does */
	gt_strbuf_addf(&seed, "%s\n%s\n%lld\n%ld\n%u\n%d", seed_text, gt_repo_actor(repo),
		       (long long)gt_now_ms(), (long)getpid(), counter++, rand());
	git_odb_hash(&h, seed.buf, seed.len, GIT_OBJECT_BLOB);
	gt_strbuf_release(&seed);
	for (int i = 0; i < 8; i++)
		n = (n << 8) | h.id[i];
	for (int i = 0; i < 12; i++) {
		b36[i] = digits[n % 36];
		n /= 36;
	}
	for (int len = 4; len <= 12; len++) {
		gt_strbuf ref = GT_STRBUF_INIT;
		git_oid tip;
		gt_strbuf_addf(&ref, "%s%s-%.*s", type->ref_prefix, prefix, len, b36);
		if (gt_refs_read(&tip, gt_repo_git(repo), ref.buf) != 0) {
			*out = gt_xstrdup(ref.buf + strlen(type->ref_prefix));
			gt_strbuf_release(&ref);
			gt_error_clear();
			return 0;
		}
		gt_strbuf_release(&ref);
	}
	return gt_error_set(GT_EEXISTS, "cannot find a free id (12 base36 digits taken)");
}
