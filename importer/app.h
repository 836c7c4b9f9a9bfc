/* app: the options the command line gives, and the commands main.c dispatches to. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_options {
	const char *mapping; /* -m FILE or preset NAME (as a path), or NULL: the built-in default */
	char *mapping_found; /* the path -m NAME was found at (mapping points to it) */
	bool has_since, has_until;
	int64_t since, until;
	const char *default_tz; /* --default-tz */
	long max_per_series; /* --max-per-series N (0: the built-in cap) */
	bool dry_run; /* -n */
	const char *api_base; /* --api-base, else HUBSPOT_API_BASE, else https://api.hubapi.com */
	const char *api_version; /* --api-version, else HUBSPOT_API_VERSION, else 2026-09 */
	bool allow_insecure_http; /* --allow-insecure-http: a plain http API base off loopback */
	const char *token_file; /* --token-file, else HUBSPOT_ACCESS_TOKEN */
	const char *token_env; /* config: the variable that holds the token */
	const char *token_command; /* config: a command whose first line of output is the token */
	const char *config; /* --config FILE (sync; import/check/setup/state with a NAME) */
	const char *portal; /* --portal NAME: a portal of the configuration (setup, state) */
	const char
		*portal_name; /* the configuration's portal this run is for (messages), or NULL */
	bool wait; /* sync --wait: wait for another sync of the same portal */
	const char *log_format; /* --log-format text|json */
	const char *report; /* --report FILE */
	const char *state; /* --state FILE, else the default path */
	bool no_state; /* --no-state: no local state (one-off import) */
	const char *name; /* --name NAME: the calendar's identity in the state */
	int rate_max; /* --rate N/10s */
	bool rate_given; /* --rate was given: a ceiling, else the portal's headers set the pace */
	int rate_interval_ms;
	bool force; /* --force: let the safety valves pass */
	bool recreate_deleted; /* --recreate-deleted: create meetings deleted in HubSpot again */
	bool json; /* --json (check, state list) */
	bool remote; /* check --remote */
	long limit; /* check: how many occurrences to preview */
	long run_id; /* state undo --run N */
	bool yes; /* state undo --yes: do not ask */
	const char **associate; /* --associate TYPE:ID (repeatable) */
	size_t nassociate;
	char **args; /* positional arguments (calendars, or state subcommand + args) */
	size_t nargs;
};

/*
 * The options each command takes, their checks and the help text are in
 * cli.c's two tables; a new option is a field here and a row there.
 */

/* Each returns an exit code (util.h enum exit_code). */
int cmd_import(const struct app_options *o);
int cmd_expand(const struct app_options *o);
int cmd_check(const struct app_options *o);
int cmd_state(const struct app_options *o);
int cmd_setup(const struct app_options *o);
int cmd_sync(const struct app_options *o);

/*
 * import, check, setup and state with --config FILE (synccmd.c): run `fn`
 * once per chosen calendar (import: the one NAME; check: NAME..., every
 * calendar when none; setup: once per portal and mapping of those; state: the
 * --portal's state, or every portal's for `state runs`), with the options
 * config_calendar_options() makes. Returns the worst exit code.
 */
typedef int (*app_command_fn)(const struct app_options *o);
int config_command(const struct app_options *o, app_command_fn fn, const char *command);

/*
 * The access token: the contents of --token-file (first line, trimmed) or
 * $HUBSPOT_ACCESS_TOKEN. NULL with a message when neither is there, or when
 * the API base breaks the transport policy (http_check_api_base): the caller
 * exits 2. From here on the process is not dumpable and makes no core file.
 */
char *app_token(const struct app_options *o);
/* Is a token given (--token-file, $HUBSPOT_ACCESS_TOKEN, a systemd credential)? Not read. */
bool app_has_token(const struct app_options *o);
struct ics_options;
/* The expansion window and zone options for ics_read(). */
void app_ics_options(const struct app_options *o, struct ics_options *io);
/* --api-base, else $HUBSPOT_API_BASE, else https://api.hubapi.com (borrowed). */
const char *app_api_base(const struct app_options *o);

/*
 * The command line that runs `command` with this run's mapping, to end a message
 * that stops a run with its fix: "ics2hubspot setup -m my.yaml". Free it.
 */
char *app_command(const struct app_options *o, const char *command);

/* "libical 3.0.16" ... one line per library, each version from its module. */
#include <stdio.h>
void app_print_library_versions(FILE *f);

#endif
