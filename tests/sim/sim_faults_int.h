/*
 * tests/sim/sim_faults_int.h
 *     Faults centra-sim injects on purpose, for the tests of its clients.
 *
 * A fault fires for the next N matching requests ("count") or for each
 * matching request with a probability ("rate", drawn from a PRNG seeded by
 * --seed, so runs repeat).  Set with --fault KIND[:key=value]... or at run
 * time with POST /_sim/faults?kind=...&key=value.
 */
#ifndef TESTS_SIM_SIM_FAULTS_INT_H
#define TESTS_SIM_SIM_FAULTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "centra/dynbuf.h"
#include "centra/error.h"

typedef enum SimFaultKind {
    FAULT_HTTP_500,   /* HTTP 500 with an HTML body */
    FAULT_HTTP_503,   /* HTTP 503 */
    FAULT_HTTP_429,   /* HTTP 429 with Retry-After (retry_after seconds, default 1) */
    FAULT_SOAP_FAULT, /* HTTP 500 with a SOAP Fault (faultcode SOAP-ENV:Server) */
    FAULT_DELAY,      /* answer after ms milliseconds (default 1000) */
    FAULT_DROP,       /* send half the body, then close the connection (chunked) */
    FAULT_TRUNCATE,   /* announce the full Content-Length, send half, close */
    FAULT_MALFORMED,  /* events_Get: one order event carries the guide's typo */
    FAULT_CTRLCHAR,   /* events_Get: one event has a control character in a text field */
    FAULT_REPEAT,     /* events_Get: the last acknowledged event comes again */
    FAULT_SLOW_DONE,  /* events_Done: applied at once, answered after ms (default 2000) */
    FAULT_HUGE,       /* events_Get: a streamed body of bytes (default 1 GiB), never closed */
    FAULT_ENDLESS,    /* headers and the start of the body, then nothing for ms (default 1 h) */
    FAULT_HTML_200,   /* HTTP 200 with an HTML maintenance page, as from a proxy */
    FAULT_REFUSE,     /* updates: refused as a whole (success false, an error and a notice) */
    FAULT_TWICE, /* events_Get: the first event of the answer comes twice, one after the other */
    FAULT_ACCEPTED_ERRORS, /* updates: applied, answered success true with one error */
    FAULT_KIND_COUNT_
} SimFaultKind;

typedef struct SimFault {
    SimFaultKind kind; /* what happens */
    long remaining;    /* requests left to hit; -1 when a rate is set */
    double rate;       /* probability per matching request, when remaining is -1 */
    long param;        /* ms (delay, slow_done, endless), seconds (retry_after), bytes (huge) */
    char op[64];       /* only this operation; "" for any */
    long fired;        /* how often it fired */
} SimFault;

#define SIM_MAX_FAULTS 32

/* huge: the default body and the largest one (bytes=N). */
#define SIM_HUGE_DEFAULT (1024L * 1024 * 1024)
#define SIM_HUGE_MAX     (1024L * 1024 * 1024 * 1024)

typedef struct SimFaults {
    SimFault list[SIM_MAX_FAULTS]; /* active faults */
    size_t n;                      /* number of them */
    uint64_t rng;                  /* rate draws */
} SimFaults;

/* Name of a kind, e.g. "http_503". */
const char *sim_fault_name(SimFaultKind kind);

/*
 * Parse "KIND[:count=N][:rate=R][:ms=N][:retry_after=S][:bytes=N][:op=NAME]" into out.
 * Without count or rate the fault fires once.  ERR_USAGE on a bad spec.
 */
ErrKind sim_fault_parse(const char *spec, SimFault *out, Error *err);

/* Add a fault (ERR_USAGE when full). */
ErrKind sim_faults_add(SimFaults *f, const SimFault *fault, Error *err);

/* Remove every fault. */
void sim_faults_clear(SimFaults *f);

/*
 * Whether a fault of kind fires for operation op now; consumes one of its
 * count.  *param (may be NULL) gets its parameter.
 */
bool sim_faults_fire(SimFaults *f, SimFaultKind kind, const char *op, long *param);

/* The active faults as a JSON array. */
void sim_faults_json(const SimFaults *f, DynBuf *out);

#endif /* TESTS_SIM_SIM_FAULTS_INT_H */
