/* fuzz_mapping.c: the mapping loader (libyaml, schema, templates, regexes) and mapping_apply. */
#include "fuzz.h"
#include "mapping.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapping *m;
	struct meeting mt;

	util_verbosity = 0;
	m = mapping_load(fuzz_file(data, size));
	if (!m)
		return 0;
	mapping_apply(m, fuzz_occurrence(), &mt);
	meeting_release(&mt);
	mapping_free(m);
	return 0;
}
