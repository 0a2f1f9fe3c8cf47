/* gt comment: add a comment to a bead. */
#include "bead.h"
#include "error.h"
#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <stdio.h>

static const char *const usage[] = {
	"gt comment <id> <text>",
	"gt comment <id> -F <file>|-",
	NULL
};

int main(int argc, const char **argv)
{
	const char *file = NULL;
	gt_strbuf text = GT_STRBUF_INIT;
	gt_repo *repo;
	int r;
	struct gt_option opts[] = {
		GT_OPT_STRING('F', "file", &file, "file", "take the text from a file (- for stdin)"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc != (file ? 1 : 2))
		gt_usage_error(usage, opts, file ? "give the id only with -F"
						 : "give the id and the text (quote it)");
	if (file) {
		int fail = (file[0] == '-' && !file[1]) ? gt_strbuf_read_fd(&text, 0)
							: gt_strbuf_read_file(&text, file);
		if (fail < 0)
			gt_die("cannot read %s", file);
		while (text.len && text.buf[text.len - 1] == '\n')
			gt_strbuf_setlen(&text, text.len - 1);
	} else {
		gt_strbuf_adds(&text, argv[1]);
	}
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if ((r = gt_bead_comment(repo, argv[0], text.buf)) < 0)
		gt_die_code(r);
	gt_strbuf_release(&text);
	gt_repo_free(repo);
	return 0;
}
