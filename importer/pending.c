/* pending: creates a killed run left unconfirmed, resolved before anything is created again. */
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/*
 * A pending row younger than this may be invisible to search yet (HubSpot's
 * search is eventually consistent): look again a few times before deciding
 * that its create never happened.
 */
#define PENDING_YOUNG_S 600

/* ---- crash leftovers ------------------------------------------------------------------------ */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Pending rows are creates sent by a run that died (or lost the answer):
 * look each one up by identity before anything is created, so that nothing
 * is created twice. Found → the row is confirmed with that id; not found →
 * the row is dropped and the occurrence planned again (created if still in
 * its calendar). Young rows get a few more looks (search lags behind).
 */
enum hs_result resolve_pending(struct run *r)
{
	struct state_rows rows = {0};
	char **keys = NULL, **ids = NULL;
	size_t nkeys = 0, found = 0, dropped = 0;
	const char *tries_env = getenv("ICS2HUBSPOT_RESOLVE_TRIES");
	const char *delay_env = getenv("ICS2HUBSPOT_RESOLVE_DELAY_MS");
	int tries = tries_env && atoi(tries_env) > 0 ? atoi(tries_env) : 4;
	int64_t delay = delay_env && atoi(delay_env) > 0 ? atoi(delay_env) : 2000;
	enum hs_result hr = HS_OK;
	bool *done;

	if (state_list_pending(r->st, NULL, &rows) < 0) {
		r->state_errors++;
		return HS_FAILED;
	}
	if (!rows.n)
		return HS_OK;
	info("%zu create(s) of an earlier run were never confirmed: looking them up in HubSpot "
	     "first",
	     rows.n);
	keys = xmalloc(rows.n * sizeof(*keys));
	for (size_t i = 0; i < rows.n; i++)
		keys[i] = rows.v[i].key;
	qsort(keys, rows.n, sizeof(*keys), cmp_strp);
	for (size_t i = 0; i < rows.n; i++)
		if (!nkeys || strcmp(keys[nkeys - 1], keys[i]))
			keys[nkeys++] = keys[i];
	ids = xcalloc(nkeys, sizeof(*ids));
	done = xcalloc(rows.n, sizeof(*done));

	for (int attempt = 0; attempt < tries; attempt++) {
		char **ask = xmalloc(nkeys * sizeof(*ask));
		char **got = xcalloc(nkeys, sizeof(*got));
		size_t nask = 0;
		bool young = false;

		for (size_t k = 0; k < nkeys; k++)
			if (!ids[k])
				ask[nask++] = keys[k];
		hr = nask ? batch_find_by_identity(r->client, mapping_identity_property(r->map),
						   ask, nask, got)
			  : HS_OK;
		for (size_t a = 0, k = 0; a < nask; a++) {
			while (strcmp(keys[k], ask[a]))
				k++;
			ids[k] = got[a];
		}
		free(got);
		free(ask);
		if (hr != HS_OK)
			break;
		/* Record what was found at once (one transaction). */
		if (state_txn_begin(r->st) < 0) {
			r->state_errors++;
			hr = HS_FAILED;
			break;
		}
		for (size_t i = 0; i < rows.n; i++) {
			char **k = bsearch(&rows.v[i].key, keys, nkeys, sizeof(*keys), cmp_strp);
			const char *id = k ? ids[k - keys] : NULL;

			if (done[i])
				continue;
			if (id) {
				if (state_resolve(r->st, r->run_id, rows.v[i].source, rows.v[i].key,
						  id) < 0)
					r->state_errors++;
				done[i] = true;
				found++;
			} else if (rows.v[i].last_seen > time_now() - PENDING_YOUNG_S) {
				young = true;
			}
		}
		if (state_txn_commit(r->st) < 0)
			r->state_errors++;
		if (!young || attempt + 1 == tries)
			break;
		verbose("some were sent moments ago; HubSpot's search may lag: looking again in "
			"%lld ms",
			(long long)delay);
		sleep_ms(delay);
		delay *= 2;
	}
	if (hr == HS_OK) {
		if (state_txn_begin(r->st) < 0)
			r->state_errors++;
		for (size_t i = 0; i < rows.n; i++) {
			if (done[i])
				continue;
			if (state_resolve(r->st, r->run_id, rows.v[i].source, rows.v[i].key, NULL) <
			    0)
				r->state_errors++;
			dropped++;
		}
		if (state_txn_commit(r->st) < 0)
			r->state_errors++;
		report_note(
			r->rep,
			"%zu create(s) left unconfirmed by an earlier run: %zu found in HubSpot, "
			"%zu never made it (planned again)",
			rows.n, found, dropped);
	}
	for (size_t k = 0; k < nkeys; k++)
		free(ids[k]);
	free(ids);
	free(keys);
	free(done);
	state_rows_release(&rows);
	return hr;
}
