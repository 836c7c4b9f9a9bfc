/* import: the pipeline — calendars → occurrences → meetings → state × plan → HubSpot → report. */
#include "app.h"
#include "assoc.h"
#include "batch.h"
#include "calendar.h"
#include "hubspot.h"
#include "ics.h"
#include "lookup.h"
#include "mapping.h"
#include "meeting.h"
#include "pipeline.h"
#include "portal.h"
#include "report.h"
#include "state.h"
#include "sync.h"
#include "util.h"

/* The built-in mapping's text (generated; one long string), for the configuration hash. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "default_mapping.h"
#pragma GCC diagnostic pop

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A pending row younger than this may be invisible to search yet (HubSpot's
 * search is eventually consistent): look again a few times before deciding
 * that its create never happened.
 */
#define PENDING_YOUNG_S 600

/*
 * Without --until, ics_read() expands series that never end up to a horizon
 * (ics.c ICS_HORIZON_DAYS: now, or --since when later, + 730 days). Rows past
 * it (from a run with a later --until) are simply not expanded this time:
 * they must not be judged removed, so the planner's window ends there too (a
 * day early, to be safe). Never larger than ics.c's horizon.
 */
#define PLAN_HORIZON_DAYS (ICS_HORIZON_DAYS - 1)

/*
 * Occurrences one run maps and keeps in memory (all calendars together): a
 * company calendar's ten years of meetings fit many times over; a hostile
 * calendar (a few events with absurd rules) stops here, in bounded memory.
 * Past it, reading stops, nothing is removed, and the exit code is 1: import
 * in --since/--until slices.
 */
#define IMPORT_MAX_OCCURRENCES 500000L

/*
 * A run with one calendar (not a dry run) streams: every IMPORT_CHUNK mapped
 * occurrences are resolved, planned and sent, then freed, so that memory does
 * not grow with the calendar. Kept for the whole run: a set of 64-bit hashes
 * of the keys seen (to find the removals at the end). Several calendars are
 * read whole (a meeting in two of them is one meeting with both attendee
 * lists), and so is a dry run (its plan is printed as one table).
 * ICS2HUBSPOT_CHUNK=N (tests) sets the chunk size.
 */
#define IMPORT_CHUNK 5000

#include "run.h"

/* ---- pre-flight ----------------------------------------------------------------------------- */

static void stop_with(struct run *r, enum hs_result hr)
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
	hr = portal_lookup(r->client, r->token, &p, &fail);
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
	verbose("portal %lld (from %s)", p.id, p.source);
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
static int use_portal(struct run *r)
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
static int preflight(struct run *r)
{
	const char *base = app_api_base(r->o);
	struct hs_response fail;
	struct sbuf sb = SBUF_INIT;
	enum hs_result hr;
	cJSON *props;
	char *problem, hex[17];

	if (learn_portal(r) < 0)
		return -1;
	sbuf_adds(&sb, mapping_identity_property(r->map));
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
static bool recheck_portal(struct run *r)
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

/* ---- options ------------------------------------------------------------------------------ */

static int parse_associate(struct run *r)
{
	for (size_t i = 0; i < r->o->nassociate; i++) {
		const char *arg = r->o->associate[i];
		const char *colon = strchr(arg, ':');
		char *kind;
		enum assoc_kind k;
		int bad;

		if (!colon || !colon[1])
			return error("--associate: '%s' is not TYPE:ID (e.g. deal:1234)", arg);
		kind = xstrndup(arg, (size_t)(colon - arg));
		bad = assoc_kind_parse(kind, &k);
		free(kind);
		if (bad)
			return error(
				"--associate: unknown type in '%s' (contact, company, deal, ticket)",
				arg);
		if (strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return error("--associate: '%s' is not a HubSpot record id", colon + 1);
		r->statics = xrealloc(r->statics, (r->nstatics + 1) * sizeof(*r->statics));
		r->statics[r->nstatics].kind = k;
		r->statics[r->nstatics].id = xstrdup(colon + 1);
		r->statics[r->nstatics].ref = xstrdup(arg);
		r->nstatics++;
	}
	return 0;
}

/*
 * Everything besides the calendar's bytes that shapes the meetings: the
 * mapping, the window, the zone, --associate, the program version, and the
 * day when the window has no end (unbounded series are expanded up to a
 * horizon that moves with the date). A calendar is skipped as unchanged only
 * when both its bytes and this are the same as at its last complete run.
 */
static int make_config_hash(struct run *r)
{
	struct sbuf sb = SBUF_INIT;
	char hex[17], *text = NULL;
	size_t len = 0;

	sbuf_addf(&sb, "%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
	if (r->o->mapping) {
		if (file_read_all(r->o->mapping, &text, &len))
			return -1;
		sbuf_add(&sb, text, len);
		free(text);
	} else {
		sbuf_adds(&sb, default_mapping_yaml);
	}
	sbuf_addf(&sb, "\nsince=%lld until=%lld tz=%s\n",
		  r->o->has_since ? (long long)r->o->since : -1LL,
		  r->o->has_until ? (long long)r->o->until : -1LL,
		  r->o->default_tz ? r->o->default_tz : "");
	for (size_t i = 0; i < r->o->nassociate; i++)
		sbuf_addf(&sb, "associate=%s\n", r->o->associate[i]);
	/* A calendar is read again when asked to create its deleted meetings again. */
	if (r->o->recreate_deleted)
		sbuf_adds(&sb, "recreate-deleted\n");
	if (!r->o->has_until) {
		char day[11];

		time_format_date(time_now(), day, sizeof(day));
		sbuf_addf(&sb, "day=%s\n", day);
	}
	hash64_hex(hash64(sb.buf, sb.len, HASH64_SEED), hex, sizeof(hex));
	sbuf_release(&sb);
	r->config_hash = xstrdup(hex);
	return 0;
}

/* "import -m FILE --since ... N calendar(s)": for the runs table; never the token. */
static char *argv_summary(const struct app_options *o)
{
	struct sbuf sb = SBUF_INIT;
	char when[21];

	sbuf_adds(&sb, "import");
	if (o->mapping)
		sbuf_addf(&sb, " -m %s", o->mapping);
	if (o->has_since) {
		time_format_utc(o->since, when, sizeof(when));
		sbuf_addf(&sb, " --since %s", when);
	}
	if (o->has_until) {
		time_format_utc(o->until, when, sizeof(when));
		sbuf_addf(&sb, " --until %s", when);
	}
	if (o->default_tz)
		sbuf_addf(&sb, " --default-tz %s", o->default_tz);
	for (size_t i = 0; i < o->nassociate; i++)
		sbuf_addf(&sb, " --associate %s", o->associate[i]);
	if (o->force)
		sbuf_adds(&sb, " --force");
	sbuf_addf(&sb, " (%zu calendar%s)", o->nargs, o->nargs == 1 ? "" : "s");
	return sbuf_detach(&sb);
}

struct feed *feed_of(struct run *r, const char *source)
{
	for (size_t i = 0; i < r->nfeeds; i++)
		if (source && !strcmp(r->feeds[i].ident, source))
			return &r->feeds[i];
	return NULL;
}

void mark_dirty(struct run *r, const char *source)
{
	struct feed *f = feed_of(r, source);

	if (f)
		f->dirty = true;
}

/* ---- keys seen (streaming) ----------------------------------------------------------------- */

/* 0 marks an empty slot: a key hashing to 0 is stored as 1 (a collision only keeps a row). */
uint64_t key_hash(const char *key)
{
	uint64_t h = hash64(key, strlen(key), HASH64_SEED);

	return h ? h : 1;
}

bool seen_has(const struct run *r, uint64_t h)
{
	if (!r->seen_cap)
		return false;
	for (size_t i = (size_t)h & (r->seen_cap - 1);; i = (i + 1) & (r->seen_cap - 1)) {
		if (r->seen[i] == h)
			return true;
		if (!r->seen[i])
			return false;
	}
}

static void seen_add(struct run *r, uint64_t h)
{
	if (seen_has(r, h))
		return;
	if (2 * (r->seen_n + 1) > r->seen_cap) {
		size_t cap = r->seen_cap ? 2 * r->seen_cap : 1024;
		uint64_t *old = r->seen, *v = xcalloc(cap, sizeof(*v));
		size_t ocap = r->seen_cap;

		r->seen = v;
		r->seen_cap = cap;
		r->seen_n = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				seen_add(r, old[i]);
		free(old);
	}
	for (size_t i = (size_t)h & (r->seen_cap - 1);; i = (i + 1) & (r->seen_cap - 1))
		if (!r->seen[i]) {
			r->seen[i] = h;
			r->seen_n++;
			return;
		}
}

static int plan_and_apply(struct run *r, bool whole);

/* ---- reading ------------------------------------------------------------------------------ */

/*
 * A rule repeating every second or minute is no meeting series (a hostile or
 * broken invitation): import skips it, one warning per series (expand keeps it).
 */
static bool skip_subminute(struct run *r, const struct occurrence *occ)
{
	struct feed *f;

	if (!occ->freq || (strcmp(occ->freq, "SECONDLY") && strcmp(occ->freq, "MINUTELY")))
		return false;
	if ((f = feed_of(r, r->reading)))
		f->lost++;
	if (r->lost_uid && !strcmp(r->lost_uid, occ->uid))
		return true;
	free(r->lost_uid);
	r->lost_uid = xstrdup(occ->uid);
	r->lost_series++;
	warning("%s:%d: UID %s: FREQ=%s repeats more often than any meeting: not imported "
		"(expand shows it)",
		occ->file, occ->line, occ->uid, occ->freq);
	return true;
}

static int on_occurrence(const struct occurrence *occ, void *data)
{
	struct run *r = data;
	struct meeting m = {0};

	if (skip_subminute(r, occ))
		return 0;
	if ((long)r->nread >= r->max_occurrences) {
		r->capped = true;
		return -1; /* stop reading */
	}

	mapping_apply(r->map, occ, &m);
	if (!m.key)
		m.key = occurrence_key(occ);
	if (!m.source)
		m.source = xstrdup(r->reading);
	if (!m.skip_reason) {
		meeting_fill_contact_names(&m, occ);
		for (size_t i = 0; i < r->nstatics; i++)
			meeting_add_assoc(&m, r->statics[i].kind, r->statics[i].id,
					  r->statics[i].ref);
	}
	if (r->stream)
		seen_add(r, key_hash(m.key));
	XGROW(r->ms, r->cap, r->n + 1);
	r->ms[r->n++] = m;
	batch_progress_set_read(++r->nread);
	if (r->stream && r->n >= r->chunk && plan_and_apply(r, false))
		return -1;
	return 0;
}

struct unchanged_ctx {
	struct run *r;
	struct feed *f;
};

static void report_one_unchanged(const char *key, const char *hubspot_id, void *data)
{
	struct unchanged_ctx *c = data;

	report_add_key(c->r->rep, key, c->f->ident, OUTCOME_UNCHANGED, hubspot_id, NULL,
		       c->f->skip_why);
}

/* Live rows of a calendar not read again: reported unchanged, left as they are. */
static void report_rows_unchanged(struct run *r, struct feed *f)
{
	struct state_window w = {r->o->has_since, r->o->has_until, r->o->since, r->o->until};
	struct unchanged_ctx c = {r, f};

	if (state_foreach_created(r->st, f->ident, &w, report_one_unchanged, &c) < 0)
		r->state_errors++;
}

/*
 * Open and read one calendar. A URL is fetched conditionally, and a calendar
 * whose bytes and configuration did not change since its last complete run
 * is not parsed again (only when the state says it is settled: no pending or
 * failed row, no meeting shared with another calendar).
 */
static void read_one(struct run *r, struct feed *f, const struct ics_options *io)
{
	struct state_feed known = {0};
	struct feed_info fi = {0};
	struct ics_stats st = {0};
	struct calendar cal;
	bool quiet = false, same_config = false;
	char *combined = NULL;
	int rc;

	rc = r->st ? state_feed_get(r->st, f->ident, &known) : 0;
	if (rc < 0)
		r->state_errors++;
	if (rc == 1) {
		const char *dash = known.content_hash ? strchr(known.content_hash, '-') : NULL;

		f->known = true;
		same_config = dash && !strcmp(dash + 1, r->config_hash);
		if (same_config)
			quiet = state_source_quiet(r->st, f->ident, r->o->nargs > 1) == 1;
	}
	if (quiet) {
		fi.etag = known.etag;
		fi.last_modified = known.last_modified;
	}
	if (calendar_open(&cal, f->source, quiet ? &fi : NULL)) {
		report_calendar(r->rep, f->display, 0, 0, 0, 0, false);
		report_note(r->rep, "%s: could not be loaded: nothing of it is removed this run",
			    f->display);
		state_feed_release(&known);
		return;
	}
	if (cal.not_modified) {
		f->loaded = true;
		f->skip_why = "calendar not modified (HTTP 304): not read again";
		f->etag = xstrdup(cal.fresh.etag);
		f->last_modified = xstrdup(cal.fresh.last_modified);
		f->content_hash = xstrdup(known.content_hash);
		verbose("%s: not modified since the last run", f->display);
	} else if (calendar_content_hash(&cal)) {
		combined = xasprintf("%s-%s", calendar_content_hash(&cal), r->config_hash);
		if (quiet && known.content_hash && !strcmp(known.content_hash, combined)) {
			f->loaded = true;
			f->skip_why = "calendar unchanged since the last run: not read again";
			f->etag = xstrdup(cal.fresh.etag);
			f->last_modified = xstrdup(cal.fresh.last_modified);
			f->content_hash = combined;
			combined = NULL;
			verbose("%s: unchanged since the last run", f->display);
		}
	}
	if (f->skip_why) {
		report_calendar(r->rep, f->display, 0, 0, 0, 0, true);
		report_rows_unchanged(r, f);
		goto out;
	}

	/*
	 * From here on the state may change for this calendar: until this run
	 * finishes well, its content must not count as "already synced" (a run
	 * killed in the middle leaves no stale content hash behind).
	 */
	if (r->st && !r->o->dry_run && known.content_hash &&
	    state_feed_set(r->st, f->ident, known.etag, known.last_modified, NULL, true) < 0)
		r->state_errors++;
	r->reading = f->ident;
	rc = ics_read(cal.path, cal.display, f->ident, io, on_occurrence, r, &st);
	r->reading = NULL;
	/* Occurrences not imported (limits): like a bad event, nothing of it is removed. */
	if (!rc && r->capped)
		report_note(r->rep,
			    "%s: reading stopped at %ld occurrences, the limit of one run (import "
			    "in --since/--until slices): nothing of it is removed this run",
			    cal.display, r->max_occurrences);
	else if (!rc && f->lost)
		report_note(r->rep,
			    "%s: %ld occurrence(s) of rules repeating every second or minute were "
			    "not imported: nothing of it is removed this run",
			    cal.display, f->lost);
	report_calendar(r->rep, cal.display, st.events, st.occurrences, st.warnings, st.bad_events,
			rc == 0);
	if (rc) {
		report_note(r->rep, "%s: could not be read: nothing of it is removed this run",
			    cal.display);
	} else {
		f->loaded = f->parsed = true;
		f->complete = st.bad_events == 0 && st.lost_events == 0 && !f->lost && !r->capped;
		f->dirty = !f->complete;
		r->bad_events += st.bad_events + st.lost_events;
		if (st.bad_events) {
			f->dirty = true;
			report_note(r->rep,
				    "%s: %ld event(s) could not be used (see warnings): nothing of "
				    "it is removed this run",
				    cal.display, st.bad_events);
		}
		if (st.lost_events) {
			f->dirty = true;
			report_note(r->rep,
				    "%s: not read in full (damage or a cut series at %ld place(s), "
				    "see errors): nothing of it is removed this run",
				    cal.display, st.lost_events);
		}
		f->etag = xstrdup(cal.fresh.etag);
		f->last_modified = xstrdup(cal.fresh.last_modified);
		f->content_hash = combined;
		combined = NULL;
	}
	ics_stats_release(&st);
out:
	free(combined);
	calendar_close(&cal);
	state_feed_release(&known);
}

/* Returns how many calendars could be loaded. */
static size_t read_calendars(struct run *r)
{
	struct ics_options io;
	size_t ok = 0;

	app_ics_options(r->o, &io);
	io.budget = true; /* a series past a budget is cut, and its calendar incomplete */
	r->feeds = xcalloc(r->o->nargs, sizeof(*r->feeds));
	for (size_t i = 0; i < r->o->nargs; i++) {
		char *ident = calendar_identity(r->o->args[i], r->o->name);
		struct feed *f;

		if (feed_of(r, ident)) {
			char *red = source_redact(r->o->args[i]);

			warning("%s: the same calendar given twice; read once", red);
			free(red);
			free(ident);
			continue;
		}
		f = &r->feeds[r->nfeeds++];
		f->source = r->o->args[i];
		f->ident = ident;
		f->display = source_redact(f->source);
		if (!strcmp(ident, "-"))
			info("standard input has no lasting name: its meetings are created and updated, "
			     "never removed (give --name NAME to sync removals too)");
		if (r->capped) {
			report_calendar(r->rep, f->display, 0, 0, 0, 0, false);
			report_note(r->rep,
				    "%s: not read (the run reached its limit of %ld occurrences): "
				    "nothing of it is removed this run",
				    f->display, r->max_occurrences);
			continue;
		}
		read_one(r, f, &io);
		if (f->loaded)
			ok++;
	}
	return ok;
}

/* ---- crash leftovers ------------------------------------------------------------------------ */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Pending rows are creates sent by a run that died (or lost the answer):
 * look each one up by identity before anything is created, so that nothing
 * is created twice. Found → the row is confirmed with that id; not found →
 * the row is dropped and the occurrence planned again (created if still in
 * its calendar). Young rows get a few more looks (search lags behind).
 */
static enum hs_result resolve_pending(struct run *r)
{
	struct state_rows rows = {0};
	char **keys = NULL, **ids = NULL;
	size_t nkeys = 0, found = 0, dropped = 0;
	const char *tries_env = getenv("ICS2HUBSPOT_RESOLVE_TRIES");
	const char *delay_env = getenv("ICS2HUBSPOT_RESOLVE_DELAY_MS");
	int tries = tries_env && atoi(tries_env) > 0 ? atoi(tries_env) : 4;
	int64_t delay = delay_env && atoi(delay_env) > 0 ? atoi(delay_env) : 2000;
	enum hs_result hr = HS_OK;
	bool *done;

	if (state_list_pending(r->st, NULL, &rows) < 0) {
		r->state_errors++;
		return HS_FAILED;
	}
	if (!rows.n)
		return HS_OK;
	info("%zu create(s) of an earlier run were never confirmed: looking them up in HubSpot "
	     "first",
	     rows.n);
	keys = xmalloc(rows.n * sizeof(*keys));
	for (size_t i = 0; i < rows.n; i++)
		keys[i] = rows.v[i].key;
	qsort(keys, rows.n, sizeof(*keys), cmp_strp);
	for (size_t i = 0; i < rows.n; i++)
		if (!nkeys || strcmp(keys[nkeys - 1], keys[i]))
			keys[nkeys++] = keys[i];
	ids = xcalloc(nkeys, sizeof(*ids));
	done = xcalloc(rows.n, sizeof(*done));

	for (int attempt = 0; attempt < tries; attempt++) {
		char **ask = xmalloc(nkeys * sizeof(*ask));
		char **got = xcalloc(nkeys, sizeof(*got));
		size_t nask = 0;
		bool young = false;

		for (size_t k = 0; k < nkeys; k++)
			if (!ids[k])
				ask[nask++] = keys[k];
		hr = nask ? batch_find_by_identity(r->client, mapping_identity_property(r->map),
						   ask, nask, got)
			  : HS_OK;
		for (size_t a = 0, k = 0; a < nask; a++) {
			while (strcmp(keys[k], ask[a]))
				k++;
			ids[k] = got[a];
		}
		free(got);
		free(ask);
		if (hr != HS_OK)
			break;
		/* Record what was found at once (one transaction). */
		if (state_txn_begin(r->st) < 0) {
			r->state_errors++;
			hr = HS_FAILED;
			break;
		}
		for (size_t i = 0; i < rows.n; i++) {
			char **k = bsearch(&rows.v[i].key, keys, nkeys, sizeof(*keys), cmp_strp);
			const char *id = k ? ids[k - keys] : NULL;

			if (done[i])
				continue;
			if (id) {
				if (state_resolve(r->st, r->run_id, rows.v[i].source, rows.v[i].key,
						  id) < 0)
					r->state_errors++;
				done[i] = true;
				found++;
			} else if (rows.v[i].last_seen > time_now() - PENDING_YOUNG_S) {
				young = true;
			}
		}
		if (state_txn_commit(r->st) < 0)
			r->state_errors++;
		if (!young || attempt + 1 == tries)
			break;
		verbose("some were sent moments ago; HubSpot's search may lag: looking again in "
			"%lld ms",
			(long long)delay);
		sleep_ms(delay);
		delay *= 2;
	}
	if (hr == HS_OK) {
		if (state_txn_begin(r->st) < 0)
			r->state_errors++;
		for (size_t i = 0; i < rows.n; i++) {
			if (done[i])
				continue;
			if (state_resolve(r->st, r->run_id, rows.v[i].source, rows.v[i].key, NULL) <
			    0)
				r->state_errors++;
			dropped++;
		}
		if (state_txn_commit(r->st) < 0)
			r->state_errors++;
		report_note(
			r->rep,
			"%zu create(s) left unconfirmed by an earlier run: %zu found in HubSpot, "
			"%zu never made it (planned again)",
			rows.n, found, dropped);
	}
	for (size_t k = 0; k < nkeys; k++)
		free(ids[k]);
	free(ids);
	free(keys);
	free(done);
	state_rows_release(&rows);
	return hr;
}

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

/* Remember a failure for print_failures(); with -v each is printed at once too. */
static void note_failure(struct run *r, const char *where, const char *key, const char *why)
{
	struct fail_group *g;

	if (util_verbosity >= 2) {
		warning("%s: %s: %s", where, key, why);
		return;
	}
	for (size_t i = 0; i < r->nfails; i++) {
		if (!strcmp(r->fails[i].why, why)) {
			r->fails[i].n++;
			return;
		}
	}
	XGROW(r->fails, r->fails_cap, r->nfails + 1);
	g = &r->fails[r->nfails++];
	g->why = xstrdup(why);
	g->first = xasprintf("%s: %s", where, key);
	g->n = 1;
}

/* Identical errors once, with a count: "150 occurrences: <HubSpot's message>". */
static void print_failures(struct run *r)
{
	for (size_t i = 0; i < r->nfails; i++) {
		struct fail_group *g = &r->fails[i];

		if (g->n == 1)
			warning("%s: %s", g->first, g->why);
		else
			warning("%ld occurrences: %s (the first: %s; the report lists each)", g->n,
				g->why, g->first);
	}
}

static void failed(struct run *r, const struct meeting *m, const char *why, const char *category)
{
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

struct batch_options batch_opts(struct run *r, batch_result_fn fn)
{
	struct batch_options bo = {
		.identity_property = mapping_identity_property(r->map),
		.on_result = fn,
		.data = r,
		/* The pre-flight from the cache: the run's first write checks it (one batch). */
		.first_alone = r->preflight_cached,
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

/* The outcome a real run would report for plan item i (as the apply_* functions do). */
static enum outcome planned_outcome(const struct run *r, size_t i)
{
	const struct sync_item *it = &r->plan->items[i];

	switch (it->action) {
	case SYNC_CREATE:
		return OUTCOME_CREATED;
	case SYNC_UPDATE:
		return OUTCOME_UPDATED;
	case SYNC_REMOVE:
		return it->remove_mode == ON_REMOVED_ARCHIVE  ? OUTCOME_ARCHIVED
		       : it->remove_mode == ON_REMOVED_CANCEL ? OUTCOME_UPDATED
							      : OUTCOME_UNCHANGED;
	case SYNC_SKIP:
		return r->adopted && r->adopted[i] ? OUTCOME_ALREADY : OUTCOME_SKIPPED;
	case SYNC_UNCHANGED:
	case SYNC_MERGE:
		return OUTCOME_UNCHANGED;
	case SYNC_RESOLVE:
	default:
		return OUTCOME_PLANNED; /* known only once the look-up is made */
	}
}

/* --dry-run: the plan on stdout (stderr when --report - has stdout); every item into --report. */
static void print_plan(struct run *r)
{
	const struct sync_plan *p = r->plan;
	struct sbuf sb = SBUF_INIT;
	FILE *f = r->o->report && !strcmp(r->o->report, "-") ? stderr : stdout;

	sync_plan_format_table(p, util_verbosity >= 2, &sb);
	fputs(sb.buf ? sb.buf : "", f);
	fflush(f);
	sbuf_release(&sb);
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		enum outcome out = planned_outcome(r, i);
		char action[24];

		if (it->action == SYNC_REMOVE)
			snprintf(action, sizeof(action), "remove:%s",
				 it->remove_mode == ON_REMOVED_ARCHIVE	? "archive"
				 : it->remove_mode == ON_REMOVED_CANCEL ? "cancel"
									: "keep");
		else
			snprintf(action, sizeof(action), "%s", sync_action_name(it->action));
		if (it->meeting)
			report_add(r->rep, it->meeting, out, it->hubspot_id, action, it->reason,
				   NULL);
		else
			report_add_key(r->rep, it->key, it->source, out, it->hubspot_id, action,
				       it->reason);
	}
}

/* ---- planning and applying: per chunk, or the whole run at once ----------------------------- */

/* The run window as the planner sees it (no --until: up to the expansion horizon). */
void plan_window(const struct run *r, struct sync_input *in)
{
	const struct app_options *o = r->o;

	in->has_since = o->has_since;
	in->has_until = true;
	in->since = o->since;
	in->until = o->until;
	in->on_removed = mapping_on_removed(r->map);
	in->force = o->force;
	in->recreate_deleted = o->recreate_deleted;
	if (!o->has_until) {
		int64_t base = time_now();

		if (o->has_since && o->since > base)
			base = o->since;
		in->until = base + (int64_t)PLAN_HORIZON_DAYS * 86400;
	}
}

/* Free the meetings just planned (and applied): the next chunk starts empty. */
static void chunk_release(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		meeting_release(&r->ms[i]);
		if (r->ids)
			free(r->ids[i]);
	}
	free(r->ptrs);
	free(r->hashes);
	free(r->ids);
	free(r->set_of);
	r->ptrs = NULL;
	r->hashes = NULL;
	r->ids = NULL;
	r->set_of = NULL;
	r->nsets = 0;
	r->n = 0;
}

/* Record the plan's run-level messages and apply it (or print it: dry run). */
void apply_plan(struct run *r, struct sync_plan *plan)
{
	/* Search before create: what the state does not know may be in HubSpot already. */
	adopt_existing(r, plan);
	find_hubspot_synced(r, plan);
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

/*
 * Resolve, plan and apply the meetings in r->ms, then free them. `whole`: they
 * are the whole run, planned against every row of the calendars read
 * (removals included). Else a chunk of a streamed run: planned against the
 * rows of its own keys only; the removals come at the end
 * (apply_streamed_removals). Returns 0, or -1 when the state could not be read.
 */
static int plan_and_apply(struct run *r, bool whole)
{
	struct sync_plan plan = {0};
	struct state_rows rows = {0};
	struct sync_feed *sfeeds = xcalloc(r->nfeeds ? r->nfeeds : 1, sizeof(*sfeeds));
	const char **srcs = xcalloc(r->nfeeds ? r->nfeeds : 1, sizeof(*srcs));
	struct sync_input in = {0};
	size_t nsf = 0, nsrcs = 0;
	bool any = false;
	int rc = -1;

	/* Pre-flight, once something was read (a quiet run still sends nothing). */
	if (r->client && !r->stopped && !r->preflight_done) {
		bool parsed = r->reading != NULL; /* a chunk of the calendar being read */

		for (size_t i = 0; i < r->nfeeds; i++)
			parsed = parsed || r->feeds[i].parsed;
		r->preflight_done = parsed;
		if (parsed && preflight(r) < 0) {
			r->preflight_failed = true;
			free(sfeeds);
			free(srcs);
			return -1; /* nothing is planned or sent; reading stops */
		}
	}

	r->ptrs = xmalloc((r->n ? r->n : 1) * sizeof(*r->ptrs));
	for (size_t i = 0; i < r->n; i++)
		r->ptrs[i] = &r->ms[i];
	r->ids = xcalloc(r->n ? r->n : 1, sizeof(*r->ids));
	r->set_of = xmalloc((r->n ? r->n : 1) * sizeof(*r->set_of));
	for (size_t i = 0; i < r->n; i++)
		r->set_of[i] = -1;
	if (sync_merge_duplicates(r->ptrs, r->n))
		verbose("the same meeting appears in several calendars: merged");

	/* Associations (look-ups only: a dry run sends nothing at all). */
	for (size_t i = 0; i < r->n && !any; i++)
		any = !r->ms[i].skip_reason;
	if (!r->client)
		report_note(r->rep,
			    "dry run without a token: not looked up in HubSpot, so not in the "
			    "plan: associations (contacts, owner, companies, the owners' "
			    "domains), meetings already in HubSpot (by %s and hs_i_cal_uid), "
			    "the pre-flight; meetings with contacts or companies may show as "
			    "updates, and adopted ones as creates",
			    mapping_identity_property(r->map));
	else if (any && !r->stopped)
		note_stop(r,
			  assoc_resolve(r->client, r->map, r->ptrs, r->n, r->rep, r->o->dry_run));
	r->hashes = xmalloc((r->n ? r->n : 1) * sizeof(*r->hashes));
	for (size_t i = 0; i < r->n; i++)
		r->hashes[i] = r->ms[i].skip_reason ? 0 : meeting_hash(&r->ms[i]);

	/* Plan: against the rows of the calendars read (skipped ones are left alone). */
	for (size_t i = 0; whole && i < r->nfeeds; i++) {
		struct feed *f = &r->feeds[i];

		if (f->skip_why)
			continue;
		srcs[nsrcs++] = f->ident;
		if (!strcmp(f->ident, "-"))
			continue; /* stdin without --name: import only, nothing of it removed */
		sfeeds[nsf].source = f->ident;
		sfeeds[nsf++].loaded = f->loaded && f->complete;
	}
	if (r->st && state_rows_for_plan(r->st, srcs, nsrcs, r->ptrs, r->n, &rows) < 0)
		goto out;
	in.meetings = r->ptrs;
	in.hashes = r->hashes;
	in.nmeetings = r->n;
	in.rows = rows.v;
	in.nrows = rows.n;
	in.feeds = sfeeds;
	in.nfeeds = nsf;
	plan_window(r, &in);
	if (sync_plan(&in, &plan) < 0)
		goto out;
	apply_plan(r, &plan);
	if (!whole)
		verbose("%zu occurrence(s) planned and applied (%zu so far); the next ones are read "
			"now",
			r->n, r->nchunk_meetings + r->n);
	rc = 0;
out:
	sync_plan_release(&plan);
	state_rows_release(&rows);
	free(sfeeds);
	free(srcs);
	r->nchunk_meetings += r->n;
	chunk_release(r);
	if (rc)
		r->plan_failed = true;
	return rc;
}

/* ---- the command ------------------------------------------------------------------------------
 */

static void run_release(struct run *r)
{
	lookup_free(r->by_identity);
	lookup_free(r->by_ical_uid);
	free(r->ui_domain);
	for (size_t i = 0; i < r->nfails; i++) {
		free(r->fails[i].why);
		free(r->fails[i].first);
	}
	free(r->fails);
	chunk_release(r);
	free(r->ms);
	free(r->seen);
	free(r->sets);
	for (size_t i = 0; i < r->nadopted; i++)
		free(r->adopted[i]);
	free(r->adopted);
	for (size_t i = 0; i < r->nstatics; i++) {
		free(r->statics[i].id);
		free(r->statics[i].ref);
	}
	free(r->statics);
	for (size_t i = 0; i < r->nfeeds; i++) {
		free(r->feeds[i].display);
		free(r->feeds[i].ident);
		free(r->feeds[i].etag);
		free(r->feeds[i].last_modified);
		free(r->feeds[i].content_hash);
	}
	free(r->feeds);
	free(r->config_hash);
	free(r->lost_uid);
	free(r->check_hash);
	report_free(r->rep);
	mapping_free(r->map);
	if (!r->shared_client)
		hs_client_free(r->client);
	if (r->token && !r->shared_client) {
		memset(r->token, 0, strlen(r->token));
		free(r->token);
	}
	state_close(r->st);
}

/* Open the state: locked for a run, read-only (if it exists) for a dry run. */
static int open_state(struct run *r)
{
	char *path;
	int rc;

	if (r->o->no_state)
		return 0;
	path = r->o->state ? xstrdup(r->o->state) : state_default_path();
	if (!path)
		return EXIT_USAGE;
	if (r->o->dry_run) {
		rc = access(path, F_OK) == 0 ? state_open(path, STATE_OPEN_READONLY, &r->st) : 0;
	} else {
		rc = state_open(path, 0, &r->st);
	}
	free(path);
	if (rc == STATE_LOCKED)
		return EXIT_LOCKED;
	return rc ? EXIT_USAGE : 0;
}

/* Remember each calendar's validators and content, only when all of it went well. */
static void save_feeds(struct run *r, bool all_well)
{
	for (size_t i = 0; i < r->nfeeds && r->st; i++) {
		struct feed *f = &r->feeds[i];
		int rc;

		if (!f->loaded && !f->known)
			continue; /* never read: not a calendar of the state */
		/* A run HubSpot refused (or stopped) is nobody's last success. */
		if (!f->loaded || r->stopped)
			rc = state_feed_set(r->st, f->ident, NULL, NULL, NULL, false);
		else if (f->dirty || !all_well)
			rc = state_feed_set(r->st, f->ident, NULL, NULL, NULL, true);
		else
			rc = state_feed_set(r->st, f->ident, f->etag, f->last_modified,
					    f->content_hash, true);
		if (rc < 0)
			r->state_errors++;
	}
}

int cmd_import(const struct app_options *o)
{
	if (o->config)
		return config_command(o, cmd_import, "import");
	return pipeline_run(o, NULL, NULL);
}

int pipeline_run(const struct app_options *o, const struct pipeline_portal *portal,
		 struct pipeline_outcome *out)
{
	struct run r = {0};
	size_t loaded = 0;
	int rc = EXIT_DONE;
	int64_t t0 = time_mono_ms();

	r.o = o;
	if (!portal)
		log_reset_errors();
	if (out) {
		memset(out, 0, sizeof(*out));
		out->started_at = time_now();
	}
	r.max_occurrences = env_positive("ICS2HUBSPOT_MAX_OCCURRENCES", IMPORT_MAX_OCCURRENCES);
	if (!o->nargs)
		return usage_error("import", "no calendar given");
	if (o->name && (!*o->name || !strcmp(o->name, "-") || strchr(o->name, '/')))
		return usage_error(
			"import", "--name: '%s' is not a calendar name (no '/', not '-')", o->name);
	if (o->name && o->nargs != 1)
		return usage_error("import",
				   "--name names one calendar: give exactly one CALENDAR with it");
	r.map = mapping_load(o->mapping);
	if (!r.map)
		return EXIT_USAGE;
	/* The report file exists before the first request: a bad path costs nothing. */
	r.rep = report_new(o->report);
	if (!r.rep) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (parse_associate(&r) || make_config_hash(&r)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* A dry run with a token makes every look-up a real run makes (and no write). */
	if (portal) {
		r.shared_client = true;
		r.client = portal->client;
		r.token = (char *)(uintptr_t)portal->token;
	} else if (!o->dry_run || app_has_token(o)) {
		r.token = app_token(o);
		if (!r.token) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	rc = open_state(&r);
	if (rc)
		goto out;
	if (r.st && !o->dry_run) {
		char *summary = argv_summary(o);
		struct sbuf sources = SBUF_INIT;
		int brc;

		for (size_t i = 0; i < o->nargs; i++) {
			char *red = source_redact(o->args[i]);

			sbuf_addf(&sources, "%s%s", i ? "\n" : "", red);
			free(red);
		}
		brc = state_begin_run(r.st, sources.buf, summary, &r.run_id);
		free(summary);
		sbuf_release(&sources);
		if (brc < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (r.token && !r.client) {
		struct hs_options ho = {
			.api_base = app_api_base(o),
			.token = r.token,
			.rate_max = o->rate_max,
			.rate_interval_ms = o->rate_interval_ms,
			.rate_from_portal = !o->rate_given,
			.timeout_s = 30, /* the retry budget: the default 120 s */
			.read_only = o->dry_run,
		};

		r.client = hs_client_new(&ho);
	}

	/* 0. The portal: the state's rows used are that portal's. */
	if (use_portal(&r) < 0) {
		if (!r.stopped) {
			r.state_errors++;
			rc = EXIT_USAGE;
		}
		goto finish;
	}

	/* 1. Leftovers of a run that died: resolved before anything is created. */
	if (r.st && !o->dry_run)
		note_stop(&r, resolve_pending(&r));
	if (r.state_errors) {
		/* A state that cannot be read cannot say what exists: nothing is sent. */
		report_note(r.rep, "the state '%s' could not be read: nothing was sent",
			    state_path(r.st));
		rc = EXIT_USAGE;
		goto finish;
	}

	/* 2. Read and map; 3. associations; 4. plan; 5. print (dry run) or apply. */
	r.stream = !o->dry_run && o->nargs == 1;
	r.chunk = (size_t)env_positive("ICS2HUBSPOT_CHUNK", IMPORT_CHUNK);
	loaded = read_calendars(&r);
	if (!r.plan_failed && !r.preflight_failed && !plan_and_apply(&r, !r.stream) && r.stream)
		apply_streamed_removals(&r);
	if (r.plan_failed)
		rc = EXIT_USAGE;

finish:
	batch_progress_end();
	print_failures(&r);
	{
		const char *pname;
		size_t count;

		for (size_t i = 0; batch_normalized(i, &pname, &count); i++)
			report_note(r.rep,
				    "HubSpot changed %zu value(s) of the meeting property '%s' to "
				    "the form it stores (PROPERTY_VALUE_NORMALIZED)",
				    count, pname);
		batch_normalized_reset();
	}
	if (rc != EXIT_DONE)
		; /* already failed (state unreadable) */
	else if (r.stopped)
		rc = EXIT_REFUSED;
	else if (!loaded)
		rc = EXIT_USAGE;
	else if (r.failed || r.bad_events || loaded < r.nfeeds || r.refused_removals ||
		 r.state_errors || r.capped || r.lost_series)
		rc = EXIT_PARTIAL;
	if (r.st && !o->dry_run) {
		/* Any error from here on (a state write) still makes the exit code non-zero. */
		save_feeds(&r, rc == EXIT_DONE);
		if (r.state_errors && rc == EXIT_DONE)
			rc = EXIT_PARTIAL;
		if (state_finish_run(r.st, r.run_id, &r.counts,
				     rc == EXIT_DONE	  ? "done"
				     : rc == EXIT_PARTIAL ? "partial"
							  : "failed") < 0 &&
		    rc == EXIT_DONE)
			rc = EXIT_PARTIAL;
		if (state_run_outcome(r.st, r.run_id, o->name, o->portal_name, rc,
				      rc ? log_first_error() : NULL) < 0 &&
		    rc == EXIT_DONE)
			rc = EXIT_PARTIAL;
	}
	if (r.state_errors)
		report_note(r.rep, "%ld state update(s) failed (see errors above)", r.state_errors);
	if (r.refused_removals)
		report_note(r.rep, "%zu removal(s) %s back by a safety valve", r.refused_removals,
			    o->dry_run ? "would be held" : "held");
	/* refused before anything was written: the one error already said it all */
	if (((util_verbosity > 0 && !portal) || rc != EXIT_DONE) &&
	    !(refused(&r) && !r.counts.created && !r.counts.updated && !r.counts.archived))
		report_print_summary(r.rep, stderr, o->dry_run);
	if (report_write(r.rep, o->dry_run) && rc == EXIT_DONE)
		rc = EXIT_PARTIAL;
	if (!portal && util_verbosity == 0 && !o->dry_run) {
		/* -q: one line a run, time-stamped, for cron's mail and logs */
		struct log_counts lc = {r.counts.created, r.counts.updated, r.counts.archived,
					report_count(r.rep, OUTCOME_UNCHANGED), r.counts.failed};
		char *label = o->name ? xstrdup(o->name) : source_redact(o->args[0]);

		log_summary(stderr, label, o->portal_name, &lc, time_mono_ms() - t0, rc,
			    rc ? log_first_error() : NULL);
		free(label);
	}
	if (out) {
		out->created = r.counts.created;
		out->updated = r.counts.updated;
		out->archived = r.counts.archived;
		out->failed = r.counts.failed;
		out->unchanged = report_count(r.rep, OUTCOME_UNCHANGED);
	}
out:
	if (out)
		out->ms = time_mono_ms() - t0;
	run_release(&r);
	ics_global_cleanup();
	return rc;
}
