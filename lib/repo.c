#include "repo.h"
#include "parse-options.h"
#include "usage.h"
#include "error.h"
#include "startup.h"
#include "strbuf.h"

#include <git2/sys/odb_backend.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct gt_repo {
	git_repository *git;
	char *gastown_dir;
	gt_config *config;
	char *actor;
	const char *actor_origin;
	git_odb_backend *loose; /* gt_repo_write_loose's writer, made on first use */
};

/*
 * Loose objects that get written while git gc runs. libgit2 makes the
 * fan-out directory (objects/ab/) and then renames its temporary file
 * into it; git prune-packed, which gc runs after a repack, removes the
 * directories it empties, and when it does so in between the rename
 * fails (ENOENT) and the command with it: 2 of 300 gt create under a
 * gc loop. git itself makes the directory again and retries; so does
 * this. An object's content names it, so writing it again is safe.
 */
#define WRITE_ATTEMPTS 8

static int write_retrying(git_odb_backend *loose, const git_oid *oid, const void *data,
			  size_t len, git_object_t type)
{
	int r = 0;
	for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++)
		if ((r = loose->write(loose, oid, data, len, type)) == 0)
			break;
	return r;
}

/* Ahead of libgit2's own loose writer in the repository's object database. */
struct retrying_writer {
	git_odb_backend parent;
	git_odb_backend *loose;
};

static int retrying_write(git_odb_backend *be, const git_oid *oid, const void *data,
			  size_t len, git_object_t type)
{
	return write_retrying(((struct retrying_writer *)be)->loose, oid, data, len, type);
}

static void retrying_free(git_odb_backend *be)
{
	struct retrying_writer *w = (struct retrying_writer *)be;
	w->loose->free(w->loose);
	free(w);
}

static void objects_dir(gt_strbuf *out, git_repository *git)
{
	const char *common = git_repository_commondir(git);
	gt_strbuf_addf(out, "%s%sobjects/", common, common[strlen(common) - 1] == '/' ? "" : "/");
}

static int open_loose(git_odb_backend **out, git_repository *git)
{
	gt_strbuf dir = GT_STRBUF_INIT;
	objects_dir(&dir, git);
	int r = git_odb_backend_loose(out, dir.buf, -1, 0, 0, 0);
	gt_strbuf_release(&dir);
	return r;
}

typedef int (*write_fn)(git_odb_backend *, const git_oid *, const void *, size_t,
			git_object_t);

/* Is a backend with that write function in odb? */
static int has_writer(git_odb *odb, write_fn write)
{
	git_odb_backend *be;
	for (size_t i = 0, n = git_odb_num_backends(odb); i < n; i++)
		if (git_odb_get_backend(&be, odb, i) == 0 && be->write == write)
			return 1;
	return 0;
}

void gt_odb_verify_reads(int on)
{
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, on);
}

int gt_odb_prepare_writes(git_repository *git)
{
	/* libgit2's loose writer: the same function in every loose backend */
	static write_fn libgit2_loose_write;
	git_odb *odb = NULL;
	struct retrying_writer *w = NULL;
	int r;

	/*
	 * Nothing to do where the writer is already, or where libgit2
	 * writes no loose objects (a bulk's in-memory store, which merges
	 * and imports write through object by object: no allocation then).
	 */
	if ((r = git_repository_odb(&odb, git)) < 0 || has_writer(odb, retrying_write) ||
	    (libgit2_loose_write && !has_writer(odb, libgit2_loose_write)))
		goto out;
	w = gt_xcalloc(1, sizeof(*w));
	if ((r = git_odb_init_backend(&w->parent, GIT_ODB_BACKEND_VERSION)) < 0 ||
	    (r = open_loose(&w->loose, git)) < 0) {
		free(w);
		goto out;
	}
	w->parent.write = retrying_write;
	w->parent.free = retrying_free;
	libgit2_loose_write = w->loose->write;
	/*
	 * Priority 10 puts it ahead of the default backends (loose 1, packs
	 * 2), so that git_odb_write and the write streams of
	 * git_blob_create_from_buffer both come here first.
	 */
	if (!has_writer(odb, libgit2_loose_write))
		retrying_free(&w->parent);
	else if ((r = git_odb_add_backend(odb, &w->parent, 10)) < 0)
		retrying_free(&w->parent);
out:
	git_odb_free(odb);
	return r < 0 ? gt_error_git(r, "cannot open the object database") : 0;
}

static char *pick_actor(gt_repo *repo)
{
	const char *v = gt_config_get(repo->config, "user.actor");
	if (v && *v) {
		repo->actor_origin = gt_config_origin(repo->config, "user.actor");
		return gt_xstrdup(v);
	}
	git_config *gc = NULL;
	git_buf buf = GIT_BUF_INIT;
	char *r = NULL;
	if (git_repository_config_snapshot(&gc, repo->git) == 0 &&
	    git_config_get_string_buf(&buf, gc, "user.name") == 0 && buf.size)
		r = gt_xstrdup(buf.ptr);
	git_buf_dispose(&buf);
	git_config_free(gc);
	if (r) {
		repo->actor_origin = "git:user.name";
		return r;
	}
	v = getenv("USER");
	repo->actor_origin = v && *v ? "env:USER" : "default";
	return gt_xstrdup(v && *v ? v : "overseer");
}

int gt_repo_open(gt_repo **out, const char *path)
{
	gt_repo *repo;
	int r;

	gt_startup_libgit2();
	repo = gt_xcalloc(1, sizeof(*repo));
	if (path)
		r = git_repository_open_ext(&repo->git, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	else
		r = git_repository_open_ext(&repo->git, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (r < 0) {
		if (r == GIT_ENOTFOUND)
			r = gt_error_set(GT_ENOTFOUND, "not a git repository (run 'git init' first)");
		else
			r = gt_error_git(r, "cannot open repository");
		free(repo);
		return r;
	}
	const char *common = git_repository_commondir(repo->git);
	size_t len = strlen(common);
	while (len > 1 && common[len - 1] == '/')
		len--;
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_add(&sb, common, len);
	gt_strbuf_adds(&sb, "/gastown");
	repo->gastown_dir = gt_strbuf_detach(&sb);
	if ((r = gt_config_load(&repo->config, repo->git, repo->gastown_dir)) < 0) {
		gt_repo_free(repo);
		return r;
	}
	repo->actor = pick_actor(repo);
	*out = repo;
	return 0;
}

void gt_repo_free(gt_repo *repo)
{
	if (!repo)
		return;
	if (repo->loose)
		repo->loose->free(repo->loose);
	git_repository_free(repo->git);
	gt_config_free(repo->config);
	free(repo->gastown_dir);
	free(repo->actor);
	free(repo);
}

git_repository *gt_repo_git(gt_repo *repo) { return repo->git; }
const char *gt_repo_gastown_dir(const gt_repo *repo) { return repo->gastown_dir; }
const gt_config *gt_repo_config(const gt_repo *repo) { return repo->config; }
const char *gt_repo_actor(const gt_repo *repo) { return repo->actor; }
const char *gt_repo_actor_origin(const gt_repo *repo)
{
	return repo->actor_origin ? repo->actor_origin : "default";
}

const char *gt_repo_prefix(const gt_repo *repo)
{
	const char *p = gt_config_get(repo->config, "core.prefix");
	return p && *p ? p : "gt";
}

int gt_repo_reload_config(gt_repo *repo)
{
	gt_config *cfg;
	int r = gt_config_load(&cfg, repo->git, repo->gastown_dir);
	if (r < 0)
		return r;
	gt_config_free(repo->config);
	repo->config = cfg;
	free(repo->actor);
	repo->actor = pick_actor(repo);
	return 0;
}

void gt_repo_objects_dir(gt_strbuf *out, gt_repo *repo)
{
	objects_dir(out, repo->git);
}

int gt_repo_write_loose(git_oid *out, gt_repo *repo, const void *data, size_t len,
			git_object_t type)
{
	int r;
	if (!repo->loose && (r = open_loose(&repo->loose, repo->git)) < 0)
		return gt_error_git(r, "cannot open the object directory");
	if ((r = git_odb_hash(out, data, len, type)) < 0 ||
	    (r = write_retrying(repo->loose, out, data, len, type)) < 0)
		return gt_error_git(r, "cannot write object");
	return 0;
}

int gt_repo_ensure_gastown_dir(gt_repo *repo)
{
	if (mkdir(repo->gastown_dir, 0777) < 0 && errno != EEXIST)
		return gt_error_errno("cannot create %s", repo->gastown_dir);
	return 0;
}

void gt_repo_write_record(gt_repo *repo, const char *name, const char *text)
{
	gt_strbuf path = GT_STRBUF_INIT, tmp = GT_STRBUF_INIT;
	size_t len = strlen(text);
	FILE *f = NULL;
	int ok = 0;

	gt_strbuf_addf(&path, "%s/%s", repo->gastown_dir, name);
	gt_strbuf_addf(&tmp, "%s.tmp%ld", path.buf, (long)getpid());
	if (gt_repo_ensure_gastown_dir(repo) == 0 && (f = fopen(tmp.buf, "w"))) {
		ok = fwrite(text, 1, len, f) == len;
		ok = fclose(f) == 0 && ok;
		ok = ok && rename(tmp.buf, path.buf) == 0;
	}
	if (!ok)
		unlink(path.buf);
	unlink(tmp.buf);
	gt_error_clear();
	gt_strbuf_release(&path);
	gt_strbuf_release(&tmp);
}

int gt_repo_read_record(gt_repo *repo, const char *name, gt_strbuf *out)
{
	gt_strbuf path = GT_STRBUF_INIT;
	int r;
	gt_strbuf_addf(&path, "%s/%s", repo->gastown_dir, name);
	r = gt_strbuf_read_file(out, path.buf);
	gt_strbuf_release(&path);
	return r;
}

int64_t gt_now_ms(void)
{
	static int64_t test_now = -1;
	const char *t = getenv("GT_TEST_NOW");
	if (t && *t) {
		if (test_now < 0)
			test_now = strtoll(t, NULL, 10) * 1000;
		return test_now++;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gt_format_time(char *buf, size_t size, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t gt_parse_time(const char *s)
{
	struct tm tm = { 0 };
	char *end;
	if (!s || !*s)
		return -1;
	long long n = strtoll(s, &end, 10);
	if (!*end)
		return (int64_t)n * 1000;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end)
			return -1;
		return (int64_t)timegm(&tm) * 1000;
	}
	int64_t ms = (int64_t)timegm(&tm) * 1000;
	if (*end == '.') {
		int scale = 100;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			ms += (*end - '0') * scale;
	}
	if (*end == 'Z' || !*end)
		return ms;
	if ((*end == '+' || *end == '-') && strlen(end) >= 6) {
		int sign = *end == '-' ? -1 : 1;
		int hh = (end[1] - '0') * 10 + (end[2] - '0');
		int mm = (end[4] - '0') * 10 + (end[5] - '0');
		return ms - sign * (int64_t)(hh * 3600 + mm * 60) * 1000;
	}
	return -1;
}

const char *gt_open_for_actor(gt_repo **repo, int argc, const char **argv,
			      const char *const *usage, const struct gt_option *opts)
{
	int r;
	if (argc > 1)
		gt_usage_error(usage, opts, "give at most one actor address");
	if ((r = gt_repo_open(repo, NULL)) < 0)
		gt_die_code(r);
	return argc ? argv[0] : gt_repo_actor(*repo);
}
