/* adoption: search before create — a meeting HubSpot already holds is adopted, not created again.
 */
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* HubSpot ids grow: a shorter, then a smaller, id is an older record. */
static bool hit_older(const cJSON *a, const cJSON *b)
{
	const char *x = cJSON_GetObjectItemCaseSensitive(a, "id")->valuestring;
	const char *y = cJSON_GetObjectItemCaseSensitive(b, "id")->valuestring;

	return strlen(x) != strlen(y) ? strlen(x) < strlen(y) : strcmp(x, y) < 0;
}

/* The oldest of the results (batch_search_property only returns hits with an id). */
static const cJSON *oldest_hit(const cJSON *hits)
{
	const cJSON *best = NULL, *h;

	cJSON_ArrayForEach(h, hits)
	{
		if (!best || hit_older(h, best))
			best = h;
	}
	return best;
}

/*
 * The portal is the truth, the state a cache: a meeting the plan would create
 * although the state has no row for it (--no-state, a lost state, a calendar
 * seen for the first time) is first looked up in HubSpot by its identity
 * property. One found is adopted (updated when its properties differ, else left
 * unchanged, and recorded in the state), never created twice.
 */
void adopt_existing(struct run *r, struct sync_plan *p)
{
	const char **keys = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*keys));
	size_t *at = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*at));
	const char **props = NULL;
	size_t nk = 0, np = 0, cap = 0, adopted = 0, changed = 0;
	cJSON **hits;
	enum hs_result hr = HS_OK;

	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		const cJSON *pr;

		if (it->action != SYNC_CREATE || !it->meeting || it->row)
			continue;
		keys[nk] = it->key;
		at[nk++] = i;
		cJSON_ArrayForEach(pr, it->meeting->properties)
		{
			XGROW(props, cap, np + 1);
			props[np++] = pr->string;
		}
	}
	/* Every property the mapping writes too: the same list in every chunk (a lookup's map
	 * keeps what its first page asked for). */
	for (size_t i = 0; nk && i < mapping_nproperties(r->map) + 3; i++) {
		static const char *const synced[] = {"hs_i_cal_uid", "hs_meeting_start_time",
						     "hs_timestamp"}; /* find_hubspot_synced's */

		XGROW(props, cap, np + 1);
		props[np++] = i < 3 ? synced[i] : mapping_property_name(r->map, i - 3);
	}
	if (!nk || !r->client || r->stopped) {
		free(keys);
		free(at);
		free(props);
		return;
	}
	if (np)
		qsort(props, np, sizeof(*props), cmp_cstr);
	{
		size_t o = 0;

		for (size_t i = 0; i < np; i++)
			if (!o || strcmp(props[o - 1], props[i]))
				props[o++] = props[i];
		np = o;
	}
	verbose("looking %zu new meeting(s) up in HubSpot by %s before creating them", nk,
		mapping_identity_property(r->map));
	hits = xcalloc(nk, sizeof(*hits));
	if (!r->by_identity) {
		/* The first look-up of the run: one probe for both (a fresh portal: one search). */
		r->by_identity = lookup_new(mapping_identity_property(r->map), NULL);
		if (mapping_hubspot_synced(r->map) != HUBSPOT_SYNCED_IGNORE) {
			r->by_ical_uid =
				lookup_new("hs_i_cal_uid", mapping_identity_property(r->map));
			hr = lookup_probe_pair(r->by_identity, r->by_ical_uid, r->client, props, np,
					       &r->lookups);
		}
	}
	if (hr == HS_OK)
		hr = lookup_find(r->by_identity, r->client, keys, nk, props, np, hits, &r->lookups);
	r->adopted = xcalloc(p->nitems ? p->nitems : 1, sizeof(*r->adopted));
	r->nadopted = p->nitems;
	for (size_t k = 0; k < nk && hr == HS_OK; k++) {
		struct sync_item *it = &p->items[at[k]];
		const cJSON *h = hits[k] ? oldest_hit(hits[k]) : NULL;
		bool same;

		if (!h)
			continue;
		same = meeting_same_properties(it->meeting,
					       cJSON_GetObjectItemCaseSensitive(h, "properties"));
		r->adopted[at[k]] = xstrdup(cJSON_GetObjectItemCaseSensitive(h, "id")->valuestring);
		it->hubspot_id = r->adopted[at[k]];
		p->count[SYNC_CREATE]--;
		it->action = same ? SYNC_UNCHANGED : SYNC_UPDATE;
		p->count[it->action]++;
		free(it->reason);
		it->reason =
			xasprintf("already in HubSpot (found by %s, not in the state): adopted%s",
				  mapping_identity_property(r->map), same ? "" : ", updated");
		adopted++;
		changed += !same;
	}
	if (hr != HS_OK) {
		/* A look-up HubSpot refused (e.g. the identity property was deleted since
		 * the cached pre-flight): the next run checks the portal again. */
		if (r->st && r->portal && !r->o->dry_run)
			state_portal_set_checked(r->st, app_api_base(r->o), r->portal, NULL);
		note_stop(r, hr);
	} else if (adopted)
		report_note(
			r->rep,
			"%zu meeting(s) not in the state were found in HubSpot by %s and adopted "
			"(%zu to update), not created again",
			adopted, mapping_identity_property(r->map), changed);
	for (size_t k = 0; k < nk; k++)
		cJSON_Delete(hits[k]);
	free(hits);
	free(keys);
	free(at);
	free(props);
}

/* The meeting's start as sent (hs_meeting_start_time, else hs_timestamp), else its start. */
static const char *meeting_start_value(const struct meeting *m)
{
	static const char *const names[] = {"hs_meeting_start_time", "hs_timestamp"};

	for (size_t k = 0; k < 2; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->properties, names[k]);

		if (cJSON_IsString(v) && *v->valuestring)
			return v->valuestring;
	}
	return m->start;
}

/*
 * Coexistence with HubSpot's own calendar sync: a meeting it logged carries
 * the event's iCal UID in hs_i_cal_uid. A meeting the plan would still create
 * is looked up by its UID; one found with the same start (and not ours: no
 * identity value) is, per the mapping's hubspot_synced, reported
 * already_in_hubspot and not created (skip), or updated from the calendar and
 * adopted (adopt).
 */
void find_hubspot_synced(struct run *r, struct sync_plan *p)
{
	enum hubspot_synced mode = mapping_hubspot_synced(r->map);
	const char *ident = mapping_identity_property(r->map);
	const char *props[] = {ident, "hs_meeting_start_time", "hs_timestamp"};
	const char **uids = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*uids));
	size_t *at = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*at));
	size_t nu = 0, found = 0;
	cJSON **hits;
	enum hs_result hr;

	for (size_t i = 0; i < p->nitems && mode != HUBSPOT_SYNCED_IGNORE; i++) {
		const struct sync_item *it = &p->items[i];

		if (it->action != SYNC_CREATE || !it->meeting || it->row || !it->meeting->uid)
			continue;
		uids[nu] = it->meeting->uid;
		at[nu++] = i;
	}
	if (!nu || !r->client || r->stopped) {
		free(uids);
		free(at);
		return;
	}
	verbose("looking %zu new meeting(s) up in HubSpot by hs_i_cal_uid (HubSpot's calendar "
		"sync)",
		nu);
	hits = xcalloc(nu, sizeof(*hits));
	/* Only meetings without our identity are HubSpot's (a mapping may write hs_i_cal_uid). */
	if (!r->by_ical_uid)
		r->by_ical_uid = lookup_new("hs_i_cal_uid", ident);
	hr = lookup_find(r->by_ical_uid, r->client, uids, nu, props, 3, hits, &r->lookups);
	if (!r->adopted) {
		r->adopted = xcalloc(p->nitems ? p->nitems : 1, sizeof(*r->adopted));
		r->nadopted = p->nitems;
	}
	for (size_t k = 0; k < nu && hr == HS_OK; k++) {
		struct sync_item *it = &p->items[at[k]];
		const char *start = meeting_start_value(it->meeting);
		const cJSON *h, *best = NULL;

		cJSON_ArrayForEach(h, hits[k])
		{
			const cJSON *hp = cJSON_GetObjectItemCaseSensitive(h, "properties");
			const cJSON *mine = cJSON_GetObjectItemCaseSensitive(hp, ident);
			const cJSON *s1 =
				cJSON_GetObjectItemCaseSensitive(hp, "hs_meeting_start_time");
			const cJSON *s2 = cJSON_GetObjectItemCaseSensitive(hp, "hs_timestamp");
			const char *theirs = cJSON_IsString(s1) && *s1->valuestring
						     ? s1->valuestring
					     : cJSON_IsString(s2) ? s2->valuestring
								  : NULL;

			if (cJSON_IsString(mine) && *mine->valuestring)
				continue; /* one of ours (another occurrence): not HubSpot's */
			if (!start || !theirs || !meeting_same_instant(start, theirs))
				continue; /* another occurrence of the series */
			if (!best || hit_older(h, best))
				best = h;
		}
		if (!best)
			continue;
		r->adopted[at[k]] =
			xstrdup(cJSON_GetObjectItemCaseSensitive(best, "id")->valuestring);
		it->hubspot_id = r->adopted[at[k]];
		p->count[SYNC_CREATE]--;
		free(it->reason);
		if (mode == HUBSPOT_SYNCED_ADOPT) {
			it->action = SYNC_UPDATE;
			it->reason =
				xstrdup("logged by HubSpot's calendar sync (hs_i_cal_uid, same "
					"start): adopted, updated from the calendar");
		} else {
			it->action = SYNC_SKIP;
			it->reason =
				xstrdup("already in HubSpot: logged by HubSpot's calendar sync "
					"(hs_i_cal_uid, same start); not created "
					"(hubspot_synced: skip)");
		}
		p->count[it->action]++;
		found++;
	}
	if (hr != HS_OK)
		note_stop(r, hr);
	else if (found)
		report_note(r->rep,
			    "%zu occurrence(s) were logged by HubSpot's own calendar sync already "
			    "(hs_i_cal_uid): %s",
			    found,
			    mode == HUBSPOT_SYNCED_ADOPT ? "adopted and updated from the calendar"
							 : "not created (hubspot_synced: skip)");
	for (size_t k = 0; k < nu; k++)
		cJSON_Delete(hits[k]);
	free(hits);
	free(uids);
	free(at);
}
