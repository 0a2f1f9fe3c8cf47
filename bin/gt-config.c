/*
 * gt config: get and set gastown configuration.
 *
 *   gt config get <key>
 *   gt config set [--repo | --user | --shared] <key> <value>
 *   gt config unset [--repo | --user | --shared] <key>
 *   gt config list [--show-origin]
 *
 * See Documentation/gt-config.txt.
 */
#include "config.h"
#include "error.h"
#include "parse-options.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const config_usage[] = {
	"gt config get <key>",
	"gt config set [--repo | --user | --shared] <key> <value>",
	"gt config unset [--repo | --user | --shared] <key>",
	"gt config list [--show-origin]",
	NULL
};
static const char *const get_usage[] = { "gt config get <key>", NULL };
static const char *const set_usage[] = {
	"gt config set [--repo | --user | --shared] <key> <value>", NULL
};
static const char *const unset_usage[] = {
	"gt config unset [--repo | --user | --shared] <key>", NULL
};
static const char *const list_usage[] = { "gt config list [--show-origin]", NULL };

/*
 * The effective configuration: the repository's when there is one, else
 * the layers that need none (defaults, user file, environment).
 */
static const gt_config *open_config(gt_repo **repo, gt_config **own)
{
	int r = gt_repo_open(repo, NULL);
	*own = NULL;
	if (r == 0)
		return gt_repo_config(*repo);
	if (r != GT_ENOTFOUND)
		gt_die_code(r);
	*repo = NULL;
	if ((r = gt_config_load(own, NULL, NULL)) < 0)
		gt_die_code(r);
	return *own;
}

static int cmd_get(int argc, const char **argv)
{
	const struct gt_option opts[] = { GT_OPT_END() };
	gt_repo *repo;
	gt_config *own;
	const gt_config *cfg;
	const char *value;
	int ret = 0;

	argc = gt_parse_options(argc, argv, opts, get_usage);
	if (argc != 1)
		gt_usage_error(get_usage, opts, argc ? "too many arguments" : "missing <key>");
	if (!gt_config_key_valid(argv[0]))
		gt_die_code(GT_EINVALID);
	cfg = open_config(&repo, &own);
	value = gt_config_get(cfg, argv[0]);
	if (value)
		printf("%s\n", value);
	else
		ret = GT_EXIT_NO;
	gt_config_free(own);
	gt_repo_free(repo);
	return ret;
}

static int cmd_set(int argc, const char **argv, int unset)
{
	int repo_scope = 0, user = 0, shared = 0;
	const struct gt_option opts[] = {
		GT_OPT_BOOL(0, "repo", &repo_scope,
			    "this repository's file $GIT_COMMON_DIR/gastown/config (default)"),
		GT_OPT_BOOL(0, "user", &user, "your file ~/.config/gastown/config"),
		GT_OPT_BOOL(0, "shared", &shared,
			    "the shared configuration in " GT_CONFIG_REF),
		GT_OPT_END(),
	};
	const char *const *usage = unset ? unset_usage : set_usage;
	int want = unset ? 1 : 2;
	gt_repo *repo = NULL;
	char *path = NULL;
	const char *key, *value;
	int r;

	argc = gt_parse_options(argc, argv, opts, usage);
	if (repo_scope + user + shared > 1)
		gt_usage_error(usage, opts,
			       "options '--repo', '--user' and '--shared' cannot be used together");
	if (argc < want)
		gt_usage_error(usage, opts, "missing %s", argc ? "<value>" : "<key>");
	if (argc > want)
		gt_usage_error(usage, opts, "too many arguments");
	key = argv[0];
	value = unset ? NULL : argv[1];

	if (user) {
		if (!(path = gt_config_path(GT_CONFIG_USER, NULL)))
			gt_die("cannot find your config file: set HOME or XDG_CONFIG_HOME");
		r = gt_config_set_file(path, key, value);
	} else {
		if ((r = gt_repo_open(&repo, NULL)) < 0)
			gt_die_code(r);
		if (shared) {
			r = gt_config_set_shared(gt_repo_git(repo), key, value,
						 gt_repo_actor(repo));
		} else {
			path = gt_config_path(GT_CONFIG_REPO, gt_repo_gastown_dir(repo));
			r = gt_config_set_file(path, key, value);
		}
	}
	free(path);
	gt_repo_free(repo);
	if (r < 0)
		gt_die_code(r);
	return 0;
}

struct effective {
	const char *key, *value, *origin;
};

struct collect {
	struct effective *items;
	size_t nr, alloc;
};

/* Keep the last value of each key: a later layer wins. */
static int collect_entry(const char *key, const char *value,
			 gt_config_scope scope, const char *origin, void *payload)
{
	struct collect *c = payload;
	(void)scope;
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->items[i].key, key)) {
			c->items[i].value = value;
			c->items[i].origin = origin;
			return 0;
		}
	if (c->nr == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 16;
		c->items = gt_xrealloc(c->items, c->alloc * sizeof(*c->items));
	}
	c->items[c->nr++] = (struct effective){ key, value, origin };
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct effective *)a)->key,
		      ((const struct effective *)b)->key);
}

static int cmd_list(int argc, const char **argv)
{
	int show_origin = 0;
	const struct gt_option opts[] = {
		GT_OPT_BOOL(0, "show-origin", &show_origin,
			    "prefix each line with where its value comes from"),
		GT_OPT_END(),
	};
	struct collect c = { NULL, 0, 0 };
	gt_repo *repo;
	gt_config *own;
	const gt_config *cfg;

	argc = gt_parse_options(argc, argv, opts, list_usage);
	if (argc)
		gt_usage_error(list_usage, opts, "too many arguments");
	cfg = open_config(&repo, &own);
	gt_config_foreach(cfg, collect_entry, &c);
	if (c.nr)
		qsort(c.items, c.nr, sizeof(*c.items), by_key);
	for (size_t i = 0; i < c.nr; i++) {
		if (show_origin)
			printf("%s\t", c.items[i].origin);
		printf("%s=%s\n", c.items[i].key, c.items[i].value);
	}
	free(c.items);
	gt_config_free(own);
	gt_repo_free(repo);
	return 0;
}

int main(int argc, char **argv)
{
	const char **av = (const char **)argv;
	const struct gt_option no_opts[] = { GT_OPT_END() };
	const char *cmd;

	gt_set_program_name(argv[0]);
	if (argc < 2 || argv[1][0] == '-') {
		/* only -h / --help make sense before the subcommand */
		if (gt_parse_options(argc, av, no_opts, config_usage) == 0)
			gt_usage_error(config_usage, no_opts,
				       "missing subcommand: get, set, unset or list");
		gt_usage_error(config_usage, no_opts,
			       "the subcommand comes first: gt config <subcommand> ...");
	}
	cmd = argv[1];
	if (!strcmp(cmd, "get"))
		return cmd_get(argc - 1, av + 1);
	if (!strcmp(cmd, "set"))
		return cmd_set(argc - 1, av + 1, 0);
	if (!strcmp(cmd, "unset"))
		return cmd_set(argc - 1, av + 1, 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, av + 1);
	gt_usage_error(config_usage, no_opts,
		       "unknown subcommand '%s': use get, set, unset or list", cmd);
}
