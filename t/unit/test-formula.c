/* Unit tests of lib/formula.c: reading, checking, resolving, substituting. Prints TAP. */
#include "error.h"
#include "formula.h"
#include "json.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static int expands(const char *s, const char *want)
{
	cJSON *vars = cJSON_Parse("{\"a\":\"A\",\"long_name\":\"L\",\"empty\":\"\"}");
	char *got = gt_formula_expand(s, vars);
	int good = !strcmp(got, want);
	if (!good)
		printf("# '%s' -> '%s', not '%s'\n", s, got, want);
	free(got);
	cJSON_Delete(vars);
	return good;
}

/* Parse text; the number of problems, with the formula as JSON in *json. */
static size_t parse(const char *text, cJSON **json, gt_strlist *problems)
{
	gt_formula *f = NULL;
	gt_strlist_clear(problems);
	gt_formula_parse(&f, problems, "f.ini", text);
	gt_formula_check(f, problems);
	if (json)
		*json = gt_formula_to_json(f);
	gt_formula_free(f);
	return problems->nr;
}

static const char *step_str(const cJSON *j, int i, const char *key)
{
	return gt_json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "steps"), i), key);
}

static int has_problem(const gt_strlist *p, const char *want)
{
	for (size_t i = 0; i < p->nr; i++)
		if (!strcmp(p->items[i], want))
			return 1;
	for (size_t i = 0; i < p->nr; i++)
		printf("# problem: %s\n", p->items[i]);
	return 0;
}

int main(void)
{
	gt_strlist problems = GT_STRLIST_INIT, vars = GT_STRLIST_INIT;
	cJSON *j = NULL, *values = NULL;

	ok(expands("x {{a}} y", "x A y"), "a reference is replaced");
	ok(expands("{{a}}{{a}}{{long_name}}", "AAL"), "adjacent references");
	ok(expands("{{ a }} and {{  a}}", "A and A"), "blanks inside the braces");
	ok(expands("{{b}} {{a", "{{b}} {{a"), "unknown and unterminated references are kept");
	ok(expands("{{ 1 }} {{}} {{{a}}}", "{{ 1 }} {{}} {A}"), "what is no reference stays");
	ok(expands("[{{empty}}]", "[]"), "an empty value");
	ok(expands("no braces", "no braces"), "text without references");

	ok(parse("[formula]\nname = m\ndescription =\n  |one\n  |\n  |  two\n  |three \\\n  |four\n"
		 "[step \"a\"]\ntitle = T\n", &j, &problems) == 0, "pieces: a valid formula");
	ok(!strcmp(gt_json_str(j, "description"), "one\n\n  two\nthree four"),
	   "a bare key starts below; '|' keeps blanks; '\\' joins without a newline");
	cJSON_Delete(j);

	ok(parse("[formula]\nname = m\n[step \"a\"]\ndescription = x\n  y\n  |\n  ;comment\n  z\n",
		 &j, &problems) == 0 && !strcmp(step_str(j, 0, "description"), "x\ny\n\nz"),
	   "indented lines continue; an indented ';' line is a comment");
	cJSON_Delete(j);

	ok(parse("[formula]\nname = m\n[step \"a\"]\n[step \"b\"]\nneeds = a, a  a,\n", &j, &problems) == 0 &&
	   cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "steps"), 1),
						  "needs")) == 1,
	   "needs: commas and blanks separate, repeats are dropped");
	ok(!strcmp(step_str(j, 0, "title"), "a"), "a step without a title is titled by its id");
	cJSON_Delete(j);

	ok(parse("[formula]\nname = m\n[step \"a\"]\nneeds = c\n[step \"b\"]\nneeds = a\n"
		 "[step \"c\"]\nneeds = b\n", NULL, &problems) == 1 &&
	   has_problem(&problems, "f.ini:4: dependency cycle: a -> c -> b -> a (each step needs the next)"),
	   "a cycle of three is named once, with its path");
	ok(parse("[formula]\nname = m\n[step \"a\"]\nneeds = b\n[step \"b\"]\nneeds = c\n[step \"c\"]\n"
		 "[step \"d\"]\nneeds = a, b, c\n", NULL, &problems) == 0,
	   "a diamond is no cycle");

	ok(parse("[formula]\nname = m\n[step \"a\"]\ntitle = x; y # z\n", &j, &problems) == 0 &&
	   !strcmp(step_str(j, 0, "title"), "x; y # z"), "';' and '#' inside a value are kept");
	cJSON_Delete(j);

	ok(parse("[formula]\r\nname = m\r\n[step \"a\"]\r\ntitle = crlf\r\n", &j, &problems) == 0 &&
	   !strcmp(step_str(j, 0, "title"), "crlf"), "CRLF line ends");
	cJSON_Delete(j);

	{
		char text[400];
		snprintf(text, sizeof(text), "[formula]\nname = m\n[step \"a\"]\ntitle = %0198d\n", 0);
		ok(parse(text, NULL, &problems) == 1 && strstr(problems.items[0], "f.ini:4: line is longer"),
		   "a line of 207 bytes is a problem");
		snprintf(text, sizeof(text), "[formula]\nname = m\n[step \"a\"]\ntitle = %0190d\n", 0);
		ok(parse(text, NULL, &problems) == 0, "a line of 198 bytes is not");
	}

	/* resolve */
	gt_formula *f = NULL;
	gt_strlist_clear(&problems);
	gt_formula_parse(&f, &problems,
			 "f.ini", "[formula]\nname = m\n[var \"a\"]\nrequired = yes\n[var \"b\"]\ndefault = B\n"
				  "[var \"c\"]\n[step \"s\"]\ntitle = {{a}}{{b}}{{c}}\n");
	ok(gt_formula_resolve(NULL, f, &vars, &problems) == GT_EINVALID &&
	   has_problem(&problems, "f.ini:3: variable 'a' is required and has no value: give --var a=<value>"),
	   "a required variable without a value");
	gt_strlist_clear(&problems);
	gt_strlist_push(&vars, "a=1=2");
	gt_strlist_push(&vars, "a=A");
	ok(gt_formula_resolve(&values, f, &vars, &problems) == 0, "values resolve");
	ok(!strcmp(gt_json_str(values, "a"), "A") && !strcmp(gt_json_str(values, "b"), "B") &&
	   !strcmp(gt_json_str(values, "c"), ""), "the last value wins, defaults, empty otherwise");
	cJSON_Delete(values);
	gt_strlist_clear(&vars);
	gt_strlist_push(&vars, "a=x=y");
	ok(gt_formula_cook(&j, f, &vars, &problems) == 0 && !strcmp(step_str(j, 0, "title"), "x=yB"),
	   "cook substitutes; a value may hold '='");
	cJSON_Delete(j);
	gt_formula_free(f);

	/* sorting problems */
	gt_strlist_clear(&problems);
	gt_strlist_push(&problems, "f.ini:10: ten");
	gt_strlist_push(&problems, "f.ini:2: two");
	gt_strlist_push(&problems, "--var: given");
	gt_strlist_push(&problems, "f.ini:2: two again");
	gt_formula_sort_problems(&problems, 0, "f.ini");
	ok(!strcmp(problems.items[0], "--var: given") && !strcmp(problems.items[1], "f.ini:2: two") &&
	   !strcmp(problems.items[2], "f.ini:2: two again") && !strcmp(problems.items[3], "f.ini:10: ten"),
	   "problems sort by line, stably, lineless first");

	gt_strlist_clear(&problems);
	gt_strlist_clear(&vars);
	return tap_done();
}
