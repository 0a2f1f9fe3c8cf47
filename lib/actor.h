#ifndef GT_ACTOR_H
#define GT_ACTOR_H

/*
 * Actor addresses: stable identities independent of any process,
 * "mayor", "deacon", "<rig>/witness", "<rig>/refinery",
 * "<rig>/polecats/<name>", "<rig>/crew/<name>", or any other name a
 * person goes by ("overseer", a git user name).
 *
 * An address becomes one ref component (the entity id of its hook,
 * mailbox and agent): every byte outside [A-Za-z0-9_-] is written as
 * %XX (upper-case hex), so "gastown/polecats/nux" is
 * "gastown%2Fpolecats%2Fnux". No actor's ref is then a directory prefix
 * of another's ("mayor" and a rig called "mayor" cannot collide), and the
 * encoding is reversible.
 */

#define GT_ACTOR_MAX 128

/*
 * A valid address: 1..GT_ACTOR_MAX bytes of valid UTF-8, no control
 * characters, starting with a letter or digit, '/'-separated segments
 * that are neither empty nor "." or "..", no leading or trailing space
 * in a segment. Returns 1 or 0.
 */
int gt_actor_valid(const char *addr);

/*
 * The entity id of addr (see above); *out is malloc()ed. GT_EINVALID,
 * naming the address, when it is not valid.
 */
int gt_actor_to_id(char **out, const char *addr);

/* The address an entity id encodes; GT_EINVALID when id is no encoding. */
int gt_actor_from_id(char **out, const char *id);

/*
 * For people: the address an entity id encodes when it is an encoded
 * address with escapes ("gastown%2Fpolecats%2Fnux" gives
 * "gastown/polecats/nux"), else the id itself. Caller frees.
 */
char *gt_actor_id_display(const char *id);

/*
 * The role an address implies: "mayor", "deacon", "witness",
 * "refinery", "polecat", "crew", or NULL when it implies none.
 */
const char *gt_actor_role(const char *addr);

/* The rig of "<rig>/..." (malloc()ed), or NULL for town-level actors. */
char *gt_actor_rig(const char *addr);

#endif
