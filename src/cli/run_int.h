/*
 * src/cli/run_int.h
 *     What the daemon's supervisor (cmd_run.c) shares with its metrics
 *     endpoint (run_metrics.c).
 */
#ifndef CLI_RUN_INT_H
#define CLI_RUN_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "centra/config.h"
#include "centra/error.h"
#include "centra/export.h"
#include "centra/runs.h"

#define RUN_WORKERS_MAX (1 + EXPORT_JOBS_MAX) /* the importer and the exporters */

/* A worker process and what is known of it. */
typedef struct Worker {
    char name[24];           /* "import", "export" or, of several, "export-1", ... */
    char **argv;             /* its command line: owned array, borrowed strings */
    pid_t pid;               /* running; 0 when not */
    int fd;                  /* memfd of the shared page */
    RunLive *live;           /* the shared page: the current worker's counts and health */
    RunCounts base;          /* counts of the workers that ran before the current one */
    int base_errors;         /* their errors */
    long long base_ok_at;    /* their latest success (Unix s) */
    int restarts;            /* times started again after an exit */
    int failures;            /* exits in a row without a stable run */
    int last_exit;           /* exit code of the last one (128 + signal when killed) */
    long long started_ms;    /* when the current one started (monotonic) */
    long long restart_at_ms; /* when to start the next one (monotonic) */
} Worker;

typedef struct RunMetrics RunMetrics;

typedef struct Supervisor {
    const Config *cfg;               /* configuration */
    char self[4096];                 /* the program's file */
    Worker workers[RUN_WORKERS_MAX]; /* the workers */
    int nworkers;                    /* how many */
    bool stopping;                   /* the workers were told to stop */
    int fatal;                       /* exit code that stops the daemon; 0 none */
    pthread_mutex_t lock;            /* guards workers against the metrics thread */
    bool lock_ready;                 /* lock initialised */
    RunMetrics *metrics;             /* the endpoint; NULL none */
} Supervisor;

ErrKind run_lock_init(Supervisor *sv, Error *err) CB_MUSTCHECK;
void run_lock_destroy(Supervisor *sv);
void run_lock(Supervisor *sv);
void run_unlock(Supervisor *sv);

/* Serve /metrics and /healthz on listen (ADDRESS:PORT); logs the URL. */
ErrKind run_metrics_start(Supervisor *sv, const char *listen, Error *err) CB_MUSTCHECK;

/* Stop the endpoint; no-op when none. */
void run_metrics_stop(Supervisor *sv);

#endif /* CLI_RUN_INT_H */
