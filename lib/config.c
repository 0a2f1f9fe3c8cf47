#include "config.h"
#include "error.h"
#include "refs.h"
#include "repo.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct config_entry {
	char *key;
	char *value;
	gt_config_scope scope;
	char *origin;
};

struct gt_config {
	struct config_entry *entries;
	size_t nr, alloc;
};

static const char *const defaults[][2] = {
	{ "core.prefix", "gt" },
	{ "core.titlelimit", "500" },
	{ "core.staleLockSeconds", "10" },
};

const char *gt_config_scope_name(gt_config_scope scope)
{
	static const char *const names[] = { "default", "shared", "user", "repo", "env" };
	return names[scope];
}

static char *lower_key(const char *section, const char *name)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	if (section && *section)
		gt_strbuf_addf(&sb, "%s.", section);
	gt_strbuf_adds(&sb, name);
	for (size_t i = 0; i < sb.len; i++)
		sb.buf[i] = (char)tolower((unsigned char)sb.buf[i]);
	return gt_strbuf_detach(&sb);
}

static void add_entry(gt_config *cfg, char *key, const char *value,
		      gt_config_scope scope, const char *origin)
{
	if (cfg->nr == cfg->alloc) {
		cfg->alloc = cfg->alloc ? cfg->alloc * 2 : 16;
		cfg->entries = gt_xrealloc(cfg->entries, cfg->alloc * sizeof(*cfg->entries));
	}
	struct config_entry *e = &cfg->entries[cfg->nr++];
	e->key = key;
	e->value = gt_xstrdup(value);
	e->scope = scope;
	e->origin = gt_xstrdup(origin);
}

struct load_ctx {
	gt_config *cfg;
	gt_config_scope scope;
	const char *origin;
};

/* inih calls this per entry; values live only during the call. */
static int on_ini_entry(void *user, const char *section, const char *name,
		       const char *value)
{
	struct load_ctx *ctx = user;
	if (!name)
		return 1; /* a section with no entries */
	add_entry(ctx->cfg, lower_key(section, name), value ? value : "",
		  ctx->scope, ctx->origin);
	return 1; /* nonzero: keep going */
}

/*
 * inih takes an indented line after an entry as a continuation of that
 * entry's value (Python's configparser). gastown values are one line, and
 * git's config files indent their entries, so drop the indentation of
 * every line first: then "\tname = value" is an entry wherever it stands.
 * Line numbers stay as they were.
 */
static void unindent(gt_strbuf *text)
{
	size_t out = 0;
	int at_start = 1;
	for (size_t i = 0; i < text->len; i++) {
		char c = text->buf[i];
		if (at_start && c != '\n' && isspace((unsigned char)c))
			continue;
		at_start = c == '\n';
		text->buf[out++] = c;
	}
	gt_strbuf_setlen(text, out);
}

static int parse_text(gt_config *cfg, gt_config_scope scope, const char *origin,
		      gt_strbuf *text)
{
	struct load_ctx ctx = { cfg, scope, origin };
	unindent(text);
	return ini_parse_string(text->buf, on_ini_entry, &ctx);
}

static int ignore_entry(void *user, const char *section, const char *name,
			const char *value)
{
	(void)user;
	(void)section;
	(void)name;
	(void)value;
	return 1; /* inih: nonzero means go on */
}

int gt_config_text_check(const char *text, size_t len)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	int line;

	if (memchr(text, '\0', len))
		return -1;
	gt_strbuf_add(&sb, text, len);
	unindent(&sb);
	line = ini_parse_string(sb.buf, ignore_entry, NULL);
	gt_strbuf_release(&sb);
	return line;
}

static int load_file(gt_config *cfg, gt_config_scope scope, const char *path)
{
	gt_strbuf origin = GT_STRBUF_INIT, text = GT_STRBUF_INIT;
	int r = 0, line;

	if (gt_strbuf_read_file(&text, path) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			r = gt_error_errno("cannot read %s", path);
		goto out; /* no such file: an empty layer */
	}
	gt_strbuf_addf(&origin, "file:%s", path);
	line = parse_text(cfg, scope, origin.buf, &text);
	if (line != 0)
		r = gt_error_set(GT_EINVALID,
				 "bad config line %d in %s: fix or remove that line",
				 line, path);
out:
	gt_strbuf_release(&origin);
	gt_strbuf_release(&text);
	return r;
}

/*
 * Read the config blob of the commit at id into text. GT_ECORRUPT when the
 * ref does not point to a commit holding a "config" blob.
 */
static int read_shared_text(gt_strbuf *text, git_repository *repo,
			    const git_oid *id)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *te;
	int r = 0;

	if (git_commit_lookup(&commit, repo, id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s does not point to a commit", GT_CONFIG_REF);
		goto out;
	}
	te = git_tree_entry_byname(tree, "config");
	if (!te || git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		r = gt_error_set(GT_ECORRUPT, "%s has no config blob", GT_CONFIG_REF);
		goto out;
	}
	gt_strbuf_add(text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}

static int load_shared(gt_config *cfg, git_repository *repo)
{
	gt_strbuf text = GT_STRBUF_INIT;
	git_oid id;
	int r, line;

	if ((r = gt_refs_read(&id, repo, GT_CONFIG_REF)) == GT_ENOTFOUND)
		return 0; /* not set up: an empty layer */
	if (r < 0)
		return r;
	if ((r = read_shared_text(&text, repo, &id)) < 0)
		goto out;
	/* inih would stop at a NUL byte and load half the blob */
	if (memchr(text.buf, '\0', text.len)) {
		r = gt_error_set(GT_EINVALID, "%s holds a NUL byte (see 'git show %s:config')",
				 GT_CONFIG_REF, GT_CONFIG_REF);
		goto out;
	}
	line = parse_text(cfg, GT_CONFIG_SHARED, "ref:" GT_CONFIG_REF, &text);
	if (line != 0)
		r = gt_error_set(GT_EINVALID,
				 "bad config line %d in %s (see 'git show %s:config')",
				 line, GT_CONFIG_REF, GT_CONFIG_REF);
out:
	gt_strbuf_release(&text);
	return r;
}

char *gt_config_path(gt_config_scope scope, const char *gastown_dir)
{
	gt_strbuf sb = GT_STRBUF_INIT;
	if (scope == GT_CONFIG_REPO) {
		gt_strbuf_addf(&sb, "%s/config", gastown_dir);
	} else if (scope == GT_CONFIG_USER) {
		const char *xdg = getenv("XDG_CONFIG_HOME");
		const char *home = getenv("HOME");
		if (xdg && *xdg)
			gt_strbuf_addf(&sb, "%s/gastown/config", xdg);
		else if (home && *home)
			gt_strbuf_addf(&sb, "%s/.config/gastown/config", home);
		else
			return NULL;
	} else {
		return NULL;
	}
	return gt_strbuf_detach(&sb);
}

int gt_config_load(gt_config **out, git_repository *repo, const char *gastown_dir)
{
	gt_config *cfg = gt_xcalloc(1, sizeof(*cfg));
	char *path;
	int r;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		add_entry(cfg, lower_key(NULL, defaults[i][0]), defaults[i][1],
			  GT_CONFIG_DEFAULT, "default");
	if (repo && (r = load_shared(cfg, repo)) < 0)
		goto fail;
	if ((path = gt_config_path(GT_CONFIG_USER, gastown_dir))) {
		r = load_file(cfg, GT_CONFIG_USER, path);
		free(path);
		if (r < 0)
			goto fail;
	}
	if (gastown_dir) {
		path = gt_config_path(GT_CONFIG_REPO, gastown_dir);
		r = load_file(cfg, GT_CONFIG_REPO, path);
		free(path);
		if (r < 0)
			goto fail;
	}
	static const char *const env_keys[][2] = {
		{ "GT_ACTOR", "user.actor" },
		{ "GT_PREFIX", "core.prefix" },
	};
	for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
		const char *v = getenv(env_keys[i][0]);
		if (v && *v) {
			char origin[64];
			snprintf(origin, sizeof(origin), "env:%s", env_keys[i][0]);
			add_entry(cfg, gt_xstrdup(env_keys[i][1]), v, GT_CONFIG_ENV, origin);
		}
	}
	*out = cfg;
	return 0;
fail:
	gt_config_free(cfg);
	return r;
}

void gt_config_free(gt_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nr; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
		free(cfg->entries[i].origin);
	}
	free(cfg->entries);
	free(cfg);
}

static const struct config_entry *lookup(const gt_config *cfg, const char *key)
{
	char *k = lower_key(NULL, key);
	const struct config_entry *found = NULL;
	for (size_t i = cfg->nr; i-- > 0;)
		if (!strcmp(cfg->entries[i].key, k)) {
			found = &cfg->entries[i];
			break;
		}
	free(k);
	return found;
}

const char *gt_config_get(const gt_config *cfg, const char *key)
{
	const struct config_entry *e = lookup(cfg, key);
	return e ? e->value : NULL;
}

const char *gt_config_origin(const gt_config *cfg, const char *key)
{
	const struct config_entry *e = lookup(cfg, key);
	return e ? e->origin : NULL;
}

int gt_config_get_int(long *out, const gt_config *cfg, const char *key, long def)
{
	const char *v = gt_config_get(cfg, key);
	char *end;
	if (!v) {
		*out = def;
		return 0;
	}
	*out = strtol(v, &end, 10);
	if (!*v || *end)
		return gt_error_set(GT_EINVALID, "config %s is not a number: '%s'", key, v);
	return 0;
}

int gt_config_foreach(const gt_config *cfg, gt_config_foreach_cb cb, void *payload)
{
	for (size_t i = 0; i < cfg->nr; i++) {
		const struct config_entry *e = &cfg->entries[i];
		int r = cb(e->key, e->value, e->scope, e->origin, payload);
		if (r)
			return r;
	}
	return 0;
}

/* --- validation --------------------------------------------------------- */

/*
 * inih keeps at most 49 bytes of a section name (MAX_SECTION) and of the
 * name a continuation line belongs to (MAX_NAME); stay below both.
 */
#define KEY_PART_MAX 49
/* inih reads lines of at most INI_MAX_LINE bytes including "\r\n\0". */
#define LINE_MAX_BYTES (INI_MAX_LINE - 3)

static int key_ok(const char *key)
{
	const char *dot = key ? strchr(key, '.') : NULL;

	if (!dot || dot == key || !dot[1] || strchr(dot + 1, '.') ||
	    dot - key > KEY_PART_MAX || strlen(dot + 1) > KEY_PART_MAX ||
	    !isalpha((unsigned char)dot[1]))
		return 0;
	for (const char *p = key; *p; p++)
		if (p != dot && !isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/*
 * Returns 1 when key is "section.name" (letters, digits and '-'; the name
 * starts with a letter; each part at most 49 bytes), else 0 with a message
 * recorded (code GT_EINVALID) for the caller to report.
 */
int gt_config_key_valid(const char *key)
{
	if (key_ok(key))
		return 1;
	gt_error_set(GT_EINVALID,
		     "invalid key '%s': use <section>.<name> with letters, digits "
		     "and '-' (the name starts with a letter)", key ? key : "");
	return 0;
}

static int prefix_valid(const char *p)
{
	size_t n = strlen(p);
	if (n < 1 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if ((c == '-' || c == '_') && i > 0 && i < n - 1)
			continue;
		return 0;
	}
	return 1;
}

static int integer_at_least(const char *v, long min)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	return *v && !*end && !errno && n >= min;
}

/* The values of the keys gastown knows, checked before they are written. */
static int check_known_value(const char *lkey, const char *value)
{
	if (!strcmp(lkey, "core.prefix") && !prefix_valid(value))
		return gt_error_set(GT_EINVALID,
				    "invalid prefix '%s': use 1-16 characters of a-z and 0-9, "
				    "with '-' or '_' only inside", value);
	if (!strcmp(lkey, "core.titlelimit") && !integer_at_least(value, 1))
		return gt_error_set(GT_EINVALID,
				    "invalid core.titleLimit '%s': use a positive number", value);
	/* 0 would let every writer break the locks of live ones */
	if (!strcmp(lkey, "core.stalelockseconds") && !integer_at_least(value, 1))
		return gt_error_set(GT_EINVALID,
				    "invalid core.staleLockSeconds '%s': use a positive "
				    "number of seconds", value);
	if (!strcmp(lkey, "core.locktimeoutseconds") && !integer_at_least(value, 0))
		return gt_error_set(GT_EINVALID,
				    "invalid core.lockTimeoutSeconds '%s': use a number of "
				    "seconds (0: do not wait)", value);
	if (!strcmp(lkey, "user.actor") && (!*value || strpbrk(value, "<>")))
		return gt_error_set(GT_EINVALID,
				    "invalid actor '%s': use a non-empty name without '<' or '>'",
				    value);
	return 0;
}

/*
 * A value must read back as written: inih strips surrounding whitespace,
 * ends a value at " ;" (an inline comment) and reads lines of limited
 * length. Reject what would not round-trip rather than mangle it.
 */
static int check_value(const char *key, const char *value)
{
	size_t n = strlen(value);
	char *lkey;
	int r;

	if (strpbrk(value, "\n\r"))
		return gt_error_set(GT_EINVALID,
				    "value for %s contains a newline: config values are one line",
				    key);
	if (n && (isspace((unsigned char)value[0]) || isspace((unsigned char)value[n - 1])))
		return gt_error_set(GT_EINVALID,
				    "value for %s begins or ends with whitespace: remove it", key);
	for (size_t i = 1; i < n; i++)
		if (value[i] == ';' && isspace((unsigned char)value[i - 1]))
			return gt_error_set(GT_EINVALID,
					    "value for %s contains ' ;', which starts a comment: "
					    "remove the space before ';'", key);
	if (strlen(strchr(key, '.') + 1) + 3 + n > LINE_MAX_BYTES)
		return gt_error_set(GT_EINVALID,
				    "value for %s is too long: a config line holds at most %d bytes",
				    key, LINE_MAX_BYTES);
	lkey = lower_key(NULL, key);
	r = check_known_value(lkey, value);
	free(lkey);
	return r;
}

/* --- editing INI text, line by line ------------------------------------ */

enum line_kind { LINE_OTHER, LINE_SECTION, LINE_ENTRY };

struct ini_line {
	const char *p;     /* the line, without its '\n' */
	size_t len;
	int nl;            /* followed by '\n' */
	enum line_kind kind;
	int match;         /* an entry of the key being edited */
	int section_match; /* a header of that key's section */
	size_t indent;     /* leading whitespace */
	const char *name;  /* LINE_ENTRY: the name as written */
	size_t name_len;
};

/*
 * Where inih would stop: at one of chars, or at an inline comment (';'
 * after whitespace), or at the end.
 */
static const char *find_chars_or_comment(const char *s, const char *e,
					 const char *chars)
{
	int was_space = 0;
	while (s < e && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static int part_eq(const char *s, size_t n, const char *want, size_t want_len)
{
	return n == want_len && !strncasecmp(s, want, n);
}

/*
 * Split text into lines and classify them as the loader reads them (inih
 * after unindent()): blank and comment lines, section headers, entries.
 * Entries of section.name are marked. Lines inih would refuse are "other"
 * and are kept as they are.
 */
static struct ini_line *classify(size_t *nr_out, const char *text, size_t size,
				 const char *section, size_t section_len,
				 const char *name, size_t name_len)
{
	struct ini_line *lines = NULL;
	size_t nr = 0, alloc = 0;
	const char *p = text, *end = text + size;
	const char *cur_section = NULL;
	size_t cur_section_len = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *s = p;
		struct ini_line *l;

		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			lines = gt_xrealloc(lines, alloc * sizeof(*lines));
		}
		l = &lines[nr++];
		memset(l, 0, sizeof(*l));
		l->p = p;
		l->len = (size_t)(e - p);
		l->nl = nl != NULL;
		p = nl ? nl + 1 : end;

		while (s < e && isspace((unsigned char)*s))
			s++;
		l->indent = (size_t)(s - l->p);
		if (nr == 1 && e - s >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
			for (s += 3; s < e && isspace((unsigned char)*s); s++)
				;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == ';' || *s == '#')
			continue; /* blank or comment */
		if (*s == '[') {
			const char *close = find_chars_or_comment(s + 1, e, "]");
			if (close < e && *close == ']') {
				l->kind = LINE_SECTION;
				cur_section = s + 1;
				cur_section_len = (size_t)(close - (s + 1));
				l->section_match = part_eq(cur_section, cur_section_len,
							   section, section_len);
			}
			continue;
		}
		const char *sep = find_chars_or_comment(s, e, "=:");
		if (sep < e && (*sep == '=' || *sep == ':')) {
			const char *ne = sep;
			while (ne > s && isspace((unsigned char)ne[-1]))
				ne--;
			l->kind = LINE_ENTRY;
			l->name = s;
			l->name_len = (size_t)(ne - s);
			l->match = cur_section &&
				part_eq(cur_section, cur_section_len, section, section_len) &&
				part_eq(s, l->name_len, name, name_len);
		}
	}
	*nr_out = nr;
	return lines;
}

static void add_line(gt_strbuf *out, const struct ini_line *l)
{
	gt_strbuf_add(out, l->p, l->len);
	if (l->nl)
		gt_strbuf_addch(out, '\n');
}

/*
 * Write text with key set to value (or removed when value is NULL) into
 * out. An existing entry is replaced in place, keeping its indentation and
 * the spelling of its name, and any other entry of the same key dropped; a
 * new entry goes after the last entry of the key's last section (indented
 * like it), or into a new section at the end. Everything else is kept byte
 * for byte. Returns 0, or GT_ENOTFOUND when removing a key that is not
 * there (the caller records the message).
 */
static int edit_ini(gt_strbuf *out, const char *text, size_t size,
		    const char *key, const char *value)
{
	const char *dot = strchr(key, '.');
	const char *section = key, *name = dot + 1;
	size_t section_len = (size_t)(dot - key), name_len = strlen(name);
	size_t nr, insert_after = SIZE_MAX, indent = 0;
	const char *indent_from = NULL;
	struct ini_line *lines = classify(&nr, text, size, section, section_len,
					  name, name_len);
	int found = 0, written = 0, r = 0;

	for (size_t i = 0; i < nr; i++)
		if (lines[i].match)
			found = 1;
	if (!value && !found) {
		r = GT_ENOTFOUND;
		goto out;
	}
	if (value && !found) {
		/* after the last entry of the last header of key's section */
		int in_section = 0;
		for (size_t i = 0; i < nr; i++) {
			if (lines[i].kind == LINE_SECTION) {
				in_section = lines[i].section_match;
				if (in_section) {
					insert_after = i;
					indent_from = NULL;
				}
			} else if (in_section && lines[i].kind == LINE_ENTRY) {
				insert_after = i;
				indent_from = lines[i].p;
				indent = lines[i].indent;
			}
		}
	}
	for (size_t i = 0; i < nr; i++) {
		const struct ini_line *l = &lines[i];
		if (l->match) {
			if (value && !written) {
				gt_strbuf_add(out, l->p, (size_t)(l->name - l->p));
				gt_strbuf_add(out, l->name, l->name_len);
				gt_strbuf_addf(out, " = %s\n", value);
				written = 1;
			}
			continue;
		}
		add_line(out, l);
		if (i == insert_after) {
			if (!l->nl)
				gt_strbuf_addch(out, '\n');
			if (indent_from)
				gt_strbuf_add(out, indent_from, indent);
			gt_strbuf_addf(out, "%.*s = %s\n", (int)name_len, name, value);
			written = 1;
		}
	}
	if (value && !written) {
		if (out->len && out->buf[out->len - 1] != '\n')
			gt_strbuf_addch(out, '\n');
		gt_strbuf_addf(out, "[%.*s]\n%s = %s\n", (int)section_len, section,
			       name, value);
	}
out:
	free(lines);
	return r;
}

/* --- writing a file ----------------------------------------------------- */

/* Create every missing directory above path. */
static int mkdir_parents(const char *path)
{
	char *dir = gt_xstrdup(path);
	int r = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			r = gt_error_errno("cannot create %s", dir);
			break;
		}
		*p = '/';
	}
	free(dir);
	return r;
}

/* Take path.lock, retrying for about a second while another writer has it. */
static int lock_file(int *fd_out, const char *lock_path)
{
	for (int attempt = 0;; attempt++) {
		int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			*fd_out = fd;
			return 0;
		}
		if (errno != EEXIST)
			return gt_error_errno("cannot create %s", lock_path);
		if (attempt >= 100)
			return gt_error_set(GT_ELOCKED,
					    "cannot lock %s: another gt is writing it; if none is "
					    "running, remove the lock file", lock_path);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int gt_config_set_file(const char *path, const char *key, const char *value)
{
	gt_strbuf text = GT_STRBUF_INIT, next = GT_STRBUF_INIT;
	gt_strbuf lock_path = GT_STRBUF_INIT;
	char *target = NULL;
	struct stat st;
	int fd = -1, locked = 0, exists, r;

	if (!gt_config_key_valid(key))
		return GT_EINVALID;
	if (value && (r = check_value(key, value)) < 0)
		return r;

	/* edit the file a symbolic link points to, not the link */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (target = realpath(path, NULL)) == NULL) {
		r = gt_error_errno("cannot resolve %s", path);
		goto out;
	}
	if (!target)
		target = gt_xstrdup(path);
	exists = stat(target, &st) == 0;
	if (!exists && errno != ENOENT && errno != ENOTDIR) {
		r = gt_error_errno("cannot read %s", target);
		goto out;
	}
	if (!exists && !value) {
		r = gt_error_set(GT_ENOTFOUND, "%s is not set in %s", key, target);
		goto out;
	}
	if (!exists && (r = mkdir_parents(target)) < 0)
		goto out;

	gt_strbuf_addf(&lock_path, "%s.lock", target);
	if ((r = lock_file(&fd, lock_path.buf)) < 0)
		goto out;
	locked = 1;

	/* read under the lock: no concurrent change is lost */
	if (gt_strbuf_read_file(&text, target) < 0) {
		if (errno != ENOENT) {
			r = gt_error_errno("cannot read %s", target);
			goto out;
		}
		exists = 0;
	} else {
		exists = stat(target, &st) == 0;
	}
	if ((r = edit_ini(&next, text.buf, text.len, key, value)) < 0) {
		r = gt_error_set(r, "%s is not set in %s", key, target);
		goto out;
	}
	if (next.len == text.len && !memcmp(next.buf, text.buf, text.len))
		goto out; /* already so */

	if (gt_write_all(fd, next.buf, next.len) < 0 ||
	    (exists && fchmod(fd, st.st_mode & 07777) < 0) || fsync(fd) < 0) {
		r = gt_error_errno("cannot write %s", lock_path.buf);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = gt_error_errno("cannot write %s", lock_path.buf);
		goto out;
	}
	fd = -1;
	if (rename(lock_path.buf, target) < 0) {
		r = gt_error_errno("cannot rename %s to %s", lock_path.buf, target);
		goto out;
	}
	locked = 0;
out:
	if (fd >= 0)
		close(fd);
	if (locked)
		unlink(lock_path.buf);
	gt_strbuf_release(&lock_path);
	gt_strbuf_release(&text);
	gt_strbuf_release(&next);
	free(target);
	return r;
}

/* --- writing the shared ref --------------------------------------------- */

/*
 * One attempt: read the ref, build a commit on top of it, move the ref only
 * if it has not moved. GT_ECONFLICT when another writer won the race.
 */
static int set_shared_once(git_repository *repo, const char *key,
			   const char *value, const char *actor)
{
	gt_strbuf text = GT_STRBUF_INIT, next = GT_STRBUF_INIT, msg = GT_STRBUF_INIT;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_oid old, blob_id, tree_id, commit_id;
	int exists, r;

	r = git_reference_name_to_id(&old, repo, GT_CONFIG_REF);
	if (r == GIT_ENOTFOUND) {
		exists = 0;
	} else if (r < 0) {
		r = gt_error_git(r, "cannot read %s", GT_CONFIG_REF);
		goto out;
	} else {
		exists = 1;
		if ((r = read_shared_text(&text, repo, &old)) < 0)
			goto out;
	}
	if ((r = edit_ini(&next, text.buf, text.len, key, value)) < 0) {
		r = gt_error_set(r, "%s is not set in %s", key, GT_CONFIG_REF);
		goto out;
	}
	if (exists && next.len == text.len && !memcmp(next.buf, text.buf, text.len))
		goto out; /* already so */

	if ((r = gt_odb_prepare_writes(repo)) < 0)
		goto out;
	if ((r = git_blob_create_from_buffer(&blob_id, repo, next.buf, next.len)) < 0 ||
	    (r = git_treebuilder_new(&tb, repo, NULL)) < 0 ||
	    (r = git_treebuilder_insert(NULL, tb, "config", &blob_id, GIT_FILEMODE_BLOB)) < 0 ||
	    (r = git_treebuilder_write(&tree_id, tb)) < 0 ||
	    (r = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
		r = gt_error_git(r, "cannot write %s", GT_CONFIG_REF);
		goto out;
	}
	if (exists && (r = git_commit_lookup(&parent, repo, &old)) < 0) {
		r = gt_error_git(r, "cannot read %s", GT_CONFIG_REF);
		goto out;
	}
	if ((r = git_signature_new(&sig, actor, actor, gt_now_ms() / 1000, 0)) < 0) {
		r = gt_error_git(r, "invalid actor '%s'", actor);
		goto out;
	}
	gt_strbuf_addf(&msg, "config.%s: %s\n", value ? "set" : "unset", key);
	const git_commit *parents[1] = { parent };
	if ((r = git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, msg.buf,
				   tree, parent ? 1 : 0, parents)) < 0) {
		r = gt_error_git(r, "cannot write %s", GT_CONFIG_REF);
		goto out;
	}
	if (exists)
		r = git_reference_create_matching(&ref, repo, GT_CONFIG_REF, &commit_id,
						  1, &old, msg.buf);
	else
		r = git_reference_create(&ref, repo, GT_CONFIG_REF, &commit_id, 0, msg.buf);
	if (r == GIT_EMODIFIED || r == GIT_EEXISTS) {
		gt_error_git(r, "cannot update %s", GT_CONFIG_REF);
		r = GT_ECONFLICT; /* moved since we read it */
	} else if (r < 0) {
		r = gt_error_git(r, "cannot update %s", GT_CONFIG_REF);
	}
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	gt_strbuf_release(&text);
	gt_strbuf_release(&next);
	gt_strbuf_release(&msg);
	return r;
}

int gt_config_set_shared(git_repository *repo, const char *key,
			 const char *value, const char *actor)
{
	struct timespec ts;
	int r;

	if (!gt_config_key_valid(key))
		return GT_EINVALID;
	if (value && (r = check_value(key, value)) < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srand((unsigned)getpid() ^ (unsigned)ts.tv_nsec);
	for (unsigned attempt = 0;; attempt++) {
		r = set_shared_once(repo, key, value, actor);
		if ((r != GT_ECONFLICT && r != GT_ELOCKED) || attempt >= 200)
			break;
		/* lost the race: back off (jittered, up to ~20 ms) and redo */
		unsigned cap = attempt < 8 ? 100u << attempt : 20000u;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % (cap + 1)) * 1000L;
		nanosleep(&ts, NULL);
	}
	if (r == GT_ECONFLICT)
		r = gt_error_set(GT_ECONFLICT,
				 "cannot update %s: other writers keep moving it; try again",
				 GT_CONFIG_REF);
	else if (r == GT_ELOCKED)
		r = gt_error_set(GT_ELOCKED,
				 "cannot update %s: the ref stays locked; if no git or gt is "
				 "running, remove its .lock file", GT_CONFIG_REF);
	return r;
}
