/* commands: expand, check and the shared option helpers (token, API base, calendars). */
#include "app.h"
#include "calendar.h"
#include "http.h"
#include "hubspot.h"
#include "ics.h"
#include "mapping.h"
#include "preview.h"
#include "routes.h"
#include "http.h"
#include "state.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A token file is a few hundred bytes; anything this large is not one. */
#define TOKEN_FILE_MAX 65536

/*
 * A token goes into an HTTP header: one with a control character (a CR/LF
 * would add a header of its own) or a space inside is refused, naming where
 * it came from, never its text. Frees it then.
 */
static char *token_checked(char *token, const char *from)
{
	for (const unsigned char *p = (const unsigned char *)token; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == ' ') {
			memset(token, 0, strlen(token));
			free(token);
			error("the access token in %s holds a control character or a space: it "
			      "cannot be a HubSpot token (copy it again)",
			      from);
			return NULL;
		}
	}
	return token;
}

/* The first line of a token file, trimmed; NULL after an error. */
static char *token_from_file(const char *path, const char *from, bool check_mode)
{
	char *text;
	unsigned mode = 0;

	if (file_read_small(path, TOKEN_FILE_MAX, &text, &mode))
		return NULL;
	if (check_mode && (mode & 077))
		warning("the token file '%s' is accessible by others (mode %04o): "
			"chmod 600 '%s'",
			path, mode, path);
	text[strcspn(text, "\r\n")] = '\0';
	str_trim(text);
	if (!*text) {
		free(text);
		error("%s is empty", from);
		return NULL;
	}
	return token_checked(text, from);
}

/*
 * The first line a configuration's token_command prints (run by /bin/sh, its
 * stderr shown as it is). What it prints is never shown: a failure names the
 * portal and the exit status only.
 */
static char *token_from_command(const struct app_options *o)
{
	const char *portal = o->portal_name ? o->portal_name : "?";
	struct sbuf sb = SBUF_INIT;
	char buf[512];
	size_t n;
	FILE *f;
	int status;
	char *from;

	fflush(NULL);
	f = popen(o->token_command, "r");
	if (!f)
		return error_errno("portal '%s': cannot run its token_command", portal), NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < TOKEN_FILE_MAX)
		sbuf_add(&sb, buf, n);
	status = pclose(f);
	memset(buf, 0, sizeof(buf));
	if (status != 0) {
		if (sb.buf) {
			memset(sb.buf, 0, sb.len);
		}
		sbuf_release(&sb);
		error("portal '%s': its token_command failed (%s %d); nothing of its output is "
		      "shown",
		      portal, status > 0 && WIFEXITED(status) ? "exit status" : "status",
		      status > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : status);
		return NULL;
	}
	if (!sb.len) {
		sbuf_release(&sb);
		error("portal '%s': its token_command printed nothing", portal);
		return NULL;
	}
	{
		char *t = xstrdup(sb.buf);

		memset(sb.buf, 0, sb.len);
		sbuf_release(&sb);
		t[strcspn(t, "\r\n")] = '\0';
		str_trim(t);
		if (!*t) {
			free(t);
			error("portal '%s': its token_command printed an empty first line", portal);
			return NULL;
		}
		from = xasprintf("the output of portal '%s''s token_command", portal);
		t = token_checked(t, from);
		free(from);
		return t;
	}
}

/* $CREDENTIALS_DIRECTORY/hubspot-token (systemd's LoadCredential=), or NULL; free it. */
static char *credential_path(void)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *path;

	if (!creds || !*creds)
		return NULL;
	path = xasprintf("%s/hubspot-token", creds);
	if (!access(path, F_OK))
		return path;
	free(path);
	return NULL;
}

bool app_has_token(const struct app_options *o)
{
	const char *env = getenv("HUBSPOT_ACCESS_TOKEN");
	char *cred;
	bool has;

	if (o->token_file || o->token_command || (env && *env))
		return true;
	if (o->token_env)
		return getenv(o->token_env) && *getenv(o->token_env);
	cred = credential_path();
	has = cred != NULL;
	free(cred);
	return has;
}

char *app_token(const struct app_options *o)
{
	const char *env = getenv("HUBSPOT_ACCESS_TOKEN");
	char *from, *token, *path;

	/* The token goes to the API base only: https, or plain http on this machine. */
	if (http_check_api_base(app_api_base(o), o->allow_insecure_http))
		return NULL;
	process_protect_secrets();
	if (o->token_file) {
		from = xasprintf("the token file '%s'", o->token_file);
		token = token_from_file(o->token_file, from, true);
		free(from);
		return token;
	}
	if (o->token_env) {
		const char *v = getenv(o->token_env);
		char *t;

		if (!v || !*v) {
			error("no access token: the variable %s (token_env of portal '%s') is not set",
			      o->token_env, o->portal_name ? o->portal_name : "?");
			return NULL;
		}
		t = xstrdup(v);
		str_trim(t);
		return token_checked(t, o->token_env);
	}
	if (o->token_command)
		return token_from_command(o);
	if (env && *env) {
		char *t = xstrdup(env);

		str_trim(t);
		return token_checked(t, "HUBSPOT_ACCESS_TOKEN");
	}
	/* systemd's LoadCredential=hubspot-token:... (docs/scheduling.md); systemd owns its mode.
	 */
	if ((path = credential_path())) {
		from = xasprintf("the systemd credential '%s'", path);
		token = token_from_file(path, from, false);
		free(from);
		free(path);
		return token;
	}
	error("no access token: set HUBSPOT_ACCESS_TOKEN, pass --token-file FILE, or give a "
	      "systemd unit LoadCredential=hubspot-token:FILE");
	return NULL;
}

void app_print_library_versions(FILE *f)
{
	char icu[32];

	ics_icu_version(icu, sizeof(icu));
	fprintf(f, "libical %s\nICU %s\nlibcurl %s\ncJSON %s\nlibyaml %s\nSQLite %s\n",
		ics_libical_version(), icu, http_curl_version(), cJSON_Version(),
		mapping_yaml_version(), state_sqlite_version());
}

const char *app_api_base(const struct app_options *o)
{
	const char *env = getenv("HUBSPOT_API_BASE");

	if (o->api_base)
		return o->api_base;
	if (env && *env)
		return env;
	return "https://api.hubapi.com";
}

void app_ics_options(const struct app_options *o, struct ics_options *io)
{
	memset(io, 0, sizeof(*io));
	io->has_since = o->has_since;
	io->since = o->since;
	io->has_until = o->has_until;
	io->until = o->until;
	io->default_tz = o->default_tz;
	io->max_per_series = o->max_per_series;
}

/* One line of NDJSON per occurrence, printed into a buffer reused across lines. */
struct print_buf {
	char *buf;
	size_t cap;
};

struct print_state {
	struct print_buf head, rest;
	size_t rest_len;
	uint64_t rest_fill; /* the fill rest was printed for (0: none) */
};

/*
 * expand builds and prints cJSON trees (an occurrence's head, a fill's rest;
 * when it built ~35 items per occurrence, their malloc/free were a tenth of
 * its time). While it prints, cJSON allocates from this arena through its
 * hooks (cJSON_InitHooks), frees nothing, and the arena is emptied before the
 * next occurrence. Only print_occurrence uses cJSON between json_arena_begin()
 * and json_arena_end().
 */
#define ARENA_BLOCK 65536
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};
static struct arena_block *arena;

static void *arena_alloc(size_t n)
{
	struct arena_block *b = arena;

	n = (n + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL; /* cJSON reports the failure */
		b->next = arena;
		b->used = 0;
		b->cap = cap;
		arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static void arena_free(void *p)
{
	(void)p; /* all at once, in arena_reset() */
}

/* Keep the newest block (emptied), free the others. */
static void arena_reset(void)
{
	while (arena && arena->next) {
		struct arena_block *next = arena->next;

		arena->next = next->next;
		free(next);
	}
	if (arena)
		arena->used = 0;
}

static void json_arena_begin(void)
{
	cJSON_Hooks h = {arena_alloc, arena_free};

	cJSON_InitHooks(&h);
}

static void json_arena_end(void)
{
	cJSON_InitHooks(NULL);
	arena_reset();
	free(arena);
	arena = NULL;
}

/* j printed unformatted into b (grown as needed); returns the length. */
static size_t print_json(cJSON *j, struct print_buf *b)
{
	if (!b->cap) {
		b->cap = 4096;
		b->buf = xmalloc(b->cap);
	}
	while (!cJSON_PrintPreallocated(j, b->buf, (int)b->cap, 0)) {
		if (b->cap > (size_t)INT_MAX / 2)
			die(EXIT_USAGE, "out of memory");
		b->cap *= 2;
		free(b->buf);
		b->buf = xmalloc(b->cap);
	}
	return strlen(b->buf);
}

/*
 * One NDJSON line: the members of occurrence_head_json() then those of
 * occurrence_rest_json(), each object printed by cJSON. The rest is the same
 * for every occurrence of one fill (a series' instances): printed once for
 * all of them (printing a 2,000-event dense calendar went from 290M
 * instructions to 92M).
 */
static int print_occurrence(const struct occurrence *occ, void *data)
{
	struct print_state *ps = data;
	cJSON *j;
	size_t n;

	if (!occ->fill || occ->fill != ps->rest_fill) {
		j = occurrence_rest_json(occ);
		ps->rest_len = print_json(j, &ps->rest);
		cJSON_Delete(j); /* frees nothing in the arena: walks the tree */
		ps->rest_fill = occ->fill;
	}
	j = occurrence_head_json(occ);
	n = print_json(j, &ps->head);
	cJSON_Delete(j);
	arena_reset();
	/* {"uid":..,"all_day":false} + {"summary":..} -> {"uid":..,"all_day":false,"summary":..} */
	ps->head.buf[n - 1] = ',';
	fwrite(ps->head.buf, 1, n, stdout);
	fwrite(ps->rest.buf + 1, 1, ps->rest_len - 1, stdout);
	fputc('\n', stdout);
	return 0;
}

static char expand_outbuf[1 << 18];

int cmd_expand(const struct app_options *o)
{
	struct ics_options io;
	struct print_state ps = {{NULL, 0}, {NULL, 0}, 0, 0};
	size_t read_ok = 0;
	bool partial = false;

	if (!o->nargs)
		return usage_error("expand", "no calendar given");
	/*
	 * Lines of kilobytes: stdio's 4 KiB buffer wrote one or two of them a write(). glibc
	 * sizes no buffer of its own from setvbuf(): it is given one, alive until exit.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, expand_outbuf, _IOFBF, sizeof(expand_outbuf));
	app_ics_options(o, &io);
	json_arena_begin();
	for (size_t i = 0; i < o->nargs; i++) {
		struct ics_stats st = {0};
		struct calendar cal;

		if (calendar_open(&cal, o->args[i], NULL)) {
			partial = true;
			continue;
		}
		if (ics_read(cal.path, cal.display, cal.source, &io, print_occurrence, &ps, &st)) {
			partial = true;
		} else {
			read_ok++;
			if (st.bad_events || st.lost_events)
				partial = true;
		}
		ics_stats_release(&st);
		calendar_close(&cal);
	}
	json_arena_end();
	fflush(stdout);
	free(ps.head.buf);
	free(ps.rest.buf);
	ics_global_cleanup();
	if (!read_ok)
		return EXIT_USAGE;
	return partial ? EXIT_PARTIAL : EXIT_DONE;
}

/* check --remote --json: what the check printed, as {level, message} objects. */
static void remote_cb(char *level, char *text, void *data)
{
	cJSON *w = cJSON_CreateObject();

	cJSON_AddStringToObject(w, "level", level);
	cJSON_AddStringToObject(w, "message", text);
	cJSON_AddItemToArray(data, w);
	free(level);
	free(text);
}

char *app_command(const struct app_options *o, const char *command)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s %s", PROGRAM_NAME, command);
	if (o->mapping) {
		bool plain = o->mapping[0] != '\0';

		for (const char *p = o->mapping; *p && plain; p++)
			plain = isalnum((unsigned char)*p) || strchr("._/-+:,@", *p);
		if (plain)
			sbuf_addf(&sb, " -m %s", o->mapping);
		else if (!strchr(o->mapping, '\''))
			sbuf_addf(&sb, " -m '%s'", o->mapping);
		else
			sbuf_adds(&sb, " -m MAPPING");
	}
	return sbuf_detach(&sb);
}

/* check --remote: the token, the client and the portal's meeting properties. */
struct remote {
	char *token;
	struct hs_client *client;
	cJSON *properties; /* the answer of GET the meeting property definitions, or NULL */
	cJSON *findings; /* {"ok": bool, "messages": [...]} for --json */
};

static void remote_release(struct remote *r)
{
	hs_client_free(r->client);
	if (r->token) {
		memset(r->token, 0, strlen(r->token));
		free(r->token);
	}
	cJSON_Delete(r->properties);
	cJSON_Delete(r->findings);
}

/*
 * check --remote: ask the portal for its meeting properties and check every
 * mapped property exists (exit 3 when one is missing, as import's pre-flight),
 * is writable, and that the enum values the mapping holds are options (exit 1,
 * as import would fail those meetings). The findings go into r->findings.
 */
static int check_remote(const struct mapping *m, const struct app_options *o, struct remote *r)
{
	struct hs_options ho = {.api_base = app_api_base(o),
				.rate_max = o->rate_max,
				.rate_interval_ms = o->rate_interval_ms};
	struct hs_response resp = {0};
	enum hs_result hr;
	cJSON *messages = cJSON_CreateArray();
	char *fix;
	int rc, found;

	r->findings = cJSON_CreateObject();
	r->token = app_token(o);
	if (!r->token) {
		cJSON_Delete(messages);
		return EXIT_USAGE;
	}
	msg_set_sink(remote_cb, messages);
	ho.token = r->token;
	r->client = hs_client_new(&ho);
	hr = hs_call(r->client, "GET", hs_route(HS_MEETING_PROPERTIES), NULL, true, &resp);
	fix = app_command(o, "setup");
	if (hr != HS_OK) {
		error("cannot read the portal's meeting properties: %s",
		      resp.message ? resp.message : hs_result_name(hr));
		rc = hr == HS_CLIENT_ERROR ? EXIT_PARTIAL : EXIT_REFUSED;
	} else if ((found = mapping_check_remote_properties(m, resp.body, fix)) != 0) {
		rc = found < 0 || (found & MAPPING_REMOTE_MISSING) ? EXIT_REFUSED : EXIT_PARTIAL;
		if (found > 0 && (found & MAPPING_REMOTE_VALUE))
			r->properties = cJSON_Duplicate(resp.body, 1);
	} else {
		info("%s: every mapped property exists in the portal", mapping_path(m));
		r->properties = cJSON_Duplicate(resp.body, 1);
		rc = EXIT_DONE;
	}
	free(fix);
	msg_set_sink(NULL, NULL);
	cJSON_AddBoolToObject(r->findings, "ok", rc == EXIT_DONE);
	cJSON_AddItemToObject(r->findings, "messages", messages);
	hs_response_release(&resp);
	return rc;
}

int cmd_check(const struct app_options *o)
{
	struct mapping *m;
	struct ics_options io;
	struct remote r = {0};
	struct preview_portal portal = {0};
	int rc = EXIT_DONE;

	if (o->config)
		return config_command(o, cmd_check, "check");
	m = mapping_load(o->mapping);

	if (!m)
		return EXIT_USAGE;
	if (o->remote) {
		rc = check_remote(m, o, &r);
		portal.client = r.client;
		portal.properties = r.properties;
	}
	app_ics_options(o, &io);
	/*
	 * The preview runs when the portal is as import needs it (values that are
	 * not options are counted per meeting); --json always prints one document,
	 * carrying the remote findings too (unless there was no token to ask
	 * with). The worse exit code wins.
	 */
	if (rc == EXIT_DONE || (rc == EXIT_PARTIAL && r.properties) ||
	    (o->json && cJSON_GetObjectItemCaseSensitive(r.findings, "messages"))) {
		int prc = preview_run(m, (const char *const *)o->args, o->nargs, &io, o->json,
				      (int)o->limit, r.findings, r.properties ? &portal : NULL,
				      stdout);

		rc = prc > rc ? prc : rc;
	}
	remote_release(&r);
	mapping_free(m);
	ics_global_cleanup();
	return rc;
}
