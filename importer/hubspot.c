/* hubspot: the HubSpot API client — auth, rate limits, retries, error shapes. */
#include "hubspot.h"

#include "http.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_RATE_MAX    100
#define DEFAULT_INTERVAL_MS 10000
#define DEFAULT_TIMEOUT_S   30
#define DEFAULT_BUDGET_S    120
#define DEFAULT_PARALLEL    4
#define DEFAULT_SEARCH_RATE 5
#define MAX_THROTTLES	    12 /* 429 answers one call may take before giving up */
#define WINDOW_MARGIN_MS    150
/*
 * Searches are counted when sent, not when answered (the main limiter's
 * rule): HubSpot's secondly search limit is short and a 400 ms answer would
 * hold each of the 5 slots for 1.4 s (3.4 searches/s). The margin absorbs the
 * spread of arrival times; a 429 SECONDLY is waited out, never a failure.
 */
#define SEARCH_MARGIN_MS 100
#define BACKOFF_BASE_MS	 1000
#define BACKOFF_CAP_MS	 60000

/* One submitted call, from hs_submit() until hs_next()/hs_call() hands it back. */
struct hs_call {
	char *method, *path;
	char *body;
	size_t body_len;
	bool idempotent, search, write;
	void *tag;
	int attempts, retries, throttles;
	int64_t started_ms, not_before, sent_at;
	int64_t first_sent_ms; /* the retry budget runs from here */
	enum hs_result result;
	struct hs_response resp;
	struct hs_call *next;
};

struct hs_client {
	char *base;
	char *token;
	struct http_client *http;
	struct hs_limiter main, search;
	long timeout_ms, budget_ms;
	int parallel;
	struct hs_call *queue; /* waiting to be sent (or re-sent) */
	size_t inflight;
	struct hs_call *done; /* finished, not yet handed back */
	size_t outstanding;
	bool stopped; /* 401/403/429 DAILY: nothing more is sent */
	bool read_only; /* --dry-run: a write request is a bug */
	enum hs_result stop_result;
	char *stop_message;
	char *stop_category;
	char *stop_reason;
	struct hs_stats stats;
	unsigned seed;
};

/* ---- pure parts --------------------------------------------------------------------------- */

void hs_limiter_init(struct hs_limiter *l, int max, int interval_ms, int margin_ms)
{
	memset(l, 0, sizeof(*l));
	l->cfg_max = l->max = max > 0 ? max : 1;
	l->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	l->margin_ms = margin_ms;
}

void hs_limiter_release(struct hs_limiter *l)
{
	free(l->t);
	memset(l, 0, sizeof(*l));
}

/*
 * Send times are kept for two windows: the current window decides waits, the
 * one before lets a response's X-HubSpot-RateLimit-Remaining (computed by
 * HubSpot at some point after we sent) be compared with our own sends.
 */
static void limiter_prune(struct hs_limiter *l, int64_t now)
{
	size_t drop = 0;

	while (drop < l->n && l->t[drop] + 2LL * l->interval_ms + l->margin_ms <= now)
		drop++;
	if (drop) {
		memmove(l->t, l->t + drop, (l->n - drop) * sizeof(*l->t));
		l->n -= drop;
	}
}

/* Index of the first send still inside the window (plus margin) at `now`. */
static size_t window_start(const struct hs_limiter *l, int64_t now)
{
	size_t i = 0;

	while (i < l->n && l->t[i] + l->interval_ms + l->margin_ms <= now)
		i++;
	return i;
}

size_t hs_limiter_count(struct hs_limiter *l, int64_t now)
{
	limiter_prune(l, now);
	return l->n - window_start(l, now);
}

int64_t hs_limiter_wait(struct hs_limiter *l, int64_t now)
{
	int64_t wait = 0;
	size_t i0, k;

	limiter_prune(l, now);
	i0 = window_start(l, now);
	k = l->n - i0;
	if (l->hold_until > now)
		wait = l->hold_until - now;
	if (k >= (size_t)l->max) {
		/* The send that frees a slot is the (k - max + 1)-th oldest in the window. */
		int64_t w = l->t[i0 + k - (size_t)l->max] + l->interval_ms + l->margin_ms - now;

		if (w > wait)
			wait = w;
	}
	return wait;
}

void hs_limiter_sent(struct hs_limiter *l, int64_t now)
{
	XGROW(l->t, l->cap, l->n + 1);
	/* Keep the array sorted even if a caller passes an older time. */
	size_t i = l->n++;

	while (i > 0 && l->t[i - 1] > now) {
		l->t[i] = l->t[i - 1];
		i--;
	}
	l->t[i] = now;
}

void hs_limiter_answered(struct hs_limiter *l, int64_t sent_at, int64_t now)
{
	for (size_t i = l->n; i-- > 0;) {
		if (l->t[i] == sent_at) {
			memmove(l->t + i, l->t + i + 1, (l->n - i - 1) * sizeof(*l->t));
			l->n--;
			hs_limiter_sent(l, now);
			return;
		}
	}
}

void hs_limiter_observe(struct hs_limiter *l, int64_t now, int64_t sent_at, long hdr_max,
			long hdr_remaining, long hdr_interval_ms)
{
	if (hdr_interval_ms > 0 && hdr_interval_ms != l->interval_ms)
		l->interval_ms = (int)hdr_interval_ms;
	if (hdr_max > 0) {
		long cap = l->adopt_up ? HS_MAX_RATE : l->cfg_max;

		l->max = (int)(hdr_max < cap ? hdr_max : cap);
	}
	if (hdr_max > 0 && hdr_remaining >= 0 && hdr_remaining <= hdr_max) {
		/*
		 * HubSpot counted `used` requests in its window, which it took
		 * between our send (sent_at) and now. Every send of ours it can
		 * have counted is at most one window older than sent_at; if it
		 * counted more, somebody else uses the same app: keep room for
		 * them.
		 */
		size_t used = (size_t)(hdr_max - hdr_remaining), ours = 0;
		int64_t from = sent_at - l->interval_ms - l->margin_ms;

		limiter_prune(l, now);
		for (size_t i = 0; i < l->n; i++)
			ours += l->t[i] > from;
		for (; ours < used; ours++)
			hs_limiter_sent(l, now);
	}
}

void hs_limiter_hold(struct hs_limiter *l, int64_t until)
{
	if (until > l->hold_until)
		l->hold_until = until;
}

bool hs_daily_reserve_reached(long daily, long remaining)
{
	return daily > 0 && remaining >= 0 && remaining * 20 < daily;
}

enum hs_policy hs_policy_of(const cJSON *body)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "policyName");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "message");

	if (cJSON_IsString(p)) {
		if (!strcmp(p->valuestring, "DAILY"))
			return HS_POLICY_DAILY;
		if (!strcmp(p->valuestring, "TEN_SECONDLY_ROLLING"))
			return HS_POLICY_TEN_SECONDLY;
		if (!strcmp(p->valuestring, "SECONDLY"))
			return HS_POLICY_SECONDLY;
	}
	if (cJSON_IsString(m)) {
		char *low = str_lower(xstrdup(m->valuestring));
		enum hs_policy r = HS_POLICY_OTHER;

		if (strstr(low, "daily limit"))
			r = HS_POLICY_DAILY;
		else if (strstr(low, "ten_secondly") || strstr(low, "ten secondly"))
			r = HS_POLICY_TEN_SECONDLY;
		else if (strstr(low, "secondly limit"))
			r = HS_POLICY_SECONDLY;
		free(low);
		return r;
	}
	return HS_POLICY_OTHER;
}

/* Append the strings of a scope list (array of strings, or one string) to sb. */
static void add_scopes(struct sbuf *sb, const cJSON *v)
{
	const cJSON *s;

	if (cJSON_IsString(v)) {
		sbuf_addf(sb, "%s%s", sb->len ? ", " : "", v->valuestring);
		return;
	}
	cJSON_ArrayForEach(s, v)
	{
		if (cJSON_IsString(s) && !strstr(sb->buf ? sb->buf : "", s->valuestring))
			sbuf_addf(sb, "%s%s", sb->len ? ", " : "", s->valuestring);
	}
}

static void scopes_of(const cJSON *context, struct sbuf *sb)
{
	add_scopes(sb, cJSON_GetObjectItemCaseSensitive(context, "requiredGranularScopes"));
	add_scopes(sb, cJSON_GetObjectItemCaseSensitive(context, "missingScopes"));
	add_scopes(sb, cJSON_GetObjectItemCaseSensitive(context, "requiredScopes"));
}

void hs_describe_error(long status, const cJSON *body, struct hs_response *resp)
{
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
	const cJSON *cat = cJSON_GetObjectItemCaseSensitive(body, "category");
	const char *m = cJSON_IsString(msg) ? msg->valuestring : NULL;
	const char *k = cJSON_IsString(cat) ? cat->valuestring : NULL;

	free(resp->message);
	free(resp->category);
	if (!k && status == 429)
		k = "RATE_LIMITS";
	resp->category = xstrdup(k);
	if (status == 401) {
		resp->message = xasprintf("HubSpot refused the access token (HTTP 401%s%s); check "
					  "HUBSPOT_ACCESS_TOKEN or --token-file",
					  k ? " " : "", k ? k : "");
	} else if (status == 403) {
		struct sbuf scopes = SBUF_INIT;
		const cJSON *e;

		scopes_of(cJSON_GetObjectItemCaseSensitive(body, "context"), &scopes);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(body, "errors"))
		{
			scopes_of(cJSON_GetObjectItemCaseSensitive(e, "context"), &scopes);
		}
		if (scopes.len)
			resp->message =
				xasprintf("the HubSpot app is missing required scopes (HTTP 403 "
					  "%s): %s; grant them to the app and run again",
					  k ? k : "MISSING_SCOPES", scopes.buf);
		else
			resp->message =
				xasprintf("HubSpot denied access (HTTP 403%s%s)%s%s", k ? " " : "",
					  k ? k : "", m ? ": " : "", m ? m : "");
		sbuf_release(&scopes);
	} else if (m) {
		resp->message = xstrdup(m);
	} else if (status) {
		resp->message = xasprintf("HTTP %ld", status);
	} else {
		resp->message = xstrdup("no answer");
	}
}

static bool credential_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       strchr("-._~+/=:", ch);
}

/* Where a redaction starts at text[i] (its length in *n), else false. */
static bool secret_at(const char *text, size_t len, size_t i, const char *secret, size_t slen,
		      size_t *n)
{
	if (slen && len - i >= slen && !memcmp(text + i, secret, slen)) {
		*n = slen;
		return true;
	}
	if (len - i > 7 && (text[i] == 'b' || text[i] == 'B') &&
	    !strncasecmp(text + i, "bearer ", 7) && credential_char(text[i + 7]) &&
	    text[i + 7] != ':') {
		size_t k = i + 7;

		while (k < len && credential_char(text[k]))
			k++;
		*n = k - i;
		return true;
	}
	return false;
}

char *hs_redact_secret(const char *text, size_t len, const char *secret, size_t *out_len)
{
	size_t slen = secret ? strlen(secret) : 0;
	struct sbuf sb = SBUF_INIT;
	size_t i = 0, done = 0, n;
	bool found = false;

	for (i = 0; i < len; i++) {
		if (!secret_at(text, len, i, secret, slen, &n))
			continue;
		sbuf_add(&sb, text + done, i - done);
		/* "Bearer " stays, the credential goes. */
		if (n != slen || memcmp(text + i, secret, slen))
			sbuf_add(&sb, text + i, 7);
		sbuf_adds(&sb, "[REDACTED]");
		i += n - 1;
		done = i + 1;
		found = true;
	}
	if (!found)
		return NULL;
	sbuf_add(&sb, text + done, len - done);
	*out_len = sb.len;
	return sbuf_detach(&sb);
}

enum hs_action hs_decide(long status, bool maybe_sent, bool body_ok, bool idempotent,
			 bool transport_retryable, enum hs_policy policy)
{
	if (status == 0) {
		if (maybe_sent && !idempotent)
			return HS_ACT_UNKNOWN;
		return transport_retryable ? HS_ACT_RETRY : HS_ACT_FAIL;
	}
	if (status >= 200 && status < 300) {
		if (body_ok)
			return HS_ACT_DONE;
		return idempotent ? HS_ACT_RETRY : HS_ACT_UNKNOWN;
	}
	if (status == 429) {
		switch (policy) {
		case HS_POLICY_DAILY:
			return HS_ACT_DAILY;
		case HS_POLICY_SECONDLY:
			return HS_ACT_SLOW_SEARCH;
		default:
			return HS_ACT_WAIT_WINDOW;
		}
	}
	if (status == 401 || status == 403)
		return HS_ACT_AUTH;
	if (status >= 500 || status == 408 || status == 423)
		return idempotent ? HS_ACT_RETRY : HS_ACT_UNKNOWN;
	return HS_ACT_DONE;
}

int64_t hs_backoff_ms(int attempt, long retry_after_s, unsigned *seed)
{
	int64_t d = BACKOFF_BASE_MS;
	double jitter;

	if (retry_after_s >= 0)
		return (int64_t)retry_after_s * 1000;
	for (int i = 1; i < attempt && d < BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	*seed = *seed * 1103515245u + 12345u;
	jitter = 0.5 + 0.5 * (double)((*seed >> 16) & 0x7fff) / 32768.0;
	return (int64_t)((double)d * jitter);
}

const char *hs_result_name(enum hs_result r)
{
	switch (r) {
	case HS_OK:
		return "ok";
	case HS_CLIENT_ERROR:
		return "client error";
	case HS_AUTH:
		return "auth";
	case HS_DAILY_LIMIT:
		return "daily limit";
	case HS_UNKNOWN_OUTCOME:
		return "unknown outcome";
	case HS_FAILED:
		break;
	}
	return "failed";
}

void hs_response_release(struct hs_response *r)
{
	if (!r)
		return;
	cJSON_Delete(r->body);
	free(r->message);
	free(r->category);
	memset(r, 0, sizeof(*r));
}

/* ---- client ------------------------------------------------------------------------------- */

struct hs_client *hs_client_new(const struct hs_options *opt)
{
	struct hs_client *c = xcalloc(1, sizeof(*c));
	size_t len;

	c->base = xstrdup(opt->api_base ? opt->api_base : "https://api.hubapi.com");
	len = strlen(c->base);
	while (len && c->base[len - 1] == '/')
		c->base[--len] = '\0';
	c->token = xstrdup(opt->token);
	c->http = http_client_new();
	hs_limiter_init(&c->main, opt->rate_max > 0 ? opt->rate_max : DEFAULT_RATE_MAX,
			opt->rate_interval_ms > 0 ? opt->rate_interval_ms : DEFAULT_INTERVAL_MS,
			WINDOW_MARGIN_MS);
	c->main.adopt_up = opt->rate_from_portal;
	c->read_only = opt->read_only;
	hs_limiter_init(&c->search, opt->search_rate > 0 ? opt->search_rate : DEFAULT_SEARCH_RATE,
			1000, SEARCH_MARGIN_MS);
	c->timeout_ms =
		env_positive("ICS2HUBSPOT_HTTP_TIMEOUT_MS",
			     (opt->timeout_s > 0 ? opt->timeout_s : DEFAULT_TIMEOUT_S) * 1000L);
	c->budget_ms = env_positive(
		"ICS2HUBSPOT_RETRY_BUDGET_MS",
		(opt->retry_budget_s > 0 ? opt->retry_budget_s : DEFAULT_BUDGET_S) * 1000L);
	c->parallel = opt->parallel > 0 ? opt->parallel : DEFAULT_PARALLEL;
	c->seed = (unsigned)time_mono_ms() ^ 0x5bd1e995u;
	return c;
}

static void call_free(struct hs_call *call)
{
	if (!call)
		return;
	free(call->method);
	free(call->path);
	free(call->body);
	hs_response_release(&call->resp);
	free(call);
}

void hs_client_free(struct hs_client *c)
{
	if (!c)
		return;
	/* Transfers still running are abandoned with the http client. */
	while (c->queue) {
		struct hs_call *n = c->queue->next;

		call_free(c->queue);
		c->queue = n;
	}
	while (c->done) {
		struct hs_call *n = c->done->next;

		call_free(c->done);
		c->done = n;
	}
	http_client_free(c->http);
	hs_limiter_release(&c->main);
	hs_limiter_release(&c->search);
	if (c->token) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	free(c->base);
	free(c->stop_message);
	free(c->stop_category);
	free(c->stop_reason);
	free(c);
}

void hs_client_resume(struct hs_client *c)
{
	c->stopped = false;
	FREE_NULL(c->stop_message);
	FREE_NULL(c->stop_category);
	FREE_NULL(c->stop_reason);
}

const char *hs_client_stop_reason(const struct hs_client *c)
{
	return c->stopped ? c->stop_reason : NULL;
}

const struct hs_stats *hs_client_stats(const struct hs_client *c)
{
	return &c->stats;
}

double hs_client_rate(const struct hs_client *c)
{
	const struct hs_limiter *l = &c->main;
	int64_t now = time_mono_ms(), since = now - l->interval_ms;
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->t[i] > since)
			n++;
	return (double)n * 1000.0 / l->interval_ms;
}

int hs_client_parallel(const struct hs_client *c)
{
	return c->parallel;
}

size_t hs_outstanding(const struct hs_client *c)
{
	return c->outstanding;
}

static void list_append(struct hs_call **head, struct hs_call *call)
{
	call->next = NULL;
	while (*head)
		head = &(*head)->next;
	*head = call;
}

static bool path_is_search(const char *path)
{
	return str_ends_with(path, "/search");
}

static bool path_is_write(const char *method, const char *path)
{
	if (!strcmp(method, "GET"))
		return false;
	if (!strcmp(method, "POST"))
		return !path_is_search(path) && !str_ends_with(path, "/batch/read");
	return true;
}

static struct hs_call *submit(struct hs_client *c, const char *method, const char *path,
			      const cJSON *body, bool idempotent, void *tag)
{
	struct hs_call *call = xcalloc(1, sizeof(*call));

	call->method = xstrdup(method);
	call->path = xstrdup(path);
	if (body) {
		char *text = cJSON_PrintUnformatted(body);

		if (!text)
			die(EXIT_REFUSED, "out of memory");
		call->body = xstrdup(text);
		call->body_len = strlen(text);
		cJSON_free(text);
	}
	call->idempotent = idempotent;
	call->search = path_is_search(path);
	call->write = path_is_write(method, path);
	if (call->write && c->read_only)
		BUG("a dry run must not write: %s %s", method, path);
	call->tag = tag;
	call->started_ms = time_mono_ms();
	list_append(&c->queue, call);
	c->outstanding++;
	return call;
}

void hs_submit(struct hs_client *c, const char *method, const char *path, const cJSON *body,
	       bool idempotent, void *tag)
{
	submit(c, method, path, body, idempotent, tag);
}

/* Move a call out of the queue (or in-flight) into the done list. */
static void finish(struct hs_client *c, struct hs_call *call, enum hs_result res)
{
	call->result = res;
	call->resp.attempts = call->attempts;
	if (res == HS_FAILED)
		c->stats.failed++;
	list_append(&c->done, call);
}

static void queue_remove(struct hs_client *c, struct hs_call *call)
{
	struct hs_call **pp = &c->queue;

	while (*pp && *pp != call)
		pp = &(*pp)->next;
	if (*pp)
		*pp = call->next;
	call->next = NULL;
}

static void send_call(struct hs_client *c, struct hs_call *call, int64_t now)
{
	struct http_request req;
	char *url = xasprintf("%s%s", c->base, call->path);
	int64_t left;

	memset(&req, 0, sizeof(req));
	req.method = call->method;
	req.url = url;
	req.bearer = c->token;
	req.body = call->body;
	req.body_len = call->body_len;
	/* No attempt outlives the call's retry budget: the budget is a real bound. */
	if (!call->attempts)
		call->first_sent_ms = now;
	left = call->first_sent_ms + c->budget_ms - now;
	req.timeout_ms = c->timeout_ms < left ? c->timeout_ms : left > 1000 ? left : 1000;
	req.resend_ok = call->idempotent;
	hs_limiter_sent(call->search ? &c->search : &c->main, now);
	call->sent_at = now;
	c->stats.requests++;
	if (call->write)
		c->stats.writes++;
	if (call->search)
		c->stats.searches++;
	call->attempts++;
	c->inflight++;
	http_start(c->http, &req, call);
	free(url);
}

/* Send whatever the limiters and the in-flight limit allow; *wake = next time worth looking. */
static void start_eligible(struct hs_client *c, int64_t now, int64_t *wake)
{
	struct hs_call *call = c->queue, *next;

	for (; call; call = next) {
		struct hs_limiter *l = call->search ? &c->search : &c->main;
		int64_t w;

		next = call->next;
		if (c->stopped) {
			queue_remove(c, call);
			call->resp.sent = call->attempts > 0;
			call->resp.message = xstrdup(c->stop_message);
			call->resp.category = xstrdup(c->stop_category);
			finish(c, call, c->stop_result);
			continue;
		}
		if (call->not_before > now) {
			if (call->not_before < *wake)
				*wake = call->not_before;
			continue;
		}
		if (c->inflight >= (size_t)c->parallel)
			break;
		w = hs_limiter_wait(l, now);
		if (w > 0) {
			if (now + w < *wake)
				*wake = now + w;
			continue;
		}
		queue_remove(c, call);
		send_call(c, call, now);
	}
}

static long header_long(const struct http_result *r, const char *name)
{
	const char *v = http_header_get(r, name);
	char *end;
	long n;

	if (!v)
		return -1;
	n = strtol(v, &end, 10);
	return end == v ? -1 : n;
}

static void stop_run(struct hs_client *c, enum hs_result res, const struct hs_response *resp)
{
	if (c->stopped)
		return;
	c->stopped = true;
	c->stop_result = res;
	c->stop_message = xasprintf("not sent: %s", resp->message ? resp->message : "run stopped");
	c->stop_reason = xstrdup(resp->message);
	c->stop_category = xstrdup(resp->category);
}

/* A warning on a terminal starts on a clean line (the batcher may have drawn progress). */
static void tty_clear_line(void)
{
	if (util_verbosity >= 1 && isatty(2))
		fputs("\r\033[K", stderr);
}

/* Requeue a call after `delay` ms, within its budget; false when the budget is spent. */
static bool requeue(struct hs_client *c, struct hs_call *call, int64_t now, int64_t delay)
{
	if (now + delay - call->started_ms > c->budget_ms)
		return false;
	call->not_before = now + delay;
	list_append(&c->queue, call);
	return true;
}

/* One HTTP attempt of `call` ended: decide, then finish or requeue it. */
static void complete(struct hs_client *c, struct hs_call *call, struct http_result *r)
{
	int64_t now = time_mono_ms();
	bool have_status = r->err == HTTP_E_NONE;
	long status = have_status ? r->status : 0;
	cJSON *json = NULL;
	bool body_ok = true;
	enum hs_policy policy = HS_POLICY_NONE;
	enum hs_action act;
	int64_t delay;
	char *problem;

	c->inflight--;
	if (!call->search)
		hs_limiter_answered(&c->main, call->sent_at, now);
	if (!call->search)
		hs_limiter_observe(&c->main, now, call->sent_at,
				   header_long(r, "X-HubSpot-RateLimit-Max"),
				   header_long(r, "X-HubSpot-RateLimit-Remaining"),
				   header_long(r, "X-HubSpot-RateLimit-Interval-Milliseconds"));
	if (!call->search && have_status && status >= 200 && status < 300 && !c->stopped &&
	    hs_daily_reserve_reached(header_long(r, "X-HubSpot-RateLimit-Daily"),
				     header_long(r, "X-HubSpot-RateLimit-Daily-Remaining"))) {
		struct hs_response why = {0};

		why.message = xasprintf(
			"stopped before the last 5%% of the portal's daily API limit (%ld of %ld "
			"left), so that its other integrations keep working",
			header_long(r, "X-HubSpot-RateLimit-Daily-Remaining"),
			header_long(r, "X-HubSpot-RateLimit-Daily"));
		stop_run(c, HS_DAILY_LIMIT, &why);
		warning("%s", why.message);
		free(why.message);
	}
	if (have_status && r->body.len) {
		size_t clean_len;
		char *clean = hs_redact_secret(r->body.buf, r->body.len, c->token, &clean_len);

		/* Nothing HubSpot (or a proxy) sends back carries the token further. */
		if (clean) {
			sbuf_reset(&r->body);
			sbuf_add(&r->body, clean, clean_len);
			free(clean);
		}
		json = cJSON_ParseWithLength(r->body.buf, r->body.len);
		body_ok = json != NULL;
	}
	if (status == 429) {
		policy = hs_policy_of(json);
		c->stats.throttled++;
		if (policy == HS_POLICY_DAILY)
			c->stats.throttled_daily++;
		if (policy == HS_POLICY_SECONDLY)
			c->stats.throttled_secondly++;
	}
	act = hs_decide(status, r->maybe_sent, body_ok, call->idempotent,
			r->err == HTTP_E_CONNECT || r->err == HTTP_E_TIMEOUT ||
				r->err == HTTP_E_DROPPED,
			policy);
	if (have_status)
		verbose("%s %s -> %ld (%lld ms)", call->method, call->path, r->status,
			(long long)r->elapsed_ms);
	else
		verbose("%s %s -> %s (%lld ms)", call->method, call->path, http_error_name(r->err),
			(long long)r->elapsed_ms);

	hs_response_release(&call->resp);
	call->resp.status = status;
	call->resp.sent = r->maybe_sent || have_status;
	if (have_status && status >= 200 && status < 300)
		problem = NULL;
	else if (have_status)
		problem = body_ok ? xasprintf("HTTP %ld", status)
				  : xasprintf("HTTP %ld with an unreadable body", status);
	else
		problem = xstrdup(r->errmsg ? r->errmsg : http_error_name(r->err));
	if (have_status && status >= 200 && status < 300 && !body_ok) {
		free(problem);
		problem = xasprintf("HTTP %ld with a truncated or invalid JSON body", status);
	}

	switch (act) {
	case HS_ACT_DONE:
		if (status >= 200 && status < 300) {
			call->resp.body = json;
			json = NULL;
			finish(c, call, HS_OK);
		} else {
			hs_describe_error(status, json, &call->resp);
			call->resp.body = json;
			json = NULL;
			finish(c, call, HS_CLIENT_ERROR);
		}
		break;
	case HS_ACT_RETRY:
		call->retries++;
		delay = hs_backoff_ms(call->retries, r->retry_after_s, &c->seed);
		if (requeue(c, call, now, delay)) {
			c->stats.retries++;
			tty_clear_line();
			warning("problem: %s on %s %s; retrying in %.1f seconds", problem,
				call->method, call->path, (double)delay / 1000.0);
			break;
		}
		call->resp.message = xasprintf("%s on %s %s; gave up after %d attempts", problem,
					       call->method, call->path, call->attempts);
		finish(c, call, HS_FAILED);
		break;
	case HS_ACT_WAIT_WINDOW:
	case HS_ACT_SLOW_SEARCH: {
		struct hs_limiter *l = call->search ? &c->search : &c->main;

		/* A second 429 on search (not the first: arrival jitter) lowers the pace for good.
		 */
		if (act == HS_ACT_SLOW_SEARCH && c->stats.throttled_secondly > 1 && l->max > 1) {
			l->max--;
			l->cfg_max = l->max;
		}
		delay = r->retry_after_s >= 0	    ? r->retry_after_s * 1000L
			: act == HS_ACT_SLOW_SEARCH ? 1000
						    : l->interval_ms;
		hs_limiter_hold(l, now + delay);
		if (++call->throttles <= MAX_THROTTLES) {
			c->stats.retries++;
			call->not_before = now + delay;
			list_append(&c->queue, call);
			verbose("429 %s on %s %s; waiting %.1f seconds",
				policy == HS_POLICY_SECONDLY ? "SECONDLY" : "TEN_SECONDLY_ROLLING",
				call->method, call->path, (double)delay / 1000.0);
			break;
		}
		hs_describe_error(status, json, &call->resp);
		finish(c, call, HS_FAILED);
		break;
	}
	case HS_ACT_DAILY:
		hs_describe_error(status, json, &call->resp);
		free(call->resp.message);
		call->resp.message = xstrdup("HubSpot's daily API limit is reached");
		stop_run(c, HS_DAILY_LIMIT, &call->resp);
		finish(c, call, HS_DAILY_LIMIT);
		break;
	case HS_ACT_AUTH:
		hs_describe_error(status, json, &call->resp);
		stop_run(c, HS_AUTH, &call->resp);
		finish(c, call, HS_AUTH);
		break;
	case HS_ACT_UNKNOWN:
		c->stats.unknown++;
		call->resp.message = xasprintf("%s after the request was sent", problem);
		finish(c, call, HS_UNKNOWN_OUTCOME);
		break;
	case HS_ACT_FAIL:
		call->resp.message = xasprintf("%s on %s %s", problem, call->method, call->path);
		finish(c, call, HS_FAILED);
		break;
	}
	free(problem);
	cJSON_Delete(json);
}

static bool ready(const struct hs_client *c, const struct hs_call *want)
{
	for (const struct hs_call *d = c->done; d; d = d->next)
		if (!want || d == want)
			return true;
	return false;
}

/*
 * Drive the queue and the transfers until `want` (NULL: any call) is done or
 * `deadline` (-1: none) passes.
 */
static void pump(struct hs_client *c, int64_t deadline, const struct hs_call *want)
{
	for (;;) {
		int64_t now = time_mono_ms(), wake = INT64_MAX, wait;
		struct http_xfer *x;

		start_eligible(c, now, &wake);
		if (ready(c, want))
			return;
		if (!c->queue && !http_running(c->http))
			return;
		wait = wake == INT64_MAX ? 1000 : wake - now;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		if (wait < 0)
			wait = 0;
		x = http_poll(c->http, (long)wait);
		while (x) {
			complete(c, http_xfer_tag(x), http_xfer_result(x));
			http_xfer_free(x);
			x = http_poll(c->http, 0);
		}
		if (ready(c, want))
			return;
		if (deadline >= 0 && time_mono_ms() >= deadline)
			return;
	}
}

static struct hs_call *done_take(struct hs_client *c, struct hs_call *want)
{
	struct hs_call **pp = &c->done;

	while (*pp && want && *pp != want)
		pp = &(*pp)->next;
	if (!*pp)
		return NULL;
	struct hs_call *call = *pp;

	*pp = call->next;
	call->next = NULL;
	c->outstanding--;
	return call;
}

static enum hs_result hand_back(struct hs_call *call, struct hs_response *resp)
{
	enum hs_result res = call->result;

	*resp = call->resp;
	memset(&call->resp, 0, sizeof(call->resp));
	call_free(call);
	return res;
}

bool hs_next(struct hs_client *c, long timeout_ms, void **tag, enum hs_result *res,
	     struct hs_response *resp)
{
	int64_t deadline = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;
	struct hs_call *call;

	memset(resp, 0, sizeof(*resp));
	if (!c->done)
		pump(c, deadline, NULL);
	call = done_take(c, NULL);
	if (!call)
		return false;
	*tag = call->tag;
	*res = hand_back(call, resp);
	return true;
}

cJSON *hs_search_in_body(const char *property, cJSON **values)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *groups = cJSON_AddArrayToObject(body, "filterGroups");
	cJSON *group = cJSON_CreateObject(), *filters, *filter;

	cJSON_AddItemToArray(groups, group);
	filters = cJSON_AddArrayToObject(group, "filters");
	filter = cJSON_CreateObject();
	cJSON_AddItemToArray(filters, filter);
	cJSON_AddStringToObject(filter, "propertyName", property);
	cJSON_AddStringToObject(filter, "operator", "IN");
	*values = cJSON_AddArrayToObject(filter, "values");
	return body;
}

void hs_search_in_add(cJSON *values, const char *value)
{
	char *low = str_lower(xstrdup(value));
	const cJSON *v;
	bool dup = false;

	cJSON_ArrayForEach(v, values) dup = dup || !strcmp(v->valuestring, low);
	if (!dup)
		cJSON_AddItemToArray(values, cJSON_CreateString(low));
	free(low);
}

void hs_search_body_end(cJSON *body, const char *first, const char *second,
			const char *const *props, size_t nprops, int limit, const char *after)
{
	cJSON *pr;

	cJSON_AddArrayToObject(body, "sorts");
	pr = cJSON_AddArrayToObject(body, "properties");
	cJSON_AddItemToArray(pr, cJSON_CreateString(first));
	if (second)
		cJSON_AddItemToArray(pr, cJSON_CreateString(second));
	for (size_t k = 0; k < nprops; k++)
		if (strcmp(props[k], first) && (!second || strcmp(props[k], second)))
			cJSON_AddItemToArray(pr, cJSON_CreateString(props[k]));
	cJSON_AddNumberToObject(body, "limit", limit);
	cJSON_AddStringToObject(body, "after", after ? after : "0");
}

enum hs_result hs_call(struct hs_client *c, const char *method, const char *path, const cJSON *body,
		       bool idempotent, struct hs_response *resp)
{
	struct hs_call *call = submit(c, method, path, body, idempotent, NULL), *got;

	memset(resp, 0, sizeof(*resp));
	while (!(got = done_take(c, call)))
		pump(c, -1, call);
	return hand_back(got, resp);
}
