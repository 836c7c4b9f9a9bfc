/* apply: a plan's creates, updates, merges and quiet items sent to HubSpot and confirmed in the
 * state. */
#include "claims.h"
#include "run.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* ---- applying the plan ---------------------------------------------------------------------- */

static size_t meeting_index(const struct run *r, const struct meeting *m)
{
	if (!m || m < r->ms || m >= r->ms + r->n)
		BUG("meeting not of this run");
	return (size_t)(m - r->ms);
}

void txn_begin(struct run *r)
{
	if (r->st && state_txn_begin(r->st) < 0)
		r->state_errors++;
	r->txn_writes = 0;
}

void txn_commit(struct run *r)
{
	if (r->st && state_txn_commit(r->st) < 0)
		r->state_errors++;
	r->txn_writes = 0;
}

/* Every 100 confirmations of updates and removals: one commit (a batch's worth). */
void txn_count(struct run *r)
{
	if (++r->txn_writes >= 100) {
		txn_commit(r);
		txn_begin(r);
	}
}

/* Row (source, key) now holds the associations of meeting `m` (itself, or a merged primary). */
static void store_assocs_as(struct run *r, const char *source, const char *key,
			    const struct meeting *m)
{
	cJSON *j = meeting_associations_json(m);
	char *text = cJSON_PrintUnformatted(j);

	if (state_set_assocs(r->st, source, key, text) < 0)
		r->state_errors++;
	cJSON_free(text);
	cJSON_Delete(j);
}

static void store_assocs(struct run *r, const struct meeting *m)
{
	store_assocs_as(r, m->source, m->key, m);
}

static void confirm(struct run *r, size_t mi, const char *id)
{
	free(r->ids[mi]);
	r->ids[mi] = xstrdup(id);
	if (!r->st)
		return;
	if (state_confirm(r->st, r->run_id, &r->ms[mi], id, r->hashes[mi]) < 0)
		r->state_errors++;
	else
		store_assocs(r, &r->ms[mi]);
}

/* HubSpot refused the token or its scopes: one error says it, not a line per occurrence. */
bool refused(const struct run *r)
{
	return r->stopped && r->stop == HS_AUTH;
}

/* Where the mapping gives property `name`: "FILE:LINE" (free it), or NULL. */
static char *mapping_place(const struct run *r, const char *name)
{
	for (size_t i = 0; name && i < mapping_nproperties(r->map); i++) {
		size_t line;

		if (strcmp(mapping_property_name(r->map, i), name))
			continue;
		line = mapping_property_line(r->map, i);
		if (r->o->mapping && line)
			return xasprintf("%s:%zu", r->o->mapping, line);
		break;
	}
	return NULL;
}

/* "A, B, C" of HubSpot's "[A, B, C]", at most 8 of them, then "…". */
static void add_options(struct sbuf *sb, const char *text)
{
	const char *open = text ? strchr(text, '[') : NULL;
	const char *close = open ? strrchr(open, ']') : NULL;
	const char *p;
	int n = 0;

	if (!close)
		return;
	for (p = open + 1; p < close && n < 8; n++) {
		const char *comma = memchr(p, ',', (size_t)(close - p));
		const char *end = comma ? comma : close;

		sbuf_addf(sb, "%s%.*s", n ? ", " : "", (int)(end - p), p);
		p = comma ? comma + 1 : close;
		while (p < close && *p == ' ')
			p++;
	}
	if (p < close)
		sbuf_addf(sb, ", …");
}

/* One entry of HubSpot's list, in our words, appended to sb. */
static void add_refusal(const struct run *r, struct sbuf *sb, const cJSON *e)
{
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "error"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
	const char *not_one = msg ? strstr(msg, " was not one of the allowed options") : NULL;
	char *place = mapping_place(r, name);

	if (!name)
		name = "a property";
	if (code && !strcmp(code, "INVALID_OPTION") && not_one) {
		const char *v = msg;
		size_t n = (size_t)(not_one - msg);

		if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
			v++;
			n -= 2;
		}
		sbuf_addf(sb, "'%.*s' is not an option of %s in your portal (allowed: ", (int)n, v,
			  name);
		add_options(sb, not_one);
		sbuf_addf(sb, "); map it in %s", place ? place : "your mapping (values:)");
	} else if (code && !strcmp(code, "PROPERTY_DOESNT_EXIST")) {
		sbuf_addf(sb, "the portal has no meeting property %s; run 'ics2hubspot setup%s%s'",
			  name, r->o->mapping ? " -m " : "", r->o->mapping ? r->o->mapping : "");
	} else if (code && !strcmp(code, "READ_ONLY_VALUE")) {
		sbuf_addf(sb, "%s is read-only in this portal; remove it from %s", name,
			  place ? place : "your mapping");
	} else {
		sbuf_addf(sb, "%s: %s", name, msg ? msg : code ? code : "not valid");
		if (place)
			sbuf_addf(sb, " (set in %s)", place);
	}
	free(place);
}

/*
 * HubSpot's refusal in our words: its "Property values were not valid: [...]"
 * list as one sentence per property, naming the mapping's file:line. NULL when
 * the message holds no such list (it is then shown as it is).
 */
static char *in_our_words(const struct run *r, const char *why)
{
	cJSON *arr = batch_invalid_values(why);
	const cJSON *e;
	struct sbuf sb = SBUF_INIT;
	int n = 0;

	cJSON_ArrayForEach(e, arr)
	{
		if (n++)
			sbuf_addf(&sb, "; and ");
		add_refusal(r, &sb, e);
	}
	cJSON_Delete(arr);
	if (!n) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb);
}

/* Remember a failure for print_failures(); with -v each is printed at once too. */
static void note_failure(struct run *r, const char *where, const char *key, const char *why)
{
	struct fail_group *g;
	char *words = in_our_words(r, why);
	const char *said = words ? words : why;

	if (util_verbosity >= 2) {
		error("%s: %s: %s", where, key, said);
		if (words)
			verbose("HubSpot's answer: %s", why);
		free(words);
		return;
	}
	for (size_t i = 0; i < r->nfails; i++) {
		if (!strcmp(r->fails[i].why, said)) {
			r->fails[i].n++;
			free(words);
			return;
		}
	}
	XGROW(r->fails, r->fails_cap, r->nfails + 1);
	g = &r->fails[r->nfails++];
	g->why = xstrdup(said);
	g->first = xasprintf("%s: %s", where, key);
	g->n = 1;
	free(words);
}

/* Identical errors once, with a count: "150 meetings: <what went wrong>". */
void print_failures(struct run *r)
{
	for (size_t i = 0; i < r->nfails; i++) {
		struct fail_group *g = &r->fails[i];

		if (g->n == 1)
			error("%s: %s", g->first, g->why);
		else
			error("%ld meetings: %s (the first: %s; the report lists each)", g->n,
			      g->why, g->first);
	}
}

static void failed(struct run *r, const struct meeting *m, const char *why, const char *category)
{
	if (interrupted_not_sent(r, why)) {
		report_add(r->rep, m, OUTCOME_FAILED, NULL, NULL, "not sent: interrupted", NULL);
		mark_dirty(r, m->source);
		return;
	}
	/* The portal changed under us: the next run checks it again. */
	if (r->st && r->portal && why && strstr(why, "PROPERTY_DOESNT_EXIST"))
		state_portal_set_checked(r->st, app_api_base(r->o), r->portal, NULL);
	if (!refused(r))
		note_failure(r, m->where ? m->where : m->source, m->key, why ? why : "failed");
	report_add(r->rep, m, OUTCOME_FAILED, NULL, NULL, why, category);
	r->failed++;
	r->counts.failed++;
	mark_dirty(r, m->source);
}

/* batch_pending_fn: intent before effect. */
static int on_pending(struct meeting *const *ms, size_t n, void *data)
{
	struct run *r = data;
	size_t s;

	if (r->st && state_mark_pending(r->st, r->run_id, ms, n) < 0) {
		r->state_errors++;
		return -1;
	}
	XGROW(r->sets, r->sets_cap, r->nsets + 1);
	s = r->nsets++;
	r->sets[s].left = 0;
	r->sets[s].answered = false;
	for (size_t i = 0; i < n; i++) {
		size_t mi = meeting_index(r, ms[i]);
		long old = r->set_of[mi];

		/* A re-send after an ambiguous create: it leaves its first set. */
		if (old >= 0 && r->sets[old].left && !--r->sets[old].left) {
			txn_commit(r);
			txn_begin(r);
		}
		r->set_of[mi] = (long)s;
		r->sets[s].left++;
	}
	return 0;
}

static void on_create_result(const struct batch_result *res, void *data)
{
	struct run *r = data;
	size_t mi = meeting_index(r, res->m);
	long s = r->set_of[mi];

	r->preflight_cached = false; /* HubSpot answered a write */

	if (s >= 0 && !r->sets[s].answered) {
		/* Test hook kill point: HubSpot answered, nothing recorded yet. */
		r->sets[s].answered = true;
		state_step("import: create answered");
	}
	switch (res->status) {
	case BATCH_CREATED:
	case BATCH_FOUND:
		confirm(r, mi, res->id);
		report_add(r->rep, res->m, OUTCOME_CREATED, res->id, NULL,
			   res->status != BATCH_FOUND ? NULL
			   : res->message	      ? res->message
						      : "created by an earlier attempt; found",
			   NULL);
		r->counts.created++;
		break;
	case BATCH_FAILED:
		/*
		 * HubSpot refused this input (it has a category): the create did not
		 * happen. Without one the create may have happened (its answer was
		 * lost): the row stays pending and the next run looks it up.
		 */
		if (r->st && res->category &&
		    state_mark_failed(r->st, r->run_id, res->m, res->message) < 0)
			r->state_errors++;
		failed(r, res->m, res->message, res->category);
		break;
	case BATCH_NOT_SENT:
	default:
		failed(r, res->m, "not sent: the run stopped before it", NULL);
		break;
	}
	if (s >= 0 && r->sets[s].left && !--r->sets[s].left) {
		txn_commit(r);
		txn_begin(r);
	}
}

void note_stop(struct run *r, enum hs_result hr)
{
	if (hr == HS_OK || r->stopped)
		return;
	r->stopped = true;
	r->stop = hr;
	if (hr == HS_DAILY_LIMIT && r->client && hs_client_stop_reason(r->client))
		report_note(r->rep, "%s; a re-run continues where this one stopped",
			    hs_client_stop_reason(r->client));
	else if (hr == HS_DAILY_LIMIT)
		report_note(r->rep, "HubSpot's daily limit was reached; a re-run continues where "
				    "this one stopped");
	else if (hr == HS_AUTH)
		report_note(r->rep, "HubSpot refused the token or its scopes: nothing more sent");
	else if (hr == HS_CLIENT_ERROR && recheck_portal(r))
		; /* the pre-flight's message and note say which property */
	else if (hr == HS_CLIENT_ERROR)
		report_note(r->rep,
			    "HubSpot refused a whole batch for a configuration reason every "
			    "batch would share: nothing more sent; fix the mapping or run "
			    "ics2hubspot setup");
	else
		report_note(r->rep, "HubSpot could not be reached: retries exhausted");
}

/*
 * The claim id of the calendar `source` in this state (claims.h), or NULL:
 * no state (--no-state) or a dry run claims nothing.
 */
const char *claim_for(struct run *r, const char *source)
{
	if (!r->st || r->o->dry_run || !source)
		return NULL;
	for (size_t i = 0; i < r->nclaims; i++)
		if (!strcmp(r->claims[i].source, source))
			return r->claims[i].claim;
	XGROW(r->claims, r->claims_cap, r->nclaims + 1);
	r->claims[r->nclaims].source = xstrdup(source);
	r->claims[r->nclaims].claim = claims_id(source);
	return r->claims[r->nclaims++].claim;
}

static const char *create_claim(const struct meeting *m, void *data)
{
	return claim_for(data, m->source);
}

struct batch_options batch_opts(struct run *r, batch_result_fn fn)
{
	struct batch_options bo = {
		.identity_property = mapping_identity_property(r->map),
		.on_result = fn,
		.data = r,
		/* The pre-flight from the cache: the run's first write checks it (one batch). */
		.first_alone = r->preflight_cached,
		.claim_of = create_claim,
		.claim_data = r,
	};

	return bo;
}

static void apply_creates(struct run *r)
{
	const struct sync_plan *p = r->plan;
	struct meeting **cms = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*cms));
	size_t nc = 0;
	struct batch_options bo = batch_opts(r, on_create_result);

	for (size_t i = 0; i < p->nitems; i++)
		if (p->items[i].action == SYNC_CREATE && p->items[i].meeting)
			cms[nc++] = p->items[i].meeting;
	if (nc && !r->stopped) {
		bo.on_pending = on_pending;
		txn_begin(r);
		batch_progress_phase("sending");
		note_stop(r, batch_create(r->client, cms, nc, &bo));
		txn_commit(r);
	} else {
		for (size_t i = 0; i < nc; i++)
			failed(r, cms[i], "not sent: the run stopped before it", NULL);
	}
	free(cms);
}

/*
 * HubSpot no longer has the meeting (someone deleted it): recorded once as
 * deleted_in_hubspot and never sent again (--recreate-deleted creates it); not
 * a failure, so the exit code stays as it was.
 */
static void deleted_in_hubspot(struct run *r, const struct meeting *m, const char *id)
{
	if (r->st && state_mark_deleted(r->st, r->run_id, m) < 0)
		r->state_errors++;
	report_add(r->rep, m, OUTCOME_DELETED, id, NULL,
		   "deleted in HubSpot: not sent again (--recreate-deleted creates it again)",
		   "OBJECT_NOT_FOUND");
	if (r->o->recreate_deleted)
		mark_dirty(r, m->source); /* the next run reads it again and creates it */
}

static void on_update_result(const struct batch_result *res, void *data)
{
	struct run *r = data;
	size_t mi = meeting_index(r, res->m);

	r->preflight_cached = false; /* HubSpot answered a write */

	switch (res->status) {
	case BATCH_UPDATED:
		confirm(r, mi, res->id ? res->id : r->plan->items[mi].hubspot_id);
		report_add(r->rep, res->m, OUTCOME_UPDATED, r->ids[mi], NULL,
			   r->plan->items[mi].reason, NULL);
		r->counts.updated++;
		break;
	case BATCH_FAILED:
		if (res->category && !strcmp(res->category, "OBJECT_NOT_FOUND")) {
			deleted_in_hubspot(r, res->m, r->plan->items[mi].hubspot_id);
			break;
		}
		if (r->st && state_mark_failed(r->st, r->run_id, res->m, res->message) < 0)
			r->state_errors++;
		failed(r, res->m, res->message, res->category);
		break;
	default:
		failed(r, res->m, "not sent: the run stopped before it", NULL);
		break;
	}
	txn_count(r);
}

/*
 * Associations follow the attendees: for each updated meeting whose
 * association list differs from the one last sent (kept in the state), the
 * v4 association calls add and remove the difference. A change that failed
 * leaves the row failed, so the next run tries again.
 */
static void sync_associations(struct run *r, const size_t *ui, size_t nu)
{
	struct assoc_change *ch = xcalloc(nu ? nu : 1, sizeof(*ch));
	cJSON **olds = xcalloc(nu ? nu : 1, sizeof(*olds));
	cJSON **news = xcalloc(nu ? nu : 1, sizeof(*news));
	size_t *who = xcalloc(nu ? nu : 1, sizeof(*who));
	size_t nch = 0;
	enum hs_result hr;

	for (size_t k = 0; k < nu; k++) {
		const struct sync_item *it = &r->plan->items[ui[k]];
		size_t mi = ui[k];
		cJSON *nw;
		char *a, *b;
		bool same;

		if (!r->ids[mi] || r->stopped)
			continue; /* the update failed: tried again next run */
		nw = meeting_associations_json(&r->ms[mi]);
		a = cJSON_PrintUnformatted(nw);
		b = it->row ? it->row->assocs : NULL;
		same = b && !strcmp(a, b);
		cJSON_free(a);
		if (same) {
			cJSON_Delete(nw);
			continue;
		}
		olds[nch] = b ? cJSON_Parse(b) : NULL;
		news[nch] = nw;
		ch[nch].meeting_id = r->ids[mi];
		ch[nch].old_assocs = olds[nch];
		ch[nch].new_assocs = nw;
		who[nch++] = mi;
	}
	if (nch) {
		hr = assoc_sync(r->client, ch, nch);
		note_stop(r, hr);
		txn_begin(r);
		for (size_t k = 0; k < nch; k++) {
			const struct meeting *m = &r->ms[who[k]];

			if (ch[k].failed) {
				if (state_mark_failed(r->st, r->run_id, m,
						      "associations not updated") < 0)
					r->state_errors++;
				mark_dirty(r, m->source);
			} else {
				store_assocs(r, m);
				verbose("%s: associations: %d added, %d removed", m->key,
					ch[k].added, ch[k].removed);
			}
		}
		txn_commit(r);
	}
	for (size_t k = 0; k < nch; k++) {
		cJSON_Delete(olds[k]);
		cJSON_Delete(news[k]);
	}
	free(ch);
	free(olds);
	free(news);
	free(who);
}

static void apply_updates(struct run *r)
{
	const struct sync_plan *p = r->plan;
	struct meeting **ums = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*ums));
	char **uids = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*uids));
	size_t *ui = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*ui));
	size_t nu = 0;
	struct batch_options bo = batch_opts(r, on_update_result);

	for (size_t i = 0; i < p->nitems; i++)
		if (p->items[i].action == SYNC_UPDATE && p->items[i].meeting) {
			ums[nu] = p->items[i].meeting;
			uids[nu] = xstrdup(p->items[i].hubspot_id);
			ui[nu++] = i;
		}
	if (nu && !r->stopped) {
		txn_begin(r);
		batch_progress_phase("sending");
		note_stop(r, batch_update(r->client, ums, uids, nu, &bo));
		txn_commit(r);
		if (r->st)
			sync_associations(r, ui, nu);
	} else {
		for (size_t i = 0; i < nu; i++)
			failed(r, ums[i], "not sent: the run stopped before it", NULL);
	}
	for (size_t i = 0; i < nu; i++)
		free(uids[i]);
	free(ums);
	free(uids);
	free(ui);
}

/* An unchanged meeting whose own row says so already: only last_seen to record. */
static bool plain_unchanged(const struct sync_item *it)
{
	return it->row && it->row->status == STATE_CREATED && it->row->assocs &&
	       !strcmp(it->row->source, it->meeting->source);
}

/* Unchanged meetings (last_seen) and skips: nothing sent. */
static void apply_quiet(struct run *r)
{
	const struct sync_plan *p = r->plan;

	txn_begin(r);
	/* The plain ones per calendar, with one statement each. */
	for (size_t f = 0; r->st && f < r->nfeeds; f++) {
		char **keys = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*keys));
		size_t nk = 0;

		for (size_t i = 0; i < p->nitems; i++) {
			const struct sync_item *it = &p->items[i];

			if (it->action == SYNC_UNCHANGED && plain_unchanged(it) &&
			    !strcmp(it->source, r->feeds[f].ident))
				keys[nk++] = it->meeting->key;
		}
		if (state_touch(r->st, r->feeds[f].ident, keys, nk) < 0)
			r->state_errors++;
		free(keys);
	}
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];

		if (it->action == SYNC_SKIP && it->meeting && r->adopted && r->adopted[i]) {
			report_add(r->rep, it->meeting, OUTCOME_ALREADY, r->adopted[i], NULL,
				   it->reason, NULL);
		} else if (it->action == SYNC_SKIP && it->meeting) {
			report_add(r->rep, it->meeting, OUTCOME_SKIPPED, NULL, NULL,
				   it->meeting->skip_reason ? it->meeting->skip_reason : it->reason,
				   NULL);
		} else if (it->action == SYNC_UNCHANGED) {
			size_t mi = meeting_index(r, it->meeting);

			free(r->ids[mi]);
			r->ids[mi] = xstrdup(it->hubspot_id);
			if (r->st && !plain_unchanged(it)) {
				if (state_confirm(r->st, r->run_id, it->meeting, it->hubspot_id,
						  it->hash) < 0)
					r->state_errors++;
				/* Rows from before associations were kept, or of another calendar.
				 */
				else if (!it->row || !it->row->assocs ||
					 strcmp(it->row->source, it->meeting->source))
					store_assocs(r, it->meeting);
			}
			report_add(r->rep, it->meeting, OUTCOME_UNCHANGED, it->hubspot_id, NULL,
				   NULL, NULL);
		}
	}
	txn_commit(r);
}

/* Occurrences of a meeting seen in several calendars: recorded with the primary's id. */
static void apply_merges(struct run *r)
{
	const struct sync_plan *p = r->plan;

	txn_begin(r);
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		const char *id;

		if (it->action != SYNC_MERGE)
			continue;
		id = it->primary >= 0 ? r->ids[it->primary] : NULL;
		if (!id) {
			report_add(r->rep, it->meeting, OUTCOME_FAILED, NULL, "merge",
				   "same meeting as in another calendar, which failed", NULL);
			r->failed++;
			r->counts.failed++;
			mark_dirty(r, it->source);
			continue;
		}
		if (r->st) {
			if (state_confirm(r->st, r->run_id, it->meeting, id, it->hash) < 0)
				r->state_errors++;
			else
				store_assocs_as(r, it->meeting->source, it->meeting->key,
						&r->ms[it->primary]);
		}
		report_add(r->rep, it->meeting, OUTCOME_UNCHANGED, id, "merge", it->reason, NULL);
	}
	txn_commit(r);
}

/* RESOLVE items left (only when the look-up could not run): nothing may be created for them. */
static void apply_unresolved(struct run *r)
{
	const struct sync_plan *p = r->plan;

	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];

		if (it->action != SYNC_RESOLVE)
			continue;
		if (it->meeting)
			report_add(r->rep, it->meeting, OUTCOME_FAILED, it->hubspot_id, "resolve",
				   "an earlier create was never confirmed; not looked up yet",
				   NULL);
		else
			report_add_key(r->rep, it->key, it->source, OUTCOME_FAILED, NULL, "resolve",
				       "an earlier create was never confirmed; not looked up yet");
		r->failed++;
		r->counts.failed++;
		mark_dirty(r, it->source);
	}
}

/* Meetings adopted this run (found in HubSpot, not in the state) get this calendar's claim. */
static void attach_claims(struct run *r, const struct sync_plan *plan)
{
	char **ids;
	const char **mine;
	size_t n = 0;

	if (!r->adopted || !r->st || r->o->dry_run || r->stopped || !r->client)
		return;
	ids = xmalloc(r->nadopted * sizeof(*ids));
	mine = xmalloc(r->nadopted * sizeof(*mine));
	for (size_t i = 0; i < r->nadopted && i < plan->nitems; i++) {
		if (!r->adopted[i] || plan->items[i].action == SYNC_SKIP ||
		    !(mine[n] = claim_for(r, plan->items[i].source)))
			continue;
		ids[n++] = r->adopted[i];
	}
	if (n)
		note_stop(r, claims_attach(r->client, ids, mine, n));
	free(ids);
	free(mine);
}

/* Record the plan's run-level messages and apply it (or print it: dry run). */
void apply_plan(struct run *r, struct sync_plan *plan)
{
	/* Search before create: what the state does not know may be in HubSpot already. */
	adopt_existing(r, plan);
	find_hubspot_synced(r, plan);
	attach_claims(r, plan);
	r->plan = plan;
	for (size_t i = 0; i < plan->nmessages; i++)
		report_note(r->rep, "%s", plan->messages[i]);
	r->refused_removals += plan->refused_removals;
	if (r->o->dry_run) {
		print_plan(r);
	} else {
		apply_quiet(r);
		apply_unresolved(r);
		apply_creates(r);
		apply_updates(r);
		apply_removals(r);
		apply_merges(r);
	}
	r->plan = NULL;
	for (size_t i = 0; i < r->nadopted; i++)
		free(r->adopted[i]);
	free(r->adopted);
	r->adopted = NULL;
	r->nadopted = 0;
}
