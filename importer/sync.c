/* sync: the planner — this run's meetings × the state → what to do with each occurrence, and why.
 */
#include "sync.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[SYNC_NACTIONS] = {
	[SYNC_CREATE] = "create", [SYNC_UPDATE] = "update", [SYNC_UNCHANGED] = "unchanged",
	[SYNC_REMOVE] = "remove", [SYNC_SKIP] = "skip",	    [SYNC_RESOLVE] = "resolve",
	[SYNC_MERGE] = "merge",
};

const char *sync_action_name(enum sync_action a)
{
	if ((unsigned)a >= SYNC_NACTIONS)
		BUG("bad sync action %d", (int)a);
	return action_names[a];
}

static const char *remove_mode_name(enum on_removed m)
{
	switch (m) {
	case ON_REMOVED_ARCHIVE:
		return "archive";
	case ON_REMOVED_CANCEL:
		return "cancel";
	case ON_REMOVED_KEEP:
		return "keep";
	}
	return "?";
}

static int strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* ---- sorted indexes (qsort has no context argument: a file-scope pointer, set per sort) ---- */

static const struct state_row *sort_rows;
static struct meeting *const *sort_meetings;

/* Rows by key, then source. */
static int cmp_row_key(const void *a, const void *b)
{
	const struct state_row *x = &sort_rows[*(const size_t *)a];
	const struct state_row *y = &sort_rows[*(const size_t *)b];
	int c = strcmp0(x->key, y->key);

	return c ? c : strcmp0(x->source, y->source);
}

/* Meetings by key, then input order (so the first of a key comes first). */
static int cmp_meeting_key(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp0(sort_meetings[i]->key, sort_meetings[j]->key);

	return c ? c : (i > j) - (i < j);
}

/* Meetings by source, then key. */
static int cmp_meeting_source_key(const void *a, const void *b)
{
	const struct meeting *x = sort_meetings[*(const size_t *)a];
	const struct meeting *y = sort_meetings[*(const size_t *)b];
	int c = strcmp0(x->source, y->source);

	return c ? c : strcmp0(x->key, y->key);
}

static size_t *index_new(size_t n)
{
	size_t *v = xmalloc((n ? n : 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = i;
	return v;
}

/* First position in rows_by_key (n entries) whose row key is >= key. */
static size_t rows_lower_bound(const struct sync_input *in, const size_t *idx, const char *key)
{
	size_t lo = 0, hi = in->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp0(in->rows[idx[mid]].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is (source, key) among this run's meetings (skipped or not)? */
static bool meeting_present(const struct sync_input *in, const size_t *by_sk, const char *source,
			    const char *key)
{
	size_t lo = 0, hi = in->nmeetings;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct meeting *m = in->meetings[by_sk[mid]];
		int c = strcmp0(m->source, source);

		if (!c)
			c = strcmp0(m->key, key);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Index in in->meetings of the first non-skipped meeting with `key`, or -1. */
static long key_primary(const struct sync_input *in, const size_t *by_key, const char *key)
{
	size_t lo = 0, hi = in->nmeetings;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp0(in->meetings[by_key[mid]]->key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < in->nmeetings && !strcmp0(in->meetings[by_key[lo]]->key, key); lo++)
		if (!in->meetings[by_key[lo]]->skip_reason)
			return (long)by_key[lo];
	return -1;
}

static const struct sync_feed *find_feed(const struct sync_input *in, const char *source)
{
	for (size_t i = 0; i < in->nfeeds; i++)
		if (!strcmp0(in->feeds[i].source, source))
			return &in->feeds[i];
	return NULL;
}

static bool row_in_window(const struct sync_input *in, const struct state_row *r)
{
	int64_t t;

	if (!in->has_since && !in->has_until)
		return true;
	if (!r->start || time_parse_utc(r->start, &t) < 0)
		return false; /* cannot tell: never judge it removed */
	if (in->has_since && t < in->since)
		return false;
	if (in->has_until && t >= in->until)
		return false;
	return true;
}

/* A row that stands for a meeting that exists in HubSpot (and could be removed). */
static bool row_live(const struct state_row *r)
{
	return r->hubspot_id && (r->status == STATE_CREATED || r->status == STATE_FAILED);
}

static bool row_has_meeting(const struct state_row *r)
{
	return r->hubspot_id && (r->status == STATE_CREATED || r->status == STATE_KEPT ||
				 r->status == STATE_CANCELLED || r->status == STATE_FAILED);
}

bool sync_row_counts(const struct sync_input *in, const struct state_row *r)
{
	return row_live(r) && row_in_window(in, r);
}

/* ---- building the plan --------------------------------------------------------------------- */

static struct sync_item *add_item(struct sync_plan *p, size_t *cap, enum sync_action a,
				  const char *key, const char *source)
{
	struct sync_item *it;

	XGROW(p->items, *cap, p->nitems + 1);
	it = &p->items[p->nitems++];
	memset(it, 0, sizeof(*it));
	it->action = a;
	it->key = key;
	it->source = source;
	it->primary = -1;
	return it;
}

static void add_message(struct sync_plan *p, char *msg)
{
	p->messages = xrealloc(p->messages, (p->nmessages + 1) * sizeof(*p->messages));
	p->messages[p->nmessages++] = msg;
}

static char *run_note(long run)
{
	return run > 0 ? xasprintf(" in run %ld", run) : xstrdup("");
}

/*
 * What changed, for people: the fields the state can compare (the start it
 * recorded, the associations last sent); the rest of a meeting is kept only
 * as a hash, so a change elsewhere is named by the properties it may be in.
 */
static char *change_words(const struct meeting *m, const struct state_row *row, const char *hex)
{
	struct sbuf sb = SBUF_INIT;
	bool start = row->start && m->start && strcmp(row->start, m->start);
	bool assocs = false;

	if (row->assocs) {
		cJSON *now = meeting_associations_json(m);
		char *text = cJSON_PrintUnformatted(now);

		assocs = text && strcmp(text, row->assocs);
		cJSON_free(text);
		cJSON_Delete(now);
	}
	sbuf_adds(&sb, "changed: ");
	if (start)
		sbuf_adds(&sb, "start");
	if (assocs)
		sbuf_addf(&sb, "%sattendees", start ? ", " : "");
	if (!start && !assocs)
		sbuf_adds(&sb, "title, description, location or another property");
	if (util_verbosity >= 2)
		sbuf_addf(&sb, " (hash %s → %s)", row->hash ? row->hash : "none", hex);
	return sbuf_detach(&sb);
}

/* Plan one primary meeting (not skipped, first of its key). */
static void plan_meeting(const struct sync_input *in, const size_t *rows_by_key, bool *consumed,
			 struct sync_item *it, size_t mi)
{
	struct meeting *m = in->meetings[mi];
	const struct state_row *own = NULL, *other = NULL, *pending = NULL;
	size_t pending_at = 0;
	char hex[17], *note, *via = NULL;

	hash64_hex(in->hashes[mi], hex, sizeof(hex));
	for (size_t k = rows_lower_bound(in, rows_by_key, m->key);
	     k < in->nrows && !strcmp0(in->rows[rows_by_key[k]].key, m->key); k++) {
		const struct state_row *r = &in->rows[rows_by_key[k]];
		bool mine = !strcmp0(r->source, m->source);

		if (r->status == STATE_PENDING && !consumed[rows_by_key[k]]) {
			if (!pending || mine) {
				pending = r;
				pending_at = rows_by_key[k];
			}
		} else if (mine) {
			own = r;
		} else if (row_has_meeting(r) && (!other || (r->status == STATE_CREATED &&
							     other->status != STATE_CREATED))) {
			other = r;
		}
	}

	if (pending) {
		consumed[pending_at] = true;
		it->action = SYNC_RESOLVE;
		it->row = pending;
		note = run_note(pending->created_run);
		it->reason =
			xasprintf("a create sent%s was never confirmed (trace id %s): look it up "
				  "before creating",
				  note, pending->trace_id ? pending->trace_id : "?");
		free(note);
		return;
	}

	/* Someone deleted the meeting in HubSpot: not sent again, unless asked. */
	if (own && own->status == STATE_DELETED) {
		note = run_note(own->changed_run);
		it->row = own;
		it->action = in->recreate_deleted ? SYNC_CREATE : SYNC_SKIP;
		it->reason = xasprintf(
			in->recreate_deleted
				? "deleted in HubSpot%s: created again (--recreate-deleted)"
				: "deleted in HubSpot%s: not sent again (--recreate-deleted "
				  "creates it again)",
			note);
		free(note);
		return;
	}

	/* Own calendar's row first; another calendar's when ours has no meeting id. */
	const struct state_row *best = own && row_has_meeting(own) ? own : other;

	if (!best) {
		it->action = SYNC_CREATE;
		it->row = own;
		if (!own) {
			it->reason = xstrdup("new");
		} else if (own->status == STATE_ARCHIVED) {
			note = run_note(own->changed_run);
			it->reason = xasprintf("back in the calendar (archived%s)", note);
			free(note);
		} else {
			note = run_note(own->changed_run);
			it->reason = xasprintf("retry: the create failed%s: %s", note,
					       own->last_error ? own->last_error : "?");
			free(note);
		}
		return;
	}

	it->row = best;
	it->hubspot_id = best->hubspot_id;
	if (best != own) {
		char *red = source_redact(best->source);

		via = xasprintf(" (same meeting as in '%s')", red);
		free(red);
	}
	note = run_note(best->changed_run);
	if (best->status == STATE_CANCELLED) {
		it->action = SYNC_UPDATE;
		it->reason =
			xasprintf("back in the calendar (cancelled%s)%s", note, via ? via : "");
	} else if (best->status == STATE_FAILED) {
		it->action = SYNC_UPDATE;
		it->reason = xasprintf("retry: the update failed%s: %s%s", note,
				       best->last_error ? best->last_error : "?", via ? via : "");
	} else if (!strcmp0(best->hash, hex)) {
		it->action = SYNC_UNCHANGED;
		it->reason =
			xasprintf("%s%s",
				  best->status == STATE_KEPT ? "back in the calendar, unchanged"
							     : "unchanged",
				  via ? via : "");
	} else {
		char *what = change_words(m, best, hex);

		it->action = SYNC_UPDATE;
		it->reason = xasprintf("%s%s", what, via ? via : "");
		free(what);
	}
	free(note);
	free(via);
}

static const struct sync_plan *sort_removal_plan;

/* Removal items by HubSpot id, then position. */
static int cmp_removal(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp0(sort_removal_plan->items[i].hubspot_id,
			sort_removal_plan->items[j].hubspot_id);

	return c ? c : (i > j) - (i < j);
}

/*
 * Judge the removals of one feed (its candidate rows `cand`), applying the
 * safety valves. Marks the rows that will be removed in `removing`.
 */
static void judge_feed(const struct sync_input *in, struct sync_plan *p, const struct sync_feed *f,
		       const size_t *cand, size_t ncand, size_t base, size_t nmeetings,
		       bool *removing)
{
	long max_count =
		in->max_remove_count > 0 ? in->max_remove_count : SYNC_DEFAULT_MAX_REMOVE_COUNT;
	int max_pct = in->max_remove_percent > 0 ? in->max_remove_percent
						 : SYNC_DEFAULT_MAX_REMOVE_PERCENT;
	char *red, *why = NULL;
	bool forceable = true;

	if (!ncand)
		return;
	red = source_redact(f->source);
	if (!f->loaded) {
		why = xasprintf("'%s' failed to load", red);
		forceable = false;
	} else if (!nmeetings) {
		why = xasprintf("'%s' came back empty (no occurrence in this run's window)", red);
	} else if ((long)ncand > max_count && ncand * 100 > (size_t)max_pct * base) {
		why = xasprintf("'%s' would lose %zu of its %zu meetings in the window (more than "
				"%d%% and more than %ld)",
				red, ncand, base, max_pct, max_count);
	}
	free(red);
	if (why && (!forceable || !in->force)) {
		add_message(p, xasprintf("%s: removing nothing (%zu meeting%s kept)%s", why, ncand,
					 ncand == 1 ? "" : "s",
					 forceable ? "; use --force if this is right" : ""));
		p->refused_removals += ncand;
		free(why);
		return;
	}
	if (why)
		add_message(p, xasprintf("%s: removing %zu anyway (--force)", why, ncand));
	free(why);
	for (size_t i = 0; i < ncand; i++)
		removing[cand[i]] = true;
}

static void plan_removals(const struct sync_input *in, struct sync_plan *p, size_t *cap,
			  const size_t *rows_by_key, const size_t *m_by_key, const size_t *m_by_sk,
			  const bool *consumed)
{
	bool *removing = xcalloc(in->nrows ? in->nrows : 1, sizeof(*removing));
	size_t *cand = xmalloc((in->nrows ? in->nrows : 1) * sizeof(*cand));
	size_t *rem_items = NULL, nrem = 0, rem_cap = 0;

	for (size_t fi = 0; fi < in->nfeeds; fi++) {
		const struct sync_feed *f = &in->feeds[fi];
		size_t ncand = 0, base = 0, nmeetings = 0;

		if (find_feed(in, f->source) != f)
			continue; /* the same source listed twice */
		nmeetings = f->earlier_meetings;
		for (size_t i = 0; i < in->nmeetings; i++)
			if (!strcmp0(in->meetings[i]->source, f->source))
				nmeetings++;
		for (size_t i = 0; i < in->nrows; i++) {
			const struct state_row *r = &in->rows[i];

			if (strcmp0(r->source, f->source) || !sync_row_counts(in, r))
				continue;
			base++;
			if (!meeting_present(in, m_by_sk, r->source, r->key))
				cand[ncand++] = i;
		}
		if (f->has_base)
			base = f->base;
		judge_feed(in, p, f, cand, ncand, base, nmeetings, removing);
	}

	/* Rows order: as given (state_rows_for_plan gives source, start, key). */
	for (size_t i = 0; i < in->nrows; i++) {
		const struct state_row *r = &in->rows[i];
		struct sync_item *it;
		const char *still = NULL;

		if (!removing[i])
			continue;
		/* Is the meeting still alive through another calendar? Then leave HubSpot alone. */
		long pm = key_primary(in, m_by_key, r->key);

		if (pm >= 0) {
			still = in->meetings[pm]->source;
		} else {
			for (size_t k = rows_lower_bound(in, rows_by_key, r->key);
			     k < in->nrows && !strcmp0(in->rows[rows_by_key[k]].key, r->key); k++) {
				const struct state_row *o = &in->rows[rows_by_key[k]];

				if (o != r && strcmp0(o->source, r->source) &&
				    !removing[rows_by_key[k]] &&
				    (row_live(o) || o->status == STATE_PENDING)) {
					still = o->source;
					break;
				}
			}
		}
		it = add_item(p, cap, SYNC_REMOVE, r->key, r->source);
		it->row = r;
		it->start = r->start;
		it->hubspot_id = r->hubspot_id;
		if (still) {
			char *red = source_redact(still);

			it->remove_mode = ON_REMOVED_KEEP;
			it->reason = xasprintf("gone from this calendar, still in '%s': kept", red);
			free(red);
		} else {
			it->remove_mode = in->on_removed;
			it->reason = xasprintf("gone from the calendar: %s",
					       remove_mode_name(in->on_removed));
			if (in->on_removed != ON_REMOVED_KEEP) {
				XGROW(rem_items, rem_cap, nrem + 1);
				rem_items[nrem++] = p->nitems - 1;
			}
		}
	}
	/* Two calendars' rows for one HubSpot meeting: send the removal once. */
	sort_removal_plan = p;
	if (nrem)
		qsort(rem_items, nrem, sizeof(*rem_items), cmp_removal);
	for (size_t i = 1; i < nrem; i++) {
		struct sync_item *prev = &p->items[rem_items[i - 1]];
		struct sync_item *it = &p->items[rem_items[i]];

		if (!strcmp0(prev->hubspot_id, it->hubspot_id))
			it->primary = prev->primary >= 0 ? prev->primary : (long)rem_items[i - 1];
	}
	free(rem_items);

	/* Pending rows no meeting of this run took: resolve them anyway. */
	for (size_t i = 0; i < in->nrows; i++) {
		const struct state_row *r = &in->rows[i];
		struct sync_item *it;
		char *note;

		if (r->status != STATE_PENDING || consumed[i])
			continue;
		it = add_item(p, cap, SYNC_RESOLVE, r->key, r->source);
		it->row = r;
		it->start = r->start;
		note = run_note(r->created_run);
		it->reason = xasprintf("a create sent%s was never confirmed (trace id %s), and the "
				       "occurrence is not in this run: look it up",
				       note, r->trace_id ? r->trace_id : "?");
		free(note);
	}
	free(cand);
	free(removing);
}

int sync_plan(const struct sync_input *in, struct sync_plan *out)
{
	size_t cap = 0;
	size_t *rows_by_key, *m_by_key, *m_by_sk;
	bool *consumed;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->nmeetings; i++)
		if (!in->meetings[i]->key || !in->meetings[i]->source)
			return error("sync: meeting %zu has no key or source", i);
	for (size_t i = 0; i < in->nrows; i++)
		if (!in->rows[i].key || !in->rows[i].source)
			return error("sync: state row %zu has no key or source", i);
	if (in->nmeetings && !in->hashes)
		return error("sync: no hashes");

	rows_by_key = index_new(in->nrows);
	sort_rows = in->rows;
	qsort(rows_by_key, in->nrows, sizeof(*rows_by_key), cmp_row_key);
	sort_meetings = in->meetings;
	m_by_key = index_new(in->nmeetings);
	qsort(m_by_key, in->nmeetings, sizeof(*m_by_key), cmp_meeting_key);
	m_by_sk = index_new(in->nmeetings);
	qsort(m_by_sk, in->nmeetings, sizeof(*m_by_sk), cmp_meeting_source_key);
	consumed = xcalloc(in->nrows ? in->nrows : 1, sizeof(*consumed));

	/* One item per meeting, in input order: item i is meeting i. */
	for (size_t i = 0; i < in->nmeetings; i++) {
		struct meeting *m = in->meetings[i];
		struct sync_item *it = add_item(out, &cap, SYNC_SKIP, m->key, m->source);
		long pm;

		it->meeting = m;
		it->start = m->start;
		it->summary = m->summary;
		it->hash = in->hashes[i];
		if (m->skip_reason) {
			it->reason = xasprintf("skipped: %s", m->skip_reason);
			continue;
		}
		pm = key_primary(in, m_by_key, m->key);
		if (pm >= 0 && (size_t)pm != i) {
			const struct sync_item *prim = &out->items[pm];
			char *red = source_redact(prim->source);

			it->action = SYNC_MERGE;
			it->primary = pm;
			it->hash = prim->hash;
			it->hubspot_id = prim->hubspot_id;
			it->reason = xasprintf(
				"same meeting as in '%s': one meeting, contacts merged", red);
			free(red);
			continue;
		}
		plan_meeting(in, rows_by_key, consumed, it, i);
	}
	plan_removals(in, out, &cap, rows_by_key, m_by_key, m_by_sk, consumed);

	for (size_t i = 0; i < out->nitems; i++)
		out->count[out->items[i].action]++;
	free(consumed);
	free(m_by_sk);
	free(m_by_key);
	free(rows_by_key);
	return 0;
}

void sync_plan_release(struct sync_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nitems; i++)
		free(p->items[i].reason);
	free(p->items);
	for (size_t i = 0; i < p->nmessages; i++)
		free(p->messages[i]);
	free(p->messages);
	memset(p, 0, sizeof(*p));
}

/* ---- duplicates across calendars ----------------------------------------------------------- */

static void strv_union(char ***dst, size_t *ndst, char *const *src, size_t nsrc)
{
	for (size_t i = 0; i < nsrc; i++) {
		bool have = false;

		for (size_t j = 0; j < *ndst && !have; j++)
			have = !strcmp0((*dst)[j], src[i]);
		if (have)
			continue;
		*dst = xrealloc(*dst, (*ndst + 1) * sizeof(**dst));
		(*dst)[(*ndst)++] = xstrdup(src[i]);
	}
}

/* Add src's contacts to dst, keeping dst->contact_names parallel to dst->contact_emails. */
static void contacts_union(struct meeting *dst, const struct meeting *src)
{
	for (size_t i = 0; i < src->ncontact_emails; i++) {
		const char *name = src->contact_names ? src->contact_names[i] : NULL;
		size_t n = dst->ncontact_emails, j;

		for (j = 0; j < n; j++)
			if (!strcmp0(dst->contact_emails[j], src->contact_emails[i]))
				break;
		if (j < n) {
			if (name && dst->contact_names && !dst->contact_names[j])
				dst->contact_names[j] = xstrdup(name);
			continue;
		}
		dst->contact_emails = xrealloc(dst->contact_emails, (n + 1) * sizeof(char *));
		dst->contact_emails[n] = xstrdup(src->contact_emails[i]);
		if (dst->contact_names) {
			dst->contact_names = xrealloc(dst->contact_names, (n + 1) * sizeof(char *));
			dst->contact_names[n] = xstrdup(name);
		} else if (name) {
			dst->contact_names = xcalloc(n + 1, sizeof(char *));
			dst->contact_names[n] = xstrdup(name);
		}
		dst->ncontact_emails = n + 1;
	}
}

size_t sync_merge_duplicates(struct meeting *const *ms, size_t n)
{
	size_t *idx = index_new(n), merged = 0;

	sort_meetings = ms;
	qsort(idx, n, sizeof(*idx), cmp_meeting_key);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		struct meeting *first = NULL;

		for (; j < n && !strcmp0(ms[idx[j]]->key, ms[idx[i]]->key); j++) {
			struct meeting *m = ms[idx[j]];

			if (m->skip_reason)
				continue;
			if (!first) {
				first = m;
				continue;
			}
			contacts_union(first, m);
			strv_union(&first->company_domains, &first->ncompany_domains,
				   m->company_domains, m->ncompany_domains);
			for (size_t a = 0; a < m->nassocs; a++) {
				const struct assoc *x = &m->assocs[a];
				bool have = false;

				for (size_t b = 0; b < first->nassocs && !have; b++)
					have = first->assocs[b].kind == x->kind &&
					       !strcmp0(first->assocs[b].id, x->id) &&
					       (x->id || !strcmp0(first->assocs[b].ref, x->ref));
				if (!have)
					meeting_add_assoc(first, x->kind, x->id, x->ref);
			}
			merged++;
		}
		i = j;
	}
	free(idx);
	return merged;
}

/* ---- printing (into buffers: the caller does the I/O) -------------------------------------- */

/* Columns on a terminal: UTF-8 characters, not bytes (a redacted URL ends in "…"). */
static int display_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if ((*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* s, then spaces up to `width` columns, then one space. */
static void add_cell(struct sbuf *out, const char *s, int width)
{
	sbuf_adds(out, s);
	for (int w = display_width(s); w < width; w++)
		sbuf_addc(out, ' ');
	sbuf_addc(out, ' ');
}

static const char *item_mode(const struct sync_item *it)
{
	return it->action == SYNC_REMOVE ? remove_mode_name(it->remove_mode) : NULL;
}

/* At most `max` columns of s (UTF-8 aware), cut with "…"; a new string. */
static char *cut_cell(const char *s, int max)
{
	const char *p = s;
	char *head, *r;

	if (display_width(s) <= max)
		return xstrdup(s);
	for (int w = 0; *p; p++)
		if ((*p & 0xC0) != 0x80 && w++ == max - 1)
			break;
	head = xstrndup(s, (size_t)(p - s));
	r = xasprintf("%s…", head);
	free(head);
	return r;
}

static const struct sync_plan *sort_time_plan;

/* Plan items in time order (no start last), then as planned. */
static int cmp_time(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const char *si = sort_time_plan->items[i].start, *sj = sort_time_plan->items[j].start;
	int c = !si || !sj ? (!si) - (!sj) : strcmp(si, sj);

	return c ? c : (i > j) - (i < j);
}

void sync_plan_format_table(const struct sync_plan *p, bool all, struct sbuf *out)
{
	int wkey = 3, wstart = 5, wsrc = 6, wtitle = 5;
	char **red = xcalloc(p->nitems ? p->nitems : 1, sizeof(*red));
	size_t *order = xmalloc((p->nitems ? p->nitems : 1) * sizeof(*order));
	bool first = true;

	for (size_t i = 0; i < p->nitems; i++)
		order[i] = i;
	sort_time_plan = p;
	qsort(order, p->nitems, sizeof(*order), cmp_time);
	sort_time_plan = NULL;
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		int l;

		if (!all && (it->action == SYNC_UNCHANGED || it->action == SYNC_SKIP))
			continue;
		/* SOURCE: the file and line of the event (redacted), or the calendar */
		red[i] = it->meeting && it->meeting->where ? xstrdup(it->meeting->where)
							   : source_redact(it->source);
		if ((l = display_width(it->key)) > wkey)
			wkey = l < 48 ? l : 48;
		if (it->start && (l = display_width(it->start)) > wstart)
			wstart = l;
		if ((l = display_width(red[i])) > wsrc)
			wsrc = l < 40 ? l : 40;
		if (it->summary && (l = display_width(it->summary)) > wtitle)
			wtitle = l < 40 ? l : 40;
	}
	for (size_t k = 0; k < p->nitems; k++) {
		size_t i = order[k];
		const struct sync_item *it = &p->items[i];
		char action[24];

		if (!red[i])
			continue;
		if (first) {
			add_cell(out, "ACTION", 14);
			add_cell(out, "KEY", wkey);
			add_cell(out, "START", wstart);
			add_cell(out, "SOURCE", wsrc);
			add_cell(out, "TITLE", wtitle);
			sbuf_adds(out, "REASON\n");
			first = false;
		}
		if (item_mode(it))
			snprintf(action, sizeof(action), "%s:%s", sync_action_name(it->action),
				 item_mode(it));
		else
			snprintf(action, sizeof(action), "%s", sync_action_name(it->action));
		add_cell(out, action, 14);
		{
			char *key = cut_cell(it->key, wkey);
			char *src = cut_cell(red[i], wsrc);

			add_cell(out, key, wkey);
			add_cell(out, it->start ? it->start : "-", wstart);
			add_cell(out, src, wsrc);
			free(key);
			free(src);
		}
		{
			char *title = cut_cell(it->summary ? it->summary : "-", 40);

			add_cell(out, title, wtitle);
			free(title);
		}
		sbuf_addf(out, "%s\n", it->reason);
		free(red[i]);
	}
	free(red);
	free(order);
	for (int a = 0; a < SYNC_NACTIONS; a++)
		sbuf_addf(out, "%s%zu %s", a ? ", " : "", p->count[a],
			  sync_action_name((enum sync_action)a));
	sbuf_addc(out, '\n');
	if (p->refused_removals)
		sbuf_addf(out, "%zu removal%s refused by a safety valve\n", p->refused_removals,
			  p->refused_removals == 1 ? "" : "s");
	for (size_t i = 0; i < p->nmessages; i++)
		sbuf_addf(out, "note: %s\n", p->messages[i]);
}

static void add_str_or_null(cJSON *o, const char *name, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *sync_plan_to_json(const struct sync_plan *p)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *counts = cJSON_AddObjectToObject(j, "counts");
	cJSON *msgs, *items;

	for (int a = 0; a < SYNC_NACTIONS; a++)
		cJSON_AddNumberToObject(counts, sync_action_name((enum sync_action)a),
					(double)p->count[a]);
	cJSON_AddNumberToObject(j, "refused_removals", (double)p->refused_removals);
	msgs = cJSON_AddArrayToObject(j, "messages");
	for (size_t i = 0; i < p->nmessages; i++)
		cJSON_AddItemToArray(msgs, cJSON_CreateString(p->messages[i]));
	items = cJSON_AddArrayToObject(j, "items");
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		cJSON *o = cJSON_CreateObject();
		char *red = source_redact(it->source);

		cJSON_AddStringToObject(o, "action", sync_action_name(it->action));
		cJSON_AddStringToObject(o, "key", it->key);
		cJSON_AddStringToObject(o, "source", red);
		add_str_or_null(o, "start", it->start);
		add_str_or_null(o, "summary", it->summary);
		add_str_or_null(o, "hubspot_id", it->hubspot_id);
		add_str_or_null(o, "remove_mode", item_mode(it));
		cJSON_AddStringToObject(o, "reason", it->reason);
		cJSON_AddItemToArray(items, o);
		free(red);
	}
	return j;
}
