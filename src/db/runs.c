/*
 * src/db/runs.c
 *     centra.runs: one row per command run.
 */
#include "centra/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/strutil.h"
#include "centra/version.h"

static RunLive *live; /* where to mirror the counts; NULL none */

/*
 * The runs this process began, to write a row again that was deleted under a
 * running process (a retention job deleting by started_at hits a daemon's).
 */
#define RUNS_KNOWN 8
static struct {
    long long run_id;  /* 0: free */
    char command[32];  /* as given to runs_begin */
    long long started; /* when, seconds since the epoch */
} known[RUNS_KNOWN];
static unsigned nbegun; /* runs begun by this process */

static void
note_error(const char *message)
{
    size_t n;

    if (live == NULL)
        return;
    live->errors++;
    if (!runs_live_failing(live))
        live->failing_since = (long long)time(NULL); /* a new outage */
    live->last_error_at = (long long)time(NULL);
    live->last_error_seq = ++live->seq;
    n = strnlen(message, sizeof(live->last_error) - 1);
    memcpy(live->last_error, message, n);
    live->last_error[n] = '\0';
}

bool
runs_live_failing(const RunLive *l)
{
    /* Seconds cannot order an error and a success of the same second; seq can. */
    return l->last_error_seq > l->last_ok_seq;
}

void
runs_set_live(RunLive *l)
{
    live = l;
    /* Each failed attempt the database or SOAP client retries counts as well. */
    backoff_set_retry_hook(l != NULL ? note_error : NULL);
}

void
runs_note_error(const Error *e)
{
    note_error(e->message);
}

void
runs_add_counts(RunCounts *t, const RunCounts *c)
{
    t->batches += c->batches;
    t->events_received += c->events_received;
    t->events_applied += c->events_applied;
    t->events_stale += c->events_stale;
    t->events_unhandled += c->events_unhandled;
    t->events_duplicate += c->events_duplicate;
    t->events_quarantined += c->events_quarantined;
    t->events_acknowledged += c->events_acknowledged;
    t->messages_sent += c->messages_sent;
    t->messages_failed += c->messages_failed;
    t->messages_retried += c->messages_retried;
}

ErrKind
runs_begin(DbConn *db, const char *command, long long *run_id, Error *err)
{
    char host[256] = "";
    char pid[32];
    const char *params[5] = {command, log_context_get(LOG_CTX_RUN), host, pid,
                             CENTRA_BRIDGE_VERSION};
    DbResult *res;
    int version;
    ErrKind rc;

    *run_id = 0;
    /* Before the first write: say "run migrate", not "relation does not exist". */
    rc = migrate_check_current(db, &version, err);
    if (rc != ERR_OK)
        return rc;
    (void)gethostname(host, sizeof(host) - 1);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    rc = db_query(db,
                  "INSERT INTO centra.runs (command, log_id, host, pid, bridge_version) "
                  "VALUES ($1, NULLIF($2, ''), $3, $4::integer, $5) RETURNING run_id",
                  5, params, &res, err);
    if (rc != ERR_OK)
        return rc;
    *run_id = strtoll(db_result_value(res, 0, 0), NULL, 10);
    db_result_free(res);
    {
        unsigned i = nbegun++ % RUNS_KNOWN;

        known[i].run_id = *run_id;
        snprintf(known[i].command, sizeof(known[i].command), "%s", command);
        known[i].started = (long long)time(NULL);
    }
    if (live != NULL) {
        memset(&live->counts, 0, sizeof(live->counts));
        live->started_at = (long long)time(NULL);
    }
    return ERR_OK;
}

/*
 * Write the row of run_id again (it was deleted while the run went on): ERR_OK
 * with *again false when this process did not begin that run.
 */
static ErrKind
insert_again(DbConn *db, long long run_id, bool *again, Error *err)
{
    char host[256] = "";
    char id[32];
    char pid[32];
    char started[32];
    const char *params[7] = {
        id, NULL, log_context_get(LOG_CTX_RUN), host, pid, CENTRA_BRIDGE_VERSION, started};

    *again = false;
    for (int i = 0; i < RUNS_KNOWN && params[1] == NULL; i++) {
        if (known[i].run_id == run_id) {
            params[1] = known[i].command;
            snprintf(started, sizeof(started), "%lld", known[i].started);
        }
    }
    if (params[1] == NULL)
        return ERR_OK;
    snprintf(id, sizeof(id), "%lld", run_id);
    (void)gethostname(host, sizeof(host) - 1);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    log_warn("the row of this run (run_id %lld, %s) was deleted from centra.runs while it ran; "
             "it is written again (a retention job should delete finished runs only: "
             "docs/operations.md, section 8)",
             run_id, params[1]);
    *again = true;
    return db_query(
        db,
        "INSERT INTO centra.runs (run_id, command, log_id, host, pid, bridge_version, "
        "started_at) OVERRIDING SYSTEM VALUE VALUES ($1::bigint, $2, NULLIF($3, ''), "
        "$4, $5::integer, $6, to_timestamp($7::bigint)) ON CONFLICT (run_id) DO NOTHING",
        7, params, NULL, err);
}

ErrKind
runs_update(DbConn *db, long long run_id, const RunCounts *c, bool finished, ErrKind outcome,
            const Error *failure, Error *err)
{
    const int nums[] = {
        c->batches,          c->events_received,  c->events_applied,     c->events_stale,
        c->events_unhandled, c->events_duplicate, c->events_quarantined, c->events_acknowledged,
        c->messages_sent,    c->messages_failed,  c->messages_retried};
    char v[CB_LENGTH(nums) + 2][32];
    const char *params[CB_LENGTH(nums) + 4];
    const size_t n = CB_LENGTH(nums);
    const char *what = !finished                ? "running"
                       : outcome == ERR_OK      ? "success"
                       : outcome == ERR_PARTIAL ? "partial"
                                                : "failed";
    char *error = NULL;
    ErrKind rc;

    if (run_id == 0)
        return ERR_OK;
    /* Read by people and tools: masked as the log is. */
    if (finished && failure != NULL && failure->kind != ERR_OK)
        error = log_redact(failure->message);
    snprintf(v[0], sizeof(v[0]), "%lld", run_id);
    params[0] = v[0];
    for (size_t i = 0; i < n; i++) {
        snprintf(v[i + 1], sizeof(v[i + 1]), "%d", nums[i]);
        params[i + 1] = v[i + 1];
    }
    snprintf(v[n + 1], sizeof(v[n + 1]), "%d", err_exit_code(outcome));
    params[n + 1] = finished ? v[n + 1] : NULL;
    params[n + 2] = what;
    params[n + 3] = error;
    for (bool again = false;;) {
        DbResult *res = NULL;

        rc = db_query(db,
                      "UPDATE centra.runs SET batches = $2, events_received = $3, "
                      "events_applied = $4, events_stale = $5, events_unhandled = $6, "
                      "events_duplicate = $7, events_quarantined = $8, events_acknowledged = $9, "
                      "messages_sent = $10, messages_failed = $11, messages_retried = $12, "
                      "exit_code = $13::integer, outcome = $14, error = $15, "
                      "finished_at = CASE WHEN $13 IS NULL THEN NULL ELSE now() END, "
                      "last_ok_at = CASE WHEN $14 = 'failed' THEN last_ok_at ELSE now() END "
                      "WHERE run_id = $1::bigint",
                      (int)(n + 4), params, &res, err);
        if (rc != ERR_OK || again || db_result_affected(res) > 0) {
            db_result_free(res);
            break;
        }
        db_result_free(res);
        rc = insert_again(db, run_id, &again, err);
        if (rc != ERR_OK || !again)
            break;
    }
    xfree(error);
    if (rc == ERR_OK && live != NULL) {
        live->counts = *c;
        if (strcmp(what, "failed") != 0) {
            live->last_ok_at = (long long)time(NULL);
            live->last_ok_seq = ++live->seq;
        }
    }
    return rc;
}
