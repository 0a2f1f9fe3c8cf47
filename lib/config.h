#ifndef GT_CONFIG_H
#define GT_CONFIG_H

#include <git2.h>

/*
 * Layered INI configuration (read with inih). Layers, lowest first:
 * built-in defaults, the shared refs/gastown/config blob (syncs with the
 * ledger), the user's $XDG_CONFIG_HOME/gastown/config (or
 * ~/.config/gastown/config), the repository's $GIT_DIR/gastown/config,
 * then the environment (GT_ACTOR, GT_PREFIX). A later layer wins.
 *
 * Keys are "section.name" (sections and names are case-insensitive and
 * stored lowercase), as in git.
 */

typedef enum gt_config_scope {
	GT_CONFIG_DEFAULT,
	GT_CONFIG_SHARED,
	GT_CONFIG_USER,
	GT_CONFIG_REPO,
	GT_CONFIG_ENV,
} gt_config_scope;

typedef struct gt_config gt_config;

#define GT_CONFIG_REF "refs/gastown/config"

/* Load every layer. gastown_dir is $GIT_COMMON_DIR/gastown. */
int gt_config_load(gt_config **out, git_repository *repo,
		   const char *gastown_dir);
void gt_config_free(gt_config *cfg);

/* The effective value of key, or NULL when unset in every layer. */
const char *gt_config_get(const gt_config *cfg, const char *key);

/* A value as an integer; def when unset. GT_EINVALID when not a number. */
int gt_config_get_int(long *out, const gt_config *cfg, const char *key,
		      long def);

typedef int (*gt_config_foreach_cb)(const char *key, const char *value,
				    gt_config_scope scope, const char *origin,
				    void *payload);
/* Every entry of every layer, lowest layer first; stops on nonzero. */
int gt_config_foreach(const gt_config *cfg, gt_config_foreach_cb cb,
		      void *payload);

/* Where an effective value came from ("file:<path>", "ref:...", ...). */
const char *gt_config_origin(const gt_config *cfg, const char *key);

const char *gt_config_scope_name(gt_config_scope scope);

/* Path of the file backing a writable scope (USER or REPO); caller frees. */
char *gt_config_path(gt_config_scope scope, const char *gastown_dir);

/*
 * Set (value != NULL) or remove (value == NULL) key in the file of scope
 * USER or REPO, keeping the rest of the file (comments included) as it
 * is. The file is replaced atomically. Returns GT_EINVALID for a bad key
 * or value (newline), GT_ENOTFOUND when removing a key that is not set.
 */
int gt_config_set_file(const char *path, const char *key, const char *value);

/* Set or remove key in the shared refs/gastown/config blob (a commit). */
int gt_config_set_shared(git_repository *repo, const char *key,
			 const char *value, const char *actor);

/*
 * Whether text[0..len) (a config blob) loads as a configuration layer
 * does: 0 when it does, the number of its first bad line, or -1 when it
 * holds a NUL byte. The one check that fsck and the pre-receive check
 * share with loading.
 */
int gt_config_text_check(const char *text, size_t len);

/* Validate a key: "section.name", letters, digits and '-' only. */
int gt_config_key_valid(const char *key);

#endif
