#include "molecule.h"
#include "bead.h"
#include "error.h"
#include "index.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The member a squash sets on its wisp in the digest's transaction. */
#define SQUASHED_KEY "squashed"

const char *gt_mol_state_name(gt_mol_state s)
{
	static const char *const names[] = { "done", "ready", "active", "blocked" };
	return names[s];
}

/* --- pour --------------------------------------------------------------- */

/* A parent id free among beads and wisps; wisps get "<prefix>-wisp-<b36>". */
static int new_mol_id(char **out, gt_repo *repo, const char *title, int wisp)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		char *id = NULL;
		int r = gt_bead_new_id(&id, repo, title);
		if (r < 0)
			return r;
		if (wisp) {
			size_t plen = strlen(gt_repo_prefix(repo));
			gt_strbuf sb = GT_STRBUF_INIT;
			gt_strbuf_addf(&sb, "%.*s" GT_WISP_ID_MARK "%s", (int)plen, id, id + plen + 1);
			free(id);
			id = gt_strbuf_detach(&sb);
		}
		cJSON *b = NULL;
		if (gt_bead_read(&b, repo, id) == GT_ENOTFOUND) {
			gt_error_clear();
			*out = id;
			return 0;
		}
		cJSON_Delete(b);
		free(id);
	}
	return gt_error_set(GT_EEXISTS, "cannot find a free molecule id");
}

static int already_attached(const char *bead, const char *mol)
{
	return gt_error_set(GT_EREFUSED,
			    "bead %s already has molecule %s attached: squash or burn it if it is a wisp, else detach it with 'gt update %s --unset molecule'",
			    bead, mol, bead);
}

struct attach_ctx {
	const char *mol;   /* attach this molecule; NULL: detach */
};

static int build_attach(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct attach_ctx *c = payload;
	const char *have = gt_json_str(current, "molecule");
	char now[32];

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(current, GT_TOMBSTONE_KEY)))
		return gt_error_set(GT_ENOTFOUND, "bead %s was deleted", id);
	if (c->mol && have)
		return already_attached(id, have);
	if (!c->mol && !have) {
		*op_out = NULL;
		return 0;
	}
	cJSON *op = gt_op_new(c->mol ? "bead.attach" : "bead.detach");
	if (c->mol)
		gt_op_set_str(op, "molecule", c->mol);
	else
		gt_op_unset(op, "molecule");
	gt_format_time(now, sizeof(now), gt_now_ms());
	gt_op_set_str(op, "updated_at", now);
	*op_out = op;
	return 0;
}

static void copy_member(cJSON *to, const char *to_key, const cJSON *from, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
	if (v && !cJSON_IsNull(v))
		gt_json_put(to, to_key, cJSON_Duplicate(v, 1));
}

/* The records of the beads to create: the parent, then a child per step. */
static cJSON *mol_records(const cJSON *proto, const char *pid, int wisp, const char *attach)
{
	cJSON *records = cJSON_CreateArray(), *parent = cJSON_CreateObject();
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(proto, "steps"), *s;
	const char *formula = gt_json_str(proto, "formula");
	int n = 0;

	gt_json_put_str(parent, "id", pid);
	gt_json_put_str(parent, "title", formula ? formula : "molecule");
	copy_member(parent, "description", proto, "description");
	gt_json_put_str(parent, "issue_type", "molecule");
	gt_json_put_str(parent, "formula", formula ? formula : "");
	copy_member(parent, "proto", proto, "id");
	copy_member(parent, "mol_vars", proto, "vars");
	if (attach)
		gt_json_put_str(parent, "attached_to", attach);
	if (wisp)
		cJSON_AddTrueToObject(parent, "ephemeral");
	cJSON_AddItemToArray(records, parent);

	cJSON_ArrayForEach(s, steps) {
		cJSON *c = cJSON_CreateObject(), *deps = cJSON_CreateArray();
		gt_strbuf id = GT_STRBUF_INIT;
		const cJSON *need;
		gt_strbuf_addf(&id, "%s.%d", pid, ++n);
		gt_json_put_str(c, "id", id.buf);
		gt_json_put_str(c, "parent", pid);
		copy_member(c, "title", s, "title");
		copy_member(c, "description", s, "description");
		copy_member(c, "issue_type", s, "type");
		copy_member(c, "priority", s, "priority");
		copy_member(c, "labels", s, "labels");
		copy_member(c, "assignee", s, "assignee");
		copy_member(c, "acceptance_criteria", s, "acceptance");
		copy_member(c, "mol_step", s, "id");
		if (wisp)
			cJSON_AddTrueToObject(c, "ephemeral");
		cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			int m = 0;
			const cJSON *t;
			cJSON_ArrayForEach(t, steps) {
				m++;
				if (cJSON_IsString(need) &&
				    !strcmp(gt_json_str(t, "id") ? gt_json_str(t, "id") : "", need->valuestring))
					break;
			}
			gt_strbuf dep = GT_STRBUF_INIT;
			gt_strbuf_addf(&dep, "%s.%d", pid, m);
			cJSON *d = cJSON_CreateObject();
			gt_json_put_str(d, "type", "blocks");
			gt_json_put_str(d, "depends_on_id", dep.buf);
			cJSON_AddItemToArray(deps, d);
			gt_strbuf_release(&dep);
		}
		cJSON_AddItemToObject(c, "dependencies", deps);
		cJSON_AddItemToArray(records, c);
		gt_strbuf_release(&id);
	}
	return records;
}

/* Every need of every step names a step: a proto read from the ledger may be damaged. */
static int proto_valid(const cJSON *proto)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(proto, "steps"), *s, *need;
	if (!cJSON_IsArray(steps) || !cJSON_GetArraySize(steps))
		return gt_error_set(GT_EINVALID, "the protomolecule has no steps: cook the formula again");
	cJSON_ArrayForEach(s, steps)
		cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			const cJSON *t;
			int found = 0;
			cJSON_ArrayForEach(t, steps)
				found |= cJSON_IsString(need) && gt_json_str(t, "id") &&
					 !strcmp(gt_json_str(t, "id"), need->valuestring);
			if (!found)
				return gt_error_set(GT_EINVALID, "the protomolecule's step '%s' needs "
						    "'%s', which it has not: cook the formula again",
						    gt_json_str(s, "id") ? gt_json_str(s, "id") : "?",
						    cJSON_IsString(need) ? need->valuestring : "?");
		}
	return 0;
}

int gt_mol_pour(char **id_out, gt_repo *repo, const cJSON *proto, int wisp,
		const char *attach)
{
	struct attach_ctx ac = { NULL };
	gt_entity_write extra = { &gt_bead_type, attach, 0, build_attach, &ac, 0, { { 0 } }, 0 };
	struct gt_bead_create_opts o = { wisp ? &gt_wisp_type : &gt_bead_type, 0, NULL, 0 };
	gt_strlist ids = GT_STRLIST_INIT;
	cJSON *records = NULL, *b = NULL;
	char *pid = NULL;
	int r;

	*id_out = NULL;
	if ((r = proto_valid(proto)) < 0)
		return r;
	if (attach) {
		if ((r = gt_bead_read(&b, repo, attach)) < 0)
			return r;
		if (gt_json_str(b, "molecule")) {
			r = already_attached(attach, gt_json_str(b, "molecule"));
			cJSON_Delete(b);
			return r;
		}
		cJSON_Delete(b);
		if (gt_bead_is_wisp(repo, attach))
			extra.type = &gt_wisp_type;
	}
	if ((r = new_mol_id(&pid, repo, gt_json_str(proto, "formula"), wisp)) < 0)
		return r;
	ac.mol = pid;
	if (attach) {
		o.extra = &extra;
		o.nextra = 1;
	}
	records = mol_records(proto, pid, wisp, attach);
	r = gt_bead_create_many_opts(&ids, repo, records, &o);
	cJSON_Delete(records);
	gt_strlist_clear(&ids);
	if (r < 0) {
		free(pid);
		return r;
	}
	*id_out = pid;
	return 0;
}

/* --- reading ------------------------------------------------------------ */

void gt_mol_free(gt_mol *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nsteps; i++) {
		free(m->steps[i].id);
		free(m->steps[i].step);
		free(m->steps[i].title);
		free(m->steps[i].status);
		gt_strlist_clear(&m->steps[i].waiting);
	}
	free(m->steps);
	free(m->id);
	cJSON_Delete(m->bead);
	free(m);
}

/* The child number of id under parent ("<parent>.<n>"), or 0. */
static long child_number(const char *id, const char *parent)
{
	size_t plen = strlen(parent);
	char *end;
	if (strncmp(id, parent, plen) || id[plen] != '.')
		return 0;
	long n = strtol(id + plen + 1, &end, 10);
	return end != id + plen + 1 && !*end && n > 0 ? n : 0;
}

struct child {
	long n;
	char *id;
	cJSON *snap;
};

static int cmp_child(const void *a, const void *b)
{
	const struct child *x = a, *y = b;
	return (x->n > y->n) - (x->n < y->n);
}

/* Is the bead id closed? Sibling steps first, then the ledger. */
static int is_closed(gt_repo *repo, const struct child *c, size_t n, const char *id)
{
	cJSON *b = NULL;
	int closed;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].id, id)) {
			const char *st = gt_json_str(c[i].snap, "status");
			return st && !strcmp(st, "closed");
		}
	if (gt_bead_read(&b, repo, id) < 0) {
		gt_error_clear();
		return 1; /* a dangling edge does not block (as in gt ready) */
	}
	closed = gt_json_str(b, "status") && !strcmp(gt_json_str(b, "status"), "closed");
	cJSON_Delete(b);
	return closed;
}

int gt_mol_read(gt_mol **out, gt_repo *repo, const char *id)
{
	gt_mol *m = NULL;
	gt_strlist names = GT_STRLIST_INIT;
	struct child *c = NULL;
	size_t nc = 0;
	cJSON *bead = NULL;
	const gt_entity_type *type;
	gt_strbuf prefix = GT_STRBUF_INIT;
	int r;

	*out = NULL;
	if ((r = gt_bead_read(&bead, repo, id)) < 0)
		return r;
	if (!gt_json_str(bead, "issue_type") || strcmp(gt_json_str(bead, "issue_type"), "molecule")) {
		r = gt_error_set(GT_EINVALID, "%s is not a molecule (its issue_type is %s)", id,
				 gt_json_str(bead, "issue_type") ? gt_json_str(bead, "issue_type") : "task");
		cJSON_Delete(bead);
		return r;
	}
	m = gt_xcalloc(1, sizeof(*m));
	m->id = gt_xstrdup(id);
	m->bead = bead;
	m->wisp = gt_bead_is_wisp(repo, id);
	type = m->wisp ? &gt_wisp_type : &gt_bead_type;
	gt_strbuf_addf(&prefix, "%s%s.", type->ref_prefix, id);
	if ((r = gt_refs_list_prefix(&names, gt_repo_git(repo), prefix.buf)) < 0)
		goto out;
	c = gt_xcalloc(names.nr ? names.nr : 1, sizeof(*c));
	for (size_t i = 0; i < names.nr; i++) {
		const char *cid = names.items[i] + strlen(type->ref_prefix);
		long n = child_number(cid, id);
		cJSON *snap = NULL;
		if (!n)
			continue;
		if ((r = gt_bead_read(&snap, repo, cid)) == GT_ENOTFOUND) {
			gt_error_clear();
			continue; /* deleted */
		}
		if (r < 0)
			goto out;
		c[nc++] = (struct child){ n, gt_xstrdup(cid), snap };
	}
	r = 0;
	qsort(c, nc, sizeof(*c), cmp_child);
	m->steps = gt_xcalloc(nc ? nc : 1, sizeof(*m->steps));
	for (size_t i = 0; i < nc; i++) {
		gt_mol_step *s = &m->steps[m->nsteps++];
		const char *status = gt_json_str(c[i].snap, "status");
		const cJSON *d;
		s->id = gt_xstrdup(c[i].id);
		s->step = gt_xstrdup(gt_json_str(c[i].snap, "mol_step") ? gt_json_str(c[i].snap, "mol_step") : "");
		s->title = gt_xstrdup(gt_json_str(c[i].snap, "title") ? gt_json_str(c[i].snap, "title") : "");
		s->status = gt_xstrdup(status ? status : "open");
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(c[i].snap, "dependencies")) {
			const char *t = gt_json_str(d, "depends_on_id");
			if (t && gt_bead_dep_blocks(gt_json_str(d, "type")) && !is_closed(repo, c, nc, t))
				gt_strlist_push(&s->waiting, t);
		}
		if (!strcmp(s->status, "closed"))
			s->state = GT_STEP_DONE;
		else if (!strcmp(s->status, "in_progress") || !strcmp(s->status, "hooked"))
			s->state = GT_STEP_ACTIVE;
		else if (!strcmp(s->status, "open") && !s->waiting.nr)
			s->state = GT_STEP_READY;
		else
			s->state = GT_STEP_BLOCKED;
		m->count[s->state]++;
	}
	*out = m;
	m = NULL;
out:
	for (size_t i = 0; i < nc; i++) {
		free(c[i].id);
		cJSON_Delete(c[i].snap);
	}
	free(c);
	gt_strlist_clear(&names);
	gt_strbuf_release(&prefix);
	gt_mol_free(m);
	return r;
}

int gt_mol_list(gt_strlist *out, gt_repo *repo)
{
	gt_index *ix = NULL;
	gt_strlist names = GT_STRLIST_INIT;
	int r;

	if ((r = gt_index_load(&ix, repo)) < 0)
		return r;
	for (size_t i = 0; i < gt_index_count(ix); i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		if (e->issue_type && !strcmp(e->issue_type, "molecule"))
			gt_strlist_push(out, e->id);
	}
	gt_index_free(ix);
	if ((r = gt_refs_list_prefix(&names, gt_repo_git(repo), GT_WISP_REF_PREFIX)) < 0)
		return r;
	for (size_t i = 0; i < names.nr; i++) {
		const char *id = names.items[i] + strlen(GT_WISP_REF_PREFIX);
		cJSON *b = NULL;
		if (strchr(id, '.') || strchr(id, '/'))
			continue; /* a step */
		if (gt_bead_read(&b, repo, id) < 0) {
			gt_error_clear();
			continue;
		}
		if (gt_json_str(b, "issue_type") && !strcmp(gt_json_str(b, "issue_type"), "molecule"))
			gt_strlist_push(out, id);
		cJSON_Delete(b);
	}
	gt_strlist_clear(&names);
	return 0;
}

/* --- squash and burn ------------------------------------------------------ */

/* Remove the refs of a wisp: its steps, then the parent. */
static int remove_wisp_refs(gt_repo *repo, const gt_mol *m)
{
	gt_strbuf ref = GT_STRBUF_INIT;
	int r = 0;
	for (size_t i = 0; i <= m->nsteps && r == 0; i++) {
		const char *id = i < m->nsteps ? m->steps[i].id : m->id;
		int g;
		gt_strbuf_reset(&ref);
		gt_strbuf_addf(&ref, "%s%s", GT_WISP_REF_PREFIX, id);
		if ((g = git_reference_remove(gt_repo_git(repo), ref.buf)) < 0 && g != GIT_ENOTFOUND)
			r = gt_error_git(g, "cannot remove %s", ref.buf);
	}
	gt_strbuf_release(&ref);
	return r;
}

static int read_wisp(gt_mol **m, gt_repo *repo, const char *id, const char *what)
{
	int r = gt_mol_read(m, repo, id);
	if (r < 0)
		return r;
	if (!(*m)->wisp) {
		r = !strcmp(what, "squash")
			? gt_error_set(GT_EREFUSED,
				       "%s is a poured molecule: it keeps its history in the ledger, only a wisp is squashed (close its steps instead)",
				       id)
			: gt_error_set(GT_EREFUSED,
				       "%s is not a wisp: only a wisp is burnt (a poured molecule is shared history)",
				       id);
		gt_mol_free(*m);
		*m = NULL;
	}
	return r;
}

static void digest_records(cJSON *records, const gt_mol *m, const char *summary)
{
	cJSON *d = cJSON_CreateObject(), *steps = cJSON_CreateArray(), *dig = cJSON_CreateObject();
	gt_strbuf title = GT_STRBUF_INIT, desc = GT_STRBUF_INIT;
	const char *t = gt_json_str(m->bead, "title");

	gt_strbuf_addf(&title, "Digest: %s", t ? t : m->id);
	if (summary)
		gt_strbuf_adds(&desc, summary);
	else
		gt_strbuf_addf(&desc, "Wisp %s: %zu of %zu steps done.", m->id,
			       m->count[GT_STEP_DONE], m->nsteps);
	for (size_t i = 0; i < m->nsteps; i++) {
		cJSON *s = cJSON_CreateObject();
		gt_json_put_str(s, "id", m->steps[i].id);
		gt_json_put_str(s, "step", m->steps[i].step);
		gt_json_put_str(s, "title", m->steps[i].title);
		gt_json_put_str(s, "status", m->steps[i].status);
		cJSON_AddItemToArray(steps, s);
	}
	cJSON_AddItemToObject(dig, "steps", steps);
	cJSON_AddNumberToObject(dig, "done", (double)m->count[GT_STEP_DONE]);
	cJSON_AddNumberToObject(dig, "total", (double)m->nsteps);
	gt_json_put_str(d, "title", title.buf);
	gt_json_put_str(d, "description", desc.buf);
	gt_json_put_str(d, "issue_type", "digest");
	gt_json_put_str(d, "status", "closed");
	gt_json_put_str(d, "close_reason", "squashed");
	copy_member(d, "formula", m->bead, "formula");
	copy_member(d, "attached_to", m->bead, "attached_to");
	gt_json_put_str(d, "squashed_from", m->id);
	cJSON_AddItemToObject(d, "digest", dig);
	cJSON_AddItemToArray(records, d);
	gt_strbuf_release(&title);
	gt_strbuf_release(&desc);
}

/* The write that detaches m from its bead, when it is attached to one still. */
static int detach_write(gt_entity_write *w, struct attach_ctx *ac, gt_repo *repo, const gt_mol *m)
{
	const char *to = gt_json_str(m->bead, "attached_to");
	cJSON *b = NULL;
	int attached;
	if (!to || gt_bead_read(&b, repo, to) < 0) {
		gt_error_clear();
		return 0;
	}
	attached = gt_json_str(b, "molecule") && !strcmp(gt_json_str(b, "molecule"), m->id);
	cJSON_Delete(b);
	if (!attached)
		return 0;
	ac->mol = NULL;
	*w = (gt_entity_write){ gt_bead_is_wisp(repo, to) ? &gt_wisp_type : &gt_bead_type, to, 0,
				build_attach, ac, 0, { { 0 } }, 0 };
	return 1;
}

/* In the digest's transaction: the wisp is marked as squashed. */
static int build_squashed(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	char now[32];
	(void)payload;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(current, GT_TOMBSTONE_KEY)))
		return gt_error_set(GT_ENOTFOUND, "wisp %s was deleted", id);
	cJSON *op = gt_op_new("bead.update");
	gt_op_set(op, SQUASHED_KEY, cJSON_CreateTrue());
	gt_format_time(now, sizeof(now), gt_now_ms());
	gt_op_set_str(op, "updated_at", now);
	*op_out = op;
	return 0;
}

/* The digest a squash of the wisp id made (NULL: none is left). */
static char *find_digest(gt_repo *repo, const char *id)
{
	gt_index *ix = NULL;
	char *found = NULL;

	if (gt_index_load(&ix, repo) < 0) {
		gt_error_clear();
		return NULL;
	}
	for (size_t i = 0; !found && i < gt_index_count(ix); i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		if (!e->issue_type || strcmp(e->issue_type, "digest") || !e->json)
			continue;
		cJSON *snap = cJSON_ParseWithLength(e->json, e->json_len);
		const char *from = gt_json_str(snap, "squashed_from");
		if (from && !strcmp(from, id))
			found = gt_xstrdup(e->id);
		cJSON_Delete(snap);
	}
	gt_index_free(ix);
	return found;
}

/*
 * The digest, the detaching of the bead and the mark on the wisp are one
 * transaction; the wisp's refs go after it, one by one. A squash stopped
 * between the two (a crash, a kill) leaves a marked wisp: run again, it
 * finds the digest made then and removes what is left of the wisp,
 * instead of making a second digest from a wisp that may have lost
 * some of its steps.
 */
int gt_mol_squash(char **digest_out, gt_repo *repo, const char *id, const char *summary)
{
	gt_mol *m = NULL;
	struct attach_ctx ac = { NULL };
	gt_entity_write w[2];
	struct gt_bead_create_opts o = { &gt_bead_type, 1, w, 0 };
	gt_strlist ids = GT_STRLIST_INIT;
	cJSON *records;
	char *digest = NULL;
	int r;

	*digest_out = NULL;
	if ((r = read_wisp(&m, repo, id, "squash")) < 0)
		return r;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m->bead, SQUASHED_KEY)))
		digest = find_digest(repo, id);
	if (!digest) {
		if (detach_write(&w[0], &ac, repo, m))
			o.nextra++;
		w[o.nextra++] = (gt_entity_write){ &gt_wisp_type, m->id, 0, build_squashed, NULL, 0,
						   { { 0 } }, 0 };
		records = cJSON_CreateArray();
		digest_records(records, m, summary);
		r = gt_bead_create_many_opts(&ids, repo, records, &o);
		cJSON_Delete(records);
		if (r == 0)
			digest = gt_xstrdup(ids.items[0]);
	}
	/* tests: stop here, as a crash would, the wisp marked and still there */
	if (r == 0 && getenv("GT_TEST_SQUASH_CRASH"))
		_exit(137);
	if (r == 0 && (r = remove_wisp_refs(repo, m)) == 0) {
		*digest_out = digest;
		digest = NULL;
	}
	free(digest);
	gt_strlist_clear(&ids);
	gt_mol_free(m);
	return r;
}

int gt_mol_burn(gt_repo *repo, const char *id)
{
	gt_mol *m = NULL;
	struct attach_ctx ac = { NULL };
	gt_entity_write w;
	int r;

	if ((r = read_wisp(&m, repo, id, "burn")) < 0)
		return r;
	if (detach_write(&w, &ac, repo, m) && (r = gt_entity_write_one(repo, &w)) < 0)
		goto out;
	r = remove_wisp_refs(repo, m);
out:
	gt_mol_free(m);
	return r;
}
