/* import: the pipeline — calendars → occurrences → mapped meetings → HubSpot → report. */
#include "app.h"
#include "batch.h"
#include "calendar.h"
#include "hubspot.h"
#include "ics.h"
#include "mapping.h"
#include "meeting.h"
#include "report.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run {
	const struct app_options *o;
	struct mapping *map;
	struct report *rep;
	struct meeting *ms; /* mapped meetings to send (skipped ones are reported at once) */
	size_t n, cap;
	struct assoc *statics; /* --associate */
	size_t nstatics;
	long failed_calendars;
	long bad_events;
};

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
			return error("--associate: unknown type in '%s' (contact, company, deal, ticket)",
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

static int on_occurrence(const struct occurrence *occ, void *data)
{
	struct run *r = data;
	struct meeting m = {0};

	mapping_apply(r->map, occ, &m);
	if (m.skip_reason) {
		report_add(r->rep, &m, OUTCOME_SKIPPED, NULL, NULL, m.skip_reason, NULL);
		meeting_release(&m);
		return 0;
	}
	meeting_fill_contact_names(&m, occ);
	for (size_t i = 0; i < r->nstatics; i++)
		meeting_add_assoc(&m, r->statics[i].kind, r->statics[i].id, r->statics[i].ref);
	XGROW(r->ms, r->cap, r->n + 1);
	r->ms[r->n++] = m;
	return 0;
}

static int read_calendars(struct run *r)
{
	struct ics_options io;
	size_t ok = 0;

	app_ics_options(r->o, &io);
	for (size_t i = 0; i < r->o->nargs; i++) {
		struct ics_stats st = {0};
		struct calendar cal;
		int rc;

		if (calendar_open(&cal, r->o->args[i], NULL)) {
			r->failed_calendars++;
			report_calendar(r->rep, r->o->args[i], 0, 0, 0, 0, false);
			continue;
		}
		rc = ics_read(cal.path, cal.display, cal.source, &io, on_occurrence, r, &st);
		report_calendar(r->rep, cal.display, st.events, st.occurrences, st.warnings,
				st.bad_events, rc == 0);
		if (rc) {
			r->failed_calendars++;
			report_note(r->rep, "%s: calendar could not be read", cal.display);
		} else {
			ok++;
			r->bad_events += st.bad_events;
			if (st.bad_events)
				report_note(r->rep, "%s: %ld event(s) could not be used (see warnings)",
					    cal.display, st.bad_events);
		}
		ics_stats_release(&st);
		calendar_close(&cal);
	}
	return ok ? 0 : -1;
}

static int key_cmp(const void *a, const void *b)
{
	const struct meeting *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static bool has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/*
 * The same occurrence seen twice in one run (one meeting in two reps'
 * calendars, or a duplicated export) is one meeting: keep the first and give it
 * the union of the attendees.
 */
static void merge_duplicates(struct run *r)
{
	size_t out = 0;

	if (r->n < 2)
		return;
	qsort(r->ms, r->n, sizeof(*r->ms), key_cmp);
	for (size_t i = 0; i < r->n; i++) {
		struct meeting *keep = out ? &r->ms[out - 1] : NULL;
		struct meeting *m = &r->ms[i];

		if (keep && !strcmp(keep->key, m->key)) {
			for (size_t j = 0; j < m->ncontact_emails; j++) {
				if (has_str(keep->contact_emails, keep->ncontact_emails,
					    m->contact_emails[j]))
					continue;
				keep->contact_emails =
					xrealloc(keep->contact_emails,
						 (keep->ncontact_emails + 1) * sizeof(char *));
				keep->contact_names =
					xrealloc(keep->contact_names,
						 (keep->ncontact_emails + 1) * sizeof(char *));
				keep->contact_emails[keep->ncontact_emails] =
					xstrdup(m->contact_emails[j]);
				keep->contact_names[keep->ncontact_emails++] =
					xstrdup(m->contact_names ? m->contact_names[j] : NULL);
			}
			for (size_t j = 0; j < m->ncompany_domains; j++) {
				if (has_str(keep->company_domains, keep->ncompany_domains,
					    m->company_domains[j]))
					continue;
				keep->company_domains =
					xrealloc(keep->company_domains,
						 (keep->ncompany_domains + 1) * sizeof(char *));
				keep->company_domains[keep->ncompany_domains++] =
					xstrdup(m->company_domains[j]);
			}
			verbose("%s: same meeting as %s, merged", m->where, keep->where);
			meeting_release(m);
			continue;
		}
		if (out != i)
			r->ms[out] = *m;
		out++;
	}
	r->n = out;
}

static void print_plan_line(const struct meeting *m, const char *action)
{
	const char *title = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(m->properties, "hs_meeting_title"));

	printf("%-9s %-20s %s  [%s]\n", action, m->start ? m->start : "",
	       title ? title : (m->summary ? m->summary : ""), m->key);
}

static void on_batch_result(const struct batch_result *res, void *data)
{
	struct run *r = data;

	switch (res->status) {
	case BATCH_CREATED:
	case BATCH_FOUND:
		report_add(r->rep, res->m, OUTCOME_CREATED, res->id, NULL,
			   res->status == BATCH_FOUND ? "created by an earlier attempt; found" : NULL,
			   NULL);
		break;
	case BATCH_UPDATED:
		report_add(r->rep, res->m, OUTCOME_UPDATED, res->id, NULL, NULL, NULL);
		break;
	case BATCH_ARCHIVED:
		break;
	case BATCH_FAILED:
		warning("%s: %s: %s", res->m->where, res->m->key,
			res->message ? res->message : "failed");
		report_add(r->rep, res->m, OUTCOME_FAILED, NULL, NULL, res->message,
			   res->category);
		break;
	case BATCH_NOT_SENT:
		report_add(r->rep, res->m, OUTCOME_FAILED, NULL, NULL,
			   "not sent: the run stopped before it", NULL);
		break;
	}
}

static void run_release(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		meeting_release(&r->ms[i]);
	free(r->ms);
	for (size_t i = 0; i < r->nstatics; i++) {
		free(r->statics[i].id);
		free(r->statics[i].ref);
	}
	free(r->statics);
	report_free(r->rep);
	mapping_free(r->map);
}

int cmd_import(const struct app_options *o)
{
	struct run r = {0};
	struct hs_client *client = NULL;
	struct meeting **ptrs = NULL;
	char *token = NULL;
	enum hs_result hr = HS_OK;
	int rc = EXIT_DONE;

	r.o = o;
	if (!o->nargs) {
		error("import: no calendar given");
		return EXIT_USAGE;
	}
	r.map = mapping_load(o->mapping);
	if (!r.map)
		return EXIT_USAGE;
	r.rep = report_new(o->report);
	if (parse_associate(&r)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!o->dry_run) {
		token = app_token(o);
		if (!token) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (read_calendars(&r)) {
		rc = EXIT_USAGE;
		goto out;
	}
	merge_duplicates(&r);

	if (o->dry_run) {
		for (size_t i = 0; i < r.n; i++) {
			print_plan_line(&r.ms[i], "create");
			report_add(r.rep, &r.ms[i], OUTCOME_PLANNED, NULL, "create", NULL, NULL);
		}
	} else if (r.n) {
		struct hs_options ho = {
			.api_base = app_api_base(o),
			.token = token,
			.rate_max = o->rate_max,
			.rate_interval_ms = o->rate_interval_ms,
			.timeout_s = 30,
			.retry_budget_s = 300,
		};
		struct batch_options bo = {
			.identity_property = mapping_identity_property(r.map),
			.on_result = on_batch_result,
			.data = &r,
		};

		client = hs_client_new(&ho);
		ptrs = xmalloc(r.n * sizeof(*ptrs));
		for (size_t i = 0; i < r.n; i++)
			ptrs[i] = &r.ms[i];
		hr = batch_create(client, ptrs, r.n, &bo);
		if (hr == HS_DAILY_LIMIT)
			report_note(r.rep, "HubSpot's daily limit was reached: %ld created before it; "
					   "a re-run continues where this one stopped",
				    report_count(r.rep, OUTCOME_CREATED));
		else if (hr == HS_AUTH)
			report_note(r.rep, "HubSpot refused the token or its scopes: nothing more sent");
		else if (hr != HS_OK)
			report_note(r.rep, "HubSpot could not be reached: retries exhausted");
	}

	if (hr != HS_OK)
		rc = EXIT_REFUSED;
	else if (report_count(r.rep, OUTCOME_FAILED) || r.failed_calendars || r.bad_events)
		rc = EXIT_PARTIAL;
	if (util_verbosity > 0 || rc != EXIT_DONE)
		report_print_summary(r.rep, stderr, o->dry_run);
	if (report_write(r.rep, o->dry_run) && rc == EXIT_DONE)
		rc = EXIT_PARTIAL;
out:
	free(ptrs);
	hs_client_free(client);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	run_release(&r);
	ics_global_cleanup();
	return rc;
}
