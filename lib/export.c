/* gt export: beads as beads JSONL (see export.h). */
#include "export.h"
#include "bead.h"
#include "entity.h"
#include "error.h"
#include "index.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One line to write: borrowed from the index, or our own copy. */
struct line {
	const char *json;
	size_t len;
	char *owned;
};

struct lines {
	struct line *v;
	size_t nr, alloc;
};

static void lines_push(struct lines *l, const char *json, size_t len, char *owned)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->v = gt_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->nr].json = json;
	l->v[l->nr].len = len;
	l->v[l->nr].owned = owned;
	l->nr++;
}

static void lines_clear(struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->v[i].owned);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * The snapshot of commit tip as one compact line (*out, caller frees);
 * *deleted tells whether it is a tombstone.
 */
static int read_line(char **out, int *deleted, gt_repo *repo, const char *id,
		     const git_oid *tip)
{
	cJSON *snap = NULL;
	gt_strbuf what = GT_STRBUF_INIT;
	int r;

	gt_strbuf_addf(&what, "%s%s", gt_bead_type.ref_prefix, id);
	if ((r = gt_entity_read_snapshot(&snap, gt_repo_git(repo), &gt_bead_type, tip,
					 what.buf)) < 0) {
		r = gt_error_set(GT_ECORRUPT, "cannot export bead %s: %s (see gt fsck)",
				 id, gt_error_last());
		goto out;
	}
	*deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, GT_TOMBSTONE_KEY));
	if (!(*out = gt_json_print(snap)))
		r = GT_ERROR;
out:
	cJSON_Delete(snap);
	gt_strbuf_release(&what);
	return r;
}

struct ref {
	char *id;
	git_oid tip;
};

struct refs {
	struct ref *v;
	size_t nr, alloc;
};

static int collect_ref(const char *refname, const char *id, const git_oid *tip,
		       void *payload)
{
	struct refs *refs = payload;
	(void)refname;
	if (refs->nr == refs->alloc) {
		refs->alloc = refs->alloc ? refs->alloc * 2 : 256;
		refs->v = gt_xrealloc(refs->v, refs->alloc * sizeof(*refs->v));
	}
	refs->v[refs->nr].id = gt_xstrdup(id);
	refs->v[refs->nr].tip = *tip;
	refs->nr++;
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->id, ((const struct ref *)b)->id);
}

/* Every bead, deleted ones included, by id. */
static int collect_all(struct lines *out, gt_repo *repo, const gt_index *ix)
{
	struct refs refs = { NULL, 0, 0 };
	int r;

	if ((r = gt_entity_foreach_ref(repo, &gt_bead_type, collect_ref, &refs)) < 0)
		goto out;
	if (refs.nr > 1) /* qsort(NULL, 0) is undefined */
		qsort(refs.v, refs.nr, sizeof(*refs.v), cmp_ref);
	for (size_t i = 0; i < refs.nr; i++) {
		const gt_index_entry *e = gt_index_find(ix, refs.v[i].id);
		char *json;
		int deleted;
		if (e && git_oid_equal(&e->tip, &refs.v[i].tip)) {
			lines_push(out, e->json, e->json_len, NULL);
			continue;
		}
		/* deleted (not in the index), or moved since it was loaded */
		if ((r = read_line(&json, &deleted, repo, refs.v[i].id, &refs.v[i].tip)) < 0)
			goto out;
		lines_push(out, json, strlen(json), json);
	}
out:
	for (size_t i = 0; i < refs.nr; i++)
		free(refs.v[i].id);
	free(refs.v);
	return r;
}

/* Every live bead, by id: the index's entries. */
static int collect_live(struct lines *out, const gt_index *ix)
{
	if (gt_index_damaged_count(ix)) {
		const gt_index_entry *d = gt_index_damaged_at(ix, 0);
		return gt_error_set(GT_ECORRUPT, "cannot export bead %s: %s (see gt fsck)",
				    d->id, d->error ? d->error : "unreadable");
	}
	for (size_t i = 0; i < gt_index_count(ix); i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		lines_push(out, e->json, e->json_len, NULL);
	}
	return 0;
}

/* The beads named, in the order named. */
static int collect_ids(struct lines *out, gt_repo *repo, const gt_index *ix,
		       const gt_export_opts *opts)
{
	gt_strbuf ref = GT_STRBUF_INIT;
	int r = 0;

	for (size_t i = 0; i < opts->nr_ids; i++) {
		const char *id = opts->ids[i];
		const gt_index_entry *e;
		git_oid tip;
		char *json;
		int deleted;

		if (!gt_bead_id_valid(id)) {
			r = gt_error_set(GT_EINVALID, "invalid bead id '%s'", id);
			goto out;
		}
		if ((e = gt_index_find(ix, id))) {
			lines_push(out, e->json, e->json_len, NULL);
			continue;
		}
		gt_strbuf_reset(&ref);
		gt_strbuf_addf(&ref, "%s%s", gt_bead_type.ref_prefix, id);
		r = gt_refs_read(&tip, gt_repo_git(repo), ref.buf);
		if (r == GT_ENOTFOUND) {
			r = gt_error_set(GT_ENOTFOUND, "no such bead: %s", id);
			goto out;
		} else if (r < 0) {
			goto out;
		}
		if ((r = read_line(&json, &deleted, repo, id, &tip)) < 0)
			goto out;
		if (deleted && !opts->all) {
			free(json);
			r = gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
			goto out;
		}
		lines_push(out, json, strlen(json), json);
	}
out:
	gt_strbuf_release(&ref);
	return r;
}

int gt_export(size_t *count, gt_repo *repo, const gt_export_opts *opts,
	      gt_export_cb cb, void *payload)
{
	static const gt_export_opts defaults = GT_EXPORT_OPTS_INIT;
	struct lines lines = { NULL, 0, 0 };
	gt_index *ix = NULL;
	int r;

	if (!opts)
		opts = &defaults;
	if (count)
		*count = 0;
	if ((r = gt_index_load(&ix, repo)) < 0)
		goto out;
	if (opts->ids)
		r = collect_ids(&lines, repo, ix, opts);
	else if (opts->all)
		r = collect_all(&lines, repo, ix);
	else
		r = collect_live(&lines, ix);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < lines.nr; i++) {
		if ((r = cb(lines.v[i].json, lines.v[i].len, payload)) != 0)
			goto out;
		if (count)
			(*count)++;
	}
out:
	lines_clear(&lines);
	gt_index_free(ix);
	return r;
}

struct file_ctx {
	FILE *fp;
};

static int write_line(const char *json, size_t len, void *payload)
{
	struct file_ctx *f = payload;
	if (fwrite(json, 1, len, f->fp) != len || putc('\n', f->fp) == EOF)
		return GT_ERROR;
	return 0;
}

int gt_export_to_file(size_t *count, gt_repo *repo, const gt_export_opts *opts,
		      const char *path)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	struct file_ctx f = { NULL };
	struct stat st;
	mode_t mode;
	int fd = -1, made = 0, r;

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	gt_strbuf_addf(&tmp, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		r = gt_error_errno("cannot create a temporary file next to %s", path);
		goto out;
	}
	made = 1;
	if (fchmod(fd, mode) < 0 || !(f.fp = fdopen(fd, "w"))) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		goto out;
	}
	fd = -1; /* the stream's now */
	r = gt_export(count, repo, opts, write_line, &f);
	if (r == GT_ERROR && ferror(f.fp))
		r = gt_error_errno("cannot write %s", tmp.buf);
	if (r < 0)
		goto out;
	if (fflush(f.fp) != 0 || fsync(fileno(f.fp)) < 0) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		goto out;
	}
	r = fclose(f.fp);
	f.fp = NULL;
	if (r != 0) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		goto out;
	}
	if (rename(tmp.buf, path) < 0)
		r = gt_error_errno("cannot rename %s to %s", tmp.buf, path);
out:
	if (f.fp)
		fclose(f.fp);
	if (fd >= 0)
		close(fd);
	if (r < 0 && made)
		unlink(tmp.buf);
	gt_strbuf_release(&tmp);
	return r;
}
