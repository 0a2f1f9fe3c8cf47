#include "transport.h"
#include "error.h"
#include "refs.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define LEDGER_REF "refs/gastown/ledger"
#define NOTES_REF "refs/notes/gastown"

/* the side's config: the main one first, then what keeps the main store safe */
static const char side_config[] =
	"# gt sync runs git fetch and git push here (see gt-sync(1)): this\n"
	"# repository holds four refs and no objects (git gets\n"
	"# GIT_OBJECT_DIRECTORY=<main repository>/objects). Safe to delete:\n"
	"# gt sync creates it again.\n"
	"[include]\n"
	"\tpath = ../../config\n"
	"[core]\n"
	"\tlogAllRefUpdates = false\n"
	"[gc]\n"
	"\tauto = 0\n"
	"[maintenance]\n"
	"\tauto = false\n"
	"[fetch]\n"
	"\twriteCommitGraph = false\n";

/* The four refs: ours, then the remote-tracking ones. */
enum { REF_LEDGER, REF_NOTES, REF_TRACK_LEDGER, REF_TRACK_NOTES, NREFS };

struct gt_transport {
	gt_repo *repo;
	char *side;          /* NULL: git runs in the main repository */
	char *objects;       /* $GIT_COMMON_DIR/objects */
	char *hooks;         /* core.hooksPath to give git, or NULL */
	int lock_fd;
	char *refs[NREFS];
	int have[NREFS];     /* the main repository's values when opened */
	git_oid ids[NREFS];
};

/* --- running git ---------------------------------------------------------- */

/* Variables that tell git which repository, work tree or index to use. */
static const char *const repo_vars[] = {
	"GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_INDEX_FILE",
	"GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_SHALLOW_FILE",
	"GIT_GRAFT_FILE",
};

static int is_var(const char *entry, const char *name)
{
	size_t len = strlen(name);
	return !strncmp(entry, name, len) && entry[len] == '=';
}

static int drop_var(const char *entry, int side)
{
	if (!strncmp(entry, "GIT_COMMITTER_", 14) || !strncmp(entry, "GIT_AUTHOR_", 11))
		return 1;
	for (size_t i = 0; side && i < sizeof(repo_vars) / sizeof(repo_vars[0]); i++)
		if (is_var(entry, repo_vars[i]))
			return 1;
	return 0;
}

/*
 * Run git with args; in the side repository when t has one. The actor
 * is the identity of any commit git makes (a notes merge). With
 * detach_log, git runs in a session of its own with its output in that
 * file, and is not waited for: 0 once started, its process id in
 * *detached.
 */
static int run_git(gt_strbuf *out, gt_repo *repo, const gt_transport *t,
		   const char *const *args, void (*meanwhile)(void *), void *payload,
		   const char *detach_log, pid_t *detached)
{
	git_repository *git = gt_repo_git(repo);
	const char *dir = git_repository_workdir(git);
	const char *actor = gt_repo_actor(repo);
	const char *side = t ? t->side : NULL;
	const char *argv[40];
	size_t n = 0;
	int pipefd[2] = { -1, -1 }, status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	gt_strlist env = GT_STRLIST_INIT;
	gt_strbuf var = GT_STRBUF_INIT, hooks = GT_STRBUF_INIT;

	argv[n++] = "git";
	if (side) {
		/* the side sees four refs: no gc from there, ever */
		argv[n++] = "-c";
		argv[n++] = "gc.auto=0";
		argv[n++] = "-c";
		argv[n++] = "maintenance.auto=false";
		if (t->hooks) {
			gt_strbuf_addf(&hooks, "core.hooksPath=%s", t->hooks);
			argv[n++] = "-c";
			argv[n++] = hooks.buf;
		}
	}
	argv[n++] = "-C";
	argv[n++] = dir ? dir : git_repository_path(git);
	for (; *args && n < sizeof(argv) / sizeof(argv[0]) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;

	for (char **e = environ; *e; e++)
		if (!drop_var(*e, side != NULL))
			gt_strlist_push(&env, *e);
	static const char *const idvars[] = { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
					      "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL" };
	for (size_t i = 0; i < 4; i++) {
		gt_strbuf_reset(&var);
		gt_strbuf_addf(&var, "%s=%s", idvars[i], actor);
		gt_strlist_push(&env, var.buf);
	}
	if (side) {
		gt_strbuf_reset(&var);
		gt_strbuf_addf(&var, "GIT_DIR=%s", side);
		gt_strlist_push(&env, var.buf);
		gt_strbuf_reset(&var);
		gt_strbuf_addf(&var, "GIT_OBJECT_DIRECTORY=%s", t->objects);
		gt_strlist_push(&env, var.buf);
	}
	gt_strbuf_release(&var);
	gt_strlist_push(&env, ""); /* room for the NULL below */
	free(env.items[env.nr - 1]);
	env.items[env.nr - 1] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	if (detach_log) {
		/* as git gc --auto detaches: no terminal, no signals of ours */
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, detach_log,
						 O_WRONLY | O_CREAT | O_TRUNC, 0666);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	} else if (out) {
		if (pipe(pipefd) < 0) {
			posix_spawn_file_actions_destroy(&fa);
			posix_spawnattr_destroy(&attr);
			env.nr--;
			gt_strlist_clear(&env);
			gt_strbuf_release(&hooks);
			return gt_error_set(GT_ERROR, "cannot run git: %s", strerror(errno));
		}
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
		posix_spawn_file_actions_addclose(&fa, pipefd[0]);
		posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	}
	int err = posix_spawnp(&pid, "git", &fa, &attr, (char *const *)argv, env.items);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	env.nr--; /* the NULL */
	gt_strlist_clear(&env);
	gt_strbuf_release(&hooks);
	if (!err && meanwhile)
		meanwhile(payload);
	if (out) {
		close(pipefd[1]);
		if (!err)
			gt_strbuf_read_fd(out, pipefd[0]);
		close(pipefd[0]);
	}
	if (err)
		return gt_error_set(GT_ERROR, "cannot run git: %s", strerror(err));
	if (detach_log) {
		*detached = pid; /* init reaps it once gt has exited */
		return 0;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return gt_error_set(GT_ERROR, "cannot wait for git: %s", strerror(errno));
	if (!WIFEXITED(status))
		return gt_error_set(GT_ERROR, "git was killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

int gt_git_run(gt_strbuf *out, gt_repo *repo, const char *const *args)
{
	return run_git(out, repo, NULL, args, NULL, NULL, NULL, NULL);
}

int gt_git_run_detached(pid_t *pid, gt_repo *repo, const char *const *args, const char *log)
{
	return run_git(NULL, repo, NULL, args, NULL, NULL, log, pid);
}

int gt_transport_git(gt_strbuf *out, gt_transport *t, const char *const *args)
{
	return run_git(out, t->repo, t, args, NULL, NULL, NULL, NULL);
}

int gt_transport_git_meanwhile(gt_strbuf *out, gt_transport *t, const char *const *args,
			       void (*meanwhile)(void *), void *payload)
{
	return run_git(out, t->repo, t, args, meanwhile, payload, NULL, NULL);
}

/* --- the side repository's refs ------------------------------------------- */

/* "<hex>\n" in a file: 1 read, 0 absent, < 0 not an object id. */
static int read_loose(git_oid *out, const char *path, const char *refname)
{
	char buf[GIT_OID_HEXSZ + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
			gt_error_errno("cannot read %s", path);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < GIT_OID_HEXSZ || (len > GIT_OID_HEXSZ && buf[GIT_OID_HEXSZ] != '\n') ||
	    git_oid_fromstrn(out, buf, GIT_OID_HEXSZ) < 0)
		return gt_error_set(GT_ECORRUPT, "%s in %s is not an object id; "
				    "remove the transport repository, gt sync creates it again",
				    refname, path);
	return 1;
}

/* refname in <side>/packed-refs (which only a git pack-refs run by hand writes). */
static int read_packed(git_oid *out, const char *side, const char *refname)
{
	gt_strbuf path = GT_STRBUF_INIT, data = GT_STRBUF_INIT;
	size_t len = strlen(refname);
	int found = 0;

	gt_strbuf_addf(&path, "%s/packed-refs", side);
	if (gt_strbuf_read_file(&data, path.buf) == 0 && data.buf) {
		for (const char *l = data.buf; *l;) {
			const char *end = strchr(l, '\n');
			size_t n = end ? (size_t)(end - l) : strlen(l);
			if (n == GIT_OID_HEXSZ + 1 + len && l[GIT_OID_HEXSZ] == ' ' &&
			    !strncmp(l + GIT_OID_HEXSZ + 1, refname, len) &&
			    git_oid_fromstrn(out, l, GIT_OID_HEXSZ) == 0)
				found = 1;
			l += n + (end != NULL);
		}
	}
	gt_strbuf_release(&path);
	gt_strbuf_release(&data);
	return found;
}

/* <side>/<name><suffix> (caller frees). */
static char *side_path2(const gt_transport *t, const char *name, const char *suffix)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "%s/%s%s", t->side, name, suffix);
	return gt_strbuf_detach(&sb);
}

static char *side_path(const gt_transport *t, const char *name)
{
	return side_path2(t, name, "");
}

/* mkdir -p of the directories above path, from start (which exists) on. */
static int make_parents(char *path, size_t start)
{
	for (char *p = path + start; (p = strchr(p, '/')); p++) {
		*p = '\0';
		int r = mkdir(path, 0777);
		int e = errno;
		*p = '/';
		if (r < 0 && e != EEXIST)
			return gt_error_set(GT_ERROR, "cannot create the directory of %s: %s",
					    path, strerror(e));
	}
	return 0;
}

/* Write data to path through path.tmp, so that readers see all or nothing. */
static int write_file(const char *path, const char *data, size_t len)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	int r = 0;

	gt_strbuf_addf(&tmp, "%s.gt-tmp", path);
	int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		goto out;
	}
	if (gt_write_all(fd, data, len) < 0) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.buf, path) < 0) {
		r = gt_error_errno("cannot write %s", path);
		unlink(tmp.buf);
	}
out:
	gt_strbuf_release(&tmp);
	return r;
}

/* Set the side's ref i to the main repository's value (or remove it). */
static int load_ref(gt_transport *t, int i)
{
	char *path = side_path(t, t->refs[i]);
	char *lock = side_path2(t, t->refs[i], ".lock");
	git_oid cur;
	int r;

	/* a lock file git left when killed: we hold the lock, it is stale */
	unlink(lock);
	free(lock);
	if ((r = read_loose(&cur, path, t->refs[i])) < 0) {
		/* damaged: replace it */
		unlink(path);
		r = 0;
	}
	if (!t->have[i]) {
		if (r && unlink(path) < 0 && errno != ENOENT)
			r = gt_error_errno("cannot remove %s", path);
		else
			r = 0;
	} else if (!r || !git_oid_equal(&cur, &t->ids[i])) {
		char hex[GIT_OID_HEXSZ + 2];
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &t->ids[i]);
		hex[GIT_OID_HEXSZ] = '\n';
		if ((r = make_parents(path, strlen(t->side) + 1)) == 0)
			r = write_file(path, hex, GIT_OID_HEXSZ + 1);
	} else {
		r = 0;
	}
	free(path);
	return r;
}

/* Create the side repository (under the lock) unless its config exists. */
static int create_side(gt_transport *t)
{
	char *config = side_path(t, "config");
	const char *dirs[] = { "refs", "refs/heads", "refs/tags", "objects" };
	struct stat st;
	int r = 0;

	if (stat(config, &st) == 0)
		goto out;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = side_path(t, dirs[i]);
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			r = gt_error_errno("cannot create %s", p);
		free(p);
		if (r < 0)
			goto out;
	}
	/* a branch no includeIf "onbranch:<name>" of the user's is likely to name */
	static const char head_ref[] = "ref: refs/heads/gastown-transport\n";
	char *head = side_path(t, "HEAD");
	r = write_file(head, head_ref, sizeof(head_ref) - 1);
	free(head);
	/* the config last: its presence says the repository is complete */
	if (r == 0)
		r = write_file(config, side_config, sizeof(side_config) - 1);
out:
	free(config);
	return r;
}

/* flock with a deadline: 0 taken, GT_ELOCKED, GT_ERROR. */
static int take_lock(gt_transport *t, const char *path)
{
	long wait_s = gt_refs_lock_wait_seconds(t->repo);
	struct timespec start, now;

	t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (t->lock_fd < 0)
		return gt_error_errno("cannot open %s", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned attempt = 0;; attempt++) {
		if (flock(t->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return gt_error_errno("cannot lock %s", path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - start.tv_sec) * 1000 +
			  (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= wait_s * 1000)
			return gt_error_set(GT_ELOCKED, "%s stays locked by another gt sync; "
					    "try again, or raise core.lockTimeoutSeconds (%ld s)",
					    path, wait_s);
		gt_refs_backoff(attempt);
	}
}

/* core.hooksPath for the side: the user's if set, else the main hooks directory. */
static char *hooks_path(gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	git_config *cfg = NULL;
	git_buf buf = { 0 };
	char *out = NULL;

	if (git_repository_config_snapshot(&cfg, git) == 0 &&
	    git_config_get_string_buf(&buf, cfg, "core.hooksPath") == GIT_ENOTFOUND) {
		gt_strbuf sb = GT_STRBUF_INIT;
		gt_strbuf_addf(&sb, "%shooks", git_repository_commondir(git));
		out = gt_strbuf_detach(&sb);
	}
	git_buf_dispose(&buf);
	git_config_free(cfg);
	git_error_clear();
	return out;
}

/* The main repository's values of the four refs. */
static int read_main(gt_transport *t)
{
	for (int i = 0; i < NREFS; i++) {
		int r = gt_refs_read(&t->ids[i], gt_repo_git(t->repo), t->refs[i]);
		if (r < 0 && r != GT_ENOTFOUND)
			return r;
		t->have[i] = r == 0;
	}
	return 0;
}

int gt_transport_open(gt_transport **out, gt_repo *repo, const char *remote)
{
	gt_transport *t = gt_xcalloc(1, sizeof(*t));
	git_repository *git = gt_repo_git(repo);
	const char *common = git_repository_commondir(git);
	gt_strbuf sb = GT_STRBUF_INIT;
	struct stat st;
	int r = 0;

	t->repo = repo;
	t->lock_fd = -1;
	t->refs[REF_LEDGER] = gt_xstrdup(LEDGER_REF);
	t->refs[REF_NOTES] = gt_xstrdup(NOTES_REF);
	gt_strbuf_addf(&sb, "refs/remotes/%s/gastown/ledger", remote);
	t->refs[REF_TRACK_LEDGER] = gt_strbuf_detach(&sb);
	gt_strbuf_addf(&sb, "refs/remotes/%s/notes/gastown", remote);
	t->refs[REF_TRACK_NOTES] = gt_strbuf_detach(&sb);
	*out = t;
	for (int i = REF_TRACK_LEDGER; i <= REF_TRACK_NOTES; i++) {
		int valid = 0;
		/* "a/../../b" would lead out of the side repository's refs */
		if (git_reference_name_is_valid(&valid, t->refs[i]) < 0 || !valid || strstr(remote, "..")) {
			git_error_clear();
			return gt_error_set(GT_EINVALID, "'%s' makes no valid ref name %s; "
					    "sync with a remote added by 'git remote add'",
					    remote, t->refs[i]);
		}
	}

	gt_strbuf_addf(&sb, "%sshallow", common);
	int shallow = stat(sb.buf, &st) == 0;
	gt_strbuf_reset(&sb);
	if (shallow) {
		r = read_main(t); /* git runs in the main repository */
		goto out;
	}

	if ((r = gt_repo_ensure_gastown_dir(repo)) < 0)
		goto out;
	gt_strbuf_addf(&sb, "%s/transport.git", gt_repo_gastown_dir(repo));
	t->side = gt_strbuf_detach(&sb);
	gt_strbuf_addf(&sb, "%sobjects", common);
	t->objects = gt_strbuf_detach(&sb);
	t->hooks = hooks_path(repo);
	if (mkdir(t->side, 0777) < 0 && errno != EEXIST) {
		r = gt_error_errno("cannot create %s", t->side);
		goto out;
	}
	gt_strbuf_addf(&sb, "%s/gt-sync.lock", t->side);
	if ((r = take_lock(t, sb.buf)) < 0 || (r = create_side(t)) < 0)
		goto out;

	/* only a git pack-refs run by hand writes it; its values are stale */
	char *packed = side_path(t, "packed-refs");
	char *packed_lock = side_path2(t, "packed-refs", ".lock");
	unlink(packed);
	unlink(packed_lock);
	free(packed);
	free(packed_lock);
	/* read under the lock: another sync's copy-back may just have moved them */
	if ((r = read_main(t)) < 0)
		goto out;
	for (int i = 0; i < NREFS; i++)
		if ((r = load_ref(t, i)) < 0)
			goto out;
out:
	gt_strbuf_release(&sb);
	return r;
}

void gt_transport_free(gt_transport *t)
{
	if (!t)
		return;
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* and the lock with it */
	for (int i = 0; i < NREFS; i++)
		free(t->refs[i]);
	free(t->side);
	free(t->objects);
	free(t->hooks);
	free(t);
}

const char *gt_transport_side(const gt_transport *t)
{
	return t->side;
}

/* --- copying back ------------------------------------------------------------ */

/* Move the main repository's refname to id, whatever it holds now. */
static int set_main_ref(gt_repo *repo, const char *refname, const git_oid *id)
{
	for (unsigned attempt = 0;; attempt++) {
		gt_ref_update u;
		int r;

		memset(&u, 0, sizeof(u));
		u.refname = refname;
		u.new_id = *id;
		r = gt_refs_read(&u.old, gt_repo_git(repo), refname);
		if (r == GT_ENOTFOUND)
			memset(&u.old, 0, sizeof(u.old));
		else if (r < 0)
			return r;
		if (r == 0 && git_oid_equal(&u.old, id))
			return 0;
		r = gt_refs_update(repo, &u, 1);
		/* a git fetch in the main repository moved it meanwhile */
		if (r != GT_ECONFLICT || attempt >= 10)
			return r;
	}
}

/* Remove a remote-tracking ref of the main repository (libgit2: loose and packed). */
static int remove_main_ref(gt_repo *repo, const char *refname)
{
	int r = git_reference_remove(gt_repo_git(repo), refname);
	if (r < 0 && r != GIT_ENOTFOUND)
		return gt_error_git(r, "cannot remove %s", refname);
	return 0;
}

int gt_transport_store_fetched(gt_transport *t)
{
	int r = 0;

	if (!t->side)
		return 0;
	for (int i = REF_TRACK_LEDGER; i <= REF_TRACK_NOTES && r == 0; i++) {
		char *path = side_path(t, t->refs[i]);
		git_oid id;
		if ((r = read_loose(&id, path, t->refs[i])) == 0)
			r = read_packed(&id, t->side, t->refs[i]);
		if (r > 0)
			r = set_main_ref(t->repo, t->refs[i], &id);
		else if (r == 0 && t->have[i])
			r = remove_main_ref(t->repo, t->refs[i]); /* pruned: the remote has none */
		free(path);
	}
	return r;
}

int gt_transport_store_pushed(gt_transport *t, const char *local_ref)
{
	int i = !strcmp(local_ref, t->refs[REF_LEDGER]) ? REF_LEDGER :
		!strcmp(local_ref, t->refs[REF_NOTES]) ? REF_NOTES : -1;

	if (i < 0 || !t->have[i])
		return gt_error_set(GT_EINVALID, "%s was not pushed", local_ref);
	return set_main_ref(t->repo, t->refs[i + REF_TRACK_LEDGER], &t->ids[i]);
}
