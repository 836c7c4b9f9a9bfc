/* t-hubspot: rate limiter, 429 classification, error bodies, retry decisions, http_fetch. */
#include "http.h"
#include "hubspot.h"
#include "util.h"

#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void test_limiter(void)
{
	struct hs_limiter l;

	/* 3 per 1000 ms, no margin. */
	hs_limiter_init(&l, 3, 1000, 0);
	CHECK_INT(hs_limiter_wait(&l, 0), 0);
	hs_limiter_sent(&l, 0);
	hs_limiter_sent(&l, 100);
	hs_limiter_sent(&l, 200);
	/* Full: the slot frees when the send at 0 leaves the window. */
	CHECK_INT(hs_limiter_wait(&l, 300), 700);
	CHECK_INT(hs_limiter_wait(&l, 999), 1);
	CHECK_INT(hs_limiter_wait(&l, 1000), 0);
	hs_limiter_sent(&l, 1000);
	CHECK_INT(hs_limiter_wait(&l, 1000), 100);
	CHECK_INT(hs_limiter_count(&l, 1000), 3);
	/* A 429 hold wins over a free window. */
	hs_limiter_hold(&l, 5000);
	CHECK_INT(hs_limiter_wait(&l, 3000), 2000);
	CHECK_INT(hs_limiter_count(&l, 3000), 0);
	hs_limiter_release(&l);

	/* An answered request holds its slot from the answer on. */
	hs_limiter_init(&l, 2, 1000, 0);
	hs_limiter_sent(&l, 0);
	hs_limiter_sent(&l, 10);
	hs_limiter_answered(&l, 0, 400);
	CHECK_INT(hs_limiter_wait(&l, 500), 510);
	CHECK_INT(hs_limiter_wait(&l, 1010), 0);
	hs_limiter_sent(&l, 1010);
	CHECK_INT(hs_limiter_wait(&l, 1010), 390);
	hs_limiter_release(&l);

	/* The margin delays the freeing of a slot. */
	hs_limiter_init(&l, 1, 1000, 150);
	hs_limiter_sent(&l, 0);
	CHECK_INT(hs_limiter_wait(&l, 1000), 150);
	hs_limiter_release(&l);

	/* Headers: a lower Max lowers the limit, never raises it past the configured one. */
	hs_limiter_init(&l, 100, 10000, 0);
	hs_limiter_observe(&l, 0, 0, 50, 50, 10000);
	CHECK_INT(l.max, 50);
	hs_limiter_observe(&l, 0, 0, 190, 190, 10000);
	CHECK_INT(l.max, 100);
	/* No --rate given (adopt_up): the portal's Max raises it too, within HS_MAX_RATE. */
	l.adopt_up = true;
	hs_limiter_observe(&l, 0, 0, 190, 190, 10000);
	CHECK_INT(l.max, 190);
	hs_limiter_observe(&l, 0, 0, 1000000, 1000000, 10000);
	CHECK_INT(l.max, HS_MAX_RATE);
	hs_limiter_observe(&l, 0, 0, 100, 100, 10000);
	CHECK_INT(l.max, 100);
	l.adopt_up = false;
	/* The daily reserve: the last 5% of the portal's daily budget is left alone. */
	CHECK(!hs_daily_reserve_reached(250000, 20000));
	CHECK(!hs_daily_reserve_reached(250000, 12500));
	CHECK(hs_daily_reserve_reached(250000, 12499));
	CHECK(!hs_daily_reserve_reached(-1, 3));
	CHECK(!hs_daily_reserve_reached(250000, -1));
	/* Interval adopted from the header. */
	hs_limiter_observe(&l, 0, 0, 100, 100, 1000);
	CHECK_INT(l.interval_ms, 1000);
	/* Someone else used 40 of the window: we account for it. */
	hs_limiter_sent(&l, 10);
	hs_limiter_observe(&l, 20, 10, 100, 60, -1);
	CHECK_INT(hs_limiter_count(&l, 20), 40);
	/* Our own sends already explain the count: nothing added. */
	hs_limiter_observe(&l, 30, 25, 100, 70, -1);
	CHECK_INT(hs_limiter_count(&l, 30), 40);
	/* Filling up to the limit blocks until the window moves. */
	hs_limiter_observe(&l, 40, 40, 100, 0, -1);
	CHECK(hs_limiter_wait(&l, 40) > 0);
	CHECK_INT(hs_limiter_wait(&l, 1010), 0);
	/*
	 * A response that took long: HubSpot still counts a send of ours that
	 * already left our window; that is no reason to add anything.
	 */
	hs_limiter_release(&l);
	hs_limiter_init(&l, 10, 1000, 0);
	hs_limiter_sent(&l, 0);
	hs_limiter_sent(&l, 900);
	hs_limiter_observe(&l, 1200, 900, 10, 8, 1000);
	CHECK_INT(hs_limiter_count(&l, 1200), 1);
	hs_limiter_release(&l);
}

static enum hs_policy policy_of(const char *json)
{
	cJSON *b = cJSON_Parse(json);
	enum hs_policy p = hs_policy_of(b);

	cJSON_Delete(b);
	return p;
}

static void test_policy(void)
{
	CHECK_INT(policy_of("{\"status\":\"error\",\"message\":\"You have reached your daily "
			    "limit.\",\"errorType\":\"RATE_LIMIT\",\"policyName\":\"DAILY\"}"),
		  HS_POLICY_DAILY);
	CHECK_INT(policy_of("{\"policyName\":\"TEN_SECONDLY_ROLLING\"}"), HS_POLICY_TEN_SECONDLY);
	CHECK_INT(policy_of("{\"policyName\":\"SECONDLY\"}"), HS_POLICY_SECONDLY);
	/* No policyName: the message decides. */
	CHECK_INT(policy_of("{\"message\":\"You have reached your secondly limit.\"}"),
		  HS_POLICY_SECONDLY);
	CHECK_INT(policy_of("{\"message\":\"You have reached your ten_secondly_rolling limit.\"}"),
		  HS_POLICY_TEN_SECONDLY);
	CHECK_INT(policy_of("{\"message\":\"You have reached your daily limit.\"}"),
		  HS_POLICY_DAILY);
	CHECK_INT(policy_of("{\"message\":\"slow down\"}"), HS_POLICY_OTHER);
	CHECK_INT(hs_policy_of(NULL), HS_POLICY_OTHER);
}

static void describe(long status, const char *json, struct hs_response *r)
{
	cJSON *b = json ? cJSON_Parse(json) : NULL;

	memset(r, 0, sizeof(*r));
	hs_describe_error(status, b, r);
	cJSON_Delete(b);
}

static void test_errors(void)
{
	struct hs_response r;

	describe(403,
		 "{\"status\":\"error\",\"message\":\"This app hasn't been granted all required "
		 "scopes to make this call.\",\"correlationId\":\"dc49\",\"errors\":[{\"message\":"
		 "\"One or more of the following scopes are required.\",\"context\":{"
		 "\"requiredGranularScopes\":[\"crm.objects.contacts.write\",\"crm.objects."
		 "contacts.read\"]}}],\"links\":{\"scopes\":\"https://developers.hubspot.com/"
		 "scopes\"},\"category\":\"MISSING_SCOPES\"}",
		 &r);
	CHECK_STR(r.category, "MISSING_SCOPES");
	CHECK(r.message &&
	      strstr(r.message, "crm.objects.contacts.write, crm.objects.contacts.read"));
	hs_response_release(&r);

	describe(
		403,
		"{\"message\":\"x\",\"category\":\"MISSING_SCOPES\",\"errors\":[{\"message\":\"m\","
		"\"context\":{\"missingScopes\":[\"scope1\",\"scope2\"]}}]}",
		&r);
	CHECK(r.message && strstr(r.message, "scope1, scope2"));
	hs_response_release(&r);

	describe(401,
		 "{\"status\":\"error\",\"message\":\"Authentication credentials not found.\","
		 "\"category\":\"INVALID_AUTHENTICATION\"}",
		 &r);
	CHECK_STR(r.category, "INVALID_AUTHENTICATION");
	CHECK(r.message && strstr(r.message, "access token") && strstr(r.message, "401"));
	hs_response_release(&r);

	/* Every field optional. */
	describe(400, "{}", &r);
	CHECK_STR(r.message, "HTTP 400");
	CHECK_STR(r.category, NULL);
	hs_response_release(&r);
	describe(502, NULL, &r);
	CHECK_STR(r.message, "HTTP 502");
	hs_response_release(&r);
	describe(400,
		 "{\"message\":\"Property values were not valid\",\"category\":"
		 "\"VALIDATION_ERROR\"}",
		 &r);
	CHECK_STR(r.message, "Property values were not valid");
	CHECK_STR(r.category, "VALIDATION_ERROR");
	hs_response_release(&r);
	describe(429, "{\"message\":\"You have reached your daily limit.\"}", &r);
	CHECK_STR(r.category, "RATE_LIMITS");
	hs_response_release(&r);
}

static void test_decide(void)
{
	/* status, maybe_sent, body_ok, idempotent, transport_retryable, policy */
	CHECK_INT(hs_decide(201, true, true, false, true, HS_POLICY_NONE), HS_ACT_DONE);
	CHECK_INT(hs_decide(207, true, true, false, true, HS_POLICY_NONE), HS_ACT_DONE);
	/* A truncated 201 on a create: it may be stored. */
	CHECK_INT(hs_decide(201, true, false, false, true, HS_POLICY_NONE), HS_ACT_UNKNOWN);
	CHECK_INT(hs_decide(200, true, false, true, true, HS_POLICY_NONE), HS_ACT_RETRY);
	/* 5xx: idempotent retried, create unknown. */
	for (long s = 500; s <= 504; s++) {
		CHECK_INT(hs_decide(s, true, true, true, true, HS_POLICY_NONE), HS_ACT_RETRY);
		CHECK_INT(hs_decide(s, true, true, false, true, HS_POLICY_NONE), HS_ACT_UNKNOWN);
	}
	/* Timeouts / resets after sending. */
	CHECK_INT(hs_decide(0, true, true, false, true, HS_POLICY_NONE), HS_ACT_UNKNOWN);
	CHECK_INT(hs_decide(0, true, true, true, true, HS_POLICY_NONE), HS_ACT_RETRY);
	/* Never sent (connection refused): even a create is retried. */
	CHECK_INT(hs_decide(0, false, true, false, true, HS_POLICY_NONE), HS_ACT_RETRY);
	/* TLS verification failure: no retry. */
	CHECK_INT(hs_decide(0, false, true, true, false, HS_POLICY_NONE), HS_ACT_FAIL);
	/* 429s, also for creates (429 is not processed). */
	CHECK_INT(hs_decide(429, true, true, false, true, HS_POLICY_TEN_SECONDLY),
		  HS_ACT_WAIT_WINDOW);
	CHECK_INT(hs_decide(429, true, true, true, true, HS_POLICY_SECONDLY), HS_ACT_SLOW_SEARCH);
	CHECK_INT(hs_decide(429, true, true, false, true, HS_POLICY_DAILY), HS_ACT_DAILY);
	CHECK_INT(hs_decide(429, true, false, false, true, HS_POLICY_OTHER), HS_ACT_WAIT_WINDOW);
	/* Not retried. */
	CHECK_INT(hs_decide(400, true, true, true, true, HS_POLICY_NONE), HS_ACT_DONE);
	CHECK_INT(hs_decide(404, true, true, true, true, HS_POLICY_NONE), HS_ACT_DONE);
	CHECK_INT(hs_decide(409, true, true, true, true, HS_POLICY_NONE), HS_ACT_DONE);
	CHECK_INT(hs_decide(401, true, true, true, true, HS_POLICY_NONE), HS_ACT_AUTH);
	CHECK_INT(hs_decide(403, true, true, true, true, HS_POLICY_NONE), HS_ACT_AUTH);
}

static void test_backoff(void)
{
	unsigned seed = 42;

	/* Retry-After wins. */
	CHECK_INT(hs_backoff_ms(1, 7, &seed), 7000);
	CHECK_INT(hs_backoff_ms(3, 0, &seed), 0);
	for (int a = 1; a <= 10; a++) {
		int64_t base = a >= 7 ? 60000 : 1000LL << (a - 1);
		int64_t d = hs_backoff_ms(a, -1, &seed);

		CHECK(d >= base / 2 && d < base);
	}
}

/* ---- http_fetch against python's http.server on loopback ---------------------------------- */

static pid_t server_pid;

static void stop_http_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

/*
 * python's http.server on 127.0.0.1, on a port the kernel picks (never a fixed one: another
 * test or program may hold it); the port comes back through a file. *port is 0 when it did
 * not start within 30 s.
 */
static const char http_server_py[] =
	"import functools, http.server, os, sys\n"
	"h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
	"s = http.server.HTTPServer(('127.0.0.1', 0), h)\n"
	"open(sys.argv[2] + '.tmp', 'w').write(str(s.server_address[1]))\n"
	"os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
	"s.serve_forever()\n";

static int start_http_server(const char *dir, int *port)
{
	char *port_file = xasprintf("%s.port", dir);
	char *argv[] = {xstrdup("/usr/bin/python3"), xstrdup("-c"),
			xstrdup(http_server_py),     xstrdup(dir),
			xstrdup(port_file),	     NULL};
	int rc = 0;
	posix_spawn_file_actions_t fa;

	*port = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (access(argv[0], X_OK) || posix_spawn(&server_pid, argv[0], &fa, NULL, argv, environ))
		rc = -1;
	else
		atexit(stop_http_server);
	for (int i = 0; !rc && i < 300 && !*port; i++) {
		char *text = NULL;
		size_t len = 0;

		sleep_ms(100);
		if (file_read_all(port_file, &text, &len) == 0 && text)
			*port = atoi(text);
		free(text);
	}
	unlink(port_file);
	free(port_file);
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static void test_fetch(void)
{
	char dir[] = "/tmp/t-hubspot.XXXXXX";
	char *feed, *out, *url, *missing, *content = NULL;
	struct http_fetch_result res;
	size_t len = 0;
	int port = 0, ok = -1;
	FILE *f;
	struct stat st;

	if (!mkdtemp(dir))
		return;
	feed = xasprintf("%s/feed.ics", dir);
	out = xasprintf("%s/out.ics", dir);
	f = fopen(feed, "w");
	fputs("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", f);
	fclose(f);
	if (start_http_server(dir, &port)) {
		printf("# skipped http_fetch: no /usr/bin/python3\n");
		goto out;
	}
	CHECK(port > 0);
	url = xasprintf("http://127.0.0.1:%d/feed.ics", port);
	for (int i = 0; i < 50 && ok; i++) {
		sleep_ms(100);
		ok = http_fetch(url, NULL, NULL, 0, out, &res);
		if (ok)
			http_fetch_result_release(&res);
	}
	CHECK_INT(ok, 0);
	CHECK_INT(res.status, 200);
	CHECK_INT(res.bytes, 45);
	CHECK(res.last_modified != NULL);
	CHECK(file_read_all(out, &content, &len) == 0 && content &&
	      !strncmp(content, "BEGIN:VCALENDAR", 15));
	CHECK(stat(out, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(content);

	/* Conditional GET: 304 leaves the file alone. */
	{
		struct http_fetch_result r2;

		CHECK_INT(http_fetch(url, NULL, res.last_modified, 0, out, &r2), 0);
		CHECK_INT(r2.status, 304);
		CHECK(r2.not_modified);
		http_fetch_result_release(&r2);
	}
	http_fetch_result_release(&res);

	/* Size limit. */
	CHECK_INT(http_fetch(url, NULL, NULL, 10, out, &res), -1);
	http_fetch_result_release(&res);
	/* 404 is an error. */
	missing = xasprintf("http://127.0.0.1:%d/nope.ics", port);
	CHECK_INT(http_fetch(missing, NULL, NULL, 0, out, &res), -1);
	CHECK_INT(res.status, 404);
	http_fetch_result_release(&res);
	free(missing);
	/* Nobody listening. */
	missing = xasprintf("http://127.0.0.1:%d/feed.ics", port + 1);
	CHECK_INT(http_fetch(missing, NULL, NULL, 0, out, &res), -1);
	http_fetch_result_release(&res);
	free(missing);
	free(url);
	stop_http_server();
out:
	unlink(out);
	unlink(feed);
	rmdir(dir);
	free(out);
	free(feed);
}

/* The transport policy: the token goes to https, or to plain http on this machine only. */
static void test_api_base_policy(void)
{
	static const struct {
		const char *url;
		bool allow;
		int want;
	} table[] = {
		{"https://api.hubapi.com", false, 0},
		{"HTTPS://api.hubapi.com/", false, 0},
		{"http://127.0.0.1:8080", false, 0},
		{"http://127.9.9.9", false, 0},
		{"http://localhost:1234/x", false, 0},
		{"http://[::1]:80", false, 0},
		{"http://[::ffff:127.0.0.1]:80", false, 0},
		{"http://api.hubapi.com", false, -1},
		{"http://128.0.0.1", false, -1},
		{"http://localhost.example.com", false, -1},
		{"http://127.0.0.1.example.com", false, -1},
		{"http://[::2]", false, -1},
		{"http://api.hubapi.com", true, 0},
		{"ftp://api.hubapi.com", true, -1},
		{"not a url", false, -1},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int got = http_check_api_base(table[i].url, table[i].allow);

		if (got != table[i].want)
			fprintf(stderr, "policy for %s\n", table[i].url);
		CHECK_INT(got, table[i].want);
	}
}

/* A body echoing the Authorization header never carries the token further. */
static void test_redact(void)
{
	static const struct {
		const char *in, *want; /* want NULL: nothing to redact */
	} cases[] = {
		{"{\"message\":\"ok\"}", NULL},
		{"{\"message\":\"bad header Authorization: Bearer pat-na1-SECRET\"}",
		 "{\"message\":\"bad header Authorization: Bearer [REDACTED]\"}"},
		{"pat-na1-SECRET and pat-na1-SECRET", "[REDACTED] and [REDACTED]"},
		{"bearer abc.def/+= rest", "bearer [REDACTED] rest"},
		{"BEARER x", "BEARER [REDACTED]"},
		{"the bearer is nobody", "the bearer [REDACTED] nobody"},
		{"Bearer: x", NULL},
		{"", NULL},
		{"pat-na1-SECRE", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;
		char *got =
			hs_redact_secret(cases[i].in, strlen(cases[i].in), "pat-na1-SECRET", &n);

		CHECK_STR(got, cases[i].want);
		if (got)
			CHECK_INT(n, strlen(cases[i].want));
		free(got);
	}
	/* Binary bodies (a NUL inside) are scanned to their end. */
	{
		const char bin[] = "a\0pat-na1-SECRET";
		size_t n = 0;
		char *got = hs_redact_secret(bin, sizeof(bin) - 1, "pat-na1-SECRET", &n);

		CHECK_INT(n, 12);
		CHECK(got && !memcmp(got, "a\0[REDACTED]", 12));
		free(got);
	}
}

int main(void)
{
	util_verbosity = 0; /* the failures tested print errors */
	test_limiter();
	test_policy();
	test_errors();
	test_decide();
	test_backoff();
	test_fetch();
	test_api_base_policy();
	test_redact();
	return TEST_DONE();
}
