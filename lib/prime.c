#include "prime.h"
#include "actor.h"
#include "agent.h"
#include "bead.h"
#include "error.h"
#include "json.h"
#include "mail.h"
#include "strbuf.h"
#include "work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GT_INSTALL_TEMPLATE_DIR
#define GT_INSTALL_TEMPLATE_DIR "/usr/local/share/gastown/templates"
#endif
#ifndef GT_SOURCE_TEMPLATE_DIR
#define GT_SOURCE_TEMPLATE_DIR "templates"
#endif

static void expand(gt_strbuf *out, const char *t, const char *actor, const char *role,
		   const char *rig)
{
	while (*t) {
		const char *v = NULL;
		size_t skip = 0;
		if (!strncmp(t, "{{actor}}", 9))
			v = actor, skip = 9;
		else if (!strncmp(t, "{{role}}", 8))
			v = role, skip = 8;
		else if (!strncmp(t, "{{rig}}", 7))
			v = rig ? rig : "-", skip = 7;
		if (v) {
			gt_strbuf_adds(out, v);
			t += skip;
		} else {
			gt_strbuf_addch(out, *t++);
		}
	}
}

/* Try dir/roles/<name>.md: 1 and *path when readable. */
static int try_dir(gt_strbuf *text, char **path, const char *dir, const char *name)
{
	gt_strbuf p = GT_STRBUF_INIT;
	if (!dir || !*dir)
		return 0;
	gt_strbuf_addf(&p, "%s/roles/%s.md", dir, name);
	if (gt_strbuf_read_file(text, p.buf) < 0) {
		gt_strbuf_reset(text);
		gt_strbuf_release(&p);
		return 0;
	}
	*path = gt_strbuf_detach(&p);
	return 1;
}

static int try_all_dirs(gt_strbuf *text, char **path, gt_repo *repo, const char *name,
			int local)
{
	return (local && try_dir(text, path, gt_repo_gastown_dir(repo), name)) ||
	       try_dir(text, path, getenv("GT_TEMPLATE_DIR"), name) ||
	       try_dir(text, path, GT_INSTALL_TEMPLATE_DIR, name) ||
	       try_dir(text, path, GT_SOURCE_TEMPLATE_DIR, name);
}

int gt_prime_template(char **text_out, char **path_out, gt_repo *repo, const char *role,
		      const char *actor, const char *rig)
{
	gt_strbuf text = GT_STRBUF_INIT, key = GT_STRBUF_INIT, out = GT_STRBUF_INIT;
	char *path = NULL;
	const char *conf;
	int r = 0;

	*text_out = *path_out = NULL;
	gt_strbuf_addf(&key, "roles.%s", role);
	conf = gt_config_get(gt_repo_config(repo), key.buf);
	if (conf && *conf) {
		gt_strbuf p = GT_STRBUF_INIT;
		if (conf[0] != '/') {
			git_repository *git = gt_repo_git(repo);
			const char *base = git_repository_workdir(git);
			if (!base)
				base = git_repository_path(git);
			gt_strbuf_addf(&p, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/",
				       conf);
		} else {
			gt_strbuf_adds(&p, conf);
		}
		if (gt_strbuf_read_file(&text, p.buf) < 0) {
			r = gt_error_errno("cannot read %s (the template of %s: roles.%s)", p.buf,
					   role, role);
			gt_strbuf_release(&p);
			goto out;
		}
		path = gt_strbuf_detach(&p);
	} else if (!try_all_dirs(&text, &path, repo, role, 1) &&
		   !try_all_dirs(&text, &path, repo, "default", 0)) {
		r = gt_error_set(GT_ENOTFOUND,
				 "no template for role %s and no default.md (set roles.%s or GT_TEMPLATE_DIR)",
				 role, role);
		goto out;
	}
	if (!gt_utf8_valid(text.buf, text.len) || strlen(text.buf) != text.len) {
		r = gt_error_set(GT_EINVALID, "%s: a template must be UTF-8 text", path);
		goto out;
	}
	expand(&out, text.buf, actor, role, rig);
	*text_out = gt_strbuf_detach(&out);
	*path_out = path;
	path = NULL;
out:
	free(path);
	gt_strbuf_release(&out);
	gt_strbuf_release(&text);
	gt_strbuf_release(&key);
	return r;
}

struct unread_ctx {
	cJSON *list;
	size_t count, max;
};

static int collect_unread(const gt_mail_header *h, void *payload)
{
	struct unread_ctx *c = payload;
	if (h->read)
		return 0;
	if (c->count++ >= c->max)
		return 0;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", h->id);
	cJSON_AddStringToObject(o, "from", h->from);
	cJSON_AddStringToObject(o, "subject", h->subject);
	cJSON_AddStringToObject(o, "sent_at", h->sent_at);
	if (h->priority >= 0)
		cJSON_AddNumberToObject(o, "priority", h->priority);
	else
		cJSON_AddNullToObject(o, "priority");
	cJSON_AddStringToObject(o, "kind", *h->kind ? h->kind : "mail");
	cJSON_AddItemToArray(c->list, o);
	return 0;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int gt_prime_build(cJSON **out, gt_repo *repo, const char *role_opt, size_t max_mail)
{
	const char *actor = gt_repo_actor(repo);
	cJSON *agent = NULL, *hook = NULL, *bead = NULL, *o = NULL;
	char *rig = NULL, *text = NULL, *path = NULL;
	int empty, r;

	*out = NULL;
	if (!gt_actor_valid(actor))
		return gt_error_set(GT_EINVALID,
				    "the acting identity '%s' is not a valid actor address (set GT_ACTOR)",
				    actor);
	r = gt_agent_read(&agent, repo, actor);
	if (r < 0 && r != GT_ENOTFOUND)
		return r;
	gt_error_clear();
	const char *role = role_opt ? role_opt : gt_json_str(agent, "role");
	if (!role)
		role = gt_actor_role(actor);
	if (!role)
		role = "default";
	/* the names gt agent add takes */
	if (!gt_agent_name_valid(role))
		return gt_error_set(GT_EINVALID,
				    "invalid role '%s' (lower-case letters, digits, '-', '_')", role);
	rig = gt_json_str(agent, "rig") ? gt_xstrdup(gt_json_str(agent, "rig")) : gt_actor_rig(actor);
	if ((r = gt_prime_template(&text, &path, repo, role, actor, rig)) < 0)
		goto out;
	if ((r = gt_work_hook_view(&hook, &empty, repo, actor)) < 0)
		goto out;
	const char *id = gt_json_str(hook, "bead");
	if (id && gt_bead_read(&bead, repo, id) < 0) {
		bead = NULL;
		gt_error_clear();
	}
	struct unread_ctx uc = { cJSON_CreateArray(), 0, max_mail };
	if ((r = gt_mail_list(repo, actor, collect_unread, &uc)) < 0) {
		cJSON_Delete(uc.list);
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "actor", actor);
	cJSON_AddStringToObject(o, "role", role);
	cJSON_AddItemToObject(o, "rig", str_or_null(rig));
	cJSON_AddItemToObject(o, "agent", agent ? agent : cJSON_CreateNull());
	agent = NULL;
	cJSON_AddStringToObject(o, "template", path);
	cJSON_AddStringToObject(o, "instructions", text);
	const cJSON *ho = cJSON_GetObjectItemCaseSensitive(hook, "handoff");
	cJSON_AddItemToObject(o, "handoff", ho ? cJSON_Duplicate(ho, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "hook", hook);
	hook = NULL;
	cJSON_AddItemToObject(o, "bead", bead ? bead : cJSON_CreateNull());
	bead = NULL;
	cJSON_AddNumberToObject(o, "unread_count", (double)uc.count);
	cJSON_AddItemToObject(o, "unread", uc.list);
	*out = o;
out:
	cJSON_Delete(agent);
	cJSON_Delete(hook);
	cJSON_Delete(bead);
	free(rig);
	free(text);
	free(path);
	return r;
}
