/* util: messages, allocation that never fails, growable strings, times. */
#ifndef UTIL_H
#define UTIL_H

/*
 * Ownership rule for the whole importer: a returned `char *` or `struct X *`
 * belongs to the caller; a returned `const char *` is borrowed and lives as
 * long as its parent. Functions named *_take() consume their argument. Every
 * *_free() accepts NULL.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRAM_NAME	"ics2hubspot"
#define PROGRAM_VERSION "0.1.0"

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN	  __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

/* Exit codes (documented in docs/usage.md). */
enum exit_code {
	EXIT_DONE = 0, /* everything done */
	EXIT_PARTIAL = 1, /* some occurrences failed or were unreadable, the rest done */
	EXIT_USAGE = 2, /* usage, mapping or calendar unreadable */
	EXIT_REFUSED = 3, /* HubSpot refused us: auth, scopes, daily limit, retries exhausted */
	EXIT_LOCKED = 4, /* another run holds the state lock */
	EXIT_INTERRUPTED = 130, /* SIGINT (128 + 2); SIGTERM exits 143 (128 + 15) */
};

/*
 * Ctrl-C and kill: util_catch_interrupts() makes SIGINT and SIGTERM set a flag
 * (the run stops between requests, records what it did and says so) instead of
 * killing the process; a second one kills it as the default would (nothing is
 * lost: the state's pending rows cover a create in flight). util_interrupted()
 * is the signal received (SIGINT, SIGTERM), 0 when none.
 */
void util_catch_interrupts(void);
int util_interrupted(void);

/* Verbosity: 0 = quiet (-q), 1 = normal, 2 = verbose (-v). */
extern int util_verbosity;
/*
 * Progress as a plain line now and then, never redrawn in place on a terminal:
 * set by sync (several portals write to one terminal) and --log-format json.
 */
extern bool util_progress_plain;

/*
 * One voice for every message (git's and curl's): each line on stderr starts
 * with "ics2hubspot: ", then "error: " or "warning: " (or nothing for plain
 * information). No trailing newline or full stop in formats. "error" and
 * "warning" are coloured only when stderr is a terminal, TERM is not "dumb"
 * and NO_COLOR is unset or empty (https://no-color.org).
 */

/*
 * A sink that also receives every message printed (besides stderr): `level` is
 * "error", "warning", "fatal" or "info", `text` the message without the
 * "ics2hubspot: " prefix. Both strings are the sink's to free. NULL: none.
 * `check --json` uses it to carry the warnings in its document.
 */
typedef void (*msg_sink_fn)(char *level, char *text, void *data);
void msg_set_sink(msg_sink_fn fn, void *data);

/*
 * Output for unattended runs (docs/scheduling.md). --log-format json: every
 * message is one JSON object on one line of stderr, {"time", "level",
 * "calendar", "portal", "message"}, and a run's summary carries "counts".
 * The context (a sync's calendar and portal; borrowed, NULL: none) goes into
 * each message: "ics2hubspot: sales-team: error: ..." in text.
 */
enum log_format { LOG_TEXT, LOG_JSON };
void log_set_format(enum log_format f);
enum log_format log_get_format(void);
void log_set_context(const char *calendar, const char *portal);
/* The first error printed since log_reset_errors() (for `state runs`), or NULL. Borrowed. */
const char *log_first_error(void);
void log_reset_errors(void);

struct log_counts {
	long created, updated, archived, unchanged, failed;
};
/*
 * A run's one summary line, with its time stamp (UTC, ISO 8601):
 * "2026-03-01T06:15:02Z sales-team (acme): 3 created, 1 updated, 0 archived,
 * 0 failed in 2.4 s" and ", exit 2: WHY" when rc is not 0. In text on `f`;
 * with --log-format json on stderr as {"time", "level": "info"|"error",
 * "calendar", "portal", "message", "counts", "seconds", "exit"}. calendar
 * and portal may be NULL (a total: "total").
 */
void log_summary(FILE *f, const char *calendar, const char *portal, const struct log_counts *c,
		 int64_t ms, int rc, const char *why);

/* "ics2hubspot: error: ..." on stderr; returns -1 so callers can `return error(...)`. */
int error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Like error(), followed by ": strerror(errno)". */
int error_errno(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* "ics2hubspot: warning: ..." on stderr (silenced by -q). */
void warning(const char *fmt, ...) PRINTF_LIKE(1, 2);
/*
 * Ask a person: "ics2hubspot: QUESTION [y/N] " on stderr, one line read from
 * stdin. True only for "y" or "yes" (any case); false on anything else or EOF.
 */
bool ask_yes_no(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Plain informational line on stderr (silenced by -q). */
void info(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Only with -v. */
void verbose(const char *fmt, ...) PRINTF_LIKE(1, 2);
/*
 * Misuse of the command line (curl's helpf): "ics2hubspot: error: ..." then
 * "ics2hubspot: see 'ics2hubspot COMMAND --help'" (plain "--help" when command
 * is NULL). Returns EXIT_USAGE, so `return usage_error("import", "no calendar given");`.
 */
int usage_error(const char *command, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The usage hint line alone ("ics2hubspot: see 'ics2hubspot COMMAND --help'"). */
void usage_hint(const char *command);
/* "ics2hubspot: fatal: ..." and exit(code). Only main.c and OOM use it. */
NORETURN void die(int code, const char *fmt, ...) PRINTF_LIKE(2, 3);
#define BUG(...) util_bug(__FILE__, __LINE__, __VA_ARGS__)
NORETURN void util_bug(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Allocation: aborts with "fatal: out of memory" instead of returning NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);
/* Grow *arr (of *cap elements of size `size`) so that index `need-1` fits. */
void xgrow(void *arr_p, size_t *cap, size_t need, size_t size);
#define XGROW(arr, cap, need) xgrow(&(arr), &(cap), (need), sizeof(*(arr)))
/* free() then NULL. */
#define FREE_NULL(p)        \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

/* A growable NUL-terminated string (git's strbuf). */
struct sbuf {
	char *buf; /* always NUL-terminated once initialised */
	size_t len;
	size_t cap;
};
#define SBUF_INIT          \
	{                  \
		NULL, 0, 0 \
	}
void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
void sbuf_add(struct sbuf *sb, const void *data, size_t n);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Hand the buffer to the caller (never NULL) and re-initialise sb. */
char *sbuf_detach(struct sbuf *sb);

/* String helpers. */
bool str_starts_with_ci(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
/* Lower-case ASCII in place; returns s. */
char *str_lower(char *s);
/* Trim ASCII white space in place; returns s. */
char *str_trim(char *s);
/*
 * Normalise a calendar address to a bare e-mail: strip "mailto:" in any case,
 * trim, lower-case. Returns NULL when nothing that looks like an address is left.
 */
char *email_normalize(const char *cal_address);
/* Domain part of a normalised e-mail (borrowed pointer into it), or NULL. */
const char *email_domain(const char *email);
/* Repair invalid UTF-8 by replacing bad bytes with U+FFFD; returns true when s was valid. */
bool utf8_sanitize(const char *s, char **out);

/* Times. All instants are seconds since the epoch, UTC. */
/* "2024-03-01T09:30:00Z" into buf (at least 21 bytes). */
/* The value of the n (<= 9) decimal digits at s, or -1 when one of them is not a digit. */
int parse_digits(const char *s, int n);
/* v in decimal, as printf's "%ld" writes it, into buf (>= 21 bytes); returns its length. */
size_t format_long(long v, char *buf);
void time_format_utc(int64_t t, char *buf, size_t n);
/* "2024-03-01" (the UTC date of t) into buf (at least 11 bytes). */
void time_format_date(int64_t t, char *buf, size_t n);
/*
 * Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" (also without separators,
 * "20240301T093000Z"), always as UTC. Returns 0, or -1 when malformed.
 */
int time_parse_utc(const char *s, int64_t *out);
/*
 * A --since/--until value: what time_parse_utc() takes, or a time relative to
 * the start of today (UTC) at `now`: "today", "-30d", "+2w", "+6m", "+1y"
 * (days, weeks, calendar months, calendar years; a month's day past its end is
 * its last day). Relative to midnight, so every run of a day has one window.
 * Returns 0, or -1 when malformed.
 */
int time_parse_when(const char *s, int64_t now, int64_t *out);
/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* Wall-clock time now (seconds) and a monotonic clock in milliseconds. */
int64_t time_now(void);
int64_t time_mono_ms(void);
void sleep_ms(int64_t ms);

/*
 * A positive integer from environment variable `name` (test hooks such as
 * ICS2HUBSPOT_HTTP_TIMEOUT_MS), or `dflt` when unset or not a positive integer
 * that fits an int.
 */
long env_positive(const char *name, long dflt);

/* 64-bit FNV-1a: content hashes for change detection (not security). */
uint64_t hash64(const void *data, size_t n, uint64_t seed);
#define HASH64_SEED 0xcbf29ce484222325ULL
/*
 * An index of strings (borrowed, not copied) to numbers, by hash64 with open
 * addressing: finding duplicates among n strings in O(n) (attendee lists).
 */
struct strindex {
	const char **keys;
	size_t *vals;
	size_t cap, n;
};
/* True when key is in it; *val (if not NULL) gets its number. */
bool strindex_get(const struct strindex *x, const char *key, size_t *val);
/* Add key → val; false (nothing changed) when key is already there. */
bool strindex_put(struct strindex *x, const char *key, size_t val);
void strindex_release(struct strindex *x);
/* hash64 as 16 lower-case hex digits into buf (at least 17 bytes). */
void hash64_hex(uint64_t h, char *buf, size_t n);

/*
 * Print form of a calendar source: local paths as given, URLs with the path and
 * query replaced by "/…" (Google's secret addresses live in the path) followed by
 * "#" and 4 hex digits of a hash of the whole URL (two feeds of one host differ),
 * and no user:password. Returns a new string.
 */
char *source_redact(const char *source);
/* True for http://, https:// and webcal:// sources. */
bool source_is_url(const char *source);
/*
 * Print form of a URL that is no calendar (the HubSpot API base): without
 * user:password, its query replaced by "?…"; the path is kept. Returns a new
 * string (a copy of anything that is no URL).
 */
char *url_redact_credentials(const char *url);
/*
 * `text` (len bytes, e.g. a libcurl trace line) with every URL in it redacted:
 * source_redact()'s form, or url_redact_credentials()'s when keep_path; and
 * libcurl's "with user 'NAME'" without the name. Returns a new string.
 */
char *text_redact_urls(const char *text, size_t len, bool keep_path);

/*
 * Flush standard output: -1 after an error message when anything written to
 * it was lost (a full disk, a closed pipe), so that the exit code says so.
 */
int stdout_flush_check(void);

/*
 * Before a secret (the access token) is in memory: no core dump
 * (RLIMIT_CORE 0) and, on Linux, not dumpable (PR_SET_DUMPABLE 0: no core, no
 * ptrace or /proc/PID/mem by other processes of the user). For the rest of the process.
 */
void process_protect_secrets(void);
/*
 * Read a small file (a secret: at most `max` bytes, else an error) into *out
 * (NUL-terminated); *mode gets its permission bits. Never blocks on a FIFO
 * and never reads a device: regular files only.
 */
int file_read_small(const char *path, size_t max, char **out, unsigned *mode);

/* Read a whole file (or "-" for stdin) into *out (NUL-terminated). */
int file_read_all(const char *path, char **out, size_t *len);
/*
 * Files the importer writes are created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW
 * (or mkstemp), mode 0600, so that a symlink or a file planted at the name is
 * never written through.
 */
/* Create a new file readable by its owner only (0600); NULL (errno set) when path exists. */
FILE *file_create_private(const char *path);
/*
 * A new temporary file "<path>.tmp.XXXXXX" (mkstemp, 0600) in path's own
 * directory, for file_commit_temp(). NULL after an error message.
 */
FILE *file_create_temp(const char *path, char **tmp_out);
/*
 * Flush, fsync and close f, then rename tmp over path (a symlink at path is
 * replaced, not followed): the file is complete or absent. Frees tmp; on any
 * failure removes it and returns -1 after an error message.
 */
int file_commit_temp(FILE *f, char *tmp, const char *path);
/* Give up a temporary file: close, remove, free. */
void file_abort_temp(FILE *f, char *tmp);
/* Write a whole file atomically: file_create_temp + file_commit_temp. */
int file_write_atomic(const char *path, const char *data, size_t len);

#endif
