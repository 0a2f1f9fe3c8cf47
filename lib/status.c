#include "status.h"
#include "actor.h"
#include "agent.h"
#include "convoy.h"
#include "entity.h"
#include "error.h"
#include "hook.h"
#include "index.h"
#include "json.h"
#include "mail.h"
#include "ready.h"
#include "strbuf.h"
#include "work.h"

#include <stdlib.h>
#include <string.h>

static int add_actor(const char *refname, const char *id, const git_oid *tip, void *payload)
{
	gt_strlist *actors = payload;
	char *addr = NULL;
	(void)refname;
	(void)tip;
	if (gt_actor_from_id(&addr, id) < 0) {
		gt_error_clear(); /* not an actor's ref: gt fsck's business */
		return 0;
	}
	gt_strlist_push(actors, addr);
	free(addr);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int count_unread(const gt_mail_header *h, void *payload)
{
	if (!h->read)
		(*(size_t *)payload)++;
	return 0;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int is_ready(const gt_index_entry *e, size_t pos, void *payload)
{
	(void)e;
	return gt_ready_is_ready(payload, pos);
}

static int ready_work(cJSON *out, gt_repo *repo, size_t max)
{
	gt_index *ix = NULL;
	gt_ready *ready = NULL;
	const gt_index_entry **v = NULL;
	gt_index_filter filter = GT_INDEX_FILTER_INIT;
	gt_index_sort order = { GT_SORT_READY, 0 };
	int r;

	if ((r = gt_index_load(&ix, repo)) < 0 || (r = gt_ready_compute(&ready, ix)) < 0)
		goto out;
	filter.accept = is_ready;
	filter.payload = ready;
	size_t n = gt_index_select(&v, ix, &filter, &order, 0);
	cJSON *beads = cJSON_CreateArray();
	for (size_t i = 0; i < n && i < max; i++) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "id", v[i]->id);
		cJSON_AddItemToObject(b, "title", str_or_null(v[i]->title));
		if (v[i]->priority >= 0)
			cJSON_AddNumberToObject(b, "priority", v[i]->priority);
		else
			cJSON_AddNullToObject(b, "priority");
		cJSON_AddItemToArray(beads, b);
	}
	cJSON_AddNumberToObject(out, "count", (double)n);
	cJSON_AddItemToObject(out, "beads", beads);
out:
	free(v);
	gt_ready_free(ready);
	gt_index_free(ix);
	return r;
}

/* "convoys": the open convoys with their progress, by id. */
static int open_convoys(cJSON *o, gt_repo *repo)
{
	static const char *const keys[] = { "id", "title", "status", "done", "total" };
	cJSON *list = NULL, *c, *arr;
	int r;

	if ((r = gt_convoy_list(&list, repo, 0)) < 0)
		return r;
	arr = cJSON_AddArrayToObject(o, "convoys");
	cJSON_ArrayForEach(c, list) {
		cJSON *e = cJSON_CreateObject();
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, keys[k]);
			cJSON_AddItemToObject(e, keys[k], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
		}
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_Delete(list);
	return 0;
}

int gt_status_build(cJSON **out, gt_repo *repo, size_t max_ready)
{
	gt_strlist actors = GT_STRLIST_INIT;
	cJSON *records = NULL, *o = NULL, *agents, *ready;
	size_t hooked = 0, unread_all = 0;
	int r;

	*out = NULL;
	if ((r = gt_agent_list(&records, repo)) < 0)
		return r;
	const cJSON *a;
	cJSON_ArrayForEach(a, records)
		if (gt_json_str(a, "actor"))
			gt_strlist_push(&actors, gt_json_str(a, "actor"));
	if ((r = gt_entity_foreach_ref(repo, &gt_hook_type, add_actor, &actors)) < 0 ||
	    (r = gt_entity_foreach_ref(repo, &gt_mail_type, add_actor, &actors)) < 0)
		goto out;
	if (actors.nr)
		qsort(actors.items, actors.nr, sizeof(*actors.items), cmp_str);

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "actor", gt_repo_actor(repo));
	agents = cJSON_AddArrayToObject(o, "agents");
	for (size_t i = 0; i < actors.nr; i++) {
		const char *actor = actors.items[i];
		const cJSON *rec = NULL;
		cJSON *view = NULL;
		size_t unread = 0;
		int empty;
		if (i && !strcmp(actor, actors.items[i - 1]))
			continue;
		cJSON_ArrayForEach(a, records)
			if (!strcmp(gt_json_str(a, "actor") ? gt_json_str(a, "actor") : "", actor))
				rec = a;
		if ((r = gt_work_hook_view(&view, &empty, repo, actor)) < 0 ||
		    (r = gt_mail_list(repo, actor, count_unread, &unread)) < 0) {
			cJSON_Delete(view);
			goto out;
		}
		char *rig = gt_actor_rig(actor);
		const char *role = rec ? gt_json_str(rec, "role") : gt_actor_role(actor);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "actor", actor);
		cJSON_AddBoolToObject(e, "registered", rec != NULL);
		cJSON_AddItemToObject(e, "role", str_or_null(role));
		cJSON_AddItemToObject(e, "rig", str_or_null(rec ? gt_json_str(rec, "rig")
							   : gt_actor_role(actor) ? rig : NULL));
		cJSON_AddItemToObject(e, "state", str_or_null(gt_json_str(rec, "state")));
		cJSON_AddItemToObject(e, "session", str_or_null(gt_json_str(rec, "session")));
		static const char *const keys[] = { "bead", "title", "status", "slung_by",
						    "slung_at", NULL };
		for (const char *const *k = keys; *k; k++)
			cJSON_AddItemToObject(e, *k, str_or_null(gt_json_str(view, *k)));
		cJSON_AddBoolToObject(e, "handoff",
				      cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(view, "handoff")));
		cJSON_AddNumberToObject(e, "unread", (double)unread);
		cJSON_AddItemToArray(agents, e);
		hooked += !empty;
		unread_all += unread;
		free(rig);
		cJSON_Delete(view);
	}
	ready = cJSON_AddObjectToObject(o, "ready");
	if ((r = ready_work(ready, repo, max_ready)) < 0)
		goto out;
	if ((r = open_convoys(o, repo)) < 0)
		goto out;
	cJSON_AddNumberToObject(o, "hooked", (double)hooked);
	cJSON_AddNumberToObject(o, "unread", (double)unread_all);
	*out = o;
	o = NULL;
out:
	cJSON_Delete(o);
	cJSON_Delete(records);
	gt_strlist_clear(&actors);
	return r;
}
