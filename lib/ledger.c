#include "ledger.h"
#include "config.h"
#include "error.h"
#include "refs.h"
#include "registry.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

void gt_ledger_map_release(gt_ledger_map *m)
{
	for (size_t i = 0; i < m->nr; i++)
		free(m->items[i].refname);
	free(m->items);
	m->items = NULL;
	m->nr = m->alloc = 0;
}

void gt_ledger_map_add(gt_ledger_map *m, const char *refname, const git_oid *tip)
{
	if (m->nr == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 64;
		m->items = gt_xrealloc(m->items, m->alloc * sizeof(*m->items));
	}
	m->items[m->nr].refname = gt_xstrdup(refname);
	m->items[m->nr].tip = *tip;
	m->nr++;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const gt_ledger_entry *)a)->refname,
		      ((const gt_ledger_entry *)b)->refname);
}

void gt_ledger_map_sort(gt_ledger_map *m)
{
	if (m->nr)
		qsort(m->items, m->nr, sizeof(*m->items), cmp_entry);
}

const gt_ledger_entry *gt_ledger_map_find(const gt_ledger_map *m, const char *refname)
{
	gt_ledger_entry key = { (char *)refname, { { 0 } } };
	if (!m->nr)
		return NULL;
	return bsearch(&key, m->items, m->nr, sizeof(*m->items), cmp_entry);
}

static int is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int gt_ledger_carries(const char *refname)
{
	const char *rel = refname + strlen(GT_REF_ROOT);
	/* a one-hex-digit name is a split shard's part (see ledger.h) */
	if (!strncmp(refname, GT_REF_ROOT, strlen(GT_REF_ROOT)) && is_hex_digit(rel[0]) &&
	    (rel[1] == '/' || !rel[1]))
		return 0;
	switch (gt_registry_ref_kind(refname, NULL)) {
	case GT_REF_ENTITY:
	case GT_REF_CONFIG:
	case GT_REF_UNKNOWN:
		return !strncmp(refname, GT_REF_ROOT, strlen(GT_REF_ROOT));
	default:
		return 0;
	}
}

/* The hex SHA-1 of the blob holding refname's name below refs/gastown/. */
static void name_hash(char hex[GIT_OID_HEXSZ + 1], const char *refname)
{
	const char *rel = refname + strlen(GT_REF_ROOT);
	git_oid h;
	git_odb_hash(&h, rel, strlen(rel), GIT_OBJECT_BLOB);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &h);
}

/*
 * The tree path of refname: "<xx>/" (flat) or "<xx>/<y>/" (split), then
 * its name below refs/gastown/ as one entry name, '/' written ':' (no
 * ref name holds a ':'), or, in the older layout, as directories.
 */
static char *path_of(const char *refname, int split, int older)
{
	char hex[GIT_OID_HEXSZ + 1];
	gt_strbuf sb = GT_STRBUF_INIT;
	name_hash(hex, refname);
	if (split)
		gt_strbuf_addf(&sb, "%.2s/%c/", hex, hex[2]);
	else
		gt_strbuf_addf(&sb, "%.2s/", hex);
	size_t leaf = sb.len;
	gt_strbuf_adds(&sb, refname + strlen(GT_REF_ROOT));
	for (char *p = sb.buf + leaf; !older && *p; p++)
		if (*p == '/')
			*p = ':';
	return gt_strbuf_detach(&sb);
}

char *gt_ledger_path(const char *refname)
{
	return path_of(refname, 0, 0);
}

char *gt_ledger_split_path(const char *refname)
{
	return path_of(refname, 1, 0);
}

/* An entry name's ref name part: ':' back to '/' (from `at` on). */
static void decode_leaf(gt_strbuf *sb, size_t at)
{
	for (char *p = sb->buf + at; *p; p++)
		if (*p == ':')
			*p = '/';
}

/*
 * Whether a shard tree holds both parts of a split (trees named by one
 * hex digit) and anything else: no writer makes one, and a ref could
 * then be in it twice over.
 */
/* A part of a split shard: a tree named by one hex digit. */
static int is_part(const git_tree_entry *e)
{
	const char *n = git_tree_entry_name(e);
	return git_tree_entry_type(e) == GIT_OBJECT_TREE && is_hex_digit(n[0]) && !n[1];
}

static int shard_mixed(const git_tree *t)
{
	int parts = 0, other = 0;
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		if (is_part(git_tree_entry_byindex(t, i)))
			parts = 1;
		else
			other = 1;
	}
	return parts && other;
}

/*
 * The length of the shard part of a tree path: 0 at the top, 3 for
 * "<xx>/...", 5 for "<xx>/<y>/..." in a split shard.
 */
static size_t shard_len(const char *path)
{
	if (strlen(path) < 3 || path[2] != '/')
		return 0;
	return is_hex_digit(path[3]) && path[4] == '/' ? 5 : 3;
}

/* --- reading ------------------------------------------------------------ */

struct read_ctx {
	gt_repo *repo;
	gt_ledger_map *out_a, *out_b;
	unsigned flags;
	const char *what;   /* b's id, for messages */
	gt_strbuf path;     /* the tree path so far: "" or "<xx>/<dirs>/" */
};

/*
 * Whether the entry name under c->path of ledger b is a ledger entry:
 * a gitlink below a shard, the shard the one its name hashes to, the
 * name a carried ref (the ref's name goes to ref).
 */
static int check_entry(struct read_ctx *c, const git_tree_entry *e, gt_strbuf *ref)
{
	const char *name = git_tree_entry_name(e);
	size_t len = shard_len(c->path.buf);
	int ok = len && git_tree_entry_filemode(e) == GIT_FILEMODE_COMMIT;
	if (ok) {
		char hex[GIT_OID_HEXSZ + 1];
		name_hash(hex, ref->buf);
		ok = gt_ledger_carries(ref->buf) && !strncmp(hex, c->path.buf, 2) &&
		     (len == 3 || c->path.buf[3] == hex[2]) &&
		     git_reference_is_valid_name(ref->buf) == 1;
	}
	if (!ok)
		return gt_error_set(GT_ECORRUPT, "%s: '%s%s' is not a ledger entry", c->what,
				    c->path.buf, name);
	return 0;
}

/* The ref an entry under c->path names: refs/gastown/<dirs>/<name>. */
static void entry_ref(gt_strbuf *ref, const struct read_ctx *c, const git_tree_entry *e)
{
	gt_strbuf_reset(ref);
	gt_strbuf_adds(ref, GT_REF_ROOT);
	gt_strbuf_adds(ref, c->path.buf + shard_len(c->path.buf));
	size_t leaf = ref->len;
	gt_strbuf_adds(ref, git_tree_entry_name(e));
	decode_leaf(ref, leaf);
}

/*
 * Git's order of tree entries: by name, a tree's name compared as if
 * it ended in '/'. Two entries of one name, one a tree and one not,
 * are different entries.
 */
static int cmp_tree_entries(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	unsigned char ca = la > n ? (unsigned char)a[n] :
			   git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/' : 0;
	unsigned char cb = lb > n ? (unsigned char)b[n] :
			   git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/' : 0;
	return ca - cb;
}

static int diff_trees(struct read_ctx *c, const git_tree *a, const git_tree *b);

/* Descend into the subtree entries x (of a) and y (of b), either NULL. */
static int diff_subtrees(struct read_ctx *c, const git_tree_entry *x, const git_tree_entry *y)
{
	git_repository *git = gt_repo_git(c->repo);
	git_tree *ta = NULL, *tb = NULL;
	size_t len = c->path.len;
	int r = 0;

	if (x && git_tree_lookup(&ta, git, git_tree_entry_id(x)) < 0)
		r = gt_error_set(GT_ECORRUPT, "ledger tree %s%s is missing", c->path.buf,
				 git_tree_entry_name(x));
	else if (y && git_tree_lookup(&tb, git, git_tree_entry_id(y)) < 0)
		r = gt_error_set(GT_ECORRUPT, "%s: tree %s%s is missing", c->what, c->path.buf,
				 git_tree_entry_name(y));
	if (r == 0 && tb && !len && (c->flags & GT_LEDGER_CHECK) && shard_mixed(tb))
		r = gt_error_set(GT_ECORRUPT, "%s: shard %s is split and flat at once", c->what,
				 git_tree_entry_name(y));
	/* ref names are short: a deep tree is not a ledger's */
	if (r == 0 && c->path.len > 1024)
		r = gt_error_set(GT_ECORRUPT, "%s: a tree in shard %.2s is too deep for a ledger",
				 c->what, c->path.buf);
	if (r == 0) {
		gt_strbuf_adds(&c->path, git_tree_entry_name(x ? x : y));
		gt_strbuf_addch(&c->path, '/');
		r = diff_trees(c, ta, tb);
		gt_strbuf_setlen(&c->path, len);
	}
	git_tree_free(ta);
	git_tree_free(tb);
	return r;
}

/* One side's entry e of a ref (b: the side that is checked). */
static int add_side(struct read_ctx *c, const git_tree_entry *e, int is_b, gt_strbuf *ref)
{
	int r;
	if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return is_b ? diff_subtrees(c, NULL, e) : diff_subtrees(c, e, NULL);
	if (!*c->path.buf && is_b)
		return gt_error_set(GT_ECORRUPT, "%s: '%s' is not a ledger entry", c->what,
				    git_tree_entry_name(e)); /* the top level holds only shards */
	entry_ref(ref, c, e);
	if (is_b && (c->flags & GT_LEDGER_CHECK) && (r = check_entry(c, e, ref)) < 0)
		return r;
	gt_ledger_map_add(is_b ? c->out_b : c->out_a, ref->buf, git_tree_entry_id(e));
	return 0;
}

/*
 * Every entry that differs between trees a and b (either NULL: empty),
 * one side's tip into out_a, the other's into out_b. Subtrees with one
 * id are the same: not read.
 */
static int diff_trees(struct read_ctx *c, const git_tree *a, const git_tree *b)
{
	size_t na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0;
	gt_strbuf ref = GT_STRBUF_INIT;
	int r = 0;

	while (r == 0 && (i < na || j < nb)) {
		const git_tree_entry *x = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *y = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int cmp = !x ? 1 : !y ? -1 : cmp_tree_entries(x, y);
		if (cmp < 0) {
			r = add_side(c, x, 0, &ref);
			i++;
		} else if (cmp > 0) {
			r = add_side(c, y, 1, &ref);
			j++;
		} else {
			i++, j++;
			if (git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y)) &&
			    git_tree_entry_filemode(x) == git_tree_entry_filemode(y))
				continue;
			if (git_tree_entry_type(x) == GIT_OBJECT_TREE &&
			    git_tree_entry_type(y) == GIT_OBJECT_TREE)
				r = diff_subtrees(c, x, y);
			else if ((r = add_side(c, x, 0, &ref)) == 0)
				r = add_side(c, y, 1, &ref);
		}
	}
	gt_strbuf_release(&ref);
	return r;
}

/*
 * Drop the refs both sides give one tip (from a's entry first_a and b's
 * first_b on; both sorted): they differ in place only, as when a shard
 * was split on one side.
 */
static void drop_same(gt_ledger_map *a, size_t first_a, gt_ledger_map *b, size_t first_b)
{
	size_t i = first_a, j = first_b, na = first_a, nb = first_b;
	while (i < a->nr || j < b->nr) {
		int c = i == a->nr ? 1 : j == b->nr ? -1 :
			strcmp(a->items[i].refname, b->items[j].refname);
		if (c == 0 && git_oid_equal(&a->items[i].tip, &b->items[j].tip)) {
			free(a->items[i++].refname);
			free(b->items[j++].refname);
			continue;
		}
		if (c <= 0)
			a->items[na++] = a->items[i++];
		if (c >= 0)
			b->items[nb++] = b->items[j++];
	}
	a->nr = na;
	b->nr = nb;
}

/* The tree of a ledger commit; GT_ECORRUPT when it is not a readable commit. */
static int ledger_tree(git_tree **out, gt_repo *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	int r = 0;
	*out = NULL;
	if (git_commit_lookup(&c, gt_repo_git(repo), commit) < 0 || git_commit_tree(out, c) < 0)
		r = gt_error_set(GT_ECORRUPT, "ledger %s is not a readable commit",
				 git_oid_tostr_s(commit));
	git_commit_free(c);
	return r;
}

int gt_ledger_diff(gt_ledger_map *out_a, gt_ledger_map *out_b, gt_repo *repo,
		   const git_oid *a, const git_oid *b, unsigned flags)
{
	git_tree *ta = NULL, *tb = NULL;
	char what[GIT_OID_HEXSZ + 1] = "";
	struct read_ctx c = { repo, out_a, out_b, flags, what, GT_STRBUF_INIT };
	size_t first_a = out_a ? out_a->nr : 0, first_b = out_b->nr;
	gt_ledger_map none = GT_LEDGER_MAP_INIT;
	int r;

	if (!out_a)
		c.out_a = &none;
	if (b)
		git_oid_tostr(what, sizeof(what), b);
	gt_strbuf_adds(&c.path, "");
	if ((a && (r = ledger_tree(&ta, repo, a)) < 0) || (b && (r = ledger_tree(&tb, repo, b)) < 0))
		goto out;
	if ((r = diff_trees(&c, ta, tb)) < 0)
		goto out;
	gt_ledger_map_sort(c.out_a);
	gt_ledger_map_sort(c.out_b);
	drop_same(c.out_a, first_a, c.out_b, first_b);
	/* a shard holds each name once, and each name has one shard */
	for (size_t i = first_b + 1; (flags & GT_LEDGER_CHECK) && i < out_b->nr; i++)
		if (!strcmp(out_b->items[i - 1].refname, out_b->items[i].refname)) {
			r = gt_error_set(GT_ECORRUPT, "ledger %s: %s appears twice", what,
					 out_b->items[i].refname);
			goto out;
		}
	r = 0;
out:
	gt_ledger_map_release(&none);
	gt_strbuf_release(&c.path);
	git_tree_free(ta);
	git_tree_free(tb);
	return r;
}

int gt_ledger_read(gt_ledger_map *out, gt_repo *repo, const git_oid *commit)
{
	return gt_ledger_diff(NULL, out, repo, NULL, commit, GT_LEDGER_CHECK);
}

/* The entry at path in tree (path is freed): 1 (into *out), 0 none, < 0 a read error. */
static int entry_at(git_tree_entry **out, const git_tree *tree, char *path)
{
	int r = git_tree_entry_bypath(out, tree, path);
	free(path);
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	return r < 0 ? r : 1;
}

int gt_ledger_lookup(git_oid *out, const git_tree *tree, const char *refname)
{
	git_tree_entry *e = NULL;
	int r = 0;
	/* split, else flat; this layout, else the older one */
	for (int i = 0; r == 0 && i < 4; i++)
		r = entry_at(&e, tree, path_of(refname, !(i & 1), i >> 1));
	if (r < 0)
		return gt_error_git(r, "cannot read the ledger entry of %s", refname);
	if (r == 0)
		return 0;
	r = git_tree_entry_filemode(e) == GIT_FILEMODE_COMMIT;
	if (r)
		*out = *git_tree_entry_id(e);
	git_tree_entry_free(e);
	return r;
}

int gt_ledger_count(size_t *out, gt_repo *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	const char *msg, *p;
	size_t n = 0;
	int r = GT_ENOTFOUND;

	if (git_commit_lookup(&c, gt_repo_git(repo), commit) < 0)
		return GT_ENOTFOUND;
	msg = git_commit_message(c);
	if (msg && !strncmp(msg, "ledger: ", 8) && msg[8] >= '0' && msg[8] <= '9') {
		for (p = msg + 8; *p >= '0' && *p <= '9' && n < ((size_t)-1) / 10 - 10; p++)
			n = n * 10 + (size_t)(*p - '0');
		if (!strcmp(p, " refs\n")) {
			*out = n;
			r = 0;
		}
	}
	git_commit_free(c);
	return r;
}

static int add_carried(const char *refname, const git_oid *tip, void *payload)
{
	if (gt_ledger_carries(refname))
		gt_ledger_map_add(payload, refname, tip);
	return 0;
}

int gt_ledger_local(gt_ledger_map *out, gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	git_oid tip;
	int r;

	/* each type's refs (one directory level each, one pass), and the shared config */
	for (size_t i = 0; i < gt_registry_count(); i++)
		if ((r = gt_refs_foreach_prefix(git, gt_registry_type(i)->ref_prefix, add_carried,
						out)) < 0)
			return r;
	r = gt_refs_read(&tip, git, GT_CONFIG_REF);
	if (r < 0 && r != GT_ENOTFOUND)
		return r;
	if (r == 0)
		gt_ledger_map_add(out, GT_CONFIG_REF, &tip);
	gt_ledger_map_sort(out);
	return 0;
}

static int is_ledger_commit(const git_commit *c)
{
	const char *msg = git_commit_message(c);
	return !strncmp(msg, "ledger: ", 8) && strcmp(msg, GT_LEDGER_CARRY_MESSAGE);
}

int gt_ledger_descends(gt_repo *repo, const git_oid *descendant, const git_oid *ancestor)
{
	git_repository *git = gt_repo_git(repo);
	git_commit *c = NULL;
	git_oid *todo = NULL, *seen = NULL;
	size_t ntodo = 0, nseen = 0;
	int64_t floor;
	int found = 0;

	if (git_commit_lookup(&c, git, ancestor) < 0)
		return 0;
	floor = (int64_t)git_commit_time(c);
	git_commit_free(c);
	todo = gt_xrealloc(todo, sizeof(*todo));
	todo[ntodo++] = *descendant;
	while (ntodo && !found) {
		git_oid id = todo[--ntodo];
		int dup = 0;
		if (git_oid_equal(&id, ancestor)) {
			found = 1;
			break;
		}
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = git_oid_equal(&seen[i], &id);
		if (dup || git_commit_lookup(&c, git, &id) < 0)
			continue;
		seen = gt_xrealloc(seen, (nseen + 1) * sizeof(*seen));
		seen[nseen++] = id;
		if ((int64_t)git_commit_time(c) >= floor && is_ledger_commit(c)) {
			unsigned n = git_commit_parentcount(c);
			todo = gt_xrealloc(todo, (ntodo + 2) * sizeof(*todo));
			for (unsigned i = 0; i < n && i < 2; i++)
				todo[ntodo++] = *git_commit_parent_id(c, i);
		}
		git_commit_free(c);
	}
	free(todo);
	free(seen);
	return found;
}

/* --- writing ------------------------------------------------------------ */

static void add_parent(gt_strbuf *commit, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	gt_strbuf_addf(commit, "parent %s\n", git_oid_tostr(hex, sizeof(hex), id));
}

static int write_commit(git_oid *out, git_repository *git, const git_oid *tree,
			const git_oid *parents, size_t np, const char *message)
{
	gt_strbuf c = GT_STRBUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	long long time = 0;
	int r;

	gt_strbuf_addf(&c, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	for (size_t i = 0; i < np; i++) {
		git_commit *p = NULL;
		add_parent(&c, &parents[i]);
		if (git_commit_lookup(&p, git, &parents[i]) == 0 && git_commit_time(p) > time)
			time = (long long)git_commit_time(p);
		git_commit_free(p);
	}
	/*
	 * A fixed identity, and the newest parent's time: the commit depends
	 * only on its inputs, and git's date-ordered walks (is this ledger a
	 * descendant of that one?) stop early instead of reading every entity.
	 */
	gt_strbuf_addf(&c, "author gastown <gastown> %lld +0000\n", time);
	gt_strbuf_addf(&c, "committer gastown <gastown> %lld +0000\n\n", time);
	gt_strbuf_adds(&c, message);
	if ((r = git_repository_odb(&odb, git)) == 0)
		r = git_odb_write(out, odb, c.buf, c.len, GIT_OBJECT_COMMIT);
	git_odb_free(odb);
	gt_strbuf_release(&c);
	return r < 0 ? gt_error_git(r, "cannot write the ledger commit") : 0;
}

/* An empty tree, the tree of every carrier. */
static int empty_tree(git_oid *out, git_repository *git)
{
	git_treebuilder *tb = NULL;
	int r;
	if ((r = git_treebuilder_new(&tb, git, NULL)) == 0)
		r = git_treebuilder_write(out, tb);
	git_treebuilder_free(tb);
	return r < 0 ? gt_error_git(r, "cannot write an empty tree") : 0;
}

/*
 * Parents beyond the bound go through carrier commits, chained: the
 * first carrier has up to GT_LEDGER_CARRY_PARENTS tips as parents, each
 * next one the previous carrier and as many tips less one, and the
 * ledger commit the last.
 *
 * Why a chain: git's walks keep the commits still to visit in a list
 * sorted by date, and tips often share one date (an import's). A walk
 * that reaches the carriers queues what they hold; carriers side by
 * side put every tip in that list at once, and each insertion walks it:
 * quadratic. At 100k beads the first sync spent 71 s so (5.4 s chained);
 * at 10k a sync of 110 beads changed for the first time since their
 * import took 0.87 s instead of 0.50 s, a first sync into an empty clone
 * 0.90 s instead of 0.76 s. A chain queues one carrier's tips at a
 * time. Walks that stop before the carriers (the same beads changing
 * again) cost the same with either shape.
 *
 * Why small carriers: a walk for beads changed for the first time since
 * their import goes through the whole chain (everything as old as the
 * import), and each tip it queues walks past the ones still queued, up
 * to two carriers' worth. At 100k beads that sync took a median of 568
 * ms with carriers of 16 against 1,024 with carriers of 256 (6 paired
 * rounds); with carriers of 8, 694 against 760 for 16, within the noise.
 */
static int carry(git_oid **parents, size_t *np, git_repository *git)
{
	git_oid empty, prev, *slot = NULL;
	size_t i = 0;
	int have_prev = 0, r;

	if (*np <= GT_LEDGER_MAX_PARENTS)
		return 0;
	if ((r = empty_tree(&empty, git)) < 0)
		return r;
	slot = gt_xcalloc(GT_LEDGER_CARRY_PARENTS, sizeof(*slot));
	while (i < *np) {
		size_t n = 0;
		if (have_prev)
			slot[n++] = prev;
		while (n < GT_LEDGER_CARRY_PARENTS && i < *np)
			slot[n++] = (*parents)[i++];
		if ((r = write_commit(&prev, git, &empty, slot, n, GT_LEDGER_CARRY_MESSAGE)) < 0) {
			free(slot);
			return r;
		}
		have_prev = 1;
	}
	free(slot);
	(*parents)[0] = prev;
	*np = 1;
	return 0;
}

/* --- shards ------------------------------------------------------------ */

/* A change's shard and place in changes; a split shard's new tree. */
struct by_shard {
	char shard[3];
	size_t index;
	git_oid tree;
};

static int cmp_by_shard(const void *a, const void *b)
{
	const struct by_shard *x = a, *y = b;
	int c = memcmp(x->shard, y->shard, 2);
	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

/* The empty tree, as a tree (git_tree_create_updated wants one to start from). */
static int empty_tree_of(git_tree **out, git_repository *git)
{
	git_oid id;
	int r = empty_tree(&id, git);
	if (r == 0 && (r = git_tree_lookup(out, git, &id)) < 0)
		r = gt_error_git(r, "cannot read the empty tree");
	return r;
}

/* The most entries a shard holds flat (tests: GT_TEST_LEDGER_SHARD_MAX). */
static size_t shard_max(void)
{
	const char *t = getenv("GT_TEST_LEDGER_SHARD_MAX");
	return t ? (size_t)strtoul(t, NULL, 10) : GT_LEDGER_SHARD_MAX;
}

/* Whether a shard tree is split: its parts are named by one hex digit. */
static int shard_is_split(const git_tree *t)
{
	for (size_t i = 0; i < git_tree_entrycount(t); i++)
		if (is_part(git_tree_entry_byindex(t, i)))
			return 1;
	return 0;
}

static int collect_shard(const char *root, const git_tree_entry *e, void *payload)
{
	gt_ledger_map *refs = payload; /* of a flat shard */
	gt_strbuf ref = GT_STRBUF_INIT;
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_COMMIT)
		return 0;
	gt_strbuf_addf(&ref, "%s%s", GT_REF_ROOT, root);
	size_t leaf = ref.len;
	gt_strbuf_adds(&ref, git_tree_entry_name(e));
	decode_leaf(&ref, leaf);
	gt_ledger_map_add(refs, ref.buf, git_tree_entry_id(e));
	gt_strbuf_release(&ref);
	return 0;
}

/*
 * A flat shard that outgrew the bound, written split: its entries (from
 * the base, flat) with the changes [from, to) of it applied, each at
 * "<y>/<name>" below the shard. *out receives the new shard tree.
 */
static int split_shard(git_oid *out, git_repository *git, const git_tree *flat,
		       const gt_ledger_map *changes, const size_t *order, size_t from, size_t to,
		       const git_tree *empty)
{
	gt_ledger_map all = GT_LEDGER_MAP_INIT;
	git_tree_update *u = NULL;
	size_t n = 0, nbase;
	int r = flat ? git_tree_walk(flat, GIT_TREEWALK_PRE, collect_shard, &all) : 0;

	if (r < 0) {
		r = gt_error_git(r, "cannot read a ledger shard");
		goto out;
	}
	/* the base's entries, each change replacing its own or added */
	gt_ledger_map_sort(&all);
	nbase = all.nr;
	for (size_t i = from; i < to; i++) {
		const gt_ledger_entry *c = &changes->items[order[i]];
		gt_ledger_map head = { all.items, nbase, nbase };
		gt_ledger_entry *e = (gt_ledger_entry *)gt_ledger_map_find(&head, c->refname);
		if (e)
			e->tip = c->tip;
		else
			gt_ledger_map_add(&all, c->refname, &c->tip);
	}
	u = gt_xcalloc(all.nr + 1, sizeof(*u));
	for (size_t i = 0; i < all.nr; i++) {
		char *path = gt_ledger_split_path(all.items[i].refname);
		u[n].action = GIT_TREE_UPDATE_UPSERT;
		u[n].id = all.items[i].tip;
		u[n].filemode = GIT_FILEMODE_COMMIT;
		u[n].path = gt_xstrdup(path + 3); /* below the shard */
		free(path);
		n++;
	}
	if ((r = git_tree_create_updated(out, git, (git_tree *)empty, n, u)) < 0)
		r = gt_error_git(r, "cannot write a split ledger shard");
out:
	for (size_t i = 0; i < n; i++)
		free((char *)u[i].path);
	free(u);
	gt_ledger_map_release(&all);
	return r;
}

int gt_ledger_write(git_oid *out, gt_repo *repo, const gt_ledger_map *changes,
		    const git_oid *base, const git_oid *parents, size_t np, const char *message)
{
	git_repository *git = gt_repo_git(repo);
	git_commit *base_commit = NULL;
	git_tree *base_tree = NULL;
	git_tree *empty_tree = NULL;
	/* each change an upsert, and maybe the removal of its older-layout entry */
	git_tree_update *updates = gt_xcalloc(2 * changes->nr + 1, sizeof(*updates));
	git_oid *tips = gt_xcalloc(changes->nr + 1, sizeof(*tips)), tree, *all = NULL;
	struct by_shard *bs = gt_xcalloc(changes->nr + 1, sizeof(*bs));
	size_t *order = gt_xcalloc(changes->nr + 1, sizeof(*order)), nu = 0, nt = 0, nall;
	char (*shard)[3] = gt_xcalloc(changes->nr + 1, sizeof(*shard));
	struct by_shard *split_as = gt_xcalloc(changes->nr + 1, sizeof(*split_as));
	int r;
	size_t splits = 0;

	if ((r = gt_odb_prepare_writes(git)) < 0)
		goto out;
	if (base && (git_commit_lookup(&base_commit, git, base) < 0 ||
		     git_commit_tree(&base_tree, base_commit) < 0)) {
		r = gt_error_set(GT_ECORRUPT, "ledger %s is not a readable commit",
				 git_oid_tostr_s(base));
		goto out;
	}
	/* the changes by shard, in name order within each */
	for (size_t i = 0; i < changes->nr; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		name_hash(hex, changes->items[i].refname);
		memcpy(shard[i], hex, 2);
		memcpy(bs[i].shard, hex, 2);
		bs[i].index = i;
		tips[nt++] = changes->items[i].tip;
	}
	if (changes->nr)
		qsort(bs, changes->nr, sizeof(*bs), cmp_by_shard);
	for (size_t i = 0; i < changes->nr; i++)
		order[i] = bs[i].index;
	for (size_t from = 0, to; from < changes->nr; from = to) {
		const char *xx = shard[order[from]];
		git_tree *st = NULL;
		const git_tree_entry *se = base_tree ? git_tree_entry_byname(base_tree, xx) : NULL;
		for (to = from + 1; to < changes->nr && !memcmp(shard[order[to]], xx, 2); to++)
			;
		if (se && git_tree_entry_type(se) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&st, git, git_tree_entry_id(se)) < 0) {
			r = gt_error_set(GT_ECORRUPT, "ledger shard %s is missing", xx);
			goto out;
		}
		int split = st && shard_is_split(st);
		size_t count = 0, added = 0;
		if (!split) {
			gt_ledger_map flat = GT_LEDGER_MAP_INIT;
			if (st && (r = git_tree_walk(st, GIT_TREEWALK_PRE, collect_shard, &flat)) < 0) {
				gt_ledger_map_release(&flat);
				git_tree_free(st);
				r = gt_error_git(r, "cannot read ledger shard %s", xx);
				goto out;
			}
			gt_ledger_map_sort(&flat);
			count = flat.nr;
			for (size_t i = from; i < to; i++)
				added += !gt_ledger_map_find(&flat, changes->items[order[i]].refname);
			gt_ledger_map_release(&flat);
		}
		if (!split && count + added > shard_max()) {
			/* outgrown: the whole shard written split, set below */
			if (!empty_tree && (r = empty_tree_of(&empty_tree, git)) < 0) {
				git_tree_free(st);
				goto out;
			}
			r = split_shard(&split_as[splits].tree, git, st, changes, order, from, to,
					empty_tree);
			memcpy(split_as[splits].shard, xx, 2);
			git_tree_free(st);
			if (r < 0)
				goto out;
			splits++;
			continue;
		}
		for (size_t i = from; r == 0 && i < to; i++) {
			const gt_ledger_entry *e = &changes->items[order[i]];
			updates[nu].action = GIT_TREE_UPDATE_UPSERT;
			updates[nu].id = e->tip;
			updates[nu].filemode = GIT_FILEMODE_COMMIT;
			updates[nu].path = path_of(e->refname, split, 0);
			nu++;
			/* an entry of the older layout moves: it must not stay as well */
			git_tree_entry *older = NULL;
			char *path = path_of(e->refname, split, 1);
			int moved = !!strchr(e->refname + strlen(GT_REF_ROOT), '/');
			if (st && moved && (r = entry_at(&older, st, gt_xstrdup(path + 3))) > 0) {
				updates[nu].action = GIT_TREE_UPDATE_REMOVE;
				updates[nu++].path = path;
				path = NULL;
				r = 0;
			} else if (r < 0) {
				r = gt_error_git(r, "cannot read ledger shard %s", xx);
			}
			git_tree_entry_free(older);
			free(path);
		}
		git_tree_free(st);
		if (r < 0)
			goto out;
	}
	/* git_tree_create_updated needs a baseline: an empty tree when none */
	if (!base_tree && !empty_tree && (r = empty_tree_of(&empty_tree, git)) < 0)
		goto out;
	if ((r = git_tree_create_updated(&tree, git, base_tree ? base_tree : empty_tree, nu,
					 updates)) < 0) {
		r = gt_error_git(r, "cannot write the ledger tree");
		goto out;
	}
	if (splits) {
		/* the split shards replace their flat selves at the top level */
		git_tree *top = NULL;
		git_treebuilder *tb = NULL;
		if ((r = git_tree_lookup(&top, git, &tree)) == 0 &&
		    (r = git_treebuilder_new(&tb, git, top)) == 0) {
			for (size_t i = 0; r == 0 && i < splits; i++)
				r = git_treebuilder_insert(NULL, tb, split_as[i].shard, &split_as[i].tree,
							   GIT_FILEMODE_TREE);
			if (r == 0)
				r = git_treebuilder_write(&tree, tb);
		}
		git_treebuilder_free(tb);
		git_tree_free(top);
		if (r < 0) {
			r = gt_error_git(r, "cannot write the ledger tree");
			goto out;
		}
	}
	if ((r = carry(&tips, &nt, git)) < 0)
		goto out;
	nall = np + nt;
	all = gt_xcalloc(nall + 1, sizeof(*all));
	memcpy(all, parents, np * sizeof(*all));
	memcpy(all + np, tips, nt * sizeof(*all));
	r = write_commit(out, git, &tree, all, nall, message);
out:
	for (size_t i = 0; i < nu; i++)
		free((char *)updates[i].path);
	free(updates);
	free(tips);
	free(all);
	free(order);
	free(shard);
	free(bs);
	free(split_as);
	git_tree_free(empty_tree);
	git_tree_free(base_tree);
	git_commit_free(base_commit);
	return r;
}
