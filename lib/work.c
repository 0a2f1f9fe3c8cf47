#include "work.h"
#include "actor.h"
#include "agent.h"
#include "bead.h"
#include "convoy.h"
#include "entity.h"
#include "error.h"
#include "hook.h"
#include "json.h"
#include "mail.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

/* Re-plan a transaction at most this often when what it planned on moved. */
#define MAX_REPLANS 20

static char *now_string(void)
{
	char buf[32];
	gt_format_time(buf, sizeof(buf), gt_now_ms());
	return gt_xstrdup(buf);
}

static int is_deleted(const cJSON *s)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, GT_TOMBSTONE_KEY));
}

static int str_is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Equal strings, or both absent. */
static int same(const char *a, const char *b)
{
	return (!a && !b) || str_is(a, b);
}

/*
 * A builder that finds the state moved away from what its transaction
 * was planned on sets *replan and returns GT_ECONFLICT: the caller plans
 * again on fresh state (a lost compare-and-swap alone is retried by the
 * entity core, which runs the builders again).
 */
static int replan(int *flag)
{
	*flag = 1;
	return GT_ECONFLICT;
}

/* The hook's members that go when its work goes. */
static void op_clear_hook(cJSON *op, const cJSON *hook)
{
	static const char *const members[] = {
		"bead", "slung_by", "slung_at", "convoy", "handoff", NULL
	};
	for (const char *const *m = members; *m; m++)
		if (cJSON_GetObjectItemCaseSensitive(hook, *m))
			gt_op_unset(op, *m);
}

/* A subject "<prefix><bead> <title>", cut to the mail's limit on a UTF-8 boundary. */
static char *work_subject(const char *prefix, const char *bead, const cJSON *b)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	const char *title = gt_json_str(b, "title");
	gt_strbuf_addf(&sb, "%s%s", prefix, bead);
	if (title && *title)
		gt_strbuf_addf(&sb, " %.*s", (int)strcspn(title, "\n"), title);
	if (sb.len > GT_MAIL_MAX_SUBJECT) {
		size_t n = GT_MAIL_MAX_SUBJECT;
		while (n && ((unsigned char)sb.buf[n] & 0xC0) == 0x80)
			n--;
		gt_strbuf_setlen(&sb, n);
	}
	return gt_strbuf_detach(&sb);
}

/* Read a hook's snapshot; NULL (and 0) when the actor never had one. */
static int read_hook(cJSON **out, gt_repo *repo, const char *actor)
{
	int r = gt_hook_read(out, repo, actor);
	if (r == GT_ENOTFOUND) {
		*out = NULL;
		gt_error_clear();
		return 0;
	}
	return r;
}

/* Mail bodies end without a newline, as those given with -m or -F do. */
static const char *trimmed(gt_strbuf *sb)
{
	while (sb->len && sb->buf[sb->len - 1] == '\n')
		gt_strbuf_setlen(sb, sb->len - 1);
	return sb->buf;
}

/*
 * Run a transaction. Returns 1 when it must be planned again (a builder
 * asked for it), else 0 with the result in *r.
 */
static int run_writes(int *r, gt_repo *repo, gt_entity_write *w, size_t n, int *flag,
		      int attempt)
{
	*r = gt_entity_write_many(repo, w, n);
	if (*r != GT_ECONFLICT || !*flag)
		return 0;
	*flag = 0;
	if (attempt >= MAX_REPLANS) {
		*r = gt_error_set(GT_ECONFLICT, "gave up after %d lost races", attempt + 1);
		return 0;
	}
	return 1;
}

static void set_write(gt_entity_write *w, const gt_entity_type *type, const char *id,
		      unsigned flags, gt_entity_build_cb build, void *payload)
{
	memset(w, 0, sizeof(*w));
	w->type = type;
	w->id = id;
	w->flags = flags;
	w->build = build;
	w->payload = payload;
}

/* --- sling -------------------------------------------------------------- */

struct sling_plan {
	const struct gt_sling *s;
	const char *me;
	char *now;
	char *prev_holder;  /* the actor the bead was hooked by (force) */
	char *displaced;    /* the bead on the target's hook (force) */
	char *convoy;       /* the first open convoy tracking the bead, or NULL */
	int replan;
};

static int build_sling_bead(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct sling_plan *p = payload;
	const char *status = gt_json_str(cur, "status");
	const char *assignee = gt_json_str(cur, "assignee");

	if (is_deleted(cur))
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	if (str_is(status, "closed"))
		return gt_error_set(GT_EREFUSED, "bead %s is closed (reopen it first)", id);
	if (str_is(status, "hooked") && assignee) {
		if (!strcmp(assignee, p->s->actor))
			return gt_error_set(GT_EREFUSED, "bead %s is already on %s's hook", id,
					    assignee);
		if (!p->s->force)
			return gt_error_set(GT_EREFUSED,
					    "bead %s is already hooked by %s (use --force to move it)",
					    id, assignee);
		if (!str_is(assignee, p->prev_holder))
			return replan(&p->replan);
	}
	cJSON *op = gt_op_new("bead.sling");
	gt_op_set_str(op, "status", "hooked");
	gt_op_set_str(op, "assignee", p->s->actor);
	gt_op_set_str(op, "updated_at", p->now);
	*op_out = op;
	return 0;
}

static int build_sling_hook(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct sling_plan *p = payload;
	const char *held = gt_json_str(cur, "bead");
	(void)id;

	if (str_is(held, p->s->bead))
		return gt_error_set(GT_EREFUSED, "bead %s is already on %s's hook", held,
				    p->s->actor);
	if (held && !p->s->force)
		return gt_error_set(GT_EREFUSED,
				    "%s's hook already holds %s (gt unsling %s first, or --force)",
				    p->s->actor, held, p->s->actor);
	if (!same(held, p->displaced))
		return replan(&p->replan);
	cJSON *op = gt_op_new("hook.sling");
	op_clear_hook(op, cur);
	if (!gt_json_str(cur, "actor"))
		gt_op_set_str(op, "actor", p->s->actor);
	gt_op_set_str(op, "bead", p->s->bead);
	gt_op_set_str(op, "slung_by", p->me);
	gt_op_set_str(op, "slung_at", p->now);
	if (p->convoy)
		gt_op_set_str(op, "convoy", p->convoy);
	*op_out = op;
	return 0;
}

/* The previous holder's hook loses the bead, if it still holds it. */
static int build_release_prev(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct sling_plan *p = payload;
	(void)id;
	*op_out = NULL;
	if (!str_is(gt_json_str(cur, "bead"), p->s->bead))
		return 0;
	cJSON *op = gt_op_new("hook.unsling");
	op_clear_hook(op, cur);
	*op_out = op;
	return 0;
}

/* A bead goes back to open when it is still hooked by actor. */
static cJSON *op_release_bead(const cJSON *cur, const char *actor, const char *now)
{
	if (!cur || is_deleted(cur) || !str_is(gt_json_str(cur, "status"), "hooked") ||
	    !str_is(gt_json_str(cur, "assignee"), actor))
		return NULL;
	cJSON *op = gt_op_new("bead.unsling");
	gt_op_set_str(op, "status", "open");
	gt_op_unset(op, "assignee");
	gt_op_set_str(op, "updated_at", now);
	return op;
}

static int build_release_displaced(cJSON **op_out, const cJSON *cur, const char *id,
				   void *payload)
{
	struct sling_plan *p = payload;
	(void)id;
	*op_out = op_release_bead(cur, p->s->actor, p->now);
	return 0;
}

static int plan_sling(struct sling_plan *p, cJSON **bead_out, gt_repo *repo)
{
	cJSON *bead = NULL, *hook = NULL;
	int r;

	free(p->prev_holder);
	free(p->displaced);
	p->prev_holder = p->displaced = NULL;
	if ((r = gt_bead_read(&bead, repo, p->s->bead)) < 0)
		return r;
	const char *status = gt_json_str(bead, "status");
	const char *assignee = gt_json_str(bead, "assignee");
	if (str_is(status, "hooked") && assignee && strcmp(assignee, p->s->actor))
		p->prev_holder = gt_xstrdup(assignee);
	if ((r = read_hook(&hook, repo, p->s->actor)) < 0) {
		cJSON_Delete(bead);
		return r;
	}
	const char *held = gt_json_str(hook, "bead");
	if (held && strcmp(held, p->s->bead))
		p->displaced = gt_xstrdup(held);
	cJSON_Delete(hook);
	*bead_out = bead;
	return 0;
}

int gt_work_sling(char **mail_id, gt_repo *repo, const struct gt_sling *s)
{
	struct sling_plan p = { s, gt_repo_actor(repo), NULL, NULL, NULL, NULL, 0 };
	gt_strlist convoys = GT_STRLIST_INIT;
	char *hook_id = NULL, *prev_id = NULL, *subject = NULL;
	gt_strbuf body = GT_STRBUF_INIT;
	gt_mail_out mail = { 0 };
	cJSON *bead = NULL, *extra = NULL;
	int r;

	if (mail_id)
		*mail_id = NULL;
	if (!gt_bead_id_valid(s->bead))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s'", s->bead);
	if ((r = gt_actor_to_id(&hook_id, s->actor)) < 0)
		return r;
	/* the hook names the bead's convoy, for attribution notes and done */
	if ((r = gt_convoy_of_bead(&convoys, repo, s->bead)) < 0)
		goto out;
	if (convoys.nr)
		p.convoy = convoys.items[0];
	for (int attempt = 0;; attempt++) {
		gt_entity_write w[5];
		size_t n = 0;

		cJSON_Delete(bead);
		bead = NULL;
		free(p.now);
		p.now = now_string();
		if ((r = plan_sling(&p, &bead, repo)) < 0)
			goto out;
		if (!mail.id) {
			/* composed once: a re-plan delivers the same message */
			subject = work_subject("Sling: ", s->bead, bead);
			gt_strbuf_addf(&body, "%s put %s on your hook: work on it now.\n",
				       p.me, s->bead);
			gt_strbuf_addf(&body, "Title: %s\n", gt_json_str(bead, "title") ?
				       gt_json_str(bead, "title") : "");
			gt_strbuf_addf(&body, "Priority: %ld\n", gt_json_long(bead, "priority", 2));
			gt_strbuf_adds(&body, "Run 'gt hook' to see it and 'gt done' when finished.\n");
			if (s->message)
				gt_strbuf_addf(&body, "\n%s\n", s->message);
			extra = cJSON_CreateObject();
			cJSON_AddStringToObject(extra, "bead", s->bead);
			struct gt_mail_msg m = { s->actor, subject, trimmed(&body), -1, NULL, "sling", extra };
			if ((r = gt_mail_compose(&mail, repo, &m)) < 0)
				goto out;
		}
		set_write(&w[n++], &gt_bead_type, s->bead, 0, build_sling_bead, &p);
		set_write(&w[n++], &gt_hook_type, hook_id, GT_WRITE_UPSERT, build_sling_hook, &p);
		w[n++] = mail.write;
		free(prev_id);
		prev_id = NULL;
		if (p.prev_holder) {
			if ((r = gt_actor_to_id(&prev_id, p.prev_holder)) < 0)
				goto out;
			set_write(&w[n++], &gt_hook_type, prev_id, GT_WRITE_UPSERT,
				  build_release_prev, &p);
		}
		if (p.displaced)
			set_write(&w[n++], &gt_bead_type, p.displaced, 0,
				  build_release_displaced, &p);
		if (!run_writes(&r, repo, w, n, &p.replan, attempt))
			break;
	}
	if (r == 0 && mail_id) {
		*mail_id = mail.id;
		mail.id = NULL;
	}
out:
	if (mail.box_id)
		gt_mail_out_release(&mail);
	cJSON_Delete(bead);
	cJSON_Delete(extra);
	gt_strbuf_release(&body);
	free(subject);
	free(p.now);
	free(p.prev_holder);
	free(p.displaced);
	gt_strlist_clear(&convoys);
	free(prev_id);
	free(hook_id);
	return r;
}

/* --- unsling and done --------------------------------------------------- */

struct release_plan {
	const char *actor;    /* whose hook */
	const char *bead;     /* what it held when planned */
	const char *me;
	char *now;
	enum gt_done_status status;
	const char *reason;
	int done;             /* done rather than unsling */
	int replan;
};

static int build_release_hook(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct release_plan *p = payload;
	(void)id;
	if (!str_is(gt_json_str(cur, "bead"), p->bead))
		return replan(&p->replan);
	cJSON *op = gt_op_new(p->done ? "hook.done" : "hook.unsling");
	op_clear_hook(op, cur);
	*op_out = op;
	return 0;
}

static int build_unsling_bead(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct release_plan *p = payload;
	(void)id;
	*op_out = op_release_bead(cur, p->actor, p->now);
	return 0;
}

static const char *const done_names[] = { "completed", "escalated", "deferred" };

int gt_work_done_status_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, done_names[i]))
			return i;
	return -1;
}

static int build_done_bead(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct release_plan *p = payload;
	const char *status = gt_json_str(cur, "status");
	cJSON *op;

	*op_out = NULL;
	if (is_deleted(cur))
		return 0;
	op = gt_op_new(p->status == GT_DONE_COMPLETED ? "bead.done" :
		       p->status == GT_DONE_ESCALATED ? "bead.escalate" : "bead.defer");
	if (p->status == GT_DONE_COMPLETED) {
		if (!str_is(status, "closed")) {
			gt_op_set_str(op, "status", "closed");
			gt_op_set_str(op, "closed_at", p->now);
			gt_op_set_str(op, "close_reason", p->reason ? p->reason : "completed");
		}
	} else {
		const char *to = p->status == GT_DONE_ESCALATED ? "open" : "deferred";
		gt_strbuf text = GT_STRBUF_INIT;
		if (!str_is(status, to))
			gt_op_set_str(op, "status", to);
		if (str_is(status, "closed")) {
			gt_op_unset(op, "closed_at");
			if (cJSON_GetObjectItemCaseSensitive(cur, "close_reason"))
				gt_op_unset(op, "close_reason");
		}
		if (str_is(gt_json_str(cur, "assignee"), p->actor))
			gt_op_unset(op, "assignee");
		if (p->status == GT_DONE_ESCALATED) {
			int has = 0;
			const cJSON *l;
			cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cur, "labels"))
				has |= cJSON_IsString(l) && !strcmp(l->valuestring, "escalated");
			if (!has)
				gt_op_add(op, "labels", cJSON_CreateString("escalated"), NULL);
		}
		gt_strbuf_addf(&text, "%s by %s", done_names[p->status], p->actor);
		if (p->reason)
			gt_strbuf_addf(&text, ": %s", p->reason);
		gt_bead_op_comment(op, cur, id, p->me, text.buf, p->now);
		gt_strbuf_release(&text);
	}
	if (gt_op_change_count(op) == 0) {
		cJSON_Delete(op);
		return 0;
	}
	gt_op_set_str(op, "updated_at", p->now);
	*op_out = op;
	return 0;
}

/*
 * Release actor's hook: done (the acting identity's own work) or unsling.
 * Mail goes to notify (when not NULL) with subject/body made here.
 */
static int release(char **bead_out, char **convoy_out, gt_repo *repo,
		   struct release_plan *p)
{
	char *hook_id = NULL, *subject = NULL;
	gt_strbuf body = GT_STRBUF_INIT;
	gt_mail_out mail = { 0 };
	cJSON *hook = NULL, *bead = NULL, *extra = NULL;
	int r;

	if ((r = gt_actor_to_id(&hook_id, p->actor)) < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		gt_entity_write w[3];
		size_t n = 0;

		cJSON_Delete(hook);
		cJSON_Delete(bead);
		hook = bead = NULL;
		free(p->now);
		p->now = now_string();
		if ((r = read_hook(&hook, repo, p->actor)) < 0)
			goto out;
		p->bead = gt_json_str(hook, "bead");
		if (!p->bead) {
			r = gt_error_set(GT_EREFUSED, "nothing on %s's hook", p->actor);
			goto out;
		}
		r = gt_bead_read(&bead, repo, p->bead);
		if (r < 0 && r != GT_ENOTFOUND)
			goto out;
		const char *slinger = gt_json_str(hook, "slung_by");
		const char *notify = p->done ? (str_is(slinger, p->actor) ? NULL : slinger)
					     : (str_is(p->me, p->actor) ? NULL : p->actor);
		if (mail.box_id)
			gt_mail_out_release(&mail);
		free(subject);
		subject = NULL;
		gt_strbuf_reset(&body);
		cJSON_Delete(extra);
		extra = NULL;
		if (notify) {
			static const char *const prefixes[] = { "Done: ", "Escalated: ", "Deferred: " };
			subject = work_subject(p->done ? prefixes[p->status] : "Unslung: ", p->bead, bead);
			if (p->done)
				gt_strbuf_addf(&body, "%s finished %s: %s.\n", p->actor, p->bead,
					       done_names[p->status]);
			else
				gt_strbuf_addf(&body, "%s took %s off your hook.\n", p->me, p->bead);
			if (p->reason)
				gt_strbuf_addf(&body, "\n%s\n", p->reason);
			extra = cJSON_CreateObject();
			cJSON_AddStringToObject(extra, "bead", p->bead);
			if (p->done)
				cJSON_AddStringToObject(extra, "status", done_names[p->status]);
			struct gt_mail_msg m = { notify, subject, trimmed(&body), -1, NULL,
						 p->done ? "done" : "unsling", extra };
			if ((r = gt_mail_compose(&mail, repo, &m)) < 0)
				goto out;
		}
		set_write(&w[n++], &gt_hook_type, hook_id, 0, build_release_hook, p);
		if (bead)
			set_write(&w[n++], &gt_bead_type, p->bead, 0,
				  p->done ? build_done_bead : build_unsling_bead, p);
		if (notify)
			w[n++] = mail.write;
		/*
		 * Convoy progress needs no write here: a convoy's progress is
		 * its beads' statuses. A completed bead may complete a convoy;
		 * the caller then closes it with gt_convoy_after_close, as
		 * gt close does.
		 */
		if (!run_writes(&r, repo, w, n, &p->replan, attempt))
			break;
	}
	if (r == 0) {
		if (bead_out)
			*bead_out = gt_xstrdup(p->bead);
		if (convoy_out)
			*convoy_out = gt_json_str(hook, "convoy") ?
				      gt_xstrdup(gt_json_str(hook, "convoy")) : NULL;
	}
out:
	if (mail.box_id)
		gt_mail_out_release(&mail);
	cJSON_Delete(hook);
	cJSON_Delete(bead);
	cJSON_Delete(extra);
	gt_strbuf_release(&body);
	free(subject);
	free(p->now);
	p->now = NULL;
	free(hook_id);
	return r;
}

int gt_work_unsling(char **bead, gt_repo *repo, const char *actor)
{
	struct release_plan p = { actor, NULL, gt_repo_actor(repo), NULL, GT_DONE_COMPLETED,
				  NULL, 0, 0 };
	if (bead)
		*bead = NULL;
	return release(bead, NULL, repo, &p);
}

int gt_work_done(char **bead, char **convoy, gt_repo *repo, enum gt_done_status status,
		 const char *reason)
{
	struct release_plan p = { gt_repo_actor(repo), NULL, gt_repo_actor(repo), NULL,
				  status, reason, 1, 0 };
	if (bead)
		*bead = NULL;
	if (convoy)
		*convoy = NULL;
	if (reason && (!*reason || strlen(reason) > GT_BEAD_MAX_TEXT ||
		       !gt_utf8_valid(reason, strlen(reason))))
		return gt_error_set(GT_EINVALID,
				    "the reason must be non-empty valid UTF-8 of at most %d bytes",
				    GT_BEAD_MAX_TEXT);
	return release(bead, convoy, repo, &p);
}

/* --- git state ---------------------------------------------------------- */

int gt_work_git_state(cJSON **out, gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	git_reference *head = NULL, *up = NULL;
	git_status_list *st = NULL;
	git_revwalk *walk = NULL;
	cJSON *o;
	int r = 0;

	*out = NULL;
	if (git_repository_is_bare(git))
		return 0;
	o = cJSON_CreateObject();
	const char *wd = git_repository_workdir(git);
	gt_strbuf path = GT_STRBUF_INIT;
	gt_strbuf_adds(&path, wd ? wd : "");
	if (path.len > 1 && path.buf[path.len - 1] == '/')
		gt_strbuf_setlen(&path, path.len - 1);
	cJSON_AddStringToObject(o, "worktree", path.buf);
	gt_strbuf_release(&path);

	int unborn = git_repository_head_unborn(git) == 1;
	int detached = git_repository_head_detached(git) == 1;
	if (!unborn && (r = git_repository_head(&head, git)) < 0) {
		r = gt_error_git(r, "cannot read HEAD");
		goto out;
	}
	if (detached) {
		cJSON_AddNullToObject(o, "branch");
	} else if (unborn) {
		git_reference *sym = NULL;
		const char *t = NULL;
		if (git_reference_lookup(&sym, git, "HEAD") == 0)
			t = git_reference_symbolic_target(sym);
		if (t && !strncmp(t, "refs/heads/", 11))
			t += 11;
		cJSON_AddItemToObject(o, "branch", t ? cJSON_CreateString(t) : cJSON_CreateNull());
		git_reference_free(sym);
	} else {
		cJSON_AddStringToObject(o, "branch", git_reference_shorthand(head));
	}
	if (head)
		cJSON_AddStringToObject(o, "head", git_oid_tostr_s(git_reference_target(head)));
	else
		cJSON_AddNullToObject(o, "head");

	git_status_options so;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if ((r = git_status_list_new(&st, git, &so)) < 0) {
		r = gt_error_git(r, "cannot read the worktree's status");
		goto out;
	}
	size_t changed = 0, untracked = 0, ns = git_status_list_entrycount(st);
	for (size_t i = 0; i < ns; i++) {
		const git_status_entry *e = git_status_byindex(st, i);
		if (e->status == GIT_STATUS_WT_NEW)
			untracked++;
		else if (e->status != GIT_STATUS_CURRENT && !(e->status & GIT_STATUS_IGNORED))
			changed++;
	}
	cJSON_AddBoolToObject(o, "dirty", changed + untracked > 0);
	cJSON_AddNumberToObject(o, "changed", (double)changed);
	cJSON_AddNumberToObject(o, "untracked", (double)untracked);

	cJSON *unpushed = cJSON_CreateArray();
	if (head && !detached && git_reference_is_branch(head) &&
	    git_branch_upstream(&up, head) == 0) {
		size_t ahead = 0, behind = 0;
		const git_oid *local = git_reference_target(head), *remote = git_reference_target(up);
		cJSON_AddStringToObject(o, "upstream", git_reference_shorthand(up));
		if (local && remote && git_graph_ahead_behind(&ahead, &behind, git, local, remote) == 0) {
			cJSON_AddNumberToObject(o, "ahead", (double)ahead);
			cJSON_AddNumberToObject(o, "behind", (double)behind);
		} else {
			cJSON_AddNullToObject(o, "ahead");
			cJSON_AddNullToObject(o, "behind");
		}
		git_oid id;
		if (local && remote && git_revwalk_new(&walk, git) == 0 &&
		    git_revwalk_push(walk, local) == 0 && git_revwalk_hide(walk, remote) == 0) {
			for (int k = 0; k < 20 && git_revwalk_next(&id, walk) == 0; k++) {
				git_commit *c = NULL;
				cJSON *e = cJSON_CreateObject();
				cJSON_AddStringToObject(e, "id", git_oid_tostr_s(&id));
				if (git_commit_lookup(&c, git, &id) == 0)
					cJSON_AddStringToObject(e, "subject", git_commit_summary(c) ?
								git_commit_summary(c) : "");
				git_commit_free(c);
				cJSON_AddItemToArray(unpushed, e);
			}
		}
	} else {
		cJSON_AddNullToObject(o, "upstream");
		cJSON_AddNullToObject(o, "ahead");
		cJSON_AddNullToObject(o, "behind");
	}
	cJSON_AddItemToObject(o, "unpushed", unpushed);
	r = 0;
out:
	if (r < 0)
		cJSON_Delete(o);
	else
		*out = o;
	git_revwalk_free(walk);
	git_status_list_free(st);
	git_reference_free(up);
	git_reference_free(head);
	return r;
}

/* --- handoff ------------------------------------------------------------ */

struct handoff_plan {
	const char *me, *to;
	const char *bead;     /* what the sender's hook held when planned */
	const char *convoy;
	const cJSON *record;
	char *now;
	int replan;
};

/* The sender's hook (handing off to another actor): the bead leaves it. */
static int build_handoff_from(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct handoff_plan *p = payload;
	(void)id;
	*op_out = NULL;
	if (!same(gt_json_str(cur, "bead"), p->bead))
		return replan(&p->replan);
	if (!p->bead)
		return 0;
	cJSON *op = gt_op_new("hook.handoff");
	op_clear_hook(op, cur);
	*op_out = op;
	return 0;
}

static int build_handoff_to(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct handoff_plan *p = payload;
	const char *held = gt_json_str(cur, "bead");
	int self = !strcmp(p->me, p->to);
	(void)id;

	if (self && !same(held, p->bead))
		return replan(&p->replan);
	if (!self && held && !str_is(held, p->bead))
		return gt_error_set(GT_EREFUSED,
				    "%s's hook already holds %s (gt unsling %s first)",
				    p->to, held, p->to);
	cJSON *op = gt_op_new("hook.handoff");
	if (!gt_json_str(cur, "actor"))
		gt_op_set_str(op, "actor", p->to);
	if (!self && p->bead) {
		gt_op_set_str(op, "bead", p->bead);
		gt_op_set_str(op, "slung_by", p->me);
		gt_op_set_str(op, "slung_at", p->now);
		if (p->convoy)
			gt_op_set_str(op, "convoy", p->convoy);
	}
	gt_op_set(op, "handoff", cJSON_Duplicate(p->record, 1));
	*op_out = op;
	return 0;
}

static int build_handoff_bead(cJSON **op_out, const cJSON *cur, const char *id, void *payload)
{
	struct handoff_plan *p = payload;
	(void)id;
	*op_out = NULL;
	if (is_deleted(cur) || str_is(gt_json_str(cur, "status"), "closed"))
		return 0;
	cJSON *op = gt_op_new("bead.handoff");
	gt_op_set_str(op, "status", "hooked");
	gt_op_set_str(op, "assignee", p->to);
	gt_op_set_str(op, "updated_at", p->now);
	*op_out = op;
	return 0;
}

static cJSON *string_array(const gt_strlist *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; l && i < l->nr; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
	return a;
}

static int text_ok(const char *s, const char *what)
{
	if (s && (strlen(s) > GT_BEAD_MAX_TEXT || !gt_utf8_valid(s, strlen(s))))
		return gt_error_set(GT_EINVALID, "the %s must be valid UTF-8 of at most %d bytes",
				    what, GT_BEAD_MAX_TEXT);
	return 0;
}

static void add_list_text(gt_strbuf *sb, const char *title, const gt_strlist *l)
{
	if (!l || !l->nr)
		return;
	gt_strbuf_addf(sb, "\n%s:\n", title);
	for (size_t i = 0; i < l->nr; i++)
		gt_strbuf_addf(sb, "- %s\n", l->items[i]);
}

int gt_work_handoff(cJSON **record_out, gt_repo *repo, const struct gt_handoff *h)
{
	struct handoff_plan p = { gt_repo_actor(repo), h->to ? h->to : gt_repo_actor(repo),
				  NULL, NULL, NULL, NULL, 0 };
	char *from_id = NULL, *to_id = NULL;
	gt_strbuf body = GT_STRBUF_INIT;
	gt_mail_out mail = { 0 };
	cJSON *hook = NULL, *record = NULL, *agent = NULL, *git = NULL, *extra = NULL;
	const gt_strlist *lists[3] = { h->done, h->blockers, h->next };
	int self = !strcmp(p.me, p.to), r;

	if (record_out)
		*record_out = NULL;
	if ((r = text_ok(h->message, "message")) < 0 || (r = text_ok(h->state, "state")) < 0)
		return r;
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; lists[i] && j < lists[i]->nr; j++)
			if ((r = text_ok(lists[i]->items[j], "item")) < 0)
				return r;
	if ((r = gt_actor_to_id(&to_id, p.to)) < 0 || (r = gt_actor_to_id(&from_id, p.me)) < 0)
		goto out;
	if ((r = gt_work_git_state(&git, repo)) < 0)
		goto out;
	r = gt_agent_read(&agent, repo, p.me);
	if (r < 0 && r != GT_ENOTFOUND)
		goto out;
	gt_error_clear();
	for (int attempt = 0;; attempt++) {
		gt_entity_write w[4];
		size_t n = 0;

		cJSON_Delete(hook);
		hook = NULL;
		if ((r = read_hook(&hook, repo, p.me)) < 0)
			goto out;
		p.bead = gt_json_str(hook, "bead");
		p.convoy = gt_json_str(hook, "convoy");
		if (!record) {
			/* made once: a re-plan hands off the same record */
			p.now = now_string();
			record = cJSON_CreateObject();
			cJSON_AddStringToObject(record, "subject", h->subject ? h->subject : "");
			cJSON_AddStringToObject(record, "message", h->message ? h->message : "");
			cJSON_AddItemToObject(record, "state", h->state ? cJSON_CreateString(h->state)
								       : cJSON_CreateNull());
			cJSON_AddItemToObject(record, "done", string_array(h->done));
			cJSON_AddItemToObject(record, "blockers", string_array(h->blockers));
			cJSON_AddItemToObject(record, "next", string_array(h->next));
			cJSON_AddStringToObject(record, "from", p.me);
			cJSON_AddStringToObject(record, "to", p.to);
			cJSON_AddStringToObject(record, "created_at", p.now);
			const char *ses = gt_json_str(agent, "session");
			cJSON_AddItemToObject(record, "session", ses ? cJSON_CreateString(ses)
								     : cJSON_CreateNull());
			cJSON_AddItemToObject(record, "bead", p.bead ? cJSON_CreateString(p.bead)
								     : cJSON_CreateNull());
			cJSON_AddItemToObject(record, "git", git ? cJSON_Duplicate(git, 1)
								 : cJSON_CreateNull());
			p.record = record;

			gt_strbuf_addf(&body, "%s\n", h->message ? h->message : "");
			if (h->state)
				gt_strbuf_addf(&body, "\nState: %s\n", h->state);
			add_list_text(&body, "Done", h->done);
			add_list_text(&body, "Blockers", h->blockers);
			add_list_text(&body, "Next", h->next);
			if (p.bead)
				gt_strbuf_addf(&body, "\nHooked: %s\n", p.bead);
			if (git) {
				const char *br = gt_json_str(git, "branch");
				gt_strbuf_addf(&body, "Worktree: %s (branch %s, %s",
					       gt_json_str(git, "worktree"), br ? br : "detached",
					       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(git, "dirty"))
						       ? "dirty" : "clean");
				if (gt_json_str(git, "upstream"))
					gt_strbuf_addf(&body, ", %ld unpushed vs %s",
						       gt_json_long(git, "ahead", 0),
						       gt_json_str(git, "upstream"));
				gt_strbuf_adds(&body, ")\n");
			}
			gt_strbuf_adds(&body, "\nRun 'gt resume' to pick it up.\n");
			extra = cJSON_CreateObject();
			cJSON_AddItemToObject(extra, "handoff", cJSON_Duplicate(record, 1));
			if (p.bead)
				cJSON_AddStringToObject(extra, "bead", p.bead);
			struct gt_mail_msg m = { p.to, h->subject, trimmed(&body), -1, NULL, "handoff", extra };
			if ((r = gt_mail_compose(&mail, repo, &m)) < 0)
				goto out;
		} else if (!str_is(p.bead, gt_json_str(record, "bead"))) {
			/* the hook changed under us: the record would lie */
			r = gt_error_set(GT_ECONFLICT, "%s's hook changed during the handoff; run it again",
					 p.me);
			goto out;
		}
		if (!self)
			set_write(&w[n++], &gt_hook_type, from_id, GT_WRITE_UPSERT,
				  build_handoff_from, &p);
		set_write(&w[n++], &gt_hook_type, to_id, GT_WRITE_UPSERT, build_handoff_to, &p);
		if (!self && p.bead)
			set_write(&w[n++], &gt_bead_type, p.bead, 0, build_handoff_bead, &p);
		w[n++] = mail.write;
		if (!run_writes(&r, repo, w, n, &p.replan, attempt))
			break;
	}
	if (r == 0 && record_out) {
		*record_out = record;
		record = NULL;
	}
out:
	if (mail.box_id)
		gt_mail_out_release(&mail);
	cJSON_Delete(hook);
	cJSON_Delete(record);
	cJSON_Delete(agent);
	cJSON_Delete(git);
	cJSON_Delete(extra);
	gt_strbuf_release(&body);
	free(p.now);
	free(from_id);
	free(to_id);
	return r;
}

/* --- viewing ------------------------------------------------------------ */

int gt_work_hook_view(cJSON **out, int *empty, gt_repo *repo, const char *actor)
{
	cJSON *hook = NULL, *bead = NULL, *o;
	int r;

	*out = NULL;
	if ((r = read_hook(&hook, repo, actor)) < 0)
		return r;
	const char *id = gt_json_str(hook, "bead");
	if (id && (r = gt_bead_read(&bead, repo, id)) < 0) {
		if (r != GT_ENOTFOUND) {
			cJSON_Delete(hook);
			return r;
		}
		gt_error_clear();
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "actor", actor);
	static const char *const keys[] = { "bead", "title", "status", "slung_by", "slung_at",
					    "convoy", NULL };
	for (const char *const *k = keys; *k; k++) {
		const cJSON *src = !strcmp(*k, "title") || !strcmp(*k, "status") ? bead : hook;
		const char *s = gt_json_str(src, *k);
		cJSON_AddItemToObject(o, *k, s ? cJSON_CreateString(s) : cJSON_CreateNull());
	}
	const cJSON *ho = cJSON_GetObjectItemCaseSensitive(hook, "handoff");
	cJSON_AddItemToObject(o, "handoff", ho ? cJSON_Duplicate(ho, 1) : cJSON_CreateNull());
	if (empty)
		*empty = id == NULL;
	cJSON_Delete(hook);
	cJSON_Delete(bead);
	*out = o;
	return 0;
}
