/* gt mol: pour formulas into molecules, keep wisps, squash and burn them, follow their steps. */
#include "bead.h"
#include "error.h"
#include "formula.h"
#include "json.h"
#include "molecule.h"
#include "parse-options.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"gt mol pour [--var <name>=<value>]... [--attach <bead>] <formula>|<proto>",
	"gt mol wisp [--var <name>=<value>]... [--attach <bead>] <formula>|<proto>",
	"gt mol squash [--summary <text>] <mol>",
	"gt mol burn <mol>",
	"gt mol list [--json]",
	"gt mol status [--json] <mol>",
	"gt mol next [--json] <mol>",
	NULL
};

static const char *kind(const gt_mol *m)
{
	return m->wisp ? "wisp" : "poured";
}

static const char *str_or(const cJSON *o, const char *key, const char *def)
{
	const char *s = gt_json_str(o, key);
	return s ? s : def;
}

static cJSON *step_json(const gt_mol_step *s)
{
	cJSON *o = cJSON_CreateObject(), *w = cJSON_CreateArray();
	gt_json_put_str(o, "id", s->id);
	gt_json_put_str(o, "step", s->step);
	gt_json_put_str(o, "title", s->title);
	gt_json_put_str(o, "status", s->status);
	gt_json_put_str(o, "state", gt_mol_state_name(s->state));
	for (size_t i = 0; i < s->waiting.nr; i++)
		cJSON_AddItemToArray(w, cJSON_CreateString(s->waiting.items[i]));
	cJSON_AddItemToObject(o, "waiting_on", w);
	return o;
}

static int mol_done(const gt_mol *m)
{
	return m->nsteps && m->count[GT_STEP_DONE] == m->nsteps;
}

static cJSON *mol_json(const gt_mol *m, int with_steps)
{
	cJSON *o = cJSON_CreateObject();
	gt_json_put_str(o, "id", m->id);
	gt_json_put_str(o, "kind", kind(m));
	gt_json_put_str(o, "formula", str_or(m->bead, "formula", ""));
	gt_json_put_str(o, "title", str_or(m->bead, "title", ""));
	gt_json_put_str(o, "status", mol_done(m) ? "done" : "open");
	gt_json_put_str(o, "attached_to", str_or(m->bead, "attached_to", ""));
	cJSON_AddNumberToObject(o, "total", (double)m->nsteps);
	for (int s = GT_STEP_DONE; s <= GT_STEP_BLOCKED; s++)
		cJSON_AddNumberToObject(o, gt_mol_state_name(s), (double)m->count[s]);
	if (with_steps) {
		cJSON *steps = cJSON_CreateArray();
		for (size_t i = 0; i < m->nsteps; i++)
			cJSON_AddItemToArray(steps, step_json(&m->steps[i]));
		cJSON_AddItemToObject(o, "steps", steps);
	}
	return o;
}

static void print_json(cJSON *o)
{
	char *text = gt_json_print(o);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
}

static gt_mol *read_mol(gt_repo *repo, const char *id)
{
	gt_mol *m = NULL;
	int r = gt_mol_read(&m, repo, id);
	if (r < 0)
		gt_die_code(r);
	return m;
}

static int cmd_status(gt_repo *repo, const char *id, int json)
{
	gt_mol *m = read_mol(repo, id);
	if (json) {
		print_json(mol_json(m, 1));
	} else {
		printf("%s: %s (%s), %s: %zu/%zu done, %zu ready, %zu active, %zu blocked\n", m->id,
		       str_or(m->bead, "formula", "?"), kind(m), mol_done(m) ? "done" : "open",
		       m->count[GT_STEP_DONE], m->nsteps, m->count[GT_STEP_READY],
		       m->count[GT_STEP_ACTIVE], m->count[GT_STEP_BLOCKED]);
		for (size_t i = 0; i < m->nsteps; i++) {
			const gt_mol_step *s = &m->steps[i];
			printf("  %-7s %s %s: %s", gt_mol_state_name(s->state), s->id, s->step, s->title);
			for (size_t k = 0; k < s->waiting.nr; k++)
				printf("%s%s", k ? ", " : " (waits on ", s->waiting.items[k]);
			printf("%s\n", s->waiting.nr ? ")" : "");
		}
	}
	gt_mol_free(m);
	return 0;
}

static int cmd_next(gt_repo *repo, const char *id, int json)
{
	gt_mol *m = read_mol(repo, id);
	int any = 0;
	for (size_t i = 0; i < m->nsteps; i++) {
		const gt_mol_step *s = &m->steps[i];
		if (s->state != GT_STEP_READY)
			continue;
		any = 1;
		if (json)
			print_json(step_json(s));
		else
			printf("%s\t%s\t%s\n", s->id, s->step, s->title);
	}
	if (!any) {
		if (mol_done(m))
			fprintf(stderr, "molecule %s is done: every step is closed\n", m->id);
		else
			fprintf(stderr, "no step of %s is ready: %zu active, %zu blocked\n", m->id,
				m->count[GT_STEP_ACTIVE], m->count[GT_STEP_BLOCKED]);
	}
	gt_mol_free(m);
	return any ? 0 : GT_EXIT_NO;
}

static int cmd_list(gt_repo *repo, int json)
{
	gt_strlist ids = GT_STRLIST_INIT;
	int r;
	if ((r = gt_mol_list(&ids, repo)) < 0)
		gt_die_code(r);
	for (size_t i = 0; i < ids.nr; i++) {
		gt_mol *m = read_mol(repo, ids.items[i]);
		if (json)
			print_json(mol_json(m, 0));
		else
			printf("%s\t%s\t%zu/%zu\t%s\n", m->id, kind(m), m->count[GT_STEP_DONE],
			       m->nsteps, str_or(m->bead, "formula", ""));
		gt_mol_free(m);
	}
	gt_strlist_clear(&ids);
	return 0;
}

static int cmd_pour(gt_repo *repo, const char *what, const gt_strlist *vars,
		    const char *attach, int wisp)
{
	gt_strlist problems = GT_STRLIST_INIT;
	cJSON *proto = NULL;
	char *id = NULL;
	int r;
	if ((r = gt_formula_prepare(&proto, repo, what, vars, &problems)) < 0 ||
	    (r = gt_mol_pour(&id, repo, proto, wisp, attach)) < 0)
		gt_die_code(r);
	printf("%s\n", id);
	free(id);
	cJSON_Delete(proto);
	gt_strlist_clear(&problems);
	return 0;
}

int main(int argc, const char **argv)
{
	gt_strlist vars = GT_STRLIST_INIT;
	const char *attach = NULL, *summary = NULL, *sub;
	int json = 0, r = 0;
	gt_repo *repo = NULL;
	struct gt_option opts[] = {
		GT_OPT_LIST(0, "var", &vars, "name=value",
			    "pour, wisp: the value of a variable (repeatable)"),
		GT_OPT_STRING(0, "attach", &attach, "bead",
			      "pour, wisp: attach the molecule to this bead"),
		GT_OPT_STRING(0, "summary", &summary, "text", "squash: the digest's description"),
		GT_OPT_BOOL(0, "json", &json, "list, status, next: print JSON"),
		GT_OPT_END(),
	};

	gt_set_program_name(argv[0]);
	argc = gt_parse_options(argc, argv, opts, usage);
	if (argc < 1)
		gt_usage_error(usage, opts,
			       "which subcommand? pour, wisp, squash, burn, list, status or next");
	sub = argv[0];
	argc--;
	argv++;
	int pour = !strcmp(sub, "pour") || !strcmp(sub, "wisp");
	if (!pour && strcmp(sub, "squash") && strcmp(sub, "burn") && strcmp(sub, "list") &&
	    strcmp(sub, "status") && strcmp(sub, "next"))
		gt_usage_error(usage, opts, "unknown subcommand '%s'", sub);
	if ((vars.nr || attach) && !pour)
		gt_usage_error(usage, opts, "--var and --attach go with pour and wisp only");
	if (summary && strcmp(sub, "squash"))
		gt_usage_error(usage, opts, "--summary goes with squash only");
	if (json && strcmp(sub, "list") && strcmp(sub, "status") && strcmp(sub, "next"))
		gt_usage_error(usage, opts, "--json goes with list, status and next only");
	if (!strcmp(sub, "list") ? argc != 0 : argc != 1)
		gt_usage_error(usage, opts, !strcmp(sub, "list") ? "list takes no argument"
				: pour ? "give one formula or proto" : "give one molecule id");
	if ((r = gt_repo_open(&repo, NULL)) < 0)
		gt_die_code(r);
	if (pour) {
		r = cmd_pour(repo, argv[0], &vars, attach, !strcmp(sub, "wisp"));
	} else if (!strcmp(sub, "squash")) {
		char *digest = NULL;
		if ((r = gt_mol_squash(&digest, repo, argv[0], summary)) < 0)
			gt_die_code(r);
		printf("%s\n", digest);
		free(digest);
	} else if (!strcmp(sub, "burn")) {
		if ((r = gt_mol_burn(repo, argv[0])) < 0)
			gt_die_code(r);
	} else if (!strcmp(sub, "list")) {
		r = cmd_list(repo, json);
	} else if (!strcmp(sub, "status")) {
		r = cmd_status(repo, argv[0], json);
	} else {
		r = cmd_next(repo, argv[0], json);
	}
	gt_repo_free(repo);
	gt_strlist_clear(&vars);
	return r;
}
