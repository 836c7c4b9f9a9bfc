/* lookup: search before create across a run: a probe, then per key or from a map paged once. */
#include "lookup.h"
#include "routes.h"
#include "batch.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define PATH_SEARCH	   hs_route(HS_MEETINGS_SEARCH)
#define PAGE_LIMIT	   200 /* results per search page (HubSpot's maximum) */
#define PAGING_CAP	   10000 /* HubSpot pages no further than 10,000 results */
#define VALUES_PER_REQUEST 100 /* batch_search_property's values per request */

enum lookup_mode {
	LOOKUP_UNPROBED,
	LOOKUP_NONE, /* no meeting in the portal has the property */
	LOOKUP_MAP, /* every such meeting paged into the map */
	LOOKUP_PER_KEY, /* per key; total: what the probe counted */
};

struct map_entry {
	const char *value; /* borrowed from hit */
	const cJSON *hit;
};

struct lookup {
	char *property, *unless;
	enum lookup_mode mode;
	long total; /* the probe's total */
	size_t per_key_requests; /* per-key requests made so far */
	cJSON *results; /* LOOKUP_MAP: every result paged, owned */
	struct map_entry *map; /* sorted by value */
	size_t nmap;
	char desc[96];
};

struct lookup *lookup_new(const char *property, const char *unless)
{
	struct lookup *l = xcalloc(1, sizeof(*l));

	l->property = xstrdup(property);
	l->unless = unless ? xstrdup(unless) : NULL;
	return l;
}

void lookup_free(struct lookup *l)
{
	if (!l)
		return;
	free(l->property);
	free(l->unless);
	cJSON_Delete(l->results);
	free(l->map);
	free(l);
}

const char *lookup_describe(struct lookup *l)
{
	switch (l->mode) {
	case LOOKUP_UNPROBED:
		return "not probed yet";
	case LOOKUP_NONE:
		return "none in the portal";
	case LOOKUP_MAP:
		snprintf(l->desc, sizeof(l->desc), "from the portal's %ld meeting(s), paged once",
			 l->total);
		return l->desc;
	case LOOKUP_PER_KEY:
	default:
		snprintf(l->desc, sizeof(l->desc), "per key (the portal has %ld)", l->total);
		return l->desc;
	}
}

static const char *hit_value(const cJSON *hit, const char *property)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(hit, "properties"), property);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(hit, "id");

	return cJSON_IsString(v) && *v->valuestring && cJSON_IsString(id) ? v->valuestring : NULL;
}

/*
 * One page of the meetings having l->property (and not l->unless). *total
 * gets HubSpot's total; the page's results are moved into `into`; *next gets
 * the next page's `after` (a new string) or NULL.
 */
/* A filter group: has l->property (and not l->unless). */
static void add_group(const struct lookup *l, cJSON *groups)
{
	cJSON *group = cJSON_CreateObject(), *filters, *filter;

	cJSON_AddItemToArray(groups, group);
	filters = cJSON_AddArrayToObject(group, "filters");
	filter = cJSON_CreateObject();
	cJSON_AddStringToObject(filter, "propertyName", l->property);
	cJSON_AddStringToObject(filter, "operator", "HAS_PROPERTY");
	cJSON_AddItemToArray(filters, filter);
	if (l->unless) {
		filter = cJSON_CreateObject();
		cJSON_AddStringToObject(filter, "propertyName", l->unless);
		cJSON_AddStringToObject(filter, "operator", "NOT_HAS_PROPERTY");
		cJSON_AddItemToArray(filters, filter);
	}
}

/*
 * One page of the meetings l's filter group matches (or also `other`'s: the
 * groups are ORed). *total gets HubSpot's total; the page's results are moved
 * into `into`; *next gets the next page's `after` (a new string) or NULL.
 */
static enum hs_result search_page(struct lookup *l, const struct lookup *other, struct hs_client *c,
				  const char *after, const char *const *props, size_t nprops,
				  cJSON *into, long *total, char **next, size_t *requests)
{
	cJSON *body = cJSON_CreateObject(), *groups, *results;
	struct hs_response resp;
	enum hs_result ret;
	const cJSON *paging, *t;

	*next = NULL;
	groups = cJSON_AddArrayToObject(body, "filterGroups");
	add_group(l, groups);
	if (other)
		add_group(other, groups);
	hs_search_body_end(body, l->property, other ? other->property : NULL, props, nprops,
			   PAGE_LIMIT, after);
	ret = hs_call(c, "POST", PATH_SEARCH, body, true, &resp);
	cJSON_Delete(body);
	(*requests)++;
	if (ret != HS_OK) {
		error("cannot look meetings up in HubSpot: %s",
		      resp.message ? resp.message : hs_result_name(ret));
		hs_response_release(&resp);
		return ret;
	}
	t = cJSON_GetObjectItemCaseSensitive(resp.body, "total");
	*total = cJSON_IsNumber(t) ? (long)t->valuedouble : -1;
	results = cJSON_DetachItemFromObjectCaseSensitive(resp.body, "results");
	if (cJSON_IsArray(results))
		while (cJSON_GetArraySize(results) > 0)
			cJSON_AddItemToArray(into, cJSON_DetachItemFromArray(results, 0));
	cJSON_Delete(results);
	paging = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(resp.body, "paging"), "next");
	t = cJSON_GetObjectItemCaseSensitive(paging, "after");
	if (cJSON_IsString(t) && *t->valuestring)
		*next = xstrdup(t->valuestring);
	hs_response_release(&resp);
	return HS_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct map_entry *)a)->value, ((const struct map_entry *)b)->value);
}

/* Index l->results by their value of l->property: LOOKUP_MAP. */
static void index_map(struct lookup *l)
{
	const cJSON *hit;
	size_t n = 0;

	l->map = xcalloc((size_t)cJSON_GetArraySize(l->results) + 1, sizeof(*l->map));
	cJSON_ArrayForEach(hit, l->results)
	{
		const char *v = hit_value(hit, l->property);

		if (!v)
			continue;
		l->map[n].value = v;
		l->map[n++].hit = hit;
	}
	l->nmap = n;
	qsort(l->map, n, sizeof(*l->map), cmp_entry);
	l->mode = LOOKUP_MAP;
}

/* Page the rest (after `after`) into l->results and index them by value: LOOKUP_MAP. */
static enum hs_result build_map(struct lookup *l, struct hs_client *c, char *after,
				const char *const *props, size_t nprops, size_t *requests)
{
	enum hs_result ret = HS_OK;

	while (after && ret == HS_OK) {
		char *next = NULL;
		long total = 0;

		ret = search_page(l, NULL, c, after, props, nprops, l->results, &total, &next,
				  requests);
		free(after);
		after = next;
		if (after && (size_t)cJSON_GetArraySize(l->results) + PAGE_LIMIT > PAGING_CAP)
			FREE_NULL(after); /* the probe's total said it fits: it grew meanwhile */
	}
	free(after);
	if (ret != HS_OK)
		return ret;
	index_map(l);
	return HS_OK;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Requests batch_search_property would make for values[0..n): one per 100 distinct values. */
static size_t per_key_cost(const char *const *values, size_t n)
{
	const char **s = xmalloc((n ? n : 1) * sizeof(*s));
	size_t nu = 0;

	memcpy(s, values, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_cstr);
	for (size_t i = 0; i < n; i++)
		nu += !i || strcmp(s[i], s[i - 1]);
	free(s);
	return (nu + VALUES_PER_REQUEST - 1) / VALUES_PER_REQUEST;
}

static size_t pages_for(long total)
{
	return ((size_t)total + PAGE_LIMIT - 1) / PAGE_LIMIT;
}

enum hs_result lookup_find(struct lookup *l, struct hs_client *c, const char *const *values,
			   size_t n, const char *const *props, size_t nprops, cJSON **hits_out,
			   size_t *requests)
{
	size_t dummy = 0, cost;
	enum hs_result ret;

	if (!requests)
		requests = &dummy;
	for (size_t i = 0; i < n; i++)
		hits_out[i] = NULL;
	if (!n)
		return HS_OK;
	cost = per_key_cost(values, n);
	if (l->mode == LOOKUP_UNPROBED) {
		char *next = NULL;

		l->results = cJSON_CreateArray();
		ret = search_page(l, NULL, c, NULL, props, nprops, l->results, &l->total, &next,
				  requests);
		if (ret != HS_OK) {
			cJSON_Delete(l->results);
			l->results = NULL;
			return ret;
		}
		if (l->total == 0 && !next && !cJSON_GetArraySize(l->results)) {
			l->mode = LOOKUP_NONE;
		} else if (l->total >= 0 && l->total <= PAGING_CAP &&
			   pages_for(l->total) - 1 <= cost) {
			/* The probe was the first page: the rest cost fewer requests than the keys.
			 */
			ret = build_map(l, c, next, props, nprops, requests);
			next = NULL;
			if (ret != HS_OK) {
				cJSON_Delete(l->results);
				l->results = NULL;
				return ret;
			}
		} else {
			l->mode = LOOKUP_PER_KEY;
		}
		free(next);
		if (l->mode != LOOKUP_MAP) {
			cJSON_Delete(l->results);
			l->results = NULL;
		}
		verbose("looking meetings up in HubSpot by %s: %s", l->property,
			lookup_describe(l));
	} else if (l->mode == LOOKUP_PER_KEY && l->total <= PAGING_CAP &&
		   pages_for(l->total) <= l->per_key_requests + cost) {
		/* Rent or buy: the per-key look-ups made and due now have cost as much as
		 * paging them all once; the rest of the run is answered from the map. */
		l->results = cJSON_CreateArray();
		ret = build_map(l, c, xstrdup("0"), props, nprops, requests);
		if (ret != HS_OK) {
			cJSON_Delete(l->results);
			l->results = NULL;
			return ret;
		}
		verbose("looking meetings up in HubSpot by %s: %s", l->property,
			lookup_describe(l));
	}

	if (l->mode == LOOKUP_NONE)
		return HS_OK;
	if (l->mode == LOOKUP_PER_KEY) {
		size_t before = *requests;

		ret = batch_search_property(c, l->property, values, n, props, nprops, hits_out,
					    requests);
		l->per_key_requests += *requests - before;
		return ret;
	}
	for (size_t i = 0; i < n; i++) {
		struct map_entry key = {.value = values[i]};
		const struct map_entry *at =
			bsearch(&key, l->map, l->nmap, sizeof(*l->map), cmp_entry);

		while (at && at > l->map && !strcmp(at[-1].value, values[i]))
			at--;
		for (; at && at < l->map + l->nmap && !strcmp(at->value, values[i]); at++) {
			if (!hits_out[i])
				hits_out[i] = cJSON_CreateArray();
			cJSON_AddItemToArray(hits_out[i], cJSON_Duplicate(at->hit, true));
		}
	}
	return HS_OK;
}

/* Does the result match l's filter group (has l->property, and not l->unless)? */
static bool matches(const struct lookup *l, const cJSON *hit)
{
	return hit_value(hit, l->property) && !(l->unless && hit_value(hit, l->unless));
}

enum hs_result lookup_probe_pair(struct lookup *a, struct lookup *b, struct hs_client *c,
				 const char *const *props, size_t nprops, size_t *requests)
{
	cJSON *results;
	char *next = NULL;
	long total = 0;
	const cJSON *hit;
	enum hs_result ret;
	size_t dummy = 0;

	if (a->mode != LOOKUP_UNPROBED || b->mode != LOOKUP_UNPROBED)
		return HS_OK;
	if (!requests)
		requests = &dummy;
	results = cJSON_CreateArray();
	ret = search_page(a, b, c, NULL, props, nprops, results, &total, &next, requests);
	if (ret != HS_OK || next || total > cJSON_GetArraySize(results)) {
		/* More than one page: each lookup probes on its own. */
		free(next);
		cJSON_Delete(results);
		return ret;
	}
	a->results = cJSON_CreateArray();
	b->results = cJSON_CreateArray();
	cJSON_ArrayForEach(hit, results)
	{
		if (matches(a, hit))
			cJSON_AddItemToArray(a->results, cJSON_Duplicate(hit, true));
		if (matches(b, hit))
			cJSON_AddItemToArray(b->results, cJSON_Duplicate(hit, true));
	}
	cJSON_Delete(results);
	for (struct lookup *l = a; l; l = l == a ? b : NULL) {
		l->total = cJSON_GetArraySize(l->results);
		if (l->total) {
			index_map(l);
		} else {
			l->mode = LOOKUP_NONE;
			cJSON_Delete(l->results);
			l->results = NULL;
		}
		verbose("looking meetings up in HubSpot by %s: %s", l->property,
			lookup_describe(l));
	}
	return HS_OK;
}
