/* batch: submit meetings to HubSpot in batches of at most 100, accounting for every input. */
#include "batch.h"
#include "claims.h"
#include "routes.h"

#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_IDENTITY      "ics2hubspot_key"
#define MAX_INPUTS	      100
#define DEFAULT_MAX_BODY      (3u * 1024 * 1024)
#define DEFAULT_RESOLVE_TRIES 4
#define DEFAULT_RESOLVE_DELAY 2000
#define MAX_CREATE_SENDS      3 /* ambiguous creates of one meeting before giving up */
#define SEARCH_KEYS	      100 /* keys per search: one lower-cased IN value each (see docs) */
#define SEARCH_LIMIT	      200
#define SEARCH_VALUES	      100 /* values per IN filter (HubSpot documents no limit; see docs) */
#define SEARCH_MAX_RESULTS    10000 /* HubSpot pages no further than 10,000 results */

#define PATH_CREATE  hs_route(HS_MEETINGS_BATCH_CREATE)
#define PATH_UPDATE  hs_route(HS_MEETINGS_BATCH_UPDATE)
#define PATH_ARCHIVE hs_route(HS_MEETINGS_BATCH_ARCHIVE)
#define PATH_SEARCH  hs_route(HS_MEETINGS_SEARCH)

enum op {
	OP_CREATE,
	OP_UPDATE,
	OP_ARCHIVE,
	OP_SEARCH,
};

/* Why a search job looks meetings up. */
enum origin {
	ORIGIN_UNKNOWN, /* the create's answer was lost: re-create what is missing */
	ORIGIN_UNACCOUNTED, /* HubSpot answered but did not mention them: never re-create */
};

struct item {
	struct meeting *m; /* NULL for archive */
	const char *key; /* identity value (meeting->key) */
	const char *hs_id; /* update/archive: the HubSpot id */
	char *trace; /* objectWriteTraceId */
	cJSON *input; /* the batch input object */
	size_t len; /* its serialised size */
	int sends;
	int drops; /* creates sent again without associations to records gone from HubSpot */
	bool requeued; /* sent again by the answer being handled */
	bool settled;
	char *found_id; /* search scratch */
};

struct job {
	enum op op;
	size_t *idx; /* into run->items */
	size_t n;
	enum origin origin; /* OP_SEARCH */
	int tries; /* OP_SEARCH: searches done */
	char *after; /* OP_SEARCH: next page */
	char *why; /* OP_SEARCH: the ambiguity being resolved */
	int64_t not_before;
	struct job *next;
};

struct run {
	struct hs_client *c;
	const struct batch_options *o;
	const char *identity;
	struct item *items;
	size_t nitems;
	struct job *ready;
	size_t inflight;
	bool answered; /* a request was answered (first_alone) */
	bool stopped;
	enum hs_result stop;
	bool interrupted; /* Ctrl-C or kill: what is not in flight is not sent (HS_OK) */
	int resolve_tries;
	int64_t resolve_delay_ms;
	size_t max_inputs, max_body;
};

static void item_measure(struct item *it);

static struct batch_progress progress;
static size_t progress_read;
static int64_t progress_last_ms;
static bool progress_drawn;

const char *batch_status_name(enum batch_status s)
{
	switch (s) {
	case BATCH_CREATED:
		return "created";
	case BATCH_FOUND:
		return "found";
	case BATCH_UPDATED:
		return "updated";
	case BATCH_ARCHIVED:
		return "archived";
	case BATCH_FAILED:
		return "failed";
	case BATCH_NOT_SENT:
		break;
	}
	return "not sent";
}

/* ---- progress ----------------------------------------------------------------------------- */

const struct batch_progress *batch_progress_get(void)
{
	return &progress;
}

void batch_progress_set_read(size_t n)
{
	progress_read = n;
}

void batch_progress_end(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_drawn = false;
	}
}

/*
 * One progress line: redrawn in place on a terminal (at most 5 times a
 * second), a plain line every 10 seconds otherwise, nothing with -q.
 */
static const char *progress_phase; /* "sending", "removing" (batch_progress_phase) */

void batch_progress_phase(const char *phase)
{
	batch_progress_end();
	progress_phase = phase;
}

/*
 * Whether a progress line is due now: on a terminal at most 5 a second (and
 * when forced), else one every 30 s (test hook ICS2HUBSPOT_PROGRESS_EVERY_MS),
 * never with -q. *tty says which.
 */
static bool progress_due(bool force, bool *tty)
{
	int64_t now = time_mono_ms();
	static long every_ms;

	*tty = isatty(2) && util_verbosity < 2 && !util_progress_plain;
	if (util_verbosity < 1)
		return false;
	if (!every_ms)
		every_ms = env_positive("ICS2HUBSPOT_PROGRESS_EVERY_MS", 30000);
	if (!progress_last_ms) /* the first look: the clock starts (a line 30 s on, off a tty) */
		progress_last_ms = now - (*tty ? 200 : 0);
	if (!force && now - progress_last_ms < (*tty ? 200 : every_ms))
		return false;
	if (!*tty && force)
		return false;
	progress_last_ms = now;
	return true;
}

/* Draw a progress line: in place on a terminal (with its phase), else a plain line. */
static void progress_draw(const char *text, bool tty, const char *phase)
{
	if (tty) {
		fprintf(stderr, "\r\033[K%s%s%s", phase ? phase : "", phase ? ": " : "", text);
		fflush(stderr);
		progress_drawn = true;
	} else {
		info("%s", text);
	}
}

static void progress_show(struct hs_client *c, bool force)
{
	bool tty;
	int64_t now = time_mono_ms();
	size_t done = progress.created + progress.found + progress.updated + progress.archived +
		      progress.failed + progress.not_sent;
	double secs = (double)(now - progress.started_ms) / 1000.0;
	struct sbuf sb = SBUF_INIT;

	if (!progress_due(force, &tty))
		return;
	if (progress_read)
		sbuf_addf(&sb, "read %zu, ", progress_read);
	sbuf_addf(&sb, "sent %zu/%zu, created %zu", progress.sent, progress.total,
		  progress.created + progress.found);
	if (progress.updated)
		sbuf_addf(&sb, ", updated %zu", progress.updated);
	if (progress.archived)
		sbuf_addf(&sb, ", archived %zu", progress.archived);
	sbuf_addf(&sb, ", failed %zu, %.1f req/s", progress.failed, hs_client_rate(c));
	/* An ETA once a rate is measured: 5 s and 5% done, not from the first answer. */
	if (done && done < progress.total && secs >= 5 && done * 20 >= progress.total) {
		double eta = (double)(progress.total - done) * secs / (double)done;

		sbuf_addf(&sb, ", ETA %dm%02ds", (int)eta / 60, (int)eta % 60);
	}
	progress_draw(sb.buf, tty, progress_phase);
	sbuf_release(&sb);
}

/* The look-ups before the creates: "looking up by PROPERTY: K/N keys, S searches". */
static void lookup_progress(const char *property, size_t done, size_t total, size_t searches)
{
	bool tty;
	char *text;

	if (!progress_due(false, &tty))
		return;
	text = xasprintf("looking up in HubSpot by %s: %zu/%zu keys, %zu searches", property, done,
			 total, searches);
	progress_draw(text, tty, NULL);
	free(text);
}

/* ---- items and jobs ----------------------------------------------------------------------- */

static void run_init(struct run *r, struct hs_client *c, const struct batch_options *o, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->o = o;
	r->identity = o && o->identity_property ? o->identity_property : DEFAULT_IDENTITY;
	r->items = xcalloc(n ? n : 1, sizeof(*r->items));
	r->nitems = n;
	r->resolve_tries =
		o && o->resolve_tries > 0
			? o->resolve_tries
			: (int)env_positive("ICS2HUBSPOT_RESOLVE_TRIES", DEFAULT_RESOLVE_TRIES);
	r->resolve_delay_ms =
		o && o->resolve_delay_ms > 0
			? o->resolve_delay_ms
			: (int)env_positive("ICS2HUBSPOT_RESOLVE_DELAY_MS", DEFAULT_RESOLVE_DELAY);
	r->max_inputs = (size_t)(o && o->max_inputs > 0
					 ? o->max_inputs
					 : (int)env_positive("ICS2HUBSPOT_BATCH_SIZE", MAX_INPUTS));
	if (r->max_inputs > MAX_INPUTS)
		r->max_inputs = MAX_INPUTS;
	r->max_body = o && o->max_body_bytes ? o->max_body_bytes : DEFAULT_MAX_BODY;
	if (!progress.started_ms)
		progress.started_ms = progress_last_ms = time_mono_ms();
	progress.total += n;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->idx);
	free(j->after);
	free(j->why);
	free(j);
}

static void run_release(struct run *r)
{
	while (r->ready) {
		struct job *n = r->ready->next;

		job_free(r->ready);
		r->ready = n;
	}
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].trace);
		free(r->items[i].found_id);
		cJSON_Delete(r->items[i].input);
	}
	free(r->items);
}

static struct job *job_new(enum op op, const size_t *idx, size_t n)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->op = op;
	j->idx = xmalloc((n ? n : 1) * sizeof(*j->idx));
	memcpy(j->idx, idx, n * sizeof(*idx));
	j->n = n;
	return j;
}

static void job_push(struct run *r, struct job *j, bool front)
{
	struct job **pp = &r->ready;

	if (front) {
		j->next = r->ready;
		r->ready = j;
		return;
	}
	while (*pp)
		pp = &(*pp)->next;
	j->next = NULL;
	*pp = j;
}

/* Exactly one result per input: report it and count it. */
static void settle(struct run *r, struct item *it, enum batch_status st, const char *id,
		   const char *message, const char *category)
{
	struct batch_result res;

	if (it->settled)
		return;
	it->settled = true;
	switch (st) {
	case BATCH_CREATED:
		progress.created++;
		break;
	case BATCH_FOUND:
		progress.found++;
		break;
	case BATCH_UPDATED:
		progress.updated++;
		break;
	case BATCH_ARCHIVED:
		progress.archived++;
		break;
	case BATCH_FAILED:
		progress.failed++;
		break;
	case BATCH_NOT_SENT:
		progress.not_sent++;
		break;
	}
	if (st == BATCH_FAILED && util_verbosity >= 2)
		verbose("'%s' failed: %s", it->key ? it->key : it->hs_id, message ? message : "");
	if (!r->o || !r->o->on_result)
		return;
	if (st == BATCH_FAILED || st == BATCH_NOT_SENT)
		batch_progress_end(); /* the caller may print a line about it */
	res.m = it->m;
	res.id = id ? id : (st == BATCH_ARCHIVED || st == BATCH_UPDATED ? it->hs_id : NULL);
	res.status = st;
	res.message = message;
	res.category = category;
	r->o->on_result(&res, r->o->data);
}

/* Group item indexes [0, n) into jobs within the input count and body size caps. */
static void chunk(struct run *r, enum op op)
{
	size_t *idx = xmalloc((r->nitems ? r->nitems : 1) * sizeof(*idx));
	size_t n = 0, bytes = 0;

	for (size_t i = 0; i < r->nitems; i++) {
		struct item *it = &r->items[i];

		if (it->settled)
			continue;
		if (it->len + 32 > r->max_body) {
			char *msg =
				xasprintf("the request for this meeting would be %zu bytes, more "
					  "than HubSpot accepts",
					  it->len);

			settle(r, it, BATCH_FAILED, NULL, msg, "VALIDATION_ERROR");
			free(msg);
			continue;
		}
		if (n && (n == r->max_inputs || bytes + it->len + 1 > r->max_body)) {
			job_push(r, job_new(op, idx, n), false);
			n = bytes = 0;
		}
		idx[n++] = i;
		bytes += it->len + 1;
	}
	if (n)
		job_push(r, job_new(op, idx, n), false);
	free(idx);
}

/* The job's item whose identity value (or, failing that, trace id) this is. */
static struct item *item_by_key(struct run *r, struct job *j, const char *key)
{
	if (!key)
		return NULL;
	for (size_t k = 0; k < j->n; k++) {
		struct item *it = &r->items[j->idx[k]];

		if (it->key && !strcmp(it->key, key))
			return it;
	}
	return NULL;
}

static struct item *item_by_trace(struct run *r, struct job *j, const char *trace)
{
	if (!trace)
		return NULL;
	for (size_t k = 0; k < j->n; k++)
		if (r->items[j->idx[k]].trace && !strcmp(r->items[j->idx[k]].trace, trace))
			return &r->items[j->idx[k]];
	return NULL;
}

static struct item *item_by_id(struct run *r, struct job *j, const char *id)
{
	if (!id)
		return NULL;
	for (size_t k = 0; k < j->n; k++)
		if (r->items[j->idx[k]].hs_id && !strcmp(r->items[j->idx[k]].hs_id, id))
			return &r->items[j->idx[k]];
	return NULL;
}

static const char *json_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* First string of error.context[name] (an array of strings). */
static const char *context_first(const cJSON *err, const char *name)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(err, "context");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, name);

	if (cJSON_IsArray(v))
		v = cJSON_GetArrayItem(v, 0);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- request bodies ----------------------------------------------------------------------- */

static cJSON *inputs_body(struct run *r, const struct job *j)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs = cJSON_AddArrayToObject(body, "inputs");

	for (size_t k = 0; k < j->n; k++)
		cJSON_AddItemReferenceToArray(inputs, r->items[j->idx[k]].input);
	return body;
}

/*
 * Search body for the job's unsettled keys. HubSpot wants lower-case values
 * for IN on strings: the keys are sent lower-cased, and the values that come
 * back are compared with the keys exactly (item_by_key), as UIDs are
 * case-sensitive.
 */
static cJSON *search_body(struct run *r, const struct job *j)
{
	cJSON *values, *body = hs_search_in_body(r->identity, &values);

	for (size_t k = 0; k < j->n; k++) /* the results are compared exactly */
		hs_search_in_add(values, r->items[j->idx[k]].key);
	hs_search_body_end(body, r->identity, NULL, NULL, 0, SEARCH_LIMIT, j->after);
	return body;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void stop_run(struct run *r, enum hs_result why, const char *message)
{
	if (r->stopped)
		return;
	r->stopped = true;
	r->stop = why;
	batch_progress_end();
	if (why == HS_DAILY_LIMIT)
		error("%s; stopping: meetings not sent yet are left for the next run, which will "
		      "continue where this one stopped",
		      message ? message : "HubSpot's daily API limit is reached");
	else
		error("%s; stopping", message ? message : hs_result_name(why));
}

/* A job the run will not send any more. */
static void abandon(struct run *r, struct job *j)
{
	for (size_t k = 0; k < j->n; k++) {
		struct item *it = &r->items[j->idx[k]];

		if (j->op == OP_SEARCH)
			settle(r, it, BATCH_FAILED, NULL,
			       "may have been created (the answer was lost); the run stopped before "
			       "it could be checked",
			       NULL);
		else
			settle(r, it, BATCH_NOT_SENT, NULL,
			       r->interrupted ? "not sent: interrupted"
					      : "not sent: the run stopped",
			       NULL);
	}
	job_free(j);
}

static void dispatch(struct run *r, struct job *j)
{
	cJSON *body;
	const char *path = PATH_SEARCH;
	bool idempotent = true;

	switch (j->op) {
	case OP_CREATE:
		if (r->o && r->o->on_pending) {
			struct meeting **ms = xmalloc(j->n * sizeof(*ms));
			int rc;

			for (size_t k = 0; k < j->n; k++)
				ms[k] = r->items[j->idx[k]].m;
			rc = r->o->on_pending(ms, j->n, r->o->data);
			free(ms);
			if (rc < 0) {
				stop_run(r, HS_FAILED,
					 "cannot record the meetings about to be created");
				abandon(r, j);
				return;
			}
		}
		path = PATH_CREATE;
		idempotent = false;
		break;
	case OP_UPDATE:
		path = PATH_UPDATE;
		break;
	case OP_ARCHIVE:
		path = PATH_ARCHIVE;
		break;
	case OP_SEARCH:
		break;
	}
	if (j->op == OP_SEARCH) {
		body = search_body(r, j);
	} else {
		body = inputs_body(r, j);
		for (size_t k = 0; k < j->n; k++)
			if (r->items[j->idx[k]].sends++ == 0)
				progress.sent++;
	}
	hs_submit(r->c, "POST", path, body, idempotent, j);
	cJSON_Delete(body);
	r->inflight++;
}

/* Split a job refused as a whole into halves; a single input fails with the message. */
static void bisect(struct run *r, struct job *j, const struct hs_response *resp)
{
	size_t half = j->n / 2;

	if (j->n == 1) {
		settle(r, &r->items[j->idx[0]], BATCH_FAILED, NULL, resp->message, resp->category);
		return;
	}
	verbose("HubSpot refused a batch of %zu (%s); splitting it to find the bad inputs", j->n,
		resp->message ? resp->message : "");
	job_push(r, job_new(j->op, j->idx + half, j->n - half), true);
	job_push(r, job_new(j->op, j->idx, half), true);
}

/* Queue a search for the job's unsettled items. */
static void resolve_later(struct run *r, struct job *j, enum origin origin, int tries,
			  const char *why)
{
	size_t *idx = xmalloc(j->n * sizeof(*idx)), n = 0;

	for (size_t k = 0; k < j->n; k++)
		if (!r->items[j->idx[k]].settled)
			idx[n++] = j->idx[k];
	for (size_t s = 0; s < n; s += SEARCH_KEYS) {
		struct job *sj =
			job_new(OP_SEARCH, idx + s, n - s < SEARCH_KEYS ? n - s : SEARCH_KEYS);

		sj->origin = origin;
		sj->tries = tries;
		sj->why = xstrdup(why);
		if (tries > 0)
			sj->not_before =
				time_mono_ms() + r->resolve_delay_ms * (1LL << (tries - 1));
		job_push(r, sj, false);
	}
	free(idx);
}

/* ---- answers of HubSpot's write validation (API 2026-09) ----------------------------------- */

static const char *const required_codes[] = {"MISSING_REQUIRED_PROPERTY",
					     "MISSING_CONDITIONAL_REQUIRED_PROPERTY"};

/* Which of required_codes `text` names, or NULL. */
static const char *required_code_in(const char *text)
{
	/* The conditional one first: it holds the other's letters. */
	for (int i = 1; i >= 0; i--)
		if (text && strstr(text, required_codes[i]))
			return required_codes[i];
	return NULL;
}

cJSON *batch_invalid_values(const char *msg)
{
	const char *list = msg ? strstr(msg, "not valid: [") : NULL;
	cJSON *arr;

	if (!list)
		list = msg ? strchr(msg, '[') : NULL;
	else
		list = strchr(list, '[');
	if (!list)
		return NULL;
	arr = cJSON_ParseWithOpts(list, NULL, false);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/*
 * An error (a batch's errors[i], or a whole refusal's body with its message)
 * saying the portal requires a property the input lacks: its code, and the
 * property's name in *name (NULL when HubSpot did not say; free it). HubSpot
 * names it in errors[].context.propertyName, or in the JSON list of the
 * message ("Property values were not valid: [{...,"error":"...","name":"x"}]").
 */
static const char *required_property(const cJSON *err, const char *msg, char **name)
{
	const char *code = NULL;
	const cJSON *e;
	cJSON *arr;

	*name = NULL;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(err, "errors"))
	{
		const char *c = required_code_in(json_str(e, "code"));
		const char *n = context_first(e, "propertyName");

		if (c) {
			code = c;
			if (n) {
				*name = xstrdup(n);
				return code;
			}
		}
	}
	if (!code && !(code = required_code_in(msg)))
		return NULL;
	arr = batch_invalid_values(msg);
	if (arr) {
		cJSON_ArrayForEach(e, arr)
		{
			const char *c = required_code_in(json_str(e, "error"));

			if (c && json_str(e, "name")) {
				code = c;
				*name = xstrdup(json_str(e, "name"));
				break;
			}
		}
		cJSON_Delete(arr);
	}
	return code;
}

/* The portal requires a property the mapping does not write: every meeting would fail. */
static void stop_required(struct run *r, const char *name, const char *code)
{
	char *why = xasprintf(
		"HubSpot requires the meeting property '%s' in this portal (%s) and the mapping "
		"does not set it: add it under 'properties:' in your mapping (a value or a "
		"template), then run the same command again",
		name ? name : "(not named by HubSpot)", code);

	stop_run(r, HS_CLIENT_ERROR, why);
	free(why);
}

/* PROPERTY_VALUE_NORMALIZED warnings: shown once per property, counted. */
static struct normalized {
	char *name;
	size_t count;
} * normalized;
static size_t nnormalized, normalized_cap;

static void note_warnings(const cJSON *result)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(result, "warnings"))
	{
		const char *cat = json_str(w, "category");
		const char *name = context_first(w, "propertyName");
		const char *msg = json_str(w, "message");
		size_t i;

		if (!cat || strcmp(cat, "PROPERTY_VALUE_NORMALIZED"))
			continue;
		if (!name)
			name = "?";
		for (i = 0; i < nnormalized && strcmp(normalized[i].name, name); i++)
			;
		if (i == nnormalized) {
			XGROW(normalized, normalized_cap, nnormalized + 1);
			normalized[nnormalized].name = xstrdup(name);
			normalized[nnormalized++].count = 0;
			batch_progress_end();
			warning("HubSpot changed a value of the meeting property '%s' to one it "
				"accepts (PROPERTY_VALUE_NORMALIZED%s%s); the mapping could write it "
				"as HubSpot stores it (shown once; the report counts them)",
				name, msg ? ": " : "", msg ? msg : "");
		}
		normalized[i].count++;
	}
}

bool batch_normalized(size_t i, const char **name, size_t *count)
{
	if (i >= nnormalized)
		return false;
	*name = normalized[i].name;
	*count = normalized[i].count;
	return true;
}

void batch_normalized_reset(void)
{
	for (size_t i = 0; i < nnormalized; i++)
		free(normalized[i].name);
	FREE_NULL(normalized);
	nnormalized = normalized_cap = 0;
}

/*
 * A create refused because an association names a record gone from HubSpot
 * (deleted since the attendee was looked up: INVALID_OBJECT_IDS, the ids in
 * context.invalidToObjectIds): drop those contact and company associations
 * from the input, say so, and true: the caller sends it again. False when the
 * error is another, or names an association given on the command line
 * (--associate: the same for every meeting, a configuration error).
 */
static bool drop_gone_associations(struct item *it, const cJSON *err)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(err, "context"), "invalidToObjectIds");
	const char *msg = json_str(err, "message");
	char *sub = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(err, "subCategory"));
	bool named = (msg && strstr(msg, "INVALID_OBJECT_IDS")) ||
		     (sub && strstr(sub, "INVALID_OBJECT_IDS"));
	struct meeting *m = it->m;
	size_t dropped = 0;
	const cJSON *id;

	cJSON_free(sub);
	if (!named || !cJSON_IsArray(ids) || !m || it->drops >= 3)
		return false;
	cJSON_ArrayForEach(id, ids)
	{
		for (size_t i = 0; cJSON_IsString(id) && i < m->nassocs; i++) {
			const struct assoc *a = &m->assocs[i];

			if (a->id && !strcmp(a->id, id->valuestring) && a->kind != ASSOC_CONTACT &&
			    a->kind != ASSOC_COMPANY)
				return false;
		}
	}
	cJSON_ArrayForEach(id, ids)
	{
		for (size_t i = 0; cJSON_IsString(id) && i < m->nassocs;) {
			struct assoc *a = &m->assocs[i];

			if (!a->id || strcmp(a->id, id->valuestring)) {
				i++;
				continue;
			}
			batch_progress_end();
			warning("%s: the %s %s (%s) is no longer in HubSpot: the meeting is created "
				"without it; the next run looks the attendee up again",
				m->where ? m->where : m->key, assoc_kind_name(a->kind), a->id,
				a->ref ? a->ref : "?");
			free(a->id);
			free(a->ref);
			memmove(a, a + 1, (m->nassocs - i - 1) * sizeof(*a));
			m->nassocs--;
			dropped++;
		}
	}
	if (!dropped)
		return false;
	it->drops++;
	cJSON_ReplaceItemInObjectCaseSensitive(it->input, "associations",
					       meeting_associations_json(m));
	item_measure(it);
	return true;
}

/* A create/update/archive answered 2xx: account for every input. */
/*
 * A refusal every later batch would share (issue #11 item 3): a property the
 * portal does not have, or — the same refusal for every input of a batch — a
 * value that is not among a property's options (one the mapping writes, not the
 * calendar: those differ per event), or an association to a record that does not
 * exist (--associate; an attendee's contact would differ per event).
 */
static bool config_error(const char *msg)
{
	return msg && (strstr(msg, "PROPERTY_DOESNT_EXIST") || strstr(msg, "INVALID_OPTION") ||
		       strstr(msg, "associations are invalid"));
}

static void stop_config(struct run *r, const char *msg)
{
	cJSON *bad = batch_invalid_values(msg);
	const cJSON *e;
	struct sbuf words = SBUF_INIT;
	char *why;

	/* HubSpot's list as "property: what is wrong"; its JSON only with -v */
	cJSON_ArrayForEach(e, bad)
	{
		sbuf_addf(&words, "%s%s: %s", words.len ? "; " : "",
			  json_str(e, "name") ? json_str(e, "name") : "?",
			  json_str(e, "message") ? json_str(e, "message") : "not valid");
	}
	cJSON_Delete(bad);
	if (words.len)
		verbose("HubSpot's answer: %s", msg);
	why = xasprintf("HubSpot refused a whole batch for a reason every batch would share "
			"(the mapping or the portal, not the calendar): %s",
			words.len ? words.buf : msg);
	sbuf_release(&words);

	stop_run(r, HS_CLIENT_ERROR, why);
	free(why);
}

static void handle_ok(struct run *r, struct job *j, const struct hs_response *resp)
{
	const cJSON *res, *err;
	char *first_err = NULL;
	const char *same = NULL; /* the one message every input of the batch failed with */
	size_t nsame = 0;
	const char *required = NULL; /* a required property the mapping does not set */
	char *required_name = NULL;
	size_t *again, nagain = 0;

	if (j->op == OP_ARCHIVE) {
		/* 204 (or 200/207): gone is gone, including ids HubSpot did not know. */
		for (size_t k = 0; k < j->n; k++)
			settle(r, &r->items[j->idx[k]], BATCH_ARCHIVED, NULL, NULL, NULL);
		return;
	}
	again = xmalloc((j->n ? j->n : 1) * sizeof(*again));
	cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(resp->body, "results"))
	{
		const char *id = json_str(res, "id");
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(res, "properties");
		struct item *it = NULL;

		if (!id)
			continue;
		note_warnings(res);
		if (j->op == OP_CREATE) {
			const char *key = json_str(props, r->identity);

			it = item_by_key(r, j, key);
			if (!it)
				it = item_by_trace(r, j, json_str(res, "objectWriteTraceId"));
		} else {
			it = item_by_id(r, j, id);
		}
		if (it)
			settle(r, it, j->op == OP_CREATE ? BATCH_CREATED : BATCH_UPDATED, id, NULL,
			       NULL);
	}
	cJSON_ArrayForEach(err, cJSON_GetObjectItemCaseSensitive(resp->body, "errors"))
	{
		const char *msg = json_str(err, "message");
		const char *cat = json_str(err, "category");
		struct item *it = item_by_trace(r, j, context_first(err, "objectWriteTraceId"));
		const cJSON *ids, *id;

		if (it && !it->settled && j->op == OP_CREATE && drop_gone_associations(it, err)) {
			it->requeued = true;
			again[nagain++] = (size_t)(it - r->items);
			continue;
		}
		if (it && !required) {
			char *name;
			const char *code = required_property(err, msg, &name);

			if (code) {
				required = code;
				required_name = name;
			}
		}
		if (it) {
			if (!it->settled && config_error(msg) && (!same || !strcmp(same, msg))) {
				same = msg;
				nsame++;
			}
			settle(r, it, BATCH_FAILED, NULL, msg, cat);
			continue;
		}
		/* OBJECT_NOT_FOUND on update lists the ids in context.ids. */
		ids = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(err, "context"), "ids");
		if (j->op == OP_UPDATE && cJSON_IsArray(ids)) {
			cJSON_ArrayForEach(id, ids)
			{
				if (cJSON_IsString(id) && (it = item_by_id(r, j, id->valuestring)))
					settle(r, it, BATCH_FAILED, NULL, msg, cat);
			}
			continue;
		}
		if (!first_err && msg)
			first_err = xasprintf("%s%s%s", cat ? cat : "", cat ? ": " : "", msg);
	}
	if (required)
		stop_required(r, required_name, required);
	else if (same && nsame == j->n && (j->n > 1 || strstr(same, "PROPERTY_DOESNT_EXIST")))
		stop_config(r, same);
	free(required_name);
	if (nagain) {
		verbose("sending %zu meeting(s) again without associations to records gone from "
			"HubSpot",
			nagain);
		job_push(r, job_new(OP_CREATE, again, nagain), true);
	}
	free(again);
	for (size_t k = 0; k < j->n; k++) {
		struct item *it = &r->items[j->idx[k]];
		char *why;

		if (it->settled)
			continue;
		if (j->op == OP_UPDATE) {
			why = xasprintf(
				"HubSpot answered HTTP %ld but did not confirm this update%s%s",
				resp->status, first_err ? ": " : "", first_err ? first_err : "");
			settle(r, it, BATCH_FAILED, NULL, why, NULL);
			free(why);
		}
	}
	if (j->op == OP_CREATE) {
		size_t missing = 0;

		for (size_t k = 0; k < j->n; k++) {
			struct item *it = &r->items[j->idx[k]];

			missing += !it->settled && !it->requeued;
			it->requeued = false;
		}
		if (missing) {
			char *why =
				xasprintf("HubSpot answered HTTP %ld without a result for %zu of "
					  "%zu inputs%s%s",
					  resp->status, missing, j->n, first_err ? ": " : "",
					  first_err ? first_err : "");

			batch_progress_end();
			warning("%s; looking them up", why);
			resolve_later(r, j, ORIGIN_UNACCOUNTED, 0, why);
			free(why);
		}
	}
	free(first_err);
}

/* Lowest numeric id first: the oldest record of duplicates. */
static bool id_older(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la != lb ? la < lb : strcmp(a, b) < 0;
}

static void handle_search(struct run *r, struct job *j, enum hs_result res,
			  const struct hs_response *resp)
{
	const cJSON *hit, *next;
	const char *after;
	size_t missing = 0;

	if (res != HS_OK) {
		char *msg = xasprintf("may have been created (%s), but looking it up failed: %s",
				      j->why ? j->why : "outcome unknown",
				      resp->message ? resp->message : hs_result_name(res));

		for (size_t k = 0; k < j->n; k++)
			settle(r, &r->items[j->idx[k]], BATCH_FAILED, NULL, msg, resp->category);
		free(msg);
		if (res == HS_AUTH || res == HS_DAILY_LIMIT || res == HS_FAILED)
			stop_run(r, res, resp->message);
		return;
	}
	cJSON_ArrayForEach(hit, cJSON_GetObjectItemCaseSensitive(resp->body, "results"))
	{
		const char *id = json_str(hit, "id");
		const char *key =
			json_str(cJSON_GetObjectItemCaseSensitive(hit, "properties"), r->identity);
		struct item *it = item_by_key(r, j, key);

		if (!it || !id)
			continue;
		if (it->found_id && strcmp(it->found_id, id)) {
			batch_progress_end();
			warning("HubSpot holds several meetings for '%s' (ids %s and %s); using the "
				"oldest",
				it->key, it->found_id, id);
			if (!id_older(id, it->found_id))
				continue;
		}
		free(it->found_id);
		it->found_id = xstrdup(id);
	}
	next = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(resp->body, "paging"), "next");
	after = json_str(next, "after");
	if (after && *after) {
		/* More matches (duplicates): read the next page of the same search. */
		struct job *more = job_new(OP_SEARCH, j->idx, j->n);

		more->origin = j->origin;
		more->tries = j->tries;
		more->why = xstrdup(j->why);
		more->after = xstrdup(after);
		job_push(r, more, true);
		return;
	}
	for (size_t k = 0; k < j->n; k++) {
		struct item *it = &r->items[j->idx[k]];
		char *msg;

		if (!it->found_id) {
			missing++;
			continue;
		}
		msg = xasprintf("%s; found in HubSpot by %s, not created again",
				j->why ? j->why : "outcome unknown", r->identity);
		settle(r, it, BATCH_FOUND, it->found_id, msg, NULL);
		free(msg);
	}
	if (!missing)
		return;
	if (j->tries + 1 < r->resolve_tries) {
		/* Search is eventually consistent: look again later before concluding. */
		resolve_later(r, j, j->origin, j->tries + 1, j->why);
		return;
	}
	if (j->origin == ORIGIN_UNACCOUNTED) {
		char *msg = xasprintf("%s; not found in HubSpot either", j->why);

		for (size_t k = 0; k < j->n; k++)
			settle(r, &r->items[j->idx[k]], BATCH_FAILED, NULL, msg, NULL);
		free(msg);
		return;
	}
	/* Surely not stored: create those again (a bounded number of times). */
	size_t *idx = xmalloc(j->n * sizeof(*idx)), n = 0;

	for (size_t k = 0; k < j->n; k++) {
		struct item *it = &r->items[j->idx[k]];

		if (it->settled)
			continue;
		if (it->sends >= MAX_CREATE_SENDS) {
			char *msg = xasprintf("%s, %d times; not found in HubSpot; giving up",
					      j->why, it->sends);

			settle(r, it, BATCH_FAILED, NULL, msg, NULL);
			free(msg);
			continue;
		}
		idx[n++] = j->idx[k];
	}
	if (n) {
		verbose("%zu meetings not found after an unanswered create; sending them again", n);
		job_push(r, job_new(OP_CREATE, idx, n), true);
	}
	free(idx);
}

static void handle(struct run *r, struct job *j, enum hs_result res, const struct hs_response *resp)
{
	if (j->op == OP_SEARCH) {
		handle_search(r, j, res, resp);
		return;
	}
	switch (res) {
	case HS_OK:
		handle_ok(r, j, resp);
		break;
	case HS_CLIENT_ERROR: {
		char *name;
		const char *code = resp->status == 400
					   ? required_property(resp->body, resp->message, &name)
					   : NULL;

		/* The portal requires a property the mapping does not set: stop (2026-09). */
		if (code) {
			for (size_t k = 0; k < j->n; k++)
				settle(r, &r->items[j->idx[k]], BATCH_FAILED, NULL, resp->message,
				       resp->category);
			stop_required(r, name, code);
			free(name);
			break;
		}
		/* The whole batch refused for a property the portal lacks: no bisecting, stop. */
		if (resp->status == 400 && resp->message &&
		    strstr(resp->message, "PROPERTY_DOESNT_EXIST")) {
			for (size_t k = 0; k < j->n; k++)
				settle(r, &r->items[j->idx[k]], BATCH_FAILED, NULL, resp->message,
				       resp->category);
			stop_config(r, resp->message);
			break;
		}
		if (resp->status == 400 || resp->status == 409 || resp->status == 413 ||
		    resp->status == 422) {
			bisect(r, j, resp);
			break;
		}
		for (size_t k = 0; k < j->n; k++)
			settle(r, &r->items[j->idx[k]], BATCH_FAILED, NULL, resp->message,
			       resp->category);
		break;
	}
	case HS_UNKNOWN_OUTCOME: {
		char *why = xasprintf("a create got no reliable answer (%s)",
				      resp->message ? resp->message : "no answer");

		batch_progress_end();
		warning("%s; looking up its %zu meetings before sending any again", why, j->n);
		resolve_later(r, j, ORIGIN_UNKNOWN, 0, why);
		free(why);
		break;
	}
	case HS_AUTH:
	case HS_DAILY_LIMIT:
	case HS_FAILED:
		/*
		 * Refused before processing (401/403/429), or never delivered: a
		 * create that may have been processed ends HS_UNKNOWN_OUTCOME, not
		 * here. An update or archive that exhausted its retries after
		 * being sent may have been applied: it failed (a re-run repeats it).
		 */
		for (size_t k = 0; k < j->n; k++)
			settle(r, &r->items[j->idx[k]],
			       j->op == OP_CREATE || !resp->sent || res != HS_FAILED
				       ? BATCH_NOT_SENT
				       : BATCH_FAILED,
			       NULL, resp->message, resp->category);
		stop_run(r, res, resp->message);
		break;
	}
}

static enum hs_result run_loop(struct run *r)
{
	int parallel = hs_client_parallel(r->c);

	for (;;) {
		int64_t now = time_mono_ms(), next_ready = INT64_MAX;
		struct job **pp = &r->ready;
		void *tag;
		enum hs_result res;
		struct hs_response resp;

		if (!r->stopped && util_interrupted()) {
			/* The requests in flight are answered; no other is sent. */
			r->stopped = r->interrupted = true;
			r->stop = HS_OK;
			batch_progress_end();
		}
		while (*pp) {
			struct job *j = *pp;

			if (r->stopped) {
				*pp = j->next;
				abandon(r, j);
				continue;
			}
			if (j->not_before > now) {
				if (j->not_before < next_ready)
					next_ready = j->not_before;
				pp = &j->next;
				continue;
			}
			if (r->inflight >= (size_t)parallel ||
			    (r->o->first_alone && !r->answered && r->inflight))
				break;
			*pp = j->next;
			dispatch(r, j);
		}
		if (!r->inflight) {
			if (!r->ready)
				break;
			if (next_ready != INT64_MAX)
				sleep_ms(next_ready - now);
			continue;
		}
		if (!hs_next(r->c, next_ready == INT64_MAX ? 1000 : (long)(next_ready - now), &tag,
			     &res, &resp)) {
			progress_show(r->c, false);
			continue;
		}
		r->inflight--;
		r->answered = true;
		handle(r, tag, res, &resp);
		job_free(tag);
		hs_response_release(&resp);
		progress_show(r->c, false);
	}
	for (size_t i = 0; i < r->nitems; i++)
		if (!r->items[i].settled)
			settle(r, &r->items[i], r->stopped ? BATCH_NOT_SENT : BATCH_FAILED, NULL,
			       "not accounted for", NULL);
	progress_show(r->c, true);
	return r->stopped ? r->stop : HS_OK;
}

/* ---- entry points ------------------------------------------------------------------------- */

static void item_measure(struct item *it)
{
	char *text = cJSON_PrintUnformatted(it->input);

	it->len = text ? strlen(text) : 0;
	cJSON_free(text);
}

/* A create's or an update's item: its meeting, key and trace, and its input: "id" (an update's),
 * "properties" with the identity, "associations" (a create's), "objectWriteTraceId". */
static void item_init(const struct run *r, struct item *it, enum op op, struct meeting *m,
		      const char *id)
{
	cJSON *props;

	it->m = m;
	it->key = m->key;
	it->hs_id = id;
	it->trace = meeting_trace_id(m);
	it->input = cJSON_CreateObject();
	if (op == OP_UPDATE)
		cJSON_AddStringToObject(it->input, "id", id);
	props = m->properties ? cJSON_Duplicate(m->properties, true) : cJSON_CreateObject();
	/* The identity travels with every write: a create's results are matched by it, and an
	 * adopted meeting (found, or logged by HubSpot's sync) becomes ours. */
	if (m->key && !cJSON_GetObjectItemCaseSensitive(props, r->identity))
		cJSON_AddStringToObject(props, r->identity, m->key);
	cJSON_AddItemToObject(it->input, "properties", props);
	if (op == OP_CREATE && r->o && r->o->claim_of) {
		const char *claim = r->o->claim_of(m, r->o->claim_data);

		if (claim && !cJSON_GetObjectItemCaseSensitive(props, CLAIMS_PROPERTY))
			cJSON_AddStringToObject(props, CLAIMS_PROPERTY, claim);
	}
	if (op == OP_CREATE)
		cJSON_AddItemToObject(it->input, "associations", meeting_associations_json(m));
	cJSON_AddStringToObject(it->input, "objectWriteTraceId", it->trace);
	item_measure(it);
}

enum hs_result batch_create(struct hs_client *c, struct meeting **ms, size_t n,
			    const struct batch_options *o)
{
	struct run r;
	enum hs_result ret;

	run_init(&r, c, o, n);
	for (size_t i = 0; i < n; i++)
		item_init(&r, &r.items[i], OP_CREATE, ms[i], NULL);
	chunk(&r, OP_CREATE);
	ret = run_loop(&r);
	run_release(&r);
	return ret;
}

enum hs_result batch_update(struct hs_client *c, struct meeting **ms, char *const *ids, size_t n,
			    const struct batch_options *o)
{
	struct run r;
	enum hs_result ret;

	run_init(&r, c, o, n);
	for (size_t i = 0; i < n; i++)
		item_init(&r, &r.items[i], OP_UPDATE, ms[i], ids[i]);
	chunk(&r, OP_UPDATE);
	ret = run_loop(&r);
	run_release(&r);
	return ret;
}

enum hs_result batch_archive(struct hs_client *c, char *const *ids, size_t n,
			     const struct batch_options *o)
{
	struct run r;
	enum hs_result ret;

	run_init(&r, c, o, n);
	for (size_t i = 0; i < n; i++) {
		struct item *it = &r.items[i];

		it->hs_id = ids[i];
		it->input = cJSON_CreateObject();
		cJSON_AddStringToObject(it->input, "id", ids[i]);
		item_measure(it);
	}
	chunk(&r, OP_ARCHIVE);
	ret = run_loop(&r);
	run_release(&r);
	return ret;
}

enum hs_result batch_find_by_identity(struct hs_client *c, const char *identity_property,
				      char *const *keys, size_t n, char **ids_out)
{
	cJSON **hits = xcalloc(n ? n : 1, sizeof(*hits));
	enum hs_result ret;

	/* The same look-up as search before create: concurrent, at the search rate. */
	ret = batch_search_property(c, identity_property ? identity_property : DEFAULT_IDENTITY,
				    (const char *const *)keys, n, NULL, 0, hits, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *best = NULL;
		const cJSON *hit;

		/* Several meetings for one key (duplicates made before): the oldest. */
		cJSON_ArrayForEach(hit, hits[i])
		{
			const char *id = json_str(hit, "id");

			if (id && (!best || id_older(id, best)))
				best = id;
		}
		ids_out[i] = best ? xstrdup(best) : NULL;
		cJSON_Delete(hits[i]);
	}
	free(hits);
	return ret;
}

/* ---- look-ups by one property (search before create, iCal UIDs) ---------------------------- */

/*
 * A search the client gave up on after its 429s (MAX_THROTTLES): the portal's
 * search rate is shared, so it is waited out and asked again, a few times,
 * before it counts as a failure.
 */
#define SEARCH_THROTTLE_ROUNDS 3

struct sp_value {
	const char *value;
	size_t index;
};

static int cmp_sp_value(const void *a, const void *b)
{
	return strcmp(((const struct sp_value *)a)->value, ((const struct sp_value *)b)->value);
}

/* One search request of a look-up (SEARCH_VALUES distinct values at most) and its pages. */
struct sp_chunk {
	const size_t *idx; /* into values */
	size_t n;
	char *after; /* the page to ask for next; NULL: the first */
	long seen; /* results read so far */
	int rounds; /* asked again after the client gave up on 429s */
};

/* What every chunk of one batch_search_property call shares. */
struct sp_search {
	struct hs_client *c;
	const char *property;
	const struct sp_value *sorted; /* every value, sorted, with its index */
	size_t nsorted;
	const char *const *values;
	const char *const *props;
	size_t nprops;
	cJSON **hits_out;
};

/* Queue the chunk's next page (its values lower-cased in the filter); the client paces it. */
static void search_chunk(const struct sp_search *s, struct sp_chunk *ch)
{
	cJSON *vals, *body = hs_search_in_body(s->property, &vals);

	for (size_t k = 0; k < ch->n; k++)
		hs_search_in_add(vals, s->values[ch->idx[k]]);
	hs_search_body_end(body, s->property, NULL, s->props, s->nprops, SEARCH_LIMIT, ch->after);
	hs_submit(s->c, "POST", PATH_SEARCH, body, true, ch);
	cJSON_Delete(body);
}

/*
 * One page of a chunk answered: each result goes to every value it equals
 * exactly (UIDs are case-sensitive), whatever the order pages and chunks are
 * answered in. True when the chunk has a next page to ask for (at most
 * SEARCH_MAX_RESULTS results are read: HubSpot pages no further).
 */
static bool search_chunk_read(const struct sp_search *s, struct sp_chunk *ch, const cJSON *body)
{
	const cJSON *hit;
	const char *next;

	FREE_NULL(ch->after);
	cJSON_ArrayForEach(hit, cJSON_GetObjectItemCaseSensitive(body, "results"))
	{
		const cJSON *hp = cJSON_GetObjectItemCaseSensitive(hit, "properties");
		struct sp_value key = {.value = json_str(hp, s->property)};
		const struct sp_value *at;

		ch->seen++;
		if (!key.value || !json_str(hit, "id"))
			continue;
		at = bsearch(&key, s->sorted, s->nsorted, sizeof(*s->sorted), cmp_sp_value);
		while (at && at > s->sorted && !strcmp(at[-1].value, key.value))
			at--;
		for (; at && at < s->sorted + s->nsorted && !strcmp(at->value, key.value); at++) {
			if (!s->hits_out[at->index])
				s->hits_out[at->index] = cJSON_CreateArray();
			cJSON_AddItemToArray(s->hits_out[at->index], cJSON_Duplicate(hit, true));
		}
	}
	next = json_str(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(body, "paging"), "next"),
			"after");
	if (next && *next && ch->seen + SEARCH_LIMIT <= SEARCH_MAX_RESULTS)
		ch->after = xstrdup(next);
	else if (next && *next)
		warning("more than %d meetings share %zu %s values: only the first %d were "
			"looked at",
			SEARCH_MAX_RESULTS, ch->n, s->property, SEARCH_MAX_RESULTS);
	return ch->after != NULL;
}

enum hs_result batch_search_property(struct hs_client *c, const char *property,
				     const char *const *values, size_t n, const char *const *props,
				     size_t nprops, cJSON **hits_out, size_t *requests)
{
	struct sp_value *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	size_t *idx = xcalloc(n ? n : 1, sizeof(*idx)), nu = 0, dummy = 0;
	size_t nchunks, next = 0, out = 0, window, keys_done = 0;
	struct sp_chunk *chunks;
	struct sp_search s = {.c = c,
			      .property = property,
			      .sorted = sorted,
			      .nsorted = n,
			      .values = values,
			      .props = props,
			      .nprops = nprops,
			      .hits_out = hits_out};
	enum hs_result ret = HS_OK;

	if (!requests)
		requests = &dummy;
	for (size_t i = 0; i < n; i++) {
		hits_out[i] = NULL;
		sorted[i].value = values[i];
		sorted[i].index = i;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_sp_value);
	/* One request per SEARCH_VALUES distinct values (the same value is asked once). */
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(sorted[i].value, sorted[i - 1].value))
			idx[nu++] = sorted[i].index;
	nchunks = (nu + SEARCH_VALUES - 1) / SEARCH_VALUES;
	chunks = xcalloc(nchunks ? nchunks : 1, sizeof(*chunks));
	for (size_t k = 0; k < nchunks; k++) {
		chunks[k].idx = idx + k * SEARCH_VALUES;
		chunks[k].n = nu - k * SEARCH_VALUES < SEARCH_VALUES ? nu - k * SEARCH_VALUES
								     : SEARCH_VALUES;
	}
	/*
	 * As many requests outstanding as the client sends at once: its search
	 * limiter, not the answers, sets the pace (HubSpot allows 5 searches a
	 * second; one at a time, each would also wait for the latency). A chunk's
	 * pages follow each other; chunks are answered in any order.
	 */
	window = hs_client_parallel(c) > 0 ? (size_t)hs_client_parallel(c) : 1;
	lookup_progress(property, 0, nu, 0);
	for (;;) {
		void *tag;
		enum hs_result res;
		struct hs_response resp;
		struct sp_chunk *ch;

		/* Ctrl-C: the searches in flight are answered, no other is asked */
		while (ret == HS_OK && !util_interrupted() && next < nchunks && out < window) {
			search_chunk(&s, &chunks[next++]);
			(*requests)++;
			out++;
		}
		if (!out)
			break;
		if (!hs_next(c, -1, &tag, &res, &resp)) {
			if (!hs_outstanding(c))
				BUG("%zu search(es) outstanding, none in the client", out);
			continue;
		}
		out--;
		ch = tag;
		if (res == HS_FAILED && resp.status == 429 && ret == HS_OK &&
		    ch->rounds++ < SEARCH_THROTTLE_ROUNDS) {
			/* Waited out, not a failure; the same request, not one more asked. */
			verbose("a search still throttled (429) after the client's retries; asking "
				"again");
			search_chunk(&s, ch);
			out++;
		} else if (res != HS_OK) {
			/* The first failure is the one told; the rest only drain. */
			if (ret == HS_OK)
				error("cannot look meetings up in HubSpot: %s",
				      resp.message ? resp.message : hs_result_name(res));
			if (ret == HS_OK)
				ret = res;
		} else if (search_chunk_read(&s, ch, resp.body) && ret == HS_OK &&
			   !util_interrupted()) {
			search_chunk(&s, ch);
			(*requests)++;
			out++;
		} else {
			keys_done += ch->n;
		}
		hs_response_release(&resp);
		lookup_progress(property, keys_done, nu, *requests);
	}
	batch_progress_end();
	for (size_t k = 0; k < nchunks; k++)
		free(chunks[k].after);
	free(chunks);
	free(sorted);
	free(idx);
	return ret;
}
