#include "formula.h"
#include "error.h"
#include "json.h"
#include "refs.h"
#include "strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const gt_entity_type gt_formula_type = { "formula", "refs/gastown/formulas/", NULL, 1 };
const gt_entity_type gt_proto_type = { "proto", "refs/gastown/protos/", NULL, 1 };

/* A value as read, with the line of its key (0: not given). */
struct fval {
	char *s;
	int line;
	int bare;   /* the key line had no value: a continuation starts it */
};

typedef struct gt_formula_var {
	char *name;
	int line;
	struct fval description, def, required, allowed, pattern;
	int is_required;
	gt_strlist allowed_values;
	regex_t re;
	int have_re;
} gt_formula_var;

typedef struct gt_formula_step {
	char *id;
	int line;
	struct fval title, description, needs, type, priority, labels, assignee, acceptance;
	gt_strlist need_ids, label_list;
	int prio;
} gt_formula_step;

struct gt_formula {
	char *origin;
	int line;               /* of [formula]; 0 when there is none */
	struct fval name, description, version, type;
	long version_n;
	gt_formula_var *vars;
	size_t nvars;
	gt_formula_step *steps;
	size_t nsteps;
};

static void problem(gt_strlist *problems, const char *origin, int line,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(gt_strlist *problems, const char *origin, int line,
		    const char *fmt, ...)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	va_list ap;
	if (line > 0)
		gt_strbuf_addf(&sb, "%s:%d: ", origin, line);
	else
		gt_strbuf_addf(&sb, "%s: ", origin);
	va_start(ap, fmt);
	gt_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	gt_strlist_push(problems, sb.buf);
	gt_strbuf_release(&sb);
}

/* GT_EINVALID with the first new problem (from index first) as message. */
static int fail_from(const gt_strlist *problems, size_t first)
{
	if (problems->nr <= first)
		return 0;
	if (problems->nr == first + 1)
		return gt_error_set(GT_EINVALID, "%s", problems->items[first]);
	return gt_error_set(GT_EINVALID, "%s (and %zu more problems)",
			    problems->items[first], problems->nr - first - 1);
}

static void fval_free(struct fval *v)
{
	free(v->s);
	v->s = NULL;
}

void gt_formula_free(gt_formula *f)
{
	if (!f)
		return;
	free(f->origin);
	fval_free(&f->name);
	fval_free(&f->description);
	fval_free(&f->version);
	fval_free(&f->type);
	for (size_t i = 0; i < f->nvars; i++) {
		gt_formula_var *v = &f->vars[i];
		free(v->name);
		fval_free(&v->description);
		fval_free(&v->def);
		fval_free(&v->required);
		fval_free(&v->allowed);
		fval_free(&v->pattern);
		gt_strlist_clear(&v->allowed_values);
		if (v->have_re)
			regfree(&v->re);
	}
	free(f->vars);
	for (size_t i = 0; i < f->nsteps; i++) {
		gt_formula_step *s = &f->steps[i];
		free(s->id);
		fval_free(&s->title);
		fval_free(&s->description);
		fval_free(&s->needs);
		fval_free(&s->type);
		fval_free(&s->priority);
		fval_free(&s->labels);
		fval_free(&s->assignee);
		fval_free(&s->acceptance);
		gt_strlist_clear(&s->need_ids);
		gt_strlist_clear(&s->label_list);
	}
	free(f->steps);
	free(f);
}

const char *gt_formula_name(const gt_formula *f)
{
	return f->name.s ? f->name.s : "";
}

const char *gt_formula_origin(const gt_formula *f)
{
	return f->origin;
}

/* --- names ---------------------------------------------------------------- */

/* [A-Za-z0-9][A-Za-z0-9_-]* plus extra characters, at most max bytes. */
static int word_valid(const char *s, const char *extra, size_t max)
{
	if (!s || !isalnum((unsigned char)*s) || strlen(s) > max)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    !(extra && strchr(extra, *s)))
			return 0;
	return 1;
}

static int formula_name_valid(const char *s)
{
	return word_valid(s, ".", 100) && !strstr(s, "..") &&
	       s[strlen(s) - 1] != '.';
}

static int var_name_valid(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_') || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* --- reading: inih with a reader that counts lines ---------------------- */

enum section { SEC_NONE, SEC_FORMULA, SEC_VAR, SEC_STEP, SEC_BAD };

struct parse_ctx {
	gt_formula *f;
	gt_strlist *problems;
	const char *text;
	size_t pos, len;
	int line;
	int cont;               /* the line being read continues the last entry */
	int have_entry;         /* this section has had an entry (inih's prev_name) */
	enum section sec;
	struct fval *last;      /* the value the last entry set */
	const char *last_key;
};

#define P(ctx, ...) problem((ctx)->problems, (ctx)->f->origin, (ctx)->line, __VA_ARGS__)

/* "[formula]", "[var "<name>"]", "[step "<id>"]": start that section. */
static void begin_section(struct parse_ctx *ctx, const char *s, size_t len)
{
	gt_formula *f = ctx->f;
	char *text = gt_xstrndup(s, len), *word = text, *arg = NULL, *p;

	ctx->sec = SEC_BAD;
	ctx->have_entry = 0;
	ctx->last = NULL;
	while (isspace((unsigned char)*word))
		word++;
	for (p = word; *p && !isspace((unsigned char)*p); p++)
		;
	if (*p) {
		*p++ = '\0';
		while (isspace((unsigned char)*p))
			p++;
		arg = p;
		size_t alen = strlen(arg);
		while (alen && isspace((unsigned char)arg[alen - 1]))
			arg[--alen] = '\0';
		if (alen < 2 || arg[0] != '"' || arg[alen - 1] != '"') {
			P(ctx, "bad section [%.*s]: write the name in double quotes, [%s \"<name>\"]",
			  (int)len, s, word);
			goto out;
		}
		arg[alen - 1] = '\0';
		arg++;
	}
	if (!strcmp(word, "formula") && !arg) {
		if (f->line) {
			P(ctx, "duplicate [formula] section (first at line %d)", f->line);
			goto out;
		}
		f->line = ctx->line;
		ctx->sec = SEC_FORMULA;
	} else if (!strcmp(word, "var") && arg) {
		if (!var_name_valid(arg)) {
			P(ctx, "invalid variable name '%s' (a letter or '_', then letters, digits, '_')", arg);
			goto out;
		}
		for (size_t i = 0; i < f->nvars; i++)
			if (!strcmp(f->vars[i].name, arg)) {
				P(ctx, "duplicate variable '%s' (first at line %d)", arg, f->vars[i].line);
				goto out;
			}
		f->vars = gt_xrealloc(f->vars, (f->nvars + 1) * sizeof(*f->vars));
		memset(&f->vars[f->nvars], 0, sizeof(*f->vars));
		f->vars[f->nvars].name = gt_xstrdup(arg);
		f->vars[f->nvars].line = ctx->line;
		f->nvars++;
		ctx->sec = SEC_VAR;
	} else if (!strcmp(word, "step") && arg) {
		if (!word_valid(arg, NULL, 64)) {
			P(ctx, "invalid step id '%s' (letters, digits, '_', '-')", arg);
			goto out;
		}
		for (size_t i = 0; i < f->nsteps; i++)
			if (!strcmp(f->steps[i].id, arg)) {
				P(ctx, "duplicate step '%s' (first at line %d)", arg, f->steps[i].line);
				goto out;
			}
		f->steps = gt_xrealloc(f->steps, (f->nsteps + 1) * sizeof(*f->steps));
		memset(&f->steps[f->nsteps], 0, sizeof(*f->steps));
		f->steps[f->nsteps].id = gt_xstrdup(arg);
		f->steps[f->nsteps].line = ctx->line;
		f->steps[f->nsteps].prio = -1;
		f->nsteps++;
		ctx->sec = SEC_STEP;
	} else {
		P(ctx, "unknown section [%.*s] (sections: [formula], [var \"<name>\"], [step \"<id>\"])",
		  (int)len, s);
	}
out:
	free(text);
}

/*
 * inih's reader: hands inih one line at a time, so that ctx->line is the
 * line inih is working on when it calls the handler, and looks at each
 * line first as inih will (a section header starts a section here, even
 * an empty one; a line inih cannot parse is a problem here, every one
 * of them, where inih would report only the first).
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *start, *nl, *s;
	size_t linelen, max = (size_t)num - 2;

	if (ctx->pos >= ctx->len)
		return NULL;
	start = ctx->text + ctx->pos;
	nl = memchr(start, '\n', ctx->len - ctx->pos);
	linelen = nl ? (size_t)(nl - start) : ctx->len - ctx->pos;
	ctx->pos += linelen + (nl ? 1 : 0);
	ctx->line++;
	ctx->cont = 0;
	if (memchr(start, '\0', linelen)) {
		P(ctx, "NUL byte in the line");
		strcpy(str, "\n");
		return str;
	}
	if (linelen > max) {
		P(ctx, "line is longer than %zu bytes: split the value over indented lines "
		  "(a piece ending in '\\' joins the next without a newline)", max);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, start, linelen);
	str[linelen] = '\n';
	str[linelen + 1] = '\0';

	for (s = str; *s != '\n' && isspace((unsigned char)*s); s++)
		;
	if (*s == '\n' || *s == ';' || *s == '#')
		return str; /* blank or comment: inih skips it */
	if (ctx->have_entry && s > str) {
		ctx->cont = 1;  /* inih continues the last entry's value */
		return str;
	}
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end) {
			P(ctx, "'[' without ']': a section is [formula], [var \"<name>\"] or [step \"<id>\"]");
			ctx->sec = SEC_BAD;
			ctx->have_entry = 0;
			return str;
		}
		begin_section(ctx, s + 1, (size_t)(end - s - 1));
		return str;
	}
	const char *eq = strpbrk(s, "=:");
	if (!eq) {
		P(ctx, "expected 'key = value', a [section] or a comment");
		return str;
	}
	if (eq == s) {
		P(ctx, "a key is missing before '%c'", *eq);
		return str;
	}
	ctx->have_entry = 1;
	return str;
}

/* Add one piece of a value: '|' protects what follows; "\" at the end joins. */
static void add_piece(struct fval *v, const char *piece, int first)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	int bare = first && !*piece;
	if (*piece == '|')
		piece++;
	if (!first && v->bare) {
		v->bare = 0; /* "key =" then indented lines: the value starts below */
	} else if (!first && v->s) {
		size_t n = strlen(v->s);
		gt_strbuf_add(&sb, v->s, n);
		if (n && sb.buf[n - 1] == '\\')
			gt_strbuf_setlen(&sb, n - 1);
		else
			gt_strbuf_addch(&sb, '\n');
	}
	gt_strbuf_adds(&sb, piece);
	free(v->s);
	v->s = gt_strbuf_detach(&sb);
	if (first)
		v->bare = bare;
}

struct key {
	const char *name;
	size_t offset;    /* of the struct fval */
	int multiline;
};

#define FK(n, ml) { #n, offsetof(gt_formula, n), ml }
#define VK(n, f, ml) { n, offsetof(gt_formula_var, f), ml }
#define SK(n, ml) { #n, offsetof(gt_formula_step, n), ml }

static const struct key formula_keys[] = {
	FK(name, 0), FK(description, 1), FK(version, 0), FK(type, 0), { NULL, 0, 0 }
};
static const struct key var_keys[] = {
	VK("description", description, 1), VK("default", def, 0), VK("required", required, 0),
	VK("allowed", allowed, 0), VK("pattern", pattern, 0), { NULL, 0, 0 }
};
static const struct key step_keys[] = {
	SK(title, 0), SK(description, 1), SK(needs, 0), SK(type, 0), SK(priority, 0),
	SK(labels, 0), SK(assignee, 0), SK(acceptance, 1), { NULL, 0, 0 }
};

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct parse_ctx *ctx = user;
	const struct key *keys;
	void *base;
	(void)section;

	if (!name)
		return 1;
	if (ctx->cont) {
		if (!ctx->last)
			return 1;   /* the entry it continues was bad: reported */
		if (!ctx->last_key) {
			P(ctx, "an indented line continues the value before it, which takes one line: do not indent '%s'",
			  value);
			return 1;
		}
		add_piece(ctx->last, value ? value : "", 0);
		return 1;
	}
	ctx->last = NULL;
	switch (ctx->sec) {
	case SEC_NONE:
		P(ctx, "'%s' is outside a section: start with [formula]", name);
		return 1;
	case SEC_BAD:
		return 1;
	case SEC_FORMULA:
		keys = formula_keys;
		base = ctx->f;
		break;
	case SEC_VAR:
		keys = var_keys;
		base = &ctx->f->vars[ctx->f->nvars - 1];
		break;
	default:
		keys = step_keys;
		base = &ctx->f->steps[ctx->f->nsteps - 1];
		break;
	}
	for (const struct key *k = keys; k->name; k++) {
		if (strcmp(k->name, name))
			continue;
		struct fval *v = (struct fval *)((char *)base + k->offset);
		if (v->line) {
			P(ctx, "duplicate key '%s' (first at line %d)", name, v->line);
			return 1;
		}
		v->line = ctx->line;
		add_piece(v, value ? value : "", 1);
		ctx->last = v;
		ctx->last_key = k->multiline ? k->name : NULL;
		return 1;
	}
	gt_strbuf known = GT_STRBUF_INIT;
	for (const struct key *k = keys; k->name; k++)
		gt_strbuf_addf(&known, "%s%s", k == keys ? "" : ", ", k->name);
	P(ctx, "unknown key '%s' in [%s] (keys: %s)", name,
	  ctx->sec == SEC_FORMULA ? "formula" : ctx->sec == SEC_VAR ? "var" : "step", known.buf);
	gt_strbuf_release(&known);
	return 1;
}

/* Split a list value on commas (and, for ids, on blanks); empty pieces dropped. */
static void split_list(gt_strlist *out, const char *s, int blanks)
{
	const char *p = s;
	while (p && *p) {
		size_t n = blanks ? strcspn(p, ", \t") : strcspn(p, ",");
		const char *b = p, *e = p + n;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e > b) {
			char *item = gt_xstrndup(b, (size_t)(e - b));
			int dup = 0;
			for (size_t i = 0; i < out->nr; i++)
				dup |= !strcmp(out->items[i], item);
			if (!dup)
				gt_strlist_push(out, item);
			free(item);
		}
		p += n;
		if (*p)
			p++;
	}
}

static int parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	return -1;
}

/* Convert the values read as text: numbers, booleans, lists, patterns. */
static void convert_values(gt_formula *f, gt_strlist *problems)
{
	const char *o = f->origin;
	if (f->name.line && !formula_name_valid(f->name.s))
		problem(problems, o, f->name.line,
			"invalid formula name '%s' (letters, digits, '.', '_', '-')", f->name.s);
	if (f->version.line) {
		char *end;
		errno = 0;
		f->version_n = strtol(f->version.s, &end, 10);
		if (!*f->version.s || *end || errno || f->version_n < 0)
			problem(problems, o, f->version.line,
				"version must be a non-negative integer, not '%s'", f->version.s);
	}
	if (f->type.line && !word_valid(f->type.s, NULL, 64))
		problem(problems, o, f->type.line, "type must be one word, not '%s'", f->type.s);
	for (size_t i = 0; i < f->nvars; i++) {
		gt_formula_var *v = &f->vars[i];
		if (v->required.line && parse_bool(&v->is_required, v->required.s) < 0)
			problem(problems, o, v->required.line,
				"required must be true or false, not '%s'", v->required.s);
		if (v->allowed.line) {
			split_list(&v->allowed_values, v->allowed.s, 0);
			if (!v->allowed_values.nr)
				problem(problems, o, v->allowed.line, "allowed lists no value");
		}
		if (v->pattern.line) {
			gt_strbuf re = GT_STRBUF_INIT;
			int rc;
			gt_strbuf_addf(&re, "^(%s)$", v->pattern.s);
			rc = regcomp(&v->re, re.buf, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				char msg[128];
				regerror(rc, &v->re, msg, sizeof(msg));
				problem(problems, o, v->pattern.line,
					"invalid pattern '%s': %s (POSIX extended regular expression)",
					v->pattern.s, msg);
			} else {
				v->have_re = 1;
			}
			gt_strbuf_release(&re);
		}
	}
	for (size_t i = 0; i < f->nsteps; i++) {
		gt_formula_step *s = &f->steps[i];
		if (s->title.line && !*s->title.s)
			problem(problems, o, s->title.line, "empty title in step '%s'", s->id);
		if (s->needs.line)
			split_list(&s->need_ids, s->needs.s, 1);
		if (s->labels.line)
			split_list(&s->label_list, s->labels.s, 0);
		if (s->type.line && !word_valid(s->type.s, NULL, 64))
			problem(problems, o, s->type.line, "type must be one word, not '%s'", s->type.s);
		if (s->priority.line) {
			const char *p = s->priority.s;
			if ((p[0] == 'P' || p[0] == 'p') && p[1])
				p++;
			if (p[0] >= '0' && p[0] <= '4' && !p[1])
				s->prio = p[0] - '0';
			else
				problem(problems, o, s->priority.line,
					"priority must be 0-4 or P0-P4, not '%s'", s->priority.s);
		}
	}
}

int gt_formula_parse(gt_formula **out, gt_strlist *problems, const char *origin,
		     const char *text)
{
	gt_formula *f = gt_xcalloc(1, sizeof(*f));
	struct parse_ctx ctx;
	size_t first = problems->nr;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	f->origin = gt_xstrdup(origin);
	ctx.f = f;
	ctx.problems = problems;
	ctx.text = text;
	ctx.len = strlen(text);
	r = ini_parse_stream(reader, &ctx, on_entry, &ctx);
	if (r > 0 && problems->nr == first)
		problem(problems, origin, r, "malformed line");  /* inih saw more than we did */
	else if (r < 0)
		problem(problems, origin, 0, "cannot parse (inih error %d)", r);
	convert_values(f, problems);
	*out = f;
	return fail_from(problems, first);
}

/* --- checking ------------------------------------------------------------- */

static const gt_formula_var *find_var(const gt_formula *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->nvars; i++)
		if (strlen(f->vars[i].name) == len && !strncmp(f->vars[i].name, name, len))
			return &f->vars[i];
	return NULL;
}

static long find_step(const gt_formula *f, const char *id)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (!strcmp(f->steps[i].id, id))
			return (long)i;
	return -1;
}

/*
 * Call fn for every {{name}} in s: name is [A-Za-z_][A-Za-z0-9_]*,
 * with optional blanks inside the braces.
 */
static void foreach_ref(const char *s, void (*fn)(const char *name, size_t len,
						   const char *start, const char *end,
						   void *payload),
			void *payload)
{
	for (const char *p = s ? strstr(s, "{{") : NULL; p; p = strstr(p, "{{")) {
		const char *n = p + 2, *e;
		while (*n == ' ')
			n++;
		e = n;
		if (isalpha((unsigned char)*e) || *e == '_')
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
		const char *close = e;
		while (*close == ' ')
			close++;
		if (e > n && close[0] == '}' && close[1] == '}') {
			fn(n, (size_t)(e - n), p, close + 2, payload);
			p = close + 2;
		} else {
			p++; /* "{{{a}}}" holds the reference "{{a}}" */
		}
	}
}

struct undeclared_ctx {
	const gt_formula *f;
	gt_strlist *problems;
	int line;
	const char *where;
	gt_strlist seen;
};

static void check_ref(const char *name, size_t len, const char *start, const char *end,
		      void *payload)
{
	struct undeclared_ctx *c = payload;
	(void)start;
	(void)end;
	if (find_var(c->f, name, len))
		return;
	char *n = gt_xstrndup(name, len);
	for (size_t i = 0; i < c->seen.nr; i++)
		if (!strcmp(c->seen.items[i], n)) {
			free(n);
			return;
		}
	gt_strlist_push(&c->seen, n);
	problem(c->problems, c->f->origin, c->line,
		"%s uses {{%s}}, which is not declared: add a [var \"%s\"] section",
		c->where, n, n);
	free(n);
}

static void check_text(struct undeclared_ctx *c, const struct fval *v, const char *where)
{
	if (!v->s)
		return;
	c->line = v->line;
	c->where = where;
	foreach_ref(v->s, check_ref, c);
}

/* Depth-first search for cycles; state: 0 new, 1 on the stack, 2 done. */
static void find_cycles(const gt_formula *f, size_t i, unsigned char *state,
			size_t *stack, size_t depth, gt_strlist *problems)
{
	const gt_formula_step *s = &f->steps[i];
	state[i] = 1;
	stack[depth] = i;
	for (size_t k = 0; k < s->need_ids.nr; k++) {
		long j = find_step(f, s->need_ids.items[k]);
		if (j < 0 || (size_t)j == i)
			continue;  /* reported apart */
		if (state[j] == 1) {
			gt_strbuf path = GT_STRBUF_INIT;
			size_t from = depth;
			while (stack[from] != (size_t)j)
				from--;
			for (size_t m = from; m <= depth; m++)
				gt_strbuf_addf(&path, "%s -> ", f->steps[stack[m]].id);
			gt_strbuf_adds(&path, f->steps[j].id);
			problem(problems, f->origin,
				f->steps[j].needs.line ? f->steps[j].needs.line : f->steps[j].line,
				"dependency cycle: %s (each step needs the next)", path.buf);
			gt_strbuf_release(&path);
		} else if (state[j] == 0) {
			find_cycles(f, (size_t)j, state, stack, depth + 1, problems);
		}
	}
	state[i] = 2;
}

static int value_allowed(const gt_formula_var *v, const char *value, gt_strlist *problems,
			 const char *origin, int line)
{
	if (v->allowed_values.nr) {
		int ok = 0;
		for (size_t i = 0; i < v->allowed_values.nr; i++)
			ok |= !strcmp(v->allowed_values.items[i], value);
		if (!ok) {
			gt_strbuf list = GT_STRBUF_INIT;
			for (size_t i = 0; i < v->allowed_values.nr; i++)
				gt_strbuf_addf(&list, "%s%s", i ? ", " : "", v->allowed_values.items[i]);
			problem(problems, origin, line, "variable '%s' is '%s', not one of: %s",
				v->name, value, list.buf);
			gt_strbuf_release(&list);
			return 0;
		}
	}
	if (v->have_re && regexec(&v->re, value, 0, NULL, 0)) {
		problem(problems, origin, line,
			"variable '%s' is '%s', which does not match its pattern '%s'",
			v->name, value, v->pattern.s);
		return 0;
	}
	return 1;
}

int gt_formula_check(const gt_formula *f, gt_strlist *problems)
{
	size_t first = problems->nr;
	struct undeclared_ctx uc = { f, problems, 0, NULL, GT_STRLIST_INIT };

	if (!f->name.s || !*f->name.s)
		problem(problems, f->origin, f->line,
			f->line ? "the formula has no name: add 'name = <name>' to [formula]"
				: "no [formula] section: start the file with [formula] and 'name = <name>'");
	if (!f->nsteps)
		problem(problems, f->origin, 0, "the formula has no steps: add a [step \"<id>\"] section");
	check_text(&uc, &f->description, "the formula's description");
	for (size_t i = 0; i < f->nsteps; i++) {
		const gt_formula_step *s = &f->steps[i];
		gt_strbuf where = GT_STRBUF_INIT;
		gt_strbuf_addf(&where, "step '%s'", s->id);
		gt_strlist_clear(&uc.seen);
		check_text(&uc, &s->title, where.buf);
		check_text(&uc, &s->description, where.buf);
		check_text(&uc, &s->assignee, where.buf);
		check_text(&uc, &s->labels, where.buf);
		check_text(&uc, &s->acceptance, where.buf);
		gt_strbuf_release(&where);
		for (size_t k = 0; k < s->need_ids.nr; k++) {
			const char *n = s->need_ids.items[k];
			if (!strcmp(n, s->id))
				problem(problems, f->origin, s->needs.line, "step '%s' needs itself", s->id);
			else if (find_step(f, n) < 0)
				problem(problems, f->origin, s->needs.line,
					"step '%s' needs '%s', which is not a step of this formula",
					s->id, n);
		}
	}
	gt_strlist_clear(&uc.seen);
	if (f->nsteps) {
		unsigned char *state = gt_xcalloc(f->nsteps, 1);
		size_t *stack = gt_xcalloc(f->nsteps, sizeof(*stack));
		for (size_t i = 0; i < f->nsteps; i++)
			if (!state[i])
				find_cycles(f, i, state, stack, 0, problems);
		free(state);
		free(stack);
	}
	for (size_t i = 0; i < f->nvars; i++) {
		const gt_formula_var *v = &f->vars[i];
		if (v->def.line)
			value_allowed(v, v->def.s, problems, f->origin, v->def.line);
	}
	return fail_from(problems, first);
}

int gt_formula_resolve(cJSON **out, const gt_formula *f, const gt_strlist *vars,
		       gt_strlist *problems)
{
	size_t first = problems->nr;
	cJSON *values = cJSON_CreateObject();

	for (size_t i = 0; vars && i < vars->nr; i++) {
		const char *kv = vars->items[i], *eq = strchr(kv, '=');
		const gt_formula_var *v;
		if (!eq || eq == kv) {
			problem(problems, "--var", 0, "'%s' is not <name>=<value>", kv);
			continue;
		}
		if (!(v = find_var(f, kv, (size_t)(eq - kv)))) {
			problem(problems, "--var", 0, "formula '%s' has no variable '%.*s'",
				gt_formula_name(f), (int)(eq - kv), kv);
			continue;
		}
		gt_json_put_str(values, v->name, eq + 1); /* the last one given wins */
	}
	for (size_t i = 0; i < f->nvars; i++) {
		const gt_formula_var *v = &f->vars[i];
		const char *given = gt_json_str(values, v->name);
		if (given) {
			value_allowed(v, given, problems, "--var", 0);
		} else if (v->def.line) {
			gt_json_put_str(values, v->name, v->def.s);
		} else if (v->is_required) {
			problem(problems, f->origin, v->line,
				"variable '%s' is required and has no value: give --var %s=<value>",
				v->name, v->name);
		} else {
			gt_json_put_str(values, v->name, "");
		}
	}
	if (out)
		*out = values;
	else
		cJSON_Delete(values);
	return fail_from(problems, first);
}

/* --- substitution and JSON ------------------------------------------------ */

struct expand_ctx {
	const cJSON *vars;
	gt_strbuf *out;
	const char *done;   /* copied up to here */
};

static void expand_ref(const char *name, size_t len, const char *start, const char *end,
		       void *payload)
{
	struct expand_ctx *c = payload;
	char *n = gt_xstrndup(name, len);
	const char *value = gt_json_str(c->vars, n);
	free(n);
	if (!value)
		return;
	gt_strbuf_add(c->out, c->done, (size_t)(start - c->done));
	gt_strbuf_adds(c->out, value);
	c->done = end;
}

char *gt_formula_expand(const char *s, const cJSON *vars)
{
	gt_strbuf out = GT_STRBUF_INIT;
	struct expand_ctx c = { vars, &out, s };
	foreach_ref(s, expand_ref, &c);
	gt_strbuf_adds(&out, c.done);
	return gt_strbuf_detach(&out);
}

static void put_text(cJSON *obj, const char *key, const struct fval *v, const cJSON *vars)
{
	if (!v->s)
		return;
	if (vars) {
		char *s = gt_formula_expand(v->s, vars);
		gt_json_put_str(obj, key, s);
		free(s);
	} else {
		gt_json_put_str(obj, key, v->s);
	}
}

static cJSON *list_json(const gt_strlist *l, const cJSON *vars)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < l->nr; i++) {
		char *s = vars ? gt_formula_expand(l->items[i], vars) : gt_xstrdup(l->items[i]);
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
		free(s);
	}
	return a;
}

/* The steps as JSON; with vars, substituted. */
static cJSON *steps_json(const gt_formula *f, const cJSON *vars)
{
	cJSON *steps = cJSON_CreateArray();
	for (size_t i = 0; i < f->nsteps; i++) {
		const gt_formula_step *s = &f->steps[i];
		cJSON *o = cJSON_CreateObject();
		gt_json_put_str(o, "id", s->id);
		if (s->title.s)
			put_text(o, "title", &s->title, vars);
		else
			gt_json_put_str(o, "title", s->id);
		put_text(o, "description", &s->description, vars);
		cJSON_AddItemToObject(o, "needs", list_json(&s->need_ids, NULL));
		put_text(o, "type", &s->type, NULL);
		if (s->prio >= 0)
			cJSON_AddNumberToObject(o, "priority", s->prio);
		if (s->labels.line)
			cJSON_AddItemToObject(o, "labels", list_json(&s->label_list, vars));
		put_text(o, "assignee", &s->assignee, vars);
		put_text(o, "acceptance", &s->acceptance, vars);
		cJSON_AddItemToArray(steps, o);
	}
	return steps;
}

cJSON *gt_formula_to_json(const gt_formula *f)
{
	cJSON *o = cJSON_CreateObject(), *vars = cJSON_CreateArray();
	gt_json_put_str(o, "name", gt_formula_name(f));
	gt_json_put_str(o, "description", f->description.s ? f->description.s : "");
	cJSON_AddNumberToObject(o, "version", (double)f->version_n);
	gt_json_put_str(o, "type", f->type.s ? f->type.s : "");
	gt_json_put_str(o, "source", f->origin);
	for (size_t i = 0; i < f->nvars; i++) {
		const gt_formula_var *v = &f->vars[i];
		cJSON *j = cJSON_CreateObject();
		gt_json_put_str(j, "name", v->name);
		gt_json_put_str(j, "description", v->description.s ? v->description.s : "");
		if (v->def.line)
			gt_json_put_str(j, "default", v->def.s);
		else
			cJSON_AddNullToObject(j, "default");
		cJSON_AddBoolToObject(j, "required", v->is_required);
		cJSON_AddItemToObject(j, "allowed", list_json(&v->allowed_values, NULL));
		if (v->pattern.line)
			gt_json_put_str(j, "pattern", v->pattern.s);
		else
			cJSON_AddNullToObject(j, "pattern");
		cJSON_AddItemToArray(vars, j);
	}
	cJSON_AddItemToObject(o, "vars", vars);
	cJSON_AddItemToObject(o, "steps", steps_json(f, NULL));
	return o;
}

int gt_formula_cook(cJSON **out, const gt_formula *f, const gt_strlist *vars,
		    gt_strlist *problems)
{
	size_t first = problems->nr;
	cJSON *values = NULL, *p;

	*out = NULL;
	gt_formula_check(f, problems);
	gt_formula_resolve(&values, f, vars, problems);
	if (problems->nr > first) {
		cJSON_Delete(values);
		return fail_from(problems, first);
	}
	p = cJSON_CreateObject();
	gt_json_put_str(p, "formula", gt_formula_name(f));
	cJSON_AddNumberToObject(p, "version", (double)f->version_n);
	gt_json_put_str(p, "type", f->type.s ? f->type.s : "workflow");
	{
		struct fval d = f->description;
		if (d.s)
			put_text(p, "description", &d, values);
		else
			gt_json_put_str(p, "description", "");
	}
	gt_json_put_str(p, "source", f->origin);
	cJSON_AddItemToObject(p, "vars", values);
	cJSON_AddItemToObject(p, "steps", steps_json(f, values));
	*out = p;
	return 0;
}

/* --- the search path -------------------------------------------------------- */

const char *gt_formula_place_name(gt_formula_place p)
{
	static const char *const names[] = { "repo", "user", "ledger", "path" };
	return names[p];
}

char *gt_formula_dir(gt_repo *repo, gt_formula_place place)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	if (place == GT_FORMULA_REPO) {
		const char *wd = git_repository_workdir(gt_repo_git(repo));
		if (!wd)
			return NULL;
		gt_strbuf_addf(&sb, "%s.gastown/formulas", wd);
	} else if (place == GT_FORMULA_USER) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		if (xdg && *xdg)
			gt_strbuf_addf(&sb, "%s/gastown/formulas", xdg);
		else if (home && *home)
			gt_strbuf_addf(&sb, "%s/.config/gastown/formulas", home);
		else
			return NULL;
	} else {
		return NULL;
	}
	return gt_strbuf_detach(&sb);
}

static int read_ledger_text(char **out, gt_repo *repo, const char *name)
{
	gt_entity *e = NULL;
	int r = gt_entity_read(&e, repo, &gt_formula_type, name);
	if (r < 0)
		return r;
	const char *text = gt_json_str(e->snapshot, "text");
	if (!text)
		r = gt_error_set(GT_ECORRUPT, "%s%s has no text", gt_formula_type.ref_prefix, name);
	else
		*out = gt_xstrdup(text);
	gt_entity_free(e);
	return r;
}

int gt_formula_load(gt_formula **out, char **text_out, gt_formula_place *place_out,
		    gt_repo *repo, const char *name, gt_strlist *problems)
{
	gt_strbuf text = GT_STRBUF_INIT, looked = GT_STRBUF_INIT, origin = GT_STRBUF_INIT;
	gt_formula_place place = GT_FORMULA_PATH;
	size_t n = strlen(name);
	int r, found = 0;

	*out = NULL;
	if (strchr(name, '/') || (n > 4 && !strcmp(name + n - 4, ".ini"))) {
		if (gt_strbuf_read_file(&text, name) < 0) {
			r = errno == ENOENT ? gt_error_set(GT_ENOTFOUND, "no formula file %s", name)
					    : gt_error_errno("cannot read %s", name);
			goto out;
		}
		gt_strbuf_adds(&origin, name);
		found = 1;
	} else if (!formula_name_valid(name)) {
		r = gt_error_set(GT_EINVALID,
				 "invalid formula name '%s' (letters, digits, '.', '_', '-'; or a path)",
				 name);
		goto out;
	}
	for (int p = GT_FORMULA_REPO; !found && p <= GT_FORMULA_USER; p++) {
		char *dir = gt_formula_dir(repo, (gt_formula_place)p);
		if (!dir)
			continue;
		gt_strbuf_reset(&origin);
		gt_strbuf_addf(&origin, "%s/%s%s", dir, name, GT_FORMULA_SUFFIX);
		gt_strbuf_addf(&looked, "%s/, ", dir);
		free(dir);
		if (gt_strbuf_read_file(&text, origin.buf) == 0) {
			place = (gt_formula_place)p;
			found = 1;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			r = gt_error_errno("cannot read %s", origin.buf);
			goto out;
		}
	}
	if (!found) {
		char *t = NULL;
		r = read_ledger_text(&t, repo, name);
		if (r == GT_ENOTFOUND) {
			r = gt_error_set(GT_ENOTFOUND, "no formula '%s' (looked in %s%s)", name,
					 looked.buf, gt_formula_type.ref_prefix);
			goto out;
		}
		if (r < 0)
			goto out;
		gt_strbuf_adds(&text, t);
		free(t);
		gt_strbuf_reset(&origin);
		gt_strbuf_addf(&origin, "%s%s", gt_formula_type.ref_prefix, name);
		place = GT_FORMULA_LEDGER;
	}
	r = gt_formula_parse(out, problems, origin.buf, text.buf);
	if (place_out)
		*place_out = place;
	if (text_out)
		*text_out = gt_strbuf_detach(&text);
out:
	gt_strbuf_release(&text);
	gt_strbuf_release(&looked);
	gt_strbuf_release(&origin);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_entry(gt_formula_entry **v, size_t *n, const char *name, const char *origin,
		      gt_formula_place place)
{
	int shadowed = 0;
	for (size_t i = 0; i < *n; i++)
		shadowed |= !strcmp((*v)[i].name, name);
	*v = gt_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (gt_formula_entry){ gt_xstrdup(name), gt_xstrdup(origin), place, shadowed };
	(*n)++;
}

static int add_ledger_entry(const char *refname, const char *id, const git_oid *tip,
			    void *payload)
{
	void **pp = payload;
	(void)tip;
	add_entry(pp[0], pp[1], id, refname, GT_FORMULA_LEDGER);
	return 0;
}

int gt_formula_list(gt_formula_entry **out, size_t *n, gt_repo *repo)
{
	*out = NULL;
	*n = 0;
	for (int p = GT_FORMULA_REPO; p <= GT_FORMULA_USER; p++) {
		char *dir = gt_formula_dir(repo, (gt_formula_place)p);
		DIR *d = dir ? opendir(dir) : NULL;
		gt_strlist names = GT_STRLIST_INIT;
		struct dirent *de;
		size_t sl = strlen(GT_FORMULA_SUFFIX);
		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len > sl && !strcmp(de->d_name + len - sl, GT_FORMULA_SUFFIX) &&
			    de->d_name[0] != '.')
				gt_strlist_push(&names, de->d_name);
		}
		if (d)
			closedir(d);
		if (names.nr)
			qsort(names.items, names.nr, sizeof(*names.items), cmp_str);
		for (size_t i = 0; i < names.nr; i++) {
			gt_strbuf path = GT_STRBUF_INIT;
			char *name = gt_xstrndup(names.items[i], strlen(names.items[i]) - sl);
			gt_strbuf_addf(&path, "%s/%s", dir, names.items[i]);
			add_entry(out, n, name, path.buf, (gt_formula_place)p);
			free(name);
			gt_strbuf_release(&path);
		}
		gt_strlist_clear(&names);
		free(dir);
	}
	void *pp[2] = { out, n };
	return gt_entity_foreach_ref(repo, &gt_formula_type, add_ledger_entry, pp);
}

void gt_formula_entries_free(gt_formula_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].origin);
	}
	free(v);
}

/* --- ledger entities -------------------------------------------------------- */

struct publish_ctx {
	const char *name, *text;
};

static int build_publish(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	struct publish_ctx *c = payload;
	const char *old = gt_json_str(current, "text");
	(void)id;
	if (old && !strcmp(old, c->text)) {
		*op_out = NULL;
		return 0;
	}
	cJSON *op = gt_op_new("formula.publish");
	if (!current)
		gt_op_set_str(op, "name", c->name);
	gt_op_set_str(op, "text", c->text);
	*op_out = op;
	return 0;
}

int gt_formula_publish(int *changed, gt_repo *repo, const char *text, const char *origin,
		       gt_strlist *problems)
{
	gt_formula *f = NULL;
	size_t first = problems->nr;
	int r;

	gt_formula_parse(&f, problems, origin, text);
	gt_formula_check(f, problems);
	if ((r = fail_from(problems, first)) < 0)
		goto out;
	struct publish_ctx c = { gt_formula_name(f), text };
	gt_entity_write w = { &gt_formula_type, c.name, GT_WRITE_UPSERT, build_publish, &c,
			      0, { { 0 } }, 0 };
	if ((r = gt_entity_write_one(repo, &w)) == 0 && changed)
		*changed = w.changed;
out:
	gt_formula_free(f);
	return r;
}

static int build_proto(cJSON **op_out, const cJSON *current, const char *id, void *payload)
{
	const cJSON *proto = payload;
	char now[32];
	(void)id;
	if (current) {
		*op_out = NULL; /* the id is the content: nothing to change */
		return 0;
	}
	cJSON *op = gt_op_new("proto.cook");
	for (const cJSON *m = proto->child; m; m = m->next)
		gt_op_set(op, m->string, cJSON_Duplicate(m, 1));
	gt_format_time(now, sizeof(now), gt_now_ms());
	gt_op_set_str(op, "cooked_at", now);
	*op_out = op;
	return 0;
}

int gt_proto_store(char **id_out, gt_repo *repo, cJSON *proto)
{
	char *text = gt_json_print(proto), hex[GIT_OID_HEXSZ + 1];
	gt_strbuf id = GT_STRBUF_INIT;
	git_oid h;
	int r;

	git_odb_hash(&h, text, strlen(text), GIT_OBJECT_BLOB);
	free(text);
	gt_strbuf_addf(&id, "%s-%.8s", gt_json_str(proto, "formula"),
		       git_oid_tostr(hex, sizeof(hex), &h));
	gt_json_put_str(proto, "id", id.buf);
	gt_json_put_str(proto, "cooked_by", gt_repo_actor(repo));
	gt_entity_write w = { &gt_proto_type, id.buf, GT_WRITE_UPSERT, build_proto, proto,
			      0, { { 0 } }, 0 };
	r = gt_entity_write_one(repo, &w);
	cJSON_Delete(proto);
	if (r == 0)
		*id_out = gt_strbuf_detach(&id);
	gt_strbuf_release(&id);
	return r;
}

int gt_proto_read(cJSON **out, gt_repo *repo, const char *id)
{
	gt_entity *e = NULL;
	int r;
	if (!gt_entity_id_valid(id))
		return gt_error_set(GT_ENOTFOUND, "no such proto: %s", id);
	if ((r = gt_entity_read(&e, repo, &gt_proto_type, id)) < 0)
		return r;
	*out = e->snapshot;
	e->snapshot = NULL;
	gt_entity_free(e);
	return 0;
}

int gt_formula_prepare(cJSON **out, gt_repo *repo, const char *what,
		       const gt_strlist *vars, gt_strlist *problems)
{
	gt_formula *f = NULL;
	size_t first = problems->nr;
	int r;

	*out = NULL;
	if (gt_entity_id_valid(what) && (r = gt_proto_read(out, repo, what)) != GT_ENOTFOUND) {
		if (r == 0 && vars && vars->nr) {
			cJSON_Delete(*out);
			*out = NULL;
			return gt_error_set(GT_EINVALID,
					    "%s is a protomolecule: its variables are resolved, give no --var",
					    what);
		}
		return r;
	}
	gt_error_clear();
	r = gt_formula_load(&f, NULL, NULL, repo, what, problems);
	if (r == 0 && (r = gt_formula_cook(out, f, vars, problems)) == 0)
		r = 0;
	else if (problems->nr > first)
		r = fail_from(problems, first);
	gt_formula_free(f);
	return r;
}

/* The line number of a problem "<origin>:<line>: ...", 0 when it has none. */
static long problem_line(const char *p, const char *origin)
{
	size_t n = strlen(origin);
	char *end;
	if (strncmp(p, origin, n) || p[n] != ':')
		return 0;
	long line = strtol(p + n + 1, &end, 10);
	return *end == ':' ? line : 0;
}

void gt_formula_sort_problems(gt_strlist *problems, size_t from, const char *origin)
{
	for (size_t i = from + 1; i < problems->nr; i++)
		for (size_t j = i; j > from && problem_line(problems->items[j - 1], origin) >
						problem_line(problems->items[j], origin); j--) {
			char *t = problems->items[j];
			problems->items[j] = problems->items[j - 1];
			problems->items[j - 1] = t;
		}
}
