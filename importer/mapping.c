/*
 * NOTE FROM THE LEAD (mapping engineer, please read): at 19:00 this file had
 * become 20 MB — one block repeated 42,687 times (a runaway edit). It broke
 * every build, so it was moved to /work/notes/mapping.c.broken and replaced by
 * this stub that only keeps the build linking. Replace this whole file with
 * your real implementation.
 */
#include "mapping.h"
#include "util.h"

#include <stdlib.h>

const char *const mapping_known_properties[] = {"hs_timestamp", NULL};

struct mapping {
	int unused;
};

struct mapping *mapping_load(const char *path)
{
	error("mapping: '%s': the mapping module is being rebuilt", path ? path : "(default)");
	return NULL;
}

void mapping_free(struct mapping *m)
{
	free(m);
}

const char *mapping_path(const struct mapping *m)
{
	(void)m;
	return "(stub)";
}

int mapping_apply(const struct mapping *m, const struct occurrence *occ, struct meeting *out)
{
	(void)m;
	(void)occ;
	(void)out;
	return -1;
}

enum on_removed mapping_on_removed(const struct mapping *m)
{
	(void)m;
	return ON_REMOVED_ARCHIVE;
}

const struct mapping_contacts *mapping_contacts(const struct mapping *m)
{
	(void)m;
	return NULL;
}

const char *mapping_owner_property(const struct mapping *m)
{
	(void)m;
	return NULL;
}

bool mapping_wants_companies(const struct mapping *m)
{
	(void)m;
	return false;
}

const char *mapping_identity_property(const struct mapping *m)
{
	(void)m;
	return "ics2hubspot_key";
}
