/*
 * The listing index and its cache file.
 *
 * File format ($GIT_COMMON_DIR/gastown/beads.idx), host byte order, made
 * to be mapped and walked without parsing anything. What listing needs
 * (the "hot" section) comes first; the snapshots' JSON (the "cold"
 * section, read only for --json and %(json)) starts on a page boundary,
 * so a listing never touches its pages.
 *
 *   header, 64 bytes
 *     0  char[8]  magic "GTINDEX\0"
 *     8  u32      format version (GT_INDEX_VERSION)
 *    12  u32      byte order mark 0x01020304 as written by the host
 *    16  u32      object id size (20)
 *    20  u32      header size (64)
 *    24  u64      number of records
 *    32  u64      size of the hot section (it starts at 64)
 *    40  u64      offset of the cold section (a multiple of 4096)
 *    48  u64      size of the cold section (it ends the file)
 *    56  u32      total labels over all records
 *    60  u32      total dependencies over all records
 *   hot section: records sorted by id (strictly ascending, bytewise),
 *   each on an 8-byte boundary:
 *     0  u32      record size in bytes (a multiple of 8, padding included)
 *     4  u32      flags: 1 tombstone, 2 damaged
 *     8  i32      priority, -1 when absent
 *    12  u32      number of labels
 *    16  u32      number of dependencies
 *    20  u32      length of the JSON text (0xffffffff: none)
 *    24  i64      created_at in ms since the epoch, INT64_MAX when absent
 *    32  i64      updated_at in ms, INT64_MAX when absent
 *    40  u64      offset of the JSON text in the cold section
 *    48  u8[20]   tip commit id
 *    68  u32      reserved, 0
 *    72  strings: id, status, issue_type, assignee, parent, created_at,
 *                 updated_at, closed_at, title, then the labels, then
 *                 (type, depends_on_id) per dependency. Each is a u32
 *                 length (0xffffffff: absent) followed by the bytes and a
 *                 NUL, so that entries point straight into the map.
 *   cold section: NUL-terminated texts: the compact snapshot of each live
 *   record, the error message of a damaged one; a tombstone has none.
 *   Its last byte is a NUL.
 *
 * Loading checks the header, the file size, every hot record's bounds,
 * terminators and id order, and that every text lies inside the cold
 * section; anything wrong makes the file count as absent, and it is
 * rebuilt. There is no checksum: the file is only ever replaced by
 * rename(2), so it is never seen half written.
 */
#include "index.h"
#include "bead.h"
#include "refs.h"
#include "entity.h"
#include "error.h"
#include "json.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define GT_INDEX_FILE "beads.idx"
#define GT_INDEX_MAGIC "GTINDEX"   /* with its NUL: 8 bytes */
#define GT_INDEX_VERSION 1
#define GT_INDEX_BOM 0x01020304u
#define HEADER_SIZE 64
#define REC_FIXED 72
#define COLD_ALIGN 4096
#define STR_ABSENT 0xffffffffu
#define NSLOTS 9

enum { SLOT_ID, SLOT_STATUS, SLOT_TYPE, SLOT_ASSIGNEE, SLOT_PARENT,
       SLOT_CREATED, SLOT_UPDATED, SLOT_CLOSED, SLOT_TITLE };

/* Field offsets in a hot record. */
#define R_SIZE 0
#define R_FLAGS 4
#define R_PRIORITY 8
#define R_NLABELS 12
#define R_NDEPS 16
#define R_JSON_LEN 20
#define R_CREATED 24
#define R_UPDATED 32
#define R_JSON_OFF 40
#define R_TIP 48

#define REC_TOMBSTONE 1u
#define REC_DAMAGED 2u

/* Returned by the files reader when it must leave the job to libgit2. */
#define FALLBACK 1

static const char bead_prefix[] = "refs/gastown/beads/";
#define BEAD_PREFIX_LEN (sizeof(bead_prefix) - 1)

/* --- small binary helpers ---------------------------------------------- */

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* --- listing refs ------------------------------------------------------- */

/*
 * Bead refs come from a "ref source" that yields them in id order
 * without allocating per ref in the common case: the loose refs (few,
 * read into a sorted list) merged with a stream over the bead lines of
 * packed-refs, mapped (git writes them in order; that is checked as they
 * come). When the layout is not one the reader knows (reftable,
 * symlinks, bead lines out of order or not understood, unreadable loose
 * refs), everything is listed through libgit2 instead, into the sorted
 * list.
 *
 * Why not libgit2 alone: at 100k packed bead refs its iterator takes
 * about 120 ms (it parses all of packed-refs into a sorted cache and
 * allocates a reference per ref), more than the whole listing budget.
 */

/* Ordering of ids given with their lengths (bytewise, as strcmp). */
static int cmp_id(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

struct refacc {
	gt_strbuf arena;
	size_t *off;
	git_oid *tips;
	size_t n, alloc;
};
#define REFACC_INIT { GT_STRBUF_INIT, NULL, NULL, 0, 0 }

static void acc_push(struct refacc *a, const char *id, size_t len,
		     const git_oid *tip)
{
	if (a->n == a->alloc) {
		a->alloc = a->alloc ? a->alloc * 2 : 64;
		a->off = gt_xrealloc(a->off, a->alloc * sizeof(*a->off));
		a->tips = gt_xrealloc(a->tips, a->alloc * sizeof(*a->tips));
	}
	a->off[a->n] = a->arena.len;
	a->tips[a->n] = *tip;
	a->n++;
	gt_strbuf_add(&a->arena, id, len);
	gt_strbuf_addch(&a->arena, '\0');
}

static void acc_release(struct refacc *a)
{
	gt_strbuf_release(&a->arena);
	free(a->off);
	free(a->tips);
	memset(a, 0, sizeof(*a));
}

struct sortctx {
	const char *arena;
	const size_t *off;
};

/* By id, then by push order (so that the loose ref of an id comes first). */
static int cmp_pos(const void *x, const void *y, void *payload)
{
	const struct sortctx *c = payload;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int r = strcmp(c->arena + c->off[a], c->arena + c->off[b]);
	return r ? r : a < b ? -1 : a > b;
}

/* Turn the accumulated refs into a sorted list, the first of equal ids kept. */
static void acc_finish(gt_index__reflist *out, struct refacc *a)
{
	struct sortctx ctx = { a->arena.buf, a->off };
	size_t *order = gt_xmalloc((a->n ? a->n : 1) * sizeof(*order)), k = 0;

	for (size_t i = 0; i < a->n; i++)
		order[i] = i;
	qsort_r(order, a->n, sizeof(*order), cmp_pos, &ctx);
	out->ids = gt_xmalloc((a->n ? a->n : 1) * sizeof(*out->ids));
	out->tips = gt_xmalloc((a->n ? a->n : 1) * sizeof(*out->tips));
	for (size_t i = 0; i < a->n; i++) {
		size_t at = order[i];
		if (k && !strcmp(out->ids[k - 1], a->arena.buf + a->off[at]))
			continue; /* equal ids: the first pushed wins */
		out->ids[k] = a->arena.buf + a->off[at];
		out->tips[k] = a->tips[at];
		k++;
	}
	out->n = k;
	out->arena = gt_strbuf_detach(&a->arena); /* the same buffer: ids stay valid */
	free(order);
	acc_release(a);
}

void gt_index__reflist_clear(gt_index__reflist *l)
{
	free(l->ids);
	free(l->tips);
	free(l->arena);
	memset(l, 0, sizeof(*l));
}

static int read_loose_ref(git_oid *out, const char *path)
{
	char buf[128];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -1 : FALLBACK; /* gone: deleted or packed */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n >= 4 && !memcmp(buf, "ref:", 4))
		return -1; /* symbolic: not an entity ref (libgit2's listing skips it) */
	if (n < GIT_OID_HEXSZ || git_oid_fromstrn(out, buf, GIT_OID_HEXSZ) < 0 ||
	    (n > GIT_OID_HEXSZ && buf[GIT_OID_HEXSZ] != '\n'))
		return FALLBACK;
	return 0;
}

/* Loose refs under path (recursively); id holds the id prefix so far. */
static int read_loose_dir(struct refacc *a, gt_strbuf *path, gt_strbuf *id)
{
	size_t plen = path->len, idlen = id->len;
	struct dirent *de;
	DIR *d = opendir(path->buf);
	int r = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : FALLBACK;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		size_t nlen = strlen(name);
		unsigned char type = de->d_type;
		git_oid oid;

		if (name[0] == '.' ||
		    (nlen >= 5 && !strcmp(name + nlen - 5, ".lock")))
			continue;
		gt_strbuf_setlen(path, plen);
		gt_strbuf_addch(path, '/');
		gt_strbuf_add(path, name, nlen);
		gt_strbuf_setlen(id, idlen);
		if (idlen)
			gt_strbuf_addch(id, '/');
		gt_strbuf_add(id, name, nlen);
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (lstat(path->buf, &st) < 0) {
				if (errno == ENOENT)
					continue;
				r = FALLBACK;
				break;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type == DT_DIR) {
			if ((r = read_loose_dir(a, path, id)))
				break;
			continue;
		}
		if (type != DT_REG) {
			r = FALLBACK; /* a symlink ref: leave it to libgit2 */
			break;
		}
		int got = read_loose_ref(&oid, path->buf);
		if (got == FALLBACK) {
			r = FALLBACK;
			break;
		}
		if (got == 0)
			acc_push(a, id->buf, id->len, &oid);
	}
	closedir(d);
	gt_strbuf_setlen(path, plen);
	gt_strbuf_setlen(id, idlen);
	return r;
}

struct refsrc {
	gt_index__reflist list;     /* sorted: loose refs, or all refs */
	size_t li;
	const char *map;            /* packed-refs, mapped */
	size_t map_size;
	const char *pp, *pend;      /* the lines left to stream */
	int have_packed;            /* a packed ref is peeked */
	int bad;                    /* packed-refs was not understood */
	const char *pk_id;
	size_t pk_len;
	git_oid pk_tip;
	int fast;
	/* the current ref */
	const char *id;
	size_t id_len;
	git_oid tip;
};

/*
 * Start streaming packed-refs (past its header): 0, or FALLBACK when the
 * file does not end with a newline.
 *
 * The "sorted" trait of the header is not trusted: every line is looked
 * at, and the bead lines must come in strictly ascending order (git
 * writes them so), which packed_next() checks.
 */
static int packed_begin(struct refsrc *s)
{
	const char *p = s->map, *end = s->map + s->map_size;

	if (end[-1] != '\n')
		return FALLBACK;
	if (*p == '#')
		p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
	s->pp = p;
	s->pend = end;
	return 0;
}

/*
 * Peek the next bead ref of packed-refs into s->pk_*: 1, or 0 at the
 * end. A line it does not understand, or bead refs out of order, set
 * s->bad (and end the stream): the caller then starts again with libgit2.
 */
static int packed_next(struct refsrc *s)
{
	while (s->pp < s->pend) {
		const char *p = s->pp;
		const char *eol = memchr(p, '\n', (size_t)(s->pend - p)); /* the file ends with one */
		size_t len = (size_t)(eol - p);
		s->pp = eol + 1;
		if (*p == '^')
			continue; /* the peeled value of the line before */
		if (len < GIT_OID_HEXSZ + 2 || p[GIT_OID_HEXSZ] != ' ') {
			s->bad = 1;
			break;
		}
		const char *name = p + GIT_OID_HEXSZ + 1;
		size_t nlen = len - GIT_OID_HEXSZ - 1;
		if (nlen <= BEAD_PREFIX_LEN || memcmp(name, bead_prefix, BEAD_PREFIX_LEN))
			continue;
		const char *id = name + BEAD_PREFIX_LEN;
		size_t id_len = nlen - BEAD_PREFIX_LEN;
		if (git_oid_fromstrn(&s->pk_tip, p, GIT_OID_HEXSZ) < 0 ||
		    memchr(id, '\0', id_len) ||
		    (s->pk_id && cmp_id(s->pk_id, s->pk_len, id, id_len) >= 0)) {
			s->bad = 1;
			break;
		}
		s->pk_id = id;
		s->pk_len = id_len;
		s->have_packed = 1;
		return 1;
	}
	s->pp = s->pend;
	return 0;
}

/*
 * The files backend read as git does: loose refs first, then
 * packed-refs (a ref packed meanwhile is then found packed).
 */
static int refsrc_open_files(struct refsrc *s, gt_repo *repo)
{
	const char *common = git_repository_commondir(gt_repo_git(repo));
	gt_strbuf path = GT_STRBUF_INIT, id = GT_STRBUF_INIT;
	struct refacc a = REFACC_INIT;
	struct stat st;
	int fd, r;

	gt_strbuf_adds(&path, common);
	while (path.len > 1 && path.buf[path.len - 1] == '/')
		gt_strbuf_setlen(&path, path.len - 1);
	size_t base = path.len;
	gt_strbuf_adds(&path, "/reftable");
	if (stat(path.buf, &st) == 0) {
		r = FALLBACK; /* not the files backend */
		goto out;
	}
	gt_strbuf_setlen(&path, base);
	gt_strbuf_adds(&path, "/refs/gastown/beads");
	if ((r = read_loose_dir(&a, &path, &id)))
		goto out;
	gt_strbuf_setlen(&path, base);
	gt_strbuf_adds(&path, "/packed-refs");
	fd = open(path.buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : FALLBACK;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		r = FALLBACK;
		goto out;
	}
	if (st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			close(fd);
			r = FALLBACK;
			goto out;
		}
		s->map = map;
		s->map_size = (size_t)st.st_size;
		r = packed_begin(s);
	}
	close(fd);
out:
	if (!r)
		acc_finish(&s->list, &a);
	acc_release(&a);
	gt_strbuf_release(&path);
	gt_strbuf_release(&id);
	return r;
}

static int acc_cb(const char *refname, const char *id, const git_oid *tip,
		  void *payload)
{
	(void)refname;
	acc_push(payload, id, strlen(id), tip);
	return 0;
}

static void refsrc_close(struct refsrc *s)
{
	gt_index__reflist_clear(&s->list);
	if (s->map)
		munmap((void *)s->map, s->map_size);
	memset(s, 0, sizeof(*s));
}

/*
 * The wisps: few, and read through lib/refs (loose files and a binary
 * search of packed-refs), never through libgit2's iterator, which would
 * parse the whole packed-refs file of a large ledger.
 */
static int refsrc_open_wisps(struct refsrc *s, gt_repo *repo)
{
	struct refacc a = REFACC_INIT;
	gt_strlist names = GT_STRLIST_INIT;
	size_t plen = strlen(gt_wisp_type.ref_prefix);
	int r = gt_refs_list_prefix(&names, gt_repo_git(repo), gt_wisp_type.ref_prefix);

	for (size_t i = 0; r == 0 && i < names.nr; i++) {
		git_oid tip;
		int got = gt_refs_read(&tip, gt_repo_git(repo), names.items[i]);
		if (got == 0)
			acc_push(&a, names.items[i] + plen, strlen(names.items[i]) - plen, &tip);
		else if (got != GT_ENOTFOUND)
			r = got;
	}
	if (r == 0)
		acc_finish(&s->list, &a);
	acc_release(&a);
	gt_strlist_clear(&names);
	return r;
}

static int refsrc_open(struct refsrc *s, gt_repo *repo, int fast, unsigned flags)
{
	struct refacc a = REFACC_INIT;
	int r;

	memset(s, 0, sizeof(*s));
	if (flags & GT_INDEX_WISPS)
		return refsrc_open_wisps(s, repo);
	if (fast) {
		if ((r = refsrc_open_files(s, repo)) != FALLBACK) {
			s->fast = 1;
			return r;
		}
		refsrc_close(s);
	}
	if ((r = gt_entity_foreach_ref(repo, &gt_bead_type, acc_cb, &a)) < 0) {
		acc_release(&a);
		return r;
	}
	acc_finish(&s->list, &a);
	return 0;
}

/* Step to the next ref in id order: 1, or 0 at the end. */
static int refsrc_next(struct refsrc *s)
{
	const char *lid = NULL;
	size_t llen = 0;
	int c;

	if (!s->have_packed && s->pp < s->pend)
		packed_next(s);
	if (s->li < s->list.n) {
		lid = s->list.ids[s->li];
		llen = strlen(lid);
	}
	if (!lid && !s->have_packed)
		return 0;
	c = !lid ? 1 : !s->have_packed ? -1 : cmp_id(lid, llen, s->pk_id, s->pk_len);
	if (c <= 0) {
		s->id = lid;
		s->id_len = llen;
		s->tip = s->list.tips[s->li++];
		if (c == 0)
			s->have_packed = 0; /* the loose ref wins over the packed one */
	} else {
		s->id = s->pk_id;
		s->id_len = s->pk_len;
		s->tip = s->pk_tip;
		s->have_packed = 0;
	}
	return 1;
}

int gt_index__list_refs(gt_index__reflist *out, gt_repo *repo, int fast,
			int *used_fast)
{
	struct refsrc s;
	struct refacc a = REFACC_INIT;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = refsrc_open(&s, repo, fast, 0)) < 0)
		return r;
	*used_fast = s.fast;
	while (refsrc_next(&s))
		acc_push(&a, s.id, s.id_len, &s.tip);
	if (s.bad) {
		/* packed-refs not understood half way: everything through libgit2 */
		refsrc_close(&s);
		acc_release(&a);
		if ((r = refsrc_open(&s, repo, 0, 0)) < 0)
			return r;
		*used_fast = 0;
		while (refsrc_next(&s))
			acc_push(&a, s.id, s.id_len, &s.tip);
	}
	acc_finish(out, &a);
	refsrc_close(&s);
	return 0;
}

/* --- records ------------------------------------------------------------ */

static void put_str(gt_strbuf *sb, const char *s)
{
	unsigned char n[4];
	size_t len = s ? strlen(s) : 0;

	put_u32(n, s ? (uint32_t)len : STR_ABSENT);
	gt_strbuf_add(sb, n, 4);
	if (s) {
		gt_strbuf_add(sb, s, len);
		gt_strbuf_addch(sb, '\0');
	}
}

static int64_t time_ms(const char *s)
{
	int64_t t = s ? gt_parse_time(s) : -1;
	return t == -1 ? INT64_MAX : t;
}

/*
 * Append the record of id at tip to hot, its text to cold: the snapshot
 * snap, or, when snap is NULL, a damaged record holding error.
 */
static void encode_record(gt_strbuf *hot, gt_strbuf *cold, const char *id,
			  const git_oid *tip, const cJSON *snap, const char *error)
{
	size_t start = hot->len;
	unsigned char fixed[REC_FIXED];
	uint32_t flags = 0, nlabels = 0, ndeps = 0;
	int32_t priority = -1;
	int64_t created = INT64_MAX, updated = INT64_MAX;
	const cJSON *labels = NULL, *deps = NULL, *v;
	char *json = NULL;
	const char *text;

	if (!snap)
		flags |= REC_DAMAGED;
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, GT_TOMBSTONE_KEY)))
		flags |= REC_TOMBSTONE;
	if (!flags) {
		v = cJSON_GetObjectItemCaseSensitive(snap, "priority");
		if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
		    v->valuedouble <= INT32_MAX &&
		    v->valuedouble == (double)(int32_t)v->valuedouble)
			priority = (int32_t)v->valuedouble;
		created = time_ms(gt_json_str(snap, "created_at"));
		updated = time_ms(gt_json_str(snap, "updated_at"));
		labels = cJSON_GetObjectItemCaseSensitive(snap, "labels");
		if (!cJSON_IsArray(labels))
			labels = NULL;
		cJSON_ArrayForEach(v, labels)
			if (cJSON_IsString(v))
				nlabels++;
		deps = cJSON_GetObjectItemCaseSensitive(snap, "dependencies");
		if (!cJSON_IsArray(deps))
			deps = NULL;
		cJSON_ArrayForEach(v, deps)
			if (gt_json_str(v, "depends_on_id"))
				ndeps++;
		json = gt_json_print(snap);
	}
	text = flags & REC_DAMAGED ? error : json;
	memset(fixed, 0, sizeof(fixed));
	put_u32(fixed + R_FLAGS, flags);
	put_u32(fixed + R_PRIORITY, (uint32_t)priority);
	put_u32(fixed + R_NLABELS, nlabels);
	put_u32(fixed + R_NDEPS, ndeps);
	put_u32(fixed + R_JSON_LEN, text ? (uint32_t)strlen(text) : STR_ABSENT);
	put_u64(fixed + R_CREATED, (uint64_t)created);
	put_u64(fixed + R_UPDATED, (uint64_t)updated);
	put_u64(fixed + R_JSON_OFF, text ? cold->len : 0);
	memcpy(fixed + R_TIP, tip->id, GIT_OID_RAWSZ);
	gt_strbuf_add(hot, fixed, sizeof(fixed));
	if (text) {
		gt_strbuf_adds(cold, text);
		gt_strbuf_addch(cold, '\0');
	}

	put_str(hot, id);
	if (flags) {
		for (int i = 1; i < NSLOTS; i++)
			put_str(hot, NULL);
	} else {
		put_str(hot, gt_json_str(snap, "status"));
		put_str(hot, gt_json_str(snap, "issue_type"));
		put_str(hot, gt_json_str(snap, "assignee"));
		put_str(hot, gt_json_str(snap, "parent"));
		put_str(hot, gt_json_str(snap, "created_at"));
		put_str(hot, gt_json_str(snap, "updated_at"));
		put_str(hot, gt_json_str(snap, "closed_at"));
		put_str(hot, gt_json_str(snap, "title"));
		cJSON_ArrayForEach(v, labels)
			if (cJSON_IsString(v))
				put_str(hot, v->valuestring);
		cJSON_ArrayForEach(v, deps)
			if (gt_json_str(v, "depends_on_id")) {
				put_str(hot, gt_json_str(v, "type"));
				put_str(hot, gt_json_str(v, "depends_on_id"));
			}
	}
	while ((hot->len - start) % 8)
		gt_strbuf_addch(hot, '\0');
	put_u32((unsigned char *)hot->buf + start, (uint32_t)(hot->len - start));
	free(json);
}

/*
 * The arrays of a parse live in one block. A large block is mapped on its
 * own, asked for huge pages and populated in one call: on virtual
 * machines the first touch of each fresh 4 KiB page, and TLB misses over
 * many small pages, cost far more than the work done on them (measured:
 * 16 MiB of entries filled in about 1.5 ms this way against 17 ms with
 * plain malloc).
 */
#define BIG_BLOCK (256 * 1024)
#define HUGE_PAGE (2 * 1024 * 1024)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct block {
	void *map;      /* the mapping (NULL when malloc()ed) */
	size_t len;
	char *base;     /* the usable, aligned start */
};

static void *block_alloc(struct block *b, size_t size)
{
	b->map = NULL;
	b->len = 0;
	if (size >= BIG_BLOCK) {
		size_t len = size + HUGE_PAGE;
		void *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map != MAP_FAILED) {
			uintptr_t at = ((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
			b->map = map;
			b->len = len;
			b->base = (char *)at;
			/* hints: failures only cost speed */
			madvise(b->base, size, MADV_HUGEPAGE);
			madvise(b->base, size, MADV_POPULATE_WRITE);
			return b->base;
		}
	}
	b->base = gt_xmalloc(size ? size : 1);
	return b->base;
}

static void block_free(struct block *b)
{
	if (b->map)
		munmap(b->map, b->len);
	else
		free(b->base);
	memset(b, 0, sizeof(*b));
}

/* Everything parsed out of one cache image. */
struct parsed {
	struct block block;       /* holds rec_off, entries, labels and deps */
	const unsigned char *base;
	const char *cold;
	size_t *rec_off;          /* every record (tombstones too): its offset */
	size_t nrecs;
	gt_index_entry *entries;  /* live records */
	size_t nentries;
	gt_index_entry *damaged;
	size_t ndamaged;
	const char **labels;
	size_t nlabels;
	gt_index_dep *deps;
	size_t ndeps;
};

static void parsed_release(struct parsed *p)
{
	block_free(&p->block);
	free(p->damaged);
	memset(p, 0, sizeof(*p));
}

/* The parts of the record at off. */
static const char *rec_id(const struct parsed *p, size_t off, size_t *len)
{
	*len = get_u32(p->base + off + REC_FIXED);
	return (const char *)p->base + off + REC_FIXED + 4;
}

static uint32_t rec_flags(const struct parsed *p, size_t off)
{
	return get_u32(p->base + off + R_FLAGS);
}

static const char *rec_text(const struct parsed *p, size_t off, size_t *len)
{
	uint32_t n = get_u32(p->base + off + R_JSON_LEN);
	*len = n == STR_ABSENT ? 0 : n;
	return n == STR_ABSENT ? NULL : p->cold + get_u64(p->base + off + R_JSON_OFF);
}

/* Read a string at *pos within [.., end); -1 when out of bounds. */
static int get_str(const char **out, const unsigned char *base, size_t *pos,
		   size_t end)
{
	uint32_t len;
	if (end - *pos < 4)
		return -1;
	len = get_u32(base + *pos);
	*pos += 4;
	if (len == STR_ABSENT) {
		*out = NULL;
		return 0;
	}
	if (end - *pos < (size_t)len + 1 || base[*pos + len] != '\0')
		return -1;
	*out = (const char *)base + *pos;
	*pos += (size_t)len + 1;
	return 0;
}

/*
 * Parse an image of the cache file: base[0..size) holds at least the
 * header and the hot section, cold[0..cold_size) the cold section (whose
 * offset in the file the header gives). Returns 0, or -1 when anything
 * is out of place (no error recorded: the caller rebuilds). Reads
 * nothing of the cold section but its last byte.
 */
static int parse_image(struct parsed *p, const unsigned char *base, size_t size,
		       const char *cold, size_t file_size)
{
	uint64_t count, hot_size, cold_off, cold_size;
	uint32_t tlabels, tdeps;
	size_t pos = HEADER_SIZE, hot_end, nl = 0, nd = 0, nrecs = 0;
	const char *prev = NULL;
	size_t prev_len = 0;

	memset(p, 0, sizeof(*p));
	if (size < HEADER_SIZE || memcmp(base, GT_INDEX_MAGIC, 8) ||
	    get_u32(base + 8) != GT_INDEX_VERSION ||
	    get_u32(base + 12) != GT_INDEX_BOM ||
	    get_u32(base + 16) != GIT_OID_RAWSZ ||
	    get_u32(base + 20) != HEADER_SIZE)
		return -1;
	count = get_u64(base + 24);
	hot_size = get_u64(base + 32);
	cold_off = get_u64(base + 40);
	cold_size = get_u64(base + 48);
	tlabels = get_u32(base + 56);
	tdeps = get_u32(base + 60);
	if (hot_size > size - HEADER_SIZE || cold_off % COLD_ALIGN ||
	    cold_off < HEADER_SIZE + hot_size || cold_off > file_size ||
	    cold_size != file_size - cold_off ||
	    (cold_size && cold[cold_size - 1] != '\0') ||
	    count > hot_size / REC_FIXED || tlabels > hot_size / 5 ||
	    tdeps > hot_size / 9)
		return -1;
	hot_end = HEADER_SIZE + hot_size;
	p->base = base;
	p->cold = cold;
	p->nrecs = count;
	p->nlabels = tlabels;
	p->ndeps = tdeps;
	{
		/* every piece a multiple of 8 bytes, so the next stays aligned */
		size_t a = count * sizeof(*p->rec_off), b = count * sizeof(*p->entries);
		size_t c = (size_t)tlabels * sizeof(*p->labels);
		size_t d = (size_t)tdeps * sizeof(*p->deps);
		char *m = block_alloc(&p->block, a + b + c + d);
		p->rec_off = (size_t *)m;
		p->entries = (gt_index_entry *)(m + a);
		p->labels = (const char **)(m + a + b);
		p->deps = (gt_index_dep *)(m + a + b + c);
	}

	for (; nrecs < count; nrecs++) {
		gt_index_entry *e = &p->entries[p->nentries];
		const char *s[NSLOTS];
		size_t rsize, end, q, id_len;
		uint32_t flags, nlabels, ndeps, text_len;
		uint64_t text_off;

		if (hot_end - pos < REC_FIXED)
			goto bad;
		rsize = get_u32(base + pos + R_SIZE);
		if (rsize < REC_FIXED || rsize % 8 || rsize > hot_end - pos)
			goto bad;
		end = pos + rsize;
		p->rec_off[nrecs] = pos;
		flags = get_u32(base + pos + R_FLAGS);
		nlabels = get_u32(base + pos + R_NLABELS);
		ndeps = get_u32(base + pos + R_NDEPS);
		text_len = get_u32(base + pos + R_JSON_LEN);
		text_off = get_u64(base + pos + R_JSON_OFF);
		if (flags & ~(REC_TOMBSTONE | REC_DAMAGED))
			goto bad;
		if (text_len == STR_ABSENT ? !(flags & REC_TOMBSTONE) :
		    text_off >= cold_size || text_len > cold_size - text_off - 1)
			goto bad;
		q = pos + REC_FIXED;
		for (int k = 0; k < NSLOTS; k++)
			if (get_str(&s[k], base, &q, end) < 0)
				goto bad;
		if (!s[SLOT_ID])
			goto bad;
		id_len = get_u32(base + pos + REC_FIXED);
		if (prev && cmp_id(prev, prev_len, s[SLOT_ID], id_len) >= 0)
			goto bad;
		prev = s[SLOT_ID];
		prev_len = id_len;
		if (nlabels > tlabels - nl || ndeps > tdeps - nd)
			goto bad;

		e->id = s[SLOT_ID];
		memcpy(e->tip.id, base + pos + R_TIP, GIT_OID_RAWSZ);
		e->status = s[SLOT_STATUS];
		e->priority = (int32_t)get_u32(base + pos + R_PRIORITY);
		e->issue_type = s[SLOT_TYPE];
		e->assignee = s[SLOT_ASSIGNEE];
		e->parent = s[SLOT_PARENT];
		e->created_at = s[SLOT_CREATED];
		e->updated_at = s[SLOT_UPDATED];
		e->closed_at = s[SLOT_CLOSED];
		e->created_ms = (int64_t)get_u64(base + pos + R_CREATED);
		e->updated_ms = (int64_t)get_u64(base + pos + R_UPDATED);
		e->title = s[SLOT_TITLE];
		e->labels = p->labels + nl;
		e->nlabels = nlabels;
		for (uint32_t k = 0; k < nlabels; k++, nl++)
			if (get_str(&p->labels[nl], base, &q, end) < 0 || !p->labels[nl])
				goto bad;
		e->deps = p->deps + nd;
		e->ndeps = ndeps;
		for (uint32_t k = 0; k < ndeps; k++, nd++)
			if (get_str(&p->deps[nd].type, base, &q, end) < 0 ||
			    get_str(&p->deps[nd].depends_on_id, base, &q, end) < 0 ||
			    !p->deps[nd].depends_on_id)
				goto bad;
		e->json = text_len == STR_ABSENT ? NULL : p->cold + text_off;
		e->json_len = text_len == STR_ABSENT ? 0 : text_len;
		e->error = NULL;
		if (!flags)
			p->nentries++;
		else if (flags & REC_DAMAGED)
			p->ndamaged++;
		pos = end;
	}
	if (pos != hot_end || nl != tlabels || nd != tdeps)
		goto bad;

	if (p->ndamaged) {
		p->damaged = gt_xcalloc(p->ndamaged, sizeof(*p->damaged));
		for (size_t i = 0, k = 0; i < p->nrecs; i++) {
			size_t off = p->rec_off[i], len;
			gt_index_entry *d = &p->damaged[k];
			if (!(rec_flags(p, off) & REC_DAMAGED))
				continue;
			d->id = rec_id(p, off, &len);
			memcpy(d->tip.id, base + off + R_TIP, GIT_OID_RAWSZ);
			d->priority = -1;
			d->created_ms = d->updated_ms = INT64_MAX;
			d->error = rec_text(p, off, &len);
			k++;
		}
	}
	return 0;
bad:
	parsed_release(p);
	return -1;
}

/* --- loading ------------------------------------------------------------ */

struct gt_index {
	void *map;               /* the cache file mapped, or NULL */
	size_t map_size;
	char *image;             /* or the image built in memory */
	struct parsed p;
	gt_index_stats stats;
};

char *gt_index_path(const gt_repo *repo)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "%s/%s", gt_repo_gastown_dir(repo), GT_INDEX_FILE);
	return gt_strbuf_detach(&sb);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* Map the cache file and parse it; the index is left empty on any trouble. */
static void load_cache(gt_index *ix, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *map;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_size < HEADER_SIZE) {
		close(fd);
		return;
	}
	size_t file_size = (size_t)st.st_size;
	unsigned char header[HEADER_SIZE];
	if (pread(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header)) {
		close(fd);
		return;
	}
	uint64_t hot = get_u64(header + 32);
	uint64_t cold_off = get_u64(header + 40);
	if (hot > file_size - HEADER_SIZE || cold_off > file_size) {
		close(fd);
		return;
	}
	hot += HEADER_SIZE;
	map = mmap(NULL, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	/*
	 * Map the hot pages in one call rather than fault them in one by one;
	 * the cold section is left alone: listings never touch it. (Reading
	 * the hot section into memory of our own instead measured no faster:
	 * fresh memory costs as much to touch as mapped page cache.)
	 */
	madvise(map, (size_t)hot, MADV_POPULATE_READ); /* a hint: failure is fine */
	if (parse_image(&ix->p, map, (size_t)hot, (const char *)map + cold_off,
			file_size) < 0) {
		munmap(map, file_size);
		return;
	}
	ix->map = map;
	ix->map_size = file_size;
	ix->stats.cache_valid = 1;
	ix->stats.cached = ix->p.nrecs;
}

/* Records read afresh from the object database, in id order. */
struct fresh {
	gt_strbuf hot, cold;
	size_t *off;             /* each record's offset in hot */
	size_t n, alloc;
};

/* Read the snapshot of id at tip and encode it; 1 when damaged. */
static int read_fresh(struct fresh *f, gt_repo *repo, const char *prefix, const char *id,
		      const git_oid *tip)
{
	gt_strbuf refname = GT_STRBUF_INIT;
	cJSON *snap = NULL;
	int damaged = 0;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 64;
		f->off = gt_xrealloc(f->off, f->alloc * sizeof(*f->off));
	}
	f->off[f->n++] = f->hot.len;
	gt_strbuf_addf(&refname, "%s%s", prefix, id);
	if (gt_entity_read_snapshot(&snap, gt_repo_git(repo), &gt_bead_type, tip,
				    refname.buf) < 0) {
		encode_record(&f->hot, &f->cold, id, tip, NULL, gt_error_last());
		gt_error_clear();
		damaged = 1;
	} else {
		encode_record(&f->hot, &f->cold, id, tip, snap, NULL);
	}
	cJSON_Delete(snap);
	gt_strbuf_release(&refname);
	return damaged;
}

/*
 * A new image, made of the cached records marked in keep merged in id
 * order with the fresh ones: the header and hot section built in memory,
 * the cold section as pieces of the old mapping and of the fresh texts
 * (the texts of records kept in a row are one piece), so that one
 * changed bead does not cost a copy of every snapshot.
 */
struct image {
	struct block hot;       /* header, hot section, padding */
	size_t hot_len;         /* through the padding: the cold offset */
	struct iovec *cold;
	size_t ncold, alloc;
	size_t cold_len;
};

static void image_release(struct image *im)
{
	block_free(&im->hot);
	free(im->cold);
	memset(im, 0, sizeof(*im));
}

static void add_text(struct image *im, const char *text, size_t len)
{
	struct iovec *last = im->ncold ? &im->cold[im->ncold - 1] : NULL;
	len++; /* with its NUL */
	im->cold_len += len;
	if (last && (const char *)last->iov_base + last->iov_len == text) {
		last->iov_len += len;
		return;
	}
	if (im->ncold == im->alloc) {
		im->alloc = im->alloc ? im->alloc * 2 : 64;
		im->cold = gt_xrealloc(im->cold, im->alloc * sizeof(*im->cold));
	}
	im->cold[im->ncold].iov_base = (void *)text;
	im->cold[im->ncold].iov_len = len;
	im->ncold++;
}

/* Walk the records of the new image in order: fn(rec, text, text_len). */
static void merge_records(const struct parsed *old, const unsigned char *keep,
			  const struct fresh *f,
			  void (*fn)(const unsigned char *rec, const char *text,
				     size_t text_len, void *payload),
			  void *payload)
{
	size_t i = 0, k = 0;
	for (;;) {
		const unsigned char *frec = NULL;
		size_t olen = 0, flen = 0, tlen;
		const char *oid_ = NULL, *fid = NULL, *text;

		while (i < old->nrecs && !keep[i])
			i++;
		if (i < old->nrecs)
			oid_ = rec_id(old, old->rec_off[i], &olen);
		if (k < f->n) {
			frec = (const unsigned char *)f->hot.buf + f->off[k];
			flen = get_u32(frec + REC_FIXED);
			fid = (const char *)frec + REC_FIXED + 4;
		}
		if (!oid_ && !fid)
			break;
		if (oid_ && (!fid || cmp_id(oid_, olen, fid, flen) < 0)) {
			text = rec_text(old, old->rec_off[i], &tlen);
			fn(old->base + old->rec_off[i], text, tlen, payload);
			i++;
		} else {
			uint32_t n = get_u32(frec + R_JSON_LEN);
			text = n == STR_ABSENT ? NULL :
			       f->cold.buf + get_u64(frec + R_JSON_OFF);
			fn(frec, text, n == STR_ABSENT ? 0 : n, payload);
			k++;
		}
	}
}

struct sizes {
	size_t hot, count;
};

static void count_record(const unsigned char *rec, const char *text,
			 size_t text_len, void *payload)
{
	struct sizes *z = payload;
	(void)text;
	(void)text_len;
	z->hot += get_u32(rec + R_SIZE);
	z->count++;
}

struct filling {
	struct image *im;
	size_t at;
	uint64_t labels, deps;
};

static void fill_record(const unsigned char *rec, const char *text,
			size_t text_len, void *payload)
{
	struct filling *fl = payload;
	unsigned char *to = (unsigned char *)fl->im->hot.base + fl->at;
	uint32_t size = get_u32(rec + R_SIZE);

	memcpy(to, rec, size);
	put_u64(to + R_JSON_OFF, text ? fl->im->cold_len : 0);
	if (text)
		add_text(fl->im, text, text_len);
	fl->labels += get_u32(rec + R_NLABELS);
	fl->deps += get_u32(rec + R_NDEPS);
	fl->at += size;
}

static void build_image(struct image *im, const struct parsed *old,
			const unsigned char *keep, const struct fresh *f)
{
	struct sizes z = { 0, 0 };
	struct filling fl = { im, HEADER_SIZE, 0, 0 };

	memset(im, 0, sizeof(*im));
	merge_records(old, keep, f, count_record, &z);
	im->hot_len = (HEADER_SIZE + z.hot + COLD_ALIGN - 1) / COLD_ALIGN * COLD_ALIGN;
	unsigned char *h = block_alloc(&im->hot, im->hot_len);
	merge_records(old, keep, f, fill_record, &fl);
	memset(h + fl.at, 0, im->hot_len - fl.at);
	memset(h, 0, HEADER_SIZE);
	memcpy(h, GT_INDEX_MAGIC, 8);
	put_u32(h + 8, GT_INDEX_VERSION);
	put_u32(h + 12, GT_INDEX_BOM);
	put_u32(h + 16, GIT_OID_RAWSZ);
	put_u32(h + 20, HEADER_SIZE);
	put_u64(h + 24, z.count);
	put_u64(h + 32, z.hot);
	put_u64(h + 40, im->hot_len);
	put_u64(h + 48, im->cold_len);
	put_u32(h + 56, (uint32_t)fl.labels);
	put_u32(h + 60, (uint32_t)fl.deps);
}

static int write_all(int fd, const struct iovec *iov, size_t n)
{
	struct iovec v[64];
	while (n) {
		size_t k = n < 64 ? n : 64, total = 0;
		memcpy(v, iov, k * sizeof(*v));
		for (size_t i = 0; i < k; i++)
			total += v[i].iov_len;
		size_t i = 0;
		while (total) {
			ssize_t w = writev(fd, v + i, (int)(k - i));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			total -= (size_t)w;
			while (w && (size_t)w >= v[i].iov_len)
				w -= (ssize_t)v[i++].iov_len;
			if (w) {
				v[i].iov_base = (char *)v[i].iov_base + w;
				v[i].iov_len -= (size_t)w;
			}
		}
		iov += k;
		n -= k;
	}
	return 0;
}

/*
 * Write the image to path through a temporary file renamed over it, and
 * map what was written into *map. Returns 1 when done, 0 when the cache
 * cannot be written (not an error: the caller keeps the image in memory).
 */
static int write_cache(void **map, gt_repo *repo, const char *path,
		       const struct image *im)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	struct iovec hot = { im->hot.base, im->hot_len };
	size_t size = im->hot_len + im->cold_len;
	int fd, ok = 0;

	*map = NULL;
	if (gt_repo_ensure_gastown_dir(repo) < 0) {
		gt_error_clear();
		return 0;
	}
	gt_strbuf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid());
	fd = open(tmp.buf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd >= 0) {
		ok = !write_all(fd, &hot, 1) && !write_all(fd, im->cold, im->ncold);
		if (ok) {
			void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
			ok = m != MAP_FAILED;
			if (ok)
				*map = m;
		}
		ok = close(fd) == 0 && ok && rename(tmp.buf, path) == 0;
		if (!ok) {
			if (*map)
				munmap(*map, size);
			*map = NULL;
			unlink(tmp.buf);
		}
	}
	gt_strbuf_release(&tmp);
	return ok;
}

int gt_index_load(gt_index **out, gt_repo *repo)
{
	return gt_index_load_ext(out, repo, 0);
}

int gt_index_load_ext(gt_index **out, gt_repo *repo, unsigned flags)
{
	gt_index *ix = gt_xcalloc(1, sizeof(*ix));
	struct refsrc src;
	struct fresh f = { GT_STRBUF_INIT, GT_STRBUF_INIT, NULL, 0, 0 };
	gt_strbuf id = GT_STRBUF_INIT;
	struct image image = { { NULL, 0, NULL }, 0, NULL, 0, 0, 0 };
	unsigned char *keep = NULL;
	char *path = gt_index_path(repo);
	size_t j = 0;
	int changed = 0, r;

	*out = NULL;
	if (flags & GT_INDEX_WISPS)
		flags |= GT_INDEX_NO_CACHE;
	if ((r = refsrc_open(&src, repo, !(flags & GT_INDEX_LIBGIT2_REFS), flags)) < 0)
		goto out;
	ix->stats.fast_refs = src.fast;
	if (!(flags & GT_INDEX_NO_CACHE))
		load_cache(ix, path);
	keep = gt_xcalloc(ix->p.nrecs ? ix->p.nrecs : 1, 1);

again:
	/* merge-join refs with cached records; read what is new or moved */
	while (refsrc_next(&src)) {
		size_t off = 0, len = 0;
		const char *rid = NULL, *text;
		int c = 1, damaged;

		ix->stats.refs++;
		while (j < ix->p.nrecs) {
			off = ix->p.rec_off[j];
			rid = rec_id(&ix->p, off, &len);
			if ((c = cmp_id(rid, len, src.id, src.id_len)) >= 0)
				break;
			j++; /* its ref is gone */
			ix->stats.dropped++;
			changed = 1;
		}
		int same_tip = j < ix->p.nrecs && c == 0 &&
			       !memcmp(ix->p.base + off + R_TIP, src.tip.id, GIT_OID_RAWSZ);
		uint32_t rflags = same_tip ? rec_flags(&ix->p, off) : 0;
		if (same_tip && !(rflags & REC_DAMAGED)) {
			keep[j++] = 1;
			ix->stats.reused++;
			continue;
		}
		if (j < ix->p.nrecs && c == 0)
			j++; /* replaced by the fresh record */
		/* new, moved, or damaged before (damaged records are re-read) */
		gt_strbuf_reset(&id);
		gt_strbuf_add(&id, src.id, src.id_len);
		size_t cold_at = f.cold.len;
		damaged = read_fresh(&f, repo, flags & GT_INDEX_WISPS ? gt_wisp_type.ref_prefix : bead_prefix,
				     id.buf, &src.tip);
		ix->stats.read++;
		if (!same_tip || !damaged)
			changed = 1;
		else if (!(text = rec_text(&ix->p, off, &len)) ||
			 strcmp(text, f.cold.buf + cold_at))
			changed = 1; /* damaged another way */
	}
	if (src.bad) {
		/* packed-refs not understood half way: start again with libgit2 */
		refsrc_close(&src);
		if ((r = refsrc_open(&src, repo, 0, flags)) < 0)
			goto out;
		ix->stats.fast_refs = 0;
		ix->stats.refs = ix->stats.reused = ix->stats.read = ix->stats.dropped = 0;
		memset(keep, 0, ix->p.nrecs ? ix->p.nrecs : 1);
		gt_strbuf_reset(&f.hot);
		gt_strbuf_reset(&f.cold);
		f.n = 0;
		j = 0;
		changed = 0;
		goto again;
	}
	if (j < ix->p.nrecs) {
		ix->stats.dropped += ix->p.nrecs - j;
		changed = 1;
	}
	if (!changed && ix->stats.cache_valid) {
		*out = ix;
		ix = NULL;
		r = 0;
		goto out;
	}

	build_image(&image, &ix->p, keep, &f);
	size_t size = image.hot_len + image.cold_len;
	void *map = NULL;
	if (!(flags & GT_INDEX_NO_CACHE))
		ix->stats.rewritten = write_cache(&map, repo, path, &image);

	/* switch the index over to the new image: the file written, or memory */
	if (!map) {
		/* before the old mapping goes: the pieces point into it */
		char *at = ix->image = gt_xmalloc(size ? size : 1);
		memcpy(at, image.hot.base, image.hot_len);
		at += image.hot_len;
		for (size_t i = 0; i < image.ncold; i++) {
			memcpy(at, image.cold[i].iov_base, image.cold[i].iov_len);
			at += image.cold[i].iov_len;
		}
	}
	parsed_release(&ix->p);
	if (ix->map)
		munmap(ix->map, ix->map_size);
	ix->map = map;
	ix->map_size = size;
	const unsigned char *base = map ? map : (const unsigned char *)ix->image;
	if (parse_image(&ix->p, base, image.hot_len, (const char *)base + image.hot_len,
			size) < 0) {
		r = gt_error_set(GT_ERROR, "internal error: cannot parse the index just built");
		goto out;
	}
	*out = ix;
	ix = NULL;
	r = 0;
out:
	gt_index_free(ix);
	refsrc_close(&src);
	gt_strbuf_release(&f.hot);
	gt_strbuf_release(&f.cold);
	free(f.off);
	gt_strbuf_release(&id);
	image_release(&image);
	free(keep);
	free(path);
	return r;
}

void gt_index_free(gt_index *ix)
{
	if (!ix)
		return;
	parsed_release(&ix->p);
	if (ix->map)
		munmap(ix->map, ix->map_size);
	free(ix->image);
	free(ix);
}

size_t gt_index_count(const gt_index *ix)
{
	return ix->p.nentries;
}

const gt_index_entry *gt_index_at(const gt_index *ix, size_t i)
{
	return i < ix->p.nentries ? &ix->p.entries[i] : NULL;
}

const gt_index_entry *gt_index_find(const gt_index *ix, const char *id)
{
	size_t lo = 0, hi = ix->p.nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->p.entries[mid].id, id);
		if (c == 0)
			return &ix->p.entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t gt_index_pos(const gt_index *ix, const gt_index_entry *e)
{
	return (size_t)(e - ix->p.entries);
}

size_t gt_index_damaged_count(const gt_index *ix)
{
	return ix->p.ndamaged;
}

const gt_index_entry *gt_index_damaged_at(const gt_index *ix, size_t i)
{
	return i < ix->p.ndamaged ? &ix->p.damaged[i] : NULL;
}

const gt_index_stats *gt_index_get_stats(const gt_index *ix)
{
	return &ix->stats;
}

/* --- helpers over entries ------------------------------------------------ */

static int is_parent_child(const gt_index_dep *d)
{
	return d->type && !strcmp(d->type, "parent-child");
}

const char *gt_index_entry_parent(const gt_index_entry *e)
{
	if (e->parent && *e->parent)
		return e->parent;
	for (size_t i = 0; i < e->ndeps; i++)
		if (is_parent_child(&e->deps[i]))
			return e->deps[i].depends_on_id;
	return NULL;
}

int gt_index_entry_has_parent(const gt_index_entry *e, const char *id)
{
	if (e->parent && !strcmp(e->parent, id))
		return 1;
	for (size_t i = 0; i < e->ndeps; i++)
		if (is_parent_child(&e->deps[i]) && !strcmp(e->deps[i].depends_on_id, id))
			return 1;
	return 0;
}

int gt_index_entry_has_label(const gt_index_entry *e, const char *label)
{
	for (size_t i = 0; i < e->nlabels; i++)
		if (!strcmp(e->labels[i], label))
			return 1;
	return 0;
}

int gt_index_entry_is_closed(const gt_index_entry *e)
{
	return e->status && !strcmp(e->status, "closed");
}

static int in_list(const gt_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

int gt_index_filter_match(const gt_index_filter *f, const gt_index_entry *e)
{
	if (f->statuses && f->statuses->nr) {
		if (!in_list(f->statuses, e->status ? e->status : ""))
			return 0;
	} else if (!f->include_closed && gt_index_entry_is_closed(e)) {
		return 0;
	}
	if (f->types && f->types->nr &&
	    !in_list(f->types, e->issue_type ? e->issue_type : GT_BEAD_DEFAULT_TYPE))
		return 0;
	if (f->assignee && strcmp(f->assignee, e->assignee ? e->assignee : ""))
		return 0;
	if (f->priority >= 0 && e->priority != f->priority)
		return 0;
	if (f->labels)
		for (size_t i = 0; i < f->labels->nr; i++)
			if (!gt_index_entry_has_label(e, f->labels->items[i]))
				return 0;
	if (f->parent && !gt_index_entry_has_parent(e, f->parent))
		return 0;
	return 1;
}

int gt_index_sort_parse(gt_index_sort *out, const char *spec)
{
	static const struct { const char *name; gt_index_sort_key key; } keys[] = {
		{ "id", GT_SORT_ID }, { "priority", GT_SORT_PRIORITY },
		{ "created", GT_SORT_CREATED }, { "updated", GT_SORT_UPDATED },
		{ "title", GT_SORT_TITLE }, { "status", GT_SORT_STATUS },
	};
	const char *name = spec;
	out->descending = 0;
	if (*name == '-') {
		out->descending = 1;
		name++;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name)) {
			out->key = keys[i].key;
			return 0;
		}
	return gt_error_set(GT_EINVALID,
			    "unknown sort key '%s' (id, priority, created, updated, "
			    "title or status, with '-' for descending)", spec);
}

/* Present strings before absent ones. */
static int cmp_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		return (!a) - (!b);
	return strcmp(a, b);
}

static int cmp_int64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* Absent priority (-1) sorts after P4. */
static int cmp_priority(int a, int b)
{
	unsigned ua = (unsigned)a, ub = (unsigned)b;
	return ua < ub ? -1 : ua > ub;
}

static int cmp_key(const gt_index_entry *a, const gt_index_entry *b,
		   gt_index_sort_key key)
{
	int c;
	switch (key) {
	case GT_SORT_PRIORITY:
		return cmp_priority(a->priority, b->priority);
	case GT_SORT_CREATED:
		return cmp_int64(a->created_ms, b->created_ms);
	case GT_SORT_UPDATED:
		return cmp_int64(a->updated_ms, b->updated_ms);
	case GT_SORT_TITLE:
		return cmp_opt_str(a->title, b->title);
	case GT_SORT_STATUS:
		return cmp_opt_str(a->status, b->status);
	case GT_SORT_READY:
		if ((c = cmp_priority(a->priority, b->priority)))
			return c;
		return cmp_int64(a->created_ms, b->created_ms);
	case GT_SORT_ID:
	default:
		return 0;
	}
}

static int cmp_entries(const void *x, const void *y, void *payload)
{
	const gt_index_entry *a = *(const gt_index_entry *const *)x;
	const gt_index_entry *b = *(const gt_index_entry *const *)y;
	const gt_index_sort *s = payload;
	int c = cmp_key(a, b, s->key);
	if (c)
		return s->descending ? -c : c;
	/* entries of one index lie in id order: compare places, not strings */
	c = a < b ? -1 : a > b;
	return s->key == GT_SORT_ID && s->descending ? -c : c;
}

/* A numeric sort key next to its entry: sorting these touches no entry. */
struct sort_key {
	uint64_t a, b;
	const gt_index_entry *e;
};

static int key_less(const struct sort_key *p, const struct sort_key *q)
{
	if (p->a != q->a)
		return p->a < q->a;
	if (p->b != q->b)
		return p->b < q->b;
	return p->e < q->e; /* id order */
}

static void key_swap(struct sort_key *p, struct sort_key *q)
{
	struct sort_key t = *p;
	*p = *q;
	*q = t;
}

/*
 * Sort keys in place (quicksort, median of three, insertion sort for
 * short runs, recursion on the smaller side only): qsort's merge sort
 * would allocate a second array as large, and fresh memory is what costs.
 * The keys are all distinct (they end with the entry), so the order is
 * fully determined.
 */
static void sort_keys(struct sort_key *k, size_t n)
{
	while (n > 16) {
		size_t mid = n / 2, i, j;
		if (key_less(&k[mid], &k[0]))
			key_swap(&k[mid], &k[0]);
		if (key_less(&k[n - 1], &k[0]))
			key_swap(&k[n - 1], &k[0]);
		if (key_less(&k[n - 1], &k[mid]))
			key_swap(&k[n - 1], &k[mid]);
		key_swap(&k[mid], &k[n - 2]); /* the pivot, out of the way */
		struct sort_key *pivot = &k[n - 2];
		for (i = 0, j = n - 2;;) {
			while (key_less(&k[++i], pivot))
				;
			while (j > 0 && key_less(pivot, &k[--j]))
				;
			if (i >= j)
				break;
			key_swap(&k[i], &k[j]);
		}
		key_swap(&k[i], &k[n - 2]);
		/* k[0..i) < pivot = k[i] < k(i..n) */
		if (i < n - i - 1) {
			sort_keys(k, i);
			k += i + 1;
			n -= i + 1;
		} else {
			sort_keys(k + i + 1, n - i - 1);
			n = i;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && key_less(&k[j], &k[j - 1]); j--)
			key_swap(&k[j], &k[j - 1]);
}

/* A signed time as an unsigned key of the same order. */
static uint64_t time_key(int64_t t)
{
	return (uint64_t)t ^ ((uint64_t)1 << 63);
}

void gt_index_sort_entries(const gt_index_entry **v, size_t n,
			   const gt_index_sort *s)
{
	gt_index_sort copy = *s;
	struct block kb;
	struct sort_key *k;

	if (s->key == GT_SORT_ID && !s->descending) {
		size_t i;
		for (i = 1; i < n; i++)
			if (v[i - 1] > v[i])
				break;
		if (i >= n)
			return; /* already in order: the index's own order */
	}
	if (s->key == GT_SORT_ID || s->key == GT_SORT_TITLE || s->key == GT_SORT_STATUS) {
		qsort_r(v, n, sizeof(*v), cmp_entries, &copy);
		return;
	}
	k = block_alloc(&kb, n * sizeof(*k));
	for (size_t i = 0; i < n; i++) {
		const gt_index_entry *e = v[i];
		switch (s->key) {
		case GT_SORT_PRIORITY:
			k[i].a = (unsigned)e->priority; /* absent (-1) after P4 */
			k[i].b = 0;
			break;
		case GT_SORT_CREATED:
			k[i].a = time_key(e->created_ms);
			k[i].b = 0;
			break;
		case GT_SORT_UPDATED:
			k[i].a = time_key(e->updated_ms);
			k[i].b = 0;
			break;
		default: /* GT_SORT_READY */
			k[i].a = (unsigned)e->priority;
			k[i].b = time_key(e->created_ms);
			break;
		}
		if (s->descending) {
			k[i].a = ~k[i].a;
			k[i].b = ~k[i].b;
		}
		k[i].e = e;
	}
	sort_keys(k, n);
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].e;
	block_free(&kb);
}

size_t gt_index_select(const gt_index_entry ***out, const gt_index *ix,
		       const gt_index_filter *f, const gt_index_sort *s,
		       size_t limit)
{
	size_t n = gt_index_count(ix), k = 0;
	const gt_index_entry **v = gt_xmalloc((n ? n : 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		const gt_index_entry *e = &ix->p.entries[i];
		if (gt_index_filter_match(f, e) &&
		    (!f->accept || f->accept(e, i, f->payload)))
			v[k++] = e;
	}
	gt_index_sort_entries(v, k, s);
	if (limit && k > limit)
		k = limit;
	*out = v;
	return k;
}

void gt_index_split_values(gt_strlist *out, const gt_strlist *values)
{
	for (size_t i = 0; i < values->nr; i++) {
		const char *p = values->items[i];
		while (*p) {
			size_t len = strcspn(p, ",");
			if (len) {
				char *piece = gt_xstrndup(p, len);
				gt_strlist_push(out, piece);
				free(piece);
			}
			p += len;
			if (*p == ',')
				p++;
		}
	}
}

int gt_index_parse_priority(const char *s)
{
	if (*s == 'P' || *s == 'p')
		s++;
	if (s[0] >= '0' && s[0] <= '4' && !s[1])
		return s[0] - '0';
	return -1;
}
