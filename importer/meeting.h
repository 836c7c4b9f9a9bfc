/* meeting: the data model shared by every module — occurrences and mapped meetings. */
#ifndef MEETING_H
#define MEETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* One ATTENDEE or the ORGANIZER of an event. Strings may be NULL. */
struct attendee {
	char *email; /* normalised: no mailto:, trimmed, lower-case (email_normalize) */
	char *name; /* CN, unquoted */
	char *partstat; /* NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED (upper case) */
	char *role; /* REQ-PARTICIPANT, OPT-PARTICIPANT, NON-PARTICIPANT, CHAIR */
	char *cutype; /* INDIVIDUAL, GROUP, RESOURCE, ROOM, UNKNOWN */
};

/* An X- (or other unmodelled) property of the event, by upper-case name. */
struct xprop {
	char *name;
	char *value;
};

/*
 * One occurrence of an event, as the calendar means it: a single event, one
 * instance of a series (with its override applied), or an orphan override.
 *
 * Times: seconds since the epoch, UTC. For all-day occurrences (all_day) start
 * and end are midnight UTC of the calendar dates (days * 86400), end exclusive,
 * never shifted through a time zone.
 */
struct occurrence {
	char *uid; /* never NULL: a VEVENT without UID gets a synthetic one */
	bool has_recurrence_id; /* false for a non-recurring event */
	int64_t recurrence_id; /* original start of the instance (UTC; a date for all-day series) */
	bool recurrence_id_all_day;
	int64_t start;
	int64_t end;
	bool all_day;
	char *tz; /* zone the times were read in: IANA name, "UTC", or "floating:<zone>" */

	char *summary, *description, *location, *url, *conference_url;
	char *status; /* CONFIRMED, TENTATIVE or CANCELLED (upper case; CONFIRMED when absent) */
	char *class_; /* PUBLIC, PRIVATE, CONFIDENTIAL (PUBLIC when absent) */
	char *transp; /* OPAQUE or TRANSPARENT */
	char *busy_status; /* X-MICROSOFT-CDO-BUSYSTATUS: FREE, TENTATIVE, BUSY, OOF, or NULL */
	char *categories; /* comma-joined */
	int sequence;
	char *calendar_name; /* X-WR-CALNAME of the calendar */
	/* FREQ of the series' most frequent RRULE ("SECONDLY", "WEEKLY"...; static), or NULL */
	const char *freq;

	struct attendee organizer; /* organizer.email NULL when absent */
	struct attendee *attendees;
	size_t nattendees;
	struct xprop *x;
	size_t nx;

	char *source; /* calendar source as given (a path, "-", or a URL: redact before printing) */
	char *file; /* file name to show in messages (redacted for URLs) */
	int line; /* line of BEGIN:VEVENT that produced this occurrence */
	/*
	 * Set by the reader each time it fills an occurrence from a component: the
	 * occurrences of a series that share a non-zero fill differ only in
	 * recurrence_id, start, end, all_day and freq (occurrence_rest_json() is
	 * the same for all of them). 0: not known.
	 */
	uint64_t fill;
};

void occurrence_release(struct occurrence *o);
/* obj[name] = value as a JSON string, or null when value is NULL. */
void json_add_string_or_null(cJSON *obj, const char *name, const char *value);
void attendee_release(struct attendee *a);
/* Deep copy. */
void occurrence_copy(struct occurrence *dst, const struct occurrence *src);

/*
 * Identity of the occurrence in HubSpot and in the state: "UID" for a single
 * event, "UID#20240301T093000Z" (or "UID#20240301" for an all-day series) for
 * an instance. Independent of the calendar it came from, so the same meeting
 * seen in two calendars is one meeting.
 */
char *occurrence_key(const struct occurrence *o);
/* The value of X-property `name` (case-insensitive), or NULL. */
const char *occurrence_x(const struct occurrence *o, const char *name);
/* "2024-03-01T09:30:00Z", or "2024-03-01" for all-day; buf >= 21 bytes. */
void occurrence_format_time(const struct occurrence *o, int64_t t, char *buf, size_t n);
/*
 * The NDJSON object `expand` prints, in two parts: the members of
 * occurrence_head_json() (uid, recurrence_id, start, end, all_day), then those
 * of occurrence_rest_json() (summary, status, tz, source (file:line), and the
 * other fields), which depend only on o->fill when it is not 0. Both borrow
 * o's strings (no copies: `expand` prints one per occurrence): print and
 * delete them while o lives.
 */
cJSON *occurrence_head_json(const struct occurrence *o);
cJSON *occurrence_rest_json(const struct occurrence *o);

/* A planned association of a meeting. */
enum assoc_kind {
	ASSOC_CONTACT,
	ASSOC_COMPANY,
	ASSOC_DEAL,
	ASSOC_TICKET,
};

struct assoc {
	enum assoc_kind kind;
	char *id; /* HubSpot record id once resolved, else NULL */
	char *ref; /* what it was resolved from: an e-mail, a domain, or the static id */
};

/*
 * An occurrence mapped to a HubSpot meeting (mapping_apply), then resolved
 * (associations and owner filled in) and planned (sync).
 */
struct meeting {
	char *key; /* occurrence_key() */
	char *uid;
	char *recurrence_id; /* formatted, or NULL */
	char *start; /* formatted start, for reports */
	char *summary; /* for reports and previews (may be NULL) */
	char *source; /* calendar source as given */
	char *where; /* "file:line" for messages */
	bool cancelled;

	char *skip_reason; /* non-NULL: skipped by this rule ("filters.skip_private"...) */

	cJSON *properties; /* object: HubSpot meeting property -> string value */
	char *owner_email; /* organizer e-mail when the mapping asks for an owner, else NULL */
	char **contact_emails; /* attendees to associate as contacts (normalised) */
	size_t ncontact_emails;
	char **contact_names; /* CN of each contact_emails[i] (NULL when unknown), or NULL */
	char **company_domains; /* domains to associate as companies */
	size_t ncompany_domains;
	struct assoc *assocs; /* resolved and static associations */
	size_t nassocs;
};

void meeting_release(struct meeting *m);
/* Fill m->contact_names from the occurrence's attendees and organizer. */
void meeting_fill_contact_names(struct meeting *m, const struct occurrence *occ);
void meeting_add_assoc(struct meeting *m, enum assoc_kind kind, const char *id, const char *ref);
/* HUBSPOT_DEFINED association type id meeting -> kind (200, 188, 212, 226). */
int assoc_type_id(enum assoc_kind kind);
const char *assoc_kind_name(enum assoc_kind kind); /* "contact", "company", "deal", "ticket" */
int assoc_kind_parse(const char *name, enum assoc_kind *out);
/*
 * The `associations` array for a batch input (only resolved ones), sorted by
 * kind then id so that it hashes the same on every run.
 */
cJSON *meeting_associations_json(const struct meeting *m);
/* Content hash of the canonical payload (properties sorted + associations). */
uint64_t meeting_hash(const struct meeting *m);
/*
 * Does the meeting HubSpot holds (its `properties` object, as a search returns
 * it) carry every property of m with the same value? Missing and "" are alike;
 * date-times compare as instants (HubSpot renders "….000Z").
 */
bool meeting_same_properties(const struct meeting *m, const cJSON *remote);
/* Two date-times (ISO 8601 UTC, with or without milliseconds, or epoch ms) are one instant. */
bool meeting_same_instant(const char *a, const char *b);
/* objectWriteTraceId for this meeting: derived from the key, unique per key. */
char *meeting_trace_id(const struct meeting *m);

#endif
