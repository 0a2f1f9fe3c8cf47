/*
 * The server's check of a push: see receive.h and
 * Documentation/gt-receive-check.txt.
 */
#include "receive.h"
#include "bead.h"
#include "config.h"
#include "entity.h"
#include "error.h"
#include "fsck.h"
#include "json.h"
#include "ledger.h"
#include "merge.h"
#include "registry.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
	gt_repo *repo;
	git_repository *git;
	int64_t horizon_ms;  /* the latest operation time accepted */
	const char *pushed;  /* the ref being pushed */
	size_t problems;     /* found for that ref */
	int stopped;         /* too many: the rest of that ref is not checked */
	gt_receive_problem_cb cb;
	void *payload;
	git_tree *after;      /* the new ledger's tree, while checking one */
	git_odb *quarantine;  /* the push's own objects (GIT_QUARANTINE_PATH), or NULL */
};

/*
 * Report one problem of the pushed ref (where is the ledger entry
 * concerned; NULL or the pushed ref itself for none). Past
 * GT_RECEIVE_MAX_PROBLEMS, says so once and returns 1: the check of the
 * ref stops.
 */
static int problem(struct check *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int problem(struct check *c, const char *where, const char *fmt, ...)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	va_list ap;

	if (c->stopped)
		return 1;
	if (c->problems == GT_RECEIVE_MAX_PROBLEMS) {
		c->cb(c->pushed, NULL, "too many problems; the check stopped here", c->payload);
		c->stopped = 1;
		return 1;
	}
	va_start(ap, fmt);
	gt_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->cb(c->pushed, where && strcmp(where, c->pushed) ? where : NULL, sb.buf, c->payload);
	gt_strbuf_release(&sb);
	c->problems++;
	return 0;
}

static int on_fsck(gt_fsck_severity severity, const char *where, const char *message,
		   void *payload)
{
	struct check *c = payload;
	if (severity != GT_FSCK_PROBLEM)
		return 0;
	return problem(c, where, "%s", message);
}

static char *hex(char buf[GIT_OID_HEXSZ + 1], const git_oid *id)
{
	return git_oid_tostr(buf, GIT_OID_HEXSZ + 1, id);
}

/* 1 when id names a commit; otherwise reports "points to ..." and returns 0. */
static int is_commit(struct check *c, const char *where, const git_oid *id)
{
	git_object *obj = NULL;
	char h[GIT_OID_HEXSZ + 1];
	int ok = 0;

	if (git_object_lookup(&obj, c->git, id, GIT_OBJECT_ANY) < 0)
		problem(c, where, "points to missing object %s", hex(h, id));
	else if (git_object_type(obj) != GIT_OBJECT_COMMIT)
		problem(c, where, "points to a %s, not a commit",
			git_object_type2string(git_object_type(obj)));
	else
		ok = 1;
	git_object_free(obj);
	return ok;
}

/* 1 when id names a commit that is present; nothing reported. */
static int is_commit_quiet(struct check *c, const git_oid *id)
{
	git_odb *odb = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	size_t len;
	int ok = git_repository_odb(&odb, c->git) == 0 &&
		 git_odb_read_header(&len, &type, odb, id) == 0 && type == GIT_OBJECT_COMMIT;
	git_error_clear();
	git_odb_free(odb);
	return ok;
}

/* 1 when new equals old or descends from it. */
static int fast_forward(struct check *c, const git_oid *old, const git_oid *new)
{
	return git_oid_equal(old, new) || git_graph_descendant_of(c->git, new, old) == 1;
}

/* --- a set of object ids ----------------------------------------------------- */

struct oidset {
	git_oid *slots;
	size_t cap, nr;
};

/* Add id; 1 when it was new, 0 when already there. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	size_t i, h;

	if (2 * (s->nr + 1) > s->cap) {
		struct oidset grown = { NULL, s->cap ? 2 * s->cap : 256, 0 };
		grown.slots = gt_xcalloc(grown.cap, sizeof(*grown.slots));
		for (i = 0; i < s->cap; i++)
			if (!git_oid_is_zero(&s->slots[i]))
				oidset_add(&grown, &s->slots[i]);
		free(s->slots);
		*s = grown;
	}
	memcpy(&h, id->id, sizeof(h));
	for (i = h & (s->cap - 1); !git_oid_is_zero(&s->slots[i]); i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 0;
	s->slots[i] = *id;
	s->nr++;
	return 1;
}

/* A ledger or carrier commit: its message starts with "ledger: ". */
static int is_ledger_commit(const git_commit *commit)
{
	const char *msg = git_commit_message(commit);
	return msg && !strncmp(msg, "ledger: ", 8);
}

/*
 * Whether id is an object the push brought: in git's quarantine
 * directory. With none (a check run by hand) every object counts as
 * brought by the push.
 */
static int pushed_object(struct check *c, const git_oid *id)
{
	return !c->quarantine || git_odb_exists(c->quarantine, id);
}

/*
 * Walk the ledger and carrier commits from new, breadth first, never
 * into old. With tips NULL: stop at old, and return 1 when it was met.
 * Otherwise: go only into ledger commits the push brought, collect into
 * tips every parent that is not a ledger commit (the tips those commits
 * carry, the way gt_ledger_write makes entity histories reachable), and
 * return 0. Either way the walk costs about what the push adds.
 */
static int walk_ledger(struct check *c, const git_oid *old, const git_oid *new,
		       struct oidset *tips)
{
	struct oidset seen = { NULL, 0, 0 };
	git_oid *queue = NULL;
	size_t head = 0, tail = 0, alloc = 0;
	int found = !tips && old && git_oid_equal(old, new);

	oidset_add(&seen, new);
	queue = gt_xmalloc((alloc = 64) * sizeof(*queue));
	queue[tail++] = *new;
	while (!found && head < tail) {
		git_commit *commit = NULL;
		git_oid id = queue[head++];
		if (git_commit_lookup(&commit, c->git, &id) < 0) {
			git_error_clear();
			continue;
		}
		for (unsigned i = 0; i < git_commit_parentcount(commit) && !found; i++) {
			const git_oid *pid = git_commit_parent_id(commit, i);
			git_commit *parent = NULL;
			if (old && git_oid_equal(pid, old)) {
				found = !tips;
				continue;
			}
			if (!oidset_add(&seen, pid))
				continue;
			if (git_commit_lookup(&parent, c->git, pid) < 0) {
				git_error_clear();
				continue;
			}
			if (!is_ledger_commit(parent)) {
				if (tips)
					oidset_add(tips, pid);
			} else if (!tips || pushed_object(c, pid)) {
				if (tail == alloc)
					queue = gt_xrealloc(queue, (alloc *= 2) * sizeof(*queue));
				queue[tail++] = *pid;
			}
			git_commit_free(parent);
		}
		git_commit_free(commit);
	}
	free(queue);
	free(seen.slots);
	return found;
}

/*
 * Does the ledger commit new descend from old? git_graph_descendant_of
 * would answer, but its walk may go down the entity histories reachable
 * from both sides, whose cost follows the size of the ledger. Walk the
 * ledger and carrier commits alone: a push that moves the ledger forward
 * meets old after about as many commits as it adds. Only when that walk
 * does not meet old (a rewritten history, or an old value that is not a
 * ledger commit) does git_graph_descendant_of decide.
 */
static int ledger_forward(struct check *c, const git_oid *old, const git_oid *new)
{
	return walk_ledger(c, old, new, NULL) || fast_forward(c, old, new);
}

static int oidset_has(const struct oidset *s, const git_oid *id)
{
	size_t i, h;
	if (!s->cap)
		return 0;
	memcpy(&h, id->id, sizeof(h));
	for (i = h & (s->cap - 1); !git_oid_is_zero(&s->slots[i]); i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 1;
	return 0;
}

/*
 * Which of the commits tips[0..n) the ledger commit new does not reach
 * (unreached[i] set to 1): those its ledger commits carry are reached at
 * once; for any other (none, for what gt sync writes), one walk of the
 * whole history from new decides, ending as soon as all are found.
 */
static void unreached_tips(struct check *c, char *unreached, const git_oid *const *tips,
			   size_t n, const git_oid *old, const git_oid *new)
{
	struct oidset carried = { NULL, 0, 0 }, wanted = { NULL, 0, 0 };
	git_revwalk *walk = NULL;
	git_oid id;
	size_t left = 0;

	if (!n)
		return;
	walk_ledger(c, old, new, &carried);
	for (size_t i = 0; i < n; i++)
		if (!oidset_has(&carried, tips[i]) && oidset_add(&wanted, tips[i]))
			left++;
	if (left && git_revwalk_new(&walk, c->git) == 0 && git_revwalk_push(walk, new) == 0)
		while (left && git_revwalk_next(&id, walk) == 0)
			if (oidset_has(&wanted, &id) && oidset_add(&carried, &id))
				left--;
	git_error_clear();
	git_revwalk_free(walk);
	for (size_t i = 0; i < n; i++)
		unreached[i] = !oidset_has(&carried, tips[i]);
	free(carried.slots);
	free(wanted.slots);
}

static void rewritten(struct check *c, const char *where, const git_oid *old,
		      const git_oid *new, const char *hint)
{
	char o[GIT_OID_HEXSZ + 1], n[GIT_OID_HEXSZ + 1];
	problem(c, where, "history rewritten: %s does not descend from %s%s",
		hex(n, new), hex(o, old), hint);
}

/* --- entities -------------------------------------------------------------- */


/* The tip of refname in the ledger being checked, else the server's ref; 0 or -1. */
static int entry_tip(struct check *c, const char *refname, git_oid *out)
{
	if (c->after) {
		int r = gt_ledger_lookup(out, c->after, refname);
		gt_error_clear();
		return r == 1 ? 0 : -1;
	}
	if (git_reference_name_to_id(out, c->git, refname) < 0) {
		git_error_clear();
		return -1;
	}
	return 0;
}

/* Negative when a is older than b: commit time, then object id (as sync decides). */
/*
 * The rename commit sync makes of the history at tip when it moves it
 * from old_id to new_id (the ids without the ref prefix).
 */
static int rename_commit(struct check *c, git_oid *out, const gt_entity_type *type,
			 const git_oid *tip, const char *old_id, const char *new_id)
{
	gt_entity *e = NULL;
	int r;
	if ((r = gt_entity_read_commit(&e, c->repo, type, tip)) < 0)
		return r;
	r = gt_entity_hash_op_on(out, c->repo, type, new_id,  tip,
				 gt_entity_rename_op(type, e->snapshot, old_id, new_id));
	gt_entity_free(e);
	return r;
}

/* The id a commit message names: "<type>: <id>[ <title>]". Caller frees. */
static char *message_id(const git_commit *commit)
{
	const char *msg = git_commit_message(commit), *p = msg ? strstr(msg, ": ") : NULL;
	if (!p)
		return NULL;
	p += 2;
	size_t n = strcspn(p, " \n");
	char *id = gt_xmalloc(n + 1);
	memcpy(id, p, n);
	id[n] = '\0';
	return id;
}

/*
 * A rename by gastown, as lib/merge.c makes it: one parent (the history
 * renamed), the new id "<old>-<suffix>" with the suffix the first
 * base36 digits of that history's first commit, the very commit that
 * gt_entity_rename_op and gt_entity_hash_op_on give, and an old id whose
 * entity (in the ledger) is another history: a rename parts two entities
 * given one id; it never copies or moves the one that holds the id.
 */
static void check_rename(struct check *c, const gt_entity_type *type, const char *refname,
			 const git_commit *commit, const char *cid, const cJSON *op)
{
	char *new_id = message_id(commit), *old_ref = NULL;
	const char *old_id = NULL;
	const cJSON *ch;
	git_oid root, derived, held, held_root;
	size_t olen, slen;
	char suffix[GT_MERGE_SUFFIX_MAX + 1], p[GIT_OID_HEXSZ + 1];

	if (git_commit_parentcount(commit) != 1) {
		problem(c, refname, "commit %s: a rename by gastown has one parent, not %u "
			"(sync makes it on the history it renames)", cid,
			git_commit_parentcount(commit));
		goto out;
	}
	hex(p, git_commit_parent_id(commit, 0));
	cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(op, "changes"))
		if (!old_id && gt_json_str(ch, "add") && !strcmp(gt_json_str(ch, "add"), "aliases") &&
		    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ch, "value")))
			old_id = cJSON_GetObjectItemCaseSensitive(ch, "value")->valuestring;
	if (gt_merge_root(&root, c->repo, git_commit_parent_id(commit, 0)) < 0 || !new_id ||
	    !old_id) {
		problem(c, refname, "commit %s: a rename by gastown that names no old id and new id "
			"(sync writes them in its aliases and its message)", cid);
		goto out;
	}
	olen = strlen(old_id);
	slen = strlen(new_id) > olen + 1 ? strlen(new_id) - olen - 1 : 0;
	if (!gt_merge_is_rename(new_id, old_id, &root)) {
		/* name the suffix sync would give at this length, or the shortest */
		int usable = slen >= GT_MERGE_SUFFIX_MIN && slen <= GT_MERGE_SUFFIX_MAX && !(slen % 2);
		gt_merge_rename_suffix(suffix, usable ? slen : GT_MERGE_SUFFIX_MIN, &root);
		problem(c, refname, "commit %s: renames '%s' to '%s', not to the name sync "
			"derives from the first commit of the history it renames ('%s-%s')",
			cid, old_id, new_id, old_id, suffix);
		goto out;
	}
	if (rename_commit(c, &derived, type, git_commit_parent_id(commit, 0), old_id, new_id) < 0 ||
	    !git_oid_equal(&derived, git_commit_id(commit))) {
		problem(c, refname, "commit %s: not the rename of %s that sync makes (a rename "
			"by gastown derives from the history it renames alone)", cid, p);
		goto out;
	}
	old_ref = gt_entity_refname(type, old_id);
	if (entry_tip(c, old_ref, &held) < 0) {
		problem(c, refname, "commit %s: renames '%s', which the ledger does not hold "
			"(the older entity keeps the id)", cid, old_id);
		goto out;
	}
	if (gt_merge_root(&held_root, c->repo, &held) < 0 || git_oid_equal(&held_root, &root))
		problem(c, refname, "commit %s: renames %s away from '%s', but that history is "
			"what '%s' holds (a rename only parts two entities given one id)",
			cid, p, old_id, old_id);
out:
	free(old_ref);
	free(new_id);
}

/*
 * A commit by gastown (GT_MERGE_ACTOR): made by sync, derived only from
 * its inputs, so the server makes it again and compares: a merge
 * (gt_entity_hash_merge of its parents), a rename (check_rename), a
 * bead following a renamed one (gt_bead_follow_op on its parent).
 */
static void check_by_gastown(struct check *c, const gt_entity_type *type,
			     const char *refname, const git_commit *commit, const cJSON *op)
{
	const char *kind = gt_json_str(op, "type");
	char cid[GIT_OID_HEXSZ + 1];
	char *id = message_id(commit);
	git_oid derived;
	unsigned np = git_commit_parentcount(commit);

	hex(cid, git_commit_id(commit));
	if (!kind)
		kind = "";
	if (!strcmp(kind, "merge")) {
		git_oid *parents = gt_xcalloc(np + 1, sizeof(*parents));
		for (unsigned i = 0; i < np; i++)
			parents[i] = *git_commit_parent_id(commit, i);
		if (np < 2 || !id ||
		    gt_entity_hash_merge(&derived, c->repo, type, id, parents, np) < 0 ||
		    !git_oid_equal(&derived, git_commit_id(commit)))
			problem(c, refname, "commit %s: not the merge of its parents that sync "
				"makes (a merge by gastown derives from its parents alone)", cid);
		free(parents);
	} else if (!strcmp(kind, "rename")) {
		check_rename(c, type, refname, commit, cid, op);
	} else if (!strcmp(kind, "bead.follow") && type == &gt_bead_type) {
		const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "changes"), 0);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(ch, "match");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(ch, "value");
		const char *old_id = NULL, *new_id = NULL;
		gt_entity *parent = NULL;
		int ok = 0;
		if (np == 1 && id &&
		    gt_entity_read_commit(&parent, c->repo, type, git_commit_parent_id(commit, 0)) == 0) {
			if (gt_json_str(ch, "remove")) {
				old_id = gt_json_str(m, "depends_on_id");
				v = cJSON_GetObjectItemCaseSensitive(
					cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "changes"), 1),
					"value");
				new_id = gt_json_str(v, "depends_on_id");
			} else if (gt_json_str(ch, "set") && !strcmp(gt_json_str(ch, "set"), "parent")) {
				old_id = gt_json_str(parent->snapshot, "parent");
				new_id = cJSON_IsString(v) ? v->valuestring : NULL;
			}
			ok = old_id && new_id && strlen(new_id) > strlen(old_id) + 1 &&
			     !strncmp(new_id, old_id, strlen(old_id)) && new_id[strlen(old_id)] == '-' &&
			     gt_entity_hash_op_on(&derived, c->repo, type, id,
						  git_commit_parent_id(commit, 0),
						  gt_bead_follow_op(parent->snapshot, old_id, new_id)) == 0 &&
			     git_oid_equal(&derived, git_commit_id(commit));
		}
		gt_entity_free(parent);
		if (!ok)
			problem(c, refname, "commit %s: not the change sync makes to follow a renamed "
				"bead (a bead.follow by gastown derives from its parent and the rename "
				"alone)", cid);
	} else {
		problem(c, refname, "commit %s: an operation '%s' by gastown, which makes only "
			"merges, renames and bead.follow (the actor is sync's own: use another)",
			cid, kind);
	}
	git_error_clear();
	free(id);
}

/*
 * The commits of the chain at new that old (NULL: none) does not have:
 * no operation more than a day ahead of the server's clock, and every
 * commit by gastown the one sync would make (check_by_gastown).
 */
static void check_new_commits(struct check *c, const gt_entity_type *type,
			      const char *refname, const git_oid *old, const git_oid *new)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int r;

	if ((r = git_revwalk_new(&walk, c->git)) < 0 ||
	    (r = git_revwalk_push(walk, new)) < 0 ||
	    (old && (r = git_revwalk_hide(walk, old)) < 0)) {
		gt_error_git(r, "cannot walk the history");
		problem(c, refname, "%s", gt_error_last());
		goto out;
	}
	while (!c->stopped && (r = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL;
		git_tree *tree = NULL;
		git_blob *blob = NULL;
		const git_tree_entry *te;
		cJSON *op = NULL;
		const cJSON *t;
		const char *actor;

		if (git_commit_lookup(&commit, c->git, &id) == 0 &&
		    git_commit_tree(&tree, commit) == 0 &&
		    (te = git_tree_entry_byname(tree, GT_OP_FILE)) &&
		    git_blob_lookup(&blob, c->git, git_tree_entry_id(te)) == 0 &&
		    (op = gt_json_parse(git_blob_rawcontent(blob),
					(size_t)git_blob_rawsize(blob), GT_OP_FILE))) {
			if (cJSON_IsNumber(t = cJSON_GetObjectItemCaseSensitive(op, "time")) &&
			    t->valuedouble > (double)c->horizon_ms) {
				char when[32], now[32], h[GIT_OID_HEXSZ + 1];
				gt_format_time(when, sizeof(when),
					       t->valuedouble < 9e15 ? (int64_t)t->valuedouble
								     : (int64_t)9e15);
				gt_format_time(now, sizeof(now),
					       c->horizon_ms - GT_RECEIVE_MAX_AHEAD_MS);
				problem(c, refname, "commit %s: operation time %s is more than a day "
					"ahead of the server's clock (%s)", hex(h, &id), when, now);
			}
			if ((actor = gt_json_str(op, "actor")) && !strcmp(actor, GT_MERGE_ACTOR))
				check_by_gastown(c, type, refname, commit, op);
		}
		cJSON_Delete(op);
		git_blob_free(blob);
		git_tree_free(tree);
		git_commit_free(commit);
	}
out:
	git_revwalk_free(walk);
}

/*
 * Two entities given one id on two machines: sync keeps the older at
 * the id and renames the younger, whose history goes on under a name
 * derived from it (gt-sync(1)). So refname may move from old to an
 * unrelated history new only when new's first commit is older than
 * old's, and the ledger holds old's history at "<id>-<suffix>" (the
 * suffix the first base36 digits of old's first commit), continued by
 * the very rename commit sync makes. Returns 1 when that is so; 0 after
 * reporting (or, when no such name holds old's history, to let the
 * caller report a plain rewrite).
 */
static int renamed_away(struct check *c, const gt_entity_type *type, const char *refname,
			const git_oid *old, const git_oid *new)
{
	const char *id = refname + strlen(type->ref_prefix);
	git_oid base, root_old, root_new;
	char n[GIT_OID_HEXSZ + 1], o[GIT_OID_HEXSZ + 1];
	int r, found = 0;

	if (!c->after)
		return 0; /* a ref pushed by itself: no rename without the ledger */
	r = git_merge_base(&base, c->git, old, new);
	git_error_clear();
	if (r != GIT_ENOTFOUND)
		return 0; /* related histories: a plain rewrite */
	if (gt_merge_root(&root_old, c->repo, old) < 0 || gt_merge_root(&root_new, c->repo, new) < 0) {
		git_error_clear();
		return 0;
	}
	for (size_t len = GT_MERGE_SUFFIX_MIN; len <= GT_MERGE_SUFFIX_MAX && !found; len += 2) {
		char suffix[GT_MERGE_SUFFIX_MAX + 1];
		gt_strbuf name = GT_STRBUF_INIT;
		git_oid tip, rename;
		gt_merge_rename_suffix(suffix, len, &root_old);
		gt_strbuf_addf(&name, "%s-%s", id, suffix);
		char *target = gt_entity_refname(type, name.buf);
		if (entry_tip(c, target, &tip) == 0 &&
		    rename_commit(c, &rename, type, old, id, name.buf) == 0 &&
		    (git_oid_equal(&tip, &rename) || git_graph_descendant_of(c->git, &tip, &rename) == 1))
			found = 1;
		git_error_clear();
		free(target);
		gt_strbuf_release(&name);
	}
	if (!found)
		return 0;
	if (gt_merge_cmp_age(c->repo, &root_new, &root_old) >= 0) {
		problem(c, refname, "history rewritten: %s does not descend from %s, and its first "
			"commit is not older (of two entities given one id the older keeps it, "
			"the younger is renamed)", hex(n, new), hex(o, old));
		return -1;
	}
	return 1;
}

/*
 * An entity ref moving from old (NULL: a new one) to new: a valid id, no
 * rewritten history, a sound chain (gt_fsck_entity: JSON, chain, clocks,
 * snapshot equal to the replay), no operation dated ahead, every commit
 * by gastown the one sync makes.
 */
static void check_entity(struct check *c, const gt_entity_type *type, const char *refname,
			 const git_oid *old, const git_oid *new)
{
	const char *id = refname + strlen(type->ref_prefix);
	size_t before = c->problems;
	int renamed;

	if (!gt_entity_id_valid(id)) {
		problem(c, refname, "invalid %s id '%s'", type->name, id);
		return;
	}
	if (!is_commit(c, refname, new))
		return;
	if (old && !fast_forward(c, old, new) &&
	    (renamed = renamed_away(c, type, refname, old, new)) <= 0) {
		if (!renamed)
			rewritten(c, refname, old, new, "");
		return;
	}
	gt_fsck_entity(NULL, c->repo, type, refname, new, on_fsck, c);
	if (c->problems == before)
		check_new_commits(c, type, refname, old, new);
}

/* --- refs/gastown/config and refs of unknown types ------------------------- */

/* The shared configuration: a commit holding a "config" blob that parses. */
static void check_config(struct check *c, const char *refname, const git_oid *old,
			 const git_oid *new)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *te;

	if (!is_commit(c, refname, new))
		return;
	if (old && !fast_forward(c, old, new)) {
		rewritten(c, refname, old, new, "");
		return;
	}
	if (git_commit_lookup(&commit, c->git, new) < 0 ||
	    git_commit_tree(&tree, commit) < 0 ||
	    !(te = git_tree_entry_byname(tree, "config")) ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, c->git, git_tree_entry_id(te)) < 0) {
		problem(c, refname, "not a commit holding a blob 'config'");
		goto out;
	}
	int line = gt_config_text_check(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	if (line < 0)
		problem(c, refname, "the config blob holds a NUL byte");
	else if (line)
		problem(c, refname, "bad config line %d", line);
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(commit);
}

/* A ref no known type claims (a newer version's): a commit, fast-forward. */
static void check_unknown(struct check *c, const char *refname, const git_oid *old,
			  const git_oid *new)
{
	if (is_commit(c, refname, new) && old && !fast_forward(c, old, new))
		rewritten(c, refname, old, new, "");
}

/* One ref of the ledger moving from old (NULL: new) to new. */
static void check_shared_ref(struct check *c, const char *refname, const git_oid *old,
			     const git_oid *new)
{
	const gt_entity_type *type = NULL;

	switch (gt_registry_ref_kind(refname, &type)) {
	case GT_REF_ENTITY:
		check_entity(c, type, refname, old, new);
		break;
	case GT_REF_CONFIG:
		check_config(c, refname, old, new);
		break;
	default:
		check_unknown(c, refname, old, new);
		break;
	}
}

/* --- the ledger ------------------------------------------------------------ */

/*
 * A new ledger commit: a commit, descending from the old one, whose tree
 * is a ledger; no entry of the old ledger dropped; every entry added or
 * moved reachable from it and checked as a ref of its own. Only the
 * subtrees that differ from the old ledger's are read: the cost follows
 * the change.
 */
static void check_ledger(struct check *c, const git_oid *old, const git_oid *new)
{
	gt_ledger_map was = GT_LEDGER_MAP_INIT, changed = GT_LEDGER_MAP_INIT;
	git_commit *cn = NULL, *co = NULL;
	git_tree *tn = NULL;
	const git_oid **tips = NULL;
	char *unreached = NULL, what[GIT_OID_HEXSZ + 1];
	size_t i, j, nchanged;

	if (!is_commit(c, NULL, new))
		return;
	if (old && !ledger_forward(c, old, new)) {
		rewritten(c, NULL, old, new,
			  " (the ledger only moves forward: fetch and merge with 'gt sync', "
			  "do not force the push)");
		return;
	}
	hex(what, new);
	if (git_commit_lookup(&cn, c->git, new) < 0 || git_commit_tree(&tn, cn) < 0) {
		git_error_clear();
		problem(c, NULL, "not a ledger: ledger %s is not a readable commit", what);
		goto out;
	}
	/* an old ledger that cannot be read is no ledger: check every entry */
	if (old && git_commit_lookup(&co, c->git, old) < 0) {
		git_error_clear();
		old = NULL;
	}
	/* only the subtrees that differ from the old ledger's are read */
	if (gt_ledger_diff(&was, &changed, c->repo, old, new, GT_LEDGER_CHECK) < 0) {
		problem(c, NULL, "not a ledger: %s", gt_error_last());
		goto out;
	}
	for (i = 0; i < was.nr; i++)
		if (!gt_ledger_map_find(&changed, was.items[i].refname) &&
		    problem(c, was.items[i].refname,
			    "dropped from the ledger (entities are never removed: "
			    "a deletion is a tombstone operation)"))
			goto out;
	nchanged = changed.nr;

	/* every tip added or moved must be reachable: a clone fetches no more */
	tips = gt_xcalloc(nchanged + 1, sizeof(*tips));
	unreached = gt_xcalloc(nchanged + 1, 1);
	for (i = j = 0; i < nchanged; i++)
		if (is_commit_quiet(c, &changed.items[i].tip))
			tips[j++] = &changed.items[i].tip;
	unreached_tips(c, unreached, tips, j, old, new);
	c->after = tn;
	for (i = j = 0; i < nchanged && !c->stopped; i++) {
		const gt_ledger_entry *e = &changed.items[i];
		const gt_ledger_entry *prev = gt_ledger_map_find(&was, e->refname);
		char t[GIT_OID_HEXSZ + 1];
		if (j < nchanged && tips[j] == &e->tip && unreached[j++])
			problem(c, e->refname, "tip %s is not reachable from ledger %s: "
				"a ledger commit must have every tip it adds or moves among its "
				"parents (push what 'gt sync' writes)", hex(t, &e->tip), what);
		check_shared_ref(c, e->refname, prev ? &prev->tip : NULL, &e->tip);
	}
	c->after = NULL;
out:
	free(tips);
	free(unreached);
	gt_ledger_map_release(&changed);
	gt_ledger_map_release(&was);
	git_tree_free(tn);
	git_commit_free(cn);
	git_commit_free(co);
}

/* --- the pushed refs ------------------------------------------------------- */

int gt_receive_check(size_t *problems, gt_repo *repo, const gt_receive_update *u,
		     int64_t now_ms, gt_receive_problem_cb cb, void *payload)
{
	const git_oid *old = git_oid_is_zero(&u->old) ? NULL : &u->old;
	const char *ref = u->refname;
	struct check check, *c = &check;

	memset(c, 0, sizeof(*c));
	c->repo = repo;
	c->git = gt_repo_git(repo);
	c->horizon_ms = now_ms + GT_RECEIVE_MAX_AHEAD_MS;
	c->pushed = ref;
	c->cb = cb;
	c->payload = payload;
	if (getenv("GIT_QUARANTINE_PATH") &&
	    git_odb_open(&c->quarantine, getenv("GIT_QUARANTINE_PATH")) < 0) {
		git_error_clear();
		c->quarantine = NULL;
	}
	if (!strncmp(ref, GT_LOCAL_REF_ROOT, strlen(GT_LOCAL_REF_ROOT))) {
		problem(c, NULL, "local refs are never published");
	} else if (strncmp(ref, GT_REF_ROOT, strlen(GT_REF_ROOT))) {
		; /* not ours */
	} else if (git_oid_is_zero(&u->new_id)) {
		if (!strcmp(ref, GT_LEDGER_REF))
			problem(c, NULL, "deleting the ledger is not allowed");
		else
			problem(c, NULL, "deleting a ref of the ledger is not allowed "
				"(a deletion is a tombstone operation)");
	} else if (!strcmp(ref, GT_LEDGER_REF)) {
		check_ledger(c, old, &u->new_id);
	} else {
		check_shared_ref(c, ref, old, &u->new_id);
	}
	git_odb_free(c->quarantine);
	if (problems)
		*problems = c->problems;
	return 0;
}

int gt_receive_parse(gt_receive_update *u, const char *line)
{
	size_t len = strlen(line);
	/* hex digits checked first: git_oid_fromstrn records an error, which
	 * needs libgit2 initialised, and the input is read before the repository */
	if (len < 2 * GIT_OID_HEXSZ + 3 || line[GIT_OID_HEXSZ] != ' ' ||
	    line[2 * GIT_OID_HEXSZ + 1] != ' ' ||
	    strspn(line, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    strspn(line + GIT_OID_HEXSZ + 1, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    git_oid_fromstrn(&u->old, line, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&u->new_id, line + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ) < 0)
		return gt_error_set(GT_EINVALID, "expected '<old> <new> <refname>'");
	u->refname = gt_xstrdup(line + 2 * GIT_OID_HEXSZ + 2);
	return 0;
}

void gt_receive_update_release(gt_receive_update *u)
{
	free(u->refname);
	u->refname = NULL;
}
