/* http: the only libcurl user — JSON requests (several in flight) and feed downloads. */
#ifndef HTTP_H
#define HTTP_H

/*
 * Ownership: results are filled by this module and released with
 * http_result_release(); request fields are borrowed for the duration of the
 * transfer. The caller calls curl's global init through http_global_init()
 * once (main), or lets http_client_new() do it lazily.
 */

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a transfer ended when no HTTP status came back (or came back broken). */
enum http_error {
	HTTP_E_NONE, /* an HTTP status was received (any status) */
	HTTP_E_CONNECT, /* never connected: the request was surely not sent */
	HTTP_E_TIMEOUT, /* connect or total timeout */
	HTTP_E_DROPPED, /* connection dropped, reset, or answer cut short */
	HTTP_E_TLS, /* TLS handshake or certificate verification failed */
	HTTP_E_TOO_BIG, /* body larger than the caller's limit */
	HTTP_E_OTHER,
};

struct http_header {
	char *name;
	char *value;
};

struct http_result {
	long status; /* HTTP status, 0 when none */
	enum http_error err;
	bool maybe_sent; /* the server may have received (and acted on) the request */
	char *errmsg; /* transport error text (never contains the token), or NULL */
	struct sbuf body; /* response body (decoded when compressed); buf NULL when empty */
	struct http_header *headers; /* of the last response (after redirects) */
	size_t nheaders, headers_cap;
	long retry_after_s; /* Retry-After in seconds, -1 when absent */
	int64_t elapsed_ms;
};

struct http_request {
	const char *method; /* "GET", "POST", "PATCH", "DELETE" */
	const char *url;
	const char *bearer; /* token for "Authorization: Bearer", or NULL; never printed */
	const char *body; /* JSON body or NULL */
	size_t body_len;
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms; /* total; 0: none */
	/*
	 * false: libcurl must not transparently resend the body (it does so
	 * once when a reused keep-alive connection dies without an answer);
	 * the transfer then fails with HTTP_E_DROPPED and maybe_sent set.
	 */
	bool resend_ok;
};

struct http_client;
struct http_xfer;

/* curl_global_init, once per process; safe to call several times. */
void http_global_init(void);

/* A client: a curl multi handle with a connection cache (keep-alive) and a handle pool. */
struct http_client *http_client_new(void);
void http_client_free(struct http_client *h);

/*
 * Start a transfer (it runs while http_poll() is called). `tag` is handed
 * back with the finished transfer. Returns the transfer; the caller frees it
 * with http_xfer_free() after http_poll() returned it.
 */
struct http_xfer *http_start(struct http_client *h, const struct http_request *req, void *tag);
/*
 * Drive every running transfer for up to timeout_ms (0: do not block) and
 * return one finished transfer, or NULL when none finished in that time.
 */
struct http_xfer *http_poll(struct http_client *h, long timeout_ms);
/* Number of transfers started and not yet returned by http_poll(). */
size_t http_running(const struct http_client *h);
void *http_xfer_tag(const struct http_xfer *x);
/* The result of a finished transfer (owned by the transfer until taken). */
struct http_result *http_xfer_result(struct http_xfer *x);
void http_xfer_free(struct http_xfer *x);

/* One transfer, blocking (other running transfers progress meanwhile but are not returned). */
void http_perform(struct http_client *h, const struct http_request *req, struct http_result *res);

void http_result_init(struct http_result *r);
void http_result_release(struct http_result *r);
/* Value of response header `name` (case-insensitive), borrowed, or NULL. */
const char *http_header_get(const struct http_result *r, const char *name);
/* "connection refused", "timeout", "HTTP 502"...: a short description of the outcome. */
const char *http_error_name(enum http_error e);

/*
 * The transport policy for the HubSpot API base: https://, or http:// on a
 * loopback address (127.0.0.0/8, [::1], localhost: a local sandbox or proxy).
 * Anything else is refused (-1 after an error naming the URL) unless
 * allow_insecure (--allow-insecure-http), which warns. Messages show the URL
 * without user:password or query (url_redact_credentials()).
 */
int http_check_api_base(const char *url, bool allow_insecure);

/* Result of http_fetch(). */
struct http_fetch_result {
	long status; /* final HTTP status (304 when not modified) */
	bool not_modified; /* 304: out_path was left untouched */
	char *etag; /* ETag of the response, or NULL */
	char *last_modified; /* Last-Modified of the response, or NULL */
	size_t bytes; /* bytes written */
};
void http_fetch_result_release(struct http_fetch_result *r);

/*
 * GET a calendar feed into out_path (written to a temporary 0600 file and
 * renamed, only on 200). webcal:// is fetched as https://. Follows up to 10
 * redirects, accepts gzip, sends If-None-Match / If-Modified-Since when etag /
 * last_modified are given, and stops past max_bytes (0: 64 MiB). Returns 0
 * (including 304), or -1 after printing an error that names the redacted URL
 * (401/403 "access denied", 404 "not found", size limit, timeouts).
 */
int http_fetch(const char *url, const char *etag, const char *last_modified, size_t max_bytes,
	       const char *out_path, struct http_fetch_result *res);

/* The libcurl version in use (runtime; borrowed). */
const char *http_curl_version(void);

#endif
