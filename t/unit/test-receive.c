/*
 * Unit tests of lib/receive.c: parsing git's pre-receive input and the
 * problems gt_receive_check reports through its callback. Prints TAP.
 * Argument: a git directory to open (its objects are not needed).
 */
#include "error.h"
#include "receive.h"
#include "repo.h"
#include "strbuf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define ZERO "0000000000000000000000000000000000000000"
#define ONE "1111111111111111111111111111111111111111"

/* The problems reported, one "<refname>|<entry or ->|<message>" per line. */
static void collect(const char *refname, const char *entry, const char *message,
		    void *payload)
{
	gt_strbuf_addf(payload, "%s|%s|%s\n", refname, entry ? entry : "-", message);
}

/* Check "<old> <new> <refname>"; 1 when the problems are exactly want. */
static int says(gt_repo *repo, const char *line, size_t nwant, const char *want)
{
	gt_receive_update u;
	gt_strbuf got = GT_STRBUF_INIT;
	size_t n = 99;
	int good;

	if (gt_receive_parse(&u, line) < 0)
		return 0;
	good = gt_receive_check(&n, repo, &u, 0, collect, &got) == 0 && n == nwant &&
	       !strcmp(got.buf, want);
	if (!good)
		printf("# got %zu: %s", n, got.buf);
	gt_receive_update_release(&u);
	gt_strbuf_release(&got);
	return good;
}

int main(int argc, char **argv)
{
	static const char *bad[] = {
		"", "x", ZERO " " ZERO, ZERO " " ZERO " ", ZERO "  " ZERO " refs/x",
		ZERO " " "g111111111111111111111111111111111111111" " refs/x",
		"000000000000000000000000000000000000000 " ZERO " refs/x",
	};
	gt_receive_update u;
	gt_repo *repo = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(gt_receive_parse(&u, bad[i]) == GT_EINVALID, "bad input line #%zu", i);
	ok(gt_receive_parse(&u, ZERO " " ONE " refs/gastown/ledger") == 0 &&
	   git_oid_is_zero(&u.old) && !git_oid_is_zero(&u.new_id) &&
	   !strcmp(u.refname, "refs/gastown/ledger"), "a line parses into old, new and the ref");
	gt_receive_update_release(&u);
	ok(u.refname == NULL, "release clears the ref name");

	if (argc != 2 || gt_repo_open(&repo, argv[1]) < 0) {
		ok(0, "open the repository: %s", gt_error_last());
		return tap_done();
	}
	ok(says(repo, ZERO " " ONE " refs/heads/main", 0, ""),
	   "refs outside refs/gastown are not looked at");
	ok(says(repo, ZERO " " ONE " refs/gastown-local/x", 1,
		"refs/gastown-local/x|-|local refs are never published\n"),
	   "a local ref: one problem of the ref itself");
	ok(says(repo, ONE " " ZERO " refs/gastown/ledger", 1,
		"refs/gastown/ledger|-|deleting the ledger is not allowed\n"),
	   "deleting the ledger");
	ok(says(repo, ONE " " ZERO " refs/gastown/beads/gt-1", 1,
		"refs/gastown/beads/gt-1|-|deleting a ref of the ledger is not allowed "
		"(a deletion is a tombstone operation)\n"),
	   "deleting an entity ref");
	ok(says(repo, ZERO " " ONE " refs/gastown/ledger", 1,
		"refs/gastown/ledger|-|points to missing object " ONE "\n"),
	   "a ledger that is not there");
	ok(says(repo, ZERO " " ONE " refs/gastown/beads/_bad", 1,
		"refs/gastown/beads/_bad|-|invalid bead id '_bad'\n"),
	   "an invalid id");
	gt_repo_free(repo);
	return tap_done();
}
