/* gt show: print beads, for people or as JSON. */
#include "bead.h"
#include "describe.h"
#include "error.h"
#include "json.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const usage[] = {
	"gt show [--json] <id>...",
	NULL
};

int main(int argc, const char **argv)
{
	int json = 0, worst = 0, shown = 0;
	gt_repo *repo;
	int r;
	struct gt_option opts[] = {
		GT_OPT_BOOL(0, "json", &json, "print each bead as one JSON object per line"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts, "which bead? give at least one id");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	for (int i = 0; i < argc; i++) {
		cJSON *b;
		if ((r = gt_bead_read(&b, repo, argv[i])) < 0) {
			gt_err("%s", gt_error_last());
			if (!worst || gt_exit_code_for(r) > worst)
				worst = gt_exit_code_for(r);
			continue;
		}
		if (json) {
			char *text = gt_json_print(b);
			printf("%s\n", text);
			free(text);
		} else {
			gt_strbuf sb = GT_STRBUF_INIT;
			gt_describe_bead(&sb, b);
			printf("%s%s", shown++ ? "\n" : "", sb.buf);
			gt_strbuf_release(&sb);
		}
		cJSON_Delete(b);
	}
	gt_repo_free(repo);
	return worst;
}
