#include "txn.h"
#include "refs.h"
#include "error.h"
#include "json.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *journal_dir(gt_repo *repo)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_strbuf_addf(&sb, "%s/txn", gt_repo_gastown_dir(repo));
	return gt_strbuf_detach(&sb);
}

static int write_file_durably(const char *path, const char *data, size_t len)
{
	gt_strbuf tmp = GT_STRBUF_INIT;
	int fd, r = 0;
	gt_strbuf_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		r = gt_error_errno("cannot create %s", tmp.buf);
		goto out;
	}
	if (gt_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		r = gt_error_errno("cannot write %s", tmp.buf);
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	close(fd);
	if (rename(tmp.buf, path) < 0) {
		r = gt_error_errno("cannot rename %s", tmp.buf);
		unlink(tmp.buf);
	}
out:
	gt_strbuf_release(&tmp);
	return r;
}


int gt_txn_journal_write(char **path_out, gt_repo *repo,
			 const gt_ref_update *u, size_t n)
{
	static unsigned seq;
	char *dir = journal_dir(repo);
	gt_strbuf path = GT_STRBUF_INIT;
	cJSON *j = cJSON_CreateObject(), *refs = cJSON_CreateArray();
	char *text;
	int r;

	if ((r = gt_repo_ensure_gastown_dir(repo)) < 0)
		goto out;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		r = gt_error_errno("cannot create %s", dir);
		goto out;
	}
	cJSON_AddNumberToObject(j, "pid", (double)getpid());
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "ref", u[i].refname);
		cJSON_AddStringToObject(e, "old", git_oid_tostr_s(&u[i].old));
		cJSON_AddStringToObject(e, "new", git_oid_tostr_s(&u[i].new_id));
		/* which lock file is ours, so recovery never takes another's */
		char *lock = gt_refs_lock_path(repo, u[i].refname);
		struct stat st;
		if (stat(lock, &st) == 0) {
			char id[80];
			snprintf(id, sizeof(id), "%llu:%lld.%09ld", (unsigned long long)st.st_ino,
				 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
			cJSON_AddStringToObject(e, "lock", id);
		}
		free(lock);
		cJSON_AddItemToArray(refs, e);
	}
	cJSON_AddItemToObject(j, "refs", refs);
	refs = NULL;
	text = gt_json_print(j);
	gt_strbuf_addf(&path, "%s/%ld-%u", dir, (long)getpid(), seq++);
	r = write_file_durably(path.buf, text, strlen(text));
	free(text);
	if (r == 0)
		*path_out = gt_strbuf_detach(&path);
	/* test hook (t0700): die as if killed, journal written, refs locked */
	if (r == 0 && getenv("GT_TEST_CRASH_AFTER_JOURNAL"))
		_exit(137);
out:
	cJSON_Delete(refs);
	cJSON_Delete(j);
	gt_strbuf_release(&path);
	free(dir);
	return r;
}

static int process_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}


static double lock_age_s(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - st->st_mtim.tv_sec) +
	       (double)(now.tv_nsec - st->st_mtim.tv_nsec) / 1e9;
}

/*
 * Remove the lock a dead transaction left on one of its refs, and only
 * that: the lock file the journal recorded (same inode and time), or one
 * that holds the commit the transaction was writing. A live writer's
 * lock is another file.
 */
static void remove_dead_lock(const char *lock, const git_oid *new_id,
			     const char *recorded)
{
	gt_strbuf content = GT_STRBUF_INIT;
	struct stat st;
	if (stat(lock, &st) == 0 && gt_strbuf_read_file(&content, lock) == 0) {
		char id[80];
		snprintf(id, sizeof(id), "%llu:%lld.%09ld", (unsigned long long)st.st_ino,
			 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
		int ours = (recorded && !strcmp(id, recorded)) ||
			   (content.len >= GIT_OID_HEXSZ &&
			    !strncmp(content.buf, git_oid_tostr_s(new_id), GIT_OID_HEXSZ));
		if (ours)
			unlink(lock);
	}
	gt_strbuf_release(&content);
}

/*
 * Remove a stale lock file without removing a fresh one that replaced it
 * meanwhile: move it aside, and check it is still the one judged stale.
 */
static int remove_if_same(const char *lock, const struct stat *judged)
{
	gt_strbuf aside = GT_STRBUF_INIT;
	struct stat st;
	int r = 0;
	gt_strbuf_addf(&aside, "%s.stale.%ld", lock, (long)getpid());
	if (rename(lock, aside.buf) == 0) {
		if (stat(aside.buf, &st) == 0 && st.st_ino == judged->st_ino &&
		    st.st_mtim.tv_sec == judged->st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == judged->st_mtim.tv_nsec) {
			unlink(aside.buf);
			r = 1;
		} else if (link(aside.buf, lock) == 0 || errno == EEXIST) {
			unlink(aside.buf); /* put back (never over a newer lock) */
		}
	}
	gt_strbuf_release(&aside);
	return r;
}

/* Roll one dead process's journal forward. */
static int recover_journal(gt_repo *repo, const char *path)
{
	gt_strbuf text = GT_STRBUF_INIT;
	cJSON *j = NULL, *e;
	int r = 0;

	if (gt_strbuf_read_file(&text, path) < 0) {
		if (errno == ENOENT)
			return 0; /* recovered by someone else meanwhile */
		return gt_error_errno("cannot read %s", path);
	}
	j = cJSON_Parse(text.buf);
	if (!j) {
		/* a journal is written whole by rename: garbage is not ours */
		r = gt_error_set(GT_ECORRUPT, "damaged transaction journal %s", path);
		goto out;
	}
	if (process_alive(gt_json_long(j, "pid", 0)))
		goto out;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "refs")) {
		const char *ref = gt_json_str(e, "ref");
		git_oid old, new_id, cur;
		if (!ref || git_oid_fromstr(&old, gt_json_str(e, "old")) < 0 ||
		    git_oid_fromstr(&new_id, gt_json_str(e, "new")) < 0) {
			r = gt_error_set(GT_ECORRUPT, "damaged transaction journal %s", path);
			goto out;
		}
		char *lock = gt_refs_lock_path(repo, ref);
		remove_dead_lock(lock, &new_id, gt_json_str(e, "lock"));
		free(lock);
		int have = gt_refs_read(&cur, gt_repo_git(repo), ref) == 0;
		if (have && git_oid_equal(&cur, &new_id))
			continue;
		if (have ? !git_oid_equal(&cur, &old) : !git_oid_is_zero(&old))
			continue; /* moved on since: nothing to roll forward */
		gt_ref_update one = { ref, old, new_id };
		if ((r = gt_refs_update(repo, &one, 1)) < 0 && r != GT_ECONFLICT) {
			r = gt_error_set(r, "cannot roll %s forward: %s", ref, gt_error_last());
			goto out;
		}
		r = 0;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		r = gt_error_errno("cannot remove %s", path);
	else
		r = 1;
out:
	cJSON_Delete(j);
	gt_strbuf_release(&text);
	return r;
}

int gt_txn_recover(gt_repo *repo)
{
	char *dir = journal_dir(repo);
	DIR *d = opendir(dir);
	struct dirent *de;
	int recovered = 0, r = 0;

	if (!d) {
		free(dir);
		return 0; /* no journal was ever written */
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp"))
			continue;
		gt_strbuf path = GT_STRBUF_INIT;
		gt_strbuf_addf(&path, "%s/%s", dir, de->d_name);
		r = recover_journal(repo, path.buf);
		gt_strbuf_release(&path);
		if (r < 0)
			break;
		recovered += r;
	}
	closedir(d);
	free(dir);
	return r < 0 ? r : recovered;
}

int gt_txn_break_stale_lock(gt_repo *repo, const char *refname)
{
	char *lock = gt_refs_lock_path(repo, refname);
	struct stat st;
	long stale_s;
	int r = 0;

	gt_config_get_int(&stale_s, gt_repo_config(repo), "core.staleLockSeconds", 10);
	if (stat(lock, &st) == 0 && lock_age_s(&st) >= (double)stale_s) {
		/* a live writer holds its locks for milliseconds; a journal of
		 * a dead one is rolled forward first */
		if (gt_txn_recover(repo) >= 0 && stat(lock, &st) == 0 &&
		    lock_age_s(&st) >= (double)stale_s)
			r = remove_if_same(lock, &st);
	}
	free(lock);
	return r;
}
