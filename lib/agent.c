#include "agent.h"
#include "actor.h"
#include "error.h"
#include "json.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const gt_entity_type gt_agent_type = { "agent", "refs/gastown/agents/", NULL, 1 };

static const char *const states[] = {
	"idle", "running", "stuck", "stopped", "dead", NULL
};

int gt_agent_state_valid(const char *state)
{
	for (const char *const *s = states; *s; s++)
		if (!strcmp(state, *s))
			return 1;
	return 0;
}

int gt_agent_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static char *now_string(void)
{
	char buf[32];
	gt_format_time(buf, sizeof(buf), gt_now_ms());
	return gt_xstrdup(buf);
}

static int is_removed(const cJSON *snapshot)
{
	return !snapshot ||
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snapshot, GT_TOMBSTONE_KEY));
}

struct add_ctx {
	const struct gt_agent_add *a;
	const char *role;
	const char *by;
};

static int build_add(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct add_ctx *c = payload;
	char *rig = gt_actor_rig(c->a->actor);
	char *now;
	cJSON *op;
	(void)id;

	if (!is_removed(current)) {
		free(rig);
		return gt_error_set(GT_EEXISTS, "agent %s is already registered", c->a->actor);
	}
	now = now_string();
	op = gt_op_new("agent.add");
	if (current) {
		/* revive: the old record's members go, the history stays */
		for (const cJSON *m = current->child; m; m = m->next)
			gt_op_unset(op, m->string);
	}
	gt_op_set_str(op, "actor", c->a->actor);
	gt_op_set_str(op, "role", c->role);
	if (rig && gt_actor_role(c->a->actor))
		gt_op_set_str(op, "rig", rig);
	if (c->a->runtime)
		gt_op_set_str(op, "runtime", c->a->runtime);
	gt_op_set_str(op, "state", "idle");
	gt_op_set_str(op, "created_at", now);
	gt_op_set_str(op, "updated_at", now);
	gt_op_set_str(op, "created_by", c->by);
	free(now);
	free(rig);
	*op_out = op;
	return 0;
}

int gt_agent_add(gt_repo *repo, const struct gt_agent_add *a)
{
	const char *implied;
	char *id = NULL;
	int r;

	if ((r = gt_actor_to_id(&id, a->actor)) < 0)
		return r;
	implied = gt_actor_role(a->actor);
	struct add_ctx c = { a, a->role ? a->role : implied, gt_repo_actor(repo) };
	if (!c.role)
		r = gt_error_set(GT_EINVALID, "'%s' implies no role: give --role", a->actor);
	else if (!gt_agent_name_valid(c.role))
		r = gt_error_set(GT_EINVALID, "invalid role '%s' (lower-case letters, digits, '-', '_')",
				 c.role);
	else if (implied && strcmp(implied, c.role))
		r = gt_error_set(GT_EINVALID, "'%s' is a %s address, not a %s", a->actor,
				 implied, c.role);
	else if (a->runtime && !gt_agent_name_valid(a->runtime))
		r = gt_error_set(GT_EINVALID,
				 "invalid runtime '%s' (lower-case letters, digits, '-', '_')",
				 a->runtime);
	if (r == 0) {
		gt_entity_write w = { &gt_agent_type, id, GT_WRITE_UPSERT, build_add, &c, 0,
				      { { 0 } }, 0 };
		r = gt_entity_write_one(repo, &w);
	}
	free(id);
	return r;
}

int gt_agent_read(cJSON **out, gt_repo *repo, const char *actor)
{
	gt_entity *e = NULL;
	char *id = NULL;
	int r;

	*out = NULL;
	if ((r = gt_actor_to_id(&id, actor)) < 0)
		return r;
	r = gt_entity_read(&e, repo, &gt_agent_type, id);
	if (r == 0 && is_removed(e->snapshot))
		r = GT_ENOTFOUND;
	if (r == GT_ENOTFOUND)
		r = gt_error_set(GT_ENOTFOUND, "no such agent: %s", actor);
	if (r == 0) {
		*out = e->snapshot;
		e->snapshot = NULL;
	}
	gt_entity_free(e);
	free(id);
	return r;
}

struct list_ctx {
	gt_repo *repo;
	cJSON *out;
	int err;
};

static int list_one(const char *refname, const char *id, const git_oid *tip, void *payload)
{
	struct list_ctx *c = payload;
	cJSON *s = NULL;
	(void)id;
	int r = gt_entity_read_snapshot(&s, gt_repo_git(c->repo), &gt_agent_type, tip, refname);
	if (r < 0) {
		c->err = r;
		return 1;
	}
	if (is_removed(s))
		cJSON_Delete(s);
	else
		cJSON_AddItemToArray(c->out, s);
	return 0;
}

static int by_actor(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *p = gt_json_str(x, "actor"), *q = gt_json_str(y, "actor");
	return strcmp(p ? p : "", q ? q : "");
}

int gt_agent_list(cJSON **out, gt_repo *repo)
{
	struct list_ctx c = { repo, cJSON_CreateArray(), 0 };
	int r = gt_entity_foreach_ref(repo, &gt_agent_type, list_one, &c);
	if (r > 0)
		r = c.err;
	if (r < 0) {
		cJSON_Delete(c.out);
		*out = NULL;
		return r;
	}
	/* sort by address (ref order is by encoded id) */
	size_t n = (size_t)cJSON_GetArraySize(c.out), i = 0;
	cJSON **v = gt_xcalloc(n ? n : 1, sizeof(*v));
	while (c.out->child)
		v[i++] = cJSON_DetachItemViaPointer(c.out, c.out->child);
	qsort(v, n, sizeof(*v), by_actor);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(c.out, v[i]);
	free(v);
	*out = c.out;
	return 0;
}

/* --- changes to a registered agent -------------------------------------- */

struct change_ctx {
	const char *actor;
	int remove;
	const char *session;  /* start */
	const char *state;
	const char *runtime;
};

static int build_change(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct change_ctx *c = payload;
	cJSON *op;
	char *now;
	(void)id;

	if (is_removed(current))
		return gt_error_set(GT_ENOTFOUND, "no such agent: %s", c->actor);
	now = now_string();
	if (c->remove) {
		op = gt_op_new("agent.rm");
		gt_op_tombstone(op);
	} else if (c->session) {
		op = gt_op_new("agent.start");
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "id", c->session);
		cJSON_AddStringToObject(s, "started_at", now);
		gt_op_set_str(op, "session", c->session);
		gt_op_set_str(op, "session_started_at", now);
		gt_op_set_str(op, "state", "running");
		gt_op_append(op, "sessions", s);
	} else {
		op = gt_op_new("agent.set");
		const char *st = gt_json_str(current, "state");
		const char *rt = gt_json_str(current, "runtime");
		if (c->state && !(st && !strcmp(st, c->state)))
			gt_op_set_str(op, "state", c->state);
		if (c->runtime && !(rt && !strcmp(rt, c->runtime)))
			gt_op_set_str(op, "runtime", c->runtime);
		if (gt_op_change_count(op) == 0) {
			cJSON_Delete(op);
			free(now);
			*op_out = NULL;
			return 0;
		}
	}
	gt_op_set_str(op, "updated_at", now);
	free(now);
	*op_out = op;
	return 0;
}

static int change(gt_repo *repo, struct change_ctx *c)
{
	char *id = NULL;
	int r;

	if ((r = gt_actor_to_id(&id, c->actor)) < 0)
		return r;
	gt_entity_write w = { &gt_agent_type, id, 0, build_change, c, 0, { { 0 } }, 0 };
	r = gt_entity_write_one(repo, &w);
	if (r == GT_ENOTFOUND)
		r = gt_error_set(GT_ENOTFOUND, "no such agent: %s", c->actor);
	free(id);
	return r;
}

int gt_agent_rm(gt_repo *repo, const char *actor)
{
	struct change_ctx c = { actor, 1, NULL, NULL, NULL };
	return change(repo, &c);
}

/* A session id: 1-128 bytes of [A-Za-z0-9._:@-]. */
static int session_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._:@-", *s)))
			return 0;
	return 1;
}

int gt_agent_start(char **session_out, gt_repo *repo, const char *actor,
		   const char *session)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	cJSON *rec = NULL;
	int r;

	if (session_out)
		*session_out = NULL;
	if (session && !session_valid(session))
		return gt_error_set(GT_EINVALID,
				    "invalid session id '%s' (1-128 of letters, digits, '.', '_', ':', '@', '-')",
				    session);
	if ((r = gt_agent_read(&rec, repo, actor)) < 0)
		return r;
	if (session) {
		gt_strbuf_adds(&sb, session);
	} else {
		/* unique enough across machines: time, pid and a random part */
		const char *rt = gt_json_str(rec, "runtime");
		unsigned long long ms = (unsigned long long)gt_now_ms();
		static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
		char b36[16];
		int k = 0;
		do {
			b36[k++] = digits[ms % 36];
			ms /= 36;
		} while (ms && k < 15);
		gt_strbuf_addf(&sb, "%s-", rt ? rt : "ses");
		while (k)
			gt_strbuf_addch(&sb, b36[--k]);
		gt_strbuf_addf(&sb, "-%04x%04x", (unsigned)getpid() & 0xffff,
			       (unsigned)rand() & 0xffff);
	}
	cJSON_Delete(rec);
	struct change_ctx c = { actor, 0, sb.buf, NULL, NULL };
	if ((r = change(repo, &c)) == 0 && session_out)
		*session_out = gt_strbuf_detach(&sb);
	gt_strbuf_release(&sb);
	return r;
}

int gt_agent_set(gt_repo *repo, const char *actor, const char *state,
		 const char *runtime)
{
	if (state && !gt_agent_state_valid(state))
		return gt_error_set(GT_EINVALID,
				    "invalid state '%s' (idle, running, stuck, stopped or dead)", state);
	if (runtime && !gt_agent_name_valid(runtime))
		return gt_error_set(GT_EINVALID,
				    "invalid runtime '%s' (lower-case letters, digits, '-', '_')",
				    runtime);
	struct change_ctx c = { actor, 0, NULL, state, runtime };
	return change(repo, &c);
}
