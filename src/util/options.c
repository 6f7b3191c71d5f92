/*
 * src/util/options.c
 *     Messages for refused command-line options (see options.h).
 */
#include "centra/options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/log.h"
#include "centra/strutil.h"

static const char *
option_arg(int argc, char **argv, int at)
{
    return at >= 1 && at < argc ? argv[at] : "";
}

const char *
option_name(int argc, char **argv, int at, char *buf, size_t size)
{
    const char *arg = option_arg(argc, argv, at);

    if (str_starts_with(arg, "--"))
        snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(buf, size, "-%c", optopt != 0 ? optopt : '?');
    return buf;
}

const char *
option_error(int argc, char **argv, int at, int getopt_rc, char *buf, size_t size)
{
    const char *arg = option_arg(argc, argv, at);
    char name[128];

    option_name(argc, argv, at, name, sizeof(name));
    if (getopt_rc == ':')
        snprintf(buf, size, "option \"%s\" requires a value", name);
    else if (str_starts_with(arg, "--") && strchr(arg, '=') != NULL && optopt != 0)
        snprintf(buf, size, "option \"%s\" does not take a value", name);
    else
        snprintf(buf, size, "unrecognized option \"%s\"", name);
    return buf;
}

/* The line "PROG: LABEL: text", redacted as the log is. */
static void
print_line(const char *prog, const char *label, const char *text)
{
    char *red = log_redact(text);

    fprintf(stderr, "%s: %s: %s\n", prog, label, red);
    xfree(red);
}

void
usage_error_print(const char *prog, const Error *err)
{
    /* An argument quoted back may be a URL with its password (found in a CLI audit). */
    print_line(prog, "error", err->message);
    if (err->detail[0] != '\0')
        print_line(prog, "detail", err->detail);
    if (err->hint[0] != '\0')
        print_line(prog, "hint", err->hint);
}
