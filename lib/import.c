/*
 * gt import: beads JSONL into beads, in one pack and one packed-refs
 * rewrite. The protocol and its safety are described in import.h.
 */
#include "import.h"
#include "bead.h"
#include "entity.h"
#include "error.h"
#include "json.h"
#include "strbuf.h"
#include "txn.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

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
	int loose;            /* while committing: a loose ref file exists */
	int locked;           /* while committing: we hold <ref>.lock */
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

/*
 * A second handle of the repository whose object database is ours:
 * mempack first (every write goes to memory), then a view of the real
 * object database that only reads. Before writing an object libgit2
 * asks every backend whether it exists ("freshen"); asked of the real
 * database that costs a stat of a loose file, pack index lookups and,
 * for every object that is not there yet (all of ours), a rescan of
 * objects/pack: more than everything else an import does. The view
 * answers neither, so every object goes to memory; one that happens to
 * exist on disk already is simply packed again. Flushed as one pack.
 */
struct bulk {
	gt_repo *repo;
	git_odb_backend *mempack; /* owned by the handle's odb */
	git_oid *commits;         /* written since the last flush */
	size_t nr, alloc;
};

struct view {
	git_odb_backend parent;
	git_odb *target;
};

static int view_read(void **data, size_t *len, git_object_t *type,
		     git_odb_backend *be, const git_oid *oid)
{
	struct view *v = (struct view *)be;
	git_odb_object *obj = NULL;
	int r = git_odb_read(&obj, v->target, oid);
	if (r < 0)
		return r;
	*len = git_odb_object_size(obj);
	*type = git_odb_object_type(obj);
	if (!(*data = git_odb_backend_data_alloc(be, *len + 1))) {
		git_odb_object_free(obj);
		return -1;
	}
	memcpy(*data, git_odb_object_data(obj), *len);
	((char *)*data)[*len] = '\0';
	git_odb_object_free(obj);
	return 0;
}

static int view_read_header(size_t *len, git_object_t *type, git_odb_backend *be,
			    const git_oid *oid)
{
	return git_odb_read_header(len, type, ((struct view *)be)->target, oid);
}

static void view_free(git_odb_backend *be)
{
	git_odb_free(((struct view *)be)->target);
	free(be);
}

static int view_new(git_odb_backend **out, git_repository *git)
{
	struct view *v = gt_xcalloc(1, sizeof(*v));
	int r;
	if ((r = git_odb_init_backend(&v->parent, GIT_ODB_BACKEND_VERSION)) < 0 ||
	    (r = git_repository_odb(&v->target, git)) < 0) {
		free(v);
		return r;
	}
	v->parent.read = view_read;
	v->parent.read_header = view_read_header;
	v->parent.free = view_free;
	*out = &v->parent;
	return 0;
}

static int bulk_open(struct bulk *b, gt_repo *repo)
{
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL, *view = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = gt_repo_open(&b->repo, git_repository_path(gt_repo_git(repo)))) < 0)
		return r;
	if ((r = git_odb_new(&odb)) < 0 || (r = git_mempack_new(&mp)) < 0 ||
	    (r = git_odb_add_backend(odb, mp, 2)) < 0)
		goto out;
	b->mempack = mp;
	mp = NULL; /* the odb's now */
	if ((r = view_new(&view, gt_repo_git(repo))) < 0 ||
	    (r = git_odb_add_backend(odb, view, 1)) < 0)
		goto out;
	view = NULL;
	r = git_repository_set_odb(gt_repo_git(b->repo), odb);
out:
	if (mp)
		mp->free(mp);
	if (view)
		view->free(view);
	git_odb_free(odb);
	if (r < 0) {
		r = gt_error_git(r, "cannot set up the in-memory object store");
		gt_repo_free(b->repo);
		memset(b, 0, sizeof(*b));
	}
	return r;
}

static void bulk_close(struct bulk *b)
{
	gt_repo_free(b->repo); /* frees the odb and its mempack */
	free(b->commits);
	memset(b, 0, sizeof(*b));
}

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	int r = 0;
	if (fd < 0)
		return gt_error_errno("cannot open %s", path);
	if (fsync(fd) < 0 && !(dir && errno == EINVAL))
		r = gt_error_errno("cannot sync %s", path);
	close(fd);
	return r;
}

/*
 * Write every object made since the last flush as one pack with its
 * index. The pack is built in memory and handed to the indexer in one
 * piece: fed object by object (git_packbuilder_write), libgit2 1.5's
 * indexer maps and unmaps the pack file for every object, which costs
 * more than everything else together.
 */
static int bulk_flush(struct bulk *b, git_repository *main)
{
	git_packbuilder *pb = NULL;
	git_indexer *idx = NULL;
	git_indexer_progress stats;
	git_buf dir = GIT_BUF_INIT, pack = GIT_BUF_INIT;
	gt_strbuf path = GT_STRBUF_INIT;
	size_t dirlen;
	int r = 0;

	if (!b->nr)
		return 0;
	if ((r = git_repository_item_path(&dir, main, GIT_REPOSITORY_ITEM_OBJECTS)) < 0) {
		r = gt_error_git(r, "cannot find the object directory");
		goto out;
	}
	gt_strbuf_addf(&path, "%s%spack", dir.ptr,
		       dir.size && dir.ptr[dir.size - 1] == '/' ? "" : "/");
	dirlen = path.len;
	if ((r = git_packbuilder_new(&pb, gt_repo_git(b->repo))) < 0) {
		r = gt_error_git(r, "cannot start a pack");
		goto out;
	}
	git_packbuilder_set_threads(pb, 0); /* one per core: delta search dominates */
	for (size_t i = 0; i < b->nr; i++)
		if ((r = git_packbuilder_insert_commit(pb, &b->commits[i])) < 0) {
			r = gt_error_git(r, "cannot add %s to the pack",
					 git_oid_tostr_s(&b->commits[i]));
			goto out;
		}
	if ((r = git_packbuilder_write_buf(&pack, pb)) < 0) {
		r = gt_error_git(r, "cannot build the pack");
		goto out;
	}
	mkdir(path.buf, 0777);
	if ((r = git_indexer_new(&idx, path.buf, 0, NULL, NULL)) < 0 ||
	    (r = git_indexer_append(idx, pack.ptr, pack.size, &stats)) < 0 ||
	    (r = git_indexer_commit(idx, &stats)) < 0) {
		r = gt_error_git(r, "cannot write the pack to %s", path.buf);
		goto out;
	}
	/* the refs will point into this pack: make it durable first */
	gt_strbuf_addf(&path, "/pack-%s.pack", git_indexer_name(idx));
	if ((r = fsync_path(path.buf, 0)) < 0)
		goto out;
	gt_strbuf_setlen(&path, path.len - 5);
	gt_strbuf_adds(&path, ".idx");
	if ((r = fsync_path(path.buf, 0)) < 0)
		goto out;
	gt_strbuf_setlen(&path, dirlen);
	if ((r = fsync_path(path.buf, 1)) < 0)
		goto out;
	if ((r = git_mempack_reset(b->mempack)) < 0) {
		r = gt_error_git(r, "cannot reset the in-memory object store");
		goto out;
	}
	b->nr = 0;
out:
	git_indexer_free(idx);
	git_packbuilder_free(pb);
	git_buf_dispose(&pack);
	git_buf_dispose(&dir);
	gt_strbuf_release(&path);
	return r;
}

/*
 * Flush, and start afresh: a new handle also drops libgit2's cache of
 * the trees and commits just written.
 */
static int bulk_cycle(struct bulk *b, gt_repo *repo)
{
	int r = bulk_flush(b, gt_repo_git(repo));
	bulk_close(b);
	if (r == 0)
		r = bulk_open(b, repo);
	return r;
}

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
static int plan_one(struct item *it, struct bulk *b, const char *buf,
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
	if (b->nr == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 256;
		b->commits = gt_xrealloc(b->commits, b->alloc * sizeof(*b->commits));
	}
	b->commits[b->nr++] = it->new_id;
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

struct packed_ref {
	const char *name;     /* into the file's buffer, not terminated */
	size_t name_len;
	const char *line;     /* the whole entry with its peel lines */
	size_t line_len;
};

struct packed {
	gt_strbuf text;
	char *traits;         /* the header's traits, " peeled fully-peeled ..." */
	struct packed_ref *refs;
	size_t nr, alloc;
};

static int cmp_packed(const void *a, const void *b)
{
	const struct packed_ref *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int cmp_name(const struct packed_ref *p, const char *name, size_t len)
{
	struct packed_ref q = { name, len, NULL, 0 };
	return cmp_packed(p, &q);
}

static void packed_release(struct packed *p)
{
	gt_strbuf_release(&p->text);
	free(p->traits);
	free(p->refs);
	memset(p, 0, sizeof(*p));
}

static int packed_read(struct packed *p, const char *path)
{
	const char *s, *end;
	size_t lineno = 0;
	int sorted = 1;

	memset(p, 0, sizeof(*p));
	p->text = (gt_strbuf)GT_STRBUF_INIT;
	if (gt_strbuf_read_file(&p->text, path) < 0) {
		if (errno == ENOENT) {
			p->traits = gt_xstrdup(" peeled fully-peeled");
			return 0;
		}
		return gt_error_errno("cannot read %s", path);
	}
	s = p->text.buf;
	end = s + p->text.len;
	if (p->text.len >= 17 && !memcmp(s, "# pack-refs with:", 17)) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		p->traits = gt_xstrndup(s + 17, (size_t)(nl - s - 17));
		s = nl < end ? nl + 1 : end;
		lineno++;
	} else {
		p->traits = gt_xstrdup("");
	}
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		lineno++;
		if (n && s[0] == '^' && p->nr) {
			p->refs[p->nr - 1].line_len += n + (nl ? 1 : 0);
		} else if (n > GIT_OID_HEXSZ + 1 && s[GIT_OID_HEXSZ] == ' ') {
			if (p->nr == p->alloc) {
				p->alloc = p->alloc ? p->alloc * 2 : 256;
				p->refs = gt_xrealloc(p->refs, p->alloc * sizeof(*p->refs));
			}
			struct packed_ref *r = &p->refs[p->nr++];
			r->name = s + GIT_OID_HEXSZ + 1;
			r->name_len = n - GIT_OID_HEXSZ - 1;
			if (r->name_len && r->name[r->name_len - 1] == '\r')
				r->name_len--;
			r->line = s;
			r->line_len = n + (nl ? 1 : 0);
			if (p->nr > 1 && cmp_packed(&p->refs[p->nr - 2], r) >= 0)
				sorted = 0;
		} else if (n) {
			return gt_error_set(GT_ECORRUPT, "cannot parse %s line %zu", path, lineno);
		}
		s += n + 1;
	}
	if (!sorted)
		if (p->nr > 1) /* qsort(NULL, 0) is undefined */
			qsort(p->refs, p->nr, sizeof(*p->refs), cmp_packed);
	return 0;
}

static const struct packed_ref *packed_find(const struct packed *p, const char *name)
{
	size_t lo = 0, hi = p->nr, len = strlen(name);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(&p->refs[mid], name, len);
		if (c == 0)
			return &p->refs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The traits to write: the old ones, plus "sorted" (we write in order). */
static void add_header(gt_strbuf *sb, const char *traits)
{
	gt_strbuf_addf(sb, "# pack-refs with:%s", traits);
	if (!strstr(traits, " sorted"))
		gt_strbuf_adds(sb, " sorted");
	if (!sb->len || sb->buf[sb->len - 1] != ' ')
		gt_strbuf_addch(sb, ' ');
	gt_strbuf_addch(sb, '\n');
}

struct refs_ctx {
	gt_repo *repo;
	const char *common;   /* the common dir, ending in '/' */
	struct item **moving; /* the items whose refs move, by id */
	size_t n;
	int packed_fd;        /* packed-refs.lock, or -1 */
	gt_strbuf path;       /* scratch */
};

static const char *ref_path(struct refs_ctx *c, const struct item *it,
			    const char *suffix)
{
	gt_strbuf_reset(&c->path);
	gt_strbuf_addf(&c->path, "%s%s%s%s", c->common, gt_bead_type.ref_prefix,
		       it->id, suffix);
	return c->path.buf;
}

static const char *packed_lock_path(struct refs_ctx *c)
{
	gt_strbuf_reset(&c->path);
	gt_strbuf_addf(&c->path, "%spacked-refs.lock", c->common);
	return c->path.buf;
}

/* Create path exclusively: 0, 1 when it exists (locked), or an error. */
static int take_lock(const char *path, int *fd_out)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0) {
		if (fd_out)
			*fd_out = fd;
		else
			close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 1;
	return gt_error_errno("cannot create %s", path);
}

static void release_locks(struct refs_ctx *c)
{
	if (c->packed_fd >= 0) {
		close(c->packed_fd);
		c->packed_fd = -1;
		unlink(packed_lock_path(c));
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->moving[i]->locked) {
			unlink(ref_path(c, c->moving[i], ".lock"));
			c->moving[i]->locked = 0;
		}
}

static int lock_is_stale(const char *path, long stale_s)
{
	struct stat st;
	return stat(path, &st) == 0 && time(NULL) - st.st_mtime >= stale_s;
}

static double elapsed_s(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void backoff(unsigned attempt)
{
	/* jittered exponential backoff, 1 ms doubling up to ~50 ms */
	unsigned cap = attempt < 6 ? 1000u << attempt : 50000u;
	struct timespec ts = { 0, (long)(rand() % (cap + 1)) * 1000L };
	nanosleep(&ts, NULL);
}

static long stale_seconds(gt_repo *repo)
{
	long s;
	gt_config_get_int(&s, gt_repo_config(repo), "core.staleLockSeconds", 10);
	return s;
}

/* The value of the loose ref file of it: 1 with *oid, 0 when absent. */
static int read_loose(git_oid *oid, struct refs_ctx *c, const struct item *it)
{
	const char *path = ref_path(c, it, "");
	char buf[128];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return gt_error_errno("cannot read %s", path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return gt_error_errno("cannot read %s", path);
	buf[n] = '\0';
	if (n < GIT_OID_HEXSZ || git_oid_fromstrn(oid, buf, GIT_OID_HEXSZ) < 0 ||
	    (n > GIT_OID_HEXSZ && buf[GIT_OID_HEXSZ] != '\n'))
		return gt_error_set(GT_ECORRUPT, "%s%s%s is not a commit id",
				    gt_bead_type.ref_prefix, it->id,
				    !strncmp(buf, "ref:", 4) ? " (a symbolic ref)" : "");
	return 1;
}

/*
 * One try at the locks: packed-refs.lock, then <ref>.lock of every
 * moving ref that has a loose file (the file must go once its new value
 * is packed). Never waits while holding a lock, so it cannot deadlock
 * with git, which takes them in the other order. Returns 0 with the
 * locks held and it->loose/it->locked set, 1 when a lock is taken by
 * someone else (busy names it; nothing held), or an error.
 */
static int try_lock(struct refs_ctx *c, gt_strbuf *busy)
{
	int r;

	if ((r = take_lock(packed_lock_path(c), &c->packed_fd)) != 0) {
		if (r == 1)
			gt_strbuf_adds(busy, "packed-refs");
		return r;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct item *it = c->moving[i];
		git_oid cur;
		if ((r = read_loose(&cur, c, it)) <= 0) {
			it->loose = 0;
			if (r < 0)
				goto out;
			continue;
		}
		if ((r = take_lock(ref_path(c, it, ".lock"), NULL)) != 0) {
			if (r == 1)
				gt_strbuf_addf(busy, "%s%s", gt_bead_type.ref_prefix, it->id);
			goto out;
		}
		it->locked = 1;
		/* what the file says now that nobody else can change it */
		if ((r = read_loose(&cur, c, it)) < 0)
			goto out;
		it->loose = r;
	}
	r = 0;
out:
	if (r != 0)
		release_locks(c);
	return r;
}

/* try_lock() until it works; break locks of crashed processes. */
static int lock_all(struct refs_ctx *c)
{
	struct timespec start;
	gt_strbuf busy = GT_STRBUF_INIT;
	long stale_s = stale_seconds(c->repo);
	int r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned attempt = 0;; attempt++) {
		gt_strbuf_reset(&busy);
		if ((r = try_lock(c, &busy)) <= 0)
			goto out;
		if (!strcmp(busy.buf, "packed-refs")) {
			const char *lock = packed_lock_path(c);
			if (lock_is_stale(lock, stale_s) && unlink(lock) == 0)
				attempt = 0;
		} else if (gt_txn_break_stale_lock(c->repo, busy.buf) > 0) {
			attempt = 0;
		}
		if (elapsed_s(&start) > (double)stale_s + 5) {
			r = gt_error_set(GT_ELOCKED,
					 "%s stays locked by another process "
					 "(remove %s%s.lock if no gt or git command is running)",
					 busy.buf, c->common, busy.buf);
			goto out;
		}
		backoff(attempt);
	}
out:
	gt_strbuf_release(&busy);
	return r;
}

/*
 * With the locks held: compare each ref with the value its commit was
 * built on. Items that moved are marked PLAN with their current value.
 * Returns the number of those, or an error.
 */
static int verify(struct refs_ctx *c, const struct packed *p, int create_only)
{
	int moved = 0, r;
	for (size_t i = 0; i < c->n; i++) {
		struct item *it = c->moving[i];
		git_oid cur;
		int have = 0;
		if (it->loose) {
			if ((r = read_loose(&cur, c, it)) < 0)
				return r;
			have = r;
		}
		if (!have) {
			const char *name = ref_path(c, it, "") + strlen(c->common);
			const struct packed_ref *pr = packed_find(p, name);
			if (pr && git_oid_fromstrn(&cur, pr->line, GIT_OID_HEXSZ) < 0)
				return gt_error_set(GT_ECORRUPT, "packed-refs: bad id for %s", name);
			have = pr != NULL;
		}
		if (have == it->exists && (!have || git_oid_equal(&cur, &it->old)))
			continue;
		if (have && create_only)
			return gt_error_set(GT_EEXISTS, "bead %s already exists", it->id);
		it->exists = have;
		if (have)
			it->old = cur;
		it->status = PLAN;
		moved++;
	}
	return moved;
}

/* The new packed-refs: the old entries, ours replacing or joining them. */
static void merge_packed(gt_strbuf *out, const struct packed *p, struct refs_ctx *c)
{
	size_t i = 0, j = 0;
	char hex[GIT_OID_HEXSZ + 1];
	add_header(out, p->traits);
	while (i < p->nr || j < c->n) {
		int cmp;
		if (i == p->nr) {
			cmp = 1;
		} else if (j == c->n) {
			cmp = -1;
		} else {
			const char *name = ref_path(c, c->moving[j], "") + strlen(c->common);
			cmp = cmp_name(&p->refs[i], name, strlen(name));
		}
		if (cmp < 0) {
			gt_strbuf_add(out, p->refs[i].line, p->refs[i].line_len);
			if (out->buf[out->len - 1] != '\n')
				gt_strbuf_addch(out, '\n');
			i++;
			continue;
		}
		if (cmp == 0)
			i++; /* replaced, with its peel lines */
		git_oid_tostr(hex, sizeof(hex), &c->moving[j]->new_id);
		gt_strbuf_addf(out, "%s %s%s\n", hex, gt_bead_type.ref_prefix, c->moving[j]->id);
		j++;
	}
}

/*
 * After packed-refs is in place: a ref we did not lock may have been
 * written as a loose file by a writer that had read it before our
 * commit (git and libgit2 read and write a ref under <ref>.lock). Wait
 * for such a lock to go, then look: a loose file now shadows our packed
 * value, so that writer came first and our bead is rebuilt on top of
 * its value (marked PLAN), unless its value descends from ours (it read
 * ours and came after). Returns the number of those, or an error.
 */
static int recheck(struct refs_ctx *c, int create_only)
{
	struct timespec start;
	long stale_s = stale_seconds(c->repo);
	int moved = 0, r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < c->n; i++) {
		struct item *it = c->moving[i];
		git_oid cur;
		if (it->committed)
			continue;
		for (unsigned attempt = 0; access(ref_path(c, it, ".lock"), F_OK) == 0; attempt++) {
			gt_strbuf ref = GT_STRBUF_INIT;
			gt_strbuf_addf(&ref, "%s%s", gt_bead_type.ref_prefix, it->id);
			r = gt_txn_break_stale_lock(c->repo, ref.buf);
			gt_strbuf_release(&ref);
			if (r > 0)
				break;
			if (elapsed_s(&start) > (double)stale_s + 5)
				return gt_error_set(GT_ELOCKED,
						    "%s%s stays locked by another process "
						    "(the other beads were imported: run the import again)",
						    gt_bead_type.ref_prefix, it->id);
			backoff(attempt);
		}
		if ((r = read_loose(&cur, c, it)) < 0)
			return r;
		/* no loose file, ours, or a writer that read ours and came after */
		if (r == 0 || git_oid_equal(&cur, &it->new_id) ||
		    git_graph_descendant_of(gt_repo_git(c->repo), &cur, &it->new_id) == 1) {
			it->committed = 1;
			continue;
		}
		if (create_only)
			return gt_error_set(GT_EEXISTS,
					    "bead %s was created by another writer meanwhile "
					    "(the other beads were imported)", it->id);
		it->exists = 1;
		it->old = cur;
		it->status = PLAN;
		moved++;
	}
	return moved;
}

/*
 * Move the refs of every NEW or UPDATED item not moved yet (see
 * import.h). Returns 0, GT_ECONFLICT when some moved meanwhile (those
 * are marked PLAN, the others committed), or an error.
 */
static int commit_refs(gt_repo *repo, struct item **sorted, size_t nr, int create_only)
{
	struct refs_ctx c;
	struct packed p;
	gt_strbuf out = GT_STRBUF_INIT, packed = GT_STRBUF_INIT, common = GT_STRBUF_INIT;
	int r;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.repo = repo;
	c.packed_fd = -1;
	c.path = (gt_strbuf)GT_STRBUF_INIT;
	gt_strbuf_adds(&common, git_repository_commondir(gt_repo_git(repo)));
	if (!common.len || common.buf[common.len - 1] != '/')
		gt_strbuf_addch(&common, '/');
	c.common = common.buf;
	gt_strbuf_addf(&packed, "%spacked-refs", c.common);
	c.moving = gt_xcalloc(nr, sizeof(*c.moving));
	for (size_t i = 0; i < nr; i++)
		if ((sorted[i]->status == GT_IMPORT_NEW || sorted[i]->status == GT_IMPORT_UPDATED) &&
		    !sorted[i]->committed)
			c.moving[c.n++] = sorted[i];
	if (!c.n) {
		r = 0;
		goto out;
	}
	if ((r = lock_all(&c)) < 0 || (r = packed_read(&p, packed.buf)) < 0)
		goto out;
	if ((r = verify(&c, &p, create_only)) != 0) {
		if (r > 0)
			r = GT_ECONFLICT;
		goto out;
	}
	merge_packed(&out, &p, &c);
	if (write(c.packed_fd, out.buf, out.len) != (ssize_t)out.len || fsync(c.packed_fd) < 0) {
		r = gt_error_errno("cannot write %s.lock", packed.buf);
		goto out;
	}
	close(c.packed_fd);
	c.packed_fd = -1;
	if (rename(packed_lock_path(&c), packed.buf) < 0) {
		r = gt_error_errno("cannot rename %s", c.path.buf);
		unlink(c.path.buf);
		goto out;
	}
	/* the new values are packed: drop the loose files that shadow them */
	for (size_t i = 0; i < c.n; i++) {
		struct item *it = c.moving[i];
		if (!it->locked)
			continue;
		if (it->loose && unlink(ref_path(&c, it, "")) < 0 && errno != ENOENT) {
			r = gt_error_errno("cannot remove %s", c.path.buf);
			goto out;
		}
		it->committed = 1;
	}
	release_locks(&c);
	if ((r = recheck(&c, create_only)) > 0)
		r = GT_ECONFLICT;
out:
	release_locks(&c);
	packed_release(&p);
	gt_strbuf_release(&out);
	gt_strbuf_release(&packed);
	gt_strbuf_release(&common);
	gt_strbuf_release(&c.path);
	free(c.moving);
	return r;
}

/* --- the whole import ---------------------------------------------------- */

/* Build, pack and move: until no other writer got in the way. */
static int write_items(struct item *items, struct item **sorted, size_t nr,
		       gt_repo *repo, const char *buf, const gt_import_opts *opts)
{
	struct bulk b;
	struct timespec start;
	size_t done = 0;
	int64_t now = gt_now_ms();
	int r;

	if ((r = bulk_open(&b, repo)) < 0)
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
			if (b.nr >= PACK_BEADS && (r = bulk_cycle(&b, repo)) < 0)
				goto out;
		}
		if ((r = bulk_flush(&b, gt_repo_git(repo))) < 0)
			goto out;
		r = commit_refs(repo, sorted, nr, opts->create_only);
		if (r != GT_ECONFLICT)
			goto out;
		if (attempt + 1 >= MAX_ATTEMPTS || elapsed_s(&start) > 60) {
			r = gt_error_set(GT_ECONFLICT,
					 "gave up after %u lost races with other writers", attempt + 1);
			goto out;
		}
		backoff(attempt);
	}
out:
	bulk_close(&b);
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
	for (size_t i = 0; i < nr; i++) {
		if (stats && items[i].status == GT_IMPORT_NEW)
			stats->created++;
		else if (stats && items[i].status == GT_IMPORT_UPDATED)
			stats->updated++;
		else if (stats)
			stats->unchanged++;
		if (opts->each)
			opts->each(items[i].id, (gt_import_status)items[i].status, opts->payload);
	}
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
