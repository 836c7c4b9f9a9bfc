/* util: messages, allocation that never fails, growable strings, times. */
#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

int util_verbosity = 1;
bool util_progress_plain;

static msg_sink_fn msg_sink;
static void *msg_sink_data;

void msg_set_sink(msg_sink_fn fn, void *data)
{
	msg_sink = fn;
	msg_sink_data = data;
}

/* Colour only for a person at a terminal who did not ask for none (no-color.org). */
static bool use_colour(void)
{
	static int decided = -1;

	if (decided < 0) {
		const char *no = getenv("NO_COLOR");
		const char *term = getenv("TERM");

		decided = isatty(STDERR_FILENO) && !(no && *no) && !(term && !strcmp(term, "dumb"));
	}
	return decided;
}

static enum log_format log_format_now = LOG_TEXT;
static const char *log_calendar, *log_portal;
static char *log_error1;

void log_set_format(enum log_format f)
{
	log_format_now = f;
	if (f == LOG_JSON)
		util_progress_plain = true;
}

enum log_format log_get_format(void)
{
	return log_format_now;
}

void log_set_context(const char *calendar, const char *portal)
{
	log_calendar = calendar;
	log_portal = portal;
}

const char *log_first_error(void)
{
	return log_error1;
}

void log_reset_errors(void)
{
	FREE_NULL(log_error1);
}

static void json_line(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text) {
		struct sbuf sb = SBUF_INIT;

		sbuf_addf(&sb, "%s\n", text);
		fputs(sb.buf, stderr);
		fflush(stderr);
		sbuf_release(&sb);
		cJSON_free(text);
	}
	cJSON_Delete(o);
}

static cJSON *json_record(const char *level, const char *calendar, const char *portal,
			  const char *message)
{
	cJSON *o = cJSON_CreateObject();
	char ts[32];

	time_format_utc(time_now(), ts, sizeof(ts));
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddStringToObject(o, "level", level);
	if (calendar)
		cJSON_AddStringToObject(o, "calendar", calendar);
	if (portal)
		cJSON_AddStringToObject(o, "portal", portal);
	cJSON_AddStringToObject(o, "message", message);
	return o;
}

void log_summary(FILE *f, const char *calendar, const char *portal, const struct log_counts *c,
		 int64_t ms, int rc, const char *why)
{
	char ts[32];
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "%ld created, %ld updated, %ld archived, %ld failed in %.1f s", c->created,
		  c->updated, c->archived, c->failed, (double)ms / 1000.0);
	if (rc)
		sbuf_addf(&msg, ", exit %d%s%s", rc, why ? ": " : "", why ? why : "");
	if (log_format_now == LOG_JSON) {
		cJSON *o = json_record(rc ? "error" : "info", calendar ? calendar : "total", portal,
				       msg.buf);
		cJSON *n = cJSON_AddObjectToObject(o, "counts");

		cJSON_AddNumberToObject(n, "created", (double)c->created);
		cJSON_AddNumberToObject(n, "updated", (double)c->updated);
		cJSON_AddNumberToObject(n, "archived", (double)c->archived);
		cJSON_AddNumberToObject(n, "unchanged", (double)c->unchanged);
		cJSON_AddNumberToObject(n, "failed", (double)c->failed);
		cJSON_AddNumberToObject(o, "seconds", (double)ms / 1000.0);
		cJSON_AddNumberToObject(o, "exit", rc);
		json_line(o);
	} else {
		time_format_utc(time_now(), ts, sizeof(ts));
		fprintf(f, "%s %s%s%s%s: %s\n", ts, calendar ? calendar : "total",
			portal ? " (" : "", portal ? portal : "", portal ? ")" : "", msg.buf);
		fflush(f);
	}
	sbuf_release(&msg);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	struct sbuf sb = SBUF_INIT;
	char *body = xvasprintf(fmt, ap);
	const char *on = "", *off = "";

	if (!log_error1 && (!strcmp(prefix, "error: ") || !strcmp(prefix, "fatal: ")))
		log_error1 = xasprintf("%s%s", body, suffix ? suffix : "");
	if (log_format_now == LOG_JSON) {
		size_t plen = strcspn(prefix, ":");
		char *level = plen ? xstrndup(prefix, plen) : xstrdup("info");
		char *text = xasprintf("%s%s", body, suffix ? suffix : "");

		json_line(json_record(level, log_calendar, log_portal, text));
		if (msg_sink)
			msg_sink(level, text, msg_sink_data);
		else {
			free(level);
			free(text);
		}
		free(body);
		return;
	}

	if (*prefix && use_colour()) {
		/* bold red for errors and fatals, bold yellow for warnings */
		on = !strcmp(prefix, "warning: ") ? "\033[1;33m" : "\033[1;31m";
		off = "\033[m";
	}
	/* One write per message, so lines from a progress display do not interleave. */
	sbuf_addf(&sb, "%s: %s%s%s%s%s%s%s\n", PROGRAM_NAME, log_calendar ? log_calendar : "",
		  log_calendar ? ": " : "", on, prefix, off, body, suffix ? suffix : "");
	fputs(sb.buf, stderr);
	if (msg_sink) {
		char *text = xasprintf("%s%s", body, suffix ? suffix : "");
		size_t plen = strcspn(prefix, ":");

		msg_sink(plen ? xstrndup(prefix, plen) : xstrdup("info"), text, msg_sink_data);
	}
	free(body);
	sbuf_release(&sb);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap, NULL);
	va_end(ap);
	return -1;
}

int error_errno(const char *fmt, ...)
{
	int saved = errno;
	char suffix[256];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(saved));
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap, suffix);
	va_end(ap);
	errno = saved;
	return -1;
}

bool ask_yes_no(const char *fmt, ...)
{
	char line[64];
	char *q;
	va_list ap;

	va_start(ap, fmt);
	q = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s [y/N] ", PROGRAM_NAME, q);
	fflush(stderr);
	free(q);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	str_trim(line);
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

void usage_hint(const char *command)
{
	fprintf(stderr, "%s: see '%s%s%s --help'\n", PROGRAM_NAME, PROGRAM_NAME, command ? " " : "",
		command ? command : "");
}

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap, NULL);
	va_end(ap);
	usage_hint(command);
	return EXIT_USAGE;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	if (util_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (util_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap, NULL);
	va_end(ap);
}

void verbose(const char *fmt, ...)
{
	va_list ap;

	if (util_verbosity < 2)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap, NULL);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(code);
}

void util_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: BUG at %s:%d: ", PROGRAM_NAME, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static NORETURN void oom(void)
{
	fputs(PROGRAM_NAME ": fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	n = strnlen(s, n);
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	char *p;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("bad format '%s'", fmt);
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void xgrow(void *arr_p, size_t *cap, size_t need, size_t size)
{
	void **arr = arr_p;
	size_t n;

	if (need <= *cap)
		return;
	n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	*arr = xrealloc(*arr, n * size);
	*cap = n;
}

void sbuf_init(struct sbuf *sb)
{
	sb->cap = 64;
	sb->len = 0;
	sb->buf = xmalloc(sb->cap);
	sb->buf[0] = '\0';
}

void sbuf_release(struct sbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void sbuf_reset(struct sbuf *sb)
{
	if (!sb->buf)
		sbuf_init(sb);
	sb->len = 0;
	sb->buf[0] = '\0';
}

static void sbuf_reserve(struct sbuf *sb, size_t extra)
{
	if (!sb->buf)
		sbuf_init(sb);
	if (sb->len + extra + 1 <= sb->cap)
		return;
	while (sb->len + extra + 1 > sb->cap)
		sb->cap *= 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void sbuf_add(struct sbuf *sb, const void *data, size_t n)
{
	sbuf_reserve(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}

void sbuf_addc(struct sbuf *sb, char c)
{
	sbuf_add(sb, &c, 1);
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap, cp;
	int n;

	va_start(ap, fmt);
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("bad format '%s'", fmt);
	sbuf_reserve(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	va_end(ap);
}

char *sbuf_detach(struct sbuf *sb)
{
	char *p;

	if (!sb->buf)
		sbuf_init(sb);
	p = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

bool str_starts_with_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t a, b;

	if (!s)
		return false;
	a = strlen(s);
	b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *str_lower(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

char *str_trim(char *s)
{
	size_t n;
	char *p = s;

	if (!s)
		return s;
	while (*p && isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

char *email_normalize(const char *cal_address)
{
	char *e;

	if (!cal_address)
		return NULL;
	while (isspace((unsigned char)*cal_address))
		cal_address++;
	if (str_starts_with_ci(cal_address, "mailto:"))
		cal_address += strlen("mailto:");
	e = str_lower(str_trim(xstrdup(cal_address)));
	if (!*e || !strchr(e, '@') || e[0] == '@' || str_ends_with(e, "@")) {
		free(e);
		return NULL;
	}
	return e;
}

const char *email_domain(const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_sanitize(const char *s, char **out)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sbuf sb = SBUF_INIT;
	bool valid = true;

	/* Valid text (the usual case) is copied as it is, not sequence by sequence. */
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_seq(p);

		if (!n)
			break;
		p += n;
	}
	if (!*p) {
		size_t len = (size_t)(p - (const unsigned char *)s);

		*out = xmalloc(len + 1);
		memcpy(*out, s, len + 1);
		return true;
	}
	sbuf_init(&sb);
	sbuf_add(&sb, s, (size_t)(p - (const unsigned char *)s));
	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			sbuf_add(&sb, p, n);
			p += n;
		} else {
			sbuf_adds(&sb, "\xef\xbf\xbd");
			valid = false;
			p++;
		}
	}
	*out = sbuf_detach(&sb);
	return valid;
}

/* Howard Hinnant's civil-date algorithms. */
int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Two digits of v (< 100) at p. */
static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * "YYYY-MM-DD" at p for years 0..9999 (what snprintf's "%04d-%02u-%02u" writes);
 * false for other years. Two per occurrence printed: snprintf was 7% of expand.
 */
static bool put_date(char *p, int y, unsigned m, unsigned d)
{
	if (y < 0 || y > 9999)
		return false;
	put2(p, (unsigned)y / 100);
	put2(p + 2, (unsigned)y % 100);
	p[4] = '-';
	put2(p + 5, m);
	p[7] = '-';
	put2(p + 8, d);
	return true;
}

size_t format_long(long v, char *buf)
{
	/* digits from the end; through unsigned so that LONG_MIN negates */
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[sizeof(tmp) - ++n] = '-';
	memcpy(buf, tmp + sizeof(tmp) - n, n);
	buf[n] = '\0';
	return n;
}

void time_format_utc(int64_t t, char *buf, size_t n)
{
	int64_t days = floor_div(t, 86400);
	int64_t secs = t - days * 86400;
	int y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (n >= 21 && put_date(buf, y, m, d)) {
		buf[10] = 'T';
		put2(buf + 11, (unsigned)(secs / 3600));
		buf[13] = ':';
		put2(buf + 14, (unsigned)(secs / 60 % 60));
		buf[16] = ':';
		put2(buf + 17, (unsigned)(secs % 60));
		buf[19] = 'Z';
		buf[20] = '\0';
		return;
	}
	snprintf(buf, n, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(secs / 3600),
		 (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

void time_format_date(int64_t t, char *buf, size_t n)
{
	int y;
	unsigned m, d;

	civil_from_days(floor_div(t, 86400), &y, &m, &d);
	if (n >= 11 && put_date(buf, y, m, d)) {
		buf[10] = '\0';
		return;
	}
	snprintf(buf, n, "%04d-%02u-%02u", y, m, d);
}

int parse_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int take_digits(const char **s, int n, int *out)
{
	int v = parse_digits(*s, n);

	if (v < 0)
		return -1;
	*s += n;
	*out = v;
	return 0;
}

/* 28..31: the calendar, so that 2024-02-30 is refused rather than read as March 1st. */
static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int time_parse_utc(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	bool sep;

	if (!s || take_digits(&s, 4, &y))
		return -1;
	sep = *s == '-';
	if (sep)
		s++;
	if (take_digits(&s, 2, &mo))
		return -1;
	if (sep && *s++ != '-')
		return -1;
	if (take_digits(&s, 2, &d))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (take_digits(&s, 2, &h))
			return -1;
		if (sep && *s == ':')
			s++;
		if (take_digits(&s, 2, &mi))
			return -1;
		if (*s == ':' || (!sep && isdigit((unsigned char)*s))) {
			if (*s == ':')
				s++;
			if (take_digits(&s, 2, &se))
				return -1;
		}
		if (*s == 'Z' || *s == 'z')
			s++;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int time_parse_when(const char *s, int64_t now, int64_t *out)
{
	int64_t today = (now >= 0 ? now / 86400 : (now - 86399) / 86400), n = 0;
	int sign, y;
	unsigned m, d;
	const char *p;

	if (!s)
		return -1;
	if (!strcmp(s, "today")) {
		*out = today * 86400;
		return 0;
	}
	if (*s != '-' && *s != '+')
		return time_parse_utc(s, out);
	sign = *s == '-' ? -1 : 1;
	for (p = s + 1; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > 100000)
			return -1;
	}
	if (p == s + 1 || !p[0] || p[1])
		return -1;
	n *= sign;
	switch (*p) {
	case 'd':
		*out = (today + n) * 86400;
		return 0;
	case 'w':
		*out = (today + 7 * n) * 86400;
		return 0;
	case 'm':
	case 'y': {
		int64_t months;

		civil_from_days(today, &y, &m, &d);
		months = (int64_t)y * 12 + (m - 1) + (*p == 'y' ? 12 * n : n);
		y = (int)(months >= 0 ? months / 12 : (months - 11) / 12);
		m = (unsigned)(months - (int64_t)y * 12) + 1;
		if ((int)d > days_in_month(y, (int)m))
			d = (unsigned)days_in_month(y, (int)m);
		*out = days_from_civil(y, m, d) * 86400;
		return 0;
	}
	default:
		return -1;
	}
}

int64_t time_now(void)
{
	return (int64_t)time(NULL);
}

int64_t time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t interrupted_by;

static void on_interrupt(int sig)
{
	if (interrupted_by) {
		/* The second one: die as the signal would (the pending rows cover the rest). */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	interrupted_by = sig;
}

void util_catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int util_interrupted(void)
{
	return (int)interrupted_by;
}

void sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

long env_positive(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n <= 0 || n > INT_MAX ? dflt : n;
}

uint64_t hash64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void hash64_hex(uint64_t h, char *buf, size_t n)
{
	snprintf(buf, n, "%016llx", (unsigned long long)h);
}

bool source_is_url(const char *source)
{
	return str_starts_with_ci(source, "http://") || str_starts_with_ci(source, "https://") ||
	       str_starts_with_ci(source, "webcal://");
}

/* Any "scheme://host/path" with the path and query replaced (source_redact()'s form). */
static char *url_redact_path(const char *source)
{
	const char *scheme_end, *host, *host_end, *at;
	char hex[17];

	scheme_end = strstr(source, "://");
	host = scheme_end + 3;
	host_end = host + strcspn(host, "/?#");
	/* user:password@ (an unencoded '@' in the password: the last one ends it) */
	while ((at = memchr(host, '@', (size_t)(host_end - host))))
		host = at + 1;
	if (!*host_end)
		return xasprintf("%.*s%.*s", (int)(scheme_end + 3 - source), source,
				 (int)(host_end - host), host);
	/* A short hash of the whole URL tells two feeds of one host apart. */
	hash64_hex(hash64(source, strlen(source), HASH64_SEED), hex, sizeof(hex));
	return xasprintf("%.*s%.*s/…#%.4s", (int)(scheme_end + 3 - source), source,
			 (int)(host_end - host), host, hex);
}

char *source_redact(const char *source)
{
	if (!source_is_url(source))
		return xstrdup(source);
	return url_redact_path(source);
}

char *url_redact_credentials(const char *url)
{
	const char *scheme_end = strstr(url, "://"), *host, *host_end, *at, *query;
	struct sbuf sb = SBUF_INIT;

	if (!scheme_end || scheme_end == url ||
	    strcspn(url, ":/?#@ ") != (size_t)(scheme_end - url))
		return xstrdup(url);
	host = scheme_end + 3;
	host_end = host + strcspn(host, "/?#");
	while ((at = memchr(host, '@', (size_t)(host_end - host))))
		host = at + 1;
	sbuf_add(&sb, url, (size_t)(scheme_end + 3 - url));
	query = host_end + strcspn(host_end, "?#");
	sbuf_add(&sb, host, (size_t)(query - host));
	if (*query)
		sbuf_adds(&sb, "?…");
	return sbuf_detach(&sb);
}

/* Characters that end a URL inside free text (libcurl's messages quote them). */
#define URL_END " \t\r\n'\"<>()[]{}`"

char *text_redact_urls(const char *text, size_t len, bool keep_path)
{
	struct sbuf sb = SBUF_INIT;
	size_t i = 0;

	sbuf_init(&sb);
	while (i < len) {
		const char *p = text + i, *sep = NULL;
		size_t scheme = 0, end;

		/* "with user 'NAME'" (libcurl's note on a URL's credentials) */
		if (len - i >= 11 && !memcmp(p, "with user '", 11)) {
			const char *q = memchr(p + 11, '\'', len - i - 11);

			sbuf_adds(&sb, "with user '<redacted>'");
			i = q ? (size_t)(q - text) + 1 : len;
			continue;
		}
		/* a scheme: a letter, then letters, digits, '+', '-', '.' up to "://" */
		if (isalpha((unsigned char)*p)) {
			while (i + scheme < len && p[scheme] &&
			       (isalnum((unsigned char)p[scheme]) || strchr("+-.", p[scheme])))
				scheme++;
			if (i + scheme + 3 <= len && !memcmp(p + scheme, "://", 3))
				sep = p + scheme;
		}
		if (!sep && scheme) {
			sbuf_add(&sb, p, scheme); /* a word, no URL */
			i += scheme;
			continue;
		}
		if (!sep) {
			sbuf_addc(&sb, *p);
			i++;
			continue;
		}
		for (end = i; end < len && text[end] && !strchr(URL_END, text[end]); end++)
			;
		{
			char *url = xstrndup(p, end - i);
			char *red = keep_path ? url_redact_credentials(url) : url_redact_path(url);

			sbuf_adds(&sb, red);
			free(red);
			free(url);
		}
		i = end;
	}
	return sbuf_detach(&sb);
}

int stdout_flush_check(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return error_errno("cannot write to standard output");
}

int file_read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct sbuf sb = SBUF_INIT;
	char chunk[65536];
	size_t n;

	if (!f)
		return error_errno("cannot open '%s'", path);
	sbuf_init(&sb);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sbuf_add(&sb, chunk, n);
	if (ferror(f)) {
		error_errno("cannot read '%s'", path);
		if (f != stdin)
			fclose(f);
		sbuf_release(&sb);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	if (len)
		*len = sb.len;
	*out = sbuf_detach(&sb);
	return 0;
}

FILE *file_create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	fchmod(fd, 0600); /* whatever the umask */
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

FILE *file_create_temp(const char *path, char **tmp_out)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp); /* O_CREAT|O_EXCL, 0600 */
	FILE *f;

	*tmp_out = NULL;
	if (fd < 0) {
		error_errno("cannot create a temporary file beside '%s'", path);
		free(tmp);
		return NULL;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	f = fdopen(fd, "w");
	if (!f) {
		error_errno("cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	*tmp_out = tmp;
	return f;
}

void file_abort_temp(FILE *f, char *tmp)
{
	if (f)
		fclose(f);
	if (tmp)
		unlink(tmp);
	free(tmp);
}

int file_commit_temp(FILE *f, char *tmp, const char *path)
{
	/* Complete or absent: flush and sync before the rename. */
	if (fflush(f) || ferror(f) || fsync(fileno(f)) < 0) {
		error_errno("cannot write '%s'", tmp);
		file_abort_temp(f, tmp);
		return -1;
	}
	if (fclose(f)) {
		error_errno("cannot write '%s'", tmp);
		file_abort_temp(NULL, tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		error_errno("cannot rename '%s' to '%s'", tmp, path);
		file_abort_temp(NULL, tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int file_write_atomic(const char *path, const char *data, size_t len)
{
	char *tmp;
	FILE *f = file_create_temp(path, &tmp);

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len) {
		error_errno("cannot write '%s'", tmp);
		file_abort_temp(f, tmp);
		return -1;
	}
	return file_commit_temp(f, tmp, path);
}

void process_protect_secrets(void)
{
	struct rlimit rl = {0, 0};

	setrlimit(RLIMIT_CORE, &rl);
#if defined(__linux__)
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int file_read_small(const char *path, size_t max, char **out, unsigned *mode)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	char *buf;
	size_t len = 0;

	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error("'%s' is not a regular file", path);
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return error("'%s' is larger than %zu bytes", path, max);
	}
	buf = xmalloc(max + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno("cannot read '%s'", path);
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			close(fd);
			return error("'%s' is larger than %zu bytes", path, max);
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	if (mode)
		*mode = (unsigned)(sb.st_mode & 07777);
	return 0;
}

static size_t strindex_slot(const struct strindex *x, const char *key)
{
	size_t i = (size_t)hash64(key, strlen(key), HASH64_SEED) & (x->cap - 1);

	while (x->keys[i] && strcmp(x->keys[i], key))
		i = (i + 1) & (x->cap - 1);
	return i;
}

bool strindex_get(const struct strindex *x, const char *key, size_t *val)
{
	size_t i;

	if (!x->cap)
		return false;
	i = strindex_slot(x, key);
	if (!x->keys[i])
		return false;
	if (val)
		*val = x->vals[i];
	return true;
}

bool strindex_put(struct strindex *x, const char *key, size_t val)
{
	size_t i;

	if (2 * (x->n + 1) > x->cap) {
		struct strindex big = {NULL, NULL, x->cap ? 2 * x->cap : 16, 0};

		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (size_t k = 0; k < x->cap; k++)
			if (x->keys[k]) {
				size_t j = strindex_slot(&big, x->keys[k]);

				big.keys[j] = x->keys[k];
				big.vals[j] = x->vals[k];
				big.n++;
			}
		strindex_release(x);
		*x = big;
	}
	i = strindex_slot(x, key);
	if (x->keys[i])
		return false;
	x->keys[i] = key;
	x->vals[i] = val;
	x->n++;
	return true;
}

void strindex_release(struct strindex *x)
{
	free(x->keys);
	free(x->vals);
	memset(x, 0, sizeof(*x));
}
