/* statecmd: `ics2hubspot state list | show KEY | forget SOURCE | undo --run N`. */
#include "app.h"
#include "batch.h"
#include "claims.h"
#include "calendar.h"
#include "hubspot.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int open_state(const struct app_options *o, bool readonly, struct state **st)
{
	char *path = o->state ? xstrdup(o->state) : state_default_path();
	int rc;

	if (!path)
		return EXIT_USAGE;
	rc = state_open(path, readonly ? STATE_OPEN_READONLY : 0, st);
	free(path);
	if (rc == STATE_LOCKED)
		return EXIT_LOCKED;
	return rc ? EXIT_USAGE : 0;
}

/* No state file yet (no import has run): not an error for `state list`. */
static bool no_state_yet(const struct app_options *o)
{
	char *path = o->state ? xstrdup(o->state) : state_default_path();
	bool none = path && access(path, F_OK) < 0 && errno == ENOENT;

	free(path);
	return none;
}

static void print_json(cJSON *j);

/* state list before any import: nothing to list (with --json: an empty document). */
static int state_list_empty(const struct app_options *o)
{
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char *path = o->state ? xstrdup(o->state) : state_default_path();

		cJSON_AddStringToObject(j, "state", path);
		cJSON_AddArrayToObject(j, "calendars");
		cJSON_AddArrayToObject(j, "runs");
		free(path);
		print_json(j);
	}
	return EXIT_DONE;
}

/* "2026-11-28T19:00:00Z", or "-" for 0 (never). */
static const char *when(int64_t t, char *buf, size_t n)
{
	if (!t)
		return "-";
	time_format_utc(t, buf, n);
	return buf;
}

static void add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[32];

	if (t)
		cJSON_AddStringToObject(o, name, when(t, buf, sizeof(buf)));
	else
		cJSON_AddNullToObject(o, name);
}

static void add_str(cJSON *o, const char *name, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void print_json(cJSON *j)
{
	char *text = cJSON_Print(j);

	puts(text);
	cJSON_free(text);
	cJSON_Delete(j);
}

/*
 * What a run did, by calendar: "import -m my.yaml team.ics, https://host/…#hash"
 * (the calendars as the run recorded them, sources already redacted) instead
 * of the "(1 calendar)" of its summary; a run without sources (undo) keeps
 * its summary. Free it.
 */
static char *run_label(const struct state_run *r)
{
	const char *sum = r->argv_summary ? r->argv_summary : "";
	const char *paren = strrchr(sum, '(');
	struct sbuf sb = SBUF_INIT;
	size_t keep = strlen(sum);

	sbuf_init(&sb);
	if (!r->sources || !*r->sources) {
		sbuf_adds(&sb, sum);
		return sbuf_detach(&sb);
	}
	/* " (N calendar[s])" at the end of an import's summary: the calendars say it better */
	if (paren && paren > sum && paren[-1] == ' ' && strstr(paren, " calendar") &&
	    paren[strlen(paren) - 1] == ')')
		keep = (size_t)(paren - 1 - sum);
	sbuf_add(&sb, sum, keep);
	for (const char *p = r->sources; *p;) {
		size_t len = strcspn(p, "\n");

		sbuf_adds(&sb, sb.len ? (p == r->sources ? " " : ", ") : "");
		sbuf_add(&sb, p, len);
		p += len;
		if (*p)
			p++;
	}
	return sbuf_detach(&sb);
}

/* state list: calendars with counts per status and their last runs, then the recent runs. */
static int state_cmd_list(const struct app_options *o, struct state *st)
{
	struct state_summary *sum = NULL;
	struct state_run *runs = NULL;
	size_t nsum = 0, nruns = 0, first;
	char b1[32], b2[32];

	if (state_summarize(st, &sum, &nsum) < 0 || state_list_runs(st, &runs, &nruns) < 0) {
		state_summaries_release(sum, nsum);
		return EXIT_USAGE;
	}
	first = nruns > 10 ? nruns - 10 : 0;
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON *cals = cJSON_AddArrayToObject(j, "calendars");
		cJSON *rs = cJSON_AddArrayToObject(j, "runs");

		cJSON_AddStringToObject(j, "state", state_path(st));
		for (size_t i = 0; i < nsum; i++) {
			cJSON *c = cJSON_CreateObject();
			cJSON *counts = cJSON_CreateObject();
			char *red = source_redact(sum[i].source), *base;

			cJSON_AddStringToObject(c, "source", red);
			if (sum[i].portal_id)
				cJSON_AddNumberToObject(c, "portal", (double)sum[i].portal_id);
			else
				cJSON_AddNullToObject(c, "portal");
			/* an API base may hold user:password: never printed raw */
			base = sum[i].api_base ? url_redact_credentials(sum[i].api_base) : NULL;
			add_str(c, "api_base", base);
			free(base);
			for (int s = 0; s < STATE_NSTATUS; s++)
				cJSON_AddNumberToObject(counts,
							state_status_name((enum state_status)s),
							(double)sum[i].count[s]);
			cJSON_AddItemToObject(c, "counts", counts);
			add_time(c, "last_run", sum[i].last_run);
			add_time(c, "last_success", sum[i].last_success);
			cJSON_AddItemToArray(cals, c);
			free(red);
		}
		for (size_t i = 0; i < nruns; i++) {
			cJSON *r = cJSON_CreateObject();

			cJSON_AddNumberToObject(r, "id", (double)runs[i].id);
			add_time(r, "started_at", runs[i].started_at);
			add_time(r, "finished_at", runs[i].finished_at);
			add_str(r, "status", runs[i].status);
			add_str(r, "command", runs[i].argv_summary);
			{
				cJSON *rcals = cJSON_AddArrayToObject(r, "calendars");

				for (const char *p = runs[i].sources ? runs[i].sources : ""; *p;) {
					size_t len = strcspn(p, "\n");
					char *one = xstrndup(p, len);

					cJSON_AddItemToArray(rcals, cJSON_CreateString(one));
					free(one);
					p += len;
					if (*p)
						p++;
				}
			}
			cJSON_AddNumberToObject(r, "created", (double)runs[i].counts.created);
			cJSON_AddNumberToObject(r, "updated", (double)runs[i].counts.updated);
			cJSON_AddNumberToObject(r, "archived", (double)runs[i].counts.archived);
			cJSON_AddNumberToObject(r, "failed", (double)runs[i].counts.failed);
			cJSON_AddItemToArray(rs, r);
		}
		print_json(j);
	} else {
		printf("state %s\n", state_path(st));
		if (!nsum)
			printf("no calendar yet\n");
		for (size_t i = 0; i < nsum; i++) {
			char *red = source_redact(sum[i].source);
			bool any = false;

			printf("%s\n  ", red);
			for (int s = 0; s < STATE_NSTATUS; s++) {
				if (!sum[i].count[s] && s != STATE_CREATED)
					continue;
				printf("%s%ld %s", any ? ", " : "", sum[i].count[s],
				       state_status_name((enum state_status)s));
				any = true;
			}
			if (sum[i].portal_id) {
				char *base = url_redact_credentials(
					sum[i].api_base ? sum[i].api_base : "?");

				printf("; portal %lld at %s", sum[i].portal_id, base);
				free(base);
			} else
				printf("; portal not known yet (rows of an older state: the next "
				       "import's portal)");
			printf("; last run %s, last success %s\n",
			       when(sum[i].last_run, b1, sizeof(b1)),
			       when(sum[i].last_success, b2, sizeof(b2)));
			free(red);
		}
		if (nruns)
			printf("runs%s:\n", first ? " (last 10)" : "");
		for (size_t i = first; i < nruns; i++) {
			char *label = run_label(&runs[i]);

			printf("  %4ld  %s  %-8s %ld created, %ld updated, %ld archived, %ld failed"
			       "  %s\n",
			       runs[i].id, when(runs[i].started_at, b1, sizeof(b1)),
			       runs[i].finished_at ? runs[i].status : "killed?",
			       runs[i].counts.created, runs[i].counts.updated,
			       runs[i].counts.archived, runs[i].counts.failed, label);
			free(label);
		}
	}
	state_summaries_release(sum, nsum);
	state_runs_release(runs, nruns);
	return EXIT_DONE;
}

/* The detailed form of one row (state show). */
static void show_row(const struct state_row *r)
{
	char b1[32], b2[32];
	char *red = source_redact(r->source);

	printf("%s in %s", r->key, red);
	if (r->portal_id)
		printf(" (portal %lld)", r->portal_id);
	printf("\n");
	printf("  status %s, HubSpot meeting %s, start %s\n", state_status_name(r->status),
	       r->hubspot_id ? r->hubspot_id : "-", r->start ? r->start : "-");
	printf("  first seen %s, last seen %s, created by run %ld, changed by run %ld\n",
	       when(r->first_seen, b1, sizeof(b1)), when(r->last_seen, b2, sizeof(b2)),
	       r->created_run, r->changed_run);
	if (r->last_error)
		printf("  last error: %s\n", r->last_error);
	free(red);
}

/*
 * state show KEY: the rows of KEY in every calendar; for a series' UID, its
 * occurrences (UID#RECURRENCE-ID), one line each, in time order.
 */
static int state_cmd_show(const struct app_options *o, struct state *st, const char *key)
{
	struct state_rows rows = {0};
	size_t nown = 0;

	if (state_rows_by_key_or_uid(st, key, &rows) < 0)
		return EXIT_USAGE;
	if (!rows.n) {
		error("no occurrence '%s' in the state (keys look like UID or "
		      "UID#20240301T093000Z; 'ics2hubspot state list' shows the calendars)",
		      key);
		return EXIT_USAGE;
	}
	while (nown < rows.n && !strcmp(rows.v[nown].key, key))
		nown++;
	if (o->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < rows.n; i++) {
			const struct state_row *r = &rows.v[i];
			cJSON *j = cJSON_CreateObject();
			char *red = source_redact(r->source);

			cJSON_AddStringToObject(j, "key", r->key);
			cJSON_AddStringToObject(j, "source", red);
			cJSON_AddStringToObject(j, "status", state_status_name(r->status));
			if (r->portal_id)
				cJSON_AddNumberToObject(j, "portal", (double)r->portal_id);
			else
				cJSON_AddNullToObject(j, "portal");
			add_str(j, "hubspot_id", r->hubspot_id);
			add_str(j, "start", r->start);
			add_str(j, "hash", r->hash);
			add_time(j, "first_seen", r->first_seen);
			add_time(j, "last_seen", r->last_seen);
			cJSON_AddNumberToObject(j, "created_run", (double)r->created_run);
			cJSON_AddNumberToObject(j, "changed_run", (double)r->changed_run);
			add_str(j, "last_error", r->last_error);
			cJSON_AddItemToArray(arr, j);
			free(red);
		}
		print_json(arr);
		state_rows_release(&rows);
		return EXIT_DONE;
	}
	for (size_t i = 0; i < nown; i++)
		show_row(&rows.v[i]);
	if (rows.n > nown) {
		size_t w = 3;

		for (size_t i = nown; i < rows.n; i++)
			if (strlen(rows.v[i].key) > w)
				w = strlen(rows.v[i].key);
		if (w > 60)
			w = 60;
		printf("%sseries %s: %zu occurrence%s in the state ('ics2hubspot state show KEY' "
		       "for one)\n",
		       nown ? "\n" : "", key, rows.n - nown, rows.n - nown == 1 ? "" : "s");
		printf("  %-*s  %-20s  %-18s  %-12s  %s\n", (int)w, "KEY", "START", "STATUS",
		       "HUBSPOT ID", "CALENDAR");
		for (size_t i = nown; i < rows.n; i++) {
			const struct state_row *r = &rows.v[i];
			char *red = source_redact(r->source);

			printf("  %-*s  %-20s  %-18s  %-12s  %s\n", (int)w, r->key,
			       r->start ? r->start : "-", state_status_name(r->status),
			       r->hubspot_id ? r->hubspot_id : "-", red);
			free(red);
		}
	}
	state_rows_release(&rows);
	return EXIT_DONE;
}

/*
 * The state's calendar that `arg` means: the calendar itself (its name, full
 * URL or canonical path), any path to the same file, or the form `state list`
 * prints (a feed's host/…#hash). NULL when none (or when -1 from the state).
 */
static char *find_calendar(struct state *st, const char *arg)
{
	struct state_summary *sum = NULL;
	size_t n = 0;
	char *ident = calendar_identity(arg, NULL), *found = NULL;

	if (state_summarize(st, &sum, &n) < 0) {
		free(ident);
		return NULL;
	}
	for (int pass = 0; pass < 3 && !found; pass++)
		for (size_t i = 0; i < n && !found; i++) {
			char *red = pass == 2 ? source_redact(sum[i].source) : NULL;

			if ((pass == 0 && !strcmp(sum[i].source, arg)) ||
			    (pass == 1 && !strcmp(sum[i].source, ident)) ||
			    (pass == 2 && source_is_url(sum[i].source) && !strcmp(red, arg)))
				found = xstrdup(sum[i].source);
			free(red);
		}
	state_summaries_release(sum, n);
	free(ident);
	return found;
}

/* state forget SOURCE: the state drops the calendar; HubSpot is not touched. */
static int state_cmd_forget(struct state *st, const char *arg)
{
	char *source = find_calendar(st, arg);
	char *red = source_redact(source ? source : arg);
	long n;

	if (!source) {
		error("no calendar '%s' in the state ('ics2hubspot state list' shows them)", red);
		free(red);
		return EXIT_USAGE;
	}
	n = state_forget_source(st, source);
	free(source);
	if (n < 0) {
		free(red);
		return EXIT_USAGE;
	}
	/* The meetings stay in HubSpot; search before create finds them again. */
	info("forgot %ld occurrence%s of %s; HubSpot is not touched: the next import of it "
	     "finds its meetings there (by the identity property) and adopts them instead of "
	     "creating them again",
	     n, n == 1 ? "" : "s", red);
	free(red);
	return EXIT_DONE;
}

/*
 * state rename OLD NEW: the calendar's meetings now belong to NEW (a moved
 * file, a new secret URL, or a name as given with --name).
 */
static int state_cmd_rename(struct state *st, const char *from_arg, const char *to_arg)
{
	char *from = find_calendar(st, from_arg), *to, *taken, *red;
	struct stat sb;
	long n;

	if (!from) {
		red = source_redact(from_arg);
		error("no calendar '%s' in the state ('ics2hubspot state list' shows them)", red);
		free(red);
		return EXIT_USAGE;
	}
	/* A file that exists, a URL or a path: keyed as import keys it; else a --name. */
	if (stat(to_arg, &sb) == 0 || source_is_url(to_arg) || strchr(to_arg, '/') ||
	    !strcmp(to_arg, "-"))
		to = calendar_identity(to_arg, NULL);
	else
		to = xstrdup(to_arg);
	taken = find_calendar(st, to);
	red = source_redact(to);
	if (taken) {
		error("'%s' is already a calendar of the state: forget it first, or pick another "
		      "name",
		      red);
		free(taken);
		free(red);
		free(from);
		free(to);
		return EXIT_USAGE;
	}
	n = state_rename_source(st, from, to);
	if (n >= 0) {
		char *old = source_redact(from);

		info("renamed %s to %s (%ld occurrence%s)", old, red, n, n == 1 ? "" : "s");
		free(old);
	}
	free(red);
	free(from);
	free(to);
	return n < 0 ? EXIT_USAGE : EXIT_DONE;
}

/* ---- undo --------------------------------------------------------------------------------------
 */

struct undo {
	struct state *st;
	long run_id;
	struct state_rows *rows;
	bool *archived; /* per row */
	long done, failed;
};

static void on_undo_result(const struct batch_result *res, void *data)
{
	struct undo *u = data;

	for (size_t i = 0; i < u->rows->n; i++) {
		if (!res->id || strcmp(u->rows->v[i].hubspot_id, res->id))
			continue;
		if (res->status == BATCH_ARCHIVED)
			u->archived[i] = true;
	}
	if (res->status != BATCH_ARCHIVED) {
		warning("meeting %s: %s", res->id ? res->id : "?",
			res->message ? res->message : batch_status_name(res->status));
		u->failed++;
	}
}

/*
 * Meetings another calendar claims (claims.h) are detached, not archived:
 * ids[0..n) loses them (their rows count as archived: no longer this
 * calendar's), and those whose claims could not be read (failed). Returns
 * how many ids are left to archive.
 */
static size_t undo_claimed(struct undo *u, struct hs_client *c, char **ids, size_t n,
			   size_t *detached)
{
	const char **mine = xcalloc(n ? n : 1, sizeof(*mine));
	char **own = xcalloc(n ? n : 1, sizeof(*own));
	enum claims_verdict *verdict = xmalloc((n ? n : 1) * sizeof(*verdict));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < u->rows->n && !own[i]; j++)
			if (!strcmp(u->rows->v[j].hubspot_id, ids[i]))
				mine[i] = own[i] = claims_id(u->rows->v[j].source);
	claims_before_removal(c, ids, mine, n, verdict);
	for (size_t i = 0; i < n; i++) {
		if (verdict[i] == CLAIMS_REMOVE) {
			ids[k++] = ids[i];
		} else {
			for (size_t j = 0; j < u->rows->n; j++)
				if (!strcmp(u->rows->v[j].hubspot_id, ids[i]))
					u->archived[j] = verdict[i] == CLAIMS_DETACHED;
			if (verdict[i] == CLAIMS_DETACHED)
				(*detached)++;
			else
				u->failed++;
		}
		free(own[i]);
	}
	free(own);
	free(mine);
	free(verdict);
	return k;
}

/* Rows of other calendars that stand for the same meeting are marked too. */
static void mark_archived(struct undo *u, const struct state_row *r)
{
	struct state_rows same = {0};

	state_scope(u->st, r->portal); /* the rows of run N's portal only */
	if (state_rows_by_key(u->st, r->key, &same) < 0)
		return;
	for (size_t i = 0; i < same.n; i++) {
		const struct state_row *s = &same.v[i];

		if (!s->hubspot_id || strcmp(s->hubspot_id, r->hubspot_id) ||
		    s->status == STATE_ARCHIVED || s->portal != r->portal)
			continue;
		state_mark_removed(u->st, u->run_id, s->source, s->key, STATE_ARCHIVED);
		/* Its content is no longer in HubSpot: the next import plans it afresh. */
		state_feed_set(u->st, s->source, NULL, NULL, NULL, true);
	}
	state_rows_release(&same);
}

static int state_cmd_undo(const struct app_options *o, struct state *st)
{
	struct state_rows all = {0}, rows = {0};
	struct state_run *runs = NULL;
	size_t nruns = 0;
	bool known = false;
	int rc = EXIT_DONE;

	if (state_list_runs(st, &runs, &nruns) < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < nruns; i++)
		known = known || runs[i].id == o->run_id;
	state_runs_release(runs, nruns);
	if (!known) {
		error("state undo: there is no run %ld in the state", o->run_id);
		return EXIT_USAGE;
	}
	if (state_rows_created_by_run(st, o->run_id, &all) < 0)
		return EXIT_USAGE;
	rows.v = xcalloc(all.n ? all.n : 1, sizeof(*rows.v));
	for (size_t i = 0; i < all.n; i++)
		if (all.v[i].status != STATE_ARCHIVED && all.v[i].status != STATE_PENDING) {
			rows.v[rows.n++] = all.v[i];
			memset(&all.v[i], 0, sizeof(all.v[i]));
		}
	state_rows_release(&all);
	if (!rows.n) {
		info("run %ld created nothing that is still in HubSpot: nothing to undo",
		     o->run_id);
		state_rows_release(&rows);
		return EXIT_DONE;
	}
	if (o->dry_run || !o->yes) {
		for (size_t i = 0; i < rows.n; i++) {
			char *red = source_redact(rows.v[i].source);

			printf("archive %s  %s  %s  %s\n", rows.v[i].hubspot_id,
			       rows.v[i].start ? rows.v[i].start : "-", rows.v[i].key, red);
			free(red);
		}
		fflush(stdout);
	}
	if (o->dry_run) {
		info("dry run: %zu meeting%s of run %ld would be archived (nothing sent); to "
		     "archive them: ics2hubspot state undo --run %ld",
		     rows.n, rows.n == 1 ? "" : "s", o->run_id, o->run_id);
	} else if (!o->yes && !ask_yes_no("archive these %zu meeting%s in HubSpot?", rows.n,
					  rows.n == 1 ? "" : "s")) {
		info("nothing archived");
	} else {
		char *token = app_token(o);
		struct hs_options ho = {
			.api_base = app_api_base(o),
			.rate_max = o->rate_max,
			.rate_interval_ms = o->rate_interval_ms,
		};
		struct undo u = {.st = st, .rows = &rows};
		struct batch_options bo = {.on_result = on_undo_result, .data = &u};
		struct hs_client *c;
		char **ids;
		size_t nids = 0, detached = 0;
		enum hs_result hr;
		char *summary;

		if (!token) {
			state_rows_release(&rows);
			return EXIT_USAGE;
		}
		ho.token = token;
		summary = xasprintf("state undo --run %ld", o->run_id);
		if (state_begin_run(st, NULL, summary, &u.run_id) < 0) {
			free(summary);
			free(token);
			state_rows_release(&rows);
			return EXIT_USAGE;
		}
		free(summary);
		u.archived = xcalloc(rows.n, sizeof(*u.archived));
		ids = xmalloc(rows.n * sizeof(*ids));
		for (size_t i = 0; i < rows.n; i++) {
			bool dup = false;

			for (size_t k = 0; k < nids && !dup; k++)
				dup = !strcmp(ids[k], rows.v[i].hubspot_id);
			if (!dup)
				ids[nids++] = rows.v[i].hubspot_id;
		}
		c = hs_client_new(&ho);
		nids = undo_claimed(&u, c, ids, nids, &detached);
		hr = batch_archive(c, ids, nids, &bo);
		batch_progress_end();
		state_txn_begin(st);
		for (size_t i = 0; i < rows.n; i++)
			if (u.archived[i]) {
				mark_archived(&u, &rows.v[i]);
				u.done++;
			}
		state_txn_commit(st);
		{
			struct state_run_counts counts = {.archived = u.done, .failed = u.failed};

			rc = hr != HS_OK ? EXIT_REFUSED : u.failed ? EXIT_PARTIAL : EXIT_DONE;
			state_finish_run(st, u.run_id, &counts,
					 rc == EXIT_DONE      ? "done"
					 : rc == EXIT_PARTIAL ? "partial"
							      : "failed");
		}
		info("undo of run %ld: %ld archived, %ld failed", o->run_id,
		     u.done - (long)detached, u.failed);
		if (detached)
			info("%zu meeting(s) still claimed by another calendar were detached, not "
			     "archived",
			     detached);
		hs_client_free(c);
		free(ids);
		free(u.archived);
		memset(token, 0, strlen(token));
		free(token);
	}
	state_rows_release(&rows);
	return rc;
}

/* state runs: every run, oldest first — calendar, portal, start, duration, counts, exit, why. */
static int state_cmd_runs(const struct app_options *o, struct state *st)
{
	struct state_run *runs = NULL;
	size_t n = 0;
	cJSON *arr = o->json ? cJSON_CreateArray() : NULL;

	if (state_list_runs(st, &runs, &n) < 0) {
		cJSON_Delete(arr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct state_run *r = &runs[i];
		char *label = r->calendar ? xstrdup(r->calendar)
					  : xstrndup(r->sources ? r->sources : "?",
						     strcspn(r->sources ? r->sources : "?", "\n"));
		char start[32];
		long secs = r->finished_at ? (long)(r->finished_at - r->started_at) : -1;

		time_format_utc(r->started_at, start, sizeof(start));
		if (arr) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddNumberToObject(j, "id", (double)r->id);
			cJSON_AddStringToObject(j, "calendar", label);
			if (r->portal)
				cJSON_AddStringToObject(j, "portal", r->portal);
			cJSON_AddStringToObject(j, "started_at", start);
			if (secs >= 0)
				cJSON_AddNumberToObject(j, "seconds", (double)secs);
			cJSON_AddNumberToObject(j, "created", (double)r->counts.created);
			cJSON_AddNumberToObject(j, "updated", (double)r->counts.updated);
			cJSON_AddNumberToObject(j, "archived", (double)r->counts.archived);
			cJSON_AddNumberToObject(j, "failed", (double)r->counts.failed);
			cJSON_AddStringToObject(j, "status", r->status ? r->status : "?");
			if (r->exit_code >= 0)
				cJSON_AddNumberToObject(j, "exit", r->exit_code);
			if (r->why)
				cJSON_AddStringToObject(j, "why", r->why);
			cJSON_AddItemToArray(arr, j);
		} else {
			char dur[32];

			if (secs >= 0)
				snprintf(dur, sizeof(dur), "%lds", secs);
			else
				snprintf(dur, sizeof(dur), "%s", "running?");
			printf("%ld %s %s %s%s%s%s: %ld created, %ld updated, %ld archived, %ld failed",
			       r->id, start, dur, label, r->portal ? " (" : "",
			       r->portal ? r->portal : "", r->portal ? ")" : "", r->counts.created,
			       r->counts.updated, r->counts.archived, r->counts.failed);
			if (r->exit_code >= 0)
				printf(", exit %d", r->exit_code);
			else
				printf(", %s", r->status ? r->status : "?");
			if (r->why)
				printf(": %s", r->why);
			putchar('\n');
		}
		free(label);
	}
	if (arr) {
		char *text = cJSON_Print(arr);

		puts(text);
		cJSON_free(text);
		cJSON_Delete(arr);
	}
	state_runs_release(runs, n);
	return EXIT_DONE;
}

int cmd_state(const struct app_options *o)
{
	const char *sub = o->nargs ? o->args[0] : NULL;
	struct state *st = NULL;
	bool readonly;
	int rc;

	if (o->config)
		return config_command(o, cmd_state, "state");

	if (!sub) {
		return usage_error(
			"state",
			"which command? list, runs, show KEY, forget SOURCE, rename OLD NEW, undo --run N");
	}
	if (!strcmp(sub, "rename") && o->nargs != 3) {
		return usage_error("state", "rename: OLD and NEW expected");
	}
	if ((!strcmp(sub, "show") || !strcmp(sub, "forget")) && o->nargs != 2) {
		error("state %s: one %s expected", sub, !strcmp(sub, "show") ? "KEY" : "SOURCE");
		usage_hint("state");
		return EXIT_USAGE;
	}
	if ((!strcmp(sub, "list") || !strcmp(sub, "runs") || !strcmp(sub, "undo")) &&
	    o->nargs != 1) {
		error("state %s: unexpected argument '%s'", sub, o->args[1]);
		usage_hint("state");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "list") && strcmp(sub, "runs") && strcmp(sub, "show") &&
	    strcmp(sub, "forget") && strcmp(sub, "rename") && strcmp(sub, "undo")) {
		return usage_error(
			"state",
			"unknown command '%s' (list, runs, show KEY, forget SOURCE, rename OLD NEW, "
			"undo --run N)",
			sub);
	}
	/* Which run comes first: without it there is nothing to ask about. */
	if (!strcmp(sub, "undo") && o->run_id < 0)
		return usage_error("state undo", "which run? --run N is needed ('ics2hubspot "
						 "state list' shows the runs and their numbers)");
	/* Undo archives in HubSpot: someone must have said yes (cron cannot answer). */
	if (!strcmp(sub, "undo") && !o->dry_run && !o->yes && !isatty(STDIN_FILENO))
		return usage_error("state undo", "not on a terminal, so there is nobody to ask: "
						 "pass --yes to archive without asking (--dry-run "
						 "lists what would be archived)");
	/* Reading needs no lock (WAL); changing the state waits for no run: it takes the lock. */
	readonly = !strcmp(sub, "list") || !strcmp(sub, "runs") || !strcmp(sub, "show") ||
		   (!strcmp(sub, "undo") && o->dry_run);
	if (!strcmp(sub, "list") && no_state_yet(o))
		return state_list_empty(o);
	if (!strcmp(sub, "runs") && no_state_yet(o)) {
		if (o->json)
			puts("[]");
		return EXIT_DONE;
	}
	rc = open_state(o, readonly, &st);
	if (rc)
		return rc;
	if (!strcmp(sub, "list"))
		rc = state_cmd_list(o, st);
	else if (!strcmp(sub, "runs"))
		rc = state_cmd_runs(o, st);
	else if (!strcmp(sub, "show"))
		rc = state_cmd_show(o, st, o->args[1]);
	else if (!strcmp(sub, "forget"))
		rc = state_cmd_forget(st, o->args[1]);
	else if (!strcmp(sub, "rename"))
		rc = state_cmd_rename(st, o->args[1], o->args[2]);
	else
		rc = state_cmd_undo(o, st);
	state_close(st);
	return rc;
}
