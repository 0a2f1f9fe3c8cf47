#include "sync.h"
#include "error.h"
#include "ledger.h"
#include "refs.h"
#include "registry.h"
#include "remote.h"
#include "strbuf.h"
#include "transport.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOTES_REF "refs/notes/gastown"

char *gt_sync_tracking_ledger(const char *remote)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "refs/remotes/%s/gastown/ledger", remote);
	return gt_strbuf_detach(&sb);
}

char *gt_sync_tracking_notes(const char *remote)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "refs/remotes/%s/notes/gastown", remote);
	return gt_strbuf_detach(&sb);
}

int gt_sync_default_remote(char **out, gt_repo *repo)
{
	gt_strlist remotes = GT_STRLIST_INIT;
	int r;

	if ((r = gt_remote_list(&remotes, repo)) < 0)
		return r;
	for (size_t i = 0; i < remotes.nr; i++)
		if (!strcmp(remotes.items[i], "origin"))
			*out = gt_xstrdup("origin");
	if (!*out && remotes.nr == 1)
		*out = gt_xstrdup(remotes.items[0]);
	if (!*out && !remotes.nr)
		r = gt_error_set(GT_ENOTFOUND, "no remote to sync with; add one with "
				 "'git remote add origin <url>' then 'gt remote-setup origin'");
	else if (!*out)
		r = gt_error_set(GT_EINVALID, "several remotes and none is 'origin'; "
				 "name the one to sync with");
	gt_strlist_clear(&remotes);
	return r;
}

/* --- the no-op fast path --------------------------------------------------- */

/*
 * A fingerprint of the local refs that the ledger carries: the stat data
 * (inode, size, mtime in ns) of packed-refs and of the directories that
 * hold the loose refs (every write renames a file into one of them, which
 * changes its mtime), the way git's index tells a changed file.
 */
static char *refs_fingerprint(gt_repo *repo)
{
	const char *common = git_repository_commondir(gt_repo_git(repo));
	gt_strbuf fp = GT_STRBUF_INIT, path = GT_STRBUF_INIT;
	const char *dirs[16];
	size_t n = 0;

	dirs[n++] = "packed-refs";
	dirs[n++] = "refs/gastown";
	for (size_t i = 0; i < gt_registry_count() && n < 16; i++)
		dirs[n++] = gt_registry_type(i)->ref_prefix;
	for (size_t i = 0; i < n; i++) {
		gt_strbuf_reset(&path);
		gt_strbuf_addf(&path, "%s%s", common, dirs[i]);
		gt_strbuf_addf(&fp, "%s ", dirs[i]);
		gt_refs_stat_line(&fp, path.buf);
		gt_strbuf_addch(&fp, '\n');
	}
	gt_strbuf_release(&path);
	return gt_strbuf_detach(&fp);
}

/* The record of what the last sync with remote left: "synced-<remote>". */
static char *synced_name(const char *remote)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_adds(&sb, "synced-");
	for (const char *p = remote; *p; p++)
		gt_strbuf_addch(&sb, isalnum((unsigned char)*p) || *p == '-' ? *p : '_');
	return gt_strbuf_detach(&sb);
}

/* "<ledger> <notes>" of our refs, "-" for one that is absent. */
static void ours_line(gt_strbuf *out, gt_repo *repo)
{
	const char *refs[] = { GT_LEDGER_REF, NOTES_REF };
	for (int i = 0; i < 2; i++) {
		git_oid id;
		char hex[GIT_OID_HEXSZ + 1];
		if (gt_refs_read(&id, gt_repo_git(repo), refs[i]) == 0)
			gt_strbuf_adds(out, git_oid_tostr(hex, sizeof(hex), &id));
		else
			gt_strbuf_adds(out, "-");
		gt_strbuf_addch(out, i ? '\n' : ' ');
	}
}

/*
 * The remote's ledger and notes, as one line like ours_line (git
 * ls-remote: one ref compared, no negotiation). NULL when git fails.
 */
static char *remote_line(gt_repo *repo, const char *remote)
{
	const char *args[] = { "ls-remote", "--quiet", remote, GT_LEDGER_REF, NOTES_REF, NULL };
	gt_strbuf out = GT_STRBUF_INIT, line = GT_STRBUF_INIT;
	const char *refs[] = { GT_LEDGER_REF, NOTES_REF };

	if (gt_git_run(&out, repo, args) != 0) {
		gt_strbuf_release(&out);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		const char *found = NULL;
		for (const char *l = out.buf ? out.buf : ""; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
			size_t len = strcspn(l, "\n");
			if (len > GIT_OID_HEXSZ + 1 && l[GIT_OID_HEXSZ] == '\t' &&
			    len - GIT_OID_HEXSZ - 1 == strlen(refs[i]) &&
			    !strncmp(l + GIT_OID_HEXSZ + 1, refs[i], strlen(refs[i])))
				found = l;
		}
		if (found)
			gt_strbuf_add(&line, found, GIT_OID_HEXSZ);
		else
			gt_strbuf_adds(&line, "-");
		gt_strbuf_addch(&line, i ? '\n' : ' ');
	}
	gt_strbuf_release(&out);
	return gt_strbuf_detach(&line);
}

/*
 * Nothing to do: the remote still has what the last sync with it left
 * on both sides, and no local ref moved since (same fingerprint).
 */
static int nothing_to_do(gt_repo *repo, const char *remote, const char *fingerprint)
{
	char *name = synced_name(remote), *theirs = NULL;
	gt_strbuf saved = GT_STRBUF_INIT, want = GT_STRBUF_INIT;
	int same = 0;

	if (gt_repo_read_record(repo, name, &saved) < 0)
		goto out;
	ours_line(&want, repo);
	gt_strbuf_adds(&want, fingerprint);
	if (!saved.buf || strcmp(saved.buf, want.buf))
		goto out;
	/* our ledger and notes are what we pushed: is the remote's still so? */
	theirs = remote_line(repo, remote);
	same = theirs && !strncmp(theirs, want.buf, strlen(theirs));
out:
	free(theirs);
	free(name);
	gt_strbuf_release(&saved);
	gt_strbuf_release(&want);
	return same;
}

/*
 * Remember the state a successful sync left. fingerprint was taken
 * before the merge read the refs: a ref moved since makes it differ,
 * never hides a change. No need to ask the remote what it holds now
 * (git push reported our refs as taken, or they were what the fetch
 * found there): nothing_to_do always asks it before trusting this.
 */
static void remember_synced(gt_repo *repo, const char *remote, const char *fingerprint)
{
	char *name = synced_name(remote);
	gt_strbuf line = GT_STRBUF_INIT;

	ours_line(&line, repo);
	gt_strbuf_adds(&line, fingerprint);
	gt_repo_write_record(repo, name, line.buf);
	free(name);
	gt_strbuf_release(&line);
}

/* --- fetch, merge, push --------------------------------------------------- */

struct prepare_job {
	gt_merge_prep *prep;
	gt_repo *repo;
};

static void prepare_meanwhile(void *payload)
{
	struct prepare_job *job = payload;
	gt_merge_prepare(job->prep, job->repo);
}

/*
 * Fetch the remote's ledger and notes into our tracking refs. *in_side
 * says whether git ran in the side repository, without its automatic
 * maintenance (a shallow repository's fetch runs in place, with it).
 * prep, when given, is prepared while git fetches (gt_merge_prepare).
 */
static int fetch(gt_repo *repo, const char *remote, int quiet, int *in_side,
		 gt_merge_prep *prep)
{
	gt_strbuf ledger = GT_STRBUF_INIT, notes = GT_STRBUF_INIT;
	int r;

	/* patterns, so that a remote without a ledger or notes yet is fine */
	gt_strbuf_addf(&ledger, "+%s*:refs/remotes/%s/gastown/ledger*", GT_LEDGER_REF, remote);
	gt_strbuf_addf(&notes, "+%s*:refs/remotes/%s/notes/gastown*", NOTES_REF, remote);
	/*
	 * What we have is told from the ledgers and notes alone: git would
	 * otherwise offer the newest of all local refs, which after local
	 * work are entity commits the remote lacks, give up after a few
	 * rounds of them, and receive the whole ledger again (10k beads:
	 * 42k objects instead of 620). The ledger reaches everything.
	 */
	char *tracking = gt_sync_tracking_ledger(remote), *tracking_notes = gt_sync_tracking_notes(remote);
	gt_strbuf tips[4] = { GT_STRBUF_INIT, GT_STRBUF_INIT, GT_STRBUF_INIT, GT_STRBUF_INIT };
	const char *tip_refs[4] = { GT_LEDGER_REF, tracking, NOTES_REF, tracking_notes };
	const char *args[20];
	size_t n = 0, nt = 0;
	gt_transport *t = NULL;

	if ((r = gt_transport_open(&t, repo, remote)) < 0)
		goto out;
	*in_side = gt_transport_side(t) != NULL;
	/*
	 * What comes is kept as a pack, however small: git writes it into
	 * objects/pack/, which git gc never removes. Loose objects go into
	 * objects/ab/, which a gc running meanwhile (the one the last sync
	 * started, say) may remove between git's mkdir and its write: the
	 * fetch then fails ("unable to create temporary file").
	 */
	args[n++] = "-c";
	args[n++] = "fetch.unpackLimit=1";
	args[n++] = "fetch";
	args[n++] = "--no-tags";
	args[n++] = "--no-write-fetch-head";
	args[n++] = quiet ? "--quiet" : "--progress";
	/*
	 * A tracking ref whose ref the remote no longer has goes: a new
	 * server at the same URL must get our ledger, not be taken to hold
	 * it already (only the two tracking refs match our refspecs).
	 */
	args[n++] = "--prune";
	if (gt_transport_side(t)) {
		/* no gc from a repository that sees four refs; no gitlinks in ours */
		args[n++] = "--no-auto-maintenance";
		args[n++] = "--no-recurse-submodules";
	}
	for (int i = 0; i < 4; i++) {
		git_oid id;
		/* a tip git cannot resolve is fatal to it: only refs we have */
		if (gt_refs_read(&id, gt_repo_git(repo), tip_refs[i]) < 0)
			continue;
		gt_strbuf_addf(&tips[nt], "--negotiation-tip=%s", tip_refs[i]);
		args[n++] = tips[nt++].buf;
	}
	args[n++] = remote;
	args[n++] = ledger.buf;
	args[n++] = notes.buf;
	args[n] = NULL;
	struct prepare_job job = { prep, repo };
	r = gt_transport_git_meanwhile(NULL, t, args, prep ? prepare_meanwhile : NULL, &job);
	if (r > 0)
		r = gt_error_set(GT_ERROR, "git fetch %s failed (exit %d)", remote, r);
	else if (r == 0)
		r = gt_transport_store_fetched(t);
out:
	gt_transport_free(t);
	for (int i = 0; i < 4; i++)
		gt_strbuf_release(&tips[i]);
	free(tracking);
	free(tracking_notes);
	gt_strbuf_release(&ledger);
	gt_strbuf_release(&notes);
	return r;
}

/* Read a ref that may be absent: 1 found, 0 absent, < 0 error. */
static int read_optional(git_oid *out, gt_repo *repo, const char *refname)
{
	int r = gt_refs_read(out, gt_repo_git(repo), refname);
	if (r == GT_ENOTFOUND)
		return 0;
	return r < 0 ? r : 1;
}

static int merge_notes(gt_repo *repo, const char *remote)
{
	char *tracking = gt_sync_tracking_notes(remote);
	git_oid theirs, ours;
	int r;

	if ((r = read_optional(&theirs, repo, tracking)) <= 0)
		goto out;
	if ((r = read_optional(&ours, repo, NOTES_REF)) < 0)
		goto out;
	if (r && git_oid_equal(&ours, &theirs)) {
		r = 0;
		goto out;
	}
	/* git's own notes merge, keeping every line of both sides */
	const char *args[] = { "notes", "--ref=" NOTES_REF, "merge", "--quiet",
			       "--strategy=cat_sort_uniq", tracking, NULL };
	if ((r = gt_git_run(NULL, repo, args)) > 0)
		r = gt_error_set(GT_ERROR, "git notes merge of %s failed (exit %d)", tracking, r);
out:
	free(tracking);
	return r;
}

int gt_sync_merge_remote(gt_merge_stats *stats, gt_repo *repo, const char *remote,
			 const gt_merge_opts *opts)
{
	char *tracking = gt_sync_tracking_ledger(remote);
	git_oid theirs;
	int r;

	if ((r = read_optional(&theirs, repo, tracking)) >= 0)
		r = gt_merge_ledger(stats, repo, r ? &theirs : NULL, opts);
	if (r == 0)
		r = merge_notes(repo, remote);
	free(tracking);
	return r;
}

/* Does our ref differ from the remote-tracking one (so there is something to push)? */
static int ahead(gt_repo *repo, const char *ours_ref, const char *tracking)
{
	git_oid ours, theirs;
	int have_ours = read_optional(&ours, repo, ours_ref);
	int have_theirs = read_optional(&theirs, repo, tracking);
	if (have_ours <= 0)
		return 0;
	return have_theirs <= 0 || !git_oid_equal(&ours, &theirs);
}

/*
 * Did git push --porcelain report "<src>:<dst>" as done? Its lines are
 * "<flag>\t<src>:<dst>\t<summary>": ' ' fast-forward, '+' forced, '*'
 * new, '=' up to date; '!' rejected.
 */
static int push_done(const char *out, const char *spec)
{
	size_t len = strlen(spec);
	for (const char *l = out; *l;) {
		size_t n = strcspn(l, "\n");
		if (n > len + 2 && strchr(" +*=", l[0]) && l[1] == '\t' &&
		    !strncmp(l + 2, spec, len) && l[2 + len] == '\t')
			return 1;
		l += n + (l[n] == '\n');
	}
	return 0;
}

/*
 * "--force-with-lease=refs/gastown/ledger:<the remote's ledger we
 * merged>" (empty: the remote has none) when our ledger descends from
 * it, so that the lease can only ever move the remote's ledger forward;
 * 0 (a plain push) otherwise.
 */
static int lease_arg(gt_strbuf *out, gt_repo *repo, const char *tracking)
{
	git_oid ours, theirs;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int have = read_optional(&theirs, repo, tracking);
	if (have < 0 || read_optional(&ours, repo, GT_LEDGER_REF) <= 0)
		return 0;
	if (have && !gt_ledger_descends(repo, &ours, &theirs))
		return 0;
	if (have)
		git_oid_tostr(hex, sizeof(hex), &theirs);
	gt_strbuf_addf(out, "--force-with-lease=%s:%s", GT_LEDGER_REF, hex);
	return 1;
}

/*
 * Whether the user's git config sets pack.window. When it does not, a
 * sync pushes without a delta search (pack.window=0): a sync's pack is
 * a few hundred small objects, and the search took 50 ms of the push's
 * 130 at 10k beads (110 changes each way) to make the pack about 40 %
 * of the size (178 KiB whole, 68 KiB with deltas).
 */
static int window_is_set(gt_repo *repo)
{
	git_config *cfg = NULL;
	int32_t window;
	int set = 0;
	if (git_repository_config_snapshot(&cfg, gt_repo_git(repo)) == 0)
		set = git_config_get_int32(&window, cfg, "pack.window") == 0;
	git_config_free(cfg);
	return set;
}

/*
 * Push what moved. 0 pushed (or nothing to push), 1 rejected because
 * the remote moved (fetch and merge again), < 0 error. What the remote
 * took becomes our remote-tracking ref at once: no need to ask it.
 */
static int push(int *pushed, gt_repo *repo, const char *remote, int quiet, int lease_ok)
{
	char *tl = gt_sync_tracking_ledger(remote), *tn = gt_sync_tracking_notes(remote);
	static const char *const specs[2] = { GT_LEDGER_REF ":" GT_LEDGER_REF,
					      NOTES_REF ":" NOTES_REF };
	static const char *const srcs[2] = { GT_LEDGER_REF, NOTES_REF };
	int want[2];
	const char *args[12];
	size_t n = 0;
	gt_strbuf out = GT_STRBUF_INIT, lease = GT_STRBUF_INIT;
	gt_transport *t = NULL;
	int r;

	*pushed = 0;
	want[0] = ahead(repo, GT_LEDGER_REF, tl);
	want[1] = ahead(repo, NOTES_REF, tn);
	if (!want[0] && !want[1]) {
		r = 0; /* nothing to push */
		goto out;
	}
	if (!window_is_set(repo)) {
		args[n++] = "-c";
		args[n++] = "pack.window=0";
	}
	args[n++] = "push";
	args[n++] = "--porcelain";
	if (quiet)
		args[n++] = "--quiet";
	/*
	 * The ledger goes as a compare-and-swap on the remote's value we
	 * merged, which it descends from: git then skips its own check that
	 * the push is a fast-forward, a walk that reaches (without commit
	 * graphs) every entity commit newer than the oldest one a change
	 * builds on (0.57 s at 10k beads for the first change of 110 beads).
	 * A remote that moved meanwhile rejects it as it would a non-fast-
	 * forward ("stale info"): fetch and merge again, and push plainly
	 * then (lease_ok 0), since a remote that lost its ledger (another
	 * server at the same URL) keeps rejecting a lease on what we fetched
	 * from it before.
	 */
	if (want[0] && lease_ok && lease_arg(&lease, repo, tl))
		args[n++] = lease.buf;
	args[n++] = remote;
	for (int i = 0; i < 2; i++)
		if (want[i])
			args[n++] = specs[i];
	args[n] = NULL;
	if ((r = gt_transport_open(&t, repo, remote)) < 0)
		goto out;
	r = gt_transport_git(&out, t, args);
	if (r < 0)
		goto out;
	/* --quiet prints no status when all went well: exit 0 says so */
	for (int i = 0; i < 2; i++) {
		int e;
		if (want[i] && (r == 0 || push_done(out.buf ? out.buf : "", specs[i])) &&
		    (e = gt_transport_store_pushed(t, srcs[i])) < 0) {
			r = e;
			goto out;
		}
	}
	if (r == 0) {
		*pushed = 1;
		goto out;
	}
	/* "!\t<src>:<dst>\t[rejected] (fetch first)" and the like */
	if (strstr(out.buf ? out.buf : "", "[rejected]")) {
		r = 1;
	} else if (strstr(out.buf ? out.buf : "", "[remote rejected]")) {
		r = gt_error_set(GT_EREFUSED, "the remote refused the push (see its message above)");
	} else {
		r = gt_error_set(GT_ERROR, "git push %s failed (exit %d)", remote, r);
	}
out:
	gt_transport_free(t);
	gt_strbuf_release(&out);
	gt_strbuf_release(&lease);
	free(tl);
	free(tn);
	return r;
}

static void add_stats(gt_merge_stats *sum, const gt_merge_stats *s)
{
	sum->new_refs += s->new_refs;
	sum->updated += s->updated;
	sum->merged += s->merged;
	sum->renamed += s->renamed;
	sum->followed += s->followed;
	sum->ledger_changed |= s->ledger_changed;
}

/*
 * What a plain git fetch does at its end, and the side repository's
 * fetch must not (it sees four refs): git's automatic maintenance (gc
 * --auto, or the tasks maintenance.auto sets), here in the main
 * repository, so that the packs and loose objects syncs leave get packed
 * in time. When it finds nothing to do it costs ~3 ms.
 */
static void auto_maintenance(gt_repo *repo)
{
	static const char *const args[] = { "maintenance", "run", "--auto", "--quiet", NULL };
	gt_strbuf out = GT_STRBUF_INIT;
	gt_git_run(&out, repo, args);
	gt_strbuf_release(&out);
}

int gt_sync(gt_sync_stats *stats, gt_repo *repo, const char *remote,
	    const gt_sync_opts *opts)
{
	gt_sync_stats st;
	unsigned max = opts && opts->attempts ? opts->attempts : 10;
	int quiet = opts ? opts->quiet : 0, fetched_in_side = 0;
	int r;

	memset(&st, 0, sizeof(st));
	char *fingerprint = refs_fingerprint(repo);
	if ((!opts || opts->push) && nothing_to_do(repo, remote, fingerprint)) {
		free(fingerprint);
		if (stats)
			*stats = st;
		return 0;
	}
	for (;;) {
		gt_merge_stats ms;
		memset(&ms, 0, sizeof(ms));
		st.attempts++;
		/* the local side of the push, made ready while git fetches */
		gt_merge_prep prep;
		gt_merge_opts mopts;
		memset(&prep, 0, sizeof(prep));
		memset(&mopts, 0, sizeof(mopts));
		if (opts)
			mopts = opts->merge;
		mopts.prep = !opts || opts->push ? &prep : NULL;
		r = fetch(repo, remote, quiet, &fetched_in_side, mopts.prep);
		if (r == 0)
			r = gt_sync_merge_remote(&ms, repo, remote, &mopts);
		gt_merge_prep_release(&prep);
		if (r < 0)
			break;
		add_stats(&st.merge, &ms);
		if (opts && !opts->push)
			break;
		int pushed = 0;
		/* tests: let another clone push first, once (the race, on demand) */
		const char *race = getenv("GT_TEST_BEFORE_PUSH");
		if (race && st.attempts == 1) {
			char *cmd = gt_xstrdup(race);
			unsetenv("GT_TEST_BEFORE_PUSH"); /* not in the other clone's sync */
			if (system(cmd) != 0)
				fprintf(stderr, "warning: GT_TEST_BEFORE_PUSH failed\n");
			free(cmd);
		}
		if ((r = push(&pushed, repo, remote, quiet, st.attempts == 1)) <= 0) {
			st.pushed |= pushed;
			if (r == 0)
				remember_synced(repo, remote, fingerprint);
			break;
		}
		if (st.attempts >= max) {
			r = gt_error_set(GT_ECONFLICT, "the remote kept moving; gave up after %u attempts",
					 st.attempts);
			break;
		}
		/* someone pushed first: back off a little, then merge their work */
		struct timespec ts = { 0, (long)(rand() % 200 + 50) * 1000000L };
		nanosleep(&ts, NULL);
	}
	free(fingerprint);
	if (r == 0 && fetched_in_side)
		auto_maintenance(repo);
	if (stats)
		*stats = st;
	return r;
}

/* --- printing ------------------------------------------------------------- */

/* "bn-a1b2" for a bead, "config" or "<dir>/<name>" for other refs. */
static const char *short_name(const char *refname)
{
	const gt_entity_type *type = gt_entity_type_for_ref(refname);
	if (type)
		return refname + strlen(type->ref_prefix);
	if (!strncmp(refname, GT_REF_ROOT, strlen(GT_REF_ROOT)))
		return refname + strlen(GT_REF_ROOT);
	return refname;
}

void gt_sync_print_event(gt_merge_event ev, const char *refname, const char *detail,
			 void *printer)
{
	static const char *const names[] = { "new", "updated", "merged", "renamed", "followed" };
	gt_sync_printer *p = printer;
	if (ev == GT_MERGE_RENAMED)
		printf("renamed %s -> %s (another bead had the same id)\n",
		       short_name(refname), short_name(detail));
	else if (p && p->verbose && ev == GT_MERGE_FOLLOWED)
		printf("%-8s %s (now refers to %s)\n", names[ev], short_name(refname), detail);
	else if (p && p->verbose)
		printf("%-8s %s\n", names[ev], short_name(refname));
}

void gt_sync_print_progress(size_t done, size_t total, void *printer)
{
	gt_sync_printer *p = printer;
	struct timespec now;
	if (!p || !p->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	/* at most ten updates a second, and always the last */
	if (done != total && ms - p->last_ms < 100)
		return;
	p->last_ms = ms;
	fprintf(stderr, "\rmerging: %zu/%zu refs", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

void gt_sync_print_summary(const char *what, const gt_merge_stats *s)
{
	if (!s->new_refs && !s->updated && !s->merged && !s->renamed) {
		printf("%s: up to date\n", what);
		return;
	}
	printf("%s: %zu new, %zu updated, %zu merged, %zu renamed\n", what,
	       s->new_refs, s->updated, s->merged, s->renamed);
}
