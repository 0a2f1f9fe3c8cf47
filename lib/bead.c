#include "bead.h"
#include "error.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A renamed bead's own dependencies carry its id as issue_id. */
static void bead_rename(cJSON *op, const cJSON *snapshot, const char *old_id,
			const char *new_id)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(snapshot, "dependencies")) {
		const char *issue = gt_json_str(d, "issue_id");
		if (!issue || strcmp(issue, old_id))
			continue;
		cJSON *match = cJSON_Duplicate(d, 1), *moved = cJSON_Duplicate(d, 1);
		gt_json_put_str(moved, "issue_id", new_id);
		gt_op_remove(op, "dependencies", match);
		gt_op_add(op, "dependencies", moved, NULL);
	}
}

cJSON *gt_bead_follow_op(const cJSON *snapshot, const char *old_id, const char *new_id)
{
	cJSON *op = gt_op_new("bead.follow"), *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(snapshot, "dependencies")) {
		if (strcmp(gt_json_str(d, "depends_on_id") ? gt_json_str(d, "depends_on_id") : "",
			   old_id))
			continue;
		cJSON *match = cJSON_CreateObject(), *moved = cJSON_Duplicate(d, 1);
		cJSON_AddStringToObject(match, "depends_on_id", old_id);
		if (gt_json_str(d, "type"))
			cJSON_AddStringToObject(match, "type", gt_json_str(d, "type"));
		gt_op_remove(op, "dependencies", match);
		gt_json_put_str(moved, "depends_on_id", new_id);
		gt_op_add(op, "dependencies", moved, NULL);
	}
	if (gt_json_str(snapshot, "parent") && !strcmp(gt_json_str(snapshot, "parent"), old_id))
		gt_op_set_str(op, "parent", new_id);
	return op;
}

const gt_entity_type gt_bead_type = { "bead", "refs/gastown/beads/", bead_rename, 0 };
const gt_entity_type gt_wisp_type = { "bead", GT_WISP_REF_PREFIX, bead_rename, 0 };

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int gt_bead_status_valid(const char *status)
{
	static const char *const statuses[] = {
		"open", "in_progress", "blocked", "hooked", "pinned", "deferred",
		"closed", NULL
	};
	return in_list(status, statuses);
}

int gt_bead_dep_blocks(const char *dep_type)
{
	static const char *const blocking[] = {
		"blocks", "conditional-blocks", "waits-for", NULL
	};
	return dep_type && in_list(dep_type, blocking);
}

int gt_bead_type_is_work(const char *issue_type)
{
	static const char *const not_work[] = {
		"message", "molecule", "gate", "agent", "role", "rig",
		"merge-request", "convoy", NULL
	};
	return !issue_type || !in_list(issue_type, not_work);
}

int gt_bead_dep_type_valid(const char *type)
{
	if (!type || !*type || strlen(type) > 64)
		return 0;
	for (const char *p = type; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int gt_bead_dep_target_valid(const char *target)
{
	const char *p, *colon;
	if (strncmp(target, "external:", 9))
		return gt_bead_id_valid(target);
	p = target + 9;
	colon = strchr(p, ':');
	if (!colon || colon == p)
		return 0;
	for (; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return gt_bead_id_valid(colon + 1);
}

int gt_bead_id_valid(const char *id)
{
	return gt_entity_id_valid(id) && !strchr(id, '%');
}

static char *now_string(void)
{
	char buf[32];
	gt_format_time(buf, sizeof(buf), gt_now_ms());
	return gt_xstrdup(buf);
}

/* --- validation --------------------------------------------------------- */

static int strings_valid(const cJSON *v, const char *member)
{
	if (cJSON_IsString(v)) {
		if (!gt_utf8_valid(v->valuestring, strlen(v->valuestring)))
			return gt_error_set(GT_EINVALID, "invalid UTF-8 in %s", member);
		if (strlen(v->valuestring) > GT_BEAD_MAX_TEXT)
			return gt_error_set(GT_EINVALID, "%s is longer than %d bytes",
					    member, GT_BEAD_MAX_TEXT);
		return 0;
	}
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		int r = strings_valid(c, member);
		if (r < 0)
			return r;
	}
	return 0;
}

static int validate_title(gt_repo *repo, const cJSON *title)
{
	long limit;
	int r;
	if (!cJSON_IsString(title) || !*title->valuestring)
		return gt_error_set(GT_EINVALID, "title must be a non-empty string");
	if (strchr(title->valuestring, '\n') || strchr(title->valuestring, '\r'))
		return gt_error_set(GT_EINVALID, "title must be one line");
	if ((r = gt_config_get_int(&limit, gt_repo_config(repo), "core.titleLimit", 500)) < 0)
		return r;
	if ((long)strlen(title->valuestring) > limit)
		return gt_error_set(GT_EINVALID,
				    "title is %zu bytes, over the limit of %ld (core.titleLimit)",
				    strlen(title->valuestring), limit);
	return 0;
}

static int validate_dependency(const cJSON *d)
{
	const char *target = gt_json_str(d, "depends_on_id");
	const char *type = gt_json_str(d, "type");
	if (!cJSON_IsObject(d) || !target || !type || !*type)
		return gt_error_set(GT_EINVALID,
				    "a dependency needs depends_on_id and type");
	if (!gt_bead_dep_target_valid(target))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s' in dependency", target);
	if (!gt_bead_dep_type_valid(type))
		return gt_error_set(GT_EINVALID, "invalid dependency type '%s'", type);
	return 0;
}

int gt_bead_validate(gt_repo *repo, const cJSON *fields, int partial)
{
	const cJSON *v;
	int r;

	if (!cJSON_IsObject(fields))
		return gt_error_set(GT_EINVALID, "a bead must be a JSON object");
	if ((r = strings_valid(fields, "a bead member")) < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(fields, "title");
	if ((v || !partial) && (r = validate_title(repo, v)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "id")) &&
	    (!cJSON_IsString(v) || !gt_bead_id_valid(v->valuestring)))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s' (letters, digits, '.', '_', '-')",
				    cJSON_IsString(v) ? v->valuestring : "(not a string)");
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "priority")) && !cJSON_IsNull(v) &&
	    (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	     v->valuedouble < 0 || v->valuedouble > 4))
		return gt_error_set(GT_EINVALID, "priority must be an integer from 0 to 4");
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "status")) &&
	    (!cJSON_IsString(v) || !gt_bead_status_valid(v->valuestring)))
		return gt_error_set(GT_EINVALID,
				    "invalid status '%s' (open, in_progress, blocked, hooked, pinned, deferred, closed)",
				    cJSON_IsString(v) ? v->valuestring : "(not a string)");
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "issue_type")) &&
	    (!cJSON_IsString(v) || !*v->valuestring || strpbrk(v->valuestring, " \t\n")))
		return gt_error_set(GT_EINVALID, "issue_type must be one word");
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "labels")) && !cJSON_IsNull(v)) {
		const cJSON *l;
		if (!cJSON_IsArray(v))
			return gt_error_set(GT_EINVALID, "labels must be a list of strings");
		cJSON_ArrayForEach(l, v)
			if (!cJSON_IsString(l) || !*l->valuestring ||
			    strlen(l->valuestring) > GT_BEAD_MAX_LABEL || strchr(l->valuestring, '\n'))
				return gt_error_set(GT_EINVALID,
						    "a label must be a non-empty line of at most %d bytes",
						    GT_BEAD_MAX_LABEL);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "dependencies")) && !cJSON_IsNull(v)) {
		const cJSON *d;
		if (!cJSON_IsArray(v))
			return gt_error_set(GT_EINVALID, "dependencies must be a list");
		cJSON_ArrayForEach(d, v)
			if ((r = validate_dependency(d)) < 0)
				return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "parent")) && !cJSON_IsNull(v) &&
	    (!cJSON_IsString(v) || !gt_bead_id_valid(v->valuestring)))
		return gt_error_set(GT_EINVALID, "invalid parent id");
	if ((v = cJSON_GetObjectItemCaseSensitive(fields, "assignee")) && !cJSON_IsNull(v) &&
	    (!cJSON_IsString(v) || strchr(v->valuestring, '\n')))
		return gt_error_set(GT_EINVALID, "assignee must be one line");
	return 0;
}

static int reaches(gt_repo *repo, const char *from, const char *goal,
		   gt_strlist *seen, gt_strlist *path);

/* --- ids ---------------------------------------------------------------- */

static int exists_as(gt_repo *repo, const gt_entity_type *type, const char *id)
{
	char *ref = gt_entity_refname(type, id);
	git_oid oid;
	int r = gt_refs_read(&oid, gt_repo_git(repo), ref) == 0;
	free(ref);
	return r;
}

static int bead_exists(gt_repo *repo, const char *id)
{
	return exists_as(repo, &gt_bead_type, id);
}

int gt_bead_is_wisp(gt_repo *repo, const char *id)
{
	/* wisp ids hold GT_WISP_ID_MARK: other ids cost no ref read here */
	return strstr(id, GT_WISP_ID_MARK) && !bead_exists(repo, id) &&
	       exists_as(repo, &gt_wisp_type, id);
}

/* The type an id is stored as: a wisp's when only a wisp has it. */
static const gt_entity_type *type_of(gt_repo *repo, const char *id)
{
	return gt_bead_is_wisp(repo, id) ? &gt_wisp_type : &gt_bead_type;
}

int gt_bead_new_id(char **out, gt_repo *repo, const char *title)
{
	return gt_entity_new_id(out, repo, &gt_bead_type, gt_repo_prefix(repo), title);
}

/* Highest n among the existing direct children <parent>.<n>. */
static int max_child(long *out, gt_repo *repo, const gt_entity_type *type,
		     const char *parent)
{
	gt_strlist names = GT_STRLIST_INIT;
	gt_strbuf prefix = GT_STRBUF_INIT;
	int r;

	*out = 0;
	gt_strbuf_addf(&prefix, "%s%s.", type->ref_prefix, parent);
	r = gt_refs_list_prefix(&names, gt_repo_git(repo), prefix.buf);
	for (size_t i = 0; r == 0 && i < names.nr; i++) {
		const char *rest = names.items[i] + prefix.len;
		char *end;
		long n = strtol(rest, &end, 10);
		if (end != rest && !*end && n > *out)
			*out = n;
	}
	gt_strlist_clear(&names);
	gt_strbuf_release(&prefix);
	return r;
}

/* --- create ------------------------------------------------------------- */

/*
 * Record in op the tip each target id has now ("targets": {id: tip}),
 * so that if that bead is later renamed because another clone gave its
 * id to another bead (see merge.h), this reference can follow it.
 */
static void record_target(cJSON *op, gt_repo *repo, const char *target)
{
	char *refname;
	git_oid tip;
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *targets;

	if (!target || !strncmp(target, "external:", 9))
		return;
	refname = gt_entity_refname(&gt_bead_type, target);
	if (gt_refs_read(&tip, gt_repo_git(repo), refname) == 0) {
		if (!(targets = cJSON_GetObjectItemCaseSensitive(op, "targets")))
			targets = cJSON_AddObjectToObject(op, "targets");
		gt_json_put_str(targets, target, git_oid_tostr(hex, sizeof(hex), &tip));
	}
	free(refname);
}

struct create_ctx {
	const cJSON *snapshot;
	gt_repo *repo;
};

static int build_create(cJSON **op_out, const cJSON *current, const char *id,
			void *payload)
{
	struct create_ctx *ctx = payload;
	(void)current;
	(void)id;
	cJSON *op = gt_op_new("bead.create");
	const cJSON *d;
	for (const cJSON *m = ctx->snapshot->child; m; m = m->next)
		gt_op_set(op, m->string, cJSON_Duplicate(m, 1));
	record_target(op, ctx->repo, gt_json_str(ctx->snapshot, "parent"));
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(ctx->snapshot, "dependencies"))
		record_target(op, ctx->repo, gt_json_str(d, "depends_on_id"));
	*op_out = op;
	return 0;
}

static cJSON *new_dependency(const char *id, const char *target, const char *type,
			     const char *now, const char *actor)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "issue_id", id);
	cJSON_AddStringToObject(d, "depends_on_id", target);
	cJSON_AddStringToObject(d, "type", type);
	cJSON_AddStringToObject(d, "created_at", now);
	cJSON_AddStringToObject(d, "created_by", actor);
	return d;
}

static cJSON *dep_match(const char *target, const char *type)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "depends_on_id", target);
	if (type)
		cJSON_AddStringToObject(m, "type", type);
	return m;
}

/* The snapshot of a new bead: defaults first, then the given members. */
static cJSON *initial_snapshot(gt_repo *repo, const cJSON *fields, const char *id)
{
	const char *actor = gt_repo_actor(repo);
	char *now = now_string();
	cJSON *s = cJSON_CreateObject();
	const char *parent = gt_json_str(fields, "parent");

	cJSON_AddStringToObject(s, "id", id);
	for (const cJSON *m = fields->child; m; m = m->next)
		if (strcmp(m->string, "id"))
			gt_json_put(s, m->string, cJSON_Duplicate(m, 1));
	if (!cJSON_GetObjectItemCaseSensitive(s, "status"))
		cJSON_AddStringToObject(s, "status", "open");
	if (!cJSON_GetObjectItemCaseSensitive(s, "priority"))
		cJSON_AddNumberToObject(s, "priority", GT_BEAD_DEFAULT_PRIORITY);
	if (!cJSON_GetObjectItemCaseSensitive(s, "issue_type"))
		cJSON_AddStringToObject(s, "issue_type", GT_BEAD_DEFAULT_TYPE);
	if (!cJSON_GetObjectItemCaseSensitive(s, "created_at"))
		cJSON_AddStringToObject(s, "created_at", now);
	if (!cJSON_GetObjectItemCaseSensitive(s, "created_by"))
		cJSON_AddStringToObject(s, "created_by", actor);
	if (!cJSON_GetObjectItemCaseSensitive(s, "updated_at"))
		cJSON_AddStringToObject(s, "updated_at", now);
	if (!strcmp(gt_json_str(s, "status"), "closed") &&
	    !cJSON_GetObjectItemCaseSensitive(s, "closed_at"))
		cJSON_AddStringToObject(s, "closed_at", now);
	/* fill in issue_id etc. of dependencies given as {type, depends_on_id} */
	cJSON *deps = cJSON_GetObjectItemCaseSensitive(s, "dependencies"), *d;
	cJSON_ArrayForEach(d, deps) {
		if (!cJSON_GetObjectItemCaseSensitive(d, "issue_id"))
			gt_json_put_str(d, "issue_id", id);
		if (!cJSON_GetObjectItemCaseSensitive(d, "created_at"))
			gt_json_put_str(d, "created_at", now);
		if (!cJSON_GetObjectItemCaseSensitive(d, "created_by"))
			gt_json_put_str(d, "created_by", actor);
	}
	if (parent) {
		int have = 0;
		cJSON_ArrayForEach(d, deps)
			if (!strcmp(gt_json_str(d, "type"), "parent-child") &&
			    !strcmp(gt_json_str(d, "depends_on_id"), parent))
				have = 1;
		if (!have) {
			if (!deps) {
				deps = cJSON_CreateArray();
				cJSON_AddItemToObject(s, "dependencies", deps);
			}
			cJSON_AddItemToArray(deps, new_dependency(id, parent, "parent-child",
								  now, actor));
		}
	}
	free(now);
	return s;
}

/* Does id exist in the ledger or among the first n batch ids? */
static int known(gt_repo *repo, const gt_entity_type *type, const char *id,
		 const gt_strlist *batch, size_t n)
{
	for (size_t i = 0; i < n && i < batch->nr; i++)
		if (!strcmp(batch->items[i], id))
			return 1;
	return exists_as(repo, type, id);
}

/* A target outside the batch must be a readable bead, not just a ref. */
static int check_target(gt_repo *repo, const char *id, const gt_strlist *batch,
			const char *what)
{
	cJSON *b = NULL;
	int r;
	for (size_t i = 0; i < batch->nr; i++)
		if (!strcmp(batch->items[i], id))
			return 0;
	r = gt_bead_read(&b, repo, id);
	cJSON_Delete(b);
	if (r == GT_ENOTFOUND)
		return gt_error_set(GT_ENOTFOUND, "no such bead: %s (%s)", id, what);
	return r;
}

static int check_targets(gt_repo *repo, const cJSON *fields, const gt_strlist *batch)
{
	const char *parent = gt_json_str(fields, "parent");
	const cJSON *d;
	int r;
	if (parent && (r = check_target(repo, parent, batch, "parent")) < 0)
		return r;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(fields, "dependencies")) {
		const char *t = gt_json_str(d, "depends_on_id");
		if (strncmp(t, "external:", 9) &&
		    (r = check_target(repo, t, batch, "dependency")) < 0)
			return r;
	}
	return 0;
}

/* Highest n of <parent>.<n> among the ids already given in this batch. */
static long max_child_in_batch(const gt_strlist *batch, const char *parent)
{
	size_t plen = strlen(parent);
	long max = 0;
	for (size_t i = 0; i < batch->nr; i++) {
		const char *id = batch->items[i];
		char *end;
		if (strncmp(id, parent, plen) || id[plen] != '.')
			continue;
		long n = strtol(id + plen + 1, &end, 10);
		if (end != id + plen + 1 && !*end && n > max)
			max = n;
	}
	return max;
}

/* Choose an id for each record: given, <parent>.<n>, or a new hash id. */
static int assign_ids(gt_strlist *ids, gt_repo *repo, const gt_entity_type *type,
		      const cJSON *records)
{
	const cJSON *rec;
	int r;
	cJSON_ArrayForEach(rec, records) {
		const char *given = gt_json_str(rec, "id");
		const char *parent = gt_json_str(rec, "parent");
		char *id = NULL;
		if (given) {
			if (known(repo, type, given, ids, ids->nr) && !exists_as(repo, type, given))
				return gt_error_set(GT_EINVALID, "id %s is given twice", given);
			id = gt_xstrdup(given);
		} else if (parent) {
			long n, in_batch = max_child_in_batch(ids, parent);
			if ((r = max_child(&n, repo, type, parent)) < 0)
				return r;
			gt_strbuf sb = GT_STRBUF_INIT;
			gt_strbuf_addf(&sb, "%s.%ld", parent, (n > in_batch ? n : in_batch) + 1);
			id = gt_strbuf_detach(&sb);
		} else {
			do {
				free(id);
				if ((r = gt_bead_new_id(&id, repo, gt_json_str(rec, "title"))) < 0)
					return r;
			} while (known(repo, type, id, ids, ids->nr));
		}
		gt_strlist_push(ids, id);
		free(id);
	}
	return 0;
}

int gt_bead_create_many(gt_strlist *ids_out, gt_repo *repo, const cJSON *records,
			int allow_dangling)
{
	struct gt_bead_create_opts o = { NULL, allow_dangling, NULL, 0 };
	return gt_bead_create_many_opts(ids_out, repo, records, &o);
}

int gt_bead_create_many_opts(gt_strlist *ids_out, gt_repo *repo, const cJSON *records,
			     const struct gt_bead_create_opts *o)
{
	size_t n = (size_t)cJSON_GetArraySize(records), i;
	const gt_entity_type *type = o->type ? o->type : &gt_bead_type;
	gt_entity_write *writes = gt_xcalloc(n + o->nextra, sizeof(*writes));
	struct create_ctx *ctx = gt_xcalloc(n, sizeof(*ctx));
	gt_strlist ids = GT_STRLIST_INIT;
	const cJSON *rec;
	int r = 0;

	cJSON_ArrayForEach(rec, records)
		if ((r = gt_bead_validate(repo, rec, 0)) < 0)
			goto out;
	for (int attempt = 0; attempt < 100; attempt++) {
		if ((r = assign_ids(&ids, repo, type, records)) < 0)
			goto out;
		i = 0;
		cJSON_ArrayForEach(rec, records) {
			if (!o->allow_dangling && (r = check_targets(repo, rec, &ids)) < 0)
				goto out;
			ctx[i].snapshot = initial_snapshot(repo, rec, ids.items[i]);
			ctx[i].repo = repo;
			writes[i] = (gt_entity_write){ type, ids.items[i], GT_WRITE_CREATE,
						       build_create, &ctx[i], 0, { { 0 } }, 0 };
			i++;
		}
		for (size_t k = 0; k < o->nextra; k++)
			writes[n + k] = o->extra[k];
		r = gt_entity_write_many(repo, writes, n + o->nextra);
		for (size_t k = 0; k < o->nextra; k++)
			o->extra[k] = writes[n + k];
		for (i = 0; i < n; i++) {
			cJSON_Delete((cJSON *)ctx[i].snapshot);
			ctx[i].snapshot = NULL;
		}
		if (r == 0) {
			for (i = 0; i < ids.nr; i++)
				gt_strlist_push(ids_out, ids.items[i]);
			goto out;
		}
		if (r != GT_EEXISTS)
			goto out;
		/* a given id is taken: that is the user's error; a chosen one was
		 * taken by another writer meanwhile: choose again */
		cJSON_ArrayForEach(rec, records)
			if (gt_json_str(rec, "id") && exists_as(repo, type, gt_json_str(rec, "id")))
				goto out;
		gt_strlist_clear(&ids);
	}
	r = gt_error_set(GT_EEXISTS, "cannot find free ids");
out:
	gt_strlist_clear(&ids);
	free(ctx);
	free(writes);
	return r;
}

int gt_bead_create(char **id_out, gt_repo *repo, const cJSON *fields,
		   int allow_dangling)
{
	cJSON *one = cJSON_CreateArray();
	gt_strlist ids = GT_STRLIST_INIT;
	cJSON_AddItemReferenceToArray(one, (cJSON *)fields);
	int r = gt_bead_create_many(&ids, repo, one, allow_dangling);
	cJSON_Delete(one);
	if (r == 0)
		*id_out = gt_xstrdup(ids.items[0]);
	gt_strlist_clear(&ids);
	return r;
}

/* --- update ------------------------------------------------------------- */

static int label_present(const cJSON *snapshot, const char *label)
{
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(snapshot, "labels"))
		if (cJSON_IsString(l) && !strcmp(l->valuestring, label))
			return 1;
	return 0;
}

/* Status change side effects, as beads does them. */
static void status_effects(cJSON *op, const cJSON *current, const char *status,
			   const cJSON *set, const char *now)
{
	const char *old = gt_json_str(current, "status");
	int was_closed = old && !strcmp(old, "closed");
	int closing = !strcmp(status, "closed");
	if (closing && !was_closed &&
	    !(set && cJSON_GetObjectItemCaseSensitive(set, "closed_at")))
		gt_op_set_str(op, "closed_at", now);
	if (!closing && was_closed) {
		if (cJSON_GetObjectItemCaseSensitive(current, "closed_at"))
			gt_op_unset(op, "closed_at");
		if (cJSON_GetObjectItemCaseSensitive(current, "close_reason"))
			gt_op_unset(op, "close_reason");
	}
}

/* The parent member and the parent-child dependency move together. */
static void parent_effects(cJSON *op, const cJSON *current, const char *id,
			   const char *parent, const char *now, const char *actor)
{
	const char *old = gt_json_str(current, "parent");
	if (old)
		gt_op_remove(op, "dependencies", dep_match(old, "parent-child"));
	if (parent)
		gt_op_add(op, "dependencies",
			  new_dependency(id, parent, "parent-child", now, actor),
			  dep_match(parent, "parent-child"));
}

struct update_ctx {
	const struct gt_bead_update *u;
	const char *actor;
};

static int build_update(cJSON **op_out, const cJSON *current, const char *id,
			void *payload)
{
	const struct update_ctx *ctx = payload;
	const struct gt_bead_update *u = ctx->u;
	cJSON *op = gt_op_new(u->op_type ? u->op_type : "bead.update");
	char *now = now_string();
	(void)id;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(current, GT_TOMBSTONE_KEY))) {
		free(now);
		cJSON_Delete(op);
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	}
	for (const cJSON *m = u->set ? u->set->child : NULL; m; m = m->next) {
		const cJSON *cur = cJSON_GetObjectItemCaseSensitive(current, m->string);
		if (cJSON_IsNull(m)) {
			if (cur)
				gt_op_unset(op, m->string);
			if (cur && !strcmp(m->string, "parent"))
				parent_effects(op, current, id, NULL, now, ctx->actor);
			continue;
		}
		if (cur && cJSON_Compare(cur, m, 1))
			continue;
		gt_op_set(op, m->string, cJSON_Duplicate(m, 1));
		if (!strcmp(m->string, "status"))
			status_effects(op, current, m->valuestring, u->set, now);
		if (!strcmp(m->string, "parent"))
			parent_effects(op, current, id, m->valuestring, now, ctx->actor);
	}
	for (size_t i = 0; u->add_labels && i < u->add_labels->nr; i++)
		if (!label_present(current, u->add_labels->items[i]))
			gt_op_add(op, "labels", cJSON_CreateString(u->add_labels->items[i]), NULL);
	for (size_t i = 0; u->remove_labels && i < u->remove_labels->nr; i++)
		if (label_present(current, u->remove_labels->items[i]))
			gt_op_remove(op, "labels", cJSON_CreateString(u->remove_labels->items[i]));
	if (gt_op_change_count(op) == 0) {
		cJSON_Delete(op);
		op = NULL;
	} else if (!(u->set && cJSON_GetObjectItemCaseSensitive(u->set, "updated_at"))) {
		gt_op_set_str(op, "updated_at", now);
	}
	free(now);
	*op_out = op;
	return 0;
}

int gt_bead_update(int *changed, gt_repo *repo, const char *id,
		   const struct gt_bead_update *u)
{
	struct update_ctx ctx = { u, gt_repo_actor(repo) };
	gt_entity_write w = { type_of(repo, id), id, 0, build_update, &ctx, 0, { { 0 } }, 0 };
	int r = 0;

	if (u->set) {
		if (cJSON_GetObjectItemCaseSensitive(u->set, "id"))
			return gt_error_set(GT_EINVALID, "the id of a bead cannot change");
		if (cJSON_GetObjectItemCaseSensitive(u->set, GT_TOMBSTONE_KEY))
			return gt_error_set(GT_EINVALID, "'%s' is not a field to set", GT_TOMBSTONE_KEY);
		if (cJSON_GetObjectItemCaseSensitive(u->set, "dependencies"))
			return gt_error_set(GT_EINVALID,
					    "dependencies change with 'gt dep add' and 'gt dep rm'");
		if (cJSON_GetObjectItemCaseSensitive(u->set, "comments"))
			return gt_error_set(GT_EINVALID, "comments are added with 'gt comment'");
		const char *parent = gt_json_str(u->set, "parent");
		if (parent && !strcmp(parent, id))
			return gt_error_set(GT_EINVALID, "a bead cannot be its own parent");
		if ((r = gt_bead_validate(repo, u->set, 1)) < 0)
			return r;
	}
	for (size_t i = 0; u->add_labels && i < u->add_labels->nr; i++) {
		const char *l = u->add_labels->items[i];
		if (!*l || strlen(l) > GT_BEAD_MAX_LABEL || strchr(l, '\n') ||
		    !gt_utf8_valid(l, strlen(l)))
			return gt_error_set(GT_EINVALID,
					    "a label must be a non-empty line of at most %d bytes",
					    GT_BEAD_MAX_LABEL);
	}
	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	const char *parent = gt_json_str(u->set, "parent");
	if (parent && !bead_exists(repo, parent) && !gt_bead_is_wisp(repo, parent))
		return gt_error_set(GT_ENOTFOUND, "no such bead: %s (parent)", parent);
	if (parent) {
		gt_strlist seen = GT_STRLIST_INIT, path = GT_STRLIST_INIT;
		if (reaches(repo, parent, id, &seen, &path))
			r = gt_error_set(GT_ECYCLE, "%s cannot be the parent of %s: it depends on it",
					 parent, id);
		gt_strlist_clear(&seen);
		gt_strlist_clear(&path);
		if (r < 0)
			return r;
	}
	r = gt_entity_write_one(repo, &w);
	if (changed)
		*changed = w.changed;
	return r;
}

struct close_ctx {
	const char *reason;
	int closing;
};

static int build_close(cJSON **op_out, const cJSON *current, const char *id,
		       void *payload)
{
	struct close_ctx *c = payload;
	const char *status = gt_json_str(current, "status");
	int is_closed = status && !strcmp(status, "closed");
	char *now;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(current, GT_TOMBSTONE_KEY)))
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	if (c->closing && is_closed)
		return gt_error_set(GT_EREFUSED, "bead %s is already closed", id);
	if (!c->closing && !is_closed)
		return gt_error_set(GT_EREFUSED, "bead %s is not closed", id);
	now = now_string();
	cJSON *op = gt_op_new(c->closing ? "bead.close" : "bead.reopen");
	if (c->closing) {
		gt_op_set_str(op, "status", "closed");
		gt_op_set_str(op, "closed_at", now);
		if (c->reason)
			gt_op_set_str(op, "close_reason", c->reason);
	} else {
		gt_op_set_str(op, "status", "open");
		status_effects(op, current, "open", NULL, now);
	}
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

static int close_or_reopen(gt_repo *repo, const char *id, const char *reason,
			   int closing)
{
	struct close_ctx c = { reason, closing };
	gt_entity_write w = { type_of(repo, id), id, 0, build_close, &c, 0, { { 0 } }, 0 };
	if (reason && (strlen(reason) > GT_BEAD_MAX_TEXT || !gt_utf8_valid(reason, strlen(reason))))
		return gt_error_set(GT_EINVALID, "the reason must be valid UTF-8 of at most %d bytes",
				    GT_BEAD_MAX_TEXT);
	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	return gt_entity_write_one(repo, &w);
}

int gt_bead_close(gt_repo *repo, const char *id, const char *reason)
{
	return close_or_reopen(repo, id, reason, 1);
}

int gt_bead_reopen(gt_repo *repo, const char *id)
{
	return close_or_reopen(repo, id, NULL, 0);
}

/* --- comments ----------------------------------------------------------- */

struct comment_ctx {
	const char *text;
	const char *actor;
};

void gt_bead_op_comment(cJSON *op, const cJSON *current, const char *id,
			const char *actor, const char *text, const char *now)
{
	const cJSON *comments = cJSON_GetObjectItemCaseSensitive(current, "comments");
	int n = cJSON_IsArray(comments) ? cJSON_GetArraySize(comments) : 0;
	cJSON *v = cJSON_CreateObject();

	cJSON_AddNumberToObject(v, "id", n + 1);
	cJSON_AddStringToObject(v, "issue_id", id);
	cJSON_AddStringToObject(v, "author", actor);
	cJSON_AddStringToObject(v, "text", text);
	cJSON_AddStringToObject(v, "created_at", now);
	gt_op_append(op, "comments", v);
	if (cJSON_GetObjectItemCaseSensitive(current, "comment_count"))
		gt_op_set(op, "comment_count", cJSON_CreateNumber(n + 1));
}

static int build_comment(cJSON **op_out, const cJSON *current, const char *id,
			 void *payload)
{
	struct comment_ctx *c = payload;
	char *now;
	cJSON *op;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(current, GT_TOMBSTONE_KEY)))
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	now = now_string();
	op = gt_op_new("bead.comment");
	gt_bead_op_comment(op, current, id, c->actor, c->text, now);
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

int gt_bead_comment(gt_repo *repo, const char *id, const char *text)
{
	struct comment_ctx c = { text, gt_repo_actor(repo) };
	gt_entity_write w = { type_of(repo, id), id, 0, build_comment, &c, 0, { { 0 } }, 0 };
	if (!*text)
		return gt_error_set(GT_EINVALID, "empty comment");
	if (strlen(text) > GT_BEAD_MAX_TEXT || !gt_utf8_valid(text, strlen(text)))
		return gt_error_set(GT_EINVALID, "a comment must be valid UTF-8 of at most %d bytes",
				    GT_BEAD_MAX_TEXT);
	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	return gt_entity_write_one(repo, &w);
}

/* --- dependencies ------------------------------------------------------- */

int gt_bead_read(cJSON **out, gt_repo *repo, const char *id)
{
	gt_entity *e;
	int r;
	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	if ((r = gt_entity_read(&e, repo, type_of(repo, id), id)) < 0)
		return r;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->snapshot, GT_TOMBSTONE_KEY))) {
		gt_entity_free(e);
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	}
	*out = e->snapshot;
	e->snapshot = NULL;
	gt_entity_free(e);
	return 0;
}

static int orders(const char *type)
{
	return gt_bead_dep_blocks(type) || (type && !strcmp(type, "parent-child"));
}

/*
 * Depth-first search from `from` along ordering edges, looking for
 * `goal`; on success path holds goal's chain back to from.
 */
static int reaches(gt_repo *repo, const char *from, const char *goal,
		   gt_strlist *seen, gt_strlist *path)
{
	cJSON *s = NULL;
	const cJSON *d;
	int found = 0;

	if (!strcmp(from, goal)) {
		gt_strlist_push(path, from);
		return 1;
	}
	for (size_t i = 0; i < seen->nr; i++)
		if (!strcmp(seen->items[i], from))
			return 0;
	gt_strlist_push(seen, from);
	if (gt_bead_read(&s, repo, from) < 0)
		return 0; /* a dangling or damaged edge cannot close a cycle */
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(s, "dependencies")) {
		const char *t = gt_json_str(d, "depends_on_id");
		if (t && orders(gt_json_str(d, "type")) && reaches(repo, t, goal, seen, path)) {
			gt_strlist_push(path, from);
			found = 1;
			break;
		}
	}
	cJSON_Delete(s);
	return found;
}

struct dep_ctx {
	const char *target, *type, *actor;
	int adding;
	gt_repo *repo;
};

static int build_dep(cJSON **op_out, const cJSON *current, const char *id,
		     void *payload)
{
	struct dep_ctx *c = payload;
	const cJSON *deps = cJSON_GetObjectItemCaseSensitive(current, "dependencies"), *d;
	cJSON *match = dep_match(c->target, c->type);
	int have = 0, count = cJSON_IsArray(deps) ? cJSON_GetArraySize(deps) : 0;
	char *now;

	cJSON_ArrayForEach(d, deps) {
		int same = 1;
		for (const cJSON *m = match->child; m; m = m->next)
			if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(d, m->string), m, 1))
				same = 0;
		have += same;
	}
	if (c->adding ? have : !have) {
		cJSON_Delete(match);
		if (c->adding) {
			*op_out = NULL; /* already there */
			return 0;
		}
		return gt_error_set(GT_ENOTFOUND, "%s has no %s%sdependency on %s", id,
				    c->type ? c->type : "", c->type ? " " : "", c->target);
	}
	now = now_string();
	cJSON *op = gt_op_new(c->adding ? "bead.dep.add" : "bead.dep.remove");
	if (c->adding) {
		gt_op_add(op, "dependencies",
			  new_dependency(id, c->target, c->type, now, c->actor), match);
		record_target(op, c->repo, c->target);
	} else
		gt_op_remove(op, "dependencies", match);
	if (cJSON_GetObjectItemCaseSensitive(current, "dependency_count"))
		gt_op_set(op, "dependency_count",
			  cJSON_CreateNumber(c->adding ? count + 1 : count - have));
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

int gt_bead_dep_add(gt_repo *repo, const char *id, const char *depends_on,
		    const char *type)
{
	struct dep_ctx c = { depends_on, type, gt_repo_actor(repo), 1, repo };
	gt_entity_write w = { type_of(repo, id), id, 0, build_dep, &c, 0, { { 0 } }, 0 };
	cJSON *s = NULL;
	int r;

	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	if (!gt_bead_id_valid(depends_on))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", depends_on);
	if (!gt_bead_dep_type_valid(type))
		return gt_error_set(GT_EINVALID, "invalid dependency type '%s'", type ? type : "");
	if (!strcmp(id, depends_on))
		return gt_error_set(GT_EINVALID, "a bead cannot depend on itself");
	if ((r = gt_bead_read(&s, repo, id)) < 0)
		return r;
	cJSON_Delete(s);
	if ((r = gt_bead_read(&s, repo, depends_on)) < 0)
		return r;
	cJSON_Delete(s);
	if (orders(type)) {
		gt_strlist seen = GT_STRLIST_INIT, path = GT_STRLIST_INIT;
		if (reaches(repo, depends_on, id, &seen, &path)) {
			gt_strbuf sb = GT_STRBUF_INIT;
			gt_strbuf_adds(&sb, id);
			for (size_t i = path.nr; i-- > 0;)
				gt_strbuf_addf(&sb, " -> %s", path.items[i]);
			r = gt_error_set(GT_ECYCLE, "dependency cycle: %s", sb.buf);
			gt_strbuf_release(&sb);
		}
		gt_strlist_clear(&seen);
		gt_strlist_clear(&path);
		if (r < 0)
			return r;
	}
	return gt_entity_write_one(repo, &w);
}

int gt_bead_dep_remove(gt_repo *repo, const char *id, const char *depends_on,
		       const char *type)
{
	struct dep_ctx c = { depends_on, type, gt_repo_actor(repo), 0, repo };
	gt_entity_write w = { type_of(repo, id), id, 0, build_dep, &c, 0, { { 0 } }, 0 };
	if (!gt_bead_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
	if (!gt_bead_id_valid(depends_on))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", depends_on);
	return gt_entity_write_one(repo, &w);
}
