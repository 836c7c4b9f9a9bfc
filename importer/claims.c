/* claims: which calendars claim a meeting, recorded in HubSpot itself. */
#include "claims.h"
#include "routes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define CLAIMS_BATCH 100

char *claims_id(const char *calendar)
{
	struct sbuf sb = SBUF_INIT;
	char hex[17];

	sbuf_addf(&sb, "ics2hubspot claim\n%s", calendar ? calendar : "");
	hash64_hex(hash64(sb.buf, sb.len, HASH64_SEED), hex, sizeof(hex));
	sbuf_release(&sb);
	return xstrdup(hex);
}

/* The ids of a value, split at ';' (empty ones dropped). */
static size_t split(const char *value, char ***out)
{
	size_t n = 0, cap = 0;
	char **v = NULL;

	for (const char *p = value ? value : ""; *p;) {
		size_t len = strcspn(p, ";");

		if (len) {
			XGROW(v, cap, n + 1);
			v[n] = xstrndup(p, len);
			str_trim(v[n]);
			if (*v[n])
				n++;
			else
				free(v[n]);
		}
		p += len;
		p += *p == ';';
	}
	*out = v;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids, sorted and unique, but `drop`; `add` joined (NULL: none). */
static char *rebuild(const char *value, const char *add, const char *drop)
{
	char **v;
	size_t n = split(value, &v);
	struct sbuf sb = SBUF_INIT;

	if (add) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(add);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if ((!i || strcmp(v[i], v[i - 1])) && (!drop || strcmp(v[i], drop)))
			sbuf_addf(&sb, "%s%s", sb.len ? ";" : "", v[i]);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

char *claims_add(const char *value, const char *id)
{
	return rebuild(value, id, NULL);
}

char *claims_remove(const char *value, const char *id)
{
	return rebuild(value, NULL, id);
}

static bool any_claim(const char *value, const char *id, bool others)
{
	char **v;
	size_t n = split(value, &v);
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		if (others ? strcmp(v[i], id) != 0 : strcmp(v[i], id) == 0)
			found = true;
		free(v[i]);
	}
	free(v);
	return found;
}

bool claims_others(const char *value, const char *id)
{
	return any_claim(value, id, true);
}

bool claims_has(const char *value, const char *id)
{
	return any_claim(value, id, false);
}

/* ---- HubSpot ------------------------------------------------------------------------------ */

/*
 * The claims of ids[0..n) (n <= CLAIMS_BATCH) into values[i] (NULL: none);
 * read[i] true for each meeting HubSpot answered for (one it does not name is
 * gone); *answered false when the request itself was refused.
 */
static enum hs_result read_claims(struct hs_client *c, char *const *ids, size_t n, char **values,
				  bool *read, bool *answered)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs = cJSON_AddArrayToObject(body, "inputs");
	struct hs_response resp;
	enum hs_result hr;
	const cJSON *res;

	for (size_t i = 0; i < n; i++) {
		cJSON *in = cJSON_CreateObject();

		cJSON_AddStringToObject(in, "id", ids[i]);
		cJSON_AddItemToArray(inputs, in);
	}
	cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "properties"),
			     cJSON_CreateString(CLAIMS_PROPERTY));
	cJSON_AddArrayToObject(body, "propertiesWithHistory");
	hr = hs_call(c, "POST", hs_route(HS_MEETINGS_BATCH_READ), body, true, &resp);
	cJSON_Delete(body);
	*answered = hr == HS_OK;
	if (hr != HS_OK) {
		verbose("the claims of %zu meeting(s) could not be read: %s", n,
			resp.message ? resp.message : hs_result_name(hr));
		hs_response_release(&resp);
		return hr == HS_CLIENT_ERROR ? HS_OK : hr;
	}
	cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(resp.body, "results"))
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "id"));
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(res, "properties"), CLAIMS_PROPERTY));

		for (size_t i = 0; id && i < n; i++) {
			if (strcmp(ids[i], id))
				continue;
			read[i] = true;
			free(values[i]);
			values[i] = v && *v ? xstrdup(v) : NULL;
		}
	}
	hs_response_release(&resp);
	return HS_OK;
}

/* Set the claims of ids[k] to values[k] for the k with set[k]; written[k] when HubSpot took it. */
static enum hs_result write_claims(struct hs_client *c, char *const *ids, char *const *values,
				   const bool *set, size_t n, bool *written)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs = cJSON_AddArrayToObject(body, "inputs");
	struct hs_response resp;
	enum hs_result hr;
	const cJSON *res;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		cJSON *in;

		written[i] = false;
		if (!set[i])
			continue;
		in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "id", ids[i]);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "properties"), CLAIMS_PROPERTY,
					values[i] ? values[i] : "");
		cJSON_AddItemToArray(inputs, in);
		count++;
	}
	if (!count) {
		cJSON_Delete(body);
		return HS_OK;
	}
	hr = hs_call(c, "POST", hs_route(HS_MEETINGS_BATCH_UPDATE), body, true, &resp);
	cJSON_Delete(body);
	if (hr == HS_OK) {
		cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(resp.body, "results"))
		{
			const char *id =
				cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "id"));

			for (size_t i = 0; id && i < n; i++)
				if (set[i] && !strcmp(ids[i], id))
					written[i] = true;
		}
	} else {
		verbose("the claims of %zu meeting(s) could not be written: %s", count,
			resp.message ? resp.message : hs_result_name(hr));
	}
	hs_response_release(&resp);
	return hr == HS_CLIENT_ERROR ? HS_OK : hr;
}

/*
 * Read the claims of ids[0..n), 100 at a time, and write them back changed:
 * with `attach`, mine[i] added where it is missing; else mine[i] taken off a
 * meeting another calendar claims (verdict[i] CLAIMS_DETACHED once written),
 * and verdict[i] CLAIMS_REMOVE for one nobody else claims or gone from HubSpot.
 */
static enum hs_result change_claims(struct hs_client *c, char *const *ids, const char *const *mine,
				    size_t n, bool attach, enum claims_verdict *verdict)
{
	enum hs_result hr = HS_OK;

	for (size_t s = 0; s < n && hr == HS_OK; s += CLAIMS_BATCH) {
		size_t k = n - s < CLAIMS_BATCH ? n - s : CLAIMS_BATCH;
		char **values = xcalloc(k, sizeof(*values));
		char **next = xcalloc(k, sizeof(*next));
		bool *read = xcalloc(k, sizeof(*read)), *set = xcalloc(k, sizeof(*set));
		bool *written = xcalloc(k, sizeof(*written));
		bool answered = false;

		hr = read_claims(c, ids + s, k, values, read, &answered);
		for (size_t i = 0; hr == HS_OK && answered && i < k; i++) {
			const char *me = mine[s + i];

			if (attach && read[i] && me && !claims_has(values[i], me)) {
				next[i] = claims_add(values[i], me);
				set[i] = true;
			} else if (!attach && read[i] && me && claims_others(values[i], me)) {
				next[i] = claims_remove(values[i], me);
				set[i] = true;
			} else if (!attach) {
				/* Gone from HubSpot, or nobody else's: removed as before. */
				verdict[s + i] = CLAIMS_REMOVE;
			}
		}
		if (hr == HS_OK && answered)
			hr = write_claims(c, ids + s, next, set, k, written);
		for (size_t i = 0; i < k; i++) {
			if (!attach && set[i] && written[i])
				verdict[s + i] = CLAIMS_DETACHED;
			free(values[i]);
			free(next[i]);
		}
		free(values);
		free(next);
		free(read);
		free(set);
		free(written);
	}
	return hr;
}

enum hs_result claims_before_removal(struct hs_client *c, char *const *ids, const char *const *mine,
				     size_t n, enum claims_verdict *verdict)
{
	for (size_t i = 0; i < n; i++)
		verdict[i] = CLAIMS_UNKNOWN;
	return change_claims(c, ids, mine, n, false, verdict);
}

enum hs_result claims_attach(struct hs_client *c, char *const *ids, const char *const *mine,
			     size_t n)
{
	return change_claims(c, ids, mine, n, true, NULL);
}
