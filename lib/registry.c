#include "registry.h"
#include "bead.h"
#include "formula.h"
#include "convoy.h"
#include "hook.h"
#include "agent.h"
#include "mail.h"
#include "config.h"

#include <string.h>

/* Every entity type, one line each. */
static const gt_entity_type *const types[] = {
	&gt_bead_type,
	&gt_hook_type,
	&gt_formula_type,
	&gt_proto_type,
	&gt_wisp_type,
	&gt_convoy_type,
	&gt_agent_type,
	&gt_mail_type,
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

size_t gt_registry_count(void)
{
	return NTYPES;
}

const gt_entity_type *gt_registry_type(size_t i)
{
	return i < NTYPES ? types[i] : NULL;
}

const gt_entity_type *gt_registry_type_by_name(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

const gt_entity_type *gt_entity_type_for_ref(const char *refname)
{
	for (size_t i = 0; i < NTYPES; i++) {
		size_t n = strlen(types[i]->ref_prefix);
		if (!strncmp(refname, types[i]->ref_prefix, n))
			return types[i];
	}
	return NULL;
}

gt_ref_kind gt_registry_ref_kind(const char *refname, const gt_entity_type **type)
{
	const gt_entity_type *t = gt_entity_type_for_ref(refname);

	if (type)
		*type = t;
	if (t)
		return GT_REF_ENTITY;
	if (!strcmp(refname, GT_CONFIG_REF))
		return GT_REF_CONFIG;
	if (!strcmp(refname, GT_LEDGER_REF))
		return GT_REF_LEDGER;
	if (!strncmp(refname, GT_REF_ROOT, strlen(GT_REF_ROOT)) ||
	    !strncmp(refname, GT_LOCAL_REF_ROOT, strlen(GT_LOCAL_REF_ROOT)))
		return GT_REF_UNKNOWN;
	return GT_REF_OTHER;
}
