/* claims: which calendars claim a meeting, recorded in HubSpot itself. */
#ifndef CLAIMS_H
#define CLAIMS_H

/*
 * Alice and Bob sync their own calendars, each with a state of their own, into
 * one portal; an invitation they share is one meeting (the second run adopts
 * it). Each calendar that holds a meeting names itself in the meeting's
 * property CLAIMS_PROPERTY (created by `setup`): ';'-separated claim ids,
 * sorted. A calendar that drops the event detaches itself; the meeting is
 * archived (or cancelled) only when no other calendar claims it. A meeting
 * whose claims are empty (created before claims, or by --no-state) is
 * archived as before. There is no compare-and-set in HubSpot: two runs
 * changing one meeting's claims at the same moment can lose one change
 * (docs/state.md).
 */

#include "hubspot.h"

#include <stdbool.h>
#include <stddef.h>

#define CLAIMS_PROPERTY "ics2hubspot_claims"

/*
 * A calendar's claim id: 16 hex digits from its identity in the state (its
 * --name, else its source as the state names it). Not from the state itself:
 * a state lost and made again keeps its calendars' claims, and two people's
 * calendars differ by name, path or feed address.
 */
char *claims_id(const char *calendar);

/* Pure set operations on a claims value (NULL or "" is the empty set); results are new strings. */
char *claims_add(const char *value, const char *id);
char *claims_remove(const char *value, const char *id);
/* Does the value name a claim other than `id`? */
bool claims_others(const char *value, const char *id);
bool claims_has(const char *value, const char *id);

/* What to do with a meeting its calendar dropped. */
enum claims_verdict {
	CLAIMS_REMOVE, /* no other calendar claims it (or it is gone): archive or cancel it */
	CLAIMS_DETACHED, /* another calendar claims it: this calendar's claim was taken off */
	CLAIMS_UNKNOWN, /* its claims could not be read or written: leave it for a later run */
};

/*
 * Before removing meetings ids[0..n) for the calendars mine[0..n) (the claim
 * id of the calendar that dropped each; NULL: none): read their claims
 * (batch/read); a meeting another calendar still claims is detached (its
 * claims without mine[i]) instead of removed. verdict[i] says which. Returns
 * HS_OK, or why the run must stop (the verdicts not reached are
 * CLAIMS_UNKNOWN).
 */
enum hs_result claims_before_removal(struct hs_client *c, char *const *ids, const char *const *mine,
				     size_t n, enum claims_verdict *verdict);

/*
 * Meetings ids[0..n) found in HubSpot and adopted by the calendars
 * mine[0..n): add each claim where it is missing (one read, one update per
 * 100). Returns HS_OK, or why the run must stop; a claim not written is
 * written by a later adoption or update of the meeting.
 */
enum hs_result claims_attach(struct hs_client *c, char *const *ids, const char *const *mine,
			     size_t n);

#endif
