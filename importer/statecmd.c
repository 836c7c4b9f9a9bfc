/* statecmd: `ics2hubspot state list | show KEY | forget SOURCE | undo --run N`. */
#include "app.h"
#include "util.h"

int cmd_state(const struct app_options *o)
{
	(void)o;
	error("state: not wired yet");
	return EXIT_USAGE;
}
