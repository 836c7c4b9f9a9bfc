/* reader: bytes -> unfolded content lines, with positions (reader.h). */
#include "reader.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wctype.h>

static void reader_fill(struct reader *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	while (!r->eof && r->len < READ_BUF) {
		ssize_t n = pread(r->fd, r->buf + r->len, READ_BUF - r->len,
				  (off_t)(r->off + (int64_t)r->len));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				r->rd_errno = errno;
			r->eof = true;
			break;
		}
		r->len += (size_t)n;
		break;
	}
}

/* The next byte, or -1 at the end of the file. */
static int reader_peek(struct reader *r)
{
	if (r->pos >= r->len)
		reader_fill(r);
	return r->pos < r->len ? (unsigned char)r->buf[r->pos] : -1;
}

static void reader_consume(struct reader *r, size_t n)
{
	r->pos += n;
	r->off += (int64_t)n;
}

/* Append n content bytes, counting them against ICS_MAX_LINE. */
static void reader_append(struct reader *r, const char *s, size_t n)
{
	size_t room = (size_t)ICS_MAX_LINE - r->count;

	if (n > room) {
		n = room;
		r->truncated = true;
	}
	if (!n)
		return;
	if (r->llen + n + 2 > r->lcap) {
		while (r->llen + n + 2 > r->lcap)
			r->lcap = r->lcap ? r->lcap * 2 : 256;
		r->line = xrealloc(r->line, r->lcap);
	}
	memcpy(r->line + r->llen, s, n);
	for (char *z = memchr(r->line + r->llen, '\0', n); z;
	     z = memchr(z, '\0', (size_t)(r->line + r->llen + n - z)))
		*z = '?';
	r->llen += n;
	r->count += n;
}

/* The content of the physical line at r->pos appended, its line end consumed. */
static void reader_physical(struct reader *r)
{
	for (;;) {
		const char *p, *nl, *cr;
		size_t avail, seg, take, end = 0;

		if (reader_peek(r) < 0)
			return;
		p = r->buf + r->pos;
		avail = r->len - r->pos;
		nl = memchr(p, '\n', avail);
		seg = nl ? (size_t)(nl - p) : avail;
		cr = memchr(p, '\r', seg);
		if (cr) {
			take = (size_t)(cr - p);
			if (take + 1 < avail)
				end = p[take + 1] == '\n' ? 2 : 1;
			else if (r->eof)
				end = 1;
		} else {
			take = seg;
			end = nl ? 1 : 0;
		}
		reader_append(r, p, take);
		reader_consume(r, take + end);
		if (end) {
			r->phys++;
			return;
		}
		if (cr) /* a CR last in the buffer: read on to see what follows it */
			reader_fill(r);
	}
}

/* Position the reader at `off`, which begins physical line `line`. */
void reader_seek(struct reader *r, int64_t off, long line)
{
	int64_t base = r->off - (int64_t)r->pos; /* file offset of buf[0] */

	if (off > 0 && off >= base && off < base + (int64_t)r->len) {
		/* already in the buffer (overrides are re-read near each other) */
		r->pos = (size_t)(off - base);
		r->off = off;
		r->phys = line;
		return;
	}
	r->pos = r->len = 0;
	r->eof = false;
	r->off = off;
	r->phys = line;
	if (off == 0) {
		reader_fill(r);
		if (r->len >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3))
			reader_consume(r, 3);
	}
}

void reader_init(struct reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->buf = xmalloc(READ_BUF);
	reader_seek(r, 0, 1);
}

void reader_release(struct reader *r)
{
	free(r->buf);
	free(r->line);
	memset(r, 0, sizeof(*r));
}

/* The next unfolded line (valid until the next call), or NULL at the end. */
char *reader_line(struct reader *r, struct lpos *where)
{
	int ch;

	if (reader_peek(r) < 0)
		return NULL;
	where->off = r->off;
	where->line = r->phys;
	r->llen = r->count = 0;
	r->truncated = false;
	reader_physical(r);
	while (r->count > 0 && ((ch = reader_peek(r)) == ' ' || ch == '\t')) {
		if (r->count < (size_t)ICS_MAX_LINE)
			r->count++;
		else
			r->truncated = true;
		reader_consume(r, 1);
		reader_physical(r);
	}
	where->truncated = r->truncated;
	if (!r->llen) {
		if (!r->lcap) {
			r->lcap = 256;
			r->line = xmalloc(r->lcap);
		}
		memcpy(r->line, "\n", 2); /* libical's reading of an empty line */
		return r->line;
	}
	while (r->llen > 1 && !(r->line[r->llen - 1] & 0x80) &&
	       iswspace((wint_t)r->line[r->llen - 1]))
		r->llen--;
	r->line[r->llen] = '\0';
	return r->line;
}
