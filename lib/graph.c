#include "graph.h"
#include "error.h"
#include "strbuf.h"
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD "graph"

/* A chain lock older than this is taken for a writer that died. */
#define LOCK_STALE_SECONDS 600

/* A boolean of git's configuration, true when unset or unreadable. */
static int git_config_on(gt_repo *repo, const char *key)
{
	git_config *cfg = NULL;
	int on = 1;
	if (git_repository_config_snapshot(&cfg, gt_repo_git(repo)) == 0 &&
	    git_config_get_bool(&on, cfg, key) < 0)
		on = 1;
	git_config_free(cfg);
	return on;
}

/* Whether git would read a commit-graph here. */
static int graphs_wanted(gt_repo *repo)
{
	return git_repository_is_shallow(gt_repo_git(repo)) != 1 &&
	       git_config_on(repo, "core.commitGraph");
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

static const char *const failed_msg =
	"warning: git could not add to the commit-graph%s: nothing is lost, later syncs "
	"are only slower; once mended, run 'git commit-graph write --reachable --split'\n";

/*
 * What the last write in the background (process pid) said, once it has
 * ended: git says nothing when it succeeds, so anything it said is shown,
 * as git gc --auto shows its gc.log, and then removed. 1 while it runs.
 * The log, made when git started, dates it: a pid still alive after
 * LOCK_STALE_SECONDS is another process by now (ids are reused), and
 * taking it for the writer would stop every later write.
 */
static int report_detached(const char *log, long pid)
{
	gt_strbuf said = GT_STRBUF_INIT;
	struct stat st;
	if (pid > 0 && kill((pid_t)pid, 0) == 0 && stat(log, &st) == 0 &&
	    time(NULL) - st.st_mtime < LOCK_STALE_SECONDS)
		return 1;
	if (gt_strbuf_read_file(&said, log) == 0) {
		if (said.len) {
			fprintf(stderr, "%s", said.buf);
			if (said.buf[said.len - 1] != '\n')
				fputc('\n', stderr);
			fprintf(stderr, failed_msg, " in the background (see above)");
		}
		unlink(log);
	}
	gt_strbuf_release(&said);
	return 0;
}

/*
 * The record: the refs moved since the last write, and the process id of
 * a write still running in the background (0: none).
 */
void gt_graph_note(gt_repo *repo, size_t moved)
{
	static const char *const args[] = { "commit-graph", "write", "--reachable", "--split",
					    "--no-progress", NULL };
	gt_strbuf saved = GT_STRBUF_INIT, out = GT_STRBUF_INIT, log = GT_STRBUF_INIT;
	char text[64], *end;
	size_t count = 0;
	long pid = 0;

	if (gt_repo_read_record(repo, RECORD, &saved) == 0 && saved.buf) {
		count = (size_t)strtoull(saved.buf, &end, 10);
		pid = strtol(end, NULL, 10);
	}
	gt_strbuf_addf(&log, "%s/graph.log", gt_repo_gastown_dir(repo));
	int running = report_detached(log.buf, pid);
	int ended = !running && pid; /* its id goes: ids are reused */
	if (ended)
		pid = 0;
	if (!moved && !ended)
		goto out;
	count += moved;
	/* tests: GT_TEST_GRAPH_EVERY makes the bound small */
	const char *test_every = getenv("GT_TEST_GRAPH_EVERY");
	size_t every = test_every ? (size_t)strtoull(test_every, NULL, 10) : GT_GRAPH_EVERY;
	/* another writer at it: the count stays, for the next merge to write */
	if (moved && count >= every && !running && graphs_wanted(repo) && !chain_locked(repo)) {
		/* a failure is not retried at once: it would likely fail again */
		if (git_config_on(repo, "gc.autoDetach") && gt_repo_ensure_gastown_dir(repo) == 0) {
			pid_t child;
			if (gt_git_run_detached(&child, repo, args, log.buf) != 0)
				fprintf(stderr, "warning: %s\n", gt_error_last());
			else
				pid = child;
		} else if (gt_git_run(&out, repo, args) != 0) {
			fprintf(stderr, failed_msg, " (see above)");
		}
		count = 0;
	}
	snprintf(text, sizeof(text), "%zu %ld\n", count, pid);
	gt_repo_write_record(repo, RECORD, text);
out:
	gt_strbuf_release(&saved);
	gt_strbuf_release(&out);
	gt_strbuf_release(&log);
}
