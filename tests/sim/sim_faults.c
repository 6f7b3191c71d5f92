/*
 * tests/sim/sim_faults.c
 *     Fault injection for centra-sim (see sim_faults_int.h).
 */
#include "sim_faults_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/json.h"
#include "centra/strutil.h"
#include "sim_update_int.h"

static const char *const fault_names[FAULT_KIND_COUNT_] = {
    "http_500", "http_503",  "http_429",      "soap_fault", "delay",          "drop",
    "truncate", "malformed", "invalid_chars", "repeat",     "slow_done",      "huge",
    "endless",  "html_200",  "refuse",        "twice",      "accepted_errors"};

const char *
sim_fault_name(SimFaultKind kind)
{
    return (unsigned)kind < FAULT_KIND_COUNT_ ? fault_names[kind] : "unknown";
}

static long
default_param(SimFaultKind kind)
{
    switch (kind) {
    case FAULT_DELAY:
        return 1000;
    case FAULT_SLOW_DONE:
        return 2000;
    case FAULT_HTTP_429:
        return 1;
    case FAULT_HUGE:
        return SIM_HUGE_DEFAULT;
    case FAULT_ENDLESS:
        return 3600000;
    default:
        return 0;
    }
}

ErrKind
sim_fault_parse(const char *spec, SimFault *out, Error *err)
{
    char buf[256];
    char *save = NULL;
    char *part;
    bool first = true;
    bool have_count = false;
    bool have_rate = false;
    char names[512];

    memset(out, 0, sizeof(*out));
    out->remaining = 1;
    if (strlen(spec) >= sizeof(buf))
        return err_set(err, ERR_USAGE, "fault specification too long");
    snprintf(buf, sizeof(buf), "%s", spec);
    for (part = strtok_r(buf, ":", &save); part != NULL; part = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(part, '=');
        long long v;

        if (first) {
            size_t k;

            for (k = 0; k < FAULT_KIND_COUNT_ && strcmp(part, fault_names[k]) != 0; k++)
                ;
            if (k == FAULT_KIND_COUNT_) {
                str_join_quoted(fault_names, FAULT_KIND_COUNT_, names, sizeof(names));
                err_set(err, ERR_USAGE, "unknown fault \"%s\"", part);
                err_detail(err, "Faults are %s.", names);
                return ERR_USAGE;
            }
            out->kind = (SimFaultKind)k;
            out->param = default_param(out->kind);
            first = false;
            continue;
        }
        if (eq == NULL)
            return err_set(err, ERR_USAGE, "fault option \"%s\" needs a value (key=value)", part);
        *eq++ = '\0';
        if ((strcmp(part, "count") == 0 && have_rate) || (strcmp(part, "rate") == 0 && have_count))
            return err_set(err, ERR_USAGE, "a fault takes count or rate, not both");
        if ((strcmp(part, "ms") == 0 && out->kind != FAULT_DELAY && out->kind != FAULT_SLOW_DONE &&
             out->kind != FAULT_ENDLESS) ||
            (strcmp(part, "retry_after") == 0 && out->kind != FAULT_HTTP_429) ||
            (strcmp(part, "bytes") == 0 && out->kind != FAULT_HUGE))
            return err_set(err, ERR_USAGE,
                           "fault %s takes no %s (ms is for delay, slow_done and endless, "
                           "retry_after for http_429, bytes for huge)",
                           fault_names[out->kind], part);
        if (strcmp(part, "count") == 0 && str_to_ll(eq, &v) && v > 0 && v <= 1000000000) {
            out->remaining = (long)v;
            have_count = true;
        } else if (strcmp(part, "rate") == 0) {
            char *end;
            double r = strtod(eq, &end);

            /* Written so that NaN fails too: "nan" parses, and would fire every time. */
            if (*end != '\0' || !(r > 0 && r <= 1))
                return err_set(err, ERR_USAGE, "fault rate \"%s\" is not in (0, 1]", eq);
            out->rate = r;
            out->remaining = -1;
            have_rate = true;
        } else if ((strcmp(part, "ms") == 0 || strcmp(part, "retry_after") == 0) &&
                   str_to_ll(eq, &v) && v >= 0 && v <= 3600000) {
            out->param = (long)v;
        } else if (strcmp(part, "bytes") == 0 && str_to_ll(eq, &v) && v > 0 && v <= SIM_HUGE_MAX) {
            out->param = (long)v;
        } else if (strcmp(part, "op") == 0) {
            if (!sim_operation_known(eq))
                return err_set(err, ERR_USAGE, "unknown operation \"%.64s\" in a fault", eq);
            /* Requests are matched by operation: the guide's request element is events_Get. */
            snprintf(out->op, sizeof(out->op), "%s",
                     strcmp(eq, "events_GetRequest") == 0 ? "events_Get" : eq);
        } else {
            return err_set(err, ERR_USAGE, "invalid fault option \"%s=%s\"", part, eq);
        }
    }
    if (first)
        return err_set(err, ERR_USAGE, "empty fault specification");
    return ERR_OK;
}

ErrKind
sim_faults_add(SimFaults *f, const SimFault *fault, Error *err)
{
    if (f->n == SIM_MAX_FAULTS)
        return err_set(err, ERR_USAGE, "at most %d faults can be active", SIM_MAX_FAULTS);
    f->list[f->n++] = *fault;
    return ERR_OK;
}

void
sim_faults_clear(SimFaults *f)
{
    f->n = 0;
}

static double
draw(SimFaults *f)
{
    uint64_t z = (f->rng += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

bool
sim_faults_fire(SimFaults *f, SimFaultKind kind, const char *op, long *param)
{
    for (size_t i = 0; i < f->n; i++) {
        SimFault *x = &f->list[i];

        if (x->kind != kind || (x->op[0] != '\0' && strcmp(x->op, op) != 0))
            continue;
        if (x->remaining == 0)
            continue;
        if (x->remaining < 0 && draw(f) >= x->rate)
            continue;
        if (x->remaining > 0)
            x->remaining--;
        x->fired++;
        if (param != NULL)
            *param = x->param;
        return true;
    }
    return false;
}

void
sim_faults_json(const SimFaults *f, DynBuf *out)
{
    dynbuf_addc(out, '[');
    for (size_t i = 0; i < f->n; i++) {
        const SimFault *x = &f->list[i];

        dynbuf_addf(out, "%s{\"kind\":\"%s\",", i > 0 ? "," : "", sim_fault_name(x->kind));
        if (x->remaining >= 0)
            dynbuf_addf(out, "\"remaining\":%ld,", x->remaining);
        else
            dynbuf_addf(out, "\"rate\":%g,", x->rate);
        dynbuf_addf(out, "\"param\":%ld,\"fired\":%ld,\"op\":", x->param, x->fired);
        if (json_append_string(out, x->op) != ERR_OK)
            return;
        dynbuf_addc(out, '}');
    }
    dynbuf_addc(out, ']');
}
