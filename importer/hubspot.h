/* hubspot: the HubSpot API client — auth, rate limits, retries, error shapes. */
#ifndef HUBSPOT_H
#define HUBSPOT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct hs_options {
	const char *api_base;  /* e.g. "https://api.hubapi.com" (no trailing slash needed) */
	const char *token;     /* Bearer token; never printed */
	int rate_max;          /* requests per interval (--rate 100/10s) */
	int rate_interval_ms;
	int timeout_s;         /* per request */
	int retry_budget_s;    /* total time retries may take, per call */
};

struct hs_client;

struct hs_client *hs_client_new(const struct hs_options *opt);
void hs_client_free(struct hs_client *c);

enum hs_result {
	HS_OK,              /* 2xx: the body is in resp->body (may be NULL for 204) */
	HS_CLIENT_ERROR,    /* 400/404/409/422...: not retried; message in resp */
	HS_AUTH,            /* 401 or 403 (MISSING_SCOPES): the run must stop */
	HS_DAILY_LIMIT,     /* 429 DAILY: the run must stop, a re-run continues */
	HS_UNKNOWN_OUTCOME, /* non-idempotent call sent, answer lost (timeout, reset, 502/504) */
	HS_FAILED,          /* retries exhausted or transport error before sending */
};

struct hs_response {
	long status;     /* HTTP status, 0 when none */
	cJSON *body;     /* parsed JSON body, or NULL */
	char *message;   /* HubSpot's message, or a transport error text */
	char *category;  /* HubSpot's category (VALIDATION_ERROR, ...), or NULL */
};
void hs_response_release(struct hs_response *r);

/*
 * One API call. `body` is borrowed (NULL for none). `idempotent` calls (reads,
 * search, update, archive, upsert) are retried on 429/5xx/timeouts within the
 * retry budget; a non-idempotent call (batch/create) is retried only when it
 * surely was not processed (429, connection refused, 503 before processing);
 * otherwise HS_UNKNOWN_OUTCOME is returned and the caller must resolve.
 * Waits as the rate limiter says before sending. Search paths (…/search) are
 * also held to 5 requests per second.
 */
enum hs_result hs_call(struct hs_client *c, const char *method, const char *path,
		       const cJSON *body, bool idempotent, struct hs_response *resp);

/* Counters for the summary and benchmarks. */
struct hs_stats {
	long requests;   /* HTTP requests sent */
	long writes;     /* requests that write (POST other than read/search, PATCH, DELETE) */
	long retries;
	long throttled;  /* 429s received */
	long unknown;    /* ambiguous outcomes */
};
const struct hs_stats *hs_client_stats(const struct hs_client *c);

#endif
