/* t-template: the template engine — every field, every filter, every compile error. */
#include "template.h"
#include "test.h"

#include <stdlib.h>

static void set_attendee(struct attendee *a, const char *email, const char *name,
			 const char *partstat, const char *cutype)
{
	a->email = xstrdup(email);
	a->name = xstrdup(name);
	a->partstat = xstrdup(partstat);
	a->role = xstrdup("REQ-PARTICIPANT");
	a->cutype = xstrdup(cutype);
}

/* 2024-03-01 09:30 - 10:15 UTC, an instance of a series, two attendees. */
static void fixture(struct occurrence *o)
{
	memset(o, 0, sizeof(*o));
	o->uid = xstrdup("abc@example.com");
	o->has_recurrence_id = true;
	o->recurrence_id = 1709285400; /* 2024-03-01T09:30:00Z */
	o->start = 1709285400;
	o->end = 1709285400 + 45 * 60;
	o->tz = xstrdup("Europe/Paris");
	o->summary = xstrdup("  Weekly Sync <R&D>  ");
	o->description = xstrdup("Line 1\nLine \"2\"");
	o->location = xstrdup("Room 4");
	o->url = NULL;
	o->conference_url = xstrdup("https://meet.example/xyz");
	o->status = xstrdup("TENTATIVE");
	o->class_ = xstrdup("PUBLIC");
	o->transp = xstrdup("OPAQUE");
	o->busy_status = xstrdup("BUSY");
	o->categories = xstrdup("Client, Sales ,,Q1");
	o->sequence = 3;
	o->calendar_name = xstrdup("Work");
	set_attendee(&o->organizer, "alice@corp.example", "Alice A", NULL, NULL);
	o->nattendees = 3;
	o->attendees = xcalloc(3, sizeof(*o->attendees));
	set_attendee(&o->attendees[0], "bob@client.example", "Bob B", "ACCEPTED", "INDIVIDUAL");
	set_attendee(&o->attendees[1], "carol@client.example", NULL, "DECLINED", "INDIVIDUAL");
	set_attendee(&o->attendees[2], NULL, "Projector", NULL, "RESOURCE");
	o->nx = 1;
	o->x = xcalloc(1, sizeof(*o->x));
	o->x[0].name = xstrdup("X-MICROSOFT-CDO-IMPORTANCE");
	o->x[0].value = xstrdup("2");
	o->source = xstrdup("cal.ics");
	o->file = xstrdup("cal.ics");
	o->line = 42;
}

static struct occurrence occ;
static struct template_env env;
static struct sbuf render_out = SBUF_INIT;

/* Render `text` against the fixture; returns a static buffer. */
static const char *render_flags(const char *text, unsigned flags)
{
	struct sbuf *out = &render_out;
	struct template_error err;
	struct template *t = template_compile(text, TEMPLATE_TEXT, &err);

	if (!t) {
		fprintf(stderr, "compile '%s' failed at %zu: %s\n", text, err.offset, err.message);
		free(err.message);
		return "(compile error)";
	}
	if (!out->buf)
		sbuf_init(out);
	sbuf_reset(out);
	template_render(t, &env, flags, out);
	template_free(t);
	return out->buf;
}

static const char *render(const char *text)
{
	return render_flags(text, 0);
}

/* The compile error of `text` as "OFFSET: message" (static buffer), or "ok". */
static const char *compile_error(const char *text, enum template_mode mode)
{
	static char buf[512];
	struct template_error err;
	struct template *t = template_compile(text, mode, &err);

	if (t) {
		template_free(t);
		return "ok";
	}
	snprintf(buf, sizeof(buf), "%zu: %s", err.offset, err.message);
	free(err.message);
	return buf;
}

static void test_fields(void)
{
	CHECK_STR(render("{{ uid }}"), "abc@example.com");
	CHECK_STR(render("{{recurrence_id}}"), "2024-03-01T09:30:00Z");
	CHECK_STR(render("{{ start }}/{{ end }}"), "2024-03-01T09:30:00Z/2024-03-01T10:15:00Z");
	CHECK_STR(render("{{ all_day }}"), "false");
	CHECK_STR(render("{{ duration_minutes }}"), "45");
	CHECK_STR(render("{{ summary }}"), "  Weekly Sync <R&D>  ");
	CHECK_STR(render("{{ description }}"), "Line 1\nLine \"2\"");
	CHECK_STR(render("{{ location }}"), "Room 4");
	CHECK_STR(render("[{{ url }}]"), "[]");
	CHECK_STR(render("{{ conference_url }}"), "https://meet.example/xyz");
	CHECK_STR(render("{{ status }}"), "TENTATIVE");
	CHECK_STR(render("{{ class }}"), "PUBLIC");
	CHECK_STR(render("{{ transp }}"), "OPAQUE");
	CHECK_STR(render("{{ busy_status }}"), "BUSY");
	CHECK_STR(render("{{ categories }}"), "Client, Sales, Q1");
	CHECK_STR(render("{{ sequence }}"), "3");
	CHECK_STR(render("{{ calendar_name }}"), "Work");
	CHECK_STR(render("{{ tz }}"), "Europe/Paris");
	CHECK_STR(render("{{ organizer }}"), "Alice A <alice@corp.example>");
	CHECK_STR(render("{{ organizer.email }}"), "alice@corp.example");
	CHECK_STR(render("{{ organizer.name }}"), "Alice A");
	CHECK_STR(render("{{ organizer.owner_id }}"), "");
	CHECK_STR(render("{{ attendees }}"),
		  "Bob B <bob@client.example>, carol@client.example, Projector");
	CHECK_STR(render("{{ attendee_emails }}"), "bob@client.example, carol@client.example");
	CHECK_STR(render("{{ x['X-MICROSOFT-CDO-IMPORTANCE'] }}"), "2");
	CHECK_STR(render("{{ x[\"x-microsoft-cdo-importance\"] }}"), "2");
	CHECK_STR(render("[{{ x['X-NONE'] }}]"), "[]");
	CHECK_STR(render("{{ source }}"), "cal.ics:42");
	CHECK_STR(render("{{ key }}"), "abc@example.com#20240301T093000Z");
	CHECK_STR(render("no expression"), "no expression");
	CHECK_STR(render(""), "");
	CHECK_STR(render("a {{ location }} b {{ sequence }} c"), "a Room 4 b 3 c");
}

static void test_defaults_when_absent(void)
{
	struct occurrence o = {0};

	o.uid = xstrdup("u1");
	o.start = 19783 * 86400LL; /* 2024-03-01 */
	o.end = o.start + 86400;
	o.all_day = true;
	env.occ = &o;
	env.key = "u1";
	CHECK_STR(render("{{ start }}"), "2024-03-01T00:00:00Z");
	CHECK_STR(render("{{ all_day }}"), "true");
	CHECK_STR(render("{{ duration_minutes }}"), "1440");
	CHECK_STR(render("{{ status }}|{{ class }}|{{ transp }}"), "CONFIRMED|PUBLIC|OPAQUE");
	CHECK_STR(render("[{{ recurrence_id }}]"), "[]");
	CHECK_STR(render("{{ recurrence_id | default('none') }}"), "none");
	CHECK_STR(render("[{{ organizer }}][{{ attendees }}][{{ categories }}]"), "[][][]");
	CHECK_STR(render("{{ attendees | default('nobody') }}"), "nobody");
	CHECK_STR(render("{{ summary | default('(no title)') | truncate(4) }}"), "(no ");
	CHECK_STR(render("{{ source }}"), "?:0");
	occurrence_release(&o);
	env.occ = &occ;
	env.key = "abc@example.com#20240301T093000Z";
}

static void test_filters(void)
{
	/* default: literal, number, or another field */
	CHECK_STR(render("{{ url | default('none') }}"), "none");
	CHECK_STR(render("{{ url | default(conference_url) }}"), "https://meet.example/xyz");
	CHECK_STR(render("{{ url | default(7) }}"), "7");
	CHECK_STR(render("{{ location | default('x') }}"), "Room 4");
	CHECK_STR(render("{{ url | default(attendee_emails) | join(';') }}"),
		  "bob@client.example;carol@client.example");
	CHECK_STR(render("{{ url | default(duration_minutes) }}"), "45");
	/* html */
	CHECK_STR(render("{{ summary | html }}"), "  Weekly Sync &lt;R&amp;D&gt;  ");
	CHECK_STR(render("{{ description | html }}"), "Line 1<br>Line &quot;2&quot;");
	CHECK_STR(render("{{ x['X-MICROSOFT-CDO-IMPORTANCE'] | html }}"), "2");
	/* text */
	CHECK_STR(render("{{ summary | text }}"), "Weekly Sync <R&D>");
	/* trim, lower, upper */
	CHECK_STR(render("[{{ summary | trim }}]"), "[Weekly Sync <R&D>]");
	CHECK_STR(render("{{ summary | trim | lower }}"), "weekly sync <r&d>");
	CHECK_STR(render("{{ summary | trim | upper }}"), "WEEKLY SYNC <R&D>");
	CHECK_STR(render("{{ categories | lower | join(';') }}"), "client;sales;q1");
	CHECK_STR(render("{{ attendees | upper | join('|') }}"),
		  "BOB B <BOB@CLIENT.EXAMPLE>|CAROL@CLIENT.EXAMPLE|PROJECTOR");
	CHECK_STR(render("{{ categories | upper }}"), "CLIENT, SALES, Q1");
	/* truncate counts characters, never splits UTF-8 */
	CHECK_STR(render("{{ summary | trim | truncate(6) }}"), "Weekly");
	CHECK_STR(render("{{ location | truncate(100) }}"), "Room 4");
	CHECK_STR(render("{{ attendees | truncate(5) }}"), "Bob B");
	/* epoch_ms, date */
	CHECK_STR(render("{{ start | epoch_ms }}"), "1709285400000");
	CHECK_STR(render("{{ end | date('%Y-%m-%d %H:%M') }}"), "2024-03-01 10:15");
	CHECK_STR(render("{{ start | date('%A') }}"), "Friday");
	CHECK_STR(render("{{ x['X-MICROSOFT-CDO-IMPORTANCE'] | epoch_ms }}"), "");
	CHECK_STR(render("[{{ url | date('%Y') }}]"), "[]");
	/* join */
	CHECK_STR(render("{{ attendees | join(', ') }}"),
		  "Bob B <bob@client.example>, carol@client.example, Projector");
	CHECK_STR(render("{{ attendee_emails | join }}"),
		  "bob@client.example, carol@client.example");
	CHECK_STR(render("{{ categories | join(';') }}"), "Client;Sales;Q1");
	CHECK_STR(render("{{ categories | trim | join('/') }}"), "Client/Sales/Q1");
	/* string escapes inside arguments */
	CHECK_STR(render("{{ url | default('it\\'s') }}"), "it's");
	CHECK_STR(render("{{ url | default(\"a}}b\") }}"), "a}}b");
	/* chains on a time turn it into text first */
	CHECK_STR(render("{{ start | lower }}"), "2024-03-01t09:30:00z");
	CHECK_STR(render("{{ start | truncate(10) }}"), "2024-03-01");
}

static void test_text_filter(void)
{
	struct occurrence o = {0};

	o.uid = xstrdup("u");
	o.description = xstrdup(
		"<p>Hello&nbsp;<b>world</b></p>\n\n\n<div>a &amp; b &lt;c&gt; &#233;&#x4E2D;</div>  x "
		"<br/>y &bogus; 1 < 2");
	env.occ = &o;
	CHECK_STR(render("{{ description | text }}"),
		  "Hello world\n\na & b <c> \xc3\xa9\xe4\xb8\xad\nx\ny &bogus; 1 < 2");
	CHECK_STR(
		render("{{ description | text | html }}"),
		"Hello world<br><br>a &amp; b &lt;c&gt; \xc3\xa9\xe4\xb8\xad<br>x<br>y &amp;bogus; 1 &lt; 2");
	occurrence_release(&o);
	env.occ = &occ;
}

static void test_autoescape(void)
{
	/* literal text is the user's HTML; expressions are escaped unless they use html */
	CHECK_STR(render_flags("<p>{{ summary | trim }}</p>", TEMPLATE_AUTOESCAPE),
		  "<p>Weekly Sync &lt;R&amp;D&gt;</p>");
	CHECK_STR(render_flags("<p>{{ description | html }}</p>", TEMPLATE_AUTOESCAPE),
		  "<p>Line 1<br>Line &quot;2&quot;</p>");
	CHECK_STR(render_flags("{{ description }}", TEMPLATE_AUTOESCAPE),
		  "Line 1<br>Line &quot;2&quot;");
}

static void test_utf8(void)
{
	/* "é" is 2 bytes, "😀" is 4 bytes and counts 2 (UTF-16 units, as HubSpot counts) */
	const char *s = "a\xc3\xa9\xf0\x9f\x98\x80z";

	CHECK_INT(text_prefix_len(s, strlen(s), 0), 0);
	CHECK_INT(text_prefix_len(s, strlen(s), 1), 1);
	CHECK_INT(text_prefix_len(s, strlen(s), 2), 3);
	CHECK_INT(text_prefix_len(s, strlen(s), 3), 3); /* would split the emoji's pair */
	CHECK_INT(text_prefix_len(s, strlen(s), 4), 7);
	CHECK_INT(text_prefix_len(s, strlen(s), 5), 8);
	CHECK_INT(text_prefix_len(s, strlen(s), 99), 8);
	CHECK_INT(text_prefix_len(s, 2, 99), 1); /* a cut sequence at the end is dropped */
}

static void test_helpers(void)
{
	const char *const names[] = {"truncate", "trim", "text", "default", NULL};

	CHECK_INT(text_edit_distance("kitten", "sitting"), 3);
	CHECK_INT(text_edit_distance("", "abc"), 3);
	CHECK_INT(text_edit_distance("same", "SAME"), 0);
	CHECK_STR(text_suggest("trunc", names, 4), "truncate");
	CHECK_STR(text_suggest("defualt", names, 4), "default");
	CHECK_STR(text_suggest("zzzzzzzz", names, 4), NULL);
	CHECK(template_field_names[0] != NULL);
	CHECK_STR(template_filter_names[0], "default");
}

static void test_owner_id(void)
{
	struct template_error err;
	struct template *t = template_compile("{{ organizer.owner_id }}", TEMPLATE_TEXT, &err);
	const char *lit = NULL;

	CHECK(t && template_is_owner_id(t));
	CHECK(t && !template_is_literal(t, &lit));
	template_free(t);
	t = template_compile("SCHEDULED", TEMPLATE_TEXT, &err);
	CHECK(t && !template_is_owner_id(t) && template_is_literal(t, &lit));
	CHECK_STR(lit, "SCHEDULED");
	CHECK_STR(t ? template_text(t) : NULL, "SCHEDULED");
	template_free(t);
	t = template_compile("summary | lower", TEMPLATE_EXPR, &err);
	CHECK(t != NULL);
	if (t) {
		struct sbuf sb = SBUF_INIT;

		sbuf_init(&sb);
		template_render(t, &env, 0, &sb);
		CHECK_STR(sb.buf, "  weekly sync <r&d>  ");
		sbuf_release(&sb);
	}
	template_free(t);
}

static void test_errors(void)
{
	CHECK_STR(compile_error("{{ sumary }}", TEMPLATE_TEXT),
		  "3: unknown field 'sumary' (did you mean 'summary'?)");
	CHECK_STR(compile_error("x {{ zzzzqqq }}", TEMPLATE_TEXT), "5: unknown field 'zzzzqqq'");
	CHECK_STR(compile_error("{{ summary | trunc(3) }}", TEMPLATE_TEXT),
		  "13: unknown filter 'trunc' (did you mean 'truncate'?)");
	CHECK_STR(compile_error("{{ summary | qqqqqq }}", TEMPLATE_TEXT),
		  "13: unknown filter 'qqqqqq'");
	CHECK_STR(compile_error("ab {{ summary", TEMPLATE_TEXT),
		  "3: unclosed '{{' (expected '}}')");
	CHECK_STR(compile_error("{{ }}", TEMPLATE_TEXT), "3: expected a field name");
	CHECK_STR(compile_error("{{ summary location }}", TEMPLATE_TEXT),
		  "11: expected '|' or '}}'");
	CHECK_STR(compile_error("summary location", TEMPLATE_EXPR),
		  "8: expected '|' or the end of the expression");
	CHECK_STR(compile_error("{{ summary | }}", TEMPLATE_TEXT),
		  "13: expected a filter name after '|'");
	CHECK_STR(compile_error("{{ summary | truncate }}", TEMPLATE_TEXT),
		  "13: filter 'truncate' needs a number of characters above 0, e.g. truncate(255)");
	CHECK_STR(compile_error("{{ summary | truncate('x') }}", TEMPLATE_TEXT),
		  "13: filter 'truncate' needs a number of characters above 0, e.g. truncate(255)");
	CHECK_STR(compile_error("{{ summary | truncate(0) }}", TEMPLATE_TEXT),
		  "13: filter 'truncate' needs a number of characters above 0, e.g. truncate(255)");
	CHECK_STR(compile_error("{{ start | date }}", TEMPLATE_TEXT),
		  "11: filter 'date' needs a strftime format, e.g. date('%Y-%m-%d')");
	CHECK_STR(compile_error("{{ attendees | date('%Y') }}", TEMPLATE_TEXT),
		  "15: filter 'date' needs a time (start, end, recurrence_id), not a list");
	CHECK_STR(compile_error("{{ attendees | epoch_ms }}", TEMPLATE_TEXT),
		  "15: filter 'epoch_ms' needs a time (start, end, recurrence_id), not a list");
	CHECK_STR(
		compile_error("{{ summary | default }}", TEMPLATE_TEXT),
		"13: filter 'default' needs an argument: a quoted string or a field, e.g. default('(no title)')");
	CHECK_STR(compile_error("{{ summary | lower(1) }}", TEMPLATE_TEXT),
		  "13: filter 'lower' takes no argument");
	CHECK_STR(
		compile_error("{{ summary | join(', ') }}", TEMPLATE_TEXT),
		"13: filter 'join' needs a list (attendees, attendee_emails, categories), not text");
	CHECK_STR(compile_error("{{ attendees | join(3) }}", TEMPLATE_TEXT),
		  "15: filter 'join' takes a quoted separator, e.g. join(', ')");
	CHECK_STR(compile_error("{{ summary | default('x' }}", TEMPLATE_TEXT),
		  "25: expected ')' after the argument of 'default'");
	CHECK_STR(compile_error("{{ summary | default('x) }}", TEMPLATE_TEXT),
		  "21: unterminated string (expected ')");
	CHECK_STR(compile_error("{{ summary | default(,) }}", TEMPLATE_TEXT),
		  "21: expected an argument for 'default': a quoted string, a number or a field");
	CHECK_STR(compile_error("{{ summary | default(locaton) }}", TEMPLATE_TEXT),
		  "21: unknown field 'locaton' (did you mean 'location'?)");
	CHECK_STR(compile_error("{{ x[X-FOO] }}", TEMPLATE_TEXT),
		  "5: expected a quoted property name, e.g. x['X-MICROSOFT-CDO-IMPORTANCE']");
	CHECK_STR(compile_error("{{ x['X-FOO' }}", TEMPLATE_TEXT),
		  "13: expected ']' after x['X-FOO'");
	CHECK_STR(compile_error("{{ x }}", TEMPLATE_TEXT),
		  "3: field 'x' needs a property name, e.g. x['X-MICROSOFT-CDO-IMPORTANCE']");
	CHECK_STR(compile_error("{{ x[''] }}", TEMPLATE_TEXT), "3: empty property name in x['']");
	CHECK_STR(
		compile_error("id: {{ organizer.owner_id }}", TEMPLATE_TEXT),
		"4: organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\"");
	CHECK_STR(
		compile_error("{{ organizer.owner_id | lower }}", TEMPLATE_TEXT),
		"0: organizer.owner_id is looked up after mapping: it takes no filter and must be the whole value, \"{{ organizer.owner_id }}\"");
	CHECK_STR(
		compile_error("{{ summary | default(organizer.owner_id) }}", TEMPLATE_TEXT),
		"0: organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\"");
	CHECK_STR(compile_error("", TEMPLATE_EXPR), "0: expected a field name");
	CHECK_STR(compile_error("no braces }} here", TEMPLATE_TEXT), "ok");
}

int main(void)
{
	fixture(&occ);
	template_env_init(&env);
	env.occ = &occ;
	env.key = "abc@example.com#20240301T093000Z";
	test_fields();
	test_defaults_when_absent();
	test_filters();
	test_text_filter();
	test_autoescape();
	test_utf8();
	test_helpers();
	test_owner_id();
	test_errors();
	template_env_release(&env);
	occurrence_release(&occ);
	sbuf_release(&render_out);
	return TEST_DONE();
}
