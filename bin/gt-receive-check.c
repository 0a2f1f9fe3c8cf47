/*
 * gt receive-check: the server's check of a push, run by the
 * pre-receive hook (hooks/pre-receive) in the receiving repository.
 *
 *   gt receive-check <pre-receive input
 *
 * Reads git's pre-receive input ("<old> <new> <refname>" lines) and
 * rejects the push when it would damage the ledger: one line per problem
 * on standard error, "<refname>: <what is wrong>", and exit status 1.
 * Refs outside refs/gastown/ and refs/gastown-local/ are not looked at.
 * See Documentation/gt-receive-check.txt for every check.
 *
 * The objects of the push are still in git's quarantine directory; git
 * names it in GIT_OBJECT_DIRECTORY (with the repository's own object
 * directory in GIT_ALTERNATE_OBJECT_DIRECTORIES), and libgit2 honours
 * both when the repository is opened from the environment, as
 * gt_repo_open does (t/t0840-pre-receive.sh pushes commits that exist
 * only in the quarantine), so nothing has to be added by hand.
 */
#include "config.h"
#include "entity.h"
#include "error.h"
#include "fsck.h"
#include "json.h"
#include "ledger.h"
#include "merge.h"
#include "parse-options.h"
#include "registry.h"
#include "repo.h"
#include "strbuf.h"
#include "usage.h"

#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt receive-check <pre-receive-input",
	NULL
};

/* Operations dated further ahead of the server's clock are refused. */
#define MAX_AHEAD_MS (24LL * 60 * 60 * 1000)
/* Problems listed per pushed ref; at the next one its check stops. */
#define MAX_PROBLEMS 20

struct check {
	gt_repo *repo;
	git_repository *git;
	int64_t horizon_ms;  /* the latest operation time accepted */
	const char *pushed;  /* the ref being pushed */
	size_t problems;     /* found for that ref */
	int stopped;         /* too many: the rest of that ref is not checked */
};

/*
 * Report one problem of the pushed ref: "<pushed>: [<where>: ]<message>"
 * (where is the ledger entry concerned; NULL or the pushed ref itself
 * for none). Past MAX_PROBLEMS, says so once and returns 1: the check of
 * the ref stops.
 */
static int problem(struct check *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int problem(struct check *c, const char *where, const char *fmt, ...)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	va_list ap;

	if (c->stopped)
		return 1;
	if (c->problems == MAX_PROBLEMS) {
		fprintf(stderr, "%s: too many problems; the check stopped here\n", c->pushed);
		c->stopped = 1;
		return 1;
	}
	gt_strbuf_addf(&sb, "%s: ", c->pushed);
	if (where && strcmp(where, c->pushed))
		gt_strbuf_addf(&sb, "%s: ", where);
	va_start(ap, fmt);
	gt_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", sb.buf);
	gt_strbuf_release(&sb);
	c->problems++;
	return 0;
}

static int on_fsck(gt_fsck_severity severity, const char *where, const char *message,
		   void *payload)
{
	struct check *c = payload;
	if (severity != GT_FSCK_PROBLEM)
		return 0;
	return problem(c, where, "%s", message);
}

static char *hex(char buf[GIT_OID_HEXSZ + 1], const git_oid *id)
{
	return git_oid_tostr(buf, GIT_OID_HEXSZ + 1, id);
}

/* 1 when id names a commit; otherwise reports "points to ..." and returns 0. */
static int is_commit(struct check *c, const char *where, const git_oid *id)
{
	git_object *obj = NULL;
	char h[GIT_OID_HEXSZ + 1];
	int ok = 0;

	if (git_object_lookup(&obj, c->git, id, GIT_OBJECT_ANY) < 0)
		problem(c, where, "points to missing object %s", hex(h, id));
	else if (git_object_type(obj) != GIT_OBJECT_COMMIT)
		problem(c, where, "points to a %s, not a commit",
			git_object_type2string(git_object_type(obj)));
	else
		ok = 1;
	git_object_free(obj);
	return ok;
}

/* 1 when new equals old or descends from it. */
static int fast_forward(struct check *c, const git_oid *old, const git_oid *new)
{
	return git_oid_equal(old, new) || git_graph_descendant_of(c->git, new, old) == 1;
}

/* --- a set of object ids ----------------------------------------------------- */

struct oidset {
	git_oid *slots;
	size_t cap, nr;
};

/* Add id; 1 when it was new, 0 when already there. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	size_t i, h;

	if (2 * (s->nr + 1) > s->cap) {
		struct oidset grown = { NULL, s->cap ? 2 * s->cap : 256, 0 };
		grown.slots = gt_xcalloc(grown.cap, sizeof(*grown.slots));
		for (i = 0; i < s->cap; i++)
			if (!git_oid_is_zero(&s->slots[i]))
				oidset_add(&grown, &s->slots[i]);
		free(s->slots);
		*s = grown;
	}
	memcpy(&h, id->id, sizeof(h));
	for (i = h & (s->cap - 1); !git_oid_is_zero(&s->slots[i]); i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 0;
	s->slots[i] = *id;
	s->nr++;
	return 1;
}

/* A ledger or carrier commit: its message starts with "ledger: ". */
static int is_ledger_commit(const git_commit *commit)
{
	const char *msg = git_commit_message(commit);
	return msg && !strncmp(msg, "ledger: ", 8);
}

/*
 * Does the ledger commit new descend from old? git_graph_descendant_of
 * would answer, but its walk may go down the entity histories reachable
 * from both sides, whose cost follows the size of the ledger. Walk the
 * ledger and carrier commits alone, breadth first: a push that moves the
 * ledger forward meets old after about as many commits as it adds. Only
 * when that walk does not meet old (a rewritten history, or an old value
 * that is not a ledger commit) does git_graph_descendant_of decide.
 */
static int ledger_forward(struct check *c, const git_oid *old, const git_oid *new)
{
	struct oidset seen = { NULL, 0, 0 };
	git_oid *queue = NULL;
	size_t head = 0, tail = 0, alloc = 0;
	int found = git_oid_equal(old, new);

	oidset_add(&seen, new);
	queue = gt_xmalloc((alloc = 64) * sizeof(*queue));
	queue[tail++] = *new;
	while (!found && head < tail) {
		git_commit *commit = NULL;
		git_oid id = queue[head++];
		if (git_commit_lookup(&commit, c->git, &id) < 0) {
			git_error_clear();
			continue;
		}
		for (unsigned i = 0; i < git_commit_parentcount(commit) && !found; i++) {
			const git_oid *pid = git_commit_parent_id(commit, i);
			git_commit *parent = NULL;
			if (git_oid_equal(pid, old)) {
				found = 1;
				break;
			}
			if (!oidset_add(&seen, pid))
				continue;
			if (git_commit_lookup(&parent, c->git, pid) < 0) {
				git_error_clear();
				continue;
			}
			if (is_ledger_commit(parent)) {
				if (tail == alloc)
					queue = gt_xrealloc(queue, (alloc *= 2) * sizeof(*queue));
				queue[tail++] = *pid;
			}
			git_commit_free(parent);
		}
		git_commit_free(commit);
	}
	free(queue);
	free(seen.slots);
	return found || fast_forward(c, old, new);
}

static void rewritten(struct check *c, const char *where, const git_oid *old,
		      const git_oid *new, const char *hint)
{
	char o[GIT_OID_HEXSZ + 1], n[GIT_OID_HEXSZ + 1];
	problem(c, where, "history rewritten: %s does not descend from %s%s",
		hex(n, new), hex(o, old), hint);
}

/* --- entities -------------------------------------------------------------- */

/*
 * Operation times of the commits of the chain at new that old (NULL:
 * none) does not have: none may be more than a day ahead of the
 * server's clock.
 */
static void check_times(struct check *c, const char *refname, const git_oid *old,
			const git_oid *new)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int r;

	if ((r = git_revwalk_new(&walk, c->git)) < 0 ||
	    (r = git_revwalk_push(walk, new)) < 0 ||
	    (old && (r = git_revwalk_hide(walk, old)) < 0)) {
		gt_error_git(r, "cannot walk the history");
		problem(c, refname, "%s", gt_error_last());
		goto out;
	}
	while (!c->stopped && (r = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL;
		git_tree *tree = NULL;
		git_blob *blob = NULL;
		const git_tree_entry *te;
		cJSON *op = NULL;
		const cJSON *t;

		if (git_commit_lookup(&commit, c->git, &id) == 0 &&
		    git_commit_tree(&tree, commit) == 0 &&
		    (te = git_tree_entry_byname(tree, GT_OP_FILE)) &&
		    git_blob_lookup(&blob, c->git, git_tree_entry_id(te)) == 0 &&
		    (op = gt_json_parse(git_blob_rawcontent(blob),
					(size_t)git_blob_rawsize(blob), GT_OP_FILE)) &&
		    cJSON_IsNumber(t = cJSON_GetObjectItemCaseSensitive(op, "time")) &&
		    t->valuedouble > (double)c->horizon_ms) {
			char when[32], now[32], h[GIT_OID_HEXSZ + 1];
			gt_format_time(when, sizeof(when),
				       t->valuedouble < 9e15 ? (int64_t)t->valuedouble
							     : (int64_t)9e15);
			gt_format_time(now, sizeof(now), c->horizon_ms - MAX_AHEAD_MS);
			problem(c, refname, "commit %s: operation time %s is more than a day "
				"ahead of the server's clock (%s)", hex(h, &id), when, now);
		}
		cJSON_Delete(op);
		git_blob_free(blob);
		git_tree_free(tree);
		git_commit_free(commit);
	}
out:
	git_revwalk_free(walk);
}

/*
 * Two entities given one id on two machines: sync keeps the older at
 * the id and renames the younger, whose history goes on under its new
 * name (gt-sync(1)). So an entry may move to an unrelated history when
 * its old history continues in another entry that this push adds or
 * changes.
 */
static int renamed_away(struct check *c, const char *refname, const git_oid *old,
			const git_oid *new, const gt_ledger_entry *const *changed,
			size_t nchanged)
{
	git_oid base;
	int r = git_merge_base(&base, c->git, old, new);

	if (r != GIT_ENOTFOUND) {
		git_error_clear();
		return 0; /* related histories: a plain rewrite */
	}
	git_error_clear();
	/*
	 * Only as gt sync would have done it: the history now at the id is
	 * the older one (by its first commit), and the old one goes on
	 * under the name sync derives from its first commit. (A clone that
	 * backdates its commits can still win an id this way; the entity
	 * that held it is kept, renamed, with the id as an alias.)
	 */
	git_oid root_old, root_new;
	if (gt_merge_root(&root_old, c->repo, old) < 0 ||
	    gt_merge_root(&root_new, c->repo, new) < 0 ||
	    gt_merge_cmp_age(c->repo, &root_new, &root_old) >= 0)
		return 0;
	for (size_t i = 0; i < nchanged; i++)
		if (gt_merge_is_rename(changed[i]->refname, refname, &root_old) &&
		    git_graph_descendant_of(c->git, &changed[i]->tip, old) == 1)
			return 1;
	return 0;
}

/*
 * An entity ref moving from old (NULL: a new one) to new: a valid id, no
 * rewritten history, a sound chain (gt_fsck_entity: JSON, chain, clocks,
 * snapshot equal to the replay), no operation dated ahead.
 */
static void check_entity(struct check *c, const gt_entity_type *type, const char *refname,
			 const git_oid *old, const git_oid *new,
			 const gt_ledger_entry *const *changed, size_t nchanged)
{
	const char *id = refname + strlen(type->ref_prefix);
	size_t before = c->problems;

	if (!gt_entity_id_valid(id)) {
		problem(c, refname, "invalid %s id '%s'", type->name, id);
		return;
	}
	if (!is_commit(c, refname, new))
		return;
	if (old && !fast_forward(c, old, new) &&
	    !renamed_away(c, refname, old, new, changed, nchanged)) {
		rewritten(c, refname, old, new, "");
		return;
	}
	gt_fsck_entity(NULL, c->repo, type, refname, new, on_fsck, c);
	if (c->problems == before)
		check_times(c, refname, old, new);
}

/* --- refs/gastown/config and refs of unknown types ------------------------- */

static int ini_ok(void *user, const char *section, const char *name, const char *value)
{
	(void)user;
	(void)section;
	(void)name;
	(void)value;
	return 1; /* inih: nonzero means go on */
}

/* The shared configuration: a commit holding a "config" blob that parses. */
static void check_config(struct check *c, const char *refname, const git_oid *old,
			 const git_oid *new)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *te;

	if (!is_commit(c, refname, new))
		return;
	if (old && !fast_forward(c, old, new)) {
		rewritten(c, refname, old, new, "");
		return;
	}
	if (git_commit_lookup(&commit, c->git, new) < 0 ||
	    git_commit_tree(&tree, commit) < 0 ||
	    !(te = git_tree_entry_byname(tree, "config")) ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, c->git, git_tree_entry_id(te)) < 0) {
		problem(c, refname, "not a commit holding a blob 'config'");
		goto out;
	}
	/* as the configuration is loaded: every line unindented first */
	gt_strbuf text = GT_STRBUF_INIT;
	const char *p = git_blob_rawcontent(blob);
	size_t len = (size_t)git_blob_rawsize(blob);
	int at_start = 1;
	for (size_t i = 0; i < len; i++) {
		if (at_start && p[i] != '\n' && isspace((unsigned char)p[i]))
			continue;
		at_start = p[i] == '\n';
		gt_strbuf_addch(&text, p[i]);
	}
	int line = strlen(text.buf) != text.len ? -1 : ini_parse_string(text.buf, ini_ok, NULL);
	if (line < 0)
		problem(c, refname, "the config blob holds a NUL byte");
	else if (line)
		problem(c, refname, "bad config line %d", line);
	gt_strbuf_release(&text);
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(commit);
}

/* A ref no known type claims (a newer version's): a commit, fast-forward. */
static void check_unknown(struct check *c, const char *refname, const git_oid *old,
			  const git_oid *new)
{
	if (is_commit(c, refname, new) && old && !fast_forward(c, old, new))
		rewritten(c, refname, old, new, "");
}

/* One ref of the ledger moving from old (NULL: new) to new. */
static void check_shared_ref(struct check *c, const char *refname, const git_oid *old,
			     const git_oid *new, const gt_ledger_entry *const *changed,
			     size_t nchanged)
{
	const gt_entity_type *type = NULL;

	switch (gt_registry_ref_kind(refname, &type)) {
	case GT_REF_ENTITY:
		check_entity(c, type, refname, old, new, changed, nchanged);
		break;
	case GT_REF_CONFIG:
		check_config(c, refname, old, new);
		break;
	default:
		check_unknown(c, refname, old, new);
		break;
	}
}

/* --- the ledger ------------------------------------------------------------ */

/*
 * A new ledger commit: a commit, descending from the old one, whose tree
 * is a ledger; no entry of the old ledger dropped; every entry added or
 * moved checked as a ref of its own. Entries that did not move are not
 * looked at: the cost follows the change.
 */
static void check_ledger(struct check *c, const git_oid *old, const git_oid *new)
{
	gt_ledger_map before = GT_LEDGER_MAP_INIT, after = GT_LEDGER_MAP_INIT;
	const gt_ledger_entry **changed = NULL;
	const git_oid **was = NULL;
	size_t nchanged = 0, i, j;

	if (!is_commit(c, NULL, new))
		return;
	if (old && !ledger_forward(c, old, new)) {
		rewritten(c, NULL, old, new,
			  " (the ledger only moves forward: fetch and merge with 'gt sync', "
			  "do not force the push)");
		return;
	}
	if (gt_ledger_read(&after, c->repo, new) < 0) {
		problem(c, NULL, "not a ledger: %s", gt_error_last());
		goto out;
	}
	/* an old ledger that cannot be read is no ledger: check every entry */
	if (old && gt_ledger_read(&before, c->repo, old) < 0)
		gt_ledger_map_release(&before);

	/* both maps are sorted by name: one pass finds what changed */
	changed = gt_xcalloc(after.nr + 1, sizeof(*changed));
	was = gt_xcalloc(after.nr + 1, sizeof(*was));
	for (i = j = 0; i < before.nr || j < after.nr;) {
		int cmp = i == before.nr ? 1 : j == after.nr ? -1
			: strcmp(before.items[i].refname, after.items[j].refname);
		if (cmp < 0) {
			if (problem(c, before.items[i].refname,
				    "dropped from the ledger (entities are never removed: "
				    "a deletion is a tombstone operation)"))
				goto out;
			i++;
		} else if (cmp > 0) {
			changed[nchanged] = &after.items[j++];
			was[nchanged++] = NULL;
		} else {
			if (!git_oid_equal(&before.items[i].tip, &after.items[j].tip)) {
				changed[nchanged] = &after.items[j];
				was[nchanged++] = &before.items[i].tip;
			}
			i++;
			j++;
		}
	}
	for (i = 0; i < nchanged && !c->stopped; i++)
		check_shared_ref(c, changed[i]->refname, was[i], &changed[i]->tip,
				 changed, nchanged);
out:
	free(changed);
	free(was);
	gt_ledger_map_release(&before);
	gt_ledger_map_release(&after);
}

/* --- the pushed refs ------------------------------------------------------- */

struct update {
	git_oid old, new;
	char *refname;
};

static void check_update(struct check *c, const struct update *u)
{
	const git_oid *old = git_oid_is_zero(&u->old) ? NULL : &u->old;
	const char *ref = u->refname;

	c->pushed = ref;
	c->problems = 0;
	c->stopped = 0;
	if (!strncmp(ref, GT_LOCAL_REF_ROOT, strlen(GT_LOCAL_REF_ROOT))) {
		problem(c, NULL, "local refs are never published");
		return;
	}
	if (strncmp(ref, GT_REF_ROOT, strlen(GT_REF_ROOT)))
		return; /* not ours */
	if (git_oid_is_zero(&u->new)) {
		if (!strcmp(ref, GT_LEDGER_REF))
			problem(c, NULL, "deleting the ledger is not allowed");
		else
			problem(c, NULL, "deleting a ref of the ledger is not allowed "
				"(a deletion is a tombstone operation)");
		return;
	}
	if (!strcmp(ref, GT_LEDGER_REF))
		check_ledger(c, old, &u->new);
	else
		check_shared_ref(c, ref, old, &u->new, NULL, 0);
}

/* Parse "<old> <new> <refname>"; 0 or -1. */
static int parse_line(struct update *u, const char *line)
{
	size_t len = strlen(line);
	if (len < 2 * GIT_OID_HEXSZ + 3 || line[GIT_OID_HEXSZ] != ' ' ||
	    line[2 * GIT_OID_HEXSZ + 1] != ' ' ||
	    git_oid_fromstrn(&u->old, line, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&u->new, line + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ) < 0)
		return -1;
	u->refname = gt_xstrdup(line + 2 * GIT_OID_HEXSZ + 2);
	return 0;
}

int main(int argc, const char **argv)
{
	struct update *updates = NULL;
	size_t nr = 0, alloc = 0, rejected = 0;
	struct check c;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, r;
	struct gt_option options[] = {
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, options, usage);
	if (argc)
		gt_usage_error(usage, options, "unexpected argument '%s' (the refs are read "
			       "from standard input)", argv[0]);

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (nr == alloc)
			updates = gt_xrealloc(updates, (alloc = alloc ? 2 * alloc : 16) *
					      sizeof(*updates));
		if (parse_line(&updates[nr], line) < 0)
			gt_die("bad input line %d: expected '<old> <new> <refname>' "
			       "(the input of a pre-receive hook)", lineno);
		nr++;
	}
	free(line);

	memset(&c, 0, sizeof(c));
	if ((r = gt_repo_open(&c.repo, NULL)) < 0)
		gt_die_code(r);
	c.git = gt_repo_git(c.repo);
	c.horizon_ms = gt_now_ms() + MAX_AHEAD_MS;
	for (size_t i = 0; i < nr; i++) {
		check_update(&c, &updates[i]);
		if (c.problems)
			rejected++;
		free(updates[i].refname);
	}
	free(updates);
	gt_repo_free(c.repo);
	fflush(stderr);
	return rejected ? GT_EXIT_NO : 0;
}
