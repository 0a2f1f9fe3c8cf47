/* gt mail: send, list, read, reply to, thread, mark and archive mail. */
#include "mail.h"
#include "actor.h"
#include "error.h"
#include "format.h"
#include "json.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt mail send [--priority <p>] [--reply-to <msg>] <actor> -s <subject> [-m <body> | -F <file>]",
	"gt mail send --stdin",
	"gt mail inbox [--unread] [--json | --format <fmt>] [-z] [<actor>]",
	"gt mail read [--json] [--no-mark] [--mailbox <actor>] <msg>...",
	"gt mail reply [--priority <p>] [-s <subject>] [--mailbox <actor>] <msg> (-m <body> | -F <file>)",
	"gt mail thread [--json | --format <fmt>] [-z] [--mailbox <actor>] <msg>",
	"gt mail mark-read [--unread] [--mailbox <actor>] <msg>...",
	"gt mail archive [--mailbox <actor>] (<msg>... | --read)",
	NULL
};

static const char *str_or(const cJSON *o, const char *k, const char *def)
{
	const char *s = gt_json_str(o, k);
	return s ? s : def;
}

/* --format (NULL: --json) and the record terminator (-z) */
static gt_format *custom;
static char terminator = '\n';

/*
 * The plumbing record of a message, every key present, null where
 * absent: printed as JSON, or expanded with --format.
 */
static void print_json(const cJSON *m, int read, int archived)
{
	static const char *const keys[] = {
		"id", "from", "to", "subject", "body", NULL, "sent_at", "thread",
		"reply_to", "kind", NULL
	};
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < 10; i++) {
		if (!keys[i]) {
			const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "priority");
			cJSON_AddItemToObject(o, "priority", cJSON_IsNumber(p) ? cJSON_CreateNumber(p->valuedouble)
									   : cJSON_CreateNull());
			continue;
		}
		const char *s = gt_json_str(m, keys[i]);
		cJSON_AddItemToObject(o, keys[i], s ? cJSON_CreateString(s) : cJSON_CreateNull());
	}
	cJSON_AddBoolToObject(o, "read", read);
	cJSON_AddBoolToObject(o, "archived", archived);
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(m, "handoff");
	cJSON_AddItemToObject(o, "handoff", extra ? cJSON_Duplicate(extra, 1) : cJSON_CreateNull());
	extra = cJSON_GetObjectItemCaseSensitive(m, "bead");
	cJSON_AddItemToObject(o, "bead", extra ? cJSON_Duplicate(extra, 1) : cJSON_CreateNull());
	extra = cJSON_GetObjectItemCaseSensitive(m, "status");
	cJSON_AddItemToObject(o, "status", extra ? cJSON_Duplicate(extra, 1) : cJSON_CreateNull());
	if (custom) {
		gt_strbuf line = GT_STRBUF_INIT;
		gt_format_item item = { NULL, o, NULL, 0 };
		gt_format_expand(&line, custom, &item);
		gt_strbuf_addch(&line, terminator);
		fwrite(line.buf, 1, line.len, stdout);
		gt_strbuf_release(&line);
	} else {
		char *text = gt_json_print(o);
		puts(text);
		free(text);
	}
	cJSON_Delete(o);
}

static void print_message(const cJSON *m, int archived)
{
	printf("message %s%s\n", str_or(m, "id", "?"), archived ? " (archived)" : "");
	printf("From:     %s\n", str_or(m, "from", "?"));
	printf("To:       %s\n", str_or(m, "to", "?"));
	printf("Date:     %s\n", str_or(m, "sent_at", "?"));
	printf("Subject:  %s\n", str_or(m, "subject", ""));
	printf("Priority: %ld\n", gt_json_long(m, "priority", 2));
	printf("Thread:   %s\n", str_or(m, "thread", "?"));
	if (gt_json_str(m, "reply_to"))
		printf("Reply-To: %s\n", gt_json_str(m, "reply_to"));
	const char *body = str_or(m, "body", "");
	printf("\n%s", body);
	if (*body && body[strlen(body) - 1] != '\n')
		putchar('\n');
}

/* gt mail send --stdin: one JSON object per line, delivered in one transaction. */
static int send_stdin(gt_repo *repo)
{
	gt_strbuf in = GT_STRBUF_INIT;
	cJSON **objs = NULL;
	struct gt_mail_msg *msgs = NULL;
	size_t n = 0, alloc = 0, lineno = 0;
	gt_strlist ids = GT_STRLIST_INIT;
	int r = 0;

	if (gt_strbuf_read_fd(&in, 0) < 0)
		gt_die("cannot read standard input");
	for (char *line = in.buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		lineno++;
		if (!len)
			continue;
		char what[64];
		snprintf(what, sizeof(what), "--stdin line %zu", lineno);
		cJSON *o = gt_json_parse(line, len, what);
		if (!o) {
			r = GT_EINVALID;
			goto out;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			objs = gt_xrealloc(objs, alloc * sizeof(*objs));
			msgs = gt_xrealloc(msgs, alloc * sizeof(*msgs));
		}
		objs[n] = o;
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "priority");
		struct gt_mail_msg m = { gt_json_str(o, "to"), gt_json_str(o, "subject"),
					 gt_json_str(o, "body"), cJSON_IsNumber(p) ? (int)p->valuedouble : -1,
					 gt_json_str(o, "reply_to"), NULL, NULL };
		n++;
		if (!m.to) {
			r = gt_error_set(GT_EINVALID, "--stdin line %zu: no \"to\"", lineno);
			goto out;
		}
		msgs[n - 1] = m;
	}
	if ((r = gt_mail_send_many(&ids, repo, msgs, n)) == 0)
		for (size_t i = 0; i < ids.nr; i++)
			puts(ids.items[i]);
out:
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(objs[i]);
	free(objs);
	free(msgs);
	gt_strlist_clear(&ids);
	gt_strbuf_release(&in);
	return r;
}

struct inbox_ctx {
	int unread, nul;
};

static int print_header(const gt_mail_header *h, void *payload)
{
	const struct inbox_ctx *c = payload;
	if (c->unread && h->read)
		return 0;
	printf("%s %c %s %s: %s%c", h->id, h->read ? '-' : 'N', h->sent_at, h->from,
	       h->subject, c->nul ? '\0' : '\n');
	return 0;
}

static int inbox(gt_repo *repo, const char *actor, int unread, int json, int nul)
{
	cJSON *box = NULL;
	int r;

	if (!json && !custom) {
		/* the fast path: no JSON tree */
		struct inbox_ctx c = { unread, nul };
		return gt_mail_list(repo, actor, print_header, &c);
	}
	if ((r = gt_mail_box(&box, repo, actor)) < 0)
		return r;
	gt_mail_flags *f = gt_mail_flags_new(box);
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(box, "messages");
	/* newest first: messages are stored in arrival order */
	for (const cJSON *m = msgs && msgs->child ? msgs->child->prev : NULL; m;
	     m = m == msgs->child ? NULL : m->prev) {
		int read = gt_mail_flags_read(f, gt_json_str(m, "id"));
		if (!unread || !read)
			print_json(m, read, 0);
	}
	gt_mail_flags_free(f);
	cJSON_Delete(box);
	return 0;
}

int main(int argc, const char **argv)
{
	const char *subject = NULL, *body = NULL, *file = NULL, *reply_to = NULL;
	const char *priority = NULL, *mailbox = NULL, *format = NULL;
	int json = 0, nul = 0, unread = 0, no_mark = 0, use_stdin = 0, all_read = 0, r = 0;
	gt_strbuf text = GT_STRBUF_INIT;
	gt_repo *repo;
	struct gt_option opts[] = {
		GT_OPT_STRING('s', "subject", &subject, "subject", "send, reply: the subject (one line)"),
		GT_OPT_STRING('m', "message", &body, "body", "send, reply: the body"),
		GT_OPT_STRING('F', "file", &file, "file", "send, reply: take the body from a file (- for stdin)"),
		GT_OPT_STRING(0, "priority", &priority, "p", "send, reply: 0-4 or urgent, high, normal, low, backlog"),
		GT_OPT_STRING(0, "reply-to", &reply_to, "msg", "send: the message this answers (joins its thread)"),
		GT_OPT_BOOL(0, "stdin", &use_stdin, "send: JSON lines {to, subject, body, priority, reply_to}"),
		GT_OPT_STRING(0, "mailbox", &mailbox, "actor", "read, reply, thread, mark-read, archive: whose mailbox (default: yours)"),
		GT_OPT_BOOL(0, "unread", &unread, "inbox: only unread messages; mark-read: mark unread"),
		GT_OPT_BOOL(0, "no-mark", &no_mark, "read: do not mark the messages read"),
		GT_OPT_BOOL(0, "read", &all_read, "archive: every message already read"),
		GT_OPT_BOOL(0, "json", &json, "inbox, read, thread: one JSON object per message"),
		GT_OPT_STRING(0, "format", &format, "fmt", "inbox, thread: expand %(<key>) atoms of the JSON record"),
		GT_OPT_BOOL('z', NULL, &nul, "inbox, thread: end records with NUL (--format, porcelain inbox)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts,
			       "which subcommand? send, inbox, read, reply, thread, mark-read or archive");
	const char *sub = argv[0];
	int is_send = !strcmp(sub, "send"), is_inbox = !strcmp(sub, "inbox"),
	    is_read = !strcmp(sub, "read"), is_reply = !strcmp(sub, "reply"),
	    is_thread = !strcmp(sub, "thread"), is_mark = !strcmp(sub, "mark-read"),
	    is_archive = !strcmp(sub, "archive");
	if (!is_send && !is_inbox && !is_read && !is_reply && !is_thread && !is_mark && !is_archive)
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	int composes = is_send || is_reply;
	if (((subject || body || file || priority) && !composes) || (reply_to && !is_send) ||
	    (use_stdin && !is_send) || (mailbox && (is_send || is_inbox)) ||
	    (unread && !is_inbox && !is_mark) || (no_mark && !is_read) || (all_read && !is_archive) ||
	    (json && !is_inbox && !is_read && !is_thread) || (format && !is_inbox && !is_thread) ||
	    (nul && !is_inbox && !is_thread))
		gt_usage_error(usage, opts, "an option given does not apply to '%s'", sub);
	if (json && nul)
		gt_usage_error(usage, opts, "--json and -z cannot be used together");
	if (json && format)
		gt_usage_error(usage, opts, "--json and --format cannot be used together");
	if (is_thread && nul && !format)
		gt_usage_error(usage, opts, "thread takes -z with --format only");
	if (format) {
		int fr = gt_format_parse(&custom, format);
		if (fr < 0)
			gt_die_code(fr);
	}
	if (nul)
		terminator = '\0';
	if (body && file)
		gt_usage_error(usage, opts, "-m and -F cannot be used together");
	if (use_stdin && (argc != 1 || subject || body || file || priority || reply_to))
		gt_usage_error(usage, opts, "--stdin takes no other arguments or options");
	if (is_send && !use_stdin && (argc != 2 || !subject))
		gt_usage_error(usage, opts, "send needs the recipient and -s <subject>");
	if (is_reply && (argc != 2 || (!body && !file)))
		gt_usage_error(usage, opts, "reply needs the message and -m <body> or -F <file>");
	if (is_inbox && argc > 2)
		gt_usage_error(usage, opts, "inbox takes at most one actor address");
	if (is_thread && argc != 2)
		gt_usage_error(usage, opts, "thread takes one message id");
	if ((is_read || is_mark) && argc < 2)
		gt_usage_error(usage, opts, "%s needs message ids", sub);
	if (is_archive && (argc < 2) == !all_read)
		gt_usage_error(usage, opts, "archive needs message ids or --read (not both)");
	int prio = -1;
	if (priority && (prio = gt_mail_parse_priority(priority)) < 0)
		gt_die_code(gt_error_set(GT_EINVALID, "invalid priority '%s' (0-4, urgent, high, normal, low, backlog)",
					 priority));
	if (file && gt_strbuf_read_text_arg(&text, file) < 0)
		gt_die("cannot read %s", file);
	else if (body)
		gt_strbuf_adds(&text, body);

	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	const char *me = mailbox ? mailbox : gt_repo_actor(repo);

	if (is_send && use_stdin) {
		r = send_stdin(repo);
	} else if (is_send || is_reply) {
		cJSON *orig = NULL;
		gt_strbuf subj = GT_STRBUF_INIT;
		struct gt_mail_msg m = { argv[1], subject, text.buf, prio, reply_to, NULL, NULL };
		if (is_reply) {
			if ((r = gt_mail_find(&orig, NULL, repo, me, argv[1])) == 0) {
				const char *os = str_or(orig, "subject", "");
				if (subject)
					gt_strbuf_adds(&subj, subject);
				else if (!strncmp(os, "Re: ", 4))
					gt_strbuf_adds(&subj, os);
				else
					gt_strbuf_addf(&subj, "Re: %s", os);
				m.to = str_or(orig, "from", "");
				m.subject = subj.buf;
				m.reply_to = argv[1];
			}
		}
		char *id = NULL;
		if (r == 0 && (r = gt_mail_send(&id, repo, &m)) == 0)
			puts(id);
		free(id);
		cJSON_Delete(orig);
		gt_strbuf_release(&subj);
	} else if (is_inbox) {
		r = inbox(repo, argc > 1 ? argv[1] : gt_repo_actor(repo), unread, json, nul);
	} else if (is_read) {
		gt_strlist ids = GT_STRLIST_INIT;
		cJSON *box = NULL;
		if ((r = gt_mail_box(&box, repo, me)) == 0) {
			gt_mail_flags *f = gt_mail_flags_new(box);
			for (int i = 1; i < argc && r == 0; i++) {
				cJSON *m = NULL;
				int archived = 0;
				if ((r = gt_mail_find(&m, &archived, repo, me, argv[i])) < 0)
					break;
				if (json)
					print_json(m, gt_mail_flags_read(f, argv[i]) || (!no_mark && !archived), archived);
				else {
					if (i > 1)
						putchar('\n');
					print_message(m, archived);
				}
				if (!archived)
					gt_strlist_push(&ids, argv[i]);
				cJSON_Delete(m);
			}
			gt_mail_flags_free(f);
		}
		if (r == 0 && !no_mark && ids.nr)
			r = gt_mail_mark(NULL, repo, me, &ids, GT_MAIL_READ);
		cJSON_Delete(box);
		gt_strlist_clear(&ids);
	} else if (is_thread) {
		cJSON *all = NULL, *box = NULL;
		const cJSON *m;
		if ((r = gt_mail_thread(&all, repo, me, argv[1])) == 0 &&
		    (r = gt_mail_box(&box, repo, me)) == 0) {
			gt_mail_flags *f = gt_mail_flags_new(box);
			int first = 1;
			cJSON_ArrayForEach(m, all) {
				const char *id = gt_json_str(m, "id");
				int archived = gt_mail_flags_archived(f, id);
				if (json || custom) {
					print_json(m, gt_mail_flags_read(f, id), archived);
					continue;
				}
				if (!first)
					putchar('\n');
				first = 0;
				print_message(m, archived);
			}
			gt_mail_flags_free(f);
		}
		cJSON_Delete(box);
		cJSON_Delete(all);
	} else {
		gt_strlist ids = GT_STRLIST_INIT;
		size_t changed = 0;
		for (int i = 1; i < argc; i++)
			gt_strlist_push(&ids, argv[i]);
		if (all_read) {
			cJSON *box = NULL;
			const cJSON *m;
			if ((r = gt_mail_box(&box, repo, me)) == 0) {
				gt_mail_flags *f = gt_mail_flags_new(box);
				cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(box, "messages"))
					if (gt_mail_flags_read(f, gt_json_str(m, "id")))
						gt_strlist_push(&ids, gt_json_str(m, "id"));
				gt_mail_flags_free(f);
			}
			cJSON_Delete(box);
		}
		if (r == 0 && ids.nr)
			r = gt_mail_mark(&changed, repo, me, &ids,
					 is_archive ? GT_MAIL_ARCHIVE : unread ? GT_MAIL_UNREAD : GT_MAIL_READ);
		gt_strlist_clear(&ids);
	}
	if (r < 0)
		gt_die_code(r);
	gt_format_free(custom);
	gt_strbuf_release(&text);
	gt_repo_free(repo);
	return 0;
}
