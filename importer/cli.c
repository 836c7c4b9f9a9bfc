/* cli: the command line — one option table per command, value checks, help. */
#include "cli.h"
#include "mapping.h"
#include "routes.h"
#include "ics.h"
#include "template.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How an option's value is checked and where it is stored. */
enum cli_kind {
	CLI_FLAG, /* bool at field */
	CLI_STRING, /* const char * at field */
	CLI_OUTPUT, /* const char *: a file to write, "-" for stdout; its directory must be writable
		     */
	CLI_DATE, /* int64_t at field, and the bool at field2 set */
	CLI_ZONE, /* const char *: a time zone libical or ICU knows */
	CLI_POSITIVE, /* long >= 1 at field */
	CLI_RATE, /* "N/Ss": int at field (N), int at field2 (milliseconds) */
	CLI_LIST, /* repeatable: appended to the char ** at field, count (size_t) at field2 */
	CLI_QUIET, /* -q: util_verbosity = 0 */
	CLI_VERBOSE, /* -v: util_verbosity++ */
	CLI_HELP, /* -h: this command's help */
};

struct cli_option {
	const char *name; /* long name, without "--" */
	char short_name; /* or 0 */
	enum cli_kind kind;
	size_t field, field2; /* offsetof(struct app_options, ...) */
	const char *arg; /* the value's name in help ("FILE"), NULL for flags */
	const char *help;
};

#define F(f) offsetof(struct app_options, f)

/*
 * Every option of every command. To add an option: one row here (the field
 * it fills goes in struct app_options), then its name in the `options` string
 * of each command that takes it below. Nothing else: parsing, the value
 * check, "unknown option" / "does not take" errors and --help follow from
 * these two tables (the man page, docs/ics2hubspot.1, and completions/ are
 * kept in step by tests/e2e/t0002-cli-commands.sh).
 */
static const struct cli_option options[] = {
	{"mapping", 'm', CLI_STRING, F(mapping), 0, "FILE|NAME",
	 "YAML mapping file, or a preset's name (outlook, google, default; default: the "
	 "built-in default.yaml)"},
	{"since", 0, CLI_DATE, F(since), F(has_since), "WHEN",
	 "only occurrences starting at or after WHEN (YYYY-MM-DD[THH:MM[:SS]Z] UTC, today, "
	 "-30d, +6m, +1y)"},
	{"until", 0, CLI_DATE, F(until), F(has_until), "WHEN",
	 "only occurrences starting before WHEN"},
	{"default-tz", 0, CLI_ZONE, F(default_tz), 0, "TZID",
	 "zone for floating times (else X-WR-TIMEZONE, else UTC)"},
	{"max-per-series", 0, CLI_POSITIVE, F(max_per_series), 0, "N",
	 "cap on the occurrences of one series (default 10000)"},
	{"dry-run", 'n', CLI_FLAG, F(dry_run), 0, NULL,
	 "write nothing; print the plan (with a token: exact, after the look-ups)"},
	{"api-base", 0, CLI_STRING, F(api_base), 0, "URL",
	 "HubSpot API base (else $HUBSPOT_API_BASE, else https://api.hubapi.com)"},
	{"api-version", 0, CLI_STRING, F(api_version), 0, "DATE",
	 "HubSpot API version: 2026-09 (default) or 2026-03 (else $HUBSPOT_API_VERSION)"},
	{"allow-insecure-http", 0, CLI_FLAG, F(allow_insecure_http), 0, NULL,
	 "let the API base be plain http:// off this machine (the token in clear text)"},
	{"token-file", 0, CLI_STRING, F(token_file), 0, "FILE",
	 "read the access token from FILE (else $HUBSPOT_ACCESS_TOKEN, else the systemd "
	 "credential hubspot-token)"},
	{"rate", 0, CLI_RATE, F(rate_max), F(rate_interval_ms), "N/Ss",
	 "rate ceiling (default: the portal's own limit, starting at 100/10s)"},
	{"report", 0, CLI_OUTPUT, F(report), 0, "FILE",
	 "JSON report of every occurrence (created 0600; '-' for stdout)"},
	{"state", 0, CLI_STRING, F(state), 0, "FILE",
	 "sync state database (default $XDG_STATE_HOME/ics2hubspot/state.db)"},
	{"no-state", 0, CLI_FLAG, F(no_state), 0, NULL,
	 "import without a local state (found in HubSpot: adopted; no removals)"},
	{"force", 0, CLI_FLAG, F(force), 0, NULL, "remove even when a safety valve says not to"},
	{"recreate-deleted", 0, CLI_FLAG, F(recreate_deleted), 0, NULL,
	 "create again the meetings someone deleted in HubSpot"},
	{"name", 0, CLI_STRING, F(name), 0, "NAME",
	 "the calendar's name in the state (one CALENDAR: stdin, a moved file, a new URL)"},
	{"associate", 0, CLI_LIST, F(associate), F(nassociate), "TYPE:ID",
	 "associate every meeting with a record (deal:1234, ticket:5, ...; repeatable)"},
	{"json", 0, CLI_FLAG, F(json), 0, NULL, "JSON output"},
	{"remote", 0, CLI_FLAG, F(remote), 0, NULL,
	 "also ask the portal for its meeting properties"},
	{"limit", 0, CLI_POSITIVE, F(limit), 0, "N",
	 "how many occurrences to preview, the earliest first (default 10)"},
	{"run", 0, CLI_POSITIVE, F(run_id), 0, "N", "the run to undo ('state list' shows them)"},
	{"yes", 'y', CLI_FLAG, F(yes), 0, NULL, "do not ask (needed when not on a terminal)"},
	{"config", 0, CLI_STRING, F(config), 0, "FILE",
	 "the configuration: portals and calendars (sync's default: "
	 "$XDG_CONFIG_HOME/ics2hubspot/config.yaml)"},
	{"portal", 0, CLI_STRING, F(portal), 0, "NAME", "a portal of the configuration file"},
	{"wait", 0, CLI_FLAG, F(wait), 0, NULL,
	 "wait for another sync of the same portal instead of exiting 4"},
	{"log-format", 0, CLI_STRING, F(log_format), 0, "text|json",
	 "json: one JSON object per message and summary on stderr (journald)"},
	/* every command takes these three */
	{"quiet", 'q', CLI_QUIET, 0, 0, NULL, "only errors"},
	{"verbose", 'v', CLI_VERBOSE, 0, 0, NULL,
	 "more detail (twice: HTTP trace, token redacted)"},
	{"help", 'h', CLI_HELP, 0, 0, NULL, "this help"},
};

#define COMMON_OPTIONS	"quiet verbose help"
#define HUBSPOT_OPTIONS "api-base api-version allow-insecure-http token-file rate"
#define WINDOW_OPTIONS	"since until default-tz max-per-series"

struct cli_command {
	const char *name; /* "import", or "state undo" for a sub-command */
	cli_command_fn run;
	const char *args; /* after the name in the synopsis */
	const char *summary;
	const char *options; /* long names, space-separated; COMMON_OPTIONS are added */
	const char *examples;
	/* options whose help this command words its own way: "name", "text", ..., NULL */
	const char *const *own_help;
};

/*
 * Every command. To add one: one row here (its function declared in app.h).
 * A sub-command is named "GROUP SUB" and is found by its two words.
 */
static const struct cli_command commands[] = {
	{"setup", cmd_setup, "[options]",
	 "make the portal ready: identity property, property group, mapping check",
	 "mapping dry-run config portal " HUBSPOT_OPTIONS,
	 "ics2hubspot setup --dry-run\n"
	 "ics2hubspot setup -m outlook\n"
	 "ics2hubspot setup --config team.yaml --portal acme",
	 (const char *const[]){
		 "dry-run", "create nothing; say what would be created (reads the portal)", NULL}},
	{"sync", cmd_sync, "[options] [NAME...]",
	 "import every calendar of the configuration (or the NAMEd calendars or portals)",
	 "config wait log-format force recreate-deleted rate",
	 "ics2hubspot sync\n"
	 "ics2hubspot sync --config ~/team.yaml sales-team support\n"
	 "ics2hubspot sync -q   # from cron: one time-stamped line a run",
	 NULL},
	{"import", cmd_import, "[options] CALENDAR...", "import occurrences as HubSpot meetings",
	 "mapping " WINDOW_OPTIONS " dry-run " HUBSPOT_OPTIONS
	 " report state no-state name force recreate-deleted associate config log-format",
	 "ics2hubspot import --dry-run team.ics\n"
	 "ics2hubspot import -m mappings/default.yaml --since 2026-01-01 --report run.json team.ics\n"
	 "ics2hubspot import --associate deal:1234 https://example.com/cal.ics\n"
	 "ics2hubspot import --config team.yaml sales-team",
	 NULL},
	{"expand", cmd_expand, "[options] CALENDAR...",
	 "print one JSON object per occurrence (nothing is sent)", WINDOW_OPTIONS,
	 "ics2hubspot expand --since 2026-03-01 --until 2026-04-01 team.ics\n"
	 "curl -s https://example.com/cal.ics | ics2hubspot expand -",
	 NULL},
	{"check", cmd_check, "[options] [CALENDAR...]",
	 "validate the mapping and preview the mapped meetings",
	 "mapping " WINDOW_OPTIONS " json remote limit config " HUBSPOT_OPTIONS,
	 "ics2hubspot check -m my.yaml\n"
	 "ics2hubspot check -m my.yaml --limit 3 team.ics\n"
	 "ics2hubspot check --remote -m my.yaml",
	 NULL},
	{"state list", cmd_state, "[options]", "calendars, counts per status, recent runs",
	 "state json config portal", "ics2hubspot state list\nics2hubspot state list --json", NULL},
	{"state runs", cmd_state, "[options]",
	 "past runs: calendar, portal, start, duration, counts, exit code, why it failed",
	 "state json config portal",
	 "ics2hubspot state runs\nics2hubspot state runs --config team.yaml --portal acme", NULL},
	{"state show", cmd_state, "[options] KEY",
	 "one occurrence ('UID' or 'UID#20260310T093000Z') in every calendar",
	 "state json config portal", "ics2hubspot state show 'weekly@example.com#20260310T093000Z'",
	 NULL},
	{"state forget", cmd_state, "[options] SOURCE",
	 "drop a calendar from the state; HubSpot is not touched", "state config portal",
	 "ics2hubspot state forget team.ics", NULL},
	{"state rename", cmd_state, "[options] OLD NEW",
	 "the calendar's meetings now belong to NEW (a path, a URL or a --name)",
	 "state config portal",
	 "ics2hubspot state rename old/team.ics new/team.ics\n"
	 "ics2hubspot state rename https://example.com/old-secret.ics team",
	 NULL},
	{"state undo", cmd_state, "--run N [options]",
	 "archive in HubSpot what run N created (asks first)",
	 "state run dry-run yes config portal " HUBSPOT_OPTIONS,
	 "ics2hubspot state undo --run 12 --dry-run\n"
	 "ics2hubspot state undo --run 12\n"
	 "ics2hubspot state undo --run 12 --yes   # from a script",
	 (const char *const[]){"dry-run", "archive nothing; list what would be archived", NULL}},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct cli_option *option_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
			return &options[i];
	return NULL;
}

static const struct cli_option *option_by_short(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].short_name == c)
			return &options[i];
	return NULL;
}

/* Does `list` (space-separated words) contain `word`? */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");

		if (len == n && !strncmp(p, word, n))
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

static bool command_takes(const struct cli_command *c, const struct cli_option *opt)
{
	return word_in(c->options, opt->name) || word_in(COMMON_OPTIONS, opt->name);
}

/* "state undo" -> "state", "import" -> "import" (the first word's length). */
static size_t group_len(const char *name)
{
	return strcspn(name, " ");
}

static bool is_group(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].name[group_len(commands[i].name)] == ' ' &&
		    group_len(commands[i].name) == strlen(word) &&
		    !strncmp(commands[i].name, word, strlen(word)))
			return true;
	return false;
}

static const struct cli_command *command_by_words(const char *group, const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *n = commands[i].name;
		size_t g = group_len(n);

		if (g != strlen(group) || strncmp(n, group, g))
			continue;
		if (!n[g] && !sub)
			return &commands[i];
		if (n[g] && sub && !strcmp(n + g + 1, sub))
			return &commands[i];
	}
	return NULL;
}

/* Levenshtein distance (template.c's, case-insensitive), capped: enough for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	if (strlen(a) > 64 || strlen(b) > 64)
		return SIZE_MAX;
	return text_edit_distance(a, b);
}

const char *cli_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	if (!*word)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);

		if (!strncmp(candidates[i], word, strlen(word)))
			d = 1; /* a prefix: "imp" -> "import" */
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/* The group words ("import", "state", ...) or the sub-commands of `group`. */
static size_t command_words(const char *group, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *name = commands[i].name;
		size_t g = group_len(name);
		bool dup = false;

		if (group) {
			if (name[g] && g == strlen(group) && !strncmp(name, group, g))
				out[n++] = name + g + 1;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			dup = dup || (strlen(out[k]) == g && !strncmp(out[k], name, g));
		if (!dup)
			out[n++] = name; /* compared by its first g bytes below */
	}
	return n;
}

/* "'imprt' is not an ics2hubspot command; did you mean 'import'?" */
static int unknown_command(const char *group, const char *word)
{
	const char *words[ARRAY_SIZE(commands) + 1];
	char *firsts[ARRAY_SIZE(commands) + 1];
	size_t n = command_words(group, words);
	const char *s;

	for (size_t i = 0; i < n; i++)
		firsts[i] = group ? xstrdup(words[i]) : xstrndup(words[i], group_len(words[i]));
	if (!group)
		firsts[n++] = xstrdup("help");
	s = cli_suggest(word, (const char *const *)firsts, n);
	if (group)
		error("'%s' is not a '%s' command%s%s%s", word, group, s ? "; did you mean '" : "",
		      s ? s : "", s ? "'?" : "");
	else
		error("'%s' is not an %s command%s%s%s", word, PROGRAM_NAME,
		      s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
	usage_hint(group);
	for (size_t i = 0; i < n; i++)
		free(firsts[i]);
	return EXIT_USAGE;
}

static void print_option(FILE *f, const struct cli_command *c, const struct cli_option *opt)
{
	const char *help = opt->help;
	char left[64];

	for (const char *const *h = c->own_help; h && h[0]; h += 2)
		if (!strcmp(h[0], opt->name))
			help = h[1];

	snprintf(left, sizeof(left), "%c%c%c --%s%s%s", opt->short_name ? '-' : ' ',
		 opt->short_name ? opt->short_name : ' ', opt->short_name ? ',' : ' ', opt->name,
		 opt->arg ? " " : "", opt->arg ? opt->arg : "");
	fprintf(f, "  %-24s %s\n", left, help);
}

static void print_examples(FILE *f, const char *examples)
{
	for (const char *p = examples; *p;) {
		size_t len = strcspn(p, "\n");

		fprintf(f, "  %.*s\n", (int)len, p);
		p += len;
		if (*p)
			p++;
	}
}

static void command_help(FILE *f, const struct cli_command *c)
{
	fprintf(f, "usage: %s %s %s\n\n%c%s.\n\noptions:\n", PROGRAM_NAME, c->name, c->args,
		toupper((unsigned char)c->summary[0]), c->summary + 1);
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (command_takes(c, &options[i]))
			print_option(f, c, &options[i]);
	fputs("\nexamples:\n", f);
	print_examples(f, c->examples);
}

static const char general_help_tail[] =
	"\n"
	"CALENDAR is a file, '-' for stdin, or an https:// / webcal:// URL.\n"
	"'ics2hubspot help COMMAND' or 'ics2hubspot COMMAND --help' shows a command's options;\n"
	"'man ics2hubspot' has everything.\n"
	"\n"
	"environment: HUBSPOT_ACCESS_TOKEN (a service key or private-app token), HUBSPOT_API_BASE,\n"
	"HUBSPOT_API_VERSION, XDG_STATE_HOME, NO_COLOR; the ICS2HUBSPOT_* tuning variables are\n"
	"in the man page.\n"
	"\n"
	"exit codes: 0 all done; 1 some occurrences failed, the rest done; 2 usage, mapping or\n"
	"calendar unreadable; 3 HubSpot refused us (auth, scopes, daily limit, retries exhausted);\n"
	"4 another run holds the state lock. sync: the highest of its calendars' codes.\n";

static void general_help(FILE *f)
{
	fputs("usage: ics2hubspot COMMAND [options] [ARGS...]\n"
	      "       ics2hubspot help [COMMAND]\n"
	      "       ics2hubspot --version\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-36s %s\n", left, commands[i].summary);
	}
	fputs(general_help_tail, f);
}

/* `state --help`: every sub-command of the group. */
static void group_help(FILE *f, const char *group)
{
	bool first = true;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *n = commands[i].name;
		size_t g = group_len(n);

		if (!n[g] || g != strlen(group) || strncmp(n, group, g))
			continue;
		if (!first)
			fputc('\n', f);
		first = false;
		command_help(f, &commands[i]);
	}
}

int cli_help(FILE *f, const char *command, const char *sub)
{
	const struct cli_command *c;

	if (!command) {
		general_help(f);
		return EXIT_DONE;
	}
	if (!strcmp(command, "help")) {
		fputs("usage: ics2hubspot help [COMMAND [SUBCOMMAND]]\n\nShow a command's synopsis, "
		      "options and examples.\n",
		      f);
		return EXIT_DONE;
	}
	if (is_group(command) && !sub) {
		group_help(f, command);
		return EXIT_DONE;
	}
	c = command_by_words(command, is_group(command) ? sub : NULL);
	if (!c) {
		if (is_group(command))
			return unknown_command(command, sub);
		return unknown_command(NULL, command);
	}
	command_help(f, c);
	return EXIT_DONE;
}

static int print_version(void)
{
	printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
	app_print_library_versions(stdout);
	return EXIT_DONE;
}

/* ---- values ------------------------------------------------------------------------------ */

static int parse_rate(const char *s, int *max, int *interval_ms)
{
	char *end;
	long n;
	double secs;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || n <= 0 || n > INT_MAX || *end != '/')
		return -1;
	secs = strtod(end + 1, &end);
	if (!(secs > 0 && secs <= 86400) || (*end && strcmp(end, "s")))
		return -1;
	*max = (int)n;
	*interval_ms = (int)(secs * 1000);
	return *interval_ms > 0 ? 0 : -1;
}

/* A file we will create: "-", or a path whose directory exists and can be written. */
static int check_output(const struct cli_command *c, const char *opt, const char *path)
{
	struct stat sb;
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc = 0;

	if (!strcmp(path, "-"))
		return 0;
	if (!*path)
		return usage_error(c->name, "--%s: an empty file name", opt);
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return usage_error(c->name, "--%s: '%s' is a directory", opt, path);
	dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
		rc = usage_error(c->name, "--%s: the directory '%s' does not exist", opt, dir);
	else if (access(dir, W_OK | X_OK))
		rc = usage_error(c->name, "--%s: cannot write in the directory '%s'", opt, dir);
	else if (!access(path, F_OK) && access(path, W_OK))
		rc = usage_error(c->name, "--%s: cannot write '%s'", opt, path);
	free(dir);
	return rc;
}

#define AT(o, field, type) ((type *)((char *)(o) + (field)))

/* Store (and check) one option's value. Returns 0, or EXIT_USAGE with the message printed. */
static int apply(const struct cli_command *c, const struct cli_option *opt, const char *value,
		 struct app_options *o)
{
	switch (opt->kind) {
	case CLI_FLAG:
		*AT(o, opt->field, bool) = true;
		return 0;
	case CLI_STRING:
		*AT(o, opt->field, const char *) = value;
		return 0;
	case CLI_OUTPUT:
		*AT(o, opt->field, const char *) = value;
		return check_output(c, opt->name, value);
	case CLI_DATE:
		if (time_parse_when(value, time_now(), AT(o, opt->field, int64_t)))
			return usage_error(c->name,
					   "--%s: '%s' is not a date (YYYY-MM-DD, "
					   "YYYY-MM-DDTHH:MM[:SS]Z, today, or relative to today: "
					   "-30d, +2w, +6m, +1y)",
					   opt->name, value);
		*AT(o, opt->field2, bool) = true;
		return 0;
	case CLI_ZONE:
		if (!ics_zone_known(value))
			return usage_error(c->name,
					   "--%s: unknown time zone '%s' (an IANA name such as "
					   "Europe/Berlin, or a Windows one)",
					   opt->name, value);
		*AT(o, opt->field, const char *) = value;
		return 0;
	case CLI_POSITIVE: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < 1 || (opt->field == F(limit) && v > INT_MAX))
			return usage_error(c->name, "--%s: '%s' is not a positive integer",
					   opt->name, value);
		*AT(o, opt->field, long) = v;
		return 0;
	}
	case CLI_RATE:
		if (parse_rate(value, AT(o, opt->field, int), AT(o, opt->field2, int)))
			return usage_error(c->name, "--%s: '%s' is not N/SECONDSs (e.g. 100/10s)",
					   opt->name, value);
		o->rate_given = true;
		return 0;
	case CLI_LIST: {
		const char ***list = AT(o, opt->field, const char **);
		size_t *n = AT(o, opt->field2, size_t);

		*list = xrealloc(*list, (*n + 1) * sizeof(**list));
		(*list)[(*n)++] = value;
		return 0;
	}
	case CLI_QUIET:
		util_verbosity = 0;
		return 0;
	case CLI_VERBOSE:
		util_verbosity++;
		return 0;
	case CLI_HELP:
		break;
	}
	BUG("option kind %d", (int)opt->kind);
}

/* The option's name as typed, for messages: "--foo" or "-x". */
static int foreign_option(const struct cli_command *c, const char *typed,
			  const struct cli_option *opt)
{
	const char *names[ARRAY_SIZE(options)];
	size_t n = 0;
	const char *s = NULL;

	if (opt)
		return usage_error(c->name, "'%s' does not take %s", c->name, typed);
	if (typed[1] == '-') {
		char *bare = xstrndup(typed + 2, strcspn(typed + 2, "="));

		for (size_t i = 0; i < ARRAY_SIZE(options); i++)
			if (command_takes(c, &options[i]))
				names[n++] = options[i].name;
		s = cli_suggest(bare, names, n);
		free(bare);
	}
	error("unknown option '%s'%s%s%s", typed, s ? "; did you mean '--" : "", s ? s : "",
	      s ? "'?" : "");
	usage_hint(c->name);
	return EXIT_USAGE;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/*
 * The sub-command word of a group: the first argument that is not an option
 * or an option's value. Returns its index, or 0 when there is none.
 */
static int find_sub(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++) {
		const struct cli_option *opt;
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return i + 1 < argc ? i + 1 : 0;
		if (a[0] != '-' || !a[1])
			return i;
		if (a[1] == '-')
			opt = strchr(a, '=') ? NULL : option_by_name(a + 2, strlen(a + 2));
		else
			opt = a[2] ? NULL : option_by_short(a[1]);
		if (opt && opt->arg)
			i++;
	}
	return 0;
}

/* -m NAME: a preset's name becomes its file's path (mapping.c: mapping_find). */
static int find_mapping(const struct cli_command *c, struct app_options *o)
{
	char *known = NULL;
	int rc;

	if (!*o->mapping)
		return usage_error(c->name, "-m: an empty mapping name");
	o->mapping_found = mapping_find(o->mapping, &known);
	if (o->mapping_found) {
		o->mapping = o->mapping_found;
		return 0;
	}
	rc = usage_error(c->name,
			 "-m %s: no preset '%s' (presets: %s); a mapping file is named by a path "
			 "with a '/' or a .yaml suffix (-m ./%s)",
			 o->mapping, o->mapping, known, o->mapping);
	free(known);
	return rc;
}

/* --api-version, else $HUBSPOT_API_VERSION, else the default: the version every path speaks. */
static int apply_api_version(const struct cli_command *c, const struct app_options *o)
{
	const char *env = getenv("HUBSPOT_API_VERSION");
	const char *name = o->api_version ? o->api_version : env && *env ? env : NULL;
	enum hs_api_version v;

	if (!name)
		return 0;
	if (hs_api_version_parse(name, &v))
		return usage_error(c->name, "%s: '%s' is not a HubSpot API version we speak (%s)",
				   o->api_version ? "--api-version" : "HUBSPOT_API_VERSION", name,
				   hs_api_versions_known());
	hs_api_set_version(v);
	return 0;
}

void cli_release(struct app_options *o)
{
	FREE_NULL(o->mapping_found);
	FREE_NULL(o->associate);
	FREE_NULL(o->args);
	o->nargs = 0;
}

static int parse_options(const struct cli_command *c, int argc, char **argv, int from,
			 struct app_options *o)
{
	bool only_args = false;

	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_option *opt;
		const char *value = NULL;
		int rc;

		if (only_args || a[0] != '-' || !a[1]) {
			o->args[o->nargs++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			opt = option_by_name(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
			if (!opt || !command_takes(c, opt)) {
				char *typed = xstrndup(a, eq ? (size_t)(eq - a) : strlen(a));

				rc = foreign_option(c, typed, opt);
				free(typed);
				return rc;
			}
			if (eq && !opt->arg)
				return usage_error(c->name, "--%s takes no value", opt->name);
			value = eq ? eq + 1 : NULL;
		} else {
			/* -nv, -m FILE, -mFILE */
			for (const char *p = a + 1; *p; p++) {
				char typed[3] = {'-', *p, '\0'};

				opt = option_by_short(*p);
				if (!opt || !command_takes(c, opt))
					return foreign_option(c, typed, opt);
				if (opt->arg) {
					if (p[1])
						value = p + 1;
					break;
				}
				if ((rc = apply(c, opt, NULL, o)))
					return rc;
				opt = NULL;
			}
			if (!opt)
				continue;
		}
		if (opt->arg && !value) {
			if (i + 1 >= argc)
				return usage_error(c->name, "--%s needs a value (%s)", opt->name,
						   opt->arg);
			value = argv[++i];
		}
		if ((rc = apply(c, opt, value, o)))
			return rc;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct app_options *o, cli_command_fn *run)
{
	const struct cli_command *c;
	const char *word;
	int from = 2, rc;

	memset(o, 0, sizeof(*o));
	o->rate_max = 100;
	o->rate_interval_ms = 10000;
	o->limit = 10;
	o->run_id = -1;
	*run = NULL;

	if (argc < 2)
		return usage_error(
			NULL,
			"a command is needed: setup, import, sync, expand, check, state or help");
	word = argv[1];
	if (is_help(word))
		return cli_help(stdout, NULL, NULL);
	if (!strcmp(word, "--version"))
		return print_version();
	if (word[0] == '-')
		return usage_error(NULL,
				   "unknown option '%s' (the command comes first: %s COMMAND "
				   "[options])",
				   word, PROGRAM_NAME);
	if (!strcmp(word, "help")) {
		if (argc > 4)
			return usage_error("help", "unexpected argument '%s'", argv[4]);
		return cli_help(stdout, argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);
	}
	/* The command word first: "imprt --since bad" is about 'imprt', not --since. */
	if (is_group(word)) {
		int sub = find_sub(argc, argv, 2);

		for (int i = 2; i < (sub ? sub : argc) && strcmp(argv[i], "--"); i++)
			if (is_help(argv[i]))
				return cli_help(stdout, word, NULL);
		if (!sub) {
			const char *subs[ARRAY_SIZE(commands)];
			size_t n = command_words(word, subs);
			struct sbuf sb = SBUF_INIT;

			for (size_t i = 0; i < n; i++)
				sbuf_addf(&sb, "%s%s", i ? ", " : "", subs[i]);
			rc = usage_error(word, "which command? %s", sb.buf);
			sbuf_release(&sb);
			return rc;
		}
		c = command_by_words(word, argv[sub]);
		if (!c)
			return unknown_command(word, argv[sub]);
	} else {
		c = command_by_words(word, NULL);
		if (!c)
			return unknown_command(NULL, word);
	}
	for (int i = from; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help(argv[i])) {
			command_help(stdout, c);
			return EXIT_DONE;
		}
	o->args = xcalloc((size_t)argc, sizeof(*o->args));
	rc = parse_options(c, argc, argv, from, o);
	if (rc)
		return rc;
	if (o->has_since && o->has_until && o->until <= o->since)
		return usage_error(c->name, "--until must be after --since");
	if (o->mapping && (rc = find_mapping(c, o)))
		return rc;
	if (word_in(c->options, "api-version") && (rc = apply_api_version(c, o)))
		return rc;
	if (o->log_format) {
		if (!strcmp(o->log_format, "json"))
			log_set_format(LOG_JSON);
		else if (strcmp(o->log_format, "text"))
			return usage_error(c->name, "--log-format: '%s' is not text or json",
					   o->log_format);
	}
	if (o->portal && !o->config)
		return usage_error(c->name, "--portal names a portal of a --config file");
	*run = c->run;
	return -1;
}
