/* Unit tests of lib/actor.c: address validity and the ref encoding. Prints TAP. */
#include "actor.h"
#include "error.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static int encodes(const char *addr, const char *want)
{
	char *id = NULL, *back = NULL;
	int good = gt_actor_to_id(&id, addr) == 0 && !strcmp(id, want) &&
		   gt_actor_from_id(&back, id) == 0 && !strcmp(back, addr);
	free(id);
	free(back);
	return good;
}

static int role_is(const char *addr, const char *want)
{
	const char *r = gt_actor_role(addr);
	return want ? r && !strcmp(r, want) : r == NULL;
}

int main(void)
{
	static const char *valid[] = {
		"mayor", "deacon", "gastown/witness", "gastown/polecats/nux",
		"gastown/crew/max", "A U Thor", "zo\xc3\xab", "rig.1/crew/a_b-c",
	};
	static const char *invalid[] = {
		"", "/mayor", "mayor/", "a//b", "a/../b", "a/./b", "-x", ".x",
		"a/ b", "a\nb", "a\tb", "a\x7f", "bad\xff", "over\xc0\xaflong",
		"%41", " x",
	};
	char long_addr[GT_ACTOR_MAX + 2];
	char *out = NULL;

	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++)
		ok(gt_actor_valid(valid[i]), "valid address '%s'", valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++)
		ok(!gt_actor_valid(invalid[i]), "invalid address #%zu", i);
	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = 0;
	ok(!gt_actor_valid(long_addr), "an address over GT_ACTOR_MAX bytes is invalid");
	long_addr[GT_ACTOR_MAX] = 0;
	ok(gt_actor_valid(long_addr), "an address of GT_ACTOR_MAX bytes is valid");

	ok(encodes("mayor", "mayor"), "a plain name encodes as itself");
	ok(encodes("gastown/polecats/nux", "gastown%2Fpolecats%2Fnux"),
	   "slashes are encoded, so no actor ref is a directory of another");
	ok(encodes("A U Thor", "A%20U%20Thor"), "spaces are encoded");
	ok(encodes("r.1/crew/x", "r%2E1%2Fcrew%2Fx"), "dots are encoded");
	ok(encodes("zo\xc3\xab", "zo%C3%AB"), "UTF-8 bytes are encoded");

	ok(gt_actor_to_id(&out, "a//b") == GT_EINVALID && !out,
	   "encoding an invalid address fails");
	ok(strstr(gt_error_last(), "invalid actor address 'a//b'") != NULL,
	   "and names it");
	ok(gt_actor_from_id(&out, "a%2") == GT_EINVALID && !out, "truncated escape");
	ok(gt_actor_from_id(&out, "a%2f") == GT_EINVALID, "lower-case hex is not canonical");
	ok(gt_actor_from_id(&out, "a%41") == GT_EINVALID, "an escaped plain byte is not canonical");
	ok(gt_actor_from_id(&out, "a%2F") == GT_EINVALID, "a decoded address must be valid");

	ok(role_is("mayor", "mayor"), "mayor's role");
	ok(role_is("deacon", "deacon"), "deacon's role");
	ok(role_is("gastown/witness", "witness"), "a rig's witness");
	ok(role_is("gastown/refinery", "refinery"), "a rig's refinery");
	ok(role_is("gastown/polecats/nux", "polecat"), "a polecat");
	ok(role_is("gastown/crew/max", "crew"), "a crew member");
	ok(role_is("overseer", NULL), "a person has no implied role");
	ok(role_is("gastown/polecats/a/b", NULL), "too deep: no role");
	ok(role_is("gastown/polecats/", NULL) , "no name: no role");

	out = gt_actor_id_display("gastown%2Fpolecats%2Fnux");
	ok(!strcmp(out, "gastown/polecats/nux"), "an encoded address displays as the address");
	free(out);
	out = gt_actor_id_display("gt-4kq2");
	ok(!strcmp(out, "gt-4kq2"), "a bead id displays as itself");
	free(out);
	out = gt_actor_id_display("a%2");
	ok(!strcmp(out, "a%2"), "a broken escape displays as it is");
	free(out);

	out = gt_actor_rig("gastown/polecats/nux");
	ok(out && !strcmp(out, "gastown"), "the rig of a polecat");
	free(out);
	ok(gt_actor_rig("mayor") == NULL, "the mayor belongs to no rig");
	return tap_done();
}
