/* Unit tests for importer/cli.c: "did you mean" and the option tables. */
#include "cli.h"
#include "test.h"
#include "util.h"

#include <string.h>

static void test_suggest(void)
{
	static const char *const words[] = {"import", "expand", "check", "state", "help"};
	static const struct {
		const char *in, *want; /* want NULL: no suggestion */
	} table[] = {
		{"imprt", "import"}, {"improt", "import"}, {"exapnd", "expand"}, {"stat", "state"},
		{"chekc", "check"},  {"imp", "import"},	   {"frobnicate", NULL}, {"", NULL},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *got = cli_suggest(table[i].in, words, 5);

		if (table[i].want)
			CHECK_STR(got, table[i].want);
		else
			CHECK(got == NULL);
	}
}

/* Parse a command line given as words; returns cli_parse's result. */
static int parse(struct app_options *o, cli_command_fn *run, const char *const *words)
{
	char *argv[32];
	int argc = 0;

	while (words[argc]) {
		argv[argc] = (char *)(uintptr_t)words[argc];
		argc++;
	}
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, run);
}

static void test_parse(void)
{
	struct app_options o;
	cli_command_fn run;

	{
		const char *const w[] = {
			"ics2hubspot", "import",      "-nq",	"--since=2026-01-01",
			"a.ics",       "--associate", "deal:1", "--associate",
			"ticket:2",    "--",	      "-b.ics", NULL};

		CHECK_INT(parse(&o, &run, w), -1);
		CHECK(run == cmd_import);
		CHECK(o.dry_run && o.has_since && !o.has_until);
		CHECK_INT(o.nassociate, 2);
		CHECK_STR(o.associate[1], "ticket:2");
		CHECK_INT(o.nargs, 2);
		CHECK_STR(o.args[1], "-b.ics");
		cli_release(&o);
		util_verbosity = 1;
	}
	{
		/* options before the sub-command word; the word stays args[0] */
		const char *const w[] = {"ics2hubspot", "state", "--state", "s.db", "undo",
					 "--run",	"12",	 "-y",	    NULL};

		CHECK_INT(parse(&o, &run, w), -1);
		CHECK(run == cmd_state);
		CHECK_STR(o.state, "s.db");
		CHECK_INT(o.run_id, 12);
		CHECK(o.yes);
		CHECK_INT(o.nargs, 1);
		CHECK_STR(o.args[0], "undo");
		cli_release(&o);
	}
	{
		const char *const w[] = {"ics2hubspot", "check", "--rate", "190/10s",
					 "--limit",	"3",	 NULL};

		CHECK_INT(parse(&o, &run, w), -1);
		CHECK_INT(o.rate_max, 190);
		CHECK_INT(o.rate_interval_ms, 10000);
		CHECK_INT(o.limit, 3);
		cli_release(&o);
	}
	{
		/* a foreign option, and the command word checked before any value */
		const char *const w1[] = {"ics2hubspot", "expand", "--force", "a.ics", NULL};
		const char *const w2[] = {"ics2hubspot", "imprt", "--since", "bad", NULL};

		CHECK_INT(parse(&o, &run, w1), EXIT_USAGE);
		cli_release(&o);
		CHECK_INT(parse(&o, &run, w2), EXIT_USAGE);
		CHECK(run == NULL);
		cli_release(&o);
	}
}

int main(void)
{
	test_suggest();
	test_parse();
	return TEST_DONE();
}
