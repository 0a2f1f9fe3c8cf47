/*
 * Unit tests of lib/format.c (over snapshots: the commands use index
 * entries) and the pure helpers of lib/index.c. Prints TAP.
 */
#include "error.h"
#include "format.h"
#include "index.h"
#include "json.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char snap_text[] =
	"{\"id\":\"gt-1\",\"title\":\"One\\ntwo\",\"status\":\"open\",\"priority\":1,"
	"\"issue_type\":\"bug\",\"assignee\":\"al\",\"labels\":[\"a\",3,\"b\"],"
	"\"dependencies\":[{\"depends_on_id\":\"gt-0\",\"type\":\"blocks\"},"
	"{\"depends_on_id\":\"gt-p\",\"type\":\"parent-child\"}],"
	"\"created_at\":\"2026-01-01T00:00:00Z\",\"n\":2.5,\"flag\":false,"
	"\"obj\":{\"k\":[1]},\"nil\":null}";

/* Expand fmt over the snapshot (with extras); the result, malloc()ed. */
static char *expand(const cJSON *snap, const char *fmt, const gt_format_extra *x,
		    size_t nx)
{
	gt_format *f;
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_format_item it = { NULL, snap, x, nx };
	if (gt_format_parse(&f, fmt) < 0)
		return gt_xstrdup(gt_error_last());
	gt_format_expand(&sb, f, &it);
	gt_format_free(f);
	return gt_strbuf_detach(&sb);
}

static int expands_to(const cJSON *snap, const char *fmt, const char *want)
{
	char *got = expand(snap, fmt, NULL, 0);
	int ok_ = !strcmp(got, want);
	if (!ok_)
		printf("# %s: got '%s', want '%s'\n", fmt, got, want);
	free(got);
	return ok_;
}

static int parse_fails(const char *fmt, const char *msg)
{
	gt_format *f = NULL;
	int r = gt_format_parse(&f, fmt);
	int ok_ = r == GT_EINVALID && !f && !strcmp(gt_error_last(), msg);
	if (!ok_)
		printf("# %s: r=%d msg '%s'\n", fmt, r, gt_error_last());
	gt_format_free(f);
	return ok_;
}

static void test_parse_errors(void)
{
	ok(parse_fails("%(id", "unterminated format atom '%(id'"), "unterminated atom");
	ok(parse_fails("x%()", "empty format atom '%()'"), "empty atom");
	ok(parse_fails("%(id:short)",
		       "unknown format atom '%(id:short)': atoms take no modifiers"),
	   "modifiers are refused");
	ok(parse_fails("%(a.b)",
		       "malformed format atom '%(a.b)': names are letters, digits, '_' and '-'"),
	   "malformed atom name");
	ok(parse_fails("%y", "unknown format escape '%y' (use '%%' for a literal '%')"),
	   "unknown escape");
	ok(parse_fails("abc%", "format ends with a lone '%' (use '%%' for a literal '%')"),
	   "lone percent");
	ok(parse_fails("%x4", "bad hex escape '%x4' in format (use %xHH)"), "short hex");
	ok(parse_fails("%4g", "bad hex escape '%4g' in format (use %xHH)"), "bad hex digit");
}

static void test_snapshot_atoms(const cJSON *s)
{
	ok(expands_to(s, "%(id)|%(title)|%(status)|%(priority)|%(type)|%(assignee)",
		      "gt-1|One\ntwo|open|1|bug|al"), "string atoms over a snapshot");
	ok(expands_to(s, "%(labels)", "a,b"), "labels skip non-strings");
	ok(expands_to(s, "%(parent)", "gt-p"), "parent from a parent-child dependency");
	ok(expands_to(s, "%(created_at)|%(updated_at)|%(closed_at)",
		      "2026-01-01T00:00:00Z||"), "times, absent ones empty");
	ok(expands_to(s, "%(n)|%(flag)|%(obj)|%(nil)|%(missing)",
		      "2.5|false|{\"k\":[1]}||"), "other members: JSON, null and absent empty");
	ok(expands_to(s, "%%%n%x41%42%(issue_type)", "%\nABbug"), "escapes");
	ok(expands_to(s, "", ""), "an empty format");
}

static void test_extras_and_json(const cJSON *s)
{
	gt_format_extra x[] = { { "title", "X", "\"X\"" }, { "more", "1,2", "[1,2]" } };
	gt_format_item it = { NULL, s, x, 2 };
	gt_strbuf sb = GT_STRBUF_INIT;
	char *got = expand(s, "%(more)|%(title)", x, 2);

	/* extras win for member atoms; the built-in title stays the snapshot's */
	ok(!strcmp(got, "1,2|One\ntwo"), "extras expand by name");
	free(got);
	gt_format_json(&sb, &it);
	cJSON *v = cJSON_Parse(sb.buf);
	ok(v && !strcmp(gt_json_str(v, "title"), "X") &&
	   cJSON_GetArraySize(cJSON_GetObjectItem(v, "more")) == 2 &&
	   !strcmp(gt_json_str(v, "id"), "gt-1"), "extras merge into --json");
	cJSON_Delete(v);
	gt_strbuf_release(&sb);
}

static void test_porcelain(const cJSON *s)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_format_item it = { NULL, s, NULL, 0 };
	cJSON *bare = cJSON_Parse("{\"id\":\"gt-2\"}");
	gt_format_porcelain(&sb, &it);
	ok(!strcmp(sb.buf, "gt-1 [P1] [bug] open @al - One two"), "porcelain line");
	gt_strbuf_reset(&sb);
	it.snapshot = bare;
	gt_format_porcelain(&sb, &it);
	ok(!strcmp(sb.buf, "gt-2 [P-] [task] - - "), "porcelain with nothing set");
	cJSON_Delete(bare);
	gt_strbuf_release(&sb);
}

static void test_output(const cJSON *s)
{
	gt_format_output o = GT_FORMAT_OUTPUT_INIT;
	gt_strbuf sb = GT_STRBUF_INIT;
	gt_format_item it = { NULL, s, NULL, 0 };

	ok(gt_format_output_init(&o, 1, "%(id)", 0) == GT_EINVALID &&
	   !strcmp(gt_error_last(), "--json and --format cannot be used together"),
	   "--json with --format is refused");
	ok(gt_format_output_init(&o, 0, "%(", 0) == GT_EINVALID, "a bad format is refused");
	ok(gt_format_output_init(&o, 0, "%(id)", 1) == 0, "format with -z");
	gt_format_output_item(&sb, &o, &it);
	ok(sb.len == 5 && !memcmp(sb.buf, "gt-1", 5), "a record ends with NUL");
	gt_format_output_release(&o);
	gt_strbuf_reset(&sb);
	ok(gt_format_output_init(&o, 1, NULL, 0) == 0, "json");
	gt_format_output_item(&sb, &o, &it);
	ok(sb.len && sb.buf[sb.len - 1] == '\n' && sb.buf[0] == '{', "a JSON record ends with newline");
	gt_format_output_release(&o);
	gt_strbuf_release(&sb);
}

static void test_index_helpers(void)
{
	gt_index_sort s;
	gt_strlist in = GT_STRLIST_INIT, out = GT_STRLIST_INIT;

	ok(gt_index_sort_parse(&s, "-updated") == 0 && s.key == GT_SORT_UPDATED &&
	   s.descending, "sort: -updated");
	ok(gt_index_sort_parse(&s, "title") == 0 && s.key == GT_SORT_TITLE &&
	   !s.descending, "sort: title");
	ok(gt_index_sort_parse(&s, "--id") == GT_EINVALID, "sort: --id is refused");
	ok(gt_index_parse_priority("P3") == 3 && gt_index_parse_priority("0") == 0 &&
	   gt_index_parse_priority("p4") == 4 && gt_index_parse_priority("5") == -1 &&
	   gt_index_parse_priority("") == -1 && gt_index_parse_priority("12") == -1,
	   "priorities");
	gt_strlist_push(&in, "a,b");
	gt_strlist_push(&in, ",,c,");
	gt_strlist_push(&in, "");
	gt_index_split_values(&out, &in);
	ok(out.nr == 3 && !strcmp(out.items[0], "a") && !strcmp(out.items[1], "b") &&
	   !strcmp(out.items[2], "c"), "split values");
	gt_strlist_clear(&in);
	gt_strlist_clear(&out);
}

static void test_filter(void)
{
	const char *labels[] = { "x", "y" };
	gt_index_dep deps[] = { { "parent-child", "gt-p" }, { "blocks", "gt-b" } };
	gt_index_entry e = { 0 };
	gt_index_filter f = GT_INDEX_FILTER_INIT;
	gt_strlist l = GT_STRLIST_INIT, t = GT_STRLIST_INIT;

	e.id = "gt-1";
	e.status = "closed";
	e.priority = 2;
	e.labels = labels;
	e.nlabels = 2;
	e.deps = deps;
	e.ndeps = 2;
	ok(!gt_index_filter_match(&f, &e), "closed beads are left out by default");
	f.include_closed = 1;
	ok(gt_index_filter_match(&f, &e), "--all");
	gt_strlist_push(&t, "task");
	f.types = &t;
	ok(gt_index_filter_match(&f, &e), "a bead without a type is a task");
	f.assignee = "";
	ok(gt_index_filter_match(&f, &e), "empty assignee: unassigned");
	gt_strlist_push(&l, "y");
	gt_strlist_push(&l, "x");
	f.labels = &l;
	ok(gt_index_filter_match(&f, &e), "every label present");
	f.parent = "gt-p";
	ok(gt_index_filter_match(&f, &e), "parent through parent-child");
	ok(!strcmp(gt_index_entry_parent(&e), "gt-p"), "entry parent from its dependency");
	f.parent = "gt-b";
	ok(!gt_index_filter_match(&f, &e), "a blocks edge is no parent");
	f.parent = NULL;
	f.priority = 1;
	ok(!gt_index_filter_match(&f, &e), "priority");
	gt_strlist_clear(&l);
	gt_strlist_clear(&t);
}

int main(void)
{
	cJSON *s = cJSON_Parse(snap_text);
	test_parse_errors();
	test_snapshot_atoms(s);
	test_extras_and_json(s);
	test_porcelain(s);
	test_output(s);
	test_index_helpers();
	test_filter();
	cJSON_Delete(s);
	return tap_done();
}
