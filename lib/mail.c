#include "mail.h"
#include "actor.h"
#include "error.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const gt_entity_type gt_mail_type = { "mail", "refs/gastown/mail/", NULL, 1 };

int gt_mail_parse_priority(const char *s)
{
	static const char *const names[] = { "urgent", "high", "normal", "low", "backlog" };
	if (s[0] >= '0' && s[0] <= '4' && !s[1])
		return s[0] - '0';
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int line_valid(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n && n <= max && !strchr(s, '\n') && gt_utf8_valid(s, n);
}

/* --- reading ------------------------------------------------------------ */

static cJSON *empty_box(const char *actor)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "actor", actor);
	cJSON_AddItemToObject(b, "messages", cJSON_CreateArray());
	cJSON_AddItemToObject(b, "read", cJSON_CreateArray());
	cJSON_AddItemToObject(b, "archived", cJSON_CreateArray());
	return b;
}

int gt_mail_box(cJSON **out, gt_repo *repo, const char *actor)
{
	char *id = NULL, *ref = NULL;
	git_oid tip;
	int r;

	*out = NULL;
	if ((r = gt_actor_to_id(&id, actor)) < 0)
		return r;
	ref = gt_entity_refname(&gt_mail_type, id);
	r = gt_refs_read(&tip, gt_repo_git(repo), ref);
	if (r == GT_ENOTFOUND) {
		*out = empty_box(actor);
		r = 0;
	} else if (r == 0) {
		r = gt_entity_read_snapshot(out, gt_repo_git(repo), &gt_mail_type, &tip, ref);
	}
	free(ref);
	free(id);
	return r;
}

struct gt_mail_flags {
	const char **read, **archived;
	size_t nread, narchived;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **sorted_strings(size_t *n, const cJSON *arr)
{
	const cJSON *e;
	const char **v = gt_xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	*n = 0;
	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e))
			v[(*n)++] = e->valuestring;
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

gt_mail_flags *gt_mail_flags_new(const cJSON *box)
{
	gt_mail_flags *f = gt_xcalloc(1, sizeof(*f));
	f->read = sorted_strings(&f->nread, cJSON_GetObjectItemCaseSensitive(box, "read"));
	f->archived = sorted_strings(&f->narchived,
				     cJSON_GetObjectItemCaseSensitive(box, "archived"));
	return f;
}

static int in_sorted(const char **v, size_t n, const char *s)
{
	return s && bsearch(&s, v, n, sizeof(*v), cmp_str) != NULL;
}

int gt_mail_flags_read(const gt_mail_flags *f, const char *id)
{
	return in_sorted(f->read, f->nread, id);
}

int gt_mail_flags_archived(const gt_mail_flags *f, const char *id)
{
	return in_sorted(f->archived, f->narchived, id);
}

void gt_mail_flags_free(gt_mail_flags *f)
{
	if (!f)
		return;
	free(f->read);
	free(f->archived);
	free(f);
}

size_t gt_mail_unread_count(const cJSON *box)
{
	gt_mail_flags *f = gt_mail_flags_new(box);
	const cJSON *m;
	size_t n = 0;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(box, "messages"))
		if (!gt_mail_flags_read(f, gt_json_str(m, "id")))
			n++;
	gt_mail_flags_free(f);
	return n;
}

static const cJSON *find_live(const cJSON *box, const char *id)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(box, "messages")) {
		const char *mid = gt_json_str(m, "id");
		if (mid && !strcmp(mid, id))
			return m;
	}
	return NULL;
}

/*
 * Every message ever delivered to actor's mailbox, from its history, for
 * which keep(msg, payload) says yes: appended (copies) to out.
 */
typedef int (*keep_fn)(const cJSON *msg, void *payload);

static int walk_history(cJSON *out, gt_repo *repo, const char *actor, keep_fn keep,
			void *payload)
{
	git_repository *git = gt_repo_git(repo);
	git_revwalk *walk = NULL;
	char *id = NULL, *ref = NULL;
	git_oid tip, c;
	int r;

	if ((r = gt_actor_to_id(&id, actor)) < 0)
		return r;
	ref = gt_entity_refname(&gt_mail_type, id);
	if ((r = gt_refs_read(&tip, git, ref)) < 0) {
		if (r == GT_ENOTFOUND)
			r = 0;
		goto out;
	}
	if ((r = git_revwalk_new(&walk, git)) < 0 || (r = git_revwalk_push(walk, &tip)) < 0) {
		r = gt_error_git(r, "cannot walk %s", ref);
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while ((r = git_revwalk_next(&c, walk)) == 0) {
		git_commit *commit = NULL;
		git_tree *tree = NULL;
		git_blob *blob = NULL;
		const git_tree_entry *te;
		cJSON *op = NULL;
		const cJSON *ch;

		if (git_commit_lookup(&commit, git, &c) < 0 || git_commit_tree(&tree, commit) < 0 ||
		    !(te = git_tree_entry_byname(tree, GT_OP_FILE)) ||
		    git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0) {
			git_tree_free(tree);
			git_commit_free(commit);
			r = gt_error_set(GT_ECORRUPT, "%s: commit %s has no operation", ref,
					 git_oid_tostr_s(&c));
			goto out;
		}
		op = gt_json_parse(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), ref);
		git_blob_free(blob);
		git_tree_free(tree);
		git_commit_free(commit);
		if (!op) {
			r = GT_ECORRUPT;
			goto out;
		}
		cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(op, "changes")) {
			const char *f = gt_json_str(ch, "append");
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(ch, "value");
			if (f && !strcmp(f, "messages") && cJSON_IsObject(v) && keep(v, payload))
				cJSON_AddItemToArray(out, cJSON_Duplicate(v, 1));
		}
		cJSON_Delete(op);
	}
	r = r == GIT_ITEROVER ? 0 : gt_error_git(r, "cannot walk %s", ref);
out:
	git_revwalk_free(walk);
	free(ref);
	free(id);
	return r;
}

static int keep_id(const cJSON *msg, void *payload)
{
	const char *id = gt_json_str(msg, "id");
	return id && !strcmp(id, payload);
}

int gt_mail_find(cJSON **msg, int *archived, gt_repo *repo, const char *actor,
		 const char *id)
{
	cJSON *box = NULL, *found = NULL;
	int r;

	*msg = NULL;
	if ((r = gt_mail_box(&box, repo, actor)) < 0)
		return r;
	const cJSON *m = find_live(box, id);
	if (m) {
		*msg = cJSON_Duplicate(m, 1);
		if (archived)
			*archived = 0;
		goto out;
	}
	found = cJSON_CreateArray();
	if ((r = walk_history(found, repo, actor, keep_id, (void *)id)) < 0)
		goto out;
	if (!found->child) {
		r = gt_error_set(GT_ENOTFOUND, "no such message: %s in %s's mailbox", id, actor);
		goto out;
	}
	*msg = cJSON_DetachItemViaPointer(found, found->child);
	if (archived)
		*archived = 1;
out:
	cJSON_Delete(found);
	cJSON_Delete(box);
	return r;
}

/* --- sending ------------------------------------------------------------ */

static int build_send(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	const cJSON *msgs = payload; /* an array of messages to this mailbox */
	const cJSON *m;
	(void)id;
	cJSON *op = gt_op_new(cJSON_GetArraySize(msgs) == 1 ? "mail.send" : "mail.send-many");
	const char *to = gt_json_str(msgs->child, "to");

	if (!gt_json_str(current, "actor"))
		gt_op_set_str(op, "actor", to);
	cJSON_ArrayForEach(m, msgs)
		gt_op_append(op, "messages", cJSON_Duplicate(m, 1));
	*op_out = op;
	return 0;
}

static void new_message_id(gt_strbuf *out, const char *text)
{
	static unsigned counter;
	gt_strbuf sb = GT_STRBUF_INIT;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1];

	gt_strbuf_addf(&sb, "%s\n%lld %ld %u %d", text, (long long)gt_now_ms(), (long)getpid(),
		       counter++, rand());
	git_odb_hash(&oid, sb.buf, sb.len, GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof(hex), &oid);
	gt_strbuf_addf(out, "msg-%.12s", hex);
	gt_strbuf_release(&sb);
}

/* The message m to store, or an error; *box_id the recipient's mailbox id. */
static int compose(cJSON **out, char **box_id, gt_repo *repo, const struct gt_mail_msg *m)
{
	const char *from = gt_repo_actor(repo);
	const char *body = m->body ? m->body : "";
	cJSON *orig = NULL, *msg;
	char now[32];
	int r;

	*out = NULL;
	if ((r = gt_actor_to_id(box_id, m->to)) < 0)
		return r;
	if (!m->subject || !line_valid(m->subject, GT_MAIL_MAX_SUBJECT))
		r = gt_error_set(GT_EINVALID,
				 "the subject must be one non-empty line of at most %d bytes",
				 GT_MAIL_MAX_SUBJECT);
	else if (strlen(body) > GT_MAIL_MAX_BODY || !gt_utf8_valid(body, strlen(body)))
		r = gt_error_set(GT_EINVALID, "the body must be valid UTF-8 of at most %d bytes",
				 GT_MAIL_MAX_BODY);
	else if (m->priority < -1 || m->priority > 4)
		r = gt_error_set(GT_EINVALID, "invalid priority %d (0-4)", m->priority);
	if (r == 0 && m->reply_to) {
		r = gt_mail_find(&orig, NULL, repo, from, m->reply_to);
		if (r == GT_ENOTFOUND)
			r = gt_mail_find(&orig, NULL, repo, m->to, m->reply_to);
		if (r == GT_ENOTFOUND)
			r = gt_error_set(GT_ENOTFOUND, "no such message: %s (--reply-to)",
					 m->reply_to);
	}
	if (r < 0) {
		free(*box_id);
		*box_id = NULL;
		return r;
	}
	gt_strbuf id = GT_STRBUF_INIT, seed = GT_STRBUF_INIT;
	gt_strbuf_addf(&seed, "%s\n%s\n%s\n%s", from, m->to, m->subject, body);
	new_message_id(&id, seed.buf);
	gt_strbuf_release(&seed);
	gt_format_time(now, sizeof(now), gt_now_ms());
	msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "id", id.buf);
	cJSON_AddStringToObject(msg, "from", from);
	cJSON_AddStringToObject(msg, "to", m->to);
	cJSON_AddStringToObject(msg, "subject", m->subject);
	cJSON_AddStringToObject(msg, "body", body);
	cJSON_AddNumberToObject(msg, "priority", m->priority < 0 ? 2 : m->priority);
	cJSON_AddStringToObject(msg, "sent_at", now);
	const char *thread = orig ? gt_json_str(orig, "thread") : NULL;
	if (!thread && orig)
		thread = gt_json_str(orig, "id");
	cJSON_AddStringToObject(msg, "thread", thread ? thread : id.buf);
	if (m->reply_to)
		cJSON_AddStringToObject(msg, "reply_to", m->reply_to);
	cJSON_AddStringToObject(msg, "kind", m->kind ? m->kind : "mail");
	for (const cJSON *e = m->extra ? m->extra->child : NULL; e; e = e->next)
		if (!cJSON_GetObjectItemCaseSensitive(msg, e->string))
			cJSON_AddItemToObject(msg, e->string, cJSON_Duplicate(e, 1));
	gt_strbuf_release(&id);
	cJSON_Delete(orig);
	*out = msg;
	return 0;
}

int gt_mail_compose(gt_mail_out *out, gt_repo *repo, const struct gt_mail_msg *m)
{
	int r;
	memset(out, 0, sizeof(*out));
	if ((r = compose(&out->msg, &out->box_id, repo, m)) < 0)
		return r;
	/* the write's payload: an array holding the one message */
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemReferenceToArray(arr, out->msg);
	out->id = gt_xstrdup(gt_json_str(out->msg, "id"));
	out->write.type = &gt_mail_type;
	out->write.id = out->box_id;
	out->write.flags = GT_WRITE_UPSERT;
	out->write.build = build_send;
	out->write.payload = arr;
	return 0;
}

void gt_mail_out_release(gt_mail_out *o)
{
	cJSON_Delete(o->write.payload); /* the reference only */
	cJSON_Delete(o->msg);
	free(o->id);
	free(o->box_id);
	memset(o, 0, sizeof(*o));
}

int gt_mail_send(char **id_out, gt_repo *repo, const struct gt_mail_msg *m)
{
	gt_mail_out o;
	int r;

	if (id_out)
		*id_out = NULL;
	if ((r = gt_mail_compose(&o, repo, m)) < 0)
		return r;
	if ((r = gt_entity_write_one(repo, &o.write)) == 0 && id_out) {
		*id_out = o.id;
		o.id = NULL;
	}
	gt_mail_out_release(&o);
	return r;
}

int gt_mail_send_many(gt_strlist *ids_out, gt_repo *repo, const struct gt_mail_msg *msgs,
		      size_t n)
{
	gt_entity_write *w = gt_xcalloc(n ? n : 1, sizeof(*w));
	cJSON **arrs = gt_xcalloc(n ? n : 1, sizeof(*arrs));
	char **boxes = gt_xcalloc(n ? n : 1, sizeof(*boxes));
	size_t nw = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		cJSON *msg = NULL;
		char *box = NULL;
		size_t j;
		if ((r = compose(&msg, &box, repo, &msgs[i])) < 0)
			break;
		if (ids_out)
			gt_strlist_push(ids_out, gt_json_str(msg, "id"));
		for (j = 0; j < nw && strcmp(boxes[j], box); j++)
			;
		if (j == nw) {
			boxes[nw] = box;
			arrs[nw] = cJSON_CreateArray();
			w[nw].type = &gt_mail_type;
			w[nw].id = box;
			w[nw].flags = GT_WRITE_UPSERT;
			w[nw].build = build_send;
			w[nw].payload = arrs[nw];
			nw++;
		} else {
			free(box);
		}
		cJSON_AddItemToArray(arrs[j], msg);
	}
	if (r == 0)
		r = gt_entity_write_many(repo, w, nw);
	for (size_t j = 0; j < nw; j++) {
		cJSON_Delete(arrs[j]);
		free(boxes[j]);
	}
	free(arrs);
	free(boxes);
	free(w);
	return r;
}

/* --- marking ------------------------------------------------------------ */

struct mark_ctx {
	const char *actor;
	const gt_strlist *ids;
	enum gt_mail_mark what;
	size_t changed;
};

static int build_mark(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct mark_ctx *c = payload;
	static const char *const types[] = { "mail.read", "mail.unread", "mail.archive" };
	gt_mail_flags *f = gt_mail_flags_new(current);
	cJSON *op = gt_op_new(types[c->what]);
	int r = 0;
	(void)id;

	c->changed = 0;
	for (size_t i = 0; i < c->ids->nr; i++) {
		const char *mid = c->ids->items[i];
		int live = find_live(current, mid) != NULL;
		int archived = gt_mail_flags_archived(f, mid);
		int read = gt_mail_flags_read(f, mid);
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(c->ids->items[j], mid);
		if (dup)
			continue;
		if (!live && !archived) {
			r = gt_error_set(GT_ENOTFOUND, "no such message: %s in %s's mailbox", mid,
					 c->actor);
			break;
		}
		if (c->what == GT_MAIL_ARCHIVE) {
			if (archived && !live)
				continue;
			cJSON *match = cJSON_CreateObject();
			cJSON_AddStringToObject(match, "id", mid);
			gt_op_remove(op, "messages", match);
			gt_op_add(op, "archived", cJSON_CreateString(mid), NULL);
			if (read)
				gt_op_remove(op, "read", cJSON_CreateString(mid));
		} else if (!live) {
			r = gt_error_set(GT_EREFUSED, "message %s is archived", mid);
			break;
		} else if (c->what == GT_MAIL_READ && !read) {
			gt_op_add(op, "read", cJSON_CreateString(mid), NULL);
		} else if (c->what == GT_MAIL_UNREAD && read) {
			gt_op_remove(op, "read", cJSON_CreateString(mid));
		} else {
			continue;
		}
		c->changed++;
	}
	gt_mail_flags_free(f);
	if (r < 0 || !c->changed) {
		cJSON_Delete(op);
		op = NULL;
	}
	*op_out = op;
	return r;
}

int gt_mail_mark(size_t *changed, gt_repo *repo, const char *actor, const gt_strlist *ids,
		 enum gt_mail_mark what)
{
	char *box = NULL;
	int r;

	if (changed)
		*changed = 0;
	if ((r = gt_actor_to_id(&box, actor)) < 0)
		return r;
	struct mark_ctx c = { actor, ids, what, 0 };
	gt_entity_write w = { &gt_mail_type, box, 0, build_mark, &c, 0, { { 0 } }, 0 };
	r = gt_entity_write_one(repo, &w);
	if (r == GT_ENOTFOUND && !strncmp(gt_error_last(), "no such mail", 12))
		r = gt_error_set(GT_ENOTFOUND, "no such message: %s in %s's mailbox",
				 ids->nr ? ids->items[0] : "?", actor);
	if (changed && r == 0)
		*changed = c.changed;
	free(box);
	return r;
}

/* --- threads ------------------------------------------------------------ */

static int keep_thread(const cJSON *msg, void *payload)
{
	const char *t = gt_json_str(msg, "thread");
	return t && !strcmp(t, payload);
}

/* Sort key of a thread's message: its time, then its depth in the replies. */
struct thread_item {
	cJSON *m;
	int depth;
};

static int by_sent(const void *a, const void *b)
{
	const struct thread_item *x = a, *y = b;
	const char *p = gt_json_str(x->m, "sent_at"), *q = gt_json_str(y->m, "sent_at");
	int c = strcmp(p ? p : "", q ? q : "");
	if (c)
		return c;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	p = gt_json_str(x->m, "id");
	q = gt_json_str(y->m, "id");
	return strcmp(p ? p : "", q ? q : "");
}

/* How many reply_to links lead from v[i] to the thread's start (bounded). */
static int reply_depth(const struct thread_item *v, size_t n, size_t i)
{
	int depth = 0;
	const char *to = gt_json_str(v[i].m, "reply_to");
	while (to && depth < (int)n) {
		size_t j;
		for (j = 0; j < n; j++) {
			const char *id = gt_json_str(v[j].m, "id");
			if (id && !strcmp(id, to))
				break;
		}
		if (j == n)
			break;
		depth++;
		to = gt_json_str(v[j].m, "reply_to");
	}
	return depth;
}

static void add_person(gt_strlist *people, const char *who)
{
	if (!who || !gt_actor_valid(who))
		return;
	for (size_t i = 0; i < people->nr; i++)
		if (!strcmp(people->items[i], who))
			return;
	gt_strlist_push(people, who);
}

int gt_mail_thread(cJSON **out, gt_repo *repo, const char *actor, const char *id)
{
	gt_strlist people = GT_STRLIST_INIT;
	cJSON *start = NULL, *all = cJSON_CreateArray();
	int r;

	*out = NULL;
	if ((r = gt_mail_find(&start, NULL, repo, actor, id)) < 0)
		goto out;
	const char *thread = gt_json_str(start, "thread");
	if (!thread)
		thread = id;
	add_person(&people, actor);
	add_person(&people, gt_json_str(start, "from"));
	add_person(&people, gt_json_str(start, "to"));
	/* everyone who wrote in the thread takes part; the list grows as we go */
	for (size_t i = 0; i < people.nr; i++) {
		cJSON *found = cJSON_CreateArray();
		if ((r = walk_history(found, repo, people.items[i], keep_thread,
				      (void *)thread)) < 0) {
			cJSON_Delete(found);
			goto out;
		}
		while (found->child) {
			cJSON *m = cJSON_DetachItemViaPointer(found, found->child);
			const char *mid = gt_json_str(m, "id");
			int seen = 0;
			const cJSON *e;
			cJSON_ArrayForEach(e, all)
				if (mid && gt_json_str(e, "id") && !strcmp(gt_json_str(e, "id"), mid))
					seen = 1;
			add_person(&people, gt_json_str(m, "from"));
			add_person(&people, gt_json_str(m, "to"));
			if (seen)
				cJSON_Delete(m);
			else
				cJSON_AddItemToArray(all, m);
		}
		cJSON_Delete(found);
	}
	size_t n = (size_t)cJSON_GetArraySize(all), k = 0;
	struct thread_item *v = gt_xcalloc(n ? n : 1, sizeof(*v));
	while (all->child)
		v[k++].m = cJSON_DetachItemViaPointer(all, all->child);
	for (k = 0; k < n; k++)
		v[k].depth = reply_depth(v, n, k);
	qsort(v, n, sizeof(*v), by_sent);
	for (k = 0; k < n; k++)
		cJSON_AddItemToArray(all, v[k].m);
	free(v);
	*out = all;
	all = NULL;
out:
	cJSON_Delete(all);
	cJSON_Delete(start);
	gt_strlist_clear(&people);
	return r;
}

/* --- the fast listing --------------------------------------------------- */

/*
 * A scanner over the snapshot's JSON text, in a private copy so that
 * strings are unescaped and terminated in place: an unescaped string is
 * never longer than its escaped form, and its closing quote becomes the
 * NUL.
 */
struct scan {
	char *p, *end;
	int bad;
};

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				  c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/* A string at s->p; *out (may be NULL: skip it) gets it, unescaped. */
static void scan_string(struct scan *s, char **out)
{
	char *p = s->p, *o, *start;

	if (p >= s->end || *p != '"') {
		s->bad = 1;
		return;
	}
	start = o = ++p;
	if (!out) {
		/* skipping (a body): jump from quote to quote with memchr */
		for (;;) {
			char *q = memchr(p, '"', (size_t)(s->end - p));
			if (!q) {
				s->bad = 1;
				return;
			}
			size_t bs = 0;
			while (q - bs > start && q[-1 - (ptrdiff_t)bs] == '\\')
				bs++;
			p = q + 1;
			if (!(bs & 1))
				break;
		}
		s->p = p;
		return;
	}
	for (;;) {
		char *q = p;
		while (q < s->end && *q != '"' && *q != '\\')
			q++;
		if (q >= s->end) {
			s->bad = 1;
			return;
		}
		if (out && o != p)
			memmove(o, p, (size_t)(q - p));
		o += q - p;
		p = q;
		if (*p == '"')
			break;
		/* an escape */
		if (p + 1 >= s->end) {
			s->bad = 1;
			return;
		}
		char c = p[1];
		p += 2;
		if (!out) {
			if (c == 'u')
				p += 4;
			continue;
		}
		switch (c) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp = p + 4 <= s->end ? hex4(p) : -1;
			if (cp < 0) {
				s->bad = 1;
				return;
			}
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && p + 6 <= s->end && p[0] == '\\' && p[1] == 'u') {
				int lo = hex4(p + 2);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			o = put_utf8(o, (unsigned)cp);
			break;
		}
		default: *o++ = c; break;
		}
	}
	s->p = p + 1;
	if (out) {
		*o = '\0';
		*out = start;
	}
}

static void scan_value(struct scan *s)
{
	int depth = 0;
	do {
		scan_ws(s);
		if (s->p >= s->end) {
			s->bad = 1;
			return;
		}
		char c = *s->p;
		if (c == '"') {
			scan_string(s, NULL);
		} else if (c == '{' || c == '[') {
			depth++;
			s->p++;
		} else if (c == '}' || c == ']') {
			depth--;
			s->p++;
		} else if (c == ',' || c == ':') {
			s->p++;
		} else {
			while (s->p < s->end && !strchr(",:]} \n\t\r", *s->p))
				s->p++;
		}
	} while (depth > 0 && !s->bad);
	if (depth < 0)
		s->bad = 1;
}

/*
 * Iterate the members of the object at s->p: *key gets each name (in
 * place), and the caller consumes the value. Returns 1 while there is
 * a member, 0 at the end; first is 1 on the first call.
 */
static int scan_member(struct scan *s, char **key, int *first)
{
	scan_ws(s);
	if (*first) {
		if (s->p >= s->end || *s->p != '{') {
			s->bad = 1;
			return 0;
		}
		s->p++;
		scan_ws(s);
		*first = 0;
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
	} else {
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		if (s->p >= s->end || *s->p != ',') {
			s->bad = 1;
			return 0;
		}
		s->p++;
		scan_ws(s);
	}
	scan_string(s, key);
	scan_ws(s);
	if (s->bad || s->p >= s->end || *s->p != ':') {
		s->bad = 1;
		return 0;
	}
	s->p++;
	scan_ws(s);
	return 1;
}

/* Iterate the elements of the array at s->p, as scan_member does. */
static int scan_element(struct scan *s, int *first)
{
	scan_ws(s);
	if (*first) {
		if (s->p >= s->end || *s->p != '[') {
			s->bad = 1;
			return 0;
		}
		s->p++;
		*first = 0;
		scan_ws(s);
	} else {
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			scan_ws(s);
		} else if (s->p >= s->end || *s->p != ']') {
			s->bad = 1;
			return 0;
		}
	}
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	return !s->bad;
}

/* A string value, or skip what is there; "" when not a string. */
static const char *scan_str_value(struct scan *s)
{
	char *v = NULL;
	if (s->p < s->end && *s->p == '"') {
		scan_string(s, &v);
		return v ? v : "";
	}
	scan_value(s);
	return "";
}

static const char **scan_str_array(struct scan *s, size_t *n)
{
	const char **v = NULL;
	size_t alloc = 0;
	int first = 1;
	*n = 0;
	if (s->p < s->end && *s->p != '[') {
		scan_value(s);
		return NULL;
	}
	while (scan_element(s, &first)) {
		const char *str = scan_str_value(s);
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			v = gt_xrealloc(v, alloc * sizeof(*v));
		}
		v[(*n)++] = str;
	}
	return v;
}

int gt_mail_list(gt_repo *repo, const char *actor, gt_mail_header_cb cb, void *payload)
{
	git_repository *git = gt_repo_git(repo);
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *te;
	gt_mail_header *h = NULL;
	const char **read = NULL;
	size_t nh = 0, alloc = 0, nread = 0;
	char *id = NULL, *ref = NULL, *text = NULL;
	git_oid tip;
	int r;

	if ((r = gt_actor_to_id(&id, actor)) < 0)
		return r;
	ref = gt_entity_refname(&gt_mail_type, id);
	if ((r = gt_refs_read(&tip, git, ref)) < 0) {
		if (r == GT_ENOTFOUND)
			r = 0; /* an empty mailbox */
		goto out;
	}
	if (git_commit_lookup(&commit, git, &tip) < 0 || git_commit_tree(&tree, commit) < 0 ||
	    !(te = git_tree_entry_byname(tree, "mail.json"))) {
		r = gt_error_set(GT_ECORRUPT, "%s: no mail.json in its tree", ref);
		goto out;
	}
	/*
	 * Read the snapshot without hashing it again, as git itself reads
	 * objects (gt fsck and git fsck check hashes): for a 3 MB mailbox
	 * the SHA-1 check is half the cost of the listing.
	 */
	gt_odb_verify_reads(0);
	r = git_blob_lookup(&blob, git, git_tree_entry_id(te));
	gt_odb_verify_reads(1);
	if (r < 0) {
		r = gt_error_git(r, "%s: cannot read mail.json", ref);
		goto out;
	}
	size_t len = (size_t)git_blob_rawsize(blob);
	text = gt_xmalloc(len + 1);
	memcpy(text, git_blob_rawcontent(blob), len);
	text[len] = '\0';
	struct scan s = { text, text + len, 0 };
	char *key;
	int first = 1;
	while (!s.bad && scan_member(&s, &key, &first)) {
		if (!strcmp(key, "messages")) {
			int f2 = 1;
			if (s.p < s.end && *s.p != '[') {
				s.bad = 1;
				break;
			}
			while (scan_element(&s, &f2)) {
				gt_mail_header m = { "", "", "", "", "", "", -1, 0 };
				char *k;
				int f3 = 1;
				while (!s.bad && scan_member(&s, &k, &f3)) {
					if (!strcmp(k, "id"))
						m.id = scan_str_value(&s);
					else if (!strcmp(k, "from"))
						m.from = scan_str_value(&s);
					else if (!strcmp(k, "to"))
						m.to = scan_str_value(&s);
					else if (!strcmp(k, "subject"))
						m.subject = scan_str_value(&s);
					else if (!strcmp(k, "sent_at"))
						m.sent_at = scan_str_value(&s);
					else if (!strcmp(k, "kind"))
						m.kind = scan_str_value(&s);
					else if (!strcmp(k, "priority") && s.p < s.end && *s.p >= '0' && *s.p <= '9') {
						m.priority = (int)strtol(s.p, NULL, 10);
						scan_value(&s);
					} else
						scan_value(&s);
				}
				if (s.bad)
					break;
				if (nh == alloc) {
					alloc = alloc ? alloc * 2 : 256;
					h = gt_xrealloc(h, alloc * sizeof(*h));
				}
				h[nh++] = m;
			}
		} else if (!strcmp(key, "read")) {
			free(read);
			read = scan_str_array(&s, &nread);
		} else {
			scan_value(&s);
		}
	}
	scan_ws(&s);
	if (s.bad || s.p != s.end) {
		r = gt_error_set(GT_ECORRUPT, "%s: mail.json is not a mailbox", ref);
		goto out;
	}
	if (read)
		qsort(read, nread, sizeof(*read), cmp_str);
	for (size_t i = nh; i-- > 0;) {
		h[i].read = read && in_sorted(read, nread, h[i].id);
		if ((r = cb(&h[i], payload)) != 0)
			break;
	}
out:
	free(read);
	free(h);
	free(text);
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(commit);
	free(ref);
	free(id);
	return r;
}
