#include "githook.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* hooks/pre-receive and hooks/post-commit, byte for byte (the tests compare them) */
static const char pre_receive_script[] =
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

static const char post_commit_script[] =
	"#!/bin/sh\n"
	"# gastown post-commit hook (installed by 'gt init'; do not edit)\n"
	"#\n"
	"# Records which bead a commit was made for: when the acting actor\n"
	"# (GT_ACTOR) has work on its hook, 'gt note --auto HEAD' adds a line\n"
	"# {\"bead\",\"actor\",\"session\",\"convoy\"} to the commit's note in\n"
	"# refs/notes/gastown. See gt-note(1) and hooks/README.md.\n"
	"#\n"
	"# It never makes the commit fail: git ignores a post-commit hook's exit\n"
	"# status, and a problem here is one line on stderr. It never recurses.\n"
	"#\n"
	"# A post-commit hook of your own goes next to this one as\n"
	"# post-commit.local ('gt init' moves an existing one there): it runs\n"
	"# after the note is written, with the same arguments, and its exit\n"
	"# status is the hook's.\n"
	"\n"
	"if test -z \"$GT_IN_POST_COMMIT\"; then\n"
	"\tif command -v gt >/dev/null 2>&1; then\n"
	"\t\tGT_IN_POST_COMMIT=1 gt note --auto HEAD </dev/null\n"
	"\telif command -v gt-note >/dev/null 2>&1; then\n"
	"\t\tGT_IN_POST_COMMIT=1 gt-note --auto HEAD </dev/null\n"
	"\tfi\n"
	"fi\n"
	"\n"
	"local_hook=\"${0%/*}/post-commit.local\"\n"
	"if test -x \"$local_hook\"; then\n"
	"\texec \"$local_hook\" \"$@\"\n"
	"fi\n"
	"exit 0\n";

static const struct {
	const char *name;
	const char *script;
	size_t len;
	const char *marker; /* on the second line of every version of ours */
} hooks[] = {
	{ "pre-receive", pre_receive_script, sizeof(pre_receive_script) - 1,
	  "# gastown pre-receive hook" },
	{ "post-commit", post_commit_script, sizeof(post_commit_script) - 1,
	  "# gastown post-commit hook" },
};

static int hook_index(const char *name)
{
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (!strcmp(hooks[i].name, name))
			return (int)i;
	return -1;
}

const char *gt_githook_script(const char *name)
{
	int i = hook_index(name);
	return i < 0 ? NULL : hooks[i].script;
}

void gt_githook_plan_release(gt_githook_plan *plan)
{
	free(plan->path);
	free(plan->warning);
	plan->path = plan->warning = NULL;
}

/* Is it ours? The marker on the second line (a first line may be anything). */
static int is_ours(const gt_strbuf *text, const char *marker)
{
	const char *nl = memchr(text->buf, '\n', text->len);
	return nl && !strncmp(nl + 1, marker, strlen(marker));
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int gt_githook_plan_make(gt_githook_plan *plan, gt_repo *repo, const char *name)
{
	git_repository *git = gt_repo_git(repo);
	git_config *cfg = NULL;
	git_buf hooks_path = GIT_BUF_INIT;
	gt_strbuf path = GT_STRBUF_INIT, text = GT_STRBUF_INIT, local = GT_STRBUF_INIT;
	int i = hook_index(name), receive, r = 0;

	gt_githook_plan_release(plan);
	plan->state = GT_GITHOOK_MISSING;
	if (i < 0)
		return gt_error_set(GT_EINVALID, "no such gastown hook: %s", name);
	plan->name = hooks[i].name;
	receive = !strcmp(name, "pre-receive");
	if (receive && !git_repository_is_bare(git)) {
		r = gt_error_set(GT_EREFUSED, "--bare is for a server's bare repository, and "
				 "this one has a working tree: run 'gt init' without --bare");
		goto out;
	}
	if (!receive && git_repository_is_bare(git)) {
		plan->state = GT_GITHOOK_SKIPPED;
		plan->warning = gt_xstrdup("a bare repository has no commits made in it: "
					   "no post-commit hook");
		goto out;
	}
	if ((r = git_repository_config_snapshot(&cfg, git)) < 0) {
		r = gt_error_git(r, "cannot read the git configuration");
		goto out;
	}
	if (git_config_get_string_buf(&hooks_path, cfg, "core.hooksPath") == 0) {
		gt_strbuf msg = GT_STRBUF_INIT;
		gt_strbuf_addf(&msg, "core.hooksPath is set (%s): install the %s hook there "
			       "yourself (see hooks/README.md)", hooks_path.ptr, name);
		if (receive) {
			r = gt_error_set(GT_EREFUSED, "%s", msg.buf);
			gt_strbuf_release(&msg);
			goto out;
		}
		plan->state = GT_GITHOOK_SKIPPED;
		plan->warning = gt_strbuf_detach(&msg);
		goto out;
	}
	git_error_clear();
	gt_strbuf_adds(&path, git_repository_commondir(git));
	if (path.len && path.buf[path.len - 1] != '/')
		gt_strbuf_addch(&path, '/');
	gt_strbuf_addf(&path, "hooks/%s", name);
	if (gt_strbuf_read_file(&text, path.buf) < 0) {
		if (errno != ENOENT) {
			r = gt_error_errno("cannot read %s", path.buf);
			goto out;
		}
		plan->state = GT_GITHOOK_MISSING;
	} else if (text.len == hooks[i].len && !memcmp(text.buf, hooks[i].script, text.len)) {
		plan->state = GT_GITHOOK_CURRENT;
	} else if (is_ours(&text, hooks[i].marker)) {
		plan->state = GT_GITHOOK_OLD;
	} else if (receive) {
		r = gt_error_set(GT_EREFUSED, "%s exists and is not gastown's: rename it to "
				 "pre-receive.local (gastown's hook runs it after its own "
				 "check) and run 'gt init --bare' again", path.buf);
		goto out;
	} else {
		gt_strbuf_addf(&local, "%s.local", path.buf);
		if (exists(local.buf)) {
			r = gt_error_set(GT_EREFUSED, "%s is not gastown's and %s exists too: "
					 "merge them into %s, remove %s and run 'gt init' again",
					 path.buf, local.buf, local.buf, path.buf);
			goto out;
		}
		plan->state = GT_GITHOOK_FOREIGN;
	}
	plan->path = gt_strbuf_detach(&path);
out:
	gt_strbuf_release(&path);
	gt_strbuf_release(&text);
	gt_strbuf_release(&local);
	git_buf_dispose(&hooks_path);
	git_config_free(cfg);
	return r;
}

/* Write the hook (mode 755) through a lock file renamed into place. */
static int write_hook(const char *path, const char *script, size_t len)
{
	gt_strbuf lock = GT_STRBUF_INIT;
	const char *slash = strrchr(path, '/');
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
	/* the mode a umask may have narrowed: a hook must be executable */
	if (fchmod(fd, 0755) < 0) {
		r = gt_error_errno("cannot write %s", path);
		close(fd);
		unlink(lock.buf);
		goto out;
	}
	int written = gt_write_all(fd, script, len) == 0;
	if (!written || close(fd) < 0 || rename(lock.buf, path) < 0) {
		r = gt_error_errno("cannot write %s", path);
		if (!written)
			close(fd);
		unlink(lock.buf);
	}
out:
	gt_strbuf_release(&lock);
	return r;
}

int gt_githook_apply(int *changed, gt_strbuf *report, const gt_githook_plan *plan)
{
	int i, r;

	if (changed)
		*changed = 0;
	if (plan->state == GT_GITHOOK_CURRENT || plan->state == GT_GITHOOK_SKIPPED)
		return 0;
	if ((i = hook_index(plan->name)) < 0 || !plan->path)
		return gt_error_set(GT_EINVALID, "no plan to install a hook");
	gt_strbuf local = GT_STRBUF_INIT;
	int moved_aside = 0;
	if (plan->state == GT_GITHOOK_FOREIGN) {
		gt_strbuf_addf(&local, "%s.local", plan->path);
		/* link(2) never replaces: a .local that appeared since is kept;
		 * rename where the file system has no hard links */
		int moved = link(plan->path, local.buf) == 0 ? unlink(plan->path) :
			    errno != EEXIST && !exists(local.buf) ? rename(plan->path, local.buf) : -1;
		if (moved < 0) {
			r = gt_error_errno("cannot move %s to %s", plan->path, local.buf);
			gt_strbuf_release(&local);
			return r;
		}
		moved_aside = 1;
	}
	if ((r = write_hook(plan->path, hooks[i].script, hooks[i].len)) < 0) {
		/* never leave the user's hook disabled: put it back */
		if (moved_aside && !exists(plan->path))
			rename(local.buf, plan->path);
		gt_strbuf_release(&local);
		return r;
	}
	if (moved_aside)
		gt_strbuf_addf(report, "moved your %s hook to %s; gastown's hook runs it\n",
			       plan->name, local.buf);
	gt_strbuf_release(&local);
	gt_strbuf_addf(report, "%s the %s hook in %s\n",
		       plan->state == GT_GITHOOK_OLD ? "updated" : "installed", plan->name,
		       plan->path);
	if (changed)
		*changed = 1;
	return 0;
}
