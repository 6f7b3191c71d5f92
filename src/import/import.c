/*
 * src/import/import.c
 *     "import" and "load": fetch, store, then acknowledge.
 *
 * Design constraints: the answer streams from libcurl's write callback
 * through the parser into COPY (nothing held whole); events_Done only after
 * COMMIT; a failed batch is rolled back as a whole and tried again; a run
 * that cannot make progress (an event that cannot be acknowledged, Centra
 * handing back acknowledged events) stops instead of spinning.
 */
#include "centra/import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/archive.h"
#include "centra/backoff.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/eventparser.h"
#include "centra/faultpoint.h"
#include "centra/loader.h"
#include "centra/netaddr.h"
#include "centra/runs.h"
#include "centra/signals.h"
#include "centra/log.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "centra/utf8.h"

#define LIST_MAX          IMPORT_LIST_MAX
#define FILE_CHUNK        (64 * 1024) /* bytes read from a saved answer at a time */
#define REPEAT_LIMIT      3           /* batches of nothing but known events before giving up */
#define DB_BATCH_ATTEMPTS 3 /* tries of a batch whose connection to the database was lost */

static const char *const event_types[] = {"all",      "account",      "customer",    "invoice",
                                          "market",   "order",        "paymentterm", "pricelist",
                                          "salesrep", "shippingterm", "size",        "warehouse"};

typedef struct Importer {
    const Config *cfg;       /* configuration */
    const ImportOptions *o;  /* options */
    DbConn *db;              /* the database */
    SoapClient *soap;        /* Centra; NULL for load */
    Loader *loader;          /* batch writer */
    EvpLimits limits;        /* parser caps */
    long long run_id;        /* centra.runs row; 0 when none */
    RunCounts t;             /* counts so far */
    char *lock_key;          /* advisory lock key text */
    unsigned lock_epoch;     /* db_epoch when the lock was taken; 0 none */
    char *types[LIST_MAX];   /* event types to fetch */
    int ntypes;              /* number of types */
    char *markets[LIST_MAX]; /* market ids; none: all markets */
    int nmarkets;            /* number of markets */
    long long *unmarked;     /* acknowledged to Centra, done_at not yet written */
    size_t nunmarked;        /* how many */
    bool recovered;          /* recover_unacknowledged done */
} Importer;

/* ---------------------------------------------------------------------------
 * Lists
 * ------------------------------------------------------------------------- */

int
import_split_list(const char *s, char **out, int max)
{
    int n = 0;

    while (s != NULL && *s != '\0' && n < max) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        const char *b = s;
        const char *e = s + len;

        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b)
            out[n++] = xstrndup(b, (size_t)(e - b));
        s = comma != NULL ? comma + 1 : s + len;
    }
    return n;
}

void
import_free_list(char **list, int n)
{
    for (int i = 0; i < n; i++)
        xfree(list[i]);
}

/* Whether a comma-separated list has an item of white space only ("a,,b", "a,"). */
static bool
has_empty_item(const char *list)
{
    for (const char *s = list;;) {
        size_t len = strcspn(s, ",");
        size_t blank = 0;

        while (blank < len && (s[blank] == ' ' || s[blank] == '\t'))
            blank++;
        if (blank == len)
            return true;
        if (s[len] == '\0')
            return false;
        s += len + 1;
    }
}

ErrKind
import_check_types(const char *types, Error *err)
{
    char *list[LIST_MAX];
    int n = import_split_list(types, list, LIST_MAX);
    ErrKind rc = ERR_OK;

    if (n == 0) {
        rc = err_set(err, ERR_USAGE, "no event type given");
    } else if (has_empty_item(types)) {
        rc = err_set(err, ERR_USAGE, "empty event type in \"%s\"", types);
        err_detail(err, "Event types are separated by single commas.");
    }
    for (int i = 0; rc == ERR_OK && i < n; i++) {
        bool known = false;

        for (size_t j = 0; j < CB_LENGTH(event_types); j++)
            known |= strcmp(list[i], event_types[j]) == 0;
        if (!known) {
            char valid[512];

            rc = err_set(err, ERR_USAGE, "unknown event type \"%s\"", list[i]);
            err_detail(err, "Valid types are %s.",
                       str_join_quoted(event_types, CB_LENGTH(event_types), valid, sizeof(valid)));
        }
    }
    import_free_list(list, n);
    return rc;
}

ErrKind
import_check_markets(const char *markets, Error *err)
{
    if (markets == NULL || !has_empty_item(markets))
        return ERR_OK;
    if (strspn(markets, " \t") == strlen(markets))
        err_set(err, ERR_USAGE, "no market given");
    else
        err_set(err, ERR_USAGE, "empty market id in \"%s\"", markets);
    err_detail(err, "Market ids are separated by single commas.");
    err_hint(err, "To import every market, give no market list at all.");
    return ERR_USAGE;
}

void
import_options_from_config(ImportOptions *opts, const Config *cfg)
{
    memset(opts, 0, sizeof(*opts));
    opts->types = config_get_str(cfg, CONFIG_EVENT_TYPES);
    opts->markets = config_get_str(cfg, CONFIG_MARKETS);
    opts->poll_ms = config_get_int(cfg, CONFIG_POLL_INTERVAL);
    opts->retry_ms = config_get_int(cfg, CONFIG_RETRY_DELAY);
    opts->stop_on_malformed = config_get_int(cfg, CONFIG_ON_MALFORMED) == 1;
    opts->archive_dir = config_get_str(cfg, CONFIG_ARCHIVE_DIR);
}

/* ---------------------------------------------------------------------------
 * centra.runs
 * ------------------------------------------------------------------------- */

static ErrKind
run_update(Importer *im, bool finished, ErrKind outcome, const Error *failure, Error *err)
{
    return runs_update(im->db, im->run_id, &im->t, finished, outcome, failure, err);
}

static void
add_counts(RunCounts *t, const LoaderCounts *c)
{
    t->batches++;
    t->events_received += c->received;
    t->events_applied += c->applied;
    t->events_stale += c->stale;
    t->events_unhandled += c->unhandled;
    t->events_duplicate += c->duplicate;
    t->events_quarantined += c->quarantined;
}

/* ---------------------------------------------------------------------------
 * The queue lock
 * ------------------------------------------------------------------------- */

#define LOCK_POLL_MS 500 /* --wait: how often the queue lock is asked for */

static ErrKind
lock_queue(Importer *im, Error *err)
{
    bool got;
    ErrKind rc;

    if (im->lock_epoch == db_epoch(im->db))
        return ERR_OK;
    rc = db_try_lock(im->db, im->lock_key, &got, err);
    if (rc != ERR_OK)
        return rc;
    if (!got) {
        if (!im->o->wait_lock) {
            err_set(err, ERR_BUSY, "another centra-bridge is importing from this queue");
            err_detail(err, "Queue: %s.", im->lock_key);
            if (im->o->follow)
                err_hint(err, "Only one importer drains a queue at a time; this one stands by "
                              "and tries again.");
            else if (im->o->in_sync)
                err_hint(err, "Only one importer drains a queue at a time; this sync skips its "
                              "import and goes on with the export. If the daemon (\"centra-bridge "
                              "run\") or \"import --follow\" runs too, the scheduled sync is "
                              "not needed: enable one of them.");
            else
                err_hint(err, "Only one importer drains a queue at a time; this run stops. Use "
                              "--wait to wait for the other one instead.");
            return ERR_BUSY;
        }
        /*
         * Asked again and again, not waited for in one statement: a stop
         * signal ends the wait at once, and no statement time limit cuts it
         * short (found in review: SIGTERM went unheard for minutes).
         */
        log_info("another importer holds the queue; waiting for it");
        while (!got) {
            sig_sleep_ms(LOCK_POLL_MS);
            if (sig_stop_requested()) {
                err_set(err, ERR_BUSY,
                        "stopped by signal %d while waiting for another importer to release the "
                        "queue",
                        sig_stop_signal());
                err_detail(err, "Queue: %s. Nothing was imported.", im->lock_key);
                return ERR_BUSY;
            }
            rc = db_try_lock(im->db, im->lock_key, &got, err);
            if (rc != ERR_OK)
                return rc;
        }
    }
    im->lock_epoch = db_epoch(im->db);
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * One batch
 * ------------------------------------------------------------------------- */

typedef struct BatchStream {
    EvParser *parser;        /* the parser fed by the HTTP body */
    const char *archive_dir; /* CENTRA_ARCHIVE_DIR; NULL: none */
    Archive *archive;        /* the answer's file there, while it streams */
} BatchStream;

static ErrKind
stream_begin(void *arg, const HttpResponse *resp, Error *err)
{
    BatchStream *bs = arg;

    log_debug("events_Get answered %ld (request %s)", resp->status,
              resp->request_id[0] != '\0' ? resp->request_id : "-");
    if (bs->archive_dir == NULL)
        return ERR_OK;
    archive_discard(bs->archive); /* an answer begun again starts a new file */
    bs->archive = NULL;
    return archive_open(bs->archive_dir, &bs->archive, err);
}

static ErrKind
stream_chunk(void *arg, const char *data, size_t len, Error *err)
{
    BatchStream *bs = arg;

    if (bs->archive != NULL && archive_write(bs->archive, data, len, err) != ERR_OK)
        return ERR_IO;
    return evp_feed(bs->parser, data, len, err);
}

typedef struct BatchResult {
    LoaderCounts counts; /* what the batch held */
    EvpStats stats;      /* what the parser saw */
    bool unackable;      /* an event whose id could not be read was quarantined */
    long long fetch_ms;  /* events_Get, parsing and COPY */
    long long store_ms;  /* applying and COMMIT */
} BatchResult;

/* The answer, read to its end (or to centra_max_response_size), made durable in the archive. */
static ErrKind
keep_answer(Importer *im, BatchStream *bs, bool cut, Error *err)
{
    char *name;
    ErrKind rc = archive_keep(bs->archive, im->run_id, cut, &name, err);

    bs->archive = NULL;
    if (rc == ERR_OK && cut)
        log_warn("answer kept in \"%s\", cut where centra_max_response_size stopped reading "
                 "it: load it with the same centra_max_response_size",
                 name);
    else if (rc == ERR_OK)
        log_detail("answer kept in \"%s\"", name);
    xfree(name);
    return rc;
}

/*
 * Apply what the parser produced and commit, updating the run's counts.  With
 * an archive (bs not NULL), the answer is made durable before COMMIT, so before
 * events_Done, unless every event in it was stored before (and archived then:
 * the same answer fetched again, as --on-malformed=stop does in --follow).
 */
static ErrKind
batch_commit(Importer *im, const char *source, BatchStream *bs, BatchResult *out, Error *err)
{
    RunCounts before = im->t;
    ErrKind rc = loader_apply(im->loader, im->run_id, source, &out->counts, err);

    if (rc == ERR_OK && bs != NULL && bs->archive != NULL &&
        out->counts.duplicate < out->counts.received)
        rc = keep_answer(im, bs, out->stats.stopped_at_cap, err);
    if (rc == ERR_OK) {
        add_counts(&im->t, &out->counts);
        rc = run_update(im, false, ERR_OK, NULL, err);
    }
    if (rc == ERR_OK)
        CB_FAULT_POINT("import.before_commit");
    if (rc == ERR_OK)
        rc = loader_commit(im->loader, err);
    if (rc != ERR_OK)
        im->t = before;
    return rc;
}

/* One attempt: events_Get streamed into a new batch, then COMMIT. */
static ErrKind
batch_once(Importer *im, const char *type, BatchResult *out, HttpResponse *resp, Error *err)
{
    BatchStream bs = {evp_new(&im->limits, loader_sink(im->loader)), im->o->archive_dir, NULL};
    HttpSink sink = {stream_begin, stream_chunk, &bs};
    DynBuf body;
    ErrKind rc;

    memset(out, 0, sizeof(*out));
    dynbuf_init(&body, 1024 * 1024);
    soap_build_events_get(im->soap, &body, type, (const char *const *)im->markets,
                          (size_t)im->nmarkets);
    long long t0 = backoff_now_ms();

    rc = loader_begin(im->loader, err);
    if (rc == ERR_OK && im->lock_epoch != 0 && im->lock_epoch != db_epoch(im->db))
        rc = err_set(err, ERR_DB_CONNECTION,
                     "the connection to the database was lost and made again, with the queue "
                     "lock; the batch starts over");
    if (rc == ERR_OK) {
        rc = soap_call(im->soap, im->nmarkets > 0 ? "events_GetByMarkets" : "events_Get", &body,
                       &sink, resp, err);
        if (rc == ERR_TOO_BIG && evp_stopped(bs.parser))
            rc = ERR_OK;
    }
    if (rc == ERR_OK)
        rc = evp_finish(bs.parser, err);
    out->stats = evp_stats(bs.parser);
    out->fetch_ms = backoff_now_ms() - t0;
    if (rc == ERR_OK)
        CB_FAULT_POINT("import.batch_received"); /* answer whole, COPY sent, nothing applied */
    if (rc == ERR_OK)
        rc = batch_commit(im, "centra", &bs, out, err);
    if (rc == ERR_OK)
        CB_FAULT_POINT("import.after_commit");
    out->store_ms = backoff_now_ms() - t0 - out->fetch_ms;
    if (rc != ERR_OK)
        loader_abort(im->loader);
    out->unackable = rc == ERR_OK && loader_unidentified(im->loader) > 0;
    archive_discard(bs.archive); /* not kept: no events, none new, or the batch failed */
    evp_free(bs.parser);
    dynbuf_free(&body);
    return rc;
}

/*
 * Write done_at of the events Centra confirmed, including those of earlier
 * batches whose write failed (the database went away right after
 * events_Done): Centra will not send them again, so only this remembers them.
 */
static ErrKind
mark_done(Importer *im, const long long *ids, size_t n, Error *err)
{
    ErrKind rc;

    if (n > 0) {
        im->unmarked = xrealloc(im->unmarked, (im->nunmarked + n) * sizeof(long long));
        memcpy(im->unmarked + im->nunmarked, ids, n * sizeof(long long));
        im->nunmarked += n;
    }
    if (im->nunmarked == 0)
        return ERR_OK;
    rc = loader_mark_done(im->loader, im->unmarked, im->nunmarked, err);
    if (rc != ERR_OK) {
        err_hint(err,
                 "Centra confirmed %zu events; their done_at is written once the database "
                 "answers again.",
                 im->nunmarked);
        return rc;
    }
    im->nunmarked = 0;
    return ERR_OK;
}

/* events_Done for ids[0..n); ERR_CENTRA_FAULT when Centra refuses it. */
static ErrKind
send_done(Importer *im, const long long *ids, size_t n, Error *err)
{
    SoapUpdateResult res;
    HttpResponse resp;
    DynBuf body;
    ErrKind rc;

    dynbuf_init(&body, 1024 * 1024);
    soap_build_events_done(im->soap, &body, ids, n);
    memset(&res, 0, sizeof(res));
    rc = soap_update(im->soap, "events_Done", &body, &res, &resp, err);
    if (rc == ERR_OK && !res.success) {
        rc = err_set(err, ERR_CENTRA_FAULT, "Centra refused events_Done for %zu events", n);
        if (res.nerrors > 0)
            err_detail(err, "Centra said: %s", res.errors[0]);
    }
    soap_update_result_free(&res);
    dynbuf_free(&body);
    return rc;
}

/* Acknowledge the committed batch; a failure leaves the events to come again. */
static ErrKind
acknowledge(Importer *im, Error *err)
{
    size_t n;
    const long long *ids = loader_ack_ids(im->loader, &n);
    ErrKind rc;

    if (n == 0)
        return ERR_OK;
    rc = send_done(im, ids, n, err);
    if (rc != ERR_OK) {
        im->recovered = false; /* Centra may have applied it: the next round acknowledges again */
        err_hint(err, "The events are stored; the next run acknowledges them first, or Centra "
                      "sends them again and they are recognised and acknowledged then.");
        return rc;
    }
    im->t.events_acknowledged += (int)n;
    CB_FAULT_POINT("import.after_done");
    rc = mark_done(im, ids, n, err);
    if (rc == ERR_OK)
        rc = run_update(im, false, ERR_OK, NULL, err);
    if (rc == ERR_OK)
        CB_FAULT_POINT("import.after_mark");
    return rc;
}

#define RECOVER_MAX 1000 /* stored, unacknowledged events taken up per run, at most */

/*
 * Events stored from the live queue whose done_at is NULL: a run ended between
 * COMMIT and events_Done, or between events_Done and writing done_at (Centra
 * then never sends them again, so nothing else would write it).  They are
 * durable, so acknowledging them (again) is safe; done once per run, under the
 * queue lock, before the first events_Get.  With --on-malformed=stop, a batch
 * held back because of a quarantined event stays unacknowledged.  Centra
 * refusing the call is logged and the run goes on.
 */
static ErrKind
recover_unacknowledged(Importer *im, Error *err)
{
    char limit[16];
    const char *params[2] = {im->o->stop_on_malformed ? "true" : "false", limit};
    long long ids[RECOVER_MAX];
    DbResult *res;
    size_t n;
    ErrKind rc;

    snprintf(limit, sizeof(limit), "%d", RECOVER_MAX);
    rc =
        db_query(im->db,
                 "SELECT event_id FROM centra.events WHERE done_at IS NULL AND source = 'centra' "
                 "AND event_id >= 0 AND NOT ($1::boolean AND EXISTS (SELECT 1 FROM centra.events q "
                 "WHERE q.status = 'quarantined' AND q.done_at IS NULL AND q.source = 'centra')) "
                 "ORDER BY event_id LIMIT $2::integer",
                 2, params, &res, err);
    if (rc != ERR_OK)
        return rc;
    n = (size_t)db_result_rows(res);
    if (n > RECOVER_MAX)
        n = RECOVER_MAX;
    for (size_t i = 0; i < n; i++)
        ids[i] = strtoll(db_result_value(res, (int)i, 0), NULL, 10);
    db_result_free(res);
    for (size_t at = 0; at < n; at += 100) {
        size_t k = n - at < 100 ? n - at : 100;

        rc = send_done(im, ids + at, k, err);
        if (rc == ERR_CENTRA_FAULT) {
            log_warn("%s", err->message);
            log_detail("They were stored by an earlier run that ended before it knew them "
                       "acknowledged; their done_at stays NULL and the next run tries again.");
            err_reset(err);
            return ERR_OK;
        }
        if (rc != ERR_OK)
            return rc;
        im->t.events_acknowledged += (int)k;
        rc = mark_done(im, ids + at, k, err);
        if (rc != ERR_OK)
            return rc;
    }
    if (n > 0)
        log_info("acknowledged %zu events stored by an earlier run that ended before it knew "
                 "them acknowledged",
                 n);
    return ERR_OK;
}

/* A batch with its retries: ERR_OK when committed (and acknowledged unless told not to). */
static ErrKind
batch(Importer *im, const char *type, BatchResult *out, Error *err)
{
    bool lost = false;

    for (int attempt = 1;; attempt++) {
        HttpResponse resp;
        ErrKind rc = ERR_OK;

        memset(&resp, 0, sizeof(resp));
        resp.retry_after_ms = -1;
        /*
         * Connected again before the queue lock is taken again, not in the
         * middle of the next attempt: one outage costs one attempt (found in
         * review: the next one failed on the reconnect it made itself).
         */
        if (lost)
            rc = db_reconnect(im->db, err);
        lost = false;
        if (rc == ERR_DB_CONNECTION && db_connect_gave_up(im->db))
            return rc;
        if (rc == ERR_OK)
            rc = lock_queue(im, err);
        if (rc == ERR_OK)
            rc = batch_once(im, type, out, &resp, err);
        if (rc == ERR_OK) {
            soap_answered(im->soap, im->nmarkets > 0 ? "events_GetByMarkets" : "events_Get");
            break;
        }
        if (rc == ERR_BUSY || (rc == ERR_DB_CONNECTION && db_connect_gave_up(im->db)))
            return rc; /* the database was waited for (centra_db_retries): not again */
        if (rc == ERR_DB_CONNECTION || rc == ERR_DB_CONFLICT) {
            /* Lost inside the batch: the next attempt connects again, with its own retries. */
            if (attempt >= DB_BATCH_ATTEMPTS)
                return rc;
            log_warn("storing the batch failed (attempt %d of %d): %s; fetching it again", attempt,
                     DB_BATCH_ATTEMPTS, err->message);
            backoff_note_retry(err->message);
            lost = rc == ERR_DB_CONNECTION;
            continue;
        }
        if (!soap_retry_wait(im->soap, attempt, &resp, err))
            return rc;
    }
    log_detail("batch: %d events (%d applied, %d stale, %d other, %d known, %d quarantined), "
               "%lld bytes; fetched in %lld ms, stored in %lld ms",
               out->counts.received, out->counts.applied, out->counts.stale, out->counts.unhandled,
               out->counts.duplicate, out->counts.quarantined, out->stats.bytes, out->fetch_ms,
               out->store_ms);
    if (im->o->stop_on_malformed && out->stats.malformed) {
        err_set(err, ERR_PARTIAL,
                "an answer to events_Get was not well-formed: nothing of it "
                "was acknowledged");
        err_hint(err, "The events are stored (see centra.events where status = 'quarantined'); "
                      "run without --on-malformed=stop to acknowledge them.");
        return ERR_PARTIAL;
    }
    return acknowledge(im, err);
}

/* Drain one event type until an answer holds no events. */
static ErrKind
drain(Importer *im, const char *type, bool *got_any, Error *err)
{
    int repeats = 0;
    long long prev_first = -1;
    size_t prev_n = 0;

    while (!sig_service()) {
        BatchResult r;
        ErrKind rc = batch(im, type, &r, err);

        if (rc != ERR_OK)
            return rc;
        if (r.counts.received == 0)
            return ERR_OK;
        *got_any = true;
        if (r.unackable) {
            err_set(err, ERR_PARTIAL,
                    "an event whose id could not be read was quarantined; it "
                    "cannot be acknowledged and stays first in the queue");
            err_hint(err, "See centra.events where event_id < 0; the queue stays blocked until "
                          "Centra's support removes the event.");
            return ERR_PARTIAL;
        }
        {
            /* Only the same known events coming back again count, not a backlog of them. */
            size_t n;
            const long long *ids = loader_ack_ids(im->loader, &n);
            bool same = n > 0 && n == prev_n && ids[0] == prev_first;

            repeats = r.counts.duplicate == r.counts.received && same ? repeats + 1 : 0;
            prev_first = n > 0 ? ids[0] : -1;
            prev_n = n;
        }
        if (repeats >= REPEAT_LIMIT) {
            err_set(err, ERR_CENTRA_FAULT,
                    "Centra keeps sending events that were already "
                    "acknowledged");
            err_detail(err, "%d answers in a row held only events stored before.", repeats);
            err_hint(err, "Check Centra's SOAP API log for events_Done errors.");
            return ERR_CENTRA_FAULT;
        }
    }
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------- */

static void
importer_free(Importer *im)
{
    loader_free(im->loader);
    /* Free the queue now, not when the server notices the session ended. */
    db_unlock(im->db, im->lock_key, im->lock_epoch);
    db_free(im->db);
    soap_client_free(im->soap);
    import_free_list(im->types, im->ntypes);
    import_free_list(im->markets, im->nmarkets);
    xfree(im->lock_key);
    xfree(im->unmarked);
}

static ErrKind
importer_init(Importer *im, const Config *cfg, const ImportOptions *o, bool remote, Error *err)
{
    DbOptions dbo;
    ErrKind rc;

    memset(im, 0, sizeof(*im));
    im->cfg = cfg;
    im->o = o;
    im->limits.max_response = config_get_int(cfg, CONFIG_MAX_RESPONSE_SIZE);
    im->limits.max_text = config_get_int(cfg, CONFIG_MAX_TEXT_SIZE);
    im->limits.max_depth = (int)config_get_int(cfg, CONFIG_MAX_DEPTH);
    if (remote) {
        DynBuf key;
        char url[2048]; /* CENTRA_URL as the lock key spells it */

        rc = import_check_types(o->types, err);
        if (rc == ERR_OK)
            rc = import_check_markets(o->markets, err);
        if (rc != ERR_OK)
            return rc;
        im->ntypes = import_split_list(o->types, im->types, LIST_MAX);
        im->nmarkets = import_split_list(o->markets, im->markets, LIST_MAX);
        if (o->archive_dir != NULL) {
            rc = archive_check_dir(o->archive_dir, "CENTRA_ARCHIVE_DIR", err);
            if (rc != ERR_OK)
                return rc;
        }
        rc = soap_client_from_config(cfg, &im->soap, err);
        if (rc != ERR_OK)
            return rc;
        dynbuf_init(&key, 64 * 1024);
        net_canonical_url(soap_url(im->soap), url, sizeof(url));
        (void)dynbuf_addf(&key, "centra-bridge import %s", url);
        for (int i = 0; i < im->nmarkets; i++)
            (void)dynbuf_addf(&key, "%smarket %s", i == 0 ? " " : ",", im->markets[i]);
        im->lock_key = dynbuf_take(&key);
    }
    db_options_from_config(&dbo, cfg);
    rc = db_new(&dbo, &im->db, err);
    if (rc != ERR_OK)
        return rc;
    im->loader = loader_new(im->db, config_get_str(cfg, CONFIG_TIMEZONE),
                            config_get_origin(cfg, CONFIG_TIMEZONE));
    return ERR_OK;
}

/* Close the run's row and say how it went. */
static ErrKind
finish_run(Importer *im, ErrKind rc, Error *err)
{
    Error e2;

    if (rc == ERR_OK && im->t.events_quarantined > 0) {
        rc = err_set(err, ERR_PARTIAL, "%d event%s quarantined", im->t.events_quarantined,
                     im->t.events_quarantined == 1 ? " was" : "s were");
        err_hint(err, "See centra.events where status = 'quarantined' (column error says why).");
    }
    err_reset(&e2);
    if (run_update(im, true, rc, err, &e2) != ERR_OK)
        log_warn("could not record the end of the run: %s", e2.message);
    log_info("%d events received (%d applied, %d stale, %d other types, %d already stored, %d "
             "quarantined), %d acknowledged, in %d batch%s",
             im->t.events_received, im->t.events_applied, im->t.events_stale,
             im->t.events_unhandled, im->t.events_duplicate, im->t.events_quarantined,
             im->t.events_acknowledged, im->t.batches, im->t.batches == 1 ? "" : "es");
    return rc;
}

/*
 * import --follow: whether the loop survives rc by waiting and trying again
 * (outages of Centra or the database, an answer not understood, an event
 * that cannot be acknowledged, another importer holding the queue: it
 * stands by; a write to the answer archive that failed) rather than exiting.
 */
static bool
follow_survives(ErrKind rc)
{
    return rc == ERR_DB_CONNECTION || rc == ERR_DB_TIMEOUT || rc == ERR_DB_CONFLICT ||
           rc == ERR_CENTRA_UNAVAILABLE || rc == ERR_CENTRA_FAULT || rc == ERR_PARTIAL ||
           rc == ERR_BUSY || rc == ERR_IO;
}

/* One round: every event type drained once; *got_any says whether events came. */
static ErrKind
round_once(Importer *im, bool *got_any, Error *err)
{
    ErrKind rc = lock_queue(im, err);

    if (rc == ERR_OK)
        rc = mark_done(im, NULL, 0, err);
    if (rc == ERR_OK && !im->recovered) {
        rc = recover_unacknowledged(im, err);
        im->recovered = rc == ERR_OK;
    }
    for (int i = 0; rc == ERR_OK && i < im->ntypes && !sig_stop_requested(); i++)
        rc = drain(im, im->types[i], got_any, err);
    return rc;
}

ErrKind
import_run(const Config *cfg, const ImportOptions *o, Error *err)
{
    Importer im;
    ErrKind rc;
    uint64_t rng = backoff_seed();
    int failures = 0;

    sig_install();
    rc = importer_init(&im, cfg, o, true, err);
    if (rc == ERR_OK && !o->follow)
        rc = lock_queue(&im, err); /* --follow takes it in its loop, and may stand by */
    if (rc == ERR_BUSY && sig_stop_requested()) {
        /* Stopped while waiting (--wait): nothing was done, and that is no failure. */
        log_info("%s", err->message);
        err_reset(err);
        sig_restore();
        importer_free(&im);
        return ERR_OK;
    }
    if (rc == ERR_OK)
        rc = runs_begin(im.db, "import", &im.run_id, err);
    while (rc == ERR_OK && !sig_service()) {
        bool got_any = false;

        rc = round_once(&im, &got_any, err);
        if (rc == ERR_OK && o->follow)
            rc = run_update(&im, false, ERR_OK, NULL, err); /* moves last_ok_at on */
        if (rc != ERR_OK &&
            (o->follow ? follow_survives(rc) : err_is_retryable(rc) || rc == ERR_BUSY) &&
            sig_stop_requested()) {
            /* Stopping anyway (the stop also ended the retries): what failed is tried by the
               next run, and nothing of it was acknowledged. */
            log_info("stopped by signal %d; the last attempt had failed: %s", sig_stop_signal(),
                     err->message);
            err_reset(err);
            rc = ERR_OK;
            break;
        }
        if (rc != ERR_OK && o->follow && follow_survives(rc)) {
            long long wait = backoff_delay_ms(o->retry_ms, o->poll_ms, failures++, &rng);

            log_warn_waiting(err, "trying again in %lld ms", wait);
            runs_note_error(err);
            err_reset(err);
            /* The next statement connects again if the connection was lost. */
            sig_sleep_ms(wait);
            rc = ERR_OK;
            continue;
        }
        if (rc != ERR_OK || !o->follow)
            break;
        failures = 0;
        if (!got_any)
            sig_sleep_ms(o->poll_ms);
    }
    if (rc == ERR_OK && sig_stop_requested())
        log_info("stopped by signal %d after the current batch", sig_stop_signal());
    if (im.db != NULL && im.run_id != 0)
        rc = finish_run(&im, rc, err);
    if (o->totals != NULL)
        runs_add_counts(o->totals, &im.t);
    sig_restore();
    importer_free(&im);
    return rc;
}

/* Feed a file into the parser, in chunks. */
static ErrKind
load_stream(FILE *f, EvParser *p, const char *path, Error *err)
{
    char *buf = xmalloc(FILE_CHUNK);
    ErrKind rc = ERR_OK;
    size_t n;

    while (rc == ERR_OK && (n = fread(buf, 1, FILE_CHUNK, f)) > 0)
        rc = evp_feed(p, buf, n, err);
    if (rc == ERR_TOO_BIG && evp_stopped(p))
        rc = ERR_OK;
    if (rc == ERR_OK && ferror(f)) {
        char ebuf[128];

        rc = err_set(err, ERR_IO, "could not read \"%s\": %s", path,
                     str_errno(errno, ebuf, sizeof(ebuf)));
    }
    if (rc == ERR_OK)
        rc = evp_finish(p, err);
    if (rc == ERR_CENTRA_UNAVAILABLE || rc == ERR_CENTRA_FAULT || rc == ERR_CENTRA_AUTH) {
        /* For a file, an unfinished or foreign document is bad data, not a Centra problem. */
        err->kind = rc = ERR_DATA;
        err_prefix(err, "file \"%s\"", path);
        err_hint(err, "A file for \"load\" holds one whole events_Get answer: the SOAP "
                      "envelope as Centra sent it.");
    }
    xfree(buf);
    return rc;
}

static ErrKind
load_file(Importer *im, const char *path, Error *err)
{
    BatchResult r;
    EvParser *p;
    DynBuf source;
    FILE *f = fopen(path, "rb");
    ErrKind rc;

    if (f == NULL) {
        char ebuf[128];

        return err_set(err, ERR_NO_INPUT, "could not open \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    }
    memset(&r, 0, sizeof(r));
    p = evp_new(&im->limits, loader_sink(im->loader));
    evp_set_source(p, path, true);
    dynbuf_init(&source, 64 * 1024);
    (void)dynbuf_addf(&source, "file:%s", path);
    /* A text column: a path that is not UTF-8 would fail every batch (found in review). */
    (void)utf8_scrub(source.data, source.len);
    rc = loader_begin(im->loader, err);
    if (rc == ERR_OK)
        rc = load_stream(f, p, path, err);
    if (rc == ERR_OK)
        rc = batch_commit(im, source.data, NULL, &r, err);
    if (rc != ERR_OK)
        loader_abort(im->loader);
    else
        log_info("loaded \"%s\": %d events (%d applied, %d stale, %d other, %d known, %d "
                 "quarantined)",
                 path, r.counts.received, r.counts.applied, r.counts.stale, r.counts.unhandled,
                 r.counts.duplicate, r.counts.quarantined);
    if (rc == ERR_OK && loader_kept_after_broken(im->loader)) {
        log_warn("\"%s\" was read up to its XML error only: events after it in the file were "
                 "not loaded.  They are in the raw bytes of the quarantined event "
                 "(centra.events.raw): fix them and load them (docs/operations.md, "
                 "\"Quarantined events\")",
                 path);
    } else if (rc == ERR_OK && loader_lost_after_broken(im->loader)) {
        /* The broken event is stored already, good: no raw holds the events after it. */
        rc = err_set(err, ERR_PARTIAL,
                     "\"%s\" was read up to its XML error only: events after it in the file "
                     "were not loaded",
                     path);
        err_detail(err, "The event the error is in is already stored, so this broken copy of "
                        "it was not (the log says which), and no quarantined event holds the "
                        "bytes after it.");
        err_hint(err, "Fix the file where the log says, and load it again: what is stored "
                      "already is recognised and skipped.");
    }
    evp_free(p);
    dynbuf_free(&source);
    fclose(f);
    return rc;
}

ErrKind
import_load(const Config *cfg, char *const *files, int nfiles, Error *err)
{
    ImportOptions o;
    Importer im;
    ErrKind worst = ERR_OK;
    ErrKind rc;

    import_options_from_config(&o, cfg);
    rc = importer_init(&im, cfg, &o, false, err);
    if (rc == ERR_OK)
        rc = runs_begin(im.db, "load", &im.run_id, err);
    for (int i = 0; rc == ERR_OK && i < nfiles; i++) {
        Error ferr;
        ErrKind frc;

        err_reset(&ferr);
        frc = load_file(&im, files[i], &ferr);
        if (frc == ERR_OK)
            continue;
        if (!err_is_retryable(frc) && frc != ERR_DB_TIMEOUT && frc != ERR_INTERNAL &&
            frc != ERR_DB_QUERY) {
            /* A bad file: go on with the others; the first is reported at the end. */
            if (worst == ERR_OK) {
                worst = frc;
                *err = ferr;
            } else {
                log_report(LOG_LEVEL_ERROR, &ferr);
            }
            continue;
        }
        *err = ferr;
        rc = frc;
    }
    if (rc == ERR_OK && worst != ERR_OK) {
        rc = worst;
        err->kind = worst;
        err_detail_append(err, true, "Other files, if any, were loaded.");
    }
    if (im.db != NULL && im.run_id != 0)
        rc = finish_run(&im, rc, err);
    importer_free(&im);
    return rc;
}
