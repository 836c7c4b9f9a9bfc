/* t-claims: the claims value (claims.h): a sorted set of calendar claim ids. */
#include "claims.h"
#include "util.h"

#include "test.h"

#include <stdlib.h>
#include <string.h>

static void check_add(const char *value, const char *id, const char *want)
{
	char *got = claims_add(value, id);

	CHECK_STR(got, want);
	free(got);
}

static void check_remove(const char *value, const char *id, const char *want)
{
	char *got = claims_remove(value, id);

	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	char *a = claims_id("alice.ics"), *b = claims_id("bob.ics"), *a2 = claims_id("alice.ics");

	/* One id per calendar: 16 hex digits, stable, distinct for distinct calendars. */
	CHECK_INT(strlen(a), 16);
	CHECK_STR(a, a2);
	CHECK(strcmp(a, b) != 0);
	CHECK(strspn(a, "0123456789abcdef") == 16);

	check_add(NULL, "b1", "b1");
	check_add("", "b1", "b1");
	check_add("c3", "a1", "a1;c3");
	check_add("a1;c3", "b2", "a1;b2;c3");
	check_add("a1;c3", "a1", "a1;c3"); /* a set: no duplicate */
	check_add(" c3 ;; a1;", "b2", "a1;b2;c3"); /* hand-edited: spaces, empty parts */
	check_add("c3;a1;c3", "z", "a1;c3;z");
	check_remove("a1;b2;c3", "b2", "a1;c3");
	check_remove("a1", "a1", "");
	check_remove(NULL, "a1", "");
	check_remove("a1;c3", "zz", "a1;c3");

	CHECK(claims_others("a1;b2", "a1"));
	CHECK(!claims_others("a1", "a1"));
	CHECK(!claims_others("", "a1"));
	CHECK(!claims_others(NULL, "a1"));
	CHECK(claims_others("b2", "a1"));
	CHECK(claims_has("a1;b2", "b2"));
	CHECK(!claims_has("a1;b2", "b"));
	CHECK(!claims_has(NULL, "b"));
	free(a);
	free(b);
	free(a2);
	return TEST_DONE();
}
