#ifndef GT_GRAPH_H
#define GT_GRAPH_H

#include "repo.h"

#include <stddef.h>

/*
 * Keeping git's commit-graph up with the entity histories.
 *
 * git's walks for a fetch or a push (which objects the other side
 * lacks, whether what arrived is connected) parse every commit they
 * pass. Read from a commit-graph file that costs next to nothing; from
 * the object store, a read and an inflate each. When a bead changes for
 * the first time since it was imported (or first synced here), those
 * walks pass every tip of that import: at 10k beads a sync of 110 such
 * changes each way took 0.50 s without a graph on this side and 0.35 s
 * with one (0.21 s with one on the server too).
 *
 * So gt counts the refs that merges and imports moved (the record
 * $GIT_COMMON_DIR/gastown/graph) and, once they reach GT_GRAPH_EVERY,
 * adds a layer to the repository's commit-graph chain, as git
 * maintenance would: git commit-graph write --reachable --split. Not
 * when core.commitGraph is false, nor in a shallow repository. In the
 * background, as gc --auto runs (unless gc.autoDetach is false): the
 * sync that triggers it need not wait 50 to 100 ms. Its output goes to
 * gastown/graph.log, shown by the next merge or import once it ended.
 */
#define GT_GRAPH_EVERY 1000

/* moved more refs; best effort: a failed write only costs speed (git says why, gt warns) */
void gt_graph_note(gt_repo *repo, size_t moved);

#endif
