/* gt list: list beads, filtered and sorted, from the listing index. */
#include "bead.h"
#include "error.h"
#include "format.h"
#include "index.h"
#include "parse-options.h"
#include "usage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt list [<filters>] [--all] [--sort=<field>] [--limit=<n>] [--json | --format=<fmt>] [-z]",
	NULL
};

static void print_entries(gt_strbuf *line, gt_format_output *out,
			  const gt_index_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gt_format_item item = { v[i], NULL, NULL, 0 };
		gt_strbuf_reset(line);
		gt_format_output_item(line, out, &item);
		fwrite(line->buf, 1, line->len, stdout);
	}
}

int main(int argc, const char **argv)
{
	gt_strlist status_opt = GT_STRLIST_INIT, type_opt = GT_STRLIST_INIT;
	gt_strlist statuses = GT_STRLIST_INIT, types = GT_STRLIST_INIT;
	gt_strlist labels = GT_STRLIST_INIT;
	const char *assignee = NULL, *priority = NULL, *parent = NULL;
	const char *sort = NULL, *format = NULL;
	long limit = 0;
	int all = 0, json = 0, nul = 0, wisps = 1, r;
	struct gt_option opts[] = {
		GT_OPT_GROUP("Filters"),
		GT_OPT_LIST('s', "status", &status_opt, "status",
			    "only beads with this status (repeatable, or comma-separated)"),
		GT_OPT_LIST('t', "type", &type_opt, "type",
			    "only beads of this issue type (repeatable, or comma-separated)"),
		GT_OPT_STRING('a', "assignee", &assignee, "actor",
			      "only beads assigned to <actor> (empty: unassigned)"),
		GT_OPT_LIST('l', "label", &labels, "label",
			    "only beads with this label (repeatable: all must match)"),
		GT_OPT_STRING('p', "priority", &priority, "0-4", "only beads of this priority"),
		GT_OPT_STRING(0, "parent", &parent, "id", "only the children of <id>"),
		GT_OPT_BOOL(0, "all", &all, "include closed beads"),
		GT_OPT_BOOL(0, "wisps", &wisps,
			    "list local wisp beads too, after the shared ones (default; --no-wisps: not)"),
		GT_OPT_GROUP("Output"),
		GT_OPT_STRING(0, "sort", &sort, "field",
			      "id, priority, created, updated, title or status ('-' first: descending)"),
		GT_OPT_INT('n', "limit", &limit, "n", "print at most <n> beads (0: all)"),
		GT_OPT_BOOL(0, "json", &json, "print each bead as one JSON object per line"),
		GT_OPT_STRING(0, "format", &format, "format", "print each bead with this format"),
		GT_OPT_BOOL('z', NULL, &nul, "end records with NUL instead of newline"),
		GT_OPT_END(),
	};
	gt_index_filter filter = GT_INDEX_FILTER_INIT;
	gt_index_sort order = { GT_SORT_ID, 0 };
	gt_format_output out = GT_FORMAT_OUTPUT_INIT;
	gt_strbuf line = GT_STRBUF_INIT;
	const gt_index_entry **v = NULL;
	gt_repo *repo = NULL;
	gt_index *ix = NULL, *wx = NULL;
	size_t n;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc > 0)
		gt_usage_error(usage, opts, "unexpected argument '%s'", argv[0]);
	gt_index_split_values(&statuses, &status_opt);
	gt_index_split_values(&types, &type_opt);
	for (size_t i = 0; i < statuses.nr; i++)
		if (!gt_bead_status_valid(statuses.items[i]))
			gt_usage_error(usage, opts,
				       "unknown status '%s' (open, in_progress, blocked, "
				       "hooked, pinned, deferred, closed)", statuses.items[i]);
	if (priority && (filter.priority = gt_index_parse_priority(priority)) < 0)
		gt_usage_error(usage, opts, "priority must be 0-4 (or P0-P4), not '%s'", priority);
	if (limit < 0)
		gt_usage_error(usage, opts, "--limit must not be negative");
	if (sort && gt_index_sort_parse(&order, sort) < 0)
		gt_usage_error(usage, opts, "%s", gt_error_last());
	if (gt_format_output_init(&out, json, format, nul) < 0)
		gt_usage_error(usage, opts, "%s", gt_error_last());
	filter.statuses = &statuses;
	filter.include_closed = all;
	filter.types = &types;
	filter.assignee = assignee;
	filter.labels = &labels;
	filter.parent = parent;

	if ((r = gt_repo_open(&repo, NULL)) < 0 || (r = gt_index_load(&ix, repo)) < 0 ||
	    (wisps && (r = gt_index_load_ext(&wx, repo, GT_INDEX_WISPS)) < 0))
		gt_die_code(r);
	for (size_t i = 0; i < gt_index_damaged_count(ix); i++)
		gt_warn("skipping damaged bead: %s (see 'gt fsck')",
			gt_index_damaged_at(ix, i)->error);

	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	n = gt_index_select(&v, ix, &filter, &order, (size_t)limit);
	print_entries(&line, &out, v, n);
	if (wx && (!limit || n < (size_t)limit)) {
		free(v);
		n = gt_index_select(&v, wx, &filter, &order, limit ? (size_t)limit - n : 0);
		print_entries(&line, &out, v, n);
	}
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the list: %s", strerror(errno));

	free(v);
	gt_strbuf_release(&line);
	gt_format_output_release(&out);
	gt_index_free(ix);
	gt_index_free(wx);
	gt_repo_free(repo);
	gt_strlist_clear(&status_opt);
	gt_strlist_clear(&type_opt);
	gt_strlist_clear(&statuses);
	gt_strlist_clear(&types);
	gt_strlist_clear(&labels);
	return 0;
}
