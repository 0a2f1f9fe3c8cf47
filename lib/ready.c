#include "ready.h"
#include "bead.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { NOT_BLOCKED = 0, BLOCKED_DIRECT = 1, BLOCKED_PARENT = 2 };
#define BLOCKED_MASK 3
#define READY 4        /* in state[], with the blocking bits */

/*
 * Answers of a string predicate for the few distinct values a ledger
 * holds (issue types, dependency types): one strcmp per bead instead of
 * one per value the predicate knows. Falls back to the predicate when
 * full.
 */
struct memo {
	const char *key[8];
	int val[8];
	int n;
	int (*fn)(const char *);
};

static int memo_get(struct memo *m, const char *s)
{
	int v;
	if (!s)
		return m->fn(s);
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], s))
			return m->val[i];
	v = m->fn(s);
	if (m->n < 8) {
		m->key[m->n] = s; /* strings of the index: they outlive the memo */
		m->val[m->n++] = v;
	}
	return v;
}

struct gt_ready {
	const gt_index *ix;
	unsigned char *state;      /* per entry: blocking bits, READY */
	struct memo blocks;        /* gt_bead_dep_blocks */
	uint32_t *slots;           /* ids -> entry + 1 (0: empty), open addressing */
	size_t mask;
	int slots_mapped;          /* slots were mmap()ed (else calloc()ed) */
};

static uint32_t hash_id(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Dependencies are resolved through a hash of the ids: tens of thousands
 * of binary searches over an index of 100k beads cost more than the
 * whole listing.
 */
static void build_hash(gt_ready *r, size_t n)
{
	size_t size = 16;
	while (size < 2 * n)
		size *= 2;
	r->mask = size - 1;
	/*
	 * Mapped and populated in one call: touching a megabyte of fresh pages
	 * one fault at a time cost more than filling it (virtual machines).
	 */
	r->slots = mmap(NULL, size * sizeof(*r->slots), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	r->slots_mapped = r->slots != MAP_FAILED;
	if (!r->slots_mapped)
		r->slots = gt_xcalloc(size, sizeof(*r->slots));
	for (size_t i = 0; i < n; i++) {
		size_t h = hash_id(gt_index_at(r->ix, i)->id) & r->mask;
		while (r->slots[h])
			h = (h + 1) & r->mask;
		r->slots[h] = (uint32_t)i + 1;
	}
}

/* The entry with this id, or NULL. */
static const gt_index_entry *find(const gt_ready *r, const char *id)
{
	size_t h = hash_id(id) & r->mask;
	for (uint32_t v; (v = r->slots[h]); h = (h + 1) & r->mask) {
		const gt_index_entry *e = gt_index_at(r->ix, v - 1);
		if (!strcmp(e->id, id))
			return e;
	}
	return NULL;
}

/* The live, not closed entry with this id, or NULL. */
static const gt_index_entry *open_target(const gt_ready *r, const char *id)
{
	const gt_index_entry *t = find(r, id);
	return t && !gt_index_entry_is_closed(t) ? t : NULL;
}

static int directly_blocked(gt_ready *r, const gt_index_entry *e)
{
	for (size_t k = 0; k < e->ndeps; k++)
		if (e->deps[k].type && memo_get(&r->blocks, e->deps[k].type) &&
		    open_target(r, e->deps[k].depends_on_id))
			return 1;
	return 0;
}

static int is_parent_child(const gt_index_dep *d)
{
	return d->type && !strcmp(d->type, "parent-child");
}

/*
 * Call fn for every distinct parent of e that exists: the "parent"
 * member first, then parent-child dependency targets.
 */
static void foreach_parent(const gt_ready *r, const gt_index_entry *e,
			   void (*fn)(size_t parent, void *payload), void *payload)
{
	const gt_index_entry *p;
	if (e->parent && (p = find(r, e->parent)))
		fn(gt_index_pos(r->ix, p), payload);
	for (size_t k = 0; k < e->ndeps; k++) {
		const char *id = e->deps[k].depends_on_id;
		int seen = 0;
		if (!is_parent_child(&e->deps[k]))
			continue;
		if (e->parent && !strcmp(e->parent, id))
			continue;
		for (size_t m = 0; m < k && !seen; m++)
			seen = is_parent_child(&e->deps[m]) &&
			       !strcmp(e->deps[m].depends_on_id, id);
		if (!seen && (p = find(r, id)))
			fn(gt_index_pos(r->ix, p), payload);
	}
}

/* A parent -> child edge, collected before being sorted into lists. */
struct edges {
	uint32_t (*pair)[2];   /* (parent, child) */
	size_t n, alloc;
	size_t cur;            /* the child whose parents are being visited */
};

static void add_edge(size_t parent, void *payload)
{
	struct edges *g = payload;
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? g->alloc * 2 : 256;
		g->pair = gt_xrealloc(g->pair, g->alloc * sizeof(*g->pair));
	}
	g->pair[g->n][0] = (uint32_t)parent;
	g->pair[g->n][1] = (uint32_t)g->cur;
	g->n++;
}

int gt_ready_compute(gt_ready **out, const gt_index *ix)
{
	size_t n = gt_index_count(ix), head = 0, tail = 0;
	gt_ready *r = gt_xcalloc(1, sizeof(*r));
	struct edges g = { NULL, 0, 0, 0 };
	struct memo work = { { NULL }, { 0 }, 0, gt_bead_type_is_work };
	uint32_t *queue = NULL, *start = NULL, *child = NULL;

	r->ix = ix;
	r->blocks.fn = gt_bead_dep_blocks;
	r->state = gt_xcalloc(n ? n : 1, 1);
	build_hash(r, n);
	queue = gt_xmalloc((n ? n : 1) * sizeof(*queue));

	/* direct blocking; the parent -> child edges on the way */
	for (size_t i = 0; i < n; i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		if (!gt_index_entry_is_closed(e) && directly_blocked(r, e)) {
			r->state[i] = BLOCKED_DIRECT;
			queue[tail++] = (uint32_t)i;
		}
		if (e->parent || e->ndeps) {
			g.cur = i;
			foreach_parent(r, e, add_edge, &g);
		}
	}

	if (tail) {
		/* children lists: the children of p are child[start[p] .. start[p + 1]) */
		start = gt_xcalloc(n + 1, sizeof(*start));
		child = gt_xmalloc((g.n ? g.n : 1) * sizeof(*child));
		for (size_t k = 0; k < g.n; k++)
			start[g.pair[k][0] + 1]++;
		for (size_t i = 1; i <= n; i++)
			start[i] += start[i - 1];
		for (size_t k = 0; k < g.n; k++)
			child[start[g.pair[k][0]]++] = g.pair[k][1];
		for (size_t i = n; i > 0; i--) /* each start moved to the next: undo */
			start[i] = start[i - 1];
		start[0] = 0;

		/* pass blocking down, breadth first; each bead enters the queue once */
		while (head < tail) {
			uint32_t p = queue[head++];
			for (uint32_t k = start[p]; k < start[p + 1]; k++) {
				uint32_t c = child[k];
				if (r->state[c] || gt_index_entry_is_closed(gt_index_at(ix, c)))
					continue;
				r->state[c] = BLOCKED_PARENT;
				queue[tail++] = c;
			}
		}
	}

	/* ready: open, work, not blocked */
	for (size_t i = 0; i < n; i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		if (!r->state[i] && e->status && !strcmp(e->status, "open") &&
		    memo_get(&work, e->issue_type))
			r->state[i] = READY;
	}
	free(g.pair);
	free(start);
	free(child);
	free(queue);
	*out = r;
	return 0;
}

void gt_ready_free(gt_ready *r)
{
	if (!r)
		return;
	free(r->state);
	if (r->slots_mapped)
		munmap(r->slots, (r->mask + 1) * sizeof(*r->slots));
	else
		free(r->slots);
	free(r);
}

int gt_ready_is_blocked(const gt_ready *r, size_t i)
{
	return (r->state[i] & BLOCKED_MASK) != NOT_BLOCKED;
}

int gt_ready_is_ready(const gt_ready *r, size_t i)
{
	return (r->state[i] & READY) != 0;
}

static void push_unique(const char ***v, size_t *n, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], id))
			return;
	*v = gt_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = id;
}

struct parents_payload {
	const gt_ready *r;
	gt_ready_blockers *out;
};

static void add_blocked_parent(size_t parent, void *payload)
{
	struct parents_payload *pp = payload;
	if (gt_ready_is_blocked(pp->r, parent))
		push_unique(&pp->out->parents, &pp->out->nparents,
			    gt_index_at(pp->r->ix, parent)->id);
}

void gt_ready_get_blockers(gt_ready_blockers *out, const gt_ready *r, size_t i)
{
	const gt_index_entry *e = gt_index_at(r->ix, i), *t;
	struct parents_payload pp = { r, out };

	memset(out, 0, sizeof(*out));
	if (!gt_ready_is_blocked(r, i))
		return;
	for (size_t k = 0; k < e->ndeps; k++)
		if (gt_bead_dep_blocks(e->deps[k].type) &&
		    (t = open_target(r, e->deps[k].depends_on_id)))
			push_unique(&out->ids, &out->nids, t->id);
	foreach_parent(r, e, add_blocked_parent, &pp);
}

void gt_ready_blockers_clear(gt_ready_blockers *b)
{
	free(b->ids);
	free(b->parents);
	memset(b, 0, sizeof(*b));
}
