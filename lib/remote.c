#include "remote.h"
#include "error.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

/* Fetch refspecs for a remote; %s is the remote's name. */
static const char *const fetch_refspecs[] = {
	"+refs/gastown/ledger*:refs/remotes/%s/gastown/ledger*",
	"+refs/notes/gastown*:refs/remotes/%s/notes/gastown*",
};

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

int gt_remote_list(gt_strlist *out, gt_repo *repo)
{
	git_config *cfg = NULL;
	int r = git_repository_config_snapshot(&cfg, gt_repo_git(repo));
	if (r < 0)
		return gt_error_git(r, "cannot read the git config");
	r = list_remotes(out, cfg);
	git_config_free(cfg);
	return r;
}

int gt_remote_add_ledger_refspecs(int *added, gt_repo *repo, const char *remote)
{
	git_config *cfg = NULL;
	int r = git_repository_config_snapshot(&cfg, gt_repo_git(repo));
	if (r < 0)
		return gt_error_git(r, "cannot read the git config");
	r = add_refspecs(added, gt_repo_git(repo), cfg, remote);
	git_config_free(cfg);
	return r;
}
