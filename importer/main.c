/* main: parse the command line (cli.c) and run the command. No logic here. */
#include "cli.h"
#include "ics.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct app_options o;
	cli_command_fn run;
	int rc = cli_parse(argc, argv, &o, &run);

	if (rc < 0)
		rc = run(&o);
	if (stdout_flush_check() && rc == EXIT_DONE)
		rc = EXIT_PARTIAL;
	cli_release(&o);
	/* --default-tz is checked against libical's zones before any command runs */
	ics_global_cleanup();
	return rc;
}
