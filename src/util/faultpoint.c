/*
 * src/util/faultpoint.c
 *     The crash points of centra-bridge-faults (include/centra/faultpoint.h).
 *
 * Compiled only into the test-only library centra_core_faults, with
 * CB_FAULT_POINTS defined; the released centra-bridge has none of this.
 */
#include "centra/faultpoint.h"

#ifndef CB_FAULT_POINTS
#error "faultpoint.c belongs to centra-bridge-faults only: compile it with -DCB_FAULT_POINTS"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "centra/attrs.h"

#define FAULT_ENV "CB_FAULT_KILL"

/*
 * Every point, in the order of the paths.  A name used in CB_FAULT_POINT()
 * but missing here aborts at its first hit, so the table cannot fall behind.
 */
static const struct {
    const char *name;
    const char *where;
} points[] = {
    {"import.mid_parse", "an event of an events_Get answer was handed to the loader (its Nth)"},
    {"import.batch_received", "events_Get answered and parsed into the open COPY; nothing applied"},
    {"import.before_commit", "the batch applied to the staging tables, COMMIT not yet sent"},
    {"import.after_commit", "the batch committed, events_Done not yet sent"},
    {"import.after_done", "events_Done answered, done_at not yet written"},
    {"import.after_mark", "done_at written, before the next events_Get"},
    {"export.after_claim", "messages claimed (status sending, committed), nothing sent"},
    {"export.after_send", "Centra accepted a request, the outcome not yet recorded"},
    {"export.mid_bisect", "Centra refused a request of several items, before its halves"},
    {"export.after_record", "the outcome of a request committed, before the next request"},
};

typedef struct Target {
    int point; /* index into points */
    long nth;  /* the hit that kills */
} Target;

#define TARGET_MAX 16

static bool initialised;
static Target targets[TARGET_MAX];
static int ntargets;
static long hits[CB_LENGTH(points)];

static int
point_index(const char *name, size_t len)
{
    for (size_t i = 0; i < CB_LENGTH(points); i++)
        if (strlen(points[i].name) == len && strncmp(points[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Parse one NAME[:N] of len bytes into t; false (and a message) if it is not one. */
static bool
parse_target(const char *s, size_t len, Target *t, FILE *out)
{
    const char *colon = memchr(s, ':', len);
    size_t nlen = colon != NULL ? (size_t)(colon - s) : len;

    t->point = point_index(s, nlen);
    t->nth = 1;
    if (t->point < 0) {
        fprintf(out, "%s: unknown fault point \"%.*s\" (see --list-fault-points)\n", FAULT_ENV,
                (int)nlen, s);
        return false;
    }
    if (colon != NULL) {
        char num[32];
        char *end;
        size_t dlen = len - nlen - 1;

        if (dlen == 0 || dlen >= sizeof(num)) {
            fprintf(out, "%s: invalid hit count in \"%.*s\"\n", FAULT_ENV, (int)len, s);
            return false;
        }
        memcpy(num, colon + 1, dlen);
        num[dlen] = '\0';
        t->nth = strtol(num, &end, 10);
        if (*end != '\0' || t->nth < 1) {
            fprintf(out, "%s: invalid hit count in \"%.*s\" (a number from 1 up)\n", FAULT_ENV,
                    (int)len, s);
            return false;
        }
    }
    return true;
}

bool
faultpoint_init(FILE *out)
{
    const char *spec = getenv(FAULT_ENV);

    if (initialised)
        return true;
    initialised = true;
    ntargets = 0;
    while (spec != NULL && *spec != '\0') {
        const char *comma = strchr(spec, ',');
        size_t len = comma != NULL ? (size_t)(comma - spec) : strlen(spec);

        if (len > 0) {
            if (ntargets == TARGET_MAX) {
                fprintf(out, "%s: more than %d fault points\n", FAULT_ENV, TARGET_MAX);
                return false;
            }
            if (!parse_target(spec, len, &targets[ntargets], out))
                return false;
            ntargets++;
        }
        spec = comma != NULL ? comma + 1 : spec + len;
    }
    return true;
}

void
faultpoint_list(FILE *out)
{
    for (size_t i = 0; i < CB_LENGTH(points); i++)
        fprintf(out, "%s\t%s\n", points[i].name, points[i].where);
}

/* write(2) all of s: stdio may be buffered, and the process dies next. */
static void
say(const char *s)
{
    size_t len = strlen(s);

    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, s, len);

        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

void
faultpoint_hit(const char *name)
{
    int p = point_index(name, strlen(name));

    if (p < 0) {
        say("fault point \"");
        say(name);
        say("\" is not in the table of src/util/faultpoint.c\n");
        abort();
    }
    if (!initialised && !faultpoint_init(stderr))
        abort();
    hits[p]++;
    for (int i = 0; i < ntargets; i++) {
        if (targets[i].point == p && targets[i].nth == hits[p]) {
            say("fault point ");
            say(name);
            say(" reached: killing the process\n");
            (void)raise(SIGKILL);
        }
    }
}
