/* fuzz.h: shared by the libFuzzer targets in tests/fuzz/ (see tests/fuzz/README.md). */
#ifndef FUZZ_H
#define FUZZ_H

#include "meeting.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path that reads back data[0..size) (a memfd reused between inputs). */
const char *fuzz_file(const uint8_t *data, size_t size);
/* A fixed occurrence with every field set, for mapping and template targets. */
const struct occurrence *fuzz_occurrence(void);

#endif
