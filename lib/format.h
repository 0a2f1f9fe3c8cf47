#ifndef GT_FORMAT_H
#define GT_FORMAT_H

#include <cJSON.h>
#include <stddef.h>
#include "index.h"
#include "strbuf.h"

/*
 * Output of bead records: --format=<fmt> with %(atom)s, --json, -z and
 * the default porcelain line. Documentation/gastown-format.txt is the
 * user's description; in short:
 *
 *   %(id) %(title) %(status) %(priority) %(type) %(assignee) %(parent)
 *   %(labels) %(created_at) %(updated_at) %(closed_at) %(json)
 *   %(<member>)   any other snapshot member: a string as it is, anything
 *                 else as compact JSON, nothing when absent or null
 *   %%  a literal %     %n  a newline     %xHH or %HH  the byte 0xHH
 *
 * Atom names are letters, digits, '_' and '-'; atoms take no modifiers.
 */

typedef struct gt_format gt_format;

/*
 * Compile fmt. out receives the format (free with gt_format_free).
 * Returns 0, or GT_EINVALID with a message naming the bad piece
 * (unterminated or malformed atom, unknown escape).
 */
int gt_format_parse(gt_format **out, const char *fmt);

/* Free a format; NULL is fine. */
void gt_format_free(gt_format *f);

/*
 * Extra members shown with a record (e.g. gt blocked's "blocked_by"):
 * text is what %(key) expands to, json the member's value in --json
 * (valid JSON text). They take precedence over snapshot members of the
 * same name.
 */
typedef struct gt_format_extra {
	const char *key;
	const char *text;
	const char *json;
} gt_format_extra;

/* One record: an index entry or a bead snapshot (exactly one of them). */
typedef struct gt_format_item {
	const gt_index_entry *entry;
	const cJSON *snapshot;
	const gt_format_extra *extra;
	size_t nextra;
} gt_format_item;

/* Append the expansion of f for item to out (no terminator). */
void gt_format_expand(gt_strbuf *out, const gt_format *f,
		      const gt_format_item *item);

/* Append item as one compact JSON object, extras merged (no terminator). */
void gt_format_json(gt_strbuf *out, const gt_format_item *item);

/*
 * Append the porcelain line (for people; may change):
 *   <id> [P<priority>] [<type>] <status>[ @<assignee>] - <title>
 * with "P-" for a missing priority, "task" for a missing type, "-" for a
 * missing status, and newlines in the title shown as spaces.
 */
void gt_format_porcelain(gt_strbuf *out, const gt_format_item *item);

/* How a command prints its records, from its --json, --format and -z. */
typedef enum gt_format_mode {
	GT_FORMAT_PORCELAIN,
	GT_FORMAT_JSON,
	GT_FORMAT_CUSTOM,
} gt_format_mode;

typedef struct gt_format_output {
	gt_format_mode mode;
	gt_format *format;   /* GT_FORMAT_CUSTOM */
	char terminator;     /* '\n', or '\0' with -z */
} gt_format_output;
#define GT_FORMAT_OUTPUT_INIT { GT_FORMAT_PORCELAIN, NULL, '\n' }

/*
 * Set o up from the options: json (--json), format (--format, may be
 * NULL) and nul (-z). Returns 0, or GT_EINVALID when --json and --format
 * are both given or the format does not parse.
 */
int gt_format_output_init(gt_format_output *o, int json, const char *format,
			  int nul);

/* Append one record with its terminator. */
void gt_format_output_item(gt_strbuf *out, const gt_format_output *o,
			   const gt_format_item *item);

/* Release what o holds. */
void gt_format_output_release(gt_format_output *o);

#endif
