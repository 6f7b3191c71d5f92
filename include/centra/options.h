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

#endif /* CENTRA_OPTIONS_H */
