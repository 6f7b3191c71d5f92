/*
 * src/cli/run_metrics.c
 *     The daemon's HTTP endpoint: Prometheus metrics and a health check.
 *
 * Served by libmicrohttpd from one internal thread, so the database
 * connection it keeps for the outbox and lag gauges is used by that thread
 * only.  Counters come from the workers' shared pages (plus what workers
 * that ran before them counted), so they only grow while the daemon runs,
 * as Prometheus expects of a counter.  A scrape never waits long for the
 * database: one connection attempt, a short statement timeout, and when the
 * database is down the gauges are left out and centra_bridge_database_up
 * says 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/netaddr.h"
#include "centra/strutil.h"
#include "run_int.h"

#define SCRAPE_TIMEOUT_MS 5000 /* connect and statement timeout of the gauges */

struct RunMetrics {
    struct MHD_Daemon *mhd; /* the server */
    Supervisor *sv;         /* what it reports on */
    DbConn *db;             /* for the gauges; NULL until needed or after a failure */
};

ErrKind
run_lock_init(Supervisor *sv, Error *err)
{
    if (pthread_mutex_init(&sv->lock, NULL) != 0)
        return err_set(err, ERR_INTERNAL, "could not create a mutex");
    sv->lock_ready = true;
    return ERR_OK;
}

void
run_lock_destroy(Supervisor *sv)
{
    if (sv->lock_ready)
        pthread_mutex_destroy(&sv->lock);
    sv->lock_ready = false;
}

void
run_lock(Supervisor *sv)
{
    pthread_mutex_lock(&sv->lock);
}

void
run_unlock(Supervisor *sv)
{
    pthread_mutex_unlock(&sv->lock);
}

/* ---------------------------------------------------------------------------
 * /metrics
 * ------------------------------------------------------------------------- */

static void
metric_head(DynBuf *b, const char *name, const char *type, const char *help)
{
    (void)dynbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metric(DynBuf *b, const char *name, const char *type, const char *help, long long value)
{
    metric_head(b, name, type, help);
    (void)dynbuf_addf(b, "%s %lld\n", name, value);
}

/* The counters of the importer (when it runs) and the exporter. */
typedef struct Totals {
    RunCounts c;                         /* summed over the workers and their predecessors */
    bool has[RUN_WORKERS_MAX];           /* worker i exists */
    const char *name[RUN_WORKERS_MAX];   /* its name */
    long long batches[RUN_WORKERS_MAX];  /* its batches (import) or requests (export) */
    long long restarts[RUN_WORKERS_MAX]; /* its restarts */
    long long errors[RUN_WORKERS_MAX];   /* errors it survived or died of */
    long long ok_at[RUN_WORKERS_MAX];    /* its latest success, Unix s; 0 never */
    long long up[RUN_WORKERS_MAX];       /* 1 while it runs */
} Totals;

static void
snapshot(Supervisor *sv, Totals *t)
{
    memset(t, 0, sizeof(*t));
    run_lock(sv);
    for (int i = 0; i < sv->nworkers; i++) {
        const Worker *w = &sv->workers[i];
        RunLive live = *w->live;

        t->has[i] = true;
        t->name[i] = w->name;
        runs_add_counts(&t->c, &w->base);
        runs_add_counts(&t->c, &live.counts);
        t->batches[i] = w->base.batches + live.counts.batches;
        t->restarts[i] = w->restarts;
        t->errors[i] = w->base_errors + live.errors;
        t->ok_at[i] = live.last_ok_at > w->base_ok_at ? live.last_ok_at : w->base_ok_at;
        t->up[i] = w->pid > 0;
    }
    run_unlock(sv);
}

/* A metric with one sample per worker; never_zero: no sample where the value is 0 (never). */
static void
per_worker(DynBuf *b, const Totals *t, const char *name, const char *type, const char *help,
           const long long *values, bool never_zero)
{
    metric_head(b, name, type, help);
    for (int i = 0; i < RUN_WORKERS_MAX; i++)
        if (t->has[i] && !(never_zero && values[i] == 0))
            (void)dynbuf_addf(b, "%s{worker=\"%s\"} %lld\n", name, t->name[i], values[i]);
}

/* The batches of the workers of a kind: "import", or "export" (every exporter of --export-jobs). */
static long long
worker_batches(const Totals *t, const char *kind)
{
    size_t len = strlen(kind);
    long long sum = 0;

    for (int i = 0; i < RUN_WORKERS_MAX; i++)
        if (t->has[i] && strncmp(t->name[i], kind, len) == 0 &&
            (t->name[i][len] == '\0' || t->name[i][len] == '-'))
            sum += t->batches[i];
    return sum;
}

static void
counters(DynBuf *b, const Totals *t)
{
    const RunCounts *c = &t->c;

    metric(b, "centra_bridge_up", "gauge", "1 while the daemon runs.", 1);
    metric(b, "centra_bridge_events_received_total", "counter",
           "Events received from Centra since the daemon started.", c->events_received);
    metric(b, "centra_bridge_events_applied_total", "counter",
           "Events applied to the order tables.", c->events_applied);
    metric(b, "centra_bridge_events_stale_total", "counter",
           "Events older than the stored state of their order, kept but not applied.",
           c->events_stale);
    metric(b, "centra_bridge_events_duplicate_total", "counter",
           "Events received again that were already stored.", c->events_duplicate);
    metric(b, "centra_bridge_events_unhandled_total", "counter",
           "Events of other types, kept in centra.entities.", c->events_unhandled);
    metric(b, "centra_bridge_events_quarantined_total", "counter",
           "Events that could not be parsed, stored with their bytes and the reason.",
           c->events_quarantined);
    metric(b, "centra_bridge_events_acknowledged_total", "counter",
           "Events acknowledged to Centra (events_Done).", c->events_acknowledged);
    metric(b, "centra_bridge_import_batches_total", "counter",
           "events_Get answers stored and committed.", worker_batches(t, "import"));
    metric(b, "centra_bridge_export_requests_total", "counter",
           "Update requests sent to Centra by the exporter.", worker_batches(t, "export"));
    metric(b, "centra_bridge_messages_sent_total", "counter", "Outbox messages Centra accepted.",
           c->messages_sent);
    metric(b, "centra_bridge_messages_failed_total", "counter",
           "Outbox messages that failed for good.", c->messages_failed);
    metric(b, "centra_bridge_messages_retried_total", "counter",
           "Sends of outbox messages that failed transiently and wait for another attempt.",
           c->messages_retried);
    per_worker(b, t, "centra_bridge_worker_up", "gauge", "1 while the worker process runs.", t->up,
               false);
    per_worker(b, t, "centra_bridge_worker_restarts_total", "counter",
               "Times the worker was started again after it exited.", t->restarts, false);
    per_worker(b, t, "centra_bridge_worker_errors_total", "counter",
               "Errors that interrupted the worker's work (it waited and went on).", t->errors,
               false);
    per_worker(b, t, "centra_bridge_last_success_timestamp_seconds", "gauge",
               "When the worker last completed a step (a batch, an empty poll, a send round).",
               t->ok_at, true);
}

static const char gauges_sql[] =
    "SELECT (SELECT count(*) FROM centra_outbox.messages WHERE status = 'pending'), "
    "(SELECT count(*) FROM centra_outbox.messages WHERE status = 'sending'), "
    "(SELECT count(*) FROM centra_outbox.messages WHERE status = 'failed'), "
    "(SELECT count(DISTINCT entity_key) FROM centra_outbox.messages WHERE status = 'failed'), "
    "(SELECT round(extract(epoch FROM now() - created_at)) FROM centra_outbox.messages "
    "WHERE status IN ('pending', 'sending') ORDER BY id LIMIT 1), "
    "(SELECT round(extract(epoch FROM received_at - event_date)) FROM centra.events "
    "WHERE event_id >= 0 ORDER BY event_id DESC LIMIT 1)";

/* The database's gauges; false (and the connection dropped) when it cannot answer. */
static bool
gauges(RunMetrics *m, DynBuf *b)
{
    static const char *const status[] = {"pending", "sending", "failed"};
    DbResult *res = NULL;
    Error err;

    err_reset(&err);
    if (m->db == NULL) {
        DbOptions o;

        db_options_from_config(&o, m->sv->cfg);
        o.retries = 0;
        o.connect_timeout_ms = SCRAPE_TIMEOUT_MS;
        o.statement_timeout_ms = SCRAPE_TIMEOUT_MS;
        if (db_new(&o, &m->db, &err) != ERR_OK)
            m->db = NULL;
    }
    if (m->db != NULL && db_query(m->db, gauges_sql, 0, NULL, &res, &err) != ERR_OK) {
        db_free(m->db);
        m->db = NULL;
    }
    if (m->db == NULL) {
        log_warn("metrics: the database did not answer: %s", err.message);
        return false;
    }
    metric_head(b, "centra_bridge_outbox_messages", "gauge",
                "Outbox messages by status (the open ones).");
    for (int i = 0; i < 3; i++)
        (void)dynbuf_addf(b, "centra_bridge_outbox_messages{status=\"%s\"} %s\n", status[i],
                          db_result_value(res, 0, i));
    metric_head(b, "centra_bridge_outbox_blocked_keys", "gauge",
                "entity_keys held back by a failed message.");
    (void)dynbuf_addf(b, "centra_bridge_outbox_blocked_keys %s\n", db_result_value(res, 0, 3));
    metric_head(b, "centra_bridge_outbox_oldest_pending_age_seconds", "gauge",
                "Age of the oldest message not yet sent (absent when none): the export's lag.");
    if (db_result_value(res, 0, 4) != NULL)
        (void)dynbuf_addf(b, "centra_bridge_outbox_oldest_pending_age_seconds %s\n",
                          db_result_value(res, 0, 4));
    metric_head(b, "centra_bridge_import_lag_seconds", "gauge",
                "How long after its date in Centra the newest event was stored.");
    if (db_result_value(res, 0, 5) != NULL)
        (void)dynbuf_addf(b, "centra_bridge_import_lag_seconds %s\n", db_result_value(res, 0, 5));
    db_result_free(res);
    return true;
}

static void
render_metrics(RunMetrics *m, DynBuf *b)
{
    Totals t;
    bool db_up;

    snapshot(m->sv, &t);
    counters(b, &t);
    db_up = gauges(m, b);
    metric(b, "centra_bridge_database_up", "gauge",
           "1 when the database answered this scrape's queries.", db_up ? 1 : 0);
}

/* ---------------------------------------------------------------------------
 * /healthz
 * ------------------------------------------------------------------------- */

/* "ok", or a line per worker that is down or whose last attempt failed; the HTTP status. */
static unsigned
render_health(Supervisor *sv, DynBuf *b)
{
    long long now = (long long)time(NULL);
    unsigned status = MHD_HTTP_OK;

    run_lock(sv);
    for (int i = 0; i < sv->nworkers; i++) {
        const Worker *w = &sv->workers[i];
        RunLive live = *w->live;

        live.last_error[sizeof(live.last_error) - 1] = '\0';
        if (w->pid == 0) {
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
            (void)dynbuf_addf(b, "%s: not running (last exit %d; starting again in %lld s)\n",
                              w->name, w->last_exit,
                              (w->restart_at_ms - backoff_now_ms() + 999) / 1000);
        } else if (runs_live_failing(&live)) {
            char *red = log_redact(live.last_error); /* as the log shows it */
            size_t len = strlen(red);
            char *one = xmalloc(len + 4);

            /* One line per worker: libpq's messages have a second line. */
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
            (void)dynbuf_addf(b, "%s: failing since %lld s: %s\n", w->name,
                              now - live.failing_since, str_sanitize(red, len, len, one, len + 4));
            xfree(one);
            xfree(red);
        }
    }
    run_unlock(sv);
    if (status == MHD_HTTP_OK)
        (void)dynbuf_add(b, "ok\n", 3);
    return status;
}

/* ---------------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------------- */

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type, DynBuf *b)
{
    size_t len = dynbuf_len(b);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, dynbuf_take(b), xfree);
    enum MHD_Result ret;

    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **state)
{
    RunMetrics *m = cls;
    DynBuf b;

    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    dynbuf_init(&b, 16 * 1024 * 1024);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        (void)dynbuf_addf(&b, "only GET is served here\n");
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", &b);
    }
    if (strcmp(url, "/metrics") == 0) {
        render_metrics(m, &b);
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b);
    }
    if (strcmp(url, "/healthz") == 0) {
        unsigned status = render_health(m->sv, &b);

        return reply(conn, status, "text/plain; charset=utf-8", &b);
    }
    (void)dynbuf_addf(&b, "not found: try /metrics or /healthz\n");
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", &b);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("metrics endpoint: %s", msg);
}

ErrKind
run_metrics_start(Supervisor *sv, const char *listen_at, Error *err)
{
    struct sockaddr_in addr;
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof(bound);
    char ip[INET_ADDRSTRLEN];
    RunMetrics *m;
    int one = 1;
    int fd;
    const char *why;

    if (!net_parse_listen(listen_at, &addr, &why))
        return err_set(err, ERR_INTERNAL, "invalid metrics address \"%s\"", listen_at);
    /* Bound here rather than by libmicrohttpd, to say why binding failed. */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
        char ebuf[128];
        int saved = errno;

        if (fd >= 0)
            close(fd);
        err_set(err, ERR_CONFIG, "could not serve metrics on %s: %s", listen_at,
                str_errno(saved, ebuf, sizeof(ebuf)));
        if (saved == EADDRINUSE)
            err_hint(err, "Another program uses that port: choose another in "
                          "centra_metrics_listen or --metrics-listen.");
        return ERR_CONFIG;
    }
    m = xcalloc(1, sizeof(*m));
    m->sv = sv;
    m->mhd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle,
                         m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)16, MHD_OPTION_END);
    if (m->mhd == NULL) {
        close(fd);
        xfree(m);
        return err_set(err, ERR_INTERNAL, "could not start the metrics endpoint on %s", listen_at);
    }
    sv->metrics = m;
    inet_ntop(AF_INET, &bound.sin_addr, ip, sizeof(ip));
    log_info("metrics on http://%s:%u/metrics, health on /healthz", ip,
             (unsigned)ntohs(bound.sin_port));
    return ERR_OK;
}

void
run_metrics_stop(Supervisor *sv)
{
    RunMetrics *m = sv->metrics;

    if (m == NULL)
        return;
    MHD_stop_daemon(m->mhd);
    db_free(m->db);
    xfree(m);
    sv->metrics = NULL;
}
