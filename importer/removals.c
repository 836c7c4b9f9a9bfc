/* removals: occurrences gone from the calendar — archived, cancelled or kept, behind safety valves.
 */
#include "claims.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Removals: what the batch calls need to find their items again. */
struct removal {
	size_t item;
	const char *id;
	enum batch_status status;
	const char *message;
	bool answered;
};
struct removals {
	struct run *r;
	struct removal *v;
	size_t n;
	struct meeting *tmp; /* cancel: the update inputs */
};

static int cmp_removal_id(const void *a, const void *b)
{
	return strcmp(((const struct removal *)a)->id, ((const struct removal *)b)->id);
}

static void on_archive_result(const struct batch_result *res, void *data)
{
	struct removals *rm = data;
	struct removal key = {.id = res->id};
	struct removal *hit =
		res->id ? bsearch(&key, rm->v, rm->n, sizeof(*rm->v), cmp_removal_id) : NULL;

	if (!hit)
		return;
	hit->answered = true;
	hit->status = res->status;
	hit->message = NULL;
	txn_count(rm->r);
}

static void on_cancel_result(const struct batch_result *res, void *data)
{
	struct removals *rm = data;
	struct removal *x = &rm->v[res->m - rm->tmp];

	x->answered = true;
	x->status = res->status;
	/* A meeting somebody deleted in HubSpot needs no cancelling. */
	if (res->status == BATCH_FAILED && res->category &&
	    !strcmp(res->category, "OBJECT_NOT_FOUND"))
		x->status = BATCH_ARCHIVED;
	txn_count(rm->r);
}

/* Record one removal's outcome (state + report). */
static void removal_done(struct run *r, const struct sync_item *it, enum batch_status st,
			 const char *message)
{
	enum state_status ss;
	enum outcome out;
	const char *action, *reason = it->reason;

	switch (it->remove_mode) {
	case ON_REMOVED_ARCHIVE:
		ss = STATE_ARCHIVED;
		out = OUTCOME_ARCHIVED;
		action = "remove:archive";
		break;
	case ON_REMOVED_CANCEL:
		ss = STATE_CANCELLED;
		out = OUTCOME_UPDATED;
		action = "remove:cancel";
		break;
	case ON_REMOVED_KEEP:
	default:
		ss = STATE_KEPT;
		out = OUTCOME_UNCHANGED;
		action = "remove:keep";
		break;
	}
	if (it->remove_mode == ON_REMOVED_CANCEL && st == BATCH_ARCHIVED) {
		ss = STATE_DELETED; /* gone from HubSpot already */
		out = OUTCOME_DELETED;
		reason = "gone from the calendar; already deleted in HubSpot";
	}
	if (st == BATCH_FAILED || st == BATCH_NOT_SENT) {
		const char *why =
			message ? message
				: (st == BATCH_NOT_SENT ? "not sent: the run stopped before it"
							: "failed");

		if (st == BATCH_NOT_SENT && interrupted_not_sent(r, "not sent")) {
			report_add_key(r->rep, it->key, it->source, OUTCOME_FAILED, it->hubspot_id,
				       action, "not sent: interrupted");
			mark_dirty(r, it->source);
			return;
		}
		if (!refused(r))
			error("%s: %s: %s", action, it->key, why);
		report_add_key(r->rep, it->key, it->source, OUTCOME_FAILED, it->hubspot_id, action,
			       why);
		r->failed++;
		r->counts.failed++;
		mark_dirty(r, it->source);
		return;
	}
	if (r->st && state_mark_removed(r->st, r->run_id, it->source, it->key, ss) < 0)
		r->state_errors++;
	report_add_key(r->rep, it->key, it->source, out, it->hubspot_id, action, reason);
	if (ss == STATE_ARCHIVED)
		r->counts.archived++;
	else if (ss == STATE_CANCELLED)
		r->counts.updated++;
}

/* A meeting another calendar still claims: detached (claims.h), kept in HubSpot. */
static void removal_detached(struct run *r, const struct sync_item *it)
{
	if (r->st && state_mark_removed(r->st, r->run_id, it->source, it->key, STATE_KEPT) < 0)
		r->state_errors++;
	report_add_key(r->rep, it->key, it->source, OUTCOME_UNCHANGED, it->hubspot_id,
		       "remove:detach",
		       "gone from this calendar, still claimed by another calendar: detached, "
		       "not removed");
}

/*
 * Of the removals v[0..*n), those whose meetings another calendar still
 * claims are detached and dropped from v (claims_before_removal); so are those
 * whose claims could not be read (failed: left for the next run).
 */
static void removals_claimed(struct run *r, struct removal *v, size_t *n, struct meeting *tmp)
{
	char **ids;
	const char **mine;
	enum claims_verdict *verdict;
	size_t detached = 0, k = 0, all = *n;
	enum hs_result hr;

	if (!all || !r->st || r->o->dry_run || r->stopped || !r->client)
		return;
	ids = xmalloc(all * sizeof(*ids));
	mine = xmalloc(all * sizeof(*mine));
	verdict = xmalloc(all * sizeof(*verdict));
	for (size_t i = 0; i < all; i++) {
		ids[i] = xstrdup(v[i].id);
		mine[i] = claim_for(r, r->plan->items[v[i].item].source);
	}
	hr = claims_before_removal(r->client, ids, mine, all, verdict);
	txn_begin(r);
	for (size_t i = 0; i < all; i++) {
		const struct sync_item *it = &r->plan->items[v[i].item];

		if (verdict[i] == CLAIMS_REMOVE) {
			/* kept in v (and its cancel input in tmp, moved along) */
			if (tmp && k != i) {
				tmp[k] = tmp[i];
				memset(&tmp[i], 0, sizeof(tmp[i]));
			}
			v[k++] = v[i];
			continue;
		}
		if (tmp)
			meeting_release(&tmp[i]);
		if (verdict[i] == CLAIMS_DETACHED) {
			removal_detached(r, it);
			detached++;
		} else {
			removal_done(r, it, BATCH_FAILED,
				     "which calendars claim it could not be read or changed: left "
				     "for the next run");
		}
	}
	txn_commit(r);
	if (detached)
		info("%zu meeting(s) gone from this calendar are still claimed by another "
		     "calendar: detached, not removed",
		     detached);
	*n = k;
	note_stop(r, hr);
	for (size_t i = 0; i < all; i++)
		free(ids[i]);
	free(ids);
	free(mine);
	free(verdict);
}

void apply_removals(struct run *r)
{
	const struct sync_plan *p = r->plan;
	struct removals arch = {.r = r}, canc = {.r = r};
	char **ids;
	struct meeting **ptrs;
	char **cids;
	size_t na = 0;

	arch.v = xcalloc(p->nitems ? p->nitems : 1, sizeof(*arch.v));
	canc.v = xcalloc(p->nitems ? p->nitems : 1, sizeof(*canc.v));
	canc.tmp = xcalloc(p->nitems ? p->nitems : 1, sizeof(*canc.tmp));
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];

		if (it->action != SYNC_REMOVE || it->primary >= 0 || !it->hubspot_id)
			continue;
		if (it->remove_mode == ON_REMOVED_ARCHIVE) {
			arch.v[arch.n].item = i;
			arch.v[arch.n++].id = it->hubspot_id;
		} else if (it->remove_mode == ON_REMOVED_CANCEL) {
			struct meeting *m = &canc.tmp[canc.n];

			m->key = xstrdup(it->key);
			m->source = xstrdup(it->source);
			m->properties = cJSON_CreateObject();
			cJSON_AddStringToObject(m->properties, "hs_meeting_outcome", "CANCELED");
			canc.v[canc.n].item = i;
			canc.v[canc.n++].id = it->hubspot_id;
		}
	}
	removals_claimed(r, arch.v, &arch.n, NULL);
	removals_claimed(r, canc.v, &canc.n, canc.tmp);
	if (arch.n && !r->stopped) {
		struct batch_options bo = batch_opts(r, on_archive_result);

		bo.data = &arch;
		qsort(arch.v, arch.n, sizeof(*arch.v), cmp_removal_id);
		ids = xmalloc(arch.n * sizeof(*ids));
		for (size_t k = 0; k < arch.n; k++)
			if (!k || strcmp(arch.v[k].id, arch.v[k - 1].id))
				ids[na++] = xstrdup(arch.v[k].id);
		txn_begin(r);
		batch_progress_phase("removing");
		note_stop(r, batch_archive(r->client, ids, na, &bo));
		/* Same id twice (two calendars' rows): both take the answer. */
		for (size_t k = 1; k < arch.n; k++)
			if (!strcmp(arch.v[k].id, arch.v[k - 1].id) && arch.v[k - 1].answered) {
				arch.v[k].answered = true;
				arch.v[k].status = arch.v[k - 1].status;
			}
		for (size_t k = 0; k < arch.n; k++)
			removal_done(r, &p->items[arch.v[k].item],
				     arch.v[k].answered ? arch.v[k].status : BATCH_NOT_SENT, NULL);
		txn_commit(r);
		for (size_t k = 0; k < na; k++)
			free(ids[k]);
		free(ids);
	} else {
		for (size_t k = 0; k < arch.n; k++)
			removal_done(r, &p->items[arch.v[k].item], BATCH_NOT_SENT, NULL);
	}
	if (canc.n && !r->stopped) {
		struct batch_options bo = batch_opts(r, on_cancel_result);

		bo.data = &canc;
		ptrs = xmalloc(canc.n * sizeof(*ptrs));
		cids = xmalloc(canc.n * sizeof(*cids));
		for (size_t k = 0; k < canc.n; k++) {
			ptrs[k] = &canc.tmp[k];
			cids[k] = xstrdup(canc.v[k].id);
		}
		txn_begin(r);
		batch_progress_phase("removing");
		note_stop(r, batch_update(r->client, ptrs, cids, canc.n, &bo));
		for (size_t k = 0; k < canc.n; k++)
			removal_done(r, &p->items[canc.v[k].item],
				     canc.v[k].answered ? canc.v[k].status : BATCH_NOT_SENT, NULL);
		txn_commit(r);
		for (size_t k = 0; k < canc.n; k++)
			free(cids[k]);
		free(ptrs);
		free(cids);
	} else {
		for (size_t k = 0; k < canc.n; k++)
			removal_done(r, &p->items[canc.v[k].item], BATCH_NOT_SENT, NULL);
	}
	/* keep, and second rows of a meeting removed through another item. */
	txn_begin(r);
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];

		if (it->action != SYNC_REMOVE)
			continue;
		if (it->remove_mode == ON_REMOVED_KEEP || !it->hubspot_id)
			removal_done(r, it, BATCH_UPDATED, NULL);
		else if (it->primary >= 0)
			removal_done(r, it, r->stopped ? BATCH_NOT_SENT : BATCH_ARCHIVED, NULL);
	}
	txn_commit(r);
	for (size_t k = 0; k < canc.n; k++) {
		cJSON_Delete(canc.tmp[k].properties);
		free(canc.tmp[k].key);
		free(canc.tmp[k].source);
	}
	free(canc.tmp);
	free(canc.v);
	free(arch.v);
}

struct unseen_ctx {
	const struct run *r;
	const struct sync_input *in;
	size_t base;
};

/* state_select_rows(): count the row for the safety valve; keep it when its key was not seen. */
static bool keep_unseen(const struct state_row *row, void *data)
{
	struct unseen_ctx *c = data;

	if (sync_row_counts(c->in, row))
		c->base++;
	return !row->key || !seen_has(c->r, key_hash(row->key));
}

/*
 * The end of a streamed run: the calendar's rows whose key no chunk had (and
 * the other calendars' rows sharing those keys) are planned for removal with
 * the same safety valves as a whole run: the valve's base is every row of the
 * calendar, its meeting count every meeting of the run.
 */
void apply_streamed_removals(struct run *r)
{
	struct sync_feed *sfeeds = xcalloc(r->nfeeds ? r->nfeeds : 1, sizeof(*sfeeds));
	struct state_rows rows = {0};
	struct sync_plan plan = {0};
	struct sync_input in = {0};
	size_t nsf = 0, cap = 0;

	plan_window(r, &in);
	for (size_t i = 0; r->st && i < r->nfeeds; i++) {
		struct feed *f = &r->feeds[i];
		struct unseen_ctx c = {r, &in, 0};
		struct state_rows got = {0};
		size_t first = rows.n;

		if (f->skip_why || !strcmp(f->ident, "-"))
			continue; /* stdin without --name: nothing of it removed */
		if (state_select_rows(r->st, f->ident, keep_unseen, &c, &got) < 0) {
			r->plan_failed = true;
			goto out;
		}
		for (size_t k = 0; k < got.n; k++) {
			XGROW(rows.v, cap, rows.n + 1);
			rows.v[rows.n++] = got.v[k];
		}
		free(got.v);
		/* Other calendars' rows of those keys: a meeting still there is kept. */
		for (size_t k = first, last = rows.n; k < last; k++) {
			struct state_rows same = {0};

			if (state_rows_by_key(r->st, rows.v[k].key, &same) < 0) {
				r->plan_failed = true;
				goto out;
			}
			for (size_t j = 0; j < same.n; j++) {
				if (same.v[j].source && !strcmp(same.v[j].source, f->ident)) {
					state_row_release(&same.v[j]);
					continue;
				}
				XGROW(rows.v, cap, rows.n + 1);
				rows.v[rows.n++] = same.v[j];
			}
			free(same.v);
		}
		sfeeds[nsf].source = f->ident;
		sfeeds[nsf].loaded = f->loaded && f->complete;
		sfeeds[nsf].earlier_meetings = r->nchunk_meetings;
		sfeeds[nsf].has_base = true;
		sfeeds[nsf++].base = c.base;
	}
	in.rows = rows.v;
	in.nrows = rows.n;
	in.feeds = sfeeds;
	in.nfeeds = nsf;
	if (sync_plan(&in, &plan) < 0) {
		r->plan_failed = true;
		goto out;
	}
	apply_plan(r, &plan);
out:
	sync_plan_release(&plan);
	state_rows_release(&rows);
	free(sfeeds);
}
