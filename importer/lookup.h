/* lookup: search before create across a run: a probe, then per key or from a map paged once. */
#ifndef LOOKUP_H
#define LOOKUP_H

#include "hubspot.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * HubSpot's search is limited to 5 requests per second per portal, so looking
 * every new meeting up by key (100 keys per request) sets the pace of a first
 * import. A lookup answers the same question per chunk of a run, choosing the
 * cheapest way once it knows how many meetings could answer at all:
 *
 * - before its first look-up, one probe: meetings having `property` (and not
 *   having `unless`, when given), 200 per page, reading HubSpot's `total`;
 * - total == 0: no meeting can match; every later look-up of the run is
 *   answered "none" without a request (the run's own creates are known to it);
 * - total <= 10,000 (HubSpot pages no further) and paging them all costs no
 *   more requests than the per-key look-ups made and still to make for this
 *   chunk: every such meeting is paged once into a map (value -> results), and
 *   every later look-up is answered from it;
 * - otherwise per key (batch_search_property), deciding again at each chunk.
 *
 * Search lags behind writes: a meeting created seconds before the probe may be
 * missed, as by a per-key search; one created by another process after the
 * probe is missed for the rest of the run (docs/search-before-create.md).
 */
struct lookup;

/* property: the property looked up; unless: results having it are not wanted (or NULL). */
struct lookup *lookup_new(const char *property, const char *unless);
void lookup_free(struct lookup *l);

/*
 * As batch_search_property(): hits_out[i] gets a cJSON array of the meetings
 * whose `property` equals values[i] exactly (with `props` among their
 * properties), or NULL; *requests (may be NULL) counts the requests made.
 * props should not change between calls (the map keeps the first call's).
 */
enum hs_result lookup_find(struct lookup *l, struct hs_client *c, const char *const *values,
			   size_t n, const char *const *props, size_t nprops, cJSON **hits_out,
			   size_t *requests);

/*
 * One probe for both lookups when both are unprobed (a fresh portal costs one
 * search, not two): the two filter groups ORed, 200 results. When every result
 * fits in that page, each lookup is answered from its part (none, or a map);
 * else each is probed on its own, both requests at once, and decides at its
 * first look-up. props: every property either lookup will be asked for.
 */
enum hs_result lookup_probe_pair(struct lookup *a, struct lookup *b, struct hs_client *c,
				 const char *const *props, size_t nprops, size_t *requests);

/* "not probed yet", "none in the portal", "from the portal's N meetings", "per key". */
const char *lookup_describe(struct lookup *l);

#endif
