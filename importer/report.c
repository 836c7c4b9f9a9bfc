/* report: what a run did to every occurrence — the summary line and the --report JSON. */
#include "report.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct report {
	long not_sent; /* of counts[OUTCOME_FAILED]: not sent (interrupted) */
	char *path;
	char *tmp; /* PATH.tmp.PID, created by report_new, renamed by report_write */
	FILE *out; /* open on tmp until report_write */
	FILE *spool; /* one JSON object per line, "occurrences" in arrival order */
	long entries;
	/* where each spooled entry starts and its meeting's start: the report in time order */
	struct entry_ix {
		long off;
		char start[24]; /* "" for an entry without a start (last) */
	} * ix;
	size_t nix, ix_cap;
	bool ix_off; /* past REPORT_SORT_MAX entries: arrival order (memory stays flat) */
	long counts[OUTCOME__COUNT];
	cJSON *notes;
	cJSON *calendars;
	cJSON *unmapped_organizers; /* object used as a set */
	cJSON *unmatched_attendees;
	long nunmatched;
	char *link_prefix; /* https://<uiDomain>/contacts/<portal>/record/0-47/, or NULL */
};

static const char *const outcome_names[OUTCOME__COUNT] = {
	[OUTCOME_CREATED] = "created",
	[OUTCOME_UPDATED] = "updated",
	[OUTCOME_UNCHANGED] = "unchanged",
	[OUTCOME_ARCHIVED] = "archived",
	[OUTCOME_SKIPPED] = "skipped",
	[OUTCOME_FAILED] = "failed",
	[OUTCOME_ALREADY] = "already_in_hubspot",
	[OUTCOME_DELETED] = "deleted_in_hubspot",
	[OUTCOME_PLANNED] = "planned",
};

const char *outcome_name(enum outcome o)
{
	return outcome_names[o];
}

/*
 * Create PATH.tmp.XXXXXX beside the report (mkstemp: O_EXCL, 0600, never
 * through a planted link) for the next report_write.
 */
static int open_tmp(struct report *r)
{
	r->out = file_create_temp(r->path, &r->tmp);
	return r->out ? 0 : -1;
}

struct report *report_new(const char *path)
{
	struct report *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	if (path && strcmp(path, "-") && open_tmp(r)) {
		free(r->path);
		free(r);
		return NULL;
	}
	if (path) {
		r->spool = tmpfile();
		if (!r->spool)
			error_errno("cannot create a temporary file for the report");
	}
	r->notes = cJSON_CreateArray();
	r->calendars = cJSON_CreateArray();
	r->unmapped_organizers = cJSON_CreateObject();
	r->unmatched_attendees = cJSON_CreateObject();
	return r;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	if (r->spool)
		fclose(r->spool);
	free(r->ix);
	if (r->out) { /* never written: leave nothing behind */
		fclose(r->out);
		unlink(r->tmp);
	}
	free(r->tmp);
	cJSON_Delete(r->notes);
	cJSON_Delete(r->calendars);
	cJSON_Delete(r->unmapped_organizers);
	cJSON_Delete(r->unmatched_attendees);
	free(r->path);
	free(r->link_prefix);
	free(r);
}

void report_set_links(struct report *r, const char *prefix)
{
	free(r->link_prefix);
	r->link_prefix = prefix ? xstrdup(prefix) : NULL;
}

/*
 * The meeting's record page, or NULL: no portal known, no id, an id that is not
 * HubSpot's (digits), or a meeting just archived (its page is gone).
 */
static char *record_url(const struct report *r, enum outcome outcome, const char *hubspot_id)
{
	if (!r->link_prefix || !hubspot_id || !*hubspot_id || outcome == OUTCOME_ARCHIVED ||
	    hubspot_id[strspn(hubspot_id, "0123456789")])
		return NULL;
	return xasprintf("%s%s", r->link_prefix, hubspot_id);
}

/* -v: the link of each meeting, as it is reported. */
static void say_link(const char *url, enum outcome outcome, const char *action, const char *key)
{
	if (url)
		verbose("%s %s: %s",
			outcome == OUTCOME_PLANNED && action ? action : outcome_names[outcome],
			key ? key : "", url);
}

/* Entries sorted by time in the report, up to this many (then in arrival order). */
#define REPORT_SORT_MAX 200000

static void spool_entry(struct report *r, cJSON *e)
{
	char *text;

	if (r->spool) {
		const char *start =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "start"));
		long off = ftell(r->spool);

		if (!r->ix_off && (r->nix >= REPORT_SORT_MAX || off < 0)) {
			r->ix_off = true;
			free(r->ix);
			r->ix = NULL;
		}
		if (!r->ix_off) {
			XGROW(r->ix, r->ix_cap, r->nix + 1);
			r->ix[r->nix].off = off;
			snprintf(r->ix[r->nix].start, sizeof(r->ix[r->nix].start), "%s",
				 start ? start : "");
			r->nix++;
		}
		text = cJSON_PrintUnformatted(e);
		fputs(text, r->spool);
		fputc('\n', r->spool);
		cJSON_free(text);
	}
	cJSON_Delete(e);
	r->entries++;
}

/*
 * One entry: counted, its link said with -v, and written to the report when there is one.
 * `m` is the meeting (its uid, recurrence id, start and summary written too), or NULL for a row
 * known only by its key; `source` is as shown.
 */
static void add_entry(struct report *r, const struct meeting *m, const char *key,
		      const char *source, enum outcome outcome, const char *hubspot_id,
		      const char *action, const char *reason, const char *category)
{
	cJSON *e;
	char *url = record_url(r, outcome, hubspot_id);

	r->counts[outcome]++;
	say_link(url, outcome, action, key);
	if (r->spool) {
		e = cJSON_CreateObject();
		json_add_string_or_null(e, "key", key);
		if (m) {
			json_add_string_or_null(e, "uid", m->uid);
			json_add_string_or_null(e, "recurrence_id", m->recurrence_id);
			json_add_string_or_null(e, "start", m->start);
			json_add_string_or_null(e, "summary", m->summary);
		}
		json_add_string_or_null(e, "source", source);
		cJSON_AddStringToObject(e, "outcome", outcome_names[outcome]);
		if (action)
			cJSON_AddStringToObject(e, "action", action);
		json_add_string_or_null(e, "hubspot_id", hubspot_id);
		json_add_string_or_null(e, "hubspot_url", url);
		json_add_string_or_null(e, "reason", reason);
		if (category)
			cJSON_AddStringToObject(e, "category", category);
		spool_entry(r, e);
	}
	free(url);
}

void report_add(struct report *r, const struct meeting *m, enum outcome outcome,
		const char *hubspot_id, const char *action, const char *reason,
		const char *category)
{
	add_entry(r, m, m->key, m->where, outcome, hubspot_id, action, reason, category);
}

void report_add_key(struct report *r, const char *key, const char *source, enum outcome outcome,
		    const char *hubspot_id, const char *action, const char *reason)
{
	char *shown = source_redact(source);

	add_entry(r, NULL, key, shown, outcome, hubspot_id, action, reason, NULL);
	free(shown);
}

void report_note(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(r->notes, cJSON_CreateString(text));
	free(text);
}

static void set_add(cJSON *set, const char *key)
{
	if (key && !cJSON_GetObjectItemCaseSensitive(set, key))
		cJSON_AddTrueToObject(set, key);
}

void report_unmapped_organizer(struct report *r, const char *email)
{
	set_add(r->unmapped_organizers, email);
}

void report_unmatched_attendee(struct report *r, const char *email)
{
	set_add(r->unmatched_attendees, email);
}

void report_calendar(struct report *r, const char *display, long events, long occurrences,
		     long warnings, long bad_events, bool ok)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "calendar", display);
	cJSON_AddBoolToObject(c, "read", ok);
	cJSON_AddNumberToObject(c, "events", (double)events);
	cJSON_AddNumberToObject(c, "occurrences", (double)occurrences);
	cJSON_AddNumberToObject(c, "warnings", (double)warnings);
	cJSON_AddNumberToObject(c, "bad_events", (double)bad_events);
	cJSON_AddItemToArray(r->calendars, c);
}

long report_count(const struct report *r, enum outcome o)
{
	return r->counts[o];
}

static cJSON *set_keys(const cJSON *set)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *it;

	cJSON_ArrayForEach(it, set) cJSON_AddItemToArray(arr, cJSON_CreateString(it->string));
	return arr;
}

static int cmp_entry_time(const void *a, const void *b)
{
	const struct entry_ix *x = a, *y = b;
	int c = !*x->start || !*y->start ? (!*x->start) - (!*y->start) : strcmp(x->start, y->start);

	return c ? c : (x->off > y->off) - (x->off < y->off);
}

/* The spooled entries in time order (then as they came), as the elements of a JSON array. */
static int copy_sorted(struct report *r, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	fflush(r->spool);
	if (r->nix)
		qsort(r->ix, r->nix, sizeof(*r->ix), cmp_entry_time);
	for (size_t i = 0; i < r->nix && !rc; i++) {
		ssize_t n;

		if (fseek(r->spool, r->ix[i].off, SEEK_SET) ||
		    (n = getline(&line, &cap, r->spool)) <= 0) {
			rc = -1;
			break;
		}
		if (line[n - 1] == '\n')
			n--;
		if (i)
			fputc(',', out);
		fwrite(line, 1, (size_t)n, out);
	}
	free(line);
	fseek(r->spool, 0, SEEK_END);
	return rc || ferror(r->spool) ? -1 : 0;
}

/* Copy the spooled entries, one per line, as the elements of a JSON array. */
static int copy_entries(FILE *spool, FILE *out)
{
	char line[8192];
	bool first = true, at_start = true;

	fflush(spool);
	rewind(spool);
	while (fgets(line, sizeof(line), spool)) {
		size_t n = strlen(line);
		bool whole = n && line[n - 1] == '\n';

		if (at_start && !first)
			fputc(',', out);
		first = false;
		/* a line longer than the buffer continues in the next fgets */
		fwrite(line, 1, whole ? n - 1 : n, out);
		at_start = whole;
	}
	fseek(spool, 0, SEEK_END);
	return ferror(spool) ? -1 : 0;
}

/* A dry run's planned writes: creates, updates (and cancels), archives, look-ups to make. */
static long planned_writes(const struct report *r)
{
	return r->counts[OUTCOME_CREATED] + r->counts[OUTCOME_UPDATED] +
	       r->counts[OUTCOME_ARCHIVED] + r->counts[OUTCOME_PLANNED];
}

int report_write(struct report *r, bool dry_run)
{
	cJSON *head, *totals;
	char *text, *tmp;
	FILE *out;
	int rc = -1;

	if (!r->path)
		return 0;
	if (!r->spool)
		return error("cannot write the report '%s'", r->path);
	if (strcmp(r->path, "-") && !r->out && open_tmp(r))
		return -1;
	head = cJSON_CreateObject();
	cJSON_AddStringToObject(head, "tool", PROGRAM_NAME);
	cJSON_AddBoolToObject(head, "dry_run", dry_run);
	totals = cJSON_AddObjectToObject(head, "totals");
	/* A dry run's totals are a real run's, as planned; `planned` adds up the writes. */
	for (int i = 0; i < OUTCOME__COUNT; i++)
		if (i != OUTCOME_PLANNED)
			cJSON_AddNumberToObject(totals, outcome_names[i], (double)r->counts[i]);
	if (dry_run)
		cJSON_AddNumberToObject(totals, "planned", (double)planned_writes(r));
	cJSON_AddItemToObject(head, "calendars", cJSON_Duplicate(r->calendars, 1));
	cJSON_AddItemToObject(head, "notes", cJSON_Duplicate(r->notes, 1));
	cJSON_AddItemToObject(head, "unmapped_organizers", set_keys(r->unmapped_organizers));
	cJSON_AddItemToObject(head, "unmatched_attendees", set_keys(r->unmatched_attendees));
	cJSON_AddArrayToObject(head, "occurrences");
	text = cJSON_PrintUnformatted(head);
	cJSON_Delete(head);

	if (!strcmp(r->path, "-")) {
		fwrite(text, 1, strlen(text) - 2, stdout);
		rc = r->ix_off ? copy_entries(r->spool, stdout) : copy_sorted(r, stdout);
		fputs("]}\n", stdout);
		if (fflush(stdout) || ferror(stdout) || rc)
			rc = error_errno("cannot write the report to standard output");
		cJSON_free(text);
		return rc;
	}
	tmp = r->tmp;
	out = r->out;
	r->tmp = NULL;
	r->out = NULL;
	/* The spooled entries go inside the (empty) "occurrences" array at the end. */
	fwrite(text, 1, strlen(text) - 2, out);
	if (r->ix_off ? copy_entries(r->spool, out) : copy_sorted(r, out)) {
		error_errno("cannot write '%s'", tmp);
		file_abort_temp(out, tmp);
		goto out;
	}
	fputs("]}\n", out);
	rc = file_commit_temp(out, tmp, r->path);
out:
	cJSON_free(text);
	return rc;
}

void report_set_not_sent(struct report *r, long n)
{
	r->not_sent = n;
}

void report_print_summary(const struct report *r, FILE *f, bool dry_run)
{
	const cJSON *n;
	size_t unmapped = (size_t)cJSON_GetArraySize(r->unmapped_organizers);
	size_t unmatched = (size_t)cJSON_GetArraySize(r->unmatched_attendees);
	char ns[64] = "";

	if (r->not_sent)
		snprintf(ns, sizeof(ns), ", %ld not sent (interrupted)", r->not_sent);
	if (dry_run)
		fprintf(f,
			"%s: dry run: %ld planned (%ld to create, %ld to update, %ld to archive), "
			"%ld unchanged, %ld skipped (nothing sent)\n",
			PROGRAM_NAME, planned_writes(r), r->counts[OUTCOME_CREATED],
			r->counts[OUTCOME_UPDATED], r->counts[OUTCOME_ARCHIVED],
			r->counts[OUTCOME_UNCHANGED], r->counts[OUTCOME_SKIPPED]);
	else
		fprintf(f,
			"%s: %ld created, %ld updated, %ld unchanged, %ld archived, %ld skipped, "
			"%ld failed%s\n",
			PROGRAM_NAME, r->counts[OUTCOME_CREATED], r->counts[OUTCOME_UPDATED],
			r->counts[OUTCOME_UNCHANGED], r->counts[OUTCOME_ARCHIVED],
			r->counts[OUTCOME_SKIPPED], r->counts[OUTCOME_FAILED] - r->not_sent, ns);
	if (r->counts[OUTCOME_ALREADY])
		fprintf(f,
			"%s: %ld already in HubSpot (logged by HubSpot's calendar sync): not "
			"created\n",
			PROGRAM_NAME, r->counts[OUTCOME_ALREADY]);
	if (r->counts[OUTCOME_DELETED])
		fprintf(f,
			"%s: %ld deleted in HubSpot since they were imported: not sent again "
			"(--recreate-deleted creates them again)\n",
			PROGRAM_NAME, r->counts[OUTCOME_DELETED]);
	if (unmapped || unmatched)
		fprintf(f,
			"%s: %zu organizer(s) with no HubSpot owner, %zu attendee(s) with no contact%s\n",
			PROGRAM_NAME, unmapped, unmatched,
			r->path ? " (listed in the report)" : "");
	cJSON_ArrayForEach(n, r->notes) fprintf(f, "%s: note: %s\n", PROGRAM_NAME, n->valuestring);
}
