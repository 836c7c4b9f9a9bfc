/* mapping: the YAML mapping file (libyaml), compiled once, applied to every occurrence. */
#ifndef MAPPING_H
#define MAPPING_H

#include "meeting.h"

#include <stdbool.h>

struct mapping; /* opaque, compiled */

/* What to do with a meeting whose event disappeared from the calendar. */
enum on_removed {
	ON_REMOVED_ARCHIVE,
	ON_REMOVED_CANCEL,
	ON_REMOVED_KEEP,
};

/* Contact association options (associations.contacts in the mapping). */
struct mapping_contacts {
	bool enabled;
	bool include_organizer;
	bool skip_resources;
	bool include_declined;
	bool create_missing;
	char **exclude_domains;
	size_t nexclude_domains;
	bool exclude_owners; /* exclude_domains: [owners] (the default): the portal's users' domains
			      */
};

/*
 * Load and compile a mapping. `path` NULL means the built-in default
 * (mappings/default.yaml as installed, compiled into the binary).
 * On error prints "FILE:LINE:COL: what was expected" and returns NULL.
 */
struct mapping *mapping_load(const char *path);
void mapping_free(struct mapping *m);

/*
 * -m ARG. A preset's name (no '/', not ending in .yaml or .yml: "outlook")
 * is NAME.yaml in the first of mapping_preset_dirs() that has it; anything
 * else is a path, returned as it is. Returns a new string, or NULL when no
 * directory has the preset: then *known (if not NULL) gets the names of the
 * presets found ("default, google, outlook"), a new string.
 */
char *mapping_find(const char *arg, char **known);
bool mapping_is_preset_name(const char *arg);
/*
 * Where presets are looked for, in order (new strings, returns how many):
 * $XDG_CONFIG_HOME/ics2hubspot/mappings (else ~/.config/...), DATADIR/mappings
 * (the installed presets), BINDIR/../share/ics2hubspot/mappings when the tree
 * was moved after installing, and mappings/ of the clone the binary was built in.
 */
#define MAPPING_PRESET_DIRS 4
size_t mapping_preset_dirs(char *dirs[MAPPING_PRESET_DIRS]);
const char *mapping_path(const struct mapping *m); /* for messages */

/*
 * Map one occurrence into *out (meeting_release() it afterwards). Fills key,
 * uid, recurrence_id, start, summary, source, where, cancelled, properties
 * (strings only, empty values omitted), owner_email, contact_emails,
 * company_domains and static associations; or skip_reason when a filter
 * skips it (properties may then be NULL). Returns 0, or -1 on an error
 * that affects only this occurrence (message printed, skip_reason set).
 */
int mapping_apply(const struct mapping *m, const struct occurrence *occ, struct meeting *out);

enum on_removed mapping_on_removed(const struct mapping *m);

/*
 * Meetings HubSpot's own calendar sync logged (hs_i_cal_uid = the event's UID,
 * same start), mapping key `hubspot_synced`: SKIP (default) reports the
 * occurrence already_in_hubspot and creates nothing, ADOPT updates HubSpot's
 * meeting from the calendar, IGNORE does not look (creates as before).
 */
enum hubspot_synced {
	HUBSPOT_SYNCED_SKIP,
	HUBSPOT_SYNCED_ADOPT,
	HUBSPOT_SYNCED_IGNORE,
};
enum hubspot_synced mapping_hubspot_synced(const struct mapping *m);
const struct mapping_contacts *mapping_contacts(const struct mapping *m);
/*
 * The property whose template is `{{ organizer.owner_id }}` (usually
 * hubspot_owner_id), or NULL. The owner id is looked up after mapping (owners
 * API, by meeting->owner_email) and set into that property.
 */
const char *mapping_owner_property(const struct mapping *m);
bool mapping_wants_companies(const struct mapping *m); /* associations.companies */
/* associations.companies.exclude_domains holds `owners` (the default). */
bool mapping_companies_exclude_owners(const struct mapping *m);
/* gmail.com, outlook.com, ...: never a company, and never one of the owners' domains. */
bool mapping_free_mail_domain(const char *domain);
/*
 * The meeting property that carries the occurrence key, so that a create whose
 * answer was lost can be found again by search (mapping key `identity_property`,
 * default "ics2hubspot_key", a custom single-line text property). mapping_apply
 * sets it in every meeting's properties.
 */
const char *mapping_identity_property(const struct mapping *m);
/* The meeting properties the mapping writes (not the identity property): count, i-th name. */
size_t mapping_nproperties(const struct mapping *m);
const char *mapping_property_name(const struct mapping *m, size_t i);

/* What mapping_check_remote_properties() found (flags). */
enum {
	MAPPING_REMOTE_MISSING = 1, /* a property the mapping writes is missing or read-only */
	MAPPING_REMOTE_VALUE = 2, /* a value the mapping can send is not an option */
};
/*
 * check --remote and setup: given the answer of GET (the meeting property definitions)
 * ({"results": [{name, type, options[{value}], modificationMetadata}]}),
 * check that every mapped property (and the identity property) exists and is
 * writable in the portal, and that the enumeration values the mapping can
 * send (map values, literal values and defaults) are options there (exactly,
 * or one option alone when case is ignored). Prints one error per problem,
 * naming the mapping's file:line; a missing property's error ends with
 * "; to create it: FIX" when `fix` is not NULL. Returns the MAPPING_REMOTE_*
 * flags found (0: all is well), or -1 for an answer without results.
 */
int mapping_check_remote_properties(const struct mapping *m, const cJSON *properties_response,
				    const char *fix);

/* A value a mapped meeting would send that is not an option (mapping_check_remote_values). */
struct mapping_bad_value {
	const char *property; /* borrowed from the mapping */
	const char *value; /* borrowed from the meeting */
	size_t line; /* the mapping's line that gives it */
	char *options; /* "A, B, C" (free it), or NULL */
};
/*
 * check --remote, per mapped meeting `mt`: the first property whose value is
 * not an option of its enumeration in the portal (`properties_response` as
 * above). Returns 1 and fills *bad (free bad->options), or 0.
 */
int mapping_check_remote_values(const struct mapping *m, const cJSON *properties_response,
				const struct meeting *mt, struct mapping_bad_value *bad);

/*
 * The types a custom property may be declared with ({NAME: TYPE} in
 * custom_properties; text when not said), NULL-terminated.
 */
extern const char *const mapping_custom_types[];
/* The custom properties the mapping declares: count; i-th name, type (NULL: text), line. */
size_t mapping_ncustom(const struct mapping *m);
const char *mapping_custom_name(const struct mapping *m, size_t i);
const char *mapping_custom_type(const struct mapping *m, size_t i);
size_t mapping_custom_line(const struct mapping *m, size_t i);
/* The mapping's line that names the i-th property mapping_property_name() gives. */
size_t mapping_property_line(const struct mapping *m, size_t i);

/* The meeting properties HubSpot defines (the known list), NULL-terminated. */
extern const char *const mapping_known_properties[];

/* The libyaml version in use (runtime; borrowed). */
const char *mapping_yaml_version(void);

#endif
