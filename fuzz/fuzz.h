/*
 * fuzz/fuzz.h
 *     What the fuzz targets share: libFuzzer's entry point, quiet logging,
 *     and a well-formedness check of XML the code under test wrote.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput.  Built with
 * -DENABLE_FUZZING=ON it links libFuzzer's main; in the normal build it
 * links fuzz/standalone.c instead, which runs it over files given on the
 * command line (the seed corpus, as a unit test).  A finding calls
 * fuzz_fail, which aborts so both drivers report it.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "centra/attrs.h"

/* libFuzzer's entry point: one input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Once per process: log errors only (nothing else is written per input). */
void fuzz_init(void);

/* Report a broken invariant on stderr and abort. */
CB_NORETURN void fuzz_fail(const char *fmt, ...) CB_PRINTF(1, 2);

/*
 * Whether len bytes of text are a well-formed XML document (namespaces
 * processed, so an undeclared prefix fails); *why receives expat's message.
 */
bool fuzz_xml_well_formed(const char *text, size_t len, const char **why);

#endif /* FUZZ_FUZZ_H */
