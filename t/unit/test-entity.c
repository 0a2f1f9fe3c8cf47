/*
 * Unit tests of the entity core: operations, Lamport clocks, snapshots
 * equal to the replay, compare-and-swap with re-apply, multi-ref
 * transactions, unknown fields and operation types, tombstones, replay
 * order across a merge, transaction roll-forward.
 * Usage: test-entity <path-to-empty-git-repo>
 */
#include "entity.h"
#include "error.h"
#include "json.h"
#include "repo.h"
#include "strbuf.h"
#include "txn.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const gt_entity_type thing = { "thing", "refs/gastown/things/" , NULL, 0 };

static cJSON *parse(const char *s)
{
	return cJSON_Parse(s);
}

static int json_is(const cJSON *v, const char *expect)
{
	cJSON *e = parse(expect);
	int r = gt_json_equal(v, e);
	if (!r) {
		char *got = gt_json_print(v);
		printf("# got:    %s\n# expect: %s\n", got, expect);
		free(got);
	}
	cJSON_Delete(e);
	return r;
}

/* build callback: apply a fixed op given as JSON text */
static int build_fixed(cJSON **op, const cJSON *cur, const char *id, void *payload)
{
	(void)cur; (void)id;
	*op = parse(payload);
	return 0;
}

static int build_fail(cJSON **op, const cJSON *cur, const char *id, void *payload)
{
	(void)cur; (void)id; (void)payload; (void)op;
	return gt_error_set(GT_EREFUSED, "refused on purpose");
}

static int write_op(gt_repo *repo, const char *id, unsigned flags, const char *op)
{
	gt_entity_write w = { &thing, id, flags, build_fixed, (void *)op, 0, { { 0 } }, 0 };
	return gt_entity_write_one(repo, &w);
}

static int replay_matches(gt_repo *repo, const char *id)
{
	gt_entity *e = NULL;
	cJSON *replayed = NULL;
	int r = gt_entity_read(&e, repo, &thing, id) == 0 &&
		gt_entity_replay(&replayed, repo, &e->tip) == 0 &&
		gt_json_equal(e->snapshot, replayed);
	cJSON_Delete(replayed);
	gt_entity_free(e);
	return r;
}

static void test_apply(void)
{
	cJSON *s = parse("{\"title\":\"a\",\"future\":{\"x\":1},\"labels\":[\"x\"]}");
	cJSON *op = gt_op_new("thing.update");
	gt_op_set_str(op, "title", "b");
	gt_op_add(op, "labels", cJSON_CreateString("y"), NULL);
	gt_op_add(op, "labels", cJSON_CreateString("x"), NULL);
	gt_op_remove(op, "labels", cJSON_CreateString("y"));
	gt_op_append(op, "comments", parse("{\"text\":\"hi\"}"));
	gt_op_add(op, "deps", parse("{\"to\":\"b\",\"type\":\"blocks\",\"n\":1}"),
		  parse("{\"to\":\"b\",\"type\":\"blocks\"}"));
	gt_op_add(op, "deps", parse("{\"to\":\"b\",\"type\":\"blocks\",\"n\":2}"),
		  parse("{\"to\":\"b\",\"type\":\"blocks\"}"));
	cJSON_AddItemToArray(cJSON_GetObjectItem(op, "changes"),
			     parse("{\"frobnicate\":\"title\",\"value\":1}"));
	gt_op_unset(op, "nothing");
	ok(gt_op_apply(s, op) == 0, "apply succeeds");
	ok(json_is(s, "{\"title\":\"b\",\"future\":{\"x\":1},\"labels\":[\"x\"],"
		      "\"comments\":[{\"text\":\"hi\"}],"
		      "\"deps\":[{\"to\":\"b\",\"type\":\"blocks\",\"n\":2}]}"),
	   "set, add/remove by match, append, unknown members and change kinds kept/skipped");
	cJSON_Delete(op);
	op = gt_op_new("thing.delete");
	gt_op_tombstone(op);
	gt_op_apply(s, op);
	ok(cJSON_IsTrue(cJSON_GetObjectItem(s, GT_TOMBSTONE_KEY)), "tombstone marks the snapshot");
	cJSON_Delete(op);
	cJSON_Delete(s);
	s = cJSON_CreateObject();
	op = parse("[]");
	ok(gt_op_apply(s, op) == GT_EINVALID, "an operation that is not an object is refused");
	cJSON_Delete(op);
	op = parse("{\"changes\":{}}");
	ok(gt_op_apply(s, op) == GT_EINVALID, "changes that are not a list are refused");
	cJSON_Delete(op);
	cJSON_Delete(s);
}

static void test_chain(gt_repo *repo)
{
	gt_entity *e = NULL;
	ok(write_op(repo, "t1", GT_WRITE_CREATE,
		    "{\"type\":\"thing.create\",\"changes\":[{\"set\":\"title\",\"value\":\"one\"}]}") == 0,
	   "create");
	ok(write_op(repo, "t1", GT_WRITE_CREATE, "{\"type\":\"thing.create\",\"changes\":[]}") == GT_EEXISTS,
	   "create of an existing entity is refused");
	ok(write_op(repo, "nope", 0, "{\"type\":\"x\",\"changes\":[]}") == GT_ENOTFOUND,
	   "update of a missing entity: not found");
	ok(write_op(repo, "../x", GT_WRITE_CREATE, "{\"type\":\"x\",\"changes\":[]}") == GT_EINVALID,
	   "an id that escapes is refused");
	ok(write_op(repo, "t1", 0,
		    "{\"type\":\"thing.update\",\"changes\":[{\"set\":\"title\",\"value\":\"two\"}]}") == 0,
	   "update");
	ok(write_op(repo, "t1", 0,
		    "{\"type\":\"thing.future\",\"extra\":[1,2],\"changes\":[{\"zap\":\"title\"},{\"set\":\"n\",\"value\":3}]}") == 0,
	   "an unknown operation type is written");
	ok(gt_entity_read(&e, repo, &thing, "t1") == 0, "read");
	ok(e && e->clock == 3, "Lamport clock counts 1, 2, 3");
	ok(e && json_is(e->snapshot, "{\"title\":\"two\",\"n\":3}"), "snapshot after three operations");
	ok(e && json_is(cJSON_GetObjectItem(e->op, "extra"), "[1,2]"), "unknown op members are kept");
	ok(replay_matches(repo, "t1"), "snapshot equals the replay of the operations");
	gt_entity_free(e);
}

/* CAS: the first time it is called, move the ref behind the writer's back. */
static int calls;
static gt_repo *sneaky_repo;
static int build_racing(cJSON **op, const cJSON *cur, const char *id, void *payload)
{
	(void)payload;
	if (calls++ == 0)
		write_op(sneaky_repo, id, 0,
			 "{\"type\":\"thing.update\",\"changes\":[{\"add\":\"tags\",\"value\":\"theirs\"}]}");
	*op = gt_op_new("thing.update");
	gt_op_add(*op, "tags", cJSON_CreateString("mine"), NULL);
	(void)cur;
	return 0;
}

static void test_cas(gt_repo *repo)
{
	gt_entity *e = NULL;
	gt_entity_write w = { &thing, "t1", 0, build_racing, NULL, 0, { { 0 } }, 0 };
	sneaky_repo = repo;
	calls = 0;
	ok(gt_entity_write_one(repo, &w) == 0, "a write that loses a race succeeds");
	ok(calls == 2, "it re-read and re-applied (%d builds)", calls);
	gt_entity_read(&e, repo, &thing, "t1");
	ok(e && json_is(cJSON_GetObjectItem(e->snapshot, "tags"), "[\"theirs\",\"mine\"]"),
	   "no update lost");
	ok(e && e->clock == 5, "clock 5 after the racing write");
	gt_entity_free(e);
}

static void test_transaction(gt_repo *repo)
{
	git_oid before, after;
	git_reference_name_to_id(&before, gt_repo_git(repo), "refs/gastown/things/t1");
	const char *op = "{\"type\":\"thing.update\",\"changes\":[{\"set\":\"x\",\"value\":1}]}";
	gt_entity_write ws[3] = {
		{ &thing, "t1", 0, build_fixed, (void *)op, 0, { { 0 } }, 0 },
		{ &thing, "t2", GT_WRITE_CREATE, build_fixed, (void *)op, 0, { { 0 } }, 0 },
		{ &thing, "t3", GT_WRITE_CREATE, build_fail, NULL, 0, { { 0 } }, 0 },
	};
	ok(gt_entity_write_many(repo, ws, 3) == GT_EREFUSED, "a failing part fails the transaction");
	git_reference_name_to_id(&after, gt_repo_git(repo), "refs/gastown/things/t1");
	ok(git_oid_equal(&before, &after), "...and moves no ref");
	ok(write_op(repo, "t2", 0, "{\"type\":\"x\",\"changes\":[]}") == GT_ENOTFOUND,
	   "...and creates nothing");
	ok(gt_entity_write_many(repo, ws, 2) == 0, "two refs in one transaction");
	ok(ws[0].changed && ws[1].changed, "both moved");
	ok(replay_matches(repo, "t2"), "new entity's snapshot equals its replay");
}

static void test_recover(gt_repo *repo, const char *gitdir)
{
	git_oid cur, target;
	gt_strbuf path = GT_STRBUF_INIT, j = GT_STRBUF_INIT;
	FILE *fp;
	git_reference_name_to_id(&cur, gt_repo_git(repo), "refs/gastown/things/t2");
	/* a journal of a dead process that wanted to move t1 onto t2's commit
	 * and create t9 */
	git_reference_name_to_id(&target, gt_repo_git(repo), "refs/gastown/things/t1");
	gt_strbuf_addf(&path, "%s/gastown/txn", gitdir);
	mkdir(path.buf, 0777);
	gt_strbuf_adds(&path, "/999999999-0");
	gt_strbuf_addf(&j, "{\"pid\":999999999,\"refs\":[{\"ref\":\"refs/gastown/things/t1\",\"old\":\"%s\",",
		       git_oid_tostr_s(&target));
	gt_strbuf_addf(&j, "\"new\":\"%s\"},", git_oid_tostr_s(&cur));
	gt_strbuf_addf(&j, "{\"ref\":\"refs/gastown/things/t9\",\"old\":\"%040d\",\"new\":\"%s\"}]}",
		       0, git_oid_tostr_s(&cur));
	fp = fopen(path.buf, "w");
	fputs(j.buf, fp);
	fclose(fp);
	ok(gt_txn_recover(repo) == 1, "one dead journal recovered");
	git_oid t1, t9;
	ok(git_reference_name_to_id(&t1, gt_repo_git(repo), "refs/gastown/things/t1") == 0 &&
	   git_oid_equal(&t1, &cur), "rolled forward an existing ref");
	ok(git_reference_name_to_id(&t9, gt_repo_git(repo), "refs/gastown/things/t9") == 0 &&
	   git_oid_equal(&t9, &cur), "rolled forward a new ref");
	ok(access(path.buf, F_OK) != 0, "journal removed");
	gt_strbuf_release(&path);
	gt_strbuf_release(&j);
}

/* Two branches from one base merged by hand: replay order is total. */
static void test_merge_replay(gt_repo *repo)
{
	git_repository *git = gt_repo_git(repo);
	gt_entity *base = NULL;
	git_oid a, b, m1, m2;
	git_commit *ca = NULL, *cb = NULL;
	git_signature *sig = NULL;
	cJSON *r1 = NULL, *r2 = NULL;
	write_op(repo, "m", GT_WRITE_CREATE,
		 "{\"type\":\"thing.create\",\"changes\":[{\"set\":\"title\",\"value\":\"base\"}]}");
	gt_entity_read(&base, repo, &thing, "m");
	/* side A (clock 2, later time) and side B (clock 2, earlier time) */
	cJSON *opa = gt_entity_stamp_op(parse("{\"type\":\"thing.update\",\"changes\":["
		"{\"set\":\"title\",\"value\":\"A\"},{\"add\":\"l\",\"value\":\"a\"}]}"), 2, 2000, "alice");
	cJSON *opb = gt_entity_stamp_op(parse("{\"type\":\"thing.update\",\"changes\":["
		"{\"set\":\"title\",\"value\":\"B\"},{\"add\":\"l\",\"value\":\"b\"}]}"), 2, 1000, "bob");
	cJSON *sa = cJSON_Duplicate(base->snapshot, 1), *sb = cJSON_Duplicate(base->snapshot, 1);
	char *msg = NULL;
	gt_op_apply(sa, opa);
	gt_op_apply(sb, opb);
	gt_entity_commit(&a, &msg, repo, &thing, "m", &base->tip, opa, sa);
	free(msg);
	gt_entity_commit(&b, &msg, repo, &thing, "m", &base->tip, opb, sb);
	free(msg);
	git_commit_lookup(&ca, git, &a);
	git_commit_lookup(&cb, git, &b);
	git_signature_new(&sig, "gastown", "gastown", 3, 0);
	git_tree *tree = NULL;
	git_commit_tree(&tree, ca);
	const git_commit *p1[2] = { ca, cb }, *p2[2] = { cb, ca };
	git_commit_create(&m1, git, NULL, sig, sig, NULL, "merge\n", tree, 2, p1);
	git_commit_create(&m2, git, NULL, sig, sig, NULL, "merge\n", tree, 2, p2);
	ok(gt_entity_replay(&r1, repo, &m1) == 0 && gt_entity_replay(&r2, repo, &m2) == 0,
	   "replay of merges");
	ok(r1 && r2 && gt_json_equal(r1, r2), "parent order does not matter");
	ok(r1 && json_is(r1, "{\"title\":\"A\",\"l\":[\"b\",\"a\"]}"),
	   "same clock: the later time wins, both set additions kept");
	cJSON_Delete(r1);
	cJSON_Delete(r2);
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(ca);
	git_commit_free(cb);
	cJSON_Delete(opa);
	cJSON_Delete(opb);
	cJSON_Delete(sa);
	cJSON_Delete(sb);
	gt_entity_free(base);
}

int main(int argc, char **argv)
{
	gt_repo *repo;
	if (argc != 2 || gt_repo_open(&repo, argv[1]) < 0) {
		fprintf(stderr, "usage: test-entity <repo> (%s)\n", gt_error_last());
		return 2;
	}
	test_apply();
	test_chain(repo);
	test_cas(repo);
	test_transaction(repo);
	test_recover(repo, argv[1]);
	test_merge_replay(repo);
	gt_repo_free(repo);
	git_libgit2_shutdown();
	return tap_done();
}
