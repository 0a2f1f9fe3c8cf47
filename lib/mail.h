#ifndef GT_MAIL_H
#define GT_MAIL_H

#include <cJSON.h>
#include "entity.h"
#include "parse-options.h"
#include "repo.h"

/*
 * Mail: one mailbox per actor, an entity under refs/gastown/mail/<id>
 * (the id the address encoded by gt_actor_to_id()). The snapshot:
 *
 *   {"actor":    "<address>",
 *    "messages": [{"id", "from", "to", "subject", "body", "priority",
 *                  "sent_at", "thread", "reply_to", "kind", ...}, ...],
 *    "read":     ["<message id>", ...],
 *    "archived": ["<message id>", ...]}
 *
 * Sending appends to "messages" (mail only accumulates, so messages sent
 * concurrently, or on two clones, are all kept); reading adds the id to
 * "read" (a set). Archiving adds the id to "archived" and removes the
 * message from "messages": the snapshot holds the working set, so that
 * a send (which rewrites the snapshot) costs what is unarchived, not
 * everything ever received. An archived message stays in the history
 * (the op.json of the commit that delivered it) and is found there by
 * gt_mail_find and gt_mail_thread. Message ids are "msg-<12 hex>", made
 * from a hash of the message, the time and the process, unique across
 * clones. "kind" says what sent it: "mail", "sling", "done", "handoff".
 */

extern const gt_entity_type gt_mail_type;

#define GT_MAIL_MAX_SUBJECT 200
#define GT_MAIL_MAX_BODY (1024 * 1024)

struct gt_mail_msg {
	const char *to;        /* the recipient's address */
	const char *subject;   /* one non-empty line */
	const char *body;      /* may be NULL or empty */
	int priority;          /* 0 (urgent) .. 4; -1: the default 2 */
	const char *reply_to;  /* a message id, or NULL */
	const char *kind;      /* NULL: "mail" */
	const cJSON *extra;    /* more members for the message (not consumed), or NULL */
};

/*
 * A composed message, ready to go into a transaction: write is one
 * gt_entity_write (the recipient's mailbox) to pass to
 * gt_entity_write_many beside others. Release with gt_mail_out_release.
 */
typedef struct gt_mail_out {
	char *id;              /* the message id */
	char *box_id;          /* the mailbox's entity id */
	cJSON *msg;            /* the message as it will be stored */
	gt_entity_write write;
} gt_mail_out;

/*
 * Compose m from the acting identity. Checks the address, subject, body
 * and priority (GT_EINVALID naming what is wrong), resolves reply_to (in
 * the sender's mailbox, then the recipient's; GT_ENOTFOUND "no such
 * message") so that the reply joins its thread.
 */
int gt_mail_compose(gt_mail_out *out, gt_repo *repo, const struct gt_mail_msg *m);
void gt_mail_out_release(gt_mail_out *o);

/* Compose and deliver one message; *id_out (caller frees, may be NULL). */
int gt_mail_send(char **id_out, gt_repo *repo, const struct gt_mail_msg *m);

/*
 * Deliver every message of msgs[0..n) in one transaction, one commit per
 * mailbox however many messages go to it (bulk delivery). ids_out (may
 * be NULL) receives the message ids in order.
 */
int gt_mail_send_many(gt_strlist *ids_out, gt_repo *repo,
		      const struct gt_mail_msg *msgs, size_t n);

/*
 * The mailbox snapshot of actor (caller deletes); a mailbox that was
 * never written is {"actor": actor, "messages": [], "read": [],
 * "archived": []}. GT_EINVALID for an invalid address.
 */
int gt_mail_box(cJSON **out, gt_repo *repo, const char *actor);

/*
 * The fast listing: the headers of actor's messages, newest first, read
 * straight from the snapshot's text without building a JSON tree (10k
 * messages in a few milliseconds). The strings are valid only during
 * the callback; a nonzero return from cb stops the listing and is
 * returned. GT_ECORRUPT when the snapshot is not a mailbox.
 */
typedef struct gt_mail_header {
	const char *id, *from, *to, *subject, *sent_at, *kind; /* never NULL ("" when absent) */
	int priority;   /* -1 when absent */
	int read;
} gt_mail_header;
typedef int (*gt_mail_header_cb)(const gt_mail_header *h, void *payload);
int gt_mail_list(gt_repo *repo, const char *actor, gt_mail_header_cb cb, void *payload);

/* Membership of a mailbox's "read" and "archived" sets, fast for large boxes. */
typedef struct gt_mail_flags gt_mail_flags;
gt_mail_flags *gt_mail_flags_new(const cJSON *box);
int gt_mail_flags_read(const gt_mail_flags *f, const char *id);
int gt_mail_flags_archived(const gt_mail_flags *f, const char *id);
void gt_mail_flags_free(gt_mail_flags *f);

/* The number of messages in box not yet read. */
size_t gt_mail_unread_count(const cJSON *box);

/*
 * Find message id in actor's mailbox: among the messages, else (archived)
 * in the mailbox's history. *msg (caller deletes) is a copy; *archived
 * (may be NULL) tells which. GT_ENOTFOUND "no such message: <id> in
 * <actor>'s mailbox".
 */
int gt_mail_find(cJSON **msg, int *archived, gt_repo *repo, const char *actor,
		 const char *id);

enum gt_mail_mark { GT_MAIL_READ, GT_MAIL_UNREAD, GT_MAIL_ARCHIVE };

/*
 * Mark the messages ids in actor's mailbox, in one commit. Every id must
 * be in the mailbox (GT_ENOTFOUND naming the first that is not;
 * archiving an archived message is not an error). *changed (may be
 * NULL) gets how many changed; none changed writes no commit.
 */
int gt_mail_mark(size_t *changed, gt_repo *repo, const char *actor,
		 const gt_strlist *ids, enum gt_mail_mark what);

/*
 * The thread of message id (found in actor's mailbox): every message,
 * archived or not, of the mailboxes of everyone taking part, whose
 * thread is id's thread, oldest first, in *out (a JSON array). Walks
 * those mailboxes' histories: it costs what they ever received.
 */
int gt_mail_thread(cJSON **out, gt_repo *repo, const char *actor, const char *id);

/* A priority: "0".."4", or urgent, high, normal, low, backlog; -1 when invalid. */
int gt_mail_parse_priority(const char *s);

#endif
