/*
 * include/centra/import.h
 *     The import commands: drain Centra's event queue into the staging
 *     tables ("import"), or load saved events_Get answers ("load").
 *
 * What it guarantees (DESIGN.md rules 1-5, 9):
 * - One transaction per events_Get batch; events_Done is sent only after
 *   COMMIT, for every event of the batch whose id could be read (duplicates
 *   and quarantined events included), then the next events_Get.
 * - A failure before COMMIT (HTTP error, timeout, truncated body, database
 *   error) rolls the batch back and acknowledges nothing; transient failures
 *   are retried with backoff.  A crash anywhere loses nothing: what was not
 *   acknowledged comes again and is recognised.
 * - Only one importer drains a queue (URL and markets) at a time: a
 *   session advisory lock, held for the whole run and taken again after a
 *   reconnect.
 * - Every run is recorded in centra.runs with its counts and outcome.
 */
#ifndef CENTRA_IMPORT_H
#define CENTRA_IMPORT_H

#include <stdbool.h>

#include "centra/attrs.h"
#include "centra/config.h"
#include "centra/error.h"
#include "centra/runs.h"

typedef struct ImportOptions {
    bool follow;             /* keep polling instead of stopping at an empty queue */
    bool wait_lock;          /* wait for another importer of the queue instead of exiting */
    bool in_sync;            /* run by sync, which has no --wait: the busy hint says so */
    bool stop_on_malformed;  /* acknowledge nothing of an answer that is not well-formed */
    const char *types;       /* event types, comma-separated; "all" */
    const char *markets;     /* market ids, comma-separated; NULL or "": all markets */
    long long poll_ms;       /* follow: wait after the queue was found empty */
    long long retry_ms;      /* follow: first wait after a failure (doubles) */
    const char *archive_dir; /* keep every answer that held events here; NULL: none */
    RunCounts *totals;       /* when not NULL, the run's counts are added here */
} ImportOptions;

/* Fill opts from the configuration (strings borrowed from cfg). */
void import_options_from_config(ImportOptions *opts, const Config *cfg);

/*
 * Run "import".  Returns ERR_OK, ERR_PARTIAL when something was quarantined
 * (exit 1), ERR_BUSY when another importer holds the queue and opts->wait_lock
 * is false, or the error that stopped it (Centra or the database unreachable
 * after retries, login refused, configuration).
 */
ErrKind import_run(const Config *cfg, const ImportOptions *opts, Error *err) CB_MUSTCHECK;

/*
 * Run "load": import saved events_Get answers, one transaction per file,
 * acknowledging nothing.  Every file is tried; the result is the worst.
 */
ErrKind import_load(const Config *cfg, char *const *files, int nfiles, Error *err) CB_MUSTCHECK;

/*
 * Split a comma-separated list (event types, market ids) into at most max
 * items, white space around them trimmed, empty ones skipped; returns how
 * many.  Free them with import_free_list.
 */
#define IMPORT_LIST_MAX 64 /* event types or markets in one list */
int import_split_list(const char *s, char **out, int max);
void import_free_list(char **list, int n);

/*
 * Check a comma-separated list of event types ("all", "order", ...); ERR_USAGE
 * naming the unknown one and the valid ones.
 */
ErrKind import_check_types(const char *types, Error *err) CB_MUSTCHECK;

/*
 * Check a comma-separated list of market ids; NULL (all markets) is fine.
 * ERR_USAGE when it names no market or holds an empty id ("1,", ",,"): such a
 * list is a mistake, and reading it as "all markets" would import markets
 * another importer owns.
 */
ErrKind import_check_markets(const char *markets, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_IMPORT_H */
