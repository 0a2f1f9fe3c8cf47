#ifndef GT_NOTES_H
#define GT_NOTES_H

#include <cJSON.h>
#include <git2.h>
#include "parse-options.h"
#include "repo.h"

/*
 * Attribution of code commits: which bead a commit was made for, by
 * which actor, in which session, for which convoy.
 *
 * Notes: refs/notes/gastown holds, for each attributed commit, a git note
 * of one JSON line per attribution,
 *
 *   {"bead":"<id>","actor":"<address>","session":"<id>"|null,"convoy":"<id>"|null}
 *
 * with every key present, in that order. The lines of a note are kept
 * sorted and unique: what git's cat_sort_uniq notes merge (gt sync) makes
 * of them, so that one attribution written on two clones stays one line.
 *
 * Trailers: a commit message trailer "Bead: <id>" (several ids may be
 * given, separated by commas or spaces; several trailers too) attributes
 * the commit to those beads as well, with no actor or session.
 */

#define GT_NOTES_REF "refs/notes/gastown"
#define GT_NOTES_TRAILER "Bead"

typedef struct gt_note_attr {
	const char *bead;     /* required */
	const char *actor;    /* required */
	const char *session;  /* may be NULL */
	const char *convoy;   /* may be NULL */
} gt_note_attr;

/* The note line of attr (no newline), malloc()ed. */
char *gt_notes_line(const gt_note_attr *attr);

/*
 * Add attr's line to the note of commit, by compare-and-swap on
 * refs/notes/gastown (re-read and retried on a lost race; a lock held by
 * another process is waited for at most about two seconds, then
 * GT_ELOCKED). *added (may be NULL) is 0 when the line was already there
 * (nothing is written). GT_ENOTFOUND when commit is not a commit.
 */
int gt_notes_add(int *added, gt_repo *repo, const git_oid *commit,
		 const gt_note_attr *attr);

/*
 * The note of commit on refs/notes/gastown: *out (caller frees) is its
 * text, NULL when it has none.
 */
int gt_notes_read(char **out, gt_repo *repo, const git_oid *commit);

/*
 * Append to out the bead ids that Bead: trailers of message name (libgit2
 * parses them: it must be initialised, as gt_repo_open does).
 */
int gt_notes_trailer_beads(gt_strlist *out, const char *message);

/* Resolve a revision ("HEAD", a hex id, a branch) to a commit id. */
int gt_notes_resolve_commit(git_oid *out, gt_repo *repo, const char *rev);

/*
 * Attribute the commit rev names (NULL: HEAD) and write the note line.
 * What given (may be NULL) leaves unset is filled in:
 *
 *   bead     the commit's first Bead: trailer, else the bead on the
 *            actor's hook; given, it must be a bead of this ledger
 *   actor    the acting actor (gt_repo_actor: GT_ACTOR, user.actor, ...)
 *   session  GT_SESSION from the environment, else none
 *   convoy   the hook's convoy when the bead is the hooked one, else the
 *            first open convoy (by id) that tracks the bead, else none;
 *            given, it must exist
 *
 * automatic (gt note --auto): given must be NULL; the bead is the one on
 * the actor's hook only, and when nothing is hooked (no hook, an empty
 * one, an actor that is no valid address) nothing is written and 0 is
 * returned. Otherwise GT_ENOTFOUND when no bead can be found.
 * *added (may be NULL) is 1 when a line was written, 0 when nothing was
 * or it was there already; *line_out (may be NULL; caller frees) gets the
 * line, NULL when there is none.
 */
int gt_notes_attribute(int *added, char **line_out, gt_repo *repo, const char *rev,
		       const gt_note_attr *given, int automatic);

/*
 * The code commits of bead: those whose note has a line for it, and
 * those whose message has a Bead: trailer naming it, among the commits
 * reachable from HEAD, refs/heads/, refs/remotes/ and refs/tags/; with
 * unreachable, also the noted commits that no ref reaches any more
 * (amended, rebased, their branch deleted) while the repository still
 * has them. *out (a cJSON array, the caller's) holds one object per
 * commit, newest first (commit time, then id):
 *
 *   {"commit","time","author","subject","bead","actor","session","convoy","source"}
 *
 * actor, session and convoy come from the first of its note lines for
 * the bead (null when it has none); source is "note", "trailer" or
 * "note+trailer". A note on a commit that is not in the repository is
 * skipped.
 */
int gt_notes_trail(cJSON **out, gt_repo *repo, const char *bead, int unreachable);

#endif
