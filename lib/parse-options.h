#ifndef GT_PARSE_OPTIONS_H
#define GT_PARSE_OPTIONS_H

#include <stddef.h>

/*
 * One declarative option table per command, in git's manner.
 *
 *   static const char *const usage[] = { "gt create [<options>] <title>", NULL };
 *   struct gt_option opts[] = {
 *       GT_OPT_STRING('d', "description", &desc, "text", "the description"),
 *       GT_OPT_BOOL(0, "json", &json, "print JSON"),
 *       GT_OPT_END(),
 *   };
 *   argc = gt_parse_options(argc, argv, opts, usage);
 *
 * Long options take "--name=value" or "--name value", short ones "-x value"
 * or "-xvalue"; booleans take "--no-name"; "--" ends the options. Options
 * and arguments may be mixed; the arguments are returned in argv[0..n).
 * "-h" or "--help" prints the usage on stdout and exits 129 (as git does);
 * any usage error prints the message and the usage on stderr and exits 129.
 */

typedef struct gt_strlist {
	char **items;
	size_t nr, alloc;
} gt_strlist;
#define GT_STRLIST_INIT { NULL, 0, 0 }
void gt_strlist_push(gt_strlist *l, const char *s);
void gt_strlist_clear(gt_strlist *l);

enum gt_option_type {
	GT_OPTION_END,
	GT_OPTION_BOOL,    /* int *: 1 when given, 0 with --no- */
	GT_OPTION_STRING,  /* const char **: the last value given */
	GT_OPTION_INT,     /* long *: a decimal integer */
	GT_OPTION_LIST,    /* gt_strlist *: every value given, in order */
	GT_OPTION_GROUP,   /* a heading in the usage text */
};

struct gt_option {
	enum gt_option_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh;
	const char *help;
};

#define GT_OPT_END() { GT_OPTION_END, 0, NULL, NULL, NULL, NULL }
#define GT_OPT_BOOL(s, l, v, h) { GT_OPTION_BOOL, (s), (l), (v), NULL, (h) }
#define GT_OPT_STRING(s, l, v, a, h) { GT_OPTION_STRING, (s), (l), (v), (a), (h) }
#define GT_OPT_INT(s, l, v, a, h) { GT_OPTION_INT, (s), (l), (v), (a), (h) }
#define GT_OPT_LIST(s, l, v, a, h) { GT_OPTION_LIST, (s), (l), (v), (a), (h) }
#define GT_OPT_GROUP(h) { GT_OPTION_GROUP, 0, NULL, NULL, NULL, (h) }

/* Parse; returns the number of arguments left in argv. */
int gt_parse_options(int argc, const char **argv, const struct gt_option *opts,
		     const char *const *usage);

/* Print the usage and the option table to stderr and exit 129. */
void gt_usage_with_options(const char *const *usage,
			   const struct gt_option *opts)
	__attribute__((noreturn));

/* A usage error: "usage error: <msg>" then the usage, exit 129. */
void gt_usage_error(const char *const *usage, const struct gt_option *opts,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#endif
