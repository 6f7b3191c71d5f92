/*
 * src/db/runs.c
 *     centra.runs: one row per command run.
 */
#include "centra/runs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/strutil.h"
#include "centra/utf8.h"
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

/*
 * When process pid started, in seconds since the epoch, and its state
 * letter (Z: a zombie, ended); -1 unknown (no /proc).
 */
static long long
process_started(long pid, char *state)
{
    char path[64];
    char buf[1024];
    char *p;
    FILE *f;
    size_t n;
    unsigned long long ticks = 0;
    long long boot = -1;
    long hz = sysconf(_SC_CLK_TCK);

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* After the command name in parentheses (which may hold anything): field 3 on. */
    p = strrchr(buf, ')');
    if (p == NULL || hz <= 0 || sscanf(p + 1, " %c", state) != 1)
        return -1;
    p++;
    for (int field = 3; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
        return -1;
    f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -1;
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (sscanf(buf, "btime %lld", &boot) == 1)
            break;
    fclose(f);
    return boot < 0 ? -1 : boot + (long long)(ticks / (unsigned long long)hz);
}

/*
 * The slack allowed between a process's start and its run's started_at
 * (a run begins after its process starts; the clocks are compared through
 * db_now, to the second).
 */
#define START_SLACK_S 5

int
runs_process_gone(long pid, long long started, long long db_now)
{
    long long skew = db_now - (long long)time(NULL);
    long long at;
    char state = '?';

    if (pid <= 0)
        return -1;
    /* EPERM: a process of another user has the pid; its start tells whose. */
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return errno == ESRCH ? 1 : -1;
    at = process_started(pid, &state);
    if (at < 0)
        return -1;
    return state == 'Z' || at + skew > started + START_SLACK_S;
}

/*
 * Close the rows of runs on this host whose process is gone (killed hard, or
 * ended with the database unreachable: docs/operations.md), as failed, so
 * that status does not show runs that are not there: runs_process_gone.  A
 * process that has the pid and started before the run (this one, for the
 * parts of a sync) is its own; other hosts' rows are left alone.  Should a
 * host name be shared (two machines), a live run closed so writes its row
 * back with its next count (runs_update).  A failure here is only logged.
 */
static void
close_dead_runs(DbConn *db, const char *host, long long self)
{
    char me[32];
    const char *params[2] = {host, me};
    DbResult *res = NULL;
    DynBuf ids;
    Error e;

    err_reset(&e);
    snprintf(me, sizeof(me), "%lld", self);
    if (db_query(db,
                 "SELECT run_id, command, pid, extract(epoch FROM started_at)::bigint, "
                 "extract(epoch FROM now())::bigint FROM centra.runs WHERE outcome = 'running' "
                 "AND host = $1 AND pid > 0 AND run_id <> $2::bigint ORDER BY run_id",
                 2, params, &res, &e) != ERR_OK) {
        log_debug("could not look for runs of this host that ended unrecorded: %s", e.message);
        return;
    }
    dynbuf_init(&ids, SIZE_MAX / 2);
    for (int i = 0; i < db_result_rows(res); i++) {
        long pid = strtol(db_result_value(res, i, 2), NULL, 10);

        if (runs_process_gone(pid, strtoll(db_result_value(res, i, 3), NULL, 10),
                              strtoll(db_result_value(res, i, 4), NULL, 10)) != 1)
            continue;
        (void)dynbuf_addf(&ids, "%s%s", ids.len > 0 ? "," : "{", db_result_value(res, i, 0));
        log_warn("run %s (%s, pid %ld on this host) ended without recording its end (killed, or "
                 "the database was unreachable); its row in centra.runs is closed as failed",
                 db_result_value(res, i, 0), db_result_value(res, i, 1), pid);
    }
    db_result_free(res);
    if (ids.len > 0) {
        const char *up[2] = {NULL, me};

        (void)dynbuf_addstr(&ids, "}");
        up[0] = dynbuf_str(&ids);
        if (db_query(db,
                     "UPDATE centra.runs SET outcome = 'failed', finished_at = now(), "
                     "error = format('its process (pid %s on %s) ended without recording the "
                     "end of the run; found gone by run %s', pid, host, $2::bigint) "
                     "WHERE run_id = ANY($1::bigint[]) AND outcome = 'running'",
                     2, up, NULL, &e) != ERR_OK)
            log_warn("could not close them: %s", e.message);
    }
    dynbuf_free(&ids);
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
    close_dead_runs(db, host, *run_id);
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
    if (finished && failure != NULL && failure->kind != ERR_OK) {
        error = log_redact(failure->message);
        /* A text column: a file name that is not UTF-8 would fail the update. */
        (void)utf8_scrub(error, strlen(error));
    }
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
