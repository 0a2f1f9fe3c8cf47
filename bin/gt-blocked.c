/* gt blocked: beads that are not closed and are blocked, with what blocks them. */
#include "error.h"
#include "format.h"
#include "index.h"
#include "parse-options.h"
#include "ready.h"
#include "usage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt blocked [--assignee=<actor>] [--type=<type>] [--label=<label>] [--limit=<n>] [--json | --format=<fmt>] [-z]",
	NULL
};

static int is_blocked(const gt_index_entry *e, size_t pos, void *payload)
{
	(void)e;
	return gt_ready_is_blocked(payload, pos);
}

/* ids as "a,b" (text) and ["a","b"] (json). */
static void join_ids(gt_strbuf *text, gt_strbuf *json, const char **ids, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	char *s;
	for (size_t i = 0; i < n; i++) {
		if (i)
			gt_strbuf_addch(text, ',');
		gt_strbuf_adds(text, ids[i]);
		cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
	}
	s = cJSON_PrintUnformatted(arr);
	gt_strbuf_adds(json, s);
	cJSON_free(s);
	cJSON_Delete(arr);
}

int main(int argc, const char **argv)
{
	gt_strlist type_opt = GT_STRLIST_INIT, types = GT_STRLIST_INIT;
	gt_strlist labels = GT_STRLIST_INIT;
	const char *assignee = NULL, *format = NULL;
	long limit = 0;
	int json = 0, nul = 0, r;
	struct gt_option opts[] = {
		GT_OPT_GROUP("Filters"),
		GT_OPT_STRING('a', "assignee", &assignee, "actor",
			      "only beads assigned to <actor> (empty: unassigned)"),
		GT_OPT_LIST('t', "type", &type_opt, "type",
			    "only beads of this issue type (repeatable, or comma-separated)"),
		GT_OPT_LIST('l', "label", &labels, "label",
			    "only beads with this label (repeatable: all must match)"),
		GT_OPT_GROUP("Output"),
		GT_OPT_INT('n', "limit", &limit, "n", "print at most <n> beads (0: all)"),
		GT_OPT_BOOL(0, "json", &json, "print each bead as one JSON object per line"),
		GT_OPT_STRING(0, "format", &format, "format", "print each bead with this format"),
		GT_OPT_BOOL('z', NULL, &nul, "end records with NUL instead of newline"),
		GT_OPT_END(),
	};
	gt_index_filter filter = GT_INDEX_FILTER_INIT;
	gt_index_sort order = { GT_SORT_READY, 0 };
	gt_format_output out = GT_FORMAT_OUTPUT_INIT;
	gt_strbuf line = GT_STRBUF_INIT;
	gt_strbuf bt = GT_STRBUF_INIT, bj = GT_STRBUF_INIT;
	gt_strbuf pt = GT_STRBUF_INIT, pj = GT_STRBUF_INIT;
	const gt_index_entry **v = NULL;
	gt_repo *repo = NULL;
	gt_index *ix = NULL;
	gt_ready *ready = NULL;
	size_t n;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc > 0)
		gt_usage_error(usage, opts, "unexpected argument '%s'", argv[0]);
	gt_index_split_values(&types, &type_opt);
	if (limit < 0)
		gt_usage_error(usage, opts, "--limit must not be negative");
	if (gt_format_output_init(&out, json, format, nul) < 0)
		gt_usage_error(usage, opts, "%s", gt_error_last());

	if ((r = gt_repo_open(&repo, NULL)) < 0 || (r = gt_index_load(&ix, repo)) < 0 ||
	    (r = gt_ready_compute(&ready, ix)) < 0)
		gt_die_code(r);
	for (size_t i = 0; i < gt_index_damaged_count(ix); i++)
		gt_warn("skipping damaged bead: %s (see 'gt fsck')",
			gt_index_damaged_at(ix, i)->error);
	filter.include_closed = 1; /* blocked beads are never closed */
	filter.types = &types;
	filter.assignee = assignee;
	filter.labels = &labels;
	filter.accept = is_blocked;
	filter.payload = ready;

	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	n = gt_index_select(&v, ix, &filter, &order, (size_t)limit);
	for (size_t i = 0; i < n; i++) {
		gt_ready_blockers b = GT_READY_BLOCKERS_INIT;
		gt_ready_get_blockers(&b, ready, gt_index_pos(ix, v[i]));
		gt_strbuf_reset(&bt);
		gt_strbuf_reset(&bj);
		gt_strbuf_reset(&pt);
		gt_strbuf_reset(&pj);
		join_ids(&bt, &bj, b.ids, b.nids);
		join_ids(&pt, &pj, b.parents, b.nparents);
		gt_format_extra extra[] = {
			{ "blocked_by", bt.buf, bj.buf },
			{ "blocked_by_parents", pt.buf, pj.buf },
		};
		gt_format_item item = { v[i], NULL, extra, 2 };
		gt_strbuf_reset(&line);
		if (out.mode == GT_FORMAT_PORCELAIN) {
			/* "... - title (blocked by gt-1, parent gt-2)" */
			gt_format_porcelain(&line, &item);
			gt_strbuf_adds(&line, " (blocked by ");
			for (size_t k = 0; k < b.nids; k++)
				gt_strbuf_addf(&line, "%s%s", k ? ", " : "", b.ids[k]);
			for (size_t k = 0; k < b.nparents; k++)
				gt_strbuf_addf(&line, "%sparent %s", k || b.nids ? ", " : "",
					       b.parents[k]);
			gt_strbuf_addch(&line, ')');
			gt_strbuf_addch(&line, out.terminator);
		} else {
			gt_format_output_item(&line, &out, &item);
		}
		fwrite(line.buf, 1, line.len, stdout);
		gt_ready_blockers_clear(&b);
	}
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the list: %s", strerror(errno));

	free(v);
	gt_strbuf_release(&line);
	gt_strbuf_release(&bt);
	gt_strbuf_release(&bj);
	gt_strbuf_release(&pt);
	gt_strbuf_release(&pj);
	gt_format_output_release(&out);
	gt_ready_free(ready);
	gt_index_free(ix);
	gt_repo_free(repo);
	gt_strlist_clear(&type_opt);
	gt_strlist_clear(&types);
	gt_strlist_clear(&labels);
	return 0;
}
