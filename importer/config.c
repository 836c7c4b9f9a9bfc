/* config: the configuration file — portals, the calendars synced into them (docs/config.md). */
#include "config.h"
#include "mapping.h"
#include "routes.h"
#include "state.h"
#include "template.h"
#include "util.h"
#include "yamldoc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX_DEPTH 16
/* A configuration is a few kilobytes; this is not one. */
#define CONFIG_MAX_BYTES (4L << 20)

struct reader {
	const char *path;
	char *dir; /* the file's directory, for relative paths */
	struct config *c;
};

static int cerr(const struct reader *rd, const struct ynode *n, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
static int cerr(const struct reader *rd, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error("%s:%zu:%zu: %s", rd->path, n->line + 1, n->col + 1, msg);
	free(msg);
	return -1;
}

char *config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (xdg && xdg[0] == '/')
		return xasprintf("%s/%s/config.yaml", xdg, PROGRAM_NAME);
	if (home && *home)
		return xasprintf("%s/.config/%s/config.yaml", home, PROGRAM_NAME);
	error("cannot find the configuration: neither XDG_CONFIG_HOME nor HOME is set (use "
	      "--config FILE)");
	return NULL;
}

/* Names become file names (NAME.db) and words on a command line: letters, digits, . _ - */
static bool valid_name(const char *s)
{
	if (!*s || *s == '.' || *s == '-' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

static int check_keys(const struct reader *rd, const struct ynode *map, const char *const *allowed,
		      const char *what)
{
	size_t nallowed = 0;

	while (allowed[nallowed])
		nallowed++;
	for (size_t i = 0; i < map->npairs; i++) {
		const struct ynode *k = map->pairs[i].key;
		const char *name = ynode_scalar(k);
		bool ok = false;

		if (!name)
			return cerr(rd, k, "expected a key name in %s", what);
		for (size_t j = 0; j < i; j++) {
			const char *prev = ynode_scalar(map->pairs[j].key);

			if (prev && !strcmp(prev, name))
				return cerr(rd, k, "duplicate key '%s' in %s (first at line %zu)",
					    name, what, map->pairs[j].key->line + 1);
		}
		for (size_t j = 0; j < nallowed; j++)
			ok = ok || !strcmp(allowed[j], name);
		if (!ok) {
			const char *s = text_suggest(name, allowed, nallowed);
			struct sbuf sb = SBUF_INIT;
			int rc;

			for (size_t j = 0; j < nallowed; j++)
				sbuf_addf(&sb, "%s%s", j ? ", " : "", allowed[j]);
			if (s)
				rc = cerr(rd, k, "unknown key '%s' in %s (did you mean '%s'?)",
					  name, what, s);
			else
				rc = cerr(rd, k, "unknown key '%s' in %s (expected one of: %s)",
					  name, what, sb.buf);
			sbuf_release(&sb);
			return rc;
		}
	}
	return 0;
}

/* A non-empty string at `key` of `map`: *out a copy; absent: 0 and *out untouched. */
static int get_string(const struct reader *rd, const struct ynode *map, const char *key,
		      const char *what, char **out)
{
	const struct ynode *n = ynode_get(map, key);
	const char *s;

	if (!n)
		return 0;
	s = ynode_scalar(n);
	if (!s || ynode_is_null(n) || !*s)
		return cerr(rd, n, "expected a string for '%s' in %s, got %s", key, what,
			    s ? "nothing" : ynode_kind(n));
	*out = xstrdup(s);
	return 0;
}

/* A path relative to the configuration's directory; URLs, '-' and absolute paths as they are. */
static char *resolve(const struct reader *rd, char *path)
{
	char *abs;

	if (!path || path[0] == '/' || !strcmp(path, "-") || source_is_url(path))
		return path;
	abs = xasprintf("%s/%s", rd->dir, path);
	free(path);
	return abs;
}

static char *state_file(const char *name, const char *suffix)
{
	char *def = state_default_path(), *slash, *path;

	if (!def)
		return NULL;
	slash = strrchr(def, '/');
	*slash = '\0';
	path = xasprintf("%s/%s%s", def, name, suffix);
	free(def);
	return path;
}

static int read_portal(struct reader *rd, const struct ynode *n, struct config_portal *p)
{
	static const char *const keys[] = {"name",     "token_env",   "token_file", "token_command",
					   "api_base", "api_version", NULL};
	const struct ynode *name = ynode_get(n, "name");
	enum hs_api_version v;
	int ntok;

	if (n->type != YNODE_MAPPING)
		return cerr(rd, n,
			    "expected a mapping for a portal (name: ..., token_env: ...), "
			    "got %s",
			    ynode_kind(n));
	if (check_keys(rd, n, keys, "a portal") < 0)
		return -1;
	if (!name)
		return cerr(rd, n, "a portal needs a name");
	if (get_string(rd, n, "name", "a portal", &p->name) < 0 ||
	    get_string(rd, n, "token_env", "a portal", &p->token_env) < 0 ||
	    get_string(rd, n, "token_file", "a portal", &p->token_file) < 0 ||
	    get_string(rd, n, "token_command", "a portal", &p->token_command) < 0 ||
	    get_string(rd, n, "api_base", "a portal", &p->api_base) < 0 ||
	    get_string(rd, n, "api_version", "a portal", &p->api_version) < 0)
		return -1;
	if (!valid_name(p->name))
		return cerr(rd, name,
			    "'%s' is not a portal name (letters, digits, '.', '_', '-'; it names "
			    "its state file)",
			    p->name);
	ntok = !!p->token_env + !!p->token_file + !!p->token_command;
	if (ntok > 1)
		return cerr(rd, n,
			    "portal '%s': one of token_env, token_file, token_command, not %d",
			    p->name, ntok);
	if (p->api_version && hs_api_version_parse(p->api_version, &v))
		return cerr(rd, ynode_get(n, "api_version"),
			    "'%s' is not a HubSpot API version we speak (%s)", p->api_version,
			    hs_api_versions_known());
	p->token_file = resolve(rd, p->token_file);
	p->state = state_file(p->name, ".db");
	p->lock = state_file(p->name, ".lock");
	return p->state && p->lock ? 0 : -1;
}

static int check_when(const struct reader *rd, const struct ynode *map, const char *key,
		      const char *text)
{
	int64_t t;

	if (!text || !time_parse_when(text, time_now(), &t))
		return 0;
	return cerr(rd, ynode_get(map, key),
		    "'%s' is not a date for '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z, today, or "
		    "relative to today: -30d, +2w, +6m, +1y)",
		    text, key);
}

static int read_calendar(struct reader *rd, const struct ynode *n, struct config_calendar *cal)
{
	static const char *const keys[] = {"name",  "source", "portal", "mapping",
					   "since", "until",  "state",	NULL};
	const struct ynode *name = ynode_get(n, "name"), *portal = ynode_get(n, "portal");
	char *pname = NULL;
	struct config *c = rd->c;

	if (n->type != YNODE_MAPPING)
		return cerr(rd, n,
			    "expected a mapping for a calendar (name: ..., source: ...), "
			    "got %s",
			    ynode_kind(n));
	if (check_keys(rd, n, keys, "a calendar") < 0)
		return -1;
	if (!name)
		return cerr(rd, n, "a calendar needs a name");
	if (!ynode_get(n, "source"))
		return cerr(rd, n, "a calendar needs a source (a file or an https:// URL)");
	if (get_string(rd, n, "name", "a calendar", &cal->name) < 0 ||
	    get_string(rd, n, "source", "a calendar", &cal->source) < 0 ||
	    get_string(rd, n, "portal", "a calendar", &pname) < 0 ||
	    get_string(rd, n, "mapping", "a calendar", &cal->mapping) < 0 ||
	    get_string(rd, n, "since", "a calendar", &cal->since) < 0 ||
	    get_string(rd, n, "until", "a calendar", &cal->until) < 0 ||
	    get_string(rd, n, "state", "a calendar", &cal->state) < 0) {
		free(pname);
		return -1;
	}
	if (!valid_name(cal->name)) {
		free(pname);
		return cerr(rd, name,
			    "'%s' is not a calendar name (letters, digits, '.', '_', '-')",
			    cal->name);
	}
	if (pname) {
		cal->portal = config_portal(c, pname);
		if (!cal->portal) {
			cerr(rd, portal, "calendar '%s': no portal '%s' in this file", cal->name,
			     pname);
			free(pname);
			return -1;
		}
		free(pname);
	} else if (c->nportals == 1) {
		cal->portal = &c->portals[0];
	} else {
		return cerr(rd, n, "calendar '%s': which portal? (portal: NAME; this file has %zu)",
			    cal->name, c->nportals);
	}
	if (check_when(rd, n, "since", cal->since) < 0 ||
	    check_when(rd, n, "until", cal->until) < 0)
		return -1;
	cal->source = resolve(rd, cal->source);
	if (cal->mapping && !mapping_is_preset_name(cal->mapping))
		cal->mapping = resolve(rd, cal->mapping);
	cal->state = resolve(rd, cal->state);
	return 0;
}

static int read_root(struct reader *rd, const struct ynode *root)
{
	static const char *const keys[] = {"version", "portals", "calendars", NULL};
	const struct ynode *v, *ps, *cs;
	struct config *c = rd->c;

	if (root->type != YNODE_MAPPING)
		return cerr(rd, root,
			    "expected a mapping (version: 1, portals: ..., calendars: ...)");
	if (check_keys(rd, root, keys, "the configuration") < 0)
		return -1;
	v = ynode_get(root, "version");
	if (!v)
		return cerr(rd, root, "missing 'version: 1'");
	if (!ynode_scalar(v) || strcmp(ynode_scalar(v), "1"))
		return cerr(rd, v, "unsupported version (expected 1)");
	ps = ynode_get(root, "portals");
	if (!ps || ps->type != YNODE_SEQUENCE || !ps->nitems)
		return cerr(rd, ps ? ps : root,
			    "expected a list of portals (portals: [{name: ...}])");
	cs = ynode_get(root, "calendars");
	if (!cs || cs->type != YNODE_SEQUENCE || !cs->nitems)
		return cerr(rd, cs ? cs : root,
			    "expected a list of calendars (calendars: [{name: ..., source: ...}])");
	c->portals = xcalloc(ps->nitems, sizeof(*c->portals));
	for (size_t i = 0; i < ps->nitems; i++) {
		if (read_portal(rd, ps->items[i], &c->portals[c->nportals++]) < 0)
			return -1;
		for (size_t j = 0; j + 1 < c->nportals; j++)
			if (!strcmp(c->portals[j].name, c->portals[i].name))
				return cerr(rd, ps->items[i], "a second portal named '%s'",
					    c->portals[i].name);
	}
	c->calendars = xcalloc(cs->nitems, sizeof(*c->calendars));
	for (size_t i = 0; i < cs->nitems; i++) {
		struct config_calendar *cal = &c->calendars[c->ncalendars++];

		if (read_calendar(rd, cs->items[i], cal) < 0)
			return -1;
		for (size_t j = 0; j + 1 < c->ncalendars; j++)
			if (!strcmp(c->calendars[j].name, cal->name))
				return cerr(rd, cs->items[i], "a second calendar named '%s'",
					    cal->name);
		if (config_portal(c, cal->name))
			return cerr(
				rd, cs->items[i],
				"'%s' names a portal and a calendar: a NAME on the command line "
				"must say which",
				cal->name);
	}
	return 0;
}

struct config *config_load(const char *path)
{
	struct reader rd = {0};
	struct ydoc doc;
	char *owned = NULL, *text = NULL, *slash;
	unsigned mode = 0;
	struct config *c = NULL;

	if (!path) {
		owned = config_default_path();
		if (!owned)
			return NULL;
		path = owned;
	}
	if (access(path, F_OK)) {
		error("no configuration '%s' (docs/config.md shows one; --config FILE names another)",
		      path);
		goto out;
	}
	if (file_read_small(path, CONFIG_MAX_BYTES, &text, &mode))
		goto out;
	rd.path = path;
	slash = strrchr(path, '/');
	if (path[0] == '/')
		rd.dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	else {
		char *cwd = getcwd(NULL, 0);

		rd.dir = slash ? xasprintf("%s/%.*s", cwd ? cwd : ".", (int)(slash - path), path)
			       : xstrdup(cwd ? cwd : ".");
		free(cwd);
	}
	if (ydoc_load(path, text, strlen(text), CONFIG_MAX_DEPTH, &doc) < 0)
		goto out;
	rd.c = xcalloc(1, sizeof(*rd.c));
	rd.c->path = xstrdup(path);
	if (!doc.root)
		error("%s: the configuration is empty (docs/config.md shows one)", path);
	else if (read_root(&rd, doc.root) == 0)
		c = rd.c;
	if (!c)
		config_free(rd.c);
	ydoc_release(&doc);
out:
	free(rd.dir);
	free(text);
	free(owned);
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nportals; i++) {
		struct config_portal *p = &c->portals[i];

		free(p->name);
		free(p->token_env);
		free(p->token_file);
		free(p->token_command);
		free(p->api_base);
		free(p->api_version);
		free(p->state);
		free(p->lock);
	}
	for (size_t i = 0; i < c->ncalendars; i++) {
		struct config_calendar *cal = &c->calendars[i];

		free(cal->name);
		free(cal->source);
		free(cal->mapping);
		free(cal->since);
		free(cal->until);
		free(cal->state);
	}
	free(c->portals);
	free(c->calendars);
	free(c->path);
	free(c);
}

const struct config_portal *config_portal(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nportals; i++)
		if (c->portals[i].name && !strcmp(c->portals[i].name, name))
			return &c->portals[i];
	return NULL;
}

const struct config_calendar *config_calendar(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->ncalendars; i++)
		if (c->calendars[i].name && !strcmp(c->calendars[i].name, name))
			return &c->calendars[i];
	return NULL;
}

const char *config_calendar_state(const struct config_calendar *cal)
{
	return cal->state ? cal->state : cal->portal->state;
}

void config_portal_options(const struct config_portal *p, const struct app_options *base,
			   struct app_options *out)
{
	*out = *base;
	out->args = NULL;
	out->nargs = 0;
	out->mapping_found = NULL;
	out->associate = base->associate;
	if (!base->token_file && !base->token_env && !base->token_command) {
		out->token_env = p->token_env;
		out->token_file = p->token_file;
		out->token_command = p->token_command;
	}
	if (!base->api_base)
		out->api_base = p->api_base;
	if (!base->api_version)
		out->api_version = p->api_version;
	if (!base->state)
		out->state = p->state;
	out->portal_name = p->name;
}

int config_calendar_options(const struct config_calendar *cal, const struct app_options *base,
			    struct app_options *out)
{
	config_portal_options(cal->portal, base, out);
	out->state = base->state ? base->state : config_calendar_state(cal);
	out->args = xcalloc(1, sizeof(*out->args));
	out->args[0] = cal->source;
	out->nargs = 1;
	out->name = cal->name;
	if (!base->has_since && cal->since) {
		time_parse_when(cal->since, time_now(), &out->since);
		out->has_since = true;
	}
	if (!base->has_until && cal->until) {
		time_parse_when(cal->until, time_now(), &out->until);
		out->has_until = true;
	}
	if (out->has_since && out->has_until && out->until <= out->since) {
		error("%s: calendar '%s': until must be after since", cal->portal->name, cal->name);
		config_options_release(out);
		return EXIT_USAGE;
	}
	if (!base->mapping && cal->mapping) {
		char *known = NULL;

		out->mapping_found = mapping_find(cal->mapping, &known);
		if (!out->mapping_found) {
			error("calendar '%s': no mapping preset '%s' (presets: %s)", cal->name,
			      cal->mapping, known);
			free(known);
			config_options_release(out);
			return EXIT_USAGE;
		}
		out->mapping = out->mapping_found;
	}
	return 0;
}

void config_options_release(struct app_options *o)
{
	FREE_NULL(o->mapping_found);
	FREE_NULL(o->args);
	o->nargs = 0;
}

int config_select(const struct config *c, char *const *names, size_t n, bool *sel,
		  const char *command)
{
	for (size_t i = 0; i < c->ncalendars; i++)
		sel[i] = n == 0;
	for (size_t k = 0; k < n; k++) {
		const struct config_calendar *cal = config_calendar(c, names[k]);
		const struct config_portal *p = cal ? NULL : config_portal(c, names[k]);

		if (!cal && !p) {
			const char **all = xcalloc(c->ncalendars + c->nportals, sizeof(*all));
			size_t na = 0;
			const char *s;

			for (size_t i = 0; i < c->ncalendars; i++)
				all[na++] = c->calendars[i].name;
			for (size_t i = 0; i < c->nportals; i++)
				all[na++] = c->portals[i].name;
			s = text_suggest(names[k], all, na);
			free(all);
			return usage_error(command,
					   "'%s' is neither a calendar nor a portal of %s%s%s%s",
					   names[k], c->path, s ? " (did you mean '" : "",
					   s ? s : "", s ? "'?)" : "");
		}
		for (size_t i = 0; i < c->ncalendars; i++)
			if (&c->calendars[i] == cal || c->calendars[i].portal == p)
				sel[i] = true;
	}
	return 0;
}

struct config *config_from_options(const struct app_options *o)
{
	return config_load(o->config);
}
