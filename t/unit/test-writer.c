/*
 * A writer for the "nothing lost" tests (t/t0700-nothing-lost.sh), run
 * in a gastown repository (found from the current directory):
 *
 *   test-writer txn <text> <id>...   one transaction appending the comment
 *                                    <text> to every bead <id> (all or none)
 *   test-writer loop <prefix> <n>    <n> writes (0: until killed) on the
 *                                    beads <prefix>-0 .. <prefix>-3: create
 *                                    each when missing, else comment on it;
 *                                    for SIGKILL at random moments
 *
 * Exits 0, or prints the library's error and exits 1.
 */
#include "bead.h"
#include "entity.h"
#include "error.h"
#include "repo.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int build_comment(cJSON **op_out, const cJSON *current, const char *id,
			 void *payload)
{
	const cJSON *comments = cJSON_GetObjectItemCaseSensitive(current, "comments");
	cJSON *op = gt_op_new("bead.comment"), *c = cJSON_CreateObject();
	(void)id;
	cJSON_AddNumberToObject(c, "id", cJSON_GetArraySize(comments) + 1);
	cJSON_AddStringToObject(c, "author", "test-writer");
	cJSON_AddStringToObject(c, "text", payload);
	gt_op_append(op, "comments", c);
	*op_out = op;
	return 0;
}

static int txn(gt_repo *repo, const char *text, int n, const char **ids)
{
	gt_entity_write *w = calloc((size_t)n, sizeof(*w));
	int r;
	for (int i = 0; i < n; i++) {
		w[i].type = &gt_bead_type;
		w[i].id = ids[i];
		w[i].build = build_comment;
		w[i].payload = (void *)text;
	}
	r = gt_entity_write_many(repo, w, (size_t)n);
	free(w);
	return r;
}

static int loop(gt_repo *repo, const char *prefix, long n)
{
	int r = 0;
	for (long i = 0; r == 0 && (n <= 0 || i < n); i++) {
		gt_strbuf id = GT_STRBUF_INIT;
		gt_strbuf_addf(&id, "%s-%ld", prefix, i % 4);
		r = gt_bead_comment(repo, id.buf, "a comment");
		if (r == GT_ENOTFOUND) {
			cJSON *f = cJSON_CreateObject();
			char *got = NULL;
			cJSON_AddStringToObject(f, "id", id.buf);
			cJSON_AddStringToObject(f, "title", "written by test-writer loop");
			r = gt_bead_create(&got, repo, f, 0);
			free(got);
			cJSON_Delete(f);
		}
		gt_strbuf_release(&id);
	}
	return r;
}

int main(int argc, const char **argv)
{
	gt_repo *repo = NULL;
	int r;

	if (argc < 3 || (strcmp(argv[1], "txn") && strcmp(argv[1], "loop")) ||
	    (!strcmp(argv[1], "txn") && argc < 4)) {
		fprintf(stderr, "usage: test-writer txn <text> <id>... | loop <prefix> <n>\n");
		return 129;
	}
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		goto out;
	if (!strcmp(argv[1], "txn"))
		r = txn(repo, argv[2], argc - 3, argv + 3);
	else
		r = loop(repo, argv[2], argc > 3 ? atol(argv[3]) : 0);
out:
	if (r < 0)
		fprintf(stderr, "test-writer: %s\n", gt_error_last());
	gt_repo_free(repo);
	return r < 0 ? 1 : 0;
}
