/*
 * t-batch: batch_create/update/archive/find against the sandbox (started here
 * with posix_spawn): accounting, 207, bisecting, every fault, rate limits.
 */
#include "batch.h"
#include "http.h"
#include "hubspot.h"
#include "meeting.h"
#include "routes.h"
#include "util.h"

#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SANDBOX	 "tests/sandbox/sandbox.py"
#define IDENTITY "ics2hubspot_key"

static pid_t sandbox_pid;
static char base[64];
static char port_file[64];
static struct http_client *admin_http;

static void sandbox_stop(void)
{
	if (sandbox_pid > 0) {
		kill(sandbox_pid, SIGTERM);
		waitpid(sandbox_pid, NULL, 0);
		sandbox_pid = 0;
	}
	unlink(port_file);
}

/* Start the sandbox with extra options; 0 or -1 (not available: the test is skipped). */
static int sandbox_start(const char *const *extra)
{
	const char *args[32] = {"/usr/bin/python3", SANDBOX,  "--port", "0",
				"--port-file",	    port_file};
	char *argv[32];
	size_t n = 6;
	posix_spawn_file_actions_t fa;
	char *port = NULL;
	size_t len;
	int rc = -1;

	snprintf(port_file, sizeof(port_file), "/tmp/t-batch.%d.port", (int)getpid());
	unlink(port_file);
	for (; extra && *extra && n < 30; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	for (size_t i = 0; i <= n; i++)
		argv[i] = xstrdup(args[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (util_verbosity < 2)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!access(argv[0], X_OK) && !access(SANDBOX, R_OK) &&
	    !posix_spawn(&sandbox_pid, argv[0], &fa, NULL, argv, environ)) {
		for (int i = 0; i < 100 && rc; i++) {
			sleep_ms(100);
			if (!access(port_file, R_OK) && !file_read_all(port_file, &port, &len) &&
			    len) {
				snprintf(base, sizeof(base), "http://127.0.0.1:%d", atoi(port));
				rc = 0;
			}
			FREE_NULL(port);
		}
	}
	for (size_t i = 0; i <= n; i++)
		free(argv[i]);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Admin API call; returns the parsed body (caller frees). */
static cJSON *admin(const char *method, const char *path, const char *body)
{
	struct http_request req;
	struct http_result res;
	char *url = xasprintf("%s%s", base, path);
	cJSON *json = NULL;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = 10000;
	req.resend_ok = true;
	http_perform(admin_http, &req, &res);
	if (res.err == HTTP_E_NONE && res.body.len)
		json = cJSON_Parse(res.body.buf);
	if (res.status != 200)
		fprintf(stderr, "admin %s %s: HTTP %ld\n", method, path, res.status);
	http_result_release(&res);
	free(url);
	return json;
}

static void admin_do(const char *method, const char *path, const char *body)
{
	cJSON_Delete(admin(method, path, body));
}

static void reset(const char *faults)
{
	admin_do("POST", "/_sandbox/reset", "{}");
	if (faults)
		admin_do("POST", "/_sandbox/faults", faults);
}

static long stat_of(const char *what)
{
	cJSON *st = admin("GET", "/_sandbox/stats", NULL);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, what);
	long n = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;

	cJSON_Delete(st);
	return n;
}

/* ---- meetings ----------------------------------------------------------------------------- */

static struct meeting *make_meetings(const char *prefix, size_t n)
{
	struct meeting *ms = xcalloc(n, sizeof(*ms));

	for (size_t i = 0; i < n; i++) {
		struct meeting *m = &ms[i];
		char ts[32];

		m->uid = xasprintf("%s-%zu@example.com", prefix, i);
		m->key = xasprintf("%s#20240301T%02zu%02zu00Z", m->uid, i / 60 % 24, i % 60);
		m->where = xasprintf("test.ics:%zu", i + 1);
		m->properties = cJSON_CreateObject();
		time_format_utc(1709285400 + (int64_t)i * 3600, ts, sizeof(ts));
		cJSON_AddStringToObject(m->properties, "hs_timestamp", ts);
		cJSON_AddStringToObject(m->properties, "hs_meeting_title", m->uid);
		cJSON_AddStringToObject(m->properties, IDENTITY, m->key);
	}
	return ms;
}

static void free_meetings(struct meeting *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		meeting_release(&ms[i]);
	free(ms);
}

struct outcome {
	size_t n;
	size_t count[6];
	int *status; /* per meeting index, -1 none */
	int *calls; /* on_result calls per meeting */
	char **ids;
	char **cats;
	char **msgs;
	struct meeting *base;
	size_t pending_calls, pending_inputs;
};

static void on_result(const struct batch_result *r, void *data)
{
	struct outcome *o = data;
	size_t i = r->m ? (size_t)(r->m - o->base) : 0;

	o->count[r->status]++;
	if (!r->m || i >= o->n)
		return;
	o->status[i] = (int)r->status;
	o->calls[i]++;
	free(o->ids[i]);
	o->ids[i] = xstrdup(r->id);
	free(o->cats[i]);
	o->cats[i] = xstrdup(r->category);
	free(o->msgs[i]);
	o->msgs[i] = xstrdup(r->message);
}

static int on_pending(struct meeting *const *ms, size_t n, void *data)
{
	struct outcome *o = data;

	(void)ms;
	o->pending_calls++;
	o->pending_inputs += n;
	return 0;
}

static void outcome_init(struct outcome *o, struct meeting *ms, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->n = n;
	o->base = ms;
	o->status = xmalloc(n * sizeof(int));
	o->calls = xcalloc(n, sizeof(int));
	o->ids = xcalloc(n, sizeof(char *));
	o->cats = xcalloc(n, sizeof(char *));
	o->msgs = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		o->status[i] = -1;
}

static void outcome_release(struct outcome *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->ids[i]);
		free(o->cats[i]);
		free(o->msgs[i]);
	}
	free(o->ids);
	free(o->cats);
	free(o->msgs);
	free(o->status);
	free(o->calls);
}

static struct hs_client *client(const char *token, int rate)
{
	struct hs_options ho;

	memset(&ho, 0, sizeof(ho));
	ho.api_base = base;
	ho.token = token ? token : "test-token";
	ho.rate_max = rate;
	ho.rate_interval_ms = 10000;
	ho.retry_budget_s = 30;
	return hs_client_new(&ho);
}

/* The sandbox is a fresh portal: create the identity property as `ics2hubspot setup` does. */
static void portal_ready(void)
{
	struct hs_client *c = client(NULL, 100);
	struct hs_response resp;
	cJSON *b = cJSON_Parse("{\"name\":\"ics2hubspot\",\"label\":\"ics2hubspot\"}");

	CHECK(hs_call(c, "POST", hs_route(HS_MEETING_PROPERTY_GROUPS), b, true, &resp) == HS_OK);
	hs_response_release(&resp);
	cJSON_Delete(b);
	b = cJSON_Parse("{\"name\":\"" IDENTITY "\",\"label\":\"key\",\"type\":\"string\","
			"\"fieldType\":\"text\",\"groupName\":\"ics2hubspot\"}");
	CHECK(hs_call(c, "POST", hs_route(HS_MEETING_PROPERTIES), b, true, &resp) == HS_OK);
	hs_response_release(&resp);
	cJSON_Delete(b);
	hs_client_free(c);
	reset(NULL);
}

static enum hs_result create(struct meeting *ms, size_t n, struct outcome *out, int batch_size,
			     struct hs_client **cp)
{
	struct hs_client *c = cp && *cp ? *cp : client(NULL, 100);
	struct batch_options bo;
	struct meeting **ptrs = xmalloc(n * sizeof(*ptrs));
	enum hs_result r;

	memset(&bo, 0, sizeof(bo));
	bo.identity_property = IDENTITY;
	bo.on_result = on_result;
	bo.on_pending = on_pending;
	bo.data = out;
	bo.resolve_tries = 3;
	bo.resolve_delay_ms = 300;
	bo.max_inputs = batch_size;
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &ms[i];
	r = batch_create(c, ptrs, n, &bo);
	free(ptrs);
	if (cp && !*cp)
		*cp = c;
	else if (!cp)
		hs_client_free(c);
	return r;
}

/*
 * The sandbox holds exactly one live meeting per key of ms[0..n) (and no
 * other), and each on_result id is that meeting's id.
 */
static void check_exactly_once(struct meeting *ms, size_t n, const struct outcome *o,
			       const char *what)
{
	cJSON *all = admin("GET", "/_sandbox/meetings", NULL);
	const cJSON *m;
	size_t *seen = xcalloc(n, sizeof(*seen)), live = 0, bad = 0;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(all, "meetings"))
	{
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(m, "properties");
		const char *key =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(props, IDENTITY));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "archived")))
			continue;
		live++;
		for (size_t i = 0; i < n; i++) {
			if (key && !strcmp(key, ms[i].key)) {
				seen[i]++;
				if (!o->ids[i] || !id || strcmp(o->ids[i], id))
					bad++;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (seen[i] != 1 || o->calls[i] != 1) {
			fprintf(stderr, "%s: '%s' stored %zu times, reported %d times\n", what,
				ms[i].key, seen[i], o->calls[i]);
			bad++;
		}
	}
	if (live != n)
		fprintf(stderr, "%s: %zu live meetings, want %zu\n", what, live, n);
	CHECK_INT(live, n);
	CHECK_INT(bad, 0);
	free(seen);
	cJSON_Delete(all);
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static void test_basic(void)
{
	size_t n = 250;
	struct meeting *ms = make_meetings("basic", n);
	struct outcome o;

	reset(NULL);
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, NULL), HS_OK);
	CHECK_INT(o.count[BATCH_CREATED], n);
	CHECK_INT(o.pending_calls, 3);
	CHECK_INT(o.pending_inputs, n);
	check_exactly_once(ms, n, &o, "basic");
	/* 250 inputs: 3 requests of at most 100. */
	CHECK_INT(stat_of("requests"), 3);
	outcome_release(&o);
	free_meetings(ms, n);
}

static void test_partial_and_bisect(void)
{
	size_t n = 40;
	struct meeting *ms = make_meetings("partial", n);
	struct outcome o;

	reset(NULL);
	/* 207: an unknown property fails that input only. */
	cJSON_AddStringToObject(ms[3].properties, "no_such_property", "x");
	cJSON_DeleteItemFromObject(ms[7].properties, "hs_timestamp");
	/* 400 for the whole batch (spec violation: a number): bisected. */
	cJSON_AddNumberToObject(ms[21].properties, "hs_meeting_body", 5);
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, NULL), HS_OK);
	CHECK_INT(o.count[BATCH_CREATED], n - 3);
	CHECK_INT(o.count[BATCH_FAILED], 3);
	CHECK_INT(o.status[3], BATCH_FAILED);
	CHECK_STR(o.cats[3], "VALIDATION_ERROR");
	CHECK(o.msgs[3] && strstr(o.msgs[3], "no_such_property"));
	CHECK_INT(o.status[7], BATCH_FAILED);
	CHECK_INT(o.status[21], BATCH_FAILED);
	CHECK_STR(o.cats[21], "VALIDATION_ERROR");
	for (size_t i = 0; i < n; i++)
		CHECK_INT(o.calls[i], 1);
	/* Bisecting 40 with one bad: at most 2*log2(40)+1 extra requests. */
	CHECK(stat_of("requests") <= 14);
	outcome_release(&o);
	free_meetings(ms, n);
}

/*
 * API 2026-09: an attendee's contact deleted between its look-up and the
 * create (INVALID_OBJECT_IDS): the meeting is created without that
 * association, once, and keeps the others.
 */
static void test_gone_association(void)
{
	size_t n = 3;
	struct meeting *ms = make_meetings("gone", n);
	struct outcome o;

	reset(NULL);
	admin_do("POST", "/_sandbox/seed",
		 "{\"contacts\":[{\"id\":\"501\",\"email\":\"kept@example.test\"}]}");
	meeting_add_assoc(&ms[0], ASSOC_CONTACT, "987654", "gone@example.test");
	meeting_add_assoc(&ms[0], ASSOC_CONTACT, "501", "kept@example.test");
	meeting_add_assoc(&ms[1], ASSOC_CONTACT, "501", "kept@example.test");
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, NULL), HS_OK);
	CHECK_INT(o.count[BATCH_CREATED], n);
	CHECK_INT(o.count[BATCH_FAILED], 0);
	check_exactly_once(ms, n, &o, "gone association");
	CHECK_INT(ms[0].nassocs, 1);
	CHECK_STR(ms[0].nassocs ? ms[0].assocs[0].id : NULL, "501");
	CHECK_INT(ms[1].nassocs, 1);
	/* One create for all three, one more for the meeting sent again. */
	CHECK_INT(stat_of("requests"), 2);
	outcome_release(&o);
	free_meetings(ms, n);
}

/*
 * API 2026-09 enforces the portal's required properties: a batch whose inputs
 * lack one fails them, stops the run (HS_CLIENT_ERROR: a configuration error)
 * and names the property; nothing is created.
 */
static void test_required_property(void)
{
	size_t n = 30;
	struct meeting *ms = make_meetings("required", n);
	struct outcome o;

	reset(NULL);
	admin_do("POST", "/_sandbox/config", "{\"required_properties\":[\"hs_meeting_location\"]}");
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 10, NULL), HS_CLIENT_ERROR);
	CHECK_INT(o.count[BATCH_CREATED], 0);
	CHECK_INT(o.count[BATCH_FAILED] + o.count[BATCH_NOT_SENT], n);
	CHECK(o.count[BATCH_FAILED] >= 10);
	CHECK(o.msgs[0] && strstr(o.msgs[0], "hs_meeting_location"));
	for (size_t i = 0; i < n; i++)
		CHECK_INT(o.calls[i], 1);
	CHECK_INT(stat_of("meetings_created"), 0);
	admin_do("POST", "/_sandbox/config", "{\"required_properties\":[]}");
	outcome_release(&o);
	free_meetings(ms, n);
}

/* PROPERTY_VALUE_NORMALIZED: counted per property, every meeting created. */
static void test_normalized(void)
{
	size_t n = 5;
	struct meeting *ms = make_meetings("normalized", n);
	struct outcome o;
	const char *name = NULL;
	size_t count = 0;

	reset(NULL);
	batch_normalized_reset();
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(ms[i].properties, "hs_meeting_outcome", "scheduled");
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, NULL), HS_OK);
	CHECK_INT(o.count[BATCH_CREATED], n);
	CHECK(batch_normalized(0, &name, &count));
	CHECK_STR(name, "hs_meeting_outcome");
	CHECK_INT(count, n);
	CHECK(!batch_normalized(1, &name, &count));
	batch_normalized_reset();
	CHECK(!batch_normalized(0, &name, &count));
	outcome_release(&o);
	free_meetings(ms, n);
}

struct fault_case {
	const char *name;
	const char *faults;
	int want_found; /* created by the lost request and found (1), or re-created (0) */
};

static void test_faults(void)
{
	static const struct fault_case cases[] = {
		{"500",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"status\",\"status\":500,\"skip\":1}]}",
		 0},
		{"502",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"status\",\"status\":502}]}",
		 0},
		{"503",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"status\",\"status\":503,\"skip\":2}]}",
		 0},
		{"504",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"status\",\"status\":504,\"count\":2}]}",
		 0},
		{"reset",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"reset\",\"skip\":1}]}",
		 0},
		{"store_then_502",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"store_then_status\",\"status\":502}]}",
		 1},
		{"store_then_reset",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/"
		 "create\",\"action\":\"store_then_reset\",\"skip\":1}]}",
		 1},
		{"truncate",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"truncate\"}]}",
		 1},
		{"slow",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"slow\",\"delay_ms\":1500}]}",
		 1},
		{"429",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"rate_limit\",\"policy\":\"TEN_SECONDLY_ROLLING\","
		 "\"retry_after\":1,\"count\":2}]}",
		 -1},
		{"search 500",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"store_then_status\",\"status\":502},{\"path\":\"/crm/objects/"
		 "2026-09/meetings/search\",\"action\":\"status\",\"status\":500}]}",
		 1},
		{"search 429",
		 "{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
		 "\"action\":\"store_then_status\",\"status\":504},{\"path\":\"/crm/objects/"
		 "2026-09/meetings/search\",\"action\":\"rate_limit\",\"policy\":"
		 "\"SECONDLY\"}]}",
		 1},
	};
	size_t n = 120;

	setenv("ICS2HUBSPOT_HTTP_TIMEOUT_MS", "800", 1);
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct meeting *ms = make_meetings(cases[k].name, n);
		struct outcome o;
		struct hs_client *c = NULL;
		long created_by_sandbox;

		reset(cases[k].faults);
		outcome_init(&o, ms, n);
		CHECK_INT(create(ms, n, &o, 40, &c), HS_OK);
		check_exactly_once(ms, n, &o, cases[k].name);
		created_by_sandbox = stat_of("meetings_created");
		/* Never a duplicate: the sandbox created each meeting once. */
		CHECK_INT(created_by_sandbox, n);
		if (cases[k].want_found == 1)
			CHECK(o.count[BATCH_FOUND] > 0);
		else if (cases[k].want_found == 0)
			CHECK_INT(o.count[BATCH_FOUND], 0);
		if (cases[k].want_found >= 0)
			CHECK(hs_client_stats(c)->unknown > 0);
		else
			CHECK_INT(hs_client_stats(c)->throttled, 2);
		CHECK_INT(o.count[BATCH_CREATED] + o.count[BATCH_FOUND], n);
		hs_client_free(c);
		outcome_release(&o);
		free_meetings(ms, n);
	}
	unsetenv("ICS2HUBSPOT_HTTP_TIMEOUT_MS");
}

/* Search lags behind creates: the first look-up misses, a later one finds. */
static void test_eventual_consistency(void)
{
	size_t n = 30;
	struct meeting *ms = make_meetings("eventual", n);
	struct outcome o;
	struct hs_client *c = NULL;

	reset("{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
	      "\"action\":\"store_then_status\",\"status\":502}]}");
	admin_do("POST", "/_sandbox/config", "{\"search_delay_ms\":800}");
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, &c), HS_OK);
	CHECK_INT(o.count[BATCH_FOUND], n);
	CHECK(hs_client_stats(c)->searches >= 2);
	check_exactly_once(ms, n, &o, "eventual");
	admin_do("POST", "/_sandbox/config", "{\"search_delay_ms\":0}");
	hs_client_free(c);
	outcome_release(&o);
	free_meetings(ms, n);
}

/* 429 DAILY and 401 stop the run; what was not sent is reported so. */
static void test_stop_conditions(void)
{
	size_t n = 50;
	struct meeting *ms = make_meetings("stop", n);
	struct outcome o;
	struct hs_client *c;

	/* 429 DAILY after the first batch: the rest are not sent. */
	reset("{\"faults\":[{\"path\":\"/crm/objects/2026-09/meetings/batch/create\","
	      "\"action\":\"rate_limit\",\"policy\":\"DAILY\",\"skip\":1,\"count\":-1}]}");
	outcome_init(&o, ms, n);
	c = client(NULL, 100);
	{
		struct batch_options bo;
		struct meeting *ptrs[50];

		memset(&bo, 0, sizeof(bo));
		bo.on_result = on_result;
		bo.data = &o;
		bo.max_inputs = 10;
		for (size_t i = 0; i < n; i++)
			ptrs[i] = &ms[i];
		/* One request in flight at a time makes "after the first" exact. */
		CHECK_INT(batch_create(c, ptrs, n, &bo), HS_DAILY_LIMIT);
	}
	CHECK_INT(o.count[BATCH_CREATED] + o.count[BATCH_NOT_SENT], n);
	CHECK(o.count[BATCH_CREATED] >= 10);
	CHECK(o.count[BATCH_NOT_SENT] >= 10);
	CHECK(hs_client_stats(c)->throttled_daily >= 1);
	hs_client_free(c);
	outcome_release(&o);

	/* A wrong token: 401 stops the run, with a message naming the fix. */
	reset(NULL);
	outcome_init(&o, ms, n);
	c = client("wrong-token", 100);
	{
		struct batch_options bo;
		struct meeting *ptrs[50];

		memset(&bo, 0, sizeof(bo));
		bo.on_result = on_result;
		bo.data = &o;
		for (size_t i = 0; i < n; i++)
			ptrs[i] = &ms[i];
		CHECK_INT(batch_create(c, ptrs, n, &bo), HS_AUTH);
	}
	CHECK_INT(o.count[BATCH_NOT_SENT], n);
	CHECK(o.msgs[0] && strstr(o.msgs[0], "HUBSPOT_ACCESS_TOKEN"));
	CHECK(o.msgs[0] && !strstr(o.msgs[0], "wrong-token"));
	hs_client_free(c);
	outcome_release(&o);
	free_meetings(ms, n);
}

static void test_update_archive_find(void)
{
	size_t n = 5;
	struct meeting *ms = make_meetings("upd", n);
	struct outcome o;
	struct hs_client *c = client(NULL, 100);
	struct batch_options bo;
	char *ids[5], *found[6];
	char *keys[6];
	struct meeting *ptrs[5];
	cJSON *all;
	const cJSON *m;
	size_t archived = 0;

	reset(NULL);
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, &c), HS_OK);
	for (size_t i = 0; i < n; i++) {
		ids[i] = xstrdup(o.ids[i]);
		keys[i] = ms[i].key;
		ptrs[i] = &ms[i];
	}
	keys[5] = ms[0].uid; /* not a key */
	CHECK_INT(batch_find_by_identity(c, IDENTITY, keys, 6, found), HS_OK);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(found[i], ids[i]);
		free(found[i]);
	}
	CHECK_STR(found[5], NULL);
	outcome_release(&o);

	/* Update: 4 known ids and one unknown. */
	free(ids[4]);
	ids[4] = xstrdup("999999999");
	cJSON_ReplaceItemInObject(ms[1].properties, "hs_meeting_title",
				  cJSON_CreateString("renamed"));
	outcome_init(&o, ms, n);
	memset(&bo, 0, sizeof(bo));
	bo.on_result = on_result;
	bo.data = &o;
	CHECK_INT(batch_update(c, ptrs, ids, n, &bo), HS_OK);
	CHECK_INT(o.count[BATCH_UPDATED], 4);
	CHECK_INT(o.status[4], BATCH_FAILED);
	CHECK_STR(o.cats[4], "OBJECT_NOT_FOUND");
	CHECK_STR(o.ids[1], ids[1]);
	outcome_release(&o);

	/* Archive: an unknown id counts as archived. */
	outcome_init(&o, ms, n);
	CHECK_INT(batch_archive(c, ids, n, &bo), HS_OK);
	CHECK_INT(o.count[BATCH_ARCHIVED], n);
	all = admin("GET", "/_sandbox/meetings", NULL);
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(all, "meetings"))
	{
		archived += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "archived"));
	}
	CHECK_INT(archived, 4);
	cJSON_Delete(all);
	outcome_release(&o);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	hs_client_free(c);
	free_meetings(ms, n);
}

/*
 * Search before create: a search the client gave up on after its 429s
 * (MAX_THROTTLES) is asked again, not a failure; one request asked, whatever
 * the retries.
 */
static void test_search_throttled(void)
{
	size_t n = 3;
	struct meeting *ms = make_meetings("thr", n);
	struct outcome o;
	struct hs_client *c = client(NULL, 100), *s;
	struct hs_options ho;
	const char *vals[4];
	cJSON *hits[4];
	size_t requests = 0;
	char *faults;

	reset(NULL);
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 0, &c), HS_OK);
	faults = xasprintf("{\"faults\":[{\"method\":\"POST\",\"path\":\"%s\",\"action\":"
			   "\"rate_limit\",\"policy\":\"SECONDLY\",\"retry_after\":0,"
			   "\"count\":14}]}",
			   hs_route(HS_MEETINGS_SEARCH));
	admin_do("POST", "/_sandbox/faults", faults);
	free(faults);
	/* A search rate that the client's slowing down on each 429 keeps fast. */
	memset(&ho, 0, sizeof(ho));
	ho.api_base = base;
	ho.token = "test-token";
	ho.search_rate = 100;
	s = hs_client_new(&ho);
	for (size_t i = 0; i < n; i++)
		vals[i] = ms[i].key;
	vals[3] = "thr-not-there";
	CHECK_INT(batch_search_property(s, IDENTITY, vals, 4, NULL, 0, hits, &requests), HS_OK);
	CHECK_INT(requests, 1);
	CHECK_INT(hs_client_stats(s)->throttled, 14);
	for (size_t i = 0; i < n; i++) {
		const cJSON *id =
			cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(hits[i], 0), "id");

		CHECK_INT(cJSON_GetArraySize(hits[i]), 1);
		CHECK_STR(cJSON_IsString(id) ? id->valuestring : NULL, o.ids[i]);
	}
	CHECK(!hits[3]);
	for (size_t i = 0; i < 4; i++)
		cJSON_Delete(hits[i]);
	admin_do("POST", "/_sandbox/faults", "{\"faults\":[]}");
	hs_client_free(s);
	hs_client_free(c);
	outcome_release(&o);
	free_meetings(ms, n);
}

/* The limiter keeps under the sandbox's limit: no 429 when the limit is small. */
static void test_rate_limit(void)
{
	size_t n = 120;
	struct meeting *ms = make_meetings("rate", n);
	struct outcome o;
	struct hs_client *c = client(NULL, 100);
	int64_t t0 = time_mono_ms();

	reset(NULL);
	/* 4 requests per second on the server; the client is told 100/10s and must adapt. */
	admin_do("POST", "/_sandbox/config", "{\"rate\":\"4/1s\"}");
	outcome_init(&o, ms, n);
	CHECK_INT(create(ms, n, &o, 10, &c), HS_OK);
	check_exactly_once(ms, n, &o, "rate");
	/* The first answers teach the limit: at most the first burst bounces. */
	CHECK(hs_client_stats(c)->throttled <= 4);
	/* 12 requests at 4/s: at least 2 s. */
	CHECK(time_mono_ms() - t0 >= 2000);
	admin_do("POST", "/_sandbox/config", "{\"rate\":\"100/10s\"}");
	hs_client_free(c);
	outcome_release(&o);
	free_meetings(ms, n);
}

/* HubSpot's "Property values were not valid: [...]" list, parsed; NULL when there is none. */
static void test_invalid_values(void)
{
	cJSON *a = batch_invalid_values(
		"Property values were not valid: [{\"isValid\":false,\"message\":\"PERHAPS was "
		"not one of the allowed options: [A, B]\",\"error\":\"INVALID_OPTION\",\"name\":"
		"\"hs_meeting_outcome\"},{\"isValid\":false,\"error\":\"INVALID_EMAIL\",\"name\":"
		"\"x\"}]");

	CHECK_INT(cJSON_GetArraySize(a), 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "name")),
		  "hs_meeting_outcome");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "error")),
		  "INVALID_EMAIL");
	cJSON_Delete(a);
	CHECK(batch_invalid_values("One or more associations are invalid") == NULL);
	CHECK(batch_invalid_values("Property values were not valid: [broken") == NULL);
	CHECK(batch_invalid_values(NULL) == NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	util_verbosity = getenv("T_VERBOSE") ? 2 : 0;
	test_invalid_values();
	http_global_init();
	if (sandbox_start(NULL)) {
		printf("# skipped: the sandbox (%s, /usr/bin/python3) is not available\n", SANDBOX);
		sandbox_stop();
		return TEST_DONE();
	}
	atexit(sandbox_stop);
	admin_http = http_client_new();
	portal_ready();
	test_basic();
	test_partial_and_bisect();
	test_faults();
	test_eventual_consistency();
	test_stop_conditions();
	test_update_archive_find();
	test_search_throttled();
	test_rate_limit();
	test_gone_association();
	test_required_property();
	test_normalized();
	http_client_free(admin_http);
	return TEST_DONE();
}
