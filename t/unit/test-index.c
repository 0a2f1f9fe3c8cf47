/*
 * test-index: drive lib/index.c from the test scripts.
 *
 *   test-index stats [--libgit2] [--no-cache]   load once, print what it did
 *   test-index dump                             every entry, one per line
 *   test-index refs [--libgit2]                 the ref listing: "<tip> <id>"
 *   test-index time <n> [--libgit2]             load n times, print ms per load
 */
#include "error.h"
#include "index.h"
#include "repo.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned parse_flags(int argc, char **argv, int from)
{
	unsigned flags = 0;
	for (int i = from; i < argc; i++) {
		if (!strcmp(argv[i], "--libgit2"))
			flags |= GT_INDEX_LIBGIT2_REFS;
		else if (!strcmp(argv[i], "--no-cache"))
			flags |= GT_INDEX_NO_CACHE;
		else
			gt_usage_die("unknown option '%s'", argv[i]);
	}
	return flags;
}

static void print_str(const char *name, const char *s)
{
	printf(" %s=%s", name, s ? s : "(null)");
}

static void dump(const gt_index *ix)
{
	for (size_t i = 0; i < gt_index_count(ix); i++) {
		const gt_index_entry *e = gt_index_at(ix, i);
		printf("%s", e->id);
		print_str("status", e->status);
		printf(" priority=%d", e->priority);
		print_str("type", e->issue_type);
		print_str("assignee", e->assignee);
		print_str("parent", e->parent);
		print_str("created_at", e->created_at);
		print_str("updated_at", e->updated_at);
		print_str("closed_at", e->closed_at);
		printf(" created_ms=%lld updated_ms=%lld", (long long)e->created_ms,
		       (long long)e->updated_ms);
		print_str("title", e->title);
		printf(" labels=");
		for (size_t k = 0; k < e->nlabels; k++)
			printf("%s%s", k ? "," : "", e->labels[k]);
		printf(" deps=");
		for (size_t k = 0; k < e->ndeps; k++)
			printf("%s%s:%s", k ? "," : "",
			       e->deps[k].type ? e->deps[k].type : "(null)",
			       e->deps[k].depends_on_id);
		if (gt_index_find(ix, e->id) != e || gt_index_pos(ix, e) != i)
			printf(" FIND-MISMATCH");
		printf(" json=%s\n", e->json);
	}
	for (size_t i = 0; i < gt_index_damaged_count(ix); i++) {
		const gt_index_entry *e = gt_index_damaged_at(ix, i);
		printf("damaged %s %s\n", e->id, e->error);
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	gt_repo *repo = NULL;
	gt_index *ix = NULL;
	int r;

	gt_set_program_name("test-index");
	if (argc < 2)
		gt_usage_die("test-index (stats|dump|refs|time <n>) [--libgit2] [--no-cache]");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (!strcmp(argv[1], "stats")) {
		if ((r = gt_index_load_ext(&ix, repo, parse_flags(argc, argv, 2))) < 0)
			gt_die_code(r);
		const gt_index_stats *s = gt_index_get_stats(ix);
		printf("refs=%zu cached=%zu reused=%zu read=%zu dropped=%zu valid=%d "
		       "rewritten=%d fast=%d entries=%zu damaged=%zu\n",
		       s->refs, s->cached, s->reused, s->read, s->dropped,
		       s->cache_valid, s->rewritten, s->fast_refs,
		       gt_index_count(ix), gt_index_damaged_count(ix));
	} else if (!strcmp(argv[1], "dump")) {
		if ((r = gt_index_load_ext(&ix, repo, parse_flags(argc, argv, 2))) < 0)
			gt_die_code(r);
		dump(ix);
	} else if (!strcmp(argv[1], "refs")) {
		gt_index__reflist l;
		int fast;
		unsigned flags = parse_flags(argc, argv, 2);
		if ((r = gt_index__list_refs(&l, repo, !(flags & GT_INDEX_LIBGIT2_REFS),
					     &fast)) < 0)
			gt_die_code(r);
		for (size_t i = 0; i < l.n; i++)
			printf("%s %s\n", git_oid_tostr_s(&l.tips[i]), l.ids[i]);
		gt_index__reflist_clear(&l);
	} else if (!strcmp(argv[1], "time") && argc >= 3) {
		int n = atoi(argv[2]);
		unsigned flags = parse_flags(argc, argv, 3);
		double best = 1e9;
		for (int i = 0; i < n; i++) {
			double t0 = now_ms();
			if ((r = gt_index_load_ext(&ix, repo, flags)) < 0)
				gt_die_code(r);
			double t = now_ms() - t0;
			if (t < best)
				best = t;
			gt_index_free(ix);
			ix = NULL;
		}
		printf("best of %d: %.2f ms\n", n, best);
	} else {
		gt_usage_die("unknown subcommand '%s'", argv[1]);
	}
	gt_index_free(ix);
	gt_repo_free(repo);
	return 0;
}
