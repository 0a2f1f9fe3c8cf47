#!/bin/sh
# gen-beads.sh N PREFIX: N synthetic beads in the beads JSONL dialect on
# stdout: mixed statuses, priorities and types, labels, some blocking
# dependencies on earlier beads and some children of epics.
n=$1 prefix=${2:-bn}
awk -v n="$n" -v p="$prefix" 'BEGIN {
	srand(42)
	split("open open open in_progress closed closed blocked deferred", st, " ")
	split("task task task bug feature epic chore message", ty, " ")
	for (i = 1; i <= n; i++) {
		id = sprintf("%s-%05x", p, i)
		s = st[int(rand() * 8) + 1]; t = ty[int(rand() * 8) + 1]
		printf "{\"id\":\"%s\",\"title\":\"Bead number %d: do the thing %d\",", id, i, i * 7
		printf "\"description\":\"Generated bead %d. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\",", i
		printf "\"status\":\"%s\",\"priority\":%d,\"issue_type\":\"%s\",", s, int(rand() * 5), t
		if (rand() < 0.3) printf "\"assignee\":\"gastown/polecats/p%d\",", int(rand() * 20)
		if (rand() < 0.3) printf "\"labels\":[\"area-%d\",\"bench\"],", int(rand() * 10)
		if (i > 10 && rand() < 0.25)
			printf "\"dependencies\":[{\"issue_id\":\"%s\",\"depends_on_id\":\"%s-%05x\",\"type\":\"blocks\",\"created_at\":\"2026-01-01T00:00:00Z\",\"created_by\":\"mayor\"}],", id, p, int(rand() * (i - 1)) + 1
		if (s == "closed") printf "\"closed_at\":\"2026-01-02T00:00:00Z\",\"close_reason\":\"done\","
		printf "\"created_at\":\"2026-01-01T00:00:00Z\",\"created_by\":\"mayor\",\"updated_at\":\"2026-01-01T00:00:00Z\"}\n"
	}
}'
