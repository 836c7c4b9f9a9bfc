/* t-config: the configuration file — what it accepts, and its errors with file:line:col. */
#include "config.h"
#include "test.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/t-config.XXXXXX";

/* Write `text` to DIR/name and load it; the errors go to `err` (a file), returned as text. */
static struct config *load(const char *name, const char *text, char **errors)
{
	char *path = xasprintf("%s/%s", dir, name), *errpath = xasprintf("%s/err", dir);
	FILE *f = fopen(path, "w");
	struct config *c;
	int saved = dup(2);

	fputs(text, f);
	fclose(f);
	fflush(stderr);
	if (!freopen(errpath, "w", stderr))
		abort();
	c = config_load(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*errors = NULL;
	if (file_read_small(errpath, 1 << 20, errors, NULL))
		*errors = xstrdup("");
	free(path);
	free(errpath);
	return c;
}

static void test_good(void)
{
	char *err;
	struct config *c =
		load("good.yaml",
		     "version: 1\n"
		     "portals:\n"
		     "  - name: acme\n"
		     "    token_env: ACME\n"
		     "    api_base: https://api.example.com\n"
		     "  - {name: b, token_file: b.token}\n"
		     "calendars:\n"
		     "  - {name: sales, source: cal/sales.ics, portal: acme, mapping: outlook,"
		     " since: -30d, until: +1y}\n"
		     "  - {name: web, source: https://example.com/x.ics, portal: b, state: b.db}\n",
		     &err);
	const struct config_calendar *cal;
	bool sel[2];
	char b[] = "b";
	char *names[] = {b};

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(err, "");
	CHECK(c->nportals == 2 && c->ncalendars == 2);
	cal = config_calendar(c, "sales");
	CHECK(cal && cal->portal == config_portal(c, "acme"));
	CHECK(cal && !strncmp(cal->source, dir, strlen(dir)) &&
	      !strcmp(cal->source + strlen(dir), "/cal/sales.ics"));
	CHECK_STR(cal ? cal->mapping : NULL, "outlook"); /* a preset's name stays a name */
	CHECK_STR(config_calendar(c, "web")->source, "https://example.com/x.ics");
	CHECK(str_ends_with(config_portal(c, "b")->token_file, "/b.token"));
	CHECK(str_ends_with(config_calendar_state(config_calendar(c, "web")), "/b.db"));
	CHECK(str_ends_with(config_calendar_state(cal), "/ics2hubspot/acme.db"));
	CHECK_INT(config_select(c, names, 1, sel, "sync"), 0);
	CHECK(!sel[0] && sel[1]);
	CHECK_INT(config_select(c, NULL, 0, sel, "sync"), 0);
	CHECK(sel[0] && sel[1]);
	free(err);
	config_free(c);
}

static void bad(const char *text, const char *want)
{
	char *err;
	struct config *c = load("bad.yaml", text, &err);

	CHECK(c == NULL);
	if (!strstr(err, want)) {
		fprintf(stderr, "want '%s' in: %s", want, err);
		CHECK(!"error text");
	}
	free(err);
	config_free(c);
}

static void test_errors(void)
{
	const char *head = "version: 1\nportals:\n  - name: acme\ncalendars:\n";

	bad("version: 2\nportals: []\n", "bad.yaml:1:10: unsupported version (expected 1)");
	bad("version: 1\nportals:\n  - name: x\n    tokn_env: X\ncalendars:\n  - {name: a, source: "
	    "a.ics}\n",
	    "bad.yaml:4:5: unknown key 'tokn_env' in a portal (did you mean 'token_env'?)");
	bad("version: 1\nportals:\n  - {name: x, token_env: A, token_file: f}\ncalendars:\n"
	    "  - {name: a, source: a.ics}\n",
	    "bad.yaml:3:5: portal 'x': one of token_env, token_file, token_command, not 2");
	bad("version: 1\nportals:\n  - {name: x, api_version: v3}\ncalendars:\n"
	    "  - {name: a, source: a.ics}\n",
	    "bad.yaml:3:28: 'v3' is not a HubSpot API version we speak");
	{
		char *t = xasprintf("%s  - {name: a, source: a.ics, portal: nope}\n", head);

		bad(t, "bad.yaml:5:38: calendar 'a': no portal 'nope' in this file");
		free(t);
		t = xasprintf("%s  - {name: a, source: a.ics, since: yesterday}\n", head);
		bad(t, "bad.yaml:5:37: 'yesterday' is not a date for 'since'");
		free(t);
		t = xasprintf("%s  - {name: a, source: a.ics}\n  - {name: a, source: b.ics}\n",
			      head);
		bad(t, "bad.yaml:6:5: a second calendar named 'a'");
		free(t);
		t = xasprintf("%s  - {name: acme, source: a.ics}\n", head);
		bad(t, "'acme' names a portal and a calendar");
		free(t);
		t = xasprintf("%s  - {name: a/b, source: a.ics}\n", head);
		bad(t, "bad.yaml:5:12: 'a/b' is not a calendar name");
		free(t);
		t = xasprintf("%s  - {name: a}\n", head);
		bad(t, "bad.yaml:5:5: a calendar needs a source");
		free(t);
	}
	bad("version: 1\nportals:\n  - {name: x}\n  - {name: y}\ncalendars:\n"
	    "  - {name: a, source: a.ics}\n",
	    "bad.yaml:6:5: calendar 'a': which portal?");
	bad("version: 1\nportals: [\n", "bad.yaml:3:1: invalid YAML");
}

int main(void)
{
	char *state = NULL;

	if (!mkdtemp(dir))
		return 1;
	state = xasprintf("%s/state", dir);
	setenv("XDG_STATE_HOME", state, 1);
	test_good();
	test_errors();
	free(state);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
		free(cmd);
	}
	return TEST_DONE();
}
