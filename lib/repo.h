#ifndef GT_REPO_H
#define GT_REPO_H

#include <git2.h>
#include "strbuf.h"
#include <stdint.h>
#include "config.h"

/*
 * An open repository with what every command needs: the libgit2 handle,
 * the gastown directory ($GIT_COMMON_DIR/gastown, shared by worktrees),
 * the layered configuration and the acting identity.
 */
typedef struct gt_repo gt_repo;

/*
 * Open the repository at path, or discover it from GIT_DIR / the current
 * directory when path is NULL. Initialises libgit2 (once per process).
 * Returns GT_ENOTFOUND outside a repository.
 */
int gt_repo_open(gt_repo **out, const char *path);
void gt_repo_free(gt_repo *repo);

git_repository *gt_repo_git(gt_repo *repo);
/* $GIT_COMMON_DIR/gastown (no trailing slash); it may not exist yet. */
const char *gt_repo_gastown_dir(const gt_repo *repo);
/* Append "$GIT_COMMON_DIR/objects/" (with the trailing slash) to out. */
void gt_repo_objects_dir(gt_strbuf *out, gt_repo *repo);
/*
 * Write one object as a loose object, straight to the object directory.
 * git_odb_write first looks the object up in every pack (and rescans the
 * pack directory on a miss): ~0.4 ms per object with a few large packs.
 * A new entity commit's objects are new by construction, and a duplicate
 * loose copy of a packed object would be harmless.
 */
int gt_repo_write_loose(git_oid *out, gt_repo *repo, const void *data, size_t len,
			git_object_t type);

/*
 * Make loose writes through the repository's object database (libgit2's
 * tree, blob, commit and note functions, git_odb_write) survive a git gc
 * running meanwhile, as gt_repo_write_loose's do: call before writing;
 * cheap after the first call. Not done at open: loading the object
 * database costs ~2 ms that commands answered from the index never pay.
 */
int gt_odb_prepare_writes(git_repository *git);

/*
 * Whether libgit2 hashes every object it reads to check its name (on at
 * start, libgit2's default), for the whole process. git itself does not
 * on reading; gt fsck and git fsck do. Off only around reads of many
 * objects already checked on their way in (git's index-pack names each
 * by hashing it), where the hashing is a large part of the work.
 */
void gt_odb_verify_reads(int on);

/* Create the gastown directory if missing. */
int gt_repo_ensure_gastown_dir(gt_repo *repo);

/*
 * Replace the file <gastown dir>/<name> with text, atomically (a
 * temporary file renamed over it) but not synced: for records that
 * only save work and are checked before use (a lost or stale one costs
 * a full read). Best effort: on failure the file is removed, so no
 * stale copy stays.
 */
void gt_repo_write_record(gt_repo *repo, const char *name, const char *text);
/* Read such a record into out: 0, or < 0 when there is none. */
int gt_repo_read_record(gt_repo *repo, const char *name, gt_strbuf *out);
const gt_config *gt_repo_config(const gt_repo *repo);
/* Reload the configuration after a change. */
int gt_repo_reload_config(gt_repo *repo);

/*
 * The acting identity: GT_ACTOR, then user.actor in config, then git's
 * user.name, then $USER, then "overseer".
 */
const char *gt_repo_actor(const gt_repo *repo);
/*
 * Where the acting identity came from: the configuration origin of
 * user.actor ("env:GT_ACTOR", "file:<path>", ...), "git:user.name",
 * "env:USER" or "default". Owned by the repository.
 */
const char *gt_repo_actor_origin(const gt_repo *repo);

/* The id prefix (core.prefix). */
const char *gt_repo_prefix(const gt_repo *repo);

/*
 * Current time in milliseconds since the epoch. GT_TEST_NOW (seconds,
 * advanced by one millisecond per call) makes tests reproducible.
 */
int64_t gt_now_ms(void);

/* Format ms as RFC 3339 UTC, e.g. "2026-11-22T04:16:11Z" (buf >= 32). */
void gt_format_time(char *buf, size_t size, int64_t ms);
/* Parse an RFC 3339 time (or a plain epoch number) to ms; -1 if invalid. */
int64_t gt_parse_time(const char *s);

struct gt_option;
/*
 * For a command that acts for one actor given as its only, optional,
 * argument (argv after option parsing): open the repository into *repo
 * (dying on failure) and return that actor, else the acting identity.
 * More arguments are a usage error.
 */
const char *gt_open_for_actor(gt_repo **repo, int argc, const char **argv,
			      const char *const *usage, const struct gt_option *opts);

#endif
