/* gt trail: the code commits of a bead, from notes and Bead: trailers. */
#include "bead.h"
#include "error.h"
#include "format.h"
#include "json.h"
#include "notes.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const usage[] = {
	"gt trail [--unreachable] [--json | --format=<fmt>] [-z] <bead>",
	NULL
};

int main(int argc, const char **argv)
{
	const char *format = NULL;
	int json = 0, nul = 0, unreachable = 0, r;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "unreachable", &unreachable,
			    "also noted commits no branch or tag reaches any more"),
		GT_OPT_BOOL(0, "json", &json, "print each commit as one JSON object per line"),
		GT_OPT_STRING(0, "format", &format, "format", "print each commit with this format"),
		GT_OPT_BOOL('z', NULL, &nul, "end records with NUL instead of newline"),
		GT_OPT_END(),
	};
	gt_format_output out = GT_FORMAT_OUTPUT_INIT;
	gt_strbuf line = GT_STRBUF_INIT;
	cJSON *list = NULL;
	const cJSON *c;
	gt_repo *repo;

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc != 1)
		gt_usage_error(usage, opts, "give one <bead>");
	if (gt_format_output_init(&out, json, format, nul) < 0)
		gt_usage_error(usage, opts, "%s", gt_error_last());
	if (!gt_bead_id_valid(argv[0]))
		gt_usage_error(usage, opts, "invalid bead id '%s'", argv[0]);
	if ((r = gt_repo_open(&repo, NULL)) < 0 || (r = gt_notes_trail(&list, repo, argv[0], unreachable)) < 0)
		gt_die_code(r);
	cJSON_ArrayForEach(c, list) {
		gt_strbuf_reset(&line);
		if (out.mode == GT_FORMAT_PORCELAIN) {
			const char *who = gt_json_str(c, "actor");
			gt_strbuf_addf(&line, "%.12s %.10s %s %s%c", gt_json_str(c, "commit"),
				       gt_json_str(c, "time"), who ? who : gt_json_str(c, "author"),
				       gt_json_str(c, "subject"), out.terminator);
		} else {
			gt_format_item item = { NULL, c, NULL, 0 };
			gt_format_output_item(&line, &out, &item);
		}
		fwrite(line.buf, 1, line.len, stdout);
	}
	if (fflush(stdout) || ferror(stdout))
		gt_die("cannot write the trail: %s", strerror(errno));
	gt_strbuf_release(&line);
	gt_format_output_release(&out);
	cJSON_Delete(list);
	gt_repo_free(repo);
	return 0;
}
