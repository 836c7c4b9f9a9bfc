/* calendar: turn a CALENDAR argument (path, '-', https:// or webcal:// URL) into a readable file. */
#include "calendar.h"
#include "http.h"
#include "util.h"

#include <stdlib.h>
#include <errno.h>
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

/* Download a feed into a private temporary file (conditionally, when validators are known). */
static int open_url(struct calendar *cal, const struct feed_info *known)
{
	const char *dir = getenv("TMPDIR");
	struct http_fetch_result res = {0};
	char *tmpl = xasprintf("%s/ics2hubspot-feed-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(tmpl);

	cal->is_url = true;
	if (fd < 0) {
		error_errno("cannot create a temporary file for %s", cal->display);
		free(tmpl);
		calendar_close(cal);
		return -1;
	}
	close(fd);
	cal->tmp_path = tmpl;
	if (http_fetch(cal->source, known ? known->etag : NULL,
		       known ? known->last_modified : NULL, 0, tmpl, &res)) {
		http_fetch_result_release(&res);
		calendar_close(cal);
		return -1;
	}
	cal->not_modified = res.not_modified;
	cal->fresh.etag = xstrdup(res.etag);
	cal->fresh.last_modified = xstrdup(res.last_modified);
	if (!res.not_modified)
		cal->path = xstrdup(tmpl);
	verbose("%s: HTTP %ld, %zu bytes%s", cal->display, res.status, res.bytes,
		res.not_modified ? " (not modified)" : "");
	http_fetch_result_release(&res);
	return 0;
}

int calendar_open(struct calendar *cal, const char *source, const struct feed_info *known)
{
	struct stat sb;

	(void)known;
	memset(cal, 0, sizeof(*cal));
	cal->source = xstrdup(source);
	cal->display = source_redact(source);
	if (source_is_url(source))
		return open_url(cal, known);
	if (strcmp(source, "-") && stat(source, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		error("'%s' is a directory, not a calendar", source);
		calendar_close(cal);
		return -1;
	}
	cal->path = xstrdup(source);
	return 0;
}

void calendar_close(struct calendar *cal)
{
	if (cal->tmp_path) {
		unlink(cal->tmp_path);
		free(cal->tmp_path);
	}
	free(cal->source);
	free(cal->display);
	free(cal->path);
	feed_info_release(&cal->fresh);
	memset(cal, 0, sizeof(*cal));
}
