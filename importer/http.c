/* http: the only libcurl user — JSON requests (several in flight) and feed downloads. */
#include "http.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define FETCH_DEFAULT_MAX	   (64u * 1024 * 1024)
#define FETCH_TIMEOUT_MS	   120000L
/*
 * HubSpot's answers: the largest real ones (a batch read of 100 records with
 * their properties, a page of owners) are well under 1 MiB. A body past this
 * is no answer: the transfer stops with "response larger than 16 MiB".
 */
#define API_MAX_BODY (16u * 1024 * 1024)
/* Response headers: at most this many lines and bytes (libcurl bounds one line only). */
#define MAX_HEADERS	 200
#define MAX_HEADER_BYTES (256u * 1024)
/*
 * A transfer slower than LOW_SPEED_LIMIT bytes/s for LOW_SPEED_TIME_S seconds
 * is dropped (a server trickling a byte a second), so that the per-request
 * timeout and the retry budget are real bounds. Test hook:
 * ICS2HUBSPOT_LOW_SPEED_TIME_S.
 */
#define LOW_SPEED_LIMIT	 16L
#define LOW_SPEED_TIME_S 20L

struct http_xfer {
	struct http_client *h;
	CURL *easy;
	void *tag;
	struct curl_slist *hdrs;
	char *auth; /* "Authorization: Bearer ..." (wiped before free) */
	const char *body;
	size_t body_len, body_pos;
	bool resend_ok;
	size_t max_bytes; /* 0: unlimited */
	bool too_big;
	size_t header_bytes;
	FILE *out; /* http_fetch: body goes here instead of res.body */
	bool feed; /* http_fetch: the URL's path and query may be secret */
	size_t out_bytes;
	char errbuf[CURL_ERROR_SIZE];
	bool done;
	struct http_result res;
	struct http_xfer *next_done;
};

struct http_client {
	CURLM *multi;
	CURL **pool; /* idle easy handles */
	size_t npool, cappool;
	size_t running; /* started, not yet returned */
	struct http_xfer *done_head, *done_tail;
};

static bool global_done;

void http_global_init(void)
{
	if (global_done)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die(EXIT_REFUSED, "cannot initialise libcurl");
	global_done = true;
}

void http_result_init(struct http_result *r)
{
	memset(r, 0, sizeof(*r)); /* body.buf stays NULL until data arrives */
	r->retry_after_s = -1;
}

static void headers_clear(struct http_result *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = r->headers_cap = 0;
}

void http_result_release(struct http_result *r)
{
	if (!r)
		return;
	headers_clear(r);
	sbuf_release(&r->body);
	free(r->errmsg);
	http_result_init(r);
}

const char *http_header_get(const struct http_result *r, const char *name)
{
	for (size_t i = r->nheaders; i-- > 0;)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

const char *http_error_name(enum http_error e)
{
	switch (e) {
	case HTTP_E_NONE:
		return "answered";
	case HTTP_E_CONNECT:
		return "cannot connect";
	case HTTP_E_TIMEOUT:
		return "timeout";
	case HTTP_E_DROPPED:
		return "connection dropped";
	case HTTP_E_TLS:
		return "TLS failure";
	case HTTP_E_TOO_BIG:
		return "response too large";
	case HTTP_E_OTHER:
		break;
	}
	return "transfer failed";
}

struct http_client *http_client_new(void)
{
	struct http_client *h = xcalloc(1, sizeof(*h));

	http_global_init();
	h->multi = curl_multi_init();
	if (!h->multi)
		die(EXIT_REFUSED, "cannot initialise libcurl");
	/* Keep enough idle connections for the batcher's requests in flight. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 16L);
	return h;
}

static void xfer_destroy(struct http_xfer *x)
{
	if (!x)
		return;
	curl_slist_free_all(x->hdrs);
	if (x->auth) {
		memset(x->auth, 0, strlen(x->auth));
		free(x->auth);
	}
	http_result_release(&x->res);
	free(x);
}

void http_client_free(struct http_client *h)
{
	if (!h)
		return;
	while (h->done_head) {
		struct http_xfer *x = h->done_head;

		h->done_head = x->next_done;
		xfer_destroy(x);
	}
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	free(h);
}

/* Response body: into the result buffer (or the fetch file), within max_bytes. */
static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct http_xfer *x = data;
	size_t n = size * nmemb;
	size_t have = x->out ? x->out_bytes : x->res.body.len;

	if (x->max_bytes && have + n > x->max_bytes) {
		x->too_big = true;
		return 0;
	}
	if (x->out) {
		if (fwrite(ptr, 1, n, x->out) != n)
			return 0;
		x->out_bytes += n;
		return n;
	}
	sbuf_add(&x->res.body, ptr, n);
	return n;
}

/* Response headers of the last response (a new status line starts over). */
static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct http_xfer *x = data;
	size_t n = size * nmemb;
	char *line, *colon;

	x->header_bytes += n;
	if (x->res.nheaders >= MAX_HEADERS || x->header_bytes > MAX_HEADER_BYTES) {
		x->too_big = true;
		return 0; /* endless headers: stop */
	}
	line = xstrndup(ptr, n);
	if (!strncmp(line, "HTTP/", 5)) {
		headers_clear(&x->res);
	} else if ((colon = strchr(line, ':'))) {
		*colon = '\0';
		XGROW(x->res.headers, x->res.headers_cap, x->res.nheaders + 1);
		x->res.headers[x->res.nheaders].name = xstrdup(str_trim(line));
		x->res.headers[x->res.nheaders++].value = xstrdup(str_trim(colon + 1));
	}
	free(line);
	return n;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *data)
{
	struct http_xfer *x = data;
	size_t n = size * nitems;

	if (n > x->body_len - x->body_pos)
		n = x->body_len - x->body_pos;
	memcpy(buf, x->body + x->body_pos, n);
	x->body_pos += n;
	return n;
}

/*
 * libcurl rewinds the body only to send it again: after a redirect, or when a
 * reused keep-alive connection died before any answer. A create the server
 * may already have processed must not go out twice, so for such requests the
 * rewind fails and the transfer ends as "dropped" (maybe sent).
 */
static int seek_cb(void *data, curl_off_t offset, int origin)
{
	struct http_xfer *x = data;

	if (!x->resend_ok || origin != SEEK_SET || offset < 0 || (size_t)offset > x->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->body_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * One line of the -vv trace, secrets redacted: the Authorization headers, any
 * URL's user:password (and for a feed its path and query: the request line's
 * target, a Location), libcurl's "with user 'NAME'".
 */
static void trace_line(struct sbuf *sb, const struct http_xfer *x, curl_infotype type, bool first,
		       const char *line, size_t len)
{
	const char *sp, *path;
	char *red;

	if ((len >= 14 && !strncasecmp(line, "authorization:", 14)) ||
	    (len >= 20 && !strncasecmp(line, "proxy-authorization:", 20))) {
		sbuf_add(sb, line, (size_t)((const char *)memchr(line, ':', len) - line));
		sbuf_adds(sb, ": <redacted>");
		return;
	}
	if (x->feed && type == CURLINFO_HEADER_OUT && first && (sp = memchr(line, ' ', len))) {
		/* the request line "GET /path?query HTTP/1.1": the target is the secret */
		const char *target_end = memchr(sp + 1, ' ', (size_t)(line + len - sp - 1));

		sbuf_add(sb, line, (size_t)(sp + 1 - line));
		sbuf_adds(sb, "/…");
		if (target_end)
			sbuf_add(sb, target_end, (size_t)(line + len - target_end));
		return;
	}
	if (x->feed && type == CURLINFO_HEADER_IN && len >= 9 &&
	    !strncasecmp(line, "location:", 9)) {
		sbuf_adds(sb, "Location: <redacted>");
		return;
	}
	red = xstrndup(line, len);
	if (x->feed && type == CURLINFO_TEXT && (path = strstr(red, ":path: "))) {
		/* HTTP/2's request target: "[HTTP/2] [1] [:path: /path?query]" */
		const char *close = strchr(path, ']');

		sbuf_add(sb, red, (size_t)(path + 7 - red));
		sbuf_adds(sb, "/…");
		if (close)
			sbuf_adds(sb, close);
		free(red);
		return;
	}
	free(red);
	red = text_redact_urls(line, len, !x->feed);
	sbuf_adds(sb, red);
	free(red);
}

/* -vv trace (util_verbosity >= 3), through trace_line(). */
static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	const struct http_xfer *x = userp;
	const char *prefix;
	struct sbuf sb = SBUF_INIT;
	size_t i = 0;

	(void)easy;
	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	default:
		return 0; /* bodies are not traced: they hold people's data */
	}
	while (i < size) {
		size_t j = i;

		while (j < size && data[j] != '\n')
			j++;
		if (j > i && !(j - i == 1 && data[i] == '\r')) {
			size_t len = j - i;

			if (len && data[i + len - 1] == '\r')
				len--;
			sbuf_adds(&sb, prefix);
			trace_line(&sb, x, type, i == 0, data + i, len);
			sbuf_addc(&sb, '\n');
		}
		i = j + 1;
	}
	if (sb.len)
		fputs(sb.buf, stderr);
	sbuf_release(&sb);
	return 0;
}

static CURL *easy_get(struct http_client *h)
{
	CURL *e;

	if (h && h->npool) {
		e = h->pool[--h->npool];
		curl_easy_reset(e);
		return e;
	}
	e = curl_easy_init();
	if (!e)
		die(EXIT_REFUSED, "cannot initialise libcurl");
	return e;
}

static void easy_put(struct http_client *h, CURL *e)
{
	XGROW(h->pool, h->cappool, h->npool + 1);
	h->pool[h->npool++] = e;
}

/* Options every transfer gets: TLS verification on, gzip, timeouts, tracing. */
static void easy_common(struct http_xfer *x, long connect_timeout_ms, long timeout_ms)
{
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 connect_timeout_ms > 0 ? connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS);
	if (timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
			 env_positive("ICS2HUBSPOT_LOW_SPEED_TIME_S", LOW_SPEED_TIME_S));
	/* Test hook: a private CA (the TLS tests' own certificate). */
	if (getenv("ICS2HUBSPOT_CA_FILE"))
		curl_easy_setopt(e, CURLOPT_CAINFO, getenv("ICS2HUBSPOT_CA_FILE"));
	curl_easy_setopt(e, CURLOPT_USERAGENT, PROGRAM_NAME "/" PROGRAM_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	if (util_verbosity >= 3) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, x);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
}

static struct http_xfer *xfer_new(struct http_client *h, const struct http_request *req, void *tag)
{
	struct http_xfer *x = xcalloc(1, sizeof(*x));
	CURL *e;

	x->h = h;
	x->tag = tag;
	http_result_init(&x->res);
	x->easy = e = easy_get(h);
	easy_common(x, req->connect_timeout_ms, req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	x->max_bytes = API_MAX_BODY;
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)API_MAX_BODY);
	x->hdrs = curl_slist_append(x->hdrs, "Accept: application/json");
	/* No "Expect: 100-continue" round trip for large batch bodies. */
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	if (req->bearer) {
		x->auth = xasprintf("Authorization: Bearer %s", req->bearer);
		x->hdrs = curl_slist_append(x->hdrs, x->auth);
	}
	x->resend_ok = req->resend_ok;
	if (req->body) {
		x->body = req->body;
		x->body_len = req->body_len;
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
		if (strcmp(req->method, "POST"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	return x;
}

/* Turn libcurl's outcome into an http_result. */
static void xfer_finish(struct http_xfer *x, CURLcode rc)
{
	struct http_result *r = &x->res;
	curl_off_t ra = -1, pretransfer = 0, total = 0;
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra);
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
	r->retry_after_s = ra > 0 ? (long)ra : (http_header_get(r, "Retry-After") ? 0 : -1);
	r->elapsed_ms = (int64_t)(total / 1000);
	x->done = true;
	if (rc == CURLE_OK) {
		r->status = status;
		r->err = HTTP_E_NONE;
		r->maybe_sent = true;
		return;
	}
	/* A status with a broken body (truncated, reset mid-body) is no answer. */
	r->status = status;
	r->maybe_sent = pretransfer > 0;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		r->err = HTTP_E_CONNECT;
		r->maybe_sent = false;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r->err = HTTP_E_TIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		r->err = HTTP_E_TLS;
		r->maybe_sent = false;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SEND_FAIL_REWIND:
	case CURLE_BAD_CONTENT_ENCODING:
		r->err = HTTP_E_DROPPED;
		r->maybe_sent = true;
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			r->err = HTTP_E_TOO_BIG;
			break;
		}
		r->err = HTTP_E_OTHER;
		break;
	default:
		r->err = HTTP_E_OTHER;
		break;
	}
	if (r->err == HTTP_E_TOO_BIG)
		r->errmsg = x->header_bytes > MAX_HEADER_BYTES || r->nheaders >= MAX_HEADERS
				    ? xasprintf("response headers past %d lines or %u KiB",
						MAX_HEADERS, MAX_HEADER_BYTES / 1024)
			    : x->max_bytes % (1024 * 1024)
				    ? xasprintf("response larger than %zu bytes", x->max_bytes)
				    : xasprintf("response larger than %zu MiB",
						x->max_bytes / (1024 * 1024));
	else {
		/* libcurl's text may quote a URL (a redirect's): redacted like the trace */
		const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
		char *red = text_redact_urls(why, strlen(why), !x->feed);

		r->errmsg = xasprintf("%s (%s)", http_error_name(r->err), red);
		free(red);
	}
}

struct http_xfer *http_start(struct http_client *h, const struct http_request *req, void *tag)
{
	struct http_xfer *x = xfer_new(h, req, tag);
	CURLMcode mc = curl_multi_add_handle(h->multi, x->easy);

	if (mc != CURLM_OK)
		BUG("curl_multi_add_handle: %s", curl_multi_strerror(mc));
	h->running++;
	return x;
}

/* Run the multi handle once for up to timeout_ms; move finished transfers to the done list. */
static void drive(struct http_client *h, long timeout_ms)
{
	int still = 0, msgs = 0;
	CURLMsg *m;

	curl_multi_perform(h->multi, &still);
	if (!h->done_head && still && timeout_ms > 0) {
		curl_multi_poll(h->multi, NULL, 0, (int)timeout_ms, NULL);
		curl_multi_perform(h->multi, &still);
	}
	while ((m = curl_multi_info_read(h->multi, &msgs))) {
		struct http_xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_finish(x, m->data.result);
		curl_multi_remove_handle(h->multi, x->easy);
		easy_put(h, x->easy);
		x->easy = NULL;
		if (h->done_tail)
			h->done_tail->next_done = x;
		else
			h->done_head = x;
		h->done_tail = x;
	}
}

static struct http_xfer *done_pop(struct http_client *h, struct http_xfer *want)
{
	struct http_xfer **pp = &h->done_head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->next_done) {
		struct http_xfer *x = *pp;

		if (want && x != want)
			continue;
		*pp = x->next_done;
		if (h->done_tail == x)
			h->done_tail = prev;
		x->next_done = NULL;
		h->running--;
		return x;
	}
	return NULL;
}

struct http_xfer *http_poll(struct http_client *h, long timeout_ms)
{
	int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct http_xfer *x;

	for (;;) {
		int64_t left = deadline - time_mono_ms();

		if ((x = done_pop(h, NULL)))
			return x;
		if (h->running == 0) {
			sleep_ms(left);
			return NULL;
		}
		drive(h, left > 0 ? (long)left : 0);
		if ((x = done_pop(h, NULL)))
			return x;
		if (left <= 0)
			return NULL;
	}
}

size_t http_running(const struct http_client *h)
{
	return h->running;
}

void *http_xfer_tag(const struct http_xfer *x)
{
	return x->tag;
}

struct http_result *http_xfer_result(struct http_xfer *x)
{
	return &x->res;
}

void http_xfer_free(struct http_xfer *x)
{
	xfer_destroy(x);
}

void http_perform(struct http_client *h, const struct http_request *req, struct http_result *res)
{
	struct http_xfer *x = http_start(h, req, NULL);

	while (!x->done)
		drive(h, 1000);
	done_pop(h, x);
	*res = x->res;
	http_result_init(&x->res);
	xfer_destroy(x);
}

void http_fetch_result_release(struct http_fetch_result *r)
{
	if (!r)
		return;
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
}

int http_fetch(const char *url, const char *etag, const char *last_modified, size_t max_bytes,
	       const char *out_path, struct http_fetch_result *res)
{
	struct http_xfer x;
	char *real_url, *shown = source_redact(url), *tmp = xasprintf("%s.XXXXXX", out_path);
	struct curl_slist *hdrs = NULL, *connect_to = NULL;
	CURLcode rc;
	int fd, ret = -1;
	const char *h;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	http_global_init();
	http_result_init(&x.res);
	if (str_starts_with_ci(url, "webcal://"))
		real_url = xasprintf("https://%s", url + 9);
	else
		real_url = xstrdup(url);
	fd = mkstemp(tmp);
	if (fd < 0) {
		error_errno("cannot create '%s'", tmp);
		goto out;
	}
	fchmod(fd, 0600);
	x.out = fdopen(fd, "wb");
	if (!x.out) {
		close(fd);
		error_errno("cannot write '%s'", tmp);
		goto out;
	}
	x.max_bytes = max_bytes ? max_bytes : FETCH_DEFAULT_MAX;
	x.feed = true;
	x.easy = easy_get(NULL);
	easy_common(&x, DEFAULT_CONNECT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
	curl_easy_setopt(x.easy, CURLOPT_URL, real_url);
	curl_easy_setopt(x.easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(x.easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x.easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(x.easy, CURLOPT_PROTOCOLS_STR, "http,https");
	/* An https feed is never downgraded: its redirects may only go to https. */
	curl_easy_setopt(x.easy, CURLOPT_REDIR_PROTOCOLS_STR,
			 str_starts_with_ci(real_url, "https://") ? "https" : "http,https");
	curl_easy_setopt(x.easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max_bytes);
	/*
	 * Test hook (tests/fuzz/fuzz_feed.c): every host and port, a redirect's
	 * included, is reached at 127.0.0.1:PORT: no name is looked up.
	 */
	if (getenv("ICS2HUBSPOT_FEED_CONNECT_PORT")) {
		char *l = xasprintf("::127.0.0.1:%s", getenv("ICS2HUBSPOT_FEED_CONNECT_PORT"));

		connect_to = curl_slist_append(NULL, l);
		free(l);
		curl_easy_setopt(x.easy, CURLOPT_CONNECT_TO, connect_to);
	}
	hdrs = curl_slist_append(hdrs, "Accept: text/calendar, */*;q=0.5");
	if (etag && *etag) {
		char *l = xasprintf("If-None-Match: %s", etag);

		hdrs = curl_slist_append(hdrs, l);
		free(l);
	}
	if (last_modified && *last_modified) {
		char *l = xasprintf("If-Modified-Since: %s", last_modified);

		hdrs = curl_slist_append(hdrs, l);
		free(l);
	}
	curl_easy_setopt(x.easy, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(x.easy);
	xfer_finish(&x, rc);
	if (fclose(x.out) && rc == CURLE_OK) {
		x.out = NULL;
		error_errno("cannot write '%s'", tmp);
		goto out;
	}
	x.out = NULL;
	res->status = x.res.status;
	res->bytes = x.out_bytes;
	if ((h = http_header_get(&x.res, "ETag")))
		res->etag = xstrdup(h);
	if ((h = http_header_get(&x.res, "Last-Modified")))
		res->last_modified = xstrdup(h);
	if (x.res.err == HTTP_E_TOO_BIG) {
		error("cannot fetch '%s': %s", shown, x.res.errmsg);
		goto out;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && str_starts_with_ci(real_url, "https://")) {
		error("cannot fetch '%s': it redirects to a plain http:// address, refused (a "
		      "calendar asked for over https is never fetched over http)",
		      shown);
		goto out;
	}
	if (x.res.err != HTTP_E_NONE) {
		error("cannot fetch '%s': %s", shown, x.res.errmsg);
		goto out;
	}
	switch (x.res.status) {
	case 200:
		if (rename(tmp, out_path)) {
			error_errno("cannot rename '%s' to '%s'", tmp, out_path);
			goto out;
		}
		FREE_NULL(tmp);
		ret = 0;
		break;
	case 304:
		if (!(etag && *etag) && !(last_modified && *last_modified)) {
			/* nothing was asked to compare with: there is no calendar to reuse */
			error("cannot fetch '%s': the server answered 304 Not Modified to a request "
			      "without If-None-Match or If-Modified-Since, and sent no calendar",
			      shown);
			break;
		}
		res->not_modified = true;
		res->bytes = 0;
		ret = 0;
		break;
	case 401:
	case 403:
		error("cannot fetch '%s': access denied (HTTP %ld); check the calendar's address or "
		      "sharing settings",
		      shown, x.res.status);
		break;
	case 404:
	case 410:
		error("cannot fetch '%s': not found (HTTP %ld)", shown, x.res.status);
		break;
	default:
		error("cannot fetch '%s': HTTP %ld", shown, x.res.status);
		break;
	}
out:
	if (x.out)
		fclose(x.out);
	if (tmp)
		unlink(tmp);
	if (x.easy)
		curl_easy_cleanup(x.easy);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	http_result_release(&x.res);
	free(tmp);
	free(real_url);
	free(shown);
	return ret;
}

const char *http_curl_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

/* 127.0.0.0/8, ::1 (also IPv4-mapped), or the name localhost. */
static bool host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (host[0] == '[' && n >= 2 && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) == 1) {
			static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
								 0, 0, 0, 0, 0xff, 0xff};

			if (IN6_IS_ADDR_LOOPBACK(&a6))
				return true;
			return !memcmp(a6.s6_addr, mapped, 12) && a6.s6_addr[12] == 127;
		}
	}
	return false;
}

int http_check_api_base(const char *url, bool allow_insecure)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *shown = url_redact_credentials(url);
	int rc = -1;

	if (!u)
		die(EXIT_REFUSED, "cannot initialise libcurl");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		error("the API base '%s' (--api-base, HUBSPOT_API_BASE) is not an http(s) URL",
		      shown);
	} else if (!strcasecmp(scheme, "https")) {
		rc = 0;
	} else if (strcasecmp(scheme, "http")) {
		error("the API base '%s' (--api-base, HUBSPOT_API_BASE) is not an http(s) URL",
		      shown);
	} else if (host_is_loopback(host)) {
		rc = 0;
	} else if (allow_insecure) {
		warning("the API base '%s' is plain http: the access token travels in clear text "
			"(--allow-insecure-http)",
			shown);
		rc = 0;
	} else {
		error("the API base '%s' is plain http and not on this machine: the access token "
		      "would travel in clear text; use https:// (or --allow-insecure-http)",
		      shown);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	free(shown);
	return rc;
}
