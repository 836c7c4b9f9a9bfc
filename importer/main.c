/* main: the command line — options, usage, dispatch. No business logic here. */
#include "app.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: ics2hubspot import [options] CALENDAR...   import occurrences as HubSpot meetings\n"
	"       ics2hubspot expand [options] CALENDAR...   print one JSON object per occurrence\n"
	"       ics2hubspot check  [options] [CALENDAR...] validate the mapping, preview meetings\n"
	"       ics2hubspot state  list | show KEY | forget SOURCE | undo --run N\n"
	"       ics2hubspot --help | --version\n"
	"\n"
	"CALENDAR is a file, '-' for stdin, or an https:// / webcal:// URL.\n"
	"\n"
	"options:\n"
	"  -m, --mapping FILE     YAML mapping (default: the built-in mappings/default.yaml)\n"
	"      --since WHEN       only occurrences starting at or after WHEN (YYYY-MM-DD[THH:MM[:SS]Z])\n"
	"      --until WHEN       only occurrences starting before WHEN\n"
	"      --default-tz TZID  zone for floating times (else X-WR-TIMEZONE, else UTC)\n"
	"      --max-per-series N cap on the occurrences of one series (default 100000)\n"
	"  -n, --dry-run          send nothing; print the plan\n"
	"      --api-base URL     HubSpot API base (env HUBSPOT_API_BASE; default https://api.hubapi.com)\n"
	"      --token-file FILE  read the access token from FILE (else env HUBSPOT_ACCESS_TOKEN)\n"
	"      --rate N/Ss        client-side rate limit (default 100/10s; Professional: 190/10s)\n"
	"      --report FILE      write a JSON report of every occurrence (created 0600)\n"
	"      --state FILE       sync state database (default $XDG_STATE_HOME/ics2hubspot/state.db)\n"
	"      --no-state         import without a local state (no updates, no removals)\n"
	"      --force            remove even when a safety valve says not to\n"
	"      --associate T:ID   associate every meeting with a record (deal:1234, ticket:5, ...)\n"
	"      --json             JSON output (check, state list)\n"
	"      --remote           check: also ask the portal for its meeting properties\n"
	"      --limit N          check: how many occurrences to preview (default 10)\n"
	"      --run N            state undo: the run to undo\n"
	"  -q, --quiet            only errors\n"
	"  -v, --verbose          more detail (twice: HTTP trace, token redacted)\n"
	"\n"
	"exit codes: 0 all done; 1 some occurrences failed, the rest done; 2 usage, mapping or\n"
	"calendar unreadable; 3 HubSpot refused us (auth, scopes, daily limit, retries exhausted);\n"
	"4 another run holds the state lock.\n";

enum {
	OPT_SINCE = 256,
	OPT_UNTIL,
	OPT_DEFAULT_TZ,
	OPT_API_BASE,
	OPT_TOKEN_FILE,
	OPT_REPORT,
	OPT_STATE,
	OPT_NO_STATE,
	OPT_RATE,
	OPT_FORCE,
	OPT_ASSOCIATE,
	OPT_JSON,
	OPT_REMOTE,
	OPT_LIMIT,
	OPT_RUN,
	OPT_VERSION,
	OPT_MAX_PER_SERIES,
};

static const struct option long_options[] = {
	{"mapping", required_argument, NULL, 'm'},
	{"since", required_argument, NULL, OPT_SINCE},
	{"until", required_argument, NULL, OPT_UNTIL},
	{"default-tz", required_argument, NULL, OPT_DEFAULT_TZ},
	{"dry-run", no_argument, NULL, 'n'},
	{"api-base", required_argument, NULL, OPT_API_BASE},
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"report", required_argument, NULL, OPT_REPORT},
	{"state", required_argument, NULL, OPT_STATE},
	{"no-state", no_argument, NULL, OPT_NO_STATE},
	{"rate", required_argument, NULL, OPT_RATE},
	{"force", no_argument, NULL, OPT_FORCE},
	{"associate", required_argument, NULL, OPT_ASSOCIATE},
	{"json", no_argument, NULL, OPT_JSON},
	{"remote", no_argument, NULL, OPT_REMOTE},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"run", required_argument, NULL, OPT_RUN},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"max-per-series", required_argument, NULL, OPT_MAX_PER_SERIES},
	{NULL, 0, NULL, 0},
};

/* Misuse of the command line: say what, then where to look (curl's helpf). */
#define usage_die(...) exit(usage_error(NULL, __VA_ARGS__))

static int parse_rate(const char *s, int *max, int *interval_ms)
{
	char *end;
	long n = strtol(s, &end, 10);
	double secs;

	if (n <= 0 || *end != '/')
		return -1;
	secs = strtod(end + 1, &end);
	if (secs <= 0 || (*end && strcmp(end, "s")))
		return -1;
	*max = (int)n;
	*interval_ms = (int)(secs * 1000);
	return 0;
}

static long parse_long(const char *s, const char *option)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0)
		usage_die("%s: '%s' is not a number", option, s);
	return v;
}

int main(int argc, char **argv)
{
	struct app_options o = {0};
	const char *command;
	int c, rc;

	o.rate_max = 100;
	o.rate_interval_ms = 10000;
	o.limit = 10;
	o.run_id = -1;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return EXIT_DONE;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
		return EXIT_DONE;
	}
	if (argc < 2 || argv[1][0] == '-')
		usage_die("%s", "a command is needed: import, expand, check or state");
	command = argv[1];
	argc--;
	argv++;

	opterr = 0; /* our voice, not getopt's */
	while ((c = getopt_long(argc, argv, "m:nqvh", long_options, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.mapping = optarg;
			break;
		case OPT_SINCE:
			if (time_parse_utc(optarg, &o.since))
				usage_die("--since: '%s' is not YYYY-MM-DD[THH:MM[:SS]Z]", optarg);
			o.has_since = true;
			break;
		case OPT_UNTIL:
			if (time_parse_utc(optarg, &o.until))
				usage_die("--until: '%s' is not YYYY-MM-DD[THH:MM[:SS]Z]", optarg);
			o.has_until = true;
			break;
		case OPT_DEFAULT_TZ:
			o.default_tz = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case OPT_API_BASE:
			o.api_base = optarg;
			break;
		case OPT_TOKEN_FILE:
			o.token_file = optarg;
			break;
		case OPT_REPORT:
			o.report = optarg;
			break;
		case OPT_STATE:
			o.state = optarg;
			break;
		case OPT_NO_STATE:
			o.no_state = true;
			break;
		case OPT_RATE:
			if (parse_rate(optarg, &o.rate_max, &o.rate_interval_ms))
				usage_die("--rate: '%s' is not N/SECONDSs (e.g. 100/10s)", optarg);
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_ASSOCIATE:
			o.associate = xrealloc(o.associate, (o.nassociate + 1) * sizeof(char *));
			o.associate[o.nassociate++] = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_REMOTE:
			o.remote = true;
			break;
		case OPT_LIMIT:
			o.limit = (int)parse_long(optarg, "--limit");
			break;
		case OPT_MAX_PER_SERIES:
			o.max_per_series = parse_long(optarg, "--max-per-series");
			if (!o.max_per_series)
				usage_die("%s", "--max-per-series must be at least 1");
			break;
		case OPT_RUN:
			o.run_id = parse_long(optarg, "--run");
			break;
		case 'q':
			util_verbosity = 0;
			break;
		case 'v':
			util_verbosity++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(o.associate);
			return EXIT_DONE;
		case OPT_VERSION:
			printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
			free(o.associate);
			return EXIT_DONE;
		default:
			if (optopt)
				usage_die("unknown option '-%c'", optopt);
			usage_die("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o.has_since && o.has_until && o.until <= o.since)
		usage_die("%s", "--until must be after --since");
	o.args = argv + optind;
	o.nargs = (size_t)(argc - optind);

	if (!strcmp(command, "import"))
		rc = cmd_import(&o);
	else if (!strcmp(command, "expand"))
		rc = cmd_expand(&o);
	else if (!strcmp(command, "check"))
		rc = cmd_check(&o);
	else if (!strcmp(command, "state"))
		rc = cmd_state(&o);
	else
		usage_die("unknown command '%s'", command);
	free(o.associate);
	return rc;
}
