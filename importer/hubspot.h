/* hubspot: the HubSpot API client — auth, rate limits, retries, error shapes. */
#ifndef HUBSPOT_H
#define HUBSPOT_H

/*
 * Ownership: hs_response fields belong to the response (hs_response_release).
 * Request bodies are borrowed and serialised when the call is submitted.
 * The token is only ever put in the Authorization header: no message, log or
 * trace of this module contains it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct hs_options {
	const char *api_base; /* e.g. "https://api.hubapi.com" (no trailing slash needed) */
	const char *token; /* Bearer token; never printed */
	int rate_max; /* requests per interval (--rate 100/10s); 0: 100 */
	int rate_interval_ms; /* 0: 10000 */
	int timeout_s; /* per request; 0: 30 */
	int retry_budget_s; /* total time retries may take, per call; 0: 120 */
	int parallel; /* requests in flight at most; 0: 4 */
	int search_rate; /* search requests per second; 0: 5 */
	/*
	 * No --rate given: rate_max is only where to start, and the portal's
	 * X-HubSpot-RateLimit-Max sets the pace up as well as down. Otherwise
	 * rate_max is a ceiling the headers can only lower.
	 */
	bool rate_from_portal;
	/* --dry-run: only look-ups (GET, searches, batch reads); a write is a bug. */
	bool read_only;
};

struct hs_client;

/*
 * A client for api_base with the token. Test hooks (environment):
 * ICS2HUBSPOT_HTTP_TIMEOUT_MS and ICS2HUBSPOT_RETRY_BUDGET_MS override
 * timeout_s and retry_budget_s.
 */
struct hs_client *hs_client_new(const struct hs_options *opt);
void hs_client_free(struct hs_client *c);

enum hs_result {
	HS_OK, /* 2xx: the body is in resp->body (may be NULL for 204) */
	HS_CLIENT_ERROR, /* 400/404/409/422...: not retried; message in resp */
	HS_AUTH, /* 401 or 403 (MISSING_SCOPES): the run must stop */
	HS_DAILY_LIMIT, /* 429 DAILY: the run must stop, a re-run continues */
	HS_UNKNOWN_OUTCOME, /* non-idempotent call sent, answer lost (timeout, reset, 5xx, bad body)
			     */
	HS_FAILED, /* retries exhausted or transport error before sending */
};
/* "ok", "client error", "auth", "daily limit", "unknown outcome", "failed". */
const char *hs_result_name(enum hs_result r);

struct hs_response {
	long status; /* HTTP status, 0 when none */
	cJSON *body; /* parsed JSON body, or NULL */
	char *message; /* HubSpot's message, or a transport error text */
	char *category; /* HubSpot's category (VALIDATION_ERROR, ...), or NULL */
	bool sent; /* false: the request surely never reached HubSpot */
	int attempts; /* HTTP requests this call took */
};
void hs_response_release(struct hs_response *r);

/*
 * One API call. `body` is borrowed (NULL for none). `idempotent` calls (reads,
 * search, update, archive, upsert) are retried on 429/5xx/timeouts within the
 * retry budget; a non-idempotent call (batch/create) is retried only when it
 * surely was not processed (429, connection refused); otherwise
 * HS_UNKNOWN_OUTCOME is returned and the caller must resolve.
 * Waits as the rate limiter says before sending. Search paths (…/search) are
 * held to the search rate instead of the ten-secondly limit.
 * After a 401, 403 or 429 DAILY every later call returns that result without
 * sending anything (resp->sent false).
 */
enum hs_result hs_call(struct hs_client *c, const char *method, const char *path, const cJSON *body,
		       bool idempotent, struct hs_response *resp);

/*
 * A CRM search request body whose one filter is `property` IN *values (an empty array, filled
 * with hs_search_in_add()); hs_search_body_end() ends it.
 */
cJSON *hs_search_in_body(const char *property, cJSON **values);
/* value, lower-cased (HubSpot's IN on a string property wants it so), once, into values. */
void hs_search_in_add(cJSON *values, const char *value);

/*
 * The end of a CRM search request body (after its filterGroups): no sorts;
 * properties `first`, `second` (when not NULL), then the others of
 * props[0..nprops) in order; `limit` results; the page `after` (NULL: the
 * first, "0").
 */
void hs_search_body_end(cJSON *body, const char *first, const char *second,
			const char *const *props, size_t nprops, int limit, const char *after);

/*
 * Concurrent calls. hs_submit() queues a call (same rules as hs_call) that
 * goes out when the rate limiter and the in-flight limit (options.parallel)
 * allow; hs_next() drives the transfers for up to timeout_ms (-1: until one
 * finishes) and hands back one finished call with its `tag`. It returns
 * false when nothing finished in time or nothing is submitted.
 */
void hs_submit(struct hs_client *c, const char *method, const char *path, const cJSON *body,
	       bool idempotent, void *tag);
bool hs_next(struct hs_client *c, long timeout_ms, void **tag, enum hs_result *res,
	     struct hs_response *resp);
/* Calls submitted and not yet handed back by hs_next(). */
size_t hs_outstanding(const struct hs_client *c);
/* The in-flight limit (options.parallel). */
int hs_client_parallel(const struct hs_client *c);

/*
 * Let calls go out again after a 401/403/429 DAILY stopped the client: for a
 * caller that expected the refusal (a look-up with a fallback).
 */
void hs_client_resume(struct hs_client *c);
/* Why the client stopped (HubSpot's message or the daily reserve), or NULL. */
const char *hs_client_stop_reason(const struct hs_client *c);

/* Counters for the summary and benchmarks. */
struct hs_stats {
	long requests; /* HTTP requests sent */
	long writes; /* requests that write (POST other than read/search, PATCH, DELETE) */
	long searches; /* search requests sent */
	long retries;
	long throttled; /* 429s received */
	long throttled_daily;
	long throttled_secondly;
	long unknown; /* ambiguous outcomes */
	long failed; /* calls that ended in HS_FAILED */
};
const struct hs_stats *hs_client_stats(const struct hs_client *c);
/* Requests per second over the last rate interval. */
double hs_client_rate(const struct hs_client *c);

/* ---- pure parts, exposed for tests ------------------------------------------------------- */

/*
 * Sliding-window limiter: at most `max` sends in any `interval_ms`, plus a
 * safety margin, so that HubSpot's own window (counted when it admits the
 * request, somewhere between our send and its answer) never overflows. Adapts from
 * X-HubSpot-RateLimit-Max/-Remaining/-Interval- Milliseconds: a lower Max lowers the limit, and
 * sends HubSpot counted that we did not make (other users of the app) are added to the window.
 */
struct hs_limiter {
	int cfg_max; /* configured limit */
	bool adopt_up; /* X-HubSpot-RateLimit-Max may raise max above cfg_max */
	int max; /* effective limit */
	int interval_ms;
	int margin_ms;
	int64_t *t; /* send times (ms, monotonic), oldest first, two windows' worth */
	size_t n, cap;
	int64_t hold_until; /* no send before this (429 back-off) */
};
void hs_limiter_init(struct hs_limiter *l, int max, int interval_ms, int margin_ms);
void hs_limiter_release(struct hs_limiter *l);
/* Milliseconds to wait before the next send may go at `now` (0: go). */
int64_t hs_limiter_wait(struct hs_limiter *l, int64_t now);
void hs_limiter_sent(struct hs_limiter *l, int64_t now);
/*
 * The request sent at sent_at was answered (or failed) at now. HubSpot
 * counted it somewhere in between; from now on it counts as sent at now, so
 * that its slot frees a full interval after the latest moment HubSpot can
 * have counted it.
 */
void hs_limiter_answered(struct hs_limiter *l, int64_t sent_at, int64_t now);
/*
 * Response headers (-1 when absent) of a request sent at sent_at. The limit
 * follows X-HubSpot-RateLimit-Max down, and up too with adopt_up (at most
 * HS_MAX_RATE), else up to cfg_max.
 */
#define HS_MAX_RATE 1000
void hs_limiter_observe(struct hs_limiter *l, int64_t now, int64_t sent_at, long hdr_max,
			long hdr_remaining, long hdr_interval_ms);
void hs_limiter_hold(struct hs_limiter *l, int64_t until);
/* Sends in the window ending at now. */
size_t hs_limiter_count(struct hs_limiter *l, int64_t now);

/* 429 policies. */
enum hs_policy {
	HS_POLICY_NONE,
	HS_POLICY_TEN_SECONDLY, /* TEN_SECONDLY_ROLLING */
	HS_POLICY_SECONDLY,
	HS_POLICY_DAILY,
	HS_POLICY_OTHER, /* a 429 naming no known policy */
};
/*
 * X-HubSpot-RateLimit-Daily and -Daily-Remaining (-1 when absent): true when
 * the run should stop now, before the last 5% of the portal's daily budget.
 */
bool hs_daily_reserve_reached(long daily, long remaining);

/* Classify a 429 body (policyName first, then message); NULL body → OTHER. */
enum hs_policy hs_policy_of(const cJSON *body);

/*
 * Fill resp->message and resp->category from an error body (any of its
 * fields may be missing). 401 and 403 get a message saying what to do;
 * MISSING_SCOPES names the scopes (requiredGranularScopes or missingScopes).
 */
void hs_describe_error(long status, const cJSON *body, struct hs_response *resp);

/*
 * A body with the secret in it (a server or proxy echoing the Authorization
 * header in an error): a copy of text[0..len) with every occurrence of
 * `secret` and every "Bearer <credential>" replaced by "[REDACTED]", its
 * length in *out_len; NULL when there is none (the text is clean).
 */
char *hs_redact_secret(const char *text, size_t len, const char *secret, size_t *out_len);

/* What to do with one HTTP attempt. */
enum hs_action {
	HS_ACT_DONE, /* final: HS_OK / HS_CLIENT_ERROR (see status) */
	HS_ACT_RETRY, /* back off, then resend */
	HS_ACT_WAIT_WINDOW, /* 429 ten-secondly (or unnamed): wait for the window, resend */
	HS_ACT_SLOW_SEARCH, /* 429 secondly: slow searches down, resend */
	HS_ACT_DAILY, /* stop the run */
	HS_ACT_AUTH, /* stop the run */
	HS_ACT_UNKNOWN, /* a create may have happened: the caller resolves */
	HS_ACT_FAIL, /* not retryable transport failure (TLS) */
};
/*
 * Decide from the status (0: none), whether the request may have been sent,
 * whether a 2xx body parsed, whether the call is idempotent, whether the
 * transport failure is retryable at all, and the 429 policy.
 */
enum hs_action hs_decide(long status, bool maybe_sent, bool body_ok, bool idempotent,
			 bool transport_retryable, enum hs_policy policy);
/*
 * Back-off before attempt `attempt` (1 = first retry): Retry-After seconds
 * when given (>= 0), else 1 s doubling up to 60 s, times a jitter in
 * [0.5, 1.0) drawn from *seed.
 */
int64_t hs_backoff_ms(int attempt, long retry_after_s, unsigned *seed);

#endif
