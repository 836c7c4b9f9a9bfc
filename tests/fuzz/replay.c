/*
 * replay.c: main() for a fuzz target built with the normal compiler (make test).
 * Feeds every file under the given directories (or files; by default the
 * target's seeds and past crash inputs) to
 * LLVMFuzzerTestOneInput once, without mutation, so that a seed or a past crash
 * input that crashes again, leaks or trips a sanitizer fails the suite.
 * Prints the unit-test summary line ("N passed, 0 failed").
 */
#include "fuzz.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replayed, unreadable;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf sb = SBUF_INIT;
	char buf[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: cannot open\n", path);
		unreadable++;
		return;
	}
	sbuf_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&sb, buf, n);
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
	sbuf_release(&sb);
	replayed++;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (stat(path, &st) < 0)
		return; /* a target may have no crash inputs yet */
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
			continue;
		XGROW(names, cap, n + 1);
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		replay_path(names[i]);
		free(names[i]);
	}
	free(names);
}

/* With no argument: tests/fuzz/seeds/TARGET and tests/fuzz/crashes/TARGET (run from the top). */
int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay_path(argv[i]);
	} else {
		replay_path("tests/fuzz/seeds/" FUZZ_TARGET);
		replay_path("tests/fuzz/crashes/" FUZZ_TARGET);
	}
	printf("tests/fuzz/fuzz_%s.c: %d passed, %d failed\n", FUZZ_TARGET, replayed, unreadable);
	return unreadable || !replayed ? 1 : 0;
}
