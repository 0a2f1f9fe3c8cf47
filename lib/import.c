/*
 * gt import: beads JSONL into beads, in one pack and one packed-refs
 * rewrite. The protocol and its safety are described in import.h.
 */
#include "import.h"
#include "graph.h"
#include "bead.h"
#include "bulk.h"
#include "entity.h"
#include "error.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"
#include "txn.h"


#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * 2^53: a double holds every integer below it exactly; 2^53 itself may
 * be the rounding of 2^53 + 1, so it is refused too.
 */
#define MAX_EXACT 9007199254740992.0
#define PLAN (-1)                     /* item status: (re)build its commit */
#define MAX_ATTEMPTS 50
/*
 * Beads per pack: the objects of a pack are held in memory until it is
 * written (about 6 KiB of memory per bead), so a large import writes one
 * pack per this many beads.
 */
#define PACK_BEADS 20000

struct item {
	char *id;
	size_t line;          /* 1-based line number in the input */
	size_t off, len;      /* the line in the input */
	int exists;           /* the ref existed when last read */
	git_oid old;          /* ... and pointed here */
	git_oid new_id;       /* the commit to move it to (NEW, UPDATED) */
	int status;           /* gt_import_status, or PLAN */
	int committed;        /* the ref has been moved to new_id */
};

/* --- reading and checking the input -------------------------------------- */

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* A "\u0000" escape: cJSON would cut the string there. */
static int has_nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 6 <= n && !memcmp(s + i + 2, "0000", 4))
			return 1;
		i++; /* skip the escaped character */
	}
	return 0;
}

/*
 * Whether cJSON prints d exactly: it tries "%1.15g" and keeps it when
 * reading it back gives d within a relative DBL_EPSILON, which loses the
 * 16th and 17th significant digits; otherwise it prints "%1.17g", which
 * is exact.
 */
static int prints_exactly(double d)
{
	char buf[64];
	double back, max;
	if (d >= INT_MIN && d <= INT_MAX && d == (double)(int)d)
		return 1; /* printed as an int */
	snprintf(buf, sizeof(buf), "%1.15g", d);
	back = strtod(buf, NULL);
	if (back == d)
		return 1;
	max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
	return !(fabs(back - d) <= max * DBL_EPSILON);
}

/* The first number that would not come back as it is (see import.h). */
static const char *number_problem(const cJSON *v)
{
	if (cJSON_IsNumber(v)) {
		if (!isfinite(v->valuedouble) || fabs(v->valuedouble) >= MAX_EXACT)
			return "a number beyond 2^53-1 cannot be stored exactly";
		if (!prints_exactly(v->valuedouble))
			return "a number of more than 15 significant digits cannot be stored exactly";
		return NULL;
	}
	for (const cJSON *c = v->child; c; c = c->next) {
		const char *p = number_problem(c);
		if (p)
			return p;
	}
	return NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first member name that occurs twice, or NULL. */
static const char *duplicate_member(const cJSON *obj)
{
	size_t n = 0, i = 0;
	const char *dup = NULL;
	for (const cJSON *m = obj->child; m; m = m->next)
		n++;
	if (n < 2)
		return NULL;
	const char **names = gt_xmalloc(n * sizeof(*names));
	for (const cJSON *m = obj->child; m; m = m->next)
		names[i++] = m->string;
	if (n > 1) /* qsort(NULL, 0) is undefined */
		qsort(names, n, sizeof(*names), cmp_str_ptr);
	for (i = 1; i < n && !dup; i++)
		if (!strcmp(names[i - 1], names[i]))
			dup = names[i];
	free(names);
	return dup;
}

/* A bounded, one-line rendering of an id for messages. */
static void add_printable(gt_strbuf *sb, const char *s)
{
	size_t n = 0;
	for (; *s && n < 80; s++, n++)
		gt_strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (*s)
		gt_strbuf_adds(sb, "...");
}

/* Parse one line; on error the message names what ("<file> line N"). */
static int parse_line(cJSON **out, const char *s, size_t n, const char *what)
{
	const char *dup, *problem;
	cJSON *v;

	*out = NULL;
	if (memchr(s, '\0', n))
		return gt_error_set(GT_EINVALID, "malformed JSON in %s: NUL byte", what);
	if (!gt_utf8_valid(s, n))
		return gt_error_set(GT_EINVALID, "malformed JSON in %s: invalid UTF-8", what);
	if (!(v = gt_json_parse(s, n, what)))
		return GT_EINVALID; /* "malformed JSON in <what>[: ...]" */
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		return gt_error_set(GT_EINVALID, "not a JSON object in %s", what);
	}
	if (has_nul_escape(s, n)) {
		cJSON_Delete(v);
		return gt_error_set(GT_EINVALID,
				    "malformed JSON in %s: \\u0000 in a string is not supported",
				    what);
	}
	if ((problem = number_problem(v))) {
		cJSON_Delete(v);
		return gt_error_set(GT_EINVALID, "malformed JSON in %s: %s", what, problem);
	}
	if ((dup = duplicate_member(v))) {
		gt_strbuf sb = GT_STRBUF_INIT;
		add_printable(&sb, dup);
		gt_error_set(GT_EINVALID, "malformed JSON in %s: member '%s' given twice",
			     what, sb.buf);
		gt_strbuf_release(&sb);
		cJSON_Delete(v);
		return GT_EINVALID;
	}
	*out = v;
	return 0;
}

/* Check one line and record it as an item. */
static int scan_line(struct item *it, gt_repo *repo, const char *s, size_t n,
		     const char *what)
{
	cJSON *obj = NULL;
	const cJSON *id;
	gt_strbuf sb = GT_STRBUF_INIT;
	int r;

	if ((r = parse_line(&obj, s, n, what)) < 0)
		goto out;
	id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	if (!id) {
		r = gt_error_set(GT_EINVALID, "missing id in %s", what);
	} else if (!cJSON_IsString(id)) {
		r = gt_error_set(GT_EINVALID, "invalid bead id (not a string) in %s", what);
	} else if (!gt_bead_id_valid(id->valuestring)) {
		add_printable(&sb, id->valuestring);
		r = gt_error_set(GT_EINVALID, "invalid bead id '%s' in %s", sb.buf, what);
	} else if ((r = gt_bead_validate(repo, obj, 0)) < 0) {
		r = gt_error_set(GT_EINVALID, "invalid bead in %s: %s", what, gt_error_last());
	} else {
		it->id = gt_xstrdup(id->valuestring);
		it->status = PLAN;
	}
out:
	gt_strbuf_release(&sb);
	cJSON_Delete(obj);
	return r;
}

static void free_items(struct item *items, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(items[i].id);
	free(items);
}

/* Check every line; items in file order. Nothing is kept but ids and spans. */
static int scan(struct item **out, size_t *nr_out, gt_repo *repo,
		const char *buf, size_t len, const char *name)
{
	struct item *items = NULL;
	size_t nr = 0, alloc = 0, line = 0, pos = 0;
	gt_strbuf what = GT_STRBUF_INIT;
	int r = 0;

	while (pos < len) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		line++;
		pos += n + 1;
		if (blank(s, n))
			continue;
		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			items = gt_xrealloc(items, alloc * sizeof(*items));
		}
		memset(&items[nr], 0, sizeof(items[nr]));
		items[nr].line = line;
		items[nr].off = (size_t)(s - buf);
		items[nr].len = n;
		gt_strbuf_reset(&what);
		gt_strbuf_addf(&what, "%s line %zu", name, line);
		if ((r = scan_line(&items[nr], repo, s, n, what.buf)) < 0)
			goto out;
		nr++;
	}
out:
	gt_strbuf_release(&what);
	if (r < 0) {
		free_items(items, nr);
		return r;
	}
	*out = items;
	*nr_out = nr;
	return 0;
}

static int cmp_item_id(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * sorted: the items by id, then line. Reports the earliest line that
 * repeats an id, with the id's first line.
 */
static int check_duplicates(struct item **sorted, size_t nr, const char *name)
{
	size_t again = 0, first;
	for (size_t i = 1; i < nr; i++)
		if (!strcmp(sorted[i - 1]->id, sorted[i]->id) &&
		    (!again || sorted[i]->line < sorted[again]->line))
			again = i;
	if (!again)
		return 0;
	for (first = again; first > 0 && !strcmp(sorted[first - 1]->id, sorted[again]->id);)
		first--;
	return gt_error_set(GT_EINVALID, "duplicate id '%s' in %s lines %zu and %zu",
			    sorted[again]->id, name, sorted[first]->line, sorted[again]->line);
}

static struct item *find_item(struct item **sorted, size_t nr, const char *id)
{
	size_t lo = 0, hi = nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid]->id, id);
		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct existing_ctx {
	struct item **sorted;
	size_t nr;
};

static int existing_cb(const char *refname, const char *id, const git_oid *tip,
		       void *payload)
{
	struct existing_ctx *ctx = payload;
	struct item *it = find_item(ctx->sorted, ctx->nr, id);
	(void)refname;
	if (it) {
		it->exists = 1;
		it->old = *tip;
	}
	return 0;
}

/* --- building the objects ------------------------------------------------ */

/* The changes that turn current into want; the caller frees it. */
static cJSON *diff_op(const cJSON *current, const cJSON *want)
{
	cJSON *op = gt_op_new("bead.import");
	for (const cJSON *m = want->child; m; m = m->next) {
		const cJSON *cur = cJSON_GetObjectItemCaseSensitive(current, m->string);
		if (!cur || !cJSON_Compare(cur, m, 1))
			gt_op_set(op, m->string, cJSON_Duplicate(m, 1));
	}
	for (const cJSON *m = current->child; m; m = m->next)
		if (!cJSON_GetObjectItemCaseSensitive(want, m->string))
			gt_op_unset(op, m->string);
	return op;
}

/* Build the commit of one item on the state last read. */
static int plan_one(struct item *it, gt_bulk *b, const char *buf,
		    int64_t now, const char *actor)
{
	cJSON *obj = cJSON_ParseWithLength(buf + it->off, it->len);
	cJSON *op = NULL, *snapshot = NULL;
	gt_entity *cur = NULL;
	char *message = NULL;
	uint64_t clock = 1;
	int r = 0;

	if (!obj)
		return gt_error_set(GT_ERROR, "cannot re-read line %zu", it->line);
	if (!it->exists) {
		op = gt_op_new("bead.import");
		for (const cJSON *m = obj->child; m; m = m->next)
			gt_op_set(op, m->string, cJSON_Duplicate(m, 1));
	} else {
		if ((r = gt_entity_read_commit(&cur, b->repo, &gt_bead_type, &it->old)) < 0) {
			r = gt_error_set(r, "cannot read bead %s: %s", it->id, gt_error_last());
			goto out;
		}
		op = diff_op(cur->snapshot, obj);
		if (gt_op_change_count(op) == 0) {
			it->status = GT_IMPORT_UNCHANGED;
			goto out;
		}
		clock = cur->clock + 1;
		snapshot = cur->snapshot;
		cur->snapshot = NULL;
		if ((r = gt_op_apply(snapshot, op)) < 0)
			goto out;
	}
	op = gt_entity_stamp_op(op, clock, now, actor);
	/* a new bead's snapshot is the object itself: the replay of its sets */
	if ((r = gt_entity_commit(&it->new_id, &message, b->repo, &gt_bead_type, it->id,
				  it->exists ? &it->old : NULL, op,
				  snapshot ? snapshot : obj)) < 0)
		goto out;
	gt_bulk_add_commit(b, &it->new_id);
	it->status = it->exists ? GT_IMPORT_UPDATED : GT_IMPORT_NEW;
out:
	free(message);
	gt_entity_free(cur);
	cJSON_Delete(snapshot);
	cJSON_Delete(op);
	cJSON_Delete(obj);
	return r;
}

/* --- moving the refs: packed-refs under git's locks ---------------------- */

/*
 * Move the refs of every NEW or UPDATED item not moved yet, in one
 * packed-refs rewrite (gt_refs_update_packed; see import.h). Returns 0,
 * GT_ECONFLICT when some moved meanwhile (those are marked PLAN with
 * their current value, the others committed), or an error.
 */
static int commit_refs(gt_repo *repo, struct item **sorted, size_t nr, int create_only)
{
	struct item **moving = gt_xcalloc(nr + 1, sizeof(*moving));
	gt_ref_update *u = gt_xcalloc(nr + 1, sizeof(*u));
	unsigned char *done = gt_xcalloc(nr + 1, 1);
	size_t n = 0, ndone = 0;
	int r;

	for (size_t i = 0; i < nr; i++) {
		struct item *it = sorted[i];
		if ((it->status != GT_IMPORT_NEW && it->status != GT_IMPORT_UPDATED) ||
		    it->committed)
			continue;
		moving[n] = it;
		u[n].refname = gt_entity_refname(&gt_bead_type, it->id);
		if (it->exists)
			u[n].old = it->old;
		u[n].new_id = it->new_id;
		n++;
	}
	r = gt_refs_update_packed(repo, u, n, done);
	for (size_t i = 0; i < n; i++)
		if (done[i]) {
			moving[i]->committed = 1;
			ndone++;
		}
	for (size_t i = 0; r == GT_ECONFLICT && i < n; i++) {
		struct item *it = moving[i];
		if (done[i])
			continue;
		it->exists = !git_oid_is_zero(&u[i].old);
		it->old = u[i].old;
		it->status = PLAN;
		if (create_only && it->exists) {
			r = ndone ? gt_error_set(GT_EEXISTS, "bead %s was created by another writer "
						 "meanwhile (the other beads were imported)", it->id)
				  : gt_error_set(GT_EEXISTS, "bead %s already exists", it->id);
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		free((char *)u[i].refname);
	free(done);
	free(u);
	free(moving);
	return r;
}

/* --- the whole import ---------------------------------------------------- */

/* Build, pack and move: until no other writer got in the way. */
static int write_items(struct item *items, struct item **sorted, size_t nr,
		       gt_repo *repo, const char *buf, const gt_import_opts *opts)
{
	gt_bulk b;
	struct timespec start;
	size_t done = 0;
	int64_t now = gt_now_ms();
	int r;

	if ((r = gt_entity_check_actor(gt_repo_actor(repo))) < 0 || (r = gt_bulk_open(&b, repo)) < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &start);
	srand((unsigned)getpid() ^ (unsigned)start.tv_nsec);
	for (unsigned attempt = 0;; attempt++) {
		for (size_t i = 0; i < nr; i++) {
			if (items[i].status != PLAN)
				continue;
			if ((r = plan_one(&items[i], &b, buf, now, gt_repo_actor(repo))) < 0)
				goto out;
			if (opts->progress && done < nr)
				opts->progress(++done, nr, opts->payload);
			if (b.nr >= PACK_BEADS && (r = gt_bulk_cycle(&b, repo)) < 0)
				goto out;
		}
		if ((r = gt_bulk_flush(&b, repo)) < 0)
			goto out;
		r = commit_refs(repo, sorted, nr, opts->create_only);
		if (r != GT_ECONFLICT)
			goto out;
		if (attempt + 1 >= MAX_ATTEMPTS || gt_refs_elapsed_s(&start) > 60) {
			r = gt_error_set(GT_ECONFLICT,
					 "gave up after %u lost races with other writers", attempt + 1);
			goto out;
		}
		gt_refs_backoff(attempt);
	}
out:
	gt_bulk_close(&b);
	return r;
}

int gt_import_buffer(gt_import_stats *stats, gt_repo *repo, const char *buf,
		     size_t len, const char *name, const gt_import_opts *opts)
{
	static const gt_import_opts defaults = GT_IMPORT_OPTS_INIT;
	struct item *items = NULL, **sorted = NULL;
	size_t nr = 0;
	int r;

	if (!opts)
		opts = &defaults;
	if ((r = scan(&items, &nr, repo, buf, len, name)) < 0)
		return r;
	sorted = gt_xcalloc(nr, sizeof(*sorted));
	for (size_t i = 0; i < nr; i++)
		sorted[i] = &items[i];
	if (nr > 1) /* qsort(NULL, 0) is undefined */
		qsort(sorted, nr, sizeof(*sorted), cmp_item_id);
	if ((r = check_duplicates(sorted, nr, name)) < 0)
		goto out;
	if (nr) {
		struct existing_ctx ex = { sorted, nr };
		if ((r = gt_txn_recover(repo)) < 0 ||
		    (r = gt_entity_foreach_ref(repo, &gt_bead_type, existing_cb, &ex)) < 0)
			goto out;
		for (size_t i = 0; opts->create_only && i < nr; i++)
			if (items[i].exists) {
				r = gt_error_set(GT_EEXISTS, "bead %s already exists (%s line %zu)",
						 items[i].id, name, items[i].line);
				goto out;
			}
		if ((r = write_items(items, sorted, nr, repo, buf, opts)) < 0)
			goto out;
	}
	if (stats) {
		memset(stats, 0, sizeof(*stats));
		stats->total = nr;
	}
	size_t moved = 0;
	for (size_t i = 0; i < nr; i++) {
		moved += items[i].status == GT_IMPORT_NEW || items[i].status == GT_IMPORT_UPDATED;
		if (stats && items[i].status == GT_IMPORT_NEW)
			stats->created++;
		else if (stats && items[i].status == GT_IMPORT_UPDATED)
			stats->updated++;
		else if (stats)
			stats->unchanged++;
		if (opts->each)
			opts->each(items[i].id, (gt_import_status)items[i].status, opts->payload);
	}
	gt_graph_note(repo, moved);
	r = 0;
out:
	free(sorted);
	free_items(items, nr);
	return r;
}

int gt_import_file(gt_import_stats *stats, gt_repo *repo, const char *path,
		   const gt_import_opts *opts)
{
	gt_strbuf in = GT_STRBUF_INIT;
	int stdin_ = !strcmp(path, "-");
	const char *name = stdin_ ? "<stdin>" : path;
	int r;

	if ((stdin_ ? gt_strbuf_read_fd(&in, 0) : gt_strbuf_read_file(&in, path)) < 0) {
		int e = errno;
		r = gt_error_set(e == ENOENT ? GT_ENOTFOUND : GT_ERROR,
				 "cannot read %s: %s", name, strerror(e));
		goto out;
	}
	r = gt_import_buffer(stats, repo, in.buf, in.len, name, opts);
out:
	gt_strbuf_release(&in);
	return r;
}
