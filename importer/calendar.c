/* calendar: turn a CALENDAR argument (path, '-', https:// or webcal:// URL) into a readable file.
 */
#include "calendar.h"
#include "http.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void feed_info_release(struct feed_info *fi)
{
	if (!fi)
		return;
	FREE_NULL(fi->etag);
	FREE_NULL(fi->last_modified);
	FREE_NULL(fi->content_hash);
}

/* A private temporary file (0600, mkstemp) for cal; its name in cal->tmp_path. */
static int make_tmp(struct calendar *cal)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ics2hubspot-feed-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(tmpl);

	if (fd < 0) {
		error_errno("cannot create a temporary file for %s", cal->display);
		free(tmpl);
		return -1;
	}
	cal->tmp_path = tmpl;
	return fd;
}

/*
 * Hash the calendar's bytes, streamed (FNV-1a chains through its seed). A file
 * that cannot be opened gets no hash: ics_read() says why it cannot be read.
 */
static void hash_file(struct calendar *cal)
{
	FILE *f = fopen(cal->path, "rb");
	uint64_t h = HASH64_SEED;
	char chunk[65536], hex[17];
	size_t n;

	if (!f)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		h = hash64(chunk, n, h);
	if (!ferror(f)) {
		hash64_hex(h, hex, sizeof(hex));
		cal->content_hash = xstrdup(hex);
	}
	fclose(f);
}

/* Download a feed into a private temporary file (conditionally, when validators are known). */
static int open_url(struct calendar *cal, const struct feed_info *known)
{
	struct http_fetch_result res = {0};
	int fd;

	cal->is_url = true;
	fd = make_tmp(cal);
	if (fd < 0)
		return -1;
	close(fd);
	if (http_fetch(cal->source, known ? known->etag : NULL, known ? known->last_modified : NULL,
		       CALENDAR_MAX_BYTES, cal->tmp_path, &res)) {
		http_fetch_result_release(&res);
		return -1;
	}
	cal->not_modified = res.not_modified;
	cal->fresh.etag = xstrdup(res.etag);
	cal->fresh.last_modified = xstrdup(res.last_modified);
	if (res.not_modified) {
		/* Nothing new: the validators we sent still hold. */
		if (!cal->fresh.etag && known)
			cal->fresh.etag = xstrdup(known->etag);
		if (!cal->fresh.last_modified && known)
			cal->fresh.last_modified = xstrdup(known->last_modified);
	} else {
		cal->path = xstrdup(cal->tmp_path);
	}
	verbose("%s: HTTP %ld, %zu bytes%s", cal->display, res.status, res.bytes,
		res.not_modified ? " (not modified)" : "");
	http_fetch_result_release(&res);
	return 0;
}

/*
 * Copy standard input into a private temporary file, unlinked at once (a run
 * killed while reading leaves nothing behind) and read through /dev/fd/N. At most
 * CALENDAR_MAX_BYTES, the cap of a downloaded feed: standard input may never end.
 */
static int open_stdin(struct calendar *cal)
{
	char buf[65536];
	int fd = make_tmp(cal);
	ssize_t n;
	size_t total = 0;

	if (fd < 0)
		return -1;
	unlink(cal->tmp_path);
	FREE_NULL(cal->tmp_path);
	cal->fd = fd;
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (total > CALENDAR_MAX_BYTES)
			return error("standard input: larger than %u MiB, the limit for a calendar",
				     CALENDAR_MAX_BYTES >> 20);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return error_errno(
					"cannot copy standard input to a temporary file");
			off += w;
		}
	}
	if (n < 0)
		return error_errno("cannot read standard input");
	cal->path = xasprintf("/dev/fd/%d", fd);
	return 0;
}

const char *calendar_content_hash(struct calendar *cal)
{
	if (!cal->content_hash && cal->path)
		hash_file(cal);
	return cal->content_hash;
}

int calendar_open(struct calendar *cal, const char *source, const struct feed_info *known)
{
	struct stat sb;
	int rc;

	memset(cal, 0, sizeof(*cal));
	cal->fd = -1;
	cal->source = xstrdup(source);
	cal->display = source_redact(source);
	if (source_is_url(source)) {
		rc = open_url(cal, known);
	} else if (!strcmp(source, "-")) {
		rc = open_stdin(cal);
	} else if (stat(source, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		rc = error("'%s' is a directory, not a calendar", source);
	} else if (stat(source, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* a FIFO or a device (/dev/zero) may never end: read it through '-' */
		rc = error("'%s' is not a regular file (for a pipe or a device, use '-' and "
			   "standard input)",
			   source);
	} else {
		cal->path = xstrdup(source);
		rc = 0;
	}
	if (rc) {
		calendar_close(cal);
		return -1;
	}
	return 0;
}

void calendar_close(struct calendar *cal)
{
	if (cal->fd >= 0)
		close(cal->fd);
	if (cal->tmp_path) {
		unlink(cal->tmp_path);
		free(cal->tmp_path);
	}
	free(cal->source);
	free(cal->display);
	free(cal->path);
	free(cal->content_hash);
	feed_info_release(&cal->fresh);
	memset(cal, 0, sizeof(*cal));
	cal->fd = -1;
}

char *calendar_identity(const char *source, const char *name)
{
	char *real, *cwd;

	if (name)
		return xstrdup(name);
	if (!strcmp(source, "-") || source_is_url(source))
		return xstrdup(source);
	real = realpath(source, NULL);
	if (real)
		return real;
	if (source[0] == '/')
		return xstrdup(source);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return xstrdup(source);
	real = xasprintf("%s/%s", cwd, source);
	free(cwd);
	return real;
}
