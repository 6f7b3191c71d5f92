/*
 * tests/fakes/fake_libpq.h
 *     A scripted stand-in for libpq, linked into unit tests instead of the
 *     real library (STYLE.md item 10, after pgBackRest's harness/pq).
 *
 * A test sets a script of steps; each connection attempt and each statement
 * sent consumes the next step, and any call the script does not expect fails
 * the test.  fake_pq_verify checks that the script was used up, every
 * PGresult was cleared and every connection finished.
 */
#ifndef TESTS_FAKES_FAKE_LIBPQ_H
#define TESTS_FAKES_FAKE_LIBPQ_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#define FAKE_MAX_RESULTS 4
#define FAKE_MAX_VALUES  32

typedef enum FakeStepKind {
    FAKE_CONNECT, /* a PQconnectdbParams call */
    FAKE_SEND     /* a PQsend* call and the results it yields */
} FakeStepKind;

typedef struct FakeResult {
    ExecStatusType status; /* e.g. PGRES_TUPLES_OK, PGRES_FATAL_ERROR */
    const char *sqlstate;  /* error fields ('C', 'M', 'D', 'H', 'P') */
    const char *message;
    const char *detail;
    const char *hint;
    const char *position;
    int nrows;                           /* rows of values */
    int ncols;                           /* columns of values */
    const char *values[FAKE_MAX_VALUES]; /* row-major; NULL is SQL NULL */
    const char *cmd_tuples;              /* PQcmdTuples */
    const char *cmd_status;              /* PQcmdStatus; NULL: "COMMIT" for COMMIT */
    const char *severity;                /* PG_DIAG_SEVERITY_NONLOCALIZED */
    int copy_rows;                       /* PGRES_COPY_OUT: rows PQgetCopyData yields */
} FakeResult;

typedef struct FakeStep {
    FakeStepKind kind;
    /* FAKE_CONNECT */
    bool connect_ok;     /* the attempt succeeds */
    const char *error;   /* PQerrorMessage when it does not */
    bool needs_password; /* PQconnectionNeedsPassword */
    /* FAKE_SEND */
    const char *send; /* "query", "params", "prepare" or "prepared"; NULL = any */
    const char *sql;  /* expected SQL (statement name for "prepared"); NULL = any */
    int nresults;     /* results PQgetResult returns, then NULL */
    FakeResult results[FAKE_MAX_RESULTS];
    bool hang;              /* busy until cancelled; then a 57014 error */
    bool ignore_cancel;     /* with hang: a cancel changes nothing */
    bool drop;              /* the connection dies while waiting for the result */
    const char *send_fails; /* PQsend* returns 0 with this PQerrorMessage */
    const char *notice;     /* a NOTICE the server sends before the results */
} FakeStep;

/* Start a script (the array must outlive its use).  Resets all counters. */
void fake_pq_script(const FakeStep *steps, size_t n);

/* Fail the test unless the script was used up and nothing leaked. */
void fake_pq_verify(void);

/* Number of PQcancel calls since the script started. */
int fake_pq_cancels(void);

/* Parameter i of the last statement sent (NULL if none). */
const char *fake_pq_last_param(int i);

/* Keyword i (in order) of the last connection attempt, and its value. */
const char *fake_pq_connect_keyword(int i);
const char *fake_pq_connect_value(const char *keyword);

/* The SQL of the last PQexec (the session settings after connecting); *calls (may be NULL)
   gets how many there were since the script started. */
const char *fake_pq_session_sql(int *calls);

#endif /* TESTS_FAKES_FAKE_LIBPQ_H */
