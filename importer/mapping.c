/* mapping: the YAML mapping file (libyaml), compiled once, applied to every occurrence. */
#include "mapping.h"
#include "template.h"
#include "util.h"
#include "yamldoc.h"

/* the generated string is longer than C99 compilers must support; gcc and clang cope */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "default_mapping.h"
#pragma GCC diagnostic pop

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * skip_matching regexes: PCRE2, the only module that includes it. Every match has a
 * budget (documented in docs/mapping.md): a pattern that backtracks without end over a
 * long description stops after MATCH_LIMIT steps instead of taking seconds per occurrence.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#define REGEX_MATCH_LIMIT 1000000 /* backtracking steps per match (pcre2_set_match_limit) */
#define REGEX_DEPTH_LIMIT 10000 /* nested backtracking (pcre2_set_depth_limit) */
#define REGEX_HEAP_LIMIT  16384 /* KiB of backtracking memory (pcre2_set_heap_limit) */
/* A mapping nests about four levels: deeper YAML is refused before it is loaded. */
#define YAML_MAX_DEPTH 32

#define DEFAULT_MAPPING_NAME "<built-in default.yaml>"
#define TEXT_MAX	     65536
#define TITLE_MAX	     255

const char *const mapping_known_properties[] = {
	"hs_timestamp",
	"hs_meeting_title",
	"hubspot_owner_id",
	"hs_meeting_body",
	"hs_internal_meeting_notes",
	"hs_meeting_external_url",
	"hs_meeting_location",
	"hs_meeting_start_time",
	"hs_meeting_end_time",
	"hs_meeting_outcome",
	"hs_activity_type",
	"hs_attachment_ids",
	"hs_attendee_owner_ids",
	"hs_meeting_location_type",
	"hs_i_cal_uid", /* writability unverified (docs/hubspot-api.md): check --remote tells */
	NULL,
};

/* Set by HubSpot: mapping them is an error. */
static const char *const read_only_properties[] = {
	"hs_object_id",		"hs_createdate",	"hs_lastmodifieddate",
	"hs_meeting_source",	"hs_meeting_source_id", "hs_meeting_calendar_event_hash",
	"hs_meeting_change_id", "hs_engagement_source", "hs_engagement_source_id",
	"hs_unique_id",		"hs_object_source",	NULL,
};

/* Values HubSpot defines for its enumeration properties (portals may add more). */
static const char *const outcome_values[] = {"SCHEDULED", "COMPLETED", "RESCHEDULED",
					     "NO_SHOW",	  "CANCELED",  NULL};
static const char *const location_type_values[] = {"ADDRESS", "CUSTOM", "PHONE", "VCE", NULL};

/* Free-mail domains: never associated as companies. */
static const char *const free_mail_domains[] = {
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
	"msn.com",   "yahoo.com",      "icloud.com",  "me.com",	     "aol.com",
	"proton.me", "protonmail.com", "gmx.de",      "gmx.net",     "web.de",
	"yandex.ru", "mail.ru",	       "qq.com",      "163.com",     NULL,
};

enum prop_kind {
	PK_TEXT,
	PK_DATETIME,
	PK_HTML,
	PK_TITLE,
};

struct prop {
	char *name;
	struct template *value;
	struct template *def; /* long form `default` */
	char **map_from, **map_to;
	size_t nmap;
	char **map_lower; /* map_from lower-cased, indexed by map_index (map_lookup) */
	struct strindex map_index;
	bool clear; /* clear_when_empty */
	bool owner; /* {{ organizer.owner_id }} */
	/* the string literal from mapping_known_properties[] (lives forever, so
	 * meetings can use it as a cJSON constant key), or NULL */
	const char *const_name;
	enum prop_kind kind;
	/* where in the mapping (1-based lines, for messages): the name, the value template,
	 * the default, each map entry's TO */
	size_t line, value_line, def_line;
	size_t *map_line;
};

struct match_rule {
	struct template *field;
	char *field_text;
	char *regex_text;
	pcre2_code *re;
	pcre2_match_context *mctx;
	bool compiled;
};

struct static_assoc {
	enum assoc_kind kind;
	char *id;
};

struct strv {
	char **v;
	size_t n;
};

struct mapping {
	char *path;
	char *identity;
	enum on_removed on_removed;
	enum hubspot_synced hubspot_synced;
	struct prop *props;
	size_t nprops;
	const char *owner_prop;
	struct strv custom;
	char **custom_type; /* per custom property: the type the mapping says, or NULL */
	size_t *custom_line;

	bool skip_private, skip_cancelled, skip_all_day, skip_free;
	struct strv declined_by;
	struct strv outside;
	struct match_rule *matching;
	size_t nmatching;

	struct mapping_contacts contacts;
	struct strv contacts_exclude; /* backs contacts.exclude_domains */
	bool companies;
	bool companies_free_mail;
	struct strv companies_exclude;
	bool companies_exclude_owners; /* exclude_domains holds "owners" (the default) */
	struct static_assoc *statics;
	size_t nstatics;
};

static void strv_push(struct strv *s, char *str)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = str;
}

static void strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool strv_has(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

void mapping_free(struct mapping *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nprops; i++) {
		struct prop *p = &m->props[i];

		free(p->name);
		template_free(p->value);
		template_free(p->def);
		for (size_t k = 0; k < p->nmap; k++) {
			free(p->map_from[k]);
			free(p->map_to[k]);
		}
		free(p->map_from);
		free(p->map_to);
		for (size_t k = 0; k < p->nmap; k++)
			free(p->map_lower[k]);
		free(p->map_lower);
		strindex_release(&p->map_index);
		free(p->map_line);
	}
	free(m->props);
	for (size_t i = 0; i < m->nmatching; i++) {
		template_free(m->matching[i].field);
		free(m->matching[i].field_text);
		free(m->matching[i].regex_text);
		pcre2_code_free(m->matching[i].re);
		pcre2_match_context_free(m->matching[i].mctx);
	}
	free(m->matching);
	for (size_t i = 0; i < m->nstatics; i++)
		free(m->statics[i].id);
	free(m->statics);
	for (size_t i = 0; i < m->custom.n; i++)
		free(m->custom_type[i]);
	free(m->custom_type);
	free(m->custom_line);
	strv_clear(&m->custom);
	strv_clear(&m->declined_by);
	strv_clear(&m->outside);
	strv_clear(&m->contacts_exclude);
	strv_clear(&m->companies_exclude);
	free(m->identity);
	free(m->path);
	free(m);
}

/* ---- loading ----------------------------------------------------------------------------- */

struct loader {
	const char *path; /* for messages */
	const char *src; /* the YAML text */
	struct ydoc doc;
	struct mapping *m;
	size_t budget; /* map entries and properties the mapping may still read (aliases) */
};

static int lerr_at(struct loader *ld, size_t line, size_t col, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static int lerr_at(struct loader *ld, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error("%s:%zu:%zu: %s", ld->path, line + 1, col + 1, msg);
	free(msg);
	return -1;
}

#define lerr(ld, node, ...) lerr_at((ld), (node)->line, (node)->col, __VA_ARGS__)

/*
 * A YAML alias reads a node again wherever it is used: 1,000 properties sharing a
 * 10,000-entry map through one alias are 10,000,000 entries read from 182 KB. What is
 * read counts against a budget of the document's own nodes plus MAPPING_ALIAS_EXTRA,
 * which sharing a few maps stays far below.
 */
#define MAPPING_ALIAS_EXTRA 100000

static int spend(struct loader *ld, struct ynode *n, size_t count)
{
	if (count <= ld->budget) {
		ld->budget -= count;
		return 0;
	}
	return lerr(ld, n,
		    "aliases make the mapping read more than %zu entries (its own %zu nodes "
		    "+ %d): share less through aliases",
		    ld->doc.nnodes + MAPPING_ALIAS_EXTRA, ld->doc.nnodes, MAPPING_ALIAS_EXTRA);
}

static const char *scalar(const struct ynode *n)
{
	return ynode_scalar(n);
}

/* A plain empty, "~" or "null" scalar. */
static bool is_null(const struct ynode *n)
{
	const char *s = scalar(n);

	return s && n->style == YSTYLE_PLAIN &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

static const char *node_kind(const struct ynode *n)
{
	if (n->type == YNODE_MAPPING)
		return "a mapping";
	if (n->type == YNODE_SEQUENCE)
		return "a list";
	return "a scalar";
}

/*
 * Check the keys of a mapping node: all scalars, all in `allowed`, no
 * duplicates. `what` names the section in messages.
 */
static int check_keys(struct loader *ld, struct ynode *map, const char *const *allowed,
		      const char *what)
{
	size_t nallowed = 0;

	while (allowed[nallowed])
		nallowed++;
	for (struct ynode_pair *p = map->pairs; p < (map->pairs + map->npairs); p++) {
		struct ynode *k = p->key;
		const char *name = scalar(k);

		if (!name)
			return lerr(ld, k, "expected a key name in %s", what);
		for (struct ynode_pair *q = map->pairs; q < p; q++) {
			struct ynode *k2 = q->key;

			if (scalar(k2) && !strcmp(scalar(k2), name))
				return lerr(ld, k, "duplicate key '%s' in %s (first at line %zu)",
					    name, what, k2->line + 1);
		}
		if (!in_list(allowed, name)) {
			const char *s = text_suggest(name, allowed, nallowed);

			if (s)
				return lerr(ld, k, "unknown key '%s' in %s (did you mean '%s'?)",
					    name, what, s);
			return lerr(ld, k, "unknown key '%s' in %s (expected one of: %s)", name,
				    what, "see docs/mapping.md");
		}
	}
	return 0;
}

/* The value node of `key` in a mapping node, or NULL. */
static struct ynode *get(struct loader *ld, struct ynode *map, const char *key)
{
	(void)ld;
	return ynode_get(map, key);
}

static int want_mapping(struct loader *ld, struct ynode *n, const char *what)
{
	if (n->type != YNODE_MAPPING)
		return lerr(ld, n, "expected a mapping for '%s', got %s", what, node_kind(n));
	return 0;
}

static int get_bool(struct loader *ld, struct ynode *map, const char *key, const char *section,
		    bool *out)
{
	struct ynode *n = get(ld, map, key);
	const char *s;
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};

	if (!n)
		return 0;
	s = scalar(n);
	if (s && n->style == YSTYLE_PLAIN) {
		for (size_t i = 0; yes[i]; i++)
			if (!strcasecmp(s, yes[i])) {
				*out = true;
				return 0;
			}
		for (size_t i = 0; no[i]; i++)
			if (!strcasecmp(s, no[i])) {
				*out = false;
				return 0;
			}
	}
	return lerr(ld, n, "expected true or false for '%s.%s', got %s%s%s", section, key,
		    s ? "'" : "", s ? s : node_kind(n), s ? "'" : "");
}

/* A non-empty string scalar. */
static int get_string(struct loader *ld, struct ynode *n, const char *what, const char **out)
{
	const char *s = scalar(n);

	if (!s || is_null(n))
		return lerr(ld, n, "expected a string for '%s', got %s", what,
			    s ? "nothing" : node_kind(n));
	*out = s;
	return 0;
}

enum list_norm {
	NORM_NONE,
	NORM_EMAIL,
	NORM_DOMAIN,
	NORM_EXCLUDE, /* a domain, or the word "owners" (the portal's users' domains) */
	NORM_PROPERTY,
};

/* A list of strings (a null value is the empty list). */
static int get_list(struct loader *ld, struct ynode *map, const char *key, const char *section,
		    enum list_norm norm, struct strv *out)
{
	struct ynode *n = get(ld, map, key);

	if (!n || is_null(n))
		return 0;
	if (n->type != YNODE_SEQUENCE)
		return lerr(ld, n, "expected a list for '%s%s%s', e.g. [a, b], got %s", section,
			    *section ? "." : "", key, node_kind(n));
	for (struct ynode **it = n->items; it < (n->items + n->nitems); it++) {
		struct ynode *item = *it;
		const char *s = scalar(item);
		char *v;

		if (!s || is_null(item))
			return lerr(ld, item, "expected a string in '%s%s%s', got %s", section,
				    *section ? "." : "", key, s ? "nothing" : node_kind(item));
		if (norm == NORM_EMAIL) {
			v = email_normalize(s);
			if (!v)
				return lerr(ld, item, "'%s' in '%s.%s' is not an e-mail address", s,
					    section, key);
		} else if (norm == NORM_DOMAIN || norm == NORM_EXCLUDE) {
			v = str_lower(str_trim(xstrdup(s)));
			if (v[0] == '@')
				memmove(v, v + 1, strlen(v));
			if (norm == NORM_EXCLUDE && !strcmp(v, "owners")) {
				/* kept as the keyword; see take_owners() */
			} else if (!*v || strchr(v, '@') || strchr(v, ' ') || !strchr(v, '.')) {
				free(v);
				return lerr(ld, item, "'%s' in '%s.%s' is not a domain name", s,
					    section, key);
			}
		} else {
			v = xstrdup(s);
		}
		if (strv_has(out, v)) {
			free(v);
			continue;
		}
		strv_push(out, v);
	}
	return 0;
}

static bool valid_property_name(const char *s)
{
	if (!islower((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/*
 * Compile a template from a scalar node; errors point into the YAML file
 * (line and column of the offending character, as well as the scalar
 * style lets us know).
 */
static struct template *compile_node(struct loader *ld, struct ynode *n, enum template_mode mode,
				     const char *what)
{
	struct template_error err;
	struct template *t;
	const char *text = scalar(n);
	size_t line, col, nl = 0, last_nl = 0;
	enum ynode_style style;

	if (!text) {
		lerr(ld, n, "expected a template string for '%s', got %s", what, node_kind(n));
		return NULL;
	}
	t = template_compile(text, mode, &err);
	if (t)
		return t;
	style = n->style;
	line = n->line;
	col = n->col;
	for (size_t i = 0; i < err.offset; i++)
		if (text[i] == '\n') {
			nl++;
			last_nl = i + 1;
		}
	if (style == YSTYLE_LITERAL || style == YSTYLE_FOLDED || nl) {
		/* find the indentation of the line in the source */
		const char *p = ld->src;
		size_t target = line + nl + (style == YSTYLE_LITERAL || style == YSTYLE_FOLDED);

		for (size_t l = 0; l < target && p; l++) {
			p = strchr(p, '\n');
			if (p)
				p++;
		}
		col = 0;
		while (p && (p[col] == ' ' || p[col] == '\t'))
			col++;
		line = target;
		col += err.offset - last_nl;
	} else {
		col += (style == YSTYLE_PLAIN ? 0 : 1) + err.offset;
	}
	lerr_at(ld, line, col, "%s", err.message);
	free(err.message);
	return NULL;
}

static enum prop_kind prop_kind_of(const char *name)
{
	if (!strcmp(name, "hs_timestamp") || !strcmp(name, "hs_meeting_start_time") ||
	    !strcmp(name, "hs_meeting_end_time"))
		return PK_DATETIME;
	if (!strcmp(name, "hs_meeting_body") || !strcmp(name, "hs_internal_meeting_notes"))
		return PK_HTML;
	if (!strcmp(name, "hs_meeting_title"))
		return PK_TITLE;
	return PK_TEXT;
}

static const char *const *enum_values(const char *name)
{
	if (!strcmp(name, "hs_meeting_outcome"))
		return outcome_values;
	if (!strcmp(name, "hs_meeting_location_type"))
		return location_type_values;
	return NULL;
}

static void warn_enum(struct loader *ld, struct ynode *n, const char *prop, const char *value)
{
	const char *const *vals = enum_values(prop);

	if (!vals || in_list(vals, value) || !*value)
		return;
	warning("%s:%zu:%zu: '%s' is not one of HubSpot's default values for '%s'; "
		"'check --remote' verifies it against your portal",
		ld->path, n->line + 1, n->col + 1, value, prop);
}

static int load_property(struct loader *ld, struct ynode *knode, struct ynode *v, struct prop *p)
{
	static const char *const long_keys[] = {"value", "map", "default", NULL};
	struct mapping *m = ld->m;
	const char *name = scalar(knode);
	const char *lit;

	if (!valid_property_name(name))
		return lerr(
			ld, knode,
			"'%s' is not a HubSpot property name (lower-case letters, digits and _)",
			name);
	if (in_list(read_only_properties, name))
		return lerr(ld, knode, "property '%s' is set by HubSpot and cannot be written",
			    name);
	if (!strcmp(name, m->identity))
		return lerr(
			ld, knode,
			"property '%s' is the identity property: ics2hubspot sets it to the occurrence key",
			name);
	if (!in_list(mapping_known_properties, name) && !strv_has(&m->custom, name)) {
		size_t n = 0;
		const char *s;

		while (mapping_known_properties[n])
			n++;
		s = text_suggest(name, mapping_known_properties, n);
		if (s)
			return lerr(
				ld, knode,
				"unknown meeting property '%s' (did you mean '%s'?); declare your own properties under custom_properties",
				name, s);
		return lerr(
			ld, knode,
			"unknown meeting property '%s'; declare your own properties under custom_properties",
			name);
	}
	p->name = xstrdup(name);
	p->kind = prop_kind_of(name);
	p->line = p->value_line = knode->line + 1;
	for (size_t i = 0; mapping_known_properties[i]; i++)
		if (!strcmp(mapping_known_properties[i], name))
			p->const_name = mapping_known_properties[i];
	if (v->type == YNODE_SCALAR) {
		p->value_line = v->line + 1;
		p->value = compile_node(ld, v, TEMPLATE_TEXT, name);
		if (!p->value)
			return -1;
		if (template_is_literal(p->value, &lit))
			warn_enum(ld, v, name, lit);
	} else if (v->type == YNODE_MAPPING) {
		struct ynode *val, *map, *def;
		char *what = xasprintf("properties.%s", name);
		int ret = check_keys(ld, v, long_keys, what);

		free(what);
		if (ret < 0)
			return -1;
		val = get(ld, v, "value");
		if (!val)
			return lerr(ld, v, "property '%s' needs a 'value' template", name);
		p->value = compile_node(ld, val, TEMPLATE_TEXT, name);
		if (!p->value)
			return -1;
		p->value_line = val->line + 1;
		def = get(ld, v, "default");
		if (def) {
			p->def_line = def->line + 1;
			p->def = compile_node(ld, def, TEMPLATE_TEXT, name);
			if (!p->def)
				return -1;
			if (template_is_owner_id(p->def))
				return lerr(
					ld, def,
					"organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\"");
			if (template_is_literal(p->def, &lit))
				warn_enum(ld, def, name, lit);
		}
		map = get(ld, v, "map");
		if (map) {
			size_t npairs;
			char **lower; /* the FROMs lower-cased: duplicates ignore case */
			struct strindex *seen = &p->map_index;
			int bad = 0;

			if (want_mapping(ld, map, "map") < 0)
				return -1;
			npairs = (size_t)((map->pairs + map->npairs) - map->pairs);
			if (spend(ld, knode, npairs) < 0)
				return -1;
			p->map_from = xcalloc(npairs + 1, sizeof(char *));
			p->map_to = xcalloc(npairs + 1, sizeof(char *));
			p->map_line = xcalloc(npairs + 1, sizeof(*p->map_line));
			lower = xcalloc(npairs + 1, sizeof(char *));
			for (struct ynode_pair *q = map->pairs;
			     q < (map->pairs + map->npairs) && !bad; q++) {
				struct ynode *from = q->key, *to = q->value;

				if (!scalar(from) || !scalar(to)) {
					bad = lerr(ld, !scalar(from) ? from : to,
						   "expected 'FROM: TO' strings in the map of '%s'",
						   name);
					break;
				}
				lower[p->nmap] = str_lower(xstrdup(scalar(from)));
				if (!strindex_put(seen, lower[p->nmap], p->nmap)) {
					free(lower[p->nmap]);
					lower[p->nmap] = NULL;
					bad = lerr(ld, from,
						   "duplicate key '%s' in the map of '%s'",
						   scalar(from), name);
					break;
				}
				p->map_line[p->nmap] = to->line + 1;
				p->map_from[p->nmap] = xstrdup(scalar(from));
				p->map_to[p->nmap] = xstrdup(is_null(to) ? "" : scalar(to));
				p->nmap++;
				warn_enum(ld, to, name, scalar(to));
			}
			p->map_lower = lower; /* freed with the mapping */
			if (bad < 0)
				return -1;
		}
		if (template_is_owner_id(p->value) && (p->nmap || p->def))
			return lerr(
				ld, val,
				"organizer.owner_id is looked up after mapping: it takes no map or default");
	} else {
		return lerr(ld, v,
			    "expected a template string or {value, map, default} for '%s', got %s",
			    name, node_kind(v));
	}
	if (template_is_owner_id(p->value)) {
		if (m->owner_prop)
			return lerr(
				ld, knode,
				"organizer.owner_id is already mapped to '%s'; map it to one property only",
				m->owner_prop);
		p->owner = true;
		m->owner_prop = p->name;
	}
	return 0;
}

static int load_properties(struct loader *ld, struct ynode *n)
{
	struct mapping *m = ld->m;
	bool has_timestamp = false;
	struct strindex seen = {0}; /* property names: duplicates found in linear time */

	if (want_mapping(ld, n, "properties") < 0)
		return -1;
	m->props = xcalloc((size_t)((n->pairs + n->npairs) - n->pairs) + 1, sizeof(*m->props));
	for (struct ynode_pair *q = n->pairs; q < (n->pairs + n->npairs); q++) {
		struct ynode *k = q->key;
		size_t first;

		if (!scalar(k)) {
			strindex_release(&seen);
			return lerr(ld, k, "expected a property name in properties");
		}
		if (!strindex_put(&seen, scalar(k), (size_t)(q - n->pairs))) {
			struct ynode *k2;

			strindex_get(&seen, scalar(k), &first);
			k2 = n->pairs[first].key;
			strindex_release(&seen);
			return lerr(ld, k, "duplicate key '%s' in properties (first at line %zu)",
				    scalar(k), k2->line + 1);
		}
		if (spend(ld, k, 1) < 0 ||
		    load_property(ld, k, q->value, &m->props[m->nprops++]) < 0) {
			strindex_release(&seen);
			return -1;
		}
		if (!strcmp(scalar(k), "hs_timestamp"))
			has_timestamp = true;
	}
	strindex_release(&seen);
	if (!has_timestamp)
		return lerr(
			ld, n,
			"properties must map hs_timestamp (HubSpot requires it), e.g. hs_timestamp: \"{{ start }}\"");
	return 0;
}

static int load_filters(struct loader *ld, struct ynode *n)
{
	static const char *const keys[] = {
		"skip_private", "skip_cancelled",	    "skip_declined_by", "skip_all_day",
		"skip_free",	"require_attendee_outside", "skip_matching",	NULL};
	static const char *const rule_keys[] = {"field", "regex", NULL};
	struct mapping *m = ld->m;
	struct ynode *sm;

	if (is_null(n))
		return 0;
	if (want_mapping(ld, n, "filters") < 0 || check_keys(ld, n, keys, "filters") < 0)
		return -1;
	if (get_bool(ld, n, "skip_private", "filters", &m->skip_private) < 0 ||
	    get_bool(ld, n, "skip_cancelled", "filters", &m->skip_cancelled) < 0 ||
	    get_bool(ld, n, "skip_all_day", "filters", &m->skip_all_day) < 0 ||
	    get_bool(ld, n, "skip_free", "filters", &m->skip_free) < 0 ||
	    get_list(ld, n, "skip_declined_by", "filters", NORM_EMAIL, &m->declined_by) < 0 ||
	    get_list(ld, n, "require_attendee_outside", "filters", NORM_DOMAIN, &m->outside) < 0)
		return -1;
	sm = get(ld, n, "skip_matching");
	if (!sm || is_null(sm))
		return 0;
	if (sm->type != YNODE_SEQUENCE)
		return lerr(
			ld, sm,
			"expected a list for 'filters.skip_matching', e.g. - { field: summary, regex: \"^lunch\" }");
	m->matching =
		xcalloc((size_t)((sm->items + sm->nitems) - sm->items) + 1, sizeof(*m->matching));
	for (struct ynode **it = sm->items; it < (sm->items + sm->nitems); it++) {
		struct ynode *rule = *it, *f, *re;
		struct match_rule *r = &m->matching[m->nmatching];
		char *what = xasprintf("filters.skip_matching[%zu]", m->nmatching);
		const char *fs, *rs;
		int ret, rc;
		PCRE2_SIZE erroff;

		ret = want_mapping(ld, rule, what);
		if (!ret)
			ret = check_keys(ld, rule, rule_keys, what);
		free(what);
		if (ret < 0)
			return -1;
		f = get(ld, rule, "field");
		re = get(ld, rule, "regex");
		if (!f || !re)
			return lerr(ld, rule,
				    "filters.skip_matching[%zu] needs 'field' and 'regex'",
				    m->nmatching);
		if (get_string(ld, f, "field", &fs) < 0 || get_string(ld, re, "regex", &rs) < 0)
			return -1;
		m->nmatching++;
		r->field = compile_node(ld, f, TEMPLATE_EXPR, "field");
		if (!r->field)
			return -1;
		r->field_text = xstrdup(fs);
		r->regex_text = xstrdup(rs);
		r->re = pcre2_compile((PCRE2_SPTR)rs, PCRE2_ZERO_TERMINATED,
				      PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
					      PCRE2_NO_AUTO_CAPTURE,
				      &rc, &erroff, NULL);
		if (!r->re) {
			PCRE2_UCHAR buf[256];

			pcre2_get_error_message(rc, buf, sizeof(buf));
			return lerr(ld, re, "bad regular expression \"%s\": %s (at offset %zu)", rs,
				    (const char *)buf, (size_t)erroff);
		}
		r->mctx = pcre2_match_context_create(NULL);
		if (!r->mctx)
			die(EXIT_USAGE, "out of memory");
		pcre2_set_match_limit(r->mctx, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(r->mctx, REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(r->mctx, REGEX_HEAP_LIMIT);
		r->compiled = true;
	}
	return 0;
}

/*
 * exclude_domains: [owners, ...]: "owners" stands for the domains of the
 * portal's own users (resolved at import from the owners look-up). It is the
 * default when exclude_domains is not given; a list without it turns it off.
 * Takes the keyword out of `list`; true when it applies.
 */
static bool take_owners(struct loader *ld, struct ynode *section, struct strv *list)
{
	bool found = false;
	size_t k = 0;

	if (!get(ld, section, "exclude_domains"))
		return true;
	for (size_t i = 0; i < list->n; i++) {
		if (!strcmp(list->v[i], "owners")) {
			free(list->v[i]);
			found = true;
		} else {
			list->v[k++] = list->v[i];
		}
	}
	list->n = k;
	return found;
}

static int load_associations(struct loader *ld, struct ynode *n)
{
	static const char *const keys[] = {"contacts", "companies", "static", NULL};
	static const char *const ckeys[] = {"from",
					    "exclude_domains",
					    "include_organizer",
					    "skip_resources",
					    "include_declined",
					    "create_missing",
					    NULL};
	static const char *const cokeys[] = {"from", "exclude_domains", "include_free_mail", NULL};
	static const char *const skeys[] = {"type", "id", NULL};
	struct mapping *m = ld->m;
	struct ynode *c, *st;
	const char *from;

	if (is_null(n))
		return 0;
	if (want_mapping(ld, n, "associations") < 0 || check_keys(ld, n, keys, "associations") < 0)
		return -1;
	c = get(ld, n, "contacts");
	if (c && !is_null(c)) {
		if (want_mapping(ld, c, "associations.contacts") < 0 ||
		    check_keys(ld, c, ckeys, "associations.contacts") < 0)
			return -1;
		m->contacts.enabled = true;
		m->contacts.skip_resources = true;
		if (get(ld, c, "from")) {
			if (get_string(ld, get(ld, c, "from"), "associations.contacts.from",
				       &from) < 0)
				return -1;
			if (strcmp(from, "attendees"))
				return lerr(
					ld, get(ld, c, "from"),
					"associations.contacts.from must be 'attendees', got '%s'",
					from);
		}
		if (get_bool(ld, c, "include_organizer", "associations.contacts",
			     &m->contacts.include_organizer) < 0 ||
		    get_bool(ld, c, "skip_resources", "associations.contacts",
			     &m->contacts.skip_resources) < 0 ||
		    get_bool(ld, c, "include_declined", "associations.contacts",
			     &m->contacts.include_declined) < 0 ||
		    get_bool(ld, c, "create_missing", "associations.contacts",
			     &m->contacts.create_missing) < 0 ||
		    get_list(ld, c, "exclude_domains", "associations.contacts", NORM_EXCLUDE,
			     &m->contacts_exclude) < 0)
			return -1;
		m->contacts.exclude_owners = take_owners(ld, c, &m->contacts_exclude);
		m->contacts.exclude_domains = m->contacts_exclude.v;
		m->contacts.nexclude_domains = m->contacts_exclude.n;
	}
	c = get(ld, n, "companies");
	if (c && !is_null(c)) {
		if (want_mapping(ld, c, "associations.companies") < 0 ||
		    check_keys(ld, c, cokeys, "associations.companies") < 0)
			return -1;
		m->companies = true;
		if (get(ld, c, "from")) {
			if (get_string(ld, get(ld, c, "from"), "associations.companies.from",
				       &from) < 0)
				return -1;
			if (strcmp(from, "attendee_domains"))
				return lerr(
					ld, get(ld, c, "from"),
					"associations.companies.from must be 'attendee_domains', got '%s'",
					from);
		}
		if (get_bool(ld, c, "include_free_mail", "associations.companies",
			     &m->companies_free_mail) < 0 ||
		    get_list(ld, c, "exclude_domains", "associations.companies", NORM_EXCLUDE,
			     &m->companies_exclude) < 0)
			return -1;
		m->companies_exclude_owners = take_owners(ld, c, &m->companies_exclude);
	}
	st = get(ld, n, "static");
	if (st && !is_null(st)) {
		if (st->type != YNODE_SEQUENCE)
			return lerr(
				ld, st,
				"expected a list for 'associations.static', e.g. [ { type: deal, id: \"1234\" } ]");
		m->statics = xcalloc((size_t)((st->items + st->nitems) - st->items) + 1,
				     sizeof(*m->statics));
		for (struct ynode **it = st->items; it < (st->items + st->nitems); it++) {
			struct ynode *a = *it, *t, *id;
			const char *ts, *ids;
			enum assoc_kind kind;

			if (want_mapping(ld, a, "associations.static[]") < 0 ||
			    check_keys(ld, a, skeys, "associations.static[]") < 0)
				return -1;
			t = get(ld, a, "type");
			id = get(ld, a, "id");
			if (!t || !id)
				return lerr(ld, a,
					    "associations.static entries need 'type' and 'id'");
			if (get_string(ld, t, "type", &ts) < 0 ||
			    get_string(ld, id, "id", &ids) < 0)
				return -1;
			if (assoc_kind_parse(ts, &kind) < 0)
				return lerr(
					ld, t,
					"unknown association type '%s' (expected contact, company, deal or ticket)",
					ts);
			for (const char *p = ids; *p; p++)
				if (!isdigit((unsigned char)*p))
					return lerr(
						ld, id,
						"association id '%s' is not a HubSpot record id (digits)",
						ids);
			m->statics[m->nstatics].kind = kind;
			m->statics[m->nstatics].id = xstrdup(ids);
			m->nstatics++;
		}
	}
	return 0;
}

const char *const mapping_custom_types[] = {"text",	"textarea", "number",
					    "datetime", "select",   NULL};

/*
 * custom_properties: [NAME, {NAME: TYPE}, ...]: the portal's own meeting
 * properties the mapping may write; TYPE (default text) is what `setup`
 * creates a missing one as.
 */
static int load_custom(struct loader *ld, struct ynode *n)
{
	struct mapping *m = ld->m;
	size_t cap = 0;

	if (!n || is_null(n))
		return 0;
	if (n->type != YNODE_SEQUENCE)
		return lerr(
			ld, n,
			"expected a list for 'custom_properties', e.g. [my_prop, {my_day: date}], "
			"got %s",
			node_kind(n));
	for (struct ynode **it = n->items; it < (n->items + n->nitems); it++) {
		struct ynode *item = *it, *name_node = item, *type_node = NULL;
		const char *name, *type = NULL;

		if (item->type == YNODE_MAPPING &&
		    (item->pairs + item->npairs) - item->pairs == 1) {
			name_node = item->pairs->key;
			type_node = item->pairs->value;
		}
		name = scalar(name_node);
		if (!name || is_null(name_node))
			return lerr(
				ld, item,
				"expected a property name or {NAME: TYPE} in 'custom_properties', "
				"got %s",
				node_kind(item));
		if (!valid_property_name(name))
			return lerr(
				ld, name_node,
				"'%s' is not a HubSpot property name (lower-case letters, digits and _)",
				name);
		if (type_node) {
			type = scalar(type_node);
			if (!type || !in_list(mapping_custom_types, type))
				return lerr(ld, type_node,
					    "'%s' is not a custom property type (text, textarea, "
					    "number, datetime or select)",
					    type ? type : node_kind(type_node));
		}
		if (strv_has(&m->custom, name))
			continue;
		XGROW(m->custom_type, cap, m->custom.n + 1);
		m->custom_line = xrealloc(m->custom_line, cap * sizeof(*m->custom_line));
		m->custom_type[m->custom.n] = type && strcmp(type, "text") ? xstrdup(type) : NULL;
		m->custom_line[m->custom.n] = name_node->line + 1;
		strv_push(&m->custom, xstrdup(name));
	}
	return 0;
}

static int load_root(struct loader *ld, struct ynode *root)
{
	static const char *const keys[] = {"version",	       "identity_property",
					   "on_removed",       "hubspot_synced",
					   "properties",       "custom_properties",
					   "clear_when_empty", "filters",
					   "associations",     NULL};
	struct mapping *m = ld->m;
	struct ynode *n;
	struct strv clear = {NULL, 0};
	const char *s;
	int ret = -1;

	if (root->type != YNODE_MAPPING)
		return lerr(ld, root,
			    "expected a mapping (version:, properties:, ...) at the top, got %s",
			    node_kind(root));
	if (check_keys(ld, root, keys, "the mapping") < 0)
		return -1;
	n = get(ld, root, "version");
	if (!n)
		return lerr(ld, root, "missing 'version: 1'");
	if (!scalar(n) || strcmp(scalar(n), "1"))
		return lerr(ld, n, "unsupported version '%s' (this ics2hubspot reads version 1)",
			    scalar(n) ? scalar(n) : node_kind(n));
	m->identity = xstrdup("ics2hubspot_key");
	n = get(ld, root, "identity_property");
	if (n) {
		if (get_string(ld, n, "identity_property", &s) < 0)
			return -1;
		if (!valid_property_name(s))
			return lerr(
				ld, n,
				"'%s' is not a HubSpot property name (lower-case letters, digits and _)",
				s);
		if (in_list(read_only_properties, s) || in_list(mapping_known_properties, s))
			return lerr(
				ld, n,
				"identity_property '%s' is a HubSpot property; use a custom single-line text property such as ics2hubspot_key",
				s);
		free(m->identity);
		m->identity = xstrdup(s);
	}
	m->on_removed = ON_REMOVED_ARCHIVE;
	n = get(ld, root, "on_removed");
	if (n) {
		if (get_string(ld, n, "on_removed", &s) < 0)
			return -1;
		if (!strcmp(s, "archive"))
			m->on_removed = ON_REMOVED_ARCHIVE;
		else if (!strcmp(s, "cancel"))
			m->on_removed = ON_REMOVED_CANCEL;
		else if (!strcmp(s, "keep"))
			m->on_removed = ON_REMOVED_KEEP;
		else
			return lerr(ld, n, "on_removed must be archive, cancel or keep, got '%s'",
				    s);
	}
	m->hubspot_synced = HUBSPOT_SYNCED_SKIP;
	n = get(ld, root, "hubspot_synced");
	if (n) {
		if (get_string(ld, n, "hubspot_synced", &s) < 0)
			return -1;
		if (!strcmp(s, "skip"))
			m->hubspot_synced = HUBSPOT_SYNCED_SKIP;
		else if (!strcmp(s, "adopt"))
			m->hubspot_synced = HUBSPOT_SYNCED_ADOPT;
		else if (!strcmp(s, "ignore"))
			m->hubspot_synced = HUBSPOT_SYNCED_IGNORE;
		else
			return lerr(ld, n, "hubspot_synced must be skip, adopt or ignore, got '%s'",
				    s);
	}
	if (load_custom(ld, get(ld, root, "custom_properties")) < 0)
		return -1;
	n = get(ld, root, "properties");
	if (!n)
		return lerr(ld, root, "missing 'properties:' (which meeting property gets what)");
	if (load_properties(ld, n) < 0)
		return -1;
	if (get_list(ld, root, "clear_when_empty", "", NORM_PROPERTY, &clear) < 0)
		goto out;
	n = get(ld, root, "clear_when_empty");
	for (size_t i = 0; i < clear.n; i++) {
		size_t k;

		for (k = 0; k < m->nprops; k++)
			if (!strcmp(m->props[k].name, clear.v[i]))
				break;
		if (k == m->nprops) {
			lerr(ld, n->items[i], "clear_when_empty: '%s' is not a mapped property",
			     clear.v[i]);
			goto out;
		}
		if (m->props[k].kind == PK_DATETIME && !strcmp(clear.v[i], "hs_timestamp")) {
			lerr(ld, n->items[i],
			     "clear_when_empty: hs_timestamp cannot be cleared (HubSpot requires it)");
			goto out;
		}
		m->props[k].clear = true;
	}
	n = get(ld, root, "filters");
	if (n && load_filters(ld, n) < 0)
		goto out;
	n = get(ld, root, "associations");
	if (n && load_associations(ld, n) < 0)
		goto out;
	ret = 0;
out:
	strv_clear(&clear);
	return ret;
}

static struct mapping *load_text(const char *path, const char *text, size_t len)
{
	struct loader ld;
	struct mapping *m = NULL;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.src = text;
	if (ydoc_load(path, text, len, YAML_MAX_DEPTH, &ld.doc) < 0)
		return NULL;
	if (!ld.doc.root) {
		error("%s: the mapping is empty (expected version: 1, properties: ...)", path);
		goto out;
	}
	ld.m = xcalloc(1, sizeof(*ld.m));
	ld.m->path = xstrdup(path);
	ld.budget = ld.doc.nnodes + MAPPING_ALIAS_EXTRA;
	if (load_root(&ld, ld.doc.root) < 0) {
		mapping_free(ld.m);
		goto out;
	}
	m = ld.m;
out:
	ydoc_release(&ld.doc);
	return m;
}

struct mapping *mapping_load(const char *path)
{
	struct mapping *m;
	char *text;
	size_t len;

	if (!path)
		return load_text(DEFAULT_MAPPING_NAME, default_mapping_yaml,
				 sizeof(default_mapping_yaml) - 1);
	if (file_read_all(path, &text, &len) < 0)
		return NULL;
	if (memchr(text, '\0', len)) {
		error("%s: not a text file", path);
		free(text);
		return NULL;
	}
	m = load_text(path, text, len);
	free(text);
	return m;
}

/* ---- presets: -m NAME ---------------------------------------------------------------------- */

bool mapping_is_preset_name(const char *arg)
{
	return *arg && !strchr(arg, '/') && !str_ends_with(arg, ".yaml") &&
	       !str_ends_with(arg, ".yml");
}

static bool is_dir(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

/*
 * The clone the running binary was built in: its directory or one of its
 * three parents (./ics2hubspot, build/sanitize/ics2hubspot,
 * build/default/tests/t-mapping) that holds mappings/default.yaml and
 * importer/mapping.c. NULL for an installed binary.
 */
static char *clone_mappings_dir(const char *exe_dir)
{
	char *dir = xstrdup(exe_dir);

	for (int up = 0; up <= 3; up++) {
		char *defaults = xasprintf("%s/mappings/default.yaml", dir);
		char *source = xasprintf("%s/importer/mapping.c", dir);
		bool found = is_file(defaults) && is_file(source);
		char *slash = strrchr(dir, '/');

		free(defaults);
		free(source);
		if (found) {
			char *m = xasprintf("%s/mappings", dir);

			free(dir);
			return m;
		}
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	free(dir);
	return NULL;
}

size_t mapping_preset_dirs(char *dirs[MAPPING_PRESET_DIRS])
{
	const char *config = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t len;
	size_t n = 0;

	/* XDG: a relative $XDG_CONFIG_HOME is invalid and ignored */
	if (config && config[0] == '/')
		dirs[n++] = xasprintf("%s/ics2hubspot/mappings", config);
	else if (home && home[0] == '/')
		dirs[n++] = xasprintf("%s/.config/ics2hubspot/mappings", home);
	dirs[n++] = xstrdup(DATADIR "/mappings");
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0 && exe[0] == '/') {
		char *relocated, *clone;

		exe[len] = '\0';
		*strrchr(exe, '/') = '\0'; /* the binary's directory ("" for /) */
		/* a tree installed away from its PREFIX (dpkg -x, a moved tree): BIN/../share */
		relocated = xasprintf("%s/../share/ics2hubspot/mappings", exe);
		if (is_dir(relocated) && realpath(relocated, real))
			dirs[n++] = xstrdup(real);
		free(relocated);
		clone = clone_mappings_dir(exe[0] ? exe : "/");
		if (clone)
			dirs[n++] = clone;
	}
	return n;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "default, google, outlook": every NAME.yaml in dirs, sorted, once each; "none" when empty. */
static char *preset_names(char **dirs, size_t ndirs)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < ndirs; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			bool dup = false;

			if (e->d_name[0] == '.' || !str_ends_with(e->d_name, ".yaml"))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strlen(names[k]) == len - 5 &&
				      !strncmp(names[k], e->d_name, len - 5);
			if (dup)
				continue;
			xgrow(&names, &cap, n + 1, sizeof(*names));
			names[n++] = xstrndup(e->d_name, len - 5);
		}
		if (d)
			closedir(d);
	}
	qsort(names, n, sizeof(*names), compare_names);
	for (size_t i = 0; i < n; i++) {
		sbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
		free(names[i]);
	}
	free(names);
	if (!n)
		sbuf_adds(&sb, "none");
	return sbuf_detach(&sb);
}

char *mapping_find(const char *arg, char **known)
{
	char *dirs[MAPPING_PRESET_DIRS], *path = NULL;
	size_t n;

	if (known)
		*known = NULL;
	if (!mapping_is_preset_name(arg))
		return xstrdup(arg);
	n = mapping_preset_dirs(dirs);
	for (size_t i = 0; i < n && !path; i++) {
		char *p = xasprintf("%s/%s.yaml", dirs[i], arg);

		if (is_file(p))
			path = p;
		else
			free(p);
	}
	if (!path && known)
		*known = preset_names(dirs, n);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	return path;
}

const char *mapping_path(const struct mapping *m)
{
	return m->path;
}

enum on_removed mapping_on_removed(const struct mapping *m)
{
	return m->on_removed;
}

enum hubspot_synced mapping_hubspot_synced(const struct mapping *m)
{
	return m->hubspot_synced;
}

const struct mapping_contacts *mapping_contacts(const struct mapping *m)
{
	return &m->contacts;
}

const char *mapping_owner_property(const struct mapping *m)
{
	return m->owner_prop;
}

bool mapping_wants_companies(const struct mapping *m)
{
	return m->companies;
}

const char *mapping_identity_property(const struct mapping *m)
{
	return m->identity;
}

size_t mapping_nproperties(const struct mapping *m)
{
	return m->nprops;
}

const char *mapping_property_name(const struct mapping *m, size_t i)
{
	return i < m->nprops ? m->props[i].name : NULL;
}

size_t mapping_property_line(const struct mapping *m, size_t i)
{
	return i < m->nprops ? m->props[i].line : 0;
}

size_t mapping_ncustom(const struct mapping *m)
{
	return m->custom.n;
}

const char *mapping_custom_name(const struct mapping *m, size_t i)
{
	return i < m->custom.n ? m->custom.v[i] : NULL;
}

const char *mapping_custom_type(const struct mapping *m, size_t i)
{
	return i < m->custom.n ? m->custom_type[i] : NULL;
}

size_t mapping_custom_line(const struct mapping *m, size_t i)
{
	return i < m->custom.n ? m->custom_line[i] : 0;
}

/* ---- applying ---------------------------------------------------------------------------- */

/* domain is `d` or a subdomain of it */
static bool domain_matches(const char *domain, const char *d)
{
	size_t a = strlen(domain), b = strlen(d);

	if (a == b)
		return !strcmp(domain, d);
	return a > b && domain[a - b - 1] == '.' && !strcmp(domain + a - b, d);
}

static bool domain_in(const char *domain, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (domain_matches(domain, list[i]))
			return true;
	return false;
}

/* ASCII case-insensitive equality; `want` is upper case (no locale: runs per attendee). */
static bool is_upper_eq(const char *s, const char *want)
{
	if (!s)
		return false;
	for (; *s && *want; s++, want++)
		if (*s != *want && (*s < 'a' || *s > 'z' || *s - 'a' + 'A' != *want))
			return false;
	return !*s && !*want;
}

static bool is_resource(const struct attendee *a)
{
	return is_upper_eq(a->cutype, "ROOM") || is_upper_eq(a->cutype, "RESOURCE");
}

/* The rule that skips this occurrence, or NULL. */
static char *skip_reason(const struct mapping *m, const struct occurrence *o,
			 struct template_env *env, struct sbuf *tmp)
{
	if (m->skip_private &&
	    (is_upper_eq(o->class_, "PRIVATE") || is_upper_eq(o->class_, "CONFIDENTIAL")))
		return xasprintf("filters.skip_private (CLASS:%s)", o->class_);
	if (m->skip_cancelled && is_upper_eq(o->status, "CANCELLED"))
		return xstrdup("filters.skip_cancelled (STATUS:CANCELLED)");
	if (m->skip_all_day && o->all_day)
		return xstrdup("filters.skip_all_day");
	if (m->skip_free) {
		if (is_upper_eq(o->transp, "TRANSPARENT"))
			return xstrdup("filters.skip_free (TRANSP:TRANSPARENT)");
		if (is_upper_eq(o->busy_status, "FREE"))
			return xstrdup("filters.skip_free (X-MICROSOFT-CDO-BUSYSTATUS:FREE)");
	}
	for (size_t i = 0; m->declined_by.n && i < o->nattendees; i++) {
		const struct attendee *a = &o->attendees[i];

		if (!a->email || !is_upper_eq(a->partstat, "DECLINED"))
			continue;
		for (size_t k = 0; k < m->declined_by.n; k++) {
			const char *e = a->email;

			if (str_starts_with_ci(e, "mailto:"))
				e += 7;
			if (!strcasecmp(e, m->declined_by.v[k]))
				return xasprintf("filters.skip_declined_by (%s declined)",
						 m->declined_by.v[k]);
		}
	}
	for (size_t i = 0; i < m->nmatching; i++) {
		const struct match_rule *r = &m->matching[i];
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->re, NULL);
		int rc;

		if (!md)
			die(EXIT_USAGE, "out of memory");
		sbuf_reset(tmp);
		template_render(r->field, env, 0, tmp);
		rc = pcre2_match(r->re, (PCRE2_SPTR)tmp->buf, tmp->len, 0, 0, md, r->mctx);
		pcre2_match_data_free(md);
		if (rc >= 0)
			return xasprintf("filters.skip_matching[%zu] %s =~ /%s/", i, r->field_text,
					 r->regex_text);
		if (rc != PCRE2_ERROR_NOMATCH)
			/* over budget (or another match error): skipped, to be safe */
			return xasprintf(
				"filters.skip_matching[%zu] %s =~ /%s/ could not be decided "
				"(regular expression over its budget: %s); skipped to be "
				"safe",
				i, r->field_text, r->regex_text,
				rc == PCRE2_ERROR_MATCHLIMIT   ? "match limit"
				: rc == PCRE2_ERROR_DEPTHLIMIT ? "depth limit"
				: rc == PCRE2_ERROR_HEAPLIMIT  ? "heap limit"
							       : "match error");
	}
	if (m->outside.n) {
		bool found = false;
		const char *d = email_domain(o->organizer.email);

		if (d && !domain_in(d, m->outside.v, m->outside.n))
			found = true;
		for (size_t i = 0; !found && i < o->nattendees; i++) {
			d = email_domain(o->attendees[i].email);
			if (d && !domain_in(d, m->outside.v, m->outside.n))
				found = true;
		}
		if (!found) {
			struct sbuf sb = SBUF_INIT;

			sbuf_init(&sb);
			sbuf_adds(&sb, "filters.require_attendee_outside (nobody outside ");
			for (size_t i = 0; i < m->outside.n; i++)
				sbuf_addf(&sb, "%s%s", i ? ", " : "", m->outside.v[i]);
			sbuf_addc(&sb, ')');
			return sbuf_detach(&sb);
		}
	}
	return NULL;
}

/*
 * Append s (taken) to v unless it is there: `seen` indexes v (filled from v on first
 * use), so a list of n is built in O(n) (40,000 attendees took seconds). v grows by
 * doubling: at sizes that are powers of two.
 */
static void push_unique(char ***v, size_t *n, char *s, struct strindex *seen)
{
	if (!seen->n) { /* first use: index v, give it its power-of-two size */
		size_t cap = 1;

		while (cap < *n)
			cap *= 2;
		if (*n)
			*v = xrealloc(*v, cap * sizeof(**v));
		for (size_t i = 0; i < *n; i++)
			strindex_put(seen, (*v)[i], i);
	}
	if (!strindex_put(seen, s, *n)) {
		free(s);
		return;
	}
	if (!(*n & (*n - 1)))
		*v = xrealloc(*v, (*n ? 2 * *n : 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* email_normalize(), with a fast path for addresses ics.c already normalised. */
static char *norm_email(const char *s)
{
	const char *p;

	if (!s || str_starts_with_ci(s, "mailto:"))
		return email_normalize(s);
	for (p = s; *p; p++)
		if (isupper((unsigned char)*p) || isspace((unsigned char)*p))
			return email_normalize(s);
	if (p == s || *s == '@' || p[-1] == '@' || !strchr(s, '@'))
		return NULL;
	return xstrndup(s, (size_t)(p - s));
}

static void plan_contacts(const struct mapping *m, const struct occurrence *o, struct meeting *out)
{
	const struct mapping_contacts *c = &m->contacts;
	char *org = norm_email(o->organizer.email);
	struct strindex seen = {0};

	if (org && c->include_organizer &&
	    !domain_in(email_domain(org), c->exclude_domains, c->nexclude_domains))
		push_unique(&out->contact_emails, &out->ncontact_emails, xstrdup(org), &seen);
	for (size_t i = 0; i < o->nattendees; i++) {
		const struct attendee *a = &o->attendees[i];
		char *e;

		if (!a->email || (c->skip_resources && is_resource(a)) ||
		    (!c->include_declined && is_upper_eq(a->partstat, "DECLINED")))
			continue;
		e = norm_email(a->email);
		if (!e)
			continue;
		if ((org && !c->include_organizer && !strcmp(e, org)) ||
		    domain_in(email_domain(e), c->exclude_domains, c->nexclude_domains)) {
			free(e);
			continue;
		}
		push_unique(&out->contact_emails, &out->ncontact_emails, e, &seen);
	}
	strindex_release(&seen);
	free(org);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_free_mail(const char *domain)
{
	static const char *sorted[sizeof(free_mail_domains) / sizeof(free_mail_domains[0])];
	static size_t n;

	if (!n) {
		while (free_mail_domains[n]) {
			sorted[n] = free_mail_domains[n];
			n++;
		}
		qsort(sorted, n, sizeof(*sorted), cmp_str);
	}
	return bsearch(&domain, sorted, n, sizeof(*sorted), cmp_str) != NULL;
}

bool mapping_companies_exclude_owners(const struct mapping *m)
{
	return m->companies && m->companies_exclude_owners;
}

bool mapping_free_mail_domain(const char *domain)
{
	return domain && is_free_mail(domain);
}

static void add_company(const struct mapping *m, struct meeting *out, const char *email,
			struct strindex *seen)
{
	const char *d = email_domain(email);
	char *dom;

	if (!d || domain_in(d, m->companies_exclude.v, m->companies_exclude.n))
		return;
	if (!m->companies_free_mail && is_free_mail(d))
		return;
	dom = str_lower(xstrdup(d));
	push_unique(&out->company_domains, &out->ncompany_domains, dom, seen);
}

static void plan_companies(const struct mapping *m, const struct occurrence *o, struct meeting *out)
{
	struct strindex seen = {0};

	if (o->organizer.email)
		add_company(m, out, o->organizer.email, &seen);
	for (size_t i = 0; i < o->nattendees; i++) {
		const struct attendee *a = &o->attendees[i];

		if (!a->email || is_resource(a) || is_upper_eq(a->partstat, "DECLINED"))
			continue;
		add_company(m, out, a->email, &seen);
	}
	strindex_release(&seen);
}

/* Cut an HTML value to at most max characters without leaving half an entity or tag. */
static size_t html_cut(const char *s, size_t len, size_t max)
{
	size_t n = text_prefix_len(s, len, max);

	if (n == len)
		return n;
	for (size_t i = n; i > 0 && n - i < 12; i--) {
		if (s[i - 1] == ';' || s[i - 1] == '>')
			break;
		if (s[i - 1] == '&' || s[i - 1] == '<')
			return i - 1;
	}
	return n;
}

/* hs_timestamp & co: ISO-8601 UTC or epoch milliseconds; NULL when unusable. */
static bool normalize_datetime(struct sbuf *v)
{
	char buf[64], out[32];
	int64_t t;
	size_t i = 0, n = v->len;
	char *dot;

	if (n == 20 && v->buf[4] == '-' && v->buf[7] == '-' && v->buf[10] == 'T' &&
	    v->buf[13] == ':' && v->buf[16] == ':' && v->buf[19] == 'Z') {
		for (i = 0; i < 19; i++)
			if (!isdigit((unsigned char)v->buf[i]) && i != 4 && i != 7 && i != 10 &&
			    i != 13 && i != 16)
				break;
		if (i == 19)
			return true; /* already canonical: "{{ start }}" */
		i = 0;
	}
	while (i < n && isdigit((unsigned char)v->buf[i]))
		i++;
	if (n && i == n && n >= 10)
		return true; /* epoch milliseconds */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, v->buf, n + 1);
	/* drop fractional seconds: "…:00.054Z" */
	dot = strchr(buf, '.');
	if (dot) {
		char *e = dot + 1;

		while (isdigit((unsigned char)*e))
			e++;
		memmove(dot, e, strlen(e) + 1);
	}
	if (time_parse_utc(buf, &t) < 0)
		return false;
	time_format_utc(t, out, sizeof(out));
	sbuf_reset(v);
	sbuf_adds(v, out);
	return true;
}

/* The TO of a FROM, case-insensitive: one look-up in the index, whatever the map's size. */
static const char *map_lookup(const struct prop *p, const char *s)
{
	char *l;
	size_t i;
	bool hit;

	if (!p->nmap)
		return NULL;
	l = str_lower(xstrdup(s));
	hit = strindex_get(&p->map_index, l, &i);
	free(l);
	return hit ? p->map_to[i] : NULL;
}

/*
 * occurrence_key() without printf (it runs once per occurrence): "UID",
 * "UID#20240301T093000Z" or "UID#20240301". t-mapping checks that both agree.
 */
static char *fast_key(const struct occurrence *o)
{
	char buf[21], *k;
	size_t n;

	if (!o->has_recurrence_id || o->recurrence_id < 0)
		return occurrence_key(o);
	time_format_utc(o->recurrence_id, buf, sizeof(buf)); /* 2024-03-01T09:30:00Z */
	if (buf[4] != '-') /* outside years 0-9999 */
		return occurrence_key(o);
	n = strlen(o->uid);
	k = xmalloc(n + 18);
	memcpy(k, o->uid, n);
	k[n++] = '#';
	memcpy(k + n, buf, 4);
	memcpy(k + n + 4, buf + 5, 2);
	memcpy(k + n + 6, buf + 8, 2);
	n += 8;
	if (!o->recurrence_id_all_day) {
		k[n++] = 'T';
		memcpy(k + n, buf + 11, 2);
		memcpy(k + n + 2, buf + 14, 2);
		memcpy(k + n + 4, buf + 17, 2);
		n += 6;
		k[n++] = 'Z';
	}
	k[n] = '\0';
	return k;
}

/* "file:line" without printf (this runs once per occurrence). */
static char *where_of(const struct occurrence *o)
{
	const char *f = o->file ? o->file : (o->source ? o->source : "?");
	size_t n = strlen(f);
	char num[16], *w;
	int k = 0;
	unsigned line = o->line > 0 ? (unsigned)o->line : 0;

	do {
		num[k++] = (char)('0' + line % 10);
		line /= 10;
	} while (line && k < 15);
	w = xmalloc(n + (size_t)k + 2);
	memcpy(w, f, n);
	w[n] = ':';
	for (int i = 0; i < k; i++)
		w[n + 1 + (size_t)i] = num[k - 1 - i];
	w[n + 1 + (size_t)k] = '\0';
	return w;
}

int mapping_apply(const struct mapping *m, const struct occurrence *occ, struct meeting *out)
{
	struct template_env env;
	struct sbuf val = SBUF_INIT, tmp = SBUF_INIT; /* allocated on first use */
	char buf[32];
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->key = fast_key(occ);
	out->uid = xstrdup(occ->uid);
	if (occ->has_recurrence_id) {
		if (occ->recurrence_id_all_day)
			time_format_date(occ->recurrence_id, buf, sizeof(buf));
		else
			time_format_utc(occ->recurrence_id, buf, sizeof(buf));
		out->recurrence_id = xstrdup(buf);
	}
	if (occ->all_day)
		time_format_date(occ->start, buf, sizeof(buf));
	else
		time_format_utc(occ->start, buf, sizeof(buf));
	out->start = xstrdup(buf);
	out->summary = xstrdup(occ->summary);
	out->source = xstrdup(occ->source);
	out->where = where_of(occ);
	out->cancelled = is_upper_eq(occ->status, "CANCELLED");

	template_env_init(&env);
	env.occ = occ;
	env.key = out->key;
	out->skip_reason = skip_reason(m, occ, &env, &tmp);
	if (out->skip_reason)
		goto done;

	out->properties = cJSON_CreateObject();
	for (size_t i = 0; i < m->nprops; i++) {
		const struct prop *p = &m->props[i];
		size_t cut;

		if (p->owner) {
			out->owner_email = email_normalize(occ->organizer.email);
			continue;
		}
		sbuf_reset(&val);
		template_render(p->value, &env, p->kind == PK_HTML ? TEMPLATE_AUTOESCAPE : 0, &val);
		if (p->nmap) {
			const char *to;

			str_trim(val.buf);
			val.len = strlen(val.buf);
			to = map_lookup(p, val.buf);
			if (to) {
				sbuf_reset(&val);
				sbuf_adds(&val, to);
			} else if (p->def) {
				sbuf_reset(&val);
				template_render(p->def, &env, 0, &val);
			}
		} else if (!val.len && p->def) {
			template_render(p->def, &env, p->kind == PK_HTML ? TEMPLATE_AUTOESCAPE : 0,
					&val);
		}
		switch (p->kind) {
		case PK_DATETIME:
			if (val.len && !normalize_datetime(&val)) {
				error("%s: uid '%s': property '%s': '%s' is not a date-time (ISO-8601 UTC or epoch milliseconds)",
				      out->where, occ->uid, p->name, val.buf);
				out->skip_reason =
					xasprintf("mapping error: %s is not a date-time ('%s')",
						  p->name, val.buf);
				ret = -1;
				goto done;
			}
			break;
		case PK_HTML:
			cut = html_cut(val.buf, val.len, TEXT_MAX);
			val.len = cut;
			val.buf[cut] = '\0';
			break;
		case PK_TITLE:
		case PK_TEXT:
			cut = text_prefix_len(val.buf, val.len,
					      p->kind == PK_TITLE ? TITLE_MAX : TEXT_MAX);
			val.len = cut;
			val.buf[cut] = '\0';
			break;
		}
		if (!val.len && !p->clear) {
			if (!strcmp(p->name, "hs_timestamp")) {
				error("%s: uid '%s': hs_timestamp is empty (HubSpot requires it)",
				      out->where, occ->uid);
				out->skip_reason = xstrdup("mapping error: hs_timestamp is empty");
				ret = -1;
				goto done;
			}
			continue;
		}
		if (p->const_name)
			cJSON_AddItemToObjectCS(out->properties, p->const_name,
						cJSON_CreateString(val.buf));
		else
			cJSON_AddStringToObject(out->properties, p->name, val.buf);
	}
	cJSON_AddStringToObject(out->properties, m->identity, out->key);
	if (m->contacts.enabled)
		plan_contacts(m, occ, out);
	if (m->companies)
		plan_companies(m, occ, out);
	for (size_t i = 0; i < m->nstatics; i++)
		meeting_add_assoc(out, m->statics[i].kind, m->statics[i].id, m->statics[i].id);
done:
	if (ret < 0) {
		cJSON_Delete(out->properties);
		out->properties = NULL;
	}
	sbuf_release(&val);
	sbuf_release(&tmp);
	template_env_release(&env);
	return ret;
}

/* ---- check --remote ---------------------------------------------------------------------- */

static const cJSON *remote_find(const cJSON *results, const char *name)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, results)
	{
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));

		if (n && !strcmp(n, name))
			return r;
	}
	return NULL;
}

/*
 * Is `value` an option? Exactly, or (API 2026-09 and later accept it and store the
 * option's own spelling) one option alone when case is ignored.
 */
static bool remote_has_option(const cJSON *options, const char *value)
{
	const cJSON *o;
	int same = 0;

	cJSON_ArrayForEach(o, options)
	{
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value"));

		if (v && !strcmp(v, value))
			return true;
		same += v && !strcasecmp(v, value);
	}
	return same == 1;
}

/*
 * An enumeration whose options the definition lists: not one HubSpot fills from
 * elsewhere (externalOptions, e.g. hubspot_owner_id on real portals) nor one
 * listing none, which leave nothing to compare with.
 */
static bool remote_closed(const cJSON *def)
{
	const cJSON *options = cJSON_GetObjectItemCaseSensitive(def, "options");

	return cJSON_IsArray(options) && cJSON_GetArraySize(options) > 0 &&
	       !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, "externalOptions"));
}

static void options_list(const cJSON *options, struct sbuf *sb)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, options)
	{
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value"));

		if (v)
			sbuf_addf(sb, "%s%s", sb->len ? ", " : "", v);
	}
}

/* The allowed options of `name` in a properties answer ("A, B, C"), or NULL when it has none. */
static char *remote_options_text(const cJSON *results, const char *name)
{
	const cJSON *r = remote_find(results, name);
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));
	const cJSON *options = cJSON_GetObjectItemCaseSensitive(r, "options");
	struct sbuf sb = SBUF_INIT;

	if (!r || !type || strcmp(type, "enumeration") || !cJSON_IsArray(options))
		return NULL;
	sbuf_init(&sb);
	options_list(options, &sb);
	return sbuf_detach(&sb);
}

static int remote_check_value(const struct mapping *m, const struct prop *p, const cJSON *options,
			      const char *value, size_t line)
{
	struct sbuf sb = SBUF_INIT;

	if (!*value || remote_has_option(options, value))
		return 0;
	sbuf_init(&sb);
	options_list(options, &sb);
	error("%s:%zu: '%s' is not an option of %s in your portal (allowed: %s); map it to one "
	      "of them",
	      m->path, line, value, p->name, sb.len ? sb.buf : "none");
	sbuf_release(&sb);
	return -1;
}

int mapping_check_remote_properties(const struct mapping *m, const cJSON *properties_response,
				    const char *fix)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(properties_response, "results");
	const char *sep = fix ? "; to create it: " : "";
	int found = 0;

	if (!fix)
		fix = "";
	if (!cJSON_IsArray(results))
		return error("unexpected answer from HubSpot's meeting property definitions (no "
			     "results)");
	if (!remote_find(results, m->identity)) {
		error("%s: the identity property '%s' does not exist in your portal%s%s", m->path,
		      m->identity, sep, fix);
		found |= MAPPING_REMOTE_MISSING;
	}
	for (size_t i = 0; i < m->nprops; i++) {
		const struct prop *p = &m->props[i];
		const cJSON *r = remote_find(results, p->name);
		const cJSON *meta, *options;
		const char *type, *lit;

		if (!r && !strv_has(&m->custom, p->name)) {
			error("%s:%zu: the meeting property '%s' does not exist in your portal: take "
			      "it out of the mapping",
			      m->path, p->line, p->name);
			found |= MAPPING_REMOTE_MISSING;
			continue;
		}
		if (!r) {
			error("%s:%zu: the meeting property '%s' does not exist in your portal%s%s",
			      m->path, p->line, p->name, sep, fix);
			found |= MAPPING_REMOTE_MISSING;
			continue;
		}
		meta = cJSON_GetObjectItemCaseSensitive(r, "modificationMetadata");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "readOnlyValue"))) {
			error("%s:%zu: the meeting property '%s' is read-only in your portal: take "
			      "it out of the mapping",
			      m->path, p->line, p->name);
			found |= MAPPING_REMOTE_MISSING;
			continue;
		}
		type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));
		options = cJSON_GetObjectItemCaseSensitive(r, "options");
		if (p->owner || !type || strcmp(type, "enumeration") || !remote_closed(r))
			continue;
		for (size_t k = 0; k < p->nmap; k++) {
			bool seen = false;

			for (size_t j = 0; j < k; j++)
				seen = seen || !strcmp(p->map_to[j], p->map_to[k]);
			if (!seen &&
			    remote_check_value(m, p, options, p->map_to[k], p->map_line[k]) < 0)
				found |= MAPPING_REMOTE_VALUE;
		}
		if (p->def && template_is_literal(p->def, &lit) &&
		    remote_check_value(m, p, options, lit, p->def_line) < 0)
			found |= MAPPING_REMOTE_VALUE;
		if (template_is_literal(p->value, &lit) &&
		    remote_check_value(m, p, options, lit, p->value_line) < 0)
			found |= MAPPING_REMOTE_VALUE;
	}
	return found;
}

/* Is `v` a value the mapping itself holds (a map's TO, a literal value or default)? */
static bool remote_from_mapping(const struct prop *p, const char *v)
{
	const char *lit;

	for (size_t k = 0; k < p->nmap; k++)
		if (!strcmp(p->map_to[k], v))
			return true;
	return (p->def && template_is_literal(p->def, &lit) && !strcmp(lit, v)) ||
	       (template_is_literal(p->value, &lit) && !strcmp(lit, v));
}

/*
 * check --remote over the mapped meetings: a value the calendar brings (a
 * template, not a literal) that is not an option of its enumeration property.
 */
int mapping_check_remote_values(const struct mapping *m, const cJSON *properties_response,
				const struct meeting *mt, struct mapping_bad_value *bad)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(properties_response, "results");

	memset(bad, 0, sizeof(*bad));
	if (!cJSON_IsArray(results) || mt->skip_reason)
		return 0;
	for (size_t i = 0; i < m->nprops; i++) {
		const struct prop *p = &m->props[i];
		const cJSON *r = remote_find(results, p->name);
		const cJSON *options = cJSON_GetObjectItemCaseSensitive(r, "options");
		const char *type =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));
		const char *v = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(mt->properties, p->name));

		if (!r || p->owner || !v || !*v || !type || strcmp(type, "enumeration") ||
		    !remote_closed(r) || remote_has_option(options, v))
			continue;
		if (remote_from_mapping(p, v))
			continue; /* mapping_check_remote_properties() names it, with its line */
		bad->property = p->name;
		bad->value = v;
		bad->line = p->value_line;
		bad->options = remote_options_text(results, p->name);
		return 1;
	}
	return 0;
}

const char *mapping_yaml_version(void)
{
	return ydoc_libyaml_version();
}
