/*
 * include/centra/options.h
 *     Naming a command-line option getopt_long refused, the same way in
 *     every program: as written up to any "=value" (a value, perhaps a
 *     secret, is never echoed), or "-x" for a short option, which may sit
 *     inside a cluster such as "-vx".
 */
#ifndef CENTRA_OPTIONS_H
#define CENTRA_OPTIONS_H

#include <stddef.h>

#include "centra/error.h"

/*
 * The refused option's name into buf; at is optind before the getopt_long
 * call that refused it.  Returns buf.
 */
const char *option_name(int argc, char **argv, int at, char *buf, size_t size);

/*
 * The message for the option refused with getopt_rc ('?' or ':'), e.g.
 * option "--orders" requires a value.  Returns buf.
 */
const char *option_error(int argc, char **argv, int at, int getopt_rc, char *buf, size_t size);

/*
 * Print a usage error to stderr the way PostgreSQL's programs do:
 * "PROG: error: ...", then its detail and hint lines when it has them,
 * each redacted as log lines are (log_redact).
 */
void usage_error_print(const char *prog, const Error *err);

#endif /* CENTRA_OPTIONS_H */
