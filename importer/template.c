/* template: `{{ field | filter(arg) }}` templates, compiled once, rendered per occurrence. */
#include "template.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	[FL_DEFAULT] = "default",   [FL_HTML] = "html",		[FL_TEXT] = "text",
	[FL_TRUNCATE] = "truncate", [FL_LOWER] = "lower",	[FL_UPPER] = "upper",
	[FL_TRIM] = "trim",	    [FL_EPOCH_MS] = "epoch_ms", [FL_DATE] = "date",
	[FL_JOIN] = "join",	    [FL_COUNT] = NULL,
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

struct template
{
	char *text;
	struct part *parts;
	size_t nparts, cap;
	bool owner_id;
};

/* List-item transforms (lower/upper/trim on a list apply to each item). */
#define LF_LOWER 1u
#define LF_UPPER 2u
#define LF_TRIM	 4u

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

	if (len <= max) {
		/* a character takes at least one byte per UTF-16 unit: all fits, but
		 * for a sequence cut at the end */
		size_t last = len;

		while (last > 0 && len - last < 4 && ((unsigned char)s[last - 1] & 0xc0) == 0x80)
			last--;
		if (last > 0 && utf8_len((unsigned char)s[last - 1]) > len - last + 1)
			return last - 1;
		return len;
	}
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
			return perr(
				ps, ps->p,
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
			perr(ps, start,
			     "field 'x' needs a property name, e.g. x['X-MICROSOFT-CDO-IMPORTANCE']");
		else if (s)
			perr(ps, start, "unknown field '%s' (did you mean '%s'?)", name, s);
		else
			perr(ps, start, "unknown field '%s'", name);
	}
	free(name);
	return -1;
}

static void ref_release(struct ref *r)
{
	free(r->xname);
	r->xname = NULL;
}

static void expr_free(struct expr *e)
{
	if (!e)
		return;
	ref_release(&e->ref);
	for (size_t i = 0; i < e->nfilters; i++) {
		free(e->filters[i].str);
		ref_release(&e->filters[i].ref);
	}
	free(e->filters);
	free(e);
}

static enum vtype ref_type(const struct ref *r)
{
	return r->field == F_X ? VT_TEXT : fields[r->field].type;
}

/* The argument of a filter, after '('. */
static int parse_arg(struct parser *ps, struct filter_call *fc)
{
	skip_ws(ps);
	if (*ps->p == '\'' || *ps->p == '"') {
		fc->arg = ARG_STR;
		return parse_string(ps, &fc->str, &fc->len);
	}
	if (isdigit((unsigned char)*ps->p) || (*ps->p == '-' && isdigit((unsigned char)ps->p[1]))) {
		const char *start = ps->p;
		char *end;

		fc->arg = ARG_INT;
		fc->num = strtol(ps->p, &end, 10);
		ps->p = end;
		fc->str = xstrndup(start, (size_t)(end - start));
		fc->len = strlen(fc->str);
		return 0;
	}
	if (is_ident(*ps->p)) {
		fc->arg = ARG_FIELD;
		return parse_ref(ps, &fc->ref);
	}
	return perr(ps, ps->p,
		    "expected an argument for '%s': a quoted string, a number or a field",
		    template_filter_names[fc->filter]);
}

/* Check a filter's argument and track the value type; returns -1 with a message. */
static int check_filter(struct parser *ps, const char *at, struct filter_call *fc, enum vtype *type)
{
	const char *name = template_filter_names[fc->filter];

	switch (fc->filter) {
	case FL_DEFAULT:
		if (fc->arg == ARG_FIELD && ref_type(&fc->ref) == VT_LIST)
			*type = VT_LIST; /* join may follow */
		if (fc->arg == ARG_NONE)
			return perr(
				ps, at,
				"filter 'default' needs an argument: a quoted string or a field, e.g. default('(no title)')");
		return 0;
	case FL_TRUNCATE:
		if (fc->arg != ARG_INT || fc->num <= 0)
			return perr(
				ps, at,
				"filter 'truncate' needs a number of characters above 0, e.g. truncate(255)");
		*type = VT_TEXT;
		return 0;
	case FL_DATE:
		if (fc->arg != ARG_STR || !fc->len)
			return perr(
				ps, at,
				"filter 'date' needs a strftime format, e.g. date('%%Y-%%m-%%d')");
		if (*type == VT_LIST)
			return perr(
				ps, at,
				"filter 'date' needs a time (start, end, recurrence_id), not a list");
		*type = VT_TEXT;
		return 0;
	case FL_JOIN:
		if (fc->arg != ARG_NONE && fc->arg != ARG_STR)
			return perr(ps, at,
				    "filter 'join' takes a quoted separator, e.g. join(', ')");
		if (*type != VT_LIST)
			return perr(
				ps, at,
				"filter 'join' needs a list (attendees, attendee_emails, categories), not text");
		*type = VT_TEXT;
		return 0;
	case FL_LOWER:
	case FL_UPPER:
	case FL_TRIM:
		if (*type == VT_TIME)
			*type = VT_TEXT;
		break;
	case FL_EPOCH_MS:
		if (*type == VT_LIST)
			return perr(
				ps, at,
				"filter 'epoch_ms' needs a time (start, end, recurrence_id), not a list");
		*type = VT_TEXT;
		break;
	case FL_HTML:
	case FL_TEXT:
		*type = VT_TEXT;
		break;
	case FL_COUNT:
		break;
	}
	if (fc->arg != ARG_NONE)
		return perr(ps, at, "filter '%s' takes no argument", name);
	return 0;
}

/* One expression; stops at "}}" (TEMPLATE_TEXT) or the end (TEMPLATE_EXPR). */
static struct expr *parse_expr(struct parser *ps, enum template_mode mode, const char *open)
{
	struct expr *e = xcalloc(1, sizeof(*e));
	size_t cap = 0;
	enum vtype type;

	skip_ws(ps);
	if (!*ps->p || (mode == TEMPLATE_TEXT && !strncmp(ps->p, "}}", 2))) {
		perr(ps, ps->p, "expected a field name");
		goto fail;
	}
	if (parse_ref(ps, &e->ref) < 0)
		goto fail;
	type = ref_type(&e->ref);
	for (;;) {
		struct filter_call *fc;
		const char *at;
		char *name;
		int f;

		skip_ws(ps);
		if (mode == TEMPLATE_TEXT && !strncmp(ps->p, "}}", 2)) {
			ps->p += 2;
			break;
		}
		if (mode == TEMPLATE_EXPR && !*ps->p)
			break;
		if (!*ps->p) {
			perr(ps, open, "unclosed '{{' (expected '}}')");
			goto fail;
		}
		if (*ps->p != '|') {
			perr(ps, ps->p,
			     mode == TEMPLATE_TEXT ? "expected '|' or '}}'"
						   : "expected '|' or the end of the expression");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		at = ps->p;
		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		if (ps->p == at) {
			perr(ps, at, "expected a filter name after '|'");
			goto fail;
		}
		name = xstrndup(at, (size_t)(ps->p - at));
		for (f = 0; f < FL_COUNT; f++)
			if (!strcmp(name, template_filter_names[f]))
				break;
		if (f == FL_COUNT) {
			const char *s = text_suggest(name, template_filter_names, FL_COUNT);

			if (s)
				perr(ps, at, "unknown filter '%s' (did you mean '%s'?)", name, s);
			else
				perr(ps, at, "unknown filter '%s'", name);
			free(name);
			goto fail;
		}
		free(name);
		XGROW(e->filters, cap, e->nfilters + 1);
		fc = &e->filters[e->nfilters++];
		memset(fc, 0, sizeof(*fc));
		fc->filter = (enum filter)f;
		skip_ws(ps);
		if (*ps->p == '(') {
			ps->p++;
			if (parse_arg(ps, fc) < 0)
				goto fail;
			skip_ws(ps);
			if (*ps->p != ')') {
				perr(ps, ps->p, "expected ')' after the argument of '%s'",
				     template_filter_names[f]);
				goto fail;
			}
			ps->p++;
		}
		if (check_filter(ps, at, fc, &type) < 0)
			goto fail;
		if (fc->filter == FL_HTML)
			e->has_html = true;
	}
	if (e->ref.field == F_ORGANIZER_OWNER_ID && e->nfilters) {
		perr(ps, open,
		     "organizer.owner_id is looked up after mapping: it takes no filter and must be the whole value, \"{{ organizer.owner_id }}\"");
		goto fail;
	}
	for (size_t i = 0; i < e->nfilters; i++) {
		if (e->filters[i].arg == ARG_FIELD &&
		    e->filters[i].ref.field == F_ORGANIZER_OWNER_ID) {
			perr(ps, open,
			     "organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\"");
			goto fail;
		}
	}
	return e;
fail:
	expr_free(e);
	return NULL;
}

static void add_part(struct template *t, char *lit, size_t len, struct expr *e)
{
	XGROW(t->parts, t->cap, t->nparts + 1);
	t->parts[t->nparts].lit = lit;
	t->parts[t->nparts].len = len;
	t->parts[t->nparts].expr = e;
	t->nparts++;
}

struct template *template_compile(const char *text, enum template_mode mode,
				  struct template_error *err)
{
	struct template *t = xcalloc(1, sizeof(*t));
	struct parser ps = {text, text, err};
	bool owner = false;

	err->message = NULL;
	err->offset = 0;
	t->text = xstrdup(text);
	if (mode == TEMPLATE_EXPR) {
		struct expr *e = parse_expr(&ps, mode, text);

		if (!e)
			goto fail;
		add_part(t, NULL, 0, e);
	} else {
		while (*ps.p) {
			const char *open = strstr(ps.p, "{{");
			struct expr *e;

			if (!open) {
				add_part(t, xstrdup(ps.p), strlen(ps.p), NULL);
				break;
			}
			if (open > ps.p)
				add_part(t, xstrndup(ps.p, (size_t)(open - ps.p)),
					 (size_t)(open - ps.p), NULL);
			ps.p = open + 2;
			e = parse_expr(&ps, mode, open);
			if (!e)
				goto fail;
			add_part(t, NULL, 0, e);
			if (e->ref.field == F_ORGANIZER_OWNER_ID)
				owner = true;
		}
	}
	if (owner) {
		if (t->nparts != 1) {
			const char *at = strstr(text, "{{");

			perr(&ps, at ? at : text,
			     "organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\"");
			goto fail;
		}
		t->owner_id = true;
	}
	return t;
fail:
	template_free(t);
	return NULL;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].lit);
		expr_free(t->parts[i].expr);
	}
	free(t->parts);
	free(t->text);
	free(t);
}

const char *template_text(const struct template *t)
{
	return t->text;
}

bool template_is_owner_id(const struct template *t)
{
	return t->owner_id;
}

bool template_is_literal(const struct template *t, const char **text)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].expr)
			return false;
	*text = t->nparts ? t->parts[0].lit : "";
	return t->nparts <= 1;
}

/* ---- rendering --------------------------------------------------------------------------- */

void template_env_init(struct template_env *env)
{
	/* the scratch buffers are allocated on first use (sbuf does it lazily) */
	memset(env, 0, sizeof(*env));
}

void template_env_release(struct template_env *env)
{
	for (size_t i = 0; i < sizeof(env->scratch) / sizeof(env->scratch[0]); i++)
		sbuf_release(&env->scratch[i]);
}

struct value {
	enum vtype type;
	const char *s; /* VT_TEXT; NULL is empty */
	size_t len;
	int buf; /* scratch index holding s, or -1 when borrowed */
	bool has_time; /* VT_TIME */
	int64_t t;
	enum field list; /* VT_LIST */
	unsigned list_flags;
};

/* A scratch buffer that holds neither a nor b, reset. */
static struct sbuf *scratch_other(struct template_env *env, int a, int b, int *idx)
{
	for (int i = 0; i < 3; i++) {
		if (i != a && i != b) {
			*idx = i;
			sbuf_reset(&env->scratch[i]);
			return &env->scratch[i];
		}
	}
	BUG("no free scratch buffer");
}

static void text_value(struct value *v, const char *s)
{
	v->type = VT_TEXT;
	v->s = s ? s : ""; /* never NULL: memcpy() and friends want a pointer */
	v->len = s ? strlen(s) : 0;
	v->buf = -1;
}

static void text_from_buf(struct value *v, struct template_env *env, int idx)
{
	v->type = VT_TEXT;
	v->s = env->scratch[idx].buf;
	v->len = env->scratch[idx].len;
	v->buf = idx;
}

static size_t list_count(const struct occurrence *o, enum field f)
{
	size_t n = 0;

	if (f == F_CATEGORIES) {
		const char *p = o->categories;

		while (p && *p) {
			const char *c = strchr(p, ',');
			size_t len = c ? (size_t)(c - p) : strlen(p);

			for (size_t i = 0; i < len; i++)
				if (!isspace((unsigned char)p[i])) {
					n++;
					break;
				}
			p = c ? c + 1 : p + len;
		}
		return n;
	}
	for (size_t i = 0; i < o->nattendees; i++)
		if (o->attendees[i].email || (f == F_ATTENDEES && o->attendees[i].name))
			n++;
	return n;
}

static void name_addr(struct sbuf *out, const struct attendee *a)
{
	if (a->name && *a->name && a->email)
		sbuf_addf(out, "%s <%s>", a->name, a->email);
	else if (a->email)
		sbuf_adds(out, a->email);
	else if (a->name)
		sbuf_adds(out, a->name);
}

/* Apply the per-item transforms to out[from..]. */
static void item_transform(struct sbuf *out, size_t from, unsigned flags)
{
	if (flags & LF_TRIM) {
		size_t a = from, b = out->len;

		while (a < b && isspace((unsigned char)out->buf[a]))
			a++;
		while (b > a && isspace((unsigned char)out->buf[b - 1]))
			b--;
		memmove(out->buf + from, out->buf + a, b - a);
		out->len = from + (b - a);
		out->buf[out->len] = '\0';
	}
	for (size_t i = from; i < out->len; i++) {
		if (flags & LF_LOWER)
			out->buf[i] = (char)tolower((unsigned char)out->buf[i]);
		else if (flags & LF_UPPER)
			out->buf[i] = (char)toupper((unsigned char)out->buf[i]);
	}
}

static void list_join(const struct occurrence *o, enum field f, unsigned flags, const char *sep,
		      size_t seplen, struct sbuf *out)
{
	bool first = true;

	if (f == F_CATEGORIES) {
		const char *p = o->categories;

		while (p && *p) {
			const char *c = strchr(p, ',');
			size_t len = c ? (size_t)(c - p) : strlen(p);
			size_t a = 0, b = len, mark;

			while (a < b && isspace((unsigned char)p[a]))
				a++;
			while (b > a && isspace((unsigned char)p[b - 1]))
				b--;
			if (b > a) {
				if (!first)
					sbuf_add(out, sep, seplen);
				first = false;
				mark = out->len;
				sbuf_add(out, p + a, b - a);
				item_transform(out, mark, flags);
			}
			p = c ? c + 1 : p + len;
		}
		return;
	}
	for (size_t i = 0; i < o->nattendees; i++) {
		const struct attendee *a = &o->attendees[i];
		size_t mark;

		if (!a->email && (f != F_ATTENDEES || !a->name))
			continue;
		if (!first)
			sbuf_add(out, sep, seplen);
		first = false;
		mark = out->len;
		if (f == F_ATTENDEES)
			name_addr(out, a);
		else
			sbuf_adds(out, a->email);
		item_transform(out, mark, flags);
	}
}

/* The raw value of a field. */
static void eval_ref(struct template_env *env, const struct ref *r, struct value *v, int avoid)
{
	const struct occurrence *o = env->occ;
	struct sbuf *sb;
	int idx;

	memset(v, 0, sizeof(*v));
	v->buf = -1;
	switch (r->field) {
	case F_RECURRENCE_ID:
	case F_START:
	case F_END:
		v->type = VT_TIME;
		v->has_time = r->field != F_RECURRENCE_ID || o->has_recurrence_id;
		v->t = r->field == F_START ? o->start
		       : r->field == F_END ? o->end
					   : o->recurrence_id;
		return;
	case F_CATEGORIES:
	case F_ATTENDEES:
	case F_ATTENDEE_EMAILS:
		v->type = VT_LIST;
		v->list = r->field;
		return;
	case F_UID:
		text_value(v, o->uid);
		return;
	case F_SUMMARY:
		text_value(v, o->summary);
		return;
	case F_DESCRIPTION:
		text_value(v, o->description);
		return;
	case F_LOCATION:
		text_value(v, o->location);
		return;
	case F_URL:
		text_value(v, o->url);
		return;
	case F_CONFERENCE_URL:
		text_value(v, o->conference_url);
		return;
	case F_STATUS:
		text_value(v, o->status ? o->status : "CONFIRMED");
		return;
	case F_CLASS:
		text_value(v, o->class_ ? o->class_ : "PUBLIC");
		return;
	case F_TRANSP:
		text_value(v, o->transp ? o->transp : "OPAQUE");
		return;
	case F_BUSY_STATUS:
		text_value(v, o->busy_status);
		return;
	case F_CALENDAR_NAME:
		text_value(v, o->calendar_name);
		return;
	case F_TZ:
		text_value(v, o->tz);
		return;
	case F_ORGANIZER_EMAIL:
		text_value(v, o->organizer.email);
		return;
	case F_ORGANIZER_NAME:
		text_value(v, o->organizer.name);
		return;
	case F_ORGANIZER_OWNER_ID:
		text_value(v, NULL); /* resolved after mapping */
		return;
	case F_KEY:
		text_value(v, env->key);
		return;
	case F_X:
		text_value(v, occurrence_x(o, r->xname));
		return;
	case F_ALL_DAY:
		text_value(v, o->all_day ? "true" : "false");
		return;
	case F_ORGANIZER:
	case F_DURATION_MINUTES:
	case F_SEQUENCE:
	case F_SOURCE:
		break;
	}
	sb = scratch_other(env, avoid, -1, &idx);
	if (r->field == F_ORGANIZER)
		name_addr(sb, &o->organizer);
	else if (r->field == F_DURATION_MINUTES)
		sbuf_addf(sb, "%" PRId64, (o->end - o->start) / 60);
	else if (r->field == F_SEQUENCE)
		sbuf_addf(sb, "%d", o->sequence);
	else
		sbuf_addf(sb, "%s:%d", o->file ? o->file : (o->source ? o->source : "?"), o->line);
	text_from_buf(v, env, idx);
}

static bool value_empty(const struct template_env *env, const struct value *v)
{
	switch (v->type) {
	case VT_TEXT:
		return !v->len;
	case VT_TIME:
		return !v->has_time;
	case VT_LIST:
		return list_count(env->occ, v->list) == 0;
	}
	return true;
}

/* Turn v into text (times as ISO-8601 UTC, lists joined with ", "). */
static void to_text(struct template_env *env, struct value *v)
{
	struct sbuf *sb;
	int idx;

	if (v->type == VT_TEXT)
		return;
	sb = scratch_other(env, v->buf, -1, &idx);
	if (v->type == VT_TIME) {
		if (v->has_time) {
			/* start and end are formatted several times per occurrence: cache */
			int slot = v->t == env->time_t_[0] && env->time_ok[0]	? 0
				   : v->t == env->time_t_[1] && env->time_ok[1] ? 1
										: -1;

			if (slot < 0) {
				slot = env->time_next;
				env->time_next ^= 1;
				env->time_t_[slot] = v->t;
				env->time_ok[slot] = true;
				time_format_utc(v->t, env->time_buf[slot],
						sizeof(env->time_buf[slot]));
			}
			sbuf_add(sb, env->time_buf[slot], 20);
		}
	} else {
		list_join(env->occ, v->list, v->list_flags, ", ", 2, sb);
	}
	text_from_buf(v, env, idx);
}

static bool is_hspace(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Emitter that collapses white space (for the `text` filter). */
struct collapse {
	struct sbuf *out;
	bool space;
	int newlines;
};

static void collapse_add(struct collapse *c, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (is_hspace(ch)) {
			c->space = true;
			continue;
		}
		if (ch == '\n') {
			if (c->newlines < 2)
				c->newlines++;
			continue;
		}
		if (c->out->len) {
			if (c->newlines)
				sbuf_add(c->out, "\n\n", (size_t)c->newlines);
			else if (c->space)
				sbuf_addc(c->out, ' ');
		}
		c->space = false;
		c->newlines = 0;
		sbuf_addc(c->out, (char)ch);
	}
}

static void put_utf8(struct collapse *c, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp == 0xa0) {
		c->space = true;
		return;
	}
	if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	collapse_add(c, b, n);
}

/* Tags that end a line of text. */
static bool tag_breaks(const char *tag, size_t len)
{
	static const char *const names[] = {"br", "p",	"div", "li", "tr", "h1",    "h2", "h3",
					    "h4", "h5", "h6",  "ul", "ol", "table", "hr"};
	size_t n = 0;

	if (len && tag[0] == '/') {
		tag++;
		len--;
	}
	while (n < len && isalnum((unsigned char)tag[n]))
		n++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncasecmp(tag, names[i], n))
			return true;
	return false;
}

/* "<name ...>", "</name>", "<!-- ... -->": something that looks like an HTML tag. */
static bool is_tag(const char *s, size_t len)
{
	size_t i = 1;

	if (len > 1 && s[1] == '!')
		return true;
	if (i < len && s[i] == '/')
		i++;
	if (i >= len || !isalpha((unsigned char)s[i]))
		return false;
	while (i < len && isalnum((unsigned char)s[i]))
		i++;
	return i < len && (s[i] == '>' || s[i] == '/' || isspace((unsigned char)s[i]));
}

/* `text`: strip tags, decode entities, collapse white space. */
static void html_to_text(const char *s, size_t len, struct sbuf *out)
{
	struct collapse c = {out, false, 0};
	static const struct {
		const char *name;
		unsigned long cp;
	} entities[] = {{"amp", '&'},	    {"lt", '<'},       {"gt", '>'},	  {"quot", '"'},
			{"apos", '\''},	    {"nbsp", 0xa0},    {"ndash", 0x2013}, {"mdash", 0x2014},
			{"hellip", 0x2026}, {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"ldquo", 0x201c},
			{"rdquo", 0x201d}};

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<' && is_tag(s + i, len - i)) {
			const char *gt = memchr(s + i, '>', len - i);

			if (gt) {
				size_t tl = (size_t)(gt - s) - i - 1;

				if (tag_breaks(s + i + 1, tl))
					collapse_add(&c, "\n", 1);
				i = (size_t)(gt - s);
				continue;
			}
		}
		if (s[i] == '&') {
			const char *semi = memchr(s + i, ';', len - i < 12 ? len - i : 12);

			if (semi) {
				const char *ent = s + i + 1;
				size_t el = (size_t)(semi - ent);
				bool done = false;

				if (el > 1 && ent[0] == '#') {
					char *end;
					unsigned long cp = (ent[1] == 'x' || ent[1] == 'X')
								   ? strtoul(ent + 2, &end, 16)
								   : strtoul(ent + 1, &end, 10);

					if (end == semi) {
						put_utf8(&c, cp);
						done = true;
					}
				} else {
					for (size_t k = 0;
					     k < sizeof(entities) / sizeof(entities[0]); k++) {
						if (strlen(entities[k].name) == el &&
						    !strncmp(ent, entities[k].name, el)) {
							put_utf8(&c, entities[k].cp);
							done = true;
							break;
						}
					}
				}
				if (done) {
					i = (size_t)(semi - s);
					continue;
				}
			}
		}
		collapse_add(&c, s + i, 1);
	}
}

static void apply_filter(struct template_env *env, const struct filter_call *fc, struct value *v)
{
	struct sbuf *sb;
	int idx;

	switch (fc->filter) {
	case FL_DEFAULT:
		if (!value_empty(env, v))
			return;
		if (fc->arg == ARG_FIELD)
			eval_ref(env, &fc->ref, v, -1);
		else
			text_value(v, fc->str);
		return;
	case FL_JOIN:
		if (v->type != VT_LIST) {
			to_text(env, v);
			return;
		}
		sb = scratch_other(env, -1, -1, &idx);
		if (fc->arg == ARG_STR)
			list_join(env->occ, v->list, v->list_flags, fc->str, fc->len, sb);
		else
			list_join(env->occ, v->list, v->list_flags, ", ", 2, sb);
		text_from_buf(v, env, idx);
		return;
	case FL_LOWER:
	case FL_UPPER:
	case FL_TRIM:
		if (v->type == VT_LIST) {
			v->list_flags |= fc->filter == FL_LOWER	  ? LF_LOWER
					 : fc->filter == FL_UPPER ? LF_UPPER
								  : LF_TRIM;
			if (fc->filter == FL_LOWER)
				v->list_flags &= ~LF_UPPER;
			if (fc->filter == FL_UPPER)
				v->list_flags &= ~LF_LOWER;
			return;
		}
		to_text(env, v);
		if (fc->filter == FL_TRIM) {
			while (v->len && isspace((unsigned char)v->s[0])) {
				v->s++;
				v->len--;
			}
			while (v->len && isspace((unsigned char)v->s[v->len - 1]))
				v->len--;
			return;
		}
		sb = scratch_other(env, v->buf, -1, &idx);
		sbuf_add(sb, v->s, v->len);
		item_transform(sb, 0, fc->filter == FL_LOWER ? LF_LOWER : LF_UPPER);
		text_from_buf(v, env, idx);
		return;
	case FL_EPOCH_MS:
	case FL_DATE: {
		int64_t t = 0;
		bool ok = false;
		char buf[256];

		if (v->type == VT_TIME) {
			ok = v->has_time;
			t = v->t;
		} else {
			to_text(env, v);
			if (v->len && v->len < 64) {
				memcpy(buf, v->s, v->len);
				buf[v->len] = '\0';
				ok = time_parse_utc(buf, &t) == 0;
			}
		}
		sb = scratch_other(env, v->buf, -1, &idx);
		if (ok && fc->filter == FL_EPOCH_MS) {
			sbuf_addf(sb, "%" PRId64 "000", t);
		} else if (ok) {
			time_t tt = (time_t)t;
			struct tm tm;
			size_t n;

			gmtime_r(&tt, &tm);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			/* the format is the user's, checked for non-emptiness at load */
			n = strftime(buf, sizeof(buf), fc->str, &tm);
#pragma GCC diagnostic pop
			sbuf_add(sb, buf, n);
		}
		text_from_buf(v, env, idx);
		return;
	}
	case FL_HTML:
	case FL_TEXT:
	case FL_TRUNCATE:
		break;
	case FL_COUNT:
		BUG("bad filter");
	}
	to_text(env, v);
	if (fc->filter == FL_TRUNCATE) {
		v->len = text_prefix_len(v->s, v->len, (size_t)fc->num);
		return;
	}
	sb = scratch_other(env, v->buf, -1, &idx);
	if (fc->filter == FL_HTML)
		text_html_escape(sb, v->s, v->len);
	else
		html_to_text(v->s, v->len, sb);
	text_from_buf(v, env, idx);
}

void template_render(const struct template *t, struct template_env *env, unsigned flags,
		     struct sbuf *out)
{
	for (size_t i = 0; i < t->nparts; i++) {
		const struct part *p = &t->parts[i];
		struct value v;

		if (!p->expr) {
			sbuf_add(out, p->lit, p->len);
			continue;
		}
		eval_ref(env, &p->expr->ref, &v, -1);
		for (size_t k = 0; k < p->expr->nfilters; k++)
			apply_filter(env, &p->expr->filters[k], &v);
		to_text(env, &v);
		if (!v.len)
			continue;
		if ((flags & TEMPLATE_AUTOESCAPE) && !p->expr->has_html)
			text_html_escape(out, v.s, v.len);
		else
			sbuf_add(out, v.s, v.len);
	}
}
