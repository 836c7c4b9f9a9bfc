/* template: `{{ field | filter(arg) }}` templates, compiled once, rendered per occurrence. */
#include "template.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- fields and filters ------------------------------------------------------------------ */

enum field {
	F_UID,
	F_RECURRENCE_ID,
	F_START,
	F_END,
	F_ALL_DAY,
	F_DURATION_MINUTES,
	F_SUMMARY,
	F_DESCRIPTION,
	F_LOCATION,
	F_URL,
	F_CONFERENCE_URL,
	F_STATUS,
	F_CLASS,
	F_TRANSP,
	F_BUSY_STATUS,
	F_CATEGORIES,
	F_SEQUENCE,
	F_CALENDAR_NAME,
	F_TZ,
	F_ORGANIZER,
	F_ORGANIZER_EMAIL,
	F_ORGANIZER_NAME,
	F_ORGANIZER_OWNER_ID,
	F_ATTENDEES,
	F_ATTENDEE_EMAILS,
	F_SOURCE,
	F_KEY,
	F_X, /* x['NAME']: not in the name table */
	F_COUNT = F_X,
};

enum vtype {
	VT_TEXT,
	VT_TIME,
	VT_LIST,
};

static const struct {
	const char *name;
	enum vtype type;
} fields[F_COUNT] = {
	[F_UID] = {"uid", VT_TEXT},
	[F_RECURRENCE_ID] = {"recurrence_id", VT_TIME},
	[F_START] = {"start", VT_TIME},
	[F_END] = {"end", VT_TIME},
	[F_ALL_DAY] = {"all_day", VT_TEXT},
	[F_DURATION_MINUTES] = {"duration_minutes", VT_TEXT},
	[F_SUMMARY] = {"summary", VT_TEXT},
	[F_DESCRIPTION] = {"description", VT_TEXT},
	[F_LOCATION] = {"location", VT_TEXT},
	[F_URL] = {"url", VT_TEXT},
	[F_CONFERENCE_URL] = {"conference_url", VT_TEXT},
	[F_STATUS] = {"status", VT_TEXT},
	[F_CLASS] = {"class", VT_TEXT},
	[F_TRANSP] = {"transp", VT_TEXT},
	[F_BUSY_STATUS] = {"busy_status", VT_TEXT},
	[F_CATEGORIES] = {"categories", VT_LIST},
	[F_SEQUENCE] = {"sequence", VT_TEXT},
	[F_CALENDAR_NAME] = {"calendar_name", VT_TEXT},
	[F_TZ] = {"tz", VT_TEXT},
	[F_ORGANIZER] = {"organizer", VT_TEXT},
	[F_ORGANIZER_EMAIL] = {"organizer.email", VT_TEXT},
	[F_ORGANIZER_NAME] = {"organizer.name", VT_TEXT},
	[F_ORGANIZER_OWNER_ID] = {"organizer.owner_id", VT_TEXT},
	[F_ATTENDEES] = {"attendees", VT_LIST},
	[F_ATTENDEE_EMAILS] = {"attendee_emails", VT_LIST},
	[F_SOURCE] = {"source", VT_TEXT},
	[F_KEY] = {"key", VT_TEXT},
};

const char *const template_field_names[] = {
	"uid",
	"recurrence_id",
	"start",
	"end",
	"all_day",
	"duration_minutes",
	"summary",
	"description",
	"location",
	"url",
	"conference_url",
	"status",
	"class",
	"transp",
	"busy_status",
	"categories",
	"sequence",
	"calendar_name",
	"tz",
	"organizer",
	"organizer.email",
	"organizer.name",
	"organizer.owner_id",
	"attendees",
	"attendee_emails",
	"source",
	"key",
	"x",
	NULL,
};

enum filter {
	FL_DEFAULT,
	FL_HTML,
	FL_TEXT,
	FL_TRUNCATE,
	FL_LOWER,
	FL_UPPER,
	FL_TRIM,
	FL_EPOCH_MS,
	FL_DATE,
	FL_JOIN,
	FL_COUNT,
};

const char *const template_filter_names[] = {
	[FL_DEFAULT] = "default", [FL_HTML] = "html",   [FL_TEXT] = "text",
	[FL_TRUNCATE] = "truncate", [FL_LOWER] = "lower", [FL_UPPER] = "upper",
	[FL_TRIM] = "trim",       [FL_EPOCH_MS] = "epoch_ms", [FL_DATE] = "date",
	[FL_JOIN] = "join",       [FL_COUNT] = NULL,
};

/* ---- compiled form ----------------------------------------------------------------------- */

struct ref {
	enum field field;
	char *xname; /* F_X only */
};

enum arg_kind {
	ARG_NONE,
	ARG_STR,
	ARG_INT,
	ARG_FIELD,
};

struct filter_call {
	enum filter filter;
	enum arg_kind arg;
	char *str; /* ARG_STR */
	size_t len;
	long num; /* ARG_INT */
	struct ref ref; /* ARG_FIELD */
};

struct expr {
	struct ref ref;
	struct filter_call *filters;
	size_t nfilters;
	bool has_html; /* output already HTML: no auto-escaping */
};

struct part {
	char *lit; /* literal text (NULL for an expression part) */
	size_t len;
	struct expr *expr;
};

struct template {
	char *text;
	struct part *parts;
	size_t nparts, cap;
	bool owner_id;
};

/* List-item transforms (lower/upper/trim on a list apply to each item). */
#define LF_LOWER 1u
#define LF_UPPER 2u
#define LF_TRIM  4u

/* ---- small text helpers ------------------------------------------------------------------ */

size_t text_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xmalloc((lb + 1) * sizeof(*row));
	size_t d;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

static bool prefix_ci(const char *s, const char *prefix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != tolower((unsigned char)prefix[i]))
			return false;
	return true;
}

const char *text_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, wl = strlen(word);

	for (size_t i = 0; i < n && candidates[i]; i++) {
		size_t d = text_edit_distance(word, candidates[i]);
		size_t cl = strlen(candidates[i]);

		/* a prefix typo ("trunc" for "truncate") is close whatever its distance */
		if (wl >= 3 && cl > wl && prefix_ci(candidates[i], word, wl))
			d = d < 2 ? d : 2;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	if (best && (best_d <= 2 || best_d * 3 <= wl))
		return best;
	return NULL;
}

static void str_upper_inplace(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c <= 0xf7)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

size_t text_prefix_len(const char *s, size_t len, size_t max)
{
	size_t i = 0, units = 0;

	while (i < len) {
		size_t n = utf8_len((unsigned char)s[i]);
		size_t u = n == 4 ? 2 : 1;

		if (i + n > len || units + u > max)
			break;
		units += u;
		i += n;
	}
	return i;
}

void text_html_escape(struct sbuf *out, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\r':
		case '\n':
			sbuf_add(out, s + start, i - start);
			sbuf_adds(out, "<br>");
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			start = i + 1;
			continue;
		default:
			continue;
		}
		sbuf_add(out, s + start, i - start);
		sbuf_adds(out, rep);
		start = i + 1;
	}
	sbuf_add(out, s + start, len - start);
}

/* ---- compiling --------------------------------------------------------------------------- */

struct parser {
	const char *text;
	const char *p;
	struct template_error *err;
};

static int perr(struct parser *ps, const char *at, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (ps->err->message)
		return -1;
	va_start(ap, fmt);
	ps->err->message = xvasprintf(fmt, ap);
	va_end(ap);
	ps->err->offset = (size_t)(at - ps->text);
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* A quoted string at ps->p ('...' or "...", backslash escapes the quote and itself). */
static int parse_string(struct parser *ps, char **out, size_t *outlen)
{
	char q = *ps->p;
	const char *start = ps->p;
	struct sbuf sb = SBUF_INIT;

	sbuf_init(&sb);
	ps->p++;
	while (*ps->p && *ps->p != q) {
		if (*ps->p == '\\' && (ps->p[1] == q || ps->p[1] == '\\'))
			ps->p++;
		sbuf_addc(&sb, *ps->p++);
	}
	if (*ps->p != q) {
		sbuf_release(&sb);
		return perr(ps, start, "unterminated string (expected %c)", q);
	}
	ps->p++;
	*outlen = sb.len;
	*out = sbuf_detach(&sb);
	return 0;
}

static int parse_ref(struct parser *ps, struct ref *ref)
{
	const char *start = ps->p;
	char *name;

	while (is_ident(*ps->p))
		ps->p++;
	if (ps->p == start)
		return perr(ps, start, "expected a field name");
	name = xstrndup(start, (size_t)(ps->p - start));
	if (!strcmp(name, "x") && *ps->p == '[') {
		size_t len;

		free(name);
		ps->p++;
		skip_ws(ps);
		if (*ps->p != '\'' && *ps->p != '"')
			return perr(ps, ps->p,
				    "expected a quoted property name, e.g. x['X-MICROSOFT-CDO-IMPORTANCE']");
		if (parse_string(ps, &ref->xname, &len) < 0)
			return -1;
		skip_ws(ps);
		if (*ps->p != ']')
			return perr(ps, ps->p, "expected ']' after x['%s'", ref->xname);
		ps->p++;
		if (!*ref->xname)
			return perr(ps, start, "empty property name in x['']");
		str_upper_inplace(ref->xname);
		ref->field = F_X;
		return 0;
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (!strcmp(name, fields[f].name)) {
			ref->field = (enum field)f;
			free(name);
			return 0;
		}
	}
	{
		const char *s = text_suggest(name, template_field_names, F_COUNT + 1);

		if (!strcmp(name, "x"))
			perr(ps, start, "field 'x' needs a property name, e.g. x['X-MICROSOFT-CDO-IMPORTANCE']");
		else if (s)
			perr(ps, start, "unknown field '%s' (did you mean '%s'?)", name, s);
		else
			perr(ps, start, "unknown field '%s'", name);
	}
	free(name);
	return -1;
}
