#include "graph.h"
#include "strbuf.h"
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define RECORD "graph"

/* A chain lock older than this is taken for a writer that died. */
#define LOCK_STALE_SECONDS 600

/* Whether git would read a commit-graph here. */
static int graphs_wanted(gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	git_config *cfg = NULL;
	int on = 1;
	if (git_repository_is_shallow(git) == 1)
		return 0;
	if (git_repository_config_snapshot(&cfg, git) == 0 &&
	    git_config_get_bool(&on, cfg, "core.commitGraph") < 0)
		on = 1;
	git_config_free(cfg);
	return on;
}

/*
 * Whether another writer holds the lock of the commit-graph chain, as
 * when two syncs end at once: git would fail on it, printing its long
 * lock message. An old lock is left for git to fail on and gt to warn
 * of, so that it gets removed.
 */
static int chain_locked(gt_repo *repo)
{
	gt_strbuf lock = GT_STRBUF_INIT;
	struct stat st;

	gt_repo_objects_dir(&lock, repo);
	gt_strbuf_adds(&lock, "info/commit-graphs/commit-graph-chain.lock");
	int locked = stat(lock.buf, &st) == 0 && time(NULL) - st.st_mtime < LOCK_STALE_SECONDS;
	gt_strbuf_release(&lock);
	return locked;
}

void gt_graph_note(gt_repo *repo, size_t moved)
{
	static const char *const args[] = { "commit-graph", "write", "--reachable", "--split",
					    "--no-progress", NULL };
	gt_strbuf saved = GT_STRBUF_INIT, out = GT_STRBUF_INIT;
	char text[32];
	size_t count = 0;

	if (!moved)
		return;
	if (gt_repo_read_record(repo, RECORD, &saved) == 0 && saved.buf)
		count = (size_t)strtoull(saved.buf, NULL, 10);
	gt_strbuf_release(&saved);
	count += moved;
	/* tests: GT_TEST_GRAPH_EVERY makes the bound small */
	const char *test_every = getenv("GT_TEST_GRAPH_EVERY");
	size_t every = test_every ? (size_t)strtoull(test_every, NULL, 10) : GT_GRAPH_EVERY;
	/* another writer at it: the count stays, for the next merge to write */
	if (count >= every && graphs_wanted(repo) && !chain_locked(repo)) {
		/* a failure is not retried at once: it would likely fail again */
		if (gt_git_run(&out, repo, args) != 0)
			fprintf(stderr, "warning: git could not add to the commit-graph (see above): "
				"nothing is lost, later syncs are only slower; once mended, run "
				"'git commit-graph write --reachable --split'\n");
		gt_strbuf_release(&out);
		count = 0;
	}
	snprintf(text, sizeof(text), "%zu\n", count);
	gt_repo_write_record(repo, RECORD, text);
}
