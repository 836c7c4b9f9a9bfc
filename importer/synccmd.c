/* synccmd: `ics2hubspot sync` — every calendar of the configuration, one process per portal. */
#include "app.h"
#include "config.h"
#include "hubspot.h"
#include "pipeline.h"
#include "routes.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The design (docs/config.md): the parent takes every chosen portal's lock
 * (NAME.lock beside its state; a second sync exits 4 at once, or waits with
 * --wait), then forks one child per portal. A child makes the portal's one
 * client (one rate limiter, one daily-budget guard) and runs the portal's
 * calendars one after another through the pipeline; one calendar failing
 * does not stop the next. Each finished calendar is one line on a pipe to
 * the parent, which prints it as it comes, then the total. Process-wide
 * state (the API version, progress, message context) is thus never shared
 * between portals.
 */

/* "NAME\tRC\tCREATED\tUPDATED\tARCHIVED\tUNCHANGED\tFAILED\tMS\tWHY\n" (child to parent). */
#define LINE_MAX_BYTES 4096

/* mkdir -p the directory of `path` (0700). */
static void make_dirs(const char *path)
{
	char *dir = xstrdup(path);

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			break;
		*p = '/';
	}
	free(dir);
}

/* The portal's sync lock: fd, or -1 after the error; EXIT_LOCKED in *rc when held. */
static int lock_portal(const struct config_portal *p, bool wait, int *rc)
{
	int fd;

	make_dirs(p->lock);
	fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*rc = EXIT_USAGE;
		return error_errno("portal '%s': cannot open its lock '%s'", p->name, p->lock);
	}
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	if (errno == EWOULDBLOCK && wait) {
		info("portal '%s' is being synced by another run: waiting for it", p->name);
		while (flock(fd, LOCK_EX) && errno == EINTR)
			;
		return fd;
	}
	close(fd);
	*rc = EXIT_LOCKED;
	if (errno == EWOULDBLOCK)
		return error("portal '%s' is being synced by another run (sync --wait waits for "
			     "it)",
			     p->name);
	return error_errno("portal '%s': cannot lock '%s'", p->name, p->lock);
}

static void send_line(int fd, const char *name, int rc, const struct pipeline_outcome *out,
		      const char *why)
{
	struct sbuf sb = SBUF_INIT;
	char *w = xstrdup(why ? why : "");

	for (char *q = w; *q; q++)
		if (*q == '\t' || *q == '\n' || *q == '\r')
			*q = ' ';
	sbuf_addf(&sb, "%s\t%d\t%ld\t%ld\t%ld\t%ld\t%ld\t%lld\t%.*s\n", name, rc, out->created,
		  out->updated, out->archived, out->unchanged, out->failed, (long long)out->ms,
		  1024, w);
	for (size_t off = 0; off < sb.len;) {
		ssize_t n = write(fd, sb.buf + off, sb.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	sbuf_release(&sb);
	free(w);
}

/* The child of one portal: its client, then its calendars in the file's order. */
static int portal_child(const struct config *c, const struct config_portal *p, const bool *sel,
			const struct app_options *o, int fd)
{
	struct app_options po;
	struct pipeline_portal pp = {0};
	char *token;
	int worst = EXIT_DONE;
	enum hs_api_version v;

	config_portal_options(p, o, &po);
	log_set_context(NULL, p->name);
	util_progress_plain = true;
	if (!po.api_version && getenv("HUBSPOT_API_VERSION") && *getenv("HUBSPOT_API_VERSION"))
		po.api_version = getenv("HUBSPOT_API_VERSION");
	if (po.api_version && hs_api_version_parse(po.api_version, &v)) {
		error("portal '%s': '%s' is not a HubSpot API version we speak (%s)", p->name,
		      po.api_version, hs_api_versions_known());
		token = NULL;
	} else {
		if (po.api_version)
			hs_api_set_version(v);
		token = app_token(&po);
	}
	if (token) {
		struct hs_options ho = {
			.api_base = app_api_base(&po),
			.token = token,
			.rate_max = o->rate_max,
			.rate_interval_ms = o->rate_interval_ms,
			.rate_from_portal = !o->rate_given,
			.timeout_s = 30,
		};

		pp.client = hs_client_new(&ho);
		pp.token = token;
	}
	for (size_t i = 0; i < c->ncalendars; i++) {
		const struct config_calendar *cal = &c->calendars[i];
		struct pipeline_outcome out = {0};
		struct app_options co;
		int rc;

		if (!sel[i] || cal->portal != p)
			continue;
		log_set_context(cal->name, p->name);
		if (!token) {
			rc = EXIT_USAGE;
		} else {
			log_reset_errors();
			rc = config_calendar_options(cal, o, &co);
			if (!rc) {
				rc = pipeline_run(&co, &pp, &out);
				config_options_release(&co);
			}
		}
		send_line(fd, cal->name, rc, &out, rc ? log_first_error() : NULL);
		if (rc > worst)
			worst = rc;
	}
	log_set_context(NULL, NULL);
	log_reset_errors();
	hs_client_free(pp.client);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	return worst;
}

struct child {
	const struct config_portal *portal;
	pid_t pid;
	int fd; /* read end, -1 at EOF */
	struct sbuf in;
};

struct totals {
	struct log_counts counts;
	size_t calendars;
	int worst;
};

static void print_line(const struct child *ch, char *line, struct totals *t)
{
	char *f[9];
	size_t n = 0;
	struct log_counts c = {0};
	int rc;

	for (char *p = line; n < 9; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n < 9)
		return;
	rc = atoi(f[1]);
	c.created = atol(f[2]);
	c.updated = atol(f[3]);
	c.archived = atol(f[4]);
	c.unchanged = atol(f[5]);
	c.failed = atol(f[6]);
	t->counts.created += c.created;
	t->counts.updated += c.updated;
	t->counts.archived += c.archived;
	t->counts.unchanged += c.unchanged;
	t->counts.failed += c.failed;
	t->calendars++;
	if (rc > t->worst)
		t->worst = rc;
	if (util_verbosity > 0 || rc)
		log_summary(stdout, f[0], ch->portal->name, &c, atoll(f[7]), rc,
			    *f[8] ? f[8] : NULL);
}

/* Read every child's lines until each closes its pipe; print them as they come. */
static void collect(struct child *ch, size_t n, struct totals *t)
{
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));

	for (;;) {
		size_t open = 0;

		for (size_t i = 0; i < n; i++) {
			pfd[i].fd = ch[i].fd;
			pfd[i].events = POLLIN;
			open += ch[i].fd >= 0;
		}
		if (!open)
			break;
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			char buf[LINE_MAX_BYTES];
			ssize_t got;
			char *nl;

			if (ch[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(ch[i].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(ch[i].fd);
				ch[i].fd = -1;
				continue;
			}
			sbuf_add(&ch[i].in, buf, (size_t)got);
			while ((nl = memchr(ch[i].in.buf, '\n', ch[i].in.len))) {
				size_t len = (size_t)(nl - ch[i].in.buf) + 1;
				char *line = xstrndup(ch[i].in.buf, len - 1);

				print_line(&ch[i], line, t);
				free(line);
				memmove(ch[i].in.buf, ch[i].in.buf + len, ch[i].in.len - len + 1);
				ch[i].in.len -= len;
			}
		}
	}
	free(pfd);
}

int cmd_sync(const struct app_options *o)
{
	struct config *c = config_from_options(o);
	struct child *ch = NULL;
	size_t nch = 0;
	bool *sel;
	int *locks, rc = EXIT_DONE;
	struct totals t = {0};
	int64_t t0 = time_mono_ms();

	if (!c)
		return EXIT_USAGE;
	sel = xcalloc(c->ncalendars, sizeof(*sel));
	locks = xcalloc(c->nportals, sizeof(*locks));
	for (size_t i = 0; i < c->nportals; i++)
		locks[i] = -1;
	rc = config_select(c, o->args, o->nargs, sel, "sync");
	if (rc)
		goto out;
	/* Every chosen portal is locked before anything is sent: a second sync does nothing. */
	for (size_t i = 0; i < c->nportals; i++) {
		bool used = false;

		for (size_t k = 0; k < c->ncalendars; k++)
			used = used || (sel[k] && c->calendars[k].portal == &c->portals[i]);
		if (!used)
			continue;
		locks[i] = lock_portal(&c->portals[i], o->wait, &rc);
		if (locks[i] < 0)
			goto out;
	}
	ch = xcalloc(c->nportals, sizeof(*ch));
	/* Ctrl-C reaches every child: each stops and says so; this one waits for them. */
	util_catch_interrupts();
	fflush(NULL);
	for (size_t i = 0; i < c->nportals; i++) {
		int pfd[2];
		pid_t pid;

		if (locks[i] < 0)
			continue;
		if (pipe(pfd)) {
			rc = error_errno("cannot make a pipe");
			rc = EXIT_USAGE;
			break;
		}
		pid = fork();
		if (pid < 0) {
			error_errno("cannot start the run of portal '%s'", c->portals[i].name);
			close(pfd[0]);
			close(pfd[1]);
			rc = EXIT_USAGE;
			break;
		}
		if (pid == 0) {
			int crc;

			close(pfd[0]);
			for (size_t k = 0; k < nch; k++)
				close(ch[k].fd);
			crc = portal_child(c, &c->portals[i], sel, o, pfd[1]);
			close(pfd[1]);
			for (size_t k = 0; k < c->nportals; k++)
				if (locks[k] >= 0)
					close(locks[k]);
			free(ch);
			free(locks);
			free(sel);
			config_free(c);
			fflush(NULL);
			exit(crc); /* atexit too: the sanitizers check the child */
		}
		close(pfd[1]);
		ch[nch].portal = &c->portals[i];
		ch[nch].pid = pid;
		ch[nch].fd = pfd[0];
		ch[nch].in = (struct sbuf)SBUF_INIT;
		nch++;
	}
	collect(ch, nch, &t);
	for (size_t i = 0; i < nch; i++) {
		int status = 0;

		while (waitpid(ch[i].pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status)) {
			error("the run of portal '%s' died (signal %d)", ch[i].portal->name,
			      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			if (t.worst < EXIT_PARTIAL)
				t.worst = EXIT_PARTIAL;
		} else if (WEXITSTATUS(status) > t.worst) {
			t.worst = WEXITSTATUS(status);
		}
		sbuf_release(&ch[i].in);
	}
	if (t.worst > rc)
		rc = t.worst;
	{
		char *label = xasprintf("%zu calendar%s", t.calendars, t.calendars == 1 ? "" : "s");

		log_summary(stdout, "total", label, &t.counts, time_mono_ms() - t0, rc, NULL);
		free(label);
	}
out:
	for (size_t i = 0; i < c->nportals; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(ch);
	free(locks);
	free(sel);
	config_free(c);
	return rc;
}

static void use_api_version(const struct app_options *co)
{
	enum hs_api_version v;

	if (co->api_version && !hs_api_version_parse(co->api_version, &v))
		hs_api_set_version(v);
}

int config_command(const struct app_options *o, app_command_fn fn, const char *command)
{
	struct config *c = config_from_options(o);
	bool *sel;
	int rc = EXIT_DONE, lock = -1;
	const struct config_portal *only = NULL;
	bool per_portal = !strcmp(command, "state");

	if (!c)
		return EXIT_USAGE;
	sel = xcalloc(c->ncalendars, sizeof(*sel));
	if (o->portal && !(only = config_portal(c, o->portal))) {
		rc = usage_error(command, "--portal: no portal '%s' in %s", o->portal, c->path);
		goto out;
	}
	if (per_portal) {
		/* state: the portal's state file; `state runs` alone: every portal's */
		struct app_options po;
		bool all = !only && !strcmp(o->args[0] ? o->args[0] : "", "runs");

		if (!only && !all && c->nportals > 1) {
			rc = usage_error(command, "which portal? --portal NAME (%s has %zu)",
					 c->path, c->nportals);
			goto out;
		}
		for (size_t i = 0; i < c->nportals; i++) {
			int prc;

			if (only ? &c->portals[i] != only : !all && i > 0)
				continue;
			config_portal_options(&c->portals[i], o, &po);
			po.config = NULL;
			po.args = o->args;
			po.nargs = o->nargs;
			use_api_version(&po);
			prc = fn(&po);
			if (prc > rc)
				rc = prc;
		}
		goto out;
	}
	if (!strcmp(command, "import") && o->nargs != 1) {
		rc = usage_error(command, "with --config, name one calendar (sync runs several)");
		goto out;
	}
	rc = config_select(c, o->args, o->nargs, sel, command);
	if (rc)
		goto out;
	for (size_t i = 0; i < c->ncalendars; i++) {
		const struct config_calendar *cal = &c->calendars[i];
		struct app_options co;
		bool dup = false;
		int crc;

		if (!sel[i] || (only && cal->portal != only))
			continue;
		/* setup: once per portal and mapping */
		for (size_t k = 0; k < i && !strcmp(command, "setup"); k++)
			dup = dup ||
			      (sel[k] && c->calendars[k].portal == cal->portal &&
			       !strcmp(c->calendars[k].mapping ? c->calendars[k].mapping : "",
				       cal->mapping ? cal->mapping : ""));
		if (dup)
			continue;
		if (!strcmp(command, "import") && !o->dry_run &&
		    (lock = lock_portal(cal->portal, false, &rc)) < 0)
			goto out;
		crc = config_calendar_options(cal, o, &co);
		if (!crc) {
			co.config = NULL;
			if (strcmp(command, "import") && strcmp(command, "check")) {
				FREE_NULL(co.args);
				co.nargs = 0;
			}
			use_api_version(&co);
			crc = fn(&co);
			config_options_release(&co);
		}
		if (crc > rc)
			rc = crc;
		if (lock >= 0) {
			close(lock);
			lock = -1;
		}
	}
out:
	free(sel);
	config_free(c);
	return rc;
}
