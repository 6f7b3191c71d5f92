/*
 * include/centra/runs.h
 *     centra.runs: one row per command run, with its counts and outcome.
 */
#ifndef CENTRA_RUNS_H
#define CENTRA_RUNS_H

#include <stdbool.h>

#include "centra/attrs.h"
#include "centra/db.h"
#include "centra/error.h"

/* The counts centra.runs keeps; a command fills those it has. */
typedef struct RunCounts {
    int batches;             /* events_Get batches committed, or update requests sent */
    int events_received;     /* events received */
    int events_applied;      /* applied to the order tables */
    int events_stale;        /* older than the stored state */
    int events_unhandled;    /* other types */
    int events_duplicate;    /* already stored */
    int events_quarantined;  /* quarantined */
    int events_acknowledged; /* confirmed by events_Done */
    int messages_sent;       /* outbox messages Centra accepted */
    int messages_failed;     /* outbox messages that failed for good */
    int messages_retried;    /* sends of outbox messages that failed transiently */
} RunCounts;

/*
 * What a running command shows its supervisor (the daemon's "run" process
 * reads it from shared memory for its metrics and /healthz).  Times are Unix
 * seconds; 0 means never.
 */
typedef struct RunLive {
    RunCounts counts;                  /* as last written to centra.runs */
    long long started_at;              /* when the run began */
    long long last_ok_at;              /* the last step that succeeded */
    long long last_error_at;           /* the last error that interrupted the work */
    long long failing_since;           /* the first error after the last success */
    unsigned long long seq;            /* counts successes and errors, in order */
    unsigned long long last_ok_seq;    /* seq of the last success, */
    unsigned long long last_error_seq; /* and of the last error: which came last, exactly */
    int errors;                        /* such errors */
    char last_error[256];              /* the message of the last one */
} RunLive;

/* Whether live's last error came after its last success (/healthz: 503). */
bool runs_live_failing(const RunLive *live);

/* Mirror runs_begin, runs_update and runs_note_error into live from now on (NULL: stop). */
void runs_set_live(RunLive *live);

/*
 * Record an error the command survives (it waits and tries again) for the
 * supervisor.  While live is set, each failed attempt that the database or
 * SOAP client retries is recorded too (backoff_note_retry).
 */
void runs_note_error(const Error *e);

/* Add the counts of c to t. */
void runs_add_counts(RunCounts *t, const RunCounts *c);

/*
 * Insert the row of a new run of command (host, pid, version, log id); *run_id
 * its id.  First checks that the schema is this binary's (migrate_check_current):
 * ERR_DB_SCHEMA or ERR_MIGRATION, saying to run migrate, before any write.
 */
ErrKind runs_begin(DbConn *db, const char *command, long long *run_id, Error *err) CB_MUSTCHECK;

/*
 * Whether the process of a run of this host is gone: 1 certainly (no process
 * has its pid, or the one that has it started after the run did: a pid used
 * again, as in a container started again; or a zombie), 0 it runs, -1 cannot
 * be told.
 * started and db_now are the run's started_at and the database's now(), in
 * seconds since the epoch (the clocks of the two machines may differ).
 */
int runs_process_gone(long pid, long long started, long long db_now);

/*
 * Write the counts of run_id and, when finished, its outcome (success,
 * partial, failed from outcome), exit code, error (failure's message) and
 * end time.  Unless the run failed, last_ok_at becomes now: call it after
 * each step that succeeded.  A run_id of 0 is ignored.
 */
ErrKind runs_update(DbConn *db, long long run_id, const RunCounts *c, bool finished,
                    ErrKind outcome, const Error *failure, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_RUNS_H */
