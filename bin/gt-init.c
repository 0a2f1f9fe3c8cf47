/*
 * gt init: set up gastown in the current repository.
 *
 *   gt init [--bare] [--prefix <prefix>] [--actor <name>] [-q]
 *
 * Creates $GIT_COMMON_DIR/gastown/, records core.prefix and user.actor in
 * its config file, and gives every remote the fetch refspecs that carry
 * the ledger and the notes. With --bare, in a server's bare repository,
 * also installs the pre-receive hook that checks what is pushed (the
 * script hooks/pre-receive, built in). Running it again changes nothing.
 * See Documentation/gt-init.txt.
 */
#include "config.h"
#include "error.h"
#include "parse-options.h"
#include "remote.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const init_usage[] = {
	"gt init [--bare] [--prefix <prefix>] [--actor <name>] [-q]", NULL
};

/*
 * hooks/pre-receive, byte for byte (t/t0840-pre-receive.sh compares
 * them), so that an installed gt needs no source tree. HOOK_MARKER on
 * its second line tells our hook, of any version, from someone else's.
 */
#define HOOK_MARKER "# gastown pre-receive hook"
static const char pre_receive_hook[] =
	"#!/bin/sh\n"
	"# gastown pre-receive hook (installed by 'gt init --bare'; do not edit)\n"
	"#\n"
	"# Rejects pushes that would damage the gastown ledger: deleted or\n"
	"# rewritten history, bad JSON, broken chains, wrong clocks, operations\n"
	"# dated in the future. See gt-receive-check(1) and hooks/README.md.\n"
	"#\n"
	"# A pre-receive hook of your own goes next to this one as\n"
	"# pre-receive.local: it runs after the check passes, with the same input,\n"
	"# and may reject the push too.\n"
	"\n"
	"if command -v gt >/dev/null 2>&1; then\n"
	"\tcheck=\"gt receive-check\"\n"
	"elif command -v gt-receive-check >/dev/null 2>&1; then\n"
	"\tcheck=gt-receive-check\n"
	"else\n"
	"\techo \"gastown: gt is not installed here: cannot check the push\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"\n"
	"local_hook=\"${0%/*}/pre-receive.local\"\n"
	"if ! test -x \"$local_hook\"; then\n"
	"\texec $check\n"
	"fi\n"
	"input=$(cat) || exit 1\n"
	"printf '%s\\n' \"$input\" | $check || exit 1\n"
	"printf '%s\\n' \"$input\" | \"$local_hook\"\n";

enum hook_state { HOOK_MISSING, HOOK_OLD, HOOK_CURRENT };

/*
 * Where the pre-receive hook of the bare repository goes, and what is
 * there now. GT_EREFUSED in a repository with a working tree, when
 * core.hooksPath sends git elsewhere, and when the hook there is someone
 * else's (it is never replaced: ours runs it as pre-receive.local).
 */
static int find_hook(char **path_out, enum hook_state *state, gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	git_config *cfg = NULL;
	git_buf hooks_path = GIT_BUF_INIT;
	gt_strbuf path = GT_STRBUF_INIT, text = GT_STRBUF_INIT;
	int r = 0;

	*path_out = NULL;
	if (!git_repository_is_bare(git)) {
		r = gt_error_set(GT_EREFUSED, "--bare is for a server's bare repository, and "
				 "this one has a working tree: run 'gt init' without --bare");
		goto out;
	}
	if ((r = git_repository_config_snapshot(&cfg, git)) < 0) {
		r = gt_error_git(r, "cannot read the git configuration");
		goto out;
	}
	if (git_config_get_string_buf(&hooks_path, cfg, "core.hooksPath") == 0) {
		r = gt_error_set(GT_EREFUSED, "core.hooksPath is set (%s): install the "
				 "pre-receive hook there yourself (see hooks/README.md)",
				 hooks_path.ptr);
		goto out;
	}
	git_error_clear();
	gt_strbuf_adds(&path, git_repository_commondir(git));
	if (path.len && path.buf[path.len - 1] != '/')
		gt_strbuf_addch(&path, '/');
	gt_strbuf_adds(&path, "hooks/pre-receive");
	if (gt_strbuf_read_file(&text, path.buf) < 0) {
		if (errno != ENOENT) {
			r = gt_error_errno("cannot read %s", path.buf);
			goto out;
		}
		*state = HOOK_MISSING;
	} else if (text.len == sizeof(pre_receive_hook) - 1 &&
		   !memcmp(text.buf, pre_receive_hook, text.len)) {
		*state = HOOK_CURRENT;
	} else if (strstr(text.buf, HOOK_MARKER)) {
		*state = HOOK_OLD;
	} else {
		r = gt_error_set(GT_EREFUSED, "%s exists and is not gastown's: rename it to "
				 "pre-receive.local (gastown's hook runs it after its own "
				 "check) and run 'gt init --bare' again", path.buf);
		goto out;
	}
	*path_out = gt_strbuf_detach(&path);
out:
	gt_strbuf_release(&path);
	gt_strbuf_release(&text);
	git_buf_dispose(&hooks_path);
	git_config_free(cfg);
	return r;
}

/* Write the hook (mode 755) through a lock file renamed into place. */
static int install_hook(const char *path)
{
	gt_strbuf lock = GT_STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	size_t off = 0, len = sizeof(pre_receive_hook) - 1;
	int fd, r = 0;

	/* the hooks directory: git init makes it, a copied repository may lack it */
	gt_strbuf_add(&lock, path, (size_t)(slash - path));
	if (mkdir(lock.buf, 0777) < 0 && errno != EEXIST) {
		r = gt_error_errno("cannot create %s", lock.buf);
		goto out;
	}
	gt_strbuf_reset(&lock);
	gt_strbuf_addf(&lock, "%s.lock", path);
	if ((fd = open(lock.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755)) < 0) {
		if (errno == EEXIST)
			r = gt_error_set(GT_ELOCKED, "%s is locked by another process "
					 "(remove %s if no gt command is running)", path, lock.buf);
		else
			r = gt_error_errno("cannot create %s", lock.buf);
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, pre_receive_hook + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < len || close(fd) < 0 || rename(lock.buf, path) < 0) {
		r = gt_error_errno("cannot write %s", path);
		if (off < len)
			close(fd);
		unlink(lock.buf);
	}
out:
	gt_strbuf_release(&lock);
	return r;
}

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
	char *path = NULL, *hook = NULL;
	enum hook_state hook_state = HOOK_MISSING;
	struct stat st;
	int existed, changed = 0, r;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, (const char **)argv, opts, init_usage);
	if (argc)
		gt_usage_error(init_usage, opts, "unexpected argument '%s'", argv[0]);
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	/* before anything changes: a hook that is not ours stops everything */
	if (bare && (r = find_hook(&hook, &hook_state, repo)) < 0)
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
	if (bare && hook_state != HOOK_CURRENT) {
		if ((r = install_hook(hook)) < 0)
			goto out;
		gt_strbuf_addf(&changes, "%s the pre-receive hook in %s\n",
			       hook_state == HOOK_OLD ? "updated" : "installed", hook);
		changed = 1;
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
	free(hook);
	gt_repo_free(repo);
	if (r < 0)
		gt_die_code(r);
	return 0;
}
