#include "merge.h"
#include "bead.h"
#include "entity.h"
#include "error.h"
#include "index.h"
#include "json.h"
#include "ledger.h"
#include "refs.h"
#include "registry.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

/* From this many moved refs on, they are written as one packed-refs rewrite. */
#define GT_MERGE_PACKED 256

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

struct merge_ctx {
	gt_repo *repo;
	gt_ledger_map local;   /* the local refs before the merge */
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

/* The local tip of refname as the plan leaves it (NULL: none). */
static const git_oid *planned_tip(struct merge_ctx *m, const char *refname)
{
	long i = plan_find(&m->plan, refname);
	if (i >= 0)
		return &m->plan.items[i].new_id;
	const gt_ledger_entry *e = gt_ledger_map_find(&m->local, refname);
	return e ? &e->tip : NULL;
}

/* The value refname had before the merge (the compare-and-swap's old). */
static const git_oid *original_tip(struct merge_ctx *m, const char *refname)
{
	const gt_ledger_entry *e = gt_ledger_map_find(&m->local, refname);
	return e ? &e->tip : NULL;
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
	if ((r = git_repository_odb(&odb, git)) == 0)
		r = git_odb_write(out, odb, buf.buf, buf.len, GIT_OBJECT_COMMIT);
	git_odb_free(odb);
	git_commit_free(c);
	gt_strbuf_release(&buf);
	return r < 0 ? gt_error_git(r, "cannot write a merge commit") : 0;
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
	if (git_oid_equal(&ours, theirs) || git_graph_descendant_of(git, &ours, theirs) == 1)
		return 0;
	if (git_graph_descendant_of(git, theirs, &ours) == 1) {
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

static int apply_plan(struct merge_ctx *m)
{
	gt_ref_update *u = gt_xcalloc(m->plan.nr + 1, sizeof(*u));
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
	/*
	 * Many refs (a first sync makes one per entity) go in one rewrite of
	 * packed-refs rather than as thousands of loose files. A ref that a
	 * local writer moved meanwhile makes the merge start again, as with
	 * the loose transaction (the refs that did move are merged states:
	 * the next attempt finds them done).
	 */
	if (n >= GT_MERGE_PACKED)
		r = gt_refs_update_packed(m->repo, u, n, NULL);
	else
		r = n ? gt_refs_update(m->repo, u, n) : 0;
	free(u);
	return r;
}

/* The state after the plan: the local refs with the planned moves. */
static void planned_state(gt_ledger_map *out, struct merge_ctx *m)
{
	for (size_t i = 0; i < m->local.nr; i++)
		gt_ledger_map_add(out, m->local.items[i].refname,
				  planned_tip(m, m->local.items[i].refname));
	for (size_t i = 0; i < m->plan.nr; i++)
		if (!gt_ledger_map_find(&m->local, m->plan.items[i].refname))
			gt_ledger_map_add(out, m->plan.items[i].refname, &m->plan.items[i].new_id);
	gt_ledger_map_sort(out);
}

static int same_map(const gt_ledger_map *a, const gt_ledger_map *b)
{
	if (a->nr != b->nr)
		return 0;
	for (size_t i = 0; i < a->nr; i++)
		if (strcmp(a->items[i].refname, b->items[i].refname) ||
		    !git_oid_equal(&a->items[i].tip, &b->items[i].tip))
			return 0;
	return 1;
}

/*
 * Entries a ledger has that the state lacks (a ref deleted here) are
 * kept: nothing published is ever dropped.
 */
static void keep_published(gt_ledger_map *state, const gt_ledger_map *published)
{
	size_t n = state->nr;
	for (size_t i = 0; i < published->nr; i++) {
		const gt_ledger_entry *e = &published->items[i];
		int found = 0;
		for (size_t lo = 0, hi = n; lo < hi && !found;) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(state->items[mid].refname, e->refname);
			if (!c)
				found = 1;
			else if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!found)
			gt_ledger_map_add(state, e->refname, &e->tip);
	}
	gt_ledger_map_sort(state);
}

static int update_ledger_ref(struct merge_ctx *m, const git_oid *remote,
			     const gt_ledger_map *remote_map)
{
	git_repository *git = gt_repo_git(m->repo);
	gt_ledger_map state = GT_LEDGER_MAP_INIT, prev_map = GT_LEDGER_MAP_INIT;
	git_oid prev, next, parents[2];
	size_t np = 0;
	int have_prev, r;

	r = gt_refs_read(&prev, git, GT_LEDGER_REF);
	if (r < 0 && r != GT_ENOTFOUND)
		return r;
	have_prev = r == 0;
	/* how the two ledgers are related, each asked once */
	int same = have_prev && remote && git_oid_equal(&prev, remote);
	int remote_ahead = have_prev && remote && !same && gt_ledger_descends(m->repo, remote, &prev);
	int prev_ahead = have_prev && remote && !same && !remote_ahead &&
			 gt_ledger_descends(m->repo, &prev, remote);
	/*
	 * A remote ledger that descends from ours holds every entry of ours
	 * (a ledger never drops one): ours need not be read (the common case,
	 * and 20-30 ms at 10k beads).
	 */
	int need_prev = have_prev && !remote_ahead;
	if (need_prev && (r = gt_ledger_read(&prev_map, m->repo, &prev)) < 0)
		goto out;
	planned_state(&state, m);
	if (need_prev)
		keep_published(&state, &prev_map);
	if (remote)
		keep_published(&state, remote_map);
	if (remote && same_map(&state, remote_map) && (!have_prev || same || remote_ahead)) {
		next = *remote; /* exactly the remote's: fast-forward */
	} else if (need_prev && same_map(&state, &prev_map) && (!remote || same || prev_ahead)) {
		r = 0; /* nothing new to publish */
		goto out;
	} else {
		/* (with no remote, need_prev == have_prev) */
		const gt_ledger_map *base_map = remote ? remote_map : have_prev ? &prev_map : NULL;
		const git_oid *base = remote ? remote : have_prev ? &prev : NULL;
		gt_strbuf msg = GT_STRBUF_INIT;
		if (have_prev)
			parents[np++] = prev;
		if (remote && !same && !prev_ahead)
			parents[np++] = *remote;
		gt_strbuf_addf(&msg, "ledger: %zu refs\n", state.nr);
		r = gt_ledger_write(&next, m->repo, &state, base, base_map, parents, np, msg.buf);
		gt_strbuf_release(&msg);
		if (r < 0)
			goto out;
	}
	gt_ref_update u = { GT_LEDGER_REF, { { 0 } }, next };
	if (have_prev)
		u.old = prev;
	if (!have_prev || !git_oid_equal(&prev, &next)) {
		if ((r = gt_refs_update(m->repo, &u, 1)) < 0)
			goto out;
		m->stats.ledger_changed = 1;
	}
	r = 0;
out:
	gt_ledger_map_release(&state);
	gt_ledger_map_release(&prev_map);
	return r;
}

static int merge_attempt(struct merge_ctx *m, const git_oid *remote,
			 const gt_ledger_map *remote_map)
{
	int r;
	if ((r = gt_ledger_local(&m->local, m->repo)) < 0)
		return r;
	for (size_t i = 0; remote && i < remote_map->nr; i++) {
		const gt_ledger_entry *e = &remote_map->items[i];
		if ((r = merge_one(m, e->refname, &e->tip, 0)) < 0)
			return r;
		if (m->opts && m->opts->progress)
			m->opts->progress(i + 1, remote_map->nr, m->opts->payload);
	}
	for (size_t i = 0; i < m->nrenames; i++)
		if ((r = follow_rename(m, m->renames[i].old_id, m->renames[i].new_id,
				       &m->renames[i].loser)) < 0)
			return r;
	if ((r = apply_plan(m)) < 0)
		return r;
	return update_ledger_ref(m, remote, remote_map);
}

int gt_merge_ledger(gt_merge_stats *stats, gt_repo *repo, const git_oid *remote,
		    const gt_merge_opts *opts)
{
	gt_ledger_map remote_map = GT_LEDGER_MAP_INIT;
	int r;

	/* a damaged ledger from elsewhere is bad input, not local damage */
	if (remote && (r = gt_ledger_read(&remote_map, repo, remote)) < 0) {
		gt_ledger_map_release(&remote_map);
		return r == GT_ECORRUPT ? GT_EINVALID : r;
	}
	for (unsigned attempt = 0;; attempt++) {
		struct merge_ctx m;
		memset(&m, 0, sizeof(m));
		m.repo = repo;
		m.opts = opts;
		r = merge_attempt(&m, remote, &remote_map);
		if (stats && r == 0)
			*stats = m.stats;
		for (size_t i = 0; r == 0 && opts && opts->report && i < m.events.nr; i++)
			opts->report(m.events.items[i].ev, m.events.items[i].refname,
				     m.events.items[i].detail, opts->payload);
		plan_release(&m.events);
		gt_ledger_map_release(&m.local);
		plan_release(&m.plan);
		for (size_t i = 0; i < m.nrenames; i++) {
			free(m.renames[i].old_id);
			free(m.renames[i].new_id);
		}
		free(m.renames);
		if (r != GT_ECONFLICT || attempt >= 20)
			break;
	}
	gt_ledger_map_release(&remote_map);
	return r;
}
