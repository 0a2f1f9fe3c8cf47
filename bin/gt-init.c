/*
 * gt init: set up gastown in the current repository.
 *
 *   gt init [--bare] [--prefix <prefix>] [--actor <name>] [-q]
 *
 * Creates $GIT_COMMON_DIR/gastown/, records core.prefix and user.actor in
 * its config file, and gives every remote the fetch refspecs that carry
 * the ledger and the notes. With --bare, in a server's bare repository,
 * also installs the pre-receive hook that checks what is pushed (the
 * script hooks/pre-receive, built in); otherwise the post-commit hook that
 * records attribution notes, chained with any hook already there (see
 * lib/githook.h). Running it again changes nothing.
 * See Documentation/gt-init.txt.
 */
#include "config.h"
#include "error.h"
#include "githook.h"
#include "parse-options.h"
#include "remote.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const init_usage[] = {
	"gt init [--bare] [--prefix <prefix>] [--actor <name>] [-q]", NULL
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

int main(int argc, char **argv)
{
	const char *prefix = NULL, *actor = NULL;
	int quiet = 0, bare = 0;
	const struct gt_option opts[] = {
		GT_OPT_BOOL(0, "bare", &bare,
			    "in a server's bare repository: also install the pre-receive hook"),
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
	gt_strbuf changes = GT_STRBUF_INIT;
	gt_repo *repo = NULL;
	char *path = NULL;
	gt_githook_plan hook = GT_GITHOOK_PLAN_INIT;
	struct stat st;
	int existed, changed = 0, r;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, (const char **)argv, opts, init_usage);
	if (argc)
		gt_usage_error(init_usage, opts, "unexpected argument '%s'", argv[0]);
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	/* before anything changes: a hook that cannot be installed stops everything */
	if ((r = gt_githook_plan_make(&hook, repo, bare ? "pre-receive" : "post-commit")) < 0)
		goto out;

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

	if ((r = gt_remote_list(&remotes, repo)) < 0)
		goto out;
	for (size_t i = 0; i < remotes.nr; i++) {
		int added;
		if ((r = gt_remote_add_ledger_refspecs(&added, repo, remotes.items[i])) < 0)
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
	{
		int installed;
		if ((r = gt_githook_apply(&installed, &changes, &hook)) < 0)
			goto out;
		changed |= installed;
		if (hook.state == GT_GITHOOK_SKIPPED && !bare && !quiet)
			gt_warn("%s", hook.warning);
	}

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
	gt_strbuf_release(&changes);
	free(path);
	gt_githook_plan_release(&hook);
	gt_repo_free(repo);
	if (r < 0)
		gt_die_code(r);
	return 0;
}
