/*
 * bare_parse FILE: the yardstick of `make bench` -- what libical alone costs.
 * Parses the whole file with icalparser_parse() and prints the number of VEVENTs.
 * Nothing is expanded, converted or printed per event.
 */
#include <libical/ical.h>
#include <stdio.h>

static char *read_line(char *s, size_t size, void *d)
{
	return fgets(s, (int)size, (FILE *)d);
}

static int count(icalcomponent *c)
{
	int n = icalcomponent_isa(c) == ICAL_VEVENT_COMPONENT;

	for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
	     k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		n += count(k);
	return n;
}

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
	icalparser *p = icalparser_new();
	icalcomponent *root;

	if (!f) {
		fprintf(stderr, "usage: bare_parse FILE.ics\n");
		return 2;
	}
	icalparser_set_gen_data(p, f);
	root = icalparser_parse(p, read_line);
	printf("%d\n", root ? count(root) : 0);
	icalcomponent_free(root);
	icalparser_free(p);
	fclose(f);
	return 0;
}
