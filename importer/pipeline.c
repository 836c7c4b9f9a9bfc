/*
 * pipeline: one calendar (or several read as one) into one portal — calendars → occurrences →
 * meetings → state × plan → HubSpot → report. `import` and `sync` both run it (pipeline.h); its
 * steps are in the files run.h lists.
 */
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
bool check_interrupt(struct run *r)
{
	int sig = r->interrupted ? r->interrupted : util_interrupted();

	if (!sig)
		return false;
	if (!r->interrupted) {
		r->interrupted = sig;
		batch_progress_end();
		if (!r->stopped) {
			r->stopped = true;
			r->stop = HS_OK;
		}
	}
	return true;
}

bool interrupted_not_sent(struct run *r, const char *why)
{
	if (!check_interrupt(r) || !why || strncmp(why, "not sent", 8))
		return false;
	r->not_sent++;
	return true;
}

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

	if (check_interrupt(r))
		return -1; /* stop reading: the rest is for the next run */
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
		f->complete = st.bad_events == 0 && st.lost_events == 0 && !f->lost && !r->capped &&
			      !r->interrupted;
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
		if (check_interrupt(r)) {
			report_calendar(r->rep, f->display, 0, 0, 0, 0, false);
			report_note(r->rep, "%s: not read (interrupted)", f->display);
			continue;
		}
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

	/* Interrupted: this chunk is neither compared nor sent (the next run does both). */
	if (check_interrupt(r)) {
		for (size_t i = 0; i < r->n; i++) {
			if (r->ms[i].skip_reason)
				continue;
			report_add(r->rep, &r->ms[i], OUTCOME_FAILED, NULL, NULL,
				   "not sent: interrupted", NULL);
			mark_dirty(r, r->ms[i].source);
			r->not_sent++;
		}
		free(sfeeds);
		free(srcs);
		r->nchunk_meetings += r->n;
		chunk_release(r);
		return -1;
	}

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
	for (size_t i = 0; i < r->nclaims; i++) {
		free(r->claims[i].source);
		free(r->claims[i].claim);
	}
	free(r->claims);
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
	util_catch_interrupts(); /* Ctrl-C: stop between requests, record, say so */
	if (!portal)
		log_reset_errors();
	if (out) {
		memset(out, 0, sizeof(*out));
		out->started_at = time_now();
	}
	/* sync: a calendar whose turn came after Ctrl-C is not started (nothing to say of it) */
	if (util_interrupted())
		return 128 + util_interrupted();
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
	/* No calendar could be read (and nothing of one is left to plan): its error said it all. */
	if (!r.plan_failed && !r.preflight_failed && (loaded || r.n) &&
	    !plan_and_apply(&r, !r.stream) && r.stream)
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
	else if (check_interrupt(&r))
		rc = 128 + r.interrupted; /* 130 (SIGINT), 143 (SIGTERM), as a shell reports it */
	else if (r.stopped)
		rc = EXIT_REFUSED;
	else if (!loaded)
		rc = EXIT_USAGE;
	else if (r.failed || r.bad_events || loaded < r.nfeeds || r.refused_removals ||
		 r.state_errors || r.capped || r.lost_series)
		rc = EXIT_PARTIAL;
	if (r.interrupted) {
		report_set_not_sent(r.rep, r.not_sent);
		if (o->dry_run)
			error("interrupted: the plan above is incomplete");
		else
			error("interrupted: %ld created, %ld not sent; run the same command again "
			      "to finish",
			      r.counts.created, r.not_sent);
	}
	if (r.st && !o->dry_run) {
		/* Any error from here on (a state write) still makes the exit code non-zero. */
		save_feeds(&r, rc == EXIT_DONE);
		if (r.state_errors && rc == EXIT_DONE)
			rc = EXIT_PARTIAL;
		if (state_finish_run(r.st, r.run_id, &r.counts,
				     r.interrupted	  ? "interrupted"
				     : rc == EXIT_DONE	  ? "done"
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
	/*
	 * refused before anything was written, or no calendar could be read and nothing
	 * was done: the one error already said it all
	 */
	if (((util_verbosity > 0 && !portal) || rc != EXIT_DONE) &&
	    !((refused(&r) || (!loaded && !r.counts.failed)) && !r.counts.created &&
	      !r.counts.updated && !r.counts.archived))
		report_print_summary(r.rep, stderr, o->dry_run);
	if (report_write(r.rep, o->dry_run) && rc == EXIT_DONE)
		rc = EXIT_PARTIAL;
	if (!portal && util_verbosity == 0 && !o->dry_run) {
		/* -q: one line a run, time-stamped, for cron's mail and logs */
		struct log_counts lc = {r.counts.created, r.counts.updated, r.counts.archived,
					report_count(r.rep, OUTCOME_UNCHANGED), r.counts.failed};
		char *label = o->name	      ? xstrdup(o->name)
			      : o->nargs == 1 ? source_redact(o->args[0])
					      : xasprintf("%zu calendars", o->nargs);

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
