/* calendar: turn a CALENDAR argument (path, '-', https:// or webcal:// URL) into a readable file.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include <stdbool.h>

/* What the state remembers of a feed between runs (ETag, Last-Modified, content hash). */
struct feed_info {
	char *etag;
	char *last_modified;
	char *content_hash;
};
void feed_info_release(struct feed_info *fi);

/* The most a calendar from a URL or standard input may hold (a documented limit). */
#define CALENDAR_MAX_BYTES (64u * 1024 * 1024)

struct calendar {
	char *source; /* the argument as given (a URL may be secret: never print it) */
	char *display; /* what messages show: the path, or the URL with its path redacted */
	char *path; /* a file ics_read() can open (NULL after a 304) */
	bool is_url;
	bool not_modified; /* the server said 304 for the feed_info given */
	struct feed_info fresh; /* the feed's new ETag/Last-Modified (URLs) */
	char *content_hash; /* calendar_content_hash()'s, once asked */
	char *tmp_path; /* downloaded copy, removed by calendar_close() */
	int fd; /* the unlinked copy of standard input (path is /dev/fd/N), or -1 */
};

/*
 * Open a calendar source. URLs are downloaded to a temporary file (0600),
 * conditionally when `known` carries an ETag or Last-Modified (a 304 sets
 * not_modified and leaves path NULL). Standard input ("-") is copied (at most
 * CALENDAR_MAX_BYTES) to an unlinked temporary file so that it can be hashed
 * and read. A path that is not a regular file (FIFO, device) is refused. Returns
 * 0, or -1 with a message naming the (redacted) source.
 */
int calendar_open(struct calendar *cal, const char *source, const struct feed_info *known);
/*
 * The hash of the calendar's bytes (hash64 hex), for "unchanged since the last
 * run": read the first time it is asked for (`expand` never does). NULL after
 * a 304, or when the file cannot be read (ics_read() says why).
 */
const char *calendar_content_hash(struct calendar *cal);
void calendar_close(struct calendar *cal);

/*
 * The identity under which the state remembers a calendar: `name` when given
 * (--name), "-" for standard input, the full URL for a feed, and for a file its
 * canonical path (symlinks and relative paths resolved; a missing file's
 * absolute path). Returns a new string.
 */
char *calendar_identity(const char *source, const char *name);

#endif
