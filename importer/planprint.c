/* planprint: a dry run's plan, one line per occurrence (nothing is sent). */
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The outcome a real run would report for plan item i (as the apply_* functions do). */
static enum outcome planned_outcome(const struct run *r, size_t i)
{
	const struct sync_item *it = &r->plan->items[i];

	switch (it->action) {
	case SYNC_CREATE:
		return OUTCOME_CREATED;
	case SYNC_UPDATE:
		return OUTCOME_UPDATED;
	case SYNC_REMOVE:
		return it->remove_mode == ON_REMOVED_ARCHIVE  ? OUTCOME_ARCHIVED
		       : it->remove_mode == ON_REMOVED_CANCEL ? OUTCOME_UPDATED
							      : OUTCOME_UNCHANGED;
	case SYNC_SKIP:
		return r->adopted && r->adopted[i] ? OUTCOME_ALREADY : OUTCOME_SKIPPED;
	case SYNC_UNCHANGED:
	case SYNC_MERGE:
		return OUTCOME_UNCHANGED;
	case SYNC_RESOLVE:
	default:
		return OUTCOME_PLANNED; /* known only once the look-up is made */
	}
}

/* --dry-run: the plan on stdout (stderr when --report - has stdout); every item into --report. */
void print_plan(struct run *r)
{
	const struct sync_plan *p = r->plan;
	struct sbuf sb = SBUF_INIT;
	FILE *f = r->o->report && !strcmp(r->o->report, "-") ? stderr : stdout;

	sync_plan_format_table(p, util_verbosity >= 2, &sb);
	fputs(sb.buf ? sb.buf : "", f);
	fflush(f);
	sbuf_release(&sb);
	for (size_t i = 0; i < p->nitems; i++) {
		const struct sync_item *it = &p->items[i];
		enum outcome out = planned_outcome(r, i);
		char action[24];

		if (it->action == SYNC_REMOVE)
			snprintf(action, sizeof(action), "remove:%s",
				 it->remove_mode == ON_REMOVED_ARCHIVE	? "archive"
				 : it->remove_mode == ON_REMOVED_CANCEL ? "cancel"
									: "keep");
		else
			snprintf(action, sizeof(action), "%s", sync_action_name(it->action));
		if (it->meeting)
			report_add(r->rep, it->meeting, out, it->hubspot_id, action, it->reason,
				   NULL);
		else
			report_add_key(r->rep, it->key, it->source, out, it->hubspot_id, action,
				       it->reason);
	}
}
