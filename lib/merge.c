#include "merge.h"
#include "bead.h"
#include "bulk.h"
#include "entity.h"
#include "graph.h"
#include "error.h"
#include "index.h"
#include "json.h"
#include "ledger.h"
#include "refs.h"
#include "registry.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Moved refs are written as one packed-refs rewrite from this many on,
 * or from GT_MERGE_PACKED_MIN on when packed-refs is small: rewriting
 * it cost about as much as writing one loose ref per 100 refs it holds
 * (~70 bytes each). Measured on ext4 with 110 moved refs: at 10k beads
 * (690 KB) the merge took 55 ms packed against 69 loose; at 100k (7 MB)
 * 45-88 ms packed against 35-50 loose. Replacing a loose ref file costs
 * more than creating one (see gastown(7), "What a sync costs").
 */
#define GT_MERGE_PACKED 256
#define GT_MERGE_PACKED_MIN 32
#define GT_MERGE_PACKED_BYTES_PER_REF (100 * 70)
/*
 * Above this many loose entity refs, a merge reads every ref and folds
 * the loose ones into packed-refs (each merge leaves the refs it moves
 * loose, and the quick path lists them all).
 */
#define GT_MERGE_LOOSE_MAX 1024

/* One ref the merge moves, and why. */
struct change {
	char *refname;
	git_oid old;      /* zero: the ref does not exist here */
	git_oid new_id;
	gt_merge_event ev;
	char *detail;     /* the new name of a renamed entity */
};

struct plan {
	struct change *items;
	size_t nr, alloc;
	/* open addressing over items by refname: index + 1, 0 empty */
	size_t *slots, nslots;
};

/* A bead renamed by this merge, whose references may follow it. */
struct rename {
	char *old_id, *new_id;
	git_oid loser;    /* its tip before the rename */
};

/* A ref's tip looked up once (present 0: the ref or entry is absent). */
struct tip {
	char *refname;
	git_oid id;
	int present;
};

/* Looked-up tips by refname (open addressing; entries never move). */
struct tipmap {
	struct tip **slots;
	size_t nslots, nr;
};

struct merge_ctx {
	gt_repo *repo;         /* the bulk handle: new objects go to memory */
	gt_repo *main;
	gt_bulk *bulk; /* &own, or the one gt_merge_prepare made */
	gt_bulk own;
	/*
	 * The local refs and the local ledger's (prev's) entries. Read in
	 * full, unless the last merge left a record this one can trust
	 * ("quick"): then every ref that is not a loose file still has the
	 * tip prev gives it, so only the loose refs are listed and any other
	 * ref or entry is looked up when needed.
	 */
	int quick;
	gt_ledger_map local;   /* full: every local ref; quick: the loose ones */
	gt_ledger_map prev_map; /* full: every entry of prev */
	struct tipmap local_seen, prev_seen; /* quick: looked up so far */
	git_tree *prev_tree;   /* quick */
	size_t prev_count;     /* the number of entries of prev */
	int fold_loose;        /* too many loose refs: pack them */
	gt_ledger_map loose;   /* fold_loose: the loose refs */
	int lookup_error;      /* a lookup that failed (quick) */
	/*
	 * The entries in which the remote ledger differs from prev, each
	 * side's (read by tree diff: what changed, not what exists). An
	 * entry in neither diff is the same in both ledgers.
	 */
	const git_oid *remote;
	git_oid prev;
	int have_prev;
	gt_ledger_map diff_prev, diff_remote;
	struct plan plan;      /* the moves, in the order they were decided */
	struct rename *renames;
	size_t nrenames;
	struct plan events;    /* what to report once the refs have moved */
	gt_merge_stats stats;
	const gt_merge_opts *opts;
};

static size_t hash_name(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static void plan_index(struct plan *p, size_t i)
{
	size_t mask = p->nslots - 1, h = hash_name(p->items[i].refname) & mask;
	while (p->slots[h])
		h = (h + 1) & mask;
	p->slots[h] = i + 1;
}

/* The index in the plan of refname's move, or -1. */
static long plan_find(const struct plan *p, const char *refname)
{
	if (!p->nslots)
		return -1;
	size_t mask = p->nslots - 1;
	for (size_t h = hash_name(refname) & mask; p->slots[h]; h = (h + 1) & mask)
		if (!strcmp(p->items[p->slots[h] - 1].refname, refname))
			return (long)(p->slots[h] - 1);
	return -1;
}

static void plan_add(struct merge_ctx *m, const char *refname, const git_oid *old,
		     const git_oid *new_id, gt_merge_event ev, const char *detail)
{
	struct plan *p = &m->plan;
	if (2 * (p->nr + 1) > p->nslots) {
		free(p->slots);
		p->nslots = p->nslots ? p->nslots * 2 : 64;
		p->slots = gt_xcalloc(p->nslots, sizeof(*p->slots));
		for (size_t i = 0; i < p->nr; i++)
			plan_index(p, i);
	}
	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 32;
		p->items = gt_xrealloc(p->items, p->alloc * sizeof(*p->items));
	}
	struct change *c = &p->items[p->nr++];
	c->refname = gt_xstrdup(refname);
	if (old)
		c->old = *old;
	else
		memset(&c->old, 0, sizeof(c->old));
	c->new_id = *new_id;
	c->ev = ev;
	c->detail = detail ? gt_xstrdup(detail) : NULL;
	plan_index(p, p->nr - 1);
}

static void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->nr; i++) {
		free(p->items[i].refname);
		free(p->items[i].detail);
	}
	free(p->items);
	free(p->slots);
	memset(p, 0, sizeof(*p));
}

static struct tip **tipmap_slot(struct tipmap *t, const char *refname)
{
	size_t mask = t->nslots - 1, h = hash_name(refname) & mask;
	while (t->slots[h] && strcmp(t->slots[h]->refname, refname))
		h = (h + 1) & mask;
	return &t->slots[h];
}

static struct tip *tipmap_find(struct tipmap *t, const char *refname)
{
	return t->nslots ? *tipmap_slot(t, refname) : NULL;
}

static struct tip *tipmap_put(struct tipmap *t, const char *refname, const git_oid *id)
{
	if (2 * (t->nr + 1) > t->nslots) {
		struct tipmap bigger = { NULL, t->nslots ? t->nslots * 2 : 64, t->nr };
		bigger.slots = gt_xcalloc(bigger.nslots, sizeof(*bigger.slots));
		for (size_t i = 0; i < t->nslots; i++)
			if (t->slots[i])
				*tipmap_slot(&bigger, t->slots[i]->refname) = t->slots[i];
		free(t->slots);
		*t = bigger;
	}
	struct tip *e = gt_xcalloc(1, sizeof(*e));
	e->refname = gt_xstrdup(refname);
	e->present = id != NULL;
	if (id)
		e->id = *id;
	*tipmap_slot(t, refname) = e;
	t->nr++;
	return e;
}

static void tipmap_release(struct tipmap *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i]) {
			free(t->slots[i]->refname);
			free(t->slots[i]);
		}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* The local tip of refname before the merge (NULL: no such ref). */
static const git_oid *original_tip(struct merge_ctx *m, const char *refname)
{
	const gt_ledger_entry *e = gt_ledger_map_find(&m->local, refname);
	if (e || !m->quick)
		return e ? &e->tip : NULL;
	struct tip *t = tipmap_find(&m->local_seen, refname);
	if (!t) {
		git_oid id;
		int r = gt_refs_read(&id, gt_repo_git(m->repo), refname);
		if (r < 0 && r != GT_ENOTFOUND)
			m->lookup_error = r;
		t = tipmap_put(&m->local_seen, refname, r == 0 ? &id : NULL);
	}
	return t->present ? &t->id : NULL;
}

/* The local tip of refname as the plan leaves it (NULL: none). */
static const git_oid *planned_tip(struct merge_ctx *m, const char *refname)
{
	long i = plan_find(&m->plan, refname);
	if (i >= 0)
		return &m->plan.items[i].new_id;
	return original_tip(m, refname);
}

/* Plan refname to move to new_id (a second move of one ref replaces the first). */
static void plan_move(struct merge_ctx *m, const char *refname, const git_oid *new_id,
		      gt_merge_event ev, const char *detail)
{
	long i = plan_find(&m->plan, refname);
	if (i >= 0) {
		m->plan.items[i].new_id = *new_id;
		return;
	}
	plan_add(m, refname, original_tip(m, refname), new_id, ev, detail);
}

static void report(struct merge_ctx *m, gt_merge_event ev, const char *refname,
		   const char *detail)
{
	size_t *count[] = { &m->stats.new_refs, &m->stats.updated, &m->stats.merged,
			    &m->stats.renamed, &m->stats.followed };
	(*count[ev])++;
	struct plan *p = &m->events;
	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 32;
		p->items = gt_xrealloc(p->items, p->alloc * sizeof(*p->items));
	}
	memset(&p->items[p->nr], 0, sizeof(p->items[p->nr]));
	p->items[p->nr].refname = gt_xstrdup(refname);
	p->items[p->nr].ev = ev;
	p->items[p->nr].detail = detail ? gt_xstrdup(detail) : NULL;
	p->nr++;
}

int gt_merge_root(git_oid *out, gt_repo *repo, const git_oid *tip)
{
	git_repository *git = gt_repo_git(repo);
	git_commit *c = NULL;
	git_oid id = *tip;

	for (;;) {
		if (git_commit_lookup(&c, git, &id) < 0)
			return gt_error_set(GT_ECORRUPT, "commit %s is missing", git_oid_tostr_s(&id));
		if (!git_commit_parentcount(c))
			break;
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	git_commit_free(c);
	*out = id;
	return 0;
}

static int64_t commit_time(gt_repo *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int64_t t = 0;
	if (git_commit_lookup(&c, gt_repo_git(repo), id) == 0)
		t = (int64_t)git_commit_time(c);
	git_commit_free(c);
	return t;
}

int gt_merge_cmp_age(gt_repo *repo, const git_oid *a, const git_oid *b)
{
	int64_t ta = commit_time(repo, a), tb = commit_time(repo, b);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return git_oid_cmp(a, b);
}

/*
 * Refs that are not entities (refs/gastown/config, types this version
 * does not know): a merge commit holding the newer side's tree.
 */
static int merge_whole(git_oid *out, gt_repo *repo, const git_oid *ours,
		       const git_oid *theirs)
{
	git_repository *git = gt_repo_git(repo);
	const git_oid *newer = gt_merge_cmp_age(repo, ours, theirs) > 0 ? ours : theirs;
	const git_oid *older = newer == ours ? theirs : ours;
	git_commit *c = NULL;
	gt_strbuf buf = GT_STRBUF_INIT;
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int r;

	if ((r = git_commit_lookup(&c, git, newer)) < 0)
		return gt_error_git(r, "cannot read %s", git_oid_tostr_s(newer));
	const git_oid *parents[2] = { git_oid_cmp(ours, theirs) < 0 ? ours : theirs,
				      git_oid_cmp(ours, theirs) < 0 ? theirs : ours };
	(void)older;
	gt_strbuf_addf(&buf, "tree %s\n", git_oid_tostr(hex, sizeof(hex), git_commit_tree_id(c)));
	for (int i = 0; i < 2; i++)
		gt_strbuf_addf(&buf, "parent %s\n", git_oid_tostr(hex, sizeof(hex), parents[i]));
	gt_strbuf_addf(&buf, "author %s <%s> %lld +0000\n", GT_MERGE_ACTOR, GT_MERGE_ACTOR,
		       (long long)git_commit_time(c));
	gt_strbuf_addf(&buf, "committer %s <%s> %lld +0000\n\nmerge\n", GT_MERGE_ACTOR,
		       GT_MERGE_ACTOR, (long long)git_commit_time(c));
	git_commit_free(c);
	if ((r = gt_odb_prepare_writes(git)) == 0) {
		if ((r = git_repository_odb(&odb, git)) == 0)
			r = git_odb_write(out, odb, buf.buf, buf.len, GIT_OBJECT_COMMIT);
		git_odb_free(odb);
		if (r < 0)
			r = gt_error_git(r, "cannot write a merge commit");
	}
	gt_strbuf_release(&buf);
	return r;
}

void gt_merge_rename_suffix(char *out, size_t n, const git_oid *id)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	for (size_t i = 0; i < n; i++)
		out[i] = digits[id->id[i % GIT_OID_RAWSZ] % 36];
	out[n] = '\0';
}

int gt_merge_is_rename(const char *renamed, const char *refname, const git_oid *root)
{
	size_t n = strlen(refname);
	if (strncmp(renamed, refname, n) || renamed[n] != '-')
		return 0;
	for (size_t len = GT_MERGE_SUFFIX_MIN; len <= GT_MERGE_SUFFIX_MAX; len += 2) {
		char suffix[17];
		gt_merge_rename_suffix(suffix, len, root);
		if (!strcmp(renamed + n + 1, suffix))
			return 1;
	}
	return 0;
}

/* The new name of the entity at refname whose first commit is root. */
static char *rename_target(struct merge_ctx *m, const char *refname, const git_oid *root)
{
	for (size_t len = GT_MERGE_SUFFIX_MIN; len <= GT_MERGE_SUFFIX_MAX; len += 2) {
		char suffix[17];
		gt_strbuf sb = GT_STRBUF_INIT;
		const git_oid *tip;
		git_oid other;
		gt_merge_rename_suffix(suffix, len, root);
		gt_strbuf_addf(&sb, "%s-%s", refname, suffix);
		tip = planned_tip(m, sb.buf);
		if (!tip || (gt_merge_root(&other, m->repo, tip) == 0 && git_oid_equal(&other, root)))
			return gt_strbuf_detach(&sb);
		gt_strbuf_release(&sb);
	}
	return NULL;
}

static int merge_one(struct merge_ctx *m, const char *refname, const git_oid *theirs,
		     int depth);

/*
 * Two entities with one id: the younger moves to a new name (and is
 * then merged in there like any incoming entity).
 */
static int resolve_collision(struct merge_ctx *m, const gt_entity_type *type,
			     const char *refname, const git_oid *ours,
			     const git_oid *theirs, int depth)
{
	git_oid root_ours, root_theirs, renamed;
	const char *id = refname + strlen(type->ref_prefix);
	int r;

	if ((r = gt_merge_root(&root_ours, m->repo, ours)) < 0 ||
	    (r = gt_merge_root(&root_theirs, m->repo, theirs)) < 0)
		return r;
	int ours_wins = gt_merge_cmp_age(m->repo, &root_ours, &root_theirs) < 0;
	const git_oid *loser = ours_wins ? theirs : ours;
	const git_oid *loser_root = ours_wins ? &root_theirs : &root_ours;
	char *target = rename_target(m, refname, loser_root);
	if (!target)
		return gt_error_set(GT_ECONFLICT, "%s: cannot find a free name to rename to",
				    refname);
	const char *new_id = target + strlen(type->ref_prefix);
	gt_entity *e = NULL;
	if ((r = gt_entity_read_commit(&e, m->repo, type, loser)) < 0)
		goto out;
	cJSON *op = gt_entity_rename_op(type, e->snapshot, id, new_id);
	if ((r = gt_entity_commit_op_on(&renamed, m->repo, type, new_id, loser, op)) < 0)
		goto out;
	if (!ours_wins)
		plan_move(m, refname, theirs, GT_MERGE_UPDATED, NULL);
	report(m, GT_MERGE_RENAMED, refname, target);
	if (type == &gt_bead_type) {
		m->renames = gt_xrealloc(m->renames, (m->nrenames + 1) * sizeof(*m->renames));
		m->renames[m->nrenames].old_id = gt_xstrdup(id);
		m->renames[m->nrenames].new_id = gt_xstrdup(new_id);
		m->renames[m->nrenames].loser = *loser;
		m->nrenames++;
	}
	r = merge_one(m, target, &renamed, depth + 1);
out:
	gt_entity_free(e);
	free(target);
	return r;
}

/* Whether commit a has a parent b (one step, as after one change). */
static int has_parent(struct merge_ctx *m, const git_oid *a, const git_oid *b)
{
	git_commit *c = NULL;
	int found = 0;
	/* the main handle: these commits exist, and the bulk one copies them */
	if (git_commit_lookup(&c, gt_repo_git(m->main), a) < 0)
		return 0;
	for (unsigned i = 0; i < git_commit_parentcount(c) && !found; i++)
		found = git_oid_equal(git_commit_parent_id(c, i), b);
	git_commit_free(c);
	return found;
}

/* Bring refname (ours: its planned tip) together with theirs. */
static int merge_one(struct merge_ctx *m, const char *refname, const git_oid *theirs,
		     int depth)
{
	git_repository *git = gt_repo_git(m->repo);
	const gt_entity_type *type = NULL;
	const git_oid *ours_p = planned_tip(m, refname);
	git_oid ours, base, merged;
	int r;

	if (depth > 8)
		return gt_error_set(GT_ECONFLICT, "%s: renames do not settle", refname);
	if (!ours_p) {
		plan_move(m, refname, theirs, GT_MERGE_NEW, NULL);
		report(m, GT_MERGE_NEW, refname, NULL);
		return 0;
	}
	ours = *ours_p;
	/* one step either way (the common case) before git's walks */
	int ahead = has_parent(m, &ours, theirs), behind = !ahead && has_parent(m, theirs, &ours);
	if (git_oid_equal(&ours, theirs) || ahead ||
	    (!behind && git_graph_descendant_of(git, &ours, theirs) == 1))
		return 0;
	if (behind || git_graph_descendant_of(git, theirs, &ours) == 1) {
		plan_move(m, refname, theirs, GT_MERGE_UPDATED, NULL);
		report(m, GT_MERGE_UPDATED, refname, NULL);
		return 0;
	}
	gt_ref_kind kind = gt_registry_ref_kind(refname, &type);
	r = git_merge_base(&base, git, &ours, theirs);
	if (r == GIT_ENOTFOUND && kind == GT_REF_ENTITY && !type->keyed)
		return resolve_collision(m, type, refname, &ours, theirs, depth);
	if (r < 0 && r != GIT_ENOTFOUND)
		return gt_error_git(r, "%s: cannot find the merge base", refname);
	if (kind == GT_REF_ENTITY) {
		git_oid heads[2] = { ours, *theirs };
		r = gt_entity_commit_merge(&merged, m->repo, type,
					   refname + strlen(type->ref_prefix), heads, 2);
	} else {
		r = merge_whole(&merged, m->repo, &ours, theirs);
	}
	if (r < 0)
		return r;
	plan_move(m, refname, &merged, GT_MERGE_MERGED, NULL);
	report(m, GT_MERGE_MERGED, refname, NULL);
	return 0;
}

/* --- references that follow a renamed bead ------------------------------- */

/*
 * The tip that the latest operation of the bead at tip recorded for
 * target ("targets": {"<id>": "<tip>"}), or zero when none did.
 */
static int recorded_target(git_oid *out, gt_repo *repo, const git_oid *tip,
			   const char *target)
{
	git_repository *git = gt_repo_git(repo);
	git_revwalk *walk = NULL;
	git_oid id;
	int r, found = 0;

	memset(out, 0, sizeof(*out));
	if ((r = git_revwalk_new(&walk, git)) < 0 || (r = git_revwalk_push(walk, tip)) < 0) {
		git_revwalk_free(walk);
		return gt_error_git(r, "cannot walk %s", git_oid_tostr_s(tip));
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
	while (!found && git_revwalk_next(&id, walk) == 0) {
		gt_entity *e = NULL;
		if (gt_entity_read_commit(&e, repo, &gt_bead_type, &id) < 0)
			continue;
		const char *hex = gt_json_str(cJSON_GetObjectItemCaseSensitive(e->op, "targets"),
					      target);
		if (hex && git_oid_fromstr(out, hex) == 0)
			found = 1;
		gt_entity_free(e);
	}
	git_revwalk_free(walk);
	return 0;
}

/* Rewrite, in beads written beside the renamed one, references to old. */
static int follow_rename(struct merge_ctx *m, const char *old_id, const char *new_id,
			 const git_oid *loser_tip)
{
	git_repository *git = gt_repo_git(m->repo);
	gt_index *ix = NULL;
	int r;

	if ((r = gt_index_load(&ix, m->repo)) < 0)
		return r;
	for (size_t i = 0; i < gt_index_count(ix); i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		int refers = e->parent && !strcmp(e->parent, old_id);
		for (size_t d = 0; d < e->ndeps && !refers; d++)
			refers = !strcmp(e->deps[d].depends_on_id, old_id);
		if (!refers || !strcmp(e->id, new_id))
			continue;
		char *refname = gt_entity_refname(&gt_bead_type, e->id);
		const git_oid *tip = planned_tip(m, refname);
		git_oid rec, followed;
		if (!tip || (r = recorded_target(&rec, m->repo, tip, old_id)) < 0 ||
		    git_oid_is_zero(&rec) ||
		    (!git_oid_equal(&rec, loser_tip) &&
		     git_graph_descendant_of(git, loser_tip, &rec) != 1)) {
			free(refname);
			if (r < 0)
				break;
			continue;
		}
		gt_entity *b = NULL;
		if ((r = gt_entity_read_commit(&b, m->repo, &gt_bead_type, tip)) < 0) {
			free(refname);
			break;
		}
		cJSON *op = gt_bead_follow_op(b->snapshot, old_id, new_id);
		gt_entity_free(b);
		r = gt_entity_commit_op_on(&followed, m->repo, &gt_bead_type, e->id, tip, op);
		if (r == 0) {
			plan_move(m, refname, &followed, GT_MERGE_FOLLOWED, new_id);
			report(m, GT_MERGE_FOLLOWED, refname, new_id);
		}
		free(refname);
		if (r < 0)
			break;
	}
	gt_index_free(ix);
	return r;
}

/* --- the whole merge ------------------------------------------------------ */

/* $GIT_COMMON_DIR/packed-refs */
static void packed_path(gt_strbuf *out, gt_repo *repo)
{
	gt_strbuf_addf(out, "%spacked-refs", git_repository_commondir(gt_repo_git(repo)));
}

/* Whether n moved refs cost less as one rewrite of packed-refs (see GT_MERGE_PACKED). */
static int packed_is_cheaper(struct merge_ctx *m, size_t n)
{
	struct stat st;
	gt_strbuf path = GT_STRBUF_INIT;
	int cheaper = 0;

	if (n < GT_MERGE_PACKED_MIN)
		return 0;
	packed_path(&path, m->main);
	if (stat(path.buf, &st) == 0)
		cheaper = (uint64_t)n * GT_MERGE_PACKED_BYTES_PER_REF > (uint64_t)st.st_size;
	gt_strbuf_release(&path);
	return cheaper;
}

/*
 * Move the refs as planned. record_stat gets the packed-refs stat line
 * for the merge's record: pstat (taken before any ref was read), or
 * the stat of packed-refs as this merge rewrote it from that same file.
 */
static int apply_plan(struct merge_ctx *m, const char *pstat, gt_strbuf *record_stat)
{
	gt_ref_update *u = gt_xcalloc(m->plan.nr + m->loose.nr + 1, sizeof(*u));
	size_t n = 0;
	int r;
	for (size_t i = 0; i < m->plan.nr; i++) {
		const struct change *c = &m->plan.items[i];
		if (git_oid_equal(&c->old, &c->new_id))
			continue;
		u[n].refname = c->refname;
		u[n].old = c->old;
		u[n].new_id = c->new_id;
		n++;
	}
	/* the loose refs the plan does not move, into packed-refs as they are */
	for (size_t i = 0; i < m->loose.nr; i++) {
		const gt_ledger_entry *e = &m->loose.items[i];
		if (plan_find(&m->plan, e->refname) >= 0)
			continue;
		u[n].refname = e->refname;
		u[n].old = u[n].new_id = e->tip;
		n++;
	}
	/*
	 * Many refs (a first sync makes one per entity) go in one rewrite of
	 * packed-refs rather than as thousands of loose files. A ref that a
	 * local writer moved meanwhile makes the merge start again, as with
	 * the loose transaction (the refs that did move are merged states:
	 * the next attempt finds them done).
	 */
	if (n >= GT_MERGE_PACKED || m->fold_loose || packed_is_cheaper(m, n)) {
		r = gt_refs_update_packed_stat(m->repo, u, n, NULL, pstat, record_stat);
	} else {
		r = n ? gt_refs_update(m->repo, u, n) : 0;
		gt_strbuf_adds(record_stat, pstat);
	}
	free(u);
	return r;
}

/* The local ledger's tip of refname (NULL: it has none). */
static const git_oid *prev_tip(struct merge_ctx *m, const char *refname)
{
	if (!m->quick) {
		const gt_ledger_entry *e = gt_ledger_map_find(&m->prev_map, refname);
		return e ? &e->tip : NULL;
	}
	struct tip *t = tipmap_find(&m->prev_seen, refname);
	if (!t) {
		git_oid id;
		int r = gt_ledger_lookup(&id, m->prev_tree, refname);
		if (r < 0)
			m->lookup_error = r;
		t = tipmap_put(&m->prev_seen, refname, r == 1 ? &id : NULL);
	}
	return t->present ? &t->id : NULL;
}

/* The remote ledger's tip of refname (NULL: it has none). */
static const git_oid *remote_tip(struct merge_ctx *m, const char *refname)
{
	const gt_ledger_entry *e;
	if (!m->remote)
		return NULL;
	if ((e = gt_ledger_map_find(&m->diff_remote, refname)))
		return &e->tip;
	if (gt_ledger_map_find(&m->diff_prev, refname))
		return NULL; /* ours has it, the remote's does not */
	return prev_tip(m, refname);
}

static int same_tip(const git_oid *a, const git_oid *b)
{
	return a && b ? git_oid_equal(a, b) : a == b;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The refs that may need merging or publishing, sorted, each once: those
 * whose local tip differs from the local ledger's (ours moved: local
 * work), those whose entry differs between the two ledgers (theirs
 * moved), and (with_plan) the refs the merge moves. Every other ref has
 * one tip here, in our ledger and in theirs.
 */
static void candidates(gt_strlist *out, struct merge_ctx *m, int with_plan)
{
	const gt_ledger_map *l = &m->local, *p = &m->prev_map;
	size_t i = 0, j = 0, n = 0;
	const char **names = gt_xcalloc(l->nr + p->nr + m->diff_prev.nr + m->diff_remote.nr +
					(with_plan ? m->plan.nr : 0) + 1, sizeof(*names));
	/* quick: the loose refs are the only ones that can differ from prev */
	for (i = 0; m->quick && i < l->nr; i++)
		if (!same_tip(&l->items[i].tip, prev_tip(m, l->items[i].refname)))
			names[n++] = l->items[i].refname;
	if (m->quick)
		i = l->nr;
	while (i < l->nr || j < p->nr) {
		int c = i == l->nr ? 1 : j == p->nr ? -1 :
			strcmp(l->items[i].refname, p->items[j].refname);
		if (c < 0)
			names[n++] = l->items[i++].refname;
		else if (c > 0)
			names[n++] = p->items[j++].refname;
		else if (!git_oid_equal(&l->items[i++].tip, &p->items[j++].tip))
			names[n++] = l->items[i - 1].refname;
	}
	for (i = 0; i < m->diff_prev.nr; i++)
		names[n++] = m->diff_prev.items[i].refname;
	for (i = 0; i < m->diff_remote.nr; i++)
		names[n++] = m->diff_remote.items[i].refname;
	for (i = 0; with_plan && i < m->plan.nr; i++)
		names[n++] = m->plan.items[i].refname;
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++)
		if (!i || strcmp(names[i - 1], names[i]))
			gt_strlist_push(out, names[i]);
	free(names);
}

/* The number of entries of the remote ledger (or of ours, without one). */
static size_t base_count(struct merge_ctx *m)
{
	size_t n = m->prev_count;
	if (!m->remote)
		return n;
	for (size_t i = 0; i < m->diff_remote.nr; i++)
		n += !gt_ledger_map_find(&m->diff_prev, m->diff_remote.items[i].refname);
	for (size_t i = 0; i < m->diff_prev.nr; i++)
		n -= !gt_ledger_map_find(&m->diff_remote, m->diff_prev.items[i].refname);
	return n;
}

/*
 * Into the ledger's pack, a copy of the loose objects the push will
 * send: the history from each tip published that is ours, down to the
 * remote's tip and to the one we published last (gt_bulk_take_loose).
 */
static void take_published_loose(struct merge_ctx *m, const gt_ledger_map *changes)
{
	for (size_t i = 0; i < changes->nr; i++) {
		const char *k = changes->items[i].refname;
		const git_oid *ours = planned_tip(m, k), *theirs = remote_tip(m, k);
		const git_oid *published = prev_tip(m, k);
		git_oid stop[2];
		size_t n = 0;
		if (!ours || !git_oid_equal(ours, &changes->items[i].tip))
			continue;
		if (theirs)
			stop[n++] = *theirs;
		if (published)
			stop[n++] = *published;
		gt_bulk_take_loose(m->bulk, m->main, ours, stop, n);
	}
}

struct prep_walk {
	gt_merge_prep *p;
	gt_repo *repo;
	git_tree *published; /* the local ledger's tree; NULL when none */
	size_t seen;
};

static int prepare_one(const char *refname, const git_oid *tip, void *payload)
{
	struct prep_walk *w = payload;
	git_oid published = { { 0 } };
	int found = 0;

	if (++w->seen > GT_MERGE_LOOSE_MAX)
		return 1; /* a fold's many refs: left to the merge */
	if (!gt_ledger_carries(refname))
		return 0;
	if (w->published && (found = gt_ledger_lookup(&published, w->published, refname)) < 0)
		return found;
	if (found && git_oid_equal(&published, tip))
		return 0;
	gt_bulk_take_loose(w->p->bulk, w->repo, tip, &published, found);
	return 0;
}

/*
 * The loose refs are the refs written since packed-refs was: the local
 * changes. Each is taken from its tip down to its published one, as
 * take_published_loose() will; the remote's tip, which it also stops
 * at, is not known yet, and what it adds is never loose.
 */
void gt_merge_prepare(gt_merge_prep *p, gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	struct prep_walk w = { p, repo, NULL, 0 };
	git_commit *c = NULL;
	git_oid ledger;
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->bulk = gt_xcalloc(1, sizeof(*p->bulk));
	if (gt_bulk_open(p->bulk, repo) < 0) {
		gt_error_clear();
		free(p->bulk);
		p->bulk = NULL;
		return;
	}
	gt_odb_verify_reads(0); /* as the merge reads (gt_merge_ledger) */
	if (gt_refs_read(&ledger, git, GT_LEDGER_REF) == 0 &&
	    (git_commit_lookup(&c, git, &ledger) < 0 || git_commit_tree(&w.published, c) < 0))
		r = -1;
	for (size_t i = 0; r == 0 && i < gt_registry_count(); i++)
		r = gt_refs_foreach_loose(git, gt_registry_type(i)->ref_prefix, prepare_one, &w);
	if (r == 0)
		r = gt_bulk_compress(p->bulk);
	/* tests: GT_TEST_MERGE_SAY tells what was done while git fetched */
	if (r == 0 && getenv("GT_TEST_MERGE_SAY"))
		fprintf(stderr, "merge: %zu objects made ready while git fetched\n", p->bulk->nentries);
	gt_odb_verify_reads(1);
	git_tree_free(w.published);
	git_commit_free(c);
	gt_error_clear();
	git_error_clear();
	if (r != 0)
		gt_merge_prep_release(p);
}

void gt_merge_prep_release(gt_merge_prep *p)
{
	if (p->bulk)
		gt_bulk_close(p->bulk);
	free(p->bulk);
	p->bulk = NULL;
}

/*
 * Every tip to be published is a commit here. A ref left pointing at a
 * missing or wrong object (a damaged store, a hand-written ref file)
 * would otherwise go into the ledger, which git push then cannot send
 * and which never drops an entry.
 */
static int check_tips(struct merge_ctx *m, const gt_ledger_map *changes)
{
	git_odb *odb = NULL;
	int r = git_repository_odb(&odb, gt_repo_git(m->repo));
	if (r < 0)
		return gt_error_git(r, "cannot open the object store");
	for (size_t i = 0; r == 0 && i < changes->nr; i++) {
		const gt_ledger_entry *e = &changes->items[i];
		size_t len;
		git_object_t type;
		if (git_odb_read_header(&len, &type, odb, &e->tip) < 0)
			r = gt_error_set(GT_ECORRUPT,
					 "%s points to %s, which is missing: bring the object back "
					 "(git fetch from a clone that has it) or delete the ref",
					 e->refname, git_oid_tostr_s(&e->tip));
		else if (type != GIT_OBJECT_COMMIT)
			r = gt_error_set(GT_ECORRUPT,
					 "%s points to %s, a %s, not a commit: point it at the "
					 "entity's last commit or delete the ref",
					 e->refname, git_oid_tostr_s(&e->tip), git_object_type2string(type));
	}
	git_error_clear();
	git_odb_free(odb);
	return r;
}

/*
 * The ledger to publish, into *next, its new objects written to memory
 * (the flush writes them with the merge's other objects); *publish
 * says whether the ledger ref is to move there.
 */
static int build_ledger(struct merge_ctx *m, git_oid *next, int *publish)
{
	const git_oid *remote = m->remote, *prev = m->have_prev ? &m->prev : NULL;
	gt_ledger_map vs_remote = GT_LEDGER_MAP_INIT, vs_prev = GT_LEDGER_MAP_INIT;
	gt_strlist keys = GT_STRLIST_INIT;
	git_oid parents[2];
	size_t np = 0, added = 0;
	int r = 0;

	*publish = 0;

	/* how the two ledgers are related, each asked once */
	int same = prev && remote && git_oid_equal(prev, remote);
	int remote_ahead = prev && remote && !same && gt_ledger_descends(m->repo, remote, prev);
	int prev_ahead = prev && remote && !same && !remote_ahead &&
			 gt_ledger_descends(m->repo, prev, remote);
	/*
	 * The state to publish: each ref's planned local tip, else our
	 * ledger's, else theirs (nothing published is ever dropped). It
	 * differs from either ledger only in the candidates.
	 */
	candidates(&keys, m, 1);
	for (size_t i = 0; i < keys.nr; i++) {
		const char *k = keys.items[i];
		const git_oid *ours = planned_tip(m, k), *theirs = remote_tip(m, k);
		const git_oid *published = prev_tip(m, k);
		const git_oid *state = ours ? ours : published ? published : theirs;
		if (!state)
			continue;
		if (!same_tip(state, theirs)) {
			gt_ledger_map_add(&vs_remote, k, state);
			added += !theirs;
		}
		if (!same_tip(state, published))
			gt_ledger_map_add(&vs_prev, k, state);
	}
	if (remote && !vs_remote.nr && (!prev || same || remote_ahead)) {
		*next = *remote; /* exactly the remote's: fast-forward */
	} else if (prev && !vs_prev.nr && (!remote || same || prev_ahead)) {
		goto out; /* nothing new to publish */
	} else {
		gt_strbuf msg = GT_STRBUF_INIT;
		const gt_ledger_map *changes = remote ? &vs_remote : &vs_prev;
		if (!remote) {
			added = 0;
			for (size_t i = 0; i < vs_prev.nr; i++)
				added += !prev_tip(m, vs_prev.items[i].refname);
		}
		/*
		 * The remote's ledger first: this commit is its next state.
		 * git push asks (to mark forced updates, even under a
		 * lease) whether the new ledger descends from the remote's by a
		 * depth-first walk that tries first parents first: it then
		 * meets it at once, instead of after every commit of our own
		 * history that no commit-graph covers yet (36 ms of a 162 ms
		 * push in one traced round at 10k beads).
		 */
		if (remote && !same && !prev_ahead)
			parents[np++] = *remote;
		if (prev)
			parents[np++] = *prev;
		if ((r = check_tips(m, changes)) < 0)
			goto out;
		gt_strbuf_addf(&msg, "ledger: %zu refs\n", base_count(m) + added);
		/*
		 * The loose copy first: the ledger commit reads the time of
		 * every tip it carries, and reads them then from memory
		 * instead of from their loose files (4-5 ms for 110 tips).
		 */
		take_published_loose(m, changes);
		r = gt_ledger_write(next, m->repo, changes, remote ? remote : prev, parents, np,
				    msg.buf);
		gt_strbuf_release(&msg);
		if (r < 0)
			goto out;
	}
	*publish = !prev || !git_oid_equal(prev, next);
out:
	gt_strlist_clear(&keys);
	gt_ledger_map_release(&vs_remote);
	gt_ledger_map_release(&vs_prev);
	return r;
}

/* $GIT_COMMON_DIR/gastown/merged: what the last merge left (see below). */
#define RECORD "merged"

/* The stat data of packed-refs (gt_refs_stat_line). */
static void packed_stat(gt_strbuf *out, gt_repo *repo)
{
	gt_strbuf path = GT_STRBUF_INIT;
	packed_path(&path, repo);
	gt_refs_stat_line(out, path.buf);
	gt_strbuf_release(&path);
}

/*
 * The record a merge leaves: "<ledger> <packed-refs stat>", the stat
 * taken before the merge read any ref. After the merge every ref that
 * is not a loose file has the tip the ledger gives it (a ref the merge
 * moved was written loose, or packed-refs changed). When the merge
 * rewrote packed-refs itself, from the file that stat names, the stat
 * is that of the file it wrote: what it read plus its moves. While the ledger ref
 * and packed-refs stay as recorded, that still holds: every write since
 * made a loose file (gt's writes, git update-ref) or rewrote
 * packed-refs (git pack-refs, a packed merge, a deleted ref), which a
 * changed stat tells. Only a loose file removed by hand escapes it: its
 * ref is then taken as the ledger says. A cache: losing it only costs
 * one full read.
 */
static int record_matches(gt_repo *repo, const git_oid *ledger, const char *pstat)
{
	char hex[GIT_OID_HEXSZ + 1];
	gt_strbuf saved = GT_STRBUF_INIT, want = GT_STRBUF_INIT;
	int same = 0;
	gt_strbuf_addf(&want, "%s %s\n", git_oid_tostr(hex, sizeof(hex), ledger), pstat);
	if (gt_repo_read_record(repo, RECORD, &saved) == 0 && saved.buf)
		same = !strcmp(saved.buf, want.buf);
	gt_strbuf_release(&saved);
	gt_strbuf_release(&want);
	return same;
}

static void write_record(gt_repo *repo, const char *pstat)
{
	char hex[GIT_OID_HEXSZ + 1];
	gt_strbuf line = GT_STRBUF_INIT;
	git_oid ledger;
	if (gt_refs_read(&ledger, gt_repo_git(repo), GT_LEDGER_REF) == 0)
		gt_strbuf_addf(&line, "%s %s\n", git_oid_tostr(hex, sizeof(hex), &ledger), pstat);
	gt_repo_write_record(repo, RECORD, line.buf ? line.buf : "");
	gt_strbuf_release(&line);
}

static int add_local(const char *refname, const git_oid *tip, void *payload)
{
	if (gt_ledger_carries(refname))
		gt_ledger_map_add(payload, refname, tip);
	return 0;
}

/*
 * The local refs and ledger: the loose refs alone when the record
 * allows (quick), else everything. pstat: packed-refs as it was before
 * any ref was read.
 */
static int read_local(struct merge_ctx *m, const char *pstat)
{
	git_repository *git = gt_repo_git(m->repo);
	git_commit *c = NULL;
	git_oid config;
	int r;

	m->quick = m->have_prev && record_matches(m->main, &m->prev, pstat) &&
		   gt_ledger_count(&m->prev_count, m->main, &m->prev) == 0;
	for (size_t i = 0; m->quick && i < gt_registry_count(); i++)
		if ((r = gt_refs_foreach_loose(git, gt_registry_type(i)->ref_prefix, add_local,
					       &m->local)) < 0)
			return r;
	/* tests: GT_TEST_MERGE_LOOSE_MAX makes the bound small */
	const char *test_max = getenv("GT_TEST_MERGE_LOOSE_MAX");
	size_t loose_max = test_max ? (size_t)strtoul(test_max, NULL, 10) : GT_MERGE_LOOSE_MAX;
	if (m->quick && m->local.nr > loose_max) {
		m->quick = 0;
		m->fold_loose = 1;
		m->loose = m->local;
		memset(&m->local, 0, sizeof(m->local));
	}
	if (m->quick) {
		if (getenv("GT_TEST_MERGE_SAY"))
			fprintf(stderr, "merge: read %zu loose refs\n", m->local.nr);
		if ((r = gt_refs_read(&config, git, GT_CONFIG_REF)) == 0)
			gt_ledger_map_add(&m->local, GT_CONFIG_REF, &config);
		else if (r != GT_ENOTFOUND)
			return r;
		r = 0;
		gt_ledger_map_sort(&m->local);
		if (git_commit_lookup(&c, gt_repo_git(m->main), &m->prev) < 0 ||
		    git_commit_tree(&m->prev_tree, c) < 0)
			r = gt_error_set(GT_ECORRUPT, "ledger %s is not a readable commit",
					 git_oid_tostr_s(&m->prev));
		git_commit_free(c);
		return r < 0 ? r : 0;
	}
	/* tests: GT_TEST_MERGE_SAY tells which way the refs were read */
	if (getenv("GT_TEST_MERGE_SAY"))
		fprintf(stderr, "merge: read every ref%s\n", m->fold_loose ? ", folding the loose ones" : "");
	if ((r = gt_ledger_local(&m->local, m->repo)) < 0)
		return r;
	/* through the main handle: the bulk one copies every object it reads */
	if (m->have_prev && (r = gt_ledger_diff(NULL, &m->prev_map, m->main, NULL, &m->prev, 0)) < 0)
		return r;
	m->prev_count = m->prev_map.nr;
	return 0;
}

/*
 * Read the local state and the two ledgers: theirs where it differs
 * from ours.
 */
static int read_ledgers(struct merge_ctx *m, const char *pstat)
{
	int r = gt_refs_read(&m->prev, gt_repo_git(m->repo), GT_LEDGER_REF);
	if (r < 0 && r != GT_ENOTFOUND)
		return r;
	m->have_prev = r == 0;
	if ((r = read_local(m, pstat)) < 0)
		return r;
	if (!m->remote || (m->have_prev && git_oid_equal(&m->prev, m->remote)))
		return 0;
	r = gt_ledger_diff(&m->diff_prev, &m->diff_remote, m->main,
			   m->have_prev ? &m->prev : NULL, m->remote, GT_LEDGER_CHECK);
	/* a damaged ledger from elsewhere is bad input, not local damage */
	return r == GT_ECORRUPT ? GT_EINVALID : r;
}

static int merge_attempt(struct merge_ctx *m)
{
	gt_strlist keys = GT_STRLIST_INIT;
	gt_strbuf stat = GT_STRBUF_INIT, record_stat = GT_STRBUF_INIT;
	git_oid next;
	int publish = 0, r;

	packed_stat(&stat, m->main); /* before any ref is read */
	if ((r = read_ledgers(m, stat.buf)) < 0)
		goto out;
	candidates(&keys, m, 0);
	for (size_t i = 0; i < keys.nr; i++) {
		const git_oid *theirs = remote_tip(m, keys.items[i]);
		if (theirs && (r = merge_one(m, keys.items[i], theirs, 0)) < 0)
			goto out;
		if (m->opts && m->opts->progress)
			m->opts->progress(i + 1, keys.nr, m->opts->payload);
	}
	for (size_t i = 0; i < m->nrenames; i++)
		if ((r = follow_rename(m, m->renames[i].old_id, m->renames[i].new_id,
				       &m->renames[i].loser)) < 0)
			goto out;
	if ((r = m->lookup_error) < 0 || (r = build_ledger(m, &next, &publish)) < 0 ||
	    (r = m->lookup_error) < 0)
		goto out;
	/*
	 * The merge and rename commits and the ledger's new shards, as one
	 * pack, before any ref points at them: the ledger is built from the
	 * plan, before the refs move, so that one flush serves both.
	 */
	if ((r = gt_bulk_flush(m->bulk, m->main)) < 0)
		goto out;
	/* tests: another writer between the merge's reading and its writing */
	const char *meanwhile = getenv("GT_TEST_MERGE_MEANWHILE");
	if (meanwhile && system(meanwhile) != 0)
		fprintf(stderr, "warning: GT_TEST_MERGE_MEANWHILE failed\n");
	if ((r = apply_plan(m, stat.buf, &record_stat)) < 0)
		goto out;
	if (publish) {
		gt_ref_update u = { GT_LEDGER_REF, { { 0 } }, next };
		if (m->have_prev)
			u.old = m->prev;
		if ((r = gt_refs_update(m->repo, &u, 1)) < 0)
			goto out;
		m->stats.ledger_changed = 1;
	}
	write_record(m->main, record_stat.buf);
out:
	gt_strlist_clear(&keys);
	gt_strbuf_release(&stat);
	gt_strbuf_release(&record_stat);
	return r;
}

/*
 * A merge reads every object of what changed on either side, most of it
 * fetched just now, which git's index-pack named by hashing it as it
 * came; the rest gt wrote here. libgit2 would hash each again as it
 * reads it: at 10k beads, 110 changes each way, a sixth of gt sync's
 * instructions (callgrind). git reads without hashing; gt fsck and git
 * fsck check. So the merge and its preparation read as git does.
 */
int gt_merge_ledger(gt_merge_stats *stats, gt_repo *repo, const git_oid *remote,
		    const gt_merge_opts *opts)
{
	int r;

	gt_odb_verify_reads(0);
	for (unsigned attempt = 0;; attempt++) {
		struct merge_ctx m;
		memset(&m, 0, sizeof(m));
		m.main = repo;
		m.opts = opts;
		m.remote = remote;
		if (opts && opts->prep && opts->prep->bulk) {
			m.bulk = opts->prep->bulk; /* the first attempt's, now ours to close */
			opts->prep->bulk = NULL;
		} else if ((r = gt_bulk_open(&m.own, repo)) < 0) {
			break;
		} else {
			m.bulk = &m.own;
		}
		m.repo = m.bulk->repo;
		r = merge_attempt(&m);
		if (r == 0)
			gt_graph_note(repo, m.stats.new_refs + m.stats.updated + m.stats.merged +
						    m.stats.renamed + m.stats.followed);
		if (stats && r == 0)
			*stats = m.stats;
		for (size_t i = 0; r == 0 && opts && opts->report && i < m.events.nr; i++)
			opts->report(m.events.items[i].ev, m.events.items[i].refname,
				     m.events.items[i].detail, opts->payload);
		plan_release(&m.events);
		gt_ledger_map_release(&m.local);
		gt_ledger_map_release(&m.prev_map);
		gt_ledger_map_release(&m.loose);
		tipmap_release(&m.local_seen);
		tipmap_release(&m.prev_seen);
		git_tree_free(m.prev_tree);
		gt_ledger_map_release(&m.diff_prev);
		gt_ledger_map_release(&m.diff_remote);
		plan_release(&m.plan);
		for (size_t i = 0; i < m.nrenames; i++) {
			free(m.renames[i].old_id);
			free(m.renames[i].new_id);
		}
		free(m.renames);
		gt_bulk_close(m.bulk);
		if (m.bulk != &m.own)
			free(m.bulk);
		if (r != GT_ECONFLICT || attempt >= 20)
			break;
	}
	gt_odb_verify_reads(1);
	return r;
}
