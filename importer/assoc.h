/* assoc: a run's associations — attendees → contacts, organizer → owner, domains → companies. */
#ifndef ASSOC_H
#define ASSOC_H

/*
 * Ownership follows util.h. Every request goes through hs_call(); the number
 * of requests a run spends is the point of this module (issue #6):
 *
 *   contacts  ceil(distinct e-mails / 100) batch/read
 *             + ceil(missing / 100) batch/upsert (create_missing only)
 *   owners    owner pages, stopping as soon as every organizer is matched
 *             (every page with exclude_domains: [owners], the default)
 *   companies ceil(distinct domains / 100) searches (+ extra pages, rare)
 *
 * Each e-mail, domain and organizer is looked up once per run, whatever the
 * number of meetings it appears in.
 *
 * Wiring (pipeline.c, apply.c), after mapping and merging duplicates, before batch_create:
 *
 *   hr = assoc_resolve(client, r.map, ptrs, r.n, r.rep);
 *   if (hr != HS_OK) → stop the run as for batch_create (daily limit, auth, failed)
 */

#include "hubspot.h"
#include "mapping.h"
#include "meeting.h"
#include "report.h"

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Inputs per batch request (contacts batch/read and upsert, v4 associations, IN values). */
#define ASSOC_BATCH_MAX 100

/*
 * Resolve the associations and the owner of all `n` meetings of a run at once
 * (meetings with a skip_reason are left alone):
 *
 * 0. exclude_domains: [owners] (the default): every owner page is read and
 *    the contacts and company domains of the owners' e-mail domains
 *    (subdomains too, free-mail domains never) are dropped from the meetings.
 * 1. every meeting's contact_emails (already filtered by mapping_apply) are
 *    deduplicated over the run and read with contacts batch/read
 *    (idProperty email, 100 a request); results are matched by
 *    properties.email, case-insensitively; the misses come back as one
 *    grouped OBJECT_NOT_FOUND error (207).
 * 2. missing contacts: with associations.contacts.create_missing they are
 *    created with contacts batch/upsert (idProperty email: idempotent, never
 *    a duplicate, also across runs and retries), first/last name from the
 *    attendee's CN (assoc_split_name); without it each one is reported with
 *    report_unmatched_attendee() and gets no association.
 * 3. owner: when mapping_owner_property() is set, GET owners (routes.h) is paged
 *    (100 a page) until every organizer of the run is matched or the pages
 *    end; the owner id is set as that property. An organizer with no owner is
 *    reported with report_unmapped_organizer() and the property left out.
 * 4. companies (mapping_wants_companies): companies search, domain IN
 *    [≤100 lower-case domains]; when several companies share a domain the one
 *    with the lowest id (the oldest) wins. A domain with no company gets no
 *    association and is only mentioned with -v (a free-mail or personal domain
 *    is the usual reason).
 * 5. the ids are added with meeting_add_assoc(ASSOC_CONTACT, id, email) and
 *    (ASSOC_COMPANY, id, domain); static associations are left as they are.
 *
 * With `dry_run` nothing is written: contacts create_missing would create get
 * the stand-in id "new:EMAIL" (so a plan sees the association) and a note.
 * A look-up request that HubSpot refuses (4xx) does not stop the run: a
 * warning says so and its attendees are reported as unmatched (its domains
 * get no company, its organizers no owner). Returns HS_OK, or HS_AUTH,
 * HS_DAILY_LIMIT or HS_FAILED (HubSpot unreachable after the retries): the
 * run must stop; the meetings are then partly resolved.
 */
enum hs_result assoc_resolve(struct hs_client *c, const struct mapping *map, struct meeting **ms,
			     size_t n, struct report *rep, bool dry_run);
/* Only exclude_domains: [owners] (check's preview): the owners read, the colleagues dropped. */
enum hs_result assoc_exclude_owners(struct hs_client *c, const struct mapping *map,
				    struct meeting **ms, size_t n, struct report *rep);

/*
 * One updated meeting for assoc_sync(). Both lists are arrays in the format of
 * meeting_associations_json() ([{"to":{"id"},"types":[{"associationCategory",
 * "associationTypeId"}]}]): `old_assocs` is what was sent last time, as kept
 * in the state (cJSON_Parse the stored text; NULL when nothing was stored),
 * `new_assocs` is meeting_associations_json() of this run's resolved meeting.
 */
struct assoc_change {
	const char *meeting_id; /* the meeting's HubSpot id */
	const cJSON *old_assocs; /* borrowed; NULL: none */
	const cJSON *new_assocs; /* borrowed; NULL: none */
	/* out */
	bool failed; /* some change was not confirmed: keep the old list, retry later */
	int added, removed; /* associations created / archived */
};

/*
 * Make HubSpot's associations of updated meetings follow their attendees:
 * every (type, id) in new and not in old is created with
 * POST associations (routes.h) meetings/{contacts|companies|deals|tickets}/batch/create
 * (HUBSPOT_DEFINED type 200/188/212/226), every one in old and not in new is
 * removed with .../batch/archive; at most 100 associations a request, creates
 * before archives. Associations somebody added in HubSpot by hand are never in
 * `old`, so they are never removed. Both calls are idempotent and retried.
 * A request HubSpot refuses (4xx) marks the changes it carried `failed`; a
 * 207 marks those its errors name (context fromObjectId / toObjectId, else
 * all of the request's); a warning is printed. Store the new list only for
 * the changes not failed, so that the next run tries the others again. Returns HS_OK, or HS_AUTH,
 * HS_DAILY_LIMIT, HS_FAILED: stop the run (the changes not sent are marked failed).
 */
enum hs_result assoc_sync(struct hs_client *c, struct assoc_change *changes, size_t n);

/* ---- pure parts and test hooks ------------------------------------------------------------ */

/* A case-insensitive (ASCII) string → string map; keys and values are copied. */
struct assoc_map_entry {
	char *key;
	char *val; /* may be NULL */
};
struct assoc_map {
	struct assoc_map_entry *v; /* open addressing; key NULL = free slot */
	size_t cap, n;
};
void assoc_map_init(struct assoc_map *m);
void assoc_map_release(struct assoc_map *m);
/* Insert `key` unless present; true when it was new. Never replaces the value. */
bool assoc_map_add(struct assoc_map *m, const char *key, const char *val);
/* The entry for `key`, or NULL. */
struct assoc_map_entry *assoc_map_find(const struct assoc_map *m, const char *key);

/*
 * First and last name from an attendee's CN: "Doe, John" → John / Doe,
 * "John Doe" → John / Doe, "Mary Ann Smith" → Mary Ann / Smith, "Cher" →
 * Cher / NULL; quotes and a trailing "(External)" are dropped; a CN that is
 * an e-mail (or empty, or NULL) gives NULL / NULL. *first and *last are new
 * strings or NULL.
 */
void assoc_split_name(const char *cn, char **first, char **last);

/* The contacts batch/read body for emails[0..n) (n ≤ 100). */
cJSON *assoc_contacts_read_body(char *const *emails, size_t n);
/* The contacts batch/upsert body; names[i] may be NULL (and names itself). */
cJSON *assoc_contacts_upsert_body(char *const *emails, char *const *names, size_t n);
/*
 * Put the results of a contacts batch/read or batch/upsert answer (200 or 207)
 * into `found` (e-mail → id, first answer wins). Returns how many results
 * were used; the e-mails of the grouped OBJECT_NOT_FOUND error (context.ids)
 * are added to `missing` when it is not NULL.
 */
size_t assoc_parse_contacts(const cJSON *body, struct assoc_map *found, struct assoc_map *missing);
/*
 * One GET owners (routes.h) page into `owners` (e-mail → owner id). *after is
 * set to a new string (paging.next.after) or NULL on the last page.
 * Returns the number of owners on the page, -1 when the body is not a page.
 */
int assoc_parse_owners_page(const cJSON *body, struct assoc_map *owners, char **after);
/* The companies search body for domains[0..n) (n ≤ 100), from paging cursor `after`. */
cJSON *assoc_companies_search_body(char *const *domains, size_t n, const char *after);
/*
 * One companies search page into `companies` (domain → lowest company id).
 * *after as for owners. Returns the number of results, -1 when malformed.
 */
int assoc_parse_companies_page(const cJSON *body, struct assoc_map *companies, char **after);

/* One association: kind and record id. */
struct assoc_pair {
	enum assoc_kind kind;
	const char *id; /* borrowed from the JSON it was read from */
};
/*
 * The differences between two association arrays (meeting_associations_json()
 * format): *add gets the pairs of `new_assocs` missing from `old_assocs`, *del
 * the pairs of `old_assocs` missing from `new_assocs` (arrays to free(); ids
 * borrowed from the JSON). Entries with an unknown type id are ignored.
 */
void assoc_diff(const cJSON *old_assocs, const cJSON *new_assocs, struct assoc_pair **add,
		size_t *nadd, struct assoc_pair **del, size_t *ndel);

/* What assoc_resolve() takes from the mapping. */
struct assoc_config {
	bool create_missing;
	const char *owner_property; /* NULL: no owner */
	bool companies;
	bool contacts_exclude_owners; /* exclude_domains: [owners] in contacts */
	bool companies_exclude_owners; /* ... in companies */
	bool dry_run; /* look-ups only: missing contacts get a stand-in id "new:EMAIL" */
};
/* The transport: hs_call() in production, a fake HubSpot in unit tests. */
struct assoc_io {
	enum hs_result (*call)(void *ctx, const char *method, const char *path, const cJSON *body,
			       bool idempotent, struct hs_response *resp);
	void *ctx;
};
/* assoc_resolve() and assoc_sync() over another transport and configuration. */
enum hs_result assoc_resolve_io(const struct assoc_io *io, const struct assoc_config *cfg,
				struct meeting **ms, size_t n, struct report *rep);
enum hs_result assoc_sync_io(const struct assoc_io *io, struct assoc_change *changes, size_t n);

#endif
