/*
 * Unit tests of lib/notes.c that need no repository: the note line and
 * the Bead: trailers of commit messages.
 * Usage: test-notes
 */
#include "notes.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* the trailer beads of msg, joined by '|' */
static char *beads_of(const char *msg)
{
	gt_strlist l = GT_STRLIST_INIT;
	static char buf[256];
	buf[0] = '\0';
	gt_notes_trailer_beads(&l, msg);
	for (size_t i = 0; i < l.nr; i++) {
		if (i)
			strcat(buf, "|");
		strncat(buf, l.items[i], sizeof(buf) - strlen(buf) - 2);
	}
	gt_strlist_clear(&l);
	return buf;
}

static int line_is(const gt_note_attr *a, const char *expect)
{
	char *got = gt_notes_line(a);
	int r = !strcmp(got, expect);
	if (!r)
		printf("# got:    %s\n# expect: %s\n", got, expect);
	free(got);
	return r;
}

int main(void)
{
	gt_note_attr full = { "gt-4kq2", "gastown/polecats/nux", "tmux-3", "gt-cv-1" };
	gt_note_attr bare = { "gt-4kq2", "mayor", NULL, NULL };
	gt_note_attr odd = { "gt-a", "say \"hi\"\\", NULL, NULL };

	git_libgit2_init(); /* as gt_repo_open does: libgit2 parses the trailers */

	ok(line_is(&full, "{\"bead\":\"gt-4kq2\",\"actor\":\"gastown/polecats/nux\","
		   "\"session\":\"tmux-3\",\"convoy\":\"gt-cv-1\"}"),
	   "a line has the four keys in order");
	ok(line_is(&bare, "{\"bead\":\"gt-4kq2\",\"actor\":\"mayor\",\"session\":null,"
		   "\"convoy\":null}"), "unknown session and convoy are null");
	ok(line_is(&odd, "{\"bead\":\"gt-a\",\"actor\":\"say \\\"hi\\\"\\\\\",\"session\":null,"
		   "\"convoy\":null}"), "strings are JSON-escaped");

	ok(!strcmp(beads_of("Fix it\n\nBead: gt-1\n"), "gt-1"), "one trailer");
	ok(!strcmp(beads_of("Fix it\n\nbody text\n\nbead: gt-1\nBEAD: gt-2\n"), "gt-1|gt-2"),
	   "the key is case-insensitive; several trailers");
	ok(!strcmp(beads_of("Fix it\n\nBead: gt-1, gt-2 gt-3\n"), "gt-1|gt-2|gt-3"),
	   "ids separated by commas or spaces");
	ok(!strcmp(beads_of("Fix it\n\nSigned-off-by: A <a@b>\nBead: gt-9\n"), "gt-9"),
	   "among other trailers");
	ok(!strcmp(beads_of("Fix it\n\nBead: gt-1\n\nA last paragraph of prose.\n"), ""),
	   "only the last paragraph holds trailers");
	ok(!strcmp(beads_of("Bead: gt-1 in the subject\n"), ""), "the subject is no trailer");
	ok(!strcmp(beads_of("Fix it\n\nBeads: gt-1\nBead-Id: gt-2\n"), ""),
	   "other keys do not count");
	ok(!strcmp(beads_of(""), ""), "an empty message");
	git_libgit2_shutdown();
	return tap_done();
}
