/* fuzz_feed.c: a feed server's answer, as calendar_open() meets it (libcurl, http_fetch). */
/*
 * The input: its first byte says which validators the request carries (bit 0:
 * an ETag, bit 1: a Last-Modified; a 304 to a request with neither crashed
 * expand and import, issue 27) and bit 2 asks for a webcal:// address; the
 * rest is the server's whole answer, status line, headers and body, sent as
 * is to every connection by a server on 127.0.0.1 (a thread of this process),
 * which then closes it. ICS2HUBSPOT_FEED_CONNECT_PORT sends every host, a
 * redirect's too, to that server: nothing leaves the machine.
 */
#include "calendar.h"
#include "fuzz.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static pthread_mutex_t answer_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *answer;
static size_t answer_len;

static void serve(int c)
{
	struct timeval tv = {.tv_sec = 5};
	char buf[65536];
	size_t have = 0;
	uint8_t *copy;
	size_t len, off = 0;
	ssize_t n;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* the request's head, then the answer, whatever was asked */
	while (have < sizeof(buf) - 1 && (n = recv(c, buf + have, sizeof(buf) - 1 - have, 0)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n") || (buf[0] < 'A' || buf[0] > 'Z'))
			break; /* the head, or no HTTP at all (a TLS hello: webcal://) */
	}
	pthread_mutex_lock(&answer_lock);
	len = answer_len;
	copy = xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, answer, len);
	pthread_mutex_unlock(&answer_lock);
	while (off < len && (n = send(c, copy + off, len - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	free(copy);
	shutdown(c, SHUT_WR);
	while (recv(c, buf, sizeof(buf), 0) > 0)
		; /* until the client closes: no reset under its feet */
	close(c);
}

static void *server(void *arg)
{
	int s = *(int *)arg;

	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			serve(c);
	}
	return NULL;
}

/* Start the server once; its port goes to ICS2HUBSPOT_FEED_CONNECT_PORT. */
static void server_start(void)
{
	static int s = -1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	pthread_t t;
	char port[16];

	if (s >= 0)
		return;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) < 0)
		die(EXIT_USAGE, "fuzz_feed: cannot listen on 127.0.0.1");
	snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));
	setenv("ICS2HUBSPOT_FEED_CONNECT_PORT", port, 1);
	setenv("ICS2HUBSPOT_LOW_SPEED_TIME_S", "2", 1);
	if (pthread_create(&t, NULL, server, &s))
		die(EXIT_USAGE, "fuzz_feed: cannot start the server thread");
	pthread_detach(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char etag[] = "\"v1\"", last_modified[] = "Sun, 01 Mar 2026 10:00:00 GMT";
	struct feed_info asked = {0};
	struct calendar cal;

	if (size < 1)
		return 0;
	util_verbosity = 0;
	server_start();
	pthread_mutex_lock(&answer_lock);
	free(answer);
	answer_len = size - 1;
	answer = xmalloc(answer_len ? answer_len : 1);
	if (answer_len)
		memcpy(answer, data + 1, answer_len);
	pthread_mutex_unlock(&answer_lock);
	if (data[0] & 1)
		asked.etag = etag;
	if (data[0] & 2)
		asked.last_modified = last_modified;
	if (calendar_open(&cal,
			  data[0] & 4 ? "webcal://feed.example/cal.ics"
				      : "http://feed.example/cal.ics",
			  data[0] & 3 ? &asked : NULL) == 0) {
		/* a 304 only answers a request that had validators, and then has no file */
		if (cal.not_modified && !(data[0] & 3))
			abort();
		if (!cal.not_modified && !cal.path)
			abort();
		calendar_content_hash(&cal);
		calendar_close(&cal);
	}
	return 0;
}
