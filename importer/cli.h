/* cli: the command line — one option table per command, value checks, help. */
#ifndef CLI_H
#define CLI_H

#include "app.h"

#include <stdio.h>

typedef int (*cli_command_fn)(const struct app_options *o);

/*
 * Parse argv into *o (initialised here) and pick the command. The command
 * word is checked first ("did you mean"), then each option against that
 * command's table, then every option value (dates, zones, numbers, output
 * paths), so nothing runs on a bad command line.
 * Returns -1 when the command should run (*run set), else the exit code to
 * end with: 0 after help or --version, EXIT_USAGE after a usage error
 * (message printed). Call cli_release() in both cases.
 */
int cli_parse(int argc, char **argv, struct app_options *o, cli_command_fn *run);
void cli_release(struct app_options *o);

/*
 * The candidate closest to `word` (at most two edits, or a prefix of it), or
 * NULL: the "did you mean" of unknown commands and options.
 */
const char *cli_suggest(const char *word, const char *const *candidates, size_t n);

/* `ics2hubspot help [COMMAND [SUBCOMMAND]]`: help on f; returns an exit code. */
int cli_help(FILE *f, const char *command, const char *sub);

#endif
