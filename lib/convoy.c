#include "convoy.h"
#include "bead.h"
#include "error.h"
#include "index.h"
#include "json.h"
#include "ready.h"
#include "refs.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const gt_entity_type gt_convoy_type = { "convoy", "refs/gastown/convoys/", NULL, 0 };

int gt_convoy_id_valid(const char *id)
{
	return gt_bead_id_valid(id);
}

static char *now_string(void)
{
	char buf[32];
	gt_format_time(buf, sizeof(buf), gt_now_ms());
	return gt_xstrdup(buf);
}

static int is_external(const char *member)
{
	return !strncmp(member, "external:", 9);
}

static int has_member(const cJSON *snapshot, const char *member)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(snapshot, "beads"))
		if (cJSON_IsString(m) && !strcmp(m->valuestring, member))
			return 1;
	return 0;
}

static int is_deleted(const cJSON *snapshot)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snapshot, GT_TOMBSTONE_KEY));
}

static int is_closed(const cJSON *snapshot)
{
	const char *s = gt_json_str(snapshot, "status");
	return s && !strcmp(s, "closed");
}

/* Each member well formed, each local one an existing bead. */
static int check_members(gt_repo *repo, const gt_strlist *beads)
{
	for (size_t i = 0; beads && i < beads->nr; i++) {
		const char *m = beads->items[i];
		cJSON *b = NULL;
		int r;
		if (!gt_bead_dep_target_valid(m))
			return gt_error_set(GT_EINVALID, "invalid bead '%s' (a bead id, or "
					    "external:<project>:<id> for a bead of another rig)", m);
		if (is_external(m))
			continue;
		r = gt_bead_read(&b, repo, m);
		cJSON_Delete(b);
		if (r == GT_ENOTFOUND)
			return gt_error_set(GT_ENOTFOUND, "no such bead: %s", m);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_id(const char *id)
{
	if (!gt_convoy_id_valid(id))
		return gt_error_set(GT_EINVALID, "invalid convoy id '%s'", id);
	return 0;
}

/* --- the state of members ----------------------------------------------- */

/* The other rigs' repositories opened so far, by project name. */
struct rigs {
	gt_repo *repo;
	gt_strlist names;
	gt_repo **repos; /* NULL where the rig cannot be opened */
};

static void rigs_clear(struct rigs *r)
{
	for (size_t i = 0; i < r->names.nr; i++)
		gt_repo_free(r->repos[i]);
	free(r->repos);
	gt_strlist_clear(&r->names);
}

/* The repository of project (rigs.<project>), or NULL. */
static gt_repo *rig_open(struct rigs *rigs, const char *project)
{
	gt_strbuf key = GT_STRBUF_INIT, path = GT_STRBUF_INIT;
	const char *value, *base;
	gt_repo *other = NULL;

	for (size_t i = 0; i < rigs->names.nr; i++)
		if (!strcmp(rigs->names.items[i], project))
			return rigs->repos[i];
	gt_strbuf_adds(&key, "rigs.");
	for (const char *p = project; *p; p++)
		gt_strbuf_addch(&key, (*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	value = gt_config_get(gt_repo_config(rigs->repo), key.buf);
	if (value && *value) {
		base = git_repository_workdir(gt_repo_git(rigs->repo));
		if (!base)
			base = git_repository_path(gt_repo_git(rigs->repo));
		if (*value != '/')
			gt_strbuf_addf(&path, "%s%s", base, value);
		else
			gt_strbuf_adds(&path, value);
		if (gt_repo_open(&other, path.buf) < 0)
			other = NULL;
		gt_error_clear();
	}
	gt_strlist_push(&rigs->names, project);
	rigs->repos = gt_xrealloc(rigs->repos, rigs->names.nr * sizeof(*rigs->repos));
	rigs->repos[rigs->names.nr - 1] = other;
	gt_strbuf_release(&key);
	gt_strbuf_release(&path);
	return other;
}

/*
 * The bead a member names, read afresh: *bead_out (caller deletes; NULL
 * when there is none), *status its status, "missing" or "unknown";
 * *rig_out the project of an external member (NULL for local ones).
 * Returns a negative code only for damage or I/O errors.
 */
static int member_read(cJSON **bead_out, const char **status, char **rig_out,
		       struct rigs *rigs, const char *member)
{
	gt_repo *where = rigs->repo;
	const char *id = member;
	char *project = NULL;
	int r;

	*bead_out = NULL;
	if (rig_out)
		*rig_out = NULL;
	if (is_external(member)) {
		const char *colon = strchr(member + 9, ':');
		project = gt_xstrndup(member + 9, (size_t)(colon - member - 9));
		id = colon + 1;
		where = rig_open(rigs, project);
		if (!where) {
			*status = "unknown";
			goto out;
		}
	}
	r = gt_bead_read(bead_out, where, id);
	if (r == GT_ENOTFOUND) {
		*status = "missing";
	} else if (r < 0) {
		if (project) {
			*status = "unknown"; /* another rig's damage is not ours */
			gt_error_clear();
		} else {
			free(project);
			return r;
		}
	} else {
		*status = gt_json_str(*bead_out, "status");
		if (!*status)
			*status = "open";
	}
out:
	if (rig_out)
		*rig_out = project;
	else
		free(project);
	return 0;
}

/* *complete: 1 when snapshot has members and every one is done. */
static int members_done(int *complete, struct rigs *rigs, const cJSON *snapshot)
{
	const cJSON *m;
	int n = 0;

	*complete = 0;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(snapshot, "beads")) {
		cJSON *b;
		const char *status;
		int r;
		if (!cJSON_IsString(m))
			continue;
		if ((r = member_read(&b, &status, NULL, rigs, m->valuestring)) < 0)
			return r;
		r = !strcmp(status, "closed");
		cJSON_Delete(b);
		if (!r)
			return 0;
		n++;
	}
	*complete = n > 0;
	return 0;
}

/* --- writing ------------------------------------------------------------ */

struct create_ctx {
	const char *title;
	const gt_strlist *beads;
	const char *actor;
};

static int build_create(cJSON **op_out, const cJSON *current, const char *id,
			void *payload)
{
	struct create_ctx *c = payload;
	char *now = now_string();
	cJSON *op = gt_op_new("convoy.create"), *beads = cJSON_CreateArray();
	(void)current;

	for (size_t i = 0; c->beads && i < c->beads->nr; i++) {
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(c->beads->items[i], c->beads->items[j]);
		if (!seen)
			cJSON_AddItemToArray(beads, cJSON_CreateString(c->beads->items[i]));
	}
	gt_op_set_str(op, "id", id);
	gt_op_set_str(op, "title", c->title);
	gt_op_set_str(op, "status", "open");
	gt_op_set(op, "beads", beads);
	gt_op_set_str(op, "created_at", now);
	gt_op_set_str(op, "created_by", c->actor);
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

int gt_convoy_create(char **id_out, gt_repo *repo, const char *title,
		     const char *id, const gt_strlist *beads)
{
	struct create_ctx c = { title, beads, gt_repo_actor(repo) };
	cJSON *fields;
	int r;

	*id_out = NULL;
	fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fields, "title", title);
	r = gt_bead_validate(repo, fields, 0);
	cJSON_Delete(fields);
	if (r < 0)
		return r;
	if (id && (r = check_id(id)) < 0)
		return r;
	if ((r = check_members(repo, beads)) < 0)
		return r;
	for (int attempt = 0; attempt < 16; attempt++) {
		char *chosen = NULL;
		gt_strbuf prefix = GT_STRBUF_INIT;
		if (id) {
			chosen = gt_xstrdup(id);
		} else {
			gt_strbuf_addf(&prefix, "%s%s", gt_repo_prefix(repo), GT_CONVOY_ID_INFIX);
			r = gt_entity_new_id(&chosen, repo, &gt_convoy_type, prefix.buf, title);
			gt_strbuf_release(&prefix);
			if (r < 0)
				return r;
		}
		gt_entity_write w = { &gt_convoy_type, chosen, GT_WRITE_CREATE, build_create,
				      &c, 0, { { 0 } }, 0 };
		r = gt_entity_write_one(repo, &w);
		if (r == 0) {
			*id_out = chosen;
			return 0;
		}
		if (r == GT_EEXISTS && id)
			r = gt_error_set(GT_EEXISTS, "convoy %s already exists", id);
		free(chosen);
		if (r != GT_EEXISTS || id)
			return r;
	}
	return gt_error_set(GT_EEXISTS, "cannot find a free convoy id");
}

struct members_ctx {
	const gt_strlist *beads;
	int adding;
};

static int build_members(cJSON **op_out, const cJSON *current, const char *id,
			 void *payload)
{
	struct members_ctx *c = payload;
	cJSON *op;
	char *now;

	if (is_deleted(current))
		return gt_error_set(GT_ENOTFOUND, "convoy %s was deleted", id);
	if (c->adding && is_closed(current))
		return gt_error_set(GT_EREFUSED, "convoy %s is closed: reopen it first "
				    "('gt convoy reopen %s')", id, id);
	op = gt_op_new(c->adding ? "convoy.add" : "convoy.remove");
	for (size_t i = 0; i < c->beads->nr; i++) {
		const char *m = c->beads->items[i];
		int present = has_member(current, m), again = 0;
		for (size_t j = 0; j < i; j++)
			again |= !strcmp(m, c->beads->items[j]);
		if (again)
			continue;
		if (c->adding && !present) {
			gt_op_add(op, "beads", cJSON_CreateString(m), NULL);
		} else if (!c->adding) {
			if (!present) {
				cJSON_Delete(op);
				return gt_error_set(GT_ENOTFOUND, "convoy %s does not track %s", id, m);
			}
			gt_op_remove(op, "beads", cJSON_CreateString(m));
		}
	}
	if (gt_op_change_count(op) == 0) {
		cJSON_Delete(op);
		*op_out = NULL;
		return 0;
	}
	now = now_string();
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

static int write_existing(int *changed, gt_repo *repo, const char *id,
			  gt_entity_build_cb build, void *payload)
{
	gt_entity_write w = { &gt_convoy_type, id, 0, build, payload, 0, { { 0 } }, 0 };
	int r = check_id(id);
	if (r < 0)
		return r;
	r = gt_entity_write_one(repo, &w);
	if (r == GT_ENOTFOUND && !*gt_error_last())
		r = gt_error_set(GT_ENOTFOUND, "no such convoy: %s", id);
	if (changed)
		*changed = w.changed;
	return r;
}

/* GT_ENOTFOUND "no such convoy" before anything else is checked. */
static int convoy_exists(gt_repo *repo, const char *id)
{
	char *ref;
	git_oid tip;
	int r;
	if ((r = check_id(id)) < 0)
		return r;
	ref = gt_entity_refname(&gt_convoy_type, id);
	r = gt_refs_read(&tip, gt_repo_git(repo), ref);
	free(ref);
	if (r == GT_ENOTFOUND)
		return gt_error_set(GT_ENOTFOUND, "no such convoy: %s", id);
	return r;
}

int gt_convoy_add(int *changed, gt_repo *repo, const char *id, const gt_strlist *beads)
{
	struct members_ctx c = { beads, 1 };
	int r;
	if (changed)
		*changed = 0;
	if ((r = convoy_exists(repo, id)) < 0 || (r = check_members(repo, beads)) < 0)
		return r;
	return write_existing(changed, repo, id, build_members, &c);
}

int gt_convoy_remove(gt_repo *repo, const char *id, const gt_strlist *beads)
{
	struct members_ctx c = { beads, 0 };
	int r;
	if ((r = convoy_exists(repo, id)) < 0)
		return r;
	/* a member that is malformed can still be removed: no check_members */
	return write_existing(NULL, repo, id, build_members, &c);
}

struct close_ctx {
	const char *reason;
	int closing;
	/* automatic closing: when the convoy is complete, else nothing */
	int automatic;
	const char *bead;   /* automatic: only when the convoy tracks it */
	struct rigs *rigs;
};

static int build_close(cJSON **op_out, const cJSON *current, const char *id,
		       void *payload)
{
	struct close_ctx *c = payload;
	int closed = is_closed(current), r;
	cJSON *op;
	char *now;

	*op_out = NULL;
	if (is_deleted(current))
		return c->automatic ? 0 : gt_error_set(GT_ENOTFOUND, "convoy %s was deleted", id);
	if (c->automatic) {
		int complete;
		if (closed || (c->bead && !has_member(current, c->bead)))
			return 0;
		if ((r = members_done(&complete, c->rigs, current)) < 0)
			return r;
		if (!complete)
			return 0;
	} else if (c->closing && closed) {
		return gt_error_set(GT_EREFUSED, "convoy %s is already closed", id);
	} else if (!c->closing && !closed) {
		return gt_error_set(GT_EREFUSED, "convoy %s is not closed", id);
	}
	now = now_string();
	op = gt_op_new(c->closing ? "convoy.close" : "convoy.reopen");
	if (c->closing) {
		gt_op_set_str(op, "status", "closed");
		gt_op_set_str(op, "closed_at", now);
		if (c->reason)
			gt_op_set_str(op, "close_reason", c->reason);
		else if (cJSON_GetObjectItemCaseSensitive(current, "close_reason"))
			gt_op_unset(op, "close_reason");
	} else {
		gt_op_set_str(op, "status", "open");
		if (cJSON_GetObjectItemCaseSensitive(current, "closed_at"))
			gt_op_unset(op, "closed_at");
		if (cJSON_GetObjectItemCaseSensitive(current, "close_reason"))
			gt_op_unset(op, "close_reason");
	}
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

int gt_convoy_close(gt_repo *repo, const char *id, const char *reason)
{
	struct close_ctx c = { reason, 1, 0, NULL, NULL };
	int r;
	if (reason && (strlen(reason) > GT_BEAD_MAX_TEXT || !gt_utf8_valid(reason, strlen(reason))))
		return gt_error_set(GT_EINVALID, "the reason must be valid UTF-8 of at most %d bytes",
				    GT_BEAD_MAX_TEXT);
	if ((r = convoy_exists(repo, id)) < 0)
		return r;
	return write_existing(NULL, repo, id, build_close, &c);
}

int gt_convoy_reopen(gt_repo *repo, const char *id)
{
	struct close_ctx c = { NULL, 0, 0, NULL, NULL };
	int r;
	if ((r = convoy_exists(repo, id)) < 0)
		return r;
	return write_existing(NULL, repo, id, build_close, &c);
}

/* --- reading ------------------------------------------------------------ */

int gt_convoy_read(cJSON **out, gt_repo *repo, const char *id)
{
	gt_entity *e = NULL;
	int r;

	*out = NULL;
	if ((r = check_id(id)) < 0)
		return r;
	r = gt_entity_read(&e, repo, &gt_convoy_type, id);
	if (r == GT_ENOTFOUND || (r == 0 && is_deleted(e->snapshot))) {
		gt_entity_free(e);
		return gt_error_set(GT_ENOTFOUND, "no such convoy: %s", id);
	}
	if (r < 0)
		return r;
	*out = e->snapshot;
	e->snapshot = NULL;
	gt_entity_free(e);
	return 0;
}

/* The ids of every convoy, sorted. */
static int convoy_ids(gt_strlist *out, gt_repo *repo)
{
	gt_strlist names = GT_STRLIST_INIT;
	size_t plen = strlen(gt_convoy_type.ref_prefix);
	int r = gt_refs_list_prefix(&names, gt_repo_git(repo), gt_convoy_type.ref_prefix);
	for (size_t i = 0; r == 0 && i < names.nr; i++)
		if (gt_convoy_id_valid(names.items[i] + plen))
			gt_strlist_push(out, names.items[i] + plen);
	gt_strlist_clear(&names);
	return r;
}

static cJSON *member_or_null(const cJSON *s, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
	return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

/* The listing object of a convoy (done and total computed). */
static int list_item(cJSON **out, struct rigs *rigs, const cJSON *s)
{
	const cJSON *m, *beads = cJSON_GetObjectItemCaseSensitive(s, "beads");
	int done = 0, total = 0, r;
	cJSON *o;

	cJSON_ArrayForEach(m, beads) {
		cJSON *b;
		const char *status;
		if (!cJSON_IsString(m))
			continue;
		if ((r = member_read(&b, &status, NULL, rigs, m->valuestring)) < 0)
			return r;
		done += !strcmp(status, "closed");
		total++;
		cJSON_Delete(b);
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "id", member_or_null(s, "id"));
	cJSON_AddItemToObject(o, "title", member_or_null(s, "title"));
	cJSON_AddItemToObject(o, "status", member_or_null(s, "status"));
	cJSON_AddNumberToObject(o, "done", done);
	cJSON_AddNumberToObject(o, "total", total);
	cJSON_AddItemToObject(o, "beads", beads ? cJSON_Duplicate(beads, 1) : cJSON_CreateArray());
	cJSON_AddItemToObject(o, "created_at", member_or_null(s, "created_at"));
	cJSON_AddItemToObject(o, "created_by", member_or_null(s, "created_by"));
	cJSON_AddItemToObject(o, "updated_at", member_or_null(s, "updated_at"));
	cJSON_AddItemToObject(o, "closed_at", member_or_null(s, "closed_at"));
	cJSON_AddItemToObject(o, "close_reason", member_or_null(s, "close_reason"));
	*out = o;
	return 0;
}

int gt_convoy_list(cJSON **out, gt_repo *repo, int all_)
{
	gt_strlist ids = GT_STRLIST_INIT;
	struct rigs rigs = { repo, GT_STRLIST_INIT, NULL };
	cJSON *list = cJSON_CreateArray();
	int r;

	*out = NULL;
	if ((r = convoy_ids(&ids, repo)) < 0)
		goto out;
	for (size_t i = 0; i < ids.nr; i++) {
		cJSON *s = NULL, *item = NULL;
		if ((r = gt_convoy_read(&s, repo, ids.items[i])) == GT_ENOTFOUND) {
			gt_error_clear();
			continue; /* deleted */
		}
		if (r < 0)
			goto out;
		if ((all_ || !is_closed(s)) && (r = list_item(&item, &rigs, s)) == 0)
			cJSON_AddItemToArray(list, item);
		cJSON_Delete(s);
		if (r < 0)
			goto out;
	}
	*out = list;
	list = NULL;
	r = 0;
out:
	cJSON_Delete(list);
	gt_strlist_clear(&ids);
	rigs_clear(&rigs);
	return r;
}

static void count_status(cJSON *counts, const char *status)
{
	cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, status);
	if (n)
		cJSON_SetNumberValue(n, n->valuedouble + 1);
	else
		cJSON_AddNumberToObject(counts, status, 1);
}

int gt_convoy_status(cJSON **out, gt_repo *repo, const char *id, long stuck_after)
{
	struct rigs rigs = { repo, GT_STRLIST_INIT, NULL };
	cJSON *s = NULL, *o = NULL, *counts, *beads, *stuck;
	gt_index *ix = NULL;
	gt_ready *ready = NULL;
	const cJSON *m;
	int64_t now = gt_now_ms();
	int done = 0, total = 0, r;

	*out = NULL;
	if (stuck_after < 0 &&
	    (r = gt_config_get_int(&stuck_after, gt_repo_config(repo), "convoy.stuckSeconds",
				   GT_CONVOY_STUCK_DEFAULT)) < 0)
		return r;
	if ((r = gt_convoy_read(&s, repo, id)) < 0)
		return r;
	if ((r = gt_index_load(&ix, repo)) < 0 || (r = gt_ready_compute(&ready, ix)) < 0)
		goto out;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "id", member_or_null(s, "id"));
	cJSON_AddItemToObject(o, "title", member_or_null(s, "title"));
	cJSON_AddItemToObject(o, "status", member_or_null(s, "status"));
	counts = cJSON_CreateObject();
	beads = cJSON_CreateArray();
	stuck = cJSON_CreateArray();
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(s, "beads")) {
		cJSON *b = NULL, *item;
		const char *status, *why = NULL, *updated;
		char *rig = NULL;
		if (!cJSON_IsString(m))
			continue;
		if ((r = member_read(&b, &status, &rig, &rigs, m->valuestring)) < 0) {
			cJSON_Delete(counts);
			cJSON_Delete(beads);
			cJSON_Delete(stuck);
			goto out;
		}
		updated = gt_json_str(b, "updated_at");
		if (!strcmp(status, "missing")) {
			why = "missing";
		} else if (!strcmp(status, "blocked")) {
			why = "blocked";
		} else if (!strcmp(status, "hooked") || !strcmp(status, "in_progress")) {
			int64_t t = updated ? gt_parse_time(updated) : -1;
			if (t >= 0 && now - t >= (int64_t)stuck_after * 1000)
				why = "stale";
		} else if (!strcmp(status, "open") && !rig) {
			const gt_index_entry *e = gt_index_find(ix, m->valuestring);
			if (e && gt_ready_is_blocked(ready, gt_index_pos(ix, e)))
				why = "blocked";
		}
		done += !strcmp(status, "closed");
		total++;
		count_status(counts, status);
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "id", m->valuestring);
		cJSON_AddItemToObject(item, "rig", rig ? cJSON_CreateString(rig) : cJSON_CreateNull());
		cJSON_AddStringToObject(item, "status", status);
		cJSON_AddItemToObject(item, "title", member_or_null(b, "title"));
		cJSON_AddItemToObject(item, "assignee", member_or_null(b, "assignee"));
		cJSON_AddItemToObject(item, "updated_at", member_or_null(b, "updated_at"));
		cJSON_AddItemToObject(item, "stuck", why ? cJSON_CreateString(why) : cJSON_CreateNull());
		cJSON_AddItemToArray(beads, item);
		if (why)
			cJSON_AddItemToArray(stuck, cJSON_CreateString(m->valuestring));
		cJSON_Delete(b);
		free(rig);
	}
	cJSON_AddNumberToObject(o, "done", done);
	cJSON_AddNumberToObject(o, "total", total);
	cJSON_AddBoolToObject(o, "complete", total > 0 && done == total);
	cJSON_AddItemToObject(o, "counts", counts);
	cJSON_AddItemToObject(o, "beads", beads);
	cJSON_AddItemToObject(o, "stuck", stuck);
	cJSON_AddItemToObject(o, "created_at", member_or_null(s, "created_at"));
	cJSON_AddItemToObject(o, "updated_at", member_or_null(s, "updated_at"));
	cJSON_AddItemToObject(o, "closed_at", member_or_null(s, "closed_at"));
	cJSON_AddItemToObject(o, "close_reason", member_or_null(s, "close_reason"));
	*out = o;
	o = NULL;
	r = 0;
out:
	cJSON_Delete(o);
	cJSON_Delete(s);
	gt_ready_free(ready);
	gt_index_free(ix);
	rigs_clear(&rigs);
	return r;
}

/* --- closing by itself -------------------------------------------------- */

#define AUTO_REASON "all beads closed"

/*
 * The membership cache, $GIT_COMMON_DIR/gastown/convoys.idx: finding the
 * convoys of a bead runs on every close and every commit (the
 * post-commit hook), and reading every convoy's snapshot costs ~80 ms at
 * 1000 convoys. One line per convoy, sorted by id:
 *
 *   <tip hex> <id> <o|c> <member> <member> ...
 *
 * (o: open, c: closed or deleted) after the line "gastown-convoys 1". An
 * entry is used only while the convoy's ref still points at its tip, so
 * the cache cannot be stale, whoever moved the refs; a missing, damaged
 * or unwritable cache only costs the reads.
 */
#define CACHE_HEADER "gastown-convoys 1\n"

struct cached {
	char *line;       /* the whole line, NUL-terminated, no newline */
	const char *id;   /* into line */
	git_oid tip;
};

static char *cache_path(gt_repo *repo)
{
	gt_strbuf p = GT_STRBUF_INIT;
	gt_strbuf_addf(&p, "%s/convoys.idx", gt_repo_gastown_dir(repo));
	return gt_strbuf_detach(&p);
}

/* The lines of the cache (none when it is missing or damaged). */
static size_t cache_read(struct cached **out, const char *path)
{
	gt_strbuf text = GT_STRBUF_INIT;
	struct cached *v = NULL;
	size_t n = 0;
	char *p;

	*out = NULL;
	if (gt_strbuf_read_file(&text, path) < 0 ||
	    strncmp(text.buf, CACHE_HEADER, strlen(CACHE_HEADER))) {
		gt_strbuf_release(&text);
		return 0;
	}
	for (p = text.buf + strlen(CACHE_HEADER); *p;) {
		char *nl = strchr(p, '\n'), *sp;
		if (!nl)
			break;
		*nl = '\0';
		sp = strchr(p, ' ');
		if (sp && sp - p == GIT_OID_HEXSZ && strchr(sp + 1, ' ')) {
			v = gt_xrealloc(v, (n + 1) * sizeof(*v));
			v[n].line = gt_xstrdup(p);
			v[n].id = v[n].line + GIT_OID_HEXSZ + 1;
			*strchr(v[n].line + GIT_OID_HEXSZ + 1, ' ') = '\0';
			git_oid_fromstrn(&v[n].tip, p, GIT_OID_HEXSZ);
			n++;
		}
		p = nl + 1;
	}
	gt_strbuf_release(&text);
	*out = v;
	return n;
}

static void cache_write(gt_repo *repo, const char *path, const gt_strbuf *text)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	FILE *f;

	if (gt_repo_ensure_gastown_dir(repo) < 0) {
		gt_error_clear();
		return;
	}
	gt_strbuf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid());
	if ((f = fopen(tmp.buf, "w"))) {
		int ok = fwrite(text->buf, 1, text->len, f) == text->len;
		if (fclose(f) || !ok || rename(tmp.buf, path) < 0)
			unlink(tmp.buf);
	}
	gt_strbuf_release(&tmp);
}

/* The open convoys (that track bead, when not NULL), sorted by id. */
static int open_convoys(gt_strlist *out, gt_repo *repo, const char *bead)
{
	gt_strlist ids = GT_STRLIST_INIT;
	gt_strbuf text = GT_STRBUF_INIT, line = GT_STRBUF_INIT;
	struct cached *cache = NULL;
	char *path = cache_path(repo);
	size_t ncache = cache_read(&cache, path), c = 0;
	int dirty = 0, r;

	if ((r = convoy_ids(&ids, repo)) < 0)
		goto out;
	dirty = ids.nr != ncache;
	gt_strbuf_adds(&text, CACHE_HEADER);
	for (size_t i = 0; i < ids.nr; i++) {
		char *ref = gt_entity_refname(&gt_convoy_type, ids.items[i]);
		char hex[GIT_OID_HEXSZ + 1];
		const char *rest;
		git_oid tip;

		r = gt_refs_read(&tip, gt_repo_git(repo), ref);
		if (r == GT_ENOTFOUND) {
			gt_error_clear();
			free(ref);
			dirty = 1;
			continue; /* gone since it was listed */
		}
		if (r < 0) {
			free(ref);
			goto out;
		}
		/* both are sorted by id */
		while (c < ncache && strcmp(cache[c].id, ids.items[i]) < 0)
			c++;
		gt_strbuf_reset(&line);
		if (c < ncache && !strcmp(cache[c].id, ids.items[i]) &&
		    git_oid_equal(&cache[c].tip, &tip)) {
			gt_strbuf_addf(&line, "%s %s %s", git_oid_tostr(hex, sizeof(hex), &tip),
				       cache[c].id, cache[c].id + strlen(cache[c].id) + 1);
		} else {
			cJSON *s = NULL;
			const cJSON *m;
			/* the snapshot blob alone */
			r = gt_entity_read_snapshot(&s, gt_repo_git(repo), &gt_convoy_type, &tip, ref);
			if (r < 0) {
				free(ref);
				goto out;
			}
			gt_strbuf_addf(&line, "%s %s %c", git_oid_tostr(hex, sizeof(hex), &tip),
				       ids.items[i], !is_deleted(s) && !is_closed(s) ? 'o' : 'c');
			cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(s, "beads"))
				if (cJSON_IsString(m) && *m->valuestring &&
				    !strpbrk(m->valuestring, " \n"))
					gt_strbuf_addf(&line, " %s", m->valuestring);
			cJSON_Delete(s);
			dirty = 1;
		}
		free(ref);
		gt_strbuf_addf(&text, "%s\n", line.buf);
		/* "<hex> <id> <o|c>[ <member>...]" */
		rest = line.buf + GIT_OID_HEXSZ + 1 + strlen(ids.items[i]) + 1;
		if (*rest != 'o')
			continue;
		if (bead) {
			size_t blen = strlen(bead);
			const char *p = rest + 1;
			int found = 0;
			while (!found && (p = strstr(p, bead))) {
				found = p[-1] == ' ' && (p[blen] == ' ' || !p[blen]);
				p += blen;
			}
			if (!found)
				continue;
		}
		gt_strlist_push(out, ids.items[i]);
	}
	if (dirty)
		cache_write(repo, path, &text);
	r = 0;
out:
	for (size_t i = 0; i < ncache; i++)
		free(cache[i].line);
	free(cache);
	free(path);
	gt_strbuf_release(&text);
	gt_strbuf_release(&line);
	gt_strlist_clear(&ids);
	return r;
}

/* Close the open convoys (tracking bead, when not NULL) that are complete. */
static int close_complete(gt_repo *repo, const char *bead, gt_strlist *closed_out)
{
	gt_strlist ids = GT_STRLIST_INIT;
	struct rigs rigs = { repo, GT_STRLIST_INIT, NULL };
	struct close_ctx c = { AUTO_REASON, 1, 1, bead, &rigs };
	int r;

	if ((r = open_convoys(&ids, repo, bead)) < 0)
		goto out;
	for (size_t i = 0; i < ids.nr; i++) {
		/* the decision is made again from the state the write reads */
		gt_entity_write w = { &gt_convoy_type, ids.items[i], 0, build_close, &c,
				      0, { { 0 } }, 0 };
		if ((r = gt_entity_write_one(repo, &w)) < 0)
			goto out;
		if (w.changed && closed_out)
			gt_strlist_push(closed_out, ids.items[i]);
	}
out:
	gt_strlist_clear(&ids);
	rigs_clear(&rigs);
	return r;
}

int gt_convoy_after_close(gt_repo *repo, const char *bead_id, gt_strlist *closed_out)
{
	return close_complete(repo, bead_id, closed_out);
}

int gt_convoy_check(gt_repo *repo, gt_strlist *closed_out)
{
	return close_complete(repo, NULL, closed_out);
}

int gt_convoy_of_bead(gt_strlist *out, gt_repo *repo, const char *bead_id)
{
	return open_convoys(out, repo, bead_id);
}
