/* fuzz_ics.c: the calendar reader (ics_read: both passes, expansion, overrides, zones). */
#include "fuzz.h"
#include "ics.h"
#include "util.h"

#include <string.h>

static int count(const struct occurrence *o, void *data)
{
	(void)o;
	(*(long *)data)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ics_options opt;
	struct ics_stats st;
	long n = 0;

	util_verbosity = 0;
	memset(&opt, 0, sizeof(opt));
	opt.has_since = opt.has_until = true;
	opt.since = 946684800; /* 2000-01-01 */
	opt.until = 1893456000; /* 2030-01-01 */
	opt.max_per_series = 500;
	opt.budget = size & 1; /* import's budgets by outcome for half of the inputs */
	ics_read(fuzz_file(data, size), "fuzz.ics", "fuzz.ics", &opt, count, &n, &st);
	ics_stats_release(&st);
	return 0;
}
