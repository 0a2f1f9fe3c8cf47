#include "hook.h"
#include "actor.h"
#include "error.h"

#include <stdlib.h>

const gt_entity_type gt_hook_type = { "hook", "refs/gastown/hooks/", NULL, 1 };

int gt_hook_read(cJSON **out, gt_repo *repo, const char *actor)
{
	gt_entity *e = NULL;
	char *id = NULL;
	int r;

	*out = NULL;
	if ((r = gt_actor_to_id(&id, actor)) < 0)
		return r;
	r = gt_entity_read(&e, repo, &gt_hook_type, id);
	if (r == GT_ENOTFOUND)
		r = gt_error_set(GT_ENOTFOUND, "%s has no hook", actor);
	if (r < 0)
		goto out;
	*out = e->snapshot;
	e->snapshot = NULL;
out:
	gt_entity_free(e);
	free(id);
	return r;
}
