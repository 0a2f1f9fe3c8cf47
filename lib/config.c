#include "config.h"
#include "error.h"
#include "strbuf.h"

#include <ctype.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

struct config_entry {
	char *key;
	char *value;
	gt_config_scope scope;
	char *origin;
};

struct gt_config {
	struct config_entry *entries;
	size_t nr, alloc;
};

static const char *const defaults[][2] = {
	{ "core.prefix", "gt" },
	{ "core.titlelimit", "500" },
	{ "core.staleLockSeconds", "10" },
};

const char *gt_config_scope_name(gt_config_scope scope)
{
	static const char *const names[] = { "default", "shared", "user", "repo", "env" };
	return names[scope];
}

static char *lower_key(const char *section, const char *name)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	if (section && *section)
		gt_strbuf_addf(&sb, "%s.", section);
	gt_strbuf_adds(&sb, name);
	for (size_t i = 0; i < sb.len; i++)
		sb.buf[i] = (char)tolower((unsigned char)sb.buf[i]);
	return gt_strbuf_detach(&sb);
}

static void add_entry(gt_config *cfg, char *key, const char *value,
		      gt_config_scope scope, const char *origin)
{
	if (cfg->nr == cfg->alloc) {
		cfg->alloc = cfg->alloc ? cfg->alloc * 2 : 16;
		cfg->entries = gt_xrealloc(cfg->entries, cfg->alloc * sizeof(*cfg->entries));
	}
	struct config_entry *e = &cfg->entries[cfg->nr++];
	e->key = key;
	e->value = gt_xstrdup(value);
	e->scope = scope;
	e->origin = gt_xstrdup(origin);
}

struct load_ctx {
	gt_config *cfg;
	gt_config_scope scope;
	const char *origin;
};

/* inih calls this per entry; values live only during the call. */
static int on_ini_entry(void *user, const char *section, const char *name,
		       const char *value)
{
	struct load_ctx *ctx = user;
	if (!name)
		return 1; /* a section with no entries */
	add_entry(ctx->cfg, lower_key(section, name), value ? value : "",
		  ctx->scope, ctx->origin);
	return 1; /* nonzero: keep going */
}

static int load_file(gt_config *cfg, gt_config_scope scope, const char *path)
{
	gt_strbuf origin = GT_STRBUF_INIT;
	gt_strbuf_addf(&origin, "file:%s", path);
	struct load_ctx ctx = { cfg, scope, origin.buf };
	int r = ini_parse(path, on_ini_entry, &ctx);
	gt_strbuf_release(&origin);
	if (r == -1)
		return 0; /* no such file: an empty layer */
	if (r != 0)
		return gt_error_set(GT_EINVALID, "bad config line %d in %s", r, path);
	return 0;
}

static int load_shared(gt_config *cfg, git_repository *repo)
{
	git_reference *ref = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	int r = 0;

	if (git_reference_lookup(&ref, repo, GT_CONFIG_REF) < 0)
		return 0; /* not set up: an empty layer */
	if (git_commit_lookup(&commit, repo, git_reference_target(ref)) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s does not point to a commit", GT_CONFIG_REF);
		goto out;
	}
	const git_tree_entry *te = git_tree_entry_byname(tree, "config");
	if (!te || git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s has no config blob", GT_CONFIG_REF);
		goto out;
	}
	char *text = gt_xstrndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	struct load_ctx ctx = { cfg, GT_CONFIG_SHARED, "ref:" GT_CONFIG_REF };
	int line = ini_parse_string(text, on_ini_entry, &ctx);
	free(text);
	if (line != 0)
		r = gt_error_set(GT_EINVALID, "bad config line %d in %s", line, GT_CONFIG_REF);
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(commit);
	git_reference_free(ref);
	return r;
}

char *gt_config_path(gt_config_scope scope, const char *gastown_dir)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	if (scope == GT_CONFIG_REPO) {
		gt_strbuf_addf(&sb, "%s/config", gastown_dir);
	} else if (scope == GT_CONFIG_USER) {
		const char *xdg = getenv("XDG_CONFIG_HOME");
		const char *home = getenv("HOME");
		if (xdg && *xdg)
			gt_strbuf_addf(&sb, "%s/gastown/config", xdg);
		else if (home && *home)
			gt_strbuf_addf(&sb, "%s/.config/gastown/config", home);
		else
			return NULL;
	} else {
		return NULL;
	}
	return gt_strbuf_detach(&sb);
}

int gt_config_load(gt_config **out, git_repository *repo, const char *gastown_dir)
{
	gt_config *cfg = gt_xcalloc(1, sizeof(*cfg));
	char *path;
	int r;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		add_entry(cfg, lower_key(NULL, defaults[i][0]), defaults[i][1],
			  GT_CONFIG_DEFAULT, "default");
	if (repo && (r = load_shared(cfg, repo)) < 0)
		goto fail;
	if ((path = gt_config_path(GT_CONFIG_USER, gastown_dir))) {
		r = load_file(cfg, GT_CONFIG_USER, path);
		free(path);
		if (r < 0)
			goto fail;
	}
	if (gastown_dir) {
		path = gt_config_path(GT_CONFIG_REPO, gastown_dir);
		r = load_file(cfg, GT_CONFIG_REPO, path);
		free(path);
		if (r < 0)
			goto fail;
	}
	static const char *const env_keys[][2] = {
		{ "GT_ACTOR", "user.actor" },
		{ "GT_PREFIX", "core.prefix" },
	};
	for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
		const char *v = getenv(env_keys[i][0]);
		if (v && *v) {
			char origin[64];
			snprintf(origin, sizeof(origin), "env:%s", env_keys[i][0]);
			add_entry(cfg, gt_xstrdup(env_keys[i][1]), v, GT_CONFIG_ENV, origin);
		}
	}
	*out = cfg;
	return 0;
fail:
	gt_config_free(cfg);
	return r;
}

void gt_config_free(gt_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nr; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
		free(cfg->entries[i].origin);
	}
	free(cfg->entries);
	free(cfg);
}

static const struct config_entry *lookup(const gt_config *cfg, const char *key)
{
	char *k = lower_key(NULL, key);
	const struct config_entry *found = NULL;
	for (size_t i = cfg->nr; i-- > 0;)
		if (!strcmp(cfg->entries[i].key, k)) {
			found = &cfg->entries[i];
			break;
		}
	free(k);
	return found;
}

const char *gt_config_get(const gt_config *cfg, const char *key)
{
	const struct config_entry *e = lookup(cfg, key);
	return e ? e->value : NULL;
}

const char *gt_config_origin(const gt_config *cfg, const char *key)
{
	const struct config_entry *e = lookup(cfg, key);
	return e ? e->origin : NULL;
}

int gt_config_get_int(long *out, const gt_config *cfg, const char *key, long def)
{
	const char *v = gt_config_get(cfg, key);
	char *end;
	if (!v) {
		*out = def;
		return 0;
	}
	*out = strtol(v, &end, 10);
	if (!*v || *end)
		return gt_error_set(GT_EINVALID, "config %s is not a number: '%s'", key, v);
	return 0;
}

int gt_config_foreach(const gt_config *cfg, gt_config_foreach_cb cb, void *payload)
{
	for (size_t i = 0; i < cfg->nr; i++) {
		const struct config_entry *e = &cfg->entries[i];
		int r = cb(e->key, e->value, e->scope, e->origin, payload);
		if (r)
			return r;
	}
	return 0;
}
