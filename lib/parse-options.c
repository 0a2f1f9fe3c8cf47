#include "parse-options.h"
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gt_strlist_push(gt_strlist *l, const char *s)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->items = gt_xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->nr++] = gt_xstrdup(s);
}

void gt_strlist_clear(gt_strlist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

static void print_usage(FILE *fp, const char *const *usage,
			const struct gt_option *opts)
{
	for (size_t i = 0; usage[i]; i++)
		fprintf(fp, "%s%s\n", i ? "   or: " : "usage: ", usage[i]);
	fputc('\n', fp);
	for (const struct gt_option *o = opts; o->type != GT_OPTION_END; o++) {
		gt_strbuf sb = GT_STRBUF_INIT;
		if (o->type == GT_OPTION_GROUP) {
			fprintf(fp, "\n%s\n", o->help);
			continue;
		}
		gt_strbuf_adds(&sb, "    ");
		if (o->short_name)
			gt_strbuf_addf(&sb, "-%c", o->short_name);
		if (o->short_name && o->long_name)
			gt_strbuf_adds(&sb, ", ");
		if (o->long_name)
			gt_strbuf_addf(&sb, "--%s", o->long_name);
		if (o->argh)
			gt_strbuf_addf(&sb, "%s<%s>",
				       o->long_name ? "=" : " ", o->argh);
		if (sb.len < 30)
			fprintf(fp, "%-30s%s\n", sb.buf, o->help);
		else
			fprintf(fp, "%s\n%30s%s\n", sb.buf, "", o->help);
		gt_strbuf_release(&sb);
	}
}

void gt_usage_with_options(const char *const *usage,
			   const struct gt_option *opts)
{
	print_usage(stderr, usage, opts);
	exit(GT_EXIT_USAGE);
}

void gt_usage_error(const char *const *usage, const struct gt_option *opts,
		    const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("usage error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	gt_usage_with_options(usage, opts);
}

static int takes_value(const struct gt_option *o)
{
	return o->type == GT_OPTION_STRING || o->type == GT_OPTION_INT ||
	       o->type == GT_OPTION_LIST;
}

static void store(const struct gt_option *o, const char *value, int negated,
		  const char *shown, const char *const *usage,
		  const struct gt_option *opts)
{
	switch (o->type) {
	case GT_OPTION_BOOL:
		*(int *)o->value = !negated;
		break;
	case GT_OPTION_STRING:
		*(const char **)o->value = value;
		break;
	case GT_OPTION_LIST:
		gt_strlist_push(o->value, value);
		break;
	case GT_OPTION_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (!*value || *end || errno)
			gt_usage_error(usage, opts,
				       "option '%s' expects an integer, not '%s'",
				       shown, value);
		*(long *)o->value = v;
		break;
	}
	default:
		break;
	}
}

static const struct gt_option *find_long(const struct gt_option *opts,
					 const char *name, size_t len,
					 int *negated)
{
	*negated = 0;
	for (const struct gt_option *o = opts; o->type != GT_OPTION_END; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3)) {
		for (const struct gt_option *o = opts; o->type != GT_OPTION_END; o++)
			if (o->type == GT_OPTION_BOOL && o->long_name &&
			    strlen(o->long_name) == len - 3 &&
			    !strncmp(o->long_name, name + 3, len - 3)) {
				*negated = 1;
				return o;
			}
	}
	return NULL;
}

int gt_parse_options(int argc, const char **argv, const struct gt_option *opts,
		     const char *const *usage)
{
	int out = 0, i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			for (i++; i < argc; i++)
				argv[out++] = argv[i];
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			print_usage(stdout, usage, opts);
			exit(GT_EXIT_USAGE);
		}
		if (arg[0] != '-' || !arg[1]) {
			argv[out++] = arg;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int negated;
			const struct gt_option *o = find_long(opts, name, len, &negated);
			if (!o)
				gt_usage_error(usage, opts, "unknown option '%.*s'",
					       (int)len + 2, arg);
			if (!takes_value(o)) {
				if (eq)
					gt_usage_error(usage, opts,
						       "option '--%s' takes no value",
						       o->long_name);
				store(o, NULL, negated, arg, usage, opts);
				continue;
			}
			const char *value = eq ? eq + 1 : NULL;
			if (!value) {
				if (i + 1 >= argc)
					gt_usage_error(usage, opts,
						       "option '--%s' requires a value",
						       o->long_name);
				value = argv[++i];
			}
			store(o, value, 0, arg, usage, opts);
			continue;
		}
		/* a cluster of short options: -zq, -pVALUE, -p VALUE */
		for (const char *p = arg + 1; *p; p++) {
			const struct gt_option *o = NULL;
			for (const struct gt_option *c = opts; c->type != GT_OPTION_END; c++)
				if (c->short_name == *p)
					o = c;
			if (!o)
				gt_usage_error(usage, opts, "unknown switch '%c'", *p);
			if (!takes_value(o)) {
				store(o, NULL, 0, arg, usage, opts);
				continue;
			}
			const char *value = p[1] ? p + 1 : NULL;
			if (!value) {
				if (i + 1 >= argc)
					gt_usage_error(usage, opts,
						       "switch '%c' requires a value", *p);
				value = argv[++i];
			}
			char shown[3] = { '-', *p, 0 };
			store(o, value, 0, shown, usage, opts);
			break;
		}
	}
	argv[out] = NULL;
	return out;
}
