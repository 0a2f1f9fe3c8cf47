/* gt ready: beads ready to work on (open, work, not blocked), most urgent first. */
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
	"gt ready [--assignee=<actor>] [--type=<type>] [--label=<label>] [--limit=<n>] [--json | --format=<fmt>] [-z]",
	NULL
};

static int is_ready(const gt_index_entry *e, size_t pos, void *payload)
{
	(void)e;
	return gt_ready_is_ready(payload, pos);
}

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
	gt_strlist type_opt = GT_STRLIST_INIT, types = GT_STRLIST_INIT;
	gt_strlist labels = GT_STRLIST_INIT;
	const char *assignee = NULL, *format = NULL;
	long limit = 0;
	int json = 0, nul = 0, wisps = 1, r;
	struct gt_option opts[] = {
		GT_OPT_GROUP("Filters"),
		GT_OPT_STRING('a', "assignee", &assignee, "actor",
			      "only beads assigned to <actor> (empty: unassigned)"),
		GT_OPT_LIST('t', "type", &type_opt, "type",
			    "only beads of this issue type (repeatable, or comma-separated)"),
		GT_OPT_LIST('l', "label", &labels, "label",
			    "only beads with this label (repeatable: all must match)"),
		GT_OPT_BOOL(0, "wisps", &wisps,
			    "list ready local wisp steps too, after the shared beads (default; --no-wisps: not)"),
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
	const gt_index_entry **v = NULL;
	gt_repo *repo = NULL;
	gt_index *ix = NULL, *wx = NULL;
	gt_ready *ready = NULL, *wready = NULL;
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
	    (r = gt_ready_compute(&ready, ix)) < 0 ||
	    (wisps && ((r = gt_index_load_ext(&wx, repo, GT_INDEX_WISPS)) < 0 ||
		       (r = gt_ready_compute(&wready, wx)) < 0)))
		gt_die_code(r);
	for (size_t i = 0; i < gt_index_damaged_count(ix); i++)
		gt_warn("skipping damaged bead: %s (see 'gt fsck')",
			gt_index_damaged_at(ix, i)->error);
	filter.include_closed = 1; /* readiness decides */
	filter.types = &types;
	filter.assignee = assignee;
	filter.labels = &labels;
	filter.accept = is_ready;
	filter.payload = ready;

	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	n = gt_index_select(&v, ix, &filter, &order, (size_t)limit);
	print_entries(&line, &out, v, n);
	if (wx && (!limit || n < (size_t)limit)) {
		free(v);
		filter.payload = wready;
		n = gt_index_select(&v, wx, &filter, &order, limit ? (size_t)limit - n : 0);
		print_entries(&line, &out, v, n);
	}
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the list: %s", strerror(errno));

	free(v);
	gt_strbuf_release(&line);
	gt_format_output_release(&out);
	gt_ready_free(ready);
	gt_ready_free(wready);
	gt_index_free(ix);
	gt_index_free(wx);
	gt_repo_free(repo);
	gt_strlist_clear(&type_opt);
	gt_strlist_clear(&types);
	gt_strlist_clear(&labels);
	return 0;
}
