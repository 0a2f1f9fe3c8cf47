#include "bulk.h"
#include "error.h"
#include "strbuf.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <mbedtls/sha1.h>
#include <libdeflate.h>
#include <zlib.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Note an object in memory for the next flush. */
static void note_written(gt_bulk *b, const git_oid *oid)
{
	if (b->nwritten == b->written_alloc) {
		b->written_alloc = b->written_alloc ? b->written_alloc * 2 : 256;
		b->written = gt_xrealloc(b->written, b->written_alloc * sizeof(*b->written));
	}
	b->written[b->nwritten++] = *oid;
}

/*
 * In front of the mempack: notes the id of every object written, then
 * passes the write on to it (the mempack cannot list what it holds).
 */
struct recorder {
	git_odb_backend parent;
	gt_bulk *bulk;
};

static int recorder_write(git_odb_backend *be, const git_oid *oid, const void *data,
			  size_t len, git_object_t type)
{
	(void)data, (void)len, (void)type;
	note_written(((struct recorder *)be)->bulk, oid);
	return GIT_PASSTHROUGH;
}

static void recorder_free(git_odb_backend *be)
{
	free(be);
}

static int recorder_new(git_odb_backend **out, gt_bulk *b)
{
	struct recorder *rec = gt_xcalloc(1, sizeof(*rec));
	int r;
	if ((r = git_odb_init_backend(&rec->parent, GIT_ODB_BACKEND_VERSION)) < 0) {
		free(rec);
		return r;
	}
	rec->bulk = b;
	rec->parent.write = recorder_write;
	rec->parent.free = recorder_free;
	*out = &rec->parent;
	return 0;
}

int gt_bulk_open(gt_bulk *b, gt_repo *repo)
{
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL, *view = NULL, *rec = NULL;
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
	if ((r = recorder_new(&rec, b)) < 0 || (r = git_odb_add_backend(odb, rec, 3)) < 0)
		goto out;
	rec = NULL;
	r = git_repository_set_odb(gt_repo_git(b->repo), odb);
out:
	if (rec)
		rec->free(rec);
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

void gt_bulk_close(gt_bulk *b)
{
	gt_repo_free(b->repo); /* frees the odb and its mempack */
	free(b->commits);
	free(b->written);
	free(b->taken);
	free(b->loose_dir);
	if (b->inflater) {
		inflateEnd(b->inflater);
		free(b->inflater);
	}
	libdeflate_free_compressor(b->deflater);
	free(b->entries);
	git_buf_dispose(&b->pack);
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

void gt_bulk_add_commit(gt_bulk *b, const git_oid *commit)
{
	if (b->nr == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 256;
		b->commits = gt_xrealloc(b->commits, b->alloc * sizeof(*b->commits));
	}
	b->commits[b->nr++] = *commit;
}

/* "<objects>/xx/yyyy..." of id into path. */
static void loose_path(gt_strbuf *path, gt_bulk *b, gt_repo *main, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (!b->loose_dir) {
		gt_strbuf dir = GT_STRBUF_INIT;
		gt_repo_objects_dir(&dir, main);
		b->loose_dir = gt_strbuf_detach(&dir);
	}
	git_oid_tostr(hex, sizeof(hex), id);
	gt_strbuf_addf(path, "%s%.2s/%s", b->loose_dir, hex, hex + 2);
}

/*
 * Inflate a loose object's file into "<type> <size>\0<data>" (caller
 * frees), checking that it is whole and hashes to id. NULL otherwise.
 */
static unsigned char *inflate_loose(gt_bulk *b, const unsigned char *in, size_t in_len,
				    const git_oid *id, size_t *out_len)
{
	size_t alloc = in_len * 4 + 64, len = 0;
	unsigned char *out = gt_xmalloc(alloc), sum[20];
	int z;

	if (!b->inflater) {
		b->inflater = gt_xcalloc(1, sizeof(*b->inflater));
		if (inflateInit(b->inflater) != Z_OK) {
			free(b->inflater);
			b->inflater = NULL;
			free(out);
			return NULL;
		}
	} else if (inflateReset(b->inflater) != Z_OK) {
		free(out);
		return NULL;
	}
	b->inflater->next_in = (Bytef *)in;
	b->inflater->avail_in = (uInt)in_len;
	do {
		if (len == alloc) {
			if (alloc > (64u << 20))
				break; /* not the small object a gt command writes */
			out = gt_xrealloc(out, alloc *= 2);
		}
		b->inflater->next_out = out + len;
		b->inflater->avail_out = (uInt)(alloc - len);
		z = inflate(b->inflater, Z_NO_FLUSH);
		len = alloc - b->inflater->avail_out;
	} while (z == Z_OK);
	if (z != Z_STREAM_END || mbedtls_sha1_ret(out, len, sum) != 0 ||
	    memcmp(sum, id->id, sizeof(sum)) != 0) {
		free(out);
		return NULL;
	}
	*out_len = len;
	return out;
}

/* Whether id is in memory: taken already, or written through the handle. */
static int in_memory(gt_bulk *b, const git_oid *id)
{
	return b->mempack->exists && b->mempack->exists(b->mempack, id);
}

/*
 * Copy the loose object id into memory for the flush, as it is. 1 when
 * it was copied, 0 when it is in memory already, is not a loose file or
 * cannot be used as one.
 */
static int take_one(gt_bulk *b, gt_repo *main, const git_oid *id)
{
	gt_strbuf path = GT_STRBUF_INIT, file = GT_STRBUF_INIT;
	size_t len = 0;
	unsigned char *raw = NULL;
	int taken = 0;

	if (in_memory(b, id))
		return 0;
	loose_path(&path, b, main, id);
	if (gt_strbuf_read_file(&file, path.buf) == 0 && file.len)
		raw = inflate_loose(b, (const unsigned char *)file.buf, file.len, id, &len);
	gt_strbuf_release(&path);
	gt_strbuf_release(&file);
	if (!raw)
		return 0;
	/* "<type> <size>\0": the size must be what follows */
	unsigned char *nul = memchr(raw, '\0', len);
	char *space = memchr(raw, ' ', nul ? (size_t)(nul - raw) : 0);
	if (nul && space) {
		*space = '\0';
		git_object_t type = git_object_string2type((const char *)raw);
		char *end;
		unsigned long long size = strtoull(space + 1, &end, 10);
		size_t data_len = len - (size_t)(nul + 1 - raw);
		if (type >= GIT_OBJECT_COMMIT && type <= GIT_OBJECT_TAG && (unsigned char *)end == nul &&
		    size == data_len && b->mempack->write(b->mempack, id, nul + 1, data_len, type) == 0) {
			note_written(b, id);
			if (b->ntaken == b->taken_alloc) {
				b->taken_alloc = b->taken_alloc ? b->taken_alloc * 2 : 256;
				b->taken = gt_xrealloc(b->taken, b->taken_alloc * sizeof(*b->taken));
			}
			b->taken[b->ntaken++] = *id;
			taken = 1;
		}
	}
	free(raw);
	return taken;
}

/* A tree just taken: its entries that are loose, subtrees and all. */
static void take_tree_entries(gt_bulk *b, gt_repo *main, const git_oid *id)
{
	git_tree *tree = NULL;

	if (git_tree_lookup(&tree, gt_repo_git(b->repo), id) < 0) {
		git_error_clear(); /* left for git push to read */
		return;
	}
	for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_object_t type = git_tree_entry_type(e);
		if (type == GIT_OBJECT_BLOB)
			take_one(b, main, git_tree_entry_id(e));
		else if (type == GIT_OBJECT_TREE && take_one(b, main, git_tree_entry_id(e)))
			take_tree_entries(b, main, git_tree_entry_id(e));
	}
	git_tree_free(tree);
}

void gt_bulk_take_loose(gt_bulk *b, gt_repo *main, const git_oid *start,
			const git_oid *stop, size_t nstop)
{
	git_oid *todo = gt_xmalloc(sizeof(*todo));
	size_t ntodo = 0, alloc = 1;

	todo[ntodo++] = *start;
	for (int first = 1; ntodo; first = 0) {
		git_oid id = todo[--ntodo];
		git_commit *c = NULL;
		int stopped = 0;
		for (size_t i = 0; i < nstop && !stopped; i++)
			stopped = git_oid_equal(&id, &stop[i]);
		/* in memory: taken with its history by another tip's walk */
		if (stopped || in_memory(b, &id))
			continue;
		int loose = take_one(b, main, &id);
		if (!loose && !first)
			continue;
		if (git_commit_lookup(&c, gt_repo_git(b->repo), &id) < 0) {
			git_error_clear();
			continue;
		}
		const git_oid *tree = git_commit_tree_id(c);
		if (loose && take_one(b, main, tree))
			take_tree_entries(b, main, tree);
		for (unsigned i = 0; i < git_commit_parentcount(c); i++) {
			if (ntodo == alloc)
				todo = gt_xrealloc(todo, (alloc *= 2) * sizeof(*todo));
			todo[ntodo++] = *git_commit_parent_id(c, i);
		}
		git_commit_free(c);
	}
	free(todo);
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* An object in the pack being built: what its index lists. */
struct gt_bulk_entry {
	git_oid id;
	uint64_t offset;
	uint32_t crc; /* of its bytes in the pack, header and all */
};

static int cmp_entry(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct gt_bulk_entry *)a)->id,
			   &((const struct gt_bulk_entry *)b)->id);
}

/* The most a zlib stream of stored blocks takes for len bytes. */
#define STORED_BLOCK 65535
static size_t stored_bound(size_t len)
{
	return 2 + (len / STORED_BLOCK + 1) * 5 + len + 4;
}

/*
 * data as a zlib stream of stored (uncompressed) deflate blocks, into
 * out (stored_bound(len) bytes); returns its length. libdeflate 1.14,
 * Debian 12's, has no level 0.
 */
static size_t zlib_stored(unsigned char *out, const unsigned char *data, size_t len)
{
	size_t n = 0;
	uint32_t sum = libdeflate_adler32(1, data, len);

	out[n++] = 0x78; /* deflate, 32K window */
	out[n++] = 0x01; /* fastest; makes the header a multiple of 31 */
	do {
		size_t part = len < STORED_BLOCK ? len : STORED_BLOCK;
		out[n++] = part == len; /* BFINAL, BTYPE 00: stored */
		out[n++] = (unsigned char)(part & 0xff);
		out[n++] = (unsigned char)(part >> 8);
		out[n++] = (unsigned char)(~part & 0xff);
		out[n++] = (unsigned char)((~part >> 8) & 0xff);
		memcpy(out + n, data, part);
		n += part;
		data += part;
		len -= part;
	} while (len);
	for (int shift = 24; shift >= 0; shift -= 8)
		out[n++] = (unsigned char)(sum >> shift);
	return n;
}

/*
 * Append an object to b's pack: its type and size, then its data as a
 * zlib stream. Trees are stored, not compressed: a ledger tree is
 * mostly object ids, which do not compress (the 8,448 trees of a 100k
 * ledger: 3.85 MB raw, 3.14 deflated), and every git walk over the
 * ledger inflates them all. zlib was 65 % of the connectivity check
 * that git fetch and git receive-pack run, and stored trees took a
 * sync of 110 changes both ways from 311 to 235 ms at 100k beads (see
 * gastown(7), SYNC). Everything else through libdeflate, for speed.
 */
static int pack_object(gt_bulk *b, const git_oid *id, git_object_t type, const void *data,
		       size_t len)
{
	git_buf *pack = &b->pack;
	unsigned char head[16];
	size_t n = 0, size = len, at = pack->size, room, out;

	head[n++] = (unsigned char)((unsigned)type << 4 | (size & 15) | (size > 15 ? 0x80 : 0));
	for (size >>= 4; size; size >>= 7)
		head[n++] = (unsigned char)((size & 0x7f) | (size > 0x7f ? 0x80 : 0));
	if (type == GIT_OBJECT_TREE) {
		room = stored_bound(len);
	} else {
		/* speed over size: git gc repacks with deltas later */
		if (!b->deflater && !(b->deflater = libdeflate_alloc_compressor(1)))
			return -1;
		room = libdeflate_zlib_compress_bound(b->deflater, len);
	}
	if (git_buf_grow(pack, at + n + room) < 0)
		return -1;
	memcpy(pack->ptr + at, head, n);
	if (type == GIT_OBJECT_TREE)
		out = zlib_stored((unsigned char *)pack->ptr + at + n, data, len);
	else
		out = libdeflate_zlib_compress(b->deflater, data, len, pack->ptr + at + n, room);
	if (!out)
		return -1;
	pack->size += n + out;
	if (b->nentries == b->entries_alloc) {
		b->entries_alloc = b->entries_alloc ? b->entries_alloc * 2 : 256;
		b->entries = gt_xrealloc(b->entries, b->entries_alloc * sizeof(*b->entries));
	}
	struct gt_bulk_entry *e = &b->entries[b->nentries++];
	e->id = *id;
	e->offset = at;
	e->crc = libdeflate_crc32(0, pack->ptr + at, n + out);
	return 0;
}

/*
 * Every object written since the last call, whole (no deltas: a delta
 * search costs more than a merge's few hundred small objects save; git
 * push computes deltas against what the remote has anyway), each once.
 * On failure the pack is as it was.
 */
int gt_bulk_compress(gt_bulk *b)
{
	size_t start = b->pack.size, first = b->nentries;
	int r = 0;

	if (!b->pack.size) {
		/* the header; the count is set when the pack is written */
		if (git_buf_grow(&b->pack, 12) < 0)
			return gt_error_set(GT_ERROR, "out of memory");
		memcpy(b->pack.ptr, "PACK\0\0\0\2\0\0\0\0", 12);
		b->pack.size = start = 12;
	}
	if (b->nwritten)
		qsort(b->written, b->nwritten, sizeof(*b->written), cmp_oid);
	for (size_t i = 0; i < b->nwritten && r == 0; i++) {
		const git_oid *id = &b->written[i];
		struct gt_bulk_entry key = { *id, 0, 0 };
		void *data = NULL;
		size_t len;
		git_object_t type;
		if ((i && git_oid_equal(&b->written[i - 1], id)) ||
		    (first && bsearch(&key, b->entries, first, sizeof(key), cmp_entry)))
			continue;
		if ((r = b->mempack->read(&data, &len, &type, b->mempack, id)) < 0) {
			r = gt_error_git(r, "cannot read %s back", git_oid_tostr_s(id));
			break;
		}
		if (pack_object(b, id, type, data, len) < 0)
			r = gt_error_set(GT_ERROR, "cannot compress %s", git_oid_tostr_s(id));
		git_odb_backend_data_free(b->mempack, data);
	}
	if (r < 0) {
		b->pack.size = start;
		b->nentries = first;
		return r;
	}
	b->nwritten = 0;
	if (b->nentries)
		qsort(b->entries, b->nentries, sizeof(*b->entries), cmp_entry);
	return 0;
}

/* The pack of the commits added, with deltas, into *pack (import). */
static int build_pack(git_buf *pack, gt_bulk *b)
{
	git_packbuilder *pb = NULL;
	int r;

	if ((r = git_packbuilder_new(&pb, gt_repo_git(b->repo))) < 0)
		return gt_error_git(r, "cannot start a pack");
	git_packbuilder_set_threads(pb, 0); /* one per core: delta search dominates */
	for (size_t i = 0; i < b->nr; i++)
		if ((r = git_packbuilder_insert_commit(pb, &b->commits[i])) < 0) {
			r = gt_error_git(r, "cannot add %s to the pack",
					 git_oid_tostr_s(&b->commits[i]));
			goto out;
		}
	if ((r = git_packbuilder_write_buf(pack, pb)) < 0)
		r = gt_error_git(r, "cannot build the pack");
out:
	git_packbuilder_free(pb);
	return r;
}

/* A pack's object count, from its header ("PACK", version, count). */
static unsigned pack_objects(const git_buf *pack)
{
	const unsigned char *p = (const unsigned char *)pack->ptr;
	if (pack->size < 12)
		return 0;
	return (unsigned)p[8] << 24 | (unsigned)p[9] << 16 | (unsigned)p[10] << 8 | p[11];
}

/* The pack built with deltas, written with its index by libgit2's indexer. */
static int index_built(gt_strbuf *name, gt_bulk *b, const char *dir)
{
	git_indexer *idx = NULL;
	git_indexer_progress stats;
	git_buf pack = GIT_BUF_INIT;
	gt_strbuf path = GT_STRBUF_INIT;
	int r;

	/*
	 * The pack is handed to the indexer in one piece: fed object by
	 * object (git_packbuilder_write), libgit2 1.5's indexer maps and
	 * unmaps the pack file for every object, which costs more than
	 * everything else together.
	 */
	if ((r = build_pack(&pack, b)) < 0 || !pack_objects(&pack))
		goto out;
	if ((r = git_indexer_new(&idx, dir, 0, NULL, NULL)) < 0 ||
	    (r = git_indexer_append(idx, pack.ptr, pack.size, &stats)) < 0 ||
	    (r = git_indexer_commit(idx, &stats)) < 0) {
		r = gt_error_git(r, "cannot write the pack to %s", dir);
		goto out;
	}
	/* libgit2 syncs neither file */
	gt_strbuf_addf(&path, "%s/pack-%s.pack", dir, git_indexer_name(idx));
	if ((r = fsync_path(path.buf, 0)) < 0)
		goto out;
	gt_strbuf_setlen(&path, path.len - 4);
	gt_strbuf_adds(&path, "idx");
	if ((r = fsync_path(path.buf, 0)) < 0)
		goto out;
	gt_strbuf_adds(name, git_indexer_name(idx));
out:
	git_indexer_free(idx);
	git_buf_dispose(&pack);
	gt_strbuf_release(&path);
	return r;
}

static void put_be32(gt_strbuf *out, uint32_t v)
{
	char c[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };
	gt_strbuf_add(out, c, 4);
}

/*
 * The index (version 2, as git's index-pack writes it) of b's pack,
 * whose checksum is sum: b knows each object's id, offset and CRC
 * already, so nothing is inflated or hashed again, as an indexer would.
 */
static void index_of(gt_strbuf *idx, const gt_bulk *b, const unsigned char sum[20])
{
	size_t n = b->nentries, nlarge = 0;
	unsigned char idsum[20];

	gt_strbuf_add(idx, "\377tOc", 4);
	put_be32(idx, 2);
	for (unsigned byte = 0, i = 0; byte < 256; byte++) {
		while (i < n && b->entries[i].id.id[0] <= byte)
			i++;
		put_be32(idx, i);
	}
	for (size_t i = 0; i < n; i++)
		gt_strbuf_add(idx, (const char *)b->entries[i].id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < n; i++)
		put_be32(idx, b->entries[i].crc);
	for (size_t i = 0; i < n; i++) {
		uint64_t off = b->entries[i].offset;
		put_be32(idx, off < 0x80000000u ? (uint32_t)off : 0x80000000u | (uint32_t)nlarge++);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t off = b->entries[i].offset;
		if (off >= 0x80000000u) {
			put_be32(idx, (uint32_t)(off >> 32));
			put_be32(idx, (uint32_t)off);
		}
	}
	gt_strbuf_add(idx, (const char *)sum, 20);
	mbedtls_sha1_ret((const unsigned char *)idx->buf, idx->len, idsum);
	gt_strbuf_add(idx, (const char *)idsum, 20);
}

/* Write a and b (b may be empty) to a new file in dir, synced, then rename it to path. */
static int write_synced(const char *dir, const char *path, const void *a, size_t alen,
			const void *b, size_t blen)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	int r = 0;

	gt_strbuf_addf(&tmp, "%s/tmp_gt_XXXXXX", dir);
	int fd = mkstemp(tmp.buf);
	if (fd < 0) {
		r = gt_error_errno("cannot create a file in %s", dir);
		goto out;
	}
	if (gt_write_all(fd, a, alen) < 0 || gt_write_all(fd, b, blen) < 0 ||
	    fchmod(fd, 0444) < 0 || fsync(fd) < 0)
		r = gt_error_errno("cannot write %s", tmp.buf);
	if (close(fd) < 0 && r == 0)
		r = gt_error_errno("cannot write %s", tmp.buf);
	if (r == 0 && rename(tmp.buf, path) < 0)
		r = gt_error_errno("cannot rename %s to %s", tmp.buf, path);
	if (r < 0)
		unlink(tmp.buf);
out:
	gt_strbuf_release(&tmp);
	return r;
}

/*
 * The pack of what was written, with the index index_of() makes: the
 * pack first, so that a reader that finds the index finds its pack.
 */
static int write_written(gt_strbuf *name, gt_bulk *b, const char *dir)
{
	unsigned char sum[20];
	char hex[GIT_OID_HEXSZ + 1];
	git_oid name_id;
	gt_strbuf path = GT_STRBUF_INIT, idx = GT_STRBUF_INIT;
	int r;

	if ((r = gt_bulk_compress(b)) < 0 || !b->nentries)
		return r;
	for (int i = 0; i < 4; i++)
		b->pack.ptr[8 + i] = (char)(b->nentries >> (24 - 8 * i));
	if (mbedtls_sha1_ret((const unsigned char *)b->pack.ptr, b->pack.size, sum) != 0)
		return gt_error_set(GT_ERROR, "cannot finish the pack");
	/* named as git names a pack: by its checksum */
	git_oid_fromraw(&name_id, sum);
	git_oid_tostr(hex, sizeof(hex), &name_id);
	index_of(&idx, b, sum);
	gt_strbuf_addf(&path, "%s/pack-%s.pack", dir, hex);
	if ((r = write_synced(dir, path.buf, b->pack.ptr, b->pack.size, sum, 20)) < 0)
		goto out;
	gt_strbuf_setlen(&path, path.len - 4);
	gt_strbuf_adds(&path, "idx");
	if ((r = write_synced(dir, path.buf, idx.buf, idx.len, NULL, 0)) < 0)
		goto out;
	gt_strbuf_adds(name, hex);
out:
	gt_strbuf_release(&path);
	gt_strbuf_release(&idx);
	return r;
}

/*
 * The loose files of the objects taken, now that the pack holding them
 * is on disk. A reader that listed one and then finds it gone looks in
 * the packs again, as after git prune-packed; a file that cannot be
 * removed only stays.
 */
static void remove_taken(gt_bulk *b, gt_repo *main)
{
	gt_strbuf path = GT_STRBUF_INIT;

	for (size_t i = 0; i < b->ntaken; i++) {
		gt_strbuf_reset(&path);
		loose_path(&path, b, main, &b->taken[i]);
		unlink(path.buf);
	}
	gt_strbuf_release(&path);
}

int gt_bulk_flush(gt_bulk *b, gt_repo *main)
{
	gt_strbuf dir = GT_STRBUF_INIT, name = GT_STRBUF_INIT;
	int r = 0;

	if (!b->nr && !b->nwritten && !b->nentries)
		goto reset; /* nothing written */
	gt_repo_objects_dir(&dir, main);
	gt_strbuf_adds(&dir, "pack");
	mkdir(dir.buf, 0777);
	r = b->nr ? index_built(&name, b, dir.buf) : write_written(&name, b, dir.buf);
	if (r < 0 || !name.len)
		goto reset; /* failed, or a pack of no objects */
	/* the refs will point into this pack: its files are synced, now their names */
	if ((r = fsync_path(dir.buf, 1)) < 0)
		goto out;
	/* the pack of what was written holds every object taken */
	if (!b->nr)
		remove_taken(b, main);
reset:
	if (r == 0 && (r = git_mempack_reset(b->mempack)) < 0)
		r = gt_error_git(r, "cannot reset the in-memory object store");
	if (r == 0) {
		b->nr = b->nwritten = b->nentries = b->ntaken = 0;
		b->pack.size = 0;
	}
out:
	gt_strbuf_release(&dir);
	gt_strbuf_release(&name);
	return r;
}

/*
 * Flush, and start afresh: a new handle also drops libgit2's cache of
 * the trees and commits just written.
 */
int gt_bulk_cycle(gt_bulk *b, gt_repo *repo)
{
	int r = gt_bulk_flush(b, repo);
	gt_bulk_close(b);
	if (r == 0)
		r = gt_bulk_open(b, repo);
	return r;
}

