/*
 * A test helper, not a test: write an actor's hook through the entity
 * core, as gt sling will (the hook entity of lib/hook.h), so that tests
 * of what reads hooks need no sling.
 *
 *   test-hook-write <actor> <bead> [<convoy>]   put bead on actor's hook
 *   test-hook-write <actor>                     empty the hook
 *
 * Run inside a repository; the acting actor (GT_ACTOR) is the slinger.
 */
#include "actor.h"
#include "entity.h"
#include "error.h"
#include "hook.h"
#include "repo.h"

#include <stdio.h>
#include <stdlib.h>

struct args {
	const char *actor, *bead, *convoy, *by;
};

static int build(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct args *a = payload;
	char now[32];
	cJSON *op = gt_op_new(a->bead ? "hook.set" : "hook.clear");
	(void)id;
	gt_format_time(now, sizeof(now), gt_now_ms());
	gt_op_set_str(op, "actor", a->actor);
	if (a->bead) {
		gt_op_set_str(op, "bead", a->bead);
		gt_op_set_str(op, "slung_by", a->by);
		gt_op_set_str(op, "slung_at", now);
		if (a->convoy)
			gt_op_set_str(op, "convoy", a->convoy);
		else if (cJSON_GetObjectItemCaseSensitive(current, "convoy"))
			gt_op_unset(op, "convoy");
	} else {
		const char *fields[] = { "bead", "slung_by", "slung_at", "convoy", "handoff" };
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (cJSON_GetObjectItemCaseSensitive(current, fields[i]))
				gt_op_unset(op, fields[i]);
	}
	*op_out = op;
	return 0;
}

int main(int argc, char **argv)
{
	gt_repo *repo;
	char *id = NULL;
	int r;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: test-hook-write <actor> [<bead> [<convoy>]]\n");
		return 129;
	}
	if ((r = gt_repo_open(&repo, NULL)) < 0 || (r = gt_actor_to_id(&id, argv[1])) < 0) {
		fprintf(stderr, "fatal: %s\n", gt_error_last());
		return 128;
	}
	struct args a = { argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL,
			  gt_repo_actor(repo) };
	gt_entity_write w = { &gt_hook_type, id, GT_WRITE_UPSERT, build, &a, 0, { { 0 } }, 0 };
	if ((r = gt_entity_write_one(repo, &w)) < 0)
		fprintf(stderr, "fatal: %s\n", gt_error_last());
	free(id);
	gt_repo_free(repo);
	return r < 0 ? 128 : 0;
}
