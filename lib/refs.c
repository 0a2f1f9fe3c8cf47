#include "refs.h"
#include "config.h"
#include "error.h"
#include "strbuf.h"
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *ref_path(git_repository *git, const char *refname, const char *suffix)
{
	const char *common = git_repository_commondir(git);
	size_t len = strlen(common);
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_add(&sb, common, len);
	if (len && common[len - 1] != '/')
		gt_strbuf_addch(&sb, '/');
	gt_strbuf_addf(&sb, "%s%s", refname, suffix);
	return gt_strbuf_detach(&sb);
}

char *gt_refs_lock_path(gt_repo *repo, const char *refname)
{
	return ref_path(gt_repo_git(repo), refname, ".lock");
}

/* A loose ref: 1 found, 0 none, 2 symbolic, negative on error. */
static int read_loose(git_oid *out, git_repository *repo, const char *refname)
{
	char *path = ref_path(repo, refname, "");
	char buf[GIT_OID_HEXSZ + 8];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	ssize_t n;

	if (fd < 0) {
		r = (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) ? 0
			: gt_error_errno("cannot read %s", path);
		free(path);
		return r;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		/* a directory opens but does not read: no loose ref there */
		r = errno == EISDIR ? 0 : gt_error_errno("cannot read %s", path);
	} else if (n >= 5 && !strncmp(buf, "ref: ", 5)) {
		r = 2;
	} else if (n < GIT_OID_HEXSZ || git_oid_fromstrn(out, buf, GIT_OID_HEXSZ) < 0 ||
		   (n > GIT_OID_HEXSZ && buf[GIT_OID_HEXSZ] != '\n')) {
		r = gt_error_set(GT_ECORRUPT, "%s: not an object id", refname);
	} else {
		r = 1;
	}
	free(path);
	return r;
}

struct packed {
	const char *map, *start, *end;
	size_t size;
	int sorted;
};

/*
 * The mapping of packed-refs is kept for the process while the file
 * stays the same (device, inode, size, change time): a command looks up
 * several refs, and on some machines each page fault costs microseconds.
 */
static struct {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime, mtime;
	const char *map;
} packed_cache;

static int same_file(const struct stat *st, const char *path)
{
	return packed_cache.map && !strcmp(packed_cache.path, path) &&
	       packed_cache.dev == st->st_dev && packed_cache.ino == st->st_ino &&
	       packed_cache.size == st->st_size &&
	       packed_cache.ctime.tv_sec == st->st_ctim.tv_sec &&
	       packed_cache.ctime.tv_nsec == st->st_ctim.tv_nsec &&
	       packed_cache.mtime.tv_sec == st->st_mtim.tv_sec &&
	       packed_cache.mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void drop_packed_cache(void)
{
	if (packed_cache.map)
		munmap((void *)packed_cache.map, (size_t)packed_cache.size);
	free(packed_cache.path);
	memset(&packed_cache, 0, sizeof(packed_cache));
}

static int packed_open(struct packed *p, git_repository *repo)
{
	char *path = ref_path(repo, "packed-refs", "");
	struct stat st;
	int fd, r = 0;

	memset(p, 0, sizeof(*p));
	if (stat(path, &st) < 0) {
		r = errno == ENOENT ? 0 : gt_error_errno("cannot read %s", path);
		free(path);
		return r;
	}
	if (!same_file(&st, path)) {
		drop_packed_cache();
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = errno == ENOENT ? 0 : gt_error_errno("cannot read %s", path);
			free(path);
			return r;
		}
		/* stat the file we opened: it may have been replaced since */
		if (fstat(fd, &st) < 0) {
			r = gt_error_errno("cannot read %s", path);
		} else if (st.st_size > 0) {
			const char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				r = gt_error_errno("cannot map %s", path);
			} else {
				packed_cache.path = gt_xstrdup(path);
				packed_cache.dev = st.st_dev;
				packed_cache.ino = st.st_ino;
				packed_cache.size = st.st_size;
				packed_cache.ctime = st.st_ctim;
				packed_cache.mtime = st.st_mtim;
				packed_cache.map = map;
			}
		}
		close(fd);
	}
	free(path);
	if (r < 0 || !packed_cache.map)
		return r;
	p->map = p->start = packed_cache.map;
	p->size = (size_t)packed_cache.size;
	p->end = p->map + p->size;
	if (*p->start == '#') {
		const char *nl = memchr(p->start, '\n', p->size);
		size_t len = nl ? (size_t)(nl - p->start) : p->size;
		p->sorted = memmem(p->start, len, " sorted", 7) != NULL;
		p->start = nl ? nl + 1 : p->end;
	}
	return 0;
}

static void packed_close(struct packed *p)
{
	(void)p; /* the mapping stays cached; see packed_cache */
}

/* The start of the line holding pos. */
static const char *line_start(const struct packed *p, const char *pos)
{
	while (pos > p->start && pos[-1] != '\n')
		pos--;
	return pos;
}

static const char *next_line(const struct packed *p, const char *line)
{
	const char *nl = memchr(line, '\n', (size_t)(p->end - line));
	return nl ? nl + 1 : p->end;
}

/* Compare the name of a record line with name[0..len) (prefix order). */
static int cmp_line(const char *line, const char *end, const char *name, size_t len)
{
	const char *ln = line + GIT_OID_HEXSZ + 1;
	if (end - line < GIT_OID_HEXSZ + 2 || line[GIT_OID_HEXSZ] != ' ')
		return 0; /* not a record: treated as equal, checked by the caller */
	for (size_t i = 0; i < len; i++, ln++) {
		if (ln >= end || *ln == '\n')
			return -1;
		if (*ln != name[i])
			return (unsigned char)*ln < (unsigned char)name[i] ? -1 : 1;
	}
	return 0;
}

static int is_record(const char *line, const char *end)
{
	return end - line >= GIT_OID_HEXSZ + 2 && line[GIT_OID_HEXSZ] == ' ' &&
	       line[0] != '^' && line[0] != '#';
}

/*
 * The first record line whose name is >= name[0..len) in a sorted file
 * (binary search over byte positions, snapped to line starts, skipping
 * peel lines), or the first record line of an unsorted one.
 */
static const char *lower_bound(const struct packed *p, const char *name, size_t len)
{
	const char *lo = p->start, *hi = p->end;
	if (!p->sorted)
		return p->start;
	while (lo < hi) {
		const char *mid = line_start(p, lo + (hi - lo) / 2);
		const char *rec = mid;
		while (rec < hi && !is_record(rec, p->end))
			rec = next_line(p, rec);
		if (rec >= hi) {
			hi = mid;
			continue;
		}
		if (cmp_line(rec, p->end, name, len) < 0)
			lo = next_line(p, rec);
		else
			hi = mid;
	}
	return lo;
}

static size_t name_len(const char *line, const char *end)
{
	const char *n = line + GIT_OID_HEXSZ + 1, *e = n;
	while (e < end && *e != '\n')
		e++;
	return (size_t)(e - n);
}

static int read_packed(git_oid *out, git_repository *repo, const char *refname)
{
	struct packed p;
	size_t len = strlen(refname);
	int r = packed_open(&p, repo);
	if (r < 0 || !p.map)
		return r;
	r = 0;
	for (const char *l = lower_bound(&p, refname, len); l < p.end; l = next_line(&p, l)) {
		if (!is_record(l, p.end))
			continue;
		int c = cmp_line(l, p.end, refname, len);
		if (c == 0 && name_len(l, p.end) == len) {
			r = git_oid_fromstrn(out, l, GIT_OID_HEXSZ) < 0
				? gt_error_set(GT_ECORRUPT, "packed-refs: bad line for %s", refname) : 1;
			break;
		}
		if (p.sorted && c > 0)
			break;
	}
	packed_close(&p);
	return r;
}

int gt_refs_read(git_oid *out, git_repository *repo, const char *refname)
{
	int r = read_loose(out, repo, refname);
	if (r == 2) {
		r = git_reference_name_to_id(out, repo, refname);
		return r < 0 ? gt_error_git(r, "cannot read %s", refname) : 0;
	}
	if (r == 0)
		r = read_packed(out, repo, refname);
	if (r < 0)
		return r;
	return r ? 0 : gt_error_set(GT_ENOTFOUND, "no ref %s", refname);
}

struct named_oid {
	char *name;
	git_oid id;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named_oid *)a)->name, ((const struct named_oid *)b)->name);
}

/* Loose refs under dir (relative ref name) whose names start with prefix, sorted. */
static int list_loose(struct named_oid **out, size_t *nr, git_repository *repo,
		      const char *dir, const char *prefix)
{
	char *path = ref_path(repo, dir, "");
	DIR *d = opendir(path);
	struct dirent *de;
	size_t plen = strlen(prefix), alloc = 0;

	free(path);
	*out = NULL;
	*nr = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		gt_strbuf name = GT_STRBUF_INIT;
		size_t len = strlen(de->d_name);
		git_oid id;
		if (de->d_name[0] == '.' || (len > 5 && !strcmp(de->d_name + len - 5, ".lock")))
			continue;
		gt_strbuf_addf(&name, "%s%s", dir, de->d_name);
		if (!strncmp(name.buf, prefix, plen) && read_loose(&id, repo, name.buf) == 1) {
			if (*nr == alloc) {
				alloc = alloc ? alloc * 2 : 16;
				*out = gt_xrealloc(*out, alloc * sizeof(**out));
			}
			(*out)[*nr].name = gt_strbuf_detach(&name);
			(*out)[(*nr)++].id = id;
		}
		gt_strbuf_release(&name);
	}
	closedir(d);
	if (*nr > 1)
		qsort(*out, *nr, sizeof(**out), cmp_named);
	return 0;
}

static void named_push(struct named_oid **v, size_t *nr, size_t *alloc, char *name,
		       const git_oid *id)
{
	if (*nr == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		*v = gt_xrealloc(*v, *alloc * sizeof(**v));
	}
	(*v)[*nr].name = name;
	(*v)[(*nr)++].id = *id;
}

int gt_refs_foreach_prefix(git_repository *repo, const char *prefix, gt_refs_each_cb cb,
			   void *payload)
{
	const char *slash = strrchr(prefix, '/');
	char *dir = slash ? gt_xstrndup(prefix, (size_t)(slash - prefix + 1)) : gt_xstrdup("");
	size_t plen = strlen(prefix), dlen = strlen(dir), nloose = 0, npacked = 0, alloc = 0;
	struct named_oid *loose = NULL, *packed = NULL;
	struct packed p;
	int r;

	/* loose: only the last directory level (bead ids hold no '/') */
	if ((r = list_loose(&loose, &nloose, repo, dir, prefix)) < 0 ||
	    (r = packed_open(&p, repo)) < 0)
		goto out;
	for (const char *l = p.map ? lower_bound(&p, prefix, plen) : NULL;
	     l && l < p.end; l = next_line(&p, l)) {
		if (!is_record(l, p.end))
			continue;
		int c = cmp_line(l, p.end, prefix, plen);
		if (c > 0 && p.sorted)
			break;
		if (c)
			continue;
		size_t len = name_len(l, p.end);
		git_oid id;
		if (memchr(l + GIT_OID_HEXSZ + 1 + dlen, '/', len - dlen))
			continue;
		if (git_oid_fromstrn(&id, l, GIT_OID_HEXSZ) < 0) {
			r = gt_error_set(GT_ECORRUPT, "packed-refs: bad line for %.*s", (int)len,
					 l + GIT_OID_HEXSZ + 1);
			break;
		}
		named_push(&packed, &npacked, &alloc, gt_xstrndup(l + GIT_OID_HEXSZ + 1, len), &id);
	}
	packed_close(&p);
	if (r < 0)
		goto out;
	if (!p.sorted && npacked > 1)
		qsort(packed, npacked, sizeof(*packed), cmp_named);
	/* a merge of the two sorted lists; a loose file shadows its packed line */
	for (size_t li = 0, pi = 0; r == 0 && (li < nloose || pi < npacked);) {
		int c = li == nloose ? 1 : pi == npacked ? -1 : strcmp(loose[li].name, packed[pi].name);
		if (c <= 0) {
			r = cb(loose[li].name, &loose[li].id, payload);
			li++;
			if (c == 0)
				pi++;
		} else {
			/* an unsorted file may name a ref twice: once */
			if (!pi || strcmp(packed[pi - 1].name, packed[pi].name))
				r = cb(packed[pi].name, &packed[pi].id, payload);
			pi++;
		}
	}
out:
	for (size_t i = 0; i < nloose; i++)
		free(loose[i].name);
	for (size_t i = 0; i < npacked; i++)
		free(packed[i].name);
	free(loose);
	free(packed);
	free(dir);
	return r;
}

int gt_refs_foreach_loose(git_repository *repo, const char *prefix, gt_refs_each_cb cb,
			  void *payload)
{
	const char *slash = strrchr(prefix, '/');
	char *dir = slash ? gt_xstrndup(prefix, (size_t)(slash - prefix + 1)) : gt_xstrdup("");
	struct named_oid *loose = NULL;
	size_t nloose = 0;
	int r = list_loose(&loose, &nloose, repo, dir, prefix);
	for (size_t i = 0; r == 0 && i < nloose; i++)
		r = cb(loose[i].name, &loose[i].id, payload);
	for (size_t i = 0; i < nloose; i++)
		free(loose[i].name);
	free(loose);
	free(dir);
	return r;
}

/* "<inode> <size> <mtime>": what gt_refs_stat_line says of a file that is not racy. */
static void stat_line_of(gt_strbuf *out, const struct stat *st)
{
	gt_strbuf_addf(out, "%llu %lld %lld.%09ld", (unsigned long long)st->st_ino,
		       (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

void gt_refs_stat_line(gt_strbuf *out, const char *path)
{
	struct stat st;
	struct timespec now;
	if (stat(path, &st) < 0) {
		gt_strbuf_adds(out, "-");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age_ms = ((int64_t)now.tv_sec - st.st_mtim.tv_sec) * 1000 +
			 (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	/* a whole-second mtime may come from a file system that keeps no more */
	int64_t racy_ms = st.st_mtim.tv_nsec ? GT_REFS_RACY_MS : 2000;
	/* tests: GT_TEST_RACY_MS sets the window (0: never racy; large: always) */
	const char *test_ms = getenv("GT_TEST_RACY_MS");
	if (test_ms)
		racy_ms = strtoll(test_ms, NULL, 10);
	if (age_ms < racy_ms) {
		gt_strbuf_addf(out, "racy %ld.%09ld.%ld", (long)now.tv_sec, now.tv_nsec, (long)getpid());
		return;
	}
	stat_line_of(out, &st);
}

static int push_name(const char *refname, const git_oid *tip, void *payload)
{
	(void)tip;
	gt_strlist_push(payload, refname);
	return 0;
}

int gt_refs_list_prefix(gt_strlist *out, git_repository *repo, const char *prefix)
{
	return gt_refs_foreach_prefix(repo, prefix, push_name, out);
}

/* --- updates ------------------------------------------------------------ */

static int mkdirs_for(const char *path)
{
	char *copy = gt_xstrdup(path);
	int r = 0;
	for (char *p = strchr(copy + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
			r = gt_error_errno("cannot create %s", copy);
			break;
		}
		*p = '/';
	}
	free(copy);
	return r;
}

/* A lock we hold: the file is open, or written and closed, or gone. */
enum held_state { HELD_NONE, HELD_OPEN, HELD_WRITTEN };

struct held {
	char *path, *lock;
	int fd;
	enum held_state state;
};

/* Give up every lock still held (removing its file) and free. */
static void release_held(struct held *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (h[i].state == HELD_OPEN)
			close(h[i].fd);
		if (h[i].state != HELD_NONE)
			unlink(h[i].lock);
		free(h[i].path);
		free(h[i].lock);
	}
}

static int cmp_update(const void *a, const void *b)
{
	return strcmp(((const gt_ref_update *)a)->refname,
		      ((const gt_ref_update *)b)->refname);
}

double gt_refs_elapsed_s(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * How long take_lock waits for a ref another process has locked. git
 * pack-refs --prune (git gc, run in the background after a fetch) and
 * git's own ref writers hold a lock for an instant; git waits 100 ms for
 * them (core.filesRefLockTimeout). A sync that fails here has to be run
 * again, so gt waits longer, still short of the callers' own waits for
 * long-held and stale locks.
 */
#define REF_LOCK_WAIT_S 1.0

long gt_refs_lock_wait_seconds(gt_repo *repo)
{
	long stale_s, wait_s;
	gt_config_get_int(&stale_s, gt_repo_config(repo), "core.staleLockSeconds", 10);
	gt_config_get_int(&wait_s, gt_repo_config(repo), "core.lockTimeoutSeconds", stale_s + 5);
	return wait_s;
}

static int take_lock(struct held *h, gt_repo *repo, const char *refname)
{
	struct timespec start;
	unsigned missing = 0, busy = 0;
	double wait_s = -1;

	h->path = ref_path(gt_repo_git(repo), refname, "");
	h->lock = ref_path(gt_repo_git(repo), refname, ".lock");
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		h->fd = open(h->lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (h->fd >= 0) {
			h->state = HELD_OPEN;
			return 0;
		}
		/*
		 * The directories are made only when missing: a sync locks
		 * hundreds of refs. git pack-refs --prune removes the
		 * directories it empties, maybe between our mkdir and open:
		 * make them again, as git does.
		 */
		if (errno == ENOENT && missing++ < 8) {
			if (mkdirs_for(h->path) < 0)
				return GT_ERROR;
			continue;
		}
		if (errno != EEXIST)
			return gt_error_errno("cannot update %s", refname);
		if (wait_s < 0) { /* read once, and only when someone holds the lock */
			long configured = gt_refs_lock_wait_seconds(repo);
			wait_s = configured < REF_LOCK_WAIT_S ? (double)configured : REF_LOCK_WAIT_S;
		}
		if (gt_refs_elapsed_s(&start) >= wait_s)
			return gt_error_set(GT_ELOCKED,
					    "cannot update %s: %s exists (another git or gt is "
					    "writing it; if none is running, remove that file)",
					    refname, h->lock);
		gt_refs_backoff(busy++);
	}
}

int gt_refs_update(gt_repo *repo, const gt_ref_update *in, size_t n)
{
	gt_ref_update *u = gt_xcalloc(n, sizeof(*u));
	struct held *h = gt_xcalloc(n, sizeof(*h));
	char *journal = NULL;
	int r = 0;

	memcpy(u, in, n * sizeof(*u));
	qsort(u, n, sizeof(*u), cmp_update);
	/*
	 * Each lock file gets its new value and is closed at once, as git
	 * does: a transaction over 100k refs must not hold 100k descriptors.
	 */
	for (size_t i = 0; i < n; i++) {
		char line[GIT_OID_HEXSZ + 2];
		if ((r = take_lock(&h[i], repo, u[i].refname)) < 0)
			goto out;
		git_oid_tostr(line, sizeof(line), &u[i].new_id);
		line[GIT_OID_HEXSZ] = '\n';
		ssize_t w = write(h[i].fd, line, GIT_OID_HEXSZ + 1);
		int c = close(h[i].fd);
		h[i].state = HELD_WRITTEN;
		if (w != GIT_OID_HEXSZ + 1 || c < 0) {
			r = gt_error_errno("cannot write %s", h[i].lock);
			goto out;
		}
	}
	/* under the locks nobody else moves these refs: check them */
	for (size_t i = 0; i < n; i++) {
		git_oid cur;
		r = gt_refs_read(&cur, gt_repo_git(repo), u[i].refname);
		if (r < 0 && r != GT_ENOTFOUND)
			goto out;
		if (r == GT_ENOTFOUND ? !git_oid_is_zero(&u[i].old)
				      : !git_oid_equal(&cur, &u[i].old)) {
			r = GT_ECONFLICT;
			goto out;
		}
	}
	r = 0;
	if (n > 1 && (r = gt_txn_journal_write(&journal, repo, u, n)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (rename(h[i].lock, h[i].path) < 0) {
			r = gt_error_errno("cannot update %s", u[i].refname);
			if (journal) {
				/* half moved: leave the rest to the journal's roll-forward */
				for (size_t j = i; j < n; j++)
					h[j].state = HELD_NONE;
				free(journal);
				journal = NULL;
			}
			goto out;
		}
		h[i].state = HELD_NONE;
	}
	if (journal)
		unlink(journal);
out:
	release_held(h, n);
	free(journal);
	free(h);
	free(u);
	return r;
}

/* --- many refs in one packed-refs rewrite --------------------------------- */

struct pref {
	const char *name;     /* into the file's text, not terminated */
	size_t name_len;
	const char *line;     /* the whole entry with its peel lines */
	size_t line_len;
};

/* packed-refs read in full, to be rewritten */
struct pfile {
	gt_strbuf text;
	char *traits;         /* the header's traits, " peeled fully-peeled ..." */
	struct pref *refs;
	size_t nr, alloc;
};

static int cmp_pref(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int cmp_pref_name(const struct pref *p, const char *name, size_t len)
{
	struct pref q = { name, len, NULL, 0 };
	return cmp_pref(p, &q);
}

static void pfile_release(struct pfile *p)
{
	gt_strbuf_release(&p->text);
	free(p->traits);
	free(p->refs);
	memset(p, 0, sizeof(*p));
}

static int pfile_read(struct pfile *p, const char *path)
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
			struct pref *r = &p->refs[p->nr++];
			r->name = s + GIT_OID_HEXSZ + 1;
			r->name_len = n - GIT_OID_HEXSZ - 1;
			if (r->name_len && r->name[r->name_len - 1] == '\r')
				r->name_len--;
			r->line = s;
			r->line_len = n + (nl ? 1 : 0);
			if (p->nr > 1 && cmp_pref(&p->refs[p->nr - 2], r) >= 0)
				sorted = 0;
		} else if (n) {
			return gt_error_set(GT_ECORRUPT, "cannot parse %s line %zu", path, lineno);
		}
		s += n + 1;
	}
	if (!sorted && p->nr > 1) /* qsort(NULL, 0) is undefined */
		qsort(p->refs, p->nr, sizeof(*p->refs), cmp_pref);
	return 0;
}

static const struct pref *pfile_find(const struct pfile *p, const char *name)
{
	size_t lo = 0, hi = p->nr, len = strlen(name);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_pref_name(&p->refs[mid], name, len);
		if (c == 0)
			return &p->refs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One ref of the transaction. */
struct pmove {
	gt_ref_update *u;
	int loose;            /* a loose file exists (we hold its lock) */
	int locked;           /* we hold <ref>.lock */
	int committed;        /* the ref has its new value */
};

struct ptxn {
	gt_repo *repo;
	struct pmove *m;      /* by name */
	size_t n;
	int packed_fd;        /* packed-refs.lock, or -1 */
	char *packed, *packed_lock;
};

static int cmp_pmove(const void *a, const void *b)
{
	return strcmp(((const struct pmove *)a)->u->refname,
		      ((const struct pmove *)b)->u->refname);
}

/* Create path exclusively: 0, 1 when it exists (locked), or an error. */
static int create_lock(const char *path, int *fd_out)
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

static void ptxn_unlock(struct ptxn *t)
{
	if (t->packed_fd >= 0) {
		close(t->packed_fd);
		t->packed_fd = -1;
		unlink(t->packed_lock);
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].locked) {
			char *lock = gt_refs_lock_path(t->repo, t->m[i].u->refname);
			unlink(lock);
			free(lock);
			t->m[i].locked = 0;
		}
}

void gt_refs_backoff(unsigned attempt)
{
	/* jittered exponential backoff, 1 ms doubling up to ~50 ms */
	unsigned cap = attempt < 6 ? 1000u << attempt : 50000u;
	struct timespec ts = { 0, (long)(rand() % (cap + 1)) * 1000L };
	nanosleep(&ts, NULL);
}

/* A loose ref file: 1 with *oid, 0 when absent, an error for anything else. */
static int read_loose_oid(git_oid *oid, gt_repo *repo, const char *refname)
{
	int r = read_loose(oid, gt_repo_git(repo), refname);
	if (r == 2)
		return gt_error_set(GT_ECORRUPT, "%s is not a commit id (a symbolic ref)", refname);
	return r;
}

/*
 * One try at the locks: packed-refs.lock, then <ref>.lock of every ref
 * with a loose file. Never waits while holding a lock, so it cannot
 * deadlock with git, which takes them in the other order. 0 with the
 * locks held, 1 when one is taken (busy names it; nothing held), or an
 * error.
 */
static int ptxn_try_lock(struct ptxn *t, gt_strbuf *busy)
{
	int r;

	if ((r = create_lock(t->packed_lock, &t->packed_fd)) != 0) {
		if (r == 1)
			gt_strbuf_adds(busy, "packed-refs");
		return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct pmove *m = &t->m[i];
		git_oid cur;
		if ((r = read_loose_oid(&cur, t->repo, m->u->refname)) <= 0) {
			m->loose = 0;
			if (r < 0)
				goto out;
			continue;
		}
		char *lock = gt_refs_lock_path(t->repo, m->u->refname);
		r = create_lock(lock, NULL);
		free(lock);
		if (r != 0) {
			if (r == 1)
				gt_strbuf_adds(busy, m->u->refname);
			goto out;
		}
		m->locked = 1;
		/* what the file says now that nobody else can change it */
		if ((r = read_loose_oid(&cur, t->repo, m->u->refname)) < 0)
			goto out;
		m->loose = r;
	}
	r = 0;
out:
	if (r != 0)
		ptxn_unlock(t);
	return r;
}

static int ptxn_lock(struct ptxn *t)
{
	struct timespec start;
	gt_strbuf busy = GT_STRBUF_INIT;
	long wait_s = gt_refs_lock_wait_seconds(t->repo);
	int r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned attempt = 0;; attempt++) {
		gt_strbuf_reset(&busy);
		if ((r = ptxn_try_lock(t, &busy)) <= 0)
			goto out;
		/* packed-refs.lock too: moved aside and checked, never a fresh one */
		if (gt_txn_break_stale_lock(t->repo, busy.buf) > 0)
			attempt = 0;
		if (gt_refs_elapsed_s(&start) > (double)wait_s) {
			const char *common = git_repository_commondir(gt_repo_git(t->repo));
			r = gt_error_set(GT_ELOCKED,
					 "%s stays locked by another process "
					 "(remove %s%s%s.lock if no gt or git command is running)",
					 busy.buf, common,
					 *common && common[strlen(common) - 1] != '/' ? "/" : "",
					 busy.buf);
			goto out;
		}
		gt_refs_backoff(attempt);
	}
out:
	gt_strbuf_release(&busy);
	return r;
}

/* Under the locks: each ref against its old value. The number that differ. */
static int ptxn_verify(struct ptxn *t, const struct pfile *p)
{
	int moved = 0, r;
	for (size_t i = 0; i < t->n; i++) {
		gt_ref_update *u = t->m[i].u;
		git_oid cur;
		int have = 0;
		if (t->m[i].loose) {
			if ((r = read_loose_oid(&cur, t->repo, u->refname)) < 0)
				return r;
			have = r;
		}
		if (!have) {
			const struct pref *pr = pfile_find(p, u->refname);
			if (pr && git_oid_fromstrn(&cur, pr->line, GIT_OID_HEXSZ) < 0)
				return gt_error_set(GT_ECORRUPT, "packed-refs: bad id for %s",
						    u->refname);
			have = pr != NULL;
		}
		if (have ? git_oid_equal(&cur, &u->old) : git_oid_is_zero(&u->old))
			continue;
		if (have)
			u->old = cur;
		else
			memset(&u->old, 0, sizeof(u->old));
		moved++;
	}
	return moved;
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

/* The new packed-refs: the old entries, ours replacing or joining them. */
static void ptxn_merge(gt_strbuf *out, const struct pfile *p, const struct ptxn *t)
{
	size_t i = 0, j = 0;
	char hex[GIT_OID_HEXSZ + 1];
	add_header(out, p->traits);
	while (i < p->nr || j < t->n) {
		int cmp;
		if (i == p->nr)
			cmp = 1;
		else if (j == t->n)
			cmp = -1;
		else
			cmp = cmp_pref_name(&p->refs[i], t->m[j].u->refname,
					    strlen(t->m[j].u->refname));
		if (cmp < 0) {
			gt_strbuf_add(out, p->refs[i].line, p->refs[i].line_len);
			if (out->buf[out->len - 1] != '\n')
				gt_strbuf_addch(out, '\n');
			i++;
			continue;
		}
		/* replaced, with its peel lines (every copy, in a file with duplicates) */
		while (i < p->nr && cmp_pref_name(&p->refs[i], t->m[j].u->refname,
						  strlen(t->m[j].u->refname)) == 0)
			i++;
		git_oid_tostr(hex, sizeof(hex), &t->m[j].u->new_id);
		gt_strbuf_addf(out, "%s %s\n", hex, t->m[j].u->refname);
		j++;
	}
}

/*
 * Step 5: a ref we did not lock may have been written as a loose file by
 * a writer that read it before packed-refs moved (it held <ref>.lock).
 * Wait for such a lock to go, then look. The number of refs shadowed by
 * a value that does not descend from ours.
 */
static int ptxn_recheck(struct ptxn *t)
{
	struct timespec start;
	long wait_s = gt_refs_lock_wait_seconds(t->repo);
	int moved = 0, r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < t->n; i++) {
		struct pmove *m = &t->m[i];
		git_oid cur;
		if (m->locked)
			continue; /* held locked throughout: no one else wrote it */
		char *lock = gt_refs_lock_path(t->repo, m->u->refname);
		for (unsigned attempt = 0; access(lock, F_OK) == 0; attempt++) {
			if (gt_txn_break_stale_lock(t->repo, m->u->refname) > 0)
				break;
			if (gt_refs_elapsed_s(&start) > (double)wait_s) {
				free(lock);
				return gt_error_set(GT_ELOCKED,
						    "%s stays locked by another process "
						    "(the other refs were updated: run the command again)",
						    m->u->refname);
			}
			gt_refs_backoff(attempt);
		}
		free(lock);
		if ((r = read_loose_oid(&cur, t->repo, m->u->refname)) < 0)
			return r;
		/* no loose file, ours, or a writer that read ours and came after */
		if (r == 0 || git_oid_equal(&cur, &m->u->new_id) ||
		    git_graph_descendant_of(gt_repo_git(t->repo), &cur, &m->u->new_id) == 1)
			continue;
		m->committed = 0;
		m->u->old = cur;
		moved++;
	}
	return moved;
}

/* fsync the directory holding path, so that a rename in it is durable. */
static int fsync_dir_of(const char *path)
{
	char *dir = gt_xstrdup(path), *slash = strrchr(dir, '/');
	int fd, r = 0;

	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) < 0)
		r = gt_error_errno("cannot sync the directory of %s", path);
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

int gt_refs_update_packed(gt_repo *repo, gt_ref_update *u, size_t n, unsigned char *done)
{
	return gt_refs_update_packed_stat(repo, u, n, done, NULL, NULL);
}

int gt_refs_update_packed_stat(gt_repo *repo, gt_ref_update *u, size_t n, unsigned char *done,
			       const char *before, gt_strbuf *after)
{
	struct ptxn t;
	struct pfile p;
	gt_strbuf out = GT_STRBUF_INIT, now = GT_STRBUF_INIT;
	struct stat written;
	int r, same_file = 0;

	memset(&t, 0, sizeof(t));
	memset(&p, 0, sizeof(p));
	if (done)
		memset(done, 0, n);
	if (!n)
		return 0;
	t.repo = repo;
	t.packed_fd = -1;
	t.packed = ref_path(gt_repo_git(repo), "packed-refs", "");
	t.packed_lock = ref_path(gt_repo_git(repo), "packed-refs", ".lock");
	t.m = gt_xcalloc(n, sizeof(*t.m));
	for (size_t i = 0; i < n; i++)
		t.m[i].u = &u[i];
	t.n = n;
	qsort(t.m, n, sizeof(*t.m), cmp_pmove);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(t.m[i - 1].u->refname, t.m[i].u->refname)) {
			r = gt_error_set(GT_EINVALID, "%s is updated twice", t.m[i].u->refname);
			goto out;
		}
	if ((r = ptxn_lock(&t)) < 0)
		goto out;
	/* under the lock: is the file the one the caller's stat line names? */
	if (before && after) {
		gt_refs_stat_line(&now, t.packed);
		same_file = !strcmp(now.buf ? now.buf : "", before);
	}
	if ((r = pfile_read(&p, t.packed)) < 0)
		goto out;
	if ((r = ptxn_verify(&t, &p)) != 0) {
		if (r > 0)
			r = gt_error_set(GT_ECONFLICT, "%d of %zu refs moved meanwhile", r, n);
		goto out;
	}
	ptxn_merge(&out, &p, &t);
	if (gt_write_all(t.packed_fd, out.buf, out.len) < 0 || fsync(t.packed_fd) < 0 ||
	    fstat(t.packed_fd, &written) < 0) {
		r = gt_error_errno("cannot write %s", t.packed_lock);
		goto out;
	}
	close(t.packed_fd);
	t.packed_fd = -1;
	if (rename(t.packed_lock, t.packed) < 0) {
		r = gt_error_errno("cannot rename %s", t.packed_lock);
		unlink(t.packed_lock);
		goto out;
	}
	/* the rename moved every ref we did not lock; step 5 takes back the
	 * ones a loose file written meanwhile shadows */
	for (size_t i = 0; i < t.n; i++)
		t.m[i].committed = !t.m[i].locked;
	/* the rename reaches the disk before any loose file goes (a power
	 * loss must not leave a ref at an older packed value) */
	if ((r = fsync_dir_of(t.packed)) < 0)
		goto out;
	/* the new values are packed: drop the loose files that shadow them */
	for (size_t i = 0; i < t.n; i++) {
		struct pmove *m = &t.m[i];
		if (!m->locked)
			continue;
		if (m->loose) {
			char *path = ref_path(gt_repo_git(repo), m->u->refname, "");
			int e = unlink(path) < 0 && errno != ENOENT;
			if (e)
				r = gt_error_errno("cannot remove %s", path);
			free(path);
			if (e)
				goto out;
		}
		m->committed = 1;
	}
	ptxn_unlock(&t);
	if ((r = ptxn_recheck(&t)) > 0)
		r = gt_error_set(GT_ECONFLICT, "%d of %zu refs were written meanwhile", r, n);
	/*
	 * Ours, not racy: a rename keeps the inode, size and mtime, and
	 * writers replace packed-refs by rename, never in place, so a later
	 * file has another inode while ours is there.
	 */
	if (r == 0 && same_file)
		stat_line_of(after, &written);
out:
	ptxn_unlock(&t);
	for (size_t i = 0; done && i < t.n; i++)
		done[t.m[i].u - u] = (unsigned char)t.m[i].committed;
	if (after && !after->len && before)
		gt_strbuf_adds(after, before);
	pfile_release(&p);
	gt_strbuf_release(&out);
	gt_strbuf_release(&now);
	free(t.packed);
	free(t.packed_lock);
	free(t.m);
	return r;
}
