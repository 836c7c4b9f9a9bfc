/* config: the configuration file — portals, the calendars synced into them (docs/config.md). */
#ifndef CONFIG_H
#define CONFIG_H

/*
 * version: 1
 * portals:   [{name, token_env | token_file | token_command, api_base, api_version}]
 * calendars: [{name, source, portal, mapping, since, until, state}]
 *
 * A token never sits in the file, only where to find it. Relative paths
 * (source, mapping files, token_file, state) are relative to the file's own
 * directory. Errors name "FILE:LINE:COL". Read through yamldoc.c.
 */

#include "app.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_portal {
	char *name;
	char *token_env, *token_file, *token_command; /* at most one; none: the usual sources */
	char *api_base, *api_version; /* or NULL */
	char *state; /* the portal's state file: $XDG_STATE_HOME/ics2hubspot/NAME.db */
	char *lock; /* the portal's sync lock: $XDG_STATE_HOME/ics2hubspot/NAME.lock */
};

struct config_calendar {
	char *name;
	char *source; /* a path (made absolute) or a URL */
	const struct config_portal *portal;
	char *mapping; /* a preset's name, a file (made absolute), or NULL: the default */
	char *since, *until; /* as written (relative values are taken at each run), or NULL */
	char *state; /* the calendar's own state file, or NULL: its portal's */
};

struct config {
	char *path;
	struct config_portal *portals;
	size_t nportals;
	struct config_calendar *calendars;
	size_t ncalendars;
};

/* --config, else $XDG_CONFIG_HOME/ics2hubspot/config.yaml, else ~/.config/...; free it. */
char *config_default_path(void);
/* Read and check the file (NULL: the default path). NULL after the error(s). */
struct config *config_load(const char *path);
void config_free(struct config *c);

const struct config_portal *config_portal(const struct config *c, const char *name);
const struct config_calendar *config_calendar(const struct config *c, const char *name);
/* The calendar's state file (its own, else its portal's; borrowed). */
const char *config_calendar_state(const struct config_calendar *cal);

/*
 * The options that run one calendar: `base` (the command line: -n, --report,
 * --force, ...) with the calendar's source, --name, -m, --since/--until, state
 * and its portal's token source, API base and version filled in where the
 * command line left them out. `out` borrows from `cal` and `base`; release it
 * with config_options_release(). Returns 0, or EXIT_USAGE after the error.
 */
int config_calendar_options(const struct config_calendar *cal, const struct app_options *base,
			    struct app_options *out);
/* The portal's options (token source, API base) on top of `base`, for setup and state. */
void config_portal_options(const struct config_portal *p, const struct app_options *base,
			   struct app_options *out);
void config_options_release(struct app_options *o);

/*
 * Select by NAME...: each a calendar or a portal (all its calendars); none:
 * every calendar. Fills sel[i] (c->ncalendars entries) with true for the
 * chosen. Returns 0, or EXIT_USAGE after naming the unknown name.
 */
int config_select(const struct config *c, char *const *names, size_t n, bool *sel,
		  const char *command);

/* The config of a command's options: --config or the default. NULL after the error. */
struct config *config_from_options(const struct app_options *o);

#endif
