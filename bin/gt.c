/*
 * gt: the dispatcher. "gt <cmd> [args]" and "git gt <cmd> [args]" run
 * gt-<cmd> found next to this program (the exec path), then in PATH; the
 * exit status passes through.
 */
#include "strbuf.h"
#include "usage.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const commands[][2] = {
	{ "init", "set up gastown in a repository" },
	{ "config", "get and set gastown configuration" },
	{ "create", "create a bead" },
	{ "show", "show beads" },
	{ "list", "list beads" },
	{ "update", "change fields of a bead" },
	{ "close", "close beads" },
	{ "reopen", "reopen closed beads" },
	{ "comment", "add a comment to a bead" },
	{ "dep", "add, remove and show dependencies" },
	{ "ready", "list beads ready to work on" },
	{ "blocked", "list blocked beads and what blocks them" },
	{ "log", "the event feed: every operation, newest first" },
	{ "fsck", "check the ledger for damage" },
	{ "import", "import beads JSONL" },
	{ "export", "export beads JSONL" },
	{ "agent", "register, list, show and remove agents" },
	{ "whoami", "the acting identity" },
	{ "hook", "show the work on an actor's hook" },
	{ "sling", "put a bead on an actor's hook" },
	{ "unsling", "take the work off an actor's hook" },
	{ "done", "finish the work on your hook" },
	{ "handoff", "leave a handoff record for the next session" },
	{ "resume", "print the handoff and the hooked work" },
	{ "prime", "what an agent's session starts from" },
	{ "mail", "send, list, read and archive mail" },
	{ "status", "the town at a glance" },
	{ "convoy", "track groups of beads toward one goal" },
	{ "note", "attribute a code commit to a bead" },
	{ "trail", "the code commits of a bead" },
	{ "sync", "fetch, merge and push the ledger" },
	{ "merge", "merge a fetched ledger" },
	{ "remote-setup", "make a remote carry the ledger" },
	{ "receive-check", "check a push before a server accepts it" },
	{ "formula", "list, show, validate and publish formulas" },
	{ "cook", "make a protomolecule of a formula" },
	{ "mol", "pour, follow, squash and burn molecules and wisps" },
};

static void print_help(FILE *fp)
{
	fputs("usage: gt [--version] [--exec-path] <command> [<args>]\n"
	      "       gt help <command>\n\ncommands:\n", fp);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "   %-10s %s\n", commands[i][0], commands[i][1]);
	fputs("\n'gt help <command>' shows the manual page of a command.\n", fp);
}

/* The directory holding this program: where the gt-* programs live. */
static char *exec_dir(const char *argv0)
{
	char buf[PATH_MAX];
	const char *env = getenv("GT_EXEC_PATH");
	if (env && *env)
		return gt_xstrdup(env);
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		char *slash = strrchr(buf, '/');
		if (slash) {
			*slash = '\0';
			return gt_xstrdup(buf);
		}
	}
	const char *slash = strrchr(argv0, '/');
	return slash ? gt_xstrndup(argv0, (size_t)(slash - argv0)) : NULL;
}

static int valid_command_name(const char *cmd)
{
	if (!*cmd || *cmd == '-')
		return 0;
	for (const char *p = cmd; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

/*
 * gt help <cmd>: the installed man page, or else the page in the source
 * tree this program was built from (a build that was not installed).
 */
static int show_manual(const char *cmd)
{
	gt_strbuf page = GT_STRBUF_INIT, probe = GT_STRBUF_INIT, src = GT_STRBUF_INIT;
	FILE *fp = NULL;
	int r = 0;

	if (!valid_command_name(cmd))
		gt_usage_die("'%s' is not a gt command; see 'gt help'", cmd);
	gt_strbuf_addf(&page, "gt-%s", cmd);
	/* cmd is [a-z0-9-]+: safe in a shell command */
	gt_strbuf_addf(&probe, "man -w %s >/dev/null 2>&1", page.buf);
	if (system(probe.buf) == 0) {
		execlp("man", "man", page.buf, (char *)NULL);
		gt_die("cannot run man for %s: %s", page.buf, strerror(errno));
	}
	gt_strbuf_addf(&src, "%s/%s.txt", GT_SOURCE_DOC_DIR, page.buf);
	if (!(fp = fopen(src.buf, "r"))) {
		fprintf(stderr, "gt: no manual page for %s; try 'gt %s -h'\n", page.buf, cmd);
		r = GT_EXIT_NO;
		goto out;
	}
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(fp);
out:
	gt_strbuf_release(&page);
	gt_strbuf_release(&probe);
	gt_strbuf_release(&src);
	return r;
}

static void run(const char *dir, const char *cmd, char **argv)
{
	gt_strbuf prog = GT_STRBUF_INIT;
	if (dir) {
		gt_strbuf_addf(&prog, "%s/gt-%s", dir, cmd);
		if (access(prog.buf, X_OK) == 0) {
			argv[0] = prog.buf;
			execv(prog.buf, argv);
			gt_die("cannot run %s: %s", prog.buf, strerror(errno));
		}
		gt_strbuf_reset(&prog);
	}
	gt_strbuf_addf(&prog, "gt-%s", cmd);
	argv[0] = prog.buf;
	execvp(prog.buf, argv);
	if (errno != ENOENT)
		gt_die("cannot run %s: %s", prog.buf, strerror(errno));
	gt_strbuf_release(&prog);
}

int main(int argc, char **argv)
{
	gt_set_program_name("gt");

	/* "git gt" runs us as git-gt with the same arguments */
	if (argc < 2) {
		print_help(stderr);
		return GT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gt version %s\n", GT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--exec-path")) {
		char *dir = exec_dir(argv[0]);
		printf("%s\n", dir ? dir : "");
		free(dir);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return show_manual(argv[2]);
	if (!valid_command_name(argv[1]))
		gt_usage_die("'%s' is not a gt command; see 'gt help'", argv[1]);
	char *cmd = gt_xstrdup(argv[1]);
	char *dir = exec_dir(argv[0]);
	run(dir, cmd, argv + 1);
	fprintf(stderr, "gt: '%s' is not a gt command; see 'gt help'\n", cmd);
	free(cmd);
	free(dir);
	return GT_EXIT_USAGE;
}
