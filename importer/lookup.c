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
	LOOKUP_PROBED, /* the probe's first page is in results, next: its next page; undecided */
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
	char *next; /* LOOKUP_PROBED: the probe's next page, or NULL */
	cJSON *results; /* LOOKUP_MAP: every result paged; LOOKUP_PROBED: the first page */
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
	free(l->next);
	cJSON_Delete(l->results);
	free(l->map);
	free(l);
}

const char *lookup_describe(struct lookup *l)
{
	switch (l->mode) {
	case LOOKUP_UNPROBED:
	case LOOKUP_PROBED:
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

/* The search for one page of the meetings l's filter group (or also `other`'s: ORed) matches. */
static cJSON *page_body(const struct lookup *l, const struct lookup *other, const char *after,
			const char *const *props, size_t nprops)
{
	cJSON *body = cJSON_CreateObject(), *groups;

	groups = cJSON_AddArrayToObject(body, "filterGroups");
	add_group(l, groups);
	if (other)
		add_group(other, groups);
	hs_search_body_end(body, l->property, other ? other->property : NULL, props, nprops,
			   PAGE_LIMIT, after);
	return body;
}

/*
 * An answered page: *total gets HubSpot's total; the page's results are moved
 * into `into`; *next gets the next page's `after` (a new string) or NULL.
 */
static void page_read(cJSON *answer, cJSON *into, long *total, char **next)
{
	cJSON *results;
	const cJSON *paging, *t;

	*next = NULL;
	t = cJSON_GetObjectItemCaseSensitive(answer, "total");
	*total = cJSON_IsNumber(t) ? (long)t->valuedouble : -1;
	results = cJSON_DetachItemFromObjectCaseSensitive(answer, "results");
	if (cJSON_IsArray(results))
		while (cJSON_GetArraySize(results) > 0)
			cJSON_AddItemToArray(into, cJSON_DetachItemFromArray(results, 0));
	cJSON_Delete(results);
	paging = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(answer, "paging"), "next");
	t = cJSON_GetObjectItemCaseSensitive(paging, "after");
	if (cJSON_IsString(t) && *t->valuestring)
		*next = xstrdup(t->valuestring);
}

/* One page, asked and read (page_read); an error is told here. */
static enum hs_result search_page(struct lookup *l, const struct lookup *other, struct hs_client *c,
				  const char *after, const char *const *props, size_t nprops,
				  cJSON *into, long *total, char **next, size_t *requests)
{
	cJSON *body = page_body(l, other, after, props, nprops);
	struct hs_response resp;
	enum hs_result ret;

	*next = NULL;
	ret = hs_call(c, "POST", PATH_SEARCH, body, true, &resp);
	cJSON_Delete(body);
	(*requests)++;
	if (ret != HS_OK) {
		error("cannot look meetings up in HubSpot: %s",
		      resp.message ? resp.message : hs_result_name(ret));
		hs_response_release(&resp);
		return ret;
	}
	page_read(resp.body, into, total, next);
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

/* Forget the probe's first page (LOOKUP_PROBED, or a map that could not be built). */
static void drop_probe(struct lookup *l)
{
	cJSON_Delete(l->results);
	l->results = NULL;
	FREE_NULL(l->next);
}

/*
 * The probe answered (LOOKUP_PROBED): none, the map (the rest paged once, when
 * that costs no more requests than the per-key look-ups of this chunk, `cost`),
 * or per key.
 */
static enum hs_result decide(struct lookup *l, struct hs_client *c, size_t cost,
			     const char *const *props, size_t nprops, size_t *requests)
{
	enum hs_result ret;

	if (l->total == 0 && !l->next && !cJSON_GetArraySize(l->results)) {
		l->mode = LOOKUP_NONE;
	} else if (l->total >= 0 && l->total <= PAGING_CAP && pages_for(l->total) - 1 <= cost) {
		/* The probe was the first page: the rest cost fewer requests than the keys. */
		char *next = l->next;

		l->next = NULL;
		ret = build_map(l, c, next, props, nprops, requests);
		if (ret != HS_OK) {
			drop_probe(l);
			l->mode = LOOKUP_UNPROBED;
			return ret;
		}
	} else {
		l->mode = LOOKUP_PER_KEY;
	}
	if (l->mode != LOOKUP_MAP)
		drop_probe(l);
	verbose("looking meetings up in HubSpot by %s: %s", l->property, lookup_describe(l));
	return HS_OK;
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
		l->results = cJSON_CreateArray();
		ret = search_page(l, NULL, c, NULL, props, nprops, l->results, &l->total, &l->next,
				  requests);
		if (ret != HS_OK) {
			drop_probe(l);
			return ret;
		}
		l->mode = LOOKUP_PROBED;
	}
	if (l->mode == LOOKUP_PROBED) {
		ret = decide(l, c, cost, props, nprops, requests);
		if (ret != HS_OK)
			return ret;
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

/*
 * Both probes at once (two requests in flight, not one after the other): each
 * lookup's first page kept (LOOKUP_PROBED) until its first look-up decides.
 * On an error (told once) both stay unprobed.
 */
static enum hs_result probe_both(struct lookup *a, struct lookup *b, struct hs_client *c,
				 const char *const *props, size_t nprops, size_t *requests)
{
	enum hs_result ret = HS_OK;
	size_t out = 0;

	for (struct lookup *l = a; l; l = l == a ? b : NULL) {
		cJSON *body = page_body(l, NULL, NULL, props, nprops);

		hs_submit(c, "POST", PATH_SEARCH, body, true, l);
		cJSON_Delete(body);
		(*requests)++;
		out++;
	}
	while (out) {
		void *tag;
		enum hs_result res;
		struct hs_response resp;
		struct lookup *l;

		if (!hs_next(c, -1, &tag, &res, &resp)) {
			if (!hs_outstanding(c))
				BUG("%zu probe(s) outstanding, none in the client", out);
			continue;
		}
		out--;
		l = tag;
		if (res != HS_OK) {
			if (ret == HS_OK)
				error("cannot look meetings up in HubSpot: %s",
				      resp.message ? resp.message : hs_result_name(res));
			if (ret == HS_OK)
				ret = res;
		} else {
			l->results = cJSON_CreateArray();
			page_read(resp.body, l->results, &l->total, &l->next);
			l->mode = LOOKUP_PROBED;
		}
		hs_response_release(&resp);
	}
	if (ret != HS_OK)
		for (struct lookup *l = a; l; l = l == a ? b : NULL) {
			drop_probe(l);
			l->mode = LOOKUP_UNPROBED;
		}
	return ret;
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
		free(next);
		cJSON_Delete(results);
		/* More than one page: each lookup probes on its own, both at once. */
		return ret != HS_OK ? ret : probe_both(a, b, c, props, nprops, requests);
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
