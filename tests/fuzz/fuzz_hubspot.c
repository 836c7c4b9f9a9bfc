/* fuzz_hubspot.c: HubSpot's answers (errors, 429 policies, contacts, owners, companies,
 * properties). */
#include "assoc.h"
#include "fuzz.h"
#include "hubspot.h"
#include "mapping.h"
#include "util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {400, 401, 403, 404, 409, 429, 500};
	static struct mapping *m;
	struct assoc_map a, b;
	char *after = NULL;
	cJSON *body;

	util_verbosity = 0;
	body = cJSON_ParseWithLength((const char *)data, size);
	if (!body)
		return 0;
	hs_policy_of(body);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct hs_response r = {0};

		r.status = statuses[i];
		hs_describe_error(statuses[i], body, &r);
		r.body = NULL;
		hs_response_release(&r);
	}
	assoc_map_init(&a);
	assoc_map_init(&b);
	assoc_parse_contacts(body, &a, &b);
	assoc_parse_owners_page(body, &a, &after);
	free(after);
	after = NULL;
	assoc_parse_companies_page(body, &b, &after);
	free(after);
	assoc_map_release(&a);
	assoc_map_release(&b);
	if (!m)
		m = mapping_load(NULL); /* the built-in default, kept for every input */
	if (m)
		mapping_check_remote_properties(m, body, NULL);
	cJSON_Delete(body);
	return 0;
}
