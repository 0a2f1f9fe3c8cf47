/*
 * gt init: set up gastown in the current repository.
 *
 *   gt init [--prefix <prefix>] [--actor <name>] [-q]
 *
 * Creates $GIT_COMMON_DIR/gastown/, records core.prefix and user.actor in
 * its config file, and gives every remote the fetch refspecs that carry
 * the ledger and the notes. Running it again changes nothing.
 * See Documentation/gt-init.txt.
 */
#include "config.h"
#include "error.h"
#include "parse-options.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const init_usage[] = {
	"gt init [--prefix <prefix>] [--actor <name>] [-q]", NULL
};

/* Fetch refspecs for a remote; %s is the remote's name. */
static const char *const fetch_refspecs[] = {
	"+refs/gastown/ledger*:refs/remotes/%s/gastown/ledger*",
	"+refs/notes/gastown*:refs/remotes/%s/notes/gastown*",
};

/* The value of a key in each layer (NULL where unset). */
struct layers {
	const char *key;
	const char *value[GT_CONFIG_ENV + 1];
};

static int find_layers(const char *key, const char *value,
		       gt_config_scope scope, const char *origin, void *payload)
{
	struct layers *l = payload;
	(void)origin;
	if (!strcmp(key, l->key))
		l->value[scope] = value;
	return 0;
}

/*
 * The names of the remotes: every remote.<name>.url or .pushurl, as
 * git_remote_list finds them. (Not git_remote_list itself: libgit2 1.5
 * leaks pcre2 match data whenever a regex fails to match, and it matches
 * one against every config entry; libgit2/libgit2#6382, fixed in 1.6.)
 */
static int list_remotes(gt_strlist *out, git_config *cfg)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int r;

	if ((r = git_config_iterator_new(&it, cfg)) < 0)
		return gt_error_git(r, "cannot read the git config");
	while ((r = git_config_next(&e, it)) == 0) {
		const char *name = e->name + 7, *dot;
		int seen = 0;
		if (strncmp(e->name, "remote.", 7) || !(dot = strrchr(name, '.')) ||
		    dot == name || (strcmp(dot, ".url") && strcmp(dot, ".pushurl")))
			continue;
		for (size_t i = 0; i < out->nr; i++)
			if (strlen(out->items[i]) == (size_t)(dot - name) &&
			    !strncmp(out->items[i], name, (size_t)(dot - name)))
				seen = 1;
		if (!seen) {
			char *remote = gt_xstrndup(name, (size_t)(dot - name));
			gt_strlist_push(out, remote);
			free(remote);
		}
	}
	git_config_iterator_free(it);
	if (r != GIT_ITEROVER)
		return gt_error_git(r, "cannot read the git config");
	return 0;
}

/* Whether remote.<name>.fetch already holds spec. */
static int has_refspec(int *found, git_config *cfg, const char *name,
		       const char *spec)
{
	gt_strbuf var = GT_STRBUF_INIT;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int r;

	*found = 0;
	gt_strbuf_addf(&var, "remote.%s.fetch", name);
	if ((r = git_config_multivar_iterator_new(&it, cfg, var.buf, NULL)) < 0) {
		r = gt_error_git(r, "cannot read %s", var.buf);
		goto out;
	}
	while ((r = git_config_next(&e, it)) == 0)
		if (!strcmp(e->value, spec))
			*found = 1;
	if (r != GIT_ITEROVER) {
		r = gt_error_git(r, "cannot read %s", var.buf);
		goto out;
	}
	r = 0;
out:
	git_config_iterator_free(it);
	gt_strbuf_release(&var);
	return r;
}

/*
 * Add the missing gastown fetch refspecs to one remote; *added counts
 * them. (libgit2 is called here because no lib/ module deals with
 * remotes yet.)
 */
static int add_refspecs(int *added, git_repository *git, git_config *cfg,
			const char *name)
{
	gt_strbuf spec = GT_STRBUF_INIT;
	int found, r = 0;

	*added = 0;
	for (size_t i = 0; i < sizeof(fetch_refspecs) / sizeof(fetch_refspecs[0]); i++) {
		gt_strbuf_reset(&spec);
		gt_strbuf_addf(&spec, fetch_refspecs[i], name);
		if ((r = has_refspec(&found, cfg, name, spec.buf)) < 0)
			goto out;
		if (found)
			continue;
		if ((r = git_remote_add_fetch(git, name, spec.buf)) < 0) {
			r = gt_error_git(r, "cannot add refspec '%s' to remote '%s'",
					 spec.buf, name);
			goto out;
		}
		(*added)++;
	}
out:
	gt_strbuf_release(&spec);
	return r;
}

int main(int argc, char **argv)
{
	const char *prefix = NULL, *actor = NULL;
	int quiet = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "prefix", &prefix, "prefix",
			      "id prefix of new beads (default: keep, else gt)"),
		GT_OPT_STRING(0, "actor", &actor, "name",
			      "your identity in this repository (user.actor)"),
		GT_OPT_BOOL('q', "quiet", &quiet, "print only errors"),
		GT_OPT_END(),
	};
	struct layers prefix_at = { "core.prefix", { NULL } };
	struct layers actor_at = { "user.actor", { NULL } };
	gt_strlist remotes = GT_STRLIST_INIT;
	git_config *gitcfg = NULL;
	gt_strbuf changes = GT_STRBUF_INIT;
	gt_repo *repo = NULL;
	char *path = NULL;
	struct stat st;
	int existed, changed = 0, r;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, (const char **)argv, opts, init_usage);
	if (argc)
		gt_usage_error(init_usage, opts, "unexpected argument '%s'", argv[0]);
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);

	existed = stat(gt_repo_gastown_dir(repo), &st) == 0 && S_ISDIR(st.st_mode);
	path = gt_config_path(GT_CONFIG_REPO, gt_repo_gastown_dir(repo));
	gt_config_foreach(gt_repo_config(repo), find_layers, &prefix_at);
	gt_config_foreach(gt_repo_config(repo), find_layers, &actor_at);

	/* core.prefix: as given; else keep any configured one; else "gt" */
	if (!prefix && !prefix_at.value[GT_CONFIG_REPO] &&
	    !prefix_at.value[GT_CONFIG_USER] && !prefix_at.value[GT_CONFIG_SHARED])
		prefix = "gt";
	if (prefix && (!prefix_at.value[GT_CONFIG_REPO] ||
		       strcmp(prefix_at.value[GT_CONFIG_REPO], prefix))) {
		if ((r = gt_config_set_file(path, "core.prefix", prefix)) < 0)
			goto out;
		changed = 1;
	}
	if (actor && (!actor_at.value[GT_CONFIG_REPO] ||
		      strcmp(actor_at.value[GT_CONFIG_REPO], actor))) {
		if ((r = gt_config_set_file(path, "user.actor", actor)) < 0)
			goto out;
		changed = 1;
	}
	if ((r = gt_repo_ensure_gastown_dir(repo)) < 0)
		goto out;
	if (!existed)
		changed = 1;

	if ((r = git_repository_config_snapshot(&gitcfg, gt_repo_git(repo))) < 0) {
		r = gt_error_git(r, "cannot read the git config");
		goto out;
	}
	if ((r = list_remotes(&remotes, gitcfg)) < 0)
		goto out;
	for (size_t i = 0; i < remotes.nr; i++) {
		int added;
		if ((r = add_refspecs(&added, gt_repo_git(repo), gitcfg,
				      remotes.items[i])) < 0)
			goto out;
		if (added) {
			gt_strbuf_addf(&changes,
				       "remote %s: added fetch refspecs for the ledger and notes\n",
				       remotes.items[i]);
			changed = 1;
		}
	}
	if ((r = gt_repo_reload_config(repo)) < 0)
		goto out;

	if (!quiet) {
		if (!changed)
			printf("gastown is already initialized in %s: nothing changed\n",
			       gt_repo_gastown_dir(repo));
		else
			printf("%s gastown in %s\n", existed ? "Reinitialized" : "Initialized",
			       gt_repo_gastown_dir(repo));
		printf("prefix: %s\nactor: %s\n%s", gt_repo_prefix(repo),
		       gt_repo_actor(repo), changes.buf);
	}
	r = 0;
out:
	gt_strlist_clear(&remotes);
	git_config_free(gitcfg);
	gt_strbuf_release(&changes);
	free(path);
	gt_repo_free(repo);
	if (r < 0)
		gt_die_code(r);
	return 0;
}
