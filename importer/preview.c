/* preview: what `check` shows — the first occurrences mapped, as a table or JSON. */
#include "preview.h"
#include "assoc.h"
#include "calendar.h"
#include "report.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PREVIEW_DEFAULT_LIMIT 10

struct rule_count {
	char *rule;
	long n;
};

/* Occurrences whose value of `property` is not an option in the portal (check --remote). */
struct bad_value {
	const char *property;
	char *value;
	size_t line;
	char *options;
	long n;
};

struct preview {
	const struct mapping *m;
	const struct preview_portal *portal; /* check --remote, else NULL */
	struct bad_value *bad;
	size_t nbad;
	bool json;
	int limit;
	struct meeting *shown;
	size_t nshown;
	long total, to_import, skipped, errors;
	long bad_events; /* events the calendars could not use (see warnings) */
	struct rule_count *rules;
	size_t nrules;
	char **calendars;
	bool *calendar_ok;
	size_t ncalendars;
	cJSON *warnings; /* [{calendar, level, message}] printed while the calendars were read */
	const cJSON *remote; /* check --remote's findings (borrowed), or NULL */
};

struct preview *preview_new(const struct mapping *m, bool json, int limit)
{
	struct preview *p = xcalloc(1, sizeof(*p));

	p->m = m;
	p->json = json;
	p->limit = limit < 0 ? PREVIEW_DEFAULT_LIMIT : limit;
	p->shown = xcalloc((size_t)p->limit + 1, sizeof(*p->shown));
	p->warnings = cJSON_CreateArray();
	return p;
}

void preview_add_calendar(struct preview *p, const char *display, bool ok)
{
	p->calendars = xrealloc(p->calendars, (p->ncalendars + 1) * sizeof(*p->calendars));
	p->calendar_ok = xrealloc(p->calendar_ok, (p->ncalendars + 1) * sizeof(*p->calendar_ok));
	p->calendars[p->ncalendars] = xstrdup(display);
	p->calendar_ok[p->ncalendars] = ok;
	p->ncalendars++;
}

/* "filters.skip_private (CLASS:PRIVATE)" counts under "filters.skip_private". */
static void count_rule(struct preview *p, const char *reason)
{
	size_t len = strcspn(reason, " ");

	if (!strncmp(reason, "mapping error", 13))
		len = 13;
	for (size_t i = 0; i < p->nrules; i++) {
		if (strlen(p->rules[i].rule) == len && !strncmp(p->rules[i].rule, reason, len)) {
			p->rules[i].n++;
			return;
		}
	}
	p->rules = xrealloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	p->rules[p->nrules].rule = xstrndup(reason, len);
	p->rules[p->nrules].n = 1;
	p->nrules++;
}

/* Start-time order (UTC ISO strings and dates sort as text), then calendar, then key. */
static int meeting_cmp(const void *a, const void *b)
{
	const struct meeting *x = a, *y = b;
	int c = strcmp(x->start ? x->start : "", y->start ? y->start : "");

	if (c)
		return c;
	c = strcmp(x->source ? x->source : "", y->source ? y->source : "");
	return c ? c : strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

static void count_bad_value(struct preview *p, const struct meeting *mt)
{
	struct mapping_bad_value bad;
	size_t i;

	if (!mapping_check_remote_values(p->m, p->portal->properties, mt, &bad))
		return;
	for (i = 0; i < p->nbad; i++)
		if (p->bad[i].property == bad.property && !strcmp(p->bad[i].value, bad.value))
			break;
	if (i == p->nbad) {
		p->bad = xrealloc(p->bad, (p->nbad + 1) * sizeof(*p->bad));
		p->bad[i] = (struct bad_value){bad.property, xstrdup(bad.value), bad.line,
					       bad.options, 0};
		bad.options = NULL;
		p->nbad++;
	}
	p->bad[i].n++;
	free(bad.options);
}

/*
 * check --remote: what import sends, so the portal's users' domains go (the owners
 * are read once, as import reads them). Without a portal they stay, and the table says so.
 */
static void exclude_owners(struct preview *p)
{
	struct meeting **ms;
	struct report *rep;

	if (!p->portal || !p->nshown)
		return;
	ms = xmalloc(p->nshown * sizeof(*ms));
	for (size_t i = 0; i < p->nshown; i++)
		ms[i] = &p->shown[i];
	rep = report_new(NULL);
	assoc_exclude_owners(p->portal->client, p->m, ms, p->nshown, rep);
	report_free(rep);
	free(ms);
}

/* One error per value that is not an option, with how many occurrences would send it. */
static void say_bad_values(const struct preview *p)
{
	for (size_t i = 0; i < p->nbad; i++) {
		const struct bad_value *b = &p->bad[i];

		error("%ld meeting%s: '%s' is not an option of %s in your portal (allowed: %s); "
		      "map it in %s:%zu",
		      b->n, b->n == 1 ? "" : "s", b->value, b->property,
		      b->options ? b->options : "none", mapping_path(p->m), b->line);
	}
}

void preview_add(struct preview *p, const struct occurrence *occ)
{
	struct meeting mt;
	int rc = mapping_apply(p->m, occ, &mt);

	p->total++;
	if (rc < 0) {
		p->errors++;
		count_rule(p, mt.skip_reason ? mt.skip_reason : "mapping error");
	} else if (mt.skip_reason) {
		p->skipped++;
		count_rule(p, mt.skip_reason);
	} else {
		p->to_import++;
		if (p->portal)
			count_bad_value(p, &mt);
	}
	/* The `limit` earliest occurrences (by start), whatever the order they are read in. */
	if (p->nshown < (size_t)p->limit) {
		p->shown[p->nshown++] = mt;
	} else {
		size_t last = 0;

		for (size_t i = 1; i < p->nshown; i++)
			if (meeting_cmp(&p->shown[i], &p->shown[last]) > 0)
				last = i;
		if (p->nshown && meeting_cmp(&mt, &p->shown[last]) < 0) {
			meeting_release(&p->shown[last]);
			p->shown[last] = mt;
		} else {
			meeting_release(&mt);
		}
	}
}

/* ---- JSON -------------------------------------------------------------------------------- */

static cJSON *strv_json(char **v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *meeting_json(const struct preview *p, const struct meeting *mt)
{
	cJSON *j = cJSON_CreateObject(), *a;
	const char *owner = mapping_owner_property(p->m);
	bool error = mt->skip_reason && !strncmp(mt->skip_reason, "mapping error", 13);

	cJSON_AddStringToObject(j, "where", mt->where);
	cJSON_AddStringToObject(j, "key", mt->key);
	cJSON_AddStringToObject(j, "start", mt->start);
	if (mt->summary)
		cJSON_AddStringToObject(j, "summary", mt->summary);
	else
		cJSON_AddNullToObject(j, "summary");
	cJSON_AddStringToObject(j, "action", error ? "error" : mt->skip_reason ? "skip" : "import");
	if (mt->skip_reason) {
		cJSON_AddStringToObject(j, "skip_reason", mt->skip_reason);
		return j;
	}
	cJSON_AddItemToObject(j, "properties", cJSON_Duplicate(mt->properties, 1));
	if (owner && mt->owner_email) {
		cJSON *o = cJSON_AddObjectToObject(j, "owner");

		cJSON_AddStringToObject(o, "property", owner);
		cJSON_AddStringToObject(o, "email", mt->owner_email);
	}
	cJSON_AddItemToObject(j, "contacts", strv_json(mt->contact_emails, mt->ncontact_emails));
	cJSON_AddItemToObject(j, "companies", strv_json(mt->company_domains, mt->ncompany_domains));
	a = cJSON_AddArrayToObject(j, "associations");
	for (size_t i = 0; i < mt->nassocs; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "type", assoc_kind_name(mt->assocs[i].kind));
		cJSON_AddStringToObject(x, "id", mt->assocs[i].id ? mt->assocs[i].id : "");
		cJSON_AddItemToArray(a, x);
	}
	return j;
}

static void print_json(struct preview *p, FILE *out)
{
	cJSON *j = cJSON_CreateObject(), *a, *r;
	char *text;

	cJSON_AddStringToObject(j, "mapping", mapping_path(p->m));
	cJSON_AddBoolToObject(j, "valid", true);
	a = cJSON_AddArrayToObject(j, "calendars");
	for (size_t i = 0; i < p->ncalendars; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "calendar", p->calendars[i]);
		cJSON_AddBoolToObject(c, "read", p->calendar_ok[i]);
		cJSON_AddItemToArray(a, c);
	}
	cJSON_AddItemReferenceToObject(j, "warnings", p->warnings);
	if (p->remote)
		cJSON_AddItemToObject(j, "remote", cJSON_Duplicate(p->remote, 1));
	cJSON_AddNumberToObject(j, "occurrences", (double)p->total);
	cJSON_AddNumberToObject(j, "to_import", (double)p->to_import);
	cJSON_AddNumberToObject(j, "skipped", (double)p->skipped);
	cJSON_AddNumberToObject(j, "errors", (double)p->errors);
	/* exclude_domains: [owners]: were the portal's users left out (only --remote knows them)?
	 */
	if (mapping_contacts(p->m)->exclude_owners || mapping_companies_exclude_owners(p->m))
		cJSON_AddBoolToObject(j, "owners_excluded", p->portal != NULL);
	if (p->portal) {
		a = cJSON_AddArrayToObject(j, "invalid_values");
		for (size_t i = 0; i < p->nbad; i++) {
			cJSON *b = cJSON_CreateObject();
			char *where = xasprintf("%s:%zu", mapping_path(p->m), p->bad[i].line);

			cJSON_AddStringToObject(b, "property", p->bad[i].property);
			cJSON_AddStringToObject(b, "value", p->bad[i].value);
			cJSON_AddNumberToObject(b, "meetings", (double)p->bad[i].n);
			cJSON_AddStringToObject(b, "allowed",
						p->bad[i].options ? p->bad[i].options : "");
			cJSON_AddStringToObject(b, "mapping", where);
			cJSON_AddItemToArray(a, b);
			free(where);
		}
	}
	r = cJSON_AddObjectToObject(j, "skipped_by_rule");
	for (size_t i = 0; i < p->nrules; i++)
		cJSON_AddNumberToObject(r, p->rules[i].rule, (double)p->rules[i].n);
	a = cJSON_AddArrayToObject(j, "preview");
	for (size_t i = 0; i < p->nshown; i++)
		cJSON_AddItemToArray(a, meeting_json(p, &p->shown[i]));
	text = cJSON_Print(j);
	fputs(text, out);
	fputc('\n', out);
	cJSON_free(text);
	cJSON_Delete(j);
}

/* ---- table ------------------------------------------------------------------------------- */

/* Print one value on one line: newlines shown as "\n", cut to `width` bytes when > 0. */
static void put_value(FILE *out, const char *v, int width)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_init(&sb);
	for (const char *c = v; *c; c++) {
		if (*c == '\n')
			sbuf_adds(&sb, "\\n");
		else if (*c == '\r' || *c == '\t')
			sbuf_addc(&sb, ' ');
		else
			sbuf_addc(&sb, *c);
	}
	if (width > 3 && sb.len > (size_t)width) {
		size_t cut = (size_t)width - 3;

		/* do not split a UTF-8 sequence */
		while (cut && ((unsigned char)sb.buf[cut] & 0xc0) == 0x80)
			cut--;
		sb.len = cut;
		sb.buf[cut] = '\0';
		sbuf_adds(&sb, "...");
	}
	fprintf(out, "%s\n", sb.buf);
	sbuf_release(&sb);
}

static void row(FILE *out, const char *name, const char *value, int width)
{
	fprintf(out, "      %-26s ", name);
	put_value(out, value, width ? width - 33 : 0);
}

static void row_list(FILE *out, const char *name, char **v, size_t n, int width)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_init(&sb);
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", v[i]);
	row(out, name, n ? sb.buf : "(none)", width);
	sbuf_release(&sb);
}

static void print_table(struct preview *p, FILE *out, int width)
{
	const char *owner = mapping_owner_property(p->m);
	const struct mapping_contacts *mc = mapping_contacts(p->m);

	fprintf(out, "mapping %s: valid\n", mapping_path(p->m));
	for (size_t i = 0; i < p->ncalendars; i++)
		fprintf(out, "calendar %s%s\n", p->calendars[i],
			p->calendar_ok[i] ? "" : ": could not be read");
	if (!p->ncalendars)
		return;
	fputc('\n', out);
	for (size_t i = 0; i < p->nshown; i++) {
		const struct meeting *mt = &p->shown[i];
		const cJSON *pr;
		char head[64];

		snprintf(head, sizeof(head), "%3zu  ", i + 1);
		fprintf(out, "%s%s  %s  ", head, mt->where, mt->start);
		put_value(out, mt->summary ? mt->summary : "(no summary)",
			  width ? width - 40 - (int)strlen(mt->where) : 0);
		row(out, "key", mt->key, width);
		if (mt->skip_reason) {
			row(out,
			    strncmp(mt->skip_reason, "mapping error", 13) ? "SKIPPED" : "ERROR",
			    mt->skip_reason, width);
			continue;
		}
		cJSON_ArrayForEach(pr, mt->properties)
		{
			row(out, pr->string, pr->valuestring, width);
		}
		if (owner) {
			char *v = mt->owner_email ? xasprintf("(owner of %s, looked up at import)",
							      mt->owner_email)
						  : xstrdup("(no organizer: not set)");

			row(out, owner, v, width);
			free(v);
		}
		if (mc->enabled)
			row_list(out,
				 mc->create_missing ? "contacts (created if missing)" : "contacts",
				 mt->contact_emails, mt->ncontact_emails, width);
		if (mapping_wants_companies(p->m))
			row_list(out, "companies", mt->company_domains, mt->ncompany_domains,
				 width);
		for (size_t k = 0; k < mt->nassocs; k++)
			row(out, assoc_kind_name(mt->assocs[k].kind), mt->assocs[k].id, width);
	}
	if (p->nshown)
		fputc('\n', out);
	fprintf(out, "%ld occurrence%s: %ld to import, %ld skipped, %ld with errors", p->total,
		p->total == 1 ? "" : "s", p->to_import, p->skipped, p->errors);
	if (p->nshown < (size_t)p->total)
		fprintf(out, " (showing %zu; --limit N shows more)", p->nshown);
	fputc('\n', out);
	for (size_t i = 0; i < p->nrules; i++)
		fprintf(out, "  %-40s %ld\n", p->rules[i].rule, p->rules[i].n);
	/* Without the portal the owners' domains are not known: say what import does more. */
	if (!p->portal && p->nshown &&
	    ((mc->enabled && mc->exclude_owners) || mapping_companies_exclude_owners(p->m)))
		info("import also leaves out the portal's users (colleagues) and your own "
		     "company's domain (exclude_domains: [owners]); 'check --remote' applies it "
		     "to this preview");
}

static int terminal_width(FILE *out)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (!isatty(fileno(out)))
		return 0;
	if (!ioctl(fileno(out), TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	if (cols && atoi(cols) >= 40)
		return atoi(cols);
	return 100;
}

int preview_finish(struct preview *p, FILE *out)
{
	size_t unreadable = 0;
	int rc = 0;

	qsort(p->shown, p->nshown, sizeof(*p->shown), meeting_cmp);
	exclude_owners(p);
	if (p->json)
		print_json(p, out);
	else
		print_table(p, out, terminal_width(out));
	fflush(out);
	for (size_t i = 0; i < p->ncalendars; i++) {
		unreadable += !p->calendar_ok[i];
		free(p->calendars[i]);
	}
	/* A gate: 2 when nothing could be read; 1 when something is wrong but some was read. */
	if (p->ncalendars && unreadable == p->ncalendars)
		rc = EXIT_USAGE;
	else if (unreadable || p->errors || p->bad_events || p->nbad)
		rc = EXIT_PARTIAL;
	say_bad_values(p);
	for (size_t i = 0; i < p->nbad; i++) {
		free(p->bad[i].value);
		free(p->bad[i].options);
	}
	free(p->bad);
	for (size_t i = 0; i < p->nshown; i++)
		meeting_release(&p->shown[i]);
	for (size_t i = 0; i < p->nrules; i++)
		free(p->rules[i].rule);
	free(p->rules);
	free(p->shown);
	free(p->calendars);
	free(p->calendar_ok);
	cJSON_Delete(p->warnings);
	free(p);
	return rc;
}

static int preview_cb(const struct occurrence *occ, void *data)
{
	preview_add(data, occ);
	return 0;
}

struct warning_sink {
	struct preview *p;
	const char *calendar;
};

/* Keep the warnings and errors printed while a calendar is read (for --json). */
static void warning_cb(char *level, char *text, void *data)
{
	struct warning_sink *ws = data;

	if (strcmp(level, "info")) {
		cJSON *w = cJSON_CreateObject();

		cJSON_AddStringToObject(w, "calendar", ws->calendar);
		cJSON_AddStringToObject(w, "level", level);
		cJSON_AddStringToObject(w, "message", text);
		cJSON_AddItemToArray(ws->p->warnings, w);
	}
	free(level);
	free(text);
}

int preview_run(const struct mapping *m, const char *const *calendars, size_t n,
		const struct ics_options *opt, bool json, int limit, const cJSON *remote,
		const struct preview_portal *portal, FILE *out)
{
	struct preview *p = preview_new(m, json, limit);

	p->remote = remote;
	p->portal = portal;
	for (size_t i = 0; i < n; i++) {
		struct ics_stats st;
		struct calendar cal;
		struct warning_sink ws = {p, NULL};
		char *shown = source_redact(calendars[i]);
		bool ok = false;

		ws.calendar = shown;
		msg_set_sink(warning_cb, &ws);
		memset(&st, 0, sizeof(st));
		if (!calendar_open(&cal, calendars[i], NULL)) {
			ws.calendar = cal.display;
			ok = ics_read(cal.path, cal.display, cal.source, opt, preview_cb, p, &st) ==
			     0;
			p->bad_events += st.bad_events;
			preview_add_calendar(p, cal.display, ok);
			ics_stats_release(&st);
			calendar_close(&cal);
		} else {
			preview_add_calendar(p, shown, false);
		}
		msg_set_sink(NULL, NULL);
		free(shown);
	}
	return preview_finish(p, out);
}
