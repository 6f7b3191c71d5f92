/*
 * include/centra/export.h
 *     The exporter: outbox messages to Centra's *_Update operations, and
 *     the "outbox" commands that inspect and steer the queue.
 *
 * What it guarantees (DESIGN.md rule 6):
 * - At least once: a message is marked sent only after Centra accepted it;
 *   one whose exporter died while holding it is taken over when its lease
 *   (centra_export_lease) runs out and sent again.
 * - In order per entity_key: a message is claimed only when no older
 *   message of its key is pending, sending or failed, so a failed message
 *   blocks its key (and only its key) until "outbox retry" or "outbox
 *   cancel".  Any number of exporters may run: claims use FOR UPDATE SKIP
 *   LOCKED.
 * - Batching: messages of one operation go together, up to
 *   centra_export_batch_size per request.  Centra applies a request all or
 *   nothing; when it refuses one, the batch is split in halves and sent
 *   again until the refused messages stand alone, so one bad row never fails
 *   its neighbours.
 * - Transient failures (connection, timeout, HTTP 5xx and 429, server
 *   faults) are retried within the request (centra_retries), then the
 *   messages wait with exponential backoff and jitter and are tried again,
 *   up to centra_export_max_attempts sends; a refusal (success=false or a
 *   client fault) fails the message at once.  Centra's errors and notices
 *   and the request (password masked, the message's own item only) are kept
 *   on each message.
 */
#ifndef CENTRA_EXPORT_H
#define CENTRA_EXPORT_H

#include <stdbool.h>

#include "centra/attrs.h"
#include "centra/config.h"
#include "centra/error.h"
#include "centra/runs.h"

/* Exporters one command may run side by side: export --jobs, run --export-jobs. */
#define EXPORT_JOBS_MAX 16

typedef struct ExportOptions {
    bool follow;                  /* keep running, woken by NOTIFY centra_outbox */
    long long poll_ms;            /* follow: longest sleep without a notification */
    int batch_size;               /* messages per request */
    int max_attempts;             /* sends before a transiently failing message fails */
    long long lease_ms;           /* how long claimed messages are held */
    long long request_timeout_ms; /* longest request (centra_request_timeout) */
    long long backoff_ms;         /* first wait after a transient failure */
    long long backoff_max_ms;     /* longest such wait */
    RunCounts *totals;            /* when not NULL, the run's counts are added here */
} ExportOptions;

/* Fill opts from the configuration. */
void export_options_from_config(ExportOptions *opts, const Config *cfg);

/*
 * ERR_CONFIG unless the options are consistent: the lease must outlast the
 * longest request (centra_request_timeout) by 5 s.  export_run checks it;
 * sync, run and check call it before they start.
 */
ErrKind export_check_options(const ExportOptions *o, Error *err) CB_MUSTCHECK;

/* The list and item elements of an update operation, e.g. "orders", "order"; false if unknown. */
bool export_operation_elements(const char *operation, const char **list, const char **item);

/*
 * Run "export".  Returns ERR_OK, ERR_PARTIAL when a message failed for good
 * in this run (exit 1), or the error that stopped it (Centra or the database
 * unreachable after retries, login refused, configuration).  Claimed
 * messages not sent when it stops are released at once.
 */
ErrKind export_run(const Config *cfg, const ExportOptions *opts, Error *err) CB_MUSTCHECK;

/* What "outbox list" shows. */
typedef struct OutboxListOptions {
    const char *status; /* only this status; NULL: all but sent, cancelled, superseded */
    bool blocked;       /* only failed messages that hold back others, and what they hold */
    int limit;          /* rows at most */
} OutboxListOptions;

/* "outbox list": a table on stdout. */
ErrKind outbox_list(const Config *cfg, const OutboxListOptions *o, Error *err) CB_MUSTCHECK;

/*
 * "outbox retry": the failed message id (or, with id 0, every failed
 * message) back to pending, attempts reset.  ERR_NOT_FOUND-style errors
 * name what was wrong (no such message, not failed).
 */
ErrKind outbox_retry(const Config *cfg, long long id, Error *err) CB_MUSTCHECK;

/* "outbox cancel": a pending or failed message id to cancelled (it will never be sent). */
ErrKind outbox_cancel(const Config *cfg, long long id, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_EXPORT_H */
