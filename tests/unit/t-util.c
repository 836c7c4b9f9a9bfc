/* Unit tests for importer/util.c */
#include "test.h"
#include "util.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

static void test_times(void)
{
	static const struct {
		const char *in;
		const char *out;
	} table[] = {
		{"2024-03-01", "2024-03-01T00:00:00Z"},
		{"2024-03-01T09:30", "2024-03-01T09:30:00Z"},
		{"2024-03-01T09:30:15Z", "2024-03-01T09:30:15Z"},
		{"20240301T093015Z", "2024-03-01T09:30:15Z"},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
		{"2000-02-29", "2000-02-29T00:00:00Z"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int64_t t;

		CHECK_INT(time_parse_utc(table[i].in, &t), 0);
		time_format_utc(t, buf, sizeof(buf));
		CHECK_STR(buf, table[i].out);
	}
	/* the digit writer says what snprintf says, across years 0..9999 and outside */
	for (int64_t t = -62200000000LL; t < 253500000000LL; t += 86399LL * 37 + 4321) {
		char want[64], date[64];
		int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
		int64_t secs = t - days * 86400;
		int y;
		unsigned m, d;

		civil_from_days(days, &y, &m, &d);
		snprintf(want, sizeof(want), "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d,
			 (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
			 (unsigned)(secs % 60));
		time_format_utc(t, buf, sizeof(buf));
		if (strcmp(buf, want)) {
			CHECK_STR(buf, want);
			break;
		}
		snprintf(want, sizeof(want), "%04d-%02u-%02u", y, m, d);
		time_format_date(t, date, sizeof(date));
		if (strcmp(date, want)) {
			CHECK_STR(date, want);
			break;
		}
	}
	time_format_utc(0, buf, 8); /* a short buffer is cut, as snprintf cuts */
	CHECK_STR(buf, "1970-01");
	{
		int64_t t;

		CHECK_INT(time_parse_utc("2024-13-01", &t), -1);
		CHECK_INT(time_parse_utc("yesterday", &t), -1);
		CHECK_INT(time_parse_utc("2024-02-30", &t), -1);
		CHECK_INT(time_parse_utc("2023-02-29", &t), -1);
		CHECK_INT(time_parse_utc("1900-02-29", &t), -1);
		CHECK_INT(time_parse_utc("2024-04-31", &t), -1);
		CHECK_INT(time_parse_utc("2024-02-29", &t), 0);
		CHECK_INT(time_parse_utc("2024-03-01T09:30:00+01:00", &t), -1);
	}
}

static void test_format_long(void)
{
	static const long table[] = {0,	   1,	      -1,      9,	10,	  99,	   100,
				     -100, 123456789, INT_MAX, INT_MIN, LONG_MAX, LONG_MIN};
	char buf[24], want[32];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(want, sizeof(want), "%ld", table[i]);
		CHECK_INT((long)format_long(table[i], buf), (long)strlen(want));
		CHECK_STR(buf, want);
	}
}

static void test_email(void)
{
	char *e = email_normalize("  MAILTO:John.Doe@Example.COM ");

	CHECK_STR(e, "john.doe@example.com");
	CHECK_STR(email_domain(e), "example.com");
	free(e);
	CHECK(email_normalize("mailto:") == NULL);
	CHECK(email_normalize("not-an-address") == NULL);
}

static void test_redact(void)
{
	char *r =
		source_redact("https://user:pw@calendar.google.com/calendar/ical/secret/basic.ics");

	CHECK(!strncmp(r, "https://calendar.google.com/…#",
		       strlen("https://calendar.google.com/…#")));
	CHECK(strlen(r) == strlen("https://calendar.google.com/…#") + 4);
	{
		/* Two feeds of one host are told apart by the hash of the whole URL. */
		char *o =
			source_redact("https://calendar.google.com/calendar/ical/other/basic.ics");

		CHECK(strcmp(r, o) != 0);
		free(o);
	}
	free(r);
	r = source_redact("webcal://example.com");
	CHECK_STR(r, "webcal://example.com");
	free(r);
	r = source_redact("samples/google.ics");
	CHECK_STR(r, "samples/google.ics");
	free(r);
	/* an unencoded '@' in the password: the host is after the last one */
	r = source_redact("https://u:p@ss@example.com");
	CHECK_STR(r, "https://example.com");
	free(r);
	r = source_redact("https://example.com?token=abc");
	CHECK(!strncmp(r, "https://example.com/…#", strlen("https://example.com/…#")));
	CHECK(!strstr(r, "abc"));
	free(r);
}

/* Issue 27 item 6: the API base and libcurl's trace lines without secrets. */
static void test_redact_text(void)
{
	static const struct {
		const char *in;
		bool keep_path;
		const char *out; /* NULL: only check that "secret" is gone */
	} cases[] = {
		{"* Connected to h (127.0.0.1) port 80 (#0)", false,
		 "* Connected to h (127.0.0.1) port 80 (#0)"},
		{"* Server auth using Basic with user 'secret'", false,
		 "* Server auth using Basic with user '<redacted>'"},
		{"* Issue another request to this URL: 'http://h/secret?t=secret'", false, NULL},
		{"* Issue another request to this URL: 'http://h/cal.ics?t=secret'", true,
		 "* Issue another request to this URL: 'http://h/cal.ics?…'"},
		{"go to https://me:secret@h:8/x", true, "go to https://h:8/x"},
		{"xhttps://secret@h/secret", false, NULL},
		{"webcal:///secret", false, NULL},
		{"no url: http:/x and :// and h://", false, "no url: http:/x and :// and h://"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = text_redact_urls(cases[i].in, strlen(cases[i].in), cases[i].keep_path);

		if (cases[i].out)
			CHECK_STR(r, cases[i].out);
		if (!r || strstr(r, "secret"))
			fprintf(stderr, "case %zu: %s\n", i, r ? r : "(null)");
		CHECK(r && !strstr(r, "secret"));
		free(r);
	}
	{
		/* bytes past len are not read; an embedded NUL ends a URL */
		char *r = text_redact_urls("a http://h/secret\0tail", 23, false);

		CHECK(!strstr(r, "secret"));
		free(r);
	}
	{
		char *r =
			url_redact_credentials("https://user:secret@api.example.com/base?k=secret");

		CHECK_STR(r, "https://api.example.com/base?…");
		free(r);
		r = url_redact_credentials("http://127.0.0.1:8080");
		CHECK_STR(r, "http://127.0.0.1:8080");
		free(r);
		r = url_redact_credentials("not a url");
		CHECK_STR(r, "not a url");
		free(r);
	}
}

static void test_utf8(void)
{
	char *out;

	CHECK(utf8_sanitize("caf\xc3\xa9", &out));
	CHECK_STR(out, "caf\xc3\xa9");
	free(out);
	CHECK(!utf8_sanitize("caf\xe9!", &out));
	CHECK_STR(out, "caf\xef\xbf\xbd!");
	free(out);
}

static void test_sbuf(void)
{
	struct sbuf sb = SBUF_INIT;
	char *s;

	for (int i = 0; i < 1000; i++)
		sbuf_addf(&sb, "%d,", i);
	CHECK(sb.len > 3000);
	s = sbuf_detach(&sb);
	CHECK(!strncmp(s, "0,1,2,", 6));
	free(s);
	CHECK(sb.buf == NULL);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	if (file_read_all(path, &text, NULL))
		return NULL;
	return text;
}

/* Files are created O_EXCL in the target's directory: a planted symlink is never followed. */
static void test_private_files(void)
{
	char dir[] = "/tmp/t-util.XXXXXX";
	char *path, *victim, *planted, *text;
	struct stat sb;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/out.json", dir);
	victim = xasprintf("%s/victim", dir);
	planted = xasprintf("%s.tmp.%ld", path, (long)getpid());
	f = fopen(victim, "w");
	CHECK(f != NULL);
	fputs("keep", f);
	fclose(f);

	/* file_write_atomic: the old predictable temporary name is a symlink */
	CHECK_INT(symlink(victim, planted), 0);
	CHECK_INT(file_write_atomic(path, "secret", 6), 0);
	text = slurp(victim);
	CHECK_STR(text, "keep");
	free(text);
	text = slurp(path);
	CHECK_STR(text, "secret");
	free(text);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 0777, 0600);
	unlink(planted);
	/* the target itself a symlink: replaced, not written through */
	unlink(path);
	CHECK_INT(symlink(victim, path), 0);
	CHECK_INT(file_write_atomic(path, "secret2", 7), 0);
	text = slurp(victim);
	CHECK_STR(text, "keep");
	free(text);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));

	/* file_create_private: never through a symlink, never an existing file */
	unlink(path);
	CHECK_INT(symlink(victim, path), 0);
	f = file_create_private(path);
	CHECK(f == NULL);
	if (f)
		fclose(f);
	text = slurp(victim);
	CHECK_STR(text, "keep");
	free(text);
	unlink(path);
	f = file_create_private(path);
	CHECK(f != NULL);
	if (f) {
		fputs("new", f);
		fclose(f);
	}
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	f = file_create_private(path);
	CHECK(f == NULL);
	if (f)
		fclose(f);

	unlink(path);
	unlink(victim);
	rmdir(dir);
	free(path);
	free(victim);
	free(planted);
}

/* Once a token is in memory: no core file, not dumpable. */
static void test_protect_secrets(void)
{
	struct rlimit rl;

	process_protect_secrets();
	CHECK_INT(getrlimit(RLIMIT_CORE, &rl), 0);
	CHECK_INT(rl.rlim_cur, 0);
	CHECK_INT(rl.rlim_max, 0);
#if defined(__linux__)
	CHECK_INT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
#endif
}

/* Token files: small regular files only. */
static void test_read_small(void)
{
	char dir[] = "/tmp/t-util.XXXXXX";
	char *path, *text = NULL;
	unsigned mode = 0;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/tok", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("pat-na1-abc\n", f);
	fclose(f);
	chmod(path, 0640);
	CHECK_INT(file_read_small(path, 64, &text, &mode), 0);
	CHECK_STR(text, "pat-na1-abc\n");
	CHECK_INT(mode, 0640);
	free(text);
	CHECK_INT(file_read_small(path, 5, &text, &mode), -1);
	CHECK_INT(file_read_small("/dev/zero", 64, &text, &mode), -1);
	CHECK_INT(file_read_small(dir, 64, &text, &mode), -1);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* strindex: put refuses a key already there (the first value stays), get finds each. */
static void test_strindex(void)
{
	struct strindex x = {0};
	char(*keys)[16] = xcalloc(5000, sizeof(*keys));
	size_t v = 0;
	bool all = true;

	CHECK(!strindex_get(&x, "a", &v));
	for (size_t i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		CHECK(strindex_put(&x, keys[i], i));
	}
	CHECK(!strindex_put(&x, "k17", 99)); /* equal text, another pointer */
	CHECK_INT(x.n, 5000);
	for (size_t i = 0; i < 5000; i++)
		all = all && strindex_get(&x, keys[i], &v) && v == i;
	CHECK(all);
	CHECK(!strindex_get(&x, "k5000", NULL));
	strindex_release(&x);
	CHECK(!strindex_get(&x, "k1", NULL));
	free(keys);
}

/* --since/--until: relative to the start of today (UTC), calendar months clamped. */
static void test_when(void)
{
	int64_t now, t, day;

	CHECK_INT(time_parse_utc("2024-03-31T15:20:00Z", &now), 0);
	CHECK_INT(time_parse_utc("2024-03-31", &day), 0);
	CHECK_INT(time_parse_when("today", now, &t), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("-30d", now, &t), 0);
	CHECK(t == day - 30 * 86400);
	CHECK_INT(time_parse_when("+2w", now, &t), 0);
	CHECK(t == day + 14 * 86400);
	CHECK_INT(time_parse_when("+1m", now, &t), 0); /* 31 March + 1 month: 30 April */
	CHECK_INT(time_parse_utc("2024-04-30", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("-1m", now, &t), 0); /* 29 February (a leap year) */
	CHECK_INT(time_parse_utc("2024-02-29", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("+6m", now, &t), 0);
	CHECK_INT(time_parse_utc("2024-09-30", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("-13m", now, &t), 0);
	CHECK_INT(time_parse_utc("2023-02-28", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("+1y", now, &t), 0);
	CHECK_INT(time_parse_utc("2025-03-31", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("2026-01-02", now, &t), 0);
	CHECK_INT(time_parse_utc("2026-01-02", &day), 0);
	CHECK(t == day);
	CHECK_INT(time_parse_when("-30", now, &t), -1);
	CHECK_INT(time_parse_when("30d", now, &t), -1);
	CHECK_INT(time_parse_when("+d", now, &t), -1);
	CHECK_INT(time_parse_when("+3x", now, &t), -1);
	CHECK_INT(time_parse_when("-3dd", now, &t), -1);
	CHECK_INT(time_parse_when("+99999999999d", now, &t), -1);
	CHECK_INT(time_parse_when("yesterday", now, &t), -1);
}

/* SIGTERM (then SIGINT) caught: a flag, not the end of the process; the first one is kept. */
static void test_interrupts(void)
{
	CHECK_INT(util_interrupted(), 0);
	util_catch_interrupts();
	CHECK_INT(util_interrupted(), 0);
	CHECK_INT(raise(SIGTERM), 0);
	CHECK_INT(util_interrupted(), SIGTERM);
	/* a second one would end the process as the signal does: not raised here */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

int main(void)
{
	test_interrupts();
	test_when();
	test_times();
	test_format_long();
	test_email();
	test_redact();
	test_redact_text();
	test_utf8();
	test_sbuf();
	test_private_files();
	test_read_small();
	test_strindex();
	test_protect_secrets();
	return TEST_DONE();
}
