/* calendar: turn a CALENDAR argument (path, '-', https:// or webcal:// URL) into a readable file. */
#include "calendar.h"
#include "util.h"

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

int calendar_open(struct calendar *cal, const char *source, const struct feed_info *known)
{
	struct stat sb;

	(void)known;
	memset(cal, 0, sizeof(*cal));
	cal->source = xstrdup(source);
	cal->display = source_redact(source);
	if (source_is_url(source)) {
		cal->is_url = true;
		error("%s: URL calendars are not supported yet", cal->display);
		calendar_close(cal);
		return -1;
	}
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
