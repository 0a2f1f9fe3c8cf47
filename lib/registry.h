#ifndef GT_REGISTRY_H
#define GT_REGISTRY_H

#include <stddef.h>
#include "entity.h"

/*
 * The registry of entity types: which refs under refs/gastown/ (and
 * refs/gastown-local/) hold which kind of entity. Adding a type (hooks,
 * mail, convoys, agents, wisps) is one line in lib/registry.c.
 *
 * Besides the entities there are two special refs:
 *
 *   refs/gastown/config   a commit whose tree holds the blob "config"
 *   refs/gastown/ledger   the published ledger, written by sync
 */

#define GT_REF_ROOT "refs/gastown/"
#define GT_LOCAL_REF_ROOT "refs/gastown-local/"
#define GT_LEDGER_REF "refs/gastown/ledger"
/* GT_CONFIG_REF ("refs/gastown/config") is in config.h */

typedef enum gt_ref_kind {
	GT_REF_OTHER,   /* outside refs/gastown/ and refs/gastown-local/ */
	GT_REF_ENTITY,  /* the ref of an entity of a registered type */
	GT_REF_CONFIG,  /* refs/gastown/config */
	GT_REF_LEDGER,  /* refs/gastown/ledger */
	GT_REF_UNKNOWN, /* under our roots, but no known type claims it */
} gt_ref_kind;

/*
 * The entity type whose ref_prefix refname starts with, or NULL. The
 * entity id is refname + strlen(type->ref_prefix); it may still be an
 * invalid id (check with gt_entity_id_valid).
 */
const gt_entity_type *gt_entity_type_for_ref(const char *refname);

/* What kind of ref refname is; *type (may be NULL) gets the entity type. */
gt_ref_kind gt_registry_ref_kind(const char *refname,
				 const gt_entity_type **type);

/* The number of known entity types, and the i-th (NULL past the end). */
size_t gt_registry_count(void);
const gt_entity_type *gt_registry_type(size_t i);

/* The type with this name ("bead"), or NULL. */
const gt_entity_type *gt_registry_type_by_name(const char *name);

#endif
