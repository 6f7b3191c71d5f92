/*
 * src/export/export.c
 *     Outbox messages to Centra's *_Update operations.
 *
 * One round: claim up to CLAIM_FACTOR batches of ready messages in one
 * statement (the oldest of each entity_key only, FOR UPDATE SKIP LOCKED),
 * group them by operation in id order, send each group in requests of
 * batch_size items, and record every answer on its messages at once.  A
 * refused request is split in halves until the refused items stand alone.
 * Rounds repeat until nothing is ready (--once) or forever, woken by NOTIFY
 * centra_outbox (--follow).
 *
 * Every state change of a message is guarded by locked_by = this exporter
 * and status = 'sending': an exporter whose lease ran out (and whose
 * messages another one took over) changes nothing.
 */
#include "centra/export.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/faultpoint.h"
#include "centra/jsonxml.h"
#include "centra/log.h"
#include "centra/runs.h"
#include "centra/signals.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "centra/xmlwriter.h"

#define CLAIM_FACTOR     10                 /* batches claimed at once */
#define CLAIM_MAX        5000               /* messages claimed at once, at most */
#define ITEM_MAX         (8 * 1024 * 1024)  /* bytes of one item as XML */
#define REQUEST_MAX      (64 * 1024 * 1024) /* bytes of one request */
#define NOTIFY_CHANNEL   "centra_outbox"
#define RECONNECT_MAX_MS (60 * 1000) /* longest wait between reconnection rounds */
#define LEASE_MARGIN_MS  (5 * 1000)  /* lease left after the longest request, at least */

/* The list and item elements of each update operation (centra-api-notes.md §3). */
static const struct {
    const char *operation;
    const char *list;
    const char *item;
} operations[] = {
    {"accounts_Update", "accounts", "account"},
    {"customers_Update", "customers", "customer"},
    {"deliverywindows_Update", "deliverywindows", "deliverywindow"},
    {"invoices_Update", "invoices", "invoice"},
    {"markets_Update", "markets", "market"},
    {"orders_Update", "orders", "order"},
    {"paymentterms_Update", "paymentterms", "paymentterms"},
    {"pricealterationdates_Update", "pricealterationdates", "pricealterationdate"},
    {"pricelists_Update", "pricelists", "pricelist"},
    {"products_Update", "products", "product"},
    {"salesreps_Update", "salesreps", "salesrep"},
    {"shippingterms_Update", "shippingterms", "shippingterms"},
    {"sizes_Update", "sizes", "size"},
    {"warehouses_Update", "warehouses", "warehouse"},
};

/* A claimed message. */
typedef struct Msg {
    long long id;     /* centra_outbox.messages.id */
    char *operation;  /* e.g. products_Update */
    char *entity_key; /* for messages */
    int attempts;     /* sends before this one */
    char *item;       /* the payload as XML; NULL when it could not be converted */
    char *problem;    /* why not (message and detail) */
    bool delta;       /* not safe to send twice: an orders_Update with <cancelled> */
    bool went_out;    /* in a request Centra may have applied (send_batch) */
    bool taken_over;  /* claimed from an exporter whose lease ran out */
    bool done;        /* its outcome is recorded (or it was released) */
} Msg;

typedef struct Exporter {
    const Config *cfg;                /* configuration */
    const ExportOptions *o;           /* options */
    DbConn *db;                       /* the database */
    SoapClient *soap;                 /* Centra */
    char owner[320];                  /* locked_by: host:pid */
    char lease[32];                   /* lease in ms, as a parameter */
    long long run_id;                 /* centra.runs row */
    RunCounts t;                      /* counts so far */
    uint64_t rng;                     /* backoff jitter */
    unsigned listen_epoch;            /* db_epoch when LISTEN was sent; 0 never */
    Msg *msgs;                        /* the current claim */
    int nmsgs;                        /* messages in it */
    long long renewed_ms;             /* when its lease was last renewed (before the statement) */
    Msg *const *sending;              /* the request being sent (its retries check the lease) */
    int nsending;                     /* messages in it */
    const HttpResponse *sending_resp; /* the answer to its last attempt */
} Exporter;

void
export_options_from_config(ExportOptions *opts, const Config *cfg)
{
    memset(opts, 0, sizeof(*opts));
    opts->poll_ms = config_get_int(cfg, CONFIG_POLL_INTERVAL);
    opts->batch_size = (int)config_get_int(cfg, CONFIG_EXPORT_BATCH_SIZE);
    opts->max_attempts = (int)config_get_int(cfg, CONFIG_EXPORT_MAX_ATTEMPTS);
    opts->lease_ms = config_get_int(cfg, CONFIG_EXPORT_LEASE);
    opts->request_timeout_ms = config_get_int(cfg, CONFIG_REQUEST_TIMEOUT);
    opts->backoff_ms = config_get_int(cfg, CONFIG_RETRY_DELAY);
    opts->backoff_max_ms = config_get_int(cfg, CONFIG_EXPORT_BACKOFF_MAX);
}

ErrKind
export_check_options(const ExportOptions *o, Error *err)
{
    char lease[32];
    char timeout[32];

    if (o->lease_ms >= o->request_timeout_ms + LEASE_MARGIN_MS)
        return ERR_OK;
    err_set(err, ERR_CONFIG,
            "centra_export_lease (%s) must be at least centra_request_timeout (%s) plus 5 s",
            str_format_duration(o->lease_ms, lease, sizeof(lease)),
            str_format_duration(o->request_timeout_ms, timeout, sizeof(timeout)));
    err_detail(err, "A request could outlast the lease on its messages, and another exporter "
                    "would send them again.");
    err_hint(err, "Set CENTRA_EXPORT_LEASE longer or CENTRA_REQUEST_TIMEOUT shorter.");
    return ERR_CONFIG;
}

bool
export_operation_elements(const char *operation, const char **list, const char **item)
{
    for (size_t i = 0; i < CB_LENGTH(operations); i++) {
        if (strcmp(operations[i].operation, operation) == 0) {
            *list = operations[i].list;
            *item = operations[i].item;
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------
 * PostgreSQL array literals
 * ------------------------------------------------------------------------- */

/* Append s (NULL for NULL) as an element of a text[] literal. */
static void
array_text(DynBuf *b, const char *s)
{
    if (b->len > 0 && b->data[b->len - 1] != '{')
        (void)dynbuf_addc(b, ',');
    if (s == NULL) {
        (void)dynbuf_addstr(b, "NULL");
        return;
    }
    (void)dynbuf_addc(b, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            (void)dynbuf_addc(b, '\\');
        (void)dynbuf_addc(b, *p);
    }
    (void)dynbuf_addc(b, '"');
}

static void
array_id(DynBuf *b, long long id)
{
    (void)dynbuf_addf(b, "%s%lld", b->len > 1 ? "," : "", id);
}

/* ---------------------------------------------------------------------------
 * Claims
 * ------------------------------------------------------------------------- */

static void
claim_free(Exporter *ex)
{
    for (int i = 0; i < ex->nmsgs; i++) {
        xfree(ex->msgs[i].operation);
        xfree(ex->msgs[i].entity_key);
        xfree(ex->msgs[i].item);
        xfree(ex->msgs[i].problem);
    }
    xfree(ex->msgs);
    ex->msgs = NULL;
    ex->nmsgs = 0;
}

static int
msg_cmp(const void *a, const void *b)
{
    const Msg *x = a;
    const Msg *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

/* The payload as the operation's item element; a payload that cannot be is kept as a problem. */
static void
convert(Msg *m, const char *payload)
{
    const char *list = "";
    const char *item = "";
    DynBuf out;
    XmlWriter w;
    Error e;

    err_reset(&e);
    if (!export_operation_elements(m->operation, &list, &item)) {
        m->problem = xstrdup("unknown operation");
        return;
    }
    dynbuf_init(&out, ITEM_MAX);
    xw_init(&w, &out, NULL, false, 0);
    if (jsonxml_write(&w, item, payload, strlen(payload), &e) != ERR_OK) {
        DynBuf p;

        dynbuf_init(&p, 64 * 1024);
        (void)dynbuf_addstr(&p, e.message);
        if (e.detail[0] != '\0')
            (void)dynbuf_addf(&p, " (%s)", e.detail);
        m->problem = dynbuf_take(&p);
        dynbuf_free(&out);
        return;
    }
    m->item = dynbuf_take(&out);
}

/*
 * The claim walks messages_open_id_idx in id order and takes each message
 * that is the oldest open or failed one of its entity_key (one probe of
 * messages_entity_key_idx, as a subplan), until it has enough.  It reads
 * what it takes and the open messages before them that it cannot take
 * (not due yet, held by another exporter, or behind an older message of
 * their key), not the rest of the backlog.  Two things keep the planner on
 * that walk when the statistics are stale, as they are right after a
 * burst of inserts (100,000 stock updates, before autovacuum analyzes the
 * table: the planner believes a few are open): the key test is a
 * correlated subquery, not NOT EXISTS, whose anti-join the planner ran as
 * a scan of the whole entity_key index per message; and enable_sort off
 * (which prices a sort out rather than forbidding it), without which it
 * read, tested and sorted every open message for each claim.  Either was
 * 20 to 100 times slower at 100,000 open messages and grew with the
 * backlog.
 *
 * The UPDATE then finds each row it locked by the row's address (ctid),
 * not by a second lookup of its id in the primary key: the row cannot
 * move while the claim's transaction holds its lock, and the primary key
 * of a busy outbox holds several versions of every id (enqueued, claimed,
 * sent), which made that lookup a third of the claim.  A row another
 * exporter changed after the statement began, and which the lock's recheck
 * still took, is not visible to the UPDATE at its new address: it stays
 * pending for the next claim (or run).  And JIT stays off: with a large
 * backlog analyzed, the planner's estimate for the walk (which stops after
 * the batch) is high enough to compile the statement each time, 15 ms for
 * nothing.
 */
#define CLAIM_PLAN "SET LOCAL enable_sort = off; SET LOCAL jit = off"

/*
 * "Still held by this exporter", in the statements that change claimed
 * messages by id.  The status test is written so that no index can serve
 * it: with stale statistics the planner believes next to no message is
 * 'sending' and would read every sending message through an index on
 * status for each request's answer, instead of looking up the request's
 * ids.
 */
#define STILL_HELD(alias, owner)                                                                   \
    alias "locked_by = " owner " AND (" alias "status = 'sending') IS TRUE"

/*
 * Claim the oldest ready message of each entity_key: pending and due, or
 * held by an exporter whose lease ran out.  Sets ex->msgs in id order.
 */
static ErrKind
claim(Exporter *ex, Error *err)
{
    char limit[32];
    const char *params[3] = {ex->owner, limit, ex->lease};
    DbResult *res = NULL;
    ErrKind rc;
    int n = ex->o->batch_size * CLAIM_FACTOR;

    snprintf(limit, sizeof(limit), "%d", n > CLAIM_MAX ? CLAIM_MAX : n);
    ex->renewed_ms = backoff_now_ms(); /* the lease runs from no earlier than this */
    rc = db_begin(ex->db, err);
    if (rc == ERR_OK)
        rc = db_exec(ex->db, CLAIM_PLAN, err);
    if (rc == ERR_OK)
        rc = db_query(
            ex->db,
            "WITH c AS (SELECT m.ctid AS row, m.status AS was FROM centra_outbox.messages m "
            "WHERE m.status IN ('pending', 'sending') AND CASE WHEN m.status = 'pending' "
            "THEN m.next_attempt_at <= now() ELSE m.locked_until < now() END "
            "AND m.id = (SELECT min(o.id) FROM centra_outbox.messages o "
            "WHERE o.entity_key = m.entity_key "
            "AND o.status IN ('pending', 'sending', 'failed')) "
            "ORDER BY m.id LIMIT $2::integer FOR UPDATE OF m SKIP LOCKED) "
            "UPDATE centra_outbox.messages m SET status = 'sending', locked_by = $1, "
            "locked_until = now() + $3::bigint * interval '1 millisecond', "
            "updated_at = now() FROM c WHERE m.ctid = c.row "
            "RETURNING m.id, m.operation, m.entity_key, m.attempts, m.payload, "
            "c.was = 'sending', m.operation = 'orders_Update' AND "
            "m.payload -> 'cancelled' IS NOT NULL",
            3, params, &res, err);
    if (rc == ERR_OK)
        rc = db_commit(ex->db, err);
    if (rc != ERR_OK) {
        Error rb;

        err_reset(&rb);
        if (db_rollback(ex->db, &rb) != ERR_OK)
            log_debug("rollback failed: %s", rb.message);
        db_result_free(res);
        return rc;
    }
    ex->nmsgs = db_result_rows(res);
    ex->msgs = xcalloc(ex->nmsgs > 0 ? (size_t)ex->nmsgs : 1, sizeof(Msg));
    for (int i = 0; i < ex->nmsgs; i++) {
        Msg *m = &ex->msgs[i];

        m->id = strtoll(db_result_value(res, i, 0), NULL, 10);
        m->operation = xstrdup(db_result_value(res, i, 1));
        m->entity_key = xstrdup(db_result_value(res, i, 2));
        m->attempts = (int)strtol(db_result_value(res, i, 3), NULL, 10);
        convert(m, db_result_value(res, i, 4));
        m->taken_over = strcmp(db_result_value(res, i, 5), "t") == 0;
        m->delta = strcmp(db_result_value(res, i, 6), "t") == 0;
    }
    db_result_free(res);
    qsort(ex->msgs, (size_t)ex->nmsgs, sizeof(Msg), msg_cmp);
    if (ex->nmsgs > 0)
        log_debug("claimed %d messages", ex->nmsgs);
    return ERR_OK;
}

/* Ids of the claimed messages not yet done, as a bigint[] literal; false if none. */
static bool
open_ids(const Exporter *ex, DynBuf *ids)
{
    bool any = false;

    (void)dynbuf_addc(ids, '{');
    for (int i = 0; i < ex->nmsgs; i++) {
        if (!ex->msgs[i].done) {
            array_id(ids, ex->msgs[i].id);
            any = true;
        }
    }
    (void)dynbuf_addc(ids, '}');
    return any;
}

/*
 * Keep the claim: before a request (and before each of its retries) the
 * lease must outlast the longest request, centra_request_timeout, by
 * LEASE_MARGIN_MS; when less is left it is extended.  A message whose lease
 * ran out anyway (the exporter was stopped, the database slow) and that
 * another exporter took over is no longer this one's: it is marked done and
 * not sent, so no message is sent by two exporters at once.
 */
static ErrKind
renew(Exporter *ex, Error *err)
{
    DynBuf ids;
    ErrKind rc = ERR_OK;
    long long now = backoff_now_ms();
    DbResult *res = NULL;
    int lost = 0;

    if (now - ex->renewed_ms < ex->o->lease_ms - ex->o->request_timeout_ms - LEASE_MARGIN_MS)
        return ERR_OK;
    dynbuf_init(&ids, SIZE_MAX / 2);
    if (open_ids(ex, &ids)) {
        const char *params[3] = {ids.data, ex->owner, ex->lease};

        rc = db_query(ex->db,
                      "WITH u AS (UPDATE centra_outbox.messages SET locked_until = now() + "
                      "$3::bigint * interval '1 millisecond' WHERE id = ANY($1::bigint[]) "
                      "AND " STILL_HELD("", "$2") " RETURNING id) SELECT id FROM u ORDER BY id",
                      3, params, &res, err);
    }
    dynbuf_free(&ids);
    if (rc != ERR_OK)
        return rc;
    ex->renewed_ms = now;
    /* Both in id order: walk them side by side. */
    for (int i = 0, r = 0; res != NULL && i < ex->nmsgs; i++) {
        Msg *m = &ex->msgs[i];

        if (m->done)
            continue;
        while (r < db_result_rows(res) && strtoll(db_result_value(res, r, 0), NULL, 10) < m->id)
            r++;
        if (r < db_result_rows(res) && strtoll(db_result_value(res, r, 0), NULL, 10) == m->id)
            continue;
        m->done = true;
        lost++;
    }
    db_result_free(res);
    if (lost > 0)
        log_warn("%d message%s claimed by this exporter %s taken over by another one after the "
                 "lease ran out (centra_export_lease); this one does not send %s",
                 lost, lost == 1 ? "" : "s", lost == 1 ? "was" : "were", lost == 1 ? "it" : "them");
    return ERR_OK;
}

/*
 * Whether Centra may have acted on a request that failed: the whole request
 * went out and no answer came back, or a 2xx answer that could not be read.
 * (A refused connection, a 5xx or 429 answer: it did not.)
 */
static bool
maybe_applied(const HttpResponse *resp)
{
    return resp != NULL &&
           ((resp->status == 0 && resp->uploaded) || (resp->status >= 200 && resp->status <= 299));
}

/* How many of m[0..n) are deltas (cancellations). */
static int
count_deltas(Msg *const *m, int n)
{
    int deltas = 0;

    for (int i = 0; i < n; i++)
        deltas += m[i]->delta;
    return deltas;
}

/*
 * soap_update's gate before each retry of a request: the lease is renewed
 * as needed, and the retries end when a message of the request is no longer
 * held by this exporter.
 */
static bool
lease_gate(void *arg, Error *err)
{
    Exporter *ex = arg;
    Error e;

    err_reset(&e);
    if (renew(ex, &e) != ERR_OK) {
        err_detail_append(err, false, "The lease could not be renewed: %s.", e.message);
        return false;
    }
    for (int i = 0; i < ex->nsending; i++) {
        if (ex->sending[i]->done) {
            err_detail_append(err, false,
                              "Not tried again: another exporter took its messages over.");
            return false;
        }
    }
    if (count_deltas(ex->sending, ex->nsending) > 0 && maybe_applied(ex->sending_resp)) {
        err_detail_append(err, false,
                          "Not tried again: the request held a cancellation, and Centra may "
                          "have applied it.");
        return false;
    }
    return true;
}

static ErrKind record_delta_failed(Exporter *ex, Msg *m, const char *cause, Error *err);

/*
 * Give back what was claimed but not sent (no attempt counted).  A
 * cancellation that went out, whose outcome could not be recorded (the
 * database refused the statement), is not given back to be sent again: it
 * fails as any cancellation Centra may have applied; if even that cannot be
 * recorded, it stays claimed, and the exporter that takes it over when its
 * lease ends fails it.
 */
static void
release(Exporter *ex)
{
    DynBuf ids;
    Error e;

    err_reset(&e);
    for (int i = 0; i < ex->nmsgs; i++) {
        Msg *m = &ex->msgs[i];

        if (m->done || !m->delta || !m->went_out)
            continue;
        if (record_delta_failed(ex, m,
                                "its request went out, but what came back could not be "
                                "recorded",
                                &e) != ERR_OK) {
            log_warn("message %lld stays claimed until its lease ends: %s", m->id, e.message);
            err_reset(&e);
            m->done = true; /* not given back below */
        }
    }
    dynbuf_init(&ids, SIZE_MAX / 2);
    if (open_ids(ex, &ids)) {
        const char *params[2] = {ids.data, ex->owner};

        if (db_query(ex->db,
                     "UPDATE centra_outbox.messages SET status = 'pending', locked_by = NULL, "
                     "locked_until = NULL, updated_at = now() WHERE id = ANY($1::bigint[]) "
                     "AND " STILL_HELD("", "$2"),
                     2, params, NULL, &e) != ERR_OK)
            log_warn("could not release the messages claimed (they are taken over when "
                     "their lease ends): %s",
                     e.message);
    }
    dynbuf_free(&ids);
    for (int i = 0; i < ex->nmsgs; i++)
        ex->msgs[i].done = true;
}

/* ---------------------------------------------------------------------------
 * Requests and their outcome
 * ------------------------------------------------------------------------- */

/*
 * The request of operation around its items: head (envelope, login and the
 * list element's start tag) and tail.  masked: the password as "********",
 * for the copies kept on the messages.
 */
static void
request_frame(const Exporter *ex, const char *operation, bool masked, DynBuf *head, DynBuf *tail)
{
    const char *list = "";
    const char *item = "";
    DynBuf begin;

    (void)export_operation_elements(operation, &list, &item);
    dynbuf_init(&begin, SIZE_MAX / 2);
    soap_request_begin(ex->soap, &begin, operation);
    (void)dynbuf_addf(&begin, "<%s>", list);
    if (masked)
        soap_mask_passwords(begin.data, begin.len, head);
    else
        (void)dynbuf_add(head, begin.data, begin.len);
    dynbuf_free(&begin);
    (void)dynbuf_addf(tail, "</%s>", list);
    soap_request_end(ex->soap, tail, operation);
}

/*
 * ids and requests of the messages m[0..n) (all of one operation) as array
 * literals; a message's request is the one it went in, reduced to its own
 * item, with every password masked (the login's, a buyer's).
 */
static void
outcome_arrays(const Exporter *ex, Msg *const *m, int n, DynBuf *ids, DynBuf *reqs)
{
    DynBuf head;
    DynBuf tail;
    DynBuf one;

    dynbuf_init(&head, SIZE_MAX / 2);
    dynbuf_init(&tail, SIZE_MAX / 2);
    dynbuf_init(&one, SIZE_MAX / 2);
    request_frame(ex, m[0]->operation, true, &head, &tail);
    (void)dynbuf_addc(ids, '{');
    (void)dynbuf_addc(reqs, '{');
    for (int i = 0; i < n; i++) {
        dynbuf_reset(&one);
        (void)dynbuf_add(&one, head.data, head.len);
        /* A buyer's <password> in an item is masked too (rule 7: no saved request has one). */
        if (m[i]->item != NULL)
            soap_mask_passwords(m[i]->item, strlen(m[i]->item), &one);
        (void)dynbuf_add(&one, tail.data, tail.len);
        array_id(ids, m[i]->id);
        array_text(reqs, one.data);
    }
    (void)dynbuf_addc(ids, '}');
    (void)dynbuf_addc(reqs, '}');
    dynbuf_free(&head);
    dynbuf_free(&tail);
    dynbuf_free(&one);
}

/*
 * Centra's texts (errors, notices) as a text[] literal, each redacted as the
 * log would show it: an answer that echoes the password must not store it
 * where the ERP's roles read.
 */
static void
texts_array(DynBuf *b, char *const *texts, size_t n)
{
    (void)dynbuf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        char *red = texts[i] != NULL ? log_redact(texts[i]) : NULL;

        array_text(b, red);
        xfree(red);
    }
    (void)dynbuf_addc(b, '}');
}

#define OUTCOME_EXTRA_MAX 4 /* parameters of an outcome beyond ids, requests and owner */

/*
 * Record an outcome on the messages m[0..n): sets is what changes (SQL SET
 * items over m, the message, whose parameters start at $4: extra, nextra
 * of them; and r.y, the element of per_msg for the message, when per_msg,
 * a text[] literal in the order of m, is not NULL); every outcome also
 * keeps the request, ends the claim and marks the messages done.  Only
 * messages this exporter still holds change.  *res (when not NULL) gets
 * each changed message's new status.
 */
static ErrKind
record_outcome(Exporter *ex, Msg *const *m, int n, const char *sets, const char *const *extra,
               int nextra, const char *per_msg, DbResult **res, Error *err)
{
    DynBuf ids;
    DynBuf reqs;
    DynBuf sql;
    const char *params[4 + OUTCOME_EXTRA_MAX];
    int nparams = 3;
    char from[96];
    ErrKind rc;

    dynbuf_init(&ids, SIZE_MAX / 2);
    dynbuf_init(&reqs, SIZE_MAX / 2);
    dynbuf_init(&sql, SIZE_MAX / 2);
    outcome_arrays(ex, m, n, &ids, &reqs);
    params[0] = ids.data;
    params[1] = reqs.data;
    params[2] = ex->owner;
    for (int i = 0; i < nextra && i < OUTCOME_EXTRA_MAX; i++)
        params[nparams++] = extra[i];
    if (per_msg != NULL) {
        params[nparams++] = per_msg;
        snprintf(from, sizeof(from), "unnest($1::bigint[], $2::text[], $%d::text[]) AS r(id, x, y)",
                 nparams);
    } else {
        snprintf(from, sizeof(from), "unnest($1::bigint[], $2::text[]) AS r(id, x)");
    }
    (void)dynbuf_addf(&sql,
                      "UPDATE centra_outbox.messages m SET %s, request_xml = r.x, "
                      "updated_at = now(), locked_by = NULL, locked_until = NULL "
                      "FROM %s WHERE m.id = r.id AND " STILL_HELD(
                          "m.", "$3") " RETURNING m.status, m.id, m.entity_key, m.attempts",
                      sets, from);
    rc = db_query(ex->db, sql.data, nparams, params, res, err);
    if (rc == ERR_DB_CONNECTION && !db_in_transaction(ex->db)) {
        /*
         * Centra's answer is in hand: record it on a new connection (the
         * query connects again first) instead of giving the messages back
         * to be sent again.  The guard on locked_by and status makes this
         * change nothing if the first attempt did commit.
         */
        log_warn("%s; recording the answer again", err->message);
        err_reset(err);
        rc = db_query(ex->db, sql.data, nparams, params, res, err);
    }
    dynbuf_free(&ids);
    dynbuf_free(&reqs);
    dynbuf_free(&sql);
    for (int i = 0; rc == ERR_OK && i < n; i++)
        m[i]->done = true;
    if (rc == ERR_OK)
        CB_FAULT_POINT("export.after_record");
    return rc;
}

/* Whether a character belongs to an id, for mentions(). */
static bool
id_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || (unsigned char)c >= 0x80;
}

/* Whether text holds id (len bytes), not as part of a longer id. */
static bool
mentions(const char *text, const char *id, size_t len)
{
    for (const char *s = strstr(text, id); len > 0 && s != NULL; s = strstr(s + 1, id))
        if ((s == text || !id_char(s[-1])) && !id_char(s[len]))
            return true;
    return false;
}

/*
 * Whether Centra's notice names one of the ids of entity_key: its parts
 * after "kind:", separated by "/" and escaped as key_part() escapes them
 * ("stock:PWC/PWC/OS/WH-1" names "Created new warehouse: WH-1").
 */
static bool
notice_names(const char *notice, const char *entity_key)
{
    const char *p = strchr(entity_key, ':');
    DynBuf id;
    bool found = false;

    if (p == NULL)
        return false;
    dynbuf_init(&id, SIZE_MAX / 2);
    for (p++; !found; p++) {
        if (*p == '\\' && p[1] != '\0') {
            (void)dynbuf_addc(&id, *++p);
        } else if (*p == '/' || *p == '\0') {
            found = mentions(notice, dynbuf_str(&id), dynbuf_len(&id));
            dynbuf_reset(&id);
            if (*p == '\0')
                break;
        } else {
            (void)dynbuf_addc(&id, *p);
        }
    }
    dynbuf_free(&id);
    return found;
}

/*
 * Centra's notices are the request's, not an item's: each message gets those
 * that name one of its ids ("Created new warehouse: WH-1"), and those that
 * name no message of the request (they are about all of it).  Into per, a
 * text[] literal of text[] literals, in the order of m.
 */
static void
notices_per_message(Msg *const *m, int n, const SoapUpdateResult *res, DynBuf *per)
{
    size_t k = res->nnotices;
    bool *hit = xcalloc((size_t)n * (k > 0 ? k : 1), sizeof(bool));
    bool *named = xcalloc(k > 0 ? k : 1, sizeof(bool));
    char **mine = xcalloc(k > 0 ? k : 1, sizeof(char *));
    DynBuf one;

    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            hit[(size_t)i * k + j] =
                res->notices[j] != NULL && notice_names(res->notices[j], m[i]->entity_key);
            named[j] = named[j] || hit[(size_t)i * k + j];
        }
    dynbuf_init(&one, SIZE_MAX / 2);
    (void)dynbuf_addc(per, '{');
    for (int i = 0; i < n; i++) {
        size_t nmine = 0;

        for (size_t j = 0; j < k; j++)
            if (hit[(size_t)i * k + j] || !named[j])
                mine[nmine++] = res->notices[j];
        dynbuf_reset(&one);
        texts_array(&one, mine, nmine);
        array_text(per, dynbuf_str(&one));
    }
    (void)dynbuf_addc(per, '}');
    dynbuf_free(&one);
    xfree(mine);
    xfree(named);
    xfree(hit);
}

/* Centra accepted m[0..n). */
static ErrKind
record_sent(Exporter *ex, Msg *const *m, int n, const SoapUpdateResult *res, Error *err)
{
    DynBuf per;
    DynBuf errs;
    const char *extra[1];
    ErrKind rc;

    dynbuf_init(&per, SIZE_MAX / 2);
    dynbuf_init(&errs, SIZE_MAX / 2);
    notices_per_message(m, n, res, &per);
    /*
     * Errors in an answer that says success: Centra applied the request, and
     * said something went wrong.  Which message they are about it does not
     * say: each message of the request keeps them (rule 6).
     */
    texts_array(&errs, res->errors, res->nerrors);
    extra[0] = errs.data;
    rc = record_outcome(ex, m, n,
                        "status = 'sent', sent_at = now(), attempts = m.attempts + 1, "
                        "notices = NULLIF(r.y::text[], '{}'), errors = NULLIF($4::text[], '{}'), "
                        "last_error = NULL",
                        extra, 1, dynbuf_str(&per), NULL, err);
    dynbuf_free(&per);
    if (rc == ERR_OK && res->nerrors > 0) {
        char *red = log_redact(res->errors[0]);

        log_warn("%s: Centra accepted %d message%s (from %lld) but gave %zu error%s with them, "
                 "kept on them: %s",
                 m[0]->operation, n, n == 1 ? "" : "s", m[0]->id, res->nerrors,
                 res->nerrors == 1 ? "" : "s", red);
        xfree(red);
    }
    dynbuf_free(&errs);
    if (rc != ERR_OK)
        return rc;
    ex->t.messages_sent += n;
    log_debug("%s: %d message%s sent", m[0]->operation, n, n == 1 ? "" : "s");
    return ERR_OK;
}

/*
 * Centra refused m (or it could not be sent): failed for good, with the
 * reason, Centra's errors and the notices it gave with them; maybe_applied
 * when Centra may have applied it anyway (record_delta_failed).
 */
static ErrKind
record_failed_as(Exporter *ex, Msg *m, char *const *errors, size_t nerrors, char *const *notices,
                 size_t nnotices, const char *why, bool maybe_applied, Error *err)
{
    DynBuf errs;
    DynBuf notes;
    DynBuf last;
    char *red;
    const char *extra[4];
    ErrKind rc;

    dynbuf_init(&errs, SIZE_MAX / 2);
    dynbuf_init(&notes, SIZE_MAX / 2);
    dynbuf_init(&last, SIZE_MAX / 2);
    texts_array(&errs, errors, nerrors);
    texts_array(&notes, notices, nnotices);
    if (why != NULL)
        (void)dynbuf_addstr(&last, why);
    for (size_t i = 0; why == NULL && i < nerrors; i++)
        (void)dynbuf_addf(&last, "%s%s", i > 0 ? "; " : "", errors[i]);
    if (last.len == 0)
        (void)dynbuf_addstr(&last, "Centra refused the update without saying why");
    red = log_redact(last.data);
    extra[0] = errs.data;
    extra[1] = red;
    extra[2] = notes.data;
    extra[3] = maybe_applied ? "true" : "false";
    rc = record_outcome(ex, &m, 1,
                        "status = 'failed', attempts = m.attempts + 1, "
                        "errors = NULLIF($4::text[], '{}'), last_error = $5, "
                        "notices = NULLIF($6::text[], '{}'), "
                        "maybe_applied = m.maybe_applied OR $7::boolean",
                        extra, 4, NULL, NULL, err);
    dynbuf_free(&errs);
    dynbuf_free(&notes);
    if (rc == ERR_OK) {
        ex->t.messages_failed++;
        log_warn("message %lld (%s, %s) failed: %s", m->id, m->operation, m->entity_key, red);
    }
    dynbuf_free(&last);
    xfree(red);
    return rc;
}

static ErrKind
record_failed(Exporter *ex, Msg *m, char *const *errors, size_t nerrors, char *const *notices,
              size_t nnotices, const char *why, Error *err)
{
    return record_failed_as(ex, m, errors, nerrors, notices, nnotices, why, false, err);
}

/* why on one line, its detail after the message, for last_error (redacted, owned). */
static char *
error_line(const Error *why)
{
    DynBuf b;
    char *red;

    dynbuf_init(&b, SIZE_MAX / 2);
    (void)dynbuf_addstr(&b, why->message);
    if (why->detail[0] != '\0')
        (void)dynbuf_addf(&b, ": %s", why->detail);
    for (size_t i = 0; i < b.len; i++) {
        if (b.data[i] == '\n')
            b.data[i] = ' ';
    }
    red = log_redact(b.data);
    dynbuf_free(&b);
    return red;
}

/*
 * A transient failure outlasted the request's retries: m[0..n) wait with
 * backoff, or fail once they have had max_attempts sends.
 */
static ErrKind
record_retry(Exporter *ex, Msg *const *m, int n, const Error *why, Error *err)
{
    char delay[32];
    char max[32];
    char *red = error_line(why);
    const char *extra[3] = {red, delay, max};
    int most = 0;
    DbResult *res = NULL;
    ErrKind rc;

    for (int i = 0; i < n; i++)
        most = m[i]->attempts > most ? m[i]->attempts : most;
    snprintf(delay, sizeof(delay), "%lld",
             backoff_delay_ms(ex->o->backoff_ms, ex->o->backoff_max_ms, most + 1, &ex->rng));
    snprintf(max, sizeof(max), "%d", ex->o->max_attempts);
    rc = record_outcome(ex, m, n,
                        "attempts = m.attempts + 1, status = CASE WHEN m.attempts + 1 >= "
                        "$6::integer THEN 'failed' ELSE 'pending' END, last_error = $4, "
                        "next_attempt_at = now() + $5::bigint * interval '1 millisecond'",
                        extra, 3, NULL, &res, err);
    xfree(red);
    if (rc != ERR_OK)
        return rc;
    for (int i = 0; i < db_result_rows(res); i++) {
        if (strcmp(db_result_value(res, i, 0), "failed") == 0) {
            ex->t.messages_failed++;
            log_warn("message %s (%s, %s) failed for good after %s attempts "
                     "(centra_export_max_attempts): %s",
                     db_result_value(res, i, 1), m[0]->operation, db_result_value(res, i, 2),
                     db_result_value(res, i, 3), why->message);
        } else {
            ex->t.messages_retried++;
        }
    }
    db_result_free(res);
    return ERR_OK;
}

/*
 * A cancellation counts items (Centra cancels that many more each time it
 * gets it), so one that Centra may have applied is not sent again by itself:
 * it fails, saying why (cause) and what to do, for someone to look at the
 * order, and marked maybe_applied, which "outbox retry --failed" leaves.
 */
static ErrKind
record_delta_failed(Exporter *ex, Msg *m, const char *cause, Error *err)
{
    DynBuf text;
    ErrKind rc;

    dynbuf_init(&text, 64 * 1024);
    (void)dynbuf_addf(&text,
                      "%s, so Centra may have applied this cancellation; it is not sent again by "
                      "itself, since each one cancels that many more items: check the order in "
                      "Centra, then \"centra-bridge outbox cancel %lld\" if it was applied or "
                      "\"centra-bridge outbox retry %lld\" if not",
                      cause, m->id, m->id);
    rc = record_failed_as(ex, m, NULL, 0, NULL, 0, text.data, true, err);
    dynbuf_free(&text);
    return rc;
}

/*
 * Centra could not be reached for m[0..n): each goes back to pending for a
 * later attempt, but a cancellation Centra may have applied (applied) fails.
 */
static ErrKind
record_unavailable(Exporter *ex, Msg *const *m, int n, bool applied, Error *why, Error *err)
{
    Msg **again = xcalloc((size_t)n, sizeof(Msg *));
    int nagain = 0;
    ErrKind rc = ERR_OK;

    for (int i = 0; rc == ERR_OK && i < n; i++) {
        if (applied && m[i]->delta) {
            rc = record_delta_failed(ex, m[i], why->message, err);
        } else {
            again[nagain++] = m[i];
        }
    }
    if (rc == ERR_OK && nagain > 0)
        rc = record_retry(ex, again, nagain, why, err);
    xfree(again);
    return rc;
}

/* The request of m[0..n), all of one operation; false when it exceeds REQUEST_MAX. */
static bool
build_request(const Exporter *ex, Msg *const *m, int n, DynBuf *body)
{
    DynBuf tail;
    bool ok;

    dynbuf_init(&tail, SIZE_MAX / 2);
    request_frame(ex, m[0]->operation, false, body, &tail);
    ok = true;
    for (int i = 0; ok && i < n; i++)
        ok = dynbuf_addstr(body, m[i]->item) == ERR_OK;
    ok = ok && dynbuf_add(body, tail.data, tail.len) == ERR_OK;
    dynbuf_free(&tail);
    return ok && body->len + 4096 < REQUEST_MAX;
}

/*
 * Send m[0..n) in one request and record the outcome; a refused request is
 * split in halves.  Returns an error only for what stops the run (Centra
 * unreachable or refusing the login, the database).
 */
static ErrKind send_held(Exporter *ex, Msg *const *m, int n, Error *err);

/*
 * An answer about the endpoint rather than the items of the request: a
 * redirect, 404 Not Found or 405 Method Not Allowed (a wrong CENTRA_URL).
 * Every request would get it, so it stops the run instead of failing the
 * messages one by one.
 */
static bool
endpoint_error(const HttpResponse *resp)
{
    return (resp->status >= 300 && resp->status <= 399) || resp->status == 404 ||
           resp->status == 405;
}

/* send_held for the messages of m[0..n) this exporter still holds (renew). */
static ErrKind
send_batch(Exporter *ex, Msg *const *m, int n, Error *err)
{
    Msg **held;
    int nheld = 0;
    ErrKind rc = renew(ex, err);

    if (rc != ERR_OK)
        return rc;
    held = xcalloc((size_t)n, sizeof(Msg *));
    for (int i = 0; rc == ERR_OK && i < n; i++) {
        if (!m[i]->done && m[i]->taken_over && m[i]->delta)
            rc = record_delta_failed(ex, m[i],
                                     "an exporter claimed this message and stopped before it "
                                     "recorded Centra's answer",
                                     err);
        else if (!m[i]->done)
            held[nheld++] = m[i];
    }
    if (rc == ERR_OK && nheld > 0)
        rc = send_held(ex, held, nheld, err);
    xfree(held);
    return rc;
}

static ErrKind
send_held(Exporter *ex, Msg *const *m, int n, Error *err)
{
    DynBuf body;
    SoapUpdateResult res;
    HttpResponse resp;
    ErrKind rc;
    bool refused;

    memset(&res, 0, sizeof(res));
    memset(&resp, 0, sizeof(resp));
    dynbuf_init(&body, REQUEST_MAX);
    if (!build_request(ex, m, n, &body)) {
        dynbuf_free(&body);
        if (n == 1)
            return record_failed(ex, m[0], NULL, 0, NULL, 0, "the request would exceed 64 MB", err);
        rc = send_batch(ex, m, n / 2, err);
        return rc == ERR_OK ? send_batch(ex, m + n / 2, n - n / 2, err) : rc;
    }
    ex->t.batches++;
    ex->sending = m;
    ex->nsending = n;
    ex->sending_resp = &resp;
    rc = soap_update(ex->soap, m[0]->operation, &body, &res, &resp, err);
    /*
     * Applied, or maybe: Centra accepted it, or its answer was lost or
     * unreadable.  A refusal (success false, a SOAP Fault of the client, a
     * refused login) applied nothing: its messages are given back as any
     * that were not sent if the run stops before their halves are.
     */
    refused = (rc == ERR_OK && !res.success) || rc == ERR_CENTRA_FAULT || rc == ERR_CENTRA_AUTH;
    for (int i = 0; i < n; i++)
        m[i]->went_out = maybe_applied(&resp) && !refused;
    ex->sending = NULL;
    ex->nsending = 0;
    ex->sending_resp = NULL;
    dynbuf_free(&body);
    if (rc == ERR_OK && res.success)
        CB_FAULT_POINT("export.after_send");
    if (rc == ERR_OK && res.success) {
        rc = record_sent(ex, m, n, &res, err);
    } else if (rc == ERR_CENTRA_FAULT && endpoint_error(&resp)) {
        /* Not about the items: the run stops, and round_once gives them back untouched. */
        err_detail_append(err, false,
                          "No message was marked failed: they are sent once the endpoint "
                          "answers.");
    } else if (rc == ERR_OK || rc == ERR_CENTRA_FAULT) {
        /* Refused: all or nothing, so find the items it was about. */
        if (n == 1) {
            Error e;
            char *fault[1] = {err->message};
            bool faulted = rc == ERR_CENTRA_FAULT;

            err_reset(&e);
            /* A SOAP Fault is Centra's error too: in errors as well as last_error. */
            rc = record_failed(ex, m[0], faulted && res.nerrors == 0 ? fault : res.errors,
                               faulted && res.nerrors == 0 ? 1 : res.nerrors, res.notices,
                               res.nnotices, faulted ? err->message : NULL, &e);
            if (rc != ERR_OK)
                *err = e;
        } else if (sig_stop_requested()) {
            /*
             * Stopping: finding the refused items could take a request per
             * item (found in review: 198 s to stop).  Centra applied nothing
             * of the batch, so its messages go back to pending, untouched.
             */
            log_info("%s refused a batch of %d; stopping (signal %d) before sending it in "
                     "halves: its messages are sent by the next run",
                     m[0]->operation, n, sig_stop_signal());
            err_reset(err);
            rc = ERR_OK;
        } else {
            log_info("%s refused a batch of %d; sending it in halves to find the refused items",
                     m[0]->operation, n);
            CB_FAULT_POINT("export.mid_bisect");
            err_reset(err);
            rc = send_batch(ex, m, n / 2, err);
            if (rc == ERR_OK && !sig_stop_requested())
                rc = send_batch(ex, m + n / 2, n - n / 2, err);
        }
    } else if (rc == ERR_CENTRA_UNAVAILABLE) {
        Error e;

        err_reset(&e);
        if (record_unavailable(ex, m, n, maybe_applied(&resp), err, &e) != ERR_OK) {
            log_warn("could not record the failed attempt: %s", e.message);
        } else if (maybe_applied(&resp) && count_deltas(m, n) == n) {
            /* Only cancellations, all failed: Centra answered after all, the run goes on. */
            err_reset(err);
            rc = ERR_OK;
        }
    }
    soap_update_result_free(&res);
    return rc;
}

/* Send every message of the claim, grouped by operation. */
static ErrKind
send_claim(Exporter *ex, Error *err)
{
    Msg **group = xcalloc((size_t)ex->nmsgs + 1, sizeof(Msg *));
    ErrKind rc = ERR_OK;

    for (int i = 0; rc == ERR_OK && i < ex->nmsgs; i++) {
        int n = 0;

        if (ex->msgs[i].done)
            continue;
        for (int j = i; j < ex->nmsgs; j++) {
            Msg *m = &ex->msgs[j];

            if (m->done || strcmp(m->operation, ex->msgs[i].operation) != 0)
                continue;
            if (m->item == NULL) {
                rc = record_failed(ex, m, NULL, 0, NULL, 0, m->problem, err);
                if (rc != ERR_OK)
                    break;
                continue;
            }
            group[n++] = m;
        }
        for (int k = 0; rc == ERR_OK && k < n; k += ex->o->batch_size) {
            int size = n - k < ex->o->batch_size ? n - k : ex->o->batch_size;

            rc = send_batch(ex, group + k, size, err);
            if (sig_service())
                break;
        }
        if (sig_stop_requested())
            break;
    }
    xfree(group);
    return rc;
}

/* ---------------------------------------------------------------------------
 * The run
 * ------------------------------------------------------------------------- */

static ErrKind
listen_outbox(Exporter *ex, Error *err)
{
    ErrKind rc;

    if (ex->listen_epoch == db_epoch(ex->db))
        return ERR_OK;
    rc = db_exec(ex->db, "LISTEN " NOTIFY_CHANNEL, err);
    if (rc == ERR_OK)
        ex->listen_epoch = db_epoch(ex->db);
    return rc;
}

/* How long to sleep when nothing is ready: until the next message is due, at most poll_ms. */
static ErrKind
idle_wait(Exporter *ex, Error *err)
{
    DbResult *res;
    long long wait = ex->o->poll_ms;
    ErrKind rc = db_query(ex->db,
                          "SELECT ceil(extract(epoch FROM min(CASE WHEN status = 'pending' "
                          "THEN next_attempt_at ELSE locked_until END) - now()) * 1000)::bigint "
                          "FROM centra_outbox.messages WHERE status IN ('pending', 'sending')",
                          0, NULL, &res, err);

    if (rc != ERR_OK)
        return rc;
    if (db_result_value(res, 0, 0) != NULL && db_result_value(res, 0, 0)[0] != '\0') {
        long long due = strtoll(db_result_value(res, 0, 0), NULL, 10);

        if (due < wait)
            wait = due < 10 ? 10 : due;
    }
    db_result_free(res);
    /* In slices, so that a stop asked for meanwhile is seen within a second. */
    for (long long until = backoff_now_ms() + wait; rc == ERR_OK && !sig_service();) {
        long long left = until - backoff_now_ms();
        bool notified;

        if (left <= 0)
            break;
        rc = db_wait_notify(ex->db, left < 1000 ? left : 1000, &notified, err);
        if (notified)
            break;
    }
    return rc;
}

static void
exporter_free(Exporter *ex)
{
    claim_free(ex);
    db_free(ex->db);
    soap_client_free(ex->soap);
}

static ErrKind
exporter_init(Exporter *ex, const Config *cfg, const ExportOptions *o, Error *err)
{
    DbOptions dbo;
    char host[256] = "";
    ErrKind rc;

    memset(ex, 0, sizeof(*ex));
    ex->cfg = cfg;
    ex->o = o;
    ex->rng = backoff_seed();
    (void)gethostname(host, sizeof(host) - 1);
    snprintf(ex->owner, sizeof(ex->owner), "%s:%ld", host, (long)getpid());
    snprintf(ex->lease, sizeof(ex->lease), "%lld", o->lease_ms);
    rc = export_check_options(o, err);
    if (rc != ERR_OK)
        return rc;
    rc = soap_client_from_config(cfg, &ex->soap, err);
    if (rc != ERR_OK)
        return rc;
    soap_set_retry_gate(ex->soap, lease_gate, ex);
    db_options_from_config(&dbo, cfg);
    return db_new(&dbo, &ex->db, err);
}

/*
 * After the connection was lost: reconnect, waiting with backoff between
 * attempts (the first db_reconnect tries centra_db_retries times, the later
 * ones once each) until it works or a stop is asked for.
 */
static ErrKind
reconnect_wait(Exporter *ex, Error *err)
{
    for (int attempt = 0;; attempt++) {
        ErrKind rc = db_reconnect(ex->db, err);

        if (rc != ERR_DB_CONNECTION || sig_stop_requested())
            return rc;
        runs_note_error(err);
        log_warn_waiting(err, "trying again");
        err_reset(err);
        sig_sleep_ms(backoff_delay_ms(ex->o->backoff_ms, RECONNECT_MAX_MS, attempt, &ex->rng));
    }
}

/*
 * export --follow after rc: wait out an outage of Centra (the messages wait
 * for their next attempt; so does the exporter) or of the database
 * (reconnect), then go on with ERR_OK.  Other errors end the run; so does a
 * stop asked for meanwhile, with ERR_OK.
 */
static ErrKind
follow_recover(Exporter *ex, ErrKind rc, Error *err)
{
    while (rc == ERR_DB_CONNECTION || rc == ERR_DB_TIMEOUT || rc == ERR_CENTRA_UNAVAILABLE) {
        if (sig_stop_requested()) {
            err_reset(err);
            return ERR_OK;
        }
        log_warn_waiting(err, "trying again");
        runs_note_error(err);
        err_reset(err);
        rc = rc == ERR_DB_CONNECTION ? reconnect_wait(ex, err) : idle_wait(ex, err);
    }
    return rc;
}

/*
 * export --once, done: say what it could not take because another exporter
 * holds it (or held it and stopped: its lease has not run out yet), and
 * what waits behind those on their entity_keys, so that a run that "sent
 * everything" does not hide them.
 */
static void
report_held(Exporter *ex)
{
    DbResult *res = NULL;
    Error e;

    err_reset(&e);
    if (db_query(ex->db,
                 "SELECT count(*), to_char(max(locked_until) AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI:SS'), (SELECT count(*) FROM centra_outbox.messages w "
                 "WHERE w.status = 'pending' AND w.entity_key = ANY (array_agg(s.entity_key))) "
                 "FROM centra_outbox.messages s WHERE s.status = 'sending' "
                 "AND s.locked_until > now()",
                 0, NULL, &res, &e) != ERR_OK) {
        log_debug("could not count the messages other exporters hold: %s", e.message);
        return;
    }
    if (strcmp(db_result_value(res, 0, 0), "0") != 0)
        log_info("left to another exporter: %s message%s it holds (or held, if it stopped) "
                 "until %s UTC at the latest (centra_export_lease), and %s more waiting behind "
                 "them on their entity_keys",
                 db_result_value(res, 0, 0),
                 strcmp(db_result_value(res, 0, 0), "1") == 0 ? "" : "s",
                 db_result_value(res, 0, 1), db_result_value(res, 0, 2));
    db_result_free(res);
}

/* One claim, sent; *claimed says how many messages it held. */
static ErrKind
round_once(Exporter *ex, int *claimed, Error *err)
{
    ErrKind rc = claim(ex, err);

    *claimed = ex->nmsgs;
    if (rc == ERR_OK && ex->nmsgs > 0) {
        CB_FAULT_POINT("export.after_claim");
        rc = send_claim(ex, err);
        if (rc == ERR_OK)
            rc = runs_update(ex->db, ex->run_id, &ex->t, false, ERR_OK, NULL, err);
    }
    if (ex->db != NULL)
        release(ex);
    claim_free(ex);
    return rc;
}

ErrKind
export_run(const Config *cfg, const ExportOptions *o, Error *err)
{
    Exporter ex;
    ErrKind rc;
    Error e2;

    sig_install();
    rc = exporter_init(&ex, cfg, o, err);
    if (rc == ERR_OK)
        rc = runs_begin(ex.db, "export", &ex.run_id, err);
    while (rc == ERR_OK && !sig_service()) {
        int claimed = 0;

        if (o->follow)
            rc = listen_outbox(&ex, err);
        if (rc == ERR_OK)
            rc = round_once(&ex, &claimed, err);
        if (rc == ERR_OK && claimed == 0) {
            if (!o->follow)
                break;
            rc = runs_update(ex.db, ex.run_id, &ex.t, false, ERR_OK, NULL, err);
            if (rc == ERR_OK)
                rc = idle_wait(&ex, err);
        }
        if (o->follow) {
            rc = follow_recover(&ex, rc, err);
        } else if (rc != ERR_OK && err_is_retryable(rc) && sig_stop_requested()) {
            /* The stop ended the retries: the messages wait for the next run, recorded. */
            log_info("stopped by signal %d; the last attempt had failed: %s", sig_stop_signal(),
                     err->message);
            err_reset(err);
            rc = ERR_OK;
        }
    }
    /* --follow: failures were logged as they came; a stop is not one (exit 0). */
    if (rc == ERR_OK && ex.t.messages_failed > 0 && !o->follow) {
        rc = err_set(err, ERR_PARTIAL, "%d message%s failed", ex.t.messages_failed,
                     ex.t.messages_failed == 1 ? "" : "s");
        err_hint(err, "See \"centra-bridge outbox list --status failed\" (column last_error "
                      "says why); fix the cause, then \"outbox retry\" or \"outbox cancel\".");
    }
    err_reset(&e2);
    if (ex.db != NULL && ex.run_id != 0 &&
        runs_update(ex.db, ex.run_id, &ex.t, true, rc, err, &e2) != ERR_OK)
        log_warn("could not record the end of the run: %s", e2.message);
    if (ex.db != NULL)
        log_info("%d messages sent, %d failed, %d to be tried again, in %d requests",
                 ex.t.messages_sent, ex.t.messages_failed, ex.t.messages_retried, ex.t.batches);
    if (ex.db != NULL && !o->follow && (rc == ERR_OK || rc == ERR_PARTIAL))
        report_held(&ex);
    if (o->totals != NULL)
        runs_add_counts(o->totals, &ex.t);
    sig_restore();
    exporter_free(&ex);
    return rc;
}
