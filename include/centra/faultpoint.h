/*
 * include/centra/faultpoint.h
 *     Named crash points for the crash-safety tests (tests/integration/test_crash.sh).
 *
 * CB_FAULT_POINT("import.after_commit") marks a place where a crash must lose
 * nothing.  In the released binary the macro is ((void) 0): no code, no
 * string, no environment variable read.  Only the test-only executable
 * centra-bridge-faults is compiled with CB_FAULT_POINTS defined; there the
 * macro calls faultpoint_hit, which kills the process with SIGKILL at the
 * hit that CB_FAULT_KILL=NAME[:N][,NAME[:N]...] names (the Nth hit of NAME,
 * the first when N is left out), after writing "fault point NAME reached:
 * killing the process" to stderr.
 *
 * The names are a contract of the tests; the one list of them is the table
 * in src/util/faultpoint.c, printed by "centra-bridge-faults
 * --list-fault-points".  docs/development.md ("Crash-safety matrix") says
 * where each one is.
 */
#ifndef CENTRA_FAULTPOINT_H
#define CENTRA_FAULTPOINT_H

#ifdef CB_FAULT_POINTS

#include <stdbool.h>
#include <stdio.h>

/*
 * Read CB_FAULT_KILL.  Returns false, with a message written to out, when it
 * names a point not in the table or a count that is not a positive number.
 * Called once at the start of centra-bridge-faults; faultpoint_hit calls it
 * too if it was not.
 */
bool faultpoint_init(FILE *out);

/* Print every point to out, one a line: its name, a tab, where it is. */
void faultpoint_list(FILE *out);

/* A hit of the point name: SIGKILL if CB_FAULT_KILL says this is the one. */
void faultpoint_hit(const char *name);

#define CB_FAULT_POINT(name) faultpoint_hit(name)

#else

#define CB_FAULT_POINT(name) ((void)0)

#endif /* CB_FAULT_POINTS */

#endif /* CENTRA_FAULTPOINT_H */
