/* preflight: which portal the token belongs to, and is it ready for the mapping (once a run). */
#include "portal.h"
#include "claims.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- pre-flight ----------------------------------------------------------------------------- */

void stop_with(struct run *r, enum hs_result hr)
{
	r->stopped = true;
	r->stop = hr;
}

/* The pre-flight's message: the property at fault and `ics2hubspot setup`. */
static void say_preflight_problem(struct run *r, char *problem, const char *sent)
{
	error("%s; %s", problem, sent);
	error("run 'ics2hubspot setup%s%s' to make portal %lld ready, then import again",
	      r->o->mapping ? " -m " : "", r->o->mapping ? r->o->mapping : "", r->portal);
	report_note(r->rep, "pre-flight: %s; run ics2hubspot setup", problem);
	free(problem);
}

/* Which portal the token belongs to: asked once per run, or known from the state. */
static int learn_portal(struct run *r)
{
	struct hs_response fail;
	struct portal p;
	enum hs_result hr;
	char *prefix;

	if (r->portal)
		return 0;
	hr = portal_lookup(r->client, &p, &fail);
	if (hr != HS_OK) {
		error("cannot learn which HubSpot portal the token belongs to: %s",
		      fail.message ? fail.message : hs_result_name(hr));
		hs_response_release(&fail);
		note_stop(r, hr);
		return -1;
	}
	r->portal = p.id;
	free(r->ui_domain);
	r->ui_domain = p.ui_domain ? xstrdup(p.ui_domain) : NULL;
	verbose("portal %lld", p.id);
	prefix = portal_meeting_url_prefix(&p); /* record links in the report and -v */
	report_set_links(r->rep, prefix);
	free(prefix);
	portal_release(&p);
	return 0;
}

/*
 * The state's rows are those of the run's portal (API base + portal id): a
 * token the state has seen is known without a request (a quiet run still
 * sends nothing). A dry run with a token learns its portal the same way (the
 * plan must be the real run's: every portal shares api.hubapi.com) and records
 * nothing; without a token it plans against the portal last used at the API base.
 */
int use_portal(struct run *r)
{
	const char *base = app_api_base(r->o);
	char *fp;
	int known;

	if (!r->st)
		return 0;
	if (r->o->dry_run && !r->token) {
		long long id = 0;

		if (state_last_portal(r->st, base, &id) < 0 ||
		    state_use_portal(r->st, base, id, NULL) < 0)
			return -1;
		return 0;
	}
	fp = portal_token_fingerprint(base, r->token);
	known = state_token_portal(r->st, base, fp, &r->portal, &r->ui_domain);
	if (known < 0 || (!known && learn_portal(r) < 0) ||
	    state_use_portal(r->st, base, r->portal, r->ui_domain) < 0 ||
	    (!known && !r->o->dry_run && state_token_set(r->st, fp) < 0)) {
		free(fp);
		return -1;
	}
	free(fp);
	if (known) {
		/* Record links as learn_portal() sets them, from what the state remembers. */
		struct portal p = {.id = r->portal, .ui_domain = r->ui_domain};
		char *prefix = portal_meeting_url_prefix(&p);

		report_set_links(r->rep, prefix);
		free(prefix);
	}
	return 0;
}

/*
 * Before anything is created: which portal, and does it have the identity
 * property and every mapped property (writable)? The answer is kept in the
 * state per portal and API base, so later runs ask only which portal it is.
 * On failure: one message naming the property and `setup`, the run stops.
 */
int preflight(struct run *r)
{
	const char *base = app_api_base(r->o);
	struct hs_response fail;
	struct sbuf sb = SBUF_INIT;
	enum hs_result hr;
	cJSON *props;
	char *problem, hex[17];

	if (learn_portal(r) < 0)
		return -1;
	/* The claims property joined the check: a pass cached before it is checked again. */
	sbuf_addf(&sb, "%s," CLAIMS_PROPERTY, mapping_identity_property(r->map));
	for (size_t i = 0; i < mapping_nproperties(r->map); i++)
		sbuf_addf(&sb, ",%s", mapping_property_name(r->map, i));
	hash64_hex(hash64(sb.buf, sb.len, HASH64_SEED), hex, sizeof(hex));
	sbuf_release(&sb);
	r->check_hash = xstrdup(hex);
	if (r->st && state_portal_checked(r->st, base, r->portal, r->check_hash)) {
		r->preflight_cached = true;
		return 0;
	}
	hr = portal_meeting_properties(r->client, &props, &fail);
	if (hr != HS_OK) {
		error("cannot read the portal's meeting properties: %s",
		      fail.message ? fail.message : hs_result_name(hr));
		hs_response_release(&fail);
		note_stop(r, hr);
		return -1;
	}
	problem = portal_preflight(r->map, props);
	cJSON_Delete(props);
	if (problem) {
		say_preflight_problem(r, problem, "nothing was sent");
		stop_with(r, HS_CLIENT_ERROR);
		return -1;
	}
	if (r->st && !r->o->dry_run &&
	    state_portal_set_checked(r->st, base, r->portal, r->check_hash) < 0)
		r->state_errors++;
	return 0;
}

/*
 * HubSpot answered with a configuration error (a batch refused for a reason every batch
 * shares, a look-up refused) although the pre-flight passed: check the portal again right
 * now, not from the cache, once per run. A property gone since the cached check gets the
 * pre-flight's message (and the cache forgets the pass); true when it did. A pass changes
 * nothing (the batch's own message stands: a value the mapping writes that is not an option).
 */
bool recheck_portal(struct run *r)
{
	struct hs_response fail;
	cJSON *props;
	char *problem;

	if (r->rechecked || !r->client || !r->portal || !r->preflight_done)
		return false;
	r->rechecked = true;
	verbose("HubSpot refused a request for a configuration reason: checking portal %lld's "
		"properties again",
		r->portal);
	if (portal_meeting_properties(r->client, &props, &fail) != HS_OK) {
		hs_response_release(&fail);
		return false;
	}
	problem = portal_preflight(r->map, props);
	cJSON_Delete(props);
	if (!problem) {
		if (r->st && !r->o->dry_run && r->check_hash &&
		    state_portal_set_checked(r->st, app_api_base(r->o), r->portal, r->check_hash) <
			    0)
			r->state_errors++;
		return false;
	}
	say_preflight_problem(r, problem, "nothing more was sent");
	if (r->st && !r->o->dry_run &&
	    state_portal_set_checked(r->st, app_api_base(r->o), r->portal, NULL) < 0)
		r->state_errors++;
	return true;
}
