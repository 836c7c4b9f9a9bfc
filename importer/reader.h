/*
 * reader: the line reader of the calendar reader (ics.c, zones.c and reader.c are one unit,
 * docs/ics-notes.md "Calendar reading"; ics.h is the only interface the rest of the program
 * sees). Bytes -> unfolded content lines, with positions. No libical here.
 */
#ifndef READER_H
#define READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICS_MAX_LINE (4L << 20) /* longer unfolded lines are dropped (a documented limit) */
#define READ_BUF     65536

/*
 * One buffered reader serves both passes and the re-reads at an offset. It reads the file in
 * blocks (never all of it), finds line ends with memchr() and unfolds in place into one reused
 * line buffer: no allocation per line. It reads exactly what libical's icalparser_get_line()
 * over a byte reader used to give (t-ics test_reader pins it against libical):
 * CRLF, LF or a lone CR (old Mac files) ends a physical line; a physical line that begins with a
 * space or a tab continues a content line that has content (that one character is dropped);
 * NUL bytes read as '?'; trailing white space is dropped, never the first character; an empty
 * line reads as "\n". A content line longer than ICS_MAX_LINE bytes (continuation characters
 * counted) is marked truncated (and dropped by the callers). A BOM at the very start of the file
 * is skipped.
 */

struct lpos {
	int64_t off; /* byte offset of the first byte of the line */
	long line; /* physical line number (1-based) */
	bool truncated;
};

struct reader {
	int fd;
	char *buf; /* READ_BUF bytes of the file */
	size_t pos, len;
	bool eof;
	int rd_errno;
	int64_t off; /* file offset of buf[pos] */
	long phys; /* physical line of buf[pos] */
	char *line; /* the content line being delivered (reused) */
	size_t llen, lcap;
	size_t count; /* bytes of the content line counted against ICS_MAX_LINE */
	bool truncated;
};

void reader_init(struct reader *r, int fd);
void reader_release(struct reader *r);
/* Position the reader at `off`, which begins physical line `line`. */
void reader_seek(struct reader *r, int64_t off, long line);
/* The next unfolded line (valid until the next call), or NULL at the end. */
char *reader_line(struct reader *r, struct lpos *where);

#endif
