#ifndef GT_DESCRIBE_H
#define GT_DESCRIBE_H

#include <cJSON.h>
#include "strbuf.h"

/*
 * The porcelain (for people) description of one bead, as `gt show`
 * prints it: a title line, the fields that are set, dependencies,
 * description and comments. The layout may change between versions;
 * scripts use --json.
 */
void gt_describe_bead(gt_strbuf *out, const cJSON *bead);

#endif
