#include "notes.h"
#include "actor.h"
#include "bead.h"
#include "convoy.h"
#include "hook.h"
#include "error.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"
#include "txn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *gt_notes_line(const gt_note_attr *attr)
{
	cJSON *o = cJSON_CreateObject();
	char *text;
	cJSON_AddStringToObject(o, "bead", attr->bead);
	cJSON_AddStringToObject(o, "actor", attr->actor);
	cJSON_AddItemToObject(o, "session", attr->session ? cJSON_CreateString(attr->session)
							  : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "convoy", attr->convoy ? cJSON_CreateString(attr->convoy)
							: cJSON_CreateNull());
	text = gt_json_print(o);
	cJSON_Delete(o);
	return text;
}

int gt_notes_resolve_commit(git_oid *out, gt_repo *repo, const char *rev)
{
	git_object *obj = NULL;
	int r = git_revparse_single(&obj, gt_repo_git(repo), rev);
	if (r < 0) {
		git_error_clear();
		return gt_error_set(GT_ENOTFOUND, "no such commit: %s", rev);
	}
	git_object *peeled = NULL;
	r = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (r < 0) {
		git_error_clear();
		return gt_error_set(GT_ENOTFOUND, "%s is not a commit", rev);
	}
	git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	return 0;
}

/* The note of commit in the notes commit at tip (NULL tip: none). */
static int read_at(char **out, gt_repo *repo, const git_oid *tip, const git_oid *commit)
{
	git_commit *notes = NULL;
	git_note *note = NULL;
	int r;

	*out = NULL;
	if (!tip)
		return 0;
	if ((r = git_commit_lookup(&notes, gt_repo_git(repo), tip)) < 0)
		return gt_error_git(r, "cannot read %s", GT_NOTES_REF);
	r = git_note_commit_read(&note, gt_repo_git(repo), notes, commit);
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		r = 0;
	} else if (r < 0) {
		r = gt_error_git(r, "cannot read the note of a commit in %s", GT_NOTES_REF);
	} else {
		*out = gt_xstrdup(git_note_message(note));
	}
	git_note_free(note);
	git_commit_free(notes);
	return r;
}

int gt_notes_read(char **out, gt_repo *repo, const git_oid *commit)
{
	git_oid tip;
	int r = gt_refs_read(&tip, gt_repo_git(repo), GT_NOTES_REF);
	if (r == GT_ENOTFOUND) {
		gt_error_clear();
		*out = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	return read_at(out, repo, &tip, commit);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The note text with line added: every non-empty line, sorted, unique
 * (cat_sort_uniq). *had is 1 when line was there already.
 */
static char *merged_text(const char *old, const char *line, int *had)
{
	gt_strlist lines = GT_STRLIST_INIT;
	gt_strbuf out = GT_STRBUF_INIT;
	const char *p = old ? old : "";

	*had = 0;
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (n) {
			char *l = gt_xstrndup(p, n);
			*had |= !strcmp(l, line);
			gt_strlist_push(&lines, l);
			free(l);
		}
		p += n + (p[n] == '\n');
	}
	if (!*had)
		gt_strlist_push(&lines, line);
	if (lines.nr)
		qsort(lines.items, lines.nr, sizeof(*lines.items), cmp_str);
	for (size_t i = 0; i < lines.nr; i++)
		if (!i || strcmp(lines.items[i], lines.items[i - 1]))
			gt_strbuf_addf(&out, "%s\n", lines.items[i]);
	gt_strlist_clear(&lines);
	return gt_strbuf_detach(&out);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* by the clock: each attempt itself waits up to a second for the lock */
#define NOTES_LOCK_WAIT_S 2.0

int gt_notes_add(int *added, gt_repo *repo, const git_oid *commit,
		 const gt_note_attr *attr)
{
	git_repository *git = gt_repo_git(repo);
	git_signature *sig = NULL;
	git_commit *target = NULL;
	char *line = gt_notes_line(attr);
	struct timespec start;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (added)
		*added = 0;
	if ((r = git_commit_lookup(&target, git, commit)) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_error_clear();
		r = gt_error_set(GT_ENOTFOUND, "no such commit: %s",
				 git_oid_tostr(hex, sizeof(hex), commit));
		goto out;
	}
	if ((r = gt_odb_prepare_writes(git)) < 0)
		goto out;
	if ((r = git_signature_new(&sig, attr->actor, attr->actor, gt_now_ms() / 1000, 0)) < 0) {
		r = gt_error_git(r, "cannot make a signature for %s", attr->actor);
		goto out;
	}
	for (;;) {
		git_oid tip, new_tip, blob;
		git_commit *parent = NULL;
		char *old = NULL, *text;
		int have_tip, had;

		r = gt_refs_read(&tip, git, GT_NOTES_REF);
		if (r < 0 && r != GT_ENOTFOUND)
			goto out;
		have_tip = r == 0;
		gt_error_clear();
		if ((r = read_at(&old, repo, have_tip ? &tip : NULL, commit)) < 0)
			goto out;
		text = merged_text(old, line, &had);
		free(old);
		if (had) {
			free(text);
			r = 0;
			goto out;
		}
		if (have_tip && (r = git_commit_lookup(&parent, git, &tip)) < 0) {
			free(text);
			r = gt_error_git(r, "cannot read %s", GT_NOTES_REF);
			goto out;
		}
		r = git_note_commit_create(&new_tip, &blob, git, parent, sig, sig, commit, text, 1);
		git_commit_free(parent);
		free(text);
		if (r < 0) {
			r = gt_error_git(r, "cannot write a note in %s", GT_NOTES_REF);
			goto out;
		}
		gt_ref_update u = { GT_NOTES_REF, { { 0 } }, new_tip };
		if (have_tip)
			git_oid_cpy(&u.old, &tip);
		r = gt_refs_update(repo, &u, 1);
		if (r == 0) {
			if (added)
				*added = 1;
			goto out;
		}
		if (r == GT_ELOCKED) {
			/* a crashed writer's lock goes; a live one is waited for, briefly */
			if (gt_txn_break_stale_lock(repo, GT_NOTES_REF) != 1) {
				if (gt_refs_elapsed_s(&start) >= NOTES_LOCK_WAIT_S)
					goto out;
				pause_ms(10);
			}
		} else if (r != GT_ECONFLICT) {
			goto out;
		}
		gt_error_clear();
	}
out:
	git_commit_free(target);
	git_signature_free(sig);
	free(line);
	return r;
}

int gt_notes_trailer_beads(gt_strlist *out, const char *message)
{
	git_message_trailer_array arr = { 0 };
	int r = git_message_trailers(&arr, message);
	if (r < 0) {
		git_error_clear();
		return 0; /* a message without trailers */
	}
	for (size_t i = 0; i < arr.count; i++) {
		const char *v = arr.trailers[i].value;
		if (strcasecmp(arr.trailers[i].key, GT_NOTES_TRAILER))
			continue;
		while (*v) {
			size_t skip = strspn(v, ", \t"), n;
			v += skip;
			n = strcspn(v, ", \t");
			if (n) {
				char *id = gt_xstrndup(v, n);
				gt_strlist_push(out, id);
				free(id);
			}
			v += n;
		}
	}
	git_message_trailer_array_free(&arr);
	return 0;
}

/* --- the trail of a bead ------------------------------------------------- */

struct found {
	git_oid commit;
	cJSON *attr;     /* the first note line for the bead, or NULL */
	int note, trailer;
	int reached;     /* a ref reaches it */
	int64_t time;
};

struct trail {
	gt_repo *repo;
	const char *bead;
	struct found *v;
	size_t n, alloc;
	size_t nsorted;  /* v[0..nsorted) is sorted by commit id */
	int error;
};

static int cmp_commit(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct found *)a)->commit, &((const struct found *)b)->commit);
}

/* The entry of commit, or NULL: binary search in the sorted part, then the rest. */
static struct found *found_find(struct trail *t, const git_oid *commit)
{
	struct found key;
	struct found *f;
	git_oid_cpy(&key.commit, commit);
	if (t->nsorted &&
	    (f = bsearch(&key, t->v, t->nsorted, sizeof(*t->v), cmp_commit)))
		return f;
	for (size_t i = t->nsorted; i < t->n; i++)
		if (git_oid_equal(&t->v[i].commit, commit))
			return &t->v[i];
	return NULL;
}

static struct found *found_for(struct trail *t, const git_oid *commit)
{
	struct found *f = found_find(t, commit);
	if (f)
		return f;
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 16;
		t->v = gt_xrealloc(t->v, t->alloc * sizeof(*t->v));
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	git_oid_cpy(&t->v[t->n].commit, commit);
	return &t->v[t->n++];
}

static int note_cb(const git_oid *blob_id, const git_oid *annotated, void *payload)
{
	struct trail *t = payload;
	git_blob *blob = NULL;
	const char *p;
	size_t len, off = 0;
	cJSON *first = NULL;

	if (git_blob_lookup(&blob, gt_repo_git(t->repo), blob_id) < 0) {
		t->error = gt_error_git(-1, "cannot read a note in %s", GT_NOTES_REF);
		return 1;
	}
	p = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	while (off < len) {
		const char *nl = memchr(p + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - p - off) : len - off;
		cJSON *o = n ? cJSON_ParseWithLength(p + off, n) : NULL;
		const char *bead = gt_json_str(o, "bead");
		if (bead && !strcmp(bead, t->bead) && !first)
			first = o;
		else
			cJSON_Delete(o);
		off += n + 1;
	}
	git_blob_free(blob);
	if (first) {
		struct found *f = found_for(t, annotated);
		f->note = 1;
		f->attr = first;
	}
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return git_oid_cmp(&x->commit, &y->commit);
}

static cJSON *attr_member(const cJSON *attr, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(attr, key);
	return cJSON_IsString(v) ? cJSON_CreateString(v->valuestring) : cJSON_CreateNull();
}

int gt_notes_trail(cJSON **out, gt_repo *repo, const char *bead, int unreachable)
{
	git_repository *git = gt_repo_git(repo);
	struct trail t = { repo, bead, NULL, 0, 0, 0, 0 };
	git_revwalk *walk = NULL;
	git_oid id;
	cJSON *list = NULL;
	int r;

	*out = NULL;
	if (gt_refs_read(&id, git, GT_NOTES_REF) == 0) {
		r = git_note_foreach(git, GT_NOTES_REF, note_cb, &t);
		if (t.error) {
			r = t.error;
			goto out;
		}
		if (r < 0) {
			r = gt_error_git(r, "cannot read %s", GT_NOTES_REF);
			goto out;
		}
	}
	gt_error_clear();
	if (t.n)
		qsort(t.v, t.n, sizeof(*t.v), cmp_commit);
	t.nsorted = t.n;
	if ((r = git_revwalk_new(&walk, git)) < 0) {
		r = gt_error_git(r, "cannot walk the history");
		goto out;
	}
	/* an unborn HEAD or a missing namespace is no error */
	git_revwalk_push_head(walk);
	git_revwalk_push_glob(walk, "refs/heads");
	git_revwalk_push_glob(walk, "refs/remotes");
	git_revwalk_push_glob(walk, "refs/tags");
	git_error_clear();
	while ((r = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		gt_strlist beads = GT_STRLIST_INIT;
		struct found *noted = found_find(&t, &id);
		if (noted)
			noted->reached = 1;
		if (git_commit_lookup(&c, git, &id) < 0)
			continue;
		gt_notes_trailer_beads(&beads, git_commit_message(c));
		for (size_t i = 0; i < beads.nr; i++)
			if (!strcmp(beads.items[i], bead)) {
				struct found *f = found_for(&t, &id);
				f->trailer = f->reached = 1;
				break;
			}
		gt_strlist_clear(&beads);
		git_commit_free(c);
	}
	if (r != GIT_ITEROVER) {
		r = gt_error_git(r, "cannot walk the history");
		goto out;
	}
	git_error_clear();

	list = cJSON_CreateArray();
	for (size_t i = 0; i < t.n; i++) {
		git_commit *c = NULL;
		t.v[i].time = git_commit_lookup(&c, git, &t.v[i].commit) < 0 ? INT64_MIN
			    : (int64_t)git_commit_time(c);
		git_commit_free(c);
	}
	git_error_clear();
	if (t.n)
		qsort(t.v, t.n, sizeof(*t.v), cmp_found);
	for (size_t i = 0; i < t.n; i++) {
		struct found *f = &t.v[i];
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1], when[32];
		cJSON *o;
		if (!f->reached && !unreachable)
			continue; /* amended, rebased, or its branch deleted */
		if (f->time == INT64_MIN || git_commit_lookup(&c, git, &f->commit) < 0)
			continue; /* a note on a commit we do not have */
		gt_format_time(when, sizeof(when), f->time * 1000);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "commit", git_oid_tostr(hex, sizeof(hex), &f->commit));
		cJSON_AddStringToObject(o, "time", when);
		cJSON_AddStringToObject(o, "author", git_commit_author(c)->name);
		cJSON_AddStringToObject(o, "subject", git_commit_summary(c) ? git_commit_summary(c) : "");
		cJSON_AddStringToObject(o, "bead", bead);
		cJSON_AddItemToObject(o, "actor", attr_member(f->attr, "actor"));
		cJSON_AddItemToObject(o, "session", attr_member(f->attr, "session"));
		cJSON_AddItemToObject(o, "convoy", attr_member(f->attr, "convoy"));
		cJSON_AddStringToObject(o, "source", f->note && f->trailer ? "note+trailer"
						     : f->note ? "note" : "trailer");
		cJSON_AddItemToArray(list, o);
		git_commit_free(c);
	}
	git_error_clear();
	*out = list;
	list = NULL;
	r = 0;
out:
	for (size_t i = 0; i < t.n; i++)
		cJSON_Delete(t.v[i].attr);
	free(t.v);
	cJSON_Delete(list);
	git_revwalk_free(walk);
	return r;
}

/* --- attributing a commit ------------------------------------------------ */

static int one_line(const char *s, const char *what)
{
	if (!*s || strlen(s) > 200 || strchr(s, '\n') || strchr(s, '\r') ||
	    !gt_utf8_valid(s, strlen(s)))
		return gt_error_set(GT_EINVALID, "%s must be one line of 1 to 200 bytes of UTF-8",
				    what);
	return 0;
}

int gt_notes_attribute(int *added, char **line_out, gt_repo *repo, const char *rev,
		       const gt_note_attr *given, int automatic)
{
	gt_note_attr a = { NULL, NULL, NULL, NULL };
	gt_strlist trailers = GT_STRLIST_INIT, convoys = GT_STRLIST_INIT;
	cJSON *hook = NULL, *check = NULL;
	git_commit *c = NULL;
	git_oid commit;
	const char *hooked = NULL;
	int r;

	if (added)
		*added = 0;
	if (line_out)
		*line_out = NULL;
	if (given)
		a = *given;
	if (!rev)
		rev = "HEAD";
	if ((r = gt_notes_resolve_commit(&commit, repo, rev)) < 0)
		return r;
	if (!a.actor)
		a.actor = gt_repo_actor(repo);
	if (!gt_actor_valid(a.actor)) {
		if (automatic)
			return 0;
		return gt_error_set(GT_EINVALID, "invalid actor '%s'", a.actor);
	}
	if (!a.session && getenv("GT_SESSION") && *getenv("GT_SESSION"))
		a.session = getenv("GT_SESSION");
	if (a.session && (r = one_line(a.session, "the session")) < 0)
		return r;

	/* the hook: the bead on it, and its convoy */
	r = gt_hook_read(&hook, repo, a.actor);
	if (r == GT_ENOTFOUND)
		gt_error_clear();
	else if (r < 0)
		goto out;
	hooked = gt_json_str(hook, "bead");
	if (automatic) {
		if (!hooked) {
			r = 0;
			goto out;
		}
		a.bead = hooked;
	}
	if (!a.bead) {
		if ((r = git_commit_lookup(&c, gt_repo_git(repo), &commit)) < 0) {
			r = gt_error_git(r, "cannot read %s", rev);
			goto out;
		}
		gt_notes_trailer_beads(&trailers, git_commit_message(c));
		a.bead = trailers.nr ? trailers.items[0] : hooked;
	} else if (!automatic) {
		if ((r = gt_bead_read(&check, repo, a.bead)) < 0)
			goto out;
	}
	if (!a.bead) {
		r = gt_error_set(GT_ENOTFOUND, "no bead to attribute %s to: give --bead <id> "
				 "(it has no Bead: trailer and nothing is on %s's hook)", rev, a.actor);
		goto out;
	}
	if (!gt_bead_id_valid(a.bead)) {
		r = gt_error_set(GT_EINVALID, "invalid bead id '%s'", a.bead);
		goto out;
	}
	if (a.convoy) {
		cJSON_Delete(check);
		check = NULL;
		if ((r = gt_convoy_read(&check, repo, a.convoy)) < 0)
			goto out;
	} else if (hooked && !strcmp(hooked, a.bead) && gt_json_str(hook, "convoy")) {
		a.convoy = gt_json_str(hook, "convoy");
	} else {
		if ((r = gt_convoy_of_bead(&convoys, repo, a.bead)) < 0)
			goto out;
		a.convoy = convoys.nr ? convoys.items[0] : NULL;
	}
	if ((r = gt_notes_add(added, repo, &commit, &a)) < 0)
		goto out;
	if (line_out)
		*line_out = gt_notes_line(&a);
out:
	cJSON_Delete(hook);
	cJSON_Delete(check);
	git_commit_free(c);
	gt_strlist_clear(&trailers);
	gt_strlist_clear(&convoys);
	return r;
}
